package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/plwiz/plwiz/sandbox/dataplane"
)

// Options configure a Sandbox.
type Options struct {
	World *World // nil: NewWorld with defaults (and Scenario)
	Clock Clock  // nil: RealClock
	// Speed divides every AWS-side delay (1 = real-world sized).
	Speed  float64
	Delays *Delays // nil: DefaultDelays scaled by Speed
	Faults Faults
	// Logf, when set, gets one line per request.
	Logf func(format string, args ...any)

	// DataPlane starts, with the HTTP server, the loopback DNS server, the
	// ENI listeners and the service backends (see dataplane_bridge.go).
	DataPlane bool
	// StateDir keeps the data plane's CA across restarts; "" makes one per run.
	StateDir string
	// DNSListen is the DNS server's address; "" is 127.0.0.1 on a random port.
	DNSListen string
	// NoIPv6 serves the data plane on IPv4 only, as on a machine without
	// ::1 (see IPv6Served).
	NoIPv6 bool

	// WorldFile, when set, keeps the world in this file, durably: Start
	// writes it, and every reply waits until the world it was computed
	// from is on disk (see durable.go), so a kill -9 loses nothing a client
	// was told. The caller loads an existing file into World first.
	WorldFile string
	// Scenario sets a new world up for named situations, comma-separated
	// ("legacy-ids,connections=100"; see Scenarios). Only with World nil:
	// Start refuses both, and reports a bad scenario.
	Scenario string
	// Events, when set, gets every state change the sandbox makes, in the
	// order made, before the reply of the call that made it. It runs with
	// the sandbox locked: it must return quickly and must not call the
	// Sandbox.
	Events func(Event)
}

// Sandbox is the local AWS emulator: one world, one lock, and an HTTP front
// end that speaks each service's wire protocol.
type Sandbox struct {
	mu     sync.Mutex
	world  *World
	clock  Clock
	delays Delays
	faults *faultInjector
	logf   func(format string, args ...any)

	query map[string]map[string]queryHandler // service → action → handler
	json  map[string]map[string]jsonHandler  // AWS JSON services
	ssm   *commandRunner                     // runs SSM Run Command scripts
	seq   uint64                             // request IDs

	notify notifyRuntime // long polls' signal, SNS's signing key (notify_world.go)

	srv      *http.Server
	listener net.Listener

	dpOpts Options              // the data plane's options, read by Start
	dp     *dataplane.DataPlane // nil unless Options.DataPlane

	startErr error       // a bad Options.Scenario, reported by Start
	onEvent  func(Event) // Options.Events
	file     *worldFile  // nil without Options.WorldFile
	gen      uint64      // the world's generation: bumped by every change

	// The timer applies due transitions when they fall due, so their
	// events are written then and not at the next request.
	wake      chan struct{} // a call may have scheduled something earlier
	stopTimer chan struct{}
	timerDone chan struct{}
}

// queryHandler serves one AWS Query / EC2 action. It runs with the world
// locked and already advanced to c.Now, and returns the response body struct
// (its outer element is dropped; see innerXML) or an *APIError.
type queryHandler func(c *call) (any, error)

// call is one request as a handler sees it.
type call struct {
	sb      *Sandbox
	w       *World
	Service string // ec2 | elasticloadbalancing | sts | route53
	// Region is the region the call was made to, from its SigV4 credential
	// scope (the home region for global Route 53).
	Region    string
	Action    string
	Account   *Account
	Session   *RoleSession  // the role session that signed, nil for an IAM user
	Params    Params        // Query protocols
	JSON      bool          // SQS over AWS JSON 1.0 (sqs_wire.go)
	Req       *http.Request // Route 53 (REST)
	Body      []byte
	Now       time.Time
	RequestID string
	// pollUntil is when a long-polling ReceiveMessage gives up (wall clock).
	pollUntil time.Time
}

// Delays returns the sandbox's (scaled) delays.
func (c *call) Delays() Delays { return c.sb.delays }

// Visible reports whether a resource created at t is visible to Describe
// calls yet; false only inside the eventual-consistency fault window.
func (c *call) Visible(created time.Time) bool {
	if !c.sb.faults.cfg.Consistency {
		return true
	}
	return !c.Now.Before(created.Add(c.sb.delays.Visibility))
}

// New builds a sandbox; Start serves it.
func New(o Options) *Sandbox {
	if o.Clock == nil {
		o.Clock = RealClock{}
	}
	var startErr error
	switch {
	case o.World != nil && o.Scenario != "":
		startErr = errors.New("sandbox: Options.Scenario shapes a new world; it cannot be used with Options.World")
	case o.World == nil:
		o.World, startErr = NewScenarioWorld(WorldOptions{Now: o.Clock.Now().UTC()}, o.Scenario)
		if startErr != nil {
			startErr = fmt.Errorf("sandbox: %w", startErr)
			o.World = NewWorld(WorldOptions{Now: o.Clock.Now().UTC()})
		}
	}
	o.World.ensureMaps()
	o.World.ensureDiag(o.Clock.Now().UTC())
	o.World.takeEvents() // what built the world is not a change the sandbox made
	d := DefaultDelays().Scaled(o.Speed)
	if o.Delays != nil {
		d = *o.Delays
	}
	s := &Sandbox{
		world:  o.World,
		clock:  o.Clock,
		delays: d,
		faults: newFaultInjector(o.Faults),
		logf:   o.Logf,
		query:  map[string]map[string]queryHandler{},
		dpOpts: o,

		startErr: startErr,
		onEvent:  o.Events,
		wake:     make(chan struct{}, 1),
	}
	if o.WorldFile != "" {
		s.file = &worldFile{path: o.WorldFile, snapshot: s.snapshot}
	}
	s.query["ec2"] = withConnectionEvents(merge(ec2NetworkHandlers(), ec2RegionHandlers(), ec2PrivateLinkHandlers(), ec2NotificationHandlers()))
	s.query["elasticloadbalancing"] = elbv2Handlers()
	s.query["sts"] = stsHandlers()
	s.query["sns"] = snsHandlers()
	s.query["sqs"] = sqsHandlers()
	s.query["ec2"] = merge(s.query["ec2"], ec2DiagHandlers())
	s.json = map[string]map[string]jsonHandler{"ssm": ssmHandlers(), "acm": acmHandlers()}
	s.ssm = newCommandRunner(s)
	return s
}

func merge(ms ...map[string]queryHandler) map[string]queryHandler {
	out := map[string]queryHandler{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// Start listens on addr (e.g. "127.0.0.1:0"), which must be a loopback
// address, and serves until Close.
func (s *Sandbox) Start(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("sandbox listen address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("sandbox listen address %q: only loopback (127.0.0.0/8) is allowed", addr)
	}
	if s.startErr != nil {
		return s.startErr
	}
	if s.file != nil {
		s.mu.Lock()
		s.gen++
		gen := s.gen
		s.mu.Unlock()
		if err := s.file.flush(gen); err != nil {
			return fmt.Errorf("sandbox: %w", err)
		}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("sandbox listen: %w", err)
	}
	if err := s.startDataPlane(); err != nil {
		ln.Close()
		return err
	}
	s.listener = ln
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	// A manual clock moves only when a test says so: transitions then
	// happen at the next call, still stamped with their due time.
	if _, real := s.clock.(RealClock); real {
		s.stopTimer, s.timerDone = make(chan struct{}), make(chan struct{})
		go s.runTimer()
	}
	return nil
}

// URL is the endpoint URL clients set as AWS_ENDPOINT_URL.
func (s *Sandbox) URL() string {
	if s.listener == nil {
		return ""
	}
	return "http://" + s.listener.Addr().String()
}

// Close stops serving and, with a world file, makes sure the last world is
// on disk.
func (s *Sandbox) Close() error {
	if s.srv == nil {
		return nil
	}
	s.notify.close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	errs := []error{s.srv.Shutdown(ctx), s.ssm.close()}
	if s.stopTimer != nil { // before the data plane it syncs goes
		close(s.stopTimer)
		<-s.timerDone
	}
	errs = append(errs, s.closeDataPlane())
	if s.file != nil {
		s.mu.Lock()
		gen := s.gen
		s.mu.Unlock()
		errs = append(errs, s.file.flush(gen))
	}
	return errors.Join(errs...)
}

// World runs fn with the world locked and advanced to now; for tests, the
// data plane and reading. Changes fn makes reach the world file with the
// next change the sandbox makes.
func (s *Sandbox) World(fn func(w *World, now time.Time)) {
	s.mu.Lock()
	now := s.clock.Now().UTC()
	changed := s.advance(now)
	before, _ := s.world.nextDue(s.delays)
	fn(s.world, now)
	after, _ := s.world.nextDue(s.delays)
	gen := s.settle(changed)
	s.mu.Unlock()
	if !after.Equal(before) {
		s.wakeTimer() // fn scheduled something
	}
	if changed {
		s.flushLogged(gen)
	}
}

// wakeTimer tells the timer to look at the next due time again.
func (s *Sandbox) wakeTimer() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Clock returns the sandbox's clock.
func (s *Sandbox) Clock() Clock { return s.clock }

// advance applies every time-driven transition due by now and reports
// whether it changed anything.
func (s *Sandbox) advance(now time.Time) bool {
	before := len(s.world.events)
	s.world.advance(now, s.delays)
	drained := advanceDiag(s.world, now, s.delays)
	return drained || len(s.world.events) > before
}

// settle ends every locked section that may have changed the world: it
// hands the noted events on and counts a new generation when the world
// changed. It returns the generation a reply must wait for.
func (s *Sandbox) settle(changed bool) uint64 {
	events := s.world.takeEvents()
	if s.onEvent != nil {
		for _, e := range events {
			s.onEvent(e)
		}
	}
	if changed || len(events) > 0 {
		s.gen++
	}
	return s.gen
}

// snapshot is the world as JSON, and its generation.
func (s *Sandbox) snapshot() ([]byte, uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	data, err := json.Marshal(s.world)
	return data, s.gen, err
}

// flushLogged writes the world file up to gen where no reply waits for it.
func (s *Sandbox) flushLogged(gen uint64) {
	if s.file == nil {
		return
	}
	if err := s.file.flush(gen); err != nil && s.logf != nil {
		s.logf("%v", err)
	}
}

// runTimer applies transitions as they fall due, sleeping until the next
// one or until a call may have scheduled an earlier one.
func (s *Sandbox) runTimer() {
	defer close(s.timerDone)
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for {
		s.mu.Lock()
		changed := s.advance(s.clock.Now().UTC())
		gen := s.settle(changed)
		next, ok := s.world.nextDue(s.delays)
		s.mu.Unlock()
		if changed {
			s.flushLogged(gen)
			s.syncDataPlane()
		}
		wait := time.Hour
		if ok {
			wait = max(next.Sub(s.clock.Now()), 0)
		}
		t.Reset(wait)
		select {
		case <-s.stopTimer:
			return
		case <-s.wake:
		case <-t.C:
		}
	}
}

// syncDataPlane brings DNS and the ENI listeners in line with the world.
func (s *Sandbox) syncDataPlane() {
	if s.dp == nil {
		return
	}
	if err := s.dp.Sync(); err != nil && s.logf != nil {
		s.logf("data plane sync: %v", err)
	}
}

// ServeHTTP authenticates the caller, picks the service from the SigV4
// credential scope, injects faults, and dispatches.
func (s *Sandbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.seq++
	reqID := fmt.Sprintf("00000000-0000-4000-8000-%012x", s.seq)
	s.mu.Unlock()
	// Every AWS response carries its request ID in this header, success or
	// error, whatever the protocol also puts in the body.
	w.Header().Set("x-amzn-RequestId", reqID)
	if s.serveSNSPublic(w, r, reqID) {
		return
	}

	body, err := io.ReadAll(io.LimitReader(r.Body, 4<<20))
	if err != nil {
		writeError(w, "ec2", reqID, Errorf(http.StatusBadRequest, "InvalidRequest", "could not read request body: %v", err))
		return
	}
	if s.serveSSOPortal(w, r, reqID) {
		return
	}
	auth, aerr := parseAuthorization(r)
	service := auth.Service
	if service == "" {
		service = "ec2"
	}
	wire := errorWire(service, r)
	if aerr != nil {
		writeError(w, wire, reqID, aerr)
		return
	}

	s.mu.Lock()
	who, perr := s.world.authenticate(service, auth.AccessKeyID, r.Header.Get("X-Amz-Security-Token"))
	var rerr *APIError
	region := auth.Region
	if perr == nil {
		rerr = checkCallRegion(s.world, auth, who.account)
		if service == "route53" {
			region = s.world.Region // global: its resources name no region
		}
	}
	s.mu.Unlock()
	if perr != nil {
		writeError(w, wire, reqID, perr)
		return
	}
	acct := who.account
	if verr := verifySignature(r, body, auth, who.secret); verr != nil {
		writeError(w, wire, reqID, verr)
		return
	}
	if rerr != nil {
		writeError(w, wire, reqID, rerr)
		return
	}
	if verr := who.expired(service, s.clock.Now().UTC()); verr != nil {
		writeError(w, wire, reqID, verr)
		return
	}

	c := &call{sb: s, Service: service, Region: region, Account: acct, Session: who.session, Req: r, Body: body, RequestID: reqID}
	if wire == sqsJSONWire {
		action, jerr := sqsJSONAction(r)
		if jerr != nil {
			writeError(w, wire, reqID, jerr)
			return
		}
		c.JSON, c.Action = true, action
	} else if isJSONService(service) {
		action, jerr := jsonAction(service, r)
		if jerr != nil {
			writeError(w, wire, reqID, jerr)
			return
		}
		c.Action = action
	} else if service != "route53" {
		form, perr := url.ParseQuery(string(body))
		if perr != nil {
			writeError(w, wire, reqID, Errorf(http.StatusBadRequest, "MalformedQueryString", "could not parse the request body: %v", perr))
			return
		}
		c.Params = Params{}
		for k, v := range form {
			if len(v) > 0 {
				c.Params[k] = v[0]
			}
		}
		c.Action = c.Params.Get("Action")
	}

	if ferr := s.faults.before(r.Context(), service); ferr != nil {
		s.log(acct, service, c.Action, ferr)
		writeError(w, wire, reqID, ferr)
		return
	}

	var resp any
	var root string
	var advanced, mutated bool
	var gen uint64
	status := http.StatusOK
	for {
		s.mu.Lock()
		c.Now = s.clock.Now().UTC()
		c.w = s.world
		advanced = s.advance(c.Now) || advanced
		switch service {
		case "route53":
			root, status, resp, err = s.serveRoute53(c)
		case "ssm", "acm":
			h := s.json[service][c.Action]
			if h == nil {
				err = Errorf(http.StatusBadRequest, "UnknownOperationException", "The operation %s is not supported by the sandbox", c.Action)
				break
			}
			resp, err = h(c)
		default:
			h := s.query[service][c.Action]
			if h == nil {
				err = Errorf(http.StatusBadRequest, "InvalidAction", "The action %s is not valid for this web service.", c.Action)
				break
			}
			resp, err = h(c)
		}
		// A long poll that found nothing changed nothing; it waits outside
		// the lock for a message, then looks again (sqs.go).
		lp, polling := resp.(longPoll)
		// A failed mutating call may still have changed something (an ID
		// drawn): it is saved like a successful one.
		mutated = mutates(c) && !polling
		gen = s.settle(advanced || mutated)
		queued := s.notify.waiter()
		s.mu.Unlock()
		if !polling {
			break
		}
		if !lp.wait(r.Context(), &s.notify, queued) {
			resp = lp.empty
			break
		}
	}
	if mutated {
		s.wakeTimer() // the call may have scheduled a transition
	}
	// Nothing is told before the world it comes from is on disk.
	if s.file != nil {
		if ferr := s.file.flush(gen); ferr != nil {
			err = Errorf(http.StatusInternalServerError, "InternalError", "An internal error has occurred: the sandbox could not save its world: %v", ferr)
		}
	}

	// A client that sees an endpoint available (or private DNS on) connects
	// at once; bring DNS and the ENI listeners in line before it can.
	if advanced || mutated {
		s.syncDataPlane()
	}

	s.log(acct, service, c.Action, err)
	if err != nil {
		var ae *APIError
		if !errors.As(err, &ae) {
			ae = Errorf(http.StatusInternalServerError, "InternalError", "An internal error has occurred: %v", err)
		}
		writeError(w, wire, reqID, ae)
		return
	}
	switch service {
	case "ec2":
		err = writeEC2(w, c.Action, reqID, resp)
	case "elasticloadbalancing":
		err = writeQuery(w, nsELBv2, c.Action, reqID, resp)
	case "sts":
		err = writeQuery(w, nsSTS, c.Action, reqID, resp)
	case "sns":
		err = writeQuery(w, nsSNS, c.Action, reqID, resp)
	case "sqs":
		err = writeSQS(w, c, reqID, resp)
	case "route53":
		err = writeRoute53(w, status, root, resp)
	case "ssm", "acm":
		err = writeJSON(w, resp)
	}
	if err != nil && s.logf != nil {
		s.logf("write response: %v", err)
	}
}

// mutates tells whether a call may change what the data plane serves;
// reads never do.
func mutates(c *call) bool {
	if c.Service == "route53" {
		return c.Req.Method != http.MethodGet
	}
	for _, p := range []string{"Describe", "List", "Get"} {
		if strings.HasPrefix(c.Action, p) {
			return false
		}
	}
	return true
}

func (s *Sandbox) log(acct *Account, service, action string, err error) {
	if s.logf == nil {
		return
	}
	result := "ok"
	if err != nil {
		result = err.Error()
	}
	s.logf("%s %s %s: %s", acct.Name, service, action, result)
}

// errUnknownKey is what each service says for an access key it does not know.
func errUnknownKey(service string) *APIError {
	switch service {
	case "ec2":
		return Errorf(http.StatusUnauthorized, "AuthFailure", "AWS was not able to validate the provided access credentials")
	default:
		return Errorf(http.StatusForbidden, "InvalidClientTokenId", "The security token included in the request is invalid.")
	}
}

// sigv4Auth is the parsed Authorization header.
type sigv4Auth struct {
	AccessKeyID   string
	Date          string // yyyymmdd of the scope
	Region        string
	Service       string
	SignedHeaders []string
	Signature     string
}

// parseAuthorization reads "AWS4-HMAC-SHA256 Credential=AKID/date/region/service/aws4_request,
// SignedHeaders=a;b, Signature=hex".
func parseAuthorization(r *http.Request) (sigv4Auth, *APIError) {
	var a sigv4Auth
	h := r.Header.Get("Authorization")
	if h == "" {
		return a, Errorf(http.StatusForbidden, "MissingAuthenticationToken", "Request is missing Authentication Token")
	}
	rest, ok := strings.CutPrefix(h, "AWS4-HMAC-SHA256 ")
	if !ok {
		return a, Errorf(http.StatusBadRequest, "IncompleteSignature", "Unsupported authorization type; the sandbox accepts AWS4-HMAC-SHA256 (SigV4) only")
	}
	for part := range strings.SplitSeq(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Credential":
			f := strings.Split(v, "/")
			if len(f) != 5 || f[4] != "aws4_request" {
				return a, Errorf(http.StatusBadRequest, "IncompleteSignature", "Credential is not of the form AKID/date/region/service/aws4_request: %q", v)
			}
			a.AccessKeyID, a.Date, a.Region, a.Service = f[0], f[1], f[2], f[3]
		case "SignedHeaders":
			a.SignedHeaders = strings.Split(v, ";")
		case "Signature":
			a.Signature = v
		}
	}
	if a.AccessKeyID == "" || a.Signature == "" || len(a.SignedHeaders) == 0 {
		return a, Errorf(http.StatusBadRequest, "IncompleteSignature", "Authorization header lacks Credential, SignedHeaders or Signature")
	}
	return a, nil
}
