package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pegledger/peg/internal/node"
)

// indexerOf is the pid of the `peg index` process writing db, 0 if none
// runs.
func indexerOf(t *testing.T, db string) int {
	t.Helper()
	procs, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range procs {
		pid, err := strconv.Atoi(p.Name())
		if err != nil {
			continue
		}
		raw, err := os.ReadFile(filepath.Join("/proc", p.Name(), "cmdline"))
		if err != nil {
			continue
		}
		args := strings.Split(strings.TrimRight(string(raw), "\x00"), "\x00")
		if len(args) > 2 && args[1] == "index" && strings.Contains(strings.Join(args, " "), "--db "+db) {
			return pid
		}
	}
	return 0
}

// niceOf is process pid's nice value (/proc/PID/stat's 19th field).
func niceOf(t *testing.T, pid int) int {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		t.Fatal(err)
	}
	// The command name, in parentheses, may hold spaces: count after it.
	fields := strings.Fields(string(raw[strings.LastIndexByte(string(raw), ')')+1:]))
	n, err := strconv.Atoi(fields[16])
	if err != nil {
		t.Fatalf("/proc/%d/stat: %v", pid, err)
	}
	return n
}

// TestUpIndexerChild: `peg up` runs its indexer as a `peg index` child
// process at the lowest CPU priority, which stops with it on Ctrl-C and is
// stopped by the kernel when `peg up` is killed outright (SIGKILL), so that
// no indexer outlives the network it follows.
func TestUpIndexerChild(t *testing.T) {
	for _, kill := range []bool{false, true} {
		home := t.TempDir()
		up := startUp(t, home, freeBasePort(t))
		db, _ := filepath.Abs(filepath.Join(home, node.DefaultIndexFile))
		var pid int
		eventually(t, 30*time.Second, "peg up's indexer", func() bool { pid = indexerOf(t, db); return pid != 0 })
		if n := niceOf(t, pid); n != IndexNice {
			t.Errorf("the indexer runs at nice %d, want %d", n, IndexNice)
		}
		indexedUp(t, home)
		t.Cleanup(func() {
			if pid := indexerOf(t, db); pid != 0 {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		})
		if kill {
			// Only the process is reaped: the output pipes stay read, so
			// that an indexer that outlived peg up would not die of a
			// closed pipe but be found running (and killed at cleanup).
			if err := up.cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			up.cmd.Process.Wait()
		} else {
			up.stop(t)
		}
		eventually(t, 30*time.Second, "the indexer's exit", func() bool { return indexerOf(t, db) == 0 })
	}
}
