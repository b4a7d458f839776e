#!/usr/bin/env bash
# The demo behind 'make demo': a temporary repository made from examples/churn and examples/mlgate.yaml,
# with mlgate's hooks: training through the pipeline, the run cache, evaluation, the usual git moves, a push
# that queues training for a worker, the release gate, the registry and the audit log, deployment and packaging,
# serving with a canary, drift found in the served traffic and a retraining that meets the gate, signed events,
# and the object store; then what mlgate recorded.
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
git init -q --bare "$work/origin.git"
mkdir -p "$work/objects"
cd "$repo"
mkdir -p models
cp -R "$examples/churn" models/churn
cp "$examples/mlgate.yaml" mlgate.yaml
printf 'remote:\n  objects: %s\ndeploy:\n  production-dir: {type: directory, path: %s, model: churn@production}\n  shop-canary: {type: endpoint, endpoint: shop, deployment: green, canary: 10}\n' "$work/objects" "$work/served" >> mlgate.yaml
# A local webhook receiver (it checks every signature itself) and the subscription that delivers to it.
export MLGATE_DEMO_WEBHOOK_SECRET="whsec_$(head -c 32 /dev/urandom | base64)"
python3 "$(dirname "$examples")/scripts/webhook_receiver.py" "$work/received.jsonl" --secret "$MLGATE_DEMO_WEBHOOK_SECRET" > "$work/receiver.port" &
receiver_pid=$!
trap 'kill "$receiver_pid" 2>/dev/null || true' EXIT
[ "${MLGATE_DEMO_KEEP:-0}" = 1 ] || trap 'kill "$receiver_pid" 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 50); do [ -s "$work/receiver.port" ] && break; sleep 0.1; done
printf 'notify:\n  demo-receiver:\n    url: http://127.0.0.1:%s/mlgate\n    secret_env: MLGATE_DEMO_WEBHOOK_SECRET\n    events: [model.*, gate.*, deployment.*, endpoint.*, drift.*, monitor.*]\n    allow_addresses: [127.0.0.1/32]\n' "$(head -1 "$work/receiver.port")" >> mlgate.yaml
git remote add origin "$work/origin.git"
git add -A && git commit -q -m "Add the churn model and its pipeline"

step "mlgate init (the first commit was made before it: it is backfilled)"
"$mlgate" init

step "mlgate run: prepare -> train -> predict, in dependency order"
"$mlgate" run
git add mlgate.lock .gitignore && git commit -q -m "Lock the pipeline"

step "mlgate run again: nothing changed, nothing runs"
"$mlgate" run

step "evaluate the model on the test split"
"$mlgate" eval --task binary --predictions models/churn/predictions.csv --label label --score score --slice region
cp models/churn/predictions.csv "$work/baseline.csv"

step "change a parameter and commit (post-commit records it); mlgate run re-runs train and predict only"
sed -i 's/learning_rate: 0.5/learning_rate: 0.3/' models/churn/params.yaml
sed -i 's/epochs: 100/epochs: 8/' models/churn/params.yaml
git commit -q -am "Lower the learning rate, fewer epochs"
"$mlgate" run
git commit -q -am "Lock the retrained pipeline"
"$mlgate" eval --task binary --predictions models/churn/predictions.csv --label label --score score \
    --baseline "$work/baseline.csv" --id id --bootstrap 200 --metrics roc_auc,log_loss,accuracy

step "mlgate runs, and what changed between the two trainings"
"$mlgate" runs
"$mlgate" runs diff 1 2

step "go back to the first parameters: the run cache restores the outputs instead of training"
sed -i 's/learning_rate: 0.3/learning_rate: 0.5/; s/epochs: 8/epochs: 100/' models/churn/params.yaml
"$mlgate" run
git commit -q -am "Back to the first parameters"

step "amend it (post-rewrite records old -> new)"
git commit -q --amend -m "Back to the first parameters: learning rate 0.5, 100 epochs"

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

step "approve the pipeline's commands for hooks and workers (stored outside the repository)"
"$mlgate" trust

step "git push to a local bare remote: pre-push queues a training job, a worker runs it"
sed -i 's/l2: 0.001/l2: 0.002/' models/churn/params.yaml
git commit -q -am "Stronger L2"
git push -q origin main 2>&1
for second in $(seq 1 30); do
    "$mlgate" queue --all --json | grep -q '"status" : "succeeded"' && break
    sleep 1
    # In CI (CI=true) the hook queues but starts no background worker: run one here.
    if [ "$second" = 3 ]; then "$mlgate" worker; fi
done
"$mlgate" queue --all
"$mlgate" runs --limit 1

step "the release gate: the first model has no champion yet, so it is judged on its floors alone"
"$mlgate" gate churn --candidate 1
"$mlgate" models register churn --run 1 --description "first churn model"
"$mlgate" promote churn 1 --to staging --reason "first model"
"$mlgate" promote churn 1 --to production --reason "first model, gate passed"
"$mlgate" deploy --target production-dir --reason "first model"

step "a worse candidate (8 epochs, learning rate 0.3: run 2) is refused, with its evidence"
refused=0
"$mlgate" gate churn --candidate 2 --markdown "$work/gate.md" --html "$work/gate.html" || { echo "(exit $?: the gate refused it; $work/gate.md holds the Markdown summary, $work/gate.html the page with the ROC and PR curves)"; refused=$((refused + 1)); }
grep -q '<polyline' "$work/gate.html" || { echo "the gate's HTML report has no curves" >&2; exit 1; }

step "the worker's model (stronger L2: run 4) is no worse than the champion: it passes, and is promoted"
"$mlgate" gate churn --candidate 4
"$mlgate" models register churn --run 4 --tag trained-by=worker
"$mlgate" models alias set churn champion 2 --reason "passed the gate against version 1"
"$mlgate" promote churn 2 --to staging --reason "passed the gate"
"$mlgate" promote churn 2 --to production --reason "passed the gate against version 1"
"$mlgate" deploy --target production-dir --reason "version 2 passed its gate"
ls -l "$work/served" "$work/served/current/"

step "mlgate package: the production version as a folder to ship (model, serving code, lock, manifest, Dockerfile); its server answers"
"$mlgate" package churn@production --out "$work/dist/churn"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
(cd "$work/dist/churn/app" && exec python3 serve.py --model ../model/model --port "$port" --host 127.0.0.1 2>/dev/null) &
server=$!
python3 - "$port" models/churn/data/test.csv <<'PY'
import csv, json, sys, time, urllib.request
base = "http://127.0.0.1:%s" % sys.argv[1]
for _ in range(100):
    try:
        print("GET /health  ->", urllib.request.urlopen(base + "/health").read().decode().strip()); break
    except OSError:
        time.sleep(0.1)
rows = [{k: v for k, v in r.items() if k not in ("id", "label")} for r in list(csv.DictReader(open(sys.argv[2])))[:2]]
body = json.dumps({"rows": rows}).encode()
print("POST /predict", json.dumps({"rows": rows}))
print("          ->", urllib.request.urlopen(urllib.request.Request(base + "/predict", data=body)).read().decode().strip())
PY
kill "$server"

step "mlgate score: the production version scores a batch in resumable partitions, each row saying which version scored it"
"$mlgate" score churn@production --input models/churn/data/test.csv --output "$work/scored" --rows 200
head -3 "$work/scored/part-00001.csv"

step "mlgate serve: the champion behind endpoint shop; version 1 deployed into green as a 10 % canary, pinned, rolled back; what was collected"
serve_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
printf 'endpoints:\n  shop:\n    port: %s\n    deployments:\n      blue: {model: churn@production}\n      green: {model: churn@production}\n    traffic: {blue: 100, green: 0}\n    collect: {sample: 1.0}\n' "$serve_port" >> mlgate.yaml
git commit -q -am "Serve the churn model behind endpoint shop"
"$mlgate" serve shop 2> "$work/serve.log" &
serve_pid=$!
python3 - "$serve_port" <<'PY'
import sys, time, urllib.request
for _ in range(300):
    try:
        if urllib.request.urlopen("http://127.0.0.1:%s/-/ready" % sys.argv[1]).status == 200: break
    except OSError:
        time.sleep(0.1)
else:
    sys.exit("the router did not become ready")
PY
send() {  # send N requests [header], print who answered
  python3 - "$serve_port" "$@" models/churn/data/test.csv <<'PY'
import collections, csv, json, sys, urllib.request
port, n, pin, data = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
row = {k: v for k, v in next(csv.DictReader(open(data))).items() if k not in ("id", "label")}
seen = collections.Counter()
for _ in range(n):
    request = urllib.request.Request("http://127.0.0.1:%s/predict" % port, data=json.dumps({"rows": [row]}).encode())
    if pin != "-": request.add_header("mlgate-deployment", pin)
    answer = urllib.request.urlopen(request)
    seen["%s (%s)" % (answer.headers["mlgate-deployment"], answer.headers["mlgate-model-version"])] += 1
print("   %d requests%s -> %s" % (n, "" if pin == "-" else " pinned to " + pin, dict(seen)))
PY
}
send 10 -
send 2 green
"$mlgate" deploy churn/1 --target shop-canary --reason "demo: version 1 as a 10 % canary"
send 20 -
"$mlgate" endpoint rollback shop --reason "demo: the canary is not better"
send 10 -
"$mlgate" endpoint status
echo "   collected: $(find .mlgate/collected -name '*.jsonl' | sort | sed "s|.mlgate/collected/||" | tr '\n' ' ')"
head -c 300 "$(find .mlgate/collected/shop/blue/model_inputs -name '*.jsonl' | head -1)"; echo " ..."

step "monitoring: production traffic like the training data shows no drift; shifted inputs drift, the event is delivered, a retraining is queued and its model meets the gate"
traffic() {  # send the first N test rows as requests named PREFIX-i (shifted: more charges and support calls), their true outcomes to labels-PREFIX.csv
  python3 - "$serve_port" "$1" "$2" "$3" models/churn/data/test.csv "$work/labels-$2.csv" <<'PY'
import csv, json, os, sys, urllib.request
port, n, prefix, shifted, data, labels = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4] == "shifted", sys.argv[5], sys.argv[6]
rows = list(csv.DictReader(open(data)))[:n]
with open(labels, "w") as out:
    out.write("correlation_id,label\n")
    for i, row in enumerate(rows):
        features = {k: v for k, v in row.items() if k not in ("id", "label")}
        if shifted:
            features["monthly_charges"] = "%.2f" % (float(features["monthly_charges"]) * 1.4)
            features["support_calls"] = str(int(features["support_calls"]) + 3)
        request = urllib.request.Request("http://127.0.0.1:%s/predict" % port, data=json.dumps({"rows": [features]}).encode())
        request.add_header("x-request-id", "%s-%d" % (prefix, i))
        urllib.request.urlopen(request).read()
        out.write("%s-%d,%s\n" % (prefix, i, row["label"]))
print("   %d %s requests sent" % (n, "shifted" if shifted else "ordinary"))
PY
}
sleep 1; calm_since=$(date -u +%Y-%m-%dT%H:%M:%SZ); sleep 1
traffic 400 calm ordinary
sleep 2  # the collector appends at least every second
"$mlgate" collect labels "$work/labels-calm.csv" --endpoint shop
"$mlgate" monitor check churn --endpoint shop --since "$calm_since" || echo "(exit $?)"
shift_since=$(date -u +%Y-%m-%dT%H:%M:%SZ); sleep 1
traffic 400 shift shifted
sleep 2
"$mlgate" collect labels "$work/labels-shift.csv" --endpoint shop
echo "   meanwhile, fresh training data is committed (prepare.seed 7 -> 11): the retraining will train on it"
sed -i 's/seed: 7/seed: 11/' models/churn/params.yaml
git commit -q -am "Fresh training data"
drift_status=0
"$mlgate" monitor check churn --endpoint shop --since "$shift_since" --html "$work/drift.html" || drift_status=$?
echo "(exit $drift_status: drift; $work/drift.html is the page with each column's distributions)"
grep -q '<rect' "$work/drift.html" || { echo "the drift report has no charts" >&2; exit 1; }
for second in $(seq 1 120); do
    "$mlgate" queue --all --json | python3 -c 'import json, sys; jobs = json.load(sys.stdin)["jobs"]; sys.exit(0 if any(j["gate_model"] and j["status"] in ("succeeded", "failed") for j in jobs) else 1)' && break
    sleep 1
    if [ "$second" = 3 ]; then "$mlgate" worker >/dev/null 2>&1 || true; fi  # CI=true starts no background worker
done
"$mlgate" queue --all --json | python3 -c '
import json, sys
job = next(j for j in json.load(sys.stdin)["jobs"] if j["gate_model"])
print("   retraining job %d (%s): %s\n   -> %s" % (job["id"], job["status"], job["reason"], job["message"]))'
"$mlgate" monitor history churn
echo "   the new champion's profile: the training data it was registered with, which its drift checks compare with"
"$mlgate" monitor profile churn
kill -TERM "$serve_pid"; wait "$serve_pid" || true

step "a rollback: the directory target serves version 1 again, in one rename"
"$mlgate" rollback production-dir --reason "demo: roll back"
"$mlgate" deploy status
"$mlgate" models list
"$mlgate" models history churn
"$mlgate" audit verify

step "events: each registration, gate, promotion, deployment and traffic change was delivered to the local receiver, signed"
"$mlgate" events deliver
python3 - "$work/received.jsonl" <<'PY'
import collections, json, sys
received = [json.loads(line) for line in open(sys.argv[1])]
types = collections.Counter(json.loads(r["body"])["type"].removeprefix("dev.mlgate.") for r in received)
print(f"   the receiver got {len(received)} events, {sum(r['verified'] for r in received)} with a valid signature:")
print("   " + ", ".join(f"{t} ×{n}" for t, n in sorted(types.items())))
PY
last=$(tail -1 "$work/received.jsonl")
python3 -c 'import json, sys; print(json.loads(sys.argv[1])["body"], end="")' "$last" > "$work/last-event.json"
header() { python3 -c 'import json, sys; print(json.loads(sys.argv[1])["headers"][sys.argv[2]])' "$last" "$1"; }
"$mlgate" events verify "$work/last-event.json" --secret-env MLGATE_DEMO_WEBHOOK_SECRET \
    --id "$(header webhook-id)" --timestamp "$(header webhook-timestamp)" --signature "$(header webhook-signature)"

step "the registry in git: GTO-style tags and refs/notes/mlgate, pushed to the remote (fetch, merge, never forced)"
git tag -l
"$mlgate" models push
git --git-dir="$work/origin.git" tag -l

step "mlgate push: the objects the runs refer to go to the remote object store"
"$mlgate" push
"$mlgate" fsck

step "mlgate ci as GitHub Actions runs it on a pull request: a depth-1 clone, the registry fetched by refspec, the gate, the step summary"
git checkout -q -b smaller-model
sed -i 's/l2: 0.002/l2: 0.004/' models/churn/params.yaml
git commit -q -am "Even stronger L2"
git push -q origin smaller-model 2>&1
git clone -q --depth 1 -b smaller-model "file://$work/origin.git" "$work/ci-checkout"
mkdir -p "$work/github"
cat > "$work/github/event.json" <<EOF
{"number": 12, "pull_request": {"number": 12,
  "head": {"sha": "$(git rev-parse HEAD)", "ref": "smaller-model", "repo": {"full_name": "acme/churn"}},
  "base": {"sha": "$(git rev-parse main)", "ref": "main", "repo": {"full_name": "acme/churn"}}},
 "repository": {"default_branch": "main"}}
EOF
ci_status=0
(cd "$work/ci-checkout" && env CI=true GITHUB_ACTIONS=true GITHUB_EVENT_NAME=pull_request GITHUB_REF=refs/pull/12/merge \
    GITHUB_SHA="$(git rev-parse HEAD)" GITHUB_EVENT_PATH="$work/github/event.json" GITHUB_REPOSITORY=acme/churn \
    GITHUB_SERVER_URL=https://github.com GITHUB_RUN_ID=1 GITHUB_STEP_SUMMARY="$work/github/summary.md" GITHUB_OUTPUT="$work/github/output" \
    "$mlgate" ci >/dev/null) || ci_status=$?
git checkout -q main
echo "mlgate ci exited $ci_status; the job's step summary (GITHUB_STEP_SUMMARY):"
cat "$work/github/summary.md"
echo "step outputs (GITHUB_OUTPUT):"
cat "$work/github/output"

step "mlgate lineage"
"$mlgate" lineage

step "mlgate lineage show HEAD~1"
"$mlgate" lineage show HEAD~1

step "mlgate hooks status"
"$mlgate" hooks status
step "the audit log, verified once more, and the story in one line"
audit=intact
"$mlgate" audit verify >/dev/null || audit=broken
[ "$ci_status" = 1 ] && refused=$((refused + 1))
"$mlgate" audit log --json | python3 -c '
import json, sys
rows = json.load(sys.stdin)["audit"]
promoted = sorted({int(r["subject"].rsplit("/", 1)[1]) for r in rows if r["action"] == "promote" and r["after"] == "\"production\""})
rolled = sum(1 for r in rows if r["action"] == "rollback")
print(json.dumps({"demo_summary": {"versions_promoted": promoted, "refused": int(sys.argv[1]), "rolled_back": rolled,
                                   "ci_pull_request_exit": int(sys.argv[2]), "audit": sys.argv[3]}}))
' "$refused" "$ci_status" "$audit"
[ "${MLGATE_DEMO_KEEP:-0}" = 1 ] && echo "kept: $repo"
exit 0
