package tui

import (
	"context"
	"slices"
	"strings"
	"testing"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/plwiz/plwiz/steps"
)

// networkForm is a form whose subnets depend on the VPC chosen in the same
// step, as the consumer's is.
func networkForm(loads *[]string) *steps.Flow {
	subnets := map[string][]steps.Option{
		"vpc-a": {{Value: "subnet-a1", Label: "subnet-a1 use1-az1"}},
		"vpc-b": {{Value: "subnet-b1", Label: "subnet-b1 use1-az1"}, {Value: "subnet-b2", Label: "subnet-b2 use1-az2"}},
	}
	return &steps.Flow{Role: steps.RoleConsumer, Steps: []*steps.Step{{
		ID: steps.StepChooseNetwork, Title: "Choose VPC and subnets", Kind: steps.KindForm,
		Inputs: []steps.Input{
			{Key: "vpc", Label: "VPC", Type: steps.InputSelect, Required: true,
				Options: func(context.Context, *steps.Env, *steps.Session) ([]steps.Option, error) {
					*loads = append(*loads, "vpcs")
					return []steps.Option{{Value: "vpc-a", Label: "vpc-a main"}, {Value: "vpc-b", Label: "vpc-b apps"}}, nil
				}},
			{Key: "subnets", Label: "Subnets", Type: steps.InputMultiSelect, Required: true,
				Options: func(_ context.Context, _ *steps.Env, s *steps.Session) ([]steps.Option, error) {
					*loads = append(*loads, "subnets of "+s.Input("vpc"))
					return subnets[s.Input("vpc")], nil
				}},
			{Key: "note", Label: "Note", Type: steps.InputText},
		},
		Do: func(_ context.Context, _ *steps.Env, s *steps.Session) (steps.Result, error) {
			return steps.Result{Detail: s.Input("vpc") + " " + s.Input("subnets")}, nil
		},
	}, {ID: steps.StepSummary, Title: "Summary", Kind: steps.KindAction}}}
}

// TestFormChoicesLoadAfterTheAnswersTheyDependOn: the subnets offered are
// those of the VPC just chosen (loaded once it is in the session), the
// answer so far shows above, and shift+tab goes back to change it.
func TestFormChoicesLoadAfterTheAnswersTheyDependOn(t *testing.T) {
	var loads []string
	m, h, s := harnessFor(t, networkForm(&loads), &steps.Env{}, 80, 24)
	h.until("the VPC choice", inPhase(steps.StepChooseNetwork, phaseInput))
	if v := plain(m.View()); !strings.Contains(v, "vpc-b apps") || strings.Contains(v, "Subnets") {
		t.Fatalf("the VPC form:\n%s", v)
	}
	h.key("down", "enter")
	h.untilScreen("subnet-b2 use1-az2")
	v := plain(m.View())
	for _, want := range []string{"✓ VPC: vpc-b apps", "subnet-b1 use1-az1"} {
		if !strings.Contains(v, want) {
			t.Errorf("the subnets form lacks %q:\n%s", want, v)
		}
	}
	if !slices.ContainsFunc(m.ShortHelp(), func(b key.Binding) bool { return b.Help() == key.Help{Key: "shift+tab", Desc: "back to VPC"} }) {
		t.Errorf("the keys do not say shift+tab goes back: %v", m.ShortHelp())
	}
	if strings.Contains(v, "subnet-a1") {
		t.Errorf("subnets of the other VPC offered:\n%s", v)
	}

	// Back to the VPC, now vpc-a: its own subnets are loaded.
	h.send(tea.KeyPressMsg{Code: tea.KeyTab, Mod: tea.ModShift})
	h.until("the VPC choice again", func(m *Model) bool { return m.cur.stage == 0 && m.cur.phase == phaseInput })
	h.key("up", "enter")
	h.untilScreen("subnet-a1 use1-az1")
	if v := plain(m.View()); strings.Contains(v, "vpc-b apps") || !strings.Contains(v, "✓ VPC: vpc-a main") {
		t.Errorf("after going back:\n%s", v)
	}
	h.key("space", "enter")
	// The text input after the multi-select needs no choices: same stage.
	h.until("the note", func(m *Model) bool { return m.cur.form != nil && m.cur.form.focusedLabel() == "Note" })
	h.key("enter")
	h.until("the step done", func(m *Model) bool { return m.snap.recs[steps.StepChooseNetwork].State == steps.StateDone })
	if s.Input("vpc") != "vpc-a" || s.Input("subnets") != "subnet-a1" {
		t.Errorf("inputs %v", s.Inputs)
	}
	if got := strings.Join(loads, "; "); got != "vpcs; subnets of vpc-b; vpcs; subnets of vpc-a" {
		t.Errorf("choices loaded: %s", got)
	}
}

func TestFormStages(t *testing.T) {
	opt := func(context.Context, *steps.Env, *steps.Session) ([]steps.Option, error) { return nil, nil }
	in := []steps.Input{{Key: "a"}, {Key: "b", Options: opt}, {Key: "c"}, {Key: "d", Options: opt}, {Key: "e", Options: opt}}
	var got []string
	for _, st := range steps.FormStages(in) {
		var keys []string
		for _, i := range st {
			keys = append(keys, i.Key)
		}
		got = append(got, strings.Join(keys, ""))
	}
	if strings.Join(got, "|") != "a|bc|d|e" {
		t.Errorf("stages %v", got)
	}
	if steps.FormStages(nil) != nil {
		t.Error("stages of no inputs")
	}
}
