package demobank

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/pegledger/peg/internal/durable"
	"github.com/pegledger/peg/internal/money"
)

// Limits and their defaults. Each has a hard ceiling so that a configuration
// cannot make the bank's memory or state file unbounded.
const (
	// DefaultMaxAccounts is Options.MaxAccounts when zero.
	DefaultMaxAccounts = 100
	// DefaultMaxHistory is Options.MaxHistory when zero.
	DefaultMaxHistory = 1000
	// MaxHistoryCeiling bounds Options.MaxHistory, and so the length of a
	// statement (about 800 bytes an entry).
	MaxHistoryCeiling = 100_000
	// MaxRecords bounds MaxAccounts × MaxHistory: the transactions the state
	// file may hold, about 250 bytes each, and which are rewritten on every
	// change.
	MaxRecords = 1 << 20
	// DefaultTokenTTL is Options.TokenTTL when zero, the usual lifetime of an
	// Open Banking access token.
	DefaultTokenTTL = time.Hour
	// MaxTokenTTL bounds Options.TokenTTL.
	MaxTokenTTL = 24 * time.Hour
	// DefaultMaxFaultDelay is Options.MaxFaultDelay when zero.
	DefaultMaxFaultDelay = 2 * time.Minute
	// MaxFaultDelayCeiling bounds Options.MaxFaultDelay.
	MaxFaultDelayCeiling = time.Hour
	// MaxRequestBytes bounds the body of any request to either API. The
	// largest legitimate body, an account to create, is under 1 KiB.
	MaxRequestBytes = 64 << 10
	// MaxHeaderBytes bounds a request's headers.
	MaxHeaderBytes = 64 << 10
	// MaxStatementDays bounds the date range of one camt.053 statement.
	MaxStatementDays = 366
)

// Server timeouts. A request's handler may take up to MaxFaultDelay when a
// delay is injected, so the write timeout is that plus a margin.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 30 * time.Second
	idleTimeout       = 2 * time.Minute
)

// Options configure a Bank. Zero fields take the documented defaults.
type Options struct {
	// MaxAccounts is the most accounts the bank holds; creating one more is
	// refused with ErrLimit. It bounds memory and the state file.
	MaxAccounts int
	// MaxHistory is the most transactions kept per account; older ones are
	// dropped, and statements can no longer cover their days. It bounds
	// memory, the state file and every answer that lists transactions.
	MaxHistory int
	// TokenTTL is the lifetime of an Open Banking access token.
	TokenTTL time.Duration
	// MaxFaultDelay is the longest delay SetFault accepts.
	MaxFaultDelay time.Duration
	// Hosts are names or IP addresses the server certificate is valid for
	// besides localhost, 127.0.0.1 and ::1. They are used only when the
	// certificates are first generated.
	Hosts []string
	// Now is the bank's clock; nil means time.Now. Tests set it to move
	// through days.
	Now func() time.Time
	// Logger receives a line for every change and every refused request; nil
	// discards them.
	Logger *slog.Logger
}

func (o *Options) setDefaults() {
	if o.MaxAccounts == 0 {
		o.MaxAccounts = DefaultMaxAccounts
	}
	if o.MaxHistory == 0 {
		o.MaxHistory = DefaultMaxHistory
	}
	if o.TokenTTL == 0 {
		o.TokenTTL = DefaultTokenTTL
	}
	if o.MaxFaultDelay == 0 {
		o.MaxFaultDelay = DefaultMaxFaultDelay
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
}

func (o *Options) validate() error {
	switch {
	case o.MaxAccounts < 1:
		return fmt.Errorf("demobank: MaxAccounts %d must be positive", o.MaxAccounts)
	case o.MaxHistory < 1 || o.MaxHistory > MaxHistoryCeiling:
		return fmt.Errorf("demobank: MaxHistory %d must be between 1 and %d", o.MaxHistory, MaxHistoryCeiling)
	case int64(o.MaxAccounts)*int64(o.MaxHistory) > MaxRecords:
		return fmt.Errorf("demobank: MaxAccounts × MaxHistory (%d × %d) exceeds %d", o.MaxAccounts, o.MaxHistory, MaxRecords)
	case o.TokenTTL < time.Second || o.TokenTTL > MaxTokenTTL:
		return fmt.Errorf("demobank: TokenTTL %s must be between 1s and %s", o.TokenTTL, MaxTokenTTL)
	case o.MaxFaultDelay < 0 || o.MaxFaultDelay > MaxFaultDelayCeiling:
		return fmt.Errorf("demobank: MaxFaultDelay %s must be between 0 and %s", o.MaxFaultDelay, MaxFaultDelayCeiling)
	}
	return nil
}

// Bank is an open demo bank: its accounts, credentials and certificates, and
// the servers started on it. It is safe for concurrent use.
type Bank struct {
	opts     Options
	files    Files
	creds    credentialsFile
	tokenKey []byte
	cert     tls.Certificate
	caPool   *x509.CertPool
	unlock   func() error
	log      *slog.Logger

	// writeMu serialises changes, which build the next state and write it
	// to disk; mu guards only the swap of the state pointer and the fault,
	// so that readers never wait for a disk write.
	writeMu sync.Mutex
	mu      sync.Mutex
	state   *ledgerState // replaced, never changed
	fault   Fault

	srvMu   sync.Mutex
	servers []*http.Server
	closed  chan struct{} // closed by Close: ends injected delays
	closing sync.Once
}

// Open opens the bank whose data directory is dataDir, creating the
// directory, the certificates and the credentials on first use. Only one
// process may have a data directory open.
func Open(dataDir string, opts Options) (*Bank, error) {
	opts.setDefaults()
	if err := opts.validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("demobank: %w", err)
	}
	unlock, err := lockDir(filepath.Join(dataDir, lockFile))
	if err != nil {
		return nil, err
	}
	b, err := open(dataDir, opts)
	if err != nil {
		_ = unlock()
		return nil, err
	}
	b.unlock = unlock
	return b, nil
}

func open(dataDir string, opts Options) (*Bank, error) {
	f := FilesIn(dataDir)
	if err := ensurePKI(f, opts.Hosts, time.Now()); err != nil { // TLS checks validity by the real clock
		return nil, err
	}
	cert, pool, err := loadPKI(f)
	if err != nil {
		return nil, err
	}
	creds, err := ensureCredentials(f.Credentials)
	if err != nil {
		return nil, err
	}
	key, err := hex.DecodeString(creds.TokenKey)
	if err != nil {
		return nil, fmt.Errorf("demobank: token key: %w", err)
	}
	st, err := loadState(f.State, opts.MaxAccounts, opts.MaxHistory)
	if err != nil {
		return nil, err
	}
	return &Bank{opts: opts, files: f, creds: creds, tokenKey: key, cert: cert, caPool: pool,
		log: opts.Logger, state: st, closed: make(chan struct{})}, nil
}

// Files are the paths of the bank's files.
func (b *Bank) Files() Files { return b.files }

// Credentials are the bank's client credentials, financial id and admin token.
func (b *Bank) Credentials() Credentials { return b.creds.public() }

// Options are the options the bank runs with, defaults filled in.
func (b *Bank) Options() Options { return b.opts }

// TLSConfig is the Open Banking server's TLS configuration: the server
// certificate, and a client certificate signed by the bank's CA required of
// every client (mutual TLS).
func (b *Bank) TLSConfig() *tls.Config {
	return &tls.Config{
		Certificates: []tls.Certificate{b.cert},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    b.caPool,
		MinVersion:   tls.VersionTLS12,
	}
}

// Serve answers the Open Banking API (and its token endpoint) over mutual TLS
// on ln until Close. It returns nil after Close.
func (b *Bank) Serve(ln net.Listener) error {
	return b.serve(tls.NewListener(ln, b.TLSConfig()), b.Handler())
}

// ServeAdmin answers the admin API in plain HTTP on ln until Close. The admin
// token travels in clear: ln should be on loopback.
func (b *Bank) ServeAdmin(ln net.Listener) error {
	return b.serve(ln, b.AdminHandler())
}

func (b *Bank) serve(ln net.Listener, h http.Handler) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      b.opts.MaxFaultDelay + readTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(b.log.Handler(), slog.LevelDebug),
	}
	b.srvMu.Lock()
	select {
	case <-b.closed:
		b.srvMu.Unlock()
		ln.Close()
		return nil
	default:
	}
	b.servers = append(b.servers, srv)
	b.srvMu.Unlock()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("demobank: serving %s: %w", ln.Addr(), err)
	}
	return nil
}

// Close stops the servers started by Serve and ServeAdmin, ends injected
// delays and releases the data directory. Every change is already on disk.
func (b *Bank) Close() error {
	var err error
	b.closing.Do(func() {
		b.srvMu.Lock()
		close(b.closed)
		servers := slices.Clone(b.servers)
		b.srvMu.Unlock()
		for _, s := range servers {
			err = errors.Join(err, s.Close())
		}
		if b.unlock != nil {
			err = errors.Join(err, b.unlock())
		}
	})
	return err
}

// now is the bank's clock in UTC.
func (b *Bank) now() time.Time { return b.opts.Now().UTC() }

// CreateAccount opens an account with a zero balance.
func (b *Bank) CreateAccount(na NewAccount) (Account, error) {
	cur, err := checkNewAccount(na)
	if err != nil {
		return Account{}, err
	}
	b.writeMu.Lock()
	defer b.writeMu.Unlock()
	st := b.current()
	if len(st.accounts) >= b.opts.MaxAccounts {
		return Account{}, fmt.Errorf("%w: the bank already holds MaxAccounts (%d) accounts", ErrLimit, b.opts.MaxAccounts)
	}
	if na.BIC == "" {
		na.BIC = DefaultBIC
	}
	ibans := make(map[string]AccountID, len(st.accounts))
	for _, a := range st.accounts {
		ibans[a.IBAN] = a.ID
	}
	next := *st
	if na.ID == "" || na.IBAN == "" {
		// Number the account with the first free number, at most len(accounts)
		// steps on: it names the account and its made-up IBAN.
		n := next.nextAccount
		for (na.ID == "" && st.accounts[numberedID(n)] != nil) || (na.IBAN == "" && ibans[makeIBAN(na.BIC, n)] != "") {
			n++
		}
		if na.ID == "" {
			na.ID = numberedID(n)
		}
		if na.IBAN == "" {
			na.IBAN = makeIBAN(na.BIC, n)
		}
		next.nextAccount = n
	}
	if st.accounts[na.ID] != nil {
		return Account{}, fmt.Errorf("%w: %s", ErrExists, na.ID)
	}
	if other, ok := ibans[na.IBAN]; ok {
		return Account{}, fmt.Errorf("%w: IBAN %s is account %s's", ErrExists, na.IBAN, other)
	}
	next.nextAccount++
	now := b.now()
	a := &account{Account: Account{ID: na.ID, IBAN: na.IBAN, BIC: na.BIC, Currency: cur, Name: na.Name, Opened: now},
		day: dayOf(now)}
	a.checkInvariants()
	if err := b.commit(next.with(a)); err != nil {
		return Account{}, err
	}
	b.log.Info("account created", "account", a.ID, "iban", a.IBAN, "currency", cur.Code)
	return a.Account, nil
}

// numberedID is the id the bank gives its n-th account.
func numberedID(n uint64) AccountID { return AccountID(fmt.Sprintf("%08d", n)) }

// Post books a credit or a debit. A debit that would take the balance below
// zero is refused with ErrInsufficientFunds. A posting whose idempotency key
// the account's kept history holds returns that transaction, with replayed
// true, if it asked for the same; otherwise it is refused with
// ErrIdempotency.
func (b *Bank) Post(p Posting) (tx Transaction, acct Account, replayed bool, err error) {
	if err := checkPosting(p); err != nil {
		return Transaction{}, Account{}, false, err
	}
	b.writeMu.Lock()
	defer b.writeMu.Unlock()
	st := b.current()
	a := st.accounts[p.Account]
	if a == nil {
		return Transaction{}, Account{}, false, fmt.Errorf("%w: %s", ErrNotFound, clip(string(p.Account)))
	}
	if prev, ok := a.findIdempotent(p.IdempotencyKey); ok {
		if prev.Direction != p.Direction || prev.Amount != p.Amount || prev.Reference != p.Reference {
			return Transaction{}, Account{}, false, fmt.Errorf("%w: key %q booked %s as a %s of %s %s", ErrIdempotency,
				p.IdempotencyKey, prev.ID, prev.Direction, a.FormatAmount(prev.Amount), a.Currency.Code)
		}
		return prev, a.Account, true, nil
	}
	next := *st
	na, tx, err := a.post(p, fmt.Sprintf("T%08d", next.nextTx), b.now(), b.opts.MaxHistory)
	if err != nil {
		return Transaction{}, Account{}, false, err
	}
	next.nextTx++
	na.checkInvariants()
	if err := b.commit(next.with(na)); err != nil {
		return Transaction{}, Account{}, false, err
	}
	b.log.Info("posted", "account", na.ID, "tx", tx.ID, "direction", tx.Direction,
		"amount", na.FormatAmount(tx.Amount), "currency", na.Currency.Code, "balance", na.FormatAmount(na.Balance))
	return tx, na.Account, false, nil
}

// Credit adds amount (minor units) to an account.
func (b *Bank) Credit(id AccountID, amount money.Amount, reference string) (Transaction, error) {
	tx, _, _, err := b.Post(Posting{Account: id, Direction: Credit, Amount: amount, Reference: reference})
	return tx, err
}

// Debit takes amount (minor units) from an account, refusing to go below zero.
func (b *Bank) Debit(id AccountID, amount money.Amount, reference string) (Transaction, error) {
	tx, _, _, err := b.Post(Posting{Account: id, Direction: Debit, Amount: amount, Reference: reference})
	return tx, err
}

// commit writes st to disk and then makes it the bank's state. The caller
// holds writeMu. On failure the state in memory stays as it was.
func (b *Bank) commit(st *ledgerState) error {
	data, err := st.encode()
	if err != nil {
		return err
	}
	if err := durable.WriteFile(b.files.State, data, 0o600); err != nil {
		return err
	}
	b.mu.Lock()
	b.state = st
	b.mu.Unlock()
	return nil
}

// current is the bank's state now. It is never changed: a change replaces it.
func (b *Bank) current() *ledgerState {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.state
}

// Account returns an account.
func (b *Bank) Account(id AccountID) (Account, error) {
	a, err := b.record(id)
	if err != nil {
		return Account{}, err
	}
	return a.Account, nil
}

// record returns an account's record, which is never changed afterwards.
func (b *Bank) record(id AccountID) (*account, error) {
	a := b.current().accounts[id]
	if a == nil {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, clip(string(id)))
	}
	return a, nil
}

// Accounts lists every account, sorted by id.
func (b *Bank) Accounts() []Account {
	st := b.current()
	out := make([]Account, 0, len(st.accounts))
	for _, id := range st.sortedIDs() {
		out = append(out, st.accounts[id].Account)
	}
	return out
}

// Transactions returns the last n kept transactions of an account, oldest
// first; n is at most MaxHistory.
func (b *Bank) Transactions(id AccountID, n int) ([]Transaction, error) {
	if n < 1 || n > b.opts.MaxHistory {
		return nil, fmt.Errorf("%w: transactions to list must be 1 to %d (MaxHistory), not %d", ErrInvalid, b.opts.MaxHistory, n)
	}
	a, err := b.record(id)
	if err != nil {
		return nil, err
	}
	return slices.Clone(a.history[max(0, len(a.history)-n):]), nil
}
