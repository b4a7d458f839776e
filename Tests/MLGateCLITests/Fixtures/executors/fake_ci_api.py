#!/usr/bin/env python3
"""A fake GitHub Actions + GitLab pipelines REST API for the queue's executor tests (standard library only).

usage: fake_ci_api.py LOG [--token TOKEN] [--trigger-token TOKEN] [--conclusion success|failure] [--lose-first-dispatch]

Listens on 127.0.0.1 on a free port and prints the port as its first stdout line. Every request is appended to LOG
as one JSON line: {"method", "path", "headers", "body"}.

GitHub  POST /repos/{o}/{r}/actions/workflows/{wf}/dispatches   a run named by inputs.mlgate_job; 200 with its id
                                                                (--lose-first-dispatch: the first closes the
                                                                connection without an answer, after creating the run)
        GET  /repos/{o}/{r}/actions/workflows/{wf}/runs         {"workflow_runs": [...]}
        GET  /repos/{o}/{r}/actions/runs/{id}                   queued, then in_progress, then completed (--conclusion)
GitLab  POST /api/v4/projects/{p}/trigger/pipeline              form token, ref, variables[...]; 201 with its id
        GET  /api/v4/projects/{p}/pipelines[?...]               the triggered pipelines
        GET  /api/v4/projects/{p}/pipelines/{id}                pending, then running, then success (or failed)
        GET  /api/v4/projects/{p}/pipelines/{id}/variables      the variables it was triggered with
"""

import argparse
import json
import re
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

GITHUB_DISPATCH = re.compile(r"^/repos/([^/]+)/([^/]+)/actions/workflows/([^/]+)/dispatches$")
GITHUB_LIST = re.compile(r"^/repos/([^/]+)/([^/]+)/actions/workflows/([^/]+)/runs$")
GITHUB_RUN = re.compile(r"^/repos/([^/]+)/([^/]+)/actions/runs/(\d+)$")
GITLAB_TRIGGER = re.compile(r"^/api/v4/projects/([^/]+)/trigger/pipeline$")
GITLAB_LIST = re.compile(r"^/api/v4/projects/([^/]+)/pipelines$")
GITLAB_PIPELINE = re.compile(r"^/api/v4/projects/([^/]+)/pipelines/(\d+)$")
GITLAB_VARIABLES = re.compile(r"^/api/v4/projects/([^/]+)/pipelines/(\d+)/variables$")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("log")
    parser.add_argument("--token", default="t0ken")
    parser.add_argument("--trigger-token", default="tr1gger")
    parser.add_argument("--conclusion", default="success")
    parser.add_argument("--lose-first-dispatch", action="store_true")
    options = parser.parse_args()
    lock = threading.Lock()
    state = {"next": 5000, "runs": {}, "pipelines": {}, "dispatches": 0}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def reply(self, status, body):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def handle_any(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode() if length else ""
            url = urlsplit(self.path)
            with lock:
                with open(options.log, "a") as log:
                    log.write(json.dumps({"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body}) + "\n")
            base = "http://127.0.0.1:%d" % self.server.server_port
            if url.path.startswith("/repos/"):
                if self.headers.get("Authorization") != "Bearer " + options.token:
                    return self.reply(401, {"message": "Bad credentials"})
                if (match := GITHUB_DISPATCH.match(url.path)) and self.command == "POST":
                    request = json.loads(body)
                    with lock:
                        state["next"] += 1
                        run_id = state["next"]
                        state["dispatches"] += 1
                        first = state["dispatches"] == 1
                        state["runs"][run_id] = {"id": run_id, "display_title": "mlgate " + request["inputs"]["mlgate_job"], "polls": 0,
                                                 "html_url": f"{base}/{match[1]}/{match[2]}/actions/runs/{run_id}", "inputs": request["inputs"],
                                                 "ref": request["ref"]}
                    if first and options.lose_first_dispatch:
                        self.close_connection = True
                        self.connection.shutdown(2)
                        return
                    run = state["runs"][run_id]
                    return self.reply(200, {"workflow_run_id": run_id, "run_url": f"{base}/repos/{match[1]}/{match[2]}/actions/runs/{run_id}",
                                            "html_url": run["html_url"]})
                if GITHUB_LIST.match(url.path) and self.command == "GET":
                    with lock:
                        runs = [{"id": r["id"], "display_title": r["display_title"], "html_url": r["html_url"]} for r in state["runs"].values()]
                    return self.reply(200, {"total_count": len(runs), "workflow_runs": runs})
                if (match := GITHUB_RUN.match(url.path)) and self.command == "GET":
                    with lock:
                        run = state["runs"].get(int(match[3]))
                        if run is None:
                            return self.reply(404, {"message": "Not Found"})
                        run["polls"] += 1
                        polls = run["polls"]
                    status = "queued" if polls == 1 else "in_progress" if polls == 2 else "completed"
                    return self.reply(200, {"id": run["id"], "status": status, "conclusion": options.conclusion if status == "completed" else None,
                                            "html_url": run["html_url"]})
            if url.path.startswith("/api/v4/"):
                if (match := GITLAB_TRIGGER.match(url.path)) and self.command == "POST":
                    form = {key: values[0] for key, values in parse_qs(body).items()}
                    if form.get("token") != options.trigger_token:
                        return self.reply(404, {"message": "404 Not Found"})
                    with lock:
                        state["next"] += 1
                        pipeline_id = state["next"]
                        variables = [{"key": key[10:-1], "value": value} for key, value in form.items() if key.startswith("variables[")]
                        state["pipelines"][pipeline_id] = {"id": pipeline_id, "ref": form.get("ref"), "polls": 0, "variables": variables,
                                                           "web_url": f"{base}/{match[1]}/-/pipelines/{pipeline_id}"}
                    return self.reply(201, {"id": pipeline_id, "status": "created", "web_url": state["pipelines"][pipeline_id]["web_url"]})
                if self.headers.get("PRIVATE-TOKEN") != options.token:
                    return self.reply(401, {"message": "401 Unauthorized"})
                if GITLAB_LIST.match(url.path):
                    with lock:
                        return self.reply(200, [{"id": p["id"], "ref": p["ref"], "web_url": p["web_url"]} for p in state["pipelines"].values()])
                if match := GITLAB_VARIABLES.match(url.path):
                    with lock:
                        pipeline = state["pipelines"].get(int(match[2]))
                    return self.reply(200, pipeline["variables"]) if pipeline else self.reply(404, {"message": "404 Not found"})
                if match := GITLAB_PIPELINE.match(url.path):
                    with lock:
                        pipeline = state["pipelines"].get(int(match[2]))
                        if pipeline is None:
                            return self.reply(404, {"message": "404 Not found"})
                        pipeline["polls"] += 1
                        polls = pipeline["polls"]
                    status = "pending" if polls == 1 else "running" if polls == 2 else ("success" if options.conclusion == "success" else "failed")
                    return self.reply(200, {"id": pipeline["id"], "status": status, "web_url": pipeline["web_url"]})
            self.reply(404, {"message": "no such route: " + url.path})

        do_GET = do_POST = handle_any

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(server.server_port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
