package awsops

import (
	"encoding/json"
	"fmt"
	"slices"
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
// ec2:CreateTags is allowed only as part of the create calls that tag.
func IAMPolicy(r Role) (Policy, error) {
	if r != RoleProvider && r != RoleConsumer {
		return Policy{}, fmt.Errorf("iam policy: unknown role %q (want provider or consumer)", r)
	}
	var actions []string
	tagging := map[string][]string{} // extra action → create actions that need it
	for _, o := range Operations(r) {
		actions = append(actions, o.Action())
		for _, extra := range o.AlsoNeeds {
			tagging[extra] = append(tagging[extra], o.Name)
		}
	}
	slices.Sort(actions)
	actions = slices.Compact(actions)
	sid := "Plwiz" + titleCase(string(r))
	p := Policy{Version: "2012-10-17", Statement: []PolicyStatement{{
		Sid: sid, Effect: "Allow", Action: actions, Resource: "*",
	}}}
	extras := make([]string, 0, len(tagging))
	for a := range tagging {
		extras = append(extras, a)
	}
	slices.Sort(extras)
	// A policy's Sids must differ: the actions without a condition of
	// their own (tagging an SNS topic or SQS queue as it is created) share
	// one statement.
	also := PolicyStatement{Sid: sid + "Also", Effect: "Allow", Resource: "*"}
	for _, a := range extras {
		if a != "ec2:CreateTags" {
			also.Action = append(also.Action, a)
			continue
		}
		creates := tagging[a]
		slices.Sort(creates)
		// Only while creating, so the role cannot retag other resources.
		p.Statement = append(p.Statement, PolicyStatement{Sid: sid + "TagOnCreate", Effect: "Allow", Action: []string{a}, Resource: "*",
			Condition: map[string]map[string][]string{"StringEquals": {"ec2:CreateAction": creates}}})
	}
	if len(also.Action) > 0 {
		p.Statement = append(p.Statement, also)
	}
	return p, nil
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
