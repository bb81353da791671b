"""Mean NTK eigenvalue against depth at the points of the edge-of-chaos phase diagram.

The edge-of-chaos paper (Combette, Venaille, Pustelnik, arXiv 2512.06427) says that at unit
gradient gain the mean NTK eigenvalue grows linearly with depth (exponentially above, a plateau
below). One cell per (point of :data:`initaudit.analysis.ntk.DEPTH_POINTS`, depth) measures
``tr(Theta) / (N P)`` of finite networks and the infinite-width ``tr(Theta_inf) / P``
(:func:`initaudit.analysis.ntk.run_depth_cell`). The evidence is the ratio of the slope over the
deep half of the depths to the slope over the shallow half: 1 for linear growth.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from initaudit.analysis import ntk
from initaudit.analysis.evidence import Evidence
from initaudit.analysis.ratio import fieller
from initaudit.analysis.presets import check_preset
from initaudit.theory.checks import int_at_least

NAME = "ntk-depth"
DESCRIPTION = ("mean empirical NTK eigenvalue against depth at ordered, unit-gain and chaotic "
               "points, with the infinite-width prediction")


@dataclass(frozen=True)
class Sizes:
    depths: tuple[int, ...]  # depths L (the evidence uses the first, middle and last)
    width: int               # hidden width N
    n_points: int            # inputs P (uniform on [-1, 1]^2)
    n_seeds: int             # networks per (point, depth)


PRESETS = {
    "smoke": Sizes(depths=(2, 4), width=32, n_points=8, n_seeds=2),
    "cpu": Sizes(depths=(4, 8, 12, 16, 24, 32), width=512, n_points=64, n_seeds=4),
    "paper": Sizes(depths=tuple(range(4, 33, 2)), width=2048, n_points=256, n_seeds=16),
}


def cells(preset: str, seeds: int | None = None, **_ignored) -> list[ntk.NTKDepthCell]:
    """One cell per (point, depth); ``seeds`` sets the networks per cell."""
    size = PRESETS[check_preset(preset)]
    n = size.n_seeds if seeds is None else seeds
    n = int_at_least(n, 2, "seeds (networks per cell)")
    return [ntk.NTKDepthCell(point=point, depth=int(depth), width=size.width, n_seeds=n,
                             n_points=size.n_points)
            for point in ntk.DEPTH_POINTS for depth in size.depths]


run_cell = ntk.run_cell


def increment_ratio_evidence(summary: pd.DataFrame, table: pd.DataFrame) -> dict[str, Evidence]:
    """``ntk_increment_ratio_<point>``: curvature of the mean eigenvalue against depth.

    With the measured mean eigenvalue m at the smallest, middle and largest depth (d0, d1, d2),
    ``R = [(m2 - m1) / (d2 - d1)] / [(m1 - m0) / (d1 - d0)]`` is 1 for linear growth, below 1
    for a saturating curve and above 1 for exponential growth. Network ``s`` of every depth is
    drawn from the same stream (its first layers are the same at every depth), so the three
    means are correlated: the two slopes get their covariance from the sample covariance of the
    per-seed values ``(m0_s, m1_s, m2_s)`` over the n seeds present at all three depths, and the
    interval is Fieller's for their ratio with n - 1 degrees of freedom
    (:func:`initaudit.analysis.ratio.fieller`): unbounded when the shallow slope is not credibly
    nonzero, where a delta-method interval would divide by a slope that may be 0. The record
    keeps ``fieller = [a, b, vaa, vab, vbb]`` so the ledger can recompute it at its own level.
    """
    out = {}
    for point, sub in summary.groupby("point", sort=False):
        sub = sub.sort_values("depth")
        if len(sub) < 3:
            continue
        rows = sub.iloc[[0, len(sub) // 2, -1]]
        d0, d1, d2 = rows.depth.values
        per_seed = (table[(table.point == point) & table.depth.isin([d0, d1, d2])]
                    .pivot_table(index="seed", columns="depth", values="measured")
                    .dropna())[[d0, d1, d2]].to_numpy(float)
        n = per_seed.shape[0]
        if n < 2:
            continue
        m0, m1, m2 = per_seed.mean(axis=0)
        a = (m2 - m1) / (d2 - d1)
        b = (m1 - m0) / (d1 - d0)
        ratio = a / b
        # the two slopes are linear in the three means: their covariance over seeds, then
        # Fieller's set for the ratio (bounded only when the shallow slope is credibly not 0)
        ca = np.array([0.0, -1.0, 1.0]) / (d2 - d1)
        cb = np.array([-1.0, 1.0, 0.0]) / (d1 - d0)
        cov = np.cov(per_seed, rowvar=False, ddof=1) / n
        vaa, vab, vbb = float(ca @ cov @ ca), float(ca @ cov @ cb), float(cb @ cov @ cb)
        lo, hi = fieller(a, b, vaa, vab, vbb, n - 1)
        out[f"ntk_increment_ratio_{point}"] = Evidence(
            ratio, lo, hi, n,
            unit="ratio of slopes",
            what=(f"slope of tr(Theta)/(NP) between depths {int(d1)} and {int(d2)} over the "
                  f"slope between {int(d0)} and {int(d1)}, {point}, width {int(rows.width.iloc[0])}; "
                  f"Fieller's interval with the covariance over the {n} seeds (paired across "
                  f"depths)"),
            extra={"interval": "fieller", "fieller": [float(a), float(b), vaa, vab, vbb],
                   "df": float(n - 1)})
    return out


def summarize(configs, results, **_ignored) -> dict:
    """``{"table": one row per network, "summary": per (point, depth), "evidence": ...}``."""
    table = pd.concat(results, ignore_index=True)
    summary = ntk.depth_summary(table)
    return {"table": table, "summary": summary, "evidence": increment_ratio_evidence(summary, table)}


def format_summary(summary: dict) -> str:
    lines = [f"{'evidence':48s} {'estimate':>9s}  95% interval"]
    for key, ev in summary["evidence"].items():
        lines.append(f"{key:48s} {ev.mean:9.3f}  [{ev.lo:.3f}, {ev.hi:.3f}] {ev.unit}")
    return "\n".join(lines)
