package steps

import (
	"context"
	"sync"
	"time"

	"github.com/plwiz/plwiz/awsops"
)

// recentFor is how long what a party read from AWS stands for the steps
// after: a step that needs what the poll before it just read (the service
// configuration, the endpoint, the VPC after a fix) uses it instead of
// asking again. What the party itself changes is forgotten or updated at
// once; others' changes are seen at the next read after this.
const recentFor = 30 * time.Second

// recentReads keeps the last reads of one party, by kind and ID.
type recentReads struct {
	mu      sync.Mutex
	entries map[string]recentRead
}

type recentRead struct {
	at time.Time // wall clock, monotonic: fresh or not
	v  any
}

func (e *Env) reads() *recentReads {
	e.readsOnce.Do(func() { e.recent = &recentReads{entries: map[string]recentRead{}} })
	return e.recent
}

func (e *Env) remember(key string, v any) {
	r := e.reads()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.entries[key] = recentRead{at: time.Now(), v: v}
}

func (e *Env) forget(key string) {
	r := e.reads()
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.entries, key)
}

// recall returns what was read under key within recentFor.
func recall[T any](e *Env, key string) (T, bool) {
	r := e.reads()
	r.mu.Lock()
	defer r.mu.Unlock()
	var zero T
	got, ok := r.entries[key]
	if !ok || time.Since(got.at) > recentFor {
		return zero, false
	}
	v, ok := got.v.(T)
	return v, ok
}

// cached returns the recent read under key, or reads and remembers it.
func cached[T any](e *Env, key string, read func() (T, error)) (T, error) {
	if v, ok := recall[T](e, key); ok {
		return v, nil
	}
	v, err := read()
	if err == nil {
		e.remember(key, v)
	}
	return v, err
}

// Keys of what is remembered.
func serviceKey(id string) string  { return "service:" + id }
func endpointKey(id string) string { return "endpoint:" + id }
func vpcKey(id string) string      { return "vpc:" + id }
func subnetsKey(vpc string) string { return "subnets:" + vpc }
func allowedKey(svc string) string { return "allowed:" + svc }

// readService reads an endpoint service now (a poll) and remembers it.
func (e *Env) readService(ctx context.Context, id string) (awsops.Service, error) {
	svc, err := e.provider().DescribeService(ctx, id)
	if err == nil {
		e.remember(serviceKey(id), svc)
	}
	return svc, err
}

// service is the endpoint service as read moments ago, or read now.
func (e *Env) service(ctx context.Context, id string) (awsops.Service, error) {
	return cached(e, serviceKey(id), func() (awsops.Service, error) { return e.provider().DescribeService(ctx, id) })
}

// readEndpoint reads an endpoint now (a poll) and remembers it.
func (e *Env) readEndpoint(ctx context.Context, id string) (awsops.Endpoint, error) {
	ep, err := e.consumer().DescribeEndpoint(ctx, id)
	if err == nil {
		e.remember(endpointKey(id), ep)
	}
	return ep, err
}

// endpoint is the endpoint as read moments ago, or read now.
func (e *Env) endpoint(ctx context.Context, id string) (awsops.Endpoint, error) {
	return cached(e, endpointKey(id), func() (awsops.Endpoint, error) { return e.consumer().DescribeEndpoint(ctx, id) })
}

func (e *Env) vpc(ctx context.Context, id string) (awsops.VPC, error) {
	return cached(e, vpcKey(id), func() (awsops.VPC, error) { return e.consumer().DescribeVPC(ctx, id) })
}

func (e *Env) subnets(ctx context.Context, vpc string) ([]awsops.Subnet, error) {
	return cached(e, subnetsKey(vpc), func() ([]awsops.Subnet, error) { return e.consumer().ListSubnets(ctx, vpc) })
}

func (e *Env) allowedPrincipals(ctx context.Context, svc string) ([]awsops.AllowedPrincipal, error) {
	return cached(e, allowedKey(svc), func() ([]awsops.AllowedPrincipal, error) { return e.provider().AllowedPrincipals(ctx, svc) })
}
