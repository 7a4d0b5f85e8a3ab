package sandbox_test

import (
	"encoding/xml"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/plwiz/plwiz/sandbox"
	"github.com/plwiz/plwiz/sandbox/sbtest"
)

func TestCreateServiceConfiguration(t *testing.T) {
	e := newPLEnv(t, sbtest.Options{})
	nlb := e.nlb(t)
	in := &ec2.CreateVpcEndpointServiceConfigurationInput{
		NetworkLoadBalancerArns: []string{nlb},
		AcceptanceRequired:      aws.Bool(true),
		PrivateDnsName:          aws.String("api.example.com"),
		SupportedRegions:        []string{"us-west-2"},
		ClientToken:             aws.String("token-1"),
		TagSpecifications: []types.TagSpecification{{
			ResourceType: types.ResourceTypeVpcEndpointService,
			Tags:         []types.Tag{{Key: aws.String("plwiz:session"), Value: aws.String("s1")}},
		}},
	}
	out, err := e.prov.CreateVpcEndpointServiceConfiguration(e.ctx, in)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	sc := out.ServiceConfiguration
	if aws.ToString(out.ClientToken) != "token-1" {
		t.Errorf("ClientToken = %q", aws.ToString(out.ClientToken))
	}
	id := aws.ToString(sc.ServiceId)
	if !strings.HasPrefix(id, "vpce-svc-") || len(id) != len("vpce-svc-")+17 {
		t.Errorf("ServiceId = %q", id)
	}
	if got, want := aws.ToString(sc.ServiceName), "com.amazonaws.vpce.us-east-1."+id; got != want {
		t.Errorf("ServiceName = %q, want %q", got, want)
	}
	if sc.ServiceState != types.ServiceStatePending {
		t.Errorf("ServiceState = %q, want Pending", sc.ServiceState)
	}
	if len(sc.ServiceType) != 1 || sc.ServiceType[0].ServiceType != types.ServiceTypeInterface {
		t.Errorf("ServiceType = %+v", sc.ServiceType)
	}
	if !aws.ToBool(sc.AcceptanceRequired) || aws.ToBool(sc.ManagesVpcEndpoints) {
		t.Errorf("AcceptanceRequired/ManagesVpcEndpoints = %v/%v", aws.ToBool(sc.AcceptanceRequired), aws.ToBool(sc.ManagesVpcEndpoints))
	}
	// The NLB spans the three AZs; the owner sees its own AZ names.
	plEqual(t, "AvailabilityZones", sc.AvailabilityZones, []string{"us-east-1a", "us-east-1b", "us-east-1c"})
	plEqual(t, "AvailabilityZoneIds", sc.AvailabilityZoneIds, []string{"use1-az1", "use1-az2", "use1-az3"})
	plEqual(t, "NetworkLoadBalancerArns", sc.NetworkLoadBalancerArns, []string{nlb})
	plEqual(t, "BaseEndpointDnsNames", sc.BaseEndpointDnsNames, []string{id + ".us-east-1.vpce.amazonaws.com"})
	var ipTypes []string
	for _, x := range sc.SupportedIpAddressTypes {
		ipTypes = append(ipTypes, string(x))
	}
	plEqual(t, "SupportedIpAddressTypes", ipTypes, []string{"ipv4"})
	var regions []string
	for _, r := range sc.SupportedRegions {
		regions = append(regions, aws.ToString(r.Region))
	}
	plEqual(t, "SupportedRegions", regions, []string{"us-east-1", "us-west-2"})
	if aws.ToString(sc.PrivateDnsName) != "api.example.com" {
		t.Errorf("PrivateDnsName = %q", aws.ToString(sc.PrivateDnsName))
	}
	cfg := sc.PrivateDnsNameConfiguration
	if cfg == nil || cfg.State != types.DnsNameStatePendingVerification || aws.ToString(cfg.Type) != "TXT" ||
		!strings.HasPrefix(aws.ToString(cfg.Name), "_") || !strings.HasPrefix(aws.ToString(cfg.Value), "vpce:") {
		t.Fatalf("PrivateDnsNameConfiguration = %+v", cfg)
	}
	if len(sc.Tags) != 1 || aws.ToString(sc.Tags[0].Key) != "plwiz:session" || aws.ToString(sc.Tags[0].Value) != "s1" {
		t.Errorf("Tags = %+v", sc.Tags)
	}

	// Same token and parameters: the same service, not a second one.
	again, err := e.prov.CreateVpcEndpointServiceConfiguration(e.ctx, in)
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	if aws.ToString(again.ServiceConfiguration.ServiceId) != id {
		t.Errorf("retry created %s, want %s", aws.ToString(again.ServiceConfiguration.ServiceId), id)
	}
	in.AcceptanceRequired = aws.Bool(false)
	_, err = e.prov.CreateVpcEndpointServiceConfiguration(e.ctx, in)
	plAPIError(t, err, "IdempotentParameterMismatch", "")

	// Pending until ServiceAvailable has passed on the sandbox clock.
	e.Advance(t, e.d.ServiceAvailable-time.Millisecond)
	if st := e.service(t, id).ServiceState; st != types.ServiceStatePending {
		t.Errorf("state just before the delay = %q, want Pending", st)
	}
	e.Advance(t, time.Millisecond)
	if st := e.service(t, id).ServiceState; st != types.ServiceStateAvailable {
		t.Errorf("state after the delay = %q, want Available", st)
	}
	list, err := e.prov.DescribeVpcEndpointServiceConfigurations(e.ctx, &ec2.DescribeVpcEndpointServiceConfigurationsInput{})
	if err != nil || len(list.ServiceConfigurations) != 1 {
		t.Fatalf("describe all: %v, %d services", err, len(list.ServiceConfigurations))
	}
}

func TestCreateServiceConfigurationErrors(t *testing.T) {
	e := newPLEnv(t, sbtest.Options{})
	_, err := e.prov.CreateVpcEndpointServiceConfiguration(e.ctx, &ec2.CreateVpcEndpointServiceConfigurationInput{})
	plAPIError(t, err, "InvalidParameter", "")

	// Another account's load balancer is not the caller's to use.
	_, err = e.cons.CreateVpcEndpointServiceConfiguration(e.ctx, &ec2.CreateVpcEndpointServiceConfigurationInput{
		NetworkLoadBalancerArns: []string{e.nlb(t)},
	})
	plAPIError(t, err, "InvalidParameter", "")

	// An NLB that is still provisioning is refused too.
	nlb := e.nlb(t)
	e.SB.World(func(w *sandbox.World, _ time.Time) { w.LoadBalancers[nlb].State = "provisioning" })
	_, err = e.prov.CreateVpcEndpointServiceConfiguration(e.ctx, &ec2.CreateVpcEndpointServiceConfigurationInput{NetworkLoadBalancerArns: []string{nlb}})
	plAPIError(t, err, "InvalidParameter", "")
	e.SB.World(func(w *sandbox.World, _ time.Time) { w.LoadBalancers[nlb].State = "active" })

	_, err = e.prov.CreateVpcEndpointServiceConfiguration(e.ctx, &ec2.CreateVpcEndpointServiceConfigurationInput{
		NetworkLoadBalancerArns: []string{nlb}, SupportedIpAddressTypes: []string{"ipv5"},
	})
	plAPIError(t, err, "InvalidParameterValue", "")
	_, err = e.prov.CreateVpcEndpointServiceConfiguration(e.ctx, &ec2.CreateVpcEndpointServiceConfigurationInput{
		NetworkLoadBalancerArns: []string{nlb}, PrivateDnsName: aws.String("not a name"),
	})
	plAPIError(t, err, "InvalidParameter", "")
}

func TestDescribeServiceConfigurationsFiltersAndPages(t *testing.T) {
	e := newPLEnv(t, sbtest.Options{})
	var ids []string
	for i := range 7 {
		in := &ec2.CreateVpcEndpointServiceConfigurationInput{NetworkLoadBalancerArns: []string{e.nlb(t)}}
		if i%2 == 0 {
			in.TagSpecifications = []types.TagSpecification{{ResourceType: types.ResourceTypeVpcEndpointService,
				Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("blue")}}}}
		}
		out, err := e.prov.CreateVpcEndpointServiceConfiguration(e.ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, *out.ServiceConfiguration.ServiceId)
		if i == 0 {
			e.Advance(t, e.d.ServiceAvailable) // only the first is Available
		}
	}
	filtered := func(fs ...types.Filter) []string {
		t.Helper()
		out, err := e.prov.DescribeVpcEndpointServiceConfigurations(e.ctx, &ec2.DescribeVpcEndpointServiceConfigurationsInput{Filters: fs})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, s := range out.ServiceConfigurations {
			got = append(got, *s.ServiceId)
		}
		return got
	}
	plEqual(t, "service-state=Available", filtered(types.Filter{Name: aws.String("service-state"), Values: []string{"Available"}}), ids[:1])
	plEqual(t, "tag:team=blue", filtered(types.Filter{Name: aws.String("tag:team"), Values: []string{"blue"}}), plSorted([]string{ids[0], ids[2], ids[4], ids[6]}))
	plEqual(t, "tag-key=team", filtered(types.Filter{Name: aws.String("tag-key"), Values: []string{"team"}}), plSorted([]string{ids[0], ids[2], ids[4], ids[6]}))
	plEqual(t, "service-id", filtered(types.Filter{Name: aws.String("service-id"), Values: []string{ids[3]}}), ids[3:4])
	plEqual(t, "service-name", filtered(types.Filter{Name: aws.String("service-name"), Values: []string{"com.amazonaws.vpce.us-east-1." + ids[5]}}), ids[5:6])

	// Pages of 5 through the SDK's paginator: 5 + 2, each service once.
	pager := ec2.NewDescribeVpcEndpointServiceConfigurationsPaginator(e.prov, &ec2.DescribeVpcEndpointServiceConfigurationsInput{MaxResults: aws.Int32(5)})
	all, pages := drainIDs(t, e.ctx, pager, func(out *ec2.DescribeVpcEndpointServiceConfigurationsOutput) (ids []string) {
		for _, s := range out.ServiceConfigurations {
			ids = append(ids, *s.ServiceId)
		}
		return ids
	})
	if pages != 2 {
		t.Errorf("pages = %d, want 2", pages)
	}
	plEqual(t, "paged services", all, plSorted(ids))

	_, err := e.prov.DescribeVpcEndpointServiceConfigurations(e.ctx, &ec2.DescribeVpcEndpointServiceConfigurationsInput{MaxResults: aws.Int32(4)})
	plAPIError(t, err, "InvalidParameterValue", "")
	_, err = e.prov.DescribeVpcEndpointServiceConfigurations(e.ctx, &ec2.DescribeVpcEndpointServiceConfigurationsInput{ServiceIds: []string{"vpce-svc-0123456789abcdef0"}})
	plAPIError(t, err, "InvalidVpcEndpointServiceId.NotFound", "The VpcEndpointService Id 'vpce-svc-0123456789abcdef0' does not exist")
	// The consumer does not see the provider's configurations.
	_, err = e.cons.DescribeVpcEndpointServiceConfigurations(e.ctx, &ec2.DescribeVpcEndpointServiceConfigurationsInput{ServiceIds: ids[:1]})
	plAPIError(t, err, "InvalidVpcEndpointServiceId.NotFound", "")
	_, err = e.prov.DescribeVpcEndpointServiceConfigurations(e.ctx, &ec2.DescribeVpcEndpointServiceConfigurationsInput{
		Filters: []types.Filter{{Name: aws.String("colour"), Values: []string{"x"}}}})
	plAPIError(t, err, "InvalidParameterValue", "The filter 'colour' is invalid")
}

func TestModifyServiceConfiguration(t *testing.T) {
	e := newPLEnv(t, sbtest.Options{})
	sc := e.availableService(t, true, "api.example.com")
	id := *sc.ServiceId
	first := *sc.PrivateDnsNameConfiguration

	modify := func(in *ec2.ModifyVpcEndpointServiceConfigurationInput) error {
		in.ServiceId = aws.String(id)
		out, err := e.prov.ModifyVpcEndpointServiceConfiguration(e.ctx, in)
		if err == nil && !aws.ToBool(out.Return) {
			t.Fatal("modify returned false")
		}
		return err
	}
	// A new name: verification starts over with a new value.
	if err := modify(&ec2.ModifyVpcEndpointServiceConfigurationInput{PrivateDnsName: aws.String("svc.example.com")}); err != nil {
		t.Fatal(err)
	}
	got := e.service(t, id)
	if aws.ToString(got.PrivateDnsName) != "svc.example.com" || got.PrivateDnsNameConfiguration.State != types.DnsNameStatePendingVerification ||
		aws.ToString(got.PrivateDnsNameConfiguration.Value) == aws.ToString(first.Value) {
		t.Errorf("after new name: %q %+v (old value %q)", aws.ToString(got.PrivateDnsName), got.PrivateDnsNameConfiguration, aws.ToString(first.Value))
	}
	// IPv6 needs every load balancer of the service to be dualstack; this
	// one is ipv4, and nothing of the request is applied.
	err := modify(&ec2.ModifyVpcEndpointServiceConfigurationInput{AcceptanceRequired: aws.Bool(false), AddSupportedIpAddressTypes: []string{"ipv6"}})
	plAPIError(t, err, "InvalidParameter", "The service cannot support the IP address type ipv6: load balancer "+e.nlb(t)+
		" uses the IP address type ipv4, and every load balancer of a service that supports ipv6 must use dualstack.")
	if got := e.service(t, id); !aws.ToBool(got.AcceptanceRequired) {
		t.Error("a refused modify changed the acceptance setting")
	}
	if err := modify(&ec2.ModifyVpcEndpointServiceConfigurationInput{
		AcceptanceRequired: aws.Bool(false), AddSupportedRegions: []string{"us-west-2"},
	}); err != nil {
		t.Fatal(err)
	}
	got = e.service(t, id)
	if aws.ToBool(got.AcceptanceRequired) || len(got.SupportedIpAddressTypes) != 1 || len(got.SupportedRegions) != 2 {
		t.Errorf("after add: acceptance %v, ip types %v, regions %+v", aws.ToBool(got.AcceptanceRequired), got.SupportedIpAddressTypes, got.SupportedRegions)
	}
	if err := modify(&ec2.ModifyVpcEndpointServiceConfigurationInput{
		RemoveSupportedRegions: []string{"us-west-2"}, RemovePrivateDnsName: aws.Bool(true),
	}); err != nil {
		t.Fatal(err)
	}
	got = e.service(t, id)
	if got.PrivateDnsName != nil || len(got.SupportedIpAddressTypes) != 1 || len(got.SupportedRegions) != 1 {
		t.Errorf("after remove: name %v, ip types %v, regions %+v", got.PrivateDnsName, got.SupportedIpAddressTypes, got.SupportedRegions)
	}
	plAPIError(t, modify(&ec2.ModifyVpcEndpointServiceConfigurationInput{PrivateDnsName: aws.String("a.example.com"), RemovePrivateDnsName: aws.Bool(true)}), "InvalidParameter", "")
	plAPIError(t, modify(&ec2.ModifyVpcEndpointServiceConfigurationInput{RemoveSupportedIpAddressTypes: []string{"ipv4"}}), "InvalidParameter", "")
	plAPIError(t, modify(&ec2.ModifyVpcEndpointServiceConfigurationInput{RemoveSupportedRegions: []string{"us-east-1"}}), "InvalidParameter", "")
	plAPIError(t, modify(&ec2.ModifyVpcEndpointServiceConfigurationInput{RemoveNetworkLoadBalancerArns: []string{e.nlb(t)}}), "InvalidParameter", "")
	_, err = e.prov.ModifyVpcEndpointServiceConfiguration(e.ctx, &ec2.ModifyVpcEndpointServiceConfigurationInput{ServiceId: aws.String("vpce-svc-00000000000000000")})
	plAPIError(t, err, "InvalidVpcEndpointServiceId.NotFound", "")
}

func TestPrivateDNSVerification(t *testing.T) {
	e := newPLEnv(t, sbtest.Options{})
	start := func(id string) {
		t.Helper()
		out, err := e.prov.StartVpcEndpointServicePrivateDnsVerification(e.ctx, &ec2.StartVpcEndpointServicePrivateDnsVerificationInput{ServiceId: aws.String(id)})
		if err != nil || !aws.ToBool(out.ReturnValue) {
			t.Fatalf("start verification: %v", err)
		}
	}
	state := func(id string) types.DnsNameState {
		t.Helper()
		return e.service(t, id).PrivateDnsNameConfiguration.State
	}
	// Each case gets a service of its own; the record named by want* decides.
	cases := []struct {
		name   string
		record func(cfg *types.PrivateDnsNameConfiguration) (zone, name, value string)
		want   types.DnsNameState
	}{
		{"no record", nil, types.DnsNameStateFailed},
		{"wrong value", func(c *types.PrivateDnsNameConfiguration) (string, string, string) {
			return "example.com.", *c.Name + ".api.example.com.", "vpce:wrong"
		}, types.DnsNameStateFailed},
		{"wrong name", func(c *types.PrivateDnsNameConfiguration) (string, string, string) {
			return "example.com.", "_other.api.example.com.", *c.Value
		}, types.DnsNameStateFailed},
		{"at the private DNS name", func(c *types.PrivateDnsNameConfiguration) (string, string, string) {
			return "example.com.", *c.Name + ".api.example.com.", *c.Value
		}, types.DnsNameStateVerified},
		{"at the parent domain", func(c *types.PrivateDnsNameConfiguration) (string, string, string) {
			return "example.com.", *c.Name + ".example.com.", *c.Value
		}, types.DnsNameStateVerified},
		{"only in a private zone", func(c *types.PrivateDnsNameConfiguration) (string, string, string) {
			return "api.example.com.", *c.Name + ".api.example.com.", *c.Value
		}, types.DnsNameStateFailed},
	}
	e.SB.World(func(w *sandbox.World, _ time.Time) {
		// A private zone for the very name: only its being private keeps the
		// record from counting.
		w.HostedZones["ZPRIVATE"] = &sandbox.HostedZone{ID: "ZPRIVATE", Name: "api.example.com.", Owner: e.provAcct.ID, Private: true}
	})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sc := e.createService(t, true, "api.example.com")
			if tc.record != nil {
				zone, name, value := tc.record(sc.PrivateDnsNameConfiguration)
				e.putTXT(t, zone, name, value)
			}
			start(*sc.ServiceId)
			e.Advance(t, e.d.Verification-time.Millisecond)
			if st := state(*sc.ServiceId); st != types.DnsNameStatePendingVerification {
				t.Fatalf("before the delay: %q", st)
			}
			e.Advance(t, time.Millisecond)
			if st := state(*sc.ServiceId); st != tc.want {
				t.Fatalf("state = %q, want %q", st, tc.want)
			}
		})
	}

	// A failed verification can be run again once the record is fixed.
	sc := e.createService(t, true, "retry.example.com")
	start(*sc.ServiceId)
	e.Advance(t, e.d.Verification)
	if st := state(*sc.ServiceId); st != types.DnsNameStateFailed {
		t.Fatalf("first run: %q", st)
	}
	e.putTXT(t, "example.com.", *sc.PrivateDnsNameConfiguration.Name+".retry.example.com.", *sc.PrivateDnsNameConfiguration.Value)
	start(*sc.ServiceId)
	e.Advance(t, e.d.Verification)
	if st := state(*sc.ServiceId); st != types.DnsNameStateVerified {
		t.Fatalf("second run: %q", st)
	}

	noName := e.createService(t, true, "")
	_, err := e.prov.StartVpcEndpointServicePrivateDnsVerification(e.ctx, &ec2.StartVpcEndpointServicePrivateDnsVerificationInput{ServiceId: noName.ServiceId})
	plAPIError(t, err, "InvalidParameter", "")
}

func TestServicePermissions(t *testing.T) {
	e := newPLEnv(t, sbtest.Options{})
	sc := e.createService(t, true, "")
	id := *sc.ServiceId
	principals := []string{
		"arn:aws:iam::" + e.consAcct.ID + ":root",
		"arn:aws:iam::333333333333:role/app",
		"arn:aws:iam::444444444444:user/dev",
		"*",
		"arn:aws:iam::555555555555:root",
		"arn:aws:iam::666666666666:root",
		"arn:aws:iam::777777777777:root",
	}
	out := e.allow(t, id, principals...)
	if !aws.ToBool(out.ReturnValue) || len(out.AddedPrincipals) != len(principals) {
		t.Fatalf("added %d principals, return %v", len(out.AddedPrincipals), aws.ToBool(out.ReturnValue))
	}
	wantType := map[string]types.PrincipalType{principals[0]: "Account", principals[1]: "Role", principals[2]: "User", "*": "All"}
	for _, a := range out.AddedPrincipals {
		if !strings.HasPrefix(aws.ToString(a.ServicePermissionId), "vpce-svc-perm-") || aws.ToString(a.ServiceId) != id {
			t.Errorf("added principal %+v", a)
		}
		if w, ok := wantType[aws.ToString(a.Principal)]; ok && a.PrincipalType != w {
			t.Errorf("%s: PrincipalType = %q, want %q", aws.ToString(a.Principal), a.PrincipalType, w)
		}
	}

	// Pages of 5 hold every principal once.
	pager := ec2.NewDescribeVpcEndpointServicePermissionsPaginator(e.prov, &ec2.DescribeVpcEndpointServicePermissionsInput{ServiceId: aws.String(id), MaxResults: aws.Int32(5)})
	seen, pages := drainIDs(t, e.ctx, pager, func(out *ec2.DescribeVpcEndpointServicePermissionsOutput) (arns []string) {
		for _, p := range out.AllowedPrincipals {
			arns = append(arns, aws.ToString(p.Principal))
		}
		return arns
	})
	if pages != 2 {
		t.Errorf("pages = %d, want 2", pages)
	}
	plEqual(t, "described principals", plSorted(seen), plSorted(principals))

	roles, err := e.prov.DescribeVpcEndpointServicePermissions(e.ctx, &ec2.DescribeVpcEndpointServicePermissionsInput{
		ServiceId: aws.String(id), Filters: []types.Filter{{Name: aws.String("principal-type"), Values: []string{"Role"}}}})
	if err != nil || len(roles.AllowedPrincipals) != 1 || aws.ToString(roles.AllowedPrincipals[0].Principal) != principals[1] {
		t.Fatalf("principal-type=Role: %v %+v", err, roles)
	}

	if _, err := e.prov.ModifyVpcEndpointServicePermissions(e.ctx, &ec2.ModifyVpcEndpointServicePermissionsInput{
		ServiceId: aws.String(id), RemoveAllowedPrincipals: principals[1:]}); err != nil {
		t.Fatal(err)
	}
	left, err := e.prov.DescribeVpcEndpointServicePermissions(e.ctx, &ec2.DescribeVpcEndpointServicePermissionsInput{ServiceId: aws.String(id)})
	if err != nil || len(left.AllowedPrincipals) != 1 || aws.ToString(left.AllowedPrincipals[0].Principal) != principals[0] ||
		left.AllowedPrincipals[0].PrincipalType != types.PrincipalTypeAccount {
		t.Fatalf("after remove: %v %+v", err, left)
	}

	for _, bad := range []string{"123456789012", "arn:aws:iam::12345:root", "arn:aws:s3:::bucket", "arn:aws:iam::123456789012:group/x"} {
		_, err := e.prov.ModifyVpcEndpointServicePermissions(e.ctx, &ec2.ModifyVpcEndpointServicePermissionsInput{
			ServiceId: aws.String(id), AddAllowedPrincipals: []string{bad}})
		plAPIError(t, err, "InvalidParameter", "")
	}
	_, err = e.cons.DescribeVpcEndpointServicePermissions(e.ctx, &ec2.DescribeVpcEndpointServicePermissionsInput{ServiceId: aws.String(id)})
	plAPIError(t, err, "InvalidVpcEndpointServiceId.NotFound", "")
}

// itemFields returns, for each <item> directly under an element named set,
// the names of its child elements, in order.
func itemFields(t *testing.T, body, set string) [][]string {
	t.Helper()
	dec := xml.NewDecoder(strings.NewReader(body))
	var stack []string
	var items [][]string
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return items
		}
		if err != nil {
			t.Fatalf("response is not XML: %v\n%s", err, body)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			n := len(stack)
			if n >= 2 && stack[n-2] == set && stack[n-1] == "item" {
				items[len(items)-1] = append(items[len(items)-1], el.Name.Local)
			}
			if n >= 1 && stack[n-1] == set && el.Name.Local == "item" {
				items = append(items, nil)
			}
			stack = append(stack, el.Name.Local)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		}
	}
}

// TestPermissionItemsHaveTheModelsMembers checks the raw XML: an
// addedPrincipalSet item (AddedPrincipal) has exactly the four members of
// the EC2 model, no tagSet; an allowedPrincipals item (AllowedPrincipal)
// nothing outside its model.
func TestPermissionItemsHaveTheModelsMembers(t *testing.T) {
	e := newPLEnv(t, sbtest.Options{})
	id := *e.createService(t, true, "").ServiceId
	_, body, _ := rawCall(t, e.Env, "provider", "ec2", "POST", "/",
		"Action=ModifyVpcEndpointServicePermissions&Version=2016-11-15&ServiceId="+id+
			"&AddAllowedPrincipals.1=arn%3Aaws%3Aiam%3A%3A"+e.consAcct.ID+"%3Aroot&AddAllowedPrincipals.2=*")
	added := itemFields(t, body, "addedPrincipalSet")
	if len(added) != 2 {
		t.Fatalf("%d added items:\n%s", len(added), body)
	}
	for _, fields := range added {
		plEqual(t, "AddedPrincipal members", fields, []string{"principalType", "principal", "servicePermissionId", "serviceId"})
	}
	_, body, _ = rawCall(t, e.Env, "provider", "ec2", "POST", "/",
		"Action=DescribeVpcEndpointServicePermissions&Version=2016-11-15&ServiceId="+id)
	allowed := itemFields(t, body, "allowedPrincipals")
	if len(allowed) != 2 {
		t.Fatalf("%d allowed items:\n%s", len(allowed), body)
	}
	model := []string{"principalType", "principal", "servicePermissionId", "tagSet", "serviceId"}
	for _, fields := range allowed {
		for _, f := range fields {
			if !slices.Contains(model, f) {
				t.Errorf("AllowedPrincipal has %s, not in the model %v", f, model)
			}
		}
	}
}
