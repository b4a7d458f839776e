#!/usr/bin/env python3
"""Serve a trained churn model over HTTP (standard library only).

GET /health   -> {"status": "ok", "model": ...}
POST /predict -> body {"rows": [{"tenure_months": 3, "monthly_charges": 70.5,
                 "support_calls": 2, "contract": "month", "region": "north"}, ...]}
                 answers {"scores": [...]}, scored exactly as predict.py scores a CSV.
"""

import argparse
import json
import os
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from common import features
from predict import load_model, score

MAX_BODY = 16 * 1024 * 1024


def handler(model, name):
    class Handler(BaseHTTPRequestHandler):
        def reply(self, status, body):
            data = (json.dumps(body) + "\n").encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            if self.path == "/health":
                self.reply(200, {"status": "ok", "model": name})
            else:
                self.reply(404, {"error": "use GET /health or POST /predict"})

        def do_POST(self):
            if self.path != "/predict":
                return self.reply(404, {"error": "use GET /health or POST /predict"})
            try:
                length = int(self.headers.get("Content-Length") or 0)
                if not 0 < length <= MAX_BODY:
                    raise ValueError("send a JSON body of at most %d bytes" % MAX_BODY)
                rows = json.loads(self.rfile.read(length))["rows"]
                if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
                    raise ValueError("'rows' must be a list of objects")
                scores = []
                for i, row in enumerate(rows):
                    try:
                        scores.append(score(model, features(row)))
                    except ValueError as exc:
                        raise ValueError("row %d: %s" % (i, exc))
            except (ValueError, KeyError, TypeError) as exc:
                return self.reply(400, {"error": "bad request: %s" % exc})
            self.reply(200, {"scores": scores})

    return Handler


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="model", help="model directory or model.json")
    ap.add_argument("--port", type=int, default=8080)
    ap.add_argument("--host", default="0.0.0.0")
    args = ap.parse_args()
    model = load_model(args.model)
    name = os.environ.get("MLGATE_MODEL_URI") or model.get("format", args.model)
    server = ThreadingHTTPServer((args.host, args.port), handler(model, name))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # as a container's PID 1, stop on 'docker stop'

    sys.stderr.write("serving %s on %s:%d\n" % (name, args.host, args.port))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
