package tui

import (
	"io"
	"os"
	"strings"

	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/term"
)

// Bubble Tea draws only on its renderer's ticks, the first one 1/FPS after
// it starts (50 ms at the wizard's 20 FPS), so a terminal would stay blank
// that long. firstPaint draws the Model's first frame at once, in the
// alternate screen Bubble Tea then takes over and redraws identically; a
// lower FPS keeps an idle wizard cheap without a late first frame.

// Sequences of the first paint: the alternate screen, cursor hidden and
// home, screen cleared; leaving undoes the first two if Bubble Tea never
// started.
const (
	firstPaintEnter = "\x1b[?1049h\x1b[?25l\x1b[H\x1b[2J"
	firstPaintLeave = "\x1b[?1049l\x1b[?25h"
)

// terminalOut is where a run draws, when that is a file (a terminal, or
// not: firstPaint checks), else nil.
func terminalOut(rw IO) *os.File {
	if rw.Out == nil {
		return os.Stdout
	}
	f, _ := rw.Out.(*os.File)
	return f
}

// firstPaint draws m sized to out's terminal and reports whether it did:
// not when out is not a terminal or its size is unknown.
func firstPaint(out *os.File, m *Model, noColor bool, environ []string) bool {
	if out == nil {
		return false
	}
	fd := out.Fd()
	if !term.IsTerminal(fd) {
		return false
	}
	w, h, err := term.GetSize(fd)
	if err != nil || w <= 0 || h <= 0 {
		return false
	}
	m.SetSize(w, h)
	cw := colorprofile.NewWriter(out, environ)
	if noColor {
		cw.Profile = colorprofile.Ascii
	}
	return writeFirstFrame(cw, m.View()) == nil
}

// writeFirstFrame writes a frame into a fresh alternate screen. The
// terminal is still in cooked mode: every line ends in CR LF, so the frame
// does not depend on the tty's output flags.
func writeFirstFrame(w io.Writer, frame string) error {
	var b strings.Builder
	b.WriteString(firstPaintEnter)
	b.WriteString(strings.ReplaceAll(strings.TrimRight(frame, "\n"), "\n", "\r\n"))
	_, err := io.WriteString(w, b.String())
	return err
}
