"""Mean NTK eigenvalue against depth for sine networks in the three phases, measured and predicted.

The edge-of-chaos paper (Combette, Venaille, Pustelnik, arXiv 2512.06427) says that at unit
gradient gain (sigma_g = 1) the mean NTK eigenvalue grows linearly with depth, exponentially for
sigma_g > 1 and reaches a plateau for sigma_g < 1. This figure measures ``tr(Theta) / (N P)`` of
finite networks (the standard-parametrisation NTK divided by the width) for the points of
:data:`analysis.ntk.DEPTH_POINTS`: an ordered point, the two unit-gain points
(sigma_a = 0 and 1), a chaotic point and the SIREN reference, against the infinite-width
``tr(Theta_inf) / P`` of :mod:`theory.kernels` under the laws the networks draw (solid lines, the
exact law) and under the Gaussian law (dotted). Networks use the uniform laws of their spec
(:func:`models.mlp.build_mlp`); error bars are standard errors over networks.

The published sigma_a = 1 point is on the Gaussian law's unit-gain curve; with its biases drawn
from ``U(+-c_b)`` its per-layer gain is 0.9916 (:mod:`theory.laws`), and over 32 layers the
Gaussian prediction overshoots the measured mean eigenvalue by about 12%, while the exact law
agrees with it within the standard error. The legend gives sigma_g^2 under the exact law.
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
from initaudit.models import catalogue

NAME = "ntk_depth"
CAPTION = (
    r"Mean eigenvalue of the empirical NTK divided by the width, $\mathrm{tr}\,\Theta/(NP)$, "
    r"against depth for sine networks (markers: mean $\pm$ standard error over networks; solid "
    r"lines: the infinite-width $\mathrm{tr}\,\Theta_\infty/P$ under the laws drawn, the exact "
    r"law; dotted: under the Gaussian law; $\sigma_g^2$ in the legend is the exact law's). Left: "
    r"the values; right: measured over the exact-law prediction (open markers: over the Gaussian "
    r"one). Ordered ($\sigma_g<1$): a plateau; unit gain at "
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
        ax.plot(s.depth, s.predicted_gaussian, color=color, lw=0.8, ls=":")
        ax.errorbar(s.depth, s.measured, yerr=s.se, fmt="o", ms=3, color=color, label=lab,
                    capsize=1.5, lw=0.8)
        ax_r.errorbar(s.depth, s.measured / s.predicted, yerr=s.se / s.predicted, fmt="o-", ms=3,
                      color=color, lw=0.8, capsize=1.5)
        ax_r.plot(s.depth, s.measured / s.predicted_gaussian, "o:", ms=3, mfc="none",
                  color=color, lw=0.6)
    ax.set_yscale("log")
    ax.set_xlabel("depth $L$")
    ax.set_ylabel(r"$\mathrm{tr}\,\Theta/(NP)$")
    ax.legend(fontsize=6, loc="upper left")
    ax_r.axhline(1.0, color="black", lw=0.8, ls="--")
    ax_r.set_xlabel("depth $L$")
    ax_r.set_ylabel("measured / predicted (exact law)")
    fig.suptitle(f"width $N={int(summ.width.iloc[0])}$", fontsize=8)
    fig.tight_layout()
    return fig


def macros(data: dict[str, pd.DataFrame]) -> dict[str, str]:
    """Growth factors between the smallest and largest depth (measured and predicted), the
    deviation from theory at the largest depth (``...Deviation``: exact law; ``...DeviationGauss``:
    Gaussian law) with its z-score, sigma_g^2 under both laws, and the sweep's sizes."""
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
        out[f"NtkDepthDeviationGauss{key}"] = text.tex_number(
            100 * (s.measured[hi] / s.predicted_gaussian[hi] - 1), 1, signed=True)
        out[f"NtkDepthZ{key}"] = text.tex_number(float(s.z[hi]), 1, signed=True)
        out[f"NtkDepthZGauss{key}"] = text.tex_number(float(s.z_gaussian[hi]), 1, signed=True)
        out[f"NtkDepthSigmaGSq{key}"] = f"{s.sigma_g2[hi]:.4g}"
        out[f"NtkDepthSigmaGSqGauss{key}"] = f"{s.sigma_g2_gaussian[hi]:.4g}"
    # the factor 1 - 1/sigma_w^2 of the growth per layer at unit gain
    # (theory.kernels.ntk_from_gradients)
    hidden = catalogue.spec("edge_of_chaos_sigma_a1", 2, 256, 2, "sin").hidden
    out["NtkIdentityFactorEoCSigmaOne"] = f"{1.0 - 1.0 / hidden.sigma_w2:.3f}"
    # the sigma_a = 1 slope per layer, from the prediction (linear growth)
    t = summ[summ.point == "edge_of_chaos_sigma_a1"]
    if len(t) >= 2:
        slope = np.polyfit(t.depth, t.predicted, 1)[0]
        out["NtkDepthSlopeEoCSigmaOne"] = f"{slope:.3f}"
    return out
