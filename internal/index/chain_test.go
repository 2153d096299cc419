package index

import (
	"testing"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/node/nodetest"
	"github.com/pegledger/peg/internal/tx/txpb"
)

// testChain is a real single-validator node in this process
// (internal/node/nodetest).
type testChain struct{ *nodetest.Chain }

type key = nodetest.Key

var newKey = nodetest.NewKey

var (
	alice = newKey("alice")
	bob   = newKey("bob")
	carol = newKey("carol")
)

// startChain starts a node of chain chainID (region GB) with gbpt deployed
// and its reserve attested.
func startChain(t testing.TB, chainID string) *testChain {
	return &testChain{nodetest.Start(t, chainID)}
}

// pay spends coins of k's into outputs (owner, units) and waits for the
// block.
func (c *testChain) pay(k key, coins []ledger.CoinID, outs ...any) ledger.TxID {
	in := make([][]byte, len(coins))
	for i, id := range coins {
		in[i] = id[:]
	}
	p := &txpb.Pay{Token: "gbpt", Inputs: in}
	for i := 0; i+1 < len(outs); i += 2 {
		p.Outputs = append(p.Outputs, &txpb.Output{Owner: outs[i].(ledger.Address).String(), Amount: outs[i+1].(string)})
	}
	return c.Submit(k, &txpb.Body{Msg: &txpb.Body_Pay{Pay: p}}).TxID
}
