"""Fieller's interval for a ratio (analysis/ratio.py) and the NTK slope ratio that uses it.

Checked against what does not share its code: the coverage of simulated normal data (a plain
numpy Monte Carlo, its tolerance from the exact binomial tail), the limit of a denominator known
without error (then Fieller's set is the numerator's t-interval divided by it), and the defining
inequality at the returned ends (float64, 1e-9).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sst

from initaudit.analysis import claims
from initaudit.analysis.claims import Rule
from initaudit.analysis.ratio import fieller


def test_known_denominator_gives_the_scaled_t_interval():
    a, b, vaa, df = 3.0, 2.0, 0.25, 5
    lo, hi = fieller(a, b, vaa, 0.0, 0.0, df)
    q = sst.t.ppf(0.975, df)
    assert lo == pytest.approx((a - q * 0.5) / b, rel=1e-12)
    assert hi == pytest.approx((a + q * 0.5) / b, rel=1e-12)


def test_ends_solve_the_defining_equation():
    a, b, vaa, vab, vbb, df = 1.3, 0.9, 0.04, 0.01, 0.02, 7
    lo, hi = fieller(a, b, vaa, vab, vbb, df, 0.99)
    q2 = sst.t.ppf(0.995, df) ** 2
    for r in (lo, hi):
        assert (a - r * b) ** 2 == pytest.approx(q2 * (vaa - 2 * r * vab + r * r * vbb), rel=1e-9)
    assert lo < a / b < hi


def test_unbounded_when_the_denominator_is_not_distinguishable_from_zero():
    assert fieller(1.0, 0.1, 0.01, 0.0, 0.04, 4) == (-math.inf, math.inf)
    assert all(math.isnan(x) for x in fieller(1.0, math.nan, 0.01, 0.0, 0.04, 4))
    with pytest.raises(ValueError, match="level"):
        fieller(1.0, 1.0, 0.1, 0.0, 0.1, 4, level=1.0)
    with pytest.raises(ValueError, match="degrees of freedom"):
        fieller(1.0, 1.0, 0.1, 0.0, 0.1, 0)


def test_coverage_of_the_slope_ratio_on_simulated_seeds():
    """Three correlated means per seed (the NTK sweep's shape), n = 4 seeds, true ratio 1.1: the
    95% set covers at least 95% of the time, including the draws where it is unbounded."""
    rng = np.random.default_rng(11)
    depths = np.array([4.0, 16.0, 32.0])
    mean = np.array([1.0, 2.0, 2.0 + 1.1 * (16.0 / 12.0)])  # slope 1/12, then 1.1 times it
    cov = 0.02 * (0.5 * np.eye(3) + 0.5)
    reps, n, miss = 4000, 4, 0
    ca = np.array([0.0, -1.0, 1.0]) / (depths[2] - depths[1])
    cb = np.array([-1.0, 1.0, 0.0]) / (depths[1] - depths[0])
    truth = (ca @ mean) / (cb @ mean)
    for _ in range(reps):
        x = rng.multivariate_normal(mean, cov, size=n)
        m = x.mean(0)
        s = np.cov(x, rowvar=False, ddof=1) / n
        lo, hi = fieller(ca @ m, cb @ m, ca @ s @ ca, ca @ s @ cb, cb @ s @ cb, n - 1)
        miss += not (lo <= truth <= hi)
    assert float(sst.binom.sf(miss - 1, reps, 0.05)) >= 1e-6, miss


def test_the_ledger_reads_a_fieller_record_at_its_level():
    rec = {"mean": 1.0, "lo": 0.9, "hi": 1.1, "n": 4, "interval": "fieller",
           "fieller": [1.0, 1.0, 0.0004, 0.0, 0.0001]}
    lo, hi = claims.simultaneous_interval(rec, 28)[:2]
    ref = fieller(1.0, 1.0, 0.0004, 0.0, 0.0001, 3, 1 - 0.05 / 28)
    assert (lo, hi) == ref
    assert Rule("within", low=0.8, high=1.25).decide(rec, family=28)[0] in (
        "supported", "inconclusive")
    wide = {**rec, "fieller": [1.0, 0.1, 0.0004, 0.0, 0.01]}
    c = claims.Claim("r", "eoc", "R.", "fig", "k", "t", Rule("within", low=0.8, high=1.25))
    t = claims.evaluate("smoke", (c,), {"fig": {"k": wide}})
    assert t.verdict.iloc[0] == "underpowered"
    assert "unbounded" in t.reason.iloc[0]
    with pytest.raises(ValueError, match="Fieller record"):
        claims.simultaneous_interval({**rec, "fieller": [1.0]}, 28)


def test_ntk_depth_record_is_a_fieller_record_of_the_per_seed_slopes():
    """The NTK sweep's record: the slopes' ratio, Fieller's interval from the per-seed means at
    three depths (a = (m2 - m1)/(d2 - d1), b = (m1 - m0)/(d1 - d0), their covariance over seeds
    worked out here by hand), and a record the ledger recomputes at its level."""
    import pandas as pd

    from initaudit.analysis.experiments import ntk_depth

    rng = np.random.default_rng(3)
    depths = [4, 8, 16]
    vals = {d: 1.0 + 0.1 * d + rng.normal(0, 0.01, 5) for d in depths}
    table = pd.DataFrame([{"point": "p", "depth": d, "seed": s, "measured": vals[d][s]}
                          for d in depths for s in range(5)])
    summary = pd.DataFrame({"point": ["p"] * 3, "depth": depths, "width": [64] * 3})
    rec = ntk_depth.increment_ratio_evidence(summary, table)["ntk_increment_ratio_p"]
    x = np.stack([vals[d] for d in depths], axis=1)          # seeds x depths
    a_s = (x[:, 2] - x[:, 1]) / 8.0
    b_s = (x[:, 1] - x[:, 0]) / 4.0
    assert rec.mean == pytest.approx(a_s.mean() / b_s.mean(), rel=1e-12)
    c = np.cov(np.stack([a_s, b_s]), ddof=1) / 5
    parts = rec["fieller"]
    assert parts[:2] == pytest.approx([a_s.mean(), b_s.mean()], rel=1e-12)
    assert parts[2:] == pytest.approx([c[0, 0], c[0, 1], c[1, 1]], rel=1e-9)
    assert rec["interval"] == "fieller" and rec.lo < rec.mean < rec.hi
    assert (rec.lo, rec.hi) == fieller(*parts, 4)
