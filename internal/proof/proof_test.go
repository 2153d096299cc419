package proof

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	abcitypes "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/crypto/ed25519"
	"github.com/cometbft/cometbft/crypto/tmhash"
	cmtjson "github.com/cometbft/cometbft/libs/json"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	cmtversion "github.com/cometbft/cometbft/proto/tendermint/version"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
)

const testChain = "peg-test"

// chain is a block of a chain signed by real validator keys: its
// consensus transactions' results and the next block's signed header.
type chain struct {
	vals    *cmttypes.ValidatorSet
	pvs     []cmttypes.PrivValidator
	leaves  [][]byte
	results []*abcitypes.ExecTxResult
	sh      *cmttypes.SignedHeader
}

var (
	alice = ledger.AddressOf("GB", [ledger.KeyHashSize]byte{1})
	bob   = ledger.AddressOf("GB", [ledger.KeyHashSize]byte{2})
)

// payLeaf is alice paying bob 250 of gbpt from coin 1000, change 750.
func payLeaf(id byte, code ledger.Code) *Leaf {
	tx := ledger.TxID{id}
	l := &Leaf{TxID: tx, Height: 7, Kind: "pay", Signer: alice, Code: code}
	if code != ledger.OK {
		return l
	}
	l.Events = []ledger.Event{
		{Type: "coin.spent", Attrs: []ledger.Attr{{Key: "coin", Value: ledger.CoinID{9}.String()}, {Key: "owner", Value: alice.String()}, {Key: "amount", Value: "1000"}}},
		{Type: "coin.created", Attrs: []ledger.Attr{{Key: "coin", Value: ledger.NewCoinID(tx, 0).String()}, {Key: "owner", Value: bob.String()}, {Key: "amount", Value: "250"}}},
		{Type: "coin.created", Attrs: []ledger.Attr{{Key: "coin", Value: ledger.NewCoinID(tx, 1).String()}, {Key: "owner", Value: alice.String()}, {Key: "amount", Value: "750"}}},
		{Type: "pay", Attrs: []ledger.Attr{{Key: "token", Value: "gbpt"}, {Key: "from", Value: alice.String()}, {Key: "amount", Value: "250"}}},
	}
	return l
}

// newChain makes block 7, whose second consensus transaction is a batch of
// three: two payments accepted and one refused, signed in block 8 by vals
// (four validators of equal power, unless given).
func newChain(t testing.TB, chainID string, vals *cmttypes.ValidatorSet, pvs []cmttypes.PrivValidator) *chain {
	t.Helper()
	if vals == nil {
		vals, pvs = cmttypes.RandValidatorSet(4, 10)
	}
	c := &chain{vals: vals, pvs: pvs}
	for _, l := range []*Leaf{payLeaf(1, ledger.OK), payLeaf(2, ledger.CodeCoinSpent), payLeaf(3, ledger.OK)} {
		c.leaves = append(c.leaves, AppendLeaf(nil, l))
	}
	single := [][]byte{AppendLeaf(nil, payLeaf(4, ledger.OK))}
	c.results = []*abcitypes.ExecTxResult{
		{Code: 0, Data: Root(single), Log: "not committed to"},
		{Code: 0, Data: Root(c.leaves)},
		{Code: uint32(ledger.CodeBadSignature)},
	}
	h := &cmttypes.Header{
		Version: cmtversion.Consensus{Block: 11, App: 4}, ChainID: chainID, Height: 8,
		// An old block: creation is a permanent fact, and verification reads no clock.
		Time:           time.Date(2020, 1, 2, 3, 4, 5, 6, time.UTC),
		LastBlockID:    cmttypes.BlockID{Hash: tmhash.Sum([]byte("block 7")), PartSetHeader: cmttypes.PartSetHeader{Total: 1, Hash: tmhash.Sum([]byte("parts 7"))}},
		LastCommitHash: tmhash.Sum([]byte("commit 7")), DataHash: tmhash.Sum([]byte("data 8")),
		ValidatorsHash: vals.Hash(), NextValidatorsHash: vals.Hash(), ConsensusHash: tmhash.Sum([]byte("params")),
		AppHash: tmhash.Sum([]byte("app")), LastResultsHash: cmttypes.NewResults(c.results).Hash(),
		EvidenceHash: tmhash.Sum(nil), ProposerAddress: vals.Proposer.Address,
	}
	c.sh = &cmttypes.SignedHeader{Header: h, Commit: sign(t, chainID, h, vals, pvs)}
	return c
}

func sign(t testing.TB, chainID string, h *cmttypes.Header, vals *cmttypes.ValidatorSet, pvs []cmttypes.PrivValidator) *cmttypes.Commit {
	t.Helper()
	id := cmttypes.BlockID{Hash: h.Hash(), PartSetHeader: cmttypes.PartSetHeader{Total: 1, Hash: tmhash.Sum([]byte("parts 8"))}}
	votes := cmttypes.NewVoteSet(chainID, h.Height, 0, cmtproto.PrecommitType, vals)
	ext, err := cmttypes.MakeExtCommit(id, h.Height, 0, votes, pvs, h.Time.Add(time.Second), false)
	if err != nil {
		t.Fatal(err)
	}
	return ext.ToCommit()
}

func (c *chain) receipt(t testing.TB, leaf int) *Receipt {
	t.Helper()
	r, err := Make(Parts{Leaves: c.leaves, Leaf: leaf, Results: c.results, Tx: 1, SignedHeader: c.sh, Validators: c.vals})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (c *chain) coin(t testing.TB, leaf int, output uint32) *Coin {
	t.Helper()
	r := c.receipt(t, leaf)
	l, err := DecodeLeaf(r.Leaf)
	if err != nil {
		t.Fatal(err)
	}
	info, err := CoinFromLeaf(l, output)
	if err != nil {
		t.Fatal(err)
	}
	return &Coin{Version: Version, Coin: info, Receipt: *r}
}

func (c *chain) trust() Trust { return Trust{ChainID: c.sh.ChainID, Validators: c.vals} }

// roundTrip passes p through its JSON file form, as a terminal receives it.
func roundTrip[T any](t *testing.T, p *T) *T {
	t.Helper()
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var out T
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return &out
}

func TestRealCoinVerifies(t *testing.T) {
	c := newChain(t, testChain, nil, nil)
	for _, leaf := range []int{0, 2} {
		for output, want := range []struct {
			owner  ledger.Address
			amount string
		}{{bob, "250"}, {alice, "750"}} {
			p := roundTrip(t, c.coin(t, leaf, uint32(output)))
			v, rej := VerifyCoin(p, c.trust())
			if rej != nil {
				t.Fatalf("leaf %d output %d: %v", leaf, output, rej)
			}
			if v.Coin.Owner != want.owner || v.Coin.Amount.String() != want.amount || v.Coin.Token != "gbpt" ||
				v.Height != 7 || v.ChainID != testChain || v.Leaf.TxID != (ledger.TxID{byte(leaf + 1)}) {
				t.Errorf("leaf %d output %d: got %+v at %s/%d", leaf, output, v.Coin, v.ChainID, v.Height)
			}
		}
	}
}

func TestRefusedReceiptVerifies(t *testing.T) {
	c := newChain(t, testChain, nil, nil)
	v, rej := Verify(roundTrip(t, c.receipt(t, 1)), c.trust())
	if rej != nil {
		t.Fatal(rej)
	}
	if v.Leaf.Code != ledger.CodeCoinSpent || v.Leaf.TxID != (ledger.TxID{2}) {
		t.Errorf("got code %s tx %s", v.Leaf.Code.Name(), v.Leaf.TxID)
	}
}

// header decodes p's signed header, lets edit change it, and encodes it back.
func header(t *testing.T, p *Coin, edit func(*cmttypes.SignedHeader)) {
	t.Helper()
	var sh cmttypes.SignedHeader
	if err := cmtjson.Unmarshal(p.Receipt.SignedHeader, &sh); err != nil {
		t.Fatal(err)
	}
	edit(&sh)
	b, err := cmtjson.Marshal(&sh)
	if err != nil {
		t.Fatal(err)
	}
	p.Receipt.SignedHeader = b
}

func validators(t *testing.T, p *Coin, vals *cmttypes.ValidatorSet) {
	t.Helper()
	b, err := cmtjson.Marshal(vals)
	if err != nil {
		t.Fatal(err)
	}
	p.Receipt.Validators = b
}

func TestForgeries(t *testing.T) {
	c := newChain(t, testChain, nil, nil)
	other := newChain(t, "peg-other", c.vals, c.pvs)
	strangers, strangerKeys := cmttypes.RandValidatorSet(4, 10)
	// warm holds the genuine proof, verified: a forgery must not be
	// answered from it.
	warm := NewCache()
	if _, rej := warm.Verify(&roundTrip(t, c.coin(t, 0, 0)).Receipt, c.trust()); rej != nil {
		t.Fatal(rej)
	}
	for _, tc := range []struct {
		name  string
		forge func(p *Coin)
		trust Trust
		want  ledger.Code
	}{
		{"amount", func(p *Coin) { p.Coin.Amount = money.FromUint64(2500) }, c.trust(), ledger.CodeProofNotCoin},
		{"owner", func(p *Coin) { p.Coin.Owner = alice }, c.trust(), ledger.CodeProofNotCoin},
		{"token", func(p *Coin) { p.Coin.Token = "usdt" }, c.trust(), ledger.CodeProofNotCoin},
		{"coin id", func(p *Coin) { p.Coin.ID = ledger.NewCoinID(ledger.TxID{1}, 1) }, c.trust(), ledger.CodeProofNotCoin},
		{"output of another coin", func(p *Coin) { p.Coin.Output = 1 }, c.trust(), ledger.CodeProofNotCoin},
		{"coin not created", func(p *Coin) {
			p.Coin.Output = 5
			p.Coin.ID = ledger.NewCoinID(ledger.TxID{1}, 5)
		}, c.trust(), ledger.CodeProofNotCoin},
		{"amount in the leaf", func(p *Coin) {
			l, _ := DecodeLeaf(p.Receipt.Leaf)
			l.Events[1].Attrs[2].Value = "2500"
			p.Receipt.Leaf = AppendLeaf(nil, l)
			p.Coin.Amount = money.FromUint64(2500)
		}, c.trust(), ledger.CodeProofPath},
		{"leaf of another block", func(p *Coin) { p.Receipt.Leaf = AppendLeaf(nil, payLeaf(4, ledger.OK)) }, c.trust(), ledger.CodeProofPath},
		{"leaf path", func(p *Coin) { p.Receipt.LeafPath.Aunts[0][0] ^= 1 }, c.trust(), ledger.CodeProofPath},
		{"leaf path index", func(p *Coin) { p.Receipt.LeafPath.Index = 1 }, c.trust(), ledger.CodeProofPath},
		{"result code", func(p *Coin) { p.Receipt.Result.Code = 1 }, c.trust(), ledger.CodeProofPath},
		{"result data", func(p *Coin) { p.Receipt.Result.Data = c.results[0].Data }, c.trust(), ledger.CodeProofPath},
		{"result path", func(p *Coin) { p.Receipt.ResultPath.Aunts[1][3] ^= 1 }, c.trust(), ledger.CodeProofPath},
		{"header's results hash", func(p *Coin) {
			header(t, p, func(sh *cmttypes.SignedHeader) { sh.LastResultsHash = tmhash.Sum([]byte("forged")) })
		}, c.trust(), ledger.CodeProofBadCommit},
		{"header's height", func(p *Coin) {
			header(t, p, func(sh *cmttypes.SignedHeader) { sh.Height, sh.Commit.Height = 9, 9 })
			p.Receipt.Height = 8
		}, c.trust(), ledger.CodeProofBadCommit},
		{"header's validators hash", func(p *Coin) {
			header(t, p, func(sh *cmttypes.SignedHeader) { sh.ValidatorsHash = strangers.Hash() })
		}, c.trust(), ledger.CodeProofBadCommit},
		{"another chain's header", func(p *Coin) {
			p.Receipt.SignedHeader = other.coin(t, 0, 0).Receipt.SignedHeader
		}, c.trust(), ledger.CodeProofWrongChain},
		{"another chain's proof", func(p *Coin) { *p = *other.coin(t, 0, 0) }, c.trust(), ledger.CodeProofWrongChain},
		{"chain id in the file", func(p *Coin) { p.Receipt.ChainID = "peg-other" }, c.trust(), ledger.CodeProofMalformed},
		{"height in the file", func(p *Coin) { p.Receipt.Height = 6 }, c.trust(), ledger.CodeProofMalformed},
		{"commit below 2/3", func(p *Coin) {
			header(t, p, func(sh *cmttypes.SignedHeader) {
				for i := range 2 {
					sh.Commit.Signatures[i] = cmttypes.CommitSig{BlockIDFlag: cmttypes.BlockIDFlagAbsent}
				}
			})
		}, c.trust(), ledger.CodeProofWeakCommit},
		{"two votes for nil", func(p *Coin) {
			header(t, p, func(sh *cmttypes.SignedHeader) {
				for i := range 2 {
					sh.Commit.Signatures[i].BlockIDFlag = cmttypes.BlockIDFlagNil
				}
			})
		}, c.trust(), ledger.CodeProofWeakCommit},
		{"signature", func(p *Coin) {
			header(t, p, func(sh *cmttypes.SignedHeader) {
				for i := range sh.Commit.Signatures {
					sh.Commit.Signatures[i].Signature[5] ^= 1
				}
			})
		}, c.trust(), ledger.CodeProofBadCommit},
		{"commit of strangers", func(p *Coin) {
			header(t, p, func(sh *cmttypes.SignedHeader) { sh.Commit = sign(t, testChain, sh.Header, strangers, strangerKeys) })
		}, c.trust(), ledger.CodeProofBadCommit},
		{"validators not the header's", func(p *Coin) { validators(t, p, strangers) }, c.trust(), ledger.CodeProofUntrustedValidator},
		{"validators not trusted", func(*Coin) {}, Trust{ChainID: testChain, Validators: strangers}, ledger.CodeProofUntrustedValidator},
		{"version", func(p *Coin) { p.Version = 2 }, c.trust(), ledger.CodeProofMalformed},
		{"receipt version", func(p *Coin) { p.Receipt.Version = 0 }, c.trust(), ledger.CodeProofMalformed},
		{"signed header", func(p *Coin) { p.Receipt.SignedHeader = json.RawMessage(`{"header":null}`) }, c.trust(), ledger.CodeProofMalformed},
		{"validators", func(p *Coin) { p.Receipt.Validators = json.RawMessage(`[]`) }, c.trust(), ledger.CodeProofMalformed},
		{"leaf path's leaf hash", func(p *Coin) { p.Receipt.LeafPath.LeafHash = nil }, c.trust(), ledger.CodeProofMalformed},
		{"validator key of 31 bytes", func(p *Coin) {
			vals := c.vals.Copy()
			vals.Validators[1].PubKey = ed25519.PubKey(make([]byte, 31))
			validators(t, p, vals)
		}, c.trust(), ledger.CodeProofMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := roundTrip(t, c.coin(t, 0, 0))
			tc.forge(p)
			p = roundTrip(t, p)
			_, fresh := Verify(&p.Receipt, tc.trust)
			if _, cached := warm.Verify(&p.Receipt, tc.trust); codeOf(cached) != codeOf(fresh) {
				t.Errorf("with the genuine proof cached the receipt gives %v, verified afresh %v", cached, fresh)
			}
			v, rej := VerifyCoin(p, tc.trust)
			if rej == nil {
				t.Fatalf("verified: %+v", v.Coin)
			}
			if rej.Code != tc.want {
				t.Errorf("got %s (%s), want %s", rej.Code.Name(), rej.Message, tc.want.Name())
			}
		})
	}
}

func TestRefusedTransactionMakesNoCoin(t *testing.T) {
	c := newChain(t, testChain, nil, nil)
	p := &Coin{Version: Version, Receipt: *c.receipt(t, 1),
		Coin: CoinInfo{ID: ledger.NewCoinID(ledger.TxID{2}, 0), Token: "gbpt", Owner: bob, Amount: money.FromUint64(250)}}
	if _, rej := VerifyCoin(p, c.trust()); rej == nil || rej.Code != ledger.CodeProofRefused {
		t.Errorf("got %v, want PROOF_REFUSED", rej)
	}
}

// TestTrustLevel checks a header signed by another validator set than the
// trusted one: trusted when validators with 1/3 of the trusted power
// signed it, not otherwise.
func TestTrustLevel(t *testing.T) {
	c := newChain(t, testChain, nil, nil)
	p := c.coin(t, 0, 0)
	for _, tc := range []struct {
		name   string
		shared int // of the header's four validators, also in the trusted set of four
		ok     bool
	}{{"two of four", 2, true}, {"one of four", 1, false}} {
		t.Run(tc.name, func(t *testing.T) {
			others, _ := cmttypes.RandValidatorSet(4-tc.shared, 10)
			vals := slices.Concat(c.vals.Copy().Validators[:tc.shared], others.Validators)
			trust := Trust{ChainID: testChain, Validators: cmttypes.NewValidatorSet(vals)}
			_, rej := VerifyCoin(p, trust)
			if tc.ok && rej != nil {
				t.Fatalf("refused: %v", rej)
			}
			if !tc.ok && (rej == nil || rej.Code != ledger.CodeProofUntrustedValidator) {
				t.Fatalf("got %v, want PROOF_UNTRUSTED_VALIDATORS", rej)
			}
		})
	}
}

// TestCommitOfThreeOfFour checks the commit rule with several signers:
// three of four validators (more than 2/3 of the power) suffice.
func TestCommitOfThreeOfFour(t *testing.T) {
	c := newChain(t, testChain, nil, nil)
	p := c.coin(t, 0, 0)
	header(t, p, func(sh *cmttypes.SignedHeader) {
		sh.Commit.Signatures[3] = cmttypes.CommitSig{BlockIDFlag: cmttypes.BlockIDFlagAbsent}
	})
	if _, rej := VerifyCoin(p, c.trust()); rej != nil {
		t.Fatal(rej)
	}
}

func TestMakeRefusesLeavesOfAnotherResult(t *testing.T) {
	c := newChain(t, testChain, nil, nil)
	_, err := Make(Parts{Leaves: c.leaves, Leaf: 0, Results: c.results, Tx: 0, SignedHeader: c.sh, Validators: c.vals})
	if err == nil {
		t.Fatal("made a proof whose leaves are not its result's")
	}
}

func TestLeafRoundTrip(t *testing.T) {
	for _, l := range []*Leaf{payLeaf(1, ledger.OK), payLeaf(2, ledger.CodeCoinSpent), {Kind: "deploy_token"}} {
		b := AppendLeaf(nil, l)
		got, err := DecodeLeaf(b)
		if err != nil {
			t.Fatal(err)
		}
		if again := AppendLeaf(nil, got); string(again) != string(b) {
			t.Errorf("%s: decoded leaf encodes to other bytes", l.Kind)
		}
		if got.TxID != l.TxID || got.Signer != l.Signer || got.Code != l.Code || len(got.Events) != len(l.Events) {
			t.Errorf("got %+v, want %+v", got, l)
		}
	}
}

func TestLeafDecodeRefuses(t *testing.T) {
	good := AppendLeaf(nil, payLeaf(1, ledger.OK))
	nonCanonical := slices.Concat(good[:33], []byte{0x87, 0x00}, good[34:]) // height 7 in two bytes
	for name, b := range map[string][]byte{
		"empty":         nil,
		"version":       append([]byte{2}, good[1:]...),
		"short":         good[:40],
		"trailing":      append(slices.Clone(good), 0),
		"non-canonical": nonCanonical,
		"huge count":    slices.Concat(good[:33], []byte{7, 0xff, 0xff, 0xff, 0xff, 0x0f}),
		"too large":     make([]byte, MaxLeafSize+1),
	} {
		if _, err := DecodeLeaf(b); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
}

func TestLoadTrustRefuses(t *testing.T) {
	c := newChain(t, testChain, nil, nil)
	good, err := exportTrust(c)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := LoadTrust(good); err != nil {
		t.Fatalf("a good trust file: %v", err)
	}
	for name, f := range map[string]string{
		"no chain":      `{"validators":[{"pub_key":{"type":"tendermint/PubKeyEd25519","value":"` + key32 + `"},"power":"10"}]}`,
		"no validators": `{"chain_id":"x","validators":[]}`,
		"short key":     `{"chain_id":"x","validators":[{"pub_key":{"type":"tendermint/PubKeyEd25519","value":"AAAA"},"power":"10"}]}`,
		"no power":      `{"chain_id":"x","validators":[{"pub_key":{"type":"tendermint/PubKeyEd25519","value":"` + key32 + `"},"power":"0"}]}`,
		"twice": `{"chain_id":"x","validators":[{"pub_key":{"type":"tendermint/PubKeyEd25519","value":"` + key32 + `"},"power":"1"},` +
			`{"pub_key":{"type":"tendermint/PubKeyEd25519","value":"` + key32 + `"},"power":"1"}]}`,
		"not json": `validators`,
	} {
		if _, err := LoadTrust([]byte(f)); err == nil {
			t.Errorf("%s: loaded", name)
		}
	}
}

// key32 is a 32-byte key in base64.
const key32 = "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA="

// exportTrust writes c's trust file, as peg validators export does from a genesis.
func exportTrust(c *chain) ([]byte, error) {
	var vals []cmttypes.GenesisValidator
	for _, v := range c.vals.Validators {
		vals = append(vals, cmttypes.GenesisValidator{Address: v.Address, PubKey: v.PubKey, Power: v.VotingPower})
	}
	b, err := cmtjson.Marshal(TrustFile{ChainID: c.sh.ChainID, Validators: vals})
	if err != nil {
		return nil, err
	}
	out, _, err := ExportTrust(b)
	return out, err
}
