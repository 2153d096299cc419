package main

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/coin"
	"github.com/pegledger/peg/internal/keyring"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
	"github.com/pegledger/peg/internal/tx"
	"github.com/pegledger/peg/internal/tx/txpb"
)

// mergeView is one merge: a payment to oneself that spent Coins coins into
// one coin worth Value.
type mergeView struct {
	TxID   ledger.TxID `json:"tx_id"`
	Height uint64      `json:"height"`
	Coins  int         `json:"coins"`
	client.Value
}

// merger merges an owner's coins of a token by payments to itself, signed
// with the owner's key, and keeps what it merged.
type merger struct {
	g    *globals
	key  keyring.Key
	priv ed25519.PrivateKey
	t    *client.Token
	say  io.Writer // told of each merge as it commits; nil tells nothing
	done []mergeView
}

// newMerger reads the token and the amount and opens from's key, which a
// payment and a merge both start with; in text output it tells say of each
// merge.
func (g *globals) newMerger(cmd *cobra.Command, tok, amount, from string, say io.Writer) (*merger, money.Amount, error) {
	ctx, cancel := context60()
	t, amt, err := g.tokenAmount(ctx, tok, amount)
	cancel()
	if err != nil {
		return nil, money.Amount{}, err
	}
	key, priv, err := signer(cmd, g, from)
	if err != nil {
		return nil, money.Amount{}, err
	}
	m := &merger{g: g, key: key, priv: priv, t: t}
	if g.output == "text" {
		m.say = say
	}
	return m, amt, nil
}

// run merges round by round, each round as plan makes it of the coins held
// then, until plan has nothing more to merge.
func (m *merger) run(plan func(held []coin.Coin) ([][]coin.Coin, error)) error {
	for {
		ctx, cancel := context60()
		held, err := m.g.heldCoins(ctx, m.key.Address, m.t)
		cancel()
		if err != nil {
			return err
		}
		groups, err := plan(held)
		if err != nil || len(groups) == 0 {
			return err
		}
		for _, grp := range groups {
			if err := m.merge(grp); err != nil {
				return err
			}
		}
	}
}

// merge spends coins into one coin of their sum and waits for its block.
func (m *merger) merge(coins []coin.Coin) error {
	total, err := coin.Sum(coins)
	if err != nil {
		return err
	}
	ids := make([][]byte, len(coins))
	for i, c := range coins {
		ids[i] = c.ID[:]
	}
	owner := m.key.Address.String()
	rc, err := m.g.submitSigned(m.key, m.priv, &txpb.Body{Msg: &txpb.Body_Pay{Pay: &txpb.Pay{Token: string(m.t.ID), Inputs: ids,
		Outputs: []*txpb.Output{{Owner: owner, Amount: total.String()}}}}})
	if err != nil {
		return fmt.Errorf("merging %d coins of %s: %w", len(coins), m.t.ID, err)
	}
	v := mergeView{TxID: rc.TxID, Height: rc.Height, Coins: len(coins), Value: client.Value{Amount: total.Format(m.t.Decimals), Units: total}}
	m.done = append(m.done, v)
	if m.say != nil {
		fmt.Fprintf(m.say, "merged %d coins into one of %s %s (tx %s, height %d)\n",
			v.Coins, total.FormatFixed(m.t.Decimals), m.t.Symbol, v.TxID, v.Height)
	}
	return nil
}

// mergeForPayment merges the signer's coins until a payment of amt spends
// at most tx.MaxInputs of them. Coins worth less than amt are left for the
// payment's coin selection to report.
func (m *merger) mergeForPayment(amt money.Amount) error {
	return m.run(func(held []coin.Coin) ([][]coin.Coin, error) {
		groups, err := coin.Merges(held, amt, tx.MaxInputs)
		if errors.Is(err, coin.ErrInsufficient) {
			return nil, nil // the payment's coin selection says what is held and what is needed
		}
		return groups, err
	})
}

// mergeList is what peg coins merge prints.
type mergeList struct {
	Token  ledger.TokenID `json:"token"`
	Owner  ledger.Address `json:"owner"`
	Merges []mergeView    `json:"merges"`
	// Coins is how many coins of the token the owner holds afterwards.
	Coins int `json:"coins"`
}

func coinsMergeCmd(g *globals) *cobra.Command {
	var from, tok, amount string
	cmd := &cobra.Command{
		Use:   "merge --from KEY --token ID [--amount DEC]",
		Short: fmt.Sprintf("Merge your smallest coins into fewer, by payments to yourself of up to %d coins each", tx.MaxInputs),
		Long: fmt.Sprintf(`Merge the smallest of your coins of a token, by payments to yourself that
each spend up to %d coins (a transaction's limit of inputs) into one coin of
their sum, each waiting for its block, until a payment of --amount fits in one
transaction or, without --amount, until one coin is left. Each merge
transaction is printed as it commits. peg pay does this by itself when a
payment needs more than %d coins.`, tx.MaxInputs, tx.MaxInputs),
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, amt, err := g.newMerger(cmd, tok, amount, from, cmd.OutOrStdout())
			if err != nil {
				return err
			}
			plan := func(held []coin.Coin) ([][]coin.Coin, error) { return coin.MergesAll(held, tx.MaxInputs) }
			if amount != "" {
				plan = func(held []coin.Coin) ([][]coin.Coin, error) { return coin.Merges(held, amt, tx.MaxInputs) }
			}
			if err := m.run(plan); err != nil {
				return err
			}
			return g.printMerges(cmd, m)
		},
	}
	f := cmd.Flags()
	f.StringVar(&from, "from", "", "owner of the coins: key name")
	f.StringVar(&tok, "token", "", "token id")
	f.StringVar(&amount, "amount", "", "merge only until a payment of this amount fits in one transaction")
	required(cmd, "from", "token")
	return cmd
}

// printMerges ends peg coins merge: how many coins the owner holds now.
func (g *globals) printMerges(cmd *cobra.Command, m *merger) error {
	ctx, cancel := context60()
	defer cancel()
	held, err := g.heldCoins(ctx, m.key.Address, m.t)
	if err != nil {
		return err
	}
	v := mergeList{Token: m.t.ID, Owner: m.key.Address, Merges: m.done, Coins: len(held)}
	if v.Merges == nil {
		v.Merges = []mergeView{}
	}
	return g.print(cmd.OutOrStdout(), v, func(w io.Writer) {
		if len(m.done) == 0 {
			fmt.Fprint(w, "nothing to merge; ")
		}
		fmt.Fprintf(w, "%s holds %d coin(s) of %s\n", v.Owner, v.Coins, v.Token)
	})
}
