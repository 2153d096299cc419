package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/region"
	"github.com/pegledger/peg/internal/tx/txpb"
)

// TestAliases binds a phone number's hash through the API, reads it back,
// lists the registrars, and revokes it: the answers are those of
// openapi.yaml (checkResponses), a missing alias is 404 ALIAS_UNKNOWN and a
// malformed hash 400.
func TestAliases(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	registrar := newKey(20)
	var key region.Key
	key[0] = 7
	v, err := region.ParsePhone("+44 7700 900123")
	if err != nil {
		t.Fatal(err)
	}
	h := region.Hash(key, v)

	regs, err := e.client.Registrars(ctx)
	if err != nil || len(regs.Registrars) != 0 {
		t.Fatalf("Registrars before any = %+v %v, want none", regs, err)
	}
	if _, err := e.client.Alias(ctx, h); !isAPIError(err, http.StatusNotFound, "ALIAS_UNKNOWN") {
		t.Fatalf("Alias before any = %v, want 404 ALIAS_UNKNOWN", err)
	}

	raw, _ := e.sign(operator, func(b *txpb.Body) {
		b.Msg = &txpb.Body_SetRegistrar{SetRegistrar: &txpb.SetRegistrar{Registrar: registrar.addr.String()}}
	})
	e.submit(raw)
	raw, id := e.sign(registrar, func(b *txpb.Body) {
		b.Msg = &txpb.Body_AliasRegister{AliasRegister: &txpb.AliasRegister{Hash: h[:], Account: alice.addr.String()}}
	})
	rc := e.submit(raw)

	regs, err = e.client.Registrars(ctx)
	if err != nil || len(regs.Registrars) != 1 || regs.Registrars[0] != registrar.addr {
		t.Fatalf("Registrars = %+v %v, want %s", regs, err, registrar.addr)
	}
	a, err := e.client.Alias(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	want := client.Alias{Hash: h, Address: alice.addr, Region: testRegion, Registrar: registrar.addr,
		Height: rc.Height, Since: a.Since, Tx: id}
	if *a != want || a.Since.IsZero() {
		t.Errorf("Alias = %+v, want %+v", *a, want)
	}

	raw, _ = e.sign(registrar, func(b *txpb.Body) {
		b.Msg = &txpb.Body_AliasRevoke{AliasRevoke: &txpb.AliasRevoke{Hash: h[:]}}
	})
	e.submit(raw)
	if _, err := e.client.Alias(ctx, h); !isAPIError(err, http.StatusNotFound, "ALIAS_UNKNOWN") {
		t.Errorf("Alias after revoke = %v, want 404 ALIAS_UNKNOWN", err)
	}

	for _, bad := range []string{"00ff", "zz" + h.String()[2:]} {
		resp, err := http.Get(e.srv.URL + "/v1/aliases/" + bad)
		if err != nil {
			t.Fatal(err)
		}
		var body client.APIError
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusBadRequest || body.Name != "BAD_REQUEST" {
			t.Errorf("GET /v1/aliases/%s = %d %+v %v, want 400 BAD_REQUEST", bad, resp.StatusCode, body, err)
		}
	}
}

func isAPIError(err error, status int, name string) bool {
	var ae *client.APIError
	return errors.As(err, &ae) && ae.Status == status && ae.Name == name
}
