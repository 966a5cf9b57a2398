package server

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/forjinn/forjctl/pkg/forj"
)

// syncBuffer is a bytes.Buffer safe for the logger's concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Secrets never reach the server log: token secrets (bootstrap, login, created tokens,
// bad tokens), passwords and invite codes.
func TestLogHasNoSecrets(t *testing.T) {
	var buf syncBuffer
	e := newEnv(t, withLogger(slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	ws := e.newWorkspace("alpha")
	var secrets []string
	_, _, ownerSecret, _ := forj.ParseToken(e.ownerToken)
	secrets = append(secrets, e.ownerToken, ownerSecret)

	e.must(200, e.do("GET", "/api/v1/workspaces", e.ownerToken, nil))
	var ar forj.AddUserResponse
	e.must(201, e.do("POST", "/api/v1/workspace/"+ws.ID+"/add-user", e.ownerToken, `{"email":"new@example.com","role":"viewer"}`)).decode(t, &ar)
	var ir forj.InviteUserResponse
	e.must(201, e.do("POST", "/api/v1/users", e.ownerToken, `{"email":"other@example.com"}`, "Idempotency-Key", "inv")).decode(t, &ir)
	secrets = append(secrets, ar.InviteCode, ir.InviteCode)

	const pw1, pw2, wrong = "Password-Number-One", "Password-Number-Two", "Wrong-Password-Guess"
	secrets = append(secrets, pw1, pw2, wrong)
	e.must(401, e.do("POST", "/api/v1/auth/login", "", `{"email":"new@example.com","password":"`+pw1+`","inviteCode":"not-`+ar.InviteCode+`"}`))
	var tr forj.TokenResponse
	e.must(201, e.do("POST", "/api/v1/auth/login", "", `{"email":"new@example.com","password":"`+pw1+`","inviteCode":"`+ar.InviteCode+`"}`)).decode(t, &tr)
	e.must(201, e.do("POST", "/api/v1/auth/login", "", `{"email":"other@example.com","password":"`+pw2+`","inviteCode":"`+ir.InviteCode+`"}`))
	e.must(401, e.do("POST", "/api/v1/auth/login", "", `{"email":"new@example.com","password":"`+wrong+`"}`))
	var tr2 forj.TokenResponse
	e.must(201, e.do("POST", "/api/v1/auth/tokens", tr.Secret, `{"name":"ci"}`)).decode(t, &tr2)
	secrets = append(secrets, tr.Secret, tr2.Secret)
	// A wrong secret for a real token id, and a token in the path.
	_, id, sec, _ := forj.ParseToken(tr.Secret)
	bad := forj.FormatToken(forj.TokenPAT, id, "Zz"+sec[2:])
	secrets = append(secrets, bad, sec)
	e.must(401, e.do("GET", "/api/v1/auth/me", bad, nil))
	e.must(404, e.do("GET", "/api/v1/"+tr2.Secret, tr.Secret, nil))
	e.must(200, e.do("GET", "/readyz", "", nil))

	log := buf.String()
	for _, s := range secrets {
		if s == "" {
			t.Fatal("empty secret in the list")
		}
		if strings.Contains(log, s) {
			t.Errorf("log contains secret %q", s)
		}
	}
	// Each request is one structured line with the expected fields, and no headers.
	lines := 0
	for _, line := range strings.Split(strings.TrimSpace(log), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("not JSON: %s", line)
		}
		if m["msg"] != "request" {
			continue
		}
		lines++
		for _, k := range []string{"method", "path", "status", "duration", "request_id"} {
			if _, ok := m[k]; !ok {
				t.Errorf("access log line without %s: %s", k, line)
			}
		}
		if strings.Contains(line, "Bearer") || strings.Contains(line, "Authorization") {
			t.Errorf("access log shows headers: %s", line)
		}
	}
	if lines != 11 {
		t.Errorf("%d access log lines, want 11:\n%s", lines, log)
	}
}
