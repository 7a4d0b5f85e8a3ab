package sandbox_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/plwiz/plwiz/sandbox"
	"github.com/plwiz/plwiz/sandbox/sbtest"
)

// worldLB returns copies of the world's load balancers owned by account.
func worldLBs(env *sbtest.Env, account string) (lbs []sandbox.LoadBalancer, subnets map[string]sandbox.Subnet) {
	subnets = map[string]sandbox.Subnet{}
	env.SB.World(func(w *sandbox.World, _ time.Time) {
		for _, arn := range sandbox.SortedKeys(w.LoadBalancers) {
			if lb := w.LoadBalancers[arn]; lb.Owner == account {
				lbs = append(lbs, *lb)
			}
		}
		for id, sn := range w.Subnets {
			subnets[id] = *sn
		}
	})
	return lbs, subnets
}

func TestDescribeLoadBalancers(t *testing.T) {
	env := sbtest.Start(t, sbtest.Options{})
	ctx := sbtest.Context(t)
	prov := env.Account(t, "provider")
	cons := env.Account(t, "consumer")
	pc := elb.NewFromConfig(env.Config(t, "provider"))
	cc := elb.NewFromConfig(env.Config(t, "consumer"))

	// The default world's two: plwiz-demo-nlb (ipv4, three AZs) and
	// plwiz-dualstack-nlb (dualstack, the two AZs with IPv6), in ARN order.
	lbs, subnets := worldLBs(env, prov.ID)
	if len(lbs) != 2 {
		t.Fatalf("world has %d provider load balancers, want 2", len(lbs))
	}
	want := lbs[0]

	out, err := pc.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{})
	if err != nil {
		t.Fatalf("DescribeLoadBalancers: %v", err)
	}
	if len(out.LoadBalancers) != 2 {
		t.Fatalf("got %d load balancers, want 2", len(out.LoadBalancers))
	}
	got := out.LoadBalancers[0]
	if ds := out.LoadBalancers[1]; aws.ToString(ds.LoadBalancerName) != sandbox.DualstackNLBName || ds.IpAddressType != elbtypes.IpAddressTypeDualstack || len(ds.AvailabilityZones) != 2 {
		t.Errorf("second load balancer: %s %s in %d AZs, want %s dualstack in 2", aws.ToString(ds.LoadBalancerName), ds.IpAddressType, len(ds.AvailabilityZones), sandbox.DualstackNLBName)
	}
	checks := []struct{ name, got, want string }{
		{"LoadBalancerArn", aws.ToString(got.LoadBalancerArn), want.ARN},
		{"LoadBalancerName", aws.ToString(got.LoadBalancerName), "plwiz-demo-nlb"},
		{"DNSName", aws.ToString(got.DNSName), want.DNSName},
		{"Type", string(got.Type), "network"},
		{"Scheme", string(got.Scheme), "internal"},
		{"State.Code", string(got.State.Code), "active"},
		{"VpcId", aws.ToString(got.VpcId), want.VPCID},
		{"IpAddressType", string(got.IpAddressType), "ipv4"},
		{"CanonicalHostedZoneId", aws.ToString(got.CanonicalHostedZoneId), "Z26RNL4JYFTOTI"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if got.CreatedTime == nil || !got.CreatedTime.Equal(want.CreatedAt.Truncate(time.Millisecond)) {
		t.Errorf("CreatedTime = %v, want %v", got.CreatedTime, want.CreatedAt)
	}
	if len(got.AvailabilityZones) != 3 {
		t.Fatalf("%d AZs, want 3", len(got.AvailabilityZones))
	}
	for i, az := range got.AvailabilityZones {
		sn := subnets[want.SubnetIDs[i]]
		if aws.ToString(az.SubnetId) != sn.ID {
			t.Errorf("AZ %d SubnetId = %q, want %q", i, aws.ToString(az.SubnetId), sn.ID)
		}
		if aws.ToString(az.ZoneName) != prov.AZNames[sn.AZID] {
			t.Errorf("AZ %d ZoneName = %q, want the provider's name %q", i, aws.ToString(az.ZoneName), prov.AZNames[sn.AZID])
		}
	}

	t.Run("by ARN and by name", func(t *testing.T) {
		o, err := pc.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{LoadBalancerArns: []string{want.ARN}})
		if err != nil || len(o.LoadBalancers) != 1 || aws.ToString(o.LoadBalancers[0].LoadBalancerArn) != want.ARN {
			t.Fatalf("by ARN: %v %v", o, err)
		}
		o, err = pc.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{Names: []string{"plwiz-demo-nlb"}})
		if err != nil || len(o.LoadBalancers) != 1 || aws.ToString(o.LoadBalancers[0].LoadBalancerArn) != want.ARN {
			t.Fatalf("by name: %v %v", o, err)
		}
	})
	t.Run("errors", func(t *testing.T) {
		other := "0" // another ARN: its last digit changed (the world's IDs are random)
		if strings.HasSuffix(want.ARN, other) {
			other = "1"
		}
		_, err := pc.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{
			LoadBalancerArns: []string{want.ARN[:len(want.ARN)-1] + other}})
		wantCode(t, err, "LoadBalancerNotFound")
		var nf *elbtypes.LoadBalancerNotFoundException
		if !errorsAs(err, &nf) {
			t.Errorf("error %T is not LoadBalancerNotFoundException", err)
		}
		_, err = pc.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{Names: []string{"nope"}})
		wantCode(t, err, "LoadBalancerNotFound")
		_, err = pc.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{LoadBalancerArns: []string{"not-an-arn"}})
		wantCode(t, err, "ValidationError")
		_, err = pc.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{LoadBalancerArns: []string{want.ARN}, Names: []string{"x"}})
		wantCode(t, err, "ValidationError")
		_, err = pc.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{PageSize: aws.Int32(401)})
		wantCode(t, err, "ValidationError")
	})
	t.Run("consumer sees only its own", func(t *testing.T) {
		o, err := cc.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{})
		if err != nil || len(o.LoadBalancers) != 0 {
			t.Fatalf("consumer: %d load balancers, %v", len(o.LoadBalancers), err)
		}
		_, err = cc.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{LoadBalancerArns: []string{want.ARN}})
		wantCode(t, err, "LoadBalancerNotFound")
	})
	t.Run("consumer's AZ names for the same AZ IDs", func(t *testing.T) {
		// Give the consumer an NLB in its own subnets: its AZs must come
		// back in the consumer's names, which differ from the provider's.
		var arn string
		env.SB.World(func(w *sandbox.World, now time.Time) {
			var sids []string
			for _, id := range sandbox.SortedKeys(w.Subnets) {
				if w.Subnets[id].Owner == cons.ID {
					sids = append(sids, id)
				}
			}
			arn = fmt.Sprintf("arn:aws:elasticloadbalancing:%s:%s:loadbalancer/net/cons-nlb/0123456789abcdef", w.Region, cons.ID)
			w.LoadBalancers[arn] = &sandbox.LoadBalancer{ARN: arn, Owner: cons.ID, Name: "cons-nlb", Type: "network",
				Scheme: "internal", State: "active", VPCID: w.Subnets[sids[0]].VPCID, SubnetIDs: sids, CreatedAt: now}
		})
		o, err := cc.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{LoadBalancerArns: []string{arn}})
		if err != nil || len(o.LoadBalancers) != 1 {
			t.Fatalf("consumer NLB: %v", err)
		}
		_, subnets := worldLBs(env, cons.ID)
		for _, az := range o.LoadBalancers[0].AvailabilityZones {
			azID := subnets[aws.ToString(az.SubnetId)].AZID
			if aws.ToString(az.ZoneName) != cons.AZNames[azID] {
				t.Errorf("ZoneName %q for %s, want consumer's %q", aws.ToString(az.ZoneName), azID, cons.AZNames[azID])
			}
			if aws.ToString(az.ZoneName) == prov.AZNames[azID] {
				t.Errorf("ZoneName %q for %s is the provider's name", aws.ToString(az.ZoneName), azID)
			}
		}
	})
	t.Run("pagination", func(t *testing.T) {
		env.SB.World(func(w *sandbox.World, now time.Time) {
			for i := range 7 {
				arn := fmt.Sprintf("arn:aws:elasticloadbalancing:%s:%s:loadbalancer/app/alb-%d/%016x", w.Region, prov.ID, i, i)
				w.LoadBalancers[arn] = &sandbox.LoadBalancer{ARN: arn, Owner: prov.ID, Name: fmt.Sprintf("alb-%d", i),
					Type: "application", Scheme: "internal", State: "provisioning", VPCID: want.VPCID, CreatedAt: now}
			}
		})
		p := elb.NewDescribeLoadBalancersPaginator(pc, &elb.DescribeLoadBalancersInput{PageSize: aws.Int32(3)})
		seen := map[string]bool{}
		pages := 0
		types := map[string]int{}
		for p.HasMorePages() {
			o, err := p.NextPage(ctx)
			if err != nil {
				t.Fatalf("page %d: %v", pages, err)
			}
			pages++
			if len(o.LoadBalancers) > 3 {
				t.Errorf("page of %d > PageSize 3", len(o.LoadBalancers))
			}
			for _, lb := range o.LoadBalancers {
				if seen[aws.ToString(lb.LoadBalancerArn)] {
					t.Errorf("%s repeated", aws.ToString(lb.LoadBalancerArn))
				}
				seen[aws.ToString(lb.LoadBalancerArn)] = true
				types[string(lb.Type)+"/"+string(lb.State.Code)]++
			}
		}
		if len(seen) != 9 || pages != 3 {
			t.Errorf("saw %d load balancers in %d pages, want 9 in 3", len(seen), pages)
		}
		if types["network/active"] != 2 || types["application/provisioning"] != 7 {
			t.Errorf("types/states %v", types)
		}
	})
}

// providerELB is a sandbox, the provider's ELBv2 client and its load
// balancer's ARN.
func providerELB(t *testing.T) (*sbtest.Env, *elb.Client, string) {
	t.Helper()
	env := sbtest.Start(t, sbtest.Options{})
	lbs, _ := worldLBs(env, env.Account(t, "provider").ID)
	return env, elb.NewFromConfig(env.Config(t, "provider")), lbs[0].ARN
}

func TestDescribeListeners(t *testing.T) {
	env, pc, lbARN := providerELB(t)
	ctx := sbtest.Context(t)

	out, err := pc.DescribeListeners(ctx, &elb.DescribeListenersInput{LoadBalancerArn: aws.String(lbARN)})
	if err != nil {
		t.Fatalf("DescribeListeners: %v", err)
	}
	if len(out.Listeners) != 1 {
		t.Fatalf("%d listeners, want 1", len(out.Listeners))
	}
	ln := out.Listeners[0]
	if aws.ToInt32(ln.Port) != sandbox.DefaultPort || ln.Protocol != elbtypes.ProtocolEnumTcp ||
		aws.ToString(ln.LoadBalancerArn) != lbARN || aws.ToString(ln.ListenerArn) == "" {
		t.Errorf("listener = port %d protocol %s lb %s arn %s", aws.ToInt32(ln.Port), ln.Protocol, aws.ToString(ln.LoadBalancerArn), aws.ToString(ln.ListenerArn))
	}
	if len(ln.DefaultActions) != 1 || ln.DefaultActions[0].Type != elbtypes.ActionTypeEnumForward {
		t.Errorf("DefaultActions = %+v", ln.DefaultActions)
	}

	byARN, err := pc.DescribeListeners(ctx, &elb.DescribeListenersInput{ListenerArns: []string{aws.ToString(ln.ListenerArn)}})
	if err != nil || len(byARN.Listeners) != 1 || aws.ToString(byARN.Listeners[0].ListenerArn) != aws.ToString(ln.ListenerArn) {
		t.Fatalf("by listener ARN: %v", err)
	}

	_, err = pc.DescribeListeners(ctx, &elb.DescribeListenersInput{})
	wantCode(t, err, "ValidationError")
	_, err = pc.DescribeListeners(ctx, &elb.DescribeListenersInput{LoadBalancerArn: aws.String(lbARN + "x")})
	wantCode(t, err, "LoadBalancerNotFound")
	_, err = pc.DescribeListeners(ctx, &elb.DescribeListenersInput{ListenerArns: []string{aws.ToString(ln.ListenerArn) + "0"}})
	wantCode(t, err, "ListenerNotFound")
	cc := elb.NewFromConfig(env.Config(t, "consumer"))
	_, err = cc.DescribeListeners(ctx, &elb.DescribeListenersInput{LoadBalancerArn: aws.String(lbARN)})
	wantCode(t, err, "LoadBalancerNotFound")
	_, err = cc.DescribeListeners(ctx, &elb.DescribeListenersInput{ListenerArns: []string{aws.ToString(ln.ListenerArn)}})
	wantCode(t, err, "ListenerNotFound")
}
