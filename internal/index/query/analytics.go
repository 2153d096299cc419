package query

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pegledger/peg/internal/client"
)

// PaymentKinds are the transaction kinds whose amounts are volume: what an
// accepted payment moved to others than its signer (txs.amount). Mints,
// redemptions, fees and trade or credit steps are not payments.
var PaymentKinds = []string{"pay", "spend_from"}

// SettlementBounds are the upper bounds, in seconds, of the settlement-time
// buckets: a second, ten, a minute, ten minutes, an hour, six hours, a day,
// a week, thirty days.
var SettlementBounds = []int64{1, 10, 60, 600, 3600, 21600, 86400, 604800, 2592000}

// groupOf reads group: day (default) or month, with its range limit and its
// default window.
func groupOf(g string) (months bool, max int, def func(time.Time) time.Time, err error) {
	switch g {
	case "", "day":
		return false, MaxDayRange, func(end time.Time) time.Time { return end.AddDate(0, 0, -30) }, nil
	case "month":
		return true, MaxMonthRange, func(end time.Time) time.Time {
			return time.Date(end.Year(), end.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(-1, 0, 0)
		}, nil
	}
	return false, 0, nil, invalid("group: %q; day or month", clip(g))
}

// Volumes answers GET /v1/analytics/volumes: accepted payments by period,
// token and region, summed exactly. Analyses read whole UTC days: a range's
// ends are rounded out to the days they fall in.
func (r *Reader) Volumes(ctx context.Context, q client.AnalyticsQuery) (*client.Volumes, error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	months, max, def, err := groupOf(q.Group)
	if err != nil {
		return nil, err
	}
	if err := pattern("token", q.Token, tokenRE, "a token id"); err != nil {
		return nil, err
	}
	if err := pattern("region", q.Region, regionRE, "a region (GB, US-NY)"); err != nil {
		return nil, err
	}
	s, err := r.rangeOf(ctx, q.From, q.To, def, max)
	if err != nil {
		return nil, err
	}
	// The SQL groups by day (payment_days); months are the days' sums.
	type sum struct {
		count int64
		units *big.Int
	}
	sums := map[[3]string]*sum{}
	var keys [][3]string
	err = r.payments(ctx, "day, token, region", s, q.Token, q.Region, func(key []string, count int64, units *big.Int) {
		k := [3]string{key[0], key[1], key[2]}
		if months {
			k[0] = k[0][:7]
		}
		if sums[k] == nil {
			sums[k] = &sum{units: new(big.Int)}
			keys = append(keys, k)
		}
		sums[k].count += count
		sums[k].units.Add(sums[k].units, units)
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(keys, func(a, b [3]string) int { return slices.Compare(a[:], b[:]) })
	out := &client.Volumes{Rows: []client.VolumeRow{}}
	tc := r.cache()
	for _, k := range keys {
		row := client.VolumeRow{Period: k[0], Token: k[1], Region: k[2], Count: sums[k].count, Units: sums[k].units.String()}
		row.Volume, row.Unit = tc.amount(row.Token, row.Units)
		out.Rows = append(out.Rows, row)
	}
	return out, nil
}

// Corridors answers GET /v1/analytics/corridors: accepted payments by the
// payer's region and the payee's (the same region for a payment within
// one), and token.
func (r *Reader) Corridors(ctx context.Context, q client.AnalyticsQuery) (*client.Corridors, error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	if err := pattern("token", q.Token, tokenRE, "a token id"); err != nil {
		return nil, err
	}
	s, err := r.rangeOf(ctx, q.From, q.To, func(end time.Time) time.Time { return end.AddDate(0, 0, -30) }, MaxDayRange)
	if err != nil {
		return nil, err
	}
	out := &client.Corridors{Rows: []client.CorridorRow{}}
	tc := r.cache()
	err = r.payments(ctx, "region, CASE WHEN payee_region = '' THEN region ELSE payee_region END, token", s, q.Token, "",
		func(key []string, count int64, units *big.Int) {
			row := client.CorridorRow{FromRegion: key[0], ToRegion: key[1], Token: key[2], Count: count, Units: units.String()}
			row.Volume, row.Unit = tc.amount(row.Token, row.Units)
			out.Rows = append(out.Rows, row)
		})
	return out, err
}

// payments sums the accepted payments of s's days grouped by the three
// expressions of group (fixed SQL, never a parameter), in their order.
func (r *Reader) payments(ctx context.Context, group string, s span, token, region string, row func(key []string, count int64, units *big.Int)) error {
	var a args
	where := []string{"day >= " + a.add(s.firstDay()), "day <= " + a.add(s.lastDay())}
	if token != "" {
		where = append(where, "token = "+a.add(token))
	}
	if region != "" {
		where = append(where, "region = "+a.add(region))
	}
	text := "SELECT " + group + ", CAST(SUM(payments) AS BIGINT), SUM(amt_hi), SUM(amt_lo) FROM payment_days WHERE " + strings.Join(where, " AND ") +
		" GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
	rows, err := r.db.QueryContext(ctx, text, a...)
	if err != nil {
		return fmt.Errorf("query: payments: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		key := make([]string, 3)
		var count int64
		var hi, lo sql.NullString
		if err := rows.Scan(&key[0], &key[1], &key[2], &count, &hi, &lo); err != nil {
			return fmt.Errorf("query: reading payments: %w", err)
		}
		units, err := sumUnits(hi, lo)
		if err != nil {
			return err
		}
		row(key, count, units)
	}
	return rows.Err()
}

// Active answers GET /v1/analytics/active: per period, the accounts with
// an entry (an accepted transaction that sent or received for them) in it.
func (r *Reader) Active(ctx context.Context, q client.AnalyticsQuery) (*client.ActiveAccounts, error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	_, max, def, err := groupOf(q.Group)
	if err != nil {
		return nil, err
	}
	s, err := r.rangeOf(ctx, q.From, q.To, def, max)
	if err != nil {
		return nil, err
	}
	out := &client.ActiveAccounts{Rows: []client.ActiveRow{}}
	for _, p := range periods(q.Group == "month", s) {
		n, err := r.activeIn(ctx, p.span)
		if err != nil {
			return nil, err
		}
		if n > 0 {
			out.Rows = append(out.Rows, client.ActiveRow{Period: p.name, Accounts: n})
		}
	}
	return out, nil
}

// activeIn counts the accounts with an entry in s's days (active_days).
func (r *Reader) activeIn(ctx context.Context, s span) (int64, error) {
	var n int64
	err := r.db.QueryRowContext(ctx, `SELECT COUNT(DISTINCT address) FROM active_days WHERE day >= $1 AND day <= $2`,
		s.firstDay(), s.lastDay()).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("query: active accounts: %w", err)
	}
	return n, nil
}

// namedSpan is one period: a day (YYYY-MM-DD) or a month (YYYY-MM).
type namedSpan struct {
	name string
	span span
}

// periods cuts s's whole days into days or months.
func periods(months bool, s span) []namedSpan {
	start := s.from.Truncate(24 * time.Hour)
	end := s.to.Add(-1).Truncate(24*time.Hour).AddDate(0, 0, 1)
	var out []namedSpan
	if months {
		start = time.Date(start.Year(), start.Month(), 1, 0, 0, 0, 0, time.UTC)
	}
	for t := start; t.Before(end); {
		next := t.AddDate(0, 0, 1)
		name := t.Format(dayLayout)
		if months {
			next = t.AddDate(0, 1, 0)
			name = t.Format("2006-01")
		}
		out = append(out, namedSpan{name: name, span: span{from: t, to: next}})
		t = next
	}
	return out
}

// Settlement answers GET /v1/analytics/settlement: how long the trades
// settled in the range took from funded to settled (what=trade), or the
// credit paid in it from requested to paid (what=credit).
func (r *Reader) Settlement(ctx context.Context, q client.AnalyticsQuery) (*client.Settlement, error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	s, err := r.rangeOf(ctx, q.From, q.To, func(end time.Time) time.Time { return end.AddDate(0, 0, -30) }, MaxDayRange)
	if err != nil {
		return nil, err
	}
	return r.settlement(ctx, q.What, s)
}

func (r *Reader) settlement(ctx context.Context, what string, s span) (*client.Settlement, error) {
	var text string
	switch what {
	case "trade":
		text = `SELECT settled_ns - funded_ns FROM trades
			WHERE settled_ns >= $1 AND settled_ns < $2 AND funded_ns IS NOT NULL ORDER BY settled_ns LIMIT $3`
	case "credit":
		text = `SELECT paid_ns - opened_ns FROM credits WHERE paid_ns >= $1 AND paid_ns < $2 ORDER BY paid_ns LIMIT $3`
	default:
		return nil, invalid("what: %q; trade or credit", clip(what))
	}
	rows, err := r.db.QueryContext(ctx, text, s.from.UnixNano(), s.to.UnixNano(), MaxSettlementRows+1)
	if err != nil {
		return nil, fmt.Errorf("query: settlement: %w", err)
	}
	defer rows.Close()
	var ds []int64
	for rows.Next() {
		var d int64
		if err := rows.Scan(&d); err != nil {
			return nil, fmt.Errorf("query: reading a settlement: %w", err)
		}
		ds = append(ds, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("query: settlement: %w", err)
	}
	if len(ds) > MaxSettlementRows {
		return nil, invalid("the range holds more than %d settlements; narrow it", MaxSettlementRows)
	}
	return distribution(what, ds), nil
}

// distribution is the percentiles (nearest rank) and cumulative buckets of
// durations in nanoseconds.
func distribution(what string, ds []int64) *client.Settlement {
	slices.Sort(ds)
	out := &client.Settlement{What: what, Count: int64(len(ds)), Buckets: []client.SettlementBucket{}}
	rank := func(p float64) float64 {
		if len(ds) == 0 {
			return 0
		}
		i := int(math.Ceil(p*float64(len(ds)))) - 1
		return float64(ds[max(i, 0)]) / 1e9
	}
	out.P50Seconds, out.P90Seconds, out.P99Seconds = rank(0.50), rank(0.90), rank(0.99)
	for _, le := range SettlementBounds {
		n, _ := slices.BinarySearch(ds, le*int64(time.Second)+1)
		out.Buckets = append(out.Buckets, client.SettlementBucket{LESeconds: le, Count: int64(n)})
	}
	return out
}

// Coverage answers GET /v1/analytics/coverage: the token's supply and
// reserve after each of its events in the range (by default the last 366
// days), oldest first; ErrNotFound if the index holds no event of it. A
// range of more than MaxCoveragePoints events is thinned (Thinned): the
// last point of each of CoverageSpans equal spans of it, and each change
// of status with the point before it, so that no AT_RISK episode is lost.
// Thinning reads every event of the range, along token_events_time.
func (r *Reader) Coverage(ctx context.Context, q client.AnalyticsQuery) (*client.Coverage, error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	if q.Token == "" {
		return nil, invalid("token: required")
	}
	if err := pattern("token", q.Token, tokenRE, "a token id"); err != nil {
		return nil, err
	}
	s, err := r.rangeOf(ctx, q.From, q.To, func(end time.Time) time.Time { return end.AddDate(0, 0, -MaxDayRange) }, math.MaxInt32)
	if err != nil {
		return nil, err
	}
	out := &client.Coverage{Token: q.Token, Points: []client.CoveragePoint{}}
	err = r.db.QueryRowContext(ctx, `SELECT currency FROM token_events WHERE token = $1 ORDER BY time_ns DESC LIMIT 1`, q.Token).Scan(&out.Currency)
	if err == sql.ErrNoRows {
		return nil, fmt.Errorf("%w: the index holds no event of token %s", ErrNotFound, q.Token)
	}
	if err != nil {
		return nil, fmt.Errorf("query: coverage: %w", err)
	}
	if out.Points, err = r.coveragePoints(ctx, q.Token, s, MaxCoveragePoints+1); err != nil {
		return nil, err
	}
	if len(out.Points) > MaxCoveragePoints {
		out.Thinned = true
		if out.Points, err = r.coveragePoints(ctx, q.Token, s, 0); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// coveragePoints reads the token's points in s, oldest first: at most
// limit of them, or with limit 0 all of them thinned (Coverage).
func (r *Reader) coveragePoints(ctx context.Context, token string, s span, limit int) ([]client.CoveragePoint, error) {
	text := `SELECT time_ns, height, supply, reserve, required, status FROM token_events
		WHERE token = $1 AND time_ns >= $2 AND time_ns < $3 ORDER BY time_ns, chain_id, height, idx, seq`
	args := []any{token, s.from.UnixNano(), s.to.UnixNano()}
	if limit > 0 {
		text += " LIMIT $4"
		args = append(args, limit)
	}
	rows, err := r.db.QueryContext(ctx, text, args...)
	if err != nil {
		return nil, fmt.Errorf("query: coverage: %w", err)
	}
	defer rows.Close()
	width := max(1, (s.to.UnixNano()-s.from.UnixNano())/CoverageSpans)
	points := []client.CoveragePoint{}
	var prev client.CoveragePoint // the point read before, kept or not
	var prevSpan int64
	kept := false
	for n := 0; rows.Next(); n++ {
		var p client.CoveragePoint
		var ns int64
		if err := rows.Scan(&ns, &p.Height, &p.Supply, &p.Reserve, &p.Required, &p.Status); err != nil {
			return nil, fmt.Errorf("query: reading a coverage point: %w", err)
		}
		p.Time = time.Unix(0, ns).UTC()
		if limit > 0 {
			points = append(points, p)
			continue
		}
		span := (ns - s.from.UnixNano()) / width
		keep := n == 0
		if n > 0 {
			// The last of its span, or the point before a change.
			if !kept && (span != prevSpan || p.Status != prev.Status) {
				points = append(points, prev)
			}
			keep = p.Status != prev.Status
		}
		if keep {
			points = append(points, p)
		}
		prev, prevSpan, kept = p, span, keep
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("query: coverage: %w", err)
	}
	if limit == 0 && len(points) > 0 && !kept {
		points = append(points, prev)
	}
	return points, nil
}

// Trend answers GET /v1/analytics/trend: the metric over the window of
// whole days ending with the day of the last indexed block, against the
// window before it, and the metric per day of the window. volume is the
// payments' amount of one token, count the payments, active the accounts
// with an entry (in the window as a whole for current and previous).
func (r *Reader) Trend(ctx context.Context, q client.AnalyticsQuery) (*client.Trend, error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	window := q.Window
	if window == "" {
		window = "30d"
	}
	n, err := strconv.Atoi(strings.TrimSuffix(window, "d"))
	if !strings.HasSuffix(window, "d") || err != nil || n < 1 || n > MaxDayRange {
		return nil, invalid("window: %q; a number of days, 1d to %dd", clip(window), MaxDayRange)
	}
	switch q.Metric {
	case "volume":
		if q.Token == "" {
			return nil, invalid("token: required for metric volume (amounts of different tokens do not add)")
		}
	case "count", "active":
	default:
		return nil, invalid("metric: %q; volume, count or active", clip(q.Metric))
	}
	if err := pattern("token", q.Token, tokenRE, "a token id"); err != nil {
		return nil, err
	}
	last, err := r.lastIndexed(ctx)
	if err != nil {
		return nil, err
	}
	end := last.Truncate(24*time.Hour).AddDate(0, 0, 1)
	cur := span{from: end.AddDate(0, 0, -n), to: end}
	prev := span{from: end.AddDate(0, 0, -2*n), to: cur.from}
	out := &client.Trend{Metric: q.Metric, Window: window, Rows: []client.TrendRow{}}
	var c, p *big.Int
	if q.Metric == "active" {
		c, p, err = r.activeTrend(ctx, cur, prev, out)
	} else {
		c, p, err = r.paymentTrend(ctx, q, cur, prev, out)
	}
	if err != nil {
		return nil, err
	}
	out.Current, out.Previous = r.trendValue(q, c), r.trendValue(q, p)
	out.ChangePercent = changePercent(c, p)
	return out, nil
}

func (r *Reader) paymentTrend(ctx context.Context, q client.AnalyticsQuery, cur, prev span, out *client.Trend) (c, p *big.Int, err error) {
	c, p = new(big.Int), new(big.Int)
	days := map[string]*big.Int{}
	err = r.payments(ctx, "day, token, region", span{from: prev.from, to: cur.to}, q.Token, "", func(key []string, count int64, units *big.Int) {
		v := units
		if q.Metric == "count" {
			v = big.NewInt(count)
		}
		if key[0] >= cur.firstDay() {
			c.Add(c, v)
			if days[key[0]] == nil {
				days[key[0]] = new(big.Int)
			}
			days[key[0]].Add(days[key[0]], v)
		} else {
			p.Add(p, v)
		}
	})
	for _, d := range periods(false, cur) {
		v := days[d.name]
		if v == nil {
			v = new(big.Int)
		}
		out.Rows = append(out.Rows, client.TrendRow{Period: d.name, Value: r.trendValue(q, v)})
	}
	return c, p, err
}

func (r *Reader) activeTrend(ctx context.Context, cur, prev span, out *client.Trend) (c, p *big.Int, err error) {
	cn, err := r.activeIn(ctx, cur)
	if err != nil {
		return nil, nil, err
	}
	pn, err := r.activeIn(ctx, prev)
	if err != nil {
		return nil, nil, err
	}
	for _, d := range periods(false, cur) {
		n, err := r.activeIn(ctx, d.span)
		if err != nil {
			return nil, nil, err
		}
		out.Rows = append(out.Rows, client.TrendRow{Period: d.name, Value: strconv.FormatInt(n, 10)})
	}
	return big.NewInt(cn), big.NewInt(pn), nil
}

// trendValue writes a metric's value: a volume in the token's units.
func (r *Reader) trendValue(q client.AnalyticsQuery, v *big.Int) string {
	if q.Metric != "volume" {
		return v.String()
	}
	s, _ := r.cache().amount(q.Token, v.String())
	return s
}

// changePercent is (c − p) / p × 100 exact to two places, rounded half away
// from zero; empty when p is zero.
func changePercent(c, p *big.Int) string {
	if p.Sign() == 0 {
		return ""
	}
	num := new(big.Int).Sub(c, p)
	num.Mul(num, big.NewInt(10000)) // percent × 100
	q, m := new(big.Int).QuoRem(num, p, new(big.Int))
	if new(big.Int).Mul(new(big.Int).Abs(m), big.NewInt(2)).Cmp(new(big.Int).Abs(p)) >= 0 {
		if num.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	neg := q.Sign() < 0
	s := formatFixed2(new(big.Int).Abs(q))
	if neg {
		return "-" + s
	}
	return s
}

// formatFixed2 writes hundredths with two places: 1234 is "12.34".
func formatFixed2(v *big.Int) string {
	s := v.String()
	if len(s) < 3 {
		s = strings.Repeat("0", 3-len(s)) + s
	}
	return s[:len(s)-2] + "." + s[len(s)-2:]
}
