package sandbox

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// STS and the credentials it hands out, as AWS serves them: GetCallerIdentity
// for IAM users and role sessions, AssumeRole (query protocol) with external
// IDs and MFA, and the IAM Identity Center portal's GetRoleCredentials
// (REST-JSON, /federation/credentials) so sso_session profiles work end to end.
//
// The sandbox has no IAM API, so its roles are fixed and the same in every
// account of the world:
//
//   - RoleAdmin (plwiz-admin): any principal of the world may assume it.
//   - RoleMFA (plwiz-mfa): any IAM user of the world, with MFA: SerialNumber is
//     the caller's own device, MFASerial(account), and TokenCode is MFACode.
//     A wrong code is refused as AWS refuses it (AccessDenied, "MultiFactor
//     Authentication failed with invalid MFA one time pass code.").
//   - RoleExternalID (plwiz-partner): any principal of the world that passes
//     ExternalId = PartnerExternalID (the third-party pattern).
//
// A role session's access key (ASIA…), secret and session token are accepted
// by the SigV4 check for the role's account until they expire (on the
// sandbox clock): the session token must come with the key, as AWS requires.
// Sessions are part of the world, so a saved world keeps them.

// Roles of every account, and the values their trust policies ask for.
const (
	RoleAdmin         = "plwiz-admin"
	RoleMFA           = "plwiz-mfa"
	RoleExternalID    = "plwiz-partner"
	PartnerExternalID = "plwiz-sandbox-external-id"
	// MFACode is the one-time code the sandbox's MFA devices accept.
	MFACode = "123456"
	// MaxSessionDuration is every role's maximum session (AWS's default).
	MaxSessionDuration = time.Hour
	// SSOPermissionSet is the role name (permission set) the portal grants
	// in every account; SSOUser is the user the portal's token belongs to.
	SSOPermissionSet = "AdministratorAccess"
	SSOUser          = "alice@example.com"
	// ssoCredentialsPath is GetRoleCredentials's URI.
	ssoCredentialsPath = "/federation/credentials"
)

// MFASerial is the virtual MFA device of an account's IAM user.
func MFASerial(a *Account) string { return "arn:aws:iam::" + a.ID + ":mfa/plwiz-" + a.Name }

// RoleSession is a set of temporary credentials STS or the SSO portal issued.
type RoleSession struct {
	AccessKeyID     string    `json:"accessKeyId"` // ASIA + 16
	SecretAccessKey string    `json:"secretAccessKey"`
	SessionToken    string    `json:"sessionToken"`
	Account         string    `json:"account"` // the role's account
	RoleName        string    `json:"roleName"`
	SessionName     string    `json:"sessionName"`
	Expires         time.Time `json:"expires"`
	// Chained is true when a role session assumed this role (role chaining
	// limits the session to one hour and carries no MFA).
	Chained bool `json:"chained,omitempty"`
}

// ARN is the assumed-role ARN GetCallerIdentity reports.
func (r *RoleSession) ARN() string {
	return "arn:aws:sts::" + r.Account + ":assumed-role/" + r.RoleName + "/" + r.SessionName
}

// RoleARN is the ARN of the role the session belongs to.
func (r *RoleSession) RoleARN() string { return "arn:aws:iam::" + r.Account + ":role/" + r.RoleName }

// roleID is the stable unique ID (AROA…) of a role, as IAM gives every role.
func roleID(account, role string) string {
	sum := sha256.Sum256([]byte(account + "/" + role))
	return "AROA" + strings.ToUpper(hex.EncodeToString(sum[:]))[:17]
}

// Credentials is what a test hands to a credentials server it runs itself
// (a container or instance metadata endpoint on loopback).
type Credentials struct {
	AccessKeyID, SecretAccessKey, SessionToken string
	Expires                                    time.Time
}

// stsHandlers serve GetCallerIdentity and AssumeRole.
func stsHandlers() map[string]queryHandler {
	return map[string]queryHandler{
		"GetCallerIdentity": stsGetCallerIdentity,
		"AssumeRole":        stsAssumeRole,
	}
}

type getCallerIdentityResult struct {
	Arn     string `xml:"Arn"`
	UserID  string `xml:"UserId"`
	Account string `xml:"Account"`
}

// stsGetCallerIdentity answers for the IAM user the access key belongs to
// (user ID AIDA + the key's unique part, the shape IAM user IDs have), or for
// the role session (role ID:session name).
func stsGetCallerIdentity(c *call) (any, error) {
	if s := c.Session; s != nil {
		return getCallerIdentityResult{Arn: s.ARN(), UserID: roleID(s.Account, s.RoleName) + ":" + s.SessionName, Account: s.Account}, nil
	}
	return getCallerIdentityResult{
		Arn:     c.Account.ARN(),
		UserID:  "AIDA" + strings.TrimPrefix(c.Account.AccessKeyID, "AKIA"),
		Account: c.Account.ID,
	}, nil
}

type assumeRoleResult struct {
	Credentials struct {
		AccessKeyID     string `xml:"AccessKeyId"`
		SecretAccessKey string `xml:"SecretAccessKey"`
		SessionToken    string `xml:"SessionToken"`
		Expiration      string `xml:"Expiration"`
	} `xml:"Credentials"`
	AssumedRoleUser struct {
		AssumedRoleID string `xml:"AssumedRoleId"`
		Arn           string `xml:"Arn"`
	} `xml:"AssumedRoleUser"`
}

// The parameter constraints of STS's model, with the names and patterns AWS
// quotes in its ValidationError messages.
var (
	reSessionName  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[\w+=,.@-]*$`) })
	reExternalID   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[\w+=,.@:/-]*$`) })
	reSerialNumber = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[\w+=/:,.@-]*$`) })
	reTokenCode    = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\d*$`) })
	reRoleARN      = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^arn:aws:iam::(\d{12}):role/(?:[\w+=,.@-]+/)*([\w+=,.@-]{1,64})$`)
	})
)

// validation collects AWS's "N validation errors detected" message.
type validation []string

func (v *validation) add(value *string, member, constraint string) {
	shown := "null"
	if value != nil {
		shown = "'" + *value + "'"
	}
	*v = append(*v, fmt.Sprintf("Value %s at '%s' failed to satisfy constraint: %s", shown, member, constraint))
}

// text checks an optional string parameter against its length and pattern.
func (v *validation) text(p Params, name, member string, required bool, minLen, maxLen int, re *regexp.Regexp, pattern string) {
	if !p.Has(name) {
		if required {
			v.add(nil, member, "Member must not be null")
		}
		return
	}
	s := p.Get(name)
	switch {
	case len(s) < minLen:
		v.add(&s, member, fmt.Sprintf("Member must have length greater than or equal to %d", minLen))
	case len(s) > maxLen:
		v.add(&s, member, fmt.Sprintf("Member must have length less than or equal to %d", maxLen))
	case re != nil && !re.MatchString(s):
		v.add(&s, member, "Member must satisfy regular expression pattern: "+pattern)
	}
}

func (v validation) err() *APIError {
	if len(v) == 0 {
		return nil
	}
	noun := "error"
	if len(v) > 1 {
		noun = "errors"
	}
	return Errorf(http.StatusBadRequest, "ValidationError", "%d validation %s detected: %s", len(v), noun, strings.Join(v, "; "))
}

// stsAssumeRole issues a role session in the role ARN's account when the
// role's trust policy lets the caller in.
func stsAssumeRole(c *call) (any, error) {
	p := c.Params
	var v validation
	v.text(p, "RoleArn", "roleArn", true, 20, 2048, nil, "")
	v.text(p, "RoleSessionName", "roleSessionName", true, 2, 64, reSessionName(), `[\w+=,.@-]*`)
	v.text(p, "ExternalId", "externalId", false, 2, 1224, reExternalID(), `[\w+=,.@:\/-]*`)
	v.text(p, "SerialNumber", "serialNumber", false, 9, 256, reSerialNumber(), `[\w+=/:,.@-]*`)
	v.text(p, "TokenCode", "tokenCode", false, 6, 6, reTokenCode(), `[\d]*`)
	duration := int(time.Hour / time.Second)
	if p.Has("DurationSeconds") {
		s := p.Get("DurationSeconds")
		n, err := strconv.Atoi(s)
		switch {
		case err != nil:
			return nil, Errorf(http.StatusBadRequest, "MalformedInput", "Value %s for parameter DurationSeconds is invalid: not an integer", s)
		case n < 900:
			v.add(&s, "durationSeconds", "Member must have value greater than or equal to 900")
		case n > 43200:
			v.add(&s, "durationSeconds", "Member must have value less than or equal to 43200")
		}
		duration = n
	}
	if e := v.err(); e != nil {
		return nil, e
	}

	callerARN := c.Account.ARN()
	if c.Session != nil {
		callerARN = c.Session.ARN()
	}
	roleARN := p.Get("RoleArn")
	denied := Errorf(http.StatusForbidden, "AccessDenied", "User: %s is not authorized to perform: sts:AssumeRole on resource: %s", callerARN, roleARN)
	// AWS does not tell a role that does not exist from one that does not
	// trust the caller: both are AccessDenied.
	m := reRoleARN().FindStringSubmatch(roleARN)
	if m == nil || c.w.Account(m[1]) == nil {
		return nil, denied
	}
	account, roleName := m[1], m[2]
	serial, code := p.Get("SerialNumber"), p.Get("TokenCode")
	if (serial == "") != (code == "") {
		return nil, Errorf(http.StatusForbidden, "AccessDenied", "MultiFactorAuthentication failed, must provide both MFA serial number and one time pass code.")
	}
	mfa := false
	if serial != "" {
		if c.Session != nil || serial != MFASerial(c.Account) {
			return nil, Errorf(http.StatusForbidden, "AccessDenied", "MultiFactorAuthentication failed, unable to validate MFA code.  Please verify your MFA serial number is valid and associated with this user.")
		}
		if subtle.ConstantTimeCompare([]byte(code), []byte(MFACode)) != 1 {
			return nil, Errorf(http.StatusForbidden, "AccessDenied", "MultiFactorAuthentication failed with invalid MFA one time pass code.")
		}
		mfa = true
	}
	switch roleName {
	case RoleAdmin:
	case RoleMFA:
		if !mfa {
			return nil, denied
		}
	case RoleExternalID:
		if subtle.ConstantTimeCompare([]byte(p.Get("ExternalId")), []byte(PartnerExternalID)) != 1 {
			return nil, denied
		}
	default:
		return nil, denied
	}
	chained := c.Session != nil
	if d := time.Duration(duration) * time.Second; d > MaxSessionDuration {
		if chained {
			return nil, Errorf(http.StatusBadRequest, "ValidationError", "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
		}
		return nil, Errorf(http.StatusBadRequest, "ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	}
	s := c.w.issueSession(account, roleName, p.Get("RoleSessionName"), c.Now, time.Duration(duration)*time.Second)
	s.Chained = chained
	var out assumeRoleResult
	out.Credentials.AccessKeyID, out.Credentials.SecretAccessKey, out.Credentials.SessionToken = s.AccessKeyID, s.SecretAccessKey, s.SessionToken
	out.Credentials.Expiration = s.Expires.UTC().Format(time.RFC3339)
	out.AssumedRoleUser.AssumedRoleID = roleID(account, roleName) + ":" + s.SessionName
	out.AssumedRoleUser.Arn = s.ARN()
	return out, nil
}

// issueSession records a new role session and forgets those that expired
// more than a day ago (until then a stale key is told apart from an unknown
// one: ExpiredToken, not InvalidClientTokenId).
func (w *World) issueSession(account, role, name string, now time.Time, d time.Duration) *RoleSession {
	if w.RoleSessions == nil {
		w.RoleSessions = map[string]*RoleSession{}
	}
	for k, s := range w.RoleSessions {
		if now.Sub(s.Expires) > 24*time.Hour {
			delete(w.RoleSessions, k)
		}
	}
	s := &RoleSession{
		AccessKeyID:     "ASIA" + strings.ToUpper(w.hex(16)),
		SecretAccessKey: w.hex(40),
		SessionToken:    "FwoGZXIvYXdzE" + w.hex(180),
		Account:         account, RoleName: role, SessionName: name,
		Expires: now.Add(d).Truncate(time.Second),
	}
	w.RoleSessions[s.AccessKeyID] = s
	return s
}

// principal is who signed a request: an account's IAM user, or a role
// session in an account.
type principal struct {
	account *Account
	session *RoleSession
	secret  string
}

// authenticate finds the principal of an access key and checks the session
// token that must (and must only) come with temporary credentials.
func (w *World) authenticate(service, keyID, token string) (principal, *APIError) {
	if a := w.AccountByKey(keyID); a != nil {
		if token != "" {
			return principal{}, errUnknownKey(service)
		}
		return principal{account: a, secret: a.SecretAccessKey}, nil
	}
	s := w.RoleSessions[keyID]
	if s == nil || subtle.ConstantTimeCompare([]byte(token), []byte(s.SessionToken)) != 1 {
		return principal{}, errUnknownKey(service)
	}
	a := w.Account(s.Account)
	if a == nil {
		return principal{}, errUnknownKey(service)
	}
	return principal{account: a, session: s, secret: s.SecretAccessKey}, nil
}

// expired is what each service says to a role session past its expiry.
func (p principal) expired(service string, now time.Time) *APIError {
	if p.session == nil || now.Before(p.session.Expires) {
		return nil
	}
	if service == "ec2" {
		return Errorf(http.StatusBadRequest, "RequestExpired", "Request has expired.")
	}
	return Errorf(http.StatusForbidden, "ExpiredToken", "The security token included in the request is expired")
}

// IssueRoleCredentials makes a session of a role of the world without an STS
// call, as the credentials server of a container or an EC2 instance would
// hand out; for tests that run such a server on loopback.
func (s *Sandbox) IssueRoleCredentials(accountID, role, sessionName string, d time.Duration) (Credentials, error) {
	s.mu.Lock()
	if s.world.Account(accountID) == nil {
		s.mu.Unlock()
		return Credentials{}, fmt.Errorf("no account %s in the world", accountID)
	}
	r := s.world.issueSession(accountID, role, sessionName, s.clock.Now().UTC(), d)
	c := Credentials{AccessKeyID: r.AccessKeyID, SecretAccessKey: r.SecretAccessKey, SessionToken: r.SessionToken, Expires: r.Expires}
	gen := s.settle(true)
	s.mu.Unlock()
	if s.file != nil {
		if err := s.file.flush(gen); err != nil {
			return Credentials{}, err
		}
	}
	return c, nil
}

// SSOAccessToken is the portal access token of SSOUser, the token `aws sso
// login` would have cached in ~/.aws/sso/cache. It is derived from the
// world's seed, so it stays the same for a saved world.
func (s *Sandbox) SSOAccessToken() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return ssoAccessToken(s.world)
}

func ssoAccessToken(w *World) string {
	sum := sha256.Sum256([]byte("plwiz-sso/" + strconv.FormatUint(w.Seed, 16)))
	return "aoa" + hex.EncodeToString(sum[:])
}

// ssoRoleName is the IAM role IAM Identity Center makes for a permission set.
func ssoRoleName(account, permissionSet string) string {
	sum := sha256.Sum256([]byte(account + "/" + permissionSet))
	return "AWSReservedSSO_" + permissionSet + "_" + hex.EncodeToString(sum[:8])
}

// serveSSOPortal answers GetRoleCredentials (restJson1, no SigV4: the
// bearer token in x-amz-sso_bearer_token is the authentication) and reports
// whether the request was the portal's.
func (s *Sandbox) serveSSOPortal(w http.ResponseWriter, r *http.Request, requestID string) bool {
	if r.URL.Path != ssoCredentialsPath || r.Header.Get("Authorization") != "" {
		return false
	}
	w.Header().Set("x-amzn-RequestId", requestID)
	fail := func(status int, typ, msg string) {
		w.Header().Set("x-amzn-ErrorType", typ)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]string{"message": msg})
	}
	if r.Method != http.MethodGet {
		fail(http.StatusMethodNotAllowed, "InvalidRequestException", "GetRoleCredentials is a GET")
		return true
	}
	q := r.URL.Query()
	account, role, token := q.Get("account_id"), q.Get("role_name"), r.Header.Get("x-amz-sso_bearer_token")
	if account == "" || role == "" || token == "" {
		fail(http.StatusBadRequest, "InvalidRequestException", "account_id, role_name and x-amz-sso_bearer_token are required")
		return true
	}
	s.mu.Lock()
	now := s.clock.Now().UTC()
	var sess *RoleSession
	status, typ, msg := 0, "", ""
	switch {
	case subtle.ConstantTimeCompare([]byte(token), []byte(ssoAccessToken(s.world))) != 1:
		status, typ, msg = http.StatusUnauthorized, "UnauthorizedException", "Session token not found or invalid"
	case s.world.Account(account) == nil || role != SSOPermissionSet:
		status, typ, msg = http.StatusForbidden, "ForbiddenException", "No access"
	default:
		sess = s.world.issueSession(account, ssoRoleName(account, role), SSOUser, now, time.Hour)
	}
	gen := s.settle(sess != nil)
	s.mu.Unlock()
	if s.logf != nil {
		s.logf("sso GetRoleCredentials %s/%s: %d %s", account, role, status, typ)
	}
	if sess == nil {
		fail(status, typ, msg)
		return true
	}
	// Credentials handed out must still work after a restart.
	if s.file != nil {
		if err := s.file.flush(gen); err != nil {
			fail(http.StatusInternalServerError, "InternalServerException", "the sandbox could not save its world: "+err.Error())
			return true
		}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"roleCredentials": map[string]any{
		"accessKeyId": sess.AccessKeyID, "secretAccessKey": sess.SecretAccessKey,
		"sessionToken": sess.SessionToken, "expiration": sess.Expires.UnixMilli(),
	}})
	return true
}
