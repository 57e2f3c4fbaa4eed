#!/usr/bin/env bash
# Hostile input: writes the cases of `benches/src/bin/hostile.rs` once, then ingests each with
# every `accessgraph` binary given (e.g. an older build and this one, to compare in one run),
# under a 10 GiB address-space cap so that a binary without bounds fails instead of taking the
# machine. Prints a Markdown row per binary and case: outcome, peak RSS, wall time.
#
#   cargo build --release -p accessgraph -p accessgraph-benches
#   bash benches/hostile.sh target/release/accessgraph [OTHER_BINARY...]
#
# ROLES (default 497294) sizes the valid dump.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$here/target/release/hostile" "$work/cases" "${ROLES:-497294}" > "$work/cases.txt"

echo "| input | size | binary | outcome | peak RSS | time |"
echo "|---|---|---|---|---|---|"
run() { # binary case description [extra args...]
  local binary=$1 case=$2 description=$3
  shift 3
  local db="$work/db-$RANDOM"
  local started ended status
  started=$(date +%s.%N)
  status=0
  /usr/bin/time -f '%M' -o "$work/rss" prlimit --as=$((10 << 30)) \
    "$binary" ingest "$work/cases/$case" --db "$db" "$@" > /dev/null 2> "$work/err" || status=$?
  ended=$(date +%s.%N)
  local outcome="stored"
  if [ "$status" != 0 ]; then
    outcome="exit $status: $(grep -v '^Command' "$work/err" | head -c 150 | tr '\n|' '  ')"
  fi
  rm -rf "$db"
  printf '| %s | %s MB | `%s` | %s | %s MiB | %.1f s |\n' "$description" \
    "$(( $(du -sb "$work/cases/$case" | cut -f1) / 1000000 ))" "$binary $*" "$outcome" \
    "$(( $(tail -1 "$work/rss") / 1024 ))" "$(echo "$ended - $started" | bc)"
}
while IFS=$'\t' read -r case description; do
  for binary in "$@"; do
    run "$binary" "$case" "$description"
    if [ "$case" = valid ] && "$binary" ingest --help | grep -q -- --max-memory; then
      run "$binary" "$case" "$description" --max-memory 512M
    fi
  done
  rm -rf "${work:?}/cases/$case"
done < "$work/cases.txt"
