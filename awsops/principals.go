package awsops

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
)

// AllowedPrincipal is one principal allowed to connect to a service.
type AllowedPrincipal struct {
	ARN          string // or "*"
	Type         string // All | Service | OrganizationUnit | Account | User | Role
	PermissionID string
}

// PrincipalARN turns what a user types into what AWS takes: a 12-digit
// account ID becomes the account's root ARN in the region's partition; an
// IAM ARN is checked for shape; "*" (everyone) passes, and the caller should
// warn about it.
func PrincipalARN(s, region string) (string, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "*":
		return s, nil
	case validAccountID(s):
		return fmt.Sprintf("arn:%s:iam::%s:root", partition(region), s), nil
	case strings.HasPrefix(s, "arn:"):
		f := strings.SplitN(s, ":", 6)
		if len(f) != 6 || !strings.HasPrefix(f[1], "aws") || f[2] != "iam" || f[3] != "" || !validAccountID(f[4]) || f[5] == "" {
			return "", fmt.Errorf("principal %q: not an IAM ARN (want arn:aws:iam::123456789012:root, :role/NAME or :user/NAME)", clean(s))
		}
		if strings.ContainsFunc(s, func(r rune) bool { return isControl(r) || r == ' ' }) {
			return "", fmt.Errorf("principal %q: contains spaces or control characters", clean(s))
		}
		return s, nil
	}
	return "", fmt.Errorf("principal %q: want a 12-digit account ID, an IAM ARN, or *", clean(s))
}

// partition is the ARN partition of a region.
func partition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	}
	return "aws"
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
