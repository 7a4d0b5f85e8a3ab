package sandbox

import (
	"net/http"
	"time"
)

// serveRoute53 routes a Route 53 REST-XML request by method and path; it
// returns the response's root element name, HTTP status and body.
func (s *Sandbox) serveRoute53(c *call) (root string, status int, body any, err error) {
	return "", 0, nil, Errorf(http.StatusNotFound, "UnknownOperationException", "not implemented")
}

// advanceRoute53 moves changes from PENDING to INSYNC when due.
func advanceRoute53(w *World, now time.Time) {}
