package tui

import (
	"bytes"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/plwiz/plwiz/steps"
)

// TestFirstPaintDrawsTheFirstFrameAtOnce: on a terminal the Model's first
// frame is in the alternate screen before Bubble Tea starts, sized to the
// terminal (the header, the steps, the keys), each line ending in CR LF;
// NO_COLOR leaves no colour.
func TestFirstPaintDrawsTheFirstFrameAtOnce(t *testing.T) {
	for _, noColor := range []bool{false, true} {
		ptmx, tty, err := pty.Open()
		if err != nil {
			t.Skipf("no pseudo-terminal here: %v", err)
		}
		if err := pty.Setsize(ptmx, &pty.Winsize{Cols: 120, Rows: 40}); err != nil {
			t.Fatal(err)
		}
		out := readAll(ptmx)
		flow := fakeFlow(newWorld())
		m := New(flow, newSession(t, flow, steps.StepIdentity), nil, testOpts())
		if !firstPaint(tty, m, noColor, []string{"TERM=xterm-256color"}) {
			t.Fatal("firstPaint did not draw on a terminal")
		}
		if m.com.Width != 120 || m.com.Height != 40 {
			t.Errorf("the Model is %dx%d, want the terminal's 120x40", m.com.Width, m.com.Height)
		}
		got := out.until(t, "Identity")
		_ = tty.Close()
		_ = ptmx.Close()
		if !strings.HasPrefix(got, firstPaintEnter) {
			t.Errorf("the frame does not start in a cleared alternate screen: %q", got[:min(len(got), 40)])
		}
		if !strings.Contains(got, "provider") || strings.Count(got, "\n") < 10 {
			t.Errorf("no full first frame:\n%q", got)
		}
		if hasColor := strings.Contains(got, "\x1b[38;"); hasColor == noColor {
			t.Errorf("noColor %v, colour in the frame %v:\n%q", noColor, hasColor, got)
		}
	}
}

// TestFirstPaintLeavesOtherOutputsAlone: a file or pipe gets nothing.
func TestFirstPaintLeavesOtherOutputsAlone(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	flow := fakeFlow(newWorld())
	m := New(flow, newSession(t, flow, steps.StepIdentity), nil, testOpts())
	if firstPaint(f, m, false, nil) || firstPaint(nil, m, false, nil) {
		t.Error("firstPaint drew on something that is not a terminal")
	}
	if fi, _ := f.Stat(); fi.Size() != 0 {
		t.Errorf("%d bytes written to a file", fi.Size())
	}
}

// ptyOutput gathers what a pseudo-terminal's master reads.
type ptyOutput struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// readAll reads ptmx until it is closed.
func readAll(ptmx *os.File) *ptyOutput {
	o := &ptyOutput{}
	go func() {
		b := make([]byte, 4096)
		for {
			n, err := ptmx.Read(b)
			o.mu.Lock()
			o.buf.Write(b[:n])
			o.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	return o
}

// until waits for want, then for the frame to end (output pausing).
func (o *ptyOutput) until(t *testing.T, want string) string {
	t.Helper()
	last := ""
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		o.mu.Lock()
		got := o.buf.String()
		o.mu.Unlock()
		if strings.Contains(got, want) && got == last {
			return got
		}
		last = got
	}
	t.Fatalf("the terminal never showed %q:\n%q", want, last)
	return ""
}
