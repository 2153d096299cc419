package tx

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/pegledger/peg/internal/endorse"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
	"github.com/pegledger/peg/internal/token"
	"github.com/pegledger/peg/internal/tx/txpb"
)

const testChain = "peg-test"

// testKey derives a deterministic key from a name.
func testKey(name string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte(name))
	return ed25519.NewKeyFromSeed(seed[:])
}

func testAddr(name string) ledger.Address {
	return ledger.NewAddress("GB", testKey(name).Public().(ed25519.PublicKey))
}

func coinID(name string) []byte {
	id := sha256.Sum256([]byte(name))
	return id[:]
}

// payBody is a valid pay from alice to bob.
func payBody() *txpb.Body {
	return &txpb.Body{
		ChainId: testChain, ExpiryHeight: 10, Signer: testAddr("alice").String(), Nonce: 7, Memo: "rent",
		Msg: &txpb.Body_Pay{Pay: &txpb.Pay{
			Token:  "gbpt",
			Inputs: [][]byte{coinID("c1"), coinID("c2")},
			Outputs: []*txpb.Output{
				{Owner: testAddr("bob").String(), Amount: "40"},
				{Owner: testAddr("alice").String(), Amount: "60"},
			},
		}},
	}
}

func sign(t testing.TB, body *txpb.Body, key ed25519.PrivateKey) []byte {
	t.Helper()
	raw, _, err := Sign(body, key)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// envelope signs body bytes as they are, with the given keys, over the sign
// bytes of chain.
func envelope(t testing.TB, chain string, body []byte, keys ...ed25519.PrivateKey) *txpb.Tx {
	t.Helper()
	env := &txpb.Tx{Body: body}
	for _, k := range keys {
		env.Signatures = append(env.Signatures, &txpb.Signature{
			PublicKey: k.Public().(ed25519.PublicKey),
			Signature: ed25519.Sign(k, SignBytes(chain, body)),
		})
	}
	return env
}

func marshal(t testing.TB, m proto.Message) []byte {
	t.Helper()
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// withUnknown appends a field this node does not know (number 99) to b.
func withUnknown(b []byte) []byte {
	b = protowire.AppendTag(b, 99, protowire.VarintType)
	return protowire.AppendVarint(b, 1)
}

// signedWith signs payBody changed by edit, as alice.
func signedWith(edit func(*txpb.Body)) func(t testing.TB) []byte {
	return func(t testing.TB) []byte {
		b := payBody()
		edit(b)
		return sign(t, b, testKey("alice"))
	}
}

// signedBytes signs body bytes changed by edit, as alice.
func signedBytes(edit func(t testing.TB, body []byte) []byte) func(t testing.TB) []byte {
	return func(t testing.TB) []byte {
		body := edit(t, marshal(t, payBody()))
		return marshal(t, envelope(t, testChain, body, testKey("alice")))
	}
}

// mutated signs payBody as alice and then changes the envelope.
func mutated(edit func(t testing.TB, env *txpb.Tx)) func(t testing.TB) []byte {
	return func(t testing.TB) []byte {
		env := envelope(t, testChain, marshal(t, payBody()), testKey("alice"))
		edit(t, env)
		return marshal(t, env)
	}
}

func TestDecodeEnvelope(t *testing.T) {
	for _, tc := range []struct {
		name string
		raw  func(t testing.TB) []byte
		want ledger.Code
	}{
		{"valid", signedWith(func(*txpb.Body) {}), ledger.OK},
		{"co-signed", mutated(func(t testing.TB, env *txpb.Tx) {
			k := testKey("bob")
			env.Signatures = append(env.Signatures, &txpb.Signature{
				PublicKey: k.Public().(ed25519.PublicKey), Signature: ed25519.Sign(k, SignBytes(testChain, env.Body))})
		}), ledger.OK},

		// 1. size
		{"over MaxTxSize", func(testing.TB) []byte { return make([]byte, MaxTxSize+1) }, ledger.CodeTooLarge},
		{"huge memo over MaxTxSize", signedWith(func(b *txpb.Body) { b.Memo = strings.Repeat("m", MaxTxSize) }), ledger.CodeTooLarge},
		// 2. decoding
		{"garbage", func(testing.TB) []byte { return []byte{0xff, 0xff, 0xff} }, ledger.CodeMalformed},
		{"truncated", func(t testing.TB) []byte {
			raw := sign(t, payBody(), testKey("alice"))
			return raw[:len(raw)-1]
		}, ledger.CodeMalformed},
		{"body not a body", mutated(func(t testing.TB, env *txpb.Tx) { env.Body = []byte{0x0a, 0x05, 'x'} }), ledger.CodeMalformed},
		{"invalid UTF-8 in body string", signedBytes(func(t testing.TB, body []byte) []byte {
			return protowire.AppendBytes(protowire.AppendTag(body, 5, protowire.BytesType), []byte{0xff})
		}), ledger.CodeMalformed},
		{"unknown envelope field", func(t testing.TB) []byte {
			return withUnknown(sign(t, payBody(), testKey("alice")))
		}, ledger.CodeMalformed},
		{"unknown body field", signedBytes(func(t testing.TB, body []byte) []byte { return withUnknown(body) }), ledger.CodeMalformed},
		{"unknown message field", signedBytes(func(t testing.TB, _ []byte) []byte {
			b := payBody()
			pay := marshal(t, b.GetPay())
			b.Msg = nil
			out := marshal(t, b)
			out = protowire.AppendTag(out, 14, protowire.BytesType)
			return protowire.AppendBytes(out, withUnknown(pay))
		}), ledger.CodeMalformed},
		{"unknown output field", signedBytes(func(t testing.TB, _ []byte) []byte {
			b := payBody()
			pay := b.GetPay()
			o := withUnknown(marshal(t, pay.Outputs[0]))
			pay.Outputs = pay.Outputs[1:]
			pm := marshal(t, pay)
			pm = protowire.AppendTag(pm, 3, protowire.BytesType)
			pm = protowire.AppendBytes(pm, o)
			b.Msg = nil
			out := marshal(t, b)
			out = protowire.AppendTag(out, 14, protowire.BytesType)
			return protowire.AppendBytes(out, pm)
		}), ledger.CodeMalformed},
		{"unknown signature field", mutated(func(t testing.TB, env *txpb.Tx) {
			env.Signatures[0].ProtoReflect().SetUnknown(withUnknown(nil))
		}), ledger.CodeMalformed},
		// 3. chain
		{"wrong chain", func(t testing.TB) []byte {
			b := payBody()
			b.ChainId = "peg-other"
			return sign(t, b, testKey("alice"))
		}, ledger.CodeWrongChain},
		{"no chain", signedWith(func(b *txpb.Body) { b.ChainId = "" }), ledger.CodeWrongChain},
		{"empty bytes", func(testing.TB) []byte { return nil }, ledger.CodeWrongChain},
		// 4. memo
		{"memo too long", signedWith(func(b *txpb.Body) { b.Memo = strings.Repeat("m", MaxMemoLen+1) }), ledger.CodeTooLarge},
		{"memo at limit", signedWith(func(b *txpb.Body) { b.Memo = strings.Repeat("m", MaxMemoLen) }), ledger.OK},
		// 5. signer
		{"signer not an address", signedWith(func(b *txpb.Body) { b.Signer = "alice" }), ledger.CodeInvalidArgument},
		{"no signer", signedWith(func(b *txpb.Body) { b.Signer = "" }), ledger.CodeInvalidArgument},
		// 6. signatures present and well formed
		{"no signature", mutated(func(t testing.TB, env *txpb.Tx) { env.Signatures = nil }), ledger.CodeMissingSig},
		{"signed by someone else", func(t testing.TB) []byte {
			return marshal(t, envelope(t, testChain, marshal(t, payBody()), testKey("mallory")))
		}, ledger.CodeMissingSig},
		{"too many signatures", func(t testing.TB) []byte {
			k := testKey("alice")
			return marshal(t, envelope(t, testChain, marshal(t, payBody()), k, k, k, k, k))
		}, ledger.CodeTooLarge},
		{"short public key", mutated(func(t testing.TB, env *txpb.Tx) { env.Signatures[0].PublicKey = env.Signatures[0].PublicKey[1:] }), ledger.CodeMalformed},
		{"short signature", mutated(func(t testing.TB, env *txpb.Tx) { env.Signatures[0].Signature = env.Signatures[0].Signature[1:] }), ledger.CodeMalformed},
		// 7. message
		{"no message", signedWith(func(b *txpb.Body) { b.Msg = nil }), ledger.CodeUnknownMessage},
		{"bad token id", signedWith(func(b *txpb.Body) { b.GetPay().Token = "GBPT" }), ledger.CodeInvalidArgument},
		{"no inputs", signedWith(func(b *txpb.Body) { b.GetPay().Inputs = nil }), ledger.CodeInvalidArgument},
		{"short coin id", signedWith(func(b *txpb.Body) { b.GetPay().Inputs[0] = b.GetPay().Inputs[0][1:] }), ledger.CodeInvalidArgument},
		{"too many inputs", signedWith(func(b *txpb.Body) {
			for i := 0; len(b.GetPay().Inputs) <= MaxInputs; i++ {
				b.GetPay().Inputs = append(b.GetPay().Inputs, coinID(fmt.Sprint(i)))
			}
		}), ledger.CodeTooManyCoins},
		{"no outputs", signedWith(func(b *txpb.Body) { b.GetPay().Outputs = nil }), ledger.CodeInvalidArgument},
		{"too many outputs", signedWith(func(b *txpb.Body) {
			for len(b.GetPay().Outputs) <= MaxOutputs {
				b.GetPay().Outputs = append(b.GetPay().Outputs, &txpb.Output{Owner: testAddr("bob").String(), Amount: "1"})
			}
		}), ledger.CodeTooManyCoins},
		{"output owner not an address", signedWith(func(b *txpb.Body) { b.GetPay().Outputs[0].Owner = "bob" }), ledger.CodeInvalidArgument},
		{"zero amount", signedWith(func(b *txpb.Body) { b.GetPay().Outputs[0].Amount = "0" }), ledger.CodeInvalidAmount},
		{"empty amount", signedWith(func(b *txpb.Body) { b.GetPay().Outputs[0].Amount = "" }), ledger.CodeInvalidAmount},
		{"negative amount", signedWith(func(b *txpb.Body) { b.GetPay().Outputs[0].Amount = "-40" }), ledger.CodeInvalidAmount},
		{"decimal amount", signedWith(func(b *txpb.Body) { b.GetPay().Outputs[0].Amount = "40.0" }), ledger.CodeInvalidAmount},
		{"long non-numeric amount", signedWith(func(b *txpb.Body) { b.GetPay().Outputs[0].Amount = strings.Repeat("x", 100) }), ledger.CodeInvalidAmount},
		{"amount overflow", signedWith(func(b *txpb.Body) {
			b.GetPay().Outputs[0].Amount = "340282366920938463463374607431768211456"
		}), ledger.CodeAmountOverflow},
		{"amount too long", signedWith(func(b *txpb.Body) { b.GetPay().Outputs[0].Amount = "1" + strings.Repeat("0", 100) }), ledger.CodeAmountOverflow},
		{"deploy without contract", signedWith(func(b *txpb.Body) {
			b.Msg = &txpb.Body_DeployToken{DeployToken: &txpb.DeployToken{}}
		}), ledger.CodeInvalidArgument},
		{"mint to nobody", signedWith(func(b *txpb.Body) {
			b.Msg = &txpb.Body_Mint{Mint: &txpb.Mint{Token: "gbpt", Amount: "1"}}
		}), ledger.CodeInvalidArgument},
		{"approve zero", signedWith(func(b *txpb.Body) {
			b.Msg = &txpb.Body_Approve{Approve: &txpb.Approve{Token: "gbpt", Spender: testAddr("bob").String(), Amount: "0"}}
		}), ledger.OK},
		{"configure minter zero allowance", signedWith(func(b *txpb.Body) {
			b.Msg = &txpb.Body_ConfigureMinter{ConfigureMinter: &txpb.ConfigureMinter{Token: "gbpt", Minter: testAddr("bob").String(), Allowance: "0"}}
		}), ledger.CodeInvalidAmount},
		{"remove minter without allowance", signedWith(func(b *txpb.Body) {
			b.Msg = &txpb.Body_ConfigureMinter{ConfigureMinter: &txpb.ConfigureMinter{Token: "gbpt", Minter: testAddr("bob").String(), Remove: true}}
		}), ledger.OK},
		// 8. signatures verify
		{"bad signature", mutated(func(t testing.TB, env *txpb.Tx) { env.Signatures[0].Signature[0] ^= 1 }), ledger.CodeBadSignature},
		{"body changed after signing", mutated(func(t testing.TB, env *txpb.Tx) {
			b := payBody()
			b.GetPay().Outputs[0].Amount = "50"
			b.GetPay().Outputs[1].Amount = "50"
			env.Body = marshal(t, b)
		}), ledger.CodeBadSignature},
		{"signed for another chain", func(t testing.TB) []byte {
			return marshal(t, envelope(t, "peg-other", marshal(t, payBody()), testKey("alice")))
		}, ledger.CodeBadSignature},
		{"bad co-signature", mutated(func(t testing.TB, env *txpb.Tx) {
			k := testKey("bob")
			env.Signatures = append(env.Signatures, &txpb.Signature{
				PublicKey: k.Public().(ed25519.PublicKey), Signature: ed25519.Sign(k, []byte("something else"))})
		}), ledger.CodeBadSignature},

		// The first rule broken gives the code: the signature is checked last.
		{"bad signature and bad amount", mutated(func(t testing.TB, env *txpb.Tx) {
			b := payBody()
			b.GetPay().Outputs[0].Amount = "0"
			env.Body = marshal(t, b)
		}), ledger.CodeInvalidAmount},
		{"wrong chain and long memo", signedWith(func(b *txpb.Body) {
			b.ChainId = "peg-other"
			b.Memo = strings.Repeat("m", MaxMemoLen+1)
		}), ledger.CodeWrongChain},
		{"long memo and no signature", func(t testing.TB) []byte {
			b := payBody()
			b.Memo = strings.Repeat("m", MaxMemoLen+1)
			return marshal(t, &txpb.Tx{Body: marshal(t, b)})
		}, ledger.CodeTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw := tc.raw(t)
			got, rej := Decode(raw, testChain)
			if tc.want == ledger.OK {
				if rej != nil {
					t.Fatalf("Decode = %v, want OK", rej)
				}
				if got == nil || got.Msg == nil {
					t.Fatalf("Decode = %+v, want a transaction with a message", got)
				}
				return
			}
			if rej == nil {
				t.Fatalf("Decode = OK (%T), want %v", got.Msg, tc.want)
			}
			if rej.Code != tc.want {
				t.Fatalf("Decode = %v, want %v", rej, tc.want)
			}
			if got != nil {
				t.Errorf("Decode returned a transaction with rejection %v", rej)
			}
			if rej.Message == "" {
				t.Errorf("rejection %v has no message", rej.Code)
			}
		})
	}
}

func TestSignDecodeRoundTrip(t *testing.T) {
	body := payBody()
	key := testKey("alice")
	raw, id, err := Sign(body, key)
	if err != nil {
		t.Fatal(err)
	}
	got, rej := Decode(raw, testChain)
	if rej != nil {
		t.Fatalf("Decode(Sign(body)) = %v", rej)
	}
	var env txpb.Tx
	if err := proto.Unmarshal(raw, &env); err != nil {
		t.Fatal(err)
	}
	if want := ledger.TxID(sha256.Sum256(env.Body)); id != want || got.ID != want {
		t.Errorf("ids: Sign %s, Decode %s, want SHA-256 of the body %s", id, got.ID, want)
	}
	if got.ChainID != testChain || got.Expiry != 10 || got.Nonce != 7 || got.Memo != "rent" || got.Size != len(raw) {
		t.Errorf("Decode = chain %q expiry %d nonce %d memo %q size %d, want %q 10 7 %q %d",
			got.ChainID, got.Expiry, got.Nonce, got.Memo, got.Size, testChain, "rent", len(raw))
	}
	if got.Signer != testAddr("alice") {
		t.Errorf("signer = %s, want %s", got.Signer, testAddr("alice"))
	}
	want := Pay{
		Token:  "gbpt",
		Inputs: []ledger.CoinID{ledger.CoinID(coinID("c1")), ledger.CoinID(coinID("c2"))},
		Outputs: []Output{
			{Owner: testAddr("bob"), Amount: money.FromUint64(40)},
			{Owner: testAddr("alice"), Amount: money.FromUint64(60)},
		},
	}
	if !reflect.DeepEqual(got.Msg, want) {
		t.Errorf("Msg = %+v, want %+v", got.Msg, want)
	}
	// Signing is deterministic: the same body gives the same bytes and id.
	again, id2, err := Sign(payBody(), key)
	if err != nil || !bytes.Equal(again, raw) || id2 != id {
		t.Errorf("signing the same body again gave different bytes or id (%v)", err)
	}
	// Parse and Verify split Decode's work.
	p, rej := Parse(raw, testChain)
	if rej != nil {
		t.Fatalf("Parse = %v", rej)
	}
	if rej := p.Verify(); rej != nil {
		t.Fatalf("Verify = %v", rej)
	}
}

func TestSignBytesBindsChain(t *testing.T) {
	body := marshal(t, payBody())
	a, b := SignBytes("peg-a", body), SignBytes("peg-b", body)
	if bytes.Equal(a, b) {
		t.Fatal("SignBytes is the same for two chains")
	}
	if !bytes.HasPrefix(a, []byte("peg/tx/v1\x00peg-a\x00")) || !bytes.HasSuffix(a, body) {
		t.Errorf("SignBytes = %q, want the domain, the chain id and the body", a)
	}
	// A transaction signed for peg-a verifies there and nowhere else, even
	// when its body is rewritten to name the other chain.
	pa := payBody()
	pa.ChainId = "peg-a"
	raw := sign(t, pa, testKey("alice"))
	if _, rej := Decode(raw, "peg-a"); rej != nil {
		t.Fatalf("on its own chain: %v", rej)
	}
	if _, rej := Decode(raw, "peg-b"); rej == nil || rej.Code != ledger.CodeWrongChain {
		t.Errorf("on another chain: %v, want WRONG_CHAIN", rej)
	}
	var env txpb.Tx
	if err := proto.Unmarshal(raw, &env); err != nil {
		t.Fatal(err)
	}
	pb := payBody()
	pb.ChainId = "peg-b"
	env.Body = marshal(t, pb)
	if _, rej := Decode(marshal(t, &env), "peg-b"); rej == nil || rej.Code != ledger.CodeBadSignature {
		t.Errorf("peg-a signature on a body rewritten for peg-b: %v, want BAD_SIGNATURE", rej)
	}
}

func TestDecodeMessages(t *testing.T) {
	alice, bob := testAddr("alice"), testAddr("bob")
	c1, c2 := ledger.CoinID(coinID("c1")), ledger.CoinID(coinID("c2"))
	for _, tc := range []struct {
		name string
		body *txpb.Body
		want Msg
	}{
		{"authorize_issuer", &txpb.Body{Msg: &txpb.Body_AuthorizeIssuer{AuthorizeIssuer: &txpb.AuthorizeIssuer{Issuer: bob.String()}}},
			AuthorizeIssuer{Issuer: bob}},
		{"register_account", &txpb.Body{Msg: &txpb.Body_RegisterAccount{RegisterAccount: &txpb.RegisterAccount{Account: bob.String()}}},
			RegisterAccount{Account: bob}},
		{"alias_register", &txpb.Body{Msg: &txpb.Body_AliasRegister{AliasRegister: &txpb.AliasRegister{Hash: c1[:], Account: bob.String()}}},
			AliasRegister{Hash: ledger.AliasHash(c1), Account: bob}},
		{"alias_revoke", &txpb.Body{Msg: &txpb.Body_AliasRevoke{AliasRevoke: &txpb.AliasRevoke{Hash: c2[:]}}},
			AliasRevoke{Hash: ledger.AliasHash(c2)}},
		{"set_registrar", &txpb.Body{Msg: &txpb.Body_SetRegistrar{SetRegistrar: &txpb.SetRegistrar{Registrar: bob.String()}}},
			SetRegistrar{Registrar: bob}},
		{"deploy_token", &txpb.Body{Msg: &txpb.Body_DeployToken{DeployToken: &txpb.DeployToken{Contract: DraftToProto(fullDraft())}}},
			DeployToken{Contract: fullDraft()}},
		{"mint", &txpb.Body{Msg: &txpb.Body_Mint{Mint: &txpb.Mint{Token: "gbpt", To: bob.String(), Amount: "5"}}},
			Mint{Token: "gbpt", To: bob, Amount: money.FromUint64(5)}},
		{"redeem", &txpb.Body{Msg: &txpb.Body_Redeem{Redeem: &txpb.Redeem{Token: "gbpt", Inputs: [][]byte{c1[:]}, Amount: "3"}}},
			Redeem{Token: "gbpt", Inputs: []ledger.CoinID{c1}, Amount: money.FromUint64(3)}},
		{"freeze", &txpb.Body{Msg: &txpb.Body_Freeze{Freeze: &txpb.Freeze{Token: "gbpt", Account: bob.String()}}},
			Freeze{Token: "gbpt", Account: bob}},
		{"unfreeze", &txpb.Body{Msg: &txpb.Body_Unfreeze{Unfreeze: &txpb.Unfreeze{Token: "gbpt", Account: bob.String()}}},
			Unfreeze{Token: "gbpt", Account: bob}},
		{"pause", &txpb.Body{Msg: &txpb.Body_Pause{Pause: &txpb.Pause{Token: "gbpt"}}}, Pause{Token: "gbpt"}},
		{"unpause", &txpb.Body{Msg: &txpb.Body_Unpause{Unpause: &txpb.Unpause{Token: "gbpt"}}}, Unpause{Token: "gbpt"}},
		{"seize", &txpb.Body{Msg: &txpb.Body_Seize{Seize: &txpb.Seize{Token: "gbpt", Inputs: [][]byte{c1[:], c2[:]}}}},
			Seize{Token: "gbpt", Inputs: []ledger.CoinID{c1, c2}}},
		{"transfer_ownership", &txpb.Body{Msg: &txpb.Body_TransferOwnership{TransferOwnership: &txpb.TransferOwnership{Token: "gbpt", NewOwner: bob.String()}}},
			TransferOwnership{Token: "gbpt", NewOwner: bob}},
		{"accept_ownership", &txpb.Body{Msg: &txpb.Body_AcceptOwnership{AcceptOwnership: &txpb.AcceptOwnership{Token: "gbpt"}}},
			AcceptOwnership{Token: "gbpt"}},
		{"approve", &txpb.Body{Msg: &txpb.Body_Approve{Approve: &txpb.Approve{Token: "gbpt", Spender: bob.String(), Amount: "0"}}},
			Approve{Token: "gbpt", Spender: bob, Amount: money.Amount{}}},
		{"spend_from", &txpb.Body{Msg: &txpb.Body_SpendFrom{SpendFrom: &txpb.SpendFrom{Token: "gbpt", Owner: bob.String(),
			Inputs: [][]byte{c1[:]}, Outputs: []*txpb.Output{{Owner: alice.String(), Amount: "2"}}}}},
			SpendFrom{Token: "gbpt", Owner: bob, Inputs: []ledger.CoinID{c1}, Outputs: []Output{{Owner: alice, Amount: money.FromUint64(2)}}}},
		{"configure_minter", &txpb.Body{Msg: &txpb.Body_ConfigureMinter{ConfigureMinter: &txpb.ConfigureMinter{Token: "gbpt", Minter: bob.String(), Allowance: "9"}}},
			ConfigureMinter{Token: "gbpt", Minter: bob, Allowance: money.FromUint64(9)}},
		{"remove minter", &txpb.Body{Msg: &txpb.Body_ConfigureMinter{ConfigureMinter: &txpb.ConfigureMinter{Token: "gbpt", Minter: bob.String(), Allowance: "0", Remove: true}}},
			ConfigureMinter{Token: "gbpt", Minter: bob, Remove: true}},
		{"set_endorse_policy", &txpb.Body{Msg: &txpb.Body_SetEndorsePolicy{SetEndorsePolicy: &txpb.SetEndorsePolicy{Token: "gbpt", Threshold: "500",
			Endorsers: []string{bob.String(), alice.String()}, Required: 2, WindowSeconds: 3600}}},
			SetEndorsePolicy{Token: "gbpt", Policy: &endorse.Policy{Threshold: money.FromUint64(500), Endorsers: []ledger.Address{bob, alice}, Required: 2, Window: time.Hour}}},
		{"set_endorse_policy clear", &txpb.Body{Msg: &txpb.Body_SetEndorsePolicy{SetEndorsePolicy: &txpb.SetEndorsePolicy{Token: "gbpt", Clear: true}}},
			SetEndorsePolicy{Token: "gbpt"}},
		{"endorse_mint", &txpb.Body{Msg: &txpb.Body_EndorseMint{EndorseMint: &txpb.EndorseMint{Request: c1[:]}}},
			EndorseMint{Request: ledger.TxID(c1)}},
		{"cancel_mint_request", &txpb.Body{Msg: &txpb.Body_CancelMintRequest{CancelMintRequest: &txpb.CancelMintRequest{Request: c2[:]}}},
			CancelMintRequest{Request: ledger.TxID(c2)}},
		{"attest", &txpb.Body{Msg: &txpb.Body_Attest{Attest: attestMsg()}},
			Attest{Token: "gbpt", Account: "GB81PEGD20041531926819", Currency: "GBP", Balance: money.FromUint64(100000000),
				BalanceType: "ClosingBooked", BankTime: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC),
				RawHash: sha256.Sum256([]byte("bank answer")), Source: "openbanking"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.body.ChainId, tc.body.ExpiryHeight, tc.body.Signer = testChain, 1, alice.String()
			got, rej := Decode(sign(t, tc.body, testKey("alice")), testChain)
			if rej != nil {
				t.Fatalf("Decode = %v", rej)
			}
			if !reflect.DeepEqual(got.Msg, tc.want) {
				t.Errorf("Msg = %+v, want %+v", got.Msg, tc.want)
			}
			if kind, _, _ := strings.Cut(tc.name, " "); got.Msg.Kind() != kind && tc.name != "remove minter" {
				t.Errorf("Kind = %q, want %q", got.Msg.Kind(), tc.name)
			}
		})
	}
}

// TestDecodeNonCanonicalAmounts: every amount a message carries is refused
// with INVALID_AMOUNT, naming its field, unless it is written as String
// writes it; zero-padding would give one signed amount several encodings.
func TestDecodeNonCanonicalAmounts(t *testing.T) {
	bob := testAddr("bob").String()
	c1 := coinID("c1")
	outs := func(amount string) []*txpb.Output {
		return []*txpb.Output{{Owner: bob, Amount: "1"}, {Owner: bob, Amount: amount}}
	}
	for _, tc := range []struct {
		kind, field string
		set         func(b *txpb.Body, amount string)
	}{
		{"mint", "amount", func(b *txpb.Body, a string) {
			b.Msg = &txpb.Body_Mint{Mint: &txpb.Mint{Token: "gbpt", To: bob, Amount: a}}
		}},
		{"redeem", "amount", func(b *txpb.Body, a string) {
			b.Msg = &txpb.Body_Redeem{Redeem: &txpb.Redeem{Token: "gbpt", Inputs: [][]byte{c1}, Amount: a}}
		}},
		{"approve", "amount", func(b *txpb.Body, a string) {
			b.Msg = &txpb.Body_Approve{Approve: &txpb.Approve{Token: "gbpt", Spender: bob, Amount: a}}
		}},
		{"configure_minter", "allowance", func(b *txpb.Body, a string) {
			b.Msg = &txpb.Body_ConfigureMinter{ConfigureMinter: &txpb.ConfigureMinter{Token: "gbpt", Minter: bob, Allowance: a}}
		}},
		{"pay", "outputs.amount", func(b *txpb.Body, a string) {
			b.Msg = &txpb.Body_Pay{Pay: &txpb.Pay{Token: "gbpt", Inputs: [][]byte{c1}, Outputs: outs(a)}}
		}},
		{"spend_from", "outputs.amount", func(b *txpb.Body, a string) {
			b.Msg = &txpb.Body_SpendFrom{SpendFrom: &txpb.SpendFrom{Token: "gbpt", Owner: bob, Inputs: [][]byte{c1}, Outputs: outs(a)}}
		}},
		{"attest", "balance", func(b *txpb.Body, a string) {
			m := attestMsg()
			m.Balance = a
			b.Msg = &txpb.Body_Attest{Attest: m}
		}},
		{"set_endorse_policy", "threshold", func(b *txpb.Body, a string) {
			b.Msg = &txpb.Body_SetEndorsePolicy{SetEndorsePolicy: &txpb.SetEndorsePolicy{Token: "gbpt", Threshold: a,
				Endorsers: []string{bob}, Required: 1, WindowSeconds: 3600}}
		}},
	} {
		for _, amount := range []string{"01", "00", "0100", strings.Repeat("0", money.MaxDigits) + "1"} {
			t.Run(tc.kind+"/"+amount[:min(len(amount), 8)], func(t *testing.T) {
				body := &txpb.Body{ChainId: testChain, ExpiryHeight: 1, Signer: testAddr("alice").String()}
				tc.set(body, amount)
				_, rej := Decode(sign(t, body, testKey("alice")), testChain)
				if rej == nil || rej.Code != ledger.CodeInvalidAmount {
					t.Fatalf("Decode = %v, want INVALID_AMOUNT", rej)
				}
				if want := tc.field + ": "; !strings.HasPrefix(rej.Message, want) || !strings.Contains(rej.Message, "not canonical") {
					t.Errorf("message %q does not start with %q and say the amount is not canonical", rej.Message, want)
				}
			})
		}
	}
}

// fullDraft sets every field of a Draft, so that a round trip that drops one
// shows.
func fullDraft() token.Draft {
	return token.Draft{
		ID: "gbpt", Name: "Pound Token", Symbol: "GBPT", Decimals: 2,
		SupplyCap:       "1000000",
		Fiat:            token.FiatDraft{BIC: "PEGDGB2L", Scheme: "IBAN", Account: "GB81PEGD20041531926819", Currency: "GBP"},
		DeclaredReserve: "1000000.00",
		Ratio:           "1",
		MinUnit:         "0.01",
		MaxTransfer:     "50000",
		TransferRule:    "registered",
		RedeemRule:      "anyone",
		MinRedeem:       "1",
		Reserve:         token.ReserveDraft{StalenessWindow: "12h", PauseWhenAtRisk: true},
		Roles: token.RolesDraft{
			Owner: testAddr("owner").String(), Pauser: testAddr("pauser").String(),
			Freezer: testAddr("freezer").String(), Attestor: testAddr("attestor").String(),
			Minters: []token.MinterDraft{
				{Address: testAddr("m1").String(), Allowance: "1000"},
				{Address: testAddr("m2").String(), Allowance: "2000"},
			},
		},
	}
}

func TestDraftProtoRoundTrip(t *testing.T) {
	full := fullDraft()
	if v := reflect.ValueOf(full); v.NumField() != 15 {
		t.Fatalf("token.Draft has %d fields; fullDraft and the wire conversion must cover the new ones", v.NumField())
	}
	for _, tc := range []struct {
		name string
		d    token.Draft
	}{
		{"full", full},
		{"empty", token.Draft{}},
		{"no minters", func() token.Draft { d := fullDraft(); d.Roles.Minters = nil; return d }()},
		{"default reserve watch", func() token.Draft { d := fullDraft(); d.Reserve = token.ReserveDraft{}; return d }()},
		{"pause only", func() token.Draft { d := fullDraft(); d.Reserve = token.ReserveDraft{PauseWhenAtRisk: true}; return d }()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := DraftToProto(tc.d)
			back := DraftFromProto(c)
			if !reflect.DeepEqual(back, tc.d) {
				t.Errorf("DraftFromProto(DraftToProto(d)) =\n%+v\nwant\n%+v", back, tc.d)
			}
			// And through the wire bytes.
			var wire txpb.Contract
			if err := proto.Unmarshal(marshal(t, c), &wire); err != nil {
				t.Fatal(err)
			}
			if back := DraftFromProto(&wire); !reflect.DeepEqual(back, tc.d) {
				t.Errorf("through the wire: %+v, want %+v", back, tc.d)
			}
		})
	}
	if got := DraftFromProto(nil); !reflect.DeepEqual(got, token.Draft{}) {
		t.Errorf("DraftFromProto(nil) = %+v, want the zero Draft", got)
	}
}

// attestMsg is a valid attestation of gbpt's reserve.
func attestMsg() *txpb.Attest {
	h := sha256.Sum256([]byte("bank answer"))
	return &txpb.Attest{Token: "gbpt", Account: "GB81PEGD20041531926819", Currency: "GBP", Balance: "100000000",
		BalanceType: "ClosingBooked", BankTime: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC).Unix(),
		RawHash: h[:], Source: "openbanking"}
}

// TestDecodeAttest has a case for each way an attestation's fields fail to
// decode, in the order the decoder checks them, and the edges it accepts.
func TestDecodeAttest(t *testing.T) {
	long := strings.Repeat("x", MaxAttestTextLen+1)
	full := strings.Repeat("x", MaxAttestTextLen)
	for _, tc := range []struct {
		name string
		edit func(*txpb.Attest)
		want ledger.Code
		msg  string // the rejection names this
	}{
		{"valid", func(*txpb.Attest) {}, ledger.OK, ""},
		{"zero balance", func(a *txpb.Attest) { a.Balance = "0" }, ledger.OK, ""},
		{"largest balance", func(a *txpb.Attest) { a.Balance = "340282366920938463463374607431768211455" }, ledger.OK, ""},
		{"text fields at their limit", func(a *txpb.Attest) { a.Account, a.Currency, a.BalanceType, a.Source = full, full, full, full }, ledger.OK, ""},
		{"one-byte text fields", func(a *txpb.Attest) { a.Account, a.Currency, a.BalanceType, a.Source = "a", "b", "c", "d" }, ledger.OK, ""},
		{"first second of Unix time", func(a *txpb.Attest) { a.BankTime = 1 }, ledger.OK, ""},

		{"token malformed", func(a *txpb.Attest) { a.Token = "GBPT" }, ledger.CodeInvalidArgument, "token"},
		{"token missing", func(a *txpb.Attest) { a.Token = "" }, ledger.CodeInvalidArgument, "token"},
		{"account missing", func(a *txpb.Attest) { a.Account = "" }, ledger.CodeInvalidArgument, "account must be 1 to 64 bytes"},
		{"account too long", func(a *txpb.Attest) { a.Account = long }, ledger.CodeInvalidArgument, "account must be 1 to 64 bytes"},
		{"currency missing", func(a *txpb.Attest) { a.Currency = "" }, ledger.CodeInvalidArgument, "currency must be"},
		{"currency too long", func(a *txpb.Attest) { a.Currency = long }, ledger.CodeInvalidArgument, "currency must be"},
		{"balance missing", func(a *txpb.Attest) { a.Balance = "" }, ledger.CodeInvalidAmount, "balance"},
		{"balance with decimals", func(a *txpb.Attest) { a.Balance = "1000000.00" }, ledger.CodeInvalidAmount, `balance: "1000000.00" is not a whole number of minor units`},
		{"balance negative", func(a *txpb.Attest) { a.Balance = "-1" }, ledger.CodeInvalidAmount, "balance"},
		{"balance with a sign", func(a *txpb.Attest) { a.Balance = "+1" }, ledger.CodeInvalidAmount, "balance"},
		{"balance with grouping", func(a *txpb.Attest) { a.Balance = "1,000" }, ledger.CodeInvalidAmount, "balance"},
		{"balance in exponent form", func(a *txpb.Attest) { a.Balance = "1e6" }, ledger.CodeInvalidAmount, "balance"},
		{"balance overflow", func(a *txpb.Attest) { a.Balance = "340282366920938463463374607431768211456" }, ledger.CodeAmountOverflow, "balance"},
		{"balance type missing", func(a *txpb.Attest) { a.BalanceType = "" }, ledger.CodeInvalidArgument, "balance_type must be"},
		{"balance type too long", func(a *txpb.Attest) { a.BalanceType = long }, ledger.CodeInvalidArgument, "balance_type must be"},
		{"source missing", func(a *txpb.Attest) { a.Source = "" }, ledger.CodeInvalidArgument, "source must be"},
		{"source too long", func(a *txpb.Attest) { a.Source = long }, ledger.CodeInvalidArgument, "source must be"},
		{"bank time zero", func(a *txpb.Attest) { a.BankTime = 0 }, ledger.CodeInvalidArgument, "bank_time must be a positive Unix time"},
		{"bank time negative", func(a *txpb.Attest) { a.BankTime = -1 }, ledger.CodeInvalidArgument, "bank_time"},
		{"raw hash missing", func(a *txpb.Attest) { a.RawHash = nil }, ledger.CodeInvalidArgument, "raw_hash is 0 bytes, want 32"},
		{"raw hash short", func(a *txpb.Attest) { a.RawHash = a.RawHash[:31] }, ledger.CodeInvalidArgument, "raw_hash is 31 bytes"},
		{"raw hash long", func(a *txpb.Attest) { a.RawHash = append(a.RawHash, 0) }, ledger.CodeInvalidArgument, "raw_hash is 33 bytes"},

		// The first field in the decoder's order gives the rejection.
		{"bad token and bad balance", func(a *txpb.Attest) { a.Token, a.Balance = "GBPT", "x" }, ledger.CodeInvalidArgument, "token"},
		{"bad balance and bad raw hash", func(a *txpb.Attest) { a.Balance, a.RawHash = "x", nil }, ledger.CodeInvalidAmount, "balance"},
		{"bad source and bad bank time", func(a *txpb.Attest) { a.Source, a.BankTime = "", 0 }, ledger.CodeInvalidArgument, "source"},
		{"bad bank time and bad raw hash", func(a *txpb.Attest) { a.BankTime, a.RawHash = 0, nil }, ledger.CodeInvalidArgument, "bank_time"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := attestMsg()
			tc.edit(m)
			body := &txpb.Body{ChainId: testChain, ExpiryHeight: 1, Signer: testAddr("attestor").String(),
				Msg: &txpb.Body_Attest{Attest: m}}
			got, rej := Decode(sign(t, body, testKey("attestor")), testChain)
			if tc.want == ledger.OK {
				if rej != nil {
					t.Fatalf("Decode = %v, want OK", rej)
				}
				a, ok := got.Msg.(Attest)
				if !ok {
					t.Fatalf("Msg = %T, want Attest", got.Msg)
				}
				if a.BankTime.Unix() != m.BankTime || a.BankTime.Location() != time.UTC || a.Balance.String() != m.Balance ||
					!bytes.Equal(a.RawHash[:], m.RawHash) || a.Kind() != "attest" {
					t.Errorf("decoded %+v from %+v", a, m)
				}
				return
			}
			if rej == nil || rej.Code != tc.want {
				t.Fatalf("Decode = %v, want %s", rej, tc.want.Name())
			}
			if !strings.Contains(rej.Message, tc.msg) {
				t.Errorf("message %q does not name %q", rej.Message, tc.msg)
			}
		})
	}
}

// TestKindsListsEveryMessage: Kinds, what a fee schedule may name, is every
// message of the wire format, each named as its Kind.
func TestKindsListsEveryMessage(t *testing.T) {
	fields := (&txpb.Body{}).ProtoReflect().Descriptor().Oneofs().ByName("msg").Fields()
	var names []string
	for i := range fields.Len() {
		names = append(names, string(fields.Get(i).Name()))
	}
	slices.Sort(names)
	if !slices.Equal(Kinds, names) {
		t.Fatalf("Kinds = %q, want the body's messages %q", Kinds, names)
	}
	for _, s := range corpusSeeds(t) {
		if !strings.HasPrefix(s.name, "OK-") {
			continue
		}
		tx, rej := Decode(s.raw, fuzzChain)
		if rej != nil {
			t.Fatalf("%s: %v", s.name, rej)
		}
		if !slices.Contains(Kinds, tx.Msg.Kind()) {
			t.Errorf("%s: kind %q is not in Kinds", s.name, tx.Msg.Kind())
		}
	}
}
