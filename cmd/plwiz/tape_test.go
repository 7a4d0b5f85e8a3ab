package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A reader of VHS tapes (https://github.com/charmbracelet/vhs), enough of
// the format to replay demo.tape's keystrokes in tmux: the settings and
// outputs are read and ignored, keys and text are sent, Sleep pauses and
// Wait waits for the screen to match.

// tapeCmd is one command of a tape.
type tapeCmd struct {
	line int
	name string // Type, Key, Ctrl, Sleep, Wait; settings are dropped
	text string // Type: the text; Key: tmux's key name; Ctrl: the letter
	n    int    // Key: how many times
	dur  time.Duration
	// Wait: what to match, where (the whole screen or the last line) and
	// for how long.
	re     *regexp.Regexp
	screen bool
}

func (c tapeCmd) String() string {
	switch c.name {
	case "Type":
		return fmt.Sprintf("line %d: Type %q", c.line, c.text)
	case "Wait":
		return fmt.Sprintf("line %d: Wait /%s/", c.line, c.re)
	}
	return fmt.Sprintf("line %d: %s %s", c.line, c.name, c.text)
}

// tape is a parsed tape: its commands and the terminal size to replay it
// at (from a "# replay-size: WxH" comment, since VHS sizes in pixels).
type tape struct {
	cmds          []tapeCmd
	width, height int
}

// tmuxKeys maps VHS's key commands to tmux's key names.
var tmuxKeys = map[string]string{
	"Enter": "Enter", "Tab": "Tab", "Space": "Space", "Backspace": "BSpace", "Delete": "DC",
	"Escape": "Escape", "Up": "Up", "Down": "Down", "Left": "Left", "Right": "Right",
	"PageUp": "PPage", "PageDown": "NPage",
}

var (
	replaySizeRE = regexp.MustCompile(`^#\s*replay-size:\s*(\d+)x(\d+)`)
	// ignored commands: they shape the recording, not what is typed.
	tapeIgnored = map[string]bool{"Output": true, "Set": true, "Require": true, "Hide": true, "Show": true, "Screenshot": true, "Env": true}
)

// defaultWait is VHS's timeout of a Wait without @.
const defaultWait = 15 * time.Second

// parseTape reads a tape; any command it does not know is an error, so a
// tape that grows a command the replayer cannot honour fails the test
// instead of being replayed wrong.
func parseTape(r io.Reader) (*tape, error) {
	t := &tape{}
	sc := bufio.NewScanner(r)
	var errs []error
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if m := replaySizeRE.FindStringSubmatch(line); m != nil {
			t.width, _ = strconv.Atoi(m[1])
			t.height, _ = strconv.Atoi(m[2])
			continue
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		c, err := parseTapeLine(n, line)
		if err != nil {
			errs = append(errs, fmt.Errorf("line %d: %w", n, err))
			continue
		}
		if c != nil {
			t.cmds = append(t.cmds, *c)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read tape: %w", err)
	}
	if t.width < 20 || t.height < 8 {
		errs = append(errs, errors.New(`no "# replay-size: WxH" comment with a usable size`))
	}
	return t, errors.Join(errs...)
}

func parseTapeLine(n int, line string) (*tapeCmd, error) {
	word, rest, _ := strings.Cut(line, " ")
	rest = strings.TrimSpace(rest)
	name, speed, _ := strings.Cut(word, "@")
	switch {
	case tapeIgnored[name]:
		return nil, nil
	case name == "Type":
		text, err := unquoteTape(rest)
		if err != nil {
			return nil, err
		}
		return &tapeCmd{line: n, name: "Type", text: text}, nil
	case name == "Sleep":
		d, err := tapeDuration(rest)
		if err != nil {
			return nil, err
		}
		return &tapeCmd{line: n, name: "Sleep", dur: d}, nil
	case strings.HasPrefix(name, "Ctrl+"):
		k := strings.TrimPrefix(name, "Ctrl+")
		if len(k) != 1 || rest != "" {
			return nil, fmt.Errorf("%s: only Ctrl+<one letter> is replayed", line)
		}
		return &tapeCmd{line: n, name: "Ctrl", text: strings.ToLower(k)}, nil
	case name == "Wait" || strings.HasPrefix(name, "Wait+"):
		c := &tapeCmd{line: n, name: "Wait", dur: defaultWait}
		switch name {
		case "Wait", "Wait+Line":
		case "Wait+Screen":
			c.screen = true
		default:
			return nil, fmt.Errorf("unknown wait %q", name)
		}
		if speed != "" {
			d, err := tapeDuration(speed)
			if err != nil {
				return nil, err
			}
			c.dur = d
		}
		if len(rest) < 2 || rest[0] != '/' || rest[len(rest)-1] != '/' {
			return nil, fmt.Errorf("%s: the replayer needs a /regexp/", line)
		}
		re, err := regexp.Compile(rest[1 : len(rest)-1])
		if err != nil {
			return nil, fmt.Errorf("wait pattern: %w", err)
		}
		c.re = re
		return c, nil
	}
	key, ok := tmuxKeys[name]
	if !ok {
		return nil, fmt.Errorf("unknown command %q", word)
	}
	c := &tapeCmd{line: n, name: "Key", text: key, n: 1}
	if rest != "" {
		k, err := strconv.Atoi(rest)
		if err != nil || k < 1 || k > 100 {
			return nil, fmt.Errorf("%s: the repeat count must be 1 to 100", line)
		}
		c.n = k
	}
	return c, nil
}

// unquoteTape reads a "double", 'single' or `backtick` quoted string.
func unquoteTape(s string) (string, error) {
	if len(s) >= 2 && strings.ContainsRune("\"'`", rune(s[0])) && s[len(s)-1] == s[0] {
		return s[1 : len(s)-1], nil
	}
	return "", fmt.Errorf("expected a quoted string, found %q", s)
}

// tapeDuration reads 500ms, 1.5s or a bare number of seconds.
func tapeDuration(s string) (time.Duration, error) {
	if f, err := strconv.ParseFloat(s, 64); err == nil && f >= 0 {
		return time.Duration(f * float64(time.Second)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("expected a duration such as 500ms or 2s, found %q", s)
	}
	return d, nil
}

func TestParseTape(t *testing.T) {
	tp, err := parseTape(strings.NewReader(`# replay-size: 100x30
Output demo.gif
Set FontSize 14
Type "plwiz demo"
Enter 2
Wait+Screen@3s /a · b/
Wait /\$ $/
Sleep 1.5
Sleep 200ms
Ctrl+C
Tab
`))
	if err != nil {
		t.Fatal(err)
	}
	if tp.width != 100 || tp.height != 30 {
		t.Errorf("size %dx%d", tp.width, tp.height)
	}
	var got []string
	for _, c := range tp.cmds {
		got = append(got, fmt.Sprintf("%s|%s|%d|%s|%t", c.name, c.text, c.n, c.dur, c.screen))
	}
	want := []string{"Type|plwiz demo|0|0s|false", "Key|Enter|2|0s|false", "Wait||0|3s|true", "Wait||0|15s|false",
		"Sleep||0|1.5s|false", "Sleep||0|200ms|false", "Ctrl|c|0|0s|false", "Key|Tab|1|0s|false"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("commands:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if tp.cmds[2].re.String() != "a · b" {
		t.Errorf("wait pattern %q", tp.cmds[2].re)
	}

	// What the replayer cannot honour is an error, each with its line.
	_, err = parseTape(strings.NewReader("Type unquoted\nPaste\nWait\nWait+Screen /(/\nSleep soon\nCtrl+Alt+X\n"))
	for _, want := range []string{"line 1: expected a quoted string", `line 2: unknown command "Paste"`, "line 3:", "line 4: wait pattern", "line 5: expected a duration", "line 6:", "replay-size"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
}
