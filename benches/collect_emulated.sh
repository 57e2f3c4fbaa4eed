#!/usr/bin/env bash
# Collection of an emulated organization (issue 12): starts moto on 127.0.0.1, creates an
# organization of N member accounts (each with a user and a role), then times
# `accessgraph collect` on it, for one region and for every region the emulator reports enabled,
# and prints the wall time, peak RSS, calls and files written. The emulator answers HTTP 500 for
# two inventory calls it lacks (SSM instance information, App Runner): AWS_MAX_ATTEMPTS=2 keeps
# their retries short, and they are reported as gaps.
#
#   bash benches/collect_emulated.sh [N]        (default 20; needs target/awsenv from .ci/run)
set -euo pipefail
cd "$(dirname "$0")/.."
accounts="${1:-20}"
tools="${ACCESSGRAPH_AWS_TOOLS:-$PWD/target/awsenv/bin}"
binary="${ACCESSGRAPH_BIN:-target/release/accessgraph}"
[ -x "$binary" ] || cargo build -q --release -p accessgraph --features collect
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$tools/moto_server" -H 127.0.0.1 -p "$port" >/dev/null 2>&1 &
moto=$!
trap 'kill $moto 2>/dev/null; rm -rf "$work"' EXIT
work=$(mktemp -d)
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=us-east-1
export AWS_ENDPOINT_URL="http://127.0.0.1:$port"
until python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1)" 2>/dev/null; do sleep 0.2; done
aws() { "$tools/aws" --endpoint-url "$AWS_ENDPOINT_URL" --output text "$@"; }
aws organizations create-organization --feature-set ALL >/dev/null
for index in $(seq 1 "$accounts"); do
    id=$(aws organizations create-account --email "m$index@example.com" --account-name "m$index" \
        --query CreateAccountStatus.AccountId)
    read -r key secret token < <(aws sts assume-role --role-arn "arn:aws:iam::$id:role/OrganizationAccountAccessRole" \
        --role-session-name setup --query 'Credentials.[AccessKeyId,SecretAccessKey,SessionToken]')
    AWS_ACCESS_KEY_ID=$key AWS_SECRET_ACCESS_KEY=$secret AWS_SESSION_TOKEN=$token \
        aws iam create-user --user-name "dev-$index" >/dev/null
done
export AWS_MAX_ATTEMPTS=2
for regions in us-east-1 all; do
    scope=()
    [ "$regions" = all ] || scope=(--regions "$regions")
    echo "regions: $regions"
    /usr/bin/time -f 'collect: %e s wall, peak RSS %M KiB' "$binary" collect --out "$work/$regions" \
        --member-role OrganizationAccountAccessRole --concurrency 8 "${scope[@]}" | head -1
    echo "files: $(find "$work/$regions" -type f | wc -l)"
done
