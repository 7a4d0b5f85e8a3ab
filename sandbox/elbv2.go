package sandbox

import (
	"net/http"
	"slices"
	"sort"
	"strings"
)

// elbv2Handlers serve the ELBv2 actions.
func elbv2Handlers() map[string]queryHandler {
	return merge(map[string]queryHandler{
		"DescribeLoadBalancers": elbDescribeLoadBalancers,
		"DescribeListeners":     elbDescribeListeners,
		"AddTags":               elbAddTags,
		"RemoveTags":            elbRemoveTags,
		"DescribeTags":          elbDescribeTags,
	}, elbv2TargetHandlers())
}

// elbTime is how ELBv2 writes timestamps (ISO 8601 with milliseconds).
const elbTime = "2006-01-02T15:04:05.000Z"

// nlbHostedZones are the Route 53 zone IDs of NLB DNS names per region, as
// AWS publishes them; regions not listed get the us-east-1 one.
var nlbHostedZones = map[string]string{
	"us-east-1": "Z26RNL4JYFTOTI", "us-east-2": "ZLMOA37VPKANP", "us-west-1": "Z24FKFUX50B4VW",
	"us-west-2": "Z18D5FSROUN65G", "eu-west-1": "Z2IFOLAFXWLO4F", "eu-central-1": "Z3F0SRJ5LGBH90",
	"ap-northeast-1": "Z31USIVHYNEOWT",
}

type elbLoadBalancersResult struct {
	LoadBalancers []elbLoadBalancer `xml:"LoadBalancers>member"`
	NextMarker    string            `xml:"NextMarker,omitempty"`
}

type elbLoadBalancer struct {
	LoadBalancerArn       string   `xml:"LoadBalancerArn"`
	DNSName               string   `xml:"DNSName"`
	CanonicalHostedZoneID string   `xml:"CanonicalHostedZoneId"`
	CreatedTime           string   `xml:"CreatedTime"`
	LoadBalancerName      string   `xml:"LoadBalancerName"`
	Scheme                string   `xml:"Scheme"`
	VpcID                 string   `xml:"VpcId"`
	State                 elbState `xml:"State"`
	Type                  string   `xml:"Type"`
	AvailabilityZones     []elbAZ  `xml:"AvailabilityZones>member"`
	IPAddressType         string   `xml:"IpAddressType"`
	SecurityGroups        []string `xml:"SecurityGroups>member,omitempty"`
	// EnforcePrivateLink is reported while the NLB has security groups.
	EnforcePrivateLink string `xml:"EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic,omitempty"`
}

type elbState struct {
	Code string `xml:"Code"`
}

type elbAZ struct {
	ZoneName string `xml:"ZoneName"`
	SubnetID string `xml:"SubnetId"`
}

// elbValidation is ELBv2's error for a malformed request.
func elbValidation(format string, args ...any) *APIError {
	return Errorf(http.StatusBadRequest, "ValidationError", format, args...)
}

// elbPage cuts a Marker/PageSize page out of sorted keys. ELBv2 pages hold
// up to 400 items; without PageSize they hold them all.
func elbPage(p Params, keys []string) (out []string, next string, err error) {
	m := p.Get("Marker")
	start, ok := pageStart(m, keys)
	if !ok {
		return nil, "", elbValidation("Invalid marker '%s'", m)
	}
	size, sized, perr := p.Int("PageSize")
	if perr != nil {
		return nil, "", elbValidation("1 validation error detected: Value '%s' at 'pageSize' failed to satisfy constraint: Member must be a number", p.Get("PageSize"))
	}
	if !sized {
		size = 400
	}
	if size < 1 || size > 400 {
		return nil, "", elbValidation("1 validation error detected: Value '%d' at 'pageSize' failed to satisfy constraint: Member must have value between 1 and 400", size)
	}
	end := min(start+size, len(keys))
	out = keys[start:end]
	if end < len(keys) {
		next = pageToken(keys[end-1])
	}
	return out, next, nil
}

func elbDescribeLoadBalancers(c *call) (any, error) {
	arns := c.Params.List("LoadBalancerArns", true)
	names := c.Params.List("Names", true)
	if len(arns) > 0 && len(names) > 0 {
		return nil, elbValidation("Load balancer names and load balancer ARNs cannot be specified at the same time")
	}
	var keys []string
	switch {
	case len(arns) > 0:
		for _, arn := range arns {
			if !strings.HasPrefix(arn, "arn:aws:elasticloadbalancing:") || !strings.Contains(arn, ":loadbalancer/") {
				return nil, elbValidation("'%s' is not a valid load balancer ARN", arn)
			}
			lb := c.w.LoadBalancers[arn]
			if lb == nil || !c.ownsARN(lb.Owner, lb.ARN) || !c.Visible(lb.CreatedAt) {
				return nil, Errorf(http.StatusBadRequest, "LoadBalancerNotFound", "One or more load balancers not found")
			}
			if !slices.Contains(keys, arn) {
				keys = append(keys, arn)
			}
		}
	case len(names) > 0:
		var missing []string
		for _, name := range names {
			found := false
			for _, arn := range SortedKeys(c.w.LoadBalancers) {
				lb := c.w.LoadBalancers[arn]
				if lb.Name == name && c.ownsARN(lb.Owner, lb.ARN) && c.Visible(lb.CreatedAt) {
					found = true
					if !slices.Contains(keys, arn) {
						keys = append(keys, arn)
					}
				}
			}
			if !found {
				missing = append(missing, name)
			}
		}
		if len(missing) > 0 {
			return nil, Errorf(http.StatusBadRequest, "LoadBalancerNotFound", "Load balancers '[%s]' not found", strings.Join(missing, ", "))
		}
	default:
		for _, arn := range SortedKeys(c.w.LoadBalancers) {
			lb := c.w.LoadBalancers[arn]
			if c.ownsARN(lb.Owner, lb.ARN) && c.Visible(lb.CreatedAt) {
				keys = append(keys, arn)
			}
		}
	}
	sort.Strings(keys)
	pageKeys, next, err := elbPage(c.Params, keys)
	if err != nil {
		return nil, err
	}
	res := elbLoadBalancersResult{LoadBalancers: []elbLoadBalancer{}, NextMarker: next}
	for _, arn := range pageKeys {
		res.LoadBalancers = append(res.LoadBalancers, c.elbLoadBalancer(c.w.LoadBalancers[arn]))
	}
	return res, nil
}

// elbLoadBalancer renders a load balancer with its AZs in the caller's names.
func (c *call) elbLoadBalancer(lb *LoadBalancer) elbLoadBalancer {
	hz := nlbHostedZones[c.w.arnHome(lb.ARN)]
	if hz == "" {
		hz = nlbHostedZones["us-east-1"]
	}
	out := elbLoadBalancer{
		LoadBalancerArn:       lb.ARN,
		DNSName:               lb.DNSName,
		CanonicalHostedZoneID: hz,
		CreatedTime:           lb.CreatedAt.UTC().Format(elbTime),
		LoadBalancerName:      lb.Name,
		Scheme:                lb.Scheme,
		VpcID:                 lb.VPCID,
		State:                 elbState{Code: lb.State},
		Type:                  lb.Type,
		AvailabilityZones:     []elbAZ{},
		IPAddressType:         lb.ipType(),
	}
	for _, sid := range lb.SubnetIDs {
		az := elbAZ{SubnetID: sid}
		if sn := c.w.Subnets[sid]; sn != nil {
			az.ZoneName = c.Account.AZName(sn.AZID)
		}
		out.AvailabilityZones = append(out.AvailabilityZones, az)
	}
	if cfg := c.w.Diag.LBs[lb.ARN]; cfg != nil && len(cfg.SecurityGroupIDs) > 0 {
		out.SecurityGroups = cfg.SecurityGroupIDs
		out.EnforcePrivateLink = cfg.EnforcePrivateLink
	}
	return out
}

type elbListenersResult struct {
	Listeners  []elbListener `xml:"Listeners>member"`
	NextMarker string        `xml:"NextMarker,omitempty"`
}

type elbListener struct {
	ListenerArn     string           `xml:"ListenerArn"`
	LoadBalancerArn string           `xml:"LoadBalancerArn"`
	Port            int32            `xml:"Port"`
	Protocol        string           `xml:"Protocol"`
	Certificates    []elbCertificate `xml:"Certificates>member,omitempty"`
	SslPolicy       string           `xml:"SslPolicy,omitempty"`
	DefaultActions  []elbAction      `xml:"DefaultActions>member"`
}

type elbAction struct {
	Type           string `xml:"Type"`
	TargetGroupArn string `xml:"TargetGroupArn,omitempty"`
}

func elbDescribeListeners(c *call) (any, error) {
	lbARN := c.Params.Get("LoadBalancerArn")
	arns := c.Params.List("ListenerArns", true)
	if lbARN == "" && len(arns) == 0 {
		return nil, elbValidation("You must specify either listener ARNs or a load balancer ARN")
	}
	if lbARN != "" && len(arns) > 0 {
		return nil, elbValidation("Listener ARNs and a load balancer ARN cannot be specified at the same time")
	}
	var keys []string
	if lbARN != "" {
		if !strings.HasPrefix(lbARN, "arn:aws:elasticloadbalancing:") || !strings.Contains(lbARN, ":loadbalancer/") {
			return nil, elbValidation("'%s' is not a valid load balancer ARN", lbARN)
		}
		lb := c.w.LoadBalancers[lbARN]
		if lb == nil || !c.ownsARN(lb.Owner, lb.ARN) || !c.Visible(lb.CreatedAt) {
			return nil, Errorf(http.StatusBadRequest, "LoadBalancerNotFound", "One or more load balancers not found")
		}
		for _, arn := range SortedKeys(c.w.Listeners) {
			if c.w.Listeners[arn].LBARN == lbARN {
				keys = append(keys, arn)
			}
		}
	} else {
		for _, arn := range arns {
			if !strings.HasPrefix(arn, "arn:aws:elasticloadbalancing:") || !strings.Contains(arn, ":listener/") {
				return nil, elbValidation("'%s' is not a valid listener ARN", arn)
			}
			ln := c.w.Listeners[arn]
			lb := (*LoadBalancer)(nil)
			if ln != nil {
				lb = c.w.LoadBalancers[ln.LBARN]
			}
			if ln == nil || lb == nil || !c.ownsARN(lb.Owner, lb.ARN) {
				return nil, Errorf(http.StatusBadRequest, "ListenerNotFound", "One or more listeners not found")
			}
			if !slices.Contains(keys, arn) {
				keys = append(keys, arn)
			}
		}
		sort.Strings(keys)
	}
	pageKeys, next, err := elbPage(c.Params, keys)
	if err != nil {
		return nil, err
	}
	res := elbListenersResult{Listeners: []elbListener{}, NextMarker: next}
	for _, arn := range pageKeys {
		ln := c.w.Listeners[arn]
		x := elbListener{ListenerArn: ln.ARN, LoadBalancerArn: ln.LBARN, Port: ln.Port, Protocol: ln.Protocol}
		tg := targetGroupARN(ln)
		if lc := c.w.Diag.Listeners[ln.ARN]; lc != nil {
			tg = lc.TargetGroupARN
			if len(lc.CertificateARNs) > 0 {
				// DescribeListeners shows the default certificate only.
				x.Certificates = []elbCertificate{{CertificateArn: lc.CertificateARNs[0]}}
				x.SslPolicy = lc.SSLPolicy
			}
		}
		x.DefaultActions = []elbAction{{Type: "forward", TargetGroupArn: tg}}
		res.Listeners = append(res.Listeners, x)
	}
	return res, nil
}

// targetGroupARN names the target group a listener forwards to, in AWS's
// shape (arn:...:targetgroup/<name>/<16 hex>), from the listener's ARN
// (arn:...:listener/net/<lb name>/<lb id>/<listener id>).
func targetGroupARN(ln *Listener) string {
	head, tail, ok := strings.Cut(ln.ARN, ":listener/")
	parts := strings.Split(tail, "/")
	if !ok || len(parts) != 4 {
		return ""
	}
	return head + ":targetgroup/" + parts[1] + "-tg/" + parts[3]
}
