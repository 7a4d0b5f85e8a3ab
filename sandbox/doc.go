// Package sandbox is plwiz's local emulator of the AWS APIs it uses (EC2,
// ELBv2, Route 53, STS, SNS, SQS), speaking their real wire protocols on loopback so
// the unchanged aws-sdk-go-v2 clients and the AWS CLI can talk to it, plus a
// DNS server and a loopback data plane for the endpoints it creates.
package sandbox
