"""The anchor of Benchmarks/gate.sh: the work of one gate in pandas + scikit-learn + numpy.

Reads the two prediction files, joins them on id, computes both AUCs with scikit-learn, the paired DeLong test
(numpy/scipy, as eval_anchors.py) and a paired Poisson bootstrap of the AUC difference with scikit-learn's
roc_auc_score and sample weights. The bootstrap runs a sample of the resamples and is scaled to the full count
(printed as such). Usage: gate_anchor.py CANDIDATE.csv CHAMPION.csv RESAMPLES SAMPLED
"""
import json
import sys
import time

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from eval_anchors import fast_delong_paired  # noqa: E402


def main():
    candidate_path, champion_path, resamples, sampled = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    start = time.perf_counter()
    candidate = pd.read_csv(candidate_path)
    champion = pd.read_csv(champion_path)
    both = candidate.merge(champion, on="id", suffixes=("", "_champion"))
    if not (both["label"] == both["label_champion"]).all():
        raise SystemExit("labels differ")
    y, a, b = both["label"].to_numpy(), both["score"].to_numpy(), both["score_champion"].to_numpy()
    auc_a, auc_b = roc_auc_score(y, a), roc_auc_score(y, b)
    z = fast_delong_paired(y, a, b)
    fixed = time.perf_counter() - start
    rng = np.random.default_rng(0)
    boot_start = time.perf_counter()
    diffs = []
    for _ in range(sampled):
        w = rng.poisson(1.0, len(y))
        diffs.append(roc_auc_score(y, a, sample_weight=w) - roc_auc_score(y, b, sample_weight=w))
    per_resample = (time.perf_counter() - boot_start) / sampled
    print(json.dumps({"seconds": fixed + per_resample * resamples, "fixed": fixed, "per_resample": per_resample,
                      "auc": [auc_a, auc_b], "z": z}))


main()
