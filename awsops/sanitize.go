package awsops

import (
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// maxTextLen bounds any text taken from an AWS response that plwiz keeps; a
// message longer than this is a bug or an attack, not something to show.
const maxTextLen = 2048

// clean strips control characters (terminal escapes, newlines) from text
// that came from AWS, and bounds its length, so it is safe to show.
func clean(s string) string {
	if !strings.ContainsFunc(s, isControl) && len(s) <= maxTextLen {
		return s
	}
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' || r == '\r' {
			return ' '
		}
		if isControl(r) {
			return -1
		}
		return r
	}, s)
	return cut(s, maxTextLen)
}

// cut shortens s to at most n bytes on a rune boundary, marking the cut.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) }

// str dereferences and cleans an SDK string pointer.
func str(p *string) string { return clean(aws.ToString(p)) }

// strs cleans a list of strings.
func strs(in []string) []string {
	if len(in) == 0 {
		return nil
	}
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = clean(s)
	}
	return out
}
