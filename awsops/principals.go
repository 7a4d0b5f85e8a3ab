package awsops

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/plwiz/plwiz/awsid"
)

// AllowedPrincipal is one principal allowed to connect to a service.
type AllowedPrincipal struct {
	ARN          string // or "*"
	Type         string // All | Service | OrganizationUnit | Account | User | Role
	PermissionID string
}

// PrincipalARN turns what a user types into what AWS takes: a 12-digit
// account ID becomes the account's root ARN in the region's partition; an
// ARN must be an IAM principal's (root, user or role, paths and all) in the
// region's partition; "*" (everyone) passes, and the caller should warn
// about it. An empty region skips the partition check, for validating what
// is typed before the region is known.
func PrincipalARN(s, region string) (string, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "*":
		return s, nil
	case awsid.IsAccount(s):
		return fmt.Sprintf("arn:%s:iam::%s:root", awsid.PartitionOf(region), s), nil
	case !strings.HasPrefix(s, "arn:"):
		return "", fmt.Errorf("principal %s: want a 12-digit account ID, an IAM ARN, or *", quoteInput(s))
	}
	p, err := awsid.ParsePrincipal(s)
	if err != nil {
		return "", fmt.Errorf("principal %s: not an IAM principal's ARN: %w", quoteInput(s), err)
	}
	if !p.IAM() {
		// A session ends; AWS allows the identity behind it.
		return "", fmt.Errorf("principal %s is a session (%s): an endpoint service allows accounts, IAM users and IAM roles; "+
			"allow the role or user behind the session, or the account %s", quoteInput(s), p.Type, p.Account)
	}
	if region != "" && p.Partition != awsid.PartitionOf(region) {
		return "", fmt.Errorf("principal %s is in partition %s, but the service's region %s is in %s: "+
			"only principals of the same partition can connect", quoteInput(s), p.Partition, region, awsid.PartitionOf(region))
	}
	return s, nil
}

// quoteInput renders what a user typed for an error message: quoted with
// control and non-ASCII characters escaped, so nothing is lost or hidden,
// and cut when long.
func quoteInput(s string) string {
	const max = 100
	if len(s) > max {
		return strconv.QuoteToASCII(s[:max]) + "..."
	}
	return strconv.QuoteToASCII(s)
}

// AllowPrincipals lets the principals (ARNs; see PrincipalARN) connect.
func (p *Provider) AllowPrincipals(ctx context.Context, serviceID string, arns []string) error {
	return p.modifyPrincipals(ctx, serviceID, arns, nil)
}

// RevokePrincipals removes principals from the service's allow list.
func (p *Provider) RevokePrincipals(ctx context.Context, serviceID string, arns []string) error {
	return p.modifyPrincipals(ctx, serviceID, nil, arns)
}

func (p *Provider) modifyPrincipals(ctx context.Context, serviceID string, add, remove []string) error {
	if len(add) == 0 && len(remove) == 0 {
		return nil
	}
	var api servicesAPI = p.c.ec2
	out, err := api.ModifyVpcEndpointServicePermissions(p.with(ctx, opModifyVpcEndpointServicePermissions),
		&ec2.ModifyVpcEndpointServicePermissionsInput{ServiceId: aws.String(serviceID), AddAllowedPrincipals: add, RemoveAllowedPrincipals: remove})
	if err != nil {
		return p.fail("set allowed principals of "+serviceID, err)
	}
	if !aws.ToBool(out.ReturnValue) {
		return fmt.Errorf("set allowed principals of %s: AWS answered false", serviceID)
	}
	return nil
}

// AllowedPrincipals reads the service's allow list (all pages).
func (p *Provider) AllowedPrincipals(ctx context.Context, serviceID string) ([]AllowedPrincipal, error) {
	var api servicesAPI = p.c.ec2
	pages := ec2.NewDescribeVpcEndpointServicePermissionsPaginator(api, &ec2.DescribeVpcEndpointServicePermissionsInput{
		ServiceId: aws.String(serviceID), MaxResults: aws.Int32(ec2PageSize)})
	var out []AllowedPrincipal
	for pages.HasMorePages() {
		page, err := pages.NextPage(p.with(ctx, opDescribeVpcEndpointServicePermissions))
		if err != nil {
			return nil, p.fail("read allowed principals of "+serviceID, err)
		}
		for _, a := range page.AllowedPrincipals {
			out = append(out, AllowedPrincipal{ARN: str(a.Principal), Type: clean(string(a.PrincipalType)), PermissionID: str(a.ServicePermissionId)})
		}
	}
	return out, nil
}
