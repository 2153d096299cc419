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
