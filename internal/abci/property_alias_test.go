package abci

import (
	"crypto/sha256"
	"fmt"
	"slices"

	"pgregory.net/rapid"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/region"
	"github.com/pegledger/peg/internal/state"
	"github.com/pegledger/peg/internal/store"
	"github.com/pegledger/peg/internal/tx/txpb"
)

// propAliases are the hashes the property test binds: more than an address
// may hold, so that ALIAS_LIMIT is reached.
var propAliases = func() []ledger.AliasHash {
	out := make([]ledger.AliasHash, region.MaxAliasesPerAddress+4)
	for i := range out {
		out[i] = sha256.Sum256(fmt.Appendf(nil, "phone:+4477009%05d", i))
	}
	return out
}()

// refAliases is the reference's alias directory, from docs/transactions.md.
type refAliases struct {
	registrars map[ledger.Address]bool
	bound      map[ledger.AliasHash]ledger.Address
	count      map[ledger.Address]int
}

func newRefAliases() refAliases {
	return refAliases{registrars: map[ledger.Address]bool{}, bound: map[ledger.AliasHash]ledger.Address{}, count: map[ledger.Address]int{}}
}

// run applies an alias kind; ok is false for a kind that is not one.
func (a *refAliases) run(r refTx) (ledger.Code, bool) {
	h := propAliases[r.alias]
	switch r.kind {
	case "set-registrar", "unset-registrar":
		switch {
		case r.signer.addr != cast.operator.addr:
			return ledger.CodeUnauthorized, true
		case r.kind == "unset-registrar":
			delete(a.registrars, r.account)
		case r.account.Region() != "GB":
			return ledger.CodeForeignRegion, true
		default:
			a.registrars[r.account] = true
		}
	case "alias-register":
		_, taken := a.bound[h]
		switch {
		case !a.registrars[r.signer.addr]:
			return ledger.CodeUnauthorized, true
		case r.account.Region() != "GB":
			return ledger.CodeForeignRegion, true
		case taken:
			return ledger.CodeAliasTaken, true
		case a.count[r.account] >= region.MaxAliasesPerAddress:
			return ledger.CodeAliasLimit, true
		}
		a.bound[h] = r.account
		a.count[r.account]++
	case "alias-revoke":
		owner, bound := a.bound[h]
		switch {
		case !a.registrars[r.signer.addr]:
			return ledger.CodeUnauthorized, true
		case !bound:
			return ledger.CodeAliasUnknown, true
		}
		delete(a.bound, h)
		a.count[owner]--
	default:
		return 0, false
	}
	return ledger.OK, true
}

// encodeAlias sets b's message for an alias kind.
func encodeAlias(r refTx, b *txpb.Body) {
	h := propAliases[r.alias]
	switch r.kind {
	case "set-registrar", "unset-registrar":
		b.Msg = &txpb.Body_SetRegistrar{SetRegistrar: &txpb.SetRegistrar{Registrar: r.account.String(), Remove: r.kind == "unset-registrar"}}
	case "alias-register":
		b.Msg = &txpb.Body_AliasRegister{AliasRegister: &txpb.AliasRegister{Hash: h[:], Account: r.account.String()}}
	case "alias-revoke":
		b.Msg = &txpb.Body_AliasRevoke{AliasRevoke: &txpb.AliasRevoke{Hash: h[:]}}
	}
}

// aliasesFromTheStart makes bob a registrar and binds to alice one alias
// fewer than an address may hold, so that the random blocks reach the limit.
func aliasesFromTheStart() []refTx {
	out := []refTx{{kind: "set-registrar", signer: cast.operator, account: cast.bob.addr}}
	for i := range region.MaxAliasesPerAddress - 1 {
		out = append(out, refTx{kind: "alias-register", signer: cast.bob, account: cast.alice.addr, alias: i})
	}
	return out
}

// randomAlias draws an alias kind's signer, account and hash: mostly the
// operator and bob, the registrar it makes, and now and then someone else.
func (p *propRun) randomAlias(r refTx) refTx {
	switch r.kind {
	case "set-registrar", "unset-registrar":
		r.signer = rapid.SampledFrom([]actor{cast.operator, cast.operator, cast.operator, cast.alice}).Draw(p.rt, "operator")
		r.account = rapid.SampledFrom([]actor{cast.bob, cast.bob, cast.carol, cast.foreigner}).Draw(p.rt, "registrar").addr
	default:
		r.signer = rapid.SampledFrom([]actor{cast.bob, cast.bob, cast.bob, cast.carol, cast.alice}).Draw(p.rt, "registrar")
		// Mostly alice, so that she reaches the most aliases an address may hold.
		r.account = rapid.SampledFrom(append([]actor{cast.alice, cast.alice, cast.alice, cast.alice, cast.alice, cast.alice}, propParties...)).Draw(p.rt, "aliased").addr
		r.alias = rapid.IntRange(0, len(propAliases)-1).Draw(p.rt, "alias")
	}
	return r
}

// compareAliases holds the committed directory to the reference's.
func (a *refAliases) compare(snap *store.Snapshot) string {
	for i, h := range propAliases {
		got, want := state.AliasByHash(snap, h), a.bound[h]
		switch {
		case got == nil && !want.IsZero():
			return fmt.Sprintf("alias %d is unbound; the reference binds it to %s", i, actorNames[want])
		case got != nil && got.Address != want:
			return fmt.Sprintf("alias %d is bound to %s; the reference says %q", i, actorNames[got.Address], actorNames[want])
		}
	}
	for _, who := range propParties {
		if got := state.AliasCount(snap, who.addr); got != a.count[who.addr] {
			return fmt.Sprintf("%s holds %d aliases; the reference says %d", who.name, got, a.count[who.addr])
		}
	}
	regs, err := state.Registrars(snap)
	if err != nil {
		return err.Error()
	}
	for _, who := range []actor{cast.bob, cast.carol, cast.foreigner} {
		if got := slices.Contains(regs, who.addr); got != a.registrars[who.addr] {
			return fmt.Sprintf("%s is a registrar: %v; the reference says %v", who.name, got, a.registrars[who.addr])
		}
	}
	return ""
}
