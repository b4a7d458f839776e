#!/usr/bin/env python3
"""A fake GitHub + GitLab REST API for MLGateNotifyTests (standard library only).

usage: fake_forge.py LOG [--fail-first N] [--always STATUS] [--token TOKEN]
                         [--seed KIND:COUNT:I,J,...] [--marker TEXT]

Listens on 127.0.0.1 on a free port and prints the port as its first stdout line. Every request is
appended to LOG as one JSON line: {"method", "path", "headers", "body"}.

  --fail-first N       answer the first N requests with 500 {"message": "Server Error"}
  --always STATUS      answer every request with STATUS (403, 404, ...); the message echoes the
                       credential header, so tests can check that clients redact it
  --token TOKEN        require this token (GitHub "Authorization: Bearer TOKEN", GitLab
                       "PRIVATE-TOKEN: TOKEN"); otherwise 401
  --seed KIND:COUNT:IDX  every github|gitlab conversation starts with COUNT comments; those at the
                       0-based indices IDX (comma-separated, may be empty) carry --marker
  --marker TEXT        the marker used by --seed

Routes (state in memory, ids ascending from 1000):
  GitHub  GET/POST /repos/{owner}/{repo}/issues/{n}/comments   (?per_page=&page=)
          PATCH    /repos/{owner}/{repo}/issues/comments/{id}
  GitLab  GET/POST /api/v4/projects/{id}/merge_requests/{iid}/notes  (?per_page=&page=&sort=)
          PUT      /api/v4/projects/{id}/merge_requests/{iid}/notes/{note_id}
  Other   GET /redirect?to=URL (302 to URL), GET /echo (200, the request as JSON)
"""

import argparse
import json
import re
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

GITHUB_LIST = re.compile(r"^/repos/([^/]+)/([^/]+)/issues/(\d+)/comments$")
GITHUB_EDIT = re.compile(r"^/repos/([^/]+)/([^/]+)/issues/comments/(\d+)$")
GITLAB_LIST = re.compile(r"^/api/v4/projects/([^/]+)/merge_requests/(\d+)/notes$")
GITLAB_EDIT = re.compile(r"^/api/v4/projects/([^/]+)/merge_requests/(\d+)/notes/(\d+)$")


class State:
    def __init__(self, options):
        self.options = options
        self.lock = threading.Lock()
        self.count = 0
        self.next_id = 1000
        self.conversations = {}  # (kind, project, number) -> [comment]
        self.seeds = {}
        for seed in options.seed or []:
            kind, count, indices = (seed.split(":", 2) + [""])[:3]
            self.seeds[kind] = (int(count), {int(i) for i in indices.split(",") if i})

    def conversation(self, kind, project, number):
        key = (kind, project, number)
        if key not in self.conversations:
            comments = []
            count, marked = self.seeds.get(kind, (0, set()))
            for index in range(count):
                body = f"seeded comment {index}"
                if index in marked:
                    body += "\n\n" + (self.options.marker or "")
                comments.append(self.make(kind, project, number, body))
            self.conversations[key] = comments
        return self.conversations[key]

    def make(self, kind, project, number, body):
        self.next_id += 1
        comment = {"id": self.next_id, "body": body}
        if kind == "github":
            comment["html_url"] = f"https://github.example/{project}/pull/{number}#issuecomment-{self.next_id}"
            comment["user"] = {"login": "mlgate-bot"}
        else:
            comment["system"] = False
            comment["noteable_iid"] = number
        return comment


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-forge/1"

    def log_message(self, format, *args):  # keep test output quiet
        pass

    def handle_any(self):
        state = self.server.state
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        record = {
            "method": self.command,
            "path": self.path,
            "headers": {name: value for name, value in self.headers.items()},
            "body": raw.decode("utf-8", "replace"),
        }
        with state.lock:
            state.count += 1
            number = state.count
            with open(state.options.log, "a", encoding="utf-8") as log:
                log.write(json.dumps(record) + "\n")
        options = state.options
        if number <= options.fail_first:
            return self.reply(500, {"message": "Server Error"})
        if options.always:
            credential = self.headers.get("Authorization") or self.headers.get("PRIVATE-TOKEN") or ""
            message = {403: "Resource not accessible by integration", 404: "Not Found"}.get(options.always, "Refused")
            return self.reply(options.always, {"message": f"{message} (you sent '{credential}')"})
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        if url.path == "/redirect":
            return self.reply(302, {"message": "moved"}, {"Location": query.get("to", ["/"])[0]})
        if url.path == "/echo":
            return self.reply(200, record)
        with state.lock:
            return self.route(state, url.path, query, raw)

    def route(self, state, path, query, raw):
        match = GITHUB_LIST.match(path)
        if match:
            kind, project, number = "github", f"{match[1]}/{match[2]}", int(match[3])
            if not self.authorized(kind):
                return self.reply(401, {"message": "Bad credentials"})
            return self.collection(state, kind, project, number, query, raw)
        match = GITLAB_LIST.match(path)
        if match:
            kind, project, number = "gitlab", match[1], int(match[2])
            if not self.authorized(kind):
                return self.reply(401, {"message": "401 Unauthorized"})
            return self.collection(state, kind, project, number, query, raw)
        match = GITHUB_EDIT.match(path)
        if match and self.command == "PATCH":
            if not self.authorized("github"):
                return self.reply(401, {"message": "Bad credentials"})
            project, comment_id = f"{match[1]}/{match[2]}", int(match[3])
            for (kind, owner, _), comments in state.conversations.items():
                if kind == "github" and owner == project:
                    for comment in comments:
                        if comment["id"] == comment_id:
                            return self.edit(comment, raw)
            return self.reply(404, {"message": "Not Found"})
        match = GITLAB_EDIT.match(path)
        if match and self.command == "PUT":
            if not self.authorized("gitlab"):
                return self.reply(401, {"message": "401 Unauthorized"})
            comments = state.conversations.get(("gitlab", match[1], int(match[2])), [])
            for comment in comments:
                if comment["id"] == int(match[3]):
                    return self.edit(comment, raw)
            return self.reply(404, {"message": "404 Not found"})
        return self.reply(404, {"message": "Not Found"})

    def authorized(self, kind):
        token = self.server.state.options.token
        if token is None:
            return True
        if kind == "github":
            return self.headers.get("Authorization") == f"Bearer {token}"
        return self.headers.get("PRIVATE-TOKEN") == token

    def collection(self, state, kind, project, number, query, raw):
        comments = state.conversation(kind, project, number)
        if self.command == "GET":
            per_page = min(int(query.get("per_page", ["30"])[0]), 100)
            page = max(int(query.get("page", ["1"])[0]), 1)
            ordered = list(comments)
            # GitLab's default order is newest first.
            if kind == "gitlab" and query.get("sort", ["desc"])[0] != "asc":
                ordered.reverse()
            return self.reply(200, ordered[(page - 1) * per_page:page * per_page])
        if self.command == "POST":
            body = self.json_body(raw)
            if body is None:
                return self.reply(400, {"message": "Problems parsing JSON"})
            comment = state.make(kind, project, number, body)
            comments.append(comment)
            return self.reply(201, comment)
        return self.reply(405, {"message": "Method Not Allowed"})

    def edit(self, comment, raw):
        body = self.json_body(raw)
        if body is None:
            return self.reply(400, {"message": "Problems parsing JSON"})
        comment["body"] = body
        return self.reply(200, comment)

    @staticmethod
    def json_body(raw):
        try:
            body = json.loads(raw.decode("utf-8")).get("body")
        except (ValueError, AttributeError):
            return None
        return body if isinstance(body, str) else None

    def reply(self, status, payload, headers=None):
        data = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = handle_any


def main():
    parser = argparse.ArgumentParser(description="fake GitHub/GitLab API for tests")
    parser.add_argument("log")
    parser.add_argument("--fail-first", type=int, default=0)
    parser.add_argument("--always", type=int, default=0)
    parser.add_argument("--token")
    parser.add_argument("--seed", action="append")
    parser.add_argument("--marker")
    options = parser.parse_args()
    # A test runner may start us with SIGTERM blocked (the mask is inherited); make it work again.
    signal.pthread_sigmask(signal.SIG_SETMASK, set())
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.state = State(options)
    print(server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
