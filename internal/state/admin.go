package state

import (
	"crypto/sha256"
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
	"github.com/pegledger/peg/internal/reserve"
	"github.com/pegledger/peg/internal/token"
	"github.com/pegledger/peg/internal/tx"
)

func (x *exec) requireOperator() *ledger.Rejection {
	if x.tx.Signer != x.env.Genesis.Operator {
		return ledger.Reject(ledger.CodeUnauthorized, "only the platform operator %s may do this; signer is %s", x.env.Genesis.Operator, x.tx.Signer)
	}
	return nil
}

func (x *exec) authorizeIssuer(m tx.AuthorizeIssuer) *ledger.Rejection {
	if rej := x.requireOperator(); rej != nil {
		return rej
	}
	x.w.Set(issuerKey(m.Issuer), nil)
	x.emit("issuer.authorized", "issuer", m.Issuer.String())
	return nil
}

func (x *exec) registerAccount(m tx.RegisterAccount) *ledger.Rejection {
	if rej := x.requireOperator(); rej != nil {
		return rej
	}
	x.w.Set(registeredKey(m.Account), nil)
	x.emit("account.registered", "account", m.Account.String())
	return nil
}

func (x *exec) isIssuer(a ledger.Address) bool     { return x.w.Get(issuerKey(a)) != nil }
func (x *exec) isRegistered(a ledger.Address) bool { return x.w.Get(registeredKey(a)) != nil }

func (x *exec) isFrozen(id ledger.TokenID, a ledger.Address) bool {
	return x.w.Get(frozenKey(id, a)) != nil
}

// home refuses an account whose coins would live on another region's chain,
// and the fee contract, whose coins are fee balances (see earmarked).
func (x *exec) home(a ledger.Address, field string, args ...any) *ledger.Rejection {
	if a.Region() != x.env.Region {
		return ledger.Reject(ledger.CodeForeignRegion, "%s %s is at home in region %s; this chain serves %s",
			fmt.Sprintf(field, args...), a, a.Region(), x.env.Region)
	}
	return x.earmarked(a)
}

func (x *exec) deployToken(m tx.DeployToken) *ledger.Rejection {
	if !x.isIssuer(x.tx.Signer) {
		return ledger.Reject(ledger.CodeIssuerUnauthorized, "%s is not an authorised issuer; the operator must authorise it first", x.tx.Signer)
	}
	c, vs := token.Build(m.Contract, x.env.Genesis.Params.TokenParams())
	if len(vs) > 0 {
		return ledger.Reject(vs[0].Code, "contract has %d violation(s): %s", len(vs), violations(vs))
	}
	if x.w.Get(tokenKey(c.ID)) != nil {
		return ledger.Reject(ledger.CodeTokenExists, "token %q already exists", c.ID)
	}
	if other := x.w.Get(balanceKey(c.Fiat)); other != nil {
		return ledger.Reject(ledger.CodeFiatAccountInUse, "the %s balance of %s %s at %s already backs %s; a balance backs one token, so that it is never counted twice",
			c.Fiat.Currency.Code, c.Fiat.Scheme, c.Fiat.Account, c.Fiat.BIC, other)
	}
	canonical, err := proto.MarshalOptions{Deterministic: true}.Marshal(tx.DraftToProto(c.Draft()))
	if err != nil {
		panic("state: encoding contract: " + err.Error())
	}
	hash := ledger.TxID(sha256.Sum256(canonical))
	t := &Token{
		Contract: c, Hash: hash, Address: ledger.ContractAddress(x.env.Region, hash), Issuer: x.tx.Signer,
		DeployTx: x.tx.ID, DeployHeight: x.env.Height, Owner: c.Roles.Owner, Minters: c.Roles.Minters,
		ReserveStatus: reserve.Unattested, ReserveSince: x.env.Time.UnixNano(), DeployTime: x.env.Time.UnixNano(),
	}
	x.saveToken(t)
	x.w.Set(balanceKey(c.Fiat), []byte(c.ID))
	x.recordMonth(t, money.Amount{}, reserve.Unattested, money.Amount{}, money.Amount{}, false)
	x.emit("token.deployed", "token", string(c.ID), "hash", hash.String(), "address", t.Address.String(),
		"issuer", x.tx.Signer.String())
	return nil
}

// loadToken reads a token for a handler that may change it: a copy of its own.
func (x *exec) loadToken(id ledger.TokenID) (*Token, *ledger.Rejection) {
	t, rej := x.viewToken(id)
	if rej != nil {
		return nil, rej
	}
	return t.clone(), nil
}

// viewToken reads a token for a handler that only reads it (a payment): the
// token may be the cache's own, and must not be changed.
func (x *exec) viewToken(id ledger.TokenID) (*Token, *ledger.Rejection) {
	k := tokenKey(id)
	b := x.w.Get(k)
	if b == nil {
		return nil, ledger.Reject(ledger.CodeUnknownToken, "no token %q", id)
	}
	if x.env.Tokens != nil {
		if t := x.env.Tokens.view(id, b); t != nil {
			x.lastToken = t
			return t, nil
		}
	}
	var t Token
	decode(k, b, &t)
	if x.env.Tokens != nil {
		x.env.Tokens.put(id, b, &t)
	}
	x.lastToken = &t
	return &t, nil
}

func (x *exec) saveToken(t *Token) {
	x.w.Set(tokenKey(t.Contract.ID), encode(t))
	x.lastToken = t
}

// roleToken loads a token and requires the signer to hold role in it.
func (x *exec) roleToken(id ledger.TokenID, role token.Role) (*Token, *ledger.Rejection) {
	t, rej := x.loadToken(id)
	if rej != nil {
		return nil, rej
	}
	if got := t.RoleOf(x.tx.Signer); got != role {
		return nil, ledger.Reject(ledger.CodeUnauthorized, "%s on %s needs the %s role; %s holds %s",
			x.tx.Msg.Kind(), id, role, x.tx.Signer, got)
	}
	return t, nil
}

func (x *exec) freeze(id ledger.TokenID, a ledger.Address, on bool) *ledger.Rejection {
	t, rej := x.roleToken(id, token.RoleFreezer)
	if rej != nil {
		return rej
	}
	if rej := x.earmarked(a); rej != nil {
		return rej
	}
	if rej := x.creditPoolOf(a); rej != nil {
		return rej
	}
	if rej := x.tradePoolOf(a); rej != nil {
		return rej
	}
	typ := "account.unfrozen"
	was := x.isFrozen(id, a)
	switch {
	case on && !was:
		x.w.Set(frozenKey(id, a), nil)
		t.Frozen++
		x.saveToken(t)
	case !on && was:
		x.w.Delete(frozenKey(id, a))
		t.Frozen--
		x.saveToken(t)
	}
	if on {
		typ = "account.frozen"
	}
	x.emit(typ, "token", string(id), "account", a.String())
	return nil
}

func (x *exec) pause(id ledger.TokenID, on bool) *ledger.Rejection {
	t, rej := x.roleToken(id, token.RolePauser)
	if rej != nil {
		return rej
	}
	t.Paused = on
	x.saveToken(t)
	typ := "token.unpaused"
	if on {
		typ = "token.paused"
	}
	x.emit(typ, "token", string(id))
	return nil
}

func (x *exec) transferOwnership(m tx.TransferOwnership) *ledger.Rejection {
	t, rej := x.roleToken(m.Token, token.RoleOwner)
	if rej != nil {
		return rej
	}
	if r := t.RoleOf(m.NewOwner); r != token.RoleNone && r != token.RoleOwner {
		return ledger.Reject(ledger.CodeRoleReused, "%s already holds the %s role of %s; one role per address", m.NewOwner, r, m.Token)
	}
	t.PendingOwner = m.NewOwner
	x.saveToken(t)
	x.emit("owner.proposed", "token", string(m.Token), "owner", t.Owner.String(), "proposed", m.NewOwner.String())
	return nil
}

func (x *exec) acceptOwnership(m tx.AcceptOwnership) *ledger.Rejection {
	t, rej := x.loadToken(m.Token)
	if rej != nil {
		return rej
	}
	if t.PendingOwner.IsZero() || t.PendingOwner != x.tx.Signer {
		return ledger.Reject(ledger.CodeNoPendingOwner, "no ownership transfer of %s to %s is pending", m.Token, x.tx.Signer)
	}
	// The proposal checked this too, but a role may have come since.
	if r := t.RoleOf(x.tx.Signer); r != token.RoleNone && r != token.RoleOwner {
		return ledger.Reject(ledger.CodeRoleReused, "%s now holds the %s role of %s; one role per address", x.tx.Signer, r, m.Token)
	}
	old := t.Owner
	t.Owner, t.PendingOwner = x.tx.Signer, ledger.Address{}
	x.saveToken(t)
	x.emit("owner.changed", "token", string(m.Token), "from", old.String(), "to", t.Owner.String())
	return nil
}

func (x *exec) configureMinter(m tx.ConfigureMinter) *ledger.Rejection {
	t, rej := x.roleToken(m.Token, token.RoleOwner)
	if rej != nil {
		return rej
	}
	if rej := atHome(t, "configure its minters"); rej != nil {
		return rej
	}
	i := t.minter(m.Minter)
	switch {
	case m.Remove && i < 0:
		return ledger.Reject(ledger.CodeInvalidArgument, "%s is not a minter of %s", m.Minter, m.Token)
	case m.Remove:
		t.Minters = append(t.Minters[:i:i], t.Minters[i+1:]...)
		x.saveToken(t)
		x.emit("minter.removed", "token", string(m.Token), "minter", m.Minter.String())
		return nil
	}
	if r := t.RoleOf(m.Minter); r != token.RoleNone && r != token.RoleMinter {
		return ledger.Reject(ledger.CodeRoleReused, "%s already holds the %s role of %s; one role per address", m.Minter, r, m.Token)
	}
	if !m.Allowance.IsMultipleOf(t.Contract.MinUnit) {
		return ledger.Reject(ledger.CodeNotMinUnitMultiple, "allowance %s is not a multiple of the minimum unit %s",
			t.Contract.FormatAmount(m.Allowance), t.Contract.FormatAmount(t.Contract.MinUnit))
	}
	if m.Allowance.Cmp(t.Contract.SupplyCap) > 0 {
		return ledger.Reject(ledger.CodeContractMinter, "allowance %s is above the supply cap %s",
			t.Contract.FormatAmount(m.Allowance), t.Contract.FormatAmount(t.Contract.SupplyCap))
	}
	if i < 0 {
		if len(t.Minters) >= token.MaxMinters {
			return ledger.Reject(ledger.CodeContractMinter, "%s already has %d minters, the limit", m.Token, token.MaxMinters)
		}
		t.Minters = append(t.Minters, token.Minter{Address: m.Minter})
		i = len(t.Minters) - 1
	}
	t.Minters[i].Allowance = m.Allowance
	x.saveToken(t)
	x.emit("minter.configured", "token", string(m.Token), "minter", m.Minter.String(), "allowance", t.Contract.FormatAmount(m.Allowance))
	return nil
}

func (x *exec) approve(m tx.Approve) *ledger.Rejection {
	if _, rej := x.loadToken(m.Token); rej != nil {
		return rej
	}
	if m.Spender == x.tx.Signer {
		return ledger.Reject(ledger.CodeInvalidArgument, "an account cannot approve itself")
	}
	k := approvalKey(m.Token, x.tx.Signer, m.Spender)
	if m.Amount.IsZero() {
		x.w.Delete(k)
	} else {
		b := m.Amount.Bytes()
		x.w.Set(k, b[:])
	}
	x.emit("approval", "token", string(m.Token), "owner", x.tx.Signer.String(), "spender", m.Spender.String(), "amount", m.Amount.String())
	return nil
}

func (x *exec) approval(id ledger.TokenID, owner, spender ledger.Address) money.Amount {
	b := x.w.Get(approvalKey(id, owner, spender))
	if b == nil {
		return money.Amount{}
	}
	a, err := money.FromBytes(b)
	if err != nil {
		panic("state: approval record: " + err.Error())
	}
	return a
}
