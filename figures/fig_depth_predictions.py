"""Predicted q_l and cumulative squared-gradient ratio vs depth 1..32 for the published inits.

Each initialiser is a :class:`theory.spec.NetworkSpec` (d = 2 inputs, omega_0 = 30), predicted
for one input ``x = (1, 1)/sqrt(3)`` (``|x|^2/d = 1/3``, the mean over the uniform law on
[-1, 1]^2) by :func:`theory.predict.predict` under the exact law (solid: the laws drawn) and the
Gaussian law (thin: the textbook mean field). The sigma_a = 0 curve is drawn with its power-law
asymptote (:func:`theory.sine.sigma_a0_asymptote`).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from initaudit.analysis.presets import check_preset
from initaudit.figures import style
from initaudit.models import catalogue
from initaudit.theory import sine, spec
from initaudit.theory.laws import LAWS
from initaudit.theory.predict import predict

NAME = "depth_predictions"
CAPTION = (
    r"Infinite-width predictions layer by layer for a 2-D input with $|x|^2/d=1/3$ and "
    r"$\omega_0=30$, under the laws the initialisers draw (exact law, markers) and the Gaussian "
    r"law (thin lines). Left: pre-activation variance $q_\ell$. Right: predicted ratio of squared "
    r"gradient norms $\prod_{m<\ell}\chi_m = \mathbb E|\partial y/\partial z_1|^2/"
    r"\mathbb E|\partial y/\partial z_{\ell}|^2$ between the first and the $\ell$-th sine layer. "
    r"Dashed: the power-law asymptote at "
    r"$\sigma_a=0$, where $q_\ell\sim 1/\ell$ and the gradient ratio decays like $1/\ell$."
)

_DEPTH = {"smoke": 8, "cpu": 32, "paper": 32}
D_IN = 2
OMEGA0 = 30.0
INPUT_SQNORM_PER_DIM = 1.0 / 3.0  # E[x_i^2] for x_i ~ U(-1, 1)


#: Curves: key -> (catalogue initialiser, hidden width N).
CURVES = {"siren_256": ("siren", 256), "siren_1024": ("siren", 1024),
          "siren_port": ("siren_port", 256), "edge_of_chaos": ("edge_of_chaos", 256),
          "edge_of_chaos_sigma_a1": ("edge_of_chaos_sigma_a1", 256)}


def _specs(depth: int) -> dict[str, spec.NetworkSpec]:
    """The catalogue spec of every curve (SIREN: first and hidden omega_0 = 30)."""
    return {key: catalogue.spec(init, D_IN, width, depth, omega0=OMEGA0)
            for key, (init, width) in CURVES.items()}


def _look(key: str) -> dict:
    """Colour, label and line style of a curve: its initialiser's, with the width where the
    figure shows two."""
    init, width = CURVES.get(key, (key, None))
    two = sum(1 for i, _ in CURVES.values() if i == init) > 1
    label = style.label(init) + (f", $N={width}$" if two else "")
    ls = "--" if two and width != min(w for i, w in CURVES.values() if i == init) else "-"
    return dict(color=style.color(init), label=label, ls=ls)


def compute(preset: str) -> pd.DataFrame:
    """Tidy frame: init, law ("exact", "gaussian"), layer, q, chi, log_grad_ratio, kind
    ("prediction" or "asymptote")."""
    depth = _DEPTH[check_preset(preset)]
    rows = []
    x = np.full((1, D_IN), np.sqrt(INPUT_SQNORM_PER_DIM))
    for name, net in _specs(depth).items():
        for law in LAWS:
            pred = predict(net, x, law=law)
            # Ratio between z_1 and z_l: the chi of layers 1..l-1 (the readout's chi is
            # excluded, since it only sets the overall output scale).
            log_ratio = np.concatenate([[0.0], np.cumsum(np.log(pred["chi"][0, :-1]))])
            for i in range(depth):
                rows.append({"init": name, "law": law, "layer": i + 1, "q": pred["q"][0, i],
                             "chi": pred["chi"][0, i], "log_grad_ratio": log_ratio[i],
                             "kind": "prediction"})
    # The sigma_a = 0 asymptote, started at layer 2 (q_2 is the first hidden-layer variance;
    # from there on every layer has sigma_w^2 = 1 and no bias), from the exact-law q_2.
    eoc = [r for r in rows if r["init"] == "edge_of_chaos" and r["law"] == "exact"]
    q2, base = eoc[1]["q"], eoc[1]["log_grad_ratio"]
    steps = np.arange(1, depth)  # asymptote index m: layer m + 1
    q_as, ratio_as = sine.sigma_a0_asymptote(steps, q2)
    log_ratio_as = base + np.concatenate([[0.0], np.log(ratio_as[:-1])])
    for m, qa, lr in zip(steps, q_as, log_ratio_as):
        rows.append({"init": "edge_of_chaos", "law": "exact", "layer": int(m) + 1, "q": qa,
                     "chi": np.nan, "log_grad_ratio": lr, "kind": "asymptote"})
    return pd.DataFrame(rows)


def plot(data: pd.DataFrame) -> plt.Figure:
    style.apply()
    fig, (ax_q, ax_g) = plt.subplots(1, 2, figsize=(7.2, 3.0))
    pred = data[data.kind == "prediction"]
    for name, grp in pred[pred.law == "exact"].groupby("init", sort=False):
        kw = dict(**_look(name), lw=1.4, marker="o", ms=2.5)
        ax_q.plot(grp.layer, grp.q, **kw)
        ax_g.plot(grp.layer, np.exp(grp.log_grad_ratio), **kw)
    for name, grp in pred[pred.law == "gaussian"].groupby("init", sort=False):
        look = _look(name)
        kw = dict(color=look["color"], ls=look["ls"], lw=0.7, alpha=0.8)
        ax_q.plot(grp.layer, grp.q, **kw)
        ax_g.plot(grp.layer, np.exp(grp.log_grad_ratio), **kw)
    asym = data[data.kind == "asymptote"]
    ax_q.plot(asym.layer, asym.q, color="black", ls="--", lw=0.9, label=r"asymptote, $\sigma_a=0$")
    ax_g.plot(asym.layer, np.exp(asym.log_grad_ratio), color="black", ls="--", lw=0.9)
    for ax in (ax_q, ax_g):
        ax.set_yscale("log")
        ax.set_xlabel(r"layer $\ell$")
    ax_q.set_ylabel(r"$q_\ell$")
    ax_g.set_ylabel(r"$\prod_{m<\ell}\chi_m$")
    ax_g.axhline(1.0, color="grey", lw=0.6)
    ax_q.legend(loc="best")
    fig.tight_layout()
    return fig


def macros(data: pd.DataFrame) -> dict[str, str]:
    """Per curve, at the last layer: the gradient ratio and q under the exact law, and the
    gradient ratio under the Gaussian law (``...Gauss``)."""
    pred = data[data.kind == "prediction"]
    deepest = int(pred.layer.max())
    tags = {"siren_256": "SirenTwoFiftySix", "siren_1024": "SirenTenTwentyFour",
            "siren_port": "SirenPort", "edge_of_chaos": "SigmaAZero",
            "edge_of_chaos_sigma_a1": "SigmaAOne"}
    out = {"DepthMax": f"{deepest}"}
    for law, suffix in (("exact", ""), ("gaussian", "Gauss")):
        last = pred[(pred.layer == deepest) & (pred.law == law)].set_index("init")
        for name, tag in tags.items():
            out[f"DepthGradRatio{suffix}{tag}"] = f"{np.exp(last.loc[name, 'log_grad_ratio']):.3g}"
            if not suffix:
                out[f"DepthQLast{tag}"] = f"{last.loc[name, 'q']:.3g}"
    return out
