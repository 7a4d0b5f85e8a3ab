package sandbox

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// DiagScenarios are the worlds set up for one load balancer or network
// failure, by name, for tests, benchmarks and the demo (`--scenario`).
// Each takes a world (seeded or not) and breaks it the way the name says;
// each is also reachable with ordinary AWS calls, which the AWS CLI test
// shows.
var DiagScenarios = map[string]func(w *World, now time.Time) error{
	// The provider's target in its first AZ fails its health checks and
	// cross-zone load balancing is off: connections through the endpoint
	// ENI in that AZ time out.
	"unhealthy-az": scenarioUnhealthyAZ,
	// No target is registered in the provider's first AZ and the target
	// group turns cross-zone load balancing off itself, whatever the load
	// balancer says.
	"cross-zone-off": scenarioCrossZoneOff,
	// The NLB's security group allows its listener port from the provider
	// VPC only, and is enforced on PrivateLink traffic (the endpoint ENIs'
	// addresses are the source it sees): every connection through an
	// endpoint times out.
	"nlb-sg-enforced": scenarioNLBSGEnforced,
	// The consumer VPC's default security group allows only SSH, so an
	// endpoint in it does not let the VPC's hosts reach the service port.
	"consumer-sg-closed": scenarioConsumerSGClosed,
	// The NLB's listener is TLS with an ACM certificate for the domain.
	"tls-listener": scenarioTLSListener,
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

func scenarioUnhealthyAZ(w *World, now time.Time) error {
	w.ensureDiag(now)
	_, t, err := firstTarget(w)
	if err != nil {
		return fmt.Errorf("scenario unhealthy-az: %w", err)
	}
	w.Diag.Instances[t.ID].AppDown = true
	setCrossZone(w, false)
	return nil
}

func scenarioCrossZoneOff(w *World, now time.Time) error {
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

func scenarioNLBSGEnforced(w *World, now time.Time) error {
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

func scenarioConsumerSGClosed(w *World, now time.Time) error {
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

func scenarioTLSListener(w *World, now time.Time) error {
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
