package aliaskey

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestCreateRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	k, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	got, err := Read(path)
	if err != nil || got != k {
		t.Fatalf("Read = %x %v, want %x", got, err, k)
	}
	if _, err := Create(path); !errors.Is(err, ErrExists) {
		t.Errorf("second Create = %v, want ErrExists", err)
	}
	if again, _ := Read(path); again != k {
		t.Error("the second Create replaced the key")
	}
	e, created, err := Ensure(path)
	if err != nil || created || e != k {
		t.Errorf("Ensure of an existing key = %x %v %v, want the key, not created", e, created, err)
	}
	other := filepath.Join(t.TempDir(), FileName)
	e, created, err = Ensure(other)
	if err != nil || !created || e == k {
		t.Errorf("Ensure of a missing key = %x %v %v, want a new key, created", e, created, err)
	}
}

func TestReadRefuses(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name, content string
		mode          os.FileMode
		why           string
	}{
		{"short", "abcd\n", 0o600, "want 64 hex digits"},
		{"not hex", strings.Repeat("zz", 32) + "\n", 0o600, "not hex"},
		{"long", strings.Repeat("ab", 33) + "\n", 0o600, "want 64 hex digits"},
		{"readable by others", strings.Repeat("ab", 32) + "\n", 0o644, "chmod 600"},
	} {
		if c.mode&0o077 != 0 && runtime.GOOS == "windows" {
			continue
		}
		path := filepath.Join(dir, c.name)
		if err := os.WriteFile(path, []byte(c.content), c.mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, c.mode); err != nil {
			t.Fatal(err)
		}
		if _, err := Read(path); err == nil || !strings.Contains(err.Error(), c.why) {
			t.Errorf("%s: Read = %v, want an error saying %q", c.name, err, c.why)
		}
	}
	if _, err := Read(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Read of a missing file = %v, want not exist", err)
	}
}
