package demobank

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestFaultInjection(t *testing.T) {
	tb := startBank(t, "", Options{})
	ctx := context.Background()
	tb.mustCreate(t, "r1", "GBP")
	tb.mustPost(t, "r1", Credit, "10")
	tok := tb.token(t)
	set := func(v FaultView) {
		t.Helper()
		got, err := tb.admin.SetFault(ctx, v)
		if err != nil {
			t.Fatal(err)
		}
		if now, err := tb.admin.Fault(ctx); err != nil || now != got {
			t.Fatalf("GET /admin/fault = %+v, %v; want %+v", now, err, got)
		}
	}

	set(FaultView{Mode: FaultError})
	resp, body := tb.get(t, "/accounts/r1/balances", tok)
	if resp.StatusCode != http.StatusInternalServerError || obErrorCode(t, body) != "UK.OBIE.UnexpectedError" {
		t.Fatalf("error mode: got %s %s", resp.Status, body)
	}
	if tb.token(t) == "" { // the token endpoint is spared unless asked
		t.Fatal("no token")
	}

	set(FaultView{Mode: FaultGarbage})
	resp, body = tb.get(t, "/accounts/r1/balances", tok)
	var v any
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &v) == nil {
		t.Fatalf("garbage mode: got %s and a body that parses: %s", resp.Status, body)
	}

	set(FaultView{Mode: FaultError, IncludeToken: true})
	req, _ := http.NewRequest(http.MethodPost, tb.obURL+TokenPath, strings.NewReader("grant_type=client_credentials"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(tb.Credentials().ClientID, tb.Credentials().ClientSecret)
	if resp, body := tb.do(t, req); resp.StatusCode != http.StatusInternalServerError {
		t.Fatalf("error mode with token: got %s %s", resp.Status, body)
	}

	// A delay longer than the client waits: the client gives up.
	set(FaultView{Mode: FaultNone, Delay: "1m"})
	impatient := &http.Client{Transport: tb.ob.Transport, Timeout: 50 * time.Millisecond}
	req, _ = http.NewRequest(http.MethodGet, tb.obURL+OBBasePath+"/accounts/r1/balances", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set(headerFinancialID, tb.Credentials().FinancialID)
	if resp, err := impatient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("delay: got %s before the delay passed", resp.Status)
	}

	// A short delay is waited out and then answered normally.
	set(FaultView{Mode: FaultNone, Delay: "10ms"})
	if bals := tb.balances(t, "r1"); bals[BalanceInterimAvailable].Amount.Amount != "10.00" {
		t.Fatalf("short delay: %+v", bals)
	}

	set(FaultView{Mode: FaultNone})
	if bals := tb.balances(t, "r1"); bals[BalanceInterimAvailable].Amount.Amount != "10.00" {
		t.Fatalf("back to normal: %+v", bals)
	}

	for _, bad := range []FaultView{{Mode: "flaky"}, {Mode: FaultNone, Delay: "-1s"}, {Mode: FaultNone, Delay: "3h"}, {Mode: FaultNone, Delay: "soon"}} {
		if _, err := tb.admin.SetFault(ctx, bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("SetFault(%+v): got %v, want ErrInvalid", bad, err)
		}
	}
}

// TestCloseEndsDelays checks that a bank stuck in an injected delay still
// closes at once.
func TestCloseEndsDelays(t *testing.T) {
	tb := startBank(t, "", Options{})
	tok := tb.token(t)
	if err := tb.SetFault(Fault{Mode: FaultNone, Delay: time.Minute}); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		req, _ := http.NewRequest(http.MethodGet, tb.obURL+OBBasePath+"/accounts", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		if resp, err := tb.ob.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	time.Sleep(20 * time.Millisecond) // let the request reach the delay; the test passes either way
	tb.close(t)
	<-done
}
