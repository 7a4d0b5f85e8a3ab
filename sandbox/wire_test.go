package sandbox

import (
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
)

func TestParamsLists(t *testing.T) {
	p := Params{
		"VpcId.2": "vpc-b", "VpcId.1": "vpc-a", "VpcId.10": "vpc-j", "VpcId.x": "ignored",
		"Names.member.2": "n2", "Names.member.1": "n1",
		"Filter.1.Name": "vpc-id", "Filter.1.Value.1": "vpc-a", "Filter.1.Value.2": "vpc-b",
		"Filter.2.Name": "tag:Name", "Filter.2.Value.1": "x",
		"TagSpecification.1.ResourceType": "security-group", "TagSpecification.1.Tag.1.Key": "k", "TagSpecification.1.Tag.1.Value": "v",
		"TagSpecification.2.ResourceType": "vpc-endpoint", "TagSpecification.2.Tag.1.Key": "other", "TagSpecification.2.Tag.1.Value": "o",
		"Tag.1.Key": "a", "Tag.1.Value": "1", "Tag.2.Key": "b",
		"Flag": "true", "Bad": "yes", "N": "7", "NaN": "seven",
	}
	if got := p.List("VpcId", false); !reflect.DeepEqual(got, []string{"vpc-a", "vpc-b", "vpc-j"}) {
		t.Errorf("List(VpcId) = %v", got)
	}
	if got := p.List("Names", true); !reflect.DeepEqual(got, []string{"n1", "n2"}) {
		t.Errorf("List(Names, member) = %v", got)
	}
	want := []Filter{{Name: "vpc-id", Values: []string{"vpc-a", "vpc-b"}}, {Name: "tag:Name", Values: []string{"x"}}}
	if got := p.Filters(); !reflect.DeepEqual(got, want) {
		t.Errorf("Filters = %v", got)
	}
	if got := p.TagSpecs("security-group"); !reflect.DeepEqual(got, []Tag{{Key: "k", Value: "v"}}) {
		t.Errorf("TagSpecs = %v", got)
	}
	if got := p.Tags(); !reflect.DeepEqual(got, []Tag{{Key: "a", Value: "1"}, {Key: "b"}}) {
		t.Errorf("Tags = %v", got)
	}
	if v, ok, err := p.Bool("Flag"); !v || !ok || err != nil {
		t.Errorf("Bool(Flag) = %v %v %v", v, ok, err)
	}
	if _, ok, err := p.Bool("Absent"); ok || err != nil {
		t.Errorf("Bool(Absent) ok=%v err=%v", ok, err)
	}
	if _, _, err := p.Bool("Bad"); err == nil {
		t.Error("Bool(Bad) accepted 'yes'")
	}
	if n, ok, err := p.Int("N"); n != 7 || !ok || err != nil {
		t.Errorf("Int(N) = %v %v %v", n, ok, err)
	}
	if _, _, err := p.Int("NaN"); err == nil {
		t.Error("Int(NaN) accepted 'seven'")
	}
}

func TestInnerXMLDropsTheOuterElement(t *testing.T) {
	type item struct {
		ID string `xml:"vpcId"`
	}
	type body struct {
		Set  netSet[item] `xml:"vpcSet"`
		Next string       `xml:"nextToken,omitempty"`
	}
	b, err := innerXML(body{Set: netSet[item]{Items: []item{{"vpc-1"}, {"vpc-<2>"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if want := "<vpcSet><item><vpcId>vpc-1</vpcId></item><item><vpcId>vpc-&lt;2&gt;</vpcId></item></vpcSet>"; string(b) != want {
		t.Errorf("innerXML = %s, want %s", b, want)
	}
	if b, _ := innerXML(body{}); string(b) != "<vpcSet></vpcSet>" {
		t.Errorf("empty list: %s", b)
	}
}

func TestErrorShapes(t *testing.T) {
	e := Errorf(http.StatusBadRequest, "InvalidVpcID.NotFound", "The vpc ID '%s' does not exist", "vpc-<x>")
	rec := httptest.NewRecorder()
	writeError(rec, "ec2", "req-1", e)
	if rec.Code != 400 {
		t.Errorf("status %d", rec.Code)
	}
	var ec2Err struct {
		XMLName xml.Name `xml:"Response"`
		Code    string   `xml:"Errors>Error>Code"`
		Message string   `xml:"Errors>Error>Message"`
		ReqID   string   `xml:"RequestID"`
	}
	if err := xml.Unmarshal(rec.Body.Bytes(), &ec2Err); err != nil {
		t.Fatalf("EC2 error is not XML: %v\n%s", err, rec.Body)
	}
	if ec2Err.Code != e.Code || ec2Err.Message != "The vpc ID 'vpc-<x>' does not exist" || ec2Err.ReqID != "req-1" {
		t.Errorf("EC2 error = %+v", ec2Err)
	}

	for _, svc := range []string{"sts", "elasticloadbalancing", "route53"} {
		rec := httptest.NewRecorder()
		writeError(rec, svc, "req-2", Errorf(http.StatusServiceUnavailable, "ServiceUnavailable", "down"))
		var q struct {
			XMLName xml.Name `xml:"ErrorResponse"`
			Type    string   `xml:"Error>Type"`
			Code    string   `xml:"Error>Code"`
			Message string   `xml:"Error>Message"`
			ReqID   string   `xml:"RequestId"`
		}
		if err := xml.Unmarshal(rec.Body.Bytes(), &q); err != nil {
			t.Fatalf("%s error is not XML: %v", svc, err)
		}
		if rec.Code != 503 || q.Type != "Receiver" || q.Code != "ServiceUnavailable" || q.Message != "down" || q.ReqID != "req-2" {
			t.Errorf("%s error = %d %+v", svc, rec.Code, q)
		}
	}
}

func TestQueryEnvelope(t *testing.T) {
	type result struct {
		Next string `xml:"NextMarker"`
	}
	rec := httptest.NewRecorder()
	if err := writeQuery(rec, nsELBv2, "DescribeListeners", "req-3", result{"m"}); err != nil {
		t.Fatal(err)
	}
	body := rec.Body.String()
	for _, s := range []string{
		`<DescribeListenersResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"><DescribeListenersResult><NextMarker>m</NextMarker></DescribeListenersResult>`,
		`<ResponseMetadata><RequestId>req-3</RequestId></ResponseMetadata></DescribeListenersResponse>`,
	} {
		if !strings.Contains(body, s) {
			t.Errorf("envelope lacks %s:\n%s", s, body)
		}
	}
}
