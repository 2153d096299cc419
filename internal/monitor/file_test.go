package monitor

import (
	"crypto/ed25519"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pegledger/peg/internal/ledger"
)

func TestExampleFileLoads(t *testing.T) {
	f, err := LoadFile("../../examples/monitor.toml")
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Watches) != 1 || f.Watches[0].OpenBanking == nil || f.Watches[0].MaxReadsPerDay != 4 {
		t.Fatalf("loaded %+v", f)
	}
	if d, err := f.Follow(); err != nil || d.Seconds() != 5 {
		t.Errorf("follow interval = %v, %v", d, err)
	}
	t.Setenv("PEG_WEBHOOK_SECRET", "")
	if _, err := f.Hooks(); err == nil {
		t.Error("a webhook without its secret in the environment was accepted")
	}
}

func TestFileWatchCamt(t *testing.T) {
	dir := t.TempDir()
	conf := `follow_interval = "1s"
failure_alert_after = 2
metrics_listen = "127.0.0.1:0"
[[watch]]
token = "gbpt"
attestor_key = "attestor"
fiat_account = "GB81PEGD20041531926819"
interval = "1m"
jitter = "5s"
timeout = "5s"
max_reads_per_day = 100
backoff_max = "10m"
[watch.camt]
dir = "` + dir + `"
account = "GB81PEGD20041531926819"
currency = "GBP"
`
	path := filepath.Join(dir, "m.toml")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	priv := ed25519.NewKeyFromSeed(make([]byte, 32))
	key := func(string) (ledger.Region, []byte, error) { return "GB", priv, nil }
	w, err := f.Watch(0, key, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if w.Token != "gbpt" || w.Interval.Minutes() != 1 || w.Connector == nil {
		t.Errorf("watch %+v", w)
	}

	for name, bad := range map[string]string{
		"two connectors": strings.Replace(conf, "[watch.camt]", "[watch.berlingroup]\nbase_url = \"https://x\"\n[watch.camt]", 1),
		"bad duration":   strings.Replace(conf, `interval = "1m"`, `interval = "daily"`, 1),
		"unknown key":    conf + "colour = \"red\"\n",
		"jitter too big": strings.Replace(conf, `jitter = "5s"`, `jitter = "2m"`, 1),
	} {
		if err := os.WriteFile(path, []byte(bad), 0o600); err != nil {
			t.Fatal(err)
		}
		f, err := LoadFile(path)
		if err == nil {
			_, err = f.Watch(0, key, slog.New(slog.DiscardHandler))
		}
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
