package steps

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// ResAddedRules are the inbound rules fixes added to security groups the
// session did not make (the NLB's, the endpoint's own): "sg-…/sgr-…"
// pairs, comma-separated, which teardown revokes. A group the session made
// goes whole, rules and all.
const ResAddedRules = "addedRules"

// noteAddedRules records rules a fix added to group.
func noteAddedRules(s *Session, group string, ruleIDs []string) {
	list := splitList(s.Resource(ResAddedRules))
	for _, id := range ruleIDs {
		list = append(list, group+"/"+id)
	}
	s.SetResource(ResAddedRules, strings.Join(list, ","))
}

// addedRulesTeardown revokes, group by group, the rules the session's
// fixes added.
func addedRulesTeardown(s *Session) []TeardownAction {
	byGroup := map[string][]string{}
	var groups []string
	for _, e := range splitList(s.Resource(ResAddedRules)) {
		g, id, ok := strings.Cut(e, "/")
		if !ok || g == s.Resource(ResSecurityGroup) {
			continue
		}
		if !slices.Contains(groups, g) {
			groups = append(groups, g)
		}
		byGroup[g] = append(byGroup[g], id)
	}
	var plan []TeardownAction
	for _, g := range groups {
		ids, role := byGroup[g], s.Role
		plan = append(plan, TeardownAction{Label: fmt.Sprintf("revoke %s, added to %s", strings.Join(ids, ", "), g), Do: func(ctx context.Context, env *Env) error {
			if role == RoleProvider {
				return env.provider().RevokeRules(ctx, g, ids)
			}
			return env.consumer().RevokeRules(ctx, g, ids)
		}})
	}
	return plan
}
