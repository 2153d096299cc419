package state

import (
	"bytes"
	"maps"
	"slices"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
	"github.com/pegledger/peg/internal/trade"
)

// auditTrades checks every trade's holding pool against its books:
//
//   - a trade holds Funded − Released − Refunded: while it is FUNDED,
//     SHIPPED, CONFIRMED or DISPUTED that is its amount, in one unspent coin
//     of its token owned by its pool; in any other state it holds nothing
//     and names no coin; so the pools of open trades hold exactly Σ funded −
//     Σ released − Σ refunded, per token;
//   - its money movements add up to Funded (into the pool) and Released +
//     Refunded (out of it), each naming its token's deployment as the
//     issuance;
//   - the pool index names it, and the pool is its keyless address;
//   - each party's position holds only open trades of that party, each as
//     the trade stands (token, amount, until when), and every funded open
//     trade is in both parties' positions.
func auditTrades(s Scanner, rep *AuditReport) error {
	positions := make(map[string]trade.Position)
	err := s.Scan([]byte(prefixTradePos), nil, func(k, v []byte) bool {
		var p trade.Position
		if msg := recovered(func() { p = decodePosition(k, v) }); msg != "" {
			rep.problem("trade position %x: %s", k, msg)
			return true
		}
		positions[string(k[len(prefixTradePos):])] = p
		return true
	})
	if err != nil {
		return err
	}
	trades := make(map[ledger.TxID]*trade.Trade)
	err = s.Scan([]byte(prefixTrade), nil, func(k, v []byte) bool {
		var t *trade.Trade
		if msg := recovered(func() { t = decodeTrade(k, v) }); msg != "" {
			rep.problem("trade %x: %s", k, msg)
			return true
		}
		trades[t.ID] = t
		if msg := recovered(func() { auditTrade(s, rep, t) }); msg != "" {
			rep.problem("trade %s: %s", t.ID, msg)
		}
		return true
	})
	if err != nil {
		return err
	}
	for _, party := range slices.Sorted(maps.Keys(positions)) {
		who, err := ledger.AddressFromBytes([]byte(party))
		if err != nil {
			rep.problem("trade position %x: %v", party, err)
			continue
		}
		for _, h := range positions[party] {
			t := trades[h.Trade]
			if t == nil || t.State.Closed() || (t.Buyer != who && t.Seller != who) {
				rep.problem("%s's trade position holds trade %s, which is not an open trade of %s", who, h.Trade, who)
			} else if h != trade.HoldingOf(t) {
				rep.problem("%s's trade position holds trade %s as %+v; the trade says %+v", who, h.Trade, h, trade.HoldingOf(t))
			}
		}
	}
	for _, id := range slices.SortedFunc(maps.Keys(trades), func(a, b ledger.TxID) int { return bytes.Compare(a[:], b[:]) }) {
		t := trades[id]
		if t.State.Closed() || t.Funded.IsZero() {
			continue
		}
		for _, a := range []ledger.Address{t.Buyer, t.Seller} {
			if !slices.ContainsFunc(positions[string(a.Bytes())], func(h trade.Holding) bool { return h.Trade == id }) {
				rep.problem("trade %s is funded and open, but not in %s's open trades", id, a)
			}
		}
	}
	return nil
}

// auditTrade checks one trade's pool and movements (Held panics, and the
// caller reports it, if it paid out more than it was funded).
func auditTrade(s Scanner, rep *AuditReport, t *trade.Trade) {
	held := t.Held()
	if len(t.Versions) == 0 {
		rep.problem("trade %s has no terms", t.ID)
		return
	}
	terms := t.Terms()
	switch t.State {
	case trade.Funded, trade.Shipped, trade.Confirmed, trade.Disputed:
		c := CoinByID(s, t.PoolCoin)
		if held != terms.Amount || c == nil || c.Owner != t.Pool || c.Amount != held || c.Token != terms.Token {
			rep.problem("trade %s is %s: its pool coin %s is not an unspent coin of %s worth its amount %s (it holds %s)",
				t.ID, t.State, t.PoolCoin, t.Pool, terms.Amount, held)
		}
	default:
		if !held.IsZero() || t.PoolCoin != (ledger.CoinID{}) {
			rep.problem("trade %s is %s, yet holds %s in pool coin %s", t.ID, t.State, held, t.PoolCoin)
		}
	}
	var in, out money.Amount
	tok := TokenByID(s, terms.Token)
	for _, m := range t.Movements {
		switch {
		case m.To == t.Pool:
			in = mustAdd(in, m.Amount)
		case m.From == t.Pool:
			out = mustAdd(out, m.Amount)
		default:
			rep.problem("trade %s: movement %s neither enters nor leaves its pool", t.ID, m.TxID)
		}
		if tok == nil || m.Issuance != tok.DeployTx {
			rep.problem("trade %s: movement %s names issuance %s, not its token's deployment", t.ID, m.TxID, m.Issuance)
		}
	}
	if paid := mustAdd(t.Released, t.Refunded); in != t.Funded || out != paid {
		rep.problem("trade %s: its movements put %s in and %s out; its books say funded %s, released and refunded %s", t.ID, in, out, t.Funded, paid)
	}
	if !bytes.Equal(s.Get(tradePoolKey(t.Pool)), t.ID[:]) || t.Pool != TradePool(t.Pool.Region(), t.ID) {
		rep.problem("trade %s: the pool index does not name it", t.ID)
	}
}
