package dataplane

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"time"
)

// backend stands in for the provider's application behind its NLB: a TLS
// server on 127.0.0.1:random answering HTTP. There is one per endpoint
// service, so the certificate it presents is the service's whatever name
// the client sends in SNI, as a real server would: a client asking for a
// name the service does not own fails verification, not the handshake.
type backend struct {
	id    string
	ln    net.Listener
	srv   *http.Server
	cert  atomic.Pointer[tls.Certificate]
	names string // the certificate's names, joined; guarded by DataPlane.syncMu
	done  chan struct{}
}

// startBackend listens and serves a backend for svc with certificate cert.
func startBackend(svc Service, cert *tls.Certificate, names string, logf func(string, ...any)) (*backend, error) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("backend for %s: %w", svc.ID, err)
	}
	b := &backend{id: svc.ID, ln: ln, names: names, done: make(chan struct{})}
	b.cert.Store(cert)

	label := svc.Name
	if label == "" {
		label = svc.ID
	}
	body := fmt.Sprintf("plwiz sandbox: %s (%s) is reachable through PrivateLink\n", label, svc.ID)
	mux := http.NewServeMux()
	serve := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("X-Plwiz-Service", svc.ID)
		_, _ = io.WriteString(w, body)
	}
	mux.HandleFunc("GET /{$}", serve)
	mux.HandleFunc("GET /health", serve)

	errLog := log.New(io.Discard, "", 0)
	if logf != nil {
		// Handshake failures (a client that does not trust the CA, or asked
		// for a name the certificate lacks) are worth a line, not stderr noise.
		errLog = log.New(logWriter(logf), "backend "+svc.ID+": ", 0)
	}
	b.srv = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          errLog,
		TLSConfig: &tls.Config{
			MinVersion: tls.VersionTLS12,
			GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
				return b.cert.Load(), nil
			},
		},
	}
	go func() {
		defer close(b.done)
		_ = b.srv.ServeTLS(ln, "", "")
	}()
	return b, nil
}

// addr is where the proxy dials this backend.
func (b *backend) addr() string { return b.ln.Addr().String() }

func (b *backend) close() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	err := b.srv.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = b.srv.Close()
	}
	<-b.done
	if err != nil {
		return fmt.Errorf("close backend %s: %w", b.id, err)
	}
	return nil
}

// certNames validates a service's names for its certificate: canonical,
// without the trailing dot, deduplicated, order kept (the first is the CN).
func certNames(svc Service) ([]string, error) {
	var out []string
	for _, n := range svc.DNSNames {
		c, err := CanonicalName(n)
		if err != nil {
			return nil, fmt.Errorf("certificate for %s: %w", svc.ID, err)
		}
		c = strings.TrimSuffix(c, ".")
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("certificate for %s: no DNS names", svc.ID)
	}
	return out, nil
}

// logWriter adapts a Logf function to the io.Writer a log.Logger wants.
type logWriter func(string, ...any)

func (f logWriter) Write(p []byte) (int, error) {
	f("%s", strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
