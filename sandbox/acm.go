package sandbox

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
)

func acmHandlers() map[string]jsonHandler {
	return map[string]jsonHandler{"DescribeCertificate": acmDescribeCertificate}
}

// acmARN is the shape of a certificate ARN.
var acmARN = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]{36}$`)
})

type acmCertificate struct {
	CertificateArn          string                `json:"CertificateArn"`
	DomainName              string                `json:"DomainName"`
	SubjectAlternativeNames []string              `json:"SubjectAlternativeNames"`
	DomainValidationOptions []acmDomainValidation `json:"DomainValidationOptions"`
	Serial                  string                `json:"Serial"`
	Subject                 string                `json:"Subject"`
	Issuer                  string                `json:"Issuer"`
	CreatedAt               epoch                 `json:"CreatedAt"`
	IssuedAt                epoch                 `json:"IssuedAt"`
	Status                  string                `json:"Status"`
	NotBefore               epoch                 `json:"NotBefore"`
	NotAfter                epoch                 `json:"NotAfter"`
	KeyAlgorithm            string                `json:"KeyAlgorithm"`
	SignatureAlgorithm      string                `json:"SignatureAlgorithm"`
	InUseBy                 []string              `json:"InUseBy"`
	Type                    string                `json:"Type"`
	RenewalEligibility      string                `json:"RenewalEligibility"`
}

type acmDomainValidation struct {
	DomainName       string `json:"DomainName"`
	ValidationDomain string `json:"ValidationDomain"`
	ValidationStatus string `json:"ValidationStatus"`
	ValidationMethod string `json:"ValidationMethod"`
}

func acmDescribeCertificate(c *call) (any, error) {
	var in struct {
		CertificateArn string `json:"CertificateArn"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return nil, err
	}
	if in.CertificateArn == "" {
		return nil, jsonValidation("1 validation error detected: Value null at 'certificateArn' failed to satisfy constraint: Member must not be null")
	}
	if !acmARN().MatchString(in.CertificateArn) {
		return nil, Errorf(http.StatusBadRequest, "InvalidArnException", "String '%s' is not a valid ARN.", in.CertificateArn)
	}
	cert := c.w.Diag.Certificates[in.CertificateArn]
	if cert == nil || !c.ownsARN(cert.Owner, cert.ARN) {
		return nil, Errorf(http.StatusBadRequest, "ResourceNotFoundException", "Could not find certificate %s.", in.CertificateArn)
	}
	status := cert.Status
	if status == "ISSUED" && !c.Now.Before(cert.NotAfter) {
		status = "EXPIRED"
	}
	out := acmCertificate{
		CertificateArn: cert.ARN, DomainName: cert.Domain, SubjectAlternativeNames: slices.Clone(cert.SANs),
		Serial: cert.Serial, Subject: "CN=" + cert.Domain, Issuer: "Amazon",
		CreatedAt: epoch(cert.CreatedAt), IssuedAt: epoch(cert.CreatedAt), Status: status,
		NotBefore: epoch(cert.NotBefore), NotAfter: epoch(cert.NotAfter),
		KeyAlgorithm: "RSA-2048", SignatureAlgorithm: "SHA256WITHRSA", InUseBy: []string{},
		Type: "AMAZON_ISSUED", RenewalEligibility: "ELIGIBLE",
	}
	for _, n := range cert.SANs {
		out.DomainValidationOptions = append(out.DomainValidationOptions, acmDomainValidation{
			DomainName: n, ValidationDomain: strings.TrimPrefix(n, "*."), ValidationStatus: "SUCCESS", ValidationMethod: "DNS",
		})
	}
	for _, arn := range SortedKeys(c.w.Diag.Listeners) {
		if lc := c.w.Diag.Listeners[arn]; slices.Contains(lc.CertificateARNs, cert.ARN) {
			if ln := c.w.Listeners[arn]; ln != nil {
				out.InUseBy = append(out.InUseBy, ln.LBARN)
			}
		}
	}
	out.InUseBy = slices.Compact(out.InUseBy)
	return map[string]any{"Certificate": out}, nil
}
