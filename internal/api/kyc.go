package api

import (
	"net/http"
	"time"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/kyc"
	"github.com/pegledger/peg/internal/money"
	"github.com/pegledger/peg/internal/state"
)

// kycTiers answers GET /v1/tokens/{id}/kyc: the token's KYC tiers, or 404
// (NOT_FOUND) for a token that set none.
func (s *server) kycTiers(w http.ResponseWriter, r *http.Request) error {
	tr, err := s.openToken(r)
	if err != nil {
		return err
	}
	defer tr.snap.Close()
	if tr.t.KYC == nil {
		return notFound("%s has no KYC tiers (as of height %d)", tr.t.Contract.ID, tr.snap.Height)
	}
	v := client.KYCTiers{Token: string(tr.t.Contract.ID), Tiers: []client.KYCTier{}}
	for i, t := range tr.t.KYC {
		v.Tiers = append(v.Tiers, tierView(uint8(i), t, tr.t.Contract.Decimals))
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// kycAccount answers GET /v1/accounts/{address}/kyc/{token}: the account's
// level at the latest block's time, its tier, and its usage that day.
func (s *server) kycAccount(w http.ResponseWriter, r *http.Request) error {
	addr, err := addressParam("address", r.PathValue("address"))
	if err != nil {
		return err
	}
	id, err := tokenParam("token", r.PathValue("token"))
	if err != nil {
		return err
	}
	snap := s.chain.Snapshot()
	defer snap.Close()
	t, err := loadToken(snap, id)
	if err != nil {
		return err
	}
	if t.KYC == nil {
		return notFound("%s has no KYC tiers (as of height %d)", id, snap.Height)
	}
	now, err := s.blockTime(snap)
	if err != nil {
		return err
	}
	dec := t.Contract.Decimals
	level := state.KYCLevel(snap, &s.genesis, addr, now)
	tier := t.KYC.At(level)
	day := kyc.Day(now)
	u := state.KYCUsageOf(snap, id, addr)
	paid := u.PaidOn(day)
	v := client.KYCAccount{Address: addr.String(), Token: string(id), Level: level, Tier: tierView(min(level, uint8(len(t.KYC)-1)), tier, dec),
		Held: value(u.Held, dec), Day: time.Unix(day*86400, 0).UTC().Format(time.DateOnly), PaidToday: value(paid, dec)}
	if !tier.PerDay.None {
		left, ok := tier.PerDay.Max.Sub(paid)
		if !ok { // the owner lowered the limit after today's payments
			left = money.Amount{}
		}
		lv := value(left, dec)
		v.LeftToday = &lv
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func tierView(level uint8, t kyc.Tier, dec uint8) client.KYCTier {
	return client.KYCTier{Level: level, PerPayment: limitView(t.PerPayment, dec), PerDay: limitView(t.PerDay, dec), Balance: limitView(t.Balance, dec)}
}

func limitView(l kyc.Limit, dec uint8) client.KYCLimit {
	if l.None {
		return client.KYCLimit{None: true}
	}
	v := value(l.Max, dec)
	return client.KYCLimit{Max: &v}
}
