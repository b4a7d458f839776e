#!/usr/bin/env bash
# S3 transfers: `mlgate push` and `mlgate pull` of a run's outputs (one large file and many small ones) to and
# from a real S3-compatible server on loopback (moto, checking every signature), beside the anchor in the same
# run: `aws s3 sync` (the AWS command line: boto3's transfer manager, multipart and 10 threads) copying the same
# objects folder to and from the same server. Both are bounded by the server, a Python process: read the ratio.
# Usage: Benchmarks/s3.sh [path/to/mlgate]. MLGATE_BENCH_S3_MB sets the large file's size (default 256),
# MLGATE_BENCH_S3_FILES the number of small files (default 300), MLGATE_BENCH_S3_ROUNDS the repetitions (3).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
mlgate=$(realpath "${1:-$root/.build/release/mlgate}")
megabytes=${MLGATE_BENCH_S3_MB:-256}
files=${MLGATE_BENCH_S3_FILES:-300}
rounds=${MLGATE_BENCH_S3_ROUNDS:-3}
[ -x "$mlgate" ] || { echo "no mlgate binary at $mlgate; build it with 'make build'" >&2; exit 2; }
venv=$root/.build-bench/s3-venv
if [ ! -x "$venv/bin/aws" ]; then
    echo "installing moto[server] and awscli into $venv..." >&2
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
    "$venv/bin/pip" install -q 'moto[server]>=5.1,<5.3' awscli
fi
work=$(mktemp -d)
server_pid=
cleanup() { [ -n "$server_pid" ] && { kill -9 "$server_pid"; wait "$server_pid"; } 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
export HOME=$work/home GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com \
       GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com AWS_REGION=us-east-1 AWS_PAGER=
mkdir -p "$HOME"

mkfifo "$work/hold"
"$venv/bin/python" "$root/Sources/MLGateTestSupport/moto_s3.py" < "$work/hold" > "$work/server.json" 2>/dev/null & server_pid=$!
exec 3> "$work/hold"   # the server serves until this closes
for _ in $(seq 100); do [ -s "$work/server.json" ] && break; sleep 0.1; done
read -r endpoint key secret bucket < <("$venv/bin/python" -c 'import json, sys; s = json.load(open(sys.argv[1]))
print(s["endpoint"], s["access_key"], s["secret_key"], s["bucket"])' "$work/server.json")
export AWS_ACCESS_KEY_ID=$key AWS_SECRET_ACCESS_KEY=$secret AWS_ENDPOINT_URL=$endpoint

repo=$work/repo
git init -q -b main "$repo"
cd "$repo"
mkdir -p data/small
head -c $((megabytes << 20)) /dev/urandom > data/large.bin
for i in $(seq "$files"); do head -c $((1024 + i * 37)) /dev/urandom > "data/small/f$i.bin"; done
cat > mlgate.yaml <<'YAML'
version: 1
stages:
  copy:
    cmd: sh -c 'rm -rf out && cp -R data out'
    deps: [data/]
    outs: [out/]
YAML
git add mlgate.yaml && git commit -q -m bench
"$mlgate" init >/dev/null
"$mlgate" run >/dev/null
git add mlgate.lock .gitignore 2>/dev/null; git commit -q -m lock
objects=$(find .mlgate/objects -type f -not -path '*/tmp/*' | wc -l)
bytes=$(find .mlgate/objects -type f -not -path '*/tmp/*' -printf '%s\n' | awk '{ s += $1 } END { print s }')
echo "objects: $objects files, $((bytes >> 20)) MiB (one $megabytes MiB file, $files small ones, the manifests)" >&2

seconds() { local start end; start=$(date +%s%N); "$@" >/dev/null 2>&1; end=$(date +%s%N); awk -v ns=$((end - start)) 'BEGIN { printf "%.3f", ns / 1e9 }'; }
median() { tr ' ' '\n' | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
large=$(sha256sum out/large.bin | cut -c1-64)
push_m=(); push_a=(); pull_m=(); pull_a=()
for round in $(seq "$rounds"); do
    push_m+=("$(seconds "$mlgate" push --to "s3://$bucket/mlgate$round")")
    push_a+=("$(seconds "$venv/bin/aws" s3 sync --only-show-errors .mlgate/objects "s3://$bucket/aws$round/objects")")
    rm -rf "$work/clone" "$work/synced"
    git clone -q "$repo" "$work/clone"
    (cd "$work/clone" && "$mlgate" init >/dev/null)
    pull_m+=("$(cd "$work/clone" && seconds "$mlgate" pull --from "s3://$bucket/mlgate$round")")
    pull_a+=("$(seconds "$venv/bin/aws" s3 sync --only-show-errors "s3://$bucket/aws$round/objects" "$work/synced")")
    cmp -s "$work/clone/.mlgate/objects/${large:0:2}/${large:2}" out/large.bin || { echo "the pulled large output differs" >&2; exit 1; }
done
pm=$(echo "${push_m[*]}" | median); pa=$(echo "${push_a[*]}" | median)
lm=$(echo "${pull_m[*]}" | median); la=$(echo "${pull_a[*]}" | median)
echo "== S3 transfers to moto on loopback, $objects objects, $((bytes >> 20)) MiB, median of $rounds (anchor: $("$venv/bin/aws" --version 2>&1 | cut -d' ' -f1) s3 sync) =="
printf '%-32s %8s s   (runs: %s)\n' "mlgate push" "$pm" "${push_m[*]}"
printf '%-32s %8s s   (runs: %s)\n' "aws s3 sync up (anchor)" "$pa" "${push_a[*]}"
printf '%-32s %8s s   (runs: %s)\n' "mlgate pull (hash-checked)" "$lm" "${pull_m[*]}"
printf '%-32s %8s s   (runs: %s)\n' "aws s3 sync down (anchor)" "$la" "${pull_a[*]}"
awk -v pm="$pm" -v pa="$pa" -v lm="$lm" -v la="$la" 'BEGIN { printf "ratio aws/mlgate: push %.2f×, pull %.2f×\n", pa / pm, la / lm }'
