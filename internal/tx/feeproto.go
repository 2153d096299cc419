package tx

import (
	"time"

	"github.com/pegledger/peg/internal/fee"
	"github.com/pegledger/peg/internal/tx/txpb"
)

// FeeScheduleToProto is the inverse of decoding a set_fee_schedule, for
// clients building one. A tier's validity goes on the wire in whole seconds,
// the only validities the decoder produces; a fraction of a second is dropped.
func FeeScheduleToProto(p fee.Policy, s fee.Schedule) *txpb.SetFeeSchedule {
	m := &txpb.SetFeeSchedule{Policy: &txpb.FeePolicy{
		Token: string(p.Token), Revenue: p.Revenue.String(),
		LowBalance: p.LowBalance.String(), MaxGrants: uint32(max(p.MaxGrants, 0)),
	}}
	for _, t := range p.Tiers {
		m.Policy.Tiers = append(m.Policy.Tiers, &txpb.FeeTier{MinDeposit: t.MinDeposit.String(), ValiditySeconds: int64(t.Validity / time.Second)})
	}
	for _, f := range s {
		m.Fees = append(m.Fees, &txpb.KindFee{Kind: f.Kind, Fixed: f.Fixed.String(), PerOutput: f.PerOutput.String()})
	}
	return m
}
