package demobank

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DefaultAdminAddr is where `peg bank serve` answers the admin API unless
// told otherwise, and DefaultOBAddr where it answers Open Banking. They sit
// just above the ports a default `peg up` node uses (26656–26658).
const (
	DefaultAdminAddr = "127.0.0.1:26660"
	DefaultOBAddr    = "127.0.0.1:26659"
)

// MaxAdminResponseBytes bounds what the admin client reads: the largest
// answer, a statement of MaxHistory (up to 100 000) entries, is about 80 MiB.
const MaxAdminResponseBytes = 128 << 20

// AdminClient calls a demo bank's admin API. It is safe for concurrent use.
type AdminClient struct {
	base  string
	token string
	http  *http.Client
}

// NewAdminClient returns a client of the admin API at baseURL
// ("http://127.0.0.1:26660") with the bank's admin token.
func NewAdminClient(baseURL, adminToken string) *AdminClient {
	return &AdminClient{base: strings.TrimRight(baseURL, "/"), token: adminToken, http: &http.Client{Timeout: time.Minute}}
}

// AdminError is an error answer of the admin API. It unwraps to the bank's
// error of the same name (ErrNotFound, ErrInsufficientFunds …), so callers
// test for those with errors.Is.
type AdminError struct {
	Status int
	Body   ErrorBody
}

func (e *AdminError) Error() string { return e.Body.Message }

// Unwrap is the bank error the answer names, if any.
func (e *AdminError) Unwrap() error {
	for _, x := range adminErrors {
		if x.name == e.Body.Error {
			return x.err
		}
	}
	return nil
}

func (c *AdminClient) do(ctx context.Context, method, path string, in, out any) error {
	body, err := c.raw(ctx, method, path, in)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("demobank: %s %s: answer is not the expected JSON: %w", method, path, err)
	}
	return nil
}

func (c *AdminClient) raw(ctx context.Context, method, path string, in any) ([]byte, error) {
	var rd io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, fmt.Errorf("demobank: %w", err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, fmt.Errorf("demobank: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("demobank: cannot reach the demo bank's admin API at %s: %w", c.base, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxAdminResponseBytes+1))
	if err != nil {
		return nil, fmt.Errorf("demobank: %s %s: %w", method, path, err)
	}
	if len(body) > MaxAdminResponseBytes {
		return nil, fmt.Errorf("demobank: %s %s: answer larger than %d bytes", method, path, MaxAdminResponseBytes)
	}
	if resp.StatusCode/100 != 2 {
		e := &AdminError{Status: resp.StatusCode}
		if json.Unmarshal(body, &e.Body) != nil || e.Body.Message == "" {
			e.Body = ErrorBody{Error: "http", Message: fmt.Sprintf("demobank: %s %s: %s", method, path, resp.Status)}
		}
		return nil, e
	}
	return body, nil
}

func accountPath(id AccountID) string { return AdminPath + "/accounts/" + url.PathEscape(string(id)) }

// CreateAccount opens an account.
func (c *AdminClient) CreateAccount(ctx context.Context, req CreateAccountRequest) (AccountView, error) {
	var v AccountView
	return v, c.do(ctx, http.MethodPost, AdminPath+"/accounts", req, &v)
}

// Accounts lists every account.
func (c *AdminClient) Accounts(ctx context.Context) ([]AccountView, error) {
	var v []AccountView
	return v, c.do(ctx, http.MethodGet, AdminPath+"/accounts", nil, &v)
}

// Account shows an account and its last n transactions (1 to MaxHistory),
// or as many as the bank shows by default (DefaultShowTransactions) when n
// is 0.
func (c *AdminClient) Account(ctx context.Context, id AccountID, n int) (AccountView, error) {
	path := accountPath(id)
	if n != 0 {
		path += "?transactions=" + strconv.Itoa(n)
	}
	var v AccountView
	return v, c.do(ctx, http.MethodGet, path, nil, &v)
}

// Credit credits an account with a decimal amount in its currency.
func (c *AdminClient) Credit(ctx context.Context, id AccountID, req PostingRequest) (PostingResult, error) {
	var v PostingResult
	return v, c.do(ctx, http.MethodPost, accountPath(id)+"/credit", req, &v)
}

// Debit debits an account with a decimal amount in its currency.
func (c *AdminClient) Debit(ctx context.Context, id AccountID, req PostingRequest) (PostingResult, error) {
	var v PostingResult
	return v, c.do(ctx, http.MethodPost, accountPath(id)+"/debit", req, &v)
}

// Statement exports the camt.053.001.08 statement of an account for the UTC
// days from through to.
func (c *AdminClient) Statement(ctx context.Context, id AccountID, from, to time.Time) ([]byte, error) {
	q := url.Values{"from": {from.Format(time.DateOnly)}, "to": {to.Format(time.DateOnly)}}
	return c.raw(ctx, http.MethodGet, accountPath(id)+"/statement?"+q.Encode(), nil)
}

// Fault returns the fault in force.
func (c *AdminClient) Fault(ctx context.Context) (FaultView, error) {
	var v FaultView
	return v, c.do(ctx, http.MethodGet, AdminPath+"/fault", nil, &v)
}

// SetFault puts a fault in force; mode "none" goes back to normal.
func (c *AdminClient) SetFault(ctx context.Context, f FaultView) (FaultView, error) {
	var v FaultView
	return v, c.do(ctx, http.MethodPut, AdminPath+"/fault", f, &v)
}

// IsAdminError reports whether err is an answer of the admin API (as opposed
// to a bank that could not be reached), and its status.
func IsAdminError(err error) (int, bool) {
	var e *AdminError
	if errors.As(err, &e) {
		return e.Status, true
	}
	return 0, false
}
