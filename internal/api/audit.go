package api

import (
	"encoding/hex"
	"net/http"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/state"
)

// MaxConcurrentAudits bounds the audits the API runs at once in a process.
// An audit reads the whole committed state; without a bound, a client
// repeating GET /v1/audit could keep the node's disk busy with full scans.
const MaxConcurrentAudits = 1

// auditSlots holds one token per running audit.
var auditSlots = make(chan struct{}, MaxConcurrentAudits)

// audit answers GET /v1/audit: the money invariants (state.Audit) over a
// snapshot of the committed state. It does not recompute the app hash, which
// needs a replay of every block from genesis: `peg audit --home` does that on a
// stopped node, and the answer says it was not done here.
func (s *server) audit(w http.ResponseWriter, r *http.Request) error {
	select {
	case auditSlots <- struct{}{}:
		defer func() { <-auditSlots }()
	default:
		return apiError(CodeUnavailable, "another audit is running; the API runs %d at a time", MaxConcurrentAudits)
	}
	snap := s.chain.Snapshot()
	defer snap.Close()
	rep, err := state.Audit(snap, s.chain.Region())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, client.Audit{
		Height: snap.Height, AppHash: hex.EncodeToString(snap.AppHash), OK: rep.OK(),
		Tokens: rep.Tokens, Coins: rep.Coins, Spent: rep.Spent,
		Problems: append([]string{}, rep.Problems...),
	})
	return nil
}
