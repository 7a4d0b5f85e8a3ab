package steps

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/plwiz/plwiz/awsid"
	"github.com/plwiz/plwiz/awsops"
	"github.com/plwiz/plwiz/handoff"
	"github.com/plwiz/plwiz/probe"
)

// Session keys: inputs (what the user said) and resources (what AWS said).
const (
	// Provider inputs.
	InNLB            = "nlbArn"
	InServiceID      = "serviceId"
	InAcceptance     = "acceptanceRequired"
	InPrincipals     = "principals"
	InPrivateDNS     = "privateDnsName"
	InWriteTXT       = "writeTxt"
	InOfferOut       = "offerOut"
	InRequest        = "request"
	InAutoAccept     = "autoAccept"
	InSupportedRegns = "supportedRegions"
	InIPTypes        = "ipAddressTypes"

	// Consumer inputs of the endpoint's IP address type.
	InIPType        = "ipAddressType"
	InDNSRecordType = "dnsRecordIpType"

	// Consumer inputs.
	InOffer         = "offer"
	InVPC           = "vpcId"
	InSubnets       = "subnetIds"
	InSecurityGroup = "securityGroup"
	InRequestOut    = "requestOut"
	InHTTPPath      = "httpPath"

	// Resources.
	ResNLBPort        = "port"
	ResServiceID      = "serviceId"
	ResServiceName    = "serviceName"
	ResZoneID         = "hostedZoneId"
	ResZoneName       = "hostedZoneName"
	ResTXTName        = "txtName"
	ResTXTValue       = "txtValue"
	ResChangeID       = "route53ChangeId"
	ResTXTWritten     = "txtWritten"
	ResOfferPath      = "offerPath"
	ResExpected       = "expectedEndpoints"
	ResConsumerAcct   = "consumerAccount"
	ResConsumerARN    = "consumerArn"
	ResAccepted       = "acceptedEndpoints"
	ResProviderAcct   = "providerAccount"
	ResOfferRegion    = "offerRegion"
	ResOfferZones     = "offerZoneIds"
	ResOfferDNS       = "offerPrivateDnsName"
	ResOfferDNSState  = "offerPrivateDnsState"
	ResOfferAccept    = "offerAcceptanceRequired"
	ResServedZones    = "servedZoneIds"
	ResOfferIPTypes   = "offerIpAddressTypes"
	ResSecurityGroup  = "securityGroupId"
	ResEndpointID     = "endpointId"
	ResEndpointTry    = "endpointAttempt"
	ResRequestPath    = "requestPath"
	ResVPCCIDRs       = "vpcCidrs"
	ResVPCIPv6CIDRs   = "vpcIpv6Cidrs"
	ResEndpointZones  = "endpointZoneIds"
	ResEndpointSubnet = "endpointSubnetIds"
	ResPrivateDNSOnAt = "privateDnsEnabledAt"
)

// CreateSecurityGroupValue is the security group input that asks plwiz to
// make one.
const CreateSecurityGroupValue = "create"

// splitList splits a comma or space separated list, dropping empties and
// duplicates, keeping order.
func splitList(v string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\t' }) {
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

var reHTTPath = regexp.MustCompile(`^/[\x21-\x7e]*$`)

// quoteInput renders a value the user gave for an error message: quoted,
// with control and non-ASCII characters escaped so none is lost or hidden.
func quoteInput(v string) string { return strconv.QuoteToASCII(v) }

func validateNLBARN(v string) error {
	if !awsid.IsNLBARN(v) {
		return fmt.Errorf("expected %s, found %s", awsid.NLBARNShape, quoteInput(v))
	}
	return nil
}

// validateID returns the Validate of an input that takes an ID of kind.
func validateID(kind awsid.Kind, what string) func(string) error {
	return func(v string) error {
		if !kind.Valid(v) {
			return fmt.Errorf("expected %s (%s), found %s", what, kind.Shape(), quoteInput(v))
		}
		return nil
	}
}

func validateBool(v string) error {
	if v != "true" && v != "false" {
		return fmt.Errorf("expected true or false, found %s", quoteInput(v))
	}
	return nil
}

func validateDNSName(v string) error {
	if err := probe.ValidateName(v); err != nil {
		return err
	}
	if !strings.Contains(strings.TrimSuffix(v, "."), ".") {
		return fmt.Errorf("expected a fully qualified name such as api.example.com, found %s", quoteInput(v))
	}
	return nil
}

// splitPrincipals splits the allowed principals a user typed, separated by
// commas or spaces. IAM names may hold commas, so a comma-separated piece
// that is neither an ARN, an account ID nor * continues the ARN before it.
func splitPrincipals(v string) []string {
	var out []string
	for _, field := range strings.Fields(v) {
		var pieces []string
		for _, p := range strings.Split(field, ",") {
			n := len(pieces)
			if n > 0 && p != "" && !strings.HasPrefix(p, "arn:") && !awsid.IsAccount(p) && p != "*" && strings.HasPrefix(pieces[n-1], "arn:") {
				pieces[n-1] += "," + p
				continue
			}
			pieces = append(pieces, p)
		}
		for _, p := range pieces {
			if p != "" && !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	return out
}

// validatePrincipals checks the shape of each principal; its partition is
// checked against the session's region when the step runs.
func validatePrincipals(v string) error {
	list := splitPrincipals(v)
	if len(list) == 0 {
		return errors.New("expected at least one account ID or IAM ARN")
	}
	for _, p := range list {
		if _, err := awsops.PrincipalARN(p, ""); err != nil {
			return err
		}
	}
	return nil
}

func validateOutPath(v string) error {
	if strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return errors.New("the path contains control characters")
	}
	if fi, err := os.Stat(v); err == nil && fi.IsDir() {
		return fmt.Errorf("%s is a directory; give a file name", v)
	}
	if dir := filepath.Dir(v); dir != "" {
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			return fmt.Errorf("folder %s does not exist", dir)
		}
	}
	return nil
}

// validateBundleRef accepts a file path or a pasted token (or JSON), cleaned
// as handoff.Clean cleans every entry; the file may not exist yet (the
// other party has not sent it), so only its name is checked.
func validateBundleRef(kind handoff.Kind) func(string) error {
	return func(v string) error {
		ref, err := handoff.Clean(v)
		if err != nil {
			return err
		}
		if ref == "" {
			return errors.New("expected a file path or a pasted token")
		}
		if !handoff.IsInline(ref) {
			return nil
		}
		b, err := handoff.Decode([]byte(ref), time.Now())
		if err != nil {
			return err
		}
		if b.Kind() != kind {
			return fmt.Errorf("this is a %s token; this step needs the %s", b.Kind(), kind)
		}
		return nil
	}
}

// readBundle loads a bundle from a token or a file. ok is false when the file
// does not exist yet, which a wait step treats as "not sent yet".
func readBundle(v string, now time.Time) (b handoff.Bundle, ok bool, err error) {
	ref, err := handoff.Clean(v)
	if err != nil {
		return nil, false, err
	}
	if handoff.IsInline(ref) {
		b, err := handoff.Decode([]byte(ref), now)
		return b, err == nil, err
	}
	b, err = handoff.ReadFile(ref, now)
	if errors.Is(err, os.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return b, true, nil
}

// awaitBundle is the Poll of an import step: the bundle once the other
// party has sent it; until then (b nil, err nil) the status that says what
// is awaited. A bundle that is not readable is the user's input.
func awaitBundle(env *Env, ref, awaited string) (b handoff.Bundle, waiting Status, err error) {
	b, ok, err := readBundle(ref, env.now())
	if err != nil {
		return nil, Status{}, &BadInputError{Err: err}
	}
	if !ok {
		return nil, Status{OtherParty: true, State: "waiting", Detail: "waiting for " + awaited + " at " + ref}, nil
	}
	return b, Status{}, nil
}

// identityStep asks STS who the caller is; a resumed session must run as the
// same account it started with.
func identityStep(role Role) *Step {
	return &Step{
		ID: StepIdentity, Title: "Identity", Kind: KindAction,
		Describe: func(*Session) string {
			return "Ask AWS STS which account, identity and region these credentials belong to."
		},
		Do: func(ctx context.Context, env *Env, s *Session) (Result, error) {
			id, err := env.identity(ctx, role)
			if err != nil {
				return Result{}, err
			}
			if s.Account != "" && s.Account != id.Account {
				return Result{}, badInputf("this session was started in account %s, but these credentials are for account %s; use the same profile, or start a new session", s.Account, id.Account)
			}
			if s.Region != "" && s.Region != id.Region {
				return Result{}, badInputf("this session was started in region %s, not %s; pass --region %s", s.Region, id.Region, s.Region)
			}
			s.Account, s.ARN, s.Region, s.Endpoint = id.Account, id.ARN, id.Region, env.AWS.EndpointURL()
			return Result{Detail: fmt.Sprintf("account %s as %s in %s", id.Account, id.ARN, id.Region)}, nil
		},
	}
}
