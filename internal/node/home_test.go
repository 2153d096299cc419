package node

import (
	"os"
	"testing"
	"time"
)

// nodeHome is a temporary home for a node the test starts. CometBFT's
// address book saves config/addrbook.json from a goroutine that outlives
// the node's Stop (cmtnode.Node gives no handle to wait for it), and
// t.TempDir's removal failed when that write landed during it ("directory
// not empty"); removing the home here tries again until the write is done.
func nodeHome(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "peg-node-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		deadline := time.Now().Add(10 * time.Second)
		for {
			err := os.RemoveAll(dir)
			if err == nil {
				return
			}
			if time.Now().After(deadline) {
				t.Errorf("removing the node's home: %v", err)
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
	return dir
}
