package wallet

import (
	"context"
	"testing"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/node/nodetest"
	"github.com/pegledger/peg/internal/tx/txpb"
)

// payFromOutside pays units of gbpt to addr from a key the wallet server
// does not hold, as a customer of another wallet would.
func payFromOutside(chain *testChain, name string, addr ledger.Address, units string) ledger.TxID {
	payer := newKey(name)
	mint := chain.Mint(payer.Addr, units)
	coin := ledger.NewCoinID(mint, 0)
	return chain.Submit(payer, &txpb.Body{Msg: &txpb.Body_Pay{Pay: &txpb.Pay{Token: "gbpt", Inputs: [][]byte{coin[:]},
		Outputs: []*txpb.Output{{Owner: addr.String(), Amount: units}}}}}).TxID
}

// TestWebhookAcrossRestarts: the shop hears of a paid request once, with
// one event id, when the wallet server stops after the payment's commit
// and before the webhook was acknowledged (the receiver was down), and when
// the payment is committed while the server is stopped: a server started
// again on the same database delivers what its outbox holds and follows
// the blocks it missed from the height it had written.
func TestWebhookAcrossRestarts(t *testing.T) {
	chain := startChain(t)
	for name, where := range databases(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			db := where(t)
			hook := newReceiver(t, "k")
			hook.setRefuse(true)
			s := newService(t, chain, db, "k")
			stop := running(s)
			if _, err := s.CreateWallet(ctx, "shop", KindShop); err != nil {
				t.Fatal(err)
			}
			req := CheckoutRequest{Shop: "shop", Token: "gbpt", Amount: "3.00", Reference: "A", ExpiresIn: "10m", WebhookURL: hook.srv.URL}
			first, _, err := s.CreateCheckout(ctx, "", req)
			if err != nil {
				t.Fatal(err)
			}
			req.Reference = "B"
			second, _, err := s.CreateCheckout(ctx, "", req)
			if err != nil {
				t.Fatal(err)
			}
			payFromOutside(chain, "payer a "+name, first.Address, "300")
			nodetest.Eventually(t, "the first request paid, its delivery tried", func() bool {
				ds, _ := s.Deliveries(ctx, first.ID)
				return len(ds) == 1 && ds[0].Attempts > 0 && ds[0].Delivered == nil
			})
			stop()

			// Committed while the server is down.
			payFromOutside(chain, "payer b "+name, second.Address, "300")
			hook.setRefuse(false)
			s = newService(t, chain, db, "k")
			defer running(s)()
			// The receiver acts on an event before the server hears its
			// answer and marks the delivery done, so both are waited for.
			nodetest.Eventually(t, "both webhooks, acknowledged", func() bool {
				if len(hook.events(EventCheckoutPaid)) != 2 {
					return false
				}
				for _, co := range []Checkout{first, second} {
					ds, _ := s.Deliveries(ctx, co.ID)
					if len(ds) != 1 || ds[0].Delivered == nil {
						return false
					}
				}
				return true
			})
			for _, co := range []Checkout{first, second} {
				got, err := s.ReadCheckout(ctx, co.ID)
				if err != nil || got.Status != CheckoutPaid {
					t.Errorf("request %s: %+v %v", co.Reference, got, err)
				}
			}
			hook.mu.Lock()
			posts := hook.posts
			hook.mu.Unlock()
			if posts != 2 {
				t.Errorf("the receiver acknowledged %d deliveries; want 2, one per event", posts)
			}
		})
	}
}

// TestMoveSettledAfterCrash: a move recorded (member account debited, the
// signed payment stored) by a server that stopped before sending it is
// sent and settled by the next start's follower: the coins arrive and the
// debit stands, once.
func TestMoveSettledAfterCrash(t *testing.T) {
	chain := startChain(t)
	ctx := context.Background()
	db := databases(t)["sqlite"](t)
	s := newService(t, chain, db, "")
	treasury, _ := s.Wallet(ctx, TreasuryName)
	chain.Mint(treasury.Address, "10000")
	erin, err := s.CreateWallet(ctx, "erin", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Deposit(ctx, "erin", "d-1", DepositRequest{Token: "gbpt", Amount: "30.00"}); err != nil {
		t.Fatal(err)
	}
	// What Move does before it submits, and then the server stops.
	tok, err := s.token(ctx, "gbpt")
	if err != nil {
		t.Fatal(err)
	}
	amt, _ := s.parseAmount(ctx, "gbpt", "30.00")
	body, err := s.payBody(ctx, treasury, tok, erin.Address, amt)
	if err != nil {
		t.Fatal(err)
	}
	sg, err := s.sign(ctx, treasury, body)
	if err != nil {
		t.Fatal(err)
	}
	m := Move{ID: newID("mv"), Wallet: erin.ID, Amount: s.amount(ctx, "gbpt", amt), TxID: sg.id, Status: MoveSubmitted}
	if err := s.recordMove(ctx, erin, "", "", m, amt, sg); err != nil {
		t.Fatal(err)
	}
	s.Close()

	s = newService(t, chain, db, "")
	defer running(s)()
	nodetest.Eventually(t, "the move settled", func() bool {
		got, err := s.ReadMove(ctx, m.ID)
		return err == nil && got.Status == MoveCommitted
	})
	v, err := s.View(ctx, "erin")
	if err != nil || len(v.Chain) != 1 || v.Chain[0].Amount != "30.00" || len(v.Member) != 1 || v.Member[0].Amount != "0.00" {
		t.Errorf("erin after the settled move: %+v %v; want 30.00 on chain and 0.00 in the member account", v, err)
	}
}
