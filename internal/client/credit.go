package client

import (
	"context"
	"net/url"
	"time"

	"github.com/pegledger/peg/internal/ledger"
)

// Certificate is an account's identity certificate as GET
// /v1/accounts/{address}/certificate shows it, judged at the latest block.
type Certificate struct {
	Serial       uint64    `json:"serial"`
	Address      string    `json:"address"`
	Name         string    `json:"name"`
	Registration string    `json:"registration"`
	Country      string    `json:"country"`
	NotBefore    time.Time `json:"not_before"`
	NotAfter     time.Time `json:"not_after"`
	// Valid says whether it passes every check at the latest block; Problem
	// names the first it fails (a result code's name) and Message says why.
	Valid   bool   `json:"valid"`
	Problem string `json:"problem,omitempty"`
	Message string `json:"message,omitempty"`
}

// CreditParams are a credit node's rules.
type CreditParams struct {
	Cap            Value  `json:"cap"`
	Base           Value  `json:"base"`
	RepaidPermille uint32 `json:"repaid_permille"`
	VolumePermille uint32 `json:"volume_permille"`
	LatePermille   uint32 `json:"late_permille"`
	Window         string `json:"window"`
	Term           string `json:"term"`
	Grace          string `json:"grace"`
}

// CreditNode is GET /v1/credit/nodes/{address}: a node, its pool and books.
type CreditNode struct {
	Node    string       `json:"node"`
	Token   string       `json:"token"`
	Pool    string       `json:"pool"`
	Params  CreditParams `json:"params"`
	Balance Value        `json:"balance"`
	Funded  Value        `json:"funded"`
	Paid    Value        `json:"paid"`
	Repaid  Value        `json:"repaid"`
	// Outstanding is what the debts this chain keeps total: Paid −
	// CrossPaid + CrossBorrowed − Repaid.
	Outstanding Value `json:"outstanding"`
	// CrossPaid is what the pool here paid on requests of other regions'
	// payers; CrossBorrowed what other regions' pools paid on this
	// region's, proven here (S4.1).
	CrossPaid     Value `json:"cross_paid"`
	CrossBorrowed Value `json:"cross_borrowed"`
}

// CreditRequest is a credit request and its debt, with its status judged at
// the latest block (LAPSED, OVERDUE, DEFAULTED) beside the one recorded.
type CreditRequest struct {
	ID             string     `json:"id"`
	Node           string     `json:"node"`
	Payer          string     `json:"payer"`
	Payee          string     `json:"payee"`
	Token          string     `json:"token"`
	Amount         Value      `json:"amount"`
	Description    string     `json:"description"`
	DocumentHash   string     `json:"document_hash"`
	Deadline       time.Time  `json:"deadline"`
	Status         string     `json:"status"`
	RecordedStatus string     `json:"recorded_status"`
	Requested      time.Time  `json:"requested"`
	PaidAt         *time.Time `json:"paid_at,omitempty"`
	Due            *time.Time `json:"due,omitempty"`
	Owed           Value      `json:"owed"`
	Repaid         Value      `json:"repaid"`
	RepaidLate     bool       `json:"repaid_late"`
	// To is, on the payer's chain, the payee's region of a cross-region
	// request, From on the payee's chain the payer's; PaidBy is the payee
	// chain's credit_confirm that paid it and Repayments the payer chain's
	// credit_repay transactions, whose proofs a relayer carries (S4.1).
	To         string   `json:"to,omitempty"`
	From       string   `json:"from,omitempty"`
	PaidBy     string   `json:"paid_by,omitempty"`
	Repayments []string `json:"repayments,omitempty"`
}

// CreditAcross is GET /v1/credit/across: the requests of this chain's
// payers to payees of other regions.
type CreditAcross struct {
	Requests  []CreditRequest `json:"requests"`
	Truncated bool            `json:"truncated"`
}

// CreditLimit is GET /v1/credit/nodes/{address}/limit: what the node and
// the payee's line allow a payer now.
type CreditLimit struct {
	Node     string `json:"node"`
	Payer    string `json:"payer"`
	Payee    string `json:"payee"`
	Limit    Value  `json:"limit"`
	Owed     Value  `json:"owed"`
	Line     Value  `json:"line"`
	LineOwed Value  `json:"line_owed"`
	// Held is what the payer's requests to other regions hold against the
	// node's limit here.
	Held Value `json:"held"`
	// Available is the most a new request could be paid now: the lesser of
	// what the line and the node's limit leave.
	Available Value `json:"available"`
	InDefault bool  `json:"in_default"`
	// Increase is the payer's latest request to the node for a higher
	// limit, if any.
	Increase *CreditIncrease `json:"increase,omitempty"`
}

// CreditIncrease is a payer's request for a higher limit and the node's
// decision: PENDING, APPROVED (limit until expiry) or DECLINED.
type CreditIncrease struct {
	ID           string     `json:"id"`
	Amount       Value      `json:"amount"`
	DocumentHash string     `json:"document_hash"`
	Status       string     `json:"status"`
	Limit        *Value     `json:"limit,omitempty"`
	Expiry       *time.Time `json:"expiry,omitempty"`
	Reason       string     `json:"reason,omitempty"`
}

// CreditHistory is GET /v1/accounts/{address}/credit/history: a page of
// the requests an address made or was asked to accept, newest first; Next,
// when older requests remain, is the before of the next page.
type CreditHistory struct {
	Address  string          `json:"address"`
	Requests []CreditRequest `json:"requests"`
	Next     string          `json:"next,omitempty"`
}

// Certificate returns the certificate addr registered.
func (c *Client) Certificate(ctx context.Context, addr ledger.Address) (*Certificate, error) {
	var v Certificate
	return &v, c.get(ctx, "/v1/accounts/"+addr.String()+"/certificate", nil, &v)
}

// CreditNode returns a credit node.
func (c *Client) CreditNode(ctx context.Context, node ledger.Address) (*CreditNode, error) {
	var v CreditNode
	return &v, c.get(ctx, "/v1/credit/nodes/"+node.String(), nil, &v)
}

// CreditRequest returns a credit request by its transaction id.
func (c *Client) CreditRequest(ctx context.Context, id ledger.TxID) (*CreditRequest, error) {
	var v CreditRequest
	return &v, c.get(ctx, "/v1/credit/requests/"+id.String(), nil, &v)
}

// CreditLimit returns what node and payee's line allow payer now.
func (c *Client) CreditLimit(ctx context.Context, node, payer, payee ledger.Address) (*CreditLimit, error) {
	var v CreditLimit
	q := url.Values{"payer": {payer.String()}, "payee": {payee.String()}}
	return &v, c.get(ctx, "/v1/credit/nodes/"+node.String()+"/limit", q, &v)
}

// CreditAcross returns the requests of this chain's payers to payees of
// other regions (GET /v1/credit/across).
func (c *Client) CreditAcross(ctx context.Context) (*CreditAcross, error) {
	var v CreditAcross
	return &v, c.get(ctx, "/v1/credit/across", nil, &v)
}

// CreditHistory returns a page of the credit requests addr made or was
// asked to accept, newest first: before is the Next of the page before
// ("" for the newest), limit the most to list (0: the server's default).
func (c *Client) CreditHistory(ctx context.Context, addr ledger.Address, before string, limit int) (*CreditHistory, error) {
	var v CreditHistory
	return &v, c.get(ctx, "/v1/accounts/"+addr.String()+"/credit/history", pageQuery(before, limit), &v)
}
