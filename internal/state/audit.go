package state

import (
	"bytes"
	"fmt"
	"slices"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
)

// AuditReport is the outcome of a full audit of committed state.
type AuditReport struct {
	Tokens   int
	Coins    int
	Problems []string
}

// OK reports whether the audit found nothing wrong.
func (r AuditReport) OK() bool { return len(r.Problems) == 0 }

// MaxAuditProblems bounds the problems an audit lists, so that a badly broken
// store still gives a readable report.
const MaxAuditProblems = 100

func (r *AuditReport) problem(format string, args ...any) {
	if len(r.Problems) < MaxAuditProblems {
		r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
	}
}

// Audit recomputes the money invariants from committed state: every coin's
// token exists and its owner index agrees with it; no coin is both spent and
// unspent; Σ unspent coins of each token equals its supply; supply is within
// the cap and equals minted less redeemed.
func Audit(s Scanner) (AuditReport, error) {
	var rep AuditReport
	tokens, err := Tokens(s)
	if err != nil {
		return rep, err
	}
	rep.Tokens = len(tokens)
	sums := make(map[ledger.TokenID]money.Amount, len(tokens))
	for _, t := range tokens {
		sums[t.Contract.ID] = money.Amount{}
	}
	err = s.Scan([]byte(prefixCoin), nil, func(k, v []byte) bool {
		var id ledger.CoinID
		copy(id[:], k[len(prefixCoin):])
		c := decodeCoin(id, v)
		rep.Coins++
		sum, known := sums[c.Token]
		if !known {
			rep.problem("coin %s is of unknown token %s", id, c.Token)
			return true
		}
		if sum, ok := sum.Add(c.Amount); ok {
			sums[c.Token] = sum
		} else {
			rep.problem("coins of %s overflow", c.Token)
		}
		if idx := s.Get(ownerKey(c.Owner, c.Token, id)); idx == nil {
			rep.problem("coin %s has no owner index entry", id)
		} else if a, err := money.FromBytes(idx); err != nil || a != c.Amount {
			rep.problem("coin %s amount %s disagrees with its owner index", id, c.Amount)
		}
		if s.Get(spentKey(id)) != nil {
			rep.problem("coin %s is both unspent and spent", id)
		}
		return true
	})
	if err != nil {
		return rep, err
	}
	indexed := 0
	err = s.Scan([]byte(prefixOwner), nil, func(k, v []byte) bool {
		indexed++
		return true
	})
	if err != nil {
		return rep, err
	}
	if indexed != rep.Coins {
		rep.problem("owner index has %d entries for %d coins", indexed, rep.Coins)
	}
	frozen := make(map[ledger.TokenID]uint64, len(tokens))
	err = s.Scan([]byte(prefixFrozen), nil, func(k, v []byte) bool {
		rest := k[len(prefixFrozen):]
		if i := bytes.IndexByte(rest, '/'); i > 0 {
			frozen[ledger.TokenID(rest[:i])]++
		}
		return true
	})
	if err != nil {
		return rep, err
	}
	for _, t := range tokens {
		id := t.Contract.ID
		if frozen[id] != t.Frozen {
			rep.problem("token %s: %d accounts frozen, its count says %d", id, frozen[id], t.Frozen)
		}
		if sums[id] != t.Supply {
			rep.problem("token %s: unspent coins total %s, supply is %s", id, sums[id], t.Supply)
		}
		if t.Supply.Cmp(t.Contract.SupplyCap) > 0 {
			rep.problem("token %s: supply %s exceeds cap %s", id, t.Supply, t.Contract.SupplyCap)
		}
		if net, ok := t.Minted.Sub(t.Redeemed); !ok || net != t.Supply {
			rep.problem("token %s: minted %s less redeemed %s is not the supply %s", id, t.Minted, t.Redeemed, t.Supply)
		}
	}
	slices.Sort(rep.Problems)
	return rep, nil
}
