package wallet

import (
	"context"
	"log/slog"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/tx/txpb"
)

// BenchmarkCheckoutLatency measures a shop checkout end to end against a
// real node (one validator, this process, SQLite): a payment request is
// created, a wallet of the server pays it and waits for its block, and the
// shop's webhook receiver gets checkout.paid. It reports the p50 and p99 of
// created → committed and created → webhook received, with the server's
// default poll of the chain (DefaultFollowInterval), for a payment from a
// wallet of the server and one from a key it does not hold.
//
//	go test ./internal/wallet -run '^$' -bench CheckoutLatency -benchtime 100x
func BenchmarkCheckoutLatency(b *testing.B) {
	chain := startChain(b)
	ctx := context.Background()
	hook := newReceiver(b, "bench")
	s, err := New(ctx, Config{Database: b.TempDir() + "/wallet.db", Node: chain.Node.APIURL(), Passphrase: []byte(testPassphrase),
		WebhookSecret: "bench", kdf: cheapKDF}, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	defer running(s)()
	if _, err := s.CreateWallet(ctx, "shop", KindShop); err != nil {
		b.Fatal(err)
	}
	payer, err := s.CreateWallet(ctx, "payer", "")
	if err != nil {
		b.Fatal(err)
	}
	chain.Mint(payer.Address, "1000000")
	outside := newKey("bench outside payer")
	mint := chain.Mint(outside.Addr, "1000000")
	change := ledger.NewCoinID(mint, 0)
	left := uint64(1000000)
	// pays are the two ways a customer pays: from a wallet of this server
	// (which looks at the chain as soon as its payment is committed), and
	// from a key it does not hold (found by its poll).
	pays := map[string]func(co Checkout){
		"server-wallet": func(co Checkout) {
			if _, _, err := s.Pay(ctx, "payer", "", PayRequest{URI: co.URI}); err != nil {
				b.Fatal(err)
			}
		},
		"outside-key": func(co Checkout) {
			left -= 100
			rc := chain.Submit(outside, &txpb.Body{Msg: &txpb.Body_Pay{Pay: &txpb.Pay{Token: "gbpt", Inputs: [][]byte{change[:]},
				Outputs: []*txpb.Output{{Owner: co.Address.String(), Amount: "100"}, {Owner: outside.Addr.String(), Amount: strconv.FormatUint(left, 10)}}}}})
			change = ledger.NewCoinID(rc.TxID, 1)
		},
	}
	for _, name := range []string{"server-wallet", "outside-key"} {
		b.Run(name, func(b *testing.B) {
			var committed, received []time.Duration
			for range b.N {
				start := time.Now()
				co, _, err := s.CreateCheckout(ctx, "", CheckoutRequest{Shop: "shop", Token: "gbpt", Amount: "1.00", ExpiresIn: "10m", WebhookURL: hook.srv.URL})
				if err != nil {
					b.Fatal(err)
				}
				pays[name](co)
				committed = append(committed, time.Since(start))
				for !hook.has(co.ID + "." + EventCheckoutPaid) {
					time.Sleep(time.Millisecond)
				}
				received = append(received, time.Since(start))
			}
			b.StopTimer()
			report(b, "committed", committed)
			report(b, "webhook", received)
		})
	}
}

// report adds the p50 and p99 of ds to b's results.
func report(b *testing.B, name string, ds []time.Duration) {
	slices.Sort(ds)
	b.ReportMetric(float64(ds[len(ds)/2].Milliseconds()), name+"-p50-ms")
	b.ReportMetric(float64(ds[min(len(ds)-1, len(ds)*99/100)].Milliseconds()), name+"-p99-ms")
}
