package state

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/pegledger/peg/internal/tx"
)

// TestEveryKindKeepsFeesEarmarked enumerates every transaction kind (S3.6):
// each either can move or create coins, and testdata/fees.txt points it at
// the fee contract (its coin f1, or the contract as payee, recipient or
// frozen account), or testdata/credit.txt does, and shows it refused (fee_collect signed by anyone but the
// revenue account, which collects only what fees spent or deposits expired),
// or it names no coin and no payee, so it cannot move a fee balance at all.
// A new kind fails here until it is classified.
func TestEveryKindKeepsFeesEarmarked(t *testing.T) {
	var script []byte
	for _, f := range []string{"testdata/fees.txt", "testdata/credit.txt"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		script = append(script, b...)
	}
	pointed := map[string]string{
		"pay":         "pay in=f1 ",
		"redeem":      "redeem in=f1 ",
		"fee_deposit": "fee-deposit in=f1 ",
		"spend_from":  "spend-from owner=fee-contract in=f1 ",
		"seize":       "seize in=f1",
		"mint":        "mint to=fee-contract ",
		"freeze":      "freeze account=fee-contract",
		"fee_collect": "fee-collect from=alice in=f1 ",
		// testdata/credit.txt
		"credit_fund":          "credit-fund in=f1 ",
		"credit_repay":         "credit-repay request=r6 in=f1 ",
		"credit_request":       "credit-request payee=fee-contract ",
		"register_credit_node": "credit-node node=fee-contract",
	}
	noCoins := []string{"accept_ownership", "approve", "attest", "authorize_issuer", "configure_minter", "deploy_token",
		"pause", "register_account", "register_certificate", "revoke_certificate", "set_fee_schedule",
		"transfer_ownership", "unfreeze", "unpause",
		"credit_confirm", "credit_receipt", "set_credit_line", // credit_request checked the payee
		"credit_increase", "credit_increase_decision"}
	for _, k := range tx.Kinds {
		cmd, moves := pointed[k]
		switch {
		case moves && !strings.Contains(string(script), "\n"+cmd):
			t.Errorf("%s can move coins, and testdata/fees.txt does not point it at the fee contract (%q)", k, cmd)
		case !moves && !slices.Contains(noCoins, k):
			t.Errorf("%s is not classified: does it move coins?", k)
		}
	}
}
