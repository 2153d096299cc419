package token

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
)

// Violation is one way a Draft breaks the issuance rules (S0.2): the result
// code, the TOML path of the offending field ("fiat.account",
// "roles.minters[1].address") and a message naming the value and the limit.
type Violation struct {
	Code    ledger.Code
	Field   string
	Message string
}

// String is the violation as one line for a person: "CONTRACT_SYMBOL symbol: …".
func (v Violation) String() string { return v.Code.Name() + " " + v.Field + ": " + v.Message }

// Rejection is v as a transaction's result: a publish transaction whose
// contract fails validation carries its first violation.
func (v Violation) Rejection() *ledger.Rejection {
	return ledger.Reject(v.Code, "%s: %s", v.Field, v.Message)
}

// Build parses and validates a draft against the platform's Params (which must
// have passed Validate). It reports every violation, sorted by code, then
// field; the Contract is the zero value unless there are none.
//
// A check that needs another field's value is skipped while that field is
// itself invalid, so that one mistake yields one violation: while Decimals is
// out of range token amounts are checked only for what holds at any decimals,
// the reserve is not checked while the currency is unknown, multiples not
// while MinUnit is invalid, and so on.
func Build(d Draft, p Params) (Contract, []Violation) {
	b := &builder{p: p}
	b.identity(d)
	b.fiat(d.Fiat)
	b.reserve(d.DeclaredReserve)
	b.ratio(d.Ratio)
	b.amounts(d)
	b.coverage()
	b.rules(d.TransferRule, d.RedeemRule)
	b.roles(d.Roles)
	b.watch(d.Reserve)
	if len(b.vs) > 0 {
		slices.SortFunc(b.vs, func(x, y Violation) int {
			return cmp.Or(cmp.Compare(x.Code, y.Code), strings.Compare(x.Field, y.Field), strings.Compare(x.Message, y.Message))
		})
		return Contract{}, b.vs
	}
	if err := b.c.CheckInvariants(); err != nil {
		panic(fmt.Sprintf("token: Build accepted a contract that breaks an invariant: %v", err))
	}
	return b.c, nil
}

// builder accumulates a Contract and its violations. The ok flags say which
// fields parsed, for the checks that depend on them.
type builder struct {
	p  Params
	c  Contract
	vs []Violation

	decimalsOK, symbolOK, currencyOK, reserveOK, ratioOK bool
	minUnitOK, capOK, maxTransferOK                      bool
}

func (b *builder) add(code ledger.Code, field, format string, args ...any) {
	b.vs = append(b.vs, Violation{Code: code, Field: field, Message: fmt.Sprintf(format, args...)})
}

func (b *builder) identity(d Draft) {
	if id, err := ledger.ParseTokenID(d.ID); err != nil {
		b.add(ledger.CodeContractID, "id", "token id %q must be 2 to %d lower-case letters, digits or hyphens, starting with a letter", clip(d.ID), ledger.MaxTokenIDLen)
	} else {
		b.c.ID = id
	}
	if problem := nameProblem(d.Name); problem != "" {
		b.add(ledger.CodeContractName, "name", "%s", problem)
	} else {
		b.c.Name = d.Name
	}
	if problem := symbolProblem(d.Symbol); problem != "" {
		b.add(ledger.CodeContractSymbol, "symbol", "%s", problem)
	} else {
		b.c.Symbol, b.symbolOK = d.Symbol, true
	}
	if d.Decimals > MaxDecimals {
		b.add(ledger.CodeContractDecimals, "decimals", "decimals is %d, at most %d", d.Decimals, MaxDecimals)
	} else {
		b.c.Decimals, b.decimalsOK = uint8(d.Decimals), true
	}
}

func nameProblem(name string) string {
	switch n := utf8.RuneCountInString(name); {
	case !utf8.ValidString(name):
		return fmt.Sprintf("name %q is not valid UTF-8", clip(name))
	case n == 0:
		return "name is required"
	case n > MaxNameLen:
		return fmt.Sprintf("name %q has %d characters, at most %d", clip(name), n, MaxNameLen)
	case strings.TrimSpace(name) != name:
		return fmt.Sprintf("name %q starts or ends with white space", name)
	}
	for _, r := range name {
		if !unicode.IsPrint(r) {
			return fmt.Sprintf("name %q contains %U, which is not a printable character", name, r)
		}
	}
	return ""
}

func symbolProblem(sym string) string {
	if len(sym) < MinSymbolLen || len(sym) > MaxSymbolLen {
		return fmt.Sprintf("symbol %q has %d characters; it must have %d to %d", clip(sym), len(sym), MinSymbolLen, MaxSymbolLen)
	}
	for i := 0; i < len(sym); i++ {
		if !isUpper(sym[i]) && !isDigit(sym[i]) {
			return fmt.Sprintf("symbol %q may only hold upper-case letters A-Z and digits 0-9", sym)
		}
	}
	return ""
}

func (b *builder) fiat(f FiatDraft) {
	if problem := bicProblem(f.BIC); problem != "" {
		b.add(ledger.CodeContractBIC, "fiat.bic", "%s", problem)
	} else if !b.p.KnowsBank(f.BIC) {
		b.add(ledger.CodeUnknownBank, "fiat.bic", "bank %s is not one of the platform's %d reserve banks", f.BIC, len(b.p.Banks))
	} else {
		b.c.Fiat.BIC = f.BIC
	}
	if s := Scheme(f.Scheme); !s.Valid() {
		b.add(ledger.CodeContractAccountID, "fiat.scheme", "%s", schemeProblem(s))
	} else if problem := accountProblem(s, f.Account); problem != "" {
		code := ledger.CodeContractAccountID
		if s == SchemeIBAN {
			code = ledger.CodeContractIBAN
		}
		b.add(code, "fiat.account", "%s", problem)
	} else {
		b.c.Fiat.Scheme, b.c.Fiat.Account = s, f.Account
	}
	if cur, ok := LookupCurrency(f.Currency); !ok {
		b.add(ledger.CodeContractCurrency, "fiat.currency", "currency %q is not an active ISO 4217 code such as USD, EUR or CNY", clip(f.Currency))
	} else {
		b.c.Fiat.Currency, b.currencyOK = cur, true
	}
}

// reserve parses the declared reserve at the currency's minor digits and holds
// it to the platform minimum.
func (b *builder) reserve(s string) {
	if !b.currencyOK {
		return
	}
	cur := b.c.Fiat.Currency
	r, problem := parseRequired("declared reserve", s, cur.Digits) // zero is below any minimum
	if problem != "" {
		b.add(ledger.CodeContractReserveAmount, "declared_reserve", "%s (%s)", problem, cur.Code)
		return
	}
	b.c.DeclaredReserve, b.reserveOK = r, true
	whole := b.p.MinReserveFor(cur.Code)
	min, ok := scaleUp(money.FromUint64(whole), cur.Digits)
	if !ok {
		panic("token: minimum reserve overflows") // a uint64 × 10^4 fits 128 bits
	}
	if r.Cmp(min) < 0 {
		b.add(ledger.CodeReserveBelowMinimum, "declared_reserve", "declared reserve %s %s is below the platform minimum %d %s",
			r.Format(cur.Digits), cur.Code, whole, cur.Code)
	}
}

func (b *builder) ratio(s string) {
	r, problem := parseRatio(s)
	if problem != "" {
		b.add(ledger.CodeContractRatio, "ratio", "%s", problem)
		return
	}
	b.c.Ratio, b.ratioOK = r, true
}

func (b *builder) rules(transfer, redeem string) {
	if r := TransferRule(transfer); !r.Valid() {
		b.add(ledger.CodeContractRule, "transfer_rule", "transfer rule %q is not %q or %q", clip(transfer), TransferOpen, TransferRegistered)
	} else {
		b.c.TransferRule = r
	}
	if r := RedeemRule(redeem); !r.Valid() {
		b.add(ledger.CodeContractRule, "redeem_rule", "redeem rule %q is not %q or %q", clip(redeem), RedeemAnyone, RedeemRegistered)
	} else {
		b.c.RedeemRule = r
	}
}

// parseRequired parses a required amount at a scale, or says what is wrong
// with it.
func parseRequired(what, s string, decimals uint8) (money.Amount, string) {
	if s == "" {
		return money.Amount{}, what + " is required"
	}
	a, err := money.Parse(s, decimals)
	if err != nil {
		return money.Amount{}, amountProblem(what, s, decimals, err)
	}
	return a, ""
}

// parsePositive parses a required amount greater than zero at a scale, or says
// what is wrong with it.
func parsePositive(what, s string, decimals uint8) (money.Amount, string) {
	a, problem := parseRequired(what, s, decimals)
	if problem != "" {
		return money.Amount{}, problem
	}
	if a.IsZero() {
		return money.Amount{}, fmt.Sprintf("%s %q must be greater than zero", what, s)
	}
	return a, ""
}

// amountProblem words an error of money.Parse.
func amountProblem(what, s string, decimals uint8, err error) string {
	switch {
	case errors.Is(err, money.ErrPrecision):
		return fmt.Sprintf("%s %q has more than %d decimal places", what, clip(s), decimals)
	case errors.Is(err, money.ErrRange):
		return fmt.Sprintf("%s %q exceeds the largest amount, %s", what, clip(s), money.Max.Format(decimals))
	}
	return fmt.Sprintf("%s %q is not a plain decimal number such as 1000 or 0.01", what, clip(s))
}

// scaleUp multiplies a by 10^digits, reporting overflow.
func scaleUp(a money.Amount, digits uint8) (money.Amount, bool) {
	for i := uint8(0); i < digits; i++ {
		var ok bool
		if a, ok = a.Mul64(10); !ok {
			return money.Amount{}, false
		}
	}
	return a, true
}

// maxEcho bounds how much of a rejected value a message repeats.
const maxEcho = 48

// clip shortens s for a message, at a rune boundary.
func clip(s string) string {
	if len(s) <= maxEcho {
		return s
	}
	n := maxEcho
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// problemErr turns a problem description into an error of this package.
func problemErr(problem string) error {
	if problem == "" {
		return nil
	}
	return errors.New("token: " + problem)
}

// Limits on the reserve staleness window: readings come at most a few times a
// day (PSD2 allows four unattended reads in 24 hours), and a reserve unread for
// over a month is not being watched.
const (
	DefaultStalenessWindow = 26 * time.Hour
	MinStalenessWindow     = time.Minute
	MaxStalenessWindow     = 31 * 24 * time.Hour
)

func (b *builder) watch(r ReserveDraft) {
	b.c.PauseWhenAtRisk = r.PauseWhenAtRisk
	if r.StalenessWindow == "" {
		b.c.StalenessWindow = DefaultStalenessWindow
		return
	}
	w, err := time.ParseDuration(r.StalenessWindow)
	switch {
	case err != nil:
		b.add(ledger.CodeContractStaleness, "reserve.staleness_window", "staleness window %q is not a duration such as \"26h\"", clip(r.StalenessWindow))
	case w < MinStalenessWindow || w > MaxStalenessWindow:
		b.add(ledger.CodeContractStaleness, "reserve.staleness_window", "staleness window %s must be between %s and %s", w, MinStalenessWindow, MaxStalenessWindow)
	case w%time.Second != 0:
		b.add(ledger.CodeContractStaleness, "reserve.staleness_window", "staleness window %s must be whole seconds", w)
	default:
		b.c.StalenessWindow = w
	}
}
