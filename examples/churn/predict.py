#!/usr/bin/env python3
"""Score a CSV with a trained churn model.

Writes id,label,score,region (score = predicted churn probability, full
float precision). Silent on success; errors go to stderr.
"""

import argparse
import json
import math
import os
from operator import mul

from common import FEATURES, die, encode, read_csv, write_csv


def sigmoid(z):
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def load_model(path):
    if os.path.isdir(path):
        path = os.path.join(path, "model.json")
    try:
        with open(path, encoding="utf-8") as fh:
            model = json.load(fh)
    except (OSError, ValueError) as exc:
        die("cannot load model %s: %s" % (path, exc))
    for key in ("features", "means", "stds", "weights", "bias"):
        if key not in model:
            die("model %s: missing '%s'" % (path, key))
    if model["features"] != FEATURES:
        die("model %s: feature list %r does not match this code %r"
            % (path, model["features"], FEATURES))
    return model


def score(model, x):
    """The churn probability of one encoded row (features() order)."""
    z = [(v - m) / s for v, m, s in zip(x, model["means"], model["stds"])]
    return sigmoid(model["bias"] + sum(map(mul, model["weights"], z)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="model", help="model directory or model.json")
    ap.add_argument("--data", default="data/test.csv", help="CSV to score")
    ap.add_argument("--out", default="predictions.csv", help="output CSV")
    args = ap.parse_args()

    model = load_model(args.model)
    out = []
    for row in read_csv(args.data):
        out.append([row.get("id", ""), row.get("label", ""), repr(score(model, encode(row))), row["region"]])
    write_csv(args.out, ["id", "label", "score", "region"], out)


if __name__ == "__main__":
    main()
