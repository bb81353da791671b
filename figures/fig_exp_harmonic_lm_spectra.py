r"""Spectra of the token embedding and embedding-restricted NTKs, at initialisation and after
training, for the 14 strategies of the harmonic-lm experiment.

Top: singular values of the (V, D) embedding matrix (divided by the largest) at initialisation and
after training, mean over seeds, in the primary setting (the paper's own windows of medical.txt
when it ran, else the first that did); and the effective rank (Roy and Vetterli 2007) divided
by D at initialisation and after training in every setting.
Bottom: eigenvalues of the empirical NTK of the whole language model restricted to the embedding
parameters (output: the logit of the observed next token at the last position of a fixed batch
of training windows; :func:`analysis.ntk.empirical_ntk`), divided by their mean, at
initialisation and after training; and the NTK condition number at initialisation and after
training in every setting. The NTK of the embedding lookup alone is the same for every matrix,
so the embedding's own spectrum is its singular values (see
:mod:`analysis.experiments.harmonic_lm`).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from initaudit.analysis import stats
from initaudit.analysis.experiment import run_experiment
from initaudit.analysis.experiments import harmonic_lm as H
from initaudit.analysis.presets import check_preset
from initaudit.figures import style
from initaudit.figures.lm_settings import interval, short
from initaudit.figures.lm_settings import camel, primary, with_primary

NAME = "exp_harmonic_lm_spectra"
CAPTION = (
    r"Embedding spectra and embedding-restricted NTKs of the fourteen strategies. (a, b) Singular "
    r"values of the token embedding, divided by the largest, at initialisation and after "
    r"training (primary setting: the paper's protocol when it ran, else the first that did; "
    r"mean over seeds). (c) Effective rank over width at "
    r"initialisation (open) and after training (filled), every setting. (d, e) Eigenvalues, "
    r"divided by their mean, of the empirical NTK of the whole model restricted to the embedding "
    r"parameters (logit of the observed next token on a fixed batch of training windows), at "
    r"initialisation and after training. (f) Its condition number, initialisation (open) and "
    r"after training (filled). Harmonic in red, random in black, the others in colour."
)

_CMAP = plt.get_cmap("tab20")


def _color(strategy: str) -> str:
    if strategy == H.HARMONIC:
        return "#D55E00"
    if strategy == H.BASELINE:
        return "#000000"
    return _CMAP(H.STRATEGIES.index(strategy) % 20)


def compute(preset: str) -> dict:
    """Spectra, NTK eigenvalues and the summary table of the cached experiment."""
    check_preset(preset)
    s = run_experiment("harmonic-lm", preset, progress=True).summary
    return {"preset": preset, "spectra": s["spectra"], "ntk": s["ntk"], "table": s["table"],
            "runs": s["runs"], "skipped": s["skipped"], "evidence": s["evidence"]}


def _curves(ax, frame, setting, stage, normalise):
    f = frame[(frame.setting == setting) & (frame.stage == stage)]
    for strategy in H.STRATEGIES:
        g = f[f.strategy == strategy].sort_values("index")
        if g.empty:
            continue
        v = g.value.to_numpy()
        v = v / (v[0] if normalise == "max" else v.mean())
        lw = 1.3 if strategy in (H.HARMONIC, H.BASELINE) else 0.7
        ax.plot(g["index"], np.where(v > 0, v, np.nan), color=_color(strategy), lw=lw,
                label=short(strategy))
    ax.set_yscale("log")
    ax.set_xlabel("index", fontsize=7)
    ax.tick_params(labelsize=6)


def _dots(ax, table, col):
    settings = list(dict.fromkeys(table.setting))
    width = 0.8 / max(1, len(settings))
    for k, setting in enumerate(settings):
        t = table[table.setting == setting].set_index("strategy")
        names = [s for s in H.STRATEGIES if s in t.index]
        y = np.arange(len(names)) + (k - (len(settings) - 1) / 2) * width
        colors = [_color(s) for s in names]
        ax.scatter(t.loc[names, f"init_{col}_mean"], y, facecolors="none", edgecolors=colors,
                   s=12, lw=0.8)
        ax.scatter(t.loc[names, f"end_{col}_mean"], y, c=colors, s=12)
    names = [s for s in H.STRATEGIES if s in set(table.strategy)]
    ax.set_yticks(np.arange(len(names)))
    ax.set_yticklabels([short(s) for s in names], fontsize=6)
    ax.invert_yaxis()
    ax.tick_params(axis="x", labelsize=6)


def plot(data: dict) -> plt.Figure:
    style.apply()
    setting = primary(data["table"].setting)
    fig, axes = plt.subplots(2, 3, figsize=(7.4, 5.4))
    _curves(axes[0, 0], data["spectra"], setting, "init", "max")
    axes[0, 0].set_title(f"(a) embedding, init ({setting.replace('_', ', ')})", fontsize=7)
    axes[0, 0].set_ylabel(r"$s_i / s_1$", fontsize=7)
    _curves(axes[0, 1], data["spectra"], setting, "end", "max")
    axes[0, 1].set_title("(b) embedding, trained", fontsize=7)
    _dots(axes[0, 2], data["table"], "emb_erank_ratio")
    axes[0, 2].set_title("(c) effective rank / D", fontsize=7)
    _curves(axes[1, 0], data["ntk"], setting, "init", "mean")
    axes[1, 0].set_title("(d) embedding NTK, init", fontsize=7)
    axes[1, 0].set_ylabel(r"$\lambda_i / \bar\lambda$", fontsize=7)
    _curves(axes[1, 1], data["ntk"], setting, "end", "mean")
    axes[1, 1].set_title("(e) embedding NTK, trained", fontsize=7)
    _dots(axes[1, 2], data["table"], "ntk_cond")
    axes[1, 2].set_xscale("log")
    axes[1, 2].set_title("(f) NTK condition number", fontsize=7)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    fig.legend(handles, labels, loc="lower center", ncol=7, fontsize=6, frameon=False)
    return fig


def macros(data: dict) -> dict[str, str]:
    """Effective-rank ratios and NTK condition numbers of harmonic and random, init and end."""
    out = {}
    table = data["table"]
    for setting in dict.fromkeys(table.setting):
        s = camel(setting)
        t = table[table.setting == setting].set_index("strategy")
        for strategy, key in ((H.HARMONIC, "Harmonic"), (H.BASELINE, "Random")):
            if strategy not in t.index:
                continue
            r = t.loc[strategy]
            for stage in ("init", "end"):
                st = stage.capitalize()
                out[f"HlmSpec{s}{key}Erank{st}"] = interval(
                    r[f"{stage}_emb_erank_ratio_mean"], r[f"{stage}_emb_erank_ratio_lo"],
                    r[f"{stage}_emb_erank_ratio_hi"], 2, sign=False)
                out[f"HlmSpec{s}{key}NtkCond{st}"] = interval(
                    r[f"{stage}_ntk_cond_mean"], r[f"{stage}_ntk_cond_lo"],
                    r[f"{stage}_ntk_cond_hi"], 1, sign=False)
        cond = t["end_ntk_cond_mean"] / t["init_ntk_cond_mean"]
        out[f"HlmSpec{s}NtkCondGrowthMin"] = f"{cond.min():.2g}"
        out[f"HlmSpec{s}NtkCondGrowthMax"] = f"{cond.max():.2g}"
        runs = data["runs"][data["runs"].setting == setting]
        if {H.BASELINE, H.HARMONIC} <= set(runs.strategy):
            a = runs[runs.strategy == H.BASELINE].sort_values("seed").init_ntk_cond
            b = runs[runs.strategy == H.HARMONIC].sort_values("seed").init_ntk_cond
            d = stats.paired_difference(a.to_numpy(), b.to_numpy())
            out[f"HlmSpec{s}NtkCondInitDiff"] = interval(d["mean"], d["lo"], d["hi"], 2)
            out[f"HlmSpec{s}NtkCondInitVerdict"] = (
                "better conditioned than random" if d["hi"] < 0 else
                "worse conditioned than random" if d["lo"] > 0 else
                "not distinguishable from random")
        if H.BASELINE in t.index:
            # largest relative distance of a strategy's mean NTK eigenvalue (init) from random's
            for stage in ("init", "end"):
                m = t[f"{stage}_ntk_mean_mean"]
                spread = float((m / m[H.BASELINE] - 1).abs().max())
                out[f"HlmSpec{s}NtkMeanSpread{stage.capitalize()}"] = f"{100 * spread:.2g}"
    return with_primary(out, "HlmSpec", primary(table.setting))
