package client

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/forjinn/forjctl/pkg/forj"
)

// The streaming transport: no deadline on a transfer once it is under way, a watchdog while
// waiting on the network, retries only for bodies that can be sent again, and downloads
// checked against what the server announced.

// slowReader yields n chunks of size bytes, sleeping before each: a slow producer (a pipe
// from pg_dump) whose time must not count against the network's watchdog.
type slowReader struct {
	chunks, size int
	pause        time.Duration
}

func (r *slowReader) Read(p []byte) (int, error) {
	if r.chunks == 0 {
		return 0, io.EOF
	}
	time.Sleep(r.pause)
	r.chunks--
	n := min(len(p), r.size)
	for i := range p[:n] {
		p[i] = 'x'
	}
	return n, nil
}

func TestUploadOutlivesTheAttemptTimeout(t *testing.T) {
	var got atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		got.Store(n)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"name":"big.bin","size":10000}`)
	}))
	defer srv.Close()
	c, _ := newClient(t, Options{BaseURL: srv.URL, Timeout: 50 * time.Millisecond, MaxRetries: -1})
	// 10 chunks 30 ms apart: 300 ms in all, six times the attempt timeout.
	body := &slowReader{chunks: 10, size: 1000, pause: 30 * time.Millisecond}
	if _, err := c.UploadDocument(context.Background(), "ws_a", "ast_b", "big.bin", body, -1, UploadOptions{}); err != nil {
		t.Fatalf("a slow upload was cut: %v", err)
	}
	if got.Load() != 10*1000 {
		t.Errorf("server received %d bytes, want 10000", got.Load())
	}
}

func TestDownloadOutlivesTheAttemptTimeout(t *testing.T) {
	content := bytes.Repeat([]byte("forj"), 4096)
	sum := sha256.Sum256(content)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-SHA256", hex.EncodeToString(sum[:]))
		w.Header().Set("Content-Length", "16384")
		w.WriteHeader(http.StatusOK)
		for i := 0; i < len(content); i += 2048 {
			w.Write(content[i : i+2048])
			w.(http.Flusher).Flush()
			time.Sleep(30 * time.Millisecond) // 8 × 30 ms: well past the attempt timeout
		}
	}))
	defer srv.Close()
	c, _ := newClient(t, Options{BaseURL: srv.URL, Timeout: 50 * time.Millisecond, MaxRetries: -1})
	d, err := c.DownloadDocument(context.Background(), "ws_a", "ast_b", "doc")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	got, err := io.ReadAll(d)
	if err != nil {
		t.Fatalf("a slow download was cut: %v", err)
	}
	if !bytes.Equal(got, content) || d.Size != int64(len(content)) || d.SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("download = %d bytes, size %d, sha %s", len(got), d.Size, d.SHA256)
	}
}

func TestStreamWaitsForHeadersOnlyAsLongAsTheTimeout(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	c, _ := newClient(t, Options{BaseURL: srv.URL, Timeout: 30 * time.Millisecond, MaxRetries: -1})
	_, err := c.DownloadDocument(context.Background(), "ws_a", "ast_b", "doc")
	var ne *NetworkError
	if !errors.As(err, &ne) || !strings.Contains(err.Error(), "no answer within 30ms") {
		t.Errorf("err = %v, want a *NetworkError naming the timeout", err)
	}
}

func TestDownloadChecksTheAnnouncedDigest(t *testing.T) {
	_, url := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-SHA256", strings.Repeat("0", 64))
		io.WriteString(w, "tampered")
	})
	c, _ := newClient(t, Options{BaseURL: url, MaxRetries: -1})
	d, err := c.DownloadDocument(context.Background(), "ws_a", "ast_b", "doc")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := io.ReadAll(d); err == nil || !strings.Contains(err.Error(), "SHA-256") {
		t.Errorf("ReadAll = %v, want a digest mismatch", err)
	}
}

func TestUploadRetriesOnlyWhatItCanSendAgain(t *testing.T) {
	ok := jsonBody(http.StatusCreated, forj.Document{Name: "doc", Size: 5})
	// A pipe cannot be sent twice: a 503 is the answer.
	f, url := serve(t, status(http.StatusServiceUnavailable), ok)
	c, _ := newClient(t, Options{BaseURL: url})
	pr, pw := io.Pipe()
	go func() { pw.Write([]byte("hello")); pw.Close() }()
	_, err := c.UploadDocument(context.Background(), "ws_a", "ast_b", "doc", pr, -1, UploadOptions{})
	if forj.ErrorCode(err) != forj.EInternal || f.count() != 1 {
		t.Errorf("pipe: err %v after %d requests, want the 503 after 1", err, f.count())
	}

	// A file is rewound and sent again, whole, with its length and digest.
	f, url = serve(t, status(http.StatusServiceUnavailable), ok)
	c, _ = newClient(t, Options{BaseURL: url})
	path := filepath.Join(t.TempDir(), "doc")
	if err := os.WriteFile(path, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	sum := sha256.Sum256([]byte("hello"))
	if _, err := c.UploadDocument(context.Background(), "ws_a", "ast_b", "doc", fh, 5, UploadOptions{SHA256: hex.EncodeToString(sum[:])}); err != nil {
		t.Fatal(err)
	}
	if f.count() != 2 {
		t.Fatalf("%d requests, want 2", f.count())
	}
	for i, r := range f.requests {
		if r.method != http.MethodPut || r.path != "/api/v1/workspace/ws_a/assets/ast_b/documents/doc" ||
			r.body != "hello" || r.header.Get("X-Content-SHA256") != hex.EncodeToString(sum[:]) {
			t.Errorf("request %d = %+v", i, r)
		}
	}
	// The transport did not close the caller's file.
	if _, err := fh.Seek(0, io.SeekStart); err != nil {
		t.Errorf("the file was closed: %v", err)
	}
}

func TestImportIsNotRetriedAndExportSendsThePassphrase(t *testing.T) {
	f, url := serve(t, status(http.StatusServiceUnavailable), jsonBody(http.StatusOK, forj.ImportResponse{}))
	c, _ := newClient(t, Options{BaseURL: url})
	_, err := c.Import(context.Background(), "ws_a", strings.NewReader("bundle"), ImportOptions{OnConflict: "skip", DryRun: true, Passphrase: "p"})
	if err == nil || f.count() != 1 {
		t.Fatalf("import: %v after %d requests, want the 503 once", err, f.count())
	}
	r := f.requests[0]
	if r.method != http.MethodPost || r.path != "/api/v1/workspace/ws_a/import?dryRun=true&onConflict=skip" ||
		r.body != "bundle" || r.header.Get(forj.BundlePassphraseHeader) != "p" {
		t.Errorf("import request = %+v", r)
	}

	f, url = serve(t, status(http.StatusOK, "Content-Type", "application/gzip"))
	c, _ = newClient(t, Options{BaseURL: url})
	rc, err := c.Export(context.Background(), "ws_a", true, "p")
	if err != nil {
		t.Fatal(err)
	}
	rc.Close()
	if r := f.requests[0]; r.path != "/api/v1/workspace/ws_a/export?includeSecrets=true" || r.header.Get(forj.BundlePassphraseHeader) != "p" {
		t.Errorf("export request = %+v", r)
	}
}

func TestDebugTraceHidesTheBundlePassphrase(t *testing.T) {
	_, url := serve(t, status(http.StatusOK, "Content-Type", "application/gzip"))
	var trace bytes.Buffer
	c, _ := newClient(t, Options{BaseURL: url, Debug: &trace})
	const secret = "correct horse battery staple"
	rc, err := c.Export(context.Background(), "ws_a", true, secret)
	if err != nil {
		t.Fatal(err)
	}
	rc.Close()
	if _, err := c.Import(context.Background(), "ws_a", strings.NewReader("x"), ImportOptions{Passphrase: secret}); err != nil {
		t.Fatal(err)
	}
	out := trace.String()
	if strings.Contains(out, secret) || strings.Contains(out, "battery") {
		t.Errorf("the passphrase leaked into the trace:\n%s", out)
	}
	if strings.Count(out, "> "+forj.BundlePassphraseHeader+": ***") != 2 {
		t.Errorf("trace does not show the masked header twice:\n%s", out)
	}
}

func TestTransferCarriesAnIdempotencyKey(t *testing.T) {
	f, url := serve(t, status(http.StatusBadGateway), jsonBody(http.StatusOK, forj.TransferResponse{Mode: "move"}))
	c, _ := newClient(t, Options{BaseURL: url})
	res, err := c.Transfer(context.Background(), forj.TransferRequest{Mode: "move", From: "ws_a", To: "ws_b", IDs: []string{"ast_x"}})
	if err != nil || res.Mode != "move" {
		t.Fatalf("Transfer = %+v, %v", res, err)
	}
	if f.count() != 2 {
		t.Fatalf("%d requests, want a retry", f.count())
	}
	k0, k1 := f.requests[0].header.Get("Idempotency-Key"), f.requests[1].header.Get("Idempotency-Key")
	if k0 == "" || k0 != k1 {
		t.Errorf("keys %q and %q: a retry must resend the same key", k0, k1)
	}
}
