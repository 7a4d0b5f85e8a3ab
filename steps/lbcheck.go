package steps

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/plwiz/plwiz/awsops"
	"github.com/plwiz/plwiz/handoff"
)

// The provider's load balancer checks: the commonest reason an available
// endpoint still times out is on the provider's side, where the consumer
// cannot see it (no healthy target in an AZ with cross-zone load balancing
// off, an NLB security group that enforces its inbound rules on
// PrivateLink traffic, a TLS certificate for another name).

// Step IDs of the load balancer checks.
const (
	StepLBCheck   = "lb-check"
	StepLBRecheck = "lb-recheck"
)

// Session keys of the load balancer checks.
const (
	// ResLBHealth is the targets' health per AZ as last read, one line, for
	// the connections screen.
	ResLBHealth = "lbHealth"
	// ResLBARN is the load balancer checked (the chosen one, or the
	// adopted service's).
	ResLBARN = "lbArn"
	// ResLBCrossZone is the load balancer's own cross-zone setting.
	ResLBCrossZone = "lbCrossZone"
)

func lbKey(arn string) string       { return "lb:" + arn }
func lbGroupsKey(arn string) string { return "lbgroups:" + arn }

// lbCheckStep checks the chosen load balancer before a service is put in
// front of it.
func lbCheckStep() *Step {
	return &Step{
		ID: StepLBCheck, Title: "Check the load balancer", Kind: KindCheck,
		Skip: adoptsService,
		Do: func(ctx context.Context, env *Env, s *Session) (Result, error) {
			return lbCheckResult(ctx, env, s, false)
		},
	}
}

// lbRecheckStep checks the load balancer again before the summary, now
// that the consumer's request names the VPC its clients are in.
func lbRecheckStep() *Step {
	return &Step{
		ID: StepLBRecheck, Title: "Check the load balancer again", Kind: KindCheck,
		Do: func(ctx context.Context, env *Env, s *Session) (Result, error) {
			return lbCheckResult(ctx, env, s, true)
		},
	}
}

func lbCheckResult(ctx context.Context, env *Env, s *Session, again bool) (Result, error) {
	arns, err := checkedLBs(ctx, env, s)
	if err != nil {
		return Result{}, err
	}
	var checks []CheckResult
	var details, health, crossZone []string
	for _, arn := range arns {
		in := LBCheckInput{ARN: arn, PrivateDNSName: s.Input(InPrivateDNS), Now: env.now()}
		if again {
			in.ConsumerCIDRs, in.CIDRsFrom = requestCIDRs(env, s)
			in.FreshHealth = true
		}
		rep, err := CheckLoadBalancer(ctx, env, in)
		if err != nil {
			return Result{}, err
		}
		for _, c := range rep.Checks {
			if len(arns) > 1 {
				// Several load balancers: each check names its own.
				c.Name = rep.LB.Name + ": " + c.Name
			}
			checks = append(checks, c)
		}
		details = append(details, rep.Detail())
		health = append(health, rep.HealthLine(env.now()))
		crossZone = append(crossZone, strconv.FormatBool(rep.CrossZone))
	}
	s.SetResource(ResLBARN, strings.Join(arns, ","))
	s.SetResource(ResLBHealth, strings.Join(health, "\n"))
	s.SetResource(ResLBCrossZone, strings.Join(crossZone, ","))
	return Result{Detail: strings.Join(details, "; "), Checks: checks}, nil
}

// checkedLBs are the load balancers of the session's service: the chosen
// ones, or an adopted service's, with those the session added to it.
func checkedLBs(ctx context.Context, env *Env, s *Session) ([]string, error) {
	added := splitList(s.Resource(ResAddedNLBs))
	if arns := splitList(s.Input(InNLB)); len(arns) > 0 && !adoptsService(s) {
		return arns, nil
	}
	if arns := splitList(s.Resource(ResLBARN)); len(arns) > 0 {
		return mergeIDs(arns, added), nil
	}
	svc, err := env.service(ctx, s.Resource(ResServiceID))
	if err != nil {
		return nil, err
	}
	if len(svc.NLBARNs) == 0 {
		return nil, fmt.Errorf("endpoint service %s has no network load balancer to check", svc.ID)
	}
	return svc.NLBARNs, nil
}

// requestCIDRs are the consumer VPC's CIDR blocks the imported request
// carries (nil when it has none: made by an older plwiz, or none imported),
// read from the request file or token again so a newer request counts.
func requestCIDRs(env *Env, s *Session) ([]string, string) {
	b, ok, err := readBundle(s.Input(InRequest), env.now())
	if err != nil || !ok {
		return nil, ""
	}
	req, isReq := b.(handoff.Request)
	if !isReq || req.ServiceID != s.Resource(ResServiceID) || len(req.ConsumerVPCCIDRs) == 0 {
		return nil, ""
	}
	return req.ConsumerVPCCIDRs, "the consumer's VPC (account " + req.ConsumerAccountID + ")"
}

// LBCheckInput is what CheckLoadBalancer checks.
type LBCheckInput struct {
	ARN string
	// PrivateDNSName is the name a TLS listener's certificates must cover
	// ("" when the service has none yet).
	PrivateDNSName string
	// ConsumerCIDRs are the consumer clients' addresses an NLB security
	// group enforced on PrivateLink traffic must allow; nil when unknown.
	ConsumerCIDRs []string
	// CIDRsFrom names where ConsumerCIDRs come from, for messages.
	CIDRsFrom string
	// FreshHealth reads the targets' health now even when the groups were
	// read moments ago.
	FreshHealth bool
	Now         time.Time
}

// LBReport is the outcome of CheckLoadBalancer.
type LBReport struct {
	LB     awsops.LoadBalancer
	Groups []awsops.TargetGroup
	// CrossZone is the load balancer's own load_balancing.cross_zone.enabled.
	CrossZone bool
	Checks    []CheckResult
}

// AnyFailed reports whether a check of the list failed (skipped ones do
// not count).
func AnyFailed(checks []CheckResult) bool { return Result{Checks: checks}.Failed(true) }

// Detail is the report in a line.
func (r LBReport) Detail() string {
	failed := 0
	for _, c := range r.Checks {
		if !c.Passed && !c.Skipped {
			failed++
		}
	}
	if failed == 0 {
		return fmt.Sprintf("%s: every AZ has a healthy target; nothing in the way of PrivateLink traffic", r.LB.Name)
	}
	return fmt.Sprintf("%s: %d problem(s) that make consumers' connections time out or fail", r.LB.Name, failed)
}

// HealthLine is the targets' health per AZ in one line, as of now.
func (r LBReport) HealthLine(now time.Time) string {
	return healthLine(r.LB, r.Groups, r.CrossZone, now)
}

func healthLine(lb awsops.LoadBalancer, groups []awsops.TargetGroup, lbCrossZone bool, now time.Time) string {
	var parts []string
	for _, z := range lb.Zones {
		healthy, total := 0, 0
		for _, g := range groups {
			for _, t := range g.Targets {
				if t.Zone.ID == z.ID {
					total++
					if t.Healthy() {
						healthy++
					}
				}
			}
		}
		mark := ""
		if healthy == 0 && !allCrossZone(groups, lbCrossZone) {
			mark = " ✗"
		}
		parts = append(parts, fmt.Sprintf("%s (%s) %d/%d healthy%s", z.ID, z.Name, healthy, total, mark))
	}
	return fmt.Sprintf("Targets of %s: %s (as of %s UTC)", lb.Name, strings.Join(parts, " · "), now.UTC().Format("15:04:05"))
}

func allCrossZone(groups []awsops.TargetGroup, lbCrossZone bool) bool {
	for _, g := range groups {
		if !g.CrossZoneEffective(lbCrossZone) {
			return false
		}
	}
	return len(groups) > 0
}

// CheckLoadBalancer checks a Network Load Balancer the way a provider
// debugging a consumer's timeout would: every listener's target groups,
// healthy targets per AZ (with AWS's reason for the others) and cross-zone
// load balancing; the NLB's security groups when enforced on PrivateLink
// traffic; a TLS listener's certificates against the private DNS name;
// proxy protocol v2. Failed checks say what consumers see and what to do,
// and offer a fix where plwiz can make it (after asking).
func CheckLoadBalancer(ctx context.Context, env *Env, in LBCheckInput) (LBReport, error) {
	p := env.provider()
	lb, err := cached(env, lbKey(in.ARN), func() (awsops.LoadBalancer, error) { return p.LoadBalancer(ctx, in.ARN) })
	if err != nil {
		return LBReport{}, err
	}
	groups, err := lbGroups(ctx, env, in.ARN, in.FreshHealth)
	if err != nil {
		return LBReport{}, err
	}
	attrs, err := cached(env, "lbattrs:"+in.ARN, func() (map[string]string, error) { return p.LoadBalancerAttributes(ctx, in.ARN) })
	if err != nil {
		return LBReport{}, err
	}
	rep := LBReport{LB: lb, Groups: groups, CrossZone: attrs["load_balancing.cross_zone.enabled"] == "true"}
	rep.Checks = append(rep.Checks, targetChecks(lb, groups, rep.CrossZone)...)
	sg, err := securityGroupChecks(ctx, env, lb, in)
	if err != nil {
		return LBReport{}, err
	}
	rep.Checks = append(rep.Checks, sg...)
	tls, err := certificateChecks(ctx, env, lb, in)
	if err != nil {
		return LBReport{}, err
	}
	rep.Checks = append(rep.Checks, tls...)
	return rep, nil
}

// lbGroups are the load balancer's target groups with their targets'
// health: read whole, or (fresh, groups read moments ago) only the health
// again.
func lbGroups(ctx context.Context, env *Env, arn string, fresh bool) ([]awsops.TargetGroup, error) {
	p := env.provider()
	if known, ok := recall[[]awsops.TargetGroup](env, lbGroupsKey(arn)); ok {
		if !fresh {
			return known, nil
		}
		groups, err := p.RefreshTargetHealth(ctx, known)
		if err == nil {
			env.remember(lbGroupsKey(arn), groups)
		}
		return groups, err
	}
	groups, err := p.TargetGroups(ctx, arn)
	if err == nil {
		env.remember(lbGroupsKey(arn), groups)
	}
	return groups, err
}

// targetChecks: per listener and target group, a check per AZ the load
// balancer (and so the service) is in, then the group's cross-zone and
// proxy protocol settings.
func targetChecks(lb awsops.LoadBalancer, groups []awsops.TargetGroup, lbCrossZone bool) []CheckResult {
	var out []CheckResult
	byARN := map[string]awsops.TargetGroup{}
	for _, g := range groups {
		byARN[g.ARN] = g
	}
	seen := map[string]bool{}
	for _, l := range lb.Listeners {
		if len(l.TargetGroupARNs) == 0 {
			out = append(out, CheckResult{Name: fmt.Sprintf("listener %d forwards to a target group", l.Port), Expected: "a target group", Seen: "none", Fatal: true,
				Hint: fmt.Sprintf("Connections on port %d have nowhere to go: give the listener a forward action to a target group.", l.Port)})
			continue
		}
		for _, tgARN := range l.TargetGroupARNs {
			g, ok := byARN[tgARN]
			if !ok || seen[tgARN] {
				continue
			}
			seen[tgARN] = true
			out = append(out, groupChecks(lb, g, l.Port, lbCrossZone)...)
		}
	}
	return out
}

func groupChecks(lb awsops.LoadBalancer, g awsops.TargetGroup, port int32, lbCrossZone bool) []CheckResult {
	crossZone := g.CrossZoneEffective(lbCrossZone)
	total := 0
	for _, t := range g.Targets {
		if t.Healthy() {
			total++
		}
	}
	var out []CheckResult
	if len(g.Targets) == 0 {
		return append(out, CheckResult{Name: fmt.Sprintf("port %d: targets registered in %s", port, g.Name), Expected: "at least one target per AZ", Seen: "none", Fatal: true,
			Hint: fmt.Sprintf("Every connection on port %d times out: register targets in target group %s (aws elbv2 register-targets).", port, g.Name)})
	}
	for _, z := range lb.Zones {
		var here []string
		healthy := 0
		for _, t := range g.Targets {
			if t.Zone.ID != z.ID {
				continue
			}
			if t.Healthy() {
				healthy++
			}
			here = append(here, targetText(t))
		}
		c := CheckResult{Name: fmt.Sprintf("port %d: healthy targets in %s (%s)", port, z.ID, z.Name), Expected: "at least one healthy target"}
		switch {
		case len(here) == 0:
			c.Seen = "no target registered in this AZ"
		default:
			c.Seen = fmt.Sprintf("%d of %d healthy: %s", healthy, len(here), strings.Join(here, "; "))
		}
		switch {
		case healthy > 0:
			c.Passed = true
		case crossZone && total > 0:
			c.Passed = true
			c.Seen += fmt.Sprintf("; cross-zone load balancing is on, so %d healthy target(s) in other AZs answer", total)
		case total == 0:
			c.Fatal = true
			c.Hint = fmt.Sprintf("No target of %s is healthy: every connection on port %d times out, in every AZ. %s", g.Name, port, healthHint(g, port))
		default:
			c.Fatal = true
			c.Hint = fmt.Sprintf("Consumers whose endpoint network interface is in %s (%s) time out: cross-zone load balancing is off for %s, so the load balancer's node there sends only to targets in that AZ. %s Or turn cross-zone load balancing on for the target group (AWS charges for data that crosses AZs).",
				z.ID, z.Name, g.Name, healthHint(g, port))
			tgARN, name := g.ARN, g.Name
			c.Fix = &Fix{Label: "turn cross-zone load balancing on for target group " + name, Do: func(ctx context.Context, env *Env, s *Session) error {
				if _, err := env.provider().SetTargetGroupCrossZone(ctx, tgARN, true); err != nil {
					return err
				}
				env.forget(lbGroupsKey(lb.ARN))
				return nil
			}}
		}
		out = append(out, c)
	}
	cz := CheckResult{Name: "cross-zone load balancing of " + g.Name, Expected: "on, or a healthy target in every AZ", Passed: true}
	switch g.CrossZone {
	case awsops.CrossZoneOn, awsops.CrossZoneOff:
		cz.Seen = map[bool]string{true: "on", false: "off"}[crossZone] + " (the target group's own setting)"
	default:
		cz.Seen = map[bool]string{true: "on", false: "off"}[crossZone] + " (the load balancer's setting, which the group follows)"
	}
	pp := CheckResult{Name: "proxy protocol v2 on " + g.Name, Expected: "what your targets expect", Passed: true,
		Seen: "off: your targets see the load balancer's private addresses as the source, not the consumers' (turn it on, and parse its header, to learn the client address and endpoint ID)"}
	if g.ProxyProtocolV2 {
		pp.Seen = "on: every connection starts with a PROXY v2 header (the client address and the endpoint ID); a target that does not parse it breaks the connection"
	}
	return append(out, cz, pp)
}

func targetText(t awsops.Target) string {
	txt := t.ID
	if t.Port > 0 {
		txt += ":" + strconv.Itoa(int(t.Port))
	}
	txt += " " + orDefault(t.State, "unknown")
	if !t.Healthy() {
		var why []string
		if t.Reason != "" {
			why = append(why, t.Reason)
		}
		if t.Description != "" {
			why = append(why, t.Description)
		}
		if len(why) > 0 {
			txt += " (" + strings.Join(why, ": ") + ")"
		}
	}
	return txt
}

// healthHint says how to bring targets back, from the reasons AWS gives.
func healthHint(g awsops.TargetGroup, port int32) string {
	reasons := map[string]bool{}
	for _, t := range g.Targets {
		if !t.Healthy() {
			reasons[t.Reason] = true
		}
	}
	switch {
	case reasons["Target.FailedHealthChecks"] || reasons["Target.Timeout"] || reasons["Target.ResponseCodeMismatch"]:
		return fmt.Sprintf("Make the application on the failing targets answer the health check (the group's port %d; its security group must allow the load balancer), or register a healthy target in the AZ.", g.Port)
	case reasons["Target.InvalidState"]:
		return "Start the stopped targets, or register running ones in the AZ."
	case reasons["Target.NotInUse"]:
		return "The targets are in AZs the load balancer is not in: register targets in the load balancer's AZs, or add the AZ to it."
	case reasons["Elb.RegistrationInProgress"] || reasons["Elb.InitialHealthChecking"]:
		return "The targets were registered moments ago and are still being checked; check again in a minute."
	}
	return fmt.Sprintf("Register a healthy target for port %d in the AZ.", port)
}

// securityGroupChecks: an NLB's security groups, when enforced on
// PrivateLink traffic, must allow the listener ports from the consumers'
// clients: AWS evaluates PrivateLink traffic with the client's private
// address as its source, not the endpoint's.
func securityGroupChecks(ctx context.Context, env *Env, lb awsops.LoadBalancer, in LBCheckInput) ([]CheckResult, error) {
	name := "NLB security groups let PrivateLink traffic in"
	switch {
	case len(lb.SecurityGroups) == 0:
		return []CheckResult{{Name: name, Expected: "no group, enforcement off, or rules allowing the consumers", Passed: true,
			Seen: "the load balancer has no security group: it does not filter PrivateLink traffic"}}, nil
	case !strings.EqualFold(lb.EnforcePrivateLink, "on"):
		return []CheckResult{{Name: name, Expected: "no group, enforcement off, or rules allowing the consumers", Passed: true,
			Seen: fmt.Sprintf("%s; their inbound rules are not enforced on PrivateLink traffic", strings.Join(lb.SecurityGroups, ", "))}}, nil
	}
	groups, err := env.provider().SecurityGroups(ctx, lb.SecurityGroups)
	if err != nil {
		return nil, err
	}
	// IPv6 clients (of dualstack and ipv6 endpoints) are let in by IPv6
	// rules only: 0.0.0.0/0 is not "anywhere" for them.
	ipv6Clients := slices.ContainsFunc(in.ConsumerCIDRs, isIPv6CIDR)
	var out []CheckResult
	for _, port := range lb.Ports() {
		c := CheckResult{Name: fmt.Sprintf("port %d: %s", port, name), Expected: fmt.Sprintf("TCP %d allowed from the consumers' addresses", port)}
		allowedFrom := allowedSources(groups, port)
		switch {
		case anyAllows(groups, port, "0.0.0.0/0") && (!ipv6Clients || anyAllows(groups, port, "::/0")):
			c.Passed, c.Seen = true, fmt.Sprintf("%s allow TCP %d from anywhere", strings.Join(lb.SecurityGroups, ", "), port)
			switch {
			case ipv6Clients:
				c.Seen += " (0.0.0.0/0 and ::/0)"
			case lb.IPAddressType == awsops.Dualstack && !anyAllows(groups, port, "::/0"):
				c.Seen += " over IPv4; IPv6 clients (of dualstack endpoints) need IPv6 rules, checked against the consumer's VPC once its request arrives"
			}
		case in.ConsumerCIDRs == nil:
			c.Skipped = true
			c.Seen = fmt.Sprintf("enforced on PrivateLink traffic; TCP %d allowed from %s only — checked against the consumer's VPC once its request arrives", port, orDefault(strings.Join(allowedFrom, ", "), "nowhere"))
			c.Hint = "The consumer's request carries its VPC's CIDR blocks; the check before the summary compares them with these rules."
		default:
			var missing []string
			for _, cidr := range in.ConsumerCIDRs {
				if !anyAllows(groups, port, cidr) {
					missing = append(missing, cidr)
				}
			}
			if len(missing) == 0 {
				c.Passed, c.Seen = true, fmt.Sprintf("TCP %d allowed from %s", port, strings.Join(in.ConsumerCIDRs, ", "))
				break
			}
			c.Fatal = true
			c.Expected = fmt.Sprintf("TCP %d allowed from %s (%s)", port, strings.Join(in.ConsumerCIDRs, ", "), orDefault(in.CIDRsFrom, "the consumers"))
			c.Seen = fmt.Sprintf("%s enforce their inbound rules on PrivateLink traffic and allow TCP %d from %s only", strings.Join(lb.SecurityGroups, ", "), port, orDefault(strings.Join(allowedFrom, ", "), "nowhere"))
			c.Hint = fmt.Sprintf("Consumers' connections time out at the load balancer: %s. Add %s to %s (plwiz can), or turn off the enforcement of inbound rules on PrivateLink traffic (aws elbv2 set-security-groups --enforce-security-group-inbound-rules-on-private-link-traffic off).",
				missingRules(port, missing), map[bool]string{true: "it", false: "them"}[len(missing) == 1], groups[0].ID)
			group, lbARN, p := groups[0].ID, lb.ARN, port
			c.Fix = &Fix{Label: fmt.Sprintf("allow TCP %d from %s on %s", p, strings.Join(missing, ", "), group), Do: func(ctx context.Context, env *Env, s *Session) error {
				rules, err := env.provider().AllowTCP(ctx, group, p, missing, "plwiz: PrivateLink clients of "+orDefault(in.CIDRsFrom, "the consumer"))
				if err != nil {
					return err
				}
				noteAddedRules(s, group, rules)
				env.forget(lbKey(lbARN))
				return nil
			}}
			out = append(out, c)
			lbGroupsIDs, lbARN2 := lb.SecurityGroups, lb.ARN
			out = append(out, CheckResult{Name: "inbound rules enforced on PrivateLink traffic", Expected: "on with rules for the consumers, or off",
				Seen: "on (AWS's default for a load balancer with security groups)",
				Hint: "Off, the groups' inbound rules no longer apply to traffic through your endpoint service: only the allowed principals and your acceptance decide who connects.",
				Fix: &Fix{Label: "turn off the enforcement of inbound rules on PrivateLink traffic for " + lb.Name, Do: func(ctx context.Context, env *Env, _ *Session) error {
					if _, _, err := env.provider().SetLoadBalancerSecurityGroups(ctx, lbARN2, lbGroupsIDs, false); err != nil {
						return err
					}
					env.forget(lbKey(lbARN2))
					return nil
				}}})
			continue
		}
		out = append(out, c)
	}
	return out, nil
}

// missingRules names the rules missing for TCP on port from each CIDR,
// an IPv6 block's as such: it goes in a rule of its own (Ipv6Ranges).
func missingRules(port int32, missing []string) string {
	var parts []string
	for _, cidr := range missing {
		if isIPv6CIDR(cidr) {
			parts = append(parts, fmt.Sprintf("the IPv6 rule allowing TCP %d from %s (the consumer's clients over IPv6, a dualstack or ipv6 endpoint's) is missing", port, cidr))
			continue
		}
		parts = append(parts, fmt.Sprintf("the rule allowing TCP %d from %s is missing", port, cidr))
	}
	return strings.Join(parts, "; ")
}

func isIPv6CIDR(cidr string) bool {
	p, err := netip.ParsePrefix(cidr)
	return err == nil && p.Addr().Is6()
}

func anyAllows(groups []awsops.SecurityGroup, port int32, cidr string) bool {
	return slices.ContainsFunc(groups, func(g awsops.SecurityGroup) bool { return g.Allows(port, cidr) })
}

// allowedSources lists the CIDRs and groups the rules let in on port.
func allowedSources(groups []awsops.SecurityGroup, port int32) []string {
	var out []string
	for _, g := range groups {
		for _, r := range g.Ingress {
			if r.Protocol != "-1" && (r.Protocol != "tcp" && r.Protocol != "6" || port < r.FromPort || port > r.ToPort) {
				continue
			}
			for _, s := range append(slices.Clone(r.CIDRs), r.GroupIDs...) {
				if !slices.Contains(out, s) {
					out = append(out, s)
				}
			}
		}
	}
	return out
}

// certExpiryWarning is how close to its end a certificate is called out.
const certExpiryWarning = 30 * 24 * time.Hour

// certificateChecks: a TLS listener's certificates (the default and those
// SNI picks from) must cover the name consumers connect to.
func certificateChecks(ctx context.Context, env *Env, lb awsops.LoadBalancer, in LBCheckInput) ([]CheckResult, error) {
	var out []CheckResult
	for _, l := range lb.Listeners {
		if !strings.EqualFold(l.Protocol, "TLS") {
			continue
		}
		c := CheckResult{Name: fmt.Sprintf("port %d: TLS certificate covers the private DNS name", l.Port), Expected: "an issued certificate for " + orDefault(in.PrivateDNSName, "the private DNS name")}
		name := dnsName(in.PrivateDNSName)
		if name == "" {
			c.Skipped, c.Seen = true, "no private DNS name yet: checked again before the summary"
			out = append(out, c)
			continue
		}
		certs, err := env.provider().ListenerCertificates(ctx, l.ARN)
		if err != nil {
			return nil, err
		}
		var seen []string
		for _, lc := range certs {
			cert, err := env.provider().DescribeCertificate(ctx, lc.ARN)
			if err != nil {
				return nil, err
			}
			names := strings.Join(slices.Compact(append([]string{cert.Domain}, cert.Names...)), ", ")
			switch {
			case !cert.Covers(name):
				seen = append(seen, fmt.Sprintf("%s names %s", shortCert(cert.ARN), names))
			case cert.Status != "ISSUED":
				seen = append(seen, fmt.Sprintf("%s covers it but is %s", shortCert(cert.ARN), cert.Status))
			case !cert.NotAfter.IsZero() && in.Now.After(cert.NotAfter):
				seen = append(seen, fmt.Sprintf("%s covers it but expired %s", shortCert(cert.ARN), cert.NotAfter.UTC().Format("2006-01-02")))
			default:
				c.Passed = true
				c.Seen = fmt.Sprintf("%s covers %s (%s), valid until %s", shortCert(cert.ARN), name, names, cert.NotAfter.UTC().Format("2006-01-02"))
				if !cert.NotAfter.IsZero() && cert.NotAfter.Sub(in.Now) < certExpiryWarning {
					c.Seen += " — it expires within 30 days: renew it"
				}
			}
			if c.Passed {
				break
			}
		}
		if !c.Passed {
			c.Fatal = true
			c.Seen = orDefault(strings.Join(seen, "; "), "no certificate on the listener")
			c.Hint = fmt.Sprintf("Consumers' TLS handshakes with %s fail (the name does not match): request or import an ACM certificate for %s and add it to the listener (aws elbv2 add-listener-certificates), or make it the default.", name, name)
		}
		out = append(out, c)
	}
	return out, nil
}

// shortCert is an ACM certificate ARN's ID, for messages.
func shortCert(arn string) string {
	if _, id, ok := strings.Cut(arn, "certificate/"); ok {
		return "certificate " + id
	}
	return arn
}

// refreshLBHealth re-reads the targets' health for the connections
// screen, at most every recentFor and at one call a target group (what the
// last check read is kept), and keeps the line it shows in the session. It
// never fails the screen: a failed read leaves the last line.
func refreshLBHealth(ctx context.Context, env *Env, s *Session) {
	arns := splitList(s.Resource(ResLBARN))
	if len(arns) == 0 {
		return
	}
	key := "lbhealthat:" + strings.Join(arns, ",")
	if _, ok := recall[time.Time](env, key); ok {
		return
	}
	env.remember(key, time.Now())
	crossZone := splitList(s.Resource(ResLBCrossZone))
	lines := strings.Split(s.Resource(ResLBHealth), "\n")
	for i, arn := range arns {
		line, ok := lbHealthLine(ctx, env, arn, i < len(crossZone) && crossZone[i] == "true")
		if !ok {
			continue // the last line read stays
		}
		for len(lines) <= i {
			lines = append(lines, "")
		}
		lines[i] = line
	}
	s.SetResource(ResLBHealth, strings.Join(lines[:len(arns)], "\n"))
}

// lbHealthLine reads one load balancer's targets' health again (what the
// last check read is kept), false when a read failed.
func lbHealthLine(ctx context.Context, env *Env, arn string, crossZone bool) (string, bool) {
	p := env.provider()
	lb, ok := kept[awsops.LoadBalancer](env, lbKey(arn))
	if !ok {
		var err error
		if lb, err = p.LoadBalancer(ctx, arn); err != nil {
			return "", false
		}
		env.remember(lbKey(arn), lb)
	}
	var groups []awsops.TargetGroup
	var err error
	if known, ok := kept[[]awsops.TargetGroup](env, lbGroupsKey(arn)); ok {
		groups, err = p.RefreshTargetHealth(ctx, known)
	} else {
		groups, err = p.TargetGroups(ctx, arn)
	}
	if err != nil {
		return "", false
	}
	env.remember(lbGroupsKey(arn), groups)
	return healthLine(lb, groups, crossZone, env.now()), true
}

// kept returns what was read under key, however long ago.
func kept[T any](e *Env, key string) (T, bool) {
	r := e.reads()
	r.mu.Lock()
	defer r.mu.Unlock()
	v, ok := r.entries[key].v.(T)
	return v, ok
}

// withLBHealth makes the connections step show the targets' health per AZ
// above its table, refreshed with it (cheaply: see refreshLBHealth).
func withLBHealth(st *Step) *Step {
	c := *st
	if c.Table != nil {
		t := *c.Table
		rows, changes := t.Rows, t.Changes
		t.Rows = func(ctx context.Context, env *Env, s *Session) ([]Row, error) {
			refreshLBHealth(ctx, env, s)
			return rows(ctx, env, s)
		}
		if changes != nil {
			t.Changes = func(ctx context.Context, env *Env, s *Session, known []Row) ([]Row, error) {
				refreshLBHealth(ctx, env, s)
				return changes(ctx, env, s, known)
			}
		}
		c.Table = &t
	}
	if poll := c.Poll; poll != nil {
		c.Poll = func(ctx context.Context, env *Env, s *Session) (Status, error) {
			refreshLBHealth(ctx, env, s)
			return poll(ctx, env, s)
		}
	}
	describe := c.Describe
	c.Describe = func(s *Session) string {
		var lines []string
		if describe != nil {
			lines = append(lines, describe(s))
		} else {
			lines = append(lines, "Accept the endpoint the consumer's request names (a), or reject one (r).")
		}
		if h := s.Resource(ResLBHealth); h != "" {
			lines = append(lines, h)
		}
		return strings.Join(lines, "\n")
	}
	return &c
}
