package server

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/forjinn/forjctl/pkg/forj"
)

// Bootstrap creates the owner (active, global role owner) and its first personal access
// token when the store has no users. token "" → generate one. Returns created=false (and no
// secret) when users exist. A given token must parse with forj.ParseToken as a PAT, else
// EInvalid with a hint showing the format. secret is the whole token to hand to the owner.
func Bootstrap(ctx context.Context, st forj.Store, pepper []byte, ownerEmail, token string) (created bool, secret string, err error) {
	if len(pepper) < MinPepperBytes {
		return false, "", fmt.Errorf("server: pepper must be at least %d bytes, got %d", MinPepperBytes, len(pepper))
	}
	email, err := forj.NormalizeEmail(ownerEmail)
	if err != nil {
		return false, "", err
	}
	var id, sec string
	if token == "" {
		id, sec = forj.NewID(forj.PrefixToken), forj.NewTokenSecret()
	} else {
		kind, tid, tsec, ok := forj.ParseToken(token)
		if !ok || kind != forj.TokenPAT {
			return false, "", forj.Errorf(forj.EInvalid, "the bootstrap token is not a personal access token").
				WithHint("use the form forj_pat_<id>_<secret>: id of 3–64 characters a-z, 0-9 and _, secret of 20–128 letters and digits, e.g. forj_pat_tok_admin_%s", "0123456789abcdefghijKLMN")
		}
		id, sec = tid, tsec
	}
	err = st.Update(ctx, func(tx forj.Tx) error {
		n, err := tx.CountUsers()
		if err != nil || n > 0 {
			return err
		}
		u := &forj.User{Email: email, Name: "Owner", Status: forj.UserActive, GlobalRole: forj.GlobalOwner}
		if err := tx.CreateUser(u); err != nil {
			return err
		}
		t := &forj.Token{
			ID: id, Kind: forj.TokenPAT, Name: "bootstrap", UserID: u.ID, Scopes: []string{},
			Prefix: forj.TokenDisplayPrefix(forj.TokenPAT, id), SecretHash: HashSecret(pepper, sec),
		}
		if err := tx.CreateToken(t); err != nil {
			return err
		}
		changes, _ := json.Marshal(map[string]string{"email": email, "globalRole": forj.GlobalOwner, "token": t.Prefix})
		if err := tx.AppendAudit(&forj.AuditEvent{
			ActorType: forj.ActorUser, ActorID: u.ID, ActorEmail: email, Action: "auth.bootstrap",
			TargetType: "user", TargetID: u.ID, Result: forj.ResultSuccess, Changes: changes,
		}); err != nil {
			return err
		}
		created = true
		return nil
	})
	if err != nil || !created {
		return false, "", err
	}
	return true, forj.FormatToken(forj.TokenPAT, id, sec), nil
}
