"""Fieller's confidence set for a ratio of two means.

For estimates ``A`` and ``B`` of ``alpha`` and ``beta`` that are jointly normal with covariance
``[[vAA, vAB], [vAB, vBB]]`` (estimated with ``df`` degrees of freedom), the ratio
``rho = alpha / beta`` is in the set ``{r : (A - r B)^2 <= q^2 (vAA - 2 r vAB + r^2 vBB)}``
with probability ``level``, where ``q = t_{(1 + level)/2, df}`` (Fieller 1954): ``A - rho B``
has mean 0 and the variance on the right, whatever ``beta``. The set is

* a bounded interval when ``B^2 > q^2 vBB``: the denominator is distinguishable from 0 at that
  level;
* otherwise unbounded (the whole line, or the line minus an interval): the data do not bound the
  ratio, which the delta method hides by dividing by a ``B`` that may be 0. :func:`fieller`
  returns ``(-inf, inf)`` then.
"""

from __future__ import annotations

import math


def fieller(a: float, b: float, vaa: float, vab: float, vbb: float, df: float,
            level: float = 0.95) -> tuple[float, float]:
    """``(lo, hi)`` of Fieller's set for ``a / b`` (module docstring); ``(-inf, inf)`` when
    it is unbounded, NaN when an input is not finite.

    Raises:
        ValueError: a level outside (0, 1), or ``df`` not positive.
    """
    from scipy import stats as sst

    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level}")
    if not df > 0:
        raise ValueError(f"degrees of freedom must be positive, got {df}")
    vals = (a, b, vaa, vab, vbb)
    if not all(math.isfinite(float(v)) for v in vals):
        return math.nan, math.nan
    q = float(sst.norm.ppf((1 + level) / 2) if math.isinf(df) else sst.t.ppf((1 + level) / 2, df))
    q2 = q * q
    # (b^2 - q^2 vbb) r^2 - 2 (a b - q^2 vab) r + (a^2 - q^2 vaa) <= 0
    c2 = b * b - q2 * vbb
    c1 = a * b - q2 * vab
    c0 = a * a - q2 * vaa
    if c2 <= 0.0:
        return -math.inf, math.inf
    disc = c1 * c1 - c2 * c0
    if disc < 0.0:  # cannot happen for a valid covariance; rounding at the edge
        disc = 0.0
    root = math.sqrt(disc)
    return (c1 - root) / c2, (c1 + root) / c2


__all__ = ["fieller"]
