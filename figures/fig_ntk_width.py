"""Distance of the empirical NTK to its infinite-width limit against the width, with exponents.

For each case of :data:`analysis.ntk.WIDTH_CASES` the relative Frobenius distance
``||Theta / N - Theta_inf||_F / ||Theta_inf||_F`` (:func:`analysis.ntk.width_sweep`) is averaged
over networks and fitted by ``distance ~ N^p``, with ``Theta_inf`` the infinite-width NTK under
the laws the networks draw (the exact law); expected ``-1 <= p <= -1/2`` (O(1/sqrt(N))
fluctuations plus an O(1/N) first-layer and bias term), close to -1/2. Filled markers: networks
drawn from the spec's variances with Gaussian laws (where the two laws coincide); open markers:
the edge-of-chaos initializers with their own uniform laws. Grey crosses: the same uniform-law
networks against the Gaussian law's NTK, which with d = 2 inputs misdescribes the first layer
(a sum of two uniforms, not Gaussian at any width) and levels off.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from initaudit.analysis.experiment import run_experiment
from initaudit.analysis.experiments import ntk_width
from initaudit.analysis.presets import check_preset
from initaudit.figures import style

NAME = "ntk_width"
CAPTION = (
    r"Relative Frobenius distance $\|\Theta/N-\Theta_\infty\|_F/\|\Theta_\infty\|_F$ between the "
    r"empirical NTK and its infinite-width limit under the laws drawn (exact law) against the "
    r"width (mean $\pm$ standard error over networks; lines: least-squares fits $\propto N^{p}$, "
    r"exponents in the legend). Solid: Gaussian weights with the initialisers' variances; dashed: "
    r"the edge-of-chaos initialisers' own uniform laws. Crosses: the uniform-law networks against "
    r"the Gaussian law's limit, which levels off: with 2-D inputs their first layer is not "
    r"Gaussian at any width."
)

# He with tanh is a second case of one initialiser: it gets a colour of its own
_CASE_COLOR = {("kaiming_uniform", "tanh"): "#56B4E9"}
_MACRO_KEY = {("edge_of_chaos", "sin"): "EoC", ("edge_of_chaos_sigma_a1", "sin"): "EoCSigmaOne",
              ("kaiming_uniform", "relu"): "HeRelu", ("kaiming_uniform", "tanh"): "HeTanh"}


def compute(preset: str) -> dict[str, pd.DataFrame]:
    """``{"summary": per (case, law, width), "fit": per (case, law)}`` of the ``ntk-width``
    experiment."""
    summary = run_experiment(ntk_width.NAME, check_preset(preset), progress=True).summary
    return {"summary": summary["summary"], "fit": summary["fit"]}


def plot(data: dict[str, pd.DataFrame]) -> plt.Figure:
    style.apply()
    summ, fit = data["summary"], data["fit"]
    fig, ax = plt.subplots(figsize=(7.2, 3.2))
    for (init, act, law), s in summ.groupby(["init", "activation", "convention"], sort=False):
        s = s.sort_values("width")
        f = fit[(fit.init == init) & (fit.activation == act) & (fit.convention == law)].iloc[0]
        color = _CASE_COLOR.get((init, act)) or style.color(init)
        ls = "-" if law == "normal" else "--"
        err = f" \\pm {f.exponent_se:.2f}" if np.isfinite(f.exponent_se) else ""
        name = style.label(init)
        law_text = "Gaussian" if law == "normal" else "own law"
        ax.errorbar(s.width, s.distance, yerr=s.se, fmt="o", ms=3, color=color, capsize=1.5,
                    lw=0.8, mfc=color if law == "normal" else "none")
        n = np.array([s.width.min(), s.width.max()], dtype=float)
        ax.plot(n, f.prefactor * n**f.exponent, ls=ls, color=color, lw=1.0,
                label=f"{name} ({act}, {law_text}): $p={f.exponent:.2f}{err}$")
        if law != "normal":
            ax.plot(s.width, s.distance_gaussian, "x", ms=4, color=color, alpha=0.7,
                    label=f"{name}, {law_text}, against the Gaussian law's limit")
    n = np.array([summ.width.min(), summ.width.max()], dtype=float)
    ax.plot(n, 0.5 * summ.distance.max() * (n / n[0]) ** -0.5, color="black", lw=0.6, ls=":",
            label=r"$\propto N^{-1/2}$")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("width $N$")
    ax.set_ylabel(r"$\|\Theta/N-\Theta_\infty\|_F/\|\Theta_\infty\|_F$")
    ax.legend(fontsize=6, loc="center left", bbox_to_anchor=(1.02, 0.5))
    ax.set_title(f"depth {int(summ.depth.iloc[0])}", fontsize=8)
    fig.tight_layout()
    return fig


def macros(data: dict[str, pd.DataFrame]) -> dict[str, str]:
    """Fitted exponents (``NtkWidthExpEoC`` = ``-0.49 \\pm 0.01``) and, for the initializers' own
    laws, the distance at the largest width to the exact-law limit (``NtkWidthTopEoC``) and to
    the Gaussian law's (``NtkWidthFloorGaussEoC``) with its exponent
    (``NtkWidthExpOwnLawGaussEoC``)."""
    out = {}
    summ = data["summary"]
    top = int(summ.width.max())
    for _, f in data["fit"].iterrows():
        key = _MACRO_KEY.get((f.init, f.activation), "Case")
        if f.convention == "normal":
            name = f"NtkWidthExp{key}"
        else:
            name = f"NtkWidthExpOwnLaw{key}"
            d = summ[(summ.init == f.init) & (summ.convention == f.convention)
                     & (summ.width == top)]
            out[f"NtkWidthTop{key}"] = f"{float(d.distance.iloc[0]):.3f}"
            out[f"NtkWidthFloorGauss{key}"] = f"{float(d.distance_gaussian.iloc[0]):.3f}"
            out[f"NtkWidthExpOwnLawGauss{key}"] = (
                f"{f.exponent_gaussian:.2f} \\pm {f.exponent_gaussian_se:.2f}"
                if np.isfinite(f.exponent_gaussian_se) else "--")
        if not np.isfinite(f.exponent):
            out[name] = "--"
        elif np.isfinite(f.exponent_se):
            out[name] = f"{f.exponent:.2f} \\pm {f.exponent_se:.2f}"
        else:
            out[name] = f"{f.exponent:.2f}"
    out["NtkWidthMin"] = str(int(summ.width.min()))
    out["NtkWidthMax"] = str(top)
    return out
