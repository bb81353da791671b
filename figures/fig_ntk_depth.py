"""Mean NTK eigenvalue against depth for sine networks in the three phases, measured and predicted.

The edge-of-chaos paper (Combette, Venaille, Pustelnik, arXiv 2512.06427) says that at unit
gradient gain (sigma_g = 1) the mean NTK eigenvalue grows linearly with depth, exponentially for
sigma_g > 1 and reaches a plateau for sigma_g < 1. This figure measures ``tr(Theta) / (N P)`` of
finite networks (the standard-parametrisation NTK divided by the width) for the points of
:data:`analysis.ntk.DEPTH_POINTS`: an ordered point, the two unit-gain points
(sigma_a = 0 and 1), a chaotic point and the SIREN reference, against the infinite-width
``tr(Theta_inf) / P`` of :mod:`theory.kernels` (lines). Networks use the uniform laws of their
spec (:func:`models.mlp.build_mlp`); error bars are standard errors over networks.

A deviation that grows with depth and does not shrink with N (at sigma_a = 1, about -10% at
depth 32) comes from the first layer: with 2-D inputs and uniform weights its pre-activations
are not Gaussian at any width (see ``fig_ntk_width``), and the gap builds up over the layers;
networks with Gaussian weights of the same variances agree with the prediction within their
standard error.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from initaudit.analysis import ntk
from initaudit.analysis.presets import check_preset
from initaudit.figures import style

NAME = "ntk_depth"
CAPTION = (
    r"Mean eigenvalue of the empirical NTK divided by the width, $\mathrm{tr}\,\Theta/(NP)$, "
    r"against depth for sine networks (markers: mean $\pm$ standard error over networks; lines: "
    r"the infinite-width $\mathrm{tr}\,\Theta_\infty/P$ at the same depths). Left: the values; "
    r"right: measured over predicted. Ordered ($\sigma_g<1$): a plateau; unit gain at "
    r"$\sigma_a=1$: linear growth; unit gain at $\sigma_a=0$: the marginal fixed point $q^*=0$ "
    r"makes the growth saturate; "
    r"chaotic ($\sigma_g>1$): exponential growth. The SIREN reference stays flat because its "
    r"readout, scaled by $1/\omega_0$, suppresses every hidden layer's share."
)

# preset -> (depths, width, points, seeds)
_SIZES = {
    "smoke": ((2, 4), 32, 8, 2),
    "cpu": ((4, 8, 12, 16, 24, 32), 512, 64, 4),
    "paper": (tuple(range(4, 33, 2)), 2048, 256, 16),
}
_STYLE_KEY = {"ordered": "xavier", "chaotic": "off_curve"}


def compute(preset: str) -> dict[str, pd.DataFrame]:
    """``{"table": one row per network, "summary": per (point, depth) with the prediction}``."""
    depths, width, n_points, n_seeds = _SIZES[check_preset(preset)]
    table = ntk.depth_sweep(tuple(ntk.DEPTH_POINTS), depths, width, n_seeds=n_seeds,
                            n_points=n_points)
    return {"table": table, "summary": ntk.depth_summary(table)}


def plot(data: dict[str, pd.DataFrame]) -> plt.Figure:
    style.apply()
    summ = data["summary"]
    fig, (ax, ax_r) = plt.subplots(1, 2, figsize=(7.2, 3.0))
    for point in dict.fromkeys(summ.point):
        s = summ[summ.point == point].sort_values("depth")
        key = _STYLE_KEY.get(point, point)
        color = style.color(key)
        lab = f"{s.label.iloc[0]}, $\\sigma_g^2={s.sigma_g2.iloc[0]:.3g}$"
        ax.plot(s.depth, s.predicted, color=color, lw=1.2)
        ax.errorbar(s.depth, s.measured, yerr=s.se, fmt="o", ms=3, color=color, label=lab,
                    capsize=1.5, lw=0.8)
        ax_r.errorbar(s.depth, s.measured / s.predicted, yerr=s.se / s.predicted, fmt="o-", ms=3,
                      color=color, lw=0.8, capsize=1.5)
    ax.set_yscale("log")
    ax.set_xlabel("depth $L$")
    ax.set_ylabel(r"$\mathrm{tr}\,\Theta/(NP)$")
    ax.legend(fontsize=6, loc="upper left")
    ax_r.axhline(1.0, color="black", lw=0.8, ls="--")
    ax_r.set_xlabel("depth $L$")
    ax_r.set_ylabel("measured / predicted")
    fig.suptitle(f"width $N={int(summ.width.iloc[0])}$", fontsize=8)
    fig.tight_layout()
    return fig


def macros(data: dict[str, pd.DataFrame]) -> dict[str, str]:
    """Growth factors between the smallest and largest depth (measured and predicted), the
    deviation from theory at the largest depth, and the sweep's sizes."""
    summ = data["summary"]
    lo, hi = int(summ.depth.min()), int(summ.depth.max())
    out = {"NtkDepthMin": str(lo), "NtkDepthMax": str(hi),
           "NtkDepthWidth": str(int(summ.width.iloc[0]))}
    for point, key in ((p, style.macro_key(p)) for p in ntk.DEPTH_POINTS):
        s = summ[summ.point == point].set_index("depth")
        if s.empty:
            continue
        out[f"NtkDepthGrowth{key}"] = f"{s.measured[hi] / s.measured[lo]:.3g}"
        out[f"NtkDepthGrowthTheory{key}"] = f"{s.predicted[hi] / s.predicted[lo]:.3g}"
        out[f"NtkDepthDeviation{key}"] = f"{100 * (s.measured[hi] / s.predicted[hi] - 1):+.1f}"
        out[f"NtkDepthSigmaGSq{key}"] = f"{s.sigma_g2[hi]:.3g}"
    # the sigma_a = 1 slope per layer, from the prediction (linear growth)
    t = summ[summ.point == "edge_of_chaos_sigma_a1"]
    if len(t) >= 2:
        slope = np.polyfit(t.depth, t.predicted, 1)[0]
        out["NtkDepthSlopeEoCSigmaOne"] = f"{slope:.3f}"
    return out


def evidence(data: dict[str, pd.DataFrame]) -> dict[str, dict]:
    """Claims-ledger records: curvature of the mean NTK eigenvalue against depth, per point.

    With the measured mean eigenvalue m at the smallest, middle and largest depth (d0, d1, d2),
    ``R = [(m2 - m1) / (d2 - d1)] / [(m1 - m0) / (d1 - d0)]`` is 1 for linear growth, below 1
    for a saturating curve and above 1 for exponential growth. Standard error by the delta method
    from the per-depth standard errors over networks; normal 95% interval.
    """
    out = {}
    summary = data["summary"]
    for point, sub in summary.groupby("point", sort=False):
        sub = sub.sort_values("depth")
        if len(sub) < 3:
            continue
        rows = sub.iloc[[0, len(sub) // 2, -1]]
        (d0, d1, d2), (m0, m1, m2), (s0, s1, s2) = rows.depth.values, rows.measured.values, rows.se.values
        a = (m2 - m1) / (d2 - d1)
        b = (m1 - m0) / (d1 - d0)
        ratio = a / b
        # d ratio / d m_i, then the delta-method variance with independent depths
        g0 = a / b ** 2 / (d1 - d0)
        g1 = -1.0 / (d2 - d1) / b - a / b ** 2 / (d1 - d0)
        g2 = 1.0 / (d2 - d1) / b
        se = float(np.sqrt((g0 * s0) ** 2 + (g1 * s1) ** 2 + (g2 * s2) ** 2))
        out[f"ntk_increment_ratio_{point}"] = {
            "mean": float(ratio), "lo": float(ratio - 1.959964 * se),
            "hi": float(ratio + 1.959964 * se), "n": int(rows.n_seeds.min()),
            "p": float("nan"), "unit": "ratio of slopes",
            "what": (f"slope of tr(Theta)/(NP) between depths {int(d1)} and {int(d2)} over the "
                     f"slope between {int(d0)} and {int(d1)}, {point}, width {int(rows.width.iloc[0])}"),
        }
    return out
