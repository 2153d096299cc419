package state

import (
	"fmt"
	"math/big"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
	"github.com/pegledger/peg/internal/reserve"
	"github.com/pegledger/peg/internal/token"
	"github.com/pegledger/peg/internal/tx"
)

// Flow tallies one token's coins created and destroyed in a block against the
// supply minted and redeemed and the transfers to and from other regions.
// Created − Destroyed = Minted − Redeemed − Exported + Imported, always.
// The sums are unbounded integers: a block may move the same coins many times,
// so its flows can pass the largest Amount even though the supply never does.
type Flow struct {
	Created, Destroyed, Minted, Redeemed big.Int
	// Exported is what outbound transfers took away, Imported what
	// deliveries and refunds brought in.
	Exported, Imported big.Int
}

// Tally is a block's flows by token.
type Tally map[ledger.TokenID]*Flow

func (tl Tally) flow(id ledger.TokenID) *Flow {
	f := tl[id]
	if f == nil {
		f = &Flow{}
		tl[id] = f
	}
	return f
}

// add adds b to the tally a.
func add(a *big.Int, b money.Amount) { b.AddTo(a) }

func (x *exec) movable(t *Token, parties ...ledger.Address) *ledger.Rejection {
	if t.Contract.PauseWhenAtRisk && t.ReserveStatus == reserve.AtRisk {
		return ledger.Reject(ledger.CodeReserveAtRisk, "%s's reserve is at risk and its contract pauses every movement until it is covered again", t.Contract.ID)
	}
	return x.unfrozen(t, parties...)
}

// unfrozen refuses a paused token or a frozen party. Redemptions check only
// this: returning coins for fiat lowers the supply, which is what an at-risk
// reserve needs.
func (x *exec) unfrozen(t *Token, parties ...ledger.Address) *ledger.Rejection {
	if t.Paused {
		return ledger.Reject(ledger.CodePaused, "token %s is paused", t.Contract.ID)
	}
	for _, p := range parties {
		if t.Frozen > 0 && x.isFrozen(t.Contract.ID, p) {
			return ledger.Reject(ledger.CodeFrozen, "%s is frozen for %s", p, t.Contract.ID)
		}
	}
	return nil
}

// inputs loads coins that owner spends: distinct, existing, unspent, of t.
func (x *exec) inputs(t *Token, owner ledger.Address, ids []ledger.CoinID) ([]Coin, money.Amount, *ledger.Rejection) {
	coins := make([]Coin, 0, len(ids))
	var total money.Amount
	seen := make(map[ledger.CoinID]bool, len(ids))
	for _, id := range ids { // distinct first: a duplicate is wrong whatever the coin
		if seen[id] {
			return nil, total, ledger.Reject(ledger.CodeDuplicateInput, "coin %s appears twice among the inputs", id)
		}
		seen[id] = true
	}
	for _, id := range ids {
		c, rej := x.coin(id)
		if rej != nil {
			return nil, total, rej
		}
		if c.Token != t.Contract.ID {
			return nil, total, ledger.Reject(ledger.CodeWrongCoinToken, "coin %s is %s, not %s", id, c.Token, t.Contract.ID)
		}
		if !owner.IsZero() && c.Owner != owner {
			return nil, total, ledger.Reject(ledger.CodeNotCoinOwner, "coin %s belongs to %s, not %s", id, c.Owner, owner)
		}
		var ok bool
		if total, ok = total.Add(c.Amount); !ok {
			return nil, total, ledger.Reject(ledger.CodeAmountOverflow, "inputs overflow the amount range")
		}
		coins = append(coins, c)
	}
	return coins, total, nil
}

func (x *exec) coin(id ledger.CoinID) (Coin, *ledger.Rejection) {
	key := coinKey(id)
	if u := x.env.Unspent; u != nil && !wrote(x.w, key) {
		if c, ok := u.get(id); ok {
			if invariants {
				if b := x.w.Get(key); isSpent(b) || b == nil || decodeCoin(id, b) != c {
					panic(fmt.Sprintf("state: unspent coin %s is not the stored one", id))
				}
			}
			return c, nil
		}
	}
	b := x.w.Get(key)
	switch {
	case b == nil:
		return Coin{}, ledger.Reject(ledger.CodeUnknownCoin, "no coin %s", id)
	case isSpent(b):
		return Coin{}, ledger.Reject(ledger.CodeCoinSpent, "coin %s was already spent by transaction %x", id, b)
	}
	return decodeCoin(id, b), nil
}

// wrote reports whether w has itself written key: w is a block or a check's
// scratch block and Get answers from its own writes, not the committed state.
// A writer that cannot tell is taken to have written it.
func wrote(w Reader, key []byte) bool {
	b, ok := w.(interface{ Wrote(key []byte) bool })
	return !ok || b.Wrote(key)
}

// isSpent reports whether b, a coin's record, is the spent mark Destroy
// writes over it: the spending transaction's id, shorter than any coin.
func isSpent(b []byte) bool { return len(b) == ledger.HashSize }

// transfer is a checked movement of owner's coins to outputs; change is any
// output back to owner. toOthers is what leaves owner. An output to an
// account at home in another region of the network is an outbound transfer.
type transfer struct {
	owner    ledger.Address
	spend    []Coin
	outs     []tx.Output
	toOthers money.Amount
}

// planTransfer checks a movement of owner's coins, as Pay and SpendFrom make.
func (x *exec) planTransfer(t *Token, owner ledger.Address, ids []ledger.CoinID, outs []tx.Output) (transfer, *ledger.Rejection) {
	parties := []ledger.Address{x.tx.Signer, owner}
	for _, o := range outs {
		parties = append(parties, o.Owner)
	}
	if rej := x.movable(t, parties...); rej != nil {
		return transfer{}, rej
	}
	spend, in, rej := x.inputs(t, owner, ids)
	if rej != nil {
		return transfer{}, rej
	}
	c := t.Contract
	var out, toOthers money.Amount
	for i, o := range outs {
		if o.Owner.Region() != x.env.Region {
			if rej := x.networkRegion(o.Owner, "output %d owner", i); rej != nil {
				return transfer{}, rej
			}
		} else if rej := x.home(o.Owner, "output %d owner", i); rej != nil {
			return transfer{}, rej
		}
		if !o.Amount.IsMultipleOf(c.MinUnit) {
			return transfer{}, ledger.Reject(ledger.CodeNotMinUnitMultiple, "output %d: %s %s is not a multiple of the minimum unit %s",
				i, c.FormatAmount(o.Amount), c.Symbol, c.FormatAmount(c.MinUnit))
		}
		var ok bool
		if out, ok = out.Add(o.Amount); !ok {
			return transfer{}, ledger.Reject(ledger.CodeAmountOverflow, "outputs overflow the amount range")
		}
		if o.Owner == owner {
			continue
		}
		if c.TransferRule == token.TransferRegistered && o.Owner.Region() == x.env.Region && !x.isRegistered(o.Owner) {
			return transfer{}, ledger.Reject(ledger.CodeNotRegistered, "%s accepts payments between registered accounts only; %s is not registered", c.ID, o.Owner)
		}
		toOthers, _ = toOthers.Add(o.Amount) // bounded by out, which did not overflow
	}
	if c.TransferRule == token.TransferRegistered && !x.isRegistered(owner) {
		return transfer{}, ledger.Reject(ledger.CodeNotRegistered, "%s accepts payments between registered accounts only; %s is not registered", c.ID, owner)
	}
	if !toOthers.IsZero() {
		if rej := c.CheckTransfer(toOthers); rej != nil {
			return transfer{}, rej
		}
	}
	if in.Cmp(out) != 0 {
		return transfer{}, ledger.Reject(ledger.CodeNotConserved, "inputs total %s but outputs total %s",
			c.FormatAmount(in), c.FormatAmount(out))
	}
	p := transfer{owner: owner, spend: spend, outs: outs, toOthers: toOthers}
	if t.KYC != nil {
		if rej := x.kycTransfer(t, p); rej != nil {
			return transfer{}, rej
		}
	}
	return p, nil
}

// execute performs a checked transfer and asserts it conserved value. Both
// sums fit an Amount: planTransfer refused inputs or outputs that overflow.
func (x *exec) execute(t *Token, p transfer) {
	var destroyed, created money.Amount
	fits := true
	for _, c := range p.spend {
		var ok bool
		destroyed, ok = destroyed.Add(c.Amount)
		fits = fits && ok
		x.destroy(c)
	}
	for i, o := range p.outs {
		var ok bool
		if o.Owner.Region() != x.env.Region {
			x.sendOut(t.Contract.ID, uint32(i), p.owner, o)
			created, ok = created.Add(o.Amount)
		} else {
			created, ok = created.Add(x.create(t.Contract.ID, uint32(i), o.Owner, o.Amount).Amount)
		}
		fits = fits && ok
	}
	if !fits || destroyed != created {
		panic(fmt.Sprintf("state: transaction %s destroyed %s but created %s (overflow: %v)", x.tx.ID, destroyed, created, !fits))
	}
	if t.KYC != nil {
		x.kycPaid(t, p.owner, p.toOthers)
	}
}

func (x *exec) destroy(c Coin) {
	x.w.Set(coinKey(c.ID), x.tx.ID[:]) // the spent mark
	add(&x.env.tally().flow(c.Token).Destroyed, c.Amount)
	if x.tiered(c.Token) {
		x.holding(c.Token, c.Owner, c.Amount, false)
	}
	if !x.env.Check {
		x.emit("coin.spent", "coin", c.ID.String(), "owner", c.Owner.String(), "amount", c.Amount.String())
	}
}

func (x *exec) create(id ledger.TokenID, index uint32, owner ledger.Address, amount money.Amount) Coin {
	c := Coin{ID: ledger.NewCoinID(x.tx.ID, index), Token: id, Owner: owner, Amount: amount}
	// A coin's id hashes its transaction's id, which the replay check makes
	// unique, so a coin is never created twice; the invariants build reads
	// the store to confirm it (a lookup that misses, a tenth of a payment's
	// cost otherwise).
	if invariants && x.w.Get(coinKey(c.ID)) != nil {
		panic(fmt.Sprintf("state: coin %s created twice", c.ID))
	}
	x.w.Set(coinKey(c.ID), c.encode())
	add(&x.env.tally().flow(id).Created, amount)
	if x.tiered(id) {
		x.holding(id, owner, amount, true)
	}
	if !x.env.Check {
		x.emit("coin.created", "coin", c.ID.String(), "owner", owner.String(), "amount", amount.String())
	}
	return c
}

func (x *exec) pay(m tx.Pay) *ledger.Rejection {
	t, rej := x.viewToken(m.Token)
	if rej != nil {
		return rej
	}
	p, rej := x.planTransfer(t, x.tx.Signer, m.Inputs, m.Outputs)
	if rej != nil {
		return rej
	}
	x.execute(t, p)
	if !x.env.Check {
		x.emit("pay", "token", string(m.Token), "from", x.tx.Signer.String(), "amount", p.toOthers.String())
	}
	return nil
}

func (x *exec) spendFrom(m tx.SpendFrom) *ledger.Rejection {
	t, rej := x.viewToken(m.Token)
	if rej != nil {
		return rej
	}
	p, rej := x.planTransfer(t, m.Owner, m.Inputs, m.Outputs)
	if rej != nil {
		return rej
	}
	allowed := x.approval(m.Token, m.Owner, x.tx.Signer)
	if allowed.IsZero() { // even change back to the owner needs the owner's leave
		return ledger.Reject(ledger.CodeSpendAllowance, "%s has no approval to spend %s's %s", x.tx.Signer, m.Owner, m.Token)
	}
	left, ok := allowed.Sub(p.toOthers)
	if !ok {
		return ledger.Reject(ledger.CodeSpendAllowance, "%s may spend %s of %s's %s, not %s", x.tx.Signer,
			t.Contract.FormatAmount(allowed), m.Owner, m.Token, t.Contract.FormatAmount(p.toOthers))
	}
	x.execute(t, p)
	k := approvalKey(m.Token, m.Owner, x.tx.Signer)
	if left.IsZero() {
		x.w.Delete(k)
	} else {
		b := left.Bytes()
		x.w.Set(k, b[:])
	}
	x.emit("spend_from", "token", string(m.Token), "owner", m.Owner.String(), "spender", x.tx.Signer.String(),
		"amount", p.toOthers.String(), "allowance_left", left.String())
	return nil
}

func (x *exec) mint(m tx.Mint) *ledger.Rejection {
	t, rej := x.roleToken(m.Token, token.RoleMinter)
	if rej != nil {
		return rej
	}
	if t.Endorsement.Needs(m.Amount) {
		return x.openMintRequest(t, m)
	}
	return x.mintAs(t, x.tx.Signer, m)
}

// mintAs runs the checks of a mint by minter, who holds the role, and, if
// they pass, mints: now for a mint within the endorsement threshold, at the
// request's last endorsement for one above it. The coin is this
// transaction's first output.
func (x *exec) mintAs(t *Token, minter ledger.Address, m tx.Mint) *ledger.Rejection {
	if rej := atHome(t, "mint"); rej != nil {
		return rej
	}
	c := t.Contract
	if rej := x.movable(t, minter, m.To); rej != nil {
		return rej
	}
	if rej := x.home(m.To, "recipient"); rej != nil {
		return rej
	}
	if !m.Amount.IsMultipleOf(c.MinUnit) {
		return ledger.Reject(ledger.CodeNotMinUnitMultiple, "%s %s is not a multiple of the minimum unit %s",
			c.FormatAmount(m.Amount), c.Symbol, c.FormatAmount(c.MinUnit))
	}
	i := t.minter(minter)
	left, ok := t.Minters[i].Allowance.Sub(m.Amount)
	if !ok {
		return ledger.Reject(ledger.CodeMinterAllowance, "minter %s has %s %s of allowance left, not %s",
			minter, c.FormatAmount(t.Minters[i].Allowance), c.Symbol, c.FormatAmount(m.Amount))
	}
	supply, ok := t.Supply.Add(m.Amount)
	if !ok {
		return ledger.Reject(ledger.CodeAmountOverflow, "supply would overflow")
	}
	minted, ok := t.Minted.Add(m.Amount) // redemptions lower the supply, not the total minted
	if !ok {
		return ledger.Reject(ledger.CodeAmountOverflow, "total minted would overflow")
	}
	if rej := reserve.CanMint(c, t.Supply, m.Amount, t.Reading, x.env.Time); rej != nil {
		return rej
	}
	if supply.Cmp(c.SupplyCap) > 0 {
		return ledger.Reject(ledger.CodeAboveCap, "supply would be %s %s, above the cap %s",
			c.FormatAmount(supply), c.Symbol, c.FormatAmount(c.SupplyCap))
	}
	if t.KYC != nil {
		if rej := x.kycReceives(t, m.To, m.Amount); rej != nil {
			return rej
		}
	}
	t.Minters[i].Allowance = left
	before := t.Supply
	t.Supply = supply
	t.Minted = minted
	x.saveToken(t)
	x.recordMonth(t, before, t.ReserveStatus, m.Amount, money.Amount{}, false)
	x.create(m.Token, 0, m.To, m.Amount)
	add(&x.env.tally().flow(m.Token).Minted, m.Amount)
	x.emit("mint", "token", string(m.Token), "minter", minter.String(), "to", m.To.String(), "amount", m.Amount.String())
	return nil
}

func (x *exec) redeem(m tx.Redeem) *ledger.Rejection {
	t, rej := x.loadToken(m.Token)
	if rej != nil {
		return rej
	}
	if rej := atHome(t, "redeem"); rej != nil {
		return rej
	}
	c := t.Contract
	holder := x.tx.Signer
	if rej := x.unfrozen(t, holder); rej != nil {
		return rej
	}
	if c.RedeemRule == token.RedeemRegistered && !x.isRegistered(holder) {
		return ledger.Reject(ledger.CodeRedeemNotAllowed, "%s redeems for registered accounts only; %s is not registered", c.ID, holder)
	}
	coins, in, rej := x.inputs(t, holder, m.Inputs)
	if rej != nil {
		return rej
	}
	if rej := c.CheckTransfer(m.Amount); rej != nil {
		return rej
	}
	if m.Amount.Cmp(c.MinRedeem) < 0 {
		return ledger.Reject(ledger.CodeRedeemBelowMinimum, "redemption of %s %s is below the minimum %s",
			c.FormatAmount(m.Amount), c.Symbol, c.FormatAmount(c.MinRedeem))
	}
	if rej := c.CheckRedeemPays(m.Amount); rej != nil {
		return rej
	}
	change, ok := in.Sub(m.Amount)
	if !ok {
		return ledger.Reject(ledger.CodeNotConserved, "inputs total %s %s, less than the %s to redeem",
			c.FormatAmount(in), c.Symbol, c.FormatAmount(m.Amount))
	}
	supply, ok := t.Supply.Sub(m.Amount)
	if !ok {
		panic(fmt.Sprintf("state: redeeming %s of %s exceeds its supply %s", m.Amount, c.ID, t.Supply))
	}
	for _, coin := range coins {
		x.destroy(coin)
	}
	if !change.IsZero() {
		x.create(m.Token, 0, holder, change)
	}
	before, status := t.Supply, t.ReserveStatus
	t.Supply = supply
	t.Redeemed, _ = t.Redeemed.Add(m.Amount) // redeemed ≤ minted
	x.judgeReserve(t)
	x.saveToken(t)
	x.recordMonth(t, before, status, money.Amount{}, m.Amount, false)
	add(&x.env.tally().flow(m.Token).Redeemed, m.Amount)
	r := Redemption{TxID: x.tx.ID, Token: m.Token, Holder: holder, Amount: m.Amount, Fiat: c.Fiat,
		FiatOwed: c.FiatValue(m.Amount), Height: x.env.Height, Time: x.env.Time.UnixNano()}
	if c.FiatFor(m.Amount) != r.FiatOwed {
		panic(fmt.Sprintf("state: redeeming %s of %s would burn value worth part of a fiat minor unit", m.Amount, c.ID))
	}
	x.w.Set(redemptionKey(m.Token, x.env.Height, x.tx.ID), encode(r))
	x.emit("redeem", "token", string(m.Token), "holder", holder.String(), "amount", m.Amount.String(),
		"fiat_owed", r.FiatOwed.Format(c.Fiat.Currency.Digits), "currency", c.Fiat.Currency.Code)
	return nil
}

func (x *exec) seize(m tx.Seize) *ledger.Rejection {
	t, rej := x.roleToken(m.Token, token.RoleOwner)
	if rej != nil {
		return rej
	}
	if t.Paused {
		return ledger.Reject(ledger.CodePaused, "token %s is paused", m.Token)
	}
	coins, total, rej := x.inputs(t, ledger.Address{}, m.Inputs)
	if rej != nil {
		return rej
	}
	holder := coins[0].Owner
	for _, c := range coins[1:] {
		if c.Owner != holder {
			return ledger.Reject(ledger.CodeInvalidArgument, "seized coins belong to %s and %s; seize one holder at a time", holder, c.Owner)
		}
	}
	if !x.isFrozen(m.Token, holder) {
		return ledger.Reject(ledger.CodeNotFrozen, "%s is not frozen; freeze it before seizing its coins", holder)
	}
	x.execute(t, transfer{owner: holder, spend: coins, outs: []tx.Output{{Owner: t.Owner, Amount: total}}})
	x.emit("seize", "token", string(m.Token), "holder", holder.String(), "to", t.Owner.String(), "amount", total.String())
	return nil
}
