package ports

import (
	"fmt"
	"net"
	"testing"
)

// TestBlockIsFreeAndBelowEphemeral: every port of a block can be listened
// on, and none is in the range the kernel gives outgoing connections.
func TestBlockIsFreeAndBelowEphemeral(t *testing.T) {
	for range 20 {
		base, err := Block(9)
		if err != nil {
			t.Fatal(err)
		}
		if base < low || base+9 > high {
			t.Fatalf("block %d..%d is outside [%d, %d)", base, base+8, low, high)
		}
		for p := base; p < base+9; p++ {
			ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
			if err != nil {
				t.Fatalf("port %d of block %d: %v", p, base, err)
			}
			ln.Close()
		}
	}
}
