package monitor

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/reserve"
)

// follow reads every coin's reserve and the fee books from the API on
// FollowInterval, updates the metrics and raises an alert on each change of
// a reserve's status and on each fee account's window closing.
func (m *Monitor) follow(ctx context.Context) {
	t := time.NewTicker(m.cfg.FollowInterval)
	defer t.Stop()
	for {
		if err := m.followOnce(ctx); err != nil && ctx.Err() == nil {
			m.log.Warn("reading reserves and fees", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (m *Monitor) followOnce(ctx context.Context) error {
	return errors.Join(m.followReserves(ctx), m.readFees(ctx), m.expireFees(ctx))
}

func (m *Monitor) followReserves(ctx context.Context) error {
	rs, err := m.cfg.API.Reserves(ctx)
	if err != nil {
		return err
	}
	for _, r := range rs {
		m.discover(ctx, r.Token)
		m.observe(ctx, r)
	}
	return nil
}

// observe records one coin's reserve and alerts on a change of status.
func (m *Monitor) observe(ctx context.Context, r client.TokenReserve) {
	tok := string(r.Token)
	cur := r.Required.Currency
	m.metrics.required.WithLabelValues(tok, cur).Set(float(r.Required.Amount))
	if r.Reading != nil {
		m.metrics.balance.WithLabelValues(tok, cur).Set(float(r.Reading.Balance.Amount))
		m.metrics.age.WithLabelValues(tok).Set(float64(r.Reading.AgeSeconds))
	}
	if r.Coverage != "" {
		m.metrics.coverage.WithLabelValues(tok).Set(float(r.Coverage))
	}
	for _, s := range []reserve.Status{reserve.Unattested, reserve.OK, reserve.AtRisk, reserve.Stale} {
		v := 0.0
		if s == r.Status {
			v = 1
		}
		m.metrics.status.WithLabelValues(tok, string(s)).Set(v)
	}
	m.mu.Lock()
	prev, seen := m.status[r.Token]
	m.status[r.Token] = string(r.Status)
	m.mu.Unlock()
	if !seen {
		prev = ""
	}
	typ := statusAlert(prev, string(r.Status))
	if typ == "" {
		return
	}
	a := Alert{Type: typ, Token: tok, Status: string(r.Status), Previous: prev, Required: r.Required.Amount,
		Currency: cur, Coverage: r.Coverage}
	if r.Reading != nil {
		a.Balance, a.Height = r.Reading.Balance.Amount, r.Reading.Height
	}
	switch typ {
	case AlertAtRisk:
		a.Message = fmt.Sprintf("%s is AT RISK: the reserve holds %s %s, the supply needs %s (coverage %s)", tok, a.Balance, cur, a.Required, a.Coverage)
	case AlertStale:
		a.Message = fmt.Sprintf("%s is STALE: no attestation of its reserve within %s", tok, r.StalenessWindow.Text)
	case AlertRecovered:
		a.Message = fmt.Sprintf("%s reserve is OK again: %s %s covers the %s needed", tok, a.Balance, cur, a.Required)
	case AlertUnattested:
		a.Message = fmt.Sprintf("%s has no attestation of its reserve yet; nothing can be minted", tok)
	}
	m.raise(ctx, a)
}

// float converts a decimal string for a metric; metrics are for dashboards,
// never for money paths.
func float(s string) float64 {
	f, _ := strconv.ParseFloat(s, 64)
	return f
}
