package main

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/pegledger/peg/internal/node"
)

// firstRun calls run, which creates the development network under home
// unless one is there, and runs it. When there is none, it first checks that
// the network's ports are free, so that a run that cannot listen writes
// nothing, and if run fails all the same, it removes what run wrote, never
// what home held before.
func firstRun(home string, basePort, validators int, run func() error) error {
	missing, err := devNetworkMissing(home)
	if err != nil {
		return err
	}
	if !missing {
		return run()
	}
	if err := checkDevPorts(basePort, validators); err != nil {
		return err
	}
	rec, err := recordHome(home)
	if err != nil {
		return err
	}
	if err := run(); err != nil {
		if uerr := rec.undo(); uerr != nil {
			return errors.Join(err, fmt.Errorf("removing what this run wrote under %s: %w", rec.home, uerr))
		}
		return err
	}
	return nil
}

// devNetworkMissing reports whether home holds neither the network of `peg
// up` nor node0 of that of `peg up --validators`.
func devNetworkMissing(home string) (bool, error) {
	for _, h := range []string{home, node.TestnetHome(home, 0)} {
		if ok, err := holdsNode(h); err != nil || ok {
			return false, err
		}
	}
	return true, nil
}

// devPortNames name the ports of a development node's block, from its base.
var devPortNames = [devPorts]string{"p2p", "consensus RPC", "API", "demo bank Open Banking", "demo bank admin", "metrics"}

// checkDevPorts refuses a base port from which a development network of n
// validators cannot listen on loopback, and suggests one from which it can.
func checkDevPorts(base, n int) error {
	if base < 1 || base+n*devPorts-1 > 65535 {
		return usageErrorf("--base-port %d: want 1 to %d for %d validator(s) of %d ports each", base, 65536-n*devPorts, n, devPorts)
	}
	port, name, err := busyDevPort(base, n)
	if err == nil {
		return nil
	}
	hint := fmt.Sprintf("pass a --base-port with %d free ports after it", n*devPorts)
	for b := base + n*devPorts; b+n*devPorts-1 <= 65535 && b < base+100*n*devPorts; b += n * devPorts {
		if _, _, err := busyDevPort(b, n); err == nil {
			hint = fmt.Sprintf("pass --base-port %d, whose ports are free", b)
			break
		}
	}
	return fmt.Errorf("port %d, the %s port of --base-port %d, is in use (%v); is another Peg running? Nothing was written; %s",
		port, name, base, err, hint)
}

// busyDevPort finds a port that a development network of n validators from
// base would listen on and cannot: node i's node.NodePorts from base +
// devPorts·i, and node0's sidecars after its own.
func busyDevPort(base, n int) (int, string, error) {
	for i := range n {
		last := node.NodePorts
		if i == 0 {
			last = devPorts
		}
		for j := range last {
			p := base + i*devPorts + j
			ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
			if err != nil {
				return p, devPortNames[j], err
			}
			ln.Close()
		}
	}
	return 0, "", nil
}

// homeRecord is what a home held before a first run wrote to it.
type homeRecord struct {
	home string
	// root is the topmost directory the run creates, when home did not exist.
	root string
	// entries are home's entries when it existed.
	entries map[string]bool
}

// recordHome records what home holds now: nothing (and which directories
// creating it will make), or its entries.
func recordHome(home string) (*homeRecord, error) {
	abs, err := filepath.Abs(home)
	if err != nil {
		return nil, err
	}
	des, err := os.ReadDir(abs)
	if err == nil {
		rec := &homeRecord{home: abs, entries: make(map[string]bool, len(des))}
		for _, d := range des {
			rec.entries[d.Name()] = true
		}
		return rec, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	root := abs
	for {
		parent := filepath.Dir(root)
		if _, err := os.Stat(parent); parent == root || !errors.Is(err, fs.ErrNotExist) {
			return &homeRecord{home: abs, root: root}, nil
		}
		root = parent
	}
}

// undoWait bounds undo's retries: CometBFT's address book saves from a
// goroutine that outlives the node's Stop, and may write into the home while
// it is being removed.
const undoWait = 5 * time.Second

// undo removes what was written since the record: the directories that did
// not exist, or the entries home did not hold.
func (r *homeRecord) undo() error {
	deadline := time.Now().Add(undoWait)
	for {
		err := r.removeNew()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (r *homeRecord) removeNew() error {
	if r.root != "" {
		return os.RemoveAll(r.root)
	}
	des, err := os.ReadDir(r.home)
	if err != nil {
		return err
	}
	var errs []error
	for _, d := range des {
		if !r.entries[d.Name()] {
			errs = append(errs, os.RemoveAll(filepath.Join(r.home, d.Name())))
		}
	}
	return errors.Join(errs...)
}
