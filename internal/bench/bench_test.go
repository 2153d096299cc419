package bench

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/money"
	"github.com/pegledger/peg/internal/state"
	"github.com/pegledger/peg/internal/tx"
)

// TestRunTiny runs a small bench against a network in this process and checks
// that every payment committed and that the figures agree with each other. It
// asserts nothing about speed.
func TestRunTiny(t *testing.T) {
	// One payment to a request (POST /v1/txs), and batches of 7
	// (POST /v1/txs/batch): eight batches, the last of one payment.
	for _, batch := range []int{1, 7} {
		t.Run(fmt.Sprintf("batch %d", batch), func(t *testing.T) { runTiny(t, batch) })
	}
}

func runTiny(t *testing.T, batch int) {
	l, err := StartLocal(t.TempDir(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close(false)
	cfg := DefaultConfig()
	cfg.Accounts, cfg.Payments, cfg.Mix, cfg.Workers, cfg.Drain, cfg.Batch = 5, 50, 0.3, 4, 30*time.Second, batch
	// 5 accounts × 10 payments: 10 leaves each, one fan-out level.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := Run(ctx, cfg, l.Target(), testWriter{t})
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	res.WriteText(&text)
	t.Logf("\n%s", text.String())

	if res.Setup.Mints != 5 || res.Setup.FanOutPayments != 5 || res.Setup.FanOutLevels != 1 {
		t.Errorf("setup = %+v, want 5 mints and 5 fan-out payments in 1 level", res.Setup)
	}
	sub := res.Submission
	if sub.Submitted != 50 || sub.Admitted != 50 || res.Included != 50 || res.Committed != 50 || res.Uncommitted != 0 {
		t.Errorf("submitted %d, admitted %d, included %d, committed %d, uncommitted %d; want 50, 50, 50, 50, 0",
			sub.Submitted, sub.Admitted, res.Included, res.Committed, res.Uncommitted)
	}
	if len(res.Rejected.Admission) != 0 || len(res.Rejected.InBlock) != 0 {
		t.Errorf("rejected = %+v, want none", res.Rejected)
	}
	if res.Receipts != (ReceiptCheck{Read: 50, Of: 50}) {
		t.Errorf("receipts = %+v, want all 50 read", res.Receipts)
	}
	// 50 leaves, and 15 of the payments (30%) leave change: 65 coins.
	if b := res.Balances; b.Mismatched != 0 || b.Accounts != 5 || b.UnspentCoins != 65 || b.ExpectedCoins != 65 {
		t.Errorf("balances = %+v, want 5 accounts as expected holding 65 coins", b)
	}
	blocks := res.Blocks
	if blocks.First == 0 || blocks.Last < blocks.First || blocks.Count != int(blocks.Last-blocks.First+1) ||
		blocks.MaxPayments < 1 || blocks.MaxPayments > 50 {
		t.Errorf("blocks = %+v, inconsistent", blocks)
	}
	if got, want := blocks.AvgPayments*float64(blocks.Count), 50.0; got < want-0.01 || got > want+0.01 {
		t.Errorf("avg %v × %d blocks = %v, want 50", blocks.AvgPayments, blocks.Count, got)
	}
	if s := res.Steady; s != nil && (s.FromHeight != blocks.First+1 || s.ToHeight != blocks.Last-1 || s.Payments > 50) {
		t.Errorf("steady = %+v, want blocks %d–%d", s, blocks.First+1, blocks.Last-1)
	}
	if o := res.Overall; o.Payments != 50 || o.Seconds <= 0 || o.PaymentsPerSecond <= 0 {
		t.Errorf("overall = %+v, want 50 payments over a positive time", o)
	}
	lat := res.LatencyMS
	if lat.Count != 50 || !(0 < lat.P50 && lat.P50 <= lat.P90 && lat.P90 <= lat.P99 && lat.P99 <= lat.Max) {
		t.Errorf("latency = %+v, want 50 ordered figures", lat)
	}
	if res.PeakRSSBytes == 0 {
		t.Error("peak RSS not measured for an in-process node")
	}
	if res.State == nil || res.State.UnspentCoins != 65 || res.State.Bytes <= 0 || res.State.BytesPerCoin <= 0 {
		t.Errorf("state = %+v, want a size over 65 coins", res.State)
	}
}

// TestRunTinyWithFees: with fees, every account opens a fee account, every
// payment is charged and accepted, and the fee contract holds the deposits.
func TestRunTinyWithFees(t *testing.T) {
	l, err := StartLocal(t.TempDir(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close(false)
	cfg := DefaultConfig()
	cfg.Accounts, cfg.Payments, cfg.Mix, cfg.Workers, cfg.Drain, cfg.Fees = 5, 50, 0.3, 4, 30*time.Second, true
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := Run(ctx, cfg, l.Target(), testWriter{t})
	if err != nil {
		t.Fatal(err)
	}
	if res.Committed != 50 || len(res.Rejected.Admission) != 0 || len(res.Rejected.InBlock) != 0 || res.Balances.Mismatched != 0 {
		t.Fatalf("committed %d, rejected %+v, balances %+v; want all 50 accepted and paid as planned", res.Committed, res.Rejected, res.Balances)
	}
	c := client.New(l.Target().URL)
	bs, err := c.Balances(ctx, state.FeeContract(localRegion), "")
	if err != nil {
		t.Fatal(err)
	}
	if want := money.FromUint64(5 * FeeDeposit); len(bs) != 1 || bs[0].Units != want {
		t.Errorf("the fee contract holds %+v, want one balance of %s minor units", bs, want)
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSuffix(string(b), "\n"))
	return len(b), nil
}

func TestSplit(t *testing.T) {
	for _, tc := range []struct {
		name string
		n    int
		want []int
	}{
		{"two", 2, []int{1, 1}},
		{"one output each", tx.MaxOutputs, slices.Repeat([]int{1}, tx.MaxOutputs)},
		{"one more than a level", tx.MaxOutputs + 1, []int{16, 1}},
		{"sixty", 60, []int{16, 16, 16, 12}},
		{"two full levels", 256, slices.Repeat([]int{16}, 16)},
		{"past two levels", 257, []int{256, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := split(tc.n)
			if !slices.Equal(got, tc.want) {
				t.Errorf("split(%d) = %v, want %v", tc.n, got, tc.want)
			}
		})
	}
}

// TestFanOutLevels checks that splitting reaches single leaves in
// ⌈log16 n⌉ levels with about n/15 payments.
func TestFanOutLevels(t *testing.T) {
	for _, tc := range []struct {
		n, levels, payments int
	}{
		{1, 0, 0}, {2, 1, 1}, {16, 1, 1}, {17, 2, 2}, {60, 2, 5}, {256, 2, 17}, {1000, 3, 68},
	} {
		bundles, levels, payments := []int{tc.n}, 0, 0
		for {
			var next []int
			for _, b := range bundles {
				if b == 1 {
					next = append(next, 1)
					continue
				}
				payments++
				next = append(next, split(b)...)
			}
			if len(next) == len(bundles) {
				break
			}
			bundles, levels = next, levels+1
		}
		if len(bundles) != tc.n || levels != tc.levels || payments != tc.payments {
			t.Errorf("%d leaves: %d leaves in %d levels by %d payments, want %d in %d by %d",
				tc.n, len(bundles), levels, payments, tc.n, tc.levels, tc.payments)
		}
	}
}

func TestShares(t *testing.T) {
	if got, want := shares(50, 5), []int{10, 10, 10, 10, 10}; !slices.Equal(got, want) {
		t.Errorf("shares(50, 5) = %v, want %v", got, want)
	}
	if got, want := shares(7, 3), []int{3, 2, 2}; !slices.Equal(got, want) {
		t.Errorf("shares(7, 3) = %v, want %v", got, want)
	}
	if got, want := shares(2, 4), []int{1, 1, 0, 0}; !slices.Equal(got, want) {
		t.Errorf("shares(2, 4) = %v, want %v", got, want)
	}
}

func TestWithChange(t *testing.T) {
	for _, mix := range []float64{0, 0.1, 0.3, 0.5, 1} {
		n := 0
		for i := range 1000 {
			if withChange(i, mix) {
				n++
			}
		}
		if want := int(mix * 1000); n != want {
			t.Errorf("mix %v: %d of 1000 with change, want %d", mix, n, want)
		}
	}
}

func TestPayeeNeverPayer(t *testing.T) {
	for k := 2; k < 6; k++ {
		for a := range k {
			for j := range 3 * k {
				if to := payeeOf(a, j, k); to == a || to < 0 || to >= k {
					t.Fatalf("payeeOf(%d, %d, %d) = %d", a, j, k, to)
				}
			}
		}
	}
}

func TestOrderInterleaves(t *testing.T) {
	got := order([]int{2, 1, 3})
	want := [][2]int{{0, 0}, {1, 0}, {2, 0}, {0, 1}, {2, 1}, {2, 2}}
	if len(got) != len(want) {
		t.Fatalf("order = %v, want %v", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("order = %v, want %v", got, want)
		}
	}
}

func TestLatencyNearestRank(t *testing.T) {
	var ds []time.Duration
	for i := 100; i >= 1; i-- {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	got := latency(ds)
	want := Latency{Count: 100, P50: 50, P90: 90, P99: 99, Max: 100, Mean: 50.5}
	if got != want {
		t.Errorf("latency = %+v, want %+v", got, want)
	}
}

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("default config: %v", err)
	}
	for _, tc := range []struct {
		name   string
		change func(*Config)
	}{
		{"one account", func(c *Config) { c.Accounts = 1 }},
		{"too many accounts", func(c *Config) { c.Accounts = MaxAccounts + 1 }},
		{"no payments", func(c *Config) { c.Payments = 0 }},
		{"too many payments", func(c *Config) { c.Payments = MaxPayments + 1 }},
		{"mix above one", func(c *Config) { c.Mix = 1.5 }},
		{"negative rate", func(c *Config) { c.Rate = -1 }},
		{"no workers", func(c *Config) { c.Workers = 0 }},
		{"no drain", func(c *Config) { c.Drain = 0 }},
		{"no receipts", func(c *Config) { c.ReceiptSample = 0 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			tc.change(&c)
			if err := c.Validate(); err == nil {
				t.Errorf("Validate accepted %+v", c)
			}
		})
	}
}

// TestChunks: the runs submitAll sends cover every transaction in order,
// each at most n of them and packing within a batch's limit, a
// transaction too large for any batch alone.
func TestChunks(t *testing.T) {
	var txs []signed
	for _, size := range []int{100, 100, 100, 100, 100, 100, 600_000, 600_000, 100, 2_000_000, 100, 100} {
		txs = append(txs, signed{raw: make([]byte, size)})
	}
	runs := chunks(txs, 4)
	want := [][2]int{{0, 4}, {4, 7}, {7, 9}, {9, 10}, {10, 12}}
	if !slices.Equal(runs, want) {
		t.Fatalf("runs %v, want %v", runs, want)
	}
	for _, r := range runs[:3] {
		raws := make([][]byte, 0, r[1]-r[0])
		for _, s := range txs[r[0]:r[1]] {
			raws = append(raws, s.raw)
		}
		if n := tx.BatchSize(raws); n > tx.MaxBatchSize {
			t.Errorf("run %v packs into %d bytes", r, n)
		}
	}
}
