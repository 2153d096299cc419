package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/state"
)

// GET /v1/events is a server-sent-events stream of the reserve and fee events
// that committed blocks carry. One follower reads each committed block once (its
// receipts and its own end-of-block events) and hands the encoded messages to
// every open stream through a bounded buffer; a stream that falls behind by
// more than the buffer is dropped rather than let the API hold an unbounded
// backlog. A stream that resumes (Last-Event-ID) reads the blocks it missed
// itself, then takes the follower's.

// Limits of the event stream.
const (
	// KeepAlive is how often an idle stream carries a comment, so that the
	// client and any proxy between see it alive.
	KeepAlive = 15 * time.Second
	// MaxEventBuffer bounds, in blocks with events, how far a stream may fall
	// behind the chain before it is dropped: what one slow client can make
	// the API hold.
	MaxEventBuffer = 64
	// MaxEventReplay bounds how many blocks a resume reaches back: each is
	// read from disk, and a node keeps the block-level events of no more
	// (abci.MaxBlockEventsKept is the same).
	MaxEventReplay = 4096
	// MaxEventStreams bounds the streams open at once; one more answers 503.
	MaxEventStreams = 256
	// EventWriteTimeout bounds one write to a stream; a client that takes
	// longer is dropped. Each write sets its own deadline, which also lifts the
	// server's WriteTimeout, made for requests, not streams.
	EventWriteTimeout = 30 * time.Second
)

// streamed are the event types the stream carries: what a reserve or a fee
// account's standing is, and what changes it, each step of a credit
// payment, which its payer and payee are told of (S4.7, S4.9), and each step
// of a trade, which its parties (and, in a dispute, its arbiter) act on. fee.charged, one per priced
// transaction, is not among them: the stream is for changes people act on,
// and the fee books (GET /v1/fees) add the charges up.
var streamed = map[string]bool{
	"reserve.attested": true, "reserve.status": true,
	"fee.status": true, "fee.deposited": true, "fee.schedule": true,
	"credit.requested": true, "credit.paid": true, "credit.received": true, "credit.repaid": true,
	"credit.increase": true, "credit.increase.decided": true,
	"trade.rules": true, "trade.offered": true, "trade.countered": true, "trade.accepted": true, "trade.funded": true,
	"trade.shipped": true, "trade.confirmed": true, "trade.settled": true, "trade.disputed": true, "trade.resolved": true,
	"trade.cancelled": true,
	"endorse.policy":  true, "mint_request.opened": true, "mint_request.endorsed": true, "mint_request.executed": true,
	"mint_request.refused": true, "mint_request.cancelled": true,
}

// streamEvents answers GET /v1/events.
func (s *server) streamEvents(w http.ResponseWriter, r *http.Request) error {
	from, err := eventStart(r)
	if err != nil {
		return err
	}
	sub, head, err := s.events.subscribe()
	if err != nil {
		return err
	}
	defer s.events.unsubscribe(sub)
	if from == 0 {
		from = head + 1
	}
	if head-from+1 > MaxEventReplay {
		return badRequest("the stream resumes at most %d blocks back, from height %d; events of height %d are in the receipts (GET /v1/txs/{id})",
			MaxEventReplay, head-MaxEventReplay+1, from)
	}
	st := &stream{w: w, rc: http.NewResponseController(w)}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // ask nginx-like proxies not to buffer
	w.WriteHeader(http.StatusOK)
	// From here on the answer is the stream: a failure ends it, with a last
	// comment when the client can still hear one.
	if st.send(fmt.Appendf(nil, ": peg events from height %d\n\n", from)) != nil {
		return nil
	}
	if !s.replay(st, r, from, head) {
		return nil
	}
	tick := time.NewTicker(s.keepAlive)
	defer tick.Stop()
	for {
		select {
		case b, ok := <-sub.ch:
			if !ok {
				if s.events.closing() {
					st.send([]byte(shutdownComment))
				} else {
					st.send(fmt.Appendf(nil, ": dropped: this client fell more than %d blocks behind; reconnect with Last-Event-ID to resume\n\n", MaxEventBuffer))
				}
				return nil
			}
			if b.height >= from && st.send(b.data) != nil {
				return nil
			}
		case <-tick.C:
			if st.send([]byte(": keep-alive\n\n")) != nil {
				return nil
			}
		case <-r.Context().Done():
			return nil
		}
	}
}

const shutdownComment = ": the API is shutting down; reconnect with Last-Event-ID to resume\n\n"

// replay writes the events of blocks from to head, which the stream reads
// itself rather than through the hub. It reports whether the stream goes on.
func (s *server) replay(st *stream, r *http.Request, from, head int64) bool {
	for height := from; height <= head; height++ {
		select {
		case <-s.events.done:
			st.send([]byte(shutdownComment))
			return false
		case <-r.Context().Done():
			return false
		default:
		}
		evs, err := s.eventsAt(height)
		if err != nil {
			s.log.Error("api: reading events for the stream", "height", height, "err", err)
			st.send([]byte(": the API failed reading the chain; reconnect with Last-Event-ID\n\n"))
			return false
		}
		if len(evs) > 0 && st.send(encodeEvents(evs)) != nil {
			return false
		}
	}
	return true
}

// eventStart is the first height a request asks for: after Last-Event-ID,
// else from, else 0 for the next committed block.
func eventStart(r *http.Request) (int64, error) {
	if v := r.Header.Get("Last-Event-ID"); v != "" {
		h, err := strconv.ParseInt(v, 10, 64)
		if err != nil || h < 0 || h == math.MaxInt64 {
			return 0, badRequest("Last-Event-ID %q: want the height of the last event received", v)
		}
		return h + 1, nil
	}
	if v := r.URL.Query().Get("from"); v != "" {
		h, err := strconv.ParseInt(v, 10, 64)
		if err != nil || h < 1 {
			return 0, badRequest("from %q: want a block height from 1", v)
		}
		return h, nil
	}
	return 0, nil
}

// stream writes to one client, each write with its own deadline and flushed.
type stream struct {
	w  http.ResponseWriter
	rc *http.ResponseController
}

func (st *stream) send(b []byte) error {
	err := st.rc.SetWriteDeadline(time.Now().Add(EventWriteTimeout))
	if err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	if _, err := st.w.Write(b); err != nil {
		return err
	}
	return st.rc.Flush()
}

// eventsAt reads the streamed events of a committed block: those of its
// accepted transactions' receipts, in block order, then the block's own.
func (s *server) eventsAt(height int64) ([]client.StreamEvent, error) {
	b, err := s.chain.Block(height)
	if err != nil {
		return nil, err
	}
	if b == nil {
		return nil, fmt.Errorf("api: the node has no block at committed height %d", height)
	}
	snap := s.chain.Snapshot()
	defer snap.Close()
	var out []client.StreamEvent
	add := func(e state.Event, id ledger.TxID) {
		if !streamed[e.Type] {
			return
		}
		se := client.StreamEvent{Height: height, Time: b.Time.UTC(), Type: e.Type, TxID: id, Attrs: make(map[string]string, len(e.Attrs))}
		for _, a := range e.Attrs {
			se.Attrs[a.Key] = a.Value
		}
		se.Token = ledger.TokenID(se.Attrs["token"])
		if se.Token == "" && strings.HasPrefix(e.Type, "fee.") {
			// fee.status names no token: it is of the policy's fee token,
			// today's, since an account exists only after a deposit and the
			// token cannot change once anything was deposited.
			if f := state.LoadFees(snap); f != nil {
				se.Token = f.Policy.Token
			}
		}
		if se.Token == "" && strings.HasPrefix(e.Type, "credit.") {
			// A credit event names its node, which lends one token.
			if a, err := ledger.ParseAddress(se.Attrs["node"]); err == nil {
				if n := state.CreditNodeOf(snap, a); n != nil {
					se.Token = n.Token
				}
			}
		}
		if se.Token == "" && strings.HasPrefix(e.Type, "trade.") {
			// A trade's step names the trade, whose terms name the token.
			if id, err := ledger.ParseTxID(se.Attrs["trade"]); err == nil {
				if t := state.TradeOf(snap, id); t != nil {
					se.Token = t.Terms().Token
				}
			}
		}
		out = append(out, se)
	}
	seen := make(map[ledger.TxID]bool, len(b.Txs))
	for _, l := range b.Txs {
		id := l.ID
		if l.Malformed || seen[id] {
			continue // no receipt, or its events are already taken
		}
		seen[id] = true
		rc := state.ReceiptByID(snap, id)
		if rc == nil || rc.Height != uint64(height) || rc.Code != ledger.OK {
			continue // not applied here: a replay of an earlier block's, or rejected
		}
		for _, e := range rc.Events {
			add(e, rc.TxID)
		}
	}
	own, err := s.chain.BlockEvents(height)
	if err != nil {
		return nil, err
	}
	for _, e := range own {
		add(e, ledger.TxID{})
	}
	return out, nil
}

// encodeEvents writes a block's events as server-sent-event messages, each
// with the block's height as its id.
func encodeEvents(evs []client.StreamEvent) []byte {
	var b bytes.Buffer
	for _, e := range evs {
		data, err := json.Marshal(e)
		if err != nil {
			panic(fmt.Sprintf("api: encoding a stream event: %v", err)) // strings, numbers and a time always encode
		}
		// JSON escapes newlines, so data is one line; the type is one of
		// streamed, without any.
		fmt.Fprintf(&b, "id: %d\nevent: %s\ndata: %s\n\n", e.Height, e.Type, data)
	}
	return b.Bytes()
}

// batch is the encoded messages of one block.
type batch struct {
	height int64
	data   []byte
}

// subscriber is one open stream's buffer of blocks still to write; the hub
// closes ch when it drops the stream or shuts down.
type subscriber struct {
	ch chan batch
}

// hub follows committed blocks while at least one stream is open and hands
// each block's messages to every stream.
type hub struct {
	s      *server
	buffer int           // a subscriber's capacity, in blocks
	done   chan struct{} // closed when the hub shuts down

	mu       sync.Mutex
	subs     map[*subscriber]struct{}
	head     int64         // the last height handed out
	stop     chan struct{} // closed to end the follower; nil when none runs
	followed chan struct{} // closed when that follower has returned
	closed   bool
	// notifying counts the open notification streams (notify.go), which
	// read the chain themselves and share the limit.
	notifying int
	streams   sync.WaitGroup // the open streams, subscribed or admitted, not yet ended
}

func newHub(s *server, buffer int) *hub {
	return &hub{s: s, buffer: buffer, done: make(chan struct{}), subs: make(map[*subscriber]struct{})}
}

// subscribe opens a stream. Blocks after the returned height come on the
// subscriber's channel; earlier ones the stream reads itself. Every
// subscribe that succeeds must be followed by unsubscribe.
func (h *hub) subscribe() (*subscriber, int64, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, 0, apiError(CodeUnavailable, "the API is shutting down")
	}
	if len(h.subs)+h.notifying >= MaxEventStreams {
		return nil, 0, apiError(CodeUnavailable, "%d event streams are open, the most the API serves; try again later", MaxEventStreams)
	}
	if h.stop == nil {
		snap := h.s.chain.Snapshot()
		h.head = int64(snap.Height)
		snap.Close()
		h.stop, h.followed = make(chan struct{}), make(chan struct{})
		go h.follow(h.stop, h.followed, h.head)
	}
	sub := &subscriber{ch: make(chan batch, h.buffer)}
	h.subs[sub] = struct{}{}
	h.streams.Add(1)
	return sub, h.head, nil
}

// unsubscribe closes a stream. After the last, it stops following the chain
// and waits for the follower to return, so that nothing reads the chain once
// every stream has ended.
func (h *hub) unsubscribe(sub *subscriber) {
	defer h.streams.Done()
	h.mu.Lock()
	delete(h.subs, sub)
	var followed chan struct{}
	if len(h.subs) == 0 && h.stop != nil {
		close(h.stop)
		h.stop, followed = nil, h.followed
	}
	h.mu.Unlock()
	if followed != nil {
		<-followed // outside the lock, which the follower's publish takes
	}
}

// close ends every stream, refuses new ones, and returns once the streams'
// handlers and the follower have: after it, the hub no longer reads the chain.
// A handler blocked writing to a client may hold it up to EventWriteTimeout.
func (h *hub) close() {
	h.mu.Lock()
	if !h.closed {
		h.closed = true
		close(h.done)
		for sub := range h.subs {
			delete(h.subs, sub)
			close(sub.ch)
		}
	}
	h.mu.Unlock()
	h.streams.Wait()
}

// closing reports whether the hub is shutting down.
func (h *hub) closing() bool {
	select {
	case <-h.done:
		return true
	default:
		return false
	}
}

// open is how many streams are open.
func (h *hub) open() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}

// followRetry is how soon the follower tries a block again after failing to
// read it.
const followRetry = time.Second

// follow hands out each committed block's events, in height order, from the
// block after head until stop closes; then it closes followed.
func (h *hub) follow(stop, followed chan struct{}, head int64) {
	defer close(followed)
	for {
		next := h.s.chain.Committed() // before reading, so a commit meanwhile wakes us
		snap := h.s.chain.Snapshot()
		top := int64(snap.Height)
		snap.Close()
		var retry <-chan time.Time
		for head < top {
			evs, err := h.s.eventsAt(head + 1)
			if err != nil {
				h.s.log.Error("api: reading events for the streams", "height", head+1, "err", err)
				retry = time.After(followRetry)
				break
			}
			if !h.publish(stop, head+1, encodeEvents(evs)) {
				return
			}
			head++
		}
		select {
		case <-next:
		case <-retry:
		case <-stop:
			return
		}
	}
}

// publish hands a block's messages to every stream, dropping each whose
// buffer is full. It reports false once stop has closed.
func (h *hub) publish(stop chan struct{}, height int64, data []byte) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	select {
	case <-stop:
		return false
	default:
	}
	h.head = height
	if len(data) == 0 {
		return true
	}
	for sub := range h.subs {
		select {
		case sub.ch <- batch{height: height, data: data}:
		default:
			delete(h.subs, sub)
			close(sub.ch)
		}
	}
	return true
}
