package awsops

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials/ssocreds"
	r53types "github.com/aws/aws-sdk-go-v2/service/route53/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Kind groups errors by what the user should do about them.
type Kind string

// Kinds of errors.
const (
	KindUnknown                    Kind = "unknown"
	KindAccessDenied               Kind = "access-denied"       // grant Error.Action
	KindCredentials                Kind = "credentials"         // missing, invalid or expired credentials
	KindNoRegion                   Kind = "no-region"           // pass --region
	KindUnreachable                Kind = "unreachable"         // the endpoint URL did not answer
	KindTimeout                    Kind = "timeout"             // no answer within the per-call timeout
	KindThrottled                  Kind = "throttled"           // still throttled after every retry
	KindServerError                Kind = "server-error"        // AWS 5xx after every retry
	KindNotFound                   Kind = "not-found"           // the resource does not exist (any more)
	KindServiceNotVisible          Kind = "service-not-visible" // InvalidServiceName
	KindPrivateDNSBeforeAcceptance Kind = "private-dns-before-acceptance"
	KindVPCDNSAttributes           Kind = "vpc-dns-attributes"
	KindSubnetAZNotServed          Kind = "subnet-az-not-served"
	KindPrivateDNSConflict         Kind = "private-dns-conflict"
	KindPrivateDNSNotVerified      Kind = "private-dns-not-verified"
	KindIPAddressType              Kind = "ip-address-type"    // the service, its NLBs or the subnets lack what an IP address type needs
	KindEndpointsAttached          Kind = "endpoints-attached" // ExistingVpcEndpointConnections
	KindTopicPolicy                Kind = "topic-policy"       // vpce.amazonaws.com may not publish to the topic
	KindRegionNotEnabled           Kind = "region-not-enabled" // an opt-in region the account has not enabled
	KindInvalidInput               Kind = "invalid-input"
	KindConflict                   Kind = "conflict" // already exists, idempotency mismatch
	KindPartial                    Kind = "partial"  // some items of a batch failed
	KindInternal                   Kind = "internal" // a bug in plwiz
)

// Codes plwiz gives to failures that are not AWS error responses.
const (
	CodeNoCredentials   = "NoCredentials"
	CodeSSOTokenExpired = "SSOTokenExpired"
	CodeNoRegion        = "NoRegion"
	CodeUnreachable     = "EndpointUnreachable"
	CodeTimeout         = "Timeout"
	CodeUndeclaredOp    = "UndeclaredOperation"
)

// Error is any failure of an AWS call, classified: what AWS said (Code,
// Message), what it means in plain words (Cause) and what to do (Hint).
type Error struct {
	Service string // SDK service ID, e.g. "EC2"
	Op      string // API operation, e.g. "CreateVpcEndpoint"
	// Tried is what plwiz was doing when getting credentials failed, e.g.
	// "profile prod: assuming role arn:… with MFA device arn:…".
	Tried   string
	Kind    Kind
	Code    string // AWS's error code, or one of plwiz's Code constants
	Message string // AWS's message, control characters stripped
	Cause   string
	Hint    string
	// Action is the IAM action to grant, for AccessDenied-like errors.
	Action    string
	Retryable bool
	RequestID string
	Err       error // the SDK's error
}

func (e *Error) Error() string {
	var b strings.Builder
	switch {
	case e.Tried != "":
		b.WriteString(e.Tried + ": ")
	case e.Op != "":
		fmt.Fprintf(&b, "%s %s: ", e.Service, e.Op)
	}
	b.WriteString(e.Code)
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	return b.String()
}

// Unwrap returns the SDK's error.
func (e *Error) Unwrap() error { return e.Err }

// ItemError is one item of a batch call that AWS refused inside a 200
// response (the Unsuccessful list of Accept/Reject/Delete calls).
type ItemError struct {
	ID      string
	Code    string
	Message string
}

// PartialError is a batch call in which some items failed.
type PartialError struct {
	Service, Op string
	Items       []ItemError
	Hint        string
}

func (e *PartialError) Error() string {
	parts := make([]string, len(e.Items))
	for i, it := range e.Items {
		parts[i] = fmt.Sprintf("%s: %s: %s", it.ID, it.Code, it.Message)
	}
	return fmt.Sprintf("%s %s: %d item(s) failed: %s", e.Service, e.Op, len(e.Items), strings.Join(parts, "; "))
}

// KindOf returns the kind of a classified error, or KindUnknown.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	var p *PartialError
	if errors.As(err, &p) {
		return KindPartial
	}
	return KindUnknown
}

// CodeOf returns the AWS (or plwiz) error code of a classified error.
func CodeOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// classifier carries what a hint needs to be specific: the profile, region,
// endpoint URL and role of the client that failed.
type classifier struct {
	profile     string
	region      string
	endpointURL string
	role        Role
	// plan is where the credential chain gets its credentials (nil for a
	// client built from an aws.Config).
	plan *credPlan
}

// classify turns any error from an SDK call into an *Error. A nil error
// stays nil; an *Error passes through.
func (c classifier) classify(err error) error {
	if err == nil {
		return nil
	}
	var already *Error
	if errors.As(err, &already) {
		return err
	}
	e := &Error{Err: err, Kind: KindUnknown}
	var oe *smithy.OperationError
	if errors.As(err, &oe) {
		e.Service, e.Op = oe.ServiceID, oe.OperationName
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		e.RequestID = clean(re.RequestID)
	}
	var ue *undeclaredOpError
	var apiErr smithy.APIError
	var sendErr *smithyhttp.RequestSendError
	var ssoErr *ssocreds.InvalidTokenError
	var maxErr *retry.MaxAttemptsError
	var quota *ratelimit.QuotaExceededError
	switch {
	case errors.As(err, &ue):
		e.Kind, e.Code, e.Message = KindInternal, CodeUndeclaredOp, ue.Error()
		e.Cause = "plwiz called an AWS operation that is not in its operation table (a bug in plwiz)."
		e.Hint = "Please report this; the IAM policy plwiz prints would not allow this call."
		return e
	case errors.As(err, &ssoErr) || isSSOError(err) || isCredentialsError(err) || isChainError(err):
		ce := c.credentialsError(err)
		if ce.Service == "" {
			ce.Service, ce.Op = e.Service, e.Op
		}
		return ce
	case errors.As(err, &apiErr):
		e.Code = clean(apiErr.ErrorCode())
		e.Message = clean(apiMessage(apiErr))
		status := 0
		if re != nil && re.Response != nil {
			status = re.HTTPStatusCode()
		}
		c.fromCode(e, apiErr, status)
	case errors.Is(err, context.DeadlineExceeded):
		e.Kind, e.Code, e.Retryable = KindTimeout, CodeTimeout, true
		e.Message = "no answer before the deadline"
		e.Cause = fmt.Sprintf("%s did not answer in time.", c.where(e.Service))
		e.Hint = "Check your network connection and retry; a slow proxy or VPN can cause this."
	case errors.Is(err, context.Canceled):
		e.Kind, e.Code, e.Message = KindTimeout, "Canceled", "cancelled"
		e.Cause = "The call was cancelled before AWS answered."
	case errors.As(err, &sendErr):
		c.unreachable(e, sendErr)
	case errors.As(err, &quota):
		e.Kind, e.Code, e.Retryable = KindThrottled, "RetryQuotaExceeded", true
		e.Message = clean(quota.Error())
		e.Cause = "Too many calls failed in a row; the SDK stopped retrying."
		e.Hint = "Wait a minute and retry."
	default:
		e.Code = "Error"
		e.Message = clean(err.Error())
		e.Cause = "The AWS call failed."
	}
	if errors.As(err, &maxErr) && e.Retryable {
		e.Cause = strings.TrimSpace(e.Cause + fmt.Sprintf(" plwiz retried %d times.", maxErr.Attempt))
	}
	return e
}

// apiMessage returns an API error's message; Route 53's InvalidChangeBatch
// may carry its reasons in a list instead.
func apiMessage(apiErr smithy.APIError) string {
	var icb *r53types.InvalidChangeBatch
	if errors.As(apiErr, &icb) && len(icb.Messages) > 0 {
		msgs := strs(icb.Messages)
		if m := str(icb.Message); m != "" {
			msgs = append([]string{m}, msgs...)
		}
		return strings.Join(msgs, "; ")
	}
	return apiErr.ErrorMessage()
}

func (c classifier) where(service string) string {
	if c.endpointURL != "" {
		return c.endpointURL
	}
	if service == "" {
		return "AWS"
	}
	return "AWS " + service
}

func (c classifier) profileFlag() string {
	if c.profile == "" {
		return ""
	}
	return " --profile " + c.profile
}

func (c classifier) noCredentials(e *Error) {
	e.Kind, e.Code = KindCredentials, CodeNoCredentials
	e.Message = clean(e.Err.Error())
	if c.profile != "" {
		e.Cause = fmt.Sprintf("No usable AWS credentials were found for profile %q.", c.profile)
		e.Hint = "Check the profile in ~/.aws/config and ~/.aws/credentials, or run: aws configure --profile " + c.profile
		return
	}
	e.Cause = "No AWS credentials were found (environment, shared config files, SSO, or instance role)."
	e.Hint = "Run `aws configure`, or pass --profile NAME, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (for the sandbox: the export lines `plwiz sandbox` prints)."
}

func (c classifier) unreachable(e *Error, se *smithyhttp.RequestSendError) {
	// A refused connection or an unknown host is the endpoint's address
	// being wrong: waiting will not change it. Other failures to reach it
	// (a reset, a timeout, a resolver hiccup) may pass.
	e.Kind, e.Code, e.Retryable = KindUnreachable, CodeUnreachable, !permanentConnError(se.Err)
	e.Message = clean(se.Err.Error())
	target := c.endpointURL
	var uerr *url.Error
	if errors.As(se.Err, &uerr) {
		if u, perr := url.Parse(uerr.URL); perr == nil {
			target = u.Scheme + "://" + u.Host
		}
	}
	if target == "" {
		target = "the AWS endpoint"
	}
	e.Cause = "Could not reach " + clean(target) + "."
	var dnsErr *net.DNSError
	switch {
	case c.endpointURL != "":
		e.Hint = fmt.Sprintf("Is something listening at %s (--endpoint-url / AWS_ENDPOINT_URL)? For the sandbox, start `plwiz sandbox` and use the URL it prints.", clean(c.endpointURL))
	case errors.As(se.Err, &dnsErr):
		e.Hint = fmt.Sprintf("The name did not resolve: check --region (now %q) and your DNS or proxy settings.", c.region)
	default:
		e.Hint = "Check your network connection, proxy (HTTPS_PROXY) and firewall."
	}
}

// isCredentialsError recognises the SDK's credential-chain failures, which
// are plain wrapped errors with no type of their own.
func isCredentialsError(err error) bool {
	s := err.Error()
	return strings.Contains(s, "get credentials:") || strings.Contains(s, "failed to refresh cached credentials") ||
		strings.Contains(s, "failed to retrieve credentials") || strings.Contains(s, "no EC2 IMDS role found") ||
		strings.Contains(s, "static credentials are empty") || strings.Contains(s, "anonymous credentials") ||
		strings.Contains(s, "get identity:")
}

// isChainError recognises the failures plwiz's own credential wiring
// reports (see credentials.go).
func isChainError(err error) bool {
	var m *mfaError
	var p *processError
	var s *portalError
	var h *roleHopError
	return errors.As(err, &m) || errors.As(err, &p) || errors.As(err, &s) || errors.As(err, &h)
}

func isSSOError(err error) bool {
	s := err.Error()
	return strings.Contains(s, "refresh cached SSO token failed") || strings.Contains(s, "SSO session has expired") ||
		strings.Contains(s, "failed to read cached SSO token")
}

// fromCode classifies an AWS error response by its code.
func (c classifier) fromCode(e *Error, apiErr smithy.APIError, status int) {
	if fromDiagCode(e) {
		return
	}
	msg := strings.ToLower(e.Message)
	switch e.Code {
	case "InvalidParameter", "InvalidParameterValue", "InvalidParameterCombination":
		e.Kind = KindInvalidInput
		switch {
		case strings.Contains(msg, "opt-in region") && strings.Contains(msg, "not enabled"):
			e.Kind = KindRegionNotEnabled
			e.Cause = "The request names an opt-in region that this account has not enabled; AWS refuses it for cross-region access."
			e.Hint = "Enable the region (AWS console: Account → AWS Regions, or aws account enable-region --region-name REGION), wait until it shows ENABLED, then retry; or leave that region out."
		case strings.Contains(msg, "vpce.amazonaws.com") && (strings.Contains(msg, "policy") || strings.Contains(msg, "publish")):
			e.Kind = KindTopicPolicy
			e.Cause = "The SNS topic's access policy does not let AWS PrivateLink (vpce.amazonaws.com) publish connection events to it."
			e.Hint = "Let plwiz add the statement AWS's PrivateLink guide gives (it asks first), or add to the topic's policy an Allow of SNS:Publish for the service principal vpce.amazonaws.com, then retry."
		case strings.Contains(msg, "sns topic") && strings.Contains(msg, "does not exist"):
			e.Kind = KindNotFound
			e.Cause = "The SNS topic of the notification does not exist in this region."
			e.Hint = "Check the topic ARN (region and account), or let plwiz create a topic."
		case strings.Contains(msg, "private dns") && strings.Contains(msg, "accepted"):
			e.Kind = KindPrivateDNSBeforeAcceptance
			e.Cause = "Private DNS can be turned on only after the provider has accepted the endpoint connection."
			e.Hint = "Wait until the endpoint is available (the provider must accept it first), then enable private DNS."
		case strings.Contains(msg, "enablednssupport") || strings.Contains(msg, "enablednshostnames"):
			e.Kind = KindVPCDNSAttributes
			e.Cause = "Private DNS needs both DNS attributes of the VPC on: enableDnsSupport and enableDnsHostnames."
			e.Hint = "Turn both on for the VPC (plwiz offers to; or: aws ec2 modify-vpc-attribute --vpc-id VPC --enable-dns-hostnames '{\"Value\":true}'), then retry."
		case strings.Contains(msg, "private dns") && strings.Contains(msg, "not verified"):
			e.Kind = KindPrivateDNSNotVerified
			e.Cause = "The provider's private DNS name is not verified yet, so private DNS cannot be turned on."
			e.Hint = "Ask the provider to finish the domain verification (TXT record, then verify), then retry."
		case strings.Contains(msg, "conflicting dns domain"):
			e.Kind = KindPrivateDNSConflict
			e.Cause = "Another endpoint in this VPC already answers this private DNS name; a VPC can have only one."
			e.Hint = "Turn private DNS off on the other endpoint or delete it (plwiz sessions, then plwiz teardown --session ID of the older session), then retry."
		case strings.Contains(msg, "ip address type") || strings.Contains(msg, "ipv6 cidr block") || strings.Contains(msg, "dns record ip type"):
			e.Kind = KindIPAddressType
			e.Cause = "The IP address type asked for needs what is missing: ipv6 on a service needs every one of its NLBs to be dualstack; " +
				"a dualstack endpoint needs a service that supports ipv4 and ipv6 and subnets with IPv6 CIDR blocks; the DNS record IP type must fit the endpoint's IP address type."
			e.Hint = "Read AWS's message above for what is missing; choose ipv4, or give the subnets (or the NLB) IPv6 first."
		case strings.Contains(msg, "availability zone") && strings.Contains(msg, "support"):
			e.Kind = KindSubnetAZNotServed
			e.Cause = "A chosen subnet is in an Availability Zone the endpoint service does not serve."
			e.Hint = "Pick subnets whose AZ ID the service lists. Compare AZ IDs (use1-az1), not names: the same name is a different zone in another account."
		default:
			e.Cause = "AWS refused a parameter of the request."
			e.Hint = "Read AWS's message above for which parameter."
		}
	case "ExistingVpcEndpointConnections":
		e.Kind = KindEndpointsAttached
		e.Cause = "Endpoints are still connected to the service: AWS refuses to remove a load balancer from it, or to delete it, while they are."
		e.Hint = "Reject the connected endpoints (or have their owners delete them) first, then retry."
	case "InvalidServiceName":
		e.Kind = KindServiceNotVisible
		e.Cause = "This account cannot see the endpoint service: either the provider has not allowed your principal, or the service is in another region (AWS says \"does not exist\" in both cases)."
		e.Hint = fmt.Sprintf("Ask the provider to allow your principal ARN on the service, and check that the service name's region matches --region (now %q).", c.region)
	case "InvalidVpcEndpointServiceId.NotFound", "InvalidVpcEndpointService.NotFound":
		e.Kind = KindNotFound
		e.Cause = "The endpoint service does not exist: it was deleted, or it belongs to another account or region."
		e.Hint = "List your endpoint services (plwiz provider) and pick one that exists in this region."
	case "InvalidVpcEndpointId.NotFound", "InvalidVpcEndpoint.NotFound":
		e.Kind = KindNotFound
		e.Cause = "The VPC endpoint does not exist: it was deleted, or it is in another account or region."
		e.Hint = "If it was deleted, create a new endpoint; otherwise check --region and --profile."
	case "InvalidVpcID.NotFound":
		e.Kind = KindNotFound
		e.Cause = "The VPC does not exist in this account and region."
		e.Hint = fmt.Sprintf("Choose a VPC from the list; check --region (now %q).", c.region)
	case "InvalidSubnetID.NotFound":
		e.Kind = KindNotFound
		e.Cause = "A subnet does not exist in this account and region."
		e.Hint = "Choose subnets from the list of the chosen VPC."
	case "InvalidGroup.NotFound", "InvalidGroupId.Malformed":
		e.Kind = KindNotFound
		e.Cause = "The security group does not exist in this VPC."
		e.Hint = "Choose a security group of the chosen VPC, or let plwiz create one."
	case "NotFound", "ResourceNotFound":
		// SNS: a topic or subscription.
		e.Kind = KindNotFound
		e.Cause = "The SNS topic or subscription does not exist: it was deleted, or it is in another account or region."
		e.Hint = fmt.Sprintf("Check the ARN's account and region (now %q); plwiz can create a topic for the notifications.", c.region)
	case "AWS.SimpleQueueService.NonExistentQueue":
		e.Kind = KindNotFound
		e.Cause = "The SQS queue does not exist: it was deleted, or its URL names another account or region."
		e.Hint = "Check the queue URL; plwiz can create a queue for the notifications."
	case "InvalidConnectionNotification", "InvalidConnectionNotification.NotFound":
		e.Kind = KindNotFound
		e.Cause = "The connection notification does not exist: it was deleted, or it belongs to another account or region."
		e.Hint = "List the notifications of your service or endpoint; plwiz can create one."
	case "QueueAlreadyExists":
		e.Kind = KindConflict
		e.Cause = "A queue of that name already exists with other attributes."
		e.Hint = "Use that queue, or delete it, or choose another name."
	case "AWS.SimpleQueueService.QueueDeletedRecently":
		e.Kind, e.Retryable = KindConflict, true
		e.Cause = "A queue of that name was deleted less than 60 seconds ago; SQS keeps the name that long."
		e.Hint = "Wait a minute and retry."
	case "InvalidAttributeName", "InvalidAttributeValue", "ReceiptHandleIsInvalid", "InvalidParameterException":
		e.Kind = KindInvalidInput
		e.Cause = "AWS refused a parameter of the request."
		e.Hint = "Read AWS's message above for which parameter."
	case "NoSuchHostedZone":
		e.Kind = KindNotFound
		e.Cause = "The Route 53 hosted zone does not exist in this account."
		e.Hint = "Add the TXT record by hand in the account that hosts the domain."
	case "NoSuchChange":
		e.Kind = KindNotFound
		e.Cause = "Route 53 does not know this change ID."
	case "InvalidChangeBatch":
		e.Kind = KindInvalidInput
		e.Cause = "Route 53 refused the record change."
		e.Hint = "A TXT value must be in double quotes, and a DELETE must match the existing record exactly (name, type, TTL, value)."
	case "InvalidInput":
		e.Kind = KindInvalidInput
		e.Cause = "Route 53 refused a parameter of the request."
	case "UnauthorizedOperation", "AccessDenied", "AccessDeniedException", "UnauthorizedAccess", "Forbidden", "AuthorizationError":
		e.Kind = KindAccessDenied
		e.Action = actionFor(e.Service, e.Op)
		e.Cause = "Your IAM identity is not allowed to call " + orDefault(e.Action, "this operation") + "."
		if strings.Contains(e.Message, AllowMultiRegion) {
			// ec2:* does not grant it: it is an action of its own.
			e.Action = AllowMultiRegion
			e.Cause = "Cross-region PrivateLink needs the permission-only IAM action " + AllowMultiRegion + ", which your identity is not allowed (ec2:* does not include it)."
			e.Hint = fmt.Sprintf("Grant %s to your IAM identity and check no service control policy denies it; `plwiz iam-policy %s` includes it. Or stay in one region.", AllowMultiRegion, orDefault(string(c.role), "provider|consumer"))
			break
		}
		if strings.Contains(e.Message, "resource-based policy") {
			e.Cause = "The resource belongs to another account, and its policy does not allow you " + orDefault(e.Action, "this operation") + "."
			e.Hint = "Use a topic and a queue of your own account (plwiz can create them), or ask their owner to allow your account in their policy."
			break
		}
		role := string(c.role)
		if role == "" {
			role = "provider|consumer"
		}
		e.Hint = fmt.Sprintf("Grant %s to your IAM identity; `plwiz iam-policy %s` prints every permission plwiz needs.", orDefault(e.Action, "the permission"), role)
		if strings.Contains(e.Message, "Encoded authorization failure message") {
			e.Hint += " To see why, run: aws sts decode-authorization-message --encoded-message ..."
		}
	case "ExpiredToken", "ExpiredTokenException", "RequestExpired", "TokenRefreshRequired":
		e.Kind = KindCredentials
		e.Cause = "Your AWS credentials have expired."
		e.Hint = "Refresh them: aws sso login" + c.profileFlag() + ", or get a new session token and export it again."
	case "AuthFailure", "InvalidClientTokenId", "UnrecognizedClientException", "SignatureDoesNotMatch",
		"IncompleteSignature", "MissingAuthenticationToken", "InvalidAccessKeyId", "InvalidSignatureException":
		e.Kind = KindCredentials
		e.Cause = "AWS did not accept your credentials: the access key is unknown, or the secret key does not match it."
		e.Hint = "Check the keys of your profile (aws configure" + c.profileFlag() + "); for the sandbox, use the keys `plwiz sandbox` printed. Also check your computer's clock."
		if c.region != "" {
			// A region the account has not enabled refuses every key.
			e.Hint += fmt.Sprintf(" If %s is an opt-in region, check that your account has enabled it.", c.region)
		}
	case "RequestLimitExceeded", "Throttling", "ThrottlingException", "TooManyRequestsException", "Throttled",
		"PriorRequestNotComplete", "RequestThrottled", "RequestThrottledException", "SlowDown":
		e.Kind, e.Retryable = KindThrottled, true
		e.Cause = "AWS is throttling this account's API calls."
		e.Hint = "Wait a minute and retry; other tools calling the same API in this account share the limit."
	case "IdempotentParameterMismatch":
		e.Kind = KindConflict
		e.Cause = "A request with the same client token was made before with different parameters."
		e.Hint = "Start a new plwiz session to create a new resource, or resume the old one unchanged."
	case "InvalidGroup.Duplicate", "InvalidPermission.Duplicate":
		e.Kind = KindConflict
		e.Cause = "It already exists."
	case "DryRunOperation":
		e.Kind = KindUnknown
	default:
		if status >= 500 || apiErr.ErrorFault() == smithy.FaultServer || strings.HasPrefix(e.Code, "Internal") || strings.Contains(e.Code, "Unavailable") {
			e.Kind, e.Retryable = KindServerError, true
			e.Cause = "AWS had an internal error."
			e.Hint = "Retry in a moment; if it persists, check the AWS Health Dashboard."
			return
		}
		if strings.HasSuffix(e.Code, ".NotFound") {
			e.Kind = KindNotFound
			e.Cause = "A resource named in the request does not exist."
			return
		}
		e.Cause = "AWS refused the request."
	}
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}
