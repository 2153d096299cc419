package bench

import (
	"context"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/network"
	"github.com/pegledger/peg/internal/relay"
)

// RegionsResult is every figure of a run over regions. A payment is
// complete when its payee's coin exists: a payment within a region when its
// block commits, a cross-region one when the block of its payee's region
// that delivers it (transfer_in) commits, each as the region's follower saw
// it.
type RegionsResult struct {
	Params  RegionsConfig  `json:"params"`
	Machine Machine        `json:"machine"`
	Token   ledger.TokenID `json:"token"`
	// Setup counts the mints, fan-out payments and levels over every
	// region; the sends to the other regions are not among them.
	Setup   Setup           `json:"setup"`
	Regions []RegionFigures `json:"regions"`
	// Complete is the payments whose payee's coin exists, in every region.
	Complete int `json:"complete"`
	// Undelivered is the accepted cross-region payments the relayer had not
	// delivered when the drain ended.
	Undelivered int `json:"undelivered"`
	// Overall runs from the first submission to the last completion;
	// Steady from the completion of the 10th percentile of the complete
	// payments to that of the 90th, over the payments between them.
	Overall Rate `json:"overall"`
	Steady  Rate `json:"steady"`
	// LocalLatencyMS is submit → commit of the complete payments within a
	// region; CrossLatencyMS submit → the payee's coin committed in its
	// region, of the complete cross-region ones.
	LocalLatencyMS Latency `json:"local_latency_ms"`
	CrossLatencyMS Latency `json:"cross_latency_ms"`
	// Audit is the network audit after the run (relay.AuditNetwork).
	Audit        AuditCheck `json:"audit"`
	PeakRSSBytes uint64     `json:"peak_rss_bytes"`
}

// RegionFigures are one region's payments: those its accounts made.
type RegionFigures struct {
	Region     ledger.Region `json:"region"`
	ChainID    string        `json:"chain_id"`
	URL        string        `json:"url"`
	Submission Submission    `json:"submission"`
	// Cross is how many of the payments pay an account of the next region.
	Cross int `json:"cross"`
	// Included, Committed, Uncommitted, Rejected and Receipts are as in
	// Result, for this region's chain.
	Included    int          `json:"included"`
	Committed   int          `json:"committed"`
	Uncommitted int          `json:"uncommitted"`
	Rejected    Rejected     `json:"rejected"`
	Receipts    ReceiptCheck `json:"receipts"`
	// Delivered is how many of the committed cross-region payments the
	// next region delivered.
	Delivered int `json:"delivered"`
	// Balances compares this region's accounts with what the payments
	// made and received imply.
	Balances BalanceCheck `json:"balances"`
	// Blocks is the span of this region's blocks that hold its payments.
	Blocks Blocks `json:"blocks"`
}

// Rate is payments completed over a span of time.
type Rate struct {
	Payments          int     `json:"payments"`
	Seconds           float64 `json:"seconds"`
	PaymentsPerSecond float64 `json:"payments_per_second"`
}

// AuditCheck is the network audit's verdict.
type AuditCheck struct {
	OK       bool     `json:"ok"`
	Problems []string `json:"problems"`
}

// measureRegions computes the figures from the outcomes, what the followers
// saw and what the relayer delivered.
func measureRegions(ctx context.Context, cfg RegionsConfig, rs []*regionRun, dl *deliveries, n *network.Network) (*RegionsResult, error) {
	res := &RegionsResult{Params: cfg, Machine: machine(), Token: rs[0].tok, Regions: make([]RegionFigures, len(rs))}
	type done struct {
		at    time.Time
		start time.Time
		cross bool
	}
	var complete []done
	credits := make([]holdings, len(rs))
	for i, r := range rs {
		credits[i] = leafHoldings(r.leaves)
	}
	for i, r := range rs {
		next := (i + 1) % len(rs)
		fig := &res.Regions[i]
		*fig = RegionFigures{Region: r.st.Region, ChainID: r.st.ChainID, URL: r.t.URL, Submission: submission(r.outs),
			Rejected: Rejected{Admission: map[string]int{}, InBlock: map[string]int{}}}
		heights := make([]int64, len(r.pays))
		var included []int
		for k, o := range r.outs {
			if r.pays[k].cross {
				fig.Cross++
			}
			if o.refused != nil {
				fig.Rejected.Admission[o.refused.Name]++
				continue
			}
			if heights[k] = r.f.height(r.pays[k].id); heights[k] == 0 {
				fig.Uncommitted++
				continue
			}
			included = append(included, k)
		}
		fig.Included = len(included)
		scratch := &Result{Rejected: fig.Rejected}
		ok, err := r.checkReceipts(ctx, r.pays, included, scratch)
		if err != nil {
			return nil, err
		}
		fig.Committed, fig.Receipts = scratch.Committed, scratch.Receipts
		r.blockFigures(scratch, heights, r.outs, ok)
		fig.Blocks = scratch.Blocks
		var ins []ledger.TxID
		for k, p := range r.pays {
			if !ok[k] {
				continue
			}
			credits[i].debit(p)
			if !p.cross {
				credits[i].credit(p)
				complete = append(complete, done{at: r.f.block(heights[k]).Seen, start: r.outs[k].start})
				continue
			}
			in, delivered := dl.get(transferOf(p))
			if !delivered {
				res.Undelivered++
				continue
			}
			fig.Delivered++
			credits[next].credit(p)
			ins = append(ins, in)
		}
		// The next region's follower may not have read the last deliveries'
		// blocks yet.
		if missing, err := rs[next].f.await(ctx, ins, time.Now().Add(stageTimeout)); err != nil {
			return nil, err
		} else if missing > 0 {
			return nil, fmt.Errorf("bench: %d deliveries to %s in no block its follower read", missing, rs[next].st.Region)
		}
		for k, p := range r.pays {
			if !ok[k] || !p.cross {
				continue
			}
			if in, delivered := dl.get(transferOf(p)); delivered {
				complete = append(complete, done{at: rs[next].f.block(rs[next].f.height(in)).Seen, start: r.outs[k].start, cross: true})
			}
		}
	}
	for i, r := range rs {
		var err error
		if res.Regions[i].Balances, err = r.compareBalances(ctx, credits[i]); err != nil {
			return nil, err
		}
	}
	audit, err := relay.AuditNetwork(ctx, n)
	if err != nil {
		return nil, err
	}
	res.Audit = AuditCheck{OK: audit.OK, Problems: audit.Problems}
	res.PeakRSSBytes = peakRSS()

	res.Complete = len(complete)
	if len(complete) == 0 {
		return res, nil
	}
	slices.SortFunc(complete, func(a, b done) int { return a.at.Compare(b.at) })
	first := complete[0].start
	var local, cross []time.Duration
	for _, d := range complete {
		if d.start.Before(first) {
			first = d.start
		}
		if d.cross {
			cross = append(cross, d.at.Sub(d.start))
		} else {
			local = append(local, d.at.Sub(d.start))
		}
	}
	for _, r := range rs {
		if s := firstStart(r.outs); s.Before(first) {
			first = s
		}
	}
	last := complete[len(complete)-1].at
	res.Overall = Rate{Payments: len(complete), Seconds: last.Sub(first).Seconds()}
	res.Overall.PaymentsPerSecond = rate(res.Overall.Payments, res.Overall.Seconds)
	lo, hi := len(complete)/10, len(complete)*9/10
	if hi > lo {
		res.Steady = Rate{Payments: hi - lo, Seconds: complete[hi].at.Sub(complete[lo].at).Seconds()}
		res.Steady.PaymentsPerSecond = rate(res.Steady.Payments, res.Steady.Seconds)
	}
	res.LocalLatencyMS, res.CrossLatencyMS = latency(local), latency(cross)
	return res, nil
}

// WriteText writes the result for people.
func (r *RegionsResult) WriteText(w io.Writer) {
	p, m := r.Params, r.Machine
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	row := func(k, format string, args ...any) { fmt.Fprintf(tw, "%s\t"+format+"\n", append([]any{k}, args...)...) }
	offered := "as fast as possible"
	if p.Rate > 0 {
		offered = fmt.Sprintf("at %s/s", num(p.Rate))
	}
	row("run", "%d payments (%s with change, %s to the next region) over %d regions of %d accounts each, offered %s by %d submitters a region",
		p.Payments, percent(p.Mix), percent(p.Cross), len(r.Regions), p.Accounts, offered, p.Workers)
	row("relayer", "in process, %d transfers at once, %s between passes", p.RelayWorkers, p.RelayInterval)
	row("machine", "%s/%s, %d CPUs (%s), GOMAXPROCS %d, %s", m.OS, m.Arch, m.CPUs, orUnknown(m.CPU), m.GOMAXPROCS, m.GoVersion)
	s := r.Setup
	row("setup", "token %s: %d mints and %d fan-out payments in %d level(s), %.1fs; payments signed in %.1fs", r.Token, s.Mints,
		s.FanOutPayments, s.FanOutLevels, s.Seconds, s.SignSeconds)
	for _, g := range r.Regions {
		sub := g.Submission
		row(string(g.Region), "%s at %s: %d submitted in %.1fs (%s/s offered), %d admitted, %d retries; %d committed in blocks %d–%d, %d uncommitted; %d cross, %d delivered",
			g.ChainID, g.URL, sub.Submitted, sub.Seconds, num(sub.OfferedPerSecond), sub.Admitted, sub.Retries, g.Committed,
			g.Blocks.First, g.Blocks.Last, g.Uncommitted, g.Cross, g.Delivered)
		row("", "rejected: admission: %s; in block: %s (receipts read: %d of %d)", counts(g.Rejected.Admission),
			counts(g.Rejected.InBlock), g.Receipts.Read, g.Receipts.Of)
		b := g.Balances
		row("", "balances: %d of %d accounts as expected; %d unspent coins (%d expected)", b.Accounts-b.Mismatched, b.Accounts,
			b.UnspentCoins, b.ExpectedCoins)
	}
	row("complete", "%d payments with the payee's coin in its region; %d cross-region undelivered", r.Complete, r.Undelivered)
	row("steady", "%s payments/s (10th to 90th percentile of completions: %d payments in %.2fs)", num(r.Steady.PaymentsPerSecond),
		r.Steady.Payments, r.Steady.Seconds)
	row("overall", "%s payments/s (first submit to last completion, %.2fs)", num(r.Overall.PaymentsPerSecond), r.Overall.Seconds)
	for _, l := range []struct {
		name string
		l    Latency
		what string
	}{{"latency", r.LocalLatencyMS, "within a region, submit to commit"}, {"cross", r.CrossLatencyMS, "submit to the payee's coin in its region"}} {
		row(l.name, "p50 %s  p90 %s  p99 %s  max %s  mean %s (%d, %s)", ms(l.l.P50), ms(l.l.P90), ms(l.l.P99), ms(l.l.Max), ms(l.l.Mean),
			l.l.Count, l.what)
	}
	if r.Audit.OK {
		row("audit", "network audit clean")
	} else {
		row("audit", "network audit FAILED: %v", r.Audit.Problems)
	}
	row("peak RSS", "%s (this process: every region's node, the relayer and the generator)", mib(float64(r.PeakRSSBytes)))
	tw.Flush()
}
