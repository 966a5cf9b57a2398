package server

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/forjinn/forjctl/pkg/authz"
)

// rbacTables renders the permission catalog and the built-in roles' permissions as the
// markdown tables docs/rbac.md carries, so the doc cannot drift from pkg/authz.
func rbacTables() string {
	var b strings.Builder
	roles := authz.BuiltinRoles()
	b.WriteString("| permission | scope | meaning |")
	for _, r := range roles {
		b.WriteString(" " + r.Name + " |")
	}
	b.WriteString(" owner |\n|---|---|---|")
	for range roles {
		b.WriteString(":-:|")
	}
	b.WriteString(":-:|\n")
	for _, p := range authz.Catalog() {
		b.WriteString("| `" + p.Name + "` | " + p.Scope + " | " + p.Description + " |")
		for _, r := range roles {
			if slices.Contains(r.Permissions, p.Name) {
				b.WriteString(" ✓ |")
			} else {
				b.WriteString("   |")
			}
		}
		b.WriteString(" ✓ |\n")
	}
	return b.String()
}

func TestRBACDocInSync(t *testing.T) {
	doc, err := os.ReadFile("../../docs/rbac.md")
	if err != nil {
		t.Fatal(err)
	}
	if want := rbacTables(); !strings.Contains(string(doc), want) {
		t.Errorf("docs/rbac.md does not carry the current permission table; it should contain:\n%s", want)
	}
	// Every route of the route table is listed in the doc's route section.
	for _, rt := range routes() {
		if !strings.Contains(string(doc), "`"+rt.method+" "+rt.pattern+"`") {
			t.Errorf("docs/rbac.md does not list route %s %s", rt.method, rt.pattern)
		}
	}
}
