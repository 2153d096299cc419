package node

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestIndexConfig: [index] database names the index the API serves, an
// SQLite file relative to the home or a postgres:// URL; a file written
// before the setting existed has none; an unknown key in the section, or a
// URL of another database, is refused.
func TestIndexConfig(t *testing.T) {
	home := t.TempDir()
	path := filepath.Join(home, ConfigFile)
	cfg := DefaultConfig("ix", "GB", 32000)
	if err := writeConfig(home, cfg); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	old := strings.Replace(string(b), "[index]", "", 1)
	old = strings.Replace(old, "database = ''", "", 1)
	for _, tc := range []struct {
		name, text, want, err string
	}{
		{"none", string(b), "", ""},
		{"written before", old, "", ""},
		{"file", strings.Replace(string(b), "database = ''", "database = 'index.db'", 1), filepath.Join(home, "index.db"), ""},
		{"absolute", strings.Replace(string(b), "database = ''", "database = '/var/peg/ix.db'", 1), "/var/peg/ix.db", ""},
		{"postgres", strings.Replace(string(b), "database = ''", "database = 'postgres://u@h/db'", 1), "postgres://u@h/db", ""},
		{"mysql", strings.Replace(string(b), "database = ''", "database = 'mysql://u@h/db'", 1), "", "index.database"},
		{"unknown key", strings.Replace(string(b), "database = ''", "database = ''\nreaders = 3", 1), "", "strict mode"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.WriteFile(path, []byte(tc.text), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := LoadConfig(home)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("LoadConfig: %v, want an error naming %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if w := got.IndexDatabase(home); w != tc.want {
				t.Errorf("IndexDatabase = %q, want %q", w, tc.want)
			}
		})
	}
}

// TestTestnetIndexNode0: a testnet's template index is node0's only.
func TestTestnetIndexNode0(t *testing.T) {
	tn := testnetOf(2, 1, 30100, 6)
	tn.Template.Index.Database = DefaultIndexFile
	nodes, err := InitTestnet(t.TempDir(), tn, testGenesis(t))
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range nodes {
		cfg, err := LoadConfig(n.Home)
		if err != nil {
			t.Fatal(err)
		}
		want := ""
		if i == 0 {
			want = filepath.Join(n.Home, DefaultIndexFile)
		}
		if got := cfg.IndexDatabase(n.Home); got != want {
			t.Errorf("node%d's index %q, want %q", i, got, want)
		}
	}
}
