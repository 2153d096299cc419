package tx

import (
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/tx/txpb"
)

// TestPeekNamesEveryKind: for every message of the body's oneof, Peek reads
// the kind Parse gives (where Parse accepts the empty message) and the id
// Sign gives, so that a parsed transaction's listing is List's.
func TestPeekNamesEveryKind(t *testing.T) {
	seed := sha256.Sum256([]byte("peek"))
	key := ed25519.NewKeyFromSeed(seed[:])
	signer := ledger.NewAddress("GB", key.Public().(ed25519.PublicKey))
	oneof := bodyFields.ByName("authorize_issuer").ContainingOneof()
	for i := range oneof.Fields().Len() {
		fd := oneof.Fields().Get(i)
		t.Run(string(fd.Name()), func(t *testing.T) {
			body := &txpb.Body{ChainId: verifyChain, ExpiryHeight: 10, Signer: signer.String()}
			m := body.ProtoReflect()
			m.Set(fd, protoreflect.ValueOfMessage(m.NewField(fd).Message()))
			raw, id, err := Sign(body, key)
			if err != nil {
				t.Fatal(err)
			}
			gotID, kind, rej := Peek(raw)
			if rej != nil || gotID != id || kind != string(fd.Name()) {
				t.Fatalf("Peek = %s, %q, %v; want %s, %q", gotID, kind, rej, id, fd.Name())
			}
			if parsed, rej := Parse(raw, verifyChain); rej == nil && parsed.Listing() != List(raw) {
				t.Errorf("Parse lists %+v, List %+v", parsed.Listing(), List(raw))
			}
		})
	}
}

// TestPeekRefuses: what Peek cannot read is refused with Parse's codes, and
// listed as malformed.
func TestPeekRefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		raw  []byte
		want ledger.Code
	}{
		{"garbage", []byte{0xff, 0xff, 0xff}, ledger.CodeMalformed},
		{"no body", []byte{0x12, 0x00}, ledger.CodeMalformed},
		{"oversized", make([]byte, MaxTxSize+1), ledger.CodeTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, rej := Peek(tc.raw); rej == nil || rej.Code != tc.want {
				t.Errorf("Peek = %v, want %s", rej, tc.want.Name())
			}
			if l := List(tc.raw); l != (Listing{ID: sha256.Sum256(tc.raw), Malformed: true}) {
				t.Errorf("List = %+v, want it flagged, by the hash of its bytes", l)
			}
		})
	}
}

// TestPayFastPathCoversItsMessages: bodyHasUnknown checks a payment's nested
// messages by hand, which is right only while a Body's only message fields
// are the kinds, a Pay's only message field is its outputs and an Output
// has none.
func TestPayFastPathCoversItsMessages(t *testing.T) {
	messages := func(d protoreflect.MessageDescriptor) []string {
		var out []string
		for i := range d.Fields().Len() {
			if f := d.Fields().Get(i); f.Message() != nil && f.ContainingOneof() == nil {
				out = append(out, string(f.Name()))
			}
		}
		return out
	}
	pay := (&txpb.Pay{}).ProtoReflect().Descriptor()
	for _, c := range []struct {
		d    protoreflect.MessageDescriptor
		want string
	}{
		{(&txpb.Body{}).ProtoReflect().Descriptor(), "[]"},
		{pay, "[outputs]"},
		{pay.Fields().ByName("outputs").Message(), "[]"},
	} {
		if got := fmt.Sprint(messages(c.d)); got != c.want {
			t.Errorf("%s has message fields %s outside a oneof, want %s: update bodyHasUnknown", c.d.FullName(), got, c.want)
		}
	}
}

// TestPayUnknownFieldsRefused: an unknown field anywhere in a payment is
// refused.
func TestPayUnknownFieldsRefused(t *testing.T) {
	seed := sha256.Sum256([]byte("unknown"))
	key := ed25519.NewKeyFromSeed(seed[:])
	signer := ledger.NewAddress("GB", key.Public().(ed25519.PublicKey))
	unknown := protoreflect.RawFields{0xf8, 0x07, 0x01} // field 127, varint 1
	for name, mark := range map[string]func(b *txpb.Body){
		"in the body":    func(b *txpb.Body) { b.ProtoReflect().SetUnknown(unknown) },
		"in the payment": func(b *txpb.Body) { b.GetPay().ProtoReflect().SetUnknown(unknown) },
		"in an output":   func(b *txpb.Body) { b.GetPay().Outputs[0].ProtoReflect().SetUnknown(unknown) },
	} {
		t.Run(name, func(t *testing.T) {
			body := &txpb.Body{ChainId: verifyChain, ExpiryHeight: 10, Signer: signer.String(),
				Msg: &txpb.Body_Pay{Pay: &txpb.Pay{Token: "gbpt", Inputs: [][]byte{make([]byte, 32)},
					Outputs: []*txpb.Output{{Owner: signer.String(), Amount: "1"}}}}}
			mark(body)
			raw, _, err := Sign(body, key)
			if err != nil {
				t.Fatal(err)
			}
			if _, rej := Parse(raw, verifyChain); rej == nil || rej.Code != ledger.CodeMalformed {
				t.Errorf("Parse = %v, want MALFORMED_TX", rej)
			}
		})
	}
}

// TestPeekSigner: PeekSigner reads the signer Parse reads, and refuses what
// it cannot read with the code Parse gives the same bytes.
func TestPeekSigner(t *testing.T) {
	seed := sha256.Sum256([]byte("peek signer"))
	key := ed25519.NewKeyFromSeed(seed[:])
	signer := ledger.NewAddress("HK", key.Public().(ed25519.PublicKey))
	raw, _, err := Sign(&txpb.Body{ChainId: verifyChain, ExpiryHeight: 10, Signer: signer.String(),
		Msg: &txpb.Body_RegisterAccount{RegisterAccount: &txpb.RegisterAccount{Account: signer.String()}}}, key)
	if err != nil {
		t.Fatal(err)
	}
	if got, rej := PeekSigner(raw); rej != nil || got != signer {
		t.Errorf("PeekSigner = %s, %v; want %s", got, rej, signer)
	}
	badSigner, _, err := Sign(&txpb.Body{ChainId: verifyChain, ExpiryHeight: 10, Signer: "peg1nope"}, key)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		raw  []byte
	}{
		{"garbage", []byte{0xff, 0xff, 0xff}},
		{"oversized", make([]byte, MaxTxSize+1)},
		{"bad signer", badSigner},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, rej := PeekSigner(tc.raw)
			_, want := Parse(tc.raw, verifyChain)
			if rej == nil || want == nil || rej.Code != want.Code {
				t.Errorf("PeekSigner = %v, Parse = %v; want the same code", rej, want)
			}
		})
	}
}
