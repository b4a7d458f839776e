#!/usr/bin/env bash
# A whole `mlgate gate` on 1e6 rows (two models' prediction files, joined on id; a floor, DeLong, and a
# 1,000-resample paired bootstrap of the AUC difference) beside the same work in pandas + scikit-learn + numpy.
# Usage: Benchmarks/gate.sh [path/to/mlgate]   (MLGATE_BENCH_GATE_ROWS sets the rows; the anchor's bootstrap
# runs MLGATE_BENCH_SAMPLED resamples, 20 by default, and is scaled to 1,000: scikit-learn takes minutes for all)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
mlgate=$(realpath "${1:-$root/.build/release/mlgate}")
rows=${MLGATE_BENCH_GATE_ROWS:-1000000}
sampled=${MLGATE_BENCH_SAMPLED:-20}
venv=$root/.build-bench/venv
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q scikit-learn pandas numpy scipy
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export HOME=$work/home GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com \
       GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com
mkdir -p "$HOME"
echo "writing $rows rows of predictions for two models..." >&2
"$venv/bin/python" - "$work" "$rows" <<'PY'
import sys
import numpy as np
work, n = sys.argv[1], int(sys.argv[2])
rng = np.random.default_rng(1)
y = (rng.random(n) < 0.3).astype(int)
z1 = rng.standard_normal(n); z2 = 0.7 * z1 + np.sqrt(1 - 0.49) * rng.standard_normal(n)
champion = 1 / (1 + np.exp(-(z1 + 1.19 * y))); candidate = 1 / (1 + np.exp(-(z2 + 1.24 * y)))
ids = np.array([f"r{i}" for i in range(n)])
for name, score, order in (("candidate", candidate, np.arange(n)), ("champion", champion, rng.permutation(n))):
    with open(f"{work}/{name}.csv", "w") as out:
        out.write("id,label,score\n")
        out.writelines(f"{ids[i]},{y[i]},{score[i]:.17g}\n" for i in order)
PY
repo=$work/repo
git init -q -b main "$repo"
cat > "$repo/mlgate.yaml" <<'YAML'
version: 1
models:
  bench:
    evaluate:
      cmd: cp {model} {predictions}
      task: binary
      columns: {id: id, label: label, score: score}
    promotion:
      criteria:
        - {metric: roc_auc, min: 0.6}
        - {metric: roc_auc, test: {name: delong, alpha: 0.05}}
        - {metric: roc_auc, test: {name: bootstrap, alpha: 0.05, resamples: 1000}}
YAML
(cd "$repo" && git add -A && git commit -qm bench && "$mlgate" init >/dev/null)

echo "timing the anchor (pandas + scikit-learn + numpy)..." >&2
anchor=$("$venv/bin/python" "$root/Benchmarks/gate_anchor.py" "$work/candidate.csv" "$work/champion.csv" 1000 "$sampled")
echo "timing mlgate gate..." >&2
start=$(date +%s%N)
(cd "$repo" && "$mlgate" gate bench --candidate-predictions "$work/candidate.csv" --champion-predictions "$work/champion.csv" --json > "$work/verdict.json") || true
ns=$(( $(date +%s%N) - start ))
"$venv/bin/python" - "$anchor" "$ns" "$work/verdict.json" "$rows" "$sampled" <<'PY'
import json, sys
anchor, ns, verdict, rows, sampled = json.loads(sys.argv[1]), int(sys.argv[2]), json.load(open(sys.argv[3])), sys.argv[4], sys.argv[5]
mine = ns / 1e9
print(f"== a whole gate on {int(rows):,} rows: 2 models joined on id, floor + DeLong + 1,000-resample bootstrap ==")
print(f"{'pandas + scikit-learn + numpy (anchor)':44} {anchor['seconds']:9.2f} s  (load+AUC+DeLong {anchor['fixed']:.2f} s; bootstrap {anchor['per_resample']*1000:.0f} ms/resample × 1,000, {sampled} run)")
print(f"{'mlgate gate (whole process)':44} {mine:9.2f} s  verdict: {'passed' if verdict['passed'] else 'failed'}")
print(f"{'ratio anchor/mlgate':44} {anchor['seconds'] / mine:9.1f}×")
PY
