"""Singular values of the end-to-end hidden Jacobian dz_L/dz_1 (the dynamical-isometry question).

For each audited initializer, and orthogonal weights with tanh as the known isometric control
(Pennington, Schoenholz, Ganguli 2017: orthogonal weights and a nearly linear tanh regime),
``J = D_{L-1} ... D_1`` with ``D_l = W_l diag f'(z_l)`` is built for a few networks and inputs
(:func:`analysis.propagate.jacobian_spectrum`); the figure shows the distribution of
``log10(s / s_rms)``, ``s_rms = sqrt(tr(J J^T)/N)`` (left: a narrow distribution is dynamical
isometry), and the measured ``tr(J J^T)/N`` against its mean-field
value ``prod_{m=1}^{L-1} chi_m`` (middle; under the laws the initializers draw,
:func:`theory.predict.predict` with ``law="exact"``), and the depth sweep of the edge-of-chaos
points with i.i.d. and orthogonal hidden weights (right: the normalised variance of ``s^2``
against depth, measured with standard errors over networks and predicted by free probability,
:func:`theory.jacobian.jacobian_moments`).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from initaudit.analysis.experiment import run_experiment
from initaudit.analysis.experiments import mc_jacobian
from initaudit.analysis.presets import check_preset
from initaudit.figures import style, text
from initaudit.models import catalogue

NAME = "mc_jacobian"
CAPTION = (
    r"Singular values $s$ of the hidden input-output Jacobian $J=\partial z_L/\partial z_1$ of "
    r"finite networks. Top: distribution of $\log_{10}(s/s_{\mathrm{rms}})$, "
    r"$s_{\mathrm{rms}}^2=\mathrm{tr}(JJ^\top)/N$, pooled over networks and inputs, for i.i.d.\ "
    r"(left) and orthogonal (right) hidden weights (a narrow "
    r"distribution means dynamical isometry; singular values below the float64 resolution "
    r"$s_{\max}N\epsilon$ (relu units that are off, and the far tail of products of square "
    r"matrices) are left out); dashed: the free-probability density at infinite width under the "
    r"laws drawn (i.i.d.\ and orthogonal hidden weights; smoothed by a Cauchy kernel of relative "
    r"half-width $10^{-4}$); each histogram is a density over all its singular values, the "
    r"zeros and those outside the axis range left out. Bottom left: measured $\mathrm{tr}(JJ^\top)/N$ per "
    r"network and input against the mean-field value $\prod_{m=1}^{L-1}\chi_m$ under the laws the "
    r"initialisers draw (exact law; line: equality). Orthogonal weights with tanh are "
    r"the isometric control. Bottom right: the normalised variance $m_2/m_1^2-1$ of $s^2$ against depth "
    r"for the edge-of-chaos points with i.i.d.\ uniform (the source's rule) and orthogonal hidden "
    r"weights (the package's variant): points, mean over networks $\pm$ one standard error; "
    r"lines, free probability under the laws drawn (exact law)."
)

#: The audited initializers and the isometric control.
CASES = mc_jacobian.CASES


def compute(preset: str) -> dict[str, pd.DataFrame]:
    """``{"singular_values": ..., "summary": ...}`` of the ``mc-jacobian`` experiment."""
    summary = run_experiment(mc_jacobian.NAME, check_preset(preset), progress=True).summary
    return {k: summary[k] for k in ("singular_values", "summary", "density_theory", "depth_sweep",
                                    "depth_theory", "depth_limit") if k in summary}


def _theory(m: pd.DataFrame) -> np.ndarray:
    """The exact-law prediction."""
    return m.predicted_mean_s2.to_numpy()


def plot(data: dict[str, pd.DataFrame]) -> plt.Figure:
    style.apply()
    sv, summ = data["singular_values"], data["summary"]
    sweep = "depth_sweep" in data
    fig, axes = plt.subplots(2, 2, figsize=(7.2, 5.8))
    ax_iid, ax_orth, ax_m, ax_d = axes.ravel()
    # one set of bins for every initialiser over the theory's range, and a log axis: the
    # isometric control's narrow peak and the wide i.i.d. distributions stay readable side by
    # side; each histogram is a density over all of its singular values, so what lies outside the
    # range is left out, not renormalised
    lo_y, hi_y = mc_jacobian.DENSITY_LOG10_RANGE
    bins = np.linspace(lo_y, hi_y, 56)
    for init in dict.fromkeys(sv.init):
        s = sv[sv.init == init].merge(summ[summ.init == init][["network", "input", "mean_s2"]],
                                      on=["network", "input"])
        act, total = s.activation.iloc[0], len(s)
        s = s[~s.zero]  # numerical zeros (below float64 resolution) have no logarithm
        logr = np.log10(s.singular_value / np.sqrt(s.mean_s2)).to_numpy()
        color = style.color(init)
        lab = f"{style.label(init)} ({act})"
        ax = ax_orth if catalogue.get(init).matrix == "orthogonal" else ax_iid
        ax.hist(logr, bins=bins, weights=np.full(logr.size, 1.0 / (total * (bins[1] - bins[0]))),
                histtype="step", color=color, lw=1.1, label=lab)
        if "density_theory" in data:  # free probability, laws drawn (dashed)
            t = data["density_theory"]
            t = t[(t.init == init) & np.isfinite(t.density)]
            ax.plot(t.log10_ratio, t.density, color=color, lw=0.9, ls="--")
        m = summ[summ.init == init]
        ax_m.plot(_theory(m), m.mean_s2, "o", ms=3, color=color, label=lab)
    both = np.concatenate([_theory(summ), summ.mean_s2.to_numpy()])
    lo, hi = np.nanmin(both), np.nanmax(both)
    ax_m.plot([lo, hi], [lo, hi], color="black", lw=0.8)
    ax_m.set_xscale("log")
    ax_m.set_yscale("log")
    ax_m.set_xlabel(r"theory $\prod_{m=1}^{L-1}\chi_m$")
    ax_m.set_ylabel(r"measured $\mathrm{tr}(JJ^\top)/N$")
    meta = sv.iloc[0]
    for ax, what in ((ax_iid, "i.i.d. hidden weights"), (ax_orth, "orthogonal hidden weights")):
        ax.set_xlabel(r"$\log_{10}(s/s_{\mathrm{rms}})$")
        ax.set_ylabel("density")
        ax.set_yscale("log")
        ax.set_ylim(1e-3, None)
        ax.set_xlim(lo_y, hi_y)
        ax.legend(fontsize=6, loc="upper left")
        ax.set_title(f"{what}; depth {int(meta.depth)}, $N={int(meta.width)}$", fontsize=8)
    ax_m.set_title("mean squared singular value", fontsize=8)
    if sweep:
        _plot_depth(ax_d, data["depth_sweep"], data["depth_theory"])
    else:
        ax_d.set_visible(False)
    fig.tight_layout()
    return fig


def _plot_depth(ax, sweep: pd.DataFrame, theory: pd.DataFrame) -> None:
    """Normalised variance against depth: measured (points, one standard error) and free
    probability (lines)."""
    for init, g in sweep.groupby("init", sort=False):
        t = theory[theory.init == init]
        ax.plot(t.depth, t.predicted, color=style.color(init), ls=style.linestyle(init), lw=1.0)
        ax.errorbar(g.depth, g.measured, yerr=g.se, fmt=style.marker(init), ms=3.5, capsize=2,
                    color=style.color(init), label=style.label(init))
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("depth $L$")
    ax.set_ylabel(r"normalised variance $m_2/m_1^2-1$ of $s^2$")
    ax.set_title(f"width $N={int(sweep.width.iloc[0])}$, lines: free probability", fontsize=8)
    ax.legend(fontsize=6, loc="upper left")


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
        if "density_theory" in data:  # the theory's share of s inside the histograms' range
            t = data["density_theory"]
            t = t[t.init == init]
            if np.all(np.isfinite(t.density)):
                out[f"McJacTheoryInRange{key}"] = text.fmt(
                    float(np.trapezoid(t.density, t.log10_ratio)), 2)
    meta = summ.iloc[0]
    out["McJacDepth"] = str(int(meta.depth))
    out["McJacWidth"] = str(int(meta.width))
    if "depth_sweep" in data:
        out.update(_sweep_macros(data["depth_sweep"], data["depth_theory"]))
        lim = data["depth_limit"].set_index("depth").predicted
        out["McJacLimitDepth"] = f"{int(lim.index.max()):,}".replace(",", "{,}")
        out["McJacLimitEoCOrth"] = text.tex_number(float(lim.iloc[-1]), 3, significant=True)
    return out


def _sweep_macros(sweep: pd.DataFrame, theory: pd.DataFrame) -> dict[str, str]:
    """The depth sweep: its depths, width and networks; per init the measured and predicted
    normalised variance at the deepest depth, the largest |z| over depths, and the theory's
    growth per layer over the deepest half of the sweep."""
    out = {"McJacSweepDepths": text.list_words([str(d) for d in sorted(set(sweep.depth))]),
           "McJacSweepDeepest": str(int(sweep.depth.max())),
           "McJacSweepWidth": str(int(sweep.width.iloc[0])),
           "McJacSweepNetworks": str(int(sweep.n_networks.min())),
           "McJacSweepMaxAbsZ": text.fmt(float(np.nanmax(np.abs(sweep.z))), 1)}
    for init, g in sweep.groupby("init", sort=False):
        key = style.macro_key(init)
        deep = g[g.depth == g.depth.max()].iloc[0]
        t = theory[theory.init == init].set_index("depth").predicted
        half = max(int(t.index.max()) // 2, int(t.index.min()))
        out[f"McJacSweepNv{key}"] = text.tex_number(float(deep.measured), 3, significant=True)
        out[f"McJacSweepNvSe{key}"] = text.tex_number(float(deep.se), 2, significant=True)
        out[f"McJacSweepNvTheory{key}"] = text.tex_number(float(deep.predicted), 3,
                                                          significant=True)
        out[f"McJacSweepSlope{key}"] = text.tex_number(
            float((t.iloc[-1] - t.loc[half]) / max(t.index.max() - half, 1)), 2, significant=True)
    return out
