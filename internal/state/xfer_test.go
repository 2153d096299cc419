package state

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"
	abcitypes "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/crypto/ed25519"
	"github.com/cometbft/cometbft/crypto/tmhash"
	cmtjson "github.com/cometbft/cometbft/libs/json"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	cmtversion "github.com/cometbft/cometbft/proto/tendermint/version"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/proof"
	"github.com/pegledger/peg/internal/tx"
	"github.com/pegledger/peg/internal/tx/txpb"
)

// TestRegionScenarios runs the scripts under xferdata on a network of two
// regions, GB (chain peg-gb-test) and HK (peg-hk-test), each a scenario of
// its own (see TestScenarios) whose genesis lists both with four validators
// each. Besides every scenario command, which runs on the current region:
//
//	on GB|HK                                 the region the next commands run on
//	prove LABEL as=P [forge=F]               the receipt proof of the current region's transaction LABEL,
//	                                         its block's next header signed by the region's validators;
//	                                         inflate=AMOUNT: signed with transfer.out amounts of AMOUNT
//	transfer-in proof=P transfer=T           (from relayer) T is a transfer's label, TXLABEL.OUTPUT
//	transfer-refund proof=P transfer=T       (from relayer)
//	transfer-ack proof=P transfer=T          (from relayer)
//	token-import proof=P [home=GB] [contract fields]   (from relayer) the contract as deploy builds it on home
//	transfers                                the current region's transfer records and books
//
// A forgery F alters the proof: chain (a header of another chain, signed
// by the region's validators), header (a header field changed after
// signing), minority (one of four signatures), strangers (a validator set
// the genesis does not name), leaf, result, height, version, rotated (a
// new set holding two of the four trusted validators: a third of the
// trusted power signed), rotated-weak (holding one), new (four validators
// none of which the genesis names).
//
//	region-update to=R [height=N] [forge=F]   (from relayer, on region R) a header of the
//	                                         current region's chain signed as F says
func TestRegionScenarios(t *testing.T) {
	datadriven.Walk(t, "xferdata", func(t *testing.T, path string) {
		n := newNetwork(t)
		datadriven.RunTest(t, path, n.run)
	})
}

// network is two regions' scenarios and their validators.
type network struct {
	regions map[ledger.Region]*scenario
	cur     *scenario
	keys    map[ledger.Region][]cmttypes.PrivValidator
	vals    map[ledger.Region]*cmttypes.ValidatorSet
	proofs  map[string]*proof.Receipt
}

func validatorKeys(region ledger.Region, kind string, n int) []cmttypes.PrivValidator {
	pvs := make([]cmttypes.PrivValidator, n)
	for i := range pvs {
		pvs[i] = cmttypes.NewMockPVWithParams(ed25519.GenPrivKeyFromSecret(fmt.Appendf(nil, "%s/%s/%d", region, kind, i)), false, false)
	}
	return pvs
}

func validatorSet(t *testing.T, pvs []cmttypes.PrivValidator) *cmttypes.ValidatorSet {
	vals := make([]*cmttypes.Validator, len(pvs))
	for i, pv := range pvs {
		pk, err := pv.GetPubKey()
		if err != nil {
			t.Fatal(err)
		}
		vals[i] = cmttypes.NewValidator(pk, 10)
	}
	return cmttypes.NewValidatorSet(vals)
}

func newNetwork(t *testing.T) *network {
	n := &network{regions: make(map[ledger.Region]*scenario), keys: make(map[ledger.Region][]cmttypes.PrivValidator),
		vals: make(map[ledger.Region]*cmttypes.ValidatorSet), proofs: make(map[string]*proof.Receipt)}
	var net []NetworkRegion
	for _, r := range []ledger.Region{"GB", "HK"} {
		n.keys[r] = validatorKeys(r, "validator", 4)
		n.vals[r] = validatorSet(t, n.keys[r])
		nr := NetworkRegion{Region: r, ChainID: "peg-" + strings.ToLower(string(r)) + "-test"}
		for _, v := range n.vals[r].Validators {
			nr.Validators = append(nr.Validators, Validator{PubKey: v.PubKey.Bytes(), Power: v.VotingPower})
		}
		net = append(net, nr)
	}
	var first *scenario
	for _, nr := range net {
		s := newScenario(t)
		s.chain, s.region, s.network = nr.ChainID, nr.Region, net
		s.prefix = strings.ToLower(string(nr.Region)) + "."
		if first != nil {
			s.names, s.coins, s.txs = first.names, first.coins, first.txs
		} else {
			first = s
		}
		n.regions[nr.Region] = s
	}
	n.cur = n.regions["GB"]
	return n
}

func (n *network) run(t *testing.T, td *datadriven.TestData) string {
	for _, s := range n.regions {
		s.t = t
	}
	s := n.cur
	switch td.Cmd {
	case "on":
		r := ledger.Region(td.CmdArgs[0].Key)
		if n.regions[r] == nil {
			td.Fatalf(t, "no region %s", r)
		}
		n.cur = n.regions[r]
		return string(r)
	case "prove":
		a := newCmdArgs(t, td)
		out := n.prove(a)
		a.done()
		return out
	case "transfer-in", "transfer-refund", "transfer-ack", "token-import":
		a := newCmdArgs(t, td)
		p, err := json.Marshal(n.proofs[a.get("proof", "")])
		if err != nil {
			t.Fatal(err)
		}
		var b txpb.Body
		id, ok := n.cur.coins[a.get("transfer", "")]
		if !ok && td.Cmd != "token-import" {
			return "error: no transfer " + a.get("transfer", "")
		}
		switch td.Cmd {
		case "transfer-in":
			b.Msg = &txpb.Body_TransferIn{TransferIn: &txpb.TransferIn{Proof: p, Transfer: id[:]}}
		case "transfer-refund":
			b.Msg = &txpb.Body_TransferRefund{TransferRefund: &txpb.TransferRefund{Proof: p, Transfer: id[:]}}
		case "transfer-ack":
			b.Msg = &txpb.Body_TransferAck{TransferAck: &txpb.TransferAck{Proof: p, Transfer: id[:]}}
		default:
			home := n.regions[ledger.Region(a.get("home", "GB"))]
			b.Msg = &txpb.Body_TokenImport{TokenImport: &txpb.TokenImport{Proof: p, Contract: home.contract(a)}}
		}
		out := s.submit(a, "relayer", &b)
		a.done()
		return out
	case "credit-request-in", "credit-paid-in", "credit-repaid-in":
		return n.creditIn(t, td)
	case "transfers":
		return n.transfers()
	case "region-update":
		a := newCmdArgs(t, td)
		out := n.regionUpdate(a)
		a.done()
		return out
	}
	return s.run(t, td)
}

// nameTransfer names a payment's outbound transfer TXLABEL.OUTPUT.
func (s *scenario) nameTransfer(t *tx.Tx, txLabel, hexID string) {
	for i := uint32(0); i < tx.MaxOutputs; i++ {
		if id := ledger.NewCoinID(t.ID, i); id.String() == hexID {
			s.nameCoin(fmt.Sprintf("%s.%d", txLabel, i), id)
			return
		}
	}
	s.t.Fatalf("%s recorded transfer %s, which is not one of its outputs", txLabel, hexID)
}

// prove makes the receipt proof of a committed transaction of the current
// region, as a node would serve it, and forges it as asked.
func (n *network) prove(a *cmdArgs) string {
	s := n.cur
	label, name, forge := a.subject(), a.get("as", ""), a.get("forge", "")
	b, ok := s.txs[label]
	if !ok {
		return "error: no transaction " + label
	}
	rc := ReceiptByID(s.db, b.id)
	if rc == nil {
		return fmt.Sprintf("error: %s has no committed receipt on %s", label, s.region)
	}
	l := proof.Leaf{TxID: rc.TxID, Height: rc.Height, Kind: rc.Kind, Signer: rc.Signer, Code: rc.Code, Events: rc.Events}
	if amount := a.get("inflate", ""); amount != "" {
		l.Events = inflate(l.Events, amount)
	}
	leaves := [][]byte{proof.AppendLeaf(nil, &l)}
	results := []*abcitypes.ExecTxResult{{Code: 0, Data: proof.Root(leaves)}}
	sh, vals := n.signedHeader(forge, int64(rc.Height)+1, time.Unix(0, rc.Time).Add(time.Second).UTC(), cmttypes.NewResults(results).Hash())
	p, err := proof.Make(proof.Parts{Leaves: leaves, Results: results, SignedHeader: sh, Validators: vals})
	if err != nil {
		s.t.Fatal(err)
	}
	switch forge {
	case "leaf":
		p.Leaf = slices.Clone(p.Leaf)
		p.Leaf[len(p.Leaf)-1] ^= 1
	case "result":
		p.Result.GasUsed++
	case "height":
		p.Height++
	case "version":
		p.Version++
	}
	n.proofs[name] = p
	return fmt.Sprintf("%s: %s %s at height %d, header %d of %s", name, label, rc.Kind, rc.Height, sh.Height, sh.ChainID)
}

// inflate is what a region whose validators sign what they like could
// prove: its receipt's transfer.out events carrying amount instead.
func inflate(events []ledger.Event, amount string) []ledger.Event {
	out := make([]ledger.Event, len(events))
	for i, e := range events {
		out[i] = ledger.Event{Type: e.Type, Attrs: slices.Clone(e.Attrs)}
		for j := range out[i].Attrs {
			if e.Type == "transfer.out" && out[i].Attrs[j].Key == "amount" {
				out[i].Attrs[j].Value = amount
			}
		}
	}
	return out
}

// regionUpdate submits a region_update of the current region's chain to
// the region named by to=: a header at height= (default the chain's next),
// signed by the set forge= names.
func (n *network) regionUpdate(a *cmdArgs) string {
	s := n.cur
	to := n.regions[ledger.Region(a.get("to", ""))]
	if to == nil {
		s.t.Fatalf("region-update needs to=REGION")
	}
	height := int64(s.uintArg(a, "height", s.db.Height()+1))
	sh, vals := n.signedHeader(a.get("forge", ""), height, scenarioEpoch.Add(time.Duration(height)*time.Second), tmhash.Sum([]byte("results")))
	shJSON, err := cmtjson.Marshal(sh)
	if err != nil {
		s.t.Fatal(err)
	}
	valsJSON, err := cmtjson.Marshal(vals)
	if err != nil {
		s.t.Fatal(err)
	}
	b := &txpb.Body{Msg: &txpb.Body_RegionUpdate{RegionUpdate: &txpb.RegionUpdate{SignedHeader: shJSON, Validators: valsJSON}}}
	return to.submit(a, "relayer", b)
}

// signedHeader is a header of the current region's chain at height and t
// committing to results, signed as forge says: by the region's validators
// unless forged.
func (n *network) signedHeader(forge string, height int64, t time.Time, results []byte) (*cmttypes.SignedHeader, *cmttypes.ValidatorSet) {
	s := n.cur
	chainID, vals, pvs := s.chain, n.vals[s.region], n.keys[s.region]
	switch forge {
	case "chain":
		chainID = "peg-xx-test"
	case "strangers":
		pvs = validatorKeys(s.region, "stranger", 4)
		vals = validatorSet(s.t, pvs)
	case "rotated", "rotated-weak", "new":
		kept := map[string]int{"rotated": 2, "rotated-weak": 1, "new": 0}[forge]
		pvs = slices.Concat(pvs[:kept], validatorKeys(s.region, "new", 4-kept))
		vals = validatorSet(s.t, pvs)
	case "", "header", "minority", "leaf", "result", "height", "version":
	default:
		s.t.Fatalf("no forgery %q", forge)
	}
	h := &cmttypes.Header{
		Version: cmtversion.Consensus{Block: 11, App: 4}, ChainID: chainID, Height: height,
		Time:           t,
		LastBlockID:    cmttypes.BlockID{Hash: tmhash.Sum([]byte("last block")), PartSetHeader: cmttypes.PartSetHeader{Total: 1, Hash: tmhash.Sum([]byte("last parts"))}},
		LastCommitHash: tmhash.Sum([]byte("last commit")), DataHash: tmhash.Sum([]byte("data")),
		ValidatorsHash: vals.Hash(), NextValidatorsHash: vals.Hash(), ConsensusHash: tmhash.Sum([]byte("params")),
		AppHash: tmhash.Sum([]byte("app")), LastResultsHash: results,
		EvidenceHash: tmhash.Sum(nil), ProposerAddress: vals.Proposer.Address,
	}
	ordered := make([]cmttypes.PrivValidator, len(pvs)) // MakeExtCommit signs in the set's order
	for _, pv := range pvs {
		pk, _ := pv.GetPubKey()
		i, _ := vals.GetByAddress(pk.Address())
		ordered[i] = pv
	}
	pvs = ordered
	id := cmttypes.BlockID{Hash: h.Hash(), PartSetHeader: cmttypes.PartSetHeader{Total: 1, Hash: tmhash.Sum([]byte("parts"))}}
	votes := cmttypes.NewVoteSet(chainID, h.Height, 0, cmtproto.PrecommitType, vals)
	ext, err := cmttypes.MakeExtCommit(id, h.Height, 0, votes, pvs, h.Time.Add(time.Second), false)
	if err != nil {
		s.t.Fatal(err)
	}
	sh := &cmttypes.SignedHeader{Header: h, Commit: ext.ToCommit()}
	switch forge {
	case "header":
		h.AppHash = tmhash.Sum([]byte("another app"))
	case "minority":
		for i := 1; i < len(sh.Commit.Signatures); i++ {
			sh.Commit.Signatures[i] = cmttypes.CommitSig{BlockIDFlag: cmttypes.BlockIDFlagAbsent}
		}
	}
	return sh, vals
}

// transfers lists the current region's transfer records, and the books of
// each token it knows.
func (n *network) transfers() string {
	s := n.cur
	snap := s.db.Snapshot()
	defer snap.Close()
	v := &blockView{blk: s.blk, snap: snap, written: s.written}
	var out []string
	for _, dir := range []string{TransferOut, TransferIn} {
		err := v.Scan(transferPrefix(dir), nil, func(k, b []byte) bool {
			var t Transfer
			decode(k, b, &t)
			line := fmt.Sprintf("%s %s %s %s %s %s→%s %s→%s", dir, s.pretty(t.ID.String()), t.Status, t.Token, t.Amount,
				s.pretty(t.Payer.String()), s.pretty(t.Payee.String()), t.From, t.To)
			if t.Reason != 0 {
				line += " reason=" + t.Reason.Name()
			}
			if t.Coin != (ledger.CoinID{}) {
				line += " coin=" + s.pretty(t.Coin.String())
			}
			if t.InTx != (ledger.TxID{}) {
				line += fmt.Sprintf(" in=%s@%d closed=%s@%d", s.pretty(t.InTx.String()), t.InHeight, s.pretty(t.Closed.String()), t.ClosedHeight)
			}
			out = append(out, line)
			return true
		})
		if err != nil {
			s.t.Fatal(err)
		}
	}
	toks, err := Tokens(v)
	if err != nil {
		s.t.Fatal(err)
	}
	for _, tok := range toks {
		b := BooksOf(v, tok.Contract.ID)
		home := tok.Home
		if home == "" {
			home = s.region
		}
		out = append(out, fmt.Sprintf("books %s home=%s supply=%s sent=%s received=%s refunded=%s delivered=%s held=%s", tok.Contract.ID, home,
			tok.Supply, b.Sent, b.Received, b.Refunded, b.Delivered, tok.Held(b)))
	}
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, "\n")
}
