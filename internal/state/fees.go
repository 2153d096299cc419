package state

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/pegledger/peg/internal/fee"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
	"github.com/pegledger/peg/internal/tx"
)

// Fees are the platform's fee policy and schedule (S3). Without them nothing
// is charged.
type Fees struct {
	Policy   fee.Policy   `json:"policy"`
	Schedule fee.Schedule `json:"schedule"`
}

// Validate checks the policy and the schedule against the kinds Peg knows.
func (f Fees) Validate() error {
	if err := f.Policy.Validate(); err != nil {
		return err
	}
	return f.Schedule.Validate(func(k string) bool { return slices.Contains(tx.Kinds, k) }, tx.MaxOutputs)
}

// FeeTotals are the fee contract's books: what was deposited into fee
// accounts, what fees took (the platform's revenue), what expired unspent,
// and what of the last two was collected to the revenue account.
// Deposited − Spent − Expired is what the accounts still hold; the fee
// contract's coins are worth Deposited − Collected.
type FeeTotals struct {
	Token     ledger.TokenID `json:"token"`
	Deposited money.Amount   `json:"deposited"`
	Spent     money.Amount   `json:"spent"`
	Expired   money.Amount   `json:"expired"`
	Collected money.Amount   `json:"collected"`
}

// Collectable is what the revenue account may still collect: the fees spent
// and the deposits expired, less what it has collected.
func (t FeeTotals) Collectable() money.Amount {
	earned := mustAdd(t.Spent, t.Expired)
	c, ok := earned.Sub(t.Collected)
	if !ok {
		panic(fmt.Sprintf("state: fee books collected %s of %s earned", t.Collected, earned))
	}
	return c
}

// FeeContract is the keyless address that holds the coins deposited into fee
// accounts on region's chain: no one can sign for it, and no transaction may
// pay it, freeze it or seize from it, so a fee balance can only be spent on
// fees (S3.6).
func FeeContract(region ledger.Region) ledger.Address {
	if a, ok := feeContracts.Load(region); ok {
		return a.(ledger.Address)
	}
	a := ledger.ContractAddress(region, sha256.Sum256([]byte("peg fee contract")))
	feeContracts.Store(region, a)
	return a
}

// feeContracts keeps each region's fee contract address: every payment
// output and every coin the audit reads is compared with it, and deriving it
// takes two hashes.
var feeContracts sync.Map

// LoadFees reads the fee policy and schedule; nil when none is set.
func LoadFees(r Reader) *Fees {
	b := r.Get(keyFees)
	if b == nil {
		return nil
	}
	var f Fees
	decode(keyFees, b, &f)
	return &f
}

// LoadFeeAccount reads a's fee account; nil when it has none.
func LoadFeeAccount(r Reader, a ledger.Address) *fee.Account {
	k := feeAccountKey(a)
	b := r.Get(k)
	if b == nil {
		return nil
	}
	return decodeFeeAccount(k, b)
}

// LoadFeeTotals reads the fee contract's books; zero before any deposit.
func LoadFeeTotals(r Reader) FeeTotals {
	if b := r.Get(keyFeeTotals); b != nil {
		return decodeFeeTotals(keyFeeTotals, b)
	}
	return FeeTotals{}
}

// feeDue is a fee the transaction owes once it is accepted.
type feeDue struct {
	amount money.Amount
	acct   *fee.Account
	low    money.Amount
}

// feeDue finds the fee x's transaction owes and refuses it, before its own
// checks, when the signer's fee account cannot pay it now. It returns nil
// when nothing is owed: no schedule, or a kind the schedule does not price.
func (x *exec) feeDue() (*feeDue, *ledger.Rejection) {
	fees := x.fees()
	if fees == nil {
		return nil, nil
	}
	amount, ok := fees.Schedule.Of(x.tx.Msg.Kind(), outputs(x.tx.Msg))
	if !ok { // Validate ruled it out for up to tx.MaxOutputs, which the decoder enforces
		panic(fmt.Sprintf("state: the fee of %s with %d outputs overflows", x.tx.Msg.Kind(), outputs(x.tx.Msg)))
	}
	if amount.IsZero() {
		return nil, nil
	}
	signer := x.tx.Signer
	acct := LoadFeeAccount(x.w, signer)
	now := x.env.Time.UnixNano()
	if acct == nil {
		return nil, ledger.Reject(ledger.CodeFeeNoAccount, "%s costs a fee of %s and %s has no fee account; deposit into one with fee_deposit first",
			x.tx.Msg.Kind(), x.feeAmount(amount), signer)
	}
	if acct.Judge(now, fees.Policy.LowBalance) == fee.Expired {
		return nil, ledger.Reject(ledger.CodeFeeAccountExpired, "%s costs a fee of %s and every deposit of %s's fee account has expired; deposit again",
			x.tx.Msg.Kind(), x.feeAmount(amount), signer)
	}
	if avail := acct.Available(now); avail.Cmp(amount) < 0 {
		next := "nothing more will be released: deposit again"
		if t, ok := acct.NextRelease(now); ok {
			next = "more is released from " + time.Unix(0, t).UTC().Format(time.RFC3339Nano)
		}
		return nil, ledger.Reject(ledger.CodeFeeInsufficient, "%s costs a fee of %s; %s's fee account has %s available now; %s",
			x.tx.Msg.Kind(), x.feeAmount(amount), signer, x.feeAmount(avail), next)
	}
	return &feeDue{amount: amount, acct: acct, low: fees.Policy.LowBalance}, nil
}

// fees reads the fee policy and schedule, decoded once while its stored
// bytes stay the same (see TokenCache). The caller must not change it.
func (x *exec) fees() *Fees {
	b := x.w.Get(keyFees)
	if b == nil {
		return nil
	}
	c := x.env.Tokens
	if c != nil {
		if f := c.viewFees(b); f != nil {
			return f
		}
	}
	var f Fees
	decode(keyFees, b, &f)
	if c != nil {
		c.putFees(b, &f)
	}
	return &f
}

// feeAmount formats minor units of the fee token for a message: "0.04 GBPT".
func (x *exec) feeAmount(a money.Amount) string {
	tok := x.fees().Policy.Token
	if t := TokenByID(x.w, tok); t != nil {
		return t.Contract.FormatAmount(a) + " " + t.Contract.Symbol
	}
	return a.String() + " minor units of " + string(tok)
}

// outputs is how many coins a message creates for the schedule's per-output
// part: a payment's outputs.
func outputs(m tx.Msg) int {
	switch m := m.(type) {
	case tx.Pay:
		return len(m.Outputs)
	case tx.SpendFrom:
		return len(m.Outputs)
	}
	return 0
}

// chargeFee takes an accepted transaction's fee from the signer's fee
// account, in the order its grants expire, and adds it to the revenue.
func (x *exec) chargeFee(d *feeDue) {
	now := x.env.Time.UnixNano()
	totals := LoadFeeTotals(x.w)
	expired := d.acct.Expire(now)
	totals.Expired = mustAdd(totals.Expired, expired)
	if !d.acct.Charge(now, d.amount) {
		panic("state: a fee that feeDue found payable could not be charged")
	}
	totals.Spent = mustAdd(totals.Spent, d.amount)
	x.saveFeeAccount(x.tx.Signer, d.acct, d.low)
	x.w.Set(keyFeeTotals, encodeFeeTotals(totals))
	if !x.env.Check { // the receipt names the signer and the kind
		x.emit("fee.charged", "amount", d.amount.String())
		x.recordFee(d.acct, FeeEntry{Charged: d.amount, Expired: expired})
	}
}

// FeeEntry is one line of a fee account's history (S3.5): a deposit into
// the account or a fee charged to it, what expired as it was booked, and the
// account after it. Every change of an account's totals has its entry, so
// its entries sum to the account's deposited, spent and expired.
type FeeEntry struct {
	TxID      ledger.TxID
	Height    uint64
	Time      int64        // block time, Unix nanoseconds
	Kind      string       // the transaction's kind: fee_deposit for a deposit
	Deposited money.Amount // what a deposit granted
	Charged   money.Amount // the fee the transaction paid
	Expired   money.Amount // the unspent rest of the grants that ended before it
	Available money.Amount // available after it, at its block time
	Status    fee.Status   // the account's status after it
}

// recordFee writes the history entry of the transaction's change to the
// signer's fee account acct, already saved. Checks write none: no one reads
// a check's history.
func (x *exec) recordFee(acct *fee.Account, e FeeEntry) {
	now := x.env.Time.UnixNano()
	e.TxID, e.Height, e.Time, e.Kind = x.tx.ID, x.env.Height, now, x.tx.Msg.Kind()
	e.Available, e.Status = acct.Available(now), acct.Status
	x.w.Set(feeHistoryKey(x.tx.Signer, e.Height, e.TxID), encodeFeeEntry(e))
}

// FeeHistoryCursor is the length of a FeeHistory cursor: an entry's height
// (8 bytes) and transaction id.
const FeeHistoryCursor = 8 + ledger.HashSize

// FeeHistory lists a's fee history newest first: at most limit entries,
// older than the entry whose cursor is before (nil: from the newest). next
// is the cursor of the last entry listed when older ones remain, else nil.
func FeeHistory(s ReverseScanner, a ledger.Address, before []byte, limit int) (entries []FeeEntry, next []byte, err error) {
	prefix := feeHistoryPrefix(a)
	var from []byte
	if before != nil {
		from = cat(prefix, before)
	}
	err = s.ScanReverse(prefix, from, func(k, v []byte) bool {
		if len(entries) == limit {
			next = slices.Clone(entries[len(entries)-1].cursor())
			return false
		}
		entries = append(entries, decodeFeeEntry(k, v, len(prefix)))
		return true
	})
	return entries, next, err
}

// cursor is e's place in its account's history.
func (e FeeEntry) cursor() []byte {
	return append(binary.BigEndian.AppendUint64(make([]byte, 0, FeeHistoryCursor), e.Height), e.TxID[:]...)
}

// saveFeeAccount judges an account's status, emits its change, asserts its
// books and writes it.
func (x *exec) saveFeeAccount(a ledger.Address, acct *fee.Account, low money.Amount) {
	now := x.env.Time.UnixNano()
	if status := acct.Judge(now, low); status != acct.Status {
		x.emit("fee.status", "account", a.String(), "from", string(acct.Status), "to", string(status),
			"available", acct.Available(now).String())
		acct.Status = status
	}
	if err := acct.CheckBalance(); err != nil {
		panic("state: " + err.Error())
	}
	x.w.Set(feeAccountKey(a), encodeFeeAccount(acct))
}

// feeDeposit moves coins of the fee token into the fee contract as a grant to
// the signer's fee account (S3.1, S3.3, S3.4).
func (x *exec) feeDeposit(m tx.FeeDeposit) *ledger.Rejection {
	fees := x.fees()
	if fees == nil {
		return ledger.Reject(ledger.CodeFeeNotEnabled, "no fee policy is set: nothing is charged, and there is nothing to deposit into")
	}
	if m.Token != fees.Policy.Token {
		return ledger.Reject(ledger.CodeFeeWrongToken, "fees are deposited in %s, not %s", fees.Policy.Token, m.Token)
	}
	t, rej := x.loadToken(m.Token)
	if rej != nil {
		return rej
	}
	holder := x.tx.Signer
	if rej := x.movable(t, holder); rej != nil {
		return rej
	}
	coins, in, rej := x.inputs(t, holder, m.Inputs)
	if rej != nil {
		return rej
	}
	c := t.Contract
	if rej := c.CheckTransfer(m.Amount); rej != nil {
		return rej
	}
	validity, ok := fees.Policy.Validity(m.Amount)
	if !ok {
		return ledger.Reject(ledger.CodeFeeBelowMinimum, "a deposit of %s %s is below the smallest, %s %s",
			c.FormatAmount(m.Amount), c.Symbol, c.FormatAmount(fees.Policy.Tiers[0].MinDeposit), c.Symbol)
	}
	change, ok := in.Sub(m.Amount)
	if !ok {
		return ledger.Reject(ledger.CodeNotConserved, "inputs total %s %s, less than the %s to deposit",
			c.FormatAmount(in), c.Symbol, c.FormatAmount(m.Amount))
	}
	now := x.env.Time.UnixNano()
	acct := LoadFeeAccount(x.w, holder)
	if acct == nil {
		acct = &fee.Account{}
	}
	totals := LoadFeeTotals(x.w)
	totals.Token = fees.Policy.Token
	expired := acct.Expire(now)
	totals.Expired = mustAdd(totals.Expired, expired)
	if len(acct.Grants) >= fees.Policy.MaxGrants {
		return ledger.Reject(ledger.CodeFeeTooManyGrants, "%s's fee account holds %d live deposits, the most the policy allows; deposit again when one expires",
			holder, len(acct.Grants))
	}
	for _, coin := range coins {
		x.destroy(coin)
	}
	x.create(m.Token, 0, FeeContract(x.env.Region), m.Amount)
	if !change.IsZero() {
		x.create(m.Token, 1, holder, change)
	}
	g := fee.Grant{Deposit: x.tx.ID, Amount: m.Amount, Start: now, End: now + int64(validity)}
	acct.Deposit(g)
	totals.Deposited = mustAdd(totals.Deposited, m.Amount)
	x.saveFeeAccount(holder, acct, fees.Policy.LowBalance)
	x.w.Set(keyFeeTotals, encodeFeeTotals(totals))
	if !x.env.Check {
		x.recordFee(acct, FeeEntry{Deposited: m.Amount, Expired: expired})
	}
	x.emit("fee.deposited", "account", holder.String(), "token", string(m.Token), "amount", m.Amount.String(),
		"start", time.Unix(0, g.Start).UTC().Format(time.RFC3339Nano), "end", time.Unix(0, g.End).UTC().Format(time.RFC3339Nano))
	return nil
}

// setFeeSchedule replaces the fee policy and schedule. Operator only.
func (x *exec) setFeeSchedule(m tx.SetFeeSchedule) *ledger.Rejection {
	if rej := x.requireOperator(); rej != nil {
		return rej
	}
	f := Fees{Policy: m.Policy, Schedule: m.Schedule}
	if err := f.Validate(); err != nil {
		return ledger.Reject(ledger.CodeFeeSchedule, "%v", err)
	}
	if rej := x.home(f.Policy.Revenue, "revenue account"); rej != nil {
		return rej
	}
	tok := TokenByID(x.w, f.Policy.Token)
	if tok == nil {
		return ledger.Reject(ledger.CodeUnknownToken, "no token %q to pay fees in", f.Policy.Token)
	}
	unit := tok.Contract.MinUnit
	for _, k := range f.Schedule {
		if !k.Fixed.IsMultipleOf(unit) || !k.PerOutput.IsMultipleOf(unit) {
			return ledger.Reject(ledger.CodeFeeSchedule, "the fee of %s is not in multiples of %s's minimum unit %s, so its revenue could not be collected",
				k.Kind, tok.Contract.ID, tok.Contract.FormatAmount(unit))
		}
	}
	if totals := LoadFeeTotals(x.w); !totals.Deposited.IsZero() && totals.Token != f.Policy.Token {
		return ledger.Reject(ledger.CodeFeeSchedule, "fee accounts hold deposits of %s: the fee token cannot change to %s", totals.Token, f.Policy.Token)
	}
	x.w.Set(keyFees, encode(f))
	x.emit("fee.schedule", "token", string(f.Policy.Token), "revenue", f.Policy.Revenue.String(), "kinds", strconv.Itoa(len(f.Schedule)))
	return nil
}

// feeCollect moves collected fees from the fee contract's coins to the
// revenue account, which signs it.
func (x *exec) feeCollect(m tx.FeeCollect) *ledger.Rejection {
	fees := x.fees()
	if fees == nil {
		return ledger.Reject(ledger.CodeFeeNotEnabled, "no fee policy is set: there are no fees to collect")
	}
	revenue := fees.Policy.Revenue
	if x.tx.Signer != revenue {
		return ledger.Reject(ledger.CodeUnauthorized, "fees are collected by the revenue account %s; signer is %s", revenue, x.tx.Signer)
	}
	totals := LoadFeeTotals(x.w)
	t, rej := x.loadToken(totals.Token)
	if rej != nil {
		return rej
	}
	if rej := x.movable(t, revenue); rej != nil {
		return rej
	}
	contract := FeeContract(x.env.Region)
	coins, in, rej := x.inputs(t, contract, m.Inputs)
	if rej != nil {
		return rej
	}
	c := t.Contract
	if rej := c.CheckTransfer(m.Amount); rej != nil {
		return rej
	}
	if left := totals.Collectable(); m.Amount.Cmp(left) > 0 {
		return ledger.Reject(ledger.CodeFeeUncollectable, "%s %s is more than the %s %s of fees spent or expired and not yet collected",
			c.FormatAmount(m.Amount), c.Symbol, c.FormatAmount(left), c.Symbol)
	}
	change, ok := in.Sub(m.Amount)
	if !ok {
		return ledger.Reject(ledger.CodeNotConserved, "inputs total %s %s, less than the %s to collect",
			c.FormatAmount(in), c.Symbol, c.FormatAmount(m.Amount))
	}
	for _, coin := range coins {
		x.destroy(coin)
	}
	x.create(t.Contract.ID, 0, revenue, m.Amount)
	if !change.IsZero() {
		x.create(t.Contract.ID, 1, contract, change)
	}
	totals.Collected = mustAdd(totals.Collected, m.Amount)
	x.w.Set(keyFeeTotals, encodeFeeTotals(totals))
	x.emit("fee.collected", "account", revenue.String(), "token", string(t.Contract.ID), "amount", m.Amount.String())
	return nil
}

// earmarked refuses the fee contract as a payee, a mint's recipient or an
// account to freeze (and so to seize from): its coins are fee balances.
func (x *exec) earmarked(a ledger.Address) *ledger.Rejection {
	if a == FeeContract(x.env.Region) {
		return ledger.Reject(ledger.CodeFeeEarmarked, "%s is the fee contract: its coins are fee balances, which only fees may spend", a)
	}
	return nil
}
