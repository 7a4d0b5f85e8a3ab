package awsops

import "strings"

// fromDiagCode classifies the errors of the load balancer checks, Run
// Command and the Reachability Analyzer; false leaves the code to
// fromCode's other cases.
func fromDiagCode(e *Error) bool {
	switch e.Code {
	case "TargetGroupNotFound":
		e.Kind = KindNotFound
		e.Cause = "The target group does not exist (any more) in this account and region."
		e.Hint = "Check the listener's default action in the EC2 console (Load Balancers → Listeners)."
	case "LoadBalancerNotFound":
		e.Kind = KindNotFound
		e.Cause = "The load balancer does not exist in this account and region."
		e.Hint = "Pick a load balancer from `aws elbv2 describe-load-balancers`; check --region and --profile."
	case "ListenerNotFound":
		e.Kind = KindNotFound
		e.Cause = "The listener does not exist (any more)."
	case "ResourceNotFoundException":
		e.Kind = KindNotFound
		e.Cause = "The certificate does not exist in this account and region (ACM certificates are regional)."
		e.Hint = "Import or request the certificate in the load balancer's region, and attach it to the TLS listener."
	case "InvalidArnException":
		e.Kind = KindInvalidInput
		e.Cause = "The ARN is not a valid ACM certificate ARN."
	case "InvalidConfigurationRequest":
		e.Kind = KindInvalidInput
		e.Cause = "Elastic Load Balancing refused the change."
		if strings.Contains(strings.ToLower(e.Message), "security group") {
			e.Hint = "A Network Load Balancer created without security groups cannot get any, and one created with them must keep at least one; create a new NLB to change that."
		}
	case "InvalidSecurityGroup":
		e.Kind = KindNotFound
		e.Cause = "A security group does not exist in the load balancer's VPC."
	case "InvalidTarget":
		e.Kind = KindInvalidInput
		e.Cause = "A target is not valid for this target group."
	case "InvalidInstanceId":
		e.Kind = KindInvalidInput
		e.Cause = "SSM cannot run commands on the instance: it is not managed by SSM, not running, or its agent is not connected (not Online)."
		e.Hint = "Install and start the SSM agent, give the instance a role with AmazonSSMManagedInstanceCore, and let it reach SSM (a NAT gateway or the ssm, ssmmessages and ec2messages endpoints); or pick another instance."
	case "InvalidDocument":
		e.Kind = KindInvalidInput
		e.Cause = "SSM does not know the document AWS-RunShellScript in this region."
	case "InvalidCommandId", "InvocationDoesNotExist":
		e.Kind = KindNotFound
		e.Cause = "SSM does not know this command on this instance (yet: right after SendCommand it takes a moment)."
	case "InvalidInstanceID.NotFound", "InvalidInstanceID.Malformed":
		e.Kind = KindNotFound
		e.Cause = "The instance does not exist in this account and region."
		e.Hint = "Pick an instance of the consumer VPC."
	case "InvalidNetworkInsightsPathId.NotFound", "InvalidNetworkInsightsAnalysisId.NotFound":
		e.Kind = KindNotFound
		e.Cause = "The Reachability Analyzer path or analysis does not exist (any more)."
	case "DependencyViolation":
		e.Kind = KindConflict
		e.Cause = "Something still uses it: an endpoint or instance still in a security group, or analyses of a Reachability Analyzer path."
		e.Hint = "Delete what depends on it first, then retry."
	default:
		return false
	}
	return true
}
