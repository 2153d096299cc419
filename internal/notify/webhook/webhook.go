// Package webhook is the information service's delivery side (S1.6): it
// follows a node's notification streams for a list of accounts and posts each
// notification to a webhook, signed as the reserve monitor signs its alerts
// (monitor.Sign), retrying until the receiver acknowledges it, and keeps, per
// account, the cursor after the last one acknowledged in a state file, so
// that a restart resumes there.
//
// What a receiver sees is at least once, in chain order per account: a
// notification is posted again until a 2xx answers it, and the cursor is
// saved only after that answer, so a crash between the answer and the save
// posts that one notification once more. Its id (the Peg-Notification-Id
// header and the body's "id") is unique on the chain; a receiver that
// records the ids it has acted on, and ignores one it has, acts on each
// notification exactly once.
package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/durable"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/monitor"
	"github.com/pegledger/peg/internal/notify"
)

// IDHeader carries a delivery's notification id, which the receiver dedupes
// on.
const IDHeader = "Peg-Notification-Id"

// Limits of delivery.
const (
	// FirstRetry is the wait before a delivery's second try; each later wait
	// doubles, up to MaxRetry.
	FirstRetry = 500 * time.Millisecond
	// MaxRetry bounds the wait between tries, so that a receiver back after
	// an outage is served within it.
	MaxRetry = time.Minute
	// Reconnect is the wait before following a stream again after it ended.
	Reconnect = time.Second
	// MaxAccounts bounds the accounts one service follows: one stream each,
	// which the node counts against its event streams.
	MaxAccounts = 64
)

// Config is what the service follows and where it delivers.
type Config struct {
	// API is the node's API.
	API *client.Client
	// Accounts are the accounts whose notifications are delivered.
	Accounts []ledger.Address
	// Hook receives every account's notifications.
	Hook monitor.Webhook
	// State is the file keeping each account's cursor.
	State string
	// From is where an account with no saved cursor starts; zero for the
	// block after the node's head when the service first sees the account.
	From notify.Cursor
}

func (c Config) validate() error {
	switch {
	case c.API == nil:
		return errors.New("webhook: no API to follow")
	case len(c.Accounts) == 0:
		return errors.New("webhook: no account to follow")
	case len(c.Accounts) > MaxAccounts:
		return fmt.Errorf("webhook: %d accounts, more than the %d one service follows", len(c.Accounts), MaxAccounts)
	case c.State == "":
		return errors.New("webhook: no state file to keep the cursors in")
	}
	seen := make(map[ledger.Address]bool, len(c.Accounts))
	for _, a := range c.Accounts {
		if seen[a] {
			return fmt.Errorf("webhook: account %s is listed twice", a)
		}
		seen[a] = true
	}
	return c.Hook.Validate()
}

// Service delivers notifications; Run does the work.
type Service struct {
	cfg  Config
	log  *slog.Logger
	http *http.Client

	mu      sync.Mutex
	cursors map[string]string // account → cursor, as saved
}

// New checks cfg and reads the saved cursors.
func New(cfg Config, log *slog.Logger) (*Service, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Service{cfg: cfg, log: log, http: &http.Client{Timeout: monitor.DeliveryTimeout}, cursors: map[string]string{}}
	b, err := os.ReadFile(cfg.State)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("webhook: %w", err)
	default:
		if err := json.Unmarshal(b, &s.cursors); err != nil {
			return nil, fmt.Errorf("webhook: state file %s: %w", cfg.State, err)
		}
		for a, c := range s.cursors {
			if _, err := notify.ParseCursor(c); err != nil {
				return nil, fmt.Errorf("webhook: state file %s, account %s: %w", cfg.State, a, err)
			}
		}
	}
	return s, nil
}

// Cursor is where account's delivery resumes, as saved; "" before any.
func (s *Service) Cursor(account ledger.Address) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cursors[account.String()]
}

// Run delivers until ctx ends, each account on its own.
func (s *Service) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, a := range s.cfg.Accounts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.follow(ctx, a)
		}()
	}
	wg.Wait()
}

// follow delivers account's notifications from its saved cursor, following
// the stream again whenever it ends.
func (s *Service) follow(ctx context.Context, account ledger.Address) {
	for ctx.Err() == nil {
		cursor, err := s.start(ctx, account)
		if err == nil {
			err = s.cfg.API.NotificationStream(ctx, account, cursor, func(n client.Notification) error {
				if err := s.deliver(ctx, n); err != nil {
					return err
				}
				next, err := notify.After(n.ID)
				if err != nil {
					return err
				}
				return s.save(account, next.String())
			})
		}
		if ctx.Err() != nil {
			return
		}
		s.log.Warn("following notifications", "account", account, "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(Reconnect):
		}
	}
}

// start is the cursor account's delivery resumes at: its saved one, else
// Config.From, else the block after the node's head, which it saves, so that
// a restart before the first notification misses nothing either.
func (s *Service) start(ctx context.Context, account ledger.Address) (string, error) {
	if c := s.Cursor(account); c != "" {
		return c, nil
	}
	from := s.cfg.From
	if from == (notify.Cursor{}) {
		st, err := s.cfg.API.Status(ctx)
		if err != nil {
			return "", err
		}
		from = notify.Cursor{Height: int64(st.Height) + 1}
	}
	return from.String(), s.save(account, from.String())
}

// save records account's cursor in the state file.
func (s *Service) save(account ledger.Address, cursor string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cursors[account.String()] = cursor
	b, err := json.MarshalIndent(s.cursors, "", "  ")
	if err != nil {
		return fmt.Errorf("webhook: encoding the cursors: %w", err)
	}
	return durable.WriteFile(s.cfg.State, append(b, '\n'), 0o600)
}

// deliver posts n until the receiver answers 2xx or ctx ends.
func (s *Service) deliver(ctx context.Context, n client.Notification) error {
	body, err := json.Marshal(n)
	if err != nil {
		return fmt.Errorf("webhook: encoding notification %s: %w", n.ID, err)
	}
	wait := FirstRetry
	for attempt := 1; ; attempt++ {
		err := s.try(ctx, n.ID, body)
		if err == nil {
			s.log.Info("delivered", "notification", n.ID, "account", n.Account, "type", n.Type, "attempt", attempt)
			return nil
		}
		s.log.Warn("delivery failed; retrying", "notification", n.ID, "account", n.Account, "attempt", attempt, "in", wait, "err", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, MaxRetry)
	}
}

func (s *Service) try(ctx context.Context, id string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.cfg.Hook.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(monitor.SignatureHeader, monitor.Sign(s.cfg.Hook.Secret, time.Now(), body))
	req.Header.Set(IDHeader, id)
	resp, err := s.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("webhook: %s answered %s", s.cfg.Hook.URL, resp.Status)
	}
	return nil
}
