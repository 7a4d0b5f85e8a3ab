package awsid

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
)

// MaxARN is the longest ARN IAM accepts.
const MaxARN = 2048

// The kinds of principal a principal ARN names.
const (
	Root          = "root"           // arn:aws:iam::ACCOUNT:root
	User          = "user"           // arn:aws:iam::ACCOUNT:user/PATH/NAME
	Role          = "role"           // arn:aws:iam::ACCOUNT:role/PATH/NAME
	AssumedRole   = "assumed-role"   // arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION
	FederatedUser = "federated-user" // arn:aws:sts::ACCOUNT:federated-user/NAME
)

// PrincipalShape says what a principal ARN looks like, for messages.
const PrincipalShape = "an IAM or STS principal ARN (arn:<partition>:iam::<account>:root, :user/<path/><name> or :role/<path/><name>; " +
	"arn:<partition>:sts::<account>:assumed-role/<role>/<session> or :federated-user/<name>)"

// Principal is an IAM or STS principal's ARN, taken apart.
type Principal struct {
	Partition string
	Account   string
	// Type is Root, User, Role, AssumedRole or FederatedUser.
	Type string
	// Path is a user's or role's IAM path, "/" when it has none.
	Path string
	// Name is the user's, role's or federated user's name; for an assumed
	// role, the role's.
	Name string
	// Session is an assumed role's session name.
	Session string
}

// IAM reports whether the principal is an IAM identity (the account's root,
// a user or a role): what an endpoint service's allow list takes.
func (p Principal) IAM() bool { return p.Type == Root || p.Type == User || p.Type == Role }

// IAM's documented rules: names are these characters (user and role names
// 1 to 64 of them, session names 2 to 64, federated user names 2 to 32);
// paths are "/" or printable ASCII between slashes, up to 512 characters.
var (
	reIAMName = regexp.MustCompile(`^[\w+=,.@-]+$`)
	reIAMPath = regexp.MustCompile(`^/([!-~]+/)?$`)
)

const (
	nameChars = "letters, digits and + = , . @ _ -"
	maxPath   = 512
)

// ParsePrincipal takes apart the ARN of an IAM principal (an account's
// root, a user, a role) or an STS session (an assumed role, a federated
// user) in any partition. Its error says what is wrong, quoting only the
// offending part, escaped so it is safe to print.
func ParsePrincipal(s string) (Principal, error) {
	if len(s) > MaxARN {
		return Principal{}, fmt.Errorf("%d characters, more than the %d an ARN may have", len(s), MaxARN)
	}
	a, err := arn.Parse(s)
	if err != nil {
		return Principal{}, errors.New("not an ARN (arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE)")
	}
	switch {
	case !IsPartition(a.Partition):
		return Principal{}, fmt.Errorf("partition %s is not one of %s", quote(a.Partition), PartitionList())
	case a.Service != "iam" && a.Service != "sts":
		return Principal{}, fmt.Errorf("service %s: a principal's ARN is an iam or sts one", quote(a.Service))
	case a.Region != "":
		return Principal{}, fmt.Errorf("region %s: IAM and STS ARNs have none", quote(a.Region))
	case !IsAccount(a.AccountID):
		return Principal{}, fmt.Errorf("account %s: expected 12 digits", quote(a.AccountID))
	}
	p := Principal{Partition: a.Partition, Account: a.AccountID}
	kind, rest, slash := strings.Cut(a.Resource, "/")
	switch {
	case a.Service == "iam" && a.Resource == Root:
		p.Type = Root
		return p, nil
	case a.Service == "iam" && slash && (kind == User || kind == Role):
		p.Type = kind
		i := strings.LastIndexByte(a.Resource, '/')
		p.Path, p.Name = a.Resource[len(kind):i+1], a.Resource[i+1:]
		if len(p.Path) > maxPath || !reIAMPath.MatchString(p.Path) {
			return Principal{}, fmt.Errorf("path %s: an IAM path is / or printable ASCII between slashes, at most %d characters", quote(p.Path), maxPath)
		}
		return p, checkName(kind+" name", p.Name, 1, 64)
	case a.Service == "sts" && slash && kind == AssumedRole:
		role, session, ok := strings.Cut(rest, "/")
		if !ok {
			return Principal{}, errors.New("an assumed role's ARN ends in assumed-role/<role>/<session>; the session name is missing")
		}
		p.Type, p.Name, p.Session = AssumedRole, role, session
		if err := checkName("role name", role, 1, 64); err != nil {
			return Principal{}, err
		}
		return p, checkName("session name", session, 2, 64)
	case a.Service == "sts" && slash && kind == FederatedUser:
		p.Type, p.Name = FederatedUser, rest
		return p, checkName("federated user name", rest, 2, 32)
	}
	if a.Service == "iam" {
		return Principal{}, fmt.Errorf("resource %s: an IAM principal is root, user/<name> or role/<name>", quote(a.Resource))
	}
	return Principal{}, fmt.Errorf("resource %s: an STS principal is assumed-role/<role>/<session> or federated-user/<name>", quote(a.Resource))
}

func checkName(what, s string, min, max int) error {
	if len(s) < min || len(s) > max || !reIAMName.MatchString(s) {
		return fmt.Errorf("%s %s: %d to %d %s", what, quote(s), min, max, nameChars)
	}
	return nil
}

// quote renders part of an untrusted ARN for a message: quoted, escaped,
// and cut short when long.
func quote(s string) string {
	const max = 80
	if len(s) > max {
		return strconv.QuoteToASCII(s[:max]) + "..."
	}
	return strconv.QuoteToASCII(s)
}

// reNLBARN is a Network Load Balancer's ARN: its name is 1 to 32
// alphanumerics and hyphens, its ID 16 hex digits.
var reNLBARN = regexp.MustCompile(`^arn:([a-z-]+):elasticloadbalancing:([a-z0-9-]+):([0-9]{12}):loadbalancer/net/[A-Za-z0-9-]{1,32}/[0-9a-f]{16}$`)

// NLBARNShape says what a Network Load Balancer's ARN looks like.
const NLBARNShape = "a network load balancer ARN (arn:aws:elasticloadbalancing:REGION:ACCOUNT:loadbalancer/net/NAME/ID)"

// IsNLBARN reports whether s is a Network Load Balancer's ARN, in a region
// of the ARN's partition.
func IsNLBARN(s string) bool {
	m := reNLBARN.FindStringSubmatch(s)
	return m != nil && IsPartition(m[1]) && IsRegion(m[2]) && PartitionOf(m[2]) == m[1]
}
