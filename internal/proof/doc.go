// Package proof owns proofs of a transaction's outcome that anyone holding
// a region's validator set can check offline (S2.5): a receipt proof shows
// that a transaction, in a block of a chain, had a result code and events;
// a coin proof, built on it, shows that a coin with this id, token, owner
// and amount was created. docs/proofs.md describes the format and the order
// of the checks.
//
// A block commits to its transactions' receipts through CometBFT's own
// structures, so that no header or signature check is written here: each
// consensus transaction's ExecTxResult.Data is the Merkle root of the
// receipt leaves it wrote (Leaf, Root), the next block's header commits to
// every result through LastResultsHash, and that header is signed by +2/3
// of the validators' power (CometBFT's types.ValidatorSet.VerifyCommitLight).
//
// Verification is pure: no I/O, no clock, the same answer everywhere, so
// that a chain can run it on a proof from another region. What a proof
// cannot say is whether a coin is still unspent: only its region knows that,
// online (S2.6).
package proof
