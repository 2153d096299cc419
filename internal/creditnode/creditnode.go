// Package creditnode is a credit node's service (S4.1, S4.11): beside the
// chains it serves, it accepts signed credit transactions over HTTP and
// submits them, refusing every one while any served chain is not live (no
// block within MaxBlockAge, or less than MinSignedPermille of its voting
// power signing its latest commit), with which chain and why; it keeps the
// documents whose hashes requests for a higher limit carry; and it follows
// every chain's credit events, telling payers and payees through
// server-sent events and signed webhooks (as the reserve monitor's alerts
// are signed, monitor.Sign). It reads committed state and submits signed
// transactions like any client: it never writes the ledger.
package creditnode

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/monitor"
	"github.com/pegledger/peg/internal/tx"
)

// Limits of the service.
const (
	// MaxChains bounds the chains one service serves.
	MaxChains = 16
	// MaxBody bounds a request's body: a transaction or a document.
	MaxBody = 1 << 20
	// MaxSubscribers bounds the event streams open at once.
	MaxSubscribers = 256
	// DefaultMaxBlockAge is how old a chain's latest block may be while it
	// counts as live, unless the configuration says otherwise.
	DefaultMaxBlockAge = 30 * time.Second
	// DefaultMinSignedPermille is the least share of a chain's voting
	// power, in thousandths, that must have signed its latest commit while
	// it counts as live, unless the configuration says otherwise. Every
	// committed block has more than 2/3; 4/5 leaves a margin: a chain of
	// four equal validators with one silent (3/4) is refused, because one
	// more fault would stop it and a request must be confirmed, and paid
	// across regions, before its deadline; a chain of seven with one silent
	// (6/7) still serves.
	DefaultMinSignedPermille = 800
	// minSignedPermille is the least MinSignedPermille: below 2/3 no
	// block commits, so a lower bound would judge nothing.
	minSignedPermille = 667
)

// Chain is a chain the node serves: a name people read (its region) and its
// API.
type Chain struct {
	Name string
	URL  string
}

// Config is the service's configuration.
type Config struct {
	Chains []Chain
	// MaxBlockAge is how old a chain's latest block may be (by this
	// machine's clock) while it counts as live.
	MaxBlockAge time.Duration
	// MinSignedPermille is the least share of a chain's voting power, in
	// thousandths (667 to 1000), that signed the commit its latest block
	// carries while it counts as live.
	MinSignedPermille int64
	// Documents is the directory documents are kept in, by SHA-256.
	Documents string
	Webhooks  []monitor.Webhook
}

// Validate checks the configuration.
func (c Config) Validate() error {
	if len(c.Chains) == 0 || len(c.Chains) > MaxChains {
		return fmt.Errorf("creditnode: %d chains, want 1 to %d", len(c.Chains), MaxChains)
	}
	if c.MaxBlockAge <= 0 {
		return errors.New("creditnode: the block age bound must be positive")
	}
	if c.MinSignedPermille < minSignedPermille || c.MinSignedPermille > 1000 {
		return fmt.Errorf("creditnode: the least signed share is %d‰, want %d‰ to 1000‰", c.MinSignedPermille, minSignedPermille)
	}
	if c.Documents == "" {
		return errors.New("creditnode: no documents directory")
	}
	for _, h := range c.Webhooks {
		if err := h.Validate(); err != nil {
			return err
		}
	}
	return nil
}

// Service is a running credit node service.
type Service struct {
	cfg     Config
	clients []*client.Client
	log     *slog.Logger
	now     func() time.Time
	mu      sync.Mutex
	subs    map[chan client.StreamEvent]bool
	hooks   *http.Client
}

// New builds the service.
func New(cfg Config, log *slog.Logger) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.Documents, 0o700); err != nil {
		return nil, err
	}
	s := &Service{cfg: cfg, log: log, now: time.Now, subs: make(map[chan client.StreamEvent]bool),
		hooks: &http.Client{Timeout: monitor.DeliveryTimeout}}
	for _, c := range cfg.Chains {
		s.clients = append(s.clients, client.New(c.URL))
	}
	return s, nil
}

// Liveness is one chain's standing.
type Liveness struct {
	Chain     string    `json:"chain"`
	Live      bool      `json:"live"`
	Height    uint64    `json:"height,omitempty"`
	BlockTime time.Time `json:"block_time,omitzero"`
	// Signing is who signed the latest commit, when the chain has one.
	Signing *client.Signing `json:"signing,omitempty"`
	Reason  string          `json:"reason,omitempty"`
}

// liveness asks every chain for its latest block and the commit it carries,
// and judges them.
func (s *Service) liveness(ctx context.Context) []Liveness {
	out := make([]Liveness, len(s.clients))
	for i, c := range s.clients {
		l := Liveness{Chain: s.cfg.Chains[i].Name}
		st, err := c.Status(ctx)
		switch {
		case err != nil:
			l.Reason = "unreachable: " + err.Error()
		case st.BlockTime.IsZero():
			l.Reason = "no block yet"
		default:
			l.Height, l.BlockTime, l.Signing = st.Height, st.BlockTime, st.LastCommit
			l.Reason = s.judge(st)
			l.Live = l.Reason == ""
		}
		out[i] = l
	}
	return out
}

// judge says why a chain with a block is not live, or "" if it is: its
// latest block too old, or too little of its voting power signing the
// commit that block carries. A chain at block 1 has no commit to weigh
// yet, and its block's age decides.
func (s *Service) judge(st *client.Status) string {
	if age := s.now().Sub(st.BlockTime); age > s.cfg.MaxBlockAge {
		return fmt.Sprintf("no block for %s (the bound is %s); the last is %d", age.Truncate(time.Second), s.cfg.MaxBlockAge, st.Height)
	}
	sg := st.LastCommit
	if sg == nil || sg.TotalPower <= 0 {
		return ""
	}
	// Whole numbers, so that a share exactly at the bound is live:
	// signed/total ≥ min/1000.
	if sg.SignedPower*1000 < s.cfg.MinSignedPermille*sg.TotalPower {
		return fmt.Sprintf("too few validators signing: %d of %d (voting power %d of %d, %d‰) signed block %d, the least is %d‰",
			sg.Signed, sg.Validators, sg.SignedPower, sg.TotalPower, sg.SignedPower*1000/sg.TotalPower, sg.Height, s.cfg.MinSignedPermille)
	}
	return ""
}

// notLive is the refusal while a chain is not live.
func notLive(ls []Liveness) error {
	var why []string
	for _, l := range ls {
		if !l.Live {
			why = append(why, fmt.Sprintf("chain %s: %s", l.Chain, l.Reason))
		}
	}
	if len(why) == 0 {
		return nil
	}
	return errors.New(strings.Join(why, "; "))
}

// errorBody is the service's error shape, as the API's.
type errorBody struct {
	Code    uint32 `json:"code"`
	Name    string `json:"name"`
	Message string `json:"message"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func fail(w http.ResponseWriter, status int, name, format string, args ...any) {
	writeJSON(w, status, errorBody{Name: name, Message: fmt.Sprintf(format, args...)})
}

// Handler serves the service's HTTP API:
//
//	GET  /v1/chains           every served chain's liveness
//	POST /v1/txs              {"chain": NAME, "tx": BASE64}: a signed credit transaction to submit
//	POST /v1/documents        a document's bytes; answers its SHA-256, under which it is kept
//	GET  /v1/documents/{hash} a kept document
//	GET  /v1/events           server-sent events: each credit step on every chain
func (s *Service) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/chains", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.liveness(r.Context()))
	})
	mux.HandleFunc("POST /v1/txs", s.submit)
	mux.HandleFunc("POST /v1/documents", s.putDocument)
	mux.HandleFunc("GET /v1/documents/{hash}", s.getDocument)
	mux.HandleFunc("GET /v1/events", s.events)
	return http.MaxBytesHandler(mux, MaxBody)
}

// submitRequest is POST /v1/txs's body.
type submitRequest struct {
	Chain string `json:"chain"`
	Tx    []byte `json:"tx"`
}

// creditKinds are the transactions the service accepts.
var creditKinds = map[string]bool{
	"credit_request": true, "credit_confirm": true, "credit_receipt": true, "credit_repay": true,
	"set_credit_line": true, "credit_increase": true, "register_certificate": true,
}

func (s *Service) submit(w http.ResponseWriter, r *http.Request) {
	var req submitRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		fail(w, http.StatusBadRequest, "BAD_REQUEST", "the body is not {\"chain\", \"tx\"}: %v", err)
		return
	}
	i := -1
	for j, c := range s.cfg.Chains {
		if c.Name == req.Chain {
			i = j
		}
	}
	if i < 0 {
		fail(w, http.StatusNotFound, "UNKNOWN_CHAIN", "this node serves no chain %q", req.Chain)
		return
	}
	if err := notLive(s.liveness(r.Context())); err != nil {
		fail(w, http.StatusServiceUnavailable, "CHAIN_NOT_LIVE", "credit requests are refused while a served chain is not live: %v", err)
		return
	}
	_, kind, rej := tx.Peek(req.Tx)
	if rej != nil {
		writeJSON(w, http.StatusBadRequest, errorBody{Code: uint32(rej.Code), Name: rej.Code.Name(), Message: rej.Message})
		return
	}
	if !creditKinds[kind] {
		fail(w, http.StatusBadRequest, "NOT_CREDIT", "a %q transaction is not one a credit node submits", kind)
		return
	}
	res, err := s.clients[i].Submit(r.Context(), req.Tx, true)
	var apiErr *client.APIError
	if errors.As(err, &apiErr) {
		writeJSON(w, apiErr.Status, errorBody{Code: apiErr.Code, Name: apiErr.Name, Message: apiErr.Message})
		return
	}
	if err != nil {
		fail(w, http.StatusBadGateway, "CHAIN_ERROR", "chain %s: %v", req.Chain, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (s *Service) putDocument(w http.ResponseWriter, r *http.Request) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		fail(w, http.StatusRequestEntityTooLarge, "TOO_LARGE", "%v", err)
		return
	}
	sum := sha256.Sum256(b)
	h := hex.EncodeToString(sum[:])
	if err := os.WriteFile(filepath.Join(s.cfg.Documents, h), b, 0o600); err != nil {
		fail(w, http.StatusInternalServerError, "ERROR", "keeping the document: %v", err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]string{"sha256": h})
}

func (s *Service) getDocument(w http.ResponseWriter, r *http.Request) {
	h := r.PathValue("hash")
	if b, err := hex.DecodeString(h); err != nil || len(b) != sha256.Size || h != strings.ToLower(h) {
		fail(w, http.StatusBadRequest, "BAD_REQUEST", "want a SHA-256 in lowercase hex")
		return
	}
	b, err := os.ReadFile(filepath.Join(s.cfg.Documents, h))
	if err != nil {
		fail(w, http.StatusNotFound, "NOT_FOUND", "no document %s", h)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Write(b)
}

func (s *Service) events(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		fail(w, http.StatusInternalServerError, "ERROR", "streaming is not supported")
		return
	}
	ch := make(chan client.StreamEvent, 64)
	s.mu.Lock()
	if len(s.subs) >= MaxSubscribers {
		s.mu.Unlock()
		fail(w, http.StatusServiceUnavailable, "TOO_MANY_STREAMS", "%d streams are open, the most allowed", MaxSubscribers)
		return
	}
	s.subs[ch] = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.subs, ch)
		s.mu.Unlock()
	}()
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	fl.Flush()
	for {
		select {
		case <-r.Context().Done():
			return
		case e := <-ch:
			b, _ := json.Marshal(e)
			fmt.Fprintf(w, "event: %s\ndata: %s\n\n", e.Type, b)
			fl.Flush()
		}
	}
}

// publish tells the streams and the webhooks of e. A stream too slow to
// take it loses it rather than hold up the others.
func (s *Service) publish(ctx context.Context, e client.StreamEvent) {
	s.mu.Lock()
	for ch := range s.subs {
		select {
		case ch <- e:
		default:
			s.log.Warn("a slow event stream missed an event", "type", e.Type, "height", e.Height)
		}
	}
	s.mu.Unlock()
	body, err := json.Marshal(e)
	if err != nil {
		return
	}
	for _, h := range s.cfg.Webhooks {
		s.deliver(ctx, h, body)
	}
}

// deliver posts body to a webhook, signed, with the monitor's retries.
func (s *Service) deliver(ctx context.Context, h monitor.Webhook, body []byte) {
	wait := monitor.FirstRetry
	for attempt := 1; attempt <= monitor.MaxAttempts; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.URL, bytes.NewReader(body))
		if err != nil {
			return
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(monitor.SignatureHeader, monitor.Sign(h.Secret, time.Now(), body))
		resp, err := s.hooks.Do(req)
		if err == nil {
			io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
			if resp.StatusCode >= 200 && resp.StatusCode < 300 {
				return
			}
			err = fmt.Errorf("receiver answered HTTP %d", resp.StatusCode)
		}
		s.log.Warn("credit webhook delivery failed", "url", h.URL, "attempt", attempt, "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait *= 2
	}
}

// Run follows every chain's credit events until ctx ends, resuming each
// stream after the last block it delivered.
func (s *Service) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for i, c := range s.clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var next int64
			for ctx.Err() == nil {
				err := c.Events(ctx, next, func(e client.StreamEvent) error {
					next = e.Height + 1
					if strings.HasPrefix(e.Type, "credit.") {
						e.Attrs["chain"] = s.cfg.Chains[i].Name
						s.publish(ctx, e)
					}
					return nil
				})
				if ctx.Err() == nil {
					s.log.Warn("following a chain's events", "chain", s.cfg.Chains[i].Name, "err", err)
					select {
					case <-ctx.Done():
					case <-time.After(time.Second):
					}
				}
			}
		}()
	}
	wg.Wait()
}
