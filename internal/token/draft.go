package token

// Draft is a contract as a person writes it (a TOML file) or as it travels on
// the wire: amounts as human decimals in whole units, addresses as bech32
// strings. Build checks it and turns it into a Contract. The tags name the
// fields as Violation.Field reports them.
type Draft struct {
	ID       string `toml:"id" json:"id"`
	Name     string `toml:"name" json:"name"`
	Symbol   string `toml:"symbol" json:"symbol"`
	Decimals uint32 `toml:"decimals" json:"decimals"`
	// SupplyCap is the most coins that may ever be outstanding, in coins
	// ("1000000").
	SupplyCap string    `toml:"supply_cap" json:"supply_cap"`
	Fiat      FiatDraft `toml:"fiat" json:"fiat"`
	// DeclaredReserve is the fiat the issuer commits to hold, in units of the
	// currency with at most its minor digits ("1000000.00").
	DeclaredReserve string `toml:"declared_reserve" json:"declared_reserve"`
	// Ratio is how many coins one unit of fiat backs: positive, at most
	// MaxRatioDecimals fractional digits ("1").
	Ratio string `toml:"ratio" json:"ratio"`
	// MinUnit is the smallest amount that moves, in coins ("0.01"): a power of
	// ten no larger than one coin.
	MinUnit string `toml:"min_unit" json:"min_unit"`
	// MaxTransfer is the largest amount one transfer may move, in coins.
	MaxTransfer string `toml:"max_transfer" json:"max_transfer"`
	// TransferRule is "open" or "registered" (TransferRule).
	TransferRule string `toml:"transfer_rule" json:"transfer_rule"`
	// RedeemRule is "anyone" or "registered" (RedeemRule).
	RedeemRule string `toml:"redeem_rule" json:"redeem_rule"`
	// MinRedeem is the smallest redemption, in coins; "" means MinUnit.
	MinRedeem string     `toml:"min_redeem" json:"min_redeem"`
	Roles     RolesDraft `toml:"roles" json:"roles"`
	// Reserve says how the ledger watches the reserve (S0.3, S0.4).
	Reserve ReserveDraft `toml:"reserve" json:"reserve"`
}

// ReserveDraft is the reserve watch as written.
type ReserveDraft struct {
	// StalenessWindow is how long an attestation of the bank balance stays
	// fresh, as a Go duration ("26h"); "" means DefaultStalenessWindow.
	StalenessWindow string `toml:"staleness_window" json:"staleness_window"`
	// PauseWhenAtRisk stops every movement of the coin while the attested
	// reserve does not cover the supply.
	PauseWhenAtRisk bool `toml:"pause_when_at_risk" json:"pause_when_at_risk"`
}

// FiatDraft is the reserve account as written: Scheme is "IBAN",
// "SortCodeAccountNumber" or "Other"; Currency an ISO 4217 code.
type FiatDraft struct {
	BIC      string `toml:"bic" json:"bic"`
	Scheme   string `toml:"scheme" json:"scheme"`
	Account  string `toml:"account" json:"account"`
	Currency string `toml:"currency" json:"currency"`
}

// RolesDraft holds the role addresses as bech32 strings.
type RolesDraft struct {
	Owner    string        `toml:"owner" json:"owner"`
	Pauser   string        `toml:"pauser" json:"pauser"`
	Freezer  string        `toml:"freezer" json:"freezer"`
	Attestor string        `toml:"attestor" json:"attestor"`
	Minters  []MinterDraft `toml:"minters" json:"minters"`
}

// MinterDraft is a minter's address and allowance in coins.
type MinterDraft struct {
	Address   string `toml:"address" json:"address"`
	Allowance string `toml:"allowance" json:"allowance"`
}

// Draft is c's canonical written form: every field explicit (MinRedeem too),
// amounts formatted without trailing zeros. Build(c.Draft(), p) gives back c.
func (c Contract) Draft() Draft {
	d := Draft{
		ID:        string(c.ID),
		Name:      c.Name,
		Symbol:    c.Symbol,
		Decimals:  uint32(c.Decimals),
		SupplyCap: c.FormatAmount(c.SupplyCap),
		Fiat: FiatDraft{
			BIC:      c.Fiat.BIC,
			Scheme:   string(c.Fiat.Scheme),
			Account:  c.Fiat.Account,
			Currency: c.Fiat.Currency.Code,
		},
		DeclaredReserve: c.DeclaredReserve.Format(c.Fiat.Currency.Digits),
		Ratio:           c.Ratio.String(),
		MinUnit:         c.FormatAmount(c.MinUnit),
		MaxTransfer:     c.FormatAmount(c.MaxTransfer),
		TransferRule:    string(c.TransferRule),
		RedeemRule:      string(c.RedeemRule),
		MinRedeem:       c.FormatAmount(c.MinRedeem),
		Reserve: ReserveDraft{
			StalenessWindow: c.StalenessWindow.String(),
			PauseWhenAtRisk: c.PauseWhenAtRisk,
		},
		Roles: RolesDraft{
			Owner:    c.Roles.Owner.String(),
			Pauser:   c.Roles.Pauser.String(),
			Freezer:  c.Roles.Freezer.String(),
			Attestor: c.Roles.Attestor.String(),
		},
	}
	for _, m := range c.Roles.Minters {
		d.Roles.Minters = append(d.Roles.Minters, MinterDraft{
			Address:   m.Address.String(),
			Allowance: c.FormatAmount(m.Allowance),
		})
	}
	return d
}
