package steps

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/plwiz/plwiz/awsid"
	"github.com/plwiz/plwiz/awsops"
	"github.com/plwiz/plwiz/handoff"
)

// ProviderFlow is the service provider's flow, in the order AWS needs.
func ProviderFlow() *Flow {
	return &Flow{Role: RoleProvider, Steps: []*Step{
		identityStep(RoleProvider),
		chooseNLBStep(),
		lbCheckStep(),
		createServiceStep(),
		addNLBStep(),
		serviceAvailableStep(),
		allowPrincipalsStep(),
		notifyStep(RoleProvider),
		privateDNSStep(),
		txtRecordStep(),
		verifyDNSStep(),
		exportOfferStep(),
		importRequestStep(),
		withLBHealth(connectionsStep()),
		endpointAvailableStep(),
		lbRecheckStep(),
		providerSummaryStep(),
	}}
}

// adoptsService tells whether the user manages an existing service instead
// of creating one.
func adoptsService(s *Session) bool { return s.Input(InServiceID) != "" }

func hasPrivateDNS(s *Session) bool { return s.Input(InPrivateDNS) != "" }

func chooseNLBStep() *Step {
	return &Step{
		ID: StepChooseNLB, Title: "Choose the Network Load Balancer", Kind: KindForm,
		Skip: adoptsService,
		Inputs: []Input{{
			Key: InNLB, Label: "Network Load Balancers", Flag: "nlb", Type: InputMultiSelect, Required: true,
			Help: "The Network Load Balancers (their ARNs, separated by commas) the endpoint service sits in front of; consumers reach their listeners. " +
				"In one AZ an endpoint connects to one load balancer only, so two in the same AZ add no capacity there.",
			Validate: validateNLBARNs,
			Options: func(ctx context.Context, env *Env, _ *Session) ([]Option, error) {
				lbs, err := env.provider().ListNetworkLoadBalancers(ctx)
				if err != nil {
					return nil, err
				}
				var opts []Option
				for _, lb := range lbs {
					o := Option{Value: lb.ARN, Label: fmt.Sprintf("%s  (%s; ports %s; %s)", lb.Name, zonesText(lb.Zones), portsText(lb.Ports()), orDefault(lb.IPAddressType, awsops.IPv4))}
					switch {
					case !lb.Active():
						o.Disabled, o.Note = true, "state "+lb.State+": only an active NLB can take an endpoint service"
					case len(lb.Listeners) == 0:
						o.Disabled, o.Note = true, "no listener: consumers would have nothing to connect to"
					}
					opts = append(opts, o)
				}
				if len(opts) == 0 {
					return nil, errors.New("no network load balancer in this account and region; create one first (an endpoint service needs an NLB)")
				}
				return opts, nil
			},
		}, {
			Key: InIPTypes, Label: "IP address types the service supports", Flag: "ip-address-types", Type: InputText, Validate: validateServiceIPTypes,
			Help: "The IP address types consumers may reach the service over: ipv4, or ipv4,ipv6 for IPv6 too (dualstack endpoints); ipv6 needs every load balancer " +
				"to be of the dualstack IP address type, in a VPC and subnets with IPv6 CIDR blocks.",
			Default: func(*Session) string { return awsops.IPv4 }, DefaultText: awsops.IPv4,
		}},
		Do: func(ctx context.Context, env *Env, s *Session) (Result, error) {
			var checks []CheckResult
			var details []string
			var lbs []awsops.LoadBalancer
			for _, arn := range splitList(s.Input(InNLB)) {
				lb, err := env.provider().LoadBalancer(ctx, arn)
				if err != nil {
					return Result{}, err
				}
				lbs = append(lbs, lb)
				env.remember(lbKey(lb.ARN), lb) // the load balancer check's
				for _, c := range nlbChecks(lb) {
					if len(splitList(s.Input(InNLB))) > 1 {
						c.Name = lb.Name + ": " + c.Name
					}
					checks = append(checks, c)
				}
				details = append(details, fmt.Sprintf("%s in %s", lb.Name, zonesText(lb.Zones)))
				if ports := lb.Ports(); len(ports) > 0 && s.Resource(ResNLBPort) == "" {
					s.SetResource(ResNLBPort, strconv.Itoa(int(ports[0])))
				}
			}
			if len(lbs) > 1 {
				checks = append(checks, oneLBPerAZCheck(lbs))
			}
			if slices.Contains(splitList(s.Input(InIPTypes)), awsops.IPv6) {
				for _, lb := range lbs {
					c, err := ipv6Check(ctx, env, lb)
					if err != nil {
						return Result{}, err
					}
					checks = append(checks, c)
				}
			}
			return Result{Detail: strings.Join(details, "; "), Checks: checks}, nil
		},
	}
}

// validateNLBARNs checks a comma-separated list of NLB ARNs.
func validateNLBARNs(v string) error {
	list := splitList(v)
	if len(list) == 0 {
		return errors.New("expected at least one Network Load Balancer ARN")
	}
	for _, arn := range list {
		if err := validateNLBARN(arn); err != nil {
			return err
		}
	}
	return nil
}

// validateServiceIPTypes checks the IP address types of a service: ipv4
// and ipv6, as AWS names them for services (dualstack is an endpoint's).
func validateServiceIPTypes(v string) error {
	list := splitList(v)
	if len(list) == 0 {
		return errors.New("expected ipv4, ipv6 or ipv4,ipv6")
	}
	for _, t := range list {
		if t != awsops.IPv4 && t != awsops.IPv6 {
			hint := ""
			if t == awsops.Dualstack {
				hint = " (a service supports ipv4 and ipv6: give ipv4,ipv6; dualstack is what a consumer's endpoint is then)"
			}
			return fmt.Errorf("expected ipv4 or ipv6, found %s%s", quoteInput(t), hint)
		}
	}
	return nil
}

// oneLBPerAZCheck shows which AZs each load balancer serves, and warns
// where two serve the same AZ: in one AZ an endpoint connects to one load
// balancer only (AWS's rule), so the second adds no capacity there.
func oneLBPerAZCheck(lbs []awsops.LoadBalancer) CheckResult {
	byAZ := map[string][]string{}
	var parts []string
	for _, lb := range lbs {
		parts = append(parts, fmt.Sprintf("%s: %s", lb.Name, strings.Join(lb.ZoneIDs(), ", ")))
		for _, id := range lb.ZoneIDs() {
			byAZ[id] = append(byAZ[id], lb.Name)
		}
	}
	c := CheckResult{Name: "one load balancer per AZ", Expected: "each AZ served by one of the load balancers", Seen: strings.Join(parts, "; "), Passed: true}
	var shared []string
	for _, id := range slices.Sorted(maps.Keys(byAZ)) {
		if len(byAZ[id]) > 1 {
			shared = append(shared, fmt.Sprintf("%s (%s)", id, strings.Join(byAZ[id], ", ")))
		}
	}
	if len(shared) > 0 {
		c.Passed = false
		c.Seen += "; shared: " + strings.Join(shared, "; ")
		c.Hint = "In one AZ an endpoint connects to one load balancer only: traffic of an endpoint in a shared AZ goes to one of them, not both. " +
			"That is allowed (the service serves the union of the AZs); put load balancers in different AZs to spread it."
	}
	return c
}

// ipv6Check is what AWS requires of a load balancer of a service that
// supports ipv6, checked before AWS refuses: the dualstack IP address
// type, and IPv6 blocks on its VPC and subnets.
func ipv6Check(ctx context.Context, env *Env, lb awsops.LoadBalancer) (CheckResult, error) {
	c := CheckResult{Name: lb.Name + " is ready for IPv6", Expected: "IP address type dualstack; IPv6 CIDR blocks on its VPC and subnets", Fatal: true}
	if lb.IPAddressType != awsops.Dualstack {
		c.Seen = "IP address type " + orDefault(lb.IPAddressType, awsops.IPv4)
		c.Hint = "AWS refuses ipv6 on a service unless every load balancer uses the dualstack IP address type: change it (aws elbv2 set-ip-address-type --ip-address-type dualstack), pick dualstack load balancers, or support ipv4 only."
		return c, nil
	}
	n, err := env.provider().LoadBalancerIPv6(ctx, lb)
	if err != nil {
		return CheckResult{}, err
	}
	switch {
	case len(n.VPCBlocks) == 0:
		c.Seen = "VPC " + n.VPCID + " has no IPv6 CIDR block"
		c.Hint = "Associate an IPv6 CIDR block with the VPC (aws ec2 associate-vpc-cidr-block --amazon-provided-ipv6-cidr-block) and its subnets."
	case len(n.SubnetsWithout) > 0:
		c.Seen = "subnets without an IPv6 CIDR block: " + strings.Join(n.SubnetsWithout, ", ")
		c.Hint = "Associate an IPv6 CIDR block with each subnet of the load balancer (aws ec2 associate-subnet-cidr-block)."
	default:
		c.Passed, c.Seen = true, "dualstack; VPC "+strings.Join(n.VPCBlocks, ", ")
	}
	return c, nil
}

// nlbChecks are the provider's preflight on the chosen load balancer.
func nlbChecks(lb awsops.LoadBalancer) []CheckResult {
	active := CheckResult{Name: "NLB is active", Expected: "active", Seen: lb.State, Passed: lb.Active(), Fatal: true,
		Hint: "Wait until the load balancer is active (or pick another); AWS refuses an endpoint service on it before."}
	listener := CheckResult{Name: "NLB has a listener", Expected: "at least one listener", Seen: portsText(lb.Ports()), Passed: len(lb.Listeners) > 0, Fatal: true,
		Hint: "Add a TCP or TLS listener to the NLB: consumers connect to its ports."}
	zones := CheckResult{Name: "NLB serves two or more AZs", Expected: "2+ Availability Zones", Seen: zonesText(lb.Zones), Passed: len(lb.Zones) >= 2,
		Hint: "Consumers can only create endpoint subnets in the AZs the NLB is in; one AZ means no redundancy."}
	if len(lb.Zones) == 0 {
		zones.Fatal = true
	}
	return []CheckResult{active, listener, zones}
}

func zonesText(zones []awsops.LBZone) string {
	if len(zones) == 0 {
		return "no AZs"
	}
	var parts []string
	for _, z := range zones {
		parts = append(parts, fmt.Sprintf("%s (%s)", z.ID, z.Name))
	}
	return strings.Join(parts, ", ")
}

func portsText(ports []int32) string {
	if len(ports) == 0 {
		return "none"
	}
	var parts []string
	for _, p := range ports {
		parts = append(parts, strconv.Itoa(int(p)))
	}
	return strings.Join(parts, ", ")
}

func createServiceStep() *Step {
	return &Step{
		ID: StepCreateService, Title: "Create the endpoint service", Kind: KindAction,
		Inputs: []Input{
			{Key: InAcceptance, Label: "Require acceptance of each connection", Flag: "acceptance-required", Type: InputConfirm,
				Validate: validateBool, Default: func(*Session) string { return "true" }, DefaultText: "true",
				Help: "With acceptance on, you approve each consumer's endpoint before traffic flows."},
			{Key: InServiceID, Label: "Existing endpoint service (optional)", Flag: "service-id", Type: InputText, Validate: validateID(awsid.ServiceID, "an endpoint service ID"),
				Help: "Manage an endpoint service that already exists (its vpce-svc- ID) instead of creating one."},
			{Key: InSupportedRegns, Label: "Other regions consumers may connect from (optional)", Flag: "supported-regions", Type: InputText, Validate: validateRegions,
				Help: "Regions besides this one whose consumers may connect across regions, separated by commas (us-west-2,eu-west-1). Each must be enabled for this account; AWS asks for the IAM permission vpce:AllowMultiRegion."},
		},
		Describe: func(s *Session) string {
			if adoptsService(s) {
				return "Use the existing endpoint service " + s.Input(InServiceID) + "."
			}
			regions := ""
			if other := otherRegions(s); len(other) > 0 {
				regions = fmt.Sprintf(" Consumers in %s may connect across regions (AWS checks vpce:AllowMultiRegion).", strings.Join(other, ", "))
			}
			return fmt.Sprintf("Create a VPC endpoint service in front of %s, acceptance required: %s.%s It is tagged %s=%s so a re-run finds it instead of creating another.",
				s.Input(InNLB), orDefault(s.Input(InAcceptance), "true"), regions, awsops.TagSession, s.ID)
		},
		Do: func(ctx context.Context, env *Env, s *Session) (Result, error) {
			p := env.provider()
			var svc awsops.Service
			switch {
			case adoptsService(s):
				// Remembered: the next step reads what is on it.
				found, err := env.readService(ctx, s.Input(InServiceID))
				if err != nil {
					return Result{}, err
				}
				svc = found
				if s.Resource(ResAdoptedNLBs) == "" {
					s.SetResource(ResAdoptedNLBs, strings.Join(svc.NLBARNs, ","))
				}
				if len(svc.NLBARNs) > 0 {
					lb, err := p.LoadBalancer(ctx, svc.NLBARNs[0])
					if err != nil {
						return Result{}, err
					}
					if ports := lb.Ports(); len(ports) > 0 {
						s.SetResource(ResNLBPort, strconv.Itoa(int(ports[0])))
					}
				}
			default:
				found, ok, err := p.FindServiceBySession(ctx, s.ID)
				if err != nil {
					return Result{}, err
				}
				if ok {
					svc = found
					break
				}
				if err := checkSupportedRegions(ctx, env, s, otherRegions(s)); err != nil {
					return Result{}, err
				}
				token := "service"
				if n := s.Attempt(StepCreateService); n > 1 {
					token = fmt.Sprintf("service-%d", n)
				}
				created, err := p.CreateService(ctx, awsops.CreateServiceInput{
					NLBARNs:            splitList(s.Input(InNLB)),
					IPAddressTypes:     splitList(s.Input(InIPTypes)),
					AcceptanceRequired: s.Input(InAcceptance) != "false",
					SupportedRegions:   otherRegions(s),
					ClientToken:        s.ClientToken(token),
					Tags:               awsops.Tags{awsops.TagSession: s.ID, "Name": "plwiz-" + s.ID},
				})
				if err != nil {
					return Result{}, err
				}
				svc = created
			}
			if !adoptsService(s) {
				s.MarkCreated(ResServiceID, svc.ID, StepCreateService, env.now())
			}
			s.SetResource(ResServiceID, svc.ID)
			s.SetResource(ResServiceName, svc.Name)
			svc, err := reconcileRegions(ctx, env, s, svc)
			if err != nil {
				return Result{}, err
			}
			detail := fmt.Sprintf("%s (%s)", svc.Name, svc.State)
			if len(svc.SupportedRegions) > 1 {
				detail += ", reachable from " + strings.Join(svc.SupportedRegions, ", ")
			}
			return Result{Detail: detail}, nil
		},
	}
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func serviceAvailableStep() *Step {
	return &Step{
		ID: StepServiceReady, Title: "Wait for the service to be Available", Kind: KindWait,
		Await: Await{Kind: AwaitAWS, Typical: 30 * time.Second},
		Poll: func(ctx context.Context, env *Env, s *Session) (Status, error) {
			svc, err := env.readService(ctx, s.Resource(ResServiceID))
			if err != nil {
				return Status{}, err
			}
			st := Status{State: string(svc.State)}
			switch pending := regionsPending(svc); {
			case svc.State == awsops.ServiceAvailable && len(pending) > 0:
				// Consumers of a supported region see the service once AWS
				// has it Available there too.
				st.Detail = fmt.Sprintf("%s is Available; AWS is still making it available in %s", svc.Name, strings.Join(pending, ", "))
			case svc.State == awsops.ServiceAvailable:
				st.Done, st.Detail = true, svc.Name+" is Available"
				if len(svc.SupportedRegions) > 1 {
					st.Detail += " in " + strings.Join(svc.SupportedRegions, ", ")
				}
			case svc.State == awsops.ServiceFailed || svc.State == awsops.ServiceDeleted || svc.State == awsops.ServiceDeleting:
				st.Failed, st.Detail = true, fmt.Sprintf("the endpoint service is %s", svc.State)
				st.Hint = "Check the NLB in the console; delete the service (plwiz teardown) and start again."
			default:
				st.Detail = fmt.Sprintf("AWS is creating the endpoint service (%s)", svc.State)
			}
			return st, nil
		},
	}
}

func allowPrincipalsStep() *Step {
	return &Step{
		ID: StepAllow, Title: "Allow the consumer's principals", Kind: KindForm,
		Inputs: []Input{{
			Key: InPrincipals, Label: "Allowed principals", Flag: "allow", Type: InputText, Required: true,
			Help:     "Account IDs (222222222222) or IAM ARNs, separated by commas. Only these can see and connect to the service.",
			Validate: validatePrincipals,
		}},
		Do: func(ctx context.Context, env *Env, s *Session) (Result, error) {
			var arns []string
			var checks []CheckResult
			for _, p := range splitPrincipals(s.Input(InPrincipals)) {
				arn, err := awsops.PrincipalARN(p, s.Region)
				if err != nil {
					return Result{}, &BadInputError{Err: err}
				}
				if arn == "*" {
					checks = append(checks, CheckResult{Name: "no wildcard principal", Expected: "named accounts or ARNs", Seen: "*",
						Hint: "* lets every AWS account find and request a connection; keep acceptance required, or name the accounts."})
				}
				arns = append(arns, arn)
			}
			if err := env.provider().AllowPrincipals(ctx, s.Resource(ResServiceID), arns); err != nil {
				return Result{}, err
			}
			env.forget(allowedKey(s.Resource(ResServiceID)))
			return Result{Detail: "allowed " + strings.Join(arns, ", "), Checks: checks}, nil
		},
	}
}

func privateDNSStep() *Step {
	return &Step{
		ID: StepPrivateDNS, Title: "Private DNS name", Kind: KindForm,
		Inputs: []Input{{
			Key: InPrivateDNS, Label: "Private DNS name (optional)", Flag: "private-dns", Type: InputText, Validate: validateDNSName,
			Help: "A name you own, such as api.example.com, that consumers' VPCs will resolve to their endpoint. You prove you own it with a TXT record.",
		}},
		Do: func(ctx context.Context, env *Env, s *Session) (Result, error) {
			name := strings.TrimSuffix(strings.ToLower(s.Input(InPrivateDNS)), ".")
			if name == "" {
				return Result{Detail: "none: consumers will use the endpoint's own vpce names"}, nil
			}
			p := env.provider()
			id := s.Resource(ResServiceID)
			svc, err := env.service(ctx, id)
			if err != nil {
				return Result{}, err
			}
			if !strings.EqualFold(svc.PrivateDNS.Name, name) {
				if err := p.ModifyService(ctx, id, awsops.ModifyServiceInput{PrivateDNSName: name}); err != nil {
					return Result{}, err
				}
				// The TXT record to publish is only in a fresh read.
				if svc, err = env.readService(ctx, id); err != nil {
					return Result{}, err
				}
			}
			cfg := svc.PrivateDNS
			s.SetResource(ResTXTName, cfg.RecordName)
			s.SetResource(ResTXTValue, cfg.RecordValue)
			zone, ok, err := p.FindPublicHostedZone(ctx, name)
			if err != nil {
				return Result{}, err
			}
			check := CheckResult{Name: "public hosted zone for " + name + " in this account", Expected: "a public Route 53 zone covering " + name,
				Seen: "none", Hint: "plwiz cannot write the TXT record for you: add it at your DNS provider (the next step shows it)."}
			if ok {
				s.SetResource(ResZoneID, zone.ID)
				s.SetResource(ResZoneName, zone.Name)
				check.Passed, check.Seen = true, fmt.Sprintf("%s (%s)", zone.Name, zone.ID)
			} else {
				delete(s.Resources, ResZoneID)
				delete(s.Resources, ResZoneName)
			}
			return Result{Detail: fmt.Sprintf("%s: %s", name, cfg.State), Checks: []CheckResult{check}}, nil
		},
	}
}

func txtRecordStep() *Step {
	return &Step{
		ID: StepTXTRecord, Title: "Publish the TXT record", Kind: KindAction,
		// Route 53 says a change is usually INSYNC within 60 seconds.
		Await: Await{Kind: AwaitAWS, Typical: time.Minute},
		Skip:  func(s *Session) bool { return !hasPrivateDNS(s) },
		Inputs: []Input{{
			Key: InWriteTXT, Label: "Write the record to Route 53 now", Flag: "write-txt", Type: InputConfirm, Validate: validateBool,
			Help:        "Upsert the TXT record (TTL 1800) in your public hosted zone and wait until Route 53 is in sync; without it, you publish the record yourself at your DNS provider.",
			Default:     func(s *Session) string { return strconv.FormatBool(s.Resource(ResZoneID) != "") },
			DefaultText: "on when the name's public hosted zone is in this account, else off",
		}},
		Fields: func(s *Session) []Field {
			where := "no public hosted zone for it in this account: add the record at your DNS provider"
			switch z := s.Resource(ResZoneID); {
			case z == "":
			case s.Resource(ResTXTWritten) == "true":
				where = fmt.Sprintf("written to the public zone %s (%s)", s.Resource(ResZoneName), z)
			case s.Input(InWriteTXT) == "false":
				where = fmt.Sprintf("plwiz can write it to the public zone %s (%s); you chose to add it yourself", s.Resource(ResZoneName), z)
			default:
				where = fmt.Sprintf("plwiz writes it to the public zone %s (%s) when you go ahead", s.Resource(ResZoneName), z)
			}
			return []Field{
				{Label: "Name", Value: s.Resource(ResTXTName), Copyable: true},
				{Label: "Type", Value: "TXT", Copyable: true},
				{Label: "Value", Value: s.Resource(ResTXTValue), Copyable: true},
				{Label: "TTL", Value: strconv.Itoa(awsops.TXTRecordTTL), Copyable: true},
				{Label: "Route 53", Value: where},
			}
		},
		Describe: func(s *Session) string {
			return "AWS verifies you own " + s.Input(InPrivateDNS) + " by looking up this TXT record in public DNS."
		},
		Do: func(ctx context.Context, env *Env, s *Session) (Result, error) {
			zone := s.Resource(ResZoneID)
			if zone == "" || s.Input(InWriteTXT) == "false" {
				delete(s.Resources, ResChangeID)
				return Result{Detail: fmt.Sprintf("publish TXT %s = %q yourself (TTL %d), then continue", s.Resource(ResTXTName), s.Resource(ResTXTValue), awsops.TXTRecordTTL)}, nil
			}
			change, err := env.provider().UpsertTXT(ctx, zone, s.Resource(ResTXTName), s.Resource(ResTXTValue))
			if err != nil {
				return Result{}, err
			}
			s.SetResource(ResChangeID, change)
			s.MarkCreated(ResChangeID, change, StepTXTRecord, env.now())
			s.SetResource(ResTXTWritten, "true")
			return Result{Detail: fmt.Sprintf("wrote TXT %s to %s", s.Resource(ResTXTName), s.Resource(ResZoneName))}, nil
		},
		Poll: func(ctx context.Context, env *Env, s *Session) (Status, error) {
			change := s.Resource(ResChangeID)
			if change == "" {
				return Status{Done: true, Detail: "record to be published by you"}, nil
			}
			st, err := env.provider().ChangeStatus(ctx, change)
			if err != nil {
				return Status{}, err
			}
			if st == awsops.ChangeInsync {
				return Status{Done: true, State: string(st), Detail: "Route 53 change is INSYNC"}, nil
			}
			return Status{State: string(st), Detail: "Route 53 is propagating the record (" + string(st) + ")"}, nil
		},
	}
}

func verifyDNSStep() *Step {
	return &Step{
		ID: StepVerifyDNS, Title: "Verify the private DNS name", Kind: KindWait,
		Await: Await{Kind: AwaitAWS, Typical: 5 * time.Minute},
		Skip:  func(s *Session) bool { return !hasPrivateDNS(s) },
		Do: func(ctx context.Context, env *Env, s *Session) (Result, error) {
			id := s.Resource(ResServiceID)
			svc, err := env.service(ctx, id)
			if err != nil {
				return Result{}, err
			}
			if svc.PrivateDNS.State == awsops.DNSVerified {
				return Result{Detail: "already verified"}, nil
			}
			if err := env.provider().StartVerification(ctx, id); err != nil {
				// Verification may have finished since the read above (AWS
				// refuses to start it on a verified name): look again.
				if fresh, rerr := env.readService(ctx, id); rerr == nil && fresh.PrivateDNS.State == awsops.DNSVerified {
					return Result{Detail: "already verified"}, nil
				}
				return Result{}, err
			}
			env.forget(serviceKey(id))
			return Result{Detail: "verification started"}, nil
		},
		Poll: func(ctx context.Context, env *Env, s *Session) (Status, error) {
			svc, err := env.readService(ctx, s.Resource(ResServiceID))
			if err != nil {
				return Status{}, err
			}
			cfg := svc.PrivateDNS
			st := Status{State: string(cfg.State)}
			switch cfg.State {
			case awsops.DNSVerified:
				st.Done, st.Detail = true, cfg.Name+" is verified"
			case awsops.DNSFailed:
				st.Failed = true
				st.Detail = "AWS could not verify " + cfg.Name
				st.Hint = fmt.Sprintf("AWS looks for TXT %s with the value %q in public DNS. Check the record exists (dig TXT %s), then resume to verify again.",
					cfg.RecordName, cfg.RecordValue, cfg.RecordName)
			default:
				st.Detail = "AWS is looking up the TXT record " + cfg.RecordName
			}
			return st, nil
		},
	}
}

func exportOfferStep() *Step {
	return &Step{
		ID: StepExportOffer, Title: "Export the offer", Kind: KindHandoff, Handoff: HandoffExport,
		Inputs: []Input{{
			Key: InOfferOut, Label: "Write the offer to", Flag: "offer-out", Type: InputText, Validate: validateOutPath,
			Help:        "The file to write the offer for the consumer to; plwiz prints it as a one-line token too.",
			Default:     func(s *Session) string { return "offer-" + s.Resource(ResServiceID) + ".json" },
			DefaultText: "offer-SERVICE_ID.json in the current directory",
		}},
		Do: func(ctx context.Context, env *Env, s *Session) (Result, error) {
			// What the wait before it read: the service as verified.
			svc, err := env.service(ctx, s.Resource(ResServiceID))
			if err != nil {
				return Result{}, err
			}
			port, _ := strconv.Atoi(s.Resource(ResNLBPort))
			offer := handoff.Offer{
				ServiceName: svc.Name, ServiceID: svc.ID, Region: s.Region,
				SupportedRegions:   withRegion(svc.SupportedRegions, s.Region),
				ProviderAccountID:  s.Account,
				AcceptanceRequired: svc.AcceptanceRequired,
				CreatedAt:          env.now(),
			}
			if port > 0 {
				offer.Ports = []int{port}
			}
			for i, id := range svc.ZoneIDs {
				az := handoff.AZ{ID: id}
				if i < len(svc.ZoneNames) {
					az.Name = svc.ZoneNames[i]
				}
				offer.AvailabilityZones = append(offer.AvailabilityZones, az)
			}
			for _, t := range svc.IPAddressTypes {
				offer.IPAddressTypes = append(offer.IPAddressTypes, handoff.IPAddressType(t))
			}
			if len(offer.IPAddressTypes) == 0 {
				offer.IPAddressTypes = []handoff.IPAddressType{handoff.IPv4}
			}
			if svc.PrivateDNS.Name != "" {
				offer.PrivateDNSName = svc.PrivateDNS.Name
				offer.PrivateDNSState = handoff.DNSState(svc.PrivateDNS.State)
			}
			path := bundlePath(env, s.Input(InOfferOut), "offer-"+svc.ID+".json")
			exp, err := writeBundle(path, offer)
			if err != nil {
				return Result{}, err
			}
			s.SetResource(ResOfferPath, exp.Path)
			return Result{Detail: "send this to the consumer (file or token)", Export: exp}, nil
		},
	}
}

func withRegion(regions []string, region string) []string {
	if slices.Contains(regions, region) {
		return regions
	}
	return append([]string{region}, regions...)
}

// bundlePath resolves where a bundle goes: the given path, else a default
// name in the env's bundle folder.
func bundlePath(env *Env, given, def string) string {
	p := given
	if p == "" {
		p = def
	}
	if !filepath.IsAbs(p) && env.BundleDir != "" && !strings.Contains(given, string(filepath.Separator)) {
		p = filepath.Join(env.BundleDir, p)
	}
	return p
}

func writeBundle(path string, b handoff.Bundle) (*Export, error) {
	if err := handoff.WriteFile(path, b); err != nil {
		return nil, fmt.Errorf("write %s: %w", b.Kind(), err)
	}
	token, err := handoff.EncodeToken(b)
	if err != nil {
		return nil, fmt.Errorf("encode %s token: %w", b.Kind(), err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	return &Export{Path: abs, Token: token}, nil
}

func importRequestStep() *Step {
	return &Step{
		ID: StepImportRequest, Title: "Import the consumer's request", Kind: KindHandoff, Handoff: HandoffImport,
		Await: Await{Kind: AwaitFile},
		Inputs: []Input{{
			Key: InRequest, Label: "Request file or token", Flag: "request", Type: InputText, Required: true,
			Help:     "The consumer's request, sent once they created their endpoint: a file, or a one-line plwiz1.request token. It names the endpoint to accept.",
			Validate: validateBundleRef(handoff.KindRequest), Normalize: handoff.Clean,
		}},
		Poll: func(ctx context.Context, env *Env, s *Session) (Status, error) {
			b, waiting, err := awaitBundle(env, s.Input(InRequest), "the consumer's request")
			if b == nil {
				return waiting, err
			}
			req, isReq := b.(handoff.Request)
			if !isReq {
				return Status{}, badInputf("this is an %s; the provider imports the consumer's request", b.Kind())
			}
			if req.ServiceID != s.Resource(ResServiceID) {
				return Status{}, badInputf("the request is for service %s, but this session's service is %s; is it the right file?", req.ServiceID, s.Resource(ResServiceID))
			}
			// A request is a claim: check it against what AWS says before
			// anything is accepted on its word.
			if err := vetRequest(ctx, env, s, req); err != nil {
				return Status{}, err
			}
			s.SetResource(ResExpected, strings.Join(req.EndpointIDs, ","))
			s.SetResource(ResConsumerAcct, req.ConsumerAccountID)
			s.SetResource(ResConsumerARN, req.PrincipalARN)
			return Status{Done: true, State: "imported", Detail: fmt.Sprintf("expecting endpoint %s from account %s", strings.Join(req.EndpointIDs, ", "), req.ConsumerAccountID)}, nil
		},
	}
}

func expected(s *Session) []string { return splitList(s.Resource(ResExpected)) }

// refreshExpected re-reads the consumer's request file: after a rejection
// the consumer sends a new request naming a new endpoint, and the
// connections step must expect that one, not the rejected one. A file that
// is gone or not a request for this service leaves what was imported.
func refreshExpected(env *Env, s *Session) {
	ref, err := handoff.Clean(s.Input(InRequest))
	if err != nil || ref == "" || handoff.IsInline(ref) {
		return
	}
	b, ok, err := readBundle(ref, env.now())
	if err != nil || !ok {
		return
	}
	if req, isReq := b.(handoff.Request); isReq && req.ServiceID == s.Resource(ResServiceID) {
		s.SetResource(ResExpected, strings.Join(req.EndpointIDs, ","))
		s.SetResource(ResConsumerAcct, req.ConsumerAccountID)
		s.SetResource(ResConsumerARN, req.PrincipalARN)
	}
}

func connectionsStep() *Step {
	accept := RowAction{Key: "a", Label: "accept", Do: func(ctx context.Context, env *Env, s *Session, ids []string) (string, error) {
		if err := vetEndpoints(ctx, env, s, ids); err != nil {
			return "", err
		}
		return acceptEndpoints(ctx, env, s, ids)
	}}
	reject := RowAction{Key: "r", Label: "reject", Confirm: "Reject the selected endpoint(s)? A rejected endpoint can never be accepted: the consumer would have to create a new one.",
		Do: func(ctx context.Context, env *Env, s *Session, ids []string) (string, error) {
			if err := env.provider().RejectConnections(ctx, s.Resource(ResServiceID), ids); err != nil {
				return "", err
			}
			return "rejected " + strings.Join(ids, ", "), nil
		}}
	return &Step{
		ID: StepConnections, Title: "Accept the consumer's endpoint", Kind: KindTable,
		// A refresh between full loads is one call (the connections not
		// yet final); every 6 s, with a full load of 11 pages every 10
		// minutes for 10,000 connections, that is 11 calls a minute. A row
		// action refreshes at once.
		Await: Await{Kind: AwaitParty, Every: 6 * time.Second},
		Table: &Table{
			Columns: []string{"Endpoint", "Owner", "State", "Created", "Expected"},
			Rows: func(ctx context.Context, env *Env, s *Session) ([]Row, error) {
				refreshExpected(env, s)
				conns, err := env.provider().ListConnections(ctx, s.Resource(ResServiceID), awsops.ConnectionFilter{})
				if err != nil {
					return nil, err
				}
				return connectionRows(conns, s), nil
			},
			Changes: connectionChanges,
			Actions: []RowAction{accept, reject},
			Done: func(rows []Row, s *Session) bool {
				want := expected(s)
				if len(want) == 0 {
					want = splitList(s.Resource(ResAccepted))
				}
				if len(want) == 0 {
					return false
				}
				for _, id := range want {
					if !slices.ContainsFunc(rows, func(r Row) bool { return r.ID == id && accepted(awsops.EndpointState(r.State)) }) {
						return false
					}
				}
				return true
			},
		},
		// Headless: accept the endpoints the request names once they show up.
		Poll: func(ctx context.Context, env *Env, s *Session) (Status, error) {
			refreshExpected(env, s)
			want := expected(s)
			if len(want) == 0 {
				return Status{}, badInputf("no request imported: plwiz accepts only endpoints the consumer's request names (pass --request)")
			}
			conns, err := env.provider().ListConnections(ctx, s.Resource(ResServiceID), awsops.ConnectionFilter{EndpointIDs: want})
			if err != nil {
				return Status{}, err
			}
			var pending, missing []string
			done := 0
			for _, id := range want {
				i := slices.IndexFunc(conns, func(c awsops.Connection) bool { return c.EndpointID == id })
				switch {
				case i < 0:
					missing = append(missing, id)
				case conns[i].State == awsops.EndpointPendingAcceptance:
					pending = append(pending, id)
				case accepted(conns[i].State):
					done++
				default:
					return Status{Failed: true, State: string(conns[i].State), Detail: fmt.Sprintf("endpoint %s is %s", id, conns[i].State),
						Hint: "Only an endpoint in pendingAcceptance can be accepted; ask the consumer to create a new endpoint and send a new request."}, nil
				}
			}
			if len(pending) > 0 && s.Input(InAutoAccept) != "false" {
				if bad := refused(conns, pending, s, allowedLater(ctx, env, s)); len(bad) > 0 {
					return Status{Failed: true, State: "refused", Detail: "refusing to accept: " + strings.Join(bad, "; "), Hint: forgedHint}, nil
				}
				if _, err := acceptEndpoints(ctx, env, s, pending); err != nil {
					return Status{}, err
				}
				done += len(pending)
			}
			if done == len(want) {
				return Status{Done: true, State: "accepted", Detail: "accepted " + strings.Join(want, ", ")}, nil
			}
			return Status{OtherParty: len(missing) > 0, State: "waiting", Detail: "waiting for endpoint " + strings.Join(missing, ", ") + " to request a connection"}, nil
		},
	}
}

// forgedHint is what to do when a connection is not what the request
// claims.
const forgedHint = "Do not accept it: the request may be forged or mistaken. Ask the consumer, through a channel you trust, for their account ID and endpoint ID, and for a new request."

// vetRequest compares what a consumer's request claims with what AWS
// reports: its account must be an allowed principal of the service, and
// each endpoint it names that AWS already shows must belong to that
// account.
func vetRequest(ctx context.Context, env *Env, s *Session, req handoff.Request) error {
	svc := s.Resource(ResServiceID)
	allowed, err := env.allowedPrincipals(ctx, svc)
	if err != nil {
		return err
	}
	if !principalsAllow(allowed, req.ConsumerAccountID) {
		return badInputf("the request says it comes from account %s, which is not an allowed principal of %s (allowed: %s). %s",
			req.ConsumerAccountID, svc, principalList(allowed), forgedHint)
	}
	conns, err := env.provider().ListConnections(ctx, svc, awsops.ConnectionFilter{EndpointIDs: req.EndpointIDs})
	if err != nil {
		return err
	}
	for _, c := range conns {
		if c.Owner != req.ConsumerAccountID {
			return badInputf("the request says endpoint %s comes from account %s, but AWS says account %s owns it. %s",
				c.EndpointID, req.ConsumerAccountID, c.Owner, forgedHint)
		}
		if c.Region != "" && c.Region != req.ConsumerRegion {
			return badInputf("the request says endpoint %s is in %s, but AWS says it is in %s. %s",
				c.EndpointID, req.ConsumerRegion, c.Region, forgedHint)
		}
	}
	return nil
}

// vetEndpoints refuses to accept an endpoint whose owner is not an allowed
// principal of the service, or one the consumer's request names whose
// owner is not the account the request claims.
func vetEndpoints(ctx context.Context, env *Env, s *Session, ids []string) error {
	conns, err := env.provider().ListConnections(ctx, s.Resource(ResServiceID), awsops.ConnectionFilter{EndpointIDs: ids})
	if err != nil {
		return err
	}
	if bad := refused(conns, ids, s, allowedLater(ctx, env, s)); len(bad) > 0 {
		return fmt.Errorf("refusing to accept: %s. %s", strings.Join(bad, "; "), forgedHint)
	}
	return nil
}

// acceptEndpoints accepts endpoints already vetted.
func acceptEndpoints(ctx context.Context, env *Env, s *Session, ids []string) (string, error) {
	if err := env.provider().AcceptConnections(ctx, s.Resource(ResServiceID), ids); err != nil {
		return "", err
	}
	s.SetResource(ResAccepted, strings.Join(mergeIDs(splitList(s.Resource(ResAccepted)), ids), ","))
	return "accepted " + strings.Join(ids, ", "), nil
}

// allowedLater reads the service's allowed principals when needed (an
// owner to vet), taking a read of moments ago (the request's import).
func allowedLater(ctx context.Context, env *Env, s *Session) func() ([]awsops.AllowedPrincipal, error) {
	return func() ([]awsops.AllowedPrincipal, error) { return env.allowedPrincipals(ctx, s.Resource(ResServiceID)) }
}

// refused says why each of ids must not be accepted, given the service's
// connections: not found, owned by an account that is not allowed, or not
// owned by the account the request claims.
func refused(conns []awsops.Connection, ids []string, s *Session, allowed func() ([]awsops.AllowedPrincipal, error)) []string {
	want := expected(s)
	claimed := s.Resource(ResConsumerAcct)
	var out []string
	for _, id := range ids {
		i := slices.IndexFunc(conns, func(c awsops.Connection) bool { return c.EndpointID == id })
		if i < 0 {
			out = append(out, fmt.Sprintf("%s is not a connection of %s", id, s.Resource(ResServiceID)))
			continue
		}
		owner := conns[i].Owner
		if slices.Contains(want, id) && claimed != "" && owner != claimed {
			out = append(out, fmt.Sprintf("%s belongs to account %s, but the request claims account %s", id, owner, claimed))
			continue
		}
		list, err := allowed()
		if err != nil {
			out = append(out, fmt.Sprintf("could not read the allowed principals to check %s: %v", id, err))
			continue
		}
		if !principalsAllow(list, owner) {
			out = append(out, fmt.Sprintf("%s belongs to account %s, which is not an allowed principal (allowed: %s)", id, owner, principalList(list)))
		}
	}
	return out
}

// principalsAllow reports whether an endpoint owned by account may connect:
// everyone is allowed, or the account, or a principal of it (a role or
// user ARN in that account).
func principalsAllow(allowed []awsops.AllowedPrincipal, account string) bool {
	for _, p := range allowed {
		if p.ARN == "*" {
			return true
		}
		if f := strings.SplitN(p.ARN, ":", 6); len(f) == 6 && f[0] == "arn" && f[4] == account {
			return true
		}
	}
	return false
}

func principalList(allowed []awsops.AllowedPrincipal) string {
	if len(allowed) == 0 {
		return "none"
	}
	arns := make([]string, len(allowed))
	for i, p := range allowed {
		arns[i] = p.ARN
	}
	return strings.Join(arns, ", ")
}

// connectionChanges brings the connections table up to date between full
// loads, with one call while nothing moves. While the connections not yet
// final (pendingAcceptance, pending) fit in one page, it lists those by
// state: new endpoints show up at once, acceptances progress. With more
// (a popular service with thousands waiting), listing them would be a full
// load every time, so it reads by ID only the endpoints the request names
// and those this session accepted that are not final yet; others' new
// endpoints show at the next full load (ctrl+r, or every FullEvery). Rows
// that were not final and are no longer listed so are read by ID (a second
// call, only then).
func connectionChanges(ctx context.Context, env *Env, s *Session, known []Row) ([]Row, error) {
	refreshExpected(env, s)
	svc := s.Resource(ResServiceID)
	isOpen := func(st string) bool {
		return awsops.EndpointState(st) == awsops.EndpointPendingAcceptance || awsops.EndpointState(st) == awsops.EndpointPending
	}
	open := 0
	for _, r := range known {
		if isOpen(r.State) {
			open++
		}
	}
	var conns []awsops.Connection
	listed := map[string]bool{}
	var lookup []string
	if open <= connectionsPage {
		var err error
		conns, err = env.provider().ListConnections(ctx, svc, awsops.ConnectionFilter{States: []awsops.EndpointState{awsops.EndpointPendingAcceptance, awsops.EndpointPending}})
		if err != nil {
			return nil, err
		}
		for _, c := range conns {
			listed[c.EndpointID] = true
		}
		for _, r := range known {
			if isOpen(r.State) && !listed[r.ID] {
				lookup = append(lookup, r.ID)
			}
		}
	} else {
		accepted := splitList(s.Resource(ResAccepted))
		for _, r := range known {
			if isOpen(r.State) && slices.Contains(accepted, r.ID) {
				lookup = append(lookup, r.ID)
			}
		}
	}
	for _, id := range expected(s) {
		if !listed[id] && !slices.Contains(lookup, id) {
			lookup = append(lookup, id)
		}
	}
	gone := map[string]bool{}
	if len(lookup) > 0 {
		more, err := env.provider().ListConnections(ctx, svc, awsops.ConnectionFilter{EndpointIDs: lookup})
		if err != nil {
			return nil, err
		}
		for _, id := range lookup {
			if slices.ContainsFunc(known, func(r Row) bool { return r.ID == id }) {
				gone[id] = true
			}
		}
		for _, c := range more {
			delete(gone, c.EndpointID)
		}
		conns = append(conns, more...)
	}
	fresh := connectionRows(conns, s)
	byID := make(map[string]Row, len(fresh))
	for _, r := range fresh {
		byID[r.ID] = r
	}
	want := expected(s)
	out := make([]Row, 0, len(known)+len(fresh))
	changed := false
	for _, r := range known {
		switch {
		case gone[r.ID]:
			changed = true // deleted: AWS no longer lists it
		case byID[r.ID].ID != "":
			n := byID[r.ID]
			changed = changed || !sameRow(n, r)
			out = append(out, n)
			delete(byID, r.ID)
		case r.Expected != slices.Contains(want, r.ID):
			changed = true
			out = append(out, relabel(r, s)) // a new request names other endpoints
		default:
			out = append(out, r)
		}
	}
	for _, r := range fresh {
		if _, ok := byID[r.ID]; ok {
			changed = true
			out = append(out, r)
			delete(byID, r.ID)
		}
	}
	if !changed {
		// The very rows it was given: the engine shows nothing new.
		return known, nil
	}
	return out, nil
}

func sameRow(a, b Row) bool {
	return a.ID == b.ID && a.State == b.State && a.Note == b.Note && a.Expected == b.Expected && slices.Equal(a.Cells, b.Cells)
}

// connectionsPage is the most connections one DescribeVpcEndpointConnections
// returns.
const connectionsPage = 1000

// relabel refreshes what a row says about the request (a new request may
// name other endpoints) without asking AWS about it again.
func relabel(r Row, s *Session) Row {
	c := awsops.Connection{EndpointID: r.ID, State: awsops.EndpointState(r.State)}
	if len(r.Cells) > 3 {
		c.Owner = r.Cells[1]
		c.CreatedAt, _ = time.Parse("2006-01-02 15:04", r.Cells[3])
	}
	return connectionRows([]awsops.Connection{c}, s)[0]
}

func accepted(st awsops.EndpointState) bool {
	return st == awsops.EndpointPending || st == awsops.EndpointAvailable
}

func mergeIDs(a, b []string) []string {
	for _, id := range b {
		if !slices.Contains(a, id) {
			a = append(a, id)
		}
	}
	return a
}

func connectionRows(conns []awsops.Connection, s *Session) []Row {
	want := expected(s)
	rows := make([]Row, 0, len(conns))
	for _, c := range conns {
		r := Row{ID: c.EndpointID, State: string(c.State), Expected: slices.Contains(want, c.EndpointID),
			Cells: []string{c.EndpointID, c.Owner, string(c.State), c.CreatedAt.UTC().Format("2006-01-02 15:04"), ""}}
		switch {
		case r.Expected && s.Resource(ResConsumerAcct) != "" && c.Owner != s.Resource(ResConsumerAcct):
			r.Cells[4] = "yes"
			r.Note = fmt.Sprintf("owned by %s, but the request claims %s: do not accept", c.Owner, s.Resource(ResConsumerAcct))
		case r.Expected:
			r.Cells[4] = "yes"
		case len(want) > 0:
			r.Note = "not named in the consumer's request"
		}
		if c.State == awsops.EndpointRejected {
			r.Note = "rejected: a rejected endpoint stays rejected"
		}
		if r.Note == "" && c.Region != "" && c.Region != s.Region {
			r.Note = "from " + c.Region + " (cross-region)"
		}
		rows = append(rows, r)
	}
	return rows
}

func endpointAvailableStep() *Step {
	return &Step{
		ID: StepEndpointActive, Title: "Wait for the endpoint to be available", Kind: KindWait,
		Await: Await{Kind: AwaitAWS, Typical: 2 * time.Minute},
		Poll: func(ctx context.Context, env *Env, s *Session) (Status, error) {
			ids := mergeIDs(expected(s), splitList(s.Resource(ResAccepted)))
			if len(ids) == 0 {
				return Status{}, errors.New("no accepted endpoint to wait for; accept one in the previous step")
			}
			conns, err := env.provider().ListConnections(ctx, s.Resource(ResServiceID), awsops.ConnectionFilter{EndpointIDs: ids})
			if err != nil {
				return Status{}, err
			}
			var notYet []string
			for _, id := range ids {
				i := slices.IndexFunc(conns, func(c awsops.Connection) bool { return c.EndpointID == id })
				if i < 0 || conns[i].State != awsops.EndpointAvailable {
					st := "not found"
					if i >= 0 {
						st = string(conns[i].State)
						if conns[i].State.Final() {
							return Status{Failed: true, State: st, Detail: fmt.Sprintf("endpoint %s is %s", id, st),
								Hint: "The consumer needs to create a new endpoint and send a new request."}, nil
						}
					}
					notYet = append(notYet, id+" ("+st+")")
				}
			}
			if len(notYet) == 0 {
				return Status{Done: true, State: "available", Detail: strings.Join(ids, ", ") + " available"}, nil
			}
			return Status{State: "pending", Detail: "AWS is provisioning " + strings.Join(notYet, ", ")}, nil
		},
	}
}

func providerSummaryStep() *Step {
	return &Step{
		ID: StepSummary, Title: "Summary", Kind: KindAction,
		Do: func(_ context.Context, _ *Env, s *Session) (Result, error) {
			reach := "the endpoint's vpce DNS names"
			if n := s.Input(InPrivateDNS); n != "" {
				reach = n
			}
			return Result{Detail: fmt.Sprintf("service %s is live; endpoint %s connected; consumers reach it at %s:%s%s",
				s.Resource(ResServiceName), orDefault(s.Resource(ResAccepted), s.Resource(ResExpected)), reach, s.Resource(ResNLBPort), notifySummary(s))}, nil
		},
	}
}
