package sandbox_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	r53types "github.com/aws/aws-sdk-go-v2/service/route53/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/plwiz/plwiz/sandbox"
	"github.com/plwiz/plwiz/sandbox/sbtest"
)

// TestWorldSaveLoadRoundTrip changes a world through the API, saves it,
// loads it into a second sandbox, and checks that the second one serves the
// same accounts and resources, and that the file holds secrets safely.
func TestWorldSaveLoadRoundTrip(t *testing.T) {
	w := sandbox.NewWorld(sandbox.WorldOptions{Seed: 99, Now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)})
	env := sbtest.Start(t, sbtest.Options{World: w})
	ctx := sbtest.Context(t)
	cons := ec2.NewFromConfig(env.Config(t, "consumer"))
	vpcs, err := cons.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	if err != nil {
		t.Fatal(err)
	}
	sg, err := cons.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("kept"),
		Description: aws.String("kept across a restart"), VpcId: vpcs.Vpcs[0].VpcId})
	if err != nil {
		t.Fatal(err)
	}
	zoneID, _ := providerZone(t, env)
	if _, err := route53.NewFromConfig(env.Config(t, "provider")).ChangeResourceRecordSets(ctx, &route53.ChangeResourceRecordSetsInput{
		HostedZoneId: aws.String(zoneID), ChangeBatch: &r53types.ChangeBatch{Changes: []r53types.Change{
			txtChange(r53types.ChangeActionUpsert, "_kept.example.com.", 1800, `"v"`)}}}); err != nil {
		t.Fatal(err)
	}

	path := filepath.Join(t.TempDir(), "world.json")
	var saved []byte
	env.SB.World(func(w *sandbox.World, _ time.Time) {
		if err := w.Save(path); err != nil {
			t.Fatalf("Save: %v", err)
		}
		saved, _ = json.Marshal(w)
	})
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("world file mode %v, want 0600 (it holds secret keys)", fi.Mode().Perm())
	}

	loaded, err := sandbox.LoadWorld(path)
	if err != nil {
		t.Fatalf("LoadWorld: %v", err)
	}
	again, _ := json.Marshal(loaded)
	if !bytes.Equal(saved, again) {
		t.Errorf("loaded world differs from the saved one:\nsaved  %s\nloaded %s", saved, again)
	}

	env2 := sbtest.Start(t, sbtest.Options{World: loaded})
	if a, b := env.Account(t, "consumer"), env2.Account(t, "consumer"); a.AccessKeyID != b.AccessKeyID || a.SecretAccessKey != b.SecretAccessKey {
		t.Error("the consumer's keys changed across save and load")
	}
	// The old keys work against the new sandbox and see the same resources.
	id, err := sts.NewFromConfig(env2.Config(t, "consumer")).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(id.Account) != sandbox.ConsumerAccountID {
		t.Fatalf("identity after load: %v", err)
	}
	g, err := ec2.NewFromConfig(env2.Config(t, "consumer")).DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{aws.ToString(sg.GroupId)}})
	if err != nil || aws.ToString(g.SecurityGroups[0].Description) != "kept across a restart" {
		t.Errorf("security group after load: %v", err)
	}
	l, err := route53.NewFromConfig(env2.Config(t, "provider")).ListResourceRecordSets(ctx, &route53.ListResourceRecordSetsInput{
		HostedZoneId: aws.String(zoneID), StartRecordName: aws.String("_kept.example.com."), MaxItems: aws.Int32(1)})
	if err != nil || len(l.ResourceRecordSets) != 1 || aws.ToString(l.ResourceRecordSets[0].Name) != "_kept.example.com." {
		t.Errorf("TXT record after load: %v", err)
	}

	// New IDs after a load do not repeat the ones handed out before it.
	sg2, err := ec2.NewFromConfig(env2.Config(t, "consumer")).CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("new"),
		Description: aws.String("new"), VpcId: vpcs.Vpcs[0].VpcId})
	if err != nil || aws.ToString(sg2.GroupId) == aws.ToString(sg.GroupId) {
		t.Errorf("second group %v, %v", aws.ToString(sg2.GroupId), err)
	}
}

func TestLoadWorldRefusesBadFiles(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"garbage.json":  "not json",
		"empty.json":    "{}",
		"noregion.json": `{"accounts":[{"id":"111111111111"}]}`,
	} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := sandbox.LoadWorld(p); err == nil {
			t.Errorf("%s: loaded without error", name)
		}
	}
	if _, err := sandbox.LoadWorld(filepath.Join(dir, "missing.json")); err == nil {
		t.Error("a missing file loaded")
	}
}
