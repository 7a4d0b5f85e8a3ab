package sandbox

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1" //nolint:gosec // SNS SignatureVersion 1 is SHA1withRSA.
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"time"
)

// snsSigner signs SNS messages as SNS does (SignatureVersion 1: SHA1withRSA
// over the message's canonical string) with a key made for this sandbox,
// whose certificate the sandbox serves at SigningCertURL, so a subscriber
// can check a message the way it checks AWS's.
type snsSigner struct {
	key      *rsa.PrivateKey
	certPEM  []byte
	certPath string // /SimpleNotificationService-<fingerprint>.pem
}

func newSNSSigner(now time.Time) (*snsSigner, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("sns signing key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(now.UnixNano()),
		Subject:      pkix.Name{CommonName: "sns.amazonaws.com (plwiz sandbox)"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(10 * 365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("sns signing certificate: %w", err)
	}
	sum := sha256.Sum256(der)
	return &snsSigner{
		key:      key,
		certPEM:  pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		certPath: "/SimpleNotificationService-" + hex.EncodeToString(sum[:16]) + ".pem",
	}, nil
}

// signer returns the sandbox's SNS signer, made on first use (an RSA key
// takes a moment to generate, and most sandboxes never deliver).
func (r *notifyRuntime) signerFor(now time.Time) (*snsSigner, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.signer == nil {
		s, err := newSNSSigner(now)
		if err != nil {
			return nil, err
		}
		r.signer = s
	}
	return r.signer, nil
}

// sign returns the base64 SHA1withRSA signature of the canonical string of
// a message: the named fields in byte order, each as "Name\nvalue\n".
func (s *snsSigner) sign(fields [][2]string) (string, error) {
	var b strings.Builder
	for _, f := range fields {
		b.WriteString(f[0] + "\n" + f[1] + "\n")
	}
	sum := sha1.Sum([]byte(b.String())) //nolint:gosec // what SignatureVersion 1 is
	sig, err := rsa.SignPKCS1v15(rand.Reader, s.key, crypto.SHA1, sum[:])
	if err != nil {
		return "", fmt.Errorf("sign sns message: %w", err)
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}

// serveSNSPublic answers the two SNS URLs a subscriber follows without
// signing: the signing certificate, and the UnsubscribeURL /
// SubscribeURL of a message (AWS lets anyone holding the link use it). It
// reports whether it answered.
func (s *Sandbox) serveSNSPublic(w http.ResponseWriter, r *http.Request, reqID string) bool {
	if r.Method != http.MethodGet || r.Header.Get("Authorization") != "" {
		return false
	}
	if strings.HasPrefix(r.URL.Path, "/SimpleNotificationService-") {
		s.notify.mu.Lock()
		signer := s.notify.signer
		s.notify.mu.Unlock()
		if signer == nil || r.URL.Path != signer.certPath {
			http.NotFound(w, r)
			return true
		}
		w.Header().Set("Content-Type", "application/x-x509-ca-cert")
		_, _ = w.Write(signer.certPEM)
		return true
	}
	q := r.URL.Query()
	action := q.Get("Action")
	if r.URL.Path != "/" || (action != "Unsubscribe" && action != "ConfirmSubscription") {
		return false
	}
	s.mu.Lock()
	n := s.world.notify()
	var err *APIError
	var result string
	switch action {
	case "Unsubscribe":
		sub := n.Subscriptions[q.Get("SubscriptionArn")]
		if sub == nil {
			err = errSNSNotFound("Subscription does not exist")
			break
		}
		n.removeSubscription(sub)
		result = "<UnsubscribeResult/>"
	case "ConfirmSubscription":
		var sub *Subscription
		sub, err = n.confirm(q.Get("TopicArn"), q.Get("Token"))
		if err == nil {
			result = "<ConfirmSubscriptionResult><SubscriptionArn>" + xmlEscape(sub.ARN) + "</SubscriptionArn></ConfirmSubscriptionResult>"
		}
	}
	gen := s.settle(err == nil)
	s.mu.Unlock()
	// Nothing is told before the world it comes from is on disk.
	if s.file != nil && err == nil {
		if ferr := s.file.flush(gen); ferr != nil {
			err = Errorf(http.StatusInternalServerError, "InternalError", "An internal error has occurred: the sandbox could not save its world: %v", ferr)
		}
	}
	s.log(&Account{Name: "anonymous"}, "sns", action, err)
	if err != nil {
		writeError(w, "sns", reqID, err)
		return true
	}
	body := fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<%sResponse xmlns=%q>%s<ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></%sResponse>`,
		action, nsSNS, result, reqID, action)
	_ = writeXML(w, http.StatusOK, []byte(body))
	return true
}
