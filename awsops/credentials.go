package awsops

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/processcreds"
	"github.com/aws/aws-sdk-go-v2/credentials/ssocreds"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sso"
	"github.com/aws/aws-sdk-go-v2/service/ssooidc"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// Credentials as companies have them: the SDK's default chain resolves
// them (environment, shared config with source_profile chains, MFA,
// credential_process, IAM Identity Center, container and instance roles).
// This file wires that chain the way the AWS CLI behaves and explains its
// failures: which profile, what was tried, and the command that fixes it.
//
// Three things the SDK does not do on its own:
//   - Its assume-role and SSO clients are built before it reads
//     AWS_ENDPOINT_URL, so they would call real AWS while every other call
//     goes to the endpoint URL; each call they make is routed here instead.
//   - credential_process's stderr goes to the terminal (under a full-screen
//     UI) and a bad output is echoed whole, secrets included; plwiz runs the
//     process itself with stderr captured, and never shows its output.
//   - MFA codes are asked through MFAPrompt, which the front ends implement.

// Codes of credential failures that are not AWS error responses.
const (
	CodeMFARequired               = "MFARequired"
	CodeMFACodeInvalid            = "MFACodeInvalid"
	CodeMFACodeMissing            = "MFACodeMissing"
	CodeCredentialProcessFailed   = "CredentialProcessFailed"
	CodeCredentialProcessOutput   = "CredentialProcessBadOutput"
	CodeSourceProfileNotFound     = "SourceProfileNotFound"
	CodeSourceProfileLoop         = "SourceProfileLoop"
	CodeSourceProfileNoCreds      = "SourceProfileHasNoCredentials"
	CodeContainerCredentialsError = "ContainerCredentialsFailed"
)

// assumeRoleDuration is how long an assumed role's session lasts unless the
// profile says (duration_seconds): STS's default, which the AWS CLI uses, so
// an MFA code is asked once an hour rather than every 15 minutes (the SDK's).
const assumeRoleDuration = time.Hour

// MFAQuestion is what a front end asks when a profile's role needs MFA.
type MFAQuestion struct {
	Profile      string // the profile whose role needs it
	RoleARN      string
	SerialNumber string // the MFA device (mfa_serial)
}

// MFAPrompt returns the current code of q's device. The front ends ask on
// the terminal before a full-screen UI starts, or read stdin headless.
type MFAPrompt func(q MFAQuestion) (string, error)

// ErrMFANotNow is what an MFAPrompt returns once it can no longer ask (a
// full-screen wizard owns the terminal): the role's session ended and a new
// one needs a code.
var ErrMFANotNow = errors.New("the wizard cannot ask for an MFA code while it runs")

// mfaError is a code that could not be had or is not shaped as one.
type mfaError struct {
	q    MFAQuestion
	code string
	err  error
}

func (e *mfaError) Error() string {
	return fmt.Sprintf("MFA code for %s (role %s): %v", e.q.SerialNumber, e.q.RoleARN, e.err)
}

func (e *mfaError) Unwrap() error { return e.err }

// roleHopError is one assume-role call of a profile chain that failed.
type roleHopError struct {
	hop roleHop
	err error
}

func (e *roleHopError) Error() string { return "assume role " + e.hop.roleARN + ": " + e.err.Error() }
func (e *roleHopError) Unwrap() error { return e.err }

// processError is a credential_process that failed or printed no credentials.
type processError struct {
	profile, program string
	stderr           string // cleaned and cut
	err              error
}

func (e *processError) Error() string {
	return "credential_process " + e.program + ": " + e.err.Error()
}
func (e *processError) Unwrap() error { return e.err }

// portalError is IAM Identity Center's GetRoleCredentials refusing.
type portalError struct {
	account, role string
	err           error
}

func (e *portalError) Error() string { return "SSO GetRoleCredentials: " + e.err.Error() }
func (e *portalError) Unwrap() error { return e.err }

// credWiring is what Load hooks into the SDK's credential providers.
type credWiring struct {
	prompt MFAPrompt
	plan   *credPlan
	// endpoint is the endpoint URL the client's own calls go to; force is
	// set when it came from the flag, so it wins over AWS_ENDPOINT_URL_STS.
	mu       sync.Mutex
	endpoint string
	force    bool
	process  *processProvider // the chain's credential_process, run by plwiz
}

func (w *credWiring) route() (string, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.endpoint, w.force
}

func (w *credWiring) setRoute(endpoint string, force bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.endpoint, w.force = endpoint, force
}

// routeTo points a credential client's call at the endpoint URL unless a
// service-specific one (AWS_ENDPOINT_URL_STS...) already did.
func (w *credWiring) routeTo(base **string) {
	endpoint, force := w.route()
	if endpoint != "" && (force || *base == nil) {
		*base = aws.String(endpoint)
	}
}

// loadOptions hooks the wiring into LoadDefaultConfig.
func (w *credWiring) loadOptions() []func(*config.LoadOptions) error {
	return []func(*config.LoadOptions) error{
		config.WithAssumeRoleCredentialOptions(w.assumeRole),
		config.WithSSOProviderOptions(func(o *ssocreds.Options) {
			if o.Client != nil {
				o.Client = &portalClient{inner: o.Client, w: w, account: o.AccountID, role: o.RoleName}
			}
		}),
		config.WithSSOTokenProviderOptions(func(o *ssocreds.SSOTokenProviderOptions) {
			o.ClientOptions = append(o.ClientOptions, func(so *ssooidc.Options) { w.routeTo(&so.BaseEndpoint) })
		}),
	}
}

// assumeRole shapes every assume-role hop of a profile chain: the CLI's
// session length, the MFA prompt, and a client that routes and explains.
// The SDK also calls it on empty options to check the configuration early.
func (w *credWiring) assumeRole(o *stscreds.AssumeRoleOptions) {
	if o.Duration == 0 {
		o.Duration = assumeRoleDuration
	}
	roleARN, serial := o.RoleARN, aws.ToString(o.SerialNumber)
	if o.SerialNumber != nil {
		o.TokenProvider = w.tokenProvider(roleARN, serial)
	}
	if o.Client != nil {
		o.Client = &hopClient{inner: o.Client, w: w, roleARN: roleARN, serial: serial}
	}
}

// hop is the plan's hop of a role: the hooks run while the SDK loads, before
// the plan exists, so they look it up when they are called.
func (w *credWiring) hop(roleARN, serial string) roleHop { return w.plan.hopFor(roleARN, serial) }

// tokenProvider asks the front end for a code and checks its shape (six
// digits, STS's constraint) before STS sees it.
func (w *credWiring) tokenProvider(roleARN, serial string) func() (string, error) {
	return func() (string, error) {
		q := MFAQuestion{Profile: w.hop(roleARN, serial).profile, RoleARN: roleARN, SerialNumber: serial}
		if w.prompt == nil {
			return "", &mfaError{q: q, code: CodeMFARequired, err: errors.New("this plwiz command cannot ask for an MFA code")}
		}
		code, err := w.prompt(q)
		if err != nil {
			return "", &mfaError{q: q, code: CodeMFACodeMissing, err: err}
		}
		code = strings.TrimSpace(code)
		switch n := len([]rune(code)); {
		case n != 6:
			return "", &mfaError{q: q, code: CodeMFACodeInvalid, err: fmt.Errorf("an MFA code is 6 digits; got %d characters", n)}
		case strings.IndexFunc(code, func(r rune) bool { return r < '0' || r > '9' }) >= 0:
			return "", &mfaError{q: q, code: CodeMFACodeInvalid, err: errors.New("an MFA code is 6 digits; got other characters")}
		}
		return code, nil
	}
}

// hopClient is one hop's STS client: routed, explained, and, when the chain
// starts at a credential_process, signing with plwiz's run of it.
type hopClient struct {
	inner           stscreds.AssumeRoleAPIClient
	w               *credWiring
	roleARN, serial string
}

func (h *hopClient) AssumeRole(ctx context.Context, in *sts.AssumeRoleInput, optFns ...func(*sts.Options)) (*sts.AssumeRoleOutput, error) {
	optFns = append(optFns, func(o *sts.Options) {
		h.w.routeTo(&o.BaseEndpoint)
		if h.w.process != nil && aws.IsCredentialsProvider(o.Credentials, (*processcreds.Provider)(nil)) {
			o.Credentials = h.w.process
		}
	})
	out, err := h.inner.AssumeRole(ctx, in, optFns...)
	if err != nil {
		return nil, &roleHopError{hop: h.w.hop(h.roleARN, h.serial), err: err}
	}
	return out, nil
}

// portalClient is the SSO portal client of an sso_session or legacy SSO
// profile.
type portalClient struct {
	inner         ssocreds.GetRoleCredentialsAPIClient
	w             *credWiring
	account, role string
}

func (p *portalClient) GetRoleCredentials(ctx context.Context, in *sso.GetRoleCredentialsInput, optFns ...func(*sso.Options)) (*sso.GetRoleCredentialsOutput, error) {
	optFns = append(optFns, func(o *sso.Options) { p.w.routeTo(&o.BaseEndpoint) })
	out, err := p.inner.GetRoleCredentials(ctx, in, optFns...)
	if err != nil {
		return nil, &portalError{account: p.account, role: p.role, err: err}
	}
	return out, nil
}

// processProvider runs a profile's credential_process as the SDK would (a
// shell, the environment, one minute at most) with stderr kept for the
// error instead of written over the terminal. The SDK parses the output.
type processProvider struct {
	profile, command string
}

// maxStderr bounds what is kept of a credential_process's stderr.
const maxStderr = 400

func (p *processProvider) Retrieve(ctx context.Context) (aws.Credentials, error) {
	var stderr bytes.Buffer
	inner := processcreds.NewProviderCommand(processcreds.NewCommandBuilderFunc(func(ctx context.Context) (*exec.Cmd, error) {
		shell, flag := "sh", "-c"
		if runtime.GOOS == "windows" {
			shell, flag = "cmd.exe", "/C"
		}
		cmd := exec.CommandContext(ctx, shell, flag, p.command)
		cmd.Env = os.Environ()
		cmd.Stderr = &limitedWriter{w: &stderr, n: 16 << 10}
		return cmd, nil
	}))
	creds, err := inner.Retrieve(ctx)
	if err != nil {
		return creds, &processError{profile: p.profile, program: programName(p.command), stderr: cut(clean(strings.TrimSpace(stderr.String())), maxStderr), err: err}
	}
	return creds, nil
}

// limitedWriter keeps the first n bytes and drops the rest, so a chatty
// process cannot grow plwiz's memory.
type limitedWriter struct {
	w *bytes.Buffer
	n int
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if room := l.n - l.w.Len(); room > 0 {
		l.w.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

// programName is the first word of a command line: enough to name it in an
// error without repeating arguments that may hold secrets.
func programName(command string) string {
	f := strings.Fields(command)
	if len(f) == 0 {
		return `""`
	}
	return cut(clean(filepath.Base(strings.Trim(f[0], `"'`))), 80)
}

// credPlan is where the chain gets its credentials from, read from the
// configuration the SDK loaded, so failures can say what was tried.
type credPlan struct {
	profile   string    // the profile the chain starts at; "" for env keys
	hops      []roleHop // assume-role hops, outermost first
	root      credRoot
	envConfig config.EnvConfig
}

// roleHop is one role a profile assumes.
type roleHop struct {
	profile, roleARN, mfaSerial, externalID string
	// source names where the hop's own credentials come from.
	source string
}

type rootKind int

const (
	rootNone rootKind = iota
	rootEnv
	rootStatic
	rootProcess
	rootSSO
	rootContainer
	rootIMDS
	rootOther
)

// credRoot is where the first credentials of the chain come from.
type credRoot struct {
	kind        rootKind
	profile     string
	what        string // "static keys of profile base", ...
	command     string // credential_process
	ssoSession  string
	ssoStartURL string
	ssoAccount  string
	ssoRole     string
	url         string // container credentials or IMDS endpoint
	// named is set when the profile names its source (credential_source)
	// rather than the chain falling through to it.
	named bool
}

// hopFor finds the plan's hop of a role ARN (and MFA device); the SDK tells
// the hooks the role, not the profile.
func (p *credPlan) hopFor(roleARN, serial string) roleHop {
	if p != nil {
		for _, h := range p.hops {
			if h.roleARN == roleARN && (serial == "" || h.mfaSerial == serial) {
				return h
			}
		}
	}
	return roleHop{roleARN: roleARN, mfaSerial: serial}
}

// newCredPlan reads the loaded configuration's sources as the SDK's
// resolveCredentialChain does: --profile wins over environment keys, which
// win over AWS_PROFILE or the default profile.
func newCredPlan(sources []any, explicitProfile bool) *credPlan {
	p := &credPlan{}
	var shared *config.SharedConfig
	for _, s := range sources {
		switch v := s.(type) {
		case config.EnvConfig:
			p.envConfig = v
		case config.SharedConfig:
			shared = &v
		}
	}
	env := p.envConfig
	switch {
	case !explicitProfile && env.Credentials.HasKeys():
		p.root = credRoot{kind: rootEnv, what: "the keys in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"}
		return p
	case !explicitProfile && env.WebIdentityTokenFilePath != "":
		p.root = credRoot{kind: rootOther, what: "the web identity token in AWS_WEB_IDENTITY_TOKEN_FILE"}
		return p
	case shared == nil:
		p.root = p.containerOrIMDS("")
		return p
	}
	p.profile = shared.Profile
	sc := shared
	for {
		if sc.RoleARN != "" {
			h := roleHop{profile: sc.Profile, roleARN: sc.RoleARN, mfaSerial: sc.MFASerial, externalID: sc.ExternalID}
			if sc.Source != nil {
				h.source = "profile " + sc.Source.Profile
			}
			p.hops = append(p.hops, h)
		}
		if sc.Source != nil {
			sc = sc.Source
			continue
		}
		p.root = p.rootOf(sc)
		break
	}
	for i := range p.hops {
		if h := &p.hops[i]; h.source == "" || h.source == "profile "+p.root.profile {
			h.source = p.root.what
		}
	}
	return p
}

// rootOf describes the credentials a profile holds itself, in the order the
// SDK looks for them.
func (p *credPlan) rootOf(sc *config.SharedConfig) credRoot {
	name := sc.Profile
	switch {
	case sc.Credentials.HasKeys():
		return credRoot{kind: rootStatic, profile: name, what: fmt.Sprintf("the static keys of profile %s", name)}
	case sc.CredentialSource != "":
		r := credRoot{kind: rootOther, profile: name, what: fmt.Sprintf("the credential_source %s of profile %s", sc.CredentialSource, name)}
		switch sc.CredentialSource {
		case "Ec2InstanceMetadata":
			r = p.containerOrIMDS(name)
			r.kind, r.named = rootIMDS, true
			r.url = p.imdsEndpoint(sc)
			r.what = "the instance metadata (credential_source of profile " + name + ") at " + r.url
		case "EcsContainer":
			r = p.containerOrIMDS(name)
		}
		return r
	case sc.WebIdentityTokenFile != "":
		return credRoot{kind: rootOther, profile: name, what: fmt.Sprintf("the web_identity_token_file of profile %s", name)}
	case sc.SSOSessionName != "" || sc.SSOStartURL != "":
		r := credRoot{kind: rootSSO, profile: name, ssoSession: sc.SSOSessionName, ssoStartURL: sc.SSOStartURL,
			ssoAccount: sc.SSOAccountID, ssoRole: sc.SSORoleName}
		if sc.SSOSession != nil {
			r.ssoStartURL = sc.SSOSession.SSOStartURL
		}
		r.what = fmt.Sprintf("the IAM Identity Center role %s in account %s", clean(sc.SSORoleName), clean(sc.SSOAccountID))
		if r.ssoSession != "" {
			r.what += fmt.Sprintf(" (sso_session %s)", clean(r.ssoSession))
		}
		return r
	case sc.CredentialProcess != "":
		return credRoot{kind: rootProcess, profile: name, command: sc.CredentialProcess,
			what: fmt.Sprintf("the credential_process %s of profile %s", programName(sc.CredentialProcess), name)}
	}
	return p.containerOrIMDS(name)
}

// containerOrIMDS is the end of the chain: a container's credentials
// server, else the EC2 instance metadata service.
func (p *credPlan) containerOrIMDS(profile string) credRoot {
	env := p.envConfig
	switch {
	case env.ContainerCredentialsRelativePath != "":
		u := "http://169.254.170.2" + env.ContainerCredentialsRelativePath
		return credRoot{kind: rootContainer, profile: profile, url: u, what: "the container credentials at " + clean(u) + " (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI)"}
	case env.ContainerCredentialsEndpoint != "":
		return credRoot{kind: rootContainer, profile: profile, url: env.ContainerCredentialsEndpoint,
			what: "the container credentials at " + clean(env.ContainerCredentialsEndpoint) + " (AWS_CONTAINER_CREDENTIALS_FULL_URI)"}
	}
	u := p.imdsEndpoint(nil)
	return credRoot{kind: rootIMDS, profile: profile, url: u, what: "the EC2 instance metadata service at " + u}
}

func (p *credPlan) imdsEndpoint(sc *config.SharedConfig) string {
	switch {
	case p.envConfig.EC2IMDSEndpoint != "":
		return clean(p.envConfig.EC2IMDSEndpoint)
	case sc != nil && sc.EC2IMDSEndpoint != "":
		return clean(sc.EC2IMDSEndpoint)
	}
	return "http://169.254.169.254"
}

// profileFlag is " --profile NAME" for the chain's profile, "" for none or
// the default one.
func (p *credPlan) profileFlag() string {
	if p == nil || p.profile == "" || p.profile == "default" {
		return ""
	}
	return " --profile " + clean(p.profile)
}

// checkCommand is the AWS CLI command that tries the same credentials.
func (p *credPlan) checkCommand() string {
	return "aws sts get-caller-identity" + p.profileFlag()
}

// credentialsError explains a failure of the credential chain: which
// profile, what was tried, and the command that fixes it.
func (c classifier) credentialsError(err error) *Error {
	e := &Error{Err: err, Kind: KindCredentials, Message: clean(err.Error())}
	plan := c.plan
	if plan == nil {
		plan = &credPlan{profile: c.profile}
	}
	check := plan.checkCommand()
	var mfa *mfaError
	var proc *processError
	var portal *portalError
	var ssoTok *ssocreds.InvalidTokenError
	hop := innermostHop(err)
	switch {
	case errors.As(err, &mfa):
		c.mfaFailure(e, plan, mfa)
	case errors.As(err, &proc):
		c.processFailure(e, plan, proc)
	case errors.As(err, &portal):
		c.portalFailure(e, plan, portal)
	case errors.As(err, &ssoTok) || isSSOError(err):
		c.ssoTokenFailure(e, plan, err)
	case hop != nil && !isCredentialsError(hop.err):
		// A hop whose own credentials failed is explained by its source below.
		c.hopFailure(e, plan, hop)
	case plan.root.kind == rootContainer:
		e.Code = CodeContainerCredentialsError
		e.Tried = c.tried(plan, "getting "+plan.root.what)
		e.Message = clean(unwrapMessage(err))
		e.Cause = "The container's credentials server did not hand out credentials."
		e.Hint = "Check the task or pod role and that " + plan.root.url + " answers from here; outside a container, unset AWS_CONTAINER_CREDENTIALS_FULL_URI / AWS_CONTAINER_CREDENTIALS_RELATIVE_URI. Then: " + check
	case plan.root.kind == rootIMDS:
		c.imdsFailure(e, plan, err)
	default:
		c.noCredentials(e)
		e.Hint += " Check with: " + check
	}
	return e
}

// tried is "profile NAME: what" (or just what without a profile).
func (c classifier) tried(plan *credPlan, what string) string {
	if plan.profile == "" {
		return what
	}
	return "profile " + clean(plan.profile) + ": " + what
}

func (c classifier) mfaFailure(e *Error, plan *credPlan, m *mfaError) {
	e.Code, e.Message = m.code, clean(m.err.Error())
	e.Tried = fmt.Sprintf("profile %s: assuming role %s with MFA device %s", clean(orDefault(m.q.Profile, plan.profile)), clean(m.q.RoleARN), clean(m.q.SerialNumber))
	switch m.code {
	case CodeMFACodeInvalid:
		e.Cause = "The MFA code entered is not a 6-digit code."
		e.Hint = "Run plwiz again and enter the 6 digits your MFA device shows now."
	case CodeMFARequired:
		e.Cause = "The profile's role needs an MFA code (mfa_serial) and this command has no way to ask for one."
		e.Hint = "Run plwiz provider or plwiz consumer, which ask for the code; or use a profile without mfa_serial."
	case CodeMFACodeMissing:
		if errors.Is(m.err, ErrMFANotNow) {
			e.Cause = "The role's session ended while the wizard ran, and a new one needs an MFA code."
			e.Hint = "Quit (your progress is saved) and resume with plwiz provider|consumer --resume, which asks for the code before the wizard starts. A longer duration_seconds in the profile (up to the role's maximum session) makes this rarer."
			return
		}
		fallthrough
	default:
		e.Cause = "The profile's role needs an MFA code (mfa_serial), and none could be read."
		e.Hint = "Run plwiz in a terminal to be asked for it, or headless pipe it on stdin: echo 123456 | plwiz ... --non-interactive. Check the profile with: " + plan.checkCommand()
	}
}

func (c classifier) processFailure(e *Error, plan *credPlan, p *processError) {
	e.Tried = fmt.Sprintf("profile %s: running credential_process %s", clean(p.profile), p.program)
	e.Hint = fmt.Sprintf("Run the credential_process command of profile %s by hand to see what it does, fix it, then check: %s", clean(p.profile), plan.checkCommand())
	var pe *processcreds.ProviderError
	msg := p.err.Error()
	if errors.As(p.err, &pe) && pe.Err != nil {
		msg = pe.Err.Error()
	}
	if strings.HasPrefix(msg, "parse failed of process output") || strings.HasPrefix(msg, "wrong version") || strings.HasPrefix(msg, "missing ") {
		// The output may hold secrets: say what is wrong with it, never what it is.
		e.Code = CodeCredentialProcessOutput
		e.Message = "its output is not the credentials JSON AWS expects: " + processOutputProblem(p.err, msg)
		e.Cause = "credential_process must print JSON with Version 1, AccessKeyId and SecretAccessKey (and SessionToken, Expiration for temporary credentials)."
		e.Hint = `It must print {"Version": 1, "AccessKeyId": "...", "SecretAccessKey": "...", "SessionToken": "...", "Expiration": "2030-01-01T00:00:00Z"}. ` + e.Hint
		return
	}
	e.Code = CodeCredentialProcessFailed
	e.Message = clean(msg)
	if p.stderr != "" {
		e.Message += "; it said: " + p.stderr
	}
	e.Cause = "The credential_process of the profile failed, so plwiz has no credentials."
}

// processOutputProblem says what is wrong with a credential_process's
// output without repeating any of it.
func processOutputProblem(err error, msg string) string {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return fmt.Sprintf("not JSON (syntax error at byte %d)", syntax.Offset)
	case errors.As(err, &typ):
		return fmt.Sprintf("field %s is a JSON %s, not a %s", clean(typ.Field), typ.Value, typ.Type)
	case strings.HasPrefix(msg, "parse failed"):
		return "it could not be read as JSON"
	}
	return clean(msg)
}

func (c classifier) portalFailure(e *Error, plan *credPlan, p *portalError) {
	r := plan.root
	e.Service, e.Op = "SSO", "GetRoleCredentials"
	e.Tried = c.tried(plan, fmt.Sprintf("getting role %s in account %s from IAM Identity Center", clean(p.role), clean(p.account)))
	inner := c.classifyAPI(p.err)
	e.Code, e.Message, e.RequestID, e.Retryable = inner.Code, inner.Message, inner.RequestID, inner.Retryable
	switch e.Code {
	case "UnauthorizedException":
		e.Cause = "IAM Identity Center no longer accepts your cached login (it was revoked or ended)."
		e.Hint = "Run: " + ssoLoginCommand(plan, r)
	case "ForbiddenException", "ResourceNotFoundException":
		e.Cause = "IAM Identity Center does not give you this role in this account."
		e.Hint = fmt.Sprintf("Check sso_account_id and sso_role_name of profile %s (aws sso list-account-roles --account-id %s --access-token ... lists yours), or ask your administrator to assign the permission set.", clean(plan.profile), clean(p.account))
	default:
		e.Kind, e.Cause, e.Hint = inner.Kind, inner.Cause, inner.Hint
	}
}

// ssoLoginCommand is the `aws sso login` that refreshes the chain's cache.
func ssoLoginCommand(plan *credPlan, r credRoot) string {
	cmd := "aws sso login" + plan.profileFlag()
	if r.ssoSession != "" {
		cmd = "aws sso login --sso-session " + clean(r.ssoSession) + " (or: aws sso login" + orDefault(plan.profileFlag(), " --profile "+clean(r.profile)) + ")"
	} else if plan.profileFlag() == "" && r.profile != "" && r.profile != "default" {
		cmd += " --profile " + clean(r.profile)
	}
	return cmd
}

func (c classifier) ssoTokenFailure(e *Error, plan *credPlan, err error) {
	r := plan.root
	e.Code = CodeSSOTokenExpired
	e.Message = clean(unwrapMessage(err))
	session := "IAM Identity Center (SSO)"
	if r.ssoSession != "" {
		session = "SSO session " + clean(r.ssoSession)
	} else if r.ssoStartURL != "" {
		session = "SSO start URL " + clean(r.ssoStartURL)
	}
	e.Tried = c.tried(plan, "reading the cached login of "+session)
	if errors.Is(err, os.ErrNotExist) {
		e.Cause = "There is no cached IAM Identity Center login for this profile in ~/.aws/sso/cache: you have not logged in on this computer, or the cache was removed."
	} else {
		e.Cause = "Your IAM Identity Center (SSO) login has expired."
	}
	e.Hint = "Run: " + ssoLoginCommand(plan, r)
}

// innermostHop is the deepest assume-role hop in err's chain: when a source
// profile's role fails, the outer roles fail with it.
func innermostHop(err error) *roleHopError {
	var found *roleHopError
	for {
		var h *roleHopError
		if !errors.As(err, &h) {
			return found
		}
		found, err = h, h.err
	}
}

func (c classifier) hopFailure(e *Error, plan *credPlan, h *roleHopError) {
	hop := h.hop
	inner := c.classifyAPI(h.err)
	e.Service, e.Op = "STS", "AssumeRole"
	e.Code, e.Message, e.RequestID, e.Retryable = inner.Code, inner.Message, inner.RequestID, inner.Retryable
	what := "assuming role " + clean(hop.roleARN)
	if hop.mfaSerial != "" {
		what += " with MFA device " + clean(hop.mfaSerial)
	}
	if hop.externalID != "" {
		what += " and an external ID"
	}
	profile := orDefault(hop.profile, plan.profile)
	e.Tried = "profile " + clean(profile) + ": " + what
	check := "aws sts get-caller-identity --profile " + clean(profile)
	source := orDefault(hop.source, "its source credentials")
	msg := strings.ToLower(e.Message)
	switch {
	case strings.Contains(msg, "invalid mfa one time pass code"):
		e.Cause = "AWS refused the MFA code."
		e.Hint = "Check the MFA code: enter the one your device shows now (each code works once, for about 30 seconds), and check the device's clock. Then: " + check
	case strings.Contains(msg, "unable to validate mfa code"):
		e.Cause = "The mfa_serial of the profile is not an MFA device of the identity assuming the role."
		e.Hint = fmt.Sprintf("Set mfa_serial of profile %s to your own device's ARN (aws iam list-mfa-devices%s lists it), then: %s", clean(profile), plan.profileFlag(), check)
	case e.Code == "AccessDenied":
		e.Cause = fmt.Sprintf("The role does not let %s assume it, or it does not exist.", source)
		e.Hint = fmt.Sprintf("Check role_arn of profile %s, and that the role's trust policy allows the identity of %s (with MFA or an external ID if it asks for one). Then: %s", clean(profile), source, check)
	case e.Kind == KindCredentials:
		e.Cause = fmt.Sprintf("STS refused %s, used to assume the role.", source)
		e.Hint = fmt.Sprintf("Renew or fix %s, then: %s", source, check)
	case e.Code == "ValidationError" && strings.Contains(msg, "durationseconds"):
		e.Kind = KindInvalidInput
		e.Cause = "The session is longer than the role allows (one hour when a role assumes another)."
		e.Hint = fmt.Sprintf("Lower duration_seconds of profile %s, then: %s", clean(profile), check)
	default:
		e.Kind, e.Cause, e.Hint = inner.Kind, inner.Cause, orDefault(inner.Hint, "Then: "+check)
	}
}

func (c classifier) imdsFailure(e *Error, plan *credPlan, err error) {
	r := plan.root
	e.Code = CodeNoCredentials
	e.Message = clean(unwrapMessage(err))
	where := "the environment, profile " + clean(orDefault(plan.profile, "default")) + " (" + sharedFiles(plan.envConfig) + ") and container credentials"
	if r.named {
		where = "profile " + clean(r.profile) + ", whose credential_source is Ec2InstanceMetadata"
	}
	e.Tried = "looking for credentials in " + where + ", then asking " + r.what
	disabled := strings.Contains(err.Error(), "AWS_EC2_METADATA_DISABLED")
	switch {
	case disabled:
		e.Cause = "No AWS credentials were found, and the instance metadata service is off (AWS_EC2_METADATA_DISABLED)."
	case plan.envConfig.EC2IMDSEndpoint != "":
		e.Cause = "No AWS credentials were found, and the instance metadata service at " + r.url + " (AWS_EC2_METADATA_SERVICE_ENDPOINT) did not give any."
	default:
		e.Cause = "No AWS credentials were found, and the instance metadata service did not answer (plwiz is not on an EC2 instance with a role)."
	}
	e.Hint = "Run `aws configure` or `aws configure sso`, or pass --profile NAME, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (for the sandbox: the export lines `plwiz sandbox` prints). On EC2, attach an instance role. Check with: " + plan.checkCommand()
	if flag := plan.profileFlag(); flag != "" {
		e.Cause = fmt.Sprintf("Profile %q holds no credentials (no keys, role, sso_session or credential_process). ", plan.profile) + e.Cause
		e.Hint = "Run: aws configure" + flag + " (or aws configure sso" + flag + "), then check with: " + plan.checkCommand()
	}
}

// sharedFiles names the config and credentials files the SDK read.
func sharedFiles(env config.EnvConfig) string {
	cfgFile := orDefault(env.SharedConfigFile, config.DefaultSharedConfigFilename())
	credFile := orDefault(env.SharedCredentialsFile, config.DefaultSharedCredentialsFilename())
	return clean(cfgFile) + ", " + clean(credFile)
}

// unwrapMessage is the message of the deepest wrapped error worth showing:
// the SDK's wrappers repeat themselves ("failed to refresh cached
// credentials, ...").
func unwrapMessage(err error) string {
	msg := err.Error()
	for _, prefix := range []string{"failed to refresh cached credentials, ", "get identity: ", "failed to retrieve credentials: "} {
		if i := strings.LastIndex(msg, prefix); i >= 0 {
			msg = msg[i+len(prefix):]
		}
	}
	return msg
}

// configError explains a shared-config error found while loading: a
// source_profile that is missing, loops, or has no credentials.
func (c classifier) configError(e *Error, err error) bool {
	var are config.SharedConfigAssumeRoleError
	if !errors.As(err, &are) {
		return false
	}
	env, _ := config.NewEnvConfig()
	start := orDefault(c.profile, orDefault(env.SharedConfigProfile, "default"))
	e.Kind = KindCredentials
	e.Tried = "profile " + clean(start) + ": following source_profile to the credentials of role " + clean(are.RoleARN)
	fixIt := "Then check with: aws sts get-caller-identity" + (&credPlan{profile: start}).profileFlag()
	var notExist config.SharedConfigProfileNotExistError
	if loop := sourceProfileLoop(env, start); loop != nil {
		e.Code = CodeSourceProfileLoop
		e.Message = "source_profile loops: " + clean(strings.Join(loop, " → "))
		e.Cause = "The profiles name each other as source_profile, so no profile in the chain holds credentials."
		e.Hint = "End the chain at a profile with credentials (keys, sso_session, credential_process or credential_source) instead of another source_profile. " + fixIt
		return true
	}
	if errors.As(err, &notExist) {
		e.Code = CodeSourceProfileNotFound
		e.Message = fmt.Sprintf("source_profile %s does not exist in %s", clean(are.Profile), sharedFiles(env))
		e.Cause = "The profile names a source_profile that is not in your AWS config files."
		e.Hint = fmt.Sprintf("Add the profile %s with credentials (aws configure --profile %s), or fix the source_profile name; list your profiles with `aws configure list-profiles`. %s", clean(are.Profile), clean(are.Profile), fixIt)
		return true
	}
	e.Code = CodeSourceProfileNoCreds
	e.Message = fmt.Sprintf("source_profile %s has no credentials", clean(are.Profile))
	e.Cause = "The source profile of the role holds no credentials to assume it with."
	e.Hint = fmt.Sprintf("Give profile %s keys (aws configure --profile %s) or an sso_session, credential_process or credential_source. %s", clean(are.Profile), clean(are.Profile), fixIt)
	return true
}

// sourceProfileLoop follows source_profile from start through the shared
// files and returns the loop it runs into, if any. A profile naming itself
// is not a loop: it is how a profile with keys assumes its own role.
func sourceProfileLoop(env config.EnvConfig, start string) []string {
	next := map[string]string{}
	readSourceProfiles(orDefault(env.SharedConfigFile, config.DefaultSharedConfigFilename()), true, next)
	readSourceProfiles(orDefault(env.SharedCredentialsFile, config.DefaultSharedCredentialsFilename()), false, next)
	seen := map[string]bool{}
	path := []string{start}
	for p := start; ; {
		seen[p] = true
		n, ok := next[p]
		if !ok || n == p {
			return nil
		}
		path = append(path, n)
		if seen[n] {
			return path
		}
		p = n
	}
}

// readSourceProfiles collects the source_profile of each profile of an INI
// file ([profile NAME] in config, [NAME] in credentials and for default).
func readSourceProfiles(path string, configFile bool, next map[string]string) {
	f, err := os.Open(path)
	if err != nil {
		return
	}
	defer f.Close()
	section := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = strings.TrimSpace(line[1 : len(line)-1])
			if configFile {
				if name, ok := strings.CutPrefix(section, "profile "); ok {
					section = strings.TrimSpace(name)
				} else if section != "default" {
					section = ""
				}
			}
		case section != "":
			k, v, ok := strings.Cut(line, "=")
			if ok && strings.TrimSpace(k) == "source_profile" {
				next[section] = strings.TrimSpace(v)
			}
		}
	}
}

// classifyAPI classifies the error of a credential provider's own AWS call.
func (c classifier) classifyAPI(err error) *Error {
	var e *Error
	if errors.As(c.classify(err), &e) {
		return e
	}
	return &Error{Err: err, Kind: KindUnknown, Code: "Error", Message: clean(err.Error())}
}
