"""NTK eigen-spectra of every registered initializer for fully connected layers.

Each initializer of :func:`analysis.propagate.mc_inits` builds networks with its own laws
(:meth:`models.mlp.Ensemble.from_init`) and the activation it is meant for; the empirical NTK
divided by the width on P inputs uniform on [-1, 1]^2 is diagonalised in float64
(:func:`analysis.ntk.spectrum_summary`). Left: sorted eigenvalues over the mean eigenvalue;
right: the effective rank (entropy) and the fitted power-law decay exponent, averaged over
networks.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from initaudit.analysis.experiment import run_experiment
from initaudit.analysis.experiments import ntk_spectra
from initaudit.analysis.presets import check_preset
from initaudit.figures import style

NAME = "ntk_spectra"
CAPTION = (
    r"Eigenvalues of the empirical NTK ($\Theta/N$) at initialisation for every initialiser of "
    r"fully connected layers in the catalogue (each with the activation it is meant for), "
    r"sorted and divided by their mean, down to the float64 resolution "
    r"$\lambda_{\max} P\varepsilon$. Right: entropy effective rank and the power-law exponent "
    r"$\alpha$ of $\lambda_i\propto i^{-\alpha}$, fitted from index 2 to the last eigenvalue "
    r"above $10^{-6}\lambda_{\max}$ (means over networks)."
)

def _color(init: str, i: int) -> str:
    del i  # every initialiser has its catalogue colour
    return style.color(init)


def _macro_key(init: str) -> str:
    words = init.replace("1", "_one").split("_")
    return "".join(w.title() for w in words if w)


def compute(preset: str) -> dict[str, pd.DataFrame]:
    """``{"eigenvalues", "summary"}`` of the ``ntk-spectra`` experiment."""
    summary = run_experiment(ntk_spectra.NAME, check_preset(preset), progress=True).summary
    return {"eigenvalues": summary["eigenvalues"], "summary": summary["summary"]}


def plot(data: dict[str, pd.DataFrame]) -> plt.Figure:
    style.apply()
    eig, summ = data["eigenvalues"], data["summary"]
    fig, (ax, ax_b) = plt.subplots(1, 2, figsize=(7.2, 3.2), gridspec_kw={"width_ratios": [3, 2]})
    inits = list(dict.fromkeys(summ.init))
    for i, init in enumerate(inits):
        e = eig[(eig.init == init) & (eig.seed == 0)]
        # below max * P * eps an eigenvalue is a rounding error, not part of the spectrum
        floor = float(summ[(summ.init == init) & (summ.seed == 0)].condition_floor.iloc[0])
        e = e[e.eigenvalue > floor]
        act = summ[summ.init == init].activation.iloc[0]
        ax.plot(e["index"], e.normalised, color=_color(init, i), lw=1.0,
                label=f"{init.replace('_', ' ')} ({act})")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("index $i$")
    ax.set_ylabel(r"$\lambda_i / \bar\lambda$")
    ax.legend(fontsize=5.5, ncol=2, loc="lower left")
    agg = summ.groupby("init", sort=False).agg(rank=("effective_rank", "mean"),
                                                decay=("decay_exponent", "mean")).reindex(inits)
    ypos = np.arange(len(inits))
    ax_b.barh(ypos, agg["rank"], color=[_color(n, i) for i, n in enumerate(inits)])
    ax_b.set_yticks(ypos)
    ax_b.set_yticklabels([n.replace("_", " ") for n in inits], fontsize=6)
    ax_b.invert_yaxis()
    ax_b.set_xscale("log")
    ax_b.set_xlabel("effective rank (entropy)")
    for y, (r, d) in zip(ypos, agg.itertuples(index=False)):
        ax_b.text(r, y, f" {r:.3g}, $\\alpha={d:.2g}$", va="center", fontsize=5.5)
    e0 = summ.iloc[0]
    fig.suptitle(f"depth {int(e0.depth)}, width {int(e0.width)}, $P={int(e0.n)}$", fontsize=8)
    fig.tight_layout()
    return fig


def macros(data: dict[str, pd.DataFrame]) -> dict[str, str]:
    """Per initializer: effective rank, participation ratio, decay exponent (mean over networks)."""
    out = {}
    agg = data["summary"].groupby("init", sort=False).agg(
        rank=("effective_rank", "mean"), pr=("participation_ratio", "mean"),
        decay=("decay_exponent", "mean"))
    for init, row in agg.iterrows():
        key = _macro_key(init)
        out[f"NtkSpectraRank{key}"] = f"{row['rank']:.3g}"
        out[f"NtkSpectraParticipation{key}"] = f"{row.pr:.3g}"
        out[f"NtkSpectraDecay{key}"] = f"{row.decay:.2f}" if np.isfinite(row.decay) else "--"
    s0 = data["summary"].iloc[0]
    out["NtkSpectraPoints"] = str(int(s0.n))
    out["NtkSpectraWidth"] = str(int(s0.width))
    out["NtkSpectraDepth"] = str(int(s0.depth))
    return out
