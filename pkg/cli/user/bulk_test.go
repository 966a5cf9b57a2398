package user

import (
	"strings"
	"testing"
)

func TestParseCSV(t *testing.T) {
	in := "# members\n" +
		"Role, Email\n" + // header in another order, any case
		"viewer, Ada@Example.com\n" +
		"admin,usr_abc\n" +
		"viewer,not-an-email\n" +
		",bob@example.com\n" +
		"viewer,c@example.com,extra\n"
	rows, err := parseCSV(strings.NewReader(in), "tester")
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		row                int
		email, role, state string
	}{
		{3, "ada@example.com", "viewer", ""},
		{4, "usr_abc", "admin", ""},
		{5, "not-an-email", "viewer", StatusFailed},
		{6, "bob@example.com", "tester", ""},         // --role fills an empty cell
		{7, "c@example.com", "viewer", StatusFailed}, // more columns than the header names
	}
	if len(rows) != len(want) {
		t.Fatalf("got %d rows: %+v", len(rows), rows)
	}
	for i, w := range want {
		r := rows[i]
		if r.Row != w.row || r.Email != w.email || r.Role != w.role || r.Status != w.state {
			t.Errorf("row %d = %+v, want %+v", i, r, w)
		}
	}
	if rows[1].userID != "usr_abc" || rows[0].userID != "" {
		t.Errorf("user ids: %q %q", rows[0].userID, rows[1].userID)
	}
	if rows[3].Workspace != "" {
		t.Errorf("header without a workspace column: workspace = %q", rows[3].Workspace)
	}
}

func TestParseCSVWithoutHeaderAndTooManyColumns(t *testing.T) {
	rows, err := parseCSV(strings.NewReader("a@example.com,viewer,team\nb@example.com,viewer,team,x\nc@example.com\n"), "")
	if err != nil {
		t.Fatal(err)
	}
	if rows[0].Workspace != "team" || rows[0].Status != "" {
		t.Errorf("row 1 = %+v", rows[0])
	}
	if rows[1].Status != StatusFailed || !strings.Contains(rows[1].Error, "4 columns") {
		t.Errorf("row 2 = %+v", rows[1])
	}
	if rows[2].Status != StatusFailed || rows[2].Error != "role is missing" {
		t.Errorf("row 3 = %+v", rows[2])
	}
}

func TestParseCSVMalformed(t *testing.T) {
	if _, err := parseCSV(strings.NewReader("a@example.com,\"viewer\n"), ""); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("err = %v", err)
	}
}
