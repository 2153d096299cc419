package bench

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
)

// WriteText writes the result for people.
func (r *Result) WriteText(w io.Writer) {
	p, m := r.Params, r.Machine
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	row := func(k, format string, args ...any) { fmt.Fprintf(tw, "%s\t"+format+"\n", append([]any{k}, args...)...) }
	offered := "as fast as possible"
	if p.Rate > 0 {
		offered = fmt.Sprintf("at %s/s", num(p.Rate))
	}
	row("run", "%d payments (%s with change) between %d accounts, offered %s by %d submitters", p.Payments,
		percent(p.Mix), p.Accounts, offered, p.Workers)
	row("network", "%s at %s, chain %s, token %s", p.Network, p.URL, p.ChainID, p.Token)
	row("machine", "%s/%s, %d CPUs (%s), GOMAXPROCS %d, %s", m.OS, m.Arch, m.CPUs, orUnknown(m.CPU), m.GOMAXPROCS, m.GoVersion)
	s := r.Setup
	row("setup", "%d mints and %d fan-out payments in %d level(s), %.1fs; payments signed in %.1fs", s.Mints, s.FanOutPayments,
		s.FanOutLevels, s.Seconds, s.SignSeconds)
	sub := r.Submission
	row("submitted", "%d in %.1fs (%s/s offered), %d admitted, %d retries after 503%s", sub.Submitted, sub.Seconds,
		num(sub.OfferedPerSecond), sub.Admitted, sub.Retries, lag(p.Rate, sub.MaxLagSeconds))
	row("committed", "%d payments in %d blocks %d–%d (%.1f per block, at most %d); %d uncommitted", r.Committed,
		r.Blocks.Count, r.Blocks.First, r.Blocks.Last, r.Blocks.AvgPayments, r.Blocks.MaxPayments, r.Uncommitted)
	if r.Steady != nil {
		row("steady", "%s payments/s (blocks %d–%d: %d payments in %.2fs)", num(r.Steady.PaymentsPerSecond),
			r.Steady.FromHeight, r.Steady.ToHeight, r.Steady.Payments, r.Steady.Seconds)
	} else {
		row("steady", "no steady window: the payments filled fewer than three blocks")
	}
	row("overall", "%s payments/s (first submit to last commit, %.2fs)", num(r.Overall.PaymentsPerSecond), r.Overall.Seconds)
	l := r.LatencyMS
	row("latency", "p50 %s  p90 %s  p99 %s  max %s  mean %s (submit to commit)", ms(l.P50), ms(l.P90), ms(l.P99), ms(l.Max), ms(l.Mean))
	row("rejected", "admission: %s; in block: %s (receipts read: %d of %d)", counts(r.Rejected.Admission),
		counts(r.Rejected.InBlock), r.Receipts.Read, r.Receipts.Of)
	b := r.Balances
	row("balances", "%d of %d accounts as expected; %d unspent coins (%d expected)", b.Accounts-b.Mismatched, b.Accounts,
		b.UnspentCoins, b.ExpectedCoins)
	if r.PeakRSSBytes > 0 {
		row("peak RSS", "%s (this process: node and generator)", mib(float64(r.PeakRSSBytes)))
	} else {
		row("peak RSS", "not measured (the node runs in another process)")
	}
	if r.State != nil {
		row("state", "%s in %s for %d unspent coins: %s bytes per coin", mib(float64(r.State.Bytes)), r.State.Dir,
			r.State.UnspentCoins, num(r.State.BytesPerCoin))
	} else {
		row("state", "not measured (the node's data directory is not visible to the bench)")
	}
	tw.Flush()
}

func num(v float64) string {
	if v >= 100 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.1f", v)
}

func percent(f float64) string { return fmt.Sprintf("%.0f%%", f*100) }

func ms(v float64) string {
	if v >= 1000 {
		return fmt.Sprintf("%.2fs", v/1000)
	}
	return fmt.Sprintf("%.0fms", v)
}

func mib(b float64) string { return fmt.Sprintf("%.1f MiB", b/(1<<20)) }

func lag(rate, maxLag float64) string {
	if rate == 0 {
		return ""
	}
	return fmt.Sprintf("; at most %.2fs behind schedule", maxLag)
}

func orUnknown(s string) string {
	if s == "" {
		return "model unknown"
	}
	return s
}

// counts lists counts by name, in name order; "none" if empty.
func counts(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}
