package gateway

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pegledger/peg/internal/api"
	"github.com/pegledger/peg/internal/bench"
	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/network"
	"github.com/pegledger/peg/internal/tx"
	"github.com/pegledger/peg/internal/tx/txpb"
)

// networkFile is the text of a network file of regions, each "CODE chain
// endpoint".
func networkFile(regions ...[3]string) string {
	var b strings.Builder
	for _, r := range regions {
		key := make([]byte, ed25519.PublicKeySize)
		key[0] = r[0][0]
		fmt.Fprintf(&b, "[[region]]\ncode = %q\nchain_id = %q\nendpoints = [%q]\n[[region.validator]]\npub_key = %q\npower = 10\n",
			r[0], r[1], r[2], base64.StdEncoding.EncodeToString(key))
	}
	return b.String()
}

func parseNetwork(t *testing.T, regions ...[3]string) *network.Network {
	t.Helper()
	n, err := network.Parse([]byte(networkFile(regions...)))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// downURL is the URL of a loopback port nothing listens on.
func downURL(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := "http://" + ln.Addr().String()
	ln.Close()
	return u
}

// startGateway serves a gateway of n on loopback.
func startGateway(t *testing.T, n *network.Network, reg prometheus.Registerer) (*Gateway, *httptest.Server) {
	t.Helper()
	g, err := New(context.Background(), Config{Network: n, Registry: reg, HealthInterval: 100 * time.Millisecond,
		HealthTimeout: 500 * time.Millisecond, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go g.Run(ctx)
	srv := httptest.NewServer(g.Handler())
	t.Cleanup(func() { srv.Close(); cancel() })
	return g, srv
}

// counter is a real HTTP hop in front of a node that counts the
// submissions that pass it. While full is set it answers a batch as a node
// whose mempool is full does (api.Error, 503 UNAVAILABLE), since a node's
// mempool cannot be filled on demand: blocks empty it.
type counter struct {
	submits atomic.Int64
	full    atomic.Bool
	srv     *httptest.Server
}

func newCounter(t *testing.T, target string) *counter {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	c := &counter{}
	proxy := httputil.NewSingleHostReverseProxy(u)
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/v1/txs") {
			c.submits.Add(1)
			if c.full.Load() && r.URL.Path == "/v1/txs/batch" {
				e := api.Error(api.CodeUnavailable, "the node could not take the batch: mempool is full")
				api.WriteJSON(w, e.Status, e)
				return
			}
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(c.srv.Close)
	return c
}

// register signs a RegisterAccount of a fresh account by op on chain.
func register(t *testing.T, op bench.Signer, chain string) ([]byte, ledger.TxID) {
	t.Helper()
	acct := bench.NewSigner(op.Addr.Region())
	raw, id, err := tx.Sign(&txpb.Body{ChainId: chain, ExpiryHeight: 1000, Signer: op.Addr.String(),
		Msg: &txpb.Body_RegisterAccount{RegisterAccount: &txpb.RegisterAccount{Account: acct.Addr.String()}}}, op.Priv)
	if err != nil {
		t.Fatal(err)
	}
	return raw, id
}

// badSignature is raw with its signature's last byte flipped.
func badSignature(raw []byte) []byte {
	bad := append([]byte(nil), raw...)
	bad[len(bad)-1] ^= 1
	return bad
}

func wantCode(t *testing.T, err error, status int, code ledger.Code) {
	t.Helper()
	var e *client.APIError
	if !errors.As(err, &e) || e.Status != status || e.Code != uint32(code) {
		t.Fatalf("got %v, want HTTP %d %s", err, status, code.Name())
	}
}

// TestBenchThroughGateway runs `peg bench`'s library through a gateway in
// front of a real node: every payment is verified at the gateway,
// forwarded, and commits; one payment a request and batches alike.
func TestBenchThroughGateway(t *testing.T) {
	l, err := bench.StartLocal(t.TempDir(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close(false)
	_, gw := startGateway(t, parseNetwork(t, [3]string{"GB", l.Node.Config.ChainID, l.Node.APIURL()}), nil)
	for _, batch := range []int{1, 7} {
		t.Run(fmt.Sprintf("batch %d", batch), func(t *testing.T) {
			cfg := bench.DefaultConfig()
			cfg.Accounts, cfg.Payments, cfg.Mix, cfg.Workers, cfg.Drain, cfg.Batch = 4, 20, 0.5, 2, 30*time.Second, batch
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			target := l.Target()
			target.URL = gw.URL
			res, err := bench.Run(ctx, cfg, target, nil)
			if err != nil {
				t.Fatal(err)
			}
			if res.Committed != 20 || len(res.Rejected.Admission) != 0 || len(res.Rejected.InBlock) != 0 || res.Balances.Mismatched != 0 {
				t.Errorf("committed %d, rejected %+v, balances %+v; want all 20 committed as planned",
					res.Committed, res.Rejected, res.Balances)
			}
		})
	}
}

// TestRefusedAtGateway: junk, a bad signature, an unknown region and an
// unroutable value are answered by the gateway with the node's code or its
// own, and the node behind it never sees a submission; a good transaction
// then goes through the same hop and commits.
func TestRefusedAtGateway(t *testing.T) {
	l, err := bench.StartLocal(t.TempDir(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close(false)
	hop := newCounter(t, l.Node.APIURL())
	chain := l.Node.Config.ChainID
	reg := prometheus.NewRegistry()
	_, gw := startGateway(t, parseNetwork(t, [3]string{"GB", chain, hop.srv.URL}), reg)
	c := client.New(gw.URL)
	ctx := context.Background()
	op := l.Roles.Operator
	raw, id := register(t, op, chain)

	_, err = c.Submit(ctx, badSignature(raw), true)
	wantCode(t, err, http.StatusUnauthorized, ledger.CodeBadSignature)
	_, err = c.Submit(ctx, []byte("junk"), true)
	wantCode(t, err, http.StatusBadRequest, ledger.CodeMalformed)
	wrong, _ := register(t, op, "peg-other")
	_, err = c.Submit(ctx, wrong, true)
	wantCode(t, err, http.StatusBadRequest, ledger.CodeWrongChain)
	foreign, _ := register(t, bench.NewSigner("FR"), chain)
	_, err = c.Submit(ctx, foreign, true)
	wantCode(t, err, http.StatusNotFound, ledger.CodeRegionUnknown)
	items, err := c.SubmitBatch(ctx, [][]byte{badSignature(raw), foreign}, false)
	if err != nil {
		t.Fatal(err)
	}
	if items[0].Code != uint32(ledger.CodeBadSignature) || items[1].Code != uint32(ledger.CodeRegionUnknown) {
		t.Errorf("batch items %+v, want BAD_SIGNATURE and REGION_UNKNOWN", items)
	}
	_, err = c.Account(ctx, bench.NewSigner("FR").Addr)
	wantCode(t, err, http.StatusNotFound, ledger.CodeRegionUnknown)
	resp, err := http.Get(gw.URL + "/v1/accounts/+447700900123/balances")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("an unresolvable value: HTTP %d, want 400", resp.StatusCode)
	}
	if n := hop.submits.Load(); n != 0 {
		t.Fatalf("the node received %d submissions of refused transactions", n)
	}
	if got := counterValue(t, reg, "peg_gateway_refused_total", "region", "GB", "code", "BAD_SIGNATURE"); got != 2 {
		t.Errorf("refused BAD_SIGNATURE in GB = %v, want 2", got)
	}

	s, err := c.Submit(ctx, raw, true)
	if err != nil {
		t.Fatal(err)
	}
	if s.TxID != id || s.Receipt == nil || s.Receipt.Height == 0 {
		t.Errorf("submitted %+v, want %s committed", s, id)
	}
	if n := hop.submits.Load(); n != 1 {
		t.Errorf("the node received %d submissions, want the good one", n)
	}

	// The event stream of the home region opens through the gateway
	// (its events, of reserves and fees, need a token).
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	req, _ := http.NewRequestWithContext(sctx, http.MethodGet, gw.URL+"/v1/events", nil)
	req.Header.Set("Accept", "text/event-stream")
	stream, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if ct := stream.Header.Get("Content-Type"); stream.StatusCode != http.StatusOK || ct != "text/event-stream" {
		t.Errorf("GET /v1/events through the gateway: HTTP %d, %q; want an event stream", stream.StatusCode, ct)
	}
	cancel()
	stream.Body.Close()

	// A transaction id names no region: the regions are asked in turn, the
	// home region first, those down skipped.
	if rc, err := c.Tx(ctx, id); err != nil || rc.TxID != id || rc.Height != s.Receipt.Height {
		t.Errorf("GET /v1/txs/%s: %+v, %v", id, rc, err)
	}
	two := parseNetwork(t, [3]string{"HK", "peg-hk", downURL(t)}, [3]string{"GB", chain, hop.srv.URL})
	_, gw2 := startGateway(t, two, nil)
	c2 := client.New(gw2.URL)
	if rc, err := c2.Tx(ctx, id); err != nil || rc.TxID != id {
		t.Errorf("GET /v1/txs/%s with the home region down: %+v, %v; want GB's receipt", id, rc, err)
	}
	_, err = c2.Tx(ctx, ledger.TxID{1})
	wantCode(t, err, http.StatusServiceUnavailable, ledger.CodeRegionDown)
	_, err = c.Tx(ctx, ledger.TxID{1})
	var e *client.APIError
	if !errors.As(err, &e) || e.Status != http.StatusNotFound {
		t.Errorf("GET of an unknown id: %v, want 404", err)
	}
}

// TestNoRoomAnsweredAtGateway: once a region has refused a batch for want
// of room, the gateway answers the batches bound for it with that refusal
// itself, without parsing, verifying or forwarding them, until its backoff
// ends; then batches go through again.
func TestNoRoomAnsweredAtGateway(t *testing.T) {
	l, err := bench.StartLocal(t.TempDir(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close(false)
	hop := newCounter(t, l.Node.APIURL())
	chain := l.Node.Config.ChainID
	ctx := context.Background()
	op := l.Roles.Operator
	raws := make([][]byte, 3)
	for i := range raws {
		raws[i], _ = register(t, op, chain)
	}
	for _, c := range []struct {
		backoff time.Duration
		wantHop int64 // submissions reaching the hop, the first included
	}{{time.Hour, 1}, {time.Nanosecond, 2}} {
		t.Run(c.backoff.String(), func(t *testing.T) {
			hop.submits.Store(0)
			hop.full.Store(true)
			reg := prometheus.NewRegistry()
			g, err := New(ctx, Config{Network: parseNetwork(t, [3]string{"GB", chain, hop.srv.URL}), Registry: reg, RoomBackoff: c.backoff})
			if err != nil {
				t.Fatal(err)
			}
			gw := httptest.NewServer(g.Handler())
			defer gw.Close()
			cl := client.New(gw.URL)
			_, err = cl.SubmitBatch(ctx, raws[:1], false)
			wantCode(t, err, http.StatusServiceUnavailable, ledger.Code(api.CodeUnavailable))
			_, err = cl.SubmitBatch(ctx, [][]byte{raws[1], badSignature(raws[2])}, false)
			wantCode(t, err, http.StatusServiceUnavailable, ledger.Code(api.CodeUnavailable))
			var e *client.APIError
			if errors.As(err, &e) && c.backoff == time.Hour && !strings.Contains(e.Message, "mempool is full") {
				t.Errorf("the gateway's answer %q does not give the region's", e.Message)
			}
			if n := hop.submits.Load(); n != c.wantHop {
				t.Errorf("%d submissions reached the region, want %d", n, c.wantHop)
			}
			want := 2.0 // the second batch's, answered by the gateway
			if c.backoff != time.Hour {
				want = 0
			}
			if got := counterValue(t, reg, "peg_gateway_refused_total", "region", "GB", "code", "UNAVAILABLE"); got != want {
				t.Errorf("refused UNAVAILABLE in GB = %v, want %v", got, want)
			}
			if c.backoff == time.Hour {
				return
			}
			hop.full.Store(false)
			items, err := cl.SubmitBatch(ctx, raws[1:2], true)
			if err != nil || items[0].Status != client.BatchCommitted {
				t.Errorf("with room again: %+v, %v; want the transaction committed", items, err)
			}
		})
	}
}

// counterValue is the counter name{labels} of reg, 0 if it has none yet.
func counterValue(t *testing.T, reg *prometheus.Registry, name string, labels ...string) float64 {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			match := 0
			for _, lp := range m.GetLabel() {
				for i := 0; i+1 < len(labels); i += 2 {
					if lp.GetName() == labels[i] && lp.GetValue() == labels[i+1] {
						match++
					}
				}
			}
			if 2*match == len(labels) {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

// silentURL is the URL of a loopback listener that accepts connections
// and never answers, until the test ends.
func silentURL(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
	return "http://" + ln.Addr().String()
}

// TestRegionDown: a region whose only endpoint is down, refusing
// connections (GB) or accepting them and never answering (HK), is answered
// REGION_DOWN (503) with the region named, for a submission, a batch and a
// read, without waiting on the region.
func TestRegionDown(t *testing.T) {
	n := parseNetwork(t, [3]string{"GB", "peg-gb", downURL(t)}, [3]string{"HK", "peg-hk", silentURL(t)})
	_, gw := startGateway(t, n, nil)
	c := client.New(gw.URL)
	ctx := context.Background()
	hk := bench.NewSigner("HK")
	raw, _ := register(t, hk, "peg-hk")
	_, err := c.Submit(ctx, raw, true)
	wantCode(t, err, http.StatusServiceUnavailable, ledger.CodeRegionDown)
	if !strings.Contains(err.Error(), "region HK") || !strings.Contains(err.Error(), "down since") {
		t.Errorf("REGION_DOWN says %q; want the region and since when", err)
	}
	_, err = c.SubmitBatch(ctx, [][]byte{raw}, false)
	wantCode(t, err, http.StatusServiceUnavailable, ledger.CodeRegionDown)
	_, err = c.Balances(ctx, hk.Addr, "")
	wantCode(t, err, http.StatusServiceUnavailable, ledger.CodeRegionDown)
	_, err = c.Status(ctx) // the home region, GB
	wantCode(t, err, http.StatusServiceUnavailable, ledger.CodeRegionDown)
}

// TestReloadOnSIGHUP: a good file replaces the regions; a bad one is
// refused and the regions stay as they were.
func TestReloadOnSIGHUP(t *testing.T) {
	path := filepath.Join(t.TempDir(), "network.toml")
	write := func(s string) {
		if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(networkFile([3]string{"GB", "peg-gb", downURL(t)}))
	n, err := network.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	g, _ := startGateway(t, n, reg)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGHUP)
	defer signal.Stop(sig)
	go g.ReloadOn(ctx, path, sig)
	reloads := func(outcome string) float64 {
		return counterValue(t, reg, "peg_gateway_reloads_total", "outcome", outcome)
	}
	hup := func(outcome string, want float64) {
		t.Helper()
		if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(10 * time.Second); reloads(outcome) < want; time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%v %s reloads after SIGHUP, want %v", reloads(outcome), outcome, want)
			}
		}
	}

	write(networkFile([3]string{"GB", "peg-gb", downURL(t)}, [3]string{"HK", "peg-hk", downURL(t)}))
	hup("ok", 1)
	if rs := g.Regions(); len(rs) != 2 || rs[1].Region != "HK" {
		t.Fatalf("regions after a good reload: %+v, want GB and HK", rs)
	}
	write(networkFile([3]string{"GB", "peg-gb", downURL(t)}, [3]string{"HK", "peg-gb", downURL(t)}))
	hup("refused", 1)
	write("[[region]]\ncode = \"HK\"\n")
	hup("refused", 2)
	if rs := g.Regions(); len(rs) != 2 || rs[0].Region != "GB" || rs[1].ChainID != "peg-hk" {
		t.Fatalf("regions after bad reloads: %+v, want GB and HK as before", rs)
	}
	write(networkFile([3]string{"HK", "peg-hk", downURL(t)}))
	hup("refused", 3) // GB, the home region, is missing
}

// TestFailover: with two endpoints, the gateway uses the first that
// answers; when it goes away, a read fails at most once with REGION_DOWN
// before the second takes over, and when no endpoint is left the region is
// REGION_DOWN, at once.
func TestFailover(t *testing.T) {
	l, err := bench.StartLocal(t.TempDir(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close(false)
	first, second := newCounter(t, l.Node.APIURL()), newCounter(t, l.Node.APIURL())
	file := strings.Replace(networkFile([3]string{"GB", l.Node.Config.ChainID, first.srv.URL}),
		fmt.Sprintf("[%q]", first.srv.URL), fmt.Sprintf("[%q, %q]", first.srv.URL, second.srv.URL), 1)
	n, err := network.Parse([]byte(file))
	if err != nil {
		t.Fatal(err)
	}
	g, gw := startGateway(t, n, nil)
	c := client.New(gw.URL)
	ctx := context.Background()
	if rs := g.Regions(); !rs[0].Up || rs[0].Endpoint != first.srv.URL {
		t.Fatalf("regions %+v, want GB up at the first endpoint", rs)
	}
	raw, _ := register(t, l.Roles.Operator, l.Node.Config.ChainID)
	if _, err := c.Submit(ctx, raw, false); err != nil || first.submits.Load() != 1 {
		t.Fatalf("submit: %v; the first endpoint saw %d submissions, want 1", err, first.submits.Load())
	}

	first.srv.Close()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		_, err := c.Status(ctx)
		if err == nil {
			break
		}
		wantCode(t, err, http.StatusServiceUnavailable, ledger.CodeRegionDown)
		if time.Now().After(deadline) {
			t.Fatalf("the second endpoint did not take over: %v", err)
		}
	}
	if rs := g.Regions(); !rs[0].Up || rs[0].Endpoint != second.srv.URL {
		t.Errorf("regions %+v, want GB up at the second endpoint", rs)
	}
	raw, _ = register(t, l.Roles.Operator, l.Node.Config.ChainID)
	if _, err := c.Submit(ctx, raw, false); err != nil || second.submits.Load() != 1 {
		t.Errorf("submit: %v; the second endpoint saw %d submissions, want 1", err, second.submits.Load())
	}

	second.srv.Close()
	for deadline := time.Now().Add(10 * time.Second); g.Regions()[0].Up; time.Sleep(10 * time.Millisecond) {
		if _, err := c.Status(ctx); err != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("GB still up with both endpoints closed")
		}
	}
	_, err = c.Submit(ctx, raw, false)
	wantCode(t, err, http.StatusServiceUnavailable, ledger.CodeRegionDown)
}
