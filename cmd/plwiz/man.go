package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// newManCmd writes the man pages, one per command, from the command tree
// itself, so they cannot drift from --help. It is hidden: packagers run it
// (make man, the release), users read the pages it wrote.
func newManCmd() *cobra.Command {
	return &cobra.Command{
		Use:    "man DIR",
		Short:  "Write plwiz's man pages (section 1), one per command, into DIR",
		Hidden: true,
		Args:   cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := args[0]
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return &exitError{code: exitFailed, err: fmt.Errorf("man pages: %w", err)}
			}
			header := &doc.GenManHeader{Title: "PLWIZ", Section: "1", Source: "plwiz " + version, Manual: "plwiz manual"}
			if err := doc.GenManTree(cmd.Root(), header, dir); err != nil {
				return &exitError{code: exitFailed, err: fmt.Errorf("man pages: %w", err)}
			}
			return nil
		},
	}
}
