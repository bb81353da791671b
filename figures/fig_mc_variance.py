"""Monte-Carlo pre-activation variance q_l against the mean-field theory, layer by layer.

For each audited initializer (the SIREN reference init, the two edge-of-chaos points, Xavier with
tanh and He with relu) S networks of width N and depth L are drawn with the registered
initializer, P inputs uniform on [-1, 1]^2 are propagated, and ``q_l = |z_l|^2 / N`` is averaged
over units, inputs and networks (error bars: two standard errors over the networks). Lines: the
infinite-width theory under the laws the initializers draw (:func:`theory.predict.predict`,
``law="exact"``) and, dashed, the Gaussian mean field (``law="gaussian"``).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from initaudit.analysis.experiment import run_experiment
from initaudit.analysis.experiments import mc_variance
from initaudit.analysis.presets import check_preset
from initaudit.figures import style

NAME = "mc_variance"
CAPTION = (
    r"Pre-activation variance $q_\ell=|z_\ell|^2/N$ of finite networks (points: mean over "
    r"networks, inputs and units, bars: $\pm 2$ standard errors over the networks) against the "
    r"infinite-width theory under the laws the initialisers draw (solid, exact law) and the "
    r"Gaussian mean field (dashed), for inputs uniform on $[-1,1]^2$, from layer 2 on (layer 1, "
    r"$q_1=\sigma_{w,0}^2|x|^2/d+\sigma_{b,0}^2$, carries $\omega_0=30$ and is exact)."
)

def compute(preset: str) -> pd.DataFrame:
    """Pooled q rows (one per init and layer) with the measurement, SE and both predictions:
    the ``mc-variance`` experiment's table."""
    return run_experiment(mc_variance.NAME, check_preset(preset), progress=True).summary["table"]


def plot(data: pd.DataFrame) -> plt.Figure:
    style.apply()
    inits = list(dict.fromkeys(data.init))
    ncol = 3
    nrow = -(-(len(inits) + 1) // ncol)  # one spare panel holds the legend
    fig, axes = plt.subplots(nrow, ncol, figsize=(7.2, 2.2 * nrow + 0.4))
    axes = np.atleast_1d(axes).ravel()
    for ax, init in zip(axes, inits):
        # Layer 1 is the input layer (q_1 = sigma_w0^2 |x|^2/d + sigma_b0^2, up to ~200 with
        # omega_0 = 30); the panels show the hidden layers, where the theory has work to do.
        grp = data[(data.init == init) & (data.layer >= 2)].sort_values("layer")
        color = style.color(init)
        ax.plot(grp.layer, grp.predicted, color=color, lw=1.2,
                label="theory, exact law (as drawn)")
        ax.plot(grp.layer, grp.predicted_gaussian, color="black", lw=0.9, ls="--",
                label="theory, Gaussian law")
        ax.errorbar(grp.layer, grp.measured, yerr=2 * grp.se, fmt="o", ms=2.2, color=color,
                    ecolor=color, elinewidth=0.7, capsize=0,
                    label=r"Monte Carlo, $\pm 2$ SE")
        ax.set_title(f"{style.label(init)} ({grp.activation.iloc[0]})", pad=9)
        ax.set_xlabel(r"layer $\ell$")
        ax.set_ylabel(r"$q_\ell$")
        ax.ticklabel_format(axis="y", style="sci", scilimits=(-2, 3))
    legend_ax = axes[len(inits)]
    handles, labels = axes[0].get_legend_handles_labels()
    legend_ax.legend(handles, labels, loc="center", fontsize=7, frameon=False)
    legend_ax.axis("off")
    for ax in axes[len(inits) + 1:]:
        ax.axis("off")
    meta = data.iloc[0]
    legend_ax.text(0.5, 0.1, f"depth {meta.depth}, width $N={meta.width}$\n"
                   f"{meta.n_networks} networks, {meta.n_inputs} inputs",
                   ha="center", va="center", fontsize=7, transform=legend_ax.transAxes)
    fig.tight_layout()
    return fig


def macros(data: pd.DataFrame) -> dict[str, str]:
    """Max |z| over layers per init (against the exact-law and the Gaussian theory)."""
    out = {}
    for init, grp in data.groupby("init", sort=False):
        key = style.macro_key(init)
        out[f"McVarMaxZ{key}"] = f"{np.nanmax(np.abs(grp.z)):.1f}"
        out[f"McVarMaxZGauss{key}"] = f"{np.nanmax(np.abs(grp.z_gaussian)):.1f}"
    meta = data.iloc[0]
    out["McVarWidth"] = str(int(meta.width))
    out["McVarDepth"] = str(int(meta.depth))
    out["McVarNetworks"] = str(int(meta.n_networks))
    out["McVarInputs"] = str(int(meta.n_inputs))
    return out
