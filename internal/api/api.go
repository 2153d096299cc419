// Package api owns Peg's REST/JSON API: the OpenAPI document (openapi.yaml,
// written first and served at /openapi.yaml), the validation of every /v1
// request against it, the handlers, and the one table from ledger result codes
// to HTTP statuses (errors.go).
//
// The API is a client of the ledger like any other: it reads committed state
// through a snapshot and submits signed transactions to the mempool, through
// the Chain a node gives it. It never writes state. The JSON types are those of
// internal/client, so that the server and the client share one definition.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/console"
	"github.com/pegledger/peg/internal/index/query"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/proof"
	"github.com/pegledger/peg/internal/state"
	"github.com/pegledger/peg/internal/store"
	"github.com/pegledger/peg/internal/tx"
)

// Chain is what the API needs from a running node.
type Chain interface {
	ChainID() string
	Region() ledger.Region
	// Snapshot is a view of the committed state; the caller closes it.
	Snapshot() *store.Snapshot
	// Unspent is the committed state's unspent coins, held in memory, and
	// the owner index (state.Unspent). It follows each commit beside the
	// store, so it may be a block ahead of a snapshot or behind it.
	Unspent() *state.Unspent
	// Committed returns a channel closed at the next commit.
	Committed() <-chan struct{}
	// Submit offers raw to the mempool and returns the admission (CheckTx)
	// result; the error is an operating failure, not a rejection.
	Submit(ctx context.Context, raw []byte) (ledger.Code, string, error)
	// SubmitBatch offers raws to the mempool packed in one batch (at most
	// tx.MaxBatchTxs of them) and returns each one's admission; the error
	// is an operating failure.
	SubmitBatch(ctx context.Context, raws [][]byte) ([]Admission, error)
	// Room refuses raws at once if the node has no room for them now, so
	// that a client refused for want of room (503) costs the node no more
	// than reading its request, not parsing its transactions; nil means
	// SubmitBatch may take them.
	Room(raws [][]byte) error
	// Block returns a committed block, the latest for height 0, or nil, nil
	// if there is no such block.
	Block(height int64) (*Block, error)
	// BlockTime returns a committed block's time from its header alone, or
	// false if there is no such block.
	BlockTime(height int64) (time.Time, bool, error)
	// BlockEvents returns the events a committed block emitted itself, at
	// its end rather than in a transaction's receipt (reserve status changes
	// found in block time). A node keeps them for its recent blocks only,
	// at least MaxEventReplay of them; nil for a block without any.
	BlockEvents(height int64) ([]state.Event, error)
	// ReceiptProof proves a committed receipt (internal/proof), from the
	// consensus engine's blocks, results and commits; ErrProofNotYet until
	// the block after the receipt's is committed.
	ReceiptProof(ctx context.Context, rc *state.Receipt) (*proof.Receipt, error)
	// Signing reads who signed block height−1, from the commit block
	// height carries; false before block 2 or for a block the node lacks.
	Signing(ctx context.Context, height int64) (client.Signing, bool, error)
}

// Admission is the mempool's answer to one transaction: OK, or its rejection.
type Admission struct {
	Code ledger.Code
	Log  string
}

// Block is a committed block as the consensus engine keeps it. AppHash is the
// app hash its header carries (in CometBFT, that of the state after the
// previous block); Proposer is the proposing validator's address as the engine
// prints it.
type Block struct {
	Height        int64
	Time          time.Time
	Hash, AppHash []byte
	Proposer      string
	Txs           []tx.Listing // batches unpacked
}

// Limits of the API.
const (
	// MaxRequestBody bounds a request body: a transaction is at most
	// tx.MaxTxSize bytes, a third more in base64, plus a little JSON.
	MaxRequestBody = 64 << 10
	// MaxCoinsPage bounds the coins one request lists, so that an account
	// with many coins cannot make one answer unbounded.
	MaxCoinsPage = client.MaxCoinsPage
	// DefaultCoinsPage is the page size when the request names none.
	DefaultCoinsPage = 100
	// MaxAttestationsPage bounds the attestations one request lists.
	MaxAttestationsPage = client.MaxAttestationsPage
	// DefaultAttestationsPage is the page size when the request names none.
	DefaultAttestationsPage = 100
	// DefaultWait bounds how long POST /v1/txs waits for a block to include
	// the transaction. An http.Server in front of the API needs a
	// WriteTimeout longer than this.
	DefaultWait = 30 * time.Second
)

// server answers the API's requests.
type server struct {
	chain   Chain
	genesis state.Genesis
	log     *slog.Logger
	wait    time.Duration // how long a submission waits for its block
	events  *hub          // the event stream's fan-out
	// keepAlive is how often an idle event stream carries a comment
	// (KeepAlive; shorter in tests).
	keepAlive time.Duration
	console   *console.Console // the web console, at console.Prefix
	index     *query.Reader    // the index database's reader (WithIndex), nil without one
	// pageReceipts and pageBytes bound the receipts of one GET /v1/blocks
	// answer (MaxBlockPageReceipts, MaxBlockPageBytes; smaller in tests).
	pageReceipts, pageBytes int
}

// ConsoleAliasKey gives the web console the platform's alias key file, so
// that its search finds an account by phone or ID number; without it the
// console says it cannot resolve aliases.
func ConsoleAliasKey(path string) Option {
	return func(s *server) {
		s.console = console.New(console.Config{AliasKeyFile: path, Log: s.log.With("part", "console")})
	}
}

// New returns the API's handler: /healthz, /openapi.yaml, the /v1 routes
// and the web console (internal/console, at /console/, which reads the API
// it is served with), each request logged at debug level.
func New(chain Chain, genesis state.Genesis, log *slog.Logger, opts ...Option) *Handler {
	s := newServer(chain, genesis, log, DefaultWait)
	for _, o := range opts {
		o(s)
	}
	return &Handler{Handler: s.handler(), s: s}
}

// Handler is the API as an http.Handler, with what http.Server.Shutdown
// cannot do: an event stream (GET /v1/events) never goes idle, so Close ends
// the streams and waits for them. Call Close after Shutdown and before closing
// the store the Chain reads.
type Handler struct {
	http.Handler
	s *server
}

// Close ends every event stream, with a comment telling its client to
// reconnect, refuses new ones (503), and returns once none reads the chain.
// Other requests are unaffected; http.Server.Shutdown drains those.
func (h *Handler) Close() { h.s.events.close() }

func newServer(chain Chain, genesis state.Genesis, log *slog.Logger, wait time.Duration) *server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &server{chain: chain, genesis: genesis, log: log, wait: wait, keepAlive: KeepAlive,
		console:      console.New(console.Config{Log: log.With("part", "console")}),
		pageReceipts: MaxBlockPageReceipts, pageBytes: MaxBlockPageBytes}
	s.events = newHub(s, MaxEventBuffer)
	return s
}

// handlerFunc is a JSON handler: it writes its answer, or returns the error to
// answer with: an *client.APIError as it is, anything else as a logged 500.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// route is one operation of the API; routes lists them all, and the test
// checks them against openapi.yaml both ways.
type route struct {
	method, pattern string
	handle          handlerFunc
}

func (s *server) routes() []route {
	return []route{
		{"GET", "/v1/status", s.status},
		{"GET", "/v1/codes", s.codes},
		{"GET", "/v1/audit", s.audit},
		{"POST", "/v1/txs", s.submit},
		{"POST", "/v1/txs/batch", s.submitBatch},
		{"GET", "/v1/txs/{id}", s.tx},
		{"GET", "/v1/txs/{id}/proof", s.txProof},
		{"GET", "/v1/coins/{id}/proof", s.coinProof},
		{"GET", "/v1/tokens", s.tokens},
		{"GET", "/v1/tokens/{id}", s.token},
		{"GET", "/v1/tokens/{id}/redemptions", s.redemptions},
		{"GET", "/v1/tokens/{id}/attestations", s.attestations},
		{"GET", "/v1/tokens/{id}/reports/{month}", s.report},
		{"GET", "/v1/reserves", s.reserves},
		{"GET", "/v1/fees", s.fees},
		{"GET", "/v1/transfers", s.transfers},
		{"GET", "/v1/transfers/{id}", s.transfer},
		{"GET", "/v1/network/trust", s.trust},
		{"GET", "/v1/events", s.streamEvents},
		{"GET", "/v1/accounts/{address}", s.account},
		{"GET", "/v1/accounts/{address}/balances", s.balances},
		{"GET", "/v1/accounts/{address}/coins", s.coins},
		{"GET", "/v1/accounts/{address}/fee", s.feeAccount},
		{"GET", "/v1/accounts/{address}/fee/history", s.feeHistory},
		{"GET", "/v1/accounts/{owner}/approvals/{spender}", s.approval},
		{"GET", "/v1/aliases/{hash}", s.alias},
		{"GET", "/v1/registrars", s.registrars},
		{"GET", "/v1/accounts/{address}/certificate", s.certificate},
		{"GET", "/v1/accounts/{address}/credit/history", s.creditHistory},
		{"GET", "/v1/credit/nodes/{address}", s.creditNode},
		{"GET", "/v1/credit/nodes/{address}/limit", s.creditLimit},
		{"GET", "/v1/credit/across", s.creditAcross},
		{"GET", "/v1/credit/requests/{id}", s.creditRequest},
		{"GET", "/v1/trades/{id}", s.tradeByID},
		{"GET", "/v1/accounts/{address}/trades", s.accountTrades},
		{"GET", "/v1/accounts/{address}/notifications", s.notifications},
		{"GET", "/v1/accounts/{address}/notifications/stream", s.notificationStream},
		{"GET", "/v1/trade-rules", s.tradeRules},
		{"GET", "/v1/tokens/{id}/endorsement", s.endorsePolicy},
		{"GET", "/v1/tokens/{id}/mint-requests", s.mintRequests},
		{"GET", "/v1/mint-requests/{id}", s.mintRequest},
		{"GET", "/v1/tokens/{id}/kyc", s.kycTiers},
		{"GET", "/v1/accounts/{address}/kyc/{token}", s.kycAccount},
		{"GET", "/v1/blocks", s.blocks},
		{"GET", "/v1/blocks/latest", s.latestBlock},
		{"GET", "/v1/blocks/{height}", s.block},
		{"GET", "/v1/history", s.history},
		{"GET", "/v1/history/blocks", s.historyBlocks()},
		{"GET", "/v1/history/txs/{id}", s.historyTx()},
		{"GET", "/v1/history/coins/{id}", s.historyCoin()},
		{"GET", "/v1/history/status", s.indexStatus()},
		{"GET", "/v1/analytics/volumes", analysis(s, (*query.Reader).Volumes)},
		{"GET", "/v1/analytics/corridors", analysis(s, (*query.Reader).Corridors)},
		{"GET", "/v1/analytics/active", analysis(s, (*query.Reader).Active)},
		{"GET", "/v1/analytics/settlement", analysis(s, (*query.Reader).Settlement)},
		{"GET", "/v1/analytics/coverage", analysis(s, (*query.Reader).Coverage)},
		{"GET", "/v1/analytics/trend", analysis(s, (*query.Reader).Trend)},
		{"GET", "/v1/published", s.published()},
		{"GET", "/v1/published/{name}", s.publishedReport},
	}
}

// routing is the API's two muxes and the patterns registered on them.
type routing struct {
	outer    *http.ServeMux // /healthz, /openapi.yaml, /v1/ to v1, /console/, and a 404 for the rest
	v1       *http.ServeMux // the /v1 operations, behind the validator
	patterns []string       // every "METHOD /path" registered, for the test against openapi.yaml
}

// mux builds the routes. The request validator guards /v1/ only, because it
// answers 404 for any path the document lacks; strictJSON checks the JSON
// bodies before it.
func (s *server) mux() routing {
	rt := routing{outer: http.NewServeMux(), v1: http.NewServeMux()}
	for _, r := range s.routes() {
		p := r.method + " " + r.pattern
		rt.v1.Handle(p, s.serveJSON(r.handle))
		rt.patterns = append(rt.patterns, p)
	}
	handle := func(p string, h http.HandlerFunc) {
		rt.outer.Handle(p, h)
		rt.patterns = append(rt.patterns, p)
	}
	handle("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprint(w, "ok")
	})
	handle("GET /openapi.yaml", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/yaml")
		w.Write(specYAML)
	})
	rt.outer.Handle("/v1/", s.strictJSON(s.validator()(rt.v1)))
	rt.outer.Handle(console.Prefix, s.console)
	rt.outer.Handle("GET /{$}", http.RedirectHandler(console.Prefix, http.StatusFound))
	rt.outer.Handle("/", s.serveJSON(func(w http.ResponseWriter, r *http.Request) error {
		return notFound("no API route %s %s; see /openapi.yaml", r.Method, r.URL.Path)
	}))
	return rt
}

func (s *server) handler() http.Handler {
	return s.logRequests(s.recoverPanics(limitBody(s.mux().outer)))
}

func (s *server) serveJSON(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}

// writeJSON answers v with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Every answer is one of the client's types, which always encode.
		panic(fmt.Sprintf("api: encoding %T: %v", v, err))
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// wantsProto reports whether r's Accept header names the protobuf media
// type, with a quality above zero if it gives one; the endpoints that offer
// a protobuf answer then give it.
func wantsProto(r *http.Request) bool {
	for part := range strings.SplitSeq(r.Header.Get("Accept"), ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil || mt != client.ProtoContentType {
			continue
		}
		q, ok := params["q"]
		if !ok {
			return true
		}
		v, err := strconv.ParseFloat(q, 64)
		return err == nil && v > 0
	}
	return false
}

// writeProto answers m in protobuf (client.ProtoContentType).
func writeProto(w http.ResponseWriter, status int, m proto.Message) {
	b, err := proto.Marshal(m)
	if err != nil {
		panic(fmt.Sprintf("api: encoding %T: %v", m, err)) // wirepb messages always encode
	}
	w.Header().Set("Content-Type", client.ProtoContentType)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(b)
}

// writeError answers err: Peg's error shape with its status, or, for an
// operating failure, a logged 500 that does not leak the failure's text.
func (s *server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var e *client.APIError
	if !errors.As(err, &e) {
		s.log.Error("api: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		e = apiError(CodeInternal, "the API could not answer %s %s; the node's log has the cause", r.Method, r.URL.Path)
	}
	writeJSON(w, e.Status, e)
}

// limitBody bounds every request body to MaxRequestBody, a batch
// submission's to MaxBatchRequestBody.
func limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		limit := int64(MaxRequestBody)
		if r.URL.Path == "/v1/txs/batch" {
			limit = MaxBatchRequestBody
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		next.ServeHTTP(w, r)
	})
}

// recoverPanics answers a handler's panic with a 500 in Peg's shape and logs
// it with its stack, instead of net/http dropping the connection.
func (s *server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v) // net/http's own way to abort a response
			}
			s.log.Error("api: handler panicked", "method", r.Method, "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
			e := apiError(CodeInternal, "the API failed answering %s %s; the node's log has the cause", r.Method, r.URL.Path)
			writeJSON(w, e.Status, e)
		}()
		next.ServeHTTP(w, r)
	})
}

// statusRecorder remembers the status a handler answered with.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
	r.ResponseWriter.WriteHeader(status)
}

// Unwrap lets http.ResponseController reach the connection, to flush and set
// deadlines on an event stream.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// logRequests logs every request at debug level: method, path, status,
// duration.
func (s *server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.log.Enabled(r.Context(), slog.LevelDebug) {
			next.ServeHTTP(w, r)
			return
		}
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		s.log.LogAttrs(r.Context(), slog.LevelDebug, "http request",
			slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", rec.status), slog.Duration("duration", time.Since(start)))
	})
}
