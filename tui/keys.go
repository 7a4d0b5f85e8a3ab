package tui

import "charm.land/bubbles/v2/key"

// KeyMap is every key the TUI answers to, in one place. Screens pick the
// bindings that apply to them for the footer's help.
type KeyMap struct {
	Quit     key.Binding
	Help     key.Binding
	Continue key.Binding
	Yes      key.Binding
	No       key.Binding
	Retry    key.Binding
	Copy     key.Binding
	Fix      key.Binding
	Up       key.Binding
	Down     key.Binding
	PageUp   key.Binding
	PageDown key.Binding
	Home     key.Binding
	End      key.Binding
	Select   key.Binding
	Filter   key.Binding
	Sort     key.Binding
	Reverse  key.Binding
	Clear    key.Binding
	// Refresh reloads a table's rows now.
	Refresh key.Binding
	// Back goes from a form to the one before it in the same step (the
	// VPC after the subnets were loaded for it).
	Back key.Binding
	// TokenAlone shows an export's token alone, for a mouse selection.
	TokenAlone key.Binding
}

// DefaultKeyMap is the keys plwiz uses.
func DefaultKeyMap() *KeyMap {
	return &KeyMap{
		Quit:       key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "leave")),
		Help:       key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "more keys")),
		Continue:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "continue")),
		Yes:        key.NewBinding(key.WithKeys("y", "Y"), key.WithHelp("y", "yes")),
		No:         key.NewBinding(key.WithKeys("n", "N", "esc"), key.WithHelp("n/esc", "no")),
		Retry:      key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "retry")),
		Copy:       key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "copy")),
		Fix:        key.NewBinding(key.WithKeys("f"), key.WithHelp("f", "fix")),
		Up:         key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:       key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		PageUp:     key.NewBinding(key.WithKeys("pgup", "ctrl+u"), key.WithHelp("pgup", "page up")),
		PageDown:   key.NewBinding(key.WithKeys("pgdown", "ctrl+d"), key.WithHelp("pgdn", "page down")),
		Home:       key.NewBinding(key.WithKeys("home", "g"), key.WithHelp("g/home", "first")),
		End:        key.NewBinding(key.WithKeys("end", "G"), key.WithHelp("G/end", "last")),
		Select:     key.NewBinding(key.WithKeys("space"), key.WithHelp("space", "select")),
		Filter:     key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
		Sort:       key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "sort column")),
		Reverse:    key.NewBinding(key.WithKeys("o"), key.WithHelp("o", "sort order")),
		Clear:      key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear filter")),
		Refresh:    key.NewBinding(key.WithKeys("ctrl+r"), key.WithHelp("ctrl+r", "refresh")),
		Back:       key.NewBinding(key.WithKeys("shift+tab"), key.WithHelp("shift+tab", "back")),
		TokenAlone: key.NewBinding(key.WithKeys("t"), key.WithHelp("t", "token alone")),
	}
}

// keyList is a help.KeyMap made of a screen's bindings of the moment.
type keyList struct {
	short []key.Binding
	full  [][]key.Binding
}

func (k keyList) ShortHelp() []key.Binding  { return k.short }
func (k keyList) FullHelp() [][]key.Binding { return k.full }
