#!/usr/bin/env bash
# The cost of `mlgate ci` beyond training and evaluation: provider detection, the registry fetched by refspec
# and rebuilt from git, reports, on a pull request whose pipeline is up to date and whose predictions are cached,
# timed as whole processes beside `mlgate gate` on the same repository (the work both share) and a bare
# `git ls-remote` of the same refs (one round trip to the remote) from the same run.
# Usage: Benchmarks/ci.sh path/to/mlgate [runs]
set -euo pipefail
mlgate=$(realpath "${1:-.build/release/mlgate}")
runs=${2:-20}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export HOME=$work/home GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME=Bench GIT_AUTHOR_EMAIL=b@example.com \
       GIT_COMMITTER_NAME=Bench GIT_COMMITTER_EMAIL=b@example.com
mkdir -p "$HOME" "$work/objects"
git init -q --bare -b main "$work/origin.git"
git init -q -b main "$work/dev"
cd "$work/dev"
cat > mlgate.yaml <<YAML
version: 1
remote: {objects: $work/objects}
stages:
  train: {cmd: python3 train.py, deps: [train.py], params: [quality], outs: [model.txt]}
models:
  m:
    artifact: model.txt
    evaluate:
      cmd: python3 predict.py {model} {predictions}
      data: [predict.py]
      task: binary
      columns: {id: id, label: label, score: score}
    promotion:
      champion: production
      criteria: [{metric: roc_auc, min: 0.6}, {metric: roc_auc, vs_champion: {max_drop: 0.01}}]
YAML
printf 'quality = float(open("params.yaml").read().split(":")[1])\nopen("model.txt", "w").write(str(quality))\n' > train.py
printf 'import sys\nq = float(open(sys.argv[1]).read())\nwith open(sys.argv[2], "w") as f:\n    f.write("id,label,score\\n")\n    for i in range(400):\n        f.write(f"{i},{i %% 2},{q * (i %% 2) + (1 - q) * ((i * 7919) %% 400) / 400.0:.6f}\\n")\n' > predict.py
echo "quality: 0.6" > params.yaml
git add -A && git commit -qm model && git remote add origin "$work/origin.git" && git push -q origin main
git clone -q --depth 1 "file://$work/origin.git" "$work/ci" && cd "$work/ci"
CI=true GITHUB_ACTIONS=true GITHUB_EVENT_NAME=push GITHUB_REF=refs/heads/main GITHUB_SHA=$(git rev-parse HEAD) \
    GITHUB_STEP_SUMMARY=$work/summary.md GITHUB_OUTPUT=$work/output "$mlgate" ci >/dev/null 2>&1
echo '{"number": 1, "pull_request": {"number": 1, "head": {"sha": "x", "ref": "b", "repo": {"full_name": "a/b"}}, "base": {"ref": "main", "repo": {"full_name": "a/b"}}}}' > "$work/event.json"
pr() { CI=true GITHUB_ACTIONS=true GITHUB_EVENT_NAME=pull_request GITHUB_REF=refs/pull/1/merge GITHUB_SHA=$(git rev-parse HEAD) \
       GITHUB_EVENT_PATH=$work/event.json GITHUB_STEP_SUMMARY=$work/summary.md GITHUB_OUTPUT=$work/output "$mlgate" ci >/dev/null 2>&1 || true; }
pr  # warm: predictions cached from here on
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
time_ms() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s%N); echo $(( (e - s) / 1000 )); }
ci_us=$(for _ in $(seq "$runs"); do time_ms pr; done | median)
gate_us=$(for _ in $(seq "$runs"); do time_ms "$mlgate" gate m; done | median)
lsremote_us=$(for _ in $(seq "$runs"); do time_ms git ls-remote origin 'refs/tags/m@*' 'refs/tags/m#*' refs/notes/mlgate; done | median)
awk -v c="$ci_us" -v g="$gate_us" -v l="$lsremote_us" -v r="$runs" 'BEGIN {
  printf "mlgate ci on a pull request (pipeline up to date, predictions cached), median of %d: %.1f ms\n", r, c / 1000
  printf "mlgate gate alone on the same checkout:                                   %.1f ms\n", g / 1000
  printf "ci beyond the gate (detection, registry fetch + sync, reports):            %.1f ms (budget 100 ms)\n", (c - g) / 1000
  printf "anchor, git ls-remote of the registry refs (one of the step'"'"'s git calls):  %.1f ms; ci overhead / ls-remote = %.1fx\n", l / 1000, (c - g) / l
}'
