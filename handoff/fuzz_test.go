package handoff

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// FuzzDecode: Decode never panics; what it rejects comes with a message
// that is safe to print; what it accepts re-encodes, both ways, to something
// that decodes to the same bundle.
func FuzzDecode(f *testing.F) {
	golden, err := filepath.Glob(filepath.Join("testdata", "*.golden"))
	if err != nil || len(golden) == 0 {
		f.Fatalf("no golden files to seed from: %v", err)
	}
	for _, path := range golden {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
		s := strings.TrimSpace(string(data))
		f.Add([]byte("```\n" + wrapEvery(s, 60, "\n") + "\n```"))
		f.Add([]byte(`"` + s + `"`))
		f.Add([]byte("> " + wrapEvery(s, 50, "\n> ")))
		f.Add([]byte(s[:20] + "\x1b[0m" + s[20:]))
	}
	f.Add([]byte(""))
	f.Add([]byte("{}"))
	f.Add([]byte(`{"kind":"offer","version":1,"kind":"offer"}`))
	f.Add([]byte("plwiz1.offer."))
	f.Add([]byte("plwiz2.request.e30"))

	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := Decode(data, testNow)
		// Inspect agrees with Decode and shows nothing unsafe.
		in := Inspect(data, testNow)
		if in.Valid() != (err == nil) || !reflect.DeepEqual(in.Bundle, b) {
			t.Fatalf("Inspect valid=%t bundle %#v; Decode %#v, %v", in.Valid(), in.Bundle, b, err)
		}
		for _, fl := range in.Fields {
			if hasControl(fl.Path) || hasControl(fl.Value) {
				t.Fatalf("field %q = %q holds a control character", fl.Path, fl.Value)
			}
		}
		if err != nil {
			if b != nil {
				t.Fatalf("Decode returned a bundle with an error: %v", err)
			}
			var ve *ValidationError
			if !errors.As(err, &ve) || len(ve.Problems) == 0 {
				t.Fatalf("error %v (%T) is not a ValidationError with problems", err, err)
			}
			for _, line := range strings.Split(err.Error(), "\n") {
				if hasControl(line) {
					t.Fatalf("error message holds a control character: %q", line)
				}
			}
			return
		}
		// Every other entry cleans with Clean first: it must take what
		// Decode took, to the same bundle.
		cleaned, err := Clean(string(data))
		if err != nil || !IsInline(cleaned) {
			t.Fatalf("Decode accepted what Clean makes %q, %v of", cleaned, err)
		}
		if again, err := Decode([]byte(cleaned), testNow); err != nil || !reflect.DeepEqual(again, b) {
			t.Fatalf("Decode(Clean(data)) = %#v, %v; want %#v", again, err, b)
		}
		js, err := EncodeJSON(b)
		if err != nil {
			t.Fatalf("accepted bundle does not encode as JSON: %v\n%#v", err, b)
		}
		tok, err := EncodeToken(b)
		if err != nil {
			t.Fatalf("accepted bundle does not encode as a token: %v\n%#v", err, b)
		}
		for _, enc := range [][]byte{js, []byte(tok)} {
			again, err := Decode(enc, testNow)
			if err != nil {
				t.Fatalf("re-encoded bundle does not decode: %v\n%s", err, enc)
			}
			if !reflect.DeepEqual(again, b) {
				t.Fatalf("re-encoded bundle decodes differently:\ngot  %#v\nwant %#v", again, b)
			}
		}
	})
}
