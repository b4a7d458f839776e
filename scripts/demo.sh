#!/usr/bin/env bash
# The demo behind 'make demo': a temporary repository made from examples/churn, with mlgate's hooks,
# a few real training runs and the usual git moves; then what mlgate recorded.
# Usage: scripts/demo.sh path/to/mlgate   (MLGATE_DEMO_KEEP=1 keeps the repository)
set -euo pipefail
mlgate=$(realpath "${1:-.build/debug/mlgate}")
examples=$(realpath "$(dirname "$0")/../examples")
work=$(mktemp -d)
[ "${MLGATE_DEMO_KEEP:-0}" = 1 ] || trap 'rm -rf "$work"' EXIT
export HOME=$work/home GIT_CONFIG_NOSYSTEM=1 \
       GIT_AUTHOR_NAME="Ada Lovelace" GIT_AUTHOR_EMAIL=ada@example.com \
       GIT_COMMITTER_NAME="Ada Lovelace" GIT_COMMITTER_EMAIL=ada@example.com
mkdir -p "$HOME"
step() { printf '\n== %s\n' "$*"; }
[ -t 1 ] && [ -z "${NO_COLOR:-}" ] && step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

repo=$work/ml-repo
git init -q -b main "$repo"
cd "$repo"
mkdir -p models
cp -R "$examples/churn" models/churn
cat > mlgate.yaml <<'YAML'
version: 1
projects:
  churn: models/churn
hooks:
  pre_push: warn
YAML
git add -A && git commit -q -m "Add the churn model"

step "mlgate init (the first commit was made before it: it is backfilled)"
"$mlgate" init

step "train once, evaluate the model on the test split"
(cd models/churn && python3 prepare.py && python3 train.py --data data/train.csv --out model/ \
    && python3 predict.py --model model/ --data data/test.csv --out predictions.csv)
"$mlgate" eval --task binary --predictions models/churn/predictions.csv --label label --score score --slice region

step "commit a parameter change (recorded by post-commit), retrain, compare with the first model"
sed -i 's/learning_rate: 0.5/learning_rate: 0.3/' models/churn/params.yaml
git commit -q -am "Lower the learning rate"
(cd models/churn && python3 train.py --data data/train.csv --out model/ --epochs 8 \
    && python3 predict.py --model model/ --data data/test.csv --out candidate.csv)
"$mlgate" eval --task binary --predictions models/churn/candidate.csv --label label --score score \
    --baseline models/churn/predictions.csv --id id --bootstrap 200 --metrics roc_auc,log_loss,accuracy

step "amend it (post-rewrite records old -> new)"
git commit -q --amend -m "Lower the learning rate to 0.3"

step "an experiment branch, merged back (post-merge)"
git checkout -q -b more-epochs
sed -i 's/epochs: 100/epochs: 120/' models/churn/params.yaml
git commit -q -am "Train for 120 epochs"
git checkout -q main
echo "Churn model: logistic regression on synthetic data." > NOTES.md
git add NOTES.md && git commit -q -m "Add notes"
git merge -q --no-ff -m "Merge more-epochs" more-epochs

step "rebase a topic branch of three commits (one post-rewrite, not three post-commits)"
git checkout -q -b topic HEAD~1
for n in 1 2 3; do echo "note $n" >> NOTES.md; git commit -q -am "Note $n"; done
git rebase -q main
git checkout -q main

step "a commit made with hooks switched off (found by sync, marked so)"
echo "more notes" >> NOTES.md
MLGATE_HOOKS=0 git commit -q -am "Commit without hooks"

step "mlgate lineage"
"$mlgate" lineage

step "mlgate lineage show HEAD~1"
"$mlgate" lineage show HEAD~1

step "mlgate hooks status"
"$mlgate" hooks status
[ "${MLGATE_DEMO_KEEP:-0}" = 1 ] && echo "kept: $repo"
exit 0
