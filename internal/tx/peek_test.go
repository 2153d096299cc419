package tx

import (
	"crypto/ed25519"
	"crypto/sha256"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/tx/txpb"
)

// TestPeekNamesEveryKind: for every message of the body's oneof, Peek reads
// the kind Parse gives (where Parse accepts the empty message) and the id
// Sign gives.
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
			if parsed, rej := Parse(raw, verifyChain); rej == nil && parsed.Msg.Kind() != kind {
				t.Errorf("Parse gives kind %q, Peek %q", parsed.Msg.Kind(), kind)
			}
		})
	}
}

// TestPeekRefuses: what Peek cannot read is refused with Parse's codes.
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
		})
	}
}
