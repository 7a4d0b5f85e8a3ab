package tui

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// The demo shows two Models in one program: the provider on the left (or
// on top) and the consumer on the right (or below), with a banner that
// says which party to play next and what to press. Tab gives the keyboard
// to the other party; ctrl+c asks whether to leave.

// DemoSideBySideWidth is the narrowest terminal that shows the two parties
// side by side; narrower ones stack them, the party with the keyboard
// taking the larger share.
const DemoSideBySideWidth = 160

// demoBannerMaxHeight is the most lines the banner takes: what the demo
// is and its keys, then what to do next, in one line or, on a narrow
// terminal, two.
const demoBannerMaxHeight = 3

// demoMinPaneHeight is the least a stacked party gets: its header, the
// step's title and a few lines, its key help.
const demoMinPaneHeight = 8

// DemoOptions change how the demo looks.
type DemoOptions struct {
	// NoColor drops every colour (--no-color, NO_COLOR).
	NoColor bool
	// Light starts with the light-background theme.
	Light bool
}

// Demo is the two-party program of plwiz demo.
type Demo struct {
	parties [2]*Model // provider, consumer
	focus   int
	width   int
	height  int
	theme   *Theme
	opts    DemoOptions
	keys    demoKeys

	askLeave bool
	leaving  bool
	quitting bool
	// banner is the banner's lines as of the last Update, drawn by
	// Render; the panes were laid out for bannerH of them.
	banner  []string
	bannerH int
}

type demoKeys struct {
	Switch, Quit, Yes, No key.Binding
}

// NewDemo shows provider and consumer side by side; the provider has the
// keyboard first, since the consumer's first real step needs the
// provider's offer.
func NewDemo(provider, consumer *Model, o DemoOptions) *Demo {
	d := &Demo{
		parties: [2]*Model{provider, consumer},
		width:   80, height: 24,
		theme: NewTheme(!o.Light, o.NoColor),
		opts:  o,
		keys: demoKeys{
			Switch: key.NewBinding(key.WithKeys("tab", "shift+tab")),
			Quit:   key.NewBinding(key.WithKeys("ctrl+c")),
			Yes:    key.NewBinding(key.WithKeys("y", "Y")),
			No:     key.NewBinding(key.WithKeys("n", "N", "esc")),
		},
	}
	provider.inDemo, consumer.inDemo = true, true
	provider.Focus()
	consumer.Blur()
	d.layout()
	return d
}

// Focused is the party that has the keyboard.
func (d *Demo) Focused() *Model { return d.parties[d.focus] }

// Provider is the left (or top) party.
func (d *Demo) Provider() *Model { return d.parties[0] }

// Consumer is the right (or bottom) party.
func (d *Demo) Consumer() *Model { return d.parties[1] }

// SideBySide reports whether the parties sit side by side at this size.
func (d *Demo) SideBySide() bool { return d.width >= DemoSideBySideWidth }

// Init starts both flows and asks for the terminal's background colour.
func (d *Demo) Init() tea.Cmd {
	return tea.Batch(d.parties[0].Init(), d.parties[1].Init(), tea.RequestBackgroundColor)
}

// Update routes keys to the party with the keyboard and every other
// message to both (each Model takes only its own results). The banner's
// advice changes with what happened, and with it its height: the panes
// are laid out again when it does.
func (d *Demo) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	m, cmd := d.update(msg)
	if b := d.bannerLines(); len(b) != d.bannerH {
		d.layoutWith(b)
	} else {
		d.banner = b
	}
	return m, cmd
}

func (d *Demo) update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		d.width, d.height = msg.Width, msg.Height
		d.layout()
		return d, nil
	case leaveNowMsg:
		return d, d.leave()
	case tea.BackgroundColorMsg:
		d.theme = NewTheme(msg.IsDark(), d.opts.NoColor)
	case tea.KeyPressMsg:
		return d, d.onKey(msg)
	case tea.PasteMsg:
		if d.leaving || d.askLeave {
			return d, nil
		}
		_, cmd := d.Focused().Update(msg)
		return d, cmd
	}
	cmds := make([]tea.Cmd, 0, 3)
	for _, m := range d.parties {
		_, cmd := m.Update(msg)
		cmds = append(cmds, cmd)
	}
	cmds = append(cmds, d.quitWhenLeft())
	return d, tea.Batch(cmds...)
}

func (d *Demo) onKey(msg tea.KeyPressMsg) tea.Cmd {
	switch {
	case d.leaving:
		return nil
	case key.Matches(msg, d.keys.Quit):
		if d.askLeave {
			return d.leave()
		}
		d.askLeave = true
		return nil
	case d.askLeave:
		switch {
		case key.Matches(msg, d.keys.Yes):
			return d.leave()
		case key.Matches(msg, d.keys.No):
			d.askLeave = false
		}
		return nil
	case key.Matches(msg, d.keys.Switch):
		d.parties[d.focus].Blur()
		d.focus = 1 - d.focus
		d.parties[d.focus].Focus()
		d.layout()
		return nil
	}
	_, cmd := d.Focused().Update(msg)
	return cmd
}

// leave stops both parties; the program quits once neither has work in
// flight, so nothing writes to the demo's folder after it is removed.
func (d *Demo) leave() tea.Cmd {
	d.askLeave = false
	if d.leaving {
		return nil
	}
	d.leaving = true
	var cmds []tea.Cmd
	for _, m := range d.parties {
		if m.left || m.leaving {
			continue
		}
		m.confirm, m.confirmLeave = nil, false
		cmds = append(cmds, m.leave())
	}
	return tea.Batch(append(cmds, d.quitWhenLeft())...)
}

func (d *Demo) quitWhenLeft() tea.Cmd {
	if !d.leaving || d.quitting || !d.parties[0].Left() || !d.parties[1].Left() {
		return nil
	}
	d.quitting = true
	d.parties[0].Stop()
	d.parties[1].Stop()
	return tea.Quit
}

// layout gives each party its cells: halves side by side, or stacked with
// the focused party taller.
func (d *Demo) layout() { d.layoutWith(d.bannerLines()) }

// layoutWith lays the panes out below banner.
func (d *Demo) layoutWith(banner []string) {
	p, c := d.parties[0], d.parties[1]
	d.banner, d.bannerH = banner, len(banner)
	h := max(d.height-d.bannerH, 2*demoMinPaneHeight)
	if d.SideBySide() {
		// Equal halves, so both show a sidebar or neither does.
		half := (d.width - 1) / 2
		p.SetSize(half, h)
		c.SetSize(half, h)
		return
	}
	small := max(h/3, demoMinPaneHeight)
	big := h - small
	if d.focus == 0 {
		p.SetSize(d.width, big)
		c.SetSize(d.width, small)
	} else {
		p.SetSize(d.width, small)
		c.SetSize(d.width, big)
	}
}

// View draws the banner and both parties in exactly the window's size.
func (d *Demo) View() tea.View {
	v := tea.NewView(d.Render())
	v.AltScreen = true
	v.WindowTitle = "plwiz demo"
	return v
}

// Render is the demo's frame as text: Height lines, none wider than Width.
func (d *Demo) Render() string {
	W, H := d.width, d.height
	lines := make([]string, 0, H)
	// The banner is Update's: it changes only with what Update saw.
	lines = append(lines, d.banner...)
	p := strings.Split(d.parties[0].View(), "\n")
	c := strings.Split(d.parties[1].View(), "\n")
	if d.SideBySide() {
		lw, rw := d.parties[0].com.Width, d.parties[1].com.Width
		sep := d.theme.Rule.Render("│")
		for i := range max(len(p), len(c)) {
			var l, r string
			if i < len(p) {
				l = p[i]
			}
			if i < len(c) {
				r = c[i]
			}
			lines = append(lines, strings.TrimRight(padRight(fit(l, lw), lw)+sep+fit(r, rw), " "))
		}
	} else {
		for _, l := range append(p, c...) {
			lines = append(lines, fit(l, W))
		}
	}
	if len(lines) > H {
		lines = lines[:H]
	}
	for len(lines) < H {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}

// titleLine says what the demo is and its two keys; the explanation goes
// first when the line is short of room.
func (d *Demo) titleLine() string {
	t := d.theme
	dot := t.HeaderDim.Render(" · ")
	keys := t.Bold.Render("tab") + t.HeaderDim.Render(" switch party") + dot + t.Bold.Render("ctrl+c") + t.HeaderDim.Render(" leave")
	full := t.App.Render("plwiz demo") + dot + t.HeaderInfo.Render("you play both parties; a local sandbox plays AWS") + dot + keys
	if ansi.StringWidth(full) <= d.width {
		return full
	}
	return t.App.Render("plwiz demo") + dot + keys
}

// bannerLines are the banner's lines at the window's width: the title
// line, then the advice in one line or, when it does not fit, two, so
// what to press is never cut off.
func (d *Demo) bannerLines() []string {
	t := d.theme
	W := d.width
	out := []string{fit(d.titleLine(), W)}
	var first, text string
	var st func(...string) string
	switch {
	case d.leaving:
		return append(out, fit(t.Dim.Render("Leaving: stopping both parties and the sandbox…"), W))
	case d.askLeave:
		first, text, st = "? ", "Leave the demo? The sandbox stops; its files are deleted.  y: yes  n: no", t.Dialog.Render
	default:
		first, text, st = t.Accent.Render("▶ "), d.nextText(), func(s ...string) string { return strings.Join(s, "") }
		if ansi.StringWidth(text)+2 > W {
			text = d.advice(true)
		}
	}
	wrapped := strings.Split(ansi.Wrap(text, max(W-2, 10), ""), "\n")
	for i, l := range wrapped[:min(len(wrapped), demoBannerMaxHeight-1)] {
		lead := "  "
		if i == 0 {
			lead = first
		}
		out = append(out, fit(lead+st(l), W))
	}
	return out
}

// nextText is the banner's advice as plain words (tests and the tape
// wait for it).
func (d *Demo) nextText() string { return d.advice(false) }

// advice is what to do next; short leaves out the step's title.
func (d *Demo) advice(short bool) string {
	f, o := d.parties[d.focus], d.parties[1-d.focus]
	fg, og := f.guide(), o.guide()
	fr, or := f.snap.role, o.snap.role
	switch {
	case fg.done && og.done:
		return "Both parties are done: the consumer reaches the provider's service through its endpoint. ctrl+c leaves."
	case fg.done:
		return fmt.Sprintf("The %s is done: press tab to play the %s.", fr, or)
	case fg.waitsOnOther && !og.done:
		return fmt.Sprintf("The %s waits for the %s: press tab to play the %s.", fr, or, or)
	case fg.step == "":
		return fmt.Sprintf("%s: %s", fr, fg.todo)
	case short:
		// The step's title is in its pane; what to press matters more.
		return fmt.Sprintf("%s — %s", fr, fg.todo)
	}
	return fmt.Sprintf("%s · %s — %s", fr, fg.step, fg.todo)
}

// DemoOutcome is how the demo ended.
type DemoOutcome struct {
	ProviderFinished bool
	ConsumerFinished bool
}

// RunDemo shows both parties in the terminal until the user leaves.
func RunDemo(ctx context.Context, provider, consumer *Model, o DemoOptions, rw IO) (DemoOutcome, error) {
	d := NewDemo(provider, consumer, o)
	_, err := tea.NewProgram(d, programOptions(ctx, rw, o.NoColor)...).Run()
	provider.Stop()
	consumer.Stop()
	out := DemoOutcome{ProviderFinished: provider.Finished(), ConsumerFinished: consumer.Finished()}
	if err != nil && !errors.Is(err, tea.ErrProgramKilled) {
		return out, fmt.Errorf("run the demo: %w", err)
	}
	return out, nil
}
