package coin

import (
	"errors"
	"slices"
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

// repeat is n coins of amount each, with distinct ids.
func repeat(n int, amount uint64) []Coin {
	out := make([]Coin, n)
	for i := range out {
		out[i] = Coin{ID: ledger.CoinID{byte(i >> 8), byte(i)}, Amount: money.FromUint64(amount)}
	}
	return out
}

// apply performs a round of merges on have: each group becomes one coin.
func apply(have []Coin, groups [][]Coin) []Coin {
	spent := map[ledger.CoinID]bool{}
	var out []Coin
	for i, g := range groups {
		var s money.Amount
		for _, c := range g {
			spent[c.ID] = true
			s, _ = s.Add(c.Amount)
		}
		out = append(out, Coin{ID: ledger.CoinID{0xff, byte(i)}, Amount: s})
	}
	for _, c := range have {
		if !spent[c.ID] {
			out = append(out, c)
		}
	}
	return out
}

func TestMerges(t *testing.T) {
	for _, tc := range []struct {
		name       string
		have       []Coin
		amount     uint64
		maxInputs  int
		wantGroups []int // the size of each group of the first round
		wantRounds int   // rounds until Select succeeds
		wantErr    error
	}{
		{"no merge needed", coins(10, 50, 20), 60, 8, nil, 0, nil},
		{"insufficient", coins(10, 50, 20), 81, 8, nil, 0, ErrInsufficient},
		{"70 coins paying their sum", repeat(70, 100), 7000, 64, []int{64}, 1, nil},
		{"70 coins paying less", repeat(70, 100), 6500, 64, []int{64}, 1, nil},
		{"65 coins, one short", repeat(65, 1), 65, 64, []int{64}, 1, nil},
		{"big coins spare merges", append(repeat(70, 1), coins(1000)...), 1000, 64, nil, 0, nil},
		{"one round of several groups", repeat(200, 1), 200, 64, []int{64, 64, 64}, 1, nil},
		{"two rounds", repeat(30, 1), 30, 4, []int{4, 4, 4, 4, 4, 4, 4, 2}, 2, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			amount := money.FromUint64(tc.amount)
			groups, err := Merges(tc.have, amount, tc.maxInputs)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Merges error = %v, want %v", err, tc.wantErr)
			}
			var sizes []int
			for _, g := range groups {
				sizes = append(sizes, len(g))
			}
			if !slices.Equal(sizes, tc.wantGroups) {
				t.Fatalf("first round's groups = %v, want %v", sizes, tc.wantGroups)
			}
			have, rounds := tc.have, 0
			for ; len(groups) > 0; rounds++ {
				checkGroups(t, have, groups, tc.maxInputs)
				have = apply(have, groups)
				if groups, err = Merges(have, amount, tc.maxInputs); err != nil {
					t.Fatal(err)
				}
			}
			if rounds != tc.wantRounds {
				t.Errorf("rounds = %d, want %d", rounds, tc.wantRounds)
			}
			if _, _, err := Select(have, amount, tc.maxInputs); err != nil && tc.wantErr == nil {
				t.Errorf("after the merges, Select = %v", err)
			}
		})
	}
}

// checkGroups holds a round to its rules: 2 to maxInputs coins a group,
// each coin one of have, none in two groups.
func checkGroups(t *testing.T, have []Coin, groups [][]Coin, maxInputs int) {
	t.Helper()
	exists := map[ledger.CoinID]bool{}
	for _, c := range have {
		exists[c.ID] = true
	}
	for _, g := range groups {
		if len(g) < 2 || len(g) > maxInputs {
			t.Errorf("a group of %d coins, want 2 to %d", len(g), maxInputs)
		}
		for _, c := range g {
			if !exists[c.ID] {
				t.Errorf("coin %x is not held, or is in two groups", c.ID[:2])
			}
			delete(exists, c.ID)
		}
	}
}

func TestMergesAll(t *testing.T) {
	for _, tc := range []struct {
		name       string
		have       []Coin
		maxInputs  int
		wantGroups []int
		wantRounds int
	}{
		{"one coin", coins(5), 64, nil, 0},
		{"no coins", nil, 64, nil, 0},
		{"two coins", coins(5, 7), 64, []int{2}, 1},
		{"130 coins", repeat(130, 3), 64, []int{64, 64, 2}, 2},
		{"smallest first", coins(9, 1, 5, 3), 2, []int{2, 2}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			groups, err := MergesAll(tc.have, tc.maxInputs)
			if err != nil {
				t.Fatal(err)
			}
			var sizes []int
			for _, g := range groups {
				sizes = append(sizes, len(g))
			}
			if !slices.Equal(sizes, tc.wantGroups) {
				t.Fatalf("first round's groups = %v, want %v", sizes, tc.wantGroups)
			}
			have, rounds := tc.have, 0
			for ; len(groups) > 0; rounds++ {
				checkGroups(t, have, groups, tc.maxInputs)
				have = apply(have, groups)
				if groups, err = MergesAll(have, tc.maxInputs); err != nil {
					t.Fatal(err)
				}
			}
			if rounds != tc.wantRounds || len(have) > 1 {
				t.Errorf("%d rounds leave %d coins, want %d rounds and at most one coin", rounds, len(have), tc.wantRounds)
			}
		})
	}
	if _, err := MergesAll(coins(1, 2), 1); err == nil {
		t.Error("MergesAll with one input a transaction: no error")
	}
}
