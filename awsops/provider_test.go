package awsops

import (
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/plwiz/plwiz/sandbox/sbtest"
)

func TestModifyServiceSettings(t *testing.T) {
	t.Parallel()
	w := startWorld(t, sbtest.Options{})
	ctx := sbtest.Context(t)
	svc := w.availableService(t, ctx, true)
	if err := w.p.ModifyService(ctx, svc.ID, ModifyServiceInput{
		AcceptanceRequired: aws.Bool(false), PrivateDNSName: "svc.example.com",
		AddSupportedRegions: []string{"us-west-2"},
	}); err != nil {
		t.Fatalf("ModifyService: %v", err)
	}
	got, err := w.p.DescribeService(ctx, svc.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.AcceptanceRequired || got.PrivateDNS.Name != "svc.example.com" ||
		!slices.Contains(got.SupportedRegions, "us-west-2") || !slices.Contains(got.SupportedRegions, w.p.Region()) {
		t.Fatalf("after modify: %+v", got)
	}
	if err := w.p.ModifyService(ctx, svc.ID, ModifyServiceInput{
		AcceptanceRequired: aws.Bool(true), RemovePrivateDNSName: true,
		RemoveSupportedRegions: []string{"us-west-2"},
	}); err != nil {
		t.Fatalf("ModifyService back: %v", err)
	}
	got, err = w.p.DescribeService(ctx, svc.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.AcceptanceRequired || got.PrivateDNS != (PrivateDNS{}) || slices.Contains(got.IPAddressTypes, "ipv6") || slices.Contains(got.SupportedRegions, "us-west-2") {
		t.Fatalf("after modify back: %+v", got)
	}
	if err := w.p.ModifyService(ctx, svc.ID, ModifyServiceInput{PrivateDNSName: "a.example.com", RemovePrivateDNSName: true}); err == nil {
		t.Error("setting and removing the private DNS name at once was accepted")
	}
}

func TestPrincipalsAllowAndRevoke(t *testing.T) {
	t.Parallel()
	w := startWorld(t, sbtest.Options{})
	ctx := sbtest.Context(t)
	svc := w.availableService(t, ctx, true) // allows the consumer's root
	role := "arn:aws:iam::" + w.account(t, "consumer").ID + ":role/app"
	if err := w.p.AllowPrincipals(ctx, svc.ID, []string{role}); err != nil {
		t.Fatalf("AllowPrincipals: %v", err)
	}
	got, err := w.p.AllowedPrincipals(ctx, svc.ID)
	if err != nil || len(got) != 2 {
		t.Fatalf("AllowedPrincipals: %+v, %v", got, err)
	}
	i := slices.IndexFunc(got, func(p AllowedPrincipal) bool { return p.ARN == role })
	if i < 0 || got[i].Type != "Role" {
		t.Errorf("role principal %+v", got)
	}
	if err := w.p.RevokePrincipals(ctx, svc.ID, []string{role}); err != nil {
		t.Fatalf("RevokePrincipals: %v", err)
	}
	if got, err = w.p.AllowedPrincipals(ctx, svc.ID); err != nil || len(got) != 1 || got[0].ARN == role {
		t.Fatalf("after revoke: %+v, %v", got, err)
	}
	if err := w.p.AllowPrincipals(ctx, svc.ID, nil); err != nil {
		t.Errorf("allowing nobody should be a no-op: %v", err)
	}
	// Revoked: the consumer no longer sees the service.
	if err := w.p.RevokePrincipals(ctx, svc.ID, []string{got[0].ARN}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.c.LookupService(ctx, svc.Name); KindOf(err) != KindServiceNotVisible {
		t.Errorf("LookupService after revoking everyone: %v", err)
	}
}

func TestLoadBalancerByARNAndZones(t *testing.T) {
	t.Parallel()
	w := startWorld(t, sbtest.Options{})
	ctx := sbtest.Context(t)
	arn, port := w.nlb(t)
	lb, err := w.p.LoadBalancer(ctx, arn)
	if err != nil || lb.ARN != arn || lb.Name == "" || lb.DNSName == "" || lb.VPCID == "" || lb.Scheme != "internal" || lb.Listeners[0].Port != port || lb.Listeners[0].Protocol != "TCP" || len(lb.Listeners[0].TargetGroupARNs) != 1 {
		t.Fatalf("LoadBalancer: %+v, %v", lb, err)
	}
	if ids := lb.ZoneIDs(); len(ids) != 3 {
		t.Errorf("zone IDs %v", ids)
	}
	prov, cons := w.account(t, "provider"), w.account(t, "consumer")
	pz, err := w.p.AvailabilityZones(ctx)
	if err != nil || len(pz) != 3 {
		t.Fatalf("provider zones %+v %v", pz, err)
	}
	cz, err := w.c.AvailabilityZones(ctx)
	if err != nil || len(cz) != 3 {
		t.Fatalf("consumer zones %+v %v", cz, err)
	}
	for _, z := range pz {
		if prov.AZName(z.ID) != z.Name {
			t.Errorf("provider zone %+v", z)
		}
	}
	differ := false
	for _, z := range cz {
		if cons.AZName(z.ID) != z.Name {
			t.Errorf("consumer zone %+v", z)
		}
		differ = differ || prov.AZName(z.ID) != z.Name
	}
	if !differ {
		t.Error("the two accounts name every zone alike; the test world should not")
	}
}
