package monitor

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/fee"
	"github.com/pegledger/peg/internal/ledger"
)

func TestFeeStatusAlert(t *testing.T) {
	for _, tc := range []struct {
		prev, now fee.Status
		want      string
	}{
		{"", fee.Active, ""},
		{"", fee.Low, AlertFeeLow},
		{fee.Active, fee.Low, AlertFeeLow},
		{fee.Low, fee.Exhausted, AlertFeeExhausted},
		{fee.Active, fee.Expired, AlertFeeExpired},
		{fee.Exhausted, fee.Active, AlertFeeRecovered},
		{fee.Expired, fee.Active, AlertFeeRecovered},
		{fee.Low, fee.Low, ""},
	} {
		if got := feeStatusAlert(tc.prev, tc.now); got != tc.want {
			t.Errorf("feeStatusAlert(%q, %q) = %q, want %q", tc.prev, tc.now, got, tc.want)
		}
	}
}

// fakeAPI answers what the monitor reads of the API: the chain's head, no
// reserves, the fee policy and books, fee accounts, and the event stream,
// which writes the events after Last-Event-ID and ends, for the monitor to
// resume, and refuses to reach more than 4096 blocks back, as the API does.
type fakeAPI struct {
	mu       sync.Mutex
	height   uint64
	time     time.Time
	events   []client.StreamEvent
	accounts map[string]client.FeeAccount
	books    client.FeeBooks
}

func (f *fakeAPI) handler(t *testing.T) http.Handler {
	mux := http.NewServeMux()
	reply := func(w http.ResponseWriter, v any) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(v)
	}
	mux.HandleFunc("GET /v1/status", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		reply(w, client.Status{Height: f.height, BlockTime: f.time})
	})
	mux.HandleFunc("GET /v1/reserves", func(w http.ResponseWriter, r *http.Request) {
		reply(w, client.ReserveList{Reserves: []client.TokenReserve{}})
	})
	mux.HandleFunc("GET /v1/fees", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		books := f.books
		reply(w, client.Fees{Enabled: true, Policy: &client.FeePolicy{Token: "gbpt", Symbol: "GBPT", Decimals: 6}, Books: &books})
	})
	mux.HandleFunc("GET /v1/accounts/{address}/fee", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		a, ok := f.accounts[r.PathValue("address")]
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			reply(w, client.APIError{Code: 1001, Name: "NOT_FOUND", Message: "no fee account"})
			return
		}
		reply(w, a)
	})
	mux.HandleFunc("GET /v1/events", func(w http.ResponseWriter, r *http.Request) {
		after, err := strconv.ParseInt(r.Header.Get("Last-Event-ID"), 10, 64)
		if err != nil {
			t.Errorf("the monitor asked for events without a Last-Event-ID: %v", err)
		}
		f.mu.Lock()
		if reach := int64(f.height) - 4096; after < reach {
			f.mu.Unlock()
			w.WriteHeader(http.StatusBadRequest)
			reply(w, client.APIError{Code: 1000, Name: "BAD_REQUEST", Message: "the stream resumes at most 4096 blocks back"})
			return
		}
		var b bytes.Buffer
		for _, e := range f.events {
			if e.Height > after {
				data, _ := json.Marshal(e)
				fmt.Fprintf(&b, "id: %d\nevent: %s\ndata: %s\n\n", e.Height, e.Type, data)
			}
		}
		f.mu.Unlock()
		w.Header().Set("Content-Type", "text/event-stream")
		w.Write(b.Bytes())
	})
	return mux
}

// commit adds a block at height h and time at with events evs.
func (f *fakeAPI) commit(h uint64, at time.Time, evs ...client.StreamEvent) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.height, f.time = h, at
	for _, e := range evs {
		e.Height, e.Time, e.Token = int64(h), at, "gbpt"
		f.events = append(f.events, e)
	}
}

func feeStatusEvent(a ledger.Address, from, to fee.Status, available string) client.StreamEvent {
	return client.StreamEvent{Type: "fee.status",
		Attrs: map[string]string{"account": a.String(), "from": string(from), "to": string(to), "available": available}}
}

func feeDepositEvent(a ledger.Address, end time.Time) client.StreamEvent {
	return client.StreamEvent{Type: "fee.deposited",
		Attrs: map[string]string{"account": a.String(), "token": "gbpt", "amount": "10000000", "end": end.Format(time.RFC3339Nano)}}
}

func testAddress(seed byte) ledger.Address {
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize))
	return ledger.NewAddress("GB", priv.Public().(ed25519.PublicKey))
}

// gauge reads one sample of a gauge from reg; 0 when it has none.
func gauge(t *testing.T, reg *prometheus.Registry, name, label, value string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == label && l.GetValue() == value {
					return m.GetGauge().GetValue()
				}
			}
		}
	}
	return 0
}

// TestFeeAlertsAndMetrics runs a monitor against an API whose chain is at
// height 10 when it starts. What happened before sets the counts without an
// alert: A opened ACTIVE, B's only window closed before the start, C (opened
// before the blocks the monitor reads) turned EXHAUSTED. Then A turns LOW
// and EXHAUSTED, D opens ACTIVE, C's window closes, and a deposit makes A
// ACTIVE again: fee.low, fee.exhausted, fee.expired and fee.recovered, in
// the log, and the accounts counted by status.
func TestFeeAlertsAndMetrics(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	a, b, c, d := testAddress(1), testAddress(2), testAddress(3), testAddress(4)
	api := &fakeAPI{accounts: map[string]client.FeeAccount{
		c.String(): {Address: c, Token: "gbpt", Status: fee.Exhausted, RecordedStatus: fee.Exhausted,
			Grants: []client.FeeGrant{{End: t0.Add(30 * time.Minute)}}},
	}}
	api.books = client.FeeBooks{Token: "gbpt", Deposited: client.Value{Amount: "46"}, Spent: client.Value{Amount: "0.04"},
		Expired: client.Value{Amount: "1"}, Held: client.Value{Amount: "44.96"}, Collected: client.Value{Amount: "0.5"}}
	api.commit(3, t0.Add(-3*time.Hour), feeStatusEvent(a, "", fee.Active, "5000000"), feeDepositEvent(a, t0.Add(time.Hour)))
	api.commit(4, t0.Add(-2*time.Hour), feeStatusEvent(b, "", fee.Low, "0"), feeDepositEvent(b, t0.Add(-time.Minute)))
	api.commit(5, t0.Add(-time.Hour), feeStatusEvent(c, fee.Low, fee.Exhausted, "0"))
	api.commit(10, t0)
	m, reg, logs := runFeeMonitor(t, api, 0)
	counts := func() map[fee.Status]float64 {
		got := map[fee.Status]float64{}
		for _, s := range []fee.Status{fee.Active, fee.Low, fee.Exhausted, fee.Expired} {
			if v := gauge(t, reg, "peg_fee_accounts", "status", string(s)); v != 0 {
				got[s] = v
			}
		}
		return got
	}
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); !ok(); time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("waiting for %s: counts %v, alerts %+v", what, counts(), m.Alerts())
			}
		}
	}
	alerts := func(n int) func() bool { return func() bool { return len(m.Alerts()) >= n } }

	waitFor("the accounts before the start", func() bool {
		c := counts()
		return len(c) == 3 && c[fee.Active] == 1 && c[fee.Expired] == 1 && c[fee.Exhausted] == 1
	})
	if got := m.Alerts(); len(got) != 0 {
		t.Errorf("alerts for what happened before the start: %+v", got)
	}
	for name, want := range map[string]float64{"peg_fee_deposited": 46, "peg_fee_revenue": 0.04, "peg_fee_expired": 1,
		"peg_fee_held": 44.96, "peg_fee_collected": 0.5} {
		if got := gauge(t, reg, name, "token", "gbpt"); got != want {
			t.Errorf("%s{token=gbpt} = %v, want %v (GBPT)", name, got, want)
		}
	}

	api.commit(11, t0.Add(time.Minute), feeStatusEvent(a, fee.Active, fee.Low, "400000"))
	waitFor("fee.low", alerts(1))
	api.commit(12, t0.Add(2*time.Minute), feeStatusEvent(a, fee.Low, fee.Exhausted, "0"))
	waitFor("fee.exhausted", alerts(2))
	api.commit(13, t0.Add(3*time.Minute), feeStatusEvent(d, "", fee.Active, "2000000"), feeDepositEvent(d, t0.Add(time.Hour)))
	api.commit(14, t0.Add(45*time.Minute)) // C's window closes
	waitFor("fee.expired", alerts(3))
	api.commit(15, t0.Add(46*time.Minute), feeStatusEvent(a, fee.Exhausted, fee.Active, "10000000"), feeDepositEvent(a, t0.Add(3*time.Hour)))
	waitFor("fee.recovered", alerts(4))
	waitFor("the accounts at the end", func() bool {
		c := counts()
		return len(c) == 2 && c[fee.Active] == 2 && c[fee.Expired] == 2
	})

	want := []struct {
		typ     string
		account ledger.Address
		message string
	}{
		{AlertFeeLow, a, "is LOW: 0.4 GBPT available"},
		{AlertFeeExhausted, a, "is EXHAUSTED"},
		{AlertFeeExpired, c, "has EXPIRED"},
		{AlertFeeRecovered, a, "is ACTIVE again: 10 GBPT available"},
	}
	got := m.Alerts()
	if len(got) != len(want) {
		t.Fatalf("alerts %+v, want %d", got, len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.Type != w.typ || g.Account != w.account.String() || g.Token != "gbpt" || !strings.Contains(g.Message, w.message) {
			t.Errorf("alert %d = %+v, want %s about %s saying %q", i, g, w.typ, w.account, w.message)
		}
		if !strings.Contains(logs.String(), "ALERT fee account "+w.account.String()+" "+w.message) {
			t.Errorf("no ALERT line for alert %d (%s) in the log", i, w.typ)
		}
	}
}

// TestFeeEventsOutOfReach: when the monitor resumes after the API's reach
// (more blocks than MaxEventReplay passed without an event, or while it was
// cut off), it starts again within it rather than ask for the same blocks
// forever, and alerts on what comes.
func TestFeeEventsOutOfReach(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	a := testAddress(1)
	api := &fakeAPI{}
	api.commit(3, t0, feeStatusEvent(a, "", fee.Active, "5000000"), feeDepositEvent(a, t0.Add(24*time.Hour)))
	m, _, _ := runFeeMonitor(t, api, 0)
	waitUntil := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); !ok(); time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("waiting for %s: alerts %+v", what, m.Alerts())
			}
		}
	}
	waitUntil("the account's opening", func() bool {
		m.mu.Lock()
		defer m.mu.Unlock()
		return m.feeCounts[fee.Active] == 1
	})
	api.commit(5000, t0.Add(time.Hour), feeStatusEvent(a, fee.Active, fee.Low, "400000"))
	waitUntil("fee.low", func() bool { return len(m.Alerts()) == 1 })
	if got := m.Alerts()[0]; got.Type != AlertFeeLow || got.Account != a.String() {
		t.Errorf("alert %+v, want fee.low about %s", got, a)
	}
}

// syncBuffer is a log sink the monitor's goroutines write while a test reads
// it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestFeeAccountsBounded: past MaxFeeAccounts the monitor tracks no more
// accounts, says so once, and counts only those it tracks.
func TestFeeAccountsBounded(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	api := &fakeAPI{accounts: map[string]client.FeeAccount{}}
	api.books = client.FeeBooks{Token: "gbpt"}
	for i := range 3 {
		a := testAddress(byte(i + 1))
		api.commit(uint64(3+i), t0.Add(time.Duration(i)*time.Minute), feeStatusEvent(a, "", fee.Active, "5000000"), feeDepositEvent(a, t0.Add(time.Hour)))
	}
	api.commit(10, t0.Add(10*time.Minute))
	_, reg, logs := runFeeMonitor(t, api, 2)
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(logs.String(), "tracking no more fee accounts"); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no line about the bound; log:\n%s", logs.String())
		}
	}
	if got := gauge(t, reg, "peg_fee_accounts", "status", string(fee.Active)); got != 2 {
		t.Errorf("peg_fee_accounts{status=ACTIVE} = %v, want 2: the third account is past the bound", got)
	}
	if n := strings.Count(logs.String(), "tracking no more fee accounts"); n != 1 {
		t.Errorf("the bound is logged %d times, want once", n)
	}
}

// runFeeMonitor runs a monitor against api, served on loopback, with at most
// maxAccounts fee accounts tracked (0: the default), until the test ends; it
// returns the monitor, its metrics and its log.
func runFeeMonitor(t *testing.T, api *fakeAPI, maxAccounts int) (*Monitor, *prometheus.Registry, *syncBuffer) {
	t.Helper()
	srv := httptest.NewServer(api.handler(t))
	logs, reg := new(syncBuffer), prometheus.NewRegistry()
	m, err := New(Config{API: client.New(srv.URL), FollowInterval: 10 * time.Millisecond, FailureAlertAfter: 1,
		MaxFeeAccounts: maxAccounts, Metrics: reg, Log: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		srv.Close()
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- m.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
		srv.Close()
	})
	return m, reg, logs
}
