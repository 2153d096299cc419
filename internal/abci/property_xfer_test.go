package abci

import (
	"fmt"
	"slices"
	"strings"

	"pgregory.net/rapid"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
	"github.com/pegledger/peg/internal/state"
	"github.com/pegledger/peg/internal/store"
	"github.com/pegledger/peg/internal/tx/txpb"
)

// The property test's second region: hana lives in HK, the other region of
// the genesis network. A payment to her is an outbound transfer; HK's part
// is played by proofs of its receipts (hkProof): deliveries of transfers
// from HK (transfer_in), returns of GB's transfers (transfer_refund) and
// deliveries of GB's transfers (transfer_ack).
var hana = newActor("hana", "HK")

// refXfers are the reference's transfers: outbound by id, and the inbound
// ids imported.
type refXfers struct {
	out map[ledger.CoinID]*refOutbound
	in  map[ledger.CoinID]bool
	// sent, received, refunded and delivered are each token's books.
	sent, received, refunded, delivered map[ledger.TokenID]uint64
}

type refOutbound struct {
	token        ledger.TokenID
	payer, payee ledger.Address
	amount       uint64
	// closed is "" while pending, then "refunded" or "delivered".
	closed string
}

func newRefXfers() refXfers {
	return refXfers{out: map[ledger.CoinID]*refOutbound{}, in: map[ledger.CoinID]bool{},
		sent: map[ledger.TokenID]uint64{}, received: map[ledger.TokenID]uint64{}, refunded: map[ledger.TokenID]uint64{},
		delivered: map[ledger.TokenID]uint64{}}
}

// sendOut records output i of payment id to another region.
func (m *refLedger) sendOut(r refTx, id ledger.TxID, i int, o refOutput) {
	m.xfers.out[ledger.NewCoinID(id, uint32(i))] = &refOutbound{token: r.token, payer: r.signer.addr, payee: o.owner, amount: o.amount}
	m.xfers.sent[r.token] += o.amount
}

// transferIn delivers a transfer from HK (r.xfer, of r.amount of r.token to
// r.account), or returns it: the checks of docs/transactions.md past the
// proof, which hkProof makes good. HK, played by proofs, may bring home
// more than GB sent out, which GB refuses.
func (m *refLedger) transferIn(r refTx, id ledger.TxID) ledger.Code {
	if m.xfers.in[r.xfer] {
		return ledger.CodeTransferDone
	}
	t := m.tokens[r.token]
	if t != nil && r.amount+m.xfers.refunded[r.token]+m.xfers.received[r.token] > m.xfers.sent[r.token] {
		return ledger.CodeTransferUnbacked // every token here is at home here
	}
	m.xfers.in[r.xfer] = true
	if t == nil || t.paused || m.frozen(t, r.account) || r.amount%testMinUnit != 0 {
		return ledger.OK // returned
	}
	m.coins[ledger.NewCoinID(id, 0)] = refCoin{token: r.token, owner: r.account, amount: r.amount}
	m.xfers.received[r.token] += r.amount
	return ledger.OK
}

// transferRefund refunds an outbound transfer that HK returned.
func (m *refLedger) transferRefund(r refTx, id ledger.TxID) ledger.Code {
	o := m.xfers.out[r.xfer]
	switch {
	case o == nil:
		return ledger.CodeTransferUnknown
	case o.closed != "":
		return ledger.CodeTransferDone
	}
	o.closed = "refunded"
	m.coins[ledger.NewCoinID(id, 0)] = refCoin{token: o.token, owner: o.payer, amount: o.amount}
	m.xfers.refunded[o.token] += o.amount
	return ledger.OK
}

// transferAck closes an outbound transfer that HK delivered: no coin.
func (m *refLedger) transferAck(r refTx) ledger.Code {
	o := m.xfers.out[r.xfer]
	switch {
	case o == nil:
		return ledger.CodeTransferUnknown
	case o.closed != "":
		return ledger.CodeTransferDone
	}
	o.closed = "delivered"
	m.xfers.delivered[o.token] += o.amount
	return ledger.OK
}

// randomTransferIn draws a delivery from HK: one of a few transfer ids, so
// that some come twice, of a token the chain may not know, to a holder who
// may be frozen, of an amount that may be off the minimum unit.
func (p *propRun) randomTransferIn(r refTx) refTx {
	r.signer = rapid.SampledFrom([]actor{cast.mallory, cast.alice}).Draw(p.rt, "relayer")
	r.hkTx = ledger.TxID{byte(rapid.IntRange(1, 6).Draw(p.rt, "hk payment"))}
	r.xfer = ledger.NewCoinID(r.hkTx, 0)
	r.account = rapid.SampledFrom(propHolders).Draw(p.rt, "payee").addr
	r.amount = rapid.SampledFrom([]uint64{10, 250, 1_000, 15}).Draw(p.rt, "amount")
	return r
}

// randomTransferRefund draws a refund or an ack (r.kind says which) of one
// of the chain's outbound transfers (perhaps closed already), or of an id
// it never sent.
func (p *propRun) randomTransferRefund(r refTx) refTx {
	r.signer = rapid.SampledFrom([]actor{cast.mallory, cast.bob}).Draw(p.rt, "relayer")
	ids := make([]ledger.CoinID, 0, len(p.ref.xfers.out))
	for id := range p.ref.xfers.out {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b ledger.CoinID) int { return strings.Compare(string(a[:]), string(b[:])) })
	r.hkTx = ledger.TxID{byte(rapid.IntRange(10, 200).Draw(p.rt, "hk transfer_in")), 0x0a}
	if r.kind == "transfer-refund" {
		r.hkTx[1] = 0x0f
	}
	if len(ids) == 0 || rapid.IntRange(0, 5).Draw(p.rt, "unknown transfer") == 0 {
		r.xfer = ledger.NewCoinID(ledger.TxID{0xee}, 0)
		r.token, r.account, r.amount = "gbpt", hana.addr, 10
		return r
	}
	r.xfer = ids[rapid.IntRange(0, len(ids)-1).Draw(p.rt, "transfer")]
	o := p.ref.xfers.out[r.xfer]
	r.token, r.account, r.amount = o.token, o.payee, o.amount
	return r
}

// encodeTransfer builds the body of a transfer-in or transfer-refund, with
// HK's proof of the receipt that makes it good.
func (p *propRun) encodeTransfer(r refTx, b *txpb.Body) {
	amount := fmt.Sprint(r.amount)
	if r.kind == "transfer-in" {
		pr := hkProof(p.rt, r.hkTx, 4, "pay", hana.addr, event("transfer.out", "transfer", r.xfer.String(), "token", string(r.token),
			"amount", amount, "payer", hana.addr.String(), "payee", r.account.String(), "from", "HK", "to", "GB"))
		b.Msg = &txpb.Body_TransferIn{TransferIn: &txpb.TransferIn{Proof: pr, Transfer: r.xfer[:]}}
		return
	}
	payer := cast.alice.addr
	if o := p.ref.xfers.out[r.xfer]; o != nil {
		payer = o.payer
	}
	if r.kind == "transfer-ack" {
		pr := hkProof(p.rt, r.hkTx, 9, "transfer_in", hana.addr, event("transfer.in", "transfer", r.xfer.String(), "token", string(r.token),
			"amount", amount, "payer", payer.String(), "payee", r.account.String(), "from", "GB", "to", "HK"))
		b.Msg = &txpb.Body_TransferAck{TransferAck: &txpb.TransferAck{Proof: pr, Transfer: r.xfer[:]}}
		return
	}
	pr := hkProof(p.rt, r.hkTx, 9, "transfer_in", hana.addr, event("transfer.returned", "transfer", r.xfer.String(), "token", string(r.token),
		"amount", amount, "payer", payer.String(), "payee", r.account.String(), "from", "GB", "to", "HK", "reason", "FROZEN", "code", "91"))
	b.Msg = &txpb.Body_TransferRefund{TransferRefund: &txpb.TransferRefund{Proof: pr, Transfer: r.xfer[:]}}
}

// compareBooks holds every token's cross-region books to the reference's.
func (p *propRun) compareBooks(snap *store.Snapshot) string {
	for _, id := range []ledger.TokenID{"gbpt", "gbps", "eurt", "usdt", "jpyt"} {
		got := state.BooksOf(snap, id)
		want := state.Books{Sent: money.FromUint64(p.ref.xfers.sent[id]), Received: money.FromUint64(p.ref.xfers.received[id]),
			Refunded: money.FromUint64(p.ref.xfers.refunded[id]), Delivered: money.FromUint64(p.ref.xfers.delivered[id])}
		if got != want {
			return fmt.Sprintf("books of %s: the app has %+v, the reference %+v", id, got, want)
		}
	}
	return ""
}
