package sandbox

import (
	"container/heap"
	"slices"
	"sort"
	"time"
)

// Time-driven transitions. Each one is due at a time stored in the world
// (Service.StateDue, VerificationDue, Endpoint.StateDue, PrivateDNSLiveAt,
// Change.Due), so a manual clock drives them, a big jump runs several in
// order, and a restart continues them where they stood. A heap of due times
// keeps a request O(due items) instead of a scan of every endpoint, and
// tells the sandbox's timer when to wake next.

// advance applies every transition due by now, noting an event for each
// at its due time.
func (w *World) advance(now time.Time, d Delays) {
	idx := w.plIdx(d)
	for idx.due.Len() > 0 && !idx.due[0].at.After(now) {
		it := heap.Pop(&idx.due).(dueItem)
		switch it.kind {
		case dueService:
			s := w.Services[it.id]
			if s == nil || s.State != ServicePending || w.serviceDue(s, d).After(now) {
				continue
			}
			at := w.serviceDue(s, d)
			s.State, s.StateDue = ServiceAvailable, time.Time{}
			w.note(at, s.Owner, s.ID, ServicePending, ServiceAvailable)
		case dueVerification:
			s := w.Services[it.id]
			if s == nil || s.VerificationDue.IsZero() || s.VerificationDue.After(now) {
				continue
			}
			at, from := s.VerificationDue, s.PrivateDNSState
			s.VerificationDue = time.Time{}
			if w.verificationRecordExists(s) {
				s.PrivateDNSState = DNSVerified
			} else {
				s.PrivateDNSState = DNSFailed
			}
			w.note(at, s.Owner, s.ID+"/private-dns", from, s.PrivateDNSState)
			w.recheckServiceDNS(d, s.ID, at)
		case dueEndpoint:
			e := w.Endpoints[it.id]
			if e == nil || e.StateDue.IsZero() || e.StateDue.After(now) {
				continue
			}
			at, from := e.StateDue, e.State
			switch e.State {
			case EndpointPendingAcceptance: // accepted: AWS moves it to pending
				e.State = EndpointPending
				e.StateDue = e.StateDue.Add(d.EndpointAvailable)
				idx.push(dueItem{at: e.StateDue, kind: dueEndpoint, id: e.ID})
			case EndpointPending:
				e.State = EndpointAvailable
				e.StateDue = time.Time{}
			default:
				e.StateDue = time.Time{}
			}
			w.note(at, e.Owner, e.ID, from, e.State)
			w.recheckDNS(d, e, at)
		case dueEndpointDNS:
			if e := w.Endpoints[it.id]; e != nil {
				w.recheckDNS(d, e, it.at)
			}
		case dueChange:
			ch := w.Changes[it.id]
			if ch == nil || ch.Status != "PENDING" || ch.Due.After(now) {
				continue
			}
			ch.Status = "INSYNC"
			w.note(ch.Due, ch.Owner, "/change/"+ch.ID, "PENDING", "INSYNC")
		}
	}
	if now.After(w.AdvancedTo) {
		w.AdvancedTo = now
	}
}

// nextDue is when the earliest pending transition falls due.
func (w *World) nextDue(d Delays) (time.Time, bool) {
	idx := w.plIdx(d)
	if idx.due.Len() == 0 {
		return time.Time{}, false
	}
	return idx.due[0].at, true
}

// serviceDue is when a Pending service becomes Available.
func (w *World) serviceDue(s *Service, d Delays) time.Time {
	if s.StateDue.IsZero() {
		return s.CreatedAt.Add(d.ServiceAvailable)
	}
	return s.StateDue
}

// plIndex is derived state kept next to the world: every list of endpoint
// IDs a Describe pages through, kept sorted so a page is a binary search and
// a short walk, the heap of due transitions, and what each endpoint's
// private DNS was last reported as (for its events).
type plIndex struct {
	nServices, nEndpoints, nChanges int
	// lists: "svc:<service id>", "prov:<service owner>", "own:<endpoint owner>".
	lists map[string][]string
	due   dueHeap
	// dnsSeen is each endpoint's private DNS status as last noted.
	dnsSeen map[string]string
}

type dueKind int

const (
	dueService dueKind = iota
	dueVerification
	dueEndpoint
	dueEndpointDNS // an endpoint's private name starts resolving
	dueChange      // a Route 53 change goes INSYNC
)

type dueItem struct {
	at   time.Time
	kind dueKind
	id   string
}

type dueHeap []dueItem

func (h dueHeap) Len() int           { return len(h) }
func (h dueHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h dueHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *dueHeap) Push(x any)        { *h = append(*h, x.(dueItem)) }
func (h *dueHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	*h = old[:len(old)-1]
	return it
}

func (x *plIndex) push(it dueItem) { heap.Push(&x.due, it) }

// plIdx returns the index, rebuilding it when the world was loaded or
// changed behind the handlers' back (counts differ).
func (w *World) plIdx(d Delays) *plIndex {
	if w.pl != nil && w.pl.nServices == len(w.Services) && w.pl.nEndpoints == len(w.Endpoints) && w.pl.nChanges == len(w.Changes) {
		return w.pl
	}
	x := &plIndex{lists: map[string][]string{}, dnsSeen: map[string]string{},
		nServices: len(w.Services), nEndpoints: len(w.Endpoints), nChanges: len(w.Changes)}
	w.pl = x
	for _, s := range w.Services {
		if s.State == ServicePending {
			x.due = append(x.due, dueItem{at: w.serviceDue(s, d), kind: dueService, id: s.ID})
		}
		if !s.VerificationDue.IsZero() {
			x.due = append(x.due, dueItem{at: s.VerificationDue, kind: dueVerification, id: s.ID})
		}
	}
	for _, e := range w.Endpoints {
		for _, k := range w.endpointListKeys(e) {
			x.lists[k] = append(x.lists[k], e.ID)
		}
		if !e.StateDue.IsZero() {
			x.due = append(x.due, dueItem{at: e.StateDue, kind: dueEndpoint, id: e.ID})
		}
		// What the world had reached is what was last reported; a private
		// name still propagating then is due to be reported later.
		if st := w.privateDNSStatus(e, w.AdvancedTo); st != "" {
			x.dnsSeen[e.ID] = st
		}
		if e.PrivateDNSEnabled && e.PrivateDNSLiveAt.After(w.AdvancedTo) {
			x.due = append(x.due, dueItem{at: e.PrivateDNSLiveAt, kind: dueEndpointDNS, id: e.ID})
		}
	}
	for _, ch := range w.Changes {
		if ch.Status == "PENDING" {
			x.due = append(x.due, dueItem{at: ch.Due, kind: dueChange, id: ch.ID})
		}
	}
	for _, l := range x.lists {
		sort.Strings(l)
	}
	heap.Init(&x.due)
	return x
}

func (w *World) endpointListKeys(e *Endpoint) []string {
	keys := []string{"svc:" + e.ServiceID, "own:" + e.Owner}
	if s := w.Services[e.ServiceID]; s != nil {
		keys = append(keys, "prov:"+s.Owner)
	}
	return keys
}

// addEndpoint stores a new endpoint, indexes it and schedules what is due.
func (w *World) addEndpoint(d Delays, e *Endpoint) {
	x := w.plIdx(d)
	w.Endpoints[e.ID] = e
	x.nEndpoints = len(w.Endpoints)
	for _, k := range w.endpointListKeys(e) {
		l := x.lists[k]
		i, _ := slices.BinarySearch(l, e.ID)
		x.lists[k] = slices.Insert(l, i, e.ID)
	}
	if !e.StateDue.IsZero() {
		x.push(dueItem{at: e.StateDue, kind: dueEndpoint, id: e.ID})
	}
	if e.PrivateDNSEnabled {
		x.push(dueItem{at: e.PrivateDNSLiveAt, kind: dueEndpointDNS, id: e.ID})
	}
}

// removeEndpoint deletes an endpoint, its ENIs and its index entries.
func (w *World) removeEndpoint(d Delays, e *Endpoint) {
	x := w.plIdx(d)
	for _, k := range w.endpointListKeys(e) {
		l := x.lists[k]
		if i, ok := slices.BinarySearch(l, e.ID); ok {
			x.lists[k] = slices.Delete(l, i, i+1)
		}
	}
	for _, id := range e.ENIIDs {
		delete(w.ENIs, id)
	}
	delete(w.Endpoints, e.ID)
	delete(x.dnsSeen, e.ID)
	x.nEndpoints = len(w.Endpoints)
}

// addService stores a new service and schedules it becoming Available.
func (w *World) addService(d Delays, s *Service) {
	x := w.plIdx(d)
	w.Services[s.ID] = s
	x.nServices = len(w.Services)
	if s.State == ServicePending {
		x.push(dueItem{at: w.serviceDue(s, d), kind: dueService, id: s.ID})
	}
}

// removeService deletes a service. Endpoints still pointing at it (rejected
// ones) stay, as AWS keeps them; the provider's list forgets them.
func (w *World) removeService(d Delays, s *Service) {
	x := w.plIdx(d)
	for _, id := range slices.Clone(x.lists["svc:"+s.ID]) {
		l := x.lists["prov:"+s.Owner]
		if i, ok := slices.BinarySearch(l, id); ok {
			x.lists["prov:"+s.Owner] = slices.Delete(l, i, i+1)
		}
	}
	delete(w.Services, s.ID)
	x.nServices = len(w.Services)
}

// addChange stores a Route 53 change and schedules it going INSYNC.
func (w *World) addChange(d Delays, ch *Change) {
	x := w.plIdx(d)
	w.Changes[ch.ID] = ch
	x.nChanges = len(w.Changes)
	if ch.Status == "PENDING" {
		x.push(dueItem{at: ch.Due, kind: dueChange, id: ch.ID})
	}
}

// scheduleVerification records a started verification's due time.
func (w *World) scheduleVerification(d Delays, s *Service) {
	w.plIdx(d).push(dueItem{at: s.VerificationDue, kind: dueVerification, id: s.ID})
}

// scheduleEndpoint records an endpoint's next transition time.
func (w *World) scheduleEndpoint(d Delays, e *Endpoint) {
	w.plIdx(d).push(dueItem{at: e.StateDue, kind: dueEndpoint, id: e.ID})
}

// scheduleEndpointDNS records when an endpoint's private name propagates.
func (w *World) scheduleEndpointDNS(d Delays, e *Endpoint) {
	w.plIdx(d).push(dueItem{at: e.PrivateDNSLiveAt, kind: dueEndpointDNS, id: e.ID})
}

// Private DNS of an endpoint, as its events report it.
const (
	privateDNSEnabled   = "enabled"   // the attribute is on
	privateDNSResolving = "resolving" // and the private name answers with the endpoint's addresses
)

// privateNameLive reports whether the service's private DNS name answers
// with the endpoint's addresses at t: the endpoint is available with
// private DNS on and propagated, its VPC resolves private zones, and the
// service's name is verified. The data plane serves exactly this.
func (w *World) privateNameLive(e *Endpoint, t time.Time) bool {
	if e.State != EndpointAvailable || !e.PrivateDNSEnabled || t.Before(e.PrivateDNSLiveAt) || !vpcResolvesPrivate(w, e.VPCID) {
		return false
	}
	s := w.Services[e.ServiceID]
	return s != nil && s.PrivateDNSName != "" && s.PrivateDNSState == DNSVerified &&
		s.State != ServiceDeleted && s.State != ServiceFailed
}

// privateDNSStatus is "" (off), privateDNSEnabled or privateDNSResolving.
func (w *World) privateDNSStatus(e *Endpoint, t time.Time) string {
	switch {
	case !e.PrivateDNSEnabled:
		return ""
	case w.privateNameLive(e, t):
		return privateDNSResolving
	}
	return privateDNSEnabled
}

// recheckDNS notes a change of the endpoint's private DNS status at t.
func (w *World) recheckDNS(d Delays, e *Endpoint, t time.Time) {
	x := w.plIdx(d)
	st := w.privateDNSStatus(e, t)
	if old := x.dnsSeen[e.ID]; old != st {
		w.note(t, e.Owner, e.ID+"/private-dns", old, st)
	}
	if st == "" {
		delete(x.dnsSeen, e.ID)
	} else {
		x.dnsSeen[e.ID] = st
	}
}

// recheckServiceDNS rechecks every endpoint of a service, after its private
// DNS name or its verification changed.
func (w *World) recheckServiceDNS(d Delays, serviceID string, t time.Time) {
	for _, id := range w.plIdx(d).lists["svc:"+serviceID] {
		if e := w.Endpoints[id]; e != nil && e.PrivateDNSEnabled {
			w.recheckDNS(d, e, t)
		}
	}
}

// recheckVPCDNS rechecks every endpoint in a VPC, after its DNS attributes
// changed.
func (w *World) recheckVPCDNS(d Delays, vpc *VPC, t time.Time) {
	for _, id := range w.plIdx(d).lists["own:"+vpc.Owner] {
		if e := w.Endpoints[id]; e != nil && e.VPCID == vpc.ID && e.PrivateDNSEnabled {
			w.recheckDNS(d, e, t)
		}
	}
}
