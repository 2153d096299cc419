package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/reserve"
)

// TestReserveCommands runs `peg reserve status`, `history` and `report`
// against a real `peg up`: gbpt deployed against the demo bank's reserve
// account of £1,000,000, attested by the monitor, 1,000 GBPT minted.
func TestReserveCommands(t *testing.T) {
	home := t.TempDir()
	base := freeBasePort(t)
	up := startUp(t, home, base)
	defer up.stop(t)
	mustPeg(t, home, "token", "deploy", "--from", "issuer", "--file", "../../examples/gbpt.toml")

	statusJSON := func(args ...string) []client.TokenReserve {
		t.Helper()
		var rs []client.TokenReserve
		out := mustPeg(t, home, append([]string{"reserve", "status", "-o", "json"}, args...)...)
		if err := json.Unmarshal([]byte(out), &rs); err != nil {
			t.Fatalf("reserve status -o json: %v\n%s", err, out)
		}
		return rs
	}
	eventually(t, 20*time.Second, "the monitor's first attestation", func() bool {
		rs := statusJSON("gbpt")
		return len(rs) == 1 && rs[0].Status == reserve.OK
	})
	var mint client.Receipt
	out := mustPeg(t, home, "token", "mint", "--from", "minter", "--token", "gbpt", "--to", "alice", "--amount", "1000", "-o", "json")
	if err := json.Unmarshal([]byte(out), &mint); err != nil {
		t.Fatal(err)
	}

	t.Run("status", func(t *testing.T) {
		rs := statusJSON()
		if len(rs) != 1 {
			t.Fatalf("reserves = %+v, want gbpt alone", rs)
		}
		r := rs[0]
		if r.Token != "gbpt" || r.Status != reserve.OK || r.Required.Amount != "1000" || r.Required.Currency != "GBP" ||
			r.Coverage != "1000.0000" || r.Reading == nil || r.Reading.Balance.Amount != "1000000" || r.StalenessWindow.Text != "26h0m0s" ||
			r.Account != (client.ReserveAccount{BIC: "PEGDGB2L", Scheme: "IBAN", Account: "GB81PEGD20041531926819", Currency: "GBP"}) {
			t.Errorf("gbpt's reserve = %+v", r)
		}
		text := mustPeg(t, home, "reserve", "status", "gbpt")
		lines := strings.Split(strings.TrimSpace(text), "\n")
		if len(lines) != 5 || !strings.HasPrefix(lines[0], "as of ") ||
			lines[4] != "  gbpt: the GBP balance of IBAN GB81PEGD20041531926819 at PEGDGB2L" {
			t.Fatalf("reserve status:\n%s\nwant the time, a header, one row and the reserve account", text)
		}
		for _, want := range []string{"TOKEN", "STATUS", "BALANCE", "REQUIRED", "COVERAGE", "BANK TIME", "AGE", "WINDOW"} {
			if !strings.Contains(lines[1], want) {
				t.Errorf("header %q lacks %s", lines[1], want)
			}
		}
		row := strings.Fields(lines[2])
		// gbpt OK 1000000.00 GBP 1000.00 GBP 1000.0000 BANK-TIME AGE 26h0m0s
		if len(row) != 10 || row[0] != "gbpt" || row[1] != "OK" || row[2] != "1000000.00" || row[3] != "GBP" ||
			row[4] != "1000.00" || row[5] != "GBP" || row[6] != "1000.0000" || row[9] != "26h0m0s" {
			t.Fatalf("row = %q", row)
		}
		if _, err := time.Parse(time.RFC3339, row[7]); err != nil {
			t.Errorf("bank time %q: %v", row[7], err)
		}
		if _, err := time.ParseDuration(row[8]); err != nil {
			t.Errorf("age %q: %v", row[8], err)
		}
	})

	var history []client.Reading
	t.Run("history", func(t *testing.T) {
		out := mustPeg(t, home, "reserve", "history", "gbpt", "--limit", "1000", "-o", "json")
		if err := json.Unmarshal([]byte(out), &history); err != nil {
			t.Fatal(err)
		}
		if len(history) == 0 {
			t.Fatal("no attestations")
		}
		for i, r := range history {
			if r.Balance.Amount != "1000000" || r.Balance.Currency != "GBP" || r.Source == "" || len(r.RawHash) != 64 {
				t.Errorf("attestation %d = %+v", i, r)
			}
			if i > 0 && r.Height > history[i-1].Height {
				t.Errorf("attestation %d at height %d follows one at %d: want newest first", i, r.Height, history[i-1].Height)
			}
		}
		text := mustPeg(t, home, "reserve", "history", "gbpt", "--limit", "1")
		lines := strings.Split(strings.TrimSpace(text), "\n")
		if len(lines) != 2 || !strings.HasPrefix(lines[0], "BANK TIME") {
			t.Fatalf("reserve history --limit 1:\n%s\nwant a header and one row", text)
		}
		row := strings.Fields(lines[1])
		// BANK-TIME 1000000.00 GBP TYPE SOURCE HEIGHT TX RAW-HASH
		if len(row) != 8 || row[1] != "1000000.00" || row[2] != "GBP" || len(row[6]) != 64 || len(row[7]) != 64 {
			t.Errorf("row = %q", row)
		}
		if h, err := strconv.ParseUint(row[5], 10, 64); err != nil || h < history[0].Height {
			t.Errorf("newest attestation at height %q, want at least %d", row[5], history[0].Height)
		}
	})

	month := mint.Time.UTC().Format("2006-01")
	t.Run("report", func(t *testing.T) {
		dir := t.TempDir()
		text := mustPeg(t, home, "reserve", "report", "gbpt", "--month", month, "--out", dir)
		jsonPath := filepath.Join(dir, "reserve-report-gbpt-"+month+".json")
		csvPath := filepath.Join(dir, "reserve-report-gbpt-"+month+".csv")
		for _, want := range []string{"reserve report of gbpt (GBPT) for " + month, "closing supply", "1000.00 GBPT",
			"lowest coverage", "1000.0000 (1000000.00 GBP held for 1000.00 GBP required)", "wrote " + jsonPath, "wrote " + csvPath} {
			if !strings.Contains(text, want) {
				t.Errorf("report output lacks %q:\n%s", want, text)
			}
		}
		b, err := os.ReadFile(jsonPath)
		if err != nil {
			t.Fatal(err)
		}
		var r client.ReserveReport
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatal(err)
		}
		checkReportFile(t, &r, month)
		checkReportCSV(t, csvPath, &r)

		// With --output json, stdout is the file's JSON and the paths go to stderr.
		dir2 := filepath.Join(t.TempDir(), "new", "dir")
		code, stdout, stderr := peg(t, home, "reserve", "report", "gbpt", "--month", month, "--out", dir2, "-o", "json")
		if code != exitOK {
			t.Fatalf("report -o json: exit %d: %s", code, stderr)
		}
		b2, err := os.ReadFile(filepath.Join(dir2, "reserve-report-gbpt-"+month+".json"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal([]byte(stdout), b2) {
			t.Errorf("stdout and the JSON file differ:\n%s\n%s", stdout, b2)
		}
		if !strings.Contains(stderr, "wrote "+filepath.Join(dir2, "reserve-report-gbpt-"+month+".csv")) {
			t.Errorf("stderr = %q, want the paths", stderr)
		}
	})

	t.Run("usage", func(t *testing.T) {
		for _, tc := range []struct {
			args []string
			code int
			want string
		}{
			{[]string{"reserve", "report", "gbpt", "--month", "2026-1"}, exitUsage, "YYYY-MM"},
			{[]string{"reserve", "report", "GBPT", "--month", month}, exitUsage, ""},
			{[]string{"reserve", "report", "gbpt", "--month", "2999-01", "--out", t.TempDir()}, exitFailure, "NOT_FOUND"},
			{[]string{"reserve", "report", "usdx", "--month", month, "--out", t.TempDir()}, exitFailure, "UNKNOWN_TOKEN"},
			{[]string{"reserve", "report", "gbpt", "--token", "usdx", "--month", month}, exitUsage, "named twice"},
			{[]string{"reserve", "report", "--month", month}, exitUsage, "name the token"},
			{[]string{"reserve", "history", "gbpt", "--limit", "0"}, exitUsage, "--limit"},
			{[]string{"reserve", "history", "gbpt", "usdx"}, exitUsage, "accepts at most 1 arg"},
			{[]string{"reserve", "status", "usdx"}, exitFailure, "UNKNOWN_TOKEN"},
			{[]string{"reserve", "status", "--wait", "OK"}, exitUsage, "--wait needs the token"},
			{[]string{"reserve", "status", "gbpt", "--wait", "FINE"}, exitUsage, "want UNATTESTED, OK, AT_RISK or STALE"},
			{[]string{"reserve", "status", "gbpt", "--wait", "OK", "--timeout", "0s"}, exitUsage, "--timeout"},
			{[]string{"token", "redemptions"}, exitUsage, "name the token"},
		} {
			code, _, stderr := peg(t, home, tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.want) {
				t.Errorf("peg %s: exit %d, stderr %q; want exit %d and %q", strings.Join(tc.args, " "), code, stderr, tc.code, tc.want)
			}
		}
	})

	// The token was a flag of these commands; scripts that pass it so still work.
	t.Run("deprecated --token", func(t *testing.T) {
		for _, args := range [][]string{
			{"reserve", "status", "--token", "gbpt"},
			{"reserve", "history", "--token", "gbpt", "--limit", "1"},
			{"reserve", "report", "--token", "gbpt", "--month", month, "--out", t.TempDir()},
			{"token", "redemptions", "--token", "gbpt"},
		} {
			code, out, stderr := peg(t, home, args...)
			if code != exitOK || !strings.Contains(out, "gbpt") || !strings.Contains(stderr, "deprecated") {
				t.Errorf("peg %s: exit %d, stdout %q, stderr %q; want the answer and a deprecation notice", strings.Join(args, " "), code, out, stderr)
			}
		}
	})

	// The walkthrough's shortfall block: a bank debit reaches the ledger with
	// the monitor's next attestation, which --wait waits for.
	t.Run("wait", func(t *testing.T) {
		bank := fmt.Sprintf("http://127.0.0.1:%d", base+4)
		mustPeg(t, home, "bank", "account", "debit", "--bank", bank, "--account", "gbpt-reserve", "--amount", "999500")
		out := mustPeg(t, home, "reserve", "status", "gbpt", "--wait", "AT_RISK", "--timeout", "30s")
		if !strings.Contains(out, "AT_RISK") || !strings.Contains(out, "500.00 GBP") {
			t.Errorf("reserve status --wait AT_RISK:\n%s", out)
		}
		code, _, stderr := peg(t, home, "token", "mint", "--from", "minter", "--token", "gbpt", "--to", "alice", "--amount", "1")
		if code != exitRejected || !strings.Contains(stderr, "RESERVE_AT_RISK") {
			t.Errorf("mint once the wait is over: exit %d, stderr %q; want RESERVE_AT_RISK", code, stderr)
		}
		code, out, stderr = peg(t, home, "reserve", "status", "gbpt", "--wait", "OK", "--timeout", "2s")
		if code != exitFailure || out != "" || !strings.Contains(stderr, "gbpt's reserve is AT_RISK, not OK, after waiting 2s") {
			t.Errorf("--wait OK while at risk: exit %d, stdout %q, stderr %q; want exit %d naming AT_RISK", code, out, stderr, exitFailure)
		}
		mustPeg(t, home, "bank", "account", "credit", "--bank", bank, "--account", "gbpt-reserve", "--amount", "999500")
		var rs []client.TokenReserve
		out = mustPeg(t, home, "reserve", "status", "gbpt", "--wait", "OK", "--timeout", "30s", "-o", "json")
		if err := json.Unmarshal([]byte(out), &rs); err != nil || len(rs) != 1 || rs[0].Status != reserve.OK {
			t.Errorf("reserve status --wait OK -o json = %s (%v)", out, err)
		}
		mustPeg(t, home, "token", "mint", "--from", "minter", "--token", "gbpt", "--to", "alice", "--amount", "1")
	})
}

// checkReportFile checks the figures a report of gbpt must have: nothing but
// the mint of 1,000 moved the supply, and every attestation read £1,000,000.
func checkReportFile(t *testing.T, r *client.ReserveReport, month string) {
	t.Helper()
	if r.Token != "gbpt" || r.Symbol != "GBPT" || r.Month != month || r.Complete {
		t.Errorf("report of %s (%s) for %s, complete %v", r.Token, r.Symbol, r.Month, r.Complete)
	}
	if r.OpeningSupply.Amount != "0" || r.ClosingSupply.Amount != "1000" || r.Minted.Amount != "1000" || r.Redeemed.Amount != "0" {
		t.Errorf("supply: opening %s closing %s minted %s redeemed %s", r.OpeningSupply.Amount, r.ClosingSupply.Amount, r.Minted.Amount, r.Redeemed.Amount)
	}
	if r.MinCoverage != "1000.0000" || r.MinCoverageBalance.Amount != "1000000" || r.MinCoverageRequired.Amount != "1000" ||
		r.MinCoverageRequired.Currency != "GBP" {
		t.Errorf("lowest coverage %q of %+v for %+v", r.MinCoverage, r.MinCoverageBalance, r.MinCoverageRequired)
	}
	if r.AttestationCount < 1 || r.AttestationCount != len(r.Attestations)+r.AttestationsOmitted {
		t.Errorf("%d attestations, %d listed and %d omitted", r.AttestationCount, len(r.Attestations), r.AttestationsOmitted)
	}
	if !slices.IsSortedFunc(r.Attestations, func(a, b client.Reading) int { return int(a.Height) - int(b.Height) }) {
		t.Error("attestations are not oldest first")
	}
	s := r.SecondsInStatus
	if s.AtRisk != 0 || s.Stale != 0 || r.AtRiskOrStaleSeconds != 0 {
		t.Errorf("seconds in status %+v, at risk or stale %d; want none at risk or stale", s, r.AtRiskOrStaleSeconds)
	}
}

// checkReportCSV reads the CSV file and holds it to r, the JSON file.
func checkReportCSV(t *testing.T, path string, r *client.ReserveReport) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte("\n\nattested_at,")) {
		t.Errorf("no blank line before the attestations section:\n%s", b)
	}
	cr := csv.NewReader(bytes.NewReader(b))
	cr.FieldsPerRecord = -1 // two sections, two widths; the blank line is skipped
	recs, err := cr.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) < 3 || !slices.Equal(recs[0], reportCSVHeader) || len(recs[1]) != len(recs[0]) || !slices.Equal(recs[2], reportCSVAttestationsHeader) {
		t.Fatalf("CSV sections:\n%s", b)
	}
	row := map[string]string{}
	for i, k := range recs[0] {
		row[k] = recs[1][i]
	}
	for k, want := range map[string]string{
		"token": "gbpt", "symbol": "GBPT", "month": r.Month, "as_of": r.AsOf.Format(time.RFC3339), "complete": "false",
		"opening_supply": "0", "closing_supply": "1000", "minted": "1000", "redeemed": "0",
		"attestations": strconv.Itoa(r.AttestationCount), "attestations_omitted": strconv.Itoa(r.AttestationsOmitted),
		"min_coverage": "1000.0000", "min_coverage_balance": "1000000", "min_coverage_required": "1000", "currency": "GBP",
		"unattested_seconds": strconv.FormatInt(r.SecondsInStatus.Unattested, 10), "ok_seconds": strconv.FormatInt(r.SecondsInStatus.OK, 10),
		"at_risk_seconds": "0", "stale_seconds": "0", "at_risk_or_stale_seconds": "0",
	} {
		if row[k] != want {
			t.Errorf("CSV %s = %q, want %q", k, row[k], want)
		}
	}
	atts := recs[3:]
	if len(atts) != len(r.Attestations) {
		t.Fatalf("CSV lists %d attestations, the JSON %d", len(atts), len(r.Attestations))
	}
	for i, a := range r.Attestations {
		want := []string{a.AttestedAt.Format(time.RFC3339), strconv.FormatUint(a.Height, 10), a.BankTime.Format(time.RFC3339),
			a.Balance.Amount, a.Balance.Currency, a.BalanceType, a.Source, a.TxID.String(), a.RawHash}
		if !slices.Equal(atts[i], want) {
			t.Errorf("CSV attestation %d = %q, want %q", i, atts[i], want)
		}
	}
}

func TestCSVText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"InterimAvailable", "InterimAvailable"}, {"", ""}, {"=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"},
		{"+1", "'+1"}, {"-1", "'-1"}, {"@SUM(A1)", "'@SUM(A1)"}, {"\tx", "'\tx"}, {"a=b", "a=b"},
	} {
		if got := csvText(tc.in); got != tc.want {
			t.Errorf("csvText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
