package sandbox

import (
	"net/url"
	"testing"
)

func TestGlobMatch(t *testing.T) {
	cases := []struct {
		pat, v string
		want   bool
	}{
		{"vpc-1", "vpc-1", true},
		{"vpc-1", "vpc-12", false},
		{"vpc-*", "vpc-12", true},
		{"*", "", true},
		{"?", "", false},
		{"a?c", "abc", true},
		{"a*c*e", "abxxcdde", true},
		{"a*c*e", "abxxcdd", false},
		{`a\*`, "a*", true},
		{`a\*`, "ab", false},
		{"", "", true},
		{"", "x", false},
	}
	for _, c := range cases {
		if got := globMatch(c.pat, c.v); got != c.want {
			t.Errorf("globMatch(%q, %q) = %v, want %v", c.pat, c.v, got, c.want)
		}
	}
}

func TestMatchTags(t *testing.T) {
	tags := []Tag{{Key: "Name", Value: "consumer-vpc"}, {Key: "env", Value: "dev"}}
	cases := []struct {
		f           Filter
		match, isTg bool
	}{
		{Filter{Name: "tag:Name", Values: []string{"consumer-*"}}, true, true},
		{Filter{Name: "tag:Name", Values: []string{"provider-vpc"}}, false, true},
		{Filter{Name: "tag:env", Values: []string{"prod", "dev"}}, true, true},
		{Filter{Name: "tag-key", Values: []string{"env"}}, true, true},
		{Filter{Name: "tag-key", Values: []string{"owner"}}, false, true},
		{Filter{Name: "tag-value", Values: []string{"dev"}}, true, true},
		{Filter{Name: "vpc-id", Values: []string{"vpc-1"}}, false, false},
	}
	for _, c := range cases {
		m, isTag := matchTags(tags, c.f)
		if m != c.match || isTag != c.isTg {
			t.Errorf("matchTags(%v) = %v, %v; want %v, %v", c.f, m, isTag, c.match, c.isTg)
		}
	}
}

func TestMatchFiltersAndCheck(t *testing.T) {
	fs := []Filter{{Name: "vpc-id", Values: []string{"vpc-a", "vpc-b"}}, {Name: "tag:Name", Values: []string{"x"}}}
	if err := checkFilters(fs, "vpc-id"); err != nil {
		t.Fatalf("checkFilters: %v", err)
	}
	if err := checkFilters([]Filter{{Name: "bogus"}}, "vpc-id"); err == nil || err.Code != "InvalidParameterValue" || err.Message != "The filter 'bogus' is invalid" {
		t.Fatalf("checkFilters(bogus) = %v", err)
	}
	tags := []Tag{{Key: "Name", Value: "x"}}
	if !matchFilters(fs, tags, map[string][]string{"vpc-id": {"vpc-b"}}) {
		t.Error("want match on vpc-b and Name=x")
	}
	if matchFilters(fs, nil, map[string][]string{"vpc-id": {"vpc-b"}}) {
		t.Error("want no match without the tag")
	}
	if matchFilters(fs, tags, map[string][]string{"vpc-id": {"vpc-c"}}) {
		t.Error("want no match on vpc-c")
	}
}

func TestPage(t *testing.T) {
	ids := []string{"a", "b", "c", "d", "e"}
	p := Params{"MaxResults": "2"}
	var got []string
	for range 10 {
		out, next, err := page(p, ids, 1, 1000)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, out...)
		if next == "" {
			break
		}
		p = Params{"MaxResults": "2", "NextToken": next}
	}
	if len(got) != 5 || got[0] != "a" || got[4] != "e" {
		t.Fatalf("pages gave %v", got)
	}
	if _, _, err := page(Params{"MaxResults": "0"}, ids, 5, 1000); err == nil {
		t.Error("MaxResults below the minimum was accepted")
	}
	if _, _, err := page(Params{"NextToken": url.QueryEscape("garbage!")}, ids, 5, 1000); err == nil {
		t.Error("a bad NextToken was accepted")
	}
	all, next, err := page(Params{}, ids, 5, 1000)
	if err != nil || next != "" || len(all) != 5 {
		t.Errorf("no MaxResults: %v %q %v", all, next, err)
	}
}

func TestReverseNameSortsLabelByLabel(t *testing.T) {
	// Route 53 orders by labels from the right: example.com's subdomains
	// come before example-a.com, although '-' sorts before '.'.
	if !(reverseName("www.example.com.") < reverseName("example-a.com.")) {
		t.Error("www.example.com. should sort before example-a.com.")
	}
	if !(reverseName("example.com.") < reverseName("a.example.com.")) {
		t.Error("a zone apex should sort before its subdomains")
	}
}
