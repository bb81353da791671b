r"""Learning curves of the 14 embedding initialisations of the harmonic-lm experiment.

Fatykhov (2026) says harmonic embedding initialisation "converges directly toward global minima".
This figure shows, per (corpus, split) of :mod:`analysis.experiments.harmonic_lm`, the running
training loss of each epoch (top) and the validation loss after each epoch (bottom), mean over
seeds, for every strategy; harmonic and the random baseline are drawn with their 95% t-interval.
A run that stopped early carries its last value on. Macros: the mean epoch training loss over the
budget (the area under the curve divided by the epochs) of harmonic and random, their paired
difference, and the epoch at which each reaches half of its first-epoch training loss.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import matplotlib.ticker as mticker
import numpy as np

from initaudit.analysis.experiment import run_experiment
from initaudit.analysis.experiments import harmonic_lm as H
from initaudit.analysis.presets import check_preset
from initaudit.figures import style
from initaudit.figures.lm_settings import interval, short
from initaudit.figures.lm_settings import camel, ordered, phrase, primary, with_primary

NAME = "exp_harmonic_lm_curves"
CAPTION = (
    r"Learning curves of the fourteen embedding initialisations (mean over seeds), per corpus and "
    r"split protocol (columns). Top: the running training loss of each epoch; bottom: the "
    r"validation loss after each epoch (log scale). Harmonic (red) and random (black) with their "
    r"95\% t-intervals; other strategies in grey. Early-stopped runs carry their last value."
)


def compute(preset: str) -> dict:
    """Mean curves and the per-run table of the cached experiment."""
    check_preset(preset)
    s = run_experiment("harmonic-lm", preset, progress=True).summary
    return {"preset": preset, "curves": s["curves"], "runs": s["runs"], "skipped": s["skipped"],
            "settings": s["settings"], "evidence": s["evidence"]}


def plot(data: dict) -> plt.Figure:
    style.apply()
    curves = data["curves"]
    settings = list(dict.fromkeys(curves.setting))
    info = data["settings"].set_index("setting")
    fig, axes = plt.subplots(2, len(settings), figsize=(2.4 * len(settings) + 0.6, 4.6),
                             squeeze=False)
    for j, setting in enumerate(settings):
        for i, metric in enumerate(("train_loss", "val_loss")):
            ax = axes[i, j]
            c = curves[(curves.setting == setting) & (curves.metric == metric)]
            for strategy in H.STRATEGIES:
                g = c[c.strategy == strategy].sort_values("epoch")
                if g.empty:
                    continue
                if strategy in (H.HARMONIC, H.BASELINE):
                    color = "#D55E00" if strategy == H.HARMONIC else "#000000"
                    ax.plot(g.epoch, g["mean"], color=color, lw=1.3, label=short(strategy),
                            zorder=4)
                    ax.fill_between(g.epoch, g.lo, g.hi, color=color, alpha=0.2, lw=0, zorder=3)
                else:
                    ax.plot(g.epoch, g["mean"], color="#999999", lw=0.6, zorder=2)
            ax.set_yscale("log")
            ax.yaxis.set_major_formatter(mticker.FormatStrFormatter("%g"))
            ax.yaxis.set_minor_formatter(mticker.FormatStrFormatter("%g"))
            ax.set_xlabel("epoch", fontsize=7)
            ax.tick_params(which="both", labelsize=6)
            if j == 0:
                ax.set_ylabel("training loss" if i == 0 else "validation loss", fontsize=7)
            if i == 0:
                r = info.loc[setting]
                ax.set_title(f"{r['corpus']}, {r['split']}", fontsize=7)
    axes[0, 0].legend(fontsize=6)
    fig.tight_layout()
    return fig


def _half_epoch(curve: np.ndarray) -> float:
    """First epoch (1-based) whose loss is at most half the first epoch's; nan if never."""
    hit = np.flatnonzero(curve <= curve[0] / 2)
    return float(hit[0] + 1) if hit.size else float("nan")


def macros(data: dict) -> dict[str, str]:
    """Mean training loss over the budget (harmonic, random, difference) and half-loss epochs."""
    out = {}
    curves = data["curves"]
    for setting in dict.fromkeys(curves.setting):
        s = camel(setting)
        c = curves[(curves.setting == setting) & (curves.metric == "train_loss")]
        for strategy, key in ((H.HARMONIC, "Harmonic"), (H.BASELINE, "Random")):
            g = c[c.strategy == strategy].sort_values("epoch")
            if g.empty:
                continue
            out[f"HlmCurves{s}{key}FinalTrainLoss"] = f"{g['mean'].iloc[-1]:.3f}"
            half = _half_epoch(g["mean"].to_numpy())
            out[f"HlmCurves{s}{key}HalfEpoch"] = "never" if not np.isfinite(half) else \
                str(int(half))
        r = data["runs"]
        r = r[r.setting == setting]
        for strategy, key in ((H.HARMONIC, "Harmonic"), (H.BASELINE, "Random")):
            v = r[r.strategy == strategy].train_loss_auc
            if len(v):
                out[f"HlmCurves{s}{key}LossAuc"] = f"{v.mean():.3f}"
        ev = data["evidence"].get(f"hlm_{setting}_harmonic_vs_random_train_loss_auc")
        if ev is not None:
            out[f"HlmCurves{s}LossAucDiff"] = interval(ev["mean"], ev["lo"], ev["hi"])
    ran = ordered(curves.setting)
    with_primary(out, "HlmCurves", primary(ran))
    def when(epoch: str) -> str:
        return "not within the budget" if epoch == "never" else \
            f"after {epoch} epoch{'s' * (epoch != '1')}"

    items = [f"{phrase(x)} by harmonic {when(out[f'HlmCurves{camel(x)}HarmonicHalfEpoch'])} and "
             f"by random {when(out[f'HlmCurves{camel(x)}RandomHalfEpoch'])}" for x in ran
             if f"HlmCurves{camel(x)}HarmonicHalfEpoch" in out
             and f"HlmCurves{camel(x)}RandomHalfEpoch" in out]
    if items:
        out["HlmCurvesHalfEpochList"] = "; ".join(items)
    return out
