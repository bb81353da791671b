"""Image fitting on every 4th pixel of the camera image: PSNR against depth, training curves,
error spectra and paired differences (:mod:`analysis.experiments.image_fit`).

Panels: (a) generalisation PSNR on the full 512 x 512 grid against depth per initialiser, with
the cubic-spline interpolation of the same pixels as a dashed line; (b) PSNR on a fixed set of
held-out pixels during training at the representative depth (the middle one of the sweep);
(c) radially averaged power spectrum of the error at that depth, with the training Nyquist
frequency; (d) paired differences initialiser - SIREN of the generalisation PSNR per depth and
pooled over depths. Intervals: 95% t-intervals over seeds (spectra: percentile bootstrap).

Also holds the small formatting helpers that the other fitting figures share.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np

from initaudit.analysis.experiment import run_experiment
from initaudit.analysis.experiments import image_fit
from initaudit.analysis.presets import check_preset
from initaudit.figures import style
from initaudit.figures.style import color, label, macro_key
from initaudit.figures.text import fmt, interval_macros, list_words, number_word
from initaudit.figures.text import sign_word as verdict_word

NAME = "exp_image_fit"
CAPTION = (
    r"Sine networks fitted to the camera image on every 4th pixel of both axes and evaluated "
    r"on all its pixels. (a) Generalisation PSNR against depth per "
    r"initialiser; dashed: cubic-spline interpolation of the same pixels. (b) PSNR on a fixed "
    r"set of held-out pixels during training, at the middle depth of the sweep. (c) Radially "
    r"averaged power spectrum of the full-grid error at that depth; dotted: the training grid's "
    r"Nyquist frequency. (d) Paired difference initialiser $-$ SIREN of the generalisation PSNR "
    r"per depth and pooled over depths. Bands and bars: 95\% intervals over seeds (t; spectra: "
    r"percentile bootstrap)."
)

#: Letters-only macro stem of each initialiser (shared by every figure).


# --------------------------------------------------------------------------------------------
# Shared helpers (also used by fig_exp_image_fit_maps and fig_exp_audio_fit)


# --------------------------------------------------------------------------------------------


def compute(preset: str) -> dict:
    """The experiment's summary, and the seed-0 fitted images at the representative depth."""
    run = run_experiment(image_fit.NAME, check_preset(preset), progress=True)
    return {**run.summary, **image_fit.seed_fits(run.configs, run.results, run.summary)}


def _band(ax, x, mean, lo, hi, c, lab, **kw):
    ax.plot(x, mean, color=c, label=lab, **kw)
    ax.fill_between(x, lo, hi, color=c, alpha=0.2, lw=0)


def plot(data: dict) -> plt.Figure:
    style.apply()
    fig, axes = plt.subplots(2, 2, figsize=(7.4, 5.6))
    (a, b), (c, d) = axes
    s = data["settings"]
    table = data["table"]
    depth = data["representative_depth"]
    inits = s["inits"]
    for init in inits:
        t = table[table.init == init].sort_values("depth")
        err = np.vstack([t.gen_psnr - t.gen_psnr_lo, t.gen_psnr_hi - t.gen_psnr])
        a.errorbar(t.depth, t.gen_psnr, yerr=np.nan_to_num(err), fmt="o-", ms=3.5, capsize=2,
                   lw=1.0, color=color(init), label=label(init))
    cubic = a.axhline(data["baseline"]["gen_psnr"], color="black", ls="--", lw=0.8,
                      label="cubic-spline interpolation")
    a.set_xscale("log", base=2)
    a.set_xticks(s["depths"])
    a.set_xticklabels([str(x) for x in s["depths"]])
    a.set_xlabel("depth $L$")
    a.set_ylabel("PSNR on all pixels (dB)")
    a.set_title(f"(a) generalisation, width {s['width']}", loc="left")
    a.legend(handles=[cubic], fontsize=6, loc="upper left")
    cur = data["curves"]
    cur = cur[(cur.depth == depth) & (cur.quantity == "heldout_psnr")]
    for init in inits:
        k = cur[cur.init == init].sort_values("step")
        _band(b, k.step, k["mean"], k.lo, k.hi, color(init), label(init), lw=1.0)
    b.legend(fontsize=6, loc="lower right")
    b.set_xlabel("Adam step")
    b.set_ylabel("PSNR on held-out pixels (dB)")
    b.set_title(f"(b) training, depth {depth}", loc="left")
    sp = data["spectra"]
    sp = sp[(sp.depth == depth) & (sp.omega > 0)]
    for init in inits:
        k = sp[sp.init == init].sort_values("omega")
        _band(c, k.omega, k.power, k.lo, k.hi, color(init), label(init), lw=0.8)
    c.axvline(s["nyquist"], color="black", ls=":", lw=0.9, label="training Nyquist")
    c.set_xscale("log")
    c.set_yscale("log")
    c.set_xlabel(r"radial frequency $|\omega|$ (rad per unit $x$)")
    c.set_ylabel("error power per bin")
    c.set_title(f"(c) error spectrum, depth {depth}", loc="left")
    c.legend(fontsize=6, loc="lower left")
    p = data["paired"]
    p = p[p.metric == "gen_psnr"] if not p.empty else p
    others = [i for i in inits if i != "siren"]
    xs = [str(x) for x in s["depths"]] + ["pooled"]
    width = 0.8 / max(1, len(others))
    for j, init in enumerate(others):
        k = p[p.init == init].set_index("depth").reindex(xs)
        pos = np.arange(len(xs)) - 0.4 + width * (j + 0.5)
        err = np.vstack([k["mean"] - k.lo, k.hi - k["mean"]])
        d.errorbar(pos, k["mean"], yerr=np.nan_to_num(err), fmt="o", ms=3.5, capsize=2,
                   lw=1.0, color=color(init), label=label(init))
    d.axhline(0.0, color="grey", lw=0.8)
    d.set_xticks(np.arange(len(xs)))
    d.set_xticklabels(xs)
    d.set_xlabel("depth $L$")
    d.set_ylabel("PSNR difference vs SIREN (dB)")
    d.set_title("(d) paired differences", loc="left")
    fig.suptitle(f"camera {s['image_points']}$^2$, trained on {s['train_points']}$^2$ pixels, "
                 f"{s['steps']} Adam steps, {s['seeds']} seeds", fontsize=8)
    fig.tight_layout()
    return fig


def _table_body(data: dict) -> str:
    """Rows ``init & depth & train PSNR & gen PSNR [CI] & high share & diff vs siren [CI]``."""
    t, p = data["table"], data["paired"]
    rows = []
    for _, r in t.sort_values(["depth"], kind="stable").iterrows():
        if r.init == "siren":
            diff = "(baseline)"
        else:
            k = p[(p.init == r.init) & (p.depth == str(r.depth)) & (p.metric == "gen_psnr")]
            k = k.iloc[0]
            diff = f"${k['mean']:+.2f}$ $[{k.lo:+.2f}, {k.hi:+.2f}]$"
        rows.append(f"{label(r.init)} & {r.depth} & {r.train_psnr:.2f} & {r.gen_psnr:.2f} "
                    f"$[{r.gen_psnr_lo:.2f}, {r.gen_psnr_hi:.2f}]$ & {r.high_share:.3f} & "
                    f"{diff} \\\\")
    return " ".join(rows)


def macros(data: dict) -> dict[str, str]:
    """Sizes, per-initialiser PSNRs, the paired differences with their words, the baseline,
    the sanity fit and the table body ``ExpImgTable``."""
    out: dict[str, str] = {}
    ev = data["evidence"]
    if "settings" in data:
        s = data["settings"]
        out.update({
            "ExpImgPoints": str(s["image_points"]), "ExpImgTrainPoints": str(s["train_points"]),
            "ExpImgFactor": str(s["factor"]), "ExpImgWidth": str(s["width"]),
            "ExpImgSteps": f"{s['steps']:,}".replace(",", "{,}"), "ExpImgLr": f"{s['lr']:g}",
            "ExpImgBatch": "all" if s["batch_size"] is None else f"{s['batch_size']:,}".replace(",", "{,}"),
            "ExpImgSeeds": str(s["seeds"]), "ExpImgDepths": list_words(s["depths"]),
            "ExpImgRepDepth": str(data["representative_depth"]),
            "ExpImgOmega": f"{s['omega0']:g}",
            "ExpImgCubicPsnr": fmt(data["baseline"]["gen_psnr"]),
            "ExpImgCubicShare": fmt(data["baseline"]["high_share"], 3),
            "ExpImgTable": _table_body(data),
        })
        for _, r in data["table"].iterrows():
            stem = f"ExpImg{macro_key(r.init)}{number_word(int(r.depth))}"
            out[f"{stem}Gen"] = fmt(r.gen_psnr)
            out[f"{stem}Train"] = fmt(r.train_psnr)
            out[f"{stem}Share"] = fmt(r.high_share, 3)
        for init in s["inits"]:
            if init == "siren":
                continue
            stem = macro_key(init)
            for depth in s["depths"]:
                key = f"image_gen_psnr_{init}_vs_siren_depth{depth}"
                out.update(interval_macros(f"ExpImgD{stem}{number_word(depth)}", ev[key]))
            pooled = ev[f"image_gen_psnr_{init}_vs_siren_pooled"]
            out.update(interval_macros(f"ExpImgD{stem}Pooled", pooled))
            out[f"ExpImgVerdict{stem}"] = verdict_word(pooled["lo"], pooled["hi"])
            for metric, tag, digits in (("train_psnr", "Train", 2), ("gap", "Gap", 2),
                                        ("high_share", "Share", 3), ("high_db", "HighDb", 2)):
                out.update(interval_macros(f"ExpImg{tag}D{stem}Pooled",
                                           ev[f"image_{metric}_{init}_vs_siren_pooled"], digits))
        key = "image_gen_psnr_edge_of_chaos_orthogonal_vs_edge_of_chaos_pooled"
        if key in ev:  # the orthogonal variant against its i.i.d. point
            out.update(interval_macros("ExpImgOrthVsIidPooled", ev[key]))
        best = data["table"].loc[data["table"].gen_psnr.idxmax()]
        out["ExpImgBestLabel"] = label(best.init)
        out["ExpImgBestDepth"] = str(int(best.depth))
        out["ExpImgBestGen"] = fmt(best.gen_psnr)
        out["ExpImgCubicWord"] = ("below" if best.gen_psnr < data["baseline"]["gen_psnr"]
                                  else "above")
        deepest = max(s["depths"])
        out["ExpImgDeepest"] = str(deepest)
        for init in s["inits"]:
            if init != "siren":
                out.update(interval_macros(
                    f"ExpImgD{macro_key(init)}Deepest",
                    ev[f"image_gen_psnr_{init}_vs_siren_depth{deepest}"]))
        tab = data["table"]
        siren = tab[tab.init == "siren"]
        out["ExpImgSirenGapMax"] = fmt(float(siren.gap.max()))
        eoc = tab[tab.init == "edge_of_chaos"]
        if not eoc.empty:
            out["ExpImgEoCGapMax"] = fmt(float(eoc.gap.max()))
    if "sanity" in data:
        sn = data["sanity"]
        st, ti = sn["settings"], sn["interval"]
        out.update({
            "ExpImgSanityPsnr": fmt(ti["mean"]), "ExpImgSanityLo": fmt(ti["lo"]),
            "ExpImgSanityHi": fmt(ti["hi"]), "ExpImgSanitySteps": f"{st['steps']:,}".replace(",", "{,}"),
            "ExpImgSanityPoints": str(st["image_points"]), "ExpImgSanityWidth": str(st["width"]),
            "ExpImgSanityLr": f"{st['lr']:g}", "ExpImgSanitySeeds": str(st["seeds"]),
            "ExpImgSanityBatch": ("full batch" if st["batch_size"] is None
                                  else f"minibatches of {st['batch_size']:,} pixels".replace(",", "{,}")),
            "ExpImgSanityPublished": f"{sn['published']:g}",
            "ExpImgSanityVerdict": (
                "inconclusive" if not (math.isfinite(ti["lo"]) and math.isfinite(ti["hi"]))
                else "reaches" if ti["lo"] > sn["published"]
                else "does not reach" if ti["hi"] < sn["published"] else "may or may not reach"),
        })
    return out


__all__ = ["CAPTION", "NAME", "compute", "macros", "plot"]
