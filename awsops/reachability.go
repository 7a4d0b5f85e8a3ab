package awsops

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// reachabilityAPI is what the VPC Reachability Analyzer needs from EC2.
type reachabilityAPI interface {
	CreateNetworkInsightsPath(context.Context, *ec2.CreateNetworkInsightsPathInput, ...func(*ec2.Options)) (*ec2.CreateNetworkInsightsPathOutput, error)
	StartNetworkInsightsAnalysis(context.Context, *ec2.StartNetworkInsightsAnalysisInput, ...func(*ec2.Options)) (*ec2.StartNetworkInsightsAnalysisOutput, error)
	ec2.DescribeNetworkInsightsAnalysesAPIClient
	ec2.DescribeNetworkInsightsPathsAPIClient
	DeleteNetworkInsightsAnalysis(context.Context, *ec2.DeleteNetworkInsightsAnalysisInput, ...func(*ec2.Options)) (*ec2.DeleteNetworkInsightsAnalysisOutput, error)
	DeleteNetworkInsightsPath(context.Context, *ec2.DeleteNetworkInsightsPathInput, ...func(*ec2.Options)) (*ec2.DeleteNetworkInsightsPathOutput, error)
}

// ReachabilityInput is one path to analyze: from an instance or network
// interface of the VPC to an endpoint network interface on a TCP port.
type ReachabilityInput struct {
	Source      string // i-... or eni-...
	Destination string // eni-... of the endpoint
	Port        int32
	// Token makes the create idempotent (a retried step finds its path).
	Token string
	Tags  Tags // plwiz:session, so teardown finds what is left
}

// StartReachability creates the path and starts an analysis of it; AWS
// charges per analysis, so callers ask first. It returns both IDs, which
// DeleteReachability removes.
func (c *Consumer) StartReachability(ctx context.Context, in ReachabilityInput) (pathID, analysisID string, err error) {
	if !strings.HasPrefix(in.Source, "i-") && !strings.HasPrefix(in.Source, "eni-") {
		return "", "", fmt.Errorf("reachability: source %q is not an instance (i-...) or network interface (eni-...)", in.Source)
	}
	if !strings.HasPrefix(in.Destination, "eni-") || in.Port <= 0 || in.Port > 65535 {
		return "", "", fmt.Errorf("reachability: need an endpoint network interface (eni-...) and a port 1-65535")
	}
	if err := in.Tags.validate(); err != nil {
		return "", "", fmt.Errorf("reachability: %w", err)
	}
	var api reachabilityAPI = c.c.ec2
	p, err := api.CreateNetworkInsightsPath(c.with(ctx, opCreateNetworkInsightsPath), &ec2.CreateNetworkInsightsPathInput{
		Source: aws.String(in.Source), Destination: aws.String(in.Destination), Protocol: ec2types.ProtocolTcp,
		DestinationPort: aws.Int32(in.Port), ClientToken: optional(in.Token),
		TagSpecifications: in.Tags.spec(ec2types.ResourceTypeNetworkInsightsPath),
	})
	if err != nil {
		return "", "", c.fail(fmt.Sprintf("create reachability path %s → %s", in.Source, in.Destination), err)
	}
	if p.NetworkInsightsPath == nil {
		return "", "", errors.New("create reachability path: AWS returned no path")
	}
	pathID = str(p.NetworkInsightsPath.NetworkInsightsPathId)
	a, err := api.StartNetworkInsightsAnalysis(c.with(ctx, opStartNetworkInsightsAnalysis), &ec2.StartNetworkInsightsAnalysisInput{
		NetworkInsightsPathId: aws.String(pathID), TagSpecifications: in.Tags.spec(ec2types.ResourceTypeNetworkInsightsAnalysis)})
	if err != nil {
		return pathID, "", c.fail("start reachability analysis of "+pathID, err)
	}
	if a.NetworkInsightsAnalysis == nil {
		return pathID, "", errors.New("start reachability analysis: AWS returned no analysis")
	}
	return pathID, str(a.NetworkInsightsAnalysis.NetworkInsightsAnalysisId), nil
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}

// Reachability is an analysis's outcome.
type Reachability struct {
	Done      bool   // succeeded or failed
	Status    string // running | succeeded | failed
	Message   string // why a failed analysis failed
	PathFound bool
	// Blocks say, in plain words, what stops the traffic, with the fix.
	Blocks []Block
}

// Block is one explanation of the analyzer.
type Block struct {
	Code      string // AWS's explanation code, e.g. ENI_SG_RULES_MISMATCH
	Component string // the security group, network ACL or route table that blocks (IDs)
	What      string // plain words
	Fix       string
}

// Reachability reads an analysis.
func (c *Consumer) Reachability(ctx context.Context, analysisID string, port int32) (Reachability, error) {
	var api reachabilityAPI = c.c.ec2
	pages := ec2.NewDescribeNetworkInsightsAnalysesPaginator(api, &ec2.DescribeNetworkInsightsAnalysesInput{NetworkInsightsAnalysisIds: []string{analysisID}})
	for pages.HasMorePages() {
		page, err := pages.NextPage(c.with(ctx, opDescribeNetworkInsightsAnalyses))
		if err != nil {
			return Reachability{}, c.fail("read reachability analysis "+analysisID, err)
		}
		for _, a := range page.NetworkInsightsAnalyses {
			r := Reachability{Status: clean(string(a.Status)), Message: str(a.StatusMessage), PathFound: aws.ToBool(a.NetworkPathFound)}
			r.Done = a.Status == ec2types.AnalysisStatusSucceeded || a.Status == ec2types.AnalysisStatusFailed
			for _, e := range a.Explanations {
				r.Blocks = append(r.Blocks, explain(e, port))
			}
			return r, nil
		}
	}
	return Reachability{}, fmt.Errorf("read reachability analysis %s: AWS returned none", analysisID)
}

func componentIDs(cs ...*ec2types.AnalysisComponent) []string {
	var out []string
	for _, c := range cs {
		if c != nil && str(c.Id) != "" {
			name := str(c.Id)
			if n := str(c.Name); n != "" {
				name += " (" + n + ")"
			}
			out = append(out, name)
		}
	}
	return out
}

// explain turns an analyzer explanation into what blocks and what to do.
func explain(e ec2types.Explanation, port int32) Block {
	code := str(e.ExplanationCode)
	b := Block{Code: code}
	dir := str(e.Direction)
	eni := strings.Join(componentIDs(e.NetworkInterface), "")
	switch code {
	case "ENI_SG_RULES_MISMATCH", "SECURITY_GROUP_RULES_MISMATCH":
		var groups []*ec2types.AnalysisComponent
		for i := range e.SecurityGroups {
			groups = append(groups, &e.SecurityGroups[i])
		}
		groups = append(groups, e.SecurityGroup)
		b.Component = strings.Join(componentIDs(groups...), ", ")
		if dir == "egress" {
			b.What = fmt.Sprintf("the security groups %s of %s do not allow TCP %d out to the endpoint", b.Component, eni, port)
			b.Fix = fmt.Sprintf("add an outbound rule allowing TCP %d to the endpoint's subnets (or the VPC CIDR) to one of %s", port, b.Component)
		} else {
			b.What = fmt.Sprintf("the security groups %s of %s do not allow TCP %d in from the source", b.Component, eni, port)
			b.Fix = fmt.Sprintf("add an inbound rule allowing TCP %d from the source (its security group or the VPC CIDR) to one of %s", port, b.Component)
		}
	case "SUBNET_ACL_RESTRICTION", "ACL_RESTRICTION":
		b.Component = strings.Join(componentIDs(e.Acl, e.Subnet), " on ")
		b.What = fmt.Sprintf("the network ACL %s does not allow TCP %d (%s)", b.Component, port, orDefault(dir, "either way"))
		b.Fix = fmt.Sprintf("allow TCP %d and the return traffic (ephemeral ports 1024-65535) in the network ACL", port)
	case "NO_ROUTE_TO_DESTINATION", "ROUTE_TABLE_NO_ROUTE":
		b.Component = strings.Join(componentIDs(e.RouteTable, e.Subnet, e.Vpc), " / ")
		b.What = fmt.Sprintf("no route from the source to the endpoint (%s)", b.Component)
		b.Fix = "run the check from an instance in the endpoint's VPC, or add a route (peering, transit gateway) to it"
	default:
		b.Component = strings.Join(componentIDs(e.Component, e.NetworkInterface, e.SecurityGroup, e.Acl, e.RouteTable, e.Subnet, e.Vpc), ", ")
		b.What = fmt.Sprintf("the analyzer reports %s at %s", code, orDefault(b.Component, "a component of the path"))
		b.Fix = "open the analysis in the VPC console (Reachability Analyzer) for the details"
	}
	return b
}

// DeleteReachability deletes an analysis and then its path (AWS wants the
// analyses gone first); either may already be gone.
func (c *Consumer) DeleteReachability(ctx context.Context, pathID, analysisID string) error {
	var api reachabilityAPI = c.c.ec2
	if analysisID != "" {
		_, err := api.DeleteNetworkInsightsAnalysis(c.with(ctx, opDeleteNetworkInsightsAnalysis), &ec2.DeleteNetworkInsightsAnalysisInput{NetworkInsightsAnalysisId: aws.String(analysisID)})
		if err != nil && KindOf(c.fail("", err)) != KindNotFound {
			return c.fail("delete reachability analysis "+analysisID, err)
		}
	}
	if pathID != "" {
		_, err := api.DeleteNetworkInsightsPath(c.with(ctx, opDeleteNetworkInsightsPath), &ec2.DeleteNetworkInsightsPathInput{NetworkInsightsPathId: aws.String(pathID)})
		if err != nil && KindOf(c.fail("", err)) != KindNotFound {
			return c.fail("delete reachability path "+pathID, err)
		}
	}
	return nil
}

// DeleteSessionReachability deletes every path (and its analyses) tagged
// with the session, for teardown; it returns the paths deleted.
func (c *Consumer) DeleteSessionReachability(ctx context.Context, sessionID string) ([]string, error) {
	var api reachabilityAPI = c.c.ec2
	pages := ec2.NewDescribeNetworkInsightsPathsPaginator(api, &ec2.DescribeNetworkInsightsPathsInput{
		Filters: []ec2types.Filter{tagFilter(TagSession, sessionID)}, MaxResults: aws.Int32(100)})
	var paths []string
	for pages.HasMorePages() {
		page, err := pages.NextPage(c.with(ctx, opDescribeNetworkInsightsPaths))
		if err != nil {
			return nil, c.fail("list reachability paths of session "+sessionID, err)
		}
		for _, p := range page.NetworkInsightsPaths {
			paths = append(paths, str(p.NetworkInsightsPathId))
		}
	}
	for _, p := range paths {
		analyses := ec2.NewDescribeNetworkInsightsAnalysesPaginator(api, &ec2.DescribeNetworkInsightsAnalysesInput{NetworkInsightsPathId: aws.String(p), MaxResults: aws.Int32(100)})
		for analyses.HasMorePages() {
			page, err := analyses.NextPage(c.with(ctx, opDescribeNetworkInsightsAnalyses))
			if err != nil {
				return nil, c.fail("list analyses of "+p, err)
			}
			for _, a := range page.NetworkInsightsAnalyses {
				if err := c.DeleteReachability(ctx, "", str(a.NetworkInsightsAnalysisId)); err != nil {
					return nil, err
				}
			}
		}
		if err := c.DeleteReachability(ctx, p, ""); err != nil {
			return nil, err
		}
	}
	return paths, nil
}
