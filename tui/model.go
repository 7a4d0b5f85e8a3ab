package tui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"

	"github.com/plwiz/plwiz/steps"
)

// Options change how a Model looks and behaves.
type Options struct {
	// NoColor drops every colour (--no-color, NO_COLOR); text attributes
	// such as bold stay.
	NoColor bool
	// Light starts with the light-background theme; the terminal's answer
	// to a background-colour query switches it either way.
	Light bool
	// Accessible makes Run use the line driver (see the package doc).
	Accessible bool
	// Backoff, when set, makes the poll interval of every wait and table
	// (tests poll fast); nil leaves each wait the schedule that fits it.
	Backoff func() *steps.Backoff
	// Static stops the spinner and the once-a-second clock redraw, so
	// tests and golden files see stable frames.
	Static bool
	// Keys replaces the default key map.
	Keys *KeyMap
}

// Common is what every component shares: the size it has, the styles, the
// keys and the clock.
type Common struct {
	Width, Height int
	Theme         *Theme
	Keys          *KeyMap
	Now           func() time.Time
}

func (c *Common) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// phase is where the current step stands on its screen.
type phase int

const (
	phaseStarting phase = iota // the step is set up; the engine moves on
	phaseLoading               // loading select choices
	phaseInput                 // a form or an import input is shown
	phaseReady                 // an action waits for the user's go
	phaseRunning               // Do runs
	phasePolling               // Poll or the table's rows refresh
	phaseResult                // done; shown until the user continues
	phaseFailed                // failed; the hint is shown, retry offered
)

// stepRun is the state of the step on screen.
type stepRun struct {
	st    *steps.Step
	index int
	phase phase

	describe string
	fields   *fieldList
	result   steps.Result
	errText  string
	hint     string

	options map[string][]steps.Option
	form    *formView
	// stage and stages place the form on screen among the step's forms;
	// answers are the answers of the stages before, shown above it.
	stage, stages int
	answers       [][]string
	backTo        string

	status   steps.Status
	polled   bool
	pollErr  string
	nextPoll time.Time

	table     *tableView
	tableDone bool
	rowsErr   string

	checks *checkList
	// recover is the way forward a failed step offers (a new endpoint
	// after a rejection, a resource made again).
	recover *steps.Fix
}

// confirmation is a yes/no question waiting for an answer.
type confirmation struct {
	question string
	yes      func() tea.Cmd
	// no, when set, runs on no (the engine's questions need an answer).
	no func()
}

// Model shows one flow. It is a component: the program-level App (or the
// demo's side-by-side wrapper) gives it its size and focus and renders its
// View string. The flow runs in a steps.Engine of its own, which owns the
// session; the Model shows what the engine reports and answers its
// questions.
type Model struct {
	flow *steps.Flow
	env  *steps.Env
	opts Options
	com  Common

	ctx    context.Context
	cancel context.CancelFunc
	engine *steps.Engine
	fe     *frontend

	focused  bool
	help     help.Model
	spin     spinner.Model
	spinning bool
	clockOn  bool

	snap snapshot
	// busy is true while the engine works (a call is in flight) with no
	// question for the user.
	busy bool
	// engineDone is true once the engine returned.
	engineDone bool
	// formGen numbers the forms, so a form's messages reach only it.
	formGen int
	cur     *stepRun
	// asked is the engine's question waiting for the user, if any.
	asked *asked
	// table is the last table question, which a row action pressed while
	// the rows refresh still answers; queued is an answer given before the
	// first one came.
	table  *asked
	queued *steps.Reply

	// tokenAlone shows the export's token alone on the screen, so a mouse
	// selection takes it whole and nothing else.
	tokenAlone bool
	finished   bool
	// inDemo is set when the Model is one party of the demo, which ends
	// the program itself.
	inDemo  bool
	confirm *confirmation
	// confirmLeave is true when the question is whether to leave, so a
	// second ctrl+c answers it.
	confirmLeave bool
	leaving      bool
	left         bool
	note         string
	noteBad      bool
	saveErr      string
}

// New makes a Model for flow, continuing session s (new or resumed) with
// env's clock. From Init on, the session is the engine's: the caller must
// not touch it until the Model is stopped and left. The Model is focused;
// give it a size with SetSize (App does on the first WindowSizeMsg).
func New(flow *steps.Flow, s *steps.Session, env *steps.Env, opts Options) *Model {
	if env == nil {
		env = &steps.Env{}
	}
	keys := opts.Keys
	if keys == nil {
		keys = DefaultKeyMap()
	}
	ctx, cancel := context.WithCancel(context.Background())
	m := &Model{
		flow: flow, env: env, opts: opts,
		com:     Common{Width: 80, Height: 24, Theme: NewTheme(!opts.Light, opts.NoColor), Keys: keys, Now: env.Now},
		ctx:     ctx,
		cancel:  cancel,
		focused: true,
		busy:    true,
	}
	m.engine = &steps.Engine{Flow: flow, Session: s, Env: env}
	if opts.Backoff != nil {
		m.engine.Schedule = func(*steps.Step) steps.Schedule { return steps.BackoffSchedule(opts.Backoff()) }
	}
	m.fe = newFrontend(m)
	m.help = help.New()
	m.help.Styles = m.com.Theme.Help
	m.spin = spinner.New(spinner.WithSpinner(spinner.MiniDot))
	m.snap = takeSnapshot(s)
	return m
}

// Init starts the flow's engine at the first unfinished step.
func (m *Model) Init() tea.Cmd {
	return tea.Batch(m.fe.run(m.engine), m.fe.listen(), m.clockTick(), m.ensureSpin())
}

// SetSize gives the Model the cells it may draw in.
func (m *Model) SetSize(w, h int) {
	m.com.Width, m.com.Height = max(w, 20), max(h, 8)
	m.layoutChildren()
}

// Focus makes the Model take keys; Blur makes it ignore them (the other
// party has the keyboard in the demo).
func (m *Model) Focus() { m.focused = true }

// Blur stops the Model taking keys.
func (m *Model) Blur() { m.focused = false }

// Focused reports whether the Model takes keys.
func (m *Model) Focused() bool { return m.focused }

// Left reports whether the user left (after confirming) or closed the
// finished flow; the session has been saved.
func (m *Model) Left() bool { return m.left }

// Finished reports whether every step of the flow is done or skipped.
func (m *Model) Finished() bool { return m.finished }

// Summary is what the flow's last step reported (where to reach the
// service), once the flow is finished.
func (m *Model) Summary() string {
	if !m.finished || len(m.flow.Steps) == 0 {
		return ""
	}
	return m.snap.recs[m.flow.Steps[len(m.flow.Steps)-1].ID].Detail
}

// SessionID is the session's ID.
func (m *Model) SessionID() string { return m.snap.id }

// ResumeCommand is the command that continues this session, for the exit
// message; empty once the flow is finished.
func (m *Model) ResumeCommand() string {
	if m.finished {
		return ""
	}
	return fmt.Sprintf("plwiz %s --resume --session %s", m.snap.role, m.snap.id)
}

// SaveError is the last failure to save the session, if any.
func (m *Model) SaveError() string { return m.saveErr }

// Stop cancels the engine (the program is ending); it saves the session on
// its way out.
func (m *Model) Stop() { m.cancel() }

// Wait blocks until the engine has returned after Stop, or d passed, and
// reports whether it did.
func (m *Model) Wait(d time.Duration) bool {
	select {
	case <-m.fe.done:
		return true
	case <-time.After(d):
		return false
	}
}

// SetDark switches between the dark- and light-background themes.
func (m *Model) SetDark(dark bool) {
	if m.com.Theme.Dark == dark {
		return
	}
	m.com.Theme = NewTheme(dark, m.opts.NoColor)
	m.help.Styles = m.com.Theme.Help
	if m.cur != nil && m.cur.form != nil {
		m.cur.form.setTheme(m.com.Theme)
	}
}

// animating reports whether something is going on that the spinner shows.
func (m *Model) animating() bool {
	if m.left || m.opts.Static {
		return false
	}
	if m.busy && !m.engineDone {
		return true
	}
	// A table waits on the user: nothing spins while it is shown.
	return m.cur != nil && (m.cur.phase == phasePolling && m.cur.table == nil || m.cur.phase == phaseLoading || m.cur.phase == phaseRunning)
}

func (m *Model) ensureSpin() tea.Cmd {
	if m.spinning || !m.animating() {
		return nil
	}
	m.spinning = true
	return m.spin.Tick
}

func (m *Model) clockTick() tea.Cmd {
	if m.opts.Static || m.left {
		m.clockOn = false
		return nil
	}
	m.clockOn = true
	return tea.Tick(time.Second, func(time.Time) tea.Msg { return clockMsg{owner: m} })
}

func (m *Model) now() time.Time { return m.com.now() }

// Update handles a message: keys when focused, and the Model's own
// messages (others' are ignored).
func (m *Model) Update(msg tea.Msg) (*Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.BackgroundColorMsg:
		m.SetDark(msg.IsDark())
		return m, nil
	case spinner.TickMsg:
		if msg.ID != m.spin.ID() {
			return m, nil
		}
		if !m.animating() {
			m.spinning = false
			return m, nil
		}
		var cmd tea.Cmd
		m.spin, cmd = m.spin.Update(msg)
		return m, cmd
	case clockMsg:
		if msg.owner != m {
			return m, nil
		}
		return m, m.clockTick()
	case engineMsg:
		if msg.owner != m {
			return m, nil
		}
		var cmd tea.Cmd
		if msg.ev != nil {
			cmd = m.onEvent(*msg.ev)
		} else {
			cmd = m.onAsk(msg.ask)
		}
		return m, tea.Batch(cmd, m.fe.listen(), m.ensureSpin())
	case engineDoneMsg:
		if msg.owner != m {
			return m, nil
		}
		m.engineDone, m.busy, m.asked = true, false, nil
		if m.leaving || (!m.finished && errors.Is(msg.err, steps.ErrStopped)) {
			m.left = true
		}
		return m, nil
	case formMsg:
		if msg.owner != m || msg.gen != m.formGen || m.cur == nil || m.cur.form == nil {
			return m, nil
		}
		return m, m.cur.form.update(msg.msg)
	case formSubmitMsg:
		if msg.owner != m || msg.gen != m.formGen || m.cur == nil || m.cur.phase != phaseInput {
			return m, nil
		}
		return m, m.submitForm()
	case tea.PasteMsg:
		if !m.focused || m.cur == nil || m.cur.phase != phaseInput || m.cur.form == nil {
			return m, nil
		}
		return m, m.cur.form.update(msg)
	case tea.KeyPressMsg:
		if !m.focused {
			return m, nil
		}
		cmd := m.onKey(msg)
		return m, tea.Batch(cmd, m.ensureSpin())
	}
	return m, nil
}

// onEvent shows what the engine reports.
func (m *Model) onEvent(ev steps.Event) tea.Cmd {
	m.snap = cleanSnapshot(ev.Snap)
	m.saveErr = steps.Sanitize(ev.SaveErr)
	if ev.Kind == steps.EventFinished {
		m.finished, m.cur, m.busy = true, nil, false
		return nil
	}
	if ev.Kind == steps.EventSkipped {
		return nil
	}
	if ev.Kind == steps.EventStep || m.cur == nil || m.cur.st != ev.Step {
		m.cur = &stepRun{st: ev.Step, index: ev.Index}
		m.note, m.noteBad = "", false
		m.help.ShowAll = false
		m.asked, m.table, m.queued = nil, nil, nil
	}
	r := m.cur
	m.setView(ev.View)
	switch ev.Kind {
	case steps.EventLoading:
		r.phase, m.busy = phaseLoading, true
	case steps.EventRunning:
		r.phase, m.busy = phaseRunning, true
		r.errText, r.hint, r.recover = "", "", nil
		r.status, r.polled = steps.Status{}, false
	case steps.EventPolling:
		m.busy = true
		if r.phase != phasePolling {
			r.phase = phasePolling
			if r.st.Table != nil && r.table == nil {
				r.table = newTableView(&m.com, r.st.Table)
				m.layoutChildren()
			}
		}
	case steps.EventStatus:
		m.busy = false
		r.polled, r.status, r.nextPoll = true, cleanStatus(ev.Status), ev.NextPoll
		r.pollErr = steps.Sanitize(ev.PollErr)
	case steps.EventRows:
		r.polled, r.nextPoll = true, ev.NextPoll
		r.rowsErr = steps.Sanitize(ev.RowsErr)
		if ev.RowsErr == "" {
			r.tableDone = ev.Complete
			if !ev.RowsSame {
				r.table.SetRows(cleanRows(ev.Rows))
			}
		}
	case steps.EventRetrying:
		text := fmt.Sprintf("%s — trying again in %s", steps.Sanitize(ev.Err), fmtDuration(ev.Delay))
		if ev.Hint != "" {
			text += " (" + steps.Sanitize(ev.Hint) + ")"
		}
		if r.phase == phasePolling {
			r.pollErr = text
		} else {
			m.setNote(text, true)
		}
	case steps.EventNote:
		m.setNote(steps.Sanitize(ev.Note), ev.Bad)
		if r.table != nil && !ev.Bad {
			r.table.ClearSelection()
		}
	case steps.EventDone:
		// The result screen comes with the engine's question about it
		// (AskResult), so a key pressed on it is always taken; forms and
		// waits go straight on to the next step.
		m.note = strings.TrimSuffix(m.note, checkingAgain)
		m.showResult(ev.Result)
	case steps.EventFailed:
		// Likewise the failure screen comes with AskFailed.
		m.showResult(ev.Result)
		r.errText, r.hint = steps.Sanitize(ev.Err), steps.Sanitize(ev.Hint)
		r.recover = ev.Recover
		if ev.Status != (steps.Status{}) {
			r.status = cleanStatus(ev.Status)
		}
	}
	return nil
}

// checkingAgain ends the note of a fix while its step checks again.
const checkingAgain = "; checking again"

func (m *Model) showResult(res steps.Result) {
	r := m.cur
	r.result = cleanResult(res)
	if r.st.Kind == steps.KindCheck || len(r.result.Checks) > 0 {
		r.checks = newCheckList(&m.com, r.result.Checks)
		m.layoutChildren()
	}
}

// setView shows the step's description and fields as the engine sees them.
func (m *Model) setView(v steps.StepView) {
	r := m.cur
	r.describe = cleanText(v.Describe)
	if v.Fields == nil && r.fields == nil {
		return
	}
	fs := cleanFields(v.Fields)
	if r.fields == nil {
		r.fields = newFieldList(&m.com, fs)
	} else {
		r.fields.setFields(fs)
	}
}

// onAsk shows the engine's question.
func (m *Model) onAsk(a *asked) tea.Cmd {
	q := a.q
	if m.cur == nil || m.cur.st != q.Step {
		m.cur = &stepRun{st: q.Step, index: q.Index}
	}
	m.snap = cleanSnapshot(q.Snap)
	m.setView(q.View)
	m.asked, m.busy = a, false
	r := m.cur
	switch q.Kind {
	case steps.AskInputs:
		r.stage, r.stages, r.answers, r.backTo = q.Stage, q.Stages, cleanAnswers(q.Answered), steps.Sanitize(q.BackTo)
		r.options = cleanOptions(q.Options)
		r.errText, r.hint = "", ""
		return m.buildForm(q)
	case steps.AskGo:
		r.phase = phaseReady
	case steps.AskConfirm:
		m.confirm = &confirmation{question: steps.Sanitize(q.Text),
			yes: func() tea.Cmd { m.reply(steps.Reply{Choice: steps.ChoiceYes}); return nil },
			no:  func() { m.reply(steps.Reply{Choice: steps.ChoiceNo}) }}
	case steps.AskResult:
		r.phase = phaseResult
	case steps.AskFailed:
		r.phase = phaseFailed
		r.recover = q.Recover
	case steps.AskTable:
		m.table = a
		if r.table == nil {
			r.table = newTableView(&m.com, r.st.Table)
			m.layoutChildren()
		}
		r.phase = phasePolling
		switch {
		case m.queued != nil:
			m.reply(*m.queued)
			m.queued = nil
		case r.table.finishQueued && q.Complete:
			r.table.finishQueued = false
			m.reply(steps.Reply{Choice: steps.ChoiceFinish})
		}
	}
	return nil
}

func cleanAnswers(in [][]string) [][]string {
	out := make([][]string, len(in))
	for i, lines := range in {
		for _, l := range lines {
			out[i] = append(out[i], steps.Sanitize(l))
		}
	}
	return out
}

// reply answers the question on screen.
func (m *Model) reply(r steps.Reply) {
	a := m.asked
	if a == nil {
		return
	}
	m.asked, m.busy = nil, true
	m.fe.answer(a, r)
}

// replyTable answers the table's question, the last one when the rows are
// being refreshed (the engine takes it with the next).
func (m *Model) replyTable(r steps.Reply) {
	if m.asked != nil && m.asked.q.Kind == steps.AskTable {
		m.reply(r)
		return
	}
	if m.table != nil {
		m.fe.answer(m.table, r)
		m.table = nil
		return
	}
	m.queued = &r
}

func (m *Model) buildForm(q steps.Question) tea.Cmd {
	r := m.cur
	m.formGen++
	gen := m.formGen
	w, _ := m.screenSize()
	r.form = newFormView(&m.com, q.Inputs, r.options, q.Start, m.opts.Accessible, w,
		func() tea.Msg { return formSubmitMsg{owner: m, gen: gen} },
		func(c tea.Cmd) tea.Cmd { return m.wrapFormCmd(gen, c) })
	r.phase = phaseInput
	m.layoutChildren()
	return r.form.init()
}

// submitForm gives the engine the answers.
func (m *Model) submitForm() tea.Cmd {
	r := m.cur
	vals, err := r.form.values()
	if err != nil {
		r.form.liveErr = err.Error()
		return nil
	}
	r.form = nil
	r.phase = phaseStarting
	m.reply(steps.Reply{Choice: steps.ChoiceContinue, Values: vals})
	return nil
}

func (m *Model) setNote(s string, bad bool) { m.note, m.noteBad = s, bad }

func (m *Model) ask(q string, yes func() tea.Cmd) {
	m.confirm = &confirmation{question: q, yes: yes}
}

// cleanText sanitises each line of a multi-line text.
func cleanText(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = steps.Sanitize(l)
	}
	return strings.Join(lines, "\n")
}

func (m *Model) askLeave() {
	q := "Leave plwiz? Your progress is saved."
	if !m.finished {
		q += " Resume with: " + m.ResumeCommand()
	}
	m.confirm = &confirmation{question: q, yes: m.leave}
	m.confirmLeave = true
}

// leave stops the engine, which saves the session on its way out; the
// Model is left once it has returned.
func (m *Model) leave() tea.Cmd {
	m.leaving = true
	m.cancel()
	if m.engineDone {
		m.left = true
	}
	return nil
}

func (m *Model) onKey(msg tea.KeyPressMsg) tea.Cmd {
	k := m.com.Keys
	if key.Matches(msg, k.Quit) {
		if m.leaving {
			return nil
		}
		if m.confirm != nil && m.confirmLeave {
			m.confirm = nil
			return m.leave()
		}
		if c := m.confirm; c != nil && c.no != nil {
			// The engine's question stays asked; it comes back after.
			m.confirm = nil
			c.no()
		}
		m.askLeave()
		return nil
	}
	if m.leaving {
		return nil
	}
	if m.tokenAlone {
		m.tokenAlone = false
		return nil
	}
	if c := m.confirm; c != nil {
		switch {
		case key.Matches(msg, k.Yes):
			m.confirm, m.confirmLeave = nil, false
			return c.yes()
		case key.Matches(msg, k.No):
			m.confirm, m.confirmLeave = nil, false
			if c.no != nil {
				c.no()
			}
		}
		return nil
	}
	if m.finished {
		// In the demo the program is the demo's to end (ctrl+c).
		if !m.inDemo && (key.Matches(msg, k.Continue) || msg.String() == "q") {
			m.left = true
			m.cancel()
		}
		return nil
	}
	r := m.cur
	if r == nil {
		return nil
	}
	if r.phase == phaseInput && r.form != nil {
		if r.stage > 0 && key.Matches(msg, k.Back) && r.form.atFirstField() {
			r.form = nil
			r.phase = phaseLoading
			m.reply(steps.Reply{Choice: steps.ChoiceBack})
			return nil
		}
		return r.form.update(msg)
	}
	if key.Matches(msg, k.Help) {
		m.help.ShowAll = !m.help.ShowAll
		m.layoutChildren()
		return nil
	}
	return m.screenKey(msg)
}
