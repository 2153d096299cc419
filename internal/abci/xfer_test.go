package abci

import (
	"crypto/sha256"
	"encoding/json"
	"time"

	abcitypes "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/crypto/ed25519"
	"github.com/cometbft/cometbft/crypto/tmhash"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	cmtversion "github.com/cometbft/cometbft/proto/tendermint/version"
	cmttypes "github.com/cometbft/cometbft/types"
	"google.golang.org/protobuf/proto"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/proof"
	"github.com/pegledger/peg/internal/state"
	"github.com/pegledger/peg/internal/token"
	"github.com/pegledger/peg/internal/tx"
)

// The other region of the tests' network, HK: its chain, its one
// validator's deterministic key, and receipts of its transactions proven
// as its node would prove them, so that a story can carry transfers and
// contracts from HK without running it.
const hkChain = "peg-ledger-hk"

var hkValidator = cmttypes.NewMockPVWithParams(ed25519.GenPrivKeyFromSecret([]byte("hk validator")), false, false)

// ledgerNetwork is GB, the chain under test, and HK.
func ledgerNetwork() []state.NetworkRegion {
	gbKey := ed25519.GenPrivKeyFromSecret([]byte("gb validator")).PubKey()
	return []state.NetworkRegion{
		{Region: "GB", ChainID: ledgerChain, Validators: []state.Validator{{PubKey: gbKey.Bytes(), Power: 10}}},
		{Region: "HK", ChainID: hkChain, Validators: []state.Validator{{PubKey: hkValidator.PrivKey.PubKey().Bytes(), Power: 10}}},
	}
}

// hkHeader is HK's header at height, signed by its validator, and the
// set, both as CometBFT's JSON: what a region_update carries.
func hkHeader(tb failer, height uint64) (signedHeader, validators []byte) {
	var p proof.Receipt
	if err := json.Unmarshal(hkProof(tb, ledger.TxID{0xbb}, height-1, "pay", cast.alice.addr), &p); err != nil {
		tb.Fatal(err)
	}
	return p.SignedHeader, p.Validators
}

// hkProof is the receipt proof, as JSON, of an accepted HK transaction of
// kind by signer at height with events, signed by HK's validator.
func hkProof(tb failer, id ledger.TxID, height uint64, kind string, signer ledger.Address, events ...ledger.Event) []byte {
	l := proof.Leaf{TxID: id, Height: height, Kind: kind, Signer: signer, Events: events}
	leaves := [][]byte{proof.AppendLeaf(nil, &l)}
	results := []*abcitypes.ExecTxResult{{Data: proof.Root(leaves)}}
	vals := cmttypes.NewValidatorSet([]*cmttypes.Validator{cmttypes.NewValidator(hkValidator.PrivKey.PubKey(), 10)})
	h := &cmttypes.Header{
		Version: cmtversion.Consensus{Block: 11, App: 4}, ChainID: hkChain, Height: int64(height) + 1,
		Time:           chainStart.Add(time.Duration(height) * time.Second),
		LastBlockID:    cmttypes.BlockID{Hash: tmhash.Sum([]byte("hk block")), PartSetHeader: cmttypes.PartSetHeader{Total: 1, Hash: tmhash.Sum([]byte("hk parts"))}},
		LastCommitHash: tmhash.Sum([]byte("hk commit")), DataHash: tmhash.Sum([]byte("hk data")),
		ValidatorsHash: vals.Hash(), NextValidatorsHash: vals.Hash(), ConsensusHash: tmhash.Sum([]byte("hk params")),
		AppHash: tmhash.Sum([]byte("hk app")), LastResultsHash: cmttypes.NewResults(results).Hash(),
		EvidenceHash: tmhash.Sum(nil), ProposerAddress: vals.Proposer.Address,
	}
	bid := cmttypes.BlockID{Hash: h.Hash(), PartSetHeader: cmttypes.PartSetHeader{Total: 1, Hash: tmhash.Sum([]byte("hk parts"))}}
	votes := cmttypes.NewVoteSet(hkChain, h.Height, 0, cmtproto.PrecommitType, vals)
	ext, err := cmttypes.MakeExtCommit(bid, h.Height, 0, votes, []cmttypes.PrivValidator{hkValidator}, h.Time.Add(time.Second), false)
	if err != nil {
		tb.Fatal(err)
	}
	p, err := proof.Make(proof.Parts{Leaves: leaves, Results: results, SignedHeader: &cmttypes.SignedHeader{Header: h, Commit: ext.ToCommit()}, Validators: vals})
	if err != nil {
		tb.Fatal(err)
	}
	b, err := json.Marshal(p)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// deployedHash is the hash deploy_token gives d's contract.
func deployedHash(tb failer, d token.Draft, g state.Genesis) string {
	c, vs := token.Build(d, g.Params.TokenParams())
	if len(vs) > 0 {
		tb.Fatalf("contract %s: %v", d.ID, vs)
	}
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(tx.DraftToProto(c.Draft()))
	if err != nil {
		tb.Fatal(err)
	}
	return ledger.TxID(sha256.Sum256(b)).String()
}

func event(typ string, kv ...string) ledger.Event {
	e := ledger.Event{Type: typ}
	for i := 0; i+1 < len(kv); i += 2 {
		e.Attrs = append(e.Attrs, ledger.Attr{Key: kv[i], Value: kv[i+1]})
	}
	return e
}
