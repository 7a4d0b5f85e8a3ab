// Package sandbox is plwiz's local emulator of the AWS APIs it uses (EC2,
// ELBv2, Route 53, STS and SNS over their XML protocols; SQS over Query and
// AWS JSON 1.0; SSM and ACM over AWS JSON 1.1), speaking their real wire
// protocols on loopback so the unchanged aws-sdk-go-v2 clients and the AWS
// CLI can talk to it, plus a DNS server and a loopback data plane for the
// endpoints it creates. The data plane follows the provider's target
// health, cross-zone setting and NLB security groups and the endpoint's
// security groups; SSM Run Command really runs its scripts on this machine.
package sandbox
