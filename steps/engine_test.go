package steps

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

// scripted is a front end that answers from a script of functions, one
// per question, and records what it was shown.
type scripted struct {
	mu      sync.Mutex
	answers []func(ctx context.Context, q Question) (Reply, error)
	asked   []Question
	shown   []Event
}

func (f *scripted) Interactive() bool { return true }

func (f *scripted) Show(ev Event) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.shown = append(f.shown, ev)
}

func (f *scripted) Ask(ctx context.Context, q Question) (Reply, error) {
	f.mu.Lock()
	f.asked = append(f.asked, q)
	if len(f.answers) == 0 {
		f.mu.Unlock()
		return Reply{Choice: ChoiceStop}, nil
	}
	next := f.answers[0]
	f.answers = f.answers[1:]
	f.mu.Unlock()
	return next(ctx, q)
}

// tick lets the table's question time out: the engine refreshes the rows.
func tick(ctx context.Context, _ Question) (Reply, error) {
	<-ctx.Done()
	return Reply{}, ctx.Err()
}

func answer(r Reply) func(context.Context, Question) (Reply, error) {
	return func(context.Context, Question) (Reply, error) { return r, nil }
}

// TestTableLoadsEveryRowOnlyWhenItMust: a table with Changes loads every
// row when shown, when the user refreshes and every FullEvery; between
// those it asks Changes.
func TestTableLoadsEveryRowOnlyWhenItMust(t *testing.T) {
	var full, changes int
	st := &Step{ID: "t", Title: "T", Kind: KindTable, Table: &Table{
		Columns: []string{"ID"},
		Rows: func(context.Context, *Env, *Session) ([]Row, error) {
			full++
			return []Row{{ID: "a", Cells: []string{"a"}}}, nil
		},
		Changes: func(_ context.Context, _ *Env, _ *Session, known []Row) ([]Row, error) {
			changes++
			return known, nil
		},
		FullEvery: time.Hour,
	}}
	s, err := NewSession(t.TempDir(), RoleProvider, t0)
	if err != nil {
		t.Fatal(err)
	}
	fe := &scripted{answers: []func(context.Context, Question) (Reply, error){
		tick, tick, // two refreshes: Changes
		answer(Reply{Choice: ChoiceRefresh}), // the user's refresh: every row
		tick,                                 // Changes again
		answer(Reply{Choice: ChoiceFinish}),
	}}
	fast := &Backoff{Min: time.Millisecond, Max: time.Millisecond, Factor: 1}
	e := &Engine{Flow: &Flow{Role: RoleProvider, Steps: []*Step{st}}, Session: s, Env: &Env{},
		Schedule: func(*Step) Schedule { return BackoffSchedule(fast) }}
	if err := e.Run(context.Background(), fe); err != nil {
		t.Fatal(err)
	}
	if full != 2 || changes != 3 {
		t.Errorf("full loads %d, incremental %d; want 2 and 3", full, changes)
	}
	st.Table.FullEvery = time.Nanosecond
	full, changes = 0, 0
	s.Steps = map[string]*StepRecord{}
	fe.answers = []func(context.Context, Question) (Reply, error){tick, tick, answer(Reply{Choice: ChoiceFinish})}
	if err := e.Run(context.Background(), fe); err != nil {
		t.Fatal(err)
	}
	if full != 3 || changes != 0 {
		t.Errorf("with FullEvery passed each time: full %d, incremental %d; want 3 and 0", full, changes)
	}
}

// TestPanicInAStepIsItsFailure: a bug in a step ends that step with what
// happened, and the session is saved, instead of killing the process.
func TestPanicInAStepIsItsFailure(t *testing.T) {
	flow := &Flow{Role: RoleConsumer, Steps: []*Step{{ID: "boom", Title: "Boom", Kind: KindAction,
		Do: func(context.Context, *Env, *Session) (Result, error) { panic("index out of range") }}}}
	s, err := NewSession(t.TempDir(), RoleConsumer, t0)
	if err != nil {
		t.Fatal(err)
	}
	r := &Runner{Flow: flow, Session: s, Env: &Env{}}
	err = r.Run(context.Background())
	var re *RunError
	if !errors.As(err, &re) || re.Code != ExitFailed || !strings.Contains(err.Error(), "internal error (a bug in plwiz") || !strings.Contains(err.Error(), "index out of range") {
		t.Fatalf("run ended with %v", err)
	}
	saved, err := LoadSession(s.Path())
	if err != nil || saved.Step("boom").State != StateFailed {
		t.Errorf("saved %+v, %v", saved, err)
	}
}
