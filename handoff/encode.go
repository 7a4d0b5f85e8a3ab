package handoff

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// The JSON of each bundle is its struct with the kind and version in front.
type offerWire struct {
	Kind    Kind `json:"kind"`
	Version int  `json:"version"`
	Offer
}

type requestWire struct {
	Kind    Kind `json:"kind"`
	Version int  `json:"version"`
	Request
}

// EncodeJSON renders b as the pretty JSON of a bundle file, ending in a
// newline. It refuses a bundle that does not validate (a *ValidationError),
// so plwiz never hands over something the other party's plwiz rejects; the
// check of createdAt against the clock is left to the reader.
func EncodeJSON(b Bundle) ([]byte, error) {
	return encode(b, true)
}

// EncodeToken renders b as a one-line token: TokenPrefix, the kind, a dot,
// and the compact JSON in unpadded base64url. It validates as EncodeJSON
// does.
func EncodeToken(b Bundle) (string, error) {
	js, err := encode(b, false)
	if err != nil {
		return "", err
	}
	return TokenPrefix + string(b.Kind()) + "." + base64.RawURLEncoding.EncodeToString(js), nil
}

func encode(b Bundle, pretty bool) ([]byte, error) {
	// *Offer and *Request are Bundles too, through their value methods.
	switch p := b.(type) {
	case *Offer:
		if p != nil {
			b = *p
		}
	case *Request:
		if p != nil {
			b = *p
		}
	}
	var wire any
	switch v := b.(type) {
	case Offer:
		// UTC, so the text does not depend on the provider's time zone and
		// decoding gives back an equal value.
		v.CreatedAt = v.CreatedAt.UTC()
		wire = offerWire{Kind: KindOffer, Version: Version, Offer: v}
	case Request:
		v.CreatedAt = v.CreatedAt.UTC()
		wire = requestWire{Kind: KindRequest, Version: Version, Request: v}
	default:
		return nil, errors.New("encode handoff bundle: no bundle")
	}
	if err := b.Validate(time.Time{}); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // validated values hold no HTML to escape
	if pretty {
		enc.SetIndent("", "  ")
	}
	if err := enc.Encode(wire); err != nil {
		return nil, fmt.Errorf("encode %s: %w", b.Kind(), err)
	}
	if !pretty {
		return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
	}
	return buf.Bytes(), nil
}
