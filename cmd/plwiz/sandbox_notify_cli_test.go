package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/plwiz/plwiz/sandbox"
)

// TestAWSCLINotifications drives SNS, SQS and connection notifications in
// `plwiz sandbox` with the AWS CLI (Debian's 2.9 speaks the Query protocol
// to SQS, newer ones AWS JSON 1.0: the sandbox serves both): the provider
// makes a topic with the PrivateLink guide's policy, a queue whose policy
// lets the topic in, the subscription and a notification on its service;
// the consumer's new endpoint is a Connect event the provider's long poll
// receives; teardown deletes each.
func TestAWSCLINotifications(t *testing.T) {
	bin := needAWSCLI(t)
	r := startSandboxCmd(t, "--addr", "127.0.0.1:0", "--speed", "1000", "--no-data-plane", "--quiet")
	prov := sandbox.ProviderAccountID

	topic := jstr(t, awsCLI(t, bin, r, "provider", "sns", "create-topic", "--name", "vpce-events", "--tags", "Key=plwiz:session,Value=s1"), "TopicArn")
	if topic != "arn:aws:sns:us-east-1:"+prov+":vpce-events" {
		t.Fatalf("create-topic: %s", topic)
	}
	policy := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"vpce.amazonaws.com"},"Action":"SNS:Publish",`+
		`"Resource":%q,"Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:ec2:us-east-1:%s:vpc-endpoint-service/*"},"StringEquals":{"aws:SourceAccount":%q}}}]}`, topic, prov, prov)
	awsCLI(t, bin, r, "provider", "sns", "set-topic-attributes", "--topic-arn", topic, "--attribute-name", "Policy", "--attribute-value", policy)
	attrs := awsCLI(t, bin, r, "provider", "sns", "get-topic-attributes", "--topic-arn", topic)
	if jstr(t, attrs, "Attributes", "Policy") != policy || jstr(t, attrs, "Attributes", "Owner") != prov {
		t.Fatalf("get-topic-attributes: %v", attrs)
	}
	if jstr(t, awsCLI(t, bin, r, "provider", "sns", "list-tags-for-resource", "--resource-arn", topic), "Tags", 0, "Value") != "s1" {
		t.Error("list-tags-for-resource does not show the tag")
	}

	qARN := "arn:aws:sqs:us-east-1:" + prov + ":vpce-events"
	qPolicy := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"sns.amazonaws.com"},"Action":"sqs:SendMessage",`+
		`"Resource":%q,"Condition":{"ArnEquals":{"aws:SourceArn":%q}}}]}`, qARN, topic)
	qAttrs, _ := json.Marshal(map[string]string{"Policy": qPolicy, "ReceiveMessageWaitTimeSeconds": "20"})
	qURL := jstr(t, awsCLI(t, bin, r, "provider", "sqs", "create-queue", "--queue-name", "vpce-events", "--attributes", string(qAttrs), "--tags", "plwiz:session=s1"), "QueueUrl")
	if qURL != r.url+"/"+prov+"/vpce-events" {
		t.Fatalf("create-queue: %s", qURL)
	}
	got := awsCLI(t, bin, r, "provider", "sqs", "get-queue-attributes", "--queue-url", qURL, "--attribute-names", "QueueArn", "Policy")
	if jstr(t, got, "Attributes", "QueueArn") != qARN || jstr(t, got, "Attributes", "Policy") != qPolicy {
		t.Fatalf("get-queue-attributes: %v", got)
	}
	if jstr(t, awsCLI(t, bin, r, "provider", "sqs", "list-queue-tags", "--queue-url", qURL), "Tags", "plwiz:session") != "s1" {
		t.Error("list-queue-tags does not show the tag")
	}
	sub := jstr(t, awsCLI(t, bin, r, "provider", "sns", "subscribe", "--topic-arn", topic, "--protocol", "sqs", "--notification-endpoint", qARN), "SubscriptionArn")
	if !strings.HasPrefix(sub, topic+":") {
		t.Fatalf("subscribe: %s", sub)
	}

	// The provider's service, and a notification on it.
	nlb := jstr(t, awsCLI(t, bin, r, "provider", "elbv2", "describe-load-balancers"), "LoadBalancers", 0, "LoadBalancerArn")
	created := awsCLI(t, bin, r, "provider", "ec2", "create-vpc-endpoint-service-configuration", "--network-load-balancer-arns", nlb, "--acceptance-required")
	svcID, svcName := jstr(t, created, "ServiceConfiguration", "ServiceId"), jstr(t, created, "ServiceConfiguration", "ServiceName")
	awsCLI(t, bin, r, "provider", "ec2", "modify-vpc-endpoint-service-permissions", "--service-id", svcID,
		"--add-allowed-principals", "arn:aws:iam::"+sandbox.ConsumerAccountID+":root")
	nfn := awsCLI(t, bin, r, "provider", "ec2", "create-vpc-endpoint-connection-notification", "--service-id", svcID,
		"--connection-notification-arn", topic, "--connection-events", "Connect", "Accept", "Reject", "Delete")
	nfnID := jstr(t, nfn, "ConnectionNotification", "ConnectionNotificationId")
	if !strings.HasPrefix(nfnID, "vpce-nfn-") || jstr(t, nfn, "ConnectionNotification", "ConnectionNotificationState") != "Enabled" ||
		jstr(t, nfn, "ConnectionNotification", "ServiceId") != svcID || len(jget(t, nfn, "ConnectionNotification", "ConnectionEvents").([]any)) != 4 {
		t.Fatalf("create-vpc-endpoint-connection-notification: %v", nfn)
	}
	listed := awsCLI(t, bin, r, "provider", "ec2", "describe-vpc-endpoint-connection-notifications", "--filters", "Name=service-id,Values="+svcID)
	if jstr(t, listed, "ConnectionNotificationSet", 0, "ConnectionNotificationId") != nfnID {
		t.Fatalf("describe-vpc-endpoint-connection-notifications: %v", listed)
	}
	waitFor(t, "service Available", func() bool {
		d := awsCLI(t, bin, r, "provider", "ec2", "describe-vpc-endpoint-service-configurations", "--service-ids", svcID)
		return jstr(t, d, "ServiceConfigurations", 0, "ServiceState") == "Available"
	})

	// The consumer connects: the provider's queue gets the Connect event.
	vpcID := jstr(t, awsCLI(t, bin, r, "consumer", "ec2", "describe-vpcs"), "Vpcs", 0, "VpcId")
	sn := jstr(t, awsCLI(t, bin, r, "consumer", "ec2", "describe-subnets", "--filters", "Name=vpc-id,Values="+vpcID), "Subnets", 0, "SubnetId")
	epID := jstr(t, awsCLI(t, bin, r, "consumer", "ec2", "create-vpc-endpoint", "--vpc-endpoint-type", "Interface",
		"--vpc-id", vpcID, "--service-name", svcName, "--subnet-ids", sn, "--no-private-dns-enabled"), "VpcEndpoint", "VpcEndpointId")
	msgs := awsCLI(t, bin, r, "provider", "sqs", "receive-message", "--queue-url", qURL, "--wait-time-seconds", "5", "--attribute-names", "All")
	var env struct{ Type, TopicArn, Message string }
	if err := json.Unmarshal([]byte(jstr(t, msgs, "Messages", 0, "Body")), &env); err != nil || env.Type != "Notification" || env.TopicArn != topic {
		t.Fatalf("receive-message: %v %v", msgs, err)
	}
	var ev sandbox.ConnectionEvent
	if err := json.Unmarshal([]byte(env.Message), &ev); err != nil || ev.EventType != "Connect" || ev.VpcEndpointID != epID || ev.ServiceID != svcID ||
		ev.VpcEndpointOwner != sandbox.ConsumerAccountID || ev.ConnectionNotificationID != nfnID {
		t.Fatalf("event %+v %v", ev, err)
	}
	awsCLI(t, bin, r, "provider", "sqs", "delete-message", "--queue-url", qURL, "--receipt-handle", jstr(t, msgs, "Messages", 0, "ReceiptHandle"))

	// A topic without the vpce grant is refused with EC2's error.
	plain := jstr(t, awsCLI(t, bin, r, "provider", "sns", "create-topic", "--name", "plain"), "TopicArn")
	if out, code := awsCLIFails(t, bin, r, "provider", "ec2", "create-vpc-endpoint-connection-notification", "--service-id", svcID,
		"--connection-notification-arn", plain, "--connection-events", "Connect"); code == 0 || !strings.Contains(out, "(InvalidParameter)") {
		t.Errorf("a topic that does not allow vpce: exit %d: %s", code, out)
	}

	// Teardown, each with the CLI.
	del := awsCLI(t, bin, r, "provider", "ec2", "delete-vpc-endpoint-connection-notifications", "--connection-notification-ids", nfnID)
	if u, _ := jget(t, del, "Unsuccessful").([]any); len(u) != 0 {
		t.Errorf("delete-vpc-endpoint-connection-notifications: %v", del)
	}
	awsCLI(t, bin, r, "provider", "sns", "unsubscribe", "--subscription-arn", sub)
	awsCLI(t, bin, r, "provider", "sns", "delete-topic", "--topic-arn", topic)
	awsCLI(t, bin, r, "provider", "sqs", "delete-queue", "--queue-url", qURL)
	if out, code := awsCLIFails(t, bin, r, "provider", "sqs", "get-queue-url", "--queue-name", "vpce-events"); code == 0 ||
		!strings.Contains(out, "(AWS.SimpleQueueService.NonExistentQueue)") {
		t.Errorf("get-queue-url of a deleted queue: exit %d: %s", code, out)
	}
	if out, code := awsCLIFails(t, bin, r, "provider", "sns", "get-topic-attributes", "--topic-arn", topic); code == 0 || !strings.Contains(out, "(NotFound)") {
		t.Errorf("get-topic-attributes of a deleted topic: exit %d: %s", code, out)
	}
}
