package steps

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/plwiz/plwiz/awsid"
	"github.com/plwiz/plwiz/awsops"
	"github.com/plwiz/plwiz/handoff"
	"github.com/plwiz/plwiz/probe"
)

// ConsumerFlow is the service consumer's flow, in the order AWS needs:
// the endpoint is created with private DNS off, and private DNS is turned
// on only once the provider has accepted and the endpoint is available.
func ConsumerFlow() *Flow {
	return &Flow{Role: RoleConsumer, Steps: []*Step{
		identityStep(RoleConsumer),
		importOfferStep(),
		serviceCheckStep(),
		chooseNetworkStep(),
		networkCheckStep(),
		createEndpointStep(),
		notifyStep(RoleConsumer),
		exportRequestStep(),
		waitAcceptanceStep(),
		enablePrivateDNSStep(),
		privateDNSLiveStep(),
		withProbeFrom(connectivityStep()),
		consumerSummaryStep(),
	}}
}

// StepServiceCheck and StepNetworkCheck are the consumer's preflights.
const (
	StepServiceCheck = "service-check"
	StepNetworkCheck = "network-check"
)

func offerHasPrivateDNS(s *Session) bool { return s.Resource(ResOfferDNS) != "" }

func importOfferStep() *Step {
	return &Step{
		ID: StepImportOffer, Title: "Import the provider's offer", Kind: KindHandoff, Handoff: HandoffImport,
		Await: Await{Kind: AwaitFile},
		Inputs: []Input{{
			Key: InOffer, Label: "Offer file or token", Flag: "offer", Type: InputText, Required: true,
			Help:     "The provider's offer, sent once their endpoint service is ready: a file, or a one-line plwiz1.offer token.",
			Validate: validateBundleRef(handoff.KindOffer), Normalize: handoff.Clean,
		}},
		Poll: func(ctx context.Context, env *Env, s *Session) (Status, error) {
			b, waiting, err := awaitBundle(env, s.Input(InOffer), "the provider's offer")
			if b == nil {
				return waiting, err
			}
			offer, isOffer := b.(handoff.Offer)
			if !isOffer {
				return Status{}, badInputf("this is a %s; the consumer imports the provider's offer", b.Kind())
			}
			s.SetResource(ResServiceName, offer.ServiceName)
			s.SetResource(ResServiceID, offer.ServiceID)
			s.SetResource(ResProviderAcct, offer.ProviderAccountID)
			s.SetResource(ResOfferRegion, offer.Region)
			s.SetResource(ResOfferRegions, strings.Join(offer.SupportedRegions, ","))
			s.SetResource(ResOfferZones, strings.Join(offer.AZIDs(), ","))
			s.SetResource(ResOfferDNS, offer.PrivateDNSName)
			s.SetResource(ResOfferDNSState, string(offer.PrivateDNSState))
			s.SetResource(ResOfferAccept, strconv.FormatBool(offer.AcceptanceRequired))
			var types []string
			for _, t := range offer.IPAddressTypes {
				types = append(types, string(t))
			}
			s.SetResource(ResOfferIPTypes, strings.Join(types, ","))
			if len(offer.Ports) > 0 {
				s.SetResource(ResNLBPort, strconv.Itoa(offer.Ports[0]))
			}
			return Status{Done: true, State: "imported", Detail: fmt.Sprintf("%s from account %s", offer.ServiceName, offer.ProviderAccountID)}, nil
		},
	}
}

func serviceCheckStep() *Step {
	return &Step{
		ID: StepServiceCheck, Title: "Check the service", Kind: KindCheck,
		Do: func(ctx context.Context, env *Env, s *Session) (Result, error) {
			name := s.Resource(ResServiceName)
			region := regionCheck(s)
			visible := CheckResult{Name: "service visible to you", Expected: name, Fatal: true}
			owner := CheckResult{Name: "owned by the offer's account", Expected: s.Resource(ResProviderAcct), Fatal: true,
				Hint: "Stop: the service is not owned by the account the offer names, so the offer may not be what it claims. Ask the provider through a channel you trust."}
			zones := CheckResult{Name: "served AZs", Expected: "at least one AZ"}
			dns := CheckResult{Name: "private DNS name verified", Expected: "verified", Skipped: !offerHasPrivateDNS(s)}
			matches := CheckResult{Name: "the offer matches what AWS reports", Expected: "the offer's service ID, private DNS name and its state, acceptance, AZs and IP address types", Fatal: true,
				Hint: "Stop: the offer does not describe the service AWS shows under its name, so it may be forged, mistyped or out of date. Ask the provider for a new offer through a channel you trust."}
			checks := []CheckResult{visible, owner, zones, dns, matches}
			// The region comes first; across regions, whether the
			// service's region is enabled for this account too.
			lead := []CheckResult{region}
			with := func(rest []CheckResult) []CheckResult { return append(lead, rest...) }
			if !region.Passed {
				skipRest(checks, "not run: your region is not supported")
				return Result{Checks: with(checks)}, nil
			}
			if crossRegion(s) {
				optIn, err := optInCheck(ctx, env, s)
				if err != nil {
					return Result{}, err
				}
				lead = append(lead, optIn)
				if !optIn.Passed {
					skipRest(checks, "not run: the service's region is not enabled for your account")
					return Result{Checks: with(checks)}, nil
				}
			}
			info, err := env.consumer().LookupServiceIn(ctx, name, serviceRegion(s))
			if err != nil {
				if awsops.CodeOf(err) != "InvalidServiceName" {
					return Result{}, err
				}
				visible := &checks[0]
				visible.Seen = "does not exist (AWS's words for: not allowed, or wrong region)"
				visible.Hint = fmt.Sprintf("Ask the provider to allow your principal: %s (or your account, %s)", s.ARN, s.Account)
				if crossRegion(s) {
					visible.Seen = "does not exist (AWS's words for: not allowed, or your region not supported)"
					visible.Hint += fmt.Sprintf(", and to keep %s among the service's supported regions", s.Region)
				}
				skipRest(checks[1:], "not run: the service is not visible")
				return Result{Checks: with(checks)}, nil
			}
			checks[0].Passed, checks[0].Seen = true, info.Name
			checks[1].Seen, checks[1].Passed = info.Owner, info.Owner == s.Resource(ResProviderAcct)
			var served []string
			for _, z := range info.Zones {
				if z.Name == "" {
					served = append(served, z.ID)
					continue
				}
				served = append(served, fmt.Sprintf("%s (your %s)", z.ID, z.Name))
			}
			checks[2].Passed, checks[2].Seen = len(info.Zones) > 0, strings.Join(served, ", ")
			if crossRegion(s) {
				checks[2].Seen += fmt.Sprintf(" in %s; your endpoint may use any AZ of %s", info.Region, s.Region)
			}
			s.SetResource(ResServedZones, strings.Join(info.ZoneIDs(), ","))
			if offerHasPrivateDNS(s) {
				checks[3].Seen = string(info.PrivateDNSState)
				checks[3].Passed = info.PrivateDNSState == awsops.DNSVerified
				checks[3].Hint = "Private DNS can be turned on only once the provider has verified the name; the endpoint works through its vpce names meanwhile."
			}
			if diffs := offerDiffs(s, info); len(diffs) > 0 {
				checks[4].Seen = strings.Join(diffs, "; ")
			} else {
				checks[4].Passed, checks[4].Seen = true, "all the same"
				s.SetResource(ResOfferDNSState, string(info.PrivateDNSState))
			}
			detail := fmt.Sprintf("%s, owner %s", info.Name, info.Owner)
			if crossRegion(s) {
				detail += fmt.Sprintf("; cross-region from %s to %s: %s", s.Region, info.Region, crossRegionRules)
			}
			return Result{Detail: detail, Checks: with(checks)}, nil
		},
	}
}

// offerDiffs lists where the offer and AWS disagree about the service.
// AWS does not tell a consumer which ports a service listens on; the
// connectivity test tries the offer's.
func offerDiffs(s *Session, info awsops.ServiceInfo) []string {
	var out []string
	differ := func(what, offer, aws string) {
		out = append(out, fmt.Sprintf("%s: the offer says %s, AWS says %s", what, orDefault(offer, "none"), orDefault(aws, "none")))
	}
	if id := s.Resource(ResServiceID); id != info.ID {
		differ("service ID", id, info.ID)
	}
	name, awsName := dnsName(s.Resource(ResOfferDNS)), dnsName(info.PrivateDNSName)
	if name != awsName {
		differ("private DNS name", name, awsName)
	} else if name != "" && s.Resource(ResOfferDNSState) != string(info.PrivateDNSState) {
		differ("private DNS state", s.Resource(ResOfferDNSState), string(info.PrivateDNSState))
	}
	if acc := s.Resource(ResOfferAccept); acc != "" && acc != strconv.FormatBool(info.AcceptanceRequired) {
		differ("acceptance required", acc, strconv.FormatBool(info.AcceptanceRequired))
	}
	if offered, served := sortedList(s.Resource(ResOfferZones)), slices.Sorted(slices.Values(info.ZoneIDs())); !slices.Equal(offered, served) {
		differ("AZ IDs", strings.Join(offered, ", "), strings.Join(served, ", "))
	}
	if types := sortedList(s.Resource(ResOfferIPTypes)); len(types) > 0 && len(info.IPAddressTypes) > 0 {
		if aws := slices.Sorted(slices.Values(info.IPAddressTypes)); !slices.Equal(types, aws) {
			differ("IP address types", strings.Join(types, ", "), strings.Join(aws, ", "))
		}
	}
	return out
}

// dnsName is a DNS name as compared: lower case, no final dot. An IDN in
// its A-label form stays that form, so api.xn--exmple-cua.com is not
// api.example.com.
func dnsName(n string) string { return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(n)), ".") }

func sortedList(v string) []string {
	out := splitList(v)
	slices.Sort(out)
	return out
}

// servedZones are the AZ IDs AWS says the service serves (the offer's
// until the service check has run).
func servedZones(s *Session) []string {
	return splitList(orDefault(s.Resource(ResServedZones), s.Resource(ResOfferZones)))
}

func skipRest(checks []CheckResult, why string) {
	for i := range checks {
		checks[i].Skipped, checks[i].Seen, checks[i].Fatal = true, why, false
	}
}

func chooseNetworkStep() *Step {
	return &Step{
		ID: StepChooseNetwork, Title: "Choose VPC, subnets and security group", Kind: KindForm,
		Inputs: []Input{
			{Key: InVPC, Label: "VPC", Flag: "vpc", Type: InputSelect, Required: true, Validate: validateID(awsid.VPCID, "a VPC ID"),
				Help: "The VPC (its vpc- ID) to create the interface endpoint in.",
				Options: func(ctx context.Context, env *Env, _ *Session) ([]Option, error) {
					vpcs, err := env.consumer().ListVPCs(ctx)
					if err != nil {
						return nil, err
					}
					var opts []Option
					for _, v := range vpcs {
						o := Option{Value: v.ID, Label: fmt.Sprintf("%s %s %s", v.ID, v.Name, strings.Join(v.CIDRs, ","))}
						if !v.DNSReady() {
							o.Note = "DNS attributes off: plwiz will offer to turn them on"
						}
						opts = append(opts, o)
					}
					return opts, nil
				}},
			{Key: InSubnets, Label: "Subnets (one per AZ)", Flag: "subnets", Type: InputMultiSelect, Required: true, Validate: validateSubnetIDs,
				Help: "The subnets for the endpoint (subnet- IDs, separated by commas), one in each Availability Zone the service serves.",
				Options: func(ctx context.Context, env *Env, s *Session) ([]Option, error) {
					subnets, err := env.subnets(ctx, s.Input(InVPC))
					if err != nil {
						return nil, err
					}
					served := servedZones(s)
					ipv6 := slices.Contains(splitList(s.Resource(ResOfferIPTypes)), awsops.IPv6)
					var opts []Option
					for _, sn := range subnets {
						o := Option{Value: sn.ID, Label: fmt.Sprintf("%s %s  %s = %s  %s", sn.ID, sn.Name, sn.Zone.Name, sn.Zone.ID, strings.Join(append([]string{sn.CIDR}, sn.IPv6CIDRs...), " "))}
						switch {
						// Across regions AWS does not match AZs: any will do.
						case !crossRegion(s) && !slices.Contains(served, sn.Zone.ID):
							o.Disabled, o.Note = true, "the service is not served in "+sn.Zone.ID
						case ipv6 && !sn.HasIPv6():
							o.Note = "no IPv6 CIDR block: IPv4 only (a dualstack endpoint needs every subnet to have one)"
						}
						opts = append(opts, o)
					}
					return opts, nil
				}},
			{Key: InIPType, Label: "Endpoint IP address type", Flag: "ip-address-type", Type: InputSelect, Validate: validateEndpointIPType,
				Help:    "The endpoint's IP address type: ipv4, dualstack (IPv4 and IPv6; the service must support ipv6 and every chosen subnet have an IPv6 CIDR block) or ipv6 (IPv6-only subnets).",
				Default: func(*Session) string { return awsops.IPv4 }, DefaultText: awsops.IPv4,
				Options: func(ctx context.Context, env *Env, s *Session) ([]Option, error) {
					subnets, err := env.subnets(ctx, s.Input(InVPC))
					if err != nil {
						return nil, err
					}
					chosen := chosenSubnets(subnets, splitList(s.Input(InSubnets)))
					possible := awsops.EndpointIPTypes(splitList(orDefault(s.Resource(ResOfferIPTypes), awsops.IPv4)), chosen)
					var opts []Option
					for _, t := range []string{awsops.IPv4, awsops.Dualstack, awsops.IPv6} {
						o := Option{Value: t, Label: t}
						if !slices.Contains(possible, t) {
							o.Disabled, o.Note = true, ipTypeWhyNot(t, s)
						}
						opts = append(opts, o)
					}
					return opts, nil
				}},
			{Key: InDNSRecordType, Label: "DNS record IP type", Flag: "dns-record-ip-type", Type: InputText, Validate: validateEndpointIPType,
				Help:        "Which records the endpoint's names get: ipv4 (A), ipv6 (AAAA) or dualstack (both); it must fit the IP address type.",
				Default:     func(s *Session) string { return orDefault(s.Input(InIPType), awsops.IPv4) },
				DefaultText: "the endpoint's IP address type"},
			{Key: InSecurityGroup, Label: "Security group", Flag: "security-group", Type: InputSelect, Validate: validateSG,
				Help:        "The security group (its sg- ID) of the endpoint's network interfaces, or " + CreateSecurityGroupValue + " for a new one that allows the service port from the VPC.",
				Default:     func(*Session) string { return CreateSecurityGroupValue },
				DefaultText: CreateSecurityGroupValue,
				Options: func(ctx context.Context, env *Env, s *Session) ([]Option, error) {
					sgs, err := env.consumer().ListSecurityGroups(ctx, s.Input(InVPC))
					if err != nil {
						return nil, err
					}
					opts := []Option{{Value: CreateSecurityGroupValue, Label: "create one allowing the service port from the VPC"}}
					for _, g := range sgs {
						opts = append(opts, Option{Value: g.ID, Label: g.ID + " " + g.Name})
					}
					return opts, nil
				}},
		},
		Do: func(ctx context.Context, env *Env, s *Session) (Result, error) {
			return Result{Detail: fmt.Sprintf("%s, subnets %s, security group %s", s.Input(InVPC), s.Input(InSubnets), orDefault(s.Input(InSecurityGroup), CreateSecurityGroupValue))}, nil
		},
	}
}

func validateEndpointIPType(v string) error {
	switch v {
	case awsops.IPv4, awsops.Dualstack, awsops.IPv6:
		return nil
	}
	return fmt.Errorf("expected ipv4, dualstack or ipv6, found %s", quoteInput(v))
}

// chosenSubnets are the subnets of ids, in the order listed.
func chosenSubnets(subnets []awsops.Subnet, ids []string) []awsops.Subnet {
	var out []awsops.Subnet
	for _, sn := range subnets {
		if slices.Contains(ids, sn.ID) {
			out = append(out, sn)
		}
	}
	return out
}

// ipTypeWhyNot says why an endpoint IP address type cannot be chosen.
func ipTypeWhyNot(t string, s *Session) string {
	if t != awsops.IPv4 && !slices.Contains(splitList(s.Resource(ResOfferIPTypes)), awsops.IPv6) {
		return "the service does not support ipv6"
	}
	switch t {
	case awsops.Dualstack:
		return "needs every chosen subnet to have an IPv6 CIDR block"
	case awsops.IPv6:
		return "needs IPv6-only subnets"
	}
	return "the service does not support ipv4"
}

func validateSubnetIDs(v string) error {
	list := splitList(v)
	if len(list) == 0 {
		return errors.New("expected at least one subnet ID")
	}
	for _, id := range list {
		if err := validateID(awsid.SubnetID, "subnet IDs")(id); err != nil {
			return err
		}
	}
	return nil
}

func validateSG(v string) error {
	if v == CreateSecurityGroupValue || awsid.SecurityGroupID.Valid(v) {
		return nil
	}
	return fmt.Errorf("expected a security group ID (%s) or %q, found %s", awsid.SecurityGroupID.Shape(), CreateSecurityGroupValue, quoteInput(v))
}

func networkCheckStep() *Step {
	return &Step{
		ID: StepNetworkCheck, Title: "Check the network", Kind: KindCheck,
		Do: func(ctx context.Context, env *Env, s *Session) (Result, error) {
			c := env.consumer()
			vpc, err := env.vpc(ctx, s.Input(InVPC))
			if err != nil {
				return Result{}, err
			}
			s.SetResource(ResVPCCIDRs, strings.Join(vpc.CIDRs, ","))
			subnets, err := env.subnets(ctx, vpc.ID)
			if err != nil {
				return Result{}, err
			}
			port, _ := strconv.Atoi(s.Resource(ResNLBPort))
			served := servedZones(s)
			var checks []CheckResult

			dns := CheckResult{Name: "VPC DNS support and DNS hostnames on", Expected: "enableDnsSupport and enableDnsHostnames true",
				Seen:   fmt.Sprintf("enableDnsSupport %t, enableDnsHostnames %t", vpc.DNSSupport, vpc.DNSHostnames),
				Passed: vpc.DNSReady(), Skipped: !offerHasPrivateDNS(s),
				Hint: "Private DNS needs both attributes; plwiz can turn them on for this VPC."}
			if dns.Skipped {
				dns.Seen = "not needed: the service has no private DNS name"
			}
			if !dns.Passed && !dns.Skipped {
				dns.Fatal = true
				vpcID := vpc.ID
				fixed := vpc
				dns.Fix = &Fix{Label: "turn on DNS support and hostnames for " + vpcID, Do: func(ctx context.Context, env *Env, _ *Session) error {
					if err := env.consumer().EnableVPCDNS(ctx, vpcID); err != nil {
						env.forget(vpcKey(vpcID))
						return err
					}
					// What AWS now holds, without asking it again.
					fixed.DNSSupport, fixed.DNSHostnames = true, true
					env.remember(vpcKey(vpcID), fixed)
					return nil
				}}
			}
			checks = append(checks, dns)

			chosen := splitList(s.Input(InSubnets))
			var zonesUsed, servedChosen []string
			perAZ := map[string]string{}
			for _, id := range chosen {
				i := slices.IndexFunc(subnets, func(sn awsops.Subnet) bool { return sn.ID == id })
				if i < 0 {
					checks = append(checks, CheckResult{Name: "subnet " + id, Expected: "a subnet of " + vpc.ID, Seen: "not in this VPC", Fatal: true,
						Hint: "Pick subnets of the chosen VPC."})
					continue
				}
				sn := subnets[i]
				ok := slices.Contains(served, sn.Zone.ID)
				cr := CheckResult{Name: fmt.Sprintf("subnet %s in a served AZ", id), Expected: "one of " + strings.Join(served, ", "),
					Seen: fmt.Sprintf("%s (your %s)", sn.Zone.ID, sn.Zone.Name), Passed: ok, Fatal: true,
					Hint: "AWS refuses a subnet in an AZ the service does not serve; AZ names differ between accounts, so compare AZ IDs. Drop this subnet."}
				if crossRegion(s) {
					// The service's AZs are another region's: AWS takes
					// any AZ of this one.
					cr.Name, cr.Expected, cr.Passed = fmt.Sprintf("subnet %s in an AZ of %s", id, s.Region), "any AZ of "+s.Region+" (cross-region)", true
				}
				if other, dup := perAZ[sn.Zone.ID]; dup {
					cr.Passed, cr.Seen = false, fmt.Sprintf("%s again (also %s)", sn.Zone.ID, other)
					cr.Hint = "An endpoint takes one subnet per AZ; drop one of them."
				}
				perAZ[sn.Zone.ID] = id
				checks = append(checks, cr)
				if cr.Passed {
					servedChosen = append(servedChosen, id)
					zonesUsed = append(zonesUsed, sn.Zone.ID)
				}
			}
			if len(servedChosen) == 0 && !crossRegion(s) {
				checks = append(checks, CheckResult{Name: "at least one subnet in a served AZ", Expected: "one of " + strings.Join(served, ", "), Seen: "none", Fatal: true,
					Hint: "Choose a subnet in an AZ the service serves."})
			}
			s.SetResource(ResEndpointZones, strings.Join(zonesUsed, ","))
			s.SetResource(ResEndpointSubnet, strings.Join(servedChosen, ","))
			checks = append(checks, ipTypeChecks(s, chosenSubnets(subnets, servedChosen))...)
			s.SetResource(ResVPCIPv6CIDRs, strings.Join(vpc.IPv6CIDRs, ","))

			sg := s.Input(InSecurityGroup)
			sgCheck := CheckResult{Name: "security group allows the service port", Expected: fmt.Sprintf("TCP %d from %s", port, strings.Join(vpc.CIDRs, ","))}
			if sg == "" || sg == CreateSecurityGroupValue {
				sgCheck.Passed, sgCheck.Seen = true, "plwiz will create one"
			} else {
				groups, err := c.ListSecurityGroups(ctx, vpc.ID)
				if err != nil {
					return Result{}, err
				}
				i := slices.IndexFunc(groups, func(g awsops.SecurityGroup) bool { return g.ID == sg })
				switch {
				case i < 0:
					sgCheck.Seen, sgCheck.Fatal, sgCheck.Hint = sg+" is not in "+vpc.ID, true, "Pick a security group of the chosen VPC."
				case len(vpc.CIDRs) > 0 && groups[i].Allows(int32(port), vpc.CIDRs[0]):
					sgCheck.Passed, sgCheck.Seen = true, sg+" allows it"
				default:
					sgCheck.Seen = sg + " does not allow it"
					sgCheck.Hint = "Clients in the VPC could not reach the endpoint; let plwiz create a group instead."
					sgCheck.Fix = &Fix{Label: "create a security group for the endpoint instead", Do: func(_ context.Context, _ *Env, s *Session) error {
						s.SetInput(InSecurityGroup, CreateSecurityGroupValue)
						return nil
					}}
				}
			}
			checks = append(checks, sgCheck)
			return Result{Checks: checks}, nil
		},
	}
}

func createEndpointStep() *Step {
	return &Step{
		ID: StepCreateEndpoint, Title: "Create the interface endpoint", Kind: KindAction,
		Describe: func(s *Session) string {
			d := fmt.Sprintf("Create an interface endpoint to %s in %s (subnets %s), with private DNS off: AWS lets it be turned on only after the provider accepts.",
				s.Resource(ResServiceName), s.Input(InVPC), s.Input(InSubnets))
			if crossRegion(s) {
				d += fmt.Sprintf(" The service is in %s, so the endpoint connects across regions (ServiceRegion %s): %s", serviceRegion(s), serviceRegion(s), crossRegionRules)
			}
			return d
		},
		Do: func(ctx context.Context, env *Env, s *Session) (Result, error) {
			c := env.consumer()
			if id := s.Resource(ResEndpointID); id != "" {
				ep, err := c.DescribeEndpoint(ctx, id)
				if err == nil && (!ep.State.Final() || ep.State == awsops.EndpointAvailable) {
					return Result{Detail: fmt.Sprintf("%s (%s)", ep.ID, ep.State)}, nil
				}
			}
			sgID := s.Input(InSecurityGroup)
			if sgID == "" || sgID == CreateSecurityGroupValue {
				port, _ := strconv.Atoi(s.Resource(ResNLBPort))
				// Clients reach a dualstack endpoint over IPv6 too.
				cidrs := clientCIDRs(s)
				if made := s.Resource(ResSecurityGroup); made != "" {
					// Made on a try before: make sure of its rule.
					if err := c.AllowPort(ctx, made, int32(port), cidrs); err != nil {
						return Result{}, err
					}
					sgID = made
				} else {
					sg, err := c.CreateSecurityGroup(ctx, awsops.CreateSecurityGroupInput{
						VPCID: s.Input(InVPC), Name: "plwiz-" + s.ID, Description: "plwiz: clients in the VPC to the " + s.Resource(ResServiceName) + " endpoint",
						Port: int32(port), CIDRs: cidrs, Tags: awsops.Tags{awsops.TagSession: s.ID},
					})
					if sg.ID != "" {
						s.SetResource(ResSecurityGroup, sg.ID)
						s.MarkCreated(ResSecurityGroup, sg.ID, StepCreateEndpoint, env.now())
					}
					if err != nil {
						return Result{}, err
					}
					sgID = sg.ID
				}
			}
			// The network check kept the chosen subnets the service serves.
			subnets := splitList(s.Resource(ResEndpointSubnet))
			attempt := strconv.Itoa(s.Attempt(StepCreateEndpoint))
			ep, err := c.CreateEndpoint(ctx, awsops.CreateEndpointInput{
				ServiceName: s.Resource(ResServiceName), VPCID: s.Input(InVPC), SubnetIDs: subnets, SecurityGroupIDs: []string{sgID},
				IPAddressType: s.Input(InIPType), DNSRecordIPType: s.Input(InDNSRecordType),
				ServiceRegion: serviceRegion(s), ClientToken: s.ClientToken("endpoint-" + attempt),
				Tags: awsops.Tags{awsops.TagSession: s.ID, "Name": "plwiz-" + s.ID},
			})
			if err != nil {
				return Result{}, err
			}
			s.SetResource(ResEndpointID, ep.ID)
			s.MarkCreated(ResEndpointID, ep.ID, StepCreateEndpoint, env.now())
			return Result{Detail: fmt.Sprintf("%s (%s), private DNS off", ep.ID, ep.State)}, nil
		},
	}
}

func exportRequestStep() *Step {
	return &Step{
		ID: StepExportRequest, Title: "Export the request", Kind: KindHandoff, Handoff: HandoffExport,
		Inputs: []Input{{Key: InRequestOut, Label: "Write the request to", Flag: "request-out", Type: InputText, Validate: validateOutPath,
			Help:        "The file to write the request for the provider to; plwiz prints it as a one-line token too.",
			Default:     func(s *Session) string { return "request-" + s.Resource(ResEndpointID) + ".json" },
			DefaultText: "request-ENDPOINT_ID.json in the current directory"}},
		Do: func(_ context.Context, env *Env, s *Session) (Result, error) {
			req := handoff.Request{
				ServiceID: s.Resource(ResServiceID), ConsumerAccountID: s.Account, PrincipalARN: s.ARN,
				EndpointIDs: []string{s.Resource(ResEndpointID)}, ConsumerRegion: s.Region,
				AZIDs: splitList(s.Resource(ResEndpointZones)), CreatedAt: env.now(),
				// The provider allows them on an NLB security group that
				// is enforced on PrivateLink traffic.
				ConsumerVPCCIDRs: clientCIDRs(s),
			}
			exp, err := writeBundle(bundlePath(env, s.Input(InRequestOut), "request-"+s.Resource(ResEndpointID)+".json"), req)
			if err != nil {
				return Result{}, err
			}
			s.SetResource(ResRequestPath, exp.Path)
			return Result{Detail: "send this to the provider (file or token)", Export: exp}, nil
		},
	}
}

// clientCIDRs are the CIDR blocks the endpoint's clients come from, which
// its security group allows and the request carries: the VPC's IPv4
// blocks, and its IPv6 blocks too when the endpoint is dualstack or ipv6
// (a provider's NLB security group needs a rule of their own for those).
func clientCIDRs(s *Session) []string {
	cidrs := splitList(s.Resource(ResVPCCIDRs))
	if endpointIPv6(s) {
		cidrs = append(cidrs, splitList(s.Resource(ResVPCIPv6CIDRs))...)
	}
	return cidrs
}

// NewEndpoint is the way out of a rejected endpoint: AWS never accepts it
// later, so the flow goes back to create a fresh one (with a new
// ClientToken) and send a new request.
func NewEndpoint(s *Session) {
	s.NextAttempt(StepCreateEndpoint)
	delete(s.Resources, ResEndpointID)
	for _, id := range []string{StepCreateEndpoint, StepNotify, StepExportRequest, StepWaitAcceptance, StepEnablePrivate, StepPrivateDNSReady, StepConnectivity, StepSummary} {
		s.Steps[id] = &StepRecord{State: StatePending}
	}
}

func waitAcceptanceStep() *Step {
	return &Step{
		ID: StepWaitAcceptance, Title: "Wait for the provider to accept", Kind: KindWait,
		// The provider accepts, then AWS provisions the endpoint.
		Await: Await{Kind: AwaitParty, Typical: 2 * time.Minute},
		Poll: func(ctx context.Context, env *Env, s *Session) (Status, error) {
			ep, err := env.readEndpoint(ctx, s.Resource(ResEndpointID))
			if err != nil {
				return Status{}, err
			}
			st := Status{State: string(ep.State)}
			switch ep.State {
			case awsops.EndpointPendingAcceptance:
				st.OtherParty = true
				st.Detail = fmt.Sprintf("waiting for the provider (account %s) to accept %s", s.Resource(ResProviderAcct), ep.ID)
				st.Hint = "Send the provider the request from the previous step."
			case awsops.EndpointPending:
				st.Detail = "accepted; AWS is provisioning the endpoint (pending)"
			case awsops.EndpointAvailable:
				st.Done, st.Detail = true, ep.ID+" is available"
			case awsops.EndpointRejected:
				st.Failed = true
				st.Detail = "the provider rejected " + ep.ID
				st.Hint = "A rejected endpoint stays rejected. Create a new endpoint (plwiz consumer --resume --new-endpoint) and send the provider the new request."
				st.Recover = &Fix{Label: "create a new endpoint and send a new request", Do: func(_ context.Context, _ *Env, s *Session) error {
					NewEndpoint(s)
					return nil
				}}
			default:
				st.Failed = true
				st.Detail = fmt.Sprintf("%s is %s", ep.ID, ep.State)
				if ep.LastError != nil {
					st.Detail += ": " + ep.LastError.Message
				}
				st.Hint = "Delete it (plwiz teardown) and create a new one."
			}
			return st, nil
		},
	}
}

func enablePrivateDNSStep() *Step {
	return &Step{
		ID: StepEnablePrivate, Title: "Turn on private DNS", Kind: KindAction,
		Skip: func(s *Session) bool { return !offerHasPrivateDNS(s) },
		Describe: func(s *Session) string {
			return "Turn on private DNS so " + s.Resource(ResOfferDNS) + " resolves to the endpoint inside your VPC (AWS allows it now that the endpoint is accepted)."
		},
		Do: func(ctx context.Context, env *Env, s *Session) (Result, error) {
			c := env.consumer()
			// What the wait for acceptance read last.
			ep, err := env.endpoint(ctx, s.Resource(ResEndpointID))
			if err != nil {
				return Result{}, err
			}
			// The order AWS needs, enforced here rather than learnt from
			// an InvalidParameter.
			if ep.State != awsops.EndpointAvailable {
				return Result{}, fmt.Errorf("private DNS can be turned on only once the endpoint is available; %s is %s", ep.ID, ep.State)
			}
			if !ep.PrivateDNSEnabled {
				if err := c.EnablePrivateDNS(ctx, ep.ID); err != nil {
					return Result{}, err
				}
				env.forget(endpointKey(ep.ID))
			}
			s.SetResource(ResPrivateDNSOnAt, env.now().Format(time.RFC3339))
			return Result{Detail: "private DNS on for " + ep.ID}, nil
		},
	}
}

// privateDNSSettle bounds how long the flow waits for the private name to
// answer before handing over to the connectivity test, which says why.
const privateDNSSettle = 2 * time.Minute

func privateDNSLiveStep() *Step {
	return &Step{
		ID: StepPrivateDNSReady, Title: "Wait for private DNS", Kind: KindWait,
		Await: Await{Kind: AwaitAWS, Typical: 2 * time.Minute},
		Skip:  func(s *Session) bool { return !offerHasPrivateDNS(s) },
		Poll: func(ctx context.Context, env *Env, s *Session) (Status, error) {
			ep, err := env.readEndpoint(ctx, s.Resource(ResEndpointID))
			if err != nil {
				return Status{}, err
			}
			if !ep.PrivateDNSEnabled {
				return Status{State: "modifying", Detail: "AWS is turning private DNS on"}, nil
			}
			name := s.Resource(ResOfferDNS)
			res, err := env.Probe.resolver()
			if err != nil {
				return Status{}, &BadInputError{Err: err}
			}
			if res == nil {
				return Status{Done: true, State: "enabled", Detail: "private DNS is on for " + name}, nil
			}
			if addrs, err := res.LookupNetIP(ctx, "ip4", name); err == nil && len(addrs) > 0 {
				return Status{Done: true, State: "enabled", Detail: fmt.Sprintf("%s resolves to %s", name, joinAddrs(addrs))}, nil
			}
			since, _ := time.Parse(time.RFC3339, s.Resource(ResPrivateDNSOnAt))
			if !since.IsZero() && env.now().Sub(since) > privateDNSSettle {
				return Status{Done: true, State: "enabled", Detail: "private DNS is on; " + name + " does not resolve here yet (the connectivity test says why)"}, nil
			}
			return Status{State: "propagating", Detail: "private DNS is on; waiting for " + name + " to resolve"}, nil
		},
	}
}

func joinAddrs(addrs []netip.Addr) string {
	parts := make([]string, len(addrs))
	for i, a := range addrs {
		parts[i] = a.String()
	}
	return strings.Join(parts, ", ")
}

func connectivityStep() *Step {
	return &Step{
		ID: StepConnectivity, Title: "Connectivity test", Kind: KindCheck,
		Inputs: []Input{{Key: InHTTPPath, Label: "HTTP path to request (optional)", Flag: "http", Type: InputText, Validate: validateHTTPPath,
			Help: "A path, such as /health, to send an HTTP GET to through the endpoint; without one, the test ends after TCP and TLS."}},
		Do: func(ctx context.Context, env *Env, s *Session) (Result, error) {
			c := env.consumer()
			// What the wait before it read: the endpoint with private DNS on.
			ep, err := env.endpoint(ctx, s.Resource(ResEndpointID))
			if err != nil {
				return Result{}, err
			}
			enis, err := c.EndpointENIs(ctx, ep)
			if err != nil {
				return Result{}, err
			}
			var addrs []netip.Addr
			for _, e := range enis {
				if a, err := netip.ParseAddr(e.PrivateIP); err == nil && ep.DNSRecordIPType != awsops.IPv6 {
					addrs = append(addrs, a)
				}
				// The IPv6 side is tested too where the names get AAAA
				// records (DNS record IP type dualstack or ipv6).
				for _, v6 := range e.IPv6Addresses {
					if a, err := netip.ParseAddr(v6); err == nil && recordsAAAA(ep) && !slices.Contains(addrs, a) {
						addrs = append(addrs, a)
					}
				}
			}
			var vpce []string
			for _, d := range ep.DNSEntries {
				if awsid.IsEndpointDNSName(d.Name, ep.ID) {
					vpce = append(vpce, d.Name)
				}
			}
			name := s.Resource(ResOfferDNS)
			if name == "" && len(vpce) > 0 {
				name, vpce = vpce[0], vpce[1:]
			}
			port, _ := strconv.Atoi(s.Resource(ResNLBPort))
			p := env.Probe
			res, err := p.resolver()
			if err != nil {
				return Result{}, &BadInputError{Err: err}
			}
			report, err := probe.Check(ctx, probe.Config{
				Name: name, Port: port, Addresses: addrs, VPCENames: vpce,
				RootCAs: p.RootCAs, CAFile: p.CAFile, HTTPPath: orDefault(s.Input(InHTTPPath), p.HTTPPath),
				Resolver: res, ResolverAddr: p.ResolverAddr, Dialer: p.Dialer, Timeout: p.Timeout, Now: env.Now,
			})
			if err != nil {
				return Result{}, fmt.Errorf("connectivity test: %w", err)
			}
			checks := checksOf(report)
			detail := fmt.Sprintf("%s:%d through %s", name, port, ep.ID)
			if report.OutsideVPC && report.Command != "" {
				detail += "; from a host inside the VPC run: " + report.Command
			}
			return Result{Detail: detail, Checks: checks}, nil
		},
	}
}

// checksOf is a connectivity test's report as a check list.
func checksOf(report probe.Report) []CheckResult {
	var checks []CheckResult
	for _, r := range report.Results {
		hint := r.Hint
		if r.Warning != "" && hint == "" {
			hint = r.Warning
		}
		checks = append(checks, CheckResult{
			Name: fmt.Sprintf("%s %s", strings.ToUpper(string(r.Step)), r.Target), Passed: r.Verdict == probe.Pass,
			Skipped: r.Verdict == probe.Skipped, Expected: r.Expected, Seen: r.Seen, Hint: hint, Fatal: true,
		})
	}
	return checks
}

func validateHTTPPath(v string) error {
	if !reHTTPath.MatchString(v) {
		return fmt.Errorf("expected a path starting with / and no spaces, found %s", quoteInput(v))
	}
	return nil
}

func consumerSummaryStep() *Step {
	return &Step{
		ID: StepSummary, Title: "Summary", Kind: KindAction,
		Do: func(_ context.Context, _ *Env, s *Session) (Result, error) {
			host := s.Resource(ResOfferDNS)
			if host == "" {
				host = "the endpoint's regional vpce name"
			}
			return Result{Detail: fmt.Sprintf("use %s:%s from inside %s (endpoint %s)%s", host, s.Resource(ResNLBPort), s.Input(InVPC), s.Resource(ResEndpointID), notifySummary(s))}, nil
		},
	}
}

// endpointIPv6 reports whether the endpoint gets IPv6 addresses.
func endpointIPv6(s *Session) bool {
	t := s.Input(InIPType)
	return t == awsops.Dualstack || t == awsops.IPv6
}

// recordsAAAA reports whether the endpoint's names get AAAA records.
func recordsAAAA(ep awsops.Endpoint) bool {
	return ep.DNSRecordIPType == awsops.Dualstack || ep.DNSRecordIPType == awsops.IPv6
}

// ipTypeChecks check the endpoint's IP address type and DNS record IP type
// against what the service supports and what the chosen subnets have,
// before AWS refuses.
func ipTypeChecks(s *Session, chosen []awsops.Subnet) []CheckResult {
	t := orDefault(s.Input(InIPType), awsops.IPv4)
	serviceTypes := splitList(orDefault(s.Resource(ResOfferIPTypes), awsops.IPv4))
	c := CheckResult{Name: "IP address type " + t, Expected: "supported by the service (" + strings.Join(serviceTypes, ", ") + ") and by every chosen subnet", Fatal: true}
	if slices.Contains(awsops.EndpointIPTypes(serviceTypes, chosen), t) {
		c.Passed, c.Seen = true, "possible"
	} else {
		c.Seen = ipTypeWhyNot(t, s)
		var without []string
		for _, sn := range chosen {
			if !sn.HasIPv6() {
				without = append(without, sn.ID)
			}
		}
		if t == awsops.Dualstack && len(without) > 0 {
			c.Seen = "no IPv6 CIDR block on " + strings.Join(without, ", ")
		}
		c.Hint = "Choose ipv4, or subnets with IPv6 CIDR blocks (AWS refuses a dualstack endpoint in a subnet without one)."
	}
	out := []CheckResult{c}
	if r := s.Input(InDNSRecordType); r != "" {
		rc := CheckResult{Name: "DNS record IP type " + r, Expected: "one of " + strings.Join(awsops.DNSRecordIPTypes(t), ", ") + " for an " + t + " endpoint", Fatal: true,
			Passed: slices.Contains(awsops.DNSRecordIPTypes(t), r)}
		rc.Seen = r
		if !rc.Passed {
			rc.Hint = "AWS allows ipv4 records for ipv4 and dualstack endpoints, ipv6 records for ipv6 and dualstack ones, and dualstack only for dualstack endpoints."
		}
		out = append(out, rc)
	}
	return out
}
