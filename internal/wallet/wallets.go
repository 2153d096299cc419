package wallet

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
)

// Kinds of wallet.
const (
	KindCustomer = "customer" // a customer's wallet
	KindShop     = "shop"     // a shop's: payment requests are made for it
	KindTreasury = "treasury" // the institution's, which moves pay from
)

var namePattern = regexp.MustCompile(`^[a-z][a-z0-9_.-]{0,63}$`)

// Wallet is a custodial wallet: its key is the server's, sealed, and never
// leaves it.
type Wallet struct {
	ID      string         `json:"id"`
	Name    string         `json:"name"`
	Kind    string         `json:"kind"`
	Address ledger.Address `json:"address"`
	Created time.Time      `json:"created"`
}

// CreateWallet makes a wallet called name with a new key.
func (s *Service) CreateWallet(ctx context.Context, name, kind string) (Wallet, error) {
	if !namePattern.MatchString(name) {
		return Wallet{}, errorf(CodeBadRequest, "wallet name %q: want 1-%d lowercase letters, digits, '.', '_' or '-', starting with a letter", name, MaxNameLen)
	}
	switch kind {
	case "":
		kind = KindCustomer
	case KindCustomer, KindShop:
	case KindTreasury:
		if name != TreasuryName {
			return Wallet{}, errorf(CodeBadRequest, "the server has one treasury, %q", TreasuryName)
		}
	default:
		return Wallet{}, errorf(CodeBadRequest, "wallet kind %q: want %q or %q", kind, KindCustomer, KindShop)
	}
	addr, sealed, err := s.seal.newKey(s.region)
	if err != nil {
		return Wallet{}, err
	}
	w := Wallet{ID: newID("w"), Name: name, Kind: kind, Address: addr, Created: time.Now().UTC().Truncate(time.Millisecond)}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.Wallet(ctx, name); err == nil {
		return Wallet{}, errorf(CodeWalletExists, "a wallet is already called %q", name)
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO wallets (id, name, kind, address, sealed, created) VALUES ($1, $2, $3, $4, $5, $6)`,
		w.ID, w.Name, w.Kind, w.Address.String(), sealed, millis(w.Created))
	if err != nil {
		return Wallet{}, fmt.Errorf("wallet: storing wallet %s: %w", name, err)
	}
	return w, nil
}

const walletColumns = `id, name, kind, address, created`

func scanWallet(row interface{ Scan(...any) error }) (Wallet, error) {
	var w Wallet
	var addr string
	var created int64
	if err := row.Scan(&w.ID, &w.Name, &w.Kind, &addr, &created); err != nil {
		return Wallet{}, err
	}
	a, err := ledger.ParseAddress(addr)
	if err != nil {
		return Wallet{}, fmt.Errorf("wallet: stored address %q: %w", addr, err)
	}
	w.Address, w.Created = a, fromMillis(created)
	return w, nil
}

// Wallet finds a wallet by id or by name.
func (s *Service) Wallet(ctx context.Context, ref string) (Wallet, error) {
	return walletByRef(ctx, s.db, ref)
}

func walletByRef(ctx context.Context, q queryer, ref string) (Wallet, error) {
	w, err := scanWallet(q.QueryRowContext(ctx, `SELECT `+walletColumns+` FROM wallets WHERE id = $1 OR name = $1`, ref))
	if errors.Is(err, sql.ErrNoRows) {
		return Wallet{}, errorf(CodeUnknownWallet, "no wallet has the id or name %q", ref)
	}
	if err != nil {
		return Wallet{}, fmt.Errorf("wallet: reading wallet %q: %w", ref, err)
	}
	return w, nil
}

// Wallets lists every wallet by name.
func (s *Service) Wallets(ctx context.Context) ([]Wallet, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+walletColumns+` FROM wallets ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("wallet: listing wallets: %w", err)
	}
	defer rows.Close()
	out := []Wallet{}
	for rows.Next() {
		w, err := scanWallet(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

// privateKey opens w's key to sign with.
func (s *Service) privateKey(ctx context.Context, w Wallet) (ed25519.PrivateKey, error) {
	var sealed string
	if err := s.db.QueryRowContext(ctx, `SELECT sealed FROM wallets WHERE id = $1`, w.ID).Scan(&sealed); err != nil {
		return nil, fmt.Errorf("wallet: reading the key of %s: %w", w.Name, err)
	}
	return s.seal.privateKey(w.Address, sealed)
}

// Amount is an amount of a token both ways: Amount as people read it, in
// every decimal of the token, and Units in minor units for programs.
type Amount struct {
	Token  ledger.TokenID `json:"token"`
	Amount string         `json:"amount"`
	Units  money.Amount   `json:"units"`
}

func (s *Service) amount(ctx context.Context, tok ledger.TokenID, units money.Amount) Amount {
	a := Amount{Token: tok, Amount: units.String(), Units: units}
	if t, err := s.token(ctx, tok); err == nil {
		a.Amount = units.FormatFixed(t.Decimals)
	}
	return a
}

// View is a wallet with what it holds: its member-account balances (off
// chain, what fund platforms deposited and moves have not yet paid in), its
// coins on chain, and for a shop what its payment requests' one-time
// addresses received (coins on chain too, under keys the server keeps).
type View struct {
	Wallet
	Member   []Amount `json:"member"`
	Chain    []Amount `json:"chain"`
	Requests []Amount `json:"requests,omitempty"`
}

// View reads a wallet's balances.
func (s *Service) View(ctx context.Context, ref string) (View, error) {
	w, err := s.Wallet(ctx, ref)
	if err != nil {
		return View{}, err
	}
	v := View{Wallet: w, Member: []Amount{}, Chain: []Amount{}}
	rows, err := s.db.QueryContext(ctx, `SELECT token, units FROM member_balances WHERE wallet_id = $1 ORDER BY token`, w.ID)
	if err != nil {
		return View{}, fmt.Errorf("wallet: reading balances: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var tok, units string
		if err := rows.Scan(&tok, &units); err != nil {
			return View{}, err
		}
		u, err := money.ParseUnits(units)
		if err != nil {
			return View{}, fmt.Errorf("wallet: stored balance %q: %w", units, err)
		}
		v.Member = append(v.Member, s.amount(ctx, ledger.TokenID(tok), u))
	}
	if err := rows.Err(); err != nil {
		return View{}, err
	}
	bs, err := s.chain.Balances(ctx, w.Address, "")
	if err != nil {
		return View{}, chainError(err)
	}
	for _, b := range bs {
		v.Chain = append(v.Chain, s.amount(ctx, b.Token, b.Units))
	}
	v.Requests, err = s.requestsReceived(ctx, w.ID)
	return v, err
}

// requestsReceived sums what a shop's payment requests received, by token.
func (s *Service) requestsReceived(ctx context.Context, shopID string) ([]Amount, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT token, received FROM checkouts WHERE shop_id = $1 ORDER BY token`, shopID)
	if err != nil {
		return nil, fmt.Errorf("wallet: reading payment requests: %w", err)
	}
	defer rows.Close()
	var out []Amount
	for rows.Next() {
		var tok, units string
		if err := rows.Scan(&tok, &units); err != nil {
			return nil, err
		}
		u, err := money.ParseUnits(units)
		if err != nil {
			return nil, err
		}
		if n := len(out); n > 0 && out[n-1].Token == ledger.TokenID(tok) {
			sum, _ := out[n-1].Units.Add(u)
			out[n-1] = s.amount(ctx, out[n-1].Token, sum)
			continue
		}
		out = append(out, s.amount(ctx, ledger.TokenID(tok), u))
	}
	return out, rows.Err()
}

// memberBalance reads a wallet's member balance of tok inside tx.
func memberBalance(ctx context.Context, tx *sql.Tx, walletID string, tok ledger.TokenID) (money.Amount, error) {
	var units string
	err := tx.QueryRowContext(ctx, `SELECT units FROM member_balances WHERE wallet_id = $1 AND token = $2`, walletID, string(tok)).Scan(&units)
	if errors.Is(err, sql.ErrNoRows) {
		return money.Amount{}, nil
	}
	if err != nil {
		return money.Amount{}, fmt.Errorf("wallet: reading a member balance: %w", err)
	}
	return money.ParseUnits(units)
}

// setMemberBalance writes a wallet's member balance of tok inside tx.
func setMemberBalance(ctx context.Context, tx *sql.Tx, walletID string, tok ledger.TokenID, units money.Amount) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO member_balances (wallet_id, token, units) VALUES ($1, $2, $3)
		ON CONFLICT (wallet_id, token) DO UPDATE SET units = excluded.units`, walletID, string(tok), units.String())
	if err != nil {
		return fmt.Errorf("wallet: writing a member balance: %w", err)
	}
	return nil
}
