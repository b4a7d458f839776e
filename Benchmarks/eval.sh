#!/usr/bin/env bash
# The evaluation benchmark: makes the data (1e7 rows by default), times the anchors — scikit-learn,
# numpy and pandas in a venv it creates, and the C floors of ../shared/research/evalbench/floor.c and
# csvfloor.c, compiled here — then mlgate's kernel and the whole `mlgate eval` process on the same files,
# and prints each ratio. Usage: Benchmarks/eval.sh   (MLGATE_BENCH_ROWS sets n; REPS the kernel's repeats)
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${MLGATE_BENCH_ROWS:-10000000}
reps=${REPS:-3}
work=.build-bench
data=$work/data-$rows
mkdir -p "$work"
research=../shared/research/evalbench

if [ ! -x "$work/venv/bin/python" ]; then
    python3 -m venv "$work/venv"
    "$work/venv/bin/pip" install -q scikit-learn pandas numpy scipy pyarrow
fi
"$work/venv/bin/python" -c "import pyarrow" 2>/dev/null || "$work/venv/bin/pip" install -q pyarrow
echo "timing anchors (scikit-learn, numpy, pandas) on $rows rows..." >&2
"$work/venv/bin/python" Benchmarks/eval_anchors.py "$data" "$rows" > "$work/anchors.json"

floor=""
if [ -f "$research/floor.c" ]; then
    gcc -O3 -march=x86-64-v3 -o "$work/floor" "$research/floor.c" -lm
    gcc -O3 -march=x86-64-v3 -o "$work/csvfloor" "$research/csvfloor.c" -lm
    echo "timing the C floors..." >&2
    "$work/floor" "$rows" 1000000 1000 > "$work/floor.log"
    "$work/csvfloor" "$data/preds.csv" > "$work/csvfloor.log"
    floor=yes
else
    echo "no $research/floor.c: C floors skipped" >&2
fi

echo "timing mlgate..." >&2
.build/release/mlgate-evalbench "$data" "$reps" > "$work/mlgate.json"
start=$(date +%s%N)
.build/release/mlgate eval --task binary --predictions "$data/preds.csv" --label label --score challenger \
    --baseline-score champion --json > "$work/eval.json"
whole=$(( $(date +%s%N) - start ))
start=$(date +%s%N)
.build/release/mlgate eval --task binary --predictions "$data/preds.feather" --label label --score challenger \
    --baseline-score champion --json > "$work/eval-feather.json"
whole_feather=$(( $(date +%s%N) - start ))

"$work/venv/bin/python" - "$work" "$whole" "$floor" "$whole_feather" <<'PY'
import json, re, sys
work, whole_ns, floor, feather_ns = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
a = json.load(open(f"{work}/anchors.json"))
m = json.load(open(f"{work}/mlgate.json"))
c = {}
if floor:
    for line in open(f"{work}/floor.log"):
        for key, pattern in [("auc_ap", r"^AUC\+AP: split \+ radix64 \(8-bit"), ("onepass", r"^one-pass counts"),
                             ("fused", r"^one-pass fused"), ("delong", r"^paired fast DeLong"), ("boot", r"^paired bootstrap AUC diff, Poisson\(1\) 16-bit")]:
            if re.search(pattern, line):
                ms = re.search(r"median\s+([\d.]+) ms", line) or re.search(r"total\s+([\d.]+) ms", line)
                c[key] = float(ms.group(1)) / 1000
    for line in open(f"{work}/csvfloor.log"):
        if line.startswith("parse: strtod"):
            c["strtod"] = float(re.search(r"median\s+([\d.]+) ms", line).group(1)) / 1000
n = a["n"]
python_stack = a["pandas_read_csv"] + 2 * (a["sklearn_auc"] + a["sklearn_ap"] + a["sklearn_threshold_brier"] + a["sklearn_log_loss"]) + a["numpy_delong"]

# Goals: (anchor label, "speedup" = anchor/mlgate must be ≥ x, or "ratio" = mlgate/anchor must be ≤ x).
rows = [
    ("AUC + AP, exact, float64", m["auc_ap"], [("C radix floor", c.get("auc_ap"), "ratio", 1.0), ("sklearn", a["sklearn_auc"] + a["sklearn_ap"], "speedup", 12)]),
    ("threshold metrics + Brier + log loss", m["threshold_brier_logloss"], [("C fused floor", c.get("fused"), None, None), ("sklearn", a["sklearn_threshold_brier"] + a["sklearn_log_loss"], None, None)]),
    ("MSE + MAE + R²", m["regression"], [("sklearn", a["sklearn_regression"], None, None)]),
    ("paired DeLong (sorts included)", m["delong"], [("C floor (1 thread)", c.get("delong"), None, None), ("numpy/scipy", a["numpy_delong"], None, None)]),
    ("AUC+AP ×2 + DeLong, one shared order/model", m.get("auc_ap_delong_shared"), [("sklearn AUC+AP ×2 + numpy DeLong", 2 * (a["sklearn_auc"] + a["sklearn_ap"]) + a["numpy_delong"], None, None)]),
    ("paired bootstrap ΔAUC, B=1000, n=1e6", m["bootstrap_1000_at_1e6"], [("C floor (1 thread)", c.get("boot"), "ratio", 0.6), ("sklearn naive (extrapolated)", a["sklearn_bootstrap_1000_at_1e6"], None, None)]),
    ("CSV label,champion,challenger → columns", m["csv_read"], [("pandas.read_csv", a["pandas_read_csv"], "speedup", 1.2), ("C strtod", c.get("strtod"), None, None)]),
    ("Feather (LZ4) → columns", m.get("feather_read"), [("pyarrow.feather → pandas", a.get("pyarrow_feather"), None, None)]),
    (".npy ×3 → columns", m.get("npy_read"), []),
    ("whole `mlgate eval`, 2 models + DeLong (CSV)", whole_ns / 1e9, [("Python stack", python_stack, "speedup", 20)]),
    ("whole `mlgate eval`, same from Feather", feather_ns / 1e9, [("Python stack (from CSV)", python_stack, None, None)]),
]
print(f"Evaluation benchmark, n = {n:.0e} rows (bootstrap n = 1e6), one run on this machine")
print("ratio = mlgate / anchor (≤ 1 means mlgate is faster); speed-up = anchor / mlgate\n")
print(f"{'work':46} {'mlgate':>9}  {'anchor':34} {'anchor':>9}  {'ratio':>7} {'speed-up':>9}  {'goal':>14}  result")
failed = 0
for name, ours, anchors in rows:
    if ours is None:
        continue
    first = True
    for label, t, kind, goal in anchors or [("", None, None, None)]:
        left = f"{name:46} {ours:8.3f}s" if first else f"{'':46} {'':9}"
        first = False
        if not t:
            print(left)
            continue
        ratio, speedup = ours / t, t / ours
        if kind == "ratio":
            passed, goal_text = ratio <= goal, f"ratio ≤ {goal:g}×"
        elif kind == "speedup":
            passed, goal_text = speedup >= goal, f"≥ {goal:g}× faster"
        else:
            passed, goal_text = None, "—"
        result = "" if passed is None else ("PASS" if passed else "FAIL")
        failed += passed is False
        print(f"{left}  {label:34} {t:8.3f}s  {ratio:6.2f}× {speedup:8.2f}×  {goal_text:>14}  {result}")
print(f"\n{'all goals met' if failed == 0 else f'{failed} goal(s) not met'} in this run")
PY
