#!/usr/bin/env bash
# CLI start-up and completion benchmark (docs/benchmarks.md, "CLI start-up and completion").
#
# 1. Start-up: `forjctl version` against a bare cobra binary (scripts/benchcobra) and
#    `gh --version`, in one hyperfine run. Budget: forjctl's median <= 10 ms.
# 2. Dynamic completion with WORKSPACES workspaces: the real binary answering
#    `forjctl __complete workspace switch ''` (what a shell's completion function runs) against
#    a real forjd on loopback, with a cold cache (the cache directory is emptied before every
#    run) and a warm one, against `forjctl version` in the same hyperfine run.
#    Budget: both medians <= 50 ms.
#
# Prints every median and the ratios; exits 1 when a budget is missed, 2 when a tool is missing.
# Needs: go, curl, hyperfine (apt-get install hyperfine); gh is an optional reference
# (apt-get install gh). Everything runs in a temp dir with its own HOME, config and cache;
# traffic goes to 127.0.0.1 only.
# Usage: scripts/bench-cli.sh   (RUNS=200 WARMUP=20 WORKSPACES=1000 by default; OUT=DIR keeps
#        hyperfine's JSON exports)
set -euo pipefail

RUNS=${RUNS:-200}
WARMUP=${WARMUP:-20}
WORKSPACES=${WORKSPACES:-1000}
VERSION_BUDGET_MS=${VERSION_BUDGET_MS:-10}
COMPLETE_BUDGET_MS=${COMPLETE_BUDGET_MS:-50}

if ! command -v hyperfine >/dev/null; then
	echo "bench-cli: hyperfine is required: apt-get update && apt-get install -y hyperfine" >&2
	echo "           (or cargo install hyperfine; https://github.com/sharkdp/hyperfine)" >&2
	exit 2
fi
for cmd in go curl; do
	command -v "$cmd" >/dev/null || { echo "bench-cli: $cmd is required" >&2; exit 2; }
done
have_gh=1
command -v gh >/dev/null || { have_gh=0; echo "bench-cli: gh not found, skipping that reference (apt-get install gh)" >&2; }

cd "$(dirname "$0")/.."
work=$(mktemp -d)
forjd_pid=
cleanup() {
	if [ -n "$forjd_pid" ]; then kill "$forjd_pid" 2>/dev/null || true; wait "$forjd_pid" 2>/dev/null || true; fi
	if [ -n "${OUT:-}" ]; then mkdir -p "$OUT" && cp "$work"/*.json "$OUT"/ 2>/dev/null || true; fi
	rm -rf "$work"
}
trap cleanup EXIT

echo "building forjctl, forjd and benchcobra..." >&2
go build -o "$work/forjctl" ./cmd/forjctl
go build -o "$work/forjd" ./cmd/forjd
go build -o "$work/benchcobra" ./scripts/benchcobra

# Nothing of the user's own config, credentials or cache is read or written.
mkdir -p "$work/home"
export HOME="$work/home" XDG_CONFIG_HOME="$work/config" XDG_CACHE_HOME="$work/cache"
unset FORJ_CONTEXT FORJ_WORKSPACE FORJ_CONFIG FORJ_SERVER FORJ_TOKEN

# median_ms CSV COMMAND: hyperfine's median for COMMAND, in ms (the CSV is in seconds).
median_ms() {
	awk -F, -v c="$2" 'NR > 1 && $1 == c {printf "%.2f", $4 * 1000}' "$1"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
within() { awk -v m="$1" -v b="$2" 'BEGIN {exit !(m <= b)}'; }

# --- 1. start-up -------------------------------------------------------------------------
echo >&2
echo "== start-up: hyperfine -N --warmup $WARMUP --runs $RUNS" >&2
cmds=("$work/forjctl version" "$work/benchcobra version")
[ "$have_gh" = 1 ] && cmds+=("gh --version")
hyperfine -N --warmup "$WARMUP" --runs "$RUNS" \
	--export-json "$work/startup.json" --export-csv "$work/startup.csv" "${cmds[@]}" >&2

v_forjctl=$(median_ms "$work/startup.csv" "$work/forjctl version")
v_cobra=$(median_ms "$work/startup.csv" "$work/benchcobra version")

# --- 2. completion -----------------------------------------------------------------------
echo >&2
echo "== completion: forjd with $WORKSPACES workspaces" >&2
"$work/forjd" --listen 127.0.0.1:0 --db "$work/forjd.db" \
	--bootstrap-token-file "$work/token" --log-format json 2>"$work/forjd.log" &
forjd_pid=$!
addr=
for _ in $(seq 100); do
	addr=$(sed -n 's/.*"msg":"forjd listening","addr":"\([^"]*\)".*/\1/p' "$work/forjd.log")
	[ -n "$addr" ] && [ -s "$work/token" ] && break
	sleep 0.1
done
if [ -z "$addr" ]; then
	echo "bench-cli: forjd did not come up:" >&2
	cat "$work/forjd.log" >&2
	exit 1
fi
server="http://$addr"
token=$(cat "$work/token")

# One curl process for all the creations: a config file with one request per workspace. It
# holds the token, so it lives in the 0700 temp dir only.
cfg="$work/create.curl"
: >"$cfg"
for i in $(seq -w 1 "$WORKSPACES"); do
	[ -s "$cfg" ] && echo next >>"$cfg"
	cat >>"$cfg" <<-EOF
		url = "$server/api/v1/workspace"
		header = "Authorization: Bearer $token"
		header = "Content-Type: application/json"
		data = "{\"name\":\"ws-$i\",\"description\":\"completion benchmark\"}"
		output = "/dev/null"
		write-out = "%{http_code}\n"
	EOF
done
created=$(curl -sS -K "$cfg" | grep -c '^201$' || true)
if [ "$created" != "$((10#$WORKSPACES))" ]; then
	echo "bench-cli: created $created of $WORKSPACES workspaces" >&2
	exit 1
fi

export FORJ_SERVER="$server" FORJ_TOKEN="$token"
complete=("$work/forjctl" __complete workspace switch '')
got=$("${complete[@]}" 2>/dev/null | grep -vc '^:' || true)
echo "completion answers $got names for $WORKSPACES workspaces" >&2
if [ "$got" -lt "$((10#$WORKSPACES))" ]; then
	echo "bench-cli: WARNING: completion offers only $got of $WORKSPACES workspace names" >&2
fi

cache="$XDG_CACHE_HOME/forjctl"
c_cmd="$work/forjctl __complete workspace switch ''"
echo "== completion: hyperfine -N --warmup $WARMUP --runs $RUNS (cold: rm -rf $cache before each run)" >&2
# One --prepare per command: only the cold run empties the cache; the warm run follows it,
# so the cache is seconds old (fresh for complete.Fresh, 5 min) and served without a request.
hyperfine -N --warmup "$WARMUP" --runs "$RUNS" \
	--export-json "$work/complete.json" --export-csv "$work/complete.csv" \
	--prepare true --command-name "version" "$work/forjctl version" \
	--prepare "rm -rf '$cache'" --command-name "complete-cold" "$c_cmd" \
	--prepare true --command-name "complete-warm" "$c_cmd" >&2

c_version=$(median_ms "$work/complete.csv" version)
c_cold=$(median_ms "$work/complete.csv" complete-cold)
c_warm=$(median_ms "$work/complete.csv" complete-warm)

# --- report ------------------------------------------------------------------------------
status=0
verdict() { # median budget
	if within "$1" "$2"; then echo "within budget"; else echo "OVER BUDGET"; fi
}
echo
echo "start-up (median of $RUNS runs, ms)"
echo "  forjctl version      : $v_forjctl  (budget <= $VERSION_BUDGET_MS: $(verdict "$v_forjctl" "$VERSION_BUDGET_MS"))"
echo "  benchcobra version   : $v_cobra  (forjctl / bare cobra = $(ratio "$v_forjctl" "$v_cobra"))"
if [ "$have_gh" = 1 ]; then
	v_gh=$(median_ms "$work/startup.csv" "gh --version")
	echo "  gh --version         : $v_gh  (gh / forjctl = $(ratio "$v_gh" "$v_forjctl"))"
fi
echo "completion, $WORKSPACES workspaces, $got names answered (median of $RUNS runs, ms)"
echo "  forjctl version      : $c_version"
echo "  cold cache           : $c_cold  (budget <= $COMPLETE_BUDGET_MS: $(verdict "$c_cold" "$COMPLETE_BUDGET_MS"); / version = $(ratio "$c_cold" "$c_version"))"
echo "  warm cache           : $c_warm  (budget <= $COMPLETE_BUDGET_MS: $(verdict "$c_warm" "$COMPLETE_BUDGET_MS"); / version = $(ratio "$c_warm" "$c_version"))"
within "$v_forjctl" "$VERSION_BUDGET_MS" || status=1
within "$c_cold" "$COMPLETE_BUDGET_MS" || status=1
within "$c_warm" "$COMPLETE_BUDGET_MS" || status=1
exit "$status"
