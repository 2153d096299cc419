package demobank

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/pegledger/peg/internal/money"
	"github.com/pegledger/peg/internal/token"
)

// Field limits. Each protects a protocol the bank speaks: a longer value could
// not be carried by Open Banking or camt.053 without truncation.
const (
	// MaxAccountIDLen is Open Banking's AccountId (Max40Text).
	MaxAccountIDLen = 40
	// MaxNameLen is camt.053's account name (Max140Text).
	MaxNameLen = 140
	// MaxReferenceLen is camt.053's unstructured remittance information
	// (Max140Text), where a transaction's reference is exported.
	MaxReferenceLen = 140
	// MaxIdempotencyKeyLen bounds a client's idempotency key.
	MaxIdempotencyKeyLen = 64
	// MaxBalanceDigits is the most integer digits of a balance: Open Banking's
	// Amount pattern is ^\d{1,13}(\.\d{1,5})?$. A credit that would make a
	// balance longer is refused, so every balance can be answered.
	MaxBalanceDigits = 13
)

// Defaults used when an account is created without them.
const (
	// DefaultBIC is the demo bank's business identifier code (ISO 9362).
	DefaultBIC = "PEGBGB2L"
	// demoSortCode is the sort code of the GB IBANs the bank makes up.
	demoSortCode = "100000"
)

// Errors of the bank's operations. The admin API answers each with its own
// status and name, and the admin client maps them back, so callers on either
// side of HTTP may test for them with errors.Is.
var (
	ErrNotFound          = errors.New("demobank: no such account")
	ErrExists            = errors.New("demobank: account already exists")
	ErrInvalid           = errors.New("demobank: invalid request")
	ErrInsufficientFunds = errors.New("demobank: insufficient funds")
	ErrLimit             = errors.New("demobank: limit reached")
	ErrIdempotency       = errors.New("demobank: idempotency key reused for a different posting")
	ErrHistoryTruncated  = errors.New("demobank: history no longer kept")
)

// AccountID is an account's Open Banking AccountId: 1 to MaxAccountIDLen
// letters, digits, '.', '_' or '-'. It is a type of its own so that it cannot
// be swapped with an IBAN or a reference.
type AccountID string

// ParseAccountID validates s as an AccountID.
func ParseAccountID(s string) (AccountID, error) {
	if s == "" || len(s) > MaxAccountIDLen {
		return "", fmt.Errorf("%w: account id %q must have 1 to %d characters", ErrInvalid, clip(s), MaxAccountIDLen)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return "", fmt.Errorf("%w: account id %q may hold only letters, digits, '.', '_' and '-'", ErrInvalid, clip(s))
		}
	}
	return AccountID(s), nil
}

// Account is an account's identity and current balance.
type Account struct {
	ID       AccountID
	IBAN     string // ISO 13616, electronic format
	BIC      string // ISO 9362, of the bank that services the account
	Currency token.Currency
	Name     string // the holder's name; may be empty
	Balance  money.Amount
	Opened   time.Time
}

// Direction says whether a transaction adds money to an account or takes it.
type Direction string

// The two directions.
const (
	Credit Direction = "credit"
	Debit  Direction = "debit"
)

// Transaction is one booked credit or debit.
type Transaction struct {
	ID             string
	Time           time.Time
	Direction      Direction
	Amount         money.Amount // positive, in minor units of the account's currency
	Reference      string
	BalanceAfter   money.Amount
	IdempotencyKey string // as the poster gave it; may be empty
}

// NewAccount asks for an account. Every field but Currency may be empty: the
// bank then chooses the id, makes up a valid GB IBAN and uses DefaultBIC.
type NewAccount struct {
	ID       AccountID
	IBAN     string
	BIC      string
	Currency string // ISO 4217 code, upper case
	Name     string
}

// Posting asks to credit or debit an account. A posting with an
// IdempotencyKey that the account's kept history already holds is not booked
// again: the first transaction is the answer.
type Posting struct {
	Account        AccountID
	Direction      Direction
	Amount         money.Amount
	Reference      string
	IdempotencyKey string
}

// account is the bank's record of an account: the Account, its kept history
// (oldest first, at most MaxHistory transactions) and what is needed to answer
// for the past that is no longer kept. Records are never changed in place: a
// posting builds a new one, so that a failed write leaves memory as it was.
type account struct {
	Account
	history []Transaction
	// dropped counts the transactions dropped from the front of history, and
	// droppedThrough is the time of the latest of them.
	dropped        uint64
	droppedThrough time.Time
	// day is the UTC date ("2006-01-02") of the latest posting or of opening,
	// and dayOpen the balance when that day began: the closing booked balance
	// of the day before.
	day     string
	dayOpen money.Amount
}

func dayOf(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// closingBooked is the balance at the end of the last UTC day before now, and
// the instant that day ended.
func (a *account) closingBooked(now time.Time) (money.Amount, time.Time) {
	end := now.UTC().Truncate(24 * time.Hour)
	if a.day == dayOf(now) {
		return a.dayOpen, end
	}
	return a.Balance, end
}

// maxBalance is the largest balance of a currency: MaxBalanceDigits integer
// digits and the currency's minor unit.
func maxBalance(c token.Currency) money.Amount {
	p, ok := money.Pow10(MaxBalanceDigits + int(c.Digits))
	if !ok {
		panic("demobank: maximum balance overflows")
	}
	m, _ := p.Sub(money.FromUint64(1))
	return m
}

// findIdempotent returns the kept transaction posted under key, if any.
func (a *account) findIdempotent(key string) (Transaction, bool) {
	if key == "" {
		return Transaction{}, false
	}
	for i := len(a.history) - 1; i >= 0; i-- {
		if a.history[i].IdempotencyKey == key {
			return a.history[i], true
		}
	}
	return Transaction{}, false
}

// post computes the record after booking p as transaction id at time now. It
// does not change a. p must have passed checkPosting.
func (a *account) post(p Posting, id string, now time.Time, maxHistory int) (*account, Transaction, error) {
	if n := len(a.history); n > 0 && now.Before(a.history[n-1].Time) {
		now = a.history[n-1].Time // the clock stepped back: keep history in order
	}
	var bal money.Amount
	var ok bool
	switch p.Direction {
	case Credit:
		if bal, ok = a.Balance.Add(p.Amount); !ok || bal.Cmp(maxBalance(a.Currency)) > 0 {
			return nil, Transaction{}, fmt.Errorf("%w: crediting %s %s to account %s would make its balance longer than %d digits",
				ErrLimit, formatAmount(p.Amount, a.Currency), a.Currency.Code, a.ID, MaxBalanceDigits)
		}
	case Debit:
		if bal, ok = a.Balance.Sub(p.Amount); !ok {
			return nil, Transaction{}, fmt.Errorf("%w: debit of %s %s from account %s refused: the balance is %s %s and accounts may not go below zero",
				ErrInsufficientFunds, formatAmount(p.Amount, a.Currency), a.Currency.Code, a.ID, formatAmount(a.Balance, a.Currency), a.Currency.Code)
		}
	default:
		panic(fmt.Sprintf("demobank: posting with direction %q", p.Direction))
	}
	tx := Transaction{ID: id, Time: now, Direction: p.Direction, Amount: p.Amount,
		Reference: p.Reference, BalanceAfter: bal, IdempotencyKey: p.IdempotencyKey}
	next := *a
	next.Balance = bal
	if d := dayOf(now); d != a.day {
		next.day, next.dayOpen = d, a.Balance
	}
	hist := a.history
	if len(hist) >= maxHistory {
		drop := len(hist) - maxHistory + 1
		next.dropped += uint64(drop)
		next.droppedThrough = hist[drop-1].Time
		hist = hist[drop:]
	}
	next.history = append(hist[:len(hist):len(hist)], tx) // always a new array: a's stays as it was
	return &next, tx, nil
}

// checkInvariants panics unless a's balance is what its kept history says.
// It runs when a record is built and again when one is read from disk (where
// the failure is an error: see decodeAccount).
func (a *account) checkInvariants() {
	if err := a.check(); err != nil {
		panic(err)
	}
}

// check reports the first broken invariant of a: each transaction's balance
// after follows from the one before, the last is the balance, the balance is
// within bounds and times never go back.
func (a *account) check() error {
	if a.Balance.Cmp(maxBalance(a.Currency)) > 0 {
		return fmt.Errorf("demobank: account %s: balance %s exceeds %d digits", a.ID, a.Balance, MaxBalanceDigits)
	}
	if len(a.history) == 0 {
		if a.dropped > 0 {
			return fmt.Errorf("demobank: account %s: %d transactions dropped but none kept", a.ID, a.dropped)
		}
		if !a.Balance.IsZero() {
			return fmt.Errorf("demobank: account %s: balance %s without transactions", a.ID, a.Balance)
		}
		return nil
	}
	before, ok := balanceBefore(a.history[0])
	if !ok || (a.dropped == 0 && !before.IsZero()) {
		return fmt.Errorf("demobank: account %s: first kept transaction %s does not follow from its history", a.ID, a.history[0].ID)
	}
	last := a.droppedThrough
	for _, tx := range a.history {
		after, ok := applyTx(before, tx)
		if !ok || after != tx.BalanceAfter || tx.Amount.IsZero() {
			return fmt.Errorf("demobank: account %s: transaction %s: balance after %s does not follow from %s", a.ID, tx.ID, tx.BalanceAfter, before)
		}
		if tx.Time.Before(last) {
			return fmt.Errorf("demobank: account %s: transaction %s is older than the one before it", a.ID, tx.ID)
		}
		before, last = after, tx.Time
	}
	if before != a.Balance {
		return fmt.Errorf("demobank: account %s: balance %s but history ends at %s", a.ID, a.Balance, before)
	}
	return nil
}

// balanceBefore is the balance just before tx was booked.
func balanceBefore(tx Transaction) (money.Amount, bool) {
	if tx.Direction == Credit {
		return tx.BalanceAfter.Sub(tx.Amount)
	}
	return tx.BalanceAfter.Add(tx.Amount)
}

// applyTx books tx onto balance b.
func applyTx(b money.Amount, tx Transaction) (money.Amount, bool) {
	switch tx.Direction {
	case Credit:
		return b.Add(tx.Amount)
	case Debit:
		return b.Sub(tx.Amount)
	}
	return money.Amount{}, false
}

// checkNewAccount validates na's fields that it gives; defaults are filled in
// by the caller.
func checkNewAccount(na NewAccount) (token.Currency, error) {
	if na.ID != "" {
		if _, err := ParseAccountID(string(na.ID)); err != nil {
			return token.Currency{}, err
		}
	}
	cur, ok := token.LookupCurrency(na.Currency)
	if !ok {
		return token.Currency{}, fmt.Errorf("%w: currency %q is not an ISO 4217 code with a minor unit (upper case, e.g. USD)", ErrInvalid, clip(na.Currency))
	}
	if na.IBAN != "" {
		if err := token.CheckIBAN(na.IBAN); err != nil {
			return token.Currency{}, fmt.Errorf("%w: %v", ErrInvalid, err)
		}
	}
	if na.BIC != "" {
		if err := token.CheckBIC(na.BIC); err != nil {
			return token.Currency{}, fmt.Errorf("%w: %v", ErrInvalid, err)
		}
	}
	if err := checkText("name", na.Name, MaxNameLen); err != nil {
		return token.Currency{}, err
	}
	return cur, nil
}

// checkPosting validates p's fields.
func checkPosting(p Posting) error {
	if p.Direction != Credit && p.Direction != Debit {
		return fmt.Errorf("%w: direction %q is neither credit nor debit", ErrInvalid, clip(string(p.Direction)))
	}
	if p.Amount.IsZero() {
		return fmt.Errorf("%w: the amount of a %s must be positive", ErrInvalid, p.Direction)
	}
	if err := checkText("reference", p.Reference, MaxReferenceLen); err != nil {
		return err
	}
	return checkText("idempotency key", p.IdempotencyKey, MaxIdempotencyKeyLen)
}

// checkText refuses text that is too long or that XML and terminals cannot
// carry faithfully: invalid UTF-8 and control characters.
func checkText(what, s string, max int) error {
	if len(s) > max {
		return fmt.Errorf("%w: %s has %d bytes; at most %d are allowed", ErrInvalid, what, len(s), max)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("%w: %s is not valid UTF-8", ErrInvalid, what)
	}
	if strings.IndexFunc(s, unicode.IsControl) >= 0 {
		return fmt.Errorf("%w: %s %q contains a control character", ErrInvalid, what, s)
	}
	return nil
}

// makeIBAN makes up a valid GB IBAN for account number n at the bank whose
// BIC is bic: GBkk, the BIC's 4-letter bank code, demoSortCode and n in 8
// digits.
func makeIBAN(bic string, n uint64) string {
	bban := fmt.Sprintf("%s%s%08d", bic[:4], demoSortCode, n%100_000_000)
	check := 98 - mod97(bban+"GB00")
	return fmt.Sprintf("GB%02d%s", check, bban)
}

// mod97 is ISO 7064 MOD 97-10 over upper-case letters and digits.
func mod97(s string) int {
	r := 0
	for i := 0; i < len(s); i++ {
		if c := s[i]; '0' <= c && c <= '9' {
			r = (r*10 + int(c-'0')) % 97
		} else {
			r = (r*100 + int(c-'A') + 10) % 97
		}
	}
	return r
}

// formatAmount renders a with exactly the currency's number of decimals, as
// Open Banking and camt.053 carry amounts: 1250 GBP is "12.50", 5 JPY is "5".
func formatAmount(a money.Amount, c token.Currency) string {
	s := a.Format(c.Digits)
	if c.Digits == 0 {
		return s
	}
	whole, frac, _ := strings.Cut(s, ".")
	return whole + "." + frac + strings.Repeat("0", int(c.Digits)-len(frac))
}

// FormatAmount renders a in the account's currency with exactly its decimals.
func (a Account) FormatAmount(x money.Amount) string { return formatAmount(x, a.Currency) }

// ParseAmount parses a decimal string in the account's currency, refusing
// more decimals than the currency has.
func (a Account) ParseAmount(s string) (money.Amount, error) {
	x, err := money.Parse(s, a.Currency.Digits)
	if err != nil {
		return money.Amount{}, fmt.Errorf("%w: amount in %s (%d decimals): %v", ErrInvalid, a.Currency.Code, a.Currency.Digits, err)
	}
	return x, nil
}

// clip shortens s for an error message, so that a hostile input cannot make
// the message huge.
func clip(s string) string {
	const max = 48
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
}
