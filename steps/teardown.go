package steps

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/plwiz/plwiz/awsops"
)

// TeardownAction is one deletion, in the order AWS needs them.
type TeardownAction struct {
	Label string
	Do    func(ctx context.Context, env *Env) error
}

// TeardownPlan lists what the session created and how to delete it, in
// order: a consumer's connection notifications, its endpoint, then the
// security group plwiz made for it; a provider's TXT record, its
// notifications, then its connections (an endpoint service with live
// connections cannot be deleted), then the service; last, either party's
// events subscription, topic and queue. Resources the session only used
// (an NLB, an existing service it adopted, a VPC, a topic the user chose)
// are left alone, but for the load balancers the session added to an
// adopted service, which are removed from it, and the inbound rules its
// fixes added to security groups it did not make, which are revoked.
func TeardownPlan(s *Session) []TeardownAction {
	var plan []TeardownAction
	switch s.Role {
	case RoleConsumer:
		plan = append(plan, reachabilityTeardown(s)...)
		plan = append(plan, notificationTeardown(s)...)
		plan = append(plan, addedRulesTeardown(s)...)
		if id := s.Resource(ResEndpointID); id != "" {
			plan = append(plan, TeardownAction{Label: "delete interface endpoint " + id, Do: func(ctx context.Context, env *Env) error {
				err := env.consumer().DeleteEndpoint(ctx, id)
				if awsops.CodeOf(err) == "InvalidVpcEndpointId.NotFound" {
					return nil // already gone: teardown is idempotent
				}
				return err
			}})
		}
		if sg := s.Resource(ResSecurityGroup); sg != "" {
			plan = append(plan, TeardownAction{Label: "delete security group " + sg, Do: func(ctx context.Context, env *Env) error {
				return deleteGroupWhenFree(ctx, env, sg)
			}})
		}
	case RoleProvider:
		svc := s.Resource(ResServiceID)
		if s.Resource(ResTXTWritten) == "true" && s.Resource(ResZoneID) != "" {
			zone, name, value := s.Resource(ResZoneID), s.Resource(ResTXTName), s.Resource(ResTXTValue)
			plan = append(plan, TeardownAction{Label: fmt.Sprintf("delete TXT %s from %s", name, s.Resource(ResZoneName)), Do: func(ctx context.Context, env *Env) error {
				_, err := env.provider().DeleteTXT(ctx, zone, name, value)
				if awsops.CodeOf(err) == "InvalidChangeBatch" {
					return nil // the record is no longer there
				}
				return err
			}})
		}
		plan = append(plan, notificationTeardown(s)...)
		plan = append(plan, addedRulesTeardown(s)...)
		plan = append(plan, addedNLBsTeardown(s)...)
		if svc != "" && !adoptsService(s) {
			plan = append(plan,
				TeardownAction{Label: "reject the connections of " + svc, Do: func(ctx context.Context, env *Env) error {
					conns, err := env.provider().ListConnections(ctx, svc, awsops.ConnectionFilter{
						States: []awsops.EndpointState{awsops.EndpointPendingAcceptance, awsops.EndpointPending, awsops.EndpointAvailable},
					})
					if err != nil || len(conns) == 0 {
						return ignoreNotFound(err)
					}
					ids := make([]string, len(conns))
					for i, c := range conns {
						ids[i] = c.EndpointID
					}
					return env.provider().RejectConnections(ctx, svc, ids)
				}},
				TeardownAction{Label: "delete endpoint service " + svc, Do: func(ctx context.Context, env *Env) error {
					return ignoreNotFound(env.provider().DeleteService(ctx, svc))
				}},
			)
		}
	}
	return append(plan, eventsTeardown(s)...)
}

// sgFreeTimeout bounds the wait for a deleted endpoint to let go of its
// security group.
const sgFreeTimeout = 5 * time.Minute

// deleteGroupWhenFree deletes a security group, waiting while AWS still
// counts a deleting endpoint as using it (DependencyViolation).
func deleteGroupWhenFree(ctx context.Context, env *Env, id string) error {
	ctx, cancel := context.WithTimeout(ctx, sgFreeTimeout)
	defer cancel()
	b := DefaultBackoff()
	for {
		err := env.consumer().DeleteSecurityGroup(ctx, id)
		switch awsops.CodeOf(err) {
		case "":
			return err
		case "InvalidGroup.NotFound":
			return nil // already gone
		case "DependencyViolation":
			if serr := sleepCtx(ctx, b.Next("dependency")); serr != nil {
				return fmt.Errorf("%w (the endpoint that used it is still being deleted; run teardown again later)", err)
			}
		default:
			return err
		}
	}
}

func ignoreNotFound(err error) error {
	switch awsops.CodeOf(err) {
	case "InvalidVpcEndpointServiceId.NotFound", "InvalidVpcEndpointService.NotFound":
		return nil
	}
	return err
}

// RunTeardown carries out the plan TeardownPlan made for s, going on past
// a failure so one stuck resource does not keep the others alive, and
// reports every failure. When every deletion succeeded it records s as torn
// down and saves it, so plwiz sessions says so and --resume passes it by.
func RunTeardown(ctx context.Context, env *Env, s *Session, plan []TeardownAction, report func(action string, err error)) error {
	var errs []error
	for _, a := range plan {
		err := a.Do(ctx, env)
		if report != nil {
			report(a.Label, err)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", a.Label, err))
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	now := env.now()
	s.MarkTornDown(now)
	if err := s.Save(now); err != nil {
		return fmt.Errorf("record the teardown: %w", err)
	}
	return nil
}
