package awsops

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// AllowTCP adds an inbound rule for TCP on port from each CIDR, IPv4 or
// IPv6, to a security group, and returns the IDs AWS gave the rules it
// added, so they can be revoked later. A rule already there is fine: AWS
// then adds none (InvalidPermission.Duplicate) and no ID comes back.
func (b *base) AllowTCP(ctx context.Context, groupID string, port int32, cidrs []string, description string) ([]string, error) {
	if port <= 0 || port > 65535 || len(cidrs) == 0 {
		return nil, fmt.Errorf("allow TCP on %s: need a port 1-65535 and at least one CIDR", groupID)
	}
	var api ingressAPI = b.c.ec2
	out, err := api.AuthorizeSecurityGroupIngress(b.with(ctx, opAuthorizeSecurityGroupIngress), &ec2.AuthorizeSecurityGroupIngressInput{
		GroupId:       aws.String(groupID),
		IpPermissions: []types.IpPermission{tcpPermission(port, cidrs, description)},
	})
	if err != nil {
		if CodeOf(b.fail("", err)) == "InvalidPermission.Duplicate" {
			return nil, nil
		}
		return nil, b.fail(fmt.Sprintf("allow TCP %d on %s", port, groupID), err)
	}
	var ids []string
	for _, r := range out.SecurityGroupRules {
		if id := str(r.SecurityGroupRuleId); id != "" {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// RevokeRules removes inbound rules of a security group by their IDs; a
// group or rule already gone is fine.
func (b *base) RevokeRules(ctx context.Context, groupID string, ruleIDs []string) error {
	if len(ruleIDs) == 0 {
		return nil
	}
	var api ingressAPI = b.c.ec2
	_, err := api.RevokeSecurityGroupIngress(b.with(ctx, opRevokeSecurityGroupIngress), &ec2.RevokeSecurityGroupIngressInput{
		GroupId: aws.String(groupID), SecurityGroupRuleIds: ruleIDs,
	})
	switch CodeOf(b.fail("", err)) {
	case "", "InvalidGroup.NotFound", "InvalidSecurityGroupRuleId.NotFound":
		return nil
	}
	return b.fail(fmt.Sprintf("revoke rules %v of %s", ruleIDs, groupID), err)
}
