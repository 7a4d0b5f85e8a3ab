package tui

import (
	"context"
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
	// Backoff makes the poll interval of wait and table steps; nil gives
	// steps.DefaultBackoff.
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
	phaseStarting phase = iota // waiting for the first advance
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
	// stages are the forms the inputs are asked in, one after another;
	// stage is the one on screen.
	stages [][]steps.Input
	stage  int
	// answers are the answers of the stages before, shown above the form.
	answers [][]string

	status   steps.Status
	polled   bool
	pollErr  string
	nextPoll time.Time
	backoff  *steps.Backoff

	table     *tableView
	tableDone bool
	rowsErr   string

	checks *checkList
	// recover is the way forward a failed wait offers (a new endpoint
	// after a rejection).
	recover *steps.Fix
}

// confirmation is a yes/no question waiting for an answer.
type confirmation struct {
	question string
	yes      func() tea.Cmd
}

// Model shows one flow. It is a component: the program-level App (or the
// demo's side-by-side wrapper) gives it its size and focus and renders its
// View string.
type Model struct {
	flow *steps.Flow
	sess *steps.Session
	env  *steps.Env
	opts Options
	com  Common

	ctx    context.Context
	cancel context.CancelFunc

	focused  bool
	help     help.Model
	spin     spinner.Model
	spinning bool
	clockOn  bool

	snap snapshot
	busy bool
	gen  int
	cur  *stepRun

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
// env's clock. The Model is focused; give it a size with SetSize (App does
// on the first WindowSizeMsg).
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
		flow: flow, sess: s, env: env, opts: opts,
		com:     Common{Width: 80, Height: 24, Theme: NewTheme(!opts.Light, opts.NoColor), Keys: keys, Now: env.Now},
		ctx:     ctx,
		cancel:  cancel,
		focused: true,
	}
	m.help = help.New()
	m.help.Styles = m.com.Theme.Help
	m.spin = spinner.New(spinner.WithSpinner(spinner.MiniDot))
	m.snap = takeSnapshot(s)
	return m
}

// Init starts the flow at its first unfinished step.
func (m *Model) Init() tea.Cmd {
	return tea.Batch(m.advanceCmd(), m.clockTick(), m.ensureSpin())
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

// Stop cancels any step work in flight (the program is ending).
func (m *Model) Stop() { m.cancel() }

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

func (m *Model) nextGen() int {
	m.gen++
	return m.gen
}

func (m *Model) indexOf(st *steps.Step) int {
	for i, s := range m.flow.Steps {
		if s == st {
			return i
		}
	}
	return -1
}

func (m *Model) newBackoff() *steps.Backoff {
	if m.opts.Backoff != nil {
		return m.opts.Backoff()
	}
	return steps.DefaultBackoff()
}

// animating reports whether something is going on that the spinner shows.
func (m *Model) animating() bool {
	if m.left || m.opts.Static {
		return false
	}
	if m.busy {
		return true
	}
	return m.cur != nil && (m.cur.phase == phasePolling || m.cur.phase == phaseLoading || m.cur.phase == phaseRunning)
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

// Update handles a message: keys when focused, and the results of the
// Model's own commands (others' are ignored).
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
	case workMsg:
		return m.onWork(msg)
	case pollTickMsg:
		if msg.owner != m || msg.gen != m.gen || m.cur == nil || m.cur.phase != phasePolling || m.leaving || m.busy {
			return m, nil
		}
		return m, tea.Batch(m.startPoll(), m.ensureSpin())
	case formMsg:
		if msg.owner != m || msg.gen != m.gen || m.cur == nil || m.cur.form == nil {
			return m, nil
		}
		return m, m.cur.form.update(msg.msg)
	case formSubmitMsg:
		if msg.owner != m || msg.gen != m.gen || m.cur == nil || m.cur.phase != phaseInput || m.busy {
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

// onWork takes the session back from a finished command and moves the
// step on.
func (m *Model) onWork(msg workMsg) (*Model, tea.Cmd) {
	owner, snap, saveErr := msg.work()
	if owner != m {
		return m, nil
	}
	m.busy = false
	m.snap = snap
	m.saveErr = ""
	if saveErr != nil {
		m.saveErr = steps.Sanitize(saveErr.Error())
	}
	if m.leaving {
		if _, ok := msg.(savedMsg); ok {
			m.left = true
			return m, nil
		}
		// What was in flight has stopped; save what it left.
		return m, m.saveCmd()
	}
	cmd := m.handleWork(msg)
	return m, tea.Batch(cmd, m.ensureSpin())
}

func (m *Model) handleWork(msg workMsg) tea.Cmd {
	if a, ok := msg.(advanceMsg); ok {
		if a.step == nil {
			m.finished = true
			m.cur = nil
			return nil
		}
		return m.enterStep(a.step, a.index)
	}
	r := m.cur
	if r == nil {
		return nil
	}
	if _, ok := msg.(savedMsg); ok {
		return nil
	}
	m.refreshDetails()
	switch msg := msg.(type) {
	case optionsMsg:
		if msg.gen != m.gen {
			return nil
		}
		r.options = msg.options
		if msg.err != nil {
			m.fail(msg.err.Error(), steps.HintOf(msg.err))
			return nil
		}
		return m.buildForm()
	case doMsg:
		if msg.gen != m.gen || msg.cancelled {
			return nil
		}
		m.note = strings.TrimSuffix(m.note, checkingAgain)
		r.result = msg.result
		if r.st.Kind == steps.KindCheck || len(msg.result.Checks) > 0 {
			r.checks = newCheckList(&m.com, msg.result.Checks)
			m.layoutChildren()
		}
		if msg.err != nil {
			rec := m.snap.recs[r.st.ID]
			hint := steps.HintOf(msg.err)
			if hint == "" {
				hint = rec.Hint
			}
			m.fail(steps.Sanitize(msg.err.Error()), steps.Sanitize(hint))
			return nil
		}
		if msg.pending {
			r.phase = phasePolling
			r.backoff.Reset()
			if r.st.Table != nil && r.table == nil {
				r.table = newTableView(&m.com, r.st.Table)
				m.layoutChildren()
			}
			return m.startPoll()
		}
		return m.stepDone()
	case pollMsg:
		if msg.gen != m.gen || msg.cancelled {
			return nil
		}
		r.polled = true
		r.pollErr = ""
		switch {
		case msg.err != nil && !msg.retryable:
			hint := steps.HintOf(msg.err)
			if hint == "" {
				hint = msg.status.Hint
			}
			m.fail(steps.Sanitize(msg.err.Error()), steps.Sanitize(hint))
			return nil
		case msg.err != nil:
			r.pollErr = steps.Sanitize(msg.err.Error())
		default:
			r.status = msg.status
		}
		switch {
		case r.status.Failed:
			m.fail(r.status.Detail, r.status.Hint)
			r.recover = r.status.Recover
			return nil
		case r.status.Done:
			if r.status.Detail != "" {
				r.result.Detail = r.status.Detail
			}
			return m.stepDone()
		}
		return m.schedulePoll(r.status.State + "|" + r.status.Detail)
	case rowsMsg:
		if msg.gen != m.gen || msg.cancelled {
			return nil
		}
		r.polled = true
		if msg.err != nil {
			r.rowsErr = steps.Sanitize(msg.err.Error())
			if h := steps.HintOf(msg.err); h != "" {
				r.rowsErr += " (" + steps.Sanitize(h) + ")"
			}
		} else {
			r.rowsErr = ""
			r.tableDone = msg.done
			r.table.SetRows(msg.rows)
		}
		if q := r.table.takeQueued(); q != nil {
			return m.runRowAction(q.act, q.ids)
		}
		if r.table.finishQueued && r.tableDone {
			r.table.finishQueued = false
			return m.finishCmd(r.st, m.gen)
		}
		return m.schedulePoll(r.table.fingerprint())
	case rowActionMsg:
		if msg.err != nil {
			m.setNote(failNote(msg.label, msg.err), true)
		} else {
			text := msg.label + ": done"
			if msg.detail != "" {
				text = msg.label + ": " + msg.detail
			}
			m.setNote(text, false)
		}
		r.table.ClearSelection()
		r.backoff.Reset()
		return m.startPollGen(m.nextGen())
	case fixMsg:
		if msg.err != nil {
			m.setNote(failNote(msg.label, msg.err), true)
			r.phase = phaseFailed
			if !msg.recover && !r.result.Failed(false) {
				r.phase = phaseResult
			}
			return nil
		}
		if msg.recover {
			// The session was reset to an earlier step: find it.
			return m.advanceCmd()
		}
		m.setNote(msg.label+": done"+checkingAgain, false)
		return m.runDo()
	case finishMsg:
		return m.advanceCmd()
	}
	return nil
}

// failNote is the note of a row action or fix that failed, with its hint.
func failNote(label string, err error) string {
	text := fmt.Sprintf("%s failed: %s", label, steps.Sanitize(err.Error()))
	if h := steps.HintOf(err); h != "" {
		text += " — " + steps.Sanitize(h)
	}
	return text
}

// checkingAgain ends the note of a fix while its step checks again.
const checkingAgain = "; checking again"

// enterStep sets up the screen of the next step.
func (m *Model) enterStep(st *steps.Step, index int) tea.Cmd {
	m.cur = &stepRun{st: st, index: index, backoff: m.newBackoff()}
	m.note, m.noteBad = "", false
	m.help.ShowAll = false
	m.refreshDetails()
	if in := m.inputsToAsk(); len(in) > 0 {
		return m.showInputs()
	}
	return m.afterInputs()
}

// inputsToAsk is what the current step asks before Do.
func (m *Model) inputsToAsk() []steps.Input { return inputsToAsk(m.cur.st, m.sess) }

// inputsToAsk is what st asks before Do, in the full screen and the line
// driver alike: every input of a form step, the bundle of an import and
// the path of an export (its default proposed), since asking them is what
// those steps are for; and, for the other kinds, every input the session
// has no answer for yet, optional ones included (acceptance on
// create-service, writing the TXT record, the connectivity test's HTTP
// path), so a choice the design leaves to the user is never taken
// silently. Answers given before (flags, the demo, a resumed session) are
// not asked again. Each is shown with its Default, evaluated when its form
// is built, so it sees what the steps before found (the hosted zone).
func inputsToAsk(st *steps.Step, s *steps.Session) []steps.Input {
	switch {
	case st.Kind == steps.KindHandoff && st.Handoff == steps.HandoffImport:
		if len(st.Inputs) == 0 {
			return []steps.Input{{Key: st.ID, Label: "Bundle file or token", Type: steps.InputText, Required: true}}
		}
		return st.Inputs
	case st.Kind == steps.KindForm, st.Kind == steps.KindHandoff:
		return st.Inputs
	}
	return steps.UnansweredInputs(st, s)
}

// formStages splits inputs into the forms asked one after another: the
// choices of a select loaded from AWS may depend on the answers before it
// (the subnets of the VPC just chosen), so each input with Options starts a
// stage of its own, loaded once the answers before it are in the session.
func formStages(inputs []steps.Input) [][]steps.Input {
	var out [][]steps.Input
	for i, in := range inputs {
		if i == 0 || in.Options != nil {
			out = append(out, nil)
		}
		out[len(out)-1] = append(out[len(out)-1], in)
	}
	return out
}

// showInputs asks the step's inputs from the first stage.
func (m *Model) showInputs() tea.Cmd {
	m.cur.stages = formStages(m.inputsToAsk())
	return m.showStage(0)
}

// showStage loads the choices of stage i, if it has any, then shows its
// form.
func (m *Model) showStage(i int) tea.Cmd {
	r := m.cur
	r.stage = i
	if hasOptions(r.stages[i]) {
		r.phase = phaseLoading
		return m.optionsCmd(r.stages[i], m.nextGen())
	}
	r.options = nil
	return m.buildForm()
}

func (m *Model) buildForm() tea.Cmd {
	r := m.cur
	gen := m.nextGen()
	w, _ := m.screenSize()
	r.form = newFormView(&m.com, r.stages[r.stage], r.options, m.sess, m.opts.Accessible, w,
		func() tea.Msg { return formSubmitMsg{owner: m, gen: gen} },
		func(c tea.Cmd) tea.Cmd { return m.wrapFormCmd(gen, c) })
	r.phase = phaseInput
	m.layoutChildren()
	return r.form.init()
}

// submitForm records the answers and goes on.
func (m *Model) submitForm() tea.Cmd {
	r := m.cur
	vals, err := r.form.values()
	if err != nil {
		r.form.liveErr = err.Error()
		return nil
	}
	for k, v := range vals {
		m.sess.SetInput(k, v)
	}
	r.answers = append(r.answers[:r.stage], answerLines(r.stages[r.stage], vals, r.options))
	r.form = nil
	if r.stage+1 < len(r.stages) {
		return m.showStage(r.stage + 1)
	}
	return m.afterInputs()
}

// answerLines says what was answered in a stage: a choice by its label.
func answerLines(inputs []steps.Input, vals map[string]string, options map[string][]steps.Option) []string {
	var out []string
	for _, in := range inputs {
		v := vals[in.Key]
		if v == "" {
			continue
		}
		// A choice shows its label; several, their values (IDs), so the
		// line stays short.
		shown := strings.ReplaceAll(v, ",", ", ")
		if in.Type == steps.InputSelect {
			for _, o := range options[in.Key] {
				if o.Value == v && o.Label != "" {
					shown = o.Label
				}
			}
		}
		out = append(out, steps.Sanitize(in.Label)+": "+steps.Sanitize(shown))
	}
	return out
}

func (m *Model) afterInputs() tea.Cmd {
	r := m.cur
	// What the step says it will do depends on the answers just given
	// (acceptance required, who writes the TXT record).
	m.refreshDetails()
	if r.st.Kind == steps.KindAction {
		// An action with nothing to read first (the summary) just runs.
		if r.st.Describe == nil && r.st.Fields == nil && r.st.Confirm == "" {
			return m.runDo()
		}
		r.phase = phaseReady
		return nil
	}
	if r.st.Confirm != "" {
		r.phase = phaseReady
		m.ask(r.st.Confirm, m.runDo)
		return nil
	}
	return m.runDo()
}

func (m *Model) runDo() tea.Cmd {
	r := m.cur
	r.phase = phaseRunning
	r.errText, r.hint = "", ""
	r.status, r.polled = steps.Status{}, false
	return tea.Batch(m.doCmd(r.st, m.nextGen()), m.ensureSpin())
}

func (m *Model) startPoll() tea.Cmd { return m.startPollGen(m.gen) }

func (m *Model) startPollGen(gen int) tea.Cmd {
	r := m.cur
	r.phase = phasePolling
	if r.st.Table != nil {
		return m.rowsCmd(r.st, gen)
	}
	return m.pollCmd(r.st, gen)
}

func (m *Model) schedulePoll(observed string) tea.Cmd {
	d := m.cur.backoff.Next(observed)
	m.cur.nextPoll = m.now().Add(d)
	return m.pollAfter(m.gen, d)
}

// stepDone shows the result; forms and waits go straight on, the other
// screens stay until the user continues (there may be something to copy).
func (m *Model) stepDone() tea.Cmd {
	r := m.cur
	r.phase = phaseResult
	if r.st.Kind == steps.KindForm || r.st.Kind == steps.KindWait {
		return m.advanceCmd()
	}
	return nil
}

func (m *Model) fail(text, hint string) {
	r := m.cur
	r.phase = phaseFailed
	r.errText, r.hint = text, hint
}

func (m *Model) setNote(s string, bad bool) { m.note, m.noteBad = s, bad }

func (m *Model) ask(q string, yes func() tea.Cmd) {
	m.confirm = &confirmation{question: q, yes: yes}
}

// refreshDetails asks the step for its description and fields; the session
// is Update's while this runs.
func (m *Model) refreshDetails() {
	r := m.cur
	if r == nil || m.busy {
		return
	}
	if r.st.Describe != nil {
		r.describe = cleanText(r.st.Describe(m.sess))
	}
	if r.st.Fields != nil {
		fs := cleanFields(r.st.Fields(m.sess))
		if r.fields == nil {
			r.fields = newFieldList(&m.com, fs)
		} else {
			r.fields.setFields(fs)
		}
	}
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

// leave stops the work in flight, saves the session and marks the Model
// left once the save is done.
func (m *Model) leave() tea.Cmd {
	m.leaving = true
	m.cancel()
	if m.busy {
		return nil // the command's message will come back; then save
	}
	return m.saveCmd()
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
			return m.showStage(r.stage - 1)
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
