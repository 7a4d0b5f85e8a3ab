package main

import (
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// Set by the Makefile with -ldflags "-X main.version=... -X main.commit=...".
var (
	version = "dev"
	commit  = ""
)

// buildCommit returns the commit the binary was built from: the ldflags value,
// else the VCS stamp the Go toolchain records (make build and go build with
// -buildvcs=true), else "unknown".
func buildCommit() (rev string, modified bool) {
	if commit != "" {
		return commit, false
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev == "" {
		rev = "unknown"
	}
	return rev, modified
}

// versionLine is what plwiz version and plwiz --version print.
func versionLine() string {
	rev, modified := buildCommit()
	if modified {
		rev += "-dirty"
	}
	return fmt.Sprintf("plwiz %s (commit %s)", version, rev)
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print plwiz's version and the commit it was built from",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintln(cmd.OutOrStdout(), versionLine())
			return nil
		},
	}
}
