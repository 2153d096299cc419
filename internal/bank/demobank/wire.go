package demobank

import (
	"errors"
	"net/http"
	"time"
)

// The admin API's JSON. The server fills these and the client reads them, so
// there is one definition of each. Amounts are decimal strings with exactly
// the account currency's number of decimals.
type (
	// AccountView is an account, with its latest transactions when asked.
	AccountView struct {
		ID           AccountID         `json:"id"`
		IBAN         string            `json:"iban"`
		BIC          string            `json:"bic"`
		Currency     string            `json:"currency"`
		Decimals     uint8             `json:"decimals"`
		Name         string            `json:"name,omitempty"`
		Balance      string            `json:"balance"`
		Opened       time.Time         `json:"opened"`
		Transactions []TransactionView `json:"transactions,omitempty"`
	}

	// TransactionView is a booked transaction.
	TransactionView struct {
		ID             string    `json:"id"`
		Time           time.Time `json:"time"`
		Direction      Direction `json:"direction"`
		Amount         string    `json:"amount"`
		Reference      string    `json:"reference,omitempty"`
		BalanceAfter   string    `json:"balance_after"`
		IdempotencyKey string    `json:"idempotency_key,omitempty"`
	}

	// CreateAccountRequest is the body of POST /admin/accounts.
	CreateAccountRequest struct {
		ID       AccountID `json:"id,omitempty"`
		IBAN     string    `json:"iban,omitempty"`
		BIC      string    `json:"bic,omitempty"`
		Currency string    `json:"currency"`
		Name     string    `json:"name,omitempty"`
	}

	// PostingRequest is the body of POST /admin/accounts/{id}/credit and
	// /debit. Amount is a decimal string in the account's currency; more
	// decimals than the currency has are refused.
	PostingRequest struct {
		Amount         string `json:"amount"`
		Reference      string `json:"reference,omitempty"`
		IdempotencyKey string `json:"idempotency_key,omitempty"`
	}

	// PostingResult answers a posting: the transaction, the account after it,
	// and whether it was booked earlier under the same idempotency key.
	PostingResult struct {
		Transaction TransactionView `json:"transaction"`
		Account     AccountView     `json:"account"`
		Replayed    bool            `json:"replayed"`
	}

	// FaultView is the fault in force (GET and PUT /admin/fault). Delay is a
	// Go duration ("1.5s"); empty means none.
	FaultView struct {
		Mode         FaultMode `json:"mode"`
		Delay        string    `json:"delay,omitempty"`
		IncludeToken bool      `json:"include_token,omitempty"`
	}

	// ErrorBody is every admin error: a stable name and a message for people.
	ErrorBody struct {
		Error   string `json:"error"`
		Message string `json:"message"`
	}
)

// ViewAccount is an account as the admin API shows it.
func ViewAccount(a Account, txs []Transaction) AccountView {
	v := AccountView{ID: a.ID, IBAN: a.IBAN, BIC: a.BIC, Currency: a.Currency.Code, Decimals: a.Currency.Digits,
		Name: a.Name, Balance: a.FormatAmount(a.Balance), Opened: a.Opened}
	for _, tx := range txs {
		v.Transactions = append(v.Transactions, ViewTransaction(a, tx))
	}
	return v
}

// ViewTransaction is a transaction of account a as the admin API shows it.
func ViewTransaction(a Account, tx Transaction) TransactionView {
	return TransactionView{ID: tx.ID, Time: tx.Time, Direction: tx.Direction, Amount: a.FormatAmount(tx.Amount),
		Reference: tx.Reference, BalanceAfter: a.FormatAmount(tx.BalanceAfter), IdempotencyKey: tx.IdempotencyKey}
}

// errUnauthorized is a missing or wrong admin token.
var errUnauthorized = errors.New("demobank: the admin API needs Authorization: Bearer <admin_token from credentials.json>")

// adminErrors is the one table from the bank's errors to the admin API's
// statuses and names; the client reads it backwards.
var adminErrors = []struct {
	err    error
	status int
	name   string
}{
	{ErrInvalid, http.StatusBadRequest, "invalid"},
	{errUnauthorized, http.StatusUnauthorized, "unauthorized"},
	{ErrNotFound, http.StatusNotFound, "not_found"},
	{ErrExists, http.StatusConflict, "exists"},
	{ErrIdempotency, http.StatusConflict, "idempotency_conflict"},
	{ErrInsufficientFunds, http.StatusUnprocessableEntity, "insufficient_funds"},
	{ErrLimit, http.StatusUnprocessableEntity, "limit"},
	{ErrHistoryTruncated, http.StatusUnprocessableEntity, "history_truncated"},
}
