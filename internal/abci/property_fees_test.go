package abci

import (
	"cmp"
	"fmt"
	"math/big"
	"slices"
	"time"

	"pgregory.net/rapid"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/state"
	"github.com/pegledger/peg/internal/store"
	"github.com/pegledger/peg/internal/tx/txpb"
)

// The fee policy the property test sets: fees in gbpt; a deposit of 1.00 is
// released over an hour, one of 20.00 over two; a payment costs 0.10 and
// 0.10 an output, a redemption 0.50 (fees are multiples of the token's
// minimum unit, 0.10); at most two live grants.
const (
	refFeeMinDeposit = 100
	refFeeBigDeposit = 2_000
	refFeeMaxGrants  = 2
)

var refFeeValidity = map[uint64]time.Duration{refFeeMinDeposit: time.Hour, refFeeBigDeposit: 2 * time.Hour}

// refFees is the reference's fee system, written from docs/transactions.md:
// nothing charged until the operator sets the policy, then each priced kind
// checked before its own checks and charged once it is accepted.
type refFees struct {
	on       bool
	accounts map[ledger.Address][]refGrant
}

type refGrant struct {
	deposit    ledger.TxID
	amount     uint64
	spent      uint64
	start, end int64
}

// feeOf is what a transaction of r's kind costs once fees are on.
func (f *refFees) feeOf(r refTx) uint64 {
	switch {
	case !f.on:
		return 0
	case r.kind == "pay":
		return 10 + 10*uint64(len(r.outputs))
	case r.kind == "redeem":
		return 50
	}
	return 0
}

// released is floor(amount × (now − start) / (end − start)), by math/big.
func (g refGrant) released(now int64) uint64 {
	switch {
	case now <= g.start:
		return 0
	case now >= g.end:
		return g.amount
	}
	n := new(big.Int).Mul(new(big.Int).SetUint64(g.amount), big.NewInt(now-g.start))
	return n.Quo(n, big.NewInt(g.end-g.start)).Uint64()
}

func (g refGrant) available(now int64) uint64 {
	if now >= g.end {
		return 0
	}
	return g.released(now) - g.spent
}

func (f *refFees) available(a ledger.Address, now int64) uint64 {
	var sum uint64
	for _, g := range f.accounts[a] {
		sum += g.available(now)
	}
	return sum
}

// check is the fee check of a transaction that owes fee, before its own.
func (f *refFees) check(a ledger.Address, fee uint64, now int64) ledger.Code {
	grants, opened := f.accounts[a]
	switch {
	case fee == 0:
		return ledger.OK
	case !opened:
		return ledger.CodeFeeNoAccount
	case !slices.ContainsFunc(grants, func(g refGrant) bool { return now < g.end }):
		return ledger.CodeFeeAccountExpired
	case f.available(a, now) < fee:
		return ledger.CodeFeeInsufficient
	}
	return ledger.OK
}

// charge takes fee from a's grants in the order their windows end.
func (f *refFees) charge(a ledger.Address, fee uint64, now int64) {
	grants := f.accounts[a]
	slices.SortFunc(grants, func(x, y refGrant) int {
		return cmp.Or(cmp.Compare(x.end, y.end), cmp.Compare(x.start, y.start), slices.Compare(x.deposit[:], y.deposit[:]))
	})
	for i := range grants {
		take := min(grants[i].available(now), fee)
		grants[i].spent += take
		fee -= take
	}
}

// deposit is fee_deposit's checks after the coins', and its grant.
func (m *refLedger) feeDeposit(t *refToken, r refTx, id ledger.TxID) ledger.Code {
	holder := r.signer.addr
	f := &m.fees
	switch {
	case !f.on:
		return ledger.CodeFeeNotEnabled
	case r.token != "gbpt":
		return ledger.CodeFeeWrongToken
	case t == nil:
		return ledger.CodeUnknownToken
	case t.paused:
		return ledger.CodePaused
	case t.frozen[holder]:
		return ledger.CodeFrozen
	}
	in, code := m.inputs(r, holder)
	now := m.now.UnixNano()
	live := 0
	for _, g := range f.accounts[holder] {
		if now < g.end {
			live++
		}
	}
	switch {
	case code != ledger.OK:
		return code
	case r.amount%testMinUnit != 0:
		return ledger.CodeNotMinUnitMultiple
	case r.amount > testMaxTransfer:
		return ledger.CodeAboveMaxTransfer
	case r.amount < refFeeMinDeposit:
		return ledger.CodeFeeBelowMinimum
	case in < r.amount:
		return ledger.CodeNotConserved
	case live >= refFeeMaxGrants:
		return ledger.CodeFeeTooManyGrants
	}
	m.spend(r.inputs)
	m.coins[ledger.NewCoinID(id, 0)] = refCoin{token: r.token, owner: state.FeeContract("GB"), amount: r.amount}
	if change := in - r.amount; change > 0 {
		m.coins[ledger.NewCoinID(id, 1)] = refCoin{token: r.token, owner: holder, amount: change}
	}
	validity := refFeeValidity[refFeeMinDeposit]
	if r.amount >= refFeeBigDeposit {
		validity = refFeeValidity[refFeeBigDeposit]
	}
	f.accounts[holder] = append(f.accounts[holder], refGrant{deposit: id, amount: r.amount, start: now, end: now + int64(validity)})
	return ledger.OK
}

// setFees is set_fee_schedule: the operator's only.
func (m *refLedger) setFees(r refTx) ledger.Code {
	if r.signer.addr != cast.operator.addr {
		return ledger.CodeUnauthorized
	}
	m.fees.on = true
	return ledger.OK
}

// msgSetFees is the policy refFees models.
func msgSetFees(b *txpb.Body) {
	b.Msg = &txpb.Body_SetFeeSchedule{SetFeeSchedule: &txpb.SetFeeSchedule{
		Policy: &txpb.FeePolicy{Token: "gbpt", Revenue: cast.carol.addr.String(), LowBalance: "10", MaxGrants: refFeeMaxGrants,
			Tiers: []*txpb.FeeTier{
				{MinDeposit: fmt.Sprint(refFeeMinDeposit), ValiditySeconds: int64(refFeeValidity[refFeeMinDeposit] / time.Second)},
				{MinDeposit: fmt.Sprint(refFeeBigDeposit), ValiditySeconds: int64(refFeeValidity[refFeeBigDeposit] / time.Second)}}},
		Fees: []*txpb.KindFee{{Kind: "pay", Fixed: "10", PerOutput: "10"}, {Kind: "redeem", Fixed: "50", PerOutput: "0"}}}}
}

func msgFeeDeposit(tok string, inputs []ledger.CoinID, units string) func(*txpb.Body) {
	return func(b *txpb.Body) {
		b.Msg = &txpb.Body_FeeDeposit{FeeDeposit: &txpb.FeeDeposit{Token: tok, Inputs: coinBytes(inputs), Amount: units}}
	}
}

// randomFeeDeposit draws a deposit: mostly of gbpt, of the holder's own
// coins, of amounts around the tiers.
func (p *propRun) randomFeeDeposit(r refTx) refTx {
	r.kind = "fee-deposit"
	r.signer = rapid.SampledFrom(propHolders).Draw(p.rt, "depositor")
	r.token = rapid.SampledFrom([]ledger.TokenID{"gbpt", "gbpt", "gbpt", "eurt"}).Draw(p.rt, "fee token")
	r.inputs = p.randomInputs(r.signer, r.token)
	var in uint64
	for _, id := range r.inputs {
		in += p.ref.coins[id].amount
	}
	r.amount = rapid.SampledFrom([]uint64{refFeeMinDeposit, refFeeBigDeposit, 90, max(in, 1), randomAmount(p.rt, in)}).Draw(p.rt, "deposit") // zero is the decoder's
	return r
}

// compareFees holds each holder's fee account to the reference's at the last
// block's time: opened or not, deposited, spent, expired and available.
func (p *propRun) compareFees(snap *store.Snapshot) string {
	now := p.ref.now.UnixNano()
	for _, h := range propHolders {
		got := state.LoadFeeAccount(snap, h.addr)
		grants, opened := p.ref.fees.accounts[h.addr]
		if (got != nil) != opened {
			return fmt.Sprintf("%s's fee account: the app has one %v, the reference %v", h.name, got != nil, opened)
		}
		if got == nil {
			continue
		}
		got.Expire(now)
		var dep, spent, expired uint64
		for _, g := range grants {
			dep += g.amount
			spent += g.spent
			if now >= g.end {
				expired += g.amount - g.spent
			}
		}
		type view struct{ deposited, spent, expired, available string }
		g := view{got.Deposited.String(), got.Spent.String(), got.Expired.String(), got.Available(now).String()}
		w := view{fmt.Sprint(dep), fmt.Sprint(spent), fmt.Sprint(expired), fmt.Sprint(p.ref.fees.available(h.addr, now))}
		if g != w {
			return fmt.Sprintf("%s's fee account: the app has %+v, the reference %+v", h.name, g, w)
		}
	}
	return ""
}
