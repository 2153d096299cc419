package api

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
)

// TestCheckJSON: a body that says one thing passes; a key twice in one
// object, at any depth, or anything after the value, is named.
func TestCheckJSON(t *testing.T) {
	deep := strings.Repeat("[", MaxBodyDepth) + strings.Repeat("]", MaxBodyDepth)
	for _, tc := range []struct {
		name, body, err string
	}{
		{"object", `{"tx":"AA==","wait":false}`, ""},
		{"whitespace around", " \n\t{\"tx\": \"AA==\"}\r\n ", ""},
		{"empty", "", ""},
		{"same key in sibling objects", `{"a":{"k":1},"b":{"k":2},"c":[{"k":1},{"k":2}]}`, ""},
		{"keys differing in case", `{"wait":true,"Wait":false}`, ""},
		{"nesting at the limit", deep, ""},
		{"duplicate key", `{"amount":"1","amount":"2"}`, `duplicate key "amount"`},
		{"duplicate after a nested value", `{"tx":{"a":[1,{}]},"wait":true,"tx":"AA=="}`, `duplicate key "tx"`},
		{"duplicate in a nested object", `{"x":{"a":1,"a":2}}`, `duplicate key "a" in /x`},
		{"duplicate in an array's object", `{"txs":["AA==",{"k":null,"k":null}]}`, `duplicate key "k" in /txs/1`},
		{"duplicate under an escaped key", `{"a/b~":{"k":1,"k":1}}`, `duplicate key "k" in /a~1b~0`},
		{"duplicate written with escapes", `{"tx":1,"\u0074x":2}`, `duplicate key "tx"`},
		{"a second object", `{"tx":"AA=="}{"tx":"AA=="}`, "trailing data after the JSON object (from byte 13)"},
		{"a stray character", `{"tx":"AA=="} x`, "trailing data after the JSON object (from byte 13)"},
		{"a stray brace", `{"tx":"AA=="}}`, "trailing data after the JSON object (from byte 13)"},
		{"after a number", `1 2`, "trailing data after the JSON value (from byte 1)"},
		{"truncated", `{"tx": `, "the JSON ends before its last object or array is closed"},
		{"unclosed", `{"txs":[`, "the JSON ends before its last object or array is closed"},
		{"not JSON", `tx=AA==`, "not JSON: invalid character 'x' in literal true (expecting 'r')"},
		{"nesting past the limit", "[" + deep + "]", "the JSON nests deeper than 32 objects and arrays"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := checkJSON([]byte(tc.body))
			switch {
			case tc.err == "" && err != nil:
				t.Fatalf("checkJSON(%q) = %v, want nil", tc.body, err)
			case tc.err == "":
			case err == nil:
				t.Fatalf("checkJSON(%q) = nil, want %q", tc.body, tc.err)
			case err.Error() != tc.err:
				t.Fatalf("checkJSON(%q) = %q, want %q", tc.body, err, tc.err)
			}
		})
	}
}

// TestStrictJSONBodies: every JSON POST body passes strictJSON before the
// validator and the handlers, which would take the last of two values or
// ignore what follows the object; the refusal is a 400 naming the problem,
// and nothing is submitted.
func TestStrictJSONBodies(t *testing.T) {
	e := newTestEnv(t)
	e.chain.setManual()
	raw, _ := e.sign(issuer, deployMsg(gbppDraft()))
	b64 := base64.StdEncoding.EncodeToString(raw)
	for _, tc := range []struct {
		name, path, body, message string
	}{
		{"duplicate tx", "/v1/txs", `{"wait":false,"tx":"AA==","tx":"` + b64 + `"}`, `request body: duplicate key "tx"`},
		{"duplicate wait", "/v1/txs", `{"tx":"` + b64 + `","wait":true,"wait":false}`, `request body: duplicate key "wait"`},
		{"duplicate deep down", "/v1/txs", `{"tx":"` + b64 + `","x":[{"a":1,"a":2}]}`, `request body: duplicate key "a" in /x/0`},
		{"trailing object", "/v1/txs", `{"tx":"` + b64 + `","wait":false} {"tx":"AA=="}`, "request body: trailing data after the JSON object"},
		{"trailing garbage", "/v1/txs", `{"tx":"` + b64 + `","wait":false}garbage`, "request body: trailing data after the JSON object"},
		{"duplicate txs", "/v1/txs/batch", `{"txs":["AA=="],"txs":["` + b64 + `"]}`, `request body: duplicate key "txs"`},
		{"batch trailing data", "/v1/txs/batch", `{"txs":["` + b64 + `"]}]`, "request body: trailing data after the JSON object"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := e.do(http.MethodPost, tc.path, "application/json; charset=utf-8", strings.NewReader(tc.body))
			got := errorBody(t, status, body, http.StatusBadRequest, "BAD_REQUEST")
			if got.Code != CodeBadRequest || !strings.HasPrefix(got.Message, tc.message) {
				t.Errorf("error = %d %q, want %d %q", got.Code, got.Message, CodeBadRequest, tc.message)
			}
		})
	}
	e.chain.mu.Lock()
	n := len(e.chain.pending)
	e.chain.mu.Unlock()
	if n != 0 {
		t.Errorf("%d transactions admitted from refused bodies", n)
	}
	// The body said once, with whitespace after it, is taken.
	status, body := e.do(http.MethodPost, "/v1/txs/batch", "application/json", strings.NewReader(`{"txs":["`+b64+`"]}`+"\n\t "))
	if status != http.StatusOK {
		t.Fatalf("a strict batch body answered %d %s", status, body)
	}
}
