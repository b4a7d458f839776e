"""Anchors for Benchmarks/eval.sh: makes the benchmark's data (once) and times scikit-learn, numpy and
pandas on it. Prints one JSON object of median seconds.

    python eval_anchors.py DATA_DIR N [--skip-slow]
DATA_DIR gets label.npy (u1), champion.npy and challenger.npy (f8), preds.csv (label,champion,challenger,
written by pandas with shortest round-trip floats) and boot/ (the same at 1e6 rows, for the bootstrap).
"""
import json
import os
import statistics
import sys
import time

import numpy as np
import pandas as pd
from sklearn import metrics as M


def make(directory, n, seed):
    os.makedirs(directory, exist_ok=True)
    if os.path.exists(os.path.join(directory, "preds.csv")):
        feather = os.path.join(directory, "preds.feather")
        if not os.path.exists(feather):
            import pyarrow as pa
            import pyarrow.feather
            columns = {name: np.load(os.path.join(directory, name + ".npy")) for name in ("label", "champion", "challenger")}
            pyarrow.feather.write_feather(pa.table(columns), feather)  # pyarrow's default: LZ4-compressed buffers
        return
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.3).astype(np.uint8)
    base = rng.normal(size=n)
    champion = 1 / (1 + np.exp(-(base + 1.2 * y - 0.9)))
    challenger = 1 / (1 + np.exp(-(0.8 * base + 0.6 * rng.normal(size=n) + 1.3 * y - 0.9)))
    np.save(os.path.join(directory, "label.npy"), y)
    np.save(os.path.join(directory, "champion.npy"), champion)
    np.save(os.path.join(directory, "challenger.npy"), challenger)
    pd.DataFrame({"label": y, "champion": champion, "challenger": challenger}).to_csv(os.path.join(directory, "preds.csv"), index=False)
    make(directory, n, seed)  # the Feather copy


def timed(fn, reps):
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def fast_delong_paired(y, a, b):
    """numpy/scipy fast DeLong (Sun & Xu), the reference the research measured."""
    from scipy import stats
    y = y.astype(bool)
    m, n = int(y.sum()), int((~y).sum())
    v01, v10, aucs = [], [], []
    for s in (a, b):
        tz = stats.rankdata(s, method="average")
        tx, ty = tz[y], tz[~y]
        txx, tyy = stats.rankdata(s[y], method="average"), stats.rankdata(s[~y], method="average")
        aucs.append((tx.sum() - m * (m + 1) / 2.0) / (m * n))
        v01.append((tx - txx) / n)
        v10.append(1.0 - (ty - tyy) / m)
    cov = np.cov(np.array(v01)) / m + np.cov(np.array(v10)) / n
    return (aucs[0] - aucs[1]) / np.sqrt(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1])


def main():
    directory, n = sys.argv[1], int(float(sys.argv[2]))
    make(directory, n, 20261125)
    make(os.path.join(directory, "boot"), 1_000_000, 1125)
    y = np.load(os.path.join(directory, "label.npy"))
    a = np.load(os.path.join(directory, "champion.npy"))
    b = np.load(os.path.join(directory, "challenger.npy"))
    heavy = 1
    out = {"n": n}
    out["sklearn_auc"] = timed(lambda: M.roc_auc_score(y, a), heavy)
    out["sklearn_ap"] = timed(lambda: M.average_precision_score(y, a), heavy)
    pred = None

    def threshold_metrics():
        p = a >= 0.5
        M.accuracy_score(y, p), M.f1_score(y, p), M.confusion_matrix(y, p), M.brier_score_loss(y, a)

    out["sklearn_threshold_brier"] = timed(threshold_metrics, heavy)
    out["sklearn_log_loss"] = timed(lambda: M.log_loss(y, a), heavy)
    out["sklearn_regression"] = timed(lambda: (M.mean_squared_error(a, b), M.mean_absolute_error(a, b), M.r2_score(a, b)), 3)
    out["numpy_delong"] = timed(lambda: fast_delong_paired(y, b, a), 1)
    out["pandas_read_csv"] = timed(lambda: pd.read_csv(os.path.join(directory, "preds.csv")), 3)
    import pyarrow.feather
    out["pyarrow_feather"] = timed(lambda: pyarrow.feather.read_table(os.path.join(directory, "preds.feather")).to_pandas(), 3)
    yb = np.load(os.path.join(directory, "boot", "label.npy"))
    ab = np.load(os.path.join(directory, "boot", "champion.npy"))
    bb = np.load(os.path.join(directory, "boot", "challenger.npy"))
    rng = np.random.default_rng(1)
    resamples = 5

    def naive_bootstrap():
        for _ in range(resamples):
            idx = rng.integers(0, yb.size, yb.size)
            M.roc_auc_score(yb[idx], bb[idx]) - M.roc_auc_score(yb[idx], ab[idx])

    out["sklearn_bootstrap_1000_at_1e6"] = timed(naive_bootstrap, 1) * (1000 / resamples)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
