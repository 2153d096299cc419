package node

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/state"
)

// TestInitRegions: each region's genesis has its own chain id and validator
// and records the whole network, every region's validator as the region's
// own genesis lists it; a home that already holds a node is refused before
// anything is written.
func TestInitRegions(t *testing.T) {
	dir := t.TempDir()
	regions := []RegionHome{
		{Home: filepath.Join(dir, "gb"), Config: DefaultConfig("peg-gb", "GB", 40000), Genesis: testGenesis(t)},
		{Home: filepath.Join(dir, "hk"), Config: DefaultConfig("peg-hk", "HK", 40010), Genesis: testGenesis(t)},
	}
	net, err := InitRegions(regions)
	if err != nil {
		t.Fatal(err)
	}
	if len(net) != 2 || net[0].Region != "GB" || net[1].ChainID != "peg-hk" {
		t.Fatalf("network %+v, want GB and HK", net)
	}
	for i, r := range regions {
		doc, err := cmttypes.GenesisDocFromFile(filepath.Join(r.Home, GenesisFile))
		if err != nil {
			t.Fatal(err)
		}
		if doc.ChainID != r.Config.ChainID || len(doc.Validators) != 1 || !bytes.Equal(doc.Validators[0].PubKey.Bytes(), net[i].Validators[0].PubKey) {
			t.Errorf("%s: chain %s, validators %v; want %s and the network's validator", r.Config.Region, doc.ChainID, doc.Validators, r.Config.ChainID)
		}
		var g state.Genesis
		dec := json.NewDecoder(bytes.NewReader(doc.AppState))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&g); err != nil {
			t.Fatal(err)
		}
		if len(g.Network) != 2 || g.CheckMember(r.Config.ChainID, ledger.Region(r.Config.Region)) != nil {
			t.Errorf("%s: genesis network %+v", r.Config.Region, g.Network)
		}
	}

	again := []RegionHome{
		{Home: filepath.Join(dir, "sg"), Config: DefaultConfig("peg-sg", "SG", 40020), Genesis: testGenesis(t)},
		regions[1],
	}
	if _, err := InitRegions(again); err == nil || !strings.Contains(err.Error(), "already holds a node") {
		t.Errorf("InitRegions over HK's home: %v, want a refusal", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "sg")); !os.IsNotExist(err) {
		t.Errorf("the refused InitRegions wrote %s (%v)", filepath.Join(dir, "sg"), err)
	}
}

// TestSetGenesisNetwork: a node written alone gets the network in its
// genesis before it starts, if the network lists it with its own chain id
// and validators, and then starts with it; once started, its genesis is
// fixed.
func TestSetGenesisNetwork(t *testing.T) {
	home := nodeHome(t)
	cfg := DefaultConfig("peg-gb", "GB", replayFreeBase(t))
	cfg.Log.Level = "error"
	if err := Init(home, cfg, testGenesis(t)); err != nil {
		t.Fatal(err)
	}
	doc, err := cmttypes.GenesisDocFromFile(filepath.Join(home, GenesisFile))
	if err != nil {
		t.Fatal(err)
	}
	own := []state.Validator{{PubKey: doc.Validators[0].PubKey.Bytes(), Power: doc.Validators[0].Power}}
	other := []state.Validator{{PubKey: bytes.Repeat([]byte{7}, 32), Power: 10}}
	hk := state.NetworkRegion{Region: "HK", ChainID: "peg-hk", Validators: other}
	for _, tc := range []struct {
		name    string
		network []state.NetworkRegion
		want    string
	}{
		{"not a member", []state.NetworkRegion{hk}, "has no region GB"},
		{"other validators", []state.NetworkRegion{{Region: "GB", ChainID: "peg-gb", Validators: other}, hk}, "validators other than its genesis's"},
		{"invalid", []state.NetworkRegion{{Region: "GB", ChainID: "peg-gb", Validators: own}, {Region: "HK", ChainID: "peg-gb", Validators: other}}, "another region's"},
	} {
		if err := SetGenesisNetwork(home, tc.network); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error saying %q", tc.name, err, tc.want)
		}
	}
	network := []state.NetworkRegion{{Region: "GB", ChainID: "peg-gb", Validators: own}, hk}
	if err := SetGenesisNetwork(home, network); err != nil {
		t.Fatal(err)
	}
	n, err := Start(home, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	g, err := state.LoadGenesis(n.db)
	n.Stop()
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Network) != 2 || g.Network[1].ChainID != "peg-hk" {
		t.Errorf("the started chain's genesis network: %+v", g.Network)
	}
	if err := SetGenesisNetwork(home, network); err == nil || !strings.Contains(err.Error(), "has started") {
		t.Errorf("after the start: %v, want a refusal", err)
	}
}
