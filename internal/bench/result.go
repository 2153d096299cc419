package bench

import (
	"bufio"
	"context"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
)

// Result is every figure of a run, with the parameters and the machine that
// produced it. Times are in seconds unless a field's name says otherwise.
type Result struct {
	Params     Params     `json:"params"`
	Machine    Machine    `json:"machine"`
	Setup      Setup      `json:"setup"`
	Submission Submission `json:"submission"`
	// Included is the payments in committed blocks, whatever their code;
	// Committed those of them accepted; Uncommitted the admitted payments
	// that no block held when the drain ended.
	Included    int      `json:"included"`
	Committed   int      `json:"committed"`
	Uncommitted int      `json:"uncommitted"`
	Rejected    Rejected `json:"rejected"`
	Blocks      Blocks   `json:"blocks"`
	// Steady is the committed rate over the steady window (see the package
	// documentation); nil when the payments filled fewer than three blocks.
	Steady  *Window `json:"steady"`
	Overall Window  `json:"overall"`
	// LatencyMS is submit → commit, in milliseconds, of committed payments.
	LatencyMS Latency      `json:"latency_ms"`
	Receipts  ReceiptCheck `json:"receipts"`
	Balances  BalanceCheck `json:"balances"`
	// PeakRSSBytes is the peak resident set of this process (VmHWM), node
	// and generator together; 0 when the node runs elsewhere.
	PeakRSSBytes uint64 `json:"peak_rss_bytes"`
	// State is the node's state size per unspent coin; nil when the node's
	// data directory is not visible to the bench.
	State *StateSize `json:"state"`
}

// Params are the run's parameters.
type Params struct {
	Network       string         `json:"network"`
	URL           string         `json:"url"`
	ChainID       string         `json:"chain_id"`
	Token         ledger.TokenID `json:"token"`
	Accounts      int            `json:"accounts"`
	Payments      int            `json:"payments"`
	Mix           float64        `json:"mix"`
	Rate          float64        `json:"rate"` // offered payments/s; 0: as fast as possible
	Workers       int            `json:"workers"`
	Drain         float64        `json:"drain_seconds"`
	ReceiptSample int            `json:"receipt_sample"`
	// Submission says how payments reach the node.
	Submission string `json:"submission"`
}

// submissionPath is Params.Submission.
const submissionPath = "POST /v1/txs, one payment per request, wait=false"

// Machine describes where the run ran.
type Machine struct {
	OS          string `json:"os"`
	Arch        string `json:"arch"`
	CPU         string `json:"cpu"`
	CPUs        int    `json:"cpus"`
	GOMAXPROCS  int    `json:"gomaxprocs"`
	MemoryBytes uint64 `json:"memory_bytes"`
	GoVersion   string `json:"go_version"`
}

// Setup is what preparing the run took.
type Setup struct {
	Seconds        float64 `json:"seconds"`
	Mints          int     `json:"mints"`
	FanOutPayments int     `json:"fan_out_payments"`
	FanOutLevels   int     `json:"fan_out_levels"`
	// SignSeconds is the time to sign the bench payments, after the setup.
	SignSeconds float64 `json:"sign_seconds"`
}

// Submission is how the payments were offered.
type Submission struct {
	Submitted int `json:"submitted"`
	Admitted  int `json:"admitted"`
	// Seconds runs from the first submission's start to the last's.
	Seconds          float64 `json:"seconds"`
	OfferedPerSecond float64 `json:"offered_per_second"`
	// MaxLagSeconds is how late against its schedule the latest payment was
	// first sent, at a fixed rate; 0 as fast as possible.
	MaxLagSeconds float64 `json:"max_lag_seconds"`
	// Retries counts submissions sent again after 503 UNAVAILABLE.
	Retries int `json:"retries"`
}

// Rejected counts refusals by result code name.
type Rejected struct {
	Admission map[string]int `json:"admission"`
	InBlock   map[string]int `json:"in_block"`
}

// Blocks are the bench blocks, First to Last.
type Blocks struct {
	First       int64   `json:"first"`
	Last        int64   `json:"last"`
	Count       int     `json:"count"`
	AvgPayments float64 `json:"avg_payments"` // committed payments per block
	MaxPayments int     `json:"max_payments"`
}

// Window is a committed rate over a span of blocks.
type Window struct {
	FromHeight        int64   `json:"from_height"`
	ToHeight          int64   `json:"to_height"`
	Payments          int     `json:"payments"`
	Seconds           float64 `json:"seconds"`
	PaymentsPerSecond float64 `json:"payments_per_second"`
}

// Latency summarises latencies in milliseconds.
type Latency struct {
	Count int     `json:"count"`
	P50   float64 `json:"p50"`
	P90   float64 `json:"p90"`
	P99   float64 `json:"p99"`
	Max   float64 `json:"max"`
	Mean  float64 `json:"mean"`
}

// ReceiptCheck says how many of the included payments' receipts were read.
type ReceiptCheck struct {
	Read int `json:"read"`
	Of   int `json:"of"`
}

// BalanceCheck compares every bench account's balance and coin count with
// what its committed payments imply.
type BalanceCheck struct {
	Accounts   int `json:"accounts"`
	Mismatched int `json:"mismatched"`
	// UnspentCoins is what the accounts hold; ExpectedCoins what they should.
	UnspentCoins  int `json:"unspent_coins"`
	ExpectedCoins int `json:"expected_coins"`
}

// StateSize is the node's state on disk per unspent coin.
type StateSize struct {
	Dir          string  `json:"dir"`
	Bytes        int64   `json:"bytes"`
	UnspentCoins int     `json:"unspent_coins"`
	BytesPerCoin float64 `json:"bytes_per_coin"`
}

// measure computes the figures from the outcomes and what the follower saw.
func (r *runner) measure(ctx context.Context, st *client.Status, pays []payment, outs []outcome, leaves [][]bundle) (*Result, error) {
	res := &Result{
		Params: Params{Network: r.t.Network, URL: r.t.URL, ChainID: st.ChainID, Token: r.tok, Accounts: r.cfg.Accounts,
			Payments: r.cfg.Payments, Mix: r.cfg.Mix, Rate: r.cfg.Rate, Workers: r.cfg.Workers, Drain: r.cfg.Drain.Seconds(),
			ReceiptSample: r.cfg.ReceiptSample, Submission: submissionPath},
		Machine:    machine(),
		Submission: submission(outs),
		Rejected:   Rejected{Admission: map[string]int{}, InBlock: map[string]int{}},
	}
	heights := make([]int64, len(pays)) // 0: not in a block
	var included []int
	for i, o := range outs {
		if o.refused != nil {
			res.Rejected.Admission[o.refused.Name]++
			continue
		}
		if heights[i] = r.f.height(pays[i].id); heights[i] == 0 {
			res.Uncommitted++
			continue
		}
		included = append(included, i)
	}
	res.Included = len(included)
	ok, err := r.checkReceipts(ctx, pays, included, res)
	if err != nil {
		return nil, err
	}
	r.blockFigures(res, heights, outs, ok)
	if res.Balances, err = r.checkBalances(ctx, pays, ok, leaves); err != nil {
		return nil, err
	}
	if r.t.InProcess {
		res.PeakRSSBytes = peakRSS()
	}
	if r.t.AppDir != "" {
		res.State = stateSize(r.t.AppDir, res.Balances.UnspentCoins)
	}
	return res, nil
}

// checkReceipts reads the receipts of a sample of the included payments and
// returns which payments were accepted: those whose receipt says OK, and the
// included payments whose receipt was not read.
func (r *runner) checkReceipts(ctx context.Context, pays []payment, included []int, res *Result) ([]bool, error) {
	ok := make([]bool, len(pays))
	for _, i := range included {
		ok[i] = true
	}
	picked := sample(len(included), r.cfg.ReceiptSample)
	ids := make([]ledger.TxID, len(picked))
	for k, j := range picked {
		ids[k] = pays[included[j]].id
	}
	rcs, err := r.receipts(ctx, ids)
	if err != nil {
		return nil, err
	}
	for k, rc := range rcs {
		if rc != nil && rc.Code == ledger.OK {
			continue
		}
		ok[included[picked[k]]] = false
		name := "NO_RECEIPT" // in a block, but it did not decode or verify there
		if rc != nil {
			name = rc.Name
		}
		res.Rejected.InBlock[name]++
	}
	res.Receipts = ReceiptCheck{Read: len(picked), Of: len(included)}
	for _, v := range ok {
		if v {
			res.Committed++
		}
	}
	return ok, nil
}

// blockFigures fills the block counts, the rates and the latencies.
func (r *runner) blockFigures(res *Result, heights []int64, outs []outcome, ok []bool) {
	perBlock := map[int64]int{}
	var first, last int64
	for i, h := range heights {
		if h == 0 {
			continue
		}
		if first == 0 || h < first {
			first = h
		}
		last = max(last, h)
		if ok[i] {
			perBlock[h]++
		}
	}
	if first == 0 {
		return
	}
	res.Blocks = Blocks{First: first, Last: last, Count: int(last - first + 1)}
	res.Blocks.AvgPayments = float64(res.Committed) / float64(res.Blocks.Count)
	for _, n := range perBlock {
		res.Blocks.MaxPayments = max(res.Blocks.MaxPayments, n)
	}
	seen := func(h int64) time.Time { return r.f.block(h).Seen }
	if last-first >= 2 {
		w := Window{FromHeight: first + 1, ToHeight: last - 1, Seconds: seen(last - 1).Sub(seen(first)).Seconds()}
		for h := first + 1; h < last; h++ {
			w.Payments += perBlock[h]
		}
		w.PaymentsPerSecond = rate(w.Payments, w.Seconds)
		res.Steady = &w
	}
	start := firstStart(outs)
	res.Overall = Window{FromHeight: first, ToHeight: last, Payments: res.Committed, Seconds: seen(last).Sub(start).Seconds()}
	res.Overall.PaymentsPerSecond = rate(res.Committed, res.Overall.Seconds)
	var lat []time.Duration
	for i, h := range heights {
		if ok[i] {
			lat = append(lat, seen(h).Sub(outs[i].start))
		}
	}
	res.LatencyMS = latency(lat)
}

func rate(n int, seconds float64) float64 {
	if seconds <= 0 {
		return 0
	}
	return float64(n) / seconds
}

func firstStart(outs []outcome) time.Time {
	var t time.Time
	for _, o := range outs {
		if t.IsZero() || o.start.Before(t) {
			t = o.start
		}
	}
	return t
}

func submission(outs []outcome) Submission {
	s := Submission{Submitted: len(outs)}
	first, last := firstStart(outs), time.Time{}
	for _, o := range outs {
		if o.refused == nil {
			s.Admitted++
		}
		s.Retries += o.retries
		s.MaxLagSeconds = math.Max(s.MaxLagSeconds, o.lag.Seconds())
		if o.start.After(last) {
			last = o.start
		}
	}
	s.Seconds = last.Sub(first).Seconds()
	s.OfferedPerSecond = rate(len(outs)-1, s.Seconds) // n starts span n−1 intervals
	return s
}

// latency summarises ds; percentiles by nearest rank.
func latency(ds []time.Duration) Latency {
	if len(ds) == 0 {
		return Latency{}
	}
	slices.Sort(ds)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	rank := func(p float64) float64 { return ms(ds[int(math.Ceil(p/100*float64(len(ds))))-1]) }
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	return Latency{Count: len(ds), P50: rank(50), P90: rank(90), P99: rank(99), Max: ms(ds[len(ds)-1]),
		Mean: ms(sum / time.Duration(len(ds)))}
}

// checkBalances compares each account's balance and coins of the bench token
// with its leaves and the accepted payments.
func (r *runner) checkBalances(ctx context.Context, pays []payment, ok []bool, leaves [][]bundle) (BalanceCheck, error) {
	h := leafHoldings(leaves)
	for i, p := range pays {
		if ok[i] {
			h.debit(p)
			h.credit(p)
		}
	}
	return r.compareBalances(ctx, h)
}

// holdings are what each account of a region should hold of the bench token.
type holdings struct {
	units []uint64
	coins []int
}

// leafHoldings are the accounts' holdings before the payments: their leaves.
func leafHoldings(leaves [][]bundle) holdings {
	h := holdings{units: make([]uint64, len(leaves)), coins: make([]int, len(leaves))}
	for a, l := range leaves {
		h.units[a], h.coins[a] = uint64(len(l))*LeafUnits, len(l)
	}
	return h
}

// sent is what payment p takes from its payer: its leaf, or the payee's part
// of it when the rest comes back as change.
func (p payment) sent() uint64 {
	if p.change {
		return ChangeUnits
	}
	return LeafUnits
}

// debit takes p from its payer's holdings: the leaf spent, the change back.
func (h holdings) debit(p payment) {
	if !p.change {
		h.coins[p.from]--
	}
	h.units[p.from] -= p.sent()
}

// credit gives p's payee its coin.
func (h holdings) credit(p payment) {
	h.units[p.to] += p.sent()
	h.coins[p.to]++
}

// compareBalances reads each of the runner's accounts' balance of the bench
// token and compares it with h.
func (r *runner) compareBalances(ctx context.Context, h holdings) (BalanceCheck, error) {
	k := len(r.accounts)
	got := make([]client.Balance, k)
	err := parallel(k, func(a int) error {
		bs, err := r.c.Balances(ctx, r.accounts[a].Addr, r.tok)
		for _, b := range bs {
			if b.Token == r.tok {
				got[a] = b
			}
		}
		return err
	})
	if err != nil {
		return BalanceCheck{}, err
	}
	bc := BalanceCheck{Accounts: k}
	for a := range k {
		bc.UnspentCoins += got[a].Coins
		bc.ExpectedCoins += h.coins[a]
		if got[a].Coins != h.coins[a] || got[a].Units.Cmp(money.FromUint64(h.units[a])) != 0 {
			bc.Mismatched++
		}
	}
	return bc, nil
}

// stateSize measures dir against the unspent coins; nil if dir cannot be read.
func stateSize(dir string, coins int) *StateSize {
	var total int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if info, err := d.Info(); err == nil && info.Mode().IsRegular() {
			total += info.Size()
		}
		return nil
	})
	if err != nil {
		return nil
	}
	s := &StateSize{Dir: dir, Bytes: total, UnspentCoins: coins}
	if coins > 0 {
		s.BytesPerCoin = float64(total) / float64(coins)
	}
	return s
}

func machine() Machine {
	return Machine{OS: runtime.GOOS, Arch: runtime.GOARCH, CPU: procField("/proc/cpuinfo", "model name"), CPUs: runtime.NumCPU(),
		GOMAXPROCS: runtime.GOMAXPROCS(0), MemoryBytes: procKB("/proc/meminfo", "MemTotal"), GoVersion: runtime.Version()}
}

// peakRSS is this process's peak resident set (VmHWM), 0 if unknown.
func peakRSS() uint64 { return procKB("/proc/self/status", "VmHWM") }

// procKB reads a "Key:   123 kB" line of a /proc file, in bytes.
func procKB(path, key string) uint64 {
	v, _ := strconv.ParseUint(strings.TrimSuffix(procField(path, key), " kB"), 10, 64)
	return v * 1024
}

// procField is the value of the first "key: value" line of a /proc file.
func procField(path, key string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, found := strings.Cut(sc.Text(), ":")
		if found && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
