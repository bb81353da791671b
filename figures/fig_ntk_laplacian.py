"""The kernel of the Poisson residual loss, ``Lap_x Lap_x' Theta``, against its infinite-width limit.

Left: the relative Frobenius distance of each network's kernel to the exact-law limit
(:func:`theory.kernels.laplacian_ntk`) against the width, mean and standard error over networks,
with the fitted power law, and the distance of the networks' mean kernel (open markers). Right:
the eigenvalues of the limit kernel (lines) and of the networks' mean kernel at the largest width
(markers), each over its trace: how fast the residual's components are learned, relative to the
first (:mod:`analysis.experiments.ntk_laplacian`).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from initaudit.analysis.experiment import run_experiment
from initaudit.analysis.experiments import ntk_laplacian
from initaudit.analysis.presets import check_preset
from initaudit.figures import style, text

NAME = "ntk_laplacian"
CAPTION = (
    r"The kernel of the Poisson experiment's residual loss, "
    r"$\Theta_\Delta(x,x')=\Delta_x\Delta_{x'}\Theta(x,x')$, for the Poisson experiment's own "
    r"networks at initialisation. Left: relative Frobenius distance "
    r"$\|\Theta_\Delta/N-\Theta_{\Delta,\infty}\|_F/\|\Theta_{\Delta,\infty}\|_F$ to the "
    r"infinite-width limit under the laws drawn (exact law) against the width: filled, single "
    r"networks (mean $\pm$ standard error; lines, least-squares fits $\propto N^p$); open, the "
    r"networks' mean kernel. Right: eigenvalues over the trace, limit (lines) and networks' mean "
    r"kernel at the largest width (markers)."
)


def compute(preset: str) -> dict[str, pd.DataFrame]:
    """``{"summary", "fit", "eigenvalues"}`` of the ``ntk-laplacian`` experiment."""
    s = run_experiment(ntk_laplacian.NAME, check_preset(preset), progress=True).summary
    return {"summary": s["summary"], "fit": s["fit"], "eigenvalues": s["eigenvalues"]}


def plot(data: dict[str, pd.DataFrame]) -> plt.Figure:
    style.apply()
    summ, fit, eig = data["summary"], data["fit"], data["eigenvalues"]
    fig, (ax_d, ax_e) = plt.subplots(1, 2, figsize=(7.2, 3.0))
    top = int(summ.width.max())
    for init, s in summ.groupby("init", sort=False):
        s = s.sort_values("width")
        color = style.color(init)
        f = fit[fit.init == init]
        lab = style.label(init)
        if not f.empty:
            f = f.iloc[0]
            err = f" \\pm {f.exponent_se:.2f}" if np.isfinite(f.exponent_se) else ""
            lab += f" ($p={f.exponent:.2f}{err}$)"
            w = s.width.to_numpy(float)
            c = np.exp(np.mean(np.log(s.distance)) - f.exponent * np.mean(np.log(w)))
            ax_d.plot(w, c * w ** f.exponent, color=color, lw=0.9)
        ax_d.errorbar(s.width, s.distance, yerr=s.distance_se, fmt=style.marker(init), ms=4,
                      capsize=2, color=color, label=lab)
        ax_d.plot(s.width, s.distance_of_mean, style.marker(init), ms=4, mfc="none", color=color)
        e = eig[(eig.init == init) & (eig.width == top)]
        th, em = e[e.kernel == "theory"], e[e.kernel == "empirical"]
        ax_e.plot(th["index"] + 1, th.share, color=color, lw=1.0)
        ax_e.plot(em["index"] + 1, em.share, style.marker(init), ms=3, mfc="none", color=color,
                  label=style.label(init))
    ax_d.set_xscale("log", base=2)
    ax_d.set_yscale("log")
    ax_d.set_xlabel("width $N$")
    ax_d.set_ylabel(r"relative distance to $\Theta_{\Delta,\infty}$")
    ax_d.legend(fontsize=6)
    ax_e.set_yscale("log")
    ax_e.set_ylim(max(1e-12, float(eig.share[eig.share > 0].min()) / 2), 1.0)
    ax_e.set_xlabel("eigenvalue index $k$")
    ax_e.set_ylabel(r"$\lambda_k/\mathrm{tr}\,\Theta_\Delta$")
    ax_e.set_title(f"width $N={top}$ (markers) and the limit (lines)", fontsize=8)
    ax_e.legend(fontsize=6)
    fig.tight_layout()
    return fig


def macros(data: dict[str, pd.DataFrame]) -> dict[str, str]:
    """Per arm: the fitted exponent (``NtkLapExpEoC``), the single-network and mean-kernel
    distances and the diagonal ratio at the largest width, and the limit's eigenvalue share of
    the 10th mode (``NtkLapShareTenEoC``); the sizes and the theory's numerical error."""
    summ, fit, eig = data["summary"], data["fit"], data["eigenvalues"]
    top = int(summ.width.max())
    out = {"NtkLapWidthMin": str(int(summ.width.min())), "NtkLapWidthMax": str(top),
           "NtkLapDepth": str(int(summ.depth.iloc[0])), "NtkLapPoints": str(int(summ.points.iloc[0])),
           "NtkLapNetworks": str(int(summ.n_networks.min())),
           "NtkLapTheoryError": text.tex_number(float(summ.theory_error.max()), 1,
                                                significant=True)}
    for init, s in summ.groupby("init", sort=False):
        key = style.macro_key(init)
        r = s[s.width == top].iloc[0]
        out[f"NtkLapTop{key}"] = f"{r.distance:.2f}"
        out[f"NtkLapTopSe{key}"] = f"{r.distance_se:.2f}"
        out[f"NtkLapTopMean{key}"] = f"{r.distance_of_mean:.2f}"
        out[f"NtkLapDiag{key}"] = f"{r.diag_ratio:.2f}"
        out[f"NtkLapDiagSe{key}"] = f"{r.diag_ratio_se:.2f}"
        f = fit[fit.init == init]
        if not f.empty and np.isfinite(f.iloc[0].exponent_se):
            out[f"NtkLapExp{key}"] = f"{f.iloc[0].exponent:.2f} \\pm {f.iloc[0].exponent_se:.2f}"
        else:
            out[f"NtkLapExp{key}"] = "--"
        th = eig[(eig.init == init) & (eig.width == top) & (eig.kernel == "theory")]
        em = eig[(eig.init == init) & (eig.width == top) & (eig.kernel == "empirical")]
        tenth = th[th["index"] == min(9, len(th) - 1)].share
        out[f"NtkLapShareTen{key}"] = text.tex_number(float(tenth.iloc[0]), 2, significant=True)
        # modes within RANK_FLOOR of the largest: how many residual components are learned at
        # all on the time scale of the first
        for tag, e in (("", th), ("Emp", em)):
            out[f"NtkLapRank{tag}{key}"] = str(int(np.sum(e.eigenvalue > RANK_FLOOR
                                                          * e.eigenvalue.max())))
    out["NtkLapRankFloor"] = text.tex_number(RANK_FLOOR, 0, significant=True)
    return out


#: Eigenvalues counted by the ``NtkLapRank`` macros: above this fraction of the largest.
RANK_FLOOR = 1e-6
