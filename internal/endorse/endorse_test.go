package endorse

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
	erin, frank, grace, minter, owner, other = addr("erin"), addr("frank"), addr("grace"), addr("minter"), addr("owner"), addr("other")
	hour                                     = int64(time.Hour)
)

func policy() Policy {
	return Policy{Threshold: money.FromUint64(1000), Endorsers: []ledger.Address{erin, frank, grace, minter}, Required: 2, Window: 24 * time.Hour}
}

func code(r *ledger.Rejection) ledger.Code {
	if r == nil {
		return ledger.OK
	}
	return r.Code
}

func TestPolicyValidate(t *testing.T) {
	many := make([]ledger.Address, MaxEndorsers+1)
	for i := range many {
		many[i] = addr(strings.Repeat("e", i+1))
	}
	for _, tc := range []struct {
		name   string
		change func(*Policy)
		want   string // a part of the error, "" for none
	}{
		{"valid", func(*Policy) {}, ""},
		{"M equals N", func(p *Policy) { p.Required = 4 }, ""},
		{"M above N", func(p *Policy) { p.Required = 5 }, "5 endorsements required of 4"},
		{"M zero", func(p *Policy) { p.Required = 0 }, "0 endorsements required"},
		{"no endorsers", func(p *Policy) { p.Endorsers = nil }, "0 endorsers"},
		{"too many endorsers", func(p *Policy) { p.Endorsers = many }, "17 endorsers"},
		{"most endorsers", func(p *Policy) { p.Endorsers = many[:MaxEndorsers] }, ""},
		{"endorser twice", func(p *Policy) { p.Endorsers = append(p.Endorsers, frank) }, "named twice"},
		{"zero endorser", func(p *Policy) { p.Endorsers[1] = ledger.Address{} }, "zero address"},
		{"window too short", func(p *Policy) { p.Window = MinWindow - time.Second }, "window"},
		{"window too long", func(p *Policy) { p.Window = MaxWindow + time.Second }, "window"},
		{"shortest window", func(p *Policy) { p.Window = MinWindow }, ""},
		{"zero threshold: every mint", func(p *Policy) { p.Threshold = money.Amount{} }, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := policy()
			tc.change(&p)
			err := p.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("got %v, want no error", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("got %v, want an error with %q", err, tc.want)
			}
		})
	}
}

func TestNeedsAboveThresholdOnly(t *testing.T) {
	p := policy()
	for _, tc := range []struct {
		amount uint64
		want   bool
	}{{1, false}, {999, false}, {1000, false}, {1001, true}} {
		if got := p.Needs(money.FromUint64(tc.amount)); got != tc.want {
			t.Errorf("Needs(%d) = %v, want %v", tc.amount, got, tc.want)
		}
	}
	var none *Policy
	if none.Needs(money.FromUint64(1 << 60)) {
		t.Error("no policy held a mint back")
	}
}

// TestRequestKeepsItsPolicy: a request copies the endorsers, so that a
// policy changed later changes no open request.
func TestRequestKeepsItsPolicy(t *testing.T) {
	p := policy()
	q := p.Open(ledger.TxID{1}, "gbpt", minter, other, money.FromUint64(5000), 7, 10*hour)
	p.Endorsers[0] = other
	p.Required = 1
	if q.Endorsers[0] != erin || q.Required != 2 || q.Deadline != 34*hour || q.StatusAt(0) != Open {
		t.Fatalf("request %+v changed with the policy", q)
	}
}

func TestEndorseChecksInOrder(t *testing.T) {
	open := func() *Request {
		p := policy()
		return p.Open(ledger.TxID{1}, "gbpt", minter, other, money.FromUint64(5000), 7, 0)
	}
	for _, tc := range []struct {
		name   string
		setup  func(*Request)
		signer ledger.Address
		now    int64
		want   ledger.Code
	}{
		{"an endorser", func(*Request) {}, erin, hour, ledger.OK},
		{"not an endorser", func(*Request) {}, other, hour, ledger.CodeNotEndorser},
		{"its own minter", func(*Request) {}, minter, hour, ledger.CodeEndorseOwnRequest},
		{"twice", func(q *Request) { q.Endorse(erin) }, erin, hour, ledger.CodeEndorsedTwice},
		{"just before the deadline", func(*Request) {}, erin, 24*hour - 1, ledger.OK},
		{"at the deadline", func(*Request) {}, erin, 24 * hour, ledger.CodeMintRequestLapsed},
		{"lapsed before not an endorser", func(*Request) {}, other, 25 * hour, ledger.CodeMintRequestLapsed},
		{"executed", func(q *Request) { q.Close(Executed, ledger.TxID{2}, frank, hour, ledger.OK, "") }, grace, hour, ledger.CodeMintRequestClosed},
		{"cancelled after its deadline", func(q *Request) { q.Close(Cancelled, ledger.TxID{2}, minter, hour, ledger.OK, "") }, grace, 30 * hour, ledger.CodeMintRequestClosed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := open()
			tc.setup(q)
			if got := code(q.CheckEndorse(tc.signer, tc.now)); got != tc.want {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestEndorseCompletesAtRequired(t *testing.T) {
	p := policy()
	q := p.Open(ledger.TxID{1}, "gbpt", minter, other, money.FromUint64(5000), 7, 0)
	if q.Endorse(erin) {
		t.Fatal("one endorsement of two completed the request")
	}
	if !q.Endorse(grace) {
		t.Fatal("two endorsements of two did not complete the request")
	}
}

func TestCancelChecks(t *testing.T) {
	for _, tc := range []struct {
		name   string
		signer ledger.Address
		now    int64
		closed bool
		want   ledger.Code
	}{
		{"by its minter", minter, hour, false, ledger.OK},
		{"by the owner", owner, hour, false, ledger.OK},
		{"by an endorser", erin, hour, false, ledger.CodeNotRequestParty},
		{"lapsed", minter, 24 * hour, false, ledger.CodeMintRequestLapsed},
		{"closed", owner, hour, true, ledger.CodeMintRequestClosed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := policy()
			q := p.Open(ledger.TxID{1}, "gbpt", minter, other, money.FromUint64(5000), 7, 0)
			if tc.closed {
				q.Close(Refused, ledger.TxID{2}, erin, hour, ledger.CodeMinterAllowance, "allowance")
			}
			if got := code(q.CheckCancel(tc.signer, owner, tc.now)); got != tc.want {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
		})
	}
}
