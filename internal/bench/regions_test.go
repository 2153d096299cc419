package bench

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// TestRunRegionsTiny runs the bench over two regions in this process, half
// of the payments to the other region, and checks that every payment ended
// where it should: committed on its payer's region, each cross-region one
// delivered to its payee's, every account of both regions holding what the
// payments imply, and the network audit clean. It asserts nothing about
// speed.
func TestRunRegionsTiny(t *testing.T) {
	l, err := StartRegions(t.TempDir(), 2, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close(false)
	cfg := DefaultRegionsConfig()
	cfg.Accounts, cfg.Payments, cfg.Mix, cfg.Cross, cfg.Workers, cfg.Batch, cfg.Drain = 2, 20, 0.3, 0.5, 2, 4, 30*time.Second
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := RunRegions(ctx, cfg, l.Targets(), l.Network, testWriter{t})
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	res.WriteText(&text)
	t.Logf("\n%s", text.String())

	if len(res.Regions) != 2 || res.Regions[0].Region != "GB" || res.Regions[1].Region != "HK" {
		t.Fatalf("regions = %+v, want GB and HK", res.Regions)
	}
	// Each region's accounts hold 10 leaves (5 each, one fan-out payment
	// each); HK's came as two transfers from GB.
	if s := res.Setup; s.Mints != 4 || s.FanOutPayments != 4 || s.FanOutLevels != 1 {
		t.Errorf("setup = %+v, want 4 mints and 4 fan-out payments in 1 level", s)
	}
	for _, g := range res.Regions {
		if g.Submission.Submitted != 10 || g.Submission.Admitted != 10 || g.Committed != 10 || g.Uncommitted != 0 {
			t.Errorf("%s: submitted %d, admitted %d, committed %d, uncommitted %d; want 10, 10, 10, 0", g.Region,
				g.Submission.Submitted, g.Submission.Admitted, g.Committed, g.Uncommitted)
		}
		if len(g.Rejected.Admission) != 0 || len(g.Rejected.InBlock) != 0 {
			t.Errorf("%s: rejected = %+v, want none", g.Region, g.Rejected)
		}
		if g.Cross != 5 || g.Delivered != 5 {
			t.Errorf("%s: %d cross-region payments, %d delivered; want 5 and 5", g.Region, g.Cross, g.Delivered)
		}
		// 10 leaves in; 3 payments of 10 keep change (30 %); 10 coins out
		// of which 5 go to the other region, and 5 come from it.
		if b := g.Balances; b.Accounts != 2 || b.Mismatched != 0 || b.UnspentCoins != 13 || b.ExpectedCoins != 13 {
			t.Errorf("%s: balances = %+v, want 2 accounts as expected holding 13 coins", g.Region, b)
		}
	}
	if res.Complete != 20 || res.Undelivered != 0 {
		t.Errorf("complete %d, undelivered %d; want 20 and 0", res.Complete, res.Undelivered)
	}
	if !res.Audit.OK {
		t.Errorf("network audit: %v", res.Audit.Problems)
	}
	if lat := res.CrossLatencyMS; lat.Count != 10 || !(0 < lat.P50 && lat.P50 <= lat.P99 && lat.P99 <= lat.Max) {
		t.Errorf("cross latency = %+v, want 10 ordered figures", lat)
	}
	if lat := res.LocalLatencyMS; lat.Count != 10 || !(0 < lat.P50 && lat.P50 <= lat.P99 && lat.P99 <= lat.Max) {
		t.Errorf("local latency = %+v, want 10 ordered figures", lat)
	}
	if o := res.Overall; o.Payments != 20 || o.Seconds <= 0 {
		t.Errorf("overall = %+v, want 20 payments over a positive time", o)
	}
}

func TestRegionsConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*RegionsConfig)
		want string
	}{
		{"default", func(*RegionsConfig) {}, ""},
		{"cross above 1", func(c *RegionsConfig) { c.Cross = 1.5 }, "cross 1.5"},
		{"cross negative", func(c *RegionsConfig) { c.Cross = -0.1 }, "cross -0.1"},
		{"no relay worker", func(c *RegionsConfig) { c.RelayWorkers = 0 }, "relay workers 0"},
		{"relay interval 0", func(c *RegionsConfig) { c.RelayInterval = 0 }, "relay interval 0s"},
		{"fees", func(c *RegionsConfig) { c.Fees = true }, "fees are not supported"},
		{"bad base config", func(c *RegionsConfig) { c.Accounts = 1 }, "accounts 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultRegionsConfig()
			tc.edit(&c)
			err := c.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate() = %v, want one that says %q", err, tc.want)
			}
		})
	}
}
