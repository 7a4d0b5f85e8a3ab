package handoff

import (
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"time"

	"github.com/plwiz/plwiz/awsid"
)

// Encoding is how a bundle was written.
type Encoding string

// The two encodings.
const (
	EncodingJSON  Encoding = "json"
	EncodingToken Encoding = "token"
)

// Field is one value an input holds, for a person to read.
type Field struct {
	// Path names the field as a Problem does: "serviceId",
	// "availabilityZones[0].azId"; "" for an input that is not an object.
	Path string
	// Value is the value as written, safe to print: a string quoted with
	// control and non-ASCII characters escaped (and cut when long), a
	// number, true, false, null, [] or {}.
	Value string
}

// Inspection is everything Inspect found in an input, valid or not.
type Inspection struct {
	// Kind is the bundle's kind, or "" when the input could not be told to
	// be either.
	Kind Kind
	// Encoding is how the input was written, or "" when it is neither.
	Encoding Encoding
	// Fields are every field the input holds, nested ones by path, in the
	// order they are written.
	Fields []Field
	// Problems are what Decode would report, all of them.
	Problems []Problem
	// Bundle is the decoded bundle when there are no problems.
	Bundle Bundle
}

// Valid reports whether the input is a bundle Decode accepts.
func (in Inspection) Valid() bool { return len(in.Problems) == 0 }

// Fix says what to do about an invalid input: who can make a good one.
func (in Inspection) Fix() string {
	switch {
	case in.Valid():
		return ""
	case in.Kind == KindOffer:
		return "Ask the provider for the offer again: plwiz provider --resume shows it at \"Export the offer\", as a file and as a token. " +
			"If the file was edited by hand, give each field what is expected."
	case in.Kind == KindRequest:
		return "Ask the consumer for the request again: plwiz consumer --resume shows it at \"Export the request\", as a file and as a token. " +
			"If the file was edited by hand, give each field what is expected."
	}
	return "Give the file the other party sent, or their whole token, from " + TokenPrefix + " to its last character. " +
		"plwiz reads offers (provider to consumer) and requests (consumer to provider)."
}

// Inspect decodes and checks data as Decode does, and also returns every
// field it holds, so a person can see what is in a bundle and what is wrong
// with it, without importing it. now is as for Decode.
func Inspect(data []byte, now time.Time) Inspection {
	var d decoding
	kind, b := d.decode(data, now)
	in := Inspection{Kind: kind, Encoding: d.encoding, Problems: d.ps.list, Bundle: b}
	if d.root != nil {
		in.Fields = flatten(d.root, "", nil)
	}
	return in
}

// InspectFile is Inspect of the file at path, read as ReadFile reads it. An
// error means the file could not be read at all; it names the path.
func InspectFile(path string, now time.Time) (Inspection, error) {
	data, err := readCapped(path)
	if err != nil {
		var ve *ValidationError
		if errors.As(err, &ve) {
			// Too large: a problem with the input, not a failure to read.
			return Inspection{Problems: ve.Problems}, nil
		}
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return Inspection{}, fmt.Errorf("read %s: %w", displayPath(path), err)
	}
	return Inspect(data, now), nil
}

// maxShown bounds a field's value as shown: the longest valid value, an
// ARN, fits whole; a huge bad one does not flood the terminal.
const maxShown = awsid.MaxARN

// flatten lists the leaves of a JSON tree under path.
func flatten(n *node, path string, out []Field) []Field {
	switch n.typ {
	case nObject:
		if len(n.keys) == 0 {
			return append(out, Field{Path: path, Value: "{}"})
		}
		for i, k := range n.keys {
			out = flatten(n.vals[i], joinField(path, k), out)
		}
		return out
	case nArray:
		if len(n.vals) == 0 {
			return append(out, Field{Path: path, Value: "[]"})
		}
		for i, v := range n.vals {
			out = flatten(v, indexField(path, i), out)
		}
		return out
	case nString:
		return append(out, Field{Path: path, Value: quoteMax(n.text, maxShown)})
	case nNumber:
		// A number's literal is plain ASCII; only its length needs bounds.
		v := n.text
		if len(v) > maxShown {
			v = v[:maxShown] + "... (" + strconv.Itoa(len(n.text)) + " characters in all)"
		}
		return append(out, Field{Path: path, Value: v})
	case nBool:
		return append(out, Field{Path: path, Value: strconv.FormatBool(n.b)})
	}
	return append(out, Field{Path: path, Value: "null"})
}
