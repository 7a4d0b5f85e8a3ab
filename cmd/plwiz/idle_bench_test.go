package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/plwiz/plwiz/awsops"
	"github.com/plwiz/plwiz/steps"
)

// BenchmarkTUIIdleTenThousandConnections runs `plwiz provider` in a pty on
// its connections table against `plwiz sandbox --scenario
// connections=10000` plus the consumer's endpoint (10,001 rows), lets the
// first full load finish, then measures a minute of idling: AWS calls a
// minute (from --log-file), CPU (from /proc), and the process's peak RSS.
// Goals: 12 calls a minute, 1 % of a core, 40 MiB. PLWIZ_BENCH_IDLE
// shortens or lengthens the idle window (default 60s).
func BenchmarkTUIIdleTenThousandConnections(b *testing.B) {
	idle := time.Minute
	if v := os.Getenv("PLWIZ_BENCH_IDLE"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			b.Fatalf("PLWIZ_BENCH_IDLE: %v", err)
		}
		idle = d
	}
	bin := os.Getenv("PLWIZ_BENCH_BIN") // another build, to compare
	if bin == "" {
		bin = buildPlwiz(b)
	}
	ctx, cancel := context.WithTimeout(context.Background(), idle+5*time.Minute)
	defer cancel()
	sp := startSandboxProcess(b, ctx, bin, "--speed", "1", "--scenario", "connections=10000")
	provider := clientFor(b, sp, "provider")
	services, err := provider.Provider().ListServices(ctx)
	if err != nil {
		b.Fatal(err)
	}
	var svc awsops.Service
	for _, s := range services {
		if s.Tags["Name"] == "plwiz-connections" {
			svc = s
		}
	}
	if svc.ID == "" {
		b.Fatalf("no service of the connections scenario among %d", len(services))
	}
	vpc, subnets := consumerNetwork(b, ctx, sp, "")
	consumerEP, err := clientFor(b, sp, "consumer").Consumer().CreateEndpoint(ctx, awsops.CreateEndpointInput{
		ServiceName: svc.Name, VPCID: vpc, SubnetIDs: strings.Split(subnets, ",")[:1]})
	if err != nil {
		b.Fatal(err)
	}

	for b.Loop() {
		home := b.TempDir()
		stateDir := filepath.Join(home, "state", "plwiz")
		s, err := steps.NewSession(stateDir, steps.RoleProvider, time.Now())
		if err != nil {
			b.Fatal(err)
		}
		// A provider resumed at its connections table.
		flow := steps.ProviderFlow()
		for _, st := range flow.Steps {
			if st.ID == steps.StepConnections {
				break
			}
			s.Step(st.ID).State = steps.StateDone
		}
		id, err := provider.Provider().Identity(ctx)
		if err != nil {
			b.Fatal(err)
		}
		s.Account, s.ARN, s.Region = id.Account, id.ARN, id.Region
		s.SetInput(steps.InServiceID, svc.ID)
		s.SetResource(steps.ResServiceID, svc.ID)
		s.SetResource(steps.ResServiceName, svc.Name)
		s.SetResource(steps.ResNLBPort, "8443")
		// The consumer's request was imported: its endpoint is expected.
		s.SetResource(steps.ResExpected, consumerEP.ID)
		s.SetResource(steps.ResConsumerAcct, consumerEP.Owner)
		if err := s.Save(time.Now()); err != nil {
			b.Fatal(err)
		}
		logFile := filepath.Join(home, "calls.log")
		cmd := exec.CommandContext(ctx, bin, "provider", "--resume", "--session", s.ID, "--log-file", logFile)
		cmd.Env = append(sp.partyEnv("provider", home), os.Getenv("PLWIZ_BENCH_GOENV"))
		f, err := pty.StartWithSize(cmd, &pty.Winsize{Cols: 160, Rows: 50})
		if err != nil {
			b.Fatal(err)
		}
		go func() { _, _ = new(bytes.Buffer).ReadFrom(f) }() // the frames
		calls := func() int {
			data, _ := os.ReadFile(logFile)
			return strings.Count(string(data), "DescribeVpcEndpointConnections")
		}
		// The first full load: 11 pages of 1000.
		for deadline := time.Now().Add(2 * time.Minute); calls() < 11; time.Sleep(100 * time.Millisecond) {
			if time.Now().After(deadline) {
				b.Fatalf("no full load of the table: %d calls", calls())
			}
		}
		time.Sleep(3 * time.Second) // the rows reach the screen
		c0, cpu0 := calls(), cpuTime(b, cmd.Process.Pid)
		time.Sleep(idle)
		c1, cpu1 := calls(), cpuTime(b, cmd.Process.Pid)
		rss := peakRSS(b, cmd.Process.Pid)
		parts := rssParts(cmd.Process.Pid)
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		_ = f.Close()
		perMin := float64(c1-c0) / idle.Minutes()
		cpu := 100 * (cpu1 - cpu0).Seconds() / idle.Seconds()
		b.ReportMetric(perMin, "calls/min")
		b.ReportMetric(cpu, "%cpu-idle")
		b.ReportMetric(float64(rss)/(1<<20), "MiB-peak-rss")
		b.Logf("idle %s on 10,001 connections: %d calls (%.1f a minute), %.2f %% of a core, peak RSS %.1f MiB (now %s)", idle, c1-c0, perMin, cpu, float64(rss)/(1<<20), parts)
	}
}

// rssParts is what a process's resident memory is made of now: its own
// memory (the heap, stacks) and the pages of its binary it has touched.
func rssParts(pid int) string {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return err.Error()
	}
	var parts []string
	for line := range strings.SplitSeq(string(data), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && (k == "RssAnon" || k == "RssFile") {
			parts = append(parts, k+" "+strings.Join(strings.Fields(v), " "))
		}
	}
	return strings.Join(parts, ", ")
}

// cpuTime is a process's user and system time, from /proc.
func cpuTime(b *testing.B, pid int) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	// Fields after the command name, which is in parentheses.
	f := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+2:]))
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	const ticks = 100 // USER_HZ on Linux
	return time.Duration(utime+stime) * time.Second / ticks
}

// peakRSS is a process's high-water mark of resident memory, in bytes.
func peakRSS(b *testing.B, pid int) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, l := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	b.Fatal("no VmHWM")
	return 0
}
