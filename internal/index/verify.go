package index

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"math/big"
	"slices"
	"strings"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/sqldb"
)

// MaxVerifyCoins bounds the coins Verify compares per address: the node
// lists at most a page of them.
const MaxVerifyCoins = client.MaxCoinsPage

// Verification is what Verify found.
type Verification struct {
	ChainID string `json:"chain_id"`
	// Height is how far the index holds the chain; Receipts how many
	// receipts up to it were compared.
	Height   int64 `json:"height"`
	Receipts int   `json:"receipts"`
	// Holdings says whether coins and balances were compared: only when
	// the node's state is at the indexed height.
	Holdings bool `json:"holdings"`
	// Accounts is how many owners' coins and balances (in one token each)
	// were compared.
	Accounts int `json:"accounts"`
	// Differences are what differs; none when the index is the chain's.
	Differences []string `json:"differences"`
}

// Verify holds the index to a node's chain up to the height it holds:
// every receipt of every block exactly once, in order, with its code;
// and, when the node is at that height, each address's unspent coins of
// token tok (id and amount) and its balance of tok summed from its
// entries. Without addresses it compares every owner of a coin the index
// holds, in each token (or in tok alone, if given).
func Verify(ctx context.Context, db sqldb.Queryer, node *client.Client, tok ledger.TokenID, addrs []ledger.Address) (*Verification, error) {
	st, err := node.Status(ctx)
	if err != nil {
		return nil, err
	}
	v := &Verification{ChainID: st.ChainID, Differences: []string{}}
	if err := db.QueryRowContext(ctx, `SELECT height FROM chains WHERE chain_id = $1`, st.ChainID).Scan(&v.Height); err != nil {
		return nil, fmt.Errorf("index: the index holds no chain %s: %w", st.ChainID, err)
	}
	want, err := chainReceipts(ctx, node, v.Height)
	if err != nil {
		return nil, err
	}
	got, err := indexReceipts(ctx, db, st.ChainID)
	if err != nil {
		return nil, err
	}
	v.Receipts = len(want)
	if !slices.Equal(got, want) {
		i := 0
		for i < len(got) && i < len(want) && got[i] == want[i] {
			i++
		}
		v.Differences = append(v.Differences, fmt.Sprintf("transactions: the index holds %d, the chain %d receipts up to height %d; first difference at %d: index %q, chain %q",
			len(got), len(want), v.Height, i, at(got, i), at(want, i)))
	}
	if int64(st.Height) != v.Height {
		return v, nil
	}
	v.Holdings = true
	pairs, coins, err := unspent(ctx, db, st.ChainID, tok)
	if err != nil {
		return nil, err
	}
	if len(addrs) > 0 {
		pairs = make([]holding, len(addrs))
		for i, a := range addrs {
			pairs[i] = holding{a, tok}
		}
	}
	v.Accounts = len(pairs)
	for _, p := range pairs {
		d, err := holdings(ctx, db, node, p, coins[p])
		if err != nil {
			return nil, err
		}
		v.Differences = append(v.Differences, d...)
	}
	return v, nil
}

// holding is an owner's coins of one token.
type holding struct {
	owner ledger.Address
	token ledger.TokenID
}

// unspent reads the coins of the chain the index holds (of tok alone, if
// given) in one pass, the table having no index by owner: every owner of
// one with each token it held, in order, and each holding's unspent coins
// as "id amount", in order.
func unspent(ctx context.Context, db sqldb.Queryer, chainID string, tok ledger.TokenID) ([]holding, map[holding][]string, error) {
	rows, err := db.QueryContext(ctx, `SELECT owner, token, coin_id, amount, spent_height IS NULL FROM coins
		WHERE chain_id = $1 AND ($2 = '' OR token = $2)`, chainID, string(tok))
	if err != nil {
		return nil, nil, fmt.Errorf("index: reading coins: %w", err)
	}
	defer rows.Close()
	coins := map[holding][]string{}
	for rows.Next() {
		var owner, t, id, amount string
		var live bool
		if err := rows.Scan(&owner, &t, &id, &amount, &live); err != nil {
			return nil, nil, fmt.Errorf("index: reading coins: %w", err)
		}
		a, err := ledger.ParseAddress(owner)
		if err != nil {
			return nil, nil, fmt.Errorf("index: coin owner %q: %w", owner, err)
		}
		h := holding{a, ledger.TokenID(t)}
		if live {
			coins[h] = append(coins[h], id+" "+amount)
		} else if _, ok := coins[h]; !ok {
			coins[h] = nil
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("index: reading coins: %w", err)
	}
	all := slices.SortedFunc(maps.Keys(coins), func(x, y holding) int {
		return cmp.Or(strings.Compare(x.owner.String(), y.owner.String()), strings.Compare(string(x.token), string(y.token)))
	})
	for _, h := range all {
		slices.Sort(coins[h])
	}
	return all, coins, nil
}

func at(l []string, i int) string {
	if i < len(l) {
		return l[i]
	}
	return "(none)"
}

// chainReceipts lists the node's receipts up to height as "height index id
// kind code".
func chainReceipts(ctx context.Context, node *client.Client, height int64) ([]string, error) {
	var out []string
	for from, index := int64(1), 0; from <= height; {
		p, err := node.Blocks(ctx, from, index, PageBlocks)
		if err != nil {
			return nil, err
		}
		if len(p.Blocks) == 0 {
			return nil, fmt.Errorf("index: the node has no block %d", from)
		}
		for _, b := range p.Blocks {
			if b.Height > height {
				break
			}
			for _, rc := range b.Receipts {
				out = append(out, fmt.Sprintf("%d %d %s %s %d", b.Height, rc.Index, rc.TxID, rc.Kind, rc.Code))
			}
		}
		last := p.Blocks[len(p.Blocks)-1]
		from, index = last.Height+1, 0
		if last.NextIndex > 0 {
			from, index = last.Height, last.NextIndex
		}
	}
	return out, nil
}

func indexReceipts(ctx context.Context, db sqldb.Queryer, chainID string) ([]string, error) {
	rows, err := db.QueryContext(ctx, `SELECT height, idx, tx_id, kind, code FROM txs WHERE chain_id = $1 ORDER BY height, idx`, chainID)
	if err != nil {
		return nil, fmt.Errorf("index: reading transactions: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var h, idx, code int64
		var id, kind string
		if err := rows.Scan(&h, &idx, &id, &kind, &code); err != nil {
			return nil, fmt.Errorf("index: reading transactions: %w", err)
		}
		out = append(out, fmt.Sprintf("%d %d %s %s %d", h, idx, id, kind, code))
	}
	return out, rows.Err()
}

// holdings compares one address's unspent coins of a token (got, from
// unspent) and its balance.
func holdings(ctx context.Context, db sqldb.Queryer, node *client.Client, h holding, got []string) ([]string, error) {
	a, tok := h.owner, h.token
	var diffs []string
	coins, err := node.Coins(ctx, a, tok, MaxVerifyCoins)
	if err != nil {
		return nil, err
	}
	var want []string
	for _, c := range coins {
		want = append(want, c.ID.String()+" "+c.Units.String())
	}
	slices.Sort(want)
	if len(want) < MaxVerifyCoins && !slices.Equal(got, want) {
		diffs = append(diffs, fmt.Sprintf("%s's unspent %s coins: index [%s], node [%s]", a, tok, strings.Join(got, ", "), strings.Join(want, ", ")))
	}
	bal, err := node.Balances(ctx, a, tok)
	if err != nil {
		return nil, err
	}
	wantBal := "0"
	if len(bal) > 0 {
		wantBal = bal[0].Units.String()
	}
	var hi, lo int64
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(SUM(net_hi), 0), COALESCE(SUM(net_lo), 0) FROM entries WHERE address = $1 AND token = $2`,
		a.String(), string(tok)).Scan(&hi, &lo); err != nil {
		return nil, fmt.Errorf("index: summing entries: %w", err)
	}
	sum := new(big.Int).Add(new(big.Int).Mul(big.NewInt(hi), big.NewInt(1_000_000_000)), big.NewInt(lo))
	if sum.String() != wantBal {
		diffs = append(diffs, fmt.Sprintf("%s's %s balance: index %s (from its entries), node %s", a, tok, sum, wantBal))
	}
	return diffs, nil
}
