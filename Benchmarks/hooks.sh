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

runs=200
cd "$work/mlgate"
time_runs() { local start; start=$(now); for _ in $(seq "$runs"); do "$@" >/dev/null; done; ms "$(( $(now) - start ))" "$runs"; }
git_version=$(time_runs git --version)
help=$(time_runs "$mlgate" --help)
echo
echo "== start-up, $runs runs each (anchor: git --version) =="
printf '%-34s %8s ms\n' "git --version (anchor)" "$git_version"
printf '%-34s %8s ms  (goal <= 10; ratio %.2fx)\n' "mlgate --help" "$help" "$(awk -v a="$help" -v b="$git_version" 'BEGIN{print a/b}')"
