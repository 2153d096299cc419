package keyring

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/pegledger/peg/internal/ledger"
)

// cheapKDF keeps the suite fast; TestDefaultParams covers the real cost.
var cheapKDF = kdfParams{Time: 1, MemoryKiB: 64, Threads: 1, KeyLen: 32}

var pass = []byte("correct horse battery staple")

// openCheap opens a keyring in a temporary directory that seals new keys with
// cheapKDF.
func openCheap(t *testing.T) *Keyring {
	t.Helper()
	k, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	k.kdf = cheapKDF
	return k
}

func mustAdd(t *testing.T, k *Keyring, name string, region ledger.Region, passphrase []byte) Key {
	t.Helper()
	key, err := k.Add(name, region, passphrase)
	if err != nil {
		t.Fatalf("Add(%q): %v", name, err)
	}
	return key
}

// readFile parses name's file as stored.
func readFile(t *testing.T, k *Keyring, name string) *keyFile {
	t.Helper()
	data, err := os.ReadFile(k.path(name))
	if err != nil {
		t.Fatal(err)
	}
	f, err := parseFile(data)
	if err != nil {
		t.Fatalf("parseFile(%s): %v", name, err)
	}
	return f
}

// writeFile stores f under name without any validation, as an attacker would.
func writeFile(t *testing.T, k *Keyring, name string, f *keyFile) {
	t.Helper()
	data, err := jsonIndent(f)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(k.path(name), data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func signVerifies(t *testing.T, priv ed25519.PrivateKey, pub ed25519.PublicKey) {
	t.Helper()
	msg := []byte("pay 10.00 usdp to bob")
	if !ed25519.Verify(pub, msg, ed25519.Sign(priv, msg)) {
		t.Fatal("signature by the private key does not verify under the stored public key")
	}
}

func TestRoundTrip(t *testing.T) {
	k := openCheap(t)
	tests := []struct {
		name   string
		region ledger.Region
	}{
		{"treasury", "GB"},
		{"alice", "CN-SH"},
		{"a-b_9", "US"},
	}
	for _, tt := range tests {
		added := mustAdd(t, k, tt.name, tt.region, pass)
		if added.Name != tt.name || added.Region != tt.region || added.Insecure {
			t.Errorf("Add(%q) = %+v, want name %q region %q secure", tt.name, added, tt.name, tt.region)
		}
		if got, want := added.Address, ledger.NewAddress(tt.region, added.Public); got != want {
			t.Errorf("Add(%q).Address = %v, want %v", tt.name, got, want)
		}
		got, err := k.Get(tt.name)
		if err != nil {
			t.Fatalf("Get(%q): %v", tt.name, err)
		}
		if !sameKey(got, added) {
			t.Errorf("Get(%q) = %+v, want %+v", tt.name, got, added)
		}
		priv, err := k.PrivateKey(tt.name, pass)
		if err != nil {
			t.Fatalf("PrivateKey(%q): %v", tt.name, err)
		}
		signVerifies(t, priv, got.Public)
		fi, err := os.Stat(k.path(tt.name))
		if err != nil {
			t.Fatal(err)
		}
		if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", fi.Name(), fi.Mode().Perm())
		}
	}
	list, err := k.List()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, key := range list {
		names = append(names, key.Name)
	}
	if got, want := strings.Join(names, ","), "a-b_9,alice,treasury"; got != want {
		t.Errorf("List names = %s, want %s", got, want)
	}
	entries, err := os.ReadDir(k.Dir())
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(tests) {
		t.Errorf("directory has %d entries, want %d (temp files left behind?)", len(entries), len(tests))
	}
}

func sameKey(a, b Key) bool {
	return a.Name == b.Name && a.Region == b.Region && a.Address == b.Address &&
		a.Public.Equal(b.Public) && a.Created.Equal(b.Created) && a.Insecure == b.Insecure
}

// TestDefaultParams runs the real argon2id cost once, so that the defaults are
// known to pass the limits a reader applies.
func TestDefaultParams(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "home", "keyring")
	k, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" {
		fi, err := os.Stat(dir)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o700 {
			t.Errorf("Open created %s with mode %v, want 0700", dir, fi.Mode().Perm())
		}
	}
	key := mustAdd(t, k, "prod", "GB", pass)
	f := readFile(t, k, "prod")
	want := kdfParams{Time: 3, MemoryKiB: 64 << 10, Threads: 4, KeyLen: 32}
	if f.KDF.kdfParams != want || len(f.KDF.Salt) != 16 || len(f.Cipher.Nonce) != 24 {
		t.Errorf("file kdf = %+v, nonce %d bytes; want %+v, 16-byte salt, 24-byte nonce", f.KDF, len(f.Cipher.Nonce), want)
	}
	priv, err := k.PrivateKey("prod", pass)
	if err != nil {
		t.Fatal(err)
	}
	signVerifies(t, priv, key.Public)
	if _, err := k.PrivateKey("prod", []byte("wrong")); !errors.Is(err, ErrWrongPassphrase) {
		t.Errorf("PrivateKey with wrong passphrase: got %v, want ErrWrongPassphrase", err)
	}
}

func TestWrongPassphrase(t *testing.T) {
	tests := []struct {
		name       string
		passphrase []byte
		try        []byte
	}{
		{"different", pass, []byte("correct horse battery stapler")},
		{"empty", pass, nil},
		{"trailing space", pass, append(bytes.Clone(pass), ' ')},
		{"case", pass, bytes.ToUpper(pass)},
		{"insecure key, any passphrase", nil, []byte("x")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := openCheap(t)
			mustAdd(t, k, "alice", "GB", tt.passphrase)
			priv, err := k.PrivateKey("alice", tt.try)
			if !errors.Is(err, ErrWrongPassphrase) {
				t.Fatalf("PrivateKey: got %v, want ErrWrongPassphrase", err)
			}
			if priv != nil {
				t.Errorf("PrivateKey returned a key with its error")
			}
			if !strings.HasPrefix(err.Error(), "keyring: ") || !strings.Contains(err.Error(), `"alice"`) {
				t.Errorf("error %q should start with keyring: and name the key", err)
			}
		})
	}
}

// TestTampered alters a stored file the ways an attacker with write access to
// the directory could, and checks that none of them yields a private key.
func TestTampered(t *testing.T) {
	other := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
	otherPub := other.Public().(ed25519.PublicKey)
	tests := []struct {
		name    string
		store   string // file name to store the altered file under
		mutate  func(t *testing.T, f *keyFile)
		getErr  error // want from Get; nil if Get should succeed
		privErr error // want from PrivateKey when Get succeeds
	}{
		{"ciphertext bit flipped", "alice", func(t *testing.T, f *keyFile) { f.Cipher.Ciphertext[3] ^= 1 }, nil, ErrWrongPassphrase},
		{"tag bit flipped", "alice", func(t *testing.T, f *keyFile) { f.Cipher.Ciphertext[40] ^= 0x80 }, nil, ErrWrongPassphrase},
		{"nonce bit flipped", "alice", func(t *testing.T, f *keyFile) { f.Cipher.Nonce[0] ^= 1 }, nil, ErrWrongPassphrase},
		{"salt bit flipped", "alice", func(t *testing.T, f *keyFile) { f.KDF.Salt[0] ^= 1 }, nil, ErrWrongPassphrase},
		{"kdf time changed", "alice", func(t *testing.T, f *keyFile) { f.KDF.Time++ }, nil, ErrWrongPassphrase},
		{"insecure flag set", "alice", func(t *testing.T, f *keyFile) { f.Insecure = true }, nil, ErrWrongPassphrase},
		{"renamed with its header", "mallory", func(t *testing.T, f *keyFile) { f.Name = "mallory" }, nil, ErrWrongPassphrase},
		{"header name differs from file name", "alice", func(t *testing.T, f *keyFile) { f.Name = "mallory" }, errInvalidFile, nil},
		{"region moved with address", "alice", func(t *testing.T, f *keyFile) {
			f.Region = "FR"
			f.Address = ledger.NewAddress("FR", f.Public)
		}, nil, ErrWrongPassphrase},
		{"region moved without address", "alice", func(t *testing.T, f *keyFile) { f.Region = "FR" }, errInvalidFile, nil},
		{"address of another key", "alice", func(t *testing.T, f *keyFile) { f.Address = ledger.NewAddress("GB", otherPub) }, errInvalidFile, nil},
		{"public key of another key", "alice", func(t *testing.T, f *keyFile) { f.Public = otherPub }, errInvalidFile, nil},
		{"header of another key", "alice", func(t *testing.T, f *keyFile) {
			f.Public = otherPub
			f.Address = ledger.NewAddress("GB", otherPub)
		}, nil, ErrWrongPassphrase},
		{"another seed sealed under this header", "alice", func(t *testing.T, f *keyFile) {
			aead, err := newAEAD(&f.KDF, pass)
			if err != nil {
				t.Fatal(err)
			}
			ad := associatedData(f.Version, f.Name, f.Address, f.Insecure)
			f.Cipher.Ciphertext = aead.Seal(nil, f.Cipher.Nonce, other.Seed(), ad)
		}, nil, errInvalidFile},
		{"public key truncated", "alice", func(t *testing.T, f *keyFile) { f.Public = f.Public[:31] }, errInvalidFile, nil},
		{"newer version", "alice", func(t *testing.T, f *keyFile) { f.Version = 2 }, errInvalidFile, nil},
		{"hostile memory", "alice", func(t *testing.T, f *keyFile) { f.KDF.MemoryKiB = 4 << 20 }, errInvalidFile, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := openCheap(t)
			mustAdd(t, k, "alice", "GB", pass)
			f := readFile(t, k, "alice")
			tt.mutate(t, f)
			if tt.store != "alice" {
				if err := os.Remove(k.path("alice")); err != nil {
					t.Fatal(err)
				}
			}
			writeFile(t, k, tt.store, f)
			_, err := k.Get(tt.store)
			if !errors.Is(err, tt.getErr) {
				t.Fatalf("Get: got %v, want %v", err, tt.getErr)
			}
			priv, err := k.PrivateKey(tt.store, pass)
			want := tt.privErr
			if tt.getErr != nil {
				want = tt.getErr
			}
			if !errors.Is(err, want) || priv != nil {
				t.Fatalf("PrivateKey: got key %v, error %v; want no key, %v", priv != nil, err, want)
			}
			t.Log(err)
		})
	}
}

func TestExists(t *testing.T) {
	seed := bytes.Repeat([]byte{1}, ed25519.SeedSize)
	tests := []struct {
		name string
		add  func(k *Keyring) error
	}{
		{"Add", func(k *Keyring) error { _, err := k.Add("alice", "GB", pass); return err }},
		{"ImportSeed", func(k *Keyring) error { _, err := k.ImportSeed("alice", "FR", seed, nil); return err }},
		{"Import", func(k *Keyring) error {
			src := openCheap(t)
			mustAdd(t, src, "alice", "GB", pass)
			file, err := src.Export("alice")
			if err != nil {
				t.Fatal(err)
			}
			_, err = k.Import("alice", file)
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := openCheap(t)
			orig := mustAdd(t, k, "alice", "GB", pass)
			if err := tt.add(k); !errors.Is(err, ErrExists) {
				t.Fatalf("got %v, want ErrExists", err)
			}
			got, err := k.Get("alice")
			if err != nil || !sameKey(got, orig) {
				t.Fatalf("after a refused add, Get = %+v, %v; want the original %+v", got, err, orig)
			}
			if _, err := k.PrivateKey("alice", pass); err != nil {
				t.Fatalf("original key no longer opens: %v", err)
			}
		})
	}
}

// TestPublishExists covers the race the early check cannot: the name appears
// between the check and the link.
func TestPublishExists(t *testing.T) {
	k := openCheap(t)
	if err := os.WriteFile(k.path("alice"), []byte("someone else's"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := k.writeNew("alice", []byte("mine")); !errors.Is(err, ErrExists) {
		t.Fatalf("writeNew over an existing file: got %v, want ErrExists", err)
	}
	data, err := os.ReadFile(k.path("alice"))
	if err != nil || string(data) != "someone else's" {
		t.Fatalf("existing file now holds %q, %v", data, err)
	}
}

func TestNames(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"a", true},
		{"alice", true},
		{"dev-1_b", true},
		{"z" + strings.Repeat("9", 63), true},
		{"", false},
		{"z" + strings.Repeat("9", 64), false},
		{"Alice", false},
		{"1alice", false},
		{"-alice", false},
		{"_alice", false},
		{"al ice", false},
		{"al.ice", false},
		{"../alice", false},
		{"a/b", false},
		{"alice\x00", false},
		{"alicé", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := openCheap(t)
			_, err := k.Add(tt.name, "GB", pass)
			if (err == nil) != tt.ok {
				t.Fatalf("Add(%q): got error %v, want ok=%v", tt.name, err, tt.ok)
			}
			if tt.ok {
				return
			}
			if !strings.HasPrefix(err.Error(), "keyring: ") {
				t.Errorf("error %q lacks the keyring: prefix", err)
			}
			if _, err := k.Get(tt.name); err == nil || errors.Is(err, ErrNotFound) {
				t.Errorf("Get(%q): got %v, want a name error", tt.name, err)
			}
			entries, _ := os.ReadDir(k.Dir())
			if len(entries) != 0 {
				t.Errorf("a refused name left %d files behind", len(entries))
			}
		})
	}
}

func TestNotFound(t *testing.T) {
	k := openCheap(t)
	mustAdd(t, k, "alice", "GB", pass)
	stranger := ledger.NewAddress("GB", make(ed25519.PublicKey, ed25519.PublicKeySize))
	tests := []struct {
		name string
		call func() error
	}{
		{"Get", func() error { _, err := k.Get("bob"); return err }},
		{"PrivateKey", func() error { _, err := k.PrivateKey("bob", pass); return err }},
		{"Export", func() error { _, err := k.Export("bob"); return err }},
		{"ByAddress", func() error { _, err := k.ByAddress(stranger); return err }},
		{"ByAddress zero", func() error { _, err := k.ByAddress(ledger.Address{}); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if !errors.Is(err, ErrNotFound) {
				t.Fatalf("got %v, want ErrNotFound", err)
			}
		})
	}
	if _, err := k.Get("bob"); !strings.Contains(err.Error(), `"bob"`) {
		t.Errorf("Get error %q does not name the key", err)
	}
}

func TestByAddress(t *testing.T) {
	k := openCheap(t)
	alice := mustAdd(t, k, "alice", "GB", pass)
	bob := mustAdd(t, k, "bob", "CN-SH", pass)
	// The same key in another region is another address.
	seed := bytes.Repeat([]byte{3}, ed25519.SeedSize)
	carolGB, err := k.ImportSeed("carol", "GB", seed, pass)
	if err != nil {
		t.Fatal(err)
	}
	carolFR, err := k.ImportSeed("carol-fr", "FR", seed, pass)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []Key{alice, bob, carolGB, carolFR} {
		got, err := k.ByAddress(want.Address)
		if err != nil {
			t.Fatalf("ByAddress(%v): %v", want.Address, err)
		}
		if got.Name != want.Name {
			t.Errorf("ByAddress(%v) = %q, want %q", want.Address, got.Name, want.Name)
		}
	}
}

func TestImportSeed(t *testing.T) {
	seed := bytes.Repeat([]byte{42}, ed25519.SeedSize)
	wantPub := ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)
	tests := []struct {
		name   string
		region ledger.Region
		seed   []byte
		ok     bool
	}{
		{"ok", "GB", seed, true},
		{"short seed", "GB", seed[:31], false},
		{"long seed", "GB", append(bytes.Clone(seed), 0), false},
		{"no seed", "GB", nil, false},
		{"private key instead of seed", "GB", ed25519.NewKeyFromSeed(seed), false},
		{"bad region", "gb", seed, false},
		{"empty region", "", seed, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := openCheap(t)
			key, err := k.ImportSeed("dev", tt.region, tt.seed, pass)
			if (err == nil) != tt.ok {
				t.Fatalf("ImportSeed: got error %v, want ok=%v", err, tt.ok)
			}
			if !tt.ok {
				return
			}
			if !key.Public.Equal(wantPub) {
				t.Errorf("public key = %x, want %x", key.Public, wantPub)
			}
			priv, err := k.PrivateKey("dev", pass)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(priv.Seed(), seed) {
				t.Errorf("PrivateKey seed = %x, want %x", priv.Seed(), seed)
			}
		})
	}
}

func TestExportImport(t *testing.T) {
	src := openCheap(t)
	orig := mustAdd(t, src, "alice", "CN-SH", pass)
	file, err := src.Export("alice")
	if err != nil {
		t.Fatal(err)
	}
	onDisk, err := os.ReadFile(src.path("alice"))
	if err != nil || !bytes.Equal(file, onDisk) {
		t.Fatalf("Export is not the file as stored (%v)", err)
	}

	// The destination's own kdf cost is irrelevant: the file carries its own.
	dst, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	got, err := dst.Import("alice", file)
	if err != nil {
		t.Fatal(err)
	}
	if !sameKey(got, orig) {
		t.Errorf("Import = %+v, want %+v", got, orig)
	}
	priv, err := dst.PrivateKey("alice", pass)
	if err != nil {
		t.Fatal(err)
	}
	signVerifies(t, priv, orig.Public)
	again, err := dst.Export("alice")
	if err != nil || !bytes.Equal(again, file) {
		t.Errorf("re-export differs from the imported file (%v)", err)
	}

	if _, err := dst.Import("bob", file); err == nil || errors.Is(err, ErrExists) {
		t.Errorf("Import under another name: got %v, want a name mismatch error", err)
	}
	if _, err := dst.Import("Bob", file); err == nil {
		t.Errorf("Import under an invalid name succeeded")
	}
}

// validFile returns a well-formed file made with cheapKDF.
func validFile(t *testing.T) *keyFile {
	t.Helper()
	k := openCheap(t)
	mustAdd(t, k, "alice", "GB", pass)
	return readFile(t, k, "alice")
}

func TestImportRejectsHostile(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(f *keyFile)
	}{
		{"argon2 time 0", func(f *keyFile) { f.KDF.Time = 0 }},
		{"argon2 time above limit", func(f *keyFile) { f.KDF.Time = maxKDFTime + 1 }},
		{"argon2 time huge", func(f *keyFile) { f.KDF.Time = 1 << 31 }},
		{"argon2 memory above 1 GiB", func(f *keyFile) { f.KDF.MemoryKiB = maxKDFMemoryKiB + 1 }},
		{"argon2 memory max uint32", func(f *keyFile) { f.KDF.MemoryKiB = 1<<32 - 1 }},
		{"argon2 memory below 8 per thread", func(f *keyFile) { f.KDF.Threads, f.KDF.MemoryKiB = 4, 31 }},
		{"argon2 threads 0", func(f *keyFile) { f.KDF.Threads = 0 }},
		{"argon2 threads above limit", func(f *keyFile) { f.KDF.Threads, f.KDF.MemoryKiB = maxKDFThreads+1, 1<<10 }},
		{"argon2 threads overflow uint8", func(f *keyFile) { f.KDF.Threads, f.KDF.MemoryKiB = 257, 1<<12 }},
		{"key length 16", func(f *keyFile) { f.KDF.KeyLen = 16 }},
		{"key length huge", func(f *keyFile) { f.KDF.KeyLen = 1 << 30 }},
		{"salt short", func(f *keyFile) { f.KDF.Salt = f.KDF.Salt[:8] }},
		{"salt long", func(f *keyFile) { f.KDF.Salt = make([]byte, maxSaltLen+1) }},
		{"kdf scrypt", func(f *keyFile) { f.KDF.Name = "scrypt" }},
		{"kdf argon2i", func(f *keyFile) { f.KDF.Name = "argon2i" }},
		{"cipher aes-gcm", func(f *keyFile) { f.Cipher.Name = "aes-256-gcm" }},
		{"nonce 12 bytes", func(f *keyFile) { f.Cipher.Nonce = f.Cipher.Nonce[:12] }},
		{"ciphertext without tag", func(f *keyFile) { f.Cipher.Ciphertext = f.Cipher.Ciphertext[:32] }},
		{"ciphertext long", func(f *keyFile) { f.Cipher.Ciphertext = append(f.Cipher.Ciphertext, 0) }},
		{"version 0", func(f *keyFile) { f.Version = 0 }},
		{"version 2", func(f *keyFile) { f.Version = 2 }},
		{"invalid name", func(f *keyFile) { f.Name = "../alice" }},
		{"invalid region", func(f *keyFile) {
			f.Region = "gb"
			f.Address = ledger.NewAddress("gb", f.Public)
		}},
		{"address in another region", func(f *keyFile) { f.Address = ledger.NewAddress("FR", f.Public) }},
		{"address of another key", func(f *keyFile) {
			f.Address = ledger.NewAddress("GB", make(ed25519.PublicKey, ed25519.PublicKeySize))
		}},
		{"public key missing", func(f *keyFile) { f.Public = nil }},
		{"creation time missing", func(f *keyFile) { f.Created = time.Time{} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := validFile(t)
			tt.mutate(f)
			file, err := jsonIndent(f)
			if err != nil {
				t.Fatal(err)
			}
			k := openCheap(t)
			_, err = k.Import("alice", file)
			if !errors.Is(err, errInvalidFile) {
				t.Fatalf("Import: got %v, want errInvalidFile", err)
			}
			t.Log(err)
			if _, err := k.Get("alice"); !errors.Is(err, ErrNotFound) {
				t.Errorf("a refused import was stored: Get = %v", err)
			}
		})
	}
}

func TestImportRejectsMalformed(t *testing.T) {
	good, err := jsonIndent(validFile(t))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		file []byte
	}{
		{"empty", nil},
		{"not json", []byte("-----BEGIN PRIVATE KEY-----")},
		{"json array", []byte("[1]")},
		{"trailing data", append(bytes.Clone(good), "{}"...)},
		{"unknown field", bytes.Replace(good, []byte(`"version": 1,`), []byte(`"version": 1, "seed": "AAAA",`), 1)},
		{"bad base64", bytes.Replace(good, []byte(`"salt": "`), []byte(`"salt": "!`), 1)},
		{"bad address", bytes.Replace(good, []byte(`"address": "peg1`), []byte(`"address": "peg2`), 1)},
		{"negative time", bytes.Replace(good, []byte(`"time": 1,`), []byte(`"time": -1,`), 1)},
		{"oversize", append(bytes.Clone(good), bytes.Repeat([]byte(" "), maxFileSize)...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := openCheap(t)
			_, err := k.Import("alice", tt.file)
			if !errors.Is(err, errInvalidFile) {
				t.Fatalf("Import: got %v, want errInvalidFile", err)
			}
			t.Log(err)
		})
	}
	// The replacements above must have hit, or the cases test nothing.
	for _, tt := range tests[4:8] {
		if bytes.Equal(tt.file, good) {
			t.Errorf("case %q did not alter the file", tt.name)
		}
	}
}

// TestKDFLimits checks the boundaries themselves are accepted, without paying
// for a derivation at them.
func TestKDFLimits(t *testing.T) {
	salt := make([]byte, minSaltLen)
	tests := []struct {
		name string
		p    kdfParams
		salt []byte
		ok   bool
	}{
		{"default", defaultKDF, salt, true},
		{"cheapest", kdfParams{Time: 1, MemoryKiB: 8, Threads: 1, KeyLen: 32}, salt, true},
		{"dearest", kdfParams{Time: maxKDFTime, MemoryKiB: maxKDFMemoryKiB, Threads: maxKDFThreads, KeyLen: 32}, make([]byte, maxSaltLen), true},
		{"memory 7", kdfParams{Time: 1, MemoryKiB: 7, Threads: 1, KeyLen: 32}, salt, false},
		{"salt 15", defaultKDF, salt[:15], false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := kdfSection{Name: kdfArgon2id, kdfParams: tt.p, Salt: tt.salt}
			if err := s.validate(); (err == nil) != tt.ok {
				t.Errorf("validate: got %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

func TestInsecure(t *testing.T) {
	tests := []struct {
		name       string
		passphrase []byte
		insecure   bool
	}{
		{"nil", nil, true},
		{"empty", []byte{}, true},
		{"one space", []byte(" "), false},
		{"zero byte", []byte{0}, false},
		{"real", pass, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := openCheap(t)
			added := mustAdd(t, k, "dev", "GB", tt.passphrase)
			got, err := k.Get("dev")
			if err != nil {
				t.Fatal(err)
			}
			list, err := k.List()
			if err != nil || len(list) != 1 {
				t.Fatalf("List = %v, %v", list, err)
			}
			if added.Insecure != tt.insecure || got.Insecure != tt.insecure || list[0].Insecure != tt.insecure {
				t.Errorf("Insecure: Add %v, Get %v, List %v; want %v", added.Insecure, got.Insecure, list[0].Insecure, tt.insecure)
			}
			if f := readFile(t, k, "dev"); f.Insecure != tt.insecure {
				t.Errorf("file records insecure %v, want %v", f.Insecure, tt.insecure)
			}
			if _, err := k.PrivateKey("dev", bytes.Clone(tt.passphrase)); err != nil {
				t.Errorf("PrivateKey: %v", err)
			}
		})
	}
}

func TestListIgnoresNonKeyFiles(t *testing.T) {
	k := openCheap(t)
	if list, err := k.List(); err != nil || len(list) != 0 {
		t.Fatalf("empty keyring List = %v, %v", list, err)
	}
	mustAdd(t, k, "bob", "GB", pass)
	mustAdd(t, k, "a-b", "GB", pass) // sorts before "a" as a file name, after it as a name
	mustAdd(t, k, "a", "GB", pass)
	for name, content := range map[string]string{
		"README.txt":   "not a key",
		"Bad.json":     "{}",
		".bob.tmp-123": "half-written",
		"bob.json.bak": "{}",
		"notes.json~":  "{}",
		"x":            "",
	} {
		if err := os.WriteFile(filepath.Join(k.Dir(), name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(k.Dir(), "dir.json"), 0o700); err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" {
		if err := os.Symlink(k.path("bob"), k.path("link")); err != nil {
			t.Fatal(err)
		}
		if _, err := k.Get("link"); err == nil {
			t.Errorf("Get followed a symlink")
		}
	}
	list, err := k.List()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, key := range list {
		names = append(names, key.Name)
	}
	if got, want := strings.Join(names, ","), "a,a-b,bob"; got != want {
		t.Errorf("List names = %s, want %s", got, want)
	}

	// A file that looks like a key but is not one is reported, not skipped.
	if err := os.WriteFile(k.path("broken"), []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := k.List(); !errors.Is(err, errInvalidFile) {
		t.Errorf("List with a broken key file: got %v, want errInvalidFile", err)
	}
}

func TestOpen(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		dir  string
		ok   bool
	}{
		{"new", filepath.Join(t.TempDir(), "a", "b"), true},
		{"existing", t.TempDir(), true},
		{"empty", "", false},
		{"a file", file, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := Open(tt.dir)
			if (err == nil) != tt.ok {
				t.Fatalf("Open(%q): got error %v, want ok=%v", tt.dir, err, tt.ok)
			}
			if tt.ok && k.Dir() != tt.dir {
				t.Errorf("Dir() = %q, want %q", k.Dir(), tt.dir)
			}
		})
	}
}

// TestOpenExisting opens an existing keyring, and refuses a missing one with
// ErrNoKeyring without creating it.
func TestOpenExisting(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if k, err := OpenExisting(dir); err != nil || k.Dir() != dir {
		t.Errorf("OpenExisting(%q) = %v, %v; want the keyring", dir, k, err)
	}
	missing := filepath.Join(dir, "missing")
	if _, err := OpenExisting(missing); !errors.Is(err, ErrNoKeyring) || !strings.Contains(err.Error(), missing) {
		t.Errorf("OpenExisting(missing) = %v; want ErrNoKeyring naming %s", err, missing)
	}
	if _, err := os.Stat(missing); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("OpenExisting created %s (%v)", missing, err)
	}
	if _, err := OpenExisting(file); err == nil || errors.Is(err, ErrNoKeyring) {
		t.Errorf("OpenExisting(a file) = %v; want an error other than ErrNoKeyring", err)
	}
}

// FuzzParseFile checks that no input panics the decoder, and that whatever it
// accepts is internally consistent and survives a re-encoding.
func FuzzParseFile(f *testing.F) {
	seedKR, err := Open(f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	seedKR.kdf = cheapKDF
	if _, err := seedKR.Add("alice", "GB", pass); err != nil {
		f.Fatal(err)
	}
	good, err := seedKR.Export("alice")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{"version":1}`))
	f.Add([]byte(`{"version":2,"future":true}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		kf, err := parseFile(data)
		if err != nil {
			return
		}
		if kf.Address != ledger.NewAddress(kf.Region, kf.Public) {
			t.Fatalf("accepted a file whose address is not its key's")
		}
		again, err := jsonIndent(kf)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := parseFile(again); err != nil {
			t.Fatalf("accepted file does not survive re-encoding: %v", err)
		}
	})
}
