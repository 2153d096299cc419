package api

import (
	"net/http"
	"time"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/state"
)

// alias answers GET /v1/aliases/{hash}: the address a phone or ID number's
// keyed hash is bound to, or 404 ALIAS_UNKNOWN. The API never sees the
// number: the client hashes it with the alias key.
func (s *server) alias(w http.ResponseWriter, r *http.Request) error {
	h, err := ledger.ParseAliasHash(r.PathValue("hash"))
	if err != nil {
		return badRequest("hash: %v", err)
	}
	snap := s.chain.Snapshot()
	defer snap.Close()
	a := state.AliasByHash(snap, h)
	if a == nil {
		return rejection(ledger.CodeAliasUnknown, "no address is bound to alias "+h.String()+" on this chain (region "+string(s.chain.Region())+")")
	}
	writeJSON(w, http.StatusOK, client.Alias{
		Hash: h, Address: a.Address, Region: a.Address.Region(), Registrar: a.Registrar,
		Height: a.Height, Since: time.Unix(0, a.Time).UTC(), Tx: a.Tx,
	})
	return nil
}

// registrars answers GET /v1/registrars: the addresses that may bind and
// revoke aliases.
func (s *server) registrars(w http.ResponseWriter, r *http.Request) error {
	snap := s.chain.Snapshot()
	defer snap.Close()
	regs, err := state.Registrars(snap)
	if err != nil {
		return err
	}
	if regs == nil {
		regs = []ledger.Address{}
	}
	writeJSON(w, http.StatusOK, client.Registrars{Height: snap.Height, Registrars: regs})
	return nil
}
