package dataplane

import (
	"testing"

	"github.com/miekg/dns"
)

// FuzzAnswer feeds arbitrary packets to the query path: whatever parses
// must get an answer that packs, with the question echoed.
func FuzzAnswer(f *testing.F) {
	zs, errs := compileZones(baseSnapshot(30, 1))
	if len(errs) != 0 {
		f.Fatal(errs)
	}
	for _, q := range []*dns.Msg{
		new(dns.Msg).SetQuestion(privName+".", dns.TypeA),
		new(dns.Msg).SetQuestion(verifyName+".", dns.TypeTXT),
		new(dns.Msg).SetQuestion("x.y.wild.example.com.", dns.TypeANY),
		new(dns.Msg).SetQuestion("golang.org.", dns.TypeNS),
	} {
		b, err := q.Pack()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, packet []byte) {
		r := new(dns.Msg)
		if err := r.Unpack(packet); err != nil {
			return
		}
		m := zs.answer(r)
		if _, err := m.Pack(); err != nil {
			t.Fatalf("answer to %v does not pack: %v", r, err)
		}
		if m.Id != r.Id {
			t.Fatalf("answer id %d, query id %d", m.Id, r.Id)
		}
	})
}

// FuzzParseTXTValue: no panic, and every accepted string fits a TXT
// character string.
func FuzzParseTXTValue(f *testing.F) {
	for _, s := range []string{`"vpce:abc"`, `"a" "b"`, `bare`, `"\065"`, `"\\"`, `"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		strs, err := ParseTXTValue(v)
		if err != nil {
			return
		}
		for _, s := range strs {
			if len(s) > 255 {
				t.Fatalf("%q gave a %d-byte string", v, len(s))
			}
			rr := &dns.TXT{Hdr: dns.RR_Header{Name: "x.", Rrtype: dns.TypeTXT, Class: dns.ClassINET}, Txt: []string{escapeTXT(s)}}
			buf := make([]byte, 600)
			n, err := dns.PackRR(rr, buf, 0, nil, false)
			if err != nil {
				t.Fatalf("%q: %v", v, err)
			}
			back, _, err := dns.UnpackRR(buf[:n], 0)
			if err != nil {
				t.Fatalf("%q: %v", v, err)
			}
			// The wire carries exactly the parsed bytes.
			if got := unescapeForTest(back.(*dns.TXT).Txt[0]); got != s {
				t.Fatalf("%q: wire %q, parsed %q", v, got, s)
			}
		}
	})
}

// unescapeForTest undoes miekg/dns's presentation escaping (\X, \DDD).
func unescapeForTest(s string) string {
	var out []byte
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 >= len(s) {
			out = append(out, s[i])
			continue
		}
		if i+3 < len(s) && isDigit(s[i+1]) && isDigit(s[i+2]) && isDigit(s[i+3]) {
			out = append(out, (s[i+1]-'0')*100+(s[i+2]-'0')*10+(s[i+3]-'0'))
			i += 3
			continue
		}
		out = append(out, s[i+1])
		i++
	}
	return string(out)
}
