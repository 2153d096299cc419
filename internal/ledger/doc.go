// Package ledger owns the identifiers every other part of Peg shares: regions,
// addresses, token, transaction and coin identifiers, the events a transaction
// leaves, and the stable result codes with which the ledger rejects a
// transaction.
//
// It does no I/O and depends only on the standard library and bech32.
package ledger
