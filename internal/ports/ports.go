// Package ports finds blocks of free loopback ports for nodes that a
// process starts on its own (benchmarks, tests).
package ports

import (
	"fmt"
	"math/rand/v2"
	"net"
)

// Where Block looks: below Linux's default ephemeral range (32768 to
// 60999), from which the kernel gives outgoing connections their local
// ports, so that no client connection of this or another process can hold
// a port a node is about to listen on.
const (
	low  = 10000
	high = 32768
)

// tries bounds the attempts to find a block.
const tries = 50

// Block finds n consecutive free loopback ports and returns the first.
// Another process may still take one before the node listens on it, which
// then fails to start with "address already in use".
func Block(n int) (int, error) {
	for range tries {
		base := low + rand.IntN(high-low-n)
		if free(base, n) {
			return base, nil
		}
	}
	return 0, fmt.Errorf("ports: found no %d consecutive free loopback ports below %d", n, high)
}

func free(base, n int) bool {
	for p := base; p < base+n; p++ {
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
		if err != nil {
			return false
		}
		ln.Close()
	}
	return true
}
