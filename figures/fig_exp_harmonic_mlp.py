"""HarmonicMLP on MNIST: the reference run's accuracy curve, every ablation against it, the
learning-rate sweep (:mod:`analysis.experiments.harmonic_mlp`).

Panels: (a) test accuracy of the reference model per epoch on the whole training set, with the
README's 95% line; (b) test accuracy per epoch of every arm of the ablation setting; (c) paired
differences arm - full of the final accuracy and of the accuracy after epoch 1 (accuracy points,
95% intervals); (d) training loss in windows of a tenth of an epoch, per arm; (e) the
reference's learning-rate sweep, final test accuracy against the learning rate; (f) the
reference model's mean training loss per epoch. Bands and bars are 95% t-intervals over seeds.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from initaudit.analysis.experiment import run_experiment
from initaudit.analysis import claims, scale
from initaudit.analysis.experiments.harmonic_mlp import CLAIM_ACCURACY
from initaudit.analysis.presets import check_preset
from initaudit.figures import style, text

NAME = "exp_harmonic_mlp"
CAPTION = (
    r"HarmonicMLP on MNIST. (a) Test accuracy per epoch (epoch 0: before training) of the "
    r"reference model and training recipe, and of a ReLU MLP of the same widths trained the same "
    r"way, on the whole training set, with the README's 95\% line. "
    r"(b) Test accuracy per epoch of every ablation arm in the ablation setting. (c) Paired "
    r"differences arm $-$ reference of the final test accuracy and of the accuracy after the "
    r"first epoch, in accuracy points. (d) Training loss averaged over windows of a tenth of an "
    r"epoch. (e) The reference's learning-rate sweep (no scheduler): final test accuracy. "
    r"(f) Mean training loss per epoch of the two runs of (a). Bands and bars: 95\% t-intervals "
    r"over seeds."
)

#: Colour per arm (Wong 2011 palette, then greys).
ARM_COLORS = {
    "full": "#000000", "no-freq-optimizer": "#0072B2", "sgd": "#009E73",
    "sgd-no-freq-optimizer": "#56B4E9", "multiply": "#CC79A7", "no-residual": "#E69F00",
    "relu-mlp": "#7F7F7F", "edge-of-chaos": "#D55E00", "sinusoidal": "#8C564B",
}
#: Relative epoch-to-epoch rise of the mean training loss above which a run counts as unstable.
INSTABILITY_RISE = 0.10
#: Legend labels of the main setting's arms.
MAIN_LABELS = {"full": "HarmonicMLP (reference)", "relu-mlp": "ReLU MLP, same widths"}
#: Letters-only macro stem of each arm.
ARM_MACRO = {
    "full": "Full", "no-freq-optimizer": "NoFreqOpt", "sgd": "Sgd",
    "sgd-no-freq-optimizer": "SgdNoFreqOpt", "multiply": "Multiply", "no-residual": "NoResidual",
    "relu-mlp": "ReluMlp", "edge-of-chaos": "EdgeOfChaos", "sinusoidal": "Sinusoidal",
}


def compute(preset: str) -> dict:
    """The experiment's summary at ``preset`` (every arm, the sweep; packaged MNIST, no
    fallback: a missing copy raises DataUnavailable and the pipeline skips the figure)."""
    run = run_experiment("harmonic-mlp", check_preset(preset), progress=True)
    return run.summary


def _band(ax, df, x, color, label, lw=1.2, marker=None):
    df = df.sort_values(x)
    ax.plot(df[x], df["mean"], color=color, lw=lw, label=label, marker=marker, ms=3)
    if df["lo"].notna().any():
        ax.fill_between(df[x], df["lo"], df["hi"], color=color, alpha=0.2, lw=0)


def plot(data: dict) -> plt.Figure:
    style.apply()
    fig, axes = plt.subplots(2, 3, figsize=(10.5, 6.0))
    (a, b, c), (d, e, f) = axes
    s = data["settings"]
    if "main" in data:
        cur, loss = data["main"]["curves"], data["main"]["loss"]
        for arm in dict.fromkeys(cur.arm):
            lab = MAIN_LABELS.get(arm, arm)
            _band(a, cur[cur.arm == arm], "epoch", ARM_COLORS.get(arm, "grey"), lab, marker="o")
            _band(f, loss[loss.arm == arm], "epoch", ARM_COLORS.get(arm, "grey"), lab, marker="o")
        a.axhline(CLAIM_ACCURACY, color="#D55E00", ls="--", lw=0.9, label="README: 95%")
        lo = float(cur[cur.epoch >= 1]["lo"].min()) - 0.04
        a.set_ylim(max(0.0, lo) if math.isfinite(lo) else 0.0, 1.0)
        a.set_title(f"(a) {data['main']['n_train']} training images", loc="left")
        a.set_xlabel("epoch")
        a.set_ylabel("test accuracy")
        a.legend(loc="lower right", fontsize=6.5)
        f.set_xlabel("epoch")
        f.set_ylabel("mean training loss")
        f.set_title(f"(f) training loss, {data['main']['n_train']} images", loc="left")
        f.legend(loc="upper right")
    if "ablation" in data:
        abl = data["ablation"]
        cur = abl["curves"]
        for arm in dict.fromkeys(cur.arm):
            _band(b, cur[cur.arm == arm], "epoch", ARM_COLORS.get(arm, "grey"), arm)
        b.set_ylim(0.0, 1.0)
        b.set_xlabel("epoch")
        b.set_ylabel("test accuracy")
        b.set_title(f"(b) arms, {abl['n_train']} training images", loc="left")
        b.legend(fontsize=6, loc="lower right", ncol=2)
        t = abl["table"]
        t = t[t.arm != "full"].reset_index(drop=True)
        y = np.arange(len(t))
        for col, off, mk, lab in (("d_final_acc", -0.15, "o", "final"),
                                  ("d_acc_epoch1", 0.15, "s", "after epoch 1")):
            err = np.vstack([t[col] - t[f"{col}_lo"], t[f"{col}_hi"] - t[col]])
            c.errorbar(t[col], y + off, xerr=np.nan_to_num(err), fmt=mk, ms=3.5, capsize=2,
                       lw=0.9, label=lab, color="black" if col == "d_final_acc" else "#0072B2")
        c.axvline(0.0, color="grey", lw=0.8)
        c.set_yticks(y)
        c.set_yticklabels(t.arm, fontsize=7)
        c.invert_yaxis()
        c.set_xscale("symlog", linthresh=1.0)
        ends = np.concatenate([t[f"{k}_{e}"].to_numpy(float)
                               for k in ("d_final_acc", "d_acc_epoch1") for e in ("lo", "hi")]
                              + [t.d_final_acc.to_numpy(float)])
        ends = ends[np.isfinite(ends)]
        if ends.size:
            c.set_xlim(min(-1.0, 1.5 * ends.min()), max(1.0, 1.5 * ends.max()))
        left, right = c.get_xlim()
        ticks = [v for v in (-100, -10, -1, 0, 1, 10, 100) if left <= v <= right]
        c.set_xticks(ticks)
        c.set_xticklabels([f"{v:+d}" if v else "0" for v in ticks])
        c.set_xlabel("arm $-$ reference (accuracy points)")
        c.set_title("(c) paired differences", loc="left")
        c.legend(fontsize=6.5, loc="lower right")
        lw = abl["loss_windows"]
        for arm in dict.fromkeys(lw.arm):
            _band(d, lw[lw.arm == arm], "x", ARM_COLORS.get(arm, "grey"), arm, lw=0.9)
        d.set_yscale("log")
        d.set_xlabel("epoch")
        d.set_ylabel("training loss (window mean)")
        d.set_title("(d) training loss per arm", loc="left")
    if "lr_sweep" in data:
        sw = data["lr_sweep"]["table"].sort_values("lr")
        err = np.vstack([sw.final_acc - sw.final_acc_lo, sw.final_acc_hi - sw.final_acc])
        e.errorbar(sw.lr, sw.final_acc, yerr=np.nan_to_num(err), fmt="o-", ms=3.5, capsize=2,
                   color="black", lw=1.0)
        e.set_xscale("log")
        e.set_xlabel("Adam learning rate")
        e.set_ylabel("final test accuracy")
        e.set_title(f"(e) lr sweep, {data['lr_sweep']['epochs']} epochs", loc="left")
    for ax in axes.ravel():
        if not ax.has_data():
            ax.set_axis_off()
    fig.suptitle(f"{s['data']} ({s['source']}), {s['seeds']} seeds", fontsize=8)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------------------------
# Macros


def _pct(v: float, signed: bool = False) -> str:
    return text.tex_number(100 * v, 2, signed=signed) if math.isfinite(v) else "n/a"


def _pts(v: float) -> str:
    return text.tex_number(v, 2, signed=True)


def effect_word(lo: float, hi: float, ref: str = "the reference's") -> str:
    """``higher than REF`` / ``lower than REF`` when the interval excludes 0, else
    ``indistinguishable from REF`` (``no interval`` when it is not finite)."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return "no interval"
    return (f"higher than {ref}" if lo > 0 else f"lower than {ref}" if hi < 0
            else f"indistinguishable from {ref}")


def _table_body(t: pd.DataFrame) -> str:
    rows = []
    for _, r in t.iterrows():
        name = r.arm.replace("-", "\\mbox{-}")
        if r.arm == "full":
            diff = "\\multicolumn{2}{c}{(reference)}"
        else:
            diff = (f"{_pts(r.d_final_acc)} [{_pts(r.d_final_acc_lo)}, {_pts(r.d_final_acc_hi)}] & "
                    f"{_pts(r.d_acc_epoch1)} [{_pts(r.d_acc_epoch1_lo)}, "
                    f"{_pts(r.d_acc_epoch1_hi)}]")
        p = "--" if r.arm == "full" or not math.isfinite(r.d_final_acc_p_holm) \
            else f"{r.d_final_acc_p_holm:.2g}"
        rows.append(f"\\texttt{{{name}}} & {100 * r.final_acc:.2f} & {diff} & {p} & "
                    f"{r.loss_rises:.1f} & {r.nonfinite_steps:.0f} \\\\")
    return " ".join(rows)


def macros(data: dict) -> dict[str, str]:
    """Sizes, the claims' numbers and verdicts, each arm's paired differences, the ablation
    table body (``HmlpAblationTable``) and the sweep's best learning rate. Accuracies in %."""
    s = data["settings"]
    ev = data["evidence"]
    out = {"HmlpSeeds": str(s["seeds"]), "HmlpSource": s["source"].replace("_", "-"),
           "HmlpClaim": f"{100 * CLAIM_ACCURACY:.0f}"}
    if "main" in data:
        out["HmlpMainTrain"] = f"{s['main_train']:,}".replace(",", "{,}")
        out["HmlpMainEpochs"] = str(s["main_epochs"])
        for key, stem in (("final_accuracy_full", "Final"), ("accuracy_epoch1_full", "EpochOne"),
                          ("accuracy_epoch2_full", "EpochTwo"),
                          ("accuracy_epoch3_full", "EpochThree")):
            if key in ev:
                r = ev[key]
                out[f"HmlpAcc{stem}"] = _pct(r["mean"])
                out[f"HmlpAcc{stem}Lo"] = _pct(r["lo"])
                out[f"HmlpAcc{stem}Hi"] = _pct(r["hi"])
                out[f"HmlpAcc{stem}Verdict"] = claims.outcome("hmlp-95-few-epochs", r)
        # The same sentence at every preset: the epochs the budget has, then who reached 95%.
        words = {1: "one", 2: "two", 3: "three"}
        parts = [f"{'After' if i == 0 else 'after'} {words[e]} epoch{'s' * (e > 1)} the "
                 f"reference reaches {_pct(ev[k]['mean'])}\\% test accuracy (95\\% interval "
                 f"{_pct(ev[k]['lo'])}--{_pct(ev[k]['hi'])}\\%)" if i == 0 else
                 f"after {words[e]} {_pct(ev[k]['mean'])}\\% "
                 f"({_pct(ev[k]['lo'])}--{_pct(ev[k]['hi'])}\\%)"
                 for i, (e, k) in enumerate((e, f"accuracy_epoch{e}_full") for e in (1, 2, 3)
                                            if f"accuracy_epoch{e}_full" in ev)]
        out["HmlpAccByEpoch"] = (", ".join(parts[:-1]) + " and " + parts[-1]
                                 if len(parts) > 1 else parts[0]) + "."
        e95 = ev["epochs_to_95_full"]
        out["HmlpEpochsToNinetyFive"] = (f"{e95['mean']:.1f}" if math.isfinite(e95["mean"])
                                         else "n/a")
        runs = data["main"]["runs"]
        runs = runs[runs.arm == "full"]
        out["HmlpReached"] = str(int(np.isfinite(runs.epochs_to_95.to_numpy(float)).sum()))
        out["HmlpMaxEpochsToNinetyFive"] = (f"{np.nanmax(runs.epochs_to_95):.0f}"
                                            if np.isfinite(runs.epochs_to_95).any() else "n/a")
        reached = int(out["HmlpReached"])
        out["HmlpReachedSentence"] = (
            f"{reached} of {s['seeds']} seeds reach 95\\% within the budget"
            + (f", on average after {out['HmlpEpochsToNinetyFive']} epochs (at most "
               f"{out['HmlpMaxEpochsToNinetyFive']})." if reached else "."))
        out["HmlpLossRises"] = f"{ev['loss_rises_full']['mean']:.1f}"
        out["HmlpNonfinite"] = f"{runs.nonfinite_steps.sum():.0f}"
        out["HmlpMainTest"] = f"{data['main']['n_test']:,}".replace(",", "{,}")
        top_rise = float(runs.max_loss_rise.max())
        out["HmlpMaxLossRise"] = f"{100 * top_rise:.2f}"
        # "no sign of instability": no non-finite loss and no epoch whose mean training loss
        # rises by more than INSTABILITY_RISE over the previous one
        calm = runs.nonfinite_steps.sum() == 0 and top_rise <= INSTABILITY_RISE
        out["HmlpInstabilityWord"] = "no" if calm else "some"
        out["HmlpInstabilityRise"] = f"{100 * INSTABILITY_RISE:.0f}"
        for key, stem in (("final_accuracy_relu_mlp_main", "HmlpMainReluAcc"),
                          ("final_train_accuracy_full", "HmlpTrainAccFull"),
                          ("final_train_accuracy_relu_mlp_main", "HmlpTrainAccRelu")):
            if key in ev:
                out[stem] = _pct(ev[key]["mean"])
                out[f"{stem}Lo"] = _pct(ev[key]["lo"])
                out[f"{stem}Hi"] = _pct(ev[key]["hi"])
        for key, stem in (("main_delta_final_accuracy_relu_mlp", "HmlpMainDReluFinal"),
                          ("main_delta_epoch1_accuracy_relu_mlp", "HmlpMainDReluEpochOne"),
                          ("accuracy_gain_after_epoch1_full", "HmlpGainAfterEpochOne")):
            if key in ev:
                out[stem] = _pts(ev[key]["mean"])
                out[f"{stem}Lo"] = _pts(ev[key]["lo"])
                out[f"{stem}Hi"] = _pts(ev[key]["hi"])
                out[f"{stem}Word"] = effect_word(
                    ev[key]["lo"], ev[key]["hi"],
                    "the accuracy after epoch 1" if stem == "HmlpGainAfterEpochOne"
                    else "HarmonicMLP's")
        # "within the first few epochs": accuracy after epoch 3 (or the last one, if fewer)
        key = next(k for k in ("accuracy_epoch3_full", "accuracy_epoch2_full",
                               "accuracy_epoch1_full") if k in ev)
        # the ledger's word: the rule's outcome read at the claim's tier at this preset
        tier = scale.assess(scale.SETTINGS["hmlp-95-few-epochs"], "harmonic-mlp",
                            s["preset"], int(ev[key]["n"]))["tier"]
        out["HmlpClaimVerdict"] = claims.verdict_word(
            claims.outcome("hmlp-95-few-epochs", ev[key]), tier)
        out["HmlpClaimEpoch"] = key[len("accuracy_epoch"):-len("_full")]
    if "ablation" in data:
        abl = data["ablation"]
        out["HmlpAblationTrain"] = f"{s['ablation_train']:,}".replace(",", "{,}")
        out["HmlpAblationEpochs"] = str(s["ablation_epochs"])
        out["HmlpAblationTable"] = _table_body(abl["table"])
        out["HmlpArms"] = str(len(abl["table"]) - 1)
        for _, r in abl["table"].iterrows():
            stem = ARM_MACRO.get(r.arm)
            if stem is None:
                continue
            out[f"HmlpAcc{stem}"] = _pct(r.final_acc)
            if r.arm == "full":
                continue
            for col, tag in (("d_final_acc", "Final"), ("d_acc_epoch1", "EpochOne")):
                out[f"HmlpD{stem}{tag}"] = _pts(r[col])
                out[f"HmlpD{stem}{tag}Lo"] = _pts(r[f"{col}_lo"])
                out[f"HmlpD{stem}{tag}Hi"] = _pts(r[f"{col}_hi"])
                out[f"HmlpD{stem}{tag}Word"] = effect_word(r[f"{col}_lo"], r[f"{col}_hi"])
        for tag in ("adam", "sgd"):
            key = f"freq_optimizer_effect_final_accuracy_{tag}"
            if key in ev:
                r = ev[key]
                stem = f"HmlpFreqOpt{tag.capitalize()}"
                out[stem] = _pts(r["mean"])
                out[f"{stem}Lo"] = _pts(r["lo"])
                out[f"{stem}Hi"] = _pts(r["hi"])
                out[f"{stem}Word"] = effect_word(r["lo"], r["hi"], "without it")
    if "lr_sweep" in data:
        sw = data["lr_sweep"]["table"]
        best = sw.loc[sw.final_acc.idxmax()]
        out["HmlpSweepBestLr"] = f"{best.lr:.0e}".replace("e-0", "e-")
        out["HmlpSweepBestAcc"] = _pct(best.final_acc)
        out["HmlpSweepEpochs"] = str(data["lr_sweep"]["epochs"])
        out["HmlpSweepTrain"] = f"{data['lr_sweep']['n_train']:,}".replace(",", "{,}")
        ref = sw[np.isclose(sw.lr, 1e-3)]
        if not ref.empty:
            out["HmlpSweepRefAcc"] = _pct(float(ref.final_acc.iloc[0]))
    return out
