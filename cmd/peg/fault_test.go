package main

import (
	"context"
	"crypto/ed25519"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/keyring"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
	"github.com/pegledger/peg/internal/node"
	"github.com/pegledger/peg/internal/ports"
	"github.com/pegledger/peg/internal/tx"
	"github.com/pegledger/peg/internal/tx/txpb"
)

var (
	faultKills = flag.Int("kills", 20, "SIGKILLs of the validator in TestFaultCrashRestart")
	faultSeed  = flag.Uint64("seed", 0, "seed of the fault tests' random moments (0: a new one, printed on failure)")
	catchUp    = flag.Int("catchup-blocks", 0, "TestFaultCatchUp: measure a restarted validator catching up this many blocks (0 skips)")
	faultDir   = flag.String("fault-dir", "", "keep the fault tests' node homes and logs under this directory (default: a temporary one, removed)")
)

// The fault tests' network: short consensus timeouts so that a round whose
// proposer is dead moves on quickly, and empty blocks often enough that a
// halted or resumed chain shows within seconds.
const (
	faultTimeoutPropose = "500ms"
	faultTimeoutVote    = "200ms" // prevote and precommit
	faultTimeoutCommit  = "100ms"
	faultEmptyBlocks    = "500ms"
)

// Bounds on the fault tests' waits; all far above what a healthy network on
// a loaded 2-core machine needs.
const (
	serveTimeout    = 60 * time.Second // a started process serves a committed block
	progressTimeout = 60 * time.Second // a network advances a few blocks, or a node catches up
	stallSettle     = 3 * time.Second  // a block in flight when quorum was lost is committed
	stallWindow     = 5 * time.Second  // several rounds of timeout_propose with no quorum
)

// When TestFaultCrashRestart kills: within loadKillWindow of the node serving
// (under load), or, one time in four, within startupKillWindow of starting it.
const (
	loadKillWindow    = 3 * time.Second
	startupKillWindow = 500 * time.Millisecond
)

// The test token and what each payer holds of it: every payment moves
// faultPayment between alice and bob, so their total stays faultTotal.
const (
	faultMint    = "1000"
	faultPayment = "1"
	faultTotal   = "2000"
)

// faultRand returns the test's random source. It logs the seed, and again if
// the test fails, so that -seed replays the same choices.
func faultRand(t *testing.T) *rand.Rand {
	seed := *faultSeed
	if seed == 0 {
		seed = rand.Uint64()
	}
	t.Logf("seed %d", seed)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("seed %d (rerun with -seed=%d)", seed, seed)
		}
	})
	return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}

// faultHome is the directory a fault test writes its network under: a
// temporary one, or, with -fault-dir, one that outlives the test so that a
// failure's node logs, consensus WAL and signing state can be read.
func faultHome(t *testing.T) string {
	if *faultDir == "" {
		return t.TempDir()
	}
	dir, err := os.MkdirTemp(*faultDir, t.Name()+"-")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("network under %s", dir)
	return dir
}

// freePortBlock finds n consecutive free loopback ports.
func freePortBlock(t *testing.T, n int) int {
	t.Helper()
	base, err := ports.Block(n)
	if err != nil {
		t.Fatal(err)
	}
	return base
}

// writeTestnet runs `peg testnet` in this process under dir with the fault
// tests' timeouts and returns the nodes it wrote.
func writeTestnet(t *testing.T, dir string, validators, fullNodes int, extra ...string) []*pegNode {
	t.Helper()
	base := freePortBlock(t, (validators+fullNodes)*devPorts)
	args := append([]string{"testnet", "--validators", fmt.Sprint(validators), "--full-nodes", fmt.Sprint(fullNodes),
		"--base-port", fmt.Sprint(base), "--timeout-propose", faultTimeoutPropose, "--timeout-prevote", faultTimeoutVote,
		"--timeout-precommit", faultTimeoutVote, "--timeout-commit", faultTimeoutCommit,
		"--empty-blocks-interval", faultEmptyBlocks}, extra...)
	mustPeg(t, dir, args...)
	nodes := make([]*pegNode, validators+fullNodes)
	for i := range nodes {
		home := node.TestnetHome(dir, i)
		cfg, err := node.LoadConfig(home)
		if err != nil {
			t.Fatal(err)
		}
		nodes[i] = &pegNode{name: cfg.Moniker, home: home, api: client.New("http://" + cfg.API.Listen),
			log: filepath.Join(dir, cfg.Moniker+".log")}
	}
	return nodes
}

// pegNode is one node of a test network, run by start as `peg start` in a
// process of its own, whose output, across restarts, goes to log. A node the
// test never starts is run by another process (`peg up --validators`).
type pegNode struct {
	name string
	home string
	api  *client.Client
	log  string

	cmd    *exec.Cmd
	exited chan struct{} // closed once cmd has exited
	runs   int
}

// start runs the node; the test's cleanup kills it if it is still running.
func (n *pegNode) start(t *testing.T) {
	t.Helper()
	f, err := os.OpenFile(n.log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	n.runs++
	fmt.Fprintf(f, "=== run %d\n", n.runs)
	cmd := exec.Command(pegBinary, "start", "--home", n.home)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		f.Close()
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		f.Close()
		close(exited)
	}()
	n.cmd, n.exited = cmd, exited
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
}

// running reports whether the node's process is alive.
func (n *pegNode) running() bool {
	if n.exited == nil {
		return false
	}
	select {
	case <-n.exited:
		return false
	default:
		return true
	}
}

// signal sends sig to the running process; SIGKILL also waits for its exit.
func (n *pegNode) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := n.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("%s: %v", n.name, err)
	}
	if sig == syscall.SIGKILL {
		<-n.exited
	}
}

// status asks the node's API where its chain stands, briefly.
func (n *pegNode) status() (*client.Status, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return n.api.Status(ctx)
}

// block reads block h from the node's API, briefly.
func (n *pegNode) block(h int64) (*client.Block, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return n.api.Block(ctx, h)
}

// logTail is the end of the node's output, for failure messages.
func (n *pegNode) logTail() string {
	b, err := os.ReadFile(n.log)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-40):], "\n")
}

// network is the nodes of one test network.
type network []*pegNode

// describe says where every node stands: running or not, height and app hash.
func (nw network) describe() string {
	var b strings.Builder
	b.WriteString("network:\n")
	for _, n := range nw {
		state := "stopped"
		switch {
		case n.cmd == nil:
			state = "run by another process"
		case n.running():
			state = "running"
		}
		st, err := n.status()
		if err != nil {
			fmt.Fprintf(&b, "  %s (%s): %v\n", n.name, state, err)
			continue
		}
		fmt.Fprintf(&b, "  %s (%s): height %d app hash %s\n", n.name, state, st.Height, st.AppHash)
	}
	return b.String()
}

// fatal fails the test with the network's state and the tails of the logs of
// nodes that are not running.
func (nw network) fatal(t *testing.T, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...) + "\n" + nw.describe()
	for _, n := range nw {
		if n.exited != nil && !n.running() && n.cmd.ProcessState != nil && !n.killedBySignal() {
			msg += fmt.Sprintf("\n%s exited (%v); its log ends:\n%s\n", n.name, n.cmd.ProcessState, n.logTail())
		}
	}
	t.Fatal(msg)
}

// killedBySignal reports whether the node's last process was ended by a
// signal, the test's SIGKILL, rather than exiting by itself as a panic does.
func (n *pegNode) killedBySignal() bool {
	ws, ok := n.cmd.ProcessState.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled()
}

// checkAlive fails if a node the test did not stop has exited, as the
// invariants build's audit makes a node do after a block that breaks one.
func (nw network) checkAlive(t *testing.T, nodes ...*pegNode) {
	t.Helper()
	for _, n := range nodes {
		if n.cmd != nil && !n.running() {
			t.Fatalf("%s is not running (%v); its log ends:\n%s\n%s", n.name, n.cmd.ProcessState, n.logTail(), nw.describe())
		}
	}
}

// waitServing waits until the node's API answers with a committed block.
func (nw network) waitServing(t *testing.T, n *pegNode) {
	t.Helper()
	deadline := time.Now().Add(serveTimeout)
	for {
		if st, err := n.status(); err == nil && st.Height > 0 {
			return
		}
		if !n.running() {
			nw.fatal(t, "%s exited before serving", n.name)
		}
		if time.Now().After(deadline) {
			nw.fatal(t, "%s did not serve a committed block within %v; its log ends:\n%s", n.name, serveTimeout, n.logTail())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitHeight waits until every one of nodes has committed height h.
func (nw network) waitHeight(t *testing.T, h uint64, nodes ...*pegNode) {
	t.Helper()
	deadline := time.Now().Add(progressTimeout)
	for {
		behind := ""
		for _, n := range nodes {
			if st, err := n.status(); err != nil || st.Height < h {
				behind = n.name
				break
			}
		}
		if behind == "" {
			return
		}
		nw.checkAlive(t, nodes...)
		if time.Now().After(deadline) {
			nw.fatal(t, "%s did not reach height %d within %v", behind, h, progressTimeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// maxHeight is the highest height any of nodes reports.
func (nw network) maxHeight(t *testing.T, nodes ...*pegNode) uint64 {
	t.Helper()
	var h uint64
	for _, n := range nodes {
		st, err := n.status()
		if err != nil {
			nw.fatal(t, "%s: %v", n.name, err)
		}
		h = max(h, st.Height)
	}
	return h
}

// appHashAfter is the app hash of n's state after block h: its status if it
// is at h, else the header of block h+1, which carries it. It waits for n to
// reach h for as long as n advances.
func (nw network) appHashAfter(t *testing.T, n *pegNode, h uint64) string {
	t.Helper()
	nw.waitAdvancing(t, h, n)
	st, err := n.status()
	if err != nil {
		nw.fatal(t, "%s: %v", n.name, err)
	}
	if st.Height == h {
		return strings.ToLower(st.AppHash)
	}
	b, err := n.block(int64(h + 1))
	if err != nil {
		nw.fatal(t, "%s: block %d: %v", n.name, h+1, err)
	}
	return strings.ToLower(b.AppHash)
}

// checkAgreement fails unless nodes agree: the same block hash at every
// height from 1 to the lowest of their heights (a block's header carries the
// app hash before it, so this is also every app hash), and each node's own
// app hash, which it computed, equal to the one the others committed to at
// its height.
func (nw network) checkAgreement(t *testing.T, nodes ...*pegNode) {
	t.Helper()
	own := make([]*client.Status, len(nodes))
	low := uint64(0)
	for i, n := range nodes {
		st, err := n.status()
		if err != nil {
			nw.fatal(t, "%s: %v", n.name, err)
		}
		own[i] = st
		if i == 0 || st.Height < low {
			low = st.Height
		}
	}
	for i, n := range nodes {
		for _, o := range nodes {
			if o == n {
				continue
			}
			if got, want := strings.ToLower(own[i].AppHash), nw.appHashAfter(t, o, own[i].Height); got != want {
				nw.fatal(t, "%s computed app hash %s after block %d; %s holds %s", n.name, got, own[i].Height, o.name, want)
			}
		}
	}
	for h := int64(1); h <= int64(low); h++ {
		var first *client.Block
		for _, n := range nodes {
			b, err := n.block(h)
			if err != nil {
				nw.fatal(t, "%s: block %d: %v", n.name, h, err)
			}
			if first == nil {
				first = b
			} else if b.Hash != first.Hash || b.AppHash != first.AppHash {
				nw.fatal(t, "block %d: %s has hash %s app hash %s; %s has hash %s app hash %s",
					h, nodes[0].name, first.Hash, first.AppHash, n.name, b.Hash, b.AppHash)
			}
		}
	}
}

// payLoad pays faultPayment from alice to bob and from bob to alice through
// one node, each payer one payment at a time, until stopped, and records the id of every payment whose committed, successful
// receipt it saw. It plans payments with the CLI's own coin selection and
// submits them as `peg pay` does, but signs with keys it decrypted once: a
// key file's argon2id would otherwise cost more CPU than the nodes.
type payLoad struct {
	node *pegNode
	stop chan struct{}
	done sync.WaitGroup

	mu        sync.Mutex
	committed []ledger.TxID
	failed    int
}

// payer is a development key, decrypted.
type payer struct {
	addr ledger.Address
	priv ed25519.PrivateKey
}

// startLoad starts paying through n, with the keys of home's keyring.
func startLoad(t *testing.T, home string, n *pegNode) *payLoad {
	t.Helper()
	kr, err := keyring.Open(filepath.Join(home, node.KeyringDir))
	if err != nil {
		t.Fatal(err)
	}
	var ps [2]payer
	for i, name := range []string{"alice", "bob"} {
		k, err := kr.Get(name)
		if err != nil {
			t.Fatal(err)
		}
		priv, err := kr.PrivateKey(name, nil)
		if err != nil {
			t.Fatal(err)
		}
		ps[i] = payer{k.Address, priv}
	}
	l := &payLoad{node: n, stop: make(chan struct{})}
	l.done.Go(func() { l.pay(ps[0], ps[1]) })
	l.done.Go(func() { l.pay(ps[1], ps[0]) })
	return l
}

// pay is one payer's loop: pay, and after a failure pause briefly, since the
// node is likely down.
func (l *payLoad) pay(from, to payer) {
	for {
		select {
		case <-l.stop:
			return
		default:
		}
		id, err := payOnce(l.node, from, to)
		l.mu.Lock()
		if err == nil {
			l.committed = append(l.committed, id)
		} else {
			l.failed++
		}
		l.mu.Unlock()
		if err != nil {
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// payOnce pays faultPayment of gbpt through n and waits for its block; it
// returns the payment's id if the block accepted it.
func payOnce(n *pegNode, from, to payer) (ledger.TxID, error) {
	ctx, cancel := context60()
	defer cancel()
	g := &globals{node: n.api.BaseURL()}
	tok, amt, err := g.tokenAmount(ctx, "gbpt", faultPayment)
	if err != nil {
		return ledger.TxID{}, err
	}
	inputs, outs, _, err := g.planPayment(ctx, tok, from.addr, to.addr, amt)
	if err != nil {
		return ledger.TxID{}, err
	}
	st, err := n.api.Status(ctx)
	if err != nil {
		return ledger.TxID{}, err
	}
	body := &txpb.Body{
		Msg:          &txpb.Body_Pay{Pay: &txpb.Pay{Token: string(tok.ID), Inputs: inputs, Outputs: outs}},
		ChainId:      st.ChainID,
		ExpiryHeight: st.Height + min(expiryBlocks, st.Params.MaxExpiryDelta),
		Signer:       from.addr.String(),
		Nonce:        rand.Uint64(),
	}
	raw, id, err := tx.Sign(body, from.priv)
	if err != nil {
		return ledger.TxID{}, err
	}
	res, err := n.api.Submit(ctx, raw, true)
	if err != nil {
		return ledger.TxID{}, err
	}
	if res.Receipt == nil || res.Receipt.Code != ledger.OK {
		return ledger.TxID{}, fmt.Errorf("payment %s: receipt %+v", id, res.Receipt)
	}
	return id, nil
}

// count is how many payments the load saw committed so far.
func (l *payLoad) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.committed)
}

// finish stops the load and returns the committed payments and the attempts
// that failed (the node was down, or the chain halted).
func (l *payLoad) finish() ([]ledger.TxID, int) {
	close(l.stop)
	l.done.Wait()
	return l.committed, l.failed
}

// setUpToken deploys gbpt, attests its reserve and mints faultMint to alice
// and to bob, through the CLI against the node configured in home.
func setUpToken(t *testing.T, home string) {
	t.Helper()
	mustPeg(t, home, "token", "deploy", "--from", "issuer", "--file", "../../examples/gbpt.toml")
	mustPeg(t, home, "reserve", "attest", "--token", "gbpt", "--balance", "1000000.00")
	for _, who := range []string{"alice", "bob"} {
		mustPeg(t, home, "token", "mint", "--from", "minter", "--token", "gbpt", "--to", who, "--amount", faultMint)
	}
}

// checkLedger fails unless n holds every payment in ids with a successful
// receipt, alice and bob still hold faultTotal between them, and the supply
// is faultTotal.
func (nw network) checkLedger(t *testing.T, home string, n *pegNode, ids []ledger.TxID) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), progressTimeout)
	defer cancel()
	for _, id := range ids {
		rc, err := n.api.Tx(ctx, id)
		if err != nil {
			nw.fatal(t, "%s lost payment %s, whose commit the client saw: %v", n.name, id, err)
		}
		if rc.Code != ledger.OK {
			nw.fatal(t, "%s: payment %s has code %d (%s), but the client saw it succeed", n.name, id, rc.Code, rc.Name)
		}
	}
	kr, err := keyring.Open(filepath.Join(home, node.KeyringDir))
	if err != nil {
		t.Fatal(err)
	}
	var sum money.Amount
	for _, who := range []string{"alice", "bob"} {
		k, err := kr.Get(who)
		if err != nil {
			t.Fatal(err)
		}
		bs, err := n.api.Balances(ctx, k.Address, "gbpt")
		if err != nil {
			nw.fatal(t, "%s: balance of %s: %v", n.name, who, err)
		}
		for _, b := range bs {
			sum, _ = sum.Add(b.Units)
		}
	}
	want, err := money.Parse(faultTotal, 2)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Cmp(want) != 0 {
		nw.fatal(t, "%s: alice and bob hold %s units between them, want %s", n.name, sum, want)
	}
	tok, err := n.api.Token(ctx, "gbpt")
	if err != nil {
		nw.fatal(t, "%s: token: %v", n.name, err)
	}
	if tok.Supply.Units.Cmp(want) != 0 {
		nw.fatal(t, "%s: supply %s units, want %s", n.name, tok.Supply.Units, want)
	}
}

// TestFaultCrashRestart SIGKILLs a single validator at random moments under
// payment load, -kills times, restarting it each time. Afterwards every
// payment the client saw committed is there, alice and bob hold what they
// started with, the validator (built with -tags invariants, it audits after
// every block) is still running, and a full node that replays the chain from
// genesis computes the same app hash.
func TestFaultCrashRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("process-level fault test")
	}
	rnd := faultRand(t)
	dir := faultHome(t)
	nw := network(writeTestnet(t, dir, 1, 1))
	v, replica := nw[0], nw[1]
	v.start(t)
	nw.waitServing(t, v)
	setUpToken(t, v.home)
	load := startLoad(t, v.home, v)
	nw.waitServing(t, v)
	started := time.Now()
	// The highest height seen, and since when: a chain that commits nothing
	// across restarts for progressTimeout has lost liveness, and the test
	// stops there rather than after the remaining kills.
	var best uint64
	bestAt, bestKill := time.Now(), 0
	for k := range *faultKills {
		before := load.count()
		if rnd.IntN(4) == 0 {
			// Some kills land while the node is starting: opening its
			// stores, replaying its WAL, handshaking with the app.
			time.Sleep(time.Duration(rnd.Int64N(int64(startupKillWindow))))
		} else {
			nw.waitServing(t, v)
			time.Sleep(time.Duration(rnd.Int64N(int64(loadKillWindow))))
		}
		nw.checkAlive(t, v)
		at := "while starting"
		if st, err := v.status(); err == nil {
			at = fmt.Sprintf("at height %d", st.Height)
			if st.Height > best {
				best, bestAt, bestKill = st.Height, time.Now(), k
			}
		}
		if time.Since(bestAt) > progressTimeout {
			nw.fatal(t, "no block committed for %v, across kills %d to %d: stuck at height %d", progressTimeout, bestKill, k, best)
		}
		v.signal(t, syscall.SIGKILL)
		t.Logf("kill %d %s: %d payments committed since the last restart, %d in all",
			k+1, at, load.count()-before, load.count())
		v.start(t)
	}
	nw.waitServing(t, v)
	// Let the load see the restarted node commit before stopping it.
	for deadline, n := time.Now().Add(progressTimeout), load.count(); load.count() <= n; {
		if time.Now().After(deadline) {
			nw.fatal(t, "no payment committed after the last restart")
		}
		time.Sleep(100 * time.Millisecond)
	}
	ids, failed := load.finish()
	t.Logf("%d kills in %v: %d payments committed, %d attempts failed", *faultKills, time.Since(started).Round(time.Second), len(ids), failed)
	if len(ids) < *faultKills {
		nw.fatal(t, "only %d payments committed across %d kills: the load did not run", len(ids), *faultKills)
	}
	nw.checkAlive(t, v)
	nw.checkLedger(t, v.home, v, ids)

	replica.start(t)
	nw.waitServing(t, replica)
	nw.waitHeight(t, nw.maxHeight(t, v), replica)
	nw.checkAgreement(t, v, replica)
	nw.checkLedger(t, v.home, replica, ids)
	nw.checkAlive(t, v, replica)
}

// TestFaultFourValidators runs `peg testnet --validators 4` under payment
// load and takes validators away: one killed, the rest commit; restarted, it
// catches up and agrees; two killed, the survivors stop without forking;
// restarted, the chain moves on; one frozen (SIGSTOP) and resumed, it rejoins
// without diverging.
func TestFaultFourValidators(t *testing.T) {
	if testing.Short() {
		t.Skip("process-level fault test")
	}
	rnd := faultRand(t)
	dir := faultHome(t)
	nw := network(writeTestnet(t, dir, 4, 0))
	for _, n := range nw {
		n.start(t)
	}
	for _, n := range nw {
		nw.waitServing(t, n)
	}
	setUpToken(t, nw[0].home)
	// node0 serves the load and is never taken away; the victims are the
	// other three in a random order.
	load := startLoad(t, nw[0].home, nw[0])
	order := rnd.Perm(3)
	a, b, c := nw[order[0]+1], nw[order[1]+1], nw[order[2]+1]
	others := func(out ...*pegNode) []*pegNode {
		var rest []*pegNode
		for _, n := range nw {
			if !slices.Contains(out, n) {
				rest = append(rest, n)
			}
		}
		return rest
	}
	const advance = 5 // blocks a phase waits for

	t.Logf("%s killed: the others commit", a.name)
	a.signal(t, syscall.SIGKILL)
	nw.waitHeight(t, nw.maxHeight(t, others(a)...)+advance, others(a)...)
	nw.checkAgreement(t, others(a)...)

	t.Logf("%s restarted: it catches up and agrees", a.name)
	a.start(t)
	nw.waitServing(t, a)
	nw.waitHeight(t, nw.maxHeight(t, others(a)...), nw...)
	nw.checkAgreement(t, nw...)

	t.Logf("%s and %s killed: no quorum, no new blocks, no fork", b.name, c.name)
	b.signal(t, syscall.SIGKILL)
	c.signal(t, syscall.SIGKILL)
	time.Sleep(stallSettle)
	stalled := nw.maxHeight(t, others(b, c)...)
	time.Sleep(stallWindow)
	if h := nw.maxHeight(t, others(b, c)...); h != stalled {
		nw.fatal(t, "with two of four validators down, the survivors went from height %d to %d", stalled, h)
	}
	nw.checkAgreement(t, others(b, c)...)

	t.Logf("%s and %s restarted: progress resumes", b.name, c.name)
	b.start(t)
	c.start(t)
	nw.waitHeight(t, stalled+advance, nw...)
	nw.checkAgreement(t, nw...)

	t.Logf("%s frozen (SIGSTOP) and resumed: it rejoins without diverging", a.name)
	a.signal(t, syscall.SIGSTOP)
	nw.waitHeight(t, nw.maxHeight(t, others(a)...)+advance, others(a)...)
	a.signal(t, syscall.SIGCONT)
	nw.waitHeight(t, nw.maxHeight(t, others(a)...), nw...)
	nw.checkAgreement(t, nw...)

	ids, failed := load.finish()
	t.Logf("%d payments committed, %d attempts failed", len(ids), failed)
	if len(ids) == 0 {
		nw.fatal(t, "no payment committed: the load did not run")
	}
	// The load ran on after the last check: the last payments' blocks may
	// not have reached every node yet.
	nw.waitHeight(t, nw.maxHeight(t, nw...), nw...)
	for _, n := range nw {
		nw.checkLedger(t, nw[0].home, n, ids)
	}
	nw.checkAlive(t, nw...)
}

// TestUpValidators runs `peg up --validators 4`: four validators in one
// process, the sidecars against node0. A token deployed through node0 is seen
// by node3, and all four agree.
func TestUpValidators(t *testing.T) {
	if testing.Short() {
		t.Skip("process-level test")
	}
	dir := t.TempDir()
	base := freePortBlock(t, 4*devPorts)
	up := startUp(t, dir, base, "--validators", "4")
	for _, want := range []string{"validators 4 in this process", node.TestnetHome(dir, 0)} {
		if !strings.Contains(up.stdout.String(), want) {
			t.Errorf("banner lacks %q:\n%s", want, up.stdout)
		}
	}
	nw := make(network, 4)
	for i := range nw {
		nw[i] = &pegNode{name: fmt.Sprintf("node%d", i), home: node.TestnetHome(dir, i),
			api: client.New(fmt.Sprintf("http://127.0.0.1:%d", base+i*devPorts+2))}
	}
	mustPeg(t, nw[0].home, "token", "deploy", "--from", "issuer", "--file", "../../examples/gbpt.toml")
	h := nw.maxHeight(t, nw[0])
	nw.waitHeight(t, h, nw...)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := nw[3].api.Token(ctx, "gbpt"); err != nil {
		t.Errorf("node3 does not see the token deployed through node0: %v", err)
	}
	nw.checkAgreement(t, nw...)
	up.stop(t)

	up = startUp(t, dir, base, "--validators", "4")
	defer up.stop(t)
	if !strings.Contains(up.stdout.String(), "reusing") {
		t.Errorf("second run did not reuse the network:\n%s", up.stdout)
	}
	nw.waitHeight(t, h, nw...)
	if _, err := nw[3].api.Token(ctx, "gbpt"); err != nil {
		t.Errorf("after the restart, node3 does not see the token: %v", err)
	}
}

// TestTestnetCommand checks what `peg testnet` refuses: a home already
// written (a genesis is written once), and impossible networks.
func TestTestnetCommand(t *testing.T) {
	dir := t.TempDir()
	mustPeg(t, dir, "testnet", "--validators", "2", "--base-port", "30000")
	for _, tc := range []struct {
		name     string
		existing bool // run in the home already written, or else a fresh one
		args     []string
		code     int
		want     string
	}{
		{"written once", true, []string{"--validators", "2", "--base-port", "30000"}, exitFailure, "genesis is written once"},
		{"no validators", false, []string{"--validators", "0"}, exitUsage, "need at least one"},
		{"too many nodes", false, []string{"--validators", fmt.Sprint(node.MaxTestnetNodes + 1)}, exitUsage, "MaxTestnetNodes"},
		{"ports beyond 65535", false, []string{"--validators", "4", "--base-port", "65530"}, exitUsage, "must lie within"},
		{"negative timeout", false, []string{"--timeout-commit", "-1s"}, exitUsage, "must not be negative"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			home := filepath.Join(t.TempDir(), "net")
			if tc.existing {
				home = dir
			}
			code, _, errs := peg(t, home, append([]string{"testnet"}, tc.args...)...)
			if code != tc.code || !strings.Contains(errs, tc.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, errs, tc.code, tc.want)
			}
		})
	}
}

// TestFaultCatchUp measures, and does not assert, how long a validator of
// four takes to catch up -catchup-blocks blocks committed while it was down,
// under light payment load. It runs only when that flag is set, e.g.
//
//	go test -tags invariants ./cmd/peg -run TestFaultCatchUp -catchup-blocks=10000 -timeout 60m -v
func TestFaultCatchUp(t *testing.T) {
	if *catchUp == 0 {
		t.Skip("set -catchup-blocks to measure catch-up")
	}
	dir := faultHome(t)
	// Blocks as fast as three validators of four can make them: the missing
	// one's rounds time out quickly.
	nw := network(writeTestnet(t, dir, 4, 0, "--timeout-commit", "1ms", "--empty-blocks-interval", "0s",
		"--timeout-propose", "200ms", "--timeout-prevote", "50ms", "--timeout-precommit", "50ms"))
	for _, n := range nw {
		n.start(t)
	}
	for _, n := range nw {
		nw.waitServing(t, n)
	}
	setUpToken(t, nw[0].home)
	load := startLoad(t, nw[0].home, nw[0])
	lagging, live := nw[3], nw[:3]
	lagging.signal(t, syscall.SIGKILL)
	down := nw.maxHeight(t, live...)
	producing := time.Now()
	nw.waitAdvancing(t, down+uint64(*catchUp), live...)
	t.Logf("the other three committed %d blocks in %v", *catchUp, time.Since(producing).Round(time.Second))
	behind := nw.maxHeight(t, live...)
	restarted := time.Now()
	lagging.start(t)
	nw.waitServing(t, lagging)
	served := time.Since(restarted)
	nw.waitAdvancing(t, behind, lagging)
	took := time.Since(restarted)
	ids, _ := load.finish()
	nw.waitHeight(t, nw.maxHeight(t, nw[0]), lagging)
	t.Logf("catch-up: %d blocks (height %d to %d) in %v, API serving after %v: %.0f blocks/s; %d payments committed in all",
		behind-down, down, behind, took.Round(100*time.Millisecond), served.Round(100*time.Millisecond),
		float64(behind-down)/took.Seconds(), len(ids))
	nw.checkAgreement(t, lagging, nw[0])
	nw.checkLedger(t, nw[0].home, lagging, ids)
}

// waitAdvancing waits until every one of nodes has committed height h, for as
// long as they keep advancing: it fails only if the lowest of them stays put
// for progressTimeout. It logs each thousandth height they pass.
func (nw network) waitAdvancing(t *testing.T, h uint64, nodes ...*pegNode) {
	t.Helper()
	start := time.Now()
	var low uint64
	moved := time.Now()
	for {
		next := uint64(0)
		for i, n := range nodes {
			st, err := n.status()
			var hn uint64
			if err == nil {
				hn = st.Height
			}
			if i == 0 || hn < next {
				next = hn
			}
		}
		if next >= h {
			return
		}
		if next > low {
			if low > 0 && next/1000 != low/1000 {
				t.Logf("height %d after %v", next, time.Since(start).Round(time.Second))
			}
			low, moved = next, time.Now()
		}
		nw.checkAlive(t, nodes...)
		if time.Since(moved) > progressTimeout {
			nw.fatal(t, "stuck at height %d for %v, short of %d", low, progressTimeout, h)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
