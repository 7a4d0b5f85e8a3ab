// Package awsid knows the shapes of the AWS identifiers plwiz reads, checks
// and writes: resource IDs (vpce-svc-, vpce-, vpc-, subnet-, sg-, eni-, i-),
// in both of the lengths AWS has issued; 12-digit account IDs; region names
// and the partitions they belong to (aws, aws-cn, aws-us-gov, aws-iso*,
// aws-eusc), with each partition's DNS suffix; endpoint service names; and
// the ARNs of IAM and STS principals and of Network Load Balancers.
//
// Every check is built to AWS's documented rules, strict about what AWS
// never issues and open to every form it does: IDs made before 2018 (8 hex
// digits) as well as after (17), IAM paths, the +=,.@_- that IAM names may
// hold, SSO's AWSReservedSSO_ roles with e-mail session names, and
// federated users.
//
// It imports nothing of plwiz's, so the handoff format, the AWS layer, the
// steps and the command line share one set of rules.
package awsid
