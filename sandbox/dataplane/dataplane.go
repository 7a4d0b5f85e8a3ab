// Package dataplane is the sandbox's loopback data plane: a DNS server for
// endpoint and private DNS names and public-zone TXT records, TCP listeners
// on endpoint ENI addresses that proxy to per-service TLS backends, and the
// CA those backends' certificates chain to.
//
// It knows nothing of the emulated AWS world: a Source hands it Snapshots,
// and Sync (or a ticker) makes the running servers match the latest one.
package dataplane

import (
	"crypto/x509"
	"errors"
	"fmt"
	"hash/maphash"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
)

// DefaultInterval is how often the data plane re-reads its Source.
const DefaultInterval = 100 * time.Millisecond

// Options configure Start.
type Options struct {
	Source Source
	// StateDir keeps the CA (CACertFile, CAKeyFile) so a restarted sandbox
	// is still trusted by clients; "" makes a CA for this run only, written
	// to a temporary directory removed by Close.
	StateDir string
	// DNSListen is the DNS server's address, UDP and TCP on the same port;
	// "" is 127.0.0.1 on a random port. Only loopback is allowed.
	DNSListen string
	// Interval between automatic syncs; 0 is DefaultInterval, negative
	// turns the ticker off (Sync only).
	Interval time.Duration
	// Logf, when set, gets sync problems (once per change) and backend
	// handshake failures.
	Logf func(format string, args ...any)
	// NoIPv6 serves IPv4 only, as on a machine without ::1 (for tests of
	// what such a machine sees).
	NoIPv6 bool
}

// IPv6Unavailable is what Start logs when the IPv6 side of endpoints cannot
// be served.
const IPv6Unavailable = "the IPv6 loopback address ::1 is not available on this machine: " +
	"the IPv6 side of dualstack endpoints (their AAAA records' address) is not served; IPv4 is"

// ipv6Loopback reports whether this machine can listen on [::1].
func ipv6Loopback() bool {
	ln, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		return false
	}
	ln.Close()
	return true
}

// DataPlane is a running data plane.
type DataPlane struct {
	src    Source
	logf   func(string, ...any)
	ca     *authority
	caFile string
	tmpDir string

	zones   atomic.Pointer[zoneSet]
	dnsAddr string
	dnsUDP  *dns.Server
	dnsTCP  *dns.Server

	syncMu   sync.Mutex // one reconciliation at a time; guards the maps below
	backends map[string]*backend
	forwards map[fwdKey]*forwarder
	holes    map[fwdKey]*blackhole // addresses whose connects time out
	closed   bool
	lastErr  string
	seed     maphash.Seed
	fp       uint64  // dnsFingerprint of the compiled zones
	compiled bool    // fp is set
	zoneErrs []error // what compiling them reported

	addrMu sync.RWMutex
	addrs  map[string]string // service ID → backend address, for forwarders

	// svcNames are each backend's certificate names, for routing by TLS
	// server name on [::1]; guarded by syncMu.
	svcNames map[string][]string
	// ipv6 is whether [::1] can be listened on (see IPv6).
	ipv6 bool

	stop chan struct{}
	done chan struct{}
}

// ErrClosed is returned by Sync after Close.
var ErrClosed = errors.New("data plane closed")

// Start loads or creates the CA, starts the DNS server, syncs once and,
// unless Interval is negative, keeps syncing in the background.
func Start(o Options) (*DataPlane, error) {
	if o.Source == nil {
		return nil, errors.New("start data plane: no Source")
	}
	d := &DataPlane{
		src:      o.Source,
		logf:     o.Logf,
		backends: map[string]*backend{},
		forwards: map[fwdKey]*forwarder{},
		holes:    map[fwdKey]*blackhole{},
		addrs:    map[string]string{},
		svcNames: map[string][]string{},
		seed:     maphash.MakeSeed(),
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	d.zones.Store(&zoneSet{zones: map[string]*dns.SOA{}, names: map[string]*node{}})
	d.ipv6 = !o.NoIPv6 && ipv6Loopback()
	if !d.ipv6 && d.logf != nil {
		d.logf("data plane: %s", IPv6Unavailable)
	}

	dir := o.StateDir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "plwiz-sandbox-ca-")
		if err != nil {
			return nil, fmt.Errorf("start data plane: %w", err)
		}
		d.tmpDir, dir = tmp, tmp
	}
	ca, err := loadOrCreateCA(dir, time.Now())
	if err != nil {
		d.removeTemp()
		return nil, fmt.Errorf("start data plane: %w", err)
	}
	d.ca = ca
	d.caFile = filepath.Join(dir, CACertFile)

	if err := d.startDNS(o.DNSListen); err != nil {
		d.removeTemp()
		return nil, fmt.Errorf("start data plane: %w", err)
	}
	if err := d.Sync(); err != nil {
		// A world with a bad record should not keep the sandbox down; the
		// problem is reported and the rest is served.
		d.report(err)
	}
	if o.Interval >= 0 {
		interval := o.Interval
		if interval == 0 {
			interval = DefaultInterval
		}
		go d.tick(interval)
	} else {
		close(d.done)
	}
	return d, nil
}

// tick syncs every interval, or every ten sync durations when a big world
// makes syncs slow, so the data plane never takes more than about a tenth
// of a core (or of the world lock's time).
func (d *DataPlane) tick(interval time.Duration) {
	defer close(d.done)
	t := time.NewTimer(interval)
	defer t.Stop()
	for {
		select {
		case <-d.stop:
			return
		case <-t.C:
			began := time.Now()
			if err := d.Sync(); err != nil && !errors.Is(err, ErrClosed) {
				d.report(err)
			}
			t.Reset(max(interval, 10*time.Since(began)))
		}
	}
}

// report logs a sync error once, not every tick.
func (d *DataPlane) report(err error) {
	d.syncMu.Lock()
	msg := err.Error()
	fresh := msg != d.lastErr
	d.lastErr = msg
	d.syncMu.Unlock()
	if fresh && d.logf != nil {
		d.logf("data plane: %v", err)
	}
}

// startDNS binds UDP and TCP on one port, retrying random ports until both
// are free.
func (d *DataPlane) startDNS(listen string) error {
	if listen == "" {
		listen = "127.0.0.1:0"
	}
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return fmt.Errorf("dns listen address %q: %w", listen, err)
	}
	if ip, err := netip.ParseAddr(host); err != nil || !ip.IsLoopback() {
		return fmt.Errorf("dns listen address %q: only a loopback IP address is allowed", listen)
	}
	var pc net.PacketConn
	var ln net.Listener
	for attempt := 0; ; attempt++ {
		pc, err = net.ListenPacket("udp", net.JoinHostPort(host, port))
		if err != nil {
			return fmt.Errorf("dns listen udp: %w", err)
		}
		ln, err = net.Listen("tcp", pc.LocalAddr().String())
		if err == nil {
			break
		}
		pc.Close()
		if port != "0" || attempt == 20 {
			return fmt.Errorf("dns listen tcp: %w", err)
		}
	}
	d.dnsAddr = pc.LocalAddr().String()
	h := dnsHandler{zones: d.zones.Load}
	udpUp, tcpUp := make(chan struct{}), make(chan struct{})
	d.dnsUDP = &dns.Server{PacketConn: pc, Handler: h, NotifyStartedFunc: func() { close(udpUp) }}
	d.dnsTCP = &dns.Server{Listener: ln, Handler: h, NotifyStartedFunc: func() { close(tcpUp) }}
	go func() { _ = d.dnsUDP.ActivateAndServe() }()
	go func() { _ = d.dnsTCP.ActivateAndServe() }()
	// Shutdown refuses a server that has not started yet, so wait.
	<-udpUp
	<-tcpUp
	return nil
}

// Sync reads the Source once and makes DNS, backends and listeners match
// it. Everything it can apply is applied; what it cannot is returned.
func (d *DataPlane) Sync() error {
	d.syncMu.Lock()
	defer d.syncMu.Unlock()
	if d.closed {
		return ErrClosed
	}
	snap := d.src()
	// Recompiling a big world's DNS data every tick is the costly part of
	// a sync; most ticks nothing changed.
	if fp := dnsFingerprint(d.seed, snap); !d.compiled || fp != d.fp {
		zs, errs := compileZones(snap)
		d.zones.Store(zs)
		d.fp, d.compiled, d.zoneErrs = fp, true, errs
	}
	errs := slices.Clone(d.zoneErrs)
	errs = append(errs, d.syncBackends(snap.Services)...)
	errs = append(errs, d.syncForwards(snap.Forwards)...)
	return errors.Join(errs...)
}

func (d *DataPlane) syncBackends(services []Service) []error {
	var errs []error
	want := map[string]bool{}
	now := time.Now()
	for _, svc := range services {
		if svc.ID == "" {
			errs = append(errs, errors.New("backend: service without an ID"))
			continue
		}
		want[svc.ID] = true
		names, err := certNames(svc)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		d.svcNames[svc.ID] = names
		key := strings.Join(names, ",")
		b := d.backends[svc.ID]
		if b != nil && b.names == key && now.Before(b.cert.Load().Leaf.NotAfter.Add(-24*time.Hour)) {
			continue
		}
		// New service, renamed (private DNS name set or removed), or a
		// certificate near its end: issue and swap; live connections keep
		// the old one.
		cert, err := d.ca.issue(names, now)
		if err != nil {
			errs = append(errs, fmt.Errorf("backend for %s: %w", svc.ID, err))
			continue
		}
		if b != nil {
			b.cert.Store(cert)
			b.names = key
			continue
		}
		b, err = startBackend(svc, cert, key, d.logf)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		d.backends[svc.ID] = b
		d.addrMu.Lock()
		d.addrs[svc.ID] = b.addr()
		d.addrMu.Unlock()
	}
	for id, b := range d.backends {
		if want[id] {
			continue
		}
		d.addrMu.Lock()
		delete(d.addrs, id)
		d.addrMu.Unlock()
		delete(d.backends, id)
		delete(d.svcNames, id)
		if err := b.close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

func (d *DataPlane) syncForwards(fwds []Forward) []error {
	var errs []error
	want, werrs := d.plan(fwds)
	errs = append(errs, werrs...)
	// Close first what goes or changes mode, so the address is free for
	// what replaces it.
	for k, f := range d.forwards {
		if w, ok := want[k]; !ok || w.drop {
			f.close()
			delete(d.forwards, k)
		}
	}
	for k, h := range d.holes {
		if w, ok := want[k]; !ok || !w.drop {
			h.close()
			delete(d.holes, k)
		}
	}
	keys := make([]fwdKey, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b fwdKey) int {
		if c := a.addr.Compare(b.addr); c != 0 {
			return c
		}
		return int(a.port) - int(b.port)
	})
	for _, k := range keys {
		w := want[k]
		if w.drop {
			if d.holes[k] != nil {
				continue
			}
			h, err := startBlackhole(k)
			if err != nil {
				errs = append(errs, err) // retried on the next sync
				continue
			}
			d.holes[k] = h
			continue
		}
		if f := d.forwards[k]; f != nil {
			f.setRoutes(w.routes)
			f.admit(w.sources)
			continue
		}
		f, err := startForwarder(k, w.routes, w.sources, d.backendAddr)
		if err != nil {
			errs = append(errs, err) // retried on the next sync
			continue
		}
		d.forwards[k] = f
	}
	return errs
}

// listening is what one address and port should do: drop every connect,
// or let sources in (nil: all) to routes.
type listening struct {
	drop    bool
	routes  []route
	sources []netip.Prefix
}

// plan groups the snapshot's forwards by address. An IPv4 address belongs
// to one service. [::1] is shared by every service with IPv6 endpoints on
// that port: it drops connects only when every forward there drops, lets
// in the clients any of them lets in, and routes by server name.
func (d *DataPlane) plan(fwds []Forward) (map[fwdKey]listening, []error) {
	var errs []error
	want := map[fwdKey]listening{}
	owner := map[fwdKey]string{}
	open := map[fwdKey]bool{} // some forward there does not drop
	everyone := map[fwdKey]bool{}
	for _, f := range fwds {
		k := fwdKey{addr: f.Addr.Unmap(), port: f.Port}
		if k.addr.Is6() && !d.ipv6 {
			continue // reported once by Start
		}
		if prev, dup := owner[k]; dup && prev != f.Service && !k.addr.Is6() {
			errs = append(errs, fmt.Errorf("forward %s: claimed by both %s and %s", k, prev, f.Service))
			continue
		}
		owner[k] = f.Service
		w := want[k]
		if f.Drop {
			if !open[k] {
				w.drop = true
			}
			want[k] = w
			continue
		}
		if !open[k] {
			open[k], w.drop, w.routes, w.sources = true, false, nil, nil
		}
		if !slices.ContainsFunc(w.routes, func(r route) bool { return r.service == f.Service }) {
			w.routes = append(w.routes, route{service: f.Service, names: d.svcNames[f.Service]})
		}
		switch {
		case f.Sources == nil:
			everyone[k] = true
		case !everyone[k]:
			w.sources = append(w.sources, f.Sources...)
			if w.sources == nil {
				w.sources = []netip.Prefix{}
			}
		}
		want[k] = w
	}
	for k := range everyone {
		w := want[k]
		w.sources = nil
		want[k] = w
	}
	return want, errs
}

// IPv6 reports whether the IPv6 side of endpoints is served: the machine
// has the IPv6 loopback address ::1 and Options.NoIPv6 is off.
func (d *DataPlane) IPv6() bool { return d.ipv6 }

func (d *DataPlane) backendAddr(service string) string {
	d.addrMu.RLock()
	defer d.addrMu.RUnlock()
	return d.addrs[service]
}

// BackendAddr is the address of a service's TLS backend, "" if it has none.
func (d *DataPlane) BackendAddr(serviceID string) string { return d.backendAddr(serviceID) }

// Listening returns the forward addresses ("ip:port") being served, sorted.
func (d *DataPlane) Listening() []string {
	d.syncMu.Lock()
	defer d.syncMu.Unlock()
	out := make([]string, 0, len(d.forwards))
	for k := range d.forwards {
		out = append(out, k.String())
	}
	slices.Sort(out)
	return out
}

// DNSAddr is the DNS server's "ip:port" (UDP and TCP).
func (d *DataPlane) DNSAddr() string { return d.dnsAddr }

// CAFile is the path of the CA certificate (PEM) clients should trust.
func (d *DataPlane) CAFile() string { return d.caFile }

// CAPEM returns the CA certificate in PEM.
func (d *DataPlane) CAPEM() []byte { return slices.Clone(d.ca.certPEM) }

// CAPool returns a fresh pool holding only the sandbox CA.
func (d *DataPlane) CAPool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(d.ca.cert)
	return p
}

// Close stops the ticker, every listener, backend and the DNS server, and
// removes a temporary CA directory.
func (d *DataPlane) Close() error {
	d.syncMu.Lock()
	if d.closed {
		d.syncMu.Unlock()
		return nil
	}
	d.closed = true
	d.syncMu.Unlock()
	close(d.stop)
	<-d.done

	d.syncMu.Lock()
	defer d.syncMu.Unlock()
	var errs []error
	for k, f := range d.forwards {
		f.close()
		delete(d.forwards, k)
	}
	for k, h := range d.holes {
		h.close()
		delete(d.holes, k)
	}
	for id, b := range d.backends {
		if err := b.close(); err != nil {
			errs = append(errs, err)
		}
		delete(d.backends, id)
	}
	d.addrMu.Lock()
	clear(d.addrs)
	d.addrMu.Unlock()
	if err := d.dnsUDP.Shutdown(); err != nil {
		errs = append(errs, fmt.Errorf("close dns udp: %w", err))
	}
	if err := d.dnsTCP.Shutdown(); err != nil {
		errs = append(errs, fmt.Errorf("close dns tcp: %w", err))
	}
	d.removeTemp()
	return errors.Join(errs...)
}

func (d *DataPlane) removeTemp() {
	if d.tmpDir != "" {
		_ = os.RemoveAll(d.tmpDir)
	}
}

// dnsFingerprint hashes the DNS part of a snapshot, independent of map and
// slice order (entries' hashes are summed), to spot unchanged snapshots.
func dnsFingerprint(seed maphash.Seed, s Snapshot) uint64 {
	var h maphash.Hash
	h.SetSeed(seed)
	var sum uint64
	entry := func(tag byte, parts ...string) {
		h.Reset()
		h.WriteByte(tag)
		for _, p := range parts {
			h.WriteString(p)
			h.WriteByte(0)
		}
		sum += h.Sum64()
	}
	for _, z := range s.Zones {
		entry('z', z.Name, z.SOA, strconv.FormatUint(uint64(z.SOATTL), 10))
	}
	for tag, records := range map[byte]map[string][]netip.Addr{'a': s.A, '6': s.AAAA} {
		for name, addrs := range records {
			h.Reset()
			h.WriteByte(tag)
			h.WriteString(name)
			for _, a := range addrs {
				b := a.As16()
				h.Write(b[:])
			}
			sum += h.Sum64()
		}
	}
	for _, t := range s.TXT {
		entry('t', append([]string{t.Name, strconv.FormatUint(uint64(t.TTL), 10)}, t.Values...)...)
	}
	return sum
}
