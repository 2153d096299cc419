package api

import (
	"encoding/hex"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/state"
	"github.com/pegledger/peg/internal/store"
	"github.com/pegledger/peg/internal/trade"
)

// Trade pages: GET /v1/accounts/{address}/trades?limit=N.
const (
	DefaultTradesPage = 20
	MaxTradesPage     = state.MaxTradeHistory
)

// tradeByID answers GET /v1/trades/{id}.
func (s *server) tradeByID(w http.ResponseWriter, r *http.Request) error {
	id, err := ledger.ParseTxID(r.PathValue("id"))
	if err != nil {
		return badRequest("%v", err)
	}
	snap := s.chain.Snapshot()
	defer snap.Close()
	t := state.TradeOf(snap, id)
	if t == nil {
		return notFound("no trade %s (as of height %d)", id, snap.Height)
	}
	now, err := s.blockTime(snap)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, tradeView(snap, t, now))
	return nil
}

// accountTrades answers GET /v1/accounts/{address}/trades[?before=CURSOR]
// [&limit=N]: the trades naming the account (buyer, seller or arbiter),
// newest first, a page at a time, and what it holds in open trades.
func (s *server) accountTrades(w http.ResponseWriter, r *http.Request) error {
	addr, err := addressParam("address", r.PathValue("address"))
	if err != nil {
		return err
	}
	before, limit, err := partyPageParams(r, DefaultTradesPage, MaxTradesPage)
	if err != nil {
		return err
	}
	snap := s.chain.Snapshot()
	defer snap.Close()
	now, err := s.blockTime(snap)
	if err != nil {
		return err
	}
	ts, next, err := state.TradeHistory(snap, addr, before, limit)
	if err != nil {
		return err
	}
	open, held := state.TradePositionOf(snap, addr, now)
	v := client.TradeList{Address: addr.String(), Open: len(open), Positions: []client.TradePosition{},
		Trades: make([]client.Trade, len(ts)), Next: hex.EncodeToString(next)}
	for _, tok := range slices.Sorted(maps.Keys(held)) {
		v.Positions = append(v.Positions, client.TradePosition{Token: string(tok), Held: value(held[tok], tokenDecimals(snap, tok))})
	}
	for i := range ts {
		v.Trades[i] = tradeView(snap, &ts[i], now)
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// partyPageParams reads a party's page of trades or credit requests from
// the query string: before, the next cursor of an earlier page (nil for
// the newest), and limit, from 1 to most (def when absent).
func partyPageParams(r *http.Request, def, most int) ([]byte, int, error) {
	q := r.URL.Query()
	limit := def
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > most {
			return nil, 0, badRequest("limit %q: want a whole number from 1 to %d", v, most)
		}
		limit = n
	}
	var before []byte
	if v := q.Get("before"); v != "" {
		b, err := hex.DecodeString(v)
		if err != nil || len(b) != state.PartyCursor {
			return nil, 0, badRequest("before %q: want the next cursor of an earlier page (%d hex digits)", v, 2*state.PartyCursor)
		}
		before = b
	}
	return before, limit, nil
}

// tradeRules answers GET /v1/trade-rules.
func (s *server) tradeRules(w http.ResponseWriter, r *http.Request) error {
	snap := s.chain.Snapshot()
	defer snap.Close()
	rules := state.TradeRulesOf(snap)
	if rules == nil {
		return notFound("the operator has set no trade rules (as of height %d)", snap.Height)
	}
	v := client.TradeRules{MaxRounds: rules.MaxRounds, MaxVersionOpen: duration(rules.MaxVersionOpen), Limits: []client.TradeLimit{}}
	for _, l := range rules.Limits {
		v.Limits = append(v.Limits, client.TradeLimit{Token: string(l.Token), Max: value(l.Max, tokenDecimals(snap, l.Token))})
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func hashText(h trade.Hash) string {
	if h.IsZero() {
		return ""
	}
	return hex.EncodeToString(h[:])
}

func termsView(t trade.Terms, dec uint8) client.TradeTerms {
	return client.TradeTerms{Description: t.Description, DocumentHash: hex.EncodeToString(t.DocumentHash[:]), Token: string(t.Token),
		Amount: value(t.Amount, dec), Delivery: t.Delivery, PaymentRule: string(t.PaymentRule), ConfirmWindow: duration(t.ConfirmWindow),
		Expires: unixTime(t.Expires), FundBy: unixTime(t.FundBy), ShipBy: unixTime(t.ShipBy), Arbiter: t.Arbiter.String()}
}

// optTime is a time the record may not have reached yet (zero).
func optTime(ns int64) *time.Time {
	if ns == 0 {
		return nil
	}
	t := unixTime(ns)
	return &t
}

func tradeView(snap *store.Snapshot, t *trade.Trade, now time.Time) client.Trade {
	dec := tokenDecimals(snap, t.Terms().Token)
	v := client.Trade{ID: t.ID.String(), Buyer: t.Buyer.String(), Seller: t.Seller.String(), Pool: t.Pool.String(),
		Status: string(t.StatusAt(now.UnixNano())), RecordedStatus: string(t.State), Terms: termsView(t.Terms(), dec),
		AcceptedAt: optTime(t.AcceptedAt), FundedAt: optTime(t.FundedAt), ShippedAt: optTime(t.ShippedAt), ConfirmBy: optTime(t.ConfirmBy),
		ConfirmedAt: optTime(t.ConfirmedAt), ClosedAt: optTime(t.ClosedAt), Invoice: hashText(t.Invoice), BillOfLading: hashText(t.BillOfLading),
		Resolution: t.Resolution, Held: value(t.Held(), dec), Funded: value(t.Funded, dec), Released: value(t.Released, dec),
		Refunded: value(t.Refunded, dec), Versions: make([]client.TradeVersion, len(t.Versions)), Movements: []client.TradeMovement{}}
	for i, ver := range t.Versions {
		v.Versions[i] = client.TradeVersion{N: ver.N, By: ver.By.String(), TxID: ver.TxID.String(), Time: unixTime(ver.Time), Terms: termsView(ver.Terms, dec)}
	}
	for _, m := range t.Movements {
		v.Movements = append(v.Movements, client.TradeMovement{Step: string(m.Step), TxID: m.TxID.String(), Time: unixTime(m.Time),
			From: m.From.String(), To: m.To.String(), Amount: value(m.Amount, dec), Coin: m.Coin.String(), Issuance: m.Issuance.String()})
	}
	if d := t.Dispute; d != nil {
		v.Dispute = &client.TradeDispute{By: d.By.String(), TxID: d.TxID.String(), Time: unixTime(d.Time), Reason: d.Reason, Evidence: hashText(d.Evidence)}
	}
	return v
}
