package daemon

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"
)

func TestStartRestart(t *testing.T) {
	db := filepath.Join(t.TempDir(), "data", "forjd.db")
	cfg := Config{Listen: "127.0.0.1:0", DBPath: db, OwnerEmail: "owner@example.com"}

	d, err := Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	created, token := d.Bootstrapped()
	if !created || token == "" {
		t.Fatalf("first start: created=%v token empty=%v", created, token == "")
	}
	req, _ := http.NewRequest("GET", d.URL()+"/api/v1/auth/me", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("me: %d", resp.StatusCode)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(db + ".secret")
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("secret file: %v %v", fi, err)
	}

	// A second start reuses the database and the secret: no new owner, the token still works.
	d2, err := Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close()
	if created, tok := d2.Bootstrapped(); created || tok != "" {
		t.Fatalf("second start bootstrapped again")
	}
	req, _ = http.NewRequest("GET", d2.URL()+"/api/v1/auth/me", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("me after restart: %d", resp.StatusCode)
	}
}

func TestShortSecretRefused(t *testing.T) {
	_, err := Start(context.Background(), Config{Listen: "127.0.0.1:0", DBPath: filepath.Join(t.TempDir(), "x.db"), OwnerEmail: "a@b.c", Secret: "short"})
	if err == nil {
		t.Fatal("short secret accepted")
	}
}
