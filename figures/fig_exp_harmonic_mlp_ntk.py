"""The empirical NTK of HarmonicMLP at initialisation, plain and preconditioned by its
frequency-aware scaling, against the ReLU MLP of the same widths; and the Gram spectra of its
weight matrices against the Marchenko-Pastur law (:mod:`analysis.experiments.harmonic_mlp_ntk`).

Panels: (a) eigenvalues of the full (P k) x (P k) kernel divided by their mean, against their
rank (median over seeds, band from the smallest to the largest seed); (b) the same without the
normalisation (the scaling shrinks the kernel); (c) and (d) the normalised Gram eigenvalues of
the first two weight matrices (all seeds pooled) with the Marchenko-Pastur density of an i.i.d.
matrix of the same shape.
"""

from __future__ import annotations

import re

import matplotlib.pyplot as plt
import numpy as np

from initaudit.analysis.experiment import run_experiment
from initaudit.analysis.presets import check_preset
from initaudit.analysis.spectrum import mp_pdf, mp_support
from initaudit.figures import style, text

NAME = "exp_harmonic_mlp_ntk"
CAPTION = (
    r"Empirical NTK of HarmonicMLP at initialisation (eval mode) on MNIST test images. (a) "
    r"Eigenvalues of the full kernel over their mean against their rank for the plain kernel "
    r"$J J^\top$, the kernel $J P J^\top$ preconditioned by the frequency-aware gradient "
    r"scaling $P$, and the ReLU MLP of the same widths (line: median over seeds; band: range "
    r"over seeds). (b) The same eigenvalues unnormalised. (c, d) Normalised Gram eigenvalues of "
    r"the first and second weight matrices (histograms, all seeds) against the "
    r"Marchenko-Pastur density of an i.i.d.\ matrix of the same shape (line)."
)

_CURVES = (("harmonic", "plain", "black", "HarmonicMLP, $JJ^\\top$"),
           ("harmonic", "preconditioned", "#D55E00", "HarmonicMLP, $JPJ^\\top$"),
           ("relu-mlp", "plain", "#0072B2", "ReLU MLP, $JJ^\\top$"))


def compute(preset: str) -> dict:
    """The experiment's summary at ``preset`` (packaged MNIST; no fallback)."""
    return run_experiment("harmonic-mlp-ntk", check_preset(preset), progress=True).summary


def _spectrum_band(ax, eig, arm, kernel, col, color, label):
    sub = eig[(eig.arm == arm) & (eig.kernel == kernel) & (eig.output == "full")]
    if sub.empty:
        return
    piv = sub.pivot_table(index="index", columns="seed", values=col)
    vals = piv.to_numpy(float)
    vals = np.where(vals > 0, vals, np.nan)
    x = piv.index.to_numpy()
    ax.plot(x, np.nanmedian(vals, axis=1), color=color, lw=1.1, label=label)
    ax.fill_between(x, np.nanmin(vals, axis=1), np.nanmax(vals, axis=1), color=color, alpha=0.2,
                    lw=0)


def plot(data: dict) -> plt.Figure:
    style.apply()
    fig, axes = plt.subplots(2, 2, figsize=(7.6, 5.8))
    (a, b), (c, d) = axes
    eig = data["eigenvalues"]
    for arm, kernel, color, label in _CURVES:
        _spectrum_band(a, eig, arm, kernel, "normalised", color, label)
        _spectrum_band(b, eig, arm, kernel, "eigenvalue", color, label)
    for ax, title in ((a, "(a) NTK spectrum / mean"), (b, "(b) NTK spectrum")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("rank $i$")
        ax.set_title(title, loc="left")
        ax.legend(fontsize=6.5, loc="lower left")
    a.set_ylabel(r"$\lambda_i / \bar\lambda$")
    b.set_ylabel(r"$\lambda_i$")
    gram = data["gram"]
    layers = list(dict.fromkeys(gram.layer))
    for ax, layer, tag in ((c, layers[0] if layers else None, "(c)"),
                           (d, layers[1] if len(layers) > 1 else None, "(d)")):
        if layer is None:
            ax.set_axis_off()
            continue
        sub = gram[gram.layer == layer]
        ratio = float(sub.ratio.iloc[0])
        lo, hi = mp_support(ratio)
        top = max(hi * 1.05, float(sub.eigenvalue.max()) * 1.02)
        bins = np.linspace(0.0, top, 60)
        for arm, color, label in (("harmonic", "black", "HarmonicMLP"),
                                  ("relu-mlp", "#0072B2", "ReLU MLP (same draws)")):
            v = sub[sub.arm == arm].eigenvalue.to_numpy(float)
            if v.size:
                ax.hist(v, bins=bins, density=True, histtype="step", color=color, lw=1.0,
                        label=label)
        grid = np.linspace(max(lo, 1e-6), hi, 400)
        ax.plot(grid, mp_pdf(grid, ratio), color="#D55E00", lw=1.0, ls="--",
                label="Marchenko-Pastur")
        ax.set_yscale("log")
        ax.set_xlabel("normalised Gram eigenvalue")
        ax.set_ylabel("density")
        ax.set_title(f"{tag} weights {layer}", loc="left", fontsize=8)
        ax.legend(fontsize=6.5)
    s = data["settings"]
    fig.suptitle(f"{s['data']} ({s['source']}), P = {s['n_points']}, widths {s['hidden']}, "
                 f"{s['seeds']} seeds", fontsize=8)
    fig.tight_layout()
    return fig


def _fmt(v: float, spec: str = ".2f") -> str:
    """``spec`` as in ``format``: an optional ``+``, ``.N`` and ``f`` (decimals) or ``g``
    (significant digits), set by :func:`initaudit.figures.text.tex_number`."""
    m = re.fullmatch(r"(\+?)\.(\d+)([fg])", spec)
    if m is None:
        raise ValueError(f"unsupported number format {spec!r}; valid are [+].N f or g")
    return text.tex_number(v, int(m.group(2)), significant=m.group(3) == "g",
                           signed=bool(m.group(1)))


def macros(data: dict) -> dict[str, str]:
    """Sizes; per kernel the mean log10 condition number, effective rank and top share; the
    preconditioned/plain trace ratio and condition change; the weights' outliers."""
    s = data["settings"]
    ev = data["evidence"]
    out = {"HmlpntkPoints": str(s["n_points"]), "HmlpntkSeeds": str(s["seeds"]),
           "HmlpntkKernelSide": str(s["n_points"] * 10)}
    t = data["table"]
    for arm, kernel, stem in (("harmonic", "plain", "Harmonic"),
                              ("harmonic", "preconditioned", "HarmonicPre"),
                              ("relu-mlp", "plain", "Relu")):
        r = t[(t.arm == arm) & (t.kernel == kernel) & (t.output == "full")]
        if r.empty:
            continue
        r = r.iloc[0]
        out[f"HmlpntkCond{stem}"] = _fmt(r.log10_condition, ".1f")
        out[f"HmlpntkErank{stem}"] = _fmt(r.effective_rank, ".0f")
        out[f"HmlpntkTopShare{stem}"] = _fmt(r.top_share, ".2f")
        out[f"HmlpntkMeanEig{stem}"] = _fmt(r["mean"], ".3g")
    for key, stem, spec in (("ntk_precond_trace_ratio_harmonic", "TraceRatio", ".3f"),
                            ("ntk_precond_log10_condition_change_harmonic", "CondChange", "+.3f"),
                            ("ntk_log10_condition_harmonic_minus_relu", "CondDiff", "+.2f"),
                            ("ntk_effective_rank_harmonic_minus_relu", "ErankDiff", "+.1f"),
                            ("weight_mp_edge_ratio_harmonic_minus_relu_layer1", "EdgeDiff",
                             "+.3f")):
        if key in ev:
            r = ev[key]
            out[f"Hmlpntk{stem}"] = _fmt(r["mean"], spec)
            out[f"Hmlpntk{stem}Lo"] = _fmt(r["lo"], spec)
            out[f"Hmlpntk{stem}Hi"] = _fmt(r["hi"], spec)
    for i, layer in enumerate(s.get("layers", [])[:2]):
        tag = ("One", "Two")[i]
        out[f"HmlpntkWidth{tag}"] = str(layer["width"])
        out[f"HmlpntkAtMax{tag}"] = str(layer["at_max"])
        out[f"HmlpntkMaxFreq{tag}"] = f"{layer['max_freq']:g}"
        out[f"HmlpntkScaleFirst{tag}"] = f"{layer['s_first']:.2f}"
    w = data["weights_table"]
    layers = list(dict.fromkeys(w.layer))
    for i, layer in enumerate(layers[:2]):
        tag = ("One", "Two")[i]
        for arm, stem in (("harmonic", "Harmonic"), ("relu-mlp", "Relu")):
            r = w[(w.arm == arm) & (w.layer == layer)]
            if r.empty:
                continue
            out[f"HmlpntkEdge{stem}{tag}"] = _fmt(float(r.mp_edge_hi.iloc[0]), ".2f")
            out[f"HmlpntkRowRatio{stem}{tag}"] = _fmt(float(r.row_norm_ratio.iloc[0]), ".2f")
            out[f"HmlpntkKs{stem}{tag}"] = _fmt(float(r.mp_ks.iloc[0]), ".3f")
    return out
