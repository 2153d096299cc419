package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/node"
	"github.com/pegledger/peg/internal/store"
)

// pegBinary is built once by TestMain so that end-to-end tests run the real
// command as a separate process.
var pegBinary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "peg-e2e-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	pegBinary = filepath.Join(dir, "peg")
	build := exec.Command("go", append(append([]string{"build"}, buildFlags...), "-o", pegBinary, ".")...)
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building peg:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// freeBasePort finds six consecutive free loopback ports, as `peg up` uses.
func freeBasePort(t *testing.T) int { return freePortBlock(t, 6) }

// lockedBuffer is a bytes.Buffer that a process's output copier may write
// while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// upProcess is a running `peg up`.
type upProcess struct {
	cmd    *exec.Cmd
	stdout *lockedBuffer
	stderr *lockedBuffer
}

func startUp(t *testing.T, home string, basePort int, extra ...string) *upProcess {
	t.Helper()
	p := startPeg(t, append([]string{"up", "--home", home, "--base-port", fmt.Sprint(basePort)}, extra...)...)
	url := fmt.Sprintf("http://127.0.0.1:%d", basePort+2)
	deadline := time.Now().Add(60 * time.Second)
	for {
		// The banner comes last, once the node and its sidecars are up.
		banner := strings.Contains(p.stdout.String(), "Peg is up")
		if st, err := client.New(url).Status(context.Background()); err == nil && st.Height > 0 && banner {
			return p
		}
		if time.Now().After(deadline) {
			p.cmd.Process.Kill()
			t.Fatalf("peg up did not print its banner and serve a committed block within 60s\nstdout:\n%s\nstderr:\n%s", p.stdout, p.stderr)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// startPeg starts the peg binary with args, keeping its output, and kills it
// when the test ends if it is still running.
func startPeg(t *testing.T, args ...string) *upProcess {
	t.Helper()
	p := &upProcess{stdout: new(lockedBuffer), stderr: new(lockedBuffer)}
	p.cmd = exec.Command(pegBinary, args...)
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			p.cmd.Wait()
		}
	})
	return p
}

// stop interrupts the process as Ctrl-C does and waits for a clean exit.
func (p *upProcess) stop(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Wait(); err != nil {
		t.Fatalf("peg up exited with %v\nstderr:\n%s", err, p.stderr)
	}
}

// peg runs one CLI command in-process and returns its exit code and output.
func peg(t *testing.T, home string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(append(args, "--home", home), &out, &errb)
	return code, out.String(), errb.String()
}

// mustPeg runs a command that must succeed.
func mustPeg(t *testing.T, home string, args ...string) string {
	t.Helper()
	code, out, errs := peg(t, home, args...)
	if code != exitOK {
		t.Fatalf("peg %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, out, errs)
	}
	return out
}

type balanceRow struct {
	Token  string `json:"token"`
	Amount string `json:"amount"`
}

func balanceOf(t *testing.T, home, who string) string {
	t.Helper()
	var rows []balanceRow
	if err := json.Unmarshal([]byte(mustPeg(t, home, "balance", who, "--token", "gbpt", "-o", "json")), &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 {
		return "0"
	}
	return rows[0].Amount
}

func supplyOf(t *testing.T, home string) string {
	t.Helper()
	var tok client.Token
	if err := json.Unmarshal([]byte(mustPeg(t, home, "token", "show", "gbpt", "-o", "json")), &tok); err != nil {
		t.Fatal(err)
	}
	return tok.Supply.Amount
}

// TestEndToEnd runs the README walkthrough against a real `peg up` process:
// deploy, mint, pay with change, redeem, spend on another's behalf; then restarts the network and finds
// the same balances, supply and app hash.
func TestEndToEnd(t *testing.T) {
	home := t.TempDir()
	base := freeBasePort(t)
	up := startUp(t, home, base)
	if !strings.Contains(up.stdout.String(), "peg-local") || !strings.Contains(up.stdout.String(), "keyring") {
		t.Errorf("banner lacks chain id or keyring:\n%s", up.stdout)
	}

	checkDryRun(t, home)
	out := mustPeg(t, home, "token", "deploy", "--from", "issuer", "--file", "../../examples/gbpt.toml")
	for _, want := range []string{"deployed gbpt", "contract hash", "contract address", "tx", "height"} {
		if !strings.Contains(out, want) {
			t.Errorf("deploy output lacks %q:\n%s", want, out)
		}
	}
	// A second coin on gbpt's balance is refused: a balance backs one coin.
	code, _, errs := peg(t, home, "token", "deploy", "--from", "issuer", "--file", contractVariant(t, "gbps", "GB81PEGD20041531926819"))
	if code != exitRejected || !strings.Contains(errs, "FIAT_ACCOUNT_IN_USE") {
		t.Errorf("deploy on gbpt's balance: exit %d, stderr %q; want FIAT_ACCOUNT_IN_USE", code, errs)
	}
	// A coin on an account the demo bank does not hold is never attested by
	// the monitor, so nothing may be minted.
	mustPeg(t, home, "token", "deploy", "--from", "issuer", "--file", contractVariant(t, "gbpx", "GB33BUKB20201555555555"))
	code, _, errs = peg(t, home, "token", "mint", "--from", "minter", "--token", "gbpx", "--to", "alice", "--amount", "1000")
	if code != exitRejected || !strings.Contains(errs, "RESERVE_UNATTESTED") {
		t.Errorf("mint before any attestation: exit %d, stderr %q; want RESERVE_UNATTESTED", code, errs)
	}
	// Attested by hand, it may be minted. gbpt's reserve is the monitor's to
	// attest, from the demo bank: wait for it.
	mustPeg(t, home, "reserve", "attest", "--token", "gbpx", "--balance", "1000000.00")
	mustPeg(t, home, "token", "mint", "--from", "minter", "--token", "gbpx", "--to", "operator", "--amount", "1000")
	mustPeg(t, home, "reserve", "status", "gbpt", "--wait", "OK", "--timeout", "30s")
	mustPeg(t, home, "token", "mint", "--from", "minter", "--token", "gbpt", "--to", "alice", "--amount", "1000")
	// peg up's genesis charges fees (examples/fees.toml): alice's payment
	// and approval cost 0.05; bob's redemption and spend 0.12, and his
	// spend beyond the approval must find 0.02 available too, since the fee
	// is checked before the kind's own rules.
	depositFees(t, home, "alice", "50", 5)
	var pay client.Receipt
	if err := json.Unmarshal([]byte(mustPeg(t, home, "pay", "--from", "alice", "--token", "gbpt", "--to", "bob", "--amount", "250.50", "-o", "json")), &pay); err != nil {
		t.Fatal(err)
	}
	depositFees(t, home, "bob", "50", 14)
	out = mustPeg(t, home, "redeem", "--from", "bob", "--token", "gbpt", "--amount", "100")
	if !strings.Contains(out, "redeemed 100.00 GBPT: 100.00 GBP owed from PEGDGB2L") {
		t.Errorf("redeem output:\n%s", out)
	}
	// Spending on another's behalf (S0.8): within the approval, then beyond it.
	mustPeg(t, home, "approve", "--from", "alice", "--token", "gbpt", "--spender", "bob", "--amount", "10")
	mustPeg(t, home, "spend-from", "--from", "bob", "--owner", "alice", "--token", "gbpt", "--to", "bob", "--amount", "10")
	code, _, errs = peg(t, home, "spend-from", "--from", "bob", "--owner", "alice", "--token", "gbpt", "--to", "bob", "--amount", "1")
	if code != exitRejected || !strings.Contains(errs, "SPEND_ALLOWANCE") {
		t.Errorf("spend beyond the approval: exit %d, stderr %q; want SPEND_ALLOWANCE", code, errs)
	}

	// Rejections carry the ledger's code and exit 3; state is unchanged.
	code, _, errs = peg(t, home, "token", "mint", "--from", "minter", "--token", "gbpt", "--to", "alice", "--amount", "999100.01")
	if code != exitRejected || !strings.Contains(errs, "MINTER_ALLOWANCE") {
		t.Errorf("mint beyond allowance: exit %d, stderr %q; want exit %d and MINTER_ALLOWANCE", code, errs, exitRejected)
	}
	code, _, errs = peg(t, home, "token", "pause", "--from", "alice", "--token", "gbpt")
	if code != exitRejected || !strings.Contains(errs, "UNAUTHORIZED") {
		t.Errorf("pause by a non-pauser: exit %d, stderr %q; want UNAUTHORIZED", code, errs)
	}

	want := map[string]string{"alice": "689.5", "bob": "110.5"} // less 50 each in their fee accounts
	for who, amt := range want {
		if got := balanceOf(t, home, who); got != amt {
			t.Errorf("balance of %s = %s, want %s", who, got, amt)
		}
	}
	if got := supplyOf(t, home); got != "900" {
		t.Errorf("supply = %s, want 900", got)
	}
	checkAmountText(t, home, pay.TxID.String())

	up.stop(t)
	height, appHash := committedState(t, home)

	up = startUp(t, home, base)
	defer up.stop(t)
	if !strings.Contains(up.stdout.String(), "reusing") {
		t.Errorf("second run did not reuse the network:\n%s", up.stdout)
	}
	for who, amt := range want {
		if got := balanceOf(t, home, who); got != amt {
			t.Errorf("after restart, balance of %s = %s, want %s", who, got, amt)
		}
	}
	if got := supplyOf(t, home); got != "900" {
		t.Errorf("after restart, supply = %s, want 900", got)
	}
	if got := appHashAt(t, base, height); got != appHash {
		t.Errorf("after restart, app hash at height %d = %s, want %s", height, got, appHash)
	}
}

// committedState reads the stopped node's store: its height and app hash.
func committedState(t *testing.T, home string) (uint64, string) {
	t.Helper()
	db, err := store.Open(filepath.Join(home, node.AppDataDir), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	return db.Height(), fmt.Sprintf("%x", db.AppHash())
}

// appHashAt asks the restarted node for the app hash after height h: its
// status if it is still at h, else the header of block h+1, which carries it.
func appHashAt(t *testing.T, base int, h uint64) string {
	t.Helper()
	c := client.New(fmt.Sprintf("http://127.0.0.1:%d", base+2))
	ctx := context.Background()
	st, err := c.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Height < h {
		t.Fatalf("restarted node is at height %d, below %d", st.Height, h)
	}
	if st.Height == h {
		return strings.ToLower(st.AppHash)
	}
	b, err := c.Block(ctx, int64(h+1))
	if err != nil {
		t.Fatal(err)
	}
	return strings.ToLower(b.AppHash)
}

// checkDryRun: a dry run needs no signer, and lists every violation, those
// of the amounts even when the decimals are invalid.
// contractVariant writes a copy of examples/gbpt.toml for a coin id whose
// reserve is the GBP balance of iban, and returns its path.
func contractVariant(t *testing.T, id, iban string) string {
	t.Helper()
	b, err := os.ReadFile("../../examples/gbpt.toml")
	if err != nil {
		t.Fatal(err)
	}
	c := strings.NewReplacer(`id = "gbpt"`, `id = "`+id+`"`, `symbol = "GBPT"`, `symbol = "`+strings.ToUpper(id)+`"`,
		`account = "GB81PEGD20041531926819"`, `account = "`+iban+`"`).Replace(string(b))
	file := filepath.Join(t.TempDir(), id+".toml")
	if err := os.WriteFile(file, []byte(c), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

func checkDryRun(t *testing.T, home string) {
	t.Helper()
	out := mustPeg(t, home, "token", "deploy", "--dry-run", "--file", "../../examples/gbpt.toml")
	if !strings.Contains(out, "is valid; nothing was published") {
		t.Errorf("dry run of the example:\n%s", out)
	}
	b, err := os.ReadFile("../../examples/gbpt.toml")
	if err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(strings.Replace(string(b), "decimals = 2 ", "decimals = 19", 1), `supply_cap = "1000000"`, `supply_cap = "1,000,000"`, 1)
	file := filepath.Join(t.TempDir(), "bad.toml")
	if err := os.WriteFile(file, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs := peg(t, home, "token", "deploy", "--dry-run", "--file", file)
	if code != exitRejected || !strings.Contains(out, "CONTRACT_DECIMALS") || !strings.Contains(out, "CONTRACT_CAP") {
		t.Errorf("dry run of a contract with bad decimals and cap: exit %d\nstdout: %s\nstderr: %s\nwant both violations", code, out, errs)
	}
	code, _, errs = peg(t, home, "token", "deploy", "--file", "../../examples/gbpt.toml")
	if code != exitUsage || !strings.Contains(errs, "--from") {
		t.Errorf("deploy without --from: exit %d, stderr %q; want a usage error naming --from", code, errs)
	}
}

// checkAmountText: text output writes amounts with every decimal of their
// unit, the events of a transaction included. Alice paid 250.50 of her
// 1,000.00 to bob, who redeemed 100.00 and was paid 10.00 on her behalf.
func checkAmountText(t *testing.T, home, payTx string) {
	t.Helper()
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"balance", "alice"}, []string{"gbpt 689.50 1"}},
		{[]string{"coins", "bob"}, []string{"gbpt 100.50", "gbpt 10.00"}},
		{[]string{"account", "show", "bob"}, []string{"balance 110.50 gbpt (2 coins)"}},
		{[]string{"token", "show", "gbpt"}, []string{"900.00 GBPT (minted 1000.00, redeemed 100.00)", "1000000.00 GBP at ratio 1",
			"minimum 0.01, maximum transfer 50000.00, minimum redemption 1.00", "(allowance left 999000.00 GBPT)"}},
		{[]string{"token", "list"}, []string{"900.00", "1000000.00"}},
		{[]string{"tx", "show", payTx}, []string{"coin.spent", "amount=950.00 GBPT", "amount=250.50 GBPT", "amount=699.50 GBPT",
			"fee.charged amount=0.04 GBPT"}},
		{[]string{"token", "redemptions", "gbpt"}, []string{"100.00 GBPT", "100.00 GBP", "PEGDGB2L GB81PEGD20041531926819"}},
	} {
		out := strings.Join(strings.Fields(mustPeg(t, home, tc.args...)), " ") // columns as single spaces
		for _, want := range tc.want {
			if !strings.Contains(out, want) {
				t.Errorf("peg %s lacks %q:\n%s", strings.Join(tc.args, " "), want, out)
			}
		}
	}
	// Bob's two coins a page at a time: the first page says where the
	// next starts, and that page holds the other coin and says no more.
	first := mustPeg(t, home, "coins", "bob", "--limit", "1")
	_, after, ok := strings.Cut(first, "more follow: --after ")
	if !ok {
		t.Fatalf("peg coins bob --limit 1 does not say where the next page starts:\n%s", first)
	}
	after = strings.TrimSpace(after)
	rest := mustPeg(t, home, "coins", "bob", "--after", after)
	lines := strings.Split(strings.TrimSpace(rest), "\n")
	if len(lines) != 2 || strings.Contains(rest, "more follow") || strings.Contains(first, strings.Fields(lines[1])[0]) {
		t.Errorf("peg coins bob --after %s:\n%s\nwant the coin the first page did not list, and no more", after, rest)
	}
}
