package probe

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"time"
)

// Mark is the one-character sign for a verdict: ✓ pass, ✗ fail, – skipped.
func (v Verdict) Mark() string {
	switch v {
	case Pass:
		return "✓"
	case Fail:
		return "✗"
	default:
		return "–"
	}
}

// WriteText renders the report for a terminal: one line per result (mark,
// step, target, what was seen and expected, duration), its hint and warning
// indented below, then a summary and, when this host looks outside the VPC,
// the command to run from inside it.
func WriteText(w io.Writer, r Report) error {
	var b strings.Builder
	if r.From != "" {
		fmt.Fprintf(&b, "from %s:\n", sanitize(r.From))
	}
	for _, res := range r.Results {
		if res.Verdict == Skipped || res.Verdict == "" {
			fmt.Fprintf(&b, "%s %-4s  %s — %s\n", res.Verdict.Mark(), sanitize(string(res.Step)), sanitize(res.Target), sanitize(res.Seen))
		} else {
			fmt.Fprintf(&b, "%s %-4s  %s — seen %s; expected %s (%s)\n", res.Verdict.Mark(), sanitize(string(res.Step)),
				sanitize(res.Target), sanitize(res.Seen), sanitize(res.Expected), FormatDuration(res.Duration))
		}
		if res.Hint != "" {
			fmt.Fprintf(&b, "        hint: %s\n", sanitize(res.Hint))
		}
		if res.Warning != "" {
			fmt.Fprintf(&b, "        warning: %s\n", sanitize(res.Warning))
		}
	}
	passed, failed, skipped := r.Counts()
	fmt.Fprintf(&b, "\n%d passed, %d failed, %d skipped\n", passed, failed, skipped)
	if r.OutsideVPC {
		// The same answer comes from inside the VPC while private DNS is off,
		// so say on what condition this host is the problem.
		fmt.Fprintf(&b, "If private DNS is on for the endpoint, this host is likely outside the consumer VPC. From a host inside it, run:\n  %s\n", sanitize(r.Command))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// FormatDuration rounds d for display: milliseconds below a second, tenths
// of a second above.
func FormatDuration(d time.Duration) string {
	if d < time.Second-time.Millisecond/2 {
		return fmt.Sprintf("%dms", d.Round(time.Millisecond).Milliseconds())
	}
	return d.Round(100 * time.Millisecond).String()
}

// WriteJSON renders the report as one indented JSON object.
func WriteJSON(w io.Writer, r Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("encode report: %w", err)
	}
	return nil
}

// jsonResult and jsonReport fix the JSON field names; changing them breaks
// scripts that read `plwiz check --output json`.
type jsonResult struct {
	Step       Step    `json:"step"`
	Target     string  `json:"target"`
	Verdict    Verdict `json:"verdict"`
	Expected   string  `json:"expected"`
	Seen       string  `json:"seen"`
	DurationMS float64 `json:"duration_ms"`
	Hint       string  `json:"hint"`
	Warning    string  `json:"warning"`
}

type jsonReport struct {
	Name       string       `json:"name"`
	Port       int          `json:"port"`
	OK         bool         `json:"ok"`
	Passed     int          `json:"passed"`
	Failed     int          `json:"failed"`
	Skipped    int          `json:"skipped"`
	OutsideVPC bool         `json:"outside_vpc"`
	Command    string       `json:"command"`
	From       string       `json:"from,omitempty"`
	Results    []jsonResult `json:"results"`
}

// MarshalJSON writes the result with stable snake_case names, the duration
// in milliseconds and every text sanitized (JSON escapes C0 controls but
// not DEL or C1, which terminals still obey).
func (r Result) MarshalJSON() ([]byte, error) {
	return json.Marshal(r.toJSON())
}

func (r Result) toJSON() jsonResult {
	return jsonResult{
		Step: Step(sanitize(string(r.Step))), Target: sanitize(r.Target), Verdict: Verdict(sanitize(string(r.Verdict))),
		Expected: sanitize(r.Expected), Seen: sanitize(r.Seen),
		DurationMS: math.Round(float64(r.Duration)/float64(time.Microsecond)) / 1000,
		Hint:       sanitize(r.Hint), Warning: sanitize(r.Warning),
	}
}

// UnmarshalJSON reads what MarshalJSON wrote, so a stored report round-trips.
func (r *Result) UnmarshalJSON(data []byte) error {
	var j jsonResult
	if err := json.Unmarshal(data, &j); err != nil {
		return fmt.Errorf("decode probe result: %w", err)
	}
	*r = Result{Step: j.Step, Target: j.Target, Verdict: j.Verdict, Expected: j.Expected, Seen: j.Seen,
		Duration: time.Duration(math.Round(j.DurationMS * float64(time.Millisecond))), Hint: j.Hint, Warning: j.Warning}
	return nil
}

// MarshalJSON writes the report with its counts and verdict.
func (r Report) MarshalJSON() ([]byte, error) {
	passed, failed, skipped := r.Counts()
	j := jsonReport{Name: sanitize(r.Name), Port: r.Port, OK: r.OK(), Passed: passed, Failed: failed, Skipped: skipped,
		OutsideVPC: r.OutsideVPC, Command: sanitize(r.Command), From: sanitize(r.From), Results: make([]jsonResult, 0, len(r.Results))}
	for _, res := range r.Results {
		j.Results = append(j.Results, res.toJSON())
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads what MarshalJSON wrote; the counts are derived, so
// they are not read back.
func (r *Report) UnmarshalJSON(data []byte) error {
	var j struct {
		Name       string   `json:"name"`
		Port       int      `json:"port"`
		OutsideVPC bool     `json:"outside_vpc"`
		Command    string   `json:"command"`
		From       string   `json:"from"`
		Results    []Result `json:"results"`
	}
	if err := json.Unmarshal(data, &j); err != nil {
		return fmt.Errorf("decode probe report: %w", err)
	}
	*r = Report{Name: j.Name, Port: j.Port, OutsideVPC: j.OutsideVPC, Command: j.Command, From: j.From, Results: j.Results}
	return nil
}
