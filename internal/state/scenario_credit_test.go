package state

import (
	"crypto/sha256"
	"fmt"
	"strings"
	"time"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
	"github.com/pegledger/peg/internal/tx/txpb"
)

// Credit commands of the scenario scripts (amounts in minor units, durations
// as Go durations, a deadline as an offset from the open block's time):
//
//	credit-node node=NAME [token=gbpt] [cap=N] [base=N] [repaid=PM] [volume=PM] [late=PM]
//	            [window=D] [term=D] [grace=D]                        (from op)
//	credit-fund in=COINS amount=N                                    (from the node, cn)
//	credit-line node=NAME payer=NAME amount=N                        (from bob, the payee)
//	credit-request node=NAME payee=NAME amount=N [token=ID] [desc=TEXT] [doc=TEXT]
//	               [deadline=OFFSET]                                 (from alice; save=LABEL names it)
//	credit-confirm|credit-receipt request=LABEL                      (from bob)
//	credit-repay request=LABEL in=COINS amount=N                     (from alice)
//	credit-increase [node=NAME] amount=N [doc=TEXT]                  (from alice)
//	credit-decide [payer=NAME] [approve limit=N until=D] [reason=TEXT] (from cn)
//	credit-node-show NAME, credit-request-show LABEL, credit-limit node=NAME payer=NAME payee=NAME
//	                       (with what cross-region requests hold, if anything)
//	credit-history NAME [limit=N]   the committed requests NAME made or was asked to accept, newest first, page by page
//	credit-corrupt NAME    adds one to the node's paid, outside any transaction, for the audit to find
func (s *scenario) creditMessage(cmd string, a *cmdArgs) (*txpb.Body, string, bool) {
	var b txpb.Body
	switch cmd {
	case "credit-node":
		dur := func(k, def string) int64 { return int64(s.duration(a.get(k, def)) / time.Second) }
		b.Msg = &txpb.Body_RegisterCreditNode{RegisterCreditNode: &txpb.RegisterCreditNode{Node: s.wireAddr(a.get("node", "cn")),
			Token: a.get("token", "gbpt"), Params: &txpb.CreditParams{Cap: a.get("cap", "1000"), Base: a.get("base", "100"),
				RepaidPermille: uint32(s.uintArg(a, "repaid", 500)), VolumePermille: uint32(s.uintArg(a, "volume", 100)),
				LatePermille: uint32(s.uintArg(a, "late", 1000)), WindowSeconds: dur("window", "2160h"),
				TermSeconds: dur("term", "720h"), GraceSeconds: dur("grace", "168h")}}}
		return &b, "op", true
	case "credit-fund":
		b.Msg = &txpb.Body_CreditFund{CreditFund: &txpb.CreditFund{Inputs: s.coinArgs(a.get("in", "")), Amount: a.get("amount", "")}}
		return &b, "cn", true
	case "credit-line":
		b.Msg = &txpb.Body_SetCreditLine{SetCreditLine: &txpb.SetCreditLine{Node: s.wireAddr(a.get("node", "cn")),
			Payer: s.wireAddr(a.get("payer", "alice")), Amount: a.get("amount", "")}}
		return &b, "bob", true
	case "credit-request":
		doc := sha256.Sum256([]byte(a.get("doc", "invoice")))
		b.Msg = &txpb.Body_CreditRequest{CreditRequest: &txpb.CreditRequest{Node: s.wireAddr(a.get("node", "cn")),
			Payee: s.wireAddr(a.get("payee", "bob")), Token: a.get("token", "gbpt"), Amount: a.get("amount", ""),
			Description: a.get("desc", "100 crates of tea"), DocumentHash: doc[:],
			Deadline: s.env.Time.Add(s.duration(a.get("deadline", "1h"))).Unix()}}
		return &b, "alice", true
	case "credit-confirm":
		b.Msg = &txpb.Body_CreditConfirm{CreditConfirm: &txpb.CreditConfirm{Request: s.requestArg(a)}}
		return &b, "bob", true
	case "credit-receipt":
		b.Msg = &txpb.Body_CreditReceipt{CreditReceipt: &txpb.CreditReceipt{Request: s.requestArg(a)}}
		return &b, "bob", true
	case "credit-repay":
		b.Msg = &txpb.Body_CreditRepay{CreditRepay: &txpb.CreditRepay{Request: s.requestArg(a),
			Inputs: s.coinArgs(a.get("in", "")), Amount: a.get("amount", "")}}
		return &b, "alice", true
	case "credit-increase":
		doc := sha256.Sum256([]byte(a.get("doc", "accounts 2025")))
		b.Msg = &txpb.Body_CreditIncrease{CreditIncrease: &txpb.CreditIncrease{Node: s.wireAddr(a.get("node", "cn")),
			Amount: a.get("amount", ""), DocumentHash: doc[:]}}
		return &b, "alice", true
	case "credit-decide":
		b.Msg = &txpb.Body_CreditIncreaseDecision{CreditIncreaseDecision: &txpb.CreditIncreaseDecision{
			Payer: s.wireAddr(a.get("payer", "alice")), Approve: a.flag("approve"), Limit: a.get("limit", ""),
			Expiry: s.env.Time.Add(s.duration(a.get("until", "720h"))).Unix(), Reason: a.get("reason", "")}}
		return &b, "cn", true
	}
	return nil, "", false
}

func (s *scenario) duration(v string) time.Duration {
	d, err := time.ParseDuration(v)
	if err != nil {
		s.t.Fatalf("duration %q: %v", v, err)
	}
	return d
}

// requestArg is the id of the transaction labelled request=, or of none
// for "~name".
func (s *scenario) requestArg(a *cmdArgs) []byte {
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

func (s *scenario) creditQuery(cmd string, a *cmdArgs) string {
	now := s.env.Time
	switch cmd {
	case "credit-node-show":
		n := CreditNodeOf(s.blk, s.addr(a.subject()))
		if n == nil {
			return "no credit node"
		}
		return fmt.Sprintf("node %s token %s pool %s balance=%s funded=%s paid=%s repaid=%s outstanding=%s",
			s.pretty(n.Node.String()), n.Token, s.pretty(n.Pool.String()), n.Balance, n.Funded, n.Paid, n.Repaid, n.Outstanding())
	case "credit-corrupt": // credit-corrupt NAME: one more paid in the node's books, outside any transaction
		n := CreditNodeOf(s.blk, s.addr(a.subject()))
		n.Paid = mustAdd(n.Paid, money.FromUint64(1))
		s.blk.Set(creditNodeKey(n.Node), encode(n))
		return "paid is now " + n.Paid.String()
	case "credit-history": // the committed requests NAME made or was asked to accept, newest first, in pages of limit=N
		return s.partyPages(a, func(snap ReverseScanner, who ledger.Address, cursor []byte, limit int) ([]string, []byte, error) {
			rs, next, err := CreditHistory(snap, who, cursor, limit)
			ids := make([]string, len(rs))
			for i, r := range rs {
				ids[i] = s.pretty(r.ID.String())
			}
			return ids, next, err
		})
	case "credit-request-show":
		label := a.subject()
		b, ok := s.txs[label]
		if !ok {
			s.t.Fatalf("no transaction %q", label)
		}
		r := CreditRequestOf(s.blk, b.id)
		if r == nil {
			return "no credit request"
		}
		n := CreditNodeOf(s.blk, r.Node)
		out := fmt.Sprintf("%s %s (recorded %s) amount=%s owed=%s repaid=%s late=%v", label, r.StatusAt(now.UnixNano(), n.Params), r.Status,
			r.Amount, r.Owed, r.Repaid, r.RepaidLate)
		if r.Due != 0 {
			out += " due " + fmtTime(time.Unix(0, r.Due))
		}
		return out
	}
	n := CreditNodeOf(s.blk, s.addr(a.get("node", "cn")))
	if n == nil {
		return "no credit node"
	}
	payer, payee := s.addr(a.get("payer", "alice")), s.addr(a.get("payee", "bob"))
	line := CreditLineOf(s.blk, n.Node, payee, payer)
	rec := CreditRecordOf(s.blk, n.Node, payer)
	out := fmt.Sprintf("limit %s owed %s line %s owed on line %s open debts %d", CreditLimitOf(s.blk, n, payer, payee, now),
		rec.Owed(), line.Amount, line.Owed, len(rec.Debts))
	if held := rec.ReservedAt(now.UnixNano()); !held.IsZero() {
		out += " held for other regions " + held.String()
	}
	return out
}
