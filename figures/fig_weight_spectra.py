r"""Spectra of initialised weight matrices: Marchenko-Pastur, ranks and index-order structure.

Every registered initializer is applied to a matrix (:func:`analysis.spectrum.weight_spectra`):

* the initializers of fully connected layers at a square and a non-square shape: (a, b) the
  empirical CDF of the eigenvalues of the normalised Gram matrix (mean eigenvalue 1) against the
  Marchenko-Pastur law of the same aspect ratio (thick black), (c) their Kolmogorov-Smirnov
  distance to it, with 95% t-intervals over draws (deterministic initializers: one draw);
* the 12 embedding strategies of Fatykhov (2026) at the language model's (vocabulary, width):
  (d) the share of the index-order 2-D Fourier energy at each |frequency| along the token axis
  (rows; the i.i.d. reference is flat at 1 / (V/2)), (e) the enrichment of the lowest
  frequencies along tokens and along embedding dimensions over i.i.d. noise of the same shape
  (1 = no structure), (f) the effective rank (Roy and Vetterli 2007) over min(V, D) and the MP
  distance.

Every statistic here is invariant to the scale of the matrix, and the catalogue's uniform
initializers all draw ``U(-a, a)`` from the seeded generator in the same order, so for one seed
they give the same matrix up to a scale: identical statistics, by construction.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import LogNorm
from matplotlib.patches import Patch

from initaudit.analysis import spectrum as sp
from initaudit.analysis.experiment import run_experiment
from initaudit.analysis.experiments import weight_spectra
from initaudit.analysis.presets import check_preset
from initaudit.figures import style

NAME = "weight_spectra"
CAPTION = (
    r"Spectra of initialised weight matrices. (a, b) Empirical CDF of the eigenvalues of "
    r"$WW^\top/(n\,\overline{W^2})$ (the smaller Gram matrix, mean eigenvalue 1) for every "
    r"initialiser of fully connected layers at a square and a non-square shape, against the "
    r"Marchenko--Pastur law of the same aspect ratio (black); (c) their Kolmogorov--Smirnov "
    r"distance (bars: 95\% $t$-intervals over draws; the sinusoidal rules are deterministic). "
    r"(d) Share of the index-order 2-D Fourier energy of the 12 embedding strategies at each "
    r"frequency along the token axis (last row: i.i.d. Gaussian noise); (e) energy at the lowest "
    r"$k=\lfloor n/32\rfloor$ frequencies along tokens and dimensions relative to i.i.d. noise "
    r"($1$: no structure along that index); (f) effective rank over $\min(V,D)$ and MP distance. "
    r"Initialisers that draw from the same law up to a scale (the uniform ones: Xavier, He, "
    r"SIREN, siren-pytorch, edge of chaos; the Gaussian ones) give the same normalised matrix "
    r"for the same seed, so their curves coincide."
)

def _label(init: str) -> str:
    return style.label(init)


def compute(preset: str) -> dict:
    """The ``weight-spectra`` experiment's summary at ``preset``."""
    run = run_experiment(weight_spectra.NAME, check_preset(preset), progress=True)
    return {"preset": preset, **run.summary}


def _cdf_panel(ax, data, shape, title):
    curves = data["curves"]
    lin = data["per_draw"]
    lin = lin[(lin.kind == "linear") & (lin["shape"] == f"{shape[0]}x{shape[1]}")]
    for init in dict.fromkeys(lin.init):
        eig = curves[(init, *shape)]["eig"]
        ls = style.linestyle(init)
        ax.step(eig, np.arange(1, eig.size + 1) / eig.size, where="post", color=style.color(init),
                ls=ls, lw=0.9, label=_label(init))
    ratio = min(shape) / max(shape)
    a, b = sp.mp_support(ratio)
    x = np.linspace(0, max(b * 1.15, 2.2), 600)
    ax.plot(x, sp.mp_cdf(x, ratio), color="black", lw=1.0, ls=(0, (4, 2)),
            label="Marchenko-Pastur", zorder=5)
    ax.set_xlim(0, max(b * 1.15, 2.2))
    ax.set_ylim(0, 1.01)
    ax.set_xlabel("eigenvalue")
    ax.set_title(title)


def plot(data: dict) -> plt.Figure:
    style.apply()
    cfg = data["config"]
    summ = data["summary"]
    fig, axes = plt.subplots(2, 3, figsize=(7.2, 6.0))
    (a, b, c), (d, e, f) = axes
    sq, ns = cfg["linear_shapes"][0], cfg["linear_shapes"][1]
    _cdf_panel(a, data, sq, f"(a) {sq[0]}x{sq[1]}")
    a.set_ylabel("empirical CDF")
    _cdf_panel(b, data, ns, f"(b) {ns[0]}x{ns[1]}")

    # (c) KS distance per linear init, both shapes
    ks = summ[(summ.kind == "linear") & (summ.quantity == "mp_ks")]
    inits = list(dict.fromkeys(ks.init))
    y = np.arange(len(inits))
    for off, shape, hatch in ((-0.2, sq, None), (0.2, ns, "///")):
        grp = ks[ks["shape"] == f"{shape[0]}x{shape[1]}"].set_index("init").loc[inits]
        err = np.vstack([np.nan_to_num(grp["mean"] - grp.lo), np.nan_to_num(grp.hi - grp["mean"])])
        colors = [style.color(i) for i in inits]
        c.barh(y + off, grp["mean"], height=0.38, xerr=err, color=colors, hatch=hatch,
               edgecolor="black", lw=0.3, error_kw={"elinewidth": 0.7})
    c.legend(handles=[Patch(facecolor="white", edgecolor="black", lw=0.3, hatch=h,
                            label=f"{sh[0]}x{sh[1]}") for sh, h in ((sq, None), (ns, "///"))],
             fontsize=6, loc="lower right")
    c.set_yticks(y)
    c.set_yticklabels([_label(i) for i in inits], fontsize=6)
    c.invert_yaxis()
    c.set_xlim(0, 1)
    c.set_xlabel("KS distance to Marchenko-Pastur")
    c.set_title("(c) distance to MP")

    # (d) token-axis Fourier marginals of the embeddings
    curves = data["curves"]
    emb = summ[summ.kind == "embedding"]
    names = list(dict.fromkeys(emb.init))
    v, dd = cfg["embedding_shape"]
    mat = np.array([curves[(n, v, dd)]["rows_energy"] for n in names]
                   + [data["iid"][(v, dd)]["rows_energy"]])
    mat = np.clip(mat, 1e-8, None)
    im = d.imshow(mat, aspect="auto", norm=LogNorm(vmin=1e-6, vmax=1), cmap="magma",
                  extent=(-0.5, mat.shape[1] - 0.5, mat.shape[0] - 0.5, -0.5),
                  interpolation="nearest")
    d.set_yticks(range(len(names) + 1))
    d.set_yticklabels([n.replace("emb_", "") for n in names] + ["i.i.d. noise"], fontsize=6)
    d.set_xlabel("|frequency| along the token index")
    d.set_title(f"(d) token-axis Fourier energy ({v}x{dd})", fontsize=8)
    d.grid(False)
    fig.colorbar(im, ax=d, fraction=0.05, pad=0.02)

    # (e) low-frequency enrichment along tokens and dimensions
    def pick(q):
        return emb[emb.quantity == q].set_index("init").loc[names]

    y = np.arange(len(names))
    for off, q, color, lab in ((-0.2, "low_rows_enrichment", "#0072B2", "token axis"),
                               (0.2, "low_cols_enrichment", "#D55E00", "dimension axis")):
        grp = pick(q)
        err = np.vstack([np.nan_to_num(grp["mean"] - grp.lo), np.nan_to_num(grp.hi - grp["mean"])])
        e.barh(y + off, grp["mean"], height=0.38, xerr=err, color=color, label=lab,
               error_kw={"elinewidth": 0.7})
    e.axvline(1.0, color="black", lw=0.8, ls="--")
    e.set_xscale("log")
    e.set_yticks(y)
    e.set_yticklabels([n.replace("emb_", "") for n in names], fontsize=6)
    e.invert_yaxis()
    e.set_xlabel("low-frequency energy / i.i.d.")
    e.set_title("(e) structure along the index")
    e.legend(fontsize=6, loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=2,
             frameon=False)

    # (f) effective rank ratio and MP distance
    er, mp = pick("erank_ratio"), pick("mp_ks")
    f.barh(y - 0.2, er["mean"], height=0.38, color="#009E73", label="effective rank / min(V, D)")
    f.barh(y + 0.2, mp["mean"], height=0.38, color="#CC79A7", label="KS distance to MP")
    f.set_yticks(y)
    f.set_yticklabels([n.replace("emb_", "") for n in names], fontsize=6)
    f.invert_yaxis()
    f.set_xlim(0, 1.05)
    f.set_title("(f) rank and MP distance")
    f.legend(fontsize=6, loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=1,
             frameon=False)

    handles, labels = a.get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper center", ncol=4, fontsize=6.5, frameon=False)
    fig.tight_layout(rect=(0, 0, 1, 0.91))
    return fig


def _g(x: float, digits: int = 2) -> str:
    return "--" if not math.isfinite(x) else f"{x:.{digits}f}"


def macros(data: dict) -> dict[str, str]:
    """Ranks, MP distances and index-order structure of selected initializers."""
    summ, per = data["summary"], data["per_draw"]
    cfg = data["config"]
    (sq0, sq1), (ns0, ns1) = cfg["linear_shapes"][0], cfg["linear_shapes"][1]
    sq, ns = f"{sq0}x{sq1}", f"{ns0}x{ns1}"

    def val(init, shape, q):
        r = summ[(summ.init == init) & (summ["shape"] == shape) & (summ.quantity == q)]
        return float(r["mean"].iloc[0])

    out = {
        "WsSquareSize": str(sq0),
        "WsNonSquareShape": f"\\ensuremath{{{ns0}\\times {ns1}}}",
        "WsSinusoidalSquareRank": str(int(per[(per.init == "sinusoidal") & (per["shape"] == sq)]
                                          ["rank"].iloc[0])),
        "WsSinusoidalSquareRankDefault": str(int(per[(per.init == "sinusoidal")
                                                     & (per["shape"] == sq)]["rank_default"]
                                                 .iloc[0])),
        "WsSinusoidalNonSquareRank": str(int(per[(per.init == "sinusoidal") & (per["shape"] == ns)]
                                             ["rank"].iloc[0])),
        "WsMpXavierSquare": _g(val("xavier_uniform", sq, "mp_ks"), 3),
        "WsMpSirenSquare": _g(val("siren", sq, "mp_ks"), 3),
        "WsMpOrthogonalSquare": _g(val("orthogonal", sq, "mp_ks"), 2),
        "WsMpSinusoidalSquare": _g(val("sinusoidal", sq, "mp_ks"), 2),
        "WsMpSinusoidalNonSquare": _g(val("sinusoidal", ns, "mp_ks"), 2),
    }
    emb = summ[(summ.kind == "embedding")]
    er = emb[emb.quantity == "erank_ratio"].set_index("init")["mean"]
    low = emb[emb.quantity == "low_rows_enrichment"].set_index("init")["mean"]
    out["WsEmbEffRankMin"] = _g(float(er.min()))
    out["WsEmbEffRankMinName"] = er.idxmin().replace("emb_", "").replace("_", " ")
    out["WsEmbEffRankMax"] = _g(float(er.max()))
    out["WsEmbEffRankMaxName"] = er.idxmax().replace("emb_", "").replace("_", " ")
    for name, key in (("emb_random", "Random"), ("emb_harmonic", "Harmonic"),
                      ("emb_spectral", "Spectral"), ("emb_perlin", "Perlin")):
        if name in er.index:
            out[f"WsEmb{key}EffRank"] = _g(float(er[name]))
            out[f"WsEmb{key}TokenLow"] = _g(float(low[name]), 1)
    e0, e1 = cfg["embedding_shape"]
    out["WsEmbShape"] = f"\\ensuremath{{{e0}\\times {e1}}}"
    return out
