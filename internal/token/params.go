package token

import (
	"fmt"
	"slices"
)

// MaxBanks bounds Params.Banks: Build scans the list for every contract, and a
// platform's reserve banks are a reviewed, short list.
const MaxBanks = 1024

// Params are the platform's issuance rules (S0.2), fixed at genesis.
type Params struct {
	// MinReserve is the least declared reserve a token may have, in whole units
	// of its currency, unless MinReserveByCurrency overrides it. At least 1.
	MinReserve uint64
	// MinReserveByCurrency overrides MinReserve per ISO 4217 code (a minimum in
	// yen is not a minimum in dollars). Looked up, never iterated unsorted.
	MinReserveByCurrency map[string]uint64
	// Banks are the BICs of the banks accepted to hold reserves. An entry
	// matches a contract's BIC if equal; an 8-character entry (a bank's head
	// office) also matches its 11-character branches, and "XXX" as branch code
	// is the head office itself ("DEUTDEFF" = "DEUTDEFFXXX").
	Banks []string
}

// Validate checks p; Build trusts Params that passed it.
func (p Params) Validate() error {
	if p.MinReserve == 0 {
		return fmt.Errorf("token: params: min reserve is 0; it must be at least 1 unit of the currency")
	}
	codes := make([]string, 0, len(p.MinReserveByCurrency))
	for code := range p.MinReserveByCurrency {
		codes = append(codes, code)
	}
	slices.Sort(codes)
	for _, code := range codes {
		if _, ok := LookupCurrency(code); !ok {
			return fmt.Errorf("token: params: min reserve for %q: not an ISO 4217 currency code", code)
		}
		if p.MinReserveByCurrency[code] == 0 {
			return fmt.Errorf("token: params: min reserve for %s is 0; it must be at least 1", code)
		}
	}
	if len(p.Banks) == 0 {
		return fmt.Errorf("token: params: no reserve banks; no token could ever be issued")
	}
	if len(p.Banks) > MaxBanks {
		return fmt.Errorf("token: params: %d reserve banks, at most %d", len(p.Banks), MaxBanks)
	}
	seen := make(map[string]bool, len(p.Banks))
	for i, bic := range p.Banks {
		if problem := bicProblem(bic); problem != "" {
			return fmt.Errorf("token: params: banks[%d]: %s", i, problem)
		}
		if seen[bic] {
			return fmt.Errorf("token: params: banks[%d]: %s is listed twice", i, bic)
		}
		seen[bic] = true
	}
	return nil
}

// MinReserveFor is the minimum declared reserve for a currency, in whole units.
func (p Params) MinReserveFor(code string) uint64 {
	if v, ok := p.MinReserveByCurrency[code]; ok {
		return v
	}
	return p.MinReserve
}

// KnowsBank reports whether bic is one of the platform's reserve banks.
func (p Params) KnowsBank(bic string) bool {
	for _, entry := range p.Banks {
		if bankMatches(entry, bic) {
			return true
		}
	}
	return false
}

func bankMatches(entry, bic string) bool {
	switch {
	case entry == bic:
		return true
	case len(entry) == 8 && len(bic) == 11:
		return bic[:8] == entry
	case len(entry) == 11 && len(bic) == 8:
		return entry == bic+"XXX"
	}
	return false
}
