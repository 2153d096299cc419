package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
	"time"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/reserve"
)

// TestConsoleEndToEnd is the README's console steps against `peg up`: the
// banner names the console; alice signs in with peg console signin and the
// link it prints; a search by her phone number finds her account; and after
// the README's shortfall steps (900,000 minted, the demo bank's reserve
// account debited, the monitor attesting) the issuer's view shows AT_RISK
// with the episode on its chart.
func TestConsoleEndToEnd(t *testing.T) {
	home := t.TempDir()
	base := freeBasePort(t)
	up := startUp(t, home, base)
	defer up.stop(t)
	apiURL := fmt.Sprintf("http://127.0.0.1:%d", base+2)
	if want := "console    " + apiURL + "/console/"; !strings.Contains(up.stdout.String(), want) {
		t.Errorf("the banner does not say %q:\n%s", want, up.stdout)
	}

	code, _, errs := peg(t, home, "console", "signin")
	if code != exitUsage || !strings.Contains(errs, "--key NAME is needed") {
		t.Errorf("signin without --key: exit %d, %q", code, errs)
	}
	code, _, errs = peg(t, home, "console", "signin", "--key", "nobody")
	if code == exitOK || !strings.Contains(errs, "nobody") {
		t.Errorf("signin with an unknown key: exit %d, %q", code, errs)
	}
	var in signedIn
	if err := json.Unmarshal([]byte(mustPeg(t, home, "console", "signin", "--key", "alice", "-o", "json")), &in); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(in.URL, apiURL+"/console/signin/complete?token=") {
		t.Fatalf("sign-in link %q", in.URL)
	}
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	if page := fetch(t, browser, in.URL); !strings.Contains(page, `id="signed-in">`+in.Address) {
		t.Errorf("the sign-in link did not sign alice in: %.800s", page)
	}

	mustPeg(t, home, "token", "deploy", "--from", "issuer", "--file", "../../examples/gbpt.toml")
	api := client.New(apiURL)
	status := func() reserve.Status {
		tok, err := api.Token(context.Background(), "gbpt")
		if err != nil {
			t.Fatal(err)
		}
		return tok.Reserve.Status
	}
	const poll = 5 * time.Second
	eventually(t, 2*poll, "the first attestation", func() bool { return status() == reserve.OK })
	mustPeg(t, home, "token", "mint", "--from", "minter", "--token", "gbpt", "--to", "alice", "--amount", "900000")
	mustPeg(t, home, "bank", "account", "debit", "--bank", fmt.Sprintf("http://127.0.0.1:%d", base+4), "--account", "gbpt-reserve", "--amount", "200000")
	mustPeg(t, home, "reserve", "status", "gbpt", "--wait", "AT_RISK", "--timeout", "30s")
	// The status is the node's; the chart's episode is the index's, which
	// follows the chain a moment behind.
	want := []string{`id="reserve-status" class="status-AT_RISK">AT_RISK`, `data-status="AT_RISK"`, "800000"}
	var page string
	eventually(t, 60*time.Second, fmt.Sprintf("the issuer's view showing %q", want), func() bool {
		page = fetch(t, browser, apiURL+"/console/tokens/gbpt")
		for _, w := range want {
			if !strings.Contains(page, w) {
				return false
			}
		}
		return true
	})

	// The walkthrough binds alice's phone number; the console, served by the
	// node whose home holds the alias key, finds her by it.
	mustPeg(t, home, "alias", "register", "--from", "registrar", "--phone", "+44 7700 900123", "--to", "alice")
	if page := fetch(t, browser, apiURL+"/console/search?q=%2B447700900123"); !strings.Contains(page, `id="address">`+in.Address) {
		t.Errorf("a search by alice's phone number did not find her account: %.800s", page)
	}
}

// fetch GETs a console page with c and returns its body, which must be 200.
func fetch(t *testing.T, c *http.Client, url string) string {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: HTTP %d: %s", url, resp.StatusCode, b[bytes.Index(b, []byte("<main>")):])
	}
	return string(b)
}
