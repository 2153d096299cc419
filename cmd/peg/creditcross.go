package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/ledger"
	pegnet "github.com/pegledger/peg/internal/network"
	"github.com/pegledger/peg/internal/relay"
)

// creditWhere says where a cross-region request stands, as the chain that
// answered sees it: the next step, and which region takes it.
func creditWhere(r client.CreditRequest) string {
	switch {
	case r.To != "" && r.RecordedStatus == "PENDING" && r.Status == "LAPSED":
		return fmt.Sprintf("lapsed unpaid as far as this region knows; a payment region %s proves later is still a debt here", r.To)
	case r.To != "" && r.RecordedStatus == "PENDING":
		return fmt.Sprintf("held against the node's limit here; waiting for the payee to confirm on region %s and the proof of the payment", r.To)
	case r.To != "" && len(r.Repayments) > 0:
		return fmt.Sprintf("paid on region %s; the debt is kept here; %d repayment(s) here, each proven to %s", r.To, len(r.Repayments), r.To)
	case r.To != "":
		return fmt.Sprintf("paid on region %s; the debt is kept here, and repaid here", r.To)
	case r.From != "" && r.RecordedStatus == "PENDING":
		return fmt.Sprintf("requested on region %s, which holds it against the node's limit; the payee confirms it here", r.From)
	case r.From != "":
		return fmt.Sprintf("paid here from the node's pool; the debt is kept on region %s, where the payer repays", r.From)
	}
	return ""
}

func creditCarryCmd(g *globals) *cobra.Command {
	var file, from string
	var region string
	cmd := &cobra.Command{
		Use:   "carry REQUEST --region R --network FILE --from KEY",
		Short: "Carry a cross-region credit request one step by proof, as the relayer does",
		Long: `Carry the credit request REQUEST, made on region --region (its payer's), one
step between the regions of --network (S4.1): to the payee's region if it
has not seen it (credit_request_in, with the proof of the request); its
payment back to the payer's region (credit_paid_in, with the proof of the
payee's confirmation); its repayments to the payee's region
(credit_repaid_in, with the proof of each). peg relay does this for every
request on every pass; the chains check the proofs, not the signer.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := ledger.ParseTxID(args[0])
			if err != nil {
				return usageErrorf("REQUEST: %v", err)
			}
			n, err := pegnet.Load(file)
			if err != nil {
				return &usageError{err}
			}
			reg, ok := n.Region(ledger.Region(region))
			if !ok || len(reg.Endpoints) == 0 {
				return usageErrorf("--region %q is not a region of %s with an endpoint", region, file)
			}
			key, priv, err := signer(cmd, g, from)
			if err != nil {
				return err
			}
			ctx, cancel := context60()
			defer cancel()
			c := client.New(reg.Endpoints[0])
			q, err := c.CreditRequest(ctx, id)
			if err != nil {
				return err
			}
			if q.To == "" {
				return usageErrorf("request %s is not to a payee of another region", id)
			}
			r := relay.New(relay.Config{Network: n, Key: priv, Signer: key.Address})
			finished, err := r.CarryCredit(ctx, reg.Region, *q)
			if err != nil {
				return err
			}
			if q, err = c.CreditRequest(ctx, id); err != nil {
				return err
			}
			out := struct {
				Request  client.CreditRequest `json:"request"`
				Finished bool                 `json:"finished"`
			}{*q, finished}
			return g.print(cmd.OutOrStdout(), out, func(w io.Writer) {
				printCreditRequest(w, *q)
				if finished {
					fmt.Fprintln(w, "nothing is left to carry")
				}
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&file, "network", "network.toml", "network file (examples/network.toml)")
	f.StringVar(&region, "region", "", "the payer's region, where the request was made")
	f.StringVar(&from, "from", "", "key that signs (anyone)")
	required(cmd, "region", "from")
	return cmd
}
