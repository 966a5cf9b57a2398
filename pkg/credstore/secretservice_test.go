//go:build linux

package credstore

// Tests against the real zalando/go-keyring backend on D-Bus. go-keyring (through godbus)
// reads DBUS_SESSION_BUS_ADDRESS from the process environment and caches the session bus
// connection for the life of the process, so each scenario runs in a child process (this
// test binary re-executed) with its own environment instead of racing on t.Setenv.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zalando/go-keyring"
)

const (
	childEnv   = "FORJ_CREDSTORE_TEST_CHILD" // name of the child test to run
	childDir   = "FORJ_CREDSTORE_TEST_DIR"   // its scratch directory
	requireEnv = "FORJ_REQUIRE_INTEGRATION"
)

// runChild runs the test named name in a child process with env added, and fails t with the
// child's output if it fails or skips.
func runChild(t *testing.T, name string, env ...string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+name+"$", "-test.count=1", "-test.v")
	// Later entries win, so the child's D-Bus and home directories are ours, not the user's.
	cmd.Env = append(os.Environ(), "FORJ_TOKEN=", childEnv+"="+name)
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("--- PASS: "+name)) {
		t.Fatalf("child %s: %v\n%s", name, err, out)
	}
	t.Logf("child %s:\n%s", name, out)
}

// inChild skips a child-only test unless this process was started by runChild for it, and
// returns its scratch directory.
func inChild(t *testing.T) string {
	if os.Getenv(childEnv) != t.Name() {
		t.Skip("runs in a child process of its parent test")
	}
	return os.Getenv(childDir)
}

func skipOrFail(t *testing.T, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv(requireEnv) == "1" {
		t.Fatalf("%s (%s=1 requires this integration test)", msg, requireEnv)
	}
	t.Skip(msg)
}

// TestDeadBusFallsBack: the real backend, with DBUS_SESSION_BUS_ADDRESS pointing at a socket
// nobody listens on (a crashed session bus), falls back to the file with one warning.
func TestDeadBusFallsBack(t *testing.T) {
	if os.Getenv(childEnv) != "" {
		t.Skip("parent test")
	}
	dir := t.TempDir()
	sock := filepath.Join(dir, "bus")
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	l.SetUnlinkOnClose(false) // leave the socket file behind: connecting is then refused
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	runChild(t, "TestDeadBusChild", "DBUS_SESSION_BUS_ADDRESS=unix:path="+sock, childDir+"="+dir)
}

func TestDeadBusChild(t *testing.T) {
	dir := inChild(t)
	path := filepath.Join(dir, "forjctl", "credentials.yaml")
	ctx := context.Background()
	var warn bytes.Buffer
	s := New(Options{FilePath: path, Env: noEnv, Warn: &warn}) // nil Keyring: the real one
	src, err := s.Set(ctx, key, "tok-dead-bus")
	if err != nil {
		t.Fatal(err)
	}
	if src.Kind != KindFile || !strings.Contains(src.Detail, "no usable keyring: Secret Service") {
		t.Fatalf("Set source %+v", src)
	}
	w := warn.String()
	if strings.Count(w, "\n") != 1 || !strings.HasPrefix(w, "Warning: no usable keyring (Secret Service: ") ||
		!strings.HasSuffix(w, "; token stored in "+path+" (0600). Use --credential-store keyring to refuse this.\n") {
		t.Fatalf("warning %q", w)
	}
	t.Logf("warning: %s", w)
	assertMode0600(t, path)
	tok, src, err := s.Get(ctx, key)
	if err != nil || tok != "tok-dead-bus" || src.Kind != KindFile {
		t.Fatalf("Get = %q %+v %v", tok, src, err)
	}

	_, err = New(Options{Mode: ModeKeyring, FilePath: path, Env: noEnv}).Set(ctx, "k2", "tok")
	if err == nil || !strings.Contains(err.Error(), "credential-store is keyring") {
		t.Fatalf("keyring mode Set err = %v", err)
	}
	t.Logf("keyring mode: %v", err)
}

// TestSecretService stores a token in a real Secret Service: a private dbus-daemon and an
// unlocked gnome-keyring-daemon in a temporary home.
func TestSecretService(t *testing.T) {
	if os.Getenv(childEnv) != "" {
		t.Skip("parent test")
	}
	env := startSecretService(t)
	runChild(t, "TestSecretServiceChild", env...)
}

func TestSecretServiceChild(t *testing.T) {
	dir := inChild(t)
	path := filepath.Join(dir, "forjctl", "credentials.yaml")
	ctx := context.Background()

	// gnome-keyring-daemon announces itself on the bus shortly after it starts; wait until
	// the Secret Service answers a lookup.
	var err error
	for range 200 {
		if _, err = keyring.Get(Service, "readiness-probe"); errors.Is(err, keyring.ErrNotFound) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !errors.Is(err, keyring.ErrNotFound) {
		t.Fatalf("Secret Service never answered: %v", err)
	}

	var warn bytes.Buffer
	s := New(Options{FilePath: path, Env: noEnv, Warn: &warn, Timeout: 10 * time.Second})
	src, err := s.Set(ctx, key, "tok-secret-service")
	if err != nil || src.Kind != KindKeyring || src.Detail != "Secret Service" {
		t.Fatalf("Set = %+v, %v", src, err)
	}
	if warn.Len() != 0 {
		t.Errorf("warned %q", warn.String())
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Error("credentials file written although the keyring works")
	}
	// It is really in the Secret Service, under service forjctl.
	if got, err := keyring.Get(Service, key); err != nil || got != "tok-secret-service" {
		t.Fatalf("keyring.Get = %q, %v", got, err)
	}
	for _, mode := range []string{ModeAuto, ModeKeyring} {
		tok, src, err := New(Options{Mode: mode, FilePath: path, Env: noEnv}).Get(ctx, key)
		if err != nil || tok != "tok-secret-service" || src.Kind != KindKeyring {
			t.Fatalf("%s: Get = %q %+v %v", mode, tok, src, err)
		}
	}
	if err := s.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Get(ctx, key); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get after Delete: %v", err)
	}
	if _, err := keyring.Get(Service, key); !errors.Is(err, keyring.ErrNotFound) {
		t.Fatalf("keyring still holds the token: %v", err)
	}
}

// startSecretService starts a private session bus and an unlocked gnome-keyring-daemon on
// it, both stopped when t ends, and returns the environment a client needs.
func startSecretService(t *testing.T) []string {
	t.Helper()
	dbusDaemon, err := exec.LookPath("dbus-daemon")
	if err != nil {
		skipOrFail(t, "dbus-daemon not on PATH (Debian package dbus-daemon)")
	}
	gkd, err := exec.LookPath("gnome-keyring-daemon")
	if err != nil {
		skipOrFail(t, "gnome-keyring-daemon not on PATH (Debian package gnome-keyring)")
	}

	dir := t.TempDir()
	env := []string{
		"HOME=" + filepath.Join(dir, "home"),
		"XDG_DATA_HOME=" + filepath.Join(dir, "data"),
		"XDG_RUNTIME_DIR=" + filepath.Join(dir, "run"),
		"XDG_CONFIG_HOME=" + filepath.Join(dir, "config"),
		childDir + "=" + dir,
	}
	for _, d := range []string{"home", "data", "run", "config"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}

	// A bus of our own with no service activation, so nothing but our daemon can claim
	// org.freedesktop.secrets.
	conf := filepath.Join(dir, "bus.conf")
	busConf := `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=` + filepath.Join(dir, "bus") + `</listen>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`
	if err := os.WriteFile(conf, []byte(busConf), 0o600); err != nil {
		t.Fatal(err)
	}
	bus := exec.Command(dbusDaemon, "--config-file="+conf, "--nofork", "--print-address=1")
	bus.Env = append(os.Environ(), env...)
	addr := startAndReadLine(t, bus, "dbus-daemon")
	env = append(env, "DBUS_SESSION_BUS_ADDRESS="+addr)

	gk := exec.Command(gkd, "--foreground", "--unlock", "--components=secrets",
		"--control-directory="+filepath.Join(dir, "run", "keyring"))
	gk.Env = append(os.Environ(), env...)
	gk.Stdin = strings.NewReader("forjctl-test-password") // --unlock reads the password from stdin
	startAndReadLine(t, gk, "gnome-keyring-daemon")       // prints GNOME_KEYRING_CONTROL=... once up
	return env
}

// startAndReadLine starts cmd, stops it when t ends, and returns the first line it prints.
func startAndReadLine(t *testing.T, cmd *exec.Cmd, name string) string {
	t.Helper()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	lines := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		lines <- strings.TrimSpace(line)
		_, _ = io.Copy(io.Discard, stdout) // keep draining so the daemon never blocks on a full pipe
	}()
	select {
	case line := <-lines:
		if line == "" {
			t.Fatalf("%s printed nothing; stderr:\n%s", name, stderr.String())
		}
		return line
	case <-time.After(time.Minute): // a guard against a wedged daemon, not a timing check
		t.Fatalf("%s did not start; stderr:\n%s", name, stderr.String())
		return ""
	}
}
