package handoff

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// The decoder parses JSON into a small tree first and reads fields from it,
// instead of json.Unmarshal into structs, because encoding/json matches keys
// case-insensitively, keeps the last of duplicate keys and stops at the first
// type error. Reading from a tree lets it match keys exactly, reject
// duplicates and report every problem at once.

type nodeType int

const (
	nString nodeType = iota
	nNumber
	nBool
	nNull
	nObject
	nArray
)

type node struct {
	typ  nodeType
	text string // string value, or the literal of a number
	b    bool
	keys []string // object keys, in input order, parallel to vals
	vals []*node  // object values or array elements
}

// describe says what a node is, for the "found" part of a message.
func (n *node) describe() string {
	switch n.typ {
	case nString:
		return "the string " + quote(n.text)
	case nNumber:
		return "the number " + n.text
	case nBool:
		return strconv.FormatBool(n.b)
	case nNull:
		return "null"
	case nObject:
		return "an object"
	default:
		return "a list"
	}
}

// maxDepth is far deeper than any bundle needs; it bounds recursion on
// hostile input.
const maxDepth = 16

// parseTree parses one JSON value from data, requiring nothing but
// whitespace after it. Duplicate keys are reported to ps and the first value
// is kept. A nil node means the input is not JSON at all (reported to ps).
// fromToken says the JSON came out of a token, so JSON that ends early means
// the token was cut short.
func parseTree(data []byte, fromToken bool, ps *problems) *node {
	// JSON allows no raw C0 control but whitespace, in a string or out;
	// the decoder's own message would not say which nor exactly where.
	if i := bytes.IndexFunc(data, func(r rune) bool { return r < 0x20 && r != '\t' && r != '\n' && r != '\r' }); i >= 0 {
		ps.add("", "valid JSON, without control characters", describeAt(rune(data[i]), i))
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	n, err := parseValue(dec, "", 0, ps)
	if err == nil {
		end := int(dec.InputOffset())
		if _, terr := dec.Token(); terr != io.EOF {
			rest := data[end:]
			at := end + len(rest) - len(bytes.TrimLeft(rest, " \t\r\n"))
			ps.add("", "nothing after the JSON object", fmt.Sprintf("more data at byte %d", at))
			return nil
		}
		return n
	}
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		ps.add("", "valid JSON", fmt.Sprintf("%s (at byte %d)", sanitize(se.Error()), se.Offset))
	case (errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)) && fromToken:
		ps.add("token", "a whole token", "one cut short (was it copied whole?)")
		ps.hint(hintCopyAgain)
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		ps.add("", "valid JSON", "the input ends before the JSON does")
	default:
		ps.add("", "valid JSON", sanitize(err.Error()))
	}
	return nil
}

var errTooDeep = errors.New("objects or lists nested too deeply")

func parseValue(dec *json.Decoder, path string, depth int, ps *problems) (*node, error) {
	if depth > maxDepth {
		return nil, errTooDeep
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case string:
		return &node{typ: nString, text: t}, nil
	case json.Number:
		return &node{typ: nNumber, text: string(t)}, nil
	case bool:
		return &node{typ: nBool, b: t}, nil
	case nil:
		return &node{typ: nNull}, nil
	case json.Delim:
		if t == '[' {
			n := &node{typ: nArray}
			for i := 0; dec.More(); i++ {
				v, err := parseValue(dec, indexField(path, i), depth+1, ps)
				if err != nil {
					return nil, err
				}
				n.vals = append(n.vals, v)
			}
			_, err := dec.Token() // ']'
			return n, err
		}
		n := &node{typ: nObject}
		seen := make(map[string]bool)
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return nil, err
			}
			k, _ := kt.(string) // the decoder only yields string keys
			field := joinField(path, k)
			v, err := parseValue(dec, field, depth+1, ps)
			if err != nil {
				return nil, err
			}
			if seen[k] {
				ps.add(field, "each field once", quote(k)+" again")
				continue
			}
			seen[k] = true
			n.keys = append(n.keys, k)
			n.vals = append(n.vals, v)
		}
		_, err := dec.Token() // '}'
		return n, err
	}
	return nil, fmt.Errorf("unexpected JSON token %v", tok)
}

// sanitize makes an error text from a library safe to print.
func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if isControl(r) {
			return '?'
		}
		return r
	}, s)
}

// objReader reads the fields of one object node, remembering which were
// read so the rest can be reported as unknown.
type objReader struct {
	ps   *problems
	path string
	n    *node
	used map[string]bool
}

func newObjReader(ps *problems, path string, n *node) *objReader {
	return &objReader{ps: ps, path: path, n: n, used: make(map[string]bool)}
}

func (r *objReader) field(name string) string { return joinField(r.path, name) }

// get returns the value of key, reporting a problem when it is missing and
// required.
func (r *objReader) get(key string, required bool, expected string) *node {
	r.used[key] = true
	for i, k := range r.n.keys {
		if k == key {
			return r.n.vals[i]
		}
	}
	if required {
		r.ps.add(r.field(key), expected, "nothing (the field is missing)")
	}
	return nil
}

// str reads a string field; control characters are reported here, once,
// naming the field.
func (r *objReader) str(key string, required bool, expected string) string {
	v := r.get(key, required, expected)
	if v == nil {
		return ""
	}
	return r.ps.stringNode(r.field(key), v)
}

func (ps *problems) stringNode(field string, v *node) string {
	if v.typ != nString {
		ps.add(field, "a string", v.describe())
		return ""
	}
	if hasControl(v.text) {
		ps.add(field, expNoControl, foundControl(v.text))
		return ""
	}
	return v.text
}

func (ps *problems) intNode(field string, v *node) (int, bool) {
	if v.typ != nNumber {
		ps.add(field, "a whole number", v.describe())
		return 0, false
	}
	n, err := strconv.ParseInt(v.text, 10, 32)
	if err != nil {
		ps.add(field, "a whole number", v.describe())
		return 0, false
	}
	return int(n), true
}

func (r *objReader) boolean(key string) bool {
	v := r.get(key, true, "true or false")
	if v == nil {
		return false
	}
	if v.typ != nBool {
		r.ps.add(r.field(key), "true or false", v.describe())
		return false
	}
	return v.b
}

// list reads a field that must be a JSON list, returning its elements.
func (r *objReader) list(key string, required bool, expected string) []*node {
	v := r.get(key, required, expected)
	if v == nil {
		return nil
	}
	if v.typ != nArray {
		r.ps.add(r.field(key), "a list of "+expected, v.describe())
		return nil
	}
	if v.vals == nil {
		return []*node{} // present but empty: the validator reports it
	}
	return v.vals
}

func (r *objReader) strList(key string, required bool, expected string) []string {
	elems := r.list(key, required, expected)
	if elems == nil {
		return nil
	}
	out := make([]string, len(elems))
	for i, e := range elems {
		out[i] = r.ps.stringNode(indexField(r.field(key), i), e)
	}
	return out
}

// finish reports every key that was not read; what names the object for the
// message ("a version 1 offer").
func (r *objReader) finish(what string) {
	for _, k := range r.n.keys {
		if r.used[k] {
			continue
		}
		found := "an unknown field"
		if hasControl(k) {
			found += " whose name holds " + DescribeControl(k)
		}
		for u := range r.used {
			if strings.EqualFold(u, k) {
				found += " (did you mean " + strconv.Quote(u) + "?)"
				break
			}
		}
		// Added without marking the object bad, so its known fields are
		// still checked.
		r.ps.list = append(r.ps.list, Problem{Field: joinField(r.path, k), Expected: "only the fields of " + what, Found: found,
			Hint: "Remove the field: plwiz never writes it (was the file edited by hand?)."})
	}
}
