package index

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/node/nodetest"
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
	nodetest.Eventually(t, "the index catching up", func() bool {
		var h int64
		db.QueryRow(`SELECT height FROM chains WHERE chain_id = $1`, st.ChainID).Scan(&h)
		return h >= int64(st.Height)
	})
}

// compareWithChain holds the index to the chain (Verify) and fails on any
// difference.
func compareWithChain(t *testing.T, db *sqldb.DB, node *client.Client, addrs ...ledger.Address) {
	t.Helper()
	v, err := Verify(context.Background(), db, node, "gbpt", addrs)
	if err != nil {
		t.Fatal(err)
	}
	if !v.Holdings || v.Receipts == 0 || len(v.Differences) > 0 {
		t.Errorf("the index against the chain: %+v", v)
	}
}

// TestFollowOnBoth: a follower catches a real node's chain up from genesis
// and follows it as payments are made, on SQLite and PostgreSQL; the index
// then matches the chain (receipts, coins, balances), and a mint, a
// payment and the reserve are where queries look for them.
func TestFollowOnBoth(t *testing.T) {
	c := startChain(t, "peg-index-follow")
	mint1, mint2 := c.Mint(alice.Addr, "100000"), c.Mint(alice.Addr, "5000")
	pay := c.pay(alice, []ledger.CoinID{ledger.NewCoinID(mint1, 0)}, bob.Addr, "2550", alice.Addr, "97450")
	for name, fresh := range sqltest.Databases(t, "index.db") {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			db, err := Open(ctx, fresh(t))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			r := follow(t, db, c.Client)
			caughtUp(t, db, c.Client)
			compareWithChain(t, db, c.Client, alice.Addr, bob.Addr, carol.Addr)

			// A mint and a payment while it follows.
			m := c.Mint(carol.Addr, "700")
			c.pay(carol, []ledger.CoinID{ledger.NewCoinID(m, 0)}, bob.Addr, "150", carol.Addr, "550")
			caughtUp(t, db, c.Client)
			compareWithChain(t, db, c.Client, alice.Addr, bob.Addr, carol.Addr)
			r.stop()

			var tok, amount, payer, payee, fee string
			if err := db.QueryRow(`SELECT token, amount, payer, payee, fee FROM txs WHERE tx_id = $1`, pay.String()).
				Scan(&tok, &amount, &payer, &payee, &fee); err != nil {
				t.Fatal(err)
			}
			if tok != "gbpt" || amount != "2550" || payer != alice.Addr.String() || payee != bob.Addr.String() {
				t.Errorf("the payment's row: token %s amount %s payer %s payee %s fee %q", tok, amount, payer, payee, fee)
			}
			var cp, in, out string
			if err := db.QueryRow(`SELECT counterparty, amount_in, amount_out FROM entries WHERE address = $1 AND tx_id = $2`,
				bob.Addr.String(), pay.String()).Scan(&cp, &in, &out); err != nil || cp != alice.Addr.String() || in != "2550" || out != "0" {
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

			// Verify sees a transaction lost and a coin wrongly spent.
			for _, q := range []string{`DELETE FROM txs WHERE tx_id = $1`, `UPDATE coins SET spent_height = 1 WHERE created_tx = $1`} {
				if _, err := db.Exec(q, pay.String()); err != nil {
					t.Fatal(err)
				}
			}
			v, err := Verify(ctx, db, c.Client, "gbpt", []ledger.Address{alice.Addr, bob.Addr})
			if err != nil || len(v.Differences) != 3 {
				t.Errorf("verify after tampering: %+v %v", v, err)
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
	for name, fresh := range sqltest.Databases(t, "index.db") {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			db, err := Open(ctx, fresh(t))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			r := follow(t, db, a.Client)
			caughtUp(t, db, a.Client)
			r.stop()
			held, err := Chains(ctx, db)
			if err != nil || len(held) != 1 {
				t.Fatalf("chains %+v %v", held, err)
			}

			other := startChain(t, "peg-index-b")
			err = (&Follower{Node: other.Client, DB: db, Log: slog.New(slog.DiscardHandler)}).Run(ctx)
			if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "peg-index-a") || !strings.Contains(err.Error(), "peg-index-b") {
				t.Errorf("another chain for region GB: %v", err)
			}

			again := startChain(t, "peg-index-a")
			again.Mint(alice.Addr, "100") // past the height the index holds
			err = (&Follower{Node: again.Client, DB: db, Log: slog.New(slog.DiscardHandler)}).Run(ctx)
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
