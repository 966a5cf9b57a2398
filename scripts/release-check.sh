#!/usr/bin/env bash
# Release check: validates .goreleaser.yaml and builds a snapshot of forjctl and forjd for this
# machine's target only, then checks that the version was stamped into both binaries.
# Installs goreleaser with 'go install' when it is not on PATH (a large build: minutes).
# Usage: scripts/release-check.sh      Exits non-zero on the first failure.
# FULL=1 builds the whole snapshot release instead (every target, archives, checksums, deb
# and rpm packages in dist/), without publishing anything.
set -euo pipefail
cd "$(dirname "$0")/.."

GORELEASER_VERSION=v2.15.1

goreleaser=$(command -v goreleaser || true)
if [ -z "$goreleaser" ]; then
  goreleaser="$(go env GOPATH)/bin/goreleaser"
  if [ ! -x "$goreleaser" ]; then
    echo "installing goreleaser $GORELEASER_VERSION with go install"
    start=$(date +%s)
    go install "github.com/goreleaser/goreleaser/v2@$GORELEASER_VERSION"
    echo "installed goreleaser in $(( $(date +%s) - start ))s"
  fi
fi
"$goreleaser" --version | grep -m1 GitVersion || true

"$goreleaser" check

if [ "${FULL:-}" = 1 ]; then
  "$goreleaser" release --snapshot --clean --skip=publish
  ls -l dist/*.tar.gz dist/*.zip dist/*.deb dist/*.rpm dist/checksums.txt
  exit 0
fi

"$goreleaser" build --snapshot --single-target --clean

# The stamped version reaches 'forjctl version' and 'forjd --version'.
forjctl=$(find dist -type f -name 'forjctl' -o -type f -name 'forjctl.exe' | head -n1)
forjd=$(find dist -type f -name 'forjd' -o -type f -name 'forjd.exe' | head -n1)
out=$("$forjctl" version)
echo "$out"
case "$out" in
  *-next*"(commit "*) ;;
  *) echo "forjctl version is not stamped with the snapshot version and commit: $out" >&2; exit 1 ;;
esac
out=$("$forjd" --version 2>&1)
echo "$out"
case "$out" in
  *-next*) ;;
  *) echo "forjd --version is not stamped with the snapshot version: $out" >&2; exit 1 ;;
esac
echo "release check passed"
