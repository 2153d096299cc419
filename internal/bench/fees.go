package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
	"github.com/pegledger/peg/internal/tx/txpb"
)

// The fees a run with Config.Fees charges, in minor units of the bench
// token: a payment costs FeeFixed and FeePerOutput an output, from a fee
// account each bench account opens with a deposit of FeeDeposit, released
// over FeeValiditySeconds (the shortest validity a policy may grant), so that
// it releases FeeDeposit / 3600 a second: a hundred payments' fees in about
// three seconds.
const (
	FeeFixed           = 1
	FeePerOutput       = 1
	FeeDeposit         = 360_000
	FeeValiditySeconds = 3600
)

// feeSchedule is the policy of a run with fees: paid in the bench token, to
// the operator, pricing payments when pay is set and nothing otherwise (so
// that deposits and the fan-out are made before payments cost anything).
func (r *runner) feeSchedule(pay bool) *txpb.Body {
	m := &txpb.SetFeeSchedule{Policy: &txpb.FeePolicy{Token: string(r.tok), Revenue: r.t.Roles.Operator.Addr.String(),
		LowBalance: "0", MaxGrants: 1,
		Tiers: []*txpb.FeeTier{{MinDeposit: fmt.Sprint(FeeDeposit), ValiditySeconds: FeeValiditySeconds}}}}
	if pay {
		m.Fees = []*txpb.KindFee{{Kind: "pay", Fixed: fmt.Sprint(FeeFixed), PerOutput: fmt.Sprint(FeePerOutput)}}
	}
	return &txpb.Body{Msg: &txpb.Body_SetFeeSchedule{SetFeeSchedule: m}}
}

// openFeeAccounts mints each account a coin of FeeDeposit, sets a policy
// that prices nothing yet and deposits each coin into its owner's fee
// account.
func (r *runner) openFeeAccounts(ctx context.Context) error {
	amount := money.FromUint64(FeeDeposit).String()
	mints, err := r.s.signAll(len(r.accounts), func(i int) (*txpb.Body, Signer) {
		return &txpb.Body{Msg: &txpb.Body_Mint{Mint: &txpb.Mint{Token: string(r.tok), To: r.accounts[i].Addr.String(), Amount: amount}}},
			r.t.Roles.Minter
	})
	if err != nil {
		return err
	}
	if err := r.stage(ctx, "mint fee deposits", mints); err != nil {
		return err
	}
	policy, err := r.s.sign(r.feeSchedule(false), r.t.Roles.Operator)
	if err != nil {
		return err
	}
	if err := r.stage(ctx, "set the fee policy", []signed{policy}); err != nil {
		return err
	}
	deposits, err := r.s.signAll(len(r.accounts), func(i int) (*txpb.Body, Signer) {
		coin := ledger.NewCoinID(mints[i].id, 0)
		return &txpb.Body{Msg: &txpb.Body_FeeDeposit{FeeDeposit: &txpb.FeeDeposit{Token: string(r.tok), Inputs: [][]byte{coin[:]}, Amount: amount}}},
			r.accounts[i]
	})
	if err != nil {
		return err
	}
	return r.stage(ctx, "deposit into fee accounts", deposits)
}

// priceFees makes payments cost FeeFixed and FeePerOutput an output, then
// waits until every account's deposit, made at deposited, has released the
// fees of its payments (each at most FeeFixed and two outputs), so that no
// payment is refused for a fee that is still to be released. The wait is
// part of the setup, not of the measured run.
func (r *runner) priceFees(ctx context.Context, deposited time.Time, leaves [][]bundle) error {
	s, err := r.s.sign(r.feeSchedule(true), r.t.Roles.Operator)
	if err != nil {
		return err
	}
	if err := r.stage(ctx, "price payments", []signed{s}); err != nil {
		return err
	}
	most := 0
	for _, bs := range leaves {
		n := 0
		for _, b := range bs {
			n += b.leaves
		}
		most = max(most, n)
	}
	need := uint64(most) * (FeeFixed + 2*FeePerOutput)
	release := time.Duration(need * FeeValiditySeconds * uint64(time.Second) / FeeDeposit)
	wait := time.Until(deposited.Add(release + time.Second)) // a block's time may trail the clock
	if wait > 0 {
		r.progress("setup: waiting %s for the fee deposits to release %d minor unit(s) each", wait.Round(time.Millisecond), need)
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}
