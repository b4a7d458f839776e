#!/usr/bin/env python3
"""Generate a synthetic customer-churn data set (deterministic).

Writes data/train.csv and data/test.csv (80/20 split). Columns:
id, region, tenure_months, monthly_charges, support_calls, contract, label.
The label is drawn from a logistic model of the features plus Gaussian noise.
"""

import argparse
import math
import os
import random

from common import die, load_params, section, write_csv

REGIONS = ["north", "south", "east", "west"]
REGION_EFFECT = {"north": -0.3, "south": 0.2, "east": 0.0, "west": 0.4}
HEADER = ["id", "region", "tenure_months", "monthly_charges",
          "support_calls", "contract", "label"]


def make_row(rng, i):
    region = rng.choice(REGIONS)
    contract = "year" if rng.random() < 0.4 else "month"
    tenure = min(72, max(1, int(rng.expovariate(1 / 20.0)) + 1))
    if contract == "year":
        tenure = min(72, tenure + rng.randint(6, 24))
    charges = round(min(120.0, max(18.0, rng.gauss(70.0, 22.0))), 2)
    calls = min(10, int(rng.expovariate(1 / 1.6)))
    logit = (-0.6
             - 0.045 * (tenure - 24)
             + 0.025 * (charges - 70.0)
             + 0.35 * (calls - 1.5)
             - 1.1 * (contract == "year")
             + REGION_EFFECT[region]
             + rng.gauss(0.0, 1.0))
    p = 1.0 / (1.0 + math.exp(-logit))
    label = 1 if rng.random() < p else 0
    return [i, region, tenure, "%.2f" % charges, calls, contract, label]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, help="RNG seed (default: params.yaml prepare.seed)")
    ap.add_argument("--rows", type=int, help="number of rows (default: params.yaml prepare.rows)")
    ap.add_argument("--params", help="params file (default: ./params.yaml)")
    ap.add_argument("--out", default="data", help="output directory (default: data)")
    ap.add_argument("--test-fraction", type=float, default=0.2)
    args = ap.parse_args()

    seed, rows = args.seed, args.rows
    if seed is None or rows is None:
        prep = section(load_params(args.params), "prepare", ["seed", "rows"])
        seed = prep["seed"] if seed is None else seed
        rows = prep["rows"] if rows is None else rows
    if not isinstance(rows, int) or rows < 10:
        die("rows must be an integer >= 10")
    if not 0.0 < args.test_fraction < 1.0:
        die("--test-fraction must be in (0, 1)")

    rng = random.Random(seed)
    data = [make_row(rng, i) for i in range(1, rows + 1)]
    rng.shuffle(data)
    n_test = int(round(rows * args.test_fraction))
    test, train = data[:n_test], data[n_test:]
    train.sort(key=lambda r: r[0])
    test.sort(key=lambda r: r[0])
    write_csv(os.path.join(args.out, "train.csv"), HEADER, train)
    write_csv(os.path.join(args.out, "test.csv"), HEADER, test)


if __name__ == "__main__":
    main()
