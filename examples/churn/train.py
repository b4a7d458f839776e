#!/usr/bin/env python3
"""Train a logistic-regression churn model (batch gradient descent, L2).

Reads the training CSV, one-hot encodes region/contract, standardises every
feature, fits weights by full-batch gradient descent and writes
<out>/model.json plus a metrics file (training-set roc_auc, log_loss,
accuracy, train_ms). Hyper-parameters come from params.yaml, section `train`.
"""

import argparse
import json
import math
import os
import time
from operator import mul

from common import FEATURES, die, encode, label_of, load_params, read_csv, section

EPS = 1e-15


def sigmoid(z):
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def roc_auc(labels, scores):
    """Mann-Whitney AUC with tie-averaged ranks."""
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    ranks = [0.0] * len(scores)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and scores[order[j + 1]] == scores[order[i]]:
            j += 1
        avg = (i + j) / 2.0 + 1.0
        for k in range(i, j + 1):
            ranks[order[k]] = avg
        i = j + 1
    n_pos = sum(labels)
    n_neg = len(labels) - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    rank_sum = sum(r for r, y in zip(ranks, labels) if y == 1)
    return (rank_sum - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg)


def log_loss(labels, scores):
    total = 0.0
    for y, p in zip(labels, scores):
        p = min(max(p, EPS), 1.0 - EPS)
        total -= math.log(p) if y == 1 else math.log(1.0 - p)
    return total / len(labels)


def accuracy(labels, scores):
    return sum(1 for y, p in zip(labels, scores) if (p >= 0.5) == (y == 1)) / len(labels)


def standardise(raw):
    n, d = len(raw), len(raw[0])
    means, stds = [], []
    for j in range(d):
        col = [r[j] for r in raw]
        m = sum(col) / n
        var = sum((x - m) ** 2 for x in col) / n
        means.append(m)
        stds.append(math.sqrt(var) if var > 1e-12 else 1.0)
    rows = [[(r[j] - means[j]) / stds[j] for j in range(d)] for r in raw]
    return rows, means, stds


def fit(rows, labels, learning_rate, epochs, l2):
    n, d = len(rows), len(rows[0])
    cols = [[r[j] for r in rows] for j in range(d)]
    w, b = [0.0] * d, 0.0
    for _ in range(epochs):
        errs = [sigmoid(b + sum(map(mul, w, x))) - y for x, y in zip(rows, labels)]
        grad_b = sum(errs) / n
        grad_w = [sum(map(mul, errs, cols[j])) / n + l2 * w[j] for j in range(d)]
        w = [wj - learning_rate * gj for wj, gj in zip(w, grad_w)]
        b -= learning_rate * grad_b
    return w, b


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="data/train.csv", help="training CSV")
    ap.add_argument("--out", default="model", help="model directory (model.json is written there)")
    ap.add_argument("--metrics", default="metrics.json", help="metrics JSON path")
    ap.add_argument("--params", help="params file (default: ./params.yaml)")
    ap.add_argument("--learning-rate", type=float, help="override train.learning_rate")
    ap.add_argument("--epochs", type=int, help="override train.epochs")
    ap.add_argument("--l2", type=float, help="override train.l2")
    args = ap.parse_args()

    hp = dict(section(load_params(args.params), "train", ["learning_rate", "epochs", "l2"]))
    for key in ("learning_rate", "epochs", "l2"):
        if getattr(args, key) is not None:
            hp[key] = getattr(args, key)
    try:
        learning_rate, epochs, l2 = float(hp["learning_rate"]), int(hp["epochs"]), float(hp["l2"])
    except (TypeError, ValueError):
        die("train.learning_rate/epochs/l2 must be numbers")
    if learning_rate <= 0 or epochs < 1 or l2 < 0:
        die("need learning_rate > 0, epochs >= 1, l2 >= 0")

    data = read_csv(args.data)
    if len(data) < 2:
        die("%s: need at least 2 rows" % args.data)

    start = time.perf_counter()
    labels = [label_of(r) for r in data]
    rows, means, stds = standardise([encode(r) for r in data])
    w, b = fit(rows, labels, learning_rate, epochs, l2)
    train_ms = (time.perf_counter() - start) * 1000.0

    scores = [sigmoid(b + sum(map(mul, w, x))) for x in rows]
    model = {
        "format": "churn-logreg/1",
        "features": FEATURES,
        "means": means,
        "stds": stds,
        "weights": w,
        "bias": b,
        "hyperparameters": {"learning_rate": learning_rate, "epochs": epochs, "l2": l2},
        "train_rows": len(rows),
    }
    metrics = {
        "roc_auc": roc_auc(labels, scores),
        "log_loss": log_loss(labels, scores),
        "accuracy": accuracy(labels, scores),
        "train_ms": round(train_ms, 1),
    }
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "model.json"), "w", encoding="utf-8") as fh:
        json.dump(model, fh, indent=2)
        fh.write("\n")
    parent = os.path.dirname(args.metrics)
    if parent:
        os.makedirs(parent, exist_ok=True)
    with open(args.metrics, "w", encoding="utf-8") as fh:
        json.dump(metrics, fh, indent=2)
        fh.write("\n")


if __name__ == "__main__":
    main()
