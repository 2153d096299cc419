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
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/sqldb"
	"github.com/pegledger/peg/internal/token"
)

// MaxParams bounds the placeholders of one statement: below SQLite's
// 32,766 and PostgreSQL's 65,535.
const MaxParams = 30_000

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
	if err := w.write(ctx, &sqlTx{Tx: tx, conn: conn}, blocks); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("index: database: %w", err)
	}
	return nil
}

// sqlTx is the batch's SQL transaction and the connection it runs on.
type sqlTx struct {
	*sql.Tx
	conn *sql.Conn
}

func (w *Writer) write(ctx context.Context, tx *sqlTx, blocks []*client.BlockReceipts) error {
	var height int64
	err := tx.QueryRowContext(ctx, `SELECT height FROM chains WHERE chain_id = $1`, w.chainID).Scan(&height)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("index: reading chain %s: %w", w.chainID, err)
	}
	for i, blk := range blocks {
		if want := height + 1 + int64(i); blk.Height != want {
			return fmt.Errorf("index: chain %s: block %d given where block %d comes next", w.chainID, blk.Height, want)
		}
		if blk.NextIndex != 0 || blk.From != 0 {
			return fmt.Errorf("index: chain %s: block %d given in part", w.chainID, blk.Height)
		}
	}
	b := newBatch(w.chainID, w.region, &sqlLoader{tx: tx.Tx}, w.contract)
	for _, blk := range blocks {
		if err := b.add(ctx, blk); err != nil {
			return err
		}
	}
	return w.flush(ctx, tx, b)
}

// flush writes a batch's rows and the chains row.
func (w *Writer) flush(ctx context.Context, tx *sqlTx, b *batch) error {
	for _, t := range []*table{&b.blocks, &b.txs, &b.entries, &b.tokenEvents} {
		if err := w.insert(ctx, tx, t, ""); err != nil {
			return err
		}
	}
	coins := table{name: "coins", cols: []string{"coin_id", "chain_id", "owner", "token", "amount", "amt_hi", "amt_lo",
		"created_height", "created_tx", "spent_height", "spent_tx"}}
	for _, c := range b.coins {
		coins.add(c.id, b.chainID, c.owner, c.token, c.amount, c.hi, c.lo, c.height, c.tx, c.spentHeight, c.spentTx)
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
	trades := table{name: "trades", cols: []string{"trade_id", "chain_id", "buyer", "seller", "token", "amount", "status",
		"opened_ns", "funded_ns", "settled_ns", "closed_ns"}}
	for _, id := range slices.Sorted(maps.Keys(b.trades)) {
		t := b.trades[id]
		trades.add(id, t.chainID, t.buyer, t.seller, t.token, t.amount, t.status, t.opened, t.funded, t.settled, t.closed)
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

// insert writes a table's rows in statements of many rows each, or, for
// rows only added (no suffix) on PostgreSQL, with COPY.
func (w *Writer) insert(ctx context.Context, tx *sqlTx, t *table, suffix string) error {
	if t.rows() == 0 {
		return nil
	}
	k := len(t.cols)
	if w.db.Postgres && suffix == "" {
		err := tx.conn.Raw(func(dc any) error {
			c, ok := dc.(*stdlib.Conn)
			if !ok {
				return fmt.Errorf("the PostgreSQL driver's connection is a %T", dc)
			}
			_, err := c.Conn().CopyFrom(ctx, pgx.Identifier{t.name}, t.cols, pgx.CopyFromSlice(t.rows(), func(i int) ([]any, error) {
				return t.vals[i*k : (i+1)*k], nil
			}))
			return err
		})
		if err != nil {
			return fmt.Errorf("index: writing %s: %w", t.name, err)
		}
		return nil
	}
	per := MaxParams / k
	head := "INSERT INTO " + t.name + " (" + strings.Join(t.cols, ", ") + ") VALUES "
	var full string // the statement of per rows, built once
	for start := 0; start < t.rows(); start += per {
		n := min(per, t.rows()-start)
		var q string
		if n == per && full != "" {
			q = full
		} else {
			var sb strings.Builder
			sb.WriteString(head)
			placeholders(&sb, n, k, w.db.Postgres, nil)
			sb.WriteString(suffix)
			q = sb.String()
			if n == per {
				full = q
			}
		}
		if _, err := tx.ExecContext(ctx, q, t.vals[start*k:(start+n)*k]...); err != nil {
			return fmt.Errorf("index: writing %s: %w", t.name, err)
		}
	}
	return nil
}

// spend marks coins an earlier batch created as spent, many a statement,
// and refuses a spend of a coin the index does not hold.
func (w *Writer) spend(ctx context.Context, tx *sqlTx, spends []spend) error {
	const k = 3
	per := MaxParams / k
	for start := 0; start < len(spends); start += per {
		n := min(per, len(spends)-start)
		var sb strings.Builder
		sb.WriteString("WITH v(id, h, t) AS (VALUES ")
		placeholders(&sb, n, k, w.db.Postgres, []string{"::text", "::bigint", "::text"})
		args := make([]any, 0, n*k)
		for _, s := range spends[start : start+n] {
			args = append(args, s.coin, s.height, s.tx)
		}
		sb.WriteString(") UPDATE coins SET spent_height = v.h, spent_tx = v.t FROM v WHERE coins.coin_id = v.id AND coins.spent_height IS NULL")
		res, err := tx.ExecContext(ctx, sb.String(), args...)
		if err != nil {
			return fmt.Errorf("index: marking coins spent: %w", err)
		}
		if got, err := res.RowsAffected(); err != nil || got != int64(n) {
			return fmt.Errorf("index: %d of %d coins spent in blocks %d to %d are not in the index unspent (%v)",
				int64(n)-got, n, spends[start].height, spends[start+n-1].height, err)
		}
	}
	return nil
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
