package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/node"
	"github.com/pegledger/peg/internal/proof"
)

// maxProofFile bounds the proof and trust files `peg coin verify` reads: a
// proof of a region of a hundred validators is some 100 KB.
const maxProofFile = 4 << 20

const coinLong = `Prove a coin's creation, and check such a proof offline.

A coin proof shows that a coin (its id, token, owner and amount) was created
by an accepted transaction in a block that the region's validators signed. It
shows that the coin was created, not that it is still unspent: whether it is
is a question only the coin's region can answer, online (peg coins OWNER
against a node of that region), since the region is the authority on double
spends. Creation is a permanent fact, so an old proof verifies as well as a
new one.`

func coinCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "coin", Short: "Prove a coin's creation and verify proofs offline", Long: coinLong}
	cmd.AddCommand(coinProofCmd(g), coinVerifyCmd(g))
	return cmd
}

func coinProofCmd(g *globals) *cobra.Command {
	var txText, out string
	var wait time.Duration
	cmd := &cobra.Command{
		Use:   "proof COIN --tx TXID [--out FILE]",
		Short: "Write a self-contained proof of a coin's creation",
		Long: `Write a self-contained proof of a coin's creation (JSON; docs/proofs.md): the
coin's fields, the receipt of the transaction that created it with its Merkle
paths, the next block's signed header and commit, and the validator set that
signed it. Anyone can check it offline with peg coin verify.

--tx names the transaction that created the coin: peg pay and peg token mint
print it, and peg tx show TXID lists the coins it created. A transaction's
proof needs the block after the transaction's; until it is committed the node
answers PROOF_NOT_YET, and the command asks again every second for --wait.

The proof shows that the coin was created, not that it is unspent: only its
region can say that, online.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			coin, err := ledger.ParseCoinID(args[0])
			if err != nil {
				return &usageError{fmt.Errorf("COIN: %w", err)}
			}
			id, err := ledger.ParseTxID(txText)
			if err != nil {
				return &usageError{fmt.Errorf("--tx: %w", err)}
			}
			p, err := fetchCoinProof(g.client(), coin, id, wait)
			if err != nil {
				return err
			}
			b, err := json.MarshalIndent(p, "", "  ")
			if err != nil {
				return err
			}
			b = append(b, '\n')
			if out == "" {
				_, err := cmd.OutOrStdout().Write(b)
				return err
			}
			if err := os.WriteFile(out, b, 0o644); err != nil {
				return err
			}
			view := proofWritten{File: out, Coin: p.Coin, ChainID: p.Receipt.ChainID, Height: p.Receipt.Height, TxID: id}
			return g.print(cmd.OutOrStdout(), view, func(w io.Writer) {
				fmt.Fprintf(w, "wrote the proof of coin %s (%s %s minor units, owner %s), created by %s in block %d of %s, to %s\n",
					p.Coin.ID, p.Coin.Token, p.Coin.Amount, p.Coin.Owner, id, p.Receipt.Height, p.Receipt.ChainID, out)
			})
		},
	}
	cmd.Flags().StringVar(&txText, "tx", "", "the transaction that created the coin (required)")
	cmd.Flags().StringVar(&out, "out", "", "write the proof to this file instead of stdout")
	cmd.Flags().DurationVar(&wait, "wait", 30*time.Second, "how long to wait for the block that the proof needs (0: do not wait)")
	_ = cmd.MarkFlagRequired("tx")
	return cmd
}

// proofWritten is `peg coin proof --out`'s answer with --output json.
type proofWritten struct {
	File    string         `json:"file"`
	Coin    proof.CoinInfo `json:"coin"`
	ChainID string         `json:"chain_id"`
	Height  int64          `json:"height"`
	TxID    ledger.TxID    `json:"tx_id"`
}

// fetchCoinProof asks for a coin proof, again every second while the node
// answers PROOF_NOT_YET, for at most wait.
func fetchCoinProof(c *client.Client, coin ledger.CoinID, id ledger.TxID, wait time.Duration) (*proof.Coin, error) {
	deadline := time.Now().Add(wait)
	for {
		ctx, cancel := context60()
		p, err := c.CoinProof(ctx, coin, id)
		cancel()
		var apiErr *client.APIError
		if err == nil || !errors.As(err, &apiErr) || apiErr.Code != uint32(ledger.CodeProofNotYet) || time.Now().Add(time.Second).After(deadline) {
			return p, refusal(err)
		}
		time.Sleep(time.Second)
	}
}

// refusal turns the API's refusal of a proof (a ledger code) into the CLI's
// refusal, exit 3; other errors pass as they are.
func refusal(err error) error {
	var apiErr *client.APIError
	if errors.As(err, &apiErr) && apiErr.Code < 1000 {
		return &rejectedError{code: apiErr.Code, name: apiErr.Name, message: apiErr.Message, txID: apiErr.TxID}
	}
	return err
}

func coinVerifyCmd(g *globals) *cobra.Command {
	var trustFile string
	cmd := &cobra.Command{
		Use:   "verify FILE --trust FILE",
		Short: "Check a coin proof offline: REAL or COUNTERFEIT",
		Long: `Check a coin proof (peg coin proof) offline, against the validator set of
the region it trusts (--trust: the region's genesis file, or what
peg validators export writes). It reads no network and no clock.

It prints REAL with the coin's token, owner, amount (in minor units of the
token), chain and height, or COUNTERFEIT with the reason and its code, and
exits 3 as every refusal does: an altered amount, owner or token
(PROOF_NOT_COIN), an altered receipt or path (PROOF_PATH), a header of another
chain (PROOF_WRONG_CHAIN), a commit of 2/3 of the power or less
(PROOF_WEAK_COMMIT), a forged commit (PROOF_BAD_COMMIT), validators the trust
file does not trust (PROOF_UNTRUSTED_VALIDATORS), a refused transaction
(PROOF_REFUSED), a file that is no proof (PROOF_MALFORMED).

REAL means the coin was created. Whether it is still unspent only its region
can say, online: the region is the authority on double spends.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			tb, err := readLimited(trustFile)
			if err != nil {
				return err
			}
			trust, err := proof.LoadTrust(tb)
			if err != nil {
				return err
			}
			pb, err := readLimited(args[0])
			if err != nil {
				return err
			}
			v, rej := verifyCoinFile(pb, trust)
			if rej != nil {
				if g.output != "json" {
					fmt.Fprintf(cmd.OutOrStdout(), "COUNTERFEIT: %s (code %d): %s\n", rej.Code.Name(), uint32(rej.Code), rej.Message)
				}
				return &rejectedError{code: uint32(rej.Code), name: rej.Code.Name(), message: rej.Message, shown: true}
			}
			view := coinVerdict{Verdict: "REAL", Coin: v.Coin, ChainID: v.ChainID, Height: v.Height, TxID: v.Leaf.TxID,
				CommittedAt: v.Header.Time.UTC()}
			return g.print(cmd.OutOrStdout(), view, func(w io.Writer) {
				fmt.Fprintf(w, "REAL\ncoin    %s\ntoken   %s\nowner   %s\namount  %s (minor units of %s)\nchain   %s\nheight  %d (committed by block %d at %s)\ntx      %s\n",
					v.Coin.ID, v.Coin.Token, v.Coin.Owner, v.Coin.Amount, v.Coin.Token, v.ChainID, v.Height, v.Height+1,
					view.CommittedAt.Format(time.RFC3339), v.Leaf.TxID)
				fmt.Fprintln(w, "The coin was created; whether it is still unspent only its region can say, online.")
			})
		},
	}
	cmd.Flags().StringVar(&trustFile, "trust", "", "the trusted region's genesis file, or a validators file (peg validators export) (required)")
	_ = cmd.MarkFlagRequired("trust")
	return cmd
}

// coinVerdict is `peg coin verify`'s answer for a real coin, with --output
// json.
type coinVerdict struct {
	Verdict     string         `json:"verdict"`
	Coin        proof.CoinInfo `json:"coin"`
	ChainID     string         `json:"chain_id"`
	Height      int64          `json:"height"`
	TxID        ledger.TxID    `json:"tx_id"`
	CommittedAt time.Time      `json:"committed_at"`
}

// verifyCoinFile decodes a coin proof file and verifies it; a file that is
// not one is PROOF_MALFORMED.
func verifyCoinFile(b []byte, trust proof.Trust) (*proof.VerifiedCoin, *ledger.Rejection) {
	var p proof.Coin
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, ledger.Reject(ledger.CodeProofMalformed, "the file is not a coin proof: %v", err)
	}
	return proof.VerifyCoin(&p, trust)
}

// readLimited reads a file of at most maxProofFile bytes.
func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxProofFile+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxProofFile {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, maxProofFile)
	}
	return b, nil
}

func validatorsCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "validators", Short: "A region's validator set, for those who verify its proofs"}
	var out string
	export := &cobra.Command{
		Use:   "export [--out FILE]",
		Short: "Write the chain id and validators of --home's genesis, the trust file of peg coin verify",
		Long: `Write the chain id and validator set of the node at --home, read from its
genesis file, in the form peg coin verify --trust reads (the genesis file
itself works too; this one carries nothing else). It reads no network.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := g.requireNode(); err != nil {
				return err
			}
			gb, err := os.ReadFile(filepath.Join(g.home, node.GenesisFile))
			if err != nil {
				return err
			}
			b, trust, err := proof.ExportTrust(gb)
			if err != nil {
				return err
			}
			b = append(b, '\n')
			if out == "" {
				_, err := cmd.OutOrStdout().Write(b)
				return err
			}
			if err := os.WriteFile(out, b, 0o644); err != nil {
				return err
			}
			return g.print(cmd.OutOrStdout(), map[string]any{"file": out, "chain_id": trust.ChainID, "validators": trust.Validators.Size()},
				func(w io.Writer) {
					fmt.Fprintf(w, "wrote the %d validators of chain %s to %s\n", trust.Validators.Size(), trust.ChainID, out)
				})
		},
	}
	export.Flags().StringVar(&out, "out", "", "write to this file instead of stdout")
	cmd.AddCommand(export)
	return cmd
}
