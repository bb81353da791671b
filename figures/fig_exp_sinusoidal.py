r"""Validation-accuracy curves and paired differences: Sinusoidal initialisation vs the rest.

Runs :mod:`analysis.experiments.sinusoidal_classification` (the claims of Fernandez-Hernandez et
al., NeurIPS 2025, arXiv 2505.12909: +4.8 points of best accuracy and +20.9% relative area under
the validation-accuracy curve over the default initialisation). Top: one panel per (model,
optimiser) with the validation accuracy per epoch, mean and 95% t-interval over seeds, for every
initialiser. Bottom: the paired differences of each initialiser against the default, per setting
and pooled (seeds' values averaged over the settings first), for the best-before-patience
accuracy (points) and the relative AUC (percent), with the claimed values as dashed lines.

Macros (prefix ``ExpSin``): the setting (data set, sizes, epochs, patience, seeds); for the
sinusoidal rule and its paper-era variant the pooled differences with their intervals and
verdict words; per setting the sinusoidal differences; a table body ``ExpSinTable``.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np

from initaudit.analysis import claims
from initaudit.analysis.experiment import run_experiment
from initaudit.analysis.presets import check_preset
from initaudit.figures import style
from initaudit.models.classifiers import INIT_NAMES as INITS
from initaudit.figures.style import DATASET_LABELS as _DATASET_LABELS
from initaudit.figures.text import against_value as claim_verdict
from initaudit.figures.text import against_zero as zero_verdict
from initaudit.figures.text import camel as _key
from initaudit.figures.text import interval_tex as _interval
from initaudit.figures.text import plain_tex as _plain
from initaudit.figures.text import signed_tex as _signed

NAME = "exp_sinusoidal"
CAPTION = (
    r"Sinusoidal initialisation against the torch default, orthogonal and LSUV initialisations "
    r"on image classification. Top: validation accuracy per epoch for each model and optimiser "
    r"(mean and 95\% $t$-interval over seeds; every initialiser sees the same data subset and "
    r"order for a given seed). Bottom: paired difference from the default initialisation of the "
    r"best validation accuracy before the patience runs out (left, points) and relative area "
    r"under the validation curve (right, percent), per setting and pooled over settings; dashed: "
    r"the values claimed by the source (+4.8 points, +20.9\%)."
)

EXPERIMENT = "sinusoidal-classification"
#: The source's claims (Fernandez-Hernandez et al. 2025, abstract of arXiv 2505.12909 v1).
# the claimed sizes, as the claims ledger states them
CLAIM_ACC_POINTS = claims.claim("sin-best-accuracy").rule.threshold
CLAIM_REL_AUC = claims.claim("sin-convergence").rule.threshold

_MODEL_LABELS = {"mlp": "MLP", "cnn": "CNN", "transformer": "Transformer", "pooled": "pooled"}
_OPT_LABELS = {"sgd": "SGD", "adam": "Adam", "adamw": "AdamW", "pooled": ""}


def compute(preset: str) -> dict:
    """The experiment's summary at ``preset`` (with the number of seeds and runs)."""
    run = run_experiment(EXPERIMENT, check_preset(preset), progress=True)
    summary = dict(run.summary)
    summary["seeds"] = len({c.seed for c in run.configs})
    summary["n_runs"] = len(run.configs)
    return summary


def _setting_label(model: str, opt: str) -> str:
    return f"{_MODEL_LABELS.get(model, model)} {_OPT_LABELS.get(opt, opt)}".strip()


def plot(data: dict) -> plt.Figure:
    style.apply()
    settings = [tuple(s) for s in data["settings"]]
    curves, comp = data["curves"], data["comparisons"]
    inits = [i for i in INITS if i in set(curves.init)]
    ncols = min(3, len(settings))
    nrows = math.ceil(len(settings) / ncols)
    fig = plt.figure(figsize=(7.2, 1.9 * nrows + 2.6))
    grid = fig.add_gridspec(nrows + 1, 2 * ncols, height_ratios=[1.0] * nrows + [1.25])
    for k, (m, o) in enumerate(settings):
        r, c = divmod(k, ncols)
        ax = fig.add_subplot(grid[r, 2 * c:2 * c + 2])
        for init in inits:
            s = curves[(curves.model == m) & (curves.optimizer == o) & (curves.init == init)]
            s = s.sort_values("epoch")
            ax.plot(s.epoch, s["mean"], color=style.color(init), lw=1.0, label=style.label(init))
            ok = np.isfinite(s.lo.to_numpy())
            if ok.any():  # accuracy lies in [0, 100]: the band is clipped there
                ax.fill_between(s.epoch[ok], s.lo[ok].clip(0, 100), s.hi[ok].clip(0, 100),
                                color=style.color(init), alpha=0.15, lw=0)
        ax.set_title(_setting_label(m, o))
        ax.set_xlabel("epoch")
        if c == 0:
            ax.set_ylabel("validation acc. (%)")
        if k == 0 and len(settings) % ncols == 0:
            ax.legend(fontsize=6, loc="lower right")
    if len(settings) % ncols:  # the legend takes the free slot of the grid
        r, c = divmod(len(settings), ncols)
        ax = fig.add_subplot(grid[r, 2 * c:2 * c + 2])
        ax.axis("off")
        ax.legend(*fig.axes[0].get_legend_handles_labels(), loc="center", fontsize=7)
    half = ncols  # each bottom panel spans half the columns
    labels = [_setting_label(m, o) for m, o in settings] + ["pooled"]
    keys = list(settings) + [("pooled", "pooled")]
    others = [i for i in inits if i != "torch_default"]
    for j, (metric, scale, claim, xlabel) in enumerate((
            ("best_val", 1.0, CLAIM_ACC_POINTS, "best accuracy: init $-$ default (points)"),
            ("rel_auc", 100.0, 100 * CLAIM_REL_AUC, "relative AUC vs default (%)"))):
        ax = fig.add_subplot(grid[nrows, j * half:(j + 1) * half])
        for q, init in enumerate(others):
            offset = (q - (len(others) - 1) / 2) * 0.16
            for y, (m, o) in enumerate(keys):
                row = comp[(comp.model == m) & (comp.optimizer == o) & (comp.init == init)
                           & (comp.metric == metric)]
                if row.empty:
                    continue
                row = row.iloc[0]
                mean, lo, hi = scale * row["mean"], scale * row["lo"], scale * row["hi"]
                err = None if not np.isfinite(lo) else [[mean - lo], [hi - mean]]
                ax.errorbar(mean, y + offset, xerr=err, fmt="o", ms=3, color=style.color(init),
                            lw=0.9, capsize=1.5, label=style.label(init) if y == 0 else None)
        ax.axvline(0.0, color="black", lw=0.8)
        ax.axvline(claim, color="black", lw=0.8, ls="--")
        ax.set_yticks(range(len(labels)))
        ax.set_yticklabels(labels if j == 0 else [""] * len(labels))
        ax.invert_yaxis()
        ax.set_xlabel(xlabel)
        if j == 1:
            ax.legend(fontsize=6, loc="best")
    dataset = _DATASET_LABELS.get(data["dataset"], data["dataset"])
    fig.suptitle(f"{dataset}: {data['n_train']} training images, {data['epochs']} epochs, "
                 f"{data['seeds']} seeds", fontsize=8)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------------------------
# Macros


def _table(data: dict) -> str:
    comp = data["comparisons"]
    rows = []
    keys = [tuple(s) for s in data["settings"]] + [("pooled", "pooled")]
    for m, o in keys:
        for init in ("orthogonal", "lsuv", "sinusoidal", "sinusoidal_paper"):
            sel = comp[(comp.model == m) & (comp.optimizer == o) & (comp.init == init)]
            if sel.empty:
                continue
            b = sel[sel.metric == "best_val"].iloc[0]
            a = sel[sel.metric == "rel_auc"].iloc[0]
            e = sel[sel.metric == "epochs_to_threshold"].iloc[0]
            p_holm = b.p_holm
            rows.append(
                f"{_setting_label(m, o)} & {style.label(init)} & {_signed(b['mean'])} "
                f"{_interval(b.lo, b.hi)} & {_signed(100 * a['mean'], 1)} "
                f"{_interval(100 * a.lo, 100 * a.hi, 1)} & {_signed(e['mean'], 1)} & "
                f"{'--' if not np.isfinite(p_holm) else f'{p_holm:.2g}'}")
    # rows joined by \\ but the last one left open: the section ends it, so that an undefined
    # macro (a red ?? from \gen) still makes a complete row
    return " \\\\\n".join(rows)


def _architectures(archs: dict) -> str:
    """The models in words, from their configs."""
    parts = []
    for model, a in archs.items():
        if model == "mlp":
            widths = "--".join(str(h) for h in a["hidden"])
            parts.append(f"an MLP with hidden widths {widths}")
        elif model == "cnn":
            chans = " and ".join(str(c) for c in a["channels"])
            parts.append(f"a CNN with {chans} channels of ${a['kernel']}\\times{a['kernel']}$ "
                         f"convolutions and a hidden layer of {a['hidden']}")
        elif model == "transformer":
            tokens = (a["image_size"] // a["patch"]) ** 2
            blocks = "block" if a["depth"] == 1 else "blocks"
            parts.append(f"a Transformer encoder over {tokens} patches of "
                         f"${a['patch']}\\times{a['patch']}$ pixels with width {a['dim']}, "
                         f"{a['depth']} {blocks} of {a['heads']} heads and feed-forward width "
                         f"{a['mlp_dim']}")
    return "; ".join(parts)


def macros(data: dict) -> dict[str, str]:
    """Sizes, pooled and per-setting sinusoidal differences, verdicts and the table body."""
    comp = data["comparisons"]
    out = {"ExpSinDataset": _DATASET_LABELS.get(data["dataset"], data["dataset"]),
           "ExpSinNTrain": f"{data['n_train']:,}".replace(",", "{,}"),
           "ExpSinNVal": f"{data['n_val']:,}".replace(",", "{,}"),
           "ExpSinEpochs": str(data["epochs"]), "ExpSinPatience": str(data["patience"]),
           "ExpSinSeeds": str(data["seeds"]), "ExpSinRuns": str(data["n_runs"]),
           "ExpSinSettingCount": str(len(data["settings"])),
           "ExpSinThresholdPct": f"{100 * data['threshold_fraction']:.0f}",
           "ExpSinClaimAcc": f"{CLAIM_ACC_POINTS:.1f}",
           "ExpSinClaimAuc": f"{100 * CLAIM_REL_AUC:.1f}",
           "ExpSinNTest": ("all" if data.get("n_test") is None
                           else f"{data['n_test']:,}".replace(",", "{,}")),
           "ExpSinBatch": str(data.get("batch_size", "")),
           "ExpSinArch": _architectures(data.get("architectures", {})),
           "ExpSinSettingList": ", ".join(_setting_label(m, o) for m, o in data["settings"]),
           "ExpSinTable": _table(data)}
    for init, tag in (("sinusoidal", ""), ("sinusoidal_paper", "Paper")):
        sel = comp[(comp.model == "pooled") & (comp.init == init)]
        if sel.empty:
            continue
        b = sel[sel.metric == "best_val"].iloc[0]
        a = sel[sel.metric == "rel_auc"].iloc[0]
        out[f"ExpSin{tag}BestPooled"] = _signed(b["mean"])
        out[f"ExpSin{tag}BestPooledCI"] = _interval(b.lo, b.hi)
        out[f"ExpSin{tag}BestClaimVerdict"] = claim_verdict(b.lo, b.hi, CLAIM_ACC_POINTS)
        out[f"ExpSin{tag}BestZeroVerdict"] = zero_verdict(b.lo, b.hi)
        out[f"ExpSin{tag}AucPooled"] = _signed(100 * a["mean"], 1)
        out[f"ExpSin{tag}AucPooledCI"] = _interval(100 * a.lo, 100 * a.hi, 1)
        out[f"ExpSin{tag}AucClaimVerdict"] = claim_verdict(a.lo, a.hi, CLAIM_REL_AUC)
        out[f"ExpSin{tag}AucZeroVerdict"] = zero_verdict(a.lo, a.hi)
        per = comp[(comp.model != "pooled") & (comp.init == init) & (comp.metric == "best_val")]
        sig = per[per.p_holm < 0.05]
        out[f"ExpSin{tag}BestSigBetter"] = str(int((sig["mean"] > 0).sum()))
        out[f"ExpSin{tag}BestSigWorse"] = str(int((sig["mean"] < 0).sum()))
    per = comp[(comp.model != "pooled") & (comp.init == "sinusoidal") & (comp.metric == "best_val")]
    if not per.empty:
        for tag, row in (("Worst", per.loc[per["mean"].idxmin()]),
                         ("Best", per.loc[per["mean"].idxmax()])):
            out[f"ExpSin{tag}Setting"] = _setting_label(row.model, row.optimizer)
            out[f"ExpSin{tag}SettingDiff"] = _signed(row["mean"])
            out[f"ExpSin{tag}SettingCI"] = _interval(row.lo, row.hi)
    for m, o in (tuple(s) for s in data["settings"]):
        sel = comp[(comp.model == m) & (comp.optimizer == o) & (comp.init == "sinusoidal")]
        if sel.empty:
            continue
        b = sel[sel.metric == "best_val"].iloc[0]
        a = sel[sel.metric == "rel_auc"].iloc[0]
        out[f"ExpSinBest{_key(m)}{_key(o)}"] = _signed(b["mean"])
        out[f"ExpSinAuc{_key(m)}{_key(o)}"] = _signed(100 * a["mean"], 1)
    arms = data["arms"]
    for m, o in (tuple(s) for s in data["settings"]):
        d = arms[(arms.model == m) & (arms.optimizer == o) & (arms.init == "torch_default")]
        if not d.empty:
            out[f"ExpSinDefaultTest{_key(m)}{_key(o)}"] = _plain(d.iloc[0].test_at_best, 1)
    return out
