package monitor

import (
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the monitor's Prometheus series, labelled by token. Amounts are
// exported as floats in units of the currency or the fee token: Prometheus has no other number
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

	feeDeposited *prometheus.GaugeVec
	feeRevenue   *prometheus.GaugeVec
	feeExpired   *prometheus.GaugeVec
	feeHeld      *prometheus.GaugeVec
	feeCollected *prometheus.GaugeVec
	feeAccounts  *prometheus.GaugeVec
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
		feeDeposited: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "peg", Subsystem: "fee", Name: "deposited",
			Help: "Deposited into fee accounts since the start, in units of the fee token (GET /v1/fees)."}, []string{"token"}),
		feeRevenue: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "peg", Subsystem: "fee", Name: "revenue",
			Help: "Fees charged since the start, the platform's fee revenue, in units of the fee token."}, []string{"token"}),
		feeExpired: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "peg", Subsystem: "fee", Name: "expired",
			Help: "Deposits expired unspent, in units of the fee token; booked at the account's next charge or deposit."}, []string{"token"}),
		feeHeld: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "peg", Subsystem: "fee", Name: "held",
			Help: "What fee accounts still hold by the books (deposited - revenue - expired), in units of the fee token."}, []string{"token"}),
		feeCollected: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "peg", Subsystem: "fee", Name: "collected",
			Help: "Revenue and expired deposits the revenue account has collected from the fee contract, in units of the fee token."}, []string{"token"}),
		feeAccounts: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "peg", Subsystem: "fee", Name: "accounts",
			Help: "Fee accounts by status: as the ledger recorded it at the account's last charge or deposit (an account " +
				"recorded LOW may have had more released since), or EXPIRED once block time passes its last window's end. " +
				"Only accounts with a fee event since MaxFeeReplay blocks before the monitor started are counted."}, []string{"status"}),
	}
	reg.MustRegister(m.balance, m.required, m.coverage, m.age, m.status, m.reads, m.failures, m.attested, m.streak,
		m.feeDeposited, m.feeRevenue, m.feeExpired, m.feeHeld, m.feeCollected, m.feeAccounts)
	return m
}
