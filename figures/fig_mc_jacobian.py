"""Singular values of the end-to-end hidden Jacobian dz_L/dz_1 (the dynamical-isometry question).

For each audited initializer, and orthogonal weights with tanh as the known isometric control
(Pennington, Schoenholz, Ganguli 2017: orthogonal weights and a nearly linear tanh regime),
``J = D_{L-1} ... D_1`` with ``D_l = W_l diag f'(z_l)`` is built for a few networks and inputs
(:func:`analysis.propagate.jacobian_spectrum`); the figure shows the distribution of
``log10(s / s_rms)``, ``s_rms = sqrt(tr(J J^T)/N)`` (left: a narrow distribution is dynamical
isometry), and the measured ``tr(J J^T)/N`` against its mean-field
value ``prod_{m=1}^{L-1} chi_m`` (right; under the laws the initializers draw,
:func:`theory.predict.predict` with ``law="exact"``).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from initaudit.analysis.experiment import run_experiment
from initaudit.analysis.experiments import mc_jacobian
from initaudit.analysis.presets import check_preset
from initaudit.figures import style, text

NAME = "mc_jacobian"
CAPTION = (
    r"Singular values $s$ of the hidden input-output Jacobian $J=\partial z_L/\partial z_1$ of "
    r"finite networks. Left: distribution of $\log_{10}(s/s_{\mathrm{rms}})$, "
    r"$s_{\mathrm{rms}}^2=\mathrm{tr}(JJ^\top)/N$, pooled over networks and inputs (a narrow "
    r"distribution means dynamical isometry; singular values below the float64 resolution "
    r"$s_{\max}N\epsilon$ (relu units that are off, and the far tail of products of square "
    r"matrices) are left out). Right: measured $\mathrm{tr}(JJ^\top)/N$ per "
    r"network and input against the mean-field value $\prod_{m=1}^{L-1}\chi_m$ under the laws the "
    r"initialisers draw (exact law; line: equality). Orthogonal weights with tanh are "
    r"the isometric control."
)

#: The audited initializers and the isometric control.
CASES = mc_jacobian.CASES


def compute(preset: str) -> dict[str, pd.DataFrame]:
    """``{"singular_values": ..., "summary": ...}`` of the ``mc-jacobian`` experiment."""
    summary = run_experiment(mc_jacobian.NAME, check_preset(preset), progress=True).summary
    return {"singular_values": summary["singular_values"], "summary": summary["summary"]}


def _theory(m: pd.DataFrame) -> np.ndarray:
    """The exact-law prediction."""
    return m.predicted_mean_s2.to_numpy()


def plot(data: dict[str, pd.DataFrame]) -> plt.Figure:
    style.apply()
    sv, summ = data["singular_values"], data["summary"]
    fig, (ax_h, ax_m) = plt.subplots(1, 2, figsize=(7.2, 2.9))
    logs = {}
    for init in dict.fromkeys(sv.init):
        s = sv[sv.init == init].merge(summ[summ.init == init][["network", "input", "mean_s2"]],
                                      on=["network", "input"])
        s = s[~s.zero]  # numerical zeros (below float64 resolution) have no logarithm
        logs[init] = (np.log10(s.singular_value / np.sqrt(s.mean_s2)), s.activation.iloc[0])
    every = np.concatenate([v for v, _ in logs.values()])
    # one set of bins for every initialiser, and a log axis: the isometric control's narrow peak
    # and the wide i.i.d. distributions stay readable side by side
    bins = np.linspace(float(np.min(every)), float(np.max(every)), 61)
    for init in dict.fromkeys(sv.init):
        color = style.color(init)
        logr, act = logs[init]
        lab = f"{style.label(init)} ({act})"
        ax_h.hist(logr, bins=bins, density=True, histtype="step", color=color, lw=1.1, label=lab)
        m = summ[summ.init == init]
        ax_m.plot(_theory(m), m.mean_s2, "o", ms=3, color=color, label=lab)
    both = np.concatenate([_theory(summ), summ.mean_s2.to_numpy()])
    lo, hi = np.nanmin(both), np.nanmax(both)
    ax_m.plot([lo, hi], [lo, hi], color="black", lw=0.8)
    ax_m.set_xscale("log")
    ax_m.set_yscale("log")
    ax_m.set_xlabel(r"theory $\prod_{m=1}^{L-1}\chi_m$")
    ax_m.set_ylabel(r"measured $\mathrm{tr}(JJ^\top)/N$")
    ax_h.set_xlabel(r"$\log_{10}(s/s_{\mathrm{rms}})$")
    ax_h.set_ylabel("density")
    ax_h.set_yscale("log")
    ax_h.legend(fontsize=6, loc="upper left")
    meta = sv.iloc[0]
    fig.suptitle(f"depth {int(meta.depth)}, width $N={int(meta.width)}$", fontsize=8)
    fig.tight_layout()
    return fig


def macros(data: dict[str, pd.DataFrame]) -> dict[str, str]:
    """Per init: the spread of log10 s over the non-zero singular values (mean over networks and
    inputs), the fraction of singular values within a factor 2 of s_rms, the fraction of exact
    zeros, and measured / predicted tr(J J^T)/N (median; law-exact and Gaussian theory)."""
    out = {}
    summ = data["summary"]
    for init, m in summ.groupby("init", sort=False):
        key = style.macro_key(init)
        out[f"McJacSpread{key}"] = f"{m.log10_spread.mean():.2f}"
        out[f"McJacWithinTwo{key}"] = f"{m.frac_within_2x.mean():.2f}"
        out[f"McJacZero{key}"] = f"{m.frac_zero.mean():.2f}"
        out[f"McJacTraceRatio{key}"] = f"{np.median(m.mean_s2 / _theory(m)):.2f}"
        out[f"McJacTraceRatioGauss{key}"] = (
            f"{np.median(m.mean_s2 / m.predicted_mean_s2_gaussian):.2f}")
        # normalised variance m_2/m_1^2 - 1 of s^2: measured (mean over networks and inputs)
        # and by free probability (theory.jacobian)
        out[f"McJacNv{key}"] = text.tex_number(float(m.normalized_variance.mean()), 3,
                                               significant=True)
        out[f"McJacNvTheory{key}"] = text.tex_number(
            float(m.predicted_normalized_variance.mean()), 3, significant=True, missing="--")
    meta = summ.iloc[0]
    out["McJacDepth"] = str(int(meta.depth))
    out["McJacWidth"] = str(int(meta.width))
    return out
