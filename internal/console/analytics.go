package console

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/pegledger/peg/internal/client"
)

// DefaultAnalyticsDays is the span the analytics page shows when it names
// none: the last 30 days the index holds.
const DefaultAnalyticsDays = 30

// analyticsData is the analytics page's.
type analyticsData struct {
	// Unavailable says why there is nothing: the node has no index.
	Unavailable string
	Filter      client.AnalyticsQuery
	Volumes     *client.Volumes
	VolumeChart template.HTML
	CountChart  template.HTML
	Corridors   *client.Corridors
	Active      *client.ActiveAccounts
	ActiveChart template.HTML
	Trade       *client.Settlement
	Credit      *client.Settlement
	Settlements []*client.Settlement
	TradeChart  template.HTML
	CreditChart template.HTML
	Trend       *client.Trend
	TrendChart  template.HTML
	Published   *client.PublishedPage
	// MoreReports links the next page of published reports.
	MoreReports string
}

// analytics shows the index's analysis over a range (?from=, ?to=, by day
// or month with ?group=, of one ?token= and ?region=): volumes and counts,
// corridors, active accounts, settlement times, the trend of the volume
// (of the count of payments, without a token), and the published reports (a
// page from ?reports=).
func (c *Console) analytics(r *http.Request) (*view, error) {
	api, err := c.api(r)
	if err != nil {
		return nil, err
	}
	ctx := r.Context()
	q := r.URL.Query()
	f := client.AnalyticsQuery{Group: q.Get("group"), Token: q.Get("token"), Region: q.Get("region"), From: q.Get("from"), To: q.Get("to")}
	if f.Group == "" {
		f.Group = "day"
	}
	d := analyticsData{Filter: f}
	st, err := api.IndexStatus(ctx)
	if isUnavailable(err) {
		d.Unavailable = unavailableText(err)
		return &view{name: "analytics", title: "Analytics", data: d}, nil
	}
	if err != nil {
		return nil, err
	}
	if f.To == "" || f.From == "" {
		d.Filter = defaultRange(f, st)
	}
	if err := d.read(ctx, api, q.Get("reports")); err != nil {
		return nil, err
	}
	return &view{name: "analytics", title: "Analytics", data: d}, nil
}

// defaultRange fills f's missing ends: up to the day of the latest block
// the index holds, DefaultAnalyticsDays back.
func defaultRange(f client.AnalyticsQuery, st *client.IndexStatus) client.AnalyticsQuery {
	end := time.Now().UTC()
	for i, ch := range st.Chains {
		if i == 0 || ch.Time.After(end) {
			end = ch.Time.UTC()
		}
	}
	if f.To == "" {
		f.To = end.Format(time.DateOnly)
	}
	if f.From == "" {
		f.From = end.AddDate(0, 0, 1-DefaultAnalyticsDays).Format(time.DateOnly)
	}
	return f
}

// read fills d from the analytics endpoints.
func (d *analyticsData) read(ctx context.Context, api *client.Client, reportsCursor string) error {
	f := d.Filter
	var err error
	if d.Volumes, err = api.Volumes(ctx, f); err != nil {
		return err
	}
	vol, cnt := make([]bar, len(d.Volumes.Rows)), make([]bar, len(d.Volumes.Rows))
	for i, row := range d.Volumes.Rows {
		label := row.Period + " " + row.Token + " " + row.Region
		vol[i], cnt[i] = bar{label, decimal(row.Volume)}, bar{label, float64(row.Count)}
	}
	d.VolumeChart, d.CountChart = barChart("volume by period", vol), barChart("payments by period", cnt)
	if d.Corridors, err = api.Corridors(ctx, client.AnalyticsQuery{Token: f.Token, From: f.From, To: f.To}); err != nil {
		return err
	}
	if d.Active, err = api.Active(ctx, client.AnalyticsQuery{Group: f.Group, From: f.From, To: f.To}); err != nil {
		return err
	}
	act := make([]bar, len(d.Active.Rows))
	for i, row := range d.Active.Rows {
		act[i] = bar{row.Period, float64(row.Accounts)}
	}
	d.ActiveChart = barChart("active accounts", act)
	if d.Trade, err = api.Settlement(ctx, client.AnalyticsQuery{What: "trade", From: f.From, To: f.To}); err != nil {
		return err
	}
	if d.Credit, err = api.Settlement(ctx, client.AnalyticsQuery{What: "credit", From: f.From, To: f.To}); err != nil {
		return err
	}
	d.Settlements = []*client.Settlement{d.Trade, d.Credit}
	d.TradeChart, d.CreditChart = histogram(d.Trade), histogram(d.Credit)
	// Amounts of different tokens do not add: the trend is of the volume of
	// one token, or of the count of payments across them.
	metric := "count"
	if f.Token != "" {
		metric = "volume"
	}
	if d.Trend, err = api.Trend(ctx, client.AnalyticsQuery{Metric: metric, Token: f.Token, Window: strconv.Itoa(DefaultAnalyticsDays) + "d"}); err != nil {
		return err
	}
	tr := make([]bar, len(d.Trend.Rows))
	for i, row := range d.Trend.Rows {
		tr[i] = bar{row.Period, decimal(row.Value)}
	}
	d.TrendChart = barChart("trend of the "+metric, tr)
	if d.Published, err = api.Published(ctx, "", reportsCursor, PageSize); err != nil {
		return err
	}
	if d.Published.NextCursor != "" {
		v := url.Values{"reports": {d.Published.NextCursor}, "from": {f.From}, "to": {f.To}, "group": {f.Group}}
		d.MoreReports = Prefix + "analytics?" + v.Encode()
	}
	return nil
}

// histogram draws a settlement distribution's buckets.
func histogram(s *client.Settlement) template.HTML {
	bars := make([]bar, len(s.Buckets))
	for i, b := range s.Buckets {
		bars[i] = bar{fmt.Sprintf("≤ %s", time.Duration(b.LESeconds)*time.Second), float64(b.Count)}
	}
	return barChart(s.What+" settlement times", bars)
}
