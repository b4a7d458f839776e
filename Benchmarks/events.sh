#!/usr/bin/env bash
# Event delivery: N events (default 1000) in the outbox delivered by one `mlgate events deliver` to a local receiver
# (a one-worker nginx answering 204), each signed with Standard Webhooks headers, beside the anchor in the same run:
# a Python sender (http.client on one keep-alive connection, hmac signing, the way MLflow's delivery signs) POSTing
# the same N bodies. Goal: mlgate ≥ 500 events/s.
# Usage: Benchmarks/events.sh [path/to/mlgate]   (nginx from Debian). MLGATE_BENCH_EVENTS sets N.
set -euo pipefail
mlgate=$(realpath "${1:-.build/release/mlgate}")
count=${MLGATE_BENCH_EVENTS:-1000}
command -v nginx >/dev/null || { echo "events.sh needs nginx (apt-get install nginx)" >&2; exit 2; }
work=$(mktemp -d)
nginx_pid=
cleanup() { [ -n "$nginx_pid" ] && kill -TERM "$nginx_pid" 2>/dev/null; sleep 0.3; rm -rf "$work"; }
trap cleanup EXIT
export HOME=$work/home GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com \
       GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com MLGATE_EVENTS_BACKGROUND=off \
       BENCH_SECRET="whsec_$(head -c 32 /dev/urandom | base64)"
mkdir -p "$HOME" "$work/nginx"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$work/nginx/nginx.conf" <<CONF
worker_processes 1; daemon off; error_log $work/nginx/error.log; pid $work/nginx/nginx.pid;
events { worker_connections 1024; }
http { access_log off; keepalive_requests 1000000; client_body_buffer_size 64k;
  client_body_temp_path $work/nginx; proxy_temp_path $work/nginx; fastcgi_temp_path $work/nginx; uwsgi_temp_path $work/nginx; scgi_temp_path $work/nginx;
  server { listen 127.0.0.1:$port; location / { return 204; } } }
CONF
nginx -c "$work/nginx/nginx.conf" & nginx_pid=$!

repo=$work/repo
git init -q -b main "$repo"
cd "$repo"
echo "weights" > model.txt
cat > mlgate.yaml <<YAML
version: 1
models:
  m: {artifact: model.txt}
notify:
  bench:
    url: http://127.0.0.1:$port/hooks
    secret_env: BENCH_SECRET
    allow_addresses: [127.0.0.1/32]
YAML
git add -A && git commit -q -m bench
"$mlgate" init >/dev/null 2>&1 || true
"$mlgate" events deliver --quiet 2>/dev/null || true   # the subscription is seen before the events are written
"$mlgate" models register m --path model.txt >/dev/null
# The other N-1 events: copies of the real registration event, written straight into the outbox (setup only).
python3 - "$repo/.mlgate/store.sqlite" "$count" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
kind, model, version, payload, created = db.execute("SELECT kind, model, version, payload, created_at FROM events ORDER BY id DESC LIMIT 1").fetchone()
db.executemany("INSERT INTO events (kind, model, version, payload, created_at, mirrored_at) VALUES (?, ?, ?, ?, ?, ?)",
               [(kind, model, version, payload, created + i, created + i) for i in range(1, int(sys.argv[2]))])
db.commit()
PY
start=$(date +%s.%N)
"$mlgate" events deliver
end=$(date +%s.%N)
delivered=$(python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT COUNT(*) FROM event_deliveries WHERE state = '"'"'delivered'"'"'").fetchone()[0])' "$repo/.mlgate/store.sqlite")

# The anchor: the same bodies, signed with hmac, POSTed from Python over one keep-alive connection.
anchor=$(python3 - "$port" "$count" <<'PY'
import base64, hashlib, hmac, http.client, json, os, sys, time
port, count = int(sys.argv[1]), int(sys.argv[2])
key = base64.b64decode(os.environ["BENCH_SECRET"][6:])
body = json.dumps({"specversion": "1.0", "type": "dev.mlgate.model.registered", "data": {"model": "m", "version": 1}}).encode()
start = time.perf_counter()
connection = http.client.HTTPConnection("127.0.0.1", port)
for i in range(count):
    message_id, timestamp = f"evt_{i}", str(int(time.time()))
    signature = base64.b64encode(hmac.new(key, f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()).decode()
    connection.request("POST", "/hooks", body, {"Content-Type": "application/json", "webhook-id": message_id,
                                                "webhook-timestamp": timestamp, "webhook-signature": "v1," + signature})
    response = connection.getresponse(); response.read()
    assert response.status == 204
print(time.perf_counter() - start)
PY
)
python3 - "$count" "$delivered" "$start" "$end" "$anchor" <<'PY'
import sys
count, delivered, start, end, anchor = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
ours = end - start
rate, anchor_rate = delivered / ours, count / anchor
print(f"{'work':<58} {'seconds':>8} {'events/s':>9}")
print(f"{'mlgate events deliver (whole process, signed, recorded)':<58} {ours:8.3f} {rate:9.0f}")
print(f"{'Python http.client + hmac, one keep-alive connection':<58} {anchor:8.3f} {anchor_rate:9.0f}")
print(f"delivered {delivered} of {count}; mlgate at {rate / anchor_rate:.2f}x the anchor's rate")
print(f"goal: >= 500 events/s: {'PASS' if rate >= 500 and delivered == count else 'FAIL'}")
PY
