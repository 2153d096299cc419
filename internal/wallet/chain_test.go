package wallet

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/pegledger/peg/internal/node/nodetest"
	"github.com/pegledger/peg/internal/sqldb/sqltest"
)

// testChain is a real single-validator node in this process
// (internal/node/nodetest).
type testChain struct{ *nodetest.Chain }

const testChainID = "peg-wallet-test"

var newKey = nodetest.NewKey

// startChain starts a node with gbpt deployed and its reserve attested.
func startChain(t testing.TB) *testChain {
	return &testChain{nodetest.Start(t, testChainID)}
}

// databases are the tests' fresh databases (internal/sqldb/sqltest).
func databases(t *testing.T) map[string]func(t *testing.T) string {
	return sqltest.Databases(t, "wallet.db")
}

// testPassphrase is the master passphrase of the tests' servers.
const testPassphrase = "correct horse battery staple"

// cheapKDF keeps the tests' argon2id cost low.
var cheapKDF = kdf{Time: 1, MemoryKiB: 64, Threads: 1}

// newService opens a wallet server on database where against c.
func newService(t *testing.T, c *testChain, where string, secret string) *Service {
	t.Helper()
	s, err := New(context.Background(), Config{Database: where, Node: c.Node.APIURL(), Passphrase: []byte(testPassphrase),
		WebhookSecret: secret, FollowInterval: 100 * time.Millisecond, kdf: cheapKDF}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return s
}
