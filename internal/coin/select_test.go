package coin

import (
	"errors"
	"testing"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
)

func coins(amounts ...uint64) []Coin {
	out := make([]Coin, len(amounts))
	for i, a := range amounts {
		out[i] = Coin{ID: ledger.CoinID{byte(i + 1)}, Amount: money.FromUint64(a)}
	}
	return out
}

func TestSelect(t *testing.T) {
	for _, tc := range []struct {
		name      string
		have      []Coin
		amount    uint64
		maxInputs int
		wantN     int
		wantTotal uint64
		wantErr   error
	}{
		{"exact single", coins(10, 50, 20), 50, 8, 1, 50, nil},
		{"largest first", coins(10, 50, 20), 60, 8, 2, 70, nil},
		{"all coins", coins(10, 50, 20), 80, 8, 3, 80, nil},
		{"insufficient", coins(10, 50, 20), 81, 8, 0, 0, ErrInsufficient},
		{"too many inputs", coins(1, 1, 1, 1), 3, 2, 0, 0, ErrInsufficient},
		{"no coins", nil, 1, 8, 0, 0, ErrInsufficient},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, total, err := Select(tc.have, money.FromUint64(tc.amount), tc.maxInputs)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Select error = %v, want %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			if len(got) != tc.wantN || total != money.FromUint64(tc.wantTotal) {
				t.Fatalf("Select = %d coins worth %s, want %d worth %d", len(got), total, tc.wantN, tc.wantTotal)
			}
		})
	}
}

func TestOutputs(t *testing.T) {
	payer := ledger.NewAddress("GB", make([]byte, 32))
	payee := ledger.NewAddress("GB", append(make([]byte, 31), 1))
	outs, err := Outputs(payer, payee, money.FromUint64(30), money.FromUint64(50))
	if err != nil || len(outs) != 2 || outs[0].Owner != payee || outs[1].Amount != money.FromUint64(20) {
		t.Fatalf("Outputs with change = %+v, %v", outs, err)
	}
	outs, err = Outputs(payer, payee, money.FromUint64(50), money.FromUint64(50))
	if err != nil || len(outs) != 1 {
		t.Fatalf("Outputs exact = %+v, %v", outs, err)
	}
	if _, err := Outputs(payer, payee, money.FromUint64(51), money.FromUint64(50)); !errors.Is(err, ErrInsufficient) {
		t.Fatalf("Outputs short = %v, want ErrInsufficient", err)
	}
}
