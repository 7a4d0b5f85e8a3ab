package sandbox

import "strings"

// stsHandlers serve GetCallerIdentity.
func stsHandlers() map[string]queryHandler {
	return map[string]queryHandler{
		"GetCallerIdentity": stsGetCallerIdentity,
	}
}

type getCallerIdentityResult struct {
	Arn     string `xml:"Arn"`
	UserID  string `xml:"UserId"`
	Account string `xml:"Account"`
}

// stsGetCallerIdentity answers for the IAM user the access key belongs to.
// The user ID is AIDA + the key's unique part, the shape IAM user IDs have.
func stsGetCallerIdentity(c *call) (any, error) {
	return getCallerIdentityResult{
		Arn:     c.Account.ARN(),
		UserID:  "AIDA" + strings.TrimPrefix(c.Account.AccessKeyID, "AKIA"),
		Account: c.Account.ID,
	}, nil
}
