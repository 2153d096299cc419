package monitor

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/fee"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
)

// Fee accounts (S3): the monitor follows the committed fee events
// (GET /v1/events) to know each account's status, counts accounts by it and
// alerts on its changes; it reads the fee books (GET /v1/fees) into metrics.
// The ledger records an account's status only at a charge or a deposit, and
// neither leaves it EXPIRED, so the monitor judges that itself: an account
// expires when block time reaches the end of its latest grant's window,
// which fee.deposited names.

// MaxFeeReplay is how many blocks back the monitor reads fee events when it
// starts, to learn the accounts' statuses: within the API's MaxEventReplay
// (4096), with room for the blocks committed while it connects. The events
// of those blocks set the counts but raise no alert: they were news before
// the monitor started.
const MaxFeeReplay = 4000

// DefaultMaxFeeAccounts is Config.MaxFeeAccounts unless set: a million
// accounts of some 50 bytes each.
const DefaultMaxFeeAccounts = 1_000_000

// feeAccount is what the monitor knows of one fee account.
type feeAccount struct {
	recorded fee.Status // the ledger's, from the account's last fee.status
	until    time.Time  // when its latest grant's window closes
	expired  bool       // block time has reached until since the last deposit
}

// status is the account's status as the monitor counts it.
func (a *feeAccount) status() fee.Status {
	if a.expired {
		return fee.Expired
	}
	return a.recorded
}

// feeChange is a fee account's change of status, to alert on, with what is
// available when the event says.
type feeChange struct {
	account   ledger.Address
	from, to  fee.Status
	available *money.Amount
}

// followEvents follows the event stream until ctx ends. When the stream
// ends it resumes after the last height it got, or, if that is out of the
// API's reach, MaxFeeReplay blocks before the head again, and says so.
func (m *Monitor) followEvents(ctx context.Context) {
	var from int64 // the next height to read; 0 until it is known
	for {
		err := m.startFees(ctx, &from)
		if err == nil {
			err = m.cfg.API.Events(ctx, from, func(e client.StreamEvent) error {
				m.feeEvent(ctx, e)
				from = e.Height + 1
				return nil
			})
		}
		if ctx.Err() != nil {
			return
		}
		var apiErr *client.APIError
		if errors.As(err, &apiErr) && apiErr.Status == http.StatusBadRequest {
			m.log.Warn("fee events are out of the API's reach: some were missed", "from", from, "err", err)
			from = 0
		} else {
			m.log.Warn("following fee events", "from", from, "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(m.cfg.FollowInterval):
		}
	}
}

// startFees sets *from, when it is 0, to MaxFeeReplay blocks before the
// head; the first time, it also marks where alerts start.
func (m *Monitor) startFees(ctx context.Context, from *int64) error {
	if *from != 0 {
		return nil
	}
	st, err := m.cfg.API.Status(ctx)
	if err != nil {
		return err
	}
	head := int64(st.Height)
	*from = max(1, head-MaxFeeReplay+1)
	m.mu.Lock()
	if m.feeLive == 0 {
		m.feeLive, m.feeSince = head+1, st.BlockTime
	}
	m.mu.Unlock()
	return nil
}

// feeEvent applies a fee.status or fee.deposited event to its account and
// alerts on the change of status it makes, if the event's block was
// committed after the monitor started.
func (m *Monitor) feeEvent(ctx context.Context, e client.StreamEvent) {
	if e.Type != "fee.status" && e.Type != "fee.deposited" {
		return
	}
	addr, err := ledger.ParseAddress(e.Attrs["account"])
	if err != nil {
		m.log.Warn("a fee event without an account", "height", e.Height, "type", e.Type, "err", err)
		return
	}
	var end time.Time
	if e.Type == "fee.deposited" {
		if end, err = time.Parse(time.RFC3339Nano, e.Attrs["end"]); err != nil {
			m.log.Warn("a fee deposit without an end", "height", e.Height, "account", addr, "err", err)
			return
		}
	}
	m.mu.Lock()
	a, known := m.feeAccounts[addr]
	full := !known && len(m.feeAccounts) >= m.maxFeeAccounts()
	warn := full && !m.feeFull
	m.feeFull = m.feeFull || full
	m.mu.Unlock()
	if warn {
		m.log.Warn("tracking no more fee accounts: later ones raise no fee alerts and are not counted in peg_fee_accounts",
			"max", m.maxFeeAccounts(), "first_untracked", addr)
	}
	if full {
		return
	}
	if !known {
		// Opened before the events the monitor read, unless this is its
		// opening (from ""), whose deposit follows: the API says when its
		// windows close, and its status before a fee.status is that event's
		// from.
		a = &feeAccount{}
		if e.Type == "fee.deposited" || e.Attrs["from"] != "" {
			if a, err = m.learnFeeAccount(ctx, addr); err != nil {
				m.log.Warn("reading a fee account", "account", addr, "err", err)
				return
			}
		}
		if e.Type == "fee.status" {
			a.recorded = fee.Status(e.Attrs["from"])
		}
	}
	m.mu.Lock()
	prev := a.status()
	if e.Type == "fee.status" {
		a.recorded = fee.Status(e.Attrs["to"])
	} else if end.After(a.until) {
		a.until = end
	}
	a.expired = false // a charge or a deposit leaves a window open
	m.countFees(prev, a.status(), known)
	m.feeAccounts[addr] = a
	ch := feeChange{account: addr, from: prev, to: a.status()}
	live := e.Height >= m.feeLive
	m.mu.Unlock()
	if v, err := money.ParseUnits(e.Attrs["available"]); err == nil {
		ch.available = &v // fee.status says; fee.deposited does not
	}
	if live {
		m.feeAlert(ctx, e.Token, ch)
	}
}

func (m *Monitor) maxFeeAccounts() int {
	if m.cfg.MaxFeeAccounts > 0 {
		return m.cfg.MaxFeeAccounts
	}
	return DefaultMaxFeeAccounts
}

// learnFeeAccount reads an account the monitor has not seen an event of:
// its recorded status, and when its latest window closes.
func (m *Monitor) learnFeeAccount(ctx context.Context, addr ledger.Address) (*feeAccount, error) {
	v, err := m.cfg.API.FeeAccount(ctx, addr)
	if err != nil {
		return nil, err
	}
	a := &feeAccount{recorded: v.RecordedStatus}
	for _, g := range v.Grants {
		if g.End.After(a.until) {
			a.until = g.End
		}
	}
	return a, nil
}

// countFees moves an account from one status to another in the
// peg_fee_accounts gauge; counted is false for an account not yet counted.
// The caller holds m.mu.
func (m *Monitor) countFees(from, to fee.Status, counted bool) {
	if counted && from == to {
		return
	}
	if counted {
		m.feeCounts[from]--
		m.metrics.feeAccounts.WithLabelValues(string(from)).Set(float64(m.feeCounts[from]))
	}
	m.feeCounts[to]++
	m.metrics.feeAccounts.WithLabelValues(string(to)).Set(float64(m.feeCounts[to]))
}

// expireFees judges EXPIRED the accounts whose latest window has closed by
// the latest block's time. Those that closed after the monitor started
// raise fee.expired.
func (m *Monitor) expireFees(ctx context.Context) error {
	m.mu.Lock()
	started, since := m.feeLive != 0, m.feeSince
	m.mu.Unlock()
	if !started {
		return nil
	}
	st, err := m.cfg.API.Status(ctx)
	if err != nil {
		return err
	}
	var changes []feeChange
	m.mu.Lock()
	for addr, a := range m.feeAccounts {
		if a.expired || st.BlockTime.Before(a.until) {
			continue
		}
		prev := a.status()
		a.expired = true
		m.countFees(prev, fee.Expired, true)
		if a.until.After(since) {
			changes = append(changes, feeChange{account: addr, from: prev, to: fee.Expired})
		}
	}
	m.mu.Unlock()
	slices.SortFunc(changes, func(x, y feeChange) int { return cmp.Compare(x.account.String(), y.account.String()) })
	tok := ledger.TokenID("")
	if p := m.feePolicyFor(ctx, ""); p != nil {
		tok = p.Token
	}
	for _, ch := range changes {
		m.feeAlert(ctx, tok, ch)
	}
	return nil
}

// feeAlert raises the alert a fee account's change of status calls for, if
// any.
func (m *Monitor) feeAlert(ctx context.Context, tok ledger.TokenID, ch feeChange) {
	typ := feeStatusAlert(ch.from, ch.to)
	if typ == "" {
		return
	}
	a := Alert{Type: typ, Token: string(tok), Account: ch.account.String(), Status: string(ch.to), Previous: string(ch.from)}
	said := "" // what is available, when the event says
	if ch.available != nil {
		a.Available = ch.available.String() + " minor units"
		if p := m.feePolicyFor(ctx, tok); p != nil {
			a.Available = ch.available.Format(p.Decimals) + " " + p.Symbol
		}
		said = ": " + a.Available + " available"
	}
	switch typ {
	case AlertFeeLow:
		a.Message = fmt.Sprintf("fee account %s is LOW%s", a.Account, said)
	case AlertFeeExhausted:
		a.Message = fmt.Sprintf("fee account %s is EXHAUSTED: nothing available, and nothing more released before its deposits expire", a.Account)
	case AlertFeeExpired:
		a.Message = fmt.Sprintf("fee account %s has EXPIRED: every deposit's window has closed, and its transactions are refused until it deposits again", a.Account)
	case AlertFeeRecovered:
		a.Message = fmt.Sprintf("fee account %s is ACTIVE again%s", a.Account, said)
	}
	m.raise(ctx, a)
}

// readFees reads the fee policy and the fee books into the metrics.
func (m *Monitor) readFees(ctx context.Context) error {
	f, err := m.cfg.API.Fees(ctx)
	if err != nil {
		return err
	}
	m.mu.Lock()
	m.feePolicy = f.Policy
	m.mu.Unlock()
	if b := f.Books; b != nil {
		tok := string(b.Token)
		m.metrics.feeDeposited.WithLabelValues(tok).Set(float(b.Deposited.Amount))
		m.metrics.feeRevenue.WithLabelValues(tok).Set(float(b.Spent.Amount))
		m.metrics.feeExpired.WithLabelValues(tok).Set(float(b.Expired.Amount))
		m.metrics.feeHeld.WithLabelValues(tok).Set(float(b.Held.Amount))
		m.metrics.feeCollected.WithLabelValues(tok).Set(float(b.Collected.Amount))
	}
	return nil
}

// feePolicyFor is the fee policy, read again if the one last read is not of
// tok ("" for whichever it is); nil when there is none or it cannot be read.
func (m *Monitor) feePolicyFor(ctx context.Context, tok ledger.TokenID) *client.FeePolicy {
	m.mu.Lock()
	p := m.feePolicy
	m.mu.Unlock()
	if p != nil && (tok == "" || p.Token == tok) {
		return p
	}
	if err := m.readFees(ctx); err != nil {
		m.log.Warn("reading the fee policy", "err", err)
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.feePolicy
}
