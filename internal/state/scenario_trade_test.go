package state

import (
	"crypto/sha256"
	"fmt"
	"strings"
	"time"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
	"github.com/pegledger/peg/internal/trade"
	"github.com/pegledger/peg/internal/tx/txpb"
)

// Trade commands of the scenario scripts (amounts in minor units, deadlines
// as offsets from the open block's time, durations as Go durations):
//
//	trade-rules [rounds=N] [open=D] [limits=TOKEN:MAX,...]          (from op)
//	trade-offer [buyer=NAME] [seller=NAME] TERMS                     (from alice, the buyer; save=LABEL names it)
//	trade-counter trade=LABEL version=N TERMS                        (from bob, the seller)
//	trade-accept trade=LABEL version=N                               (from alice)
//	trade-fund trade=LABEL in=COINS amount=N [token=ID]              (from alice)
//	trade-ship trade=LABEL [invoice=TEXT] [bl=TEXT]                  (from bob)
//	trade-confirm|trade-cancel trade=LABEL                           (from alice)
//	trade-settle trade=LABEL                                         (from dave, anyone)
//	trade-dispute trade=LABEL [reason=TEXT]                          (from alice)
//	trade-resolve trade=LABEL seller=N [reason=TEXT]                 (from carol, the arbiter)
//	trade-show LABEL, trade-position NAME
//	trade-corrupt LABEL    adds one to the trade's funded, outside any transaction, for the audit to find
//	trade-crowd NAME n=N   puts N holdings of trades that do not exist in NAME's position
//	trade-uncrowd NAME     takes them out again
//	trade-history NAME [limit=N]   the committed trades naming NAME, newest first, page by page
//
// TERMS: [amount=N] [token=ID] [arbiter=NAME] [rule=confirmation|documents]
// [confirm=D] [expires=OFFSET] [fund=OFFSET] [ship=OFFSET] [desc=TEXT].
// A trade's pool is named tpool:LABEL.
func (s *scenario) tradeMessage(cmd string, a *cmdArgs) (*txpb.Body, string, bool) {
	var b txpb.Body
	switch cmd {
	case "trade-rules":
		r := &txpb.SetTradeRules{MaxRounds: uint32(s.uintArg(a, "rounds", 2)),
			MaxVersionOpenSeconds: int64(s.duration(a.get("open", "72h")) / time.Second)}
		for _, item := range splitList(a.get("limits", "gbpt:100000")) {
			tok, max, _ := strings.Cut(item, ":")
			r.Limits = append(r.Limits, &txpb.TradeLimit{Token: tok, Max: max})
		}
		b.Msg = &txpb.Body_SetTradeRules{SetTradeRules: r}
		return &b, "op", true
	case "trade-offer":
		b.Msg = &txpb.Body_TradeOffer{TradeOffer: &txpb.TradeOffer{Buyer: s.wireAddr(a.get("buyer", "alice")),
			Seller: s.wireAddr(a.get("seller", "bob")), Terms: s.tradeTerms(a)}}
		return &b, "alice", true
	case "trade-counter":
		b.Msg = &txpb.Body_TradeCounter{TradeCounter: &txpb.TradeCounter{Trade: s.tradeArg(a),
			Version: uint32(s.uintArg(a, "version", 1)), Terms: s.tradeTerms(a)}}
		return &b, "bob", true
	case "trade-accept":
		b.Msg = &txpb.Body_TradeAccept{TradeAccept: &txpb.TradeAccept{Trade: s.tradeArg(a), Version: uint32(s.uintArg(a, "version", 1))}}
		return &b, "alice", true
	case "trade-fund":
		b.Msg = &txpb.Body_TradeFund{TradeFund: &txpb.TradeFund{Trade: s.tradeArg(a), Token: a.get("token", "gbpt"),
			Inputs: s.coinArgs(a.get("in", "")), Amount: a.get("amount", "")}}
		return &b, "alice", true
	case "trade-ship":
		inv, bl := sha256.Sum256([]byte(a.get("invoice", "invoice 42"))), sha256.Sum256([]byte(a.get("bl", "bill of lading 42")))
		b.Msg = &txpb.Body_TradeShip{TradeShip: &txpb.TradeShip{Trade: s.tradeArg(a), InvoiceHash: inv[:], BillOfLadingHash: bl[:]}}
		return &b, "bob", true
	case "trade-confirm":
		b.Msg = &txpb.Body_TradeConfirm{TradeConfirm: &txpb.TradeConfirm{Trade: s.tradeArg(a)}}
		return &b, "alice", true
	case "trade-settle":
		b.Msg = &txpb.Body_TradeSettle{TradeSettle: &txpb.TradeSettle{Trade: s.tradeArg(a)}}
		return &b, "dave", true
	case "trade-dispute":
		ev := sha256.Sum256([]byte("photos"))
		b.Msg = &txpb.Body_TradeDispute{TradeDispute: &txpb.TradeDispute{Trade: s.tradeArg(a), Reason: a.get("reason", "wet tea"), EvidenceHash: ev[:]}}
		return &b, "alice", true
	case "trade-resolve":
		b.Msg = &txpb.Body_TradeResolve{TradeResolve: &txpb.TradeResolve{Trade: s.tradeArg(a), SellerAmount: a.get("seller", ""),
			Reason: a.get("reason", "half the crates were wet")}}
		return &b, "carol", true
	case "trade-cancel":
		b.Msg = &txpb.Body_TradeCancel{TradeCancel: &txpb.TradeCancel{Trade: s.tradeArg(a)}}
		return &b, "alice", true
	}
	return nil, "", false
}

func (s *scenario) tradeTerms(a *cmdArgs) *txpb.TradeTerms {
	doc := sha256.Sum256([]byte(a.get("doc", "contract 42")))
	at := func(k, def string) int64 { return s.env.Time.Add(s.duration(a.get(k, def))).Unix() }
	return &txpb.TradeTerms{Description: a.get("desc", "100 crates of tea"), DocumentHash: doc[:], Token: a.get("token", "gbpt"),
		Amount: a.get("amount", "1000"), Delivery: a.get("delivery", "FOB Shanghai"), PaymentRule: a.get("rule", "confirmation"),
		ConfirmSeconds: int64(s.duration(a.get("confirm", "48h")) / time.Second),
		Expires:        at("expires", "1h"), FundBy: at("fund", "2h"), ShipBy: at("ship", "24h"), Arbiter: s.wireAddr(a.get("arbiter", "carol"))}
}

// tradeArg is the id of the offer labelled trade=, or of none for "~name".
func (s *scenario) tradeArg(a *cmdArgs) []byte {
	label := a.get("trade", "")
	if strings.HasPrefix(label, "~") {
		h := sha256.Sum256([]byte(label))
		return h[:]
	}
	b, ok := s.txs[label]
	if !ok {
		s.t.Fatalf("trade=%q: no transaction with that label", label)
	}
	return b.id[:]
}

// tradePool is the pool of the trade labelled label.
func (s *scenario) tradePool(label string) ledger.Address {
	b, ok := s.txs[label]
	if !ok {
		s.t.Fatalf("tpool:%s: no transaction with that label", label)
	}
	return TradePool(scenarioRegion, b.id)
}

func (s *scenario) tradeQuery(cmd string, a *cmdArgs) string {
	now := s.env.Time
	if cmd == "trade-corrupt" { // one more funded in the trade's books, outside any transaction
		t := TradeOf(s.blk, s.txs[a.subject()].id)
		t.Funded = mustAdd(t.Funded, money.FromUint64(1))
		s.blk.Set(tradeKey(t.ID), encodeTrade(t))
		return "funded is now " + t.Funded.String()
	}
	if cmd == "trade-crowd" { // n holdings of trades that do not exist, outside any transaction
		name := a.subject()
		who := s.addr(name)
		pos := tradePositionOf(s.blk, who)
		for i := range s.uintArg(a, "n", 1) {
			h := trade.Holding{Token: "gbpt", Amount: money.FromUint64(1)}
			h.Trade[0], h.Trade[1] = 0xcc, byte(i)
			pos = pos.Put(h, now.UnixNano())
		}
		s.blk.Set(tradePositionKey(who), encodePosition(pos))
		return fmt.Sprintf("%s holds %d trades", name, len(pos))
	}
	if cmd == "trade-uncrowd" { // the holdings of trades that do not exist out of NAME's position
		name := a.subject()
		who := s.addr(name)
		var pos trade.Position
		for _, h := range tradePositionOf(s.blk, who) {
			if TradeOf(s.blk, h.Trade) != nil {
				pos = append(pos, h)
			}
		}
		s.blk.Set(tradePositionKey(who), encodePosition(pos))
		return fmt.Sprintf("%s holds %d trades", name, len(pos))
	}
	if cmd == "trade-history" { // the committed trades naming NAME, newest first, in pages of limit=N
		return s.partyPages(a, func(snap ReverseScanner, who ledger.Address, cursor []byte, limit int) ([]string, []byte, error) {
			ts, next, err := TradeHistory(snap, who, cursor, limit)
			ids := make([]string, len(ts))
			for i, t := range ts {
				ids[i] = s.pretty(t.ID.String())
			}
			return ids, next, err
		})
	}
	if cmd == "trade-position" {
		open, held := TradePositionOf(s.blk, s.addr(a.subject()), now)
		return fmt.Sprintf("%d open trades, holding %v", len(open), held)
	}
	label := a.subject()
	b, ok := s.txs[label]
	if !ok {
		s.t.Fatalf("no transaction %q", label)
	}
	t := TradeOf(s.blk, b.id)
	if t == nil {
		return "no trade"
	}
	terms := t.Terms()
	out := []string{fmt.Sprintf("%s %s (recorded %s) version %d by %s amount=%s %s funded=%s released=%s refunded=%s held=%s",
		label, t.StatusAt(now.UnixNano()), t.State, t.Latest().N, s.pretty(t.Latest().By.String()), terms.Amount, terms.Token,
		t.Funded, t.Released, t.Refunded, t.Held())}
	for _, m := range t.Movements {
		out = append(out, fmt.Sprintf("  %s %s -> %s %s coin %s issuance %s", m.Step, s.pretty(m.From.String()), s.pretty(m.To.String()),
			m.Amount, s.pretty(m.Coin.String()), s.pretty(m.Issuance.String())))
	}
	return strings.Join(out, "\n")
}

// partyPages walks NAME's pages of limit=N (100 by default) from the
// committed state, page giving a page's labels and the next cursor, and
// prints the labels page by page.
func (s *scenario) partyPages(a *cmdArgs, page func(snap ReverseScanner, who ledger.Address, cursor []byte, limit int) ([]string, []byte, error)) string {
	snap := s.db.Snapshot()
	defer snap.Close()
	who := s.addr(a.subject())
	var out []string
	var cursor []byte
	for n := 1; ; n++ {
		ids, next, err := page(snap, who, cursor, int(s.uintArg(a, "limit", 100)))
		if err != nil {
			s.t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("page %d: %s", n, strings.Join(ids, " ")))
		if next == nil {
			return strings.Join(out, "\n")
		}
		cursor = next
	}
}
