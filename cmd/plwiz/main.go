// Command plwiz guides both parties of an AWS PrivateLink setup, the service
// provider and the service consumer, through every step in the right order.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], streams{in: os.Stdin, out: os.Stdout, err: os.Stderr}, os.Getenv))
}

// run executes the CLI and returns the process exit code, so tests can drive
// the whole command line without exiting.
func run(ctx context.Context, args []string, s streams, getenv func(string) string) int {
	root := newRootCmd(s, getenv)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintln(s.err, "plwiz:", ee.err)
		}
		return ee.code
	}
	fmt.Fprintln(s.err, "plwiz:", err)
	return exitBadInput
}
