package state

import (
	"fmt"
	"strings"

	"github.com/pegledger/peg/internal/kyc"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
	"github.com/pegledger/peg/internal/tx/txpb"
)

// KYC commands of the scenario scripts:
//
//	set-kyc-tiers [token=ID] tiers=PAY/DAY/BALANCE,...   (from issuer, the owner)
//	              one tier a level from 0, each limit minor units or "-" for none
//	kyc NAME [token=ID]        NAME's level at block time and its usage record
//	kyc-corrupt NAME [token=ID] held=N|drop
//	                           writes, outside any transaction, a usage record
//	                           holding N, which no coins back, or deletes
//	                           NAME's record (for the audit)

func (s *scenario) kycMessage(a *cmdArgs) *txpb.Body {
	m := &txpb.SetKycTiers{Token: a.get("token", "gbpt")}
	limit := func(v string) *txpb.KycLimit {
		if v == "-" {
			return &txpb.KycLimit{None: true}
		}
		return &txpb.KycLimit{Max: v}
	}
	for _, t := range splitList(a.get("tiers", "")) {
		parts := strings.Split(t, "/")
		if len(parts) != 3 {
			s.t.Fatalf("set-kyc-tiers tiers=%q: want PAY/DAY/BALANCE", t)
		}
		m.Tiers = append(m.Tiers, &txpb.KycTier{PerPayment: limit(parts[0]), PerDay: limit(parts[1]), Balance: limit(parts[2])})
	}
	return &txpb.Body{Msg: &txpb.Body_SetKycTiers{SetKycTiers: m}}
}

func (s *scenario) kycCorrupt(a *cmdArgs) string {
	id, who := ledger.TokenID(a.get("token", "gbpt")), s.addr(a.subject())
	if a.flag("drop") {
		s.blk.Delete(kycUsageKey(id, who))
		return "dropped"
	}
	held, err := money.ParseUnits(a.get("held", ""))
	if err != nil {
		s.t.Fatalf("kyc-corrupt held: %v", err)
	}
	s.blk.Set(kycUsageKey(id, who), encode(kyc.Usage{Held: held}))
	return "corrupted"
}

func (s *scenario) kycQuery(a *cmdArgs) string {
	name := a.subject()
	tok := a.get("token", "gbpt")
	snap := s.db.Snapshot()
	defer snap.Close()
	v := &blockView{blk: s.blk, snap: snap, written: s.written}
	who := s.addr(name)
	u := KYCUsageOf(v, ledger.TokenID(tok), who)
	return fmt.Sprintf("%s level %d held %s paid %s on day %d (today %d)", name, KYCLevel(v, s.genesis, who, s.env.Time),
		u.Held, u.Paid, u.Day, kyc.Day(s.env.Time))
}
