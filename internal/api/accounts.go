package api

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/state"
	"github.com/pegledger/peg/internal/store"
)

// account answers GET /v1/accounts/{address}.
func (s *server) account(w http.ResponseWriter, r *http.Request) error {
	addr, err := addressParam("address", r.PathValue("address"))
	if err != nil {
		return err
	}
	var bals []state.Balance
	snap, err := s.ownerView(r, func(u *state.Unspent) (height uint64, err error) {
		bals, height, err = u.Balances(addr, "")
		return height, err
	})
	if err != nil {
		return err
	}
	defer snap.Close()
	toks, err := state.Tokens(snap)
	if err != nil {
		return err
	}
	ids := make([]ledger.TokenID, len(toks))
	decimals := make(map[ledger.TokenID]uint8, len(toks))
	for i, t := range toks {
		ids[i] = t.Contract.ID
		decimals[t.Contract.ID] = t.Contract.Decimals
	}
	acc := state.AccountOf(snap, addr, ids)
	view := client.Account{
		Address: addr, Region: addr.Region(), Issuer: acc.Issuer, Registered: acc.Registered,
		Frozen: acc.Frozen, Balances: make([]client.Balance, len(bals)),
	}
	if view.Frozen == nil {
		view.Frozen = []ledger.TokenID{}
	}
	for i, b := range bals {
		d, ok := decimals[b.Token]
		if !ok {
			return fmt.Errorf("api: %s holds coins of %s, which is not a token", addr, b.Token)
		}
		view.Balances[i] = balanceView(b, d)
	}
	writeJSON(w, http.StatusOK, view)
	return nil
}

// balances answers GET /v1/accounts/{address}/balances[?token=ID].
func (s *server) balances(w http.ResponseWriter, r *http.Request) error {
	addr, err := addressParam("address", r.PathValue("address"))
	if err != nil {
		return err
	}
	tok, err := s.ownerToken(r)
	if err != nil {
		return err
	}
	var bals []state.Balance
	snap, err := s.ownerView(r, func(u *state.Unspent) (height uint64, err error) {
		bals, height, err = u.Balances(addr, tok)
		return height, err
	})
	if err != nil {
		return err
	}
	defer snap.Close()
	l := client.BalanceList{Balances: make([]client.Balance, len(bals))}
	dec := decimalsOf(snap)
	for i, b := range bals {
		d, err := dec(b.Token)
		if err != nil {
			return err
		}
		l.Balances[i] = balanceView(b, d)
	}
	writeJSON(w, http.StatusOK, l)
	return nil
}

// coins answers GET /v1/accounts/{address}/coins[?token=ID][&limit=N]
// [&after=TOKEN.COINID]: a page of the owner's coins in (token, coin id)
// order, after the place given (the last page's next), with the place of
// its last coin as next when more follow.
func (s *server) coins(w http.ResponseWriter, r *http.Request) error {
	addr, err := addressParam("address", r.PathValue("address"))
	if err != nil {
		return err
	}
	limit := DefaultCoinsPage
	if q := r.URL.Query().Get("limit"); q != "" {
		n, err := strconv.Atoi(q)
		if err != nil || n < 1 || n > MaxCoinsPage {
			return badRequest("limit %q: want a whole number from 1 to %d", q, MaxCoinsPage)
		}
		limit = n
	}
	tok, err := s.ownerToken(r)
	if err != nil {
		return err
	}
	after, err := coinPlaceParam(r.URL.Query().Get("after"))
	if err != nil {
		return err
	}
	var coins []state.Coin
	snap, err := s.ownerView(r, func(u *state.Unspent) (height uint64, err error) {
		coins, height = u.CoinsOf(addr, tok, after, limit+1)
		return height, nil
	})
	if err != nil {
		return err
	}
	defer snap.Close()
	var l client.CoinList
	if len(coins) > limit {
		coins = coins[:limit]
		last := coins[limit-1]
		l.Next = string(last.Token) + "." + last.ID.String()
	}
	l.Coins = make([]client.Coin, len(coins))
	dec := decimalsOf(snap)
	for i, c := range coins {
		d, err := dec(c.Token)
		if err != nil {
			return err
		}
		l.Coins[i] = coinView(c, d)
	}
	writeJSON(w, http.StatusOK, l)
	return nil
}

// ownerView takes a snapshot of the store and calls read, which reads an
// owner's coins or balances from the unspent coins in memory and returns
// the height they are of, until that is the snapshot's height; it returns
// the snapshot, for the rest of the answer, which the caller closes. The
// coins in memory follow each commit beside the store, so a view taken
// while a block is being committed waits for both to reach it.
func (s *server) ownerView(r *http.Request, read func(*state.Unspent) (height uint64, err error)) (*store.Snapshot, error) {
	deadline := time.Now().Add(MaxViewWait)
	for {
		snap := s.chain.Snapshot()
		height, err := read(s.chain.Unspent())
		if err != nil {
			snap.Close()
			return nil, err
		}
		if height == snap.Height {
			return snap, nil
		}
		snap.Close()
		if time.Now().After(deadline) {
			return nil, apiError(CodeUnavailable, "the coins in memory (height %d) did not reach the store's height (%d) within %s", height, snap.Height, MaxViewWait)
		}
		select {
		case <-r.Context().Done():
			return nil, r.Context().Err()
		case <-time.After(time.Millisecond):
		}
	}
}

// MaxViewWait bounds how long ownerView waits for the coins in memory and
// the store to reach the same height: far longer than a commit takes.
const MaxViewWait = 5 * time.Second

// ownerToken is the request's token query, checked against the latest
// committed tokens.
func (s *server) ownerToken(r *http.Request) (ledger.TokenID, error) {
	snap := s.chain.Snapshot()
	defer snap.Close()
	return tokenQuery(snap, r, false)
}

// approval answers GET /v1/accounts/{owner}/approvals/{spender}?token=ID.
func (s *server) approval(w http.ResponseWriter, r *http.Request) error {
	owner, err := addressParam("owner", r.PathValue("owner"))
	if err != nil {
		return err
	}
	spender, err := addressParam("spender", r.PathValue("spender"))
	if err != nil {
		return err
	}
	snap := s.chain.Snapshot()
	defer snap.Close()
	tok, err := tokenQuery(snap, r, true)
	if err != nil {
		return err
	}
	t, err := loadToken(snap, tok)
	if err != nil {
		return err
	}
	a := state.Approval(snap, tok, owner, spender)
	writeJSON(w, http.StatusOK, client.Approval{Token: tok, Owner: owner, Spender: spender, Value: value(a, t.Contract.Decimals)})
	return nil
}

// addressParam parses an address from the request; what names the parameter.
func addressParam(what, s string) (ledger.Address, error) {
	a, err := ledger.ParseAddress(s)
	if err != nil {
		return ledger.Address{}, badRequest("%s: %v", what, err)
	}
	return a, nil
}

// tokenQuery reads the token query parameter, which must name an existing
// token; "" when it is absent and not required.
func tokenQuery(snap *store.Snapshot, r *http.Request, required bool) (ledger.TokenID, error) {
	q := r.URL.Query().Get("token")
	if q == "" {
		if required {
			return "", badRequest("the token query parameter is required")
		}
		return "", nil
	}
	id, err := tokenParam("token", q)
	if err != nil {
		return "", err
	}
	if _, err := loadToken(snap, id); err != nil {
		return "", err
	}
	return id, nil
}

// decimalsOf looks tokens' decimals up, once each.
func decimalsOf(snap *store.Snapshot) func(ledger.TokenID) (uint8, error) {
	seen := make(map[ledger.TokenID]uint8)
	return func(id ledger.TokenID) (uint8, error) {
		if d, ok := seen[id]; ok {
			return d, nil
		}
		t := state.TokenByID(snap, id)
		if t == nil {
			return 0, fmt.Errorf("api: coins of %s, which is not a token", id)
		}
		seen[id] = t.Contract.Decimals
		return t.Contract.Decimals, nil
	}
}

// coinPlaceParam reads the after parameter of a coins page: TOKEN.COINID,
// as the page before gave it in next; nil when absent.
func coinPlaceParam(v string) (*state.CoinPlace, error) {
	if v == "" {
		return nil, nil
	}
	tok, id, ok := strings.Cut(v, ".")
	if !ok {
		return nil, badRequest("after: want TOKEN.COINID, the next of the page before")
	}
	t, err := ledger.ParseTokenID(tok)
	if err != nil {
		return nil, badRequest("after: %v", err)
	}
	c, err := ledger.ParseCoinID(id)
	if err != nil {
		return nil, badRequest("after: %v", err)
	}
	return &state.CoinPlace{Token: t, ID: c}, nil
}
