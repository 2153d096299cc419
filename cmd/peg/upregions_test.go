package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/ledger"
)

// TestUpRegions runs `peg up --regions 2`: two chains, GB and HK, each
// making blocks, with a gateway in front. Through the gateway, GB's issuer
// deploys and alice (GB) pays in GB; a read of bob (HK) is answered by HK;
// a payment from alice to bob leaves GB as an outbound transfer (the relayer
// delivers it: TestCrossRegionTransfers). A second run reuses the
// network, and `peg up` without --regions refuses the home.
func TestUpRegions(t *testing.T) {
	home := t.TempDir()
	base := freePortBlock(t, 2*devPorts+1)
	up := startRegions(t, home, base)
	gw := fmt.Sprintf("http://127.0.0.1:%d", gatewayPort(base, 2))
	gb, hk := filepath.Join(home, "gb"), filepath.Join(home, "hk")
	for _, want := range []string{"peg-local-gb", "peg-local-hk", gw, "A relayer carries"} {
		if !strings.Contains(up.stdout.String(), want) {
			t.Errorf("banner lacks %q:\n%s", want, up.stdout)
		}
	}
	b, err := os.ReadFile(filepath.Join(home, devNetworkFile))
	if err != nil || !strings.Contains(string(b), "peg-local-hk") {
		t.Errorf("network file: %v\n%s", err, b)
	}

	mustPeg(t, gb, "token", "deploy", "--from", "issuer", "--file", "../../examples/gbpt.toml", "--node", gw)
	mustPeg(t, gb, "reserve", "status", "gbpt", "--wait", "OK", "--timeout", "30s", "--node", gw)
	mustPeg(t, gb, "token", "mint", "--from", "minter", "--token", "gbpt", "--to", "alice", "--amount", "1000", "--node", gw)
	mustPeg(t, gb, "pay", "--from", "alice", "--token", "gbpt", "--to", "operator", "--amount", "250.50", "--node", gw)
	if got := balanceOf(t, gb, "alice"); got != "749.5" {
		t.Errorf("alice holds %s on GB, want 749.5", got)
	}

	// bob's region answers for him: at its own API (the CLI home of HK)
	// and through the gateway.
	for _, args := range [][]string{{"--home", hk}, {"--home", gb, "--node", gw}} {
		var bob client.Account
		out := mustPeg(t, args[1], append([]string{"account", "show", "bob", "-o", "json"}, args[2:]...)...)
		if err := json.Unmarshal([]byte(out), &bob); err != nil {
			t.Fatal(err)
		}
		if bob.Region != "HK" || !bob.Registered {
			t.Errorf("bob (%v): %+v, want HK's answer: registered there", args, bob)
		}
	}
	mustPeg(t, gb, "pay", "--from", "alice", "--token", "gbpt", "--to", "bob", "--amount", "1", "--node", gw)
	if got := balanceOf(t, gb, "alice"); got != "748.5" {
		t.Errorf("alice holds %s after paying bob in HK, want 748.5", got)
	}
	up.stop(t)

	code, _, errs := peg(t, home, "up", "--base-port", fmt.Sprint(base))
	if code == exitOK || !strings.Contains(errs, "holds a network of regions") {
		t.Errorf("peg up without --regions: exit %d, stderr %q; want a refusal", code, errs)
	}
	up = startRegions(t, home, base)
	if !strings.Contains(up.stdout.String(), "reusing network of 2 regions") {
		t.Errorf("second run's banner:\n%s", up.stdout)
	}
	if got := balanceOf(t, gb, "alice"); got != "748.5" {
		t.Errorf("alice holds %s after a restart, want 748.5", got)
	}
	up.stop(t)
}

// startRegions starts `peg up --regions 2` and waits for its banner and a
// committed block on each region, through each region's own API.
func startRegions(t *testing.T, home string, base int) *upProcess {
	t.Helper()
	p := startPeg(t, "up", "--home", home, "--base-port", fmt.Sprint(base), "--regions", "2")
	for deadline := time.Now().Add(90 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		ok := strings.Contains(p.stdout.String(), "Peg is up")
		for i, r := range []ledger.Region{"GB", "HK"} {
			st, err := client.New(fmt.Sprintf("http://127.0.0.1:%d", base+i*devPorts+2)).Status(context.Background())
			ok = ok && err == nil && st.Height > 0 && st.Region == r
		}
		if ok {
			return p
		}
		if time.Now().After(deadline) {
			p.cmd.Process.Kill()
			t.Fatalf("peg up --regions 2 did not print its banner and commit a block on each region within 90s\nstdout:\n%s\nstderr:\n%s", p.stdout, p.stderr)
		}
	}
}

// TestGatewayRefuses: `peg gateway` refuses, as usage errors, a network
// file that does not load and a home region that is not a code; `peg up
// --regions` refuses a count out of range and --validators beside it.
func TestGatewayRefuses(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.toml")
	if err := os.WriteFile(bad, []byte("[[region]]\ncode = \"gb\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"missing file", []string{"gateway", "--network", filepath.Join(dir, "none.toml")}, "no such file"},
		{"bad file", []string{"gateway", "--network", bad}, "not an ISO 3166 code"},
		{"bad region", []string{"gateway", "--network", "../../examples/network.toml", "--region", "gbr"}, "not an ISO 3166 code"},
		{"too many regions", []string{"up", "--regions", "9"}, "--regions 9: want 1 to"},
		{"regions and validators", []string{"up", "--regions", "2", "--validators", "2"}, "each region has one validator"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errs := peg(t, filepath.Join(dir, "home"), tc.args...)
			if code != exitUsage || !strings.Contains(errs, tc.want) {
				t.Errorf("exit %d, stderr %q; want exit %d saying %q", code, errs, exitUsage, tc.want)
			}
		})
	}
}

// TestNetworkGenesis builds a network of two regions by hand: `peg init`
// per region, a network file of their validators, `peg network genesis` on
// each; a file that does not list the node's region is refused.
func TestNetworkGenesis(t *testing.T) {
	t.Setenv("PEG_PASSPHRASE", "")
	dir := t.TempDir()
	var file strings.Builder
	homes := map[string]string{}
	for i, r := range []string{"GB", "HK"} {
		home := filepath.Join(dir, strings.ToLower(r))
		homes[r] = home
		chain := "hand-" + strings.ToLower(r)
		mustPeg(t, home, "init", "--chain-id", chain, "--region", r, "--base-port", fmt.Sprint(45000+10*i))
		var doc struct {
			Validators []struct {
				PubKey struct {
					Value string `json:"value"`
				} `json:"pub_key"`
			} `json:"validators"`
		}
		b, err := os.ReadFile(filepath.Join(home, "config", "genesis.json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&file, "[[region]]\ncode = %q\nchain_id = %q\nendpoints = [\"http://127.0.0.1:%d\"]\n[[region.validator]]\npub_key = %q\npower = 10\n",
			r, chain, 45002+10*i, doc.Validators[0].PubKey.Value)
	}
	path := filepath.Join(dir, "network.toml")
	if err := os.WriteFile(path, []byte(file.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	other := map[string]string{"GB": "hand-hk", "HK": "hand-gb"}
	for r, home := range homes {
		mustPeg(t, home, "network", "genesis", "--network", path)
		b, err := os.ReadFile(filepath.Join(home, "config", "genesis.json"))
		if err != nil || !strings.Contains(string(b), other[r]) {
			t.Errorf("%s's genesis does not name the other region's chain %s: %v", r, other[r], err)
		}
	}

	gbOnly := filepath.Join(dir, "gb.toml")
	if err := os.WriteFile(gbOnly, []byte(file.String()[:strings.Index(file.String(), "[[region]]\ncode = \"HK\"")]), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errs := peg(t, homes["HK"], "network", "genesis", "--network", gbOnly)
	if code != exitFailure || !strings.Contains(errs, "has no region HK") {
		t.Errorf("a network without HK on HK's node: exit %d, stderr %q", code, errs)
	}
}
