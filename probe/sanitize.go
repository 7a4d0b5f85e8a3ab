package probe

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// sanitize makes s safe to print on one terminal line: line breaks and tabs
// become spaces, other control characters (C0, DEL, C1 — which include the
// escape that starts terminal sequences) and bidirectional overrides are
// dropped, and invalid UTF-8 becomes U+FFFD. Values come from DNS answers,
// certificates and HTTP servers, none of which we trust.
func sanitize(s string) string {
	if !hasControl(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range strings.ToValidUTF8(s, string(utf8.RuneError)) {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			b.WriteByte(' ')
		case unicode.IsControl(r), unicode.Is(unicode.Bidi_Control, r):
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// hasControl reports whether s holds anything sanitize would change: invalid
// UTF-8, control characters or bidirectional overrides.
func hasControl(s string) bool {
	if !utf8.ValidString(s) {
		return true
	}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) {
			return true
		}
	}
	return false
}

// truncate shortens s to at most n runes, marking the cut with an ellipsis.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
