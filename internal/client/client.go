// Package client is the Go client of Peg's REST/JSON API, as the peg CLI uses it.
// It also owns the API's wire types (wire.go): the API server fills the same
// structs, so that there is one definition of each response.
//
// Arguments are typed ledger values, parsed by the caller at its own edge; the
// answers are typed too, since their JSON decodes through the ledger's parsers.
// A non-2xx answer is an *APIError; a node that cannot be reached is an error
// that says which URL was tried and wraps ErrUnreachable.
package client

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/pegledger/peg/internal/client/wirepb"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/proof"
	"github.com/pegledger/peg/internal/tx/txpb"
)

// DefaultTimeout bounds one request end to end. It is longer than the API's
// own wait for a transaction's block (30 s by default), so that a waiting
// submission ends with the API's answer rather than the client's.
const DefaultTimeout = 2 * time.Minute

// MaxResponseSize bounds the body the client reads, so that a misdirected URL
// cannot make the CLI buffer without limit. The largest answers, a page of
// MaxCoinsPage coins or a monthly report listing MaxReportAttestations
// attestations, are under 1 MiB.
const MaxResponseSize = 8 << 20

// MaxCoinsPage is the most coins one GET /v1/accounts/{address}/coins answers.
const MaxCoinsPage = 1000

// MaxAttestationsPage is the most attestations one
// GET /v1/tokens/{id}/attestations answers.
const MaxAttestationsPage = 1000

// MaxReportAttestations is the most attestations one monthly reserve report
// (GET /v1/tokens/{id}/reports/{month}) lists: a bank allowing PSD2's four
// unattended reads a day gives some 124 a month, while a demo bank polled
// every few seconds gives far more than one answer should carry.
const MaxReportAttestations = 1000

// ErrUnreachable is wrapped by the error of a request that could not connect.
var ErrUnreachable = errors.New("cannot reach the Peg API")

// Client calls one Peg API. It is safe for concurrent use.
type Client struct {
	base   string // scheme://host[:port][/prefix], without a trailing slash
	http   *http.Client
	stream *http.Client // for the event stream, which lasts as long as its context
}

// MaxIdleConnsPerHost is how many idle connections the clients keep open
// to one host, for the requests that follow. net/http's default of two made
// a gateway forwarding eight submitters' requests, or a relayer carrying 64
// transfers at once, open a connection for most of its requests.
const MaxIdleConnsPerHost = 64

// transport is the clients' pool of connections, shared by all of them.
var transport = func() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = MaxIdleConnsPerHost
	return t
}()

// New returns a client of the API at baseURL ("http://127.0.0.1:8080").
func New(baseURL string) *Client {
	return &Client{base: strings.TrimRight(baseURL, "/"), http: &http.Client{Timeout: DefaultTimeout, Transport: transport},
		stream: &http.Client{Transport: transport}}
}

// Raw performs a GET of path and returns its 200 answer's body as it came
// (JSON), any other answer as an *APIError: for a server in front of the
// API (a gateway) that passes the answer on without decoding it.
func (c *Client) Raw(ctx context.Context, path string) ([]byte, error) {
	_, body, err := c.send(ctx, http.MethodGet, path, nil, nil)
	return body, err
}

// BaseURL is the URL the client was made with, without a trailing slash.
func (c *Client) BaseURL() string { return c.base }

// APIError is a non-2xx answer: the HTTP status and Peg's error body. The API
// server writes this same struct, so its JSON fields are the error's wire form.
type APIError struct {
	Status int `json:"-"`
	// Code is a ledger result code (below 1000) or one of the API's own
	// (1000 and up); GET /v1/codes lists them all.
	Code    uint32 `json:"code"`
	Name    string `json:"name"`
	Message string `json:"message"`
	// TxID is the hex id of the transaction the error is about, if any.
	TxID string `json:"tx_id,omitempty"`
	// Height is the block that rejected the transaction, when a block did.
	Height uint64 `json:"height,omitempty"`
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "client: HTTP %d %s (code %d): %s", e.Status, e.Name, e.Code, e.Message)
	if e.TxID != "" {
		fmt.Fprintf(&b, " [tx %s", e.TxID)
		if e.Height != 0 {
			fmt.Fprintf(&b, " in block %d", e.Height)
		}
		b.WriteString("]")
	}
	return b.String()
}

// unreachableError is a failure to connect to the API.
type unreachableError struct {
	url string
	err error
}

func (e *unreachableError) Error() string {
	return fmt.Sprintf("client: %v at %s (%v); is `peg up` (or `peg start`) running?", ErrUnreachable, e.url, e.err)
}

func (e *unreachableError) Unwrap() []error { return []error{ErrUnreachable, e.err} }

// Health checks that the API process is serving (GET /healthz).
func (c *Client) Health(ctx context.Context) error {
	_, _, err := c.send(ctx, http.MethodGet, "/healthz", nil, nil)
	return err
}

// Spec returns the API's OpenAPI document (GET /openapi.yaml).
func (c *Client) Spec(ctx context.Context) ([]byte, error) {
	_, body, err := c.send(ctx, http.MethodGet, "/openapi.yaml", nil, nil)
	return body, err
}

// Status is where the committed chain stands (GET /v1/status).
func (c *Client) Status(ctx context.Context) (*Status, error) {
	var s Status
	if err := c.get(ctx, "/v1/status", nil, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// SubmitBatch sends up to tx.MaxBatchTxs signed transactions in one request
// (POST /v1/txs/batch). The gateway packs them into one consensus
// transaction; each succeeds or fails on its own, and the answer lists each
// one's outcome in order. With wait, it returns once a block has included
// every admitted transaction. The request body is the protobuf form
// (BatchContentType).
func (c *Client) SubmitBatch(ctx context.Context, raws [][]byte, wait bool) ([]BatchItem, error) {
	var out BatchResponse
	req, err := proto.Marshal(&txpb.Batch{Txs: raws})
	if err != nil {
		return nil, fmt.Errorf("client: encoding a batch: %w", err)
	}
	q := url.Values{"wait": {strconv.FormatBool(wait)}}
	var pb wirepb.BatchResponse
	isProto, err := c.exchangeProto(ctx, http.MethodPost, "/v1/txs/batch", q, BatchContentType, req, &pb, &out)
	if err != nil {
		return nil, err
	}
	if isProto {
		if out, err = BatchResponseFromProto(&pb); err != nil {
			return nil, err
		}
	}
	if len(out.Results) != len(raws) {
		return nil, fmt.Errorf("client: %d results for a batch of %d", len(out.Results), len(raws))
	}
	return out.Results, nil
}

// Submitted is the outcome of Submit: the transaction's id, and its receipt
// when Submit waited for the block that included it.
type Submitted struct {
	TxID    ledger.TxID
	Receipt *Receipt // nil when Submit did not wait
}

// Submit sends a signed transaction (POST /v1/txs). With wait, it returns once
// a block has accepted the transaction; a rejection, by the mempool or by the
// block, is an *APIError carrying the transaction's id (and the block's
// height). Without wait, it returns once the mempool has admitted it.
func (c *Client) Submit(ctx context.Context, raw []byte, wait bool) (*Submitted, error) {
	status, body, err := c.send(ctx, http.MethodPost, "/v1/txs", nil, SubmitRequest{Tx: raw, Wait: &wait})
	if err != nil {
		return nil, err
	}
	switch status {
	case http.StatusOK:
		var rc Receipt
		if err := decode(body, &rc); err != nil {
			return nil, err
		}
		return &Submitted{TxID: rc.TxID, Receipt: &rc}, nil
	case http.StatusAccepted:
		var p Pending
		if err := decode(body, &p); err != nil {
			return nil, err
		}
		return &Submitted{TxID: p.TxID}, nil
	}
	return nil, fmt.Errorf("client: POST /v1/txs answered HTTP %d, which the API does not define", status)
}

// Tx returns the receipt of a transaction included in a block
// (GET /v1/txs/{id}); an *APIError with Status 404 if no block included it.
func (c *Client) Tx(ctx context.Context, id ledger.TxID) (*Receipt, error) {
	var rc Receipt
	if err := c.get(ctx, "/v1/txs/"+id.String(), nil, &rc); err != nil {
		return nil, err
	}
	return &rc, nil
}

// TxProof returns the proof of a transaction's receipt (GET
// /v1/txs/{id}/proof); an *APIError PROOF_NOT_YET until the next block is
// committed.
func (c *Client) TxProof(ctx context.Context, id ledger.TxID) (*proof.Receipt, error) {
	var p proof.Receipt
	if err := c.get(ctx, "/v1/txs/"+id.String()+"/proof", nil, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// CoinProof returns the proof that transaction tx created coin (GET
// /v1/coins/{id}/proof).
func (c *Client) CoinProof(ctx context.Context, coin ledger.CoinID, tx ledger.TxID) (*proof.Coin, error) {
	var p proof.Coin
	if err := c.get(ctx, "/v1/coins/"+coin.String()+"/proof", url.Values{"tx": {tx.String()}}, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// Tokens lists every token (GET /v1/tokens).
func (c *Client) Tokens(ctx context.Context) ([]TokenSummary, error) {
	var l TokenList
	if err := c.get(ctx, "/v1/tokens", nil, &l); err != nil {
		return nil, err
	}
	return l.Tokens, nil
}

// Token returns the full view of a token (GET /v1/tokens/{id}).
func (c *Client) Token(ctx context.Context, id ledger.TokenID) (*Token, error) {
	var t Token
	if err := c.get(ctx, "/v1/tokens/"+url.PathEscape(string(id)), nil, &t); err != nil {
		return nil, err
	}
	return &t, nil
}

// Redemptions lists a token's redemptions in block order
// (GET /v1/tokens/{id}/redemptions).
func (c *Client) Redemptions(ctx context.Context, id ledger.TokenID) ([]Redemption, error) {
	var l RedemptionList
	if err := c.get(ctx, "/v1/tokens/"+url.PathEscape(string(id))+"/redemptions", nil, &l); err != nil {
		return nil, err
	}
	return l.Redemptions, nil
}

// Transfers lists every cross-region transfer of the chain of a status
// and a direction ("" for any), paging through GET /v1/transfers, with the
// books and height of the first page.
func (c *Client) Transfers(ctx context.Context, status, direction string) (*TransferList, error) {
	var all *TransferList
	err := c.EachTransferPage(ctx, TransferQuery{Status: status, Direction: direction, Limit: maxTransferPage}, func(l *TransferList) error {
		if all == nil {
			all = l
		} else {
			all.Transfers = append(all.Transfers, l.Transfers...)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	all.NextCursor = ""
	return all, nil
}

// maxTransferPage is the largest page the API serves (api.MaxTransferLimit).
const maxTransferPage = 1000

// EachTransferPage calls fn with each page of GET /v1/transfers from q on,
// until the last page or an error of fn's.
func (c *Client) EachTransferPage(ctx context.Context, q TransferQuery, fn func(*TransferList) error) error {
	for {
		l, err := c.TransferPage(ctx, q)
		if err != nil {
			return err
		}
		if err := fn(l); err != nil {
			return err
		}
		if l.NextCursor == "" {
			return nil
		}
		q.Cursor = l.NextCursor
	}
}

// TransferPage reads one page of the chain's cross-region transfers and
// every token's books (GET /v1/transfers).
func (c *Client) TransferPage(ctx context.Context, q TransferQuery) (*TransferList, error) {
	v := url.Values{}
	for k, s := range map[string]string{"status": q.Status, "direction": q.Direction, "cursor": q.Cursor} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	var l TransferList
	if err := c.get(ctx, "/v1/transfers", v, &l); err != nil {
		return nil, err
	}
	return &l, nil
}

// NetworkTrust reads the validator set the chain trusts for each other
// region of its network (GET /v1/network/trust).
func (c *Client) NetworkTrust(ctx context.Context) (*NetworkTrust, error) {
	var t NetworkTrust
	if err := c.get(ctx, "/v1/network/trust", nil, &t); err != nil {
		return nil, err
	}
	return &t, nil
}

// Transfer returns a transfer the chain recorded in direction ("out" or
// "in"; "" for whichever it has, outbound first) (GET /v1/transfers/{id});
// an *APIError with Status 404 when it has none.
func (c *Client) Transfer(ctx context.Context, id ledger.CoinID, direction string) (*Transfer, error) {
	q := url.Values{}
	if direction != "" {
		q.Set("direction", direction)
	}
	var t Transfer
	if err := c.get(ctx, "/v1/transfers/"+id.String(), q, &t); err != nil {
		return nil, err
	}
	return &t, nil
}

// Reserves lists every token's reserve, judged at the latest block's time
// (GET /v1/reserves).
func (c *Client) Reserves(ctx context.Context) ([]TokenReserve, error) {
	var l ReserveList
	if err := c.get(ctx, "/v1/reserves", nil, &l); err != nil {
		return nil, err
	}
	return l.Reserves, nil
}

// Attestations lists up to limit of a token's accepted attestations, newest
// first (GET /v1/tokens/{id}/attestations). A limit of 0 takes the API's
// default (100); at most MaxAttestationsPage.
func (c *Client) Attestations(ctx context.Context, id ledger.TokenID, limit int) ([]Reading, error) {
	q := url.Values{}
	if limit != 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var l AttestationList
	if err := c.get(ctx, "/v1/tokens/"+url.PathEscape(string(id))+"/attestations", q, &l); err != nil {
		return nil, err
	}
	return l.Attestations, nil
}

// Report returns a token's monthly reserve report for month, "YYYY-MM" in
// UTC, as of the latest committed block (GET /v1/tokens/{id}/reports/{month}).
func (c *Client) Report(ctx context.Context, id ledger.TokenID, month string) (*ReserveReport, error) {
	var r ReserveReport
	if err := c.get(ctx, "/v1/tokens/"+url.PathEscape(string(id))+"/reports/"+url.PathEscape(month), nil, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// Account returns what the ledger knows of an address (GET /v1/accounts/{address}).
func (c *Client) Account(ctx context.Context, addr ledger.Address) (*Account, error) {
	var a Account
	if err := c.get(ctx, "/v1/accounts/"+addr.String(), nil, &a); err != nil {
		return nil, err
	}
	return &a, nil
}

// Balances returns an address's balances, of one token unless tok is empty
// (GET /v1/accounts/{address}/balances).
func (c *Client) Balances(ctx context.Context, addr ledger.Address, tok ledger.TokenID) ([]Balance, error) {
	q := url.Values{}
	if tok != "" {
		q.Set("token", string(tok))
	}
	var l BalanceList
	if err := c.get(ctx, "/v1/accounts/"+addr.String()+"/balances", q, &l); err != nil {
		return nil, err
	}
	return l.Balances, nil
}

// Coins lists up to limit of an address's unspent coins, of one token unless
// tok is empty, in (token, coin id) order (GET /v1/accounts/{address}/coins).
// A limit of 0 takes the API's default (100); at most MaxCoinsPage.
func (c *Client) Coins(ctx context.Context, addr ledger.Address, tok ledger.TokenID, limit int) ([]Coin, error) {
	l, err := c.CoinsPage(ctx, addr, tok, "", limit)
	if err != nil {
		return nil, err
	}
	return l.Coins, nil
}

// CoinsPage lists a page of addr's unspent coins (of tok, if not empty) in
// (token, coin id) order: those after the place after (the Next of the
// page before; "" for the first page), at most limit (0: the node's
// default). Its Next is the after of the page that follows, "" on the last.
func (c *Client) CoinsPage(ctx context.Context, addr ledger.Address, tok ledger.TokenID, after string, limit int) (*CoinList, error) {
	q := url.Values{}
	if tok != "" {
		q.Set("token", string(tok))
	}
	if after != "" {
		q.Set("after", after)
	}
	if limit != 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var l CoinList
	if err := c.get(ctx, "/v1/accounts/"+addr.String()+"/coins", q, &l); err != nil {
		return nil, err
	}
	return &l, nil
}

// Approval returns how much spender may spend of owner's tok
// (GET /v1/accounts/{owner}/approvals/{spender}).
func (c *Client) Approval(ctx context.Context, tok ledger.TokenID, owner, spender ledger.Address) (*Approval, error) {
	q := url.Values{"token": {string(tok)}}
	var a Approval
	if err := c.get(ctx, "/v1/accounts/"+owner.String()+"/approvals/"+spender.String(), q, &a); err != nil {
		return nil, err
	}
	return &a, nil
}

// Fees returns the fee policy, the schedule and the fee contract's books
// (GET /v1/fees); Enabled is false when no policy is set.
func (c *Client) Fees(ctx context.Context) (*Fees, error) {
	var f Fees
	if err := c.get(ctx, "/v1/fees", nil, &f); err != nil {
		return nil, err
	}
	return &f, nil
}

// FeeAccount returns an address's fee account judged at the latest block's
// time (GET /v1/accounts/{address}/fee); an *APIError with Status 404 when
// the address has none.
func (c *Client) FeeAccount(ctx context.Context, addr ledger.Address) (*FeeAccount, error) {
	var a FeeAccount
	if err := c.get(ctx, "/v1/accounts/"+addr.String()+"/fee", nil, &a); err != nil {
		return nil, err
	}
	return &a, nil
}

// FeeHistory returns a page of at most limit entries (0: the node's
// default) of an address's fee history, newest first, older than the entry
// the cursor before names ("" for the newest)
// (GET /v1/accounts/{address}/fee/history).
func (c *Client) FeeHistory(ctx context.Context, addr ledger.Address, before string, limit int) (*FeeHistory, error) {
	q := url.Values{}
	if before != "" {
		q.Set("before", before)
	}
	if limit != 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var h FeeHistory
	if err := c.get(ctx, "/v1/accounts/"+addr.String()+"/fee/history", q, &h); err != nil {
		return nil, err
	}
	return &h, nil
}

// Alias returns the binding of a phone or ID number's keyed hash
// (GET /v1/aliases/{hash}); an *APIError with Code ALIAS_UNKNOWN (404) when
// there is none.
func (c *Client) Alias(ctx context.Context, h ledger.AliasHash) (*Alias, error) {
	var a Alias
	if err := c.get(ctx, "/v1/aliases/"+h.String(), nil, &a); err != nil {
		return nil, err
	}
	return &a, nil
}

// GatewayRegions returns the regions a gateway (peg gateway) routes to and
// their health (GET /v1/regions, a gateway's own endpoint); a node answers
// an *APIError with Status 404.
func (c *Client) GatewayRegions(ctx context.Context) ([]GatewayRegion, error) {
	var v struct {
		Regions []GatewayRegion `json:"regions"`
	}
	if err := c.get(ctx, "/v1/regions", nil, &v); err != nil {
		return nil, err
	}
	return v.Regions, nil
}

// Registrars lists the addresses that may bind and revoke aliases
// (GET /v1/registrars).
func (c *Client) Registrars(ctx context.Context) (*Registrars, error) {
	var r Registrars
	if err := c.get(ctx, "/v1/registrars", nil, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// Block returns a committed block, the latest if height is 0
// (GET /v1/blocks/{height}, GET /v1/blocks/latest).
func (c *Client) Block(ctx context.Context, height int64) (*Block, error) {
	path := "/v1/blocks/latest"
	if height != 0 {
		path = "/v1/blocks/" + strconv.FormatInt(height, 10)
	}
	var b Block
	var pb wirepb.Block
	isProto, err := c.getProto(ctx, path, &pb, &b)
	if err != nil {
		return nil, err
	}
	if isProto {
		if b, err = BlockFromProto(&pb); err != nil {
			return nil, err
		}
	}
	return &b, nil
}

// Codes lists every result code with its HTTP status (GET /v1/codes).
func (c *Client) Codes(ctx context.Context) ([]CodeInfo, error) {
	var l CodeList
	if err := c.get(ctx, "/v1/codes", nil, &l); err != nil {
		return nil, err
	}
	return l.Codes, nil
}

// ErrStreamEnded is wrapped by the error of Events when the API ends the
// stream: the server stopped, or dropped a client that fell behind.
var ErrStreamEnded = errors.New("the event stream ended")

// MaxEventLine bounds one line of the event stream; an event is a few hundred
// bytes.
const MaxEventLine = 64 << 10

// Events follows the committed reserve and fee events (GET /v1/events) from
// block fromHeight on, or from the next committed block if fromHeight is 0,
// calling fn with each in block order. It returns fn's error if fn fails, ctx's when
// ctx ends, and otherwise, when the stream ends, an error wrapping
// ErrStreamEnded: resume with Events(ctx, h+1, fn), h the height of the last
// event fn was given (the API writes a block's events together).
func (c *Client) Events(ctx context.Context, fromHeight int64, fn func(StreamEvent) error) error {
	const path = "/v1/events"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return fmt.Errorf("client: GET %s: %w", path, err)
	}
	req.Header.Set("Accept", "text/event-stream")
	if fromHeight > 0 {
		req.Header.Set("Last-Event-ID", strconv.FormatInt(fromHeight-1, 10))
	}
	resp, err := c.stream.Do(req)
	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "dial" {
			return &unreachableError{url: c.base, err: op}
		}
		return fmt.Errorf("client: GET %s%s: %w", c.base, path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, MaxResponseSize))
		return apiError(resp, body)
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "text/event-stream" {
		return fmt.Errorf("client: GET %s%s answered %q, not an event stream", c.base, path, mt)
	}
	return readEvents(ctx, resp.Body, fn)
}

// readEvents parses a server-sent-events stream of StreamEvents.
func readEvents(ctx context.Context, r io.Reader, fn func(StreamEvent) error) error {
	return readSSE(ctx, r, "height", func(typ, data string) error {
		var e StreamEvent
		if err := json.Unmarshal([]byte(data), &e); err != nil {
			return fmt.Errorf("client: decoding a stream event %.200q: %w", data, err)
		}
		if e.Type == "" {
			e.Type = typ
		}
		return fn(e)
	})
}

// readSSE parses a server-sent-events stream, calling fn with each message's
// event type and data. When the stream ends, its error wraps ErrStreamEnded
// and names the last message's id, which what says the meaning of.
func readSSE(ctx context.Context, r io.Reader, what string, fn func(typ, data string) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), MaxEventLine)
	var (
		typ, data, id string
		last          = "none"
		said          string // the server's last comment, which says why a stream ends
	)
	for sc.Scan() {
		line := sc.Text()
		field, val, _ := strings.Cut(line, ":")
		val = strings.TrimPrefix(val, " ")
		switch field {
		case "": // a comment, or the blank line that ends a message
			if line != "" {
				said = val
				continue
			}
			if data == "" {
				continue
			}
			if err := fn(typ, data); err != nil {
				return err
			}
			if id != "" {
				last = id
			}
			typ, data, id = "", "", ""
		case "event":
			typ = val
		case "id":
			id = val
		case "data":
			if data != "" {
				data += "\n"
			}
			data += val
		}
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	err := sc.Err()
	if err == nil {
		err = io.EOF
	}
	return fmt.Errorf("client: %w after %s %s (%v; the server said %q)", ErrStreamEnded, what, last, err, said)
}

// get performs a GET and decodes its 200 answer into out.
func (c *Client) get(ctx context.Context, path string, q url.Values, out any) error {
	_, body, err := c.send(ctx, http.MethodGet, path, q, nil)
	if err != nil {
		return err
	}
	return decode(body, out)
}

// send performs one request and returns a 2xx answer's status and body; any
// other answer is an *APIError.
func (c *Client) send(ctx context.Context, method, path string, q url.Values, in any) (int, []byte, error) {
	if in == nil {
		return c.sendBody(ctx, method, path, q, "", nil)
	}
	b, err := json.Marshal(in)
	if err != nil {
		return 0, nil, fmt.Errorf("client: encoding %s %s: %w", method, path, err)
	}
	return c.sendBody(ctx, method, path, q, "application/json", b)
}

// sendBody is send with a body already encoded as contentType; an empty
// contentType sends no body.
func (c *Client) sendBody(ctx context.Context, method, path string, q url.Values, contentType string, body []byte) (int, []byte, error) {
	status, _, answer, err := c.exchange(ctx, method, path, q, "application/json", contentType, body)
	return status, answer, err
}

// acceptProto asks for a protobuf answer (ProtoContentType) and takes JSON
// from a server that does not give one.
const acceptProto = ProtoContentType + ", application/json;q=0.5"

// getProto is get for an endpoint that answers in protobuf too: out is
// filled from the protobuf answer, or jsonOut from a JSON one; isProto
// says which.
func (c *Client) getProto(ctx context.Context, path string, out proto.Message, jsonOut any) (isProto bool, err error) {
	return c.exchangeProto(ctx, http.MethodGet, path, nil, "", nil, out, jsonOut)
}

func (c *Client) exchangeProto(ctx context.Context, method, path string, q url.Values, contentType string, body []byte,
	out proto.Message, jsonOut any) (bool, error) {
	_, mt, answer, err := c.exchange(ctx, method, path, q, acceptProto, contentType, body)
	if err != nil {
		return false, err
	}
	if mt != ProtoContentType {
		return false, decode(answer, jsonOut)
	}
	if err := proto.Unmarshal(answer, out); err != nil {
		return true, fmt.Errorf("client: decoding the API's answer as %T: %w", out, err)
	}
	return true, nil
}

// exchange performs one request, asking for an answer of the media types in
// accept, and returns a 2xx answer's status, media type and body; any other
// answer is an *APIError.
func (c *Client) exchange(ctx context.Context, method, path string, q url.Values, accept, contentType string, body []byte) (int, string, []byte, error) {
	u := c.base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	var reqBody io.Reader
	if contentType != "" {
		reqBody = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, reqBody)
	if err != nil {
		return 0, "", nil, fmt.Errorf("client: %s %s: %w", method, u, err)
	}
	req.Header.Set("Accept", accept)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "dial" {
			return 0, "", nil, &unreachableError{url: c.base, err: op}
		}
		return 0, "", nil, fmt.Errorf("client: %s %s: %w", method, u, err)
	}
	defer resp.Body.Close()
	answer, err := readAnswer(resp)
	if err != nil {
		return 0, "", nil, fmt.Errorf("client: reading the answer to %s %s: %w", method, u, err)
	}
	if len(answer) > MaxResponseSize {
		return 0, "", nil, fmt.Errorf("client: the answer to %s %s exceeds %d bytes", method, u, MaxResponseSize)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return 0, "", nil, apiError(resp, answer)
	}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	return resp.StatusCode, mt, answer, nil
}

// readAnswer reads resp's body, up to MaxResponseSize+1 bytes, into one
// buffer of its declared length when it declares one (io.ReadAll grows its
// buffer from 512 bytes, copying at each step).
func readAnswer(resp *http.Response) ([]byte, error) {
	r := io.LimitReader(resp.Body, MaxResponseSize+1)
	if resp.ContentLength <= 0 || resp.ContentLength > MaxResponseSize {
		return io.ReadAll(r)
	}
	var b bytes.Buffer
	b.Grow(int(resp.ContentLength) + bytes.MinRead)
	_, err := b.ReadFrom(r)
	return b.Bytes(), err
}

// apiError reads a non-2xx answer: Peg's error body, or, from something that
// is not Peg (a proxy, another server), the status and the start of the text.
func apiError(resp *http.Response, body []byte) *APIError {
	e := &APIError{}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt == "application/json" {
		if json.Unmarshal(body, e) == nil && e.Name != "" {
			e.Status = resp.StatusCode
			return e
		}
	}
	text := strings.TrimSpace(string(body))
	if len(text) > 200 {
		text = text[:200] + "…"
	}
	if text == "" {
		text = http.StatusText(resp.StatusCode)
	}
	return &APIError{
		Status:  resp.StatusCode,
		Name:    strings.ToUpper(strings.ReplaceAll(http.StatusText(resp.StatusCode), " ", "_")),
		Message: fmt.Sprintf("%s answered: %s", resp.Request.URL.Redacted(), text),
	}
}

func decode(body []byte, out any) error {
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("client: decoding the API's answer as %T: %w", out, err)
	}
	return nil
}
