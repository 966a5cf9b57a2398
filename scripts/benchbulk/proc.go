//go:build linux

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ownerToken is the owner's first token, given to forjd on its first start (README, "Running
// forjd"). It only ever travels to 127.0.0.1.
const ownerToken = "forj_pat_tok_admin_0123456789abcdefghijKLMN"

// clockTicks is USER_HZ, the unit of /proc/PID/stat's CPU times: 100 on every Linux
// architecture Go supports.
const clockTicks = 100

// forjd is one running server process on a database of its own directory.
type forjd struct {
	cmd  *exec.Cmd
	URL  string
	done chan error // Wait's result, once
}

// startForjd starts forjd on 127.0.0.1 (a free port) with the database dir/forjd.db,
// appending its log (JSON, the access log included) to dir/forjd.log, and returns once it
// listens. Expiry of ctx stops it with SIGTERM, then SIGKILL 10 s later.
func startForjd(ctx context.Context, bin, dir string, env []string) (*forjd, error) {
	logf, err := os.OpenFile(filepath.Join(dir, "forjd.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, bin, "--listen", "127.0.0.1:0",
		"--db", filepath.Join(dir, "forjd.db"), "--log-format", "json")
	cmd.Env = append(env, "FORJ_BOOTSTRAP_TOKEN="+ownerToken) // used on first start only
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	w := &addrWatcher{w: logf, found: make(chan string, 1)}
	cmd.Stdout, cmd.Stderr = logf, w
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	s := &forjd{cmd: cmd, done: make(chan error, 1)}
	go func() {
		err := cmd.Wait()
		logf.Close()
		s.done <- err
	}()
	select {
	case addr := <-w.found:
		s.URL = "http://" + addr
		return s, nil
	case err := <-s.done:
		s.done <- err
		return nil, fmt.Errorf("forjd exited before listening (%v); see %s", err, logf.Name())
	case <-time.After(30 * time.Second):
		s.stop()
		return nil, fmt.Errorf("forjd did not listen within 30 s; see %s", logf.Name())
	case <-ctx.Done():
		s.stop()
		return nil, ctx.Err()
	}
}

// stop ends the server: SIGTERM, then SIGKILL after 30 s.
func (s *forjd) stop() error {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.done:
		s.done <- err
		return err
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		err := <-s.done
		s.done <- err
		return errors.New("forjd ignored SIGTERM for 30 s; killed")
	}
}

// peakRSS is the server's peak resident set so far (VmHWM), in KiB. It is the server's
// own: VmHWM belongs to the memory map exec made, unlike rusage (see rusageHelper).
func (s *forjd) peakRSS() (int64, error) { return procHWM(strconv.Itoa(s.cmd.Process.Pid)) }

// cpu is the server's user + system CPU time so far.
func (s *forjd) cpu() (time.Duration, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	// The command name, in parentheses, may hold spaces: fields count from the last ')'.
	f := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+1:]))
	if len(f) < 13 {
		return 0, errors.New("short /proc/PID/stat")
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return time.Duration(utime+stime) * time.Second / clockTicks, nil
}

// addrWatcher copies forjd's log to w and reports the address of its first "forjd
// listening" line.
type addrWatcher struct {
	w     io.Writer
	found chan string
	mu    sync.Mutex
	line  []byte
	done  bool
}

func (a *addrWatcher) Write(p []byte) (int, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.done {
		a.line = append(a.line, p...)
		for {
			i := bytes.IndexByte(a.line, '\n')
			if i < 0 {
				break
			}
			var rec struct{ Msg, Addr string }
			if json.Unmarshal(a.line[:i], &rec) == nil && rec.Msg == "forjd listening" && rec.Addr != "" {
				a.found <- rec.Addr
				a.done, a.line = true, nil
				break
			}
			a.line = a.line[i+1:]
		}
	}
	return a.w.Write(p)
}

// cliRun is one forjctl process: its wall time (start to exit), peak RSS and CPU time.
type cliRun struct {
	Wall   time.Duration
	MaxRSS int64 // KiB (rusage ru_maxrss)
	CPU    time.Duration
	Floor  int64 // KiB: the launcher's own peak RSS when it started forjctl (see rusageHelper)
}

// helperEnv, set to 1, makes this program the launcher of rusageHelper.
const helperEnv = "BENCHBULK_RUSAGE_HELPER"

// forjctl runs the CLI with env, its standard output going to /dev/null (a table of every
// item is printed: it is part of the work, not of what we read), its standard error kept
// for a failure's message. It is launched by a copy of this program (rusageHelper), which
// measures it and reports on a pipe.
func forjctl(ctx context.Context, bin string, env []string, args ...string) (cliRun, error) {
	var r cliRun
	self, err := os.Executable()
	if err != nil {
		return r, err
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return r, err
	}
	defer pr.Close()
	cmd := exec.CommandContext(ctx, self, append([]string{bin}, args...)...)
	cmd.Env = append(env[:len(env):len(env)], helperEnv+"=1")
	cmd.ExtraFiles = []*os.File{pw} // fd 3 in the helper
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err = cmd.Start()
	pw.Close()
	if err != nil {
		return r, err
	}
	report, rerr := io.ReadAll(pr)
	err = cmd.Wait()
	if err == nil && rerr == nil {
		err = json.Unmarshal(report, &r)
	}
	if err != nil {
		return r, fmt.Errorf("forjctl %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return r, nil
}

// rusageHelper runs args[0] with args[1:] and writes its cliRun as JSON to fd 3, returning
// its exit code.
//
// Why a launcher: Go starts a child with vfork semantics (CLONE_VM), and Linux records the
// parent's peak RSS as the child's when the child calls exec, so a child's ru_maxrss is at
// least the RSS of whoever started it. Started from this benchmark (tens of MiB: it holds
// the seeded flows), a 20 MiB forjctl would report the benchmark's size. The launcher is
// a freshly started copy of this program, a few MiB, which it reports as Floor: ru_maxrss
// is a maximum, so a CLI's figure at the floor means "at most this".
func rusageHelper(args []string) int {
	out := os.NewFile(3, "report")
	if out == nil || len(args) == 0 {
		fmt.Fprintln(os.Stderr, "benchbulk: the rusage helper needs fd 3 and a command")
		return 2
	}
	var r cliRun
	r.Floor, _ = procHWM("self")
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, helperEnv+"=") {
			env = append(env, kv)
		}
	}
	// Pdeathsig belongs to the thread that starts the child: forjctl dies with this helper
	// (the benchmark kills it on its timeout).
	runtime.LockOSThread()
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env, cmd.Stdout, cmd.Stderr = env, os.Stdout, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	start := time.Now()
	err := cmd.Run()
	r.Wall = time.Since(start)
	if cmd.ProcessState == nil {
		fmt.Fprintln(os.Stderr, "benchbulk:", err)
		return 2
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.MaxRSS = ru.Maxrss // KiB on Linux
		r.CPU = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	if err := json.NewEncoder(out).Encode(r); err != nil {
		return 2
	}
	return cmd.ProcessState.ExitCode()
}

// procHWM is a process's peak resident set so far (VmHWM), in KiB; pid is a number or "self".
func procHWM(pid string) (int64, error) {
	data, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(data)) {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		}
	}
	return 0, errors.New("no VmHWM in /proc/" + pid + "/status")
}

// childEnv is this process's environment without anything that would point forjctl or
// forjd at the user's own config, credentials, data or server, and with HOME and the XDG
// directories under dir.
func childEnv(dir string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "FORJ_") || strings.HasPrefix(k, "XDG_") || k == "HOME" {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "HOME="+filepath.Join(dir, "home"),
		"XDG_CONFIG_HOME="+filepath.Join(dir, "config"),
		"XDG_CACHE_HOME="+filepath.Join(dir, "cache"),
		"XDG_DATA_HOME="+filepath.Join(dir, "data"))
}

// cliEnv is env with the CLI pointed at one server (a base URL) as its owner.
func cliEnv(env []string, server string) []string {
	return append(env[:len(env):len(env)], "FORJ_SERVER="+server, "FORJ_TOKEN="+ownerToken)
}

// loadavg is the 1-minute load average now, from /proc/loadavg.
func loadavg() float64 {
	data, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(data))
	if len(f) == 0 {
		return -1
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}
