package steps

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/plwiz/plwiz/awsid"
	"github.com/plwiz/plwiz/awsops"
	"github.com/plwiz/plwiz/probe"
)

// The connectivity test from inside the consumer VPC, for the usual place
// plwiz runs: a laptop, where the private name does not resolve. It runs
// the same checks on an instance of the VPC through SSM Run Command, or
// asks the VPC Reachability Analyzer whether an instance or network
// interface there reaches each endpoint network interface.

// Session keys of the in-VPC test.
const (
	// InProbeFrom is where the connectivity test runs: local,
	// ssm:INSTANCE or reachability:SOURCE.
	InProbeFrom = "probeFrom"
	// InReachabilityOK is "true" once the user agreed that AWS charges
	// for the Reachability Analyzer's analyses.
	InReachabilityOK = "reachabilityCharged"
	// ResReachability is "true" once the session started an analysis:
	// teardown looks for what is left of them.
	ResReachability = "reachabilityUsed"
)

// Where the connectivity test runs.
const (
	ProbeLocal        = "local"
	ProbeSSM          = "ssm"
	ProbeReachability = "reachability"
)

// ProbeFrom is a parsed --probe-from.
type ProbeFrom struct {
	Via    string // local | ssm | reachability
	Source string // the instance (ssm), or the instance or network interface (reachability)
}

func (p ProbeFrom) String() string {
	if p.Via == ProbeLocal || p.Via == "" {
		return ProbeLocal
	}
	return p.Via + ":" + p.Source
}

// ParseProbeFrom reads local, ssm:INSTANCE or reachability:SOURCE ("" is
// local).
func ParseProbeFrom(v string) (ProbeFrom, error) {
	via, src, _ := strings.Cut(strings.TrimSpace(v), ":")
	switch via {
	case "", ProbeLocal:
		if src != "" {
			return ProbeFrom{}, fmt.Errorf("local takes no source, found %s", quoteInput(v))
		}
		return ProbeFrom{Via: ProbeLocal}, nil
	case ProbeSSM:
		if !awsid.InstanceID.Valid(src) {
			return ProbeFrom{}, fmt.Errorf("ssm: expected an instance ID (%s) after ssm:, found %s", awsid.InstanceID.Shape(), quoteInput(src))
		}
	case ProbeReachability:
		if !awsid.InstanceID.Valid(src) && !awsid.ENIID.Valid(src) {
			return ProbeFrom{}, fmt.Errorf("reachability: expected an instance (%s) or network interface (%s) after reachability:, found %s",
				awsid.InstanceID.Shape(), awsid.ENIID.Shape(), quoteInput(src))
		}
	default:
		return ProbeFrom{}, fmt.Errorf("expected local, ssm:INSTANCE or reachability:SOURCE, found %s", quoteInput(v))
	}
	return ProbeFrom{Via: via, Source: src}, nil
}

func validateProbeFrom(v string) error {
	_, err := ParseProbeFrom(v)
	return err
}

// withProbeFrom gives the connectivity test the choice of where it runs:
// the wizard proposes the first that applies (this host when the private
// name resolves here, else an online SSM-managed instance of the VPC);
// headless, --probe-from chooses and local is the default. When the local
// test fails and this host is outside the VPC, the result offers the run
// through SSM as its fix.
func withProbeFrom(st *Step) *Step {
	c := *st
	local := st.Do
	c.Inputs = append([]Input{{
		Key: InProbeFrom, Label: "Run the test from", Flag: "probe-from", Type: InputSelect, Validate: validateProbeFrom,
		Help: "Where the connectivity test runs: local (this host), ssm:INSTANCE (an SSM-managed instance in the endpoint's VPC, through Run Command), " +
			"or reachability:SOURCE (the VPC Reachability Analyzer, from an instance or network interface there, to each endpoint network interface; AWS charges per analysis).",
		DefaultText: ProbeLocal,
		Options:     probeFromOptions,
	}}, st.Inputs...)
	c.Do = func(ctx context.Context, env *Env, s *Session) (Result, error) {
		from, err := ParseProbeFrom(s.Input(InProbeFrom))
		if err != nil {
			return Result{}, &BadInputError{Err: fmt.Errorf("--probe-from: %w", err)}
		}
		var res Result
		switch from.Via {
		case ProbeSSM:
			res, err = ssmConnectivity(ctx, env, s, from.Source)
		case ProbeReachability:
			return reachabilityConnectivity(ctx, env, s, from.Source)
		default:
			res, err = local(ctx, env, s)
			if err == nil && res.Failed(true) {
				offerInVPC(ctx, env, s, &res)
			}
		}
		if err != nil {
			return res, err
		}
		return res, withEndpointGroups(ctx, env, s, &res, from.Via == ProbeSSM)
	}
	return &c
}

// offerInVPC adds to a failed local test, when this host is outside the
// endpoint's VPC, the run from an instance inside it as the fix of its
// first failed check.
func offerInVPC(ctx context.Context, env *Env, s *Session, res *Result) {
	t, err := flowTarget(ctx, env, s)
	if err != nil || !outsideVPC(ctx, env, t) {
		return
	}
	insts, err := env.consumer().ManagedInstances(ctx, t.VPCID)
	if err != nil {
		return
	}
	i := slices.IndexFunc(res.Checks, func(c CheckResult) bool { return !c.Passed && !c.Skipped })
	online := slices.IndexFunc(insts, func(m awsops.ManagedInstance) bool { return m.Online() })
	where := fmt.Sprintf("This host is outside %s (%s does not resolve to the endpoint here). ", t.VPCID, t.Name)
	switch {
	case online >= 0:
		id := insts[online].ID
		res.Checks[i].Hint = where + fmt.Sprintf("plwiz can run the same checks on %s, an SSM-managed instance in %s, through Run Command (--probe-from ssm:%s), or ask the Reachability Analyzer (--probe-from reachability:%s; AWS charges per analysis).", id, t.VPCID, id, id)
		res.Checks[i].Fix = &Fix{Label: fmt.Sprintf("run the test on %s in %s through SSM Run Command", id, t.VPCID), Do: func(_ context.Context, _ *Env, s *Session) error {
			s.SetInput(InProbeFrom, ProbeSSM+":"+id)
			return nil
		}}
	default:
		res.Checks[i].Hint = where + fmt.Sprintf("No instance in %s is managed by SSM and online: run plwiz there, or ask the Reachability Analyzer from an instance or network interface of it (--probe-from reachability:SOURCE; AWS charges per analysis).", t.VPCID)
	}
}

// outsideVPC tells whether this host's resolver does not answer the name
// with the endpoint's addresses: then this host is not in the VPC (or its
// resolver does not see the endpoint's private hosted zone).
func outsideVPC(ctx context.Context, env *Env, t EndpointTarget) bool {
	res, err := env.Probe.resolver()
	if err != nil {
		return false
	}
	if res == nil {
		res = net.DefaultResolver
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	addrs, err := res.LookupNetIP(ctx, "ip4", t.Name)
	if err != nil || len(addrs) == 0 {
		return true
	}
	for _, a := range addrs {
		if slices.Contains(t.Addresses, a.Unmap()) {
			return false
		}
	}
	return true
}

// probeFromOptions are the places the test can run from, the first that
// applies first: this host when the name resolves to the endpoint here,
// else the VPC's online SSM-managed instances, then the Reachability
// Analyzer from them.
func probeFromOptions(ctx context.Context, env *Env, s *Session) ([]Option, error) {
	t, err := flowTarget(ctx, env, s)
	if err != nil {
		return nil, err
	}
	outside := outsideVPC(ctx, env, t)
	localOpt := Option{Value: ProbeLocal, Label: "this host"}
	if outside {
		localOpt.Note = fmt.Sprintf("%s does not resolve to the endpoint here: this host looks outside %s", t.Name, t.VPCID)
	}
	insts, err := env.consumer().ManagedInstances(ctx, t.VPCID)
	if err != nil {
		// Without SSM (no permission, say), this host is still a choice.
		why := err.Error()
		if h := HintOf(err); h != "" {
			why += " (" + h + ")"
		}
		localOpt.Note = strings.TrimPrefix(localOpt.Note+"; ", "; ") + "SSM-managed instances could not be listed: " + why
		return []Option{localOpt}, nil
	}
	var ssm, reach []Option
	for _, m := range insts {
		what := m.ID
		if m.Name != "" {
			what += " " + m.Name
		}
		if m.Platform != "" {
			what += ", " + m.Platform
		}
		o := Option{Value: ProbeSSM + ":" + m.ID, Label: fmt.Sprintf("%s (%s) through SSM Run Command", what, m.Zone)}
		if !m.Online() {
			o.Disabled, o.Note = true, "SSM agent "+orDefault(m.PingStatus, "not reporting")+": Run Command cannot reach it"
		}
		ssm = append(ssm, o)
		reach = append(reach, Option{Value: ProbeReachability + ":" + m.ID, Label: fmt.Sprintf("Reachability Analyzer from %s (AWS charges per analysis)", m.ID)})
	}
	if !outside {
		return append(append([]Option{localOpt}, ssm...), reach...), nil
	}
	return append(append(ssm, reach...), localOpt), nil
}

// EndpointTarget is what the connectivity test checks: the name clients
// use, the port, and the endpoint's network interfaces.
type EndpointTarget struct {
	EndpointID string
	VPCID      string
	Name       string
	Port       int
	VPCENames  []string
	Addresses  []netip.Addr
	ENIs       []awsops.ENI
}

// flowTarget is the endpoint of the consumer's session, as read moments
// ago when it can be.
func flowTarget(ctx context.Context, env *Env, s *Session) (EndpointTarget, error) {
	ep, err := env.endpoint(ctx, s.Resource(ResEndpointID))
	if err != nil {
		return EndpointTarget{}, err
	}
	port, _ := strconv.Atoi(s.Resource(ResNLBPort))
	enis, err := cached(env, "enis:"+ep.ID, func() ([]awsops.ENI, error) { return env.consumer().EndpointENIs(ctx, ep) })
	if err != nil {
		return EndpointTarget{}, err
	}
	return endpointTarget(ep, enis, s.Resource(ResOfferDNS), port), nil
}

// LookupEndpointTarget reads an endpoint and its network interfaces, for
// plwiz check --endpoint. name "" takes the endpoint's private DNS name,
// else its regional vpce name.
func LookupEndpointTarget(ctx context.Context, env *Env, endpointID, name string, port int) (EndpointTarget, error) {
	ep, err := env.consumer().DescribeEndpoint(ctx, endpointID)
	if err != nil {
		return EndpointTarget{}, err
	}
	enis, err := env.consumer().EndpointENIs(ctx, ep)
	if err != nil {
		return EndpointTarget{}, err
	}
	if name == "" {
		for _, d := range ep.DNSEntries {
			if !awsid.IsEndpointDNSName(d.Name, ep.ID) {
				name = d.Name
			}
		}
	}
	return endpointTarget(ep, enis, name, port), nil
}

func endpointTarget(ep awsops.Endpoint, enis []awsops.ENI, name string, port int) EndpointTarget {
	t := EndpointTarget{EndpointID: ep.ID, VPCID: ep.VPCID, Name: name, Port: port, ENIs: enis}
	for _, e := range enis {
		if a, err := netip.ParseAddr(e.PrivateIP); err == nil {
			t.Addresses = append(t.Addresses, a)
		}
	}
	for _, d := range ep.DNSEntries {
		if awsid.IsEndpointDNSName(d.Name, ep.ID) {
			t.VPCENames = append(t.VPCENames, strings.TrimSuffix(d.Name, "."))
		}
	}
	if t.Name == "" && len(t.VPCENames) > 0 {
		t.Name, t.VPCENames = t.VPCENames[0], t.VPCENames[1:]
	}
	return t
}

// ssmConnectivity runs the connectivity test on an instance of the VPC.
func ssmConnectivity(ctx context.Context, env *Env, s *Session, instance string) (Result, error) {
	t, err := flowTarget(ctx, env, s)
	if err != nil {
		return Result{}, err
	}
	rep, err := RemoteCheck(ctx, env, t, instance, orDefault(s.Input(InHTTPPath), env.Probe.HTTPPath))
	if err != nil && !errors.Is(err, probe.ErrRemoteIncomplete) {
		return Result{}, err
	}
	res := Result{Detail: fmt.Sprintf("%s:%d through %s, checked from %s through SSM Run Command", t.Name, t.Port, t.EndpointID, rep.From), Checks: checksOf(rep)}
	if err != nil {
		res.Detail += "; " + err.Error()
	}
	return res, nil
}

// remoteCommandTimeout bounds the check script's run on the instance:
// each of its few dozen operations is bounded by the probe's timeout.
const remoteCommandTimeout = 3 * time.Minute

// RemoteCheck runs the connectivity test on an SSM-managed instance of the
// endpoint's VPC through Run Command (AWS-RunShellScript) and reads its
// output into the local test's report, marked with where it ran. The
// script uses only what Amazon Linux and Ubuntu have, and changes nothing
// on the instance.
func RemoteCheck(ctx context.Context, env *Env, t EndpointTarget, instance, httpPath string) (probe.Report, error) {
	c := env.consumer()
	insts, err := c.ManagedInstances(ctx, t.VPCID)
	if err != nil {
		return probe.Report{}, err
	}
	i := slices.IndexFunc(insts, func(m awsops.ManagedInstance) bool { return m.ID == instance })
	switch {
	case i < 0:
		var ids []string
		for _, m := range insts {
			ids = append(ids, m.ID)
		}
		return probe.Report{}, badInputf("%s is not a running SSM-managed instance in %s (those there: %s); pick one of them, or run plwiz on a host in the VPC", instance, t.VPCID, orDefault(strings.Join(ids, ", "), "none"))
	case !insts[i].Online():
		return probe.Report{}, badInputf("the SSM agent on %s is %s, so Run Command cannot reach it; start the agent, or pick another instance", instance, orDefault(insts[i].PingStatus, "not reporting"))
	}
	target := probe.RemoteTarget{Name: t.Name, Port: t.Port, Addresses: t.Addresses, VPCENames: t.VPCENames, HTTPPath: httpPath,
		Resolver: env.Probe.ResolverAddr, Timeout: env.Probe.Timeout}
	if len(target.Addresses) > 8 {
		target.Addresses = target.Addresses[:8]
	}
	if env.Probe.CAFile != "" {
		pem, err := os.ReadFile(env.Probe.CAFile)
		if err != nil {
			return probe.Report{}, &BadInputError{Err: fmt.Errorf("read the CA file for the instance: %w", err)}
		}
		target.CAPEM = pem
	}
	cmds, err := probe.RemoteCommands(target)
	if err != nil {
		return probe.Report{}, &BadInputError{Err: err}
	}
	id, err := c.SendShellScript(ctx, instance, cmds, remoteCommandTimeout, "plwiz: connectivity check of "+t.EndpointID)
	if err != nil {
		return probe.Report{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, remoteCommandTimeout+time.Minute)
	defer cancel()
	b := &Backoff{Min: 300 * time.Millisecond, Max: 3 * time.Second, Factor: 1.5}
	var res awsops.CommandResult
	for {
		res, err = c.CommandResult(ctx, id, instance)
		if err != nil {
			return probe.Report{}, err
		}
		if res.Done {
			break
		}
		if err := pauseFor(ctx, b.Next(res.Status), env.wake()); err != nil {
			return probe.Report{}, fmt.Errorf("run command %s on %s: still %s: %w", id, instance, res.Status, err)
		}
	}
	from := fmt.Sprintf("%s in %s", instance, t.VPCID)
	rep, err := probe.ParseRemote(res.Stdout, target, from)
	if err != nil && !errors.Is(err, probe.ErrRemoteIncomplete) {
		why := strings.TrimSpace(Sanitize(res.Stderr))
		if len(why) > 300 {
			why = why[:300] + "…"
		}
		return probe.Report{}, fmt.Errorf("the check on %s ended %s (exit %d) without its results: %w; its error output: %s", instance, res.Status, res.ExitCode, err, orDefault(why, "none"))
	}
	return rep, err
}

// reachabilityConnectivity asks the Reachability Analyzer, once the user
// agreed to what AWS charges, whether source reaches every endpoint
// network interface on the service port.
func reachabilityConnectivity(ctx context.Context, env *Env, s *Session, source string) (Result, error) {
	t, err := flowTarget(ctx, env, s)
	if err != nil {
		return Result{}, err
	}
	if s.Input(InReachabilityOK) != "true" {
		n := len(t.ENIs)
		return Result{Detail: "the Reachability Analyzer waits for your go-ahead", Checks: []CheckResult{{
			Name: "Reachability Analyzer from " + source, Expected: "your go-ahead: AWS charges for each analysis", Fatal: true,
			Seen: fmt.Sprintf("not started: %d analysis(es), one per endpoint network interface", n),
			Hint: "AWS charges per analysis (see Amazon VPC pricing). plwiz deletes the paths and analyses afterwards. Headless, --yes gives the go-ahead.",
			Fix: &Fix{Label: fmt.Sprintf("start %d Reachability Analyzer analysis(es) from %s (AWS charges per analysis)", n, source), Do: func(_ context.Context, _ *Env, s *Session) error {
				s.SetInput(InReachabilityOK, "true")
				return nil
			}},
		}}}, nil
	}
	s.SetResource(ResReachability, "true")
	checks, err := Reachability(ctx, env, t, source, awsops.Tags{awsops.TagSession: s.ID}, func(eni string) string {
		return s.ClientToken("reach-" + eni[max(len(eni)-8, 0):])
	})
	if err != nil {
		return Result{}, err
	}
	return Result{Detail: fmt.Sprintf("the network path from %s to %s on port %d, by the Reachability Analyzer (it checks security groups, network ACLs and routes, not DNS, TLS or the service); its paths and analyses are deleted",
		source, t.EndpointID, t.Port), Checks: checks}, nil
}

// reachabilityTimeout bounds the wait for one analysis.
const reachabilityTimeout = 10 * time.Minute

// Reachability analyzes the path from source to each of the endpoint's
// network interfaces on its port, one check each, saying in plain words
// what blocks it (the security group, network ACL or route table) and
// the fix; every path and analysis is deleted afterwards, whatever
// happened. token gives each path's idempotency token ("" for none).
func Reachability(ctx context.Context, env *Env, t EndpointTarget, source string, tags awsops.Tags, token func(eni string) string) ([]CheckResult, error) {
	c := env.consumer()
	if len(t.ENIs) == 0 {
		return nil, fmt.Errorf("endpoint %s has no network interface to analyze a path to", t.EndpointID)
	}
	var checks []CheckResult
	for _, e := range t.ENIs {
		tok := ""
		if token != nil {
			tok = token(e.ID)
		}
		path, analysis, err := c.StartReachability(ctx, awsops.ReachabilityInput{Source: source, Destination: e.ID, Port: int32(t.Port), Token: tok, Tags: tags})
		if err != nil {
			// What was made is deleted even so; the deletion's own failure
			// is left to teardown.
			_ = c.DeleteReachability(context.WithoutCancel(ctx), path, analysis)
			return nil, err
		}
		r, err := awaitReachability(ctx, env, analysis, int32(t.Port))
		derr := c.DeleteReachability(context.WithoutCancel(ctx), path, analysis)
		if err != nil {
			return nil, err
		}
		if derr != nil {
			return nil, fmt.Errorf("%w (plwiz teardown deletes what is left)", derr)
		}
		checks = append(checks, reachabilityCheck(r, source, e, t.Port))
	}
	return checks, nil
}

func awaitReachability(ctx context.Context, env *Env, analysis string, port int32) (awsops.Reachability, error) {
	ctx, cancel := context.WithTimeout(ctx, reachabilityTimeout)
	defer cancel()
	b := &Backoff{Min: 500 * time.Millisecond, Max: 5 * time.Second, Factor: 1.5}
	for {
		r, err := env.consumer().Reachability(ctx, analysis, port)
		if err != nil {
			return r, err
		}
		if r.Done {
			return r, nil
		}
		if err := pauseFor(ctx, b.Next(r.Status), env.wake()); err != nil {
			return r, fmt.Errorf("reachability analysis %s still %s: %w", analysis, r.Status, err)
		}
	}
}

func reachabilityCheck(r awsops.Reachability, source string, e awsops.ENI, port int) CheckResult {
	c := CheckResult{Name: fmt.Sprintf("PATH %s to %s (%s) on TCP %d", source, e.ID, orDefault(e.Zone.ID, e.Zone.Name), port),
		Expected: "a network path (the Reachability Analyzer finds one)", Fatal: true}
	switch {
	case r.Status == "failed":
		c.Seen = "the analysis failed: " + orDefault(r.Message, "AWS gave no reason")
		c.Hint = "Check that the source is in the endpoint's VPC and that you may use the Reachability Analyzer (its IAM actions are in plwiz iam-policy --role consumer)."
	case r.PathFound:
		c.Passed, c.Seen = true, "reachable: no security group, network ACL or route blocks it"
	default:
		var what, fix []string
		for _, b := range r.Blocks {
			what = append(what, fmt.Sprintf("%s [%s]", b.What, b.Code))
			fix = append(fix, b.Fix)
		}
		c.Seen = orDefault(strings.Join(what, "; "), "not reachable (the analyzer gave no explanation)")
		c.Hint = orDefault(strings.Join(slices.Compact(fix), "; "), "Open the analysis in the VPC console for the details.")
	}
	return c
}

// reachabilityTeardown deletes what is left of the session's Reachability
// Analyzer paths and analyses (the test deletes its own; a crash or a
// failed deletion leaves them), found by the session's tag. It goes first:
// they name the endpoint's network interfaces.
func reachabilityTeardown(s *Session) []TeardownAction {
	if s.Resource(ResReachability) != "true" {
		return nil
	}
	id := s.ID
	return []TeardownAction{{Label: "delete the Reachability Analyzer paths and analyses tagged " + awsops.TagSession + "=" + id, Do: func(ctx context.Context, env *Env) error {
		_, err := env.consumer().DeleteSessionReachability(ctx, id)
		return err
	}}}
}

// withEndpointGroups adds, to a connectivity test whose TCP failed, a
// check of the endpoint's own security groups: they must let the VPC's
// clients in on the port. It names the group and the missing rule, and
// offers to add it.
func withEndpointGroups(ctx context.Context, env *Env, s *Session, res *Result, inVPC bool) error {
	if !slices.ContainsFunc(res.Checks, func(c CheckResult) bool { return !c.Passed && !c.Skipped && strings.HasPrefix(c.Name, "TCP ") }) {
		return nil
	}
	ep, err := env.endpoint(ctx, s.Resource(ResEndpointID))
	if err != nil {
		return err
	}
	cidrs := splitList(s.Resource(ResVPCCIDRs))
	port, _ := strconv.Atoi(s.Resource(ResNLBPort))
	if len(ep.SecurityGroupIDs) == 0 || len(cidrs) == 0 || port <= 0 {
		return nil
	}
	all, err := env.consumer().ListSecurityGroups(ctx, ep.VPCID)
	if err != nil {
		return err
	}
	groups := slices.DeleteFunc(all, func(g awsops.SecurityGroup) bool { return !slices.Contains(ep.SecurityGroupIDs, g.ID) })
	if len(groups) == 0 {
		return nil
	}
	var missing []string
	for _, c := range cidrs {
		if !anyAllows(groups, int32(port), c) {
			missing = append(missing, c)
		}
	}
	ids := strings.Join(ep.SecurityGroupIDs, ", ")
	c := CheckResult{Name: fmt.Sprintf("the endpoint's security groups let TCP %d in from %s", port, ep.VPCID),
		Expected: fmt.Sprintf("TCP %d allowed from %s", port, strings.Join(cidrs, ", "))}
	switch {
	case len(missing) == 0:
		c.Passed, c.Seen = true, ids+" allow it"
		if inVPC {
			// From inside the VPC, past the endpoint's groups: the
			// provider's side drops it.
			c.Seen += ": the timeout is further on, at the provider's load balancer (ask the provider to run plwiz check --nlb: an AZ without a healthy target, or security groups enforced on PrivateLink traffic without your VPC's CIDR blocks)"
		}
	default:
		c.Fatal = true
		c.Seen = fmt.Sprintf("%s allow no TCP %d in", ids, port)
		if from := allowedSources(groups, int32(port)); len(from) > 0 {
			c.Seen = fmt.Sprintf("%s allow TCP %d from %s only", ids, port, strings.Join(from, ", "))
		}
		c.Hint = fmt.Sprintf("Clients in %s time out at the endpoint: add an inbound rule allowing TCP %d from %s to %s (plwiz can), or give the endpoint a group that has it.",
			ep.VPCID, port, strings.Join(missing, ", "), groups[0].ID)
		group := groups[0].ID
		c.Fix = &Fix{Label: fmt.Sprintf("allow TCP %d from %s on %s", port, strings.Join(missing, ", "), group), Do: func(ctx context.Context, env *Env, s *Session) error {
			rules, err := env.consumer().AllowTCP(ctx, group, int32(port), missing, "plwiz: service port")
			if err != nil {
				return err
			}
			noteAddedRules(s, group, rules)
			return nil
		}}
	}
	res.Checks = append(res.Checks, c)
	return nil
}
