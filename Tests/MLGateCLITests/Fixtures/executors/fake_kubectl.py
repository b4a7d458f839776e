#!/usr/bin/env python3
"""A fake kubectl for the queue's kubernetes executor tests: usage: fake_kubectl.py STATE ARGS...

Keeps Jobs as STATE/jobs/NAME.json (the applied manifest and how often it was read), appends every call to
STATE/calls.jsonl, and answers what the executor asks:
  apply --output name -f FILE        stores the Job; prints job.batch/NAME (the same name again: "unchanged")
  get job NAME ... --output name     job.batch/NAME, or nothing with --ignore-not-found
  get job NAME ... --output json     status {} first, then active: 1, then a Complete condition (Failed when
                                     STATE/fail exists, reason BackoffLimitExceeded; active for as long as STATE/hold
                                     exists)
  logs job/NAME ...                  two lines of training output (or, when executed, what the command printed)

With STATE/execute present, apply also runs the Job's container command for real, here: `sh -c SCRIPT` in a new
folder under STATE (for the image's workingDir) with the container's environment over this one, and the Job
completes or fails by its exit status.
"""

import json
import os
import sys


def main():
    state, args = sys.argv[1], sys.argv[2:]
    os.makedirs(state + "/jobs", exist_ok=True)
    with open(state + "/calls.jsonl", "a") as calls:
        calls.write(json.dumps(args) + "\n")
    if args[:1] == ["apply"]:
        manifest = json.load(open(args[args.index("-f") + 1]))
        name = manifest["metadata"]["name"]
        path = f"{state}/jobs/{name}.json"
        if not os.path.exists(path):
            job = {"manifest": manifest, "reads": 0}
            if os.path.exists(state + "/execute"):
                import subprocess
                container = manifest["spec"]["template"]["spec"]["containers"][0]
                workdir = f"{state}/pods/{name}"
                os.makedirs(workdir, exist_ok=True)
                environment = {**os.environ, **{item["name"]: item["value"] for item in container.get("env", [])}}
                done = subprocess.run(container["command"], cwd=workdir, env=environment, capture_output=True, text=True)
                job["exit"] = done.returncode
                job["log"] = done.stdout + done.stderr
            json.dump(job, open(path, "w"))
        print(f"job.batch/{name}")
        return 0
    if args[:2] == ["get", "job"]:
        name = args[2]
        path = f"{state}/jobs/{name}.json"
        if not os.path.exists(path):
            if "--ignore-not-found" in args:
                return 0
            print(f'Error from server (NotFound): jobs.batch "{name}" not found', file=sys.stderr)
            return 1
        if args[args.index("--output") + 1] == "name":
            print(f"job.batch/{name}")
            return 0
        job = json.load(open(path))
        job["reads"] += 1
        json.dump(job, open(path, "w"))
        status = {}
        if os.path.exists(state + "/hold"):
            status = {"active": 1}
        elif job["reads"] == 2:
            status = {"active": 1}
        elif job["reads"] >= 3:
            failed = os.path.exists(state + "/fail") or job.get("exit", 0) != 0
            status = {"conditions": [{"type": "Failed" if failed else "Complete", "status": "True",
                                      "reason": "BackoffLimitExceeded" if failed else None}]}
        print(json.dumps({**job["manifest"], "status": status}))
        return 0
    if args[:1] == ["logs"]:
        name = args[1].split("/", 1)[1]
        job = json.load(open(f"{state}/jobs/{name}.json"))
        print(job.get("log", "Stage train: training\nrun 1 succeeded").rstrip("\n"))
        return 0
    print("fake kubectl: unexpected arguments " + " ".join(args), file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
