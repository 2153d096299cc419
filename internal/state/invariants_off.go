//go:build !invariants

package state

// invariants is false outside the invariants build; see invariants_on.go.
const invariants = false
