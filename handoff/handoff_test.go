package handoff

import (
	"bytes"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// testNow is the reader's clock in tests: a little after the fixtures were
// made.
var testNow = time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)

func testOffer() Offer {
	return Offer{
		ServiceName:      "com.amazonaws.vpce.us-east-1.vpce-svc-0a1b2c3d4e5f67890",
		ServiceID:        "vpce-svc-0a1b2c3d4e5f67890",
		Region:           "us-east-1",
		SupportedRegions: []string{"us-east-1", "us-west-2"},
		// The provider's AZ names: in the consumer's account use1-az1 may
		// well be called something else.
		ProviderAccountID: "111122223333",
		AvailabilityZones: []AZ{
			{ID: "use1-az1", Name: "us-east-1a"},
			{ID: "use1-az2", Name: "us-east-1b"},
			{ID: "use1-az4", Name: "us-east-1c"},
		},
		Ports:              []int{443},
		PrivateDNSName:     "api.example.com",
		PrivateDNSState:    DNSVerified,
		IPAddressTypes:     []IPAddressType{IPv4},
		AcceptanceRequired: true,
		CreatedAt:          time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC),
	}
}

func testRequest() Request {
	return Request{
		ServiceID:         "vpce-svc-0a1b2c3d4e5f67890",
		ConsumerAccountID: "444455556666",
		PrincipalARN:      "arn:aws:sts::444455556666:assumed-role/Admin/alice",
		EndpointIDs:       []string{"vpce-0123456789abcdef0"},
		ConsumerRegion:    "us-east-1",
		AZIDs:             []string{"use1-az1", "use1-az2"},
		ConsumerVPCCIDRs:  []string{"10.20.0.0/16", "2600:1f18:abcd:1200::/56"},
		CreatedAt:         time.Date(2026, 1, 15, 10, 5, 0, 0, time.UTC),
	}
}

func mustJSON(t testing.TB, b Bundle) []byte {
	t.Helper()
	js, err := EncodeJSON(b)
	if err != nil {
		t.Fatalf("EncodeJSON: %v", err)
	}
	return js
}

func mustToken(t testing.TB, b Bundle) string {
	t.Helper()
	tok, err := EncodeToken(b)
	if err != nil {
		t.Fatalf("EncodeToken: %v", err)
	}
	return tok
}

// checkGolden compares got with testdata/name, or rewrites it under -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run go test -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run go test -update if the change is intended)\ngot:\n%s\nwant:\n%s", name, got, want)
	}
}

func TestGolden(t *testing.T) {
	for _, b := range []Bundle{testOffer(), testRequest()} {
		kind := string(b.Kind())
		t.Run(kind+"/json", func(t *testing.T) {
			checkGolden(t, kind+".json.golden", mustJSON(t, b))
			got, err := Decode(readGolden(t, kind+".json.golden"), testNow)
			if err != nil {
				t.Fatalf("Decode golden file: %v", err)
			}
			if !reflect.DeepEqual(got, b) {
				t.Errorf("decoded golden file:\n%#v\nwant:\n%#v", got, b)
			}
		})
		t.Run(kind+"/token", func(t *testing.T) {
			tok := mustToken(t, b)
			if strings.ContainsAny(tok, " \t\r\n=") {
				t.Errorf("token %q is not one unpadded line", tok)
			}
			checkGolden(t, kind+".token.golden", []byte(tok+"\n"))
			got, err := Decode(readGolden(t, kind+".token.golden"), testNow)
			if err != nil {
				t.Fatalf("Decode golden token: %v", err)
			}
			if !reflect.DeepEqual(got, b) {
				t.Errorf("decoded golden token:\n%#v\nwant:\n%#v", got, b)
			}
		})
	}
}

func readGolden(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestChatPaste decodes tokens the way chat clients and people mangle them.
func TestChatPaste(t *testing.T) {
	for _, b := range []Bundle{testOffer(), testRequest()} {
		tok := mustToken(t, b)
		wrapped := wrapEvery(tok, 40, "\n")
		cases := map[string]string{
			"plain":                tok,
			"surrounding space":    "  \n\t" + tok + " \n\n",
			"backticks":            "`" + tok + "`",
			"double quotes":        `"` + tok + `"`,
			"single quotes":        "'" + tok + "'",
			"curly quotes":         "\u201c" + tok + "\u201d",
			"code fence":           "```\n" + tok + "\n```",
			"fence with language":  "```text\n" + tok + "\n```\n",
			"fence on one line":    "```" + tok + "```",
			"wrapped lines":        wrapped,
			"wrapped CRLF":         wrapEvery(tok, 50, "\r\n"),
			"wrapped and indented": wrapEvery(tok, 30, "\n    "),
			"zero-width spaces":    wrapEvery(tok, 25, "\u200b"),
			"capitalised":          "P" + tok[1:],
			"sentence full stop":   tok + ".",
			"BOM":                  "\ufeff" + tok,
			"chat quote":           "> " + wrapEvery(tok, 40, "\n> "),
			"nested chat quote":    ">> " + wrapEvery(tok, 40, "\n>> ") + "\n>",
			"quoted code fence":    "> ```\n> " + wrapEvery(tok, 60, "\n> ") + "\n> ```",
			"fenced chat quote":    "```\n> " + wrapEvery(tok, 60, "\n> ") + "\n```",
			"quoted in a fence":    "```\n\"" + wrapped + "\"\n```",
			"tilde fence":          "~~~\n" + wrapped + "\n~~~",
			"inline code wrapped":  "`" + wrapped + "`",
			"guillemets":           "\u00ab" + tok + "\u00bb",
			"soft hyphens":         wrapEvery(tok, 33, "\u00ad"),
			"no-break spaces":      wrapEvery(tok, 33, "\u00a0"),
			"JSON in a fence":      "```json\n" + string(mustJSON(t, b)) + "```",
			"JSON in a chat quote": "> " + strings.ReplaceAll(strings.TrimSpace(string(mustJSON(t, b))), "\n", "\n> "),
		}
		for name, pasted := range cases {
			t.Run(string(b.Kind())+"/"+name, func(t *testing.T) {
				got, err := Decode([]byte(pasted), testNow)
				if err != nil {
					t.Fatalf("Decode(%q): %v", pasted, err)
				}
				if !reflect.DeepEqual(got, b) {
					t.Errorf("got %#v, want %#v", got, b)
				}
				// Clean, which every other entry uses, forgives the same.
				cleaned, err := Clean(pasted)
				if err != nil || !IsInline(cleaned) {
					t.Fatalf("Clean(%q) = %q, %v; want a bundle", pasted, cleaned, err)
				}
				if again, err := Decode([]byte(cleaned), testNow); err != nil || !reflect.DeepEqual(again, b) {
					t.Errorf("Decode(Clean(%q)) = %#v, %v", pasted, again, err)
				}
			})
		}
	}
}

// TestCleanReferences: what Clean makes of file paths, and what it refuses
// in tokens and paths, naming the character.
func TestCleanReferences(t *testing.T) {
	tok := mustToken(t, testOffer())
	for in, want := range map[string]string{
		"offer.json":                 "offer.json",
		"  ./offer.json\n":           "./offer.json",
		`"/tmp/my offer.json"`:       "/tmp/my offer.json",
		"'/tmp/offer.json'":          "/tmp/offer.json",
		"`offer.json`":               "offer.json",
		"> offer.json":               "offer.json",
		"plwiz1.offer.abc\n  def.":   "plwiz1.offer.abcdef",
		"Plwiz1.Offer." + tok[13:20]: "Plwiz1.Offer." + tok[13:20],
		"":                           "",
	} {
		got, err := Clean(in)
		if err != nil || got != want {
			t.Errorf("Clean(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for in, want := range map[string]string{
		"offer\x1b[31m.json":         "handoff: expected a file path without control characters, found U+001B ESCAPE at byte 5",
		"  my\noffer.json":           "handoff: expected a file path without control characters, found U+000A LINE FEED at byte 4",
		"\"a\tb.json\"":              "handoff: expected a file path without control characters, found U+0009 CHARACTER TABULATION at byte 2",
		tok[:20] + "\x00" + tok[20:]: "offer: token: expected a token without control characters (was a terminal's escape sequence copied with it? copy the token again), found U+0000 NULL at byte 20",
		"\u009bplwiz1.request.x":     "handoff: expected a file path without control characters, found U+009B CONTROL SEQUENCE INTRODUCER at byte 0",
		"offer.json\xff":             "handoff: expected UTF-8 text, found invalid UTF-8 at byte 10",
	} {
		got, err := Clean(in)
		if err == nil || err.Error() != want {
			t.Errorf("Clean(%q) = %q, %v; want error %q", in, got, err, want)
		}
	}
}

func TestDescribeRune(t *testing.T) {
	for r, want := range map[rune]string{
		0x1b: "U+001B ESCAPE", 0x7f: "U+007F DELETE", 0x85: "U+0085 NEXT LINE", 0x200b: "U+200B ZERO WIDTH SPACE",
		0x202e: "U+202E RIGHT-TO-LEFT OVERRIDE", 'é': "U+00E9 LATIN SMALL LETTER E WITH ACUTE", 0xe000: "U+E000",
	} {
		if got := DescribeRune(r); got != want {
			t.Errorf("DescribeRune(%U) = %q, want %q", r, got, want)
		}
	}
	if got := DescribeControl("ok\u2066x"); got != "U+2066 LEFT-TO-RIGHT ISOLATE at byte 2" {
		t.Errorf("DescribeControl = %q", got)
	}
	if got := DescribeControl("fine"); got != "" {
		t.Errorf("DescribeControl(fine) = %q", got)
	}
}

func wrapEvery(s string, n int, sep string) string {
	var parts []string
	for len(s) > n {
		parts = append(parts, s[:n])
		s = s[n:]
	}
	return strings.Join(append(parts, s), sep)
}

func TestDecodeKindSpecific(t *testing.T) {
	o, err := DecodeOffer(mustJSON(t, testOffer()), testNow)
	if err != nil || !reflect.DeepEqual(o, testOffer()) {
		t.Errorf("DecodeOffer(offer) = %v, %v", o, err)
	}
	r, err := DecodeRequest([]byte(mustToken(t, testRequest())), testNow)
	if err != nil || !reflect.DeepEqual(r, testRequest()) {
		t.Errorf("DecodeRequest(request) = %v, %v", r, err)
	}
	_, err = DecodeOffer([]byte(mustToken(t, testRequest())), testNow)
	wantErr(t, err, `request: kind: expected an offer, found a request`)
	_, err = DecodeRequest(mustJSON(t, testOffer()), testNow)
	wantErr(t, err, `offer: kind: expected a request, found an offer`)
}

func wantErr(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %q", want)
	}
	if err.Error() != want {
		t.Errorf("error:\n%s\nwant:\n%s", err, want)
	}
}

func TestEncodeRefusesInvalid(t *testing.T) {
	o := testOffer()
	o.Ports = []int{0}
	_, err := EncodeJSON(o)
	wantErr(t, err, "offer: ports[0]: expected a port from 1 to 65535, found 0")
	_, err = EncodeToken(&o)
	wantErr(t, err, "offer: ports[0]: expected a port from 1 to 65535, found 0")
	var ve *ValidationError
	if !errors.As(err, &ve) || len(ve.Problems) != 1 || ve.Problems[0].Field != "ports[0]" {
		t.Errorf("error is not one ValidationError problem on ports[0]: %#v", err)
	}

	r := testRequest()
	r.CreatedAt = time.Time{}
	_, err = EncodeJSON(r)
	wantErr(t, err, "request: createdAt: expected the time the bundle was made, found no time")

	_, err = EncodeJSON(nil)
	if err == nil {
		t.Error("EncodeJSON(nil) succeeded")
	}
	var nilOffer *Offer
	if _, err := EncodeToken(nilOffer); err == nil {
		t.Error("EncodeToken((*Offer)(nil)) succeeded")
	}
}

// The encoders write a time in any zone as UTC, and the clock check is the
// reader's: a bundle made "in the future" encodes but does not decode.
func TestEncodeTimes(t *testing.T) {
	o := testOffer()
	o.CreatedAt = time.Date(2026, 1, 15, 11, 0, 0, 5, time.FixedZone("CET", 3600))
	js := mustJSON(t, o)
	if !bytes.Contains(js, []byte(`"createdAt": "2026-01-15T10:00:00.000000005Z"`)) {
		t.Errorf("createdAt not written in UTC:\n%s", js)
	}
	got, err := DecodeOffer(js, testNow)
	if err != nil || !got.CreatedAt.Equal(o.CreatedAt) {
		t.Errorf("DecodeOffer = %v, %v; want createdAt %v", got.CreatedAt, err, o.CreatedAt)
	}

	o.CreatedAt = testNow.Add(48 * time.Hour)
	js = mustJSON(t, o)
	_, err = Decode(js, testNow)
	wantErr(t, err, "offer: createdAt: expected a time no later than 2026-01-16T12:00:00Z, a day after this computer's clock (is one of the clocks wrong?), found 2026-01-17T12:00:00Z")
}

// A token whose prefix names one kind must carry that kind.
func TestTokenKindMismatch(t *testing.T) {
	js, err := encode(testRequest(), false)
	if err != nil {
		t.Fatal(err)
	}
	tok := "plwiz1.offer." + base64.RawURLEncoding.EncodeToString(js)
	_, err = Decode([]byte(tok), testNow)
	wantErr(t, err, `offer: kind: expected "offer", as the token's plwiz1.offer. prefix says, found "request"`)
}

func TestValidationErrorLists(t *testing.T) {
	e := &ValidationError{Kind: KindRequest, Problems: []Problem{
		{Field: "serviceId", Expected: "x", Found: `"y"`},
		{Expected: "a", Found: "b"},
	}}
	want := "request: serviceId: expected x, found \"y\"\nrequest: expected a, found b"
	if e.Error() != want {
		t.Errorf("Error() = %q, want %q", e.Error(), want)
	}
	e.Kind = ""
	if got := e.Error(); !strings.HasPrefix(got, "handoff: serviceId") {
		t.Errorf("Error() without kind = %q", got)
	}
}

// A file full of junk gives a message of bounded length that says how much
// was left out.
func TestValidationErrorManyProblems(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"kind": "request", "version": 1`)
	for i := range 100 {
		fmt.Fprintf(&b, `, "junk%d": 1`, i)
	}
	b.WriteString("}")
	_, err := Decode([]byte(b.String()), testNow)
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("Decode: %v, want a ValidationError", err)
	}
	// 7 missing fields and 100 unknown ones.
	if len(ve.Problems) != 107 {
		t.Errorf("%d problems, want 107", len(ve.Problems))
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 21 || lines[20] != "request: and 87 more problems" {
		t.Errorf("message has %d lines, ending %q; want 21 ending with the count left out", len(lines), lines[len(lines)-1])
	}
	if lines[0] != "request: serviceId: expected vpce-svc-<8 or 17 hex digits>, found nothing (the field is missing)" {
		t.Errorf("first line %q", lines[0])
	}
}

func TestQuote(t *testing.T) {
	for in, want := range map[string]string{
		"plain":                 `"plain"`,
		"esc\x1b[31mred":        `"esc\x1b[31mred"`,
		"bidi\u202eevil":        `"bidi\u202eevil"`,
		"tab\there":             `"tab\there"`,
		strings.Repeat("a", 81): `"` + strings.Repeat("a", 80) + `"... (81 bytes in all)`,
	} {
		if got := quote(in); got != want {
			t.Errorf("quote(%q) = %s, want %s", in, got, want)
		}
	}
}

// TestRequestWithoutCIDRsImports: a request made before plwiz wrote the
// consumer VPC's CIDR blocks (the field absent) still imports, with none.
func TestRequestWithoutCIDRsImports(t *testing.T) {
	old := testRequest()
	old.ConsumerVPCCIDRs = nil
	js := mustJSON(t, old)
	if strings.Contains(string(js), "consumerVpcCidrs") {
		t.Fatalf("a request without CIDR blocks writes the field:\n%s", js)
	}
	got, err := DecodeRequest(js, testNow)
	if err != nil {
		t.Fatalf("an older request does not import: %v", err)
	}
	if got.ConsumerVPCCIDRs != nil || !reflect.DeepEqual(got, old) {
		t.Errorf("decoded %#v, want %#v", got, old)
	}
}
