package api

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/pegledger/peg/internal/tx"
)

// TestRoutesMatchSpec holds the muxes and openapi.yaml to each other: every
// registered route is a documented operation, every documented operation is
// registered, and the muxes send a request for each operation to its route.
func TestRoutesMatchSpec(t *testing.T) {
	rt := newServer(nil, testGenesis(), nil, DefaultWait).mux()
	registered := slices.Sorted(slices.Values(rt.patterns))
	if len(registered) != len(slices.Compact(slices.Clone(registered))) {
		t.Errorf("a pattern is registered twice: %v", registered)
	}

	var documented []string
	for path, item := range spec().Paths.Map() {
		for method := range item.Operations() {
			documented = append(documented, method+" "+path)
		}
	}
	slices.Sort(documented)

	for _, p := range registered {
		if !slices.Contains(documented, p) {
			t.Errorf("route %s is registered but not in openapi.yaml", p)
		}
	}
	for _, op := range documented {
		if !slices.Contains(registered, op) {
			t.Errorf("operation %s is in openapi.yaml but not registered", op)
		}
	}

	// Fill each path parameter with a sample and ask the mux which route it
	// takes: a documented path must reach the pattern of the same name.
	param := regexp.MustCompile(`\{[^}]+\}`)
	for _, op := range documented {
		method, path, _ := strings.Cut(op, " ")
		req := httptest.NewRequest(method, param.ReplaceAllString(path, "sample"), nil)
		mux := rt.outer
		if strings.HasPrefix(path, "/v1/") {
			mux = rt.v1
		}
		if _, got := mux.Handler(req); got != op {
			t.Errorf("%s %s is routed to %q, want %q", method, req.URL.Path, got, op)
		}
	}
}

// TestSpecParameters checks that the path parameter names of each documented
// path match its route's wildcards, which the handlers read with PathValue.
func TestSpecParameters(t *testing.T) {
	for path, item := range spec().Paths.Map() {
		for method, op := range item.Operations() {
			var names []string
			for _, p := range op.Parameters {
				if p.Value.In == "path" {
					names = append(names, p.Value.Name)
				}
			}
			var want []string
			for _, m := range regexp.MustCompile(`\{([^}]+)\}`).FindAllStringSubmatch(path, -1) {
				want = append(want, m[1])
			}
			slices.Sort(names)
			slices.Sort(want)
			if !slices.Equal(names, want) {
				t.Errorf("%s %s declares path parameters %v, its path has %v", method, path, names, want)
			}
		}
	}
}

// TestSpecLimits pins the limits the document states to the constants the
// code enforces.
func TestSpecLimits(t *testing.T) {
	for _, tc := range []struct {
		path, list, items string
		max, def          int
	}{
		{"/v1/accounts/{address}/coins", "CoinList", "coins", MaxCoinsPage, DefaultCoinsPage},
		{"/v1/tokens/{id}/attestations", "AttestationList", "attestations", MaxAttestationsPage, DefaultAttestationsPage},
	} {
		var limit *openapi3.Parameter
		for _, p := range spec().Paths.Value(tc.path).Get.Parameters {
			if p.Value.Name == "limit" {
				limit = p.Value
			}
		}
		if limit == nil {
			t.Fatalf("%s has no limit parameter", tc.path)
		}
		s := limit.Schema.Value
		if s.Max == nil || *s.Max != float64(tc.max) || s.Default != float64(tc.def) {
			t.Errorf("%s limit parameter: maximum %v default %v, want %d and %d", tc.path, s.Max, s.Default, tc.max, tc.def)
		}
		if got := *spec().Components.Schemas[tc.list].Value.Properties[tc.items].Value.MaxItems; got != uint64(tc.max) {
			t.Errorf("%s maxItems = %d, want %d", tc.list, got, tc.max)
		}
	}
	events := spec().Paths.Value("/v1/events").Get.Description
	for _, want := range []string{
		fmt.Sprintf("MaxEventReplay (%d)", MaxEventReplay),
		fmt.Sprintf("MaxEventBuffer (%d)", MaxEventBuffer),
		fmt.Sprintf("every %d s", int(KeepAlive/time.Second)),
	} {
		if !strings.Contains(events, want) {
			t.Errorf("the description of GET /v1/events does not say %q", want)
		}
	}
	for _, f := range []struct{ schema, prop string }{{"Reserve", "coverage"}, {"ReserveReport", "min_coverage"}} {
		if got := spec().Components.Schemas[f.schema].Value.Properties[f.prop].Value.Pattern; !strings.Contains(got, fmt.Sprintf("{%d}", CoverageDecimals)) {
			t.Errorf("%s.%s pattern %q does not have CoverageDecimals (%d) places", f.schema, f.prop, got, CoverageDecimals)
		}
	}
	report := spec().Components.Schemas["ReserveReport"].Value.Properties["attestations"].Value
	if report.MaxItems == nil || *report.MaxItems != MaxReportAttestations {
		t.Errorf("ReserveReport.attestations maxItems = %v, want MaxReportAttestations (%d)", report.MaxItems, MaxReportAttestations)
	}
	if d, want := spec().Paths.Value("/v1/tokens/{id}/reports/{month}").Get.Description, fmt.Sprintf("MaxReportAttestations (%d)", MaxReportAttestations); !strings.Contains(d, want) {
		t.Errorf("the description of GET /v1/tokens/{id}/reports/{month} does not say %q", want)
	}
	// The decoder, not the schema, bounds a transaction (TX_TOO_LARGE), and
	// the document says where the limits are.
	txSchema := spec().Components.Schemas["SubmitRequest"].Value.Properties["tx"].Value
	if txSchema.MaxLength != nil {
		t.Errorf("SubmitRequest.tx maxLength = %d, want none: the decoder's TX_TOO_LARGE answers for size", *txSchema.MaxLength)
	}
	for _, want := range []string{fmt.Sprintf("%d KiB (MaxTxSize)", tx.MaxTxSize>>10), fmt.Sprintf("%d KiB", MaxRequestBody>>10)} {
		if !strings.Contains(txSchema.Description, want) {
			t.Errorf("the description of SubmitRequest.tx does not say %q", want)
		}
	}
	if base64.StdEncoding.EncodedLen(tx.MaxTxSize)+100 > MaxRequestBody {
		t.Errorf("MaxRequestBody %d does not hold a transaction of tx.MaxTxSize", MaxRequestBody)
	}
}

func TestOutsideTheAPI(t *testing.T) {
	e := newTestEnv(t)
	for _, path := range []string{"/v1", "/v2/status", "/favicon.ico", "/index.html"} {
		status, body := e.get(path)
		errorBody(t, status, body, http.StatusNotFound, "NOT_FOUND")
	}
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Get(e.srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("Location"); resp.StatusCode != http.StatusFound || got != "/console/" {
		t.Errorf("GET / answered %d to %q, want 302 to /console/", resp.StatusCode, got)
	}
}
