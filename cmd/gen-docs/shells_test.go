package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/forjinn/forjctl/pkg/forjtest"
)

// Each script loads the committed completion script into a real shell, the way a user's
// shell does, completes a subcommand ("forjctl work") and then the workspace names of a live
// forjd ("forjctl workspace switch "), and prints each set of candidates between markers:
//
//	<<subcommands>>
//	workspace
//	<<workspaces>>
//	sandbox
//	...
//
// $COMPLETIONS is the completions directory; forjctl is on PATH.
var shellScripts = map[string]struct {
	args   []string
	script string
}{
	// bash: with bash-completion loaded (as Debian's /etc/bash.bashrc does; cobra's script
	// needs its _get_comp_words_by_ref), the function 'complete -p' registered for forjctl is
	// called the way readline calls it on TAB (COMP_WORDS, COMP_CWORD, COMP_LINE, COMP_POINT,
	// COMP_TYPE).
	"bash": {[]string{"--norc", "--noprofile", "-c"}, `
# No 'set -e': completion functions are not written for it.
source "$BASH_COMPLETION" || exit 1
source "$COMPLETIONS/forjctl.bash" || exit 1
spec=$(complete -p forjctl)
fn=$(sed -n 's/.* -F \([^ ]*\) .*/\1/p' <<<"$spec")
[ -n "$fn" ] || { echo "no completion function in: $spec"; exit 1; }
# compopt (nospace, filenames) only works while readline runs a completion; here it would
# fail without changing the candidates.
compopt() { builtin compopt "$@" 2>/dev/null || true; }
comp() {
	COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
	COMP_TYPE=9; COMPREPLY=()
	"$fn" forjctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
	printf '%s\n' "${COMPREPLY[@]}"
}
echo '<<subcommands>>'; comp forjctl work
echo '<<workspaces>>'; comp forjctl workspace switch ''
`},
	// zsh: an interactive zsh on a pseudo-terminal (zpty) with compinit; TAB runs the real
	// completion widget. compadd is wrapped to print what the widget offers.
	"zsh": {[]string{"-f", "-c"}, `
zmodload zsh/zpty || { echo "no zsh/zpty module"; exit 1; }
zpty z zsh -f -i
zpty -w z 'PS1="RDY""> " PS2= RPS1=; autoload -Uz compinit; compinit -u -d "$HOME/.zcompdump"; source "$COMPLETIONS/forjctl.zsh"; compadd() { if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then builtin compadd "$@"; return; fi; local -a __hits; builtin compadd -A __hits "$@"; local h; for h in $__hits; do print -r -- "<<hit:$h>>"; done; builtin compadd "$@"; }; print "RE""ADY"'
# Wait for the prompt: until ZLE runs, the terminal is in cooked mode and would eat the TAB
# and ^U itself.
zpty -r z out '*READY*RDY> *' || { echo "zsh did not start: $out"; exit 1; }
complete() {
	zpty -w -n z "$1"$'\t'
	zpty -w z $'\C-u''print "DO""NE'$2'"'
	zpty -r z out "*DONE$2*RDY> *"
	print -r -- "$out" | grep -o '<<hit:[^>]*>>' | sed 's/^<<hit:\(.*\)>>$/\1/'
}
echo '<<subcommands>>'; complete 'forjctl work' 1
echo '<<workspaces>>'; complete 'forjctl workspace switch ' 2
zpty -d z
`},
	// fish: 'complete -C' asks fish's own completion machinery what TAB would offer.
	"fish": {[]string{"--no-config", "-c"}, `
source $COMPLETIONS/forjctl.fish
echo '<<subcommands>>'; complete -C 'forjctl work'
echo '<<workspaces>>'; complete -C 'forjctl workspace switch '
`},
}

// TestCompletionInShells drives bash, zsh and fish through the committed completion scripts
// against a built forjctl logged in to a real forjd with two workspaces. A shell that is not
// installed skips its subtest, unless FORJ_REQUIRE_INTEGRATION=1 (CI), which makes it fail.
func TestCompletionInShells(t *testing.T) {
	require := os.Getenv("FORJ_REQUIRE_INTEGRATION") == "1"
	var shells []string
	for _, sh := range []string{"bash", "zsh", "fish"} {
		if _, err := exec.LookPath(sh); err != nil {
			if require {
				t.Errorf("%s is not installed (FORJ_REQUIRE_INTEGRATION=1): apt-get install %s", sh, sh)
				continue
			}
			t.Logf("skipping %s: not installed", sh)
			continue
		}
		if sh == "bash" && !fileExists(bashCompletion) {
			if require {
				t.Errorf("%s is missing (FORJ_REQUIRE_INTEGRATION=1): apt-get install bash-completion", bashCompletion)
				continue
			}
			t.Logf("skipping bash: %s is missing (apt-get install bash-completion)", bashCompletion)
			continue
		}
		shells = append(shells, sh)
	}
	if len(shells) == 0 {
		t.Skip("no shell to test")
	}

	tmp := t.TempDir()
	bin := filepath.Join(tmp, "bin")
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "forjctl"), "github.com/forjinn/forjctl/cmd/forjctl")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build forjctl: %v\n%s", err, out)
	}
	completions, err := filepath.Abs(filepath.Join(repoRoot, completionsDir))
	if err != nil {
		t.Fatal(err)
	}

	srv := forjtest.New(t)
	for _, name := range []string{"sandbox", "support-bots"} {
		if _, err := srv.Workspace(name); err != nil {
			t.Fatal(err)
		}
	}

	home := filepath.Join(tmp, "home")
	env := []string{
		"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH"),
		"HOME=" + home,
		"ZDOTDIR=" + home,
		"XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
		"XDG_CACHE_HOME=" + filepath.Join(home, ".cache"),
		"XDG_DATA_HOME=" + filepath.Join(home, ".local", "share"),
		"TERM=xterm",
		"LANG=C.UTF-8",
		"NO_COLOR=1",
		// No Secret Service here: the token goes to the credentials file.
		"FORJ_CREDENTIAL_STORE=file",
		"DBUS_SESSION_BUS_ADDRESS=disabled:",
		"COMPLETIONS=" + completions,
		"BASH_COMPLETION=" + bashCompletion,
	}
	login := exec.Command(filepath.Join(bin, "forjctl"), "--context", "dev", "auth", "login", "--server", srv.URL, "--with-token")
	login.Env = env
	login.Stdin = strings.NewReader(srv.OwnerToken + "\n")
	if out, err := login.CombinedOutput(); err != nil {
		t.Fatalf("forjctl auth login: %v\n%s", err, out)
	}

	for _, sh := range shells {
		t.Run(sh, func(t *testing.T) {
			s := shellScripts[sh]
			// The deadline only ends a hung shell; it is not part of what is asserted.
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, sh, append(s.args, s.script)...)
			cmd.Env = env
			cmd.Dir = tmp
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%s: %v\n%s", sh, err, out)
			}
			got := candidates(string(out))
			t.Logf("%s offered: subcommands %q, workspaces %q", sh, got["subcommands"], got["workspaces"])
			if !slices.Contains(got["subcommands"], "workspace") {
				t.Errorf("%s: 'forjctl work<TAB>' offered %q, want workspace\n%s", sh, got["subcommands"], out)
			}
			for _, ws := range []string{"sandbox", "support-bots"} {
				if !slices.Contains(got["workspaces"], ws) {
					t.Errorf("%s: 'forjctl workspace switch <TAB>' offered %q, want %s\n%s", sh, got["workspaces"], ws, out)
				}
			}
		})
	}
}

// bashCompletion is the bash-completion package's loader (Debian path).
const bashCompletion = "/usr/share/bash-completion/bash_completion"

func fileExists(name string) bool {
	_, err := os.Stat(name)
	return err == nil
}

var candidateWord = regexp.MustCompile(`^[^\s\t]+`)

// candidates splits a script's output into its marked sections, keeping the first word of each
// line (bash and fish may append a description after it).
func candidates(out string) map[string][]string {
	sections := map[string][]string{}
	section := ""
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimRight(line, "\r")
		if strings.HasPrefix(line, "<<") && strings.HasSuffix(line, ">>") {
			section = strings.Trim(line, "<>")
			continue
		}
		if w := candidateWord.FindString(line); section != "" && w != "" {
			sections[section] = append(sections[section], w)
		}
	}
	return sections
}
