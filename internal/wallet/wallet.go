// Package wallet is the wallet server a member institution runs for its
// customers (S1.8, S0.9): custodial wallets whose keys it makes and keeps
// sealed under a master passphrase, member accounts that fund platforms
// deposit into and that the institution moves into wallets as coins paid
// from its treasury on chain, a record of every wallet transaction by
// source, found by following the chain's committed blocks, and shop
// checkout: payment requests with a one-time receiving address, paid from
// any wallet, announced to the shop by signed webhooks from an outbox.
//
// It owns its database (SQLite or PostgreSQL, migrated by goose), reads the
// chain and submits signed transactions through the node's API like any
// client, and never writes the ledger's state otherwise.
package wallet

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/ledger"
)

// Limits of the wallet server, each checked where a request enters.
const (
	// MaxNameLen bounds a wallet's name.
	MaxNameLen = 64
	// MaxReferenceLen bounds a deposit's or a checkout's reference and a fund
	// platform's name: they are stored and echoed, not interpreted.
	MaxReferenceLen = 128
	// MaxIdempotencyKeyLen bounds an Idempotency-Key header.
	MaxIdempotencyKeyLen = 128
	// MaxBodySize bounds a request body.
	MaxBodySize = 64 << 10
	// MaxCheckoutExpiry bounds how long a payment request stays open.
	MaxCheckoutExpiry = 7 * 24 * time.Hour
	// MinCheckoutExpiry is the shortest: less than a few blocks cannot be paid.
	MinCheckoutExpiry = 10 * time.Second
	// MaxRecordsPage bounds the records one read answers.
	MaxRecordsPage = 500
	// MaxWebhookURLLen bounds a checkout's webhook URL.
	MaxWebhookURLLen = 512
	// ExpiryBlocks is how many blocks a transaction the server signs stays
	// valid: long enough to be included, short enough that an unknown outcome
	// is settled soon (a move whose transaction expired unincluded is undone).
	ExpiryBlocks = 20
)

// DefaultFollowInterval is how often the server asks the chain for new
// blocks; it also looks as soon as a payment it signed is committed.
const DefaultFollowInterval = 250 * time.Millisecond

// TreasuryName is the wallet the server makes at first start: the
// institution's coins, from which member-account balances are paid into
// customers' wallets.
const TreasuryName = "treasury"

// Config is what a wallet server needs.
type Config struct {
	// Database is the path of an SQLite file, or a postgres:// URL.
	Database string
	// Node is the URL of the node's API the server reads and submits through.
	Node string
	// Passphrase is the master passphrase that seals every key.
	Passphrase []byte
	// WebhookSecret signs webhook deliveries (Peg-Signature, as the reserve
	// monitor's); checkouts that name a webhook need it.
	WebhookSecret string
	// APIToken, when set, is required of every /v1 request as
	// "Authorization: Bearer TOKEN"; without it anyone who reaches the
	// server's address may move its wallets' money.
	APIToken string
	// FollowInterval is how often the chain is polled; 0 takes the default.
	FollowInterval time.Duration

	kdf kdf // argon2id cost of a new database's master key; tests lower it
}

// Service is a running wallet server's logic, behind its HTTP API. One
// process serves a database: writes that read a balance first are
// sequenced by the service.
type Service struct {
	cfg     Config
	db      *db
	seal    *sealer
	chain   *client.Client
	chainID string
	region  ledger.Region
	log     *slog.Logger

	mu sync.Mutex // sequences read-modify-write transactions

	signersMu sync.Mutex
	signers   map[string]*sync.Mutex // by wallet id: see lockSigner

	tokensMu sync.Mutex
	tokens   map[ledger.TokenID]*client.Token

	wake       chan struct{} // a new outbox row
	followWake chan struct{} // a payment the server signed was committed
}

// New opens the database, migrates it, checks the master passphrase, and
// binds the database to the node's chain: a database made for one chain is
// refused on another. It makes the treasury wallet on first start.
func New(ctx context.Context, cfg Config, log *slog.Logger) (*Service, error) {
	if cfg.Node == "" {
		return nil, errors.New("wallet: no node API URL given")
	}
	if cfg.FollowInterval == 0 {
		cfg.FollowInterval = DefaultFollowInterval
	}
	if cfg.kdf.Time == 0 {
		cfg.kdf = defaultKDF
	}
	chain := client.New(cfg.Node)
	st, err := chain.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("wallet: reading the node's status: %w", err)
	}
	d, err := openDB(ctx, cfg.Database)
	if err != nil {
		return nil, err
	}
	s := &Service{cfg: cfg, db: d, chain: chain, chainID: st.ChainID, region: st.Region, log: log,
		tokens: map[ledger.TokenID]*client.Token{}, signers: map[string]*sync.Mutex{}, wake: make(chan struct{}, 1), followWake: make(chan struct{}, 1)}
	if err := s.open(ctx, st); err != nil {
		d.Close()
		return nil, err
	}
	return s, nil
}

func (s *Service) open(ctx context.Context, st *client.Status) error {
	seal, err := openSealer(ctx, s.db, s.cfg.Passphrase, s.cfg.kdf)
	if err != nil {
		return err
	}
	s.seal = seal
	err = s.db.inTx(ctx, func(tx *sql.Tx) error {
		chainID, ok, err := getMeta(ctx, tx, "chain_id")
		if err != nil {
			return err
		}
		if ok && chainID != st.ChainID {
			return fmt.Errorf("wallet: this database serves chain %s; the node at %s is on %s", chainID, s.cfg.Node, st.ChainID)
		}
		if ok {
			return nil
		}
		// Nothing before this height can concern the server's wallets: their
		// keys do not exist yet.
		if err := setMeta(ctx, tx, "followed", strconv.FormatUint(st.Height, 10)); err != nil {
			return err
		}
		return setMeta(ctx, tx, "chain_id", st.ChainID)
	})
	if err != nil {
		return err
	}
	_, err = s.Wallet(ctx, TreasuryName)
	if errors.Is(err, errUnknownWallet) {
		_, err = s.CreateWallet(ctx, TreasuryName, KindTreasury)
	}
	return err
}

// Close closes the database. Run must have returned.
func (s *Service) Close() error { return s.db.Close() }

// ChainID is the chain the server serves.
func (s *Service) ChainID() string { return s.chainID }

// Run follows the chain (settling moves whose outcome was unknown) and
// delivers webhooks until ctx ends.
func (s *Service) Run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Go(func() { s.follow(ctx) })
	wg.Go(func() { s.deliver(ctx) })
	wg.Wait()
}

// newID is a random identifier with a prefix that says what it names.
func newID(prefix string) string {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return prefix + "_" + hex.EncodeToString(b)
}

// millis is t as the database stores it.
func millis(t time.Time) int64 { return t.UnixMilli() }

// fromMillis is a stored time.
func fromMillis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// token is the chain's token id, cached: a token's id, symbol and decimals
// never change.
func (s *Service) token(ctx context.Context, id ledger.TokenID) (*client.Token, error) {
	s.tokensMu.Lock()
	t, ok := s.tokens[id]
	s.tokensMu.Unlock()
	if ok {
		return t, nil
	}
	t, err := s.chain.Token(ctx, id)
	var apiErr *client.APIError
	if errors.As(err, &apiErr) && apiErr.Status == 404 {
		return nil, errorf(CodeUnknownToken, "the chain has no token %s", id)
	}
	if err != nil {
		return nil, chainError(err)
	}
	s.tokensMu.Lock()
	s.tokens[id] = t
	s.tokensMu.Unlock()
	return t, nil
}
