package steps

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/plwiz/plwiz/awsid"
	"github.com/plwiz/plwiz/awsops"
)

// Cross-region access (AWS PrivateLink, since November 2024): the provider
// lists the regions its service may be reached from; a consumer in one of
// them connects from its own region. These are the rules plwiz checks and
// explains, as AWS's guide gives them.

// ResOfferRegions are the offer's supported regions, the service's own
// included.
const ResOfferRegions = "offerSupportedRegions"

// crossRegionRules is what AWS allows an endpoint to a service of another
// region, and what it asks for.
const crossRegionRules = "AWS allows an endpoint in any AZ of your region (AZs are not matched across regions), gives it the regional DNS name only (no zonal names), " +
	"and turns private DNS on as in one region once the provider accepts; it asks for the IAM permission vpce:AllowMultiRegion, " +
	"and the service's region must be enabled for your account if it is an opt-in region. Traffic between regions is billed as inter-region data transfer."

// crossRegion reports whether the consumer connects to a service hosted in
// another region than its own.
func crossRegion(s *Session) bool {
	r := s.Resource(ResOfferRegion)
	return r != "" && s.Region != "" && r != s.Region
}

// serviceRegion is the ServiceRegion of the consumer's endpoint: the
// offer's region when it is not the consumer's, "" within one region.
func serviceRegion(s *Session) string {
	if crossRegion(s) {
		return s.Resource(ResOfferRegion)
	}
	return ""
}

// validateRegions checks a list of region names as typed.
func validateRegions(v string) error {
	for _, r := range splitList(v) {
		if !awsid.IsRegion(r) {
			return fmt.Errorf("expected region names separated by commas (%s), found %s", awsid.RegionShape, quoteInput(r))
		}
	}
	return nil
}

// otherRegions are the supported regions asked for besides the session's
// own (which a service always supports).
func otherRegions(s *Session) []string {
	return slices.DeleteFunc(splitList(s.Input(InSupportedRegns)), func(r string) bool { return r == s.Region })
}

// checkSupportedRegions checks the regions a provider adds to its service
// before AWS refuses them: of the session's partition (PrivateLink does not
// cross partitions), and enabled for the account (DescribeRegions: an
// opt-in region must be opted in). Every problem is named at once.
func checkSupportedRegions(ctx context.Context, env *Env, s *Session, regions []string) error {
	if len(regions) == 0 {
		return nil
	}
	var problems []string
	for _, r := range regions {
		if p := awsid.PartitionOf(r); p != awsid.PartitionOf(s.Region) {
			problems = append(problems, fmt.Sprintf("%s is in partition %s, not %s's (%s): PrivateLink connects regions of one partition only", r, p, s.Region, awsid.PartitionOf(s.Region)))
		}
	}
	if len(problems) == 0 {
		all, err := env.provider().Regions(ctx)
		if err != nil {
			return err
		}
		for _, r := range regions {
			if p := awsops.RegionProblem(all, r, s.Account); p != "" {
				problems = append(problems, p)
			}
		}
	}
	if len(problems) > 0 {
		return badInputf("--supported-regions: %s", strings.Join(problems, "; "))
	}
	return nil
}

// reconcileRegions adds to an existing service the supported regions asked
// for that it lacks (a re-run, or a service plwiz adopts); it never
// removes one: consumers there may be connected.
func reconcileRegions(ctx context.Context, env *Env, s *Session, svc awsops.Service) (awsops.Service, error) {
	var missing []string
	for _, r := range otherRegions(s) {
		if !slices.Contains(svc.SupportedRegions, r) {
			missing = append(missing, r)
		}
	}
	if len(missing) == 0 {
		return svc, nil
	}
	if err := checkSupportedRegions(ctx, env, s, missing); err != nil {
		return svc, err
	}
	if err := env.provider().ModifyService(ctx, svc.ID, awsops.ModifyServiceInput{AddSupportedRegions: missing}); err != nil {
		return svc, err
	}
	env.forget(serviceKey(svc.ID))
	svc.SupportedRegions = append(svc.SupportedRegions, missing...)
	return svc, nil
}

// regionsPending are the supported regions of a service AWS has not made
// Available yet.
func regionsPending(svc awsops.Service) []string {
	var out []string
	for _, r := range svc.SupportedRegions {
		if st, ok := svc.RegionStates[r]; ok && st != awsops.ServiceAvailable {
			out = append(out, fmt.Sprintf("%s (%s)", r, st))
		}
	}
	return out
}

// regionCheck is the consumer's first check of the service: the same
// region, or a region the offer supports (cross-region).
func regionCheck(s *Session) CheckResult {
	home, supported := s.Resource(ResOfferRegion), splitList(s.Resource(ResOfferRegions))
	if !crossRegion(s) {
		return CheckResult{Name: "same region", Expected: home, Seen: s.Region, Fatal: true, Passed: true}
	}
	c := CheckResult{Name: "your region supported (cross-region)", Fatal: true,
		Expected: fmt.Sprintf("%s among the service's supported regions", s.Region),
		Seen:     fmt.Sprintf("service in %s, supported regions %s", home, orDefault(strings.Join(supported, ", "), home)),
		Passed:   slices.Contains(supported, s.Region)}
	if !c.Passed {
		c.Hint = fmt.Sprintf("The service is in %s and does not accept connections from %s: run with --region %s, or ask the provider to add %s (plwiz provider --service-id %s --supported-regions %s).",
			home, s.Region, home, s.Region, s.Resource(ResServiceID), s.Region)
	}
	return c
}

// optInCheck checks that the service's region is enabled for the
// consumer's account, as AWS requires of a cross-region endpoint.
func optInCheck(ctx context.Context, env *Env, s *Session) (CheckResult, error) {
	home := s.Resource(ResOfferRegion)
	c := CheckResult{Name: "service's region enabled for your account", Expected: home + " enabled (opt-in-not-required or opted-in)", Fatal: true}
	all, err := env.consumer().Regions(ctx)
	if err != nil {
		return c, err
	}
	i := slices.IndexFunc(all, func(r awsops.RegionInfo) bool { return r.Name == home })
	if i >= 0 {
		c.Seen = all[i].OptInStatus
	} else {
		c.Seen = "not listed by DescribeRegions"
	}
	if p := awsops.RegionProblem(all, home, s.Account); p != "" {
		c.Hint = "Region " + p + "."
		return c, nil
	}
	c.Passed = true
	return c, nil
}
