package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
	"github.com/pegledger/peg/internal/state"
	"github.com/pegledger/peg/internal/tx"
	"github.com/pegledger/peg/internal/tx/txpb"
)

var ctx = context.Background()

func units(t *testing.T, s string) money.Amount {
	t.Helper()
	a, err := money.ParseUnits(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// apiErr requires err to be an *client.APIError with the status and name.
func apiErr(t *testing.T, err error, status int, name string) *client.APIError {
	t.Helper()
	var e *client.APIError
	if !errors.As(err, &e) {
		t.Fatalf("error = %v, want an *client.APIError", err)
	}
	if e.Status != status || e.Name != name {
		t.Fatalf("error = %d %s (%q), want %d %s", e.Status, e.Name, e.Message, status, name)
	}
	return e
}

// errorBody decodes an error answer and checks its status and name.
func errorBody(t *testing.T, status int, body []byte, wantStatus int, wantName string) client.APIError {
	t.Helper()
	var e client.APIError
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("error body %s: %v", body, err)
	}
	if status != wantStatus || e.Name != wantName {
		t.Fatalf("answer = %d %s, want %d %s", status, body, wantStatus, wantName)
	}
	if e.Message == "" {
		t.Errorf("error %s has no message", body)
	}
	return e
}

func TestStatus(t *testing.T) {
	e := newTestEnv(t)
	st, err := e.client.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.ChainID != testChainID || st.Region != testRegion || st.Height != 0 || st.Operator != operator.addr {
		t.Errorf("genesis status = %+v", st)
	}
	if !st.BlockTime.IsZero() {
		t.Errorf("genesis status block time = %v, want none", st.BlockTime)
	}
	if st.Params.MinReserve != 1000 || st.Params.MaxExpiryDelta != 1000 || len(st.Params.Banks) != 1 || st.Params.Banks[0] != "DEMOGB2L" {
		t.Errorf("status params = %+v", st.Params)
	}
	e.runScenario()
	st, err = e.client.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Height != 4 || !st.BlockTime.Equal(genesisTime.Add(4*time.Second)) || len(st.AppHash) != 64 {
		t.Errorf("status after four blocks = %+v", st)
	}
}

// TestOwnerViewWaitsForTheCoins: a balance asked while the coins in memory
// are a block behind the store is answered once they reach it, from the
// coins of the store's height.
func TestOwnerViewWaitsForTheCoins(t *testing.T) {
	e := newTestEnv(t)
	e.runScenario()
	snap := e.chain.db.Snapshot()
	lagging, err := state.LoadUnspent(snap, snap.Height-1) // alice's coins, said to be of the block before
	snap.Close()
	if err != nil {
		t.Fatal(err)
	}
	e.chain.mu.Lock()
	e.chain.unspent = lagging
	e.chain.mu.Unlock()

	var caughtUp atomic.Bool
	go func() {
		time.Sleep(50 * time.Millisecond)
		caughtUp.Store(true)
		lagging.Commit(e.chain.db.NewBlock(), e.chain.db.Height()) // no writes: only the height moves
	}()
	bals, err := e.client.Balances(ctx, alice.addr, "")
	if err != nil {
		t.Fatal(err)
	}
	if !caughtUp.Load() {
		t.Error("answered before the coins in memory reached the store's height")
	}
	if len(bals) != 1 || bals[0].Amount != "87.5" {
		t.Errorf("alice's balances = %+v, want 87.5 gbpp", bals)
	}
}

func TestSubmitDeployMintPay(t *testing.T) {
	e := newTestEnv(t)
	s := e.runScenario()

	rc, err := e.client.Tx(ctx, s.pay)
	if err != nil {
		t.Fatal(err)
	}
	if rc.Kind != "pay" || rc.Signer != alice.addr || rc.Height != 4 || rc.Code != ledger.OK || rc.Name != "OK" {
		t.Errorf("pay receipt = %+v", rc)
	}
	if !rc.Time.Equal(genesisTime.Add(4 * time.Second)) {
		t.Errorf("pay receipt time = %v", rc.Time)
	}

	bals, err := e.client.Balances(ctx, alice.addr, "")
	if err != nil {
		t.Fatal(err)
	}
	want := client.Balance{Token: "gbpp", Value: client.Value{Amount: "87.5", Units: units(t, "87500000")}, Coins: 1}
	if len(bals) != 1 || bals[0] != want {
		t.Errorf("alice's balances = %+v, want [%+v]", bals, want)
	}
	bals, err = e.client.Balances(ctx, bob.addr, "gbpp")
	if err != nil {
		t.Fatal(err)
	}
	if len(bals) != 1 || bals[0].Amount != "12.5" || bals[0].Units != units(t, "12500000") {
		t.Errorf("bob's gbpp balances = %+v", bals)
	}

	coins, err := e.client.Coins(ctx, alice.addr, "gbpp", 0)
	if err != nil {
		t.Fatal(err)
	}
	wantCoin := client.Coin{ID: s.aliceChange, Token: "gbpp", Owner: alice.addr, Value: client.Value{Amount: "87.5", Units: units(t, "87500000")}}
	if len(coins) != 1 || coins[0] != wantCoin {
		t.Errorf("alice's coins = %+v, want [%+v]", coins, wantCoin)
	}
	// Pages: a page of one that holds the last coin has no next; the page
	// after that coin is empty.
	page, err := e.client.CoinsPage(ctx, alice.addr, "", "", 1)
	if err != nil || len(page.Coins) != 1 || page.Next != "" {
		t.Errorf("alice's first page of one coin = %+v, %v; want her coin and no next", page, err)
	}
	page, err = e.client.CoinsPage(ctx, alice.addr, "", "gbpp."+s.aliceChange.String(), 1)
	if err != nil || len(page.Coins) != 0 || page.Next != "" {
		t.Errorf("alice's coins after her coin = %+v, %v; want none", page, err)
	}
	page, err = e.client.CoinsPage(ctx, alice.addr, "", "gbpa."+s.aliceChange.String(), 1)
	if err != nil || len(page.Coins) != 1 {
		t.Errorf("alice's coins after a token before hers = %+v, %v; want her coin", page, err)
	}

	tok, err := e.client.Token(ctx, "gbpp")
	if err != nil {
		t.Fatal(err)
	}
	if tok.Supply.Amount != "100" || tok.Minted.Amount != "100" || tok.Redeemed.Amount != "0" || tok.Cap.Amount != "1000000" {
		t.Errorf("token amounts: supply %v minted %v redeemed %v cap %v", tok.Supply, tok.Minted, tok.Redeemed, tok.Cap)
	}
	if tok.DeployTx != s.deploy || tok.DeployHeight != 1 || tok.Issuer != issuer.addr || tok.Roles.Owner != owner.addr {
		t.Errorf("token deployment = tx %s height %d issuer %s owner %s", tok.DeployTx, tok.DeployHeight, tok.Issuer, tok.Roles.Owner)
	}
	if tok.DeclaredReserve.Amount != "1000000" || tok.DeclaredReserve.Units != units(t, "100000000") || tok.DeclaredReserve.Currency != "GBP" {
		t.Errorf("declared reserve = %+v", tok.DeclaredReserve)
	}
	if len(tok.Roles.Minters) != 1 || tok.Roles.Minters[0].Allowance.Amount != "499900" {
		t.Errorf("minters = %+v, want one with 499900 left", tok.Roles.Minters)
	}
	if tok.Contract.ID != "gbpp" || tok.Contract.MinRedeem != "0.01" || tok.Contract.Fiat.Account != "GB82WEST12345698765432" {
		t.Errorf("contract = %+v", tok.Contract)
	}

	toks, err := e.client.Tokens(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(toks) != 1 || toks[0].ID != "gbpp" || toks[0].Supply.Amount != "100" || toks[0].Issuer != issuer.addr {
		t.Errorf("tokens = %+v", toks)
	}

	acc, err := e.client.Account(ctx, bob.addr)
	if err != nil {
		t.Fatal(err)
	}
	if acc.Region != "GB" || acc.Issuer || acc.Registered || len(acc.Frozen) != 0 || len(acc.Balances) != 1 || acc.Balances[0].Amount != "12.5" {
		t.Errorf("bob's account = %+v", acc)
	}
	acc, err = e.client.Account(ctx, issuer.addr)
	if err != nil {
		t.Fatal(err)
	}
	if !acc.Issuer || len(acc.Balances) != 0 {
		t.Errorf("issuer's account = %+v", acc)
	}
}

func TestSubmitWithoutWait(t *testing.T) {
	e := newTestEnv(t)
	e.chain.setManual()
	raw, id := e.sign(issuer, deployMsg(gbppDraft()))
	s, err := e.client.Submit(ctx, raw, false)
	if err != nil {
		t.Fatal(err)
	}
	if s.TxID != id || s.Receipt != nil {
		t.Fatalf("Submit without wait = %+v, want id %s and no receipt", s, id)
	}
	_, err = e.client.Tx(ctx, id)
	apiErr(t, err, http.StatusNotFound, "NOT_FOUND")
	e.chain.commit()
	rc, err := e.client.Tx(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if rc.Kind != "deploy_token" || rc.Code != ledger.OK || len(rc.Events) == 0 {
		t.Errorf("deploy receipt = %+v", rc)
	}
}

func TestSubmitRejectedAtAdmission(t *testing.T) {
	e := newTestEnv(t)
	s := e.runScenario()
	bad := func(raw []byte) []byte {
		b := bytes.Clone(raw)
		b[len(b)-1] ^= 1 // the last byte is the signature's
		return b
	}
	rawWrongChain, _ := e.sign(minter, func(b *txpb.Body) {
		mintMsg(alice.addr, "1000000")(b)
		b.ChainId = "peg-other"
	})
	type tcase struct {
		name     string
		raw      []byte
		status   int
		code     ledger.Code
		wantTxID bool
	}
	notMinterRaw, _ := e.sign(alice, mintMsg(alice.addr, "1000000"))
	overRaw, _ := e.sign(minter, mintMsg(alice.addr, "600000000000"))
	spentRaw, _ := e.sign(alice, payMsg([]ledger.CoinID{ledger.NewCoinID(s.mint, 0)}, out(bob.addr, "100000000")))
	goodRaw, _ := e.sign(minter, mintMsg(alice.addr, "1000000"))
	expiredRaw, _ := e.signExpiring(minter, 1, mintMsg(alice.addr, "1000000"))
	cases := []tcase{
		{"not a minter", notMinterRaw, http.StatusForbidden, ledger.CodeUnauthorized, true},
		{"beyond the minter's allowance", overRaw, http.StatusUnprocessableEntity, ledger.CodeMinterAllowance, true},
		{"coin already spent", spentRaw, http.StatusConflict, ledger.CodeCoinSpent, true},
		{"bad signature", bad(goodRaw), http.StatusUnauthorized, ledger.CodeBadSignature, true},
		{"wrong chain", rawWrongChain, http.StatusBadRequest, ledger.CodeWrongChain, false},
		{"not a transaction", []byte("hello"), http.StatusBadRequest, ledger.CodeMalformed, false},
		{"expired", expiredRaw, http.StatusGone, ledger.CodeExpired, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.client.Submit(ctx, tc.raw, true)
			ae := apiErr(t, err, tc.status, tc.code.Name())
			if ae.Code != uint32(tc.code) || ae.Message == "" {
				t.Errorf("error = %+v, want code %d with a message", ae, tc.code)
			}
			if got := ae.TxID != ""; got != tc.wantTxID {
				t.Errorf("error tx id = %q, want one: %v", ae.TxID, tc.wantTxID)
			}
			if ae.Height != 0 {
				t.Errorf("admission error has height %d", ae.Height)
			}
		})
	}
}

// TestSubmitTooLarge: a transaction over tx.MaxTxSize answers TX_TOO_LARGE,
// as docs/transactions.md promises, whatever its base64 length, up to what
// a request body may hold; the document's schema does not answer first.
func TestSubmitTooLarge(t *testing.T) {
	e := newTestEnv(t)
	for _, size := range []int{tx.MaxTxSize + 1, tx.MaxTxSize + 3, 2 * tx.MaxTxSize} {
		t.Run(strconv.Itoa(size), func(t *testing.T) {
			raw := e.signSized(size)
			_, err := e.client.Submit(ctx, raw, true)
			ae := apiErr(t, err, http.StatusBadRequest, ledger.CodeTooLarge.Name())
			if want := fmt.Sprintf("transaction is %d bytes, limit %d", size, tx.MaxTxSize); ae.Code != uint32(ledger.CodeTooLarge) || ae.Message != want {
				t.Errorf("error = %d %q, want %d %q", ae.Code, ae.Message, ledger.CodeTooLarge, want)
			}
		})
	}
}

// signSized signs a transaction of exactly size bytes, its memo padded.
func (e *testEnv) signSized(size int) []byte {
	e.t.Helper()
	memo := 0
	for range 4 { // the memo's length prefix grows with it: a few rounds settle
		raw, _ := e.sign(pauser, func(b *txpb.Body) {
			b.Memo = strings.Repeat("m", memo)
			b.Msg = &txpb.Body_Pause{Pause: &txpb.Pause{Token: "gbpp"}}
		})
		if len(raw) == size {
			return raw
		}
		memo += size - len(raw)
	}
	e.t.Fatalf("no memo makes a transaction of %d bytes", size)
	return nil
}

func TestSubmitRejectedByBlock(t *testing.T) {
	e := newTestEnv(t)
	s := e.runScenario()
	e.chain.setManual()
	// Two payments of the same coin both pass admission; the block takes the
	// first and rejects the second.
	first, _ := e.sign(bob, payMsg([]ledger.CoinID{s.bobCoin}, out(alice.addr, "12500000")))
	second, secondID := e.sign(bob, payMsg([]ledger.CoinID{s.bobCoin}, out(bob.addr, "12500000")))
	if _, err := e.client.Submit(ctx, first, false); err != nil {
		t.Fatal(err)
	}
	e.chain.awaitAdmitted(1)
	done := make(chan error)
	go func() {
		_, err := e.client.Submit(ctx, second, true)
		done <- err
	}()
	e.chain.awaitAdmitted(1)
	e.chain.commit()
	ae := apiErr(t, <-done, http.StatusConflict, "COIN_SPENT")
	if ae.TxID != secondID.String() || ae.Height != 5 || ae.Code != uint32(ledger.CodeCoinSpent) {
		t.Errorf("block rejection = %+v, want tx %s at height 5", ae, secondID)
	}
	rc, err := e.client.Tx(ctx, secondID)
	if err != nil {
		t.Fatal(err)
	}
	if rc.Code != ledger.CodeCoinSpent || rc.Name != "COIN_SPENT" || rc.Message == "" || rc.Index != 1 {
		t.Errorf("receipt of the rejected payment = %+v", rc)
	}
}

func TestSubmitTimeout(t *testing.T) {
	e := newTestEnvWait(t, 200*time.Millisecond)
	e.chain.setManual()
	raw, id := e.sign(issuer, deployMsg(gbppDraft()))
	_, err := e.client.Submit(ctx, raw, true)
	ae := apiErr(t, err, http.StatusGatewayTimeout, "TIMEOUT")
	if ae.TxID != id.String() || !strings.Contains(ae.Message, "/v1/txs/"+id.String()) {
		t.Errorf("timeout = %+v, want the tx id and where to poll", ae)
	}
	e.chain.commit()
	if rc, err := e.client.Tx(ctx, id); err != nil || rc.Code != ledger.OK {
		t.Errorf("receipt after the timeout = %+v, %v", rc, err)
	}
}

func TestSubmitExpiresUnincluded(t *testing.T) {
	e := newTestEnv(t)
	e.chain.setManual()
	raw, id := e.signExpiring(issuer, 2, deployMsg(gbppDraft()))
	done := make(chan error)
	go func() {
		_, err := e.client.Submit(ctx, raw, true)
		done <- err
	}()
	e.chain.awaitAdmitted(1)
	e.chain.dropPending() // evicted from the mempool: no block will include it
	e.chain.commit()      // height 1: it could still be included
	select {
	case err := <-done:
		t.Fatalf("Submit returned %v at height 1, before the expiry height 2", err)
	case <-time.After(50 * time.Millisecond):
	}
	e.chain.commit() // height 2: its last chance has passed
	ae := apiErr(t, <-done, http.StatusGone, "EXPIRED")
	if ae.TxID != id.String() {
		t.Errorf("expiry error = %+v, want tx %s", ae, id)
	}
}

func TestRequestValidation(t *testing.T) {
	e := newTestEnv(t)
	raw, _ := e.sign(issuer, deployMsg(gbppDraft()))
	b64 := base64.StdEncoding.EncodeToString(raw)
	for _, tc := range []struct {
		name, method, path, contentType, body string
		status                                int
		errName                               string
	}{
		{"malformed JSON", "POST", "/v1/txs", "application/json", `{"tx": `, 400, "BAD_REQUEST"},
		{"bad base64", "POST", "/v1/txs", "application/json", `{"tx": "not base64!"}`, 400, "BAD_REQUEST"},
		{"bad base64 padding", "POST", "/v1/txs", "application/json", `{"tx": "abcde"}`, 400, "BAD_REQUEST"},
		{"missing tx", "POST", "/v1/txs", "application/json", `{"wait": false}`, 400, "BAD_REQUEST"},
		{"empty tx", "POST", "/v1/txs", "application/json", `{"tx": ""}`, 400, "BAD_REQUEST"},
		{"unknown field", "POST", "/v1/txs", "application/json", `{"tx": "` + b64 + `", "fee": 1}`, 400, "BAD_REQUEST"},
		{"wait not a boolean", "POST", "/v1/txs", "application/json", `{"tx": "` + b64 + `", "wait": "no"}`, 400, "BAD_REQUEST"},
		{"no content type", "POST", "/v1/txs", "", `{"tx": "` + b64 + `"}`, 400, "BAD_REQUEST"},
		{"no body", "POST", "/v1/txs", "application/json", ``, 400, "BAD_REQUEST"},
		{"body too large", "POST", "/v1/txs", "application/json", `{"tx": "` + strings.Repeat("A", MaxRequestBody) + `"}`, 413, "REQUEST_TOO_LARGE"},
		{"limit zero", "GET", "/v1/accounts/" + alice.addr.String() + "/coins?limit=0", "", "", 400, "BAD_REQUEST"},
		{"limit above the page", "GET", "/v1/accounts/" + alice.addr.String() + "/coins?limit=1001", "", "", 400, "BAD_REQUEST"},
		{"limit not a number", "GET", "/v1/accounts/" + alice.addr.String() + "/coins?limit=ten", "", "", 400, "BAD_REQUEST"},
		{"after not a place", "GET", "/v1/accounts/" + alice.addr.String() + "/coins?after=gbpp", "", "", 400, "BAD_REQUEST"},
		{"after with a bad token", "GET", "/v1/accounts/" + alice.addr.String() + "/coins?after=GBPP." + strings.Repeat("ab", 32), "", "", 400, "BAD_REQUEST"},
		{"after with a bad coin id", "GET", "/v1/accounts/" + alice.addr.String() + "/coins?after=gbpp.abc", "", "", 400, "BAD_REQUEST"},
		{"credit history limit 0", "GET", "/v1/accounts/" + alice.addr.String() + "/credit/history?limit=0", "", "", 400, "BAD_REQUEST"},
		{"credit history limit over", "GET", "/v1/accounts/" + alice.addr.String() + "/credit/history?limit=101", "", "", 400, "BAD_REQUEST"},
		{"credit history before not hex", "GET", "/v1/accounts/" + alice.addr.String() + "/credit/history?before=zz", "", "", 400, "BAD_REQUEST"},
		{"credit history before short", "GET", "/v1/accounts/" + alice.addr.String() + "/credit/history?before=" + strings.Repeat("ab", 39), "", "", 400, "BAD_REQUEST"},
		{"approval without token", "GET", "/v1/accounts/" + alice.addr.String() + "/approvals/" + bob.addr.String(), "", "", 400, "BAD_REQUEST"},
		{"unknown route", "GET", "/v1/nothing", "", "", 404, "NOT_FOUND"},
		{"wrong method", "DELETE", "/v1/status", "", "", 405, "METHOD_NOT_ALLOWED"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := e.do(tc.method, tc.path, tc.contentType, strings.NewReader(tc.body))
			errorBody(t, status, body, tc.status, tc.errName)
		})
	}
}

func TestPathParameters(t *testing.T) {
	e := newTestEnv(t)
	e.runScenario()
	// A valid address with its last character changed fails its checksum, a
	// mistake only the handler's parser sees.
	a := alice.addr.String()
	last := byte('q')
	if a[len(a)-1] == 'q' {
		last = 'p'
	}
	badChecksum := a[:len(a)-1] + string(last)
	for _, tc := range []struct {
		name, path, errName string
		status              int
		messageHas          string
	}{
		{"address not bech32", "/v1/accounts/nobody", "BAD_REQUEST", 400, "address"},
		{"address checksum", "/v1/accounts/" + badChecksum, "BAD_REQUEST", 400, "address"},
		{"address of balances", "/v1/accounts/peg1xyz/balances", "BAD_REQUEST", 400, "address"},
		{"spender", "/v1/accounts/" + a + "/approvals/bob?token=gbpp", "BAD_REQUEST", 400, "spender"},
		{"tx id short", "/v1/txs/abc", "BAD_REQUEST", 400, "id"},
		{"tx id not hex", "/v1/txs/" + strings.Repeat("zz", 32), "BAD_REQUEST", 400, "id"},
		{"token id", "/v1/tokens/GBPP", "BAD_REQUEST", 400, "id"},
		{"token query", "/v1/accounts/" + a + "/balances?token=G", "BAD_REQUEST", 400, "token"},
		{"block height zero", "/v1/blocks/0", "BAD_REQUEST", 400, "height"},
		{"block height word", "/v1/blocks/first", "BAD_REQUEST", 400, "height"},
		{"unknown tx", "/v1/txs/" + strings.Repeat("ab", 32), "NOT_FOUND", 404, "abab"},
		{"unknown token", "/v1/tokens/usdp", "UNKNOWN_TOKEN", 404, "usdp"},
		{"unknown token's redemptions", "/v1/tokens/usdp/redemptions", "UNKNOWN_TOKEN", 404, "usdp"},
		{"unknown token's balances", "/v1/accounts/" + a + "/balances?token=usdp", "UNKNOWN_TOKEN", 404, "usdp"},
		{"unknown token's approval", "/v1/accounts/" + a + "/approvals/" + bob.addr.String() + "?token=usdp", "UNKNOWN_TOKEN", 404, "usdp"},
		{"block not yet made", "/v1/blocks/99", "NOT_FOUND", 404, "99"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := e.get(tc.path)
			got := errorBody(t, status, body, tc.status, tc.errName)
			if !strings.Contains(got.Message, tc.messageHas) {
				t.Errorf("message %q does not mention %q", got.Message, tc.messageHas)
			}
		})
	}
}

func TestBlocks(t *testing.T) {
	e := newTestEnv(t)
	_, err := e.client.Block(ctx, 0)
	apiErr(t, err, http.StatusNotFound, "NOT_FOUND")
	s := e.runScenario()
	b, err := e.client.Block(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if b.Height != 4 || len(b.Txs) != 1 || b.Txs[0] != (client.BlockTx{ID: s.pay, Kind: "pay"}) || len(b.Hash) != 64 {
		t.Errorf("latest block = %+v, want height 4 with the payment", b)
	}
	b, err = e.client.Block(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if b.Height != 1 || len(b.Txs) != 1 || b.Txs[0].ID != s.deploy || !b.Time.Equal(genesisTime.Add(time.Second)) {
		t.Errorf("block 1 = %+v, want the deployment", b)
	}
	// A block may carry bytes that do not parse, if its proposer is faulty.
	junk := []byte("not a transaction")
	e.chain.include(junk)
	e.chain.commit()
	b, err = e.client.Block(ctx, 5)
	if err != nil {
		t.Fatal(err)
	}
	want := client.BlockTx{ID: ledger.TxID(sha256.Sum256(junk)), Malformed: true}
	if len(b.Txs) != 1 || b.Txs[0] != want {
		t.Errorf("block with junk lists %+v, want [%+v]", b.Txs, want)
	}
}

func TestApprovalAndRedemptions(t *testing.T) {
	e := newTestEnv(t)
	s := e.runScenario()
	ap, err := e.client.Approval(ctx, "gbpp", alice.addr, bob.addr)
	if err != nil {
		t.Fatal(err)
	}
	if ap.Amount != "0" || ap.Owner != alice.addr || ap.Spender != bob.addr {
		t.Errorf("approval before approving = %+v", ap)
	}
	raw, _ := e.sign(alice, func(b *txpb.Body) {
		b.Msg = &txpb.Body_Approve{Approve: &txpb.Approve{Token: "gbpp", Spender: bob.addr.String(), Amount: "5250000"}}
	})
	e.submit(raw)
	ap, err = e.client.Approval(ctx, "gbpp", alice.addr, bob.addr)
	if err != nil {
		t.Fatal(err)
	}
	if ap.Amount != "5.25" || ap.Units != units(t, "5250000") {
		t.Errorf("approval = %+v, want 5.25", ap)
	}

	raw, id := e.sign(alice, func(b *txpb.Body) {
		b.Msg = &txpb.Body_Redeem{Redeem: &txpb.Redeem{Token: "gbpp", Inputs: [][]byte{s.aliceChange[:]}, Amount: "10000000"}}
	})
	e.submit(raw)
	rs, err := e.client.Redemptions(ctx, "gbpp")
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 {
		t.Fatalf("redemptions = %+v, want one", rs)
	}
	r := rs[0]
	if r.TxID != id || r.Holder != alice.addr || r.Amount != "10" || r.FiatOwed.Amount != "10" ||
		r.FiatOwed.Units != units(t, "1000") || r.FiatOwed.Currency != "GBP" || r.Fiat.BIC != "DEMOGB2L" {
		t.Errorf("redemption = %+v", r)
	}
	tok, err := e.client.Token(ctx, "gbpp")
	if err != nil {
		t.Fatal(err)
	}
	if tok.Supply.Amount != "90" || tok.Redeemed.Amount != "10" {
		t.Errorf("after redeeming 10: supply %s redeemed %s", tok.Supply.Amount, tok.Redeemed.Amount)
	}
}

func TestFrozenAccount(t *testing.T) {
	e := newTestEnv(t)
	s := e.runScenario()
	raw, _ := e.sign(freezer, func(b *txpb.Body) {
		b.Msg = &txpb.Body_Freeze{Freeze: &txpb.Freeze{Token: "gbpp", Account: bob.addr.String()}}
	})
	e.submit(raw)
	acc, err := e.client.Account(ctx, bob.addr)
	if err != nil {
		t.Fatal(err)
	}
	if len(acc.Frozen) != 1 || acc.Frozen[0] != "gbpp" {
		t.Errorf("bob's frozen tokens = %v, want [gbpp]", acc.Frozen)
	}
	raw, _ = e.sign(bob, payMsg([]ledger.CoinID{s.bobCoin}, out(alice.addr, "12500000")))
	_, err = e.client.Submit(ctx, raw, true)
	apiErr(t, err, http.StatusForbidden, "FROZEN")
}

func TestCodes(t *testing.T) {
	e := newTestEnv(t)
	codes, err := e.client.Codes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	byName := make(map[string]client.CodeInfo)
	for _, c := range codes {
		if _, dup := byName[c.Name]; dup {
			t.Errorf("code name %s listed twice", c.Name)
		}
		byName[c.Name] = c
	}
	if len(codes) != len(ledger.Codes())+len(apiCodes) {
		t.Errorf("%d codes listed, want %d ledger and %d API codes", len(codes), len(ledger.Codes()), len(apiCodes))
	}
	for _, want := range []client.CodeInfo{
		{Code: 0, Name: "OK", HTTPStatus: 200},
		{Code: 5, Name: "BAD_SIGNATURE", HTTPStatus: 401},
		{Code: 20, Name: "UNAUTHORIZED", HTTPStatus: 403},
		{Code: 40, Name: "UNKNOWN_TOKEN", HTTPStatus: 404},
		{Code: 81, Name: "COIN_SPENT", HTTPStatus: 409},
		{Code: 6, Name: "EXPIRED", HTTPStatus: 410},
		{Code: 89, Name: "ABOVE_RESERVE", HTTPStatus: 422},
		{Code: 120, Name: "RESERVE_UNATTESTED", HTTPStatus: 422},
		{Code: 121, Name: "RESERVE_AT_RISK", HTTPStatus: 422},
		{Code: 122, Name: "RESERVE_STALE", HTTPStatus: 422},
		{Code: 123, Name: "ATTEST_WRONG_ACCOUNT", HTTPStatus: 422},
		{Code: 124, Name: "ATTEST_WRONG_CURRENCY", HTTPStatus: 422},
		{Code: 125, Name: "ATTEST_OUTDATED", HTTPStatus: 409},
		{Code: 126, Name: "ATTEST_FUTURE", HTTPStatus: 400},
		{Code: CodeNotFound, Name: "NOT_FOUND", HTTPStatus: 404},
		{Code: CodeTimeout, Name: "TIMEOUT", HTTPStatus: 504},
	} {
		got := byName[want.Name]
		if got.Code != want.Code || got.HTTPStatus != want.HTTPStatus || got.Description == "" {
			t.Errorf("code %s = %+v, want code %d status %d with a description", want.Name, got, want.Code, want.HTTPStatus)
		}
	}
}

// TestStatusTable proves every ledger code is classified, and nothing else is.
func TestStatusTable(t *testing.T) {
	for _, c := range ledger.Codes() {
		if _, ok := httpStatus[c]; !ok {
			t.Errorf("ledger code %d %s has no HTTP status in httpStatus", c, c.Name())
		}
	}
	if len(httpStatus) != len(ledger.Codes()) {
		t.Errorf("httpStatus has %d entries for %d ledger codes", len(httpStatus), len(ledger.Codes()))
	}
	for _, c := range apiCodes {
		if c.Code < 1000 {
			t.Errorf("API code %s is %d, inside the ledger's range", c.Name, c.Code)
		}
	}
}

func TestHealthAndSpec(t *testing.T) {
	e := newTestEnv(t)
	if err := e.client.Health(ctx); err != nil {
		t.Fatal(err)
	}
	status, body := e.get("/healthz")
	if status != 200 || string(body) != "ok" {
		t.Errorf("/healthz = %d %q", status, body)
	}
	got, err := e.client.Spec(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, specYAML) {
		t.Error("/openapi.yaml is not the embedded document verbatim")
	}
}

func TestRequestLog(t *testing.T) {
	e := newTestEnv(t)
	e.get("/v1/tokens/usdp")
	logs := e.logs.String()
	for _, want := range []string{"level=DEBUG", "method=GET", "path=/v1/tokens/usdp", "status=404", "duration="} {
		if !strings.Contains(logs, want) {
			t.Errorf("request log lacks %q:\n%s", want, logs)
		}
	}
}
