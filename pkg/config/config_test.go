package config

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/forjinn/forjctl/pkg/forj"
)

func envMap(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestDefaultPath(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"FORJ_CONFIG": "/x/c.yaml", "XDG_CONFIG_HOME": "/xdg", "HOME": "/h"}, "/x/c.yaml"},
		{map[string]string{"XDG_CONFIG_HOME": "/xdg", "HOME": "/h"}, "/xdg/forjctl/config.yaml"},
		{map[string]string{"XDG_CONFIG_HOME": "relative", "HOME": "/h"}, "/h/.config/forjctl/config.yaml"},
		{map[string]string{"HOME": "/h"}, "/h/.config/forjctl/config.yaml"},
	}
	for _, tt := range tests {
		if got := DefaultPath(envMap(tt.env)); got != filepath.FromSlash(tt.want) {
			t.Errorf("DefaultPath(%v) = %q, want %q", tt.env, got, tt.want)
		}
	}
}

func TestLoadMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope", "config.yaml")
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.Path() != path || c.CurrentContext != "" || c.Contexts == nil || len(c.Contexts) != 0 {
		t.Fatalf("Load(missing) = %+v", c)
	}
	if _, err := os.Stat(filepath.Dir(path)); !os.IsNotExist(err) {
		t.Error("Load created the directory")
	}
}

func TestRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cfg", "config.yaml")
	want := map[string]Context{
		"dev":              {Server: "http://127.0.0.1:8080", User: "dev@example.com", Workspace: "ws_1", WorkspaceName: "Default", Insecure: true},
		"prod.example.com": {Server: "https://prod.example.com", User: "ops@example.com"},
	}
	written, err := Update(path, func(c *Config) error {
		c.CurrentContext = "prod.example.com"
		c.CredentialStore = StoreKeyring
		for k, v := range want {
			c.Contexts[k] = v
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, written) {
		t.Fatalf("reloaded %+v\nwritten  %+v", got, written)
	}
	if got.CurrentContext != "prod.example.com" || got.CredentialStore != StoreKeyring || !reflect.DeepEqual(got.Contexts, want) {
		t.Fatalf("reloaded %+v", got)
	}

	// The keys on disk are the documented ones.
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"current-context:", "credential-store:", "contexts:", "server:", "user:", "workspace:", "workspace-name:", "insecure:"} {
		if !strings.Contains(string(data), key) {
			t.Errorf("file lacks %q:\n%s", key, data)
		}
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != FileMode {
		t.Errorf("config mode %v, want %v", fi.Mode().Perm(), FileMode)
	}
	di, err := os.Stat(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if di.Mode().Perm() != 0o700 {
		t.Errorf("config dir mode %v, want 0700", di.Mode().Perm())
	}
}

// TestNoTokenField guards the rule that a token never goes into config.yaml: neither type
// that is written to the file may grow a field that could carry one.
func TestNoTokenField(t *testing.T) {
	for _, typ := range []reflect.Type{reflect.TypeFor[Context](), reflect.TypeFor[Config]()} {
		for i := range typ.NumField() {
			f := typ.Field(i)
			for _, s := range []string{f.Name, f.Tag.Get("yaml"), f.Tag.Get("mapstructure")} {
				l := strings.ToLower(s)
				if strings.Contains(l, "token") || strings.Contains(l, "secret") || strings.Contains(l, "password") {
					t.Errorf("%s.%s (%q) looks like it holds a credential", typ.Name(), f.Name, s)
				}
			}
		}
	}
}

func TestUpdateErrorWritesNothing(t *testing.T) {
	path := writeFile(t, "current-context: a\ncontexts:\n  a:\n    server: https://a\n")
	before, _ := os.ReadFile(path)
	_, err := Update(path, func(c *Config) error {
		c.CurrentContext = "b"
		return fmt.Errorf("changed my mind")
	})
	if err == nil || err.Error() != "changed my mind" {
		t.Fatalf("err = %v", err)
	}
	after, _ := os.ReadFile(path)
	if string(before) != string(after) {
		t.Fatal("file changed although fn failed")
	}
	if _, err := Update(path, func(c *Config) error { c.CurrentContext = "Upper"; return nil }); forj.ErrorCode(err) != forj.EInvalid {
		t.Fatalf("upper-case context name: err = %v, want invalid", err)
	}
}

func TestUpdateRefusesMalformedFile(t *testing.T) {
	path := writeFile(t, "contexts: [\n")
	_, err := Update(path, func(c *Config) error { return nil })
	if err == nil {
		t.Fatal("Update overwrote a malformed file")
	}
	if got, _ := os.ReadFile(path); string(got) != "contexts: [\n" {
		t.Fatalf("file changed to %q", got)
	}
}

func TestMalformed(t *testing.T) {
	tests := []struct {
		name, content, want string
	}{
		{"syntax", "current-context: dev\ncontexts:\n  dev:\n    server: a: b\n", "line 4"},
		{"tab", "current-context: dev\ncontexts:\n  dev:\n\t server: a\n", "line 4"},
		{"duplicate key", "current-context: dev\ncurrent-context: prod\n", "line 2"},
		{"bad indentation", "current-context: dev\n  contexts: x\n", "line 2"},
		{"wrong type", "current-context: dev\ncontexts:\n  dev: just-a-string\n", "line 3"},
		{"not a map", "- a\n- b\n", "line 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, tt.content)
			_, err := Load(path)
			if err == nil {
				t.Fatal("Load succeeded")
			}
			msg := err.Error()
			if !strings.Contains(msg, path) || !strings.Contains(msg, tt.want) {
				t.Fatalf("error %q does not name the file and %q", msg, tt.want)
			}
			if forj.ErrorCode(err) != forj.EInvalid {
				t.Errorf("code %q, want invalid", forj.ErrorCode(err))
			}
		})
	}
}

func TestResolvePrecedence(t *testing.T) {
	cfg := &Config{
		path:           "/cfg/config.yaml",
		CurrentContext: "file",
		Contexts: map[string]Context{
			"file": {Server: "https://file", User: "f@x", Workspace: "ws_file", WorkspaceName: "File WS"},
			"env":  {Server: "https://env-ctx", User: "e@x", Workspace: "ws_envctx", WorkspaceName: "Env WS"},
			"flag": {Server: "https://flag-ctx", User: "g@x", Workspace: "ws_flagctx", WorkspaceName: "Flag WS"},
		},
	}
	tests := []struct {
		name      string
		cfg       *Config
		flags     Overrides
		env       map[string]string
		wantName  string
		wantCtx   Context
		wantError string // forj error code
	}{
		{name: "file", cfg: cfg, wantName: "file", wantCtx: cfg.Contexts["file"]},
		{name: "env context", cfg: cfg, env: map[string]string{EnvContext: "env"}, wantName: "env", wantCtx: cfg.Contexts["env"]},
		{name: "flag context beats env", cfg: cfg, flags: Overrides{Context: "flag"}, env: map[string]string{EnvContext: "env"},
			wantName: "flag", wantCtx: cfg.Contexts["flag"]},
		{name: "context names are case-insensitive", cfg: cfg, flags: Overrides{Context: "FLAG"}, wantName: "flag", wantCtx: cfg.Contexts["flag"]},
		{name: "env workspace", cfg: cfg, env: map[string]string{EnvWorkspace: "ws_env"}, wantName: "file",
			wantCtx: Context{Server: "https://file", User: "f@x", Workspace: "ws_env"}},
		{name: "flag workspace beats env", cfg: cfg, flags: Overrides{Workspace: "staging"}, env: map[string]string{EnvWorkspace: "ws_env"},
			wantName: "file", wantCtx: Context{Server: "https://file", User: "f@x", Workspace: "staging"}},
		{name: "env server", cfg: cfg, env: map[string]string{EnvServer: "https://env"}, wantName: "file",
			wantCtx: Context{Server: "https://env", User: "f@x", Workspace: "ws_file", WorkspaceName: "File WS"}},
		{name: "flag server beats env", cfg: cfg, flags: Overrides{Server: "https://flag"}, env: map[string]string{EnvServer: "https://env"},
			wantName: "file", wantCtx: Context{Server: "https://flag", User: "f@x", Workspace: "ws_file", WorkspaceName: "File WS"}},
		{name: "all from flags over env context", cfg: cfg, flags: Overrides{Context: "flag", Workspace: "w", Server: "https://s"},
			env: map[string]string{EnvContext: "env", EnvWorkspace: "ew", EnvServer: "https://es"}, wantName: "flag",
			wantCtx: Context{Server: "https://s", User: "g@x", Workspace: "w"}},
		{name: "empty env is unset", cfg: cfg, env: map[string]string{EnvContext: "", EnvServer: ""}, wantName: "file", wantCtx: cfg.Contexts["file"]},
		{name: "unknown context", cfg: cfg, flags: Overrides{Context: "nope"}, wantError: forj.ENotFound},
		{name: "unknown env context", cfg: cfg, env: map[string]string{EnvContext: "nope"}, wantError: forj.ENotFound},
		{name: "no config, server from env", cfg: &Config{Contexts: map[string]Context{}}, env: map[string]string{EnvServer: "https://ci", EnvWorkspace: "prod"},
			wantName: "", wantCtx: Context{Server: "https://ci", Workspace: "prod"}},
		{name: "no config, nothing given", cfg: &Config{Contexts: map[string]Context{}}, wantError: forj.EUnauthenticated},
		{name: "contexts but none current", cfg: &Config{Contexts: cfg.Contexts}, wantError: forj.EUnauthenticated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name, ctx, err := tt.cfg.Resolve(tt.flags, envMap(tt.env))
			if tt.wantError != "" {
				if forj.ErrorCode(err) != tt.wantError {
					t.Fatalf("err = %v (code %q), want code %q", err, forj.ErrorCode(err), tt.wantError)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if name != tt.wantName || ctx != tt.wantCtx {
				t.Fatalf("got %q %+v, want %q %+v", name, ctx, tt.wantName, tt.wantCtx)
			}
		})
	}
}

func TestUnknownContextHint(t *testing.T) {
	cfg := &Config{Contexts: map[string]Context{"b": {Server: "s"}, "a": {Server: "s"}}}
	_, _, err := cfg.Resolve(Overrides{Context: "c"}, envMap(nil))
	var fe *forj.Error
	if !errors.As(err, &fe) || !strings.Contains(fe.Hint, "a, b") || !strings.Contains(fe.Message, `"c"`) {
		t.Fatalf("err = %#v", err)
	}
}

func TestStoreMode(t *testing.T) {
	c := &Config{}
	if m, err := c.StoreMode(envMap(nil)); m != StoreAuto || err != nil {
		t.Errorf("default = %q, %v", m, err)
	}
	c.CredentialStore = StoreFile
	if m, err := c.StoreMode(envMap(nil)); m != StoreFile || err != nil {
		t.Errorf("file setting = %q, %v", m, err)
	}
	if m, err := c.StoreMode(envMap(map[string]string{EnvCredentialStore: StoreKeyring})); m != StoreKeyring || err != nil {
		t.Errorf("env beats file = %q, %v", m, err)
	}
	if _, err := c.StoreMode(envMap(map[string]string{EnvCredentialStore: "vault"})); forj.ErrorCode(err) != forj.EInvalid {
		t.Errorf("bad env value: err = %v", err)
	}
}

// Concurrent writers: every Update adds its own context and points current-context at it.
// Afterwards the file must parse, name one of the written contexts as current, and hold all
// of them (no lost update).

const childEnv = "FORJ_CONFIG_TEST_CHILD" // "path|name" for TestUpdateChild

func writeOwn(path, name string) error {
	_, err := Update(path, func(c *Config) error {
		c.Contexts[name] = Context{Server: "https://" + name + ".example.com", User: name + "@example.com"}
		c.CurrentContext = name
		return nil
	})
	return err
}

// TestUpdateChild is the body of a child process started by TestConcurrentUpdates.
func TestUpdateChild(t *testing.T) {
	arg := os.Getenv(childEnv)
	if arg == "" {
		t.Skip("run as a child of TestConcurrentUpdates")
	}
	path, name, _ := strings.Cut(arg, "|")
	if err := writeOwn(path, name); err != nil {
		t.Fatal(err)
	}
}

func TestConcurrentUpdates(t *testing.T) {
	if os.Getenv(childEnv) != "" {
		t.Skip("child")
	}
	path := filepath.Join(t.TempDir(), "forjctl", "config.yaml")
	const goroutines, children = 50, 20
	var names []string
	var wg sync.WaitGroup
	errs := make(chan error, goroutines+children)
	for i := range children {
		name := fmt.Sprintf("proc-%d", i)
		names = append(names, name)
		cmd := exec.Command(os.Args[0], "-test.run=^TestUpdateChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), childEnv+"="+path+"|"+name)
		wg.Go(func() {
			if out, err := cmd.CombinedOutput(); err != nil {
				errs <- fmt.Errorf("child %s: %v\n%s", name, err, out)
			}
		})
	}
	for i := range goroutines {
		name := fmt.Sprintf("goroutine-%d", i)
		names = append(names, name)
		wg.Go(func() {
			if err := writeOwn(path, name); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(names, c.CurrentContext) {
		t.Errorf("current-context %q is none of the written values", c.CurrentContext)
	}
	for _, n := range names {
		if _, ok := c.Contexts[n]; !ok {
			t.Errorf("context %s was lost", n)
		}
	}
	if len(c.Contexts) != len(names) {
		t.Errorf("%d contexts, want %d", len(c.Contexts), len(names))
	}
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() != "config.yaml" && e.Name() != "config.yaml.lock" {
			t.Errorf("left behind: %s", e.Name())
		}
	}
}
