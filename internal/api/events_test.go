package api

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/ledger"
)

// reserveStory commits the blocks the stream tests read:
//
//	1 gbpp deployed (window testWindow)  no reserve events
//	2 £1,000 attested                    reserve.status UNATTESTED→OK, reserve.attested
//	3 800 GBPP minted                    none
//	4 £640 attested                      reserve.status OK→AT_RISK, reserve.attested
//	5 empty, testWindow later            reserve.status AT_RISK→STALE, the block's own
func (e *testEnv) reserveStory() (attest2, attest4 ledger.TxID) {
	e.t.Helper()
	e.deployWatched()
	attest2 = e.attest("100000").TxID
	e.mint("800000000")
	attest4 = e.attest("64000").TxID
	e.chain.advance(testWindow + time.Minute)
	e.chain.commit()
	return attest2, attest4
}

// collect reads n events from the stream from height from with the client.
func (e *testEnv) collect(from int64, n int) []client.StreamEvent {
	e.t.Helper()
	c, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var got []client.StreamEvent
	enough := errors.New("enough")
	err := e.client.Events(c, from, func(ev client.StreamEvent) error {
		got = append(got, ev)
		if len(got) == n {
			return enough
		}
		return nil
	})
	if !errors.Is(err, enough) {
		e.t.Fatalf("Events from %d = %v after %d events %+v, want %d events", from, err, len(got), got, n)
	}
	return got
}

// brief is what a test checks of a stream event.
type brief struct {
	height   int64
	typ, to  string
	tx       ledger.TxID
	blockSec int64 // block time, in seconds after genesisTime
}

func briefOf(ev client.StreamEvent) brief {
	return brief{ev.Height, ev.Type, ev.Attrs["to"], ev.TxID, int64(ev.Time.Sub(genesisTime) / time.Second)}
}

func TestEventStream(t *testing.T) {
	e := newTestEnv(t)
	a2, a4 := e.reserveStory()
	stale := int64(5 + (testWindow+time.Minute)/time.Second)
	want := []brief{ // in receipt order: the attest handler judges, then records
		{2, "reserve.status", "OK", a2, 2},
		{2, "reserve.attested", "", a2, 2},
		{4, "reserve.status", "AT_RISK", a4, 4},
		{4, "reserve.attested", "", a4, 4},
		{5, "reserve.status", "STALE", ledger.TxID{}, stale},
	}

	got := e.collect(1, len(want))
	for i, ev := range got {
		if b := briefOf(ev); b != want[i] {
			t.Errorf("event %d = %+v, want %+v", i, b, want[i])
		}
		if ev.Token != "gbpp" || ev.Attrs["token"] != "gbpp" {
			t.Errorf("event %d is about %q (attrs %v), want gbpp", i, ev.Token, ev.Attrs)
		}
	}
	if got[4].Attrs["from"] != "AT_RISK" || got[4].Attrs["required"] != "800" || got[4].Attrs["balance"] != "640" ||
		got[3].Attrs["balance"] != "640" || got[3].Attrs["status"] != "AT_RISK" {
		t.Errorf("stale event attrs = %v", got[4].Attrs)
	}

	// Resuming after height 4 (Last-Event-ID: 4) starts at the block's own
	// event of height 5; after 3, at height 4.
	if b := briefOf(e.collect(5, 1)[0]); b != want[4] {
		t.Errorf("resumed after 4: %+v, want %+v", b, want[4])
	}
	if b := briefOf(e.collect(4, 1)[0]); b != want[2] {
		t.Errorf("resumed after 3: %+v, want %+v", b, want[2])
	}
	// from (for clients that cannot set headers) starts at the height named.
	s := e.openStream("/v1/events?from=5", "")
	if m := s.next(); m.id != "5" || m.event != "reserve.status" {
		t.Errorf("from=5 starts with %+v, want the event of height 5", m)
	}
}

func TestEventStreamWireFormat(t *testing.T) {
	e := newTestEnv(t)
	e.reserveStory()
	s := e.openStream("/v1/events", "4")
	if got := s.resp.Header.Get("Content-Type"); got != "text/event-stream" {
		t.Errorf("Content-Type = %q", got)
	}
	if got := s.resp.Header.Get("Cache-Control"); got != "no-cache" {
		t.Errorf("Cache-Control = %q", got)
	}
	m := s.next()
	if m.id != "5" || m.event != "reserve.status" {
		t.Fatalf("first message after Last-Event-ID 4 = %+v", m)
	}
	var data map[string]any
	if err := json.Unmarshal([]byte(m.data), &data); err != nil {
		t.Fatalf("data %q: %v", m.data, err)
	}
	for _, k := range []string{"height", "time", "type", "token", "attrs"} {
		if _, ok := data[k]; !ok {
			t.Errorf("data %s lacks %q", m.data, k)
		}
	}
	if _, ok := data["tx_id"]; ok {
		t.Errorf("the block's own event has a tx_id: %s", m.data)
	}
	if data["height"] != float64(5) || data["token"] != "gbpp" || data["type"] != "reserve.status" {
		t.Errorf("data = %s", m.data)
	}
}

// TestEventStreamLive follows the chain from the next block: a transaction's
// status change, a block's own, and a transaction's again, committed after the
// stream opens, reach it.
func TestEventStreamLive(t *testing.T) {
	e := newTestEnv(t)
	e.deployWatched()
	e.attest("100000")
	e.mint("800000000")
	e.attest("64000")                   // block 4: AT_RISK
	s := e.openStream("/v1/events", "") // subscribed once its first comment arrives
	if !strings.Contains(s.comments[0], "from height 5") {
		t.Errorf("opening comment = %q, want it to name height 5", s.comments[0])
	}
	a5 := e.attest("100000").TxID // block 5: covered again
	e.chain.advance(testWindow + time.Minute)
	e.chain.commit() // block 6: stale
	// A fresh reading after the idle block is admitted (the mempool's clock
	// follows empty blocks) and makes the reserve OK again.
	a7 := e.attest("100000")
	later := int64((testWindow + time.Minute) / time.Second)
	for i, want := range []brief{
		{5, "reserve.status", "OK", a5, 5},
		{5, "reserve.attested", "", a5, 5},
		{6, "reserve.status", "STALE", ledger.TxID{}, 6 + later},
		{7, "reserve.status", "OK", a7.TxID, 7 + later},
		{7, "reserve.attested", "", a7.TxID, 7 + later},
	} {
		m := s.next()
		var ev client.StreamEvent
		if err := json.Unmarshal([]byte(m.data), &ev); err != nil {
			t.Fatal(err)
		}
		if b := briefOf(ev); b != want || m.id != strconv.FormatInt(want.height, 10) || m.event != want.typ {
			t.Errorf("live message %d = %+v (%+v), want %+v", i, m, b, want)
		}
	}
}

func TestEventStreamKeepAlive(t *testing.T) {
	e := newTestEnvWith(t, func(s *server) { s.keepAlive = 10 * time.Millisecond })
	s := e.openStream("/v1/events", "")
	for len(s.comments) < 3 {
		s.line()
	}
	if s.comments[1] != "keep-alive" || s.comments[2] != "keep-alive" {
		t.Errorf("comments = %q, want keep-alives after the opening one", s.comments)
	}
}

func TestEventStreamBadStart(t *testing.T) {
	e := newTestEnv(t)
	for _, tc := range []struct{ name, path, lastID string }{
		{"Last-Event-ID not a number", "/v1/events", "five"},
		{"Last-Event-ID negative", "/v1/events", "-1"},
		{"Last-Event-ID beyond int64", "/v1/events", "9223372036854775807"},
		{"from zero", "/v1/events?from=0", ""},
		{"from not a number", "/v1/events?from=x", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, e.srv.URL+tc.path, nil)
			if tc.lastID != "" {
				req.Header.Set("Last-Event-ID", tc.lastID)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body bytes.Buffer
			body.ReadFrom(resp.Body)
			errorBody(t, resp.StatusCode, body.Bytes(), http.StatusBadRequest, "BAD_REQUEST")
		})
	}
}

// TestEventStreamReplayLimit asks for more blocks back than a stream replays.
func TestEventStreamReplayLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("commits MaxEventReplay blocks")
	}
	e := newTestEnv(t)
	for range MaxEventReplay + 1 {
		e.chain.commit()
	}
	status, body := e.getHeader("/v1/events", "Last-Event-ID", "0")
	got := errorBody(t, status, body, http.StatusBadRequest, "BAD_REQUEST")
	if !strings.Contains(got.Message, "from height 2") {
		t.Errorf("message %q does not say how far back the stream reaches", got.Message)
	}
	s := e.openStream("/v1/events", "1") // from height 2: just within reach
	if !strings.Contains(s.comments[0], "from height 2") {
		t.Errorf("opening comment = %q", s.comments[0])
	}
}

// TestEventStreamDropsSlowClient holds a client's writes until the hub has
// dropped it for falling behind, then checks that the stream ends with a
// comment saying so and that Last-Event-ID resumes without a gap.
func TestEventStreamDropsSlowClient(t *testing.T) {
	e := newTestEnvWith(t, func(s *server) { s.events = newHub(s, 1) })
	e.deployWatched()
	w := newSlowWriter()
	req := httptest.NewRequest(http.MethodGet, "/v1/events", nil)
	done := make(chan struct{})
	go func() {
		e.server.handler().ServeHTTP(w, req)
		close(done)
	}()
	<-w.first // the opening comment: the stream is subscribed
	var attests []ledger.TxID
	for range 3 { // one block in the write, one in the buffer, one too many
		attests = append(attests, e.attest("100000").TxID)
	}
	deadline := time.Now().Add(10 * time.Second)
	for e.server.events.open() > 0 {
		if time.Now().After(deadline) {
			t.Fatal("the hub did not drop the stream that fell behind")
		}
		time.Sleep(time.Millisecond)
	}
	close(w.gate)
	<-done
	out := w.String()
	if !strings.HasSuffix(out, "reconnect with Last-Event-ID to resume\n\n") || !strings.Contains(out, ": dropped: ") {
		t.Fatalf("stream of a dropped client ends %q, want the drop comment", out[max(0, len(out)-200):])
	}
	var last string
	for _, line := range strings.Split(out, "\n") {
		if id, ok := strings.CutPrefix(line, "id: "); ok {
			last = id
		}
	}
	if last == "" {
		t.Fatalf("the dropped client got no event before the drop:\n%s", out)
	}
	// Resume after the last block it got: the rest of the attestations follow.
	h, _ := strconv.ParseInt(last, 10, 64)
	var got []ledger.TxID
	for _, ev := range e.collect(h+1, 1) {
		got = append(got, ev.TxID)
	}
	if i := int(h - 2); i+1 >= len(attests) || got[0] != attests[i+1] {
		t.Errorf("resumed after height %d at tx %s, want the next attestation of %v", h, got[0], attests)
	}
}

func TestHubDropsFullBuffer(t *testing.T) {
	e := newTestEnvWith(t, func(s *server) { s.events = newHub(s, 2) })
	h := e.server.events
	slow, _, err := h.subscribe()
	if err != nil {
		t.Fatal(err)
	}
	defer h.unsubscribe(slow)
	fast, _, _ := h.subscribe()
	defer h.unsubscribe(fast)
	h.mu.Lock()
	stop := h.stop
	h.mu.Unlock()
	for height := int64(100); height < 103; height++ {
		h.publish(stop, height, []byte("x"))
		<-fast.ch // the fast one keeps up
	}
	if n := h.open(); n != 1 {
		t.Errorf("%d streams open, want the fast one alone", n)
	}
	var heights []int64
	for b := range slow.ch { // closed after what it holds
		heights = append(heights, b.height)
	}
	if len(heights) != 2 || heights[0] != 100 || heights[1] != 101 {
		t.Errorf("the slow stream holds heights %v, want [100 101] then the drop", heights)
	}
}

// sseMessage is one message of an event stream.
type sseMessage struct{ id, event, data string }

// sseStream reads an event stream line by line.
type sseStream struct {
	t        *testing.T
	resp     *http.Response
	r        *bufio.Reader
	comments []string
}

// openStream opens path with Last-Event-ID lastID (none if ""), requires a
// 200 and reads the opening comment. The stream closes at the test's end.
func (e *testEnv) openStream(path, lastID string) *sseStream {
	e.t.Helper()
	c, cancel := context.WithCancel(ctx)
	req, _ := http.NewRequestWithContext(c, http.MethodGet, e.srv.URL+path, nil)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() {
		cancel()
		resp.Body.Close()
	})
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("GET %s = %d", path, resp.StatusCode)
	}
	s := &sseStream{t: e.t, resp: resp, r: bufio.NewReader(resp.Body)}
	for len(s.comments) == 0 {
		s.line()
	}
	return s
}

// line reads one line, keeping comments; "" for the blank line ending a
// message.
func (s *sseStream) line() string {
	s.t.Helper()
	type result struct {
		line string
		err  error
	}
	ch := make(chan result, 1)
	go func() {
		l, err := s.r.ReadString('\n')
		ch <- result{l, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			s.t.Fatalf("reading the stream: %v", r.err)
		}
		l := strings.TrimSuffix(r.line, "\n")
		if c, ok := strings.CutPrefix(l, ": "); ok {
			s.comments = append(s.comments, c)
		}
		return l
	case <-time.After(10 * time.Second):
		s.t.Fatal("the stream said nothing for 10s")
		return ""
	}
}

// next reads the next message, skipping comments.
func (s *sseStream) next() sseMessage {
	s.t.Helper()
	var m sseMessage
	for {
		l := s.line()
		field, val, _ := strings.Cut(l, ": ")
		switch field {
		case "id":
			m.id = val
		case "event":
			m.event = val
		case "data":
			m.data = val
		case "":
			if l == "" && m.data != "" {
				return m
			}
		}
	}
}

// getHeader is get with one request header.
func (e *testEnv) getHeader(path, key, value string) (int, []byte) {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+path, nil)
	req.Header.Set(key, value)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	return resp.StatusCode, b.Bytes()
}

// slowWriter is a client that takes the first write, then takes no more until
// gate closes.
type slowWriter struct {
	header      http.Header
	first, gate chan struct{}
	once        sync.Once
	mu          sync.Mutex
	buf         bytes.Buffer
}

func newSlowWriter() *slowWriter {
	return &slowWriter{header: make(http.Header), first: make(chan struct{}), gate: make(chan struct{})}
}

func (w *slowWriter) Header() http.Header { return w.header }
func (w *slowWriter) WriteHeader(int)     {}
func (w *slowWriter) Flush()              {}

func (w *slowWriter) Write(b []byte) (int, error) {
	firstWrite := false
	w.once.Do(func() { firstWrite = true })
	if !firstWrite {
		<-w.gate
	}
	w.mu.Lock()
	n, err := w.buf.Write(b)
	w.mu.Unlock()
	if firstWrite {
		close(w.first)
	}
	return n, err
}

func (w *slowWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// TestEventStreamClose ends open streams the way a stopping node does: the
// client hears why, new streams are refused, and Close returns only once
// nothing reads the chain.
func TestEventStreamClose(t *testing.T) {
	e := newTestEnv(t)
	e.reserveStory()
	s := e.openStream("/v1/events", "4")
	if m := s.next(); m.id != "5" {
		t.Fatalf("first message = %+v", m)
	}
	h := &Handler{Handler: e.server.handler(), s: e.server}
	h.Close()
	for !strings.Contains(s.line(), "shutting down") {
	}
	if n := e.server.events.open(); n != 0 {
		t.Errorf("%d streams open after Close", n)
	}
	status, body := e.get("/v1/events")
	errorBody(t, status, body, http.StatusServiceUnavailable, "UNAVAILABLE")
	h.Close() // twice is harmless
}

// TestEventStreamFees: the fee events that change or explain an account's
// standing are streamed, each about the fee token; a charge is not. The fee
// scenario sets the policy (block 5), opens alice's account LOW with nothing
// yet released (6), and her payment ten minutes on makes it ACTIVE (8).
func TestEventStreamFees(t *testing.T) {
	e := newTestEnv(t)
	s := e.runFeeScenario()
	want := []brief{
		{5, "fee.schedule", "", ledger.TxID{}, 5},
		{6, "fee.status", "LOW", s.deposit, 6},
		{6, "fee.deposited", "", s.deposit, 6},
		{8, "fee.status", "ACTIVE", s.pay, 8 + 600},
	}
	got := e.collect(5, len(want))
	for i, ev := range got {
		b := briefOf(ev)
		if i == 0 {
			b.tx = ledger.TxID{} // the operator's, which the scenario does not keep
		}
		if b != want[i] {
			t.Errorf("event %d = %+v, want %+v", i, b, want[i])
		}
		if ev.Token != "gbpp" {
			t.Errorf("event %d (%s) is about %q, want the fee token gbpp", i, ev.Type, ev.Token)
		}
	}
	if a := got[1].Attrs; a["account"] != alice.addr.String() || a["from"] != "" || a["available"] != "0" {
		t.Errorf("opening fee.status attrs = %v, want alice's new account with 0 available", a)
	}
	if a := got[3].Attrs; a["from"] != "LOW" || a["available"] != "5980000" {
		t.Errorf("fee.status after the payment: attrs %v, want LOW→ACTIVE with 5.98 GBPP available", a)
	}
	// The payment's fee.charged is in its receipt alone: what follows its
	// fee.status is the next attestation's event.
	e.attest(scenarioReserve) // block 9
	if ev := e.collect(8, 2)[1]; ev.Type != "reserve.attested" || ev.Height != 9 {
		t.Errorf("after the payment's fee.status the stream carries %s at height %d, want reserve.attested at 9", ev.Type, ev.Height)
	}
}
