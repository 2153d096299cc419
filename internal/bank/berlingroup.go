package bank

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/pegledger/peg/internal/token"
)

// DefaultBerlinGroupTypes is the balance preference of a Berlin Group
// connector that configures none, mirroring Open Banking's.
var DefaultBerlinGroupTypes = []string{"interimAvailable", "closingBooked"}

// BerlinGroupConfig configures a Berlin Group NextGenPSD2 (XS2A 1.3)
// account-information connector for one account.
type BerlinGroupConfig struct {
	// BaseURL is the XS2A API root, https only, e.g.
	// "https://xs2a.bank.example"; the connector asks
	// GET {BaseURL}/v1/accounts/{ResourceID}/balances.
	BaseURL string
	// ConsentID is the id of the account-information consent the account
	// holder gave; it is sent as the Consent-ID header.
	ConsentID string
	// ResourceID is the bank's account-id of the reserve account (from its
	// accounts endpoint), which goes in the path.
	ResourceID string
	// IBAN is the reserve account's IBAN in electronic format; the answer's
	// account.iban must be it.
	IBAN string
	// Currency is the ISO 4217 code the account is held in.
	Currency string
	// Types is the balance preference, first present wins; empty means
	// DefaultBerlinGroupTypes.
	Types []string
	// TLS is optional: nil means the system's roots and no client
	// certificate; set it (see NewTLSConfig) for a bank that wants a
	// client (eIDAS QWAC) certificate or a private CA.
	TLS *tls.Config
	// Timeout bounds one Balance call; zero means DefaultTimeout.
	Timeout time.Duration
	// MaxResponseBytes bounds the balances answer; zero means
	// DefaultMaxResponseBytes.
	MaxResponseBytes int64
}

// Validate reports the first problem of the config, or nil.
func (c *BerlinGroupConfig) Validate() error {
	if err := c.validate(); err != nil {
		return fmt.Errorf("bank: berlin group config: %w", err)
	}
	return nil
}

func (c *BerlinGroupConfig) validate() error {
	if _, err := checkBaseURL("BaseURL", c.BaseURL); err != nil {
		return err
	}
	if err := checkIdent("ConsentID", c.ConsentID, MaxResourceIDLen); err != nil {
		return err
	}
	if err := checkIdent("ResourceID", c.ResourceID, MaxResourceIDLen); err != nil {
		return err
	}
	if err := token.CheckIBAN(c.IBAN); err != nil {
		return fmt.Errorf("IBAN: %w", err)
	}
	if _, err := checkCurrency(c.Currency); err != nil {
		return err
	}
	if err := checkTypes("Types", c.Types, berlinGroupTypes); err != nil {
		return err
	}
	if c.TLS != nil && c.TLS.InsecureSkipVerify {
		return errors.New("TLS.InsecureSkipVerify is set; the bank's certificate must be verified")
	}
	return checkLimits(c.Timeout, c.MaxResponseBytes)
}

// BerlinGroup reads one account's balance over NextGenPSD2: GET
// /v1/accounts/{account-id}/balances with the consent id.
type BerlinGroup struct {
	cfg      BerlinGroupConfig // defaults applied
	currency token.Currency
	url      string
	name     string
	client   *http.Client
}

var _ Connector = (*BerlinGroup)(nil)

// NewBerlinGroup validates cfg and returns its connector.
func NewBerlinGroup(cfg BerlinGroupConfig) (*BerlinGroup, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.Types = append([]string(nil), orDefaultSlice(cfg.Types, DefaultBerlinGroupTypes)...)
	cfg.Timeout = orDefault(cfg.Timeout, DefaultTimeout)
	cfg.MaxResponseBytes = orDefault(cfg.MaxResponseBytes, DefaultMaxResponseBytes)
	cur, _ := checkCurrency(cfg.Currency)
	base, _ := checkBaseURL("BaseURL", cfg.BaseURL)
	return &BerlinGroup{
		cfg:      cfg,
		currency: cur,
		url:      strings.TrimRight(cfg.BaseURL, "/") + "/v1/accounts/" + url.PathEscape(cfg.ResourceID) + "/balances",
		name:     "berlingroup:" + base.Host + "/" + cfg.IBAN,
		client:   newHTTPClient(cfg.TLS, cfg.Timeout),
	}, nil
}

// Name is "berlingroup:" followed by the API host and the IBAN.
func (b *BerlinGroup) Name() string { return b.name }

// Balance asks for the account's balances and returns the preferred one.
func (b *BerlinGroup) Balance(ctx context.Context) (Balance, error) {
	ctx, cancel := context.WithTimeout(ctx, b.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.url, nil)
	if err != nil {
		return Balance{}, fmt.Errorf("bank: %s: %w", b.name, err)
	}
	requestID := newUUID()
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-Request-ID", requestID)
	req.Header.Set("Consent-ID", b.cfg.ConsentID)
	body, resp, err := fetch(b.client, req, b.cfg.MaxResponseBytes)
	if err == nil {
		err = checkEcho(resp, "X-Request-ID", requestID)
	}
	if err != nil {
		return Balance{}, fmt.Errorf("bank: %s: balances: %w", b.name, err)
	}
	var answered time.Time
	if d, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
		answered = d
	}
	return decodeBerlinGroup(b.name, b.cfg.IBAN, b.currency, b.cfg.Types, body, answered, time.Now())
}

// The balances answer (ReadAccountBalanceResponse-200), the parts Peg reads.
type (
	bgBalances struct {
		Account  *bgAccountRef `json:"account"`
		Balances []bgBalance   `json:"balances"`
	}
	bgAccountRef struct {
		IBAN     string `json:"iban"`
		BBAN     string `json:"bban"`
		Currency string `json:"currency"`
	}
	bgBalance struct {
		BalanceAmount       *bgAmount `json:"balanceAmount"`
		BalanceType         string    `json:"balanceType"`
		CreditLimitIncluded *bool     `json:"creditLimitIncluded"`
		LastChangeDateTime  string    `json:"lastChangeDateTime"`
		ReferenceDate       string    `json:"referenceDate"`
	}
	bgAmount struct {
		Currency string `json:"currency"`
		Amount   string `json:"amount"`
	}
)

// decodeBerlinGroup checks a balances answer for iban in cur and returns the
// balance of the first preferred type in it. answered is the time of the
// answer's Date header (zero if none): it stamps a balance that carries no
// date of its own.
func decodeBerlinGroup(origin, iban string, cur token.Currency, prefs []string, body []byte, answered, now time.Time) (Balance, error) {
	var r bgBalances
	if err := decodeJSON(body, &r); err != nil {
		return Balance{}, fmt.Errorf("bank: %s: %w", origin, err)
	}
	if err := bgCheckAccount(iban, cur, r.Account); err != nil {
		return Balance{}, fmt.Errorf("bank: %s: %w", origin, err)
	}
	entries := make([]entry, 0, len(r.Balances))
	for i, b := range r.Balances {
		e, err := bgEntry(cur, b, answered)
		if err != nil {
			return Balance{}, fmt.Errorf("bank: %s: balances[%d] (%s): %w", origin, i, clip(b.BalanceType), err)
		}
		entries = append(entries, e)
	}
	e, err := choose(entries, prefs)
	if err == nil {
		err = notFuture(e, now)
	}
	if err != nil {
		return Balance{}, fmt.Errorf("bank: %s: %w", origin, err)
	}
	return answer(origin, iban, cur, e, body)
}

// bgCheckAccount requires the answer to name the account by IBAN, and that
// IBAN to be the configured one; a currency, when given, must match too.
func bgCheckAccount(iban string, cur token.Currency, a *bgAccountRef) error {
	switch {
	case a == nil:
		return fmt.Errorf("the answer does not name its account: %w", ErrMalformed)
	case a.IBAN == "" && a.BBAN != "":
		return fmt.Errorf("the answer names account bban %q, not an IBAN: %w", clip(a.BBAN), ErrWrongAccount)
	case a.IBAN == "":
		return fmt.Errorf("the answer's account has no iban: %w", ErrMalformed)
	case normIBAN(a.IBAN) != iban:
		return fmt.Errorf("account iban %q, want %s: %w", clip(a.IBAN), iban, ErrWrongAccount)
	case a.Currency != "" && a.Currency != cur.Code:
		return fmt.Errorf("account currency %q, want %s: %w", clip(a.Currency), cur.Code, ErrWrongCurrency)
	}
	return nil
}

// bgEntry checks one balance. Berlin Group amounts carry their own sign
// ("-12.50"). A balance with creditLimitIncluded true is checked but never
// used: the answer does not say how large the limit is, so it cannot be
// taken out.
func bgEntry(cur token.Currency, b bgBalance, answered time.Time) (entry, error) {
	if b.BalanceType == "" {
		return entry{}, fmt.Errorf("balance has no balanceType: %w", ErrMalformed)
	}
	if b.BalanceAmount == nil {
		return entry{}, fmt.Errorf("balance has no balanceAmount: %w", ErrMalformed)
	}
	if b.BalanceAmount.Currency != cur.Code {
		return entry{}, fmt.Errorf("amount in %q, want %s: %w", clip(b.BalanceAmount.Currency), cur.Code, ErrWrongCurrency)
	}
	digits, neg := strings.CutPrefix(b.BalanceAmount.Amount, "-")
	mag, err := parseAmount(digits, cur)
	if err != nil {
		return entry{}, fmt.Errorf("amount %q: %w", clip(b.BalanceAmount.Amount), err)
	}
	t, err := bgTime(b, answered)
	if err != nil {
		return entry{}, err
	}
	e := entry{typ: b.BalanceType, key: b.BalanceType, value: creditDebit(mag, !neg), time: t, use: true}
	if b.CreditLimitIncluded != nil && *b.CreditLimitIncluded {
		e.key += " (creditLimitIncluded)"
		e.use = false
	}
	return e, nil
}

// bgTime is the time a balance speaks for: its lastChangeDateTime, or its
// referenceDate when that day starts after the last change, or, when it has
// neither, the time the bank answered. A referenceDate names a day, not a
// moment: it is read as of the time the bank answered, kept within that day
// (UTC), so that yesterday's closing balance fetched this morning counts as
// of the end of yesterday, not of its start; as of the day's start when the
// answer has no Date header.
func bgTime(b bgBalance, answered time.Time) (time.Time, error) {
	var t time.Time
	if b.LastChangeDateTime != "" {
		lc, err := parseDateTime(b.LastChangeDateTime, false)
		if err != nil {
			return time.Time{}, fmt.Errorf("lastChangeDateTime: %w", err)
		}
		t = lc
	}
	if b.ReferenceDate != "" {
		rd, err := parseDate(b.ReferenceDate)
		if err != nil {
			return time.Time{}, fmt.Errorf("referenceDate: %w", err)
		}
		if rd.After(t) && !answered.IsZero() {
			rd = withinDay(answered, rd)
		}
		if rd.After(t) {
			t = rd
		}
	}
	if t.IsZero() {
		t = answered
	}
	if t.IsZero() {
		return time.Time{}, fmt.Errorf("balance has no date and the answer no Date header: %w", ErrMalformed)
	}
	return t, nil
}
