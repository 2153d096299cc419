package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pegledger/peg/internal/index"
	"github.com/pegledger/peg/internal/node"
	"github.com/pegledger/peg/internal/sqldb/sqltest"
)

// indexLags is `peg index status -o json`.
func indexLags(t *testing.T, home string, args ...string) []index.Lag {
	t.Helper()
	var lags []index.Lag
	out := mustPeg(t, home, append([]string{"index", "status", "-o", "json"}, args...)...)
	if err := json.Unmarshal([]byte(out), &lags); err != nil {
		t.Fatalf("peg index status: %v\n%s", err, out)
	}
	return lags
}

// indexedUp waits until the index at args (--db, --node) holds the node's
// chain to the node's height.
func indexedUp(t *testing.T, home string, args ...string) index.Lag {
	t.Helper()
	var last index.Lag
	eventually(t, 120*time.Second, "the index catching up with the node", func() bool {
		lags := indexLags(t, home, args...)
		if len(lags) != 1 {
			return false
		}
		last = lags[0]
		return last.Error == "" && last.Indexed > 0 && last.Lag == 0
	})
	return last
}

// verifyIndex runs `peg index verify -o json` and fails on a difference.
func verifyIndex(t *testing.T, home string, args ...string) index.Verification {
	t.Helper()
	code, out, errs := peg(t, home, append([]string{"index", "verify", "-o", "json"}, args...)...)
	var v index.Verification
	if err := json.Unmarshal([]byte(out), &v); err != nil || code != exitOK || !v.Holdings || len(v.Differences) > 0 {
		t.Fatalf("peg index verify: exit %d %v\n%s\n%s", code, err, out, errs)
	}
	return v
}

// TestIndexUp: `peg up` runs an indexer into index.db in its home and says
// so; after a mint and a payment, `peg index status` shows it caught up and
// `peg index verify` finds it equal to the chain, every account's coins and
// balances included.
func TestIndexUp(t *testing.T) {
	home := t.TempDir()
	base := freeBasePort(t)
	up := startUp(t, home, base)
	defer up.stop(t)
	abs, _ := filepath.Abs(filepath.Join(home, node.DefaultIndexFile))
	if !strings.Contains(up.stdout.String(), "index      "+abs) {
		t.Errorf("the banner does not name the index %s:\n%s", abs, up.stdout)
	}
	mustPeg(t, home, "token", "deploy", "--from", "issuer", "--file", "../../examples/gbpt.toml")
	mustPeg(t, home, "reserve", "status", "gbpt", "--wait", "OK", "--timeout", "30s")
	mustPeg(t, home, "token", "mint", "--from", "minter", "--token", "gbpt", "--to", "alice", "--amount", "1000")
	depositFees(t, home, "alice", "50", 4)
	mustPeg(t, home, "pay", "--from", "alice", "--token", "gbpt", "--to", "bob", "--amount", "250.50")
	lag := indexedUp(t, home)
	if lag.ChainID != devChainID || lag.Region != string(devRegion) {
		t.Errorf("status: %+v", lag)
	}
	// The chain goes on (the reserve watch attests); verify once the index
	// holds the node's height.
	eventually(t, 60*time.Second, "a verification at the node's height", func() bool {
		code, out, _ := peg(t, home, "index", "verify", "-o", "json")
		var v index.Verification
		return json.Unmarshal([]byte(out), &v) == nil && code == exitOK && v.Holdings && v.Accounts >= 2
	})
	text := mustPeg(t, home, "index", "status")
	if !strings.Contains(text, devChainID) || !strings.Contains(text, "LAG") {
		t.Errorf("peg index status:\n%s", text)
	}
	if code, _, errs := peg(t, home, "index", "status", "--db", filepath.Join(t.TempDir(), "none.db")); code != exitFailure || !strings.Contains(errs, "no index database") {
		t.Errorf("status of a missing database: exit %d %s", code, errs)
	}
}

// TestIndexKilled: `peg index` processes, one per database (SQLite, and
// PostgreSQL when the tests are given one), are SIGKILLed at random moments
// while payments flow into a real node (peg bench --node) and started again
// each time; a PostgreSQL server is also restarted under its indexer when
// the tests are given one of their own with the command that restarts it
// (PEG_TEST_POSTGRES_RESTART_URL and PEG_TEST_POSTGRES_RESTART, set by
// .ci/run: not the server other packages' tests use at the same time). Once the load is over and each indexer has caught up, each
// index holds every receipt of the chain exactly once, and every coin
// owner's unspent coins and balance are the node's.
func TestIndexKilled(t *testing.T) {
	home := t.TempDir()
	base := freeBasePort(t)
	up := startUp(t, home, base)
	defer up.stop(t)
	url := fmt.Sprintf("http://127.0.0.1:%d", base+2)
	seed := time.Now().UnixNano()
	t.Logf("random kill times from seed %d", seed)
	rng := rand.New(rand.NewPCG(uint64(seed), 0))
	restart, restartURL := os.Getenv("PEG_TEST_POSTGRES_RESTART"), os.Getenv("PEG_TEST_POSTGRES_RESTART_URL")
	if restart == "" || restartURL == "" {
		restart = ""
		t.Log("PEG_TEST_POSTGRES_RESTART(_URL) is not set: PostgreSQL is not restarted under the indexer (CI sets them)")
	}
	var names []string
	args := map[string][]string{}
	for name, fresh := range sqltest.Databases(t, "killed.db") {
		names = append(names, name)
		where := fresh(t)
		if name == "postgres" && restart != "" {
			where = sqltest.FreshPostgres(t, restartURL)
		}
		args[name] = []string{"--node", url, "--db", where}
	}
	bench := startPeg(t, "bench", "--home", home, "--node", url, "--fees", "--payments", "4000", "--accounts", "200",
		"--rate", "800", "--workers", "4")
	benchDone := make(chan error, 1)
	go func() { benchDone <- bench.cmd.Wait() }()
	indexers := func() map[string]*upProcess {
		ps := map[string]*upProcess{}
		for _, name := range names {
			ps[name] = startPeg(t, append([]string{"index", "--home", home}, args[name]...)...)
		}
		return ps
	}
	kills, restarted := 0, false
load:
	for {
		ps := indexers()
		select {
		case err := <-benchDone:
			if err != nil {
				t.Fatalf("peg bench: %v\n%s", err, bench.stderr)
			}
			for _, p := range ps {
				p.cmd.Process.Kill()
				p.cmd.Wait()
			}
			break load
		case <-time.After(time.Duration(100+rng.IntN(1400)) * time.Millisecond):
		}
		if p := ps["postgres"]; p != nil && restart != "" && !restarted && kills == 2 {
			// The server goes away under a running indexer, which tries
			// again and goes on.
			restartPostgres(t, restart)
			restarted = true
			time.Sleep(time.Second)
			if p.cmd.ProcessState != nil {
				t.Fatalf("the indexer ended with the database's restart:\n%s", p.stderr)
			}
		}
		for _, p := range ps {
			if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			p.cmd.Wait()
		}
		kills++
	}
	t.Logf("each indexer was killed %d times under load", kills)
	if kills < 2 {
		t.Errorf("the load ended after %d kills; the test wants at least 2", kills)
	}
	ps := indexers()
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			p := ps[name]
			defer func() {
				if t.Failed() {
					t.Logf("the indexer's log:\n%s", p.stderr)
				}
			}()
			indexedUp(t, home, args[name]...)
			eventually(t, 60*time.Second, "a verification at the node's height", func() bool {
				code, out, _ := peg(t, home, append([]string{"index", "verify", "-o", "json"}, args[name]...)...)
				var v index.Verification
				return json.Unmarshal([]byte(out), &v) == nil && code == exitOK && v.Holdings
			})
			p.stop(t)
			v := verifyIndex(t, home, args[name]...)
			if v.Receipts < 4000 || v.Accounts < 200 {
				t.Errorf("verified %d receipts and %d accounts, want at least 4000 and 200", v.Receipts, v.Accounts)
			}
		})
	}
}

// restartPostgres runs the command that restarts the tests' PostgreSQL
// server. Its output goes to a file, not a pipe: the server it starts
// inherits it and would hold a pipe open.
func restartPostgres(t *testing.T, command string) {
	t.Helper()
	out, err := os.Create(filepath.Join(t.TempDir(), "restart.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	cmd := exec.Command("sh", "-c", command)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Run(); err != nil {
		b, _ := os.ReadFile(out.Name())
		t.Fatalf("restarting PostgreSQL: %v\n%s", err, b)
	}
}
