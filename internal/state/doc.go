// Package state is the one place that sequences a transaction's checks and
// performs its writes. Apply takes the state as it stands, the block's context
// and one decoded transaction, and either rejects the transaction with a stable
// code, writing nothing, or performs every write it asks for.
//
// Like the rest of the consensus path it does no I/O of its own, reads no clock
// (the block's time only), starts no goroutines and iterates no map unsorted:
// every node must reach the same answer from the same block.
package state

// Reader reads the state: the value at key, or nil.
type Reader interface {
	Get(key []byte) []byte
}

// Writer reads and writes the state.
type Writer interface {
	Reader
	// Set writes value at key. The writer may keep value itself: the
	// caller must not modify it afterwards.
	Set(key, value []byte)
	Delete(key []byte)
}

// Scanner reads committed state in key order, for queries and audits.
type Scanner interface {
	Reader
	Scan(prefix, start []byte, fn func(key, value []byte) bool) error
}

// ReverseScanner reads committed state in reverse key order, for queries
// that list the newest first.
type ReverseScanner interface {
	Reader
	// ScanReverse calls fn for each key with prefix below before (nil: every
	// key) in reverse key order, until fn returns false.
	ScanReverse(prefix, before []byte, fn func(key, value []byte) bool) error
}
