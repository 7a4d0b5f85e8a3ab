package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/plwiz/plwiz/awsops"
	"github.com/plwiz/plwiz/steps"
)

// mfaPrompter asks for the MFA code of a profile's role on the process's
// streams: the question on stderr, the answer from stdin (a terminal, or a
// pipe headless). Once the wizard owns the terminal it asks no more.
type mfaPrompter struct {
	in  io.Reader
	err io.Writer

	mu     sync.Mutex
	closed bool
}

// maxMFALine bounds what is read from stdin for a code.
const maxMFALine = 64

func (p *mfaPrompter) prompt(q awsops.MFAQuestion) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return "", awsops.ErrMFANotNow
	}
	fmt.Fprintf(p.err, "plwiz: profile %s assumes role %s with MFA.\nMFA code from %s: ",
		steps.Sanitize(q.Profile), steps.Sanitize(q.RoleARN), steps.Sanitize(q.SerialNumber))
	line, err := readLine(p.in, maxMFALine)
	if !isTerminal(p.in) {
		fmt.Fprintln(p.err) // a terminal echoed the Enter; a pipe did not
	}
	switch {
	case err != nil && !errors.Is(err, io.EOF):
		return "", fmt.Errorf("reading the MFA code from stdin: %w", err)
	case strings.TrimSpace(line) == "" && err != nil:
		return "", errors.New("stdin ended before an MFA code was given: pipe the code on stdin (echo 123456 | plwiz ... --non-interactive) or run plwiz in a terminal")
	case strings.TrimSpace(line) == "":
		return "", errors.New("an empty line was given instead of the MFA code")
	}
	return line, nil
}

// close stops further prompts: the wizard now owns the terminal.
func (p *mfaPrompter) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
}

// isTerminal reports whether r is a character device (a terminal).
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// readLine reads one line a byte at a time, so nothing after it is taken
// from stdin (the wizard reads the rest), and at most max bytes.
func readLine(r io.Reader, max int) (string, error) {
	var b strings.Builder
	buf := make([]byte, 1)
	for b.Len() <= max {
		n, err := r.Read(buf)
		if n == 1 {
			if buf[0] == '\n' {
				return strings.TrimSuffix(b.String(), "\r"), nil
			}
			b.WriteByte(buf[0])
		}
		if err != nil {
			return b.String(), err
		}
	}
	return "", fmt.Errorf("the line is longer than %d bytes; an MFA code is 6 digits", max)
}

// askMFABeforeWizard resolves the credentials now when the profile's role
// needs an MFA code, so it is asked on the terminal before the full-screen
// wizard (or the line prompts) take it over; afterwards no prompt reads it.
func askMFABeforeWizard(ctx context.Context, client *awsops.Client, p *mfaPrompter) error {
	defer p.close()
	if !client.NeedsMFA() {
		return nil
	}
	if err := client.ResolveCredentials(ctx); err != nil {
		return &exitError{code: exitFailed, err: explained(err)}
	}
	return nil
}

// explainedError shows an AWS error with its cause and what to do, for
// failures reported before any step (and its hint line) runs.
type explainedError struct{ err *awsops.Error }

func (e explainedError) Error() string {
	msg := steps.Sanitize(e.err.Error())
	if e.err.Cause != "" {
		msg += "\n  why: " + steps.Sanitize(e.err.Cause)
	}
	if e.err.Hint != "" {
		msg += "\n  fix: " + steps.Sanitize(e.err.Hint)
	}
	return msg
}

func (e explainedError) Unwrap() error { return e.err }

// explained adds the cause and hint of an awsops error to its message.
func explained(err error) error {
	var ae *awsops.Error
	if errors.As(err, &ae) {
		return explainedError{err: ae}
	}
	return err
}
