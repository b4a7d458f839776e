#!/usr/bin/env bash
# Hook cost: commits in a temporary repository three ways (no hook, a shell hook doing 'exit 0', and
# mlgate's hooks), interleaved in rounds so machine drift hits all three alike; then start-up of
# 'mlgate --help' beside 'git --version'. Usage: Benchmarks/hooks.sh [path/to/mlgate]
# MLGATE_BENCH_COMMITS sets the commits per variant (default 200).
set -euo pipefail
mlgate=$(realpath "${1:-.build/release/mlgate}")
commits=${MLGATE_BENCH_COMMITS:-200}
rounds=4
per_round=$((commits / rounds))
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export HOME=$work/home GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com \
       GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com
mkdir -p "$HOME"

setup() {  # name
    git init -q -b main "$work/$1"
    git -C "$work/$1" commit -q --allow-empty -m root
}
setup none; setup shell; setup mlgate
mkdir -p "$work/none-hooks"; git -C "$work/none" config core.hooksPath "$work/none-hooks"
printf '#!/bin/sh\nexit 0\n' > "$work/shell/.git/hooks/post-commit"; chmod +x "$work/shell/.git/hooks/post-commit"
(cd "$work/mlgate" && "$mlgate" init >/dev/null)

now() { date +%s%N; }
declare -A total=([none]=0 [shell]=0 [mlgate]=0)
for _ in $(seq "$rounds"); do
    for variant in none shell mlgate; do
        cd "$work/$variant"
        start=$(now)
        for i in $(seq "$per_round"); do git commit -q --allow-empty -m "commit $i"; done
        total[$variant]=$((total[$variant] + $(now) - start))
    done
done
ms() { awk -v ns="$1" -v n="$2" 'BEGIN { printf "%.2f", ns / n / 1e6 }'; }
n=$((rounds * per_round))
none=$(ms "${total[none]}" "$n"); shell=$(ms "${total[shell]}" "$n"); ours=$(ms "${total[mlgate]}" "$n")
recorded=$(cd "$work/mlgate" && "$mlgate" lineage --json | grep -c '"commit" :')

echo "== git commit, $n commits per variant (anchor: a bare git commit) =="
printf '%-34s %8s ms/commit\n' "no hook (anchor)" "$none"
printf '%-34s %8s ms/commit  (+%s)\n' "shell hook 'exit 0'" "$shell" "$(awk -v a="$shell" -v b="$none" 'BEGIN{printf "%.2f", a-b}')"
printf '%-34s %8s ms/commit  (+%s; goal <= +15; ratio %.2fx)\n' "mlgate hooks" "$ours" \
    "$(awk -v a="$ours" -v b="$none" 'BEGIN{printf "%.2f", a-b}')" "$(awk -v a="$ours" -v b="$none" 'BEGIN{print a/b}')"
echo "lineage rows recorded by the hooks: $recorded (expected $((n + 1)))"

# Start-up: git --version (anchor), mlgate --version, --help, and a no-op 'mlgate run' (a one-stage pipeline, up to
# date: start-up, the argument parse, the config, the lock and the hash check). hyperfine (-N, no shell) when it is
# installed, interleaved loops of date +%s%N otherwise; MLGATE_BENCH_RUNS sets the runs (default 200).
runs=${MLGATE_BENCH_RUNS:-200}
project=$work/noop
git init -q -b main "$project"
(
    cd "$project"
    printf 'one\n' > input.txt
    printf 'version: 1\nstages:\n  copy:\n    cmd: cp input.txt output.txt\n    deps: [input.txt]\n    outs: [output.txt]\n' > mlgate.yaml
    git add -A && git commit -q -m pipeline
    "$mlgate" init >/dev/null
    "$mlgate" run >/dev/null 2>&1
    sleep 0.2   # past the racy window, so the next run trusts what it hashes
    "$mlgate" run >/dev/null 2>&1
)
cd "$project"
names=("git --version (anchor)" "mlgate --version" "mlgate --help" "mlgate run (no-op, 1 stage)")
commands=("git --version" "$mlgate --version" "$mlgate --help" "$mlgate run")
declare -a means
if command -v hyperfine >/dev/null; then
    timer="hyperfine $(hyperfine --version | awk '{print $2}') -N"
    hyperfine -N --warmup 20 --runs "$runs" --export-json "$work/startup.json" "${commands[@]}" >/dev/null 2>&1
    mapfile -t means < <(python3 -c 'import json, sys
for r in json.load(open(sys.argv[1]))["results"]: print("%.2f" % (r["mean"] * 1e3))' "$work/startup.json")
else
    timer="date +%s%N, interleaved rounds"
    declare -a totals=(0 0 0 0)
    for _ in $(seq 10); do
        for index in "${!commands[@]}"; do
            read -r -a words <<< "${commands[$index]}"
            start=$(now)
            for _ in $(seq $((runs / 10))); do "${words[@]}" >/dev/null 2>&1; done
            totals[$index]=$((totals[$index] + $(now) - start))
        done
    done
    for index in "${!commands[@]}"; do means[$index]=$(ms "${totals[$index]}" "$runs"); done
fi
echo
echo "== start-up, $runs runs each (anchor: git --version; timed with $timer) =="
printf '%-34s %8s ms\n' "${names[0]}" "${means[0]}"
for index in 1 2 3; do
    printf '%-34s %8s ms  (goal <= 10; ratio %.2fx)\n' "${names[$index]}" "${means[$index]}" \
        "$(awk -v a="${means[$index]}" -v b="${means[0]}" 'BEGIN{print a/b}')"
done
