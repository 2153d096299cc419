package monitor

import (
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the monitor's Prometheus series, labelled by token. Amounts are
// exported as floats in units of the currency: Prometheus has no other number
// type, and these are for dashboards and alert rules, never for money paths.
type metrics struct {
	balance  *prometheus.GaugeVec
	required *prometheus.GaugeVec
	coverage *prometheus.GaugeVec
	age      *prometheus.GaugeVec
	status   *prometheus.GaugeVec
	reads    *prometheus.CounterVec
	failures *prometheus.CounterVec
	attested *prometheus.CounterVec
	streak   *prometheus.GaugeVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		balance: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "peg", Subsystem: "reserve", Name: "attested_balance",
			Help: "Last attested bank balance of the reserve, in units of its currency."}, []string{"token", "currency"}),
		required: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "peg", Subsystem: "reserve", Name: "required",
			Help: "Fiat needed to back the outstanding supply, in units of the currency."}, []string{"token", "currency"}),
		coverage: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "peg", Subsystem: "reserve", Name: "coverage_ratio",
			Help: "Attested balance divided by the required reserve; below 1 the coin is at risk."}, []string{"token"}),
		age: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "peg", Subsystem: "reserve", Name: "attestation_age_seconds",
			Help: "Age of the last accepted attestation, in block time."}, []string{"token"}),
		status: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "peg", Subsystem: "reserve", Name: "status",
			Help: "1 for the reserve's current status, 0 for the others."}, []string{"token", "status"}),
		reads: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "peg", Subsystem: "bank", Name: "reads_total",
			Help: "Balance reads attempted, by outcome."}, []string{"token", "outcome"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "peg", Subsystem: "bank", Name: "feed_failures_total",
			Help: "Balance reads that failed, by reason."}, []string{"token", "reason"}),
		attested: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "peg", Subsystem: "reserve", Name: "attestations_total",
			Help: "Attestations submitted, by the ledger's answer."}, []string{"token", "result"}),
		streak: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "peg", Subsystem: "bank", Name: "consecutive_failures",
			Help: "Balance reads failed in a row."}, []string{"token"}),
	}
	reg.MustRegister(m.balance, m.required, m.coverage, m.age, m.status, m.reads, m.failures, m.attested, m.streak)
	return m
}
