#!/usr/bin/env python3
"""A local webhook receiver for mlgate's events: the demo's and the tests' (standard library only).

usage: webhook_receiver.py LOG [--secret SECRET] [--answers S,S,...] [--always STATUS] [--delay SECONDS]

Listens on 127.0.0.1 on a free port and prints the port as its first stdout line. Every POST is appended to LOG
as one JSON line: {"path", "headers", "body", "verified", "status"}, where "verified" is the Standard Webhooks
check made here, independently of mlgate (HMAC-SHA256 over id.timestamp.body, keyed with the base64 after
whsec_, compared in constant time, timestamp within 5 minutes), or null without --secret.

  --answers S,S,...  answer the first requests with these statuses, then 200
  --always STATUS    answer every request with STATUS
  --delay SECONDS    wait this long before answering each request
"""

import argparse
import base64
import hashlib
import hmac
import json
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def verify(secret, headers, body):
    if secret is None:
        return None
    key = base64.b64decode(secret[6:]) if secret.startswith("whsec_") else secret.encode()
    message_id = headers.get("webhook-id", "")
    timestamp = headers.get("webhook-timestamp", "")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > 300:
        return False
    expected = base64.b64encode(hmac.new(key, f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()).decode()
    signatures = [s[3:] for s in headers.get("webhook-signature", "").split(" ") if s.startswith("v1,")]
    return any(hmac.compare_digest(expected, s) for s in signatures)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("log")
    parser.add_argument("--secret")
    parser.add_argument("--answers", default="")
    parser.add_argument("--always", type=int)
    parser.add_argument("--delay", type=float, default=0)
    options = parser.parse_args()
    answers = [int(a) for a in options.answers.split(",") if a]
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            headers = {name.lower(): value for name, value in self.headers.items()}
            if options.delay:
                time.sleep(options.delay)
            with lock:
                status = options.always or (answers.pop(0) if answers else 200)
                record = {"path": self.path, "headers": headers, "body": body.decode("utf-8", "replace"),
                          "verified": verify(options.secret, headers, body), "status": status}
                with open(options.log, "a") as log:
                    log.write(json.dumps(record) + "\n")
            answer = b'{"ok": true}' if status < 300 else b'{"error": "refused"}'
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *arguments):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
