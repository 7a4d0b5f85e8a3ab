package sandbox

import (
	"fmt"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"time"
)

// InsightsPath is a Reachability Analyzer path.
type InsightsPath struct {
	ID          string    `json:"id"`
	Owner       string    `json:"owner"`
	Region      string    `json:"region,omitempty"` // "" is the home region
	Source      string    `json:"source"`           // instance or network interface ID
	Destination string    `json:"destination"`      // instance or network interface ID
	Protocol    string    `json:"protocol"`         // tcp | udp
	Port        int32     `json:"port,omitempty"`
	CreatedAt   time.Time `json:"createdAt"`
	Tags        []Tag     `json:"tags,omitempty"`
	ClientToken string    `json:"clientToken,omitempty"`
}

// Analysis is one run of a path; its verdict is computed when it starts
// and shown once it has run for the Analysis delay.
type Analysis struct {
	ID           string        `json:"id"`
	Owner        string        `json:"owner"`
	Region       string        `json:"region,omitempty"` // "" is the home region
	PathID       string        `json:"pathId"`
	StartedAt    time.Time     `json:"startedAt"`
	Failed       string        `json:"failed,omitempty"` // status message of an analysis that could not run
	PathFound    bool          `json:"pathFound"`
	Explanations []Explanation `json:"explanations,omitempty"`
	Forward      []PathHop     `json:"forward,omitempty"`
	Tags         []Tag         `json:"tags,omitempty"`
}

// Explanation is why a path is blocked, in the analyzer's terms.
type Explanation struct {
	Code             string   `json:"code"`      // ENI_SG_RULES_MISMATCH, ...
	Direction        string   `json:"direction"` // ingress | egress
	NetworkInterface string   `json:"networkInterface,omitempty"`
	SecurityGroups   []string `json:"securityGroups,omitempty"`
	VPC              string   `json:"vpc,omitempty"`
	Subnet           string   `json:"subnet,omitempty"`
	Port             int32    `json:"port,omitempty"`
}

// PathHop is one component of a found path.
type PathHop struct {
	ID        string `json:"id"`
	RuleGroup string `json:"ruleGroup,omitempty"` // the security group whose rule let it through
	RuleCIDR  string `json:"ruleCidr,omitempty"`
	RulePeer  string `json:"rulePeer,omitempty"` // referenced group
	Direction string `json:"direction,omitempty"`
}

func insightsHandlers() map[string]queryHandler {
	return map[string]queryHandler{
		"CreateNetworkInsightsPath":       createInsightsPath,
		"DescribeNetworkInsightsPaths":    describeInsightsPaths,
		"DeleteNetworkInsightsPath":       deleteInsightsPath,
		"StartNetworkInsightsAnalysis":    startInsightsAnalysis,
		"DescribeNetworkInsightsAnalyses": describeInsightsAnalyses,
		"DeleteNetworkInsightsAnalysis":   deleteInsightsAnalysis,
	}
}

// ---- XML shapes ----

type netComponent struct {
	ID   string `xml:"id"`
	Arn  string `xml:"arn,omitempty"`
	Name string `xml:"name,omitempty"`
}

type netInsightsPath struct {
	ID             string          `xml:"networkInsightsPathId"`
	Arn            string          `xml:"networkInsightsPathArn"`
	CreatedDate    string          `xml:"createdDate"`
	Source         string          `xml:"source"`
	Destination    string          `xml:"destination"`
	SourceArn      string          `xml:"sourceArn"`
	DestinationArn string          `xml:"destinationArn"`
	Protocol       string          `xml:"protocol"`
	DestinationPrt int32           `xml:"destinationPort,omitempty"`
	TagSet         *netSet[netTag] `xml:"tagSet"`
}

type netPortRange struct {
	From int32 `xml:"from"`
	To   int32 `xml:"to"`
}

type netExplanation struct {
	ExplanationCode  string                `xml:"explanationCode"`
	Direction        string                `xml:"direction,omitempty"`
	NetworkInterface *netComponent         `xml:"networkInterface,omitempty"`
	SecurityGroups   *netSet[netComponent] `xml:"securityGroupSet,omitempty"`
	Vpc              *netComponent         `xml:"vpc,omitempty"`
	Subnet           *netComponent         `xml:"subnet,omitempty"`
	Port             int32                 `xml:"port,omitempty"`
	Protocols        *netSet[string]       `xml:"protocolSet,omitempty"`
}

type netSGRuleDetail struct {
	Cidr            string        `xml:"cidr,omitempty"`
	Direction       string        `xml:"direction"`
	SecurityGroupID string        `xml:"securityGroupId"`
	PortRange       *netPortRange `xml:"portRange,omitempty"`
	Protocol        string        `xml:"protocol"`
}

type netPathComponent struct {
	SequenceNumber    int              `xml:"sequenceNumber"`
	Component         netComponent     `xml:"component"`
	SecurityGroupRule *netSGRuleDetail `xml:"securityGroupRule,omitempty"`
	Vpc               *netComponent    `xml:"vpc,omitempty"`
}

type netInsightsAnalysis struct {
	ID                    string                    `xml:"networkInsightsAnalysisId"`
	Arn                   string                    `xml:"networkInsightsAnalysisArn"`
	PathID                string                    `xml:"networkInsightsPathId"`
	StartDate             string                    `xml:"startDate"`
	Status                string                    `xml:"status"`
	StatusMessage         string                    `xml:"statusMessage,omitempty"`
	NetworkPathFound      *bool                     `xml:"networkPathFound,omitempty"`
	ForwardPathComponents *netSet[netPathComponent] `xml:"forwardPathComponentSet,omitempty"`
	Explanations          *netSet[netExplanation]   `xml:"explanationSet,omitempty"`
	TagSet                *netSet[netTag]           `xml:"tagSet"`
}

type netPathResult struct {
	Path netInsightsPath `xml:"networkInsightsPath"`
}

type netAnalysisResult struct {
	A netInsightsAnalysis `xml:"networkInsightsAnalysis"`
}

type netDeletedPath struct {
	ID string `xml:"networkInsightsPathId"`
}

type netDeletedAnalysis struct {
	ID string `xml:"networkInsightsAnalysisId"`
}

func (c *call) arn(kind, id string) string {
	return fmt.Sprintf("arn:aws:ec2:%s:%s:%s/%s", c.Region, c.Account.ID, kind, id)
}

func (c *call) pathXML(p *InsightsPath) netInsightsPath {
	kind := func(id string) string {
		if strings.HasPrefix(id, "i-") {
			return "instance"
		}
		return "network-interface"
	}
	return netInsightsPath{
		ID: p.ID, Arn: c.arn("network-insights-path", p.ID), CreatedDate: p.CreatedAt.UTC().Format(elbTime),
		Source: p.Source, Destination: p.Destination, SourceArn: c.arn(kind(p.Source), p.Source),
		DestinationArn: c.arn(kind(p.Destination), p.Destination), Protocol: p.Protocol, DestinationPrt: p.Port,
		TagSet: netTags(p.Tags),
	}
}

// ---- paths ----

// endpointOf resolves a path end (instance or network interface of the
// caller) to its network interface.
func (c *call) endpointOf(id, param string) (*ENI, *APIError) {
	switch {
	case strings.HasPrefix(id, "i-"):
		in := c.w.Diag.Instances[id]
		if in == nil || !c.ownsInVPC(in.Owner, in.VPCID) {
			return nil, errInstanceNotFound(id)
		}
		if in.State == InstanceTerminated || c.w.eni(in.ENIID) == nil {
			return nil, errInvalidParameterValue("The %s %s has no network interface", param, id)
		}
		return c.w.eni(in.ENIID), nil
	case strings.HasPrefix(id, "eni-"):
		e := c.w.eni(id)
		if e == nil || !c.ownsInVPC(e.Owner, e.VPCID) {
			return nil, errENINotFound(id)
		}
		return e, nil
	case id == "":
		return nil, errMissingParameter(param)
	}
	return nil, errInvalidParameterValue("The %s %s is not an instance or a network interface; the sandbox's analyzer takes those", param, id)
}

func createInsightsPath(c *call) (any, error) {
	src, dst := c.Params.Get("Source"), c.Params.Get("Destination")
	if _, err := c.endpointOf(src, "Source"); err != nil {
		return nil, err
	}
	if _, err := c.endpointOf(dst, "Destination"); err != nil {
		return nil, err
	}
	proto := strings.ToLower(c.Params.Get("Protocol"))
	if proto == "" {
		return nil, errMissingParameter("Protocol")
	}
	if proto != "tcp" && proto != "udp" {
		return nil, errInvalidParameterValue("Value (%s) for parameter protocol is invalid. Valid values: tcp, udp", c.Params.Get("Protocol"))
	}
	port, hasPort, err := c.Params.Int("DestinationPort")
	if err != nil {
		return nil, err
	}
	if hasPort && (port < 1 || port > 65535) {
		return nil, errInvalidParameterValue("Value (%d) for parameter destinationPort is invalid. Valid range: 1-65535", port)
	}
	tags := c.Params.TagSpecs("network-insights-path")
	if err := checkTags(tags); err != nil {
		return nil, err
	}
	token := c.Params.Get("ClientToken")
	if token != "" {
		for _, id := range SortedKeys(c.w.Diag.Paths) {
			if p := c.w.Diag.Paths[id]; c.owns(p.Owner, p.Region) && p.ClientToken == token {
				return netPathResult{Path: c.pathXML(p)}, nil
			}
		}
	}
	if err := dryRun(c); err != nil {
		return nil, err
	}
	p := &InsightsPath{ID: c.w.NewID("nip-"), Owner: c.Account.ID, Region: c.Region, Source: src, Destination: dst,
		Protocol: proto, Port: int32(port), CreatedAt: c.Now, Tags: tags, ClientToken: token}
	c.w.Diag.Paths[p.ID] = p
	return netPathResult{Path: c.pathXML(p)}, nil
}

type netPathsResult struct {
	Paths     netSet[netInsightsPath] `xml:"networkInsightsPathSet"`
	NextToken string                  `xml:"nextToken,omitempty"`
}

func errPathNotFound(id string) *APIError {
	return Errorf(http.StatusBadRequest, "InvalidNetworkInsightsPathId.NotFound", "The network insights path ID '%s' does not exist", id)
}

func errAnalysisNotFound(id string) *APIError {
	return Errorf(http.StatusBadRequest, "InvalidNetworkInsightsAnalysisId.NotFound", "The network insights analysis ID '%s' does not exist", id)
}

func describeInsightsPaths(c *call) (any, error) {
	fs := c.Params.Filters()
	if err := checkFilters(fs, "destination", "destination-port", "protocol", "source"); err != nil {
		return nil, err
	}
	ids := c.Params.List("NetworkInsightsPathId", false)
	for _, id := range ids {
		if p := c.w.Diag.Paths[id]; p == nil || !c.owns(p.Owner, p.Region) {
			return nil, errPathNotFound(id)
		}
	}
	var keys []string
	for _, id := range SortedKeys(c.w.Diag.Paths) {
		p := c.w.Diag.Paths[id]
		if !c.owns(p.Owner, p.Region) || (len(ids) > 0 && !slices.Contains(ids, id)) {
			continue
		}
		if matchFilters(fs, p.Tags, map[string][]string{"destination": {p.Destination}, "source": {p.Source},
			"protocol": {p.Protocol}, "destination-port": {fmt.Sprint(p.Port)}}) {
			keys = append(keys, id)
		}
	}
	pageIDs, next, err := page(c.Params, keys, 1, 100)
	if err != nil {
		return nil, err
	}
	res := netPathsResult{Paths: netSet[netInsightsPath]{Items: []netInsightsPath{}}, NextToken: next}
	for _, id := range pageIDs {
		res.Paths.Items = append(res.Paths.Items, c.pathXML(c.w.Diag.Paths[id]))
	}
	return res, nil
}

func deleteInsightsPath(c *call) (any, error) {
	id := c.Params.Get("NetworkInsightsPathId")
	if id == "" {
		return nil, errMissingParameter("NetworkInsightsPathId")
	}
	p := c.w.Diag.Paths[id]
	if p == nil || !c.owns(p.Owner, p.Region) {
		return nil, errPathNotFound(id)
	}
	for _, aid := range SortedKeys(c.w.Diag.Analyses) {
		if c.w.Diag.Analyses[aid].PathID == id {
			return nil, Errorf(http.StatusBadRequest, "DependencyViolation", "The network insights path %s has analyses (%s); delete them first", id, aid)
		}
	}
	if err := dryRun(c); err != nil {
		return nil, err
	}
	delete(c.w.Diag.Paths, id)
	return netDeletedPath{ID: id}, nil
}

// ---- analyses ----

func startInsightsAnalysis(c *call) (any, error) {
	id := c.Params.Get("NetworkInsightsPathId")
	if id == "" {
		return nil, errMissingParameter("NetworkInsightsPathId")
	}
	p := c.w.Diag.Paths[id]
	if p == nil || !c.owns(p.Owner, p.Region) {
		return nil, errPathNotFound(id)
	}
	tags := c.Params.TagSpecs("network-insights-analysis")
	if err := checkTags(tags); err != nil {
		return nil, err
	}
	if err := dryRun(c); err != nil {
		return nil, err
	}
	a := &Analysis{ID: c.w.NewID("nia-"), Owner: c.Account.ID, Region: c.Region, PathID: id, StartedAt: c.Now, Tags: tags}
	c.analyze(p, a)
	c.w.Diag.Analyses[a.ID] = a
	return netAnalysisResult{A: c.analysisXML(a)}, nil
}

// analyze evaluates the path's security groups: the source's egress to
// the destination's address, then the destination's ingress from the
// source's address (or groups). Network ACLs and route tables are the
// VPC's defaults in the sandbox (allow all, local route), so they never
// block; different VPCs have no route between them.
func (c *call) analyze(p *InsightsPath, a *Analysis) {
	src, err1 := c.endpointOf(p.Source, "Source")
	dst, err2 := c.endpointOf(p.Destination, "Destination")
	if err1 != nil || err2 != nil {
		a.Failed = "The source or destination of the path no longer exists"
		return
	}
	srcIP, e1 := netip.ParseAddr(src.PrivateIP)
	dstIP, e2 := netip.ParseAddr(dst.PrivateIP)
	if e1 != nil || e2 != nil {
		a.Failed = "The source or destination has no private IPv4 address"
		return
	}
	if src.VPCID != dst.VPCID {
		a.Explanations = append(a.Explanations, Explanation{Code: "NO_ROUTE_TO_DESTINATION", Direction: "egress", VPC: src.VPCID, Subnet: src.SubnetID, NetworkInterface: src.ID})
		return
	}
	port := p.Port
	if port == 0 {
		port = 1 // "any port": the analyzer looks for some port that passes
	}
	ruleFor := func(groups []string, egress bool, peer netip.Addr, peerGroups []string) (PathHop, bool) {
		for _, g := range groups {
			sg := c.w.SecurityGroups[g]
			if sg == nil {
				continue
			}
			rules := sg.Ingress
			if egress {
				rules = sg.Egress
			}
			if ok, ruleID := c.w.sgAllows(rules, port, peer, peerGroups); ok {
				hop := PathHop{ID: g, RuleGroup: g}
				for _, r := range rules {
					if r.RuleID == ruleID {
						if len(r.CIDRs) > 0 {
							hop.RuleCIDR = r.CIDRs[0]
						} else if len(r.GroupIDs) > 0 {
							hop.RulePeer = r.GroupIDs[0]
						}
					}
				}
				return hop, true
			}
		}
		return PathHop{}, false
	}
	out, okOut := ruleFor(src.SecurityGroupIDs, true, dstIP, dst.SecurityGroupIDs)
	if !okOut {
		a.Explanations = append(a.Explanations, Explanation{Code: "ENI_SG_RULES_MISMATCH", Direction: "egress",
			NetworkInterface: src.ID, SecurityGroups: slices.Clone(src.SecurityGroupIDs), VPC: src.VPCID, Subnet: src.SubnetID, Port: p.Port})
	}
	in, okIn := ruleFor(dst.SecurityGroupIDs, false, srcIP, src.SecurityGroupIDs)
	if !okIn {
		a.Explanations = append(a.Explanations, Explanation{Code: "ENI_SG_RULES_MISMATCH", Direction: "ingress",
			NetworkInterface: dst.ID, SecurityGroups: slices.Clone(dst.SecurityGroupIDs), VPC: dst.VPCID, Subnet: dst.SubnetID, Port: p.Port})
	}
	if okOut && okIn {
		a.PathFound = true
		out.Direction, in.Direction = "egress", "ingress"
		a.Forward = []PathHop{{ID: p.Source}, out, in, {ID: dst.ID}}
	}
}

func (c *call) analysisXML(a *Analysis) netInsightsAnalysis {
	x := netInsightsAnalysis{
		ID: a.ID, Arn: c.arn("network-insights-analysis", a.ID), PathID: a.PathID,
		StartDate: a.StartedAt.UTC().Format(elbTime), Status: "running", TagSet: netTags(a.Tags),
	}
	if c.Now.Before(a.StartedAt.Add(c.Delays().Analysis)) {
		return x
	}
	if a.Failed != "" {
		x.Status, x.StatusMessage = "failed", a.Failed
		return x
	}
	x.Status = "succeeded"
	found := a.PathFound
	x.NetworkPathFound = &found
	kind := func(id string) string {
		switch {
		case strings.HasPrefix(id, "i-"):
			return "instance"
		case strings.HasPrefix(id, "sg-"):
			return "security-group"
		}
		return "network-interface"
	}
	if len(a.Explanations) > 0 {
		x.Explanations = &netSet[netExplanation]{}
		for _, e := range a.Explanations {
			ex := netExplanation{ExplanationCode: e.Code, Direction: e.Direction, Port: e.Port}
			if e.NetworkInterface != "" {
				ex.NetworkInterface = &netComponent{ID: e.NetworkInterface, Arn: c.arn("network-interface", e.NetworkInterface)}
			}
			if e.VPC != "" {
				ex.Vpc = &netComponent{ID: e.VPC, Arn: c.arn("vpc", e.VPC)}
			}
			if e.Subnet != "" {
				ex.Subnet = &netComponent{ID: e.Subnet, Arn: c.arn("subnet", e.Subnet)}
			}
			if len(e.SecurityGroups) > 0 {
				ex.SecurityGroups = &netSet[netComponent]{}
				for _, g := range e.SecurityGroups {
					name := ""
					if sg := c.w.SecurityGroups[g]; sg != nil {
						name = sg.Name
					}
					ex.SecurityGroups.Items = append(ex.SecurityGroups.Items, netComponent{ID: g, Arn: c.arn("security-group", g), Name: name})
				}
			}
			if e.Port != 0 {
				ex.Protocols = &netSet[string]{Items: []string{"tcp"}}
			}
			x.Explanations.Items = append(x.Explanations.Items, ex)
		}
	}
	if len(a.Forward) > 0 {
		x.ForwardPathComponents = &netSet[netPathComponent]{}
		for i, h := range a.Forward {
			pc := netPathComponent{SequenceNumber: i + 1, Component: netComponent{ID: h.ID, Arn: c.arn(kind(h.ID), h.ID)}}
			if h.RuleGroup != "" {
				port := c.w.Diag.Paths[a.PathID]
				pc.SecurityGroupRule = &netSGRuleDetail{Cidr: h.RuleCIDR, Direction: h.Direction, SecurityGroupID: h.RuleGroup, Protocol: "tcp"}
				if port != nil && port.Port != 0 {
					pc.SecurityGroupRule.PortRange = &netPortRange{From: port.Port, To: port.Port}
				}
			}
			x.ForwardPathComponents.Items = append(x.ForwardPathComponents.Items, pc)
		}
	}
	return x
}

type netAnalysesResult struct {
	Analyses  netSet[netInsightsAnalysis] `xml:"networkInsightsAnalysisSet"`
	NextToken string                      `xml:"nextToken,omitempty"`
}

func describeInsightsAnalyses(c *call) (any, error) {
	fs := c.Params.Filters()
	if err := checkFilters(fs, "path-found", "status"); err != nil {
		return nil, err
	}
	ids := c.Params.List("NetworkInsightsAnalysisId", false)
	for _, id := range ids {
		if a := c.w.Diag.Analyses[id]; a == nil || !c.owns(a.Owner, a.Region) {
			return nil, errAnalysisNotFound(id)
		}
	}
	pathID := c.Params.Get("NetworkInsightsPathId")
	if pathID != "" {
		if p := c.w.Diag.Paths[pathID]; p == nil || !c.owns(p.Owner, p.Region) {
			return nil, errPathNotFound(pathID)
		}
	}
	var keys []string
	for _, id := range SortedKeys(c.w.Diag.Analyses) {
		a := c.w.Diag.Analyses[id]
		if !c.owns(a.Owner, a.Region) || (len(ids) > 0 && !slices.Contains(ids, id)) || (pathID != "" && a.PathID != pathID) {
			continue
		}
		x := c.analysisXML(a)
		found := ""
		if x.NetworkPathFound != nil {
			found = fmt.Sprint(*x.NetworkPathFound)
		}
		if matchFilters(fs, a.Tags, map[string][]string{"status": {x.Status}, "path-found": {found}}) {
			keys = append(keys, id)
		}
	}
	pageIDs, next, err := page(c.Params, keys, 1, 100)
	if err != nil {
		return nil, err
	}
	res := netAnalysesResult{Analyses: netSet[netInsightsAnalysis]{Items: []netInsightsAnalysis{}}, NextToken: next}
	for _, id := range pageIDs {
		res.Analyses.Items = append(res.Analyses.Items, c.analysisXML(c.w.Diag.Analyses[id]))
	}
	return res, nil
}

func deleteInsightsAnalysis(c *call) (any, error) {
	id := c.Params.Get("NetworkInsightsAnalysisId")
	if id == "" {
		return nil, errMissingParameter("NetworkInsightsAnalysisId")
	}
	a := c.w.Diag.Analyses[id]
	if a == nil || !c.owns(a.Owner, a.Region) {
		return nil, errAnalysisNotFound(id)
	}
	if err := dryRun(c); err != nil {
		return nil, err
	}
	delete(c.w.Diag.Analyses, id)
	return netDeletedAnalysis{ID: id}, nil
}
