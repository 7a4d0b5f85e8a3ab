package sandbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Command is one SSM Run Command request.
type Command struct {
	ID               string                 `json:"id"`
	Owner            string                 `json:"owner"`
	Region           string                 `json:"region,omitempty"` // "" is the home region
	DocumentName     string                 `json:"documentName"`
	Comment          string                 `json:"comment,omitempty"`
	Commands         []string               `json:"commands"`
	ExecutionTimeout int                    `json:"executionTimeout"` // seconds
	TimeoutSeconds   int                    `json:"timeoutSeconds"`   // delivery
	InstanceIDs      []string               `json:"instanceIds"`
	RequestedAt      time.Time              `json:"requestedAt"`
	Invocations      map[string]*Invocation `json:"invocations"` // by instance ID
}

// Invocation is a command's run on one instance.
type Invocation struct {
	InstanceID string `json:"instanceId"`
	// Done is set once the script ended; Status and the rest are then final.
	Done          bool      `json:"done"`
	Status        string    `json:"status,omitempty"` // Success | Failed | TimedOut | Cancelled
	StatusDetails string    `json:"statusDetails,omitempty"`
	ResponseCode  int       `json:"responseCode"`
	Stdout        string    `json:"stdout,omitempty"`
	Stderr        string    `json:"stderr,omitempty"`
	EndedAt       time.Time `json:"endedAt,omitzero"`
}

// ssmOutputLimit is how much of each stream GetCommandInvocation returns.
const ssmOutputLimit = 24000

// runShellScript is the only document the sandbox's agent runs.
const runShellScript = "AWS-RunShellScript"

func ssmHandlers() map[string]jsonHandler {
	return map[string]jsonHandler{
		"DescribeInstanceInformation": ssmDescribeInstanceInformation,
		"SendCommand":                 ssmSendCommand,
		"GetCommandInvocation":        ssmGetCommandInvocation,
	}
}

// ---- DescribeInstanceInformation ----

type ssmFilter struct {
	Key    string   `json:"Key"`
	Values []string `json:"Values"`
}

type ssmLegacyFilter struct {
	Key      string   `json:"key"`
	ValueSet []string `json:"valueSet"`
}

type ssmDescribeInput struct {
	Filters                       []ssmFilter       `json:"Filters"`
	InstanceInformationFilterList []ssmLegacyFilter `json:"InstanceInformationFilterList"`
	MaxResults                    int               `json:"MaxResults"`
	NextToken                     string            `json:"NextToken"`
}

type ssmInstanceInformation struct {
	InstanceID       string `json:"InstanceId"`
	PingStatus       string `json:"PingStatus"`
	LastPingDateTime epoch  `json:"LastPingDateTime"`
	AgentVersion     string `json:"AgentVersion"`
	IsLatestVersion  bool   `json:"IsLatestVersion"`
	PlatformType     string `json:"PlatformType"`
	PlatformName     string `json:"PlatformName"`
	PlatformVersion  string `json:"PlatformVersion"`
	ResourceType     string `json:"ResourceType"`
	IPAddress        string `json:"IPAddress"`
	ComputerName     string `json:"ComputerName"`
	SourceID         string `json:"SourceId"`
	SourceType       string `json:"SourceType"`
}

type ssmDescribeOutput struct {
	InstanceInformationList []ssmInstanceInformation `json:"InstanceInformationList"`
	NextToken               string                   `json:"NextToken,omitempty"`
}

// ssmFilterKeys are the filter keys DescribeInstanceInformation knows
// (tag:KEY and tag-key besides).
var ssmFilterKeys = []string{"InstanceIds", "AgentVersion", "PingStatus", "PlatformTypes", "ActivationIds", "IamRole", "ResourceType", "AssociationStatus"}

func ssmDescribeInstanceInformation(c *call) (any, error) {
	var in ssmDescribeInput
	if err := decodeJSON(c, &in); err != nil {
		return nil, err
	}
	if len(in.Filters) > 0 && len(in.InstanceInformationFilterList) > 0 {
		return nil, Errorf(http.StatusBadRequest, "InvalidFilter", "Filters and InstanceInformationFilterList cannot be used together")
	}
	filters := in.Filters
	for _, f := range in.InstanceInformationFilterList {
		filters = append(filters, ssmFilter{Key: f.Key, Values: f.ValueSet})
	}
	for _, f := range filters {
		if !slices.Contains(ssmFilterKeys, f.Key) && !strings.HasPrefix(f.Key, "tag:") && f.Key != "tag-key" {
			return nil, Errorf(http.StatusBadRequest, "InvalidInstanceInformationFilterValue", "The filter key %s is not valid", f.Key)
		}
		if len(f.Values) == 0 {
			return nil, Errorf(http.StatusBadRequest, "InvalidInstanceInformationFilterValue", "The filter %s has no values", f.Key)
		}
	}
	var keys []string
	for _, id := range SortedKeys(c.w.Diag.Instances) {
		inst := c.w.Diag.Instances[id]
		if inst.SSM == nil || !c.ownsInVPC(inst.Owner, inst.VPCID) || inst.State == InstanceTerminated {
			continue
		}
		if ssmMatches(inst, c.sb.ssmPing(inst), filters) {
			keys = append(keys, id)
		}
	}
	page, next, perr := jsonPage(keys, in.NextToken, in.MaxResults, 5, 50, 50)
	if perr != nil {
		return nil, perr
	}
	out := ssmDescribeOutput{InstanceInformationList: []ssmInstanceInformation{}, NextToken: next}
	for _, id := range page {
		inst := c.w.Diag.Instances[id]
		out.InstanceInformationList = append(out.InstanceInformationList, ssmInstanceInformation{
			InstanceID: inst.ID, PingStatus: c.sb.ssmPing(inst), LastPingDateTime: epoch(c.Now.Add(-time.Minute)),
			AgentVersion: inst.SSM.AgentVersion, IsLatestVersion: false, PlatformType: "Linux",
			PlatformName: inst.SSM.PlatformName, PlatformVersion: inst.SSM.PlatformVersion,
			ResourceType: "EC2Instance", IPAddress: inst.PrivateIP, ComputerName: inst.SSM.ComputerName,
			SourceID: inst.ID, SourceType: "AWS::EC2::Instance",
		})
	}
	return out, nil
}

// ssmPing is an instance's agent status: a stopped instance's agent has
// lost its connection.
func (s *Sandbox) ssmPing(inst *Instance) string {
	if inst.State != InstanceRunning {
		return "ConnectionLost"
	}
	return inst.SSM.PingStatus
}

func ssmMatches(inst *Instance, ping string, filters []ssmFilter) bool {
	for _, f := range filters {
		var have []string
		switch {
		case f.Key == "InstanceIds":
			have = []string{inst.ID}
		case f.Key == "PingStatus":
			have = []string{ping}
		case f.Key == "PlatformTypes":
			have = []string{"Linux"}
		case f.Key == "ResourceType":
			have = []string{"EC2Instance"}
		case f.Key == "AgentVersion":
			have = []string{inst.SSM.AgentVersion}
		case f.Key == "AssociationStatus":
			have = []string{"Success"}
		case f.Key == "tag-key":
			for _, t := range inst.Tags {
				have = append(have, t.Key)
			}
		case strings.HasPrefix(f.Key, "tag:"):
			for _, t := range inst.Tags {
				if t.Key == strings.TrimPrefix(f.Key, "tag:") {
					have = append(have, t.Value)
				}
			}
		}
		match := false
		for _, v := range f.Values {
			if slices.Contains(have, v) {
				match = true
			}
		}
		if !match {
			return false
		}
	}
	return true
}

// ---- SendCommand ----

type ssmSendInput struct {
	DocumentName   string              `json:"DocumentName"`
	InstanceIDs    []string            `json:"InstanceIds"`
	Targets        []ssmFilter         `json:"Targets"`
	Parameters     map[string][]string `json:"Parameters"`
	Comment        string              `json:"Comment"`
	TimeoutSeconds int                 `json:"TimeoutSeconds"`
}

type ssmCommand struct {
	CommandID             string              `json:"CommandId"`
	DocumentName          string              `json:"DocumentName"`
	DocumentVersion       string              `json:"DocumentVersion"`
	Comment               string              `json:"Comment"`
	ExpiresAfter          epoch               `json:"ExpiresAfter"`
	Parameters            map[string][]string `json:"Parameters"`
	InstanceIDs           []string            `json:"InstanceIds"`
	Targets               []ssmFilter         `json:"Targets"`
	RequestedDateTime     epoch               `json:"RequestedDateTime"`
	Status                string              `json:"Status"`
	StatusDetails         string              `json:"StatusDetails"`
	MaxConcurrency        string              `json:"MaxConcurrency"`
	MaxErrors             string              `json:"MaxErrors"`
	TargetCount           int                 `json:"TargetCount"`
	CompletedCount        int                 `json:"CompletedCount"`
	ErrorCount            int                 `json:"ErrorCount"`
	DeliveryTimedOutCount int                 `json:"DeliveryTimedOutCount"`
	TimeoutSeconds        int                 `json:"TimeoutSeconds"`
}

func ssmSendCommand(c *call) (any, error) {
	var in ssmSendInput
	if err := decodeJSON(c, &in); err != nil {
		return nil, err
	}
	if in.DocumentName == "" {
		return nil, jsonValidation("1 validation error detected: Value null at 'documentName' failed to satisfy constraint: Member must not be null")
	}
	if in.DocumentName != runShellScript {
		return nil, Errorf(http.StatusBadRequest, "InvalidDocument", "Document with name %s does not exist.", in.DocumentName)
	}
	if len(in.Targets) > 0 {
		return nil, Errorf(http.StatusBadRequest, "InvalidParameters", "The sandbox sends commands by InstanceIds only, not by Targets")
	}
	if len(in.InstanceIDs) == 0 {
		return nil, Errorf(http.StatusBadRequest, "InvalidInstanceId", "Instances [[]] not in a valid state for account %s", c.Account.ID)
	}
	if len(in.InstanceIDs) > 50 {
		return nil, jsonValidation("1 validation error detected: Value at 'instanceIds' failed to satisfy constraint: Member must have length less than or equal to 50")
	}
	var bad []string
	for _, id := range in.InstanceIDs {
		inst := c.w.Diag.Instances[id]
		if inst == nil || !c.ownsInVPC(inst.Owner, inst.VPCID) || inst.SSM == nil || c.sb.ssmPing(inst) != "Online" {
			bad = append(bad, id)
		}
	}
	if len(bad) > 0 {
		return nil, Errorf(http.StatusBadRequest, "InvalidInstanceId", "Instances [[%s]] not in a valid state for account %s", strings.Join(bad, ", "), c.Account.ID)
	}
	for k := range in.Parameters {
		if k != "commands" && k != "workingDirectory" && k != "executionTimeout" {
			return nil, Errorf(http.StatusBadRequest, "InvalidParameters", "Parameter \"%s\" is not a parameter of document %s.", k, runShellScript)
		}
	}
	cmds := in.Parameters["commands"]
	if len(cmds) == 0 {
		return nil, Errorf(http.StatusBadRequest, "InvalidParameters", "Parameters provided are not valid for document %s: commands is required.", runShellScript)
	}
	if n := len(strings.Join(cmds, "\n")); n > 100_000 {
		return nil, Errorf(http.StatusBadRequest, "InvalidParameters", "The commands are %d bytes; a Run Command request holds at most 100 KB of parameters.", n)
	}
	execTimeout := 3600
	if v := in.Parameters["executionTimeout"]; len(v) > 0 {
		n, err := strconv.Atoi(v[0])
		if err != nil || n < 1 || n > 172800 {
			return nil, Errorf(http.StatusBadRequest, "InvalidParameters", "Parameter \"executionTimeout\" must be a number of seconds between 1 and 172800.")
		}
		execTimeout = n
	}
	if in.TimeoutSeconds == 0 {
		in.TimeoutSeconds = 3600
	}
	if in.TimeoutSeconds < 30 || in.TimeoutSeconds > 2592000 {
		return nil, jsonValidation("1 validation error detected: Value '%d' at 'timeoutSeconds' failed to satisfy constraint: Member must have value between 30 and 2592000", in.TimeoutSeconds)
	}
	cmd := &Command{
		ID: uuidFrom(c.w.hex(32)), Owner: c.Account.ID, Region: c.Region, DocumentName: in.DocumentName, Comment: in.Comment,
		Commands: slices.Clone(cmds), ExecutionTimeout: execTimeout, TimeoutSeconds: in.TimeoutSeconds,
		InstanceIDs: slices.Clone(in.InstanceIDs), RequestedAt: c.Now, Invocations: map[string]*Invocation{},
	}
	for _, id := range in.InstanceIDs {
		cmd.Invocations[id] = &Invocation{InstanceID: id}
	}
	c.w.Diag.Commands[cmd.ID] = cmd
	for _, id := range in.InstanceIDs {
		c.w.note(c.Now, c.Account.ID, cmd.ID+"/"+id, "", "Pending")
		c.sb.ssm.start(cmd, c.w.Diag.Instances[id], c.Region)
	}
	params := map[string][]string{"commands": cmd.Commands, "executionTimeout": {strconv.Itoa(execTimeout)}}
	if wd := in.Parameters["workingDirectory"]; len(wd) > 0 {
		params["workingDirectory"] = wd
	}
	return map[string]any{"Command": ssmCommand{
		CommandID: cmd.ID, DocumentName: cmd.DocumentName, DocumentVersion: "$DEFAULT", Comment: cmd.Comment,
		ExpiresAfter: epoch(c.Now.Add(time.Duration(in.TimeoutSeconds+execTimeout) * time.Second)),
		Parameters:   params, InstanceIDs: cmd.InstanceIDs, Targets: []ssmFilter{},
		RequestedDateTime: epoch(c.Now), Status: "Pending", StatusDetails: "Pending",
		MaxConcurrency: "50", MaxErrors: "0", TargetCount: len(cmd.InstanceIDs), TimeoutSeconds: in.TimeoutSeconds,
	}}, nil
}

// uuidFrom shapes 32 hex digits as a UUID (version 4 layout), the form of
// SSM command IDs.
func uuidFrom(h string) string {
	return h[0:8] + "-" + h[8:12] + "-4" + h[13:16] + "-a" + h[17:20] + "-" + h[20:32]
}

// ---- GetCommandInvocation ----

type ssmGetInput struct {
	CommandID  string `json:"CommandId"`
	InstanceID string `json:"InstanceId"`
	PluginName string `json:"PluginName"`
}

type ssmInvocationOutput struct {
	CommandID              string `json:"CommandId"`
	InstanceID             string `json:"InstanceId"`
	Comment                string `json:"Comment"`
	DocumentName           string `json:"DocumentName"`
	DocumentVersion        string `json:"DocumentVersion"`
	PluginName             string `json:"PluginName"`
	ResponseCode           int    `json:"ResponseCode"`
	ExecutionStartDateTime string `json:"ExecutionStartDateTime"`
	ExecutionElapsedTime   string `json:"ExecutionElapsedTime"`
	ExecutionEndDateTime   string `json:"ExecutionEndDateTime"`
	Status                 string `json:"Status"`
	StatusDetails          string `json:"StatusDetails"`
	StandardOutputContent  string `json:"StandardOutputContent"`
	StandardOutputURL      string `json:"StandardOutputUrl"`
	StandardErrorContent   string `json:"StandardErrorContent"`
	StandardErrorURL       string `json:"StandardErrorUrl"`
}

// ssmTime is how GetCommandInvocation writes its date strings.
const ssmTime = "2006-01-02T15:04:05.000Z"

func ssmGetCommandInvocation(c *call) (any, error) {
	var in ssmGetInput
	if err := decodeJSON(c, &in); err != nil {
		return nil, err
	}
	if in.CommandID == "" || in.InstanceID == "" {
		return nil, jsonValidation("1 validation error detected: CommandId and InstanceId are required")
	}
	if len(in.CommandID) != 36 {
		return nil, Errorf(http.StatusBadRequest, "InvalidCommandId", "")
	}
	if in.PluginName != "" && in.PluginName != "aws:runShellScript" {
		return nil, Errorf(http.StatusBadRequest, "InvalidPluginName", "")
	}
	cmd := c.w.Diag.Commands[in.CommandID]
	if cmd == nil || !c.owns(cmd.Owner, cmd.Region) {
		return nil, Errorf(http.StatusBadRequest, "InvalidCommandId", "")
	}
	inv := cmd.Invocations[in.InstanceID]
	// For a moment after SendCommand, AWS does not know the invocation yet.
	if inv == nil || c.Now.Before(cmd.RequestedAt.Add(c.Delays().CommandVisible)) {
		return nil, Errorf(http.StatusBadRequest, "InvocationDoesNotExist", "")
	}
	out := ssmInvocationOutput{
		CommandID: cmd.ID, InstanceID: inv.InstanceID, Comment: cmd.Comment, DocumentName: cmd.DocumentName,
		DocumentVersion: "$DEFAULT", PluginName: "aws:runShellScript", ResponseCode: -1,
	}
	started := cmd.RequestedAt.Add(c.Delays().CommandPickup)
	switch {
	case c.Now.Before(started):
		out.Status, out.StatusDetails = "Pending", "Pending"
		return out, nil
	case !inv.Done:
		out.Status, out.StatusDetails = "InProgress", "InProgress"
		out.ExecutionStartDateTime = started.Format(ssmTime)
		return out, nil
	}
	end := inv.EndedAt
	if end.Before(started) {
		end = started
	}
	out.Status, out.StatusDetails, out.ResponseCode = inv.Status, inv.StatusDetails, inv.ResponseCode
	out.ExecutionStartDateTime = started.Format(ssmTime)
	out.ExecutionEndDateTime = end.Format(ssmTime)
	out.ExecutionElapsedTime = fmt.Sprintf("PT%.3fS", end.Sub(started).Seconds())
	out.StandardOutputContent, out.StandardErrorContent = inv.Stdout, inv.Stderr
	return out, nil
}

// ---- the agent ----

// commandRunner plays the SSM agent of every managed instance: it runs a
// command's script with sh (as the agent does with AWS-RunShellScript) on
// this machine, in a fresh temporary directory, with a minimal environment
// (no credentials of the sandbox's own), within the execution timeout, and
// records the result in the world.
type commandRunner struct {
	sb     *Sandbox
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func newCommandRunner(sb *Sandbox) *commandRunner {
	ctx, cancel := context.WithCancel(context.Background())
	return &commandRunner{sb: sb, ctx: ctx, cancel: cancel}
}

// close stops every running script and waits for them.
func (r *commandRunner) close() error {
	r.cancel()
	r.wg.Wait()
	return nil
}

// start runs the command on the instance in the background; called with
// the world locked, so it copies what it needs.
func (r *commandRunner) start(cmd *Command, inst *Instance, region string) {
	script := strings.Join(cmd.Commands, "\n") + "\n"
	timeout := time.Duration(cmd.ExecutionTimeout) * time.Second
	cmdID, instID := cmd.ID, inst.ID
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		res := r.run(script, timeout, instID, region)
		s := r.sb
		s.mu.Lock()
		c := s.world.Diag.Commands[cmdID]
		inv := (*Invocation)(nil)
		if c != nil {
			inv = c.Invocations[instID]
		}
		if inv == nil {
			s.mu.Unlock()
			return
		}
		res.EndedAt = s.clock.Now().UTC()
		*inv = res
		s.world.note(res.EndedAt, c.Owner, cmdID+"/"+instID, "InProgress", res.Status)
		// The result is a change no request made: on disk now, as a
		// request's would be.
		gen := s.settle(true)
		s.mu.Unlock()
		s.flushLogged(gen)
	}()
}

// run executes one script and returns its invocation result.
func (r *commandRunner) run(script string, timeout time.Duration, instanceID, region string) Invocation {
	res := Invocation{InstanceID: instanceID, Done: true}
	dir, err := os.MkdirTemp("", "plwiz-ssm-")
	if err != nil {
		res.Status, res.StatusDetails, res.ResponseCode = "Failed", "Failed", 1
		res.Stderr = "failed to create the script directory: " + err.Error()
		return res
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "_script.sh")
	if err := os.WriteFile(path, []byte(script), 0o700); err != nil {
		res.Status, res.StatusDetails, res.ResponseCode = "Failed", "Failed", 1
		res.Stderr = "failed to write the script: " + err.Error()
		return res
	}
	ctx, cancel := context.WithTimeout(r.ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", path)
	cmd.Dir = dir
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "LANG=C.UTF-8",
		"AWS_SSM_INSTANCE_ID=" + instanceID, "AWS_SSM_REGION_NAME=" + region,
	}
	cmd.WaitDelay = time.Second
	stdout := &capped{limit: ssmOutputLimit}
	stderr := &capped{limit: ssmOutputLimit}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	err = cmd.Run()
	res.Stdout = stdout.String()
	var exitErr *exec.ExitError
	switch {
	case ctx.Err() != nil && errors.Is(ctx.Err(), context.DeadlineExceeded):
		res.Status, res.StatusDetails, res.ResponseCode = "TimedOut", "ExecutionTimedOut", -1
		stderr.WriteString("\nfailed to run commands: command timed out")
	case r.ctx.Err() != nil:
		res.Status, res.StatusDetails, res.ResponseCode = "Cancelled", "Cancelled", -1
	case err == nil:
		res.Status, res.StatusDetails, res.ResponseCode = "Success", "Success", 0
	case errors.As(err, &exitErr):
		res.Status, res.StatusDetails, res.ResponseCode = "Failed", "Failed", exitErr.ExitCode()
		fmt.Fprintf(stderr, "failed to run commands: exit status %d", exitErr.ExitCode())
	default:
		res.Status, res.StatusDetails, res.ResponseCode = "Failed", "Failed", 1
		fmt.Fprintf(stderr, "failed to run commands: %v", err)
	}
	res.Stderr = stderr.String()
	return res
}

// capped keeps the first limit characters written to it, as SSM keeps the
// first 24,000 characters of each output stream.
type capped struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	limit int
	chars int
}

func (c *capped) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	rest := p
	for len(rest) > 0 && c.chars < c.limit {
		_, size := utf8.DecodeRune(rest)
		c.buf.Write(rest[:size])
		rest = rest[size:]
		c.chars++
	}
	return len(p), nil
}

func (c *capped) WriteString(s string) { _, _ = c.Write([]byte(s)) }

func (c *capped) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.ToValidUTF8(c.buf.String(), "\uFFFD")
}
