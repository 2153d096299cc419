package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cockroachdb/pebble/v2"

	"github.com/pegledger/peg/internal/node"
)

// TestAuditCommand audits a `peg up` network through its API while it runs,
// then its data once stopped, as committed and with its stored app hash
// broken.
func TestAuditCommand(t *testing.T) {
	home := t.TempDir()
	base := freeBasePort(t)
	up := startUp(t, home, base)
	mustPeg(t, home, "token", "deploy", "--from", "issuer", "--file", "../../examples/gbpt.toml")
	// The monitor attests gbpt's reserve from the demo bank; an attestation by
	// hand could be older than its first one, and refused.
	mustPeg(t, home, "reserve", "status", "gbpt", "--wait", "OK", "--timeout", "30s")
	mustPeg(t, home, "token", "mint", "--from", "minter", "--token", "gbpt", "--to", "alice", "--amount", "1000")
	depositFees(t, home, "alice", "50", 4)
	mustPeg(t, home, "pay", "--from", "alice", "--token", "gbpt", "--to", "bob", "--amount", "250.50")

	url := fmt.Sprintf("http://127.0.0.1:%d", base+2)
	out := mustPeg(t, home, "audit", "--node", url)
	for _, want := range []string{"invariants: 1 tokens, 3 unspent coins, 2 spent: OK", "replay: not done", "verdict: OK"} {
		if !strings.Contains(out, want) {
			t.Errorf("peg audit --node output lacks %q:\n%s", want, out)
		}
	}
	code, _, errs := peg(t, home, "audit")
	if code != exitFailure || !strings.Contains(errs, "still running") {
		t.Errorf("peg audit --home of a running node: exit %d, stderr %q; want exit %d saying it is still running", code, errs, exitFailure)
	}
	up.stop(t)

	out = mustPeg(t, home, "audit")
	for _, want := range []string{"invariants: 1 tokens", "app hash agrees at every height, state agrees key by key: OK", "verdict: OK"} {
		if !strings.Contains(out, want) {
			t.Errorf("peg audit output lacks %q:\n%s", want, out)
		}
	}
	height, appHash := committedState(t, home)
	var a homeAudit
	if err := json.Unmarshal([]byte(mustPeg(t, home, "audit", "-o", "json")), &a); err != nil {
		t.Fatal(err)
	}
	if !a.OK || !a.AppHashReplayed || a.Height != height || a.AppHash != appHash || a.Replay.AppHash != appHash ||
		a.Replay.Blocks < int64(height) || len(a.Problems) != 0 || len(a.Replay.Problems) != 0 {
		t.Errorf("peg audit -o json = %+v, want OK at height %d with app hash %s", a, height, appHash)
	}

	db, err := pebble.Open(filepath.Join(home, node.AppDataDir), &pebble.Options{Logger: quietPebble{}})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Set([]byte("\x00meta/apphash"), make([]byte, 32), pebble.Sync); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	code, out, errs = peg(t, home, "audit")
	if code != exitFailure || !strings.Contains(out, "verdict: BROKEN") ||
		!strings.Contains(out, "the node's store holds 0000") || !strings.Contains(errs, "audit found") {
		t.Errorf("peg audit of a broken app hash: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
}

// quietPebble drops Pebble's log lines.
type quietPebble struct{}

func (quietPebble) Infof(string, ...any)  {}
func (quietPebble) Errorf(string, ...any) {}
func (quietPebble) Fatalf(format string, args ...any) {
	panic(fmt.Sprintf(format, args...))
}
