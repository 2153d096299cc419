package gateway

import "github.com/prometheus/client_golang/prometheus"

// metrics are the gateway's Prometheus series, labelled by region.
type metrics struct {
	forwarded *prometheus.CounterVec
	refused   *prometheus.CounterVec
	up        *prometheus.GaugeVec
	reloads   *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		forwarded: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "peg", Subsystem: "gateway", Name: "forwarded_total",
			Help: "Transactions and reads forwarded to a region, by region and kind of request."}, []string{"region", "request"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "peg", Subsystem: "gateway", Name: "refused_total",
			Help: "Transactions and reads the gateway answered itself without forwarding, by region (empty if none is known) and result code name."}, []string{"region", "code"}),
		up: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "peg", Subsystem: "gateway", Name: "region_up",
			Help: "1 while the region's last health check found an endpoint that answers, else 0."}, []string{"region"}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "peg", Subsystem: "gateway", Name: "reloads_total",
			Help: "Reloads of the network file, by outcome (ok, refused)."}, []string{"outcome"}),
	}
	if reg != nil {
		reg.MustRegister(m.forwarded, m.refused, m.up, m.reloads)
	}
	return m
}
