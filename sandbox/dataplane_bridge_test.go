package sandbox

import (
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/plwiz/plwiz/sandbox/dataplane"
)

// dpFixture is a default world with one service on the provider's NLB, its
// private DNS name verified, a TXT record in the public zone, and one
// consumer endpoint with an ENI in two AZs.
type dpFixture struct {
	w   *World
	now time.Time
	svc *Service
	ep  *Endpoint
	ips []netip.Addr // the endpoint's ENI addresses, by subnet order
	azs []string     // the AZ IDs of those ENIs
}

func newDPFixture(t testing.TB) *dpFixture {
	t.Helper()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	w := NewWorld(WorldOptions{Seed: 42, Now: now})
	prov, cons := w.AccountByName("provider"), w.AccountByName("consumer")
	var nlb string
	for arn := range w.LoadBalancers {
		nlb = arn
	}
	svc := &Service{
		ID: w.NewID("vpce-svc-"), Owner: prov.ID, State: ServiceAvailable, NLBARNs: []string{nlb},
		AcceptanceRequired: true, PrivateDNSName: "api.example.com", PrivateDNSState: DNSVerified,
		VerificationName: "_plwiz123", VerificationValue: "vpce:abcdef",
	}
	svc.Name = "com.amazonaws.vpce." + w.Region + "." + svc.ID
	w.Services[svc.ID] = svc
	for _, z := range w.HostedZones {
		z.Records = append(z.Records, RecordSet{Name: "_plwiz123.example.com.", Type: "TXT", TTL: 1800, Values: []string{`"vpce:abcdef"`}})
	}
	w.HostedZones["ZPRIVATE"] = &HostedZone{ID: "ZPRIVATE", Name: "internal.corp.", Owner: cons.ID, Private: true,
		Records: []RecordSet{{Name: "secret.internal.corp.", Type: "TXT", TTL: 60, Values: []string{`"hidden"`}}}}

	v := w.AccountVPC(cons.ID, "")
	vpcID := v.ID
	v.EnableDNSHostnames = true // as the consumer must before private DNS
	ep := &Endpoint{
		ID: w.NewID("vpce-"), Owner: cons.ID, VPCID: vpcID, ServiceID: svc.ID, ServiceName: svc.Name,
		State: EndpointPendingAcceptance, DNSSuffix: "abc12345", CreatedAt: now,
	}
	f := &dpFixture{w: w, now: now, svc: svc, ep: ep}
	var subnets []*Subnet
	for _, id := range SortedKeys(w.Subnets) {
		if sn := w.Subnets[id]; sn.Owner == cons.ID {
			subnets = append(subnets, sn)
		}
	}
	sort.Slice(subnets, func(i, j int) bool { return subnets[i].AZID < subnets[j].AZID })
	for _, sn := range subnets[:2] {
		ip, err := w.AllocateIP(sn)
		if err != nil {
			t.Fatal(err)
		}
		eni := &ENI{ID: w.NewID("eni-"), Owner: cons.ID, SubnetID: sn.ID, VPCID: sn.VPCID, AZID: sn.AZID,
			PrivateIP: ip.String(), InterfaceType: "vpc_endpoint", EndpointID: ep.ID, Status: "in-use"}
		w.ENIs[eni.ID] = eni
		ep.SubnetIDs = append(ep.SubnetIDs, sn.ID)
		ep.ENIIDs = append(ep.ENIIDs, eni.ID)
		f.ips = append(f.ips, ip)
		f.azs = append(f.azs, sn.AZID)
	}
	w.Endpoints[ep.ID] = ep
	return f
}

func (f *dpFixture) names() (regional string, zonal map[string]string) {
	zonal = map[string]string{}
	for _, n := range f.w.EndpointDNSNames(f.ep) {
		if n.AZID == "" {
			regional = n.Name
		} else {
			zonal[n.AZID] = n.Name
		}
	}
	return regional, zonal
}

func sortedAddrs(a []netip.Addr) []netip.Addr {
	out := slices.Clone(a)
	slices.SortFunc(out, netip.Addr.Compare)
	return out
}

func TestBuildSnapshot(t *testing.T) {
	t.Run("pending acceptance: vpce names resolve, nothing listens", func(t *testing.T) {
		f := newDPFixture(t)
		snap := buildSnapshot(f.w, f.now)
		regional, zonal := f.names()
		if got := sortedAddrs(snap.A[regional]); !slices.Equal(got, sortedAddrs(f.ips)) {
			t.Fatalf("regional %s → %v, want %v", regional, got, f.ips)
		}
		for i, az := range f.azs {
			if got := snap.A[zonal[az]]; !slices.Equal(got, []netip.Addr{f.ips[i]}) {
				t.Errorf("zonal %s → %v, want [%s]", zonal[az], got, f.ips[i])
			}
		}
		if _, ok := snap.A["api.example.com"]; ok {
			t.Error("private name resolves before the endpoint is available")
		}
		if len(snap.Forwards) != 0 {
			t.Errorf("forwards %v before available", snap.Forwards)
		}
	})

	t.Run("available with private DNS after propagation", func(t *testing.T) {
		f := newDPFixture(t)
		f.ep.State = EndpointAvailable
		f.ep.PrivateDNSEnabled = true
		f.ep.PrivateDNSLiveAt = f.now.Add(5 * time.Second)

		if _, ok := buildSnapshot(f.w, f.now).A["api.example.com"]; ok {
			t.Fatal("private name resolves before its propagation time")
		}
		snap := buildSnapshot(f.w, f.now.Add(5*time.Second))
		if got := sortedAddrs(snap.A["api.example.com"]); !slices.Equal(got, sortedAddrs(f.ips)) {
			t.Fatalf("private name → %v, want %v", got, f.ips)
		}
		var fwd []string
		for _, fw := range snap.Forwards {
			if fw.Service != f.svc.ID {
				t.Errorf("forward %v for another service", fw)
			}
			fwd = append(fwd, fmt.Sprintf("%s:%d", fw.Addr, fw.Port))
		}
		var want []string
		for _, ip := range f.ips {
			want = append(want, fmt.Sprintf("%s:%d", ip, DefaultPort))
		}
		slices.Sort(fwd)
		slices.Sort(want)
		if !slices.Equal(fwd, want) {
			t.Fatalf("forwards %v, want %v", fwd, want)
		}

		f.svc.PrivateDNSState = DNSFailed
		if _, ok := buildSnapshot(f.w, f.now.Add(time.Minute)).A["api.example.com"]; ok {
			t.Fatal("private name resolves while its verification failed")
		}
		f.svc.PrivateDNSState = DNSVerified
		f.w.VPCs[f.ep.VPCID].EnableDNSHostnames = false
		if _, ok := buildSnapshot(f.w, f.now.Add(time.Minute)).A["api.example.com"]; ok {
			t.Fatal("private name resolves in a VPC with enableDnsHostnames off")
		}
		f.w.VPCs[f.ep.VPCID].EnableDNSHostnames = true
		f.ep.PrivateDNSEnabled = false
		if _, ok := buildSnapshot(f.w, f.now.Add(time.Minute)).A["api.example.com"]; ok {
			t.Fatal("private name resolves with private DNS off")
		}
	})

	t.Run("rejected, failed and deleted endpoints vanish", func(t *testing.T) {
		for _, st := range []string{EndpointRejected, EndpointFailed, EndpointDeleting, EndpointDeleted, EndpointExpired} {
			f := newDPFixture(t)
			f.ep.State = st
			snap := buildSnapshot(f.w, f.now)
			if len(snap.A) != 0 || len(snap.Forwards) != 0 {
				t.Errorf("%s endpoint: A %v forwards %v, want none", st, snap.A, snap.Forwards)
			}
		}
	})

	t.Run("zones, TXT and backends", func(t *testing.T) {
		f := newDPFixture(t)
		snap := buildSnapshot(f.w, f.now)
		var zones []string
		for _, z := range snap.Zones {
			zones = append(zones, z.Name)
			if z.Name == "example.com." && z.SOA == "" {
				t.Error("public zone served without its SOA")
			}
		}
		if want := []string{"us-east-1.vpce.amazonaws.com", "us-west-2.vpce.amazonaws.com", "eu-south-1.vpce.amazonaws.com", "example.com."}; !slices.Equal(zones, want) {
			t.Errorf("zones %v, want %v (private zones are not served)", zones, want)
		}
		if len(snap.TXT) != 1 || snap.TXT[0].Name != "_plwiz123.example.com." || !slices.Equal(snap.TXT[0].Values, []string{`"vpce:abcdef"`}) {
			t.Errorf("TXT %+v, want the verification record only", snap.TXT)
		}
		want := []dataplane.Service{{ID: f.svc.ID, Name: f.svc.Name, DNSNames: []string{"api.example.com", "*." + f.svc.ID + ".us-east-1.vpce.amazonaws.com"}}}
		if fmt.Sprint(snap.Services) != fmt.Sprint(want) {
			t.Errorf("services %+v, want %+v", snap.Services, want)
		}
		f.svc.State = ServiceDeleted
		if got := buildSnapshot(f.w, f.now).Services; len(got) != 0 {
			t.Errorf("deleted service still has a backend: %+v", got)
		}
	})
}

// TestSandboxDataPlaneOff keeps the accessors safe when the option is off.
func TestSandboxDataPlaneOff(t *testing.T) {
	sb := New(Options{Clock: NewManualClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))})
	if err := sb.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	if sb.DNSAddr() != "" || sb.CAFile() != "" || sb.CAPool() != nil {
		t.Fatal("data plane accessors answer with the data plane off")
	}
	if err := sb.SyncDataPlane(); err == nil {
		t.Fatal("SyncDataPlane with the data plane off did not say so")
	}
}

func benchWorld(b *testing.B) *dpFixture {
	f := newDPFixture(b)
	for i := range 10000 {
		e := *f.ep
		e.ID = fmt.Sprintf("vpce-%017x", i+1)
		e.State = EndpointAvailable
		f.w.Endpoints[e.ID] = &e
	}
	return f
}

// BenchmarkCollectView is the time the world stays locked per data plane
// sync with 10,000 endpoints of one service (names cached from the last
// sync, as on every tick but the first).
func BenchmarkCollectView(b *testing.B) {
	f := benchWorld(b)
	cache := map[string]*epCache{}
	collectView(f.w, f.now, Delays{}, cache)
	for b.Loop() {
		collectView(f.w, f.now, Delays{}, cache)
	}
}

// BenchmarkSnapshotOutsideLock is the rest of the snapshot's build, done
// after the lock is released.
func BenchmarkSnapshotOutsideLock(b *testing.B) {
	f := benchWorld(b)
	v := collectView(f.w, f.now, Delays{}, map[string]*epCache{})
	for b.Loop() {
		v.snapshot()
	}
}
