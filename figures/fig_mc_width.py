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
Dashed: the leading-order prediction of the signed deviation
(:func:`analysis.experiments.mc_width.predicted_deviation`), in absolute value.

The fourth panel is the network-to-network variance of ``log |dy/dz_1|^2`` (mean over the inputs
of its variance at each input) against its leading-order prediction
(:func:`theory.finite_width.log_grad_variance`), with the fitted exponent over the widths with
L / N <= 1/4.
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
    r"(standard error over networks); dashed: the leading-order $1/N$ correction "
    r"(\texttt{theory/finite\_width.py}, laws drawn; absent for He, where it vanishes). "
    r"Right: variance over networks of "
    r"$\log|\partial y/\partial z_1|^2$ (markers, bars: the standard error of a sample variance) "
    r"against its leading-order finite-width prediction (lines, laws drawn); $p$: fitted exponent "
    r"over the widths with $L/N\le 1/4$."
)

#: Width of the coordinate-network training experiments (image, audio, Poisson) at the cpu
#: preset: the log-gradient spread is quoted there.
TRAINING_WIDTH = 64

#: A predicted relative deviation below this is float64 rounding of an exact cancellation.
THEORY_ZERO = 1e-10

_QTY_KEY = {"q": "Q", "chi": "Chi", "grad_norm2": "Grad"}
_QTY_LABEL = {"q": r"$q_\ell$", "chi": r"$\chi_\ell$",
              "grad_norm2": r"$|\partial y/\partial z_\ell|^2$"}


def compute(preset: str) -> dict[str, pd.DataFrame]:
    """``{"deviation": per (init, width, quantity), "fit": per (init, quantity)}`` of the
    ``mc-width`` experiment."""
    summary = run_experiment(mc_width.NAME, check_preset(preset), progress=True).summary
    return {"deviation": summary["deviation"], "fit": summary["fit"],
            "log_grad": summary["log_grad"], "log_grad_fit": summary["log_grad_fit"]}


def plot(data: dict[str, pd.DataFrame]) -> plt.Figure:
    style.apply()
    dev, fit = data["deviation"], data["fit"]
    fig, axes = plt.subplots(1, 4, figsize=(7.2, 2.9), sharex=True)
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
            theory = d.predicted_deviation.abs()
            # relu: the correction cancels (float64 rounding left); nothing to draw on a log axis
            keep = theory > THEORY_ZERO
            ax.plot(d.width[keep], theory[keep], "--", color=color, lw=0.8)
            handles.setdefault(init, (h, style.label(init)))
            if np.isfinite(f.exponent):
                n = np.array([res.width.min(), res.width.max()], dtype=float)
                (line,) = ax.plot(n, f.prefactor * n**f.exponent, color=color, lw=1.0)
                err = f"\\pm {f.exponent_se:.2f}" if np.isfinite(f.exponent_se) else ""
                fitted.append((line, f"$p={f.exponent:.2f}{err}$"))
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        # the measured range: a theory line far below the noise leaves the axes
        shown = dev[dev.quantity == qty]
        lo = float(np.nanmin(np.concatenate([shown.deviation[shown.deviation > 0],
                                             shown.noise])))
        hi = float(np.nanmax(np.concatenate([shown.deviation, shown.noise,
                                             shown.predicted_deviation.abs()])))
        ax.set_ylim(lo / 3, hi * 3)
        ax.set_xlabel(r"width $N$")
        ax.set_title(_QTY_LABEL[qty])
        if fitted:
            ax.legend(*zip(*fitted), fontsize=6, loc="upper right")
    _log_grad_panel(axes[3], data["log_grad"], data["log_grad_fit"])
    axes[0].set_ylabel("relative deviation")
    fig.suptitle(f"depth {int(dev.depth.iloc[0])}; filled: resolved (> 3 noise), "
                 "open: not resolved, dotted: noise, dashed: leading 1/N theory", fontsize=8)
    fig.legend([h for h, _ in handles.values()], [lab for _, lab in handles.values()],
               loc="lower center", ncol=len(handles), fontsize=6.5, frameon=False)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    return fig


def _log_grad_panel(ax, rows: pd.DataFrame, fits: pd.DataFrame) -> None:
    labels = []
    for init in dict.fromkeys(rows.init):
        color = style.color(init)
        d = rows[rows.init == init].sort_values("width")
        ax.errorbar(d.width, d.measured, yerr=d.se, fmt="o", ms=2.5, color=color,
                    elinewidth=0.7, capsize=1.2)
        (line,) = ax.plot(d.width, d.predicted, "-", color=color, lw=0.9)
        f = fits[fits.init == init].iloc[0]
        if np.isfinite(f.exponent):
            labels.append((line, f"$p={f.exponent:.2f}$"))
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel(r"width $N$")
    ax.set_title(r"Var $\log|\partial y/\partial z_1|^2$")
    if labels:
        ax.legend(*zip(*labels), fontsize=6, loc="upper right")


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
    for _, f in data["log_grad_fit"].iterrows():
        key = style.macro_key(f.init)
        out[f"McWidthLogGradExp{key}"] = (
            "--" if not np.isfinite(f.exponent) else
            f"{f.exponent:.2f} \\pm {f.exponent_se:.2f}" if np.isfinite(f.exponent_se)
            else f"{f.exponent:.2f}")
        out[f"McWidthLogGradMaxZ{key}"] = f"{f.max_abs_z:.1f}"
    lg = data["log_grad"]
    use = lg[lg.depth / lg.width <= mc_width.LOG_GRAD_MAX_DEPTH_OVER_WIDTH]
    out["McWidthLogGradMinWidth"] = str(int(use.width.min()))
    out["McWidthLogGradMaxAbsZ"] = f"{float(np.max(np.abs(use.z))):.1f}"
    out["McWidthLogGradCells"] = str(len(use))
    out["McWidthLogGradWithinThree"] = str(int(np.sum(np.abs(use.z) <= 3)))
    out["McWidthLogGradDepth"] = str(int(lg.depth.iloc[0]))
    # the spread at the training experiments' width, 64 (the smallest width when 64 was not run)
    sd_width = TRAINING_WIDTH if (lg.width == TRAINING_WIDTH).any() else int(lg.width.min())
    out["McWidthLogGradSdWidth"] = str(sd_width)
    for init in ("edge_of_chaos", "siren"):
        r = lg[(lg.init == init) & (lg.width == sd_width)]
        key = style.macro_key(init)
        out[f"McWidthLogGradSd{key}"] = (f"{float(np.sqrt(r.measured.iloc[0])):.2f}"
                                         if not r.empty else "--")
        out[f"McWidthLogGradSdTheory{key}"] = (f"{float(np.sqrt(r.predicted.iloc[0])):.2f}"
                                               if not r.empty else "--")
    dev = data["deviation"]
    z = (dev.signed_deviation - dev.predicted_deviation) / dev.noise
    out["McWidthTheoryCells"] = str(len(dev))
    out["McWidthTheoryWithinThree"] = str(int(np.sum(np.abs(z) <= 3)))
    out["McWidthTheoryMaxAbsZ"] = f"{float(np.max(np.abs(z))):.1f}"
    out["McWidthMin"] = str(int(widths[0]))
    out["McWidthMax"] = str(int(widths[-1]))
    return out
