package awsops

import (
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// TagSession is the tag plwiz puts on everything it creates, valued with the
// session ID, so a resumed session finds what it made before.
const TagSession = "plwiz:session"

// Tags are resource tags.
type Tags map[string]string

// validate applies AWS's tag limits up front, with a clear message.
func (t Tags) validate() error {
	for k, v := range t {
		switch {
		case k == "" || len(k) > 128:
			return fmt.Errorf("tag key %q: must be 1 to 128 characters", k)
		case len(v) > 256:
			return fmt.Errorf("tag %q: value longer than 256 characters", k)
		case strings.HasPrefix(strings.ToLower(k), "aws:"):
			return fmt.Errorf("tag key %q: the aws: prefix is reserved by AWS", k)
		case strings.ContainsFunc(k+v, isControl):
			return fmt.Errorf("tag %q: contains control characters", k)
		}
	}
	return nil
}

// spec returns the tags as a tag specification for a create call.
func (t Tags) spec(resource types.ResourceType) []types.TagSpecification {
	if len(t) == 0 {
		return nil
	}
	keys := make([]string, 0, len(t))
	for k := range t {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	tags := make([]types.Tag, 0, len(keys))
	for _, k := range keys {
		tags = append(tags, types.Tag{Key: aws.String(k), Value: aws.String(t[k])})
	}
	return []types.TagSpecification{{ResourceType: resource, Tags: tags}}
}

func fromEC2Tags(in []types.Tag) Tags {
	if len(in) == 0 {
		return nil
	}
	t := make(Tags, len(in))
	for _, tag := range in {
		t[str(tag.Key)] = str(tag.Value)
	}
	return t
}

// tagFilter matches resources whose tag key has the value.
func tagFilter(key, value string) types.Filter {
	return types.Filter{Name: aws.String("tag:" + key), Values: []string{value}}
}

func filter(name string, values ...string) types.Filter {
	return types.Filter{Name: aws.String(name), Values: values}
}
