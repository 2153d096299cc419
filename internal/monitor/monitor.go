// Package monitor watches the reserves behind Peg's coins (S0.3, S0.4): it
// polls each coin's bank on a schedule within the bank's read budget, posts
// what it reads as a signed attestation from the coin's attestor, and raises
// alerts — a structured log line, Prometheus metrics and signed webhooks — when
// a coin's reserve becomes AT_RISK or STALE, recovers, or its bank feed keeps
// failing. It also follows the fee accounts (S3): their books and statuses
// as metrics, and an alert when one turns LOW, EXHAUSTED or EXPIRED or is
// ACTIVE again. It is a client of the ledger like any other: it reads through the
// API and writes only signed transactions.
package monitor

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pegledger/peg/internal/bank"
	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/fee"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/token"
	"github.com/pegledger/peg/internal/tx"
	"github.com/pegledger/peg/internal/tx/txpb"
)

// Watch is one coin whose reserve the monitor polls.
type Watch struct {
	Token     ledger.TokenID
	Connector bank.Connector
	// FiatAccount is the reserve account as the token's contract names it
	// (an IBAN, say). The connector checks that the bank answered for the
	// account it asked about, which may be named otherwise (an Open Banking
	// AccountId); the attestation names FiatAccount.
	FiatAccount string
	// Attestor is the coin's attestor key; Region is its home region.
	Attestor ed25519.PrivateKey
	Region   ledger.Region
	// Interval is the time between reads, with up to ±Jitter of randomness so
	// that many monitors do not ask a bank at once.
	Interval, Jitter time.Duration
	// Timeout bounds one read.
	Timeout time.Duration
	// MaxReadsPerDay is the bank's limit on unattended reads per 24 hours.
	MaxReadsPerDay int
	// BackoffMax caps the exponential backoff after failed reads, which starts
	// at Interval/8 and doubles.
	BackoffMax time.Duration
}

// Limits on a Watch.
const (
	MinInterval       = time.Second
	MaxReadsPerDayCap = 24 * 60 * 60
)

func (w Watch) validate() error {
	switch {
	case w.Connector == nil:
		return fmt.Errorf("monitor: %s: no connector", w.Token)
	case w.FiatAccount == "":
		return fmt.Errorf("monitor: %s: no fiat account", w.Token)
	case len(w.Attestor) != ed25519.PrivateKeySize:
		return fmt.Errorf("monitor: %s: no attestor key", w.Token)
	case w.Interval < MinInterval:
		return fmt.Errorf("monitor: %s: interval %s is below %s", w.Token, w.Interval, MinInterval)
	case w.Jitter < 0 || w.Jitter >= w.Interval:
		return fmt.Errorf("monitor: %s: jitter %s must be below the interval", w.Token, w.Jitter)
	case w.Timeout <= 0:
		return fmt.Errorf("monitor: %s: timeout must be positive", w.Token)
	case w.MaxReadsPerDay < 1 || w.MaxReadsPerDay > MaxReadsPerDayCap:
		return fmt.Errorf("monitor: %s: max reads per day %d must be 1 to %d", w.Token, w.MaxReadsPerDay, MaxReadsPerDayCap)
	case w.BackoffMax < w.Interval:
		return fmt.Errorf("monitor: %s: backoff maximum %s is below the interval", w.Token, w.BackoffMax)
	}
	return nil
}

// Config configures a Monitor.
type Config struct {
	API     *client.Client
	Watches []Watch
	// FollowInterval is how often the reserves of every coin on the chain are
	// read from the API to raise alerts on their changes, whether the
	// monitor polls their banks or their attestations arrive by hand.
	FollowInterval time.Duration
	// Discover, if set, is asked once about each coin the monitor sees on the
	// chain that it does not poll yet: a Watch to poll its bank, or nil to
	// leave it to attestations made by hand. An error asks again next time.
	Discover func(ctx context.Context, id ledger.TokenID) (*Watch, error)
	// FailureAlertAfter is how many failed reads in a row raise a feed alert.
	FailureAlertAfter int
	// MaxFeeAccounts bounds the fee accounts the monitor tracks for alerts
	// and peg_fee_accounts (0 means DefaultMaxFeeAccounts): each costs a
	// small record, and a chain may open any number of them.
	MaxFeeAccounts int
	Webhooks       []Webhook
	// DeliveryLog is a file to append webhook deliveries to ("" for none).
	DeliveryLog string
	Metrics     prometheus.Registerer
	Log         *slog.Logger
}

// Monitor polls banks and raises alerts.
type Monitor struct {
	cfg     Config
	metrics *metrics
	hooks   *deliverer
	log     *slog.Logger

	mu      sync.Mutex
	status  map[ledger.TokenID]string // last status seen, for transitions
	alerts  []Alert                   // recent alerts, newest last
	decided map[ledger.TokenID]bool   // coins polled, or that Discover declined
	polls   sync.WaitGroup

	feeAccounts map[ledger.Address]*feeAccount // every fee account seen in an event
	feeCounts   map[fee.Status]int             // feeAccounts by status
	feeFull     bool                           // feeAccounts reached MaxFeeAccounts
	feePolicy   *client.FeePolicy              // as last read; nil without one
	feeLive     int64                          // the first height whose fee events alert; 0 before the start
	feeSince    time.Time                      // the block time then: windows closing later alert
}

// MaxRecentAlerts bounds the alerts a Monitor keeps for inspection.
const MaxRecentAlerts = 256

// New checks cfg and builds a Monitor.
func New(cfg Config) (*Monitor, error) {
	if cfg.API == nil || cfg.Log == nil || cfg.Metrics == nil {
		return nil, errors.New("monitor: API, Log and Metrics are required")
	}
	if cfg.FollowInterval <= 0 || cfg.FailureAlertAfter < 1 {
		return nil, errors.New("monitor: FollowInterval and FailureAlertAfter must be positive")
	}
	for _, w := range cfg.Watches {
		if err := w.validate(); err != nil {
			return nil, err
		}
	}
	for _, h := range cfg.Webhooks {
		if err := h.Validate(); err != nil {
			return nil, err
		}
	}
	m := &Monitor{cfg: cfg, metrics: newMetrics(cfg.Metrics), log: cfg.Log, status: make(map[ledger.TokenID]string),
		decided: make(map[ledger.TokenID]bool), feeAccounts: make(map[ledger.Address]*feeAccount),
		feeCounts: make(map[fee.Status]int)}
	m.hooks = &deliverer{hooks: cfg.Webhooks, client: &http.Client{}, log: cfg.Log}
	if cfg.DeliveryLog != "" {
		f, err := os.OpenFile(cfg.DeliveryLog, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
		if err != nil {
			return nil, fmt.Errorf("monitor: delivery log: %w", err)
		}
		m.hooks.file = f
	}
	return m, nil
}

// Run polls, follows the reserves and the fee events until ctx ends, then
// waits for deliveries in flight.
func (m *Monitor) Run(ctx context.Context) error {
	for _, w := range m.cfg.Watches {
		m.start(ctx, w)
	}
	var events sync.WaitGroup
	events.Go(func() { m.followEvents(ctx) })
	m.follow(ctx)
	events.Wait()
	m.polls.Wait()
	m.hooks.wait()
	if m.hooks.file != nil {
		return m.hooks.file.Close()
	}
	return nil
}

// Alerts returns the recent alerts, oldest first.
func (m *Monitor) Alerts() []Alert {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Alert(nil), m.alerts...)
}

// start polls w's bank until ctx ends.
func (m *Monitor) start(ctx context.Context, w Watch) {
	m.mu.Lock()
	m.decided[w.Token] = true
	m.mu.Unlock()
	m.log.Info("watching reserve", "token", w.Token, "bank", w.Connector.Name(), "interval", w.Interval,
		"max_reads_per_day", w.MaxReadsPerDay)
	m.polls.Add(1)
	go func() {
		defer m.polls.Done()
		m.poll(ctx, w)
	}()
}

// discover asks Config.Discover about a coin not yet decided on.
func (m *Monitor) discover(ctx context.Context, id ledger.TokenID) {
	m.mu.Lock()
	done := m.decided[id]
	m.mu.Unlock()
	if done || m.cfg.Discover == nil {
		return
	}
	w, err := m.cfg.Discover(ctx, id)
	if err != nil {
		m.log.Warn("cannot decide how to watch a reserve", "token", id, "err", err)
		return
	}
	if w == nil {
		m.mu.Lock()
		m.decided[id] = true
		m.mu.Unlock()
		return
	}
	if err := w.validate(); err != nil {
		m.log.Error("refusing a watch", "token", id, "err", err)
		return
	}
	m.start(ctx, *w)
}

// poll reads one coin's bank on its schedule and attests what it reads.
func (m *Monitor) poll(ctx context.Context, w Watch) {
	b := &budget{max: w.MaxReadsPerDay}
	failures := 0
	next := time.Now()
	for {
		if at := b.next(next); at.After(next) {
			m.log.Warn("bank read budget spent; waiting", "token", w.Token, "until", at, "max_per_day", w.MaxReadsPerDay)
			next = at
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Until(next)):
		}
		b.spend(time.Now())
		err := m.readAndAttest(ctx, w)
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			if failures >= m.cfg.FailureAlertAfter {
				m.raise(ctx, Alert{Type: AlertFeedRecovered, Token: string(w.Token),
					Message: fmt.Sprintf("bank feed %s answers again after %d failed reads", w.Connector.Name(), failures)})
			}
			failures = 0
			m.metrics.streak.WithLabelValues(string(w.Token)).Set(0)
			next = time.Now().Add(jitter(w.Interval, w.Jitter))
			continue
		}
		failures++
		m.metrics.streak.WithLabelValues(string(w.Token)).Set(float64(failures))
		m.log.Warn("bank read failed", "token", w.Token, "bank", w.Connector.Name(), "failures", failures, "err", err)
		if failures == m.cfg.FailureAlertAfter {
			m.raise(ctx, Alert{Type: AlertFeedFailing, Token: string(w.Token),
				Message: fmt.Sprintf("bank feed %s failed %d reads in a row: %v", w.Connector.Name(), failures, err)})
		}
		next = time.Now().Add(backoff(w.Interval, w.BackoffMax, failures))
	}
}

// jitter spreads reads over interval ± j.
func jitter(interval, j time.Duration) time.Duration {
	if j == 0 {
		return interval
	}
	return interval - j + rand.N(2*j)
}

// backoff is interval/8 doubled per failure, capped at max.
func backoff(interval, max time.Duration, failures int) time.Duration {
	d := interval / 8
	for i := 1; i < failures && d < max; i++ {
		d *= 2
	}
	return min(d, max)
}

// readAndAttest asks the bank once and posts the answer. A negative balance is
// attested as zero: the reserve holds nothing, and the coin goes AT_RISK.
func (m *Monitor) readAndAttest(ctx context.Context, w Watch) error {
	rctx, cancel := context.WithTimeout(ctx, w.Timeout)
	bal, err := w.Connector.Balance(rctx)
	cancel()
	var neg *bank.NegativeError
	switch {
	case errors.As(err, &neg):
		m.log.Warn("reserve account is overdrawn; attesting zero", "token", w.Token, "overdrawn", neg.Overdrawn, "currency", neg.Currency)
		bal = bank.Balance{Account: neg.Account, Currency: neg.Currency, Type: neg.Type, Time: neg.Time, Raw: neg.Raw}
	case err != nil:
		m.metrics.reads.WithLabelValues(string(w.Token), "error").Inc()
		m.metrics.failures.WithLabelValues(string(w.Token), failureReason(err)).Inc()
		return err
	}
	m.metrics.reads.WithLabelValues(string(w.Token), "ok").Inc()
	return m.attest(ctx, w, bal)
}

func failureReason(err error) string {
	for _, e := range []struct {
		err    error
		reason string
	}{{bank.ErrUnavailable, "unavailable"}, {bank.ErrRefused, "refused"}, {bank.ErrMalformed, "malformed"},
		{bank.ErrWrongAccount, "wrong_account"}, {bank.ErrWrongCurrency, "wrong_currency"}, {bank.ErrNoBalance, "no_balance"}} {
		if errors.Is(err, e.err) {
			return e.reason
		}
	}
	return "other"
}

// attest signs and submits an attestation of bal from w's attestor.
func (m *Monitor) attest(ctx context.Context, w Watch, bal bank.Balance) error {
	api := m.cfg.API
	st, err := api.Status(ctx)
	if err != nil {
		return fmt.Errorf("monitor: reading chain status: %w", err)
	}
	signer := ledger.NewAddress(w.Region, w.Attestor.Public().(ed25519.PublicKey))
	raw := sha256.Sum256(bal.Raw)
	body := &txpb.Body{
		ChainId: st.ChainID, ExpiryHeight: st.Height + min(100, st.Params.MaxExpiryDelta), Signer: signer.String(),
		Nonce: rand.Uint64(),
		Msg: &txpb.Body_Attest{Attest: &txpb.Attest{Token: string(w.Token), Account: w.FiatAccount, Currency: bal.Currency,
			Balance: bal.Amount.String(), BalanceType: bal.Type, BankTime: bal.Time.Unix(), RawHash: raw[:], Source: w.Connector.Name()}},
	}
	txb, id, err := tx.Sign(body, w.Attestor)
	if err != nil {
		return err
	}
	res, err := api.Submit(ctx, txb, true)
	var apiErr *client.APIError
	if errors.As(err, &apiErr) && apiErr.Code < 1000 {
		// The ledger refused the reading: not a feed failure, but worth a line.
		m.metrics.attested.WithLabelValues(string(w.Token), apiErr.Name).Inc()
		m.log.Error("attestation refused", "token", w.Token, "tx", id, "code", apiErr.Name, "message", apiErr.Message)
		return nil
	}
	if err != nil {
		return fmt.Errorf("monitor: submitting attestation %s: %w", id, err)
	}
	m.metrics.attested.WithLabelValues(string(w.Token), "OK").Inc()
	cur, _ := token.LookupCurrency(bal.Currency) // the connector checked the code
	m.log.Info("attested", "token", w.Token, "balance", bal.Amount.Format(cur.Digits), "currency", bal.Currency, "type", bal.Type,
		"bank_time", bal.Time, "tx", res.TxID, "height", res.Receipt.Height)
	return nil
}
