//go:build invariants

package abci

import (
	"fmt"
	"strings"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/state"
	"github.com/pegledger/peg/internal/store"
)

// auditCommitted runs a full audit of the committed state after every block,
// and checks that u holds its unspent coins, and stops the node on any break.
func auditCommitted(db *store.DB, region ledger.Region, u *state.Unspent) {
	snap := db.Snapshot()
	defer snap.Close()
	rep, err := state.Audit(snap, region)
	if err != nil {
		panic(fmt.Sprintf("abci: audit at height %d: %v", snap.Height, err))
	}
	if !rep.OK() {
		panic(fmt.Sprintf("abci: audit at height %d found: %s", snap.Height, strings.Join(rep.Problems, "; ")))
	}
	if err := u.Verify(snap); err != nil {
		panic(fmt.Sprintf("abci: at height %d: %v", snap.Height, err))
	}
}
