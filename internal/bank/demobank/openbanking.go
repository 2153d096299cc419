package demobank

import (
	"crypto/rand"
	"fmt"
	"net/http"
	"time"

	"github.com/pegledger/peg/internal/money"
)

// OBBasePath is the base of the Open Banking account and transaction API,
// version 3.1, under which the bank answers.
const OBBasePath = "/open-banking/v3.1/aisp"

// Open Banking header names.
const (
	headerFinancialID   = "x-fapi-financial-id"
	headerInteractionID = "x-fapi-interaction-id"
)

// The Open Banking answers, as the Read/Write API v3.1 specifies them. Only
// the fields the bank fills are declared.
type (
	obLinks struct {
		Self string `json:"Self"`
	}
	obMeta struct {
		TotalPages int `json:"TotalPages"`
	}
	obAmount struct {
		Amount   string `json:"Amount"` // ^\d{1,13}(\.\d{1,5})?$
		Currency string `json:"Currency"`
	}
	obBalance struct {
		AccountID            AccountID `json:"AccountId"`
		Amount               obAmount  `json:"Amount"`
		CreditDebitIndicator string    `json:"CreditDebitIndicator"`
		Type                 string    `json:"Type"`
		DateTime             string    `json:"DateTime"`
	}
	// obReadBalance1 is OBReadBalance1.
	obReadBalance1 struct {
		Data struct {
			Balance []obBalance `json:"Balance"`
		} `json:"Data"`
		Links obLinks `json:"Links"`
		Meta  obMeta  `json:"Meta"`
	}
	obCashAccount struct {
		SchemeName     string `json:"SchemeName"`
		Identification string `json:"Identification"`
		Name           string `json:"Name,omitempty"`
	}
	obServicer struct {
		SchemeName     string `json:"SchemeName"`
		Identification string `json:"Identification"`
	}
	// obAccount6 is OBAccount6.
	obAccount6 struct {
		AccountID            AccountID       `json:"AccountId"`
		Status               string          `json:"Status"`
		StatusUpdateDateTime string          `json:"StatusUpdateDateTime"`
		Currency             string          `json:"Currency"`
		AccountType          string          `json:"AccountType"`
		AccountSubType       string          `json:"AccountSubType"`
		Nickname             string          `json:"Nickname,omitempty"`
		OpeningDate          string          `json:"OpeningDate"`
		Account              []obCashAccount `json:"Account"`
		Servicer             obServicer      `json:"Servicer"`
	}
	// obReadAccount6 is OBReadAccount6.
	obReadAccount6 struct {
		Data struct {
			Account []obAccount6 `json:"Account"`
		} `json:"Data"`
		Links obLinks `json:"Links"`
		Meta  obMeta  `json:"Meta"`
	}
	obError1 struct {
		ErrorCode string `json:"ErrorCode"`
		Message   string `json:"Message"`
		Path      string `json:"Path,omitempty"`
	}
	// obErrorResponse1 is OBErrorResponse1.
	obErrorResponse1 struct {
		Code    string     `json:"Code"`
		ID      string     `json:"Id,omitempty"`
		Message string     `json:"Message"`
		Errors  []obError1 `json:"Errors"`
	}
)

// The balance types the bank answers, in the order it answers them.
const (
	BalanceInterimAvailable = "InterimAvailable"
	BalanceInterimBooked    = "InterimBooked"
	BalanceClosingBooked    = "ClosingBooked"
)

// Handler is the Open Banking API with its token endpoint. It must be served
// over TLS with TLSConfig (Serve does so): a request without a client
// certificate verified against the bank's CA is refused.
func (b *Bank) Handler() http.Handler {
	mux := http.NewServeMux()
	route := func(method, path string, h http.HandlerFunc) {
		mux.HandleFunc(method+" "+path, h)
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", method)
			b.obError(w, r, http.StatusMethodNotAllowed, "UK.OBIE.NotSupported", r.Method+" is not supported here; use "+method)
		})
	}
	resource := func(h http.HandlerFunc) http.HandlerFunc { return b.withFault(b.obGuard(h), false) }
	route(http.MethodPost, TokenPath, b.withFault(b.handleToken, true))
	route(http.MethodGet, OBBasePath+"/accounts", resource(b.handleAccounts))
	route(http.MethodGet, OBBasePath+"/accounts/{AccountId}", resource(b.handleAccount))
	route(http.MethodGet, OBBasePath+"/accounts/{AccountId}/balances", resource(b.handleBalances))
	route(http.MethodGet, OBBasePath+"/balances", resource(b.handleAllBalances))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		b.obError(w, r, http.StatusNotFound, "UK.OBIE.Resource.NotFound", "no resource "+clip(r.URL.Path))
	})
	return b.requireClientCert(mux)
}

// requireClientCert refuses a request that did not come over TLS with a
// verified client certificate. TLSConfig refuses such a handshake already;
// this guards a Handler served some other way.
func (b *Bank) requireClientCert(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 {
			b.obError(w, r, http.StatusForbidden, "UK.OBIE.Unauthorised", "mutual TLS with a client certificate signed by the bank's CA is required")
			return
		}
		h.ServeHTTP(w, r)
	})
}

// obGuard checks what every Open Banking resource requires, in order: a
// valid bearer token, then the x-fapi-financial-id of this bank.
func (b *Bank) obGuard(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := b.checkBearer(r); err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="peg-demobank", error="invalid_token"`)
			b.obError(w, r, http.StatusUnauthorized, "UK.OBIE.Header.Invalid", err.Error())
			return
		}
		switch fid := r.Header.Get(headerFinancialID); fid {
		case "":
			b.obError(w, r, http.StatusBadRequest, "UK.OBIE.Header.Missing", "header "+headerFinancialID+" is required")
			return
		case b.creds.FinancialID:
		default:
			b.obError(w, r, http.StatusBadRequest, "UK.OBIE.Header.Invalid", fmt.Sprintf("header %s is %q; this bank is %q", headerFinancialID, clip(fid), b.creds.FinancialID))
			return
		}
		w.Header().Set(headerInteractionID, interactionID(r))
		h(w, r)
	}
}

// interactionID is the request's x-fapi-interaction-id, or a new UUID.
func interactionID(r *http.Request) string {
	if id := r.Header.Get(headerInteractionID); id != "" && len(id) <= 64 {
		return id
	}
	u := make([]byte, 16)
	_, _ = rand.Read(u)
	u[6] = u[6]&0x0f | 0x40 // version 4
	u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:])
}

// obError answers with an OBErrorResponse1 and logs the refusal.
func (b *Bank) obError(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	b.log.Info("open banking request refused", "remote", r.RemoteAddr, "method", r.Method, "path", clip(r.URL.Path), "status", status, "code", code)
	id := interactionID(r)
	w.Header().Set(headerInteractionID, id)
	writeJSON(w, status, obErrorResponse1{
		Code: fmt.Sprintf("%d %s", status, http.StatusText(status)), ID: id, Message: msg,
		Errors: []obError1{{ErrorCode: code, Message: msg, Path: r.URL.Path}},
	})
}

func selfLink(r *http.Request) obLinks { return obLinks{Self: "https://" + r.Host + r.URL.Path} }

// lookup finds the account named by the request's path, or answers 404.
func (b *Bank) lookup(w http.ResponseWriter, r *http.Request) *account {
	a, err := b.record(AccountID(r.PathValue("AccountId")))
	if err != nil {
		b.obError(w, r, http.StatusNotFound, "UK.OBIE.Resource.NotFound", "no account "+clip(r.PathValue("AccountId")))
		return nil
	}
	return a
}

func (b *Bank) handleAccounts(w http.ResponseWriter, r *http.Request) {
	var out obReadAccount6
	out.Data.Account = []obAccount6{}
	for _, a := range b.Accounts() {
		out.Data.Account = append(out.Data.Account, obAccount(a))
	}
	out.Links, out.Meta = selfLink(r), obMeta{TotalPages: 1}
	writeJSON(w, http.StatusOK, out)
}

func (b *Bank) handleAccount(w http.ResponseWriter, r *http.Request) {
	a := b.lookup(w, r)
	if a == nil {
		return
	}
	var out obReadAccount6
	out.Data.Account = []obAccount6{obAccount(a.Account)}
	out.Links, out.Meta = selfLink(r), obMeta{TotalPages: 1}
	writeJSON(w, http.StatusOK, out)
}

func obAccount(a Account) obAccount6 {
	opened := a.Opened.UTC()
	return obAccount6{
		AccountID: a.ID, Status: "Enabled", StatusUpdateDateTime: opened.Format(time.RFC3339),
		Currency: a.Currency.Code, AccountType: "Business", AccountSubType: "CurrentAccount",
		OpeningDate: opened.Format(time.RFC3339),
		Account:     []obCashAccount{{SchemeName: "UK.OBIE.IBAN", Identification: a.IBAN, Name: a.Name}},
		Servicer:    obServicer{SchemeName: "UK.OBIE.BICFI", Identification: a.BIC},
	}
}

func (b *Bank) handleBalances(w http.ResponseWriter, r *http.Request) {
	a := b.lookup(w, r)
	if a == nil {
		return
	}
	var out obReadBalance1
	out.Data.Balance = obBalances(a, b.now())
	out.Links, out.Meta = selfLink(r), obMeta{TotalPages: 1}
	writeJSON(w, http.StatusOK, out)
}

func (b *Bank) handleAllBalances(w http.ResponseWriter, r *http.Request) {
	st := b.current()
	now := b.now()
	var out obReadBalance1
	out.Data.Balance = []obBalance{}
	for _, id := range st.sortedIDs() {
		out.Data.Balance = append(out.Data.Balance, obBalances(st.accounts[id], now)...)
	}
	out.Links, out.Meta = selfLink(r), obMeta{TotalPages: 1}
	writeJSON(w, http.StatusOK, out)
}

// obBalances are an account's balances at now: InterimAvailable and
// InterimBooked (the same: the bank books at once and has no holds), and
// ClosingBooked at the end of the last UTC day (zero for a day before the
// account was opened). Balances are never negative, so every indicator is
// Credit.
func obBalances(a *account, now time.Time) []obBalance {
	bal := func(typ string, x money.Amount, at time.Time) obBalance {
		return obBalance{AccountID: a.ID, Amount: obAmount{Amount: a.FormatAmount(x), Currency: a.Currency.Code},
			CreditDebitIndicator: "Credit", Type: typ, DateTime: at.UTC().Format(time.RFC3339)}
	}
	closing, end := a.closingBooked(now)
	return []obBalance{
		bal(BalanceInterimAvailable, a.Balance, now),
		bal(BalanceInterimBooked, a.Balance, now),
		bal(BalanceClosingBooked, closing, end),
	}
}
