package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/notify"
	"github.com/pegledger/peg/internal/state"
)

// An account's notifications (S1.6) are read from the committed blocks'
// receipts, which every node keeps, rather than from an index of their own:
// consensus and the state's writes stay untouched, a node that joins or
// restarts has them all at once, and nothing can fall out of step with the
// chain. A read costs one block and its receipts per height it covers, so a
// page covers at most MaxNotificationScan blocks and says where to go on.

// Limits of the notification reads.
const (
	// MaxNotificationScan bounds the blocks one page reads: what one
	// request can make the node read from disk.
	MaxNotificationScan = 1000
	// DefaultNotificationsPage is the page size when the request names none.
	DefaultNotificationsPage = 100
	// MaxNotificationsPage bounds the notifications one page lists.
	MaxNotificationsPage = client.MaxNotificationsPage
)

// notifications answers GET /v1/accounts/{address}/notifications.
func (s *server) notifications(w http.ResponseWriter, r *http.Request) error {
	addr, err := addressParam("address", r.PathValue("address"))
	if err != nil {
		return err
	}
	q := r.URL.Query()
	limit := DefaultNotificationsPage
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxNotificationsPage {
			return badRequest("limit %q: want a whole number from 1 to %d", v, MaxNotificationsPage)
		}
		limit = n
	}
	from := notify.Start
	if v := q.Get("cursor"); v != "" {
		if from, err = notify.ParseCursor(v); err != nil {
			return badRequest("%v", err)
		}
	}
	head := s.head()
	if err := cursorWithin(from, head); err != nil {
		return err
	}
	page := client.NotificationPage{Notifications: []client.Notification{}, Next: from.String(), Head: head}
	last := min(head, from.Height+MaxNotificationScan-1)
	for h := from.Height; h <= last; h++ {
		b, err := s.receiptsAt(h)
		if err != nil {
			return err
		}
		ns := notify.For(addr, b, from)
		if room := limit - len(page.Notifications); len(ns) > room {
			page.Notifications = append(page.Notifications, ns[:room]...)
			next, err := notify.After(ns[room-1].ID)
			if err != nil {
				return err
			}
			page.Next = next.String()
			break
		}
		page.Notifications = append(page.Notifications, ns...)
		page.Next = notify.Cursor{Height: h + 1}.String()
		if len(page.Notifications) == limit {
			break
		}
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

// head is the committed height.
func (s *server) head() int64 {
	snap := s.chain.Snapshot()
	defer snap.Close()
	return int64(snap.Height)
}

// cursorWithin refuses a cursor past the block after head: no page or
// notification of this chain gave it.
func cursorWithin(c notify.Cursor, head int64) error {
	if c.Height > head+1 {
		return badRequest("cursor %s is past the next block, %d: it is not one this chain gave", c, head+1)
	}
	return nil
}

// receiptsAt reads a committed block's accepted receipts, in block order.
func (s *server) receiptsAt(height int64) (notify.Block, error) {
	b, err := s.chain.Block(height)
	if err != nil {
		return notify.Block{}, err
	}
	if b == nil {
		return notify.Block{}, fmt.Errorf("api: the node has no block at committed height %d", height)
	}
	snap := s.chain.Snapshot()
	defer snap.Close()
	out := notify.Block{Height: height, Time: b.Time}
	seen := make(map[ledger.TxID]bool, len(b.Txs))
	for _, l := range b.Txs {
		if l.Malformed || seen[l.ID] {
			continue // no receipt, or its events are already taken
		}
		seen[l.ID] = true
		rc := state.ReceiptByID(snap, l.ID)
		if rc == nil || rc.Height != uint64(height) || rc.Code != ledger.OK {
			continue // not applied here: a replay of an earlier block's, or rejected
		}
		out.Receipts = append(out.Receipts, notify.Receipt{TxID: rc.TxID, Events: rc.Events})
	}
	return out, nil
}

// notificationStream answers GET /v1/accounts/{address}/notifications/stream:
// the account's notifications from a place in the chain, then from each
// block as it commits. One loop reads the blocks in height order with a
// cursor, the same for the blocks already committed and the ones to come, so
// that the switch from catching up to following neither skips nor repeats.
func (s *server) notificationStream(w http.ResponseWriter, r *http.Request) error {
	addr, err := addressParam("address", r.PathValue("address"))
	if err != nil {
		return err
	}
	head := s.head()
	pos, err := notificationStart(r, head)
	if err != nil {
		return err
	}
	if err := cursorWithin(pos, head); err != nil {
		return err
	}
	if head-pos.Height+1 > MaxEventReplay {
		return badRequest("the stream resumes at most %d blocks back, from height %d; read the notifications before it with GET /v1/accounts/%s/notifications?cursor=%s",
			MaxEventReplay, head-MaxEventReplay+1, addr, pos)
	}
	if err := s.events.admit(); err != nil {
		return err
	}
	defer s.events.release()
	st := &stream{w: w, rc: http.NewResponseController(w)}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if st.send(fmt.Appendf(nil, ": peg notifications for %s from %s\n\n", addr, pos)) != nil {
		return nil
	}
	tick := time.NewTicker(s.keepAlive)
	defer tick.Stop()
	for {
		next := s.chain.Committed() // before reading, so a commit meanwhile wakes us
		for top := s.head(); pos.Height <= top; pos = (notify.Cursor{Height: pos.Height + 1}) {
			b, err := s.receiptsAt(pos.Height)
			if err != nil {
				s.log.Error("api: reading receipts for a notification stream", "height", pos.Height, "err", err)
				st.send([]byte(": the API failed reading the chain; reconnect with Last-Event-ID\n\n"))
				return nil
			}
			if ns := notify.For(addr, b, pos); len(ns) > 0 && st.send(encodeNotifications(ns)) != nil {
				return nil
			}
		}
		select {
		case <-next:
		case <-tick.C:
			if st.send([]byte(": keep-alive\n\n")) != nil {
				return nil
			}
		case <-s.events.done:
			st.send([]byte(shutdownComment))
			return nil
		case <-r.Context().Done():
			return nil
		}
	}
}

// notificationStart is where a stream starts: after the notification
// Last-Event-ID names, else at the cursor asked for, else at the block after
// head.
func notificationStart(r *http.Request, head int64) (notify.Cursor, error) {
	if v := r.Header.Get("Last-Event-ID"); v != "" {
		c, err := notify.After(v)
		if err != nil {
			return notify.Cursor{}, badRequest("Last-Event-ID: %v", err)
		}
		return c, nil
	}
	if v := r.URL.Query().Get("cursor"); v != "" {
		c, err := notify.ParseCursor(v)
		if err != nil {
			return notify.Cursor{}, badRequest("%v", err)
		}
		return c, nil
	}
	return notify.Cursor{Height: head + 1}, nil
}

// encodeNotifications writes notifications as server-sent-event messages,
// each with its id, so that a client resumes after it with Last-Event-ID.
func encodeNotifications(ns []client.Notification) []byte {
	var b []byte
	for _, n := range ns {
		data, err := json.Marshal(n)
		if err != nil {
			panic(fmt.Sprintf("api: encoding a notification: %v", err)) // strings, numbers and a time always encode
		}
		b = fmt.Appendf(b, "id: %s\nevent: %s\ndata: %s\n\n", n.ID, n.Type, data)
	}
	return b
}

// admit opens a notification stream, which counts with the event streams
// against MaxEventStreams and ends when the hub closes. Every admit that
// succeeds must be followed by release.
func (h *hub) admit() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return apiError(CodeUnavailable, "the API is shutting down")
	}
	if len(h.subs)+h.notifying >= MaxEventStreams {
		return apiError(CodeUnavailable, "%d event streams are open, the most the API serves; try again later", MaxEventStreams)
	}
	h.notifying++
	h.streams.Add(1)
	return nil
}

// release closes a notification stream.
func (h *hub) release() {
	h.mu.Lock()
	h.notifying--
	h.mu.Unlock()
	h.streams.Done()
}
