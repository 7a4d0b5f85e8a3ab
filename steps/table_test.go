package steps_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/aws/smithy-go/middleware"

	"github.com/plwiz/plwiz/awsops"
	"github.com/plwiz/plwiz/sandbox"
	"github.com/plwiz/plwiz/steps"
)

// TestConnectionsRefreshIncrementally: between full loads the connections
// table asks AWS only for the connections not yet final, in one call while
// nothing moves, and still sees new endpoints, acceptances progressing and
// endpoints that are gone.
func TestConnectionsRefreshIncrementally(t *testing.T) {
	sb := fastWorld(t)
	dir := t.TempDir()
	counter := &callCounter{}
	provider := newParty(t, sb, "provider", steps.RoleProvider, dir)
	client, err := awsops.New(sb.Config(t, "provider"), awsops.Options{APIOptions: []func(*middleware.Stack) error{counter.option}})
	if err != nil {
		t.Fatal(err)
	}
	provider.env.AWS = client
	f := facts(t, sb)
	for k, v := range map[string]string{steps.InNLB: f.nlbARN, steps.InPrincipals: sandbox.ConsumerAccountID, steps.InOfferOut: dir + "/offer.json"} {
		provider.session.SetInput(k, v)
	}
	ctx := context.Background()
	if err := provider.runner(upTo(steps.ProviderFlow(), steps.StepImportRequest)).Run(ctx); err != nil {
		t.Fatalf("provider: %v\n%s", err, provider.out.String())
	}
	svcName := provider.session.Resource(steps.ResServiceName)
	svc := provider.session.Resource(steps.ResServiceID)
	consumer, err := awsops.New(sb.Config(t, "consumer"), awsops.Options{})
	if err != nil {
		t.Fatal(err)
	}
	newEndpoint := func() string {
		t.Helper()
		ep, err := consumer.Consumer().CreateEndpoint(ctx, awsops.CreateEndpointInput{ServiceName: svcName, VPCID: f.consumerVPC, SubnetIDs: f.consumerSubnets[:1]})
		if err != nil {
			t.Fatal(err)
		}
		return ep.ID
	}
	var eps []string
	for range 4 {
		eps = append(eps, newEndpoint())
	}
	table := stepOf(t, steps.ProviderFlow(), steps.StepConnections).Table
	rows, err := table.Rows(ctx, provider.env, provider.session)
	if err != nil || len(rows) != 4 {
		t.Fatalf("full load: %d rows, %v", len(rows), err)
	}
	calls := func(do func()) []string {
		t.Helper()
		counter.mu.Lock()
		before := len(counter.calls)
		counter.mu.Unlock()
		do()
		counter.mu.Lock()
		defer counter.mu.Unlock()
		return slices.Clone(counter.calls[before:])
	}
	refresh := func() {
		t.Helper()
		rows, err = table.Changes(ctx, provider.env, provider.session, rows)
		if err != nil {
			t.Fatal(err)
		}
	}
	state := func(id string) string {
		for _, r := range rows {
			if r.ID == id {
				return r.State
			}
		}
		return "gone"
	}

	if got := calls(refresh); len(got) != 1 {
		t.Errorf("an idle refresh made %d calls (%v), want 1", len(got), got)
	}
	// A new endpoint shows up.
	fifth := newEndpoint()
	refresh()
	if len(rows) != 5 || state(fifth) != "pendingAcceptance" {
		t.Errorf("after a new endpoint: %d rows, %s is %s", len(rows), fifth, state(fifth))
	}
	// An acceptance progresses to available, which is no longer listed as
	// open: it is read by ID, once.
	if err := client.Provider().AcceptConnections(ctx, svc, eps[:1]); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); state(eps[0]) != "available"; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s never showed available: %s", eps[0], state(eps[0]))
		}
		refresh()
	}
	if got := calls(refresh); len(got) != 1 {
		t.Errorf("idle again: %d calls (%v), want 1", len(got), got)
	}
	// An endpoint deleted by its owner leaves the table.
	if err := consumer.Consumer().DeleteEndpoint(ctx, eps[1]); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); state(eps[1]) != "gone" && state(eps[1]) != "deleted"; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s still listed as %s after its deletion", eps[1], state(eps[1]))
		}
		refresh()
	}
	// What the full load says, the incremental rows say.
	full, err := table.Rows(ctx, provider.env, provider.session)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(ids(full)) != fmt.Sprint(ids(rows)) {
		t.Errorf("incremental rows %v, full load %v", ids(rows), ids(full))
	}
}

func ids(rows []steps.Row) []string {
	var out []string
	for _, r := range rows {
		out = append(out, r.ID+"="+r.State)
	}
	slices.Sort(out)
	return out
}
