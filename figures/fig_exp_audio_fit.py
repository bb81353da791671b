"""Audio fitting and denoising per initialiser (:mod:`analysis.experiments.audio_fit`).

Panels: (a) SNR of the fit to the clean signal, per arm (initialiser at a first-layer omega_0)
and signal; (b) SNR against the clean signal of the fit to the noisy signal, with the input SNR
as a dashed line; (c) SNR against the clean signal during training, fit task, recording (the
chirp when no recording was found); (d) a short window, around the loudest sample, of the
clean signal and the seed-0 fits of SIREN and of the edge-of-chaos point at omega_0 = 3000 and
at the rule's omega_0. Intervals: 95% t-intervals over seeds.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np

from initaudit.analysis.experiment import run_experiment
from initaudit.analysis.experiments import audio_fit
from initaudit.analysis.experiments import sine_fit as sf
from initaudit.analysis.presets import check_preset
from initaudit.figures import style
from initaudit.figures.style import color, label, macro_key
from initaudit.figures.text import fmt, interval_macros, tex_number
from initaudit.figures.text import sign_word as verdict_word

NAME = "exp_audio_fit"
CAPTION = (
    r"Sine networks fitted to a recording and to a linear chirp, per initialiser and "
    r"first-layer frequency (SIREN's $\omega_0=3000$, or the rule transferred from the image "
    r"experiment for the edge-of-chaos points). (a) SNR of the fit to the clean signal. "
    r"(b) Denoising: SNR against the clean signal of the fit to a noisy version (dashed: the "
    r"input SNR). (c) SNR against the clean signal during training (fit task). (d) A window of "
    r"the clean signal around its loudest sample and three fits (one seed). Bars and bands: "
    r"95\% t-intervals over seeds."
)

#: Letters-only macro stems.
SIGNAL_MACRO = {"recording": "Rec", "chirp": "Chirp"}
TASK_MACRO = {"fit": "Fit", "denoise": "Denoise"}
TAG_MACRO = {"siren": "Same", "rule": "Rule"}
_MARKER = {"siren": "o", "rule": "s"}
#: Samples shown in panel (d).
WINDOW = 400


def compute(preset: str) -> dict:
    """The summary, and the clean signals and seed-0 fits for panel (d)."""
    run = run_experiment(audio_fit.NAME, check_preset(preset), progress=True)
    clean, outputs = {}, {}
    for c, r in zip(run.configs, run.results):
        if r["output"] is not None and c.task == "fit":
            outputs[(c.signal, c.init, c.omega_tag)] = r["output"]
            if c.signal not in clean:
                clean[c.signal] = audio_fit.load_signal(c).astype(np.float32)
    return {**run.summary, "clean": clean, "outputs": outputs}


def _arm_label(init: str, tag: str, omega_rule: float) -> str:
    w = r"$\omega_0$=3000" if tag == "siren" else fr"$\omega_0$={omega_rule:.0f} (rule)"
    return f"{label(init)}, {w}"


def _dots(ax, table, task, s):
    t = table[table.task == task]
    arms = list(dict.fromkeys(t.arm))
    signals = list(dict.fromkeys(t.signal))
    for k, signal in enumerate(signals):
        for j, arm in enumerate(arms):
            r = t[(t.signal == signal) & (t.arm == arm)]
            if r.empty:
                continue
            r = r.iloc[0]
            x = k + (j - (len(arms) - 1) / 2) * 0.8 / max(1, len(arms))
            err = [[max(0.0, r.snr_clean - r.snr_clean_lo)], [max(0.0, r.snr_clean_hi - r.snr_clean)]]
            ax.errorbar([x], [r.snr_clean], yerr=np.nan_to_num(err), fmt=_MARKER[r.omega_tag],
                        ms=4, capsize=2, color=color(r.init),
                        label=_arm_label(r.init, r.omega_tag, s["omega_rule"]) if k == 0 else None,
                        mfc="white" if r.omega_tag == "rule" else color(r.init))
    ax.set_xticks(range(len(signals)))
    ax.set_xticklabels(signals)
    ax.set_ylabel("SNR against the clean signal (dB)")


def plot(data: dict) -> plt.Figure:
    style.apply()
    s = data["settings"]
    table = data["table"]
    fig, axes = plt.subplots(2, 2, figsize=(7.6, 5.8))
    (a, b), (c, d) = axes
    _dots(a, table, "fit", s)
    a.set_title("(a) fit", loc="left")
    _dots(b, table, "denoise", s)
    b.axhline(s["noise_snr_db"], color="black", ls="--", lw=0.8, label="input SNR")
    b.set_title(f"(b) denoising, input SNR {s['noise_snr_db']:g} dB", loc="left")
    signal = "recording" if "recording" in s["signals"] else "chirp"
    cur = data["curves"]
    cur = cur[(cur.signal == signal) & (cur.task == "fit")]
    for arm in dict.fromkeys(cur.arm):
        k = cur[cur.arm == arm].sort_values("step")
        init, tag = arm.split("@")
        ls = "-" if tag == "siren" else "--"
        c.plot(k.step, k["mean"], color=color(init), ls=ls, lw=1.0)
        c.fill_between(k.step, k.lo, k.hi, color=color(init), alpha=0.15, lw=0)
    c.set_xlabel("Adam step (full batch)")
    c.set_ylabel("SNR (dB)")
    c.set_title(f"(c) training, {signal} (dashed: rule $\\omega_0$)", loc="left")
    clean = data["clean"].get(signal)
    if clean is not None:
        n = clean.size
        # centred on the loudest sample, where the fits differ most visibly
        lo = int(min(max(0, int(np.argmax(np.abs(clean))) - WINDOW // 2), max(0, n - WINDOW)))
        idx = np.arange(lo, min(n, lo + WINDOW))
        t_ms = 1000.0 * idx / s["rate"]
        d.plot(t_ms, clean[idx], color="black", lw=1.4, label="clean")
        for init, tag in (("siren", "siren"), ("edge_of_chaos", "siren"), ("edge_of_chaos", "rule")):
            out = data["outputs"].get((signal, init, tag))
            if out is not None:
                d.plot(t_ms, out[idx], color=color(init), lw=0.8,
                       ls="-" if tag == "siren" else "--",
                       label=_arm_label(init, tag, s["omega_rule"]))
        d.set_xlabel("time (ms)")
        d.set_ylabel("amplitude")
        d.legend(fontsize=5.5, loc="lower left")
    d.set_title(f"(d) {signal}, seed 0", loc="left")
    fig.suptitle(f"{s['samples']} samples at {s['rate']} Hz, width {s['width']}, depth "
                 f"{s['depth']}, {s['steps']} steps, {s['seeds']} seeds", fontsize=8)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    handles, labels = a.get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=6, frameon=False)
    return fig


def _table_body(data: dict) -> str:
    """Rows ``signal & task & arm & SNR [CI] & diff vs siren [CI]``."""
    s = data["settings"]
    t, p = data["table"], data["paired"]
    rows = []
    for _, r in t.iterrows():
        k = p[(p.signal == r.signal) & (p.task == r.task) & (p.arm == r.arm)] if not p.empty else p
        diff = ("(baseline)" if k.empty else
                f"${k.iloc[0]['mean']:+.2f}$ $[{k.iloc[0].lo:+.2f}, {k.iloc[0].hi:+.2f}]$")
        w = "3000" if r.omega_tag == "siren" else f"{s['omega_rule']:.0f}"
        rows.append(f"{r.signal} & {r.task} & {label(r.init)} & {w} & ${r.snr_clean:.2f}$ "
                    f"$[{r.snr_clean_lo:.2f}, {r.snr_clean_hi:.2f}]$ & {diff} \\\\")
    return " ".join(rows)


def macros(data: dict) -> dict[str, str]:
    """Sizes, SNR per signal, task and arm, the paired differences with words, the table body
    ``ExpAudTable``. Every macro of a signal that did not run reads ``n/a``."""
    s = data["settings"]
    out = {
        "ExpAudRate": f"{s['rate']:,}".replace(",", "{,}"), "ExpAudSeconds": f"{s['seconds']:g}",
        "ExpAudSamples": f"{s['samples']:,}".replace(",", "{,}"), "ExpAudWidth": str(s["width"]),
        "ExpAudDepth": str(s["depth"]), "ExpAudSteps": f"{s['steps']:,}".replace(",", "{,}"),
        "ExpAudLr": f"{s['lr']:g}", "ExpAudSeeds": str(s["seeds"]),
        "ExpAudOmegaSiren": f"{s['omega_siren']:g}", "ExpAudOmegaRule": f"{s['omega_rule']:.0f}",
        "ExpAudNoiseSnr": f"{s['noise_snr_db']:g}",
        "ExpAudChirpLow": f"{s['chirp'][0]:g}", "ExpAudChirpHigh": f"{s['chirp'][1]:,.0f}".replace(",", "{,}"),
        "ExpAudRecordingWord": "was" if "recording" in s["signals"] else "was not",
        "ExpAudRecording": (str(s["recording"]).rsplit("/", 1)[-1].replace("_", r"\_")
                            if "recording" in s["signals"] else "none"),
        "ExpAudTable": _table_body(data),
    }
    ev = data["evidence"]
    t = data["table"]
    default_arms = ([(i, "siren") for i in audio_fit.DEFAULT_INITS]
                    + [(i, "rule") for i in audio_fit.DEFAULT_INITS if i in sf.EOC_POINTS])
    for signal, sig in SIGNAL_MACRO.items():
        ran = signal in s["signals"]
        for task, tk in TASK_MACRO.items():
            rows = t[(t.signal == signal) & (t.task == task)]
            arms = [(r.init, r.omega_tag) for _, r in rows.iterrows()] if ran else default_arms
            for init, tag in arms:
                stem = f"{sig}{tk}{macro_key(init)}{TAG_MACRO[tag]}"
                r = rows[(rows.init == init) & (rows.omega_tag == tag)]
                out[f"ExpAud{stem}"] = fmt(float(r.iloc[0].snr_clean)) if not r.empty else "n/a"
                if init == "siren" and tag == "siren":
                    continue
                key = (f"audio_{signal}_{task}_snr_{init}_"
                       f"{'same_omega' if tag == 'siren' else 'rule_omega'}_vs_siren")
                if key in ev:
                    out.update(interval_macros(f"ExpAudD{stem}", ev[key]))
                    out[f"ExpAudVerdict{stem}"] = verdict_word(ev[key]["lo"], ev[key]["hi"])
                else:
                    out[f"ExpAudVerdict{stem}"] = "not measured"
                    out.update({f"ExpAudD{stem}": "n/a", f"ExpAudD{stem}Lo": "n/a",
                                f"ExpAudD{stem}Hi": "n/a", f"ExpAudD{stem}Word": "not measured"})
            key = f"audio_{signal}_{task}_snr_edge_of_chaos_orthogonal_same_omega_vs_edge_of_chaos"
            if key in ev:  # the orthogonal variant against its i.i.d. point
                out.update(interval_macros(f"ExpAudOrthVsIid{sig}{tk}", ev[key]))
                out[f"ExpAudOrthVsIid{sig}{tk}PHolm"] = tex_number(
                    float(ev[key].get("p_holm", math.nan)), 2, significant=True)
        # the denoised SNR's change from the input SNR, SIREN at omega_0 = 3000
        r = t[(t.signal == signal) & (t.task == "denoise") & (t.arm == "siren@siren")]
        out[f"ExpAud{sig}DenoiseGainSiren"] = (
            fmt(float(r.iloc[0].snr_clean - r.iloc[0].input_snr), signed=True)
            if not r.empty and math.isfinite(r.iloc[0].input_snr) else "n/a")
    return out
