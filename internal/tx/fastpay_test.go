package tx

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/pegledger/peg/internal/tx/txpb"
)

// payEncodings are payments as signers write them, with each refusal a
// payment's fields can earn (taken, which parsePay parses), and as they
// might be written otherwise: fields repeated, unknown, of another wire
// type, strings that are not UTF-8, another kind (left to parseGeneral).
func payEncodings(t testing.TB) (taken, left [][]byte) {
	t.Helper()
	alice := testKey("alice")
	marshal := func(m proto.Message) []byte {
		b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	signed := func(body []byte) []byte { return marshal(envelope(t, testChain, body, alice)) }
	body := func(edit func(*txpb.Body)) []byte {
		b := payBody()
		edit(b)
		return marshal(b)
	}
	plain := marshal(payBody())
	pay := func(b *txpb.Body) *txpb.Pay { return b.Msg.(*txpb.Body_Pay).Pay }
	str := func(num protowire.Number, s string) []byte {
		return protowire.AppendString(protowire.AppendTag(nil, num, protowire.BytesType), s)
	}
	payField := marshal(&txpb.Pay{Token: "gbpt"})
	for _, b := range [][]byte{
		plain,
		body(func(b *txpb.Body) { b.Memo = "" }),
		body(func(b *txpb.Body) { b.ChainId = "peg-other" }),
		body(func(b *txpb.Body) { b.ChainId = strings.Repeat("c", 80) }),
		body(func(b *txpb.Body) { b.Memo = strings.Repeat("m", MaxMemoLen+1) }),
		body(func(b *txpb.Body) { b.Signer = "peg1nothing" }),
		body(func(b *txpb.Body) { b.Signer = testAddr("bob").String() }),
		body(func(b *txpb.Body) { pay(b).Token = "Not A Token" }),
		body(func(b *txpb.Body) { pay(b).Inputs = nil }),
		body(func(b *txpb.Body) { pay(b).Inputs = slices.Repeat(pay(b).Inputs, MaxInputs) }),
		body(func(b *txpb.Body) { pay(b).Inputs[1] = []byte{1, 2, 3} }),
		body(func(b *txpb.Body) { pay(b).Outputs = nil }),
		body(func(b *txpb.Body) { pay(b).Outputs = slices.Repeat(pay(b).Outputs, MaxOutputs) }),
		body(func(b *txpb.Body) { pay(b).Outputs[0].Amount = "0" }),
		body(func(b *txpb.Body) { pay(b).Outputs[0].Amount = "040" }),
		body(func(b *txpb.Body) { pay(b).Outputs[0].Amount = strings.Repeat("9", 90) }),
		body(func(b *txpb.Body) { pay(b).Outputs[1].Owner = "nobody" }),
		body(func(b *txpb.Body) { b.Msg = &txpb.Body_Pay{} }),
	} {
		taken = append(taken, signed(b))
	}
	raw := signed(plain)
	taken = append(taken,
		append(slices.Clone(raw), str(envSignatures, string(str(sigSignature, "sig")))...),
		marshal(envelope(t, testChain, plain, alice, alice, alice, alice, alice)),
		marshal(&txpb.Tx{Body: plain}),
		marshal(&txpb.Tx{Body: plain, Signatures: []*txpb.Signature{{PublicKey: []byte{1}, Signature: make([]byte, 64)}}}),
	)
	for _, b := range [][]byte{
		body(func(b *txpb.Body) { b.Msg = nil }),
		body(func(b *txpb.Body) { b.Msg = &txpb.Body_Freeze{Freeze: &txpb.Freeze{Token: "gbpt"}} }),
		append(slices.Clone(plain), str(bodyMemo, "again")...),         // a field twice
		append(slices.Clone(plain), str(bodyPay, string(payField))...), // the payment twice: proto merges them
		append(slices.Clone(plain), str(40, "unknown")...),
		append(slices.Clone(plain), protowire.AppendVarint(protowire.AppendTag(nil, bodyMemo, protowire.VarintType), 1)...),
		append(slices.Clone(plain), protowire.AppendVarint(protowire.AppendTag(nil, bodyNonce, protowire.BytesType), 0)...),
		append(str(bodyMemo, "\xff\xfe"), plain...),
		append(str(bodyChainID, "\xc3"), plain...),
		plain[:len(plain)-3],
	} {
		left = append(left, signed(b))
	}
	left = append(left,
		append(slices.Clone(raw), str(envBody, string(plain))...),
		append(slices.Clone(raw), str(envSignatures, string(str(3, "x")))...),
		append(slices.Clone(raw), str(7, "unknown")...),
		str(envSignatures, ""),
	)
	return taken, left
}

// FuzzParsePay holds parsePay to parseGeneral: for any bytes parsePay
// answers, it answers what parseGeneral does, the same transaction or the
// same refusal, and a transaction that shares no memory with its input.
// Its seeds are payEncodings and FuzzDecode's corpus; without -fuzz it runs
// as a plain test.
func FuzzParsePay(f *testing.F) {
	taken, left := payEncodings(f)
	for _, raw := range append(taken, left...) {
		f.Add(raw)
	}
	for _, s := range corpusSeeds(f) {
		f.Add(s.raw)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if len(raw) > MaxTxSize {
			return
		}
		in := slices.Clone(raw)
		got, rej, ok := parsePay(in, testChain)
		if !ok {
			return
		}
		want, wantRej := parseGeneral(raw, testChain)
		if !reflect.DeepEqual(rej, wantRej) || !reflect.DeepEqual(got, want) {
			t.Fatalf("parsePay: %+v, %v; parseGeneral: %+v, %v", got, rej, want, wantRej)
		}
		for i := range in {
			in[i] ^= 0xff
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatal("the transaction parsePay returned changed with the bytes it was given")
		}
	})
}

// TestParsePayTakesSignedPayments: a payment as Sign writes it, and each
// refusal of its fields, is parsed by parsePay, not left to parseGeneral;
// its other encodings are left to parseGeneral.
func TestParsePayTakesSignedPayments(t *testing.T) {
	taken, left := payEncodings(t)
	for i, raw := range taken {
		if _, _, ok := parsePay(raw, testChain); !ok {
			t.Errorf("payment %d: left to parseGeneral", i)
		}
	}
	for i, raw := range left {
		if _, _, ok := parsePay(raw, testChain); ok {
			t.Errorf("encoding %d: parsed by parsePay", i)
		}
	}
	got, rej := Parse(taken[0], testChain)
	if rej != nil || got.Msg.Kind() != "pay" || len(got.Msg.(Pay).Outputs) != 2 {
		t.Fatalf("Parse of a signed payment: %+v, %v", got, rej)
	}
}
