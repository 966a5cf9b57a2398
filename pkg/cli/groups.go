package cli

import (
	"slices"

	"github.com/forjinn/forjctl/pkg/cli/api"
	"github.com/forjinn/forjctl/pkg/cli/asset"
	"github.com/forjinn/forjctl/pkg/cli/audit"
	"github.com/forjinn/forjctl/pkg/cli/auth"
	"github.com/forjinn/forjctl/pkg/cli/bundlecmd"
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
// The asset groups (flow, agent, tool, dataset, credential, integration) come from the one
// table of kinds, forj.Kinds().
var commandGroups = slices.Concat([]func(*cmdutil.Factory) *cobra.Command{
	auth.NewCmdAuth,
	contextcmd.NewCmdContext,
	dev.NewCmdDev,
	workspace.NewCmdWorkspace,
	user.NewCmdUser,
	role.NewCmdRole,
	key.NewCmdKey,
}, asset.Groups(), []func(*cmdutil.Factory) *cobra.Command{
	func(f *cmdutil.Factory) *cobra.Command { return bundlecmd.NewCmdExport(f, nil) },
	func(f *cmdutil.Factory) *cobra.Command { return bundlecmd.NewCmdImport(f, nil) },
	audit.NewCmdAudit,
	usage.NewCmdUsage,
	api.NewCmdAPI,
})
