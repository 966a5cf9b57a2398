#!/usr/bin/env bash
# Server throughput benchmark (docs/benchmarks.md, "Server throughput").
#
# Builds forjd and scripts/benchbare (a bare net/http JSON handler), starts both on loopback,
# creates WORKSPACES workspaces in forjd, then runs wrk against authenticated
# GET /api/v1/workspaces on forjd and GET /api/v1/workspaces on the bare handler, alternating,
# ROUNDS times each. Prints each run, the medians and forjd's share of the bare handler's
# requests/s (budget: >= 30 %).
#
# Needs: go, wrk, curl. Traffic goes to 127.0.0.1 only; every run is bounded by DURATION.
# Usage: scripts/bench-server.sh            (ROUNDS=3 DURATION=10s THREADS=2 CONNS=32 by default)
set -euo pipefail

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10s}
THREADS=${THREADS:-2}
CONNS=${CONNS:-32}
WORKSPACES=${WORKSPACES:-20}
FORJD_ADDR=${FORJD_ADDR:-127.0.0.1:18420}
BARE_ADDR=${BARE_ADDR:-127.0.0.1:18421}
BUDGET=${BUDGET:-0.30}

for cmd in go wrk curl; do
	command -v "$cmd" >/dev/null || { echo "bench-server: $cmd is required (wrk: apt-get install wrk)" >&2; exit 1; }
done

cd "$(dirname "$0")/.."
work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

echo "building forjd and benchbare..." >&2
go build -o "$work/forjd" ./cmd/forjd
go build -o "$work/benchbare" ./scripts/benchbare

# forjd logs every request (its access log) to a file, as a production deployment would.
"$work/forjd" --listen "$FORJD_ADDR" --db "$work/forjd.db" \
	--bootstrap-token-file "$work/token" --log-format json 2>"$work/forjd.log" &
pids+=($!)
"$work/benchbare" --listen "$BARE_ADDR" --n "$WORKSPACES" 2>"$work/bare.log" &
pids+=($!)

wait_up() { # url
	for _ in $(seq 100); do
		curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "bench-server: $1 did not come up" >&2
	cat "$work"/*.log >&2
	exit 1
}
wait_up "http://$FORJD_ADDR/readyz"
wait_up "http://$BARE_ADDR/api/v1/workspaces"

token=$(cat "$work/token")
auth="Authorization: Bearer $token"
for i in $(seq -w 1 "$WORKSPACES"); do
	curl -fsS -o /dev/null -H "$auth" -H 'Content-Type: application/json' \
		-d "{\"name\":\"bench-$i\",\"description\":\"benchmark workspace\",\"environment\":\"dev\"}" \
		"http://$FORJD_ADDR/api/v1/workspace"
done
forjd_bytes=$(curl -fsS -H "$auth" "http://$FORJD_ADDR/api/v1/workspaces" | wc -c)
bare_bytes=$(curl -fsS "http://$BARE_ADDR/api/v1/workspaces" | wc -c)
echo "answer sizes: forjd $forjd_bytes bytes, bare $bare_bytes bytes ($WORKSPACES workspaces)"

run_wrk() { # name url [header]
	local out rps
	if [ $# -ge 3 ]; then
		out=$(wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" -H "$3" "$2")
	else
		out=$(wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" "$2")
	fi
	if grep -q 'Non-2xx' <<<"$out"; then
		echo "bench-server: $1 answered errors:" >&2
		echo "$out" >&2
		exit 1
	fi
	rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
	echo "  $1: $rps req/s  ($(awk '/Latency/ {print "latency avg " $2 ", stdev " $3 ", max " $4}' <<<"$out"))" >&2
	echo "$rps"
}

median() { sort -g | awk '{v[NR]=$1} END {if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }

bare=()
forjd=()
for r in $(seq "$ROUNDS"); do
	echo "round $r/$ROUNDS (wrk -t$THREADS -c$CONNS -d$DURATION)" >&2
	bare+=("$(run_wrk bare "http://$BARE_ADDR/api/v1/workspaces")")
	forjd+=("$(run_wrk forjd "http://$FORJD_ADDR/api/v1/workspaces" "$auth")")
done

bare_med=$(printf '%s\n' "${bare[@]}" | median)
forjd_med=$(printf '%s\n' "${forjd[@]}" | median)
ratio=$(awk -v f="$forjd_med" -v b="$bare_med" 'BEGIN {printf "%.3f", f/b}')
verdict=$(awk -v r="$ratio" -v b="$BUDGET" 'BEGIN {print (r >= b) ? "within budget" : "OVER BUDGET"}')

echo
echo "bare net/http JSON handler : median ${bare_med} req/s  (runs: ${bare[*]})"
echo "forjd GET /api/v1/workspaces: median ${forjd_med} req/s  (runs: ${forjd[*]})"
echo "ratio forjd/bare            : ${ratio}  (budget >= ${BUDGET}: ${verdict})"
[ "$verdict" = "within budget" ]
