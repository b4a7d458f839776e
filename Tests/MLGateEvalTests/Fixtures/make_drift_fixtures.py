"""Writes drift.json: inputs and the drift numbers scipy and numpy give on them, computed the way Evidently 0.7
and Azure ML monitoring compute them (research/anchors-eval.md §8). Floats are hex strings.

    python3 Tests/MLGateEvalTests/Fixtures/make_drift_fixtures.py

Made with scipy 1.17.1, numpy 2.4.6.
"""
import json
import math
import os

import numpy as np
from scipy import stats
from scipy.spatial.distance import jensenshannon

HERE = os.path.dirname(os.path.abspath(__file__))


def hexes(a):
    return [float(v).hex() for v in np.asarray(a, dtype=np.float64)]


def num(v):
    v = float(v)
    return None if math.isnan(v) else v.hex()


def fill_zeroes(p):
    p = p.copy()
    nonzero = p[p != 0]
    fill = nonzero.min() / 10**6 if nonzero.min() <= 0.0001 else 0.0001
    np.place(p, p == 0, fill)
    return p


def evidently_shares(ref, cur):
    if len(np.unique(ref)) > 20:
        edges = np.histogram_bin_edges(np.concatenate([ref, cur]), bins="sturges")
        return edges, np.histogram(ref, edges)[0], np.histogram(cur, edges)[0]
    keys = np.unique(np.concatenate([ref, cur]))
    return None, np.array([(ref == k).sum() for k in keys]), np.array([(cur == k).sum() for k in keys])


def case(name, ref, cur):
    ref = np.asarray(ref, dtype=np.float64)
    cur = np.asarray(cur, dtype=np.float64)
    edges, rc, cc = evidently_shares(ref, cur)
    rp, cp = rc / len(ref), cc / len(cur)
    w1 = stats.wasserstein_distance(ref, cur)
    out = {
        "name": name, "reference": hexes(ref), "current": hexes(cur),
        "wasserstein": num(w1),
        "wasserstein_norm_evidently": num(w1 / max(np.std(ref), 0.001)),
        "wasserstein_norm_azure": num(w1 / max(np.std(ref, ddof=1), 0.001)),
        "edges": hexes(edges) if edges is not None else None,
        "reference_counts": [int(v) for v in rc], "current_counts": [int(v) for v in cc],
        "psi_evidently": num(np.sum((fill_zeroes(rp) - fill_zeroes(cp)) * np.log(fill_zeroes(rp) / fill_zeroes(cp)))),
        "psi_azure": num(np.sum(((rc + 1) / (rc.sum() + len(rc)) - (cc + 1) / (cc.sum() + len(cc)))
                                * np.log(((rc + 1) / (rc.sum() + len(rc))) / ((cc + 1) / (cc.sum() + len(cc)))))),
        "js_e": num(jensenshannon(rp, cp)),
        "js_2": num(jensenshannon(rp, cp, base=2)),
    }
    ks = stats.ks_2samp(ref, cur, method="auto")
    out["ks_statistic"] = num(ks.statistic)
    out["ks_p"] = num(ks.pvalue)
    out["ks_exact"] = max(len(ref), len(cur)) <= 10000
    if edges is None:
        expected = rc * len(cur) / len(ref)
        if (expected > 0).all():
            chi = stats.chisquare(f_obs=cc, f_exp=expected)
            out["chi2_statistic"] = num(chi.statistic)
            out["chi2_p"] = num(chi.pvalue)
    return out


rng = np.random.default_rng(20261203)
cases = [
    case("normal, no shift", rng.normal(0, 1, 2000), rng.normal(0, 1, 1500)),
    case("normal, shifted 0.3", rng.normal(0, 1, 3000), rng.normal(0.3, 1.2, 2500)),
    case("lognormal, heavy tail", rng.lognormal(0, 1, 1200), rng.lognormal(0.2, 1, 900)),
    case("ties: integers 0..9", rng.integers(0, 10, 800).astype(float), rng.integers(0, 12, 600).astype(float)),
    case("categories with a new one", rng.choice([1.0, 2.0, 3.0], 500, p=[0.5, 0.3, 0.2]), rng.choice([1.0, 2.0, 3.0, 4.0], 400, p=[0.4, 0.3, 0.2, 0.1])),
    case("categories, same", rng.choice([1.0, 2.0, 3.0, 5.0], 1000), rng.choice([1.0, 2.0, 3.0, 5.0], 1000)),
    case("small samples", rng.normal(0, 1, 30), rng.normal(1, 1, 25)),
    case("constant reference", np.full(50, 2.0), rng.normal(2, 0.1, 40)),
    case("equal sizes", rng.normal(0, 1, 60), rng.normal(0.4, 1, 60)),
    case("equal sizes, far apart", rng.normal(0, 1, 200), rng.normal(1.5, 1, 200)),
    case("coprime sizes", rng.normal(0, 1, 997), rng.normal(0.05, 1, 1009)),
    case("large: asymptotic", rng.normal(0, 1, 10001), rng.normal(0.1, 1, 300)),
]
def correlation(name, x, y):
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    p = stats.pearsonr(x, y)
    s = stats.spearmanr(x, y)
    return {"name": name, "x": hexes(x), "y": hexes(y), "pearson": num(p.statistic), "pearson_p": num(p.pvalue),
            "spearman": num(s.statistic), "spearman_p": num(s.pvalue)}


base = rng.normal(0, 1, 500)
correlations = [
    correlation("strong", base, base * 0.8 + rng.normal(0, 0.5, 500)),
    correlation("weak", base, rng.normal(0, 1, 500) + 0.05 * base),
    correlation("ties", rng.integers(0, 5, 300).astype(float), rng.integers(0, 5, 300).astype(float)),
    correlation("negative, small n", np.arange(12.0), -np.arange(12.0) + rng.normal(0, 3, 12)),
]
chi_tail = [stats.chi2.sf(x, k) for x, k in [(0.5, 1), (3.0, 2), (25.0, 4), (120.0, 10), (700.0, 30), (5.0, 40)]]
with open(os.path.join(HERE, "drift.json"), "w") as fh:
    json.dump({"cases": cases, "correlations": correlations, "chi2_sf": [{"x": num(x), "k": k, "p": num(p)} for (x, k), p in
                                             zip([(0.5, 1), (3.0, 2), (25.0, 4), (120.0, 10), (700.0, 30), (5.0, 40)], chi_tail)]},
              fh, sort_keys=True)
    fh.write("\n")
