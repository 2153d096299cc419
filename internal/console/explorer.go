package console

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/pegledger/peg/internal/aliaskey"
	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/region"
)

// blockRow is one block of the explorer's list.
type blockRow struct {
	Height   int64
	Time     string
	Txs      int
	Proposer string
}

// txRow is one transaction of a block or of the latest list.
type txRow struct {
	N         int
	ID        string
	Kind      string
	Height    int64
	Result    string
	Malformed bool
}

// explorerData is the explorer's front page.
type explorerData struct {
	Status *client.Status
	// Index says how far the index holds the chain, when the lists come
	// from it.
	Index  string
	Blocks []blockRow
	Txs    []txRow
	// Older is the link to the next (older) blocks, "" after block 1.
	Older string
}

// explorer shows where the chain stands, its latest blocks and its latest
// transactions: a page of each from the index, with a cursor for older
// blocks; from a node without an index, MaxBlocksListed blocks read from
// the chain (?before=HEIGHT pages down) and their transactions.
func (c *Console) explorer(r *http.Request) (*view, error) {
	api, err := c.api(r)
	if err != nil {
		return nil, err
	}
	st, err := api.Status(r.Context())
	if err != nil {
		return nil, err
	}
	d := explorerData{Status: st}
	ok, err := d.fromIndex(r, api)
	if err != nil || ok {
		return &view{name: "explorer", title: "Explorer", data: d}, err
	}
	if err := d.fromChain(r, api); err != nil {
		return nil, err
	}
	return &view{name: "explorer", title: "Explorer", data: d}, nil
}

// fromIndex fills d from the index; false if the node has none.
func (d *explorerData) fromIndex(r *http.Request, api *client.Client) (bool, error) {
	ctx := r.Context()
	bs, err := api.HistoryBlocks(ctx, d.Status.ChainID, r.URL.Query().Get("cursor"), PageSize)
	if isUnavailable(err) {
		return false, nil
	}
	if err != nil {
		return true, err
	}
	for _, b := range bs.Items {
		d.Blocks = append(d.Blocks, blockRow{Height: b.Height, Time: when(b.Time), Txs: b.Txs, Proposer: b.Proposer})
	}
	if bs.NextCursor != "" {
		d.Older = Prefix + "?cursor=" + url.QueryEscape(bs.NextCursor)
	}
	txs, err := api.History(ctx, client.HistoryQuery{Code: "any", Limit: PageSize})
	if err != nil {
		return true, err
	}
	for _, t := range txs.Items {
		d.Txs = append(d.Txs, txRow{ID: t.TxID, Kind: t.Kind, Height: t.Height, Result: t.CodeName})
	}
	st, err := api.IndexStatus(ctx)
	if err != nil {
		return true, err
	}
	for _, ch := range st.Chains {
		if ch.ChainID == d.Status.ChainID {
			d.Index = fmt.Sprintf("indexed to block %d of %d", ch.Height, d.Status.Height)
		}
	}
	return true, nil
}

// fromChain fills d from the chain's own blocks, MaxBlocksListed of them
// from ?before= down.
func (d *explorerData) fromChain(r *http.Request, api *client.Client) error {
	top := int64(d.Status.Height)
	if b := r.URL.Query().Get("before"); b != "" {
		h, err := strconv.ParseInt(b, 10, 64)
		if err != nil || h < 2 || h > top+1 {
			return badRequestf("before %q: want a block height from 2 to %d", b, top+1)
		}
		top = h - 1
	}
	for h := top; h >= 1 && h > top-MaxBlocksListed; h-- {
		b, err := api.Block(r.Context(), h)
		if err != nil {
			return err
		}
		d.Blocks = append(d.Blocks, blockRow{Height: b.Height, Time: when(b.Time), Txs: len(b.Txs), Proposer: b.Proposer})
		for _, t := range b.Txs {
			if len(d.Txs) < PageSize {
				d.Txs = append(d.Txs, txRow{ID: t.ID.String(), Kind: t.Kind, Height: b.Height, Malformed: t.Malformed})
			}
		}
	}
	if last := top - MaxBlocksListed + 1; last > 1 {
		d.Older = Prefix + "?before=" + strconv.FormatInt(last, 10)
	}
	return nil
}

// blockData is a block's page.
type blockData struct {
	Block *client.Block
	Time  string
	Txs   []txRow
	// From is the first transaction listed; Next links the next page.
	From, Total     int
	Next            string
	Prev, NextBlock int64
	PageSize        int
}

// block shows a block and one page of its transactions (?from=N).
func (c *Console) block(r *http.Request) (*view, error) {
	h, err := strconv.ParseInt(r.PathValue("height"), 10, 64)
	if err != nil || h < 1 {
		return nil, badRequestf("block %q: want a height from 1", r.PathValue("height"))
	}
	from, err := offsetParam(r)
	if err != nil {
		return nil, err
	}
	api, err := c.api(r)
	if err != nil {
		return nil, err
	}
	b, err := api.Block(r.Context(), h)
	if err != nil {
		return nil, err
	}
	d := blockData{Block: b, Time: when(b.Time), From: from, Total: len(b.Txs), Prev: h - 1, NextBlock: h + 1, PageSize: PageSize}
	for i := from; i < len(b.Txs) && i < from+PageSize; i++ {
		t := b.Txs[i]
		d.Txs = append(d.Txs, txRow{N: i, ID: t.ID.String(), Kind: t.Kind, Height: h, Malformed: t.Malformed})
	}
	if from+PageSize < len(b.Txs) {
		d.Next = fmt.Sprintf("%sblocks/%d?from=%d", Prefix, h, from+PageSize)
	}
	return &view{name: "block", title: fmt.Sprintf("Block %d", h), data: d}, nil
}

// offsetParam reads ?from=, the first row of a page of a list the API
// answers whole (a block's transactions).
func offsetParam(r *http.Request) (int, error) {
	s := r.URL.Query().Get("from")
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, badRequestf("from %q: want a whole number from 0", s)
	}
	return n, nil
}

// coinMove is a coin a transaction spent or created.
type coinMove struct {
	Coin, Owner, Amount string
}

// txData is a transaction's page.
type txData struct {
	Receipt        *client.Receipt
	Time           string
	Spent, Created []coinMove
	// Refused is a receipt with a code other than OK.
	Refused bool
}

// tx shows a transaction's receipt: kind, result, signer, events, and the
// coins it spent and made.
func (c *Console) tx(r *http.Request) (*view, error) {
	id, err := ledger.ParseTxID(r.PathValue("id"))
	if err != nil {
		return nil, badRequestf("transaction %q: want 64 hexadecimal digits", r.PathValue("id"))
	}
	api, err := c.api(r)
	if err != nil {
		return nil, err
	}
	rc, err := api.Tx(r.Context(), id)
	if err != nil {
		return nil, err
	}
	d := txData{Receipt: rc, Time: when(rc.Time), Refused: rc.Code != 0}
	d.Spent, d.Created = coinMoves(rc.Events)
	return &view{name: "tx", title: "Transaction " + short(id.String()), data: d}, nil
}

// coinMoves reads the coins a receipt's coin.spent and coin.created events
// name.
func coinMoves(events []client.Event) (spent, created []coinMove) {
	for _, e := range events {
		if e.Type != "coin.spent" && e.Type != "coin.created" {
			continue
		}
		var m coinMove
		for _, a := range e.Attrs {
			switch a.Key {
			case "coin":
				m.Coin = a.Value
			case "owner":
				m.Owner = a.Value
			case "amount":
				m.Amount = amountOf(a)
			}
		}
		if e.Type == "coin.spent" {
			spent = append(spent, m)
		} else {
			created = append(created, m)
		}
	}
	return spent, created
}

// amountOf is an amount attribute as people read it.
func amountOf(a client.Attr) string {
	if a.Decimal != "" {
		return a.Decimal + " " + a.Unit
	}
	return a.Value
}

// coinData is a coin's page.
type coinData struct {
	ID, Owner, Amount  string
	CreatedTx, SpentTx string
	CreatedHeight      int64
	SpentHeight        int64
	Unknown            bool
	Note               string
}

// coin shows a coin: from the index, who owns it, what made it and what
// spent it; from a node without an index, as the transaction named by
// ?tx= made or spent it.
func (c *Console) coin(r *http.Request) (*view, error) {
	id, err := ledger.ParseCoinID(r.PathValue("id"))
	if err != nil {
		return nil, badRequestf("coin %q: want 64 hexadecimal digits", r.PathValue("id"))
	}
	api, err := c.api(r)
	if err != nil {
		return nil, err
	}
	hc, err := api.HistoryCoin(r.Context(), id.String())
	switch {
	case err == nil:
		d := coinData{ID: hc.CoinID, Owner: hc.Owner, Amount: hc.Amount + " " + hc.Unit, CreatedTx: hc.CreatedTx, CreatedHeight: hc.CreatedHeight,
			SpentTx: hc.SpentTx, SpentHeight: hc.SpentHeight}
		return &view{name: "coin", title: "Coin " + short(d.ID), data: d}, nil
	case !isUnavailable(err):
		return nil, err
	}
	txs := r.URL.Query().Get("tx")
	if txs == "" {
		return nil, notFoundf("coin %s: this node has no index, which finds a coin by its id alone; name the transaction that made or spent it (?tx=ID)", id)
	}
	txID, err := ledger.ParseTxID(txs)
	if err != nil {
		return nil, badRequestf("tx %q: want 64 hexadecimal digits", txs)
	}
	rc, err := api.Tx(r.Context(), txID)
	if err != nil {
		return nil, err
	}
	d := coinData{ID: id.String(), Unknown: true, Note: "This node has no index: the coin is shown as one transaction saw it."}
	spent, created := coinMoves(rc.Events)
	for _, m := range created {
		if m.Coin == d.ID {
			d.Owner, d.Amount, d.CreatedTx, d.CreatedHeight = m.Owner, m.Amount, txID.String(), int64(rc.Height)
		}
	}
	for _, m := range spent {
		if m.Coin == d.ID {
			d.Owner, d.Amount, d.SpentTx, d.SpentHeight = m.Owner, m.Amount, txID.String(), int64(rc.Height)
		}
	}
	if d.Owner == "" {
		return nil, notFoundf("transaction %s neither made nor spent coin %s", txID, id)
	}
	return &view{name: "coin", title: "Coin " + short(d.ID), data: d}, nil
}

// searchData is the search page's, when the search found nothing to go to.
type searchData struct {
	Query   string
	Message string
}

// MaxSearchLen bounds what the search box takes: the longest thing it finds
// is an address or an ID number.
const MaxSearchLen = 128

// search finds what q names and goes to its page: a block height, an
// address, a transaction, a coin or an alias hash (64 hex digits), a token
// id, or a phone or ID number through the alias directory.
func (c *Console) search(r *http.Request) (*view, error) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	nothing := func(format string, args ...any) (*view, error) {
		return &view{name: "search", title: "Search", data: searchData{Query: q, Message: fmt.Sprintf(format, args...)}}, nil
	}
	switch {
	case q == "":
		return nothing("Type a block height, an address, a transaction, coin or alias hash, a token id, or a phone or ID number.")
	case len(q) > MaxSearchLen:
		return nil, badRequestf("a search of %d characters; at most %d", len(q), MaxSearchLen)
	}
	api, err := c.api(r)
	if err != nil {
		return nil, err
	}
	ctx := r.Context()
	if h, err := strconv.ParseInt(q, 10, 64); err == nil && h >= 1 && q[0] != '+' {
		return &view{redirect: fmt.Sprintf("%sblocks/%d", Prefix, h)}, nil
	}
	if a, err := ledger.ParseAddress(q); err == nil {
		return &view{redirect: Prefix + "accounts/" + a.String()}, nil
	}
	if id, err := ledger.ParseTxID(strings.ToLower(q)); err == nil {
		if _, err := api.Tx(ctx, id); err == nil {
			return &view{redirect: Prefix + "txs/" + id.String()}, nil
		} else if !isNotFound(err) {
			return nil, err
		}
		h, _ := ledger.ParseAliasHash(id.String())
		if al, err := api.Alias(ctx, h); err == nil {
			return &view{redirect: Prefix + "accounts/" + al.Address.String()}, nil
		} else if !isNotFound(err) {
			return nil, err
		}
		if _, err := api.HistoryCoin(ctx, id.String()); err == nil {
			return &view{redirect: Prefix + "coins/" + id.String()}, nil
		} else if !isNotFound(err) && !isUnavailable(err) {
			return nil, err
		}
		return nothing("No transaction, coin or alias has the id %s here.", id)
	}
	if tok, err := ledger.ParseTokenID(q); err == nil {
		if _, err := api.Token(ctx, tok); err == nil {
			return &view{redirect: Prefix + "tokens/" + url.PathEscape(string(tok))}, nil
		} else if !isNotFound(err) {
			return nil, err
		}
	}
	v, err := region.ParseValue(q)
	if err != nil {
		return nothing("Nothing is named %q: it is not a block height, an address, a hash, a token, nor a phone or ID number (%v).", q, err)
	}
	key, err := aliaskey.Read(c.cfg.AliasKeyFile)
	if c.cfg.AliasKeyFile == "" || errors.Is(err, os.ErrNotExist) {
		return nothing("%s is a %s number, but this console cannot resolve aliases here: its node holds no alias key.", v, v.Kind())
	}
	if err != nil {
		return nil, err
	}
	al, err := api.Alias(ctx, region.Hash(key, v))
	if isNotFound(err) {
		return nothing("No address is bound to %s on this chain.", v)
	}
	if err != nil {
		return nil, err
	}
	return &view{redirect: Prefix + "accounts/" + al.Address.String()}, nil
}

// isNotFound reports whether err is the API's 404.
func isNotFound(err error) bool {
	var ae *client.APIError
	return errors.As(err, &ae) && ae.Status == http.StatusNotFound
}
