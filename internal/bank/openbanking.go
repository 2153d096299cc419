package bank

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/pegledger/peg/internal/money"
	"github.com/pegledger/peg/internal/token"
)

// DefaultOpenBankingTypes is the balance preference of an Open Banking
// connector that configures none: the available balance now, else the
// booked balance at the last close.
var DefaultOpenBankingTypes = []string{"InterimAvailable", "ClosingBooked"}

// OpenBankingScope is the OAuth2 scope the token is asked for.
const OpenBankingScope = "accounts"

// maxOBAccountIDLen is the length of Open Banking's AccountId (Max40Text).
const maxOBAccountIDLen = 40

// OpenBankingConfig configures a UK Open Banking (Read/Write API v3.1)
// account-information connector for one account.
type OpenBankingConfig struct {
	// BaseURL is the AISP API root, https only, e.g.
	// "https://ob.bank.example/open-banking/v3.1/aisp"; the connector asks
	// GET {BaseURL}/accounts/{AccountID}/balances.
	BaseURL string
	// TokenURL is the bank's OAuth2 token endpoint, https only.
	TokenURL string
	// ClientID is this client's OAuth2 client id. ClientSecret is optional:
	// empty means tls_client_auth (the client id goes in the form and the
	// client certificate authenticates); set, it is sent as the bank
	// accepts it (HTTP Basic first, else in the form).
	ClientID     string
	ClientSecret string
	// FinancialID is the bank's x-fapi-financial-id (its Open Banking
	// organisation id).
	FinancialID string
	// AccountID is the bank's AccountId of the reserve account, as its
	// accounts endpoint lists it; every balance answered must carry it.
	AccountID string
	// Currency is the ISO 4217 code the account is held in.
	Currency string
	// Types is the balance preference, first present wins; empty means
	// DefaultOpenBankingTypes.
	Types []string
	// TLS holds the client certificate (required: Open Banking is mutual
	// TLS) and RootCAs, the CAs that may sign the bank's certificate (nil:
	// the system's roots). NewTLSConfig builds one from PEM files. It is
	// used for the token endpoint and the API alike.
	TLS *tls.Config
	// Timeout bounds one Balance call, token request included; zero means
	// DefaultTimeout.
	Timeout time.Duration
	// MaxResponseBytes bounds the balances answer; zero means
	// DefaultMaxResponseBytes.
	MaxResponseBytes int64
}

// Validate reports the first problem of the config, or nil.
func (c *OpenBankingConfig) Validate() error {
	if err := c.validate(); err != nil {
		return fmt.Errorf("bank: open banking config: %w", err)
	}
	return nil
}

func (c *OpenBankingConfig) validate() error {
	if _, err := checkBaseURL("BaseURL", c.BaseURL); err != nil {
		return err
	}
	if _, err := checkBaseURL("TokenURL", c.TokenURL); err != nil {
		return err
	}
	for _, f := range []struct {
		name, v string
		max     int
	}{
		{"ClientID", c.ClientID, MaxResourceIDLen},
		{"FinancialID", c.FinancialID, MaxResourceIDLen},
		{"AccountID", c.AccountID, maxOBAccountIDLen},
	} {
		if err := checkIdent(f.name, f.v, f.max); err != nil {
			return err
		}
	}
	if _, err := checkCurrency(c.Currency); err != nil {
		return err
	}
	if err := checkTypes("Types", c.Types, openBankingTypes); err != nil {
		return err
	}
	if c.TLS == nil || (len(c.TLS.Certificates) == 0 && c.TLS.GetClientCertificate == nil) {
		return errors.New("TLS must hold a client certificate: Open Banking is mutual TLS")
	}
	if c.TLS.InsecureSkipVerify {
		return errors.New("TLS.InsecureSkipVerify is set; the bank's certificate must be verified")
	}
	return checkLimits(c.Timeout, c.MaxResponseBytes)
}

// OpenBanking reads one account's balance over UK Open Banking: an OAuth2
// client-credentials token (scope "accounts") and GET
// /accounts/{AccountId}/balances, both over mutual TLS, answered with
// OBReadBalance1.
type OpenBanking struct {
	cfg      OpenBankingConfig // defaults applied
	currency token.Currency
	url      string
	name     string
	client   *http.Client
	oauth    clientcredentials.Config

	mu    sync.Mutex // guards token
	token *oauth2.Token
}

var _ Connector = (*OpenBanking)(nil)

// NewOpenBanking validates cfg and returns its connector.
func NewOpenBanking(cfg OpenBankingConfig) (*OpenBanking, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.Types = append([]string(nil), orDefaultSlice(cfg.Types, DefaultOpenBankingTypes)...)
	cfg.Timeout = orDefault(cfg.Timeout, DefaultTimeout)
	cfg.MaxResponseBytes = orDefault(cfg.MaxResponseBytes, DefaultMaxResponseBytes)
	cur, _ := checkCurrency(cfg.Currency)
	base, _ := checkBaseURL("BaseURL", cfg.BaseURL)
	style := oauth2.AuthStyleInParams
	if cfg.ClientSecret != "" {
		style = oauth2.AuthStyleAutoDetect
	}
	return &OpenBanking{
		cfg:      cfg,
		currency: cur,
		url:      strings.TrimRight(cfg.BaseURL, "/") + "/accounts/" + url.PathEscape(cfg.AccountID) + "/balances",
		name:     "openbanking:" + base.Host + "/" + cfg.AccountID,
		client:   newHTTPClient(cfg.TLS, cfg.Timeout),
		oauth: clientcredentials.Config{
			ClientID:     cfg.ClientID,
			ClientSecret: cfg.ClientSecret,
			TokenURL:     cfg.TokenURL,
			Scopes:       []string{OpenBankingScope},
			AuthStyle:    style,
		},
	}, nil
}

// Name is "openbanking:" followed by the API host and the AccountId.
func (o *OpenBanking) Name() string { return o.name }

// Balance fetches a token when the cached one has expired, then the
// account's balances, and returns the preferred one.
func (o *OpenBanking) Balance(ctx context.Context) (Balance, error) {
	ctx, cancel := context.WithTimeout(ctx, o.cfg.Timeout)
	defer cancel()
	tok, err := o.accessToken(ctx)
	if err != nil {
		return Balance{}, fmt.Errorf("bank: %s: token: %w", o.name, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, o.url, nil)
	if err != nil {
		return Balance{}, fmt.Errorf("bank: %s: %w", o.name, err)
	}
	interaction := newUUID()
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("x-fapi-financial-id", o.cfg.FinancialID)
	req.Header.Set("x-fapi-interaction-id", interaction)
	body, resp, err := fetch(o.client, req, o.cfg.MaxResponseBytes)
	if resp != nil && resp.StatusCode == http.StatusUnauthorized {
		o.dropToken() // revoked or expired early: the next call asks for a new one
	}
	if err == nil {
		err = checkEcho(resp, "x-fapi-interaction-id", interaction)
	}
	if err != nil {
		return Balance{}, fmt.Errorf("bank: %s: balances: %w", o.name, err)
	}
	return decodeOpenBanking(o.name, o.cfg.AccountID, o.currency, o.cfg.Types, body, time.Now())
}

// accessToken returns a valid access token, from the cache or the token
// endpoint (over the same mutual-TLS client, bounded by ctx).
func (o *OpenBanking) accessToken(ctx context.Context) (string, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.token.Valid() {
		return o.token.AccessToken, nil
	}
	tok, err := o.oauth.Token(context.WithValue(ctx, oauth2.HTTPClient, o.client))
	if err != nil {
		return "", tokenError(err)
	}
	if !strings.EqualFold(tok.Type(), "Bearer") {
		return "", fmt.Errorf("token type %q, want Bearer: %w", clip(tok.Type()), ErrMalformed)
	}
	o.token = tok
	return tok.AccessToken, nil
}

func (o *OpenBanking) dropToken() {
	o.mu.Lock()
	o.token = nil
	o.mu.Unlock()
}

// tokenError classifies a token endpoint failure like any other answer.
func tokenError(err error) error {
	var re *oauth2.RetrieveError
	var ue *url.Error
	switch {
	case errors.As(err, &re):
		kind := ErrRefused
		if s := re.Response.StatusCode; s >= 500 || s == http.StatusTooManyRequests || s == http.StatusRequestTimeout {
			kind = ErrUnavailable
		}
		detail := re.ErrorCode
		if re.ErrorDescription != "" {
			detail += " " + re.ErrorDescription
		}
		if detail == "" {
			detail = printable(re.Body, maxErrorSnippet)
		}
		if detail == "" {
			return fmt.Errorf("HTTP %s: %w", re.Response.Status, kind)
		}
		return fmt.Errorf("HTTP %s (%s): %w", re.Response.Status, clip(detail), kind)
	case errors.As(err, &ue):
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return fmt.Errorf("%w: %w", ErrMalformed, err)
}

// OBReadBalance1, the parts Peg reads.
type (
	obReadBalance struct {
		Data *struct {
			Balance []obBalance `json:"Balance"`
		} `json:"Data"`
	}
	obBalance struct {
		AccountID            string       `json:"AccountId"`
		Amount               *obAmount    `json:"Amount"`
		CreditDebitIndicator string       `json:"CreditDebitIndicator"`
		Type                 string       `json:"Type"`
		DateTime             string       `json:"DateTime"`
		CreditLine           []obCredLine `json:"CreditLine"`
	}
	obAmount struct {
		Amount   string `json:"Amount"`
		Currency string `json:"Currency"`
	}
	obCredLine struct {
		Included bool      `json:"Included"`
		Amount   *obAmount `json:"Amount"`
		Type     string    `json:"Type"`
	}
)

// decodeOpenBanking checks an OBReadBalance1 answer for account in cur and
// returns the balance of the first preferred type in it.
func decodeOpenBanking(origin, account string, cur token.Currency, prefs []string, body []byte, now time.Time) (Balance, error) {
	var r obReadBalance
	if err := decodeJSON(body, &r); err != nil {
		return Balance{}, fmt.Errorf("bank: %s: %w", origin, err)
	}
	if r.Data == nil {
		return Balance{}, fmt.Errorf("bank: %s: OBReadBalance1 has no Data: %w", origin, ErrMalformed)
	}
	entries := make([]entry, 0, len(r.Data.Balance))
	for i, b := range r.Data.Balance {
		e, err := obEntry(account, cur, b)
		if err != nil {
			return Balance{}, fmt.Errorf("bank: %s: Data.Balance[%d] (%s): %w", origin, i, clip(b.Type), err)
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
	return answer(origin, account, cur, e, body)
}

// obEntry checks one OBBalance: the account, the currency of the amount and
// of every credit line, the indicator, the type and the date. A credit line
// marked Included is taken out of the amount.
func obEntry(account string, cur token.Currency, b obBalance) (entry, error) {
	if b.AccountID != account {
		return entry{}, fmt.Errorf("AccountId %q, want %q: %w", clip(b.AccountID), account, ErrWrongAccount)
	}
	mag, err := obParseAmount(cur, b.Amount)
	if err != nil {
		return entry{}, err
	}
	var v signed
	switch b.CreditDebitIndicator {
	case "Credit":
		v = creditDebit(mag, true)
	case "Debit":
		v = creditDebit(mag, false)
	default:
		return entry{}, fmt.Errorf("CreditDebitIndicator %q, want Credit or Debit: %w", clip(b.CreditDebitIndicator), ErrMalformed)
	}
	if b.Type == "" {
		return entry{}, fmt.Errorf("balance has no Type: %w", ErrMalformed)
	}
	for j, cl := range b.CreditLine {
		if cl.Amount == nil && !cl.Included {
			continue // the amount of a line outside the balance is optional, and not needed
		}
		line, err := obParseAmount(cur, cl.Amount)
		if err != nil {
			return entry{}, fmt.Errorf("CreditLine[%d]: %w", j, err)
		}
		if cl.Included {
			var ok bool
			if v, ok = v.minus(line); !ok {
				return entry{}, fmt.Errorf("CreditLine[%d]: amount out of range: %w", j, ErrMalformed)
			}
		}
	}
	if b.DateTime == "" {
		return entry{}, fmt.Errorf("balance has no DateTime: %w", ErrMalformed)
	}
	t, err := parseDateTime(b.DateTime, true)
	if err != nil {
		return entry{}, fmt.Errorf("DateTime: %w", err)
	}
	return entry{typ: b.Type, key: b.Type, value: v, time: t, use: true}, nil
}

func obParseAmount(cur token.Currency, a *obAmount) (money.Amount, error) {
	if a == nil {
		return money.Amount{}, fmt.Errorf("no Amount: %w", ErrMalformed)
	}
	if a.Currency != cur.Code {
		return money.Amount{}, fmt.Errorf("amount in %q, want %s: %w", clip(a.Currency), cur.Code, ErrWrongCurrency)
	}
	return parseUnsigned(a.Amount, cur)
}
