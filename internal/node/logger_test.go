package node

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"
	"testing"

	cmtlog "github.com/cometbft/cometbft/libs/log"
	"github.com/cometbft/cometbft/libs/service"
)

// TestCometLoggerStopNoise: once the node is stopping, the errors CometBFT
// logs because the stop closes its listeners and peers are debug lines; any
// other error, and the same lines while the node runs, stay errors.
func TestCometLoggerStopNoise(t *testing.T) {
	closed := &net.OpError{Op: "accept", Net: "tcp", Err: net.ErrClosed}
	for _, tc := range []struct {
		name     string
		msg      string
		kv       []any
		stopping bool
		want     string
	}{
		{"closed listener while stopping", "Error serving server", []any{"err", closed}, true, "DEBUG"},
		{"peer hung up while stopping", "Stopping peer for error", []any{"peer", "p", "err", io.EOF}, true, "DEBUG"},
		{"pool stopped twice while stopping", "Error stopping pool", []any{"err", fmt.Errorf("pool: %w", service.ErrAlreadyStopped)}, true, "DEBUG"},
		{"transport closed while stopping", "Stopped accept routine, as transport is closed", []any{"numPeers", 0}, true, "DEBUG"},
		{"peer turned away while stopping", "Won't start a peer - switch is not running", []any{"peer", "p"}, true, "DEBUG"},
		{"other error while stopping", "Failed to write", []any{"err", errors.New("disk full")}, true, "ERROR"},
		{"closed listener while running", "Error serving server", []any{"err", closed}, false, "ERROR"},
		{"peer hung up while running", "Stopping peer for error", []any{"err", io.EOF}, false, "ERROR"},
		{"transport closed while running", "Stopped accept routine, as transport is closed", nil, false, "ERROR"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			var stopping atomic.Bool
			stopping.Store(tc.stopping)
			var l cmtlog.Logger = cometLogger{slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})), &stopping}
			l.With("module", "p2p").Error(tc.msg, tc.kv...)
			if got := buf.String(); !strings.Contains(got, "level="+tc.want) || !strings.Contains(got, "module=p2p") {
				t.Errorf("logged %q, want a %s line keeping the logger's attributes", got, tc.want)
			}
		})
	}
}
