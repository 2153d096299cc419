package demobank

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// AdminPath is the prefix of the admin API.
const AdminPath = "/admin"

// DefaultShowTransactions is how many transactions GET /admin/accounts/{id}
// lists (at most MaxHistory) unless ?transactions=N asks for another number
// (1 to MaxHistory).
const DefaultShowTransactions = 20

// AdminHandler is the admin API, which moves money and so is kept apart from
// the Open Banking API: every request needs the admin token as a bearer token.
//
//	GET  /admin/accounts                        list accounts
//	POST /admin/accounts                        create an account (CreateAccountRequest)
//	GET  /admin/accounts/{id}?transactions=N    show an account and its last N transactions
//	POST /admin/accounts/{id}/credit            credit it (PostingRequest)
//	POST /admin/accounts/{id}/debit             debit it (PostingRequest); never below zero
//	GET  /admin/accounts/{id}/statement?from=YYYY-MM-DD&to=YYYY-MM-DD
//	                                            camt.053.001.08 statement of UTC days from..to
//	GET  /admin/fault                           the fault in force (FaultView)
//	PUT  /admin/fault                           inject a fault, or mode "none" to stop
func (b *Bank) AdminHandler() http.Handler {
	routes := []struct {
		method, path string
		h            http.HandlerFunc
	}{
		{http.MethodGet, "/accounts", b.adminList},
		{http.MethodPost, "/accounts", b.adminCreate},
		{http.MethodGet, "/accounts/{id}", b.adminShow},
		{http.MethodPost, "/accounts/{id}/credit", b.adminPost(Credit)},
		{http.MethodPost, "/accounts/{id}/debit", b.adminPost(Debit)},
		{http.MethodGet, "/accounts/{id}/statement", b.adminStatement},
		{http.MethodGet, "/fault", b.adminGetFault},
		{http.MethodPut, "/fault", b.adminSetFault},
	}
	mux := http.NewServeMux()
	var paths []string
	allowed := map[string][]string{}
	for _, rt := range routes {
		mux.HandleFunc(rt.method+" "+AdminPath+rt.path, rt.h)
		if allowed[rt.path] == nil {
			paths = append(paths, rt.path)
		}
		allowed[rt.path] = append(allowed[rt.path], rt.method)
	}
	for _, p := range paths {
		methods := strings.Join(allowed[p], ", ")
		mux.HandleFunc(AdminPath+p, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", methods)
			writeJSON(w, http.StatusMethodNotAllowed, ErrorBody{Error: "method_not_allowed", Message: r.Method + " is not allowed here; use " + methods})
		})
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		adminError(w, fmt.Errorf("%w: no route %s %s", ErrNotFound, r.Method, clip(r.URL.Path)))
	})
	return b.requireAdmin(mux)
}

func (b *Bank) requireAdmin(h http.Handler) http.Handler {
	want := []byte("Bearer " + b.creds.AdminToken)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			b.log.Warn("admin request refused", "remote", r.RemoteAddr, "path", r.URL.Path)
			w.Header().Set("WWW-Authenticate", `Bearer realm="peg-demobank-admin"`)
			adminError(w, errUnauthorized)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, MaxRequestBytes)
		h.ServeHTTP(w, r)
	})
}

// adminError answers err with its status and name from adminErrors.
func adminError(w http.ResponseWriter, err error) {
	for _, e := range adminErrors {
		if errors.Is(err, e.err) {
			writeJSON(w, e.status, ErrorBody{Error: e.name, Message: err.Error()})
			return
		}
	}
	writeJSON(w, http.StatusInternalServerError, ErrorBody{Error: "internal", Message: err.Error()})
}

// decodeBody reads a JSON body strictly: one object, no unknown fields.
func decodeBody(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: body: %v", ErrInvalid, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: body: more than one JSON value", ErrInvalid)
	}
	return nil
}

func (b *Bank) adminList(w http.ResponseWriter, _ *http.Request) {
	out := []AccountView{}
	for _, a := range b.Accounts() {
		out = append(out, ViewAccount(a, nil))
	}
	writeJSON(w, http.StatusOK, out)
}

func (b *Bank) adminCreate(w http.ResponseWriter, r *http.Request) {
	var req CreateAccountRequest
	if err := decodeBody(r, &req); err != nil {
		adminError(w, err)
		return
	}
	a, err := b.CreateAccount(NewAccount(req))
	if err != nil {
		adminError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, ViewAccount(a, nil))
}

func (b *Bank) adminShow(w http.ResponseWriter, r *http.Request) {
	n := min(DefaultShowTransactions, b.opts.MaxHistory)
	if s := r.URL.Query().Get("transactions"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil {
			adminError(w, fmt.Errorf("%w: transactions=%q is not a number", ErrInvalid, clip(s)))
			return
		}
	}
	id := AccountID(r.PathValue("id"))
	a, err := b.Account(id)
	if err != nil {
		adminError(w, err)
		return
	}
	txs, err := b.Transactions(id, n)
	if err != nil {
		adminError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, ViewAccount(a, txs))
}

func (b *Bank) adminPost(dir Direction) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req PostingRequest
		if err := decodeBody(r, &req); err != nil {
			adminError(w, err)
			return
		}
		id := AccountID(r.PathValue("id"))
		a, err := b.Account(id)
		if err != nil {
			adminError(w, err)
			return
		}
		amount, err := a.ParseAmount(req.Amount)
		if err != nil {
			adminError(w, err)
			return
		}
		tx, after, replayed, err := b.Post(Posting{Account: id, Direction: dir, Amount: amount,
			Reference: req.Reference, IdempotencyKey: req.IdempotencyKey})
		if err != nil {
			adminError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, PostingResult{Transaction: ViewTransaction(after, tx), Account: ViewAccount(after, nil), Replayed: replayed})
	}
}

func (b *Bank) adminStatement(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	from, err := ParseDate(q.Get("from"))
	if err != nil {
		adminError(w, err)
		return
	}
	to, err := ParseDate(q.Get("to"))
	if err != nil {
		adminError(w, err)
		return
	}
	doc, err := b.Statement(AccountID(r.PathValue("id")), from, to)
	if err != nil {
		adminError(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/xml")
	_, _ = w.Write(doc)
}

func viewFault(f Fault) FaultView {
	v := FaultView{Mode: f.Mode, IncludeToken: f.IncludeToken}
	if f.Delay > 0 {
		v.Delay = f.Delay.String()
	}
	return v
}

// ParseFault reads a FaultView.
func ParseFault(v FaultView) (Fault, error) {
	f := Fault{Mode: v.Mode, IncludeToken: v.IncludeToken}
	if f.Mode == "" {
		f.Mode = FaultNone
	}
	if v.Delay != "" {
		d, err := time.ParseDuration(v.Delay)
		if err != nil {
			return Fault{}, fmt.Errorf("%w: delay %q is not a duration like 1.5s", ErrInvalid, clip(v.Delay))
		}
		f.Delay = d
	}
	return f, nil
}

func (b *Bank) adminGetFault(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, viewFault(b.Fault()))
}

func (b *Bank) adminSetFault(w http.ResponseWriter, r *http.Request) {
	var v FaultView
	if err := decodeBody(r, &v); err != nil {
		adminError(w, err)
		return
	}
	f, err := ParseFault(v)
	if err == nil {
		err = b.SetFault(f)
	}
	if err != nil {
		adminError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, viewFault(f))
}

// ParseDate reads a calendar date ("2006-01-02") as the start of that UTC day.
func ParseDate(s string) (time.Time, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: date %q is not YYYY-MM-DD", ErrInvalid, clip(s))
	}
	return t, nil
}
