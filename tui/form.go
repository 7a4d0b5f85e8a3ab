package tui

import (
	"errors"
	"fmt"
	"reflect"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"

	"github.com/plwiz/plwiz/steps"
)

// formView is a huh form built from a step's inputs, with the validation
// of the field being typed in shown live under it.
type formView struct {
	com     *Common
	form    *huh.Form
	inputs  []steps.Input
	options map[string][]steps.Option
	strs    map[string]*string
	multi   map[string]*[]string
	bools   map[string]*bool
	liveErr string
	wrap    func(tea.Cmd) tea.Cmd
	width   int
	height  int
}

// newFormView builds the form. Values start from start: what the session
// already has, else the input's Default, as the engine proposed them. submit is the form's SubmitCmd; wrap
// routes the form's own commands back to it. width is the room the form
// will have: multi-select choices are cut to it, since huh sizes their
// list before it knows its width and a wrapped choice would hide the last
// ones.
func newFormView(com *Common, inputs []steps.Input, options map[string][]steps.Option, start map[string]string, accessible bool, width int, submit tea.Cmd, wrap func(tea.Cmd) tea.Cmd) *formView {
	f := &formView{com: com, inputs: inputs, options: options, wrap: wrap,
		strs: map[string]*string{}, multi: map[string]*[]string{}, bools: map[string]*bool{}}
	var fields []huh.Field
	for _, in := range inputs {
		start := steps.Sanitize(start[in.Key])
		label := steps.Sanitize(in.Label)
		desc := steps.Sanitize(in.Help)
		in := in
		switch in.Type {
		case steps.InputSelect:
			v := start
			f.strs[in.Key] = &v
			opts := options[in.Key]
			hopts := make([]huh.Option[string], 0, len(opts))
			for _, o := range opts {
				hopts = append(hopts, huh.NewOption(optionLabel(o), o.Value))
			}
			sel := huh.NewSelect[string]().Key(in.Key).Title(label).Description(desc).
				Options(hopts...).Value(&v).Validate(func(v string) error { return f.check(in, v) })
			if len(hopts) > maxShownOptions {
				sel = sel.Height(fieldHeight(label, desc, width, maxShownOptions))
			}
			fields = append(fields, sel)
		case steps.InputMultiSelect:
			var vs []string
			if start != "" {
				vs = strings.Split(start, ",")
			}
			f.multi[in.Key] = &vs
			opts := options[in.Key]
			hopts := make([]huh.Option[string], 0, len(opts))
			for _, o := range opts {
				hopts = append(hopts, huh.NewOption(ansi.Truncate(optionLabel(o), max(width-8, 20), "…"), o.Value))
			}
			ms := huh.NewMultiSelect[string]().Key(in.Key).Title(label).Description(desc).
				Options(hopts...).Value(&vs).Validate(func(v []string) error { return f.check(in, strings.Join(v, ",")) })
			// huh's multi-select, left to size itself, takes its title's
			// lines off its choices and would hide the last ones.
			ms = ms.Height(fieldHeight(label, desc, width, min(len(hopts), maxShownOptions)))
			fields = append(fields, ms)
		case steps.InputConfirm:
			b := start == "true"
			f.bools[in.Key] = &b
			fields = append(fields, huh.NewConfirm().Key(in.Key).Title(label).Description(desc).Value(&b).
				Validate(func(b bool) error { return f.check(in, fmt.Sprint(b)) }))
		default:
			v := start
			f.strs[in.Key] = &v
			fields = append(fields, huh.NewInput().Key(in.Key).Title(label).Description(desc).Value(&v).
				Validate(func(v string) error { return f.check(in, strings.TrimSpace(v)) }))
		}
	}
	f.form = huh.NewForm(huh.NewGroup(fields...)).
		WithTheme(com.Theme.Huh).
		WithShowHelp(false).
		WithAccessible(accessible)
	f.form.SubmitCmd = submit
	f.form.CancelCmd = nil
	// Leaving is ours to ask (ctrl+c reaches the Model first); the form
	// must not quit on its own.
	km := huh.NewDefaultKeyMap()
	km.Quit = key.NewBinding(key.WithDisabled())
	f.form.WithKeyMap(km)
	return f
}

// maxShownOptions is the most choices a select shows at once; more scroll.
const maxShownOptions = 6

// fieldHeight is the height of a choice field showing n choices: its
// title, its description wrapped at the field's width (inside huh's border
// and padding), and the choices.
func fieldHeight(title, desc string, width, n int) int {
	h := max(n, 1) + 1
	if title == "" {
		h--
	}
	if desc != "" {
		h += strings.Count(ansi.Wrap(desc, max(width-2, 10), ""), "\n") + 1
	}
	return h
}

// optionLabel shows why an option is a poor choice next to it.
func optionLabel(o steps.Option) string {
	l := o.Label
	if l == "" {
		l = steps.Sanitize(o.Value)
	}
	if o.Note != "" {
		l += " — " + o.Note
	}
	if o.Disabled {
		l += " (not available)"
	}
	return l
}

// check validates one input's value as the step would.
func (f *formView) check(in steps.Input, v string) error {
	if v == "" {
		if in.Required {
			return errors.New("required")
		}
		return nil
	}
	if in.Type == steps.InputSelect || in.Type == steps.InputMultiSelect {
		for _, part := range strings.Split(v, ",") {
			for _, o := range f.options[in.Key] {
				if o.Value == part && o.Disabled {
					msg := "not available"
					if o.Note != "" {
						msg = o.Note
					}
					return fmt.Errorf("%s: %s", optionLabel(steps.Option{Label: o.Label, Value: o.Value}), msg)
				}
			}
		}
	}
	if in.Validate != nil {
		if err := in.Validate(v); err != nil {
			return errors.New(steps.Sanitize(err.Error()))
		}
	}
	return nil
}

func (f *formView) init() tea.Cmd { return f.wrap(f.form.Init()) }

func (f *formView) setTheme(t *Theme) { f.form.WithTheme(t.Huh) }

// SetSize gives the form its room.
func (f *formView) SetSize(w, h int) {
	if f.width == w && f.height == h {
		return
	}
	f.width, f.height = w, h
	f.form.WithWidth(w)
	// huh sizes a group's viewport when it is built, before it knows its
	// width; a description that wraps at this width would push the field
	// itself out of view. A size message makes the form measure its
	// groups again at this width (its own command, a no-op, is dropped).
	_, _ = f.form.Update(tea.WindowSizeMsg{Width: w, Height: max(h, 1)})
}

// update passes a message to the form and revalidates the field in focus.
func (f *formView) update(msg tea.Msg) tea.Cmd {
	m, cmd := f.form.Update(msg)
	if hf, ok := m.(*huh.Form); ok {
		f.form = hf
	}
	f.revalidate()
	return f.wrap(cmd)
}

// revalidate checks the focused field's value as typed; an empty value is
// not an error until submitted.
func (f *formView) revalidate() {
	f.liveErr = ""
	field := f.form.GetFocusedField()
	if field == nil {
		return
	}
	for _, in := range f.inputs {
		if in.Key != field.GetKey() {
			continue
		}
		v := f.value(in)
		if v == "" {
			return
		}
		if err := f.check(in, v); err != nil {
			f.liveErr = steps.Sanitize(in.Label) + ": " + err.Error()
		}
		return
	}
}

// focusedLabel is the label of the field being answered ("" when none).
func (f *formView) focusedLabel() string {
	if f == nil {
		return ""
	}
	field := f.form.GetFocusedField()
	if field == nil {
		return ""
	}
	for _, in := range f.inputs {
		if in.Key == field.GetKey() {
			return steps.Sanitize(in.Label)
		}
	}
	return ""
}

func (f *formView) value(in steps.Input) string {
	switch {
	case f.multi[in.Key] != nil:
		return strings.Join(*f.multi[in.Key], ",")
	case f.bools[in.Key] != nil:
		return fmt.Sprint(*f.bools[in.Key])
	case f.strs[in.Key] != nil:
		return strings.TrimSpace(*f.strs[in.Key])
	}
	return ""
}

// values is every answer, checked once more as a whole.
func (f *formView) values() (map[string]string, error) {
	out := map[string]string{}
	var errs []error
	for _, in := range f.inputs {
		v := f.value(in)
		if err := f.check(in, v); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", steps.Sanitize(in.Label), err))
			continue
		}
		out[in.Key] = v
	}
	return out, errors.Join(errs...)
}

// ShortHelp is the focused field's keys.
func (f *formView) ShortHelp() []key.Binding { return f.form.KeyBinds() }

// FullHelp is the focused field's keys in one column.
func (f *formView) FullHelp() [][]key.Binding { return [][]key.Binding{f.form.KeyBinds()} }

func (f *formView) view() []string {
	v := f.form.View()
	if f.com.Theme.NoColor {
		// huh styles a blurred text input with a colour no theme reaches;
		// take every colour out here, keeping bold and the like.
		var b strings.Builder
		w := &colorprofile.Writer{Forward: &b, Profile: colorprofile.ASCII}
		_, _ = w.Write([]byte(v))
		v = b.String()
	}
	out := strings.Split(strings.TrimRight(v, "\n"), "\n")
	// huh shows a refused answer's error itself, until the next key.
	if field := f.form.GetFocusedField(); f.liveErr != "" && (field == nil || field.Error() == nil) {
		out = append(out, "")
		out = append(out, wrapIndent("✗ "+f.liveErr, f.width, "", f.com.Theme.Error)...)
	}
	return out
}

// atFirstField reports whether the first field has the focus (shift+tab
// there goes back to the form before).
func (f *formView) atFirstField() bool {
	field := f.form.GetFocusedField()
	return field != nil && len(f.inputs) > 0 && field.GetKey() == f.inputs[0].Key
}

// wrapFormCmd tags the messages of a form's command with the Model and the
// form's generation, so they reach that form and no other: huh's own
// messages (next field, next group) carry no ID, and the demo has two
// forms in one program. Batches and sequences are wrapped inside, keeping
// their type; messages of other packages (window size requests) pass.
func (m *Model) wrapFormCmd(gen int, cmd tea.Cmd) tea.Cmd {
	if cmd == nil {
		return nil
	}
	return func() tea.Msg { return m.wrapFormMsg(gen, cmd()) }
}

var cmdType = reflect.TypeFor[tea.Cmd]()

func (m *Model) wrapFormMsg(gen int, msg tea.Msg) tea.Msg {
	if msg == nil {
		return nil
	}
	rv := reflect.ValueOf(msg)
	if cmds, ok := sliceOfCmds(msg); ok {
		out := reflect.MakeSlice(rv.Type(), len(cmds), len(cmds))
		for i, c := range cmds {
			out.Index(i).Set(reflect.ValueOf(m.wrapFormCmd(gen, c)))
		}
		return out.Interface()
	}
	t := rv.Type()
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if p := t.PkgPath(); strings.HasPrefix(p, "charm.land/huh/") || strings.HasPrefix(p, "charm.land/bubbles/") {
		return formMsg{owner: m, gen: gen, msg: msg}
	}
	return msg
}

// sliceOfCmds unpacks a message that is a list of commands (tea's batch or
// sequence).
func sliceOfCmds(msg tea.Msg) ([]tea.Cmd, bool) {
	rv := reflect.ValueOf(msg)
	if !rv.IsValid() || rv.Kind() != reflect.Slice || rv.Type().Elem() != cmdType {
		return nil, false
	}
	out := make([]tea.Cmd, rv.Len())
	for i := range rv.Len() {
		out[i], _ = rv.Index(i).Interface().(tea.Cmd)
	}
	return out, true
}
