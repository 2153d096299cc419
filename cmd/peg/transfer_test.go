package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"flag"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pegledger/peg/internal/client"
	pegnet "github.com/pegledger/peg/internal/network"
	"github.com/pegledger/peg/internal/node"
	"github.com/pegledger/peg/internal/relay"
	"github.com/pegledger/peg/internal/state"
)

// TestCrossRegionTransfers runs `peg up --regions 2` and pays across
// regions through the gateway: alice (GB) pays bob (HK) 10 gbpt, the
// relayer that `peg up` runs imports gbpt's contract into HK and delivers,
// bob's HK balance shows it and `peg audit --network` is clean. With bob
// frozen on HK (by gbpt's freezer, signing on HK), a payment to him is
// returned and refunded to alice. Then a second relayer races the first
// over a run of payments, and is killed and restarted while they are in
// flight: each is delivered exactly once, and the audit stays clean.
func TestCrossRegionTransfers(t *testing.T) {
	home := t.TempDir()
	base := freePortBlock(t, 2*devPorts+1)
	up := startRegions(t, home, base)
	gw := fmt.Sprintf("http://127.0.0.1:%d", gatewayPort(base, 2))
	hkAPI := fmt.Sprintf("http://127.0.0.1:%d", base+devPorts+2)
	gb, hk := filepath.Join(home, "gb"), filepath.Join(home, "hk")
	netFile := filepath.Join(home, devNetworkFile)
	if !strings.Contains(up.stdout.String(), "A relayer carries payments between regions") {
		t.Errorf("banner:\n%s", up.stdout)
	}

	mustPeg(t, gb, "token", "deploy", "--from", "issuer", "--file", "../../examples/gbpt.toml", "--node", gw)
	mustPeg(t, gb, "reserve", "status", "gbpt", "--wait", "OK", "--timeout", "30s", "--node", gw)
	mustPeg(t, gb, "token", "mint", "--from", "minter", "--token", "gbpt", "--to", "alice", "--amount", "1000", "--node", gw)
	mustPeg(t, gb, "pay", "--from", "alice", "--token", "gbpt", "--to", "bob", "--amount", "10", "--node", gw)
	waitBalance(t, hk, "bob", "10")
	if got := balanceOf(t, gb, "alice"); got != "990" {
		t.Errorf("alice holds %s on GB, want 990", got)
	}
	auditNetwork(t, gb, netFile, "1000")

	var l client.TransferList
	if err := json.Unmarshal([]byte(mustPeg(t, hk, "transfer", "list", "--direction", "in", "-o", "json")), &l); err != nil {
		t.Fatal(err)
	}
	if len(l.Transfers) != 1 || l.Transfers[0].Status != "delivered" || l.Transfers[0].Units.String() != "1000" {
		t.Fatalf("HK's inbound transfers = %+v, want one of 10.00 delivered", l.Transfers)
	}
	waitClosed(t, gb, 1, 0)
	show := mustPeg(t, gb, "transfer", "show", l.Transfers[0].ID.String())
	if !strings.Contains(show, "delivered") || !strings.Contains(show, "(HK)") || !strings.Contains(show, "ack") ||
		!strings.Contains(show, l.Transfers[0].Tx.String()) {
		t.Errorf("GB's record of the transfer, acknowledged delivered by HK's %s:\n%s", l.Transfers[0].Tx, show)
	}

	// By phone: HK's registrar binds bob's number in HK's directory; alice
	// pays the number through the gateway, which finds it there.
	mustPeg(t, hk, "alias", "register", "--from", "registrar", "--phone", "+852 2123 4567", "--to", "bob")
	code, _, errs := peg(t, gb, "pay", "--from", "alice", "--token", "gbpt", "--to-phone", "+852 2123 4567", "--amount", "2", "--node", gw)
	if code != exitOK || !strings.Contains(errs, l.Transfers[0].Payee.String()) {
		t.Fatalf("pay by phone: exit %d, stderr %q; want it paid, saying the number resolved to bob's HK address", code, errs)
	}
	waitBalance(t, hk, "bob", "12")
	auditNetwork(t, gb, netFile, "1000")

	// bob frozen on HK: the payment is returned there and refunded here.
	mustPeg(t, gb, "token", "freeze", "--from", "freezer", "--token", "gbpt", "--account", "bob", "--node", hkAPI)
	mustPeg(t, gb, "pay", "--from", "alice", "--token", "gbpt", "--to", "bob", "--amount", "5", "--node", gw)
	if got := balanceOf(t, gb, "alice"); got != "983" {
		t.Errorf("alice holds %s with 5 in flight, want 983", got)
	}
	waitBalance(t, gb, "alice", "988")
	if got := balanceOf(t, hk, "bob"); got != "12" {
		t.Errorf("frozen bob holds %s, want 12", got)
	}
	var refunded client.TransferList
	if err := json.Unmarshal([]byte(mustPeg(t, gb, "transfer", "list", "--status", "refunded", "-o", "json")), &refunded); err != nil {
		t.Fatal(err)
	}
	if len(refunded.Transfers) != 1 || refunded.Transfers[0].Reason != "FROZEN" {
		t.Errorf("refunded transfers = %+v, want one, FROZEN", refunded.Transfers)
	}
	waitClosed(t, gb, 2, 1)
	auditNetwork(t, gb, netFile, "1000")
	// HK's trust in GB's validators moves to GB's latest header (the same
	// set, a newer height); the same header again is not newer.
	gbRPC := fmt.Sprintf("http://127.0.0.1:%d", base+1)
	mustPeg(t, gb, "region", "update", "--rpc", gbRPC, "--height", "3", "--from", "alice", "--node", hkAPI)
	if code, _, errs := peg(t, gb, "region", "update", "--rpc", gbRPC, "--height", "3", "--from", "alice", "--node", hkAPI); code != exitRejected || !strings.Contains(errs, "REGION_UPDATE_OLD") {
		t.Errorf("the same region update again: exit %d, stderr %q; want REGION_UPDATE_OLD", code, errs)
	}
	mustPeg(t, gb, "token", "unfreeze", "--from", "freezer", "--token", "gbpt", "--account", "bob", "--node", hkAPI)

	// A second relayer races the first; it is killed while payments are in
	// flight and started again.
	second := startPeg(t, "relay", "--home", gb, "--network", netFile, "--from", "alice", "--interval", "200ms", "--log-level", "debug")
	for i := range 4 {
		mustPeg(t, gb, "pay", "--from", "alice", "--token", "gbpt", "--to", "bob", "--amount", "1", "--node", gw)
		if i == 1 {
			second.cmd.Process.Signal(syscall.SIGKILL)
			second.cmd.Wait()
			second = startPeg(t, "relay", "--home", gb, "--network", netFile, "--from", "alice", "--interval", "200ms", "--log-level", "debug")
		}
	}
	waitBalance(t, hk, "bob", "16")
	waitBalance(t, gb, "alice", "984")
	waitClosed(t, gb, 6, 1)
	auditNetwork(t, gb, netFile, "1000")
	listPages(t, gb, 7)
	second.cmd.Process.Signal(syscall.SIGINT)
	second.cmd.Wait()
	up.stop(t)
}

// waitBalance waits for who's gbpt balance on home's region to be want.
func waitBalance(t *testing.T, home, who, want string) {
	t.Helper()
	var got string
	for deadline := time.Now().Add(90 * time.Second); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
		code, out, _ := peg(t, home, "balance", who, "--token", "gbpt", "-o", "json")
		if code != exitOK {
			continue
		}
		var rows []balanceRow
		if err := json.Unmarshal([]byte(out), &rows); err != nil {
			t.Fatal(err)
		}
		got = "0"
		if len(rows) > 0 {
			got = rows[0].Amount
		}
		if got == want {
			return
		}
	}
	t.Fatalf("%s holds %s gbpt in %s after 90s, want %s", who, got, home, want)
}

// waitClosed waits for home's region to hold no pending outbound transfer
// (a relayer acknowledges or refunds each), then checks that delivered of
// them ended delivered and refunded refunded, each closed by one
// transaction of that region with the payee region's transfer_in named.
func waitClosed(t *testing.T, home string, delivered, refunded int) {
	t.Helper()
	var l client.TransferList
	for deadline := time.Now().Add(90 * time.Second); ; time.Sleep(500 * time.Millisecond) {
		if err := json.Unmarshal([]byte(mustPeg(t, home, "transfer", "list", "--direction", "out", "--all", "-o", "json")), &l); err != nil {
			t.Fatal(err)
		}
		n := map[string]int{}
		for _, tr := range l.Transfers {
			n[tr.Status]++
		}
		if n["pending"] == 0 {
			if n["delivered"] != delivered || n["refunded"] != refunded || len(l.Transfers) != delivered+refunded {
				t.Fatalf("outbound transfers of %s: %v, want %d delivered and %d refunded", home, n, delivered, refunded)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("outbound transfers of %s after 90s: %v, want none pending", home, n)
		}
	}
	for _, tr := range l.Transfers {
		if tr.Closed == nil || tr.ClosedHeight < tr.Height || tr.InTx == nil || tr.InHeight == 0 {
			t.Errorf("closed transfer %+v: want its closing transaction and the payee region's transfer_in", tr)
		}
	}
}

// listPages reads home's outbound transfers three a page with `peg
// transfer list --limit --cursor` and checks that the pages hold the want
// transfers that --all lists, in the same order; a bad limit or --all with
// a cursor is refused.
func listPages(t *testing.T, home string, want int) {
	t.Helper()
	var all client.TransferList
	if err := json.Unmarshal([]byte(mustPeg(t, home, "transfer", "list", "--direction", "out", "--all", "-o", "json")), &all); err != nil {
		t.Fatal(err)
	}
	var paged []client.Transfer
	cursor := ""
	for pages := 1; ; pages++ {
		args := []string{"transfer", "list", "--direction", "out", "--limit", "3", "-o", "json"}
		if cursor != "" {
			args = append(args, "--cursor", cursor)
		}
		var l client.TransferList
		if err := json.Unmarshal([]byte(mustPeg(t, home, args...)), &l); err != nil {
			t.Fatal(err)
		}
		paged = append(paged, l.Transfers...)
		if cursor = l.NextCursor; cursor == "" || pages > want {
			break
		}
	}
	if len(all.Transfers) != want || len(paged) != want {
		t.Fatalf("%d transfers by --all, %d by pages of 3; want %d", len(all.Transfers), len(paged), want)
	}
	for i := range paged {
		if paged[i].ID != all.Transfers[i].ID {
			t.Errorf("transfer %d: %s by pages, %s by --all", i, paged[i].ID, all.Transfers[i].ID)
		}
	}
	if code, _, errs := peg(t, home, "transfer", "list", "--all", "--cursor", "x"); code != exitUsage || !strings.Contains(errs, "--all") {
		t.Errorf("--all --cursor: exit %d, stderr %q; want a usage error", code, errs)
	}
	if code, _, errs := peg(t, home, "transfer", "list", "--limit", "5000"); code != exitFailure || !strings.Contains(errs, "limit") {
		t.Errorf("--limit 5000: exit %d, stderr %q; want the API's 400 about the limit", code, errs)
	}
}

// auditNetwork runs `peg audit --network` and checks it clean, with gbpt's
// held and in-flight units adding up to minted (whole gbpt).
func auditNetwork(t *testing.T, home, file, minted string) {
	t.Helper()
	var a relay.NetworkAudit
	if err := json.Unmarshal([]byte(mustPeg(t, home, "audit", "--network", file, "-o", "json")), &a); err != nil {
		t.Fatal(err)
	}
	if !a.OK || len(a.Tokens) != 1 || a.Tokens[0].Minted.String() != minted+"00" {
		t.Fatalf("audit --network = %+v, want OK with gbpt minted %s", a, minted)
	}
}

// regionDown is how long TestCrossRegionRegionDown keeps the payee's region
// stopped: 30 s as the fault plan says with -region-down=30s, a few seconds
// by default so that CI runs it.
var regionDown = flag.Duration("region-down", 3*time.Second, "how long TestCrossRegionRegionDown stops the payee's region")

// TestCrossRegionRegionDown runs GB and HK as two processes (`peg start`
// on the homes `peg up --regions 2` made) with two `peg relay` racing, and
// stops HK while payments to bob are in flight, killing one relayer too;
// once HK and the relayer are started again, every transfer is delivered
// exactly once and the audit across regions is clean.
func TestCrossRegionRegionDown(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two nodes and two relayers")
	}
	home := t.TempDir()
	base := freePortBlock(t, 2*devPorts+1)
	up := startRegions(t, home, base)
	gw := fmt.Sprintf("http://127.0.0.1:%d", gatewayPort(base, 2))
	gb, hk := filepath.Join(home, "gb"), filepath.Join(home, "hk")
	netFile := filepath.Join(home, devNetworkFile)
	mustPeg(t, gb, "token", "deploy", "--from", "issuer", "--file", "../../examples/gbpt.toml", "--node", gw)
	mustPeg(t, gb, "reserve", "status", "gbpt", "--wait", "OK", "--timeout", "30s", "--node", gw)
	mustPeg(t, gb, "token", "mint", "--from", "minter", "--token", "gbpt", "--to", "alice", "--amount", "1000", "--node", gw)
	up.stop(t)

	startNode := func(home string, api int) *upProcess {
		p := startPeg(t, "start", "--home", home)
		waitHeight(t, fmt.Sprintf("http://127.0.0.1:%d", api), p)
		return p
	}
	gbNode, hkNode := startNode(gb, base+2), startNode(hk, base+devPorts+2)
	relayer := func() *upProcess {
		return startPeg(t, "relay", "--home", gb, "--network", netFile, "--from", "alice", "--interval", "200ms", "--log-level", "debug")
	}
	a, b := relayer(), relayer()
	pay := func() { mustPeg(t, gb, "pay", "--from", "alice", "--token", "gbpt", "--to", "bob", "--amount", "1") }
	pay()
	pay()
	hkNode.stop(t)
	a.cmd.Process.Signal(syscall.SIGKILL)
	a.cmd.Wait()
	pay()
	pay()
	time.Sleep(*regionDown)
	hkNode = startNode(hk, base+devPorts+2)
	a = relayer()
	waitBalance(t, hk, "bob", "4")
	waitBalance(t, gb, "alice", "996")
	waitClosed(t, gb, 4, 0)
	auditNetwork(t, gb, netFile, "1000")

	var in, out client.TransferList
	if err := json.Unmarshal([]byte(mustPeg(t, hk, "transfer", "list", "--direction", "in", "-o", "json")), &in); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(mustPeg(t, gb, "transfer", "list", "--direction", "out", "-o", "json")), &out); err != nil {
		t.Fatal(err)
	}
	seen := make(map[string]bool)
	for _, tr := range in.Transfers {
		if tr.Status != "delivered" || seen[tr.ID.String()] {
			t.Errorf("HK's inbound transfer %+v: want each delivered once", tr)
		}
		seen[tr.ID.String()] = true
	}
	if len(in.Transfers) != 4 || len(out.Transfers) != 4 {
		t.Errorf("HK delivered %d transfers, GB sent %d; want 4 and 4", len(in.Transfers), len(out.Transfers))
	}
	for _, p := range []*upProcess{a, b} {
		p.cmd.Process.Signal(syscall.SIGINT)
		p.cmd.Wait()
	}
	hkNode.stop(t)
	gbNode.stop(t)
}

// waitHeight waits for the API at url to answer with a committed block.
func waitHeight(t *testing.T, url string, p *upProcess) {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if st, err := client.New(url).Status(context.Background()); err == nil && st.Height > 0 {
			return
		}
	}
	t.Fatalf("%s answered no status within 60s\nstderr:\n%s", url, p.stderr)
}

// TestRelayFollowsValidators: HK's genesis trusts, for GB, a set with a
// validator GB no longer runs (GB's set changed since, as it does when a
// validator leaves). The relayer that `peg up` runs moves HK's trust to the
// set that signs GB's proofs (region_update) before it carries them, and
// the transfers are delivered and acknowledged, without anyone running
// `peg region update`.
func TestRelayFollowsValidators(t *testing.T) {
	home := t.TempDir()
	base := freePortBlock(t, 2*devPorts+1)
	if err := initDevRegions(home, base, 2); err != nil {
		t.Fatal(err)
	}
	gb, hk := filepath.Join(home, "gb"), filepath.Join(home, "hk")
	n, err := pegnet.Load(filepath.Join(home, devNetworkFile))
	if err != nil {
		t.Fatal(err)
	}
	regions := make([]state.NetworkRegion, len(n.Regions))
	for i, r := range n.Regions {
		regions[i] = r.NetworkRegion
	}
	gone, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	regions[0].Validators = append(slices.Clone(regions[0].Validators), state.Validator{PubKey: gone, Power: regions[0].Validators[0].Power})
	if err := node.SetGenesisNetwork(hk, regions); err != nil {
		t.Fatal(err)
	}
	up := startRegions(t, home, base)
	gbAPI, hkAPI := client.New(fmt.Sprintf("http://127.0.0.1:%d", base+2)), client.New(fmt.Sprintf("http://127.0.0.1:%d", base+devPorts+2))
	trustInGB := func() client.RegionTrust {
		nt, err := hkAPI.NetworkTrust(context.Background())
		if err != nil || len(nt.Regions) != 1 || nt.Regions[0].Region != "GB" {
			t.Fatalf("HK's trust = %+v, %v; want its trust in GB", nt, err)
		}
		return nt.Regions[0]
	}
	if before := trustInGB(); before.Height != 0 || before.Validators != 2 {
		t.Fatalf("HK's trust in GB at the start = %+v, want the genesis's two validators", before)
	}

	gw := fmt.Sprintf("http://127.0.0.1:%d", gatewayPort(base, 2))
	mustPeg(t, gb, "token", "deploy", "--from", "issuer", "--file", "../../examples/gbpt.toml", "--node", gw)
	mustPeg(t, gb, "reserve", "status", "gbpt", "--wait", "OK", "--timeout", "30s", "--node", gw)
	mustPeg(t, gb, "token", "mint", "--from", "minter", "--token", "gbpt", "--to", "alice", "--amount", "1000", "--node", gw)
	for range 3 {
		mustPeg(t, gb, "pay", "--from", "alice", "--token", "gbpt", "--to", "bob", "--amount", "1", "--node", gw)
	}
	waitBalance(t, hk, "bob", "3")
	waitClosed(t, gb, 3, 0)

	var out client.TransferList
	if err := json.Unmarshal([]byte(mustPeg(t, gb, "transfer", "list", "--direction", "out", "-o", "json")), &out); err != nil {
		t.Fatal(err)
	}
	p, err := gbAPI.TxProof(context.Background(), out.Transfers[len(out.Transfers)-1].Tx)
	if err != nil {
		t.Fatal(err)
	}
	var sh struct {
		Header struct {
			ValidatorsHash string `json:"validators_hash"`
		} `json:"header"`
	}
	if err := json.Unmarshal(p.SignedHeader, &sh); err != nil {
		t.Fatal(err)
	}
	if after := trustInGB(); after.Height == 0 || after.Validators != 1 || after.ValidatorsHash != sh.Header.ValidatorsHash {
		t.Errorf("HK's trust in GB after the relayer carried proofs = %+v, want GB's set %s", after, sh.Header.ValidatorsHash)
	}
	auditNetwork(t, gb, filepath.Join(home, devNetworkFile), "1000")
	up.stop(t)
}
