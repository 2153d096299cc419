package node

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"sync/atomic"

	cmtlog "github.com/cometbft/cometbft/libs/log"
	"github.com/cometbft/cometbft/libs/service"
)

// NewLogger builds the process's slog logger from the config's log settings.
func NewLogger(w io.Writer, level, format string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: l}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// cometLogger bridges CometBFT's logger to slog. CometBFT's info lines (several
// per block) become debug lines: an operator sees Peg's own lines by default.
// Once the node is stopping, the errors CometBFT reports because the stop
// closes its listeners and connections (see stopNoise) become debug lines
// too: they are what a normal stop looks like, not failures.
type cometLogger struct {
	l        *slog.Logger
	stopping *atomic.Bool
}

func (c cometLogger) Debug(msg string, kv ...any) { c.l.Debug(msg, clean(kv)...) }
func (c cometLogger) Info(msg string, kv ...any)  { c.l.Debug(msg, clean(kv)...) }
func (c cometLogger) Warn(msg string, kv ...any)  { c.l.Warn(msg, clean(kv)...) }
func (c cometLogger) Error(msg string, kv ...any) {
	if c.stopping.Load() && stopNoise(msg, kv) {
		c.l.Debug(msg, clean(kv)...)
		return
	}
	c.l.Error(msg, clean(kv)...)
}
func (c cometLogger) With(kv ...any) cmtlog.Logger {
	return cometLogger{c.l.With(clean(kv)...), c.stopping}
}

// stopLines are error lines CometBFT's p2p switch logs only as it stops: its
// transport closed under its accept loop, a peer that connected meanwhile
// turned away.
var stopLines = []string{
	"Stopped accept routine, as transport is closed",
	"Won't start a peer - switch is not running",
}

// stopNoise reports whether an error line of CometBFT is a consequence of the
// node's own stop: a listener closed under its server (net.ErrClosed), a peer
// that hung up as it stops too (io.EOF), a service stopped twice
// (service.ErrAlreadyStopped: the block sync pool, stopped when the node
// caught up and again on stop), or one of stopLines.
func stopNoise(msg string, kv []any) bool {
	if slices.Contains(stopLines, msg) {
		return true
	}
	for i := 1; i < len(kv); i += 2 {
		err, ok := kv[i].(error)
		if ok && (errors.Is(err, net.ErrClosed) || errors.Is(err, io.EOF) || errors.Is(err, service.ErrAlreadyStopped)) {
			return true
		}
	}
	return false
}

// clean makes CometBFT's key/value lists safe for slog: keys become strings.
func clean(kv []any) []any {
	out := make([]any, len(kv))
	for i, v := range kv {
		if i%2 == 0 {
			v = fmt.Sprint(v)
		}
		out[i] = v
	}
	return out
}
