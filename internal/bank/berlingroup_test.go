package bank

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/pegledger/peg/internal/money"
	"github.com/pegledger/peg/internal/token"
)

const (
	bgConsent  = "1234-wertiq-983"
	bgResource = "3dc3d5b3-7023-4848-9853-f5400a64e80f"
	bgIBAN     = "DE89370400440532013000"
)

// newBGBank starts an XS2A interface on loopback over TLS (mutual when
// asked) that checks the request's headers and answers as the test says.
func newBGBank(t *testing.T, p *pki, mutual bool, answer http.HandlerFunc) string {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/accounts/{id}/balances", func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-ID")
		if !uuidPattern.MatchString(id) {
			t.Errorf("X-Request-ID = %q, want a random UUID", id)
		}
		if got := r.Header.Get("Consent-ID"); got != bgConsent {
			t.Errorf("Consent-ID = %q, want %q", got, bgConsent)
		}
		if got := r.PathValue("id"); got != bgResource {
			t.Errorf("account-id in path = %q, want %q", got, bgResource)
		}
		w.Header().Set("X-Request-ID", id)
		answer(w, r)
	})
	return p.startTLS(t, mux, mutual).URL
}

func bgConfig(p *pki, url string, withCert bool) BerlinGroupConfig {
	return BerlinGroupConfig{
		BaseURL: url, ConsentID: bgConsent, ResourceID: bgResource, IBAN: bgIBAN, Currency: "EUR",
		TLS: p.clientTLS(withCert), Timeout: 5 * time.Second,
	}
}

func TestBerlinGroup(t *testing.T) {
	p := newPKI(t, "bg")
	good := fixture(t, "berlingroup/balances.json")
	bg := func(pairs ...string) http.HandlerFunc {
		return serve(fixture(t, "berlingroup/balances.json", pairs...))
	}
	for _, tc := range []struct {
		name     string
		answer   http.HandlerFunc
		cfg      func(*BerlinGroupConfig)
		want     uint64
		wantType string
		wantTime string
		err      error
		also     error
		overdraw uint64
	}{
		{name: "interim available without the credit limit", answer: serve(good),
			want: 51234567, wantType: "interimAvailable", wantTime: "2025-03-14T09:15:00Z"},
		{name: "preference closing booked first", answer: serve(good),
			cfg:  func(c *BerlinGroupConfig) { c.Types = []string{"closingBooked"} },
			want: 50000000, wantType: "closingBooked", wantTime: "2025-03-13T23:59:59Z"}, // yesterday's close, answered today: the end of its day
		{name: "credit-limit balance never used", answer: bg(`"balanceType": "interimAvailable",
      "creditLimitIncluded": false`, `"balanceType": "interimBooked",
      "creditLimitIncluded": false`),
			want: 50000000, wantType: "closingBooked"},
		{name: "IBAN spaced and in lower case", answer: bg(`"iban": "DE89370400440532013000"`, `"iban": "de89 3704 0044 0532 0130 00"`),
			want: 51234567, wantType: "interimAvailable"},
		{name: "negative zero is zero", answer: bg(`"512345.67"`, `"-0.00"`), want: 0, wantType: "interimAvailable"},

		{name: "wrong currency", answer: bg(`"currency": "EUR",
        "amount": "512345.67"`, `"currency": "USD",
        "amount": "512345.67"`), err: ErrWrongCurrency},
		{name: "wrong account currency", answer: bg(`"iban": "DE89370400440532013000",
    "currency": "EUR"`, `"iban": "DE89370400440532013000",
    "currency": "CHF"`), err: ErrWrongCurrency},
		{name: "another account", answer: bg(`"DE89370400440532013000"`, `"DE02120300000000202051"`), err: ErrWrongAccount},
		{name: "account by bban only", answer: bg(`"iban": "DE89370400440532013000"`, `"bban": "370400440532013000"`), err: ErrWrongAccount},
		{name: "account not named", answer: bg(`"account": {
    "iban": "DE89370400440532013000",
    "currency": "EUR"
  },`, ``), err: ErrMalformed},
		{name: "too many decimals", answer: bg(`"512345.67"`, `"512345.678"`), err: ErrMalformed, also: money.ErrPrecision},
		{name: "missing balance type", answer: serve(good),
			cfg: func(c *BerlinGroupConfig) { c.Types = []string{"forwardAvailable", "interimBooked"} }, err: ErrNoBalance},
		{name: "duplicated type", answer: bg(`"balanceType": "expected"`, `"balanceType": "closingBooked"`), err: ErrMalformed},
		{name: "duplicated credit-limit type", answer: bg(`"creditLimitIncluded": false`, `"creditLimitIncluded": true`), err: ErrMalformed},
		{name: "negative", answer: bg(`"512345.67"`, `"-512345.67"`), err: ErrNegative, overdraw: 51234567},
		{name: "plus sign", answer: bg(`"512345.67"`, `"+512345.67"`), err: ErrMalformed},
		{name: "two signs", answer: bg(`"512345.67"`, `"--512345.67"`), err: ErrMalformed},
		{name: "amount as a JSON number", answer: bg(`"512345.67"`, `512345.67`), err: ErrMalformed},
		{name: "bad reference date", answer: bg(`"2025-03-13"`, `"13.03.2025"`), err: ErrMalformed},
		{name: "garbage body", answer: serve([]byte("Service Unavailable")), err: ErrMalformed},
		{name: "JSON array", answer: serve([]byte(`[{"balances":[]}]`)), err: ErrMalformed},
		{name: "500", answer: serveStatus(500, []byte("upstream connect error")), err: ErrUnavailable},
		{name: "consent expired", answer: serveStatus(401, fixture(t, "berlingroup/error_401.json")), err: ErrRefused},
		{name: "oversized body", answer: serve(append(bytes.Repeat([]byte("\n"), 3000), good...)),
			cfg: func(c *BerlinGroupConfig) { c.MaxResponseBytes = 2048 }, err: ErrMalformed},
		{name: "answer to another request", answer: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Request-ID", "99391c7e-ad88-49ec-a2ad-99ddcb1f7721")
			serve(good)(w, r)
		}, err: ErrMalformed},
		{name: "slow", answer: waitForCancel,
			cfg: func(c *BerlinGroupConfig) { c.Timeout = 200 * time.Millisecond }, err: ErrUnavailable, also: context.DeadlineExceeded},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := bgConfig(p, newBGBank(t, p, true, tc.answer), true)
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			c, err := NewBerlinGroup(cfg)
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.Balance(context.Background())
			checkResult(t, got, err, tc.want, tc.wantType, tc.wantTime, tc.err, tc.also, tc.overdraw)
			if err == nil && (got.Account != bgIBAN || got.Currency != "EUR") {
				t.Errorf("Balance is for %s in %s", got.Account, got.Currency)
			}
		})
	}
}

func TestBerlinGroupConnection(t *testing.T) {
	p := newPKI(t, "bg")
	good := fixture(t, "berlingroup/balances.json")
	for _, tc := range []struct {
		name             string
		mutual, withCert bool
		down             bool
		err              error
	}{
		{name: "TLS without a client certificate", mutual: false, withCert: false},
		{name: "mutual TLS", mutual: true, withCert: true},
		{name: "bank wants a client certificate", mutual: true, withCert: false, err: ErrUnavailable},
		{name: "bank down", down: true, err: ErrUnavailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url := "https://" + closedAddr(t)
			if !tc.down {
				url = newBGBank(t, p, tc.mutual, serve(good))
			}
			c, err := NewBerlinGroup(bgConfig(p, url, tc.withCert))
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.Balance(context.Background())
			if !errors.Is(err, tc.err) || tc.err == nil && err != nil {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			if err == nil && got.Amount != money.FromUint64(51234567) {
				t.Errorf("Amount = %s", got.Amount)
			}
			if err != nil {
				t.Log(err)
			}
		})
	}
}

// TestBerlinGroupTime covers where a balance's time comes from.
func TestBerlinGroupTime(t *testing.T) {
	eur, _ := token.LookupCurrency("EUR")
	answered := time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)
	now := answered.Add(time.Minute)
	const head = `{"account":{"iban":"DE89370400440532013000"},"balances":[{"balanceAmount":{"currency":"EUR","amount":"1.00"},"balanceType":"interimAvailable"`
	for _, tc := range []struct {
		name, dates string
		answered    time.Time
		want        string
		err         error
	}{
		{"last change later than the reference date", `,"lastChangeDateTime":"2025-03-14T10:00:00Z","referenceDate":"2025-03-14"`, answered, "2025-03-14T10:00:00Z", nil},
		{"reference date later than the last change", `,"lastChangeDateTime":"2025-03-01T10:00:00Z","referenceDate":"2025-03-14"`, answered, "2025-03-14T12:00:00Z", nil},
		{"yesterday's reference date answered today", `,"referenceDate":"2025-03-13"`, answered, "2025-03-13T23:59:59Z", nil},
		{"reference date and no Date header", `,"referenceDate":"2025-03-14"`, time.Time{}, "2025-03-14T00:00:00Z", nil},
		{"last change without an offset is UTC", `,"lastChangeDateTime":"2025-03-14T10:00:00.123"`, answered, "2025-03-14T10:00:00Z", nil},
		{"no date: the answer's Date header", ``, answered, "2025-03-14T12:00:00Z", nil},
		{"no date and no Date header", ``, time.Time{}, "", ErrMalformed},
		{"bad last change", `,"lastChangeDateTime":"yesterday"`, answered, "", ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := []byte(head + tc.dates + `}]}`)
			got, err := decodeBerlinGroup("test", bgIBAN, eur, DefaultBerlinGroupTypes, body, tc.answered, now)
			if !errors.Is(err, tc.err) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			if err == nil && got.Time.UTC().Format(time.RFC3339) != tc.want {
				t.Errorf("Time = %s, want %s", got.Time.UTC().Format(time.RFC3339), tc.want)
			}
		})
	}
}
