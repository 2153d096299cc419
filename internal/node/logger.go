package node

import (
	"fmt"
	"io"
	"log/slog"

	cmtlog "github.com/cometbft/cometbft/libs/log"
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
type cometLogger struct{ l *slog.Logger }

func (c cometLogger) Debug(msg string, kv ...any) { c.l.Debug(msg, clean(kv)...) }
func (c cometLogger) Info(msg string, kv ...any)  { c.l.Debug(msg, clean(kv)...) }
func (c cometLogger) Warn(msg string, kv ...any)  { c.l.Warn(msg, clean(kv)...) }
func (c cometLogger) Error(msg string, kv ...any) { c.l.Error(msg, clean(kv)...) }
func (c cometLogger) With(kv ...any) cmtlog.Logger {
	return cometLogger{c.l.With(clean(kv)...)}
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
