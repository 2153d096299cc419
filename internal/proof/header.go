package proof

import (
	cmtjson "github.com/cometbft/cometbft/libs/json"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/pegledger/peg/internal/ledger"
)

// VerifyHeader checks a signed header and the validator set that signed
// it, both in CometBFT's JSON, against trust, with the checks and codes of
// Verify's steps 1 to 5: they decode and are well formed
// (PROOF_MALFORMED); the header is of the trusted chain
// (PROOF_WRONG_CHAIN); the commit is for it (PROOF_BAD_COMMIT); the set is
// the header's and trusted, itself or through TrustLevel of the trusted
// power (PROOF_UNTRUSTED_VALIDATORS); +2/3 of its power signed
// (PROOF_WEAK_COMMIT, PROOF_BAD_COMMIT). It returns the header and its set,
// for a verifier that moves its trust to that set.
func VerifyHeader(signedHeader, validators []byte, trust Trust) (*cmttypes.Header, *cmttypes.ValidatorSet, *ledger.Rejection) {
	var sh cmttypes.SignedHeader
	if err := cmtjson.Unmarshal(signedHeader, &sh); err != nil {
		return nil, nil, reject(ledger.CodeProofMalformed, "signed header: %v", err)
	}
	if sh.Header == nil || sh.Commit == nil {
		return nil, nil, reject(ledger.CodeProofMalformed, "the signed header lacks its header or its commit")
	}
	var vals cmttypes.ValidatorSet
	if err := cmtjson.Unmarshal(validators, &vals); err != nil {
		return nil, nil, reject(ledger.CodeProofMalformed, "validators: %v", err)
	}
	if err := vals.ValidateBasic(); err != nil {
		return nil, nil, reject(ledger.CodeProofMalformed, "validators: %v", err)
	}
	h := sh.Header
	if h.ChainID != trust.ChainID {
		return nil, nil, reject(ledger.CodeProofWrongChain, "the header is of chain %q, not the trusted %q", h.ChainID, trust.ChainID)
	}
	if err := h.ValidateBasic(); err != nil {
		return nil, nil, reject(ledger.CodeProofMalformed, "header: %v", err)
	}
	if err := sh.Commit.ValidateBasic(); err != nil {
		return nil, nil, reject(ledger.CodeProofMalformed, "commit: %v", err)
	}
	if err := sh.ValidateBasic(trust.ChainID); err != nil {
		return nil, nil, reject(ledger.CodeProofBadCommit, "%v", err)
	}
	if rej := trusted(&sh, &vals, trust); rej != nil {
		return nil, nil, rej
	}
	if err := vals.VerifyCommitLight(h.ChainID, sh.Commit.BlockID, h.Height, sh.Commit); err != nil {
		return nil, nil, commitRejection(err)
	}
	return h, &vals, nil
}
