package index

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/sqldb"
	"github.com/pegledger/peg/internal/sqldb/sqltest"
)

// running is a follower in a goroutine.
type running struct {
	cancel context.CancelFunc
	done   chan error
}

func follow(t *testing.T, db *sqldb.DB, node *client.Client) *running {
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{cancel: cancel, done: make(chan error, 1)}
	f := &Follower{Node: node, DB: db, Log: slog.New(slog.DiscardHandler), Poll: 20 * time.Millisecond}
	go func() { r.done <- f.Run(ctx) }()
	t.Cleanup(r.stop)
	return r
}

func (r *running) stop() {
	r.cancel()
	<-r.done
	r.done <- nil
}

// caughtUp waits until the index holds the node's chain to its height.
func caughtUp(t *testing.T, db *sqldb.DB, node *client.Client) {
	t.Helper()
	st, err := node.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "the index catching up", func() bool {
		var h int64
		db.QueryRow(`SELECT height FROM chains WHERE chain_id = $1`, st.ChainID).Scan(&h)
		return h >= int64(st.Height)
	})
}

// compareWithChain holds the index to the chain, up to the height it
// holds: every receipt of every block exactly once, in order, with its
// code; every coin the node holds unspent as unspent, owned alike; and each
// address's balance, summed from its entries, equal to the node's.
func compareWithChain(t *testing.T, db *sqldb.DB, node *client.Client, addrs ...ledger.Address) {
	t.Helper()
	ctx := context.Background()
	st, err := node.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var held int64
	if err := db.QueryRow(`SELECT height FROM chains WHERE chain_id = $1`, st.ChainID).Scan(&held); err != nil {
		t.Fatalf("the index holds no chain %s: %v", st.ChainID, err)
	}
	var want []string
	for from, index := int64(1), 0; from <= held; {
		p, err := node.Blocks(ctx, from, index, 100)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range p.Blocks {
			if b.Height > held {
				break
			}
			for _, rc := range b.Receipts {
				want = append(want, fmt.Sprintf("%d %d %s %s %d", b.Height, rc.Index, rc.TxID, rc.Kind, rc.Code))
			}
		}
		last := p.Blocks[len(p.Blocks)-1]
		from, index = last.Height+1, 0
		if last.NextIndex > 0 {
			from, index = last.Height, last.NextIndex
		}
	}
	rows, err := db.Query(`SELECT height, idx, tx_id, kind, code FROM txs WHERE chain_id = $1 ORDER BY height, idx`, st.ChainID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var h, idx, code int64
		var id, kind string
		if err := rows.Scan(&h, &idx, &id, &kind, &code); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%d %d %s %s %d", h, idx, id, kind, code))
	}
	rows.Close()
	if !slices.Equal(got, want) {
		t.Errorf("the index's transactions (%d) differ from the chain's receipts (%d) up to height %d\nindex: %s\nchain: %s",
			len(got), len(want), held, firstLines(got), firstLines(want))
	}
	// The node's coins and balances are of its latest height: compare them
	// once the index holds it.
	if int64(st.Height) != held {
		return
	}
	for _, a := range addrs {
		coins, err := node.Coins(ctx, a, "gbpt", 1000)
		if err != nil {
			t.Fatal(err)
		}
		var wantCoins []string
		for _, c := range coins {
			wantCoins = append(wantCoins, c.ID.String()+" "+c.Units.String())
		}
		slices.Sort(wantCoins)
		rows, err := db.Query(`SELECT coin_id, amount FROM coins WHERE owner = $1 AND spent_height IS NULL ORDER BY coin_id`, a.String())
		if err != nil {
			t.Fatal(err)
		}
		var gotCoins []string
		for rows.Next() {
			var id, amount string
			rows.Scan(&id, &amount)
			gotCoins = append(gotCoins, id+" "+amount)
		}
		rows.Close()
		if !slices.Equal(gotCoins, wantCoins) {
			t.Errorf("%s's unspent coins: index %v, node %v", a, gotCoins, wantCoins)
		}
		bal, err := node.Balances(ctx, a, "gbpt")
		if err != nil {
			t.Fatal(err)
		}
		wantBal := "0"
		if len(bal) > 0 {
			wantBal = bal[0].Units.String()
		}
		var hi, lo int64
		if err := db.QueryRow(`SELECT COALESCE(SUM(net_hi), 0), COALESCE(SUM(net_lo), 0) FROM entries WHERE address = $1 AND token = 'gbpt'`,
			a.String()).Scan(&hi, &lo); err != nil {
			t.Fatal(err)
		}
		sum := new(big.Int).Add(new(big.Int).Mul(big.NewInt(hi), big.NewInt(1_000_000_000)), big.NewInt(lo))
		if sum.String() != wantBal {
			t.Errorf("%s's balance from the index's entries %s, the node's %s", a, sum, wantBal)
		}
	}
}

func firstLines(l []string) string {
	if len(l) > 8 {
		l = append(l[:8:8], "…")
	}
	return strings.Join(l, "; ")
}

// TestFollowOnBoth: a follower catches a real node's chain up from genesis
// and follows it as payments are made, on SQLite and PostgreSQL; the index
// then matches the chain (receipts, coins, balances), and a mint, a
// payment and the reserve are where queries look for them.
func TestFollowOnBoth(t *testing.T) {
	c := startChain(t, "peg-index-follow")
	mint1, mint2 := c.mint(alice.addr, "100000"), c.mint(alice.addr, "5000")
	pay := c.pay(alice, []ledger.CoinID{ledger.NewCoinID(mint1, 0)}, bob.addr, "2550", alice.addr, "97450")
	for name, fresh := range sqltest.Databases(t, DefaultFile) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			db, err := Open(ctx, fresh(t))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			r := follow(t, db, c.c)
			caughtUp(t, db, c.c)
			compareWithChain(t, db, c.c, alice.addr, bob.addr, carol.addr)

			// A mint and a payment while it follows.
			m := c.mint(carol.addr, "700")
			c.pay(carol, []ledger.CoinID{ledger.NewCoinID(m, 0)}, bob.addr, "150", carol.addr, "550")
			caughtUp(t, db, c.c)
			compareWithChain(t, db, c.c, alice.addr, bob.addr, carol.addr)
			r.stop()

			var tok, amount, payer, payee, fee string
			if err := db.QueryRow(`SELECT token, amount, payer, payee, fee FROM txs WHERE tx_id = $1`, pay.String()).
				Scan(&tok, &amount, &payer, &payee, &fee); err != nil {
				t.Fatal(err)
			}
			if tok != "gbpt" || amount != "2550" || payer != alice.addr.String() || payee != bob.addr.String() {
				t.Errorf("the payment's row: token %s amount %s payer %s payee %s fee %q", tok, amount, payer, payee, fee)
			}
			var cp, in, out string
			if err := db.QueryRow(`SELECT counterparty, amount_in, amount_out FROM entries WHERE address = $1 AND tx_id = $2`,
				bob.addr.String(), pay.String()).Scan(&cp, &in, &out); err != nil || cp != alice.addr.String() || in != "2550" || out != "0" {
				t.Errorf("bob's entry for the payment: %s in %s out %s %v", cp, in, out, err)
			}
			var supply, reserve, required, status string
			if err := db.QueryRow(`SELECT supply, reserve, required, status FROM token_events WHERE tx_id = $1`, mint2.String()).
				Scan(&supply, &reserve, &required, &status); err != nil {
				t.Fatal(err)
			}
			if supply != "1050" || reserve != "1000000" || required != "1050" || status != "OK" {
				t.Errorf("after the second mint: supply %s reserve %s required %s status %s", supply, reserve, required, status)
			}
		})
	}
}

// TestRefusals: a node of another chain for a region the index holds, and a
// node whose chain has the same id but other blocks (a chain replaced, as
// one rolled back and rebuilt), are refused with an error naming both, and
// nothing of theirs is written.
func TestRefusals(t *testing.T) {
	a := startChain(t, "peg-index-a")
	for name, fresh := range sqltest.Databases(t, DefaultFile) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			db, err := Open(ctx, fresh(t))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			r := follow(t, db, a.c)
			caughtUp(t, db, a.c)
			r.stop()
			held, err := Chains(ctx, db)
			if err != nil || len(held) != 1 {
				t.Fatalf("chains %+v %v", held, err)
			}

			other := startChain(t, "peg-index-b")
			err = (&Follower{Node: other.c, DB: db, Log: slog.New(slog.DiscardHandler)}).Run(ctx)
			if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "peg-index-a") || !strings.Contains(err.Error(), "peg-index-b") {
				t.Errorf("another chain for region GB: %v", err)
			}

			again := startChain(t, "peg-index-a")
			again.mint(alice.addr, "100") // past the height the index holds
			err = (&Follower{Node: again.c, DB: db, Log: slog.New(slog.DiscardHandler)}).Run(ctx)
			if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "rolled back or replaced") || !strings.Contains(err.Error(), held[0].Hash) {
				t.Errorf("the chain replaced: %v", err)
			}
			after, err := Chains(ctx, db)
			if err != nil || !slices.Equal(after, held) {
				t.Errorf("chains after the refusals %+v, before %+v (%v)", after, held, err)
			}
		})
	}
}
