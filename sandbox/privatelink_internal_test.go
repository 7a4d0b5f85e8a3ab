package sandbox

import (
	"fmt"
	"testing"
	"time"
)

// tenKWorld is a default world with one service and n pendingAcceptance
// endpoints of the consumer on it.
func tenKWorld(n int) (*World, *Service) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	w := NewWorld(WorldOptions{Seed: 1, Now: now})
	var nlb string
	for k := range w.LoadBalancers {
		nlb = k
	}
	s := &Service{ID: "vpce-svc-00000000000000001", Owner: ProviderAccountID, State: ServiceAvailable,
		NLBARNs: []string{nlb}, IPAddressTypes: []string{"ipv4"}, SupportedRegions: []string{w.Region}, CreatedAt: now}
	s.Name = "com.amazonaws.vpce." + w.Region + "." + s.ID
	w.Services[s.ID] = s
	for i := range n {
		id := fmt.Sprintf("vpce-%017x", i)
		w.Endpoints[id] = &Endpoint{ID: id, Owner: ConsumerAccountID, ServiceID: s.ID, ServiceName: s.Name,
			State: EndpointPendingAcceptance, IPAddressType: "ipv4", CreatedAt: now, DNSSuffix: "abcdefgh"}
	}
	return w, s
}

// BenchmarkConnectionsHandler10k measures what DescribeVpcEndpointConnections
// costs while holding the sandbox lock (HTTP and XML writing excluded): one
// 1000-item page out of 10,000, from the middle of the list.
func BenchmarkConnectionsHandler10k(b *testing.B) {
	w, s := tenKWorld(10000)
	sb := New(Options{World: w, Clock: NewManualClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))})
	provider := w.Account(ProviderAccountID)
	first, err := describeEndpointConnections(&call{sb: sb, w: w, Account: provider, Now: sb.clock.Now(),
		Params: Params{"MaxResults": "1000", "Filter.1.Name": "service-id", "Filter.1.Value.1": s.ID}})
	if err != nil {
		b.Fatal(err)
	}
	next := first.(describeConnectionsResponse).NextToken
	for b.Loop() {
		out, err := describeEndpointConnections(&call{sb: sb, w: w, Account: provider, Now: sb.clock.Now(),
			Params: Params{"MaxResults": "1000", "NextToken": next,
				"Filter.1.Name": "vpc-endpoint-state", "Filter.1.Value.1": "PendingAcceptance"}})
		if err != nil {
			b.Fatal(err)
		}
		if n := len(out.(describeConnectionsResponse).Connections); n != 1000 {
			b.Fatalf("%d connections", n)
		}
	}
}

// TestAdvanceUsesDueTimes checks that a request does not walk every
// endpoint: with 10,000 endpoints and nothing due, the heap is empty.
func TestAdvanceUsesDueTimes(t *testing.T) {
	w, s := tenKWorld(10000)
	d := DefaultDelays()
	now := s.CreatedAt
	w.advance(now, d)
	if n := w.pl.due.Len(); n != 0 {
		t.Fatalf("%d due items with nothing scheduled", n)
	}
	e := w.Endpoints[fmt.Sprintf("vpce-%017x", 42)]
	e.StateDue = now.Add(d.EndpointPending)
	w.scheduleEndpoint(d, e)
	// One jump past both delays runs both transitions, from the stored times.
	w.advance(now.Add(d.EndpointPending+d.EndpointAvailable), d)
	if e.State != EndpointAvailable || !e.StateDue.IsZero() || w.pl.due.Len() != 0 {
		t.Fatalf("state %s, due %v, heap %d", e.State, e.StateDue, w.pl.due.Len())
	}
	// A world loaded from disk has no index; it is rebuilt from stored dues.
	e2 := w.Endpoints[fmt.Sprintf("vpce-%017x", 43)]
	e2.State, e2.StateDue = EndpointPending, now.Add(time.Minute)
	w.pl = nil
	w.advance(now.Add(time.Minute), d)
	if e2.State != EndpointAvailable {
		t.Fatalf("after rebuild: %s", e2.State)
	}
	if got := len(w.pl.lists["svc:"+s.ID]); got != 10000 {
		t.Fatalf("service list has %d endpoints", got)
	}
}
