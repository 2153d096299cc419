package proof

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	abcitypes "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/crypto/merkle"
	cmtjson "github.com/cometbft/cometbft/libs/json"
	cmtmath "github.com/cometbft/cometbft/libs/math"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/pegledger/peg/internal/ledger"
)

// Version is the version of the proof formats (Receipt, Coin). It moves up
// if a field changes meaning; a verifier refuses versions it does not know.
const Version = 1

// Receipt proves a transaction's receipt: that the leaf is among the leaves
// of a consensus transaction of block Height, whose result block Height+1's
// header commits to, and that the header is signed by its validators.
type Receipt struct {
	Version int    `json:"version"`
	ChainID string `json:"chain_id"` // as the header says; checked against it
	Height  int64  `json:"height"`   // the transaction's block; the header's is Height+1
	// Leaf is the receipt (AppendLeaf), and LeafPath its path to
	// Result.Data.
	Leaf     []byte       `json:"leaf"`
	LeafPath merkle.Proof `json:"leaf_path"`
	// Result is the consensus transaction's ExecTxResult as the header
	// commits to it, and ResultPath its path to the header's
	// LastResultsHash.
	Result     Result       `json:"result"`
	ResultPath merkle.Proof `json:"result_path"`
	// SignedHeader is block Height+1's header with the commit that signed
	// it, and Validators the validator set that signed it, both in
	// CometBFT's JSON (its RPC's /commit and /validators answers).
	SignedHeader json.RawMessage `json:"signed_header"`
	Validators   json.RawMessage `json:"validators"`
}

// Result is the deterministic part of a consensus transaction's
// ExecTxResult (CometBFT's abci.DeterministicExecTxResult), the part a
// header's LastResultsHash commits to.
type Result struct {
	Code      uint32 `json:"code"`
	Data      []byte `json:"data"`
	GasWanted int64  `json:"gas_wanted"`
	GasUsed   int64  `json:"gas_used"`
}

// ResultOf keeps r's deterministic fields.
func ResultOf(r *abcitypes.ExecTxResult) Result {
	return Result{Code: r.Code, Data: r.Data, GasWanted: r.GasWanted, GasUsed: r.GasUsed}
}

// bytes is the result as the header's LastResultsHash hashes it.
func (r Result) bytes() []byte {
	b, err := abcitypes.DeterministicExecTxResult(&abcitypes.ExecTxResult{
		Code: r.Code, Data: r.Data, GasWanted: r.GasWanted, GasUsed: r.GasUsed}).Marshal()
	if err != nil {
		panic(fmt.Sprintf("proof: encoding a result: %v", err)) // a plain protobuf message always encodes
	}
	return b
}

// Parts are what the node gathers to make a receipt proof.
type Parts struct {
	Leaves [][]byte // the consensus transaction's leaves
	Leaf   int      // the proven leaf's position among them
	// Results are block Height's ExecTxResults, and Tx the position of the
	// consensus transaction among them.
	Results      []*abcitypes.ExecTxResult
	Tx           int
	SignedHeader *cmttypes.SignedHeader // block Height+1's
	Validators   *cmttypes.ValidatorSet // that signed it
}

// Make builds the receipt proof of parts: NewBlock, NewTree and
// Block.Prove for one receipt. A node proving many receipts of a block
// keeps the Block and the Trees instead.
func Make(p Parts) (*Receipt, error) {
	b, err := NewBlock(p.Results, p.SignedHeader, p.Validators)
	if err != nil {
		return nil, err
	}
	return b.Prove(p.Tx, NewTree(p.Leaves), p.Leaf)
}

// Trust is what a verifier trusts: a chain and its validator set, from the
// chain's genesis or a validators file (LoadTrust).
type Trust struct {
	ChainID    string
	Validators *cmttypes.ValidatorSet
}

// TrustLevel is the share of a trusted validator set's power that must
// have signed a header whose validator set is another: CometBFT's light
// client default. Then the header's own set must have signed it with +2/3
// as always.
var TrustLevel = cmtmath.Fraction{Numerator: 1, Denominator: 3}

// Verified is what a receipt proof proves.
type Verified struct {
	ChainID string
	Height  int64 // the block that executed the transaction
	Leaf    *Leaf
	// Header is block Height+1's, which commits to the receipt; its time
	// is the latest the transaction can have been executed.
	Header *cmttypes.Header
}

func reject(code ledger.Code, format string, args ...any) *ledger.Rejection {
	return ledger.Reject(code, format, args...)
}

// Verify checks the receipt proof p against trust, in this order: the
// proof decodes, its paths and leaf within their limits (PROOF_MALFORMED); the header is of the trusted chain
// (PROOF_WRONG_CHAIN) and well formed with its commit (PROOF_MALFORMED);
// the commit is for this header (PROOF_BAD_COMMIT); the validator set is
// the header's and is trusted (PROOF_UNTRUSTED_VALIDATORS); +2/3 of its
// power signed the commit (PROOF_WEAK_COMMIT; PROOF_BAD_COMMIT for a
// signature that does not verify); the result's path leads to the header's
// LastResultsHash and the leaf's path to the result's data (PROOF_PATH);
// the leaf decodes and is of the block the header follows
// (PROOF_MALFORMED). A refused transaction's receipt verifies: its code is
// in the leaf.
func Verify(p *Receipt, trust Trust) (*Verified, *ledger.Rejection) { return verify(p, trust, nil) }

// verify is Verify, which takes the signed header from c if it verified
// against trust before.
func verify(p *Receipt, trust Trust, c *Cache) (*Verified, *ledger.Rejection) {
	if p.Version != Version {
		return nil, reject(ledger.CodeProofMalformed, "proof version %d; this verifier reads %d", p.Version, Version)
	}
	k := c.key(p.SignedHeader, p.Validators, trust)
	sh, known := c.get(k)
	var vals *cmttypes.ValidatorSet
	if !known {
		var rej *ledger.Rejection
		if sh, vals, rej = decodeHeader(p.SignedHeader, p.Validators); rej != nil {
			return nil, rej
		}
	}
	if rej := p.checkParts(); rej != nil {
		return nil, rej
	}
	h := sh.Header
	if h.ChainID != trust.ChainID {
		return nil, reject(ledger.CodeProofWrongChain, "the header is of chain %q, not the trusted %q", h.ChainID, trust.ChainID)
	}
	if p.ChainID != h.ChainID || p.Height != h.Height-1 {
		return nil, reject(ledger.CodeProofMalformed, "the proof names chain %q height %d; its header is chain %q height %d, which commits to height %d",
			p.ChainID, p.Height, h.ChainID, h.Height, h.Height-1)
	}
	if !known {
		if rej := checkHeader(sh, vals, trust); rej != nil {
			return nil, rej
		}
		c.put(k, sh)
	}
	if err := p.ResultPath.Verify(h.LastResultsHash, p.Result.bytes()); err != nil {
		return nil, reject(ledger.CodeProofPath, "the result does not lead to the header's LastResultsHash: %v", err)
	}
	if len(p.Result.Data) == 0 {
		return nil, reject(ledger.CodeProofPath, "the result commits to no receipt")
	}
	if err := p.LeafPath.Verify(p.Result.Data, p.Leaf); err != nil {
		return nil, reject(ledger.CodeProofPath, "the receipt does not lead to the result's data: %v", err)
	}
	l, err := DecodeLeaf(p.Leaf)
	if err != nil {
		return nil, reject(ledger.CodeProofMalformed, "%v", err)
	}
	if int64(l.Height) != p.Height {
		return nil, reject(ledger.CodeProofMalformed, "the receipt is of height %d, its header commits to height %d", l.Height, p.Height)
	}
	return &Verified{ChainID: h.ChainID, Height: p.Height, Leaf: l, Header: h}, nil
}

// checkHeader is Verify's steps 3 to 5 on a decoded signed header of the
// trusted chain: header and commit well formed (PROOF_MALFORMED), the
// commit for this header (PROOF_BAD_COMMIT), the set the header's and
// trusted (PROOF_UNTRUSTED_VALIDATORS), +2/3 of its power signed
// (PROOF_WEAK_COMMIT, PROOF_BAD_COMMIT).
func checkHeader(sh *cmttypes.SignedHeader, vals *cmttypes.ValidatorSet, trust Trust) *ledger.Rejection {
	h := sh.Header
	if err := h.ValidateBasic(); err != nil {
		return reject(ledger.CodeProofMalformed, "header: %v", err)
	}
	if err := sh.Commit.ValidateBasic(); err != nil {
		return reject(ledger.CodeProofMalformed, "commit: %v", err)
	}
	if err := sh.ValidateBasic(trust.ChainID); err != nil {
		return reject(ledger.CodeProofBadCommit, "%v", err)
	}
	if rej := trusted(sh, vals, trust); rej != nil {
		return rej
	}
	if err := vals.VerifyCommitLight(h.ChainID, sh.Commit.BlockID, h.Height, sh.Commit); err != nil {
		return commitRejection(err)
	}
	return nil
}

// decodeHeader reads a proof's CometBFT parts, its signed header and
// validator set.
func decodeHeader(signedHeader, validators []byte) (*cmttypes.SignedHeader, *cmttypes.ValidatorSet, *ledger.Rejection) {
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
	if len(vals.Validators) > MaxTrustValidators {
		return nil, nil, reject(ledger.CodeProofMalformed, "%d validators, above %d", len(vals.Validators), MaxTrustValidators)
	}
	if vals.Proposer == nil {
		return nil, nil, reject(ledger.CodeProofMalformed, "validators: no proposer")
	}
	for i, v := range append([]*cmttypes.Validator{vals.Proposer}, vals.Validators...) {
		if v == nil {
			return nil, nil, reject(ledger.CodeProofMalformed, "validators: validator %d is empty", i-1)
		}
		if err := checkKey(v.PubKey); err != nil {
			return nil, nil, reject(ledger.CodeProofMalformed, "validators: key of validator %d (-1: the proposer): %v", i-1, err)
		}
	}
	if err := vals.ValidateBasic(); err != nil {
		return nil, nil, reject(ledger.CodeProofMalformed, "validators: %v", err)
	}
	return &sh, &vals, nil
}

// checkParts checks the proof's own parts: well-formed paths and a leaf
// within MaxLeafSize.
func (p *Receipt) checkParts() *ledger.Rejection {
	if err := p.LeafPath.ValidateBasic(); err != nil {
		return reject(ledger.CodeProofMalformed, "leaf path: %v", err)
	}
	if err := p.ResultPath.ValidateBasic(); err != nil {
		return reject(ledger.CodeProofMalformed, "result path: %v", err)
	}
	if len(p.Leaf) > MaxLeafSize {
		return reject(ledger.CodeProofMalformed, "a leaf of %d bytes, above %d", len(p.Leaf), MaxLeafSize)
	}
	return nil
}

// trusted checks that vals is the header's validator set and that trust
// trusts it: it is the trusted set, or the trusted set's validators with
// at least TrustLevel of its power signed the commit too.
func trusted(sh *cmttypes.SignedHeader, vals *cmttypes.ValidatorSet, trust Trust) *ledger.Rejection {
	if !bytes.Equal(vals.Hash(), sh.ValidatorsHash) {
		return reject(ledger.CodeProofUntrustedValidator, "the validator set hashes to %X; the header's is %X", vals.Hash(), sh.ValidatorsHash)
	}
	if bytes.Equal(vals.Hash(), trust.Validators.Hash()) {
		return nil
	}
	if err := trust.Validators.VerifyCommitLightTrusting(sh.ChainID, sh.Commit, TrustLevel); err != nil {
		return reject(ledger.CodeProofUntrustedValidator, "the header's validators are not the trusted set, and the trusted set did not sign %s of its power: %v",
			TrustLevel, err)
	}
	return nil
}

// commitRejection names why a commit did not verify.
func commitRejection(err error) *ledger.Rejection {
	var weak cmttypes.ErrNotEnoughVotingPowerSigned
	if errors.As(err, &weak) {
		return reject(ledger.CodeProofWeakCommit, "the commit carries %d of the voting power; more than %d is needed", weak.Got, weak.Needed)
	}
	return reject(ledger.CodeProofBadCommit, "the commit does not verify: %v", err)
}
