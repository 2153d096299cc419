package wallet

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/pegledger/peg/internal/client"
)

// Code is a refusal of the wallet server. Codes are stable, never
// renumbered, and start at 2000, above the ledger's (below 1000) and the
// node API's own (1000 and up), so that one {code, name, message} body
// names either. A transaction the chain refuses is answered with the
// chain's own code.
type Code uint32

// The wallet server's codes, in the order a request meets them.
const (
	CodeBadRequest         Code = 2000 // the body or a field is not what the API documents
	CodeBadIdempotencyKey  Code = 2001 // Idempotency-Key missing where required, too long or not printable ASCII
	CodeIdempotencyReused  Code = 2002 // the key was used before with a different request
	CodeIdempotencyPending Code = 2003 // the key's first request has not finished
	CodeUnknownWallet      Code = 2004 // no wallet has the id or name
	CodeWalletExists       Code = 2005 // the name is taken
	CodeUnknownToken       Code = 2006 // the chain has no such token
	CodeMemberInsufficient Code = 2007 // the member account holds less than the amount
	CodeInsufficientFunds  Code = 2008 // the wallet's coins on chain are worth less than the amount and what it needs
	CodeUnknownCheckout    Code = 2009 // no payment request has the id
	CodeNoWebhookSecret    Code = 2010 // a webhook was asked for, but the server has no secret to sign with
	CodeChainUnavailable   Code = 2011 // the node did not answer
	CodeOutcomeUnknown     Code = 2012 // submitted, and not yet known to be committed or refused
	CodeUnknownMove        Code = 2013 // no move has the id
	CodeUnauthorized       Code = 2014 // the API token is missing or wrong
)

var codeInfo = map[Code]struct {
	name   string
	status int
	desc   string
}{
	CodeBadRequest:         {"BAD_REQUEST", http.StatusBadRequest, "the body or a field is not what the API documents"},
	CodeBadIdempotencyKey:  {"BAD_IDEMPOTENCY_KEY", http.StatusBadRequest, "Idempotency-Key missing where required, too long or not printable ASCII"},
	CodeIdempotencyReused:  {"IDEMPOTENCY_KEY_REUSED", http.StatusUnprocessableEntity, "the key was used before with a different request"},
	CodeIdempotencyPending: {"IDEMPOTENCY_KEY_PENDING", http.StatusConflict, "the key's first request has not finished"},
	CodeUnknownWallet:      {"UNKNOWN_WALLET", http.StatusNotFound, "no wallet has the id or name"},
	CodeWalletExists:       {"WALLET_EXISTS", http.StatusConflict, "the name is taken"},
	CodeUnknownToken:       {"UNKNOWN_TOKEN", http.StatusNotFound, "the chain has no such token"},
	CodeMemberInsufficient: {"MEMBER_BALANCE_INSUFFICIENT", http.StatusConflict, "the member account holds less than the amount"},
	CodeInsufficientFunds:  {"INSUFFICIENT_FUNDS", http.StatusConflict, "the wallet's coins on chain are worth less than the amount and what it needs"},
	CodeUnknownCheckout:    {"UNKNOWN_CHECKOUT", http.StatusNotFound, "no payment request has the id"},
	CodeNoWebhookSecret:    {"NO_WEBHOOK_SECRET", http.StatusBadRequest, "a webhook was asked for, but the server has no secret to sign with"},
	CodeChainUnavailable:   {"CHAIN_UNAVAILABLE", http.StatusServiceUnavailable, "the node did not answer"},
	CodeOutcomeUnknown:     {"OUTCOME_UNKNOWN", http.StatusAccepted, "submitted, and not yet known to be committed or refused"},
	CodeUnknownMove:        {"UNKNOWN_MOVE", http.StatusNotFound, "no move has the id"},
	CodeUnauthorized:       {"UNAUTHORIZED", http.StatusUnauthorized, "the API token is missing or wrong"},
}

// Error is a refusal: the body the API answers and the error the Go API
// returns. Code is the wallet server's, or the chain's when the chain
// refused a transaction the server signed.
type Error struct {
	Status  int    `json:"-"`
	Code    uint32 `json:"code"`
	Name    string `json:"name"`
	Message string `json:"message"`
	TxID    string `json:"tx_id,omitempty"`
}

func (e *Error) Error() string { return fmt.Sprintf("wallet: %s (%d): %s", e.Name, e.Code, e.Message) }

// errorf is a refusal with the server's code c.
func errorf(c Code, format string, args ...any) *Error {
	info := codeInfo[c]
	return &Error{Status: info.status, Code: uint32(c), Name: info.name, Message: fmt.Sprintf(format, args...)}
}

// errUnknownWallet is matched by errors.Is on any UNKNOWN_WALLET refusal.
var errUnknownWallet = errorf(CodeUnknownWallet, "unknown wallet")

// Is makes every refusal with the same code match.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// chainError turns a failure to talk to the node into a refusal: the
// chain's own refusal keeps its code, anything else is CHAIN_UNAVAILABLE.
func chainError(err error) error {
	var apiErr *client.APIError
	if errors.As(err, &apiErr) {
		return &Error{Status: apiErr.Status, Code: apiErr.Code, Name: apiErr.Name, Message: apiErr.Message, TxID: apiErr.TxID}
	}
	return errorf(CodeChainUnavailable, "the node: %v", err)
}

// Codes lists every code of the server, for GET /v1/codes.
func Codes() []client.CodeInfo {
	var out []client.CodeInfo
	for c := CodeBadRequest; c <= CodeUnauthorized; c++ {
		info := codeInfo[c]
		out = append(out, client.CodeInfo{Code: uint32(c), Name: info.name, Description: info.desc, HTTPStatus: info.status})
	}
	return out
}
