// Package awsops is everything plwiz says to AWS: small interfaces of exactly
// the SDK methods each file needs, typed operations for the provider and the
// consumer that return plwiz's own types (never SDK pointers), pagination,
// state-name folding, error classification with a cause and a hint, and the
// least-privilege IAM policy of each role, generated from the same table of
// operations the code is allowed to call.
//
// It imports aws-sdk-go-v2 and, of plwiz, only the shared rules of awsid
// (identifiers) and policydoc (resource policies); it has no UI.
package awsops
