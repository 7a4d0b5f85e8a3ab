package awsops

import (
	"context"
	"slices"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
)

// zonesAPI is what zones.go needs from EC2.
type zonesAPI interface {
	DescribeAvailabilityZones(context.Context, *ec2.DescribeAvailabilityZonesInput, ...func(*ec2.Options)) (*ec2.DescribeAvailabilityZonesOutput, error)
}

// AZ is an Availability Zone by both its names: Name is this account's
// ("us-east-1a"), ID is the same physical zone in every account ("use1-az1").
type AZ struct {
	Name string
	ID   string
}

// AvailabilityZones lists the region's zones with this account's names.
// They are read once per client: an account's names for the zones never
// change, and the load balancer, its targets and the subnets all need them.
func (b *base) AvailabilityZones(ctx context.Context) ([]AZ, error) {
	b.c.zonesMu.Lock()
	defer b.c.zonesMu.Unlock()
	if b.c.zones != nil {
		return slices.Clone(b.c.zones), nil
	}
	var api zonesAPI = b.c.ec2
	out, err := api.DescribeAvailabilityZones(b.with(ctx, opDescribeAvailabilityZones), &ec2.DescribeAvailabilityZonesInput{})
	if err != nil {
		return nil, b.fail("list availability zones", err)
	}
	zones := make([]AZ, 0, len(out.AvailabilityZones))
	for _, z := range out.AvailabilityZones {
		zones = append(zones, AZ{Name: str(z.ZoneName), ID: str(z.ZoneId)})
	}
	b.c.zones = slices.Clone(zones)
	return zones, nil
}

// zoneIDs maps this account's zone names to zone IDs.
func (b *base) zoneIDs(ctx context.Context) (map[string]string, error) {
	zones, err := b.AvailabilityZones(ctx)
	if err != nil {
		return nil, err
	}
	m := make(map[string]string, len(zones))
	for _, z := range zones {
		m[z.Name] = z.ID
	}
	return m, nil
}
