#!/usr/bin/env bash
# Store space: four ingests of one synthetic organization (each with its graph built and saved by
# a first query), then three of them deleted. Prints the store's size after each step, for each
# `accessgraph` binary given (e.g. an older build and this one, to compare in one run).
#
#   bash benches/store_space.sh target/release/accessgraph [OTHER_BINARY...]
#
# ACCOUNTS and PRINCIPALS (default 100 and 200) size the organization.
set -euo pipefail

accounts=${ACCOUNTS:-100}
principals=${PRINCIPALS:-200}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

first=$1
"$first" synth --accounts "$accounts" --principals "$principals" --out "$work/org" > /dev/null
echo "organization: $accounts accounts x $principals principals, $(du -sm "$work/org" | cut -f1) MiB of files"
echo
echo "| binary | after 4 ingests | after deleting 3 | one snapshot alone |"
echo "|---|---|---|---|"
size() { du -sm "$1" | cut -f1; }
for binary in "$@"; do
  db="$work/db-$(basename "$(dirname "$(dirname "$binary")")")-$RANDOM"
  single="$db-single"
  for _ in 1 2 3 4; do
    "$binary" ingest "$work/org" --db "$db" > /dev/null
    "$binary" query --db "$db" 'who is admin in org' > /dev/null
  done
  after_ingests=$(size "$db")
  for id in 1 2 3; do
    "$binary" snapshots delete "$id" --db "$db" > /dev/null
  done
  after_deletes=$(size "$db")
  "$binary" ingest "$work/org" --db "$single" > /dev/null
  "$binary" query --db "$single" 'who is admin in org' > /dev/null
  echo "| \`$binary\` | $after_ingests MiB | $after_deletes MiB | $(size "$single") MiB |"
done
