#!/usr/bin/env bash
# Bulk benchmarks (docs/benchmarks.md, "Bulk moves" and "Export and import"; design §11).
#
# Builds forjctl, forjd and scripts/benchbulk into a temp dir and runs benchbulk, which starts
# forjd on 127.0.0.1 (SQLite in the temp dir) and measures, end to end:
#
# 1. move: 'forjctl flow move --all --from A --to B' of FLOWS flows, alternating with two
#    references that make one POST /api/v1/assets/transfer per flow: a Go loop over one
#    keep-alive connection (strict), and a bash loop running one curl per flow, as a CI
#    script does (SHELL_REF=1, the default; needs curl; SHELL_FLOWS=N times it over N flows
#    only and extrapolates); ROUNDS of each. Budget: median <= 2 s and >= 50x faster than
#    the curl loop (the ratio to the Go loop is printed against 50x too, for information;
#    with SHELL_REF=0 it decides). RTT=5ms sends all of them through a proxy on 127.0.0.1
#    that delays every request and answer by that round trip (default: none, loopback).
# 2. export + import: 'forjctl export -w SRC -f FILE' of FLOWS flows and DOCS documents
#    totalling DOC_MIB MiB of random bytes, then 'forjctl import FILE --create-workspace NAME',
#    forjd restarted before each phase; BUNDLE_ROUNDS rounds (TEXT_ROUNDS more with
#    compressible documents). Budgets, each phase: peak RSS <= 100 MiB for forjctl and for
#    forjd, >= 100 MB/s.
#
# Prints every run, the medians, the ratios and the verdicts; exits 1 when a budget is missed,
# 2 when the benchmark could not run. Needs go, bash and curl (unless SHELL_REF=0), and
# (BUNDLE_ROUNDS + 2) x DOC_MIB MiB + 1 GiB free under TMPDIR (checked first). Everything runs in
# the temp dir, which is removed at the end; traffic goes to 127.0.0.1 only; benchbulk stops
# itself after TIMEOUT.
# Usage: scripts/bench-bulk.sh    (FLOWS=10000 ROUNDS=5 DOC_MIB=1024 DOCS=8 BUNDLE_ROUNDS=3
#        TEXT_ROUNDS=0 RTT=0 SHELL_REF=1 SHELL_FLOWS=0 TIMEOUT=1h by default; ONLY=move or
#        ONLY=bundle runs one of the two)
set -euo pipefail

FLOWS=${FLOWS:-10000}
ROUNDS=${ROUNDS:-5}
DOC_MIB=${DOC_MIB:-1024}
DOCS=${DOCS:-8}
BUNDLE_ROUNDS=${BUNDLE_ROUNDS:-3}
TEXT_ROUNDS=${TEXT_ROUNDS:-0}
RTT=${RTT:-0}
TIMEOUT=${TIMEOUT:-1h}
SHELL_REF=${SHELL_REF:-1}
SHELL_FLOWS=${SHELL_FLOWS:-0}
ONLY=${ONLY:-}

command -v go >/dev/null || { echo "bench-bulk: go is required" >&2; exit 2; }
if [ "$SHELL_REF" = 1 ] && [ "$ONLY" != bundle ]; then
	if ! command -v curl >/dev/null; then
		echo "bench-bulk: curl is not installed; the move benchmark's curl-loop reference needs it:" >&2
		echo "            apt-get install -y curl, or SHELL_REF=0 to run without that reference" >&2
		exit 2
	fi
	echo "curl-loop reference: $(curl --version | head -n1)" >&2
fi

cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "building forjctl, forjd and benchbulk..." >&2
go build -o "$work/forjctl" ./cmd/forjctl
go build -o "$work/forjd" ./cmd/forjd
go build -o "$work/benchbulk" ./scripts/benchbulk
echo "$(go version), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2

"$work/benchbulk" -forjctl "$work/forjctl" -forjd "$work/forjd" -work "$work/run" \
	-only "$ONLY" -flows "$FLOWS" -rounds "$ROUNDS" -doc-mib "$DOC_MIB" -docs "$DOCS" \
	-bundle-rounds "$BUNDLE_ROUNDS" -text-rounds "$TEXT_ROUNDS" -rtt "$RTT" \
	-shell-ref="$SHELL_REF" -shell-flows "$SHELL_FLOWS" -timeout "$TIMEOUT"
