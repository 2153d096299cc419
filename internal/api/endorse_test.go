package api

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/tx/txpb"
)

// TestEndorseViews sets gbpp's endorsement policy, opens three mint
// requests, executes one, cancels one and reads them back: the policy, each
// request, the token's open requests page by page, the event stream that
// tells endorsers of each step; each answer checked
// against openapi.yaml, and bad ids, cursors and limits refused with 400 or
// 404.
func TestEndorseViews(t *testing.T) {
	e := newTestEnv(t)
	raw, _ := e.sign(issuer, deployMsg(gbppDraft()))
	e.submit(raw)
	e.attest(scenarioReserve)
	start := int64(e.chain.db.Height())
	if _, err := e.client.EndorsePolicy(t.Context(), "gbpp"); !isStatus(err, http.StatusNotFound) {
		t.Errorf("the policy before any: %v, want 404", err)
	}
	raw, _ = e.sign(owner, func(b *txpb.Body) {
		b.Msg = &txpb.Body_SetEndorsePolicy{SetEndorsePolicy: &txpb.SetEndorsePolicy{Token: "gbpp", Threshold: "1000000",
			Endorsers: []string{alice.addr.String(), bob.addr.String()}, Required: 2, WindowSeconds: 3600}}
	})
	e.submit(raw)
	p, err := e.client.EndorsePolicy(t.Context(), "gbpp")
	if err != nil || p.Threshold.Amount != "1" || p.Required != 2 || len(p.Endorsers) != 2 || p.Window.Seconds != 3600 {
		t.Fatalf("the policy: %+v, %v", p, err)
	}
	var ids []ledger.TxID
	for range 3 {
		raw, id := e.sign(minter, mintMsg(alice.addr, "2000000"))
		e.submit(raw)
		ids = append(ids, id)
	}
	endorse := func(k key, id ledger.TxID) {
		raw, _ := e.sign(k, func(b *txpb.Body) { b.Msg = &txpb.Body_EndorseMint{EndorseMint: &txpb.EndorseMint{Request: id[:]}} })
		e.submit(raw)
	}
	endorse(alice, ids[0])
	endorse(bob, ids[0])
	raw, _ = e.sign(minter, func(b *txpb.Body) {
		b.Msg = &txpb.Body_CancelMintRequest{CancelMintRequest: &txpb.CancelMintRequest{Request: ids[1][:]}}
	})
	e.submit(raw)
	endorse(bob, ids[2])
	var types []string
	for _, ev := range e.collect(start+1, 9) {
		types = append(types, ev.Type)
		if ev.Token != "gbpp" {
			t.Errorf("stream event %s names token %q", ev.Type, ev.Token)
		}
	}
	if want := "endorse.policy mint_request.opened mint_request.opened mint_request.opened mint_request.endorsed mint_request.endorsed " +
		"mint_request.executed mint_request.cancelled mint_request.endorsed"; strings.Join(types, " ") != want {
		t.Errorf("the stream carried %v, want %s", types, want)
	}

	q, err := e.client.MintRequest(t.Context(), ids[0])
	if err != nil || q.Status != "executed" || q.Amount.Amount != "2" || len(q.Endorsed) != 2 || q.ClosedBy == "" || q.Closer != bob.addr.String() {
		t.Errorf("the executed request: %+v, %v", q, err)
	}
	if q, err := e.client.MintRequest(t.Context(), ids[1]); err != nil || q.Status != "cancelled" || q.Closer != minter.addr.String() {
		t.Errorf("the cancelled request: %+v, %v", q, err)
	}
	if bal, err := e.client.Balances(t.Context(), alice.addr, "gbpp"); err != nil || len(bal) != 1 || bal[0].Amount != "2" {
		t.Errorf("alice's balances: %+v, %v: want only the executed request's 2", bal, err)
	}
	page, err := e.client.MintRequests(t.Context(), "gbpp", "", 0)
	if err != nil || len(page.Requests) != 1 || page.Requests[0].ID != ids[2].String() || page.Requests[0].Status != "open" ||
		len(page.Requests[0].Endorsed) != 1 || page.Next != "" {
		t.Errorf("gbpp's open requests: %+v, %v", page, err)
	}
	raw, id := e.sign(minter, mintMsg(bob.addr, "3000000"))
	e.submit(raw)
	page, err = e.client.MintRequests(t.Context(), "gbpp", "", 1)
	if err != nil || len(page.Requests) != 1 || page.Next != ids[2].String() {
		t.Fatalf("gbpp's first page of one: %+v, %v", page, err)
	}
	page, err = e.client.MintRequests(t.Context(), "gbpp", page.Next, 1)
	if err != nil || len(page.Requests) != 1 || page.Requests[0].ID != id.String() || page.Next != "" {
		t.Errorf("gbpp's second page of one: %+v, %v", page, err)
	}
	for _, c := range []struct {
		path string
		want int
	}{
		{"/v1/mint-requests/abc", http.StatusBadRequest},
		{"/v1/mint-requests/" + strings.Repeat("ab", 32), http.StatusNotFound},
		{"/v1/tokens/gbpp/mint-requests?limit=0", http.StatusBadRequest},
		{"/v1/tokens/gbpp/mint-requests?limit=65", http.StatusBadRequest},
		{"/v1/tokens/gbpp/mint-requests?after=zz", http.StatusBadRequest},
		{"/v1/tokens/nosuch/mint-requests", http.StatusNotFound},
		{"/v1/tokens/nosuch/endorsement", http.StatusNotFound},
		{"/v1/tokens/NO/endorsement", http.StatusBadRequest},
	} {
		if status, body := e.get(c.path); status != c.want {
			t.Errorf("GET %s: %d %s, want %d", c.path, status, body, c.want)
		}
	}
}

func isStatus(err error, status int) bool {
	var apiErr *client.APIError
	return errors.As(err, &apiErr) && apiErr.Status == status
}
