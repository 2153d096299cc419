package state

import (
	"slices"

	"github.com/pegledger/peg/internal/endorse"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
)

// auditMintRequests checks the mint requests against the coins and the
// tokens:
//
//   - a request moved no coin by itself: its mint transaction created none;
//     an executed request's coin is the first output of the endorsement
//     that executed it, and exists (unspent or spent); a request in any
//     other state names no executing transaction's coin;
//   - Σ amounts of a token's executed requests is within its minted total:
//     only an executed request added to the supply;
//   - its endorsements are distinct, among its endorsers, never its
//     minter's, and as many as it requires exactly when it was executed or
//     refused, fewer otherwise;
//   - every entry of a token's open requests is an open request of that
//     token with the same deadline, at most MaxOpenRequests of them, and an
//     open request missing from them has lapsed by the last block's time.
func auditMintRequests(s Scanner, rep *AuditReport, tokens []Token) error {
	minted := make(map[ledger.TokenID]money.Amount)
	requests := make(map[ledger.TxID]*endorse.Request)
	var ids []ledger.TxID
	err := s.Scan([]byte(prefixMintRequest), nil, func(k, v []byte) bool {
		var q endorse.Request
		if msg := recovered(func() { decode(k, v, &q) }); msg != "" {
			rep.problem("mint request %x: %s", k, msg)
			return true
		}
		requests[q.ID], ids = &q, append(ids, q.ID)
		auditMintRequest(s, rep, &q)
		if q.Status == endorse.Executed {
			minted[q.Token] = mustAdd(minted[q.Token], q.Amount)
		}
		return true
	})
	if err != nil {
		return err
	}
	for _, t := range tokens {
		if m := minted[t.Contract.ID]; m.Cmp(t.Minted) > 0 {
			rep.problem("token %s: executed mint requests total %s, more than its minted %s", t.Contract.ID, m, t.Minted)
		}
	}
	listed := make(map[ledger.TxID]bool)
	err = s.Scan([]byte(prefixMintOpen), nil, func(k, v []byte) bool {
		tok := ledger.TokenID(k[len(prefixMintOpen):])
		var open []OpenMintRequest
		if msg := recovered(func() { decode(k, v, &open) }); msg != "" {
			rep.problem("open mint requests of %s: %s", tok, msg)
			return true
		}
		if len(open) == 0 || len(open) > endorse.MaxOpenRequests {
			rep.problem("open mint requests of %s: %d entries, want 1 to %d", tok, len(open), endorse.MaxOpenRequests)
		}
		for _, o := range open {
			q := requests[o.ID]
			switch {
			case q == nil:
				rep.problem("open mint requests of %s list %s, which does not exist", tok, o.ID)
			case q.Token != tok || q.Status != endorse.Open || q.Deadline != o.Deadline:
				rep.problem("open mint requests of %s list %s, which is %s (token %s, deadline %d)", tok, o.ID, q.Status, q.Token, q.Deadline)
			case listed[o.ID]:
				rep.problem("open mint requests of %s list %s twice", tok, o.ID)
			}
			listed[o.ID] = true
		}
		return true
	})
	if err != nil {
		return err
	}
	last := LastBlockTime(s).UnixNano()
	for _, id := range ids {
		if q := requests[id]; q.Status == endorse.Open && !listed[id] && q.Deadline > last {
			rep.problem("mint request %s is open until %d, after the last block (%d), but not among %s's open requests", id, q.Deadline, last, q.Token)
		}
	}
	return nil
}

// auditMintRequest checks one request's coins and endorsements.
func auditMintRequest(s Reader, rep *AuditReport, q *endorse.Request) {
	if s.Get(coinKey(ledger.NewCoinID(q.ID, 0))) != nil {
		rep.problem("mint request %s: its mint transaction created a coin", q.ID)
	}
	executed := q.Status == endorse.Executed
	coin := q.Closed != 0 && s.Get(coinKey(ledger.NewCoinID(q.ClosedBy, 0))) != nil
	switch {
	case executed && !coin:
		rep.problem("mint request %s is executed, but no transaction that closed it created a coin", q.ID)
	case !executed && coin:
		rep.problem("mint request %s is %s, yet the transaction that closed it created a coin", q.ID, q.Status)
	}
	for i, e := range q.Endorsed {
		if !slices.Contains(q.Endorsers, e) || e == q.Minter || slices.Index(q.Endorsed, e) != i {
			rep.problem("mint request %s: endorsement %d by %s, who may not endorse it or did so already", q.ID, i, e)
		}
	}
	full := len(q.Endorsed) == int(q.Required)
	if done := executed || q.Status == endorse.Refused; done != full || len(q.Endorsed) > int(q.Required) {
		rep.problem("mint request %s is %s with %d of %d endorsements", q.ID, q.Status, len(q.Endorsed), q.Required)
	}
}
