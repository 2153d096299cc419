package credit

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
)

const hour = int64(time.Hour)

var params = Params{Cap: money.FromUint64(10_000), Base: money.FromUint64(1_000), RepaidPermille: 500, VolumePermille: 100,
	LatePermille: 1000, Window: 90 * 24 * time.Hour, Term: 30 * 24 * time.Hour, Grace: 7 * 24 * time.Hour}

func id(n byte) ledger.TxID { return ledger.TxID{n} }

func amt(v uint64) money.Amount { return money.FromUint64(v) }

// TestWorkedExample is the example docs/transactions.md publishes.
func TestWorkedExample(t *testing.T) {
	now := int64(100 * 24 * hour)
	r := &Record{Repaid: []Entry{
		{Time: 5 * 24 * hour, Amount: amt(4_000)},              // outside the 90-day window
		{Time: 20 * 24 * hour, Amount: amt(2_000)},             // on time
		{Time: 40 * 24 * hour, Amount: amt(1_000), Late: true}, // late
		{Time: 60 * 24 * hour, Amount: amt(3_000)},             // on time
	}}
	volume := []Entry{{Time: 50 * 24 * hour, Amount: amt(6_000)}}
	// 1000 + (2000+3000)×0.5 + 6000×0.1 − 1000×1.0 = 3100
	if got := Limit(params, r, volume, now); got != amt(3_100) {
		t.Fatalf("limit %s, want 3100", got)
	}
	r.Borrow(id(1), now-40*24*hour, amt(500)) // due 40 days ago: past grace
	if got := Limit(params, r, volume, now); !got.IsZero() {
		t.Fatalf("limit %s in default, want 0", got)
	}
	if rest, late := r.Repay(id(1), amt(500), now, params.Window); !rest.IsZero() || !late {
		t.Fatalf("repay: rest %s late %v", rest, late)
	}
	// Cured; the late 500 counts against the record: 3100 − 500.
	if got := Limit(params, r, volume, now); got != amt(2_600) {
		t.Fatalf("limit after the cure %s, want 2600", got)
	}
}

func TestCheckNamesLimitAndExcess(t *testing.T) {
	f := func(a money.Amount) string { return a.String() }
	for _, c := range []struct {
		name                                string
		amount, line, lineOwed, limit, owed uint64
		want                                ledger.Code
		excess                              string
	}{
		{"within both", 100, 500, 400, 1000, 900, ledger.OK, ""},
		{"over the line", 101, 500, 400, 1000, 0, ledger.CodeCreditOverLine, "by 1:"},
		{"no line", 10, 0, 0, 1000, 0, ledger.CodeCreditOverLine, "by 10:"},
		{"over the node", 100, 1000, 0, 1000, 950, ledger.CodeCreditOverNodeLimit, "by 50:"},
		{"the line first", 100, 50, 0, 10, 0, ledger.CodeCreditOverLine, "by 50:"},
	} {
		t.Run(c.name, func(t *testing.T) {
			rej := Check(amt(c.amount), amt(c.line), amt(c.lineOwed), amt(c.limit), amt(c.owed), f)
			got := ledger.OK
			if rej != nil {
				got = rej.Code
				if !strings.Contains(rej.Message, c.excess) {
					t.Errorf("message %q does not say %q", rej.Message, c.excess)
				}
			}
			if got != c.want {
				t.Fatalf("got %s, want %s", got, c.want)
			}
		})
	}
}

func TestParamsValidate(t *testing.T) {
	if err := params.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, change := range map[string]func(*Params){
		"no cap":         func(p *Params) { p.Cap = money.Amount{} },
		"base above cap": func(p *Params) { p.Base = amt(20_000) },
		"share":          func(p *Params) { p.RepaidPermille = 1001 },
		"short window":   func(p *Params) { p.Window = time.Minute },
		"long term":      func(p *Params) { p.Term = MaxTerm + time.Hour },
		"negative grace": func(p *Params) { p.Grace = -time.Hour },
	} {
		p := params
		change(&p)
		if p.Validate() == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// randomRecord builds a record of repayments and open debts at times before now.
func randomRecord(rng *rand.Rand, now int64) (*Record, []Entry) {
	r := &Record{}
	for range rng.IntN(20) {
		r.Repaid = append(r.Repaid, Entry{Time: now - rng.Int64N(200*24*hour), Amount: amt(rng.Uint64N(5_000)), Late: rng.IntN(3) == 0})
	}
	sortEntries(r.Repaid)
	for i := range rng.IntN(3) {
		r.Borrow(id(byte(i+1)), now+rng.Int64N(60*24*hour)-20*24*hour, amt(1+rng.Uint64N(1_000)))
	}
	var vol []Entry
	for range rng.IntN(10) {
		vol = append(vol, Entry{Time: now - rng.Int64N(200*24*hour), Amount: amt(rng.Uint64N(50_000))})
	}
	sortEntries(vol)
	return r, vol
}

func sortEntries(es []Entry) {
	for i := 1; i < len(es); i++ {
		for j := i; j > 0 && es[j].Time < es[j-1].Time; j-- {
			es[j], es[j-1] = es[j-1], es[j]
		}
	}
}

// TestLimitProperties: never above the cap; monotone in on-time
// repayments; zero while in default, whatever else the record holds (a
// grant too), and no longer zero on that account once the debt is repaid;
// at least an unexpired grant otherwise.
func TestLimitProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 5_000 {
		now := int64(400*24*hour) + rng.Int64N(hour)
		p := params
		p.Base = amt(rng.Uint64N(p.Cap.Big().Uint64() + 1))
		p.RepaidPermille, p.VolumePermille, p.LatePermille = uint32(rng.IntN(1001)), uint32(rng.IntN(1001)), uint32(rng.IntN(1001))
		r, vol := randomRecord(rng, now)
		if rng.IntN(2) == 0 {
			r.Grant = &Grant{Limit: amt(rng.Uint64N(p.Cap.Big().Uint64() + 1)), Expiry: now + rng.Int64N(2*hour) - hour}
		}
		l := Limit(p, r, vol, now)
		if l.Cmp(p.Cap) > 0 {
			t.Fatalf("case %d: limit %s above the cap %s", i, l, p.Cap)
		}
		d, inDefault := r.Defaulted(p, now)
		if inDefault && !l.IsZero() {
			t.Fatalf("case %d: limit %s in default", i, l)
		}
		if g := r.Grant; g != nil && now < g.Expiry && !inDefault && l.Cmp(g.Limit) < 0 {
			t.Fatalf("case %d: limit %s below the unexpired grant %s", i, l, g.Limit)
		}
		more := &Record{Debts: r.Debts, Grant: r.Grant, Repaid: append(append([]Entry(nil), r.Repaid...), Entry{Time: now, Amount: amt(1 + rng.Uint64N(3_000))})}
		if l2 := Limit(p, more, vol, now); l2.Cmp(l) < 0 {
			t.Fatalf("case %d: an on-time repayment lowered the limit from %s to %s", i, l, l2)
		}
		if inDefault {
			cured := &Record{Debts: append([]Debt(nil), r.Debts...), Repaid: append([]Entry(nil), r.Repaid...), Grant: r.Grant}
			cured.Repay(d.Request, d.Owed, now, p.Window)
			if _, still := cured.Defaulted(p, now); !still && Limit(p, cured, vol, now) != Limit(p, &Record{Repaid: cured.Repaid, Grant: cured.Grant}, vol, now) {
				t.Fatalf("case %d: a cured payer's limit still counts the default", i)
			}
		}
	}
}

func TestRecordBounds(t *testing.T) {
	var es []Entry
	for i := range MaxEntries + 10 {
		es = Book(es, Entry{Time: int64(i), Amount: amt(1)}, int64(i), time.Hour)
	}
	if len(es) != MaxEntries || es[0].Time != 10 {
		t.Fatalf("%d entries from %d, want %d from 10", len(es), es[0].Time, MaxEntries)
	}
	es = Book(es, Entry{Time: 2 * hour, Amount: amt(1)}, 2*hour, time.Hour)
	if len(es) != 1 {
		t.Fatalf("%d entries after the window moved on, want 1", len(es))
	}
}

// TestReservations: a cross-region request holds its amount until its
// Until, inclusive; Release drops it at once; Reserve drops the ones that
// no longer hold; and OpenAt counts the holding ones beside the debts.
func TestReservations(t *testing.T) {
	r := &Record{}
	r.Borrow(id(9), 100*hour, amt(5))
	r.Reserve(id(1), amt(30), 10*hour, 0)
	r.Reserve(id(2), amt(20), 20*hour, 0)
	for _, tc := range []struct {
		now  int64
		held uint64
		open int
	}{{0, 50, 3}, {10 * hour, 50, 3}, {10*hour + 1, 20, 2}, {20 * hour, 20, 2}, {20*hour + 1, 0, 1}} {
		if got := r.ReservedAt(tc.now); got != amt(tc.held) {
			t.Errorf("ReservedAt(%d) = %s, want %d", tc.now, got, tc.held)
		}
		if got := r.OpenAt(tc.now); got != tc.open {
			t.Errorf("OpenAt(%d) = %d, want %d", tc.now, got, tc.open)
		}
	}
	r.Release(id(2))
	if got := r.ReservedAt(0); got != amt(30) {
		t.Fatalf("after releasing 2, ReservedAt(0) = %s, want 30", got)
	}
	r.Reserve(id(3), amt(7), 30*hour, 11*hour) // 1 no longer holds at 11h: dropped
	if len(r.Reserved) != 1 || r.Reserved[0].Request != id(3) {
		t.Fatalf("reservations %+v, want only 3", r.Reserved)
	}
	if got := r.Owed(); got != amt(5) {
		t.Fatalf("owed %s: reservations are not debts", got)
	}
}

// TestCheckLimitAlone: the payer's chain judges the node's limit without
// a line, saying by how much.
func TestCheckLimitAlone(t *testing.T) {
	f := func(a money.Amount) string { return a.String() }
	if rej := CheckLimit(amt(50), amt(100), amt(50), f); rej != nil {
		t.Fatalf("50 owing 50 within 100: %v", rej)
	}
	rej := CheckLimit(amt(51), amt(100), amt(50), f)
	if rej == nil || rej.Code != ledger.CodeCreditOverNodeLimit || !strings.Contains(rej.Message, "by 1:") {
		t.Fatalf("51 owing 50 within 100: %v", rej)
	}
	if rej := CheckLine(amt(10), amt(5), amt(0), f); rej == nil || rej.Code != ledger.CodeCreditOverLine {
		t.Fatalf("10 on a line of 5: %v", rej)
	}
}
