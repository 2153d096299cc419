package tx

import (
	"reflect"
	"testing"
	"time"

	"github.com/pegledger/peg/internal/fee"
	"github.com/pegledger/peg/internal/money"
	"github.com/pegledger/peg/internal/tx/txpb"
)

// TestFeeScheduleRoundTrip: what FeeScheduleToProto writes decodes to the
// policy and schedule it was given.
func TestFeeScheduleRoundTrip(t *testing.T) {
	want := SetFeeSchedule{
		Policy: fee.Policy{
			Token: "gbpt", Revenue: testAddr("operator"),
			Tiers: []fee.Tier{
				{MinDeposit: money.FromUint64(1000), Validity: 720 * time.Hour},
				{MinDeposit: money.FromUint64(10000), Validity: 2160 * time.Hour},
			},
			LowBalance: money.FromUint64(100), MaxGrants: 8,
		},
		Schedule: fee.Schedule{
			{Kind: "pay", Fixed: money.FromUint64(2), PerOutput: money.FromUint64(1)},
			{Kind: "redeem", Fixed: money.FromUint64(10)},
		},
	}
	body := &txpb.Body{ChainId: testChain, ExpiryHeight: 1, Signer: testAddr("operator").String(),
		Msg: &txpb.Body_SetFeeSchedule{SetFeeSchedule: FeeScheduleToProto(want.Policy, want.Schedule)}}
	got, rej := Decode(sign(t, body, testKey("operator")), testChain)
	if rej != nil {
		t.Fatalf("Decode = %v", rej)
	}
	if !reflect.DeepEqual(got.Msg, want) {
		t.Errorf("Msg = %+v, want %+v", got.Msg, want)
	}
}
