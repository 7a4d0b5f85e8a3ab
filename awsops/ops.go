package awsops

import (
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/acm"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// NamePrefix starts the name of every SNS topic and SQS queue plwiz
// creates, so the IAM policy can scope what it does to them.
const NamePrefix = "plwiz-"

// Role is one party of a PrivateLink setup.
type Role string

// The two roles.
const (
	RoleProvider Role = "provider"
	RoleConsumer Role = "consumer"
)

// ParseRole accepts "provider" or "consumer" in any case.
func ParseRole(s string) (Role, bool) {
	switch strings.ToLower(s) {
	case string(RoleProvider):
		return RoleProvider, true
	case string(RoleConsumer):
		return RoleConsumer, true
	}
	return "", false
}

// Operation is one AWS API operation plwiz may call, with the roles that call
// it. The table below is the single source of both what the code may call
// (a middleware refuses any other operation at run time) and the IAM policy
// each role needs, so the two cannot drift apart.
type Operation struct {
	// Service is the SDK's service ID (ec2.ServiceID, ...).
	Service string
	// Name is the API operation name, e.g. CreateVpcEndpoint.
	Name  string
	Roles []Role
	// AlsoNeeds lists IAM actions AWS checks besides the operation's own,
	// e.g. ec2:CreateTags when a create call carries tags.
	AlsoNeeds []string
	// IAMAction, when set, is the action that authorises the operation
	// where it is not named after it (SQS's batch calls are authorised by
	// their single-message action: DeleteMessageBatch by sqs:DeleteMessage).
	IAMAction string
	// Resources, when set, scope the action to these ARN patterns instead
	// of "*"; ScopeNote ends the statement's Sid and says what the scope
	// is (IAM policies have no comments).
	Resources []string
	ScopeNote string
}

// Action is the IAM action that authorises the operation, e.g.
// "ec2:CreateVpcEndpoint".
func (o Operation) Action() string {
	if o.IAMAction != "" {
		return o.IAMAction
	}
	return iamPrefix(o.Service) + ":" + o.Name
}

// For reports whether the role calls the operation.
func (o Operation) For(r Role) bool { return slices.Contains(o.Roles, r) }

// iamPrefix maps an SDK service ID to its IAM service prefix.
func iamPrefix(serviceID string) string {
	switch serviceID {
	case ec2.ServiceID:
		return "ec2"
	case elbv2.ServiceID:
		return "elasticloadbalancing"
	case route53.ServiceID:
		return "route53"
	case sts.ServiceID:
		return "sts"
	case sns.ServiceID:
		return "sns"
	case sqs.ServiceID:
		return "sqs"
	case ssm.ServiceID:
		return "ssm"
	case acm.ServiceID:
		return "acm"
	}
	return strings.ToLower(strings.ReplaceAll(serviceID, " ", ""))
}

type opID int

// The operations, one constant each; every SDK call in this package names
// its constant, and the table gives its service, name and roles.
const (
	opGetCallerIdentity opID = iota
	opDescribeAvailabilityZones
	opDescribeRegions

	opDescribeLoadBalancers
	opDescribeListeners
	opDescribeTargetGroups
	opDescribeTargetHealth
	opDescribeLoadBalancerAttributes
	opDescribeTargetGroupAttributes
	opDescribeListenerCertificates
	opDescribeCertificate
	opSetSecurityGroups
	opModifyTargetGroupAttributes
	opCreateVpcEndpointServiceConfiguration
	opDescribeVpcEndpointServiceConfigurations
	opModifyVpcEndpointServiceConfiguration
	opDeleteVpcEndpointServiceConfigurations
	opModifyVpcEndpointServicePermissions
	opDescribeVpcEndpointServicePermissions
	opStartVpcEndpointServicePrivateDNSVerification
	opDescribeVpcEndpointConnections
	opAcceptVpcEndpointConnections
	opRejectVpcEndpointConnections
	opListHostedZonesByName
	opChangeResourceRecordSets
	opGetChange

	opDescribeVpcEndpointServices
	opDescribeVpcs
	opDescribeVpcAttribute
	opModifyVpcAttribute
	opDescribeSubnets
	opDescribeSecurityGroups
	opCreateSecurityGroup
	opAuthorizeSecurityGroupIngress
	opRevokeSecurityGroupIngress
	opDeleteSecurityGroup
	opCreateVpcEndpoint
	opDescribeVpcEndpoints
	opModifyVpcEndpoint
	opDeleteVpcEndpoints
	opDescribeNetworkInterfaces
	opDescribeInstances
	opDescribeInstanceInformation
	opSendCommand
	opGetCommandInvocation
	opCreateNetworkInsightsPath
	opStartNetworkInsightsAnalysis
	opDescribeNetworkInsightsAnalyses
	opDescribeNetworkInsightsPaths
	opDeleteNetworkInsightsAnalysis
	opDeleteNetworkInsightsPath

	// Event-driven waits (both roles): a topic and a queue the connection
	// notifications reach the waiting party through.
	opCreateTopic
	opGetTopicAttributes
	opSetTopicAttributes
	opDeleteTopic
	opListTopics
	opSubscribe
	opUnsubscribe
	opCreateQueue
	opGetQueueURL
	opGetQueueAttributes
	opSetQueueAttributes
	opDeleteQueue
	opReceiveMessage
	opDeleteMessageBatch
	opCreateVpcEndpointConnectionNotification
	opDescribeVpcEndpointConnectionNotifications
	opDeleteVpcEndpointConnectionNotifications

	numOps
)

var (
	both         = []Role{RoleProvider, RoleConsumer}
	providerOnly = []Role{RoleProvider}
	consumerOnly = []Role{RoleConsumer}
	// Tagging a resource as it is created needs ec2:CreateTags too.
	tagOnCreate = []string{"ec2:CreateTags"}
	// Cross-region PrivateLink: AWS checks the permission-only action
	// vpce:AllowMultiRegion on creating a service with other supported
	// regions, on any change to such a service, and on creating an
	// endpoint with another ServiceRegion.
	tagOnCreateMultiRegion = []string{"ec2:CreateTags", AllowMultiRegion}
	multiRegion            = []string{AllowMultiRegion}
	// The Reachability Analyzer queries AWS Tiros and reads the VPC's
	// network with the caller's permissions ("Required API permissions for
	// Reachability Analyzer"): these are what a path inside one VPC to an
	// endpoint network interface crosses, besides the describe calls plwiz
	// makes itself.
	reachabilityNeeds = []string{"ec2:CreateTags", "tiros:CreateQuery", "tiros:GetQueryAnswer", "tiros:GetQueryExplanation",
		"ec2:DescribeRouteTables", "ec2:DescribeNetworkAcls", "ec2:DescribeManagedPrefixLists", "ec2:GetManagedPrefixListEntries",
		"ec2:DescribePrefixLists", "ec2:DescribeInternetGateways", "ec2:DescribeNatGateways", "ec2:DescribeVpcPeeringConnections",
		"ec2:DescribeTransitGatewayAttachments"}
	// Run Command is allowed with AWS-RunShellScript only. ssm:SendCommand
	// has no condition key that names a VPC (only resource tags of the
	// instance), so instances cannot be scoped to the consumer VPC here.
	runShellScriptOnly = []string{"arn:aws:ssm:*::document/AWS-RunShellScript", "arn:aws:ec2:*:*:instance/*"}
	// plwiz's queues and the topics it creates are all named NamePrefix
	// and the session, in any partition, region and account. A topic the
	// user chooses for notifications may have any name, so reading,
	// changing the policy of and subscribing to a topic stay on "*";
	// ListTopics and Unsubscribe take no resource.
	plwizQueues = []string{"arn:*:sqs:*:*:" + NamePrefix + "*"}
	plwizTopics = []string{"arn:*:sns:*:*:" + NamePrefix + "*"}
)

// operations is read-only after package initialisation.
var operations = [numOps]Operation{
	opGetCallerIdentity:         {Service: sts.ServiceID, Name: "GetCallerIdentity", Roles: both},
	opDescribeAvailabilityZones: {Service: ec2.ServiceID, Name: "DescribeAvailabilityZones", Roles: both},
	// The provider checks its supported regions, the consumer the
	// service's region, against the regions the account has enabled.
	opDescribeRegions: {Service: ec2.ServiceID, Name: "DescribeRegions", Roles: both},

	opDescribeLoadBalancers:                         {Service: elbv2.ServiceID, Name: "DescribeLoadBalancers", Roles: providerOnly},
	opDescribeListeners:                             {Service: elbv2.ServiceID, Name: "DescribeListeners", Roles: providerOnly},
	opDescribeTargetGroups:                          {Service: elbv2.ServiceID, Name: "DescribeTargetGroups", Roles: providerOnly},
	opDescribeTargetHealth:                          {Service: elbv2.ServiceID, Name: "DescribeTargetHealth", Roles: providerOnly},
	opDescribeLoadBalancerAttributes:                {Service: elbv2.ServiceID, Name: "DescribeLoadBalancerAttributes", Roles: providerOnly},
	opDescribeTargetGroupAttributes:                 {Service: elbv2.ServiceID, Name: "DescribeTargetGroupAttributes", Roles: providerOnly},
	opDescribeListenerCertificates:                  {Service: elbv2.ServiceID, Name: "DescribeListenerCertificates", Roles: providerOnly},
	opDescribeCertificate:                           {Service: acm.ServiceID, Name: "DescribeCertificate", Roles: providerOnly},
	opSetSecurityGroups:                             {Service: elbv2.ServiceID, Name: "SetSecurityGroups", Roles: providerOnly},
	opModifyTargetGroupAttributes:                   {Service: elbv2.ServiceID, Name: "ModifyTargetGroupAttributes", Roles: providerOnly},
	opCreateVpcEndpointServiceConfiguration:         {Service: ec2.ServiceID, Name: "CreateVpcEndpointServiceConfiguration", Roles: providerOnly, AlsoNeeds: tagOnCreateMultiRegion},
	opDescribeVpcEndpointServiceConfigurations:      {Service: ec2.ServiceID, Name: "DescribeVpcEndpointServiceConfigurations", Roles: providerOnly},
	opModifyVpcEndpointServiceConfiguration:         {Service: ec2.ServiceID, Name: "ModifyVpcEndpointServiceConfiguration", Roles: providerOnly, AlsoNeeds: multiRegion},
	opDeleteVpcEndpointServiceConfigurations:        {Service: ec2.ServiceID, Name: "DeleteVpcEndpointServiceConfigurations", Roles: providerOnly},
	opModifyVpcEndpointServicePermissions:           {Service: ec2.ServiceID, Name: "ModifyVpcEndpointServicePermissions", Roles: providerOnly},
	opDescribeVpcEndpointServicePermissions:         {Service: ec2.ServiceID, Name: "DescribeVpcEndpointServicePermissions", Roles: providerOnly},
	opStartVpcEndpointServicePrivateDNSVerification: {Service: ec2.ServiceID, Name: "StartVpcEndpointServicePrivateDnsVerification", Roles: providerOnly},
	opDescribeVpcEndpointConnections:                {Service: ec2.ServiceID, Name: "DescribeVpcEndpointConnections", Roles: providerOnly},
	opAcceptVpcEndpointConnections:                  {Service: ec2.ServiceID, Name: "AcceptVpcEndpointConnections", Roles: providerOnly},
	opRejectVpcEndpointConnections:                  {Service: ec2.ServiceID, Name: "RejectVpcEndpointConnections", Roles: providerOnly},
	opListHostedZonesByName:                         {Service: route53.ServiceID, Name: "ListHostedZonesByName", Roles: providerOnly},
	opChangeResourceRecordSets:                      {Service: route53.ServiceID, Name: "ChangeResourceRecordSets", Roles: providerOnly},
	opGetChange:                                     {Service: route53.ServiceID, Name: "GetChange", Roles: providerOnly},

	opDescribeVpcEndpointServices: {Service: ec2.ServiceID, Name: "DescribeVpcEndpointServices", Roles: consumerOnly},
	// The provider reads its NLB's VPC and subnets for their IPv6 blocks.
	opDescribeVpcs:                  {Service: ec2.ServiceID, Name: "DescribeVpcs", Roles: both},
	opDescribeVpcAttribute:          {Service: ec2.ServiceID, Name: "DescribeVpcAttribute", Roles: consumerOnly},
	opModifyVpcAttribute:            {Service: ec2.ServiceID, Name: "ModifyVpcAttribute", Roles: consumerOnly},
	opDescribeSubnets:               {Service: ec2.ServiceID, Name: "DescribeSubnets", Roles: both},
	opDescribeSecurityGroups:        {Service: ec2.ServiceID, Name: "DescribeSecurityGroups", Roles: both},
	opCreateSecurityGroup:           {Service: ec2.ServiceID, Name: "CreateSecurityGroup", Roles: consumerOnly, AlsoNeeds: tagOnCreate},
	opAuthorizeSecurityGroupIngress: {Service: ec2.ServiceID, Name: "AuthorizeSecurityGroupIngress", Roles: both},
	opRevokeSecurityGroupIngress:    {Service: ec2.ServiceID, Name: "RevokeSecurityGroupIngress", Roles: both},
	opDeleteSecurityGroup:           {Service: ec2.ServiceID, Name: "DeleteSecurityGroup", Roles: consumerOnly},
	opCreateVpcEndpoint:             {Service: ec2.ServiceID, Name: "CreateVpcEndpoint", Roles: consumerOnly, AlsoNeeds: tagOnCreateMultiRegion},
	opDescribeVpcEndpoints:          {Service: ec2.ServiceID, Name: "DescribeVpcEndpoints", Roles: consumerOnly},
	opModifyVpcEndpoint:             {Service: ec2.ServiceID, Name: "ModifyVpcEndpoint", Roles: consumerOnly},
	opDeleteVpcEndpoints:            {Service: ec2.ServiceID, Name: "DeleteVpcEndpoints", Roles: consumerOnly},
	opDescribeNetworkInterfaces:     {Service: ec2.ServiceID, Name: "DescribeNetworkInterfaces", Roles: consumerOnly},

	// The provider's notification is on its service, the consumer's on its
	// endpoint: one IAM action for both.
	opCreateTopic:        {Service: sns.ServiceID, Name: "CreateTopic", Roles: both, AlsoNeeds: []string{"sns:TagResource"}, Resources: plwizTopics, ScopeNote: "TopicsNamedPlwiz"},
	opGetTopicAttributes: {Service: sns.ServiceID, Name: "GetTopicAttributes", Roles: both},
	opSetTopicAttributes: {Service: sns.ServiceID, Name: "SetTopicAttributes", Roles: both},
	opDeleteTopic:        {Service: sns.ServiceID, Name: "DeleteTopic", Roles: both, Resources: plwizTopics, ScopeNote: "TopicsNamedPlwiz"},
	opListTopics:         {Service: sns.ServiceID, Name: "ListTopics", Roles: both},
	opSubscribe:          {Service: sns.ServiceID, Name: "Subscribe", Roles: both},
	opUnsubscribe:        {Service: sns.ServiceID, Name: "Unsubscribe", Roles: both},
	opCreateQueue:        {Service: sqs.ServiceID, Name: "CreateQueue", Roles: both, AlsoNeeds: []string{"sqs:TagQueue"}, Resources: plwizQueues, ScopeNote: "QueuesNamedPlwiz"},
	opGetQueueURL:        {Service: sqs.ServiceID, Name: "GetQueueUrl", Roles: both, Resources: plwizQueues, ScopeNote: "QueuesNamedPlwiz"},
	opGetQueueAttributes: {Service: sqs.ServiceID, Name: "GetQueueAttributes", Roles: both, Resources: plwizQueues, ScopeNote: "QueuesNamedPlwiz"},
	opSetQueueAttributes: {Service: sqs.ServiceID, Name: "SetQueueAttributes", Roles: both, Resources: plwizQueues, ScopeNote: "QueuesNamedPlwiz"},
	opDeleteQueue:        {Service: sqs.ServiceID, Name: "DeleteQueue", Roles: both, Resources: plwizQueues, ScopeNote: "QueuesNamedPlwiz"},
	opReceiveMessage:     {Service: sqs.ServiceID, Name: "ReceiveMessage", Roles: both, Resources: plwizQueues, ScopeNote: "QueuesNamedPlwiz"},
	opDeleteMessageBatch: {Service: sqs.ServiceID, Name: "DeleteMessageBatch", Roles: both, IAMAction: "sqs:DeleteMessage", Resources: plwizQueues, ScopeNote: "QueuesNamedPlwiz"},
	opCreateVpcEndpointConnectionNotification:    {Service: ec2.ServiceID, Name: "CreateVpcEndpointConnectionNotification", Roles: both},
	opDescribeVpcEndpointConnectionNotifications: {Service: ec2.ServiceID, Name: "DescribeVpcEndpointConnectionNotifications", Roles: both},
	opDeleteVpcEndpointConnectionNotifications:   {Service: ec2.ServiceID, Name: "DeleteVpcEndpointConnectionNotifications", Roles: both},
	// The provider reads its targets' zones; the consumer its instances.
	opDescribeInstances:               {Service: ec2.ServiceID, Name: "DescribeInstances", Roles: both},
	opDescribeInstanceInformation:     {Service: ssm.ServiceID, Name: "DescribeInstanceInformation", Roles: consumerOnly},
	opSendCommand:                     {Service: ssm.ServiceID, Name: "SendCommand", Roles: consumerOnly, Resources: runShellScriptOnly, ScopeNote: "RunShellScriptOnlyNoVpcConditionKeyExists"},
	opGetCommandInvocation:            {Service: ssm.ServiceID, Name: "GetCommandInvocation", Roles: consumerOnly},
	opCreateNetworkInsightsPath:       {Service: ec2.ServiceID, Name: "CreateNetworkInsightsPath", Roles: consumerOnly, AlsoNeeds: tagOnCreate},
	opStartNetworkInsightsAnalysis:    {Service: ec2.ServiceID, Name: "StartNetworkInsightsAnalysis", Roles: consumerOnly, AlsoNeeds: reachabilityNeeds},
	opDescribeNetworkInsightsAnalyses: {Service: ec2.ServiceID, Name: "DescribeNetworkInsightsAnalyses", Roles: consumerOnly},
	opDescribeNetworkInsightsPaths:    {Service: ec2.ServiceID, Name: "DescribeNetworkInsightsPaths", Roles: consumerOnly},
	opDeleteNetworkInsightsAnalysis:   {Service: ec2.ServiceID, Name: "DeleteNetworkInsightsAnalysis", Roles: consumerOnly},
	opDeleteNetworkInsightsPath:       {Service: ec2.ServiceID, Name: "DeleteNetworkInsightsPath", Roles: consumerOnly},
}

// Operations returns the operations the role calls, in table order.
func Operations(r Role) []Operation {
	var out []Operation
	for _, o := range operations {
		if o.For(r) {
			o.Roles = slices.Clone(o.Roles)
			o.AlsoNeeds = slices.Clone(o.AlsoNeeds)
			o.Resources = slices.Clone(o.Resources)
			out = append(out, o)
		}
	}
	return out
}

// lookupOp finds an operation by SDK service ID and name.
func lookupOp(service, name string) (Operation, bool) {
	for _, o := range operations {
		if o.Service == service && o.Name == name {
			return o, true
		}
	}
	return Operation{}, false
}

// actionFor returns the IAM action of an SDK operation, deriving it from the
// service ID when the operation is not in the table.
func actionFor(service, name string) string {
	if o, ok := lookupOp(service, name); ok {
		return o.Action()
	}
	if service == "" || name == "" {
		return ""
	}
	return iamPrefix(service) + ":" + name
}
