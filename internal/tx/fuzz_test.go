package tx

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/tx/txpb"
)

var updateCorpus = flag.Bool("update-corpus", false, "rewrite the FuzzDecode seed corpus under testdata/fuzz")

const fuzzChain = "peg-fuzz"

// FuzzDecode feeds Decode arbitrary bytes. Decode must never panic, must
// answer with a known code, and a transaction it accepts must keep its id and
// its meaning when its envelope is encoded again and when its body is encoded
// canonically. The seed corpus in testdata/fuzz/FuzzDecode holds valid signed
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
	})
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
	alice, bob := testAddr("alice").String(), testAddr("bob").String()
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
	}
}

func corpusDir() string { return filepath.Join("testdata", "fuzz", "FuzzDecode") }

// encodeCorpusFile writes b in the format of the go command's fuzz corpus.
func encodeCorpusFile(b []byte) []byte {
	return []byte("go test fuzz v1\n[]byte(" + strconv.Quote(string(b)) + ")\n")
}

func decodeCorpusFile(data []byte) ([]byte, error) {
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) != 2 || lines[0] != "go test fuzz v1" {
		return nil, fmt.Errorf("not a one-value corpus file")
	}
	q, ok := strings.CutPrefix(lines[1], "[]byte(")
	if q, ok = strings.CutSuffix(q, ")"); !ok {
		return nil, fmt.Errorf("value is not []byte(...)")
	}
	s, err := strconv.Unquote(q)
	return []byte(s), err
}

// TestFuzzCorpus holds the committed seed corpus to the seeds built above (a
// golden test of the wire encoding) and checks each file gets the code its name
// starts with. -update-corpus rewrites the files.
func TestFuzzCorpus(t *testing.T) {
	seeds := corpusSeeds(t)
	if *updateCorpus {
		if err := os.RemoveAll(corpusDir()); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(corpusDir(), 0o755); err != nil {
			t.Fatal(err)
		}
		for _, s := range seeds {
			if err := os.WriteFile(filepath.Join(corpusDir(), s.name), encodeCorpusFile(s.raw), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	entries, err := os.ReadDir(corpusDir())
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
			data, err := os.ReadFile(filepath.Join(corpusDir(), s.name))
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
			got := "OK"
			if _, rej := Decode(raw, fuzzChain); rej != nil {
				got = rej.Code.Name()
			}
			if got != wantCode {
				t.Errorf("Decode = %s, want %s", got, wantCode)
			}
		})
	}
}
