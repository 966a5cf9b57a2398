package dev_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/forjinn/forjctl/pkg/cli"
	"github.com/forjinn/forjctl/pkg/cli/cmdutil"
	"github.com/forjinn/forjctl/pkg/cli/dev"
	"github.com/forjinn/forjctl/pkg/config"
	"github.com/forjinn/forjctl/pkg/credstore"
	"github.com/forjinn/forjctl/pkg/iostreams"
)

// signalWriter collects what is written and closes ready once marker has been written.
type signalWriter struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	marker string
	ready  chan struct{}
	once   sync.Once
}

func (w *signalWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if strings.Contains(w.buf.String(), w.marker) {
		w.once.Do(func() { close(w.ready) })
	}
	return len(p), nil
}

func (w *signalWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

type env map[string]string

func (e env) get(k string) string { return e[k] }

// startDev runs 'forjctl dev' until the returned stop is called; it returns once the
// server is up and the context written.
func startDev(t *testing.T, e env, args ...string) (stderr *signalWriter, stop func() int) {
	t.Helper()
	ios, _, _, _ := iostreams.Test()
	w := &signalWriter{marker: "Press Ctrl+C to stop.", ready: make(chan struct{})}
	ios.ErrOut = w
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- cli.MainWith(ctx, append([]string{"dev"}, args...), &cmdutil.Factory{IOStreams: ios, Getenv: e.get})
	}()
	select {
	case <-w.ready:
	case code := <-done:
		cancel()
		t.Fatalf("dev exited early with %d:\n%s", code, w.String())
	}
	var once sync.Once
	code := 0
	stop = func() int {
		once.Do(func() { cancel(); code = <-done })
		return code
	}
	t.Cleanup(func() { stop() })
	return w, stop
}

func run(e env, args ...string) (int, string, string) {
	ios, _, out, errOut := iostreams.Test()
	code := cli.MainWith(context.Background(), args, &cmdutil.Factory{IOStreams: ios, Getenv: e.get})
	return code, out.String(), errOut.String()
}

func TestDevTwice(t *testing.T) {
	home := t.TempDir()
	e := env{
		"HOME":                     home,
		"XDG_CONFIG_HOME":          filepath.Join(home, "config"),
		"XDG_DATA_HOME":            filepath.Join(home, "data"),
		config.EnvCredentialStore:  config.StoreFile,
		"DBUS_SESSION_BUS_ADDRESS": "disabled:",
	}
	stderr, stop := startDev(t, e, "--listen", "127.0.0.1:0")
	out := stderr.String()
	for _, want := range []string{"forjd is running at http://127.0.0.1:", "dev.db", "Context dev is current", "forjctl workspace create demo"} {
		if !strings.Contains(out, want) {
			t.Errorf("first start does not say %q:\n%s", want, out)
		}
	}
	if _, err := os.Stat(filepath.Join(home, "data", "forjctl", "dev.db")); err != nil {
		t.Errorf("database not under XDG_DATA_HOME: %v", err)
	}
	code, status, errOut := run(e, "auth", "status")
	if code != 0 || !strings.Contains(status, "Context:    dev\n") || !strings.Contains(status, "admin@localhost") {
		t.Fatalf("status while dev runs: exit %d\n%s%s", code, status, errOut)
	}
	code, tok1, _ := run(e, "auth", "token")
	if code != 0 || tok1 == "" {
		t.Fatalf("auth token: exit %d", code)
	}
	if code := stop(); code != 0 {
		t.Fatalf("dev stopped with %d:\n%s", code, stderr.String())
	}
	if code, _, _ := run(e, "auth", "status"); code == 0 {
		t.Error("status succeeded with the server stopped")
	}

	// A second run reuses the database and the stored token, on a new port.
	stderr, stop = startDev(t, e, "--listen", "127.0.0.1:0")
	if code, status, errOut := run(e, "auth", "status"); code != 0 {
		t.Fatalf("status after restart: exit %d\n%s%s\n%s", code, status, errOut, stderr.String())
	}
	if _, tok2, _ := run(e, "auth", "token"); tok2 != tok1 {
		t.Error("the second run made a new token although the stored one works")
	}
	if code := stop(); code != 0 {
		t.Fatalf("second dev stopped with %d", code)
	}

	// Logged out (the token revoked): the next run mints a new owner token.
	stderr, stop = startDev(t, e, "--listen", "127.0.0.1:0")
	if code, _, errOut := run(e, "auth", "logout"); code != 0 {
		t.Fatalf("logout: %d %s", code, errOut)
	}
	stop()
	_, stop = startDev(t, e, "--listen", "127.0.0.1:0")
	code, _, errOut = run(e, "auth", "status")
	_, tok3, _ := run(e, "auth", "token")
	if code != 0 || tok3 == tok1 || tok3 == "" {
		t.Fatalf("after a revoked token: status %d %s; new token %v", code, errOut, tok3 != tok1)
	}
	stop()

	// One context, one stored token.
	cfg, err := config.Load(filepath.Join(home, "config", "forjctl", "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.CurrentContext != dev.ContextName || len(cfg.Contexts) != 1 {
		t.Errorf("config: %+v", cfg)
	}
	b, err := os.ReadFile(filepath.Join(home, "config", "forjctl", config.CredentialsFile))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), credstore.Key(dev.ContextName, "http:", "")); n != 1 {
		t.Errorf("credentials hold %d dev tokens:\n%s", n, b)
	}
}

func TestDevAddressInUse(t *testing.T) {
	home := t.TempDir()
	e := env{"HOME": home, "XDG_DATA_HOME": filepath.Join(home, "data"), "XDG_CONFIG_HOME": home, config.EnvCredentialStore: config.StoreFile}
	stderr, _ := startDev(t, e, "--listen", "127.0.0.1:0")
	addr := strings.TrimPrefix(strings.Fields(strings.SplitN(stderr.String(), "running at ", 2)[1])[0], "http://")
	code, _, errOut := run(e, "dev", "--listen", addr, "--db", filepath.Join(home, "other.db"))
	if code != cmdutil.ExitError || !strings.Contains(errOut, "Hint: is another 'forjctl dev' running?") {
		t.Errorf("address in use: exit %d\n%s", code, errOut)
	}
}
