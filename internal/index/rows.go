package index

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/index/idkey"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
	"github.com/pegledger/peg/internal/token"
)

// The rows one or more blocks make, gathered in memory and written in one
// SQL transaction (writer.go). What the rows of a block depend on beyond
// the block (a token's supply, a trade's token, a credit node's token) is
// read from the database through the batch's state, which keeps what the
// batch has changed until it is written.

// billion splits an amount into amt_hi and amt_lo (the schema's header).
var billion = money.FromUint64(1_000_000_000)

// split is a's amt_hi and amt_lo, or an error for an amount the index
// cannot sum exactly (9.2 * 10^27 minor units or more).
func split(a money.Amount) (hi, lo int64, err error) {
	q, r := a.QuoRem(billion)
	h, ok := q.Uint64()
	if !ok || h > math.MaxInt64 {
		return 0, 0, fmt.Errorf("index: the amount %s is beyond what the index sums exactly (below 9.2 * 10^27 minor units)", a)
	}
	l, _ := r.Uint64()
	return int64(h), int64(l), nil
}

// units reads an event's amount in minor units; an absent one is zero.
func units(s string) (money.Amount, error) {
	if s == "" {
		return money.Amount{}, nil
	}
	a, err := money.ParseUnits(s)
	if err != nil {
		return money.Amount{}, fmt.Errorf("index: amount %q: %w", s, err)
	}
	return a, nil
}

func attr(e client.Event, key string) string {
	for _, a := range e.Attrs {
		if a.Key == key {
			return a.Value
		}
	}
	return ""
}

// isAddress reports whether s is an account address rather than a region
// or a status, which some events write under the same keys (from, to).
func isAddress(s string) bool {
	_, err := ledger.ParseAddress(s)
	return err == nil
}

// Contracts gives a token's contract, for what the index writes in its
// decimals and its currency (supply, required reserve). The follower reads
// it from the node (GET /v1/tokens/{id}); only Decimals, Ratio and
// Fiat.Currency are used.
type Contracts func(ctx context.Context, id ledger.TokenID) (token.Contract, error)

// tokenState is a token's row of index_tokens.
type tokenState struct {
	supply          money.Amount
	reserve, status string
	changed         bool
}

// tradeRow is a trade's row as the batch leaves it.
type tradeRow struct {
	chainID, buyer, seller, token, amount, status string
	opened                                        int64
	funded, settled, closed                       *int64
}

// creditRow is a credit request's row as the batch leaves it.
type creditRow struct {
	chainID, node, payer, payee, amount, status string
	opened                                      int64
	paid, repaid                                *int64
}

// coinRow is a coin created in the batch.
type coinRow struct {
	id, owner, token, amount string
	hi, lo                   int64
	height                   int64
	tx                       string
	spentHeight              *int64
	spentTx                  *string
}

// spend is a coin spent in the batch that an earlier batch created.
type spend struct {
	coin, tx string
	height   int64
}

// loader reads, inside the batch's SQL transaction, what earlier batches
// wrote: nil (or "") for what is not there.
type loader interface {
	token(ctx context.Context, chainID, id string) (*tokenState, error)
	trade(ctx context.Context, id string) (*tradeRow, error)
	credit(ctx context.Context, id string) (*creditRow, error)
	creditNode(ctx context.Context, chainID, node string) (string, error)
}

// batch is the rows of consecutive blocks of one chain.
type batch struct {
	chainID, region string
	load            loader
	contracts       Contracts

	blocks, txs, entries, tokenEvents table
	coins                             []*coinRow
	created                           map[string]*coinRow
	spends                            []spend
	tokens                            map[string]*tokenState
	trades                            map[string]*tradeRow
	credits                           map[string]*creditRow
	creditNodes                       map[string]string
	paymentDays                       map[paymentDay]*daySum
	active                            map[activeDay]bool
	last                              *client.BlockReceipts
	receipts                          int
}

func newBatch(chainID, region string, load loader, contracts Contracts) *batch {
	return &batch{chainID: chainID, region: region, load: load, contracts: contracts,
		blocks: table{name: "blocks", cols: blockCols}, txs: table{name: "txs", cols: txCols},
		entries: table{name: "entries", cols: entryCols}, tokenEvents: table{name: "token_events", cols: tokenEventCols},
		created: map[string]*coinRow{}, tokens: map[string]*tokenState{}, trades: map[string]*tradeRow{},
		credits: map[string]*creditRow{}, creditNodes: map[string]string{},
		paymentDays: map[paymentDay]*daySum{}, active: map[activeDay]bool{}}
}

// paymentDay is a payment_days row's key: accepted payments of one day,
// token, region and payee region (the chain is the batch's).
type paymentDay struct {
	day, token, region, payeeRegion string
}

// daySum is what a payment_days row adds up: the payments and their
// amounts (hi * 10^9 + lo, lo kept below 10^9).
type daySum struct {
	payments, hi, lo int64
}

// activeDay is an active_days row: an address with an entry on a day.
type activeDay struct {
	day, address string
}

// isPayment reports whether a transaction of kind is a payment, as the
// analyses count them (payment_days).
func isPayment(kind string) bool { return kind == "pay" || kind == "spend_from" }

var (
	blockCols      = []string{"chain_id", "height", "time_ns", "day", "hash", "app_hash", "proposer", "txs"}
	txCols         = []string{"chain_id", "region", "height", "idx", "tx_id", "tx_key", "time_ns", "day", "kind", "signer", "code", "code_name", "token", "amount", "amt_hi", "amt_lo", "payer", "payee", "payee_region", "fee"}
	entryCols      = []string{"address", "chain_id", "region", "height", "idx", "tx_id", "time_ns", "kind", "token", "counterparty", "amount_in", "amount_out", "net_hi", "net_lo"}
	tokenEventCols = []string{"chain_id", "height", "idx", "seq", "time_ns", "day", "token", "type", "tx_id", "address", "amount", "supply", "reserve", "required", "currency", "status"}
)

// add gathers one whole block's rows.
func (b *batch) add(ctx context.Context, blk *client.BlockReceipts) error {
	t := blk.Time.UnixNano()
	day := blk.Time.UTC().Format(time.DateOnly)
	b.blocks.add(b.chainID, blk.Height, t, day, blk.Hash, blk.AppHash, blk.Proposer, blk.Txs)
	for i := range blk.Receipts {
		if err := b.receipt(ctx, blk, &blk.Receipts[i], t, day); err != nil {
			return fmt.Errorf("index: block %d, transaction %s: %w", blk.Height, blk.Receipts[i].TxID, err)
		}
	}
	for seq, e := range blk.Events {
		if err := b.tokenEvent(ctx, blk.Height, blk.Txs, seq, t, day, "", e); err != nil {
			return fmt.Errorf("index: block %d, its own event %s: %w", blk.Height, e.Type, err)
		}
	}
	b.receipts += len(blk.Receipts)
	b.last = blk
	return nil
}

// moved is what a transaction moved: its token, its amount to others than
// the signer, its payer and first payee, and the payee's region for a
// transfer out.
type moved struct {
	token, payer, payee, payeeRegion string
	amount                           money.Amount
	fee                              money.Amount
	charged                          bool
}

// receipt gathers one transaction's rows.
func (b *batch) receipt(ctx context.Context, blk *client.BlockReceipts, rc *client.Receipt, t int64, day string) error {
	var m moved
	var err error
	if rc.Code == ledger.OK {
		if m, err = b.what(ctx, rc); err != nil {
			return err
		}
	}
	hi, lo, err := split(m.amount)
	if err != nil {
		return err
	}
	fee := ""
	if m.charged {
		fee = m.fee.String()
	}
	id := rc.TxID.String()
	b.txs.add(b.chainID, b.region, blk.Height, int64(rc.Index), id, idkey.Of(id), t, day, rc.Kind, rc.Signer.String(), int64(rc.Code),
		rc.Name, m.token, m.amount.String(), hi, lo, m.payer, m.payee, m.payeeRegion, fee)
	if rc.Code != ledger.OK {
		return nil
	}
	if isPayment(rc.Kind) {
		if err := b.addPayment(paymentDay{day: day, token: m.token, region: b.region, payeeRegion: m.payeeRegion}, hi, lo); err != nil {
			return err
		}
	}
	if err := b.coinRows(rc, blk.Height, m.token); err != nil {
		return err
	}
	if err := b.entryRows(rc, blk.Height, t, day, m); err != nil {
		return err
	}
	for seq, e := range rc.Events {
		if err := b.tokenEvent(ctx, blk.Height, int(rc.Index), seq, t, day, id, e); err != nil {
			return err
		}
		if err := b.step(ctx, e, t); err != nil {
			return err
		}
	}
	return nil
}

// what finds what an accepted transaction moved, from its events: the
// first event of the kind's own (not a coin's or a fee's) names the token,
// the amount and the parties; a payment's payee is its first coin to
// another than the signer.
func (b *batch) what(ctx context.Context, rc *client.Receipt) (moved, error) {
	var m moved
	signer := rc.Signer.String()
	var own *client.Event
	for i, e := range rc.Events {
		switch e.Type {
		case "coin.created":
			if o := attr(e, "owner"); m.payee == "" && o != signer {
				m.payee = o
			}
		case "coin.spent":
		case "fee.charged":
			a, err := units(attr(e, "amount"))
			if err != nil {
				return m, err
			}
			var ok bool
			if m.fee, ok = m.fee.Add(a); !ok {
				return m, fmt.Errorf("index: the fees charged overflow")
			}
			m.charged = true
		default:
			if own == nil {
				own = &rc.Events[i]
			}
		}
	}
	tok, err := b.tokenOf(ctx, rc)
	if err != nil {
		return m, err
	}
	m.token = tok
	if own == nil {
		return m, nil
	}
	if m.amount, err = units(attr(*own, "amount")); err != nil {
		return m, err
	}
	for _, k := range []string{"payer", "from", "holder", "buyer", "owner", "minter"} {
		if v := attr(*own, k); v != "" && isAddress(v) {
			m.payer = v
			break
		}
	}
	for _, k := range []string{"payee", "to", "seller"} {
		if v := attr(*own, k); v != "" && isAddress(v) {
			m.payee = v
			break
		}
	}
	if own.Type == "transfer.out" {
		m.payeeRegion = attr(*own, "to")
	}
	return m, nil
}

// tokenOf is the token a transaction moved: the first its events name, or
// for a credit step the node's, for a trade step the trade's.
func (b *batch) tokenOf(ctx context.Context, rc *client.Receipt) (string, error) {
	for _, e := range rc.Events {
		if v := attr(e, "token"); v != "" && !strings.HasPrefix(e.Type, "fee.") {
			return v, nil
		}
	}
	for _, e := range rc.Events {
		if node := attr(e, "node"); node != "" {
			return b.nodeToken(ctx, node)
		}
		if id := attr(e, "trade"); id != "" {
			tr, err := b.trade(ctx, id)
			if err != nil || tr == nil {
				return "", err
			}
			return tr.token, nil
		}
	}
	for _, e := range rc.Events {
		if v := attr(e, "token"); v != "" {
			return v, nil // a fee deposit's or collection's
		}
	}
	return "", nil
}

func (b *batch) nodeToken(ctx context.Context, node string) (string, error) {
	if tok, ok := b.creditNodes[node]; ok {
		return tok, nil
	}
	tok, err := b.load.creditNode(ctx, b.chainID, node)
	if err != nil {
		return "", err
	}
	b.creditNodes[node] = tok
	return tok, nil
}

// coinRows records the coins a transaction created and spent.
func (b *batch) coinRows(rc *client.Receipt, height int64, tok string) error {
	id := rc.TxID.String()
	for _, e := range rc.Events {
		switch e.Type {
		case "coin.created":
			a, err := units(attr(e, "amount"))
			if err != nil {
				return err
			}
			hi, lo, err := split(a)
			if err != nil {
				return err
			}
			c := &coinRow{id: attr(e, "coin"), owner: attr(e, "owner"), token: tok, amount: a.String(), hi: hi, lo: lo,
				height: height, tx: id}
			b.coins = append(b.coins, c)
			b.created[c.id] = c
		case "coin.spent":
			coin := attr(e, "coin")
			if c, ok := b.created[coin]; ok {
				h, tx := height, id
				c.spentHeight, c.spentTx = &h, &tx
				continue
			}
			b.spends = append(b.spends, spend{coin: coin, tx: id, height: height})
		}
	}
	return nil
}

// flow is what a transaction moved into and out of one address.
type flow struct {
	in, out money.Amount
}

// entryRows writes one entry per address a transaction touched (its
// coins' owners, and its signer): what the address received and spent, and
// who was on the other side, as the wallet server's records name it (the
// payer for what came in, the first other payee for what went out).
func (b *batch) entryRows(rc *client.Receipt, height, t int64, day string, m moved) error {
	by := map[string]*flow{}
	var order, payees []string
	get := func(owner string) *flow {
		f, ok := by[owner]
		if !ok {
			f = &flow{}
			by[owner] = f
			order = append(order, owner)
		}
		return f
	}
	signer := rc.Signer.String()
	get(signer)
	for _, e := range rc.Events {
		if e.Type != "coin.created" && e.Type != "coin.spent" {
			continue
		}
		owner := attr(e, "owner")
		a, err := units(attr(e, "amount"))
		if err != nil {
			return err
		}
		f := get(owner)
		var ok bool
		if e.Type == "coin.created" {
			f.in, ok = f.in.Add(a)
			payees = append(payees, owner)
		} else {
			f.out, ok = f.out.Add(a)
		}
		if !ok {
			return fmt.Errorf("index: %s's amounts overflow", owner)
		}
	}
	id := rc.TxID.String()
	for _, addr := range order {
		f := by[addr]
		counterparty := ""
		switch {
		case f.in.Cmp(f.out) > 0:
			counterparty = signer
			if m.payer != "" {
				counterparty = m.payer
			}
		default:
			for _, p := range payees {
				if p != addr {
					counterparty = p
					break
				}
			}
			if counterparty == "" && m.payee != "" {
				counterparty = m.payee
			}
		}
		if counterparty == addr {
			counterparty = ""
		}
		hi, lo, err := signedSplit(f.in, f.out)
		if err != nil {
			return err
		}
		b.entries.add(addr, b.chainID, b.region, height, int64(rc.Index), id, t, rc.Kind, m.token, counterparty,
			f.in.String(), f.out.String(), hi, lo)
		b.active[activeDay{day: day, address: addr}] = true
	}
	return nil
}

// addPayment adds a payment of hi * 10^9 + lo to its day's sum, or
// refuses a sum the index cannot hold exactly (the bound of split).
func (b *batch) addPayment(k paymentDay, hi, lo int64) error {
	d := b.paymentDays[k]
	if d == nil {
		d = &daySum{}
		b.paymentDays[k] = d
	}
	lo += d.lo
	hi += lo / 1_000_000_000
	if hi > math.MaxInt64-d.hi {
		return fmt.Errorf("index: the payments of %s on %s sum beyond what the index sums exactly (below 9.2 * 10^27 minor units)", k.token, k.day)
	}
	d.payments++
	d.hi, d.lo = d.hi+hi, lo%1_000_000_000
	return nil
}

// signedSplit is in − out as net_hi, net_lo, both of its sign.
func signedSplit(in, out money.Amount) (int64, int64, error) {
	if in.Cmp(out) >= 0 {
		d, _ := in.Sub(out)
		return split(d)
	}
	d, _ := out.Sub(in)
	hi, lo, err := split(d)
	return -hi, -lo, err
}

// tokenEvent writes a token_events row for an event that changes a
// token's supply or reserve or moves it across regions, with the token's
// standing after it.
func (b *batch) tokenEvent(ctx context.Context, height int64, idx, seq int, t int64, day, txID string, e client.Event) error {
	var address string
	delta := 0 // +1 adds the amount to the supply, −1 takes it off
	switch e.Type {
	case "mint":
		address, delta = attr(e, "to"), 1
	case "redeem":
		address, delta = attr(e, "holder"), -1
	case "seize":
		address = attr(e, "holder")
	case "transfer.out", "transfer.refunded", "transfer.returned":
		address = attr(e, "payer")
	case "transfer.in":
		address = attr(e, "payee")
	case "reserve.attested", "reserve.status":
	default:
		return nil
	}
	id := attr(e, "token")
	st, err := b.token(ctx, id)
	if err != nil {
		return err
	}
	c, err := b.contracts(ctx, ledger.TokenID(id))
	if err != nil {
		return fmt.Errorf("index: token %s: %w", id, err)
	}
	amount, err := units(attr(e, "amount"))
	if err != nil {
		return err
	}
	if e.Type == "reserve.attested" || e.Type == "reserve.status" {
		amount = money.Amount{}
	}
	var ok bool
	switch delta {
	case 1:
		st.supply, ok = st.supply.Add(amount)
	case -1:
		st.supply, ok = st.supply.Sub(amount)
	default:
		ok = true
	}
	if !ok {
		return fmt.Errorf("index: token %s: %s of %s takes its supply out of range", id, e.Type, amount)
	}
	switch e.Type {
	case "reserve.attested":
		st.reserve, st.status = attr(e, "balance"), attr(e, "status")
	case "reserve.status":
		st.status = attr(e, "to")
		if v := attr(e, "balance"); v != "" {
			st.reserve = v
		}
	}
	st.changed = true
	cur := c.Fiat.Currency
	b.tokenEvents.add(b.chainID, height, int64(idx), int64(seq), t, day, id, e.Type, txID, address, amount.String(),
		c.FormatAmount(st.supply), st.reserve, c.FiatFor(st.supply).Format(cur.Digits), cur.Code, st.status)
	return nil
}

func (b *batch) token(ctx context.Context, id string) (*tokenState, error) {
	if st, ok := b.tokens[id]; ok {
		return st, nil
	}
	st, err := b.load.token(ctx, b.chainID, id)
	if err != nil {
		return nil, err
	}
	if st == nil {
		st = &tokenState{}
	}
	b.tokens[id] = st
	return st, nil
}

func (b *batch) trade(ctx context.Context, id string) (*tradeRow, error) {
	if tr, ok := b.trades[id]; ok {
		return tr, nil
	}
	tr, err := b.load.trade(ctx, id)
	if err != nil || tr == nil {
		return nil, err
	}
	b.trades[id] = tr
	return tr, nil
}

func (b *batch) credit(ctx context.Context, id string) (*creditRow, error) {
	if cr, ok := b.credits[id]; ok {
		return cr, nil
	}
	cr, err := b.load.credit(ctx, id)
	if err != nil || cr == nil {
		return nil, err
	}
	b.credits[id] = cr
	return cr, nil
}

// step follows trades, credit requests and credit nodes through their
// events.
func (b *batch) step(ctx context.Context, e client.Event, t int64) error {
	switch {
	case e.Type == "credit.node":
		b.creditNodes[attr(e, "node")] = attr(e, "token")
	case strings.HasPrefix(e.Type, "trade.") && attr(e, "trade") != "":
		return b.tradeStep(ctx, e, t)
	case strings.HasPrefix(e.Type, "credit.") && attr(e, "request") != "":
		return b.creditStep(ctx, e, t)
	}
	return nil
}

func (b *batch) tradeStep(ctx context.Context, e client.Event, t int64) error {
	id := attr(e, "trade")
	tr, err := b.trade(ctx, id)
	if err != nil {
		return err
	}
	status := strings.TrimPrefix(e.Type, "trade.")
	if tr == nil {
		if e.Type != "trade.offered" {
			return nil // a trade offered before the index began: nothing to follow
		}
		tr = &tradeRow{chainID: b.chainID, opened: t}
		b.trades[id] = tr
	}
	tr.status = status
	if v := attr(e, "buyer"); v != "" {
		tr.buyer = v
	}
	if v := attr(e, "seller"); v != "" {
		tr.seller = v
	}
	if v := attr(e, "token"); v != "" {
		tr.token = v
	}
	if v := attr(e, "amount"); v != "" && (e.Type == "trade.offered" || e.Type == "trade.countered") {
		tr.amount = v
	}
	at := t
	switch e.Type {
	case "trade.funded":
		tr.funded = &at
	case "trade.settled":
		tr.settled, tr.closed = &at, &at
	case "trade.resolved":
		tr.closed = &at
		if r := attr(e, "released"); r != "" && r != "0" {
			tr.settled = &at
		}
	case "trade.cancelled":
		tr.closed = &at
	}
	return nil
}

func (b *batch) creditStep(ctx context.Context, e client.Event, t int64) error {
	id := attr(e, "request")
	cr, err := b.credit(ctx, id)
	if err != nil {
		return err
	}
	if cr == nil {
		if e.Type != "credit.requested" {
			return nil // a request made before the index began
		}
		cr = &creditRow{chainID: b.chainID, node: attr(e, "node"), payer: attr(e, "payer"), payee: attr(e, "payee"),
			amount: attr(e, "amount"), opened: t}
		b.credits[id] = cr
	}
	at := t
	switch e.Type {
	case "credit.requested":
		if cr.status == "" {
			cr.status = "requested"
		}
		return nil
	case "credit.paid":
		cr.paid = &at
		cr.status = "paid"
	case "credit.received":
		cr.status = "received"
	case "credit.repaid":
		cr.status = "repaying"
		if attr(e, "owed") == "0" {
			cr.repaid, cr.status = &at, "repaid"
		}
	}
	return nil
}

// table gathers the rows of one table, their values in column order.
type table struct {
	name string
	cols []string
	vals []any
}

func (t *table) add(vals ...any) {
	if len(vals) != len(t.cols) {
		panic(fmt.Sprintf("index: %d values for the %d columns of %s", len(vals), len(t.cols), t.name))
	}
	t.vals = append(t.vals, vals...)
}

func (t *table) rows() int { return len(t.vals) / len(t.cols) }

// placeholders writes n rows of k placeholders: $1, $2… for PostgreSQL,
// ? for SQLite, whose driver looks each numbered one up by name, a cost
// that grows with the statement's placeholders.
func placeholders(sb *strings.Builder, n, k int, postgres bool) {
	for r := range n {
		if r > 0 {
			sb.WriteByte(',')
		}
		sb.WriteByte('(')
		for c := range k {
			if c > 0 {
				sb.WriteByte(',')
			}
			if !postgres {
				sb.WriteByte('?')
				continue
			}
			sb.WriteByte('$')
			sb.WriteString(strconv.Itoa(1 + r*k + c))
		}
		sb.WriteByte(')')
	}
}
