r"""Table 4.1 of Fatykhov (2026) rebuilt with intervals: 14 embedding initialisations of a small
Transformer language model, on two split protocols.

The paper reports, for harmonic embedding initialisation, accuracy 1.000, loss 0.0037 and
coherence 0.912, each the best of twelve strategies. This figure shows, per (corpus, split) of
:mod:`analysis.experiments.harmonic_lm`, the final validation accuracy, the final validation loss
and the paper's coherence score of the greedy generation for every strategy (mean and 95%
t-interval over seeds), with the baseline ``emb_random`` as a line. Its macros hold the rebuilt
table (one LaTeX tabular body per setting), harmonic's rank, harmonic minus the best other
strategy, the paired differences against random (Holm-corrected) and a verdict word per claim:

* ``supported``: the interval of harmonic minus the best other strategy (the extreme of its
  paired differences to all the others, :func:`analysis.stats.extreme_difference`) lies on
  harmonic's side of zero: harmonic beats every other strategy;
* ``not distinguishable``: that interval contains zero;
* ``not supported``: it lies on the other side: some strategy is credibly better.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from initaudit.analysis.corpus import VOCAB_SIZE
from initaudit.analysis.experiment import run_experiment
from initaudit.analysis.experiments import harmonic_lm as H
from initaudit.analysis.presets import check_preset
from initaudit.figures import style
from initaudit.figures.lm_settings import interval, short
from initaudit.figures.lm_settings import number as fmt
from initaudit.figures.lm_settings import (
    PAPER_SETTING,
    camel,
    listing,
    not_run_sentences,
    ordered,
    phrase,
    primary,
    with_primary,
)

NAME = "exp_harmonic_lm"
CAPTION = (
    r"Fourteen token-embedding initialisations of a small causal Transformer language model "
    r"(the twelve of Fatykhov (2026), sinusoidal and edge of chaos): final validation accuracy, "
    r"final validation loss and the paper's coherence score of a greedy generation from "
    r"``the human brain'', per corpus and split protocol (columns). Markers: mean over seeds; "
    r"bars: 95\% t-interval; harmonic in red; the dashed line is the random (Xavier) baseline. "
    r"``windows'': validation windows cut from the training text; ``sentences'': held-out "
    r"sentences."
)

#: Column labels of the rebuilt table.
_COLUMNS = (("train_acc", "train acc.", 3), ("val_acc", "val. acc.", 3),
            ("val_loss", "val. loss", 3), ("coherence", "coherence", 3),
            ("perplexity", "perplexity", 1))
_PANELS = (("val_acc", "validation accuracy"), ("val_loss", "validation loss (nats)"),
           ("coherence", "coherence (greedy)"))
_HIGHLIGHT = {H.HARMONIC: "#D55E00", H.BASELINE: "#000000"}


def compute(preset: str) -> dict:
    """The experiment's summary at ``preset`` (cached runs)."""
    check_preset(preset)
    run = run_experiment("harmonic-lm", preset, progress=True)
    s = run.summary
    return {"preset": preset, "table": s["table"], "comparisons": s["comparisons"],
            "best": s["best"], "settings": s["settings"], "runs": s["runs"],
            "skipped": s["skipped"], "generations": s["generations"], "evidence": s["evidence"]}


def setting_title(row) -> str:
    return f"{row['corpus']}, {row['split']}"


def plot(data: dict) -> plt.Figure:
    style.apply()
    table = data["table"]
    settings = list(dict.fromkeys(table.setting))
    fig, axes = plt.subplots(len(_PANELS), len(settings),
                             figsize=(2.5 * len(settings) + 0.8, 6.4), squeeze=False)
    info = data["settings"].set_index("setting")
    for j, setting in enumerate(settings):
        t = table[table.setting == setting].set_index("strategy")
        names = [s for s in H.STRATEGIES if s in t.index]
        y = np.arange(len(names))
        for i, (metric, label) in enumerate(_PANELS):
            ax = axes[i, j]
            mean = t.loc[names, f"{metric}_mean"].to_numpy()
            lo = np.nan_to_num(mean - t.loc[names, f"{metric}_lo"].to_numpy())
            hi = np.nan_to_num(t.loc[names, f"{metric}_hi"].to_numpy() - mean)
            colors = [_HIGHLIGHT.get(s, "#0072B2") for s in names]
            ax.errorbar(mean, y, xerr=np.vstack([lo, hi]), fmt="none", ecolor=colors, lw=0.8)
            ax.scatter(mean, y, c=colors, s=10, zorder=3)
            if H.BASELINE in t.index:
                ax.axvline(t.loc[H.BASELINE, f"{metric}_mean"], color="black", ls="--", lw=0.7)
            ax.set_yticks(y)
            ax.set_yticklabels([short(s) for s in names] if j == 0 else [], fontsize=6)
            ax.invert_yaxis()
            ax.set_xlabel(label, fontsize=7)
            ax.tick_params(axis="x", labelsize=6)
            if i == 0:
                r = info.loc[setting]
                ax.set_title(f"{r['corpus']}, {r['split']}\n{int(r['seeds'])} seeds", fontsize=7)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------------------------
# Macros


def num(x: float, digits: int = 3) -> str:
    if x is None or not np.isfinite(x):
        return "n/a"
    return f"{x:.{digits}f}"


def pm(mean: float, lo: float, hi: float, digits: int = 3) -> str:
    """``mean \\pm half-width`` (a t-interval is symmetric), or the mean alone."""
    if not np.isfinite(mean):
        return "n/a"
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return f"${fmt(mean, digits)}$"
    return f"${fmt(mean, digits)} \\pm {fmt((hi - lo) / 2, digits)}$"


def pvalue(p: float) -> str:
    """A p-value with its relation as math-mode content, ``=0.48`` or ``<10^{-4}`` (the text
    writes ``$p\\gen{...}$``)."""
    if not np.isfinite(p):
        return r"=\text{n/a}"
    return "<10^{-4}" if p < 1e-4 else f"={p:.2g}"


def verdict(row) -> str:
    """Verdict word for "harmonic is best on this metric" from harmonic minus the best other."""
    if not (np.isfinite(row["lo"]) and np.isfinite(row["hi"])):
        return "not testable"
    sign = 1.0 if row["higher_is_better"] else -1.0
    lo, hi = sorted((sign * row["lo"], sign * row["hi"]))
    if lo > 0:
        return "supported"
    if hi < 0:
        return "not supported"
    return "not distinguishable"


def table_body(t: pd.DataFrame, split: str) -> str:
    """Rows ``strategy & train acc & val acc & val loss & coherence & perplexity \\\\``."""
    rows = []
    for s in H.STRATEGIES:
        g = t[t.strategy == s]
        if g.empty:
            continue
        r = g.iloc[0]
        cells = [short(s)]
        for col, _, digits in _COLUMNS:
            if col == "perplexity" and split != "sentences":
                cells.append("--")
                continue
            cells.append(pm(r[f"{col}_mean"], r[f"{col}_lo"], r[f"{col}_hi"], digits))
        name = cells[0]
        cells[0] = f"\\textbf{{{name}}}" if s == H.HARMONIC else name
        rows.append(" & ".join(cells) + r" \\")
    return "\n".join(rows)


def latex_text(tokens: str) -> str:
    """A generated text safe for LaTeX (only words, digits, ' - . and <unk> occur; anything
    else LaTeX would read as markup is blanked)."""
    out = tokens
    for ch in "\\&%$#_{}~^":
        out = out.replace(ch, " ")
    return out.replace("<unk>", r"\textless{}unk\textgreater{}")


def macros(data: dict) -> dict[str, str]:
    """The rebuilt table per setting, harmonic's ranks and differences, verdicts, sizes.

    Per setting ``Hlm<Setting>...``; the same for the primary setting (the paper's protocol,
    or the first that ran) as ``HlmPrimary...``; lists over the settings that ran
    (``HlmVerdictList<Metric>`` ...), and sentences saying which settings ran and which did not
    and why.
    """
    out: dict[str, str] = {}
    info = data["settings"]
    first = info.iloc[0]
    out.update({"HlmSeeds": str(int(first["seeds"])), "HlmLayers": str(int(first["n_layer"])),
                "HlmWidth": str(int(first["d_model"])), "HlmHeads": str(int(first["n_head"])),
                "HlmSeqLen": str(int(first["seq_len"])), "HlmBatch": str(int(first["batch_size"])),
                "HlmMaxEpochs": str(int(first["max_epochs"])),
                "HlmParams": f"{int(first['n_params']):,}".replace(",", "{,}"),
                "HlmStrategies": str(len(H.STRATEGIES)), "HlmPreset": data["preset"],
                "HlmSettings": str(len(info))})
    # Xavier standard deviations of the token embedding (V, D) and the position table (T, D)
    v, d, t = VOCAB_SIZE, int(first["d_model"]), int(first["seq_len"])
    out["HlmEmbStd"] = f"{math.sqrt(2.0 / (v + d)):.3f}"
    out["HlmPosStd"] = f"{math.sqrt(2.0 / (t + d)):.3f}"
    out["HlmVocabRows"] = str(v)
    runs = data["runs"]
    for _, r in info.iterrows():
        setting = r["setting"]
        s = camel(setting)
        t = data["table"][data["table"].setting == setting]
        out[f"HlmTable{s}"] = table_body(t, r["split"])
        out[f"Hlm{s}Title"] = f"{r['corpus']}, {r['split']}"
        out[f"Hlm{s}TrainWindows"] = str(int(r["n_train_windows"]))
        out[f"Hlm{s}ValTargets"] = str(int(r["n_val_targets"]))
        out[f"Hlm{s}Stride"] = str(int(r["stride"]))
        out[f"Hlm{s}Vocab"] = str(int(r["vocab_used"]))
        out[f"Hlm{s}UnknownRate"] = num(100 * r["val_unknown_rate"], 0)
        sr = runs[runs.setting == setting]
        out[f"Hlm{s}Converged"] = f"{int(sr.converged.sum())} of {len(sr)}"
        h = t[t.strategy == H.HARMONIC]
        if not h.empty:
            h = h.iloc[0]
            for col, key, digits in (("val_acc", "ValAcc", 3), ("train_acc", "TrainAcc", 3),
                                     ("train_loss", "TrainLoss", 3), ("val_loss", "ValLoss", 3),
                                     ("coherence", "Coherence", 3),
                                     ("copy_rate", "CopyRate", 2)):
                out[f"Hlm{s}Harmonic{key}"] = interval(h[f"{col}_mean"], h[f"{col}_lo"],
                                                       h[f"{col}_hi"], digits, sign=False)
        rnd = t[t.strategy == H.BASELINE]
        if not rnd.empty:
            rnd = rnd.iloc[0]
            out[f"Hlm{s}RandomCopyRate"] = interval(rnd["copy_rate_mean"], rnd["copy_rate_lo"],
                                                    rnd["copy_rate_hi"], 2, sign=False)
            out[f"Hlm{s}RandomValAcc"] = interval(rnd["val_acc_mean"], rnd["val_acc_lo"],
                                                  rnd["val_acc_hi"], 3, sign=False)
        b = data["best"]
        for _, row in b[b.setting == setting].iterrows():
            key = "".join(p.capitalize() for p in row["metric"].split("_"))
            out[f"Hlm{s}HarmonicRank{key}"] = f"{int(row['harmonic_rank'])} of " \
                                              f"{int(row['n_strategies'])}"
            out[f"Hlm{s}BestOther{key}"] = short(row["best_other"])
            out[f"Hlm{s}HarmonicMinusBest{key}"] = interval(row["mean"], row["lo"], row["hi"])
            out[f"Hlm{s}Verdict{key}"] = verdict(row)
        c = data["comparisons"]
        c = c[c.setting == setting]
        for metric in ("val_acc", "val_loss", "coherence", "perplexity", "train_loss"):
            cm = c[c.metric == metric]
            if cm.empty:
                continue
            key = "".join(p.capitalize() for p in metric.split("_"))
            better = cm["mean"] > 0 if cm.better.iloc[0] else cm["mean"] < 0
            sig = (cm.p_holm < 0.05)
            out[f"Hlm{s}NumBetter{key}"] = str(int((sig & better).sum()))
            out[f"Hlm{s}NumWorse{key}"] = str(int((sig & ~better).sum()))
            out[f"Hlm{s}NumCompared{key}"] = str(len(cm))
            hr = cm[cm.strategy == H.HARMONIC]
            if not hr.empty:
                hr = hr.iloc[0]
                digits = 1 if metric == "perplexity" else 3
                out[f"Hlm{s}HarmonicVsRandom{key}"] = interval(hr["mean"], hr["lo"], hr["hi"],
                                                               digits)
                out[f"Hlm{s}HarmonicVsRandom{key}P"] = pvalue(hr["p_holm"])
        ev = data["evidence"]
        auc = ev.get(f"hlm_{setting}_harmonic_vs_random_train_loss_auc")
        if auc is not None:
            out[f"Hlm{s}HarmonicVsRandomLossAuc"] = interval(auc["mean"], auc["lo"], auc["hi"])
            out[f"Hlm{s}VerdictFaster"] = (
                "faster" if np.isfinite(auc["hi"]) and auc["hi"] < 0 else
                "slower" if np.isfinite(auc["lo"]) and auc["lo"] > 0 else
                "not distinguishable")
        g = data["generations"]
        g = g[g.setting == setting].set_index("strategy")
        for strategy, key in ((H.HARMONIC, "Harmonic"), (H.BASELINE, "Random")):
            if strategy in g.index:
                out[f"Hlm{s}Greedy{key}"] = latex_text(g.loc[strategy, "greedy"])
                out[f"Hlm{s}Sampled{key}"] = latex_text(g.loc[strategy, "sampled"])
    lists = _lists(data, out)
    out = {k: v for k, v in out.items() if isinstance(v, str) and v}
    # These read at any set of settings and the text always uses them, so they stay defined
    # when empty (HlmPrimaryNote is empty exactly when the paper's own setting ran).
    out.update(lists)
    return out


def _lists(data: dict, out: dict[str, str]) -> dict[str, str]:
    """The macros that read at any set of settings: lists over the settings that ran, the
    primary setting's aliases, the table body and the sentences on what did not run."""
    ran = ordered(data["settings"].setting)
    skipped = data.get("skipped") or []
    main = primary(ran)
    res = {"HlmPrimaryPhrase": phrase(main)}
    with_primary(out, "Hlm", main)
    res["HlmSettingsRan"] = (
        f"This build ran {len(ran)} setting{'s' * (len(ran) > 1)}: "
        f"{listing([phrase(x).removeprefix('on ') for x in ran])}.")
    where, why = not_run_sentences(skipped)
    res["HlmSettingsNotRun"] = (f" Not run: {where} ({why})." if where else
                                " Every setting of the preset ran.")
    res["HlmPrimaryNote"] = (
        "" if main == PAPER_SETTING else
        f" The paper's own protocol, windows of \\texttt{{medical.txt}}, did not run in this "
        f"build, so the setting described in detail below is the one that did, {phrase(main)}; "
        f"the ledger's claims about the paper's corpus are not run.")
    res["HlmConvergedList"] = listing(
        [f"{out[f'Hlm{camel(x)}Converged']} runs {phrase(x)}" for x in ran])
    # the rebuilt table: the settings that ran, then a row for each that did not
    rows = []
    for x in ran:
        r = data["settings"].set_index("setting").loc[x]
        rows.append(rf"\multicolumn{{6}}{{l}}{{\emph{{{r['corpus']}, {r['split']}}}}} \\" + "\n"
                    + table_body(data["table"][data["table"].setting == x], r["split"]))
    for sk in skipped:
        corpus, _, split = sk["setting"].rpartition("_")
        rows.append(rf"\multicolumn{{6}}{{l}}{{\emph{{{corpus}, {split}: not run "
                    rf"({sk['reason']})}}}} \\")
    res["HlmTableRows"] = "\n\\midrule\n".join(rows)
    # per-setting lists of ranks, verdicts and differences
    def each(need: str, text, keep=lambda x: True) -> list[str]:
        """``text(x, get)`` for each setting ``x`` that ran and has ``Hlm<X><need>``, where
        ``get(name)`` reads that setting's macro ``Hlm<X><name>``."""
        return [text(x, lambda name, x=x: out[f"Hlm{camel(x)}{name}"]) for x in ran
                if f"Hlm{camel(x)}{need}" in out and keep(x)]

    def sentences(x: str) -> bool:
        return x.endswith("_sentences")

    for m in ("ValAcc", "TrainAcc", "TrainLoss", "ValLoss", "Coherence"):
        items = each(f"Verdict{m}", lambda x, get: (
            f"\\textbf{{{get('Verdict' + m)}}} {phrase(x)} (rank {get('HarmonicRank' + m)}; "
            f"minus {get('BestOther' + m)}: {get('HarmonicMinusBest' + m)})"))
        if items:
            res[f"HlmVerdictList{m}"] = listing(items)
    for m in ("ValAcc", "Perplexity"):
        keep = sentences if m == "Perplexity" else (lambda x: True)
        items = each(f"HarmonicVsRandom{m}", lambda x, get: (
            f"{get('HarmonicVsRandom' + m)} (Holm-adjusted $p{get('HarmonicVsRandom' + m + 'P')}$) "
            f"{phrase(x)}"), keep)
        res[f"HlmVsRandomList{m}"] = listing(items) if items else "not measured at this preset"
        items = each(f"NumBetter{m}", lambda x, get: (
            f"{get('NumBetter' + m)} significantly better and {get('NumWorse' + m)} "
            f"significantly worse {phrase(x)}"), keep)
        res[f"HlmNumBetterList{m}"] = listing(items) if items else "none measured at this preset"
    items = each("HarmonicVsRandomLossAuc", lambda x, get: (
        f"{get('HarmonicVsRandomLossAuc')} nats per token {phrase(x)} "
        f"(\\textbf{{{get('VerdictFaster')}}})"))
    if items:
        res["HlmLossAucList"] = listing(items)
    items = each("UnknownRate", lambda x, get: f"{get('UnknownRate')}\\% {phrase(x)}", sentences)
    res["HlmUnknownRateList"] = listing(items) if items else "no held-out sentences at this preset"
    return res


__all__ = ["CAPTION", "NAME", "compute", "macros", "plot"]
