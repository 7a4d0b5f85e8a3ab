package handoff

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestInspectValid(t *testing.T) {
	for _, b := range []Bundle{testOffer(), testRequest()} {
		for enc, data := range map[Encoding][]byte{EncodingJSON: mustJSON(t, b), EncodingToken: []byte("```\n" + mustToken(t, b) + "\n```")} {
			in := Inspect(data, testNow)
			if !in.Valid() || in.Kind != b.Kind() || in.Encoding != enc || !reflect.DeepEqual(in.Bundle, b) || in.Fix() != "" {
				t.Errorf("%s %s: %+v", b.Kind(), enc, in)
			}
			if in.Fields[0] != (Field{"kind", `"` + string(b.Kind()) + `"`}) || in.Fields[1] != (Field{"version", "1"}) {
				t.Errorf("%s %s: first fields %v", b.Kind(), enc, in.Fields[:2])
			}
		}
	}
	in := Inspect(mustJSON(t, testOffer()), testNow)
	want := map[string]string{
		"availabilityZones[1].azId": `"use1-az2"`, "ports[0]": "443", "acceptanceRequired": "true", "privateDnsState": `"verified"`,
	}
	for _, f := range in.Fields {
		if v, ok := want[f.Path]; ok && v != f.Value {
			t.Errorf("%s = %s, want %s", f.Path, f.Value, v)
		}
		delete(want, f.Path)
	}
	if len(want) > 0 {
		t.Errorf("fields missing: %v", want)
	}
}

// TestInspectInvalid: every field is shown even when the bundle is wrong,
// with the problems Decode reports and what to do.
func TestInspectInvalid(t *testing.T) {
	r := testRequest()
	data := edit(t, r, both(set("endpointIds", []any{"vpce-123", 7, nil, []any{}}), set("note", "hi\x1b[2J"), del("serviceId")))
	in := Inspect([]byte(data), testNow)
	_, err := Decode([]byte(data), testNow)
	if in.Valid() || in.Kind != KindRequest || in.Encoding != EncodingJSON || in.Bundle != nil || err == nil {
		t.Fatalf("%+v, %v", in, err)
	}
	if got := (&ValidationError{Kind: in.Kind, Problems: in.Problems}).Error(); got != err.Error() {
		t.Errorf("problems differ from Decode's:\n%s\nwant\n%s", got, err)
	}
	for _, f := range []Field{{"endpointIds[0]", `"vpce-123"`}, {"endpointIds[1]", "7"}, {"endpointIds[2]", "null"}, {"endpointIds[3]", "[]"}, {"note", `"hi\x1b[2J"`}} {
		found := false
		for _, g := range in.Fields {
			found = found || g == f
		}
		if !found {
			t.Errorf("field %v not listed in %v", f, in.Fields)
		}
	}
	if !strings.HasPrefix(in.Fix(), "Ask the consumer for the request again") {
		t.Errorf("fix %q", in.Fix())
	}
	cut := Inspect([]byte(mustToken(t, testOffer())[:101]), testNow)
	if cut.Kind != KindOffer || cut.Encoding != EncodingToken || len(cut.Fields) != 0 || len(cut.Problems) != 1 || cut.Problems[0].Hint != hintCopyAgain {
		t.Errorf("cut token: %+v", cut)
	}
	if g := Inspect([]byte("hello"), testNow); g.Kind != "" || g.Encoding != "" || !strings.HasPrefix(g.Fix(), "Give the file the other party sent") {
		t.Errorf("garbage: %+v", g)
	}
}

func TestInspectFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "offer.json")
	if err := WriteFile(path, testOffer()); err != nil {
		t.Fatal(err)
	}
	if in, err := InspectFile(path, testNow); err != nil || !in.Valid() {
		t.Errorf("InspectFile: %+v, %v", in, err)
	}
	if _, err := InspectFile(filepath.Join(dir, "nope.json"), testNow); err == nil || err.Error() != "read "+filepath.Join(dir, "nope.json")+": no such file or directory" {
		t.Errorf("missing file: %v", err)
	}
	if _, err := InspectFile(dir, testNow); err == nil || !strings.HasSuffix(err.Error(), ": not a regular file") {
		t.Errorf("directory: %v", err)
	}
	big := filepath.Join(dir, "big.json")
	if err := os.WriteFile(big, make([]byte, MaxSize+1), 0o600); err != nil {
		t.Fatal(err)
	}
	if in, err := InspectFile(big, testNow); err != nil || in.Valid() || in.Problems[0].Found != "65537 bytes" {
		t.Errorf("large file: %+v, %v", in, err)
	}
}
