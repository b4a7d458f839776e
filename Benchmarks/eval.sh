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
    "$work/venv/bin/pip" install -q scikit-learn pandas numpy scipy
fi
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

"$work/venv/bin/python" - "$work" "$whole" "$floor" <<'PY'
import json, re, sys
work, whole_ns, floor = sys.argv[1], int(sys.argv[2]), sys.argv[3]
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
rows = [
    ("AUC + AP, exact, float64", m["auc_ap"], [("sklearn", a["sklearn_auc"] + a["sklearn_ap"]), ("C radix floor", c.get("auc_ap"))]),
    ("threshold metrics + Brier + log loss", m["threshold_brier_logloss"], [("sklearn", a["sklearn_threshold_brier"] + a["sklearn_log_loss"]), ("C fused floor", c.get("fused"))]),
    ("MSE + MAE + R²", m["regression"], [("sklearn", a["sklearn_regression"])]),
    ("paired DeLong", m["delong"], [("numpy/scipy", a["numpy_delong"]), ("C floor (1 thread)", c.get("delong"))]),
    ("paired bootstrap ΔAUC, B=1000, n=1e6", m["bootstrap_1000_at_1e6"], [("sklearn (naive, extrapolated)", a["sklearn_bootstrap_1000_at_1e6"]), ("C floor (1 thread)", c.get("boot"))]),
    ("CSV label,champion,challenger → columns", m["csv_read"], [("pandas.read_csv", a["pandas_read_csv"]), ("C strtod", c.get("strtod"))]),
    ("whole `mlgate eval`, 2 models + DeLong", whole_ns / 1e9, [("Python stack (pandas + sklearn ×2 + DeLong + metrics)",
        a["pandas_read_csv"] + 2 * (a["sklearn_auc"] + a["sklearn_ap"] + a["sklearn_threshold_brier"] + a["sklearn_log_loss"]) + a["numpy_delong"])]),
]
print(f"Evaluation benchmark, n = {n:.0e} rows (bootstrap n = 1e6), one run on this machine\n")
print(f"{'work':44} {'mlgate':>10}   anchors (ratio = anchor / mlgate; > 1 means mlgate is faster)")
for name, ours, anchors in rows:
    parts = [f"{label} {t:.3f} s ({t / ours:.2f}×)" for label, t in anchors if t]
    print(f"{name:44} {ours:9.3f} s   " + "; ".join(parts))
PY
