package api

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/fee"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
	"github.com/pegledger/peg/internal/state"
	"github.com/pegledger/peg/internal/tx"
	"github.com/pegledger/peg/internal/tx/txpb"
)

// testFees are the fee tests' policy and schedule, in gbpp (6 decimals):
// deposits of 10 GBPP or more valid an hour, of 50 or more two; a payment
// costs 0.02 and 0.01 per output, a redemption 0.1; LOW below 1 available.
func testFees() (fee.Policy, fee.Schedule) {
	g := func(s string) money.Amount { a, _ := money.Parse(s, 6); return a }
	return fee.Policy{
			Token: "gbpp", Revenue: operator.addr,
			Tiers:      []fee.Tier{{MinDeposit: g("10"), Validity: time.Hour}, {MinDeposit: g("50"), Validity: 2 * time.Hour}},
			LowBalance: g("1"), MaxGrants: 2,
		}, fee.Schedule{
			{Kind: "pay", Fixed: g("0.02"), PerOutput: g("0.01")},
			{Kind: "redeem", Fixed: g("0.1")},
		}
}

// setFees sets testFees as the operator.
func (e *testEnv) setFees() {
	e.t.Helper()
	p, s := testFees()
	raw, _ := e.sign(operator, func(b *txpb.Body) {
		b.Msg = &txpb.Body_SetFeeSchedule{SetFeeSchedule: tx.FeeScheduleToProto(p, s)}
	})
	e.submit(raw)
}

// feeDeposit deposits units of gbpp from alice's coin in and returns the
// deposit's id; its change is coin 1 of it.
func (e *testEnv) feeDeposit(in ledger.CoinID, units string) ledger.TxID {
	e.t.Helper()
	raw, id := e.sign(alice, func(b *txpb.Body) {
		b.Msg = &txpb.Body_FeeDeposit{FeeDeposit: &txpb.FeeDeposit{Token: "gbpp", Inputs: [][]byte{in[:]}, Amount: units}}
	})
	e.submit(raw)
	return id
}

// feeScenario is runScenario with fees: the policy set (block 5), alice's
// deposit of 36 GBPP over an hour, 0.01 GBPP a second (6), ten minutes of
// quiet (7), and alice paying bob 1 GBPP for a fee of 0.04 (8).
type feeScenario struct {
	scenario
	deposit, pay ledger.TxID
}

func (e *testEnv) runFeeScenario() feeScenario {
	e.t.Helper()
	s := feeScenario{scenario: e.runScenario()}
	e.setFees()
	s.deposit = e.feeDeposit(s.aliceChange, "36000000")
	e.chain.advance(10 * time.Minute)
	e.chain.commit()
	raw, id := e.sign(alice, payMsg([]ledger.CoinID{ledger.NewCoinID(s.deposit, 1)},
		out(bob.addr, "1000000"), out(alice.addr, "50500000")))
	e.submit(raw)
	s.pay = id
	return s
}

// gbppDec is a decimal of gbpp as the API writes it.
func gbppDec(t *testing.T, decimal string) client.Value {
	t.Helper()
	a, err := money.Parse(decimal, 6)
	if err != nil {
		t.Fatal(err)
	}
	return value(a, 6)
}

func TestFeesDisabled(t *testing.T) {
	e := newTestEnv(t)
	e.runScenario()
	f, err := e.client.Fees(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := client.Fees{Contract: state.FeeContract(testRegion)}
	if f.Enabled || f.Contract != want.Contract || f.Policy != nil || f.Schedule != nil || f.Books != nil {
		t.Errorf("fees without a policy = %+v, want %+v", f, want)
	}
	_, err = e.client.FeeAccount(ctx, alice.addr)
	if e := apiErr(t, err, http.StatusNotFound, "NOT_FOUND"); !strings.Contains(e.Message, "no fee policy") {
		t.Errorf("fee account without a policy: %q, want it to say no fee policy is set", e.Message)
	}
}

func TestFees(t *testing.T) {
	e := newTestEnv(t)
	s := e.runScenario()
	e.setFees()

	f, err := e.client.Fees(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !f.Enabled || f.Contract != state.FeeContract(testRegion) || f.Policy == nil || f.Books == nil {
		t.Fatalf("fees = %+v, want enabled with a policy and books", f)
	}
	p := f.Policy
	if p.Token != "gbpp" || p.Symbol != "GBPP" || p.Decimals != 6 || p.Revenue != operator.addr || p.MaxGrants != 2 ||
		p.LowBalance != gbppDec(t, "1") || len(p.Tiers) != 2 ||
		p.Tiers[1] != (client.FeeTier{MinDeposit: gbppDec(t, "50"), Validity: client.Duration{Seconds: 7200, Text: "2h0m0s"}}) {
		t.Errorf("policy = %+v", p)
	}
	wantSchedule := []client.KindFee{
		{Kind: "pay", Fixed: gbppDec(t, "0.02"), PerOutput: gbppDec(t, "0.01")},
		{Kind: "redeem", Fixed: gbppDec(t, "0.1"), PerOutput: gbppDec(t, "0")},
	}
	if len(f.Schedule) != 2 || f.Schedule[0] != wantSchedule[0] || f.Schedule[1] != wantSchedule[1] {
		t.Errorf("schedule = %+v, want %+v", f.Schedule, wantSchedule)
	}
	zero := gbppDec(t, "0")
	if *f.Books != (client.FeeBooks{Token: "gbpp", Deposited: zero, Spent: zero, Expired: zero, Held: zero, Collected: zero, Collectable: zero}) {
		t.Errorf("books before any deposit = %+v", f.Books)
	}

	_, err = e.client.FeeAccount(ctx, alice.addr)
	if e := apiErr(t, err, http.StatusNotFound, "NOT_FOUND"); !strings.Contains(e.Message, "no fee account") {
		t.Errorf("fee account before a deposit: %q, want it to say there is none", e.Message)
	}
	raw, _ := e.sign(alice, payMsg([]ledger.CoinID{s.aliceChange}, out(bob.addr, "1000000"), out(alice.addr, "86500000")))
	_, err = e.client.Submit(ctx, raw, true)
	apiErr(t, err, http.StatusPaymentRequired, "FEE_NO_ACCOUNT")

	dep := e.feeDeposit(s.aliceChange, "36000000") // block 6: 36 GBPP over an hour, 0.01 a second
	start := genesisTime.Add(6 * time.Second)
	a, err := e.client.FeeAccount(ctx, alice.addr)
	if err != nil {
		t.Fatal(err)
	}
	grant := client.FeeGrant{Deposit: dep, Amount: gbppDec(t, "36"), Spent: zero, Released: zero, Available: zero,
		Start: start, End: start.Add(time.Hour)}
	if a.Address != alice.addr || a.Token != "gbpp" || a.Symbol != "GBPP" || a.Decimals != 6 || !a.AsOf.Equal(start) ||
		a.Status != fee.Low || a.RecordedStatus != fee.Low || a.Deposited != gbppDec(t, "36") || a.Spent != zero ||
		a.Expired != zero || a.Available != zero || a.Unspent != gbppDec(t, "36") ||
		!a.NextRelease.Equal(start.Add(100*time.Microsecond)) || len(a.Grants) != 1 || a.Grants[0] != grant {
		t.Errorf("fee account after the deposit = %+v\nwant one grant %+v, LOW, the next 0.000001 released 100µs on", a, grant)
	}

	// Ten minutes on, 6.01 GBPP are released: the account is ACTIVE, though
	// the ledger recorded it LOW at the deposit.
	e.chain.advance(10 * time.Minute)
	e.chain.commit() // block 7
	a, err = e.client.FeeAccount(ctx, alice.addr)
	if err != nil {
		t.Fatal(err)
	}
	if a.Status != fee.Active || a.RecordedStatus != fee.Low || a.Available != gbppDec(t, "6.01") ||
		a.Grants[0].Released != gbppDec(t, "6.01") || a.Grants[0].Available != gbppDec(t, "6.01") {
		t.Errorf("fee account ten minutes on = %+v, want ACTIVE (recorded LOW) with 6.01 available", a)
	}

	// A payment with change costs 0.02 + 2 × 0.01.
	raw, _ = e.sign(alice, payMsg([]ledger.CoinID{ledger.NewCoinID(dep, 1)}, out(bob.addr, "1000000"), out(alice.addr, "50500000")))
	e.submit(raw) // block 8: 6.02 released
	a, err = e.client.FeeAccount(ctx, alice.addr)
	if err != nil {
		t.Fatal(err)
	}
	if a.Status != fee.Active || a.RecordedStatus != fee.Active || a.Spent != gbppDec(t, "0.04") ||
		a.Available != gbppDec(t, "5.98") || a.Unspent != gbppDec(t, "35.96") || a.Grants[0].Spent != gbppDec(t, "0.04") {
		t.Errorf("fee account after a payment = %+v, want 0.04 spent and 5.98 available", a)
	}
	f, err = e.client.Fees(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if *f.Books != (client.FeeBooks{Token: "gbpp", Deposited: gbppDec(t, "36"), Spent: gbppDec(t, "0.04"), Expired: zero, Held: gbppDec(t, "35.96"),
		Collected: zero, Collectable: gbppDec(t, "0.04")}) {
		t.Errorf("books after a payment = %+v", f.Books)
	}

	// Past the window's end the account is judged EXPIRED, its rest expired,
	// before any transaction books it: the books still hold it.
	e.chain.advance(time.Hour)
	e.chain.commit() // block 9
	a, err = e.client.FeeAccount(ctx, alice.addr)
	if err != nil {
		t.Fatal(err)
	}
	if a.Status != fee.Expired || a.RecordedStatus != fee.Active || a.Expired != gbppDec(t, "35.96") ||
		a.Available != zero || a.Unspent != zero || len(a.Grants) != 0 || !a.NextRelease.IsZero() {
		t.Errorf("fee account after its window = %+v, want EXPIRED (recorded ACTIVE), 35.96 expired, no grants", a)
	}
	f, err = e.client.Fees(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if f.Books.Expired != zero || f.Books.Held != gbppDec(t, "35.96") {
		t.Errorf("books after the window, before a transaction books it = %+v, want nothing expired yet", f.Books)
	}
}

func TestFeeAccountBadAddress(t *testing.T) {
	e := newTestEnv(t)
	status, body := e.do("GET", "/v1/accounts/peg1nothing/fee", "", nil)
	errorBody(t, status, body, http.StatusBadRequest, "BAD_REQUEST")
}

// TestFeeHistory pages through alice's fee history in the fee scenario: the
// payment's fee, then the deposit, newest first; a cursor that stays right
// when a newer entry arrives; and what it refuses.
func TestFeeHistory(t *testing.T) {
	e := newTestEnv(t)
	s := e.runFeeScenario()
	zero := gbppDec(t, "0")
	deposit := client.FeeEntry{TxID: s.deposit, Height: 6, Time: genesisTime.Add(6 * time.Second), Kind: "fee_deposit",
		Deposited: gbppDec(t, "36"), Charged: zero, Expired: zero, Available: zero, Status: fee.Low}
	pay := client.FeeEntry{TxID: s.pay, Height: 8, Time: genesisTime.Add(10*time.Minute + 8*time.Second), Kind: "pay",
		Deposited: zero, Charged: gbppDec(t, "0.04"), Expired: zero, Available: gbppDec(t, "5.98"), Status: fee.Active}

	h, err := e.client.FeeHistory(ctx, alice.addr, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if h.Address != alice.addr || h.Token != "gbpp" || h.Symbol != "GBPP" || h.Decimals != 6 || h.Next != "" ||
		len(h.Entries) != 2 || h.Entries[0] != pay || h.Entries[1] != deposit {
		t.Errorf("fee history = %+v\nwant %+v then %+v", h, pay, deposit)
	}

	first, err := e.client.FeeHistory(ctx, alice.addr, "", 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(first.Entries) != 1 || first.Entries[0] != pay || first.Next == "" {
		t.Fatalf("first page of one = %+v, want the payment and a cursor", first)
	}
	// A newer entry does not move the pages after a cursor.
	raw, _ := e.sign(alice, payMsg([]ledger.CoinID{ledger.NewCoinID(s.pay, 1)}, out(bob.addr, "1000000"), out(alice.addr, "49500000")))
	e.submit(raw)
	second, err := e.client.FeeHistory(ctx, alice.addr, first.Next, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(second.Entries) != 1 || second.Entries[0] != deposit || second.Next != "" {
		t.Errorf("second page of one = %+v, want the deposit and no cursor", second)
	}
	if h, err = e.client.FeeHistory(ctx, alice.addr, "", 0); err != nil || len(h.Entries) != 3 || h.Entries[0].Kind != "pay" || h.Entries[1] != pay {
		t.Errorf("fee history after a second payment = %+v, %v; want it first", h, err)
	}

	for _, q := range []string{"limit=0", "limit=501", "limit=x", "before=00", "before=" + strings.Repeat("zz", state.FeeHistoryCursor)} {
		status, body := e.do("GET", "/v1/accounts/"+alice.addr.String()+"/fee/history?"+q, "", nil)
		errorBody(t, status, body, http.StatusBadRequest, "BAD_REQUEST")
	}
	_, err = e.client.FeeHistory(ctx, bob.addr, "", 0)
	if e := apiErr(t, err, http.StatusNotFound, "NOT_FOUND"); !strings.Contains(e.Message, "no fee account") {
		t.Errorf("fee history of an address without an account: %q", e.Message)
	}
}
