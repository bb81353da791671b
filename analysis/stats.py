"""Intervals and paired comparisons over seeds.

Every experiment in the package is replicated over seeds, and every comparison between two
initialisers is *paired*: seed ``s`` of method A and seed ``s`` of method B see the same data
order, the same data subset and the same noise, so the per-seed difference removes the variation
they share. The tools here are the few the experiments and the claims ledger need:

* :func:`t_interval` -- mean and Student-t interval of the mean over replicates;
* :func:`bootstrap_interval` -- percentile-bootstrap interval of a mean, column by column;
* :func:`paired_difference` -- the mean per-seed difference B - A with its t-interval, the paired
  t-test's two-sided p-value and the standardised effect d_z = mean / sd (Cohen 1988, eq. 2.3.5);
* :func:`holm` -- Holm's (1979) step-down adjustment of a family of p-values, which controls the
  family-wise error rate without assuming independence;
* :func:`relative_difference` -- (B - A) / A per seed, for claims stated in percent;
* :func:`clopper_pearson` -- the exact binomial interval of a rate (rare events: a failure count
  of zero out of n runs still bounds the failure rate);
* :func:`simultaneous_quantile` -- the Bonferroni quantile that makes m intervals cover their
  targets all at once with probability at least ``level``;
* :func:`extreme_difference` -- an interval for the smallest (or largest) of several mean
  differences, such as "the method minus the best of the others", without choosing the
  comparator on the data.

Levels are two-sided; the default is :data:`LEVEL` = 0.95.
"""

from __future__ import annotations

import functools
import math
from typing import Sequence

import numpy as np
from scipy import stats as _stats

#: Default confidence level of every interval in the package.
LEVEL = 0.95

__all__ = ["LEVEL", "bootstrap_interval", "clopper_pearson", "extreme_difference", "holm",
           "paired_difference", "relative_difference", "simultaneous_quantile", "t_interval"]


def _finite_1d(values, name: str = "values") -> np.ndarray:
    v = np.asarray(values, dtype=np.float64).ravel()
    return v[np.isfinite(v)]


def _check_level(level: float) -> None:
    if not (0.0 < level < 1.0):
        raise ValueError(f"level must lie in (0, 1), got {level!r}")


def t_interval(values, level: float = LEVEL) -> dict:
    """Mean and Student-t interval of the mean over replicates.

    ``mean +- t_{(1+level)/2, S-1} sd / sqrt(S)`` with ``sd`` the sample standard deviation
    (ddof = 1). With one replicate (a deterministic initializer) the interval is nan.

    Args:
        values: 1-D array of per-replicate values (nan entries are dropped).
        level: confidence level.

    Returns:
        dict with ``mean``, ``lo``, ``hi``, ``sd``, ``n``.
    """
    _check_level(level)
    v = _finite_1d(values)
    n = v.size
    if n == 0:
        return {"mean": math.nan, "lo": math.nan, "hi": math.nan, "sd": math.nan, "n": 0}
    mean = float(v.mean())
    if n == 1:
        return {"mean": mean, "lo": math.nan, "hi": math.nan, "sd": math.nan, "n": 1}
    sd = float(v.std(ddof=1))
    half = float(_stats.t.ppf(0.5 + level / 2.0, n - 1)) * sd / math.sqrt(n)
    return {"mean": mean, "lo": mean - half, "hi": mean + half, "sd": sd, "n": n}


def bootstrap_interval(values, level: float = LEVEL, n_boot: int = 1000,
                       seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Percentile-bootstrap interval of the mean over axis 0, column by column.

    Used where per-replicate values are non-negative and heavy-tailed (spectral shares): the
    percentile interval stays inside [min, max] of the replicates, so it can be drawn on a log
    axis, where a t-interval would reach below zero. ``scipy.stats.bootstrap`` (percentile
    method) with ``n_boot`` resamples of the S rows with replacement, from
    ``numpy.random.default_rng(seed)``, batched so a batch holds at most 2^22 values; with one
    row, nan.

    Args:
        values: (S, K) array.
        level: confidence level.
        n_boot: bootstrap resamples.
        seed: seed of the resampling.

    Returns:
        ``(lo, hi)``, each of shape (K,).
    """
    _check_level(level)
    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 2:
        raise ValueError(f"values must be a 2-D (replicates, columns) array, got shape {v.shape}")
    s, k = v.shape
    if s < 2:
        return np.full(k, math.nan), np.full(k, math.nan)
    res = _stats.bootstrap((v,), np.mean, n_resamples=n_boot, batch=max(1, (1 << 22) // (s * k)),
                           vectorized=True, axis=0, confidence_level=level,
                           method="percentile", rng=np.random.default_rng(seed))
    # a constant column has a degenerate (but correct) interval: its value at both ends
    return (np.asarray(res.confidence_interval.low, dtype=np.float64),
            np.asarray(res.confidence_interval.high, dtype=np.float64))


def paired_difference(a, b, level: float = LEVEL) -> dict:
    """Per-seed difference ``b - a`` of two paired samples.

    Pairs with a non-finite member are dropped (a diverged run gives nan, and the count ``n``
    says how many pairs remain).

    Args:
        a: baseline values, one per seed.
        b: values of the method under test, same seeds in the same order.
        level: confidence level of the interval.

    Returns:
        dict with ``mean`` (mean difference), ``lo``/``hi`` (t-interval), ``sd``, ``n``,
        ``p`` (two-sided paired t-test of zero mean difference; nan below 2 pairs or when every
        difference is identical), ``d_z`` (mean / sd; +-inf for a constant non-zero difference).

    Raises:
        ValueError: if ``a`` and ``b`` differ in length.
    """
    a = np.asarray(a, dtype=np.float64).ravel()
    b = np.asarray(b, dtype=np.float64).ravel()
    if a.shape != b.shape:
        raise ValueError(f"paired samples must have equal length, got {a.size} and {b.size}")
    d = b - a
    d = d[np.isfinite(d)]
    out = t_interval(d, level)
    n = out["n"]
    p = math.nan
    d_z = math.nan
    if n >= 2:
        sd = out["sd"]
        if sd > 0:
            # scipy.stats.ttest_rel(b, a) on the pairs kept, written with its t distribution:
            # ttest_rel warns of precision loss on nearly identical pairs, which are common here
            # (deterministic arms); the value is the same
            t = out["mean"] / (sd / math.sqrt(n))
            p = float(2.0 * _stats.t.sf(abs(t), n - 1))
            d_z = out["mean"] / sd
        elif out["mean"] != 0:
            p = 0.0
            d_z = math.copysign(math.inf, out["mean"])
    out.update(p=p, d_z=d_z)
    return out


def relative_difference(a, b, level: float = LEVEL) -> dict:
    """Per-seed relative difference ``(b - a) / a`` with its t-interval (see :func:`paired_difference`).

    Raises:
        ValueError: if the lengths differ.
    """
    a = np.asarray(a, dtype=np.float64).ravel()
    b = np.asarray(b, dtype=np.float64).ravel()
    if a.shape != b.shape:
        raise ValueError(f"paired samples must have equal length, got {a.size} and {b.size}")
    with np.errstate(divide="ignore", invalid="ignore"):
        r = (b - a) / a
    return paired_difference(np.zeros_like(r), r, level)


def holm(pvalues: Sequence[float]) -> np.ndarray:
    """Holm's step-down adjusted p-values (family-wise error control).

    Sort the m finite p-values ascending, multiply the k-th smallest (k = 1..m) by (m - k + 1),
    take the running maximum and clip at 1. nan entries stay nan and do not count in m.

    Args:
        pvalues: raw p-values in [0, 1] (nan allowed).

    Returns:
        Adjusted p-values in the input order.

    Raises:
        ValueError: if a finite p-value lies outside [0, 1].
    """
    p = np.asarray(pvalues, dtype=np.float64).ravel()
    ok = np.isfinite(p)
    if np.any((p[ok] < 0) | (p[ok] > 1)):
        raise ValueError(f"p-values must lie in [0, 1], got {p[ok].min()}..{p[ok].max()}")
    out = np.full_like(p, np.nan)
    idx = np.flatnonzero(ok)
    m = idx.size
    if m == 0:
        return out
    order = idx[np.argsort(p[idx], kind="stable")]
    scaled = p[order] * (m - np.arange(m))
    out[order] = np.minimum(np.maximum.accumulate(scaled), 1.0)
    return out


def clopper_pearson(k: int, n: int, level: float = LEVEL) -> dict:
    """Exact (Clopper and Pearson 1934) two-sided interval of a binomial rate from ``k`` events in
    ``n`` trials: the ``(1 - level)/2`` and ``(1 + level)/2`` quantiles of Beta(k, n - k + 1) and
    Beta(k + 1, n - k), with 0 and 1 at the ends. Each side errs with probability at most
    ``(1 - level)/2`` whatever the rate.

    Returns:
        dict with ``mean`` (k / n), ``lo``, ``hi``, ``n``, ``k``.

    Raises:
        ValueError: ``n`` < 1 or ``k`` outside 0..n, or a bad level.
    """
    _check_level(level)
    k, n = int(k), int(n)
    if n < 1 or not 0 <= k <= n:
        raise ValueError(f"a binomial interval needs 0 <= k <= n and n >= 1, got k={k}, n={n}")
    a = (1.0 - level) / 2.0
    lo = 0.0 if k == 0 else float(_stats.beta.ppf(a, k, n - k + 1))
    hi = 1.0 if k == n else float(_stats.beta.ppf(1.0 - a, k + 1, n - k))
    return {"mean": k / n, "lo": lo, "hi": hi, "n": n, "k": k}


@functools.lru_cache(maxsize=1024)
def simultaneous_quantile(m: int, df: float, level: float = LEVEL) -> float:
    """Quantile that makes ``m`` two-sided Student-t intervals (``df`` degrees of freedom;
    ``inf`` for normal) cover together with probability at least ``level``: Bonferroni,
    ``t_{1 - (1 - level) / (2 m), df}``, valid whatever the dependence between them.

    Raises:
        ValueError: ``m`` < 1, ``df`` not positive, or a bad level.
    """
    _check_level(level)
    if int(m) < 1:
        raise ValueError(f"a family needs at least one interval, got m={m}")
    if not df > 0:
        raise ValueError(f"degrees of freedom must be positive, got {df}")
    p = 1.0 - (1.0 - level) / (2.0 * int(m))
    return float(_stats.norm.ppf(p) if math.isinf(df) else _stats.t.ppf(p, df))


def extreme_interval(components, extreme: str, level: float = LEVEL) -> tuple[float, float]:
    """``(lo, hi)`` covering ``extreme`` (``min`` or ``max``) of the K component means with
    probability at least ``level``: each component's Student-t interval at the Bonferroni quantile
    over K (:func:`simultaneous_quantile`), then the extreme of the lower ends and of the upper
    ends (when every interval covers its mean, the extreme of the means lies between them).

    Args:
        components: ``[(mean, se, df), ...]``; NaN when any has a non-finite entry.
        extreme: ``min`` or ``max``.
    """
    if extreme not in ("min", "max"):
        raise ValueError(f"extreme must be 'min' or 'max', got {extreme!r}")
    comps = [(float(m), float(s), float(d)) for m, s, d in components]
    if not comps or not all(math.isfinite(m) and math.isfinite(s) and d > 0 for m, s, d in comps):
        return math.nan, math.nan  # an extreme over a subset would not be the extreme
    k = len(comps)
    los = [m - simultaneous_quantile(k, d, level) * s for m, s, d in comps]
    his = [m + simultaneous_quantile(k, d, level) * s for m, s, d in comps]
    pick = min if extreme == "min" else max
    return pick(los), pick(his)


def extreme_difference(baselines: Sequence, method, extreme: str, level: float = LEVEL) -> dict:
    """The ``extreme`` (``min`` or ``max``) over baselines of the paired difference ``method -
    baseline``, with an interval that holds for the extreme itself.

    "The method beats the best of K others" is ``min_k (method - other_k) > 0`` for a score
    where higher is better (``max`` for a loss, where lower is better). Picking the best other by
    its mean and testing against it alone chooses the comparator on the data that then tests it;
    here every difference gets its own paired t-interval at the Bonferroni level over K and the
    interval is :func:`extreme_interval` of them, so no choice is made.

    Args:
        baselines: the K other methods' per-seed values (each as long as ``method``).
        method: the method's per-seed values.
        extreme: ``min`` or ``max``.

    Returns:
        dict with ``mean`` (the extreme of the mean differences), ``lo``, ``hi``, ``n`` (the
        fewest pairs of any difference), ``components`` (``[[mean, se, df], ...]``, from which
        the interval can be recomputed at another level) and ``extreme``.
    """
    comps, ns = [], []
    for base in baselines:
        r = paired_difference(base, method)
        n = r["n"]
        ns.append(n)
        se = r["sd"] / math.sqrt(n) if n >= 2 else math.nan
        comps.append([r["mean"], se, float(n - 1)])
    means = [c[0] for c in comps if math.isfinite(c[0])]
    mean = (min if extreme == "min" else max)(means) if means else math.nan
    lo, hi = extreme_interval(comps, extreme, level)
    return {"mean": mean, "lo": lo, "hi": hi, "n": min(ns) if ns else 0, "components": comps,
            "extreme": extreme}
