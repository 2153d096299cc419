package gateway

import (
	"context"
	"fmt"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/network"
)

// region is the gateway's view of one region: where to send its requests
// and whether it answers.
type region struct {
	code      ledger.Region
	chainID   string
	endpoints []string
	clients   []*client.Client // one per endpoint, in order
	bases     []*url.URL       // the endpoints parsed, for the reverse proxy

	// checking is set while a check that a failed forward started runs,
	// so that failures at a high rate start one check, not one each.
	checking atomic.Bool

	// fullUntil (Unix nanoseconds) and fullAnswer are the region's last
	// refusal of a batch for want of room and until when the gateway
	// answers it itself (RoomBackoff).
	fullUntil  atomic.Int64
	fullAnswer atomic.Pointer[client.APIError]

	mu      sync.Mutex
	current int       // the endpoint that answered the last health check
	checked bool      // a health check has run
	up      bool      // the last health check found an endpoint that answers
	since   time.Time // when up last changed, or when the gateway first checked
	reason  string    // why the region is down
}

func newRegion(r network.Region, now time.Time) *region {
	g := &region{code: r.Region, chainID: r.ChainID, endpoints: r.Endpoints, since: now, reason: "not checked yet"}
	for _, e := range r.Endpoints {
		g.clients = append(g.clients, client.New(e))
		base, err := url.Parse(e) // validated by network.Parse
		if err != nil {
			panic(fmt.Sprintf("gateway: endpoint %q: %v", e, err))
		}
		g.bases = append(g.bases, base)
	}
	return g
}

// health is a region's state as one health check or forward leaves it.
type health struct {
	up       bool
	endpoint int
	reason   string
}

// check asks each endpoint in turn for its status, each within timeout, and
// returns the first that answers as the region's chain.
func (r *region) check(ctx context.Context, timeout time.Duration) health {
	var reasons []string
	for i, c := range r.clients {
		ctx, cancel := context.WithTimeout(ctx, timeout)
		s, err := c.Status(ctx)
		cancel()
		switch {
		case err != nil:
			reasons = append(reasons, fmt.Sprintf("%s: %v", r.endpoints[i], err))
		case s.ChainID != r.chainID || s.Region != r.code:
			reasons = append(reasons, fmt.Sprintf("%s serves chain %q of region %s, not %q of %s",
				r.endpoints[i], s.ChainID, s.Region, r.chainID, r.code))
		default:
			return health{up: true, endpoint: i}
		}
	}
	return health{reason: fmt.Sprint(reasons)}
}

// set records h at now and reports whether the region changed between up
// and down, or was checked for the first time.
func (r *region) set(h health, now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	changed := r.up != h.up
	if changed {
		r.since = now
	}
	first := !r.checked
	r.checked, r.up, r.reason = true, h.up, h.reason
	if h.up {
		r.current = h.endpoint
	}
	return changed || first
}

// target returns the client of the endpoint to forward to, or the
// rejection that says the region is down.
func (r *region) target() (*client.Client, string, *ledger.Rejection) {
	c, endpoint, _, rej := r.targetURL()
	return c, endpoint, rej
}

// targetURL is target with the endpoint parsed.
func (r *region) targetURL() (*client.Client, string, *url.URL, *ledger.Rejection) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.up {
		return nil, "", nil, r.downLocked()
	}
	return r.clients[r.current], r.endpoints[r.current], r.bases[r.current], nil
}

func (r *region) downLocked() *ledger.Rejection {
	return ledger.Reject(ledger.CodeRegionDown, "region %s (chain %s) is down since %s: %s; nothing was forwarded",
		r.code, r.chainID, r.since.UTC().Format(time.RFC3339), r.reason)
}

// fail marks the region down after a forward to endpoint failed to reach
// it, unless a health check has moved to another endpoint meanwhile, and
// returns the rejection to answer.
func (r *region) fail(endpoint string, err error, now time.Time) *ledger.Rejection {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.up && r.endpoints[r.current] == endpoint {
		r.up, r.since, r.reason = false, now, fmt.Sprintf("%s: %v", endpoint, err)
	}
	if !r.up {
		return r.downLocked()
	}
	return ledger.Reject(ledger.CodeRegionDown, "region %s: %s did not answer (%v); nothing was forwarded", r.code, endpoint, err)
}

// RoomBackoff is how long, after a region refused a batch for want of room
// (503 UNAVAILABLE: its mempool and admission cache are full), the gateway
// answers the batches bound for it with that refusal itself, before parsing
// and verifying them. A node's room frees only as its blocks commit, and a
// client refused retries after a block; under overload, the batches the
// gateway verified only to see them refused were a fifth of its signature
// checks (BENCHMARKS.md, "Gateway"). A block of a loaded region takes longer
// than this, so a batch the region would have taken is rarely refused.
const RoomBackoff = 100 * time.Millisecond

// full records the region's refusal e, for want of room, at now, to be
// answered for backoff.
func (r *region) full(e *client.APIError, now time.Time, backoff time.Duration) {
	r.fullAnswer.Store(&client.APIError{Status: e.Status, Code: e.Code, Name: e.Name,
		Message: fmt.Sprintf("region %s had no room at %s; the gateway answers so for %s: %s",
			r.code, now.UTC().Format(time.RFC3339Nano), backoff, e.Message)})
	r.fullUntil.Store(now.Add(backoff).UnixNano())
}

// noRoom is the region's refusal for want of room while it holds, or nil.
func (r *region) noRoom(now time.Time) *client.APIError {
	if now.UnixNano() >= r.fullUntil.Load() {
		return nil
	}
	return r.fullAnswer.Load()
}

// Status is a region as GET /v1/regions shows it.
type Status struct {
	Region    ledger.Region `json:"region"`
	ChainID   string        `json:"chain_id"`
	Endpoints []string      `json:"endpoints"`
	// Endpoint is the endpoint requests go to while Up.
	Endpoint string    `json:"endpoint,omitempty"`
	Up       bool      `json:"up"`
	Since    time.Time `json:"since"`
	Reason   string    `json:"reason,omitempty"`
}

func (r *region) status() Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := Status{Region: r.code, ChainID: r.chainID, Endpoints: r.endpoints, Up: r.up, Since: r.since.UTC()}
	if r.up {
		s.Endpoint = r.endpoints[r.current]
	} else {
		s.Reason = r.reason
	}
	return s
}
