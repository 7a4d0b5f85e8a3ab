package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/plwiz/plwiz/handoff"
)

func newInspectCmd() *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "inspect FILE|TOKEN|-",
		Short: "Show what an offer or a request holds and what is wrong with it, without importing it",
		Long: `inspect decodes an offer or a request — a bundle file, a token, or standard
input with - — checks it as plwiz provider and plwiz consumer would when
importing it, and shows every field it holds, each problem under its field,
and who can make a good one. Nothing is imported and AWS is not called.

A token may be pasted as a chat client left it: quoted, in a code fence,
broken over lines. Values are shown escaped, so nothing in a bundle can
change the terminal.

Exit status: 0 when the bundle is valid, 2 when it is not or cannot be read.`,
		Example: `  plwiz inspect offer.json
  plwiz inspect plwiz1.request.eyJraW5kIjoi...
  pbpaste | plwiz inspect -
  plwiz inspect --output json request.json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if output != "text" && output != "json" {
				return badInput("--output %q: expected text or json", output)
			}
			in, source, err := inspectArg(args[0], cmd.InOrStdin(), time.Now())
			if err != nil {
				return &exitError{code: exitBadInput, err: err}
			}
			out := cmd.OutOrStdout()
			if output == "json" {
				err = writeInspectionJSON(out, in, source)
			} else {
				err = writeInspectionText(out, in, source)
			}
			if err != nil {
				return &exitError{code: exitFailed, err: fmt.Errorf("inspect: write: %w", err)}
			}
			if !in.Valid() {
				// The report says what is wrong.
				return &exitError{code: exitBadInput}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&output, "output", "text", "Output format: text or json.")
	return cmd
}

// inspectArg inspects what the argument names: standard input for -, the
// bundle itself for a token or JSON, else the file at that path. source
// says which, for the report.
func inspectArg(arg string, stdin io.Reader, now time.Time) (in handoff.Inspection, source string, err error) {
	if arg == "-" {
		data, err := io.ReadAll(io.LimitReader(stdin, handoff.MaxSize+1))
		if err != nil {
			return in, "", fmt.Errorf("inspect: read standard input: %w", err)
		}
		return handoff.Inspect(data, now), "standard input", nil
	}
	ref, err := handoff.Clean(arg)
	if err != nil || handoff.IsInline(ref) {
		// A bundle, or something that is not a path: Inspect says which
		// character is wrong where.
		return handoff.Inspect([]byte(arg), now), "the command line", nil
	}
	if ref == "" {
		return in, "", fmt.Errorf("inspect: expected a bundle file, a token, or - for standard input; found nothing")
	}
	in, err = handoff.InspectFile(ref, now)
	if err != nil {
		return in, "", fmt.Errorf("inspect: %w (give the path of the offer or request file, or the token itself)", err)
	}
	return in, displayPath(ref), nil
}

// displayPath makes a path safe to print: quoted when it holds anything
// but printable ASCII.
func displayPath(p string) string {
	if strings.ContainsFunc(p, func(r rune) bool { return r < 0x20 || r > 0x7e }) {
		return strconv.QuoteToASCII(p)
	}
	return p
}

// describe is the report's first line: "offer (token) from offer.txt:
// valid" or "... 3 problems".
func describe(in handoff.Inspection, source string) string {
	what := "input"
	if in.Kind != "" {
		what = string(in.Kind)
	}
	switch in.Encoding {
	case handoff.EncodingJSON:
		what += " (JSON)"
	case handoff.EncodingToken:
		what += " (token)"
	}
	verdict := "valid"
	switch n := len(in.Problems); {
	case n == 1:
		verdict = "1 problem"
	case n > 1:
		verdict = strconv.Itoa(n) + " problems"
	}
	return fmt.Sprintf("%s from %s: %s", what, source, verdict)
}

// attach places each problem under the last field it is about (the field
// itself, or an element or member of it); the rest are about the input as a
// whole (its encoding, its token) or a field that is missing.
func attach(in handoff.Inspection) (byField map[int][]handoff.Problem, missing, whole []handoff.Problem) {
	byField = make(map[int][]handoff.Problem)
	for _, p := range in.Problems {
		at := -1
		for i, f := range in.Fields {
			if p.Field != "" && (f.Path == p.Field || strings.HasPrefix(f.Path, p.Field+"[") || strings.HasPrefix(f.Path, p.Field+".")) {
				at = i
			}
		}
		switch {
		case at >= 0:
			byField[at] = append(byField[at], p)
		case p.Field == "" || p.Field == "token":
			whole = append(whole, p)
		default:
			missing = append(missing, p)
		}
	}
	return byField, missing, whole
}

func writeInspectionText(w io.Writer, in handoff.Inspection, source string) error {
	var b strings.Builder
	b.WriteString(describe(in, source) + "\n")
	width := 0
	for _, f := range in.Fields {
		width = max(width, len(f.Path))
	}
	width = min(width, 32)
	problem := func(p handoff.Problem, what string) {
		fmt.Fprintf(&b, "    wrong: %s\n", what)
		if p.Hint != "" {
			fmt.Fprintf(&b, "    fix:   %s\n", p.Hint)
		}
	}
	wrong := func(p handoff.Problem) string { return "expected " + p.Expected + ", found " + p.Found }
	byField, missing, whole := attach(in)
	if len(in.Fields) > 0 {
		b.WriteString("\n")
	}
	for i, f := range in.Fields {
		path := f.Path
		if path == "" {
			path = "(the whole input)"
		}
		fmt.Fprintf(&b, "  %-*s  %s\n", width, path, f.Value)
		for _, p := range byField[i] {
			problem(p, wrong(p))
		}
	}
	for _, p := range missing {
		fmt.Fprintf(&b, "  %-*s  (not in the input)\n", width, p.Field)
		problem(p, wrong(p))
	}
	if len(whole) > 0 {
		b.WriteString("\n  the input as a whole:\n")
		for _, p := range whole {
			problem(p, p.String())
		}
	}
	if fix := in.Fix(); fix != "" {
		b.WriteString("\nTo fix: " + fix + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// inspectionJSON is the --output json form of a report.
type inspectionJSON struct {
	Source   string        `json:"source"`
	Valid    bool          `json:"valid"`
	Kind     string        `json:"kind,omitempty"`
	Encoding string        `json:"encoding,omitempty"`
	Fields   []fieldJSON   `json:"fields"`
	Problems []problemJSON `json:"problems"`
	Fix      string        `json:"fix,omitempty"`
}

type fieldJSON struct {
	Field string `json:"field"`
	Value string `json:"value"`
}

type problemJSON struct {
	Field    string `json:"field,omitempty"`
	Expected string `json:"expected"`
	Found    string `json:"found"`
	Hint     string `json:"hint,omitempty"`
}

func writeInspectionJSON(w io.Writer, in handoff.Inspection, source string) error {
	doc := inspectionJSON{Source: source, Valid: in.Valid(), Kind: string(in.Kind), Encoding: string(in.Encoding),
		Fields: []fieldJSON{}, Problems: []problemJSON{}, Fix: in.Fix()}
	for _, f := range in.Fields {
		doc.Fields = append(doc.Fields, fieldJSON{Field: f.Path, Value: f.Value})
	}
	for _, p := range in.Problems {
		doc.Problems = append(doc.Problems, problemJSON{Field: p.Field, Expected: p.Expected, Found: p.Found, Hint: p.Hint})
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false) // values are escaped already; <> stay readable
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}
