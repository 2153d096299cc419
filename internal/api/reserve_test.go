package api

import (
	"math/big"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
	"github.com/pegledger/peg/internal/reserve"
	"github.com/pegledger/peg/internal/state"
	"github.com/pegledger/peg/internal/token"
	"github.com/pegledger/peg/internal/tx/txpb"
)

// testWindow is the staleness window of the reserve tests' gbpp, short enough
// to outlive with advance.
const testWindow = time.Hour

// deployWatched deploys gbpp with a staleness window of testWindow.
func (e *testEnv) deployWatched() {
	e.t.Helper()
	d := gbppDraft()
	d.Reserve.StalenessWindow = testWindow.String()
	raw, _ := e.sign(issuer, deployMsg(d))
	e.submit(raw)
}

func (e *testEnv) mint(units string) {
	e.t.Helper()
	raw, _ := e.sign(minter, mintMsg(alice.addr, units))
	e.submit(raw)
}

// reserve reads gbpp's reserve three ways, which must agree: the token, the
// token list and the reserve list.
func (e *testEnv) reserve() client.Reserve {
	e.t.Helper()
	tok, err := e.client.Token(ctx, "gbpp")
	if err != nil {
		e.t.Fatal(err)
	}
	toks, err := e.client.Tokens(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	rs, err := e.client.Reserves(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	if len(toks) != 1 || len(rs) != 1 || rs[0].Token != "gbpp" || rs[0].Symbol != "GBPP" {
		e.t.Fatalf("tokens %+v and reserves %+v, want gbpp alone", toks, rs)
	}
	for _, other := range []client.Reserve{toks[0].Reserve, rs[0].Reserve} {
		if !sameReserve(other, tok.Reserve) {
			e.t.Errorf("reserve lists disagree with the token:\n%+v\n%+v", other, tok.Reserve)
		}
	}
	return tok.Reserve
}

func sameReserve(a, b client.Reserve) bool {
	if (a.Reading == nil) != (b.Reading == nil) || (a.Reading != nil && *a.Reading != *b.Reading) {
		return false
	}
	a.Reading, b.Reading = nil, nil
	return reflect.DeepEqual(a, b)
}

func TestReserveView(t *testing.T) {
	e := newTestEnv(t)
	e.deployWatched() // block 1
	deployed := genesisTime.Add(time.Second)
	window := client.Duration{Seconds: 3600, Text: "1h0m0s"}

	t.Run("unattested", func(t *testing.T) {
		got := e.reserve()
		want := client.Reserve{
			Status: reserve.Unattested, RecordedStatus: reserve.Unattested, Since: deployed, AsOf: deployed,
			StalenessWindow: window,
			Required:        client.FiatValue{Value: client.Value{Amount: "0", Units: units(t, "0")}, Currency: "GBP"},
			Capacity:        client.Value{Amount: "0", Units: units(t, "0")},
			Account:         client.ReserveAccount{BIC: "DEMOGB2L", Scheme: "IBAN", Account: "GB82WEST12345698765432", Currency: "GBP"},
		}
		if !sameReserve(got, want) {
			t.Errorf("reserve = %+v\nwant %+v", got, want)
		}
		raw, _ := e.sign(minter, mintMsg(alice.addr, "1000000"))
		_, err := e.client.Submit(ctx, raw, true)
		apiErr(t, err, http.StatusUnprocessableEntity, "RESERVE_UNATTESTED")
	})

	t.Run("ok", func(t *testing.T) {
		rc := e.attest("100000") // £1,000 at block 2
		e.mint("800000000")      // 800 GBPP at block 3
		got := e.reserve()
		attested := genesisTime.Add(2 * time.Second)
		if got.Status != reserve.OK || got.RecordedStatus != reserve.OK || !got.Since.Equal(attested) ||
			!got.AsOf.Equal(genesisTime.Add(3*time.Second)) {
			t.Errorf("status %s (recorded %s) since %v as of %v, want OK since %v", got.Status, got.RecordedStatus, got.Since, got.AsOf, attested)
		}
		if got.Required.Amount != "800" || got.Required.Units != units(t, "80000") || got.Required.Currency != "GBP" {
			t.Errorf("required = %+v, want £800", got.Required)
		}
		if got.Capacity.Amount != "1000" || got.Coverage != "1.2500" {
			t.Errorf("capacity %s coverage %q, want 1000 and 1.2500", got.Capacity.Amount, got.Coverage)
		}
		r := got.Reading
		if r == nil {
			t.Fatal("no reading after an attestation")
		}
		if r.Balance.Amount != "1000" || r.Balance.Currency != "GBP" || r.BalanceType != "InterimAvailable" ||
			r.Height != 2 || r.TxID != rc.TxID || r.Source != "openbanking" || len(r.RawHash) != 64 ||
			!r.AttestedAt.Equal(attested) || !r.BankTime.Equal(deployed.Add(-time.Second)) || r.AgeSeconds != 3 {
			t.Errorf("reading = %+v", r)
		}
	})

	t.Run("at risk", func(t *testing.T) {
		e.attest("64000") // £640 backs 640 of the 800 GBPP, at block 4
		got := e.reserve()
		if got.Status != reserve.AtRisk || got.RecordedStatus != reserve.AtRisk || !got.Since.Equal(genesisTime.Add(4*time.Second)) {
			t.Errorf("status %s (recorded %s) since %v, want AT_RISK since block 4", got.Status, got.RecordedStatus, got.Since)
		}
		// Read at the bank a second before block 3, judged at block 4.
		if got.Capacity.Amount != "640" || got.Coverage != "0.8000" || got.Reading.AgeSeconds != 2 {
			t.Errorf("capacity %s coverage %q age %d, want 640, 0.8000 and 2", got.Capacity.Amount, got.Coverage, got.Reading.AgeSeconds)
		}
		raw, _ := e.sign(minter, mintMsg(alice.addr, "1000000"))
		_, err := e.client.Submit(ctx, raw, true)
		apiErr(t, err, http.StatusUnprocessableEntity, "RESERVE_AT_RISK")
	})

	t.Run("stale", func(t *testing.T) {
		e.attest("100000") // back to OK at block 5
		e.chain.advance(testWindow + time.Minute)
		e.chain.commit() // block 6, an hour and a minute later: its end judges the reserve
		got := e.reserve()
		block6 := genesisTime.Add(6*time.Second + testWindow + time.Minute)
		if got.Status != reserve.Stale || got.RecordedStatus != reserve.Stale || !got.Since.Equal(block6) || !got.AsOf.Equal(block6) {
			t.Errorf("status %s (recorded %s) since %v as of %v, want STALE since %v", got.Status, got.RecordedStatus, got.Since, got.AsOf, block6)
		}
		// Ages are block time since the bank's time, not the wall clock: read
		// a second before block 4, judged at block 6, an hour and a minute on.
		if want := int64(3663); got.Reading.AgeSeconds != want {
			t.Errorf("age = %ds, want %ds", got.Reading.AgeSeconds, want)
		}
		if got.Coverage != "1.2500" {
			t.Errorf("coverage = %q: a stale reading still shows what it covered", got.Coverage)
		}
		raw, _ := e.sign(minter, mintMsg(alice.addr, "1000000"))
		_, err := e.client.Submit(ctx, raw, true)
		apiErr(t, err, http.StatusUnprocessableEntity, "RESERVE_STALE")
	})
}

// TestReserveViewAheadOfRecord proves the status is judged at the latest
// block's time rather than copied from the record: a reading that outlived its
// window reads STALE before any block records it.
func TestReserveViewAheadOfRecord(t *testing.T) {
	d := gbppDraft()
	d.Reserve.StalenessWindow = "1h"
	c, vs := token.Build(d, testGenesis().Params.TokenParams())
	if len(vs) > 0 {
		t.Fatal(vs)
	}
	read := genesisTime // at the bank; freshness runs from it
	attested := read.Add(2 * time.Second)
	tok := &state.Token{
		Contract: c, Supply: units(t, "100000000"),
		Reading:       &reserve.Reading{Balance: units(t, "100000"), BankTime: read, AttestedAt: attested, Height: 2},
		ReserveStatus: reserve.OK, ReserveSince: attested.UnixNano(),
	}
	for _, tc := range []struct {
		name             string
		now              time.Time
		status, recorded reserve.Status
		since            time.Time
		age              int64
	}{
		{"within the window", read.Add(time.Hour), reserve.OK, reserve.OK, attested, 3600},
		{"past the window", read.Add(time.Hour + time.Second), reserve.Stale, reserve.OK, read.Add(time.Hour), 3601},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := reserveView(tok, tc.now)
			if got.Status != tc.status || got.RecordedStatus != tc.recorded || !got.Since.Equal(tc.since) || got.Reading.AgeSeconds != tc.age {
				t.Errorf("at %v: status %s recorded %s since %v age %d, want %s %s %v %d",
					tc.now, got.Status, got.RecordedStatus, got.Since, got.Reading.AgeSeconds, tc.status, tc.recorded, tc.since, tc.age)
			}
		})
	}
}

func TestCoverage(t *testing.T) {
	max := money.Max.String()
	for _, tc := range []struct {
		name              string
		balance, required string
		want              string
	}{
		{"nothing required", "100", "0", ""},
		{"nothing required, nothing held", "0", "0", ""},
		{"nothing held", "0", "100", "0.0000"},
		{"exactly covered", "80000", "80000", "1.0000"},
		{"over", "100000", "80000", "1.2500"},
		{"short", "64000", "80000", "0.8000"},
		{"a third", "1", "3", "0.3333"},
		{"two thirds round down", "2", "3", "0.6666"},
		{"a penny short is not covered", "9999999", "10000000", "0.9999"},
		{"below the last place", "1", "20000", "0.0000"},
		{"one place", "1", "10000", "0.0001"},
		{"large", "10000000000", "1", "10000000000.0000"},
		{"the largest amounts", max, max, "1.0000"},
		{"the largest over one", max, "1", max + ".0000"},
		{"one over the largest", "1", max, "0.0000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := coverage(units(t, tc.balance), units(t, tc.required)); got != tc.want {
				t.Errorf("coverage(%s, %s) = %q, want %q", tc.balance, tc.required, got, tc.want)
			}
		})
	}
}

// TestCoverageExact checks coverage against big.Rat for amounts no float64
// holds exactly.
func TestCoverageExact(t *testing.T) {
	for _, p := range [][2]string{
		{"123456789012345678901234567", "98765432109876543210"},
		{"9007199254740993", "3"},
		{"18446744073709551617", "18446744073709551616"},
	} {
		b, r := units(t, p[0]), units(t, p[1])
		want := new(big.Rat).SetFrac(b.Big(), r.Big())
		got, ok := new(big.Rat).SetString(coverage(b, r))
		if !ok {
			t.Fatalf("coverage(%s, %s) = %q, not a decimal", p[0], p[1], coverage(b, r))
		}
		// got ≤ want < got + 0.0001
		step := big.NewRat(1, 10000)
		if got.Cmp(want) > 0 || new(big.Rat).Add(got, step).Cmp(want) <= 0 {
			t.Errorf("coverage(%s, %s) = %s, want %s rounded down to 4 places", p[0], p[1], got.FloatString(4), want.FloatString(8))
		}
	}
}

func TestAttestations(t *testing.T) {
	e := newTestEnv(t)
	e.deployWatched()
	got, err := e.client.Attestations(ctx, "gbpp", 0)
	if err != nil {
		t.Fatal(err)
	}
	if got == nil || len(got) != 0 {
		t.Errorf("attestations before any = %#v, want an empty list", got)
	}
	var ids []ledger.TxID // oldest first
	for _, pence := range []string{"100000", "90000", "80000"} {
		ids = append(ids, e.attest(pence).TxID)
	}
	for _, tc := range []struct {
		limit int
		want  []ledger.TxID
	}{
		{0, []ledger.TxID{ids[2], ids[1], ids[0]}},
		{3, []ledger.TxID{ids[2], ids[1], ids[0]}},
		{2, []ledger.TxID{ids[2], ids[1]}},
		{1, []ledger.TxID{ids[2]}},
		{MaxAttestationsPage, []ledger.TxID{ids[2], ids[1], ids[0]}},
	} {
		got, err := e.client.Attestations(ctx, "gbpp", tc.limit)
		if err != nil {
			t.Fatal(err)
		}
		var gotIDs []ledger.TxID
		for _, r := range got {
			gotIDs = append(gotIDs, r.TxID)
		}
		if len(gotIDs) != len(tc.want) {
			t.Errorf("limit %d: %d attestations, want %d", tc.limit, len(gotIDs), len(tc.want))
			continue
		}
		for i := range gotIDs {
			if gotIDs[i] != tc.want[i] {
				t.Errorf("limit %d: attestation %d is %s, want %s (newest first)", tc.limit, i, gotIDs[i], tc.want[i])
			}
		}
	}
	newest, _ := e.client.Attestations(ctx, "gbpp", 1)
	// Blocks 2, 3, 4, each read at the bank a second before the block
	// before it: ages at block 4 are 2, 3 and 4 seconds.
	if r := newest[0]; r.Height != 4 || r.Balance.Amount != "800" || r.AgeSeconds != 2 {
		t.Errorf("newest attestation = %+v, want £800 at height 4, age 2", r)
	}
	all, _ := e.client.Attestations(ctx, "gbpp", 0)
	if r := all[2]; r.Height != 2 || r.AgeSeconds != 4 {
		t.Errorf("oldest attestation = %+v, want height 2, age 4", r)
	}

	for _, tc := range []struct {
		name, path, errName string
		status              int
	}{
		{"limit zero", "/v1/tokens/gbpp/attestations?limit=0", "BAD_REQUEST", 400},
		{"limit above the page", "/v1/tokens/gbpp/attestations?limit=1001", "BAD_REQUEST", 400},
		{"limit not a number", "/v1/tokens/gbpp/attestations?limit=all", "BAD_REQUEST", 400},
		{"bad token id", "/v1/tokens/GBPP/attestations", "BAD_REQUEST", 400},
		{"unknown token", "/v1/tokens/usdp/attestations", "UNKNOWN_TOKEN", 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := e.get(tc.path)
			errorBody(t, status, body, tc.status, tc.errName)
		})
	}
}

// TestAttestRejections submits the bad attestations the issue lists through
// the API and checks each answers its code with the status errors.go gives it.
func TestAttestRejections(t *testing.T) {
	e := newTestEnv(t)
	e.deployWatched()
	e.attest("100000")
	now := e.lastBlockTime()
	with := func(k key, set func(*txpb.Attest)) []byte {
		raw, _ := e.sign(k, func(b *txpb.Body) {
			attestMsg("100000", now)(b)
			set(b.GetAttest())
		})
		return raw
	}
	for _, tc := range []struct {
		name   string
		raw    []byte
		status int
		code   ledger.Code
	}{
		{"signed by someone else", with(alice, func(*txpb.Attest) {}), 403, ledger.CodeUnauthorized},
		{"for another token", with(attestor, func(a *txpb.Attest) { a.Token = "usdp" }), 404, ledger.CodeUnknownToken},
		{"another account", with(attestor, func(a *txpb.Attest) { a.Account = "GB33BUKB20201555555555" }), 422, ledger.CodeAttestWrongAccount},
		{"another currency", with(attestor, func(a *txpb.Attest) { a.Currency = "EUR" }), 422, ledger.CodeAttestWrongCurrency},
		{"older than the last", with(attestor, func(a *txpb.Attest) { a.BankTime = now.Add(-time.Hour).Unix() }), 409, ledger.CodeAttestOutdated},
		{"from the future", with(attestor, func(a *txpb.Attest) { a.BankTime = now.Add(time.Hour).Unix() }), 400, ledger.CodeAttestFuture},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.client.Submit(ctx, tc.raw, true)
			ae := apiErr(t, err, tc.status, tc.code.Name())
			if ae.Code != uint32(tc.code) {
				t.Errorf("code = %d, want %d", ae.Code, tc.code)
			}
		})
	}
}
