package trade

import (
	"crypto/ed25519"
	"crypto/sha256"
	"strings"
	"testing"
	"time"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
)

func addr(name string) ledger.Address {
	seed := sha256.Sum256([]byte(name))
	return ledger.NewAddress("GB", ed25519.NewKeyFromSeed(seed[:]).Public().(ed25519.PublicKey))
}

var (
	buyer, seller, arbiter, other = addr("buyer"), addr("seller"), addr("arbiter"), addr("other")
	hour                          = int64(time.Hour)
)

func units(n uint64) money.Amount { return money.FromUint64(n) }

func rules() Rules {
	return Rules{MaxRounds: 2, MaxVersionOpen: 72 * time.Hour, Limits: []Limit{{Token: "gbpt", Max: units(1500)}, {Token: "usdx", Max: units(10)}}}
}

// terms are terms proposed at block time now.
func terms(now int64) Terms {
	return Terms{Description: "tea", Token: "gbpt", Amount: units(1000), Delivery: "FOB", PaymentRule: RuleConfirmation,
		ConfirmWindow: 48 * time.Hour, Expires: now + hour, FundBy: now + 2*hour, ShipBy: now + 24*hour, Arbiter: arbiter}
}

func code(r *ledger.Rejection) ledger.Code {
	if r == nil {
		return ledger.OK
	}
	return r.Code
}

func TestRulesValidate(t *testing.T) {
	for _, c := range []struct {
		name string
		edit func(*Rules)
		want string
	}{
		{"good", func(*Rules) {}, ""},
		{"no rounds", func(r *Rules) { r.MaxRounds = 0 }, ""},
		{"too many rounds", func(r *Rules) { r.MaxRounds = MaxRoundsLimit + 1 }, "max_rounds"},
		{"open too short", func(r *Rules) { r.MaxVersionOpen = time.Second }, "max_version_open"},
		{"open too long", func(r *Rules) { r.MaxVersionOpen = MaxVersionOpenLimit + time.Second }, "max_version_open"},
		{"no tokens", func(r *Rules) { r.Limits = nil }, "tokens"},
		{"zero limit", func(r *Rules) { r.Limits[0].Max = money.Amount{} }, "above zero"},
		{"out of order", func(r *Rules) { r.Limits[0], r.Limits[1] = r.Limits[1], r.Limits[0] }, "strict order"},
		{"twice", func(r *Rules) { r.Limits[1].Token = "gbpt" }, "strict order"},
	} {
		r := rules()
		c.edit(&r)
		err := r.Validate()
		if (err == nil) != (c.want == "") || (err != nil && !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%s: got %v, want %q", c.name, err, c.want)
		}
	}
	r := rules()
	if l, ok := r.LimitOf("usdx"); !ok || l != units(10) {
		t.Errorf("LimitOf(usdx) = %s, %v", l, ok)
	}
	if _, ok := r.LimitOf("eurt"); ok {
		t.Error("LimitOf(eurt) found a limit the rules do not set")
	}
}

func TestCheckTerms(t *testing.T) {
	now := int64(1000) * hour
	for _, c := range []struct {
		name string
		edit func(*Terms)
		want ledger.Code
	}{
		{"good", func(*Terms) {}, ledger.OK},
		{"token not traded", func(x *Terms) { x.Token = "eurt" }, ledger.CodeTradeTokenNotAllowed},
		{"expired already", func(x *Terms) { x.Expires = now }, ledger.CodeTradeDeadline},
		{"open too long", func(x *Terms) { x.Expires = now + 73*hour; x.FundBy, x.ShipBy = x.Expires, x.Expires }, ledger.CodeTradeDeadline},
		{"open exactly the most", func(x *Terms) { x.Expires = now + 72*hour; x.FundBy, x.ShipBy = x.Expires, x.Expires }, ledger.OK},
		{"fund before expiry", func(x *Terms) { x.FundBy = x.Expires - 1 }, ledger.CodeTradeDeadline},
		{"ship before fund", func(x *Terms) { x.ShipBy = x.FundBy - 1 }, ledger.CodeTradeDeadline},
		{"ship too far", func(x *Terms) { x.ShipBy = now + int64(MaxHorizon) + 1 }, ledger.CodeTradeDeadline},
	} {
		x := terms(now)
		c.edit(&x)
		if got := code(CheckTerms(x, rules(), now)); got != c.want {
			t.Errorf("%s: got %s, want %s", c.name, got, c.want)
		}
	}
}

func offered(now int64) *Trade {
	return &Trade{ID: ledger.TxID{1}, Buyer: buyer, Seller: seller, State: Offered,
		Versions: []Version{{N: 1, By: buyer, Time: now, Terms: terms(now)}}}
}

// TestNext walks the table's checks in order, with the code each refusal
// gives.
func TestNext(t *testing.T) {
	now := int64(1000) * hour
	for _, c := range []struct {
		name   string
		edit   func(*Trade)
		step   Step
		signer ledger.Address
		at     int64
		want   ledger.Code
		to     State
	}{
		{"counter by the other party", nil, Counter, seller, now, ledger.OK, Offered},
		{"counter by the proposer", nil, Counter, buyer, now, ledger.CodeTradeWrongParty, ""},
		{"counter by a stranger", nil, Counter, other, now, ledger.CodeTradeNotParty, ""},
		{"counter by the arbiter", nil, Counter, arbiter, now, ledger.CodeTradeNotParty, ""},
		{"counter after expiry", nil, Counter, seller, now + hour + 1, ledger.CodeTradeLapsed, ""},
		{"accept at expiry", nil, Accept, seller, now + hour, ledger.OK, Accepted},
		{"accept after expiry", nil, Accept, seller, now + hour + 1, ledger.CodeTradeLapsed, ""},
		{"fund an offer", nil, Fund, buyer, now, ledger.CodeTradeWrongState, ""},
		{"cancel an offer", nil, Cancel, seller, now, ledger.OK, Cancelled},
		{"cancel a lapsed offer", nil, Cancel, buyer, now + 5*hour, ledger.OK, Cancelled},
		{"seller answers the seller's version", func(x *Trade) {
			x.Versions = append(x.Versions, Version{N: 2, By: seller, Terms: terms(now)})
		}, Accept, buyer, now, ledger.OK, Accepted},
		{"fund by the seller", func(x *Trade) { x.State = Accepted }, Fund, seller, now, ledger.CodeTradeWrongParty, ""},
		{"fund late", func(x *Trade) { x.State = Accepted }, Fund, buyer, now + 2*hour + 1, ledger.CodeTradeLapsed, ""},
		{"cancel before fund_by", func(x *Trade) { x.State = Accepted }, Cancel, buyer, now + 2*hour, ledger.CodeTradeNotDue, ""},
		{"cancel after fund_by", func(x *Trade) { x.State = Accepted }, Cancel, seller, now + 2*hour + 1, ledger.OK, Cancelled},
		{"refund before ship_by", func(x *Trade) { x.State = Funded }, Cancel, buyer, now + 24*hour, ledger.CodeTradeNotDue, ""},
		{"refund by the seller", func(x *Trade) { x.State = Funded }, Cancel, seller, now + 25*hour, ledger.CodeTradeWrongParty, ""},
		{"refund after ship_by", func(x *Trade) { x.State = Funded }, Cancel, buyer, now + 25*hour, ledger.OK, Refunded},
		{"ship late", func(x *Trade) { x.State = Funded }, Ship, seller, now + 25*hour, ledger.CodeTradeLapsed, ""},
		{"settle before the rule", func(x *Trade) { x.State, x.ConfirmBy = Shipped, now+hour }, Settle, other, now, ledger.CodeTradeRuleNotMet, ""},
		{"settle after the window", func(x *Trade) { x.State, x.ConfirmBy = Shipped, now+hour }, Settle, other, now + hour + 1, ledger.OK, Settled},
		{"settle on documents", func(x *Trade) {
			x.State, x.ConfirmBy = Shipped, now+hour
			x.Versions[0].Terms.PaymentRule = RuleDocuments
		}, Settle, other, now, ledger.OK, Settled},
		{"dispute after the window", func(x *Trade) { x.State, x.ConfirmBy = Shipped, now+hour }, Dispute, buyer, now + hour + 1, ledger.CodeTradeLapsed, ""},
		{"settle confirmed", func(x *Trade) { x.State = Confirmed }, Settle, other, now, ledger.OK, Settled},
		{"resolve by the arbiter", func(x *Trade) { x.State = Disputed }, Resolve, arbiter, now, ledger.OK, Resolved},
		{"resolve by the buyer", func(x *Trade) { x.State = Disputed }, Resolve, buyer, now, ledger.CodeTradeNotParty, ""},
		{"settle twice", func(x *Trade) { x.State = Settled }, Settle, other, now, ledger.CodeTradeClosed, ""},
	} {
		x := offered(now)
		if c.edit != nil {
			c.edit(x)
		}
		tr, rej := Next(x, c.step, c.signer, c.at)
		if got := code(rej); got != c.want || (rej == nil && tr.To != c.to) {
			t.Errorf("%s: got %s (to %s), want %s (to %s)", c.name, got, tr.To, c.want, c.to)
		}
	}
}

func TestStatusAndPosition(t *testing.T) {
	now := int64(1000) * hour
	a, b, c := offered(now), offered(now), offered(now)
	b.ID, c.ID = ledger.TxID{2}, ledger.TxID{3}
	b.State = Accepted
	c.State = Funded
	c.Versions[0].Terms.Token = "usdx"
	if a.Until() != now+hour || b.Until() != now+2*hour || c.Until() != 0 {
		t.Errorf("until: %d %d %d", a.Until(), b.Until(), c.Until())
	}
	var p Position
	for _, x := range []*Trade{c, b, a} {
		p = p.Put(HoldingOf(x), now)
	}
	if p[0].Trade != a.ID || p[2].Trade != c.ID {
		t.Errorf("the position is not in trade id order: %+v", p)
	}
	if got := p.Held("gbpt", ledger.TxID{}, now); got != units(2000) {
		t.Errorf("position: got %s, want 2000", got)
	}
	if got := p.Held("gbpt", a.ID, now); got != units(1000) {
		t.Errorf("position without a: got %s, want 1000", got)
	}
	// Past a's expiry it lapses; b lapses only past its fund_by; c, funded, never.
	if got := p.Held("gbpt", ledger.TxID{}, now+hour+1); got != units(1000) || a.StatusAt(now+hour+1) != Lapsed {
		t.Errorf("position after a lapsed: got %s (a %s), want 1000", got, a.StatusAt(now+hour+1))
	}
	if got := p.Held("gbpt", ledger.TxID{}, now+2*hour+1); !got.IsZero() || b.StatusAt(now+2*hour+1) != Lapsed {
		t.Errorf("position after both lapsed: got %s", got)
	}
	if got := p.Open(now + 2*hour + 1); len(got) != 1 || got[0].Trade != c.ID {
		t.Errorf("open after both lapsed: %+v", got)
	}
	// Writing it drops what lapsed; a counter-offer's holding replaces the last.
	b.Versions[0].Terms.Amount = units(700)
	if got := p.Put(HoldingOf(b), now+hour+1); len(got) != 2 || got.Held("gbpt", ledger.TxID{}, now+hour+1) != units(700) {
		t.Errorf("after the counter-offer: %+v", got)
	}
	if got := p.Drop(c.ID, now); len(got) != 2 || got.Held("usdx", ledger.TxID{}, now) != (money.Amount{}) {
		t.Errorf("after dropping c: %+v", got)
	}
	format := func(x money.Amount) string { return x.String() }
	if rej := CheckPosition("the buyer", units(1000), units(500), units(1500), format); rej != nil {
		t.Errorf("exactly at the limit: %v", rej)
	}
	rej := CheckPosition("the buyer", units(1000), units(600), units(1500), format)
	if code(rej) != ledger.CodeTradePositionLimit || !strings.Contains(rej.Message, "by 100") {
		t.Errorf("over the limit: got %v, want TRADE_POSITION_LIMIT by 100", rej)
	}
}

func TestHeldAndHash(t *testing.T) {
	x := offered(0)
	x.Funded, x.Released, x.Refunded = units(200), units(150), units(30)
	if got := x.Held(); got != units(20) {
		t.Errorf("held: got %s, want 20", got)
	}
	x.Refunded = units(60)
	defer func() {
		if recover() == nil {
			t.Error("Held of a trade that paid out more than it was funded did not panic")
		}
	}()
	x.Held()
}

func TestHashText(t *testing.T) {
	h := Hash(sha256.Sum256([]byte("bill of lading")))
	b, _ := h.MarshalText()
	var back Hash
	if err := back.UnmarshalText(b); err != nil || back != h {
		t.Errorf("round trip: got %x, %v", back, err)
	}
	if err := back.UnmarshalText([]byte("abcd")); err == nil {
		t.Error("a short hash decoded")
	}
	if _, err := ParsePaymentRule("cash"); err == nil {
		t.Error("an unknown payment rule parsed")
	}
}
