r"""How evenly ReLU units are switched on at initialisation, per initialiser and model.

Runs :mod:`analysis.experiments.activation_states`, the test of the claim that the sinusoidal
initialisation gives "a more uniform, well-conditioned distribution of neuron activation
states from the very first forward pass" (Fernandez-Hernandez et al., NeurIPS 2025, arXiv
2505.12909). Top: histograms of the per-unit fraction of positive ReLU inputs over one batch
(all layers and seeds of a model together). Bottom: the spread (standard deviation across
units, averaged over the layers), mean and 95% t-interval over seeds, with the binomial noise
floor 0.5/sqrt(B) of a perfectly balanced unit.

Macros (prefix ``ExpAct``): batch size, seeds, noise floor, the spread per model and
initialiser, the paired sinusoidal - default differences with intervals and verdict words, the
dead / always-on percentages, and a table body ``ExpActTable``.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from initaudit.analysis.experiment import run_experiment
from initaudit.analysis.presets import check_preset
from initaudit.figures import style
from initaudit.models.classifiers import INIT_NAMES as INITS
from initaudit.figures.style import DATASET_LABELS as _DATASET_LABELS
from initaudit.figures.text import against_zero as zero_verdict
from initaudit.figures.text import camel as _key
from initaudit.figures.text import interval_tex as _interval
from initaudit.figures.text import plain_tex as _plain
from initaudit.figures.text import signed_tex as _signed

NAME = "exp_activation_states"
CAPTION = (
    r"ReLU activation states at initialisation. Top: distribution of the per-unit fraction of "
    r"positive ReLU inputs over one batch of images, all layers and seeds of each model "
    r"together (0.5: balanced; 0: dead; 1: always on). Bottom: spread of that fraction "
    r"(standard deviation across units, averaged over the ReLU layers), mean and 95\% "
    r"$t$-interval over seeds; dotted: the binomial noise floor of a unit that is on half the "
    r"time. In the MLP the two sinusoidal rules give identical states (they differ there by a "
    r"positive factor per layer), and LSUV gives those of its orthogonal start."
)

EXPERIMENT = "activation-states"
_MODEL_LABELS = {"mlp": "MLP", "cnn": "CNN", "transformer": "Transformer"}


def compute(preset: str) -> dict:
    """The experiment's summary at ``preset`` (with the number of seeds)."""
    run = run_experiment(EXPERIMENT, check_preset(preset), progress=True)
    summary = dict(run.summary)
    summary["seeds"] = len({c.seed for c in run.configs})
    return summary



def plot(data: dict) -> plt.Figure:
    style.apply()
    arms = data["arms"]
    models = list(dict.fromkeys(arms.model))
    inits = [i for i in INITS if i in set(arms.init)]
    edges = np.asarray(data["edges"])
    centres = (edges[1:] + edges[:-1]) / 2
    fig = plt.figure(figsize=(7.2, 4.6))
    grid = fig.add_gridspec(2, len(models))
    for k, m in enumerate(models):
        ax = fig.add_subplot(grid[0, k])
        for init in inits:
            counts = np.asarray(data["histograms"].get(f"{m}|{init}", np.zeros(len(centres))),
                                dtype=float)
            if counts.sum() == 0:
                continue
            ax.step(centres, counts / counts.sum(), where="mid", color=style.color(init),
                    lw=1.0, label=style.label(init))
        ax.set_yscale("log")
        ax.set_title(_MODEL_LABELS.get(m, m))
        ax.set_xlabel("positive fraction $f$")
        if k == 0:
            ax.set_ylabel("share of units")
    ax = fig.add_subplot(grid[1, :])
    width = 0.8 / max(1, len(inits))
    for q, init in enumerate(inits):
        xs, ys, err = [], [], [[], []]
        for k, m in enumerate(models):
            a = arms[(arms.model == m) & (arms.init == init)]
            if a.empty:
                continue
            a = a.iloc[0]
            xs.append(k + (q - (len(inits) - 1) / 2) * width)
            ys.append(a["std"])
            lo, hi = a.std_lo, a.std_hi
            err[0].append(a["std"] - lo if np.isfinite(lo) else 0.0)
            err[1].append(hi - a["std"] if np.isfinite(hi) else 0.0)
        ax.errorbar(xs, ys, yerr=err, fmt="o", ms=4, color=style.color(init), capsize=2,
                    lw=0.9, label=style.label(init))
    ax.axhline(data["noise_floor"], color="black", lw=0.8, ls=":")
    ax.set_xticks(range(len(models)))
    ax.set_xticklabels([_MODEL_LABELS.get(m, m) for m in models])
    ax.set_ylabel("std across units of the\npositive fraction")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=6, ncol=len(inits), loc="lower center")
    dataset = _DATASET_LABELS.get(data["dataset"], data["dataset"])
    fig.suptitle(f"batch of {data['batch']} images ({dataset}), {data['seeds']} seeds",
                 fontsize=8)
    fig.tight_layout()
    return fig


def _verdict(lo: float, hi: float) -> str:
    """``narrower than``, ``wider than`` or ``not distinguishable from`` (the default's spread)."""
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return "not distinguishable from"
    if hi < 0:
        return "narrower than"
    if lo > 0:
        return "wider than"
    return "not distinguishable from"


def macros(data: dict) -> dict[str, str]:
    """Sizes, spreads, paired differences with verdicts, dead / always-on shares, table body."""
    arms, comp = data["arms"], data["comparisons"]
    out = {"ExpActBatch": f"{data['batch']:,}".replace(",", "{,}"),
           "ExpActSeeds": str(data["seeds"]),
           "ExpActNoiseFloor": _plain(data["noise_floor"], 3)}
    rows = []
    for _, a in arms.iterrows():
        key = f"{_key(a.model)}{_key(a.init)}"
        out[f"ExpActStd{key}"] = _plain(a["std"], 3)
        out[f"ExpActDead{key}"] = _plain(100 * a.dead, 1)
        out[f"ExpActOn{key}"] = _plain(100 * a.always_on, 1)
        c = comp[(comp.model == a.model) & (comp.init == a.init)]
        diff = (f"{_signed(c.iloc[0]['mean'], 3)} {_interval(c.iloc[0].lo, c.iloc[0].hi, 3)}"
                if not c.empty else "--")
        rows.append(f"{_MODEL_LABELS.get(a.model, a.model)} & {style.label(a.init)} & "
                    f"{_plain(a['std'], 3)} {_interval(a.std_lo, a.std_hi, 3)} & {diff} & "
                    f"{_plain(100 * a.dead, 1)} & {_plain(100 * a.always_on, 1)}")
    out["ExpActTable"] = " \\\\\n".join(rows)  # last row left open: the section ends it
    for _, c in comp.iterrows():
        if c.init not in ("sinusoidal", "sinusoidal_paper"):
            continue
        key = f"{_key(c.model)}{_key(c.init)}"
        out[f"ExpActDiff{key}"] = _signed(c["mean"], 3)
        out[f"ExpActDiff{key}CI"] = _interval(c.lo, c.hi, 3)
        out[f"ExpActVerdict{key}"] = _verdict(c.lo, c.hi)
        out[f"ExpActZero{key}"] = zero_verdict(c.lo, c.hi)
    return out
