package abci

import (
	"crypto/sha256"
	"time"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/tx/txpb"
)

// The trade kinds' messages, for the determinism and property tests.

func msgTradeRules(rounds uint32, limit string) func(*txpb.Body) {
	return func(b *txpb.Body) {
		b.Msg = &txpb.Body_SetTradeRules{SetTradeRules: &txpb.SetTradeRules{MaxRounds: rounds, MaxVersionOpenSeconds: 72 * 3600,
			Limits: []*txpb.TradeLimit{{Token: "gbpt", Max: limit}}}}
	}
}

// tradeTerms are terms of units gbpt proposed at block time at: open an
// hour, funded within two, shipped within a day, with rule and a
// confirmation window of an hour, before arbiter.
func tradeTerms(units, rule string, arbiter ledger.Address, at time.Time) *txpb.TradeTerms {
	doc := sha256.Sum256([]byte("contract " + units))
	return &txpb.TradeTerms{Description: "crates of tea", DocumentHash: doc[:], Token: "gbpt", Amount: units, Delivery: "FOB Shanghai",
		PaymentRule: rule, ConfirmSeconds: 3600, Expires: at.Add(time.Hour).Unix(), FundBy: at.Add(2 * time.Hour).Unix(),
		ShipBy: at.Add(24 * time.Hour).Unix(), Arbiter: arbiter.String()}
}

func msgTradeOffer(buyer, seller ledger.Address, terms *txpb.TradeTerms) func(*txpb.Body) {
	return func(b *txpb.Body) {
		b.Msg = &txpb.Body_TradeOffer{TradeOffer: &txpb.TradeOffer{Buyer: buyer.String(), Seller: seller.String(), Terms: terms}}
	}
}

func msgTradeCounter(id ledger.TxID, version uint32, terms *txpb.TradeTerms) func(*txpb.Body) {
	return func(b *txpb.Body) {
		b.Msg = &txpb.Body_TradeCounter{TradeCounter: &txpb.TradeCounter{Trade: id[:], Version: version, Terms: terms}}
	}
}

func msgTradeAccept(id ledger.TxID, version uint32) func(*txpb.Body) {
	return func(b *txpb.Body) {
		b.Msg = &txpb.Body_TradeAccept{TradeAccept: &txpb.TradeAccept{Trade: id[:], Version: version}}
	}
}

func msgTradeFund(id ledger.TxID, inputs []ledger.CoinID, units string) func(*txpb.Body) {
	return func(b *txpb.Body) {
		b.Msg = &txpb.Body_TradeFund{TradeFund: &txpb.TradeFund{Trade: id[:], Token: "gbpt", Inputs: coinBytes(inputs), Amount: units}}
	}
}

func msgTradeShip(id ledger.TxID) func(*txpb.Body) {
	inv, bl := sha256.Sum256([]byte("invoice")), sha256.Sum256([]byte("bill of lading"))
	return func(b *txpb.Body) {
		b.Msg = &txpb.Body_TradeShip{TradeShip: &txpb.TradeShip{Trade: id[:], InvoiceHash: inv[:], BillOfLadingHash: bl[:]}}
	}
}

func msgTradeConfirm(id ledger.TxID) func(*txpb.Body) {
	return func(b *txpb.Body) { b.Msg = &txpb.Body_TradeConfirm{TradeConfirm: &txpb.TradeConfirm{Trade: id[:]}} }
}

func msgTradeSettle(id ledger.TxID) func(*txpb.Body) {
	return func(b *txpb.Body) { b.Msg = &txpb.Body_TradeSettle{TradeSettle: &txpb.TradeSettle{Trade: id[:]}} }
}

func msgTradeDispute(id ledger.TxID) func(*txpb.Body) {
	ev := sha256.Sum256([]byte("photos"))
	return func(b *txpb.Body) {
		b.Msg = &txpb.Body_TradeDispute{TradeDispute: &txpb.TradeDispute{Trade: id[:], Reason: "wet tea", EvidenceHash: ev[:]}}
	}
}

func msgTradeResolve(id ledger.TxID, toSeller string) func(*txpb.Body) {
	return func(b *txpb.Body) {
		b.Msg = &txpb.Body_TradeResolve{TradeResolve: &txpb.TradeResolve{Trade: id[:], SellerAmount: toSeller, Reason: "half was wet"}}
	}
}

func msgTradeCancel(id ledger.TxID) func(*txpb.Body) {
	return func(b *txpb.Body) { b.Msg = &txpb.Body_TradeCancel{TradeCancel: &txpb.TradeCancel{Trade: id[:]}} }
}
