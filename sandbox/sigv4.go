package sandbox

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// SigV4 verification, the server side of
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html:
// rebuild the canonical request from what the client says it signed, derive
// the signing key from the account's secret and the credential scope, and
// compare signatures in constant time.
//
// The request time is not compared with the sandbox clock: that clock may be
// a manual or sped-up one while clients sign with the wall clock.

const unsignedPayload = "UNSIGNED-PAYLOAD"

// verifySignature checks the SigV4 signature of r against secret.
func verifySignature(r *http.Request, body []byte, a sigv4Auth, secret string) *APIError {
	amzDate := r.Header.Get("X-Amz-Date")
	if amzDate == "" {
		return sigError(a.Service, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
	}
	if len(amzDate) != len("20060102T150405Z") || !strings.HasPrefix(amzDate, a.Date) {
		return sigError(a.Service, "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '"+a.Date+"' != '"+amzDate+"'")
	}

	bodyHash := sha256.Sum256(body)
	payloadHash := hex.EncodeToString(bodyHash[:])
	if h := r.Header.Get("X-Amz-Content-Sha256"); h != "" {
		if h != unsignedPayload && !strings.EqualFold(h, payloadHash) {
			return sigError(a.Service, "The provided 'x-amz-content-sha256' header does not match what was computed.")
		}
		payloadHash = h
	}

	signedHeaders := make([]string, len(a.SignedHeaders))
	for i, h := range a.SignedHeaders {
		signedHeaders[i] = strings.ToLower(h)
	}
	if !sort.StringsAreSorted(signedHeaders) || !slices.Contains(signedHeaders, "host") {
		return sigError(a.Service, "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.")
	}

	canonical := strings.Join([]string{
		r.Method,
		canonicalURI(r.URL),
		canonicalQuery(r.URL.RawQuery),
		canonicalHeaders(r, signedHeaders),
		strings.Join(signedHeaders, ";"),
		payloadHash,
	}, "\n")
	scope := a.Date + "/" + a.Region + "/" + a.Service + "/aws4_request"
	crHash := sha256.Sum256([]byte(canonical))
	stringToSign := "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n" + hex.EncodeToString(crHash[:])

	key := hmacSHA256([]byte("AWS4"+secret), a.Date)
	key = hmacSHA256(key, a.Region)
	key = hmacSHA256(key, a.Service)
	key = hmacSHA256(key, "aws4_request")
	want := hex.EncodeToString(hmacSHA256(key, stringToSign))

	if !hmac.Equal([]byte(want), []byte(strings.ToLower(a.Signature))) {
		return sigError(a.Service, "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.")
	}
	return nil
}

// sigError is how each service reports a bad signature: EC2 says
// AuthFailure (401) without detail, the others SignatureDoesNotMatch (403).
func sigError(service, msg string) *APIError {
	if service == "ec2" || service == "" {
		return Errorf(http.StatusUnauthorized, "AuthFailure", "AWS was not able to validate the provided access credentials")
	}
	return Errorf(http.StatusForbidden, "SignatureDoesNotMatch", "%s", msg)
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// canonicalURI is the escaped path, escaped once more: every service but S3
// signs the double-encoded path (the SDKs and botocore both do).
func canonicalURI(u *url.URL) string {
	p := u.EscapedPath()
	if p == "" {
		return "/"
	}
	return uriEncode(p, false)
}

// canonicalQuery sorts the query's parameters by name, then value, each
// RFC 3986 encoded.
func canonicalQuery(raw string) string {
	if raw == "" {
		return ""
	}
	type kv struct{ k, v string }
	var pairs []kv
	for part := range strings.SplitSeq(raw, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		dk, err := url.QueryUnescape(k)
		if err != nil {
			dk = k
		}
		dv, err := url.QueryUnescape(v)
		if err != nil {
			dv = v
		}
		pairs = append(pairs, kv{uriEncode(dk, true), uriEncode(dv, true)})
	}
	sort.SliceStable(pairs, func(i, j int) bool {
		if pairs[i].k != pairs[j].k {
			return pairs[i].k < pairs[j].k
		}
		return pairs[i].v < pairs[j].v
	})
	parts := make([]string, len(pairs))
	for i, p := range pairs {
		parts[i] = p.k + "=" + p.v
	}
	return strings.Join(parts, "&")
}

// canonicalHeaders renders "name:value\n" for each signed header. Go's
// server moves Host and Content-Length out of r.Header, so they are read
// from the request itself.
func canonicalHeaders(r *http.Request, signed []string) string {
	var b strings.Builder
	for _, h := range signed {
		var vals []string
		switch h {
		case "host":
			vals = []string{r.Host}
		case "content-length":
			vals = []string{strconv.FormatInt(r.ContentLength, 10)}
		default:
			// Copy: the values are normalised below and r.Header must stay as sent.
			vals = append([]string(nil), r.Header.Values(h)...)
		}
		for i, v := range vals {
			vals[i] = strings.Join(strings.Fields(v), " ")
		}
		b.WriteString(h)
		b.WriteByte(':')
		b.WriteString(strings.Join(vals, ","))
		b.WriteByte('\n')
	}
	return b.String()
}

// uriEncode percent-encodes everything but RFC 3986's unreserved characters
// (and '/' unless encodeSlash), with upper-case hex, as SigV4 requires.
func uriEncode(s string, encodeSlash bool) string {
	const hexdig = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9',
			c == '-', c == '_', c == '.', c == '~':
			b.WriteByte(c)
		case c == '/' && !encodeSlash:
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hexdig[c>>4])
			b.WriteByte(hexdig[c&15])
		}
	}
	return b.String()
}
