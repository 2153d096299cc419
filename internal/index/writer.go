package index

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/index/idkey"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/sqldb"
	"github.com/pegledger/peg/internal/token"
)

// ChunkRows is how many rows one prepared INSERT writes: each statement
// is parsed once a batch and then run for every ChunkRows rows, the last
// rows of a table by a statement of their own.
const ChunkRows = 100

// Chain is how far the index holds one chain: the chains row.
type Chain struct {
	ChainID string
	Region  string
	Height  int64
	Hash    string
	TimeNS  int64
}

// Chains reads every chain the index holds, by chain id.
func Chains(ctx context.Context, q sqldb.Queryer) ([]Chain, error) {
	rows, err := q.QueryContext(ctx, `SELECT chain_id, region, height, block_hash, time_ns FROM chains ORDER BY chain_id`)
	if err != nil {
		return nil, fmt.Errorf("index: reading the chains: %w", err)
	}
	defer rows.Close()
	var out []Chain
	for rows.Next() {
		var c Chain
		if err := rows.Scan(&c.ChainID, &c.Region, &c.Height, &c.Hash, &c.TimeNS); err != nil {
			return nil, fmt.Errorf("index: reading the chains: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// ErrRefused marks a node the index will not take blocks from: another
// chain than the one it holds for the node's region, or a chain whose
// blocks differ from those it indexed (rolled back or replaced).
var ErrRefused = errors.New("refused")

// Writer writes the blocks of one chain into the index, each batch of
// them in one SQL transaction together with the chains row, so that a
// writer stopped anywhere resumes at the first block the database lacks:
// nothing lost, nothing doubled.
type Writer struct {
	db              *sqldb.DB
	chainID, region string
	contracts       Contracts

	mu    sync.Mutex
	known map[ledger.TokenID]token.Contract

	// activeOn and active are the addresses the index already holds as
	// active on the latest day written, so that a batch writes only the
	// day's new ones (active_days); changed only after a commit.
	activeOn string
	active   map[string]bool
}

// NewWriter returns a writer of chain chainID, region region, into db;
// contracts gives the tokens' contracts (read once each).
func NewWriter(db *sqldb.DB, chainID string, region ledger.Region, contracts Contracts) *Writer {
	return &Writer{db: db, chainID: chainID, region: string(region), contracts: contracts,
		known: map[ledger.TokenID]token.Contract{}}
}

// contract reads a token's contract once.
func (w *Writer) contract(ctx context.Context, id ledger.TokenID) (token.Contract, error) {
	w.mu.Lock()
	c, ok := w.known[id]
	w.mu.Unlock()
	if ok {
		return c, nil
	}
	c, err := w.contracts(ctx, id)
	if err != nil {
		return token.Contract{}, err
	}
	w.mu.Lock()
	w.known[id] = c
	w.mu.Unlock()
	return c, nil
}

// Check refuses a node that is not the chain the index holds for its
// region: its chain id is another, or (hashAt) its block at the indexed
// height has another hash. It returns how far the index holds the chain
// (zero for a chain it does not hold yet).
func (w *Writer) Check(ctx context.Context, node string, hashAt func(ctx context.Context, height int64) (string, error)) (Chain, error) {
	chains, err := Chains(ctx, w.db)
	if err != nil {
		return Chain{}, err
	}
	for _, c := range chains {
		if c.Region == w.region && c.ChainID != w.chainID {
			return Chain{}, fmt.Errorf("index: node %s is chain %s of region %s, but the index holds chain %s for that region: %w",
				node, w.chainID, w.region, c.ChainID, ErrRefused)
		}
		if c.ChainID != w.chainID {
			continue
		}
		if c.Region != w.region {
			return Chain{}, fmt.Errorf("index: node %s says chain %s is region %s, but the index holds it as region %s: %w",
				node, w.chainID, w.region, c.Region, ErrRefused)
		}
		hash, err := hashAt(ctx, c.Height)
		if err != nil {
			return Chain{}, err
		}
		if hash != c.Hash {
			return Chain{}, fmt.Errorf("index: node %s has block %d of chain %s with hash %s, but the index holds it with hash %s (rolled back or replaced): %w",
				node, c.Height, w.chainID, hashOrNone(hash), c.Hash, ErrRefused)
		}
		return c, nil
	}
	return Chain{ChainID: w.chainID, Region: w.region}, nil
}

func hashOrNone(h string) string {
	if h == "" {
		return "(none: the node has no such block)"
	}
	return h
}

// Write writes whole, consecutive blocks of the chain in one SQL
// transaction, the first of them the block after the one the index holds
// (block 1 for a chain it does not hold yet), and moves the chains row to
// the last. It refuses blocks that do not follow on.
func (w *Writer) Write(ctx context.Context, blocks []*client.BlockReceipts) error {
	if len(blocks) == 0 {
		return nil
	}
	// One connection carries the transaction, so that PostgreSQL's COPY
	// (through the driver's own connection) writes inside it.
	conn, err := w.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("index: database: %w", err)
	}
	defer conn.Close()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("index: database: %w", err)
	}
	st := &sqlTx{Tx: tx, conn: conn, stmts: map[string]*sql.Stmt{}}
	defer st.close()
	b, err := w.write(ctx, st, blocks)
	if err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("index: database: %w", err)
	}
	w.committed(b)
	return nil
}

// sqlTx is the batch's SQL transaction, the connection it runs on and the
// statements prepared in it.
type sqlTx struct {
	*sql.Tx
	conn  *sql.Conn
	stmts map[string]*sql.Stmt
}

// exec runs text with args, prepared once in the transaction.
func (t *sqlTx) exec(ctx context.Context, text string, args []any) (sql.Result, error) {
	s, ok := t.stmts[text]
	if !ok {
		var err error
		if s, err = t.PrepareContext(ctx, text); err != nil {
			return nil, err
		}
		t.stmts[text] = s
	}
	return s.ExecContext(ctx, args...)
}

func (t *sqlTx) close() {
	for _, s := range t.stmts {
		s.Close()
	}
}

func (w *Writer) write(ctx context.Context, tx *sqlTx, blocks []*client.BlockReceipts) (*batch, error) {
	if w.db.Postgres {
		// A commit the server loses in a crash is lost whole, with the
		// chains row that would have said it was written: the index
		// writes those blocks again. It need not wait for the disk.
		if _, err := tx.ExecContext(ctx, `SET LOCAL synchronous_commit = off`); err != nil {
			return nil, fmt.Errorf("index: database: %w", err)
		}
	}
	var height int64
	err := tx.QueryRowContext(ctx, `SELECT height FROM chains WHERE chain_id = $1`, w.chainID).Scan(&height)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("index: reading chain %s: %w", w.chainID, err)
	}
	for i, blk := range blocks {
		if want := height + 1 + int64(i); blk.Height != want {
			return nil, fmt.Errorf("index: chain %s: block %d given where block %d comes next", w.chainID, blk.Height, want)
		}
		if blk.NextIndex != 0 || blk.From != 0 {
			return nil, fmt.Errorf("index: chain %s: block %d given in part", w.chainID, blk.Height)
		}
	}
	b := newBatch(w.chainID, w.region, &sqlLoader{tx: tx.Tx}, w.contract)
	for _, blk := range blocks {
		if err := b.add(ctx, blk); err != nil {
			return nil, err
		}
	}
	return b, w.flush(ctx, tx, b)
}

// committed keeps what a committed batch made active on the latest day.
func (w *Writer) committed(b *batch) {
	for k := range b.active {
		if k.day > w.activeOn {
			w.activeOn, w.active = k.day, map[string]bool{}
		}
	}
	for k := range b.active {
		if k.day == w.activeOn {
			w.active[k.address] = true
		}
	}
}

// flush writes a batch's rows and the chains row.
func (w *Writer) flush(ctx context.Context, tx *sqlTx, b *batch) error {
	for _, t := range []*table{&b.blocks, &b.txs, &b.entries, &b.tokenEvents} {
		if err := w.insert(ctx, tx, t, ""); err != nil {
			return err
		}
	}
	coins := table{name: "coins", cols: []string{"coin_key", "coin_id", "chain_id", "owner", "token", "amount", "amt_hi", "amt_lo",
		"created_height", "created_tx", "spent_height", "spent_tx"}}
	for _, c := range b.coins {
		coins.add(idkey.Of(c.id), c.id, b.chainID, c.owner, c.token, c.amount, c.hi, c.lo, c.height, c.tx, c.spentHeight, c.spentTx)
	}
	if err := w.insert(ctx, tx, &coins, ""); err != nil {
		return err
	}
	if err := w.spend(ctx, tx, b.spends); err != nil {
		return err
	}
	if err := w.upserts(ctx, tx, b); err != nil {
		return err
	}
	if err := w.rollups(ctx, tx, b); err != nil {
		return err
	}
	last := b.last
	_, err := tx.ExecContext(ctx, `INSERT INTO chains (chain_id, region, height, block_hash, time_ns) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (chain_id) DO UPDATE SET height = excluded.height, block_hash = excluded.block_hash, time_ns = excluded.time_ns`,
		b.chainID, b.region, last.Height, last.Hash, last.Time.UnixNano())
	if err != nil {
		return fmt.Errorf("index: writing chain %s's height: %w", b.chainID, err)
	}
	return nil
}

// upserts writes the rows that later blocks change: tokens' standing,
// trades, credit requests, credit nodes.
func (w *Writer) upserts(ctx context.Context, tx *sqlTx, b *batch) error {
	tokens := table{name: "index_tokens", cols: []string{"chain_id", "token", "supply", "reserve", "status"}}
	for _, id := range slices.Sorted(maps.Keys(b.tokens)) {
		if st := b.tokens[id]; st.changed {
			tokens.add(b.chainID, id, st.supply.String(), st.reserve, st.status)
		}
	}
	trades := table{name: "trades", cols: []string{"trade_id", "trade_key", "chain_id", "buyer", "seller", "token", "amount", "status",
		"opened_ns", "funded_ns", "settled_ns", "closed_ns"}}
	for _, id := range slices.Sorted(maps.Keys(b.trades)) {
		t := b.trades[id]
		trades.add(id, idkey.Of(id), t.chainID, t.buyer, t.seller, t.token, t.amount, t.status, t.opened, t.funded, t.settled, t.closed)
	}
	credits := table{name: "credits", cols: []string{"request_id", "chain_id", "node", "payer", "payee", "amount", "status",
		"opened_ns", "paid_ns", "repaid_ns"}}
	for _, id := range slices.Sorted(maps.Keys(b.credits)) {
		c := b.credits[id]
		credits.add(id, c.chainID, c.node, c.payer, c.payee, c.amount, c.status, c.opened, c.paid, c.repaid)
	}
	nodes := table{name: "index_credit_nodes", cols: []string{"chain_id", "node", "token"}}
	for _, n := range slices.Sorted(maps.Keys(b.creditNodes)) {
		if tok := b.creditNodes[n]; tok != "" {
			nodes.add(b.chainID, n, tok)
		}
	}
	for _, u := range []struct {
		t   *table
		key string
	}{{&tokens, "chain_id, token"}, {&trades, "trade_id"}, {&credits, "request_id"}, {&nodes, "chain_id, node"}} {
		set := make([]string, 0, len(u.t.cols))
		for _, c := range u.t.cols {
			if !strings.Contains(u.key, c) {
				set = append(set, c+" = excluded."+c)
			}
		}
		if err := w.insert(ctx, tx, u.t, " ON CONFLICT ("+u.key+") DO UPDATE SET "+strings.Join(set, ", ")); err != nil {
			return err
		}
	}
	return nil
}

// rollups adds the batch's payments to payment_days and writes the
// addresses it made active that the index does not hold for their day.
func (w *Writer) rollups(ctx context.Context, tx *sqlTx, b *batch) error {
	days := table{name: "payment_days", cols: []string{"day", "chain_id", "token", "region", "payee_region", "payments", "amt_hi", "amt_lo"}}
	keys := slices.SortedFunc(maps.Keys(b.paymentDays), func(x, y paymentDay) int {
		return slices.Compare([]string{x.day, x.token, x.region, x.payeeRegion}, []string{y.day, y.token, y.region, y.payeeRegion})
	})
	for _, k := range keys {
		d := b.paymentDays[k]
		days.add(k.day, b.chainID, k.token, k.region, k.payeeRegion, d.payments, d.hi, d.lo)
	}
	// A day's amt_lo may pass 10^9 as batches add to it: it is a sum.
	err := w.insert(ctx, tx, &days, ` ON CONFLICT (day, token, region, payee_region, chain_id) DO UPDATE SET
		payments = payment_days.payments + excluded.payments, amt_hi = payment_days.amt_hi + excluded.amt_hi,
		amt_lo = payment_days.amt_lo + excluded.amt_lo`)
	if err != nil {
		return err
	}
	active := table{name: "active_days", cols: []string{"day", "address"}}
	for _, k := range slices.SortedFunc(maps.Keys(b.active), func(x, y activeDay) int {
		return strings.Compare(x.day+" "+x.address, y.day+" "+y.address)
	}) {
		if k.day != w.activeOn || !w.active[k.address] {
			active.add(k.day, k.address)
		}
	}
	return w.insert(ctx, tx, &active, " ON CONFLICT (day, address) DO NOTHING")
}

// insert writes a table's rows by prepared statements of ChunkRows rows
// each, or, for rows only added (no suffix) on PostgreSQL, with COPY.
func (w *Writer) insert(ctx context.Context, tx *sqlTx, t *table, suffix string) error {
	if t.rows() == 0 {
		return nil
	}
	k := len(t.cols)
	if w.db.Postgres && suffix == "" {
		return copyRows(ctx, tx, t.name, t.cols, t.rows(), func(i int) []any { return t.vals[i*k : (i+1)*k] })
	}
	head := "INSERT INTO "
	if !w.db.Postgres && suffix == "" {
		// A conflict ends the whole batch anyway; saying so spares SQLite
		// a statement journal, the copy of each page a statement changes
		// that it keeps to undo that statement alone.
		head = "INSERT OR ROLLBACK INTO "
	}
	head += t.name + " (" + strings.Join(t.cols, ", ") + ") VALUES "
	return chunks(ctx, tx, t.rows(), func(n int) string {
		var sb strings.Builder
		sb.WriteString(head)
		placeholders(&sb, n, k, w.db.Postgres)
		sb.WriteString(suffix)
		return sb.String()
	}, func(start, n int) []any { return t.vals[start*k : (start+n)*k] }, func(_ sql.Result, err error, _, _ int) error {
		if err != nil {
			return fmt.Errorf("index: writing %s: %w", t.name, err)
		}
		return nil
	})
}

// copyRows writes n rows into table by PostgreSQL's COPY, on the batch's
// connection and so in its transaction.
func copyRows(ctx context.Context, tx *sqlTx, table string, cols []string, n int, row func(i int) []any) error {
	err := tx.conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("the PostgreSQL driver's connection is a %T", dc)
		}
		_, err := c.Conn().CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromSlice(n, func(i int) ([]any, error) {
			return row(i), nil
		}))
		return err
	})
	if err != nil {
		return fmt.Errorf("index: writing %s: %w", table, err)
	}
	return nil
}

// chunks runs the statement text(ChunkRows) over n rows ChunkRows at a
// time, prepared once, and text(rest) over the rest; args gives a chunk's
// values, and done sees each chunk's result.
func chunks(ctx context.Context, tx *sqlTx, n int, text func(rows int) string, args func(start, rows int) []any,
	done func(res sql.Result, err error, start, rows int) error) error {
	var full string
	for start := 0; start < n; start += ChunkRows {
		rows := min(ChunkRows, n-start)
		var q string
		switch {
		case rows < ChunkRows:
			q = text(rows)
		case full == "":
			full = text(rows)
			q = full
		default:
			q = full
		}
		res, err := tx.exec(ctx, q, args(start, rows))
		if err := done(res, err, start, rows); err != nil {
			return err
		}
	}
	return nil
}

// wantRows refuses a statement that changed other than n rows: coins
// spent that the index does not hold unspent.
func wantRows(res sql.Result, err error, n int) error {
	if err != nil {
		return err
	}
	got, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if got != int64(n) {
		return fmt.Errorf("%d of %d are not in the index unspent", int64(n)-got, n)
	}
	return nil
}

// spend marks coins an earlier batch created as spent, and refuses a
// spend of a coin the index does not hold unspent. On PostgreSQL one
// UPDATE joins the spends given as four arrays, which the planner reads
// as a few rows and so looks each coin up by its key.
func (w *Writer) spend(ctx context.Context, tx *sqlTx, spends []spend) error {
	if len(spends) == 0 {
		return nil
	}
	missing := func(res sql.Result, err error, start, n int) error {
		if err := wantRows(res, err, n); err != nil {
			return fmt.Errorf("index: coins spent in blocks %d to %d: %w", spends[start].height, spends[start+n-1].height, err)
		}
		return nil
	}
	if w.db.Postgres {
		keys, ids, heights, txs := make([]int64, len(spends)), make([]string, len(spends)), make([]int64, len(spends)), make([]string, len(spends))
		for i, s := range spends {
			keys[i], ids[i], heights[i], txs[i] = idkey.Of(s.coin), s.coin, s.height, s.tx
		}
		res, err := tx.ExecContext(ctx, `UPDATE coins SET spent_height = s.h, spent_tx = s.t
			FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::text[]) AS s(k, id, h, t)
			WHERE coins.coin_key = s.k AND coins.coin_id = s.id AND coins.spent_height IS NULL`, keys, ids, heights, txs)
		return missing(res, err, 0, len(spends))
	}
	return chunks(ctx, tx, len(spends), func(n int) string {
		var sb strings.Builder
		sb.WriteString("WITH v(k, id, h, t) AS (VALUES ")
		placeholders(&sb, n, 4, false)
		sb.WriteString(") UPDATE coins SET spent_height = v.h, spent_tx = v.t FROM v WHERE coins.coin_key = v.k AND coins.coin_id = v.id AND coins.spent_height IS NULL")
		return sb.String()
	}, func(start, n int) []any {
		args := make([]any, 0, 4*n)
		for _, s := range spends[start : start+n] {
			args = append(args, idkey.Of(s.coin), s.coin, s.height, s.tx)
		}
		return args
	}, missing)
}

// sqlLoader reads what earlier batches wrote, inside the batch's SQL
// transaction.
type sqlLoader struct {
	tx *sql.Tx
}

func (l *sqlLoader) token(ctx context.Context, chainID, id string) (*tokenState, error) {
	var supply string
	st := &tokenState{}
	err := l.tx.QueryRowContext(ctx, `SELECT supply, reserve, status FROM index_tokens WHERE chain_id = $1 AND token = $2`,
		chainID, id).Scan(&supply, &st.reserve, &st.status)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("index: reading token %s: %w", id, err)
	}
	if st.supply, err = units(supply); err != nil {
		return nil, err
	}
	return st, nil
}

func (l *sqlLoader) trade(ctx context.Context, id string) (*tradeRow, error) {
	t := &tradeRow{}
	err := l.tx.QueryRowContext(ctx, `SELECT chain_id, buyer, seller, token, amount, status, opened_ns, funded_ns, settled_ns, closed_ns
		FROM trades WHERE trade_id = $1`, id).Scan(&t.chainID, &t.buyer, &t.seller, &t.token, &t.amount, &t.status, &t.opened,
		&t.funded, &t.settled, &t.closed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("index: reading trade %s: %w", id, err)
	}
	return t, nil
}

func (l *sqlLoader) credit(ctx context.Context, id string) (*creditRow, error) {
	c := &creditRow{}
	err := l.tx.QueryRowContext(ctx, `SELECT chain_id, node, payer, payee, amount, status, opened_ns, paid_ns, repaid_ns
		FROM credits WHERE request_id = $1`, id).Scan(&c.chainID, &c.node, &c.payer, &c.payee, &c.amount, &c.status, &c.opened,
		&c.paid, &c.repaid)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("index: reading credit request %s: %w", id, err)
	}
	return c, nil
}

func (l *sqlLoader) creditNode(ctx context.Context, chainID, node string) (string, error) {
	var tok string
	err := l.tx.QueryRowContext(ctx, `SELECT token FROM index_credit_nodes WHERE chain_id = $1 AND node = $2`, chainID, node).Scan(&tok)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("index: reading credit node %s: %w", node, err)
	}
	return tok, nil
}
