package query

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"testing"
	"time"

	"github.com/pegledger/peg/internal/index"
	"github.com/pegledger/peg/internal/index/idkey"
	"github.com/pegledger/peg/internal/sqldb"
	"github.com/pegledger/peg/internal/sqldb/sqltest"
)

// fixture writes index rows with plain SQL, in the schema's shape, for the
// Reader to read: the tests do not depend on the indexer.
type fixture struct {
	t   testing.TB
	db  *sqldb.DB
	ctx context.Context
}

// eachDB runs fn on a fresh index on every database sqltest gives.
func eachDB(t *testing.T, fn func(t *testing.T, f *fixture)) {
	for name, fresh := range sqltest.Databases(t, "index.db") {
		t.Run(name, func(t *testing.T) {
			fn(t, newFixture(t, fresh(t)))
		})
	}
}

func newFixture(t testing.TB, where string) *fixture {
	ctx := context.Background()
	db, err := index.Open(ctx, where)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &fixture{t: t, db: db, ctx: ctx}
}

func (f *fixture) exec(q string, args ...any) {
	f.t.Helper()
	if _, err := f.db.ExecContext(f.ctx, q, args...); err != nil {
		f.t.Fatalf("%s: %v", q, err)
	}
}

// day0 is the fixtures' first day.
var day0 = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

// chain records how far a chain is indexed.
func (f *fixture) chain(id, region string, height int64, at time.Time) {
	f.exec(`INSERT INTO chains (chain_id, region, height, block_hash, time_ns) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (chain_id) DO UPDATE SET height = $3, block_hash = $4, time_ns = $5`,
		id, region, height, fmt.Sprintf("%064x", height), at.UnixNano())
}

func (f *fixture) block(chain string, height int64, at time.Time, txs int) {
	f.exec(`INSERT INTO blocks (chain_id, height, time_ns, day, hash, app_hash, proposer, txs) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		chain, height, at.UnixNano(), at.UTC().Format(dayLayout), fmt.Sprintf("%064x", height), "", "PROPOSER", txs)
}

// ftx is one transaction row.
type ftx struct {
	chain, region       string
	height              int64
	idx                 int
	at                  time.Time
	kind, signer, token string
	code                int
	amount              string // minor units
	payer, payee        string
	payeeRegion         string
}

// fixtureID is the id of the fixture's transaction at height and idx: a
// hash, as the chain's are, so that its key (idkey.Of) is not 0.
func fixtureID(height int64, idx int) string {
	h := sha256.Sum256(fmt.Appendf(nil, "%d/%d", height, idx))
	return hex.EncodeToString(h[:])
}

func (f *fixture) tx(x ftx) string {
	f.t.Helper()
	if x.chain == "" {
		x.chain, x.region = "peg-gb", "GB"
	}
	id := fixtureID(x.height, x.idx)
	if x.amount == "" {
		x.amount = "0"
	}
	hi, lo := splitTest(f.t, x.amount)
	codeName := "OK"
	if x.code != 0 {
		codeName = "REFUSED"
	}
	f.exec(`INSERT INTO txs (chain_id, region, height, idx, tx_id, tx_key, time_ns, day, kind, signer, code, code_name, token, amount,
		amt_hi, amt_lo, payer, payee, payee_region, fee) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13,
		$14, $15, $16, $17, $18, $19, $20)`,
		x.chain, x.region, x.height, x.idx, id, idkey.Of(id), x.at.UnixNano(), x.at.UTC().Format(dayLayout), x.kind, x.signer, x.code, codeName,
		x.token, x.amount, hi, lo, x.payer, x.payee, x.payeeRegion, "0")
	if x.code == 0 && (x.kind == "pay" || x.kind == "spend_from") {
		f.exec(`INSERT INTO payment_days (day, chain_id, token, region, payee_region, payments, amt_hi, amt_lo)
			VALUES ($1, $2, $3, $4, $5, 1, $6, $7) ON CONFLICT (day, token, region, payee_region, chain_id) DO UPDATE SET
			payments = payment_days.payments + 1, amt_hi = payment_days.amt_hi + excluded.amt_hi, amt_lo = payment_days.amt_lo + excluded.amt_lo`,
			x.at.UTC().Format(dayLayout), x.chain, x.token, x.region, x.payeeRegion, hi, lo)
	}
	return id
}

// entry records an account's side of a transaction.
func (f *fixture) entry(x ftx, address, counterparty, in, out string) {
	if x.chain == "" {
		x.chain, x.region = "peg-gb", "GB"
	}
	id := fixtureID(x.height, x.idx)
	f.exec(`INSERT INTO entries (address, chain_id, region, height, idx, tx_id, time_ns, kind, token, counterparty, amount_in,
		amount_out, net_hi, net_lo) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 0, 0)`,
		address, x.chain, x.region, x.height, x.idx, id, x.at.UnixNano(), x.kind, x.token, counterparty, in, out)
	f.exec(`INSERT INTO active_days (day, address) VALUES ($1, $2) ON CONFLICT (day, address) DO NOTHING`, x.at.UTC().Format(dayLayout), address)
}

// pay records an accepted payment with both entries.
func (f *fixture) pay(x ftx) string {
	x.kind = "pay"
	x.signer = x.payer
	id := f.tx(x)
	f.entry(x, x.payer, x.payee, "0", x.amount)
	f.entry(x, x.payee, x.payer, x.amount, "0")
	return id
}

func splitTest(t testing.TB, units string) (int64, int64) {
	v, ok := new(big.Int).SetString(units, 10)
	if !ok {
		t.Fatalf("amount %q", units)
	}
	hi, lo, ok := split(v)
	if !ok {
		t.Fatalf("amount %q too large", units)
	}
	return hi, lo
}

func (f *fixture) tokenEvent(chain string, height int64, idx int, at time.Time, token, typ, supply, reserve, required, status string) {
	f.exec(`INSERT INTO token_events (chain_id, height, idx, seq, time_ns, day, token, type, tx_id, address, amount, supply, reserve,
		required, currency, status) VALUES ($1, $2, $3, 0, $4, $5, $6, $7, '', '', '0', $8, $9, $10, 'GBP', $11)`,
		chain, height, idx, at.UnixNano(), at.UTC().Format(dayLayout), token, typ, supply, reserve, required, status)
}

func (f *fixture) trade(id string, funded, settled time.Time) {
	f.exec(`INSERT INTO trades (trade_id, trade_key, chain_id, buyer, seller, token, amount, status, opened_ns, funded_ns, settled_ns, closed_ns)
		VALUES ($1, $2, 'peg-gb', 'b', 's', 'gbpt', '1', 'SETTLED', $3, $3, $4, $4)`, id, idkey.Of(id), funded.UnixNano(), settled.UnixNano())
}

func (f *fixture) credit(id string, opened, paid time.Time) {
	f.exec(`INSERT INTO credits (request_id, chain_id, node, payer, payee, amount, status, opened_ns, paid_ns)
		VALUES ($1, 'peg-gb', 'n', 'p', 'q', '1', 'PAID', $2, $3)`, id, opened.UnixNano(), paid.UnixNano())
}

// gbpt is the token the tests know: two decimals.
func testTokens(id string) (Token, bool) {
	if id == "gbpt" {
		return Token{Symbol: "GBPT", Decimals: 2}, true
	}
	return Token{}, false
}

// Addresses for the tests (bech32-shaped; the Reader checks the shape).
func addr(n int) string {
	const charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
	b := []byte("peg1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq")
	for i := len(b) - 1; n > 0; i-- {
		b[i] = charset[n%32]
		n /= 32
	}
	return string(b)
}

func bigInt(v int64) *big.Int { return big.NewInt(v) }

func decodeJSON(t testing.TB, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
}
