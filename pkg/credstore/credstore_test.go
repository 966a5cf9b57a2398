package credstore

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/zalando/go-keyring"
)

// memKeyring is a working keyring in memory.
type memKeyring struct {
	mu sync.Mutex
	m  map[string]string
	n  int // calls
}

func newMem() *memKeyring { return &memKeyring{m: map[string]string{}} }

func (k *memKeyring) Set(service, user, password string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.n++
	k.m[service+"/"+user] = password
	return nil
}

func (k *memKeyring) Get(service, user string) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.n++
	v, ok := k.m[service+"/"+user]
	if !ok {
		return "", keyring.ErrNotFound
	}
	return v, nil
}

func (k *memKeyring) Delete(service, user string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.n++
	if _, ok := k.m[service+"/"+user]; !ok {
		return keyring.ErrNotFound
	}
	delete(k.m, service+"/"+user)
	return nil
}

// brokenKeyring fails every call the way a keyring without a bus does.
type brokenKeyring struct{ err error }

func (k brokenKeyring) Set(string, string, string) error   { return k.err }
func (k brokenKeyring) Get(string, string) (string, error) { return "", k.err }
func (k brokenKeyring) Delete(string, string) error        { return k.err }

// forbiddenKeyring fails the test if touched.
type forbiddenKeyring struct{ t *testing.T }

func (k forbiddenKeyring) Set(string, string, string) error {
	k.t.Error("keyring Set called")
	return nil
}

func (k forbiddenKeyring) Get(string, string) (string, error) {
	k.t.Error("keyring Get called")
	return "", nil
}

func (k forbiddenKeyring) Delete(string, string) error {
	k.t.Error("keyring Delete called")
	return nil
}

// hangingKeyring blocks every call until the test ends, like a Secret Service waiting on an
// unlock prompt nobody answers.
type hangingKeyring struct {
	release chan struct{}
	mu      sync.Mutex
	calls   int
}

func newHanging(t *testing.T) *hangingKeyring {
	k := &hangingKeyring{release: make(chan struct{})}
	t.Cleanup(func() { close(k.release) })
	return k
}

func (k *hangingKeyring) block() {
	k.mu.Lock()
	k.calls++
	k.mu.Unlock()
	<-k.release
}
func (k *hangingKeyring) Set(string, string, string) error   { k.block(); return nil }
func (k *hangingKeyring) Get(string, string) (string, error) { k.block(); return "late", nil }
func (k *hangingKeyring) Delete(string, string) error        { k.block(); return nil }

func noEnv(string) string { return "" }

func credPath(t *testing.T) string {
	return filepath.Join(t.TempDir(), "forjctl", "credentials.yaml")
}

const key = "dev:http://127.0.0.1:8080|me@example.com"

func assertMode0600(t *testing.T, path string) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s mode %v, want 0600", path, fi.Mode().Perm())
	}
}

func TestEnvTokenNeverTouchesKeyring(t *testing.T) {
	for _, mode := range []string{ModeAuto, ModeKeyring, ModeFile} {
		path := credPath(t)
		s := New(Options{Mode: mode, FilePath: path, Keyring: forbiddenKeyring{t},
			Env: func(k string) string {
				if k == EnvToken {
					return "forj_env_token"
				}
				return ""
			}})
		tok, src, err := s.Get(context.Background(), key)
		if err != nil || tok != "forj_env_token" || src.Kind != KindEnv || !strings.Contains(src.Detail, "FORJ_TOKEN") {
			t.Fatalf("%s: Get = %q, %+v, %v", mode, tok, src, err)
		}
		if _, err := os.Stat(path); !os.IsNotExist(err) {
			t.Errorf("%s: credentials file touched", mode)
		}
	}
}

func TestKeyringRoundTrip(t *testing.T) {
	for _, mode := range []string{ModeAuto, ModeKeyring} {
		kr := newMem()
		var warn bytes.Buffer
		path := credPath(t)
		s := New(Options{Mode: mode, FilePath: path, Keyring: kr, Env: noEnv, Warn: &warn})
		ctx := context.Background()
		src, err := s.Set(ctx, key, "tok1")
		if err != nil || src.Kind != KindKeyring {
			t.Fatalf("%s: Set = %+v, %v", mode, src, err)
		}
		tok, src, err := s.Get(ctx, key)
		if err != nil || tok != "tok1" || src.Kind != KindKeyring {
			t.Fatalf("%s: Get = %q %+v %v", mode, tok, src, err)
		}
		if kr.m[Service+"/"+key] != "tok1" {
			t.Errorf("%s: keyring holds %v", mode, kr.m)
		}
		if err := s.Delete(ctx, key); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Get(ctx, key); !errors.Is(err, ErrNotFound) || forj.ErrorCode(err) != forj.EUnauthenticated {
			t.Fatalf("%s: Get after Delete: %v", mode, err)
		}
		if err := s.Delete(ctx, key); err != nil {
			t.Fatalf("%s: deleting a missing token: %v", mode, err)
		}
		if warn.Len() != 0 {
			t.Errorf("%s: warned %q", mode, warn.String())
		}
		if _, err := os.Stat(path); !os.IsNotExist(err) {
			t.Errorf("%s: credentials file created although the keyring works", mode)
		}
	}
}

func TestAutoFallsBackToFileWithOneWarning(t *testing.T) {
	var warn bytes.Buffer
	path := credPath(t)
	s := New(Options{FilePath: path, Keyring: brokenKeyring{errors.New("The name org.freedesktop.secrets was not provided by any .service files")},
		Env: noEnv, Warn: &warn})
	ctx := context.Background()
	src, err := s.Set(ctx, key, "tok1")
	if err != nil {
		t.Fatal(err)
	}
	if src.Kind != KindFile || !strings.Contains(src.Detail, "no usable keyring") || !strings.Contains(src.Detail, path) {
		t.Fatalf("Set source %+v", src)
	}
	if _, err := s.Set(ctx, "other", "tok2"); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(warn.String(), "\n"), "\n")
	if len(lines) != 1 {
		t.Fatalf("want exactly one warning line, got %q", warn.String())
	}
	want := "Warning: no usable keyring (OS keyring: no Secret Service provider on the D-Bus session bus); token stored in " +
		path + " (0600). Use --credential-store keyring to refuse this."
	if lines[0] != want {
		t.Errorf("warning\n got %q\nwant %q", lines[0], want)
	}
	assertMode0600(t, path)
	assertMode0600(t, filepath.Dir(path)+"/credentials.yaml.lock")
	if fi, err := os.Stat(filepath.Dir(path)); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("dir: %v %v", fi.Mode(), err)
	}

	tok, src, err := s.Get(ctx, key)
	if err != nil || tok != "tok1" || src.Kind != KindFile || !strings.Contains(src.Detail, "no usable keyring") {
		t.Fatalf("Get = %q %+v %v", tok, src, err)
	}
	// A new Store (the next command) reads it back too.
	s2 := New(Options{FilePath: path, Keyring: brokenKeyring{errors.New("no bus")}, Env: noEnv})
	if tok, _, err := s2.Get(ctx, "other"); err != nil || tok != "tok2" {
		t.Fatalf("second store Get = %q, %v", tok, err)
	}
	if err := s2.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s2.Get(ctx, key); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get after Delete: %v", err)
	}
	if !strings.Contains(mustRead(t, path), "tok2") || strings.Contains(mustRead(t, path), "tok1") {
		t.Errorf("file after delete:\n%s", mustRead(t, path))
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestAutoReadsFileWhenKeyringEntryMissing(t *testing.T) {
	path := credPath(t)
	ctx := context.Background()
	// An earlier run without a keyring left the token in the file.
	if _, err := New(Options{Mode: ModeFile, FilePath: path, Env: noEnv}).Set(ctx, key, "from-file"); err != nil {
		t.Fatal(err)
	}
	for name, kr := range map[string]Keyring{
		"missing entry":    newMem(),
		"unreadable entry": brokenKeyring{errors.New("Cannot create an item in a locked collection")},
	} {
		tok, src, err := New(Options{FilePath: path, Keyring: kr, Env: noEnv}).Get(ctx, key)
		if err != nil || tok != "from-file" || src.Kind != KindFile {
			t.Errorf("%s: Get = %q %+v %v", name, tok, src, err)
		}
	}
	// Once the keyring works, storing there drops the stale plaintext copy.
	kr := newMem()
	if src, err := New(Options{FilePath: path, Keyring: kr, Env: noEnv}).Set(ctx, key, "new"); err != nil || src.Kind != KindKeyring {
		t.Fatalf("Set = %+v %v", src, err)
	}
	if strings.Contains(mustRead(t, path), "from-file") {
		t.Error("stale plaintext token left in the file")
	}
}

func TestKeyringModeFailsClosed(t *testing.T) {
	path := credPath(t)
	ctx := context.Background()
	var warn bytes.Buffer
	s := New(Options{Mode: ModeKeyring, FilePath: path, Keyring: brokenKeyring{errors.New("dial unix /run/user/0/bus: connect: no such file or directory")},
		Env: noEnv, Warn: &warn})
	_, err := s.Set(ctx, key, "tok")
	var fe *forj.Error
	if !errors.As(err, &fe) || !strings.Contains(fe.Message, "credential-store is keyring") || !strings.Contains(fe.Message, "connect") ||
		!strings.Contains(fe.Hint, "--insecure-storage") {
		t.Fatalf("Set err = %#v", err)
	}
	if _, _, err := s.Get(ctx, key); err == nil || errors.Is(err, ErrNotFound) {
		t.Fatalf("Get err = %v, want a keyring failure", err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Error("keyring mode wrote the file")
	}
	if warn.Len() != 0 {
		t.Errorf("warned %q", warn.String())
	}
}

func TestFileMode(t *testing.T) {
	path := credPath(t)
	ctx := context.Background()
	var warn bytes.Buffer
	s := New(Options{Mode: ModeFile, FilePath: path, Keyring: forbiddenKeyring{t}, Env: noEnv, Warn: &warn})
	for i, k := range []string{"a", "b", "c"} {
		src, err := s.Set(ctx, k, "tok-"+k)
		if err != nil || src.Kind != KindFile || !strings.Contains(src.Detail, "credential-store is file") {
			t.Fatalf("Set %d = %+v %v", i, src, err)
		}
	}
	if n := strings.Count(warn.String(), "\n"); n != 1 || !strings.Contains(warn.String(), "plain text") {
		t.Errorf("want one plaintext warning line, got %q", warn.String())
	}
	assertMode0600(t, path)
	tok, src, err := s.Get(ctx, "b")
	if err != nil || tok != "tok-b" || src.Kind != KindFile {
		t.Fatalf("Get = %q %+v %v", tok, src, err)
	}
	if err := s.Delete(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Get(ctx, "b"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get after Delete: %v", err)
	}
}

func TestTimeout(t *testing.T) {
	path := credPath(t)
	ctx := context.Background()
	if _, err := New(Options{Mode: ModeFile, FilePath: path, Env: noEnv}).Set(ctx, key, "from-file"); err != nil {
		t.Fatal(err)
	}
	kr := newHanging(t)
	var warn bytes.Buffer
	s := New(Options{FilePath: path, Keyring: kr, Timeout: 20 * time.Millisecond, Env: noEnv, Warn: &warn})

	// Get returns (the hung call is abandoned) and falls back to the file.
	tok, src, err := s.Get(ctx, key)
	if err != nil || tok != "from-file" || src.Kind != KindFile || !strings.Contains(src.Detail, "did not answer within 20ms") {
		t.Fatalf("Get = %q %+v %v", tok, src, err)
	}
	// Set falls back too, with the warning, without asking the hung keyring again.
	src, err = s.Set(ctx, "other", "tok2")
	if err != nil || src.Kind != KindFile {
		t.Fatalf("Set = %+v %v", src, err)
	}
	if !strings.Contains(warn.String(), "did not answer within 20ms") {
		t.Errorf("warning %q", warn.String())
	}
	kr.mu.Lock()
	calls := kr.calls
	kr.mu.Unlock()
	if calls > 1 {
		t.Errorf("keyring asked %d times, want it left alone after it hung", calls)
	}

	// In keyring mode the timeout fails closed.
	_, _, err = New(Options{Mode: ModeKeyring, FilePath: path, Keyring: newHanging(t), Timeout: 20 * time.Millisecond, Env: noEnv}).Get(ctx, key)
	if err == nil || !strings.Contains(err.Error(), "did not answer") {
		t.Fatalf("keyring mode Get err = %v", err)
	}
}

func TestCancelledContextDoesNotFallBack(t *testing.T) {
	path := credPath(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s := New(Options{FilePath: path, Keyring: newHanging(t), Env: noEnv})
	if _, err := s.Set(ctx, key, "tok"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Set err = %v, want context.Canceled", err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Error("a cancelled Set wrote the file")
	}
}

func TestBadOptions(t *testing.T) {
	ctx := context.Background()
	if _, _, err := New(Options{Mode: "vault", FilePath: credPath(t), Env: noEnv}).Get(ctx, key); forj.ErrorCode(err) != forj.EInvalid {
		t.Errorf("unknown mode: %v", err)
	}
	if _, err := New(Options{Mode: ModeFile, FilePath: credPath(t), Env: noEnv}).Set(ctx, key, ""); forj.ErrorCode(err) != forj.EInvalid {
		t.Errorf("empty token: %v", err)
	}
	path := credPath(t)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("tokens: [\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err := New(Options{Mode: ModeFile, FilePath: path, Env: noEnv}).Get(ctx, key)
	if forj.ErrorCode(err) != forj.EInvalid || !strings.Contains(err.Error(), path) {
		t.Errorf("malformed file: %v", err)
	}
}

func TestConcurrentFileWrites(t *testing.T) {
	path := credPath(t)
	s := New(Options{Mode: ModeFile, FilePath: path, Env: noEnv})
	var wg sync.WaitGroup
	const n = 30
	for i := range n {
		wg.Go(func() {
			if _, err := s.Set(context.Background(), string(rune('a'+i)), "tok"); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	tf, err := s.readFile()
	if err != nil {
		t.Fatal(err)
	}
	if len(tf.Tokens) != n {
		t.Fatalf("%d tokens, want %d (lost updates)", len(tf.Tokens), n)
	}
}

func TestKey(t *testing.T) {
	if got := Key("dev", "https://x", "me@x"); got != "dev:https://x|me@x" {
		t.Errorf("Key = %q", got)
	}
	if got := Key("dev", "https://x", ""); got != "dev:https://x" {
		t.Errorf("Key = %q", got)
	}
}
