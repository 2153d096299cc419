package bank

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pegledger/peg/internal/money"
	"github.com/pegledger/peg/internal/token"
)

// Default balance preferences for camt files: the closing booked balance of
// a statement; the interim available, else interim booked, balance of an
// intraday report.
var (
	DefaultStatementCodes = []string{"CLBD"}
	DefaultReportCodes    = []string{"ITAV", "ITBD"}
)

// camtNamespace is what every supported message's namespace starts with.
const camtNamespace = "urn:iso:std:iso:20022:tech:xsd:"

// camtVersion names a supported message from its namespace: camt.052
// (BankToCustomerAccountReport) or camt.053 (BankToCustomerStatement),
// versions .001.02 to .001.08. statement is true for camt.053.
func camtVersion(ns string) (msg string, statement, ok bool) {
	msg, found := strings.CutPrefix(ns, camtNamespace)
	if !found || len(msg) != len("camt.05x.001.0x") {
		return "", false, false
	}
	kind, version := msg[:len("camt.05x")], msg[len("camt.05x"):]
	if version < ".001.02" || version > ".001.08" || !strings.HasPrefix(version, ".001.0") {
		return "", false, false
	}
	switch kind {
	case "camt.052":
		return msg, false, true
	case "camt.053":
		return msg, true, true
	}
	return "", false, false
}

// The camt.052/053 elements Peg reads, by local name; namespaces are checked
// once, on the root. Every element is a slice so that one that appears more
// often than the schema allows is an error rather than silently the last.
type (
	camtDocument struct {
		XMLName xml.Name
		Stmt    []camtMessage `xml:"BkToCstmrStmt"`
		Rpt     []camtMessage `xml:"BkToCstmrAcctRpt"`
	}
	camtMessage struct {
		GrpHdr []struct {
			CreDtTm []string `xml:"CreDtTm"`
		} `xml:"GrpHdr"`
		Stmt []camtStatement `xml:"Stmt"`
		Rpt  []camtStatement `xml:"Rpt"`
	}
	camtStatement struct {
		Acct []camtAccount `xml:"Acct"`
		Bal  []camtBalance `xml:"Bal"`
	}
	camtAccount struct {
		ID []struct {
			IBAN []string `xml:"IBAN"`
			Othr []struct {
				ID []string `xml:"Id"`
			} `xml:"Othr"`
		} `xml:"Id"`
		Ccy []string `xml:"Ccy"`
	}
	camtBalance struct {
		Tp []struct {
			CdOrPrtry []camtCode `xml:"CdOrPrtry"`
			SubTp     []camtCode `xml:"SubTp"`
		} `xml:"Tp"`
		CdtLine []struct {
			Incl []string     `xml:"Incl"`
			Amt  []camtAmount `xml:"Amt"`
		} `xml:"CdtLine"`
		Amt       []camtAmount `xml:"Amt"`
		CdtDbtInd []string     `xml:"CdtDbtInd"`
		Dt        []struct {
			Dt   []string `xml:"Dt"`
			DtTm []string `xml:"DtTm"`
		} `xml:"Dt"`
	}
	camtCode struct {
		Cd    []string `xml:"Cd"`
		Prtry []string `xml:"Prtry"`
	}
	camtAmount struct {
		Ccy   string `xml:"Ccy,attr"`
		Value string `xml:",chardata"`
	}
)

// camtWant is what a camt file is checked against.
type camtWant struct {
	account        string // IBAN (any spacing or case) or the Othr/Id
	currency       token.Currency
	statementCodes []string
	reportCodes    []string
}

// camtFile is one camt document read for one account.
type camtFile struct {
	message string    // e.g. "camt.053.001.08"
	created time.Time // GrpHdr/CreDtTm
	balance Balance
}

// parseCamt reads one camt.052 or camt.053 document and returns the balance
// of the one statement (or report) in it for the wanted account. When that
// balance is negative the error is a *NegativeError and message and created
// are still set, so that a directory scan can rank it.
func parseCamt(origin string, want camtWant, data []byte, now time.Time) (camtFile, error) {
	doc, msg, statement, err := decodeCamt(data)
	if err != nil {
		return camtFile{}, err
	}
	groups, root, stmts := doc.Rpt, "BkToCstmrAcctRpt", "BkToCstmrAcctRpt/Rpt"
	if statement {
		groups, root, stmts = doc.Stmt, "BkToCstmrStmt", "BkToCstmrStmt/Stmt"
	}
	group, err := one(groups, root)
	if err != nil {
		return camtFile{}, err
	}
	f := camtFile{message: msg}
	if f.created, err = camtCreated(group); err != nil {
		return camtFile{}, err
	}
	if f.created.After(now.Add(MaxClockSkew)) {
		return camtFile{}, fmt.Errorf("GrpHdr/CreDtTm %s is more than %v ahead of this machine's clock: %w",
			f.created.Format(time.RFC3339), MaxClockSkew, ErrMalformed)
	}
	list, prefs := group.Rpt, want.reportCodes
	if statement {
		list, prefs = group.Stmt, want.statementCodes
	}
	st, account, err := camtFind(want, list, stmts)
	if err != nil {
		return camtFile{}, err
	}
	entries := make([]entry, 0, len(st.Bal))
	for i, b := range st.Bal {
		e, err := camtEntry(want.currency, b, f.created)
		if err != nil {
			return camtFile{}, fmt.Errorf("%s/Bal[%d]: %w", stmts, i, err)
		}
		entries = append(entries, e)
	}
	e, err := choose(entries, prefs)
	if err == nil {
		err = notFuture(e, now)
	}
	if err != nil {
		return camtFile{}, err
	}
	f.balance, err = answer(origin, account, want.currency, e, data)
	return f, err
}

// decodeCamt decodes data as one XML document whose root is a Document in a
// supported camt namespace, with nothing but comments after it.
func decodeCamt(data []byte) (camtDocument, string, bool, error) {
	var doc camtDocument
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.CharsetReader = charsetReader
	if err := dec.Decode(&doc); err == io.EOF {
		return doc, "", false, fmt.Errorf("not an XML document: no element: %w", ErrMalformed)
	} else if err != nil {
		return doc, "", false, fmt.Errorf("not an XML document: %w: %v", ErrMalformed, err)
	}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return doc, "", false, fmt.Errorf("after the document: %w: %v", ErrMalformed, err)
		}
		if cd, ok := tok.(xml.CharData); ok && len(bytes.TrimSpace(cd)) > 0 || isElement(tok) {
			return doc, "", false, fmt.Errorf("content after the document: %w", ErrMalformed)
		}
	}
	if doc.XMLName.Local != "Document" {
		return doc, "", false, fmt.Errorf("root element is %s, want Document: %w", clip(doc.XMLName.Local), ErrMalformed)
	}
	msg, statement, ok := camtVersion(doc.XMLName.Space)
	if !ok {
		return doc, "", false, fmt.Errorf("namespace %q is not camt.052 or camt.053 .001.02 to .001.08: %w", clip(doc.XMLName.Space), ErrMalformed)
	}
	return doc, msg, statement, nil
}

func isElement(tok xml.Token) bool {
	switch tok.(type) {
	case xml.StartElement, xml.EndElement, xml.Directive:
		return true
	}
	return false
}

// charsetReader lets documents declare ISO-8859-1, which some banks still
// write; UTF-8 needs no reader.
func charsetReader(label string, r io.Reader) (io.Reader, error) {
	switch strings.ToLower(label) {
	case "us-ascii", "ascii":
		return r, nil
	case "iso-8859-1", "iso8859-1", "latin1", "l1":
		b, err := io.ReadAll(r)
		if err != nil {
			return nil, err
		}
		out := make([]byte, 0, len(b)+len(b)/8)
		for _, c := range b {
			out = utf8.AppendRune(out, rune(c))
		}
		return bytes.NewReader(out), nil
	}
	return nil, fmt.Errorf("encoding %q is not supported (use UTF-8 or ISO-8859-1)", clip(label))
}

func camtCreated(m camtMessage) (time.Time, error) {
	h, err := one(m.GrpHdr, "GrpHdr")
	if err != nil {
		return time.Time{}, err
	}
	s, err := one(h.CreDtTm, "GrpHdr/CreDtTm")
	if err != nil {
		return time.Time{}, err
	}
	t, err := parseDateTime(strings.TrimSpace(s), false)
	if err != nil {
		return time.Time{}, fmt.Errorf("GrpHdr/CreDtTm: %w", err)
	}
	return t, nil
}

// camtFind returns the one statement for the wanted account, and the
// account's identifier as the file gives it (an IBAN in electronic format).
// A file that has none is for another account; one that has two is
// ambiguous.
func camtFind(want camtWant, list []camtStatement, path string) (camtStatement, string, error) {
	var found []camtStatement
	var others []string
	var account string
	for i, st := range list {
		id, iban, err := camtAccountID(st)
		if err != nil {
			return camtStatement{}, "", fmt.Errorf("%s[%d]/Acct: %w", path, i, err)
		}
		if iban {
			id = normIBAN(id)
		}
		if iban && id == normIBAN(want.account) || !iban && id == want.account {
			found = append(found, st)
			account = id
		} else {
			others = append(others, clip(id))
		}
	}
	switch {
	case len(list) == 0:
		return camtStatement{}, "", fmt.Errorf("no %s: %w", path, ErrMalformed)
	case len(found) == 0:
		return camtStatement{}, "", fmt.Errorf("for account %s, want %s: %w", strings.Join(others, ", "), want.account, ErrWrongAccount)
	case len(found) > 1:
		return camtStatement{}, "", fmt.Errorf("%d %s for account %s: %w", len(found), path, want.account, ErrMalformed)
	}
	st := found[0]
	acct := st.Acct[0]
	ccy, has, err := optional(acct.Ccy, "Acct/Ccy")
	if err != nil {
		return camtStatement{}, "", err
	}
	if has && strings.TrimSpace(ccy) != want.currency.Code {
		return camtStatement{}, "", fmt.Errorf("account currency %q, want %s: %w", clip(ccy), want.currency.Code, ErrWrongCurrency)
	}
	return st, account, nil
}

// camtAccountID returns a statement's account identifier, and whether it
// is an IBAN (else an Othr/Id).
func camtAccountID(st camtStatement) (string, bool, error) {
	acct, err := one(st.Acct, "Acct")
	if err != nil {
		return "", false, err
	}
	id, err := one(acct.ID, "Id")
	if err != nil {
		return "", false, err
	}
	switch {
	case len(id.IBAN) == 1 && len(id.Othr) == 0:
		return strings.TrimSpace(id.IBAN[0]), true, nil
	case len(id.IBAN) == 0 && len(id.Othr) == 1:
		other, err := one(id.Othr[0].ID, "Id/Othr/Id")
		return strings.TrimSpace(other), false, err
	}
	return "", false, fmt.Errorf("element Id must hold one IBAN or one Othr: %w", ErrMalformed)
}

// camtEntry checks one Bal: its type, amount and currency, indicator,
// included credit lines (taken out) and date (see camtDate; created is the
// message's GrpHdr/CreDtTm).
func camtEntry(cur token.Currency, b camtBalance, created time.Time) (entry, error) {
	typ, err := camtType(b)
	if err != nil {
		return entry{}, err
	}
	mag, err := camtParseAmount(cur, b.Amt, "Amt")
	if err != nil {
		return entry{}, fmt.Errorf("%s: %w", typ, err)
	}
	ind, err := one(b.CdtDbtInd, "CdtDbtInd")
	if err != nil {
		return entry{}, fmt.Errorf("%s: %w", typ, err)
	}
	var v signed
	switch strings.TrimSpace(ind) {
	case "CRDT":
		v = creditDebit(mag, true)
	case "DBIT":
		v = creditDebit(mag, false)
	default:
		return entry{}, fmt.Errorf("%s: CdtDbtInd %q, want CRDT or DBIT: %w", typ, clip(ind), ErrMalformed)
	}
	for j, cl := range b.CdtLine {
		incl, err := one(cl.Incl, "CdtLine/Incl")
		if err != nil {
			return entry{}, fmt.Errorf("%s: %w", typ, err)
		}
		switch strings.TrimSpace(incl) {
		case "false", "0":
			continue
		case "true", "1":
		default:
			return entry{}, fmt.Errorf("%s: CdtLine[%d]/Incl %q is not a boolean: %w", typ, j, clip(incl), ErrMalformed)
		}
		line, err := camtParseAmount(cur, cl.Amt, "CdtLine/Amt")
		if err != nil {
			return entry{}, fmt.Errorf("%s: included credit line: %w", typ, err)
		}
		var ok bool
		if v, ok = v.minus(line); !ok {
			return entry{}, fmt.Errorf("%s: CdtLine[%d]: amount out of range: %w", typ, j, ErrMalformed)
		}
	}
	t, err := camtDate(b, created)
	if err != nil {
		return entry{}, fmt.Errorf("%s: %w", typ, err)
	}
	return entry{typ: typ, key: typ, value: v, time: t, use: true}, nil
}

// camtType names a balance by its ISO code ("CLBD"), or "Prtry:" and its
// proprietary code, followed by "/" and the sub-type when there is one, so a
// sub-typed balance never passes for the plain one.
func camtType(b camtBalance) (string, error) {
	tp, err := one(b.Tp, "Tp")
	if err != nil {
		return "", err
	}
	c, err := one(tp.CdOrPrtry, "Tp/CdOrPrtry")
	if err != nil {
		return "", err
	}
	typ, err := c.name("Tp/CdOrPrtry")
	if err != nil {
		return "", err
	}
	sub, has, err := optional(tp.SubTp, "Tp/SubTp")
	if err != nil {
		return "", err
	}
	if has {
		s, err := sub.name("Tp/SubTp")
		if err != nil {
			return "", err
		}
		typ += "/" + s
	}
	return typ, nil
}

func (c camtCode) name(path string) (string, error) {
	switch {
	case len(c.Cd) == 1 && len(c.Prtry) == 0 && strings.TrimSpace(c.Cd[0]) != "":
		return strings.TrimSpace(c.Cd[0]), nil
	case len(c.Cd) == 0 && len(c.Prtry) == 1 && strings.TrimSpace(c.Prtry[0]) != "":
		return "Prtry:" + strings.TrimSpace(c.Prtry[0]), nil
	}
	return "", fmt.Errorf("%s must hold one Cd or one Prtry: %w", path, ErrMalformed)
}

func camtParseAmount(cur token.Currency, amts []camtAmount, path string) (money.Amount, error) {
	a, err := one(amts, path)
	if err != nil {
		return money.Amount{}, err
	}
	if a.Ccy != cur.Code {
		return money.Amount{}, fmt.Errorf("%s in %q, want %s: %w", path, clip(a.Ccy), cur.Code, ErrWrongCurrency)
	}
	// xs:decimal collapses white space around the value.
	return parseUnsigned(strings.TrimSpace(a.Value), cur)
}

// camtDate reads Bal/Dt as the instant the balance stands for. A DtTm is
// that instant (read as UTC without an offset). A Dt is a day's balance,
// read as of the message's creation time kept within that day: a statement
// created after the day (a daily statement delivered the next morning) is
// of the day's last second, 23:59:59 (attestations carry whole seconds),
// and one created during the day is of its creation time, never later than
// the bank could know it. The day runs in the date's own offset when it
// carries one, else in UTC. A balance of a day after the creation time (a
// forward balance) is of that day's start, so that a date further ahead
// than MaxClockSkew is still refused if it is the balance used.
func camtDate(b camtBalance, created time.Time) (time.Time, error) {
	d, err := one(b.Dt, "Dt")
	if err != nil {
		return time.Time{}, err
	}
	switch {
	case len(d.DtTm) == 1 && len(d.Dt) == 0:
		return parseDateTime(strings.TrimSpace(d.DtTm[0]), false)
	case len(d.Dt) == 1 && len(d.DtTm) == 0:
		start, err := parseXSDate(strings.TrimSpace(d.Dt[0]))
		if err != nil {
			return time.Time{}, err
		}
		return withinDay(created, start), nil
	}
	return time.Time{}, fmt.Errorf("element Dt must hold one Dt or one DtTm: %w", ErrMalformed)
}

// withinDay returns t kept within the day that starts at start: no earlier
// than start, no later than the day's last second.
func withinDay(t, start time.Time) time.Time {
	last := start.Add(24*time.Hour - time.Second)
	switch {
	case t.Before(start):
		return start
	case t.After(last):
		return last
	}
	return t
}

// maxXSOffset is the largest time zone offset an xs:date may carry.
const maxXSOffset = 14 * time.Hour

// parseXSDate reads an xs:date as the start of its day: 2026-12-05 (in
// UTC), 2026-12-05Z, 2026-12-05+01:00 or 2026-12-05-05:00 (an offset of at
// most 14:00 either way). Years have four digits.
func parseXSDate(s string) (time.Time, error) {
	n := min(len(s), len(time.DateOnly))
	day, err := time.Parse(time.DateOnly, s[:n])
	loc, ok := xsZone(s[n:])
	if err != nil || !ok {
		return time.Time{}, fmt.Errorf("date %q is not an xs:date (2026-12-05, 2026-12-05Z, 2026-12-05+01:00): %w", clip(s), ErrMalformed)
	}
	return time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, loc), nil
}

// xsZone reads the time zone of an xs:date: none (UTC), "Z", or ±hh:mm.
func xsZone(z string) (*time.Location, bool) {
	if z == "" || z == "Z" {
		return time.UTC, true
	}
	if len(z) != len("+hh:mm") || z[0] != '+' && z[0] != '-' || z[3] != ':' {
		return nil, false
	}
	h, okH := twoDigits(z[1:3])
	m, okM := twoDigits(z[4:6])
	off := time.Duration(h)*time.Hour + time.Duration(m)*time.Minute
	if !okH || !okM || m > 59 || off > maxXSOffset {
		return nil, false
	}
	if z[0] == '-' {
		off = -off
	}
	return time.FixedZone(z, int(off/time.Second)), true
}

// twoDigits reads two ASCII digits.
func twoDigits(s string) (int, bool) {
	if s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9' {
		return 0, false
	}
	return int(s[0]-'0')*10 + int(s[1]-'0'), true
}

// one returns the only element of xs, or an error naming path.
func one[T any](xs []T, path string) (T, error) {
	var zero T
	switch len(xs) {
	case 1:
		return xs[0], nil
	case 0:
		return zero, fmt.Errorf("%s is missing: %w", path, ErrMalformed)
	}
	return zero, fmt.Errorf("%s appears %d times: %w", path, len(xs), ErrMalformed)
}

// optional returns the element of xs if there is one, or an error if there
// are more.
func optional[T any](xs []T, path string) (T, bool, error) {
	var zero T
	if len(xs) == 0 {
		return zero, false, nil
	}
	x, err := one(xs, path)
	return x, err == nil, err
}
