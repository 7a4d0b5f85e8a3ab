package sandbox

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// SQS speaks two protocols: the current SDKs send AWS JSON 1.0
// (X-Amz-Target: AmazonSQS.<Action>, with X-Amzn-Query-Mode) and read the
// error code from the x-amzn-query-error header; older clients, such as
// the AWS CLI Debian ships (2.9), send the AWS Query protocol and read XML.
// Handlers read their input through sqsIn, which knows both spellings of a
// member, and return values that marshal to JSON and, through queryXML,
// to the Query protocol's XML.

const (
	nsSQS        = "http://queue.amazonaws.com/doc/2012-11-05/"
	sqsTarget    = "AmazonSQS."
	sqsJSONWire  = "sqs+json" // writeError's name for SQS's JSON protocol
	sqsQueryWire = "sqs"
)

// errorWire is the name writeError takes for the protocol of a request:
// the service, or sqsJSONWire for SQS over JSON.
func errorWire(service string, r *http.Request) string {
	if service == "sqs" && r.Header.Get("X-Amz-Target") != "" {
		return sqsJSONWire
	}
	return service
}

// sqsJSONAction reads the action of a JSON request from X-Amz-Target.
func sqsJSONAction(r *http.Request) (string, *APIError) {
	target := r.Header.Get("X-Amz-Target")
	action, ok := strings.CutPrefix(target, sqsTarget)
	if !ok || action == "" {
		return "", Errorf(http.StatusBadRequest, "InvalidAction", "The action %s is not valid for this endpoint.", target)
	}
	return action, nil
}

// sqsErrorShapes maps SQS's query error codes to the error shapes of its
// JSON protocol (the __type of the body); other codes keep their name.
var sqsErrorShapes = map[string]string{
	"AWS.SimpleQueueService.NonExistentQueue":             "QueueDoesNotExist",
	"QueueAlreadyExists":                                  "QueueNameExists",
	"AWS.SimpleQueueService.QueueDeletedRecently":         "QueueDeletedRecently",
	"AWS.SimpleQueueService.BatchEntryIdsNotDistinct":     "BatchEntryIdsNotDistinct",
	"AWS.SimpleQueueService.EmptyBatchRequest":            "EmptyBatchRequest",
	"AWS.SimpleQueueService.InvalidBatchEntryId":          "InvalidBatchEntryId",
	"AWS.SimpleQueueService.TooManyEntriesInBatchRequest": "TooManyEntriesInBatchRequest",
	"AWS.SimpleQueueService.UnsupportedOperation":         "UnsupportedOperation",
}

// writeSQSJSONError writes an error of SQS's JSON protocol: the shape in
// __type, the query code and fault in x-amzn-query-error, which is where
// the SDKs take the error code from.
func writeSQSJSONError(w http.ResponseWriter, requestID string, e *APIError) {
	shape := e.Code
	if s, ok := sqsErrorShapes[e.Code]; ok {
		shape = s
	}
	fault := "Sender"
	if e.Status >= 500 {
		fault = "Receiver"
	}
	b, _ := json.Marshal(map[string]string{"__type": "com.amazonaws.sqs#" + shape, "message": e.Message})
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Header().Set("x-amzn-RequestId", requestID)
	w.Header().Set("x-amzn-query-error", e.Code+";"+fault)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(e.Status)
	_, _ = w.Write(b)
}

// sqsXML is implemented by results whose Query protocol XML differs from
// their JSON (maps and lists are flattened there).
type sqsXML interface{ queryXML() any }

// writeSQS writes a result in the protocol of the request.
func writeSQS(w http.ResponseWriter, c *call, requestID string, resp any) error {
	if !c.JSON {
		var body any
		if x, ok := resp.(sqsXML); ok {
			body = x.queryXML()
		}
		return writeQuery(w, nsSQS, c.Action, requestID, body)
	}
	if resp == nil {
		resp = struct{}{}
	}
	b, err := json.Marshal(resp)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Header().Set("x-amzn-RequestId", requestID)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(b)
	return err
}

// sqsIn reads an SQS request's members from either protocol.
type sqsIn struct {
	c  *call
	js map[string]json.RawMessage // JSON protocol; nil for Query
}

func sqsInput(c *call) (sqsIn, *APIError) {
	in := sqsIn{c: c}
	if !c.JSON {
		return in, nil
	}
	in.js = map[string]json.RawMessage{}
	if len(bytes.TrimSpace(c.Body)) == 0 {
		return in, nil
	}
	if err := json.Unmarshal(c.Body, &in.js); err != nil {
		return in, Errorf(http.StatusBadRequest, "SerializationException", "Could not read the request body as JSON: %v", err)
	}
	return in, nil
}

// has reports whether a member was sent.
func (in sqsIn) has(name string) bool {
	if in.js != nil {
		_, ok := in.js[name]
		return ok
	}
	return in.c.Params.Has(name)
}

// str reads a string member.
func (in sqsIn) str(name string) string {
	if in.js == nil {
		return in.c.Params.Get(name)
	}
	var s string
	_ = json.Unmarshal(in.js[name], &s)
	return s
}

// num reads an integer member; ok is false when it was not sent.
func (in sqsIn) num(name string) (v int, ok bool, aerr *APIError) {
	if !in.has(name) {
		return 0, false, nil
	}
	text := in.c.Params.Get(name)
	if in.js != nil {
		text = strings.Trim(string(in.js[name]), `"`)
	}
	n, err := strconv.Atoi(text)
	if err != nil {
		return 0, true, errSQSValue("Value %s for parameter %s is invalid. Reason: Must be an integer.", text, name)
	}
	return n, true, nil
}

// strs reads a list of strings: a JSON array, or Query's Name.N.
func (in sqsIn) strs(jsonName, queryName string) []string {
	if in.js == nil {
		return in.c.Params.List(queryName, false)
	}
	var out []string
	_ = json.Unmarshal(in.js[jsonName], &out)
	return out
}

// strMap reads a map of strings: a JSON object, or Query's
// Name.N.<key>/.<value> entries.
func (in sqsIn) strMap(jsonName, queryName, keyName, valueName string) map[string]string {
	out := map[string]string{}
	if in.js != nil {
		_ = json.Unmarshal(in.js[jsonName], &out)
		return out
	}
	p := in.c.Params
	for _, i := range p.Indexes(queryName) {
		base := fmt.Sprintf("%s.%d.", queryName, i)
		out[p.Get(base+keyName)] = p.Get(base + valueName)
	}
	return out
}

// entries reads a list of structures of string fields (batch entries).
func (in sqsIn) entries(jsonName, queryName string, fields ...string) []map[string]string {
	var out []map[string]string
	if in.js != nil {
		_ = json.Unmarshal(in.js[jsonName], &out)
		return out
	}
	p := in.c.Params
	for _, i := range p.Indexes(queryName) {
		e := map[string]string{}
		for _, f := range fields {
			if k := fmt.Sprintf("%s.%d.%s", queryName, i, f); p.Has(k) {
				e[f] = p.Get(k)
			}
		}
		out = append(out, e)
	}
	return out
}

// jsonMessageAttribute is a message attribute as SQS's JSON spells it;
// encoding/json writes BinaryValue as base64, as the protocol does.
type jsonMessageAttribute struct {
	DataType    string `json:"DataType"`
	StringValue string `json:"StringValue,omitempty"`
	BinaryValue []byte `json:"BinaryValue,omitempty"`
}

// messageAttributes reads MessageAttributes (JSON) or
// MessageAttribute.N.Name / .Value.DataType / .Value.StringValue /
// .Value.BinaryValue (Query), and checks them.
func (in sqsIn) messageAttributes() (map[string]MessageAttribute, *APIError) {
	out := map[string]MessageAttribute{}
	if in.js != nil {
		var m map[string]jsonMessageAttribute
		if err := json.Unmarshal(in.js["MessageAttributes"], &m); err != nil && in.has("MessageAttributes") {
			return nil, errSQSValue("The message attributes could not be read: %v", err)
		}
		for k, v := range m {
			out[k] = MessageAttribute(v)
		}
	} else {
		p := in.c.Params
		for _, i := range p.Indexes("MessageAttribute") {
			base := fmt.Sprintf("MessageAttribute.%d.", i)
			a := MessageAttribute{DataType: p.Get(base + "Value.DataType"), StringValue: p.Get(base + "Value.StringValue")}
			if b := p.Get(base + "Value.BinaryValue"); b != "" {
				raw, err := base64.StdEncoding.DecodeString(b)
				if err != nil {
					return nil, errSQSValue("The message attribute '%s' has an invalid binary value.", p.Get(base+"Name"))
				}
				a.BinaryValue = raw
			}
			out[p.Get(base+"Name")] = a
		}
	}
	for name, a := range out {
		if aerr := checkMessageAttribute(name, a, "InvalidParameterValue"); aerr != nil {
			return nil, aerr
		}
	}
	if len(out) > 10 {
		return nil, errSQSValue("Number of message attributes [%d] exceeds the allowed maximum [10].", len(out))
	}
	return out, nil
}

// checkMessageAttribute applies SQS's (and SNS's) rules to an attribute.
func checkMessageAttribute(name string, a MessageAttribute, code string) *APIError {
	base, _, _ := strings.Cut(a.DataType, ".")
	switch {
	case name == "" || len(name) > 256:
		return Errorf(http.StatusBadRequest, code, "Message attribute name must be 1 to 256 characters long.")
	case strings.HasPrefix(strings.ToLower(name), "aws.") || strings.HasPrefix(strings.ToLower(name), "amazon."):
		return Errorf(http.StatusBadRequest, code, "Message attribute name '%s' uses a reserved prefix.", name)
	case base != "String" && base != "Number" && base != "Binary":
		return Errorf(http.StatusBadRequest, code, "The type of message attribute '%s' is invalid. You must use only the following supported type prefixes: Binary, Number, String.", name)
	case base == "Binary" && len(a.BinaryValue) == 0:
		return Errorf(http.StatusBadRequest, code, "The message attribute '%s' with type 'Binary' must use field 'Binary'.", name)
	case base != "Binary" && a.StringValue == "":
		return Errorf(http.StatusBadRequest, code, "The message attribute '%s' must contain non-empty message attribute value for message attribute type '%s'.", name, a.DataType)
	case base == "Number":
		if _, err := strconv.ParseFloat(a.StringValue, 64); err != nil {
			return Errorf(http.StatusBadRequest, code, "Can't cast the value of message (user) attribute '%s' to a number.", name)
		}
	}
	return nil
}

// md5OfAttributes is SQS's MD5OfMessageAttributes: over the attributes in
// name order, each as its length-prefixed name, type, a transport byte (1
// string, 2 binary) and length-prefixed value.
func md5OfAttributes(attrs map[string]MessageAttribute) string {
	if len(attrs) == 0 {
		return ""
	}
	names := make([]string, 0, len(attrs))
	for n := range attrs {
		names = append(names, n)
	}
	sort.Strings(names)
	var b bytes.Buffer
	field := func(v []byte) {
		b.Write([]byte{byte(len(v) >> 24), byte(len(v) >> 16), byte(len(v) >> 8), byte(len(v))})
		b.Write(v)
	}
	for _, n := range names {
		a := attrs[n]
		field([]byte(n))
		field([]byte(a.DataType))
		if strings.HasPrefix(a.DataType, "Binary") {
			b.WriteByte(2)
			field(a.BinaryValue)
		} else {
			b.WriteByte(1)
			field([]byte(a.StringValue))
		}
	}
	return md5Hex(b.Bytes())
}

// xmlNV is a flattened Query map entry (<Attribute><Name/><Value/>).
type xmlNV struct {
	Name  string `xml:"Name"`
	Value string `xml:"Value"`
}

func xmlNVs(m map[string]string) []xmlNV {
	out := make([]xmlNV, 0, len(m))
	for _, k := range SortedKeys(m) {
		out = append(out, xmlNV{Name: k, Value: m[k]})
	}
	return out
}

type xmlKV struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

type xmlMessageAttributeValue struct {
	StringValue string `xml:"StringValue,omitempty"`
	BinaryValue string `xml:"BinaryValue,omitempty"`
	DataType    string `xml:"DataType"`
}

type xmlMessageAttribute struct {
	Name  string                   `xml:"Name"`
	Value xmlMessageAttributeValue `xml:"Value"`
}

func xmlMessageAttributes(m map[string]jsonMessageAttribute) []xmlMessageAttribute {
	out := make([]xmlMessageAttribute, 0, len(m))
	for _, k := range SortedKeys(m) {
		a := m[k]
		v := xmlMessageAttributeValue{StringValue: a.StringValue, DataType: a.DataType}
		if len(a.BinaryValue) > 0 {
			v.BinaryValue = base64.StdEncoding.EncodeToString(a.BinaryValue)
		}
		out = append(out, xmlMessageAttribute{Name: k, Value: v})
	}
	return out
}
