package bank

import (
	"bytes"
	"crypto/ed25519"
	"encoding/xml"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/pegledger/peg/internal/contractfile"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
	"github.com/pegledger/peg/internal/reserve"
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
			want: 100000000, wantType: "CLBD", wantTime: "2025-03-13T22:05:11Z"},
		{name: "camt.053.001.04", file: "camt053_v04.xml", account: de, currency: "EUR",
			message: "camt.053.001.04", created: "2025-03-14T20:30:00Z",
			want: 98765432, wantType: "CLBD", wantTime: "2025-03-14T20:30:00Z"},
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

// TestCamtEveryVersion reads a fixture of every supported message, camt.052
// and camt.053 .001.02 to .001.08, each with the time its balance is read as.
func TestCamtEveryVersion(t *testing.T) {
	const de, us, gb = "DE89370400440532013000", "000000987654321", "GB81PEGD20041531926819"
	want := map[string]struct {
		account, currency string
		amount            uint64
		typ, time         string
	}{
		"camt.053.001.02": {de, "EUR", 100000000, "CLBD", "2025-03-13T22:05:11Z"},
		"camt.053.001.03": {de, "EUR", 95000000, "CLBD", "2025-03-12T23:10:00Z"},
		"camt.053.001.04": {de, "EUR", 98765432, "CLBD", "2025-03-14T20:30:00Z"},
		"camt.053.001.05": {de, "EUR", 99000000, "CLBD", "2025-03-14T22:59:59Z"},
		"camt.053.001.06": {us, "USD", 2499000001, "CLBD", "2025-03-15T04:59:59Z"},
		"camt.053.001.07": {gb, "GBP", 100000000, "CLBD", "2025-03-15T23:59:59Z"},
		"camt.053.001.08": {de, "EUR", 125000000, "CLBD", "2025-03-15T19:59:59Z"},
		"camt.052.001.02": {de, "EUR", 100010000, "ITBD", "2025-03-14T10:00:00Z"},
		"camt.052.001.03": {de, "EUR", 100020000, "ITBD", "2025-03-14T11:00:00Z"},
		"camt.052.001.04": {de, "EUR", 100030000, "ITAV", "2025-03-14T12:00:00Z"},
		"camt.052.001.05": {de, "EUR", 100040000, "ITAV", "2025-03-14T12:29:30Z"},
		"camt.052.001.06": {"CH9300762011623852957", "CHF", 74900050, "ITAV", "2025-03-14T13:00:00Z"},
		"camt.052.001.07": {de, "EUR", 100050000, "ITBD", "2025-03-14T15:15:00Z"},
		"camt.052.001.08": {us, "USD", 2499000001, "ITAV", "2025-03-14T19:29:58Z"},
	}
	for _, kind := range []string{"052", "053"} {
		for v := 2; v <= 8; v++ {
			msg := fmt.Sprintf("camt.%s.001.%02d", kind, v)
			t.Run(msg, func(t *testing.T) {
				w, ok := want[msg]
				if !ok {
					t.Fatalf("no expectation for %s", msg)
				}
				data := fixture(t, fmt.Sprintf("camt/camt%s_v%02d.xml", kind, v))
				f, err := parseCamt("test", camtWantFor(t, w.account, w.currency, nil, nil), data, camtNow)
				checkResult(t, f.balance, err, w.amount, w.typ, w.time, nil, nil, 0)
				if f.message != msg {
					t.Errorf("message = %q, want %q", f.message, msg)
				}
			})
		}
	}
}

// TestCamtDate reads Bal/Dt in every xs:date and xs:dateTime form, with the
// message created at 2026-12-05T09:00:00Z.
func TestCamtDate(t *testing.T) {
	created := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name  string
		elem  string // Dt or DtTm, inside Bal/Dt
		value string
		want  string // RFC 3339 in UTC, with fractional seconds if any; "" for an error
	}{
		{"yesterday, created this morning: its last second", "Dt", "2026-12-04", "2026-12-04T23:59:59Z"},
		{"today: the creation time", "Dt", "2026-12-05", "2026-12-05T09:00:00Z"},
		{"a later day: its start", "Dt", "2026-12-07", "2026-12-07T00:00:00Z"},
		{"white space collapsed", "Dt", "\n  2026-12-04 ", "2026-12-04T23:59:59Z"},
		{"Z", "Dt", "2026-12-04Z", "2026-12-04T23:59:59Z"},
		{"+01:00, yesterday", "Dt", "2026-12-04+01:00", "2026-12-04T22:59:59Z"},
		{"-05:00, yesterday", "Dt", "2026-12-04-05:00", "2026-12-05T04:59:59Z"},
		{"-05:00, today there", "Dt", "2026-12-05-05:00", "2026-12-05T09:00:00Z"},
		{"+14:00, yesterday there: ended", "Dt", "2026-12-04+14:00", "2026-12-04T09:59:59Z"},
		{"+14:00, today there: the creation time", "Dt", "2026-12-05+14:00", "2026-12-05T09:00:00Z"},
		{"+14:00, tomorrow there: its start", "Dt", "2026-12-06+14:00", "2026-12-05T10:00:00Z"},
		{"-14:00, yesterday there: not yet ended", "Dt", "2026-12-04-14:00", "2026-12-05T09:00:00Z"},
		{"-00:00", "Dt", "2026-12-04-00:00", "2026-12-04T23:59:59Z"},
		{"+05:45", "Dt", "2026-12-04+05:45", "2026-12-04T18:14:59Z"},
		{"leap day", "Dt", "2024-02-29", "2024-02-29T23:59:59Z"},
		{"date-time without an offset", "DtTm", "2026-12-05T08:30:00", "2026-12-05T08:30:00Z"},
		{"date-time, fraction without an offset", "DtTm", "2026-12-05T08:30:00.125", "2026-12-05T08:30:00.125Z"},
		{"date-time, fraction and Z", "DtTm", "2026-12-05T08:30:00.5Z", "2026-12-05T08:30:00.5Z"},
		{"date-time, offset", "DtTm", "2026-12-05T08:30:00+01:00", "2026-12-05T07:30:00Z"},
		{"date-time, fraction and offset", "DtTm", "2026-12-05T08:30:00.000-05:00", "2026-12-05T13:30:00Z"},

		{"dotted", "Dt", "05.12.2026", ""},
		{"two-digit year", "Dt", "26-12-05", ""},
		{"no such day", "Dt", "2026-02-29", ""},
		{"month 13", "Dt", "2026-13-05", ""},
		{"lower-case z", "Dt", "2026-12-05z", ""},
		{"zone name", "Dt", "2026-12-05UTC", ""},
		{"offset without minutes", "Dt", "2026-12-05+01", ""},
		{"offset without a colon", "Dt", "2026-12-05+0100", ""},
		{"one-digit offset hour", "Dt", "2026-12-05+1:00", ""},
		{"offset with seconds", "Dt", "2026-12-05+01:00:00", ""},
		{"offset minutes 60", "Dt", "2026-12-05+01:60", ""},
		{"offset beyond 14:00", "Dt", "2026-12-05+14:01", ""},
		{"offset of a day", "Dt", "2026-12-05-24:00", ""},
		{"signed offset digits", "Dt", "2026-12-05++1:00", ""},
		{"space before the offset", "Dt", "2026-12-05 +01:00", ""},
		{"a date-time as a date", "Dt", "2026-12-05T00:00:00Z", ""},
		{"a date as a date-time", "DtTm", "2026-12-05", ""},
		{"empty", "Dt", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b camtBalance
			x := fmt.Sprintf("<Bal><Dt><%s>%s</%[1]s></Dt></Bal>", tc.elem, tc.value)
			if err := xml.Unmarshal([]byte(x), &b); err != nil {
				t.Fatal(err)
			}
			got, err := camtDate(b, created)
			if tc.want == "" {
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("camtDate = %v, %v; want ErrMalformed", got, err)
				}
				if !strings.Contains(err.Error(), fmt.Sprintf("%q", strings.TrimSpace(tc.value))) {
					t.Errorf("error %q does not name the value %q", err, tc.value)
				}
				return
			}
			if err != nil {
				t.Fatalf("err = %v", err)
			}
			if s := got.UTC().Format(time.RFC3339Nano); s != tc.want {
				t.Errorf("camtDate = %s, want %s", s, tc.want)
			}
		})
	}
	var both camtBalance
	if err := xml.Unmarshal([]byte("<Bal><Dt><Dt>2026-12-05</Dt><DtTm>2026-12-05T08:30:00Z</DtTm></Dt></Bal>"), &both); err != nil {
		t.Fatal(err)
	}
	if got, err := camtDate(both, created); !errors.Is(err, ErrMalformed) {
		t.Errorf("Dt and DtTm: camtDate = %v, %v; want ErrMalformed", got, err)
	}
}

// exampleContract is examples/gbpt.toml as the ledger would publish it, its
// roles given addresses of their own.
func exampleContract(t *testing.T) token.Contract {
	t.Helper()
	b, err := os.ReadFile("../../examples/gbpt.toml")
	if err != nil {
		t.Fatal(err)
	}
	var n byte
	d, err := contractfile.Parse(b, func(string) (string, error) {
		n++
		return ledger.NewAddress("GB", ed25519.PublicKey(bytes.Repeat([]byte{n}, ed25519.PublicKeySize))).String(), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	c, vs := token.Build(d, token.Params{MinReserve: 1, Banks: []string{d.Fiat.BIC}})
	if len(vs) > 0 {
		t.Fatalf("examples/gbpt.toml: %v", vs)
	}
	return c
}

// TestDailyStatementFreshInExampleWindow reads the example reserve
// account's daily statement for 15 March, delivered the next morning, and
// judges it with examples/gbpt.toml's staleness window (the contract's
// window governs; examples/monitor.toml only sets how often the bank is
// read). The balance is of the end of the 15th, so the coin is OK all
// through the 16th and turns STALE only when the window after it has run.
func TestDailyStatementFreshInExampleWindow(t *testing.T) {
	c := exampleContract(t)
	delivered := time.Date(2025, 3, 16, 9, 0, 0, 0, time.UTC)
	want := camtWantFor(t, c.Fiat.Account, c.Fiat.Currency.Code, nil, nil)
	f, err := parseCamt("test", want, fixture(t, "camt/camt053_v07.xml"), delivered)
	if err != nil {
		t.Fatal(err)
	}
	last := &reserve.Reading{
		Balance: f.balance.Amount, BalanceType: f.balance.Type,
		BankTime: time.Unix(f.balance.Time.Unix(), 0).UTC(), // attestations carry whole seconds
	}
	supply := c.Capacity(last.Balance) // fully backed
	lapse := last.BankTime.Add(c.StalenessWindow)
	for _, tc := range []struct {
		at   time.Time
		want reserve.Status
	}{
		{delivered, reserve.OK},
		{time.Date(2025, 3, 16, 23, 59, 59, 0, time.UTC), reserve.OK},
		{lapse, reserve.OK},
		{lapse.Add(time.Second), reserve.Stale},
	} {
		if got := reserve.Evaluate(c, supply, last, tc.at); got != tc.want {
			t.Errorf("at %s, with the balance of %s and a %v window: %s, want %s",
				tc.at.Format(time.RFC3339), last.BankTime.Format(time.RFC3339), c.StalenessWindow, got, tc.want)
		}
	}
}
