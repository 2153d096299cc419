package console

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/ledger"
)

// Limits of the issuer's view.
const (
	// DefaultChartDays is the span of the reserve chart when the page names
	// none.
	DefaultChartDays = 30
	// MaxChartDays bounds the span of the reserve chart, as the API bounds
	// an analytics range.
	MaxChartDays = 366
	// chartAttestations is how many attestations the reserve chart draws
	// when the node has no index to read the supply's history from.
	chartAttestations = 100
)

// tokensData is the list of tokens.
type tokensData struct {
	Tokens []client.TokenSummary
}

// tokens lists every token with its supply and reserve status.
func (c *Console) tokens(r *http.Request) (*view, error) {
	api, err := c.api(r)
	if err != nil {
		return nil, err
	}
	ts, err := api.Tokens(r.Context())
	if err != nil {
		return nil, err
	}
	return &view{name: "tokens", title: "Tokens", data: tokensData{Tokens: ts}}, nil
}

// tokenData is the issuer's view of a token.
type tokenData struct {
	Token  *client.Token
	Alerts []string
	// Chart is supply against reserve over Days days; ChartNote says what
	// it is drawn from.
	Chart     template.HTML
	ChartNote string
	Days      int
	Episodes  []episodeRow
	Requests  *client.MintRequestList
	MoreMints string
	Month     string
	Report    *client.ReserveReport
	// ReportError is the API's answer when it has no report for Month.
	ReportError string
}

// episodeRow is a span of a reserve status other than OK, for the table
// under the chart.
type episodeRow struct {
	Status   string
	From, To string
}

var monthPattern = regexp.MustCompile(`^[0-9]{4}-(0[1-9]|1[0-2])$`)

// token is the issuer's view: supply against reserve over time, coverage,
// status and alerts, minters and allowances, pending mint requests (a page
// from ?after=), and the monthly reserve report of ?month=.
func (c *Console) token(r *http.Request) (*view, error) {
	id, err := ledger.ParseTokenID(r.PathValue("id"))
	if err != nil {
		return nil, badRequestf("%v", err)
	}
	q := r.URL.Query()
	days := DefaultChartDays
	if s := q.Get("days"); s != "" {
		days, err = strconv.Atoi(s)
		if err != nil || days < 1 || days > MaxChartDays {
			return nil, badRequestf("days %q: want a whole number from 1 to %d", s, MaxChartDays)
		}
	}
	api, err := c.api(r)
	if err != nil {
		return nil, err
	}
	ctx := r.Context()
	t, err := api.Token(ctx, id)
	if err != nil {
		return nil, err
	}
	month := q.Get("month")
	if month == "" {
		month = t.Reserve.AsOf.UTC().Format("2006-01")
	} else if !monthPattern.MatchString(month) {
		return nil, badRequestf("month %q: want YYYY-MM", month)
	}
	d := tokenData{Token: t, Alerts: alerts(t), Days: days, Month: month}
	if err := c.reserveChart(ctx, api, t, days, &d); err != nil {
		return nil, err
	}
	after := q.Get("after")
	if d.Requests, err = api.MintRequests(ctx, id, after, PageSize); err != nil {
		return nil, err
	}
	if d.Requests.Next != "" {
		d.MoreMints = fmt.Sprintf("%stokens/%s?after=%s&month=%s", Prefix, id, d.Requests.Next, month)
	}
	d.Report, err = api.Report(ctx, id, month)
	var ae *client.APIError
	if errors.As(err, &ae) && ae.Status < http.StatusInternalServerError {
		d.Report, d.ReportError, err = nil, ae.Message, nil
	}
	if err != nil {
		return nil, err
	}
	return &view{name: "token", title: t.Name + " (" + t.Symbol + ")", data: d}, nil
}

// alerts are what an issuer must see first about a token now.
func alerts(t *client.Token) []string {
	var out []string
	res := t.Reserve
	switch res.Status {
	case "OK":
	case "AT_RISK":
		out = append(out, fmt.Sprintf("Reserve AT_RISK since %s: the attested %s %s does not cover the %s %s the supply requires.",
			when(res.Since), reading(res), res.Required.Currency, res.Required.Amount, res.Required.Currency))
	case "STALE":
		out = append(out, fmt.Sprintf("Reserve STALE since %s: the last attestation is older than the staleness window (%s).", when(res.Since), res.StalenessWindow.Text))
	default:
		out = append(out, fmt.Sprintf("Reserve %s: no attestation yet; nothing may be minted.", res.Status))
	}
	if res.RecordedStatus != res.Status {
		out = append(out, fmt.Sprintf("The ledger last recorded %s; the next block records %s.", res.RecordedStatus, res.Status))
	}
	if t.Paused {
		out = append(out, "The token is paused: no coin of it moves.")
	}
	return out
}

// reading is the attested balance's amount, or "no" without one.
func reading(res client.Reserve) string {
	if res.Reading == nil {
		return "no"
	}
	return res.Reading.Balance.Amount
}

// reserveChart draws the token's reserve against what its supply requires
// over the last days, with its status episodes, from the index's coverage;
// without an index, the attested balance alone, from the chain's latest
// attestations.
func (c *Console) reserveChart(ctx context.Context, api *client.Client, t *client.Token, days int, d *tokenData) error {
	end := t.Reserve.AsOf
	start := end.Add(-time.Duration(days) * 24 * time.Hour)
	cov, err := api.Coverage(ctx, client.AnalyticsQuery{Token: string(t.ID), From: start.UTC().Format(time.RFC3339), To: end.UTC().Format(time.RFC3339)})
	if err == nil {
		c.coverageChart(cov, end, d)
		return nil
	}
	if !isUnavailable(err) {
		return err
	}
	rs, err := api.Attestations(ctx, t.ID, chartAttestations)
	if err != nil {
		return err
	}
	s := series{name: "attested reserve (" + t.Reserve.Required.Currency + ")", class: "reserve"}
	for i := len(rs) - 1; i >= 0; i-- {
		s.points = append(s.points, point{rs[i].AttestedAt, decimal(rs[i].Balance.Amount)})
	}
	req := series{name: "required now (" + t.Reserve.Required.Currency + ")", class: "required"}
	if len(s.points) > 0 {
		req.points = []point{{s.points[0].t, decimal(t.Reserve.Required.Amount)}}
	}
	var eps []episode
	if res := t.Reserve; res.Status != "OK" && !res.Since.IsZero() && len(s.points) > 0 {
		e := episode{from: res.Since, to: end, status: string(res.Status)}
		eps = append(eps, e)
		d.Episodes = append(d.Episodes, episodeRow{Status: e.status, From: when(e.from), To: when(e.to)})
	}
	d.Chart = stepChart("attested reserve of "+t.Symbol, []series{s, req}, eps, end)
	d.ChartNote = fmt.Sprintf("This node has no index, so the chart shows the latest %d attestations against what the supply requires now, and the reserve's status since it last changed; the history of the supply and of the status is the index's.", chartAttestations)
	return nil
}

// coverageChart draws the index's coverage points: the reserve and what the
// supply required after each of the token's events, and the spans the
// status was other than OK.
func (c *Console) coverageChart(cov *client.Coverage, end time.Time, d *tokenData) {
	res := series{name: "attested reserve (" + cov.Currency + ")", class: "reserve"}
	req := series{name: "required by the supply (" + cov.Currency + ")", class: "required"}
	var eps []episode
	for i, p := range cov.Points {
		res.points = append(res.points, point{p.Time, decimal(p.Reserve)})
		req.points = append(req.points, point{p.Time, decimal(p.Required)})
		if p.Status == "OK" || (i > 0 && cov.Points[i-1].Status == p.Status) {
			continue
		}
		e := episode{from: p.Time, to: end, status: p.Status}
		for _, q := range cov.Points[i+1:] {
			if q.Status != p.Status {
				e.to = q.Time
				break
			}
		}
		eps = append(eps, e)
		d.Episodes = append(d.Episodes, episodeRow{Status: e.status, From: when(e.from), To: when(e.to)})
	}
	d.Chart = stepChart("reserve coverage of "+cov.Token, []series{res, req}, eps, end)
	span := fmt.Sprintf("%d days", d.Days)
	if d.Days == 1 {
		span = "day"
	}
	d.ChartNote = fmt.Sprintf("From the index: %d points, one after each of the token's events in the last %s.", len(cov.Points), span)
}
