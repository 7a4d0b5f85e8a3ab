package tui

import (
	"image/color"

	"charm.land/bubbles/v2/help"
	"charm.land/huh/v2"
	"charm.land/lipgloss/v2"
)

// Theme is every style the TUI uses, made for one background (light or
// dark) or with no colour at all.
type Theme struct {
	Dark    bool
	NoColor bool

	App        lipgloss.Style // the brand in the header
	HeaderInfo lipgloss.Style
	HeaderDim  lipgloss.Style
	Rule       lipgloss.Style

	Title   lipgloss.Style // a screen's title
	Label   lipgloss.Style // field labels
	Value   lipgloss.Style
	Dim     lipgloss.Style
	Bold    lipgloss.Style
	Error   lipgloss.Style
	Hint    lipgloss.Style
	Success lipgloss.Style
	Warn    lipgloss.Style
	Accent  lipgloss.Style

	// Step marks in the sidebar.
	MarkDone    lipgloss.Style
	MarkCurrent lipgloss.Style
	MarkWaiting lipgloss.Style
	MarkFailed  lipgloss.Style
	MarkSkipped lipgloss.Style
	MarkPending lipgloss.Style
	Current     lipgloss.Style // the current step's title

	Cursor    lipgloss.Style // the row or field under the cursor
	Expected  lipgloss.Style
	TableHead lipgloss.Style
	Dialog    lipgloss.Style // confirmation questions

	Help help.Styles
	Huh  huh.Theme
}

// NewTheme builds the theme for a dark or light background; noColor gives
// one with text attributes only (NO_COLOR, --no-color).
func NewTheme(dark, noColor bool) *Theme {
	ld := lipgloss.LightDark(dark)
	fg := func(st lipgloss.Style, light, darkHex string) lipgloss.Style {
		if noColor {
			return st
		}
		return st.Foreground(ld(lipgloss.Color(light), lipgloss.Color(darkHex)))
	}
	base := lipgloss.NewStyle()
	bold := base.Bold(true)

	t := &Theme{Dark: dark, NoColor: noColor}
	t.App = fg(bold, "#5A3FC0", "#B4A2FF")
	t.HeaderInfo = fg(base, "#1F1F1F", "#E6E6E6")
	t.HeaderDim = fg(base, "#6B6B6B", "#8C8C8C")
	t.Rule = fg(base, "#C8C8C8", "#3C3C3C")
	t.Title = fg(bold, "#1F1F1F", "#FFFFFF")
	t.Label = fg(base, "#6B6B6B", "#9A9A9A")
	t.Value = fg(base, "#1F1F1F", "#E6E6E6")
	t.Dim = fg(base, "#8A8A8A", "#7A7A7A")
	t.Bold = bold
	t.Error = fg(bold, "#B3261E", "#FF6B6B")
	t.Hint = fg(base, "#8A5A00", "#F2C14E")
	t.Success = fg(base, "#1E7B34", "#5FD47A")
	t.Warn = fg(base, "#8A5A00", "#F2C14E")
	t.Accent = fg(base, "#5A3FC0", "#B4A2FF")

	t.MarkDone = t.Success
	t.MarkCurrent = fg(bold, "#5A3FC0", "#B4A2FF")
	t.MarkWaiting = t.Warn
	t.MarkFailed = t.Error
	t.MarkSkipped = t.Dim
	t.MarkPending = t.Dim
	t.Current = fg(bold, "#1F1F1F", "#FFFFFF")

	t.Cursor = base.Reverse(true)
	t.Expected = fg(bold, "#1E7B34", "#5FD47A")
	t.TableHead = fg(bold.Underline(true), "#1F1F1F", "#E6E6E6")
	t.Dialog = fg(bold, "#8A5A00", "#F2C14E")

	t.Help = help.DefaultStyles(dark)
	if noColor {
		t.Help = help.Styles{Ellipsis: base, ShortKey: bold, ShortDesc: base, ShortSeparator: base,
			FullKey: bold, FullDesc: base, FullSeparator: base}
	}
	t.Huh = huh.ThemeFunc(func(isDark bool) *huh.Styles {
		if noColor {
			return huhNoColor()
		}
		return huh.ThemeCharm(dark)
	})
	return t
}

// huhNoColor is huh's base theme with its few colours replaced by text
// attributes.
func huhNoColor() *huh.Styles {
	s := huh.ThemeBase(false)
	none := color.Color(lipgloss.NoColor{})
	for _, fs := range []*huh.FieldStyles{&s.Focused, &s.Blurred} {
		fs.FocusedButton = fs.FocusedButton.Foreground(none).Background(none).Reverse(true)
		fs.BlurredButton = fs.BlurredButton.Foreground(none).Background(none)
		fs.TextInput.Placeholder = fs.TextInput.Placeholder.Foreground(none).Faint(true)
	}
	s.Help = help.Styles{Ellipsis: lipgloss.NewStyle(), ShortKey: lipgloss.NewStyle().Bold(true),
		ShortDesc: lipgloss.NewStyle(), ShortSeparator: lipgloss.NewStyle(),
		FullKey: lipgloss.NewStyle().Bold(true), FullDesc: lipgloss.NewStyle(), FullSeparator: lipgloss.NewStyle()}
	return s
}
