package main

import (
	"crypto/sha256"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/pegledger/peg/internal/money"
	"github.com/pegledger/peg/internal/token"
	"github.com/pegledger/peg/internal/tx/txpb"
)

func reserveCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "reserve", Short: "Watch the fiat reserves behind the coins"}
	cmd.AddCommand(attestCmd(g))
	return cmd
}

func attestCmd(g *globals) *cobra.Command {
	var from, tok, balance, balanceType, bankTime, evidence string
	cmd := &cobra.Command{
		Use:   "attest --from KEY --token ID --balance DEC [--evidence FILE]",
		Short: "Post a reading of the reserve's bank balance by hand (attestor)",
		Long: `Post an attestation of the reserve's bank balance, read from a statement or the
bank's portal, signed by the token's attestor. The monitor posts these on its own
for banks it can reach; this is for the rest. The hash of --evidence (the bank's
statement file as received) is recorded so that an auditor can match it; without
it the hash covers the entered figures.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := context60()
			defer cancel()
			t, _, err := g.tokenAmount(ctx, tok, "")
			if err != nil {
				return err
			}
			cur, ok := token.LookupCurrency(t.Contract.Fiat.Currency)
			if !ok {
				return fmt.Errorf("token %s has unknown currency %q", t.ID, t.Contract.Fiat.Currency)
			}
			amt, err := money.Parse(balance, cur.Digits)
			if err != nil {
				return usageErrorf("--balance %q in %s (%d decimals): %v", balance, cur.Code, cur.Digits, err)
			}
			at := time.Now().UTC().Truncate(time.Second)
			if bankTime != "" {
				if at, err = time.Parse(time.RFC3339, bankTime); err != nil {
					return usageErrorf("--bank-time: %v", err)
				}
			}
			raw := []byte(fmt.Sprintf("manual %s %s %s %s %s %s", t.ID, t.Contract.Fiat.Account, cur.Code, amt, balanceType, at.Format(time.RFC3339)))
			if evidence != "" {
				if raw, err = os.ReadFile(evidence); err != nil {
					return err
				}
			}
			hash := sha256.Sum256(raw)
			rc, err := g.submit(cmd, from, &txpb.Body{Msg: &txpb.Body_Attest{Attest: &txpb.Attest{
				Token: string(t.ID), Account: t.Contract.Fiat.Account, Currency: cur.Code, Balance: amt.String(),
				BalanceType: balanceType, BankTime: at.Unix(), RawHash: hash[:], Source: "manual"}}})
			if err != nil {
				return err
			}
			return g.printReceipt(cmd, rc, fmt.Sprintf("attested %s %s in %s for %s; reserve %s",
				amt.Format(cur.Digits), cur.Code, t.Contract.Fiat.Account, t.ID, attr(rc, "reserve.attested", "status")))
		},
	}
	f := cmd.Flags()
	f.StringVar(&from, "from", "attestor", "attestor: key name")
	f.StringVar(&tok, "token", "", "token id")
	f.StringVar(&balance, "balance", "", "balance in the reserve's currency, e.g. 1000000.00")
	f.StringVar(&balanceType, "type", "ClosingBooked", "the bank's balance type")
	f.StringVar(&bankTime, "bank-time", "", "the bank's time of the balance, RFC 3339 (default now)")
	f.StringVar(&evidence, "evidence", "", "the bank's statement or answer as received, to hash")
	required(cmd, "token", "balance")
	return cmd
}
