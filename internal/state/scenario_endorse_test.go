package state

import (
	"crypto/sha256"
	"fmt"
	"strings"
	"time"

	"github.com/pegledger/peg/internal/endorse"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/tx/txpb"
)

// Endorsement commands of the scenario scripts (amounts in minor units,
// durations as Go durations):
//
//	endorse-policy [threshold=N] [endorsers=NAME,...] [required=N] [window=D] [clear]   (from issuer, the owner)
//	endorse request=LABEL                    (from erin)
//	cancel-request request=LABEL             (from minter)
//	mint-request LABEL                       the request a mint labelled LABEL opened
//	open-requests [token=ID]                 the token's open requests, oldest first
//	open-requests-crowd n=N                  puts N requests that do not exist among gbpt's open ones
//	open-requests-uncrowd                    takes them out again
//	mint-request-corrupt LABEL               records the request as executed, outside any transaction, for the audit to find
//
// A request is named by the label of the mint that opened it; "~name" is
// one that never existed.
func (s *scenario) endorseMessage(cmd string, a *cmdArgs) (*txpb.Body, string, bool) {
	var b txpb.Body
	switch cmd {
	case "endorse-policy":
		p := &txpb.SetEndorsePolicy{Token: a.get("token", "gbpt"), Clear: a.flag("clear")}
		def := func(v string) string { // a clearing sends only what the script names
			if p.Clear {
				return ""
			}
			return v
		}
		p.Threshold = a.get("threshold", def("1000"))
		p.Required = uint32(s.uintArg(a, "required", map[bool]uint64{false: 2, true: 0}[p.Clear]))
		if w := a.get("window", def("24h")); w != "" {
			p.WindowSeconds = int64(s.duration(w) / time.Second)
		}
		for _, n := range splitList(a.get("endorsers", def("erin,frank,grace"))) {
			p.Endorsers = append(p.Endorsers, s.wireAddr(n))
		}
		b.Msg = &txpb.Body_SetEndorsePolicy{SetEndorsePolicy: p}
		return &b, "issuer", true
	case "endorse":
		b.Msg = &txpb.Body_EndorseMint{EndorseMint: &txpb.EndorseMint{Request: s.mintRequestArg(a)}}
		return &b, "erin", true
	case "cancel-request":
		b.Msg = &txpb.Body_CancelMintRequest{CancelMintRequest: &txpb.CancelMintRequest{Request: s.mintRequestArg(a)}}
		return &b, "minter", true
	}
	return nil, "", false
}

// mintRequestArg is the id of the mint labelled request=, or of none for "~name".
func (s *scenario) mintRequestArg(a *cmdArgs) []byte {
	label := a.get("request", "")
	if strings.HasPrefix(label, "~") {
		h := sha256.Sum256([]byte(label))
		return h[:]
	}
	b, ok := s.txs[label]
	if !ok {
		s.t.Fatalf("request=%q: no transaction with that label", label)
	}
	return b.id[:]
}

func (s *scenario) endorseQuery(cmd string, a *cmdArgs) string {
	now := s.env.Time.UnixNano()
	switch cmd {
	case "open-requests-crowd": // n requests that do not exist, outside any transaction
		open := OpenMintRequestsOf(s.blk, "gbpt")
		for i := range s.uintArg(a, "n", 1) {
			o := OpenMintRequest{Deadline: now + int64(time.Hour)}
			o.ID[0], o.ID[1] = 0xcc, byte(i)
			open = append(open, o)
		}
		s.blk.Set(mintOpenKey("gbpt"), encode(open))
		return fmt.Sprintf("gbpt has %d open requests", len(open))
	case "mint-request-corrupt":
		q := MintRequestOf(s.blk, s.txs[a.subject()].id)
		q.Status = endorse.Executed
		s.blk.Set(mintRequestKey(q.ID), encode(q))
		return "recorded executed"
	case "open-requests-uncrowd":
		var open []OpenMintRequest
		for _, o := range OpenMintRequestsOf(s.blk, "gbpt") {
			if MintRequestOf(s.blk, o.ID) != nil {
				open = append(open, o)
			}
		}
		s.blk.Set(mintOpenKey("gbpt"), encode(open))
		return fmt.Sprintf("gbpt has %d open requests", len(open))
	}
	if cmd == "open-requests" {
		var out []string
		for _, o := range OpenMintRequestsOf(s.blk, ledger.TokenID(a.get("token", "gbpt"))) {
			q := MintRequestOf(s.blk, o.ID)
			out = append(out, fmt.Sprintf("%s %s", s.pretty(o.ID.String()), q.StatusAt(now)))
		}
		if out == nil {
			return "none"
		}
		return strings.Join(out, "\n")
	}
	label := a.subject()
	b, ok := s.txs[label]
	if !ok {
		s.t.Fatalf("no transaction %q", label)
	}
	q := MintRequestOf(s.blk, b.id)
	if q == nil {
		return "no mint request"
	}
	var endorsed []string
	for _, e := range q.Endorsed {
		endorsed = append(endorsed, s.pretty(e.String()))
	}
	out := fmt.Sprintf("%s %s (recorded %s) %s to=%s amount=%s by %s, %d of %d endorsed [%s], deadline %s",
		label, q.StatusAt(now), q.Status, q.Token, s.pretty(q.To.String()), q.Amount, s.pretty(q.Minter.String()),
		len(q.Endorsed), q.Required, strings.Join(endorsed, " "), fmtTime(time.Unix(0, q.Deadline)))
	if q.Closed != 0 {
		out += fmt.Sprintf("\n  closed by %s (%s)", s.pretty(q.ClosedBy.String()), s.pretty(q.Closer.String()))
	}
	if q.Code != 0 {
		out += fmt.Sprintf("\n  refused %s: %s", q.Code.Name(), q.Log)
	}
	return out
}
