"""Monte-Carlo layer gains chi_l and gradient norms against theory (cf. Fig. 6 of arXiv 2512.06427).

Left: ``chi_l``, the mean squared singular value of the layer Jacobian ``W_l diag f'(z_l)``
(exact trace formula, :mod:`analysis.propagate`), for the hidden layers of the deepest network.
Right: the squared norm of the gradient of the scalar output with
respect to the first pre-activation, ``|dy/dz_1|^2``, for networks of depth L = 4 ... 32, against
``prod_{m=1}^{L} chi_m``. Error bars: two standard errors over the networks. Solid lines: the
theory under the laws the initializers draw (exact law); dashed: the Gaussian mean field.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from initaudit.analysis.experiment import run_experiment
from initaudit.analysis.experiments import mc_gradients
from initaudit.analysis.presets import check_preset
from initaudit.figures import style

NAME = "mc_gradients"
CAPTION = (
    r"Gradient propagation in finite networks. Left: layer gain $\chi_\ell$ (mean squared "
    r"singular value of $W_\ell\,\mathrm{diag}\,f'(z_\ell)$) of the hidden layers of the "
    r"deepest network. Right: $|\partial y/\partial z_1|^2$ against the depth $L$, "
    r"with the theory $\prod_{m=1}^{L}\chi_m$. Points: Monte Carlo ($\pm 2$ standard errors over "
    r"networks); solid: theory under the laws drawn (exact law); dashed: Gaussian law."
)



def compute(preset: str) -> pd.DataFrame:
    """Pooled chi and grad_norm2 rows for every init and depth (experiment ``mc-gradients``)."""
    return run_experiment(mc_gradients.NAME, check_preset(preset), progress=True).summary["table"]


_first_layer_grad = mc_gradients.first_layer_grad


def plot(data: pd.DataFrame) -> plt.Figure:
    style.apply()
    fig, (ax_c, ax_g) = plt.subplots(1, 2, figsize=(7.2, 3.0))
    deepest = data.depth.max()
    for init in dict.fromkeys(data.init):
        color = style.color(init)
        sub = data[data.init == init]
        lab = f"{style.label(init)} ({sub.activation.iloc[0]})"
        # Hidden layers only: the readout's chi_L (sigma_w^2 of the readout, 2/900 for SIREN)
        # is a different kind of number.
        chi = sub[(sub.quantity == "chi") & (sub.depth == deepest)
                  & (sub.layer < deepest)].sort_values("layer")
        ax_c.plot(chi.layer, chi.predicted, color=color, lw=1.1)
        ax_c.plot(chi.layer, chi.predicted_gaussian, color=color, lw=0.9, ls="--")
        ax_c.errorbar(chi.layer, chi.measured, yerr=2 * chi.se, fmt="o", ms=2.2, color=color,
                      elinewidth=0.7, label=lab)
        g = _first_layer_grad(sub)
        ax_g.plot(g.depth, g.predicted, color=color, lw=1.1)
        ax_g.plot(g.depth, g.predicted_gaussian, color=color, lw=0.9, ls="--")
        ax_g.errorbar(g.depth, g.measured, yerr=2 * g.se, fmt="o", ms=3, color=color,
                      elinewidth=0.8, label=lab)
    ax_c.set_xlabel(r"layer $\ell$")
    ax_c.set_ylabel(r"$\chi_\ell$")
    ax_g.set_xscale("log", base=2)
    ax_g.set_yscale("log")
    ax_g.set_xlabel(r"depth $L$")
    ax_g.set_ylabel(r"$|\partial y/\partial z_1|^2$")
    handles, labels = ax_g.get_legend_handles_labels()
    meta = data.iloc[0]
    fig.suptitle(f"width $N={meta.width}$, {meta.n_networks} networks, {meta.n_inputs} inputs",
                 fontsize=8)
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=6.5,
               frameon=False)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    return fig


def macros(data: pd.DataFrame) -> dict[str, str]:
    """Per init: measured / predicted |dy/dz_1|^2 at the largest depth (exact-law and Gaussian
    theory) and the max |z| of chi over the hidden layers of the deepest network."""
    out = {}
    deepest = data.depth.max()
    for init, sub in data.groupby("init", sort=False):
        key = style.macro_key(init)
        g = _first_layer_grad(sub)
        last = g[g.depth == deepest].iloc[0]
        out[f"McGradRatio{key}"] = f"{last.measured / last.predicted:.2f}"
        out[f"McGradRatioGauss{key}"] = f"{last.measured / last.predicted_gaussian:.2f}"
        chi = sub[(sub.quantity == "chi") & (sub.depth == deepest) & (sub.layer < deepest)]
        out[f"McChiMaxZ{key}"] = f"{np.nanmax(np.abs(chi.z)):.1f}"
        out[f"McChiMaxZGauss{key}"] = f"{np.nanmax(np.abs(chi.z_gaussian)):.1f}"
    out["McGradMaxDepth"] = str(int(deepest))
    out["McGradWidth"] = str(int(data.width.iloc[0]))
    return out
