package fee

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"math"
	"math/big"
	"slices"
	"testing"

	"pgregory.net/rapid"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
)

// amountOf converts b, failing the test when it does not fit an Amount.
func amountOf(t rapid.TB, b *big.Int) money.Amount {
	t.Helper()
	a, ok := money.FromBig(b)
	if !ok {
		t.Fatalf("amountOf(%s): not an amount", b)
	}
	return a
}

// depositID is the id of the nth deposit: hashed, so that the order of ids
// is not the order of deposits.
func depositID(n int) ledger.TxID {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(n))
	return ledger.TxID(sha256.Sum256(b[:]))
}

// refReleased is floor(A × clamp(now − Start, 0, span) / span), in math/big.
func refReleased(g Grant, now int64) *big.Int {
	span := g.End - g.Start
	d := min(max(now, g.Start), g.End) - g.Start
	r := new(big.Int).Mul(g.Amount.Big(), big.NewInt(d))
	return r.Quo(r, big.NewInt(span))
}

func TestGrantReleased(t *testing.T) {
	span := int64(MaxValidity)
	for _, tc := range []struct {
		name string
		g    Grant
		now  int64
		want money.Amount
	}{
		{"long before the start", Grant{Amount: money.FromUint64(100), Start: 1000, End: 1100}, math.MinInt64, money.Amount{}},
		{"just before the start", Grant{Amount: money.FromUint64(100), Start: 1000, End: 1100}, 999, money.Amount{}},
		{"at the start", Grant{Amount: money.FromUint64(100), Start: 1000, End: 1100}, 1000, money.Amount{}},
		{"one after the start", Grant{Amount: money.FromUint64(100), Start: 1000, End: 1100}, 1001, money.FromUint64(1)},
		{"half way", Grant{Amount: money.FromUint64(100), Start: 1000, End: 1100}, 1050, money.FromUint64(50)},
		{"last instant of the window", Grant{Amount: money.FromUint64(100), Start: 1000, End: 1100}, 1099, money.FromUint64(99)},
		{"at the end", Grant{Amount: money.FromUint64(100), Start: 1000, End: 1100}, 1100, money.FromUint64(100)},
		{"long after the end", Grant{Amount: money.FromUint64(100), Start: 1000, End: 1100}, math.MaxInt64, money.FromUint64(100)},
		{"a third, rounded down", Grant{Amount: money.FromUint64(10), Start: 0, End: 3}, 1, money.FromUint64(3)},
		{"two thirds, rounded down", Grant{Amount: money.FromUint64(10), Start: 0, End: 3}, 2, money.FromUint64(6)},
		{"less than a unit so far", Grant{Amount: money.FromUint64(2), Start: 0, End: 7}, 3, money.Amount{}},
		{"first unit", Grant{Amount: money.FromUint64(2), Start: 0, End: 7}, 4, money.FromUint64(1)},
		{"second unit only at the end", Grant{Amount: money.FromUint64(2), Start: 0, End: 7}, 6, money.FromUint64(1)},
		{"one-nanosecond window, at its start", Grant{Amount: money.FromUint64(5), Start: 10, End: 11}, 10, money.Amount{}},
		{"one-nanosecond window, at its end", Grant{Amount: money.FromUint64(5), Start: 10, End: 11}, 11, money.FromUint64(5)},
		{"largest amount over the longest window, half way", Grant{Amount: money.Max, Start: 0, End: span}, span / 2,
			units(t, "170141183460469231731687303715884105727")},
		{"largest amount over the longest window, last instant", Grant{Amount: money.Max, Start: 0, End: span}, span - 1,
			amountOf(t, refReleased(Grant{Amount: money.Max, Start: 0, End: span}, span-1))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.g.Released(tc.now); got != tc.want {
				t.Fatalf("Released(%d) = %s, want %s", tc.now, got, tc.want)
			}
		})
	}
}

func TestGrantAvailableAndUnspent(t *testing.T) {
	fresh := Grant{Amount: money.FromUint64(100), Start: 1000, End: 1100}
	charged := fresh // charged 30 at 1030 or later
	charged.Spent = money.FromUint64(30)
	for _, tc := range []struct {
		name string
		g    Grant
		now  int64
		want money.Amount
	}{
		{"before the start", fresh, 900, money.Amount{}},
		{"at the start", fresh, 1000, money.Amount{}},
		{"inside the window", fresh, 1040, money.FromUint64(40)},
		{"released no more than spent", charged, 1030, money.Amount{}},
		{"released beyond spent", charged, 1050, money.FromUint64(20)},
		{"last instant of the window", charged, 1099, money.FromUint64(69)},
		{"window closed", charged, 1100, money.Amount{}},
		{"window closed, nothing spent", fresh, 1100, money.Amount{}},
		{"long after", charged, 5000, money.Amount{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.g.Available(tc.now); got != tc.want {
				t.Fatalf("Available(%d) = %s, want %s", tc.now, got, tc.want)
			}
		})
	}
	if got, want := charged.Unspent(), money.FromUint64(70); got != want {
		t.Fatalf("Unspent() = %s, want %s", got, want)
	}
	if got, want := fresh.Unspent(), money.FromUint64(100); got != want {
		t.Fatalf("Unspent() of a fresh grant = %s, want %s", got, want)
	}
}

// panicValue is what f panics with, nil when it returns.
func panicValue(f func()) (v any) {
	defer func() { v = recover() }()
	f()
	return nil
}

// TestGrantAvailablePanicsWhenOverspent: a grant that has spent more than it
// has released breaks an invariant that Charge and block time keep.
func TestGrantAvailablePanicsWhenOverspent(t *testing.T) {
	g := Grant{Deposit: ledger.TxID{7}, Amount: money.FromUint64(100), Start: 1000, End: 1100}
	spent := func(s uint64) Grant { h := g; h.Spent = money.FromUint64(s); return h }
	for _, tc := range []struct {
		name string
		g    Grant
		now  int64
	}{
		{"one more than released", spent(30), 1029},
		{"spent before the start", spent(1), 900},
		{"spent at the start", spent(1), 1000},
		{"spent the whole amount inside the window", spent(100), 1050},
		{"spent beyond the amount", spent(101), 1099},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if v := panicValue(func() { tc.g.Available(tc.now) }); v == nil {
				t.Fatalf("Available(%d) with %s spent of %s released did not panic", tc.now, tc.g.Spent, tc.g.Released(tc.now))
			}
			a := &Account{Grants: []Grant{{Deposit: ledger.TxID{1}, Amount: money.FromUint64(100), Start: 0, End: 2000}, tc.g}}
			if v := panicValue(func() { a.Available(tc.now) }); v == nil {
				t.Fatalf("Account.Available(%d) with an overspent grant did not panic", tc.now)
			}
			if v := panicValue(func() { a.Judge(tc.now, money.FromUint64(10)) }); v == nil {
				t.Fatalf("Judge(%d) with an overspent grant did not panic", tc.now)
			}
		})
	}
	if v := panicValue(func() { spent(30).Available(1030) }); v != nil {
		t.Fatalf("Available(1030) with 30 spent of 30 released panicked: %v", v)
	}
}

func TestGrantAvailablePanicsExactlyWhenOverspent(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		g := drawGrant(t)
		span := g.End - g.Start
		now := g.Start + rapid.Int64Range(-span, span-1).Draw(t, "now") // before or inside the window
		released := refReleased(g, now)
		over := rapid.Bool().Draw(t, "overspent")
		var s *big.Int
		if over {
			if released.Cmp(g.Amount.Big()) >= 0 {
				t.Skip("released all of the amount")
			}
			s = new(big.Int).Add(released, big.NewInt(1+int64(rapid.Uint64Range(0, 1000).Draw(t, "beyond"))))
			s = bigMin(s, g.Amount.Big())
		} else {
			s = new(big.Int).Sub(released, new(big.Int).SetUint64(rapid.Uint64Range(0, 1000).Draw(t, "below")))
			if s.Sign() < 0 {
				s.SetInt64(0)
			}
		}
		g.Spent = amountOf(t, s)
		var got money.Amount
		v := panicValue(func() { got = g.Available(now) })
		switch {
		case over && v == nil:
			t.Fatalf("Available(%d) of %s over [%d, %d) with %s spent of %s released = %s, want a panic", now, g.Amount, g.Start, g.End, g.Spent, released, got)
		case !over && v != nil:
			t.Fatalf("Available(%d) of %s over [%d, %d) with %s spent of %s released panicked: %v", now, g.Amount, g.Start, g.End, g.Spent, released, v)
		case !over && got.Big().Cmp(new(big.Int).Sub(released, s)) != 0:
			t.Fatalf("Available(%d) = %s, want %s − %s", now, got, released, s)
		}
	})
}

func bigMin(x, y *big.Int) *big.Int {
	if x.Cmp(y) < 0 {
		return x
	}
	return y
}

// drawAmount draws amounts of every size up to 128 bits, edges included.
func drawAmount(t *rapid.T, label string) money.Amount {
	switch rapid.IntRange(0, 3).Draw(t, label+" size") {
	case 0:
		return money.FromUint64(rapid.Uint64Range(0, 1000).Draw(t, label))
	case 1:
		return money.FromUint64(rapid.Uint64().Draw(t, label))
	case 2:
		b := new(big.Int).SetUint64(rapid.Uint64().Draw(t, label+" high"))
		b.Lsh(b, 64)
		b.Or(b, new(big.Int).SetUint64(rapid.Uint64().Draw(t, label+" low")))
		return amountOf(t, b)
	}
	return money.Max
}

// drawSpan draws a window's length in nanoseconds, up to MaxValidity.
func drawSpan(t *rapid.T, label string) int64 {
	switch rapid.IntRange(0, 2).Draw(t, label+" scale") {
	case 0:
		return rapid.Int64Range(1, 100).Draw(t, label)
	case 1:
		return rapid.Int64Range(1, 1_000_000).Draw(t, label)
	}
	return rapid.Int64Range(1, int64(MaxValidity)).Draw(t, label)
}

func drawGrant(t *rapid.T) Grant {
	start := rapid.Int64Range(0, 1<<62).Draw(t, "start")
	return Grant{Amount: drawAmount(t, "amount"), Start: start, End: start + drawSpan(t, "span")}
}

// drawTime draws a time before, inside or after g's window.
func drawTime(t *rapid.T, g Grant, label string) int64 {
	span := g.End - g.Start
	switch rapid.SampledFrom([]string{"before", "inside", "after"}).Draw(t, label+" where") {
	case "before":
		return g.Start - rapid.Int64Range(0, span).Draw(t, label)
	case "inside":
		return g.Start + rapid.Int64Range(0, span-1).Draw(t, label)
	}
	return g.End + rapid.Int64Range(0, span).Draw(t, label)
}

func TestGrantReleasedAgreesWithBig(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		g := drawGrant(t)
		now := drawTime(t, g, "now")
		got := g.Released(now)
		want := refReleased(g, now)
		if got.Big().Cmp(want) != 0 {
			t.Fatalf("Released(%d) of %s over [%d, %d) = %s, want %s", now, g.Amount, g.Start, g.End, got, want)
		}
		if got.Cmp(g.Amount) > 0 {
			t.Fatalf("Released(%d) = %s, more than the amount %s", now, got, g.Amount)
		}
		if now >= g.End && got != g.Amount {
			t.Fatalf("Released(%d) at or after the end %d = %s, want the amount %s", now, g.End, got, g.Amount)
		}
		if now <= g.Start && !got.IsZero() {
			t.Fatalf("Released(%d) at or before the start %d = %s, want 0", now, g.Start, got)
		}
		// Rounded down by less than one minor unit: got·span ≤ A·d < (got+1)·span.
		span := big.NewInt(g.End - g.Start)
		exact := new(big.Int).Mul(g.Amount.Big(), big.NewInt(min(max(now, g.Start), g.End)-g.Start))
		low := new(big.Int).Mul(got.Big(), span)
		high := new(big.Int).Add(low, span)
		if low.Cmp(exact) > 0 || exact.Cmp(high) >= 0 {
			t.Fatalf("Released(%d) = %s: %s×%s is not within one unit below %s", now, got, got, span, exact)
		}
		later := now + rapid.Int64Range(0, 2*(g.End-g.Start)).Draw(t, "later")
		if after := g.Released(later); after.Cmp(got) < 0 {
			t.Fatalf("Released(%d) = %s, less than Released(%d) = %s", later, after, now, got)
		}
	})
}

func TestGrantNextRelease(t *testing.T) {
	for _, tc := range []struct {
		name   string
		g      Grant
		now    int64
		want   int64
		wantOK bool
	}{
		{"first unit of a slow grant", Grant{Amount: money.FromUint64(3), Start: 0, End: 10}, 0, 4, true},
		{"second unit of a slow grant", Grant{Amount: money.FromUint64(3), Start: 0, End: 10}, 4, 7, true},
		{"last unit at the end", Grant{Amount: money.FromUint64(3), Start: 0, End: 10}, 7, 0, false},
		{"last unit at the end, from before the start", Grant{Amount: money.FromUint64(1), Start: 0, End: 10}, -5, 0, false},
		{"before the start", Grant{Amount: money.FromUint64(100), Start: 1000, End: 1100}, 0, 1001, true},
		{"the last release before the end", Grant{Amount: money.FromUint64(100), Start: 1000, End: 1100}, 1098, 1099, true},
		{"the last instant of the window", Grant{Amount: money.FromUint64(100), Start: 1000, End: 1100}, 1099, 0, false},
		{"a fast grant releases every nanosecond", Grant{Amount: money.Max, Start: 0, End: 1000}, 500, 501, true},
		{"a fast grant's last release before the end", Grant{Amount: money.Max, Start: 0, End: 1000}, 998, 999, true},
		{"a fast grant's last units at the end", Grant{Amount: money.Max, Start: 0, End: 1000}, 999, 0, false},
		{"several units a nanosecond, last ones at the end", Grant{Amount: money.FromUint64(1000), Start: 0, End: 10}, 9, 0, false},
		{"a one-nanosecond window releases only at its end", Grant{Amount: money.FromUint64(5), Start: 10, End: 11}, 10, 0, false},
		{"at the end", Grant{Amount: money.FromUint64(3), Start: 0, End: 10}, 10, 0, false},
		{"after the end", Grant{Amount: money.FromUint64(3), Start: 0, End: 10}, 11, 0, false},
		{"nothing to release", Grant{Start: 0, End: 10}, 5, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := tc.g.NextRelease(tc.now)
			if got != tc.want || ok != tc.wantOK {
				t.Fatalf("NextRelease(%d) = %d, %t, want %d, %t", tc.now, got, ok, tc.want, tc.wantOK)
			}
		})
	}
}

func TestGrantNextReleaseIsTheFirstRelease(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		g := drawGrant(t)
		now := drawTime(t, g, "now")
		next, ok := g.NextRelease(now)
		// Released only grows, so some time in (now, End) releases more
		// exactly when the window's last instant has released more than now.
		if wantOK := refReleased(g, g.End-1).Cmp(refReleased(g, now)) > 0; ok != wantOK {
			t.Fatalf("NextRelease(%d) of %s over [%d, %d) = %d, %t, want ok %t", now, g.Amount, g.Start, g.End, next, ok, wantOK)
		}
		if !ok {
			if next != 0 {
				t.Fatalf("NextRelease(%d) = %d, false, want 0", now, next)
			}
			return
		}
		was := g.Released(now)
		switch {
		case next <= now:
			t.Fatalf("NextRelease(%d) = %d, not after now", now, next)
		case next >= g.End:
			t.Fatalf("NextRelease(%d) = %d, not before the end %d", now, next, g.End)
		case g.Released(next).Cmp(was) <= 0:
			t.Fatalf("Released(NextRelease(%d) = %d) = %s, not above Released(now) = %s", now, next, g.Released(next), was)
		case g.Released(next-1) != was:
			t.Fatalf("Released(%d) = %s, want Released(%d) = %s: NextRelease(%d) = %d is not the first release", next-1, g.Released(next-1), now, was, now, next)
		}
	})
}

func TestAccountNextRelease(t *testing.T) {
	slow := Grant{Deposit: ledger.TxID{1}, Amount: money.FromUint64(3), Start: 0, End: 10}
	late := Grant{Deposit: ledger.TxID{2}, Amount: money.FromUint64(100), Start: 1000, End: 1100}
	for _, tc := range []struct {
		name   string
		grants []Grant
		now    int64
		want   int64
		wantOK bool
	}{
		{"no grants", nil, 0, 0, false},
		{"one grant", []Grant{slow}, 0, 4, true},
		{"the earlier of two", []Grant{slow, late}, 0, 4, true},
		{"the other once the first has ended", []Grant{slow, late}, 10, 1001, true},
		{"a last unit at the end is no release", []Grant{slow}, 7, 0, false},
		{"the other's release, not the first's last unit", []Grant{slow, late}, 7, 1001, true},
		{"every window ended", []Grant{slow, late}, 1100, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var a Account
			for _, g := range tc.grants {
				a.Deposit(g)
			}
			got, ok := a.NextRelease(tc.now)
			if got != tc.want || ok != tc.wantOK {
				t.Fatalf("NextRelease(%d) = %d, %t, want %d, %t", tc.now, got, ok, tc.want, tc.wantOK)
			}
		})
	}
}

func permutations[E any](s []E) [][]E {
	if len(s) <= 1 {
		return [][]E{slices.Clone(s)}
	}
	var out [][]E
	for i := range s {
		rest := slices.Concat(s[:i], s[i+1:])
		for _, p := range permutations(rest) {
			out = append(out, append([]E{s[i]}, p...))
		}
	}
	return out
}

func TestDepositKeepsChargeOrder(t *testing.T) {
	// In charge order: the earliest end first, then the earliest start, then
	// the smallest deposit id.
	want := []Grant{
		{Deposit: ledger.TxID{3}, Amount: money.FromUint64(10), Start: 100, End: 200},
		{Deposit: ledger.TxID{4}, Amount: money.FromUint64(20), Start: 100, End: 200},
		{Deposit: ledger.TxID{2}, Amount: money.FromUint64(30), Start: 150, End: 200},
		{Deposit: ledger.TxID{1}, Amount: money.FromUint64(40), Start: 100, End: 300},
	}
	for _, order := range permutations(want) {
		var a Account
		for _, g := range order {
			a.Deposit(g)
		}
		if !slices.Equal(a.Grants, want) {
			t.Fatalf("after depositing %v, Grants = %v, want %v", depositIDs(order), depositIDs(a.Grants), depositIDs(want))
		}
		if got, want := a.Deposited, money.FromUint64(100); got != want {
			t.Fatalf("Deposited = %s, want %s", got, want)
		}
		if err := a.CheckBalance(); err != nil {
			t.Fatalf("CheckBalance() = %v, want nil", err)
		}
	}
}

func depositIDs(gs []Grant) []byte {
	ids := make([]byte, len(gs))
	for i, g := range gs {
		ids[i] = g.Deposit[0]
	}
	return ids
}

// twoGrants is an account whose grants release 1 a nanosecond each from 0:
// "short" (100 over [0, 100)) is charged before "long" (1000 over [0, 1000)).
func twoGrants() *Account {
	var a Account
	a.Deposit(Grant{Deposit: ledger.TxID{2}, Amount: money.FromUint64(1000), Start: 0, End: 1000})
	a.Deposit(Grant{Deposit: ledger.TxID{1}, Amount: money.FromUint64(100), Start: 0, End: 100})
	return &a
}

func TestCharge(t *testing.T) {
	for _, tc := range []struct {
		name      string
		now       int64
		fee       uint64
		wantOK    bool
		wantShort uint64 // the short grant's Spent
		wantLong  uint64 // the long grant's Spent
	}{
		{"from the earliest-expiring grant", 50, 30, true, 30, 0},
		{"all the first grant has", 50, 50, true, 50, 0},
		{"spills over to the next", 50, 70, true, 50, 20},
		{"exactly the available", 50, 100, true, 50, 50},
		{"one more than the available", 50, 101, false, 0, 0},
		{"zero fee", 50, 0, true, 0, 0},
		{"nothing released yet", 0, 1, false, 0, 0},
		{"zero fee with nothing released", 0, 0, true, 0, 0},
		{"a closed window gives nothing", 100, 100, true, 0, 100},
		{"a closed window gives nothing, refused", 100, 101, false, 0, 0},
		{"every window closed", 1000, 1, false, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := twoGrants()
			before := twoGrants()
			fee := money.FromUint64(tc.fee)
			avail := a.Available(tc.now)
			if got := a.Charge(tc.now, fee); got != tc.wantOK {
				t.Fatalf("Charge(%d, %s) = %t, want %t", tc.now, fee, got, tc.wantOK)
			}
			if !tc.wantOK {
				if !slices.Equal(a.Grants, before.Grants) || a.Spent != before.Spent || a.Deposited != before.Deposited || a.Expired != before.Expired {
					t.Fatalf("a refused Charge changed the account: %+v, want %+v", *a, *before)
				}
				return
			}
			if got, want := a.Grants[0].Spent, money.FromUint64(tc.wantShort); got != want {
				t.Errorf("short grant's Spent = %s, want %s", got, want)
			}
			if got, want := a.Grants[1].Spent, money.FromUint64(tc.wantLong); got != want {
				t.Errorf("long grant's Spent = %s, want %s", got, want)
			}
			if got := a.Spent; got != fee {
				t.Errorf("Spent = %s, want %s", got, fee)
			}
			wantAvail, _ := avail.Sub(fee)
			if got := a.Available(tc.now); got != wantAvail {
				t.Errorf("Available(%d) after the charge = %s, want %s", tc.now, got, wantAvail)
			}
			if err := a.CheckBalance(); err != nil {
				t.Errorf("CheckBalance() = %v, want nil", err)
			}
		})
	}
}

// TestChargeAfterCharge: what a grant gives later is what it has released
// less all it has given before.
func TestChargeAfterCharge(t *testing.T) {
	a := twoGrants()
	for _, step := range []struct {
		now                 int64
		fee                 uint64
		wantShort, wantLong uint64
	}{
		{50, 50, 50, 0},  // drains the short grant
		{80, 40, 80, 10}, // it has released 30 more
		{80, 70, 80, 80}, // the long grant gives the rest
		{99, 19, 99, 80},
	} {
		if !a.Charge(step.now, money.FromUint64(step.fee)) {
			t.Fatalf("Charge(%d, %d) = false, want true", step.now, step.fee)
		}
		gotShort, gotLong := a.Grants[0].Spent, a.Grants[1].Spent
		if gotShort != money.FromUint64(step.wantShort) || gotLong != money.FromUint64(step.wantLong) {
			t.Fatalf("after Charge(%d, %d), Spent = %s and %s, want %d and %d", step.now, step.fee, gotShort, gotLong, step.wantShort, step.wantLong)
		}
	}
	if got, want := a.Spent, money.FromUint64(179); got != want {
		t.Fatalf("Spent = %s, want %s", got, want)
	}
}

// TestDrainedGrantExpiresItsLastRelease walks a grant one nanosecond at a
// time from before its start, charging all that is available at each: it is
// EXHAUSTED from its last release before the end, and at the end what is
// released only then, Amount − Released(End − 1), expires.
func TestDrainedGrantExpiresItsLastRelease(t *testing.T) {
	low := money.FromUint64(1)
	for _, tc := range []struct {
		name          string
		amount        uint64
		start, end    int64
		exhaustedFrom int64 // the last release before the end; before the start when there is none
		wantExpired   uint64
	}{
		{"slow: releases at 4 and 7, the last unit at the end", 3, 0, 10, 7, 1},
		{"one unit a nanosecond", 100, 1000, 1100, 1099, 1},
		{"several units a nanosecond", 1000, 0, 10, 9, 100},
		{"uneven: 3, 6, then 10 at the end", 10, 0, 3, 2, 4},
		{"a one-unit grant releases only at its end", 1, 0, 10, -1, 1},
		{"a one-nanosecond window releases only at its end", 5, 10, 11, 9, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := Grant{Deposit: ledger.TxID{1}, Amount: money.FromUint64(tc.amount), Start: tc.start, End: tc.end}
			var a Account
			a.Deposit(g)
			for now := tc.start - 1; now < tc.end; now++ {
				avail := a.Available(now)
				if !a.Charge(now, avail) {
					t.Fatalf("Charge(%d, %s) of all that is available = false, want true", now, avail)
				}
				if got := a.Available(now); !got.IsZero() {
					t.Fatalf("Available(%d) after charging all of it = %s, want 0", now, got)
				}
				want := Low
				if now >= tc.exhaustedFrom {
					want = Exhausted
				}
				if got := a.Judge(now, low); got != want {
					t.Fatalf("Judge(%d) after charging all that is available = %s, want %s", now, got, want)
				}
				if _, ok := a.NextRelease(now); ok != (want == Low) {
					t.Fatalf("NextRelease(%d) ok = %t, want %t", now, ok, want == Low)
				}
			}
			released := g.Released(tc.end - 1)
			if a.Spent != released || a.Grants[0].Spent != released {
				t.Fatalf("Spent = %s, the grant's %s, want all released by the last instant, %s", a.Spent, a.Grants[0].Spent, released)
			}
			if got := a.Judge(tc.end, low); got != Expired {
				t.Fatalf("Judge(%d) at the end = %s, want %s", tc.end, got, Expired)
			}
			if got, want := a.Expire(tc.end), money.FromUint64(tc.wantExpired); got != want {
				t.Fatalf("Expire(%d) = %s, want %s", tc.end, got, want)
			}
			if got, want := a.Expired, money.FromUint64(tc.wantExpired); got != want {
				t.Fatalf("Expired = %s, want %s", got, want)
			}
			if err := a.CheckBalance(); err != nil {
				t.Fatalf("CheckBalance() = %v, want nil", err)
			}
		})
	}
}

// TestDrainedGrantExpiresTheRest: a deposit charged all that is available at
// each of some times in its window, its last instant included, has spent
// Released(End − 1) and expires Amount − Released(End − 1), at least one unit,
// by math/big; after each charge it is EXHAUSTED exactly when it releases
// nothing more before the end.
func TestDrainedGrantExpiresTheRest(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		start := testEpoch
		g := Grant{Deposit: depositID(1), Amount: drawDeposit(t), Start: start, End: start + drawWindow(t)}
		var a Account
		a.Deposit(g)
		times := rapid.SliceOfN(rapid.Int64Range(g.Start-1, g.End-1), 0, 20).Draw(t, "times")
		times = append(times, g.End-1)
		slices.Sort(times)
		low := money.FromUint64(rapid.Uint64Range(1, 1000).Draw(t, "low"))
		for _, now := range times {
			avail := a.Available(now)
			if !a.Charge(now, avail) {
				t.Fatalf("Charge(%d, %s) of all that is available = false, want true", now, avail)
			}
			more := refReleased(g, g.End-1).Cmp(refReleased(g, now)) > 0
			want := Exhausted
			if more {
				want = Low
			}
			if got := a.Judge(now, low); got != want {
				t.Fatalf("Judge(%d, %s) of %s over [%d, %d) after charging all that is available = %s, want %s", now, low, g.Amount, g.Start, g.End, got, want)
			}
		}
		released := refReleased(g, g.End-1)
		if a.Spent.Big().Cmp(released) != 0 {
			t.Fatalf("Spent = %s, want all released by the last instant, %s", a.Spent, released)
		}
		want := new(big.Int).Sub(g.Amount.Big(), released)
		if want.Sign() <= 0 {
			t.Fatalf("%s over [%d, %d) releases all of it by %d, before its end", g.Amount, g.Start, g.End, g.End-1)
		}
		if got := a.Expire(g.End); got.Big().Cmp(want) != 0 {
			t.Fatalf("Expire(%d) of %s over [%d, %d) drained = %s, want %s", g.End, g.Amount, g.Start, g.End, got, want)
		}
		if got := a.Judge(g.End, low); got != Expired {
			t.Fatalf("Judge(%d) after expiring = %s, want %s", g.End, got, Expired)
		}
		if err := a.CheckBalance(); err != nil {
			t.Fatalf("CheckBalance() = %v, want nil", err)
		}
	})
}

// threeGrants is a balanced account of three grants ending at 100, 200, 300
// with 40, 0 and 10 spent.
func threeGrants() *Account {
	return &Account{
		Grants: []Grant{
			{Deposit: ledger.TxID{1}, Amount: money.FromUint64(100), Spent: money.FromUint64(40), Start: 0, End: 100},
			{Deposit: ledger.TxID{2}, Amount: money.FromUint64(200), Start: 0, End: 200},
			{Deposit: ledger.TxID{3}, Amount: money.FromUint64(300), Spent: money.FromUint64(10), Start: 0, End: 300},
		},
		Deposited: money.FromUint64(600),
		Spent:     money.FromUint64(50),
	}
}

func TestExpire(t *testing.T) {
	for _, tc := range []struct {
		name     string
		now      int64
		want     uint64
		wantLeft []byte // the deposit ids of the grants left
	}{
		{"no window closed", 99, 0, []byte{1, 2, 3}},
		{"the first window closes", 100, 60, []byte{2, 3}},
		{"two windows closed", 250, 260, []byte{3}},
		{"every window closed", 1000, 550, []byte{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := threeGrants()
			if err := a.CheckBalance(); err != nil {
				t.Fatalf("CheckBalance() before = %v, want nil", err)
			}
			if got, want := a.Expire(tc.now), money.FromUint64(tc.want); got != want {
				t.Fatalf("Expire(%d) = %s, want %s", tc.now, got, want)
			}
			if got := depositIDs(a.Grants); !bytes.Equal(got, tc.wantLeft) {
				t.Fatalf("grants left = %v, want %v", got, tc.wantLeft)
			}
			if got, want := a.Expired, money.FromUint64(tc.want); got != want {
				t.Fatalf("Expired = %s, want %s", got, want)
			}
			if got, want := a.Spent, money.FromUint64(50); got != want {
				t.Fatalf("Spent = %s, want %s", got, want)
			}
			if err := a.CheckBalance(); err != nil {
				t.Fatalf("CheckBalance() after = %v, want nil", err)
			}
			if got := a.Expire(tc.now); !got.IsZero() {
				t.Fatalf("Expire(%d) again = %s, want 0", tc.now, got)
			}
			if got, want := a.Expired, money.FromUint64(tc.want); got != want {
				t.Fatalf("Expired after expiring again = %s, want %s", got, want)
			}
		})
	}
}

func TestJudge(t *testing.T) {
	low := money.FromUint64(10)
	live := Grant{Deposit: ledger.TxID{1}, Amount: money.FromUint64(100), Start: 1000, End: 1100}
	spent := func(g Grant, s uint64) Grant { g.Spent = money.FromUint64(s); return g }
	ended := Grant{Deposit: ledger.TxID{2}, Amount: money.FromUint64(100), Spent: money.FromUint64(20), Start: 0, End: 500}
	for _, tc := range []struct {
		name   string
		grants []Grant
		now    int64
		low    money.Amount
		want   Status
	}{
		{"no grants", nil, 1050, low, Expired},
		{"every window ended, not yet expired", []Grant{ended}, 600, low, Expired},
		{"the last window ends now", []Grant{ended, live}, 1100, low, Expired},
		{"all released before the end spent", []Grant{spent(live, 99)}, 1099, low, Exhausted},
		{"all released spent, more to come", []Grant{spent(live, 50)}, 1050, low, Low},
		{"all released spent, more to come, no low balance", []Grant{spent(live, 50)}, 1050, money.Amount{}, Active},
		{"all spent, another grant releases more", []Grant{spent(live, 99), {Deposit: ledger.TxID{3}, Amount: money.FromUint64(100), Start: 1099, End: 1300}}, 1099, low, Low},
		{"all spent, beside an ended grant", []Grant{ended, spent(live, 99)}, 1099, low, Exhausted},
		{"a one-unit grant releases nothing before its end", []Grant{{Deposit: ledger.TxID{4}, Amount: money.FromUint64(1), Start: 1000, End: 1100}}, 1050, low, Exhausted},
		{"a one-unit grant, before its start", []Grant{{Deposit: ledger.TxID{4}, Amount: money.FromUint64(1), Start: 1000, End: 1100}}, 900, low, Exhausted},
		{"all spent but more than low released at the last instant", []Grant{spent(live, 80)}, 1099, low, Active},
		{"nothing released yet", []Grant{live}, 900, low, Low},
		{"less than low available", []Grant{live}, 1009, low, Low},
		{"exactly low available", []Grant{live}, 1010, low, Active},
		{"more than low available", []Grant{live}, 1050, low, Active},
		{"charged below low", []Grant{spent(live, 45)}, 1050, low, Low},
		{"an ended grant adds nothing", []Grant{ended, spent(live, 45)}, 1050, low, Low},
		{"no low balance, nothing available", []Grant{live}, 900, money.Amount{}, Active},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := &Account{Grants: slices.Clone(tc.grants)}
			if got := a.Judge(tc.now, tc.low); got != tc.want {
				t.Fatalf("Judge(%d, %s) = %s, want %s", tc.now, tc.low, got, tc.want)
			}
		})
	}
}

// balancedAccount has grants live, ended, spent and expired.
func balancedAccount(t *testing.T) *Account {
	t.Helper()
	var a Account
	a.Deposit(Grant{Deposit: ledger.TxID{1}, Amount: money.FromUint64(100), Start: 0, End: 100})
	a.Deposit(Grant{Deposit: ledger.TxID{2}, Amount: money.FromUint64(1000), Start: 0, End: 1000})
	a.Deposit(Grant{Deposit: ledger.TxID{3}, Amount: money.FromUint64(5000), Start: 50, End: 2000})
	if !a.Charge(80, money.FromUint64(150)) {
		t.Fatalf("Charge(80, 150) = false, want true")
	}
	a.Expire(100)
	if err := a.CheckBalance(); err != nil {
		t.Fatalf("CheckBalance() of the untouched account = %v, want nil", err)
	}
	return &a
}

func TestCheckBalanceDetectsBrokenAccount(t *testing.T) {
	one := money.FromUint64(1)
	plusOne := func(x *money.Amount) { *x, _ = x.Add(one) }
	minusOne := func(x *money.Amount) { *x, _ = x.Sub(one) }
	for _, tc := range []struct {
		name string
		edit func(a *Account)
	}{
		{"spent raised", func(a *Account) { plusOne(&a.Spent) }},
		{"spent lowered", func(a *Account) { minusOne(&a.Spent) }},
		{"expired raised", func(a *Account) { plusOne(&a.Expired) }},
		{"deposited lowered", func(a *Account) { minusOne(&a.Deposited) }},
		{"a grant's spent raised alone", func(a *Account) { plusOne(&a.Grants[0].Spent) }},
		{"a grant's amount raised", func(a *Account) { plusOne(&a.Grants[1].Amount) }},
		{"a grant dropped without expiring", func(a *Account) { a.Grants = a.Grants[1:] }},
		{"a grant spent beyond its amount, totals kept", func(a *Account) {
			g := &a.Grants[0]
			over, _ := g.Amount.Sub(g.Spent)
			plusOne(&over)
			g.Spent, _ = g.Spent.Add(over)
			a.Spent, _ = a.Spent.Add(over)
			a.Deposited, _ = a.Deposited.Add(over)
		}},
		{"a grant with an empty window", func(a *Account) { a.Grants[0].End = a.Grants[0].Start }},
		{"a grant with a reversed window", func(a *Account) { a.Grants[0].End = a.Grants[0].Start - 1 }},
		{"totals that overflow", func(a *Account) { a.Spent = money.Max }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := balancedAccount(t)
			tc.edit(a)
			if err := a.CheckBalance(); err == nil {
				t.Fatalf("CheckBalance() of %+v = nil, want an error", *a)
			}
		})
	}
}

// testEpoch is a block time in 2023; the property tests' times stay within
// int64 from there.
const testEpoch = int64(1_700_000_000_000_000_000)

// maxTestGrants stands for a policy's MaxGrants.
const maxTestGrants = 8

// drawStep draws how far block time moves, from not at all to a quarter of
// the longest window.
func drawStep(t *rapid.T) int64 {
	switch rapid.IntRange(0, 4).Draw(t, "step scale") {
	case 0:
		return 0
	case 1:
		return rapid.Int64Range(1, 100).Draw(t, "step")
	case 2:
		return rapid.Int64Range(1, 1_000_000).Draw(t, "step")
	case 3:
		return rapid.Int64Range(1, int64(MinValidity)).Draw(t, "step")
	}
	return rapid.Int64Range(1, int64(MaxValidity)/4).Draw(t, "step")
}

// drawDeposit draws a positive amount of up to 120 bits, so that forty of
// them cannot overflow.
func drawDeposit(t *rapid.T) money.Amount {
	var b *big.Int
	switch rapid.IntRange(0, 2).Draw(t, "deposit size") {
	case 0:
		b = new(big.Int).SetUint64(rapid.Uint64Range(1, 1000).Draw(t, "deposit"))
	case 1:
		b = new(big.Int).SetUint64(rapid.Uint64Range(1, math.MaxUint64).Draw(t, "deposit"))
	default:
		b = new(big.Int).SetUint64(rapid.Uint64Range(0, 1<<56-1).Draw(t, "deposit high"))
		b.Lsh(b, 64)
		b.Or(b, new(big.Int).SetUint64(rapid.Uint64Range(1, math.MaxUint64).Draw(t, "deposit low")))
	}
	return amountOf(t, b)
}

// drawFee draws a fee around what is available: all of it, more, part of it,
// a small one or none.
func drawFee(t *rapid.T, avail *big.Int) money.Amount {
	f := new(big.Int)
	switch rapid.IntRange(0, 4).Draw(t, "fee kind") {
	case 0:
		f.Set(avail)
	case 1:
		f.Add(avail, new(big.Int).SetUint64(rapid.Uint64Range(1, 1000).Draw(t, "fee over")))
	case 2:
		f.SetUint64(rapid.Uint64().Draw(t, "fee high"))
		f.Lsh(f, 64)
		f.Or(f, new(big.Int).SetUint64(rapid.Uint64().Draw(t, "fee low")))
		f.Mod(f, new(big.Int).Add(avail, big.NewInt(1)))
	case 3:
		f.SetUint64(rapid.Uint64Range(1, 1000).Draw(t, "fee"))
	}
	return amountOf(t, f)
}

func drawWindow(t *rapid.T) int64 {
	switch rapid.IntRange(0, 2).Draw(t, "window scale") {
	case 0:
		return rapid.Int64Range(1, 100).Draw(t, "window")
	case 1:
		return rapid.Int64Range(1, 1_000_000).Draw(t, "window")
	}
	return rapid.Int64Range(int64(MinValidity), int64(MaxValidity)).Draw(t, "window")
}

func TestCheckBalanceHoldsAfterRandomOperations(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var a Account
		now := testEpoch
		deposits := 0
		for range rapid.IntRange(1, 40).Draw(t, "steps") {
			now += drawStep(t)
			prev := a
			switch op := rapid.SampledFrom([]string{"deposit", "charge", "expire"}).Draw(t, "op"); op {
			case "deposit":
				a.Expire(now)
				if len(a.Grants) < maxTestGrants {
					deposits++
					a.Deposit(Grant{Deposit: depositID(deposits), Amount: drawDeposit(t), Start: now, End: now + drawWindow(t)})
				}
			case "charge":
				a.Charge(now, drawFee(t, a.Available(now).Big()))
			case "expire":
				a.Expire(now)
			}
			if err := a.CheckBalance(); err != nil {
				t.Fatalf("CheckBalance() at %d = %v, want nil", now, err)
			}
			if a.Deposited.Cmp(prev.Deposited) < 0 || a.Spent.Cmp(prev.Spent) < 0 || a.Expired.Cmp(prev.Expired) < 0 {
				t.Fatalf("a total went down: deposited %s, spent %s, expired %s, were %s, %s, %s",
					a.Deposited, a.Spent, a.Expired, prev.Deposited, prev.Spent, prev.Expired)
			}
		}
	})
}

// refGrant and refAccount are the reference fee account: the rules written
// out in math/big, each grant keeping its own spent, the grants kept in the
// order they were deposited and sorted only when a charge needs it.
type refGrant struct {
	id         ledger.TxID
	amount     *big.Int
	spent      *big.Int
	start, end int64
}

func (g *refGrant) grant() Grant {
	a, _ := money.FromBig(g.amount)
	return Grant{Deposit: g.id, Amount: a, Start: g.start, End: g.end}
}

func (g *refGrant) available(now int64) *big.Int {
	if now >= g.end {
		return new(big.Int)
	}
	r := refReleased(g.grant(), now)
	return r.Sub(r, g.spent)
}

func (g *refGrant) unspent() *big.Int { return new(big.Int).Sub(g.amount, g.spent) }

// releasesBeforeEnd: g releases more after now while its window is open,
// that is by its last instant, End − 1.
func (g *refGrant) releasesBeforeEnd(now int64) bool {
	return now < g.end && refReleased(g.grant(), g.end-1).Cmp(refReleased(g.grant(), now)) > 0
}

type refAccount struct {
	grants                    []*refGrant
	deposited, spent, expired *big.Int
}

func newRefAccount() *refAccount {
	return &refAccount{deposited: new(big.Int), spent: new(big.Int), expired: new(big.Int)}
}

func (r *refAccount) available(now int64) *big.Int {
	sum := new(big.Int)
	for _, g := range r.grants {
		sum.Add(sum, g.available(now))
	}
	return sum
}

func (r *refAccount) unspent() *big.Int {
	sum := new(big.Int)
	for _, g := range r.grants {
		sum.Add(sum, g.unspent())
	}
	return sum
}

func (r *refAccount) deposit(id ledger.TxID, amount money.Amount, start, end int64) {
	r.grants = append(r.grants, &refGrant{id: id, amount: amount.Big(), spent: new(big.Int), start: start, end: end})
	r.deposited.Add(r.deposited, amount.Big())
}

func (r *refAccount) charge(now int64, fee *big.Int) bool {
	if r.available(now).Cmp(fee) < 0 {
		return false
	}
	order := slices.SortedFunc(slices.Values(r.grants), func(x, y *refGrant) int {
		return cmp.Or(cmp.Compare(x.end, y.end), cmp.Compare(x.start, y.start), bytes.Compare(x.id[:], y.id[:]))
	})
	rest := new(big.Int).Set(fee)
	for _, g := range order {
		take := g.available(now)
		if take.Cmp(rest) > 0 {
			take.Set(rest)
		}
		g.spent.Add(g.spent, take)
		rest.Sub(rest, take)
	}
	r.spent.Add(r.spent, fee)
	return true
}

func (r *refAccount) expire(now int64) *big.Int {
	gone := new(big.Int)
	var kept []*refGrant
	for _, g := range r.grants {
		if now >= g.end {
			gone.Add(gone, g.unspent())
		} else {
			kept = append(kept, g)
		}
	}
	r.grants = kept
	r.expired.Add(r.expired, gone)
	return gone
}

// judge follows the statuses' definitions: the live grants are those whose
// window is open at now.
func (r *refAccount) judge(now int64, low money.Amount) Status {
	var live []*refGrant
	for _, g := range r.grants {
		if now < g.end {
			live = append(live, g)
		}
	}
	switch {
	case len(live) == 0:
		return Expired
	case r.available(now).Sign() == 0 && !slices.ContainsFunc(live, func(g *refGrant) bool { return g.releasesBeforeEnd(now) }):
		return Exhausted
	case r.available(now).Cmp(low.Big()) < 0:
		return Low
	}
	return Active
}

// feeMachine drives an Account and the reference through the same steps.
type feeMachine struct {
	t        *rapid.T
	a        Account
	ref      *refAccount
	now      int64
	low      money.Amount
	deposits int
}

func TestAccountAgreesWithReference(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m := &feeMachine{t: t, ref: newRefAccount(), now: testEpoch, low: money.FromUint64(rapid.Uint64Range(0, 1000).Draw(t, "low"))}
		for range rapid.IntRange(1, 40).Draw(t, "steps") {
			m.now += drawStep(t)
			switch op := rapid.SampledFrom([]string{"deposit", "deposit", "charge", "charge", "charge", "expire", "wait"}).Draw(t, "op"); op {
			case "deposit":
				m.deposit()
			case "charge":
				m.charge()
			case "expire":
				m.expire()
			}
			m.compare()
		}
	})
}

func (m *feeMachine) expire() {
	got, want := m.a.Expire(m.now), m.ref.expire(m.now)
	if got.Big().Cmp(want) != 0 {
		m.t.Fatalf("Expire(%d) = %s, want %s", m.now, got, want)
	}
}

func (m *feeMachine) deposit() {
	m.expire() // as the caller does at a grant's start
	if len(m.a.Grants) >= maxTestGrants {
		return
	}
	before := m.availableByGrant()
	m.deposits++
	id, amount, end := depositID(m.deposits), drawDeposit(m.t), m.now+drawWindow(m.t)
	m.a.Deposit(Grant{Deposit: id, Amount: amount, Start: m.now, End: end})
	m.ref.deposit(id, amount, m.now, end)
	for _, g := range m.a.Grants {
		if b, ok := before[g.Deposit]; ok && g.Available(m.now) != b {
			m.t.Fatalf("grant %s: Available(%d) = %s after another's deposit, want %s as before", g.Deposit, m.now, g.Available(m.now), b)
		}
	}
}

func (m *feeMachine) charge() {
	fee := drawFee(m.t, m.ref.available(m.now))
	before := m.availableByGrant()
	spentBefore := map[ledger.TxID]money.Amount{}
	for _, g := range m.a.Grants {
		spentBefore[g.Deposit] = g.Spent
	}
	got, want := m.a.Charge(m.now, fee), m.ref.charge(m.now, fee.Big())
	if got != want {
		m.t.Fatalf("Charge(%d, %s) = %t, want %t", m.now, fee, got, want)
	}
	total := new(big.Int)
	for _, g := range m.a.Grants {
		took, ok := g.Spent.Sub(spentBefore[g.Deposit])
		if !ok || took.Cmp(before[g.Deposit]) > 0 {
			m.t.Fatalf("Charge(%d, %s) took %s from grant %s, which had %s available", m.now, fee, took, g.Deposit, before[g.Deposit])
		}
		total.Add(total, took.Big())
	}
	wantTotal := new(big.Int)
	if got {
		wantTotal = fee.Big()
	}
	if total.Cmp(wantTotal) != 0 {
		m.t.Fatalf("Charge(%d, %s) = %t took %s from the grants, want %s", m.now, fee, got, total, wantTotal)
	}
}

func (m *feeMachine) availableByGrant() map[ledger.TxID]money.Amount {
	avail := map[ledger.TxID]money.Amount{}
	for _, g := range m.a.Grants {
		avail[g.Deposit] = g.Available(m.now)
	}
	return avail
}

func (m *feeMachine) compare() {
	t, a, ref, now := m.t, &m.a, m.ref, m.now
	if len(a.Grants) != len(ref.grants) {
		t.Fatalf("at %d the account has %d grants, want %d", now, len(a.Grants), len(ref.grants))
	}
	byID := map[ledger.TxID]*refGrant{}
	for _, g := range ref.grants {
		byID[g.id] = g
	}
	for i, g := range a.Grants {
		r, ok := byID[g.Deposit]
		switch {
		case !ok:
			t.Fatalf("grant %s is not in the reference", g.Deposit)
		case g.Amount.Big().Cmp(r.amount) != 0 || g.Spent.Big().Cmp(r.spent) != 0 || g.Start != r.start || g.End != r.end:
			t.Fatalf("grant %s = %s spent %s over [%d, %d), want %s spent %s over [%d, %d)",
				g.Deposit, g.Amount, g.Spent, g.Start, g.End, r.amount, r.spent, r.start, r.end)
		case g.Available(now).Big().Cmp(r.available(now)) != 0:
			t.Fatalf("grant %s: Available(%d) = %s, want %s", g.Deposit, now, g.Available(now), r.available(now))
		case i > 0 && cmp.Or(cmp.Compare(a.Grants[i-1].End, g.End), cmp.Compare(a.Grants[i-1].Start, g.Start), bytes.Compare(a.Grants[i-1].Deposit[:], g.Deposit[:])) >= 0:
			t.Fatalf("grants %d and %d are not in charge order: %+v, %+v", i-1, i, a.Grants[i-1], g)
		}
	}
	for _, c := range []struct {
		name string
		got  money.Amount
		want *big.Int
	}{
		{"Available", a.Available(now), ref.available(now)},
		{"Unspent", a.Unspent(), ref.unspent()},
		{"Deposited", a.Deposited, ref.deposited},
		{"Spent", a.Spent, ref.spent},
		{"Expired", a.Expired, ref.expired},
	} {
		if c.got.Big().Cmp(c.want) != 0 {
			t.Fatalf("at %d %s = %s, want %s", now, c.name, c.got, c.want)
		}
	}
	if err := a.CheckBalance(); err != nil {
		t.Fatalf("CheckBalance() at %d = %v, want nil", now, err)
	}
	if got, want := a.Judge(now, m.low), ref.judge(now, m.low); got != want {
		t.Fatalf("Judge(%d, %s) = %s, want %s", now, m.low, got, want)
	}
	m.checkNextRelease()
}

// checkNextRelease: the account's next release is the first time after now
// at which some grant releases more while its window is open, and there is
// one exactly when some grant will release more before its window closes.
func (m *feeMachine) checkNextRelease() {
	t, a, now := m.t, &m.a, m.now
	next, ok := a.NextRelease(now)
	if want := slices.ContainsFunc(m.ref.grants, func(g *refGrant) bool { return g.releasesBeforeEnd(now) }); ok != want {
		t.Fatalf("NextRelease(%d) = %d, %t, want ok %t", now, next, ok, want)
	}
	if !ok {
		return
	}
	if next <= now {
		t.Fatalf("NextRelease(%d) = %d, not after now", now, next)
	}
	grows := false
	for _, g := range a.Grants {
		if now >= g.End {
			continue
		}
		// Nothing more from g in (now, next), nor from next on if its
		// window has closed by then.
		if last := min(next, g.End) - 1; g.Released(last) != g.Released(now) {
			t.Fatalf("grant %s over [%d, %d) releases %s at %d, before NextRelease(%d) = %d", g.Deposit, g.Start, g.End, g.Released(last), last, now, next)
		}
		grows = grows || next < g.End && g.Released(next).Cmp(g.Released(now)) > 0
	}
	if !grows {
		t.Fatalf("NextRelease(%d) = %d, but no grant releases more then while its window is open", now, next)
	}
}
