package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/coin"
	"github.com/pegledger/peg/internal/keyring"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
	"github.com/pegledger/peg/internal/tx"
	"github.com/pegledger/peg/internal/tx/txpb"
)

// expiryBlocks is how many blocks a transaction the CLI signs stays valid.
const expiryBlocks = 100

// requestTimeout bounds one command's calls to the API, including the wait for
// the block that includes its transaction.
const requestTimeout = 60 * time.Second

func (g *globals) client() *client.Client { return client.New(g.nodeURL()) }

func context60() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), requestTimeout)
}

// submit signs body as key `from` and waits for the block that includes it.
// A refusal, by the mempool or by the block, is a *rejectedError.
func (g *globals) submit(cmd *cobra.Command, from string, body *txpb.Body) (*client.Receipt, error) {
	key, priv, err := signer(cmd, g, from)
	if err != nil {
		return nil, err
	}
	return g.submitSigned(key, priv, body)
}

// submitSigned is submit with the key already loaded, for commands that sign
// several transactions on one passphrase.
func (g *globals) submitSigned(key keyring.Key, priv ed25519.PrivateKey, body *txpb.Body) (*client.Receipt, error) {
	ctx, cancel := context60()
	defer cancel()
	c := g.client()
	st, err := c.Status(ctx)
	if err != nil {
		return nil, err
	}
	var nonce [8]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return nil, err
	}
	body.ChainId = st.ChainID
	body.ExpiryHeight = st.Height + min(expiryBlocks, st.Params.MaxExpiryDelta)
	body.Signer = key.Address.String()
	body.Nonce = binary.BigEndian.Uint64(nonce[:])
	raw, id, err := tx.Sign(body, priv)
	if err != nil {
		return nil, err
	}
	res, err := c.Submit(ctx, raw, true)
	var apiErr *client.APIError
	if errors.As(err, &apiErr) && apiErr.Code < 1000 && apiErr.Status != 504 {
		return nil, &rejectedError{code: apiErr.Code, name: apiErr.Name, message: apiErr.Message, txID: id.String()}
	}
	if err != nil {
		return nil, fmt.Errorf("submitting %s: %w", id, err)
	}
	return res.Receipt, nil
}

// printReceipt shows a committed transaction: its id, height and events.
func (g *globals) printReceipt(cmd *cobra.Command, rc *client.Receipt, summary string) error {
	return g.printReceiptAs(cmd, rc, rc, summary)
}

// printReceiptAs is printReceipt with v, which holds rc, as the JSON output.
func (g *globals) printReceiptAs(cmd *cobra.Command, v any, rc *client.Receipt, summary string) error {
	return g.print(cmd.OutOrStdout(), v, func(w io.Writer) {
		fmt.Fprintln(w, summary)
		fmt.Fprintf(w, "  tx      %s\n  height  %d\n", rc.TxID, rc.Height)
		if fee, ok := feeCharged(rc); ok {
			fmt.Fprintf(w, "  fee     %s\n", fee)
		}
	})
}

// feeCharged is the fee rc's transaction was charged, as people read it
// ("0.04 GBPT"), and false when it was charged none.
func feeCharged(rc *client.Receipt) (string, bool) {
	for _, e := range rc.Events {
		if e.Type != "fee.charged" {
			continue
		}
		for _, a := range e.Attrs {
			if a.Key == "amount" && a.Decimal != "" {
				return a.Decimal + " " + a.Unit, true
			}
			if a.Key == "amount" {
				return a.Value + " minor units", true
			}
		}
	}
	return "", false
}

// attr finds the first value of key in events of type typ.
func attr(rc *client.Receipt, typ, key string) string {
	for _, e := range rc.Events {
		if e.Type != typ {
			continue
		}
		for _, a := range e.Attrs {
			if a.Key == key {
				return a.Value
			}
		}
	}
	return ""
}

// tokenAmount fetches the token and parses amount in its units.
func (g *globals) tokenAmount(ctx context.Context, id, amount string) (*client.Token, money.Amount, error) {
	tid, err := ledger.ParseTokenID(id)
	if err != nil {
		return nil, money.Amount{}, &usageError{err}
	}
	t, err := g.client().Token(ctx, tid)
	if err != nil {
		return nil, money.Amount{}, err
	}
	if amount == "" {
		return t, money.Amount{}, nil
	}
	a, err := money.Parse(amount, t.Decimals)
	if err != nil {
		return nil, money.Amount{}, usageErrorf("--amount %q for %s (%d decimals): %v", amount, t.ID, t.Decimals, err)
	}
	return t, a, nil
}

// heldCoins lists owner's coins of t, at most client.MaxCoinsPage of them.
func (g *globals) heldCoins(ctx context.Context, owner ledger.Address, t *client.Token) ([]coin.Coin, error) {
	have, err := g.client().Coins(ctx, owner, t.ID, client.MaxCoinsPage)
	if err != nil {
		return nil, err
	}
	cs := make([]coin.Coin, len(have))
	for i, c := range have {
		cs[i] = coin.Coin{ID: c.ID, Amount: c.Units}
	}
	return cs, nil
}

// selectCoins picks owner's coins of tok worth at least amount.
func (g *globals) selectCoins(ctx context.Context, owner ledger.Address, t *client.Token, amount money.Amount) ([][]byte, money.Amount, error) {
	cs, err := g.heldCoins(ctx, owner, t)
	if err != nil {
		return nil, money.Amount{}, err
	}
	picked, total, err := coin.Select(cs, amount, tx.MaxInputs)
	if errors.Is(err, coin.ErrInsufficient) {
		var held money.Amount
		for _, c := range cs {
			held, _ = held.Add(c.Amount)
		}
		return nil, money.Amount{}, fmt.Errorf("%s holds %s %s in %d coin(s) (at most %d spendable at once; peg coins merge makes fewer); %s needed: %w",
			owner, held.FormatFixed(t.Decimals), t.Symbol, len(cs), tx.MaxInputs, amount.FormatFixed(t.Decimals), coin.ErrInsufficient)
	}
	if err != nil {
		return nil, money.Amount{}, err
	}
	ids := make([][]byte, len(picked))
	for i, c := range picked {
		ids[i] = c.ID[:]
	}
	return ids, total, nil
}

// planPayment picks owner's coins worth N ≥ amt and splits them into amt for
// payee and N − amt of change for owner (S2.6).
func (g *globals) planPayment(ctx context.Context, t *client.Token, owner, payee ledger.Address, amt money.Amount) ([][]byte, []*txpb.Output, money.Amount, error) {
	inputs, total, err := g.selectCoins(ctx, owner, t, amt)
	if err != nil {
		return nil, nil, money.Amount{}, err
	}
	outs, err := coin.Outputs(owner, payee, amt, total)
	if err != nil {
		return nil, nil, money.Amount{}, err
	}
	w := make([]*txpb.Output, len(outs))
	for i, o := range outs {
		w[i] = &txpb.Output{Owner: o.Owner.String(), Amount: o.Amount.String()}
	}
	return inputs, w, total, nil
}
