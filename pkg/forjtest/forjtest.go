// Package forjtest starts a real forjd (server + SQLite store in a temp dir) for tests of the
// client and the CLI, and makes users with tokens for them. Test support only: production
// code never imports it.
package forjtest

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/forjinn/forjctl/pkg/server"
	"github.com/forjinn/forjctl/pkg/store/sqlite"
)

// OwnerEmail is the owner every test server is bootstrapped with.
const OwnerEmail = "admin@localhost"

// Server is a running forjd with its store, for fixtures.
type Server struct {
	URL        string
	OwnerToken string
	Store      forj.Store
	Pepper     []byte
	close      func()
}

// Close stops the server and closes the store (also done by t.Cleanup).
func (s *Server) Close() { s.close() }

// Start runs a forjd on a fresh SQLite database under dir, stopped by Close.
func Start(dir string) (*Server, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	st, err := sqlite.Open(filepath.Join(dir, "forjd.db"), sqlite.Options{})
	if err != nil {
		return nil, err
	}
	pepper := make([]byte, 32)
	_, _ = rand.Read(pepper)
	_, tok, err := server.Bootstrap(context.Background(), st, pepper, OwnerEmail, "")
	if err != nil {
		st.Close()
		return nil, err
	}
	srv, err := server.New(server.Config{Store: st, Pepper: pepper, Ready: st.Ping})
	if err != nil {
		st.Close()
		return nil, err
	}
	hs := httptest.NewServer(srv)
	return &Server{
		URL: hs.URL, OwnerToken: tok, Store: st, Pepper: pepper,
		close: func() { hs.Close(); st.Close() },
	}, nil
}

// New starts a server for the test and stops it at cleanup.
func New(t testing.TB) *Server {
	t.Helper()
	s, err := Start(t.TempDir())
	if err != nil {
		t.Fatalf("forjtest: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// Workspace creates a workspace directly in the store and returns it.
func (s *Server) Workspace(name string) (*forj.Workspace, error) {
	w := &forj.Workspace{Name: name}
	err := s.Store.Update(context.Background(), func(tx forj.Tx) error { return tx.CreateWorkspace(w) })
	return w, err
}

// User makes an active user (if new) with a personal access token, and, when workspace is
// set (a name), makes it a member with role. It returns the token.
func (s *Server) User(email, workspace, role string) (string, error) {
	id, secret := forj.NewID(forj.PrefixToken), forj.NewTokenSecret()
	err := s.Store.Update(context.Background(), func(tx forj.Tx) error {
		u, err := tx.GetUserByEmail(email)
		if forj.IsNotFound(err) {
			u = &forj.User{Email: email, Name: email, Status: forj.UserActive, GlobalRole: forj.GlobalMember}
			err = tx.CreateUser(u)
		}
		if err != nil {
			return err
		}
		if workspace != "" {
			w, err := tx.GetWorkspaceByName(workspace)
			if err != nil {
				return fmt.Errorf("workspace %q: %w", workspace, err)
			}
			if _, err := tx.AddMember(w.ID, u.ID, role); err != nil {
				return err
			}
		}
		return tx.CreateToken(&forj.Token{
			ID: id, Kind: forj.TokenPAT, Name: "test", UserID: u.ID,
			Prefix: forj.TokenDisplayPrefix(forj.TokenPAT, id), SecretHash: server.HashSecret(s.Pepper, secret),
		})
	})
	if err != nil {
		return "", err
	}
	return forj.FormatToken(forj.TokenPAT, id, secret), nil
}
