package api

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/tx"
	"github.com/pegledger/peg/internal/tx/txpb"
)

// postPaths lists the document's POST operations in path order; a fuzz
// input's route byte picks one.
func postPaths() []string {
	var out []string
	for path, item := range spec().Paths.Map() {
		if item.Post != nil {
			out = append(out, path)
		}
	}
	slices.Sort(out)
	return out
}

// FuzzPostBody sends arbitrary bodies, with and without a JSON content type,
// to each POST operation of the API over a test chain. The API must never
// panic or fail (5xx); every answer must match openapi.yaml (checkResponses);
// a refusal must be a 4xx in Peg's {code, name, message} shape; a JSON body
// it takes has no key twice in an object and nothing after its value. The seed
// corpus is in testdata/fuzz/FuzzPostBody, with signed transactions added
// here; without -fuzz it runs as a plain test.
func FuzzPostBody(f *testing.F) {
	paths := postPaths()
	g := testGenesis()
	h := newServer(newTestChain(f, g), g, nil, DefaultWait).handler()
	var nonce uint64
	signed := func(set func(*txpb.Body)) string {
		nonce++
		body := &txpb.Body{ChainId: testChainID, ExpiryHeight: 100, Signer: issuer.addr.String(), Nonce: nonce}
		set(body)
		raw, _, err := tx.Sign(body, issuer.priv)
		if err != nil {
			f.Fatal(err)
		}
		return base64.StdEncoding.EncodeToString(raw)
	}
	deploy, pause := signed(deployMsg(gbppDraft())), signed(func(b *txpb.Body) {
		b.Msg = &txpb.Body_Pause{Pause: &txpb.Pause{Token: "gbpp"}}
	})
	for i := range paths {
		for _, body := range []string{
			`{"tx":"` + deploy + `"}`,
			`{"tx":"` + pause + `","wait":false}`,
			`{"txs":["` + deploy + `","` + pause + `"]}`,
			`{"txs":["` + pause + `"],"wait":true}`,
			`{"tx":"AA==","wait":false,"tx":"` + pause + `"}`,
			`{"tx":"` + pause + `","wait":false} {"tx":"AA=="}`,
			`{"txs":["AA=="],"txs":["` + deploy + `"]}`,
			`{"txs":["` + deploy + `"]}]`,
		} {
			f.Add(uint8(i), []byte(body), true)
		}
		f.Add(uint8(i), []byte(`{"tx":"`+deploy+`"}`), false)
	}
	f.Fuzz(func(t *testing.T, route uint8, body []byte, jsonType bool) {
		path := paths[int(route)%len(paths)]
		req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
		if jsonType {
			req.Header.Set("Content-Type", "application/json")
		}
		rec := httptest.NewRecorder()
		checkResponses(t, h).ServeHTTP(rec, req)
		switch status := rec.Code; {
		case status >= 200 && status < 300:
			if err := checkJSON(body); jsonType && err != nil {
				t.Fatalf("POST %s %q answered %d, though the body does not say one thing: %v", path, body, status, err)
			}
			return
		case status < 400 || status >= 500:
			t.Fatalf("POST %s %q answered %d: %s", path, body, status, rec.Body)
		}
		var e client.APIError
		if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil {
			t.Fatalf("POST %s %q answered %d with %q, not Peg's error shape: %v", path, body, rec.Code, rec.Body, err)
		}
		if e.Code == 0 || e.Name == "" || e.Message == "" {
			t.Fatalf("POST %s %q answered %d with an incomplete error %s", path, body, rec.Code, rec.Body)
		}
	})
}
