package cli

import (
	"github.com/forjinn/forjctl/pkg/cli/api"
	"github.com/forjinn/forjctl/pkg/cli/audit"
	"github.com/forjinn/forjctl/pkg/cli/auth"
	"github.com/forjinn/forjctl/pkg/cli/cmdutil"
	contextcmd "github.com/forjinn/forjctl/pkg/cli/context"
	"github.com/forjinn/forjctl/pkg/cli/dev"
	"github.com/forjinn/forjctl/pkg/cli/key"
	"github.com/forjinn/forjctl/pkg/cli/role"
	"github.com/forjinn/forjctl/pkg/cli/usage"
	"github.com/forjinn/forjctl/pkg/cli/user"
	"github.com/forjinn/forjctl/pkg/cli/workspace"
	"github.com/spf13/cobra"
)

// commandGroups are the command groups, one package each, in help order.
var commandGroups = []func(*cmdutil.Factory) *cobra.Command{
	auth.NewCmdAuth,
	contextcmd.NewCmdContext,
	dev.NewCmdDev,
	workspace.NewCmdWorkspace,
	user.NewCmdUser,
	role.NewCmdRole,
	key.NewCmdKey,
	audit.NewCmdAudit,
	usage.NewCmdUsage,
	api.NewCmdAPI,
}
