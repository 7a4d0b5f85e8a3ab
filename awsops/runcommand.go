package awsops

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// runCommandAPI is what running the check inside the VPC needs from SSM.
type runCommandAPI interface {
	ssm.DescribeInstanceInformationAPIClient
	SendCommand(context.Context, *ssm.SendCommandInput, ...func(*ssm.Options)) (*ssm.SendCommandOutput, error)
	GetCommandInvocation(context.Context, *ssm.GetCommandInvocationInput, ...func(*ssm.Options)) (*ssm.GetCommandInvocationOutput, error)
}

// Instance is an EC2 instance as the in-VPC checks need it.
type Instance struct {
	ID             string
	Name           string // the Name tag
	State          string // running | stopped | ...
	VPCID          string
	SubnetID       string
	Zone           string // AZ name
	PrivateIP      string
	SecurityGroups []string
	ENIs           []string // network interface IDs, primary first
}

// instances pages through DescribeInstances.
func (b *base) instances(ctx context.Context, in *ec2.DescribeInstancesInput) ([]Instance, error) {
	var api instancesAPI = b.c.ec2
	pages := ec2.NewDescribeInstancesPaginator(api, in)
	var out []Instance
	for pages.HasMorePages() {
		page, err := pages.NextPage(b.with(ctx, opDescribeInstances))
		if err != nil {
			return nil, b.fail("list instances", err)
		}
		for _, r := range page.Reservations {
			for _, i := range r.Instances {
				x := Instance{ID: str(i.InstanceId), VPCID: str(i.VpcId), SubnetID: str(i.SubnetId), PrivateIP: str(i.PrivateIpAddress),
					Name: fromEC2Tags(i.Tags)["Name"]}
				if i.State != nil {
					x.State = clean(string(i.State.Name))
				}
				if i.Placement != nil {
					x.Zone = str(i.Placement.AvailabilityZone)
				}
				for _, g := range i.SecurityGroups {
					x.SecurityGroups = append(x.SecurityGroups, str(g.GroupId))
				}
				nis := slices.Clone(i.NetworkInterfaces)
				slices.SortFunc(nis, func(a, b ec2types.InstanceNetworkInterface) int {
					return int(attachmentIndex(a) - attachmentIndex(b))
				})
				for _, ni := range nis {
					x.ENIs = append(x.ENIs, str(ni.NetworkInterfaceId))
				}
				out = append(out, x)
			}
		}
	}
	return out, nil
}

func attachmentIndex(ni ec2types.InstanceNetworkInterface) int32 {
	if ni.Attachment == nil {
		return 0
	}
	return aws.ToInt32(ni.Attachment.DeviceIndex)
}

// ManagedInstance is an instance of the VPC that SSM can run commands on.
type ManagedInstance struct {
	Instance
	PingStatus string // Online | ConnectionLost | Inactive
	Platform   string // e.g. "Amazon Linux 2023", "Ubuntu 24.04"
	Agent      string
}

// Online reports whether SSM can deliver a command to it now.
func (m ManagedInstance) Online() bool { return m.PingStatus == string(ssmtypes.PingStatusOnline) }

// ManagedInstances lists the running instances of a VPC that the SSM agent
// manages, Online ones first: DescribeInstanceInformation joined with
// DescribeInstances (which alone knows the VPC).
func (c *Consumer) ManagedInstances(ctx context.Context, vpcID string) ([]ManagedInstance, error) {
	var api runCommandAPI = c.c.ssm
	pages := ssm.NewDescribeInstanceInformationPaginator(api, &ssm.DescribeInstanceInformationInput{
		Filters:    []ssmtypes.InstanceInformationStringFilter{{Key: aws.String("ResourceType"), Values: []string{"EC2Instance"}}},
		MaxResults: aws.Int32(50)})
	managed := map[string]ssmtypes.InstanceInformation{}
	for pages.HasMorePages() {
		page, err := pages.NextPage(c.with(ctx, opDescribeInstanceInformation))
		if err != nil {
			return nil, c.fail("list SSM managed instances", err)
		}
		for _, ii := range page.InstanceInformationList {
			managed[str(ii.InstanceId)] = ii
		}
	}
	if len(managed) == 0 {
		return nil, nil
	}
	ins, err := c.instances(ctx, &ec2.DescribeInstancesInput{MaxResults: aws.Int32(1000), Filters: []ec2types.Filter{
		filter("vpc-id", vpcID), filter("instance-state-name", "running")}})
	if err != nil {
		return nil, fmt.Errorf("list SSM managed instances in %s: %w", vpcID, err)
	}
	var out []ManagedInstance
	for _, in := range ins {
		ii, ok := managed[in.ID]
		if !ok {
			continue
		}
		out = append(out, ManagedInstance{Instance: in, PingStatus: clean(string(ii.PingStatus)),
			Platform: strings.TrimSpace(str(ii.PlatformName) + " " + str(ii.PlatformVersion)), Agent: str(ii.AgentVersion)})
	}
	slices.SortFunc(out, func(a, b ManagedInstance) int {
		if a.Online() != b.Online() {
			if a.Online() {
				return -1
			}
			return 1
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// SendShellScript runs commands on one instance with AWS-RunShellScript and
// returns the command ID. timeout bounds the script's run on the instance
// (executionTimeout); comment is shown in the SSM console (at most 100
// characters).
func (c *Consumer) SendShellScript(ctx context.Context, instanceID string, commands []string, timeout time.Duration, comment string) (string, error) {
	if !strings.HasPrefix(instanceID, "i-") {
		return "", fmt.Errorf("run command: %q is not an instance ID (i-...)", instanceID)
	}
	if len(commands) == 0 {
		return "", fmt.Errorf("run command on %s: no commands", instanceID)
	}
	secs := int(timeout.Round(time.Second) / time.Second)
	if secs < 1 {
		secs = 60
	}
	if len(comment) > 100 {
		comment = comment[:100]
	}
	var api runCommandAPI = c.c.ssm
	out, err := api.SendCommand(c.with(ctx, opSendCommand), &ssm.SendCommandInput{
		DocumentName: aws.String("AWS-RunShellScript"), InstanceIds: []string{instanceID}, Comment: aws.String(comment),
		Parameters: map[string][]string{"commands": commands, "executionTimeout": {fmt.Sprint(secs)}},
	})
	if err != nil {
		return "", c.fail("run command on "+instanceID, err)
	}
	if out.Command == nil || str(out.Command.CommandId) == "" {
		return "", fmt.Errorf("run command on %s: AWS returned no command ID", instanceID)
	}
	return str(out.Command.CommandId), nil
}

// CommandResult is one command's run on one instance.
type CommandResult struct {
	// Done is set once the run ended (Success, Failed, TimedOut,
	// Cancelled, ...); Status is SSM's word for where it is.
	Done          bool
	Status        string
	StatusDetails string
	ExitCode      int32 // -1 while running
	Stdout        string
	Stderr        string
}

// OK reports whether the run ended with exit status 0.
func (r CommandResult) OK() bool {
	return r.Done && r.Status == string(ssmtypes.CommandInvocationStatusSuccess)
}

// CommandResult reads where a command's run on an instance is. Right after
// SendCommand AWS does not know the invocation yet (InvocationDoesNotExist):
// that is reported as Pending, not as an error.
func (c *Consumer) CommandResult(ctx context.Context, commandID, instanceID string) (CommandResult, error) {
	var api runCommandAPI = c.c.ssm
	out, err := api.GetCommandInvocation(c.with(ctx, opGetCommandInvocation), &ssm.GetCommandInvocationInput{
		CommandId: aws.String(commandID), InstanceId: aws.String(instanceID)})
	if err != nil {
		if CodeOf(c.fail("", err)) == "InvocationDoesNotExist" {
			return CommandResult{Status: string(ssmtypes.CommandInvocationStatusPending), ExitCode: -1}, nil
		}
		return CommandResult{}, c.fail("read command "+commandID+" on "+instanceID, err)
	}
	r := CommandResult{Status: clean(string(out.Status)), StatusDetails: str(out.StatusDetails), ExitCode: out.ResponseCode,
		// The output is the instance's: kept raw for the parser, which
		// strips what must not reach a terminal.
		Stdout: aws.ToString(out.StandardOutputContent), Stderr: aws.ToString(out.StandardErrorContent)}
	switch out.Status {
	case ssmtypes.CommandInvocationStatusPending, ssmtypes.CommandInvocationStatusInProgress,
		ssmtypes.CommandInvocationStatusDelayed, ssmtypes.CommandInvocationStatusCancelling:
	default:
		r.Done = true
	}
	return r, nil
}
