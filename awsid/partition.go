package awsid

import (
	"regexp"
	"strings"
)

// A partition is a group of regions with its own ARNs, accounts and DNS
// names: aws, aws-cn, ... Nothing crosses partitions, PrivateLink included.
type partition struct {
	id      string
	regions *regexp.Regexp
}

// partitions are AWS's, with the region patterns the AWS SDKs'
// partitions.json gives them. The patterns do not overlap. aws comes
// first: it is also where a region no pattern claims belongs, as the SDKs
// decide.
var partitions = []partition{
	{"aws", regexp.MustCompile(`^(us|eu|ap|sa|ca|me|af|il|mx)-[a-z]+-[0-9]+$`)},
	{"aws-cn", regexp.MustCompile(`^cn-[a-z]+-[0-9]+$`)},
	{"aws-us-gov", regexp.MustCompile(`^us-gov-[a-z]+-[0-9]+$`)},
	{"aws-iso", regexp.MustCompile(`^us-iso-[a-z]+-[0-9]+$`)},
	{"aws-iso-b", regexp.MustCompile(`^us-isob-[a-z]+-[0-9]+$`)},
	{"aws-iso-e", regexp.MustCompile(`^eu-isoe-[a-z]+-[0-9]+$`)},
	{"aws-iso-f", regexp.MustCompile(`^us-isof-[a-z]+-[0-9]+$`)},
	{"aws-eusc", regexp.MustCompile(`^eusc-de-[a-z]+-[0-9]+$`)},
}

// IsPartition reports whether id is one of AWS's partitions.
func IsPartition(id string) bool {
	for _, p := range partitions {
		if p.id == id {
			return true
		}
	}
	return false
}

// PartitionList names every partition, for messages.
func PartitionList() string {
	ids := make([]string, len(partitions))
	for i, p := range partitions {
		ids[i] = p.id
	}
	return strings.Join(ids, ", ")
}

// PartitionOf returns the partition region belongs to. A region no
// partition's pattern claims is taken to be in aws, as the SDKs do, so a new
// commercial region works before plwiz knows it.
func PartitionOf(region string) string {
	for _, p := range partitions {
		if p.regions.MatchString(region) {
			return p.id
		}
	}
	return partitions[0].id
}
