package api

import (
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/fee"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
	"github.com/pegledger/peg/internal/state"
	"github.com/pegledger/peg/internal/store"
	"github.com/pegledger/peg/internal/token"
)

// fees answers GET /v1/fees: the policy, the schedule and the fee books, or
// enabled false when no policy is set, or token_pending while the fee token
// is not deployed. Fees that are off are a state of the
// platform, not a missing resource, so the answer is 200 either way.
func (s *server) fees(w http.ResponseWriter, r *http.Request) error {
	snap := s.chain.Snapshot()
	defer snap.Close()
	v := client.Fees{Contract: state.FeeContract(s.chain.Region())}
	f := state.LoadFees(snap)
	if f == nil {
		writeJSON(w, http.StatusOK, v)
		return nil
	}
	v.Enabled = true
	t := state.TokenByID(snap, f.Policy.Token)
	if t == nil {
		// Nothing can have been deposited in a coin that does not exist.
		v.TokenPending = true
		v.Policy = feePolicyView(f.Policy, &state.Token{Contract: token.Contract{ID: f.Policy.Token}})
		v.Schedule = feeScheduleView(f.Schedule, 0)
		writeJSON(w, http.StatusOK, v)
		return nil
	}
	v.Policy = feePolicyView(f.Policy, t)
	v.Schedule = feeScheduleView(f.Schedule, t.Contract.Decimals)
	v.Books = feeBooksView(state.LoadFeeTotals(snap), t)
	writeJSON(w, http.StatusOK, v)
	return nil
}

// feeAccount answers GET /v1/accounts/{address}/fee: the account judged at
// the latest block's time, as the ledger would judge it in that block.
func (s *server) feeAccount(w http.ResponseWriter, r *http.Request) error {
	addr, err := addressParam("address", r.PathValue("address"))
	if err != nil {
		return err
	}
	snap := s.chain.Snapshot()
	defer snap.Close()
	f := state.LoadFees(snap)
	acct := state.LoadFeeAccount(snap, addr)
	switch {
	case f == nil:
		return notFound("no fee policy is set, so %s has no fee account: nothing is charged (as of height %d)", addr, snap.Height)
	case acct == nil:
		return notFound("%s has no fee account (as of height %d); its first fee_deposit opens one", addr, snap.Height)
	}
	t, err := feeToken(snap, f.Policy.Token)
	if err != nil {
		return err
	}
	now, err := s.blockTime(snap)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, feeAccountView(addr, acct, f.Policy.LowBalance, t, now))
	return nil
}

// Fee history pages: GET /v1/accounts/{address}/fee/history?limit=N.
const (
	DefaultFeeHistoryPage = 50
	MaxFeeHistoryPage     = 500
)

// feeHistory answers GET /v1/accounts/{address}/fee/history[?before=CURSOR]
// [&limit=N]: the account's history, newest first, a page at a time. A
// cursor names an entry, never an offset, so pages stay right while blocks
// add newer entries.
func (s *server) feeHistory(w http.ResponseWriter, r *http.Request) error {
	addr, err := addressParam("address", r.PathValue("address"))
	if err != nil {
		return err
	}
	q := r.URL.Query()
	limit := DefaultFeeHistoryPage
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxFeeHistoryPage {
			return badRequest("limit %q: want a whole number from 1 to %d", v, MaxFeeHistoryPage)
		}
		limit = n
	}
	var before []byte
	if v := q.Get("before"); v != "" {
		if before, err = hex.DecodeString(v); err != nil || len(before) != state.FeeHistoryCursor {
			return badRequest("before %q: want the next cursor of an earlier page (%d hex digits)", v, 2*state.FeeHistoryCursor)
		}
	}
	snap := s.chain.Snapshot()
	defer snap.Close()
	f := state.LoadFees(snap)
	if f == nil {
		return notFound("no fee policy is set, so %s has no fee history: nothing is charged (as of height %d)", addr, snap.Height)
	}
	if state.LoadFeeAccount(snap, addr) == nil {
		return notFound("%s has no fee account (as of height %d); its first fee_deposit opens one", addr, snap.Height)
	}
	t, err := feeToken(snap, f.Policy.Token)
	if err != nil {
		return err
	}
	es, next, err := state.FeeHistory(snap, addr, before, limit)
	if err != nil {
		return err
	}
	d := t.Contract.Decimals
	v := client.FeeHistory{Address: addr, Token: t.Contract.ID, Symbol: t.Contract.Symbol, Decimals: d,
		Entries: make([]client.FeeEntry, len(es)), Next: hex.EncodeToString(next)}
	for i, e := range es {
		v.Entries[i] = client.FeeEntry{TxID: e.TxID, Height: e.Height, Time: unixTime(e.Time), Kind: e.Kind,
			Deposited: value(e.Deposited, d), Charged: value(e.Charged, d), Expired: value(e.Expired, d),
			Available: value(e.Available, d), Status: e.Status}
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// feeToken reads the policy's fee token, which exists: set_fee_schedule
// requires it, and it cannot change once anything was deposited, so every
// deposit and every figure of the books is of it.
func feeToken(snap *store.Snapshot, id ledger.TokenID) (*state.Token, error) {
	t := state.TokenByID(snap, id)
	if t == nil {
		return nil, fmt.Errorf("api: the fees name token %s, which does not exist at height %d", id, snap.Height)
	}
	return t, nil
}

func feePolicyView(p fee.Policy, t *state.Token) *client.FeePolicy {
	d := t.Contract.Decimals
	v := &client.FeePolicy{
		Token: p.Token, Symbol: t.Contract.Symbol, Decimals: d, Revenue: p.Revenue,
		Tiers: make([]client.FeeTier, len(p.Tiers)), LowBalance: value(p.LowBalance, d), MaxGrants: p.MaxGrants,
	}
	for i, tier := range p.Tiers {
		v.Tiers[i] = client.FeeTier{MinDeposit: value(tier.MinDeposit, d), Validity: duration(tier.Validity)}
	}
	return v
}

func feeScheduleView(s fee.Schedule, decimals uint8) []client.KindFee {
	v := make([]client.KindFee, len(s))
	for i, f := range s {
		v[i] = client.KindFee{Kind: f.Kind, Fixed: value(f.Fixed, decimals), PerOutput: value(f.PerOutput, decimals)}
	}
	return v
}

// feeBooksView shows the books in t's units; Held is what the accounts still
// hold, which the audit holds the books to.
func feeBooksView(b state.FeeTotals, t *state.Token) *client.FeeBooks {
	d := t.Contract.Decimals
	held, ok := b.Deposited.Sub(b.Spent)
	if ok {
		held, ok = held.Sub(b.Expired)
	}
	if !ok {
		panic(fmt.Sprintf("api: the fee books spent %s and expired %s of %s deposited", b.Spent, b.Expired, b.Deposited))
	}
	return &client.FeeBooks{Token: t.Contract.ID, Deposited: value(b.Deposited, d), Spent: value(b.Spent, d),
		Expired: value(b.Expired, d), Held: value(held, d), Collected: value(b.Collected, d), Collectable: value(b.Collectable(), d)}
}

// feeAccountView judges acct at now: the grants whose window has ended are
// expired first, on this copy, as the next charge or deposit will book them.
func feeAccountView(a ledger.Address, acct *fee.Account, low money.Amount, t *state.Token, now time.Time) client.FeeAccount {
	d := t.Contract.Decimals
	ns := now.UnixNano()
	recorded := acct.Status
	acct.Expire(ns)
	v := client.FeeAccount{
		Address: a, Token: t.Contract.ID, Symbol: t.Contract.Symbol, Decimals: d, AsOf: now.UTC(),
		Status: acct.Judge(ns, low), RecordedStatus: recorded,
		Deposited: value(acct.Deposited, d), Spent: value(acct.Spent, d), Expired: value(acct.Expired, d),
		Available: value(acct.Available(ns), d), Unspent: value(acct.Unspent(), d),
		Grants: make([]client.FeeGrant, len(acct.Grants)),
	}
	if next, ok := acct.NextRelease(ns); ok {
		v.NextRelease = unixTime(next)
	}
	for i, g := range acct.Grants {
		v.Grants[i] = client.FeeGrant{
			Deposit: g.Deposit, Amount: value(g.Amount, d), Spent: value(g.Spent, d),
			Released: value(g.Released(ns), d), Available: value(g.Available(ns), d),
			Start: unixTime(g.Start), End: unixTime(g.End),
		}
	}
	return v
}
