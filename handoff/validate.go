package handoff

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/plwiz/plwiz/awsid"
)

// What each field must look like, as said in messages.
const (
	expServiceName = awsid.ServiceNameShape
	expServiceID   = "vpce-svc-<8 or 17 hex digits>"
	expEndpointID  = "vpce-<8 or 17 hex digits>"
	expAccount     = "a 12-digit AWS account ID"
	expRegion      = awsid.RegionShape
	expAZID        = "an AZ ID like use1-az1"
	expDNSName     = "a DNS name like api.example.com (RFC 1123)"
	expDNSState    = "pendingVerification, verified or failed"
	expIPType      = "ipv4, ipv6 or dualstack"
	expPort        = "a port from 1 to 65535"
	expTime        = "an RFC 3339 time like 2026-01-15T10:00:00Z"
	expARN         = awsid.PrincipalShape
	expCIDR        = "a CIDR block like 10.0.0.0/16 or 2600:1f18::/56"
)

// maxVPCCIDRs bounds consumerVpcCidrs: a VPC has at most 50 IPv4 and 5
// IPv6 blocks (AWS's raised quotas).
const (
	maxVPCCIDRs     = maxVPCIPv4CIDRs + maxVPCIPv6CIDRs
	maxVPCIPv4CIDRs = 50
	maxVPCIPv6CIDRs = 5
)

// The shapes of AWS's IDs, names and ARNs are awsid's; these are the two
// the format adds. AZ IDs are use1-az1, and Local Zone IDs such as
// use1-bos1-az1; an AZ name is its region followed by "a", or by "-bos-1a"
// for a Local Zone.
var (
	reAZID         = regexp.MustCompile(`^[a-z]{2,}[0-9]+(-[a-z]+[0-9]+)?-az[0-9]+$`)
	reAZNameSuffix = regexp.MustCompile(`^(-[a-z]+-[0-9]+)?[a-z]$`)
)

// Bounds on createdAt. Nothing plwiz made predates 2020; a day of slack
// forgives clock skew between the two parties' computers.
var minCreatedAt = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

const maxClockSkew = 24 * time.Hour

// report adds a problem unless the field, or one it is part of, already has
// one: a value that is missing or of the wrong type is reported once, not
// again by every check that uses it.
func (ps *problems) report(field, expected, found string) {
	if !ps.isBad(field) {
		ps.add(field, expected, found)
	}
}

// text checks what every string must satisfy and reports whether the more
// specific checks should run on it.
func (ps *problems) text(field, s string) bool {
	if ps.isBad(field) {
		return false
	}
	if hasControl(s) {
		ps.add(field, expNoControl, foundControl(s))
		return false
	}
	return true
}

// match checks s with valid; it reports whether s is good.
func (ps *problems) match(field, s string, valid func(string) bool, expected string) bool {
	if !ps.text(field, s) {
		return false
	}
	if !valid(s) {
		ps.add(field, expected, quote(s))
		return false
	}
	return true
}

// list checks a list's elements with check, that it is not empty and that
// no element appears twice. It reports whether every element is good.
func (ps *problems) strList(field string, items []string, what string, check func(field, s string) bool) bool {
	if ps.isBad(field) {
		return false
	}
	if len(items) == 0 {
		ps.add(field, "at least one "+what, "none")
		return false
	}
	ok := true
	first := make(map[string]int, len(items))
	for i, s := range items {
		f := indexField(field, i)
		if !check(f, s) {
			ok = false
			continue
		}
		if j, dup := first[s]; dup {
			ps.add(f, "each "+what+" once", fmt.Sprintf("%s again (also at %s)", quote(s), indexField(field, j)))
			ok = false
			continue
		}
		first[s] = i
	}
	return ok
}

func (ps *problems) oneOf(field, s, expected string, allowed ...string) bool {
	if !ps.text(field, s) {
		return false
	}
	for _, a := range allowed {
		if s == a {
			return true
		}
	}
	found := quote(s)
	if s == "" {
		found = "nothing"
	}
	ps.add(field, expected, found)
	return false
}

func (ps *problems) createdAt(field string, t, now time.Time) {
	if ps.isBad(field) {
		return
	}
	switch {
	case t.IsZero():
		ps.add(field, "the time the bundle was made", "no time")
	case t.Before(minCreatedAt):
		ps.add(field, "a time not before "+minCreatedAt.Format(time.RFC3339), t.UTC().Format(time.RFC3339Nano))
	case t.Year() > 9999:
		ps.add(field, "a time before the year 10000", "the year "+strconv.Itoa(t.Year()))
	case !now.IsZero() && t.After(now.Add(maxClockSkew)):
		ps.add(field, fmt.Sprintf("a time no later than %s, a day after this computer's clock (is one of the clocks wrong?)",
			now.Add(maxClockSkew).UTC().Format(time.RFC3339)), t.UTC().Format(time.RFC3339Nano))
		ps.hint("One of the two computers' clocks is wrong by more than a day: correct it, then make the bundle again if it was the other party's.")
	}
}

// dnsNameFault says why s is not an RFC 1123 host name, or "" when it is one.
// At least two labels are required: a private DNS name is always a name
// under a domain the provider owns.
func dnsNameFault(s string) string {
	if len(s) > 253 {
		return fmt.Sprintf("%d characters, more than 253", len(s))
	}
	labels := strings.Split(s, ".")
	if len(labels) < 2 {
		return "only one label"
	}
	for _, l := range labels {
		switch {
		case l == "":
			return "an empty label"
		case len(l) > 63:
			return fmt.Sprintf("a label of %d characters, more than 63", len(l))
		case l[0] == '-' || l[len(l)-1] == '-':
			return "a label that starts or ends with a hyphen"
		}
		for _, c := range []byte(l) {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return "a character other than letters, digits, hyphens and dots"
			}
		}
	}
	if strings.Trim(labels[len(labels)-1], "0123456789") == "" {
		return "an all-digit last label"
	}
	return ""
}

// Validate checks every field of the offer and returns a *ValidationError
// listing all problems, or nil. now is the reader's clock: createdAt may be
// at most a day after it. A zero now skips that one check, which is how the
// encoders call it: the clock that matters is the reader's.
func (o Offer) Validate(now time.Time) error {
	var ps problems
	o.check(&ps, now)
	return ps.err(KindOffer)
}

func (o Offer) check(ps *problems, now time.Time) {
	regionOK := ps.match("region", o.Region, awsid.IsRegion, expRegion)
	idOK := ps.match("serviceId", o.ServiceID, awsid.ServiceID.Valid, expServiceID)
	if ps.match("serviceName", o.ServiceName, isServiceName, expServiceName) && regionOK && idOK {
		if region, id, _ := awsid.ParseServiceName(o.ServiceName); region != o.Region || id != o.ServiceID {
			ps.add("serviceName", "com.amazonaws.vpce."+o.Region+"."+o.ServiceID+" (the name of serviceId in region)", quote(o.ServiceName))
		}
	}

	if ps.strList("supportedRegions", o.SupportedRegions, "region", func(f, s string) bool {
		if !ps.match(f, s, awsid.IsRegion, expRegion) {
			return false
		}
		// PrivateLink connects regions of one partition only.
		if regionOK && awsid.PartitionOf(s) != awsid.PartitionOf(o.Region) {
			ps.add(f, "a region in the partition of "+o.Region+" ("+awsid.PartitionOf(o.Region)+")", quote(s)+" (in "+awsid.PartitionOf(s)+")")
			return false
		}
		return true
	}) && regionOK && !slices.Contains(o.SupportedRegions, o.Region) {
		ps.add("supportedRegions", "a list that includes the offer's region "+o.Region, quoteList(o.SupportedRegions))
	}

	ps.match("providerAccountId", o.ProviderAccountID, awsid.IsAccount, expAccount)

	o.checkAZs(ps, regionOK)

	if !ps.isBad("ports") && len(o.Ports) == 0 {
		ps.add("ports", "at least one port", "none")
	}
	seenPort := make(map[int]int)
	for i, p := range o.Ports {
		f := indexField("ports", i)
		switch j, dup := seenPort[p]; {
		case ps.isBad(f):
		case p < 1 || p > 65535:
			ps.add(f, expPort, strconv.Itoa(p))
		case dup:
			ps.add(f, "each port once", fmt.Sprintf("%d again (also at %s)", p, indexField("ports", j)))
		default:
			seenPort[p] = i
		}
	}

	if o.PrivateDNSName == "" {
		if o.PrivateDNSState != "" && ps.text("privateDnsState", string(o.PrivateDNSState)) {
			ps.report("privateDnsState", "no state when there is no privateDnsName", quote(string(o.PrivateDNSState)))
		}
	} else {
		if ps.text("privateDnsName", o.PrivateDNSName) {
			if fault := dnsNameFault(o.PrivateDNSName); fault != "" {
				ps.add("privateDnsName", expDNSName, quote(o.PrivateDNSName)+" ("+fault+")")
			}
		}
		ps.oneOf("privateDnsState", string(o.PrivateDNSState), expDNSState,
			string(DNSPendingVerification), string(DNSVerified), string(DNSFailed))
	}

	ipTypes := make([]string, len(o.IPAddressTypes))
	for i, t := range o.IPAddressTypes {
		ipTypes[i] = string(t)
	}
	ps.strList("ipAddressTypes", ipTypes, "IP address type", func(f, s string) bool {
		return ps.oneOf(f, s, expIPType, string(IPv4), string(IPv6), string(Dualstack))
	})

	ps.createdAt("createdAt", o.CreatedAt, now)
}

func (o Offer) checkAZs(ps *problems, regionOK bool) {
	const field = "availabilityZones"
	if ps.isBad(field) {
		return
	}
	if len(o.AvailabilityZones) == 0 {
		ps.add(field, "at least one availability zone", "none")
		return
	}
	expName := "an AZ name like us-east-1a"
	if regionOK {
		expName = "an AZ name in " + o.Region + " like " + o.Region + "a"
	}
	ids := make(map[string]int)
	names := make(map[string]int)
	for i, az := range o.AvailabilityZones {
		f := indexField(field, i)
		idField, nameField := f+".azId", f+".azName"
		if ps.match(idField, az.ID, reAZID.MatchString, expAZID) {
			if j, dup := ids[az.ID]; dup {
				ps.add(idField, "each AZ ID once", fmt.Sprintf("%s again (also at %s)", quote(az.ID), indexField(field, j)))
			} else {
				ids[az.ID] = i
			}
		}
		if az.Name == "" || !ps.text(nameField, az.Name) {
			continue // the name is optional: it is only for people to read
		}
		rest, inRegion := strings.CutPrefix(az.Name, o.Region)
		if regionOK && (!inRegion || !reAZNameSuffix.MatchString(rest)) {
			ps.report(nameField, expName, quote(az.Name))
			continue
		}
		if j, dup := names[az.Name]; dup {
			ps.report(nameField, "each AZ name once", fmt.Sprintf("%s again (also at %s)", quote(az.Name), indexField(field, j)))
		} else {
			names[az.Name] = i
		}
	}
}

// Validate checks every field of the request and returns a
// *ValidationError listing all problems, or nil. now is as for
// Offer.Validate.
func (r Request) Validate(now time.Time) error {
	var ps problems
	r.check(&ps, now)
	return ps.err(KindRequest)
}

func (r Request) check(ps *problems, now time.Time) {
	ps.match("serviceId", r.ServiceID, awsid.ServiceID.Valid, expServiceID)
	accountOK := ps.match("consumerAccountId", r.ConsumerAccountID, awsid.IsAccount, expAccount)
	ps.strList("endpointIds", r.EndpointIDs, "endpoint ID", func(f, s string) bool {
		return ps.match(f, s, awsid.EndpointID.Valid, expEndpointID)
	})
	regionOK := ps.match("consumerRegion", r.ConsumerRegion, awsid.IsRegion, expRegion)
	r.checkARN(ps, accountOK, regionOK)
	ps.strList("azIds", r.AZIDs, "AZ ID", func(f, s string) bool {
		return ps.match(f, s, reAZID.MatchString, expAZID)
	})
	r.checkCIDRs(ps)
	ps.createdAt("createdAt", r.CreatedAt, now)
}

// checkCIDRs checks the optional consumerVpcCidrs: absent is fine (an
// older plwiz), but when present each must be a CIDR block as AWS writes
// it, network address first, each once.
func (r Request) checkCIDRs(ps *problems) {
	const field = "consumerVpcCidrs"
	if r.ConsumerVPCCIDRs == nil || ps.isBad(field) {
		return
	}
	if len(r.ConsumerVPCCIDRs) > maxVPCCIDRs {
		ps.add(field, fmt.Sprintf("at most %d CIDR blocks (a VPC's quota)", maxVPCCIDRs), strconv.Itoa(len(r.ConsumerVPCCIDRs)))
		return
	}
	if !ps.strList(field, r.ConsumerVPCCIDRs, "CIDR block", func(f, s string) bool {
		return ps.match(f, s, isCIDR, expCIDR)
	}) {
		return
	}
	v6 := 0
	for _, c := range r.ConsumerVPCCIDRs {
		if strings.Contains(c, ":") {
			v6++
		}
	}
	switch {
	case v6 > maxVPCIPv6CIDRs:
		ps.add(field, fmt.Sprintf("at most %d IPv6 CIDR blocks (a VPC's quota)", maxVPCIPv6CIDRs), strconv.Itoa(v6))
	case len(r.ConsumerVPCCIDRs)-v6 > maxVPCIPv4CIDRs:
		ps.add(field, fmt.Sprintf("at most %d IPv4 CIDR blocks (a VPC's quota)", maxVPCIPv4CIDRs), strconv.Itoa(len(r.ConsumerVPCCIDRs)-v6))
	}
}

// isCIDR accepts a prefix in its canonical form, as AWS reports a VPC's
// blocks: 10.0.0.0/16, not 10.0.0.1/16 or 010.0.0.0/16; an IPv6 block
// in lower case with its zeros compressed (2600:1f18:abcd:1200::/56, not
// 2600:1F18:ABCD:1200::/56 or 2600:1f18:abcd:1200:0:0:0:0/56), and never
// an IPv4 block written as IPv6 (::ffff:10.0.0.0/112).
func isCIDR(s string) bool {
	p, err := netip.ParsePrefix(s)
	return err == nil && p.Addr().Zone() == "" && !p.Addr().Is4In6() && p.Masked() == p && p.String() == s
}

// checkARN accepts every principal AWS reports as a caller: the account's
// root, users and roles with paths, assumed roles (SSO's with an e-mail
// session name among them) and federated users, in any partition, as long
// as it is in the consumer's account and region's partition.
func (r Request) checkARN(ps *problems, accountOK, regionOK bool) {
	const field = "principalArn"
	if !ps.text(field, r.PrincipalARN) {
		return
	}
	p, err := awsid.ParsePrincipal(r.PrincipalARN)
	if err != nil {
		ps.add(field, expARN, quote(r.PrincipalARN)+" ("+err.Error()+")")
		return
	}
	if accountOK && p.Account != r.ConsumerAccountID {
		ps.add(field, "an ARN in the consumer account "+r.ConsumerAccountID, quote(r.PrincipalARN))
		return
	}
	if want := awsid.PartitionOf(r.ConsumerRegion); regionOK && p.Partition != want {
		ps.add(field, "an ARN in partition "+want+", the consumer region "+r.ConsumerRegion+"'s", quote(r.PrincipalARN))
	}
}

func quoteList(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = quote(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

func isServiceName(s string) bool {
	_, _, ok := awsid.ParseServiceName(s)
	return ok
}
