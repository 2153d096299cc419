package monitor

import (
	"context"
	"fmt"
	"time"

	"github.com/pegledger/peg/internal/fee"
)

// Alert types.
const (
	AlertAtRisk        = "reserve.at_risk" // the attested reserve no longer covers the supply (S0.4)
	AlertStale         = "reserve.stale"   // no attestation within the staleness window
	AlertUnattested    = "reserve.unattested"
	AlertRecovered     = "reserve.recovered" // back to OK
	AlertFeedFailing   = "feed.failing"      // the bank feed failed FailureAlertAfter reads in a row
	AlertFeedRecovered = "feed.recovered"
	AlertFeeLow        = "fee.low"       // a fee account has less than the policy's low_balance available
	AlertFeeExhausted  = "fee.exhausted" // nothing available, nothing more released before its windows close
	AlertFeeExpired    = "fee.expired"   // every window of a fee account has closed
	AlertFeeRecovered  = "fee.recovered" // a fee account is ACTIVE again
)

// Alert is what people are told (S0.4): in the log, on webhooks, and kept for
// inspection. A fee alert's Token is the fee token, and it names the Account
// and, when the event says, what is Available, in the token's units.
type Alert struct {
	ID        string    `json:"id"`
	Type      string    `json:"type"`
	Token     string    `json:"token"`
	Account   string    `json:"account,omitempty"`
	Available string    `json:"available,omitempty"`
	Status    string    `json:"status,omitempty"`
	Previous  string    `json:"previous,omitempty"`
	Balance   string    `json:"balance,omitempty"`
	Required  string    `json:"required,omitempty"`
	Currency  string    `json:"currency,omitempty"`
	Coverage  string    `json:"coverage,omitempty"`
	Height    uint64    `json:"height,omitempty"`
	Message   string    `json:"message"`
	Time      time.Time `json:"time"`
}

// raise records an alert, logs it and sends it to the webhooks.
func (m *Monitor) raise(ctx context.Context, a Alert) {
	a.Time = time.Now().UTC()
	subject := a.Token
	if a.Account != "" {
		subject += "-" + a.Account
	}
	a.ID = fmt.Sprintf("%s-%s-%d", subject, a.Type, a.Time.UnixNano())
	m.mu.Lock()
	m.alerts = append(m.alerts, a)
	if len(m.alerts) > MaxRecentAlerts {
		m.alerts = m.alerts[len(m.alerts)-MaxRecentAlerts:]
	}
	m.mu.Unlock()
	m.log.Warn("ALERT "+a.Message, "alert", a.Type, "token", a.Token, "status", a.Status, "previous", a.Previous,
		"balance", a.Balance, "required", a.Required, "currency", a.Currency, "coverage", a.Coverage,
		"account", a.Account, "available", a.Available)
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

// feeStatusAlert is the alert a fee account's change of status raises, if
// any. An account that opens ACTIVE raises none, as a coin whose first
// attestation makes it OK does not.
func feeStatusAlert(prev, now fee.Status) string {
	switch {
	case now == prev:
		return ""
	case now == fee.Low:
		return AlertFeeLow
	case now == fee.Exhausted:
		return AlertFeeExhausted
	case now == fee.Expired:
		return AlertFeeExpired
	case now == fee.Active && prev != "":
		return AlertFeeRecovered
	}
	return ""
}
