package user

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/forjinn/forjctl/pkg/cli/cmdutil"
	"github.com/forjinn/forjctl/pkg/client"
	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/forjinn/forjctl/pkg/printer"
)

// Row statuses of a bulk add.
const (
	StatusAdded   = "added"
	StatusInvited = "invited"
	StatusFailed  = "failed"
)

// Result is the outcome of one row of 'user add --from-file' (its -o json form).
type Result struct {
	Row        int    `json:"row"` // line in the file
	Email      string `json:"email"`
	Workspace  string `json:"workspace"`
	Role       string `json:"role"`
	Status     string `json:"status"`
	Error      string `json:"error"`
	InviteCode string `json:"inviteCode,omitempty"`

	workspaceID string
	userID      string
}

func resultTable() printer.Table {
	return printer.Table{
		Columns: []printer.Column{
			{Header: "Row", Value: printer.Field(func(r Result) string { return strconv.Itoa(r.Row) })},
			{Header: "Email", Value: printer.Field(func(r Result) string { return r.Email })},
			{Header: "Workspace", Value: printer.Field(func(r Result) string { return r.Workspace })},
			{Header: "Role", Value: printer.Field(func(r Result) string { return r.Role })},
			{Header: "Status", Value: printer.Field(func(r Result) string { return r.Status })},
			{Header: "Error", Value: printer.Field(func(r Result) string { return r.Error })},
			{Header: "Invite code", Value: printer.Field(func(r Result) string { return r.InviteCode })},
		},
		NameOf: printer.Field(func(r Result) string { return r.Email }),
		Empty:  "No rows",
	}
}

// column positions in a CSV record.
type columns struct{ email, role, workspace int }

// parseCSV reads the rows of a members file. Only a file that cannot be read as CSV at all
// is an error; a bad row becomes a failed Result.
func parseCSV(r io.Reader, defaultRole string) ([]Result, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	cr.Comment = '#'
	cols, width := columns{0, 1, 2}, 3
	var out []Result
	first := true
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, forj.Errorf(forj.EInvalid, "members file, line %d: %v", pe.Line, pe.Err)
			}
			return nil, err
		}
		line, _ := cr.FieldPos(0)
		for i := range rec {
			rec[i] = strings.TrimSpace(rec[i])
		}
		if first {
			first = false
			if h, ok := header(rec); ok {
				cols, width = h, len(rec)
				continue
			}
		}
		res := Result{Row: line}
		get := func(i int) string {
			if i >= 0 && i < len(rec) {
				return rec[i]
			}
			return ""
		}
		res.Email, res.Role, res.Workspace = get(cols.email), get(cols.role), get(cols.workspace)
		if res.Role == "" {
			res.Role = defaultRole
		}
		switch {
		case len(rec) > width:
			res.fail(forj.Errorf(forj.EInvalid, "%d columns; expected %d (email,role[,workspace])", len(rec), width))
		case res.Email == "":
			res.fail(forj.Errorf(forj.EInvalid, "email is missing"))
		case res.Role == "":
			res.fail(forj.Errorf(forj.EInvalid, "role is missing"))
		default:
			if uid, email, err := memberRef(res.Email); err != nil {
				res.fail(err)
			} else {
				res.userID = uid
				if email != "" {
					res.Email = email
				}
				if err := forj.ValidateRoleName(res.Role); err != nil {
					res.fail(err)
				}
			}
		}
		out = append(out, res)
	}
	return out, nil
}

// header recognises a header row by its column names.
func header(rec []string) (columns, bool) {
	cols := columns{-1, -1, -1}
	for i, name := range rec {
		switch strings.ToLower(name) {
		case "email":
			cols.email = i
		case "role":
			cols.role = i
		case "workspace":
			cols.workspace = i
		default:
			return columns{}, false
		}
	}
	return cols, cols.email >= 0
}

func (r *Result) fail(err error) {
	r.Status, r.Error = StatusFailed, err.Error()
	var fe *forj.Error
	if errors.As(err, &fe) {
		r.Error = fe.Message
		if fe.Hint != "" {
			r.Error += " (" + fe.Hint + ")"
		}
	}
}

// runBulk validates every row, then applies the good ones one by one.
func (o *AddOptions) runBulk() error {
	ctx := o.Cmd.Context()
	in, err := o.openFile()
	if err != nil {
		return err
	}
	rows, err := parseCSV(in, o.Role)
	in.Close()
	if err != nil {
		return err
	}
	if len(rows) == 0 {
		return cmdutil.FlagErrorf("%s has no rows; expected lines of email,role[,workspace]", o.FromFile)
	}
	c, r, err := o.F.Client(ctx)
	if err != nil {
		return err
	}
	if err := o.check(ctx, c, r, rows); err != nil {
		return err
	}

	ios := o.F.IOStreams
	bar := ios.StartProgress("Adding members", len(rows))
	var firstErr error
	for i := range rows {
		row := &rows[i]
		if row.Status != StatusFailed {
			res, err := c.AddUser(ctx, row.workspaceID, forj.AddUserRequest{UserID: row.userID, Email: emailIf(row), Role: row.Role})
			switch {
			case err != nil && ctx.Err() != nil:
				bar.Done()
				return err
			case err != nil:
				row.fail(err)
			case res.Invited:
				row.Status, row.InviteCode, row.Email = StatusInvited, res.InviteCode, res.Member.Email
			default:
				row.Status, row.Email = StatusAdded, res.Member.Email
			}
			if err != nil && firstErr == nil {
				firstErr = err
			}
		}
		bar.Add(1)
	}
	bar.Done()

	var added, invited, failed int
	for _, row := range rows {
		switch row.Status {
		case StatusAdded:
			added++
		case StatusInvited:
			invited++
		default:
			failed++
		}
	}
	if err := printer.Print(ios, o.F.PrintOptions(), rows, resultTable()); err != nil {
		return err
	}
	fmt.Fprintf(ios.ErrOut, "Added %d, invited %d, failed %d of %d rows\n", added, invited, failed, len(rows))
	if failed > 0 {
		return &cmdutil.PartialError{Failed: failed, Total: len(rows), Err: firstErr}
	}
	return nil
}

func emailIf(r *Result) string {
	if r.userID != "" {
		return ""
	}
	return r.Email
}

func (o *AddOptions) openFile() (io.ReadCloser, error) {
	if o.FromFile == "-" {
		return io.NopCloser(o.F.IOStreams.In), nil
	}
	fh, err := os.Open(o.FromFile)
	if err != nil {
		return nil, &cmdutil.FlagError{Err: forj.Errorf(forj.EInvalid, "cannot read members file: %v", err)}
	}
	return fh, nil
}

// check resolves every row's workspace and role against the server before anything is
// applied, once per distinct name. Errors that concern the whole run (authentication,
// network) end it; a name that does not resolve fails its rows only.
func (o *AddOptions) check(ctx context.Context, c *client.Client, r *cmdutil.Resolved, rows []Result) error {
	roles, err := c.ListRoles(ctx, client.ListOptions{Limit: forj.MaxLimit})
	if err != nil {
		return err
	}
	known := make([]string, 0, len(roles.Data))
	for _, ro := range roles.Data {
		known = append(known, ro.Name)
	}
	type resolved struct {
		w   *forj.Workspace
		err error
	}
	workspaces := map[string]resolved{}
	for i := range rows {
		row := &rows[i]
		if row.Status == StatusFailed {
			continue
		}
		if !slices.Contains(known, row.Role) {
			row.fail(forj.Errorf(forj.ENotFound, "role %q not found", row.Role).WithHint("see 'forjctl role list'"))
			continue
		}
		ref := row.Workspace
		if _, ok := workspaces[ref]; !ok {
			var w *forj.Workspace
			var err error
			if ref == "" {
				w, err = o.F.Workspace(ctx, c, r)
			} else {
				w, err = c.ResolveWorkspace(ctx, ref)
			}
			if err != nil && fatal(err) {
				return err
			}
			workspaces[ref] = resolved{w, err}
		}
		res := workspaces[ref]
		if res.err != nil {
			row.fail(res.err)
			continue
		}
		row.workspaceID, row.Workspace = res.w.ID, res.w.Name
	}
	return nil
}

// fatal reports whether an error ends a bulk run rather than failing one row.
func fatal(err error) bool {
	var ne *client.NetworkError
	if errors.As(err, &ne) || errors.Is(err, context.Canceled) {
		return true
	}
	return forj.ErrorCode(err) == forj.EUnauthenticated
}
