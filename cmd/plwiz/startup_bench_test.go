package main

import (
	"bytes"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/creack/pty"
)

// BenchmarkFirstFrame is the time from starting `plwiz provider` in a
// pseudo-terminal to its first frame (the header naming the role): process
// start, every package's init, the program's start, one render. The goal is
// 50 ms at most. PLWIZ_BENCH_BIN measures another build of plwiz instead
// (to compare dependency versions).
func BenchmarkFirstFrame(b *testing.B) {
	bin := os.Getenv("PLWIZ_BENCH_BIN")
	if bin == "" {
		bin = buildPlwiz(b)
	}
	home := b.TempDir()
	env := append(os.Environ(),
		"HOME="+home, "XDG_STATE_HOME="+home, "TERM=xterm-256color",
		"AWS_ACCESS_KEY_ID=AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY=secret", "AWS_REGION=us-east-1",
		// Nothing listens here: the identity step fails after the first
		// frame, which is all this measures.
		"AWS_ENDPOINT_URL=http://127.0.0.1:1",
	)
	var total time.Duration
	n := 0
	for b.Loop() {
		cmd := exec.Command(bin, "provider")
		cmd.Env = env
		start := time.Now()
		f, err := pty.StartWithSize(cmd, &pty.Winsize{Cols: 120, Rows: 40})
		if err != nil {
			b.Fatal(err)
		}
		var seen bytes.Buffer
		buf := make([]byte, 4096)
		for !bytes.Contains(seen.Bytes(), []byte("provider")) {
			n, err := f.Read(buf)
			if err != nil {
				b.Fatalf("no first frame: %v\n%q", err, seen.String())
			}
			seen.Write(buf[:n])
		}
		total += time.Since(start)
		n++
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		_ = f.Close()
	}
	b.ReportMetric(float64(total.Microseconds())/1000/float64(n), "ms/first-frame")
}
