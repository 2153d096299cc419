package api

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/ from the API's answers")

// TestGolden pins the API's JSON, byte for byte (indented for review), for the
// scenario's state: keys, bodies and block times are deterministic, so ids and
// app hashes are too. After a reviewed change, run go test -run TestGolden -update.
func TestGolden(t *testing.T) {
	e := newTestEnv(t)
	s := e.runScenario()
	notMinter, _ := e.sign(alice, mintMsg(alice.addr, "1000000"))
	for _, tc := range []struct {
		file, method, path, body string
		status                   int
	}{
		{"status.json", "GET", "/v1/status", "", 200},
		{"token.json", "GET", "/v1/tokens/gbpp", "", 200},
		{"tokens.json", "GET", "/v1/tokens", "", 200},
		{"reserves.json", "GET", "/v1/reserves", "", 200},
		{"attestations.json", "GET", "/v1/tokens/gbpp/attestations?limit=10", "", 200},
		{"report.json", "GET", "/v1/tokens/gbpp/reports/2026-01", "", 200},
		{"receipt_pay.json", "GET", "/v1/txs/" + s.pay.String(), "", 200},
		{"account_alice.json", "GET", "/v1/accounts/" + alice.addr.String(), "", 200},
		{"coins_bob.json", "GET", "/v1/accounts/" + bob.addr.String() + "/coins?token=gbpp", "", 200},
		{"block_latest.json", "GET", "/v1/blocks/latest", "", 200},
		{"codes.json", "GET", "/v1/codes", "", 200},
		{"error_unknown_token.json", "GET", "/v1/tokens/usdp", "", 404},
		{"error_not_minter.json", "POST", "/v1/txs", `{"tx": "` + base64.StdEncoding.EncodeToString(notMinter) + `"}`, 403},
		{"error_validation.json", "POST", "/v1/txs", `{"wait": true}`, 400},
	} {
		t.Run(strings.TrimSuffix(tc.file, ".json"), func(t *testing.T) {
			e.checkGolden(t, tc.file, tc.method, tc.path, tc.body, tc.status)
		})
	}
}

// TestGoldenFees pins the fee views: without a policy, and after
// runFeeScenario (a deposit, ten minutes, a payment's fee charged).
func TestGoldenFees(t *testing.T) {
	e := newTestEnv(t)
	e.checkGolden(t, "fees_disabled.json", "GET", "/v1/fees", "", 200)
	e.runFeeScenario()
	e.checkGolden(t, "fees.json", "GET", "/v1/fees", "", 200)
	e.checkGolden(t, "fee_account_alice.json", "GET", "/v1/accounts/"+alice.addr.String()+"/fee", "", 200)
	e.checkGolden(t, "error_no_fee_account.json", "GET", "/v1/accounts/"+bob.addr.String()+"/fee", "", 404)
}

// checkGolden compares the answer to a request, indented, with a file under
// testdata/, or rewrites the file with -update.
func (e *testEnv) checkGolden(t *testing.T, file, method, path, body string, wantStatus int) {
	t.Helper()
	status, answer := e.do(method, path, "application/json", strings.NewReader(body))
	if status != wantStatus {
		t.Errorf("%s %s = %d, want %d", method, path, status, wantStatus)
	}
	var got bytes.Buffer
	if err := json.Indent(&got, answer, "", "  "); err != nil {
		t.Fatalf("%s %s answered %q: %v", method, path, answer, err)
	}
	golden := filepath.Join("testdata", file)
	if *update {
		if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -run TestGolden -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got.String()); diff != "" {
		t.Errorf("%s %s differs from %s (-want +got):\n%s", method, path, golden, diff)
	}
}
