package query

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/sqldb"
)

// ReportFormat is the version of the reports' JSON; a change of their
// fields is a new version, and a report keeps the version it was published
// with.
const ReportFormat = 1

// MaxPublishPerRun bounds the reports one PublishDue writes, so that the
// first run over a long index returns in bounded time; the next run goes
// on.
const MaxPublishPerRun = 500

// Report is a published daily or monthly report. Its JSON (Canonical) is
// what is published, and its SHA-256 is kept with it. Amounts are exact
// minor units of their token (a report is built from the index alone,
// which holds no token's decimals); times are RFC 3339 UTC. Nothing in it
// depends on when it was built: building it again from the same index gives
// the same bytes.
type Report struct {
	Format     int              `json:"format"`
	Name       string           `json:"name"`
	Kind       string           `json:"kind"`
	Period     string           `json:"period"`
	From       time.Time        `json:"from"`
	To         time.Time        `json:"to"`
	Chains     []ReportChain    `json:"chains"`
	Volumes    []ReportVolume   `json:"volumes"`
	Corridors  []ReportCorridor `json:"corridors"`
	Active     int64            `json:"active_accounts"`
	Trade      ReportSettlement `json:"trade_settlement"`
	Credit     ReportSettlement `json:"credit_settlement"`
	Coverage   []ReportCoverage `json:"coverage"`
	Definition string           `json:"definitions"`
}

// ReportChain is a chain a report covers, up to its last block within the
// period (Height 0 when the chain had none yet).
type ReportChain struct {
	ChainID   string `json:"chain_id"`
	Region    string `json:"region"`
	Height    int64  `json:"height"`
	BlockHash string `json:"block_hash"`
}

// ReportVolume is the payments of one token in one region.
type ReportVolume struct {
	Token  string `json:"token"`
	Region string `json:"region"`
	Count  int64  `json:"count"`
	Units  string `json:"units"`
}

// ReportCorridor is the payments of one token from one region to another.
type ReportCorridor struct {
	FromRegion string `json:"from_region"`
	ToRegion   string `json:"to_region"`
	Token      string `json:"token"`
	Count      int64  `json:"count"`
	Units      string `json:"units"`
}

// ReportSettlement is a settlement-time distribution's summary.
type ReportSettlement struct {
	Count      int64   `json:"count"`
	P50Seconds float64 `json:"p50_seconds"`
	P90Seconds float64 `json:"p90_seconds"`
	P99Seconds float64 `json:"p99_seconds"`
}

// ReportCoverage is a token's reserve at the period's end: its last event
// at or before the end, the events in the period, and the statuses they
// left it in.
type ReportCoverage struct {
	Token    string   `json:"token"`
	Currency string   `json:"currency"`
	Supply   string   `json:"supply"`
	Reserve  string   `json:"reserve"`
	Required string   `json:"required"`
	Status   string   `json:"status"`
	Events   int64    `json:"events"`
	Statuses []string `json:"statuses"`
}

// reportDefinitions is written in every report, so that a reader of the
// file alone knows what its figures count.
const reportDefinitions = "volumes and corridors: accepted pay and spend_from transactions in the period, their amount (to others than the signer) in minor units; " +
	"active_accounts: addresses with an entry (an accepted transaction that sent or received for them) in the period; " +
	"trade_settlement: trades settled in the period, funded to settled; credit_settlement: credit paid in the period, requested to paid; " +
	"coverage: each token's supply and reserve after its last event at or before the period's end"

var (
	dailyRE   = regexp.MustCompile(`^daily-([0-9]{4}-[0-9]{2}-[0-9]{2})$`)
	monthlyRE = regexp.MustCompile(`^monthly-([0-9]{4}-[0-9]{2})$`)
)

// ParseName reads a report's name, daily-YYYY-MM-DD or monthly-YYYY-MM,
// into its kind and period span.
func ParseName(name string) (kind, period string, from, to time.Time, err error) {
	if m := dailyRE.FindStringSubmatch(name); m != nil {
		d, err := time.Parse(dayLayout, m[1])
		if err == nil {
			return "daily", m[1], d, d.AddDate(0, 0, 1), nil
		}
	}
	if m := monthlyRE.FindStringSubmatch(name); m != nil {
		d, err := time.Parse("2006-01", m[1])
		if err == nil {
			return "monthly", m[1], d, d.AddDate(0, 1, 0), nil
		}
	}
	return "", "", time.Time{}, time.Time{}, invalid("name: %q is not a report's name (daily-YYYY-MM-DD or monthly-YYYY-MM)", clip(name))
}

// Build computes the report name from the index, whatever the index holds
// now; PublishDue builds only complete periods, whose figures no later
// block changes.
func Build(ctx context.Context, db *sqldb.DB, name string) (*Report, error) {
	kind, period, from, to, err := ParseName(name)
	if err != nil {
		return nil, err
	}
	r := New(db, nil)
	s := span{from: from, to: to}
	rep := &Report{Format: ReportFormat, Name: name, Kind: kind, Period: period, From: from, To: to, Definition: reportDefinitions,
		Volumes: []ReportVolume{}, Corridors: []ReportCorridor{}, Coverage: []ReportCoverage{}}
	if rep.Chains, err = r.reportChains(ctx, to); err != nil {
		return nil, err
	}
	err = r.payments(ctx, "token, region, ''", s, "", "", func(key []string, count int64, units *big.Int) {
		rep.Volumes = append(rep.Volumes, ReportVolume{Token: key[0], Region: key[1], Count: count, Units: units.String()})
	})
	if err != nil {
		return nil, err
	}
	err = r.payments(ctx, "region, CASE WHEN payee_region = '' THEN region ELSE payee_region END, token", s, "", "",
		func(key []string, count int64, units *big.Int) {
			rep.Corridors = append(rep.Corridors, ReportCorridor{FromRegion: key[0], ToRegion: key[1], Token: key[2], Count: count, Units: units.String()})
		})
	if err != nil {
		return nil, err
	}
	if rep.Active, err = r.activeIn(ctx, s); err != nil {
		return nil, err
	}
	for _, st := range []struct {
		what string
		to   *ReportSettlement
	}{{"trade", &rep.Trade}, {"credit", &rep.Credit}} {
		d, err := r.settlement(ctx, st.what, s)
		if err != nil {
			return nil, err
		}
		*st.to = ReportSettlement{Count: d.Count, P50Seconds: d.P50Seconds, P90Seconds: d.P90Seconds, P99Seconds: d.P99Seconds}
	}
	if rep.Coverage, err = r.reportCoverage(ctx, s); err != nil {
		return nil, err
	}
	return rep, nil
}

// reportChains is each chain the index follows with its last block before
// end.
func (r *Reader) reportChains(ctx context.Context, end time.Time) ([]ReportChain, error) {
	st, err := r.Status(ctx)
	if err != nil {
		return nil, err
	}
	out := []ReportChain{}
	for _, c := range st.Chains {
		rc := ReportChain{ChainID: c.ChainID, Region: c.Region}
		err := r.db.QueryRowContext(ctx, `SELECT height, hash FROM blocks WHERE chain_id = $1 AND time_ns < $2
			ORDER BY time_ns DESC, height DESC LIMIT 1`, c.ChainID, end.UnixNano()).Scan(&rc.Height, &rc.BlockHash)
		if err != nil && err != sql.ErrNoRows {
			return nil, fmt.Errorf("query: report: the last block of %s: %w", c.ChainID, err)
		}
		out = append(out, rc)
	}
	return out, nil
}

// reportCoverage is every token with an event before the period's end, at
// the end.
func (r *Reader) reportCoverage(ctx context.Context, s span) ([]ReportCoverage, error) {
	out := []ReportCoverage{}
	token := ""
	for range MaxReportTokens {
		var next sql.NullString
		if err := r.db.QueryRowContext(ctx, `SELECT MIN(token) FROM token_events WHERE token > $1`, token).Scan(&next); err != nil {
			return nil, fmt.Errorf("query: report: tokens: %w", err)
		}
		if !next.Valid {
			break
		}
		token = next.String
		c := ReportCoverage{Token: token, Statuses: []string{}}
		err := r.db.QueryRowContext(ctx, `SELECT currency, supply, reserve, required, status FROM token_events
			WHERE token = $1 AND time_ns < $2 ORDER BY time_ns DESC, chain_id DESC, height DESC, idx DESC, seq DESC LIMIT 1`,
			token, s.to.UnixNano()).Scan(&c.Currency, &c.Supply, &c.Reserve, &c.Required, &c.Status)
		if err == sql.ErrNoRows {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("query: report: coverage of %s: %w", token, err)
		}
		rows, err := r.db.QueryContext(ctx, `SELECT status, COUNT(*) FROM token_events
			WHERE token = $1 AND time_ns >= $2 AND time_ns < $3 GROUP BY status ORDER BY status`, token, s.from.UnixNano(), s.to.UnixNano())
		if err != nil {
			return nil, fmt.Errorf("query: report: events of %s: %w", token, err)
		}
		for rows.Next() {
			var st string
			var n int64
			if err := rows.Scan(&st, &n); err != nil {
				rows.Close()
				return nil, fmt.Errorf("query: report: events of %s: %w", token, err)
			}
			c.Events += n
			c.Statuses = append(c.Statuses, st)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("query: report: events of %s: %w", token, err)
		}
		out = append(out, c)
	}
	return out, nil
}

// Canonical is the report's published bytes: its JSON, fields in their
// declared order, no HTML escaping, one newline at the end.
func (rep *Report) Canonical() []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(rep); err != nil {
		panic(fmt.Sprintf("query: encoding a report: %v", err)) // its fields always encode
	}
	return b.Bytes()
}

// Height is the highest block the report covers, over its chains.
func (rep *Report) Height() int64 {
	var h int64
	for _, c := range rep.Chains {
		h = max(h, c.Height)
	}
	return h
}

// SHA256 is the hex SHA-256 of body.
func SHA256(body []byte) string {
	s := sha256.Sum256(body)
	return hex.EncodeToString(s[:])
}

// Published is a report PublishDue published.
type Published struct {
	Name   string
	Height int64
	SHA256 string
	File   string
}

// PublishDue publishes every complete period (a day or a month the index
// holds a block after, on every chain it follows) that has no report yet:
// into the reports table and as dir/NAME.json (dir empty: the table only).
// It is idempotent: a report once published is never rebuilt, and its
// file, if missing, is written again from the table; a file that differs
// from the published report is an error, left as it is. It publishes at
// most MaxPublishPerRun reports a call.
func PublishDue(ctx context.Context, db *sqldb.DB, dir string) ([]Published, error) {
	names, err := dueNames(ctx, db)
	if err != nil {
		return nil, err
	}
	var out []Published
	for _, name := range names {
		if len(out) == MaxPublishPerRun {
			break
		}
		p, fresh, err := publishOne(ctx, db, dir, name)
		if err != nil {
			return out, err
		}
		if fresh {
			out = append(out, p)
		}
	}
	return out, nil
}

// dueNames is the names of every complete period, oldest first.
func dueNames(ctx context.Context, db *sqldb.DB) ([]string, error) {
	var first, done sql.NullInt64
	if err := db.QueryRowContext(ctx, `SELECT MIN(time_ns) FROM blocks`).Scan(&first); err != nil {
		return nil, fmt.Errorf("query: publish: the first block: %w", err)
	}
	if err := db.QueryRowContext(ctx, `SELECT MIN(time_ns) FROM chains`).Scan(&done); err != nil {
		return nil, fmt.Errorf("query: publish: the chains: %w", err)
	}
	if !first.Valid || !done.Valid {
		return nil, nil
	}
	start := time.Unix(0, first.Int64).UTC().Truncate(24 * time.Hour)
	end := time.Unix(0, done.Int64).UTC() // a period ending at or before it is complete
	var names []string
	for d := start; !d.AddDate(0, 0, 1).After(end); d = d.AddDate(0, 0, 1) {
		names = append(names, "daily-"+d.Format(dayLayout))
	}
	for m := time.Date(start.Year(), start.Month(), 1, 0, 0, 0, 0, time.UTC); !m.AddDate(0, 1, 0).After(end); m = m.AddDate(0, 1, 0) {
		names = append(names, "monthly-"+m.Format("2006-01"))
	}
	return names, nil
}

// publishOne publishes name unless it is published; fresh says it was not.
func publishOne(ctx context.Context, db *sqldb.DB, dir, name string) (Published, bool, error) {
	var body, sum string
	var height int64
	err := db.QueryRowContext(ctx, `SELECT body, sha256, height FROM reports WHERE name = $1`, name).Scan(&body, &sum, &height)
	fresh := err == sql.ErrNoRows
	switch {
	case fresh:
		rep, err := Build(ctx, db, name)
		if err != nil {
			return Published{}, false, err
		}
		b := rep.Canonical()
		body, sum, height = string(b), SHA256(b), rep.Height()
		ids := make([]string, len(rep.Chains))
		for i, c := range rep.Chains {
			ids[i] = c.ChainID
		}
		chainIDs, _ := json.Marshal(ids)
		_, err = db.ExecContext(ctx, `INSERT INTO reports (name, kind, period, height, chain_ids, created, sha256, body)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (name) DO NOTHING`,
			name, rep.Kind, rep.Period, height, string(chainIDs), time.Now().UnixNano(), sum, body)
		if err != nil {
			return Published{}, false, fmt.Errorf("query: publishing %s: %w", name, err)
		}
	case err != nil:
		return Published{}, false, fmt.Errorf("query: publish: reading %s: %w", name, err)
	}
	p := Published{Name: name, Height: height, SHA256: sum}
	if dir == "" {
		return p, fresh, nil
	}
	p.File = filepath.Join(dir, name+".json")
	wrote, err := writeReportFile(p.File, []byte(body))
	return p, fresh || wrote, err
}

// writeReportFile writes body to path unless it holds body already; a file
// holding anything else is an error.
func writeReportFile(path string, body []byte) (bool, error) {
	have, err := os.ReadFile(path)
	if err == nil {
		if !bytes.Equal(have, body) {
			return false, fmt.Errorf("query: %s differs from the published report (SHA-256 %s, published %s); left as it is", path, SHA256(have), SHA256(body))
		}
		return false, nil
	}
	if !os.IsNotExist(err) {
		return false, fmt.Errorf("query: reading %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return false, fmt.Errorf("query: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, body, 0o644); err != nil {
		return false, fmt.Errorf("query: writing %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return false, fmt.Errorf("query: %w", err)
	}
	return true, nil
}

// Published answers GET /v1/published: the reports newest first (by
// period, then name).
func (r *Reader) Published(ctx context.Context, kind, cursor string, limit int) (*client.PublishedPage, error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	if kind != "" && kind != "daily" && kind != "monthly" {
		return nil, invalid("kind: %q; daily or monthly", clip(kind))
	}
	n, err := limitOf(limit)
	if err != nil {
		return nil, err
	}
	scope := "published?" + kind
	var a args
	var where []string
	if kind != "" {
		where = append(where, "kind = "+a.add(kind))
	}
	if cursor != "" {
		key, err := decodeCursor(scope, cursor, 2)
		if err != nil {
			return nil, err
		}
		where = append(where, fmt.Sprintf("(period, name) < (%s, %s)", a.add(key[0]), a.add(key[1])))
	}
	text := "SELECT name, kind, period, height, chain_ids, created, sha256 FROM reports"
	if len(where) > 0 {
		text += " WHERE " + strings.Join(where, " AND ")
	}
	text += " ORDER BY period DESC, name DESC LIMIT " + a.add(n+1)
	rows, err := r.db.QueryContext(ctx, text, a...)
	if err != nil {
		return nil, fmt.Errorf("query: published: %w", err)
	}
	defer rows.Close()
	page := &client.PublishedPage{Items: []client.PublishedItem{}}
	for rows.Next() {
		if len(page.Items) == n {
			last := page.Items[n-1]
			page.NextCursor = encodeCursor(scope, []string{last.Period, last.Name})
			break
		}
		var it client.PublishedItem
		var ids string
		var created int64
		if err := rows.Scan(&it.Name, &it.Kind, &it.Period, &it.Height, &ids, &created, &it.SHA256); err != nil {
			return nil, fmt.Errorf("query: reading a report: %w", err)
		}
		if err := json.Unmarshal([]byte(ids), &it.ChainIDs); err != nil {
			return nil, fmt.Errorf("query: report %s: its chain ids: %w", it.Name, err)
		}
		it.Created = time.Unix(0, created).UTC()
		page.Items = append(page.Items, it)
	}
	return page, rows.Err()
}

// PublishedReport answers GET /v1/published/{name}: the body as published
// and its SHA-256; ErrNotFound if there is no such report.
func (r *Reader) PublishedReport(ctx context.Context, name string) (body []byte, sha string, err error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	if _, _, _, _, err := ParseName(name); err != nil {
		return nil, "", err
	}
	var b string
	err = r.db.QueryRowContext(ctx, `SELECT body, sha256 FROM reports WHERE name = $1`, name).Scan(&b, &sha)
	if err == sql.ErrNoRows {
		return nil, "", fmt.Errorf("%w: no report %s is published", ErrNotFound, name)
	}
	if err != nil {
		return nil, "", fmt.Errorf("query: report %s: %w", name, err)
	}
	return []byte(b), sha, nil
}

// Compare lists where two reports' figures differ, field by field; none
// when they are the same.
func Compare(published, recomputed *Report) []string {
	var diffs []string
	pb, rb := published.Canonical(), recomputed.Canonical()
	if bytes.Equal(pb, rb) {
		return nil
	}
	var pm, rm map[string]json.RawMessage
	json.Unmarshal(pb, &pm)
	json.Unmarshal(rb, &rm)
	for _, k := range []string{"format", "name", "kind", "period", "from", "to", "chains", "volumes", "corridors",
		"active_accounts", "trade_settlement", "credit_settlement", "coverage", "definitions"} {
		if !bytes.Equal(pm[k], rm[k]) {
			diffs = append(diffs, fmt.Sprintf("%s: published %s, the index gives %s", k, clipRaw(pm[k]), clipRaw(rm[k])))
		}
	}
	return diffs
}

func clipRaw(b json.RawMessage) string {
	const n = 300
	if len(b) > n {
		return string(b[:n]) + "…(" + strconv.Itoa(len(b)) + " bytes)"
	}
	return string(b)
}
