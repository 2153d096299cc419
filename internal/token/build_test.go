package token

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
)

// testAddr is a deterministic address in region GB.
func testAddr(n byte) ledger.Address {
	return ledger.NewAddress("GB", ed25519.PublicKey(bytes.Repeat([]byte{n}, ed25519.PublicKeySize)))
}

func testParams() Params {
	return Params{
		MinReserve:           1000,
		MinReserveByCurrency: map[string]uint64{"JPY": 100000},
		Banks:                []string{"NWBKGB2L", "DEUTDEFF", "BKCHCNBJ300", "HSBCHKHHXXX"},
	}
}

// validDraft is a contract every test starts from; it builds without violations.
func validDraft() Draft {
	return Draft{
		ID: "gbpp", Name: "Peg Pound", Symbol: "GBPP", Decimals: 6,
		SupplyCap:       "1000000",
		Fiat:            FiatDraft{BIC: "NWBKGB2L", Scheme: "IBAN", Account: "GB82WEST12345698765432", Currency: "GBP"},
		DeclaredReserve: "1000000.00",
		Ratio:           "1",
		MinUnit:         "0.01",
		MaxTransfer:     "10000",
		TransferRule:    "open",
		RedeemRule:      "anyone",
		Roles: RolesDraft{
			Owner:    testAddr(1).String(),
			Pauser:   testAddr(2).String(),
			Freezer:  testAddr(3).String(),
			Attestor: testAddr(4).String(),
			Minters:  []MinterDraft{{Address: testAddr(5).String(), Allowance: "500000"}},
		},
	}
}

func mustAmount(t testing.TB, s string, decimals uint8) money.Amount {
	t.Helper()
	a, err := money.Parse(s, decimals)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestBuildValid(t *testing.T) {
	c, vs := Build(validDraft(), testParams())
	if len(vs) != 0 {
		t.Fatalf("Build(validDraft) violations = %v, want none", vs)
	}
	want := Contract{
		ID: "gbpp", Name: "Peg Pound", Symbol: "GBPP", Decimals: 6,
		SupplyCap:       mustAmount(t, "1000000", 6),
		Fiat:            FiatAccount{BIC: "NWBKGB2L", Scheme: SchemeIBAN, Account: "GB82WEST12345698765432", Currency: Currency{"GBP", 2}},
		DeclaredReserve: money.FromUint64(100000000),
		Ratio:           Ratio{Num: money.FromUint64(1)},
		MinUnit:         money.FromUint64(10000),
		MaxTransfer:     mustAmount(t, "10000", 6),
		MinRedeem:       money.FromUint64(10000),
		TransferRule:    TransferOpen,
		RedeemRule:      RedeemAnyone,
		Roles: Roles{
			Owner: testAddr(1), Pauser: testAddr(2), Freezer: testAddr(3), Attestor: testAddr(4),
			Minters: []Minter{{Address: testAddr(5), Allowance: mustAmount(t, "500000", 6)}},
		},
		StalenessWindow: DefaultStalenessWindow,
	}
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("Build(validDraft) =\n%+v\nwant\n%+v", c, want)
	}
}

func TestBuildAcceptsVariants(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*Draft)
	}{
		{"no minters", func(d *Draft) { d.Roles.Minters = nil }},
		{"sixteen minters", func(d *Draft) {
			d.Roles.Minters = nil
			for i := range MaxMinters {
				d.Roles.Minters = append(d.Roles.Minters, MinterDraft{Address: testAddr(byte(10 + i)).String(), Allowance: "1"})
			}
		}},
		{"sort code account", func(d *Draft) { d.Fiat.Scheme, d.Fiat.Account = "SortCodeAccountNumber", "60161331926819" }},
		{"other account", func(d *Draft) { d.Fiat.Scheme, d.Fiat.Account = "Other", "ACC-1234/5 (main)" }},
		{"branch of a listed head office", func(d *Draft) { d.Fiat.BIC = "DEUTDEFF500" }},
		{"listed branch", func(d *Draft) { d.Fiat.BIC = "BKCHCNBJ300" }},
		{"head office listed with branch code XXX", func(d *Draft) { d.Fiat.BIC = "HSBCHKHH" }},
		{"zero decimals", func(d *Draft) {
			d.Decimals, d.MinUnit, d.Roles.Minters[0].Allowance = 0, "1", "5"
		}},
		{"eighteen decimals", func(d *Draft) { d.Decimals, d.MinUnit = 18, "0.000000000000000001" }},
		{"min unit one coin", func(d *Draft) { d.MinUnit = "1" }},
		{"min redeem explicit", func(d *Draft) { d.MinRedeem = "100" }},
		{"min redeem equals max transfer", func(d *Draft) { d.MinRedeem = d.MaxTransfer }},
		{"min redeem of a penny at 18 decimals", func(d *Draft) {
			d.Decimals, d.MinUnit, d.MinRedeem = 18, "0.000000000000000001", "0.01"
		}},
		{"min redeem between whole pence", func(d *Draft) { d.MinUnit, d.MinRedeem = "0.000001", "0.010001" }},
		{"max transfer equals min unit", func(d *Draft) { d.MaxTransfer = "0.01" }},
		{"registered rules", func(d *Draft) { d.TransferRule, d.RedeemRule = "registered", "registered" }},
		{"cap exactly covered at ratio", func(d *Draft) { d.Ratio, d.SupplyCap = "0.5", "500000" }},
		{"yen with its own minimum", func(d *Draft) {
			d.Fiat.Currency, d.DeclaredReserve, d.Ratio, d.SupplyCap = "JPY", "100000000", "0.01", "1000000"
		}},
		{"bahraini dinar", func(d *Draft) { d.Fiat.Currency, d.DeclaredReserve = "BHD", "1000000.000" }},
		{"unicode name", func(d *Draft) { d.Name = "Peg 英镑 Pound" }},
		{"name of max length", func(d *Draft) { d.Name = strings.Repeat("é", MaxNameLen) }},
		{"shortest staleness window", func(d *Draft) { d.Reserve.StalenessWindow = "1m" }},
		{"longest staleness window", func(d *Draft) { d.Reserve.StalenessWindow = "744h" }},
		{"pause when at risk", func(d *Draft) { d.Reserve.PauseWhenAtRisk = true }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := validDraft()
			tc.mutate(&d)
			if _, vs := Build(d, testParams()); len(vs) != 0 {
				t.Fatalf("Build violations = %v, want none", vs)
			}
		})
	}
}

// TestBuildViolation has one case per rule: each mutation of the valid draft
// breaks exactly that rule.
func TestBuildViolation(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*Draft)
		code   ledger.Code
		field  string
	}{
		{"id upper case", func(d *Draft) { d.ID = "GBPP" }, ledger.CodeContractID, "id"},
		{"id empty", func(d *Draft) { d.ID = "" }, ledger.CodeContractID, "id"},
		{"id too long", func(d *Draft) { d.ID = strings.Repeat("a", 33) }, ledger.CodeContractID, "id"},
		{"name empty", func(d *Draft) { d.Name = "" }, ledger.CodeContractName, "name"},
		{"name too long", func(d *Draft) { d.Name = strings.Repeat("a", MaxNameLen+1) }, ledger.CodeContractName, "name"},
		{"name control char", func(d *Draft) { d.Name = "Peg\x00Pound" }, ledger.CodeContractName, "name"},
		{"name tab", func(d *Draft) { d.Name = "Peg\tPound" }, ledger.CodeContractName, "name"},
		{"name untrimmed", func(d *Draft) { d.Name = " Peg Pound" }, ledger.CodeContractName, "name"},
		{"name invalid utf-8", func(d *Draft) { d.Name = "Peg \xff" }, ledger.CodeContractName, "name"},
		{"symbol lower case", func(d *Draft) { d.Symbol = "gbpp" }, ledger.CodeContractSymbol, "symbol"},
		{"symbol too short", func(d *Draft) { d.Symbol = "G" }, ledger.CodeContractSymbol, "symbol"},
		{"symbol too long", func(d *Draft) { d.Symbol = "GBPPGBPPGBPP" }, ledger.CodeContractSymbol, "symbol"},
		{"symbol punctuation", func(d *Draft) { d.Symbol = "GB-P" }, ledger.CodeContractSymbol, "symbol"},
		{"decimals above 18", func(d *Draft) { d.Decimals = 19 }, ledger.CodeContractDecimals, "decimals"},
		{"cap zero", func(d *Draft) { d.SupplyCap = "0" }, ledger.CodeContractCap, "supply_cap"},
		{"cap empty", func(d *Draft) { d.SupplyCap = "" }, ledger.CodeContractCap, "supply_cap"},
		{"cap malformed", func(d *Draft) { d.SupplyCap = "1,000,000" }, ledger.CodeContractCap, "supply_cap"},
		{"cap excess precision", func(d *Draft) { d.SupplyCap = "999999.0000001" }, ledger.CodeContractCap, "supply_cap"},
		{"cap overflow", func(d *Draft) { d.SupplyCap = "340282366920938463463374607431768211455" }, ledger.CodeContractCap, "supply_cap"},
		{"cap not a min unit multiple", func(d *Draft) { d.SupplyCap = "999999.001" }, ledger.CodeContractCap, "supply_cap"},
		{"cap not covered", func(d *Draft) { d.SupplyCap = "1000000.01" }, ledger.CodeCapNotCovered, "supply_cap"},
		{"cap not covered at ratio", func(d *Draft) { d.Ratio = "0.5" }, ledger.CodeCapNotCovered, "supply_cap"},
		{"bic malformed", func(d *Draft) { d.Fiat.BIC = "NWBKGB2" }, ledger.CodeContractBIC, "fiat.bic"},
		{"bic lower case", func(d *Draft) { d.Fiat.BIC = "nwbkgb2l" }, ledger.CodeContractBIC, "fiat.bic"},
		{"bic unknown country", func(d *Draft) { d.Fiat.BIC = "NWBKZZ2L" }, ledger.CodeContractBIC, "fiat.bic"},
		{"bic unknown bank", func(d *Draft) { d.Fiat.BIC = "BARCGB22" }, ledger.CodeUnknownBank, "fiat.bic"},
		{"bic other branch", func(d *Draft) { d.Fiat.BIC = "BKCHCNBJ301" }, ledger.CodeUnknownBank, "fiat.bic"},
		{"scheme unknown", func(d *Draft) { d.Fiat.Scheme = "BBAN" }, ledger.CodeContractAccountID, "fiat.scheme"},
		{"scheme empty", func(d *Draft) { d.Fiat.Scheme = "" }, ledger.CodeContractAccountID, "fiat.scheme"},
		{"iban checksum", func(d *Draft) { d.Fiat.Account = "GB82WEST12345698765431" }, ledger.CodeContractIBAN, "fiat.account"},
		{"iban with spaces", func(d *Draft) { d.Fiat.Account = "GB82 WEST 1234 5698 7654 32" }, ledger.CodeContractIBAN, "fiat.account"},
		{"sort code with dashes", func(d *Draft) {
			d.Fiat.Scheme, d.Fiat.Account = "SortCodeAccountNumber", "60-16-13 31926819"
		}, ledger.CodeContractAccountID, "fiat.account"},
		{"sort code too short", func(d *Draft) {
			d.Fiat.Scheme, d.Fiat.Account = "SortCodeAccountNumber", "6016133192681"
		}, ledger.CodeContractAccountID, "fiat.account"},
		{"other account bad char", func(d *Draft) { d.Fiat.Scheme, d.Fiat.Account = "Other", "ACC#1" }, ledger.CodeContractAccountID, "fiat.account"},
		{"other account empty", func(d *Draft) { d.Fiat.Scheme, d.Fiat.Account = "Other", "" }, ledger.CodeContractAccountID, "fiat.account"},
		{"other account too long", func(d *Draft) {
			d.Fiat.Scheme, d.Fiat.Account = "Other", strings.Repeat("1", MaxOtherAccountLen+1)
		}, ledger.CodeContractAccountID, "fiat.account"},
		{"other account untrimmed", func(d *Draft) { d.Fiat.Scheme, d.Fiat.Account = "Other", "ACC1 " }, ledger.CodeContractAccountID, "fiat.account"},
		{"currency unknown", func(d *Draft) { d.Fiat.Currency = "XYZ" }, ledger.CodeContractCurrency, "fiat.currency"},
		{"currency lower case", func(d *Draft) { d.Fiat.Currency = "gbp" }, ledger.CodeContractCurrency, "fiat.currency"},
		{"currency without minor unit", func(d *Draft) { d.Fiat.Currency = "XAU" }, ledger.CodeContractCurrency, "fiat.currency"},
		{"reserve excess precision", func(d *Draft) { d.DeclaredReserve = "1000000.001" }, ledger.CodeContractReserveAmount, "declared_reserve"},
		{"reserve fraction of yen", func(d *Draft) {
			d.Fiat.Currency, d.DeclaredReserve = "JPY", "100000000.5"
		}, ledger.CodeContractReserveAmount, "declared_reserve"},
		{"reserve empty", func(d *Draft) { d.DeclaredReserve = "" }, ledger.CodeContractReserveAmount, "declared_reserve"},
		{"reserve negative", func(d *Draft) { d.DeclaredReserve = "-1" }, ledger.CodeContractReserveAmount, "declared_reserve"},
		{"reserve below minimum", func(d *Draft) {
			d.DeclaredReserve, d.SupplyCap, d.Roles.Minters[0].Allowance = "999.99", "999", "999"
		}, ledger.CodeReserveBelowMinimum, "declared_reserve"},
		{"reserve below currency minimum", func(d *Draft) {
			d.Fiat.Currency, d.DeclaredReserve, d.Ratio = "JPY", "99999", "1000"
		}, ledger.CodeReserveBelowMinimum, "declared_reserve"},
		{"ratio zero", func(d *Draft) { d.Ratio = "0.000" }, ledger.CodeContractRatio, "ratio"},
		{"ratio empty", func(d *Draft) { d.Ratio = "" }, ledger.CodeContractRatio, "ratio"},
		{"ratio malformed", func(d *Draft) { d.Ratio = "1/1" }, ledger.CodeContractRatio, "ratio"},
		{"ratio negative", func(d *Draft) { d.Ratio = "-1" }, ledger.CodeContractRatio, "ratio"},
		{"ratio 19 fractional digits", func(d *Draft) { d.Ratio = "1.0000000000000000001" }, ledger.CodeContractRatio, "ratio"},
		{"min unit zero", func(d *Draft) { d.MinUnit = "0" }, ledger.CodeContractMinUnit, "min_unit"},
		{"min unit not a power of ten", func(d *Draft) { d.MinUnit = "0.03" }, ledger.CodeContractMinUnit, "min_unit"},
		{"min unit above one coin", func(d *Draft) { d.MinUnit = "10" }, ledger.CodeContractMinUnit, "min_unit"},
		{"min unit excess precision", func(d *Draft) { d.MinUnit = "0.0000001" }, ledger.CodeContractMinUnit, "min_unit"},
		{"min unit empty", func(d *Draft) { d.MinUnit = "" }, ledger.CodeContractMinUnit, "min_unit"},
		{"max transfer below min unit", func(d *Draft) { d.MaxTransfer = "0.001" }, ledger.CodeMaxTransferBelowMin, "max_transfer"},
		{"max transfer not a multiple", func(d *Draft) { d.MaxTransfer = "100.005" }, ledger.CodeNotMinUnitMultiple, "max_transfer"},
		{"max transfer zero", func(d *Draft) { d.MaxTransfer = "0" }, ledger.CodeInvalidAmount, "max_transfer"},
		{"max transfer empty", func(d *Draft) { d.MaxTransfer = "" }, ledger.CodeInvalidAmount, "max_transfer"},
		{"min redeem not a multiple", func(d *Draft) { d.MinRedeem = "0.005" }, ledger.CodeNotMinUnitMultiple, "min_redeem"},
		{"min redeem above max transfer", func(d *Draft) { d.MinRedeem = "10000.01" }, ledger.CodeAboveMaxTransfer, "min_redeem"},
		{"min redeem zero", func(d *Draft) { d.MinRedeem = "0" }, ledger.CodeInvalidAmount, "min_redeem"},
		{"min redeem malformed", func(d *Draft) { d.MinRedeem = "1e3" }, ledger.CodeInvalidAmount, "min_redeem"},
		{"min redeem of a wei of a pound", func(d *Draft) {
			d.Decimals, d.MinUnit, d.MinRedeem = 18, "0.000000000000000001", "0.000000000000000001"
		}, ledger.CodeContractMinRedeem, "min_redeem"},
		{"min redeem below a penny", func(d *Draft) { d.MinUnit, d.MinRedeem = "0.000001", "0.009999" }, ledger.CodeContractMinRedeem, "min_redeem"},
		{"no amount up to the maximum transfer pays whole pence", func(d *Draft) { d.Ratio, d.MaxTransfer = "1000", "5" }, ledger.CodeContractMinRedeem, "min_redeem"},
		{"transfer rule unknown", func(d *Draft) { d.TransferRule = "closed" }, ledger.CodeContractRule, "transfer_rule"},
		{"transfer rule empty", func(d *Draft) { d.TransferRule = "" }, ledger.CodeContractRule, "transfer_rule"},
		{"redeem rule unknown", func(d *Draft) { d.RedeemRule = "open" }, ledger.CodeContractRule, "redeem_rule"},
		{"owner missing", func(d *Draft) { d.Roles.Owner = "" }, ledger.CodeRoleMissing, "roles.owner"},
		{"pauser missing", func(d *Draft) { d.Roles.Pauser = "" }, ledger.CodeRoleMissing, "roles.pauser"},
		{"freezer missing", func(d *Draft) { d.Roles.Freezer = "" }, ledger.CodeRoleMissing, "roles.freezer"},
		{"attestor missing", func(d *Draft) { d.Roles.Attestor = "" }, ledger.CodeRoleMissing, "roles.attestor"},
		{"owner malformed", func(d *Draft) { d.Roles.Owner = "peg1notanaddress" }, ledger.CodeRoleMissing, "roles.owner"},
		{"attestor bad checksum", func(d *Draft) {
			s := d.Roles.Attestor
			d.Roles.Attestor = s[:len(s)-1] + map[bool]string{true: "q", false: "p"}[s[len(s)-1] != 'q']
		}, ledger.CodeRoleMissing, "roles.attestor"},
		{"owner is pauser", func(d *Draft) { d.Roles.Pauser = d.Roles.Owner }, ledger.CodeRoleReused, "roles.pauser"},
		{"freezer is attestor", func(d *Draft) { d.Roles.Attestor = d.Roles.Freezer }, ledger.CodeRoleReused, "roles.attestor"},
		{"minter is owner", func(d *Draft) { d.Roles.Minters[0].Address = d.Roles.Owner }, ledger.CodeRoleReused, "roles.minters[0].address"},
		{"minter twice", func(d *Draft) {
			d.Roles.Minters = append(d.Roles.Minters, MinterDraft{Address: d.Roles.Minters[0].Address, Allowance: "1"})
		}, ledger.CodeRoleReused, "roles.minters[1].address"},
		{"minter address missing", func(d *Draft) { d.Roles.Minters[0].Address = "" }, ledger.CodeContractMinter, "roles.minters[0].address"},
		{"minter address malformed", func(d *Draft) { d.Roles.Minters[0].Address = "cosmos1xyz" }, ledger.CodeContractMinter, "roles.minters[0].address"},
		{"minter allowance zero", func(d *Draft) { d.Roles.Minters[0].Allowance = "0" }, ledger.CodeContractMinter, "roles.minters[0].allowance"},
		{"minter allowance empty", func(d *Draft) { d.Roles.Minters[0].Allowance = "" }, ledger.CodeContractMinter, "roles.minters[0].allowance"},
		{"minter allowance not a multiple", func(d *Draft) { d.Roles.Minters[0].Allowance = "0.001" }, ledger.CodeContractMinter, "roles.minters[0].allowance"},
		{"minter allowance above cap", func(d *Draft) { d.Roles.Minters[0].Allowance = "1000000.01" }, ledger.CodeContractMinter, "roles.minters[0].allowance"},
		{"too many minters", func(d *Draft) {
			d.Roles.Minters = nil
			for i := range MaxMinters + 1 {
				d.Roles.Minters = append(d.Roles.Minters, MinterDraft{Address: testAddr(byte(10 + i)).String(), Allowance: "1"})
			}
		}, ledger.CodeContractMinter, "roles.minters"},
		{"staleness window below a minute", func(d *Draft) { d.Reserve.StalenessWindow = "59s" }, ledger.CodeContractStaleness, "reserve.staleness_window"},
		{"staleness window zero", func(d *Draft) { d.Reserve.StalenessWindow = "0" }, ledger.CodeContractStaleness, "reserve.staleness_window"},
		{"staleness window negative", func(d *Draft) { d.Reserve.StalenessWindow = "-26h" }, ledger.CodeContractStaleness, "reserve.staleness_window"},
		{"staleness window above 31 days", func(d *Draft) { d.Reserve.StalenessWindow = "744h0m1s" }, ledger.CodeContractStaleness, "reserve.staleness_window"},
		{"staleness window fraction of a second", func(d *Draft) { d.Reserve.StalenessWindow = "26h0.5s" }, ledger.CodeContractStaleness, "reserve.staleness_window"},
		{"staleness window without unit", func(d *Draft) { d.Reserve.StalenessWindow = "26" }, ledger.CodeContractStaleness, "reserve.staleness_window"},
		{"staleness window in days", func(d *Draft) { d.Reserve.StalenessWindow = "1d" }, ledger.CodeContractStaleness, "reserve.staleness_window"},
		{"staleness window overflows", func(d *Draft) { d.Reserve.StalenessWindow = "9999999999h" }, ledger.CodeContractStaleness, "reserve.staleness_window"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := validDraft()
			tc.mutate(&d)
			c, vs := Build(d, testParams())
			if len(vs) != 1 || vs[0].Code != tc.code || vs[0].Field != tc.field {
				t.Fatalf("Build violations = %v, want exactly one %s on %s", vs, tc.code, tc.field)
			}
			if vs[0].Message == "" {
				t.Errorf("violation %v has no message", vs[0])
			}
			if !reflect.DeepEqual(c, Contract{}) {
				t.Errorf("Build returned a contract alongside violations: %+v", c)
			}
		})
	}
}

func TestBuildReportsEveryViolationInOrder(t *testing.T) {
	d := validDraft()
	d.ID = "Bad Id"
	d.Symbol = "gbpp"
	d.Fiat.BIC = "BARCGB22"
	d.Fiat.Account = "GB00WEST12345698765432"
	d.Ratio = "0"
	d.TransferRule = "closed"
	d.RedeemRule = ""
	d.Roles.Owner = ""
	d.Roles.Freezer = d.Roles.Pauser
	d.Roles.Minters = append(d.Roles.Minters, MinterDraft{Address: testAddr(6).String(), Allowance: "0"})
	d.MaxTransfer = "0.005"

	_, vs := Build(d, testParams())
	var got []string
	for _, v := range vs {
		got = append(got, fmt.Sprintf("%d %s", v.Code, v.Field))
	}
	want := []string{
		"50 id",
		"52 symbol",
		"56 fiat.account",
		"61 ratio",
		"63 max_transfer",
		"64 redeem_rule",
		"64 transfer_rule",
		"65 roles.freezer",
		"66 roles.owner",
		"67 roles.minters[1].allowance",
		"70 fiat.bic",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("violations\n%s\nwant\n%s\nfull: %v", strings.Join(got, "\n"), strings.Join(want, "\n"), vs)
	}
}

func TestViolationMessagesNameValueAndLimit(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*Draft)
		want   []string
	}{
		{"cap not covered", func(d *Draft) { d.Ratio = "0.5" },
			[]string{"1000000 GBPP", "500000 GBPP", "1000000 GBP", "ratio 0.5"}},
		{"reserve below minimum", func(d *Draft) { d.DeclaredReserve, d.SupplyCap, d.Roles.Minters = "999.99", "1", nil },
			[]string{"999.99 GBP", "minimum 1000 GBP"}},
		{"min unit", func(d *Draft) { d.MinUnit = "0.03" }, []string{"0.03 GBPP", "0.000001 GBPP"}},
		{"decimals", func(d *Draft) { d.Decimals = 30 }, []string{"30", "18"}},
		{"name", func(d *Draft) { d.Name = strings.Repeat("n", 70) }, []string{"70 characters", "at most 64"}},
		{"iban length", func(d *Draft) { d.Fiat.Account = "GB82WEST1234569876543" }, []string{"GB82WEST1234569876543", "21", "GB IBANs have 22"}},
		{"role reused", func(d *Draft) { d.Roles.Minters[0].Address = d.Roles.Owner },
			[]string{testAddr(1).String(), "owner role (roles.owner)", "minter role (roles.minters[0].address)"}},
		{"excess precision", func(d *Draft) { d.SupplyCap = "1.0000001" }, []string{`"1.0000001"`, "more than 6 decimal places"}},
		{"staleness window out of range", func(d *Draft) { d.Reserve.StalenessWindow = "30s" },
			[]string{"30s", "between 1m0s and 744h0m0s"}},
		{"staleness window not a duration", func(d *Draft) { d.Reserve.StalenessWindow = "daily" },
			[]string{`"daily"`, `"26h"`}},
		{"staleness window fraction", func(d *Draft) { d.Reserve.StalenessWindow = "90.5s" },
			[]string{"1m30.5s", "whole seconds"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := validDraft()
			tc.mutate(&d)
			_, vs := Build(d, testParams())
			if len(vs) != 1 {
				t.Fatalf("Build violations = %v, want one", vs)
			}
			for _, w := range tc.want {
				if !strings.Contains(vs[0].Message, w) {
					t.Errorf("message %q does not contain %q", vs[0].Message, w)
				}
			}
		})
	}
}

func TestViolationMessageClipsLongValues(t *testing.T) {
	d := validDraft()
	d.Symbol = strings.Repeat("x", 10000)
	_, vs := Build(d, testParams())
	if len(vs) != 1 || len(vs[0].Message) > 200 {
		t.Fatalf("Build violations = %v, want one short message", vs)
	}
}

func TestViolationRejection(t *testing.T) {
	v := Violation{Code: ledger.CodeContractSymbol, Field: "symbol", Message: `symbol "x" has 1 characters`}
	got := v.Rejection()
	if got.Code != ledger.CodeContractSymbol || got.Message != `symbol: symbol "x" has 1 characters` {
		t.Fatalf("Rejection() = %v", got)
	}
}

func TestDraftRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*Draft)
	}{
		{"valid draft", func(*Draft) {}},
		{"non-canonical decimals", func(d *Draft) {
			d.SupplyCap, d.DeclaredReserve, d.Ratio, d.MinUnit, d.MaxTransfer = "1000000.000", "1000000", "1.500", "0.010", "010000"
		}},
		{"yen, no minters, explicit min redeem", func(d *Draft) {
			d.Fiat.Currency, d.DeclaredReserve, d.Ratio, d.SupplyCap = "JPY", "100000000", "0.01", "1000000"
			d.Decimals, d.MinUnit, d.MaxTransfer, d.MinRedeem = 0, "1", "5000", "5"
			d.Roles.Minters = nil
		}},
		{"fine ratio", func(d *Draft) { d.Decimals, d.MinUnit, d.Ratio = 18, "0.000000000000000001", "1.000000000000000001" }},
		{"reserve watch", func(d *Draft) { d.Reserve = ReserveDraft{StalenessWindow: "90m", PauseWhenAtRisk: true} }},
		{"staleness window at the bounds", func(d *Draft) { d.Reserve.StalenessWindow = "744h" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := validDraft()
			tc.mutate(&d)
			c, vs := Build(d, testParams())
			if len(vs) != 0 {
				t.Fatalf("Build violations = %v", vs)
			}
			canonical := c.Draft()
			back, vs := Build(canonical, testParams())
			if len(vs) != 0 {
				t.Fatalf("Build(c.Draft()) violations = %v for %+v", vs, canonical)
			}
			if !reflect.DeepEqual(back, c) {
				t.Fatalf("Build(c.Draft()) =\n%+v\nwant\n%+v", back, c)
			}
			if again := back.Draft(); !reflect.DeepEqual(again, canonical) {
				t.Fatalf("Draft not stable:\n%+v\nwant\n%+v", again, canonical)
			}
		})
	}
}

func TestDraftIsCanonical(t *testing.T) {
	d := validDraft()
	d.SupplyCap, d.Ratio, d.MinUnit = "1000000.000000", "1.50", "0.010"
	c, vs := Build(d, testParams())
	if len(vs) != 0 {
		t.Fatal(vs)
	}
	got := c.Draft()
	// At 1.5 coins a pound, 0.03 is the smallest multiple of the minimum unit
	// worth whole pence (2p), so it is the default minimum redemption.
	if got.SupplyCap != "1000000" || got.Ratio != "1.5" || got.MinUnit != "0.01" || got.MinRedeem != "0.03" || got.DeclaredReserve != "1000000" {
		t.Fatalf("Draft() = %+v, want canonical amounts", got)
	}
	// The default window is written out, so that the canonical contract (and
	// its hash) says which window applies.
	if want := (ReserveDraft{StalenessWindow: "26h0m0s"}); got.Reserve != want {
		t.Fatalf("Draft().Reserve = %+v, want %+v", got.Reserve, want)
	}
}

func TestStalenessWindow(t *testing.T) {
	for _, tc := range []struct {
		window string
		want   time.Duration
	}{
		{"", DefaultStalenessWindow},
		{"26h", 26 * time.Hour},
		{"26h0m0s", 26 * time.Hour},
		{"1m", MinStalenessWindow},
		{"60s", time.Minute},
		{"744h", MaxStalenessWindow},
		{"2h30m", 150 * time.Minute},
		{"86400000ms", 24 * time.Hour},
	} {
		t.Run(tc.window, func(t *testing.T) {
			for _, pause := range []bool{false, true} {
				d := validDraft()
				d.Reserve = ReserveDraft{StalenessWindow: tc.window, PauseWhenAtRisk: pause}
				c, vs := Build(d, testParams())
				if len(vs) != 0 {
					t.Fatalf("Build violations = %v", vs)
				}
				if c.StalenessWindow != tc.want || c.PauseWhenAtRisk != pause {
					t.Fatalf("StalenessWindow, PauseWhenAtRisk = %s, %v, want %s, %v", c.StalenessWindow, c.PauseWhenAtRisk, tc.want, pause)
				}
			}
		})
	}
	if DefaultStalenessWindow < MinStalenessWindow || DefaultStalenessWindow > MaxStalenessWindow {
		t.Errorf("DefaultStalenessWindow %s is outside [%s, %s]", DefaultStalenessWindow, MinStalenessWindow, MaxStalenessWindow)
	}
}

// TestDefaultMinRedeemPays: without min_redeem, the minimum redemption is the
// smallest amount worth whole fiat minor units, never one that pays nothing.
func TestDefaultMinRedeemPays(t *testing.T) {
	for _, tc := range []struct {
		name     string
		mutate   func(*Draft)
		decimals uint8
		want     string
	}{
		{"minimum unit pays", func(*Draft) {}, 6, "0.01"},
		{"18 decimals", func(d *Draft) { d.Decimals, d.MinUnit = 18, "0.000000000000000001" }, 18, "0.01"},
		{"ratio 7.8", func(d *Draft) { d.Ratio, d.MinUnit = "7.8", "0.000001" }, 6, "0.078"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := validDraft()
			tc.mutate(&d)
			c, vs := Build(d, testParams())
			if len(vs) != 0 {
				t.Fatal(vs)
			}
			if want := mustAmount(t, tc.want, tc.decimals); c.MinRedeem != want {
				t.Errorf("MinRedeem = %s, want %s", c.FormatAmount(c.MinRedeem), tc.want)
			}
			if rej := c.CheckRedeemPays(c.MinRedeem); rej != nil {
				t.Errorf("the default minimum redemption does not pay: %v", rej)
			}
		})
	}
}

// TestBuildChecksAmountsWithInvalidDecimals: invalid decimals hide no other
// mistake in the amounts; each is still checked for what holds at any
// decimals, and one that is valid at some decimals adds no violation.
func TestBuildChecksAmountsWithInvalidDecimals(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*Draft)
		want   []string
	}{
		{"amounts valid at some decimals", func(*Draft) {}, nil},
		{"cap malformed", func(d *Draft) { d.SupplyCap = "1,000,000" }, []string{"CONTRACT_CAP supply_cap"}},
		{"cap zero", func(d *Draft) { d.SupplyCap = "0" }, []string{"CONTRACT_CAP supply_cap"}},
		{"min unit malformed", func(d *Draft) { d.MinUnit = "one" }, []string{"CONTRACT_MIN_UNIT min_unit"}},
		{"max transfer beyond any decimals", func(d *Draft) { d.MaxTransfer = "0.0000000000000000001" }, []string{"INVALID_AMOUNT max_transfer"}},
		{"min redeem negative", func(d *Draft) { d.MinRedeem = "-1" }, []string{"INVALID_AMOUNT min_redeem"}},
		{"allowance empty", func(d *Draft) { d.Roles.Minters[0].Allowance = "" }, []string{"CONTRACT_MINTER roles.minters[0].allowance"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := validDraft()
			d.Decimals = MaxDecimals + 1
			tc.mutate(&d)
			_, vs := Build(d, testParams())
			got := []string{}
			for _, v := range vs {
				if v.Field != "decimals" {
					got = append(got, v.Code.Name()+" "+v.Field)
				}
			}
			if len(vs) == len(got) {
				t.Errorf("violations %v lack the decimals", vs)
			}
			if want := append([]string{}, tc.want...); !reflect.DeepEqual(got, want) {
				t.Errorf("violations besides the decimals: %v, want %v (all: %v)", got, want, vs)
			}
		})
	}
}
