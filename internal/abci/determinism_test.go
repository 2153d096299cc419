package abci

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"log/slog"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	abcitypes "github.com/cometbft/cometbft/abci/types"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/proof"
	"github.com/pegledger/peg/internal/state"
	"github.com/pegledger/peg/internal/store"
	"github.com/pegledger/peg/internal/token"
	"github.com/pegledger/peg/internal/tx"
	"github.com/pegledger/peg/internal/tx/txpb"
)

// The determinism and property tests share these: actors with deterministic
// keys, a genesis and two token contracts, and a driver that runs an App as
// consensus does, through InitChain, FinalizeBlock and Commit only.

const ledgerChain = "peg-ledger-test"

// actor is a deterministic key and its address.
type actor struct {
	name string
	priv ed25519.PrivateKey
	addr ledger.Address
}

// GoString names the actor in rapid's log of what it drew.
func (a actor) GoString() string { return a.name }

func newActor(name string, region ledger.Region) actor {
	seed := sha256.Sum256([]byte("actor " + name))
	k := ed25519.NewKeyFromSeed(seed[:])
	return actor{name: name, priv: k, addr: ledger.NewAddress(region, k.Public().(ed25519.PublicKey))}
}

// cast is everyone the tests sign for: the platform operator, the issuer
// (each contract's owner), the contracts' other roles, three users, an
// outsider with no coins or role, and an account at home in another region.
var cast = struct {
	operator, issuer, pauser, freezer, attestor, minter actor
	alice, bob, carol, mallory, foreigner               actor
}{
	newActor("operator", "GB"), newActor("issuer", "GB"), newActor("pauser", "GB"), newActor("freezer", "GB"),
	newActor("attestor", "GB"), newActor("minter", "GB"),
	newActor("alice", "GB"), newActor("bob", "GB"), newActor("carol", "GB"), newActor("mallory", "GB"), newActor("foreigner", "FR"),
}

func ledgerGenesis() state.Genesis {
	return state.Genesis{Operator: cast.operator.addr, Issuers: []ledger.Address{cast.issuer.addr},
		Params: state.Params{MinReserve: 1, Banks: []string{"PEGDGB2L"}, MaxExpiryDelta: 1000}, Network: ledgerNetwork(), CA: testCA().Raw}
}

// The contracts' limits, in minor units (2 decimals).
const (
	testMinUnit     = 10        // 0.1
	testMaxTransfer = 5_000     // 50
	testMinRedeem   = 100       // 1
	testCap         = 1_000_000 // 10000
	testAllowance   = 200_000   // 2000
	testWindow      = 744 * time.Hour
)

// ledgerDraft is a contract with limits small enough for random amounts to
// meet them.
func ledgerDraft(id, symbol, currency string) token.Draft {
	return token.Draft{ID: id, Name: symbol + " coin", Symbol: symbol, Decimals: 2, SupplyCap: "10000", DeclaredReserve: "10000",
		Ratio: "1", MinUnit: "0.1", MaxTransfer: "50", MinRedeem: "1", TransferRule: "open", RedeemRule: "anyone",
		Fiat:    token.FiatDraft{BIC: "PEGDGB2L", Scheme: "IBAN", Account: "GB81PEGD20041531926819", Currency: currency},
		Reserve: token.ReserveDraft{StalenessWindow: testWindow.String()},
		Roles: token.RolesDraft{Owner: cast.issuer.addr.String(), Pauser: cast.pauser.addr.String(),
			Freezer: cast.freezer.addr.String(), Attestor: cast.attestor.addr.String(),
			Minters: []token.MinterDraft{{Address: cast.minter.addr.String(), Allowance: "2000"}}}}
}

// chainStart is the first block's time; each block is a second after the
// one before unless a test moves time on.
var chainStart = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// failer is what the helpers need of a *testing.T or a *rapid.T.
type failer interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
}

// signer signs bodies with increasing nonces, so that equal messages make
// distinct transactions.
type signer struct {
	tb    failer
	nonce uint64
}

// sign fills the envelope of body (chain, expiry, signer, nonce) and signs it
// with a's key.
func (s *signer) sign(a actor, expiry uint64, body *txpb.Body) ([]byte, ledger.TxID) {
	s.nonce++
	body.ChainId, body.ExpiryHeight, body.Signer, body.Nonce = ledgerChain, expiry, a.addr.String(), s.nonce
	raw, id, err := tx.Sign(body, a.priv)
	if err != nil {
		s.tb.Fatal(err)
	}
	return raw, id
}

// driver runs an App over its own store as consensus does.
type driver struct {
	tb     failer
	dir    string
	db     *store.DB
	app    *App
	height int64
}

// newDriver starts an App of GB's chain on a fresh store in a new temporary
// directory and commits genesis. Close removes the directory.
func newDriver(tb failer, g state.Genesis) *driver {
	return newRegionDriver(tb, g, ledgerChain, "GB")
}

// newRegionDriver is newDriver for the chain chainID of region.
func newRegionDriver(tb failer, g state.Genesis, chainID string, region ledger.Region) *driver {
	dir, err := os.MkdirTemp("", "peg-abci-*")
	if err != nil {
		tb.Fatal(err)
	}
	db, err := store.Open(dir, slog.New(slog.DiscardHandler))
	if err != nil {
		os.RemoveAll(dir)
		tb.Fatal(err)
	}
	d := &driver{tb: tb, dir: dir, db: db}
	if d.app, err = New(db, chainID, region, slog.New(slog.DiscardHandler)); err != nil {
		d.Close()
		tb.Fatal(err)
	}
	b, err := json.Marshal(g)
	if err != nil {
		d.Close()
		tb.Fatal(err)
	}
	if _, err := d.app.InitChain(context.Background(), &abcitypes.RequestInitChain{ChainId: chainID, AppStateBytes: b}); err != nil {
		d.Close()
		tb.Fatal(err)
	}
	return d
}

// Close closes the store and removes its directory.
func (d *driver) Close() {
	d.db.Close()
	os.RemoveAll(d.dir)
}

// block finalizes and commits the next block, and returns its results.
func (d *driver) block(at time.Time, txs [][]byte) *abcitypes.ResponseFinalizeBlock {
	d.height++
	ctx := context.Background()
	res, err := d.app.FinalizeBlock(ctx, &abcitypes.RequestFinalizeBlock{Height: d.height, Time: at, Txs: txs})
	if err != nil {
		d.tb.Fatalf("block %d: %v", d.height, err)
	}
	if _, err := d.app.Commit(ctx, &abcitypes.RequestCommit{}); err != nil {
		d.tb.Fatalf("committing block %d: %v", d.height, err)
	}
	return res
}

// admit offers txs to the mempool (CheckTx), as a validator does before
// proposing them, so that its signature cache holds them.
func (d *driver) admit(txs [][]byte) {
	for _, raw := range txs {
		if _, err := d.app.CheckTx(context.Background(), &abcitypes.RequestCheckTx{Tx: raw}); err != nil {
			d.tb.Fatal(err)
		}
	}
}

// recordedBlock is a block as a chain committed it.
type recordedBlock struct {
	time    time.Time
	txs     [][]byte
	codes   []uint32
	appHash []byte
	results []byte // the hash of the results, which the next header commits to
}

// recordStory commits a history that touches every kind of transaction the
// ledger knows, accepted and refused, plus an empty block and bytes that do
// not decode. Each block's transactions pass CheckTx first, as on a
// validator.
func recordStory(t *testing.T) []recordedBlock {
	d := newDriver(t, ledgerGenesis())
	defer d.Close()
	s := &signer{tb: t}
	var out []recordedBlock
	at := chainStart
	commit := func(txs ...[]byte) {
		at = at.Add(time.Second)
		d.admit(txs)
		res := d.block(at, txs)
		rb := recordedBlock{time: at, txs: txs, appHash: res.AppHash, results: cmttypes.NewResults(res.TxResults).Hash()}
		for _, r := range res.TxResults {
			rb.codes = append(rb.codes, r.Code)
		}
		out = append(out, rb)
	}
	exp := func() uint64 { return uint64(d.height) + 100 }
	body := func(m func(*txpb.Body)) *txpb.Body { b := &txpb.Body{}; m(b); return b }
	sign := func(a actor, m func(*txpb.Body)) ([]byte, ledger.TxID) { return s.sign(a, exp(), body(m)) }
	raw := func(a actor, m func(*txpb.Body)) []byte { r, _ := sign(a, m); return r }

	g, e := ledgerDraft("gbpt", "GBPT", "GBP"), ledgerDraft("eurt", "EURT", "EUR")
	// gbps names gbpt's balance (refused); jpyt redeems only whole yen.
	gbps, jpyt := ledgerDraft("gbps", "GBPS", "GBP"), ledgerDraft("jpyt", "JPYT", "JPY")
	commit(raw(cast.issuer, msgDeploy(g)), raw(cast.issuer, msgDeploy(e)), raw(cast.issuer, msgDeploy(gbps)), raw(cast.issuer, msgDeploy(jpyt)),
		raw(cast.operator, func(b *txpb.Body) {
			b.Msg = &txpb.Body_RegisterAccount{RegisterAccount: &txpb.RegisterAccount{Account: cast.carol.addr.String()}}
		}),
		raw(cast.operator, func(b *txpb.Body) {
			b.Msg = &txpb.Body_AuthorizeIssuer{AuthorizeIssuer: &txpb.AuthorizeIssuer{Issuer: cast.bob.addr.String()}}
		}))
	commit(raw(cast.attestor, msgAttest("gbpt", "GBP", "300000", at)), raw(cast.attestor, msgAttest("eurt", "EUR", "300000", at)),
		raw(cast.attestor, msgAttest("jpyt", "JPY", "10000", at)))
	mintA, mintAID := sign(cast.minter, msgMint("gbpt", cast.alice.addr, "20000"))
	mintB, mintBID := sign(cast.minter, msgMint("gbpt", cast.bob.addr, "10000"))
	mintE, _ := sign(cast.minter, msgMint("eurt", cast.carol.addr, "3000"))
	mintJ, mintJID := sign(cast.minter, msgMint("jpyt", cast.bob.addr, "1000"))
	commit(mintA, mintB, mintE, raw(cast.mallory, msgMint("gbpt", cast.mallory.addr, "10")), mintJ)
	redeemB, redeemBID := sign(cast.bob, msgRedeem("gbpt", []ledger.CoinID{ledger.NewCoinID(mintBID, 0)}, "1000"))
	payA, payAID := sign(cast.alice, msgPay("gbpt", []ledger.CoinID{ledger.NewCoinID(mintAID, 0)},
		outTo(cast.bob.addr, "2500"), outTo(cast.carol.addr, "500"), outTo(cast.alice.addr, "17000")))
	commit(payA, payA, // the second is a replay in the same block
		raw(cast.bob, msgPay("gbpt", []ledger.CoinID{ledger.NewCoinID(mintAID, 0)}, outTo(cast.bob.addr, "20000"))), // spent, and not bob's
		redeemB,
		[]byte("not a transaction"),
		raw(cast.bob, msgRedeem("jpyt", []ledger.CoinID{ledger.NewCoinID(mintJID, 0)}, "250")), // 2.5 yen
		raw(cast.bob, msgRedeem("jpyt", []ledger.CoinID{ledger.NewCoinID(mintJID, 0)}, "300")))
	commit() // an empty block
	commit(raw(cast.freezer, func(b *txpb.Body) {
		b.Msg = &txpb.Body_Freeze{Freeze: &txpb.Freeze{Token: "gbpt", Account: cast.carol.addr.String()}}
	}), raw(cast.carol, msgPay("gbpt", []ledger.CoinID{ledger.NewCoinID(payAID, 1)}, outTo(cast.alice.addr, "500"))),
		raw(cast.alice, func(b *txpb.Body) {
			b.Msg = &txpb.Body_Approve{Approve: &txpb.Approve{Token: "gbpt", Spender: cast.bob.addr.String(), Amount: "3000"}}
		}))
	seize := raw(cast.issuer, func(b *txpb.Body) {
		c := ledger.NewCoinID(payAID, 1)
		b.Msg = &txpb.Body_Seize{Seize: &txpb.Seize{Token: "gbpt", Inputs: [][]byte{c[:]}}}
	})
	spendFrom, spendFromID := sign(cast.bob, func(b *txpb.Body) {
		c := ledger.NewCoinID(payAID, 2)
		b.Msg = &txpb.Body_SpendFrom{SpendFrom: &txpb.SpendFrom{Token: "gbpt", Owner: cast.alice.addr.String(), Inputs: [][]byte{c[:]},
			Outputs: []*txpb.Output{{Owner: cast.bob.addr.String(), Amount: "3000"}, {Owner: cast.alice.addr.String(), Amount: "14000"}}}}
	})
	commit(seize, spendFrom, raw(cast.pauser, func(b *txpb.Body) { b.Msg = &txpb.Body_Pause{Pause: &txpb.Pause{Token: "eurt"}} }))
	commit(raw(cast.issuer, func(b *txpb.Body) {
		b.Msg = &txpb.Body_ConfigureMinter{ConfigureMinter: &txpb.ConfigureMinter{Token: "gbpt", Minter: cast.alice.addr.String(), Allowance: "100"}}
	}), raw(cast.issuer, func(b *txpb.Body) {
		b.Msg = &txpb.Body_TransferOwnership{TransferOwnership: &txpb.TransferOwnership{Token: "eurt", NewOwner: cast.bob.addr.String()}}
	}), raw(cast.pauser, func(b *txpb.Body) { b.Msg = &txpb.Body_Unpause{Unpause: &txpb.Unpause{Token: "eurt"}} }))
	commit(raw(cast.bob, func(b *txpb.Body) {
		b.Msg = &txpb.Body_AcceptOwnership{AcceptOwnership: &txpb.AcceptOwnership{Token: "eurt"}}
	}),
		raw(cast.freezer, func(b *txpb.Body) {
			b.Msg = &txpb.Body_Unfreeze{Unfreeze: &txpb.Unfreeze{Token: "gbpt", Account: cast.carol.addr.String()}}
		}), mintA)
	at = at.Add(testWindow) // long enough for the reserves to go stale at the next block
	commit(raw(cast.minter, msgMint("gbpt", cast.alice.addr, "100")))
	// Fees: a payment costs 0.10 + 0.10 an output; bob deposits 500 for 10 days,
	// cannot pay a second later (nothing released yet), and pays a day on.
	commit(raw(cast.operator, func(b *txpb.Body) {
		b.Msg = &txpb.Body_SetFeeSchedule{SetFeeSchedule: &txpb.SetFeeSchedule{
			Policy: &txpb.FeePolicy{Token: "gbpt", Revenue: cast.carol.addr.String(), LowBalance: "10", MaxGrants: 4,
				Tiers: []*txpb.FeeTier{{MinDeposit: "100", ValiditySeconds: 240 * 3600}}},
			Fees: []*txpb.KindFee{{Kind: "pay", Fixed: "10", PerOutput: "10"}}}}
	}))
	deposit, depositID := sign(cast.bob, func(b *txpb.Body) {
		c := ledger.NewCoinID(redeemBID, 0)
		b.Msg = &txpb.Body_FeeDeposit{FeeDeposit: &txpb.FeeDeposit{Token: "gbpt", Inputs: [][]byte{c[:]}, Amount: "500"}}
	})
	payB := func() ([]byte, ledger.TxID) {
		return sign(cast.bob, msgPay("gbpt", []ledger.CoinID{ledger.NewCoinID(depositID, 1)},
			outTo(cast.carol.addr, "100"), outTo(cast.bob.addr, "8400")))
	}
	first, _ := payB()
	commit(deposit, first)
	at = at.Add(24 * time.Hour)
	second, secondID := payB()
	commit(second)                                              // signed anew: the refused one's receipt is final
	collect, collectID := sign(cast.carol, func(b *txpb.Body) { // the revenue account collects the 0.30 fee
		c := ledger.NewCoinID(depositID, 0)
		b.Msg = &txpb.Body_FeeCollect{FeeCollect: &txpb.FeeCollect{Inputs: [][]byte{c[:]}, Amount: "30"}}
	})
	commit(collect)
	// The alias directory: mallory may not make a registrar; the operator
	// makes carol one; she binds alice's hash, bob's is refused the same
	// hash, and she revokes it.
	h := sha256.Sum256([]byte("phone:+447700900123"))
	setRegistrar := func(b *txpb.Body) {
		b.Msg = &txpb.Body_SetRegistrar{SetRegistrar: &txpb.SetRegistrar{Registrar: cast.carol.addr.String()}}
	}
	bind := func(to ledger.Address) func(*txpb.Body) {
		return func(b *txpb.Body) {
			b.Msg = &txpb.Body_AliasRegister{AliasRegister: &txpb.AliasRegister{Hash: h[:], Account: to.String()}}
		}
	}
	commit(raw(cast.mallory, setRegistrar), raw(cast.operator, setRegistrar))
	commit(raw(cast.carol, bind(cast.alice.addr)), raw(cast.carol, bind(cast.bob.addr)))
	commit(raw(cast.carol, func(b *txpb.Body) {
		b.Msg = &txpb.Body_AliasRevoke{AliasRevoke: &txpb.AliasRevoke{Hash: h[:]}}
	}))
	// Across regions: bob pays hana in HK (an outbound transfer), which HK
	// returns and GB refunds; HK's token hkdt is imported from the proof of
	// its deployment and a transfer of it from HK delivered to carol, then
	// again (TRANSFER_DONE).
	hana := newActor("hana", "HK")
	at = at.Add(24 * time.Hour) // the day releases bob's fees for it
	out1, out1ID := sign(cast.bob, msgPay("gbpt", []ledger.CoinID{ledger.NewCoinID(secondID, 1)}, outTo(hana.addr, "100"), outTo(cast.bob.addr, "8300")))
	commit(out1)
	xfer := ledger.NewCoinID(out1ID, 0)
	hkd := ledgerDraft("hkdt", "HKDT", "HKD") // its reserve account is HK's business: imported, it backs nothing here
	deploy := hkProof(t, ledger.TxID{1}, 3, "deploy_token", hana.addr, event("token.deployed", "token", "hkdt",
		"hash", deployedHash(t, hkd, ledgerGenesis()), "address", hana.addr.String(), "issuer", hana.addr.String()))
	inbound := ledger.NewCoinID(ledger.TxID{2}, 0)
	paid := hkProof(t, ledger.TxID{2}, 4, "pay", hana.addr, event("transfer.out", "transfer", inbound.String(), "token", "hkdt",
		"amount", "700", "payer", hana.addr.String(), "payee", cast.carol.addr.String(), "from", "HK", "to", "GB"))
	returned := hkProof(t, ledger.TxID{3}, 9, "transfer_in", hana.addr, event("transfer.returned", "transfer", xfer.String(), "token", "gbpt",
		"amount", "100", "payer", cast.bob.addr.String(), "payee", hana.addr.String(), "from", "GB", "to", "HK", "reason", "UNKNOWN_TOKEN", "code", "40"))
	msgIn := func(p []byte, id ledger.CoinID) func(*txpb.Body) {
		return func(b *txpb.Body) {
			b.Msg = &txpb.Body_TransferIn{TransferIn: &txpb.TransferIn{Proof: p, Transfer: id[:]}}
		}
	}
	commit(raw(cast.mallory, func(b *txpb.Body) {
		b.Msg = &txpb.Body_TokenImport{TokenImport: &txpb.TokenImport{Proof: deploy, Contract: tx.DraftToProto(hkd)}}
	}), raw(cast.mallory, msgIn(paid, inbound)), raw(cast.alice, msgIn(paid, inbound)),
		raw(cast.mallory, func(b *txpb.Body) {
			b.Msg = &txpb.Body_TransferRefund{TransferRefund: &txpb.TransferRefund{Proof: returned, Transfer: xfer[:]}}
		}))
	// HK's trust moves to a newer header of its set, then not to an older.
	update := func(height uint64) func(*txpb.Body) {
		sh, vals := hkHeader(t, height)
		return func(b *txpb.Body) {
			b.Msg = &txpb.Body_RegionUpdate{RegionUpdate: &txpb.RegionUpdate{SignedHeader: sh, Validators: vals}}
		}
	}
	commit(raw(cast.mallory, update(20)), raw(cast.mallory, update(12)))
	// bob pays hana again; HK's delivery is proven back and GB closes the
	// transfer delivered, once (a second ack: TRANSFER_DONE).
	out2, out2ID := sign(cast.bob, msgPay("gbpt", []ledger.CoinID{ledger.NewCoinID(out1ID, 1)}, outTo(hana.addr, "50"), outTo(cast.bob.addr, "8250")))
	commit(out2)
	acked := ledger.NewCoinID(out2ID, 0)
	delivered := hkProof(t, ledger.TxID{4}, 21, "transfer_in", hana.addr, event("transfer.in", "transfer", acked.String(), "token", "gbpt",
		"amount", "50", "payer", cast.bob.addr.String(), "payee", hana.addr.String(), "from", "GB", "to", "HK"))
	ack := func(b *txpb.Body) {
		b.Msg = &txpb.Body_TransferAck{TransferAck: &txpb.TransferAck{Proof: delivered, Transfer: acked[:]}}
	}
	commit(raw(cast.mallory, ack), raw(cast.alice, ack))
	// Credit: carol is a credit node funded with the collected 0.30; alice
	// and bob register certificates; bob grants alice a line; alice asks for
	// 0.20, bob confirms and is paid from the pool, confirms receipt; a
	// confirmation by alice and a second one are refused; alice repays 0.10,
	// then the rest late, a week and more on.
	commit(raw(cast.alice, msgRegisterCert(cast.alice, 1)), raw(cast.bob, msgRegisterCert(cast.bob, 2)),
		raw(cast.operator, msgCreditNode(cast.carol.addr)), raw(cast.bob, msgCreditLine(cast.carol.addr, cast.alice.addr, "1000")),
		raw(cast.carol, msgCreditFund([]ledger.CoinID{ledger.NewCoinID(collectID, 0)}, "30")))
	req, reqID := sign(cast.alice, msgCreditRequest(cast.carol.addr, cast.bob.addr, "20", at.Add(time.Hour)))
	commit(req)
	commit(raw(cast.alice, msgCreditConfirm(reqID)), raw(cast.bob, msgCreditConfirm(reqID)), raw(cast.bob, msgCreditConfirm(reqID)),
		raw(cast.bob, msgCreditReceipt(reqID)))
	repay, repayID := sign(cast.alice, msgCreditRepay(reqID, []ledger.CoinID{ledger.NewCoinID(spendFromID, 1)}, "10"))
	commit(repay)
	at = at.Add(8 * 24 * time.Hour)
	repay2, repay2ID := sign(cast.alice, msgCreditRepay(reqID, []ledger.CoinID{ledger.NewCoinID(repayID, 0)}, "10"))
	commit(repay2)
	// Credit across regions: alice asks carol's node to pay hana in HK (GB
	// holds it); HK's proof of hana's confirmation records alice's debt
	// here, once (CREDIT_PROOF_DONE). hana asks carol's node to pay bob
	// here: HK's proof writes the request, bob confirms it on his line for
	// hana and is paid from the pool, and HK's proof of hana's repayment
	// lowers what it owes here.
	xreq, xreqID := sign(cast.alice, msgCreditRequest(cast.carol.addr, hana.addr, "10", at.Add(time.Hour)))
	commit(xreq, raw(cast.bob, msgCreditLine(cast.carol.addr, hana.addr, "50")))
	paidHK := hkCreditPaid(t, ledger.TxID{4}, 12, xreqID, cast.carol.addr, cast.alice.addr, hana.addr, "10", at)
	hreq := ledger.TxID{5}
	reqHK := hkCreditRequest(t, hreq, 13, cast.carol.addr, hana.addr, cast.bob.addr, "15", at.Add(time.Hour))
	commit(raw(cast.mallory, msgCreditPaidIn(paidHK, xreqID)), raw(cast.mallory, msgCreditPaidIn(paidHK, xreqID)),
		raw(cast.mallory, msgCreditRequestIn(reqHK, hreq)))
	commit(raw(cast.bob, msgCreditConfirm(hreq)))
	commit(raw(cast.mallory, msgCreditRepaidIn(hkCreditRepaid(t, ledger.TxID{6}, 14, hreq, cast.carol.addr, hana.addr, cast.bob.addr, "15", "0"), ledger.TxID{6})))
	// Trade: the operator sets the rules (mallory may not); alice buys tea
	// from bob twice, carol arbitrating. Bob counters the first, mallory
	// may not accept it, alice does; she funds both (bob may not), bob
	// ships; mallory's settlement waits for alice's confirmation, then
	// settles, once; alice disputes the second and carol splits it.
	commit(raw(cast.carol, msgRegisterCert(cast.carol, 3)), raw(cast.mallory, msgTradeRules(1, "100000")), raw(cast.operator, msgTradeRules(1, "100000")))
	offer1, trade1 := sign(cast.alice, msgTradeOffer(cast.alice.addr, cast.bob.addr, tradeTerms("50", "confirmation", cast.carol.addr, at)))
	offer2, trade2 := sign(cast.alice, msgTradeOffer(cast.alice.addr, cast.bob.addr, tradeTerms("30", "documents", cast.carol.addr, at)))
	commit(offer1, offer2)
	commit(raw(cast.bob, msgTradeCounter(trade1, 1, tradeTerms("60", "confirmation", cast.carol.addr, at))),
		raw(cast.mallory, msgTradeAccept(trade1, 2)), raw(cast.alice, msgTradeAccept(trade1, 2)), raw(cast.bob, msgTradeAccept(trade2, 1)))
	fund1, fund1ID := sign(cast.alice, msgTradeFund(trade1, []ledger.CoinID{ledger.NewCoinID(repay2ID, 0)}, "60"))
	commit(raw(cast.bob, msgTradeFund(trade1, []ledger.CoinID{ledger.NewCoinID(repay2ID, 0)}, "60")), fund1,
		raw(cast.alice, msgTradeFund(trade2, []ledger.CoinID{ledger.NewCoinID(fund1ID, 0)}, "30")))
	commit(raw(cast.bob, msgTradeShip(trade1)), raw(cast.bob, msgTradeShip(trade2)), raw(cast.mallory, msgTradeSettle(trade1)),
		raw(cast.alice, msgTradeConfirm(trade1)), raw(cast.mallory, msgTradeSettle(trade1)), raw(cast.mallory, msgTradeSettle(trade1)),
		raw(cast.alice, msgTradeDispute(trade2)), raw(cast.carol, msgTradeResolve(trade2, "10")), raw(cast.alice, msgTradeCancel(trade2)))
	// Endorsement: gbpt's owner (issuer) sets a policy, mallory may not:
	// mints above 1000 need two of carol and bob; the attestor brings the
	// reserve up to date. Two mints above the threshold open requests;
	// mallory may not endorse the first, carol does (once), bob's
	// endorsement executes it; the minter cancels the second, which then
	// takes no endorsement.
	policy := msgEndorsePolicy("gbpt", "1000", 2, cast.carol.addr, cast.bob.addr)
	commit(raw(cast.mallory, policy), raw(cast.issuer, policy), raw(cast.attestor, msgAttest("gbpt", "GBP", "300000", at)))
	req1, req1ID := sign(cast.minter, msgMint("gbpt", cast.alice.addr, "1500"))
	req2, req2ID := sign(cast.minter, msgMint("gbpt", cast.alice.addr, "1200"))
	commit(req1, req2)
	commit(raw(cast.mallory, msgEndorseMint(req1ID)), raw(cast.carol, msgEndorseMint(req1ID)), raw(cast.carol, msgEndorseMint(req1ID)),
		raw(cast.bob, msgEndorseMint(req1ID)), raw(cast.minter, msgCancelMintRequest(req2ID)), raw(cast.bob, msgEndorseMint(req2ID)))
	// KYC tiers: the issuer tiers a new token, chft (mallory may not; eurt,
	// whose coins are out, is too late for its owner bob); a mint past
	// anonymous mallory's balance limit is refused, one to alice (level 1)
	// within hers accepted, and one that would take her past it refused.
	chf := ledgerDraft("chft", "CHFT", "CHF")
	chf.Fiat.Account = "CH9300762011623852957"
	commit(raw(cast.issuer, msgDeploy(chf)), raw(cast.attestor, func(b *txpb.Body) {
		msgAttest("chft", "CHF", "300000", at)(b)
		b.GetAttest().Account = chf.Fiat.Account
	}))
	commit(raw(cast.mallory, msgKYCTiers("chft")), raw(cast.bob, msgKYCTiers("eurt")), raw(cast.issuer, msgKYCTiers("chft")))
	commit(raw(cast.minter, msgMint("chft", cast.mallory.addr, "60")), raw(cast.minter, msgMint("chft", cast.alice.addr, "500")),
		raw(cast.minter, msgMint("chft", cast.alice.addr, "600")))
	return out
}

func msgEndorsePolicy(tok, threshold string, required uint32, endorsers ...ledger.Address) func(*txpb.Body) {
	return func(b *txpb.Body) {
		p := &txpb.SetEndorsePolicy{Token: tok, Threshold: threshold, Required: required, WindowSeconds: 3600}
		for _, e := range endorsers {
			p.Endorsers = append(p.Endorsers, e.String())
		}
		b.Msg = &txpb.Body_SetEndorsePolicy{SetEndorsePolicy: p}
	}
}

func msgEndorseMint(req ledger.TxID) func(*txpb.Body) {
	return func(b *txpb.Body) { b.Msg = &txpb.Body_EndorseMint{EndorseMint: &txpb.EndorseMint{Request: req[:]}} }
}

func msgCancelMintRequest(req ledger.TxID) func(*txpb.Body) {
	return func(b *txpb.Body) {
		b.Msg = &txpb.Body_CancelMintRequest{CancelMintRequest: &txpb.CancelMintRequest{Request: req[:]}}
	}
}

// msgKYCTiers sets tok's tiers: level 0 holds at most 0.50 and pays
// nothing; level 1 pays 1.00 a payment, 1.50 a day and holds 10.00; level 2
// is unlimited.
func msgKYCTiers(tok string) func(*txpb.Body) {
	upTo := func(units string) *txpb.KycLimit { return &txpb.KycLimit{Max: units} }
	none := &txpb.KycLimit{None: true}
	return func(b *txpb.Body) {
		b.Msg = &txpb.Body_SetKycTiers{SetKycTiers: &txpb.SetKycTiers{Token: tok, Tiers: []*txpb.KycTier{
			{PerPayment: upTo("0"), PerDay: upTo("0"), Balance: upTo("50")},
			{PerPayment: upTo("100"), PerDay: upTo("150"), Balance: upTo("1000")},
			{PerPayment: none, PerDay: none, Balance: none}}}}
	}
}

func msgDeploy(d token.Draft) func(*txpb.Body) {
	return func(b *txpb.Body) {
		b.Msg = &txpb.Body_DeployToken{DeployToken: &txpb.DeployToken{Contract: tx.DraftToProto(d)}}
	}
}

func msgMint(tok string, to ledger.Address, units string) func(*txpb.Body) {
	return func(b *txpb.Body) {
		b.Msg = &txpb.Body_Mint{Mint: &txpb.Mint{Token: tok, To: to.String(), Amount: units}}
	}
}

func msgAttest(tok, currency, balance string, bankTime time.Time) func(*txpb.Body) {
	return func(b *txpb.Body) {
		b.Msg = &txpb.Body_Attest{Attest: &txpb.Attest{Token: tok, Account: "GB81PEGD20041531926819", Currency: currency,
			Balance: balance, BalanceType: "ClosingBooked", BankTime: bankTime.Unix(), RawHash: make([]byte, 32), Source: "test"}}
	}
}

func coinBytes(ids []ledger.CoinID) [][]byte {
	out := make([][]byte, len(ids))
	for i := range ids {
		out[i] = ids[i][:]
	}
	return out
}

func msgPay(tok string, inputs []ledger.CoinID, outs ...*txpb.Output) func(*txpb.Body) {
	return func(b *txpb.Body) {
		b.Msg = &txpb.Body_Pay{Pay: &txpb.Pay{Token: tok, Inputs: coinBytes(inputs), Outputs: outs}}
	}
}

func msgRedeem(tok string, inputs []ledger.CoinID, units string) func(*txpb.Body) {
	return func(b *txpb.Body) {
		b.Msg = &txpb.Body_Redeem{Redeem: &txpb.Redeem{Token: tok, Inputs: coinBytes(inputs), Amount: units}}
	}
}

func outTo(to ledger.Address, units string) *txpb.Output {
	return &txpb.Output{Owner: to.String(), Amount: units}
}

// TestDeterminism records a chain, then replays its blocks into two fresh
// apps on fresh stores, one whose mempool admitted every transaction first
// (its signature and token caches warm, as on the proposer) and one that
// sees them first in the block (as on a node catching up). Every height must
// give the same results and app hash on all three; on a divergence the test
// names the height and the first keys whose values differ.
func TestDeterminism(t *testing.T) {
	story := recordStory(t)
	want := [][]string{
		{"OK", "OK", "FIAT_ACCOUNT_IN_USE", "OK", "OK", "OK"}, {"OK", "OK", "OK"}, {"OK", "OK", "OK", "UNAUTHORIZED", "OK"},
		{"OK", "REPLAYED", "COIN_SPENT", "OK", "MALFORMED_TX", "REDEEM_FIAT_REMAINDER", "OK"}, {}, {"OK", "FROZEN", "OK"},
		{"OK", "OK", "OK"}, {"OK", "OK", "OK"}, {"OK", "OK", "REPLAYED"}, {"RESERVE_STALE"},
		{"OK"}, {"OK", "FEE_INSUFFICIENT"}, {"OK"}, {"OK"},
		{"UNAUTHORIZED", "OK"}, {"OK", "ALIAS_TAKEN"}, {"OK"}, {"OK"}, {"OK", "OK", "TRANSFER_DONE", "OK"}, {"OK", "REGION_UPDATE_OLD"}, {"OK"}, {"OK", "TRANSFER_DONE"}, {"OK", "OK", "OK", "OK", "OK"}, {"OK"}, {"CREDIT_NOT_PAYEE", "OK", "CREDIT_NOT_PENDING", "OK"}, {"OK"}, {"OK"},
		{"OK", "OK"}, {"OK", "CREDIT_PROOF_DONE", "OK"}, {"OK"}, {"OK"},
		{"OK", "UNAUTHORIZED", "OK"}, {"OK", "OK"}, {"OK", "TRADE_NOT_PARTY", "OK", "OK"}, {"TRADE_WRONG_PARTY", "OK", "OK"},
		{"OK", "OK", "TRADE_RULE_NOT_MET", "OK", "OK", "TRADE_CLOSED", "OK", "OK", "TRADE_CLOSED"},
		{"UNAUTHORIZED", "OK", "OK"}, {"OK", "OK"}, {"NOT_ENDORSER", "OK", "ENDORSED_TWICE", "OK", "OK", "MINT_REQUEST_CLOSED"},
		{"OK", "OK"}, {"UNAUTHORIZED", "KYC_TIERS_LATE", "OK"}, {"KYC_BALANCE_LIMIT", "OK", "KYC_BALANCE_LIMIT"},
	}
	var got [][]string
	for _, b := range story {
		names := []string{}
		for _, c := range b.codes {
			names = append(names, ledger.Code(c).Name())
		}
		got = append(got, names)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("the story's blocks gave codes %q, want %q", got, want)
	}
	warm, cold := newDriver(t, ledgerGenesis()), newDriver(t, ledgerGenesis())
	defer warm.Close()
	defer cold.Close()
	for i, b := range story {
		h := i + 1
		warm.admit(b.txs)
		rw, rc := warm.block(b.time, b.txs), cold.block(b.time, b.txs)
		for k := range b.txs {
			if rw.TxResults[k].Code != b.codes[k] || rc.TxResults[k].Code != b.codes[k] {
				t.Errorf("height %d tx %d: codes %d (warm) and %d (cold), recorded %d", h, k,
					rw.TxResults[k].Code, rc.TxResults[k].Code, b.codes[k])
			}
		}
		if !bytes.Equal(rw.AppHash, b.appHash) || !bytes.Equal(rc.AppHash, b.appHash) {
			t.Fatalf("height %d: app hash %X (warm) and %X (cold), recorded %X; first differing keys between the replays:\n%s",
				h, rw.AppHash, rc.AppHash, b.appHash, stateDiff(t, warm.db, cold.db))
		}
		hw, hc := cmttypes.NewResults(rw.TxResults).Hash(), cmttypes.NewResults(rc.TxResults).Hash()
		if !bytes.Equal(hw, b.results) || !bytes.Equal(hc, b.results) {
			t.Fatalf("height %d: results hash %X (warm) and %X (cold), recorded %X", h, hw, hc, b.results)
		}
		checkLeaves(t, cold.db, uint64(h), b.txs, rc.TxResults)
	}
}

// checkLeaves checks that the leaves rebuilt from the committed receipts
// (BlockLeaves) are those each consensus transaction's result commits to,
// and that a transaction that wrote a receipt has a leaf.
func checkLeaves(t *testing.T, db *store.DB, height uint64, txs [][]byte, results []*abcitypes.ExecTxResult) {
	t.Helper()
	snap := db.Snapshot()
	defer snap.Close()
	leaves := BlockLeaves(snap, height, txs)
	for i, res := range results {
		if got := proof.Root(leaves[i]); !bytes.Equal(got, res.Data) {
			t.Errorf("height %d tx %d: %d leaves rebuilt hash to %X; the result's data is %X", height, i, len(leaves[i]), got, res.Data)
		}
		c := ledger.Code(res.Code)
		noReceipt := c == ledger.CodeReplayed || (c >= ledger.CodeMalformed && c <= ledger.CodeBadSignature)
		if noReceipt == (len(leaves[i]) > 0) {
			t.Errorf("height %d tx %d: code %s with %d leaves", height, i, ledger.Code(res.Code).Name(), len(leaves[i]))
		}
	}
}

// stateDiff lists the first keys whose values differ between two stores.
func stateDiff(t *testing.T, a, b *store.DB) string {
	sa, sb := a.Snapshot(), b.Snapshot()
	defer sa.Close()
	defer sb.Close()
	diffs, err := state.Diff(sa, sb, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(diffs) == 0 {
		return "  (none: the stores agree; the app hashes differ in how they were chained)"
	}
	var lines []string
	for _, d := range diffs {
		lines = append(lines, "  "+d.String())
	}
	return strings.Join(lines, "\n")
}
