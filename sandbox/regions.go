package sandbox

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// Regions: the world holds several AWS regions. Each has its own AZ IDs,
// which every account maps to its own AZ names (AZ IDs are unique across
// regions, use1-az1 and usw2-az1, so one map per account holds them all);
// VPCs, subnets, load balancers, services and endpoints live in one
// region, and a call sees the region its SigV4 credential scope names, as
// AWS's regional endpoints do. A resource whose Region is "" lives in the
// world's home region (World.Region): worlds saved before regions hold
// only such resources.

// Region is one region of the world.
type Region struct {
	Name  string   `json:"name"`
	AZIDs []string `json:"azIds"`
	// OptIn marks a region AWS does not enable by default: an account
	// uses it only after enabling it (Account.OptedIn).
	OptIn bool `json:"optIn,omitempty"`
}

// Regions of the default world besides the home region.
const (
	// SecondRegion is the default world's second region, where each
	// account has a VPC of its own (cross-region PrivateLink).
	SecondRegion = "us-west-2"
	// OptInRegion is an opt-in region of the default world that no
	// account has enabled, so its refusals can be seen.
	OptInRegion = "eu-south-1"
)

// Opt-in statuses as DescribeRegions spells them.
const (
	optInNotRequired = "opt-in-not-required"
	optedIn          = "opted-in"
	notOptedIn       = "not-opted-in"
)

// addRegion adds a region with three AZ IDs (<prefix>-az1..3).
func (w *World) addRegion(name string, optIn bool) *Region {
	r := &Region{Name: name, OptIn: optIn}
	prefix := regionAZPrefix(name)
	for i := 1; i <= 3; i++ {
		r.AZIDs = append(r.AZIDs, fmt.Sprintf("%s-az%d", prefix, i))
	}
	w.Regions = append(w.Regions, r)
	return r
}

// RegionByName returns the world's region of that name, or nil.
func (w *World) RegionByName(name string) *Region {
	for _, r := range w.Regions {
		if r.Name == name {
			return r
		}
	}
	return nil
}

// AZIDsIn are the AZ IDs of a region ("" for the home region).
func (w *World) AZIDsIn(region string) []string {
	if r := w.RegionByName(w.home(region)); r != nil {
		return r.AZIDs
	}
	return nil
}

// home is the region a resource lives in: its own, or the home region
// when it has none.
func (w *World) home(region string) string {
	if region == "" {
		return w.Region
	}
	return region
}

// mapAZNames names a region's AZ IDs for the account: the region's
// letters rotated by rotate, so accounts name the same AZ ID differently,
// as in older regions.
func (a *Account) mapAZNames(r *Region, rotate int) {
	if a.AZNames == nil {
		a.AZNames = map[string]string{}
	}
	for i, az := range r.AZIDs {
		a.AZNames[az] = r.Name + string(rune('a'+(i+rotate)%len(r.AZIDs)))
	}
}

// OptInStatus is how DescribeRegions reports a region for this account.
func (a *Account) OptInStatus(r *Region) string {
	switch {
	case !r.OptIn:
		return optInNotRequired
	case slices.Contains(a.OptedIn, r.Name):
		return optedIn
	}
	return notOptedIn
}

// Enabled reports whether the account may use the region: the world has
// it, and it is not an opt-in region the account has not enabled.
func (w *World) Enabled(a *Account, region string) bool {
	r := w.RegionByName(region)
	return r != nil && a.OptInStatus(r) != notOptedIn
}

// Allowed reports whether the account's principals may perform an IAM
// action (the sandbox has no policies: an account allows every action
// but those it lists in Denied).
func (a *Account) Allowed(action string) bool { return !slices.Contains(a.Denied, action) }

// ensureRegions moves a world saved before regions onto them: one region,
// the home region, with the AZ IDs it kept.
func (w *World) ensureRegions() {
	if len(w.Regions) > 0 || w.Region == "" {
		return
	}
	w.Regions = []*Region{{Name: w.Region, AZIDs: w.LegacyAZIDs}}
	w.LegacyAZIDs = nil
}

// owns reports whether a resource (its owner and region) is the caller's
// in the region the call was made to.
func (c *call) owns(owner, region string) bool {
	return owner == c.Account.ID && c.inRegion(region)
}

// inRegion reports whether a resource of region is in the call's region.
func (c *call) inRegion(region string) bool { return c.w.home(region) == c.Region }

// arnRegion is the region field of an ARN ("" when it has none).
func arnRegion(arn string) string {
	parts := strings.SplitN(arn, ":", 5)
	if len(parts) < 5 {
		return ""
	}
	return parts[3]
}

// checkCallRegion refuses a call to a region the world does not have, or
// to an opt-in region the caller's account has not enabled, as AWS's
// regional endpoints refuse credentials there. Route 53 is global: any
// region is accepted (SDKs sign it with whatever region they hold).
func checkCallRegion(w *World, a sigv4Auth, acct *Account) *APIError {
	if a.Service == "route53" {
		return nil
	}
	r := w.RegionByName(a.Region)
	if r == nil {
		var names []string
		for _, r := range w.Regions {
			if acct.OptInStatus(r) != notOptedIn {
				names = append(names, r.Name)
			}
		}
		msg := fmt.Sprintf("Credential should be scoped to a valid region, not '%s'. The sandbox serves %s: set AWS_REGION to one of them.", a.Region, strings.Join(names, ", "))
		if a.Service == "ec2" {
			return Errorf(http.StatusUnauthorized, "AuthFailure", "%s", msg)
		}
		return Errorf(http.StatusForbidden, "SignatureDoesNotMatch", "%s", msg)
	}
	if acct.OptInStatus(r) == notOptedIn {
		// What AWS answers in a region the account has not enabled: the
		// credentials are not valid there.
		return errUnknownKey(a.Service)
	}
	return nil
}

type xmlRegion struct {
	RegionName     string `xml:"regionName"`
	RegionEndpoint string `xml:"regionEndpoint"`
	OptInStatus    string `xml:"optInStatus"`
}

type describeRegionsResponse struct {
	Regions []xmlRegion `xml:"regionInfo>item"`
}

// describeRegions lists the regions enabled for the caller's account, or
// every region with AllRegions; RegionNames picks regions whether enabled
// or not, as AWS documents.
func describeRegions(c *call) (any, error) {
	p := c.Params
	fs := p.Filters()
	if err := checkFilters(fs, "endpoint", "opt-in-status", "region-name"); err != nil {
		return nil, err
	}
	all, _, err := p.Bool("AllRegions")
	if err != nil {
		return nil, err
	}
	names := unique(p.List("RegionName", false))
	for _, n := range names {
		if c.w.RegionByName(n) == nil {
			return nil, errInvalidParameterValue("Invalid region: %s", n)
		}
	}
	out := describeRegionsResponse{Regions: []xmlRegion{}}
	for _, r := range c.w.Regions {
		status := c.Account.OptInStatus(r)
		if len(names) > 0 && !slices.Contains(names, r.Name) {
			continue
		}
		if len(names) == 0 && !all && status == notOptedIn {
			continue
		}
		x := xmlRegion{RegionName: r.Name, RegionEndpoint: "ec2." + r.Name + ".amazonaws.com", OptInStatus: status}
		if !matchFilters(fs, nil, map[string][]string{
			"endpoint": {x.RegionEndpoint}, "opt-in-status": {status}, "region-name": {r.Name},
		}) {
			continue
		}
		out.Regions = append(out.Regions, x)
	}
	return out, nil
}

// vpcRegion is the region of a VPC and of everything in it.
func (w *World) vpcRegion(id string) string {
	if v := w.VPCs[id]; v != nil {
		return w.home(v.Region)
	}
	return w.Region
}

// serviceRegion is the region hosting an endpoint service, which its name
// carries (com.amazonaws.vpce.<region>.<id>).
func (w *World) serviceRegion(s *Service) string { return w.serviceNameRegion(s.Name) }

// serviceNameRegion is the region a service name carries, or the home
// region for a name that carries none the world knows.
func (w *World) serviceNameRegion(name string) string {
	rest, ok := strings.CutPrefix(name, "com.amazonaws.vpce.")
	if region, _, found := strings.Cut(rest, "."); ok && found && w.RegionByName(region) != nil {
		return region
	}
	return w.Region
}

// arnHome is the region an ARN names, or the home region if it names none.
func (w *World) arnHome(arn string) string { return w.home(arnRegion(arn)) }

// endpointRegion is the region an endpoint lives in (its VPC's).
func (w *World) endpointRegion(e *Endpoint) string { return w.vpcRegion(e.VPCID) }

// crossRegion reports whether an endpoint connects to a service hosted in
// another region than its own.
func (w *World) crossRegion(e *Endpoint) bool {
	return w.serviceNameRegion(e.ServiceName) != w.endpointRegion(e)
}

// ownsInVPC reports whether a resource in a VPC (a subnet, group, network
// interface, instance or endpoint) is the caller's in the call's region.
func (c *call) ownsInVPC(owner, vpcID string) bool {
	return c.owns(owner, c.w.vpcRegion(vpcID))
}

// ownsARN reports whether a resource known by its ARN (load balancers,
// listeners, target groups, certificates, topics, queues) is the caller's
// in the call's region.
func (c *call) ownsARN(owner, arn string) bool { return c.owns(owner, arnRegion(arn)) }

// notificationRegion is the region of a connection notification: its
// endpoint service's or its endpoint's.
func (w *World) notificationRegion(n *ConnectionNotification) string {
	if s := w.Services[n.ServiceID]; n.ServiceID != "" && s != nil {
		return w.serviceRegion(s)
	}
	if e := w.Endpoints[n.EndpointID]; n.EndpointID != "" && e != nil {
		return w.endpointRegion(e)
	}
	return w.Region
}

// ec2RegionHandlers serve the EC2 actions about regions themselves.
func ec2RegionHandlers() map[string]queryHandler {
	return map[string]queryHandler{"DescribeRegions": describeRegions}
}

// noMultiRegion: no principal of the world may perform
// vpce:AllowMultiRegion, so every cross-region PrivateLink call is
// refused as AWS refuses it without that permission.
func noMultiRegion(w *World, _ string) error {
	for _, a := range w.Accounts {
		if a.Allowed(allowMultiRegion) {
			a.Denied = append(a.Denied, allowMultiRegion)
		}
	}
	return nil
}

// AccountVPC returns the account's first VPC (by ID) in a region ("" for
// the home region), or nil: the default world has one per account and
// region.
func (w *World) AccountVPC(owner, region string) *VPC {
	region = w.home(region)
	for _, id := range SortedKeys(w.VPCs) {
		if v := w.VPCs[id]; v.Owner == owner && w.home(v.Region) == region {
			return v
		}
	}
	return nil
}

// VPCRegion is the region of a VPC (the home region for an unknown one).
func (w *World) VPCRegion(id string) string { return w.vpcRegion(id) }
