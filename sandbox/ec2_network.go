package sandbox

import (
	"encoding/base64"
	"net/http"
	"slices"
	"strings"
)

// matchTags evaluates f if it is a tag filter and reports isTagFilter=false
// otherwise, so the caller falls through to its own filter names. Tag filters
// are the three EC2 has everywhere:
//
//	tag:<key>  a tag with that key whose value matches one of the values
//	tag-key    a tag whose key matches one of the values
//	tag-value  a tag whose value matches one of the values
//
// Values may use EC2's wildcards (* and ?, see matchValue).
func matchTags(tags []Tag, f Filter) (matched, isTagFilter bool) {
	switch {
	case strings.HasPrefix(f.Name, "tag:"):
		key := strings.TrimPrefix(f.Name, "tag:")
		for _, t := range tags {
			if t.Key == key && matchValue(f, t.Value) {
				return true, true
			}
		}
		return false, true
	case f.Name == "tag-key":
		for _, t := range tags {
			if matchValue(f, t.Key) {
				return true, true
			}
		}
		return false, true
	case f.Name == "tag-value":
		for _, t := range tags {
			if matchValue(f, t.Value) {
				return true, true
			}
		}
		return false, true
	}
	return false, false
}

// matchValue reports whether any of the filter's values matches any of vs.
// Filter values may use EC2's wildcards: * is any run of characters, ? one
// character, and a backslash escapes them.
func matchValue(f Filter, vs ...string) bool {
	for _, pat := range f.Values {
		for _, v := range vs {
			if globMatch(pat, v) {
				return true
			}
		}
	}
	return false
}

// globMatch matches v against an EC2 filter pattern.
func globMatch(pat, v string) bool {
	p, s := []rune(pat), []rune(v)
	// Iterative matcher with backtracking to the last star: linear enough for
	// filter values and immune to pathological patterns.
	pi, si, star, mark := 0, 0, -1, 0
	for si < len(s) {
		if pi < len(p) {
			switch {
			case p[pi] == '*':
				star, mark = pi, si
				pi++
				continue
			case p[pi] == '?':
				pi++
				si++
				continue
			case p[pi] == '\\' && pi+1 < len(p):
				if p[pi+1] == s[si] {
					pi += 2
					si++
					continue
				}
			case p[pi] == s[si]:
				pi++
				si++
				continue
			}
		}
		if star < 0 {
			return false
		}
		mark++
		pi, si = star+1, mark
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// checkFilters refuses filter names a Describe action does not know, the way
// EC2 does ("The filter 'x' is invalid"). Tag filters are always known.
func checkFilters(fs []Filter, known ...string) *APIError {
	for _, f := range fs {
		if _, isTag := matchTags(nil, f); isTag {
			if f.Name == "tag:" {
				return errInvalidParameterValue("The filter '%s' is invalid", f.Name)
			}
			continue
		}
		if !slices.Contains(known, f.Name) {
			return errInvalidParameterValue("The filter '%s' is invalid", f.Name)
		}
	}
	return nil
}

// matchFilters reports whether a resource passes every filter (filters AND,
// values of one filter OR). fields maps each filter name the action supports
// to the resource's values for it; tag filters are matched against tags.
// Call checkFilters first: a name in neither place simply does not match.
func matchFilters(fs []Filter, tags []Tag, fields map[string][]string) bool {
	for _, f := range fs {
		if ok, isTag := matchTags(tags, f); isTag {
			if !ok {
				return false
			}
			continue
		}
		if !matchValue(f, fields[f.Name]...) {
			return false
		}
	}
	return true
}

// page cuts one EC2 page out of ids (already filtered and sorted) from the
// request's MaxResults and NextToken. Without MaxResults everything comes
// back in one page, as EC2 does for most Describe actions. min and max bound
// MaxResults the way the action's API reference does (lo..hi, e.g. 5..1000). The
// token is the last ID of the previous page, so deletions between pages do
// not skip or repeat items.
func page(p Params, ids []string, lo, hi int) (out []string, next string, err error) {
	start := 0
	if tok := p.Get("NextToken"); tok != "" {
		raw, derr := base64.RawURLEncoding.DecodeString(tok)
		if derr != nil || !strings.HasPrefix(string(raw), "after:") {
			return nil, "", errInvalidParameterValue("Invalid value '%s' for nextToken", tok)
		}
		after := strings.TrimPrefix(string(raw), "after:")
		start, _ = slices.BinarySearch(ids, after)
		if start < len(ids) && ids[start] == after {
			start++
		}
	}
	n, ok, perr := p.Int("MaxResults")
	if perr != nil {
		return nil, "", perr
	}
	if !ok {
		return ids[start:], "", nil
	}
	if n < lo || n > hi {
		return nil, "", Errorf(http.StatusBadRequest, "InvalidParameterValue",
			"Value ( %d ) for parameter maxResults is invalid. Expecting a value between %d and %d.", n, lo, hi)
	}
	end := min(start+n, len(ids))
	out = ids[start:end]
	if end < len(ids) {
		next = base64.RawURLEncoding.EncodeToString([]byte("after:" + ids[end-1]))
	}
	return out, next, nil
}

// idsAndMaxResults refuses a request that names IDs (idParam, e.g. "VpcId")
// and also paginates, which EC2 does not allow for most Describe actions;
// wireName is the parameter as EC2's message spells it (e.g. "vpcIds").
func idsAndMaxResults(p Params, idParam, wireName string) *APIError {
	if len(p.List(idParam, false)) > 0 && p.Has("MaxResults") {
		return Errorf(http.StatusBadRequest, "InvalidParameterCombination",
			"The parameter %s cannot be used with the parameter maxResults", wireName)
	}
	return nil
}

// ec2NetworkHandlers serve the EC2 networking actions (VPCs, subnets,
// security groups, AZs, ENIs, tags).
func ec2NetworkHandlers() map[string]queryHandler {
	return map[string]queryHandler{}
}
