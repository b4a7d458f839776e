"""Writes the fixtures MLGateEval's tests compare against: inputs and scikit-learn's (and scipy's /
statsmodels') results on them. Floats are stored as hex strings (float.hex) so nothing is lost.

    python3 -m venv /tmp/skvenv && /tmp/skvenv/bin/pip install scikit-learn scipy statsmodels
    /tmp/skvenv/bin/python Tests/MLGateEvalTests/Fixtures/make_fixtures.py

Made with scikit-learn 1.9.1, scipy 1.17.1, statsmodels 0.15.0, numpy 2.4.6.
"""
import json
import math
import os
import sys

import numpy as np
import sklearn
from scipy import stats
from sklearn import metrics as M
from statsmodels.stats.contingency_tables import mcnemar as sm_mcnemar

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "..", "shared", "research", "evalbench"))


def hexes(a):
    return [float(v).hex() for v in np.asarray(a, dtype=np.float64)]


def num(v):
    v = float(v)
    return None if math.isnan(v) else v.hex()


def binary_case(name, y, s, w=None, threshold=0.5):
    y = np.asarray(y, dtype=np.int64)
    s = np.asarray(s, dtype=np.float64)
    kw = {} if w is None else {"sample_weight": np.asarray(w, dtype=np.float64)}
    pred = (s >= threshold).astype(np.int64)
    two_classes = len(np.unique(y)) == 2
    out = {}
    out["roc_auc"] = num(M.roc_auc_score(y, s, **kw)) if two_classes else None
    out["average_precision"] = num(M.average_precision_score(y, s, **kw)) if two_classes else None
    out["accuracy"] = num(M.accuracy_score(y, pred, **kw))
    out["precision"] = num(M.precision_score(y, pred, zero_division=np.nan, **kw))
    out["recall"] = num(M.recall_score(y, pred, zero_division=np.nan, **kw))
    out["f1"] = num(M.f1_score(y, pred, zero_division=np.nan, **kw))
    out["specificity"] = num(M.recall_score(y, pred, pos_label=0, zero_division=np.nan, **kw))
    out["balanced_accuracy"] = num(M.balanced_accuracy_score(y, pred, **kw)) if two_classes else None
    tn, fp, fn, tp = M.confusion_matrix(y, pred, labels=[0, 1], **kw).ravel()
    denom = (tp + fp) * (tp + fn) * (tn + fp) * (tn + fn)
    out["mcc"] = num(M.matthews_corrcoef(y, pred, **kw)) if denom != 0 else None
    out["confusion"] = [num(tn), num(fp), num(fn), num(tp)]
    in_unit = bool(np.all((s >= 0) & (s <= 1)))
    out["log_loss"] = num(M.log_loss(y, s, labels=[0, 1], **kw)) if in_unit else None
    out["brier_score"] = num(M.brier_score_loss(y, s, pos_label=1, **kw)) if in_unit else None
    curves = {}
    if two_classes:
        fpr, tpr, thr = M.roc_curve(y, s, **kw)
        curves["roc"] = {"fpr": hexes(fpr), "tpr": hexes(tpr), "thresholds": hexes(thr)}
        prec, rec, thr = M.precision_recall_curve(y, s, **kw)
        curves["pr"] = {"precision": hexes(prec), "recall": hexes(rec), "thresholds": hexes(thr)}
    return {"name": name, "labels": y.tolist(), "scores": hexes(s),
            "weights": None if w is None else hexes(w), "threshold": threshold.hex(),
            "metrics": out, "curves": curves}


def regression_case(name, y, p, w=None):
    y = np.asarray(y, dtype=np.float64)
    p = np.asarray(p, dtype=np.float64)
    kw = {} if w is None else {"sample_weight": np.asarray(w, dtype=np.float64)}
    out = {
        "mse": num(M.mean_squared_error(y, p, **kw)),
        "rmse": num(M.root_mean_squared_error(y, p, **kw)),
        "mae": num(M.mean_absolute_error(y, p, **kw)),
        "r2": num(M.r2_score(y, p, **kw)),
        "mape": num(M.mean_absolute_percentage_error(y, p, **kw)),
        "median_absolute_error": num(M.median_absolute_error(y, p)) if w is None else None,
    }
    return {"name": name, "targets": hexes(y), "predictions": hexes(p),
            "weights": None if w is None else hexes(w), "metrics": out}


def multiclass_case(name, y, proba, w=None):
    y = np.asarray(y, dtype=np.int64)
    proba = np.asarray(proba, dtype=np.float64)
    kw = {} if w is None else {"sample_weight": np.asarray(w, dtype=np.float64)}
    pred = np.argmax(proba, axis=1)
    labels = list(range(proba.shape[1]))
    out = {"accuracy": num(M.accuracy_score(y, pred, **kw))}
    for avg in ["macro", "micro", "weighted"]:
        out[f"precision_{avg}"] = num(M.precision_score(y, pred, labels=labels, average=avg, zero_division=np.nan, **kw))
        out[f"recall_{avg}"] = num(M.recall_score(y, pred, labels=labels, average=avg, zero_division=np.nan, **kw))
        out[f"f1_{avg}"] = num(M.f1_score(y, pred, labels=labels, average=avg, zero_division=np.nan, **kw))
    out["log_loss"] = num(M.log_loss(y, proba, labels=labels, **kw))
    out["roc_auc_ovr"] = num(M.roc_auc_score(y, proba, multi_class="ovr", average="macro", labels=labels, **kw))
    out["roc_auc_ovr_weighted"] = num(M.roc_auc_score(y, proba, multi_class="ovr", average="weighted", labels=labels, **kw))
    return {"name": name, "labels": y.tolist(), "probabilities": [hexes(proba[:, c]) for c in labels],
            "weights": None if w is None else hexes(w), "metrics": out}


def delong_case(name, y, a, b):
    from reference import fast_delong
    y = np.asarray(y, dtype=np.int64)
    aucs, cov = fast_delong(y, np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64))
    diff = aucs[0] - aucs[1]
    var = cov[0, 0] + cov[1, 1] - 2 * cov[0, 1]
    z = diff / math.sqrt(var)
    return {"name": name, "labels": y.tolist(), "a": hexes(a), "b": hexes(b),
            "auc_a": num(aucs[0]), "auc_b": num(aucs[1]), "var_a": num(cov[0, 0]), "var_b": num(cov[1, 1]),
            "cov_ab": num(cov[0, 1]), "z": num(z), "p_value": num(2 * stats.norm.sf(abs(z)))}


def mcnemar_case(name, y, pa, pb):
    y = np.asarray(y, dtype=np.int64)
    ca, cb = pa == y, pb == y
    b = int(np.count_nonzero(ca & ~cb))
    c = int(np.count_nonzero(~ca & cb))
    exact = b + c < 25
    r = sm_mcnemar([[0, b], [c, 0]], exact=exact, correction=True)
    return {"name": name, "labels": y.tolist(), "a": pa.astype(int).tolist(), "b": pb.astype(int).tolist(),
            "discordant_b": b, "discordant_c": c, "exact": exact,
            "statistic": num(r.statistic), "p_value": num(r.pvalue)}


def main():
    rng = np.random.default_rng(20261125)
    n = 2000
    y = (rng.random(n) < 0.3).astype(np.int64)
    s = 1 / (1 + np.exp(-(rng.normal(size=n) + 1.2 * y - 0.9)))
    w = rng.integers(0, 4, size=n).astype(np.float64) * rng.random(n)
    w[:50] = 0.0
    pm0 = rng.choice([-0.0, 0.0, 0.25, 0.75, 1.0], size=n)
    binary = [
        binary_case("untied", y, s),
        binary_case("float32 ties", y, s.astype(np.float32).astype(np.float64)),
        binary_case("rounded ties", y, np.round(s, 2)),
        binary_case("signed zeros", y, pm0),
        binary_case("all equal", y, np.full(n, 0.5)),
        binary_case("perfect separation", y, y * 0.6 + 0.2),
        binary_case("three levels", y, rng.choice([0.2, 0.5, 0.8], size=n)),
        binary_case("sklearn doc example", [0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]),
        binary_case("weighted", y, s, w),
        binary_case("weighted ties", y, np.round(s, 1), w),
        binary_case("one class", np.zeros(50, dtype=np.int64), s[:50]),
        binary_case("logits", y, np.log(s / (1 - s)), threshold=0.0),
        binary_case("nothing predicted positive", y, s * 0.4),
    ]
    t = rng.normal(10, 3, size=n)
    regression = [
        regression_case("noisy", t, t + rng.normal(0, 1, size=n)),
        regression_case("weighted", t, t + rng.normal(0, 1, size=n), rng.random(n)),
        regression_case("perfect", t, t),
        regression_case("constant target", np.full(n, 3.0), t),
        regression_case("odd length", t[:1999], t[:1999] * 1.1),
    ]
    k = 4
    yk = rng.integers(0, k, size=n)
    logits = rng.normal(size=(n, k)) + 1.5 * np.eye(k)[yk]
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    rare = np.where(yk == 3, 0, yk)
    multiclass = [
        multiclass_case("four classes", yk, proba),
        multiclass_case("four classes, weighted", yk, proba, rng.random(n)),
        multiclass_case("rounded probabilities", yk, np.round(proba, 2) / np.round(proba, 2).sum(axis=1, keepdims=True)),
        multiclass_case("a class with no rows", rare, proba),
    ]
    s2 = 1 / (1 + np.exp(-(rng.normal(size=n) + 0.8 * y - 0.6)))
    delong = [
        delong_case("untied", y, s, s2),
        delong_case("ties", y, np.round(s, 2), np.round(s2, 1)),
        delong_case("signed zeros", y, pm0, np.round(s2, 1)),
    ]
    small = np.arange(40)
    ys = (small % 2).astype(np.int64)
    mcnemar = [
        mcnemar_case("asymptotic", y, (s >= 0.5).astype(np.int64), (s2 >= 0.5).astype(np.int64)),
        mcnemar_case("exact", ys, ys.copy(), np.where(small < 9, 1 - ys, ys)),
        mcnemar_case("exact, both sides", ys, np.where(small < 3, 1 - ys, ys), np.where((small >= 3) & (small < 10), 1 - ys, ys)),
    ]
    info = {"sklearn": sklearn.__version__, "numpy": np.__version__, "scipy": __import__("scipy").__version__}
    for name, data in [("binary", binary), ("multiclass", multiclass), ("regression", regression), ("delong", delong), ("mcnemar", mcnemar)]:
        with open(os.path.join(HERE, f"{name}.json"), "w") as f:
            json.dump({"made_with": info, "cases": data}, f, separators=(",", ":"))
    print("wrote fixtures with", info)


if __name__ == "__main__":
    main()
