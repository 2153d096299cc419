package state

import (
	"strings"
	"testing"

	"github.com/pegledger/peg/internal/fee"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
	"github.com/pegledger/peg/internal/store"
)

// TestAuditFeeHistory: the audit holds every fee account to its history,
// entry by entry, and reports history left without an account.
func TestAuditFeeHistory(t *testing.T) {
	alice := ledger.AddressOf(scenarioRegion, [ledger.KeyHashSize]byte{1})
	bob := ledger.AddressOf(scenarioRegion, [ledger.KeyHashSize]byte{2})
	acct := &fee.Account{Deposited: money.FromUint64(100), Spent: money.FromUint64(4), Expired: money.FromUint64(6), Status: fee.Low}
	entries := []FeeEntry{
		{TxID: ledger.TxID{1}, Height: 3, Kind: "fee_deposit", Deposited: money.FromUint64(100)},
		{TxID: ledger.TxID{2}, Height: 5, Kind: "pay", Charged: money.FromUint64(4), Expired: money.FromUint64(6)},
	}
	for _, tc := range []struct {
		name    string
		entries []FeeEntry
		orphan  bool
		want    string
	}{
		{"complete", entries, false, ""},
		{"an entry missing", entries[:1], false, "its history sums to 100, 0, 0"},
		{"history without an account", entries, true, "which has no fee account"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db, err := store.Open(t.TempDir(), quietLog)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			b := db.NewBlock()
			b.Set(feeAccountKey(alice), encodeFeeAccount(acct))
			for _, e := range tc.entries {
				b.Set(feeHistoryKey(alice, e.Height, e.TxID), encodeFeeEntry(e))
			}
			if tc.orphan {
				b.Set(feeHistoryKey(bob, 9, ledger.TxID{3}), encodeFeeEntry(FeeEntry{Kind: "pay", Charged: money.FromUint64(1)}))
			}
			if err := b.Commit(1); err != nil {
				t.Fatal(err)
			}
			snap := db.Snapshot()
			defer snap.Close()
			var history []string
			for _, p := range auditProblems(t, snap) {
				if strings.Contains(p, "history") {
					history = append(history, p)
				}
			}
			switch {
			case tc.want == "" && len(history) > 0:
				t.Errorf("problems with the history: %q", history)
			case tc.want != "" && (len(history) != 1 || !strings.Contains(history[0], tc.want)):
				t.Errorf("problems with the history: %q, want one saying %q", history, tc.want)
			}
		})
	}
}

func auditProblems(t *testing.T, s Scanner) []string {
	t.Helper()
	rep, err := Audit(s, scenarioRegion)
	if err != nil {
		t.Fatal(err)
	}
	return rep.Problems
}
