package state

import (
	"bytes"
	"fmt"
	"maps"
	"slices"

	"github.com/pegledger/peg/internal/fee"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
	"github.com/pegledger/peg/internal/token"
)

// AuditReport is the outcome of a full audit of committed state.
type AuditReport struct {
	Tokens   int // token records
	Coins    int // unspent coins
	Spent    int // spent coins
	Problems []string
}

// OK reports whether the audit found nothing wrong.
func (r AuditReport) OK() bool { return len(r.Problems) == 0 }

// MaxAuditProblems bounds the problems an audit lists, so that a badly broken
// store still gives a readable report.
const MaxAuditProblems = 100

func (r *AuditReport) problem(format string, args ...any) {
	if len(r.Problems) < MaxAuditProblems {
		r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
	}
}

// Audit recomputes the money invariants from committed state:
//
//   - every token record is stored under its own id;
//   - every coin decodes, has a positive amount, an owner that is a valid
//     address and a token that exists (the owner index is not stored: it is
//     made from the coins, see Unspent);
//   - no coin is both spent and unspent, and every spent coin names a
//     spending transaction that has a receipt;
//   - Σ unspent coins of each token equals its supply; supply is within the
//     cap and equals minted less redeemed; redeemed equals the sum of the
//     token's redemption records; the frozen-account count is right;
//   - every redemption owes exactly what it burned is worth, in whole fiat
//     minor units;
//   - no reserve balance backs two tokens, and the balance index agrees with
//     the contracts;
//   - every alias points at an address of home, the chain's region, and the
//     count of each address's aliases agrees with the aliases.
//   - every credit node's pool and books agree, and Σ debts outstanding =
//     Σ paid on credit − Σ repaid, per node (auditCredit).
//   - every trade's holding pool holds Funded − Released − Refunded, its
//     amount while it is funded and open and nothing otherwise, and the
//     parties' open trades agree with the trades (auditTrades).
//   - a mint request moved no coin until it was executed, only executed
//     requests added to a supply, and a token's open requests agree with
//     the requests (auditMintRequests).
//
// A record that does not decode is reported as a problem, never a panic, so
// that the audit of a damaged store says what is damaged.
func Audit(s Scanner, home ledger.Region) (AuditReport, error) {
	var rep AuditReport
	tokens, err := auditTokens(s, &rep)
	if err != nil {
		return rep, err
	}
	rep.Tokens = len(tokens)
	sums := make(map[ledger.TokenID]money.Amount, len(tokens))
	for _, t := range tokens {
		sums[t.Contract.ID] = money.Amount{}
	}
	feeCoins := make(map[ledger.TokenID]money.Amount)
	if err := auditCoins(s, &rep, sums, feeCoins); err != nil {
		return rep, err
	}
	if err := auditFees(s, &rep, feeCoins); err != nil {
		return rep, err
	}
	if err := auditCredit(s, &rep); err != nil {
		return rep, err
	}
	if err := auditTrades(s, &rep); err != nil {
		return rep, err
	}
	if err := auditMintRequests(s, &rep, tokens); err != nil {
		return rep, err
	}
	if err := auditKYC(s, &rep, tokens); err != nil {
		return rep, err
	}
	redeemed, err := auditRedemptions(s, &rep, tokens)
	if err != nil {
		return rep, err
	}
	if err := auditBalances(s, &rep, tokens); err != nil {
		return rep, err
	}
	if err := auditAliases(s, &rep, home); err != nil {
		return rep, err
	}
	frozen, err := frozenCounts(s)
	if err != nil {
		return rep, err
	}
	if err := auditTransfers(s, &rep, tokens); err != nil {
		return rep, err
	}
	for _, t := range tokens {
		id := t.Contract.ID
		if frozen[id] != t.Frozen {
			rep.problem("token %s: %d accounts frozen, its count says %d", id, frozen[id], t.Frozen)
		}
		if held := t.Held(BooksOf(s, id)); sums[id] != held {
			rep.problem("token %s: unspent coins total %s; supply %s less sent, plus received and refunded, is %s", id, sums[id], t.Supply, held)
		}
		if t.Supply.Cmp(t.Contract.SupplyCap) > 0 {
			rep.problem("token %s: supply %s exceeds cap %s", id, t.Supply, t.Contract.SupplyCap)
		}
		if net, ok := t.Minted.Sub(t.Redeemed); !ok || net != t.Supply {
			rep.problem("token %s: minted %s less redeemed %s is not the supply %s", id, t.Minted, t.Redeemed, t.Supply)
		}
		if r := redeemed[id]; r != t.Redeemed {
			rep.problem("token %s: redemption records total %s, redeemed is %s", id, r, t.Redeemed)
		}
	}
	slices.Sort(rep.Problems)
	return rep, nil
}

// auditTransfers checks each token's cross-region books against its
// transfer records: Sent − Refunded − Delivered is what the pending
// outbound transfers total, Received what the deliveries total; and that
// every record has its entries in the indexes by height and by status, and
// the indexes no others.
func auditTransfers(s Scanner, rep *AuditReport, tokens []Token) error {
	type sums struct{ out, in money.Amount }
	got := make(map[ledger.TokenID]*sums, len(tokens))
	for _, t := range tokens {
		got[t.Contract.ID] = &sums{}
	}
	records := 0
	for _, dir := range []string{TransferOut, TransferIn} {
		err := s.Scan(transferPrefix(dir), nil, func(k, v []byte) bool {
			var t Transfer
			if msg := recovered(func() { decode(k, v, &t) }); msg != "" {
				rep.problem("%s", msg)
				return true
			}
			records++
			if s.Get(transferHeightKey(dir, t.Height, t.ID)) == nil || s.Get(transferStatusKey(dir, t.Status, t.Height, t.ID)) == nil {
				rep.problem("transfer %s (%s, %s) is missing from the transfer indexes", t.ID, dir, t.Status)
			}
			g := got[t.Token]
			switch {
			case g == nil && t.Status == TransferReturned:
				// returned because this chain does not know the token
			case g == nil:
				rep.problem("transfer %s is of token %s, which this chain does not know", t.ID, t.Token)
			case dir == TransferOut && t.Status == TransferPending:
				g.out, _ = g.out.Add(t.Amount)
			case dir == TransferIn && t.Status == TransferDelivered:
				g.in, _ = g.in.Add(t.Amount)
			}
			return true
		})
		if err != nil {
			return err
		}
	}
	if err := auditTransferIndexes(s, rep, records); err != nil {
		return err
	}
	for _, t := range tokens {
		id := t.Contract.ID
		b := BooksOf(s, id)
		pending, ok := b.Sent.Sub(b.Refunded)
		if ok {
			pending, ok = pending.Sub(b.Delivered)
		}
		if !ok || pending != got[id].out {
			rep.problem("token %s: sent %s less refunded %s and delivered %s is not the pending outbound transfers' %s", id, b.Sent, b.Refunded, b.Delivered, got[id].out)
		}
		if b.Received != got[id].in {
			rep.problem("token %s: received %s is not the delivered inbound transfers' %s", id, b.Received, got[id].in)
		}
	}
	return nil
}

// auditTransferIndexes checks that each transfer index has one entry per
// record: with auditTransfers' check that every record has its entries,
// no entry is stale.
func auditTransferIndexes(s Scanner, rep *AuditReport, records int) error {
	for _, prefix := range []string{prefixXferHeight, prefixXferStatus} {
		n := 0
		if err := s.Scan([]byte(prefix), nil, func(_, _ []byte) bool { n++; return true }); err != nil {
			return err
		}
		if n != records {
			rep.problem("the transfer index %s has %d entries for %d transfers", prefix, n, records)
		}
	}
	return nil
}

// recovered runs fn and returns the message of the panic a corrupt record
// makes it raise, or "" if it returned.
func recovered(fn func()) (msg string) {
	defer func() {
		if v := recover(); v != nil {
			msg = fmt.Sprint(v)
		}
	}()
	fn()
	return ""
}

// auditTokens reads every token record that decodes and is stored under its
// own id.
func auditTokens(s Scanner, rep *AuditReport) ([]Token, error) {
	var out []Token
	err := s.Scan([]byte(prefixToken), nil, func(k, v []byte) bool {
		var t Token
		if msg := recovered(func() { decode(k, v, &t) }); msg != "" {
			rep.problem("%s", msg)
			return true
		}
		if id := ledger.TokenID(k[len(prefixToken):]); t.Contract.ID != id {
			rep.problem("token record %q holds token %q", id, t.Contract.ID)
			return true
		}
		out = append(out, t)
		return true
	})
	return out, err
}

// auditCoins checks each unspent coin and adds it to its token's sum (and,
// held by the fee contract, to feeCoins), and checks that each spent one
// names a transaction with a receipt.
func auditCoins(s Scanner, rep *AuditReport, sums, feeCoins map[ledger.TokenID]money.Amount) error {
	return s.Scan([]byte(prefixCoin), nil, func(k, v []byte) bool {
		if len(k) != len(prefixCoin)+ledger.HashSize {
			rep.problem("coin key %q is not a coin id", k)
			return true
		}
		var id ledger.CoinID
		copy(id[:], k[len(prefixCoin):])
		if isSpent(v) {
			rep.Spent++
			var by ledger.TxID
			copy(by[:], v)
			if s.Get(receiptKey(by)) == nil {
				rep.problem("coin %s was spent by transaction %s, which has no receipt", id, by)
			}
			return true
		}
		rep.Coins++
		var c Coin
		if msg := recovered(func() { c = decodeCoin(id, v) }); msg != "" {
			rep.problem("%s", msg)
			return true
		}
		if c.Amount.IsZero() {
			rep.problem("coin %s has a zero amount", id)
		}
		if c.Owner.IsZero() {
			rep.problem("coin %s has no owner", id)
		}
		sum, known := sums[c.Token]
		if !known {
			rep.problem("coin %s is of unknown token %q", id, c.Token)
			return true
		}
		if sum, ok := sum.Add(c.Amount); ok {
			sums[c.Token] = sum
		} else {
			rep.problem("coins of %s overflow", c.Token)
		}
		if c.Owner == FeeContract(c.Owner.Region()) {
			feeCoins[c.Token], _ = feeCoins[c.Token].Add(c.Amount) // within the token's sum, which did not overflow
		}
		return true
	})
}

// auditFees checks the fee books (S3): every fee account's deposits equal
// what it spent, what expired and what it still holds; the accounts' totals
// are the fee contract's books; fee revenue is what the accounts spent; what
// was collected is at most what was spent or expired; and the fee contract's
// coins are worth what was deposited less what was collected, so fee
// balances still count in their token's supply.
func auditFees(s Scanner, rep *AuditReport, feeCoins map[ledger.TokenID]money.Amount) error {
	var sum FeeTotals
	accounts := make(map[string]*fee.Account) // by address bytes
	err := s.Scan([]byte(prefixFeeAccount), nil, func(k, v []byte) bool {
		var a *fee.Account
		if msg := recovered(func() { a = decodeFeeAccount(k, v) }); msg != "" {
			rep.problem("%s", msg)
			return true
		}
		accounts[string(k[len(prefixFeeAccount):])] = a
		if err := a.CheckBalance(); err != nil {
			rep.problem("fee account %x: %v", k[len(prefixFeeAccount):], err)
		}
		var ok1, ok2, ok3 bool
		sum.Deposited, ok1 = sum.Deposited.Add(a.Deposited)
		sum.Spent, ok2 = sum.Spent.Add(a.Spent)
		sum.Expired, ok3 = sum.Expired.Add(a.Expired)
		if !ok1 || !ok2 || !ok3 {
			rep.problem("fee accounts' totals overflow")
		}
		return true
	})
	if err != nil {
		return err
	}
	if err := auditFeeHistory(s, rep, accounts); err != nil {
		return err
	}
	books := LoadFeeTotals(s)
	if sum.Deposited != books.Deposited || sum.Spent != books.Spent || sum.Expired != books.Expired {
		rep.problem("fee accounts total deposited %s, spent %s, expired %s; the fee books say %s, %s, %s",
			sum.Deposited, sum.Spent, sum.Expired, books.Deposited, books.Spent, books.Expired)
	}
	held, ok := books.Deposited.Sub(books.Collected)
	if earned, _ := books.Spent.Add(books.Expired); !ok || books.Collected.Cmp(earned) > 0 {
		rep.problem("the fee books collected %s, more than deposited %s or than spent %s and expired %s", books.Collected, books.Deposited, books.Spent, books.Expired)
	}
	for _, id := range slices.Sorted(maps.Keys(feeCoins)) {
		if id != books.Token || feeCoins[id] != held {
			rep.problem("the fee contract holds %s of %s; the fee books say %s of %s were deposited and %s collected", feeCoins[id], id, books.Deposited, books.Token, books.Collected)
		}
	}
	if len(feeCoins) == 0 && !held.IsZero() {
		rep.problem("the fee contract holds no coins; the fee books say it holds %s of %s", held, books.Token)
	}
	return nil
}

// auditFeeHistory checks that every fee account's history sums to its
// totals, and that there is no history without an account.
func auditFeeHistory(s Scanner, rep *AuditReport, accounts map[string]*fee.Account) error {
	sums := make(map[string]*FeeTotals, len(accounts)) // by address bytes
	err := s.Scan([]byte(prefixFeeHistory), nil, func(k, v []byte) bool {
		n := len(k) - FeeHistoryCursor
		if n <= len(prefixFeeHistory) {
			rep.problem("fee history key %x is too short", k)
			return true
		}
		var e FeeEntry
		if msg := recovered(func() { e = decodeFeeEntry(k, v, n) }); msg != "" {
			rep.problem("%s", msg)
			return true
		}
		addr := string(k[len(prefixFeeHistory):n])
		t := sums[addr]
		if t == nil {
			t = new(FeeTotals)
			sums[addr] = t
		}
		var ok1, ok2, ok3 bool
		t.Deposited, ok1 = t.Deposited.Add(e.Deposited)
		t.Spent, ok2 = t.Spent.Add(e.Charged)
		t.Expired, ok3 = t.Expired.Add(e.Expired)
		if !ok1 || !ok2 || !ok3 {
			rep.problem("fee history of %x overflows", addr)
		}
		return true
	})
	if err != nil {
		return err
	}
	for _, addr := range slices.Sorted(maps.Keys(sums)) {
		if accounts[addr] == nil {
			rep.problem("fee history of %x, which has no fee account", addr)
		}
	}
	for _, addr := range slices.Sorted(maps.Keys(accounts)) {
		a, t := accounts[addr], sums[addr]
		if t == nil {
			t = new(FeeTotals)
		}
		if t.Deposited != a.Deposited || t.Spent != a.Spent || t.Expired != a.Expired {
			rep.problem("fee account %x deposited %s, spent %s, expired %s; its history sums to %s, %s, %s",
				addr, a.Deposited, a.Spent, a.Expired, t.Deposited, t.Spent, t.Expired)
		}
	}
	return nil
}

// auditRedemptions sums each token's redemption records and checks that each
// paid exactly what it burned: fiat owed worth the amount at the token's
// ratio, with no fraction of a minor unit left over.
func auditRedemptions(s Scanner, rep *AuditReport, tokens []Token) (map[ledger.TokenID]money.Amount, error) {
	contracts := make(map[ledger.TokenID]token.Contract, len(tokens))
	for _, t := range tokens {
		contracts[t.Contract.ID] = t.Contract
	}
	sums := make(map[ledger.TokenID]money.Amount)
	err := s.Scan([]byte(prefixRedemption), nil, func(k, v []byte) bool {
		var r Redemption
		if msg := recovered(func() { decode(k, v, &r) }); msg != "" {
			rep.problem("%s", msg)
			return true
		}
		if c, ok := contracts[r.Token]; ok && (c.FiatValue(r.Amount) != r.FiatOwed || c.FiatFor(r.Amount) != r.FiatOwed) {
			rep.problem("redemption %s burned %s of %s for %s owed; at ratio %s it is worth %s to %s",
				r.TxID, r.Amount, r.Token, r.FiatOwed, c.Ratio, c.FiatValue(r.Amount), c.FiatFor(r.Amount))
		}
		sum, ok := sums[r.Token].Add(r.Amount)
		if !ok {
			rep.problem("redemptions of %s overflow", r.Token)
			return true
		}
		sums[r.Token] = sum
		return true
	})
	return sums, err
}

// auditBalances checks that no reserve balance is counted twice: each
// token's balance is indexed to it, and each indexed balance to the one token
// whose contract names it.
func auditBalances(s Scanner, rep *AuditReport, tokens []Token) error {
	index := make(map[string]ledger.TokenID)
	err := s.Scan([]byte(prefixBalance), nil, func(k, v []byte) bool {
		index[string(k[len(prefixBalance):])] = ledger.TokenID(v)
		return true
	})
	if err != nil {
		return err
	}
	backs := make(map[string][]ledger.TokenID, len(tokens))
	for _, t := range tokens {
		if t.Home != "" {
			continue // its reserve is its home region's to index
		}
		b := t.Contract.Fiat.Balance()
		backs[b] = append(backs[b], t.Contract.ID)
		if index[b] != t.Contract.ID {
			rep.problem("token %s: its reserve balance %s is indexed to %q", t.Contract.ID, b, index[b])
		}
	}
	for _, b := range slices.Sorted(maps.Keys(backs)) {
		if ids := backs[b]; len(ids) > 1 {
			rep.problem("reserve balance %s is counted for %d tokens: %v", b, len(ids), ids)
		}
	}
	for _, b := range slices.Sorted(maps.Keys(index)) {
		if len(backs[b]) == 0 {
			rep.problem("reserve balance %s is indexed to %s, whose contract names another", b, index[b])
		}
	}
	return nil
}

// frozenCounts counts the frozen accounts of each token.
func frozenCounts(s Scanner) (map[ledger.TokenID]uint64, error) {
	frozen := make(map[ledger.TokenID]uint64)
	err := s.Scan([]byte(prefixFrozen), nil, func(k, v []byte) bool {
		rest := k[len(prefixFrozen):]
		if i := bytes.IndexByte(rest, '/'); i > 0 {
			frozen[ledger.TokenID(rest[:i])]++
		}
		return true
	})
	return frozen, err
}

// KeyDiff is one key whose value differs between two states; a missing side
// is nil.
type KeyDiff struct {
	Key  []byte
	A, B []byte
}

// maxDiffShown bounds how much of each value a KeyDiff shows.
const maxDiffShown = 64

func (d KeyDiff) String() string {
	switch {
	case d.A == nil:
		return fmt.Sprintf("%q only in the second state (%d bytes)", d.Key, len(d.B))
	case d.B == nil:
		return fmt.Sprintf("%q only in the first state (%d bytes)", d.Key, len(d.A))
	}
	return fmt.Sprintf("%q differs: %s vs %s", d.Key, shown(d.A), shown(d.B))
}

// shown quotes the start of v, and says how long it is if it is longer.
func shown(v []byte) string {
	if len(v) <= maxDiffShown {
		return fmt.Sprintf("%q", v)
	}
	return fmt.Sprintf("%q… (%d bytes)", v[:maxDiffShown], len(v))
}

// Diff compares two states key by key, the store's own records included, and
// returns the first max keys (in key order) whose values differ or that only
// one holds. It streams both states and holds at most 2×max differences; max
// must be positive.
func Diff(a, b Scanner, max int) ([]KeyDiff, error) {
	var first, second []KeyDiff
	err := a.Scan(nil, nil, func(k, va []byte) bool {
		vb := b.Get(k)
		if vb == nil || !bytes.Equal(va, vb) {
			first = append(first, KeyDiff{Key: bytes.Clone(k), A: bytes.Clone(va), B: vb})
		}
		return len(first) < max
	})
	if err != nil {
		return nil, err
	}
	err = b.Scan(nil, nil, func(k, vb []byte) bool {
		if a.Get(k) == nil {
			second = append(second, KeyDiff{Key: bytes.Clone(k), B: bytes.Clone(vb)})
		}
		return len(second) < max
	})
	if err != nil {
		return nil, err
	}
	all := append(first, second...)
	slices.SortFunc(all, func(x, y KeyDiff) int { return bytes.Compare(x.Key, y.Key) })
	return all[:min(len(all), max)], nil
}
