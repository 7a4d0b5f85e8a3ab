package steps

// Step IDs. They are stored in session files, so they never change meaning.
const (
	StepIdentity = "identity"
	StepSummary  = "summary"
	// StepNotify is both parties' connection notification and live
	// updates (notify.go).
	StepNotify = "notify"

	// Provider.
	StepChooseNLB      = "choose-nlb"
	StepCreateService  = "create-service"
	StepServiceReady   = "service-available"
	StepAllow          = "allow-principals"
	StepPrivateDNS     = "private-dns"
	StepTXTRecord      = "txt-record"
	StepVerifyDNS      = "verify-dns"
	StepExportOffer    = "export-offer"
	StepImportRequest  = "import-request"
	StepConnections    = "connections"
	StepEndpointActive = "endpoint-available"

	// Consumer.
	StepImportOffer     = "import-offer"
	StepPreflight       = "preflight"
	StepChooseNetwork   = "choose-network"
	StepCreateEndpoint  = "create-endpoint"
	StepExportRequest   = "export-request"
	StepWaitAcceptance  = "wait-acceptance"
	StepEnablePrivate   = "enable-private-dns"
	StepPrivateDNSReady = "private-dns-live"
	StepConnectivity    = "connectivity"
)
