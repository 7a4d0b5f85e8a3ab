// Package policydoc reads, evaluates and edits the resource policies of SNS
// topics and SQS queues: the JSON document AWS stores in a topic's or
// queue's Policy attribute. It answers the one question plwiz and its
// sandbox both ask — does this policy let this principal do this action on
// this resource, in this context — with IAM's rules for resource policies:
// an explicit Deny wins, then any Allow, else the request is not allowed.
//
// What it evaluates: Principal and NotPrincipal ("*", {"AWS": account IDs,
// account root or user/role ARNs, or "*"}, {"Service": names}), Action and
// NotAction (case-insensitive, with * and ? wildcards), Resource and
// NotResource (with wildcards), and Condition blocks with the String*,
// Arn*, Bool and Null operators, their IfExists forms and the
// ForAnyValue:/ForAllValues: prefixes (every key here is single-valued).
// Condition keys are compared case-insensitively, as IAM does. An operator
// it does not know (Numeric*, Date*, IpAddress...) never matches, so an
// Allow that depends on one grants nothing and a Deny that depends on one
// denies nothing; Decision.Unsupported names them.
//
// It imports nothing of plwiz's, so the AWS layer and the sandbox share one
// reading of a policy.
package policydoc

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Document is a resource policy.
type Document struct {
	Version   string      `json:"Version,omitempty"`
	ID        string      `json:"Id,omitempty"`
	Statement []Statement `json:"Statement"`
}

// Statement is one statement of a Document.
type Statement struct {
	Sid          string     `json:"Sid,omitempty"`
	Effect       string     `json:"Effect"`
	Principal    *Principal `json:"Principal,omitempty"`
	NotPrincipal *Principal `json:"NotPrincipal,omitempty"`
	Action       Strings    `json:"Action,omitempty"`
	NotAction    Strings    `json:"NotAction,omitempty"`
	Resource     Strings    `json:"Resource,omitempty"`
	NotResource  Strings    `json:"NotResource,omitempty"`
	// Condition maps an operator (StringEquals) to keys and their values.
	Condition map[string]map[string]Strings `json:"Condition,omitempty"`
}

// Effects of a statement.
const (
	Allow = "Allow"
	Deny  = "Deny"
)

// Strings is a policy value that is either one string or a list of them.
type Strings []string

// UnmarshalJSON accepts "x" and ["x", "y"].
func (s *Strings) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*s = Strings{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("want a string or a list of strings, got %s", short(b))
	}
	*s = many
	return nil
}

// MarshalJSON writes one value as a string, as AWS does.
func (s Strings) MarshalJSON() ([]byte, error) {
	if len(s) == 1 {
		return json.Marshal(s[0])
	}
	return json.Marshal([]string(s))
}

// Principal is a statement's Principal: everyone ("*"), or AWS principals
// and service principals.
type Principal struct {
	All     bool
	AWS     Strings
	Service Strings
	// Other keeps principal kinds plwiz never meets (Federated,
	// CanonicalUser), so an edited policy keeps them.
	Other map[string]Strings
}

// UnmarshalJSON accepts "*" and {"AWS": ..., "Service": ...}.
func (p *Principal) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		if s != "*" {
			return fmt.Errorf("principal %q: a principal is \"*\" or an object such as {\"AWS\": \"...\"}", s)
		}
		*p = Principal{All: true}
		return nil
	}
	var m map[string]Strings
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("principal: want \"*\" or an object, got %s", short(b))
	}
	*p = Principal{}
	for k, v := range m {
		switch k {
		case "AWS":
			p.AWS = v
		case "Service":
			p.Service = v
		default:
			if p.Other == nil {
				p.Other = map[string]Strings{}
			}
			p.Other[k] = v
		}
	}
	return nil
}

// MarshalJSON writes "*" or the object form.
func (p Principal) MarshalJSON() ([]byte, error) {
	if p.All {
		return json.Marshal("*")
	}
	m := map[string]Strings{}
	for k, v := range p.Other {
		m[k] = v
	}
	if len(p.AWS) > 0 {
		m["AWS"] = p.AWS
	}
	if len(p.Service) > 0 {
		m["Service"] = p.Service
	}
	return json.Marshal(m)
}

// statements reads Statement as one object or a list of them.
type statements []Statement

func (s *statements) UnmarshalJSON(b []byte) error {
	if t := bytes.TrimSpace(b); len(t) > 0 && t[0] == '{' {
		var one Statement
		if err := json.Unmarshal(b, &one); err != nil {
			return err
		}
		*s = statements{one}
		return nil
	}
	var many []Statement
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*s = many
	return nil
}

// Parse reads a policy document and checks what every resource policy
// needs: statements with an Effect of Allow or Deny, a principal, and an
// action.
func Parse(text string) (Document, error) {
	var raw struct {
		Version   string     `json:"Version"`
		ID        string     `json:"Id"`
		Statement statements `json:"Statement"`
	}
	dec := json.NewDecoder(strings.NewReader(text))
	if err := dec.Decode(&raw); err != nil {
		return Document{}, fmt.Errorf("policy is not a JSON policy document: %w", err)
	}
	if dec.More() {
		return Document{}, errors.New("policy has text after its JSON document")
	}
	d := Document{Version: raw.Version, ID: raw.ID, Statement: raw.Statement}
	if len(d.Statement) == 0 {
		return Document{}, errors.New("policy has no Statement")
	}
	for i, st := range d.Statement {
		name := fmt.Sprintf("statement %d", i+1)
		if st.Sid != "" {
			name = fmt.Sprintf("statement %q", st.Sid)
		}
		switch {
		case st.Effect != Allow && st.Effect != Deny:
			return Document{}, fmt.Errorf("%s: Effect must be Allow or Deny, not %q", name, st.Effect)
		case st.Principal == nil && st.NotPrincipal == nil:
			return Document{}, fmt.Errorf("%s: a resource policy statement needs a Principal", name)
		case len(st.Action) == 0 && len(st.NotAction) == 0:
			return Document{}, fmt.Errorf("%s: no Action", name)
		}
	}
	return d, nil
}

// JSON renders the document compactly, as AWS stores a policy attribute.
func (d Document) JSON() string {
	b, err := json.Marshal(d)
	if err != nil {
		// Every field marshals; this cannot happen.
		panic(fmt.Sprintf("policydoc: marshal: %v", err))
	}
	return string(b)
}

// Upsert replaces the statement with st's Sid, or appends st.
func (d *Document) Upsert(st Statement) {
	if st.Sid != "" {
		for i := range d.Statement {
			if d.Statement[i].Sid == st.Sid {
				d.Statement[i] = st
				return
			}
		}
	}
	d.Statement = append(d.Statement, st)
}

// Caller is who makes a request: an IAM principal of an account, or an AWS
// service acting on a customer's behalf.
type Caller struct {
	Account string // 12 digits; "" for a service
	ARN     string // the IAM principal's ARN, if any
	Service string // e.g. vpce.amazonaws.com
}

// Request is what a policy is asked about.
type Request struct {
	Caller   Caller
	Action   string // e.g. SNS:Publish, sqs:SendMessage
	Resource string // ARN
	// Context holds the condition keys of the request (aws:SourceArn,
	// aws:SourceAccount...), compared case-insensitively.
	Context map[string]string
}

// Decision is the outcome of Evaluate.
type Decision struct {
	Allowed bool
	// Denied is set when an explicit Deny matched; Allowed is then false.
	Denied bool
	// Statement names the statement that decided (Sid or position).
	Statement string
	// Unsupported lists condition operators met that this package cannot
	// evaluate; they never matched.
	Unsupported []string
}

// Evaluate applies the document to a request.
func (d Document) Evaluate(r Request) Decision {
	var out Decision
	ctx := make(map[string]string, len(r.Context))
	for k, v := range r.Context {
		ctx[strings.ToLower(k)] = v
	}
	for i, st := range d.Statement {
		ok, unsupported := st.matches(r, ctx)
		out.Unsupported = append(out.Unsupported, unsupported...)
		if !ok {
			continue
		}
		name := st.Sid
		if name == "" {
			name = fmt.Sprintf("statement %d", i+1)
		}
		switch st.Effect {
		case Deny:
			out.Allowed, out.Denied, out.Statement = false, true, name
			return out
		case Allow:
			if !out.Allowed {
				out.Allowed, out.Statement = true, name
			}
		}
	}
	return out
}

func (st Statement) matches(r Request, ctx map[string]string) (bool, []string) {
	switch {
	case st.Principal != nil && !st.Principal.matches(r.Caller):
		return false, nil
	case st.NotPrincipal != nil && st.NotPrincipal.matches(r.Caller):
		return false, nil
	case len(st.Action) > 0 && !anyMatch(st.Action, r.Action, true):
		return false, nil
	case len(st.NotAction) > 0 && anyMatch(st.NotAction, r.Action, true):
		return false, nil
	case len(st.Resource) > 0 && !anyMatch(st.Resource, r.Resource, false):
		return false, nil
	case len(st.NotResource) > 0 && anyMatch(st.NotResource, r.Resource, false):
		return false, nil
	}
	var unsupported []string
	for op, keys := range st.Condition {
		for key, values := range keys {
			ok, known := condition(op, ctx, strings.ToLower(key), values)
			if !known {
				unsupported = append(unsupported, op)
			}
			if !ok {
				return false, unsupported
			}
		}
	}
	return true, unsupported
}

// matches applies IAM's principal rules: "*" is everyone; {"AWS": "*"} is
// every IAM principal but no service; an account ID or root ARN stands for
// every principal of that account.
func (p Principal) matches(c Caller) bool {
	if p.All {
		return true
	}
	if c.Service != "" {
		return slices.ContainsFunc(p.Service, func(s string) bool { return strings.EqualFold(s, c.Service) })
	}
	for _, a := range p.AWS {
		switch {
		case a == "*":
			return true
		case c.Account != "" && (a == c.Account || strings.HasSuffix(a, ":iam::"+c.Account+":root")):
			return true
		case c.ARN != "" && a == c.ARN:
			return true
		}
	}
	return false
}

func anyMatch(patterns []string, v string, fold bool) bool {
	for _, p := range patterns {
		if fold {
			if Glob(strings.ToLower(p), strings.ToLower(v)) {
				return true
			}
		} else if Glob(p, v) {
			return true
		}
	}
	return false
}

// condition evaluates one operator on one key; known is false for an
// operator this package does not evaluate.
func condition(op string, ctx map[string]string, key string, values []string) (ok, known bool) {
	base := op
	if i := strings.Index(base, ":"); i >= 0 {
		switch strings.ToLower(base[:i]) {
		case "foranyvalue", "forallvalues":
			base = base[i+1:]
		default:
			return false, false
		}
	}
	ifExists := strings.HasSuffix(base, "IfExists")
	base = strings.TrimSuffix(base, "IfExists")
	v, present := ctx[key]
	if base == "Null" {
		// Null: "true" means the key must be absent.
		for _, want := range values {
			if strings.EqualFold(want, "true") != present {
				return true, true
			}
		}
		return false, true
	}
	if !isKnown(base) {
		return false, false
	}
	negated := strings.Contains(base, "Not")
	if !present {
		// IAM: a missing key matches only the negated operators and the
		// IfExists forms.
		return ifExists || negated, true
	}
	var match func(pat string) bool
	switch base {
	case "StringEquals", "StringNotEquals":
		match = func(pat string) bool { return pat == v }
	case "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase":
		match = func(pat string) bool { return strings.EqualFold(pat, v) }
	case "StringLike", "StringNotLike":
		match = func(pat string) bool { return Glob(pat, v) }
	case "ArnEquals", "ArnNotEquals", "ArnLike", "ArnNotLike":
		match = func(pat string) bool { return ARNLike(pat, v) }
	default: // Bool
		match = func(pat string) bool { return strings.EqualFold(pat, v) }
	}
	hit := slices.ContainsFunc(values, match)
	if negated {
		return !hit, true
	}
	return hit, true
}

func isKnown(base string) bool {
	switch base {
	case "StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase",
		"StringLike", "StringNotLike", "ArnEquals", "ArnNotEquals", "ArnLike", "ArnNotLike", "Bool":
		return true
	}
	return false
}

// ARNLike compares two ARNs as IAM's Arn operators do: each of the six
// colon-separated parts on its own, each pattern part with * and ?.
func ARNLike(pattern, arn string) bool {
	pp := strings.SplitN(pattern, ":", 6)
	ap := strings.SplitN(arn, ":", 6)
	if len(pp) != 6 || len(ap) != 6 {
		return false
	}
	for i := range pp {
		if !Glob(pp[i], ap[i]) {
			return false
		}
	}
	return true
}

// Glob matches v against a pattern where * is any run of characters and ?
// any one character.
func Glob(pattern, v string) bool {
	p, s := []rune(pattern), []rune(v)
	pi, si, star, mark := 0, 0, -1, 0
	for si < len(s) {
		switch {
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, si
			pi++
		case pi < len(p) && (p[pi] == '?' || p[pi] == s[si]):
			pi++
			si++
		case star >= 0:
			pi, mark = star+1, mark+1
			si = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

func short(b []byte) string {
	const max = 40
	if len(b) > max {
		return string(b[:max]) + "..."
	}
	return string(b)
}
