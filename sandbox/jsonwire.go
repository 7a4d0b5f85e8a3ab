package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// jsonHandler serves one AWS JSON 1.1 action (SSM, ACM). It runs like a
// queryHandler, decodes c.Body itself and returns a value encoding/json
// writes as the response body, or an *APIError.
type jsonHandler func(c *call) (any, error)

// jsonTargets are the X-Amz-Target prefixes of the JSON services, by the
// service name of their SigV4 scope.
var jsonTargets = map[string]string{
	"ssm": "AmazonSSM",
	"acm": "CertificateManager",
}

// isJSONService reports whether a SigV4 service speaks AWS JSON 1.1 here.
func isJSONService(service string) bool { _, ok := jsonTargets[service]; return ok }

// jsonAction reads the action from X-Amz-Target ("AmazonSSM.SendCommand").
func jsonAction(service string, r *http.Request) (string, *APIError) {
	target := r.Header.Get("X-Amz-Target")
	prefix, action, ok := strings.Cut(target, ".")
	if !ok || prefix != jsonTargets[service] || action == "" {
		return "", Errorf(http.StatusBadRequest, "UnknownOperationException", "X-Amz-Target %q is not an operation of this service", target)
	}
	return action, nil
}

// decodeJSON reads a request body into v; an empty body is an empty object.
func decodeJSON(c *call, v any) *APIError {
	if len(strings.TrimSpace(string(c.Body))) == 0 {
		return nil
	}
	if err := json.Unmarshal(c.Body, v); err != nil {
		return Errorf(http.StatusBadRequest, "SerializationException", "Could not read the request body: %v", err)
	}
	return nil
}

// jsonValidation is the JSON services' error for a malformed request.
func jsonValidation(format string, args ...any) *APIError {
	return Errorf(http.StatusBadRequest, "ValidationException", format, args...)
}

// epoch is how AWS JSON writes timestamps: seconds since 1970, fractional.
type epoch time.Time

func (e epoch) MarshalJSON() ([]byte, error) {
	t := time.Time(e)
	return []byte(strconv.FormatFloat(float64(t.UnixMilli())/1000, 'f', 3, 64)), nil
}

// writeJSON writes an AWS JSON 1.1 response (ServeHTTP has set its
// x-amzn-RequestId).
func writeJSON(w http.ResponseWriter, body any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(b)
	return err
}

// writeJSONError writes e as AWS JSON 1.1 does: the code in __type (and in
// X-Amzn-ErrorType), the text in message.
func writeJSONError(w http.ResponseWriter, e *APIError) {
	b, err := json.Marshal(map[string]string{"__type": e.Code, "message": e.Message})
	if err != nil {
		b = []byte(fmt.Sprintf(`{"__type":"InternalFailure","message":%q}`, err.Error()))
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", e.Code)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(e.Status)
	_, _ = w.Write(b)
}

// jsonPage cuts a NextToken/MaxResults page out of sorted keys; max 0
// means the service's default page size def.
func jsonPage(keys []string, token string, maxResults, lo, hi, def int) (out []string, next string, err *APIError) {
	start, ok := pageStart(token, keys)
	if !ok {
		return nil, "", Errorf(http.StatusBadRequest, "InvalidNextToken", "The specified token is not valid.")
	}
	n := maxResults
	if n == 0 {
		n = def
	}
	if n < lo || n > hi {
		return nil, "", jsonValidation("1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value between %d and %d", n, lo, hi)
	}
	end := min(start+n, len(keys))
	out = keys[start:end]
	if end < len(keys) {
		next = pageToken(keys[end-1])
	}
	return out, next, nil
}
