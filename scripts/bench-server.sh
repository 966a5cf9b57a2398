#!/usr/bin/env bash
# Server throughput benchmark (docs/benchmarks.md, "Server throughput").
#
# Builds forjd and scripts/benchbare (a bare net/http JSON handler), starts both on loopback,
# creates WORKSPACES workspaces in forjd, then runs wrk against authenticated
# GET /api/v1/workspaces on forjd and GET /api/v1/workspaces on the bare handler, alternating,
# ROUNDS times each. Prints each run, the medians and forjd's share of the bare handler's
# requests/s (budget: >= 30 %).
#
# With BENCH_POSTGRES=1 it also runs forjd on PostgreSQL, in the same rounds: one replica
# (wrk against it), and two replicas on the same database (two wrk at once, CONNS/2
# connections each, their requests/s added). The server is BENCH_POSTGRES_URL's (a
# postgres:// URL of an empty database) when set, else a throwaway one started with the
# installed initdb/postgres in the temporary directory, on a Unix socket only (run as the
# postgres user when this script runs as root). All processes share this machine's CPUs,
# so two replicas measure the write-lock-free read path under contention, not scale-out.
#
# Needs: go, wrk, curl (and PostgreSQL's binaries for BENCH_POSTGRES=1). Traffic goes to
# 127.0.0.1 (and a Unix socket) only; every run is bounded by DURATION.
# Usage: scripts/bench-server.sh            (ROUNDS=3 DURATION=10s THREADS=2 CONNS=32 by default)
#        BENCH_POSTGRES=1 scripts/bench-server.sh
set -euo pipefail

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10s}
THREADS=${THREADS:-2}
CONNS=${CONNS:-32}
WORKSPACES=${WORKSPACES:-20}
FORJD_ADDR=${FORJD_ADDR:-127.0.0.1:18420}
BARE_ADDR=${BARE_ADDR:-127.0.0.1:18421}
BUDGET=${BUDGET:-0.30}
BENCH_POSTGRES=${BENCH_POSTGRES:-0}
PG_ADDR_A=${PG_ADDR_A:-127.0.0.1:18422}
PG_ADDR_B=${PG_ADDR_B:-127.0.0.1:18423}

for cmd in go wrk curl; do
	command -v "$cmd" >/dev/null || { echo "bench-server: $cmd is required (wrk: apt-get install wrk)" >&2; exit 1; }
done

cd "$(dirname "$0")/.."
work=$(mktemp -d)
pids=()
pg_stop=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	[ ${#pg_stop[@]} -gt 0 ] && { "${pg_stop[@]}" >/dev/null 2>&1 || true; }
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

create_workspaces() { # addr token
	for i in $(seq -w 1 "$WORKSPACES"); do
		curl -fsS -o /dev/null -H "Authorization: Bearer $2" -H 'Content-Type: application/json' \
			-d "{\"name\":\"bench-$i\",\"description\":\"benchmark workspace\",\"environment\":\"dev\"}" \
			"http://$1/api/v1/workspace"
	done
}

token=$(cat "$work/token")
auth="Authorization: Bearer $token"
create_workspaces "$FORJD_ADDR" "$token"

if [ "$BENCH_POSTGRES" = 1 ]; then
	pg_url=${BENCH_POSTGRES_URL:-}
	if [ -z "$pg_url" ]; then
		bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
		[ -x "$bindir/initdb" ] || { echo "bench-server: BENCH_POSTGRES=1 needs initdb (apt-get install postgresql) or BENCH_POSTGRES_URL" >&2; exit 1; }
		as_pg=()
		if [ "$(id -u)" = 0 ]; then
			chown postgres "$work"
			as_pg=(runuser -u postgres --)
		fi
		mkdir "$work/pg"
		[ "$(id -u)" = 0 ] && chown postgres "$work/pg"
		"${as_pg[@]}" "$bindir/initdb" -D "$work/pg/data" -U postgres -A trust --no-sync >"$work/initdb.log" 2>&1
		# Durable commits as in production (fsync on); the write path's cost includes them.
		"${as_pg[@]}" "$bindir/postgres" -D "$work/pg/data" -k "$work/pg" -c listen_addresses= \
			-c max_connections=100 >"$work/postgres.log" 2>&1 &
		pids+=($!)
		pg_stop=("${as_pg[@]}" "$bindir/pg_ctl" -D "$work/pg/data" stop -m fast)
		for _ in $(seq 100); do
			"$bindir/pg_isready" -q -h "$work/pg" -U postgres && break
			sleep 0.1
		done
		"${as_pg[@]}" "$bindir/createdb" -h "$work/pg" -U postgres forjd
		pg_url="postgres://postgres@/forjd?host=$work/pg&sslmode=disable"
	fi
	pg_token="forj_pat_tok_bench_$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
	pg_secret=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
	for addr in "$PG_ADDR_A" "$PG_ADDR_B"; do
		FORJ_SECRET=$pg_secret FORJ_BOOTSTRAP_TOKEN=$pg_token "$work/forjd" --listen "$addr" \
			--db "$pg_url" --log-format json 2>>"$work/forjd-pg-${addr##*:}.log" &
		pids+=($!)
	done
	wait_up "http://$PG_ADDR_A/readyz"
	wait_up "http://$PG_ADDR_B/readyz"
	pg_auth="Authorization: Bearer $pg_token"
	create_workspaces "$PG_ADDR_A" "$pg_token"
	pg_bytes=$(curl -fsS -H "$pg_auth" "http://$PG_ADDR_B/api/v1/workspaces" | wc -c)
	echo "answer size: forjd on PostgreSQL $pg_bytes bytes"
fi
forjd_bytes=$(curl -fsS -H "$auth" "http://$FORJD_ADDR/api/v1/workspaces" | wc -c)
bare_bytes=$(curl -fsS "http://$BARE_ADDR/api/v1/workspaces" | wc -c)
echo "answer sizes: forjd $forjd_bytes bytes, bare $bare_bytes bytes ($WORKSPACES workspaces)"

run_wrk() { # name url [header [conns]]
	local out rps conns=${4:-$CONNS}
	if [ $# -ge 3 ]; then
		out=$(wrk -t"$THREADS" -c"$conns" -d"$DURATION" -H "$3" "$2")
	else
		out=$(wrk -t"$THREADS" -c"$conns" -d"$DURATION" "$2")
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

# run_two: two wrk at once, one per PostgreSQL replica, CONNS/2 connections each; prints
# the sum of their requests/s.
run_two() {
	local half=$(( (CONNS + 1) / 2 ))
	run_wrk pg-2-A "http://$PG_ADDR_A/api/v1/workspaces" "$pg_auth" "$half" >"$work/two-a" &
	local pa=$!
	run_wrk pg-2-B "http://$PG_ADDR_B/api/v1/workspaces" "$pg_auth" "$half" >"$work/two-b" &
	local pb=$!
	wait "$pa" && wait "$pb"
	awk '{s += $1} END {printf "%.2f\n", s}' "$work/two-a" "$work/two-b"
}

bare=()
forjd=()
pg1=()
pg2=()
for r in $(seq "$ROUNDS"); do
	echo "round $r/$ROUNDS (wrk -t$THREADS -c$CONNS -d$DURATION)" >&2
	bare+=("$(run_wrk bare "http://$BARE_ADDR/api/v1/workspaces")")
	forjd+=("$(run_wrk forjd "http://$FORJD_ADDR/api/v1/workspaces" "$auth")")
	if [ "$BENCH_POSTGRES" = 1 ]; then
		pg1+=("$(run_wrk pg-1 "http://$PG_ADDR_A/api/v1/workspaces" "$pg_auth")")
		pg2+=("$(run_two)")
	fi
done

bare_med=$(printf '%s\n' "${bare[@]}" | median)
forjd_med=$(printf '%s\n' "${forjd[@]}" | median)
ratio=$(awk -v f="$forjd_med" -v b="$bare_med" 'BEGIN {printf "%.3f", f/b}')
verdict=$(awk -v r="$ratio" -v b="$BUDGET" 'BEGIN {print (r >= b) ? "within budget" : "OVER BUDGET"}')

echo
echo "bare net/http JSON handler : median ${bare_med} req/s  (runs: ${bare[*]})"
echo "forjd GET /api/v1/workspaces: median ${forjd_med} req/s  (runs: ${forjd[*]})"
echo "ratio forjd/bare            : ${ratio}  (budget >= ${BUDGET}: ${verdict})"
if [ "$BENCH_POSTGRES" = 1 ]; then
	pg1_med=$(printf '%s\n' "${pg1[@]}" | median)
	pg2_med=$(printf '%s\n' "${pg2[@]}" | median)
	echo "forjd on PostgreSQL, 1 replica : median ${pg1_med} req/s  (runs: ${pg1[*]})  ratio to bare $(awk -v f="$pg1_med" -v b="$bare_med" 'BEGIN {printf "%.3f", f/b}')"
	echo "forjd on PostgreSQL, 2 replicas: median ${pg2_med} req/s  (runs: ${pg2[*]})  ratio to bare $(awk -v f="$pg2_med" -v b="$bare_med" 'BEGIN {printf "%.3f", f/b}')"
fi
[ "$verdict" = "within budget" ]
