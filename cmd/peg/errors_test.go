package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/node"
)

// fakeAPI is a node's API that knows its status, refuses every transaction
// (UNAUTHORIZED), knows no token, and reports a broken audit.
func fakeAPI(t *testing.T) string {
	t.Helper()
	answer := func(w http.ResponseWriter, status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(v)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/status", func(w http.ResponseWriter, _ *http.Request) {
		answer(w, http.StatusOK, client.Status{ChainID: "peg-test", Region: "GB", Height: 5,
			Params: client.Params{MinReserve: 100_000, Banks: []string{node.DemoBankBIC}, MaxExpiryDelta: 100}})
	})
	mux.HandleFunc("POST /v1/txs", func(w http.ResponseWriter, _ *http.Request) {
		answer(w, http.StatusForbidden, client.APIError{Code: uint32(ledger.CodeUnauthorized), Name: "UNAUTHORIZED",
			Message: "signer is not the pauser"})
	})
	mux.HandleFunc("GET /v1/tokens/{id}", func(w http.ResponseWriter, r *http.Request) {
		answer(w, http.StatusNotFound, client.APIError{Code: 1001, Name: "NOT_FOUND", Message: "no token " + r.PathValue("id")})
	})
	mux.HandleFunc("GET /v1/audit", func(w http.ResponseWriter, _ *http.Request) {
		answer(w, http.StatusOK, client.Audit{Height: 5, Problems: []string{"supply of gbpt is not the sum of its coins"}})
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

// homeWithKeys is a home whose keyring holds the named keys, under the empty
// passphrase.
func homeWithKeys(t *testing.T, names ...string) string {
	t.Helper()
	t.Setenv(passphraseEnv, "")
	home := t.TempDir()
	for _, n := range names {
		mustPeg(t, home, "keys", "add", n)
	}
	return home
}

// oneJSON decodes out, which must hold exactly one JSON object.
func oneJSON(t *testing.T, out string, v any) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(out))
	if err := dec.Decode(v); err != nil {
		t.Fatalf("stdout is not a JSON object: %v\n%s", err, out)
	}
	if _, err := dec.Token(); err != io.EOF {
		t.Errorf("stdout holds more than one JSON value:\n%s", out)
	}
}

// TestJSONErrors: with --output json, a refusal or an error is one JSON
// object on stdout, {code, name, message}, with the exit code of its kind and
// nothing on stderr but the key warning.
func TestJSONErrors(t *testing.T) {
	api := fakeAPI(t)
	home := homeWithKeys(t, "alice")
	for _, tc := range []struct {
		name     string
		args     []string
		exit     int
		code     uint32
		wantName string
		wantTx   bool
	}{
		{"refusal", []string{"token", "pause", "--from", "alice", "--token", "gbpt"}, exitRejected, uint32(ledger.CodeUnauthorized), "UNAUTHORIZED", true},
		{"API error", []string{"token", "show", "nope"}, exitFailure, 1001, "NOT_FOUND", false},
		{"usage", []string{"token", "pause", "--token", "gbpt"}, exitUsage, 0, "USAGE", false},
		{"bad flag value", []string{"up", "--validators", "0"}, exitUsage, 0, "USAGE", false},
		{"CLI error", []string{"keys", "show", "nobody"}, exitFailure, 0, "ERROR", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := peg(t, home, append(tc.args, "--node", api, "-o", "json")...)
			var v map[string]any
			oneJSON(t, out, &v)
			if code != tc.exit || v["code"] != float64(tc.code) || v["name"] != tc.wantName || v["message"] == "" {
				t.Errorf("exit %d, %v; want exit %d, code %d, name %s and a message", code, v, tc.exit, tc.code, tc.wantName)
			}
			if tx, _ := v["tx_id"].(string); (len(tx) == 64) != tc.wantTx {
				t.Errorf("tx_id %q; want one: %v", tx, tc.wantTx)
			}
			if strings.TrimSpace(strings.ReplaceAll(errs, `warning: key "alice" has an empty passphrase (development key)`, "")) != "" {
				t.Errorf("stderr %q, want nothing but the key warning", errs)
			}
		})
	}
	t.Run("text", func(t *testing.T) {
		code, out, errs := peg(t, home, "token", "pause", "--from", "alice", "--token", "gbpt", "--node", api)
		if code != exitRejected || out != "" || !strings.Contains(errs, "rejected: UNAUTHORIZED (code 20): signer is not the pauser") {
			t.Errorf("exit %d, stdout %q, stderr %q; want the refusal as a line on stderr", code, out, errs)
		}
	})
}

// TestJSONContractViolations: a contract refused before it is sent is one
// JSON object, the first violation's code and every violation in snake_case.
func TestJSONContractViolations(t *testing.T) {
	api := fakeAPI(t)
	home := homeWithKeys(t, "issuer", "pauser", "freezer", "attestor", "minter")
	b, err := os.ReadFile("../../examples/gbpt.toml")
	if err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(strings.Replace(string(b), `symbol = "GBPT"`, `symbol = "gbpt!"`, 1), `name = "Pound Token"`, `name = ""`, 1)
	file := filepath.Join(t.TempDir(), "bad.toml")
	if err := os.WriteFile(file, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, _ := peg(t, home, "token", "deploy", "--from", "issuer", "--file", file, "--node", api, "-o", "json")
	var v struct {
		Code       uint32 `json:"code"`
		Name       string `json:"name"`
		Message    string `json:"message"`
		Violations []struct {
			Code    uint32 `json:"code"`
			Name    string `json:"name"`
			Field   string `json:"field"`
			Message string `json:"message"`
		} `json:"violations"`
	}
	oneJSON(t, out, &v)
	if code != exitRejected || len(v.Violations) < 2 {
		t.Fatalf("exit %d, %+v; want exit %d and every violation", code, v, exitRejected)
	}
	if v.Code != v.Violations[0].Code || v.Name != v.Violations[0].Name {
		t.Errorf("error %d %s, want the first violation's %d %s", v.Code, v.Name, v.Violations[0].Code, v.Violations[0].Name)
	}
	for _, x := range v.Violations {
		if x.Code == 0 || x.Name == "" || x.Field == "" || x.Message == "" {
			t.Errorf("violation %+v lacks a field", x)
		}
	}
	if !bytes.Contains([]byte(out), []byte(`"field"`)) {
		t.Errorf("violations not in snake_case:\n%s", out)
	}
}

// TestJSONAuditBroken: a broken audit exits 1 and its report is the one JSON
// object on stdout.
func TestJSONAuditBroken(t *testing.T) {
	code, out, _ := peg(t, t.TempDir(), "audit", "--node", fakeAPI(t), "-o", "json")
	var a client.Audit
	oneJSON(t, out, &a)
	if code != exitFailure || len(a.Problems) != 1 {
		t.Errorf("exit %d, %+v; want exit %d and the audit's problem", code, a, exitFailure)
	}
}
