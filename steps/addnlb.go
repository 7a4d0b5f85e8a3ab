package steps

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/plwiz/plwiz/awsops"
)

// A provider that adopts an existing endpoint service (--service-id) may
// add load balancers to it: AWS's ModifyVpcEndpointServiceConfiguration
// with AddNetworkLoadBalancerArns. plwiz checks what AWS would refuse
// first, records the ones it added, and plwiz teardown removes exactly
// those, never the service or the load balancers it had.

// StepAddNLB adds load balancers to an adopted service.
const StepAddNLB = "add-nlb"

// InAddNLB are the load balancers to add to an adopted service.
const InAddNLB = "addNlbArns"

// Session resources of adding load balancers.
const (
	// ResAdoptedNLBs are the load balancers the adopted service had when
	// the session adopted it: recorded by the step before, so a run of
	// the add step cut short after AWS added one still knows it was this
	// session's.
	ResAdoptedNLBs = "adoptedServiceNlbs"
	// ResAddedNLBs are the load balancers the session added to the
	// adopted service; teardown removes these and no other.
	ResAddedNLBs = "addedNlbs"
)

func addNLBStep() *Step {
	return &Step{
		ID: StepAddNLB, Title: "Add load balancers to the service", Kind: KindForm,
		Skip: func(s *Session) bool { return !adoptsService(s) },
		Inputs: []Input{{
			Key: InAddNLB, Label: "Network Load Balancers to add (optional)", Flag: "add-nlb", Type: InputMultiSelect,
			Help: "Network Load Balancers of this account and region (their ARNs, separated by commas) to add to the existing service given with --service-id; " +
				"plwiz teardown removes these from it again, never the service or the load balancers it had. In one AZ an endpoint connects to one load balancer only.",
			Validate:    validateNLBARNs,
			Default:     func(*Session) string { return "" },
			DefaultText: "none (the service keeps the load balancers it has)",
			Options:     addNLBOptions,
		}},
		Do: addNLBs,
	}
}

// addNLBOptions lists the account's load balancers not on the service, each
// saying what AWS would refuse (not active, no listener, not dualstack for
// a service that supports ipv6) or which AZs it would share; then those
// already on the service, shown for their AZs but not offered.
func addNLBOptions(ctx context.Context, env *Env, s *Session) ([]Option, error) {
	svc, err := env.service(ctx, s.Resource(ResServiceID))
	if err != nil {
		return nil, err
	}
	all, err := env.provider().ListNetworkLoadBalancers(ctx)
	if err != nil {
		return nil, err
	}
	var on, others []Option
	var current []awsops.LoadBalancer
	for _, lb := range all {
		if slices.Contains(svc.NLBARNs, lb.ARN) {
			current = append(current, lb)
		}
	}
	for _, lb := range all {
		// Short, so the note fits beside it: AZ IDs are what the rule
		// of one load balancer per AZ is about.
		o := Option{Value: lb.ARN, Label: fmt.Sprintf("%s (%s: %s)", lb.Name, orDefault(lb.IPAddressType, awsops.IPv4), strings.Join(lb.ZoneIDs(), ", "))}
		if slices.Contains(svc.NLBARNs, lb.ARN) {
			o.Disabled, o.Note = true, "already on the service"
			on = append(on, o)
			continue
		}
		switch {
		case !lb.Active():
			o.Disabled, o.Note = true, "state "+lb.State+", not active"
		case len(lb.Listeners) == 0:
			o.Disabled, o.Note = true, "no listener"
		case supportsIPv6(svc) && lb.IPAddressType != awsops.Dualstack:
			o.Disabled, o.Note = true, "not dualstack, which a service supporting ipv6 needs"
		default:
			if shared := sharedZones(lb, current); len(shared) > 0 {
				o.Note = "shares " + strings.Join(shared, ", ")
			}
		}
		others = append(others, o)
	}
	return append(others, on...), nil
}

func supportsIPv6(svc awsops.Service) bool { return slices.Contains(svc.IPAddressTypes, awsops.IPv6) }

// sharedZones are the AZ IDs lb serves that one of others serves too.
func sharedZones(lb awsops.LoadBalancer, others []awsops.LoadBalancer) []string {
	var out []string
	for _, id := range lb.ZoneIDs() {
		if slices.ContainsFunc(others, func(o awsops.LoadBalancer) bool { return slices.Contains(o.ZoneIDs(), id) }) {
			out = append(out, id)
		}
	}
	return out
}

// addNLBs adds the load balancers asked for that the service lacks, after
// checking what AWS would refuse. It is idempotent: one already on the
// service is not added again, and one this session added before (a run
// cut short) is recorded as its own.
func addNLBs(ctx context.Context, env *Env, s *Session) (Result, error) {
	want := splitList(s.Input(InAddNLB))
	if len(want) == 0 {
		return Result{Detail: "no load balancer added; the service keeps the ones it has"}, nil
	}
	p := env.provider()
	svcID := s.Resource(ResServiceID)
	// Read now: what is on the service decides what to add.
	svc, err := env.readService(ctx, svcID)
	if err != nil {
		return Result{}, err
	}
	before := splitList(s.Resource(ResAdoptedNLBs))
	if len(before) == 0 {
		// A session adopted before plwiz recorded them.
		before = svc.NLBARNs
		s.SetResource(ResAdoptedNLBs, strings.Join(before, ","))
	}
	added := splitList(s.Resource(ResAddedNLBs))
	var toAdd, had []string
	for _, arn := range want {
		switch {
		case !slices.Contains(svc.NLBARNs, arn):
			toAdd = append(toAdd, arn)
		case slices.Contains(before, arn):
			had = append(had, arn)
		default:
			added = mergeIDs(added, []string{arn}) // this session's, on a run cut short
		}
	}
	s.SetResource(ResAddedNLBs, strings.Join(added, ","))
	var checks []CheckResult
	var lbs []awsops.LoadBalancer
	for _, arn := range svc.NLBARNs {
		lb, err := cached(env, lbKey(arn), func() (awsops.LoadBalancer, error) { return p.LoadBalancer(ctx, arn) })
		if err != nil {
			return Result{}, err
		}
		lbs = append(lbs, lb)
	}
	for _, arn := range toAdd {
		lb, found, err := addableLB(ctx, env, s, arn)
		if err != nil {
			return Result{}, err
		}
		checks = append(checks, found)
		if !found.Passed {
			continue
		}
		env.remember(lbKey(arn), lb) // the load balancer checks'
		for _, c := range nlbChecks(lb) {
			c.Name = lb.Name + ": " + c.Name
			checks = append(checks, c)
		}
		if supportsIPv6(svc) {
			c, err := ipv6Check(ctx, env, lb)
			if err != nil {
				return Result{}, err
			}
			checks = append(checks, c)
		}
		lbs = append(lbs, lb)
	}
	if len(toAdd) > 0 && len(lbs) > 1 {
		checks = append(checks, oneLBPerAZCheck(lbs))
	}
	if (Result{Checks: checks}).Failed(false) {
		return Result{Detail: "nothing added to " + svcID, Checks: checks}, nil
	}
	if len(toAdd) > 0 {
		err := p.ModifyService(ctx, svcID, awsops.ModifyServiceInput{AddNLBARNs: toAdd})
		env.forget(serviceKey(svcID))
		if err != nil {
			return Result{Checks: checks}, err
		}
		added = mergeIDs(added, toAdd)
		s.SetResource(ResAddedNLBs, strings.Join(added, ","))
	}
	var parts []string
	if len(added) > 0 {
		parts = append(parts, fmt.Sprintf("%s now in front of %s too (teardown removes %s)", svcID, nlbNames(added), map[bool]string{true: "it", false: "them"}[len(added) == 1]))
	}
	if len(had) > 0 {
		parts = append(parts, fmt.Sprintf("%s already on it before", nlbNames(had)))
	}
	return Result{Detail: strings.Join(parts, "; "), Checks: checks}, nil
}

// addableLB checks that arn names a Network Load Balancer of the
// session's account and region that exists, as AWS requires of one added
// to a service; the check says what is wrong when it is not.
func addableLB(ctx context.Context, env *Env, s *Session, arn string) (awsops.LoadBalancer, CheckResult, error) {
	c := CheckResult{Name: nlbName(arn) + " exists in this account and region", Fatal: true,
		Expected: fmt.Sprintf("a network load balancer of account %s in %s", s.Account, s.Region)}
	f := strings.SplitN(arn, ":", 6)
	if len(f) == 6 && (f[3] != s.Region || f[4] != s.Account) {
		c.Seen = fmt.Sprintf("a load balancer of account %s in %s", f[4], f[3])
		c.Hint = "An endpoint service takes load balancers of its own account and region only: pick one of them (plwiz lists them in the wizard)."
		return awsops.LoadBalancer{}, c, nil
	}
	lb, err := env.provider().LoadBalancer(ctx, arn)
	switch {
	case errors.Is(err, awsops.ErrNotNetworkLB):
		c.Seen = "a load balancer of another type (Application or Gateway)"
		c.Hint = "An endpoint service sits in front of Network Load Balancers only: pick a network one."
		return lb, c, nil
	case awsops.CodeOf(err) == "LoadBalancerNotFound":
		c.Seen = "no such load balancer"
		c.Hint = "Check the ARN (aws elbv2 describe-load-balancers), or pick one of the account's load balancers."
		return lb, c, nil
	case err != nil:
		return lb, c, err
	}
	c.Passed, c.Seen = true, fmt.Sprintf("%s, %s", lb.Name, orDefault(lb.IPAddressType, awsops.IPv4))
	return lb, c, nil
}

// nlbName is a load balancer's name, from its ARN
// (…:loadbalancer/net/NAME/ID).
func nlbName(arn string) string {
	if _, rest, ok := strings.Cut(arn, ":loadbalancer/net/"); ok {
		if name, _, ok := strings.Cut(rest, "/"); ok {
			return name
		}
	}
	return arn
}

func nlbNames(arns []string) string {
	names := make([]string, len(arns))
	for i, a := range arns {
		names[i] = nlbName(a)
	}
	return strings.Join(names, ", ")
}

// addedNLBsTeardown removes from an adopted service the load balancers the
// session added, and only those still on it. AWS refuses while endpoints
// are connected to the service; the refusal is shown with what to do.
func addedNLBsTeardown(s *Session) []TeardownAction {
	svcID, added := s.Resource(ResServiceID), splitList(s.Resource(ResAddedNLBs))
	if svcID == "" || !adoptsService(s) || len(added) == 0 {
		return nil
	}
	label := fmt.Sprintf("remove load balancer(s) %s from endpoint service %s (added by this session; the service stays)", nlbNames(added), svcID)
	return []TeardownAction{{Label: label, Do: func(ctx context.Context, env *Env) error {
		svc, err := env.provider().DescribeService(ctx, svcID)
		if err != nil {
			return ignoreNotFound(err)
		}
		var remove []string
		for _, arn := range added {
			if slices.Contains(svc.NLBARNs, arn) {
				remove = append(remove, arn)
			}
		}
		if len(remove) == 0 {
			return nil // gone already: teardown is idempotent
		}
		err = env.provider().ModifyService(ctx, svcID, awsops.ModifyServiceInput{RemoveNLBARNs: remove})
		var ae *awsops.Error
		if errors.As(err, &ae) && ae.Kind == awsops.KindEndpointsAttached {
			ae.Hint = fmt.Sprintf("Endpoints are still connected to %s, so AWS keeps its load balancers: have the consumers delete their endpoints "+
				"(a consumer's plwiz teardown does), or reject them if the service is yours to cut off, then run plwiz teardown --session %s again.", svcID, s.ID)
		}
		return err
	}}}
}
