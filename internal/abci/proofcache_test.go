package abci

import (
	"encoding/json"
	"testing"
	"time"

	abcitypes "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/crypto/ed25519"
	cmtjson "github.com/cometbft/cometbft/libs/json"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/proof"
	"github.com/pegledger/peg/internal/state"
	"github.com/pegledger/peg/internal/tx"
	"github.com/pegledger/peg/internal/tx/txpb"
)

// TestProofCacheKeepsStateChecks: a transfer_in whose proof verified at
// CheckTx, and is in the App's proof cache, is still judged at its block
// from the block's state and time: its header, signed by a validator set
// other than the one GB trusts for HK (accepted with a third of the trusted
// power), is within the trusting period when it enters the mempool and
// past it when its block comes, which refuses it PROOF_STALE.
func TestProofCacheKeepsStateChecks(t *testing.T) {
	d := newDriver(t, ledgerGenesis())
	defer d.Close()
	s := &signer{tb: t}
	hana := newActor("hana", "HK")
	hkd := ledgerDraft("hkdt", "HKDT", "HKD")
	deploy := hkProof(t, ledger.TxID{1}, 3, "deploy_token", hana.addr, event("token.deployed", "token", "hkdt",
		"hash", deployedHash(t, hkd, ledgerGenesis()), "address", hana.addr.String(), "issuer", hana.addr.String()))
	imp, _ := s.sign(cast.mallory, 100, &txpb.Body{Msg: &txpb.Body_TokenImport{TokenImport: &txpb.TokenImport{Proof: deploy, Contract: tx.DraftToProto(hkd)}}})
	at := chainStart.Add(time.Hour)
	d.admit([][]byte{imp})
	if code := d.block(at, [][]byte{imp}).TxResults[0].Code; code != 0 {
		t.Fatalf("token_import: code %d", code)
	}

	hkTx := ledger.TxID{2}
	id := ledger.NewCoinID(hkTx, 0)
	p := hkProof(t, hkTx, 4, "pay", hana.addr, event("transfer.out", "transfer", id.String(), "token", "hkdt",
		"amount", "700", "payer", hana.addr.String(), "payee", cast.carol.addr.String(), "from", "HK", "to", "GB"))
	p = resignWithNewcomer(t, p)
	in, _ := s.sign(cast.mallory, 100, &txpb.Body{Msg: &txpb.Body_TransferIn{TransferIn: &txpb.TransferIn{Proof: p, Transfer: id[:]}}})
	res, err := d.app.CheckTx(t.Context(), &abcitypes.RequestCheckTx{Tx: in})
	if err != nil || res.Code != 0 {
		t.Fatalf("CheckTx: %v, code %d: %s", err, res.GetCode(), res.GetLog())
	}
	late := chainStart.Add(state.TrustingPeriod + 24*time.Hour)
	if r := d.block(late, [][]byte{in}).TxResults[0]; r.Code != uint32(ledger.CodeProofStale) {
		t.Fatalf("the transfer's block, past the trusting period: code %d (%s), want PROOF_STALE", r.Code, r.Log)
	}
}

// resignWithNewcomer signs the header of receipt proof p (JSON) again by a
// set of HK's validator and a newcomer of equal power: a set GB does not
// trust, which HK's trusted validator, half its power, also signed.
func resignWithNewcomer(t *testing.T, p []byte) []byte {
	t.Helper()
	var r proof.Receipt
	if err := json.Unmarshal(p, &r); err != nil {
		t.Fatal(err)
	}
	var sh cmttypes.SignedHeader
	if err := cmtjson.Unmarshal(r.SignedHeader, &sh); err != nil {
		t.Fatal(err)
	}
	newcomer := cmttypes.NewMockPVWithParams(ed25519.GenPrivKeyFromSecret([]byte("hk newcomer")), false, false)
	vals := cmttypes.NewValidatorSet([]*cmttypes.Validator{cmttypes.NewValidator(hkValidator.PrivKey.PubKey(), 10),
		cmttypes.NewValidator(newcomer.PrivKey.PubKey(), 10)})
	h := sh.Header
	h.ValidatorsHash, h.NextValidatorsHash, h.ProposerAddress = vals.Hash(), vals.Hash(), vals.Proposer.Address
	bid := cmttypes.BlockID{Hash: h.Hash(), PartSetHeader: sh.Commit.BlockID.PartSetHeader}
	votes := cmttypes.NewVoteSet(hkChain, h.Height, 0, cmtproto.PrecommitType, vals)
	ext, err := cmttypes.MakeExtCommit(bid, h.Height, 0, votes, []cmttypes.PrivValidator{hkValidator, newcomer}, h.Time.Add(time.Second), false)
	if err != nil {
		t.Fatal(err)
	}
	sh.Commit = ext.ToCommit()
	if r.SignedHeader, err = cmtjson.Marshal(&sh); err != nil {
		t.Fatal(err)
	}
	if r.Validators, err = cmtjson.Marshal(vals); err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(&r)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
