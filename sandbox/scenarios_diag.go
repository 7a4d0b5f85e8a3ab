package sandbox

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// The load balancer and network failures plwiz diagnoses, each reachable
// with ordinary AWS calls too (the AWS CLI test makes them). They are
// listed in Scenarios; each takes the default world (seeded or not) and
// breaks it the way its help says.
func diagScenarios() []Scenario {
	return []Scenario{
		{Name: "unhealthy-az", Setup: scenarioUnhealthyAZ,
			Help: "the provider's target in its first AZ fails its health\nchecks, cross-zone off: that AZ's endpoint ENI times out"},
		{Name: "cross-zone-off", Setup: scenarioCrossZoneOff,
			Help: "no target registered in the provider's first AZ; the\ntarget group turns cross-zone off whatever the NLB says"},
		{Name: "nlb-sg-enforced", Setup: scenarioNLBSGEnforced,
			Help: "the NLB's security group, enforced on PrivateLink\ntraffic, allows the port from the provider VPC only"},
		{Name: "consumer-sg-closed", Setup: scenarioConsumerSGClosed,
			Help: "the consumer VPC's default security group allows only\nSSH: an endpoint in it does not take the service port"},
		{Name: "tls-listener", Setup: scenarioTLSListener,
			Help: "the NLB's listener is TLS with an ACM certificate for\nthe domain and its wildcard"},
	}
}

// firstTarget returns the target group of the provider's first listener and
// its target in the lowest AZ ID.
func firstTarget(w *World) (*TargetGroup, *Target, error) {
	for _, arn := range SortedKeys(w.Diag.Listeners) {
		tg := w.Diag.TargetGroups[w.Diag.Listeners[arn].TargetGroupARN]
		if tg == nil || len(tg.Targets) == 0 {
			continue
		}
		targets := slices.Clone(tg.Targets)
		slices.SortFunc(targets, func(a, b *Target) int {
			return strings.Compare(w.Diag.Instances[a.ID].AZID, w.Diag.Instances[b.ID].AZID)
		})
		return tg, targets[0], nil
	}
	return nil, nil, fmt.Errorf("the world has no target group with targets")
}

// setCrossZone sets cross-zone load balancing on every load balancer.
func setCrossZone(w *World, on bool) {
	for _, cfg := range w.Diag.LBs {
		cfg.Attributes["load_balancing.cross_zone.enabled"] = fmt.Sprint(on)
	}
}

func scenarioUnhealthyAZ(w *World, _ string) error {
	now := w.AdvancedTo
	w.ensureDiag(now)
	_, t, err := firstTarget(w)
	if err != nil {
		return fmt.Errorf("scenario unhealthy-az: %w", err)
	}
	w.Diag.Instances[t.ID].AppDown = true
	setCrossZone(w, false)
	return nil
}

func scenarioCrossZoneOff(w *World, _ string) error {
	now := w.AdvancedTo
	w.ensureDiag(now)
	tg, t, err := firstTarget(w)
	if err != nil {
		return fmt.Errorf("scenario cross-zone-off: %w", err)
	}
	tg.Targets = slices.DeleteFunc(tg.Targets, func(x *Target) bool { return x == t })
	tg.Attributes["load_balancing.cross_zone.enabled"] = "false"
	setCrossZone(w, true) // the target group's own setting wins
	return nil
}

func scenarioNLBSGEnforced(w *World, _ string) error {
	now := w.AdvancedTo
	w.ensureDiag(now)
	n := 0
	for arn, cfg := range w.Diag.LBs {
		lb, vpc := w.LoadBalancers[arn], (*VPC)(nil)
		if lb != nil {
			vpc = w.VPCs[lb.VPCID]
		}
		if len(cfg.SecurityGroupIDs) == 0 || vpc == nil {
			continue
		}
		cfg.EnforcePrivateLink = "on"
		for _, g := range cfg.SecurityGroupIDs {
			sg := w.SecurityGroups[g]
			if sg == nil {
				continue
			}
			// The provider VPC's IPv4 block only: IPv6 clients (of
			// dualstack endpoints) are not let in either.
			sg.Ingress = slices.DeleteFunc(sg.Ingress, func(r SGRule) bool {
				return len(r.CIDRs) > 0 && strings.Contains(r.CIDRs[0], ":")
			})
			for i := range sg.Ingress {
				sg.Ingress[i].CIDRs = []string{vpc.CIDR}
				sg.Ingress[i].GroupIDs = nil
				sg.Ingress[i].Description = "clients in " + vpc.ID
			}
		}
		n++
	}
	if n == 0 {
		return fmt.Errorf("scenario nlb-sg-enforced: no load balancer has security groups")
	}
	return nil
}

func scenarioConsumerSGClosed(w *World, _ string) error {
	now := w.AdvancedTo
	w.ensureDiag(now)
	consumer := w.AccountByName("consumer")
	if consumer == nil {
		return fmt.Errorf("scenario consumer-sg-closed: no consumer account")
	}
	n := 0
	for _, id := range SortedKeys(w.VPCs) {
		v := w.VPCs[id]
		if v.Owner != consumer.ID {
			continue
		}
		sg := w.SecurityGroups[w.defaultGroup(v.ID)]
		if sg == nil {
			continue
		}
		sg.Ingress = []SGRule{{RuleID: w.NewID("sgr-"), Protocol: "tcp", FromPort: 22, ToPort: 22, CIDRs: []string{v.CIDR}, Description: "SSH only"}}
		n++
	}
	if n == 0 {
		return fmt.Errorf("scenario consumer-sg-closed: the consumer has no VPC with a default security group")
	}
	return nil
}

func scenarioTLSListener(w *World, _ string) error {
	now := w.AdvancedTo
	w.ensureDiag(now)
	var domain string
	for _, id := range SortedKeys(w.HostedZones) {
		if z := w.HostedZones[id]; !z.Private {
			domain = strings.TrimSuffix(z.Name, ".")
			break
		}
	}
	if domain == "" {
		return fmt.Errorf("scenario tls-listener: no public hosted zone to name the certificate after")
	}
	for _, arn := range SortedKeys(w.Listeners) {
		ln := w.Listeners[arn]
		lb := w.LoadBalancers[ln.LBARN]
		lc := w.Diag.Listeners[arn]
		if lb == nil || lc == nil {
			continue
		}
		cert := w.NewCertificate(lb.Owner, domain, []string{domain, "*." + domain}, now.Add(-24*time.Hour), now.Add(395*24*time.Hour))
		ln.Protocol = "TLS"
		lc.CertificateARNs = []string{cert.ARN}
		lc.SSLPolicy = "ELBSecurityPolicy-TLS13-1-2-2021-06"
	}
	return nil
}

// NewCertificate adds an issued ACM certificate to the world.
func (w *World) NewCertificate(owner, domain string, sans []string, notBefore, notAfter time.Time) *Certificate {
	h := w.hex(32)
	c := &Certificate{
		ARN:   fmt.Sprintf("arn:aws:acm:%s:%s:certificate/%s", w.Region, owner, uuidFrom(h)),
		Owner: owner, Domain: domain, SANs: sans, Status: "ISSUED",
		NotBefore: notBefore, NotAfter: notAfter, CreatedAt: notBefore,
		Serial: strings.TrimSuffix(strings.Join(splitPairs(w.hex(32)), ":"), ":"),
	}
	w.Diag.Certificates[c.ARN] = c
	return c
}

func splitPairs(h string) []string {
	var out []string
	for i := 0; i+2 <= len(h); i += 2 {
		out = append(out, h[i:i+2])
	}
	return out
}
