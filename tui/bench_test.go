package tui

import (
	"fmt"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/plwiz/plwiz/steps"
)

// tableModel is a Model on the connections table with n rows loaded.
func tableModel(b *testing.B, n int) *Model {
	world := newWorld()
	world.extraRows = n - len(world.conns)
	flow := fakeFlow(world)
	s := newSession(b, flow, steps.StepConnections)
	expectEndpoint(s)
	m := New(flow, s, &steps.Env{Now: (&clock{t: t0}).Now}, goldenOpts())
	h := newHarness(b, m, 120, 40)
	h.until("the rows", func(m *Model) bool {
		return m.cur != nil && m.cur.table != nil && len(m.cur.table.rows) == n && !m.busy
	})
	return m
}

var benchSizes = []int{100, 1000, 10000}

// BenchmarkTableView is one frame of the connections table.
func BenchmarkTableView(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("rows=%d", n), func(b *testing.B) {
			m := tableModel(b, n)
			m.View()
			for b.Loop() {
				_ = m.View()
			}
		})
	}
}

// BenchmarkTableKeystroke is one key's Update on the table: moving the
// cursor, and typing into the filter (a character, then backspace, which
// filters all rows again).
func BenchmarkTableKeystroke(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("move/rows=%d", n), func(b *testing.B) {
			m := tableModel(b, n)
			keys := []tea.KeyPressMsg{keyMsg("down"), keyMsg("up")}
			i := 0
			for b.Loop() {
				m.Update(keys[i%2])
				i++
			}
		})
		b.Run(fmt.Sprintf("filter/rows=%d", n), func(b *testing.B) {
			m := tableModel(b, n)
			m.Update(keyMsg("/"))
			keys := []tea.KeyPressMsg{keyMsg("7"), keyMsg("backspace")}
			i := 0
			for b.Loop() {
				m.Update(keys[i%2])
				i++
			}
		})
	}
}

// BenchmarkFirstFrame is from New to the first step's screen drawn.
func BenchmarkFirstFrame(b *testing.B) {
	flow := fakeFlow(newWorld())
	s, err := steps.NewSession(b.TempDir(), flow.Role, t0)
	if err != nil {
		b.Fatal(err)
	}
	env := &steps.Env{Now: (&clock{t: t0}).Now}
	for b.Loop() {
		m := New(flow, s, env, goldenOpts())
		m.SetSize(120, 40)
		runSync(m, m.Init())
		if m.cur == nil {
			b.Fatal("no step on screen")
		}
		_ = m.View()
		m.Stop()
	}
}

// runSync runs a command and what it leads to on this goroutine (no
// timers: the Model is static).
func runSync(m *Model, cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	msg := cmd()
	if cmds, ok := sliceOfCmds(msg); ok {
		for _, c := range cmds {
			runSync(m, c)
		}
		return
	}
	if msg == nil {
		return
	}
	_, next := m.Update(msg)
	runSync(m, next)
}
