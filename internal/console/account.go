package console

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/ledger"
)

// accountData is an account's page.
type accountData struct {
	Account *client.Account
	// Coins is a page of the account's coins (of Token, if the page names
	// one), after CoinsAfter ("" for the first); CoinsNext is the after of
	// the page that follows ("" on the last); CoinsHeld is how many it
	// holds in all.
	Coins                 []client.Coin
	CoinsHeld             int
	CoinsAfter, CoinsNext string
	Token                 string
	History               historyData
	Fee                   *client.FeeAccount
	// Trades and Credit are a page each of the account's trades and credit
	// requests, newest first, before TradesBefore and CreditBefore ("" for
	// the newest); their Next links the older page.
	Trades                     *client.TradeList
	Credit                     *client.CreditHistory
	TradesBefore, CreditBefore string
	Mine                       bool
}

// historyData is a page of an account's history and the filters that chose
// it.
type historyData struct {
	Address string
	Filter  client.HistoryQuery
	Items   []client.HistoryItem
	// Next links the next (older) page, with the same filters.
	Next string
	// Unavailable says why there is no history: the node has no index.
	Unavailable string
}

// account shows what an address holds and did: balances, coins, a page of
// its history (filters and cursor from the query string), its fee account,
// trades and credit.
func (c *Console) account(r *http.Request) (*view, error) {
	addr, err := ledger.ParseAddress(r.PathValue("address"))
	if err != nil {
		return nil, badRequestf("%v", err)
	}
	api, err := c.api(r)
	if err != nil {
		return nil, err
	}
	d, err := c.accountData(r, api, addr)
	if err != nil {
		return nil, err
	}
	return &view{name: "account", title: "Account " + short(addr.String()), data: d}, nil
}

func (c *Console) accountData(r *http.Request, api *client.Client, addr ledger.Address) (*accountData, error) {
	ctx := r.Context()
	q := r.URL.Query()
	a, err := api.Account(ctx, addr)
	if err != nil {
		return nil, err
	}
	d := &accountData{Account: a, Token: q.Get("coins"), CoinsAfter: q.Get("coins_after"),
		TradesBefore: q.Get("trades_before"), CreditBefore: q.Get("credit_before")}
	var tok ledger.TokenID
	if d.Token != "" {
		if tok, err = ledger.ParseTokenID(d.Token); err != nil {
			return nil, badRequestf("coins: %v", err)
		}
	}
	for _, b := range a.Balances {
		if tok == "" || b.Token == tok {
			d.CoinsHeld += b.Coins
		}
	}
	coins, err := api.CoinsPage(ctx, addr, tok, d.CoinsAfter, PageSize)
	if err != nil {
		return nil, err
	}
	d.Coins, d.CoinsNext = coins.Coins, coins.Next
	if d.History, err = history(ctx, api, addr, q); err != nil {
		return nil, err
	}
	if d.Fee, err = api.FeeAccount(ctx, addr); isNotFound(err) {
		d.Fee, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	if d.Trades, err = api.Trades(ctx, addr, d.TradesBefore, PageSize); err != nil {
		return nil, paramError("trades_before", err)
	}
	if d.Credit, err = api.CreditHistory(ctx, addr, d.CreditBefore, PageSize); err != nil {
		return nil, paramError("credit_before", err)
	}
	return d, nil
}

// history reads a page of addr's history from the index, with the filters of
// the query string; a node without an index leaves it empty and says so.
func history(ctx context.Context, api *client.Client, addr ledger.Address, q url.Values) (historyData, error) {
	f := client.HistoryQuery{
		Account: addr.String(), Counterparty: q.Get("counterparty"), Token: q.Get("token"), Kind: q.Get("kind"),
		From: q.Get("from"), To: q.Get("to"), Min: q.Get("min"), Max: q.Get("max"), Code: q.Get("code"),
		Limit: PageSize, Cursor: q.Get("cursor"),
	}
	d := historyData{Address: addr.String(), Filter: f}
	p, err := api.History(ctx, f)
	if isUnavailable(err) {
		d.Unavailable = unavailableText(err)
		return d, nil
	}
	if err != nil {
		return d, err
	}
	d.Items = p.Items
	if p.NextCursor != "" {
		next := url.Values{}
		for k, v := range f.Values() {
			if k != "account" && k != "limit" {
				next[k] = v
			}
		}
		next.Set("cursor", p.NextCursor)
		d.Next = Prefix + "accounts/" + addr.String() + "?" + next.Encode()
	}
	return d, nil
}

// isUnavailable reports whether err says the API has no index to answer
// from: the API's 503 for a node without one, or a 404 that is not in the
// API's shape (code 0), from an API that does not serve the index's
// endpoints at all.
func isUnavailable(err error) bool {
	var ae *client.APIError
	if !errors.As(err, &ae) {
		return false
	}
	return ae.Status == http.StatusServiceUnavailable || (ae.Status == http.StatusNotFound && ae.Code == 0)
}

// unavailableText is what a page says in place of what the index would
// show.
func unavailableText(err error) string {
	var ae *client.APIError
	if errors.As(err, &ae) && ae.Status == http.StatusServiceUnavailable {
		return ae.Message
	}
	return "This node's API does not serve the index's endpoints."
}

// paramError names the page's parameter name in the API's refusal of the
// value the page passed on as its own; other errors pass unchanged.
func paramError(name string, err error) error {
	var ae *client.APIError
	if errors.As(err, &ae) && ae.Status == http.StatusBadRequest {
		return badRequestf("%s: %s", name, ae.Message)
	}
	return err
}
