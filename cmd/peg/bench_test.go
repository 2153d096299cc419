package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pegledger/peg/internal/bench"
)

// TestBenchRegions runs `peg bench --regions 2` with tiny numbers and reads
// its JSON: every payment complete, both regions' balances as planned, the
// network audit clean. It asserts nothing about speed.
func TestBenchRegions(t *testing.T) {
	out := mustPeg(t, t.TempDir(), "bench", "--regions", "2", "--cross", "0.5", "--accounts", "2", "--payments", "20",
		"--batch", "4", "--output", "json")
	var res bench.RegionsResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("decoding %s: %v", out, err)
	}
	if res.Complete != 20 || res.Undelivered != 0 || !res.Audit.OK || len(res.Regions) != 2 {
		t.Fatalf("complete %d, undelivered %d, audit %+v, %d regions; want 20, 0, clean, 2", res.Complete, res.Undelivered,
			res.Audit, len(res.Regions))
	}
	for _, g := range res.Regions {
		if g.Committed != 10 || g.Cross != 5 || g.Delivered != 5 || g.Balances.Mismatched != 0 || g.Balances.Accounts != 2 {
			t.Errorf("%s: %+v, want 10 committed, 5 cross and delivered, 2 accounts as planned", g.Region, g)
		}
	}
}

// TestBenchRegionsUsage: the flags of regions refuse what they cannot do,
// as usage errors, before starting anything.
func TestBenchRegionsUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--regions", "5"}, "--regions 5: want 1"},
		{[]string{"--regions", "0"}, "--regions 0: want 1"},
		{[]string{"--cross", "0.5"}, "--cross and --relay-workers need 2 or more"},
		{[]string{"--regions", "2", "--cross", "2"}, "cross 2: want a fraction from 0 to 1"},
		{[]string{"--regions", "2", "--relay-workers", "0"}, "relay workers 0"},
		{[]string{"--regions", "2", "--fees"}, "fees are not supported across regions"},
		{[]string{"--regions", "2", "--node", "http://127.0.0.1:1"}, "does not load one --node names"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, _, errs := peg(t, t.TempDir(), append([]string{"bench"}, tc.args...)...)
			if code != exitUsage || !strings.Contains(errs, tc.want) {
				t.Fatalf("exit %d, stderr %q; want exit %d saying %q", code, errs, exitUsage, tc.want)
			}
		})
	}
}
