package demobank

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"testing"
	"time"
)

// statement is what a camt.053.001.08 reader would take from the export,
// declared independently of the writer's structs.
type statement struct {
	XMLName xml.Name `xml:"urn:iso:std:iso:20022:tech:xsd:camt.053.001.08 Document"`
	GrpHdr  struct {
		MsgID   string `xml:"MsgId"`
		CreDtTm string `xml:"CreDtTm"`
	} `xml:"BkToCstmrStmt>GrpHdr"`
	Stmt struct {
		ID     string `xml:"Id"`
		FrToDt struct {
			FrDtTm, ToDtTm string
		} `xml:"FrToDt"`
		IBAN  string `xml:"Acct>Id>IBAN"`
		Ccy   string `xml:"Acct>Ccy"`
		BICFI string `xml:"Acct>Svcr>FinInstnId>BICFI"`
		Bal   []struct {
			Code string `xml:"Tp>CdOrPrtry>Cd"`
			Amt  struct {
				Ccy   string `xml:"Ccy,attr"`
				Value string `xml:",chardata"`
			} `xml:"Amt"`
			CdtDbtInd string `xml:"CdtDbtInd"`
			Date      string `xml:"Dt>Dt"`
		} `xml:"Bal"`
		Ntry []struct {
			Ref string `xml:"NtryRef"`
			Amt struct {
				Ccy   string `xml:"Ccy,attr"`
				Value string `xml:",chardata"`
			} `xml:"Amt"`
			CdtDbtInd string `xml:"CdtDbtInd"`
			Status    string `xml:"Sts>Cd"`
			Booked    string `xml:"BookgDt>DtTm"`
			Domain    string `xml:"BkTxCd>Domn>Cd"`
			Ustrd     string `xml:"NtryDtls>TxDtls>RmtInf>Ustrd"`
		} `xml:"Ntry"`
	} `xml:"BkToCstmrStmt>Stmt"`
}

func parseStatement(t *testing.T, doc []byte) statement {
	t.Helper()
	if !bytes.HasPrefix(doc, []byte(xml.Header)) {
		t.Fatalf("no XML declaration: %.80s", doc)
	}
	var s statement
	if err := xml.Unmarshal(doc, &s); err != nil {
		t.Fatalf("statement does not parse: %v\n%s", err, doc)
	}
	return s
}

func TestStatement(t *testing.T) {
	tb := startBank(t, "", Options{})
	ctx := context.Background()
	v := tb.mustCreate(t, "r1", "GBP")
	// 10 March: +1000; 11 March: -250.50 and +0.75; 12 March: -100.
	tb.mustPost(t, "r1", Credit, "1000")
	tb.clock.Advance(24 * time.Hour)
	tb.mustPost(t, "r1", Debit, "250.5")
	tb.mustPost(t, "r1", Credit, "0.75")
	tb.clock.Advance(24 * time.Hour)
	tb.mustPost(t, "r1", Debit, "100")

	day := func(s string) time.Time { d, _ := ParseDate(s); return d }
	for _, tc := range []struct {
		name            string
		from, to        string
		opening, closng string
		entries         []string // amount and indicator of each entry
	}{
		{"whole history", "2025-03-01", "2025-03-31", "0.00", "650.25", []string{"1000.00 CRDT", "250.50 DBIT", "0.75 CRDT", "100.00 DBIT"}},
		{"one day", "2025-03-11", "2025-03-11", "1000.00", "750.25", []string{"250.50 DBIT", "0.75 CRDT"}},
		{"quiet days", "2025-03-20", "2025-03-21", "650.25", "650.25", nil},
		{"before opening", "2025-02-01", "2025-02-28", "0.00", "0.00", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc, err := tb.admin.Statement(ctx, "r1", day(tc.from), day(tc.to))
			if err != nil {
				t.Fatal(err)
			}
			s := parseStatement(t, doc)
			if s.GrpHdr.MsgID == "" || s.GrpHdr.CreDtTm == "" {
				t.Errorf("GrpHdr: %+v", s.GrpHdr)
			}
			if s.Stmt.IBAN != v.IBAN || s.Stmt.Ccy != "GBP" || s.Stmt.BICFI != DefaultBIC {
				t.Errorf("Acct: %s %s %s", s.Stmt.IBAN, s.Stmt.Ccy, s.Stmt.BICFI)
			}
			if s.Stmt.FrToDt.FrDtTm != tc.from+"T00:00:00Z" || s.Stmt.FrToDt.ToDtTm != tc.to+"T23:59:59Z" {
				t.Errorf("FrToDt: %+v", s.Stmt.FrToDt)
			}
			if len(s.Stmt.Bal) != 2 {
				t.Fatalf("%d balances, want OPBD and CLBD", len(s.Stmt.Bal))
			}
			for i, want := range []struct{ code, amt, date string }{{"OPBD", tc.opening, tc.from}, {"CLBD", tc.closng, tc.to}} {
				b := s.Stmt.Bal[i]
				if b.Code != want.code || b.Amt.Value != want.amt || b.Amt.Ccy != "GBP" || b.CdtDbtInd != "CRDT" || b.Date != want.date {
					t.Errorf("Bal[%d] = %+v, want %s %s GBP CRDT on %s", i, b, want.code, want.amt, want.date)
				}
			}
			var got []string
			for _, e := range s.Stmt.Ntry {
				got = append(got, e.Amt.Value+" "+e.CdtDbtInd)
				if e.Status != "BOOK" || e.Amt.Ccy != "GBP" || e.Domain != "PMNT" || e.Ref == "" || e.Ustrd == "" {
					t.Errorf("entry %+v", e)
				}
				if _, err := time.Parse(time.RFC3339, e.Booked); err != nil {
					t.Errorf("BookgDt: %v", err)
				}
			}
			if len(got) != len(tc.entries) {
				t.Fatalf("entries %v, want %v", got, tc.entries)
			}
			for i := range got {
				if got[i] != tc.entries[i] {
					t.Errorf("entry %d = %s, want %s", i, got[i], tc.entries[i])
				}
			}
		})
	}
	for _, tc := range []struct {
		name     string
		id       AccountID
		from, to string
		want     error
	}{
		{"reversed range", "r1", "2025-03-12", "2025-03-11", ErrInvalid},
		{"range too long", "r1", "2024-01-01", "2025-03-01", ErrInvalid},
		{"unknown account", "nope", "2025-03-01", "2025-03-02", ErrNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := tb.admin.Statement(ctx, tc.id, day(tc.from), day(tc.to)); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func TestStatementRefusesDroppedHistory(t *testing.T) {
	tb := startBank(t, "", Options{MaxHistory: 2})
	tb.mustCreate(t, "r1", "EUR")
	tb.mustPost(t, "r1", Credit, "10") // 10 March, dropped below
	tb.clock.Advance(24 * time.Hour)
	tb.mustPost(t, "r1", Credit, "20")
	tb.mustPost(t, "r1", Debit, "5")
	day := func(s string) time.Time { d, _ := ParseDate(s); return d }
	if _, err := tb.Statement("r1", day("2025-03-10"), day("2025-03-11")); !errors.Is(err, ErrHistoryTruncated) {
		t.Fatalf("range over dropped history: got %v, want ErrHistoryTruncated", err)
	}
	doc, err := tb.Statement("r1", day("2025-03-11"), day("2025-03-11"))
	if err != nil {
		t.Fatal(err)
	}
	s := parseStatement(t, doc)
	if s.Stmt.Bal[0].Amt.Value != "10.00" || s.Stmt.Bal[1].Amt.Value != "25.00" || len(s.Stmt.Ntry) != 2 {
		t.Fatalf("got OPBD %s CLBD %s and %d entries, want 10.00, 25.00 and 2", s.Stmt.Bal[0].Amt.Value, s.Stmt.Bal[1].Amt.Value, len(s.Stmt.Ntry))
	}
}
