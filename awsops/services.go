package awsops

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// servicesAPI is what services.go needs from EC2.
type servicesAPI interface {
	CreateVpcEndpointServiceConfiguration(context.Context, *ec2.CreateVpcEndpointServiceConfigurationInput, ...func(*ec2.Options)) (*ec2.CreateVpcEndpointServiceConfigurationOutput, error)
	ec2.DescribeVpcEndpointServiceConfigurationsAPIClient
	ModifyVpcEndpointServiceConfiguration(context.Context, *ec2.ModifyVpcEndpointServiceConfigurationInput, ...func(*ec2.Options)) (*ec2.ModifyVpcEndpointServiceConfigurationOutput, error)
	DeleteVpcEndpointServiceConfigurations(context.Context, *ec2.DeleteVpcEndpointServiceConfigurationsInput, ...func(*ec2.Options)) (*ec2.DeleteVpcEndpointServiceConfigurationsOutput, error)
	ModifyVpcEndpointServicePermissions(context.Context, *ec2.ModifyVpcEndpointServicePermissionsInput, ...func(*ec2.Options)) (*ec2.ModifyVpcEndpointServicePermissionsOutput, error)
	ec2.DescribeVpcEndpointServicePermissionsAPIClient
	StartVpcEndpointServicePrivateDnsVerification(context.Context, *ec2.StartVpcEndpointServicePrivateDnsVerificationInput, ...func(*ec2.Options)) (*ec2.StartVpcEndpointServicePrivateDnsVerificationOutput, error)
}

// ec2PageSize is the largest page EC2's Describe calls return.
const ec2PageSize = 1000

// Service is an endpoint service configuration as its owner sees it.
type Service struct {
	ID                 string
	Name               string // com.amazonaws.vpce.<region>.vpce-svc-...
	State              ServiceState
	NLBARNs            []string
	AcceptanceRequired bool
	IPAddressTypes     []string // ipv4 | ipv6
	// SupportedRegions are the regions consumers may connect from, the
	// service's own included; RegionStates has each one's ServiceState.
	SupportedRegions []string
	RegionStates     map[string]ServiceState
	// RemoteAccess is AWS's RemoteAccessEnabled: consumers of other
	// regions may connect.
	RemoteAccess         bool
	ZoneNames            []string // this account's AZ names
	ZoneIDs              []string
	BaseEndpointDNSNames []string
	PrivateDNS           PrivateDNS
	Tags                 Tags
}

// PrivateDNS is a service's private DNS name and the TXT record that proves
// its ownership.
type PrivateDNS struct {
	Name  string   // e.g. api.example.com; "" when none is associated
	State DNSState // pendingVerification | verified | failed
	// RecordName is the TXT record's fully qualified name (no trailing dot):
	// AWS's verification name under the private DNS name's domain.
	RecordName string
	// RecordValue is the TXT value as AWS gives it, unquoted.
	RecordValue string
	RecordType  string // TXT
}

// CreateServiceInput configures a new endpoint service.
type CreateServiceInput struct {
	NLBARNs            []string
	AcceptanceRequired bool
	PrivateDNSName     string   // optional
	IPAddressTypes     []string // optional: ipv4, ipv6
	SupportedRegions   []string // optional, for cross-region access
	// ClientToken makes the create idempotent: a retry with the same token
	// returns the service made the first time. Derive it from the session.
	ClientToken string
	Tags        Tags
}

// CreateService creates an endpoint service in front of NLBs.
func (p *Provider) CreateService(ctx context.Context, in CreateServiceInput) (Service, error) {
	if len(in.NLBARNs) == 0 {
		return Service{}, errors.New("create endpoint service: no network load balancer given")
	}
	if len(in.ClientToken) > 64 {
		return Service{}, fmt.Errorf("create endpoint service: client token is %d characters; AWS allows 64", len(in.ClientToken))
	}
	if err := in.Tags.validate(); err != nil {
		return Service{}, fmt.Errorf("create endpoint service: %w", err)
	}
	req := &ec2.CreateVpcEndpointServiceConfigurationInput{
		NetworkLoadBalancerArns: in.NLBARNs,
		AcceptanceRequired:      aws.Bool(in.AcceptanceRequired),
		SupportedIpAddressTypes: in.IPAddressTypes,
		SupportedRegions:        in.SupportedRegions,
		TagSpecifications:       in.Tags.spec(types.ResourceTypeVpcEndpointService),
	}
	if in.PrivateDNSName != "" {
		req.PrivateDnsName = aws.String(in.PrivateDNSName)
	}
	if in.ClientToken != "" {
		req.ClientToken = aws.String(in.ClientToken)
	}
	var api servicesAPI = p.c.ec2
	out, err := api.CreateVpcEndpointServiceConfiguration(p.with(ctx, opCreateVpcEndpointServiceConfiguration), req)
	if err != nil {
		return Service{}, p.fail("create endpoint service", err)
	}
	if out.ServiceConfiguration == nil || aws.ToString(out.ServiceConfiguration.ServiceId) == "" {
		return Service{}, errors.New("create endpoint service: AWS answered without a service configuration")
	}
	return p.completeZones(ctx, serviceFrom(*out.ServiceConfiguration))
}

// DescribeService reads one endpoint service by ID.
func (p *Provider) DescribeService(ctx context.Context, serviceID string) (Service, error) {
	svcs, err := p.services(ctx, &ec2.DescribeVpcEndpointServiceConfigurationsInput{ServiceIds: []string{serviceID}})
	if err != nil {
		return Service{}, fmt.Errorf("describe endpoint service %s: %w", serviceID, err)
	}
	if len(svcs) == 0 {
		return Service{}, fmt.Errorf("describe endpoint service %s: %w", serviceID, &Error{
			Service: ec2.ServiceID, Op: "DescribeVpcEndpointServiceConfigurations", Kind: KindNotFound,
			Code: "InvalidVpcEndpointServiceId.NotFound", Message: "AWS returned no such service",
			Cause: "The endpoint service does not exist (any more).", Hint: "Create a new endpoint service."})
	}
	return p.completeZones(ctx, svcs[0])
}

// ListServices lists the account's endpoint services (all pages).
func (p *Provider) ListServices(ctx context.Context) ([]Service, error) {
	svcs, err := p.services(ctx, &ec2.DescribeVpcEndpointServiceConfigurationsInput{MaxResults: aws.Int32(ec2PageSize)})
	if err != nil {
		return nil, fmt.Errorf("list endpoint services: %w", err)
	}
	return svcs, nil
}

// FindServiceByNLB returns the endpoint service in front of the load
// balancer, if there is one (AWS allows at most one per NLB).
func (p *Provider) FindServiceByNLB(ctx context.Context, nlbARN string) (Service, bool, error) {
	svcs, err := p.ListServices(ctx)
	if err != nil {
		return Service{}, false, err
	}
	for _, s := range svcs {
		if slices.Contains(s.NLBARNs, nlbARN) && s.State != ServiceDeleted && s.State != ServiceDeleting {
			return s, true, nil
		}
	}
	return Service{}, false, nil
}

// FindServiceBySession returns the endpoint service a plwiz session created,
// found by its plwiz:session tag.
func (p *Provider) FindServiceBySession(ctx context.Context, sessionID string) (Service, bool, error) {
	svcs, err := p.services(ctx, &ec2.DescribeVpcEndpointServiceConfigurationsInput{
		Filters: []types.Filter{tagFilter(TagSession, sessionID)}, MaxResults: aws.Int32(ec2PageSize)})
	if err != nil {
		return Service{}, false, fmt.Errorf("find endpoint service of session %s: %w", sessionID, err)
	}
	for _, s := range svcs {
		if s.State != ServiceDeleted && s.State != ServiceDeleting {
			return s, true, nil
		}
	}
	return Service{}, false, nil
}

func (p *Provider) services(ctx context.Context, in *ec2.DescribeVpcEndpointServiceConfigurationsInput) ([]Service, error) {
	var api servicesAPI = p.c.ec2
	pages := ec2.NewDescribeVpcEndpointServiceConfigurationsPaginator(api, in)
	var out []Service
	for pages.HasMorePages() {
		page, err := pages.NextPage(p.with(ctx, opDescribeVpcEndpointServiceConfigurations))
		if err != nil {
			return nil, p.fail("describe endpoint services", err)
		}
		for _, sc := range page.ServiceConfigurations {
			out = append(out, serviceFrom(sc))
		}
	}
	return out, nil
}

// completeZones fills zone IDs from EC2 when AWS gave only zone names.
func (p *Provider) completeZones(ctx context.Context, s Service) (Service, error) {
	if len(s.ZoneIDs) > 0 || len(s.ZoneNames) == 0 {
		return s, nil
	}
	ids, err := p.zoneIDs(ctx)
	if err != nil {
		return Service{}, fmt.Errorf("zones of endpoint service %s: %w", s.ID, err)
	}
	for _, n := range s.ZoneNames {
		if id := ids[n]; id != "" {
			s.ZoneIDs = append(s.ZoneIDs, id)
		}
	}
	return s, nil
}

func serviceFrom(sc types.ServiceConfiguration) Service {
	s := Service{
		ID: str(sc.ServiceId), Name: str(sc.ServiceName), NLBARNs: strs(sc.NetworkLoadBalancerArns),
		AcceptanceRequired: aws.ToBool(sc.AcceptanceRequired), ZoneNames: strs(sc.AvailabilityZones),
		ZoneIDs: strs(sc.AvailabilityZoneIds), BaseEndpointDNSNames: strs(sc.BaseEndpointDnsNames),
		Tags: fromEC2Tags(sc.Tags),
	}
	s.State, _ = ParseServiceState(string(sc.ServiceState))
	for _, t := range sc.SupportedIpAddressTypes {
		s.IPAddressTypes = append(s.IPAddressTypes, clean(string(t)))
	}
	s.RemoteAccess = aws.ToBool(sc.RemoteAccessEnabled)
	for _, r := range sc.SupportedRegions {
		name := str(r.Region)
		s.SupportedRegions = append(s.SupportedRegions, name)
		if st, ok := ParseServiceState(str(r.ServiceState)); ok {
			if s.RegionStates == nil {
				s.RegionStates = map[string]ServiceState{}
			}
			s.RegionStates[name] = st
		}
	}
	s.PrivateDNS.Name = str(sc.PrivateDnsName)
	if c := sc.PrivateDnsNameConfiguration; c != nil {
		s.PrivateDNS.State, _ = ParseDNSState(string(c.State))
		s.PrivateDNS.RecordType = str(c.Type)
		s.PrivateDNS.RecordValue = str(c.Value)
		s.PrivateDNS.RecordName = verificationRecordName(str(c.Name), s.PrivateDNS.Name)
	}
	return s
}

// verificationRecordName is the TXT record AWS looks for: its verification
// name ("_abc123") under the private DNS name's domain (a leading "*." of a
// wildcard name dropped). A name AWS already gave fully qualified is kept.
func verificationRecordName(name, privateDNSName string) string {
	name = strings.TrimSuffix(name, ".")
	domain := strings.TrimSuffix(strings.TrimPrefix(strings.ToLower(privateDNSName), "*."), ".")
	if name == "" || domain == "" || strings.HasSuffix(strings.ToLower(name), "."+domain) {
		return name
	}
	return name + "." + domain
}

// ModifyServiceInput changes an endpoint service; zero fields are left alone.
type ModifyServiceInput struct {
	AcceptanceRequired     *bool
	AddNLBARNs             []string // associate more Network Load Balancers
	RemoveNLBARNs          []string // AWS refuses while endpoints are connected
	PrivateDNSName         string   // associate (or replace) the private DNS name
	RemovePrivateDNSName   bool
	AddIPAddressTypes      []string
	RemoveIPAddressTypes   []string
	AddSupportedRegions    []string
	RemoveSupportedRegions []string
}

// ModifyService changes an endpoint service's settings.
func (p *Provider) ModifyService(ctx context.Context, serviceID string, in ModifyServiceInput) error {
	if in.PrivateDNSName != "" && in.RemovePrivateDNSName {
		return errors.New("modify endpoint service: cannot both set and remove the private DNS name")
	}
	req := &ec2.ModifyVpcEndpointServiceConfigurationInput{
		ServiceId:                     aws.String(serviceID),
		AcceptanceRequired:            in.AcceptanceRequired,
		AddNetworkLoadBalancerArns:    in.AddNLBARNs,
		RemoveNetworkLoadBalancerArns: in.RemoveNLBARNs,
		AddSupportedIpAddressTypes:    in.AddIPAddressTypes,
		RemoveSupportedIpAddressTypes: in.RemoveIPAddressTypes,
		AddSupportedRegions:           in.AddSupportedRegions,
		RemoveSupportedRegions:        in.RemoveSupportedRegions,
	}
	if in.PrivateDNSName != "" {
		req.PrivateDnsName = aws.String(in.PrivateDNSName)
	}
	if in.RemovePrivateDNSName {
		req.RemovePrivateDnsName = aws.Bool(true)
	}
	var api servicesAPI = p.c.ec2
	out, err := api.ModifyVpcEndpointServiceConfiguration(p.with(ctx, opModifyVpcEndpointServiceConfiguration), req)
	if err != nil {
		return p.fail("modify endpoint service "+serviceID, err)
	}
	if !aws.ToBool(out.Return) {
		return fmt.Errorf("modify endpoint service %s: AWS answered false", serviceID)
	}
	return nil
}

// DeleteService deletes an endpoint service. AWS refuses while endpoints
// are connected (reject them first); such refusals come back as a
// *PartialError.
func (p *Provider) DeleteService(ctx context.Context, serviceID string) error {
	var api servicesAPI = p.c.ec2
	out, err := api.DeleteVpcEndpointServiceConfigurations(p.with(ctx, opDeleteVpcEndpointServiceConfigurations),
		&ec2.DeleteVpcEndpointServiceConfigurationsInput{ServiceIds: []string{serviceID}})
	if err != nil {
		return p.fail("delete endpoint service "+serviceID, err)
	}
	if perr := partial(ec2.ServiceID, "DeleteVpcEndpointServiceConfigurations", out.Unsuccessful); perr != nil {
		perr.Hint = "Reject or let the consumer delete the endpoints still connected, then delete the service again."
		return fmt.Errorf("delete endpoint service %s: %w", serviceID, perr)
	}
	return nil
}

// StartVerification asks AWS to check the TXT record of the service's
// private DNS name now.
func (p *Provider) StartVerification(ctx context.Context, serviceID string) error {
	var api servicesAPI = p.c.ec2
	out, err := api.StartVpcEndpointServicePrivateDnsVerification(p.with(ctx, opStartVpcEndpointServicePrivateDNSVerification),
		&ec2.StartVpcEndpointServicePrivateDnsVerificationInput{ServiceId: aws.String(serviceID)})
	if err != nil {
		return p.fail("start private DNS verification of "+serviceID, err)
	}
	if !aws.ToBool(out.ReturnValue) {
		return fmt.Errorf("start private DNS verification of %s: AWS answered false", serviceID)
	}
	return nil
}

// PrivateDNSConfig reads the service's private DNS name, its verification
// state and the TXT record to create.
func (p *Provider) PrivateDNSConfig(ctx context.Context, serviceID string) (PrivateDNS, error) {
	s, err := p.DescribeService(ctx, serviceID)
	if err != nil {
		return PrivateDNS{}, err
	}
	return s.PrivateDNS, nil
}

// partial turns Unsuccessful items into a *PartialError, or nil.
func partial(service, op string, items []types.UnsuccessfulItem) *PartialError {
	if len(items) == 0 {
		return nil
	}
	pe := &PartialError{Service: service, Op: op}
	for _, it := range items {
		ie := ItemError{ID: str(it.ResourceId)}
		if it.Error != nil {
			ie.Code, ie.Message = str(it.Error.Code), str(it.Error.Message)
		}
		pe.Items = append(pe.Items, ie)
	}
	return pe
}
