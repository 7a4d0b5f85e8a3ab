package sandbox

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// A Scenario sets a new world up for one situation (legacy IDs, many
// pending connections...), so tests, benchmarks, the demo and
// `plwiz sandbox --scenario` share the same worlds. Scenarios compose:
// "legacy-ids,connections=100" runs every Prepare, builds the world, then
// runs every Setup in the order given.
//
// To add one, write its function (a Setup changing the default world of
// NewWorld, or a Prepare when it must hold from the world's first ID on)
// and add a line to Scenarios.
type Scenario struct {
	Name string
	// Arg names the scenario's argument in help (connections=N); "" when it
	// takes none.
	Arg string
	// Help is for `plwiz sandbox --help`: lines of at most 60 characters.
	Help string
	// Prepare adjusts the options of the world before it is built; nil for
	// nothing.
	Prepare func(o *WorldOptions, arg string) error
	// Setup changes the built world; nil for nothing.
	Setup func(w *World, arg string) error
}

// Usage is how the scenario is written: its name, with =Arg if it takes one.
func (s Scenario) Usage() string {
	if s.Arg == "" {
		return s.Name
	}
	return s.Name + "=" + s.Arg
}

// Scenarios lists every scenario, in the order help shows them.
func Scenarios() []Scenario {
	return append([]Scenario{
		{Name: "legacy-ids", Prepare: legacyIDs,
			Help: "IDs of 8 hex digits, as AWS issued them before 2018, new ones too"},
		{Name: "connections", Arg: "N", Setup: pendingConnections,
			Help: fmt.Sprintf("N (1-%d) pending connections to an available service\nnamed %s, from a third account's endpoints", maxConnections, connectionsServiceName)},
		{Name: "no-multi-region", Setup: noMultiRegion,
			Help: "no principal may perform vpce:AllowMultiRegion, so AWS\nrefuses every cross-region PrivateLink call"},
	}, diagScenarios()...)
}

// scenarioUse is one scenario of a spec, with its argument.
type scenarioUse struct {
	Scenario
	arg string
}

// written is the use as a spec writes it.
func (u scenarioUse) written() string {
	if u.Arg == "" {
		return u.Name
	}
	return u.Name + "=" + u.arg
}

// ParseScenarios checks a spec ("legacy-ids,connections=100") and returns
// its items as written, trimmed. An unknown name, a missing or unexpected
// argument, an empty item or a scenario given twice is an error that names
// the known scenarios.
func ParseScenarios(spec string) ([]string, error) {
	uses, err := parseScenarios(spec)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(uses))
	for i, u := range uses {
		out[i] = u.written()
	}
	return out, nil
}

func parseScenarios(spec string) ([]scenarioUse, error) {
	if strings.TrimSpace(spec) == "" {
		return nil, nil
	}
	known := Scenarios()
	var usages []string
	for _, s := range known {
		usages = append(usages, s.Usage())
	}
	knownList := strings.Join(usages, ", ")
	var uses []scenarioUse
	for item := range strings.SplitSeq(spec, ",") {
		name, arg, hasArg := strings.Cut(strings.TrimSpace(item), "=")
		i := slices.IndexFunc(known, func(s Scenario) bool { return s.Name == name })
		switch {
		case name == "":
			return nil, fmt.Errorf("scenario %q: empty entry (two commas in a row?); known scenarios: %s", spec, knownList)
		case i < 0:
			return nil, fmt.Errorf("unknown scenario %q; known scenarios: %s", name, knownList)
		case known[i].Arg != "" && (!hasArg || arg == ""):
			return nil, fmt.Errorf("scenario %s needs a value: %s", name, known[i].Usage())
		case known[i].Arg == "" && hasArg:
			return nil, fmt.Errorf("scenario %s takes no value (got %s=%s)", name, name, arg)
		case slices.ContainsFunc(uses, func(u scenarioUse) bool { return u.Name == name }):
			return nil, fmt.Errorf("scenario %s is given twice", name)
		}
		uses = append(uses, scenarioUse{known[i], arg})
	}
	return uses, nil
}

// NewScenarioWorld builds a world as NewWorld does, set up by the
// scenarios of spec ("" for none). Every error is the caller's input: a
// spec ParseScenarios refuses, or an argument a scenario refuses.
func NewScenarioWorld(o WorldOptions, spec string) (*World, error) {
	uses, err := parseScenarios(spec)
	if err != nil {
		return nil, err
	}
	for _, u := range uses {
		if u.Prepare != nil {
			if err := u.Prepare(&o, u.arg); err != nil {
				return nil, err
			}
		}
	}
	w := NewWorld(o)
	for _, u := range uses {
		if u.Setup != nil {
			if err := u.Setup(w, u.arg); err != nil {
				return nil, err
			}
		}
		w.Scenarios = append(w.Scenarios, u.written())
	}
	return w, nil
}

// legacyIDs: IDs of the kinds AWS issued before 2018 have 8 hex digits.
func legacyIDs(o *WorldOptions, _ string) error {
	o.LegacyIDs = true
	return nil
}

const (
	// FleetAccountID owns the endpoints of the connections scenario.
	FleetAccountID = "444444444444"
	// maxConnections fits the fleet VPC's three /18 subnets.
	maxConnections         = 40000
	connectionsServiceName = "plwiz-connections"
)

// pendingConnections adds a "fleet" account whose N interface endpoints
// (one ENI each, in a /16 VPC of their own) wait for acceptance by a new
// available endpoint service of the provider's load balancer. The service
// allows the fleet and the consumer, so a consumer endpoint is the N+1st.
func pendingConnections(w *World, arg string) error {
	n, err := strconv.Atoi(arg)
	if err != nil || n < 1 || n > maxConnections {
		return fmt.Errorf("scenario connections=%s: N must be a whole number from 1 to %d", arg, maxConnections)
	}
	provider, consumer := w.AccountByName("provider"), w.AccountByName("consumer")
	var nlb string
	for _, arn := range SortedKeys(w.LoadBalancers) {
		if lb := w.LoadBalancers[arn]; provider != nil && lb.Owner == provider.ID && lb.Type == "network" && nlb == "" {
			nlb = arn
		}
	}
	if nlb == "" || consumer == nil || w.Account(FleetAccountID) != nil {
		return errors.New("scenario connections needs the default world: a provider with a network load balancer and a consumer")
	}
	now := w.AdvancedTo
	fleet := w.addAccount(FleetAccountID, "fleet", 1)
	octet := w.freeSecondOctet()
	vpc := w.addVPC(fleet, w.Region, fmt.Sprintf("127.%d.0.0/16", octet), true)
	var group string
	for id, sg := range w.SecurityGroups {
		if sg.VPCID == vpc.ID {
			group = id
		}
	}
	var subnets []*Subnet
	for i, az := range w.AZIDsIn(w.Region) {
		subnets = append(subnets, w.addSubnet(vpc, az, fmt.Sprintf("127.%d.%d.0/18", octet, 64*i)))
	}

	id := w.NewID("vpce-svc-")
	s := &Service{
		ID: id, Name: "com.amazonaws.vpce." + w.Region + "." + id, Owner: provider.ID,
		State: ServiceAvailable, NLBARNs: []string{nlb}, AcceptanceRequired: true,
		IPAddressTypes: []string{"ipv4"}, SupportedRegions: []string{w.Region},
		CreatedAt: now.Add(-time.Duration(n+1) * time.Second),
		Tags:      []Tag{{Key: "Name", Value: connectionsServiceName}},
	}
	for _, a := range []*Account{fleet, consumer} {
		s.AllowedPrincipals = append(s.AllowedPrincipals, Principal{ID: w.NewID("vpce-svc-perm-"), ARN: "arn:aws:iam::" + a.ID + ":root"})
	}
	w.Services[s.ID] = s
	for i := range n {
		sn := subnets[i%len(subnets)]
		e := &Endpoint{
			ID: w.NewID("vpce-"), Owner: fleet.ID, ServiceID: s.ID, ServiceName: s.Name,
			VPCID: vpc.ID, SubnetIDs: []string{sn.ID}, SecurityGroupIDs: []string{group},
			IPAddressType: "ipv4", State: EndpointPendingAcceptance,
			// One a second up to now: the oldest asked first.
			CreatedAt: now.Add(-time.Duration(n-i) * time.Second),
			DNSSuffix: w.randomString(8, lowerAlnum),
		}
		var full *Subnet
		if e.ENIIDs, full = w.newENIs(e, []*Subnet{sn}); full != nil {
			return fmt.Errorf("scenario connections=%d: subnet %s has no free address left", n, full.ID)
		}
		w.Endpoints[e.ID] = e
	}
	return nil
}

// freeSecondOctet picks a 127.X.0.0/16 no VPC of the world uses.
func (w *World) freeSecondOctet() int {
	used := map[string]bool{}
	for _, v := range w.VPCs {
		parts := strings.Split(v.CIDR, ".")
		if len(parts) > 1 {
			used[parts[1]] = true
		}
	}
	for x := 16; x < 255; x++ {
		if !used[strconv.Itoa(x)] {
			return x
		}
	}
	return 255
}
