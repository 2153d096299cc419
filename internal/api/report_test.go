package api

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
	"github.com/pegledger/peg/internal/reserve"
	"github.com/pegledger/peg/internal/state"
	"github.com/pegledger/peg/internal/token"
	"github.com/pegledger/peg/internal/tx/txpb"
)

// attestAt posts an attestation of gbpp's reserve, in pence, as the bank
// reported it at bankTime.
func (e *testEnv) attestAt(pence string, bankTime time.Time) ledger.TxID {
	e.t.Helper()
	raw, id := e.sign(attestor, attestMsg(pence, bankTime))
	e.submit(raw)
	return id
}

// nextBlockAt moves the clock so that the next block is made at at.
func (e *testEnv) nextBlockAt(at time.Time) {
	e.t.Helper()
	d := at.Sub(e.lastBlockTime()) - time.Second
	if d < 0 {
		e.t.Fatalf("the next block cannot be at %v, before the last one's time %v and a second", at, e.lastBlockTime())
	}
	e.chain.advance(d)
}

// fiat is an amount of GBP in the API's form.
func fiat(t *testing.T, amount, pence string) client.FiatValue {
	return client.FiatValue{Value: client.Value{Amount: amount, Units: units(t, pence)}, Currency: "GBP"}
}

// gbppValue is an amount of GBPP (6 decimals) in the API's form.
func gbppValue(t *testing.T, amount, micro string) client.Value {
	return client.Value{Amount: amount, Units: units(t, micro)}
}

// TestReport runs gbpp (staleness window an hour) over four months of block
// time and checks each month's report figure by figure:
//
//	January   deployed, attested £1,000, 800 GBPP minted, £640 (AT_RISK),
//	          £1,000 again (OK), then two hours without an attestation (STALE)
//	          to the month's end
//	February  attested at 00:00:10 (OK), 100 redeemed, 50 minted
//	March     no block at all: carried from February
//	April     an empty block at 00:00:05 finds the reading stale
func TestReport(t *testing.T) {
	e := newTestEnv(t)
	block := func(h int) time.Time { return genesisTime.Add(time.Duration(h) * time.Second) }

	e.deployWatched()                                    // block 1, 2026-01-02T03:04:06Z
	jan := []ledger.TxID{e.attestAt("100000", block(1))} // 2: £1,000, OK
	raw, mint := e.sign(minter, mintMsg(alice.addr, "800000000"))
	e.submit(raw)                                     // 3: 800 GBPP
	jan = append(jan, e.attestAt("64000", block(3)))  // 4: £640 backs 640, AT_RISK
	jan = append(jan, e.attestAt("100000", block(4))) // 5: OK
	e.chain.advance(2 * time.Hour)
	e.chain.commit() // 6, 2026-01-02T05:04:11Z: the reading, from 03:04:09, is stale
	block6 := block(6).Add(2 * time.Hour)

	feb1 := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	e.nextBlockAt(feb1.Add(5 * time.Second))
	e.chain.commit() // 7, empty: still STALE, so nothing to record; the mempool's clock reaches February
	e.nextBlockAt(feb1.Add(10 * time.Second))
	feb := e.attestAt("100000", feb1.Add(9*time.Second)) // 8: OK
	raw, _ = e.sign(alice, func(b *txpb.Body) {
		coin := ledger.NewCoinID(mint, 0)
		b.Msg = &txpb.Body_Redeem{Redeem: &txpb.Redeem{Token: "gbpp", Inputs: [][]byte{coin[:]}, Amount: "100000000"}}
	})
	e.submit(raw)      // 8: 100 GBPP redeemed
	e.mint("50000000") // 9: 50 GBPP minted
	block10 := feb1.Add(12 * time.Second)

	t.Run("the month under way", func(t *testing.T) {
		got, err := e.client.Report(ctx, "gbpp", "2026-02")
		if err != nil {
			t.Fatal(err)
		}
		want := client.ReserveReport{
			Token: "gbpp", Symbol: "GBPP", Month: "2026-02", AsOf: block10, Complete: false,
			OpeningSupply: gbppValue(t, "800", "800000000"), ClosingSupply: gbppValue(t, "750", "750000000"),
			Minted: gbppValue(t, "50", "50000000"), Redeemed: gbppValue(t, "100", "100000000"),
			AttestationCount: 1,
			// £1,000 for 800 at the attestation; 700 and 750 need less.
			MinCoverage: "1.2500", MinCoverageBalance: fiat(t, "1000", "100000"), MinCoverageRequired: fiat(t, "800", "80000"),
			// STALE from the month's start to block 8, then OK.
			SecondsInStatus:      client.StatusSeconds{Stale: 10, OK: 2},
			AtRiskOrStaleSeconds: 10,
		}
		checkReport(t, got, want, []ledger.TxID{feb})
		if len(got.Attestations) != 1 {
			t.FailNow()
		}
		if r := got.Attestations[0]; r.Height != 8 || r.Balance != fiat(t, "1000", "100000") ||
			!r.BankTime.Equal(feb1.Add(9*time.Second)) || !r.AttestedAt.Equal(feb1.Add(10*time.Second)) || r.AgeSeconds != 3 {
			t.Errorf("February's attestation = %+v, want £1,000 at height 8 read at 00:00:09, age 3 s at block 10", r)
		}
	})

	t.Run("a month that has ended", func(t *testing.T) {
		got, err := e.client.Report(ctx, "gbpp", "2026-01")
		if err != nil {
			t.Fatal(err)
		}
		want := client.ReserveReport{
			Token: "gbpp", Symbol: "GBPP", Month: "2026-01", AsOf: block10, Complete: true,
			OpeningSupply: gbppValue(t, "0", "0"), ClosingSupply: gbppValue(t, "800", "800000000"),
			Minted: gbppValue(t, "800", "800000000"), Redeemed: gbppValue(t, "0", "0"),
			AttestationCount: 3,
			MinCoverage:      "0.8000", MinCoverageBalance: fiat(t, "640", "64000"), MinCoverageRequired: fiat(t, "800", "80000"),
			SecondsInStatus: client.StatusSeconds{
				Unattested: 1,        // block 1 to 2; the month starts at deployment
				OK:         2 + 7201, // 2 to 4, and 5 to 6
				AtRisk:     1,        // 4 to 5
				Stale:      int64(feb1.Sub(block6) / time.Second),
			},
		}
		want.AtRiskOrStaleSeconds = want.SecondsInStatus.AtRisk + want.SecondsInStatus.Stale
		if want.SecondsInStatus.Stale != 2573749 {
			t.Fatalf("the test's arithmetic: %d s stale", want.SecondsInStatus.Stale)
		}
		checkReport(t, got, want, jan)
	})

	e.nextBlockAt(time.Date(2026, 4, 1, 0, 0, 5, 0, time.UTC))
	e.chain.commit() // 11: STALE
	block11 := time.Date(2026, 4, 1, 0, 0, 5, 0, time.UTC)

	for _, tc := range []struct {
		name  string
		month string
		want  client.ReserveReport
		ids   []ledger.TxID
	}{
		{"February, ended", "2026-02", client.ReserveReport{
			Token: "gbpp", Symbol: "GBPP", Month: "2026-02", AsOf: block11, Complete: true,
			OpeningSupply: gbppValue(t, "800", "800000000"), ClosingSupply: gbppValue(t, "750", "750000000"),
			Minted: gbppValue(t, "50", "50000000"), Redeemed: gbppValue(t, "100", "100000000"),
			AttestationCount: 1,
			MinCoverage:      "1.2500", MinCoverageBalance: fiat(t, "1000", "100000"), MinCoverageRequired: fiat(t, "800", "80000"),
			// OK from block 8 to the month's end: no block judged it stale.
			SecondsInStatus:      client.StatusSeconds{Stale: 10, OK: 28*86400 - 10},
			AtRiskOrStaleSeconds: 10,
		}, []ledger.TxID{feb}},
		{"March, without a block, carries February", "2026-03", client.ReserveReport{
			Token: "gbpp", Symbol: "GBPP", Month: "2026-03", AsOf: block11, Complete: true,
			OpeningSupply: gbppValue(t, "750", "750000000"), ClosingSupply: gbppValue(t, "750", "750000000"),
			Minted: gbppValue(t, "0", "0"), Redeemed: gbppValue(t, "0", "0"),
			// February's last coverage, £1,000 for 750, held all month.
			MinCoverage: "1.3333", MinCoverageBalance: fiat(t, "1000", "100000"), MinCoverageRequired: fiat(t, "750", "75000"),
			SecondsInStatus: client.StatusSeconds{OK: 31 * 86400},
		}, nil},
		{"April, under way", "2026-04", client.ReserveReport{
			Token: "gbpp", Symbol: "GBPP", Month: "2026-04", AsOf: block11, Complete: false,
			OpeningSupply: gbppValue(t, "750", "750000000"), ClosingSupply: gbppValue(t, "750", "750000000"),
			Minted: gbppValue(t, "0", "0"), Redeemed: gbppValue(t, "0", "0"),
			MinCoverage: "1.3333", MinCoverageBalance: fiat(t, "1000", "100000"), MinCoverageRequired: fiat(t, "750", "75000"),
			SecondsInStatus: client.StatusSeconds{OK: 5},
		}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := e.client.Report(ctx, "gbpp", tc.month)
			if err != nil {
				t.Fatal(err)
			}
			checkReport(t, got, tc.want, tc.ids)
		})
	}

	for _, tc := range []struct {
		name, path, errName string
		status              int
	}{
		{"month without a zero", "/v1/tokens/gbpp/reports/2026-1", "BAD_REQUEST", 400},
		{"month thirteen", "/v1/tokens/gbpp/reports/2026-13", "BAD_REQUEST", 400},
		{"month zero", "/v1/tokens/gbpp/reports/2026-00", "BAD_REQUEST", 400},
		{"a date", "/v1/tokens/gbpp/reports/2026-01-01", "BAD_REQUEST", 400},
		{"no dash", "/v1/tokens/gbpp/reports/202601", "BAD_REQUEST", 400},
		{"a name", "/v1/tokens/gbpp/reports/january", "BAD_REQUEST", 400},
		{"bad token id", "/v1/tokens/GBPP/reports/2026-01", "BAD_REQUEST", 400},
		{"unknown token", "/v1/tokens/usdp/reports/2026-01", "UNKNOWN_TOKEN", 404},
		{"before the token", "/v1/tokens/gbpp/reports/2025-12", "NOT_FOUND", 404},
		{"after the latest block", "/v1/tokens/gbpp/reports/2026-05", "NOT_FOUND", 404},
		{"years ahead", "/v1/tokens/gbpp/reports/2099-01", "NOT_FOUND", 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := e.get(tc.path)
			errorBody(t, status, body, tc.status, tc.errName)
		})
	}
}

// checkReport compares a report with want, whose attestations are given by
// their ids, oldest first.
func checkReport(t *testing.T, got *client.ReserveReport, want client.ReserveReport, ids []ledger.TxID) {
	t.Helper()
	var gotIDs []ledger.TxID
	for _, r := range got.Attestations {
		gotIDs = append(gotIDs, r.TxID)
	}
	if got.Attestations == nil {
		t.Error("attestations = null, want a list")
	}
	if diff := cmp.Diff(ids, gotIDs); diff != "" {
		t.Errorf("attestation ids (-want +got):\n%s", diff)
	}
	g := *got
	g.Attestations = nil
	if diff := cmp.Diff(want, g, cmp.Comparer(func(a, b money.Amount) bool { return a.Cmp(b) == 0 })); diff != "" {
		t.Errorf("report %s (-want +got):\n%s", want.Month, diff)
	}
}

// TestReportViewBounds checks reportView alone: it lists only the month's
// attestations, oldest first, at most MaxReportAttestations of them, the
// latest, and says how many it left out.
func TestReportViewBounds(t *testing.T) {
	c, vs := token.Build(gbppDraft(), testGenesis().Params.TokenParams())
	if len(vs) > 0 {
		t.Fatal(vs)
	}
	tok := &state.Token{Contract: c}
	feb := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	mar := feb.AddDate(0, 1, 0)
	reading := func(h int, at time.Time) reserve.Reading {
		return reserve.Reading{Balance: units(t, "100"), BankTime: at, AttestedAt: at, Height: uint64(h)}
	}
	for _, tc := range []struct {
		name            string
		inMonth         int
		omitted         int // how many of the month's earliest are left out
		before, after   bool
		wantListedCount int
	}{
		{"none", 0, 0, true, true, 0},
		{"one", 1, 0, true, true, 1},
		{"the bound", MaxReportAttestations, 0, true, true, MaxReportAttestations},
		{"one over", MaxReportAttestations + 1, 1, true, true, MaxReportAttestations},
		{"many over", MaxReportAttestations + 25, 25, false, false, MaxReportAttestations},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var rs []reserve.Reading
			h := 1
			if tc.before { // the last instant of January
				rs = append(rs, reading(h, feb.Add(-time.Nanosecond)))
				h++
			}
			for i := range tc.inMonth {
				rs = append(rs, reading(h, feb.Add(time.Duration(i)*time.Second)))
				h++
			}
			if tc.after { // the first instant of March
				rs = append(rs, reading(h, mar))
			}
			m := &state.Month{Token: "gbpp", Month: "2026-02", Attestations: tc.inMonth}
			got := reportView(tok, m, rs, mar.Add(time.Hour))
			if len(got.Attestations) != tc.wantListedCount || got.AttestationsOmitted != tc.omitted || got.AttestationCount != tc.inMonth {
				t.Fatalf("listed %d, omitted %d, count %d; want %d, %d, %d",
					len(got.Attestations), got.AttestationsOmitted, got.AttestationCount, tc.wantListedCount, tc.omitted, tc.inMonth)
			}
			for i, r := range got.Attestations {
				if want := feb.Add(time.Duration(tc.omitted+i) * time.Second); !r.AttestedAt.Equal(want) {
					t.Fatalf("attestation %d attested at %v, want %v (oldest first, the month's latest)", i, r.AttestedAt, want)
				}
			}
			if !got.Complete {
				t.Error("February judged in March is not complete")
			}
		})
	}
}

func TestMonthParam(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"2026-01", true}, {"2026-12", true}, {"0001-01", true}, {"9999-12", true},
		{"2026-1", false}, {"2026-13", false}, {"2026-00", false}, {"26-01", false}, {"2026-01-01", false},
		{"2026/01", false}, {" 2026-01", false}, {"", false}, {"2026-O1", false},
	} {
		t.Run(fmt.Sprintf("%q", tc.in), func(t *testing.T) {
			m, start, err := monthParam(tc.in)
			if (err == nil) != tc.ok {
				t.Fatalf("monthParam(%q) = %q, %v, %v; want ok %v", tc.in, m, start, err, tc.ok)
			}
			if tc.ok && (m != tc.in || start.Format(monthLayout) != tc.in || start.Day() != 1 || start.Location() != time.UTC) {
				t.Errorf("monthParam(%q) = %q, %v", tc.in, m, start)
			}
		})
	}
}
