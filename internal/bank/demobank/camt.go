package demobank

import (
	"encoding/xml"
	"fmt"
	"time"

	"github.com/pegledger/peg/internal/money"
)

// Camt053Namespace is the XML namespace of the statements the bank exports:
// ISO 20022 BankToCustomerStatement, version 8.
const Camt053Namespace = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"

// The camt.053.001.08 elements the bank writes, in schema order. Optional
// elements it has nothing for are left out.
type (
	camtDocument struct {
		XMLName xml.Name          `xml:"urn:iso:std:iso:20022:tech:xsd:camt.053.001.08 Document"`
		Stmt    camtBkToCstmrStmt `xml:"BkToCstmrStmt"`
	}
	camtBkToCstmrStmt struct {
		GrpHdr camtGrpHdr `xml:"GrpHdr"`
		Stmt   camtStmt   `xml:"Stmt"`
	}
	camtGrpHdr struct {
		MsgID   string `xml:"MsgId"`
		CreDtTm string `xml:"CreDtTm"`
	}
	camtStmt struct {
		ID      string     `xml:"Id"`
		CreDtTm string     `xml:"CreDtTm"`
		FrToDt  camtFrToDt `xml:"FrToDt"`
		Acct    camtAcct   `xml:"Acct"`
		Bal     []camtBal  `xml:"Bal"`
		Ntry    []camtNtry `xml:"Ntry"`
	}
	camtFrToDt struct {
		FrDtTm string `xml:"FrDtTm"`
		ToDtTm string `xml:"ToDtTm"`
	}
	camtAcct struct {
		ID   camtAcctID `xml:"Id"`
		Ccy  string     `xml:"Ccy"`
		Nm   string     `xml:"Nm,omitempty"`
		Svcr camtSvcr   `xml:"Svcr"`
	}
	camtAcctID struct {
		IBAN string `xml:"IBAN"`
	}
	camtSvcr struct {
		FinInstnID struct {
			BICFI string `xml:"BICFI"`
		} `xml:"FinInstnId"`
	}
	camtAmt struct {
		Ccy   string `xml:"Ccy,attr"`
		Value string `xml:",chardata"`
	}
	camtCode struct {
		Cd string `xml:"Cd"`
	}
	camtBal struct {
		Tp struct {
			CdOrPrtry camtCode `xml:"CdOrPrtry"`
		} `xml:"Tp"`
		Amt       camtAmt `xml:"Amt"`
		CdtDbtInd string  `xml:"CdtDbtInd"`
		Dt        struct {
			Dt string `xml:"Dt"`
		} `xml:"Dt"`
	}
	camtNtry struct {
		NtryRef   string   `xml:"NtryRef"`
		Amt       camtAmt  `xml:"Amt"`
		CdtDbtInd string   `xml:"CdtDbtInd"`
		Sts       camtCode `xml:"Sts"`
		BookgDt   struct {
			DtTm string `xml:"DtTm"`
		} `xml:"BookgDt"`
		ValDt struct {
			Dt string `xml:"Dt"`
		} `xml:"ValDt"`
		AcctSvcrRef string         `xml:"AcctSvcrRef"`
		BkTxCd      camtBkTxCd     `xml:"BkTxCd"`
		NtryDtls    []camtNtryDtls `xml:"NtryDtls"`
	}
	camtBkTxCd struct {
		Domn struct {
			Cd   string `xml:"Cd"`
			Fmly struct {
				Cd        string `xml:"Cd"`
				SubFmlyCd string `xml:"SubFmlyCd"`
			} `xml:"Fmly"`
		} `xml:"Domn"`
	}
	camtNtryDtls struct {
		TxDtls struct {
			Refs struct {
				AcctSvcrRef string `xml:"AcctSvcrRef"`
			} `xml:"Refs"`
			RmtInf *struct {
				Ustrd string `xml:"Ustrd"`
			} `xml:"RmtInf"`
		} `xml:"TxDtls"`
	}
)

// Statement exports a camt.053.001.08 statement of an account for the UTC
// days from through to (inclusive; only the dates of from and to count): the
// opening booked balance (OPBD) at the start of from, the closing booked
// balance (CLBD) at the end of to (the current balance for a day not yet
// ended), and an entry for every transaction in between. It refuses a range
// whose transactions are no longer all kept (ErrHistoryTruncated).
func (b *Bank) Statement(id AccountID, from, to time.Time) ([]byte, error) {
	const day = 24 * time.Hour
	from, to = from.UTC().Truncate(day), to.UTC().Truncate(day)
	if to.Before(from) {
		return nil, fmt.Errorf("%w: statement from %s to %s: the range ends before it starts", ErrInvalid, from.Format(time.DateOnly), to.Format(time.DateOnly))
	}
	if days := int(to.Sub(from)/day) + 1; days > MaxStatementDays {
		return nil, fmt.Errorf("%w: statement of %d days; at most %d (MaxStatementDays)", ErrInvalid, days, MaxStatementDays)
	}
	a, err := b.record(id)
	if err != nil {
		return nil, err
	}
	if a.dropped > 0 && !a.droppedThrough.Before(from) {
		return nil, fmt.Errorf("%w: account %s keeps its last %d transactions, from %s; a statement must start after %s",
			ErrHistoryTruncated, a.ID, len(a.history), a.history[0].Time.Format(time.RFC3339), a.droppedThrough.Format(time.DateOnly))
	}
	end := to.Add(day)
	now := b.now()
	doc := camtDocument{Stmt: camtBkToCstmrStmt{
		GrpHdr: camtGrpHdr{MsgID: fmt.Sprintf("PEGDEMO%d", now.UnixNano()), CreDtTm: now.Format(time.RFC3339)},
		Stmt: camtStmt{
			ID:      from.Format("20060102") + "-" + to.Format("20060102"),
			CreDtTm: now.Format(time.RFC3339),
			FrToDt:  camtFrToDt{FrDtTm: from.Format(time.RFC3339), ToDtTm: end.Add(-time.Second).Format(time.RFC3339)},
			Acct:    camtAcct{ID: camtAcctID{IBAN: a.IBAN}, Ccy: a.Currency.Code, Nm: a.Name},
			Bal: []camtBal{
				a.camtBalance("OPBD", a.balanceAt(from), from),
				a.camtBalance("CLBD", a.balanceAt(end), to),
			},
		},
	}}
	doc.Stmt.Stmt.Acct.Svcr.FinInstnID.BICFI = a.BIC
	for _, tx := range a.history {
		if !tx.Time.Before(from) && tx.Time.Before(end) {
			doc.Stmt.Stmt.Ntry = append(doc.Stmt.Stmt.Ntry, a.camtEntry(tx))
		}
	}
	out, err := xml.MarshalIndent(doc, "", " ")
	if err != nil {
		return nil, fmt.Errorf("demobank: encoding statement: %w", err)
	}
	return append([]byte(xml.Header), append(out, '\n')...), nil
}

// balanceAt is the balance just before t, from the kept history. The caller
// has checked that no dropped transaction is at or after t.
func (a *account) balanceAt(t time.Time) money.Amount {
	for i := len(a.history) - 1; i >= 0; i-- {
		if a.history[i].Time.Before(t) {
			return a.history[i].BalanceAfter
		}
	}
	if len(a.history) > 0 {
		before, _ := balanceBefore(a.history[0]) // checked by account.check
		return before
	}
	return a.Balance
}

func (a *account) camtAmount(x money.Amount) camtAmt {
	return camtAmt{Ccy: a.Currency.Code, Value: a.FormatAmount(x)}
}

func (a *account) camtBalance(code string, x money.Amount, date time.Time) camtBal {
	var bal camtBal
	bal.Tp.CdOrPrtry.Cd = code
	bal.Amt = a.camtAmount(x)
	bal.CdtDbtInd = "CRDT" // balances are never negative
	bal.Dt.Dt = date.Format(time.DateOnly)
	return bal
}

// camtEntry is a booked transaction as a statement entry. Its bank
// transaction code is a received (RCDT) or issued (ICDT) credit transfer.
func (a *account) camtEntry(tx Transaction) camtNtry {
	var e camtNtry
	e.NtryRef = tx.ID
	e.Amt = a.camtAmount(tx.Amount)
	e.CdtDbtInd, e.BkTxCd.Domn.Fmly.Cd = "CRDT", "RCDT"
	if tx.Direction == Debit {
		e.CdtDbtInd, e.BkTxCd.Domn.Fmly.Cd = "DBIT", "ICDT"
	}
	e.Sts.Cd = "BOOK"
	e.BookgDt.DtTm = tx.Time.UTC().Format(time.RFC3339)
	e.ValDt.Dt = tx.Time.UTC().Format(time.DateOnly)
	e.AcctSvcrRef = tx.ID
	e.BkTxCd.Domn.Cd = "PMNT"
	e.BkTxCd.Domn.Fmly.SubFmlyCd = "OTHR"
	var d camtNtryDtls
	d.TxDtls.Refs.AcctSvcrRef = tx.ID
	if tx.Reference != "" {
		d.TxDtls.RmtInf = &struct {
			Ustrd string `xml:"Ustrd"`
		}{tx.Reference}
	}
	e.NtryDtls = []camtNtryDtls{d}
	return e
}
