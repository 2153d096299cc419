package state

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
	"github.com/pegledger/peg/internal/trade"
)

func codecAddr(region ledger.Region, seed byte) ledger.Address {
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize))
	return ledger.NewAddress(region, priv.Public().(ed25519.PublicKey))
}

// codecTrade is a trade with every field set: two versions, a dispute, a
// resolution and three movements.
func codecTrade() *trade.Trade {
	buyer, seller, arbiter := codecAddr("GB", 1), codecAddr("CN-SH", 2), codecAddr("HK", 3)
	terms := trade.Terms{Description: "500 t of wheat, grade 2", DocumentHash: trade.Hash{7}, Token: "gbpt", Amount: money.Max,
		Delivery: "CIF Shanghai", PaymentRule: trade.RuleDocuments, ConfirmWindow: 72 * time.Hour,
		Expires: 1 << 60, FundBy: 1<<60 + 1, ShipBy: 1<<60 + 2, Arbiter: arbiter}
	counter := terms
	counter.Description, counter.Amount, counter.PaymentRule = "", money.FromUint64(1), trade.RuleConfirmation
	pool := TradePool("GB", ledger.TxID{1})
	return &trade.Trade{
		ID: ledger.TxID{1}, Buyer: buyer, Seller: seller, Pool: pool, State: trade.Resolved,
		Versions: []trade.Version{
			{N: 1, By: buyer, TxID: ledger.TxID{1}, Time: -1, Terms: terms},
			{N: 2, By: seller, TxID: ledger.TxID{2}, Time: 5, Terms: counter},
		},
		AcceptedAt: 6, FundedAt: 7, ShippedAt: 8, ConfirmBy: 9, ConfirmedAt: 10, ClosedAt: 11,
		Invoice: trade.Hash{0xaa}, BillOfLading: trade.Hash{0xbb},
		Dispute:    &trade.Claim{By: buyer, TxID: ledger.TxID{3}, Time: 12, Reason: "short by 40 t", Evidence: trade.Hash{0xcc}},
		Resolution: "refund 40 t", PoolCoin: ledger.CoinID{4},
		Funded: money.FromUint64(1000), Released: money.FromUint64(960), Refunded: money.FromUint64(40),
		Movements: []trade.Movement{
			{Step: trade.Fund, TxID: ledger.TxID{5}, Time: 7, From: buyer, To: pool, Amount: money.FromUint64(1000), Coin: ledger.CoinID{5}, Issuance: ledger.TxID{9}},
			{Step: trade.Resolve, TxID: ledger.TxID{6}, Time: 13, From: pool, To: seller, Amount: money.FromUint64(960), Coin: ledger.CoinID{6}, Issuance: ledger.TxID{9}},
			{Step: trade.Resolve, TxID: ledger.TxID{6}, Time: 13, From: pool, To: buyer, Amount: money.FromUint64(40), Coin: ledger.CoinID{7}, Issuance: ledger.TxID{9}},
		},
	}
}

// TestTradeCodec: trade records and positions decode to what was encoded,
// records written as JSON before the binary form are still read, and a
// record cut short, lengthened, of another version or with a bad count
// panics as corrupt.
func TestTradeCodec(t *testing.T) {
	full := codecTrade()
	raw := encodeTrade(full)
	if got := decodeTrade([]byte("k"), raw); !reflect.DeepEqual(got, full) {
		t.Errorf("trade round trip = %+v, want %+v", got, full)
	}
	offered := &trade.Trade{ID: full.ID, Buyer: full.Buyer, Seller: full.Seller, Pool: full.Pool, State: trade.Offered, Versions: full.Versions[:1]}
	offered.Versions[0].Terms.Arbiter = ledger.Address{}
	if got := decodeTrade([]byte("k"), encodeTrade(offered)); !reflect.DeepEqual(got, offered) {
		t.Errorf("an offer's round trip = %+v, want %+v", got, offered)
	}
	old, err := json.Marshal(full)
	if err != nil {
		t.Fatal(err)
	}
	if got := decodeTrade([]byte("k"), old); !reflect.DeepEqual(got, full) {
		t.Errorf("a JSON record = %+v, want %+v", got, full)
	}
	pos := trade.Position{
		{Trade: ledger.TxID{1}, Token: "gbpt", Amount: money.Max, Until: 1 << 62},
		{Trade: ledger.TxID{2}, Token: "hkdt", Amount: money.FromUint64(3)},
	}
	praw := encodePosition(pos)
	if got := decodePosition([]byte("k"), praw); !reflect.DeepEqual(got, pos) {
		t.Errorf("position round trip = %+v, want %+v", got, pos)
	}
	if oldPos, _ := json.Marshal(pos); !reflect.DeepEqual(decodePosition([]byte("k"), oldPos), pos) {
		t.Errorf("a JSON position = %+v, want %+v", decodePosition([]byte("k"), oldPos), pos)
	}
	if len(raw) >= len(old)/2 {
		t.Errorf("the binary record is %d bytes, the JSON one %d: want less than half", len(raw), len(old))
	}
	badFlag := bytes.Clone(raw)
	badFlag[bytes.Index(raw, full.BillOfLading[:])+len(full.BillOfLading)] = 2
	for name, b := range map[string][]byte{
		"cut short":         raw[:len(raw)-1],
		"lengthened":        append(bytes.Clone(raw), 0),
		"another version":   append([]byte{2}, raw[1:]...),
		"empty":             nil,
		"a bad dispute":     badFlag,
		"a bad JSON record": []byte(`{"id":`),
		"position short":    praw[:len(praw)-3],
		"too many holdings": {tradeCodecVersion, trade.MaxOpenTrades + 2},
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if v := recover(); v == nil || !strings.Contains(v.(string), "corrupt") {
					t.Errorf("decoding a record %s: recovered %v, want a corrupt-record panic", name, v)
				}
			}()
			if strings.HasPrefix(name, "position") || strings.HasPrefix(name, "too many") {
				decodePosition([]byte("k"), b)
			} else {
				decodeTrade([]byte("k"), b)
			}
		})
	}
}

// FuzzTradeCodec checks that any bytes either decode as a trade record and
// decode again the same once re-encoded, or panic as a corrupt record; the
// same for positions.
func FuzzTradeCodec(f *testing.F) {
	f.Add(encodeTrade(codecTrade()))
	f.Add(encodePosition(trade.Position{{Trade: ledger.TxID{1}, Token: "gbpt", Amount: money.FromUint64(5), Until: 9}}))
	f.Add([]byte{tradeCodecVersion, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 0 && (b[0] == '{' || b[0] == '[') {
			return // the JSON form, which encoding/json reads
		}
		if tr, ok := decoded(func() *trade.Trade { return decodeTrade([]byte("k"), b) }); ok {
			if again := decodeTrade([]byte("k"), encodeTrade(tr)); !reflect.DeepEqual(again, tr) {
				t.Errorf("a trade re-encoded decodes as %+v, want %+v", again, tr)
			}
		}
		if p, ok := decoded(func() trade.Position { return decodePosition([]byte("k"), b) }); ok {
			if again := decodePosition([]byte("k"), encodePosition(p)); !reflect.DeepEqual(again, p) {
				t.Errorf("a position re-encoded decodes as %+v, want %+v", again, p)
			}
		}
	})
}

// decoded runs fn, telling a corrupt-record panic from success; any other
// panic goes on.
func decoded[T any](fn func() T) (v T, ok bool) {
	defer func() {
		if r := recover(); r != nil {
			if s, isText := r.(string); !isText || !strings.Contains(s, "is corrupt") {
				panic(r)
			}
		}
	}()
	return fn(), true
}
