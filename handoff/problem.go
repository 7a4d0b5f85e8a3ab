package handoff

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Problem is one thing wrong with a bundle: which field, what was expected
// there and what was found instead. Found is already formatted for display:
// strings are quoted with control and non-ASCII characters escaped, so a
// Problem is safe to print on a terminal.
type Problem struct {
	// Field is the path of the field, such as "serviceName" or
	// "availabilityZones[1].azId"; empty when the problem is with the input
	// as a whole (too large, not JSON, ...).
	Field    string
	Expected string
	Found    string
	// Hint, when set, says how to put it right where "expected" does not:
	// copy a token again, upgrade plwiz, correct a clock.
	Hint string
}

// String renders the problem as "field: expected X, found Y".
func (p Problem) String() string {
	if p.Field == "" {
		return "expected " + p.Expected + ", found " + p.Found
	}
	return p.Field + ": expected " + p.Expected + ", found " + p.Found
}

// ValidationError is every problem found in one bundle. Decoders collect all
// problems rather than stopping at the first, so a user fixes a hand-edited
// file in one go.
type ValidationError struct {
	// Kind is the kind of bundle the problems are in, or "" when the input
	// could not be recognised as either kind.
	Kind     Kind
	Problems []Problem
}

// maxListed bounds the lines of an error message: a file of garbage should
// not scroll the screen away. All problems stay in Problems.
const maxListed = 20

// Error lists the problems, one per line, each prefixed with the bundle kind
// ("offer: ", "request: ", or "handoff: " when the kind is unknown), and
// says how many more there are past the first maxListed.
func (e *ValidationError) Error() string {
	prefix := "handoff"
	if e.Kind != "" {
		prefix = string(e.Kind)
	}
	var lines []string
	for i, p := range e.Problems {
		if i == maxListed && len(e.Problems) > maxListed+1 {
			lines = append(lines, fmt.Sprintf("%s: and %d more problems", prefix, len(e.Problems)-i))
			break
		}
		lines = append(lines, prefix+": "+p.String())
	}
	return strings.Join(lines, "\n")
}

// problems collects Problems. Fields reported once are remembered as bad so a
// later, derived check on the same field does not report it a second time.
type problems struct {
	list []Problem
	bad  map[string]bool
}

// hint sets the Hint of the problem added last.
func (ps *problems) hint(h string) { ps.list[len(ps.list)-1].Hint = h }

func (ps *problems) add(field, expected, found string) {
	ps.list = append(ps.list, Problem{Field: field, Expected: expected, Found: found})
	if ps.bad == nil {
		ps.bad = make(map[string]bool)
	}
	ps.bad[field] = true
}

// isBad reports whether field, or a field it is part of, already has a
// problem.
func (ps *problems) isBad(field string) bool {
	for f := field; ; {
		if ps.bad[f] {
			return true
		}
		i := strings.LastIndexAny(f, ".[")
		if i < 0 {
			return false
		}
		f = f[:i]
	}
}

func (ps *problems) err(kind Kind) error {
	if len(ps.list) == 0 {
		return nil
	}
	return &ValidationError{Kind: kind, Problems: ps.list}
}

// maxFound bounds how much of a found value a message repeats, so one huge
// bad value does not flood the terminal.
const maxFound = 80

// quote renders an untrusted string for a message: double-quoted, with
// control, format and non-ASCII characters escaped, and cut after maxFound
// characters.
func quote(s string) string { return quoteMax(s, maxFound) }

// quoteMax is quote cutting after max characters.
func quoteMax(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return strconv.QuoteToASCII(s)
	}
	n := 0
	for i := range s {
		if n == max {
			return strconv.QuoteToASCII(s[:i]) + fmt.Sprintf("... (%d bytes in all)", len(s))
		}
		n++
	}
	return strconv.QuoteToASCII(s)
}

// isControl reports characters that must never appear in a bundle: C0 and C1
// controls and DEL, Unicode format characters (bidi overrides, zero-width
// characters, BOM) and line/paragraph separators, any of which can make a
// printed value look like something it is not.
func isControl(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) ||
		unicode.Is(unicode.Zl, r) || unicode.Is(unicode.Zp, r)
}

func hasControl(s string) bool {
	return strings.IndexFunc(s, isControl) >= 0
}

// plainKey matches object keys that can appear unquoted in a field path.
func plainKey(k string) bool {
	if k == "" {
		return false
	}
	for _, r := range k {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

// joinField appends key to a field path; unusual keys are quoted so a path
// is always safe to print.
func joinField(path, key string) string {
	if !plainKey(key) {
		key = quote(key)
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

func indexField(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}
