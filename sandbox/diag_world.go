package sandbox

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"
)

// Diag is the part of the world that diagnosing a timeout needs: the
// load balancers' security groups and attributes, target groups and their
// targets, the listeners' certificates, EC2 instances (the provider's
// targets, the consumer's managed instance), SSM Run Command and the
// Reachability Analyzer. It is kept apart from the PrivateLink state so
// the two grow without touching each other; ensureDiag fills it in for
// worlds saved before it existed.
type Diag struct {
	LBs          map[string]*LBConfig       `json:"loadBalancers"`    // by load balancer ARN
	Listeners    map[string]*ListenerConfig `json:"listeners"`        // by listener ARN
	TargetGroups map[string]*TargetGroup    `json:"targetGroups"`     // by ARN
	Certificates map[string]*Certificate    `json:"certificates"`     // ACM, by ARN
	Instances    map[string]*Instance       `json:"instances"`        // by instance ID
	Commands     map[string]*Command        `json:"commands"`         // SSM Run Command, by command ID
	Paths        map[string]*InsightsPath   `json:"insightsPaths"`    // by nip- ID
	Analyses     map[string]*Analysis       `json:"insightsAnalyses"` // by nia- ID
	// ENIs are the instances' primary network interfaces, kept out of the
	// world's ENIs (the PrivateLink listings count those) but found by
	// the analyzer like any other.
	ENIs map[string]*ENI `json:"instanceNetworkInterfaces"`
}

// LBConfig is what a load balancer has beyond the PrivateLink view of it.
type LBConfig struct {
	SecurityGroupIDs []string `json:"securityGroupIds,omitempty"`
	// EnforcePrivateLink is EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic
	// (on | off); AWS reports it only while the NLB has security groups.
	EnforcePrivateLink string            `json:"enforcePrivateLink,omitempty"`
	Attributes         map[string]string `json:"attributes"`
}

// ListenerConfig is a listener's default target group and certificates.
type ListenerConfig struct {
	TargetGroupARN  string   `json:"targetGroupArn"`
	CertificateARNs []string `json:"certificateArns,omitempty"` // the first is the default
	SSLPolicy       string   `json:"sslPolicy,omitempty"`
}

// TargetGroup is an ELBv2 target group of instance targets.
type TargetGroup struct {
	ARN        string            `json:"arn"`
	Name       string            `json:"name"`
	Owner      string            `json:"owner"`
	Protocol   string            `json:"protocol"`
	Port       int32             `json:"port"`
	VPCID      string            `json:"vpcId"`
	TargetType string            `json:"targetType"` // instance
	Attributes map[string]string `json:"attributes"`
	Targets    []*Target         `json:"targets,omitempty"`
}

// Target is one registration of an instance in a target group.
type Target struct {
	ID           string    `json:"id"` // instance ID
	Port         int32     `json:"port"`
	RegisteredAt time.Time `json:"registeredAt"`
	// DeregisteredAt is when deregistration started (draining); zero while
	// registered.
	DeregisteredAt time.Time `json:"deregisteredAt,omitzero"`
}

// Certificate is an ACM certificate.
type Certificate struct {
	ARN       string    `json:"arn"`
	Owner     string    `json:"owner"`
	Domain    string    `json:"domain"`
	SANs      []string  `json:"sans"`
	Status    string    `json:"status"` // ISSUED | EXPIRED | ...
	NotBefore time.Time `json:"notBefore"`
	NotAfter  time.Time `json:"notAfter"`
	CreatedAt time.Time `json:"createdAt"`
	Serial    string    `json:"serial"`
}

// Instance is an EC2 instance.
type Instance struct {
	ID               string    `json:"id"`
	Owner            string    `json:"owner"`
	VPCID            string    `json:"vpcId"`
	SubnetID         string    `json:"subnetId"`
	AZID             string    `json:"azId"`
	PrivateIP        string    `json:"privateIp"`
	ENIID            string    `json:"eniId"`
	State            string    `json:"state"` // pending | running | stopping | stopped | terminated
	InstanceType     string    `json:"instanceType"`
	ImageID          string    `json:"imageId"`
	SecurityGroupIDs []string  `json:"securityGroupIds"`
	LaunchTime       time.Time `json:"launchTime"`
	Tags             []Tag     `json:"tags,omitempty"`
	// SSM is set for instances the SSM agent manages.
	SSM *ManagedInstance `json:"ssm,omitempty"`
	// AppDown makes the instance fail its load balancer health checks (the
	// application on it does not answer).
	AppDown bool `json:"appDown,omitempty"`
}

// ManagedInstance is what SSM knows of an instance.
type ManagedInstance struct {
	PingStatus      string `json:"pingStatus"` // Online | ConnectionLost | Inactive
	AgentVersion    string `json:"agentVersion"`
	PlatformName    string `json:"platformName"`
	PlatformVersion string `json:"platformVersion"`
	ComputerName    string `json:"computerName"`
}

// Instance states.
const (
	InstanceRunning    = "running"
	InstanceStopped    = "stopped"
	InstanceTerminated = "terminated"
)

// ensureDiag fills in the diagnosis state: empty maps, and for every
// listener a target group with one healthy instance per load balancer
// zone, a security group on the NLB, and one SSM-managed instance in every
// consumer VPC that has none. Seeding happens once per resource, so it is
// safe on every start.
func (w *World) ensureDiag(now time.Time) {
	if w.Diag == nil {
		w.Diag = &Diag{}
	}
	d := w.Diag
	if d.LBs == nil {
		d.LBs = map[string]*LBConfig{}
	}
	if d.Listeners == nil {
		d.Listeners = map[string]*ListenerConfig{}
	}
	if d.TargetGroups == nil {
		d.TargetGroups = map[string]*TargetGroup{}
	}
	if d.Certificates == nil {
		d.Certificates = map[string]*Certificate{}
	}
	if d.Instances == nil {
		d.Instances = map[string]*Instance{}
	}
	if d.Commands == nil {
		d.Commands = map[string]*Command{}
	}
	if d.Paths == nil {
		d.Paths = map[string]*InsightsPath{}
	}
	if d.Analyses == nil {
		d.Analyses = map[string]*Analysis{}
	}
	if d.ENIs == nil {
		d.ENIs = map[string]*ENI{}
	}
	// A command that was running when the sandbox stopped will never end:
	// its agent (a process of the old sandbox) is gone.
	for _, cmd := range d.Commands {
		for _, inv := range cmd.Invocations {
			if !inv.Done {
				*inv = Invocation{InstanceID: inv.InstanceID, Done: true, Status: "Failed", StatusDetails: "Failed",
					ResponseCode: -1, Stderr: "the sandbox stopped while the command ran", EndedAt: now}
			}
		}
	}
	for _, arn := range SortedKeys(w.LoadBalancers) {
		if d.LBs[arn] == nil {
			w.seedLB(w.LoadBalancers[arn], now)
		}
	}
	for _, arn := range SortedKeys(w.Listeners) {
		if d.Listeners[arn] == nil {
			w.seedListener(w.Listeners[arn], now)
		}
	}
	for _, a := range w.Accounts {
		if a.Name != "consumer" {
			continue
		}
		for _, id := range SortedKeys(w.VPCs) {
			if v := w.VPCs[id]; v.Owner == a.ID && len(w.instancesIn(v.ID)) == 0 {
				w.seedManagedInstance(v, now)
			}
		}
	}
}

// seedLB gives an NLB a security group allowing its listener ports from
// anywhere, enforced on PrivateLink traffic (AWS's default for an NLB with
// groups), and ELBv2's default attributes.
func (w *World) seedLB(lb *LoadBalancer, now time.Time) {
	cfg := &LBConfig{Attributes: defaultLBAttributes()}
	w.Diag.LBs[lb.ARN] = cfg
	vpc := w.VPCs[lb.VPCID]
	if lb.Type != "network" || vpc == nil {
		return
	}
	sg := &SecurityGroup{
		ID: w.NewID("sg-"), Owner: lb.Owner, VPCID: vpc.ID, Name: "nlb-" + lb.Name,
		Description: "security group of " + lb.Name, CreatedAt: now,
		Egress: []SGRule{{RuleID: w.NewID("sgr-"), Protocol: "-1", CIDRs: []string{"0.0.0.0/0"}}},
	}
	anywhere := []string{"0.0.0.0/0"}
	if lb.ipType() == Dualstack {
		// Its clients come over IPv6 too: 0.0.0.0/0 does not cover them.
		anywhere = append(anywhere, "::/0")
	}
	for _, id := range SortedKeys(w.Listeners) {
		if ln := w.Listeners[id]; ln.LBARN == lb.ARN {
			for _, cidr := range anywhere { // a rule per CIDR, as EC2 numbers them
				sg.Ingress = append(sg.Ingress, SGRule{RuleID: w.NewID("sgr-"), Protocol: "tcp",
					FromPort: ln.Port, ToPort: ln.Port, CIDRs: []string{cidr}, Description: "clients anywhere"})
			}
		}
	}
	w.SecurityGroups[sg.ID] = sg
	cfg.SecurityGroupIDs = []string{sg.ID}
	cfg.EnforcePrivateLink = "on"
}

// seedListener makes the target group a listener forwards to, with one
// running instance per zone of the load balancer, registered long enough
// ago to be healthy.
func (w *World) seedListener(ln *Listener, now time.Time) {
	lb := w.LoadBalancers[ln.LBARN]
	if lb == nil {
		return
	}
	tg := &TargetGroup{
		ARN: targetGroupARN(ln), Owner: lb.Owner, Protocol: "TCP", Port: ln.Port,
		VPCID: lb.VPCID, TargetType: "instance", Attributes: defaultTGAttributes(),
	}
	if tg.ARN == "" {
		tg.ARN = fmt.Sprintf("arn:aws:elasticloadbalancing:%s:%s:targetgroup/%s-tg/%s", w.Region, lb.Owner, lb.Name, w.hex(16))
	}
	tg.Name = strings.Split(strings.SplitN(tg.ARN, ":targetgroup/", 2)[1], "/")[0]
	w.Diag.TargetGroups[tg.ARN] = tg
	w.Diag.Listeners[ln.ARN] = &ListenerConfig{TargetGroupARN: tg.ARN}
	owner := w.Account(lb.Owner)
	for i, sid := range lb.SubnetIDs {
		sn := w.Subnets[sid]
		if sn == nil || owner == nil {
			continue
		}
		inst := w.newInstance(sn, fmt.Sprintf("%s-app-%d", lb.Name, i+1), w.defaultGroup(sn.VPCID), now.Add(-time.Hour))
		if inst == nil {
			continue
		}
		tg.Targets = append(tg.Targets, &Target{ID: inst.ID, Port: ln.Port, RegisteredAt: now.Add(-time.Hour)})
	}
}

// seedManagedInstance puts one running, SSM-managed Amazon Linux instance
// in the VPC's first subnet, in the VPC's default security group.
func (w *World) seedManagedInstance(v *VPC, now time.Time) {
	var first *Subnet
	for _, id := range SortedKeys(w.Subnets) {
		if sn := w.Subnets[id]; sn.VPCID == v.ID && (first == nil || sn.AZID < first.AZID) {
			first = sn
		}
	}
	if first == nil {
		return
	}
	inst := w.newInstance(first, "plwiz-test-host", w.defaultGroup(v.ID), now.Add(-time.Hour))
	if inst == nil {
		return
	}
	inst.SSM = &ManagedInstance{
		PingStatus: "Online", AgentVersion: "3.3.1142.0",
		PlatformName: "Amazon Linux", PlatformVersion: "2023",
		ComputerName: "ip-" + strings.ReplaceAll(inst.PrivateIP, ".", "-") + ".ec2.internal",
	}
}

// defaultGroup is the ID of a VPC's default security group, "" if none.
func (w *World) defaultGroup(vpcID string) string {
	for _, id := range SortedKeys(w.SecurityGroups) {
		if sg := w.SecurityGroups[id]; sg.VPCID == vpcID && sg.Name == "default" {
			return id
		}
	}
	return ""
}

// newInstance launches a running instance with its primary network
// interface in the subnet; nil when the subnet is full. Instances take
// addresses from the top of the subnet down, so endpoint network
// interfaces, which take them from the bottom up, keep the addresses
// they always had.
func (w *World) newInstance(sn *Subnet, name, group string, launched time.Time) *Instance {
	p, err := netip.ParsePrefix(sn.CIDR)
	if err != nil || !p.Addr().Is4() || p.Bits() != 24 {
		return nil
	}
	taken := 0
	for _, in := range w.Diag.Instances {
		if in.SubnetID == sn.ID {
			taken++
		}
	}
	if 250-taken <= sn.NextHost {
		return nil
	}
	b := p.Addr().As4()
	b[3] = byte(250 - taken)
	ip := netip.AddrFrom4(b)
	var groups []string
	if group != "" {
		groups = []string{group}
	}
	inst := &Instance{
		ID: w.NewID("i-"), Owner: sn.Owner, VPCID: sn.VPCID, SubnetID: sn.ID, AZID: sn.AZID,
		PrivateIP: ip.String(), State: InstanceRunning, InstanceType: "t3.micro",
		ImageID: "ami-" + w.hex(17), SecurityGroupIDs: groups, LaunchTime: launched,
		Tags: []Tag{{Key: "Name", Value: name}},
	}
	eni := &ENI{
		ID: w.NewID("eni-"), Owner: sn.Owner, SubnetID: sn.ID, VPCID: sn.VPCID, AZID: sn.AZID,
		PrivateIP: inst.PrivateIP, Description: "Primary network interface", InterfaceType: "interface",
		Status: "in-use", SecurityGroupIDs: slices.Clone(groups),
	}
	inst.ENIID = eni.ID
	w.Diag.ENIs[eni.ID] = eni
	w.Diag.Instances[inst.ID] = inst
	return inst
}

// instancesIn returns the instances of a VPC, sorted by ID.
func (w *World) instancesIn(vpcID string) []*Instance {
	var out []*Instance
	for _, id := range SortedKeys(w.Diag.Instances) {
		if in := w.Diag.Instances[id]; in.VPCID == vpcID && in.State != InstanceTerminated {
			out = append(out, in)
		}
	}
	return out
}

// defaultLBAttributes are a network load balancer's attributes as ELBv2
// creates them.
func defaultLBAttributes() map[string]string {
	return map[string]string{
		"access_logs.s3.enabled":                 "false",
		"access_logs.s3.bucket":                  "",
		"access_logs.s3.prefix":                  "",
		"deletion_protection.enabled":            "false",
		"load_balancing.cross_zone.enabled":      "false",
		"ipv6.deny_all_igw_traffic":              "false",
		"dns_record.client_routing_policy":       "any_availability_zone",
		"zonal_shift.config.enabled":             "false",
		"secondary_ips.auto_assigned.per_subnet": "0",
	}
}

// defaultTGAttributes are a TCP instance target group's attributes as
// ELBv2 creates them.
func defaultTGAttributes() map[string]string {
	return map[string]string{
		"deregistration_delay.timeout_seconds":                                           "300",
		"deregistration_delay.connection_termination.enabled":                            "false",
		"preserve_client_ip.enabled":                                                     "true",
		"proxy_protocol_v2.enabled":                                                      "false",
		"stickiness.enabled":                                                             "false",
		"stickiness.type":                                                                "source_ip",
		"load_balancing.cross_zone.enabled":                                              "use_load_balancer_configuration",
		"target_health_state.unhealthy.connection_termination.enabled":                   "true",
		"target_health_state.unhealthy.draining_interval_seconds":                        "0",
		"target_group_health.dns_failover.minimum_healthy_targets.count":                 "1",
		"target_group_health.dns_failover.minimum_healthy_targets.percentage":            "off",
		"target_group_health.unhealthy_state_routing.minimum_healthy_targets.count":      "1",
		"target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage": "off",
	}
}

// TargetState is one target's health as DescribeTargetHealth reports it.
type TargetState struct {
	State       string // initial | healthy | unhealthy | unused | draining | unavailable
	Reason      string
	Description string
}

// Target health states and AWS's reason codes and descriptions.
var (
	stateRegistering   = TargetState{"initial", "Elb.RegistrationInProgress", "Target registration is in progress"}
	stateInitialCheck  = TargetState{"initial", "Elb.InitialHealthChecking", "Initial health checks in progress"}
	stateHealthy       = TargetState{State: "healthy"}
	stateFailedChecks  = TargetState{"unhealthy", "Target.FailedHealthChecks", "Health checks failed"}
	stateNotRegistered = TargetState{"unused", "Target.NotRegistered", "Target is not registered to the target group"}
	stateTGNotInUse    = TargetState{"unused", "Target.NotInUse", "Target group is not configured to receive traffic from the load balancer"}
	stateAZNotEnabled  = TargetState{"unused", "Target.NotInUse", "Target is in an Availability Zone that is not enabled for the load balancer"}
	stateDraining      = TargetState{"draining", "Target.DeregistrationInProgress", "Target deregistration is in progress"}
)

// lbsOf returns the load balancers whose listeners forward to tg.
func (w *World) lbsOf(tg *TargetGroup) []*LoadBalancer {
	var out []*LoadBalancer
	for _, arn := range SortedKeys(w.Diag.Listeners) {
		lc := w.Diag.Listeners[arn]
		ln := w.Listeners[arn]
		if lc.TargetGroupARN != tg.ARN || ln == nil {
			continue
		}
		if lb := w.LoadBalancers[ln.LBARN]; lb != nil && !slices.Contains(out, lb) {
			out = append(out, lb)
		}
	}
	return out
}

// lbAZs are the AZ IDs a load balancer is in.
func (w *World) lbAZs(lb *LoadBalancer) []string {
	var out []string
	for _, sid := range lb.SubnetIDs {
		if sn := w.Subnets[sid]; sn != nil {
			out = append(out, sn.AZID)
		}
	}
	return out
}

// targetHealth computes a registered target's state at now.
func (w *World) targetHealth(tg *TargetGroup, t *Target, now time.Time, d Delays) TargetState {
	if !t.DeregisteredAt.IsZero() {
		return stateDraining
	}
	inst := w.Diag.Instances[t.ID]
	if inst == nil || inst.State == InstanceTerminated {
		return TargetState{"unused", "Target.InvalidState", "Target is in the terminated state"}
	}
	if inst.State != InstanceRunning {
		return TargetState{"unused", "Target.InvalidState", "Target is in the " + inst.State + " state"}
	}
	lbs := w.lbsOf(tg)
	if len(lbs) == 0 {
		return stateTGNotInUse
	}
	inZone := false
	for _, lb := range lbs {
		if slices.Contains(w.lbAZs(lb), inst.AZID) {
			inZone = true
		}
	}
	if !inZone {
		return stateAZNotEnabled
	}
	since := now.Sub(t.RegisteredAt)
	switch {
	case since < d.TargetHealthy/3:
		return stateRegistering
	case since < d.TargetHealthy:
		return stateInitialCheck
	case inst.AppDown:
		return stateFailedChecks
	}
	return stateHealthy
}

// drainDelay is how long a deregistered target drains: the target group's
// deregistration delay, on the sandbox's time scale.
func drainDelay(tg *TargetGroup, d Delays) time.Duration {
	secs := 300
	fmt.Sscanf(tg.Attributes["deregistration_delay.timeout_seconds"], "%d", &secs)
	return time.Duration(float64(d.TargetDraining) * float64(secs) / 300)
}

// advanceDiag removes targets whose draining is over.
func advanceDiag(w *World, now time.Time, d Delays) bool {
	if w.Diag == nil {
		return false
	}
	changed := false
	for _, tg := range w.Diag.TargetGroups {
		kept := tg.Targets[:0]
		for _, t := range tg.Targets {
			if done := t.DeregisteredAt.Add(drainDelay(tg, d)); !t.DeregisteredAt.IsZero() && !now.Before(done) {
				w.note(done, tg.Owner, tg.ARN+"/"+t.ID, "draining", "")
				changed = true
				continue
			}
			kept = append(kept, t)
		}
		tg.Targets = kept
	}
	return changed
}

// crossZone reports whether a target group balances across zones: its own
// attribute, or the load balancer's when it defers to it.
func (w *World) crossZone(tg *TargetGroup, lb *LoadBalancer) bool {
	switch tg.Attributes["load_balancing.cross_zone.enabled"] {
	case "true":
		return true
	case "false":
		return false
	}
	cfg := w.Diag.LBs[lb.ARN]
	return cfg != nil && cfg.Attributes["load_balancing.cross_zone.enabled"] == "true"
}

// routable reports whether a connection arriving at the load balancer's
// node in azID (any node when "") on port finds a healthy target, and if
// not, why.
func (w *World) routable(lb *LoadBalancer, port int32, azID string, now time.Time, d Delays) (bool, string) {
	var ln *Listener
	for _, id := range SortedKeys(w.Listeners) {
		if l := w.Listeners[id]; l.LBARN == lb.ARN && l.Port == port {
			ln = l
		}
	}
	if ln == nil {
		return false, fmt.Sprintf("%s has no listener on port %d", lb.Name, port)
	}
	lc := w.Diag.Listeners[ln.ARN]
	if lc == nil {
		return true, "" // a listener the world does not model targets for
	}
	tg := w.Diag.TargetGroups[lc.TargetGroupARN]
	if tg == nil {
		return false, "listener forwards to a target group that does not exist"
	}
	cross := w.crossZone(tg, lb)
	for _, t := range tg.Targets {
		inst := w.Diag.Instances[t.ID]
		if inst == nil || (!cross && azID != "" && inst.AZID != azID) {
			continue
		}
		if w.targetHealth(tg, t, now, d).State == "healthy" {
			return true, ""
		}
	}
	if cross {
		return false, fmt.Sprintf("target group %s has no healthy target", tg.Name)
	}
	return false, fmt.Sprintf("target group %s has no healthy target in %s and cross-zone load balancing is off", tg.Name, azID)
}

// coversTCP reports whether the rule lets TCP on port through.
func (r SGRule) coversTCP(port int32) bool {
	return r.Protocol == "-1" || r.Protocol == "tcp" && r.FromPort <= port && port <= r.ToPort
}

// cidrs are the rule's CIDR blocks of one address family (netip.Addr.Is4
// or Is6), masked.
func (r SGRule) cidrs(family func(netip.Addr) bool) []netip.Prefix {
	var out []netip.Prefix
	for _, c := range r.CIDRs {
		if p, err := netip.ParsePrefix(c); err == nil && family(p.Addr()) {
			out = append(out, p.Masked())
		}
	}
	return out
}

// tcpIngress are the inbound rules of the groups that let TCP on port in.
func (w *World) tcpIngress(groupIDs []string, port int32) []SGRule {
	var out []SGRule
	for _, g := range groupIDs {
		if sg := w.SecurityGroups[g]; sg != nil {
			for _, r := range sg.Ingress {
				if r.coversTCP(port) {
					out = append(out, r)
				}
			}
		}
	}
	return out
}

// sgAllows reports whether a security group's rules (ingress or egress)
// allow TCP to port with peer address ip, or from a member of a group in
// peerGroups.
func (w *World) sgAllows(rules []SGRule, port int32, ip netip.Addr, peerGroups []string) (bool, string) {
	for _, r := range rules {
		if !r.coversTCP(port) {
			continue
		}
		for _, c := range r.CIDRs {
			if p, err := netip.ParsePrefix(c); err == nil && p.Contains(ip) {
				return true, r.RuleID
			}
		}
		for _, g := range r.GroupIDs {
			if slices.Contains(peerGroups, g) {
				return true, r.RuleID
			}
		}
	}
	return false, ""
}

// groupsAllow: traffic passes a set of groups when any of them allows it.
func (w *World) groupsAllow(groupIDs []string, egress bool, port int32, ip netip.Addr, peerGroups []string) bool {
	for _, g := range groupIDs {
		sg := w.SecurityGroups[g]
		if sg == nil {
			continue
		}
		rules := sg.Ingress
		if egress {
			rules = sg.Egress
		}
		if ok, _ := w.sgAllows(rules, port, ip, peerGroups); ok {
			return true
		}
	}
	return false
}

// nlbAdmits reports whether the NLB's security groups let PrivateLink
// traffic from an endpoint network interface in on port. AWS evaluates
// them, when enforcement is on, against the private address of the
// consumer's client, an address of the consumer VPC: the sandbox takes the
// endpoint ENI's, which is one. Over IPv6 (v6, a dualstack or ipv6
// endpoint's clients) that is an address of the ENI subnet's IPv6 block,
// which only an IPv6 rule (Ipv6Ranges) allows.
func (w *World) nlbAdmits(lb *LoadBalancer, eni *ENI, port int32, v6 bool) (bool, string) {
	cfg := w.Diag.LBs[lb.ARN]
	if cfg == nil || len(cfg.SecurityGroupIDs) == 0 || cfg.EnforcePrivateLink == "off" {
		return true, ""
	}
	ip, err := netip.ParseAddr(eni.PrivateIP)
	if v6 {
		var ok bool
		if ip, ok = w.eniIPv6Source(eni); !ok {
			return false, "endpoint network interface without an IPv6 address"
		}
	} else if err != nil {
		return false, "endpoint network interface without an address"
	}
	if w.groupsAllow(cfg.SecurityGroupIDs, false, port, ip, eni.SecurityGroupIDs) {
		return true, ""
	}
	return false, fmt.Sprintf("security groups %s of %s do not allow TCP %d from %s", strings.Join(cfg.SecurityGroupIDs, ", "), lb.Name, port, ip)
}

// hostStandIn is the instance a connection from 127.0.0.1 stands for: the
// sandbox runs clients (the local probe, Run Command scripts) on this
// machine, where they connect from 127.0.0.1, and treats them as the first
// running instance of the endpoint's VPC, with its address and security
// groups. Nil when the VPC has none.
func (w *World) hostStandIn(vpcID string) *Instance {
	for _, in := range w.instancesIn(vpcID) {
		if in.State == InstanceRunning {
			return in
		}
	}
	return nil
}

// endpointSources are the client addresses an endpoint network interface's
// security groups let in on port: the CIDRs of matching rules, the
// addresses of instances in referenced groups, and 127.0.0.1 when the
// VPC's stand-in host may connect (its egress and the ENI's ingress allow
// it).
func (w *World) endpointSources(eni *ENI, port int32) []netip.Prefix {
	var out []netip.Prefix
	for _, r := range w.tcpIngress(eni.SecurityGroupIDs, port) {
		out = append(out, r.cidrs(netip.Addr.Is4)...)
		for _, ref := range r.GroupIDs {
			for _, in := range w.Diag.Instances {
				if in.State == InstanceRunning && slices.Contains(in.SecurityGroupIDs, ref) {
					if a, err := netip.ParseAddr(in.PrivateIP); err == nil {
						out = append(out, netip.PrefixFrom(a, 32))
					}
				}
			}
		}
	}
	host := localClient
	if in := w.hostStandIn(eni.VPCID); in != nil {
		ip, err1 := netip.ParseAddr(in.PrivateIP)
		dst, err2 := netip.ParseAddr(eni.PrivateIP)
		if err1 == nil && err2 == nil &&
			w.groupsAllow(in.SecurityGroupIDs, true, port, dst, eni.SecurityGroupIDs) &&
			w.groupsAllow(eni.SecurityGroupIDs, false, port, ip, in.SecurityGroupIDs) {
			out = append(out, netip.PrefixFrom(host, 32))
		}
	} else {
		// No instance to stand for: this machine is a host in the VPC
		// without security groups of its own.
		if v := w.VPCs[eni.VPCID]; v != nil {
			if p, err := netip.ParsePrefix(v.CIDR); err == nil {
				for _, s := range out {
					if s.Overlaps(p) && s.Bits() <= p.Bits() {
						out = append(out, netip.PrefixFrom(host, 32))
						break
					}
				}
			}
		}
	}
	slices.SortFunc(out, func(a, b netip.Prefix) int {
		if c := a.Addr().Compare(b.Addr()); c != 0 {
			return c
		}
		return a.Bits() - b.Bits()
	})
	out = slices.Compact(out)
	if out == nil {
		out = []netip.Prefix{} // not nil: nothing may connect
	}
	return out
}

// eni finds a network interface: an endpoint's or load balancer's, or an
// instance's.
func (w *World) eni(id string) *ENI {
	if e := w.ENIs[id]; e != nil {
		return e
	}
	if w.Diag != nil {
		return w.Diag.ENIs[id]
	}
	return nil
}
