package handoff

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/runenames"
)

// form is what a cleaned input is.
type form int

const (
	formOther form = iota // neither a token nor JSON: a file path, or garbage
	formToken             // a token, on one line
	formJSON              // a JSON bundle
)

// Clean undoes what chat clients, terminals and people do to a bundle, or a
// reference to one, that is pasted or typed: whitespace and a byte-order
// mark around it, a Markdown code fence (``` or ~~~, with or without a
// language tag) or inline backticks, straight or curly quotes, the "> " of
// a chat quote on every line, and — inside a token — line breaks, spaces
// and the zero-width characters chat clients insert. It returns a token on
// one line, a JSON bundle, or (anything else) the text trimmed, taken to be
// a file path.
//
// Every entry that takes a bundle uses it: a flag, a file's content, a
// value typed or pasted in the wizard, plwiz inspect. A control character
// that is not whitespace (the ESC of a terminal escape sequence, a bidi
// override) is never forgiven: the *ValidationError names it by code point
// and byte offset, as does a line break in a file path.
func Clean(s string) (string, error) {
	var ps problems
	text, f := clean(s, &ps)
	if err := ps.err(tokenKindOf(text)); err != nil {
		return "", err
	}
	if f == formOther {
		if at, r, ok := firstRune(text, isControl); ok {
			ps.add("", "a file path without control characters", describeAt(r, offsetIn(s, text)+at))
			return "", ps.err("")
		}
	}
	return text, nil
}

// IsInline reports whether text, as Clean returns it, is a bundle itself (a
// token or JSON) rather than the path of a file holding one.
func IsInline(text string) bool {
	return strings.HasPrefix(text, "{") || hasTokenPrefix(text)
}

// clean is Clean's work, shared with Decode: the unwrapped text and its
// form. Problems go to ps.
func clean(s string, ps *problems) (string, form) {
	if !utf8.ValidString(s) {
		ps.add("", "UTF-8 text", fmt.Sprintf("invalid UTF-8 at byte %d", invalidUTF8At([]byte(s))))
		return "", formOther
	}
	t := unwrap(s)
	switch {
	case strings.HasPrefix(t, "{"):
		// Control characters in JSON are the parser's and the field
		// checks' to report, with the field they are in.
		return t, formJSON
	case !hasTokenPrefix(t):
		return t, formOther
	}
	// Whitespace and zero-width characters cannot be part of a token;
	// anything else that is invisible or a control is a real problem.
	// Wrappers hold no such character, so scanning all of s gives offsets
	// in what the user gave.
	if at, r, ok := firstRune(s, func(r rune) bool { return isControl(r) && !droppable(r) }); ok {
		ps.add("token", "a token without control characters (was a terminal's escape sequence copied with it? copy the token again)", describeAt(r, at))
		return t, formToken
	}
	t = strings.Map(func(r rune) rune {
		if droppable(r) {
			return -1
		}
		return r
	}, t)
	// A sentence may end right after the token.
	return strings.TrimRight(t, ".,;:!?"), formToken
}

// droppable are the characters a copy or a chat client puts inside a
// token: line breaks, spaces, and zero-width characters (ZWSP, ZWNJ, ZWJ,
// word joiner, BOM, soft hyphen).
func droppable(r rune) bool {
	switch r {
	case '\u200b', '\u200c', '\u200d', '\u2060', '\ufeff', '\u00ad':
		return true
	}
	return unicode.IsSpace(r) && r != '\u0085' // NEL is a C1 control
}

// chatQuotes are what chat clients and people put around a pasted token:
// straight and curly quotes, guillemets, backticks, angle brackets.
const chatQuotes = "`'\"\u2018\u2019\u201c\u201d\u00ab\u00bb<>"

// unwrap strips the wrappers Clean lists, outside in, as many layers as
// there are (a chat quote of a code fence of a quoted token).
func unwrap(s string) string {
	s = strings.TrimPrefix(strings.TrimSpace(s), "\ufeff")
	for {
		t := unwrapOnce(s)
		if t == s {
			return s
		}
		s = t
	}
}

// unwrapOnce takes off the outermost layer: a chat quote, a code fence, or
// the quotes and whitespace around the text.
func unwrapOnce(s string) string {
	s = strings.TrimSpace(s)
	if t := unquoteChat(s); t != s {
		return t
	}
	for _, fence := range []string{"```", "~~~"} {
		if rest, ok := strings.CutPrefix(s, fence); ok {
			rest = strings.TrimLeft(rest, fence[:1])
			// A language tag ("```text") ends at the first line break.
			if i := strings.IndexByte(rest, '\n'); i >= 0 && !strings.ContainsAny(rest[:i], "{.") {
				rest = rest[i+1:]
			}
			return strings.TrimRight(strings.TrimSpace(rest), fence[:1])
		}
	}
	return strings.Trim(s, " \t\r\n"+chatQuotes)
}

// unquoteChat removes the "> " a chat or an e-mail puts before each quoted
// line, as many levels as there are, when every non-blank line has one.
func unquoteChat(s string) string {
	for {
		lines := strings.Split(s, "\n")
		quoted := false
		for _, l := range lines {
			l = strings.TrimSpace(l)
			if l == "" {
				continue
			}
			if !strings.HasPrefix(l, ">") {
				return s
			}
			quoted = true
		}
		if !quoted {
			return s
		}
		for i, l := range lines {
			l = strings.TrimPrefix(strings.TrimLeft(l, " \t"), ">")
			lines[i] = strings.TrimPrefix(l, " ")
		}
		s = strings.TrimSpace(strings.Join(lines, "\n"))
	}
}

// hasTokenPrefix reports whether s starts like a token of any format
// version, "plwiz" and a digit, in any case (a phone may capitalise it).
func hasTokenPrefix(s string) bool {
	const p = "plwiz"
	return len(s) > len(p) && strings.EqualFold(s[:len(p)], p) && s[len(p)] >= '0' && s[len(p)] <= '9'
}

// firstRune finds the first rune of s for which bad is true.
func firstRune(s string, bad func(rune) bool) (at int, r rune, ok bool) {
	for i, r := range s {
		if bad(r) {
			return i, r, true
		}
	}
	return 0, 0, false
}

// offsetIn returns where sub, a substring of s, starts in s.
func offsetIn(s, sub string) int {
	if i := strings.Index(s, sub); i >= 0 {
		return i
	}
	return 0
}

// describeAt names a character and where it is: "U+001B ESCAPE at byte 12".
func describeAt(r rune, at int) string {
	return fmt.Sprintf("%s at byte %d", DescribeRune(r), at)
}

// DescribeRune names a character by code point and name, "U+001B ESCAPE",
// so a message about one that cannot be shown (a control, an invisible
// format character) still says which it is.
func DescribeRune(r rune) string {
	name := runenames.Name(r)
	if n, ok := controlNames[r]; ok {
		name = n
	}
	if name == "" || strings.HasPrefix(name, "<") {
		return fmt.Sprintf("%U", r)
	}
	return fmt.Sprintf("%U %s", r, name)
}

// quoteRune quotes a character for a message, with its code point and
// name when it is not printable ASCII: "!", or "\u2013" (U+2013 EN DASH).
func quoteRune(r rune) string {
	if r > 0x20 && r < 0x7f {
		return quote(string(r))
	}
	return quote(string(r)) + " (" + DescribeRune(r) + ")"
}

// expNoControl and foundControl are the message for a value holding a
// control character: the value, escaped, and the character, named.
const expNoControl = "text without control characters"

func foundControl(s string) string {
	return quote(s) + " (" + DescribeControl(s) + ")"
}

// DescribeControl names the first control or invisible format character in
// s and where it is ("U+001B ESCAPE at byte 12"), or returns "" when there
// is none.
func DescribeControl(s string) string {
	if at, r, ok := firstRune(s, isControl); ok {
		return describeAt(r, at)
	}
	return ""
}

// controlNames are the names Unicode gives the C0 and C1 controls and DEL
// as aliases (NameAliases.txt); their character names are empty.
var controlNames = map[rune]string{
	0x00: "NULL", 0x01: "START OF HEADING", 0x02: "START OF TEXT", 0x03: "END OF TEXT",
	0x04: "END OF TRANSMISSION", 0x05: "ENQUIRY", 0x06: "ACKNOWLEDGE", 0x07: "ALERT",
	0x08: "BACKSPACE", 0x09: "CHARACTER TABULATION", 0x0a: "LINE FEED", 0x0b: "LINE TABULATION",
	0x0c: "FORM FEED", 0x0d: "CARRIAGE RETURN", 0x0e: "SHIFT OUT", 0x0f: "SHIFT IN",
	0x10: "DATA LINK ESCAPE", 0x11: "DEVICE CONTROL ONE", 0x12: "DEVICE CONTROL TWO", 0x13: "DEVICE CONTROL THREE",
	0x14: "DEVICE CONTROL FOUR", 0x15: "NEGATIVE ACKNOWLEDGE", 0x16: "SYNCHRONOUS IDLE", 0x17: "END OF TRANSMISSION BLOCK",
	0x18: "CANCEL", 0x19: "END OF MEDIUM", 0x1a: "SUBSTITUTE", 0x1b: "ESCAPE",
	0x1c: "INFORMATION SEPARATOR FOUR", 0x1d: "INFORMATION SEPARATOR THREE", 0x1e: "INFORMATION SEPARATOR TWO", 0x1f: "INFORMATION SEPARATOR ONE",
	0x7f: "DELETE",
	0x80: "PADDING CHARACTER", 0x81: "HIGH OCTET PRESET", 0x82: "BREAK PERMITTED HERE", 0x83: "NO BREAK HERE",
	0x84: "INDEX", 0x85: "NEXT LINE", 0x86: "START OF SELECTED AREA", 0x87: "END OF SELECTED AREA",
	0x88: "CHARACTER TABULATION SET", 0x89: "CHARACTER TABULATION WITH JUSTIFICATION", 0x8a: "LINE TABULATION SET", 0x8b: "PARTIAL LINE FORWARD",
	0x8c: "PARTIAL LINE BACKWARD", 0x8d: "REVERSE LINE FEED", 0x8e: "SINGLE SHIFT TWO", 0x8f: "SINGLE SHIFT THREE",
	0x90: "DEVICE CONTROL STRING", 0x91: "PRIVATE USE ONE", 0x92: "PRIVATE USE TWO", 0x93: "SET TRANSMIT STATE",
	0x94: "CANCEL CHARACTER", 0x95: "MESSAGE WAITING", 0x96: "START OF GUARDED AREA", 0x97: "END OF GUARDED AREA",
	0x98: "START OF STRING", 0x99: "SINGLE GRAPHIC CHARACTER INTRODUCER", 0x9a: "SINGLE CHARACTER INTRODUCER", 0x9b: "CONTROL SEQUENCE INTRODUCER",
	0x9c: "STRING TERMINATOR", 0x9d: "OPERATING SYSTEM COMMAND", 0x9e: "PRIVACY MESSAGE", 0x9f: "APPLICATION PROGRAM COMMAND",
}
