"""Width dependence of the Monte-Carlo deviation from the mean-field theory, with fitted exponents.

For each audited initializer and widths N, the relative deviation ``|measured - predicted| /
predicted`` of q, chi and the squared gradient norm, averaged over layers 2..L (layer 1 has no
finite-width correction), is fitted by ``deviation ~ N^exponent`` (log-log least squares with
its standard error, :func:`analysis.propagate.width_sweep`). The reference is the infinite-width
theory under the laws the initializers draw (:func:`theory.predict.predict`, ``law="exact"``), so
what is left is finite width. The number of networks grows as 1/N^2 towards small widths
(the same cost per width), so that the statistical noise (dotted) falls below the O(1/N) bias
there; only widths where the deviation exceeds three times the noise (filled markers) enter
the fit.
Exponent -1: finite-width bias; about 0: a discrepancy that does not go away with width.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from initaudit.analysis import propagate as mc
from initaudit.analysis.experiment import run_experiment
from initaudit.analysis.experiments import mc_width
from initaudit.analysis.presets import check_preset
from initaudit.figures import style

NAME = "mc_width"
CAPTION = (
    r"Relative deviation of the Monte-Carlo $q_\ell$, $\chi_\ell$ and $|\partial y/\partial "
    r"z_\ell|^2$ from the infinite-width prediction (exact law: the laws drawn), averaged "
    r"over layers $2..L$, against the width $N$; lines: least-squares fits "
    r"$\propto N^{p}$ over the widths where the deviation exceeds three times the noise (filled "
    r"markers; exponents in the legend, $\pm$ one standard error); dotted: the statistical noise "
    r"(standard error over networks)."
)

_QTY_KEY = {"q": "Q", "chi": "Chi", "grad_norm2": "Grad"}
_QTY_LABEL = {"q": r"$q_\ell$", "chi": r"$\chi_\ell$",
              "grad_norm2": r"$|\partial y/\partial z_\ell|^2$"}


def compute(preset: str) -> dict[str, pd.DataFrame]:
    """``{"deviation": per (init, width, quantity), "fit": per (init, quantity)}`` of the
    ``mc-width`` experiment."""
    summary = run_experiment(mc_width.NAME, check_preset(preset), progress=True).summary
    return {"deviation": summary["deviation"], "fit": summary["fit"]}


def plot(data: dict[str, pd.DataFrame]) -> plt.Figure:
    style.apply()
    dev, fit = data["deviation"], data["fit"]
    fig, axes = plt.subplots(1, 3, figsize=(7.2, 3.0), sharex=True)
    handles = {}
    for ax, qty in zip(axes, mc.QUANTITIES):
        fitted = []
        for init in dict.fromkeys(dev.init):
            color = style.color(init)
            d = dev[(dev.init == init) & (dev.quantity == qty)].sort_values("width")
            f = fit[(fit.init == init) & (fit.quantity == qty)].iloc[0]
            res = d[d.resolved]
            (h,) = ax.plot(res.width, res.deviation, "o", ms=3, color=color)
            ax.plot(d.width[~d.resolved], d.deviation[~d.resolved], "o", ms=3, mfc="none",
                    color=color)
            ax.plot(d.width, d.noise, ":", color=color, lw=0.8)
            handles.setdefault(init, (h, style.label(init)))
            if np.isfinite(f.exponent):
                n = np.array([res.width.min(), res.width.max()], dtype=float)
                (line,) = ax.plot(n, f.prefactor * n**f.exponent, color=color, lw=1.0)
                err = f"\\pm {f.exponent_se:.2f}" if np.isfinite(f.exponent_se) else ""
                fitted.append((line, f"$p={f.exponent:.2f}{err}$"))
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel(r"width $N$")
        ax.set_title(_QTY_LABEL[qty])
        if fitted:
            ax.legend(*zip(*fitted), fontsize=6, loc="upper right")
    axes[0].set_ylabel("relative deviation")
    fig.suptitle(f"depth {int(dev.depth.iloc[0])}; filled: resolved (> 3 noise), "
                 "open: not resolved, dotted: noise", fontsize=8)
    fig.legend([h for h, _ in handles.values()], [lab for _, lab in handles.values()],
               loc="lower center", ncol=len(handles), fontsize=6.5, frameon=False)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    return fig


def macros(data: dict[str, pd.DataFrame]) -> dict[str, str]:
    """Fitted exponents per init and quantity, e.g. ``McWidthExpQEoC`` = ``-0.98 \\pm 0.05``."""
    out = {}
    for _, f in data["fit"].iterrows():
        key = style.macro_key(f.init)
        name = f"McWidthExp{_QTY_KEY[f.quantity]}{key}"
        if not np.isfinite(f.exponent):
            out[name] = "--"  # fewer than two widths resolved above the noise
        elif np.isfinite(f.exponent_se):
            out[name] = f"{f.exponent:.2f} \\pm {f.exponent_se:.2f}"
        else:
            out[name] = f"{f.exponent:.2f}"
    widths = sorted(data["deviation"].width.unique())
    out["McWidthMin"] = str(int(widths[0]))
    out["McWidthMax"] = str(int(widths[-1]))
    return out
