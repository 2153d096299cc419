package abci

import (
	"crypto/ed25519"
	"crypto/sha256"
	"time"

	"github.com/pegledger/peg/internal/cert"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/tx/txpb"
)

// The tests' certificate authority: a deterministic key, valid for a year
// from chainStart, and certificates from it for alice and bob.

var testCAKey = func() ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("actor ca"))
	return ed25519.NewKeyFromSeed(seed[:])
}()

func testCA() *cert.CA {
	der, err := cert.NewCA(testCAKey, "test CA", chainStart, chainStart.Add(365*24*time.Hour))
	if err != nil {
		panic(err)
	}
	ca, err := cert.ParseCA(der)
	if err != nil {
		panic(err)
	}
	return ca
}

// testCert is a's certificate under serial.
func testCert(a actor, serial uint64) []byte {
	ca := testCA()
	der, err := ca.Issue(testCAKey, cert.Request{Identity: cert.Identity{Name: a.name + " Ltd", Registration: "1", Country: "GB"},
		Address: a.addr, Public: a.priv.Public().(ed25519.PublicKey), Serial: serial, NotBefore: ca.NotBefore, NotAfter: ca.NotAfter})
	if err != nil {
		panic(err)
	}
	return der
}

func msgRegisterCert(a actor, serial uint64) func(*txpb.Body) {
	return func(b *txpb.Body) {
		b.Msg = &txpb.Body_RegisterCertificate{RegisterCertificate: &txpb.RegisterCertificate{Certificate: testCert(a, serial)}}
	}
}

// testCreditParams: cap 20, base 5, half of on-time repayments, a tenth of
// the payee's volume, over 30 days; due after 7 days, a day's grace.
var testCreditParams = &txpb.CreditParams{Cap: "2000", Base: "500", RepaidPermille: 500, VolumePermille: 100, LatePermille: 1000,
	WindowSeconds: 30 * 24 * 3600, TermSeconds: 7 * 24 * 3600, GraceSeconds: 24 * 3600}

func msgCreditNode(node ledger.Address) func(*txpb.Body) {
	return func(b *txpb.Body) {
		b.Msg = &txpb.Body_RegisterCreditNode{RegisterCreditNode: &txpb.RegisterCreditNode{Node: node.String(), Token: "gbpt", Params: testCreditParams}}
	}
}

func msgCreditFund(inputs []ledger.CoinID, units string) func(*txpb.Body) {
	return func(b *txpb.Body) {
		b.Msg = &txpb.Body_CreditFund{CreditFund: &txpb.CreditFund{Inputs: coinBytes(inputs), Amount: units}}
	}
}

func msgCreditLine(node, payer ledger.Address, units string) func(*txpb.Body) {
	return func(b *txpb.Body) {
		b.Msg = &txpb.Body_SetCreditLine{SetCreditLine: &txpb.SetCreditLine{Node: node.String(), Payer: payer.String(), Amount: units}}
	}
}

func msgCreditRequest(node, payee ledger.Address, units string, deadline time.Time) func(*txpb.Body) {
	doc := sha256.Sum256([]byte("invoice " + units))
	return func(b *txpb.Body) {
		b.Msg = &txpb.Body_CreditRequest{CreditRequest: &txpb.CreditRequest{Node: node.String(), Payee: payee.String(), Token: "gbpt",
			Amount: units, Description: "goods", DocumentHash: doc[:], Deadline: deadline.Unix()}}
	}
}

func msgCreditConfirm(req ledger.TxID) func(*txpb.Body) {
	return func(b *txpb.Body) {
		b.Msg = &txpb.Body_CreditConfirm{CreditConfirm: &txpb.CreditConfirm{Request: req[:]}}
	}
}

func msgCreditReceipt(req ledger.TxID) func(*txpb.Body) {
	return func(b *txpb.Body) {
		b.Msg = &txpb.Body_CreditReceipt{CreditReceipt: &txpb.CreditReceipt{Request: req[:]}}
	}
}

func msgCreditRepay(req ledger.TxID, inputs []ledger.CoinID, units string) func(*txpb.Body) {
	return func(b *txpb.Body) {
		b.Msg = &txpb.Body_CreditRepay{CreditRepay: &txpb.CreditRepay{Request: req[:], Inputs: coinBytes(inputs), Amount: units}}
	}
}
