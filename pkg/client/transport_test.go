package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/forjinn/forjctl/pkg/forj"
)

// These tests use a fault injector: an httptest.Server that answers with scripted statuses so
// that retries, backoff and error decoding can be observed. The API itself is tested against
// the real server in server_test.go.

// fault answers the n-th request (0-based) with steps[n], the last step repeating.
type fault struct {
	mu       sync.Mutex
	steps    []func(w http.ResponseWriter, r *http.Request)
	requests []recorded
}

type recorded struct {
	method string
	path   string
	header http.Header
	body   string
}

func (f *fault) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	n := len(f.requests)
	f.requests = append(f.requests, recorded{r.Method, r.URL.RequestURI(), r.Header.Clone(), string(body)})
	step := f.steps[min(n, len(f.steps)-1)]
	f.mu.Unlock()
	step(w, r)
}

func (f *fault) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.requests)
}

func status(code int, headers ...string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		w.WriteHeader(code)
	}
}

func jsonBody(code int, v any) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Request-Id", "req_test")
		w.WriteHeader(code)
		json.NewEncoder(w).Encode(v)
	}
}

func serve(t *testing.T, steps ...func(http.ResponseWriter, *http.Request)) (*fault, string) {
	t.Helper()
	f := &fault{steps: steps}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv.URL
}

// sleeps records the waits a client asked for, without waiting.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return ctx.Err()
}

func newClient(t *testing.T, opts Options) (*Client, *sleeps) {
	t.Helper()
	s := &sleeps{}
	if opts.Sleep == nil {
		opts.Sleep = s.sleep
	}
	c, err := New(opts)
	if err != nil {
		t.Fatalf("New(%+v): %v", opts, err)
	}
	return c, s
}

func TestNewChecksTheServerURL(t *testing.T) {
	ok := map[string]string{
		"http://127.0.0.1:8420":       "http://127.0.0.1:8420",
		"http://127.9.8.7:1/":         "http://127.9.8.7:1",
		"http://[::1]:8420":           "http://[::1]:8420",
		"http://LOCALHOST:8420/":      "http://LOCALHOST:8420",
		"https://forj.example.com":    "https://forj.example.com",
		"https://example.com/forj/":   "https://example.com/forj",
		" https://example.com:8443  ": "https://example.com:8443",
	}
	for in, want := range ok {
		c, err := New(Options{BaseURL: in})
		if err != nil {
			t.Errorf("New(%q): %v", in, err)
			continue
		}
		if c.BaseURL() != want {
			t.Errorf("New(%q).BaseURL() = %q, want %q", in, c.BaseURL(), want)
		}
	}
	for _, in := range []string{"", "example.com", "localhost:8420", "127.0.0.1:8420", "ftp://example.com",
		"http://user:pass@localhost:1", "http://localhost:1/?a=b", "https://", "http://10.0.0.1:8420",
		"http://forj.example.com", "http://127.0.0.1.example.com"} {
		_, err := New(Options{BaseURL: in})
		var fe *forj.Error
		if !errors.As(err, &fe) || fe.Code != forj.EInvalid || fe.Hint == "" {
			t.Errorf("New(%q) = %v, want an EInvalid *forj.Error with a hint", in, err)
		}
	}
	_, err := New(Options{BaseURL: "http://forj.example.com"})
	if fe := (*forj.Error)(nil); !errors.As(err, &fe) || fe.Hint != "use https:// or pass --insecure" {
		t.Errorf("plain http to a remote host: %v", err)
	}
	if _, err := New(Options{BaseURL: "http://forj.example.com", Insecure: true}); err != nil {
		t.Errorf("with Insecure: %v", err)
	}
}

func TestRetriesTransientStatuses(t *testing.T) {
	f, url := serve(t, status(503), status(502), status(504), jsonBody(200, forj.Workspace{ID: "ws_1"}))
	c, s := newClient(t, Options{BaseURL: url})
	w, err := c.GetWorkspace(context.Background(), "ws_1")
	if err != nil || w.ID != "ws_1" {
		t.Fatalf("GetWorkspace = %+v, %v", w, err)
	}
	if f.count() != 4 || len(s.d) != 3 {
		t.Fatalf("%d requests and %d sleeps, want 4 and 3", f.count(), len(s.d))
	}
	for i, d := range s.d {
		if limit := backoffBase << i; d < 0 || d > limit {
			t.Errorf("sleep %d = %s, want within [0, %s]", i, d, limit)
		}
	}
}

func TestRetriesGiveUpAfterMaxRetries(t *testing.T) {
	f, url := serve(t, jsonBody(503, forj.ErrorBody{Error: forj.Errorf(forj.EInternal, "database is down")}))
	c, s := newClient(t, Options{BaseURL: url, MaxRetries: 2})
	err := c.Healthz(context.Background())
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != 503 || ae.Err.Message != "database is down" {
		t.Fatalf("err = %#v", err)
	}
	if f.count() != 3 || len(s.d) != 2 {
		t.Errorf("%d requests and %d sleeps, want 3 and 2", f.count(), len(s.d))
	}

	f, url = serve(t, status(503))
	c, s = newClient(t, Options{BaseURL: url, MaxRetries: -1})
	if err := c.Healthz(context.Background()); err == nil || f.count() != 1 || len(s.d) != 0 {
		t.Errorf("MaxRetries -1: err %v, %d requests, %d sleeps", err, f.count(), len(s.d))
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		header string
		want   time.Duration
	}{
		{"7", 7 * time.Second},
		{"0", 0},
		{"3600", retryAfterLimit},
		{now.Add(12 * time.Second).Format(http.TimeFormat), 12 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{now.Add(time.Hour).Format(http.TimeFormat), retryAfterLimit},
	} {
		f, url := serve(t, status(429, "Retry-After", tc.header), jsonBody(200, map[string]string{"status": "ok"}))
		c, s := newClient(t, Options{BaseURL: url, Now: func() time.Time { return now }})
		if err := c.Healthz(context.Background()); err != nil {
			t.Fatalf("Retry-After %q: %v", tc.header, err)
		}
		if f.count() != 2 || len(s.d) != 1 || s.d[0] != tc.want {
			t.Errorf("Retry-After %q: %d requests, sleeps %v, want one of %s", tc.header, f.count(), s.d, tc.want)
		}
	}
	// A malformed Retry-After falls back to the backoff.
	_, url := serve(t, status(429, "Retry-After", "soon"), status(200))
	c, s := newClient(t, Options{BaseURL: url})
	if err := c.Healthz(context.Background()); err != nil || len(s.d) != 1 || s.d[0] > backoffBase {
		t.Errorf("malformed Retry-After: %v, sleeps %v", err, s.d)
	}
}

func TestPOSTIsRetriedOnlyWithAnIdempotencyKey(t *testing.T) {
	ctx := context.Background()

	// Do without a key: one attempt.
	f, url := serve(t, status(503), jsonBody(201, forj.Workspace{ID: "ws_1"}))
	c, s := newClient(t, Options{BaseURL: url})
	err := c.Do(ctx, http.MethodPost, "/api/v1/workspace", nil, forj.CreateWorkspaceRequest{Name: "a"}, nil)
	if forj.ErrorCode(err) != forj.EInternal || f.count() != 1 || len(s.d) != 0 {
		t.Errorf("POST without key: err %v, %d requests, %d sleeps", err, f.count(), len(s.d))
	}

	// Login carries no key: one attempt, even on 429.
	f, url = serve(t, status(429), jsonBody(201, forj.TokenResponse{}))
	c, _ = newClient(t, Options{BaseURL: url})
	_, err = c.Login(ctx, forj.LoginRequest{Email: "a@example.com", Password: "pw"})
	if forj.ErrorCode(err) != forj.ERateLimited || f.count() != 1 {
		t.Errorf("Login: err %v, %d requests", err, f.count())
	}
	if f.requests[0].header.Get("Idempotency-Key") != "" {
		t.Errorf("Login sent an Idempotency-Key")
	}

	// Raw without a key: one attempt, the 503 comes back as a response.
	f, url = serve(t, status(503), status(201))
	c, _ = newClient(t, Options{BaseURL: url})
	resp, err := c.Raw(ctx, "post", "/api/v1/workspace", strings.NewReader(`{"name":"a"}`), nil)
	if err != nil || resp.StatusCode != 503 || f.count() != 1 {
		t.Fatalf("Raw POST: %v, %v, %d requests", resp, err, f.count())
	}
	resp.Body.Close()

	// Raw with a key: retried with the same body.
	f, url = serve(t, status(503), status(201))
	c, _ = newClient(t, Options{BaseURL: url})
	resp, err = c.Raw(ctx, "POST", "/api/v1/workspace", strings.NewReader(`{"name":"a"}`), http.Header{"Idempotency-Key": {"k1"}})
	if err != nil || resp.StatusCode != 201 || f.count() != 2 || f.requests[1].body != `{"name":"a"}` {
		t.Fatalf("Raw POST with key: %v, %v, %d requests %+v", resp, err, f.count(), f.requests)
	}
	resp.Body.Close()

	// A typed POST gets a fresh key per call, the same on each retry of that call.
	f, url = serve(t, status(502), jsonBody(201, forj.Workspace{ID: "ws_1"}))
	c, _ = newClient(t, Options{BaseURL: url})
	if _, err := c.CreateWorkspace(ctx, forj.CreateWorkspaceRequest{Name: "a"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateWorkspace(ctx, forj.CreateWorkspaceRequest{Name: "b"}); err != nil {
		t.Fatal(err)
	}
	k0, k1, k2 := f.requests[0].header.Get("Idempotency-Key"), f.requests[1].header.Get("Idempotency-Key"), f.requests[2].header.Get("Idempotency-Key")
	if f.count() != 3 || k0 == "" || k0 != k1 || k2 == "" || k2 == k0 {
		t.Errorf("keys %q %q %q over %d requests: want one key per call, kept across retries", k0, k1, k2, f.count())
	}
	if f.requests[0].body != f.requests[1].body {
		t.Errorf("retry sent another body: %q vs %q", f.requests[0].body, f.requests[1].body)
	}

	// A caller's key replaces the generated one.
	f, url = serve(t, jsonBody(201, forj.Workspace{ID: "ws_1"}))
	c, _ = newClient(t, Options{BaseURL: url})
	if _, err := c.CreateWorkspace(ctx, forj.CreateWorkspaceRequest{Name: "a"}, WithIdempotencyKey("mine")); err != nil {
		t.Fatal(err)
	}
	if got := f.requests[0].header.Get("Idempotency-Key"); got != "mine" {
		t.Errorf("Idempotency-Key = %q, want mine", got)
	}
}

func TestCancelStopsRetries(t *testing.T) {
	f, url := serve(t, status(503))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var waits int
	c, _ := newClient(t, Options{BaseURL: url, Sleep: func(ctx context.Context, d time.Duration) error {
		waits++
		cancel() // the user presses Ctrl-C during the wait
		return sleepCtx(ctx, time.Hour)
	}})
	err := c.Healthz(ctx)
	if !errors.Is(err, context.Canceled) || f.count() != 1 || waits != 1 {
		t.Errorf("err %v after %d requests and %d waits; want context.Canceled after 1 and 1", err, f.count(), waits)
	}

	// Already cancelled: nothing is sent.
	if err := c.Healthz(ctx); !errors.Is(err, context.Canceled) || f.count() != 1 {
		t.Errorf("cancelled ctx: err %v, %d requests", err, f.count())
	}
}

func TestNetworkErrorsAreRetriedAndExplained(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there any more
	c, s := newClient(t, Options{BaseURL: url})
	_, err := c.ListWorkspaces(context.Background(), ListOptions{})
	var ne *NetworkError
	if !errors.As(err, &ne) {
		t.Fatalf("err = %#v, want *NetworkError", err)
	}
	if len(s.d) != DefaultMaxRetries {
		t.Errorf("%d sleeps, want %d", len(s.d), DefaultMaxRetries)
	}
	msg := err.Error()
	for _, want := range []string{url, "forjctl dev", "--server"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}
	// A refused connection is not a timeout.
	if !strings.Contains(ne.Cause(), "refused") || strings.Contains(msg, "no answer within") {
		t.Errorf("cause %q / message %q: want the refusal, not a timeout", ne.Cause(), msg)
	}
}

func TestAttemptTimeout(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	_, url := serve(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	c, _ := newClient(t, Options{BaseURL: url, Timeout: 20 * time.Millisecond, MaxRetries: -1})
	err := c.Healthz(context.Background())
	var ne *NetworkError
	if !errors.As(err, &ne) || !strings.Contains(err.Error(), "no answer within 20ms") {
		t.Errorf("err = %v, want a *NetworkError naming the timeout", err)
	}
}

func TestErrorsAreDecoded(t *testing.T) {
	ctx := context.Background()
	_, url := serve(t, jsonBody(404, forj.ErrorBody{Error: forj.Errorf(forj.ENotFound, "workspace \"x\" not found").WithHint("list them")}))
	c, _ := newClient(t, Options{BaseURL: url})
	_, err := c.GetWorkspace(ctx, "ws_x")
	var ae *APIError
	var fe *forj.Error
	if !errors.As(err, &ae) || ae.Status != 404 || ae.RequestID != "req_test" {
		t.Fatalf("err = %#v", err)
	}
	if !errors.As(err, &fe) || fe.Code != forj.ENotFound || fe.Hint != "list them" || !forj.IsNotFound(err) {
		t.Fatalf("*forj.Error = %#v", fe)
	}
	if err.Error() != `workspace "x" not found (hint: list them)` {
		t.Errorf("Error() = %q", err.Error())
	}

	for _, tc := range []struct {
		step     func(http.ResponseWriter, *http.Request)
		code     string
		hint     string
		contains string
	}{
		{status(401), forj.EUnauthenticated, "log in with: forjctl auth login", "401"},
		{status(412), forj.EConflict, "", "412"},
		{status(413), forj.ETooLarge, "", "413"},
		{func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.Header().Set("X-Request-Id", "req_7")
			w.WriteHeader(500)
			io.WriteString(w, "<html>oops</html>")
		}, forj.EInternal, "the server's log has the details under request id req_7", "500"},
		{status(302, "Location", "https://elsewhere.example.com/api"), forj.EInvalid,
			"point --server at the address it redirects to: https://elsewhere.example.com/api", "302"},
		{jsonBody(400, map[string]any{"error": map[string]string{"code": "invalid", "message": "bad name"}}), forj.EInvalid, "", "bad name"},
	} {
		_, url := serve(t, tc.step)
		c, _ := newClient(t, Options{BaseURL: url, MaxRetries: -1})
		err := c.Do(ctx, http.MethodGet, "/x", nil, nil, nil)
		if !errors.As(err, &fe) || fe.Code != tc.code || fe.Hint != tc.hint || !strings.Contains(fe.Message, tc.contains) {
			t.Errorf("got %#v, want code %q hint %q message containing %q", fe, tc.code, tc.hint, tc.contains)
		}
	}
}

func TestHeadersSent(t *testing.T) {
	f, url := serve(t, jsonBody(200, forj.Workspace{}))
	c, _ := newClient(t, Options{BaseURL: url + "/prefix/", Token: "forj_pat_tok_abc_" + strings.Repeat("s", 32), UserAgent: "forjctl/1.2.3"})
	if _, err := c.UpdateWorkspace(context.Background(), "ws_a/b", forj.UpdateWorkspaceRequest{}, 7); err != nil {
		t.Fatal(err)
	}
	r := f.requests[0]
	if r.method != "PATCH" || r.path != "/prefix/api/v1/workspace/ws_a%2Fb" {
		t.Errorf("request %s %s", r.method, r.path)
	}
	for k, want := range map[string]string{
		"User-Agent":    "forjctl/1.2.3",
		"Authorization": "Bearer forj_pat_tok_abc_" + strings.Repeat("s", 32),
		"If-Match":      `"7"`,
		"Content-Type":  "application/json",
	} {
		if got := r.header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
}

func TestRawRefusesAbsoluteURLs(t *testing.T) {
	c, _ := newClient(t, Options{BaseURL: "http://127.0.0.1:1"})
	for _, p := range []string{"https://evil.example.com/x", "//evil.example.com/x", "api/v1/workspaces"} {
		if _, err := c.Raw(context.Background(), "GET", p, nil, nil); forj.ErrorCode(err) != forj.EInvalid {
			t.Errorf("Raw(%q) = %v, want EInvalid", p, err)
		}
	}
}

func TestIteratorStopsOnARepeatedCursor(t *testing.T) {
	_, url := serve(t, jsonBody(200, forj.List[forj.Role]{Data: []forj.Role{{Name: "a"}}, NextCursor: "same"}))
	c, _ := newClient(t, Options{BaseURL: url})
	var names []string
	var last error
	for r, err := range c.AllRoles(context.Background(), ListOptions{}) {
		if err != nil {
			last = err
			break
		}
		names = append(names, r.Name)
	}
	if len(names) != 2 || last == nil || !strings.Contains(last.Error(), "same cursor") {
		t.Errorf("names %v, err %v", names, last)
	}
}

func TestDebugTraceHidesSecrets(t *testing.T) {
	token := forj.FormatToken(forj.TokenPAT, "tok_caller", forj.NewTokenSecret())
	issued := forj.FormatToken(forj.TokenPAT, "tok_new", forj.NewTokenSecret())
	password := "correct horse battery staple"
	invite := "invite" + forj.RandomString(10)
	_, url := serve(t,
		status(503),
		jsonBody(201, forj.TokenResponse{Token: forj.Token{ID: "tok_new"}, Secret: issued}),
		jsonBody(201, forj.TokenResponse{Token: forj.Token{ID: "tok_new"}, Secret: issued}),
		jsonBody(201, forj.AddUserResponse{Invited: true, InviteCode: invite}),
	)
	var trace bytes.Buffer
	c, _ := newClient(t, Options{BaseURL: url, Token: token, Debug: &trace})
	ctx := context.Background()
	if _, err := c.CreateToken(ctx, forj.CreateTokenRequest{Name: "ci"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Login(ctx, forj.LoginRequest{Email: "a@example.com", Password: password, InviteCode: invite}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AddUser(ctx, "ws_1", forj.AddUserRequest{Email: "b@example.com", Role: "viewer"}); err != nil {
		t.Fatal(err)
	}
	resp, err := c.Raw(ctx, "GET", "/x?token="+issued, nil, http.Header{"X-Extra": {"Bearer " + token}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	out := trace.String()
	_, _, secret, _ := forj.ParseToken(token)
	_, _, issuedSecret, _ := forj.ParseToken(issued)
	for _, leak := range []string{secret, issuedSecret, password, invite} {
		if strings.Contains(out, leak) {
			t.Errorf("trace contains secret %q:\n%s", leak, out)
		}
	}
	for _, want := range []string{
		"> POST " + url + "/api/v1/auth/tokens",
		"> Authorization: Bearer forj_pat_tok_caller_***",
		"> User-Agent: forjctl",
		"< HTTP/1.1 503 Service Unavailable",
		"* retrying in",
		"< HTTP/1.1 201 Created",
		`"secret":"forj_pat_tok_new_***"`,
		`"password":"***"`,
		`"inviteCode":"***"`,
		`"email":"a@example.com"`,
		"< X-Request-Id: req_test",
		"> X-Extra: Bearer forj_pat_tok_caller_***",
		"?token=forj_pat_tok_new_***",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("trace lacks %q:\n%s", want, out)
		}
	}
}

func TestDebugTraceTruncatesBodies(t *testing.T) {
	big := strings.Repeat("é", traceBodyLimit) // two bytes each: the cut must not split one
	_, url := serve(t, jsonBody(200, map[string]string{"description": big}))
	var trace bytes.Buffer
	c, _ := newClient(t, Options{BaseURL: url, Debug: &trace})
	if err := c.Do(context.Background(), "GET", "/x", nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	out := trace.String()
	if !strings.Contains(out, "more bytes)") || len(out) > 2*traceBodyLimit || !strings.Contains(out, "é") {
		t.Errorf("trace of a big body (%d bytes):\n%s", len(out), out)
	}
	if !bytes.Equal([]byte(out), bytes.ToValidUTF8([]byte(out), nil)) {
		t.Errorf("trace is not valid UTF-8")
	}
}
