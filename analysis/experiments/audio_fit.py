r"""Audio fitting and denoising with sine networks: a recording and a synthetic chirp.

The claims
    SIREN (Sitzmann et al. 2020, NeurIPS, arXiv 2006.09661: its audio experiments and reference
    notebook) fits audio with a sine network whose *first* layer has omega_0 = 3000 (hidden
    layers keep omega_h = 30). Combette, Venaille and Pustelnik (arXiv 2512.06427) propose
    initialising the hidden layers on their unit-gain ("edge of chaos") curve instead, which is
    said to fit and generalise better than the SIREN reference. Here each initialiser fits the same signal with
    the same optimiser and budget, and, for denoising, the same noisy version of it; every
    comparison is the per-seed difference from SIREN.

Signals (:func:`load_signal`)
    ``recording``
        A WAV file: ``--audio PATH`` if given (a missing file raises
        :class:`analysis.datasets.DataUnavailable`); otherwise ``drumloop.wav`` from the ``pyo``
        wheel (:func:`analysis.datasets.packaged_wav`), otherwise ``$INITAUDIT_DATA_DIR/
        drumloop.wav``. When none of these exists and no path was given, the recording is left
        out with a warning and the chirp part still runs (``--signals recording`` makes its
        absence an error instead). Mono (channels averaged), resampled to ``rate`` with a
        polyphase filter (scipy ``resample_poly``), cut to ``seconds`` from ``offset``.
    ``chirp``
        :func:`analysis.datasets.chirp`: a linear chirp from ``chirp_f0`` to ``chirp_f1`` Hz over
        the same duration and rate.

    Both are divided by their largest absolute value (as the SIREN reference scales audio), so
    they lie in [-1, 1]. Time is the periodic grid ``t_n = -1 + 2 n / P`` (``n = 0..P-1``,
    P samples), i.e. the excerpt mapped to [-1, 1).

Tasks
    ``fit``
        Train on the clean signal; report its SNR ``10 log10(|s|^2 / |f - s|^2)``
        (:func:`analysis.metrics.snr_db`) and PSNR (peak 2, the range of [-1, 1]).
    ``denoise``
        Train on ``s + n`` with white Gaussian noise ``n`` at ``noise_snr_db`` (10 dB: variance
        ``mean(s^2) / 10^(SNR/10)``), drawn from a generator seeded by the replicate seed alone,
        so every initialiser sees the same noise; report the SNR of the fit against the *clean*
        signal (the denoising SNR) and against the noisy target. There is no early stopping: the
        network that results from the fixed budget is measured.

First-layer frequency (the arms)
    ``omega_0 = 3000`` for every initialiser (SIREN's audio setting): the comparison isolates the
    hidden layers. The edge-of-chaos points also run at the omega_0 of a *transfer rule*: the
    source does not say how to set omega_0 for audio (its first layer is SIREN's, ``W_0 ~
    U(+-omega_0/d)``), so we keep what the image experiment fixes at omega_0 = 30 -- the variance
    of the first-layer pre-activation's change between neighbouring training samples. In the
    image case ``W_0`` entries are ``U(+-30/2)`` and neighbouring training pixels are
    ``2/128`` apart, so the change ``w dx`` has half-width ``15 * 2/128``; with P training
    samples ``2/P`` apart and ``d = 1`` this gives

        omega_0^rule = 30 P / (2 * 128) = 30 P / 256          (:func:`rule_omega0`)

    (469 for the 4,000 samples of the cpu preset, 31,000 for 6 s at 44.1 kHz). The first-layer
    pre-activation variance itself (q_1, the theory's input to the depth recursion) does not
    depend on the sampling and would give omega_0 = sqrt(450) ~ 21 for any recording, far too
    low a frequency for audio; we do not use it.

Initialisers (:mod:`analysis.experiments.sine_fit`)
    ``siren`` (first omega_0 as above, hidden omega_h = 30, torch's biases), ``edge_of_chaos``
    (sigma_a = 0), ``edge_of_chaos_sigma_a1`` and the off-curve ``chaotic`` point ((c_w, c_b) =
    (2.4, 0)), each with the edge-of-chaos first layer (zero bias) and readout; ``ordered`` on
    request (``--inits``). Arms: every initialiser at omega_0 = 3000, and the two edge-of-chaos
    points at the rule's omega_0.

Presets (full batch: every sample at every step, as the SIREN reference fits audio)

    ======  =========  ========  =======  =====  =====  =====  =====  ======================
    preset  rate (Hz)  duration  samples  width  depth  steps  lr     chirp
    ======  =========  ========  =======  =====  =====  =====  =====  ======================
    smoke   8,000      32 ms     256      16     2      10     1e-3   100 -> 3,000 Hz
    cpu     8,000      0.5 s     4,000    64     4      200    1e-3   100 -> 3,000 Hz
    paper   44,100     6 s       264,600  256    4      5,000  1e-4   100 -> 8,000 Hz
    ======  =========  ========  =======  =====  =====  =====  =====  ======================

    Depth 4 is SIREN's audio network (3 hidden layers after the first sine layer). The cpu preset
    raises SIREN's learning rate 1e-4 to 1e-3 because a few hundred steps at 1e-4 leave every
    initialiser at an SNR near 0 dB. Seeds: 2 (smoke), 3 (cpu), 10 (paper); a seed fixes the weights and the
    noise. The excerpt starts at ``offset`` = 0 s.

Comparisons (:func:`summarize`)
    For each signal and task, every arm against SIREN at omega_0 = 3000: the per-seed SNR
    difference with a paired t-interval and p-value (:func:`analysis.stats.paired_difference`),
    Holm-adjusted over the arms of that signal and task.
"""

from __future__ import annotations

import argparse
import math
import os
import pathlib
import warnings
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from initaudit.analysis import datasets, metrics
from initaudit.analysis.experiment import SkippedSetting, seeds_for, torch_threads
from initaudit.analysis.experiments import sine_fit as sf
from initaudit.analysis.presets import check_preset, scaled
from initaudit.analysis.stats import holm, paired_difference, t_interval
from initaudit.analysis.evidence import Evidence
from initaudit.theory.checks import choice, positive_int

NAME = "audio-fit"
#: What the ``budget`` option scales (``initaudit experiment NAME --budget K``).
BUDGET = "steps"
DESCRIPTION = ("sine networks fitted to a recording and a chirp, clean and noisy: SNR per "
               "initialiser at SIREN's first-layer omega_0 = 3000 and at a transferred rule")

SIGNALS = ("recording", "chirp")
TASKS = ("fit", "denoise")
#: ``--signals`` values: both when the recording is found (else the chirp alone), or one.
SIGNAL_CHOICES = ("auto", "recording", "chirp", "both")
DEFAULT_INITS = ("siren", "edge_of_chaos", "edge_of_chaos_sigma_a1", "chaotic",
                 "edge_of_chaos_orthogonal")
#: SIREN's first-layer frequency for audio (Sitzmann et al. 2020, reference notebook,
#: ``first_omega_0=3000``).
SIREN_AUDIO_OMEGA0 = 3000.0
#: Image experiment the rule transfers from: omega_0, input dimension, training grid per axis.
IMAGE_OMEGA0, IMAGE_D_IN, IMAGE_TRAIN_POINTS = 30.0, 2, 128
#: Tags of the first-layer frequency of an arm.
OMEGA_TAGS = ("siren", "rule")
#: Input SNR of the noisy target (dB).
NOISE_SNR_DB = 10.0
#: The recording used when no path is given.
DEFAULT_RECORDING = "drumloop.wav"

@dataclass(frozen=True)
class Sizes:
    rate: int                    # sampling rate of the signal, Hz
    seconds: float               # length of the excerpt, s
    width: int                   # hidden width N
    depth: int                   # hidden layers
    steps: int                   # Adam steps
    lr: float                    # Adam learning rate
    n_logs: int                  # checkpoints logged along training
    chirp: tuple[float, float]   # start and end frequency of the synthetic chirp, Hz
    seeds: int                   # seeds per (signal, task, initialiser, omega_0 rule)


PRESETS = {
    "smoke": Sizes(rate=8000, seconds=0.032, width=16, depth=2, steps=10, lr=1e-3, n_logs=2,
                   chirp=(100.0, 3000.0), seeds=2),
    "cpu": Sizes(rate=8000, seconds=0.5, width=64, depth=4, steps=200, lr=1e-3, n_logs=10,
                 chirp=(100.0, 3000.0), seeds=3),
    "paper": Sizes(rate=44100, seconds=6.0, width=256, depth=4, steps=5000, lr=1e-4, n_logs=50,
                   chirp=(100.0, 8000.0), seeds=10),
}


def rule_omega0(samples: int) -> float:
    """First-layer omega_0 of the transfer rule (module docstring): ``30 P / (2 * 128)``.

    Raises:
        ValueError: ``samples`` is not a positive integer.
    """
    samples = positive_int(samples, "samples")
    return IMAGE_OMEGA0 * samples / (IMAGE_D_IN * IMAGE_TRAIN_POINTS)


@dataclass(frozen=True)
class AudioFitCell:
    """One training run.

    Attributes:
        signal: "recording" or "chirp".
        task: "fit" (clean target) or "denoise" (noisy target, scored against the clean one).
        init: a point of :data:`analysis.experiments.sine_fit.INITS`.
        omega_tag: "siren" (omega_0 = 3000) or "rule" (:func:`rule_omega0`).
        omega0: the first-layer frequency itself.
        width, depth: hidden width and number of sine layers.
        rate: sampling rate (Hz) after resampling.
        seconds, offset: excerpt length and start (s).
        audio_path: the WAV file (recording only; part of the cache key).
        chirp_f0, chirp_f1: chirp frequencies (Hz; chirp only).
        noise_snr_db: input SNR of the noisy target (denoise only).
        steps, lr: Adam steps (full batch) and learning rate.
        n_logs: logged points of the training curves (besides step 0).
        seed: replicate (weights and noise).
        keep_output: return the fitted signal (for the figures).
    """

    signal: str
    task: str
    init: str
    omega_tag: str
    omega0: float
    width: int
    depth: int
    rate: int
    seconds: float
    offset: float
    audio_path: str | None
    chirp_f0: float
    chirp_f1: float
    noise_snr_db: float
    steps: int
    lr: float
    n_logs: int
    seed: int
    keep_output: bool = False

    @property
    def samples(self) -> int:
        return int(round(self.rate * self.seconds))


# --------------------------------------------------------------------------------------------
# Signals


def find_recording(audio: str | os.PathLike | None = None) -> pathlib.Path:
    """The recording to fit: ``audio`` if given, else pyo's drumloop, else the data directory's.

    Raises:
        analysis.datasets.DataUnavailable: the given file does not exist, or (no path given) no
            recording was found; the message says how to get one.
    """
    if audio is not None:
        path = pathlib.Path(audio).expanduser()
        if not path.is_file():
            raise datasets.DataUnavailable(
                f"audio file {path} not found; pass an existing WAV file to --audio, for example "
                "/usr/share/sounds/alsa/Front_Center.wav from Debian's alsa-utils")
        return path
    try:
        return datasets.packaged_wav(DEFAULT_RECORDING)
    except datasets.DataUnavailable as exc:
        try:
            return datasets.find_file(None, DEFAULT_RECORDING, "a recording",
                                      "pass a WAV file with --audio")
        except datasets.DataUnavailable:
            raise datasets.DataUnavailable(
                f"no recording: {exc}; or put {DEFAULT_RECORDING} in ${datasets.ENV_DATA_DIR}, "
                "or pass any WAV file with --audio (e.g. /usr/share/sounds/alsa/Front_Center.wav "
                "from Debian's alsa-utils)") from None


def excerpt(path, rate: int, seconds: float, offset: float = 0.0) -> np.ndarray:
    """Mono samples of a WAV file resampled to ``rate``, from ``offset`` for ``seconds``.

    Resampling: scipy.signal.resample_poly with the reduced ratio of the two rates (its default
    Kaiser-windowed low-pass), skipped when the rates agree.

    Raises:
        analysis.datasets.DataUnavailable: the file does not exist.
        ValueError: the file is too short for the excerpt, or the excerpt is silent.
    """
    from scipy.signal import resample_poly

    native, x = datasets.load_wav(path)
    if native != rate:
        g = math.gcd(int(native), int(rate))
        x = resample_poly(x, int(rate) // g, int(native) // g)
    start, n = int(round(offset * rate)), int(round(seconds * rate))
    if start + n > x.size:
        raise ValueError(f"{path} holds {x.size / rate:.3f} s at {rate} Hz, but the excerpt needs "
                         f"{offset + seconds:.3f} s; pass a longer file or a smaller --seconds")
    out = np.asarray(x[start:start + n], dtype=np.float64)
    if not np.any(out):
        raise ValueError(f"the excerpt of {path} from {offset} s for {seconds} s is silent")
    return out


def load_signal(cfg: AudioFitCell) -> np.ndarray:
    """The clean signal of a cell, divided by its largest absolute value (in [-1, 1])."""
    if cfg.signal == "recording":
        s = excerpt(cfg.audio_path, cfg.rate, cfg.seconds, cfg.offset)
    else:
        s = datasets.chirp(cfg.rate, cfg.seconds, cfg.chirp_f0, cfg.chirp_f1)
    return s / np.max(np.abs(s))


def noisy(clean: np.ndarray, snr_db: float, seed: int) -> np.ndarray:
    """``clean + n``, n white Gaussian with variance ``mean(clean^2) / 10^(snr_db / 10)``,
    drawn from ``numpy.random.default_rng(derived_seed(seed, STREAM_NOISE))``."""
    rng = np.random.default_rng(sf.derived_seed(seed, sf.STREAM_NOISE))
    sd = math.sqrt(float(np.mean(clean ** 2)) / 10.0 ** (snr_db / 10.0))
    return clean + sd * rng.standard_normal(clean.shape)


# --------------------------------------------------------------------------------------------
# Cells


def _signal_list(signals: str | None, audio) -> tuple[tuple[str, ...], str | None, str]:
    """(signals to run, recording path or None, note on the recording)."""
    signals = signals or "auto"
    choice(signals, SIGNAL_CHOICES, "signals option")
    if signals == "chirp":
        return ("chirp",), None, "not requested"
    need = signals in ("recording", "both") or audio is not None
    try:
        path = find_recording(audio)
    except datasets.DataUnavailable as exc:
        if need:
            raise
        return ("chirp",), None, f"unavailable: {exc}"
    chosen = ("recording",) if signals == "recording" else ("recording", "chirp")
    return chosen, str(path), str(path)


def _positive(value, what: str, default, kind=float):
    if value is None:
        return default
    if kind is int:
        return positive_int(value, what)
    value = float(value)
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{what} must be a positive finite number, got {value!r}")
    return value


def cells(preset: str, seeds: int | None = None, *, audio=None, signals: str | None = None,
          inits=None, steps=None, lr=None, width=None, seconds=None, offset=None,
          budget=None, **_options) -> list[AudioFitCell]:
    """Every run: signal x task x arm x seed.

    Args:
        preset: smoke, cpu or paper.
        seeds: replicates (default 2, 3, 10 by preset).
        audio: path of a WAV file (default: see :func:`find_recording`).
        signals: "auto" (default), "recording", "chirp" or "both" (see the module docstring).
        inits: initialisers (sequence or comma-separated; siren always included).
        steps, lr, width, seconds, offset: override the preset.
        budget: a factor on the training steps (:func:`analysis.presets.scaled`).

    Without a recording (and none asked for) the chirp runs alone and the recording setting
    comes back as an :class:`analysis.experiment.SkippedSetting` among the cells.

    Raises:
        analysis.datasets.DataUnavailable: a given audio file is absent, or the recording was
            asked for explicitly and none was found.
        ValueError: an invalid option.
    """
    sizes = PRESETS[check_preset(preset)]
    seed_list = seeds_for(preset, seeds, PRESETS)
    init_list = sf.check_inits(DEFAULT_INITS if inits is None else inits)
    n_steps = scaled(_positive(steps, "steps", sizes.steps, int), budget)
    rate_lr = _positive(lr, "lr", sizes.lr)
    n_width = _positive(width, "width", sizes.width, int)
    dur = _positive(seconds, "seconds", sizes.seconds)
    start = 0.0 if offset is None else float(offset)
    if not (math.isfinite(start) and start >= 0):
        raise ValueError(f"offset must be a finite number >= 0, got {offset!r}")
    rate = sizes.rate
    samples = int(round(rate * dur))
    if samples < 8 or samples % 2:
        raise ValueError(f"the excerpt must hold an even number (>= 8) of samples at {rate} Hz; "
                         f"{dur} s gives {samples}")
    if sizes.chirp[1] > rate / 2:
        raise ValueError(f"the chirp's {sizes.chirp[1]} Hz exceeds the Nyquist frequency")
    chosen, path, note = _signal_list(signals, audio)
    out: list = []
    if note.startswith("unavailable"):
        warnings.warn(f"audio-fit runs the chirp alone: the recording is {note}", stacklevel=2)
        out.append(SkippedSetting(
            "recording", "no recording (the pyo wheel of the audio extra is not installed)",
            f"pip install 'initaudit[audio]', put {DEFAULT_RECORDING} in "
            f"${datasets.ENV_DATA_DIR}, or pass --audio PATH"))
    arms = [(init, "siren") for init in init_list]
    arms += [(init, "rule") for init in init_list if init in sf.EOC_POINTS]
    omega = {"siren": SIREN_AUDIO_OMEGA0, "rule": rule_omega0(samples)}
    for signal in chosen:
        for task in TASKS:
            for init, tag in arms:
                for seed in seed_list:
                    out.append(AudioFitCell(
                        signal, task, init, tag, omega[tag], n_width, sizes.depth, rate, dur,
                        start if signal == "recording" else 0.0,
                        path if signal == "recording" else None,
                        *sizes.chirp, NOISE_SNR_DB, n_steps, rate_lr, sizes.n_logs, seed,
                        keep_output=seed == seed_list[0]))
    return out


def _run(cfg: AudioFitCell) -> dict:
    """Train one network on the clean or the noisy signal and score it.

    Returns:
        dict with ``snr_clean`` (against the clean signal: the fit or denoising SNR),
        ``snr_target`` (against the training target), ``input_snr`` (noisy target against the
        clean signal; nan for ``fit``), ``psnr`` (peak 2, against the clean signal), ``loss``,
        ``log`` (step, snr_clean, snr_target), ``diverged`` and ``output`` (float32
        fit, or None).
    """
    clean = load_signal(cfg)
    target = noisy(clean, cfg.noise_snr_db, cfg.seed) if cfg.task == "denoise" else clean
    t = sf.grid_inputs(clean.size, 1)
    model = sf.build_network(cfg.init, 1, cfg.width, cfg.depth, cfg.omega0, cfg.seed)
    model = model.to(sf.default_device())

    def metric(m) -> dict:
        pred = sf.predict(m, t)
        if not np.all(np.isfinite(pred)):
            return {"snr_clean": math.nan, "snr_target": math.nan}
        return {"snr_clean": metrics.snr_db(pred, clean), "snr_target": metrics.snr_db(pred, target)}

    log_steps = np.unique(np.round(np.linspace(0, cfg.steps, cfg.n_logs + 1)).astype(int))
    fit = sf.train(model, t, target, steps=cfg.steps, lr=cfg.lr, batch_size=None, seed=cfg.seed,
                   log_steps=log_steps, metric=metric)
    pred = sf.predict(model, t)
    finite = bool(np.all(np.isfinite(pred)))
    return {
        "snr_clean": metrics.snr_db(pred, clean) if finite else math.nan,
        "snr_target": metrics.snr_db(pred, target) if finite else math.nan,
        "input_snr": metrics.snr_db(target, clean) if cfg.task == "denoise" else math.nan,
        "psnr": metrics.psnr(pred, clean, peak=2.0) if finite else math.nan,
        "loss": fit["loss"].astype(np.float32), "log": fit["log"],
        "diverged": fit["diverged"] or not finite,
        "output": pred.astype(np.float32) if cfg.keep_output and finite else None,
    }


def run_cell(cfg: AudioFitCell) -> dict:
    """One run (see :func:`_run` for what it returns), in one torch thread."""
    with torch_threads(1):
        return _run(cfg)


# --------------------------------------------------------------------------------------------
# Summary


def _arm(init: str, tag: str) -> str:
    return f"{init}@{tag}"



def summarize(configs: Sequence[AudioFitCell], results: Sequence[dict], **options) -> dict:
    """Tables, paired comparisons against SIREN at omega_0 = 3000, curves and evidence.

    Returns:
        dict with ``runs`` (one row per run), ``table`` (per signal, task and arm: mean and
        95% t-interval of ``snr_clean``, ``snr_target``, ``psnr``), ``paired`` (per signal,
        task, arm: SNR difference arm - siren with interval, p, Holm-adjusted p), ``curves``
        (logged SNR against the clean signal), ``orthogonal`` (the orthogonal variants minus
        their i.i.d. points, :func:`sine_fit.orthogonal_comparisons`), ``settings`` and
        ``evidence``.
    """
    rows = []
    for c, r in zip(configs, results):
        rows.append({"signal": c.signal, "task": c.task, "init": c.init, "omega_tag": c.omega_tag,
                     "omega0": c.omega0, "arm": _arm(c.init, c.omega_tag), "depth": c.depth,
                     "seed": c.seed, "snr_clean": r["snr_clean"], "snr_target": r["snr_target"],
                     "input_snr": r["input_snr"], "psnr": r["psnr"], "diverged": r["diverged"]})
    runs = pd.DataFrame(rows)
    table = []
    for (signal, task, arm), df in runs.groupby(["signal", "task", "arm"], sort=False):
        row = {"signal": signal, "task": task, "arm": arm, "init": df.init.iloc[0],
               "omega_tag": df.omega_tag.iloc[0], "omega0": float(df.omega0.iloc[0]),
               "n": len(df), "diverged": int(df.diverged.sum())}
        for m in ("snr_clean", "snr_target", "psnr", "input_snr"):
            r = t_interval(df[m].to_numpy(float))
            row.update({m: r["mean"], f"{m}_lo": r["lo"], f"{m}_hi": r["hi"]})
        table.append(row)
    base = _arm("siren", "siren")
    paired = []
    for (signal, task), df in runs.groupby(["signal", "task"], sort=False):
        a = df[df.arm == base].set_index("seed")
        fam = []
        for arm in dict.fromkeys(df.arm):
            if arm == base:
                continue
            b = df[df.arm == arm].set_index("seed")
            seeds = sorted(set(a.index) & set(b.index))
            r = paired_difference(a.loc[seeds, "snr_clean"].to_numpy(float),
                                  b.loc[seeds, "snr_clean"].to_numpy(float))
            fam.append({"signal": signal, "task": task, "arm": arm, "init": b.init.iloc[0],
                        "omega_tag": b.omega_tag.iloc[0], **r})
        ps = holm([f["p"] for f in fam])
        for f, ph in zip(fam, ps):
            f["p_holm"] = float(ph)
        paired.extend(fam)
    paired = pd.DataFrame(paired)
    curves = []
    groups: dict[tuple, list] = {}
    for c, r in zip(configs, results):
        groups.setdefault((c.signal, c.task, _arm(c.init, c.omega_tag)), []).append(r["log"])
    for (signal, task, arm), logs in groups.items():
        steps = logs[0]["step"]
        vals = np.full((len(logs), steps.size), np.nan)
        for i, lg in enumerate(logs):
            v = lg.get("snr_clean", np.array([]))
            vals[i, :v.size] = v
        for j, step in enumerate(steps):
            r = t_interval(vals[:, j])
            curves.append({"signal": signal, "task": task, "arm": arm, "step": int(step),
                           "mean": r["mean"], "lo": r["lo"], "hi": r["hi"], "n": r["n"]})
    c0 = configs[0]
    rec = next((c.audio_path for c in configs if c.signal == "recording"), None)
    if rec is None:
        try:
            _, _, note = _signal_list(options.get("signals"), options.get("audio"))
        except (datasets.DataUnavailable, ValueError) as exc:  # pragma: no cover - cells raised
            note = f"unavailable: {exc}"
        rec = note
    settings = {"rate": c0.rate, "seconds": c0.seconds, "samples": c0.samples,
                "width": c0.width, "depth": c0.depth, "steps": c0.steps, "lr": c0.lr,
                "noise_snr_db": c0.noise_snr_db, "chirp": (c0.chirp_f0, c0.chirp_f1),
                "omega_siren": SIREN_AUDIO_OMEGA0, "omega_rule": rule_omega0(c0.samples),
                "seeds": int(runs.seed.nunique()), "signals": list(dict.fromkeys(runs.signal)),
                "recording": rec}
    evidence = {}
    task_word = {"fit": "SNR of the fit to the clean", "denoise": "SNR against the clean signal "
                 f"of the fit to a noisy (input SNR {c0.noise_snr_db:g} dB)"}
    for _, r in paired.iterrows():
        tag = "same_omega" if r.omega_tag == "siren" else "rule_omega"
        where = (f"both at first-layer omega_0 = {SIREN_AUDIO_OMEGA0:g}" if r.omega_tag == "siren"
                 else f"{r.init} at the rule's omega_0 = {rule_omega0(c0.samples):g}, siren at "
                      f"{SIREN_AUDIO_OMEGA0:g}")
        evidence[f"audio_{r.signal}_{r.task}_snr_{r.init}_{tag}_vs_siren"] = Evidence.of(
            r, "dB", f"{task_word[r.task]} {r.signal}, {r.init} minus siren, paired over seeds; "
            f"{where}; {c0.samples} samples at {c0.rate} Hz, width {c0.width}, depth {c0.depth}, "
            f"{c0.steps} full-batch Adam steps")
    # the package's orthogonal variants against their i.i.d. points (an extension); one depth
    orthogonal = pd.DataFrame(sf.orthogonal_comparisons(runs, "snr_clean",
                                                        ("signal", "task", "omega_tag")))
    for r in orthogonal.itertuples():
        tag = "same_omega" if r.omega_tag == "siren" else "rule_omega"
        evidence[f"audio_{r.signal}_{r.task}_snr_{r.init}_{tag}_vs_{r.baseline}"] = Evidence.of(
            r._asdict(), "dB", f"{task_word[r.task]} {r.signal}, {r.init} minus {r.baseline} "
            f"(orthogonal against i.i.d. hidden weights at the same point and omega_0), paired "
            f"over seeds (Holm over the {len(orthogonal)} such contrasts in p_holm); "
            f"{c0.samples} samples at {c0.rate} Hz, width {c0.width}, depth {c0.depth}, "
            f"{c0.steps} full-batch Adam steps", p_holm=r.p_holm)
    return {"runs": runs, "table": pd.DataFrame(table), "paired": paired,
            "orthogonal": orthogonal, "curves": pd.DataFrame(curves), "settings": settings,
            "evidence": evidence}


def format_summary(summary: dict) -> str:
    """Text: SNR per signal, task and arm, and the differences from SIREN."""
    s = summary["settings"]
    lines = [f"{s['samples']} samples at {s['rate']} Hz, width {s['width']}, depth {s['depth']}, "
             f"{s['steps']} steps, lr {s['lr']:g}, {s['seeds']} seeds; omega_0 siren "
             f"{s['omega_siren']:g}, rule {s['omega_rule']:g}; recording: {s['recording']}"]
    paired = summary["paired"].set_index(["signal", "task", "arm"]) \
        if not summary["paired"].empty else None
    for _, r in summary["table"].iterrows():
        line = (f"{r.signal:<10}{r.task:<8}{r.arm:<30} SNR {r.snr_clean:7.2f} dB "
                f"[{r.snr_clean_lo:7.2f}, {r.snr_clean_hi:7.2f}]")
        if paired is not None and (r.signal, r.task, r.arm) in paired.index:
            d = paired.loc[(r.signal, r.task, r.arm)]
            line += f"   vs siren {d['mean']:+.2f} [{d.lo:+.2f}, {d.hi:+.2f}] p_holm={d.p_holm:.3g}"
        lines.append(line)
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``initaudit experiment audio-fit``."""
    parser.add_argument("--audio", default=None, metavar="PATH",
                        help="WAV file to fit (default: drumloop.wav from the pyo wheel, else "
                        "$INITAUDIT_DATA_DIR/drumloop.wav; without any, the chirp alone runs)")
    parser.add_argument("--signals", choices=SIGNAL_CHOICES, default=None,
                        help="which signals: auto (default: the recording when found, and the "
                        "chirp), recording, chirp, or both (the recording must be found)")
    parser.add_argument("--inits", default=None,
                        help=f"comma-separated initialisers among {', '.join(sf.INITS)} "
                        f"(default: {','.join(DEFAULT_INITS)}; siren is always included)")
    parser.add_argument("--steps", type=int, default=None, help="Adam steps (default: preset's)")
    parser.add_argument("--lr", type=float, default=None, help="learning rate (default: preset's)")
    parser.add_argument("--width", type=int, default=None, help="hidden width (default: preset's)")
    parser.add_argument("--seconds", type=float, default=None,
                        help="excerpt length in seconds (default: the preset's)")
    parser.add_argument("--offset", type=float, default=None,
                        help="start of the recording's excerpt in seconds (default 0)")
