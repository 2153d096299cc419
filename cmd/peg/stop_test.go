package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pegledger/peg/internal/client"
)

// TestCleanStop interrupts `peg up`, with a coin whose reserve the monitor
// polls, and then `peg start` on the same home, as Ctrl-C does: a normal stop
// logs no ERROR line.
func TestCleanStop(t *testing.T) {
	home := t.TempDir()
	base := freeBasePort(t)
	up := startUp(t, home, base)
	mustPeg(t, home, "token", "deploy", "--from", "issuer", "--file", "../../examples/gbpt.toml")
	waitFor(t, "the monitor's first attestation", func() bool { return strings.Contains(up.stderr.String(), "msg=attested") })
	up.stop(t)
	noErrorLines(t, "peg up", up.stderr.String())

	start := startPeg(t, "start", "--home", home)
	api := client.New(fmt.Sprintf("http://127.0.0.1:%d", base+2))
	waitFor(t, "peg start to serve its API", func() bool {
		_, err := api.Status(context.Background())
		return err == nil
	})
	start.stop(t)
	noErrorLines(t, "peg start", start.stderr.String())
}

// waitFor polls cond for up to a minute.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within a minute", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// noErrorLines fails the test for every ERROR line of a process's log from
// its stop on. (Before it, a restart may log one of CometBFT's: a node
// stopped between signing a proposal and committing its block re-proposes
// on restart, and CometBFT v0.39 takes the signature its signer returns
// for the first proposal without that proposal's timestamp, then refuses
// its own proposal's signature.)
func noErrorLines(t *testing.T, name, log string) {
	t.Helper()
	_, stop, ok := strings.Cut(log, `msg="shutting down"`)
	if !ok || !strings.Contains(stop, `msg=stopped`) {
		t.Errorf("%s did not log its stop:\n%s", name, log)
	}
	for _, line := range strings.Split(stop, "\n") {
		if strings.Contains(line, "level=ERROR") {
			t.Errorf("%s logged an error on a normal stop: %s", name, line)
		}
	}
}
