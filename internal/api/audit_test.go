package api

import (
	"bytes"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/state"
)

func TestAudit(t *testing.T) {
	e := newTestEnv(t)
	e.runScenario()
	a, err := e.client.Audit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	st, err := e.client.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := client.Audit{Height: 4, AppHash: st.AppHash, OK: true, Tokens: 1, Coins: 2, Spent: 1, Problems: []string{}}
	if !reflect.DeepEqual(*a, want) {
		t.Errorf("audit after the scenario = %+v, want %+v", *a, want)
	}

	// A record written behind the state machine's back: a coin marked spent
	// by a transaction that was never in a block.
	blk := e.chain.db.NewBlock()
	blk.Set(append([]byte("coin/"), bytes.Repeat([]byte{1}, 32)...), make([]byte, 32))
	if err := blk.Commit(e.chain.db.Height() + 1); err != nil {
		t.Fatal(err)
	}
	a, err = e.client.Audit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if a.OK || len(a.Problems) != 1 || !strings.Contains(a.Problems[0], "which has no receipt") || a.AppHashReplayed {
		t.Errorf("audit of a broken state = %+v, want one problem: a coin spent by a transaction without a receipt", *a)
	}
}

func TestAuditOneAtATime(t *testing.T) {
	e := newTestEnv(t)
	for range MaxConcurrentAudits {
		auditSlots <- struct{}{}
	}
	status, body := e.get("/v1/audit")
	for range MaxConcurrentAudits {
		<-auditSlots
	}
	errorBody(t, status, body, http.StatusServiceUnavailable, "UNAVAILABLE")
}

// TestAuditLimits pins the limits the document states to the constants.
func TestAuditLimits(t *testing.T) {
	if client.MaxAuditProblems != state.MaxAuditProblems {
		t.Errorf("client.MaxAuditProblems = %d, state.MaxAuditProblems = %d", client.MaxAuditProblems, state.MaxAuditProblems)
	}
	op := spec().Paths.Value("/v1/audit").Get
	schema := op.Responses.Value("200").Value.Content.Get("application/json").Schema.Value
	if got := schema.Properties["problems"].Value.MaxItems; got == nil || *got != state.MaxAuditProblems {
		t.Errorf("audit problems maxItems = %v, want MaxAuditProblems (%d)", got, state.MaxAuditProblems)
	}
	for _, want := range []string{
		fmt.Sprintf("MaxAuditProblems (%d)", state.MaxAuditProblems),
		fmt.Sprintf("MaxConcurrentAudits (%d)", MaxConcurrentAudits),
	} {
		if !strings.Contains(op.Description, want) {
			t.Errorf("the description of GET /v1/audit does not say %q", want)
		}
	}
}
