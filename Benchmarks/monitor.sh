#!/usr/bin/env bash
# Drift check cost: a reference and a current table of ROWS rows × COLS columns (default 1,000,000 × 20, as
# ../shared/research/anchors-eval.md §8 measured Evidently), a quarter of them categorical (eight text values) and
# the rest numeric, written once as CSV; the current table has a mean shift of 0.05 sd in every 4th numeric column,
# a scale of 1.2 in every 5th, and the first value twice as frequent in every other categorical one. Then, from the
# same files:
#   mlgate monitor check (preset evidently: normalised Wasserstein at 0.1 above 1,000 rows, Jensen–Shannon for the
#     categories), the whole command:
#     start-up, reading both CSV files, the statistics, the verdict, the record in the store;
#   Evidently 0.7.23 Report([DataDriftPreset()]).run(current, reference) (the anchor), after pandas.read_csv
#     of both files, timed without and with that read;
# and checks that both flag the same columns with the same statistic (to 1e-9).
# The same check of the data as folders of .npy columns (read by copy; the categories as integer codes, declared
# categorical) is the statistics alone, the figure to set beside Evidently on frames already in memory; scipy's
# normalised W1 of the numeric columns is the floor under Evidently's.
# Usage: Benchmarks/monitor.sh [path/to/mlgate]   ROWS and COLS from MLGATE_BENCH_ROWS, MLGATE_BENCH_COLS.
# Evidently goes into .build-bench/evidently-venv on the first run (needs PyPI).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
mlgate=$(realpath "${1:-$root/.build/release/mlgate}")
rows=${MLGATE_BENCH_ROWS:-1000000}
cols=${MLGATE_BENCH_COLS:-20}
case "$rows$cols" in ''|*[!0-9]*) echo "MLGATE_BENCH_ROWS and MLGATE_BENCH_COLS must be whole numbers" >&2; exit 2 ;; esac
[ -x "$mlgate" ] || { echo "no mlgate binary at $mlgate; build it with 'make build'" >&2; exit 2; }

venv=$root/.build-bench/evidently-venv
if ! "$venv/bin/python" -c 'import evidently' 2>/dev/null; then
    echo "installing Evidently 0.7.23 into $venv..." >&2
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
    # pandas 3 breaks Evidently 0.7.23's import (anchors-eval.md §1).
    "$venv/bin/pip" install -q 'evidently==0.7.23' 'pandas<3'
fi
python=$venv/bin/python

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export HOME=$work/home GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com \
       GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com MLGATE_EVENTS_BACKGROUND=off
mkdir -p "$HOME"
project=$work/project
git init -q -b main "$project"
echo "writing $rows + $rows rows × $cols columns..." >&2
"$python" - "$project" "$rows" "$cols" <<'PY'
import sys
import numpy as np
import pandas as pd
out, rows, cols = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = np.random.default_rng(3)
kinds = cols // 4
numeric = cols - kinds
ref = rng.standard_normal((rows, numeric))
cur = rng.standard_normal((rows, numeric))
cur[:, ::4] += 0.05
cur[:, ::5] *= 1.2
even, skewed = np.full(8, 1 / 8), np.array([2, 1, 1, 1, 1, 1, 1, 1]) / 9
ref_codes = np.stack([rng.choice(8, size=rows, p=even) for _ in range(kinds)], axis=1) if kinds else np.zeros((rows, 0), dtype=int)
cur_codes = np.stack([rng.choice(8, size=rows, p=skewed if k % 2 == 0 else even) for k in range(kinds)], axis=1) if kinds else np.zeros((rows, 0), dtype=int)
names = [f"c{i}" for i in range(numeric)]
categories = [f"k{i}" for i in range(kinds)]
spelled = np.array([f"value_{j}" for j in range(8)])
def frame(values, codes):
    data = pd.DataFrame(values, columns=names)
    for k, name in enumerate(categories):
        data[name] = spelled[codes[:, k]]
    return data
# 17 significant digits: the files hold exactly the doubles both tools read.
frame(ref, ref_codes).to_csv(out + "/reference.csv", index=False, float_format="%.17g")
frame(cur, cur_codes).to_csv(out + "/current.csv", index=False, float_format="%.17g")
# The same doubles (and the categories' codes) as a folder of .npy columns: reading them is a copy, so this check is
# the statistics' cost.
import os
for folder, data, codes in (("reference-npy", ref, ref_codes), ("current-npy", cur, cur_codes)):
    os.makedirs(out + "/" + folder, exist_ok=True)
    for i, name in enumerate(names):
        np.save(out + "/" + folder + "/" + name + ".npy", np.ascontiguousarray(data[:, i]))
    for k, name in enumerate(categories):
        np.save(out + "/" + folder + "/" + name + ".npy", np.ascontiguousarray(codes[:, k].astype(np.int64)))
PY
(
    cd "$project"
    declared=$(for k in $(seq 0 $((cols / 4 - 1))); do printf '        k%d: categorical\n' "$k"; done)
    printf 'version: 1\nmodels:\n  m:\n    monitor:\n      reference: reference.csv\n      preset: evidently\n  n:\n    monitor:\n      reference: reference-npy\n      preset: evidently\n' > mlgate.yaml
    [ -z "$declared" ] || printf '      columns:\n%s\n' "$declared" >> mlgate.yaml
    printf 'reference.csv\ncurrent.csv\nreference-npy/\ncurrent-npy/\n' > .gitignore
    git add mlgate.yaml .gitignore && git commit -q -m monitor
    "$mlgate" init >/dev/null
)

now() { date +%s%N; }
runs=3
echo "timing mlgate monitor check ($runs runs)..." >&2
times=()
for _ in $(seq "$runs"); do
    start=$(now)
    status=0
    (cd "$project" && "$mlgate" monitor check m --current current.csv --json > "$work/mlgate.json") || status=$?
    times+=($(( $(now) - start )))
    [ "$status" -le 1 ] || { echo "mlgate monitor check failed (exit $status)" >&2; exit 1; }
done
mlgate_ns=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (runs + 1) / 2 ))p")
times=()
for _ in $(seq "$runs"); do
    start=$(now)
    status=0
    (cd "$project" && "$mlgate" monitor check n --current current-npy --json > "$work/mlgate-npy.json") || status=$?
    times+=($(( $(now) - start )))
    [ "$status" -le 1 ] || { echo "mlgate monitor check of the .npy folders failed (exit $status)" >&2; exit 1; }
done
npy_ns=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (runs + 1) / 2 ))p")

echo "timing Evidently (one run: about a minute at 1e6 rows)..." >&2
"$python" - "$project" "$work/mlgate.json" "$mlgate_ns" "$rows" "$cols" "$npy_ns" <<'PY'
import json, sys, time, warnings
warnings.filterwarnings("ignore")
import pandas as pd
import evidently
from evidently import Report
from evidently.presets import DataDriftPreset
project, mlgate_json, mlgate_ns, rows, cols, npy_ns = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
start = time.perf_counter()
reference = pd.read_csv(project + "/reference.csv")
current = pd.read_csv(project + "/current.csv")
read = time.perf_counter() - start
start = time.perf_counter()
snapshot = Report([DataDriftPreset()]).run(current, reference)
drift = time.perf_counter() - start
# scipy alone on the same frames: the normalised W1 per column, what Evidently computes for each (its floor).
import numpy as np
from scipy.stats import wasserstein_distance
start = time.perf_counter()
scipy_scores = {c: wasserstein_distance(reference[c].to_numpy(), current[c].to_numpy()) / max(float(np.std(reference[c].to_numpy())), 0.001)
                for c in reference.columns if c.startswith("c")}
scipy_seconds = time.perf_counter() - start
# Evidently's per-column values: ValueDrift metrics, one per column.
theirs = {}
for metric in snapshot.dict()["metrics"]:
    name = metric.get("metric_name", "")
    if name.startswith("ValueDrift(column="):
        column = name.split("column=")[1].split(",")[0].rstrip(")")
        theirs[column] = float(metric["value"])
ours = {c["name"]: c for c in json.load(open(mlgate_json))["columns"]}
agree = sum(1 for name, value in theirs.items() if name in ours and abs(ours[name]["score"] - value) <= 1e-9 * max(1, abs(value)))
flagged_ours = sorted(n for n, c in ours.items() if c["drifted"])
flagged_theirs = sorted(n for n, v in theirs.items() if v >= 0.1)
m = mlgate_ns / 1e9
print(f"== drift check, {rows:,} reference + {rows:,} current rows × {cols} columns ({cols - cols // 4} numeric, {cols // 4} categorical), from CSV (anchor: Evidently {evidently.__version__} DataDriftPreset) ==")
print(f"{'Evidently DataDriftPreset (anchor)':44} {drift:9.2f} s  (frames already in memory)")
print(f"{'pandas.read_csv ×2 + Evidently':44} {read + drift:9.2f} s  (read {read:.2f} s)")
print(f"{'scipy wasserstein_distance / np.std':44} {scipy_seconds:9.2f} s  (the numeric columns, frames already in memory)")
print(f"{'mlgate monitor check, whole command':44} {m:9.2f} s  (median of 3; reads the files itself)")
n = npy_ns / 1e9
print(f"{'mlgate monitor check, .npy columns':44} {n:9.2f} s  (median of 3; the same doubles, read by copy: the statistics' cost)")
print(f"{'ratio (read + Evidently) / mlgate, CSV':44} {(read + drift) / m:9.1f}×")
print(f"{'ratio Evidently / mlgate, .npy':44} {drift / n:9.1f}×  (goal ≥ 60×: anchors-eval.md §8)")
print(f"{'ratio scipy / mlgate, .npy':44} {scipy_seconds / n:9.1f}×")
print(f"whole command ≤ 1 s: .npy {'PASS' if n <= 1 else 'FAIL'} ({n:.2f} s), CSV {'PASS' if m <= 1 else 'FAIL'} ({m:.2f} s)")
scipy_agree = sum(1 for c, v in scipy_scores.items() if c in ours and abs(ours[c]["score"] - v) <= 1e-9 * max(1, abs(v)))
print(f"statistics equal to scipy's to 1e-9: {scipy_agree} of {len(scipy_scores)} numeric columns")
print(f"statistics equal to 1e-9: {agree} of {len(theirs)} columns; drifted: mlgate {flagged_ours}, Evidently {flagged_theirs}"
      + ("" if flagged_ours == flagged_theirs else "  MISMATCH"))
PY
