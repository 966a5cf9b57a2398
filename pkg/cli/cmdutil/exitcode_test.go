package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/forjinn/forjctl/pkg/client"
	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/forjinn/forjctl/pkg/iostreams"
)

func TestExitCode(t *testing.T) {
	cases := []struct {
		err  error
		want int
	}{
		{nil, 0},
		{errors.New("boom"), 1},
		{FlagErrorf("bad flag"), 2},
		{forj.Errorf(forj.EInvalid, "bad name"), 2},
		{fmt.Errorf("wrapped: %w", forj.Errorf(forj.ENotFound, "no such workspace")), 3},
		{forj.Errorf(forj.EUnauthenticated, "bad token"), 4},
		{&client.APIError{Status: 403, Err: forj.Errorf(forj.EForbidden, "no")}, 5},
		{forj.Errorf(forj.EConflict, "exists"), 6},
		{&PartialError{Failed: 1, Total: 3}, 7},
		{ErrCancel, 130},
		{fmt.Errorf("name: %w", iostreams.ErrNoPrompt), 2},
		{fmt.Errorf("x: %w", context.Canceled), 130},
		{forj.Errorf(forj.EInternal, "oops"), 1},
	}
	for _, c := range cases {
		if got := ExitCode(c.err); got != c.want {
			t.Errorf("ExitCode(%v) = %d, want %d", c.err, got, c.want)
		}
	}
}
