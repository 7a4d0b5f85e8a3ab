package sandbox

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// Cross-region PrivateLink, as AWS launched it in November 2024: a
// provider lists the regions its endpoint service may be reached from
// (SupportedRegions, always with the service's own region); a consumer in
// one of them sees the service only when it asks DescribeVpcEndpointServices
// for the service's region (ServiceRegions) and connects with
// CreateVpcEndpoint's ServiceRegion. Its endpoint's subnets may be in any
// AZ of its own region, it gets the regional DNS name only, and private
// DNS works as in one region. Doing any of it takes the IAM permission
// vpce:AllowMultiRegion, and an opt-in region takes the account's opting
// in.

// allowMultiRegion is the permission-only IAM action AWS checks for every
// cross-region PrivateLink call.
const allowMultiRegion = "vpce:AllowMultiRegion"

// errMultiRegionDenied is AWS's refusal of a cross-region call by a
// principal whose policies do not allow vpce:AllowMultiRegion.
func errMultiRegionDenied(c *call, resource string) *APIError {
	return Errorf(http.StatusForbidden, "UnauthorizedOperation",
		"You are not authorized to perform this operation. User: %s is not authorized to perform: ec2:%s on resource: %s because no identity-based policy allows the %s action.",
		c.callerARN(), c.Action, resource, allowMultiRegion)
}

// checkMultiRegion refuses a cross-region call of a principal without
// vpce:AllowMultiRegion.
func checkMultiRegion(c *call, resource string) *APIError {
	if c.Account.Allowed(allowMultiRegion) {
		return nil
	}
	return errMultiRegionDenied(c, resource)
}

// remote reports whether any of regions is not the home one.
func remote(regions []string, home string) bool {
	return slices.ContainsFunc(regions, func(r string) bool { return r != home })
}

// checkSupportedRegions validates regions a provider adds to its service:
// region names, regions of the world, and enabled for the account (an
// opt-in region must be opted in first).
func checkSupportedRegions(c *call, regions []string) *APIError {
	if err := checkRegions(regions); err != nil {
		return err
	}
	for _, r := range regions {
		reg := c.w.RegionByName(r)
		if reg == nil {
			return errInvalidParameterValue("The Region %s is not a Region of this sandbox; its Regions are %s.", r, c.w.regionList())
		}
		if c.Account.OptInStatus(reg) == notOptedIn {
			return errInvalidParameter("The Region %s is an opt-in Region that is not enabled for account %s. Enable the Region before you add it as a supported Region.", r, c.Account.ID)
		}
	}
	return nil
}

// regionList names the world's regions for a message.
func (w *World) regionList() string {
	names := make([]string, len(w.Regions))
	for i, r := range w.Regions {
		names[i] = r.Name
	}
	return strings.Join(names, ", ")
}

// supportsRegion reports whether consumers in region may reach s: its own
// region, or one of its supported regions.
func (w *World) supportsRegion(s *Service, region string) bool {
	return w.serviceRegion(s) == region || slices.Contains(s.SupportedRegions, region)
}

// serviceRegionParam reads CreateVpcEndpoint's ServiceRegion: the call's
// region when absent; a region of the world that the caller has enabled
// otherwise. A region other than the call's takes vpce:AllowMultiRegion.
func serviceRegionParam(c *call) (string, *APIError) {
	region := c.Params.Get("ServiceRegion")
	if region == "" || region == c.Region {
		return c.Region, nil
	}
	if err := checkRegions([]string{region}); err != nil {
		return "", err
	}
	reg := c.w.RegionByName(region)
	if reg == nil {
		return "", errInvalidParameterValue("The service Region %s is not a Region of this sandbox; its Regions are %s.", region, c.w.regionList())
	}
	if c.Account.OptInStatus(reg) == notOptedIn {
		return "", errInvalidParameter("The service Region %s is an opt-in Region that is not enabled for account %s. Enable the Region to connect to services hosted in it.", region, c.Account.ID)
	}
	if err := checkMultiRegion(c, fmt.Sprintf("arn:aws:ec2:%s:%s:vpc-endpoint/*", c.Region, c.Account.ID)); err != nil {
		return "", err
	}
	return region, nil
}
