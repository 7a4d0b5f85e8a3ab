package awsops

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Policy is an IAM policy document.
type Policy struct {
	Version   string            `json:"Version"`
	Statement []PolicyStatement `json:"Statement"`
}

// PolicyStatement is one statement of a Policy.
type PolicyStatement struct {
	Sid       string                         `json:"Sid"`
	Effect    string                         `json:"Effect"`
	Action    []string                       `json:"Action"`
	Resource  string                         `json:"Resource"`
	Condition map[string]map[string][]string `json:"Condition,omitempty"`
}

// Actions returns every action the policy allows, sorted.
func (p Policy) Actions() []string {
	var out []string
	for _, s := range p.Statement {
		out = append(out, s.Action...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// IAMPolicy returns the least-privilege policy the role needs for everything
// plwiz does, built from the operation table the code itself is held to.
// ec2:CreateTags is allowed only as part of the create calls that tag; the
// operations with the same Resources share a statement per resource
// pattern, with what they also need (tagging a queue as it is created is
// scoped as the queue is).
func IAMPolicy(r Role) (Policy, error) {
	if r != RoleProvider && r != RoleConsumer {
		return Policy{}, fmt.Errorf("iam policy: unknown role %q (want provider or consumer)", r)
	}
	var actions, also, multi []string
	// The scoped operations, grouped by their scope in table order.
	type scope struct {
		ops     []Operation
		actions []string
	}
	var scopes []*scope
	byScope := map[string]*scope{}
	var tagCreates []string // create actions that tag
	for _, o := range Operations(r) {
		var sc *scope
		if len(o.Resources) > 0 {
			key := strings.Join(o.Resources, " ") + " " + o.ScopeNote
			if sc = byScope[key]; sc == nil {
				sc = &scope{}
				byScope[key] = sc
				scopes = append(scopes, sc)
			}
			sc.ops = append(sc.ops, o)
			sc.actions = append(sc.actions, o.Action())
		} else {
			actions = append(actions, o.Action())
		}
		for _, extra := range o.AlsoNeeds {
			switch {
			case extra == "ec2:CreateTags":
				tagCreates = append(tagCreates, o.Name)
			case extra == AllowMultiRegion:
				multi = append(multi, extra)
			case sc != nil:
				sc.actions = append(sc.actions, extra)
			default:
				also = append(also, extra)
			}
		}
	}
	sid := "Plwiz" + titleCase(string(r))
	p := Policy{Version: "2012-10-17", Statement: []PolicyStatement{{
		Sid: sid, Effect: "Allow", Action: sortedSet(actions), Resource: "*",
	}}}
	for _, sc := range scopes {
		o := sc.ops[0]
		name := o.ScopeNote
		if len(sc.ops) == 1 {
			name = o.Name + o.ScopeNote
		}
		for i, res := range o.Resources {
			p.Statement = append(p.Statement, PolicyStatement{
				Sid:    fmt.Sprintf("%s%s%d", sid, name, i+1),
				Effect: "Allow", Action: sortedSet(sc.actions), Resource: res,
			})
		}
	}
	if len(tagCreates) > 0 {
		// Only while creating, so the role cannot retag other resources.
		p.Statement = append(p.Statement, PolicyStatement{Sid: sid + "TagOnCreate", Effect: "Allow", Action: []string{"ec2:CreateTags"}, Resource: "*",
			Condition: map[string]map[string][]string{"StringEquals": {"ec2:CreateAction": sortedSet(tagCreates)}}})
	}
	if len(also) > 0 {
		p.Statement = append(p.Statement, PolicyStatement{Sid: sid + "Also", Effect: "Allow", Action: sortedSet(also), Resource: "*"})
	}
	if len(multi) > 0 {
		// A statement of its own, so one who allows no cross-region access
		// can drop it.
		p.Statement = append(p.Statement, PolicyStatement{Sid: sid + "CrossRegion", Effect: "Allow", Action: sortedSet(multi), Resource: "*"})
	}
	return p, nil
}

func sortedSet(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return slices.Compact(out)
}

// IAMPolicyJSON is IAMPolicy indented for printing.
func IAMPolicyJSON(r Role) ([]byte, error) {
	p, err := IAMPolicy(r)
	if err != nil {
		return nil, err
	}
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("iam policy: %w", err)
	}
	return append(b, '\n'), nil
}

func titleCase(s string) string {
	if s == "" {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}
