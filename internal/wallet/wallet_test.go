package wallet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/monitor"
	"github.com/pegledger/peg/internal/node/nodetest"
	"github.com/pegledger/peg/internal/tx/txpb"
)

// receiver is a shop's webhook endpoint: it checks each delivery's
// signature, acts on each event id once, and counts every delivery.
type receiver struct {
	secret string
	mu     sync.Mutex
	refuse bool             // answer 503, as a receiver that is down
	seen   map[string]Event // by event id: what the shop acted on
	posts  int              // deliveries acknowledged, repeats included
	srv    *httptest.Server
}

func newReceiver(t testing.TB, secret string) *receiver {
	r := &receiver{secret: secret, seen: map[string]Event{}}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.refuse {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		sig := req.Header.Get(monitor.SignatureHeader)
		var unix int64
		if _, err := fmtSscanTimestamp(sig, &unix); err != nil || sig != monitor.Sign(secret, time.Unix(unix, 0), body) {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var e Event
		if err := json.Unmarshal(body, &e); err != nil || e.ID != req.Header.Get(EventIDHeader) {
			http.Error(w, "bad event", http.StatusBadRequest)
			return
		}
		r.posts++
		if _, dup := r.seen[e.ID]; !dup {
			r.seen[e.ID] = e
		}
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// has reports whether the receiver acted on the event id.
func (r *receiver) has(id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.seen[id]
	return ok
}

func (r *receiver) setRefuse(v bool) {
	r.mu.Lock()
	r.refuse = v
	r.mu.Unlock()
}

// events are the distinct events the receiver acted on, of type typ.
func (r *receiver) events(typ string) []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Event
	for _, e := range r.seen {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

// code is the wallet code of err, or 0.
func code(err error) uint32 {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return 0
}

// running starts s's follower and deliverer; stop ends them and closes s.
func running(s *Service) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	return func() { cancel(); <-done; s.Close() }
}

// TestWallets runs a member institution's day on SQLite and PostgreSQL
// against a real node: a fund platform deposits into a member account
// (idempotently), the balance moves into the wallet as coins from the
// treasury, the customer pays a shop's payment request read from its URI,
// the shop is told once, and every wallet's records name their sources.
// The refusals are precise: a bad or reused idempotency key, an unknown
// wallet, a member balance or coins short of the amount.
func TestWallets(t *testing.T) {
	chain := startChain(t)
	for name, where := range databases(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			const secret = "shop secret"
			hook := newReceiver(t, secret)
			s := newService(t, chain, where(t), secret)
			stop := running(s)
			defer stop()
			carol, err := s.CreateWallet(ctx, "carol", "")
			if err != nil {
				t.Fatal(err)
			}
			shop, err := s.CreateWallet(ctx, "shop", KindShop)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.CreateWallet(ctx, "carol", ""); code(err) != uint32(CodeWalletExists) {
				t.Errorf("a second carol: %v, want WALLET_EXISTS", err)
			}
			treasury, err := s.Wallet(ctx, TreasuryName)
			if err != nil {
				t.Fatal(err)
			}
			chain.Mint(treasury.Address, "100000")

			dep := DepositRequest{Token: "gbpt", Amount: "100.00", Platform: "fundco", Reference: "F-1"}
			d, replayed, err := s.Deposit(ctx, "carol", "dep-1", dep)
			if err != nil || replayed || d.Balance.Amount != "100.00" {
				t.Fatalf("deposit: %+v replayed=%v %v", d, replayed, err)
			}
			again, replayed, err := s.Deposit(ctx, "carol", "dep-1", dep)
			if err != nil || !replayed || again.ID != d.ID || again.Balance.Amount != "100.00" {
				t.Errorf("the same deposit again: %+v replayed=%v %v; want the first answer", again, replayed, err)
			}
			other := dep
			other.Amount = "1000.00"
			if _, _, err := s.Deposit(ctx, "carol", "dep-1", other); code(err) != uint32(CodeIdempotencyReused) {
				t.Errorf("the key with another body: %v, want IDEMPOTENCY_KEY_REUSED", err)
			}
			for _, bad := range []string{"", "has space", string(make([]byte, MaxIdempotencyKeyLen+1))} {
				if _, _, err := s.Deposit(ctx, "carol", bad, dep); code(err) != uint32(CodeBadIdempotencyKey) {
					t.Errorf("key %q: %v, want BAD_IDEMPOTENCY_KEY", bad, err)
				}
			}
			if _, _, err := s.Deposit(ctx, "nobody", "dep-2", dep); code(err) != uint32(CodeUnknownWallet) {
				t.Errorf("deposit to an unknown wallet: %v, want UNKNOWN_WALLET", err)
			}
			if _, _, err := s.Deposit(ctx, "carol", "dep-3", DepositRequest{Token: "gbpt", Amount: "1.001"}); code(err) != uint32(CodeBadRequest) {
				t.Errorf("an amount beyond the token's decimals: %v, want BAD_REQUEST", err)
			}

			if _, _, err := s.Move(ctx, "carol", "", MoveRequest{Token: "gbpt", Amount: "100.01"}); code(err) != uint32(CodeMemberInsufficient) {
				t.Errorf("moving more than the member account holds: %v, want MEMBER_BALANCE_INSUFFICIENT", err)
			}
			m, _, err := s.Move(ctx, "carol", "mv-1", MoveRequest{Token: "gbpt", Amount: "60.00"})
			if err != nil || m.Status != MoveCommitted {
				t.Fatalf("move: %+v %v", m, err)
			}
			m2, replayed, err := s.Move(ctx, "carol", "mv-1", MoveRequest{Token: "gbpt", Amount: "60.00"})
			if err != nil || !replayed || m2.ID != m.ID || m2.Status != MoveCommitted {
				t.Errorf("the same move again: %+v replayed=%v %v", m2, replayed, err)
			}
			v, err := s.View(ctx, "carol")
			if err != nil || len(v.Member) != 1 || v.Member[0].Amount != "40.00" || len(v.Chain) != 1 || v.Chain[0].Amount != "60.00" {
				t.Fatalf("carol after the move: %+v %v; want 40.00 in the member account, 60.00 on chain", v, err)
			}

			co, _, err := s.CreateCheckout(ctx, "", CheckoutRequest{Shop: "shop", Token: "gbpt", Amount: "12.50", Reference: "ORDER-1",
				ExpiresIn: "10m", WebhookURL: hook.srv.URL})
			if err != nil {
				t.Fatal(err)
			}
			p, _, err := s.Pay(ctx, "carol", "pay-1", PayRequest{URI: co.URI})
			if err != nil || p.To != co.Address {
				t.Fatalf("paying the request's URI: %+v %v", p, err)
			}
			paidAgain, replayed, err := s.Pay(ctx, "carol", "pay-1", PayRequest{URI: co.URI})
			if err != nil || !replayed || paidAgain.TxID != p.TxID {
				t.Errorf("the payment retried with its key: %+v replayed=%v %v; want the first payment", paidAgain, replayed, err)
			}
			if _, _, err := s.Pay(ctx, "carol", "pay-1", PayRequest{Token: "gbpt", Amount: "1.00", To: shop.Address.String()}); code(err) != uint32(CodeIdempotencyReused) {
				t.Errorf("the payment's key for another payment: %v, want IDEMPOTENCY_KEY_REUSED", err)
			}
			nodetest.Eventually(t, "the paid webhook", func() bool { return len(hook.events(EventCheckoutPaid)) == 1 })
			e := hook.events(EventCheckoutPaid)[0]
			if e.Checkout.ID != co.ID || e.Checkout.Status != CheckoutPaid || e.Checkout.TxID != p.TxID.String() || e.Checkout.Received.Amount != "12.50" {
				t.Errorf("the paid event: %+v", e)
			}
			got, err := s.ReadCheckout(ctx, co.ID)
			if err != nil || got.Status != CheckoutPaid || got.Height != p.Height {
				t.Errorf("the paid request: %+v %v", got, err)
			}

			if _, _, err := s.Pay(ctx, "carol", "", PayRequest{Token: "gbpt", Amount: "1000.00", To: shop.Address.String()}); code(err) != uint32(CodeInsufficientFunds) {
				t.Errorf("paying more than carol holds: %v, want INSUFFICIENT_FUNDS", err)
			}
			if _, _, err := s.Pay(ctx, "nobody", "", PayRequest{Token: "gbpt", Amount: "1.00", To: shop.Address.String()}); code(err) != uint32(CodeUnknownWallet) {
				t.Errorf("paying from an unknown wallet: %v, want UNKNOWN_WALLET", err)
			}

			nodetest.Eventually(t, "carol's records", func() bool {
				rs, _ := s.Records(ctx, "carol", 0)
				return len(rs) == 3
			})
			rs, _ := s.Records(ctx, "carol", 0)
			// Block time and the server's clock order records; what they are
			// does not depend on it.
			byKind := map[string]Record{}
			for _, r := range rs {
				byKind[r.Source+" "+r.Direction+" "+r.Amount.Amount] = r
			}
			for k, counterparty := range map[string]string{
				SourceChainPayment + " out 12.50": co.Address.String(),
				SourceChainPayment + " in 60.00":  treasury.Address.String(),
				SourceFundDeposit + " in 100.00":  "fundco",
			} {
				if r, ok := byKind[k]; !ok || r.Counterparty != counterparty || r.Wallet != carol.ID {
					t.Errorf("carol's records %+v lack %q with counterparty %s", rs, k, counterparty)
				}
			}
			if sv, err := s.View(ctx, "shop"); err != nil || len(sv.Requests) != 1 || sv.Requests[0].Amount != "12.50" {
				t.Errorf("the shop's view: %+v %v; want 12.50 received by its requests", sv, err)
			}
			shopRecs, _ := s.Records(ctx, "shop", 0)
			if len(shopRecs) != 1 || shopRecs[0].Reference != "ORDER-1" || shopRecs[0].Direction != DirectionIn {
				t.Errorf("the shop's records: %+v", shopRecs)
			}
		})
	}
}

// TestCheckoutUnderpaidThenExpired: a request paid less than its amount is
// underpaid; when its expiry passes in block time it is expired, keeping
// what it received; the shop hears of both.
func TestCheckoutUnderpaidThenExpired(t *testing.T) {
	chain := startChain(t)
	ctx := context.Background()
	hook := newReceiver(t, "s")
	s := newService(t, chain, databases(t)["sqlite"](t), "s")
	defer running(s)()
	if _, err := s.CreateWallet(ctx, "shop", KindShop); err != nil {
		t.Fatal(err)
	}
	co, _, err := s.CreateCheckout(ctx, "", CheckoutRequest{Shop: "shop", Token: "gbpt", Amount: "5.00", Reference: "R",
		ExpiresIn: "10s", WebhookURL: hook.srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	payer := newKey("outside payer")
	mint := chain.Mint(payer.Addr, "200")
	coin := ledger.NewCoinID(mint, 0)
	chain.Submit(payer, &txpb.Body{Msg: &txpb.Body_Pay{Pay: &txpb.Pay{Token: "gbpt", Inputs: [][]byte{coin[:]},
		Outputs: []*txpb.Output{{Owner: co.Address.String(), Amount: "200"}}}}})
	nodetest.Eventually(t, "the underpaid webhook", func() bool { return len(hook.events(EventCheckoutUnderpaid)) == 1 })
	nodetest.Eventually(t, "the expired webhook", func() bool { return len(hook.events(EventCheckoutExpired)) == 1 })
	got, err := s.ReadCheckout(ctx, co.ID)
	if err != nil || got.Status != CheckoutExpired || got.Received.Amount != "2.00" {
		t.Errorf("the request: %+v %v; want expired with 2.00 received", got, err)
	}
	if _, _, err := s.CreateCheckout(ctx, "", CheckoutRequest{Shop: "shop", Token: "gbpt", Amount: "5.00", ExpiresIn: "1s"}); code(err) != uint32(CodeBadRequest) {
		t.Errorf("an expiry of 1s: %v, want BAD_REQUEST", err)
	}
}

// fmtSscanTimestamp reads t=UNIX from a Peg-Signature header.
func fmtSscanTimestamp(sig string, unix *int64) (int, error) {
	return fmt.Sscanf(sig, "t=%d,", unix)
}
