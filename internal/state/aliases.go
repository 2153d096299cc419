package state

import (
	"bytes"
	"encoding/binary"
	"maps"
	"slices"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/region"
	"github.com/pegledger/peg/internal/tx"
)

// Alias is a binding of the alias directory (S2.2): the keyed hash of a
// phone or ID number (the key of its record), the address it pays, and who
// bound it when.
type Alias struct {
	Address   ledger.Address `json:"address"`
	Registrar ledger.Address `json:"registrar"`
	Height    uint64         `json:"height"`
	Time      int64          `json:"time"`
	Tx        ledger.TxID    `json:"tx"`
}

func (x *exec) isRegistrar(a ledger.Address) bool { return x.w.Get(registrarKey(a)) != nil }

func (x *exec) requireRegistrar() *ledger.Rejection {
	if !x.isRegistrar(x.tx.Signer) {
		return ledger.Reject(ledger.CodeUnauthorized, "%s needs the registrar role, which the operator grants; %s does not hold it",
			x.tx.Msg.Kind(), x.tx.Signer)
	}
	return nil
}

func (x *exec) setRegistrar(m tx.SetRegistrar) *ledger.Rejection {
	if rej := x.requireOperator(); rej != nil {
		return rej
	}
	if m.Remove {
		x.w.Delete(registrarKey(m.Registrar))
		x.emit("registrar.removed", "registrar", m.Registrar.String())
		return nil
	}
	if rej := x.home(m.Registrar, "registrar"); rej != nil {
		return rej
	}
	x.w.Set(registrarKey(m.Registrar), nil)
	x.emit("registrar.set", "registrar", m.Registrar.String())
	return nil
}

func (x *exec) aliasRegister(m tx.AliasRegister) *ledger.Rejection {
	if rej := x.requireRegistrar(); rej != nil {
		return rej
	}
	if rej := x.home(m.Account, "account"); rej != nil {
		return rej
	}
	if a := aliasAt(x.w, m.Hash); a != nil {
		return ledger.Reject(ledger.CodeAliasTaken, "alias %s is bound to %s since height %d; revoke it first", m.Hash, a.Address, a.Height)
	}
	n := aliasCount(x.w, m.Account)
	if n >= region.MaxAliasesPerAddress {
		return ledger.Reject(ledger.CodeAliasLimit, "%s has %d aliases, the most an address may have", m.Account, n)
	}
	x.w.Set(aliasKey(m.Hash), encode(Alias{
		Address: m.Account, Registrar: x.tx.Signer, Height: x.env.Height, Time: x.env.Time.UnixNano(), Tx: x.tx.ID,
	}))
	x.setAliasCount(m.Account, n+1)
	x.emit("alias.registered", "hash", m.Hash.String(), "account", m.Account.String(), "registrar", x.tx.Signer.String())
	return nil
}

func (x *exec) aliasRevoke(m tx.AliasRevoke) *ledger.Rejection {
	if rej := x.requireRegistrar(); rej != nil {
		return rej
	}
	a := aliasAt(x.w, m.Hash)
	if a == nil {
		return ledger.Reject(ledger.CodeAliasUnknown, "no address is bound to alias %s", m.Hash)
	}
	x.w.Delete(aliasKey(m.Hash))
	x.setAliasCount(a.Address, aliasCount(x.w, a.Address)-1)
	x.emit("alias.revoked", "hash", m.Hash.String(), "account", a.Address.String(), "registrar", x.tx.Signer.String())
	return nil
}

// setAliasCount records how many aliases a holds; none is no record.
func (x *exec) setAliasCount(a ledger.Address, n int) {
	if n < 0 || n > region.MaxAliasesPerAddress {
		panic("state: alias count of " + a.String() + " out of range")
	}
	if n == 0 {
		x.w.Delete(aliasCountKey(a))
		return
	}
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], uint32(n))
	x.w.Set(aliasCountKey(a), b[:])
}

func aliasAt(r Reader, h ledger.AliasHash) *Alias {
	k := aliasKey(h)
	b := r.Get(k)
	if b == nil {
		return nil
	}
	var a Alias
	decode(k, b, &a)
	return &a
}

func aliasCount(r Reader, a ledger.Address) int {
	k := aliasCountKey(a)
	b := r.Get(k)
	if b == nil {
		return 0
	}
	if len(b) != 4 {
		panic("state: alias count record " + string(k) + " is corrupt")
	}
	return int(binary.BigEndian.Uint32(b))
}

// AliasByHash returns the binding of h, or nil.
func AliasByHash(r Reader, h ledger.AliasHash) *Alias { return aliasAt(r, h) }

// AliasCount is how many aliases are bound to a.
func AliasCount(r Reader, a ledger.Address) int { return aliasCount(r, a) }

// Registrars lists the addresses holding the registrar role, in key order.
func Registrars(s Scanner) ([]ledger.Address, error) {
	var out []ledger.Address
	err := s.Scan([]byte(prefixRegistrar), nil, func(k, _ []byte) bool {
		a, err := ledger.AddressFromBytes(k[len(prefixRegistrar):])
		if err != nil {
			panic("state: registrar record " + string(k) + " is corrupt: " + err.Error())
		}
		out = append(out, a)
		return true
	})
	return out, err
}

// auditAliases checks the alias directory: every binding decodes, names an
// address of this chain's region, and the per-address counts (the index
// that bounds an address's aliases) agree with the bindings.
func auditAliases(s Scanner, rep *AuditReport, home ledger.Region) error {
	counts := make(map[ledger.Address]int)
	err := s.Scan([]byte(prefixAlias), nil, func(k, v []byte) bool {
		if len(k) != len(prefixAlias)+ledger.HashSize {
			rep.problem("alias key %q is not a hash", k)
			return true
		}
		var a Alias
		if msg := recovered(func() { decode(k, v, &a) }); msg != "" {
			rep.problem("%s", msg)
			return true
		}
		var h ledger.AliasHash
		copy(h[:], k[len(prefixAlias):])
		if a.Address.Region() != home {
			rep.problem("alias %s points at %s, at home in region %q, not this chain's %s", h, a.Address, a.Address.Region(), home)
		}
		counts[a.Address]++
		return true
	})
	if err != nil {
		return err
	}
	seen := make(map[ledger.Address]bool, len(counts))
	err = s.Scan([]byte(prefixAliasCount), nil, func(k, v []byte) bool {
		a, err := ledger.AddressFromBytes(k[len(prefixAliasCount):])
		if err != nil || len(v) != 4 {
			rep.problem("alias count record %q is corrupt", k)
			return true
		}
		seen[a] = true
		if n := int(binary.BigEndian.Uint32(v)); n != counts[a] || n > region.MaxAliasesPerAddress {
			rep.problem("%s: alias count says %d, %d aliases point at it (at most %d)", a, n, counts[a], region.MaxAliasesPerAddress)
		}
		return true
	})
	for _, a := range slices.SortedFunc(maps.Keys(counts), func(a, b ledger.Address) int { return bytes.Compare(a.Bytes(), b.Bytes()) }) {
		if !seen[a] {
			rep.problem("%s: %d aliases point at it, and it has no alias count", a, counts[a])
		}
	}
	return err
}
