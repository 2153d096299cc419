// Package credit owns the rules of credit payments (S4): a credit node's
// parameters, a payer's record with a node (open debts, repayments), a
// payee's record of what it was paid on credit, the node's limit for a payer,
// and the checks of a payment against the payee's credit line and the node's
// limit. It is pure: block time comes in as Unix nanoseconds, nothing is read
// or written; internal/state sequences the checks and keeps the records.
//
// The node's limit for a payer at block time t (documented with a worked
// example in docs/transactions.md):
//
//	0                                                   if the payer is in default
//	min(Cap, Base + OnTime×RepaidPermille/1000
//	             + Volume×VolumePermille/1000
//	             − Late×LatePermille/1000)              otherwise (never below 0)
//
// where OnTime and Late are the amounts the payer repaid to the node on or
// before, and after, each debt's due date within the window (t − Window, t],
// Volume is what the payee was paid on credit by the node within the window,
// and a payer is in default while any of its debts is unpaid past its due
// date plus Grace; repaying that debt in full cures it. A limit the node
// granted on the payer's request for an increase replaces the formula's
// while it is higher and has not expired, still within the cap and still
// zero in default.
package credit

import (
	"fmt"
	"slices"
	"time"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
)

// Limits on a node's parameters and records.
const (
	// MaxWindow bounds the window repayments and volume are counted over.
	MaxWindow = 366 * 24 * time.Hour
	// MaxTerm bounds how long after payment a debt falls due.
	MaxTerm = 366 * 24 * time.Hour
	// MaxGrace bounds how long past due a debt may be before it is a default.
	MaxGrace = 90 * 24 * time.Hour
	// MaxDeadline bounds how far ahead of block time a request's deadline
	// for the payee's confirmation may be.
	MaxDeadline = 30 * 24 * time.Hour
	// MaxOpenDebts bounds a payer's open debts with one node: a record is
	// read and written whole on every step.
	MaxOpenDebts = 64
	// MaxEntries bounds the repayments (or receipts) a record keeps for the
	// window; past it the oldest is dropped, which can only lower a limit.
	MaxEntries = 128
	// MaxDescriptionLen bounds the description of a request's object of trade.
	MaxDescriptionLen = 256
	// CrossMargin is how long after its deadline a cross-region request
	// still holds its reservation against the node's limit on the payer's
	// region (S4.1): the payee's region judges the deadline by its own
	// block time, which may run ahead of or behind this one, and the proof
	// of the payment takes a relayer's pass to arrive. A payment proven
	// later is still recorded as a debt.
	CrossMargin = time.Hour
)

// Params are a node's rules, set by the operator when it registers the node.
type Params struct {
	Cap            money.Amount  `json:"cap"`
	Base           money.Amount  `json:"base"`
	RepaidPermille uint32        `json:"repaid_permille"`
	VolumePermille uint32        `json:"volume_permille"`
	LatePermille   uint32        `json:"late_permille"`
	Window         time.Duration `json:"window"`
	Term           time.Duration `json:"term"`
	Grace          time.Duration `json:"grace"`
}

// Validate checks the parameters: a cap above zero and a base within it,
// shares of at most 1000 per mille, window and term from one hour to
// MaxWindow and MaxTerm, grace up to MaxGrace.
func (p Params) Validate() error {
	switch {
	case p.Cap.IsZero():
		return fmt.Errorf("credit: cap must be above zero")
	case p.Base.Cmp(p.Cap) > 0:
		return fmt.Errorf("credit: base %s is above the cap %s", p.Base, p.Cap)
	case p.RepaidPermille > 1000 || p.VolumePermille > 1000 || p.LatePermille > 1000:
		return fmt.Errorf("credit: shares are at most 1000 per mille")
	case p.Window < time.Hour || p.Window > MaxWindow:
		return fmt.Errorf("credit: window %s must be 1h to %s", p.Window, MaxWindow)
	case p.Term < time.Hour || p.Term > MaxTerm:
		return fmt.Errorf("credit: term %s must be 1h to %s", p.Term, MaxTerm)
	case p.Grace < 0 || p.Grace > MaxGrace:
		return fmt.Errorf("credit: grace %s must be 0 to %s", p.Grace, MaxGrace)
	}
	return nil
}

// Debt is a credit payment not yet repaid in full.
type Debt struct {
	Request ledger.TxID  `json:"request"`
	Due     int64        `json:"due"`
	Owed    money.Amount `json:"owed"`
}

// Entry is an amount booked at a block time: a repayment (Late if after its
// debt's due date) or a payment received on credit.
type Entry struct {
	Time   int64        `json:"time"`
	Amount money.Amount `json:"amount"`
	Late   bool         `json:"late,omitempty"`
}

// Record is a payer's record with one node.
type Record struct {
	Debts  []Debt  `json:"debts"`
	Repaid []Entry `json:"repaid"`
	// Grant is the limit the node last granted on a request for an
	// increase, if any (S4.10).
	Grant *Grant `json:"grant,omitempty"`
	// Reserved holds the payer's cross-region requests not yet proven
	// paid: each holds its amount against the node's limit until Until.
	Reserved []Reservation `json:"reserved,omitempty"`
}

// Reservation is a cross-region request's amount held against the node's
// limit on the payer's region, from the request until its payment is
// proven there or block time passes Until (its deadline + CrossMargin).
type Reservation struct {
	Request ledger.TxID  `json:"request"`
	Amount  money.Amount `json:"amount"`
	Until   int64        `json:"until"`
}

// Grant is a limit a node granted a payer, until Expiry (block time, Unix
// nanoseconds). It is at most the node's cap.
type Grant struct {
	Limit  money.Amount `json:"limit"`
	Expiry int64        `json:"expiry"`
}

// Owed is what the payer owes the node now.
func (r *Record) Owed() money.Amount {
	var sum money.Amount
	for _, d := range r.Debts {
		sum = mustAdd(sum, d.Owed)
	}
	return sum
}

// ReservedAt is what the payer's reservations still hold at now.
func (r *Record) ReservedAt(now int64) money.Amount {
	var sum money.Amount
	for _, v := range r.Reserved {
		if now <= v.Until {
			sum = mustAdd(sum, v.Amount)
		}
	}
	return sum
}

// OpenAt counts the payer's open debts and the reservations that hold at
// now: together at most MaxOpenDebts.
func (r *Record) OpenAt(now int64) int {
	n := len(r.Debts)
	for _, v := range r.Reserved {
		if now <= v.Until {
			n++
		}
	}
	return n
}

// Reserve holds amount for request until until, dropping the reservations
// that no longer hold at now.
func (r *Record) Reserve(request ledger.TxID, amount money.Amount, until, now int64) {
	r.Reserved = slices.DeleteFunc(r.Reserved, func(v Reservation) bool { return now > v.Until })
	r.Reserved = append(r.Reserved, Reservation{Request: request, Amount: amount, Until: until})
}

// Release drops request's reservation, if it is still there.
func (r *Record) Release(request ledger.TxID) {
	r.Reserved = slices.DeleteFunc(r.Reserved, func(v Reservation) bool { return v.Request == request })
}

// Defaulted reports whether a debt is unpaid past its due date plus grace at
// now, and which.
func (r *Record) Defaulted(p Params, now int64) (Debt, bool) {
	for _, d := range r.Debts {
		if now > d.Due+int64(p.Grace) {
			return d, true
		}
	}
	return Debt{}, false
}

// Borrow records a debt of amount for request, due at due.
func (r *Record) Borrow(request ledger.TxID, due int64, amount money.Amount) {
	r.Debts = append(r.Debts, Debt{Request: request, Due: due, Owed: amount})
}

// Debt returns the open debt of request, and false if there is none.
func (r *Record) Debt(request ledger.TxID) (Debt, bool) {
	i := slices.IndexFunc(r.Debts, func(d Debt) bool { return d.Request == request })
	if i < 0 {
		return Debt{}, false
	}
	return r.Debts[i], true
}

// Repay books amount, at most what request's debt owes, against it at now:
// it returns what the debt still owes and whether the repayment was late.
// A debt repaid in full leaves the record. The window's entries older than
// now − window are dropped.
func (r *Record) Repay(request ledger.TxID, amount money.Amount, now int64, window time.Duration) (rest money.Amount, late bool) {
	i := slices.IndexFunc(r.Debts, func(d Debt) bool { return d.Request == request })
	if i < 0 {
		panic(fmt.Sprintf("credit: repaying %s, which is not an open debt", request))
	}
	d := &r.Debts[i]
	rest, ok := d.Owed.Sub(amount)
	if !ok {
		panic(fmt.Sprintf("credit: repaying %s of a debt of %s", amount, d.Owed))
	}
	late = now > d.Due
	d.Owed = rest
	if rest.IsZero() {
		r.Debts = slices.Delete(r.Debts, i, i+1)
	}
	r.Repaid = Book(r.Repaid, Entry{Time: now, Amount: amount, Late: late}, now, window)
	return rest, late
}

// Book appends e to entries, dropping those outside the window (t − window,
// t] and, past MaxEntries, the oldest.
func Book(entries []Entry, e Entry, now int64, window time.Duration) []Entry {
	entries = Within(entries, now, window)
	entries = append(entries, e)
	if len(entries) > MaxEntries {
		entries = entries[len(entries)-MaxEntries:]
	}
	return entries
}

// Within is the entries inside the window (now − window, now].
func Within(entries []Entry, now int64, window time.Duration) []Entry {
	from := now - int64(window)
	i := slices.IndexFunc(entries, func(e Entry) bool { return e.Time > from })
	if i < 0 {
		return entries[:0:0]
	}
	return entries[i:]
}

// Limit is the node's credit amount for a payer at now: see the package
// comment, raised to the payer's grant while it has not expired (never
// above the cap, and zero in default all the same). volume is the payee's
// record of what it was paid on credit.
func Limit(p Params, r *Record, volume []Entry, now int64) money.Amount {
	if _, ok := r.Defaulted(p, now); ok {
		return money.Amount{}
	}
	var onTime, late, vol money.Amount
	for _, e := range Within(r.Repaid, now, p.Window) {
		if e.Late {
			late = saturatingAdd(late, e.Amount)
		} else {
			onTime = saturatingAdd(onTime, e.Amount)
		}
	}
	for _, e := range Within(volume, now, p.Window) {
		vol = saturatingAdd(vol, e.Amount)
	}
	l := saturatingAdd(p.Base, onTime.MulDiv64(uint64(p.RepaidPermille), 1000))
	l = saturatingAdd(l, vol.MulDiv64(uint64(p.VolumePermille), 1000))
	l, ok := l.Sub(late.MulDiv64(uint64(p.LatePermille), 1000))
	if !ok {
		l = money.Amount{}
	}
	if g := r.Grant; g != nil && now < g.Expiry && g.Limit.Cmp(l) > 0 {
		l = g.Limit
	}
	if l.Cmp(p.Cap) > 0 {
		return p.Cap
	}
	return l
}

// Check judges a payment of amount against the payee's line for the payer
// (net of lineOwed, what the payer owes on it) and the node's limit (net of
// owed, what the payer owes the node): CREDIT_OVER_LINE or
// CREDIT_OVER_NODE_LIMIT, saying by how much, in that order.
func Check(amount, line, lineOwed, limit, owed money.Amount, format func(money.Amount) string) *ledger.Rejection {
	if rej := CheckLine(amount, line, lineOwed, format); rej != nil {
		return rej
	}
	return CheckLimit(amount, limit, owed, format)
}

// CheckLine judges a payment of amount against the payee's line for the
// payer, net of lineOwed: CREDIT_OVER_LINE, saying by how much.
func CheckLine(amount, line, lineOwed money.Amount, format func(money.Amount) string) *ledger.Rejection {
	if over, ok := overBy(amount, line, lineOwed); ok {
		return ledger.Reject(ledger.CodeCreditOverLine, "%s is over the payee's credit line by %s: the line is %s and the payer owes %s on it",
			format(amount), format(over), format(line), format(lineOwed))
	}
	return nil
}

// CheckLimit judges a payment of amount against the node's limit, net of
// owed (what the payer owes the node, and on the payer's region what its
// cross-region requests hold): CREDIT_OVER_NODE_LIMIT, saying by how much.
func CheckLimit(amount, limit, owed money.Amount, format func(money.Amount) string) *ledger.Rejection {
	if over, ok := overBy(amount, limit, owed); ok {
		return ledger.Reject(ledger.CodeCreditOverNodeLimit, "%s is over the node's credit amount by %s: the node grants %s and the payer owes it %s",
			format(amount), format(over), format(limit), format(owed))
	}
	return nil
}

// overBy reports by how much owed + amount passes limit.
func overBy(amount, limit, owed money.Amount) (money.Amount, bool) {
	total := saturatingAdd(owed, amount)
	over, ok := total.Sub(limit)
	return over, ok && !over.IsZero()
}

func saturatingAdd(a, b money.Amount) money.Amount {
	s, ok := a.Add(b)
	if !ok {
		return money.Max
	}
	return s
}

func mustAdd(a, b money.Amount) money.Amount {
	s, ok := a.Add(b)
	if !ok {
		panic(fmt.Sprintf("credit: %s + %s overflows", a, b))
	}
	return s
}
