package sandbox

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"sort"
	"strings"
	"time"
)

// World is everything the emulated AWS knows: accounts, networks, load
// balancers, endpoint services, endpoints and hosted zones. It is plain data
// so it can be saved to JSON and loaded again, which lets two terminals and a
// restart share one world. All access goes through the Sandbox's lock.
type World struct {
	// Region is the home region: the default world's first region, and the
	// region of every resource that names none (see regions.go).
	Region string `json:"region"`
	// Regions are the world's regions, the home region first, each with
	// its zone IDs (use1-az1...). Each account maps them to its own zone
	// names, which is exactly what trips people up across accounts.
	Regions []*Region `json:"regions,omitempty"`
	// LegacyAZIDs are the home region's zone IDs in a world saved before
	// regions; ensureRegions moves them into Regions.
	LegacyAZIDs []string   `json:"azIds,omitempty"`
	Accounts    []*Account `json:"accounts"`

	VPCs           map[string]*VPC           `json:"vpcs"`
	Subnets        map[string]*Subnet        `json:"subnets"`
	SecurityGroups map[string]*SecurityGroup `json:"securityGroups"`
	LoadBalancers  map[string]*LoadBalancer  `json:"loadBalancers"` // by ARN
	Listeners      map[string]*Listener      `json:"listeners"`     // by ARN
	Services       map[string]*Service       `json:"services"`      // by service ID
	Endpoints      map[string]*Endpoint      `json:"endpoints"`
	ENIs           map[string]*ENI           `json:"networkInterfaces"`
	HostedZones    map[string]*HostedZone    `json:"hostedZones"` // by bare zone ID (Z...)
	Changes        map[string]*Change        `json:"changes"`     // Route 53 changes by bare ID (C...)
	// RoleSessions are the temporary credentials STS and the SSO portal
	// issued, by access key ID (see sts.go).
	RoleSessions map[string]*RoleSession `json:"roleSessions,omitempty"`
	// Notify is SNS, SQS and the endpoint connection notifications
	// (notify_world.go).
	Notify *Notify `json:"notify,omitempty"`
	// Diag is the load balancers' targets, instances, Run Command and the
	// Reachability Analyzer (diag_world.go).
	Diag *Diag `json:"diag,omitempty"`

	// Seed and Seq make generated IDs deterministic for a given world.
	Seed uint64 `json:"seed"`
	Seq  uint64 `json:"seq"`
	// LegacyIDs makes the world hand out the 8-hex-digit IDs AWS issued
	// before 2018 (vpc-1a2b3c4d) for the kinds that had them; see NewID.
	LegacyIDs bool `json:"legacyIds,omitempty"`
	// Scenarios are the scenarios the world was built with, as given
	// (e.g. "connections=100"), so a restart can tell a different request.
	Scenarios []string `json:"scenarios,omitempty"`
	// AdvancedTo is the latest time the world's time-driven transitions
	// were applied up to; what fell due after it has not happened yet.
	AdvancedTo time.Time `json:"advancedTo,omitzero"`

	// pl is derived lookup state of the PrivateLink handlers (ordered
	// endpoint lists, due transitions); rebuilt from the data above when
	// missing, so it is never saved.
	pl *plIndex
	// events are the state changes noted since the sandbox last took them.
	events []Event
}

// Account is one AWS account of the world with its static credentials.
type Account struct {
	ID              string `json:"id"`
	Name            string `json:"name"` // "provider", "consumer"
	AccessKeyID     string `json:"accessKeyId"`
	SecretAccessKey string `json:"secretAccessKey"`
	// AZNames maps AZ ID → this account's AZ name, for every region's AZs
	// (AZ IDs are unique across regions).
	AZNames map[string]string `json:"azNames"`
	// OptedIn are the opt-in regions the account has enabled.
	OptedIn []string `json:"optedIn,omitempty"`
	// Denied are IAM actions the account's principals may not perform
	// (the sandbox has no policies; the no-multi-region scenario denies
	// vpce:AllowMultiRegion).
	Denied []string `json:"denied,omitempty"`
}

// ARN is the caller identity ARN the account's keys belong to.
func (a *Account) ARN() string { return "arn:aws:iam::" + a.ID + ":user/plwiz-" + a.Name }

// AZName returns this account's name for an AZ ID, or "" if unknown.
func (a *Account) AZName(azID string) string { return a.AZNames[azID] }

// AZID returns the AZ ID for one of this account's AZ names, or "".
func (a *Account) AZID(azName string) string {
	for id, n := range a.AZNames {
		if n == azName {
			return id
		}
	}
	return ""
}

// Tag is an EC2-style key/value tag.
type Tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// VPC is a virtual network; its CIDR is always inside 127.0.0.0/8. What is
// in a VPC (subnets, groups, network interfaces, instances, endpoints)
// lives in the VPC's region.
type VPC struct {
	ID                 string `json:"id"`
	Owner              string `json:"owner"`
	Region             string `json:"region,omitempty"` // "" is the home region
	CIDR               string `json:"cidr"`
	IsDefault          bool   `json:"isDefault"`
	EnableDNSSupport   bool   `json:"enableDnsSupport"`
	EnableDNSHostnames bool   `json:"enableDnsHostnames"`
	Tags               []Tag  `json:"tags,omitempty"`
	// IPv6CIDR is the VPC's IPv6 CIDR block (a /56), "" without one; see
	// world_ipv6.go for what the sandbox serves on it.
	IPv6CIDR string `json:"ipv6Cidr,omitempty"`
}

// Subnet is a subnet in one AZ (identified by AZ ID; the name is per account).
type Subnet struct {
	ID    string `json:"id"`
	Owner string `json:"owner"`
	VPCID string `json:"vpcId"`
	AZID  string `json:"azId"`
	CIDR  string `json:"cidr"`
	// NextHost is the offset from the subnet's first address of the last
	// address handed out to an ENI (for a /24 at .0, its last octet).
	NextHost int   `json:"nextHost"`
	Tags     []Tag `json:"tags,omitempty"`
	// IPv6CIDR is the subnet's IPv6 CIDR block (a /64 of its VPC's), ""
	// for an IPv4-only subnet.
	IPv6CIDR string `json:"ipv6Cidr,omitempty"`
}

// SecurityGroup with its rules.
type SecurityGroup struct {
	ID          string   `json:"id"`
	Owner       string   `json:"owner"`
	VPCID       string   `json:"vpcId"`
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Ingress     []SGRule `json:"ingress,omitempty"`
	Egress      []SGRule `json:"egress,omitempty"`
	Tags        []Tag    `json:"tags,omitempty"`
	// CreatedAt drives the eventual-consistency fault; zero for seeded groups.
	CreatedAt time.Time `json:"createdAt,omitzero"`
}

// SGRule is one permission; Protocol "-1" means all.
type SGRule struct {
	RuleID   string   `json:"ruleId"`
	Protocol string   `json:"protocol"`
	FromPort int32    `json:"fromPort"`
	ToPort   int32    `json:"toPort"`
	CIDRs    []string `json:"cidrs,omitempty"`
	GroupIDs []string `json:"groupIds,omitempty"`
	// Description is the rule's (per CIDR or group) description.
	Description string `json:"description,omitempty"`
}

// LoadBalancer is an ELBv2 load balancer (the world only has network ones,
// but Type is kept so tests can add others and see them filtered out).
type LoadBalancer struct {
	ARN       string    `json:"arn"`
	Owner     string    `json:"owner"`
	Name      string    `json:"name"`
	DNSName   string    `json:"dnsName"`
	Type      string    `json:"type"`   // network | application | gateway
	Scheme    string    `json:"scheme"` // internal | internet-facing
	State     string    `json:"state"`  // active | provisioning | failed
	VPCID     string    `json:"vpcId"`
	SubnetIDs []string  `json:"subnetIds"`
	CreatedAt time.Time `json:"createdAt"`
	Tags      []Tag     `json:"tags,omitempty"`
	// IPAddressType is ipv4 (also when "") or dualstack.
	IPAddressType string `json:"ipAddressType,omitempty"`
}

// Listener is an ELBv2 listener on a load balancer.
type Listener struct {
	ARN      string `json:"arn"`
	LBARN    string `json:"loadBalancerArn"`
	Port     int32  `json:"port"`
	Protocol string `json:"protocol"` // TCP | TLS | UDP | TCP_UDP
	Tags     []Tag  `json:"tags,omitempty"`
}

// Service states as AWS spells them on the wire.
const (
	ServicePending   = "Pending"
	ServiceAvailable = "Available"
	ServiceDeleting  = "Deleting"
	ServiceDeleted   = "Deleted"
	ServiceFailed    = "Failed"
)

// Private DNS name verification states as on the wire.
const (
	DNSPendingVerification = "pendingVerification"
	DNSVerified            = "verified"
	DNSFailed              = "failed"
)

// Service is a VPC endpoint service configuration.
type Service struct {
	ID                 string    `json:"id"`   // vpce-svc-<17 hex>
	Name               string    `json:"name"` // com.amazonaws.vpce.<region>.<id>
	Owner              string    `json:"owner"`
	State              string    `json:"state"`
	NLBARNs            []string  `json:"nlbArns"`
	AcceptanceRequired bool      `json:"acceptanceRequired"`
	IPAddressTypes     []string  `json:"ipAddressTypes"`   // ipv4 | ipv6
	SupportedRegions   []string  `json:"supportedRegions"` // always includes the service's region
	ClientToken        string    `json:"clientToken,omitempty"`
	RequestHash        string    `json:"requestHash,omitempty"` // fingerprint of the create request, for ClientToken retries
	CreatedAt          time.Time `json:"createdAt"`
	Tags               []Tag     `json:"tags,omitempty"`
	// StateDue is when a Pending service becomes Available (zero in worlds
	// saved before it was kept: CreatedAt + Delays.ServiceAvailable).
	StateDue time.Time `json:"stateDue,omitzero"`

	PrivateDNSName    string `json:"privateDnsName,omitempty"`
	PrivateDNSState   string `json:"privateDnsState,omitempty"`
	VerificationName  string `json:"verificationName,omitempty"`  // e.g. _a1b2c3 (record is <name>.<domain>)
	VerificationValue string `json:"verificationValue,omitempty"` // vpce:<random>
	// VerificationDue is when a started verification settles (zero: none running).
	VerificationDue time.Time `json:"verificationDue,omitzero"`

	AllowedPrincipals []Principal `json:"allowedPrincipals,omitempty"`
}

// Principal is one allowed principal of a service.
type Principal struct {
	ID  string `json:"id"` // vpce-svc-perm-<17 hex>
	ARN string `json:"arn"`
}

// Endpoint states as on the wire (camelCase; the SDK's enums are capitalised).
const (
	EndpointPendingAcceptance = "pendingAcceptance"
	EndpointPending           = "pending"
	EndpointAvailable         = "available"
	EndpointRejected          = "rejected"
	EndpointFailed            = "failed"
	EndpointDeleting          = "deleting"
	EndpointDeleted           = "deleted"
	EndpointExpired           = "expired"
)

// Endpoint is an interface VPC endpoint; the service owner sees it as a
// connection.
type Endpoint struct {
	ID               string    `json:"id"` // vpce-<17 hex>
	Owner            string    `json:"owner"`
	ServiceID        string    `json:"serviceId"`
	ServiceName      string    `json:"serviceName"`
	VPCID            string    `json:"vpcId"`
	SubnetIDs        []string  `json:"subnetIds"`
	SecurityGroupIDs []string  `json:"securityGroupIds"`
	ENIIDs           []string  `json:"eniIds"`
	IPAddressType    string    `json:"ipAddressType"`
	State            string    `json:"state"`
	ClientToken      string    `json:"clientToken,omitempty"`
	RequestHash      string    `json:"requestHash,omitempty"` // see Service.RequestHash
	CreatedAt        time.Time `json:"createdAt"`
	Tags             []Tag     `json:"tags,omitempty"`
	// StateDue is when the current transient state (pending) moves on.
	StateDue time.Time `json:"stateDue,omitzero"`
	// PrivateDNSEnabled is the endpoint attribute; PrivateDNSLiveAt is when
	// the private name starts resolving (propagation delay).
	PrivateDNSEnabled bool      `json:"privateDnsEnabled"`
	PrivateDNSLiveAt  time.Time `json:"privateDnsLiveAt,omitzero"`
	LastErrorCode     string    `json:"lastErrorCode,omitempty"`
	LastErrorMessage  string    `json:"lastErrorMessage,omitempty"`
	// DNSSuffix is the random part of the endpoint's vpce DNS names.
	DNSSuffix string `json:"dnsSuffix"`
	// DNSRecordIPType is DnsOptions.DnsRecordIpType: which records (A,
	// AAAA) its names get; "" in worlds saved before it was kept, read as
	// the IP address type.
	DNSRecordIPType string `json:"dnsRecordIpType,omitempty"`
}

// ENI is a network interface; endpoints get one per subnet.
type ENI struct {
	ID               string   `json:"id"`
	Owner            string   `json:"owner"`
	SubnetID         string   `json:"subnetId"`
	VPCID            string   `json:"vpcId"`
	AZID             string   `json:"azId"`
	PrivateIP        string   `json:"privateIp"`
	Description      string   `json:"description"`
	InterfaceType    string   `json:"interfaceType"` // vpc_endpoint | interface | network_load_balancer
	EndpointID       string   `json:"endpointId,omitempty"`
	Status           string   `json:"status"` // in-use | available
	SecurityGroupIDs []string `json:"securityGroupIds,omitempty"`
	Tags             []Tag    `json:"tags,omitempty"`
	// IPv6 is the interface's IPv6 address, "" without one (see
	// world_ipv6.go).
	IPv6 string `json:"ipv6Address,omitempty"`
}

// HostedZone is a Route 53 hosted zone.
type HostedZone struct {
	ID              string      `json:"id"`   // bare, e.g. Z0123456789ABCDEFGHIJ
	Name            string      `json:"name"` // fully qualified, trailing dot
	Owner           string      `json:"owner"`
	Private         bool        `json:"private"`
	CallerReference string      `json:"callerReference"`
	Records         []RecordSet `json:"records"`
}

// RecordSet is one Route 53 record set; Values are as Route 53 stores them
// (TXT values include their double quotes).
type RecordSet struct {
	Name   string   `json:"name"` // fully qualified, trailing dot, lower case
	Type   string   `json:"type"`
	TTL    int64    `json:"ttl"`
	Values []string `json:"values"`
}

// Change is a Route 53 change batch's status.
type Change struct {
	ID          string    `json:"id"`              // bare, e.g. C0123...
	Owner       string    `json:"owner,omitempty"` // the hosted zone's owner
	SubmittedAt time.Time `json:"submittedAt"`
	Status      string    `json:"status"` // PENDING | INSYNC
	Due         time.Time `json:"due"`
}

// Default account IDs and names of the demo world.
const (
	ProviderAccountID = "111111111111"
	ConsumerAccountID = "222222222222"
	DefaultRegion     = "us-east-1"
	DefaultDomain     = "example.com"
	DefaultPort       = 8443
)

// WorldOptions shape a default world.
type WorldOptions struct {
	Region string
	Domain string // public hosted zone of the provider (demo: example.com)
	Port   int32  // NLB listener port (above 1023 so no root is needed)
	// Seed picks the IDs, keys and the 127.a.b.0 address block; 0 means random.
	Seed uint64
	Now  time.Time
	// LegacyIDs: see World.LegacyIDs (the legacy-ids scenario sets it).
	LegacyIDs bool
}

// NewWorld builds the world of the design: a provider and a consumer account
// whose AZ names differ for the same AZ IDs, a VPC with one subnet per AZ in
// each, an active NLB with a listener on the provider side, a public hosted
// zone for the domain, and a consumer VPC with enableDnsHostnames off.
func NewWorld(o WorldOptions) *World {
	if o.Region == "" {
		o.Region = DefaultRegion
	}
	if o.Domain == "" {
		o.Domain = DefaultDomain
	}
	if o.Port == 0 {
		o.Port = DefaultPort
	}
	if o.Seed == 0 {
		o.Seed = rand.Uint64() | 1
	}
	if o.Now.IsZero() {
		o.Now = time.Now().UTC()
	}
	w := &World{
		Region:         o.Region,
		VPCs:           map[string]*VPC{},
		Subnets:        map[string]*Subnet{},
		SecurityGroups: map[string]*SecurityGroup{},
		LoadBalancers:  map[string]*LoadBalancer{},
		Listeners:      map[string]*Listener{},
		Services:       map[string]*Service{},
		Endpoints:      map[string]*Endpoint{},
		ENIs:           map[string]*ENI{},
		HostedZones:    map[string]*HostedZone{},
		Changes:        map[string]*Change{},
		Seed:           o.Seed,
		LegacyIDs:      o.LegacyIDs,
		AdvancedTo:     o.Now,
	}
	home := w.addRegion(o.Region, false)
	secondName := SecondRegion
	if o.Region == SecondRegion {
		secondName = DefaultRegion
	}
	second := w.addRegion(secondName, false)
	if o.Region != OptInRegion {
		w.addRegion(OptInRegion, true)
	}
	// The same AZ ID has a different name in each account: the provider's
	// az1 is "a", the consumer's az1 is "c" (rotated), as in older regions.
	provider := w.addAccount(ProviderAccountID, "provider", 0)
	consumer := w.addAccount(ConsumerAccountID, "consumer", 2)

	// Address block 127.a.b.0/21: provider VPC the first /22, consumer the
	// second, so parallel sandboxes rarely share addresses.
	r := rand.New(rand.NewPCG(o.Seed, 0x706c77697a))
	a := 16 + r.IntN(238)
	b := 8 * r.IntN(32)
	for i, acct := range []*Account{provider, consumer} {
		base := b + 4*i
		vpc := w.addVPC(acct, home.Name, fmt.Sprintf("127.%d.%d.0/22", a, base), acct.Name == "provider")
		var subnetIDs []string
		for j, az := range home.AZIDs {
			subnetIDs = append(subnetIDs, w.addSubnet(vpc, az, fmt.Sprintf("127.%d.%d.0/24", a, base+j)).ID)
		}
		if acct.Name == "provider" {
			lbID := w.hex(16)
			lb := &LoadBalancer{
				ARN:   fmt.Sprintf("arn:aws:elasticloadbalancing:%s:%s:loadbalancer/net/plwiz-demo-nlb/%s", o.Region, acct.ID, lbID),
				Owner: acct.ID, Name: "plwiz-demo-nlb",
				DNSName: fmt.Sprintf("plwiz-demo-nlb-%s.elb.%s.amazonaws.com", lbID[:10], o.Region),
				Type:    "network", Scheme: "internal", State: "active", VPCID: vpc.ID,
				SubnetIDs: subnetIDs, CreatedAt: o.Now,
			}
			w.LoadBalancers[lb.ARN] = lb
			ln := &Listener{
				ARN:   strings.Replace(lb.ARN, ":loadbalancer/", ":listener/", 1) + "/" + w.hex(16),
				LBARN: lb.ARN, Port: o.Port, Protocol: "TCP",
			}
			w.Listeners[ln.ARN] = ln
			zone := &HostedZone{
				ID: "Z" + strings.ToUpper(w.hex(20)), Name: fqdn(o.Domain), Owner: acct.ID,
				CallerReference: "plwiz-sandbox",
			}
			zone.Records = []RecordSet{
				{Name: zone.Name, Type: "NS", TTL: 172800, Values: []string{"ns-1.sandbox.plwiz.invalid."}},
				{Name: zone.Name, Type: "SOA", TTL: 900, Values: []string{"ns-1.sandbox.plwiz.invalid. hostmaster.sandbox.plwiz.invalid. 1 7200 900 1209600 86400"}},
			}
			w.HostedZones[zone.ID] = zone
		}
	}
	w.addIPv6(o)
	// The second region: a VPC with a subnet per AZ for each account, in
	// a /21 of another second octet (all still loopback), drawn after
	// everything of the home region so its IDs stay what they were.
	a2 := 16 + (a-16+119)%238
	for i, acct := range []*Account{provider, consumer} {
		base := b + 4*i
		vpc := w.addVPC(acct, second.Name, fmt.Sprintf("127.%d.%d.0/22", a2, base), acct.Name == "provider")
		vpc.Tags = []Tag{{Key: "Name", Value: acct.Name + "-vpc-" + second.Name}}
		for j, az := range second.AZIDs {
			w.addSubnet(vpc, az, fmt.Sprintf("127.%d.%d.0/24", a2, base+j))
		}
	}
	return w
}

// addAccount adds an account with fresh keys whose AZ names are, in every
// region, the region's letters rotated by rotate (each account names the
// same AZ ID differently, as in older regions).
func (w *World) addAccount(id, name string, rotate int) *Account {
	a := &Account{ID: id, Name: name, AZNames: map[string]string{}}
	for _, r := range w.Regions {
		a.mapAZNames(r, rotate)
	}
	a.AccessKeyID = "AKIA" + strings.ToUpper(w.hex(16))
	a.SecretAccessKey = w.hex(40)
	w.Accounts = append(w.Accounts, a)
	return a
}

// addVPC adds a VPC named <account>-vpc in a region with DNS support on,
// and its default security group (all egress; ingress from the group
// itself).
func (w *World) addVPC(acct *Account, region, cidr string, dnsHostnames bool) *VPC {
	vpc := &VPC{
		ID: w.NewID("vpc-"), Owner: acct.ID, Region: region, CIDR: cidr,
		EnableDNSSupport: true, EnableDNSHostnames: dnsHostnames,
		Tags: []Tag{{Key: "Name", Value: acct.Name + "-vpc"}},
	}
	w.VPCs[vpc.ID] = vpc
	sg := &SecurityGroup{
		ID: w.NewID("sg-"), Owner: acct.ID, VPCID: vpc.ID, Name: "default",
		Description: "default VPC security group",
		Egress:      []SGRule{{RuleID: w.NewID("sgr-"), Protocol: "-1", CIDRs: []string{"0.0.0.0/0"}}},
	}
	sg.Ingress = []SGRule{{RuleID: w.NewID("sgr-"), Protocol: "-1", GroupIDs: []string{sg.ID}}}
	w.SecurityGroups[sg.ID] = sg
	return vpc
}

// addSubnet adds a subnet of vpc in one AZ (of the VPC's region), named
// after the owner's name for that AZ.
func (w *World) addSubnet(vpc *VPC, azID, cidr string) *Subnet {
	acct := w.Account(vpc.Owner)
	sn := &Subnet{
		ID: w.NewID("subnet-"), Owner: vpc.Owner, VPCID: vpc.ID, AZID: azID, CIDR: cidr,
		NextHost: 3, // AWS reserves the first addresses of a subnet
		Tags:     []Tag{{Key: "Name", Value: fmt.Sprintf("%s-%s", acct.Name, acct.AZName(azID))}},
	}
	w.Subnets[sn.ID] = sn
	return sn
}

// regionAZPrefix turns us-east-1 into use1, eu-west-2 into euw2.
func regionAZPrefix(region string) string {
	parts := strings.Split(region, "-")
	if len(parts) != 3 {
		return "az"
	}
	dir := parts[1]
	short := map[string]string{"east": "e", "west": "w", "north": "n", "south": "s", "central": "c",
		"northeast": "ne", "southeast": "se", "northwest": "nw", "southwest": "sw"}[dir]
	if short == "" {
		short = dir[:1]
	}
	return parts[0] + short + parts[2]
}

// fqdn lower-cases a name and gives it a trailing dot.
func fqdn(name string) string {
	name = strings.ToLower(name)
	if !strings.HasSuffix(name, ".") {
		name += "."
	}
	return name
}

// next returns the next pseudo-random number of the world's sequence.
func (w *World) next() uint64 {
	w.Seq++
	// splitmix64: cheap, well mixed, and reproducible from (Seed, Seq).
	z := w.Seed + w.Seq*0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// hex returns n lowercase hex digits from the world's sequence.
func (w *World) hex(n int) string {
	var sb strings.Builder
	for sb.Len() < n {
		fmt.Fprintf(&sb, "%016x", w.next())
	}
	return sb.String()[:n]
}

// legacyIDKind reports whether AWS issued IDs of this prefix with 8 hex
// digits before 2018; kinds that came later (sgr-, vpce-svc-perm-) only
// ever had 17.
func legacyIDKind(prefix string) bool {
	switch prefix {
	case "vpc-", "subnet-", "sg-", "eni-", "i-", "vpce-svc-", "vpce-":
		return true
	}
	return false
}

// NewID returns prefix + 17 hex digits, the shape of modern EC2 IDs, or 8
// in a world with LegacyIDs for the kinds that had them. An ID already in
// use is drawn again: 8 hex digits collide within a few thousand IDs.
func (w *World) NewID(prefix string) string {
	n := 17
	if w.LegacyIDs && legacyIDKind(prefix) {
		n = 8
	}
	for {
		if id := prefix + w.hex(n); !w.idInUse(id) {
			return id
		}
	}
}

// idInUse reports whether any resource of the world has this ID.
func (w *World) idInUse(id string) bool {
	_, vpc := w.VPCs[id]
	_, sn := w.Subnets[id]
	_, sg := w.SecurityGroups[id]
	_, eni := w.ENIs[id]
	_, svc := w.Services[id]
	_, ep := w.Endpoints[id]
	return vpc || sn || sg || eni || svc || ep
}

// Account returns the account with the given ID, or nil.
func (w *World) Account(id string) *Account {
	for _, a := range w.Accounts {
		if a.ID == id {
			return a
		}
	}
	return nil
}

// AccountByKey returns the account owning an access key ID, or nil.
func (w *World) AccountByKey(keyID string) *Account {
	for _, a := range w.Accounts {
		if a.AccessKeyID == keyID {
			return a
		}
	}
	return nil
}

// AccountByName returns the account with the given name, or nil.
func (w *World) AccountByName(name string) *Account {
	for _, a := range w.Accounts {
		if a.Name == name {
			return a
		}
	}
	return nil
}

// AllocateIP hands out the next free address of a subnet. AWS reserves the
// first four addresses of a subnet and the last one.
func (w *World) AllocateIP(sn *Subnet) (netip.Addr, error) {
	p, err := netip.ParsePrefix(sn.CIDR)
	if err != nil || !p.Addr().Is4() {
		return netip.Addr{}, fmt.Errorf("subnet %s: bad IPv4 CIDR %q", sn.ID, sn.CIDR)
	}
	if sn.NextHost < 3 {
		sn.NextHost = 3
	}
	if sn.NextHost+1 > subnetSize(p)-2 {
		return netip.Addr{}, fmt.Errorf("subnet %s has no free addresses", sn.ID)
	}
	sn.NextHost++
	base := binary.BigEndian.Uint32(p.Masked().Addr().AsSlice())
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], base+uint32(sn.NextHost))
	return netip.AddrFrom4(b), nil
}

// subnetSize is the number of addresses of an IPv4 prefix.
func subnetSize(p netip.Prefix) int { return 1 << (32 - p.Bits()) }

// SortedKeys returns a map's keys in order, for stable listings.
func SortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// LoadWorld reads a world saved by Save.
func LoadWorld(path string) (*World, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load world: %w", err)
	}
	var w World
	if err := json.Unmarshal(data, &w); err != nil {
		return nil, fmt.Errorf("load world %s: not a sandbox world file: %w", path, err)
	}
	if w.Region == "" || len(w.Accounts) == 0 {
		return nil, fmt.Errorf("load world %s: no region or accounts in it", path)
	}
	w.ensureMaps()
	if w.RegionByName(w.Region) == nil {
		return nil, fmt.Errorf("load world %s: its home region %s is not among its regions", path, w.Region)
	}
	return &w, nil
}

func (w *World) ensureMaps() {
	w.ensureRegions()
	if w.VPCs == nil {
		w.VPCs = map[string]*VPC{}
	}
	if w.Subnets == nil {
		w.Subnets = map[string]*Subnet{}
	}
	if w.SecurityGroups == nil {
		w.SecurityGroups = map[string]*SecurityGroup{}
	}
	if w.LoadBalancers == nil {
		w.LoadBalancers = map[string]*LoadBalancer{}
	}
	if w.Listeners == nil {
		w.Listeners = map[string]*Listener{}
	}
	if w.Services == nil {
		w.Services = map[string]*Service{}
	}
	if w.Endpoints == nil {
		w.Endpoints = map[string]*Endpoint{}
	}
	if w.ENIs == nil {
		w.ENIs = map[string]*ENI{}
	}
	if w.HostedZones == nil {
		w.HostedZones = map[string]*HostedZone{}
	}
	if w.Changes == nil {
		w.Changes = map[string]*Change{}
	}
}

// Save writes the world atomically and durably (see writeFileAtomic), mode
// 0600, since it holds the sandbox accounts' secret keys.
func (w *World) Save(path string) error {
	data, err := json.Marshal(w)
	if err != nil {
		return fmt.Errorf("save world: %w", err)
	}
	if err := writeFileAtomic(path, data); err != nil {
		return fmt.Errorf("save world: %w", err)
	}
	return nil
}

// EndpointDNS is one DNS name AWS gives an interface endpoint.
type EndpointDNS struct {
	Name string
	AZID string // "" for the regional name
}

// EndpointDNSNames returns the endpoint's regional name and one zonal name
// per subnet AZ, the zonal names carrying the endpoint owner's AZ names, as
// AWS builds them: vpce-<id>-<suffix>[-<az name>].<service id>.<service
// region>.vpce.amazonaws.com. An endpoint to a service of another region
// has the regional name only: AWS gives cross-region endpoints no zonal
// names.
func (w *World) EndpointDNSNames(e *Endpoint) []EndpointDNS {
	base := fmt.Sprintf("%s-%s", e.ID, e.DNSSuffix)
	tail := fmt.Sprintf("%s.%s.vpce.amazonaws.com", e.ServiceID, w.serviceNameRegion(e.ServiceName))
	out := []EndpointDNS{{Name: base + "." + tail}}
	if w.crossRegion(e) {
		return out
	}
	owner := w.Account(e.Owner)
	for _, sid := range e.SubnetIDs {
		sn := w.Subnets[sid]
		if sn == nil || owner == nil {
			continue
		}
		out = append(out, EndpointDNS{Name: base + "-" + owner.AZName(sn.AZID) + "." + tail, AZID: sn.AZID})
	}
	return out
}
