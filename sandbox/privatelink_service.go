package sandbox

import (
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"
)

// The provider's side: endpoint service configurations, their permissions
// and private DNS name verification.

// serviceConfigXML renders a service as its owner sees it.
func (w *World) serviceConfigXML(s *Service) xmlServiceConfiguration {
	owner := w.Account(s.Owner)
	ids := w.serviceAZIDs(s)
	var names []string
	for _, id := range ids {
		if owner != nil {
			names = append(names, owner.AZName(id))
		}
	}
	sort.Strings(names)
	out := xmlServiceConfiguration{
		ServiceType:             []xmlServiceType{{ServiceType: "Interface"}},
		ServiceID:               s.ID,
		ServiceName:             s.Name,
		ServiceState:            s.State,
		AvailabilityZones:       names,
		AvailabilityZoneIDs:     ids,
		AcceptanceRequired:      s.AcceptanceRequired,
		NetworkLoadBalancerArns: s.NLBARNs,
		SupportedIPAddressTypes: s.IPAddressTypes,
		BaseEndpointDNSNames:    []string{w.baseEndpointDNSName(s)},
		PrivateDNSName:          s.PrivateDNSName,
		PayerResponsibility:     "ServiceOwner",
		Tags:                    xmlTags(s.Tags),
	}
	if s.PrivateDNSName != "" {
		out.PrivateDNSNameConfiguration = xmlPrivateDNSNameConfiguration{
			State: s.PrivateDNSState, Type: "TXT", Value: s.VerificationValue, Name: s.VerificationName,
		}
	}
	// Each supported region is reachable as the service is: the sandbox
	// provisions them with it.
	for _, r := range s.SupportedRegions {
		out.SupportedRegions = append(out.SupportedRegions, xmlSupportedRegion{Region: r, ServiceState: s.State})
	}
	out.RemoteAccessEnabled = remote(s.SupportedRegions, w.serviceRegion(s))
	return out
}

func (w *World) baseEndpointDNSName(s *Service) string {
	return s.ID + "." + w.serviceRegion(s) + ".vpce.amazonaws.com"
}

// serviceAZIDs are the AZ IDs of the service's load balancers' subnets.
func (w *World) serviceAZIDs(s *Service) []string {
	seen := map[string]bool{}
	for _, arn := range s.NLBARNs {
		lb := w.LoadBalancers[arn]
		if lb == nil {
			continue
		}
		for _, sid := range lb.SubnetIDs {
			if sn := w.Subnets[sid]; sn != nil {
				seen[sn.AZID] = true
			}
		}
	}
	return SortedKeys(seen)
}

// checkNLBs validates load balancer ARNs as CreateVpcEndpointServiceConfiguration
// does: each must be one of the caller's network load balancers, active.
func checkNLBs(c *call, arns []string) *APIError {
	for _, arn := range arns {
		lb := c.w.LoadBalancers[arn]
		if !strings.HasPrefix(arn, "arn:aws:elasticloadbalancing:") {
			return errInvalidParameter("Invalid Load Balancer ARN: %s", arn)
		}
		if lb == nil || !c.ownsARN(lb.Owner, lb.ARN) {
			return errInvalidParameter("Load balancer %s does not exist.", arn)
		}
		if lb.Type != "network" {
			return errInvalidParameter("Load balancer %s is not a network load balancer.", arn)
		}
		if lb.State != "active" {
			return errInvalidParameter("Load balancer %s is not in the active state.", arn)
		}
	}
	return nil
}

func checkIPTypes(ts []string) *APIError {
	for _, t := range ts {
		if t != "ipv4" && t != "ipv6" {
			return errInvalidParameterValue("Value (%s) for parameter SupportedIpAddressType is invalid. Expected: 'ipv4' or 'ipv6'.", t)
		}
	}
	return nil
}

func checkRegions(rs []string) *APIError {
	for _, r := range rs {
		if !regionName().MatchString(r) {
			return errInvalidParameterValue("Invalid region: %s", r)
		}
	}
	return nil
}

func checkPrivateDNSName(name string) *APIError {
	n := strings.TrimSuffix(strings.ToLower(name), ".")
	if len(n) > 255 || !dnsName().MatchString(n) {
		return errInvalidParameter("Invalid private DNS name: %s", name)
	}
	return nil
}

// newVerification associates a private DNS name and issues a fresh
// verification name and value, pending verification.
func (w *World) newVerification(s *Service, name string) {
	s.PrivateDNSName = strings.TrimSuffix(strings.ToLower(name), ".")
	s.PrivateDNSState = DNSPendingVerification
	s.VerificationName = "_" + w.randomString(20, lowerAlnum)
	s.VerificationValue = "vpce:" + w.randomString(20, mixedAlnum)
	s.VerificationDue = time.Time{}
}

func unique(xs []string) []string {
	var out []string
	for _, x := range xs {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

type createServiceResponse struct {
	ClientToken          string                  `xml:"clientToken,omitempty"`
	ServiceConfiguration xmlServiceConfiguration `xml:"serviceConfiguration"`
}

func createServiceConfiguration(c *call) (any, error) {
	p := c.Params
	token := p.Get("ClientToken")
	hash := requestHash(p)
	prev, perr := earlierCreate(c, c.w.Services, token, hash, func(s *Service) (string, string, string) {
		return s.Owner, s.ClientToken, s.RequestHash
	})
	if perr != nil {
		return nil, perr
	}
	if prev != nil {
		return createServiceResponse{ClientToken: token, ServiceConfiguration: c.w.serviceConfigXML(prev)}, nil
	}
	if len(p.List("GatewayLoadBalancerArn", false)) > 0 {
		return nil, errInvalidParameter("The sandbox has no Gateway Load Balancers; specify NetworkLoadBalancerArns.")
	}
	nlbs := unique(p.List("NetworkLoadBalancerArn", false))
	if len(nlbs) == 0 {
		return nil, errInvalidParameter("Either NetworkLoadBalancerArns or GatewayLoadBalancerArns must be specified.")
	}
	if err := checkNLBs(c, nlbs); err != nil {
		return nil, err
	}
	acceptance, _, err := p.Bool("AcceptanceRequired")
	if err != nil {
		return nil, err
	}
	ipTypes := unique(p.List("SupportedIpAddressType", false))
	if len(ipTypes) == 0 {
		ipTypes = []string{"ipv4"}
	}
	if err := checkIPTypes(ipTypes); err != nil {
		return nil, err
	}
	if err := checkServiceIPv6(c, ipTypes, nlbs); err != nil {
		return nil, err
	}
	regions := unique(p.List("SupportedRegion", false))
	if remote(regions, c.Region) {
		if err := checkMultiRegion(c, fmt.Sprintf("arn:aws:ec2:%s:%s:vpc-endpoint-service/*", c.Region, c.Account.ID)); err != nil {
			return nil, err
		}
	}
	if err := checkSupportedRegions(c, regions); err != nil {
		return nil, err
	}
	if !slices.Contains(regions, c.Region) {
		regions = append([]string{c.Region}, regions...)
	}
	dns := p.Get("PrivateDnsName")
	if dns != "" {
		if err := checkPrivateDNSName(dns); err != nil {
			return nil, err
		}
	}
	tags := p.TagSpecs("vpc-endpoint-service")
	if err := checkTags(tags); err != nil {
		return nil, err
	}
	id := c.w.NewID("vpce-svc-")
	s := &Service{
		ID: id, Name: "com.amazonaws.vpce." + c.Region + "." + id, Owner: c.Account.ID,
		State: ServicePending, NLBARNs: nlbs, AcceptanceRequired: acceptance,
		IPAddressTypes: ipTypes, SupportedRegions: regions,
		ClientToken: token, RequestHash: hash, CreatedAt: c.Now,
		StateDue: c.Now.Add(c.Delays().ServiceAvailable),
		Tags:     tags,
	}
	if dns != "" {
		c.w.newVerification(s, dns)
	}
	c.w.addService(c.Delays(), s)
	c.w.note(c.Now, s.Owner, s.ID, "", s.State)
	c.w.note(c.Now, s.Owner, s.ID+"/private-dns", "", s.PrivateDNSState)
	return createServiceResponse{ClientToken: token, ServiceConfiguration: c.w.serviceConfigXML(s)}, nil
}

type describeServiceConfigsResponse struct {
	Services  []xmlServiceConfiguration `xml:"serviceConfigurationSet>item"`
	NextToken string                    `xml:"nextToken,omitempty"`
}

func describeServiceConfigurations(c *call) (any, error) {
	p := c.Params
	fs := p.Filters()
	if err := checkFilters(fs, "service-name", "service-id", "service-state", "supported-ip-address-types"); err != nil {
		return nil, err
	}
	wanted := p.List("ServiceId", false)
	for _, id := range wanted {
		s := c.w.Services[id]
		if s == nil || !c.owns(s.Owner, c.w.serviceRegion(s)) || !c.Visible(s.CreatedAt) {
			return nil, errServiceIDNotFound(id)
		}
	}
	var ids []string
	for id, s := range c.w.Services {
		if !c.owns(s.Owner, c.w.serviceRegion(s)) || !c.Visible(s.CreatedAt) {
			continue
		}
		if len(wanted) > 0 && !slices.Contains(wanted, id) {
			continue
		}
		if !matchFilters(fs, s.Tags, map[string][]string{
			"service-name": {s.Name}, "service-id": {s.ID}, "service-state": {s.State},
			"supported-ip-address-types": s.IPAddressTypes,
		}) {
			continue
		}
		ids = append(ids, id)
	}
	sort.Strings(ids)
	pageIDs, next, err := plPage(p, ids, 5, 1000, func(string) bool { return true })
	if err != nil {
		return nil, err
	}
	out := describeServiceConfigsResponse{NextToken: next}
	for _, id := range pageIDs {
		out.Services = append(out.Services, c.w.serviceConfigXML(c.w.Services[id]))
	}
	return out, nil
}

// activeConnections counts the endpoints that keep a service in use.
func (w *World) activeConnections(d Delays, s *Service) int {
	n := 0
	for _, id := range w.plIdx(d).lists["svc:"+s.ID] {
		e := w.Endpoints[id]
		if e == nil {
			continue
		}
		switch e.State {
		case EndpointPendingAcceptance, EndpointPending, EndpointAvailable:
			n++
		}
	}
	return n
}

func modifyServiceConfiguration(c *call) (any, error) {
	p := c.Params
	s, aerr := ownService(c, p.Get("ServiceId"))
	if aerr != nil {
		return nil, aerr
	}
	// Any change to a service reachable from other regions, or one that
	// makes it so, takes vpce:AllowMultiRegion.
	if remote(s.SupportedRegions, c.Region) || remote(p.List("AddSupportedRegion", false), c.Region) {
		if err := checkMultiRegion(c, fmt.Sprintf("arn:aws:ec2:%s:%s:vpc-endpoint-service/%s", c.Region, s.Owner, s.ID)); err != nil {
			return nil, err
		}
	}
	remove, _, err := p.Bool("RemovePrivateDnsName")
	if err != nil {
		return nil, err
	}
	dns := p.Get("PrivateDnsName")
	if dns != "" && remove {
		return nil, errInvalidParameter("You cannot specify both PrivateDnsName and RemovePrivateDnsName.")
	}
	if dns != "" {
		if err := checkPrivateDNSName(dns); err != nil {
			return nil, err
		}
	}
	acceptance, setAcceptance, err := p.Bool("AcceptanceRequired")
	if err != nil {
		return nil, err
	}
	addNLB, rmNLB := unique(p.List("AddNetworkLoadBalancerArn", false)), unique(p.List("RemoveNetworkLoadBalancerArn", false))
	if err := checkNLBs(c, addNLB); err != nil {
		return nil, err
	}
	nlbs := slices.Clone(s.NLBARNs)
	for _, a := range addNLB {
		if !slices.Contains(nlbs, a) {
			nlbs = append(nlbs, a)
		}
	}
	for _, r := range rmNLB {
		if !slices.Contains(s.NLBARNs, r) {
			return nil, errInvalidParameter("Load balancer %s is not associated with service %s.", r, s.ID)
		}
		nlbs = slices.DeleteFunc(nlbs, func(x string) bool { return x == r })
	}
	if len(rmNLB) > 0 && len(nlbs) == 0 {
		return nil, errInvalidParameter("You cannot remove all load balancers from service %s.", s.ID)
	}
	if len(rmNLB) > 0 && c.w.activeConnections(c.Delays(), s) > 0 {
		return nil, Errorf(http.StatusBadRequest, "ExistingVpcEndpointConnections",
			"Service has existing active VPC Endpoint connections!")
	}
	addIP, rmIP := unique(p.List("AddSupportedIpAddressType", false)), unique(p.List("RemoveSupportedIpAddressType", false))
	if err := checkIPTypes(append(slices.Clone(addIP), rmIP...)); err != nil {
		return nil, err
	}
	ipTypes := slices.Clone(s.IPAddressTypes)
	for _, a := range addIP {
		if !slices.Contains(ipTypes, a) {
			ipTypes = append(ipTypes, a)
		}
	}
	ipTypes = slices.DeleteFunc(ipTypes, func(x string) bool { return slices.Contains(rmIP, x) })
	if len(ipTypes) == 0 {
		return nil, errInvalidParameter("The service must support at least one IP address type.")
	}
	if err := checkServiceIPv6(c, ipTypes, nlbs); err != nil {
		return nil, err
	}
	addRegion, rmRegion := unique(p.List("AddSupportedRegion", false)), unique(p.List("RemoveSupportedRegion", false))
	if err := checkSupportedRegions(c, addRegion); err != nil {
		return nil, err
	}
	if err := checkRegions(rmRegion); err != nil {
		return nil, err
	}
	if slices.Contains(rmRegion, c.Region) {
		return nil, errInvalidParameter("You cannot remove the service's own region %s from its supported regions.", c.Region)
	}
	regions := slices.Clone(s.SupportedRegions)
	for _, a := range addRegion {
		if !slices.Contains(regions, a) {
			regions = append(regions, a)
		}
	}
	regions = slices.DeleteFunc(regions, func(x string) bool { return slices.Contains(rmRegion, x) })

	// Every check passed: apply all of it, as one request does on AWS.
	s.NLBARNs, s.IPAddressTypes, s.SupportedRegions = nlbs, ipTypes, regions
	if setAcceptance {
		s.AcceptanceRequired = acceptance
	}
	dnsWas := s.PrivateDNSState
	switch {
	case remove:
		s.PrivateDNSName, s.PrivateDNSState, s.VerificationName, s.VerificationValue = "", "", "", ""
		s.VerificationDue = time.Time{}
	case dns != "":
		c.w.newVerification(s, dns)
	}
	if remove || dns != "" {
		c.w.note(c.Now, s.Owner, s.ID+"/private-dns", dnsWas, s.PrivateDNSState)
		c.w.recheckServiceDNS(c.Delays(), s.ID, c.Now)
	}
	return returnResponse{Return: true}, nil
}

func deleteServiceConfigurations(c *call) (any, error) {
	ids := c.Params.List("ServiceId", false)
	if len(ids) == 0 {
		return nil, errMissingParameter("ServiceId")
	}
	var out unsuccessfulResponse
	for _, id := range ids {
		s := c.w.Services[id]
		if s == nil || !c.owns(s.Owner, c.w.serviceRegion(s)) {
			out.Unsuccessful.add(id, Errorf(http.StatusBadRequest, "InvalidVpcEndpointService.NotFound",
				"The VpcEndpointService Id '%s' does not exist", id))
			continue
		}
		if c.w.activeConnections(c.Delays(), s) > 0 {
			out.Unsuccessful.add(id, Errorf(http.StatusBadRequest, "ExistingVpcEndpointConnections",
				"Service has existing active VPC Endpoint connections!"))
			continue
		}
		c.w.removeService(c.Delays(), s)
		c.w.note(c.Now, s.Owner, s.ID+"/private-dns", s.PrivateDNSState, "")
		c.w.note(c.Now, s.Owner, s.ID, s.State, "")
		c.w.recheckServiceDNS(c.Delays(), s.ID, c.Now)
	}
	return out, nil
}

func startPrivateDNSVerification(c *call) (any, error) {
	s, aerr := ownService(c, c.Params.Get("ServiceId"))
	if aerr != nil {
		return nil, aerr
	}
	if s.PrivateDNSName == "" {
		return nil, errInvalidParameter("Service %s does not have a private DNS name.", s.ID)
	}
	if s.PrivateDNSState == DNSVerified {
		return nil, errInvalidParameter("The private DNS name %s of service %s is already verified.", s.PrivateDNSName, s.ID)
	}
	c.w.note(c.Now, s.Owner, s.ID+"/private-dns", s.PrivateDNSState, DNSPendingVerification)
	s.PrivateDNSState = DNSPendingVerification
	s.VerificationDue = c.Now.Add(c.Delays().Verification)
	c.w.scheduleVerification(c.Delays(), s)
	return returnResponse{Return: true}, nil
}

type modifyPermissionsResponse struct {
	Added  []xmlAddedPrincipal `xml:"addedPrincipalSet>item"`
	Return bool                `xml:"return"`
}

func checkPrincipal(arn string) *APIError {
	if arn == "*" || principalARN().MatchString(arn) {
		return nil
	}
	return errInvalidParameter("Invalid principal %s: expected '*' or an IAM ARN such as arn:aws:iam::123456789012:root", quoteForMessage(arn))
}

// quoteForMessage keeps user input in an error message on one printable line.
func quoteForMessage(s string) string {
	return fmt.Sprintf("%q", s)
}

func modifyServicePermissions(c *call) (any, error) {
	p := c.Params
	s, aerr := ownService(c, p.Get("ServiceId"))
	if aerr != nil {
		return nil, aerr
	}
	add, rm := unique(p.List("AddAllowedPrincipals", false)), unique(p.List("RemoveAllowedPrincipals", false))
	for _, a := range append(slices.Clone(add), rm...) {
		if err := checkPrincipal(a); err != nil {
			return nil, err
		}
	}
	// Removing a principal that is not there is a no-op, so a retried
	// removal succeeds.
	s.AllowedPrincipals = slices.DeleteFunc(s.AllowedPrincipals, func(x Principal) bool { return slices.Contains(rm, x.ARN) })
	out := modifyPermissionsResponse{Return: true}
	for _, a := range add {
		i := slices.IndexFunc(s.AllowedPrincipals, func(x Principal) bool { return x.ARN == a })
		if i < 0 {
			s.AllowedPrincipals = append(s.AllowedPrincipals, Principal{ID: c.w.NewID("vpce-svc-perm-"), ARN: a})
			i = len(s.AllowedPrincipals) - 1
		}
		pr := s.AllowedPrincipals[i]
		out.Added = append(out.Added, principalXML(s, pr))
	}
	return out, nil
}

// principalXML is an allowed principal of s on the wire.
func principalXML(s *Service, pr Principal) xmlAddedPrincipal {
	return xmlAddedPrincipal{PrincipalType: principalType(pr.ARN), Principal: pr.ARN, ServicePermissionID: pr.ID, ServiceID: s.ID}
}

type describePermissionsResponse struct {
	Principals []xmlAllowedPrincipal `xml:"allowedPrincipals>item"`
	NextToken  string                `xml:"nextToken,omitempty"`
}

func describeServicePermissions(c *call) (any, error) {
	p := c.Params
	s, aerr := ownService(c, p.Get("ServiceId"))
	if aerr != nil {
		return nil, aerr
	}
	fs := p.Filters()
	if err := checkFilters(fs, "principal", "principal-type"); err != nil {
		return nil, err
	}
	byID := map[string]Principal{}
	var ids []string
	for _, pr := range s.AllowedPrincipals {
		if !matchFilters(fs, nil, map[string][]string{"principal": {pr.ARN}, "principal-type": {principalType(pr.ARN)}}) {
			continue
		}
		byID[pr.ID] = pr
		ids = append(ids, pr.ID)
	}
	sort.Strings(ids)
	pageIDs, next, err := plPage(p, ids, 5, 1000, func(string) bool { return true })
	if err != nil {
		return nil, err
	}
	out := describePermissionsResponse{NextToken: next}
	for _, id := range pageIDs {
		pr := byID[id]
		out.Principals = append(out.Principals, xmlAllowedPrincipal{xmlAddedPrincipal: principalXML(s, pr)})
	}
	return out, nil
}
