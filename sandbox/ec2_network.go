package sandbox

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// matchTags evaluates f if it is a tag filter and reports isTagFilter=false
// otherwise, so the caller falls through to its own filter names. Tag filters
// are the three EC2 has everywhere:
//
//	tag:<key>  a tag with that key whose value matches one of the values
//	tag-key    a tag whose key matches one of the values
//	tag-value  a tag whose value matches one of the values
//
// Values may use EC2's wildcards (* and ?, see matchValue).
func matchTags(tags []Tag, f Filter) (matched, isTagFilter bool) {
	switch {
	case strings.HasPrefix(f.Name, "tag:"):
		key := strings.TrimPrefix(f.Name, "tag:")
		for _, t := range tags {
			if t.Key == key && matchValue(f, t.Value) {
				return true, true
			}
		}
		return false, true
	case f.Name == "tag-key":
		for _, t := range tags {
			if matchValue(f, t.Key) {
				return true, true
			}
		}
		return false, true
	case f.Name == "tag-value":
		for _, t := range tags {
			if matchValue(f, t.Value) {
				return true, true
			}
		}
		return false, true
	}
	return false, false
}

// matchValue reports whether any of the filter's values matches any of vs.
// Filter values may use EC2's wildcards: * is any run of characters, ? one
// character, and a backslash escapes them.
func matchValue(f Filter, vs ...string) bool {
	for _, pat := range f.Values {
		for _, v := range vs {
			if globMatch(pat, v) {
				return true
			}
		}
	}
	return false
}

// globMatch matches v against an EC2 filter pattern.
func globMatch(pat, v string) bool {
	p, s := []rune(pat), []rune(v)
	// Iterative matcher with backtracking to the last star: linear enough for
	// filter values and immune to pathological patterns.
	pi, si, star, mark := 0, 0, -1, 0
	for si < len(s) {
		if pi < len(p) {
			switch {
			case p[pi] == '*':
				star, mark = pi, si
				pi++
				continue
			case p[pi] == '?':
				pi++
				si++
				continue
			case p[pi] == '\\' && pi+1 < len(p):
				if p[pi+1] == s[si] {
					pi += 2
					si++
					continue
				}
			case p[pi] == s[si]:
				pi++
				si++
				continue
			}
		}
		if star < 0 {
			return false
		}
		mark++
		pi, si = star+1, mark
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// checkFilters refuses filter names a Describe action does not know, the way
// EC2 does ("The filter 'x' is invalid"). Tag filters are always known.
func checkFilters(fs []Filter, known ...string) *APIError {
	for _, f := range fs {
		if _, isTag := matchTags(nil, f); isTag {
			if f.Name == "tag:" {
				return errInvalidParameterValue("The filter '%s' is invalid", f.Name)
			}
			continue
		}
		if !slices.Contains(known, f.Name) {
			return errInvalidParameterValue("The filter '%s' is invalid", f.Name)
		}
	}
	return nil
}

// matchFilters reports whether a resource passes every filter (filters AND,
// values of one filter OR). fields maps each filter name the action supports
// to the resource's values for it; tag filters are matched against tags.
// Call checkFilters first: a name in neither place simply does not match.
func matchFilters(fs []Filter, tags []Tag, fields map[string][]string) bool {
	for _, f := range fs {
		if ok, isTag := matchTags(tags, f); isTag {
			if !ok {
				return false
			}
			continue
		}
		if !matchValue(f, fields[f.Name]...) {
			return false
		}
	}
	return true
}

// page cuts one EC2 page out of ids (already filtered and sorted) from the
// request's MaxResults and NextToken. Without MaxResults everything comes
// back in one page, as EC2 does for most Describe actions. min and max bound
// MaxResults the way the action's API reference does (lo..hi, e.g. 5..1000). The
// token is the last ID of the previous page, so deletions between pages do
// not skip or repeat items.
func page(p Params, ids []string, lo, hi int) (out []string, next string, err error) {
	tok := p.Get("NextToken")
	start, tokOK := pageStart(tok, ids)
	if !tokOK {
		return nil, "", errInvalidParameterValue("Invalid value '%s' for nextToken", tok)
	}
	n, ok, perr := p.Int("MaxResults")
	if perr != nil {
		return nil, "", perr
	}
	if !ok {
		return ids[start:], "", nil
	}
	if n < lo || n > hi {
		return nil, "", Errorf(http.StatusBadRequest, "InvalidParameterValue",
			"Value ( %d ) for parameter maxResults is invalid. Expecting a value between %d and %d.", n, lo, hi)
	}
	end := min(start+n, len(ids))
	out = ids[start:end]
	if end < len(ids) {
		next = pageToken(ids[end-1])
	}
	return out, next, nil
}

// pageStart finds where the page after tok begins in sorted ids; ok is false
// for a token the sandbox did not issue. Every paginated action (EC2
// NextToken, ELBv2 Marker) shares this token shape, base64 of "after:<last
// key>", so they all survive deletions between pages the same way.
func pageStart(tok string, ids []string) (start int, ok bool) {
	if tok == "" {
		return 0, true
	}
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	after, found := strings.CutPrefix(string(raw), "after:")
	if err != nil || !found {
		return 0, false
	}
	start, _ = slices.BinarySearch(ids, after)
	if start < len(ids) && ids[start] == after {
		start++
	}
	return start, true
}

// pageToken is the token of the page that follows the one ending at last.
func pageToken(last string) string {
	return base64.RawURLEncoding.EncodeToString([]byte("after:" + last))
}

// idsAndMaxResults refuses a request that names IDs (idParam, e.g. "VpcId")
// and also paginates, which EC2 does not allow for most Describe actions;
// wireName is the parameter as EC2's message spells it (e.g. "vpcIds").
func idsAndMaxResults(p Params, idParam, wireName string) *APIError {
	if len(p.List(idParam, false)) > 0 && p.Has("MaxResults") {
		return Errorf(http.StatusBadRequest, "InvalidParameterCombination",
			"The parameter %s cannot be used with the parameter maxResults", wireName)
	}
	return nil
}

// ---- EC2 networking actions ----

// ec2NetworkHandlers serve the EC2 networking actions (VPCs, subnets,
// security groups, AZs, ENIs, tags).
func ec2NetworkHandlers() map[string]queryHandler {
	return map[string]queryHandler{
		"DescribeVpcs":                  describeVpcs,
		"DescribeVpcAttribute":          describeVpcAttribute,
		"ModifyVpcAttribute":            modifyVpcAttribute,
		"DescribeSubnets":               describeSubnets,
		"DescribeSecurityGroups":        describeSecurityGroups,
		"CreateSecurityGroup":           createSecurityGroup,
		"DeleteSecurityGroup":           deleteSecurityGroup,
		"AuthorizeSecurityGroupIngress": authorizeSecurityGroupIngress,
		"DescribeAvailabilityZones":     describeAvailabilityZones,
		"DescribeNetworkInterfaces":     describeNetworkInterfaces,
		"CreateTags":                    createTags,
		"DeleteTags":                    deleteTags,
	}
}

// netSet is an EC2 list on the wire (<xSet><item>...</item></xSet>); an
// empty one is still written, as EC2 does, so the CLI prints [] for it.
type netSet[T any] struct {
	Items []T `xml:"item"`
}

type netTag struct {
	Key   string `xml:"key"`
	Value string `xml:"value"`
}

// netTags renders tags, or nil (no element) when there are none, as EC2 does.
func netTags(tags []Tag) *netSet[netTag] {
	if len(tags) == 0 {
		return nil
	}
	s := &netSet[netTag]{}
	for _, t := range tags {
		s.Items = append(s.Items, netTag(t))
	}
	return s
}

type netValue struct {
	Value bool `xml:"value"`
}

type netReturn struct {
	Return bool `xml:"return"`
}

// dryRun answers a DryRun=true request the way EC2 does once the caller is
// known to be allowed: with DryRunOperation (412).
func dryRun(c *call) error {
	if v, _, err := c.Params.Bool("DryRun"); err != nil {
		return err
	} else if v {
		return Errorf(http.StatusPreconditionFailed, "DryRunOperation", "Request would have succeeded, but DryRun flag is set.")
	}
	return nil
}

// NotFound and Malformed errors, with EC2's codes and texts.
func errVpcNotFound(id string) *APIError {
	return Errorf(http.StatusBadRequest, "InvalidVpcID.NotFound", "The vpc ID '%s' does not exist", id)
}

func errSubnetNotFound(id string) *APIError {
	return Errorf(http.StatusBadRequest, "InvalidSubnetID.NotFound", "The subnet ID '%s' does not exist", id)
}

func errGroupNotFound(id string) *APIError {
	return Errorf(http.StatusBadRequest, "InvalidGroup.NotFound", "The security group '%s' does not exist", id)
}

func errENINotFound(id string) *APIError {
	return Errorf(http.StatusBadRequest, "InvalidNetworkInterfaceID.NotFound", "The networkInterface ID '%s' does not exist", id)
}

// checkIDShape refuses an ID without its type's prefix, as EC2's
// <Type>.Malformed errors do.
func checkIDShape(id, prefix, code string) *APIError {
	rest, ok := strings.CutPrefix(id, prefix)
	if !ok || rest == "" || strings.Trim(rest, "0123456789abcdef") != "" {
		if code == "InvalidGroupId.Malformed" {
			return Errorf(http.StatusBadRequest, code, "Invalid id: \"%s\" (expecting \"sg-...\")", id)
		}
		return Errorf(http.StatusBadRequest, code, "Invalid id: \"%s\"", id)
	}
	return nil
}

// ---- VPCs ----

type netVpc struct {
	VpcID                   string                     `xml:"vpcId"`
	OwnerID                 string                     `xml:"ownerId"`
	State                   string                     `xml:"state"`
	CidrBlock               string                     `xml:"cidrBlock"`
	CidrBlockAssociationSet netSet[netCidrAssociation] `xml:"cidrBlockAssociationSet"`
	DhcpOptionsID           string                     `xml:"dhcpOptionsId"`
	InstanceTenancy         string                     `xml:"instanceTenancy"`
	IsDefault               bool                       `xml:"isDefault"`
	TagSet                  *netSet[netTag]            `xml:"tagSet,omitempty"`
	// Ipv6CidrBlockAssociationSet is left out for a VPC without IPv6, as
	// EC2 does.
	Ipv6CidrBlockAssociationSet *netSet[netIPv6Association] `xml:"ipv6CidrBlockAssociationSet,omitempty"`
}

// netIPv6Association is a VPC's or subnet's IPv6 block; the pool and
// border group are only a VPC's.
type netIPv6Association struct {
	AssociationID      string   `xml:"associationId"`
	Ipv6CidrBlock      string   `xml:"ipv6CidrBlock"`
	Ipv6CidrBlockState netState `xml:"ipv6CidrBlockState"`
	Ipv6Pool           string   `xml:"ipv6Pool,omitempty"`
	NetworkBorderGroup string   `xml:"networkBorderGroup,omitempty"`
}

type netCidrAssociation struct {
	AssociationID  string   `xml:"associationId"`
	CidrBlock      string   `xml:"cidrBlock"`
	CidrBlockState netState `xml:"cidrBlockState"`
}

type netState struct {
	State string `xml:"state"`
}

type netVpcsResult struct {
	VpcSet    netSet[netVpc] `xml:"vpcSet"`
	NextToken string         `xml:"nextToken,omitempty"`
}

// idSuffix is the hex part of an EC2 ID, for IDs derived from it.
func idSuffix(id string) string {
	_, s, _ := strings.Cut(id, "-")
	return s
}

func netVpcXML(v *VPC) netVpc {
	return netVpc{
		VpcID: v.ID, OwnerID: v.Owner, State: "available", CidrBlock: v.CIDR,
		CidrBlockAssociationSet: netSet[netCidrAssociation]{Items: []netCidrAssociation{{
			AssociationID: "vpc-cidr-assoc-" + idSuffix(v.ID), CidrBlock: v.CIDR,
			CidrBlockState: netState{State: "associated"},
		}}},
		DhcpOptionsID:   "dopt-" + idSuffix(v.ID)[:min(8, len(idSuffix(v.ID)))],
		InstanceTenancy: "default",
		IsDefault:       v.IsDefault,
		TagSet:          netTags(v.Tags),
		Ipv6CidrBlockAssociationSet: ipv6Associations("vpc-cidr-assoc-", v.ID, v.IPv6CIDR, func(a *netIPv6Association) {
			// A block from a pool of one's own (BYOIP or IPAM), not
			// Amazon's: the sandbox's blocks are unique local addresses.
			a.Ipv6Pool, a.NetworkBorderGroup = "ipv6pool-ec2-"+idSuffix(v.ID), ""
		}),
	}
}

// ipv6Associations renders an IPv6 block as its one association, nil
// without one; the association ID is derived from the resource's.
func ipv6Associations(prefix, id, cidr string, more func(*netIPv6Association)) *netSet[netIPv6Association] {
	if cidr == "" {
		return nil
	}
	a := netIPv6Association{AssociationID: prefix + idSuffix(id) + "6", Ipv6CidrBlock: cidr, Ipv6CidrBlockState: netState{State: "associated"}}
	if more != nil {
		more(&a)
	}
	return &netSet[netIPv6Association]{Items: []netIPv6Association{a}}
}

// ownVpc finds one of the caller's VPCs by ID.
func ownVpc(c *call, id string) (*VPC, *APIError) {
	if id == "" {
		return nil, errMissingParameter("VpcId")
	}
	if err := checkIDShape(id, "vpc-", "InvalidVpcID.Malformed"); err != nil {
		return nil, err
	}
	v := c.w.VPCs[id]
	if v == nil || !c.owns(v.Owner, v.Region) {
		return nil, errVpcNotFound(id)
	}
	return v, nil
}

func describeVpcs(c *call) (any, error) {
	fs := c.Params.Filters()
	if err := checkFilters(fs, "vpc-id", "owner-id", "cidr", "cidr-block-association.cidr-block",
		"cidr-block-association.association-id", "cidr-block-association.state", "is-default", "state",
		"dhcp-options-id", "ipv6-cidr-block-association.ipv6-cidr-block"); err != nil {
		return nil, err
	}
	if err := idsAndMaxResults(c.Params, "VpcId", "vpcIds"); err != nil {
		return nil, err
	}
	ids := c.Params.List("VpcId", false)
	for _, id := range ids {
		if _, err := ownVpc(c, id); err != nil {
			return nil, err
		}
	}
	var keys []string
	for _, id := range SortedKeys(c.w.VPCs) {
		v := c.w.VPCs[id]
		if !c.owns(v.Owner, v.Region) || (len(ids) > 0 && !slices.Contains(ids, id)) {
			continue
		}
		x := netVpcXML(v)
		if matchFilters(fs, v.Tags, map[string][]string{
			"vpc-id": {v.ID}, "owner-id": {v.Owner}, "cidr": {v.CIDR},
			"cidr-block-association.cidr-block":           {v.CIDR},
			"cidr-block-association.association-id":       {x.CidrBlockAssociationSet.Items[0].AssociationID},
			"cidr-block-association.state":                {"associated"},
			"is-default":                                  {strconv.FormatBool(v.IsDefault)},
			"state":                                       {"available"},
			"dhcp-options-id":                             {x.DhcpOptionsID},
			"ipv6-cidr-block-association.ipv6-cidr-block": nonEmpty(v.IPv6CIDR),
		}) {
			keys = append(keys, id)
		}
	}
	pg, next, err := page(c.Params, keys, 5, 1000)
	if err != nil {
		return nil, err
	}
	res := netVpcsResult{NextToken: next, VpcSet: netSet[netVpc]{Items: []netVpc{}}}
	for _, id := range pg {
		res.VpcSet.Items = append(res.VpcSet.Items, netVpcXML(c.w.VPCs[id]))
	}
	return res, nil
}

type netVpcAttributeResult struct {
	VpcID              string    `xml:"vpcId"`
	EnableDNSSupport   *netValue `xml:"enableDnsSupport,omitempty"`
	EnableDNSHostnames *netValue `xml:"enableDnsHostnames,omitempty"`
	EnableNAUMetrics   *netValue `xml:"enableNetworkAddressUsageMetrics,omitempty"`
}

func describeVpcAttribute(c *call) (any, error) {
	attr := c.Params.Get("Attribute")
	if attr == "" {
		return nil, errMissingParameter("Attribute")
	}
	v, aerr := ownVpc(c, c.Params.Get("VpcId"))
	if aerr != nil {
		return nil, aerr
	}
	res := netVpcAttributeResult{VpcID: v.ID}
	switch attr {
	case "enableDnsSupport":
		res.EnableDNSSupport = &netValue{v.EnableDNSSupport}
	case "enableDnsHostnames":
		res.EnableDNSHostnames = &netValue{v.EnableDNSHostnames}
	case "enableNetworkAddressUsageMetrics":
		res.EnableNAUMetrics = &netValue{false}
	default:
		return nil, errInvalidParameterValue("Value (%s) for parameter attribute is invalid. Unknown attribute.", attr)
	}
	return res, nil
}

// modifyVpcAttribute changes one DNS attribute per call, as EC2 insists.
func modifyVpcAttribute(c *call) (any, error) {
	support, hasSupport, err := c.Params.Bool("EnableDnsSupport.Value")
	if err != nil {
		return nil, err
	}
	hostnames, hasHostnames, err := c.Params.Bool("EnableDnsHostnames.Value")
	if err != nil {
		return nil, err
	}
	v, aerr := ownVpc(c, c.Params.Get("VpcId"))
	if aerr != nil {
		return nil, aerr
	}
	switch {
	case hasSupport && hasHostnames:
		return nil, Errorf(http.StatusBadRequest, "InvalidParameterCombination",
			"Fields for multiple attribute types specified: enableDnsHostnames, enableDnsSupport")
	case !hasSupport && !hasHostnames:
		return nil, Errorf(http.StatusBadRequest, "MissingParameter",
			"The request must contain exactly one of the parameters: enableDnsSupport, enableDnsHostnames, enableNetworkAddressUsageMetrics")
	}
	if err := dryRun(c); err != nil {
		return nil, err
	}
	if hasHostnames {
		if hostnames && !v.EnableDNSSupport {
			return nil, errInvalidParameterValue("Cannot enable DNS hostnames for VPC '%s': enableDnsSupport is disabled; enable DNS support first.", v.ID)
		}
		c.w.note(c.Now, v.Owner, v.ID+"/enableDnsHostnames", strconv.FormatBool(v.EnableDNSHostnames), strconv.FormatBool(hostnames))
		v.EnableDNSHostnames = hostnames
	} else {
		c.w.note(c.Now, v.Owner, v.ID+"/enableDnsSupport", strconv.FormatBool(v.EnableDNSSupport), strconv.FormatBool(support))
		v.EnableDNSSupport = support
	}
	c.w.recheckVPCDNS(c.Delays(), v, c.Now)
	return netReturn{Return: true}, nil
}

// ---- subnets ----

type netSubnet struct {
	SubnetID                    string          `xml:"subnetId"`
	SubnetArn                   string          `xml:"subnetArn"`
	State                       string          `xml:"state"`
	VpcID                       string          `xml:"vpcId"`
	OwnerID                     string          `xml:"ownerId"`
	CidrBlock                   string          `xml:"cidrBlock"`
	AvailableIPAddressCount     int             `xml:"availableIpAddressCount"`
	AvailabilityZone            string          `xml:"availabilityZone"`
	AvailabilityZoneID          string          `xml:"availabilityZoneId"`
	DefaultForAz                bool            `xml:"defaultForAz"`
	MapPublicIPOnLaunch         bool            `xml:"mapPublicIpOnLaunch"`
	AssignIpv6AddressOnCreation bool            `xml:"assignIpv6AddressOnCreation"`
	TagSet                      *netSet[netTag] `xml:"tagSet,omitempty"`
	// An IPv6-less subnet has an empty set, as EC2 writes it.
	Ipv6CidrBlockAssociationSet netSet[netIPv6Association] `xml:"ipv6CidrBlockAssociationSet"`
	Ipv6Native                  bool                       `xml:"ipv6Native"`
}

type netSubnetsResult struct {
	SubnetSet netSet[netSubnet] `xml:"subnetSet"`
	NextToken string            `xml:"nextToken,omitempty"`
}

// availableIPs counts a subnet's free addresses: a /24 has 251 usable (AWS
// reserves four at the start and the last), minus what ENIs took.
func availableIPs(sn *Subnet) int {
	p, err := netip.ParsePrefix(sn.CIDR)
	if err != nil || !p.Addr().Is4() {
		return 0
	}
	used := max(sn.NextHost, 3) - 3
	return max(subnetSize(p)-5-used, 0)
}

func (c *call) netSubnetXML(sn *Subnet) netSubnet {
	x := netSubnet{
		SubnetID:                sn.ID,
		SubnetArn:               fmt.Sprintf("arn:aws:ec2:%s:%s:subnet/%s", c.w.vpcRegion(sn.VPCID), sn.Owner, sn.ID),
		State:                   "available",
		VpcID:                   sn.VPCID,
		OwnerID:                 sn.Owner,
		CidrBlock:               sn.CIDR,
		AvailableIPAddressCount: availableIPs(sn),
		AvailabilityZone:        c.Account.AZName(sn.AZID),
		AvailabilityZoneID:      sn.AZID,
		TagSet:                  netTags(sn.Tags),
	}
	if set := ipv6Associations("subnet-cidr-assoc-", sn.ID, sn.IPv6CIDR, nil); set != nil {
		x.Ipv6CidrBlockAssociationSet = *set
	}
	return x
}

// nonEmpty is a filter field that has a value only when v is set.
func nonEmpty(v string) []string {
	if v == "" {
		return nil
	}
	return []string{v}
}

func describeSubnets(c *call) (any, error) {
	fs := c.Params.Filters()
	if err := checkFilters(fs, "vpc-id", "subnet-id", "availability-zone", "availability-zone-id",
		"cidr-block", "cidr", "cidrBlock", "state", "owner-id", "default-for-az", "subnet-arn",
		"available-ip-address-count", "ipv6-cidr-block-association.ipv6-cidr-block", "ipv6-native"); err != nil {
		return nil, err
	}
	if err := idsAndMaxResults(c.Params, "SubnetId", "subnetIds"); err != nil {
		return nil, err
	}
	ids := c.Params.List("SubnetId", false)
	for _, id := range ids {
		if err := checkIDShape(id, "subnet-", "InvalidSubnetID.Malformed"); err != nil {
			return nil, err
		}
		if sn := c.w.Subnets[id]; sn == nil || !c.ownsInVPC(sn.Owner, sn.VPCID) {
			return nil, errSubnetNotFound(id)
		}
	}
	var keys []string
	for _, id := range SortedKeys(c.w.Subnets) {
		sn := c.w.Subnets[id]
		if !c.ownsInVPC(sn.Owner, sn.VPCID) || (len(ids) > 0 && !slices.Contains(ids, id)) {
			continue
		}
		x := c.netSubnetXML(sn)
		if matchFilters(fs, sn.Tags, map[string][]string{
			"vpc-id": {sn.VPCID}, "subnet-id": {sn.ID}, "availability-zone": {x.AvailabilityZone},
			"availability-zone-id": {sn.AZID}, "cidr-block": {sn.CIDR}, "cidr": {sn.CIDR}, "cidrBlock": {sn.CIDR},
			"state": {"available"}, "owner-id": {sn.Owner}, "default-for-az": {"false"}, "subnet-arn": {x.SubnetArn},
			"available-ip-address-count":                  {strconv.Itoa(x.AvailableIPAddressCount)},
			"ipv6-cidr-block-association.ipv6-cidr-block": nonEmpty(sn.IPv6CIDR),
			"ipv6-native": {"false"},
		}) {
			keys = append(keys, id)
		}
	}
	pg, next, err := page(c.Params, keys, 5, 1000)
	if err != nil {
		return nil, err
	}
	res := netSubnetsResult{NextToken: next, SubnetSet: netSet[netSubnet]{Items: []netSubnet{}}}
	for _, id := range pg {
		res.SubnetSet.Items = append(res.SubnetSet.Items, c.netSubnetXML(c.w.Subnets[id]))
	}
	return res, nil
}

// ---- security groups ----

type netSecurityGroup struct {
	OwnerID             string                `xml:"ownerId"`
	GroupID             string                `xml:"groupId"`
	GroupName           string                `xml:"groupName"`
	GroupDescription    string                `xml:"groupDescription"`
	VpcID               string                `xml:"vpcId"`
	SecurityGroupArn    string                `xml:"securityGroupArn"`
	IPPermissions       netSet[netPermission] `xml:"ipPermissions"`
	IPPermissionsEgress netSet[netPermission] `xml:"ipPermissionsEgress"`
	TagSet              *netSet[netTag]       `xml:"tagSet,omitempty"`
}

type netPermission struct {
	IPProtocol    string               `xml:"ipProtocol"`
	FromPort      *int32               `xml:"fromPort,omitempty"`
	ToPort        *int32               `xml:"toPort,omitempty"`
	Groups        netSet[netGroupPair] `xml:"groups"`
	IPRanges      netSet[netIPRange]   `xml:"ipRanges"`
	Ipv6Ranges    netSet[netIPv6Range] `xml:"ipv6Ranges"`
	PrefixListIDs netSet[struct{}]     `xml:"prefixListIds"`
}

type netGroupPair struct {
	UserID      string `xml:"userId"`
	GroupID     string `xml:"groupId"`
	Description string `xml:"description,omitempty"`
}

type netIPRange struct {
	CidrIP      string `xml:"cidrIp"`
	Description string `xml:"description,omitempty"`
}

type netIPv6Range struct {
	CidrIPv6    string `xml:"cidrIpv6"`
	Description string `xml:"description,omitempty"`
}

type netSecurityGroupsResult struct {
	SecurityGroupInfo netSet[netSecurityGroup] `xml:"securityGroupInfo"`
	NextToken         string                   `xml:"nextToken,omitempty"`
}

func (c *call) sgARN(sg *SecurityGroup) string {
	return fmt.Sprintf("arn:aws:ec2:%s:%s:security-group/%s", c.w.vpcRegion(sg.VPCID), sg.Owner, sg.ID)
}

// netPermissions folds rules into EC2's IpPermissions: one per protocol and
// port range, carrying all its CIDRs and groups.
func (c *call) netPermissions(rules []SGRule) netSet[netPermission] {
	out := netSet[netPermission]{Items: []netPermission{}}
	index := map[string]int{}
	for _, r := range rules {
		key := fmt.Sprintf("%s/%d/%d", r.Protocol, r.FromPort, r.ToPort)
		i, ok := index[key]
		if !ok {
			p := netPermission{IPProtocol: r.Protocol}
			if r.Protocol != "-1" {
				from, to := r.FromPort, r.ToPort
				p.FromPort, p.ToPort = &from, &to
			}
			p.Groups.Items = []netGroupPair{}
			p.IPRanges.Items = []netIPRange{}
			p.Ipv6Ranges.Items = []netIPv6Range{}
			out.Items = append(out.Items, p)
			i = len(out.Items) - 1
			index[key] = i
		}
		p := &out.Items[i]
		for _, cidr := range r.CIDRs {
			// A rule's CIDRs hold both families; the wire splits them.
			if strings.Contains(cidr, ":") {
				p.Ipv6Ranges.Items = append(p.Ipv6Ranges.Items, netIPv6Range{CidrIPv6: cidr, Description: r.Description})
				continue
			}
			p.IPRanges.Items = append(p.IPRanges.Items, netIPRange{CidrIP: cidr, Description: r.Description})
		}
		for _, g := range r.GroupIDs {
			owner := c.Account.ID
			if sg := c.w.SecurityGroups[g]; sg != nil {
				owner = sg.Owner
			}
			p.Groups.Items = append(p.Groups.Items, netGroupPair{UserID: owner, GroupID: g, Description: r.Description})
		}
	}
	return out
}

func (c *call) netSecurityGroupXML(sg *SecurityGroup) netSecurityGroup {
	return netSecurityGroup{
		OwnerID: sg.Owner, GroupID: sg.ID, GroupName: sg.Name, GroupDescription: sg.Description,
		VpcID: sg.VPCID, SecurityGroupArn: c.sgARN(sg),
		IPPermissions:       c.netPermissions(sg.Ingress),
		IPPermissionsEgress: c.netPermissions(sg.Egress),
		TagSet:              netTags(sg.Tags),
	}
}

// ownGroup finds one of the caller's security groups by ID, hiding one
// created inside the eventual-consistency window.
func ownGroup(c *call, id string) (*SecurityGroup, *APIError) {
	if err := checkIDShape(id, "sg-", "InvalidGroupId.Malformed"); err != nil {
		return nil, err
	}
	sg := c.w.SecurityGroups[id]
	if sg == nil || !c.ownsInVPC(sg.Owner, sg.VPCID) || !c.Visible(sg.CreatedAt) {
		return nil, errGroupNotFound(id)
	}
	return sg, nil
}

// groupByName finds the caller's group by name. EC2 resolves names only in
// the default VPC; the sandbox world has none, so it looks in all of the
// caller's VPCs and refuses an ambiguous name.
func groupByName(c *call, name string) (*SecurityGroup, *APIError) {
	var found *SecurityGroup
	for _, id := range SortedKeys(c.w.SecurityGroups) {
		sg := c.w.SecurityGroups[id]
		if c.ownsInVPC(sg.Owner, sg.VPCID) && sg.Name == name && c.Visible(sg.CreatedAt) {
			if found != nil {
				return nil, errInvalidParameterValue("The security group name '%s' is ambiguous: it exists in more than one VPC; use the group ID", name)
			}
			found = sg
		}
	}
	if found == nil {
		return nil, errGroupNotFound(name)
	}
	return found, nil
}

func describeSecurityGroups(c *call) (any, error) {
	fs := c.Params.Filters()
	if err := checkFilters(fs, "vpc-id", "group-id", "group-name", "description", "owner-id"); err != nil {
		return nil, err
	}
	if err := idsAndMaxResults(c.Params, "GroupId", "groupIds"); err != nil {
		return nil, err
	}
	ids := c.Params.List("GroupId", false)
	for _, id := range ids {
		if _, err := ownGroup(c, id); err != nil {
			return nil, err
		}
	}
	for _, name := range c.Params.List("GroupName", false) {
		sg, err := groupByName(c, name)
		if err != nil {
			return nil, err
		}
		ids = append(ids, sg.ID)
	}
	var keys []string
	for _, id := range SortedKeys(c.w.SecurityGroups) {
		sg := c.w.SecurityGroups[id]
		if !c.ownsInVPC(sg.Owner, sg.VPCID) || !c.Visible(sg.CreatedAt) || (len(ids) > 0 && !slices.Contains(ids, id)) {
			continue
		}
		if matchFilters(fs, sg.Tags, map[string][]string{
			"vpc-id": {sg.VPCID}, "group-id": {sg.ID}, "group-name": {sg.Name},
			"description": {sg.Description}, "owner-id": {sg.Owner},
		}) {
			keys = append(keys, id)
		}
	}
	pg, next, err := page(c.Params, keys, 5, 1000)
	if err != nil {
		return nil, err
	}
	res := netSecurityGroupsResult{NextToken: next, SecurityGroupInfo: netSet[netSecurityGroup]{Items: []netSecurityGroup{}}}
	for _, id := range pg {
		res.SecurityGroupInfo.Items = append(res.SecurityGroupInfo.Items, c.netSecurityGroupXML(c.w.SecurityGroups[id]))
	}
	return res, nil
}

type netCreateSecurityGroupResult struct {
	Return           bool            `xml:"return"`
	GroupID          string          `xml:"groupId"`
	TagSet           *netSet[netTag] `xml:"tagSet,omitempty"`
	SecurityGroupArn string          `xml:"securityGroupArn"`
}

// checkTags validates tags as EC2 does for CreateTags and TagSpecifications.
func checkTags(tags []Tag) *APIError {
	for _, t := range tags {
		switch {
		case t.Key == "":
			return errInvalidParameterValue("Tag key cannot be empty")
		case len(t.Key) > 128:
			return errInvalidParameterValue("Tag key exceeds the maximum length of 128 characters")
		case len(t.Value) > 256:
			return errInvalidParameterValue("Tag value exceeds the maximum length of 256 characters")
		case strings.HasPrefix(strings.ToLower(t.Key), "aws:"):
			return errInvalidParameterValue("Value ( %s ) for parameter key is invalid. Tag keys starting with 'aws:' are reserved for internal use", t.Key)
		}
	}
	return nil
}

// setTags merges tags into a tag list (same key: the value is replaced),
// refusing more than EC2's 50 tags per resource.
func setTags(list *[]Tag, tags []Tag) *APIError {
	merged := slices.Clone(*list)
	for _, t := range tags {
		i := slices.IndexFunc(merged, func(x Tag) bool { return x.Key == t.Key })
		if i >= 0 {
			merged[i].Value = t.Value
		} else {
			merged = append(merged, t)
		}
	}
	if len(merged) > 50 {
		return Errorf(http.StatusBadRequest, "TagLimitExceeded", "The maximum number of tags per resource (50) has been exceeded")
	}
	*list = merged
	return nil
}

type deleteSecurityGroupResponse struct {
	Return  bool   `xml:"return"`
	GroupID string `xml:"groupId"`
}

// deleteSecurityGroup refuses the VPC's default group and a group an
// endpoint (or another group's rule) still uses, as EC2 does.
func deleteSecurityGroup(c *call) (any, error) {
	id := c.Params.Get("GroupId")
	if id == "" {
		return nil, errMissingParameter("GroupId")
	}
	sg, aerr := ownGroup(c, id)
	if aerr != nil {
		return nil, aerr
	}
	if sg.Name == "default" {
		return nil, Errorf(http.StatusBadRequest, "CannotDelete", "the specified group: \"%s\" name: \"default\" cannot be deleted by a user", id)
	}
	for _, e := range c.w.Endpoints {
		if slices.Contains(e.SecurityGroupIDs, id) {
			return nil, Errorf(http.StatusBadRequest, "DependencyViolation", "resource %s has a dependent object", id)
		}
	}
	for _, other := range c.w.SecurityGroups {
		if other.ID == id {
			continue
		}
		for _, r := range append(slices.Clone(other.Ingress), other.Egress...) {
			if slices.Contains(r.GroupIDs, id) {
				return nil, Errorf(http.StatusBadRequest, "DependencyViolation", "resource %s has a dependent object", id)
			}
		}
	}
	if err := dryRun(c); err != nil {
		return nil, err
	}
	delete(c.w.SecurityGroups, id)
	return deleteSecurityGroupResponse{Return: true, GroupID: id}, nil
}

func createSecurityGroup(c *call) (any, error) {
	name := c.Params.Get("GroupName")
	desc := c.Params.Get("GroupDescription")
	switch {
	case name == "":
		return nil, errMissingParameter("GroupName")
	case desc == "":
		return nil, errMissingParameter("GroupDescription")
	case len(name) > 255 || len(desc) > 255:
		return nil, errInvalidParameterValue("Group name and description may be at most 255 characters long")
	case strings.HasPrefix(strings.ToLower(name), "sg-"):
		return nil, errInvalidParameterValue("Group names may not be in the format sg-*.")
	case name == "default":
		return nil, Errorf(http.StatusBadRequest, "InvalidGroup.Reserved", "The security group 'default' is reserved")
	}
	vpcID := c.Params.Get("VpcId")
	if vpcID == "" {
		return nil, Errorf(http.StatusBadRequest, "VPCIdNotSpecified", "No default VPC for this user")
	}
	vpc, aerr := ownVpc(c, vpcID)
	if aerr != nil {
		return nil, aerr
	}
	for _, sg := range c.w.SecurityGroups {
		if sg.VPCID == vpc.ID && sg.Name == name {
			return nil, Errorf(http.StatusBadRequest, "InvalidGroup.Duplicate", "The security group '%s' already exists for VPC '%s'", name, vpc.ID)
		}
	}
	for _, i := range c.Params.Indexes("TagSpecification") {
		if rt := c.Params.Get(fmt.Sprintf("TagSpecification.%d.ResourceType", i)); rt != "security-group" {
			return nil, errInvalidParameterValue("'%s' is not a valid taggable resource type for this operation.", rt)
		}
	}
	tags := c.Params.TagSpecs("security-group")
	if err := checkTags(tags); err != nil {
		return nil, err
	}
	if err := dryRun(c); err != nil {
		return nil, err
	}
	sg := &SecurityGroup{
		ID: c.w.NewID("sg-"), Owner: c.Account.ID, VPCID: vpc.ID, Name: name, Description: desc,
		CreatedAt: c.Now,
	}
	if err := setTags(&sg.Tags, tags); err != nil {
		return nil, err
	}
	// A new group allows all egress and no ingress, as in EC2.
	sg.Egress = []SGRule{{RuleID: c.w.NewID("sgr-"), Protocol: "-1", CIDRs: []string{"0.0.0.0/0"}}}
	c.w.SecurityGroups[sg.ID] = sg
	return netCreateSecurityGroupResult{Return: true, GroupID: sg.ID, TagSet: netTags(sg.Tags), SecurityGroupArn: c.sgARN(sg)}, nil
}

type netSecurityGroupRule struct {
	SecurityGroupRuleID  string           `xml:"securityGroupRuleId"`
	GroupID              string           `xml:"groupId"`
	GroupOwnerID         string           `xml:"groupOwnerId"`
	IsEgress             bool             `xml:"isEgress"`
	IPProtocol           string           `xml:"ipProtocol"`
	FromPort             int32            `xml:"fromPort"`
	ToPort               int32            `xml:"toPort"`
	CidrIpv4             string           `xml:"cidrIpv4,omitempty"`
	CidrIpv6             string           `xml:"cidrIpv6,omitempty"`
	ReferencedGroupInfo  *netReferencedSG `xml:"referencedGroupInfo,omitempty"`
	Description          string           `xml:"description,omitempty"`
	SecurityGroupRuleArn string           `xml:"securityGroupRuleArn"`
	TagSet               *netSet[netTag]  `xml:"tagSet,omitempty"`
}

type netReferencedSG struct {
	GroupID string `xml:"groupId"`
	UserID  string `xml:"userId"`
}

type netAuthorizeResult struct {
	Return               bool                         `xml:"return"`
	SecurityGroupRuleSet netSet[netSecurityGroupRule] `xml:"securityGroupRuleSet"`
}

// protocolName normalises an IpProtocol value: EC2 takes names or numbers
// and stores tcp, udp, icmp, icmpv6 or -1 (all).
func protocolName(p string) (string, *APIError) {
	switch strings.ToLower(p) {
	case "tcp", "6":
		return "tcp", nil
	case "udp", "17":
		return "udp", nil
	case "icmp", "1":
		return "icmp", nil
	case "icmpv6", "58":
		return "icmpv6", nil
	case "-1", "all":
		return "-1", nil
	case "":
		return "", errMissingParameter("IpPermissions.IpProtocol")
	}
	return "", errInvalidParameterValue("Invalid value '%s' for IP protocol. Unknown protocol.", p)
}

// permissionRequest is one requested IpPermission, flattened to one rule per
// CIDR or group, which is how EC2 counts rules.
type permissionRequest struct {
	protocol      string
	from, to      int32
	cidrs, groups []string
	descs         map[string]string
	ipv6          map[string]bool // the cidrs given as Ipv6Ranges
}

func parsePermissions(c *call) ([]permissionRequest, *APIError) {
	p := c.Params
	var out []permissionRequest
	parsePorts := func(base string, proto string) (int32, int32, *APIError) {
		if proto == "-1" {
			return -1, -1, nil
		}
		from, fok, ferr := p.Int(base + "FromPort")
		to, tok, terr := p.Int(base + "ToPort")
		if ferr != nil || terr != nil {
			return 0, 0, errInvalidParameterValue("Invalid port range")
		}
		if proto == "icmp" || proto == "icmpv6" {
			if !fok {
				from = -1
			}
			if !tok {
				to = -1
			}
			return int32(from), int32(to), nil
		}
		if !fok || !tok {
			return 0, 0, errInvalidParameterValue("Invalid value 'null' for %s port. You must specify both FromPort and ToPort for protocol %s.", strings.ToUpper(proto), proto)
		}
		if from < 0 || from > 65535 || to < 0 || to > 65535 || from > to {
			return 0, 0, errInvalidParameterValue("Invalid %s port range %d-%d", strings.ToUpper(proto), from, to)
		}
		return int32(from), int32(to), nil
	}
	for _, i := range p.Indexes("IpPermissions") {
		base := fmt.Sprintf("IpPermissions.%d.", i)
		proto, err := protocolName(p.Get(base + "IpProtocol"))
		if err != nil {
			return nil, err
		}
		from, to, err := parsePorts(base, proto)
		if err != nil {
			return nil, err
		}
		pr := permissionRequest{protocol: proto, from: from, to: to, descs: map[string]string{}, ipv6: map[string]bool{}}
		for _, j := range p.Indexes(base + "IpRanges") {
			rb := fmt.Sprintf("%sIpRanges.%d.", base, j)
			cidr := p.Get(rb + "CidrIp")
			pr.cidrs = append(pr.cidrs, cidr)
			pr.descs[cidr] = p.Get(rb + "Description")
		}
		for _, j := range p.Indexes(base + "Ipv6Ranges") {
			rb := fmt.Sprintf("%sIpv6Ranges.%d.", base, j)
			cidr := p.Get(rb + "CidrIpv6")
			pr.cidrs = append(pr.cidrs, cidr)
			pr.descs[cidr] = p.Get(rb + "Description")
			pr.ipv6[cidr] = true
		}
		for _, j := range p.Indexes(base + "Groups") {
			gb := fmt.Sprintf("%sGroups.%d.", base, j)
			g := p.Get(gb + "GroupId")
			if g == "" && p.Get(gb+"GroupName") != "" {
				sg, gerr := groupByName(c, p.Get(gb+"GroupName"))
				if gerr != nil {
					return nil, gerr
				}
				g = sg.ID
			}
			pr.groups = append(pr.groups, g)
			pr.descs[g] = p.Get(gb + "Description")
		}
		out = append(out, pr)
	}
	// The older flat form: IpProtocol, FromPort, ToPort, CidrIp.
	if p.Has("IpProtocol") || p.Has("CidrIp") {
		proto, err := protocolName(p.Get("IpProtocol"))
		if err != nil {
			return nil, err
		}
		from, to, err := parsePorts("", proto)
		if err != nil {
			return nil, err
		}
		pr := permissionRequest{protocol: proto, from: from, to: to, descs: map[string]string{}}
		if cidr := p.Get("CidrIp"); cidr != "" {
			pr.cidrs = []string{cidr}
		}
		out = append(out, pr)
	}
	if len(out) == 0 {
		return nil, errMissingParameter("IpPermissions")
	}
	for _, pr := range out {
		if len(pr.cidrs) == 0 && len(pr.groups) == 0 {
			return nil, errInvalidParameterValue("Each IpPermission must specify at least one IpRange or UserIdGroupPair")
		}
		for _, cidr := range pr.cidrs {
			pfx, perr := netip.ParsePrefix(cidr)
			if perr != nil || pfx.Addr().Is4() == pr.ipv6[cidr] || pfx.Addr().Zone() != "" || pfx != pfx.Masked() {
				return nil, errInvalidParameterValue("CIDR block %s is malformed", cidr)
			}
		}
		for _, g := range pr.groups {
			if err := checkIDShape(g, "sg-", "InvalidGroupId.Malformed"); err != nil {
				return nil, err
			}
			if c.w.SecurityGroups[g] == nil {
				return nil, errGroupNotFound(g)
			}
		}
	}
	return out, nil
}

// ruleText is how EC2 describes a rule in InvalidPermission.Duplicate.
func ruleText(peer, proto string, from, to int32) string {
	if proto == "-1" {
		return fmt.Sprintf("peer: %s, ALL, ALLOW", peer)
	}
	return fmt.Sprintf("peer: %s, %s, from port: %d, to port: %d, ALLOW", peer, strings.ToUpper(proto), from, to)
}

func sameRule(r SGRule, proto string, from, to int32, cidr, group string) bool {
	if r.Protocol != proto || (proto != "-1" && (r.FromPort != from || r.ToPort != to)) {
		return false
	}
	return (cidr != "" && slices.Contains(r.CIDRs, cidr)) || (group != "" && slices.Contains(r.GroupIDs, group))
}

// groupParam is the call's own security group, named by GroupId or, as
// EC2 still takes for default-VPC groups, GroupName.
func groupParam(c *call) (*SecurityGroup, *APIError) {
	switch {
	case c.Params.Get("GroupId") != "":
		return ownGroup(c, c.Params.Get("GroupId"))
	case c.Params.Get("GroupName") != "":
		return groupByName(c, c.Params.Get("GroupName"))
	}
	return nil, errMissingParameter("GroupId")
}

func authorizeSecurityGroupIngress(c *call) (any, error) {
	sg, aerr := groupParam(c)
	if aerr != nil {
		return nil, aerr
	}
	perms, aerr := parsePermissions(c)
	if aerr != nil {
		return nil, aerr
	}
	tags := c.Params.TagSpecs("security-group-rule")
	if err := checkTags(tags); err != nil {
		return nil, err
	}
	// Refuse duplicates (of existing rules, or within the request) before
	// changing anything: EC2 applies all or nothing.
	var add []SGRule
	for _, pr := range perms {
		type peer struct{ cidr, group string }
		var peers []peer
		for _, cidr := range pr.cidrs {
			peers = append(peers, peer{cidr: cidr})
		}
		for _, g := range pr.groups {
			peers = append(peers, peer{group: g})
		}
		for _, pe := range peers {
			for _, r := range append(slices.Clone(sg.Ingress), add...) {
				if sameRule(r, pr.protocol, pr.from, pr.to, pe.cidr, pe.group) {
					return nil, Errorf(http.StatusBadRequest, "InvalidPermission.Duplicate",
						"the specified rule \"%s\" already exists", ruleText(pe.cidr+pe.group, pr.protocol, pr.from, pr.to))
				}
			}
			r := SGRule{Protocol: pr.protocol, FromPort: pr.from, ToPort: pr.to, Description: pr.descs[pe.cidr+pe.group]}
			if pe.cidr != "" {
				r.CIDRs = []string{pe.cidr}
			} else {
				r.GroupIDs = []string{pe.group}
			}
			add = append(add, r)
		}
	}
	if err := dryRun(c); err != nil {
		return nil, err
	}
	res := netAuthorizeResult{Return: true, SecurityGroupRuleSet: netSet[netSecurityGroupRule]{Items: []netSecurityGroupRule{}}}
	for _, r := range add {
		r.RuleID = c.w.NewID("sgr-")
		sg.Ingress = append(sg.Ingress, r)
		x := netSecurityGroupRule{
			SecurityGroupRuleID: r.RuleID, GroupID: sg.ID, GroupOwnerID: sg.Owner,
			IPProtocol: r.Protocol, FromPort: r.FromPort, ToPort: r.ToPort, Description: r.Description,
			SecurityGroupRuleArn: fmt.Sprintf("arn:aws:ec2:%s:%s:security-group-rule/%s", c.w.vpcRegion(sg.VPCID), sg.Owner, r.RuleID),
			TagSet:               netTags(tags),
		}
		switch {
		case len(r.CIDRs) > 0 && strings.Contains(r.CIDRs[0], ":"):
			x.CidrIpv6 = r.CIDRs[0]
		case len(r.CIDRs) > 0:
			x.CidrIpv4 = r.CIDRs[0]
		default:
			ref := c.w.SecurityGroups[r.GroupIDs[0]]
			x.ReferencedGroupInfo = &netReferencedSG{GroupID: ref.ID, UserID: ref.Owner}
		}
		res.SecurityGroupRuleSet.Items = append(res.SecurityGroupRuleSet.Items, x)
	}
	return res, nil
}

// ---- availability zones ----

type netAZ struct {
	ZoneName           string           `xml:"zoneName"`
	ZoneState          string           `xml:"zoneState"`
	RegionName         string           `xml:"regionName"`
	ZoneID             string           `xml:"zoneId"`
	ZoneType           string           `xml:"zoneType"`
	OptInStatus        string           `xml:"optInStatus"`
	GroupName          string           `xml:"groupName"`
	NetworkBorderGroup string           `xml:"networkBorderGroup"`
	MessageSet         netSet[struct{}] `xml:"messageSet"`
}

type netAZResult struct {
	AvailabilityZoneInfo netSet[netAZ] `xml:"availabilityZoneInfo"`
}

// describeAvailabilityZones lists the region's zones in the caller's names,
// sorted by name as EC2 does, with the AZ IDs that are the same for everyone.
func describeAvailabilityZones(c *call) (any, error) {
	fs := c.Params.Filters()
	if err := checkFilters(fs, "zone-id", "zone-name", "region-name", "state", "zone-type",
		"group-name", "opt-in-status", "network-border-group"); err != nil {
		return nil, err
	}
	names := c.Params.List("ZoneName", false)
	zoneIDs := c.Params.List("ZoneId", false)
	azIDs := c.w.AZIDsIn(c.Region)
	for _, n := range names {
		if !slices.Contains(azIDs, c.Account.AZID(n)) {
			return nil, errInvalidParameterValue("Invalid availability zone: [%s]", n)
		}
	}
	for _, id := range zoneIDs {
		if !slices.Contains(azIDs, id) {
			return nil, errInvalidParameterValue("Invalid availability zone: [%s]", id)
		}
	}
	res := netAZResult{AvailabilityZoneInfo: netSet[netAZ]{Items: []netAZ{}}}
	for _, id := range azIDs {
		az := netAZ{
			ZoneName: c.Account.AZName(id), ZoneState: "available", RegionName: c.Region, ZoneID: id,
			ZoneType: "availability-zone", OptInStatus: "opt-in-not-required",
			GroupName: c.Region, NetworkBorderGroup: c.Region,
			MessageSet: netSet[struct{}]{Items: []struct{}{}},
		}
		if (len(names) > 0 || len(zoneIDs) > 0) && !slices.Contains(names, az.ZoneName) && !slices.Contains(zoneIDs, id) {
			continue
		}
		if !matchFilters(fs, nil, map[string][]string{
			"zone-id": {id}, "zone-name": {az.ZoneName}, "region-name": {az.RegionName}, "state": {"available"},
			"zone-type": {az.ZoneType}, "group-name": {az.GroupName}, "opt-in-status": {az.OptInStatus},
			"network-border-group": {az.NetworkBorderGroup},
		}) {
			continue
		}
		res.AvailabilityZoneInfo.Items = append(res.AvailabilityZoneInfo.Items, az)
	}
	slices.SortFunc(res.AvailabilityZoneInfo.Items, func(a, b netAZ) int { return strings.Compare(a.ZoneName, b.ZoneName) })
	return res, nil
}

// ---- network interfaces ----

type netENI struct {
	NetworkInterfaceID    string                 `xml:"networkInterfaceId"`
	SubnetID              string                 `xml:"subnetId"`
	VpcID                 string                 `xml:"vpcId"`
	AvailabilityZone      string                 `xml:"availabilityZone"`
	AvailabilityZoneID    string                 `xml:"availabilityZoneId"`
	Description           string                 `xml:"description"`
	OwnerID               string                 `xml:"ownerId"`
	RequesterID           string                 `xml:"requesterId,omitempty"`
	RequesterManaged      bool                   `xml:"requesterManaged"`
	Status                string                 `xml:"status"`
	MacAddress            string                 `xml:"macAddress"`
	PrivateIPAddress      string                 `xml:"privateIpAddress"`
	PrivateDNSName        string                 `xml:"privateDnsName"`
	SourceDestCheck       bool                   `xml:"sourceDestCheck"`
	GroupSet              netSet[netGroupIdent]  `xml:"groupSet"`
	InterfaceType         string                 `xml:"interfaceType"`
	PrivateIPAddressesSet netSet[netPrivateAddr] `xml:"privateIpAddressesSet"`
	Ipv6AddressesSet      netSet[netIPv6Addr]    `xml:"ipv6AddressesSet"`
	TagSet                *netSet[netTag]        `xml:"tagSet,omitempty"`
}

type netIPv6Addr struct {
	Ipv6Address   string `xml:"ipv6Address"`
	IsPrimaryIpv6 bool   `xml:"isPrimaryIpv6"`
}

type netGroupIdent struct {
	GroupID   string `xml:"groupId"`
	GroupName string `xml:"groupName"`
}

type netPrivateAddr struct {
	PrivateIPAddress string `xml:"privateIpAddress"`
	PrivateDNSName   string `xml:"privateDnsName"`
	Primary          bool   `xml:"primary"`
}

type netENIsResult struct {
	NetworkInterfaceSet netSet[netENI] `xml:"networkInterfaceSet"`
	NextToken           string         `xml:"nextToken,omitempty"`
}

// eniDNSName is the private DNS name EC2 gives an address: ip-a-b-c-d.ec2.internal
// in us-east-1, ip-a-b-c-d.<region>.compute.internal elsewhere.
func eniDNSName(region, ip string) string {
	host := "ip-" + strings.ReplaceAll(ip, ".", "-")
	if region == "us-east-1" {
		return host + ".ec2.internal"
	}
	return host + "." + region + ".compute.internal"
}

func (c *call) netENIXML(e *ENI) netENI {
	dns := eniDNSName(c.w.vpcRegion(e.VPCID), e.PrivateIP)
	// A stable locally administered MAC from the ENI ID.
	sfx := idSuffix(e.ID) + "000000000000"
	mac := fmt.Sprintf("0e:%s:%s:%s:%s:%s", sfx[0:2], sfx[2:4], sfx[4:6], sfx[6:8], sfx[8:10])
	x := netENI{
		NetworkInterfaceID: e.ID, SubnetID: e.SubnetID, VpcID: e.VPCID,
		AvailabilityZone: c.Account.AZName(e.AZID), AvailabilityZoneID: e.AZID,
		Description: e.Description, OwnerID: e.Owner, Status: e.Status, MacAddress: mac,
		PrivateIPAddress: e.PrivateIP, PrivateDNSName: dns, SourceDestCheck: true,
		InterfaceType: e.InterfaceType,
		GroupSet:      netSet[netGroupIdent]{Items: []netGroupIdent{}},
		PrivateIPAddressesSet: netSet[netPrivateAddr]{Items: []netPrivateAddr{{
			PrivateIPAddress: e.PrivateIP, PrivateDNSName: dns, Primary: true,
		}}},
		TagSet: netTags(e.Tags),
	}
	if e.IPv6 != "" {
		x.Ipv6AddressesSet.Items = []netIPv6Addr{{Ipv6Address: e.IPv6}}
	}
	switch e.InterfaceType {
	case "vpc_endpoint":
		// AWS creates these on the owner's behalf.
		x.RequesterManaged = true
	case "network_load_balancer":
		x.RequesterManaged = true
		x.RequesterID = "amazon-elb"
	}
	for _, g := range e.SecurityGroupIDs {
		gi := netGroupIdent{GroupID: g}
		if sg := c.w.SecurityGroups[g]; sg != nil {
			gi.GroupName = sg.Name
		}
		x.GroupSet.Items = append(x.GroupSet.Items, gi)
	}
	return x
}

func describeNetworkInterfaces(c *call) (any, error) {
	fs := c.Params.Filters()
	if err := checkFilters(fs, "network-interface-id", "vpc-id", "subnet-id", "description",
		"interface-type", "owner-id", "status", "availability-zone", "private-ip-address",
		"addresses.private-ip-address", "group-id", "requester-managed"); err != nil {
		return nil, err
	}
	if err := idsAndMaxResults(c.Params, "NetworkInterfaceId", "networkInterfaceIds"); err != nil {
		return nil, err
	}
	ids := c.Params.List("NetworkInterfaceId", false)
	for _, id := range ids {
		if err := checkIDShape(id, "eni-", "InvalidNetworkInterfaceID.Malformed"); err != nil {
			return nil, err
		}
		if e := c.w.ENIs[id]; e == nil || !c.ownsInVPC(e.Owner, e.VPCID) {
			return nil, errENINotFound(id)
		}
	}
	var keys []string
	for _, id := range SortedKeys(c.w.ENIs) {
		e := c.w.ENIs[id]
		if !c.ownsInVPC(e.Owner, e.VPCID) || (len(ids) > 0 && !slices.Contains(ids, id)) {
			continue
		}
		x := c.netENIXML(e)
		if matchFilters(fs, e.Tags, map[string][]string{
			"network-interface-id": {e.ID}, "vpc-id": {e.VPCID}, "subnet-id": {e.SubnetID},
			"description": {e.Description}, "interface-type": {e.InterfaceType}, "owner-id": {e.Owner},
			"status": {e.Status}, "availability-zone": {x.AvailabilityZone},
			"private-ip-address": {e.PrivateIP}, "addresses.private-ip-address": {e.PrivateIP},
			"group-id": e.SecurityGroupIDs, "requester-managed": {strconv.FormatBool(x.RequesterManaged)},
		}) {
			keys = append(keys, id)
		}
	}
	pg, next, err := page(c.Params, keys, 5, 1000)
	if err != nil {
		return nil, err
	}
	res := netENIsResult{NextToken: next, NetworkInterfaceSet: netSet[netENI]{Items: []netENI{}}}
	for _, id := range pg {
		res.NetworkInterfaceSet.Items = append(res.NetworkInterfaceSet.Items, c.netENIXML(c.w.ENIs[id]))
	}
	return res, nil
}

// ---- tags ----

// taggable finds the tag list of any of the caller's resources by ID, with
// the NotFound error EC2 gives for that resource type.
func taggable(c *call, id string) (*[]Tag, *APIError) {
	var tags *[]Tag
	var owner, region string
	var notFound *APIError
	switch {
	case strings.HasPrefix(id, "vpc-"):
		notFound = errVpcNotFound(id)
		if v := c.w.VPCs[id]; v != nil {
			tags, owner, region = &v.Tags, v.Owner, v.Region
		}
	case strings.HasPrefix(id, "subnet-"):
		notFound = errSubnetNotFound(id)
		if s := c.w.Subnets[id]; s != nil {
			tags, owner, region = &s.Tags, s.Owner, c.w.vpcRegion(s.VPCID)
		}
	case strings.HasPrefix(id, "sg-"):
		notFound = errGroupNotFound(id)
		if g := c.w.SecurityGroups[id]; g != nil && c.Visible(g.CreatedAt) {
			tags, owner, region = &g.Tags, g.Owner, c.w.vpcRegion(g.VPCID)
		}
	case strings.HasPrefix(id, "eni-"):
		notFound = errENINotFound(id)
		if e := c.w.ENIs[id]; e != nil {
			tags, owner, region = &e.Tags, e.Owner, c.w.vpcRegion(e.VPCID)
		}
	case strings.HasPrefix(id, "vpce-svc-"):
		notFound = errServiceIDNotFound(id)
		if s := c.w.Services[id]; s != nil {
			tags, owner, region = &s.Tags, s.Owner, c.w.serviceRegion(s)
		}
	case strings.HasPrefix(id, "vpce-"):
		notFound = errEndpointIDNotFound(id)
		if e := c.w.Endpoints[id]; e != nil {
			tags, owner, region = &e.Tags, e.Owner, c.w.endpointRegion(e)
		}
	default:
		return nil, Errorf(http.StatusBadRequest, "InvalidID", "The ID '%s' is not valid", id)
	}
	if tags == nil || !c.owns(owner, region) {
		return nil, notFound
	}
	return tags, nil
}

func createTags(c *call) (any, error) {
	ids := c.Params.List("ResourceId", false)
	if len(ids) == 0 {
		return nil, errMissingParameter("ResourceId")
	}
	tags := c.Params.Tags()
	if len(tags) == 0 {
		return nil, errMissingParameter("Tag")
	}
	if err := checkTags(tags); err != nil {
		return nil, err
	}
	// Find every resource first so a bad ID changes nothing.
	lists := make([]*[]Tag, 0, len(ids))
	for _, id := range ids {
		l, err := taggable(c, id)
		if err != nil {
			return nil, err
		}
		merged := slices.Clone(*l)
		if err := setTags(&merged, tags); err != nil {
			return nil, err
		}
		lists = append(lists, l)
	}
	if err := dryRun(c); err != nil {
		return nil, err
	}
	for _, l := range lists {
		_ = setTags(l, tags) // checked above
	}
	return netReturn{Return: true}, nil
}

// deleteTags removes tags by key, or by key and value when a value is given.
func deleteTags(c *call) (any, error) {
	ids := c.Params.List("ResourceId", false)
	if len(ids) == 0 {
		return nil, errMissingParameter("ResourceId")
	}
	var lists []*[]Tag
	for _, id := range ids {
		l, err := taggable(c, id)
		if err != nil {
			return nil, err
		}
		lists = append(lists, l)
	}
	if err := dryRun(c); err != nil {
		return nil, err
	}
	del := map[string]*string{}
	for _, i := range c.Params.Indexes("Tag") {
		base := fmt.Sprintf("Tag.%d.", i)
		if c.Params.Has(base + "Value") {
			v := c.Params.Get(base + "Value")
			del[c.Params.Get(base+"Key")] = &v
		} else {
			del[c.Params.Get(base+"Key")] = nil
		}
	}
	for _, l := range lists {
		*l = slices.DeleteFunc(*l, func(t Tag) bool {
			v, ok := del[t.Key]
			if len(del) == 0 {
				return true // no Tag given: all tags go
			}
			return ok && (v == nil || *v == t.Value)
		})
	}
	return netReturn{Return: true}, nil
}
