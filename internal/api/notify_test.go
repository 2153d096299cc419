package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/tx/txpb"
)

// payBob has alice pay bob units from coin, keeping the rest as change, and
// returns the change coin.
func (e *testEnv) payBob(coin ledger.CoinID, units, change string) ledger.CoinID {
	e.t.Helper()
	raw, id := e.sign(alice, payMsg([]ledger.CoinID{coin}, out(bob.addr, units), out(alice.addr, change)))
	e.submit(raw)
	return ledger.NewCoinID(id, 1)
}

// readAll reads every notification of a from the chain's start, page by page
// of limit.
func (e *testEnv) readAll(a ledger.Address, limit int) []client.Notification {
	e.t.Helper()
	var all []client.Notification
	cursor := ""
	for range 100 {
		p, err := e.client.Notifications(ctx, a, cursor, limit)
		if err != nil {
			e.t.Fatal(err)
		}
		if len(p.Notifications) > limit {
			e.t.Fatalf("a page of limit %d has %d notifications", limit, len(p.Notifications))
		}
		all = append(all, p.Notifications...)
		if p.Next == cursor {
			return all
		}
		cursor = p.Next
	}
	e.t.Fatal("the pages never ended")
	return nil
}

func TestNotifications(t *testing.T) {
	e := newTestEnv(t)
	s := e.runScenario()
	change := e.payBob(s.aliceChange, "1000000", "86500000")
	e.payBob(change, "2000000", "84500000")

	got := e.readAll(bob.addr, 100)
	want := []struct {
		height   int64
		received string
	}{{4, "12500000"}, {5, "1000000"}, {6, "2000000"}}
	if len(got) != len(want) {
		t.Fatalf("bob has %d notifications %+v, want %d", len(got), got, len(want))
	}
	for i, n := range got {
		if n.Type != "payment.received" || n.Event != "pay" || n.Height != want[i].height || n.Attrs["received"] != want[i].received ||
			n.Account != bob.addr || n.NeedsYou || n.TxID == (ledger.TxID{}) {
			t.Errorf("notification %d = %+v, want payment.received of %s at height %d", i, n, want[i].received, want[i].height)
		}
	}
	if got[0].TxID != s.pay {
		t.Errorf("the first payment's notification names tx %s, want %s", got[0].TxID, s.pay)
	}
	// One at a time, the pages give the same notifications.
	if one := e.readAll(bob.addr, 1); len(one) != len(got) || one[1].ID != got[1].ID || one[2].ID != got[2].ID {
		t.Errorf("pages of 1 = %+v, want %+v", one, got)
	}
	// Alice is told of the mint to her, not of her own payments' change.
	a := e.readAll(alice.addr, 10)
	if len(a) != 1 || a[0].Type != "coin.minted" || a[0].TxID != s.mint {
		t.Errorf("alice's notifications = %+v, want the one mint", a)
	}
	// A page from the last notification's id starts with it; from past the
	// head it is empty and stays put.
	p, err := e.client.Notifications(ctx, bob.addr, got[2].ID, 0)
	if err != nil || len(p.Notifications) != 1 || p.Notifications[0].ID != got[2].ID || p.Head != 6 || p.Next != "7.0" {
		t.Errorf("from %s: %+v, %v; want the last notification, head 6, next 7.0", got[2].ID, p, err)
	}
	p, err = e.client.Notifications(ctx, bob.addr, "7.0", 0)
	if err != nil || len(p.Notifications) != 0 || p.Next != "7.0" {
		t.Errorf("from 7.0: %+v, %v; want an empty page that stays at 7.0", p, err)
	}
}

func TestNotificationsBadInput(t *testing.T) {
	e := newTestEnv(t)
	e.runScenario()
	base := "/v1/accounts/" + bob.addr.String() + "/notifications"
	for _, q := range []string{
		"cursor=x", "cursor=4", "cursor=0.0", "cursor=4.-1", "cursor=%2B4.0", "cursor=4.%2B1", "cursor=4.99999999",
		"cursor=6.0", "cursor=9223372036854775807.0", "limit=0", "limit=501", "limit=x",
	} {
		status, body := e.get(base + "?" + q)
		var apiErr client.APIError
		if status != http.StatusBadRequest || json.Unmarshal(body, &apiErr) != nil || apiErr.Name != "BAD_REQUEST" {
			t.Errorf("%s = %d %s, want 400 BAD_REQUEST", q, status, body)
		}
	}
	if status, body := e.get("/v1/accounts/peg1nope/notifications"); status != http.StatusBadRequest {
		t.Errorf("a bad address = %d %s, want 400", status, body)
	}
	for _, c := range []struct{ query, lastID string }{
		{"?cursor=x", ""}, {"?cursor=6.0", ""}, {"", "x"}, {"", "5"}, {"", "6.0"},
	} {
		status, body := e.getHeader(base+"/stream"+c.query, "Last-Event-ID", c.lastID)
		if status != http.StatusBadRequest {
			t.Errorf("stream %q Last-Event-ID %q = %d %s, want 400", c.query, c.lastID, status, body)
		}
	}
}

// TestNotificationStreamReconnect drops a stream in the middle of a block's
// notifications and resumes it with Last-Event-ID: the notifications taken
// across both streams are those the catch-up read lists, none missed, none
// twice, though blocks committed while the client was away.
func TestNotificationStreamReconnect(t *testing.T) {
	e := newTestEnv(t)
	s := e.runScenario()
	// Block 5 holds two payments to bob.
	raw1, id1 := e.sign(alice, payMsg([]ledger.CoinID{s.aliceChange}, out(bob.addr, "1000000"), out(alice.addr, "86500000")))
	raw2, id2 := e.sign(alice, payMsg([]ledger.CoinID{ledger.NewCoinID(id1, 1)}, out(bob.addr, "2000000"), out(alice.addr, "84500000")))
	e.chain.include(raw1)
	e.chain.include(raw2)
	e.chain.commit()
	change := ledger.NewCoinID(id2, 1)

	var taken []client.Notification
	stop := errors.New("enough")
	take := func(cursor string, n int) error {
		c, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		got := 0
		return e.client.NotificationStream(c, bob.addr, cursor, func(nt client.Notification) error {
			taken = append(taken, nt)
			if got++; got == n {
				return stop
			}
			return nil
		})
	}
	if err := take("1.0", 2); !errors.Is(err, stop) {
		t.Fatalf("the first stream: %v", err)
	}
	// Away: two more blocks pay bob.
	change = e.payBob(change, "3000000", "81500000")
	change = e.payBob(change, "4000000", "77500000")
	// Resume after the last notification taken, as an EventSource does.
	status, body := e.getHeader("/v1/accounts/"+bob.addr.String()+"/notifications/stream?cursor=1.0", "Last-Event-ID", "x")
	if status != http.StatusBadRequest {
		t.Fatalf("a bad Last-Event-ID beside a good cursor = %d %s, want 400: the header wins", status, body)
	}
	// The client left after the first of block 5's two.
	if taken[1].Height != 5 || taken[1].TxID != id1 {
		t.Fatalf("the second notification taken is %+v, want the first of block 5's", taken[1])
	}
	sse := e.openStream("/v1/accounts/"+bob.addr.String()+"/notifications/stream", taken[1].ID)
	for range 3 {
		m := sse.next()
		var n client.Notification
		if err := json.Unmarshal([]byte(m.data), &n); err != nil || m.id != n.ID || m.event != n.Type {
			t.Fatalf("message %+v: %v", m, err)
		}
		taken = append(taken, n)
	}
	// Following: a block committed now comes on the same stream.
	e.payBob(change, "5000000", "72500000")
	m := sse.next()
	var n client.Notification
	if err := json.Unmarshal([]byte(m.data), &n); err != nil {
		t.Fatal(err)
	}
	taken = append(taken, n)

	want := e.readAll(bob.addr, 100)
	if len(taken) != len(want) || len(want) != 6 {
		t.Fatalf("taken %d notifications, the catch-up read lists %d, want 6 each", len(taken), len(want))
	}
	for i := range want {
		if taken[i].ID != want[i].ID || taken[i].TxID != want[i].TxID {
			t.Errorf("notification %d: streamed %s (tx %s), listed %s (tx %s)", i, taken[i].ID, taken[i].TxID, want[i].ID, want[i].TxID)
		}
	}
	if want[2].Height != 5 || want[2].TxID != id2 {
		t.Errorf("block 5's second notification = %+v, want the payment %s", want[2], id2)
	}
}

// TestNotificationStreamClose: a stopping API ends notification streams as it
// ends event streams, with a comment saying why, and refuses new ones; the
// notification streams count against MaxEventStreams with the event streams.
func TestNotificationStreamClose(t *testing.T) {
	e := newTestEnv(t)
	e.runScenario()
	path := "/v1/accounts/" + bob.addr.String() + "/notifications/stream?cursor=1.0"
	s := e.openStream(path, "")
	if m := s.next(); m.event != "payment.received" {
		t.Fatalf("first message = %+v", m)
	}
	e.server.events.mu.Lock()
	open := e.server.events.notifying
	e.server.events.mu.Unlock()
	if open != 1 {
		t.Errorf("%d notification streams counted, want 1", open)
	}
	h := &Handler{Handler: e.server.handler(), s: e.server}
	h.Close()
	for !strings.Contains(s.line(), "shutting down") {
	}
	status, body := e.getHeader(path, "Accept", "text/event-stream")
	errorBody(t, status, body, http.StatusServiceUnavailable, "UNAVAILABLE")
}

// TestNotificationsTellEndorsers: a mint request above gbpp's endorsement
// threshold asks each of the policy's endorsers, by the catch-up read and by
// the stream alike, to endorse it before its deadline, and tells them and the
// minter of each endorsement and of its execution; an account the request
// does not name hears nothing of it.
func TestNotificationsTellEndorsers(t *testing.T) {
	e := newTestEnv(t)
	raw, _ := e.sign(issuer, deployMsg(gbppDraft()))
	e.submit(raw)
	e.attest(scenarioReserve)
	raw, _ = e.sign(owner, func(b *txpb.Body) {
		b.Msg = &txpb.Body_SetEndorsePolicy{SetEndorsePolicy: &txpb.SetEndorsePolicy{Token: "gbpp", Threshold: "1000000",
			Endorsers: []string{alice.addr.String(), bob.addr.String()}, Required: 2, WindowSeconds: 3600}}
	})
	e.submit(raw)
	raw, req := e.sign(minter, mintMsg(issuer.addr, "2000000"))
	e.submit(raw)
	for _, k := range []key{alice, bob} {
		raw, _ := e.sign(k, func(b *txpb.Body) { b.Msg = &txpb.Body_EndorseMint{EndorseMint: &txpb.EndorseMint{Request: req[:]}} })
		e.submit(raw)
	}
	want := "mint_request.to_endorse mint_request.endorsed mint_request.endorsed mint_request.executed"
	for _, k := range []key{alice, bob} {
		got := e.readAll(k.addr, 100)
		var types []string
		for _, n := range got {
			types = append(types, n.Type)
		}
		if strings.Join(types, " ") != want {
			t.Fatalf("%s's notifications: %v, want %s", k.addr, types, want)
		}
		ask := got[0]
		if !ask.NeedsYou || ask.TxID != req || ask.Attrs["request"] != req.String() ||
			!strings.HasSuffix(ask.Action, " by "+ask.Attrs["deadline"]) || ask.Attrs["deadline"] == "" {
			t.Errorf("%s is asked %+v, want to endorse request %s by its deadline", k.addr, ask, req)
		}
		if got[3].NeedsYou {
			t.Errorf("the execution still needs %s: %+v", k.addr, got[3])
		}
		// The stream from the chain's start gives the same notifications.
		sse := e.openStream("/v1/accounts/"+k.addr.String()+"/notifications/stream?cursor=1.0", "")
		for i := range got {
			m := sse.next()
			if m.id != got[i].ID || m.event != got[i].Type {
				t.Errorf("%s's streamed notification %d = %s %s, listed %s %s", k.addr, i, m.id, m.event, got[i].ID, got[i].Type)
			}
		}
	}
	m := e.readAll(minter.addr, 100)
	if len(m) != 4 || m[0].Type != "mint_request.opened" || m[0].NeedsYou {
		t.Errorf("the minter's notifications: %+v, want the opening, two endorsements and the execution, none needing it", m)
	}
	if got := e.readAll(owner.addr, 100); len(got) != 0 {
		t.Errorf("the owner, whom the request does not name, is told %+v", got)
	}
}
