package awsops

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/plwiz/plwiz/awsid"
)

// lookupAPI is what lookup.go needs from EC2.
type lookupAPI interface {
	DescribeVpcEndpointServices(context.Context, *ec2.DescribeVpcEndpointServicesInput, ...func(*ec2.Options)) (*ec2.DescribeVpcEndpointServicesOutput, error)
}

// ServiceInfo is an endpoint service as a consumer sees it.
type ServiceInfo struct {
	Name  string
	ID    string
	Owner string // the provider's account ID
	Types []string
	// Zones the service serves, by this account's names and by AZ ID.
	Zones                []AZ
	PrivateDNSName       string
	PrivateDNSState      DNSState
	AcceptanceRequired   bool
	BaseEndpointDNSNames []string
	IPAddressTypes       []string
	Region               string // the region hosting the service
	// CrossRegion: the service was looked up from another region (with
	// ServiceRegions); an endpoint to it needs ServiceRegion.
	CrossRegion bool
}

// ZoneIDs returns the AZ IDs the service serves.
func (s ServiceInfo) ZoneIDs() []string {
	ids := make([]string, 0, len(s.Zones))
	for _, z := range s.Zones {
		ids = append(ids, z.ID)
	}
	return ids
}

// ServesZone reports whether the service serves the AZ ID.
func (s ServiceInfo) ServesZone(azID string) bool {
	for _, z := range s.Zones {
		if z.ID == azID {
			return true
		}
	}
	return false
}

// LookupService asks whether the service is visible to this principal and
// what it offers. A service that is not visible fails with KindServiceNotVisible.
func (c *Consumer) LookupService(ctx context.Context, serviceName string) (ServiceInfo, error) {
	return c.LookupServiceIn(ctx, serviceName, "")
}

// LookupServiceIn is LookupService for a service hosted in serviceRegion
// ("" or the client's own region: this region). A service of another
// region is asked for with ServiceRegions, as AWS requires: it is visible
// only when it supports the client's region. Its zones are the service
// region's, by AZ ID: they do not constrain the endpoint's subnets.
func (c *Consumer) LookupServiceIn(ctx context.Context, serviceName, serviceRegion string) (ServiceInfo, error) {
	var api lookupAPI = c.c.ec2
	in := &ec2.DescribeVpcEndpointServicesInput{ServiceNames: []string{serviceName}}
	cross := serviceRegion != "" && serviceRegion != c.c.region
	if cross {
		in.ServiceRegions = []string{serviceRegion}
	}
	out, err := api.DescribeVpcEndpointServices(c.with(ctx, opDescribeVpcEndpointServices), in)
	if err != nil {
		err = c.fail("look up endpoint service "+serviceName, err)
		var e *Error
		if errors.As(err, &e) && e.Kind == KindServiceNotVisible {
			e.Hint = c.notVisibleHint(serviceName, serviceRegion)
		}
		return ServiceInfo{}, err
	}
	for _, d := range out.ServiceDetails {
		if !strings.EqualFold(aws.ToString(d.ServiceName), serviceName) {
			continue
		}
		info := ServiceInfo{
			Name: str(d.ServiceName), ID: str(d.ServiceId), Owner: str(d.Owner),
			PrivateDNSName: str(d.PrivateDnsName), AcceptanceRequired: aws.ToBool(d.AcceptanceRequired),
			BaseEndpointDNSNames: strs(d.BaseEndpointDnsNames), Region: str(d.ServiceRegion), CrossRegion: cross,
		}
		if info.Region == "" {
			info.Region = c.c.region
			if cross {
				info.Region = serviceRegion
			}
		}
		info.PrivateDNSState, _ = ParseDNSState(string(d.PrivateDnsNameVerificationState))
		for _, t := range d.ServiceType {
			info.Types = append(info.Types, clean(string(t.ServiceType)))
		}
		for _, t := range d.SupportedIpAddressTypes {
			info.IPAddressTypes = append(info.IPAddressTypes, clean(string(t)))
		}
		if cross {
			// This region's zones cannot name the service region's.
			for _, id := range strs(d.AvailabilityZoneIds) {
				info.Zones = append(info.Zones, AZ{ID: id})
			}
			return info, nil
		}
		zones, err := c.pairZones(ctx, strs(d.AvailabilityZones), strs(d.AvailabilityZoneIds))
		if err != nil {
			return ServiceInfo{}, fmt.Errorf("look up endpoint service %s: %w", serviceName, err)
		}
		info.Zones = zones
		return info, nil
	}
	return ServiceInfo{}, fmt.Errorf("look up endpoint service %s: %w", serviceName, &Error{
		Service: ec2.ServiceID, Op: "DescribeVpcEndpointServices", Kind: KindServiceNotVisible, Code: "InvalidServiceName",
		Message: "AWS did not list the service", Cause: "This account cannot see the endpoint service.",
		Hint: c.notVisibleHint(serviceName, serviceRegion)})
}

// notVisibleHint says what to check when AWS says a service does not
// exist: the principal, and the regions on both sides.
func (c *Consumer) notVisibleHint(serviceName, serviceRegion string) string {
	named, _, ok := awsid.ParseServiceName(serviceName)
	here := c.c.region
	switch {
	case serviceRegion != "" && serviceRegion != here:
		return fmt.Sprintf("The service is in %s and plwiz connects from %s: ask the provider to add %s to the service's supported regions (plwiz provider --supported-regions %s) and to allow your principal ARN.", serviceRegion, here, here, here)
	case ok && named != here:
		return fmt.Sprintf("The service is in %s but plwiz is using %s: pass --region %s, or connect across regions if the provider supports %s.", named, here, named, here)
	}
	return "Ask the provider to allow your principal ARN, and check --region."
}

// pairZones names each zone both ways in this account: AWS gives zone names
// (this account's) and, lately, zone IDs; either may be missing.
func (b *base) pairZones(ctx context.Context, names, ids []string) ([]AZ, error) {
	if len(names) == 0 && len(ids) == 0 {
		return nil, nil
	}
	all, err := b.AvailabilityZones(ctx)
	if err != nil {
		return nil, err
	}
	byName, byID := map[string]string{}, map[string]string{}
	for _, z := range all {
		byName[z.Name], byID[z.ID] = z.ID, z.Name
	}
	seen := map[string]bool{}
	var zones []AZ
	add := func(z AZ) {
		key := z.ID
		if key == "" {
			key = "name:" + z.Name
		}
		if !seen[key] {
			seen[key] = true
			zones = append(zones, z)
		}
	}
	for _, n := range names {
		add(AZ{Name: n, ID: byName[n]})
	}
	for _, id := range ids {
		add(AZ{Name: byID[id], ID: id})
	}
	return zones, nil
}
