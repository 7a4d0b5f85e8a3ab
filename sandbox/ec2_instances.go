package sandbox

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// ec2DiagHandlers serve instances, security group revocation and the
// Reachability Analyzer.
func ec2DiagHandlers() map[string]queryHandler {
	return merge(map[string]queryHandler{
		"DescribeInstances":          describeInstances,
		"RevokeSecurityGroupIngress": revokeSecurityGroupIngress,
	}, insightsHandlers())
}

type netInstanceState struct {
	Code int    `xml:"code"`
	Name string `xml:"name"`
}

type netPlacement struct {
	AvailabilityZone   string `xml:"availabilityZone"`
	AvailabilityZoneID string `xml:"availabilityZoneId"`
	Tenancy            string `xml:"tenancy"`
}

type netInstanceENI struct {
	NetworkInterfaceID string                 `xml:"networkInterfaceId"`
	SubnetID           string                 `xml:"subnetId"`
	VpcID              string                 `xml:"vpcId"`
	OwnerID            string                 `xml:"ownerId"`
	Status             string                 `xml:"status"`
	PrivateIPAddress   string                 `xml:"privateIpAddress"`
	InterfaceType      string                 `xml:"interfaceType"`
	GroupSet           netSet[netGroupIdent]  `xml:"groupSet"`
	Attachment         netInstanceENIAttached `xml:"attachment"`
}

type netInstanceENIAttached struct {
	AttachmentID string `xml:"attachmentId"`
	DeviceIndex  int    `xml:"deviceIndex"`
	Status       string `xml:"status"`
}

type netInstance struct {
	InstanceID          string                 `xml:"instanceId"`
	ImageID             string                 `xml:"imageId"`
	InstanceState       netInstanceState       `xml:"instanceState"`
	PrivateDNSName      string                 `xml:"privateDnsName"`
	DNSName             string                 `xml:"dnsName"`
	InstanceType        string                 `xml:"instanceType"`
	LaunchTime          string                 `xml:"launchTime"`
	Placement           netPlacement           `xml:"placement"`
	SubnetID            string                 `xml:"subnetId,omitempty"`
	VpcID               string                 `xml:"vpcId,omitempty"`
	PrivateIPAddress    string                 `xml:"privateIpAddress,omitempty"`
	Architecture        string                 `xml:"architecture"`
	RootDeviceType      string                 `xml:"rootDeviceType"`
	PlatformDetails     string                 `xml:"platformDetails"`
	GroupSet            netSet[netGroupIdent]  `xml:"groupSet"`
	NetworkInterfaceSet netSet[netInstanceENI] `xml:"networkInterfaceSet"`
	TagSet              *netSet[netTag]        `xml:"tagSet"`
}

type netReservation struct {
	ReservationID string              `xml:"reservationId"`
	OwnerID       string              `xml:"ownerId"`
	GroupSet      netSet[struct{}]    `xml:"groupSet"`
	InstancesSet  netSet[netInstance] `xml:"instancesSet"`
}

type netInstancesResult struct {
	ReservationSet netSet[netReservation] `xml:"reservationSet"`
	NextToken      string                 `xml:"nextToken,omitempty"`
}

// instanceStateCodes are EC2's numeric state codes.
var instanceStateCodes = map[string]int{"pending": 0, "running": 16, "shutting-down": 32, "terminated": 48, "stopping": 64, "stopped": 80}

func errInstanceNotFound(id string) *APIError {
	return Errorf(http.StatusBadRequest, "InvalidInstanceID.NotFound", "The instance ID '%s' does not exist", id)
}

func describeInstances(c *call) (any, error) {
	fs := c.Params.Filters()
	if err := checkFilters(fs, "instance-id", "vpc-id", "subnet-id", "instance-state-name", "instance-state-code",
		"availability-zone", "private-ip-address", "instance.group-id", "network-interface.network-interface-id", "instance-type"); err != nil {
		return nil, err
	}
	if err := idsAndMaxResults(c.Params, "InstanceId", "instancesSet"); err != nil {
		return nil, err
	}
	ids := c.Params.List("InstanceId", false)
	var missing []string
	for _, id := range ids {
		if err := checkIDShape(id, "i-", "InvalidInstanceID.Malformed"); err != nil {
			return nil, err
		}
		if in := c.w.Diag.Instances[id]; in == nil || !c.ownsInVPC(in.Owner, in.VPCID) {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		if len(missing) == 1 {
			return nil, errInstanceNotFound(missing[0])
		}
		return nil, Errorf(http.StatusBadRequest, "InvalidInstanceID.NotFound", "The instance IDs '%s' do not exist", strings.Join(missing, ", "))
	}
	var keys []string
	for _, id := range SortedKeys(c.w.Diag.Instances) {
		in := c.w.Diag.Instances[id]
		if !c.ownsInVPC(in.Owner, in.VPCID) || (len(ids) > 0 && !slices.Contains(ids, id)) {
			continue
		}
		fields := map[string][]string{
			"instance-id": {in.ID}, "vpc-id": {in.VPCID}, "subnet-id": {in.SubnetID},
			"instance-state-name": {in.State}, "instance-state-code": {fmt.Sprint(instanceStateCodes[in.State])},
			"availability-zone": {c.Account.AZName(in.AZID)}, "private-ip-address": {in.PrivateIP},
			"instance.group-id": in.SecurityGroupIDs, "network-interface.network-interface-id": {in.ENIID},
			"instance-type": {in.InstanceType},
		}
		if matchFilters(fs, in.Tags, fields) {
			keys = append(keys, id)
		}
	}
	pageIDs, next, err := page(c.Params, keys, 5, 1000)
	if err != nil {
		return nil, err
	}
	if err := dryRun(c); err != nil {
		return nil, err
	}
	res := netInstancesResult{ReservationSet: netSet[netReservation]{Items: []netReservation{}}, NextToken: next}
	for _, id := range pageIDs {
		res.ReservationSet.Items = append(res.ReservationSet.Items, netReservation{
			ReservationID: "r-" + idSuffix(id), OwnerID: c.Account.ID,
			InstancesSet: netSet[netInstance]{Items: []netInstance{c.netInstanceXML(c.w.Diag.Instances[id])}},
		})
	}
	return res, nil
}

func (c *call) groupIdents(ids []string) netSet[netGroupIdent] {
	s := netSet[netGroupIdent]{Items: []netGroupIdent{}}
	for _, g := range ids {
		gi := netGroupIdent{GroupID: g}
		if sg := c.w.SecurityGroups[g]; sg != nil {
			gi.GroupName = sg.Name
		}
		s.Items = append(s.Items, gi)
	}
	return s
}

func (c *call) netInstanceXML(in *Instance) netInstance {
	x := netInstance{
		InstanceID: in.ID, ImageID: in.ImageID,
		InstanceState:  netInstanceState{Code: instanceStateCodes[in.State], Name: in.State},
		PrivateDNSName: eniDNSName(c.w.vpcRegion(in.VPCID), in.PrivateIP), InstanceType: in.InstanceType,
		LaunchTime:   in.LaunchTime.UTC().Format(elbTime),
		Placement:    netPlacement{AvailabilityZone: c.Account.AZName(in.AZID), AvailabilityZoneID: in.AZID, Tenancy: "default"},
		Architecture: "x86_64", RootDeviceType: "ebs", PlatformDetails: "Linux/UNIX",
		GroupSet:            c.groupIdents(in.SecurityGroupIDs),
		NetworkInterfaceSet: netSet[netInstanceENI]{Items: []netInstanceENI{}},
		TagSet:              netTags(in.Tags),
	}
	if in.State != InstanceTerminated {
		x.SubnetID, x.VpcID, x.PrivateIPAddress = in.SubnetID, in.VPCID, in.PrivateIP
		x.NetworkInterfaceSet.Items = append(x.NetworkInterfaceSet.Items, netInstanceENI{
			NetworkInterfaceID: in.ENIID, SubnetID: in.SubnetID, VpcID: in.VPCID, OwnerID: in.Owner,
			Status: "in-use", PrivateIPAddress: in.PrivateIP, InterfaceType: "interface",
			GroupSet:   c.groupIdents(in.SecurityGroupIDs),
			Attachment: netInstanceENIAttached{AttachmentID: "eni-attach-" + idSuffix(in.ENIID), DeviceIndex: 0, Status: "attached"},
		})
	}
	return x
}

// revokeSecurityGroupIngress removes ingress rules, named by
// SecurityGroupRuleId or by IpPermissions, all or nothing.
func revokeSecurityGroupIngress(c *call) (any, error) {
	sg, aerr := groupParam(c)
	if aerr != nil {
		return nil, aerr
	}
	drop := map[int]bool{} // index into sg.Ingress → remove (or trim)
	trims := map[int][]string{}
	if ruleIDs := c.Params.List("SecurityGroupRuleId", false); len(ruleIDs) > 0 {
		for _, id := range ruleIDs {
			i := slices.IndexFunc(sg.Ingress, func(r SGRule) bool { return r.RuleID == id })
			if i < 0 {
				return nil, Errorf(http.StatusBadRequest, "InvalidSecurityGroupRuleId.NotFound", "The security group rule ID '%s' does not exist", id)
			}
			drop[i] = true
		}
	} else {
		perms, aerr := parsePermissions(c)
		if aerr != nil {
			return nil, aerr
		}
		for _, pr := range perms {
			peers := append(slices.Clone(pr.cidrs), pr.groups...)
			for _, peer := range peers {
				cidr, group := peer, ""
				if strings.HasPrefix(peer, "sg-") {
					cidr, group = "", peer
				}
				i := slices.IndexFunc(sg.Ingress, func(r SGRule) bool { return sameRule(r, pr.protocol, pr.from, pr.to, cidr, group) })
				if i < 0 {
					return nil, Errorf(http.StatusBadRequest, "InvalidPermission.NotFound",
						"The specified rule does not exist in this security group.")
				}
				trims[i] = append(trims[i], peer)
			}
		}
	}
	if err := dryRun(c); err != nil {
		return nil, err
	}
	kept := sg.Ingress[:0]
	for i, r := range sg.Ingress {
		if drop[i] {
			continue
		}
		if peers := trims[i]; len(peers) > 0 {
			r.CIDRs = slices.DeleteFunc(r.CIDRs, func(s string) bool { return slices.Contains(peers, s) })
			r.GroupIDs = slices.DeleteFunc(r.GroupIDs, func(s string) bool { return slices.Contains(peers, s) })
			if len(r.CIDRs) == 0 && len(r.GroupIDs) == 0 {
				continue
			}
		}
		kept = append(kept, r)
	}
	sg.Ingress = kept
	return netReturn{Return: true}, nil
}
