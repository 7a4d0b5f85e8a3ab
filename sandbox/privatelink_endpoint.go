package sandbox

import (
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"
)

// The consumer's side (interface endpoints, the services it can see) and the
// provider's view of those endpoints as connections.

// vpceHostedZoneIDs are the Route 53 zones AWS serves vpce names from, by
// region; other regions get a stable made-up ID.
var vpceHostedZoneIDs = map[string]string{"us-east-1": "Z7HUB22UULQXV"}

func vpceZoneID(region string) string {
	if id, ok := vpceHostedZoneIDs[region]; ok {
		return id
	}
	return "Z" + strings.ToUpper(regionAZPrefix(region)) + "VPCE0SANDBOX"
}

// endpointDNSEntries are the endpoint's regional and zonal names and, when
// private DNS is on, the service's private DNS name (in the private hosted
// zone AWS creates for the consumer VPC).
func (w *World) endpointDNSEntries(e *Endpoint) []xmlDNSEntry {
	var out []xmlDNSEntry
	zone := vpceZoneID(w.serviceNameRegion(e.ServiceName))
	for _, n := range w.EndpointDNSNames(e) {
		out = append(out, xmlDNSEntry{DNSName: n.Name, HostedZoneID: zone})
	}
	if s := w.Services[e.ServiceID]; e.PrivateDNSEnabled && s != nil && s.PrivateDNSName != "" {
		zone := "Z" + strings.ToUpper(strings.TrimPrefix(e.ID, "vpce-"))
		out = append(out, xmlDNSEntry{DNSName: s.PrivateDNSName, HostedZoneID: zone})
	}
	return out
}

func (w *World) endpointXML(e *Endpoint) xmlEndpoint {
	out := xmlEndpoint{
		VpcEndpointID: e.ID, VpcEndpointType: "Interface", VpcID: e.VPCID, ServiceName: e.ServiceName,
		State: e.State, SubnetIDs: e.SubnetIDs, IPAddressType: e.IPAddressType,
		DNSOptions:        xmlDNSOptions{DNSRecordIPType: e.recordIPType()},
		PrivateDNSEnabled: e.PrivateDNSEnabled, NetworkInterfaceIDs: e.ENIIDs,
		DNSEntries: w.endpointDNSEntries(e), CreationTimestamp: timestamp(e.CreatedAt),
		Tags: xmlTags(e.Tags), OwnerID: e.Owner, ServiceRegion: w.serviceNameRegion(e.ServiceName),
	}
	for _, id := range e.SecurityGroupIDs {
		g := xmlGroup{GroupID: id}
		if sg := w.SecurityGroups[id]; sg != nil {
			g.GroupName = sg.Name
		}
		out.Groups = append(out.Groups, g)
	}
	if e.LastErrorCode != "" {
		out.LastError = &xmlLastError{Code: e.LastErrorCode, Message: e.LastErrorMessage}
	}
	return out
}

func (w *World) connectionXML(e *Endpoint) xmlConnection {
	out := xmlConnection{
		ServiceID: e.ServiceID, VpcEndpointID: e.ID, VpcEndpointOwner: e.Owner, VpcEndpointState: e.State,
		CreationTimestamp: timestamp(e.CreatedAt), DNSEntries: w.endpointDNSEntries(e),
		IPAddressType: e.IPAddressType, VpcEndpointRegion: w.endpointRegion(e),
		VpcEndpointConnectionID: "vpce-con-" + strings.TrimPrefix(e.ID, "vpce-"),
	}
	if s := w.Services[e.ServiceID]; s != nil {
		out.NetworkLoadBalancerArns = s.NLBARNs
	}
	return out
}

// accepted reports whether the service owner accepted the endpoint (or no
// acceptance was needed): it is pending or available, or still shows
// pendingAcceptance with its move to pending scheduled.
func accepted(e *Endpoint) bool {
	switch e.State {
	case EndpointPending, EndpointAvailable:
		return true
	case EndpointPendingAcceptance:
		return !e.StateDue.IsZero()
	}
	return false
}

// checkPrivateDNS applies AWS's rules for turning private DNS on for an
// endpoint (self: its ID, "" when it is being created).
func checkPrivateDNS(w *World, s *Service, vpc *VPC, isAccepted bool, self string) *APIError {
	if s.PrivateDNSName == "" {
		return errInvalidParameter("Private DNS can't be enabled because the service %s does not provide a private DNS name.", s.Name)
	}
	if s.PrivateDNSState != DNSVerified {
		return errInvalidParameter("Private DNS can't be enabled because the private DNS name %s of the service %s is not verified.", s.PrivateDNSName, s.Name)
	}
	if !isAccepted {
		return errInvalidParameter("Private DNS can only be enabled after the endpoint connection is accepted by the owner of %s.", s.Name)
	}
	if !vpc.EnableDNSSupport || !vpc.EnableDNSHostnames {
		return errInvalidParameter("Enabling private DNS requires both enableDnsSupport and enableDnsHostnames VPC attributes set to true for %s", vpc.ID)
	}
	// One name, one answer per VPC: AWS refuses a second endpoint claiming
	// the same private name in the VPC.
	for _, e := range w.Endpoints {
		if e.ID == self || e.VPCID != vpc.ID || !e.PrivateDNSEnabled || !liveEndpoint(e) {
			continue
		}
		if other := w.Services[e.ServiceID]; other != nil && strings.EqualFold(other.PrivateDNSName, s.PrivateDNSName) {
			return errInvalidParameter("private-dns-enabled cannot be set because there is already a conflicting DNS domain for %s in the VPC %s", s.PrivateDNSName, vpc.ID)
		}
	}
	return nil
}

// liveEndpoint reports whether an endpoint still holds its DNS names.
func liveEndpoint(e *Endpoint) bool {
	switch e.State {
	case EndpointRejected, EndpointFailed, EndpointDeleted, EndpointDeleting, EndpointExpired:
		return false
	}
	return true
}

// checkSubnets validates subnets for an endpoint of s in vpc: the caller's,
// in the VPC, in an AZ the service serves, one per AZ (also against the
// endpoint's existing subnets in keep). An endpoint to a service of
// another region may use any AZ of its own region: AWS does not match AZs
// across regions.
func checkSubnets(c *call, s *Service, vpc *VPC, ids, keep []string) ([]*Subnet, *APIError) {
	served := c.w.serviceAZIDs(s)
	cross := c.w.serviceRegion(s) != c.Region
	byAZ := map[string]string{}
	for _, id := range keep {
		if sn := c.w.Subnets[id]; sn != nil {
			byAZ[sn.AZID] = id
		}
	}
	var out []*Subnet
	for _, id := range ids {
		sn := c.w.Subnets[id]
		if sn == nil || !c.ownsInVPC(sn.Owner, sn.VPCID) {
			return nil, Errorf(http.StatusBadRequest, "InvalidSubnetID.NotFound", "The subnet ID '%s' does not exist", id)
		}
		if sn.VPCID != vpc.ID {
			return nil, errInvalidParameter("The subnet %s does not belong to the VPC %s.", id, vpc.ID)
		}
		if !cross && !slices.Contains(served, sn.AZID) {
			return nil, errInvalidParameter("The VPC endpoint service %s does not support the availability zone of the subnet: %s.", s.Name, id)
		}
		if other, dup := byAZ[sn.AZID]; dup {
			return nil, Errorf(http.StatusBadRequest, "DuplicateSubnetsInSameZone",
				"Found another VPC endpoint subnet in the availability zone of %s. VPC endpoint subnets should be in different availability zones supported by the VPC endpoint service.", other)
		}
		byAZ[sn.AZID] = id
		out = append(out, sn)
	}
	return out, nil
}

func checkGroups(c *call, vpc *VPC, ids []string) *APIError {
	for _, id := range ids {
		sg := c.w.SecurityGroups[id]
		if sg == nil || !c.ownsInVPC(sg.Owner, sg.VPCID) {
			return Errorf(http.StatusBadRequest, "InvalidGroup.NotFound", "The security group '%s' does not exist", id)
		}
		if sg.VPCID != vpc.ID {
			return errInvalidParameter("The security group %s does not belong to the VPC %s.", id, vpc.ID)
		}
	}
	return nil
}

// newENIs allocates one endpoint network interface per subnet; on failure
// nothing is left behind.
func newENIs(c *call, e *Endpoint, subnets []*Subnet) ([]string, *APIError) {
	ids, full := c.w.newENIs(e, subnets)
	if full != nil {
		return nil, Errorf(http.StatusBadRequest, "InsufficientFreeAddressesInSubnet",
			"There are not enough free addresses in subnet '%s' to satisfy the requested number of instances.", full.ID)
	}
	return ids, nil
}

// newENIs adds one endpoint network interface of e per subnet. When a
// subnet has no free address it returns that subnet and adds nothing.
func (w *World) newENIs(e *Endpoint, subnets []*Subnet) (ids []string, full *Subnet) {
	for _, sn := range subnets {
		ip, err := w.AllocateIP(sn)
		if err != nil {
			for _, id := range ids {
				delete(w.ENIs, id)
			}
			return nil, sn
		}
		eni := &ENI{
			ID: w.NewID("eni-"), Owner: e.Owner, SubnetID: sn.ID, VPCID: sn.VPCID, AZID: sn.AZID,
			PrivateIP: ip.String(), Description: "VPC Endpoint Interface " + e.ID,
			InterfaceType: "vpc_endpoint", EndpointID: e.ID, Status: "in-use",
			SecurityGroupIDs: slices.Clone(e.SecurityGroupIDs),
		}
		if e.hasIPv6() {
			eni.IPv6 = SandboxIPv6.String()
		}
		w.ENIs[eni.ID] = eni
		ids = append(ids, eni.ID)
	}
	return ids, nil
}

// findServiceByName resolves a service name the caller may use, hosted in
// region (the call's, or the ServiceRegion asked for) and reachable from
// the call's region; anything else (unknown, not allowed, not yet visible,
// in another region, not supporting the caller's) is "does not exist", as
// AWS says for a service one is not allowed to see.
func findServiceByName(c *call, name, region string) *Service {
	for _, s := range c.w.Services {
		if s.Name == name && serviceOffered(c, s, region) {
			return s
		}
	}
	return nil
}

// serviceOffered reports whether the caller may see and connect to s as
// a service of region from the call's region.
func serviceOffered(c *call, s *Service, region string) bool {
	return s.State == ServiceAvailable && serviceVisibleTo(s, c.Account) && c.Visible(s.CreatedAt) &&
		c.w.serviceRegion(s) == region && c.w.supportsRegion(s, c.Region)
}

type createEndpointResponse struct {
	VpcEndpoint xmlEndpoint `xml:"vpcEndpoint"`
	ClientToken string      `xml:"clientToken,omitempty"`
}

func createEndpoint(c *call) (any, error) {
	p := c.Params
	token := p.Get("ClientToken")
	hash := requestHash(p)
	prev, perr := earlierCreate(c, c.w.Endpoints, token, hash, func(e *Endpoint) (string, string, string) {
		return e.Owner, e.ClientToken, e.RequestHash
	})
	if perr != nil {
		return nil, perr
	}
	if prev != nil {
		return createEndpointResponse{VpcEndpoint: c.w.endpointXML(prev), ClientToken: token}, nil
	}
	name := p.Get("ServiceName")
	if name == "" {
		return nil, errMissingParameter("ServiceName")
	}
	region, aerr := serviceRegionParam(c)
	if aerr != nil {
		return nil, aerr
	}
	s := findServiceByName(c, name, region)
	if s == nil {
		return nil, errServiceNameNotFound(name)
	}
	typ := p.Get("VpcEndpointType")
	if typ == "" {
		typ = "Gateway" // EC2's default
	}
	if typ != "Interface" {
		return nil, errInvalidParameter("Endpoint type (%s) does not match available service types ([Interface]).", typ)
	}
	vpcID := p.Get("VpcId")
	if vpcID == "" {
		return nil, errMissingParameter("VpcId")
	}
	vpc := c.w.VPCs[vpcID]
	if vpc == nil || !c.owns(vpc.Owner, vpc.Region) {
		return nil, Errorf(http.StatusBadRequest, "InvalidVpcID.NotFound", "The vpc ID '%s' does not exist", vpcID)
	}
	ipType := p.Get("IpAddressType")
	if ipType == "" {
		ipType = IPv4
	}
	if _, aerr := checkEndpointIPType(s, ipType, "", nil); aerr != nil {
		return nil, aerr
	}
	subnets, aerr := checkSubnets(c, s, vpc, unique(p.List("SubnetId", false)), nil)
	if aerr != nil {
		return nil, aerr
	}
	recordType, aerr := checkEndpointIPType(s, ipType, p.Get("DnsOptions.DnsRecordIpType"), subnets)
	if aerr != nil {
		return nil, aerr
	}
	groups := unique(p.List("SecurityGroupId", false))
	if aerr := checkGroups(c, vpc, groups); aerr != nil {
		return nil, aerr
	}
	if len(groups) == 0 {
		for _, id := range SortedKeys(c.w.SecurityGroups) {
			if sg := c.w.SecurityGroups[id]; sg.VPCID == vpc.ID && sg.Name == "default" {
				groups = []string{id}
				break
			}
		}
	}
	tags := p.TagSpecs("vpc-endpoint")
	if aerr := checkTags(tags); aerr != nil {
		return nil, aerr
	}
	privateDNS, set, err := p.Bool("PrivateDnsEnabled")
	if err != nil {
		return nil, err
	}
	if !set {
		// AWS's default is true; for a service without a verified private
		// DNS name that simply means off.
		privateDNS = s.PrivateDNSName != "" && s.PrivateDNSState == DNSVerified
	}
	if privateDNS {
		if aerr := checkPrivateDNS(c.w, s, vpc, !s.AcceptanceRequired, ""); aerr != nil {
			return nil, aerr
		}
	}

	e := &Endpoint{
		ID: c.w.NewID("vpce-"), Owner: c.Account.ID, ServiceID: s.ID, ServiceName: s.Name,
		VPCID: vpc.ID, SecurityGroupIDs: groups, IPAddressType: ipType, DNSRecordIPType: recordType,
		ClientToken: token, RequestHash: hash, CreatedAt: c.Now,
		Tags: tags, DNSSuffix: c.w.randomString(8, lowerAlnum),
		PrivateDNSEnabled: privateDNS,
	}
	for _, sn := range subnets {
		e.SubnetIDs = append(e.SubnetIDs, sn.ID)
	}
	if e.ENIIDs, aerr = newENIs(c, e, subnets); aerr != nil {
		return nil, aerr
	}
	if s.AcceptanceRequired {
		e.State = EndpointPendingAcceptance
	} else {
		e.State = EndpointPending
		e.StateDue = c.Now.Add(c.Delays().EndpointAvailable)
	}
	if privateDNS {
		e.PrivateDNSLiveAt = c.Now.Add(c.Delays().PrivateDNSPropagate)
	}
	c.w.addEndpoint(c.Delays(), e)
	c.w.note(c.Now, e.Owner, e.ID, "", e.State)
	c.w.recheckDNS(c.Delays(), e, c.Now)
	return createEndpointResponse{VpcEndpoint: c.w.endpointXML(e), ClientToken: token}, nil
}

// endpointMatch is the filter test of both views of endpoints (the
// consumer's DescribeVpcEndpoints, the provider's connections): endpoints
// not yet visible or not of the view's region (inRegion) never match, vpc-endpoint-state values fold case (see
// matchFold), and the other filters go to matchFilters with what fields
// reports, built only when such filters exist (the common case has none).
func endpointMatch(c *call, fs []Filter, inRegion func(e *Endpoint) bool, fields func(e *Endpoint) ([]Tag, map[string][]string)) func(id string) bool {
	var stateFs, rest []Filter
	for _, f := range fs {
		if f.Name == "vpc-endpoint-state" {
			stateFs = append(stateFs, f)
		} else {
			rest = append(rest, f)
		}
	}
	return func(id string) bool {
		e := c.w.Endpoints[id]
		if e == nil || !c.Visible(e.CreatedAt) || !inRegion(e) {
			return false
		}
		for _, f := range stateFs {
			if !matchFold(f, e.State) {
				return false
			}
		}
		if len(rest) == 0 {
			return true
		}
		tags, vals := fields(e)
		return matchFilters(rest, tags, vals)
	}
}

type describeEndpointsResponse struct {
	Endpoints []xmlEndpoint `xml:"vpcEndpointSet>item"`
	NextToken string        `xml:"nextToken,omitempty"`
}

func describeEndpoints(c *call) (any, error) {
	p := c.Params
	fs := p.Filters()
	if err := checkFilters(fs, "vpc-endpoint-id", "vpc-id", "service-name", "vpc-endpoint-state", "vpc-endpoint-type", "ip-address-type"); err != nil {
		return nil, err
	}
	wanted := unique(p.List("VpcEndpointId", false))
	for _, id := range wanted {
		e := c.w.Endpoints[id]
		if e == nil || !c.owns(e.Owner, c.w.endpointRegion(e)) || !c.Visible(e.CreatedAt) {
			return nil, errEndpointIDNotFound(id)
		}
	}
	// The account's endpoints of every region are listed together: keep
	// the call's region's.
	inRegion := func(e *Endpoint) bool { return c.inRegion(c.w.endpointRegion(e)) }
	match := endpointMatch(c, fs, inRegion, func(e *Endpoint) ([]Tag, map[string][]string) {
		return e.Tags, map[string][]string{
			"vpc-endpoint-id": {e.ID}, "vpc-id": {e.VPCID}, "service-name": {e.ServiceName},
			"vpc-endpoint-type": {"Interface"}, "ip-address-type": {e.IPAddressType},
		}
	})
	ids := c.w.plIdx(c.Delays()).lists["own:"+c.Account.ID]
	if len(wanted) > 0 {
		ids = slices.Clone(wanted)
		sort.Strings(ids)
	}
	pageIDs, next, err := plPage(p, ids, 5, 1000, match)
	if err != nil {
		return nil, err
	}
	out := describeEndpointsResponse{NextToken: next}
	for _, id := range pageIDs {
		out.Endpoints = append(out.Endpoints, c.w.endpointXML(c.w.Endpoints[id]))
	}
	return out, nil
}

func ownEndpoint(c *call, id string) (*Endpoint, *APIError) {
	if id == "" {
		return nil, errMissingParameter("VpcEndpointId")
	}
	e := c.w.Endpoints[id]
	if e == nil || !c.owns(e.Owner, c.w.endpointRegion(e)) {
		return nil, errEndpointIDNotFound(id)
	}
	return e, nil
}

func modifyEndpoint(c *call) (any, error) {
	p := c.Params
	e, aerr := ownEndpoint(c, p.Get("VpcEndpointId"))
	if aerr != nil {
		return nil, aerr
	}
	vpc := c.w.VPCs[e.VPCID]
	s := c.w.Services[e.ServiceID]
	if vpc == nil || s == nil {
		return nil, errInvalidParameter("The VPC endpoint %s can no longer be modified: its VPC or service is gone.", e.ID)
	}
	privateDNS, setDNS, err := p.Bool("PrivateDnsEnabled")
	if err != nil {
		return nil, err
	}
	if setDNS && privateDNS && !e.PrivateDNSEnabled {
		if aerr := checkPrivateDNS(c.w, s, vpc, accepted(e), e.ID); aerr != nil {
			return nil, aerr
		}
	}
	rmSubnets := unique(p.List("RemoveSubnetId", false))
	for _, id := range rmSubnets {
		if !slices.Contains(e.SubnetIDs, id) {
			return nil, errInvalidParameter("The subnet %s is not associated with the VPC endpoint %s.", id, e.ID)
		}
	}
	keep := slices.DeleteFunc(slices.Clone(e.SubnetIDs), func(id string) bool { return slices.Contains(rmSubnets, id) })
	addSubnets, aerr := checkSubnets(c, s, vpc, unique(p.List("AddSubnetId", false)), keep)
	if aerr != nil {
		return nil, aerr
	}
	if aerr := checkSubnetRanges(e.IPAddressType, addSubnets); aerr != nil {
		return nil, aerr
	}
	addGroups, rmGroups := unique(p.List("AddSecurityGroupId", false)), unique(p.List("RemoveSecurityGroupId", false))
	if aerr := checkGroups(c, vpc, addGroups); aerr != nil {
		return nil, aerr
	}
	groups := slices.Clone(e.SecurityGroupIDs)
	for _, g := range addGroups {
		if !slices.Contains(groups, g) {
			groups = append(groups, g)
		}
	}
	for _, g := range rmGroups {
		if !slices.Contains(e.SecurityGroupIDs, g) {
			return nil, errInvalidParameter("The security group %s is not associated with the VPC endpoint %s.", g, e.ID)
		}
	}
	groups = slices.DeleteFunc(groups, func(g string) bool { return slices.Contains(rmGroups, g) })
	if len(groups) == 0 {
		return nil, errInvalidParameter("A VPC endpoint of type Interface must have at least one security group.")
	}

	// Every check passed: apply.
	e.SecurityGroupIDs = groups
	newIDs, aerr := newENIs(c, e, addSubnets)
	if aerr != nil {
		return nil, aerr
	}
	var enis []string
	for _, id := range e.ENIIDs {
		if eni := c.w.ENIs[id]; eni != nil && slices.Contains(rmSubnets, eni.SubnetID) {
			delete(c.w.ENIs, id)
			continue
		}
		enis = append(enis, id)
	}
	e.ENIIDs = append(enis, newIDs...)
	for _, id := range e.ENIIDs {
		if eni := c.w.ENIs[id]; eni != nil {
			eni.SecurityGroupIDs = slices.Clone(groups)
		}
	}
	e.SubnetIDs = keep
	for _, sn := range addSubnets {
		e.SubnetIDs = append(e.SubnetIDs, sn.ID)
	}
	if setDNS && privateDNS != e.PrivateDNSEnabled {
		e.PrivateDNSEnabled = privateDNS
		e.PrivateDNSLiveAt = time.Time{}
		if privateDNS {
			e.PrivateDNSLiveAt = c.Now.Add(c.Delays().PrivateDNSPropagate)
			c.w.scheduleEndpointDNS(c.Delays(), e)
		}
		c.w.recheckDNS(c.Delays(), e, c.Now)
	}
	return returnResponse{Return: true}, nil
}

func deleteEndpoints(c *call) (any, error) {
	ids := c.Params.List("VpcEndpointId", false)
	if len(ids) == 0 {
		return nil, errMissingParameter("VpcEndpointId")
	}
	var out unsuccessfulResponse
	for _, id := range ids {
		e := c.w.Endpoints[id]
		if e == nil || !c.owns(e.Owner, c.w.endpointRegion(e)) {
			out.Unsuccessful.add(id, Errorf(http.StatusBadRequest, "InvalidVpcEndpoint.NotFound", "The VpcEndpoint Id '%s' does not exist", id))
			continue
		}
		if dns := c.w.privateDNSStatus(e, c.Now); dns != "" {
			c.w.note(c.Now, e.Owner, e.ID+"/private-dns", dns, "")
		}
		c.w.removeEndpoint(c.Delays(), e)
		c.w.note(c.Now, e.Owner, e.ID, e.State, "")
	}
	return out, nil
}

type describeConnectionsResponse struct {
	Connections []xmlConnection `xml:"vpcEndpointConnectionSet>item"`
	NextToken   string          `xml:"nextToken,omitempty"`
}

func describeEndpointConnections(c *call) (any, error) {
	p := c.Params
	fs := p.Filters()
	if err := checkFilters(fs, "service-id", "vpc-endpoint-owner", "vpc-endpoint-state", "vpc-endpoint-id", "ip-address-type", "vpc-endpoint-region"); err != nil {
		return nil, err
	}
	idx := c.w.plIdx(c.Delays())
	ids := idx.lists["prov:"+c.Account.ID]
	// One literal service-id: walk just that service's list.
	for _, f := range fs {
		if f.Name == "service-id" && len(f.Values) == 1 && !strings.ContainsAny(f.Values[0], `*?\`) {
			if s := c.w.Services[f.Values[0]]; s != nil && c.owns(s.Owner, c.w.serviceRegion(s)) {
				ids = idx.lists["svc:"+s.ID]
			} else {
				ids = nil
			}
		}
	}
	// The provider sees the connections of its services of the call's
	// region, from whatever region they come; its view carries no tags of
	// the consumer's endpoint.
	ofRegion := func(e *Endpoint) bool { return c.inRegion(c.w.serviceNameRegion(e.ServiceName)) }
	match := endpointMatch(c, fs, ofRegion, func(e *Endpoint) ([]Tag, map[string][]string) {
		return nil, map[string][]string{
			"service-id": {e.ServiceID}, "vpc-endpoint-owner": {e.Owner}, "vpc-endpoint-id": {e.ID},
			"ip-address-type": {e.IPAddressType}, "vpc-endpoint-region": {c.w.endpointRegion(e)},
		}
	})
	pageIDs, next, err := plPage(p, ids, 5, 1000, match)
	if err != nil {
		return nil, err
	}
	out := describeConnectionsResponse{NextToken: next}
	for _, id := range pageIDs {
		out.Connections = append(out.Connections, c.w.connectionXML(c.w.Endpoints[id]))
	}
	return out, nil
}

// connectionTargets resolves the service and endpoint IDs of Accept/Reject.
func connectionTargets(c *call) (*Service, []string, *APIError) {
	s, aerr := ownService(c, c.Params.Get("ServiceId"))
	if aerr != nil {
		return nil, nil, aerr
	}
	ids := c.Params.List("VpcEndpointId", false)
	if len(ids) == 0 {
		return nil, nil, errMissingParameter("VpcEndpointId")
	}
	return s, ids, nil
}

func acceptEndpointConnections(c *call) (any, error) {
	s, ids, aerr := connectionTargets(c)
	if aerr != nil {
		return nil, aerr
	}
	var out unsuccessfulResponse
	for _, id := range ids {
		e := c.w.Endpoints[id]
		switch {
		case e == nil || e.ServiceID != s.ID:
			out.Unsuccessful.add(id, errEndpointIDNotFound(id))
		case e.State != EndpointPendingAcceptance || accepted(e):
			out.Unsuccessful.add(id, Errorf(http.StatusBadRequest, "IncorrectState",
				"The VPC endpoint %s is in state %s and cannot be accepted.", id, e.State))
		default:
			e.StateDue = c.Now.Add(c.Delays().EndpointPending)
			c.w.scheduleEndpoint(c.Delays(), e)
		}
	}
	return out, nil
}

func rejectEndpointConnections(c *call) (any, error) {
	s, ids, aerr := connectionTargets(c)
	if aerr != nil {
		return nil, aerr
	}
	var out unsuccessfulResponse
	for _, id := range ids {
		e := c.w.Endpoints[id]
		switch {
		case e == nil || e.ServiceID != s.ID:
			out.Unsuccessful.add(id, errEndpointIDNotFound(id))
		case e.State != EndpointPendingAcceptance && e.State != EndpointPending && e.State != EndpointAvailable:
			out.Unsuccessful.add(id, Errorf(http.StatusBadRequest, "IncorrectState",
				"The VPC endpoint %s is in state %s and cannot be rejected.", id, e.State))
		default:
			// Rejected is final: no transition is scheduled from it, and
			// accept refuses it.
			c.w.note(c.Now, e.Owner, e.ID, e.State, EndpointRejected)
			e.State = EndpointRejected
			e.StateDue = time.Time{}
			c.w.recheckDNS(c.Delays(), e, c.Now)
		}
	}
	return out, nil
}

type describeServicesResponse struct {
	ServiceNames   []string           `xml:"serviceNameSet>item"`
	ServiceDetails []xmlServiceDetail `xml:"serviceDetailSet>item"`
	NextToken      string             `xml:"nextToken,omitempty"`
}

// serviceDetailXML renders a service as a (possible) consumer sees it: AZ
// names in the caller's own mapping, tags only for the owner.
func (w *World) serviceDetailXML(s *Service, caller *Account) xmlServiceDetail {
	ids := w.serviceAZIDs(s)
	var names []string
	for _, id := range ids {
		names = append(names, caller.AZName(id))
	}
	sort.Strings(names)
	out := xmlServiceDetail{
		ServiceName: s.Name, ServiceID: s.ID, ServiceType: []xmlServiceType{{ServiceType: "Interface"}},
		ServiceRegion: w.serviceRegion(s), AvailabilityZones: names, AvailabilityZoneIDs: ids, Owner: s.Owner,
		BaseEndpointDNSNames: []string{w.baseEndpointDNSName(s)}, PrivateDNSName: s.PrivateDNSName,
		AcceptanceRequired: s.AcceptanceRequired, PayerResponsibility: "ServiceOwner",
		PrivateDNSNameVerificationState: s.PrivateDNSState, SupportedIPAddressTypes: s.IPAddressTypes,
	}
	if s.PrivateDNSName != "" {
		out.PrivateDNSNames = []xmlPrivateDNSDetails{{PrivateDNSName: s.PrivateDNSName}}
	}
	if s.Owner == caller.ID {
		out.Tags = xmlTags(s.Tags)
	}
	return out
}

func describeEndpointServices(c *call) (any, error) {
	p := c.Params
	fs := p.Filters()
	if err := checkFilters(fs, "service-name", "service-type", "owner", "service-region", "supported-ip-address-types"); err != nil {
		return nil, err
	}
	// Without ServiceRegions the call's region is searched; a service of
	// another region shows only when its region is asked for and it
	// supports the call's region.
	regions := unique(p.List("ServiceRegion", false))
	if err := checkRegions(regions); err != nil {
		return nil, err
	}
	if len(regions) == 0 {
		regions = []string{c.Region}
	}
	offered := func(s *Service) bool {
		return slices.ContainsFunc(regions, func(r string) bool { return serviceOffered(c, s, r) })
	}
	wanted := unique(p.List("ServiceName", false))
	for _, n := range wanted {
		if !slices.ContainsFunc(regions, func(r string) bool { return findServiceByName(c, n, r) != nil }) {
			return nil, errServiceNameNotFound(n)
		}
	}
	byName := map[string]*Service{}
	var names []string
	for _, s := range c.w.Services {
		if !offered(s) {
			continue
		}
		if len(wanted) > 0 && !slices.Contains(wanted, s.Name) {
			continue
		}
		var tags []Tag
		if s.Owner == c.Account.ID {
			tags = s.Tags
		}
		if !matchFilters(fs, tags, map[string][]string{
			"service-name": {s.Name}, "service-type": {"Interface"}, "owner": {s.Owner},
			"service-region": {c.w.serviceRegion(s)}, "supported-ip-address-types": s.IPAddressTypes,
		}) {
			continue
		}
		byName[s.Name] = s
		names = append(names, s.Name)
	}
	sort.Strings(names)
	pageNames, next, err := plPage(p, names, 5, 1000, func(string) bool { return true })
	if err != nil {
		return nil, err
	}
	out := describeServicesResponse{NextToken: next, ServiceNames: pageNames}
	for _, n := range pageNames {
		out.ServiceDetails = append(out.ServiceDetails, c.w.serviceDetailXML(byName[n], c.Account))
	}
	return out, nil
}
