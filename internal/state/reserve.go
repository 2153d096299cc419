package state

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
	"github.com/pegledger/peg/internal/reserve"
	"github.com/pegledger/peg/internal/token"
	"github.com/pegledger/peg/internal/tx"
)

// attest records a reading of a token's reserve balance (S0.3) and judges the
// reserve against it (S0.4).
func (x *exec) attest(m tx.Attest) *ledger.Rejection {
	t, rej := x.roleToken(m.Token, token.RoleAttestor)
	if rej != nil {
		return rej
	}
	if rej := atHome(t, "attest"); rej != nil {
		return rej
	}
	c := t.Contract
	if m.Account != c.Fiat.Account {
		return ledger.Reject(ledger.CodeAttestWrongAccount, "attestation is for account %q; %s's reserve is held in %q", m.Account, c.ID, c.Fiat.Account)
	}
	if m.Currency != c.Fiat.Currency.Code {
		return ledger.Reject(ledger.CodeAttestWrongCurrency, "attestation is in %s; %s's reserve is in %s", m.Currency, c.ID, c.Fiat.Currency.Code)
	}
	if owner := ledger.TokenID(x.w.Get(balanceKey(c.Fiat))); owner != c.ID {
		return ledger.Reject(ledger.CodeAttestAccountShared, "the %s balance of %s is indexed to %q, not to %s: counted for %s it could back two tokens",
			c.Fiat.Currency.Code, c.Fiat.Account, owner, c.ID, c.ID)
	}
	if latest := x.env.Time.Add(reserve.MaxFutureSkew); m.BankTime.After(latest) {
		return ledger.Reject(ledger.CodeAttestFuture, "bank time %s is more than %s ahead of the block time %s",
			m.BankTime.Format(timeFormat), reserve.MaxFutureSkew, x.env.Time.UTC().Format(timeFormat))
	}
	if t.Reading != nil && m.BankTime.Before(t.Reading.BankTime) {
		return ledger.Reject(ledger.CodeAttestOutdated, "bank time %s is older than the last attestation's %s",
			m.BankTime.Format(timeFormat), t.Reading.BankTime.Format(timeFormat))
	}
	r := &reserve.Reading{Balance: m.Balance, BalanceType: m.BalanceType, BankTime: m.BankTime,
		AttestedAt: x.env.Time.UTC(), Height: x.env.Height, TxID: x.tx.ID, RawHash: m.RawHash, Source: m.Source}
	if t.Reading == nil {
		x.watch(m.Token)
	}
	t.Reading = r
	status := t.ReserveStatus
	x.judgeReserve(t)
	x.saveToken(t)
	x.recordMonth(t, t.Supply, status, money.Amount{}, money.Amount{}, true)
	x.w.Set(readingKey(m.Token, x.env.Height, x.tx.ID), encode(r))
	x.emit("reserve.attested", "token", string(m.Token), "balance", m.Balance.Format(c.Fiat.Currency.Digits),
		"currency", c.Fiat.Currency.Code, "balance_type", m.BalanceType, "bank_time", m.BankTime.Format(timeFormat),
		"raw_hash", ledger.TxID(m.RawHash).String(), "status", string(t.ReserveStatus))
	return nil
}

const timeFormat = "2006-01-02T15:04:05Z07:00"

// judgeReserve re-evaluates t's reserve at block time and, if its status
// changed, records the change and emits an event. It reports whether t changed.
func (x *exec) judgeReserve(t *Token) bool {
	now := x.env.Time
	status := reserve.Evaluate(t.Contract, t.Supply, t.Reading, now)
	if status == t.ReserveStatus {
		return false
	}
	from := t.ReserveStatus
	t.ReserveStatus, t.ReserveSince = status, now.UnixNano()
	c := t.Contract
	balance := ""
	if t.Reading != nil {
		balance = t.Reading.Balance.Format(c.Fiat.Currency.Digits)
	}
	x.emit("reserve.status", "token", string(c.ID), "from", string(from), "to", string(status),
		"balance", balance, "required", reserve.Required(c, t.Supply).Format(c.Fiat.Currency.Digits),
		"currency", c.Fiat.Currency.Code, "supply", c.FormatAmount(t.Supply))
	return true
}

// watched lists the tokens whose reserves have a reading.
func watched(r Reader) []ledger.TokenID {
	b := r.Get(keyWatched)
	if b == nil {
		return nil
	}
	var ids []ledger.TokenID
	if err := json.Unmarshal(b, &ids); err != nil {
		panic(fmt.Sprintf("state: watch list is corrupt: %v", err))
	}
	return ids
}

func (x *exec) watch(id ledger.TokenID) {
	ids := watched(x.w)
	i, found := slices.BinarySearch(ids, id)
	if found {
		return
	}
	x.w.Set(keyWatched, encode(slices.Insert(ids, i, id)))
}

// Readings lists a token's accepted attestations, oldest first, at most limit
// of them from the newest end (0 means all). Readings accepted in one block at
// the same bank time are in transaction id order.
func Readings(s Scanner, tok ledger.TokenID, limit int) ([]reserve.Reading, error) {
	var out []reserve.Reading
	err := s.Scan([]byte(prefixReading+string(tok)+"/"), nil, func(k, v []byte) bool {
		var r reserve.Reading
		decode(k, v, &r)
		out = append(out, r)
		return true
	})
	// Keys order a block's readings by transaction id; their bank times,
	// which never go back (ATTEST_OUTDATED), restore the order of acceptance.
	slices.SortStableFunc(out, func(a, b reserve.Reading) int {
		return cmp.Or(cmp.Compare(a.Height, b.Height), a.BankTime.Compare(b.BankTime))
	})
	if limit > 0 && len(out) > limit {
		out = out[len(out)-limit:]
	}
	return out, err
}
