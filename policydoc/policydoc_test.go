package policydoc

import (
	"strings"
	"testing"
)

const (
	topic   = "arn:aws:sns:us-east-1:111111111111:plwiz-events"
	service = "arn:aws:ec2:us-east-1:111111111111:vpc-endpoint-service/vpce-svc-0123456789abcdef0"
)

// The topic policy AWS's PrivateLink guide prints, with its confused-deputy
// conditions.
const guidePolicy = `{
    "Version":"2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {
                "Service": "vpce.amazonaws.com"
            },
            "Action": "SNS:Publish",
            "Resource": "arn:aws:sns:us-east-1:111111111111:plwiz-events",
            "Condition": {
                "ArnLike": {
                    "aws:SourceArn": "arn:aws:ec2:us-east-1:111111111111:vpc-endpoint-service/*"
                },
                "StringEquals": {
                    "aws:SourceAccount": "111111111111"
                }
            }
        }
    ]
}`

// SNS's default topic policy: the owner's account only, no service.
const defaultPolicy = `{"Version":"2008-10-17","Id":"__default_policy_ID","Statement":[{"Sid":"__default_statement_ID","Effect":"Allow","Principal":{"AWS":"*"},"Action":["SNS:GetTopicAttributes","SNS:SetTopicAttributes","SNS:AddPermission","SNS:RemovePermission","SNS:DeleteTopic","SNS:Subscribe","SNS:ListSubscriptionsByTopic","SNS:Publish"],"Resource":"arn:aws:sns:us-east-1:111111111111:plwiz-events","Condition":{"StringEquals":{"AWS:SourceOwner":"111111111111"}}}]}`

func vpcePublish(sourceArn, sourceAccount string) Request {
	return Request{
		Caller: Caller{Service: "vpce.amazonaws.com"}, Action: "SNS:Publish", Resource: topic,
		Context: map[string]string{"aws:SourceArn": sourceArn, "aws:SourceAccount": sourceAccount},
	}
}

func mustParse(t *testing.T, s string) Document {
	t.Helper()
	d, err := Parse(s)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return d
}

func TestGuidePolicyAllowsOnlyTheOwnersServices(t *testing.T) {
	d := mustParse(t, guidePolicy)
	cases := []struct {
		name string
		req  Request
		want bool
	}{
		{"the owner's service", vpcePublish(service, "111111111111"), true},
		{"action case folds", func() Request { r := vpcePublish(service, "111111111111"); r.Action = "sns:publish"; return r }(), true},
		{"another account's service", vpcePublish("arn:aws:ec2:us-east-1:222222222222:vpc-endpoint-service/vpce-svc-1", "222222222222"), false},
		{"an endpoint, not a service", vpcePublish("arn:aws:ec2:us-east-1:111111111111:vpc-endpoint/vpce-1", "111111111111"), false},
		{"no source at all", Request{Caller: Caller{Service: "vpce.amazonaws.com"}, Action: "SNS:Publish", Resource: topic}, false},
		{"another service", func() Request {
			r := vpcePublish(service, "111111111111")
			r.Caller.Service = "sns.amazonaws.com"
			return r
		}(), false},
		{"another topic", func() Request { r := vpcePublish(service, "111111111111"); r.Resource = topic + "2"; return r }(), false},
		{"another action", func() Request { r := vpcePublish(service, "111111111111"); r.Action = "SNS:Subscribe"; return r }(), false},
		{"an IAM user", Request{Caller: Caller{Account: "111111111111", ARN: "arn:aws:iam::111111111111:user/a"}, Action: "SNS:Publish", Resource: topic}, false},
	}
	for _, c := range cases {
		if got := d.Evaluate(c.req); got.Allowed != c.want {
			t.Errorf("%s: allowed %v, want %v (%+v)", c.name, got.Allowed, c.want, got)
		}
	}
}

func TestDefaultTopicPolicyDoesNotLetServicesPublish(t *testing.T) {
	d := mustParse(t, defaultPolicy)
	if got := d.Evaluate(vpcePublish(service, "111111111111")); got.Allowed {
		t.Errorf("the default policy let vpce.amazonaws.com publish: %+v", got)
	}
	// An IAM principal of another account whose request names the owner
	// (SNS's AWS:SourceOwner key, compared case-insensitively) is allowed.
	other := Request{Caller: Caller{Account: "222222222222"}, Action: "SNS:Publish", Resource: topic,
		Context: map[string]string{"aws:sourceowner": "111111111111"}}
	if got := d.Evaluate(other); !got.Allowed || got.Statement != "__default_statement_ID" {
		t.Errorf("AWS:SourceOwner not matched case-insensitively: %+v", got)
	}
	other.Context = nil
	if got := d.Evaluate(other); got.Allowed {
		t.Errorf("allowed without AWS:SourceOwner: %+v", got)
	}
}

func TestDenyWinsAndNegatedOperators(t *testing.T) {
	d := mustParse(t, `{"Statement":[
		{"Effect":"Allow","Principal":"*","Action":"sqs:*","Resource":"*"},
		{"Sid":"OnlyFromMyTopic","Effect":"Deny","Principal":{"Service":"sns.amazonaws.com"},"Action":"sqs:SendMessage","Resource":"*",
		 "Condition":{"ArnNotEquals":{"aws:SourceArn":"`+topic+`"}}}]}`)
	req := Request{Caller: Caller{Service: "sns.amazonaws.com"}, Action: "sqs:SendMessage", Resource: "arn:aws:sqs:us-east-1:1:q",
		Context: map[string]string{"aws:SourceArn": topic}}
	if got := d.Evaluate(req); !got.Allowed {
		t.Errorf("from the topic: %+v", got)
	}
	req.Context["aws:SourceArn"] = topic + "-other"
	if got := d.Evaluate(req); got.Allowed || !got.Denied || got.Statement != "OnlyFromMyTopic" {
		t.Errorf("from another topic: %+v", got)
	}
	delete(req.Context, "aws:SourceArn")
	if got := d.Evaluate(req); got.Allowed || !got.Denied {
		t.Errorf("a negated operator must match a missing key: %+v", got)
	}
}

func TestConditionOperators(t *testing.T) {
	ctx := map[string]string{"aws:sourcearn": topic, "aws:securetransport": "true"}
	cases := []struct {
		op     string
		key    string
		values []string
		want   bool
		known  bool
	}{
		{"StringLike", "aws:SourceArn", []string{"arn:aws:sns:*:111111111111:plwiz-*"}, true, true},
		{"StringNotLike", "aws:SourceArn", []string{"arn:aws:sns:*"}, false, true},
		{"StringEqualsIgnoreCase", "aws:SourceArn", []string{strings.ToUpper(topic)}, true, true},
		{"ArnLike", "aws:SourceArn", []string{"arn:aws:sns:us-east-1:*:*"}, true, true},
		{"ArnLike", "aws:SourceArn", []string{"arn:aws:sns:us-east-1:*"}, false, true},
		{"ArnEquals", "aws:SourceArn", []string{"arn:aws:sns:us-east-?:111111111111:plwiz-events"}, true, true},
		{"Bool", "aws:SecureTransport", []string{"true"}, true, true},
		{"Null", "aws:SourceAccount", []string{"true"}, true, true},
		{"Null", "aws:SourceArn", []string{"true"}, false, true},
		{"StringEqualsIfExists", "aws:SourceAccount", []string{"1"}, true, true},
		{"StringEquals", "aws:SourceAccount", []string{"1"}, false, true},
		{"ForAnyValue:StringLike", "aws:SourceArn", []string{"*plwiz*"}, true, true},
		{"NumericLessThan", "aws:SourceArn", []string{"3"}, false, false},
		{"NotIpAddress", "aws:SourceIp", []string{"10.0.0.0/8"}, false, false},
	}
	for _, c := range cases {
		got, known := condition(c.op, ctx, strings.ToLower(c.key), c.values)
		if got != c.want || known != c.known {
			t.Errorf("%s %s %v: got %v known %v, want %v known %v", c.op, c.key, c.values, got, known, c.want, c.known)
		}
	}
}

func TestPrincipals(t *testing.T) {
	user := Caller{Account: "222222222222", ARN: "arn:aws:iam::222222222222:user/plwiz-consumer"}
	cases := []struct {
		principal string
		caller    Caller
		want      bool
	}{
		{`"*"`, Caller{Service: "sns.amazonaws.com"}, true},
		{`{"AWS":"*"}`, Caller{Service: "sns.amazonaws.com"}, false},
		{`{"AWS":"*"}`, user, true},
		{`{"AWS":"222222222222"}`, user, true},
		{`{"AWS":["111111111111","arn:aws:iam::222222222222:root"]}`, user, true},
		{`{"AWS":"arn:aws:iam::222222222222:user/plwiz-consumer"}`, user, true},
		{`{"AWS":"arn:aws:iam::222222222222:user/other"}`, user, false},
		{`{"Service":["sns.amazonaws.com"]}`, Caller{Service: "SNS.amazonaws.com"}, true},
	}
	for _, c := range cases {
		d := mustParse(t, `{"Statement":{"Effect":"Allow","Principal":`+c.principal+`,"Action":"*","Resource":"*"}}`)
		if got := d.Evaluate(Request{Caller: c.caller, Action: "sqs:SendMessage", Resource: "arn:aws:sqs:us-east-1:1:q"}); got.Allowed != c.want {
			t.Errorf("principal %s, caller %+v: allowed %v, want %v", c.principal, c.caller, got.Allowed, c.want)
		}
	}
	// NotPrincipal: everyone but the named.
	d := mustParse(t, `{"Statement":[{"Effect":"Allow","NotPrincipal":{"AWS":"222222222222"},"Action":"*","Resource":"*"}]}`)
	if d.Evaluate(Request{Caller: user, Action: "a"}).Allowed || !d.Evaluate(Request{Caller: Caller{Account: "333333333333"}, Action: "a"}).Allowed {
		t.Error("NotPrincipal")
	}
}

func TestParseRefusesWhatAWSRefuses(t *testing.T) {
	bad := map[string]string{
		"not JSON":        `{"Statement":`,
		"trailing text":   `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*"}]} x`,
		"no statement":    `{"Version":"2012-10-17"}`,
		"bad effect":      `{"Statement":[{"Effect":"allow","Principal":"*","Action":"*"}]}`,
		"no principal":    `{"Statement":[{"Effect":"Allow","Action":"*"}]}`,
		"no action":       `{"Statement":[{"Effect":"Allow","Principal":"*"}]}`,
		"bad principal":   `{"Statement":[{"Effect":"Allow","Principal":"me","Action":"*"}]}`,
		"action a number": `{"Statement":[{"Effect":"Allow","Principal":"*","Action":3}]}`,
	}
	for name, text := range bad {
		if _, err := Parse(text); err == nil {
			t.Errorf("%s: parsed %s", name, text)
		}
	}
}

func TestUpsertAndJSONRoundTrip(t *testing.T) {
	d := mustParse(t, defaultPolicy)
	st := Statement{Sid: "PlwizVpcePublish", Effect: Allow, Principal: &Principal{Service: Strings{"vpce.amazonaws.com"}},
		Action: Strings{"SNS:Publish"}, Resource: Strings{topic},
		Condition: map[string]map[string]Strings{"ArnLike": {"aws:SourceArn": {service}}}}
	d.Upsert(st)
	d.Upsert(st) // the same Sid again replaces, not appends
	if len(d.Statement) != 2 {
		t.Fatalf("%d statements after two upserts of one Sid", len(d.Statement))
	}
	again := mustParse(t, d.JSON())
	if !again.Evaluate(vpcePublish(service, "111111111111")).Allowed {
		t.Errorf("the round-tripped policy does not allow what it says: %s", d.JSON())
	}
	if !strings.Contains(d.JSON(), `"Principal":{"AWS":"*"}`) || !strings.Contains(d.JSON(), `"Resource":"`+topic+`"`) {
		t.Errorf("single values are not written as strings: %s", d.JSON())
	}
}

func TestGlob(t *testing.T) {
	for _, c := range []struct {
		p, v string
		want bool
	}{
		{"*", "", true}, {"a*c", "abbc", true}, {"a*c", "abbd", false}, {"a?c", "abc", true},
		{"*b*", "abc", true}, {"a**", "a", true}, {"", "a", false},
	} {
		if got := Glob(c.p, c.v); got != c.want {
			t.Errorf("Glob(%q, %q) = %v", c.p, c.v, got)
		}
	}
}
