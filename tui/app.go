package tui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/plwiz/plwiz/steps"
)

// App runs one Model as a whole program: it sizes the Model to the
// window, asks the terminal for its background, draws in the alternate
// screen and quits once the Model is left.
type App struct {
	Model *Model
}

// NewApp wraps m for a program of its own.
func NewApp(m *Model) *App { return &App{Model: m} }

// leaveNowMsg is an interrupt signal (SIGINT without a terminal in raw
// mode): leave without asking, saving the session.
type leaveNowMsg struct{}

// Init starts the Model and asks for the terminal's background colour.
func (a *App) Init() tea.Cmd {
	return tea.Batch(a.Model.Init(), tea.RequestBackgroundColor)
}

// Update routes the message to the Model and quits once it is left.
func (a *App) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	var cmd tea.Cmd
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		a.Model.SetSize(msg.Width, msg.Height)
	case leaveNowMsg:
		if !a.Model.leaving && !a.Model.left {
			a.Model.confirm = nil
			cmd = a.Model.leave()
		}
	default:
		_, cmd = a.Model.Update(msg)
	}
	if a.Model.Left() {
		a.Model.Stop()
		return a, tea.Quit
	}
	return a, cmd
}

// View draws the Model full screen.
func (a *App) View() tea.View {
	v := tea.NewView(a.Model.View())
	v.AltScreen = true
	v.WindowTitle = fmt.Sprintf("plwiz %s", a.Model.snap.role)
	return v
}

// Outcome is how a run ended, for the exit message.
type Outcome struct {
	// Finished is true when every step is done or skipped.
	Finished bool
	// Left is true when the user chose to leave (the session is saved).
	Left      bool
	SessionID string
	// ResumeCommand continues the session; empty when finished.
	ResumeCommand string
	// SaveError is the last failure to save the session, if any.
	SaveError string
	// Summary is what the flow's last step reported, once finished.
	Summary string
}

// IO is where a run reads keys and draws; nil means the terminal.
type IO struct {
	In  io.Reader
	Out io.Writer
}

// rendererFPS is how many frames a second the wizard may draw.
const rendererFPS = 15

// programOptions are the Bubble Tea options of every full-screen run: the
// context, a SIGINT without a terminal leaving at once, the IO, no colour.
func programOptions(ctx context.Context, rw IO, noColor bool) []tea.ProgramOption {
	popts := []tea.ProgramOption{
		// The renderer wakes fps times a second and parses the whole view
		// to see whether to draw: Bubble Tea's 60 cost an idle wizard on
		// 10,001 connections 1.8 % of a core, 20 about 1 %; 67 ms is still
		// quick enough for a form being typed in, and the first frame does
		// not wait for a tick (firstPaint).
		tea.WithFPS(rendererFPS),
		tea.WithContext(ctx),
		tea.WithFilter(func(_ tea.Model, msg tea.Msg) tea.Msg {
			if _, ok := msg.(tea.InterruptMsg); ok {
				return leaveNowMsg{}
			}
			return msg
		}),
	}
	if rw.In != nil {
		popts = append(popts, tea.WithInput(rw.In))
	}
	if rw.Out != nil {
		popts = append(popts, tea.WithOutput(rw.Out))
	}
	if noColor {
		popts = append(popts, tea.WithColorProfile(colorprofile.Ascii))
	}
	return popts
}

// Run shows flow in the terminal until the user finishes or leaves it and
// reports how it ended. With opts.Accessible it runs the line driver
// instead of the full-screen program.
func Run(ctx context.Context, flow *steps.Flow, s *steps.Session, env *steps.Env, opts Options, rw IO) (Outcome, error) {
	if opts.Accessible {
		return RunAccessible(ctx, flow, s, env, opts, rw)
	}
	m := New(flow, s, env, opts)
	painted := firstPaint(terminalOut(rw), m, opts.NoColor, os.Environ())
	_, err := tea.NewProgram(NewApp(m), programOptions(ctx, rw, opts.NoColor)...).Run()
	m.Stop()
	if err != nil && painted {
		// Bubble Tea may not have taken the screen over: give it back.
		_, _ = io.WriteString(terminalOut(rw), firstPaintLeave)
	}
	out := m.outcome()
	if out.Finished && out.Summary != "" {
		// The alternate screen is gone: keep what to use on the terminal.
		w := rw.Out
		if w == nil {
			w = os.Stdout
		}
		fmt.Fprintf(w, "plwiz %s: every step is done. %s\n", flow.Role, out.Summary)
	}
	if err != nil && !errors.Is(err, tea.ErrProgramKilled) {
		return out, fmt.Errorf("run %s flow: %w", flow.Role, err)
	}
	return out, nil
}

func (m *Model) outcome() Outcome {
	return Outcome{Finished: m.finished, Left: m.left, SessionID: m.snap.id, ResumeCommand: m.ResumeCommand(), SaveError: m.saveErr, Summary: m.Summary()}
}

// NoColorFromEnv reports whether the environment asks for no colour
// (NO_COLOR set to anything but empty, https://no-color.org).
func NoColorFromEnv(getenv func(string) string) bool {
	return getenv("NO_COLOR") != ""
}
