package monitor

import (
	"context"
	"fmt"
	"time"
)

// Alert types.
const (
	AlertAtRisk        = "reserve.at_risk" // the attested reserve no longer covers the supply (S0.4)
	AlertStale         = "reserve.stale"   // no attestation within the staleness window
	AlertUnattested    = "reserve.unattested"
	AlertRecovered     = "reserve.recovered" // back to OK
	AlertFeedFailing   = "feed.failing"      // the bank feed failed FailureAlertAfter reads in a row
	AlertFeedRecovered = "feed.recovered"
)

// Alert is what people are told (S0.4): in the log, on webhooks, and kept for
// inspection.
type Alert struct {
	ID       string    `json:"id"`
	Type     string    `json:"type"`
	Token    string    `json:"token"`
	Status   string    `json:"status,omitempty"`
	Previous string    `json:"previous,omitempty"`
	Balance  string    `json:"balance,omitempty"`
	Required string    `json:"required,omitempty"`
	Currency string    `json:"currency,omitempty"`
	Coverage string    `json:"coverage,omitempty"`
	Height   uint64    `json:"height,omitempty"`
	Message  string    `json:"message"`
	Time     time.Time `json:"time"`
}

// raise records an alert, logs it and sends it to the webhooks.
func (m *Monitor) raise(ctx context.Context, a Alert) {
	a.Time = time.Now().UTC()
	a.ID = fmt.Sprintf("%s-%s-%d", a.Token, a.Type, a.Time.UnixNano())
	m.mu.Lock()
	m.alerts = append(m.alerts, a)
	if len(m.alerts) > MaxRecentAlerts {
		m.alerts = m.alerts[len(m.alerts)-MaxRecentAlerts:]
	}
	m.mu.Unlock()
	m.log.Warn("ALERT "+a.Message, "alert", a.Type, "token", a.Token, "status", a.Status, "previous", a.Previous,
		"balance", a.Balance, "required", a.Required, "currency", a.Currency, "coverage", a.Coverage)
	m.hooks.send(ctx, a)
}

// statusAlert is the alert a change of reserve status raises, if any.
func statusAlert(prev, now string) string {
	switch {
	case now == prev:
		return ""
	case now == "AT_RISK":
		return AlertAtRisk
	case now == "STALE":
		return AlertStale
	case now == "OK" && prev != "" && prev != "UNATTESTED":
		return AlertRecovered
	case now == "UNATTESTED" && prev == "":
		return AlertUnattested
	}
	return ""
}
