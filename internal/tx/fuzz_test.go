package tx

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/pegledger/peg/internal/cert"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/tx/txpb"
)

var updateCorpus = flag.Bool("update-corpus", false, "rewrite the FuzzDecode seed corpus under testdata/fuzz")

const fuzzChain = "peg-fuzz"

// FuzzDecode feeds Decode arbitrary bytes. Decode must never panic, must
// answer with a known code, and a transaction it accepts must have the id
// PeekID reads without parsing, must not look like a batch, and must keep its
// id and its meaning when its envelope is encoded again and when its body is
// encoded canonically. The seed corpus in testdata/fuzz/FuzzDecode holds valid signed
// transactions of several kinds and broken ones; without -fuzz they run as a
// plain test.
func FuzzDecode(f *testing.F) {
	f.Fuzz(func(t *testing.T, raw []byte) {
		got, rej := Decode(raw, fuzzChain)
		if rej != nil {
			if got != nil {
				t.Fatalf("Decode returned a transaction and %v", rej)
			}
			if rej.Code == ledger.OK || strings.HasPrefix(rej.Code.Name(), "CODE_") {
				t.Fatalf("Decode rejected with code %d (%s)", rej.Code, rej.Code.Name())
			}
			return
		}
		if id, rej := PeekID(raw); rej != nil || id != got.ID || IsBatch(raw) {
			t.Fatalf("accepted transaction %s: PeekID = %s, %v; IsBatch = %v", got.ID, id, rej, IsBatch(raw))
		}
		if len(raw) > MaxTxSize || got.Size != len(raw) {
			t.Fatalf("accepted %d bytes with Size %d (limit %d)", len(raw), got.Size, MaxTxSize)
		}
		if got.Msg == nil || got.Signer.IsZero() || len(got.Memo) > MaxMemoLen {
			t.Fatalf("accepted a transaction without message or signer, or with a long memo: %+v", got)
		}
		var env txpb.Tx
		if err := proto.Unmarshal(raw, &env); err != nil {
			t.Fatalf("Decode accepted bytes proto rejects: %v", err)
		}
		if id := ledger.TxID(sha256.Sum256(env.Body)); got.ID != id {
			t.Fatalf("id %s is not the SHA-256 of the body, %s", got.ID, id)
		}

		// The envelope encoded again is the same transaction.
		re, err := proto.MarshalOptions{Deterministic: true}.Marshal(&env)
		if err != nil {
			t.Fatal(err)
		}
		again, rej := Decode(re, fuzzChain)
		if rej != nil {
			t.Fatalf("re-encoded envelope: %v", rej)
		}
		if again.ID != got.ID || again.Signer != got.Signer || !reflect.DeepEqual(again.Msg, got.Msg) {
			t.Fatalf("re-encoded envelope decodes to %+v, want %+v", again, got)
		}

		// The body encoded canonically means the same (its id may differ if
		// the signer sent a non-canonical encoding, which it signed as sent).
		var body txpb.Body
		if err := proto.Unmarshal(env.Body, &body); err != nil {
			t.Fatal(err)
		}
		canon, err := proto.MarshalOptions{Deterministic: true}.Marshal(&body)
		if err != nil {
			t.Fatal(err)
		}
		if len(canon) > len(env.Body) {
			t.Fatalf("canonical body is %d bytes, longer than the %d sent", len(canon), len(env.Body))
		}
		p, rej := Parse(marshalTx(t, &txpb.Tx{Body: canon, Signatures: env.Signatures}), fuzzChain)
		if rej != nil {
			t.Fatalf("canonical body: %v", rej)
		}
		if p.Signer != got.Signer || p.Expiry != got.Expiry || p.Nonce != got.Nonce || p.Memo != got.Memo || !reflect.DeepEqual(p.Msg, got.Msg) {
			t.Fatalf("canonical body parses to %+v, want %+v", p, got)
		}

		// Each amount is written in its one form: an accepted body has no
		// second encoding of the same amounts.
		for _, a := range wireAmounts(&body) {
			if n, ok := new(big.Int).SetString(a, 10); !ok || n.String() != a {
				t.Fatalf("accepted the amount %q, not the canonical form of a base-10 integer", a)
			}
		}
	})
}

// wireAmounts lists the amounts of minor units a body's message carries.
func wireAmounts(b *txpb.Body) []string {
	outputs := func(outs []*txpb.Output) []string {
		var s []string
		for _, o := range outs {
			s = append(s, o.GetAmount())
		}
		return s
	}
	switch x := b.Msg.(type) {
	case *txpb.Body_Mint:
		return []string{x.Mint.GetAmount()}
	case *txpb.Body_Redeem:
		return []string{x.Redeem.GetAmount()}
	case *txpb.Body_Approve:
		return []string{x.Approve.GetAmount()}
	case *txpb.Body_ConfigureMinter:
		if !x.ConfigureMinter.GetRemove() { // a removal's allowance is ignored
			return []string{x.ConfigureMinter.GetAllowance()}
		}
	case *txpb.Body_Attest:
		return []string{x.Attest.GetBalance()}
	case *txpb.Body_FeeDeposit:
		return []string{x.FeeDeposit.GetAmount()}
	case *txpb.Body_FeeCollect:
		return []string{x.FeeCollect.GetAmount()}
	case *txpb.Body_SetFeeSchedule:
		p := x.SetFeeSchedule.GetPolicy()
		s := []string{p.GetLowBalance()}
		for _, t := range p.GetTiers() {
			s = append(s, t.GetMinDeposit())
		}
		for _, f := range x.SetFeeSchedule.GetFees() {
			s = append(s, f.GetFixed(), f.GetPerOutput())
		}
		return s
	case *txpb.Body_RegisterCreditNode:
		return []string{x.RegisterCreditNode.GetParams().GetCap(), x.RegisterCreditNode.GetParams().GetBase()}
	case *txpb.Body_CreditFund:
		return []string{x.CreditFund.GetAmount()}
	case *txpb.Body_SetCreditLine:
		return []string{x.SetCreditLine.GetAmount()}
	case *txpb.Body_CreditRequest:
		return []string{x.CreditRequest.GetAmount()}
	case *txpb.Body_CreditRepay:
		return []string{x.CreditRepay.GetAmount()}
	case *txpb.Body_CreditIncrease:
		return []string{x.CreditIncrease.GetAmount()}
	case *txpb.Body_CreditIncreaseDecision:
		if x.CreditIncreaseDecision.GetApprove() { // a decline's limit is ignored
			return []string{x.CreditIncreaseDecision.GetLimit()}
		}
	case *txpb.Body_SetKycTiers:
		var s []string
		for _, t := range x.SetKycTiers.GetTiers() {
			for _, l := range []*txpb.KycLimit{t.GetPerPayment(), t.GetPerDay(), t.GetBalance()} {
				if !l.GetNone() {
					s = append(s, l.GetMax())
				}
			}
		}
		return s
	case *txpb.Body_SetTradeRules:
		var s []string
		for _, l := range x.SetTradeRules.GetLimits() {
			s = append(s, l.GetMax())
		}
		return s
	case *txpb.Body_TradeOffer:
		return []string{x.TradeOffer.GetTerms().GetAmount()}
	case *txpb.Body_TradeCounter:
		return []string{x.TradeCounter.GetTerms().GetAmount()}
	case *txpb.Body_TradeFund:
		return []string{x.TradeFund.GetAmount()}
	case *txpb.Body_TradeResolve:
		return []string{x.TradeResolve.GetSellerAmount()}
	case *txpb.Body_SetEndorsePolicy:
		if !x.SetEndorsePolicy.GetClear() {
			return []string{x.SetEndorsePolicy.GetThreshold()}
		}
	case *txpb.Body_Pay:
		return outputs(x.Pay.GetOutputs())
	case *txpb.Body_SpendFrom:
		return outputs(x.SpendFrom.GetOutputs())
	}
	return nil
}

func marshalTx(t testing.TB, m *txpb.Tx) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// corpusSeed is a file of the seed corpus: its name starts with the code
// Decode must give it.
type corpusSeed struct {
	name string
	raw  []byte
}

// corpusSeeds builds the seed corpus. Signing is deterministic, so the same
// code gives the same bytes: TestFuzzCorpus holds the committed files to them.
func corpusSeeds(t testing.TB) []corpusSeed {
	alice, bob, carol := testAddr("alice").String(), testAddr("bob").String(), testAddr("carol").String()
	c1, c2 := coinID("c1"), coinID("c2")
	body := func(nonce uint64, memo string) *txpb.Body {
		return &txpb.Body{ChainId: fuzzChain, ExpiryHeight: 100, Signer: alice, Nonce: nonce, Memo: memo}
	}
	signed := func(b *txpb.Body) []byte { return sign(t, b, testKey("alice")) }
	pay := func() *txpb.Body {
		b := body(1, "rent")
		b.Msg = &txpb.Body_Pay{Pay: &txpb.Pay{Token: "gbpt", Inputs: [][]byte{c1, c2},
			Outputs: []*txpb.Output{{Owner: bob, Amount: "40"}, {Owner: alice, Amount: "60"}}}}
		return b
	}
	with := func(msg func(b *txpb.Body)) []byte {
		b := body(2, "")
		msg(b)
		return signed(b)
	}
	payEnv := func(edit func(env *txpb.Tx)) []byte {
		var env txpb.Tx
		if err := proto.Unmarshal(signed(pay()), &env); err != nil {
			t.Fatal(err)
		}
		edit(&env)
		return marshalTx(t, &env)
	}

	draft := fullDraft()
	return []corpusSeed{
		{"OK-pay", signed(pay())},
		{"OK-mint", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_Mint{Mint: &txpb.Mint{Token: "gbpt", To: bob, Amount: "1000"}}
		})},
		{"OK-deploy", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_DeployToken{DeployToken: &txpb.DeployToken{Contract: DraftToProto(draft)}}
		})},
		{"OK-redeem", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_Redeem{Redeem: &txpb.Redeem{Token: "gbpt", Inputs: [][]byte{c1}, Amount: "5"}}
		})},
		{"OK-spend-from", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_SpendFrom{SpendFrom: &txpb.SpendFrom{Token: "gbpt", Owner: bob, Inputs: [][]byte{c2},
				Outputs: []*txpb.Output{{Owner: alice, Amount: "7"}}}}
		})},
		{"OK-freeze", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_Freeze{Freeze: &txpb.Freeze{Token: "gbpt", Account: bob}}
		})},
		{"OK-attest", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_Attest{Attest: attestMsg()}
		})},
		{"INVALID_ARGUMENT-attest-raw-hash", with(func(b *txpb.Body) {
			m := attestMsg()
			m.RawHash = m.RawHash[:16]
			b.Msg = &txpb.Body_Attest{Attest: m}
		})},
		{"OK-fee-deposit", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_FeeDeposit{FeeDeposit: &txpb.FeeDeposit{Token: "gbpt", Inputs: [][]byte{c1}, Amount: "500"}}
		})},
		{"OK-fee-collect", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_FeeCollect{FeeCollect: &txpb.FeeCollect{Inputs: [][]byte{c1, c2}, Amount: "12"}}
		})},
		{"OK-alias-register", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_AliasRegister{AliasRegister: &txpb.AliasRegister{Hash: c1, Account: bob}}
		})},
		{"OK-alias-revoke", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_AliasRevoke{AliasRevoke: &txpb.AliasRevoke{Hash: c2}}
		})},
		{"INVALID_ARGUMENT-alias-hash", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_AliasRegister{AliasRegister: &txpb.AliasRegister{Hash: c1[:31], Account: bob}}
		})},
		{"OK-set-registrar", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_SetRegistrar{SetRegistrar: &txpb.SetRegistrar{Registrar: bob, Remove: true}}
		})},
		{"OK-register-certificate", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_RegisterCertificate{RegisterCertificate: &txpb.RegisterCertificate{Certificate: testCertificate(t, "alice")}}
		})},
		{"CERT_MALFORMED-register-certificate", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_RegisterCertificate{RegisterCertificate: &txpb.RegisterCertificate{Certificate: []byte("not a certificate")}}
		})},
		{"OK-revoke-certificate", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_RevokeCertificate{RevokeCertificate: &txpb.RevokeCertificate{Serial: 7, Reason: "compromised"}}
		})},
		{"OK-register-credit-node", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_RegisterCreditNode{RegisterCreditNode: &txpb.RegisterCreditNode{Node: bob, Token: "gbpt",
				Params: &txpb.CreditParams{Cap: "1000", Base: "100", RepaidPermille: 500, WindowSeconds: 86400, TermSeconds: 86400}}}
		})},
		{"INVALID_ARGUMENT-credit-node-window", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_RegisterCreditNode{RegisterCreditNode: &txpb.RegisterCreditNode{Node: bob, Token: "gbpt",
				Params: &txpb.CreditParams{Cap: "1000", Base: "0", WindowSeconds: -1}}}
		})},
		{"OK-credit-fund", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_CreditFund{CreditFund: &txpb.CreditFund{Inputs: [][]byte{c1}, Amount: "50"}}
		})},
		{"OK-set-credit-line", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_SetCreditLine{SetCreditLine: &txpb.SetCreditLine{Node: bob, Payer: bob, Amount: "0"}}
		})},
		{"OK-credit-request", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_CreditRequest{CreditRequest: &txpb.CreditRequest{Node: bob, Payee: bob, Token: "gbpt", Amount: "20",
				Description: "tea", DocumentHash: c1, Deadline: 1_800_000_000}}
		})},
		{"INVALID_ARGUMENT-credit-request-hash", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_CreditRequest{CreditRequest: &txpb.CreditRequest{Node: bob, Payee: bob, Token: "gbpt", Amount: "20",
				Description: "tea", DocumentHash: c1[:16], Deadline: 1_800_000_000}}
		})},
		{"OK-credit-confirm", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_CreditConfirm{CreditConfirm: &txpb.CreditConfirm{Request: c2}}
		})},
		{"OK-credit-receipt", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_CreditReceipt{CreditReceipt: &txpb.CreditReceipt{Request: c2}}
		})},
		{"OK-credit-repay", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_CreditRepay{CreditRepay: &txpb.CreditRepay{Request: c2, Inputs: [][]byte{c1}, Amount: "5"}}
		})},
		{"OK-credit-increase", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_CreditIncrease{CreditIncrease: &txpb.CreditIncrease{Node: bob, Amount: "800", DocumentHash: c1}}
		})},
		{"OK-credit-increase-decision", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_CreditIncreaseDecision{CreditIncreaseDecision: &txpb.CreditIncreaseDecision{Payer: alice, Approve: true,
				Limit: "600", Expiry: 1_800_000_000, Reason: "accounts seen"}}
		})},
		{"OK-set-trade-rules", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_SetTradeRules{SetTradeRules: &txpb.SetTradeRules{MaxRounds: 2, MaxVersionOpenSeconds: 259200,
				Limits: []*txpb.TradeLimit{{Token: "gbpt", Max: "100000"}}}}
		})},
		{"OK-set-kyc-tiers", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_SetKycTiers{SetKycTiers: &txpb.SetKycTiers{Token: "gbpt", Tiers: []*txpb.KycTier{
				{PerPayment: &txpb.KycLimit{Max: "0"}, PerDay: &txpb.KycLimit{Max: "0"}, Balance: &txpb.KycLimit{Max: "0"}},
				{PerPayment: &txpb.KycLimit{Max: "10000"}, PerDay: &txpb.KycLimit{Max: "50000"}, Balance: &txpb.KycLimit{None: true}}}}}
		})},
		{"INVALID_ARGUMENT-kyc-limit-both", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_SetKycTiers{SetKycTiers: &txpb.SetKycTiers{Token: "gbpt", Tiers: []*txpb.KycTier{
				{PerPayment: &txpb.KycLimit{Max: "5", None: true}, PerDay: &txpb.KycLimit{None: true}, Balance: &txpb.KycLimit{None: true}}}}}
		})},
		{"INVALID_ARGUMENT-kyc-limit-missing", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_SetKycTiers{SetKycTiers: &txpb.SetKycTiers{Token: "gbpt", Tiers: []*txpb.KycTier{
				{PerPayment: &txpb.KycLimit{None: true}, PerDay: &txpb.KycLimit{None: true}}}}}
		})},
		{"INVALID_ARGUMENT-trade-rules-open", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_SetTradeRules{SetTradeRules: &txpb.SetTradeRules{MaxRounds: 2, MaxVersionOpenSeconds: -1,
				Limits: []*txpb.TradeLimit{{Token: "gbpt", Max: "100000"}}}}
		})},
		{"OK-trade-offer", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_TradeOffer{TradeOffer: &txpb.TradeOffer{Buyer: alice, Seller: bob, Terms: tradeTerms(carol, c1)}}
		})},
		{"INVALID_ARGUMENT-trade-offer-arbiter", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_TradeOffer{TradeOffer: &txpb.TradeOffer{Buyer: alice, Seller: bob, Terms: tradeTerms(bob, c1)}}
		})},
		{"INVALID_ARGUMENT-trade-offer-rule", with(func(b *txpb.Body) {
			terms := tradeTerms(carol, c1)
			terms.PaymentRule = "cash on delivery"
			b.Msg = &txpb.Body_TradeOffer{TradeOffer: &txpb.TradeOffer{Buyer: alice, Seller: bob, Terms: terms}}
		})},
		{"INVALID_ARGUMENT-trade-offer-far-deadline", with(func(b *txpb.Body) {
			terms := tradeTerms(carol, c1)
			terms.ShipBy = 1 << 40 // beyond Unix nanoseconds' range
			b.Msg = &txpb.Body_TradeOffer{TradeOffer: &txpb.TradeOffer{Buyer: alice, Seller: bob, Terms: terms}}
		})},
		{"INVALID_ARGUMENT-trade-offer-no-terms", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_TradeOffer{TradeOffer: &txpb.TradeOffer{Buyer: alice, Seller: bob}}
		})},
		{"OK-trade-counter", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_TradeCounter{TradeCounter: &txpb.TradeCounter{Trade: c2, Version: 1, Terms: tradeTerms(carol, c1)}}
		})},
		{"OK-trade-accept", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_TradeAccept{TradeAccept: &txpb.TradeAccept{Trade: c2, Version: 2}}
		})},
		{"OK-trade-fund", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_TradeFund{TradeFund: &txpb.TradeFund{Trade: c2, Token: "gbpt", Inputs: [][]byte{c1}, Amount: "1200"}}
		})},
		{"OK-trade-ship", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_TradeShip{TradeShip: &txpb.TradeShip{Trade: c2, InvoiceHash: c1, BillOfLadingHash: c1}}
		})},
		{"INVALID_ARGUMENT-trade-ship-hash", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_TradeShip{TradeShip: &txpb.TradeShip{Trade: c2, InvoiceHash: c1, BillOfLadingHash: c1[:20]}}
		})},
		{"OK-trade-confirm", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_TradeConfirm{TradeConfirm: &txpb.TradeConfirm{Trade: c2}}
		})},
		{"OK-trade-settle", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_TradeSettle{TradeSettle: &txpb.TradeSettle{Trade: c2}}
		})},
		{"OK-trade-dispute", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_TradeDispute{TradeDispute: &txpb.TradeDispute{Trade: c2, Reason: "wet tea", EvidenceHash: c1}}
		})},
		{"OK-trade-resolve", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_TradeResolve{TradeResolve: &txpb.TradeResolve{Trade: c2, SellerAmount: "0", Reason: "never shipped"}}
		})},
		{"OK-trade-cancel", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_TradeCancel{TradeCancel: &txpb.TradeCancel{Trade: c2}}
		})},
		{"OK-set-endorse-policy", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_SetEndorsePolicy{SetEndorsePolicy: &txpb.SetEndorsePolicy{Token: "gbpt", Threshold: "100000",
				Endorsers: []string{bob, carol}, Required: 2, WindowSeconds: 86400}}
		})},
		{"OK-clear-endorse-policy", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_SetEndorsePolicy{SetEndorsePolicy: &txpb.SetEndorsePolicy{Token: "gbpt", Clear: true}}
		})},
		{"INVALID_ARGUMENT-endorse-policy-clear-with-fields", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_SetEndorsePolicy{SetEndorsePolicy: &txpb.SetEndorsePolicy{Token: "gbpt", Clear: true, Required: 1}}
		})},
		{"INVALID_ARGUMENT-endorse-policy-window", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_SetEndorsePolicy{SetEndorsePolicy: &txpb.SetEndorsePolicy{Token: "gbpt", Threshold: "0",
				Endorsers: []string{bob}, Required: 1, WindowSeconds: -1}}
		})},
		{"INVALID_AMOUNT-endorse-policy-threshold", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_SetEndorsePolicy{SetEndorsePolicy: &txpb.SetEndorsePolicy{Token: "gbpt", Threshold: "01",
				Endorsers: []string{bob}, Required: 1, WindowSeconds: 3600}}
		})},
		{"TX_TOO_LARGE-endorse-policy-endorsers", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_SetEndorsePolicy{SetEndorsePolicy: &txpb.SetEndorsePolicy{Token: "gbpt", Threshold: "0",
				Endorsers: slices.Repeat([]string{bob}, 17), Required: 1, WindowSeconds: 3600}}
		})},
		{"OK-endorse-mint", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_EndorseMint{EndorseMint: &txpb.EndorseMint{Request: c2}}
		})},
		{"INVALID_ARGUMENT-endorse-mint-id", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_EndorseMint{EndorseMint: &txpb.EndorseMint{Request: c2[:5]}}
		})},
		{"OK-cancel-mint-request", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_CancelMintRequest{CancelMintRequest: &txpb.CancelMintRequest{Request: c2}}
		})},
		{"OK-set-fee-schedule", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_SetFeeSchedule{SetFeeSchedule: feeScheduleMsg(bob)}
		})},
		{"INVALID_ARGUMENT-fee-schedule-no-policy", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_SetFeeSchedule{SetFeeSchedule: &txpb.SetFeeSchedule{}}
		})},
		{"INVALID_ARGUMENT-fee-tier-validity", with(func(b *txpb.Body) {
			m := feeScheduleMsg(bob)
			m.Policy.Tiers[0].ValiditySeconds = 1 << 62
			b.Msg = &txpb.Body_SetFeeSchedule{SetFeeSchedule: m}
		})},
		{"OK-remove-minter", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_ConfigureMinter{ConfigureMinter: &txpb.ConfigureMinter{Token: "gbpt", Minter: bob, Remove: true}}
		})},
		{"OK-cosigned", payEnv(func(env *txpb.Tx) {
			k := testKey("bob")
			env.Signatures = append(env.Signatures, &txpb.Signature{
				PublicKey: k.Public().(ed25519.PublicKey), Signature: ed25519.Sign(k, SignBytes(fuzzChain, env.Body))})
		})},
		{"MALFORMED_TX-garbage", []byte("\xff\xfe\xfd not a transaction")},
		{"MALFORMED_TX-truncated", func() []byte { r := signed(pay()); return r[:len(r)-3] }()},
		{"MALFORMED_TX-unknown-field", withUnknown(signed(pay()))},
		{"TX_TOO_LARGE-memo", signed(body(3, strings.Repeat("m", MaxMemoLen+1)))},
		{"WRONG_CHAIN-other-chain", func() []byte { b := pay(); b.ChainId = "peg-other"; return signed(b) }()},
		{"WRONG_CHAIN-empty", []byte{}},
		{"MISSING_SIGNATURE-unsigned", payEnv(func(env *txpb.Tx) { env.Signatures = nil })},
		{"BAD_SIGNATURE-flipped-bit", payEnv(func(env *txpb.Tx) { env.Signatures[0].Signature[9] ^= 0x40 })},
		{"UNKNOWN_MESSAGE-no-message", signed(body(4, ""))},
		{"INVALID_AMOUNT-zero", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_Mint{Mint: &txpb.Mint{Token: "gbpt", To: bob, Amount: "0"}}
		})},
		{"AMOUNT_OVERFLOW-mint", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_Mint{Mint: &txpb.Mint{Token: "gbpt", To: bob, Amount: "340282366920938463463374607431768211456"}}
		})},
		{"OK-authorize-issuer", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_AuthorizeIssuer{AuthorizeIssuer: &txpb.AuthorizeIssuer{Issuer: bob}}
		})},
		{"OK-register-account", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_RegisterAccount{RegisterAccount: &txpb.RegisterAccount{Account: bob}}
		})},
		{"OK-unfreeze", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_Unfreeze{Unfreeze: &txpb.Unfreeze{Token: "gbpt", Account: bob}}
		})},
		{"OK-pause", with(func(b *txpb.Body) { b.Msg = &txpb.Body_Pause{Pause: &txpb.Pause{Token: "gbpt"}} })},
		{"OK-unpause", with(func(b *txpb.Body) { b.Msg = &txpb.Body_Unpause{Unpause: &txpb.Unpause{Token: "gbpt"}} })},
		{"OK-seize", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_Seize{Seize: &txpb.Seize{Token: "gbpt", Inputs: [][]byte{c1, c2}}}
		})},
		{"OK-transfer-ownership", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_TransferOwnership{TransferOwnership: &txpb.TransferOwnership{Token: "gbpt", NewOwner: bob}}
		})},
		{"OK-accept-ownership", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_AcceptOwnership{AcceptOwnership: &txpb.AcceptOwnership{Token: "gbpt"}}
		})},
		{"OK-approve", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_Approve{Approve: &txpb.Approve{Token: "gbpt", Spender: bob, Amount: "25"}}
		})},
		{"OK-approve-revoke", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_Approve{Approve: &txpb.Approve{Token: "gbpt", Spender: bob, Amount: "0"}}
		})},
		{"OK-add-minter", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_ConfigureMinter{ConfigureMinter: &txpb.ConfigureMinter{Token: "gbpt", Minter: bob, Allowance: "500"}}
		})},
		{"TOO_MANY_COINS-inputs", with(func(b *txpb.Body) {
			ins := make([][]byte, MaxInputs+1)
			for i := range ins {
				ins[i] = coinID(fmt.Sprint("c", i))
			}
			b.Msg = &txpb.Body_Redeem{Redeem: &txpb.Redeem{Token: "gbpt", Inputs: ins, Amount: "5"}}
		})},
		{"TOO_MANY_COINS-outputs", with(func(b *txpb.Body) {
			outs := make([]*txpb.Output, MaxOutputs+1)
			for i := range outs {
				outs[i] = &txpb.Output{Owner: bob, Amount: "1"}
			}
			b.Msg = &txpb.Body_Pay{Pay: &txpb.Pay{Token: "gbpt", Inputs: [][]byte{c1}, Outputs: outs}}
		})},
		{"INVALID_ARGUMENT-bad-address", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_Mint{Mint: &txpb.Mint{Token: "gbpt", To: "peg1notanaddress", Amount: "1"}}
		})},
		{"INVALID_ARGUMENT-short-coin-id", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_Redeem{Redeem: &txpb.Redeem{Token: "gbpt", Inputs: [][]byte{c1[:31]}, Amount: "5"}}
		})},
		{"INVALID_ARGUMENT-token-id", with(func(b *txpb.Body) { b.Msg = &txpb.Body_Pause{Pause: &txpb.Pause{Token: "GB PT"}} })},
		{"INVALID_ARGUMENT-no-inputs", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_Pay{Pay: &txpb.Pay{Token: "gbpt", Outputs: []*txpb.Output{{Owner: bob, Amount: "1"}}}}
		})},
		{"INVALID_AMOUNT-decimal", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_Mint{Mint: &txpb.Mint{Token: "gbpt", To: bob, Amount: "1.5"}}
		})},
		{"INVALID_AMOUNT-leading-zero", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_Mint{Mint: &txpb.Mint{Token: "gbpt", To: bob, Amount: "01"}}
		})},
		{"INVALID_AMOUNT-zero-padded-output", func() []byte { b := pay(); b.GetPay().Outputs[0].Amount = "040"; return signed(b) }()},
		{"TX_TOO_LARGE-signatures", payEnv(func(env *txpb.Tx) {
			for range MaxSignatures {
				env.Signatures = append(env.Signatures, env.Signatures[0])
			}
		})},
		{"MALFORMED_TX-short-key", payEnv(func(env *txpb.Tx) { env.Signatures[0].PublicKey = env.Signatures[0].PublicKey[:31] })},
		{"MISSING_SIGNATURE-other-signer", payEnv(func(env *txpb.Tx) {
			k := testKey("bob")
			env.Signatures = []*txpb.Signature{{PublicKey: k.Public().(ed25519.PublicKey), Signature: ed25519.Sign(k, SignBytes(fuzzChain, env.Body))}}
		})},
		{"MALFORMED_TX-batch", batchOf(t, signed(pay()))},
		{"OK-transfer-in", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_TransferIn{TransferIn: &txpb.TransferIn{Proof: []byte(`{"version":1,"chain_id":"peg-hk","height":7}`), Transfer: c1}}
		})},
		{"OK-transfer-refund", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_TransferRefund{TransferRefund: &txpb.TransferRefund{Proof: []byte(`{"version":1,"height":9}`), Transfer: c2}}
		})},
		{"OK-transfer-ack", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_TransferAck{TransferAck: &txpb.TransferAck{Proof: []byte(`{"version":1,"chain_id":"peg-hk","height":11}`), Transfer: c1}}
		})},
		{"INVALID_ARGUMENT-transfer-ack-id", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_TransferAck{TransferAck: &txpb.TransferAck{Proof: []byte(`{}`), Transfer: c2[:16]}}
		})},
		{"OK-token-import", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_TokenImport{TokenImport: &txpb.TokenImport{Proof: []byte(`{"version":1}`), Contract: DraftToProto(draft)}}
		})},
		{"PROOF_MALFORMED-transfer-in", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_TransferIn{TransferIn: &txpb.TransferIn{Proof: []byte(`{"version":`), Transfer: c1}}
		})},
		{"INVALID_ARGUMENT-transfer-id", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_TransferRefund{TransferRefund: &txpb.TransferRefund{Proof: []byte(`{}`), Transfer: c1[:31]}}
		})},
		{"OK-region-update", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_RegionUpdate{RegionUpdate: &txpb.RegionUpdate{SignedHeader: []byte(`{"header":{}}`), Validators: []byte(`{}`)}}
		})},
		{"PROOF_MALFORMED-region-update-empty", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_RegionUpdate{RegionUpdate: &txpb.RegionUpdate{SignedHeader: []byte(`{}`)}}
		})},
		{"INVALID_ARGUMENT-import-no-contract", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_TokenImport{TokenImport: &txpb.TokenImport{Proof: []byte(`{}`)}}
		})},
		{"OK-credit-request-in", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_CreditRequestIn{CreditRequestIn: &txpb.CreditRequestIn{Proof: []byte(`{"version":1,"chain_id":"peg-hk","height":7}`), Request: c1}}
		})},
		{"OK-credit-paid-in", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_CreditPaidIn{CreditPaidIn: &txpb.CreditPaidIn{Proof: []byte(`{"version":1,"height":9}`), Request: c2}}
		})},
		{"OK-credit-repaid-in", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_CreditRepaidIn{CreditRepaidIn: &txpb.CreditRepaidIn{Proof: []byte(`{"version":1}`), Repayment: c1}}
		})},
		{"PROOF_MALFORMED-credit-paid-in", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_CreditPaidIn{CreditPaidIn: &txpb.CreditPaidIn{Proof: []byte(`{"version":`), Request: c1}}
		})},
		{"INVALID_ARGUMENT-credit-repaid-in-id", with(func(b *txpb.Body) {
			b.Msg = &txpb.Body_CreditRepaidIn{CreditRepaidIn: &txpb.CreditRepaidIn{Proof: []byte(`{}`), Repayment: c1[:31]}}
		})},
	}
}

// batchOf packs raws into a batch.
func batchOf(t testing.TB, raws ...[]byte) []byte {
	b, err := EncodeBatch(raws)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// batchSeeds builds the seed corpus of FuzzSplitBatch: each file's name
// starts with the code SplitBatch gives it.
func batchSeeds(t testing.TB) []corpusSeed {
	var txs [][]byte
	for _, s := range corpusSeeds(t) {
		if strings.HasPrefix(s.name, "OK-") {
			txs = append(txs, s.raw)
		}
	}
	return []corpusSeed{
		{"OK-one", batchOf(t, txs[0])},
		{"OK-kinds", batchOf(t, txs...)},
		{"OK-garbage-inside", batchOf(t, []byte("not a transaction"), txs[1])},
		{"OK-same-twice", batchOf(t, txs[0], txs[0])},
		{"OK-empty-tx", []byte{batchTag, 0}},
		{"MALFORMED_TX-nested", func() []byte {
			b, err := proto.Marshal(&txpb.Batch{Txs: [][]byte{batchOf(t, txs[0])}})
			if err != nil {
				t.Fatal(err)
			}
			return b
		}()},
		{"MALFORMED_TX-unknown-field", withUnknown(batchOf(t, txs[0]))},
		{"MALFORMED_TX-truncated", func() []byte { b := batchOf(t, txs...); return b[:len(b)-5] }()},
		{"MALFORMED_TX-no-txs", []byte{}},
	}
}

// corpora are the committed seed corpora, each with the function that
// builds its seeds and the code its target gives an input.
var corpora = []struct {
	target string
	seeds  func(testing.TB) []corpusSeed
	code   func([]byte) string
}{
	{"FuzzDecode", corpusSeeds, func(raw []byte) string {
		if _, rej := Decode(raw, fuzzChain); rej != nil {
			return rej.Code.Name()
		}
		return "OK"
	}},
	{"FuzzSplitBatch", batchSeeds, func(raw []byte) string {
		if _, rej := SplitBatch(raw); rej != nil {
			return rej.Code.Name()
		}
		return "OK"
	}},
}

func corpusDir(target string) string { return filepath.Join("testdata", "fuzz", target) }

// encodeCorpusFile writes b in the format of the go command's fuzz corpus.
func encodeCorpusFile(b []byte) []byte {
	return []byte("go test fuzz v1\n[]byte(" + strconv.Quote(string(b)) + ")\n")
}

func decodeCorpusFile(data []byte) ([]byte, error) {
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) != 2 || lines[0] != "go test fuzz v1" {
		return nil, fmt.Errorf("not a one-value corpus file")
	}
	q, prefixed := strings.CutPrefix(lines[1], "[]byte(")
	q, suffixed := strings.CutSuffix(q, ")")
	if !prefixed || !suffixed {
		return nil, fmt.Errorf("value is not []byte(...)")
	}
	s, err := strconv.Unquote(q)
	return []byte(s), err
}

// TestFuzzCorpus holds the committed seed corpora to the seeds built above (a
// golden test of the wire encoding) and checks each file gets the code its name
// starts with. -update-corpus rewrites the files.
func TestFuzzCorpus(t *testing.T) {
	for _, c := range corpora {
		t.Run(c.target, func(t *testing.T) {
			dir := corpusDir(c.target)
			seeds := c.seeds(t)
			if *updateCorpus {
				if err := os.RemoveAll(dir); err != nil {
					t.Fatal(err)
				}
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				for _, s := range seeds {
					if err := os.WriteFile(filepath.Join(dir, s.name), encodeCorpusFile(s.raw), 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			var want []string
			for _, s := range seeds {
				want = append(want, s.name)
			}
			slices.Sort(want)
			if !slices.Equal(names, want) {
				t.Fatalf("corpus files %q, want %q (run go test ./internal/tx -run TestFuzzCorpus -update-corpus)", names, want)
			}
			for _, s := range seeds {
				t.Run(s.name, func(t *testing.T) {
					data, err := os.ReadFile(filepath.Join(dir, s.name))
					if err != nil {
						t.Fatal(err)
					}
					raw, err := decodeCorpusFile(data)
					if err != nil {
						t.Fatalf("%s: %v", s.name, err)
					}
					if !bytes.Equal(raw, s.raw) {
						t.Fatalf("committed bytes differ from the seed built now: the wire encoding changed (run -update-corpus after review)")
					}
					wantCode, _, _ := strings.Cut(s.name, "-")
					if got := c.code(raw); got != wantCode {
						t.Errorf("%s = %s, want %s", c.target, got, wantCode)
					}
				})
			}
		})
	}
}

// FuzzSplitBatch feeds SplitBatch arbitrary bytes. It must never panic; a
// batch it accepts holds 1 to MaxBatchTxs transactions, none of them a
// batch, and packs the same transactions again into a batch it accepts. The
// seed corpus is in testdata/fuzz/FuzzSplitBatch; without -fuzz it runs as a
// plain test.
func FuzzSplitBatch(f *testing.F) {
	f.Fuzz(func(t *testing.T, raw []byte) {
		txs, rej := SplitBatch(raw)
		if rej != nil {
			if txs != nil || rej.Code == ledger.OK || strings.HasPrefix(rej.Code.Name(), "CODE_") {
				t.Fatalf("SplitBatch returned %d transactions and %v", len(txs), rej)
			}
			return
		}
		if len(txs) == 0 || len(txs) > MaxBatchTxs || len(raw) > MaxBatchSize {
			t.Fatalf("accepted %d bytes holding %d transactions", len(raw), len(txs))
		}
		for i, tx := range txs {
			if IsBatch(tx) {
				t.Fatalf("transaction %d is a batch", i)
			}
			PeekID(tx)
		}
		again, err := EncodeBatch(txs)
		if err != nil {
			t.Fatalf("packing the accepted transactions again: %v", err)
		}
		if n := BatchSize(txs); n != len(again) {
			t.Fatalf("BatchSize says %d bytes, the batch has %d", n, len(again))
		}
		back, rej := SplitBatch(again)
		if rej != nil || !slices.EqualFunc(back, txs, bytes.Equal) {
			t.Fatalf("packed again, the batch splits into %d transactions (%v), want %d", len(back), rej, len(txs))
		}
	})
}

// FuzzBatchTxs holds BatchTxs to proto.Unmarshal into a txpb.Batch: the same
// transactions for bytes proto decodes without unknown fields, ErrBatchFields
// for those it decodes with some, ErrBatchDecode for those it refuses. Its
// seeds are FuzzSplitBatch's and a few encodings a hand-written decoder
// might get wrong; without -fuzz it runs as a plain test.
func FuzzBatchTxs(f *testing.F) {
	for _, s := range batchSeeds(f) {
		f.Add(s.raw)
	}
	one := batchOf(f, []byte("tx"))
	for _, b := range [][]byte{
		{15 << 3, 1},                         // field 15 as a varint
		{15<<3 | 5, 1, 2, 3, 4},              // field 15 as fixed32
		{1<<3 | 3, 2 << 3, 7, 1<<3 | 4},      // a group
		{1<<3 | 3, 2 << 3, 7},                // a group never ended
		{1<<3 | 4},                           // a group ended, never started
		{15<<3 | 6, 0},                       // a reserved wire type
		{0<<3 | 2, 0},                        // field 0
		{0xfa, 0x80, 0x80, 0x80, 0x00, 1, 9}, // field 15's tag, overlong
		{batchTag, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01}, // length overflows
		append(slices.Clone(one), 2<<3|2, 1),                                         // truncated unknown field
		append(slices.Clone(one), 2<<3, 5),                                           // unknown after a transaction
	} {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		txs, err := BatchTxs(raw)
		var want txpb.Batch
		switch perr := proto.Unmarshal(raw, &want); {
		case perr != nil:
			if !errors.Is(err, ErrBatchDecode) {
				t.Fatalf("proto refuses the bytes (%v), BatchTxs answers %d transactions, %v", perr, len(txs), err)
			}
		case len(want.ProtoReflect().GetUnknown()) > 0:
			if !errors.Is(err, ErrBatchFields) {
				t.Fatalf("proto finds unknown fields, BatchTxs answers %d transactions, %v", len(txs), err)
			}
		case err != nil || !slices.EqualFunc(txs, want.Txs, bytes.Equal):
			t.Fatalf("proto decodes %d transactions, BatchTxs %d (%v)", len(want.Txs), len(txs), err)
		}
		for _, t0 := range txs {
			if len(t0) > 0 && !inside(t0, raw) {
				t.Fatal("a transaction BatchTxs returned is a copy, not a slice of its input")
			}
		}
	})
}

// inside reports whether sub is a slice of b: its first byte is one of b's,
// and it ends within b.
func inside(sub, b []byte) bool {
	for i := range b {
		if &b[i] == &sub[0] {
			return i+len(sub) <= len(b)
		}
	}
	return false
}

// feeScheduleMsg is a fee policy and schedule paid to revenue.
func feeScheduleMsg(revenue string) *txpb.SetFeeSchedule {
	return &txpb.SetFeeSchedule{
		Policy: &txpb.FeePolicy{Token: "gbpt", Revenue: revenue, LowBalance: "100", MaxGrants: 8,
			Tiers: []*txpb.FeeTier{{MinDeposit: "100", ValiditySeconds: 30 * 24 * 3600}}},
		Fees: []*txpb.KindFee{{Kind: "pay", Fixed: "2", PerOutput: "1"}},
	}
}

// testCertificate is a certificate for name's test key from a test CA, valid
// in 2026.
func testCertificate(t testing.TB, name string) []byte {
	t.Helper()
	caKey := testKey("ca")
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	der, err := cert.NewCA(caKey, "test CA", from, from.AddDate(1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	ca, err := cert.ParseCA(der)
	if err != nil {
		t.Fatal(err)
	}
	k := testKey(name)
	c, err := ca.Issue(caKey, cert.Request{Identity: cert.Identity{Name: name, Registration: "1", Country: "GB"},
		Address: testAddr(name), Public: k.Public().(ed25519.PublicKey), Serial: 1, NotBefore: from, NotAfter: from.AddDate(1, 0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// tradeTerms are a version's terms naming arbiter, with doc as the goods'
// document hash.
func tradeTerms(arbiter string, doc []byte) *txpb.TradeTerms {
	return &txpb.TradeTerms{Description: "100 crates of tea", DocumentHash: doc, Token: "gbpt", Amount: "1200",
		Delivery: "FOB Shanghai", PaymentRule: "confirmation", ConfirmSeconds: 172800,
		Expires: 1_800_000_000, FundBy: 1_800_003_600, ShipBy: 1_800_086_400, Arbiter: arbiter}
}
