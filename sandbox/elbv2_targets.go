package sandbox

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// elbv2TargetHandlers serve target groups, target health, attributes,
// security groups and listener certificates.
func elbv2TargetHandlers() map[string]queryHandler {
	return map[string]queryHandler{
		"DescribeTargetGroups":           elbDescribeTargetGroups,
		"DescribeTargetHealth":           elbDescribeTargetHealth,
		"RegisterTargets":                elbRegisterTargets,
		"DeregisterTargets":              elbDeregisterTargets,
		"DescribeLoadBalancerAttributes": elbDescribeLBAttributes,
		"ModifyLoadBalancerAttributes":   elbModifyLBAttributes,
		"DescribeTargetGroupAttributes":  elbDescribeTGAttributes,
		"ModifyTargetGroupAttributes":    elbModifyTGAttributes,
		"SetSecurityGroups":              elbSetSecurityGroups,
		"DescribeListenerCertificates":   elbDescribeListenerCertificates,
	}
}

func errTGNotFound() *APIError {
	return Errorf(http.StatusBadRequest, "TargetGroupNotFound", "One or more target groups not found")
}

func errLBNotFound() *APIError {
	return Errorf(http.StatusBadRequest, "LoadBalancerNotFound", "One or more load balancers not found")
}

// ownLB finds a load balancer of the caller by ARN.
func (c *call) ownLB(arn string) (*LoadBalancer, *APIError) {
	if arn == "" {
		return nil, elbValidation("A load balancer ARN must be specified")
	}
	if !strings.HasPrefix(arn, "arn:aws:elasticloadbalancing:") || !strings.Contains(arn, ":loadbalancer/") {
		return nil, elbValidation("'%s' is not a valid load balancer ARN", arn)
	}
	lb := c.w.LoadBalancers[arn]
	if lb == nil || !c.ownsARN(lb.Owner, lb.ARN) {
		return nil, errLBNotFound()
	}
	return lb, nil
}

// ownTG finds a target group of the caller by ARN.
func (c *call) ownTG(arn string) (*TargetGroup, *APIError) {
	if arn == "" {
		return nil, elbValidation("A target group ARN must be specified")
	}
	if !strings.HasPrefix(arn, "arn:aws:elasticloadbalancing:") || !strings.Contains(arn, ":targetgroup/") {
		return nil, elbValidation("'%s' is not a valid target group ARN", arn)
	}
	tg := c.w.Diag.TargetGroups[arn]
	if tg == nil || !c.ownsARN(tg.Owner, tg.ARN) {
		return nil, errTGNotFound()
	}
	return tg, nil
}

// ---- target groups ----

type elbTargetGroupsResult struct {
	TargetGroups []elbTargetGroup `xml:"TargetGroups>member"`
	NextMarker   string           `xml:"NextMarker,omitempty"`
}

type elbTargetGroup struct {
	TargetGroupArn             string   `xml:"TargetGroupArn"`
	TargetGroupName            string   `xml:"TargetGroupName"`
	Protocol                   string   `xml:"Protocol"`
	Port                       int32    `xml:"Port"`
	VpcID                      string   `xml:"VpcId"`
	HealthCheckProtocol        string   `xml:"HealthCheckProtocol"`
	HealthCheckPort            string   `xml:"HealthCheckPort"`
	HealthCheckEnabled         bool     `xml:"HealthCheckEnabled"`
	HealthCheckIntervalSeconds int32    `xml:"HealthCheckIntervalSeconds"`
	HealthCheckTimeoutSeconds  int32    `xml:"HealthCheckTimeoutSeconds"`
	HealthyThresholdCount      int32    `xml:"HealthyThresholdCount"`
	UnhealthyThresholdCount    int32    `xml:"UnhealthyThresholdCount"`
	LoadBalancerArns           []string `xml:"LoadBalancerArns>member"`
	TargetType                 string   `xml:"TargetType"`
	IPAddressType              string   `xml:"IpAddressType"`
}

func elbDescribeTargetGroups(c *call) (any, error) {
	lbARN := c.Params.Get("LoadBalancerArn")
	arns := c.Params.List("TargetGroupArns", true)
	names := c.Params.List("Names", true)
	n := 0
	for _, set := range []bool{lbARN != "", len(arns) > 0, len(names) > 0} {
		if set {
			n++
		}
	}
	if n > 1 {
		return nil, elbValidation("Target group ARNs, target group names and a load balancer ARN cannot be specified at the same time")
	}
	var keys []string
	switch {
	case lbARN != "":
		lb, err := c.ownLB(lbARN)
		if err != nil {
			return nil, err
		}
		for _, arn := range SortedKeys(c.w.Diag.TargetGroups) {
			if slices.Contains(c.w.lbsOf(c.w.Diag.TargetGroups[arn]), lb) {
				keys = append(keys, arn)
			}
		}
	case len(arns) > 0:
		for _, arn := range arns {
			if _, err := c.ownTG(arn); err != nil {
				return nil, err
			}
			if !slices.Contains(keys, arn) {
				keys = append(keys, arn)
			}
		}
	case len(names) > 0:
		var missing []string
		for _, name := range names {
			found := false
			for _, arn := range SortedKeys(c.w.Diag.TargetGroups) {
				if tg := c.w.Diag.TargetGroups[arn]; tg.Name == name && c.ownsARN(tg.Owner, tg.ARN) {
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
			return nil, Errorf(http.StatusBadRequest, "TargetGroupNotFound", "Target groups '[%s]' not found", strings.Join(missing, ", "))
		}
	default:
		for _, arn := range SortedKeys(c.w.Diag.TargetGroups) {
			if tg := c.w.Diag.TargetGroups[arn]; c.ownsARN(tg.Owner, tg.ARN) {
				keys = append(keys, arn)
			}
		}
	}
	slices.Sort(keys)
	pageKeys, next, err := elbPage(c.Params, keys)
	if err != nil {
		return nil, err
	}
	res := elbTargetGroupsResult{TargetGroups: []elbTargetGroup{}, NextMarker: next}
	for _, arn := range pageKeys {
		tg := c.w.Diag.TargetGroups[arn]
		x := elbTargetGroup{
			TargetGroupArn: tg.ARN, TargetGroupName: tg.Name, Protocol: tg.Protocol, Port: tg.Port, VpcID: tg.VPCID,
			HealthCheckProtocol: "TCP", HealthCheckPort: "traffic-port", HealthCheckEnabled: true,
			HealthCheckIntervalSeconds: 30, HealthCheckTimeoutSeconds: 10, HealthyThresholdCount: 5, UnhealthyThresholdCount: 2,
			LoadBalancerArns: []string{}, TargetType: tg.TargetType, IPAddressType: "ipv4",
		}
		for _, lb := range c.w.lbsOf(tg) {
			x.LoadBalancerArns = append(x.LoadBalancerArns, lb.ARN)
		}
		res.TargetGroups = append(res.TargetGroups, x)
	}
	return res, nil
}

// ---- target health ----

type elbTargetHealthResult struct {
	TargetHealthDescriptions []elbTargetHealthDescription `xml:"TargetHealthDescriptions>member"`
}

type elbTargetHealthDescription struct {
	Target          elbTarget       `xml:"Target"`
	HealthCheckPort string          `xml:"HealthCheckPort,omitempty"`
	TargetHealth    elbTargetHealth `xml:"TargetHealth"`
}

type elbTarget struct {
	ID               string `xml:"Id"`
	Port             int32  `xml:"Port,omitempty"`
	AvailabilityZone string `xml:"AvailabilityZone,omitempty"`
}

type elbTargetHealth struct {
	State       string `xml:"State"`
	Reason      string `xml:"Reason,omitempty"`
	Description string `xml:"Description,omitempty"`
}

// targetParam is one Targets.member.N of a request.
type targetParam struct {
	id   string
	port int32 // 0: the target group's port
}

func targetParams(c *call) ([]targetParam, *APIError) {
	var out []targetParam
	for _, i := range c.Params.Indexes("Targets.member") {
		base := fmt.Sprintf("Targets.member.%d.", i)
		t := targetParam{id: c.Params.Get(base + "Id")}
		if t.id == "" {
			return nil, elbValidation("A target ID must be specified")
		}
		if ps := c.Params.Get(base + "Port"); ps != "" {
			p, err := strconv.Atoi(ps)
			if err != nil || p < 1 || p > 65535 {
				return nil, elbValidation("1 validation error detected: Value '%s' at 'targets.%d.member.port' failed to satisfy constraint: Member must have value between 1 and 65535", ps, i)
			}
			t.port = int32(p)
		}
		out = append(out, t)
	}
	return out, nil
}

func elbDescribeTargetHealth(c *call) (any, error) {
	tg, err := c.ownTG(c.Params.Get("TargetGroupArn"))
	if err != nil {
		return nil, err
	}
	asked, err := targetParams(c)
	if err != nil {
		return nil, err
	}
	res := elbTargetHealthResult{TargetHealthDescriptions: []elbTargetHealthDescription{}}
	describe := func(t *Target) {
		st := c.w.targetHealth(tg, t, c.Now, c.Delays())
		res.TargetHealthDescriptions = append(res.TargetHealthDescriptions, elbTargetHealthDescription{
			Target:          elbTarget{ID: t.ID, Port: t.Port},
			HealthCheckPort: strconv.Itoa(int(t.Port)),
			TargetHealth:    elbTargetHealth(st),
		})
	}
	if len(asked) == 0 {
		for _, t := range tg.Targets {
			describe(t)
		}
		return res, nil
	}
	var invalid []string
	for _, a := range asked {
		if in := c.w.Diag.Instances[a.id]; in == nil || !c.ownsInVPC(in.Owner, in.VPCID) {
			invalid = append(invalid, a.id)
		}
	}
	if len(invalid) > 0 {
		return nil, Errorf(http.StatusBadRequest, "InvalidTarget", "The following targets are not valid instances: '%s'", strings.Join(invalid, "', '"))
	}
	for _, a := range asked {
		port := a.port
		found := false
		for _, t := range tg.Targets {
			if t.ID == a.id && (port == 0 || t.Port == port) {
				describe(t)
				found = true
			}
		}
		if !found {
			if port == 0 {
				port = tg.Port
			}
			res.TargetHealthDescriptions = append(res.TargetHealthDescriptions, elbTargetHealthDescription{
				Target:       elbTarget{ID: a.id, Port: port},
				TargetHealth: elbTargetHealth(stateNotRegistered),
			})
		}
	}
	return res, nil
}

type elbEmpty struct{}

// targetsCall is the own target group and the targets a Register or
// DeregisterTargets call names (at least one).
func targetsCall(c *call) (*TargetGroup, []targetParam, *APIError) {
	tg, err := c.ownTG(c.Params.Get("TargetGroupArn"))
	if err != nil {
		return nil, nil, err
	}
	asked, err := targetParams(c)
	if err != nil {
		return nil, nil, err
	}
	if len(asked) == 0 {
		return nil, nil, elbValidation("Targets must be specified")
	}
	return tg, asked, nil
}

func elbRegisterTargets(c *call) (any, error) {
	tg, asked, err := targetsCall(c)
	if err != nil {
		return nil, err
	}
	var invalid, stopped, otherVPC []string
	for _, a := range asked {
		inst := c.w.Diag.Instances[a.id]
		switch {
		case inst == nil || !c.ownsInVPC(inst.Owner, inst.VPCID) || inst.State == InstanceTerminated:
			invalid = append(invalid, a.id)
		case inst.VPCID != tg.VPCID:
			otherVPC = append(otherVPC, a.id)
		case inst.State != InstanceRunning:
			stopped = append(stopped, a.id)
		}
	}
	switch {
	case len(invalid) > 0:
		return nil, Errorf(http.StatusBadRequest, "InvalidTarget", "The following targets are not valid instances: '%s'", strings.Join(invalid, "', '"))
	case len(otherVPC) > 0:
		return nil, Errorf(http.StatusBadRequest, "InvalidTarget", "The following targets are not in the target group VPC '%s': '%s'", tg.VPCID, strings.Join(otherVPC, "', '"))
	case len(stopped) > 0:
		return nil, Errorf(http.StatusBadRequest, "InvalidTarget", "The following targets are not in a running state and cannot be registered: '%s'", strings.Join(stopped, "', '"))
	}
	for _, a := range asked {
		port := a.port
		if port == 0 {
			port = tg.Port
		}
		var existing *Target
		for _, t := range tg.Targets {
			if t.ID == a.id && t.Port == port {
				existing = t
			}
		}
		switch {
		case existing == nil:
			tg.Targets = append(tg.Targets, &Target{ID: a.id, Port: port, RegisteredAt: c.Now})
			c.w.note(c.Now, tg.Owner, tg.ARN+"/"+a.id, "", "registered")
		case !existing.DeregisteredAt.IsZero():
			c.w.note(c.Now, tg.Owner, tg.ARN+"/"+a.id, "draining", "registered")
			// Registering a draining target again starts it over.
			existing.DeregisteredAt = time.Time{}
			existing.RegisteredAt = c.Now
		}
	}
	return elbEmpty{}, nil
}

func elbDeregisterTargets(c *call) (any, error) {
	tg, asked, err := targetsCall(c)
	if err != nil {
		return nil, err
	}
	var missing []string
	for _, a := range asked {
		found := false
		for _, t := range tg.Targets {
			if t.ID == a.id && (a.port == 0 || t.Port == a.port) {
				found = true
			}
		}
		if !found {
			missing = append(missing, a.id)
		}
	}
	if len(missing) > 0 {
		return nil, Errorf(http.StatusBadRequest, "InvalidTarget", "The following targets are not registered in target group '%s': '%s'", tg.Name, strings.Join(missing, "', '"))
	}
	for _, a := range asked {
		for _, t := range tg.Targets {
			if t.ID == a.id && (a.port == 0 || t.Port == a.port) && t.DeregisteredAt.IsZero() {
				t.DeregisteredAt = c.Now
				c.w.note(c.Now, tg.Owner, tg.ARN+"/"+t.ID, "registered", "draining")
			}
		}
	}
	// A zero deregistration delay removes the targets at once.
	advanceDiag(c.w, c.Now, c.Delays())
	return elbEmpty{}, nil
}

// ---- attributes ----

type elbAttributesResult struct {
	Attributes []elbAttribute `xml:"Attributes>member"`
}

type elbAttribute struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

func attributesXML(m map[string]string) elbAttributesResult {
	res := elbAttributesResult{Attributes: []elbAttribute{}}
	for _, k := range SortedKeys(m) {
		res.Attributes = append(res.Attributes, elbAttribute{Key: k, Value: m[k]})
	}
	return res
}

// attributeParams decodes Attributes.member.N.Key / .Value.
func attributeParams(c *call) ([]elbAttribute, *APIError) {
	var out []elbAttribute
	for _, i := range c.Params.Indexes("Attributes.member") {
		base := fmt.Sprintf("Attributes.member.%d.", i)
		out = append(out, elbAttribute{Key: c.Params.Get(base + "Key"), Value: c.Params.Get(base + "Value")})
	}
	if len(out) == 0 {
		return nil, elbValidation("Attributes must be specified")
	}
	return out, nil
}

// checkAttr validates an attribute's value against the allowed ones.
func checkAttr(kind, key, value string, allowed ...string) *APIError {
	if !slices.Contains(allowed, value) {
		return Errorf(http.StatusBadRequest, "InvalidConfigurationRequest", "%s attribute value '%s' is not valid for key '%s'; valid values: %s",
			kind, value, key, strings.Join(allowed, ", "))
	}
	return nil
}

func elbDescribeLBAttributes(c *call) (any, error) {
	lb, err := c.ownLB(c.Params.Get("LoadBalancerArn"))
	if err != nil {
		return nil, err
	}
	return attributesXML(c.w.Diag.LBs[lb.ARN].Attributes), nil
}

func elbModifyLBAttributes(c *call) (any, error) {
	lb, err := c.ownLB(c.Params.Get("LoadBalancerArn"))
	if err != nil {
		return nil, err
	}
	attrs, err := attributeParams(c)
	if err != nil {
		return nil, err
	}
	cfg := c.w.Diag.LBs[lb.ARN]
	for _, a := range attrs {
		if _, known := cfg.Attributes[a.Key]; !known {
			return nil, elbValidation("Load balancer attribute key '%s' is not recognized", a.Key)
		}
		if strings.HasSuffix(a.Key, ".enabled") || a.Key == "ipv6.deny_all_igw_traffic" {
			if err := checkAttr("Load balancer", a.Key, a.Value, "true", "false"); err != nil {
				return nil, err
			}
		}
	}
	for _, a := range attrs {
		cfg.Attributes[a.Key] = a.Value
	}
	return attributesXML(cfg.Attributes), nil
}

func elbDescribeTGAttributes(c *call) (any, error) {
	tg, err := c.ownTG(c.Params.Get("TargetGroupArn"))
	if err != nil {
		return nil, err
	}
	return attributesXML(tg.Attributes), nil
}

func elbModifyTGAttributes(c *call) (any, error) {
	tg, err := c.ownTG(c.Params.Get("TargetGroupArn"))
	if err != nil {
		return nil, err
	}
	attrs, err := attributeParams(c)
	if err != nil {
		return nil, err
	}
	for _, a := range attrs {
		if _, known := tg.Attributes[a.Key]; !known {
			return nil, elbValidation("Target group attribute key '%s' is not recognized", a.Key)
		}
		var aerr *APIError
		switch {
		case a.Key == "load_balancing.cross_zone.enabled":
			aerr = checkAttr("Target group", a.Key, a.Value, "true", "false", "use_load_balancer_configuration")
		case a.Key == "deregistration_delay.timeout_seconds":
			if n, perr := strconv.Atoi(a.Value); perr != nil || n < 0 || n > 3600 {
				aerr = Errorf(http.StatusBadRequest, "InvalidConfigurationRequest", "Target group attribute value '%s' for key '%s' must be an integer between 0 and 3600", a.Value, a.Key)
			}
		case strings.HasSuffix(a.Key, ".enabled"):
			aerr = checkAttr("Target group", a.Key, a.Value, "true", "false")
		}
		if aerr != nil {
			return nil, aerr
		}
	}
	for _, a := range attrs {
		tg.Attributes[a.Key] = a.Value
	}
	return attributesXML(tg.Attributes), nil
}

// ---- security groups ----

type elbSetSecurityGroupsResult struct {
	SecurityGroupIDs   []string `xml:"SecurityGroupIds>member"`
	EnforcePrivateLink string   `xml:"EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic,omitempty"`
}

func elbSetSecurityGroups(c *call) (any, error) {
	lb, err := c.ownLB(c.Params.Get("LoadBalancerArn"))
	if err != nil {
		return nil, err
	}
	cfg := c.w.Diag.LBs[lb.ARN]
	groups := c.Params.List("SecurityGroups", true)
	enforce := c.Params.Get("EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic")
	if enforce != "" && enforce != "on" && enforce != "off" {
		return nil, elbValidation("1 validation error detected: Value '%s' at 'enforceSecurityGroupInboundRulesOnPrivateLinkTraffic' failed to satisfy constraint: Member must satisfy enum value set: [off, on]", enforce)
	}
	if lb.Type == "network" && len(cfg.SecurityGroupIDs) == 0 {
		return nil, Errorf(http.StatusBadRequest, "InvalidConfigurationRequest", "You cannot set security groups on a Network Load Balancer which was created without any security groups.")
	}
	if lb.Type == "network" && len(groups) == 0 {
		return nil, Errorf(http.StatusBadRequest, "InvalidConfigurationRequest", "You cannot remove all security groups from a Network Load Balancer which was created with security groups.")
	}
	if len(groups) > 5 {
		return nil, Errorf(http.StatusBadRequest, "InvalidConfigurationRequest", "A load balancer can have at most 5 security groups")
	}
	for _, g := range groups {
		sg := c.w.SecurityGroups[g]
		if sg == nil || !c.ownsInVPC(sg.Owner, sg.VPCID) || sg.VPCID != lb.VPCID {
			return nil, Errorf(http.StatusBadRequest, "InvalidSecurityGroup", "Security group '%s' does not exist in VPC '%s'", g, lb.VPCID)
		}
	}
	cfg.SecurityGroupIDs = slices.Compact(slices.Clone(groups))
	if enforce != "" {
		cfg.EnforcePrivateLink = enforce
	} else if cfg.EnforcePrivateLink == "" {
		cfg.EnforcePrivateLink = "on"
	}
	return elbSetSecurityGroupsResult{SecurityGroupIDs: cfg.SecurityGroupIDs, EnforcePrivateLink: cfg.EnforcePrivateLink}, nil
}

// ---- listener certificates ----

type elbListenerCertificatesResult struct {
	Certificates []elbCertificate `xml:"Certificates>member"`
	NextMarker   string           `xml:"NextMarker,omitempty"`
}

type elbCertificate struct {
	CertificateArn string `xml:"CertificateArn"`
	IsDefault      *bool  `xml:"IsDefault,omitempty"`
}

func elbDescribeListenerCertificates(c *call) (any, error) {
	arn := c.Params.Get("ListenerArn")
	if arn == "" {
		return nil, elbValidation("A listener ARN must be specified")
	}
	if !strings.HasPrefix(arn, "arn:aws:elasticloadbalancing:") || !strings.Contains(arn, ":listener/") {
		return nil, elbValidation("'%s' is not a valid listener ARN", arn)
	}
	ln := c.w.Listeners[arn]
	var lb *LoadBalancer
	if ln != nil {
		lb = c.w.LoadBalancers[ln.LBARN]
	}
	if ln == nil || lb == nil || !c.ownsARN(lb.Owner, lb.ARN) {
		return nil, Errorf(http.StatusBadRequest, "ListenerNotFound", "One or more listeners not found")
	}
	var certs []string
	def := ""
	if lc := c.w.Diag.Listeners[arn]; lc != nil && len(lc.CertificateARNs) > 0 {
		certs = slices.Sorted(slices.Values(lc.CertificateARNs))
		def = lc.CertificateARNs[0]
	}
	page, next, err := elbPage(c.Params, certs)
	if err != nil {
		return nil, err
	}
	res := elbListenerCertificatesResult{Certificates: []elbCertificate{}, NextMarker: next}
	for _, a := range page {
		isDefault := a == def
		res.Certificates = append(res.Certificates, elbCertificate{CertificateArn: a, IsDefault: &isDefault})
	}
	return res, nil
}
