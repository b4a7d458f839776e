#!/usr/bin/env bash
# The router's own cost: wrk on loopback against a trivial fast backend (an nginx answering a fixed body), three
# ways in one run: straight to the backend (the floor), through nginx as a reverse proxy (the anchor, keep-alive
# to its upstream), and through `mlgate serve` (its deployment's instance is the same backend, started by the
# router from the version's package). Then the router with a 10 % mirror, and a traffic switch back and forth while
# wrk runs, which must lose no request.
# Usage: Benchmarks/serve.sh [path/to/mlgate]   (mlgate-server beside it; wrk and nginx from Debian)
# MLGATE_BENCH_SECONDS sets each wrk run's length (default 10), MLGATE_BENCH_CONNECTIONS the connections (default 32).
set -euo pipefail
mlgate=$(realpath "${1:-.build/release/mlgate}")
seconds=${MLGATE_BENCH_SECONDS:-10}
connections=${MLGATE_BENCH_CONNECTIONS:-32}
command -v wrk >/dev/null && command -v nginx >/dev/null || { echo "serve.sh needs wrk and nginx (apt-get install wrk nginx)" >&2; exit 2; }
work=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done; sleep 1; rm -rf "$work"; }
trap cleanup EXIT
export HOME=$work/home GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com \
       GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com
mkdir -p "$HOME"
port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
backend_port=$(port); proxy_port=$(port); router_port=$(port)

# The backend: one nginx worker answering 200 with a small JSON body on every path, keep-alive.
backend_conf() {  # port prefix
    cat <<CONF
worker_processes 1; daemon off; error_log $2/error.log; pid $2/nginx.pid;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 1000000;
  client_body_temp_path $2; proxy_temp_path $2; fastcgi_temp_path $2; uwsgi_temp_path $2; scgi_temp_path $2;
  server { listen 127.0.0.1:$1; location / { default_type application/json; return 200 '{"scores": [0.5]}'; } } }
CONF
}
mkdir -p "$work/backend" "$work/proxy"
backend_conf "$backend_port" "$work/backend" > "$work/backend/nginx.conf"
nginx -c "$work/backend/nginx.conf" & pids+=($!)
cat > "$work/proxy/nginx.conf" <<CONF
worker_processes 1; daemon off; error_log $work/proxy/error.log; pid $work/proxy/nginx.pid;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 1000000;
  client_body_temp_path $work/proxy; proxy_temp_path $work/proxy; fastcgi_temp_path $work/proxy; uwsgi_temp_path $work/proxy; scgi_temp_path $work/proxy;
  upstream backend { server 127.0.0.1:$backend_port; keepalive 64; }
  server { listen 127.0.0.1:$proxy_port; location / { proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection ""; } } }
CONF
nginx -c "$work/proxy/nginx.conf" & pids+=($!)

# A repository whose model serves with the same backend: the router starts it on its own private port.
repo=$work/repo
git init -q -b main "$repo"
cd "$repo"
backend_conf "@PORT@" "@DIR@" > backend.conf.in
echo "weights" > model.txt
cat > mlgate.yaml <<YAML
version: 1
models:
  m:
    artifact: model.txt
    serve:
      cmd: "test -f {model} && mkdir -p run-{port} && sed -e 's|@PORT@|{port}|' -e \"s|@DIR@|\$PWD/run-{port}|g\" backend.conf.in > run-{port}/nginx.conf && exec nginx -c \$PWD/run-{port}/nginx.conf"
      files: [backend.conf.in]
endpoints:
  bench:
    port: $router_port
    deployments:
      blue: {model: m/1}
      green: {model: m/1}
      shadow: {model: m/1}
    traffic: {blue: 100, green: 0}
    limits: {max_concurrent_requests_per_instance: 10000}
YAML
git add -A && git commit -q -m bench
"$mlgate" init >/dev/null
"$mlgate" models register m --path model.txt >/dev/null
"$mlgate" serve bench 2> "$work/router.log" & pids+=($!)
for _ in $(seq 300); do curl -fs "http://127.0.0.1:$router_port/-/ready" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fs "http://127.0.0.1:$router_port/-/ready" >/dev/null || { cat "$work/router.log" >&2; exit 3; }
for p in "$backend_port" "$proxy_port"; do
    for _ in $(seq 100); do curl -fs "http://127.0.0.1:$p/" >/dev/null 2>&1 && break; sleep 0.05; done
done

# wrk's figures: requests/s, p50 and p99 in ms, and the failed requests (socket errors + non-2xx).
measure() {  # port
    wrk -t1 -c"$connections" -d"${seconds}s" --latency "http://127.0.0.1:$1/predict" > "$work/wrk.out" 2>&1
    python3 - "$work/wrk.out" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
def ms(label):
    m = re.search(r"^\s*%s\s+([\d.]+)(us|ms|s)\s*$" % label, text, re.M)
    v, unit = float(m.group(1)), m.group(2)
    return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
errors = sum(int(x) for x in re.findall(r"(?:connect|read|write|timeout) (\d+)", text))
non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
print("%.0f %.3f %.3f %d" % (rps, ms("50%"), ms("99%"), errors + (int(non2xx.group(1)) if non2xx else 0)))
PY
}
measure "$backend_port" >/dev/null   # warm-up
read -r direct_rps direct_p50 direct_p99 direct_err < <(measure "$backend_port")
read -r nginx_rps nginx_p50 nginx_p99 nginx_err < <(measure "$proxy_port")
read -r ours_rps ours_p50 ours_p99 ours_err < <(measure "$router_port")
"$mlgate" endpoint mirror bench shadow=10 --reason bench >/dev/null
read -r mirror_rps mirror_p50 mirror_p99 mirror_err < <(measure "$router_port")
"$mlgate" endpoint mirror bench off --reason bench >/dev/null

# A switch back and forth every half second while wrk runs.
( for i in $(seq $((seconds * 2))); do
      sleep 0.5
      if [ $((i % 2)) = 1 ]; then "$mlgate" endpoint traffic bench blue=0 green=100 --reason bench >/dev/null
      else "$mlgate" endpoint traffic bench blue=100 green=0 --reason bench >/dev/null; fi
  done ) &
switcher=$!
read -r switch_rps switch_p50 switch_p99 switch_err < <(measure "$router_port")
wait "$switcher"
switches=$(curl -fs "http://127.0.0.1:$router_port/-/metrics" | awk '/^mlgate_plan_generation/ { print $2 - 1 }')

python3 - <<PY
d = dict(rps=$direct_rps, p50=$direct_p50, p99=$direct_p99)
rows = [("direct to the backend (floor)", $direct_rps, $direct_p50, $direct_p99, $direct_err),
        ("nginx reverse proxy (anchor)", $nginx_rps, $nginx_p50, $nginx_p99, $nginx_err),
        ("mlgate serve", $ours_rps, $ours_p50, $ours_p99, $ours_err),
        ("mlgate serve, mirror 10 %", $mirror_rps, $mirror_p50, $mirror_p99, $mirror_err),
        ("mlgate serve, $switches traffic switches", $switch_rps, $switch_p50, $switch_p99, $switch_err)]
print("%-38s %10s %9s %9s %11s %11s %7s" % ("wrk -t1 -c$connections -d${seconds}s", "req/s", "p50 ms", "p99 ms", "added p50", "added p99", "failed"))
for name, rps, p50, p99, err in rows:
    print("%-38s %10.0f %9.3f %9.3f %11.3f %11.3f %7d" % (name, rps, p50, p99, p50 - d["p50"], p99 - d["p99"], err))
added_nginx, added_ours = $nginx_p50 - $direct_p50, $ours_p50 - $direct_p50
goals = [("added p50 <= nginx's", added_ours <= added_nginx, "%.3f vs %.3f ms" % (added_ours, added_nginx)),
         ("throughput >= 80 % of nginx's", $ours_rps >= 0.8 * $nginx_rps, "%.0f %%" % (100.0 * $ours_rps / $nginx_rps)),
         ("mirror 10 % costs <= 10 % throughput", $mirror_rps >= 0.9 * $ours_rps, "%.1f %% less" % (100.0 * (1 - $mirror_rps / $ours_rps))),
         ("traffic switches lose 0 requests", $switch_err == 0 and $switches > 0, "%d failed over %d switches" % ($switch_err, $switches))]
print()
for goal, ok, figure in goals:
    print("%-40s %-28s %s" % (goal, figure, "PASS" if ok else "FAIL"))
print("goals missed: %d" % sum(1 for g in goals if not g[1]))
PY
