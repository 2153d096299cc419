// Package query reads the index database (internal/index): the history of
// transactions, blocks and coins a page at a time, the analyses (volumes,
// corridors, active accounts, settlement times, reserve coverage, trends) and
// the published daily and monthly reports. It never writes the index's rows;
// PublishDue writes the reports table and report files only.
//
// Every query it runs is bounded: it reads along an index of the schema
// (migrations 00001 and 00003), stops at a LIMIT, and a range too wide or a
// page too large is refused before any SQL runs. Parameters are always bound
// ($N), never spliced into the SQL text.
package query

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/pegledger/peg/internal/sqldb"
)

// Limits of the queries.
const (
	// MaxHistoryPage bounds the items of one page (history, blocks,
	// published), so that one answer stays small.
	MaxHistoryPage = 500
	// DefaultHistoryPage is the page size when the request names none.
	DefaultHistoryPage = 50
	// MaxDayRange bounds the range of an analysis by day, so that one
	// answer reads at most a year of rows.
	MaxDayRange = 366
	// MaxMonthRange bounds, in days, the range of an analysis by month: ten
	// years.
	MaxMonthRange = 3660
	// MaxSettlementRows bounds the settlements one distribution reads; a
	// range holding more is refused (narrow it).
	MaxSettlementRows = 200_000
	// MaxCoveragePoints bounds the points of one coverage answer; a range
	// holding more is thinned to the last point of each of CoverageSpans
	// equal spans and every change of status.
	MaxCoveragePoints = 10_000
	// CoverageSpans is how many spans a thinned coverage answer cuts its
	// range into.
	CoverageSpans = MaxCoveragePoints / 2
	// MaxReportTokens bounds the tokens a report covers.
	MaxReportTokens = 1000
	// MaxParam bounds the length of any text parameter.
	MaxParam = 200
	// ReaderConns is how many connections a Reader opened by Open keeps.
	ReaderConns = 8
	// QueryTimeout bounds one request's SQL; a query that would take longer
	// is cut off rather than left to occupy a connection.
	QueryTimeout = 10 * time.Second
)

// ErrNotFound is the answer about an id the index does not hold.
var ErrNotFound = errors.New("not in the index")

// InvalidError is a request the Reader refuses before running it: a bad
// parameter, cursor or range. The API answers it 400.
type InvalidError struct{ Msg string }

func (e *InvalidError) Error() string { return e.Msg }

func invalid(format string, args ...any) error {
	return &InvalidError{Msg: fmt.Sprintf(format, args...)}
}

// Token is what the Reader needs to know of a token to write its amounts
// in whole units.
type Token struct {
	Symbol   string
	Decimals uint8
}

// Tokens looks a token up by id; false if the caller does not know it (its
// amounts are then written in minor units, without a unit). The node's API
// gives one reading its committed state: the index holds no token's
// decimals.
type Tokens func(id string) (Token, bool)

// Reader answers queries from an index database. It is safe for concurrent
// use.
type Reader struct {
	db     *sqldb.DB
	tokens Tokens
}

// New returns a Reader of db; tokens may be nil.
func New(db *sqldb.DB, tokens Tokens) *Reader {
	if tokens == nil {
		tokens = func(string) (Token, bool) { return Token{}, false }
	}
	return &Reader{db: db, tokens: tokens}
}

// Open opens the index at where (an SQLite file or a postgres:// URL)
// read-only, with ReaderConns connections.
func Open(where string, tokens Tokens) (*Reader, error) {
	db, err := sqldb.OpenReader("index", where, ReaderConns)
	if err != nil {
		return nil, err
	}
	return New(db, tokens), nil
}

// Close closes the database.
func (r *Reader) Close() error { return r.db.Close() }

// tokenCache resolves tokens once per request.
type tokenCache struct {
	tokens Tokens
	mu     sync.Mutex
	seen   map[string]tokenInfo
}

type tokenInfo struct {
	Token
	known bool
}

func (r *Reader) cache() *tokenCache {
	return &tokenCache{tokens: r.tokens, seen: map[string]tokenInfo{}}
}

func (c *tokenCache) get(id string) tokenInfo {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t, ok := c.seen[id]; ok {
		return t
	}
	var t tokenInfo
	if id != "" {
		t.Token, t.known = c.tokens(id)
	}
	c.seen[id] = t
	return t
}

// amount writes minor units (decimal text) in whole units of token id, and
// its symbol, when the token is known; else the units and no symbol.
func (c *tokenCache) amount(id, units string) (amount, unit string) {
	t := c.get(id)
	if !t.known {
		return units, ""
	}
	return formatUnits(units, t.Decimals), t.Symbol
}

// formatUnits writes the base-10 integer units with decimals places,
// trimming trailing zeros of the fraction ("1250", 2 is "12.5"), as the
// API writes amounts. It works on text, so a sum beyond 128 bits is exact.
func formatUnits(units string, decimals uint8) string {
	neg := strings.HasPrefix(units, "-")
	s := strings.TrimPrefix(units, "-")
	if decimals > 0 {
		d := int(decimals)
		if len(s) <= d {
			s = strings.Repeat("0", d-len(s)+1) + s
		}
		s = strings.TrimSuffix(strings.TrimRight(s[:len(s)-d]+"."+s[len(s)-d:], "0"), ".")
	}
	if neg && s != "0" {
		return "-" + s
	}
	return s
}

// parseUnits reads a decimal of whole units with at most decimals places
// into minor units.
func parseUnits(s string, decimals uint8) (*big.Int, bool) {
	if !decimalRE.MatchString(s) || len(s) > 60 {
		return nil, false
	}
	whole, frac, _ := strings.Cut(s, ".")
	if len(frac) > int(decimals) {
		return nil, false
	}
	frac += strings.Repeat("0", int(decimals)-len(frac))
	v, ok := new(big.Int).SetString(whole+frac, 10)
	return v, ok
}

var decimalRE = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?$`)

// billion is the split of amt_hi and amt_lo (the schema's convention).
var billion = big.NewInt(1_000_000_000)

// split writes v as the schema's (amt_hi, amt_lo).
func split(v *big.Int) (hi, lo int64, ok bool) {
	q, m := new(big.Int).QuoRem(v, billion, new(big.Int))
	if !q.IsInt64() {
		return 0, 0, false
	}
	return q.Int64(), m.Int64(), true
}

// sumUnits adds SUM(hi) * 10^9 + SUM(lo) exactly: the sums come as text
// (PostgreSQL's numeric) or integers (SQLite's), NULL over no rows.
func sumUnits(hi, lo sql.NullString) (*big.Int, error) {
	total := new(big.Int)
	for i, s := range []sql.NullString{hi, lo} {
		if !s.Valid {
			continue
		}
		v, ok := new(big.Int).SetString(s.String, 10)
		if !ok {
			return nil, fmt.Errorf("query: a sum of amounts is %q, not an integer", s.String)
		}
		if i == 0 {
			v.Mul(v, billion)
		}
		total.Add(total, v)
	}
	return total, nil
}

// Times and ranges.

const dayLayout = "2006-01-02"

// parseTime reads an RFC 3339 time or a day, YYYY-MM-DD (UTC). end makes a
// day mean its end (the next day's start), for the end of a range.
func parseTime(name, s string, end bool) (time.Time, error) {
	if len(s) > 40 {
		return time.Time{}, invalid("%s: %d characters; a time is RFC 3339 or YYYY-MM-DD", name, len(s))
	}
	if d, err := time.Parse(dayLayout, s); err == nil {
		if end {
			d = d.AddDate(0, 0, 1)
		}
		return d, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, invalid("%s: %q is neither an RFC 3339 time nor a day YYYY-MM-DD", name, clip(s))
	}
	if t.Year() < 1970 || t.Year() > 2261 {
		return time.Time{}, invalid("%s: %q is outside the years 1970 to 2261 that the index's times hold", name, clip(s))
	}
	return t.UTC(), nil
}

// clip shortens a value a message repeats.
func clip(s string) string {
	const n = 64
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// span is a range of block times, [from, to).
type span struct{ from, to time.Time }

// days is how many UTC days the span touches.
func (s span) days() int {
	a := s.from.Truncate(24 * time.Hour)
	return int(s.to.Add(-1).Truncate(24*time.Hour).Sub(a)/(24*time.Hour)) + 1
}

// firstDay and lastDay are the span's days, both included.
func (s span) firstDay() string { return s.from.UTC().Format(dayLayout) }
func (s span) lastDay() string  { return s.to.Add(-1).UTC().Format(dayLayout) }

// lastIndexed is the time of the newest block the index holds of any
// chain; zero for an empty index.
func (r *Reader) lastIndexed(ctx context.Context) (time.Time, error) {
	var ns sql.NullInt64
	if err := r.db.QueryRowContext(ctx, `SELECT MAX(time_ns) FROM chains`).Scan(&ns); err != nil {
		return time.Time{}, fmt.Errorf("query: reading the chains: %w", err)
	}
	if !ns.Valid {
		return time.Time{}, nil
	}
	return time.Unix(0, ns.Int64).UTC(), nil
}

// rangeOf reads from and to; missing ends default to the window before the
// day after the last indexed block (def) and that day's start; a range
// longer than max days is refused.
func (r *Reader) rangeOf(ctx context.Context, from, to string, def func(end time.Time) time.Time, max int) (span, error) {
	var s span
	var err error
	if to != "" {
		if s.to, err = parseTime("to", to, true); err != nil {
			return s, err
		}
	} else {
		last, err := r.lastIndexed(ctx)
		if err != nil {
			return s, err
		}
		if last.IsZero() {
			last = time.Unix(0, 0).UTC()
		}
		s.to = last.Truncate(24*time.Hour).AddDate(0, 0, 1)
	}
	if from != "" {
		if s.from, err = parseTime("from", from, false); err != nil {
			return s, err
		}
	} else {
		s.from = def(s.to)
	}
	if !s.from.Before(s.to) {
		return s, invalid("the range from %s to %s is empty: from must come before to", s.from.Format(time.RFC3339), s.to.Format(time.RFC3339))
	}
	if n := s.days(); n > max {
		return s, invalid("the range from %s to %s spans %d days; at most %d are read at once", s.from.Format(time.RFC3339), s.to.Format(time.RFC3339), n, max)
	}
	return s, nil
}

// textParam checks a free text parameter: bounded, printable, no control
// characters (it is bound, never spliced; this keeps messages sane).
func textParam(name, v string) error {
	if len(v) > MaxParam {
		return invalid("%s: %d characters; at most %d", name, len(v), MaxParam)
	}
	for _, c := range v {
		if c < 0x20 || c == 0x7f || c == 0xfffd {
			return invalid("%s: %q holds a control or invalid character", name, clip(v))
		}
	}
	return nil
}

// withTimeout bounds one request's SQL by QueryTimeout.
func withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, QueryTimeout)
}

// args collects the bound parameters of a query and names each $N.
type args []any

func (a *args) add(v any) string {
	*a = append(*a, v)
	return fmt.Sprintf("$%d", len(*a))
}

// WithTokens is a Reader of the same database that looks tokens up with
// tokens.
func (r *Reader) WithTokens(tokens Tokens) *Reader {
	return New(r.db, tokens)
}
