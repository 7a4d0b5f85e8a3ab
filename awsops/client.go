package awsops

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/processcreds"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Defaults for Options.
const (
	DefaultTimeout     = 30 * time.Second
	DefaultMaxAttempts = 8
	// DefaultMaxBackoff caps the pause between two attempts of a call.
	DefaultMaxBackoff = 2 * time.Second
)

// Options shape a Client.
type Options struct {
	Profile     string // shared config profile; "" uses the SDK's default (AWS_PROFILE)
	Region      string // wins over the profile and AWS_REGION
	EndpointURL string // wins over AWS_ENDPOINT_URL; "" means AWS (or AWS_ENDPOINT_URL)
	// LogWriter, when set, gets one line per HTTP attempt: service,
	// operation, method, status, error code, duration. Never credentials,
	// headers or bodies.
	LogWriter io.Writer
	// Timeout bounds each operation, retries included; 0 means DefaultTimeout.
	Timeout time.Duration
	// MaxAttempts per operation (adaptive retry mode); 0 means DefaultMaxAttempts.
	MaxAttempts int
	// MaxBackoff caps the wait between retries; 0 means DefaultMaxBackoff.
	MaxBackoff time.Duration
	// APIOptions are extra SDK middleware, e.g. to count calls in tests.
	APIOptions []func(*middleware.Stack) error
	// MFA asks for the code when the profile's role has an mfa_serial; nil
	// makes such a profile fail with a clear error.
	MFA MFAPrompt
}

// Client is one account's and region's connection to AWS. Use Provider or
// Consumer for the operations of a role.
type Client struct {
	region      string
	endpointURL string
	timeout     time.Duration // per operation, retries included
	creds       aws.CredentialsProvider
	cls         classifier

	ec2 *ec2.Client
	elb *elbv2.Client
	r53 *route53.Client
	sts *sts.Client
	sns *sns.Client
	sqs *sqs.Client
	ssm *ssm.Client
	acm *acm.Client

	// zones is the account's AZ names and IDs, read once: the mapping of
	// an account's zone names to zone IDs never changes.
	zonesMu sync.Mutex
	zones   []AZ
}

// Load builds a Client from the SDK's default chain (environment, shared
// config and credentials files with source_profile chains, MFA,
// credential_process, IAM Identity Center, container and instance roles)
// with the profile, region and endpoint URL of o. It makes no AWS call and
// asks for no MFA code; Identity (or ResolveCredentials) is the early check.
func Load(ctx context.Context, o Options) (*Client, error) {
	cls := classifier{profile: o.Profile, region: o.Region, endpointURL: o.EndpointURL}
	wiring := &credWiring{prompt: o.MFA}
	lo := wiring.loadOptions()
	if o.Profile != "" {
		lo = append(lo, config.WithSharedConfigProfile(o.Profile))
	}
	if o.Region != "" {
		lo = append(lo, config.WithRegion(o.Region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, lo...)
	if err != nil {
		return nil, cls.loadError(err)
	}
	plan := newCredPlan(cfg.ConfigSources, o.Profile != "")
	wiring.plan = plan
	if plan.root.kind == rootProcess {
		wiring.process = &processProvider{profile: plan.root.profile, command: plan.root.command}
		if aws.IsCredentialsProvider(cfg.Credentials, (*processcreds.Provider)(nil)) {
			cfg.Credentials = aws.NewCredentialsCache(wiring.process)
		}
	}
	c, err := New(cfg, o)
	if err != nil {
		return nil, err
	}
	c.cls.plan = plan
	wiring.setRoute(c.endpointURL, o.EndpointURL != "")
	return c, nil
}

// New builds a Client from an aws.Config (tests pass the sandbox's). The
// options' region and endpoint URL win over the config's; retries are the
// SDK's adaptive mode.
func New(cfg aws.Config, o Options) (*Client, error) {
	cfg = cfg.Copy()
	if o.Region != "" {
		cfg.Region = o.Region
	}
	if o.EndpointURL != "" {
		cfg.BaseEndpoint = aws.String(o.EndpointURL)
	}
	endpointURL := aws.ToString(cfg.BaseEndpoint)
	cls := classifier{profile: o.Profile, region: cfg.Region, endpointURL: endpointURL}
	if cfg.Region == "" {
		return nil, &Error{Kind: KindNoRegion, Code: CodeNoRegion, Message: "no region configured",
			Cause: "No AWS region is set (not by --region, AWS_REGION, nor the profile).",
			Hint:  "Pass --region, e.g. --region us-east-1, or set AWS_REGION, or add `region = ...` to your profile."}
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	cfg.RetryMaxAttempts = 0 // the retryer below carries the limit
	cfg.Retryer = func() aws.Retryer { return newRetryer(o) }
	var lg *attemptLogger
	if o.LogWriter != nil {
		lg = &attemptLogger{w: o.LogWriter}
	}
	cfg.APIOptions = append(append([]func(*middleware.Stack) error{}, cfg.APIOptions...),
		func(s *middleware.Stack) error { return s.Initialize.Add(opGuard{}, middleware.After) },
		func(s *middleware.Stack) error {
			return s.Initialize.Add(timeoutMiddleware{d: o.Timeout}, middleware.After)
		},
	)
	if lg != nil {
		cfg.APIOptions = append(cfg.APIOptions, lg.register)
	}
	cfg.APIOptions = append(cfg.APIOptions, o.APIOptions...)
	return &Client{
		region:      cfg.Region,
		endpointURL: endpointURL,
		timeout:     o.Timeout,
		creds:       cfg.Credentials,
		cls:         cls,
		ec2:         ec2.NewFromConfig(cfg),
		elb:         elbv2.NewFromConfig(cfg),
		r53:         route53.NewFromConfig(cfg),
		sts:         sts.NewFromConfig(cfg),
		sns:         sns.NewFromConfig(cfg),
		sqs:         sqs.NewFromConfig(cfg),
		ssm:         ssm.NewFromConfig(cfg),
		acm:         acm.NewFromConfig(cfg),
	}, nil
}

// Region is the region the client talks to.
func (c *Client) Region() string { return c.region }

// EndpointURL is the custom endpoint URL, or "" for AWS.
func (c *Client) EndpointURL() string { return c.endpointURL }

// loadError explains a failure to read the shared config.
func (c classifier) loadError(err error) error {
	e := &Error{Err: err, Kind: KindCredentials, Code: "ConfigError", Message: clean(err.Error())}
	if c.configError(e, err) {
		return e
	}
	var notExist config.SharedConfigProfileNotExistError
	if errors.As(err, &notExist) {
		e.Code = "ProfileNotFound"
		e.Cause = fmt.Sprintf("The profile %q is not in your AWS config files.", clean(notExist.Profile))
		e.Hint = "List your profiles with `aws configure list-profiles`, or create it with `aws configure --profile NAME`."
		return e
	}
	e.Cause = "Could not read the AWS configuration (~/.aws/config, ~/.aws/credentials, environment)."
	e.Hint = "Fix the file named in the message, or pass --profile for another profile."
	return e
}

// base ties a Client to the operations of one role: every call names an
// operation of the table, and the guard middleware refuses anything else.
type base struct {
	c    *Client
	role Role
}

// Provider is the provider's view: NLBs, endpoint services, permissions,
// private DNS and its TXT record, connections.
type Provider struct{ base }

// Consumer is the consumer's view: service lookup, VPCs, subnets, security
// groups, interface endpoints.
type Consumer struct{ base }

// Provider returns the provider operations of the client.
func (c *Client) Provider() *Provider { return &Provider{base{c: c, role: RoleProvider}} }

// Consumer returns the consumer operations of the client.
func (c *Client) Consumer() *Consumer { return &Consumer{base{c: c, role: RoleConsumer}} }

// Role is the role the operations belong to.
func (b *base) Role() Role { return b.role }

// Region is the region of the client.
func (b *base) Region() string { return b.c.region }

type opKey struct{}

type declaredOp struct {
	op   opID
	role Role
}

// with declares which table operation the next SDK call on ctx performs.
func (b *base) with(ctx context.Context, op opID) context.Context {
	return context.WithValue(ctx, opKey{}, declaredOp{op: op, role: b.role})
}

// fail classifies an error of the role's client, adding what was being done.
func (b *base) fail(what string, err error) error {
	cls := b.c.cls
	cls.role = b.role
	return fmt.Errorf("%s: %w", what, cls.classify(err))
}

// undeclaredOpError is what the guard returns for a call outside the table.
type undeclaredOpError struct {
	service, name, declared string
	role                    Role
}

func (e *undeclaredOpError) Error() string {
	if e.declared == "" {
		return fmt.Sprintf("%s %s was called without declaring a table operation", e.service, e.name)
	}
	return fmt.Sprintf("%s %s was called as %s (role %s), which the operation table does not allow", e.service, e.name, e.declared, e.role)
}

// opGuard refuses any SDK call that is not the table operation declared on
// the context for the caller's role. This is what keeps the IAM policy and
// the code from drifting apart: an undeclared call fails in every test.
type opGuard struct{}

func (opGuard) ID() string { return "plwiz/OperationGuard" }

func (opGuard) HandleInitialize(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
	service, name := middleware.GetServiceID(ctx), middleware.GetOperationName(ctx)
	d, ok := ctx.Value(opKey{}).(declaredOp)
	if !ok {
		return middleware.InitializeOutput{}, middleware.Metadata{}, &undeclaredOpError{service: service, name: name}
	}
	o := operations[d.op]
	if o.Service != service || o.Name != name || !o.For(d.role) {
		return middleware.InitializeOutput{}, middleware.Metadata{}, &undeclaredOpError{service: service, name: name, declared: o.Service + " " + o.Name, role: d.role}
	}
	return next.HandleInitialize(ctx, in)
}

// timeoutMiddleware bounds one operation, retries included.
type timeoutMiddleware struct{ d time.Duration }

func (timeoutMiddleware) ID() string { return "plwiz/Timeout" }

func (t timeoutMiddleware) HandleInitialize(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
	ctx, cancel := context.WithTimeout(ctx, t.d)
	defer cancel()
	return next.HandleInitialize(ctx, in)
}

// attemptLogger writes one line per HTTP attempt.
type attemptLogger struct {
	mu sync.Mutex
	w  io.Writer
}

type attemptKey struct{}

func (l *attemptLogger) register(s *middleware.Stack) error {
	if err := s.Initialize.Add(middleware.InitializeMiddlewareFunc("plwiz/AttemptCounter",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			return next.HandleInitialize(context.WithValue(ctx, attemptKey{}, new(atomic.Int32)), in)
		}), middleware.After); err != nil {
		return err
	}
	return s.Finalize.Add(middleware.FinalizeMiddlewareFunc("plwiz/AttemptLog",
		func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			attempt := int32(0)
			if n, ok := ctx.Value(attemptKey{}).(*atomic.Int32); ok {
				attempt = n.Add(1)
			}
			method, path := "", ""
			if req, ok := in.Request.(*smithyhttp.Request); ok {
				method, path = req.Method, req.URL.Path
			}
			start := time.Now()
			out, md, err := next.HandleFinalize(ctx, in)
			status := 0
			if raw, ok := awsmiddleware.GetRawResponse(md).(*smithyhttp.Response); ok && raw != nil {
				status = raw.StatusCode
			}
			var re *awshttp.ResponseError
			if errors.As(err, &re) && re.Response != nil {
				status = re.HTTPStatusCode()
			}
			result := "ok"
			if err != nil {
				result = "error " + errorCode(err)
			}
			l.mu.Lock()
			defer l.mu.Unlock()
			fmt.Fprintf(l.w, "%s aws %s %s attempt=%d %s %s status=%d %s %s\n",
				time.Now().UTC().Format(time.RFC3339), middleware.GetServiceID(ctx), middleware.GetOperationName(ctx),
				attempt, method, clean(path), status, result, time.Since(start).Round(time.Millisecond))
			return out, md, err
		}), middleware.After)
}

// errorCode is the AWS code of an error, or a short word for other failures.
func errorCode(err error) string {
	var apiErr smithy.APIError
	switch {
	case errors.As(err, &apiErr):
		return clean(apiErr.ErrorCode())
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	}
	var se *smithyhttp.RequestSendError
	if errors.As(err, &se) {
		return "send-failed"
	}
	return strings.ReplaceAll(fmt.Sprintf("%T", err), " ", "")
}
