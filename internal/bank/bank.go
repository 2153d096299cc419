// Package bank owns the connectors that read a reserve account's balance from
// the bank that holds it (S0.3): UK Open Banking account information, Berlin
// Group NextGenPSD2, and ISO 20022 camt.052/camt.053 files dropped into a
// directory. Each turns one bank answer into one exact, validated Balance, or
// a specific error; it is the edge where bank data is checked, so the reserve
// monitor can trust what it gets.
//
// What every connector checks, whatever the protocol:
//   - the answer is for the configured account and in the configured currency,
//     every entry of it, not only the one used;
//   - amounts are decimal strings parsed exactly (money.Parse with the
//     currency's ISO 4217 minor digits): no floats, no rounding, and more
//     decimals than the currency has is an error, even trailing zeros;
//   - each balance type appears at most once; the balance used is the first
//     configured preferred type the answer holds;
//   - credit lines are never counted as reserve: where a bank says a credit
//     line is included in a balance, its amount is subtracted;
//   - a balance below zero is never a Balance: it is a *NegativeError
//     (errors.Is(err, ErrNegative)) that carries how far below zero it is;
//   - every read is bounded in size and time, and a balance dated further
//     in the future than MaxClockSkew is refused.
//
// Connectors do I/O and read the wall clock; nothing here runs in consensus.
package bank

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/pegledger/peg/internal/money"
	"github.com/pegledger/peg/internal/token"
)

// Balance is a bank's answer about one account, exact and validated.
type Balance struct {
	Account  string       // the account identifier the bank answered for
	Amount   money.Amount // in minor units of Currency; never negative (see NegativeError)
	Currency string       // ISO 4217
	Type     string       // the balance type used, e.g. "InterimAvailable", "closingBooked", "CLBD"
	Time     time.Time    // the bank's timestamp of the balance
	Raw      []byte       // the bank's raw answer, for hashing into an attestation
}

// Connector reads one account's balance from one bank.
type Connector interface {
	// Balance asks the bank once. Errors wrap the sentinels below, so a
	// caller can tell a bank that is down from an answer it must not trust.
	Balance(ctx context.Context) (Balance, error)
	// Name identifies the bank and account in logs and metrics.
	Name() string
}

// Errors a caller may branch on with errors.Is. Every error a connector
// returns wraps exactly one of them (a timeout also wraps
// context.DeadlineExceeded; an amount with too many decimals also wraps
// money.ErrPrecision).
var (
	// ErrUnavailable: the bank could not be asked or did not answer: connection
	// refused, TLS failure, timeout, HTTP 5xx, 408 or 429, an unreadable
	// statement directory. Worth retrying later.
	ErrUnavailable = errors.New("bank unavailable")
	// ErrRefused: the bank answered with an HTTP status other than 200 that is
	// not a transient failure (401, 403, 404, a redirect …): credentials,
	// certificates or consent need attention; retrying will not help.
	ErrRefused = errors.New("refused by the bank")
	// ErrMalformed: the answer is not what the protocol says: not JSON or
	// XML, wrong structure, an amount that is not a plain decimal or has more
	// decimals than the currency, a duplicated balance type, a bad date, an
	// oversized body.
	ErrMalformed = errors.New("malformed bank answer")
	// ErrWrongAccount: the answer is about another account.
	ErrWrongAccount = errors.New("wrong account")
	// ErrWrongCurrency: the answer, or one of its balances, is in another
	// currency.
	ErrWrongCurrency = errors.New("wrong currency")
	// ErrNoBalance: the answer holds no balance of any preferred type.
	ErrNoBalance = errors.New("no balance of a preferred type")
	// ErrNegative: the balance used is below zero. The error is a
	// *NegativeError.
	ErrNegative = errors.New("negative balance")
)

// NegativeError reports that the account's balance is below zero: overdrawn,
// or negative once an included credit line is taken out. It is an error, not
// a Balance, so that a reserve below zero can never be read as a positive
// number; a caller that wants to attest it (as zero, or as a shortfall) finds
// everything here, including the raw answer.
type NegativeError struct {
	Account   string
	Currency  string
	Type      string
	Time      time.Time
	Overdrawn money.Amount // how far below zero, in minor units: the balance is −Overdrawn
	Raw       []byte
	origin    string
	digits    uint8
}

func (e *NegativeError) Error() string {
	return fmt.Sprintf("bank: %s: %s balance of account %s is -%s %s: %v",
		e.origin, e.Type, e.Account, e.Overdrawn.Format(e.digits), e.Currency, ErrNegative)
}

// Unwrap makes errors.Is(err, ErrNegative) true.
func (e *NegativeError) Unwrap() error { return ErrNegative }

// Limits shared by the connectors. A config field left zero takes the
// default named here; a value above the ceiling is refused by Validate.
const (
	// DefaultMaxResponseBytes bounds a bank's HTTP answer, protecting memory
	// from a broken or hostile server. A balances answer is a few kilobytes.
	DefaultMaxResponseBytes = 1 << 20
	// MaxResponseBytesCeiling is the largest MaxResponseBytes a config may set.
	MaxResponseBytesCeiling = 64 << 20
	// DefaultTimeout bounds one Balance call, token request included, so a
	// slow bank cannot stall the monitor.
	DefaultTimeout = 30 * time.Second
	// MaxTimeoutCeiling is the longest Timeout a config may set.
	MaxTimeoutCeiling = 5 * time.Minute
	// MaxClockSkew is how far past the local clock a balance or statement
	// may be dated. Attestations are never older than the previous one, so a
	// single far-future date would block every later reading.
	MaxClockSkew = 15 * time.Minute
	// MaxPreferredTypes bounds a preferred balance type list.
	MaxPreferredTypes = 16
	// MaxAccountLen bounds a configured account identifier: the longest
	// account identifier (IBAN, Other) that ISO 20022 and SWIFT carry.
	MaxAccountLen = 34
	// MaxResourceIDLen bounds an API account resource id (Open Banking
	// AccountId is Max40Text; Berlin Group resource ids are UUIDs).
	MaxResourceIDLen = 100
)

// Known balance types, per protocol; configured preferences must use them.
var (
	openBankingTypes = []string{
		"ClosingAvailable", "ClosingBooked", "ClosingCleared", "Expected", "ForwardAvailable",
		"Information", "InterimAvailable", "InterimBooked", "InterimCleared", "OpeningAvailable",
		"OpeningBooked", "OpeningCleared", "PreviouslyClosedBooked",
	}
	berlinGroupTypes = []string{
		"closingBooked", "expected", "authorised", "openingBooked", "interimAvailable",
		"interimBooked", "forwardAvailable", "nonInvoiced",
	}
	camtCodes = []string{"OPAV", "ITAV", "CLAV", "FWAV", "CLBD", "ITBD", "OPBD", "PRCD", "XPCD", "INFO"}
)

// checkTypes validates a preferred type list against the protocol's known
// types. An empty list means the protocol's default.
func checkTypes(field string, types, known []string) error {
	if len(types) > MaxPreferredTypes {
		return fmt.Errorf("%s lists %d types; at most %d", field, len(types), MaxPreferredTypes)
	}
	for i, t := range types {
		if !slices.Contains(known, t) {
			return fmt.Errorf("%s: %q is not a balance type; known are %s", field, clip(t), strings.Join(known, ", "))
		}
		if slices.Contains(types[:i], t) {
			return fmt.Errorf("%s lists %q twice", field, t)
		}
	}
	return nil
}

// checkCurrency validates an ISO 4217 code and returns its minor digits.
func checkCurrency(code string) (token.Currency, error) {
	c, ok := token.LookupCurrency(code)
	if !ok {
		return token.Currency{}, fmt.Errorf("currency %q is not an ISO 4217 code with a minor unit", clip(code))
	}
	return c, nil
}

// checkIdent validates an identifier from config: present, bounded, printable,
// no surrounding spaces.
func checkIdent(field, s string, maxLen int) error {
	switch {
	case s == "":
		return fmt.Errorf("%s is required", field)
	case len(s) > maxLen:
		return fmt.Errorf("%s has %d characters; at most %d", field, len(s), maxLen)
	case strings.TrimSpace(s) != s:
		return fmt.Errorf("%s %q starts or ends with a space", field, s)
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return fmt.Errorf("%s %q contains a non-printable character", field, s)
		}
	}
	return nil
}

// checkLimits validates the timeout and size limit of an HTTP connector.
func checkLimits(timeout time.Duration, maxBytes int64) error {
	if timeout < 0 || timeout > MaxTimeoutCeiling {
		return fmt.Errorf("timeout %v is outside 0 (default %v) to %v", timeout, DefaultTimeout, MaxTimeoutCeiling)
	}
	if maxBytes < 0 || maxBytes > MaxResponseBytesCeiling {
		return fmt.Errorf("MaxResponseBytes %d is outside 0 (default %d) to %d", maxBytes, DefaultMaxResponseBytes, MaxResponseBytesCeiling)
	}
	return nil
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

func orDefaultSlice(v, def []string) []string {
	if len(v) == 0 {
		return def
	}
	return v
}

// signed is a balance with its sign, before it becomes a Balance or a
// NegativeError. Zero is never negative.
type signed struct {
	neg bool
	mag money.Amount
}

// minus returns s − x, or false on overflow.
func (s signed) minus(x money.Amount) (signed, bool) {
	if s.neg {
		m, ok := s.mag.Add(x)
		return signed{neg: true, mag: m}, ok
	}
	if m, ok := s.mag.Sub(x); ok {
		return signed{mag: m}, true
	}
	m, _ := x.Sub(s.mag)
	return signed{neg: true, mag: m}, true
}

// parseAmount reads an unsigned plain decimal ("1234.50") as minor units of
// cur: signs, exponents, separators, spaces and more decimals than the
// currency has are all errors wrapping ErrMalformed.
func parseAmount(s string, cur token.Currency) (money.Amount, error) {
	a, err := money.Parse(s, cur.Digits)
	if err != nil {
		return money.Amount{}, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return a, nil
}

// parseUnsigned is parseAmount for protocols that carry the sign in a
// credit/debit indicator, saying so when the bank put a sign in the amount.
func parseUnsigned(s string, cur token.Currency) (money.Amount, error) {
	a, err := parseAmount(s, cur)
	if err != nil && (strings.HasPrefix(s, "-") || strings.HasPrefix(s, "+")) {
		return a, fmt.Errorf("amount %q carries a sign; the protocol puts it in the credit/debit indicator: %w", clip(s), err)
	}
	if err != nil {
		return a, fmt.Errorf("amount %q: %w", clip(s), err)
	}
	return a, nil
}

// creditDebit applies a credit/debit indicator to an unsigned amount.
func creditDebit(mag money.Amount, credit bool) signed {
	return signed{neg: !credit && !mag.IsZero(), mag: mag}
}

// entry is one balance of an answer, decoded and checked, before selection.
type entry struct {
	typ   string // the balance type as the answer names it
	key   string // what must be unique in the answer: typ, plus qualifiers
	value signed // credit lines already taken out
	time  time.Time
	use   bool // false for balances that can never be a reserve reading
}

// choose returns the entry of the first preferred type present. Duplicated
// keys are an error even for types that are not preferred: an answer that
// states one balance twice is not an answer to trust.
func choose(entries []entry, prefs []string) (entry, error) {
	seen := make(map[string]bool, len(entries))
	for _, e := range entries {
		if seen[e.key] {
			return entry{}, fmt.Errorf("balance type %s appears more than once: %w", e.key, ErrMalformed)
		}
		seen[e.key] = true
	}
	for _, p := range prefs {
		for _, e := range entries {
			if e.use && e.typ == p {
				return e, nil
			}
		}
	}
	have := make([]string, 0, len(entries))
	for _, e := range entries {
		have = append(have, e.key)
	}
	if len(have) == 0 {
		return entry{}, fmt.Errorf("the answer holds no balances: %w", ErrNoBalance)
	}
	return entry{}, fmt.Errorf("want one of %s, the answer has %s: %w",
		strings.Join(prefs, ", "), strings.Join(have, ", "), ErrNoBalance)
}

// notFuture refuses a balance dated further ahead of now than MaxClockSkew.
func notFuture(e entry, now time.Time) error {
	if e.time.After(now.Add(MaxClockSkew)) {
		return fmt.Errorf("%s balance is dated %s, more than %v ahead of this machine's clock: %w",
			e.typ, e.time.Format(time.RFC3339), MaxClockSkew, ErrMalformed)
	}
	return nil
}

// answer turns a chosen entry into a Balance, or a *NegativeError when it is
// below zero.
func answer(origin, account string, cur token.Currency, e entry, raw []byte) (Balance, error) {
	if e.value.neg {
		return Balance{}, &NegativeError{
			Account: account, Currency: cur.Code, Type: e.typ, Time: e.time,
			Overdrawn: e.value.mag, Raw: raw, origin: origin, digits: cur.Digits,
		}
	}
	return Balance{
		Account: account, Amount: e.value.mag, Currency: cur.Code, Type: e.typ, Time: e.time, Raw: raw,
	}, nil
}

// parseDateTime reads an ISO 8601 date-time. With zoneRequired false, one
// without an offset is read as UTC.
func parseDateTime(s string, zoneRequired bool) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if !zoneRequired {
		if t, err := time.Parse("2006-01-02T15:04:05.999999999", s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("date-time %q is not ISO 8601 (2006-01-02T15:04:05+01:00): %w", clip(s), ErrMalformed)
}

// parseDate reads an ISO 8601 date as the start of that day in UTC; the
// caller decides which moment of the day a balance dated by day speaks for.
func parseDate(s string) (time.Time, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("date %q is not ISO 8601 (2006-01-02): %w", clip(s), ErrMalformed)
	}
	return t, nil
}

// normIBAN puts an IBAN in electronic format (no spaces, upper case) so
// that "GB82 WEST 1234 5698 7654 32" matches "GB82WEST12345698765432".
func normIBAN(s string) string {
	return strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(s), " ", ""))
}

// clip bounds a string from a bank before it goes into an error message.
func clip(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
}
