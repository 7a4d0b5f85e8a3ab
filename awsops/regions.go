package awsops

import (
	"context"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
)

// regionsAPI is what regions.go needs from EC2.
type regionsAPI interface {
	DescribeRegions(context.Context, *ec2.DescribeRegionsInput, ...func(*ec2.Options)) (*ec2.DescribeRegionsOutput, error)
}

// AllowMultiRegion is the permission-only IAM action AWS checks for
// cross-region PrivateLink: a service with other supported regions (its
// creation and every change to it) and an endpoint to a service of another
// region.
const AllowMultiRegion = "vpce:AllowMultiRegion"

// Opt-in statuses of a region, as DescribeRegions reports them.
const (
	OptInNotRequired = "opt-in-not-required"
	OptedIn          = "opted-in"
	NotOptedIn       = "not-opted-in"
)

// RegionInfo is one AWS region as the account sees it.
type RegionInfo struct {
	Name        string // us-east-1
	Endpoint    string // ec2.us-east-1.amazonaws.com
	OptInStatus string // opt-in-not-required | opted-in | not-opted-in
}

// Enabled reports whether the account may use the region: one enabled by
// default, or an opt-in region it has opted in to.
func (r RegionInfo) Enabled() bool { return r.OptInStatus != NotOptedIn }

// Regions lists every region of the partition with its opt-in status for
// this account (DescribeRegions with AllRegions), so a region the account
// has not enabled can be told from one that does not exist.
func (b *base) Regions(ctx context.Context) ([]RegionInfo, error) {
	var api regionsAPI = b.c.ec2
	out, err := api.DescribeRegions(b.with(ctx, opDescribeRegions), &ec2.DescribeRegionsInput{AllRegions: aws.Bool(true)})
	if err != nil {
		return nil, b.fail("list regions", err)
	}
	regions := make([]RegionInfo, 0, len(out.Regions))
	for _, r := range out.Regions {
		regions = append(regions, RegionInfo{Name: str(r.RegionName), Endpoint: str(r.Endpoint), OptInStatus: str(r.OptInStatus)})
	}
	slices.SortFunc(regions, func(a, b RegionInfo) int {
		switch {
		case a.Name < b.Name:
			return -1
		case a.Name > b.Name:
			return 1
		}
		return 0
	})
	return regions, nil
}

// RegionProblem is why a region cannot be used for cross-region access
// by this account, "" when it can.
func RegionProblem(regions []RegionInfo, name, account string) string {
	i := slices.IndexFunc(regions, func(r RegionInfo) bool { return r.Name == name })
	switch {
	case i < 0:
		return fmt.Sprintf("%s is not a region of this partition (DescribeRegions does not list it)", name)
	case !regions[i].Enabled():
		return fmt.Sprintf("%s is an opt-in region that account %s has not enabled: enable it (AWS console: Account → AWS Regions, or aws account enable-region --region-name %s), wait until it is ENABLED, then retry", name, account, name)
	}
	return ""
}
