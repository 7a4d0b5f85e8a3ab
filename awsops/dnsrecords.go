package awsops

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	r53types "github.com/aws/aws-sdk-go-v2/service/route53/types"
)

// route53API is what dnsrecords.go needs from Route 53.
type route53API interface {
	ListHostedZonesByName(context.Context, *route53.ListHostedZonesByNameInput, ...func(*route53.Options)) (*route53.ListHostedZonesByNameOutput, error)
	ChangeResourceRecordSets(context.Context, *route53.ChangeResourceRecordSetsInput, ...func(*route53.Options)) (*route53.ChangeResourceRecordSetsOutput, error)
	route53.GetChangeAPIClient
}

// TXTRecordTTL is the TTL AWS's guide gives for the verification record.
const TXTRecordTTL = 1800

// HostedZone is a Route 53 hosted zone.
type HostedZone struct {
	ID      string // bare, e.g. Z0123456789ABC
	Name    string // no trailing dot, e.g. example.com
	Private bool
}

// FindPublicHostedZone returns the account's public hosted zone that covers
// name: the zone of the longest suffix of name, if any. Route 53 lists
// zones sorted by their labels reversed (com.example.api), so listing from
// the name's last two labels on brings every zone that may cover it first,
// in one call unless the account has more than a page of zones between
// them.
func (p *Provider) FindPublicHostedZone(ctx context.Context, name string) (HostedZone, bool, error) {
	name, err := dnsName(name)
	if err != nil {
		return HostedZone{}, false, fmt.Errorf("find hosted zone: %w", err)
	}
	labels := strings.Split(name, ".")
	if len(labels) < 2 {
		return HostedZone{}, false, nil
	}
	start := strings.Join(labels[len(labels)-2:], ".")
	target := reversedLabels(name)
	var api route53API = p.c.r53
	in := &route53.ListHostedZonesByNameInput{DNSName: aws.String(start), MaxItems: aws.Int32(100)}
	var best HostedZone
	for {
		out, err := api.ListHostedZonesByName(p.with(ctx, opListHostedZonesByName), in)
		if err != nil {
			return HostedZone{}, false, p.fail("find hosted zone "+name, err)
		}
		for _, hz := range out.HostedZones {
			zn := strings.TrimSuffix(strings.ToLower(str(hz.Name)), ".")
			covers := zn == name || strings.HasSuffix(name, "."+zn)
			if !covers && slices.Compare(reversedLabels(zn), target) > 0 {
				// Past name in Route 53's order: no later zone covers it.
				return best, best.ID != "", nil
			}
			private := hz.Config != nil && hz.Config.PrivateZone
			if covers && !private && len(zn) > len(best.Name) {
				best = HostedZone{ID: bareID(str(hz.Id)), Name: zn}
			}
		}
		if !out.IsTruncated {
			return best, best.ID != "", nil
		}
		in = &route53.ListHostedZonesByNameInput{DNSName: out.NextDNSName, HostedZoneId: out.NextHostedZoneId, MaxItems: aws.Int32(100)}
	}
}

// reversedLabels is a name's labels from the last, Route 53's sort key.
func reversedLabels(name string) []string {
	labels := strings.Split(name, ".")
	slices.Reverse(labels)
	return labels
}

// UpsertTXT creates or replaces the TXT record name with value (TTL 1800),
// quoting the value as Route 53 needs. It returns the change ID to wait on.
func (p *Provider) UpsertTXT(ctx context.Context, zoneID, name, value string) (string, error) {
	return p.changeTXT(ctx, r53types.ChangeActionUpsert, zoneID, name, value)
}

// DeleteTXT deletes the TXT record; a record that is already gone is not an
// error (the change ID is then "").
func (p *Provider) DeleteTXT(ctx context.Context, zoneID, name, value string) (string, error) {
	id, err := p.changeTXT(ctx, r53types.ChangeActionDelete, zoneID, name, value)
	var e *Error
	if errors.As(err, &e) && e.Code == "InvalidChangeBatch" && strings.Contains(strings.ToLower(e.Message), "not found") {
		return "", nil
	}
	return id, err
}

func (p *Provider) changeTXT(ctx context.Context, action r53types.ChangeAction, zoneID, name, value string) (string, error) {
	fq, err := dnsName(name)
	if err != nil {
		return "", fmt.Errorf("%s TXT record: %w", strings.ToLower(string(action)), err)
	}
	if value == "" || strings.ContainsFunc(value, isControl) {
		return "", fmt.Errorf("%s TXT record %s: the value is empty or has control characters", strings.ToLower(string(action)), fq)
	}
	var api route53API = p.c.r53
	out, err := api.ChangeResourceRecordSets(p.with(ctx, opChangeResourceRecordSets), &route53.ChangeResourceRecordSetsInput{
		HostedZoneId: aws.String(bareID(zoneID)),
		ChangeBatch: &r53types.ChangeBatch{
			Comment: aws.String("plwiz: PrivateLink private DNS name verification"),
			Changes: []r53types.Change{{Action: action, ResourceRecordSet: &r53types.ResourceRecordSet{
				Name: aws.String(fq + "."), Type: r53types.RRTypeTxt, TTL: aws.Int64(TXTRecordTTL),
				ResourceRecords: []r53types.ResourceRecord{{Value: aws.String(QuoteTXT(value))}},
			}}},
		},
	})
	if err != nil {
		return "", p.fail(fmt.Sprintf("%s TXT record %s", strings.ToLower(string(action)), fq), err)
	}
	if out.ChangeInfo == nil {
		return "", fmt.Errorf("%s TXT record %s: Route 53 answered without change info", strings.ToLower(string(action)), fq)
	}
	return bareID(str(out.ChangeInfo.Id)), nil
}

// QuoteTXT renders a TXT value as Route 53 takes it: in double quotes, with
// quotes and backslashes escaped, split into 255-byte character-strings.
func QuoteTXT(v string) string {
	var parts []string
	for len(v) > 0 {
		n := min(255, len(v))
		parts = append(parts, `"`+strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(v[:n])+`"`)
		v = v[n:]
	}
	return strings.Join(parts, " ")
}

// ChangeStatus reads a Route 53 change's status (PENDING or INSYNC).
func (p *Provider) ChangeStatus(ctx context.Context, changeID string) (ChangeStatus, error) {
	var api route53API = p.c.r53
	out, err := api.GetChange(p.with(ctx, opGetChange), &route53.GetChangeInput{Id: aws.String(bareID(changeID))})
	if err != nil {
		return "", p.fail("read Route 53 change "+changeID, err)
	}
	if out.ChangeInfo == nil {
		return "", fmt.Errorf("read Route 53 change %s: no change info in the answer", changeID)
	}
	return parseChangeStatus(string(out.ChangeInfo.Status)), nil
}

// WaitChangeInsync polls the change with the SDK's waiter until Route 53
// reports it INSYNC, for at most maxWait.
func (p *Provider) WaitChangeInsync(ctx context.Context, changeID string, minDelay, maxWait time.Duration) error {
	var api route53API = p.c.r53
	w := route53.NewResourceRecordSetsChangedWaiter(api, func(o *route53.ResourceRecordSetsChangedWaiterOptions) {
		if minDelay > 0 {
			o.MinDelay = minDelay
			o.MaxDelay = max(minDelay, min(o.MaxDelay, 8*minDelay))
		}
	})
	if err := w.Wait(p.with(ctx, opGetChange), &route53.GetChangeInput{Id: aws.String(bareID(changeID))}, maxWait); err != nil {
		return p.fail("wait for Route 53 change "+changeID, err)
	}
	return nil
}

// bareID strips Route 53's "/hostedzone/" or "/change/" prefix.
func bareID(id string) string {
	if i := strings.LastIndexByte(id, '/'); i >= 0 {
		return id[i+1:]
	}
	return id
}

// dnsName lower-cases and checks a DNS name, without a trailing dot.
func dnsName(s string) (string, error) {
	n := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s)), ".")
	if n == "" || len(n) > 253 {
		return "", fmt.Errorf("%q is not a DNS name", clean(s))
	}
	for i, label := range strings.Split(n, ".") {
		if label == "" || len(label) > 63 {
			return "", fmt.Errorf("%q is not a DNS name (empty or too long label)", clean(s))
		}
		for _, r := range label {
			ok := r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_' || (r == '*' && i == 0 && label == "*")
			if !ok {
				return "", fmt.Errorf("%q is not a DNS name (character %q)", clean(s), r)
			}
		}
	}
	return n, nil
}
