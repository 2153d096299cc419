package query

import (
	"context"
	"database/sql"
	"encoding/csv"
	"fmt"
	"io"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/index/idkey"
)

var (
	addressRE = regexp.MustCompile(`^peg1[02-9ac-hj-np-z]{6,120}$`)
	tokenRE   = regexp.MustCompile(`^[a-z][a-z0-9-]{1,31}$`)
	kindRE    = regexp.MustCompile(`^[a-z][a-z_]{0,39}$`)
	regionRE  = regexp.MustCompile(`^[A-Z]{2}(-[A-Z0-9]{1,3})?$`)
	statusRE  = regexp.MustCompile(`^[A-Za-z_]{1,40}$`)
	hexRE     = regexp.MustCompile(`^[0-9a-fA-F]{64}$`)
)

// historyFilter is a GET /v1/history request, read and checked.
type historyFilter struct {
	q        client.HistoryQuery
	min, max *big.Int
	span     span
	limit    int
	key      []string // the cursor's key: time_ns, chain_id, height, idx
}

// pattern checks an optional parameter against re.
func pattern(name, v string, re *regexp.Regexp, what string) error {
	if v == "" {
		return nil
	}
	if err := textParam(name, v); err != nil {
		return err
	}
	if !re.MatchString(v) {
		return invalid("%s: %q is not %s", name, clip(v), what)
	}
	return nil
}

func limitOf(n int) (int, error) {
	switch {
	case n == 0:
		return DefaultHistoryPage, nil
	case n < 0 || n > MaxHistoryPage:
		return 0, invalid("limit: %d; a page holds 1 to %d items", n, MaxHistoryPage)
	}
	return n, nil
}

// readHistory checks every parameter of q.
func (r *Reader) readHistory(q client.HistoryQuery, tc *tokenCache) (*historyFilter, error) {
	f := &historyFilter{q: q}
	for _, p := range []struct {
		name, v string
		re      *regexp.Regexp
		what    string
	}{
		{"account", q.Account, addressRE, "an address (peg1…)"},
		{"counterparty", q.Counterparty, addressRE, "an address (peg1…)"},
		{"token", q.Token, tokenRE, "a token id"},
		{"kind", q.Kind, kindRE, "a transaction kind"},
		{"region", q.Region, regionRE, "a region (GB, US-NY)"},
		{"trade_status", q.TradeStatus, statusRE, "a trade status"},
	} {
		if err := pattern(p.name, p.v, p.re, p.what); err != nil {
			return nil, err
		}
	}
	if q.Counterparty != "" && q.Account == "" {
		return nil, invalid("counterparty: needs account (an account's entries name their counterparty)")
	}
	switch q.Code {
	case "", "ok", "any":
	case "refused":
		if q.Account != "" {
			return nil, invalid("code: refused with account: an account's history holds accepted transactions only")
		}
	default:
		return nil, invalid("code: %q; ok, refused or any", clip(q.Code))
	}
	var err error
	if f.limit, err = limitOf(q.Limit); err != nil {
		return nil, err
	}
	for _, b := range []struct {
		name, v string
		to      **big.Int
	}{{"min", q.Min, &f.min}, {"max", q.Max, &f.max}} {
		if b.v == "" {
			continue
		}
		if q.Token == "" {
			return nil, invalid("%s: needs token (an amount is in a token's units)", b.name)
		}
		t := tc.get(q.Token)
		if !t.known {
			t.Decimals = 0 // an unknown token's amounts are its minor units
		}
		v, ok := parseUnits(b.v, t.Decimals)
		if !ok {
			return nil, invalid("%s: %q is not an amount of %s (a decimal with at most %d places)", b.name, clip(b.v), q.Token, t.Decimals)
		}
		if _, _, ok := split(v); !ok {
			return nil, invalid("%s: %q is beyond the amounts the index holds", b.name, clip(b.v))
		}
		*b.to = v
	}
	if q.From != "" {
		if f.span.from, err = parseTime("from", q.From, false); err != nil {
			return nil, err
		}
	}
	if q.To != "" {
		if f.span.to, err = parseTime("to", q.To, true); err != nil {
			return nil, err
		}
	}
	if q.Cursor != "" {
		if len(q.Cursor) > 400 {
			return nil, invalid("cursor: %d characters; not a cursor this query gave", len(q.Cursor))
		}
		if f.key, err = decodeCursor(historyScope(q), q.Cursor, 4); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// historyScope is the filters a cursor is bound to: every parameter but
// the cursor and the page size.
func historyScope(q client.HistoryQuery) string {
	q.Cursor, q.Limit = "", 0
	if q.Code == "" {
		q.Code = "ok"
	}
	return "history?" + q.Values().Encode()
}

// History answers GET /v1/history.
func (r *Reader) History(ctx context.Context, q client.HistoryQuery) (*client.HistoryPage, error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	tc := r.cache()
	f, err := r.readHistory(q, tc)
	if err != nil {
		return nil, err
	}
	text, a, err := historySQL(f)
	if err != nil {
		return nil, err
	}
	rows, err := r.db.QueryContext(ctx, text, a...)
	if err != nil {
		return nil, fmt.Errorf("query: history: %w", err)
	}
	defer rows.Close()
	page := &client.HistoryPage{Items: []client.HistoryItem{}}
	var last []string
	for rows.Next() {
		if len(page.Items) == f.limit {
			page.NextCursor = encodeCursor(historyScope(q), last)
			break
		}
		it, key, err := scanItem(rows, q.Account != "", tc)
		if err != nil {
			return nil, err
		}
		page.Items = append(page.Items, it)
		last = key
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("query: history: %w", err)
	}
	return page, nil
}

const itemColumns = `t.chain_id, t.region, t.height, t.idx, t.tx_id, t.time_ns, t.kind, t.code, t.code_name, t.signer,
	t.token, t.amount, t.payer, t.payee, t.payee_region, t.fee`

// historySQL writes the page's query. With an account it walks the
// account's entries (their key); otherwise the transactions along the
// most selective index a filter allows (00003_query.sql). Both end at
// limit+1 rows, the one past the page telling that another follows.
func historySQL(f *historyFilter) (string, args, error) {
	var a args
	var where []string
	t := "t"
	from := "txs t"
	cols := itemColumns
	if f.q.Account != "" {
		t = "e"
		from = "entries e JOIN txs t ON t.chain_id = e.chain_id AND t.height = e.height AND t.idx = e.idx"
		cols += ", e.counterparty, e.amount_in, e.amount_out"
		where = append(where, "e.address = "+a.add(f.q.Account))
		if f.q.Counterparty != "" {
			where = append(where, "e.counterparty = "+a.add(f.q.Counterparty))
		}
		if f.q.Token != "" {
			where = append(where, "e.token = "+a.add(f.q.Token))
		}
		if f.q.Kind != "" {
			where = append(where, "e.kind = "+a.add(f.q.Kind))
		}
	} else {
		switch f.q.Code {
		case "", "ok":
			where = append(where, "t.code = 0")
		case "refused":
			where = append(where, "t.code <> 0")
		}
		if f.q.Token != "" {
			where = append(where, "t.token = "+a.add(f.q.Token))
		}
		if f.q.Kind != "" {
			where = append(where, "t.kind = "+a.add(f.q.Kind))
		}
	}
	if f.q.Region != "" {
		where = append(where, "t.region = "+a.add(f.q.Region))
	}
	if f.q.TradeStatus != "" {
		// The trades' keys find their transactions (txs_key); the ids
		// then decide, as two ids may share a key.
		st := a.add(f.q.TradeStatus)
		where = append(where, "t.tx_key IN (SELECT trade_key FROM trades WHERE status = "+st+")",
			"t.tx_id IN (SELECT trade_id FROM trades WHERE status = "+st+")")
	}
	if !f.span.from.IsZero() {
		where = append(where, t+".time_ns >= "+a.add(f.span.from.UnixNano()))
	}
	if !f.span.to.IsZero() {
		where = append(where, t+".time_ns < "+a.add(f.span.to.UnixNano()))
	}
	if f.min != nil {
		hi, lo, _ := split(f.min)
		h := a.add(hi)
		where = append(where, fmt.Sprintf("(t.amt_hi > %s OR (t.amt_hi = %s AND t.amt_lo >= %s))", h, h, a.add(lo)))
	}
	if f.max != nil {
		hi, lo, _ := split(f.max)
		h := a.add(hi)
		where = append(where, fmt.Sprintf("(t.amt_hi < %s OR (t.amt_hi = %s AND t.amt_lo <= %s))", h, h, a.add(lo)))
	}
	if f.key != nil {
		ns, err := int64Field(f.key[0])
		if err != nil {
			return "", nil, err
		}
		height, err := int64Field(f.key[2])
		if err != nil {
			return "", nil, err
		}
		idx, err := int64Field(f.key[3])
		if err != nil {
			return "", nil, err
		}
		where = append(where, fmt.Sprintf("(%[1]s.time_ns, %[1]s.chain_id, %[1]s.height, %[1]s.idx) < (%s, %s, %s, %s)",
			t, a.add(ns), a.add(f.key[1]), a.add(height), a.add(idx)))
	}
	text := "SELECT " + cols + " FROM " + from
	if len(where) > 0 {
		text += " WHERE " + strings.Join(where, " AND ")
	}
	text += fmt.Sprintf(" ORDER BY %[1]s.time_ns DESC, %[1]s.chain_id DESC, %[1]s.height DESC, %[1]s.idx DESC LIMIT %s", t, a.add(f.limit+1))
	return text, a, nil
}

// scanItem reads a row of itemColumns (and the entry's, with account) and
// returns it with its cursor key.
func scanItem(rows *sql.Rows, account bool, tc *tokenCache) (client.HistoryItem, []string, error) {
	var it client.HistoryItem
	var ns int64
	dest := []any{&it.ChainID, &it.Region, &it.Height, &it.Index, &it.TxID, &ns, &it.Kind, &it.Code, &it.CodeName, &it.Signer,
		&it.Token, &it.Units, &it.Payer, &it.Payee, &it.PayeeRegion, &it.Fee}
	if account {
		dest = append(dest, &it.Counterparty, &it.AmountIn, &it.AmountOut)
	}
	if err := rows.Scan(dest...); err != nil {
		return it, nil, fmt.Errorf("query: reading a transaction: %w", err)
	}
	it.Time = time.Unix(0, ns).UTC()
	it.Amount, it.Unit = tc.amount(it.Token, it.Units)
	if account {
		it.Direction = direction(it.AmountIn, it.AmountOut)
		it.AmountIn, _ = tc.amount(it.Token, it.AmountIn)
		it.AmountOut, _ = tc.amount(it.Token, it.AmountOut)
	}
	key := []string{strconv.FormatInt(ns, 10), it.ChainID, strconv.FormatInt(it.Height, 10), strconv.Itoa(it.Index)}
	return it, key, nil
}

// direction is an entry's side: in when it received more than it spent,
// out when it spent more, self when both are equal (a payment to itself,
// or a transaction that moved none of its money).
func direction(in, out string) string {
	i, _ := new(big.Int).SetString(orZero(in), 10)
	o, _ := new(big.Int).SetString(orZero(out), 10)
	if i == nil || o == nil {
		return "self"
	}
	switch i.Cmp(o) {
	case 1:
		return "in"
	case -1:
		return "out"
	}
	return "self"
}

func orZero(s string) string {
	if s == "" {
		return "0"
	}
	return s
}

// CSVHeader is the header line of the CSV export, one column per JSON
// field of client.HistoryItem.
var CSVHeader = []string{"tx_id", "chain_id", "region", "height", "index", "time", "kind", "code", "code_name", "signer",
	"token", "amount", "units", "unit", "payer", "payee", "payee_region", "fee", "direction", "amount_in", "amount_out", "counterparty"}

// WriteCSV writes items as CSV, header first (header false leaves it out,
// for the pages after the first of one export).
func WriteCSV(w io.Writer, items []client.HistoryItem, header bool) error {
	cw := csv.NewWriter(w)
	if header {
		cw.Write(CSVHeader)
	}
	for _, it := range items {
		cw.Write([]string{it.TxID, it.ChainID, it.Region, strconv.FormatInt(it.Height, 10), strconv.Itoa(it.Index),
			it.Time.Format(time.RFC3339Nano), it.Kind, strconv.FormatUint(uint64(it.Code), 10), it.CodeName, it.Signer,
			it.Token, it.Amount, it.Units, it.Unit, it.Payer, it.Payee, it.PayeeRegion, it.Fee,
			it.Direction, it.AmountIn, it.AmountOut, it.Counterparty})
	}
	cw.Flush()
	return cw.Error()
}

// Blocks answers GET /v1/history/blocks.
func (r *Reader) Blocks(ctx context.Context, chainID, cursor string, limit int) (*client.HistoryBlockPage, error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	if err := textParam("chain_id", chainID); err != nil {
		return nil, err
	}
	n, err := limitOf(limit)
	if err != nil {
		return nil, err
	}
	scope := "blocks?" + chainID
	var a args
	var where []string
	if chainID != "" {
		where = append(where, "b.chain_id = "+a.add(chainID))
	}
	if cursor != "" {
		key, err := decodeCursor(scope, cursor, 3)
		if err != nil {
			return nil, err
		}
		ns, err := int64Field(key[0])
		if err != nil {
			return nil, err
		}
		h, err := int64Field(key[2])
		if err != nil {
			return nil, err
		}
		where = append(where, fmt.Sprintf("(b.time_ns, b.chain_id, b.height) < (%s, %s, %s)", a.add(ns), a.add(key[1]), a.add(h)))
	}
	text := `SELECT b.chain_id, COALESCE(c.region, ''), b.height, b.time_ns, b.hash, b.proposer, b.txs
		FROM blocks b LEFT JOIN chains c ON c.chain_id = b.chain_id`
	if len(where) > 0 {
		text += " WHERE " + strings.Join(where, " AND ")
	}
	text += " ORDER BY b.time_ns DESC, b.chain_id DESC, b.height DESC LIMIT " + a.add(n+1)
	rows, err := r.db.QueryContext(ctx, text, a...)
	if err != nil {
		return nil, fmt.Errorf("query: blocks: %w", err)
	}
	defer rows.Close()
	page := &client.HistoryBlockPage{Items: []client.HistoryBlock{}}
	var last []string
	for rows.Next() {
		if len(page.Items) == n {
			page.NextCursor = encodeCursor(scope, last)
			break
		}
		var b client.HistoryBlock
		var ns int64
		if err := rows.Scan(&b.ChainID, &b.Region, &b.Height, &ns, &b.Hash, &b.Proposer, &b.Txs); err != nil {
			return nil, fmt.Errorf("query: reading a block: %w", err)
		}
		b.Time = time.Unix(0, ns).UTC()
		page.Items = append(page.Items, b)
		last = []string{strconv.FormatInt(ns, 10), b.ChainID, strconv.FormatInt(b.Height, 10)}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("query: blocks: %w", err)
	}
	return page, nil
}

// Tx answers GET /v1/history/txs/{id}: ErrNotFound if the index does not
// hold it.
func (r *Reader) Tx(ctx context.Context, id string) (*client.HistoryTx, error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	if !hexRE.MatchString(id) {
		return nil, invalid("id: %q is not a transaction id (64 hex digits)", clip(id))
	}
	id = strings.ToLower(id)
	rows, err := r.db.QueryContext(ctx, "SELECT "+itemColumns+" FROM txs t WHERE t.tx_key = $1 AND t.tx_id = $2 ORDER BY t.chain_id LIMIT 1",
		idkey.Of(id), id)
	if err != nil {
		return nil, fmt.Errorf("query: transaction: %w", err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("query: transaction: %w", err)
		}
		return nil, fmt.Errorf("%w: no transaction %s", ErrNotFound, id)
	}
	tc := r.cache()
	var v client.HistoryTx
	var ns int64
	it := &v.HistoryItem
	if err := rows.Scan(&it.ChainID, &it.Region, &it.Height, &it.Index, &it.TxID, &ns, &it.Kind, &it.Code, &it.CodeName, &it.Signer,
		&it.Token, &it.Units, &it.Payer, &it.Payee, &it.PayeeRegion, &it.Fee); err != nil {
		return nil, fmt.Errorf("query: reading a transaction: %w", err)
	}
	it.Time = time.Unix(0, ns).UTC()
	it.Amount, it.Unit = tc.amount(it.Token, it.Units)
	return &v, rows.Err()
}

// Coin answers GET /v1/history/coins/{id}: ErrNotFound if the index does
// not hold it.
func (r *Reader) Coin(ctx context.Context, id string) (*client.HistoryCoin, error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	if err := textParam("id", id); err != nil {
		return nil, err
	}
	var c client.HistoryCoin
	var spentH sql.NullInt64
	var spentTx sql.NullString
	err := r.db.QueryRowContext(ctx, `SELECT coin_id, owner, token, amount, created_tx, created_height, spent_tx, spent_height
		FROM coins WHERE coin_key = $1 AND coin_id = $2`, idkey.Of(id), id).Scan(&c.CoinID, &c.Owner, &c.Token, &c.Units, &c.CreatedTx, &c.CreatedHeight, &spentTx, &spentH)
	if err == sql.ErrNoRows {
		return nil, fmt.Errorf("%w: no coin %s", ErrNotFound, clip(id))
	}
	if err != nil {
		return nil, fmt.Errorf("query: coin: %w", err)
	}
	c.SpentTx, c.SpentHeight = spentTx.String, spentH.Int64
	c.Amount, c.Unit = r.cache().amount(c.Token, c.Units)
	return &c, nil
}

// Status answers GET /v1/history/status.
func (r *Reader) Status(ctx context.Context) (*client.IndexStatus, error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	rows, err := r.db.QueryContext(ctx, `SELECT chain_id, region, height, time_ns, block_hash FROM chains ORDER BY chain_id LIMIT 1000`)
	if err != nil {
		return nil, fmt.Errorf("query: chains: %w", err)
	}
	defer rows.Close()
	st := &client.IndexStatus{Chains: []client.IndexChain{}}
	for rows.Next() {
		var c client.IndexChain
		var ns int64
		if err := rows.Scan(&c.ChainID, &c.Region, &c.Height, &ns, &c.BlockHash); err != nil {
			return nil, fmt.Errorf("query: reading a chain: %w", err)
		}
		c.Time = time.Unix(0, ns).UTC()
		st.Chains = append(st.Chains, c)
	}
	return st, rows.Err()
}
