// Package pgtest gives tests a throwaway PostgreSQL database.
//
// Start returns the DSN of a fresh, empty database, dropped when the test ends. The server
// is FORJ_TEST_POSTGRES_DSN's when that is set; otherwise one server per test binary,
// started on first use with the installed initdb and postgres binaries, in a temporary
// directory, listening only on a Unix socket in that directory (no TCP port, so parallel
// test binaries never collide). Without binaries Start skips the test, or fails it when
// FORJ_REQUIRE_INTEGRATION=1.
//
// Running as root: PostgreSQL refuses to run as root (initdb and postgres exit with
// "cannot be run as root"). When the test process is root, pgtest runs initdb and postgres
// as the "postgres" OS user (created by the Debian package) by setting the child's
// credentials (the setuid/setgid that runuser would do, without needing runuser), and
// chowns the temporary directory to that user first.
//
// Stopping: a package that calls Start should have
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
// which stops the server and removes its directory after the tests. As a backstop (a test
// binary killed, or no TestMain), the server gets SIGQUIT (immediate shutdown) when the
// test binary dies (Linux parent-death signal), and a later Start removes directories
// left by test binaries that are gone.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvDSN names an existing server to use instead of starting one; Start creates a database
// on it per call, so the DSN's role needs CREATEDB.
const EnvDSN = "FORJ_TEST_POSTGRES_DSN"

// EnvRequire makes missing PostgreSQL binaries a test failure instead of a skip.
const EnvRequire = "FORJ_REQUIRE_INTEGRATION"

var (
	once     sync.Once
	srv      *server
	startErr error
	skipMsg  string
)

type server struct {
	dir   string
	cmd   *exec.Cmd
	done  chan struct{} // closed when postgres exits
	admin string        // DSN of the maintenance database
}

// Start returns the DSN of a new, empty database, dropped at the end of the test.
func Start(t testing.TB) string {
	t.Helper()
	admin := os.Getenv(EnvDSN)
	if admin == "" {
		once.Do(func() { srv, skipMsg, startErr = startServer() })
		switch {
		case startErr != nil:
			t.Fatalf("pgtest: %v", startErr)
		case skipMsg != "":
			if os.Getenv(EnvRequire) == "1" {
				t.Fatalf("pgtest: %s (and %s=1)", skipMsg, EnvRequire)
			}
			t.Skipf("pgtest: %s; set %s or install postgresql", skipMsg, EnvDSN)
		}
		admin = srv.admin
	}
	name := "t_" + randHex(8)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := adminExec(ctx, admin, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		// FORCE ends connections a test left open (PostgreSQL 13+).
		if err := adminExec(ctx, admin, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})
	return withDatabase(admin, name)
}

// Main runs the tests, then stops the server Start may have started.
func Main(m *testing.M) {
	code := m.Run()
	if srv != nil {
		srv.stop()
	}
	os.Exit(code)
}

func adminExec(ctx context.Context, dsn, sql string) error {
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer c.Close(context.Background())
	_, err = c.Exec(ctx, sql)
	return err
}

// withDatabase returns dsn (URL or key=value form) with its database replaced by name.
func withDatabase(dsn, name string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		base, query, _ := strings.Cut(dsn, "?")
		i := strings.Index(base[strings.Index(base, "//")+2:], "/")
		if i >= 0 {
			base = base[:strings.Index(base, "//")+2+i]
		}
		out := base + "/" + name
		if query != "" {
			out += "?" + query
		}
		return out
	}
	var kept []string
	for _, f := range strings.Fields(dsn) {
		if !strings.HasPrefix(f, "dbname=") {
			kept = append(kept, f)
		}
	}
	return strings.Join(append(kept, "dbname="+name), " ")
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// binDir finds a directory holding both initdb and postgres (initdb runs the postgres
// beside it): the directories of initdb and pg_ctl on PATH (links resolved), then
// /usr/lib/postgresql/*/bin, newest version first.
func binDir() string {
	var dirs []string
	for _, p := range []string{"initdb", "pg_ctl", "postgres"} {
		if path, err := exec.LookPath(p); err == nil {
			dirs = append(dirs, filepath.Dir(path))
			if real, err := filepath.EvalSymlinks(path); err == nil {
				dirs = append(dirs, filepath.Dir(real))
			}
		}
	}
	debian, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(debian, func(i, j int) bool { return version(debian[i]) > version(debian[j]) })
	dirs = append(dirs, debian...)
	for _, d := range dirs {
		if isFile(filepath.Join(d, "initdb")) && isFile(filepath.Join(d, "postgres")) {
			return d
		}
	}
	return ""
}

func version(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

func isFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

const dirPattern = "forj-pgtest-"

func startServer() (*server, string, error) {
	bin := binDir()
	if bin == "" {
		return nil, "PostgreSQL binaries (initdb, postgres) not found on PATH or in /usr/lib/postgresql/*/bin", nil
	}
	removeStale()
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, "running as root and there is no \"postgres\" OS user to run PostgreSQL as", nil
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	// A short path: the socket path must fit in 107 bytes.
	dir, err := os.MkdirTemp("", dirPattern)
	if err != nil {
		return nil, "", err
	}
	if err := os.WriteFile(filepath.Join(dir, "owner.pid"), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		return nil, "", err
	}
	data := filepath.Join(dir, "data")
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return nil, "", err
		}
	}
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "--auth=trust",
		"--no-sync", "-E", "UTF8", "--locale=C")
	initdb.Dir = dir
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, "", fmt.Errorf("initdb: %v\n%s", err, out)
	}
	s := &server{dir: dir, done: make(chan struct{})}
	// postgres itself rather than pg_ctl start: pg_ctl detaches the server, which would then
	// outlive a killed test binary; as a child it can get a parent-death signal.
	// -k: the socket directory; -h '': no TCP; -F: no fsync (a throwaway database).
	args := []string{"-D", data, "-k", dir, "-h", "", "-F", "-c", "max_connections=200"}
	ready := make(chan error, 1)
	go s.run(filepath.Join(bin, "postgres"), args, cred, ready)
	if err := <-ready; err != nil {
		os.RemoveAll(dir)
		return nil, "", err
	}
	s.admin = fmt.Sprintf("host=%s port=5432 user=postgres dbname=postgres sslmode=disable", dir)
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err := adminExec(ctx, s.admin, "SELECT 1")
		cancel()
		if err == nil {
			return s, "", nil
		}
		select {
		case <-s.done:
			log, _ := os.ReadFile(filepath.Join(dir, "postgres.log"))
			os.RemoveAll(dir)
			return nil, "", fmt.Errorf("postgres exited: %s", log)
		default:
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, "", fmt.Errorf("postgres not ready after 60s: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// run starts postgres and waits for it, on a goroutine locked to its OS thread: the
// parent-death signal fires when the thread that started the child ends, so that thread
// must live as long as the test binary (or the server).
func (s *server) run(path string, args []string, cred *syscall.Credential, ready chan<- error) {
	lockThread()
	defer close(s.done)
	logf, err := os.Create(filepath.Join(s.dir, "postgres.log"))
	if err != nil {
		ready <- err
		return
	}
	defer logf.Close()
	cmd := exec.Command(path, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = sysProcAttr(cred)
	if err := cmd.Start(); err != nil {
		ready <- fmt.Errorf("start postgres: %w", err)
		return
	}
	s.cmd = cmd
	ready <- nil
	cmd.Wait()
}

// stop shuts the server down (fast mode: SIGINT) and removes its directory.
func (s *server) stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		s.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-s.done:
		case <-time.After(30 * time.Second):
			s.cmd.Process.Kill()
			<-s.done
		}
	}
	os.RemoveAll(s.dir)
}

// removeStale removes the directories of servers whose test binary is gone.
func removeStale() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), dirPattern+"*"))
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, "owner.pid"))
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || pid <= 0 {
			continue
		}
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			os.RemoveAll(d)
		}
	}
}
