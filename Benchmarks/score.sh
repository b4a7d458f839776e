#!/usr/bin/env bash
# Batch scoring's own cost: the example's scoring command (examples/churn/predict.py) run once over a file of
# MLGATE_BENCH_ROWS rows (default 1,000,000) — the anchor — beside `mlgate score` over the same file in 8
# partitions (rows / 8 each) on --workers N (default 2, this machine's cores), from the same run. mlgate's time
# includes partitioning, writing each partition's input, checking each output's rows and adding the model URI
# column, and the summary. The goal is ≤ 1.2× the single run.
# Usage: Benchmarks/score.sh [path/to/mlgate]
set -euo pipefail
mlgate=$(realpath "${1:-.build/release/mlgate}")
rows=${MLGATE_BENCH_ROWS:-1000000}
workers=${MLGATE_BENCH_WORKERS:-2}
source_dir=$(realpath "$(dirname "$0")/../examples/churn")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export HOME=$work/home GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com \
       GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com
mkdir -p "$HOME"
repo=$work/repo
git init -q -b main "$repo"
cd "$repo"
cp "$source_dir"/{common.py,params.yaml,prepare.py,train.py,predict.py} .
python3 prepare.py >/dev/null
python3 train.py >/dev/null
cat > mlgate.yaml <<YAML
version: 1
models:
  churn:
    artifact: model/
    score:
      cmd: [python3, predict.py, --model, "{model}", --data, "{input}", --out, "{output}"]
YAML
git add -A && git commit -qm "churn model"
"$mlgate" models register churn --path model >/dev/null

# The scoring file: the example's test rows repeated with fresh ids up to the row count.
python3 - "$rows" <<'PY'
import csv, sys
rows = int(sys.argv[1])
with open("data/test.csv", newline="") as fh:
    reader = csv.reader(fh)
    header = next(reader)
    body = list(reader)
with open("big.csv", "w", newline="") as out:
    w = csv.writer(out, lineterminator="\n")
    w.writerow(header)
    for i in range(rows):
        row = list(body[i % len(body)])
        row[0] = str(i)
        w.writerow(row)
PY
per_partition=$(( (rows + 7) / 8 ))
seconds() { local s e; s=$(date +%s%N); "$@" >/dev/null; e=$(date +%s%N); echo "$(( (e - s) / 1000000 ))"; }

single_ms=$(seconds python3 predict.py --model model --data big.csv --out once.csv)
mlgate_ms=$(seconds "$mlgate" score churn/1 --input big.csv --output scored --rows "$per_partition" --workers "$workers")
serial_ms=$(seconds "$mlgate" score churn/1 --input big.csv --output scored-serial --rows "$per_partition" --workers 1)
again_ms=$(seconds "$mlgate" score churn/1 --input big.csv --output scored --rows "$per_partition" --workers "$workers")

scored=$(cat scored/part-*.csv | grep -vc '^id,' || true)
[ "$scored" -eq "$rows" ] || { echo "score.sh: mlgate scored $scored rows of $rows" >&2; exit 1; }
# The same scores as the single run, row for row (mlgate adds the model_uri column).
cmp <(tail -n +2 once.csv) <(for f in scored/part-*.csv; do tail -n +2 "$f"; done | sed 's/,models:\/churn\/1$//') \
    || { echo "score.sh: mlgate's scores differ from the single run's" >&2; exit 1; }

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
printf '%-58s %10s %8s\n' "batch scoring of $rows rows (examples/churn/predict.py)" "ms" "× single"
printf '%-58s %10d %8s\n' "the scoring command once over the file (anchor)" "$single_ms" "1.00"
printf '%-58s %10d %8s\n' "mlgate score, 8 partitions, --workers $workers" "$mlgate_ms" "$(ratio "$mlgate_ms" "$single_ms")"
printf '%-58s %10d %8s\n' "mlgate score, 8 partitions, --workers 1" "$serial_ms" "$(ratio "$serial_ms" "$single_ms")"
printf '%-58s %10d %8s\n' "mlgate score again (all 8 partitions done: skipped)" "$again_ms" "$(ratio "$again_ms" "$single_ms")"
goal=$(awk -v a="$mlgate_ms" -v b="$single_ms" 'BEGIN { print (a <= 1.2 * b) ? "PASS" : "FAIL" }')
echo "goal: mlgate score over 8 partitions ≤ 1.2× the single run: $goal"
