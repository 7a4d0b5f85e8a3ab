package sandbox_test

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/plwiz/plwiz/sandbox"
	"github.com/plwiz/plwiz/sandbox/sbtest"
)

// managedInstance returns the consumer's SSM-managed instance.
func managedInstance(t *testing.T, env *sbtest.Env) string {
	t.Helper()
	out, err := ssm.NewFromConfig(env.Config(t, "consumer")).DescribeInstanceInformation(sbtest.Context(t), &ssm.DescribeInstanceInformationInput{})
	if err != nil || len(out.InstanceInformationList) != 1 {
		t.Fatalf("DescribeInstanceInformation: %v (%d instances)", err, len(out.InstanceInformationList))
	}
	return aws.ToString(out.InstanceInformationList[0].InstanceId)
}

// runCommand sends a script, moves the clock past delivery and waits (in
// real time: the script really runs) for the invocation to end.
func runCommand(t *testing.T, env *sbtest.Env, instance string, params map[string][]string) *ssm.GetCommandInvocationOutput {
	t.Helper()
	ctx := sbtest.Context(t)
	c := ssm.NewFromConfig(env.Config(t, "consumer"))
	sent, err := c.SendCommand(ctx, &ssm.SendCommandInput{DocumentName: aws.String("AWS-RunShellScript"), InstanceIds: []string{instance}, Parameters: params})
	if err != nil {
		t.Fatalf("SendCommand: %v", err)
	}
	if sent.Command.Status != ssmtypes.CommandStatusPending || aws.ToString(sent.Command.CommandId) == "" {
		t.Fatalf("sent command = %+v, want a Pending command with an ID", sent.Command)
	}
	in := &ssm.GetCommandInvocationInput{CommandId: sent.Command.CommandId, InstanceId: aws.String(instance)}
	_, err = c.GetCommandInvocation(ctx, in)
	apiCode(t, err, "InvocationDoesNotExist")
	d := sandbox.DefaultDelays()
	env.Advance(t, d.CommandVisible)
	got, err := c.GetCommandInvocation(ctx, in)
	if err != nil || got.Status != ssmtypes.CommandInvocationStatusPending {
		t.Fatalf("once visible: %v %v, want Pending", err, got)
	}
	env.Advance(t, d.CommandPickup)
	deadline := time.Now().Add(15 * time.Second)
	for {
		got, err = c.GetCommandInvocation(ctx, in)
		if err != nil {
			t.Fatalf("GetCommandInvocation: %v", err)
		}
		if got.Status != ssmtypes.CommandInvocationStatusInProgress {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("command still InProgress after 15s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestRunCommandRunsTheScript(t *testing.T) {
	t.Setenv("AWS_SECRET_ACCESS_KEY", "must-not-leak")
	env := sbtest.Start(t, sbtest.Options{})
	inst := managedInstance(t, env)

	got := runCommand(t, env, inst, map[string][]string{"commands": {"echo hello from $AWS_SSM_INSTANCE_ID", "echo to-stderr >&2", "echo key=${AWS_SECRET_ACCESS_KEY:-none}"}})
	if got.Status != ssmtypes.CommandInvocationStatusSuccess || got.ResponseCode != 0 ||
		aws.ToString(got.StandardOutputContent) != "hello from "+inst+"\nkey=none\n" ||
		aws.ToString(got.StandardErrorContent) != "to-stderr\n" || aws.ToString(got.PluginName) != "aws:runShellScript" ||
		aws.ToString(got.ExecutionStartDateTime) == "" || aws.ToString(got.ExecutionEndDateTime) == "" {
		t.Fatalf("invocation = status %s code %d stdout %q stderr %q", got.Status, got.ResponseCode, aws.ToString(got.StandardOutputContent), aws.ToString(got.StandardErrorContent))
	}

	failed := runCommand(t, env, inst, map[string][]string{"commands": {"echo partial", "exit 3"}})
	if failed.Status != ssmtypes.CommandInvocationStatusFailed || failed.ResponseCode != 3 ||
		aws.ToString(failed.StandardOutputContent) != "partial\n" ||
		!strings.Contains(aws.ToString(failed.StandardErrorContent), "failed to run commands: exit status 3") {
		t.Fatalf("failed invocation = %s %d %q %q", failed.Status, failed.ResponseCode, aws.ToString(failed.StandardOutputContent), aws.ToString(failed.StandardErrorContent))
	}

	long := runCommand(t, env, inst, map[string][]string{"commands": {"head -c 30000 /dev/zero | tr '\\0' x"}})
	if n := len(aws.ToString(long.StandardOutputContent)); n != 24000 {
		t.Fatalf("30000 characters of output came back as %d, want the first 24000", n)
	}

	slow := runCommand(t, env, inst, map[string][]string{"commands": {"sleep 10"}, "executionTimeout": {"1"}})
	if slow.Status != ssmtypes.CommandInvocationStatusTimedOut || aws.ToString(slow.StatusDetails) != "ExecutionTimedOut" {
		t.Fatalf("slow invocation = %s %s, want TimedOut ExecutionTimedOut", slow.Status, aws.ToString(slow.StatusDetails))
	}
}

func TestRunCommandRefusals(t *testing.T) {
	t.Parallel()
	env := sbtest.Start(t, sbtest.Options{})
	ctx := sbtest.Context(t)
	c := ssm.NewFromConfig(env.Config(t, "consumer"))
	inst := managedInstance(t, env)

	online, err := c.DescribeInstanceInformation(ctx, &ssm.DescribeInstanceInformationInput{Filters: []ssmtypes.InstanceInformationStringFilter{
		{Key: aws.String("PingStatus"), Values: []string{"Online"}}, {Key: aws.String("InstanceIds"), Values: []string{inst}}}})
	if err != nil || len(online.InstanceInformationList) != 1 || online.InstanceInformationList[0].PingStatus != ssmtypes.PingStatusOnline ||
		online.InstanceInformationList[0].PlatformType != ssmtypes.PlatformTypeLinux || aws.ToString(online.InstanceInformationList[0].IPAddress) == "" {
		t.Fatalf("filtered DescribeInstanceInformation: %v %+v", err, online)
	}
	none, err := c.DescribeInstanceInformation(ctx, &ssm.DescribeInstanceInformationInput{Filters: []ssmtypes.InstanceInformationStringFilter{
		{Key: aws.String("PingStatus"), Values: []string{"ConnectionLost"}}}})
	if err != nil || len(none.InstanceInformationList) != 0 {
		t.Fatalf("ConnectionLost filter: %v %d", err, len(none.InstanceInformationList))
	}
	_, err = c.DescribeInstanceInformation(ctx, &ssm.DescribeInstanceInformationInput{Filters: []ssmtypes.InstanceInformationStringFilter{
		{Key: aws.String("Nope"), Values: []string{"x"}}}})
	apiCode(t, err, "InvalidInstanceInformationFilterValue")
	// The provider's instances are not managed by SSM.
	prov, err := ssm.NewFromConfig(env.Config(t, "provider")).DescribeInstanceInformation(ctx, &ssm.DescribeInstanceInformationInput{})
	if err != nil || len(prov.InstanceInformationList) != 0 {
		t.Fatalf("provider's managed instances: %v %d, want none", err, len(prov.InstanceInformationList))
	}

	_, err = c.SendCommand(ctx, &ssm.SendCommandInput{DocumentName: aws.String("AWS-RunPowerShellScript"), InstanceIds: []string{inst},
		Parameters: map[string][]string{"commands": {"echo"}}})
	apiCode(t, err, "InvalidDocument")
	_, err = c.SendCommand(ctx, &ssm.SendCommandInput{DocumentName: aws.String("AWS-RunShellScript"), InstanceIds: []string{"i-0123456789abcdef0"},
		Parameters: map[string][]string{"commands": {"echo"}}})
	if msg := apiCode(t, err, "InvalidInstanceId"); !strings.Contains(msg, "i-0123456789abcdef0") {
		t.Fatalf("InvalidInstanceId message %q does not name the instance", msg)
	}
	_, err = c.SendCommand(ctx, &ssm.SendCommandInput{DocumentName: aws.String("AWS-RunShellScript"), InstanceIds: []string{inst},
		Parameters: map[string][]string{"script": {"echo"}}})
	apiCode(t, err, "InvalidParameters")
	_, err = c.GetCommandInvocation(ctx, &ssm.GetCommandInvocationInput{CommandId: aws.String("00000000-0000-4000-a000-000000000000"), InstanceId: aws.String(inst)})
	apiCode(t, err, "InvalidCommandId")
}

// TestRunCommandAcrossARestart: a command still running when the sandbox
// stops ends as Failed in the world it saved, rather than InProgress
// forever.
func TestRunCommandAcrossARestart(t *testing.T) {
	t.Parallel()
	env := sbtest.Start(t, sbtest.Options{})
	inst := managedInstance(t, env)
	ctx := sbtest.Context(t)
	c := ssm.NewFromConfig(env.Config(t, "consumer"))
	sent, err := c.SendCommand(ctx, &ssm.SendCommandInput{DocumentName: aws.String("AWS-RunShellScript"), InstanceIds: []string{inst},
		Parameters: map[string][]string{"commands": {"sleep 30"}}})
	if err != nil {
		t.Fatal(err)
	}
	path := t.TempDir() + "/world.json"
	env.SB.World(func(w *sandbox.World, _ time.Time) {
		if err := w.Save(path); err != nil {
			t.Fatal(err)
		}
	})
	w, err := sandbox.LoadWorld(path)
	if err != nil {
		t.Fatal(err)
	}
	env2 := sbtest.Start(t, sbtest.Options{World: w})
	env2.Advance(t, time.Minute)
	got, err := ssm.NewFromConfig(env2.Config(t, "consumer")).GetCommandInvocation(ctx, &ssm.GetCommandInvocationInput{CommandId: sent.Command.CommandId, InstanceId: aws.String(inst)})
	if err != nil || got.Status != ssmtypes.CommandInvocationStatusFailed {
		t.Fatalf("after a restart: %v %+v, want Failed", err, got)
	}
}
