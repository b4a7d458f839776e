#!/usr/bin/env bash
# Pipeline no-op cost: the same 10-stage linear pipeline (stage sI reads src/sI/ and out/s(I-1).txt,
# writes out/sI.txt) set up twice in a temporary folder, once for DVC and once for mlgate, each run
# once so everything is cached; then a no-op 'mlgate run' is timed beside a no-op 'dvc repro' (anchor).
# Usage: Benchmarks/pipeline.sh [path/to/mlgate] [FILES]
# FILES (or MLGATE_BENCH_FILES) is the number of dependency files, split over the stages (default 1000).
# DVC 3 goes into a venv at .build-bench/dvc-venv, made on the first run. hyperfine times the runs when
# it is installed; otherwise a loop with date +%s%N does.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
mlgate=$(realpath "${1:-$root/.build/release/mlgate}")
files=${2:-${MLGATE_BENCH_FILES:-1000}}
stages=10
case $files in ''|*[!0-9]*) echo "FILES must be a whole number, got '$files'" >&2; exit 2 ;; esac
if [ "$files" -lt "$stages" ]; then echo "FILES must be at least $stages (one per stage)" >&2; exit 2; fi
[ -x "$mlgate" ] || { echo "no mlgate binary at $mlgate; build it with 'make build'" >&2; exit 2; }

venv=$root/.build-bench/dvc-venv
if [ ! -x "$venv/bin/dvc" ]; then
    echo "installing DVC 3 into $venv..." >&2
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
    "$venv/bin/pip" install -q 'dvc>=3,<4'
fi
dvc=$venv/bin/dvc

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export HOME=$work/home GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com \
       GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com DVC_NO_ANALYTICS=1
mkdir -p "$HOME"

# The sources: stage I gets files/10 small files of distinct contents (the first files%10 stages one more).
echo "writing $files dependency files over $stages stages..." >&2
src=$work/src
for i in $(seq 0 $((stages - 1))); do
    mkdir -p "$src/s$i"
    n=$((files / stages + (i < files % stages ? 1 : 0)))
    for j in $(seq "$n"); do printf 'stage %d file %d\n' "$i" "$j" > "$src/s$i/f$j.txt"; done
done
command_for() {  # stage index
    if [ "$1" -eq 0 ]; then
        echo "sh -c 'mkdir -p out && ls src/s0 | wc -l > out/s0.txt'"
    else
        echo "sh -c 'mkdir -p out && ls src/s$1 | wc -l > out/s$1.txt && cat out/s$(($1 - 1)).txt >> out/s$1.txt'"
    fi
}
last=s$((stages - 1))

# DVC's copy.
proj=$work/dvc-project
git init -q -b main "$proj"
cp -R "$src" "$proj/src"
(
    cd "$proj"
    "$dvc" init -q
    "$dvc" config core.analytics false
    "$dvc" config core.autostage false
    "$dvc" config core.check_update false
    "$dvc" config core.site_cache_dir "$work/dvc-site-cache"   # not /var/tmp/dvc
    {
        echo "stages:"
        for i in $(seq 0 $((stages - 1))); do
            echo "  s$i:"
            echo "    cmd: $(command_for "$i")"
            if [ "$i" -eq 0 ]; then echo "    deps: [src/s0]"; else echo "    deps: [src/s$i, out/s$((i - 1)).txt]"; fi
            echo "    outs: [out/s$i.txt]"
        done
    } > dvc.yaml
    git add -A && git commit -q -m "sources and dvc.yaml"
    echo "first dvc repro (fills the cache)..." >&2
    "$dvc" repro -q
    git add -A && git commit -q -m "dvc.lock"
)

# mlgate's copy.
proj=$work/mlgate-project
git init -q -b main "$proj"
cp -R "$src" "$proj/src"
(
    cd "$proj"
    {
        echo "version: 1"
        echo "stages:"
        for i in $(seq 0 $((stages - 1))); do
            echo "  s$i:"
            echo "    cmd: $(command_for "$i")"
            if [ "$i" -eq 0 ]; then echo "    deps: [src/s0/]"; else echo "    deps: [src/s$i/, out/s$((i - 1)).txt]"; fi
            echo "    outs: [out/s$i.txt]"
        done
    } > mlgate.yaml
    git add -A && git commit -q -m "sources and mlgate.yaml"
    "$mlgate" init >/dev/null
    echo "first mlgate run (fills the cache)..." >&2
    "$mlgate" run >/dev/null
    "$mlgate" run >/dev/null || { echo "a second 'mlgate run' (nothing changed) failed" >&2; exit 1; }
)
cmp -s "$work/dvc-project/out/$last.txt" "$work/mlgate-project/out/$last.txt" \
    || { echo "out/$last.txt differs between the DVC and the mlgate copies" >&2; exit 1; }

# The outputs' inode and mtime before and after: a no-op run must not have run a stage command.
snapshot() { (cd "$1" && stat -c '%n %i %y' out/*.txt); }
before_dvc=$(snapshot "$work/dvc-project"); before_mlgate=$(snapshot "$work/mlgate-project")

quote() { printf "'%s'" "${1//\'/\'\\\'\'}"; }
now() { date +%s%N; }
ms() { awk -v ns="$1" 'BEGIN { printf "%.2f", ns / 1e6 }'; }
if command -v hyperfine >/dev/null; then
    timer="hyperfine $(hyperfine --version | awk '{print $2}')"
    bench() {  # name warmup runs command...
        local name=$1 warmup=$2 runs=$3; shift 3
        local command="" word
        for word in "$@"; do command+="${command:+ }$(quote "$word")"; done
        (cd "$work/$name-project" && hyperfine -N --warmup "$warmup" --runs "$runs" --export-json "$work/$name.json" "$command" >&2)
        "$venv/bin/python" -c 'import json, sys; r = json.load(open(sys.argv[1]))["results"][0]
print(r["mean"] * 1e9, r["median"] * 1e9)' "$work/$name.json"
    }
else
    timer="date +%s%N loop"
    bench() {  # name warmup runs command...; prints the mean and the median, in ns
        local name=$1 warmup=$2 runs=$3 start; shift 3
        (
            cd "$work/$name-project"
            for _ in $(seq "$warmup"); do "$@" >/dev/null; done
            for _ in $(seq "$runs"); do start=$(now); "$@" >/dev/null; echo $(( $(now) - start )); done
        ) > "$work/$name.ns"
        sort -n "$work/$name.ns" | awk '{ t[NR] = $1; s += $1 }
            END { m = NR % 2 ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2; print s / NR, m }'
    }
fi
dvc_runs=10; mlgate_runs=20
echo "timing no-op runs with $timer..." >&2
result=$(bench dvc 1 "$dvc_runs" "$dvc" repro); read -r dvc_mean dvc_median <<< "$result"
result=$(bench mlgate 3 "$mlgate_runs" "$mlgate" run); read -r mlgate_mean mlgate_median <<< "$result"
# The floor of any tool that checks every file's stat facts: find(1) stat'ing each dependency file, once.
ln -s "$work/mlgate-project" "$work/floor-project"
result=$(bench floor 3 "$mlgate_runs" find src -type f -printf '%T@ %C@ %s %i\n'); read -r floor_mean floor_median <<< "$result"

[ "$before_dvc" = "$(snapshot "$work/dvc-project")" ] \
    || echo "warning: 'dvc repro' rewrote outputs during the timed runs; it was not a no-op" >&2
[ "$before_mlgate" = "$(snapshot "$work/mlgate-project")" ] \
    || echo "warning: 'mlgate run' rewrote outputs during the timed runs; it was not a no-op" >&2

d=$(ms "$dvc_mean"); m=$(ms "$mlgate_mean"); dm=$(ms "$dvc_median"); mm=$(ms "$mlgate_median")
ratio=$(awk -v a="$dvc_mean" -v b="$mlgate_mean" 'BEGIN { printf "%.1f", a / b }')
ratio_median=$(awk -v a="$dvc_median" -v b="$mlgate_median" 'BEGIN { printf "%.1f", a / b }')
echo "== no-op run, $files dependency files, $stages stages (anchor: dvc $("$dvc" --version) repro; timed with $timer) =="
printf '%-34s %9s ms mean  (median %s; %d runs)\n' "dvc repro (anchor)" "$d" "$dm" "$dvc_runs"
printf '%-34s %9s ms mean  (median %s; %d runs; goal <= 30 ms at 10,000 files)\n' "mlgate run" "$m" "$mm" "$mlgate_runs"
printf '%-34s %9s ms mean  (median %s; one stat per file, the floor)\n' "find src -printf (stat only)" "$(ms "$floor_mean")" "$(ms "$floor_median")"
printf '%-34s %9s×       (medians %s×; goal >= 20×)\n' "ratio dvc/mlgate" "$ratio" "$ratio_median"
echo "no-op run, $files dependency files, $stages stages: dvc repro $d ms | mlgate run $m ms | ratio dvc/mlgate $ratio× (goal >= 20x)"

# The pre-push hook's cost: 'git push' of one new commit that changes a stage's dependency to a local bare
# remote, with hooks switched off (anchor) and with mlgate's pre-push queueing a job (budget: 250 ms added).
# CI=true keeps the hook from starting a background worker during the timing.
if command -v hyperfine >/dev/null; then
    (
        cd "$work/mlgate-project"
        git init -q --bare "$work/push-remote.git"
        git remote add bench "$work/push-remote.git"
        git push -q bench HEAD:refs/heads/main 2>/dev/null
        prepare='echo "$RANDOM$RANDOM" >> src/s0/f1.txt && git commit -q -am change'
        CI=true hyperfine -N --warmup 2 --runs 20 --export-json "$work/push.json" \
            --prepare "sh -c '$prepare'" -n "git push, hooks off (anchor)" "env MLGATE_HOOKS=0 git push -q bench HEAD:refs/heads/main" \
            --prepare "sh -c '$prepare'" -n "git push with mlgate pre-push" "git push -q bench HEAD:refs/heads/main" >&2
    )
    "$venv/bin/python" - "$work/push.json" <<'PY'
import json, sys
bare, hooked = json.load(open(sys.argv[1]))["results"]
added = (hooked["mean"] - bare["mean"]) * 1e3
print(f"== git push of one commit touching a stage's input, to a local bare remote ==")
print(f"{'git push, hooks off (anchor)':34} {bare['mean'] * 1e3:9.2f} ms mean")
print(f"{'git push, mlgate pre-push':34} {hooked['mean'] * 1e3:9.2f} ms mean  (+{added:.1f} ms; budget 250 ms)")
PY
fi
