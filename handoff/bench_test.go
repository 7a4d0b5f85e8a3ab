package handoff

import "testing"

func BenchmarkDecode(b *testing.B) {
	for _, bundle := range []Bundle{testOffer(), testRequest()} {
		inputs := map[string][]byte{
			"json":  mustJSON(b, bundle),
			"token": []byte(mustToken(b, bundle)),
		}
		for _, enc := range []string{"json", "token"} {
			data := inputs[enc]
			b.Run(string(bundle.Kind())+"/"+enc, func(b *testing.B) {
				b.SetBytes(int64(len(data)))
				b.ReportAllocs()
				for b.Loop() {
					if _, err := Decode(data, testNow); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
