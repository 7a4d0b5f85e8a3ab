package sandbox

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
)

// ELBv2 tags: AddTags, RemoveTags and DescribeTags, with the shapes,
// limits and errors of the ELBv2 API model (2015-12-01).

const (
	elbMaxTags          = 50 // tags per resource
	elbMaxDescribeTags  = 20 // ResourceArns of one DescribeTags
	elbTagKeyMaxLength  = 128
	elbTagValMaxLength  = 256
	elbTagPatternSource = `^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$`
)

// elbTagPattern is the model's pattern for tag keys and values.
var elbTagPattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(elbTagPatternSource) })

type elbTag struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

// elbTagDescription's Tags are written even when empty, as AWS does
// (encoding/xml writes the parent of an a>b path for an empty slice).
type elbTagDescription struct {
	ResourceArn string   `xml:"ResourceArn"`
	Tags        []elbTag `xml:"Tags>member"`
}

type elbDescribeTagsResult struct {
	TagDescriptions []elbTagDescription `xml:"TagDescriptions>member"`
}

// elbConstraint is AWS's message for an input outside the model's
// constraints.
func elbConstraint(value, at, constraint string) *APIError {
	return elbValidation("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: %s", value, at, constraint)
}

// elbResourceARNs reads the required ResourceArns list.
func elbResourceARNs(p Params) ([]string, *APIError) {
	arns := p.List("ResourceArns", true)
	if len(arns) == 0 && !p.Has("ResourceArns") {
		return nil, elbConstraint("null", "resourceArns", "Member must not be null")
	}
	return arns, nil
}

// checkELBTagText checks a key or value against the model's length and
// pattern; at names it as AWS does (tags.1.member.key).
func checkELBTagText(s, at string, minLen, maxLen int) *APIError {
	n := utf8.RuneCountInString(s)
	switch {
	case n < minLen:
		return elbConstraint(s, at, fmt.Sprintf("Member must have length greater than or equal to %d", minLen))
	case n > maxLen:
		return elbConstraint(s, at, fmt.Sprintf("Member must have length less than or equal to %d", maxLen))
	case !elbTagPattern().MatchString(s):
		return elbConstraint(s, at, "Member must satisfy regular expression pattern: "+elbTagPatternSource)
	}
	return nil
}

// elbTaggable finds the tag list of one of the caller's ELBv2 resources by
// ARN, with the NotFound error of its resource type.
func elbTaggable(c *call, arn string) (*[]Tag, *APIError) {
	rest, ok := strings.CutPrefix(arn, "arn:aws:elasticloadbalancing:")
	parts := strings.SplitN(rest, ":", 3) // region, account, resource
	if !ok || len(parts) != 3 || parts[2] == "" {
		return nil, elbValidation("'%s' must be in ARN format", arn)
	}
	kind, _, _ := strings.Cut(parts[2], "/")
	switch kind {
	case "loadbalancer":
		if lb := c.w.LoadBalancers[arn]; lb != nil && c.ownsARN(lb.Owner, lb.ARN) && c.Visible(lb.CreatedAt) {
			return &lb.Tags, nil
		}
		return nil, Errorf(http.StatusBadRequest, "LoadBalancerNotFound", "Load balancer '%s' not found", arn)
	case "listener":
		if ln := c.w.Listeners[arn]; ln != nil {
			if lb := c.w.LoadBalancers[ln.LBARN]; lb != nil && c.ownsARN(lb.Owner, lb.ARN) {
				return &ln.Tags, nil
			}
		}
		return nil, Errorf(http.StatusBadRequest, "ListenerNotFound", "Listener '%s' not found", arn)
	case "targetgroup":
		return nil, Errorf(http.StatusBadRequest, "TargetGroupNotFound", "Target group '%s' not found", arn)
	case "listener-rule":
		return nil, Errorf(http.StatusBadRequest, "RuleNotFound", "Rule '%s' not found", arn)
	case "truststore":
		return nil, Errorf(http.StatusBadRequest, "TrustStoreNotFound", "Trust store '%s' not found", arn)
	}
	return nil, elbValidation("'%s' must be in ARN format", arn)
}

// elbOneResource refuses a tag change of several resources at once, as
// ELBv2 does although the model takes a list.
func elbOneResource(arns []string) *APIError {
	if len(arns) > 1 {
		return elbValidation("Only one resource can be tagged at a time")
	}
	return nil
}

func elbAddTags(c *call) (any, error) {
	p := c.Params
	arns, aerr := elbResourceARNs(p)
	if aerr != nil {
		return nil, aerr
	}
	idx := p.Indexes("Tags.member")
	if len(idx) == 0 {
		if !p.Has("Tags") {
			return nil, elbConstraint("null", "tags", "Member must not be null")
		}
		return nil, elbConstraint("[]", "tags", "Member must have length greater than or equal to 1")
	}
	var tags []Tag
	for n, i := range idx {
		base := fmt.Sprintf("Tags.member.%d.", i)
		t := Tag{Key: p.Get(base + "Key"), Value: p.Get(base + "Value")}
		if !p.Has(base + "Key") {
			return nil, elbConstraint("null", fmt.Sprintf("tags.%d.member.key", n+1), "Member must not be null")
		}
		if err := checkELBTagText(t.Key, fmt.Sprintf("tags.%d.member.key", n+1), 1, elbTagKeyMaxLength); err != nil {
			return nil, err
		}
		if err := checkELBTagText(t.Value, fmt.Sprintf("tags.%d.member.value", n+1), 0, elbTagValMaxLength); err != nil {
			return nil, err
		}
		tags = append(tags, t)
	}
	if err := elbOneResource(arns); err != nil {
		return nil, err
	}
	for i, t := range tags {
		if slices.ContainsFunc(tags[:i], func(x Tag) bool { return x.Key == t.Key }) {
			return nil, Errorf(http.StatusBadRequest, "DuplicateTagKeys", "A tag key was specified more than once: '%s'", t.Key)
		}
		if strings.HasPrefix(strings.ToLower(t.Key), "aws:") {
			return nil, elbValidation("Tag key '%s' cannot start with 'aws:'", t.Key)
		}
	}
	list, aerr := elbTaggable(c, arns[0])
	if aerr != nil {
		return nil, aerr
	}
	merged := slices.Clone(*list)
	for _, t := range tags {
		if i := slices.IndexFunc(merged, func(x Tag) bool { return x.Key == t.Key }); i >= 0 {
			merged[i].Value = t.Value
		} else {
			merged = append(merged, t)
		}
	}
	if len(merged) > elbMaxTags {
		return nil, Errorf(http.StatusBadRequest, "TooManyTags", "You've reached the limit on the number of tags for this resource.")
	}
	*list = merged
	return nil, nil
}

func elbRemoveTags(c *call) (any, error) {
	p := c.Params
	arns, aerr := elbResourceARNs(p)
	if aerr != nil {
		return nil, aerr
	}
	keys := p.List("TagKeys", true)
	if len(keys) == 0 && !p.Has("TagKeys") {
		return nil, elbConstraint("null", "tagKeys", "Member must not be null")
	}
	for n, k := range keys {
		if err := checkELBTagText(k, fmt.Sprintf("tagKeys.%d.member", n+1), 1, elbTagKeyMaxLength); err != nil {
			return nil, err
		}
	}
	if err := elbOneResource(arns); err != nil {
		return nil, err
	}
	list, aerr := elbTaggable(c, arns[0])
	if aerr != nil {
		return nil, aerr
	}
	// A key the resource does not have is no error.
	*list = slices.DeleteFunc(slices.Clone(*list), func(t Tag) bool { return slices.Contains(keys, t.Key) })
	return nil, nil
}

func elbDescribeTags(c *call) (any, error) {
	arns, aerr := elbResourceARNs(c.Params)
	if aerr != nil {
		return nil, aerr
	}
	if len(arns) > elbMaxDescribeTags {
		return nil, elbConstraint("["+strings.Join(arns, ", ")+"]", "resourceArns",
			fmt.Sprintf("Member must have length less than or equal to %d", elbMaxDescribeTags))
	}
	out := elbDescribeTagsResult{TagDescriptions: []elbTagDescription{}}
	for _, arn := range arns {
		list, aerr := elbTaggable(c, arn)
		if aerr != nil {
			return nil, aerr
		}
		d := elbTagDescription{ResourceArn: arn}
		for _, t := range *list {
			d.Tags = append(d.Tags, elbTag(t))
		}
		out.TagDescriptions = append(out.TagDescriptions, d)
	}
	return out, nil
}
