//go:build invariants

package state

// invariants is true in the invariants build (go test -tags invariants), which
// makes the state machine also run its costlier assertions: those that read
// the store to confirm what the ledger's structure already guarantees.
const invariants = true
