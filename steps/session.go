package steps

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Role is the party a flow is for.
type Role string

// The two parties of a PrivateLink setup.
const (
	RoleProvider Role = "provider"
	RoleConsumer Role = "consumer"
)

// sessionVersion is bumped when the file format changes incompatibly.
const sessionVersion = 1

// maxSessionFile caps what Load reads; a session is a few KiB.
const maxSessionFile = 1 << 20

// StepRecord is what a session remembers of one step.
type StepRecord struct {
	State      StepState `json:"state"`
	StartedAt  time.Time `json:"startedAt,omitzero"`
	FinishedAt time.Time `json:"finishedAt,omitzero"`
	Detail     string    `json:"detail,omitempty"`
	Error      string    `json:"error,omitempty"`
	Hint       string    `json:"hint,omitempty"`
}

// StepState is where a step stands.
type StepState string

// Step states.
const (
	StatePending StepState = "pending"
	StateRunning StepState = "running"
	StateWaiting StepState = "waiting"
	StateDone    StepState = "done"
	StateSkipped StepState = "skipped"
	StateFailed  StepState = "failed"
)

// Finished reports whether a step needs no more work.
func (s StepState) Finished() bool { return s == StateDone || s == StateSkipped }

// Session is everything a flow has learnt and made: the inputs given, the
// resource IDs created, and each step's state. It is saved after every step
// so a crash or Ctrl-C resumes where it stopped, and it never holds a
// credential.
type Session struct {
	Version   int       `json:"version"`
	ID        string    `json:"id"`
	Role      Role      `json:"role"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
	// Account, ARN and Region are the caller identity when the flow started;
	// a resume under another identity is refused.
	Account  string `json:"account,omitempty"`
	ARN      string `json:"arn,omitempty"`
	Region   string `json:"region,omitempty"`
	Endpoint string `json:"endpointUrl,omitempty"`
	// Inputs are the user's answers by input key.
	Inputs map[string]string `json:"inputs"`
	// Resources are what the flow created or found, by well-known key
	// (serviceId, endpointId, ...).
	Resources map[string]string      `json:"resources"`
	Steps     map[string]*StepRecord `json:"steps"`
	// Created are the AWS resources this session made, by ID: a NotFound
	// for one of them soon after it was made is EC2's eventual
	// consistency, retried; later it means the resource is gone, and the
	// step that made it can make it again.
	Created map[string]Made `json:"created,omitempty"`
	// TornDownAt is when plwiz teardown deleted everything the session
	// made; a torn-down session is listed as such and never resumed.
	TornDownAt time.Time `json:"tornDownAt,omitzero"`

	path string // where Save writes; set by NewSession/Load
}

// NewSession starts a session for role, stored under dir.
func NewSession(dir string, role Role, now time.Time) (*Session, error) {
	id, err := newSessionID(role, now)
	if err != nil {
		return nil, err
	}
	return &Session{
		Version: sessionVersion, ID: id, Role: role,
		CreatedAt: now.UTC(), UpdatedAt: now.UTC(),
		Inputs: map[string]string{}, Resources: map[string]string{}, Steps: map[string]*StepRecord{},
		path: filepath.Join(dir, id+".json"),
	}, nil
}

// newSessionID is role-date-random, readable in `plwiz sessions` and short
// enough to derive AWS ClientTokens (64 characters at most) from.
func newSessionID(role Role, now time.Time) (string, error) {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("new session id: %w", err)
	}
	return fmt.Sprintf("%s-%s-%s", role, now.UTC().Format("20060102-150405"), hex.EncodeToString(b[:])), nil
}

// Path is the session file.
func (s *Session) Path() string { return s.path }

// Input returns an input's value ("" when not given).
func (s *Session) Input(key string) string { return s.Inputs[key] }

// SetInput records an input.
func (s *Session) SetInput(key, value string) { s.Inputs[key] = value }

// Resource returns a recorded resource ID ("" when none).
func (s *Session) Resource(key string) string { return s.Resources[key] }

// SetResource records a resource ID.
func (s *Session) SetResource(key, value string) { s.Resources[key] = value }

// Made is one resource a session created.
type Made struct {
	// Key is the session resource key that holds its ID (serviceId...).
	Key string `json:"key"`
	// Step is the step that created it.
	Step string    `json:"step"`
	At   time.Time `json:"at"`
}

// MarkCreated records that step created the resource id, kept under key.
func (s *Session) MarkCreated(key, id, step string, at time.Time) {
	if id == "" {
		return
	}
	if s.Created == nil {
		s.Created = map[string]Made{}
	}
	if _, ok := s.Created[id]; ok {
		return // a re-run found it: it was made the first time
	}
	s.Created[id] = Made{Key: key, Step: step, At: at.UTC()}
}

// Step returns the record of a step, creating it pending.
func (s *Session) Step(id string) *StepRecord {
	r := s.Steps[id]
	if r == nil {
		r = &StepRecord{State: StatePending}
		s.Steps[id] = r
	}
	return r
}

// attemptKey is where the number of a step's attempt at making its
// resource is kept; the endpoint's has its own key from before.
func attemptKey(step string) string {
	if step == StepCreateEndpoint {
		return ResEndpointTry
	}
	return "attempt." + step
}

// Attempt is which attempt at making its resource the step is on (1 until
// what it made is gone or was rejected).
func (s *Session) Attempt(step string) int {
	n, err := strconv.Atoi(s.Resources[attemptKey(step)])
	if err != nil || n < 1 {
		return 1
	}
	return n
}

// NextAttempt counts one more attempt, so the step's next create call gets
// a new ClientToken instead of AWS's answer about the resource made before.
func (s *Session) NextAttempt(step string) {
	s.SetResource(attemptKey(step), strconv.Itoa(s.Attempt(step)+1))
}

// ClientToken derives an idempotency token for one create call, so a
// re-run after a crash returns the resource made before instead of a second.
func (s *Session) ClientToken(purpose string) string {
	t := "plwiz-" + s.ID + "-" + purpose
	if len(t) > 64 {
		t = t[:64]
	}
	return t
}

// Save writes the session atomically (temp file + fsync + rename), mode 0600.
func (s *Session) Save(now time.Time) error {
	if s.path == "" {
		return errors.New("save session: no path (use NewSession or LoadSession)")
	}
	s.UpdatedAt = now.UTC()
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("save session %s: %w", s.ID, err)
	}
	return writeFileAtomic(s.path, append(data, '\n'))
}

// writeFileAtomic writes data to path through a temp file in the same
// directory, so readers never see half a file.
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	name := tmp.Name()
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(name)
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	if err := os.Rename(name, path); err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	ok = true
	return nil
}

// LoadSession reads a session file and checks it is one of ours.
func LoadSession(path string) (*Session, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load session: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("load session: %w", err)
	}
	if fi.Size() > maxSessionFile {
		return nil, fmt.Errorf("load session %s: file is %d bytes, more than a session can be (%d); is it the right file?", path, fi.Size(), maxSessionFile)
	}
	dec := json.NewDecoder(f)
	dec.DisallowUnknownFields()
	var s Session
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("load session %s: not a plwiz session file: %w", path, err)
	}
	if s.Version != sessionVersion {
		return nil, fmt.Errorf("load session %s: format version %d, this plwiz reads version %d", path, s.Version, sessionVersion)
	}
	if s.Role != RoleProvider && s.Role != RoleConsumer {
		return nil, fmt.Errorf("load session %s: role %q is neither provider nor consumer", path, s.Role)
	}
	if s.ID == "" || strings.ContainsAny(s.ID, "/\\") {
		return nil, fmt.Errorf("load session %s: bad session id %q", path, s.ID)
	}
	if s.Inputs == nil {
		s.Inputs = map[string]string{}
	}
	if s.Resources == nil {
		s.Resources = map[string]string{}
	}
	if s.Steps == nil {
		s.Steps = map[string]*StepRecord{}
	}
	s.path = path
	return &s, nil
}

// SessionDir is where sessions live: $XDG_STATE_HOME/plwiz, else
// ~/.local/state/plwiz.
func SessionDir(getenv func(string) string) (string, error) {
	if d := getenv("XDG_STATE_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "plwiz"), nil
	}
	home := getenv("HOME")
	if home == "" {
		h, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("session directory: set XDG_STATE_HOME or HOME: %w", err)
		}
		home = h
	}
	return filepath.Join(home, ".local", "state", "plwiz"), nil
}

// ListSessions returns the sessions in dir, newest first; files that are not
// sessions are reported in bad rather than failing the listing.
func ListSessions(dir string) (sessions []*Session, bad []error, err error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("list sessions: %w", err)
	}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		s, err := LoadSession(filepath.Join(dir, e.Name()))
		if err != nil {
			bad = append(bad, err)
			continue
		}
		sessions = append(sessions, s)
	}
	sort.Slice(sessions, func(i, j int) bool { return sessions[i].UpdatedAt.After(sessions[j].UpdatedAt) })
	return sessions, bad, nil
}

// FindSession returns the newest unfinished session of role in dir, or the
// session with the given ID when id is not empty.
func FindSession(dir string, role Role, id string) (*Session, error) {
	if id != "" {
		if strings.ContainsAny(id, "/\\") || strings.HasPrefix(id, ".") {
			return nil, fmt.Errorf("session id %q: not a session id (see plwiz sessions)", id)
		}
		s, err := LoadSession(filepath.Join(dir, id+".json"))
		if err != nil {
			return nil, err
		}
		if s.State() == SessionTornDown {
			return nil, fmt.Errorf("session %s was torn down on %s: what it made is deleted; start a new session instead of resuming it", s.ID, s.TornDownAt.Format(time.DateTime+" MST"))
		}
		return s, nil
	}
	all, _, err := ListSessions(dir)
	if err != nil {
		return nil, err
	}
	for _, s := range all {
		if s.Role == role && s.State() == SessionInProgress {
			return s, nil
		}
	}
	return nil, fmt.Errorf("no unfinished %s session in %s to resume (see plwiz sessions)", role, dir)
}

// Finished reports whether the session's summary step is done.
func (s *Session) Finished() bool {
	r := s.Steps[StepSummary]
	return r != nil && r.State == StateDone
}

// SessionState is where a whole session stands, as plwiz sessions shows it.
type SessionState string

// Session states.
const (
	SessionInProgress SessionState = "in progress"
	SessionFinished   SessionState = "finished"
	SessionTornDown   SessionState = "torn down"
)

// State is torn down once teardown deleted what the session made, else
// finished once its summary step is done, else in progress.
func (s *Session) State() SessionState {
	switch {
	case !s.TornDownAt.IsZero():
		return SessionTornDown
	case s.Finished():
		return SessionFinished
	}
	return SessionInProgress
}

// MarkTornDown records that everything the session made was deleted.
func (s *Session) MarkTornDown(at time.Time) { s.TornDownAt = at.UTC() }
