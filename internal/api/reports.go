package api

import (
	"net/http"
	"time"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/reserve"
	"github.com/pegledger/peg/internal/state"
)

// MaxReportAttestations bounds the attestations one monthly report lists.
const MaxReportAttestations = client.MaxReportAttestations

// monthLayout is how a report's month is written: YYYY-MM, UTC.
const monthLayout = "2006-01"

// report answers GET /v1/tokens/{id}/reports/{month}: the month's record as
// state.MonthOf keeps it, judged at the latest block's time.
func (s *server) report(w http.ResponseWriter, r *http.Request) error {
	month, start, err := monthParam(r.PathValue("month"))
	if err != nil {
		return err
	}
	tr, err := s.openToken(r)
	if err != nil {
		return err
	}
	defer tr.snap.Close()
	snap, t, now, id := tr.snap, tr.t, tr.now, tr.t.Contract.ID
	if start.After(now) {
		return notFound("no report for %s yet: the latest block (height %d) is of %s", month, snap.Height, now.Format(monthLayout))
	}
	m, err := state.MonthOf(snap, id, month, now)
	if err != nil {
		return err
	}
	if m == nil {
		return notFound("no report for %s: %s was deployed at %s, after the month", month, id,
			unixTime(t.DeployTime).Format(time.RFC3339))
	}
	rs, err := state.Readings(snap, id, 0)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, reportView(t, m, rs, now))
	return nil
}

// monthParam parses a report's month, YYYY-MM, and returns it with its first
// instant, UTC.
func monthParam(s string) (string, time.Time, error) {
	start, err := time.Parse(monthLayout, s)
	if err != nil || start.Format(monthLayout) != s {
		return "", time.Time{}, badRequest("month %q: want YYYY-MM, e.g. 2026-01", s)
	}
	return s, start, nil
}

// reportView shows m, t's record of one month as of now (the latest block's
// time), with the attestations of rs (all of t's, oldest first) that blocks of
// the month accepted, at most MaxReportAttestations of them, the latest.
func reportView(t *state.Token, m *state.Month, rs []reserve.Reading, now time.Time) client.ReserveReport {
	c := t.Contract
	start, _ := time.Parse(monthLayout, m.Month) // MonthOf parsed it
	end := start.AddDate(0, 1, 0)
	var in []reserve.Reading
	for _, rd := range rs {
		if !rd.AttestedAt.Before(start) && rd.AttestedAt.Before(end) {
			in = append(in, rd)
		}
	}
	omitted := max(len(in)-MaxReportAttestations, 0)
	list := make([]client.Reading, len(in)-omitted)
	for i, rd := range in[omitted:] {
		list[i] = readingView(rd, c.Fiat.Currency, now)
	}
	secs := client.StatusSeconds{
		Unattested: m.Seconds[reserve.Unattested], OK: m.Seconds[reserve.OK],
		AtRisk: m.Seconds[reserve.AtRisk], Stale: m.Seconds[reserve.Stale],
	}
	return client.ReserveReport{
		Token: c.ID, Symbol: c.Symbol, Month: m.Month, AsOf: now.UTC(), Complete: !now.Before(end),
		OpeningSupply: value(m.OpeningSupply, c.Decimals), ClosingSupply: value(m.ClosingSupply, c.Decimals),
		Minted: value(m.Minted, c.Decimals), Redeemed: value(m.Redeemed, c.Decimals),
		AttestationCount: m.Attestations, Attestations: list, AttestationsOmitted: omitted,
		MinCoverage:          coverage(m.MinBalance, m.MinRequired),
		MinCoverageBalance:   fiatValue(m.MinBalance, c.Fiat.Currency),
		MinCoverageRequired:  fiatValue(m.MinRequired, c.Fiat.Currency),
		SecondsInStatus:      secs,
		AtRiskOrStaleSeconds: secs.AtRisk + secs.Stale,
	}
}
