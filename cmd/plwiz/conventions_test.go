package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/plwiz/plwiz/steps"
)

// commandTree is the tree users get, cobra's own commands and flags included.
func commandTree() *cobra.Command {
	var out bytes.Buffer
	return newRootCmd(streams{in: strings.NewReader(""), out: &out, err: &out}, func(string) string { return "" })
}

// zeroDefault reports whether a flag's default is its type's zero value,
// which help need not show.
func zeroDefault(f *pflag.Flag) bool {
	switch f.DefValue {
	case "", "false", "0", "0s", "[]", "<nil>":
		return true
	}
	return false
}

// TestEveryFlagHelpIsASentenceNamingItsDefault walks every command, so a
// flag added later is held to the same rule: its help is a sentence
// (a capital letter first, a period last), a default other than the zero
// value is shown (pflag appends it), and a boolean on by default says how
// to turn it off.
func TestEveryFlagHelpIsASentenceNamingItsDefault(t *testing.T) {
	checked := 0
	walkCommands(commandTree(), func(c *cobra.Command) {
		c.LocalFlags().VisitAll(func(f *pflag.Flag) {
			checked++
			where := c.CommandPath() + " --" + f.Name
			first, _ := utf8.DecodeRuneInString(f.Usage)
			if !unicode.IsUpper(first) || !strings.HasSuffix(f.Usage, ".") {
				t.Errorf("%s: help %q is not a sentence (a capital letter first, a period last)", where, f.Usage)
			}
			one := pflag.NewFlagSet(c.Name(), pflag.ContinueOnError)
			one.AddFlag(f)
			shown := one.FlagUsages()
			// pflag leaves hidden and deprecated flags out of help.
			if !zeroDefault(f) && !f.Hidden && f.Deprecated == "" {
				if !strings.Contains(shown, f.DefValue) {
					t.Errorf("%s: help does not show the default %q:\n%s", where, f.DefValue, shown)
				}
				if strings.Contains(f.Usage, "(default "+f.DefValue) || strings.Contains(f.Usage, `(default "`+f.DefValue) {
					t.Errorf("%s: help names the default pflag appends anyway, so it shows twice:\n%s", where, shown)
				}
			}
			if f.Value.Type() == "bool" && f.DefValue == "true" && !strings.Contains(f.Usage, "--"+f.Name+"=false") {
				t.Errorf("%s: on by default, but help does not say to turn it off with --%s=false: %q", where, f.Name, f.Usage)
			}
		})
	})
	if checked < 40 {
		t.Fatalf("checked %d flags; the walk missed commands", checked)
	}
}

// TestStepInputFlagsNameTheirDefaults: a step input that proposes a value
// has to say what it is, or its flag's help would hide the default (as
// --acceptance-required once did, on unless turned off).
func TestStepInputFlagsNameTheirDefaults(t *testing.T) {
	for role, flow := range map[string]*steps.Flow{"provider": steps.ProviderFlow(), "consumer": steps.ConsumerFlow()} {
		cmd, _, err := commandTree().Find([]string{role})
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range flow.Steps {
			for _, in := range st.Inputs {
				if in.Flag == "" {
					continue
				}
				f := cmd.Flags().Lookup(in.Flag)
				if f == nil {
					t.Errorf("plwiz %s has no --%s", role, in.Flag)
					continue
				}
				if in.Help == "" {
					t.Errorf("plwiz %s --%s: input %s has no Help to make the flag's help from", role, in.Flag, in.Key)
				}
				if in.Default == nil {
					continue
				}
				if in.DefaultText == "" {
					t.Errorf("plwiz %s --%s: input %s has a Default but no DefaultText, so the help cannot name it", role, in.Flag, in.Key)
				}
				if f.DefValue != "true" && !strings.Contains(f.Usage, "Default: "+in.DefaultText+".") && !strings.Contains(f.Usage, "Default: "+in.DefaultText+";") {
					t.Errorf("plwiz %s --%s: help %q does not name the default %q", role, in.Flag, f.Usage, in.DefaultText)
				}
			}
		}
	}
	code, out, _ := runCLI(t, nil, "provider", "--help")
	if code != 0 || !strings.Contains(out, "Turn it off with --acceptance-required=false. (default true)") {
		t.Errorf("plwiz provider --help does not say --acceptance-required is on unless turned off:\n%s", out)
	}
	if !strings.Contains(out, "--add-nlb string") || !strings.Contains(out, "to add to the existing service given with --service-id;") ||
		!strings.Contains(out, "Default: none (the service keeps the load balancers it has).") {
		t.Errorf("plwiz provider --help does not explain --add-nlb and its default:\n%s", out)
	}
}

func TestVersionFlagPrintsWhatVersionPrints(t *testing.T) {
	old := commit
	commit = "abc123def456"
	t.Cleanup(func() { commit = old })
	code, flag, _ := runCLI(t, nil, "--version")
	if code != 0 {
		t.Fatalf("--version exit %d", code)
	}
	_, cmd, _ := runCLI(t, nil, "version")
	if flag != cmd || !strings.Contains(flag, "commit abc123def456") {
		t.Errorf("--version printed %q, version printed %q", flag, cmd)
	}
}

func TestHelpListsExitCodes(t *testing.T) {
	_, out, _ := runCLI(t, nil, "--help")
	for _, want := range []string{"Exit codes:", "0  done", "1  failed", "2  bad input", "3  timed out waiting on the other party"} {
		if !strings.Contains(out, want) {
			t.Errorf("plwiz --help lacks %q:\n%s", want, out)
		}
	}
}

// TestManPagesOnePerCommand: plwiz man writes a page for every command a
// user can run, each naming the command and its flags.
func TestManPagesOnePerCommand(t *testing.T) {
	dir := t.TempDir()
	code, _, stderr := runCLI(t, nil, "man", dir)
	if code != 0 {
		t.Fatalf("plwiz man: exit %d: %s", code, stderr)
	}
	want := map[string]*cobra.Command{}
	walkCommands(commandTree(), func(c *cobra.Command) {
		if c.IsAvailableCommand() || !c.HasParent() {
			want[strings.ReplaceAll(c.CommandPath(), " ", "-")+".1"] = c
		}
	})
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(want) {
		var got []string
		for _, e := range entries {
			got = append(got, e.Name())
		}
		t.Errorf("plwiz man wrote %d pages %v; want one per command, %d", len(entries), got, len(want))
	}
	for name, c := range want {
		page, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Errorf("no man page for %s: %v", c.CommandPath(), err)
			continue
		}
		text := string(page)
		if !strings.Contains(text, "\n.TH \"PLWIZ\" \"1\"") || !strings.Contains(text, "\n.SH SYNOPSIS\n\\fB"+c.CommandPath()) {
			t.Errorf("%s does not look like the page of %s:\n%.300s", name, c.CommandPath(), text)
		}
		c.LocalFlags().VisitAll(func(f *pflag.Flag) {
			if !f.Hidden && !strings.Contains(text, `\fB--`+f.Name+`\fP`) {
				t.Errorf("%s does not document --%s", name, f.Name)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "plwiz-man.1")); err == nil {
		t.Error("the hidden man command got a page of its own")
	}
}

// TestBinaryKeepsDeadCodeElimination: nothing reachable calls a method by
// reflection (a text/template run, as cobra's version template did), which
// makes the linker keep every method of every type: the binary went from
// 26 MB to 77 MB and the wizard's resident memory with it.
func TestBinaryKeepsDeadCodeElimination(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary; not in -short")
	}
	bin := buildPlwiz(t)
	out, err := exec.Command("go", "tool", "nm", bin).Output()
	if err != nil {
		t.Fatalf("go tool nm: %v", err)
	}
	for _, sym := range []string{" reflect.Value.MethodByName", " reflect.Value.Method\n"} {
		if strings.Contains(string(out), sym) {
			t.Errorf("the binary links%s: some code calls methods by reflection, and the linker keeps every method", strings.TrimSpace(sym))
		}
	}
}
