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
from initaudit.analysis.experiment import run_experiment
from initaudit.analysis.experiments import ntk_depth
from initaudit.analysis.presets import check_preset
from initaudit.figures import style, text

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



def compute(preset: str) -> dict[str, pd.DataFrame]:
    """``{"table": one row per network, "summary": per (point, depth) with the prediction}``
    (experiment ``ntk-depth``)."""
    s = run_experiment(ntk_depth.NAME, check_preset(preset), progress=True).summary
    return {"table": s["table"], "summary": s["summary"]}


def plot(data: dict[str, pd.DataFrame]) -> plt.Figure:
    style.apply()
    summ = data["summary"]
    fig, (ax, ax_r) = plt.subplots(1, 2, figsize=(7.2, 3.0))
    for point in dict.fromkeys(summ.point):
        s = summ[summ.point == point].sort_values("depth")
        color = style.color(point)
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
        out[f"NtkDepthDeviation{key}"] = text.tex_number(
            100 * (s.measured[hi] / s.predicted[hi] - 1), 1, signed=True)
        out[f"NtkDepthSigmaGSq{key}"] = f"{s.sigma_g2[hi]:.3g}"
    # the sigma_a = 1 slope per layer, from the prediction (linear growth)
    t = summ[summ.point == "edge_of_chaos_sigma_a1"]
    if len(t) >= 2:
        slope = np.polyfit(t.depth, t.predicted, 1)[0]
        out["NtkDepthSlopeEoCSigmaOne"] = f"{slope:.3f}"
    return out
