package bank

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pegledger/peg/internal/money"
	"github.com/pegledger/peg/internal/token"
)

// camtNow is the clock of the camt tests: shortly after the fixtures.
var camtNow = time.Date(2025, 3, 16, 8, 0, 0, 0, time.UTC)

func camtWantFor(t testing.TB, account, currency string, statement, report []string) camtWant {
	t.Helper()
	cur, ok := token.LookupCurrency(currency)
	if !ok {
		t.Fatalf("no currency %s", currency)
	}
	return camtWant{
		account: account, currency: cur,
		statementCodes: orDefaultSlice(statement, DefaultStatementCodes),
		reportCodes:    orDefaultSlice(report, DefaultReportCodes),
	}
}

// The CLBD balance of camt053_v08.xml, and things to replace in it.
const (
	v08CLBD = `<Amt Ccy="EUR">1250000.00</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>`
	v08Stmt = "<Stmt>"
)

func TestParseCamt(t *testing.T) {
	const de, ch, us = "DE89370400440532013000", "CH9300762011623852957", "000000987654321"
	for _, tc := range []struct {
		name              string
		file              string
		pairs             []string // replacements in the file
		data              string   // instead of a file
		account, currency string
		statement, report []string
		message           string
		created           string
		want              uint64
		wantType          string
		wantTime          string
		err               error
		also              error
		overdraw          uint64
	}{
		{name: "camt.053.001.02", file: "camt053_v02.xml", account: de, currency: "EUR",
			message: "camt.053.001.02", created: "2025-03-13T22:05:11Z",
			want: 100000000, wantType: "CLBD", wantTime: "2025-03-13T00:00:00Z"},
		{name: "camt.053.001.04", file: "camt053_v04.xml", account: de, currency: "EUR",
			message: "camt.053.001.04", created: "2025-03-14T20:30:00Z",
			want: 98765432, wantType: "CLBD", wantTime: "2025-03-14T00:00:00Z"},
		{name: "camt.053.001.08, credit line not included", file: "camt053_v08.xml", account: de, currency: "EUR",
			message: "camt.053.001.08", created: "2025-03-15T20:00:00Z",
			want: 125000000, wantType: "CLBD", wantTime: "2025-03-15T19:59:59Z"},
		{name: "included credit line taken out", file: "camt053_v08.xml", account: de, currency: "EUR",
			statement: []string{"CLAV"}, want: 125000000, wantType: "CLAV"},
		{name: "spaced IBAN", file: "camt053_v02.xml", account: "DE89 3704 0044 0532 0130 00", currency: "EUR",
			want: 100000000, wantType: "CLBD"},
		{name: "camt.052.001.02 falls back to ITBD", file: "camt052_v02.xml", account: de, currency: "EUR",
			message: "camt.052.001.02", created: "2025-03-14T10:00:05Z",
			want: 100010000, wantType: "ITBD", wantTime: "2025-03-14T10:00:00Z"},
		{name: "camt.052.001.06 in ISO-8859-1, sub-typed ITAV apart", file: "camt052_v06.xml", account: ch, currency: "CHF",
			message: "camt.052.001.06", created: "2025-03-14T13:00:00Z",
			want: 74900050, wantType: "ITAV", wantTime: "2025-03-14T13:00:00Z"},
		{name: "camt.052.001.08 by Othr/Id", file: "camt052_v08.xml", account: us, currency: "USD",
			message: "camt.052.001.08", created: "2025-03-14T19:30:00Z",
			want: 2499000001, wantType: "ITAV", wantTime: "2025-03-14T19:29:58Z"},
		{name: "statement of another account beside ours", file: "camt053_v08.xml", account: de, currency: "EUR",
			pairs: []string{v08Stmt, otherStatement + v08Stmt}, want: 125000000, wantType: "CLBD"},

		{name: "wrong currency", file: "camt053_v08.xml", account: de, currency: "EUR",
			pairs: []string{v08CLBD, strings.Replace(v08CLBD, "EUR", "USD", 1)}, err: ErrWrongCurrency},
		{name: "wrong account currency", file: "camt053_v08.xml", account: de, currency: "EUR",
			pairs: []string{"<Ccy>EUR</Ccy>", "<Ccy>GBP</Ccy>"}, err: ErrWrongCurrency},
		{name: "configured in another currency", file: "camt053_v08.xml", account: de, currency: "GBP", err: ErrWrongCurrency},
		{name: "another account", file: "camt053_v08.xml", account: de, currency: "EUR",
			pairs: []string{de, "DE02120300000000202051"}, err: ErrWrongAccount},
		{name: "Othr/Id is not matched as an IBAN", file: "camt052_v08.xml", account: "000000 987654321", currency: "USD", err: ErrWrongAccount},
		{name: "too many decimals", file: "camt053_v08.xml", account: de, currency: "EUR",
			pairs: []string{"1250000.00", "1250000.005"}, err: ErrMalformed, also: money.ErrPrecision},
		{name: "JPY with decimals", file: "camt053_v08.xml", account: de, currency: "JPY",
			pairs: []string{"EUR", "JPY", "EUR", "JPY", "EUR", "JPY"}, err: ErrMalformed, also: money.ErrPrecision},
		{name: "missing balance type", file: "camt053_v08.xml", account: de, currency: "EUR",
			pairs: []string{"<Cd>CLBD</Cd>", "<Cd>ITBD</Cd>"}, err: ErrNoBalance},
		{name: "proprietary code is not the ISO code", file: "camt053_v08.xml", account: de, currency: "EUR",
			pairs: []string{"<Cd>CLBD</Cd>", "<Prtry>CLBD</Prtry>"}, err: ErrNoBalance},
		{name: "duplicated type", file: "camt053_v08.xml", account: de, currency: "EUR",
			pairs: []string{"<Cd>OPBD</Cd>", "<Cd>CLBD</Cd>"}, err: ErrMalformed},
		{name: "two statements for the account", file: "camt053_v08.xml", account: de, currency: "EUR",
			pairs: []string{"</Stmt>", "</Stmt>" + otherStatement2(de)}, err: ErrMalformed},
		{name: "negative", file: "camt053_v08.xml", account: de, currency: "EUR",
			pairs: []string{v08CLBD, strings.Replace(v08CLBD, "CRDT", "DBIT", 1)}, err: ErrNegative, overdraw: 125000000},
		{name: "negative once the included credit line is out", file: "camt053_v08.xml", account: de, currency: "EUR",
			statement: []string{"CLAV"}, pairs: []string{"1275000.00", "20000.00"}, err: ErrNegative, overdraw: 500000},
		{name: "signed amount", file: "camt053_v08.xml", account: de, currency: "EUR",
			pairs: []string{"1250000.00", "-1250000.00"}, err: ErrMalformed},
		{name: "bad indicator", file: "camt053_v08.xml", account: de, currency: "EUR",
			pairs: []string{v08CLBD, strings.Replace(v08CLBD, "CRDT", "CR", 1)}, err: ErrMalformed},
		{name: "two amounts in a balance", file: "camt053_v08.xml", account: de, currency: "EUR",
			pairs: []string{v08CLBD, `<Amt Ccy="EUR">9999999.00</Amt>` + v08CLBD}, err: ErrMalformed},
		{name: "balance without a date", file: "camt053_v02.xml", account: de, currency: "EUR",
			pairs: []string{`<Amt Ccy="EUR">1000000.00</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>
        <Dt>
          <Dt>2025-03-13</Dt>
        </Dt>`, `<Amt Ccy="EUR">1000000.00</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>`}, err: ErrMalformed},
		{name: "bad date", file: "camt053_v04.xml", account: de, currency: "EUR",
			pairs: []string{"<Dt>2025-03-14</Dt>", "<Dt>14.03.2025</Dt>"}, err: ErrMalformed},
		{name: "balance dated in the future", file: "camt053_v08.xml", account: de, currency: "EUR",
			pairs: []string{"<DtTm>2025-03-15T19:59:59.999Z</DtTm>", "<DtTm>2031-03-15T19:59:59.999Z</DtTm>"}, err: ErrMalformed},
		{name: "created in the future", file: "camt053_v08.xml", account: de, currency: "EUR",
			pairs: []string{"<CreDtTm>2025-03-15T20:00:00.000Z</CreDtTm>", "<CreDtTm>2031-03-15T20:00:00.000Z</CreDtTm>"}, err: ErrMalformed},
		{name: "no creation time", file: "camt053_v04.xml", account: de, currency: "EUR",
			pairs: []string{"<CreDtTm>2025-03-14T21:30:00+01:00</CreDtTm>", ""}, err: ErrMalformed},
		{name: "camt.054", file: "camt053_v08.xml", account: de, currency: "EUR",
			pairs: []string{"camt.053.001.08", "camt.054.001.08"}, err: ErrMalformed},
		{name: "camt.053.001.09", file: "camt053_v08.xml", account: de, currency: "EUR",
			pairs: []string{"camt.053.001.08", "camt.053.001.09"}, err: ErrMalformed},
		{name: "no namespace", file: "camt053_v04.xml", account: de, currency: "EUR",
			pairs: []string{` xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.04"`, ""}, err: ErrMalformed},
		{name: "report namespace on a statement", file: "camt053_v04.xml", account: de, currency: "EUR",
			pairs: []string{"camt.053.001.04", "camt.052.001.04"}, err: ErrMalformed},
		{name: "unsupported encoding", file: "camt053_v04.xml", account: de, currency: "EUR",
			pairs: []string{`encoding="UTF-8"`, `encoding="windows-1252"`}, err: ErrMalformed},
		{name: "entity", file: "camt053_v04.xml", account: de, currency: "EUR",
			pairs: []string{"<Document", `<!DOCTYPE Document [<!ENTITY big "1000000000.00">]><Document`, "987654.32", "&big;"}, err: ErrMalformed},
		{name: "content after the document", file: "camt053_v04.xml", account: de, currency: "EUR",
			pairs: []string{"</Document>", "</Document><Document/>"}, err: ErrMalformed},
		{name: "not XML", data: "Date;Account;Balance\n2025-03-14;DE89370400440532013000;987654.32\n", account: de, currency: "EUR", err: ErrMalformed},
		{name: "empty", data: "", account: de, currency: "EUR", err: ErrMalformed},
		{name: "truncated", data: "<?xml version=\"1.0\"?><Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.08\"><BkToCstmrStmt><GrpHdr>", account: de, currency: "EUR", err: ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := []byte(tc.data)
			if tc.file != "" {
				data = fixture(t, "camt/"+tc.file, tc.pairs...)
			}
			want := camtWantFor(t, tc.account, tc.currency, tc.statement, tc.report)
			f, err := parseCamt("test", want, data, camtNow)
			checkResult(t, f.balance, err, tc.want, tc.wantType, tc.wantTime, tc.err, tc.also, tc.overdraw)
			if tc.message != "" && f.message != tc.message {
				t.Errorf("message = %q, want %q", f.message, tc.message)
			}
			if tc.created != "" && f.created.UTC().Format(time.RFC3339) != tc.created {
				t.Errorf("created = %s, want %s", f.created.UTC().Format(time.RFC3339), tc.created)
			}
			if err == nil && f.balance.Currency != tc.currency {
				t.Errorf("Currency = %s", f.balance.Currency)
			}
		})
	}
}

// otherStatement is a camt.053 statement of another account.
const otherStatement = `<Stmt>
      <Id>OTHER</Id>
      <CreDtTm>2025-03-15T20:00:00.000Z</CreDtTm>
      <Acct><Id><IBAN>DE02120300000000202051</IBAN></Id><Ccy>EUR</Ccy></Acct>
      <Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">5.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2025-03-15</Dt></Dt></Bal>
    </Stmt>
    `

// otherStatement2 is a second camt.053 statement of account.
func otherStatement2(account string) string {
	return strings.Replace(strings.Replace(otherStatement, "DE02120300000000202051", account, 1), "OTHER", "SECOND", 1)
}

func TestCamtVersion(t *testing.T) {
	for _, kind := range []string{"052", "053"} {
		for v := 2; v <= 8; v++ {
			ns := fmt.Sprintf("urn:iso:std:iso:20022:tech:xsd:camt.%s.001.%02d", kind, v)
			msg, statement, ok := camtVersion(ns)
			if !ok || msg != ns[len(camtNamespace):] || statement != (kind == "053") {
				t.Errorf("camtVersion(%q) = %q %v %v", ns, msg, statement, ok)
			}
		}
	}
	for _, ns := range []string{
		"", "camt.053.001.08",
		"urn:iso:std:iso:20022:tech:xsd:camt.053.001.01",
		"urn:iso:std:iso:20022:tech:xsd:camt.053.001.09",
		"urn:iso:std:iso:20022:tech:xsd:camt.053.001.10",
		"urn:iso:std:iso:20022:tech:xsd:camt.054.001.08",
		"urn:iso:std:iso:20022:tech:xsd:camt.053.002.08",
		"urn:iso:std:iso:20022:tech:xsd:camt.053.001.0x",
		"urn:iso:std:iso:20022:tech:xsd:camt.053.001.08 ",
		"URN:ISO:STD:ISO:20022:TECH:XSD:CAMT.053.001.08",
	} {
		if msg, _, ok := camtVersion(ns); ok {
			t.Errorf("camtVersion(%q) accepted as %q", ns, msg)
		}
	}
}

func TestCamtErrorsNamePath(t *testing.T) {
	want := camtWantFor(t, "DE89370400440532013000", "EUR", nil, nil)
	data := fixture(t, "camt/camt053_v08.xml", v08CLBD, strings.Replace(v08CLBD, "1250000.00", "12.5.0", 1))
	_, err := parseCamt("test", want, data, camtNow)
	if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "BkToCstmrStmt/Stmt/Bal[1]: CLBD") {
		t.Fatalf("err = %v, want it to name BkToCstmrStmt/Stmt/Bal[1]: CLBD", err)
	}
}
