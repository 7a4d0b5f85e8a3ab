package sandbox

import "net/http"

// verifySignature checks the SigV4 signature of r against secret.
// TODO(core): implement; until then every signature is accepted.
func verifySignature(r *http.Request, body []byte, a sigv4Auth, secret string) *APIError {
	return nil
}
