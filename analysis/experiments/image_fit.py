r"""Image fitting and generalisation of sine networks: the camera image, trained on every 4th pixel.

The claim
    Combette, Venaille and Pustelnik (arXiv 2512.06427, the method of their Fig. 2) fit a sine
    network to an image sampled on a coarse grid and evaluate it on the fine grid: networks
    initialised on their unit-gain ("edge of chaos") curve are said to generalise better between
    the training pixels than the SIREN reference initialisation (Sitzmann et al. 2020, NeurIPS,
    arXiv 2006.09661), whose deep layers create high frequencies that the coarse grid cannot
    constrain. Here every initialiser is trained with the same optimiser, budget and minibatch
    stream and compared seed by seed.

Data
    scikit-image's bundled ``camera()`` (512 x 512, :func:`analysis.datasets.load_camera`) in
    [0, 1]. Inputs: the periodic grid ``x_n = -1 + 2 n / G`` on each axis, so ``[-1, 1)^2``
    (:func:`analysis.experiments.sine_fit.grid_inputs`). Targets: intensities scaled to [-1, 1]
    by ``2 I - 1``, as the SIREN reference does (``Normalize(0.5, 0.5)``). The training set is
    every 4th pixel on both axes (128 x 128 at G = 512, exactly the grid of 128 points on the
    same interval); its Nyquist frequency is ``omega_N = pi 128 / 2 = 64 pi`` rad per unit x.

Measured per run (group ``grid``)
    * ``train_psnr``, ``train_mse``: on the training pixels;
    * ``gen_psnr``, ``gen_mse``: on the full 512 x 512 grid ("generalisation", as in the source;
      it includes the 1/16 of pixels that were trained on), and ``heldout_psnr`` on the other
      15/16 alone;
    * ``gap``: ``train_psnr - gen_psnr``;
    * ``high_share``: the share of the error's energy at radial frequencies above the training
      Nyquist frequency (:func:`analysis.experiments.sine_fit.high_frequency_share`: 2-D DFT of
      the error map without window, so the shares add up to the MSE), and the radially averaged
      power spectrum of the error;
    * ``high_db``: that energy itself, ``10 log10(gen_mse * high_share)`` (dB): a share can grow
      because the error *below* the Nyquist frequency shrinks, the energy above it cannot.

    PSNR is ``10 log10(1 / MSE)`` on the [0, 1] intensity scale (peak 1; the same number as peak
    2 on the [-1, 1] scale), of the raw network output (no clipping). A cubic-spline
    interpolation of the training pixels (:func:`interpolation_baseline`) is reported beside the
    networks as a classical reference.

Initialisers (:mod:`analysis.experiments.sine_fit`)
    ``siren`` (omega_0 = 30 in the first and hidden layers), ``edge_of_chaos`` (sigma_a = 0),
    ``edge_of_chaos_sigma_a1`` and the off-curve point ``chaotic`` ((c_w, c_b) = (2.4, 0)) by
    default; ``ordered`` ((1.5, 0.5)) on request (``--inits``). All use the first-layer
    frequency omega_0 = 30.

Sanity check (group ``sanity``)
    The SIREN paper's own image setting: camera at 256 x 256 (here by 2 x 2 block averaging; the
    reference resizes with torchvision), all pixels trained on, the reference initialisation
    with 3 hidden layers of 256 (depth L = 4 sine layers), Adam with learning rate 1e-4, full
    batch in the reference. Its PSNR is reported with a t-interval over seeds; SIREN reports
    PSNRs above 40 dB for this fit after long full-batch training on a GPU. At the cpu preset
    the budget is far smaller (see below), so the number says what the reference reaches
    *within that budget*, not whether it reaches the published level.

Presets (``batch``: pixels per Adam step; None = full batch)

    ======  =====  =====  =============  =====  ======  =====  =====================================
    preset  image  width  depths         steps  batch   lr     sanity (256^2, width 256, depth 4)
    ======  =====  =====  =============  =====  ======  =====  =====================================
    smoke   64     16     2, 3           10     128     1e-3   32^2, width 16, depth 2, 10 steps
    cpu     512    64     4, 8, 16       400    2,048   1e-3   150 steps of 4,096 pixels, lr 1e-4
    paper   512    256    4, 8, 16, 32   5,000  full    1e-4   5,000 full-batch steps, lr 1e-4
    ======  =====  =====  =============  =====  ======  =====  =====================================

    Seeds: 2 (smoke), 3 (cpu), 10 (paper). The cpu preset raises SIREN's learning rate to 1e-3
    for the depth sweep because its budget is a few hundred steps (every initialiser fits less
    well at a smaller rate within it); the paper preset uses SIREN's 1e-4. A seed fixes the weights and the minibatch order; the
    minibatch order is the same for every initialiser, so comparisons are paired.

Comparisons (:func:`summarize`)
    For each initialiser against ``siren`` at each depth: the per-seed difference of
    ``gen_psnr`` (and of ``train_psnr``, ``gap``, ``high_share``, ``high_db``) with a paired
    t-interval and p-value (:func:`analysis.stats.paired_difference`), Holm-adjusted over the
    depths and initialisers of the family; pooled over depths: per seed, the mean over depths of the
    difference, then the paired interval over seeds (the seed is the replicate).
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from initaudit.analysis import metrics, spectrum
from initaudit.analysis.experiment import seeds_for, torch_threads
from initaudit.analysis.experiments import sine_fit as sf
from initaudit.analysis.presets import check_preset, scaled
from initaudit.analysis.stats import bootstrap_interval, holm, paired_difference, t_interval
from initaudit.analysis.evidence import Evidence
from initaudit.theory import checks


def _positive_int(value, what: str, default):
    return checks.optional(checks.positive_int, value, what, default)


def _positive_float(value, what: str, default):
    return checks.optional(checks.positive_float, value, what, default)

NAME = "image-fit"
#: What the ``budget`` option scales (``initaudit experiment NAME --budget K``).
BUDGET = "steps"
DESCRIPTION = ("sine networks fitted to the camera image on every 4th pixel: generalisation PSNR "
               "on the full 512x512 grid per initialiser and depth, and the SIREN paper's "
               "256x256 setting")

#: Cell groups: the depth sweep on the subsampled grid, and the SIREN paper's own fit.
GROUPS = ("grid", "sanity")
#: Values of ``--sanity``: run the sanity group too, only it, or not at all.
SANITY_CHOICES = ("with", "only", "skip")
DEFAULT_INITS = ("siren", "edge_of_chaos", "edge_of_chaos_sigma_a1", "chaotic",
                 "edge_of_chaos_orthogonal")
#: First-layer frequency of every initialiser (SIREN's omega_0; Sitzmann et al. 2020, Sec. 3.2).
OMEGA0 = 30.0
#: Training grid = every FACTOR-th pixel of the evaluation grid (Combette et al., Fig. 2).
FACTOR = 4
#: Side of the bundled camera image.
CAMERA_POINTS = 512
#: The published level of the sanity fit (dB), for context only: SIREN's camera fits exceed it.
SANITY_PUBLISHED_PSNR = 40.0
#: Pixels in each of the two fixed subsets on which the training curves are logged.
LOG_PIXELS = 4096
#: Seed of those subsets (fixed: every cell logs the same pixels).
LOG_SUBSET_SEED = 20251206

@dataclass(frozen=True)
class Sanity:
    points: int           # image side of the SIREN paper's fit (every pixel trained on)
    width: int            # hidden width
    depth: int            # hidden layers
    steps: int            # Adam steps
    batch: int | None     # pixels per step (None: all of them)
    lr: float             # Adam learning rate
    n_logs: int           # checkpoints logged


@dataclass(frozen=True)
class Sizes:
    image_points: int          # side of the image grid (every FACTOR-th pixel is trained on)
    width: int                 # hidden width N
    depths: tuple[int, ...]    # hidden layers of the depth sweep
    steps: int                 # Adam steps
    batch: int | None          # pixels per step (None: all of them)
    lr: float                  # Adam learning rate
    n_logs: int                # checkpoints logged along training
    sanity: Sanity             # the SIREN paper's own fit, as a check of the training loop
    seeds: int                 # seeds per (initialiser, depth)


PRESETS = {
    "smoke": Sizes(image_points=64, width=16, depths=(2, 3), steps=10, batch=128, lr=1e-3,
                   n_logs=2, seeds=2,
                   sanity=Sanity(points=32, width=16, depth=2, steps=10, batch=256, lr=1e-4,
                                 n_logs=2)),
    "cpu": Sizes(image_points=512, width=64, depths=(4, 8, 16), steps=400, batch=2048, lr=1e-3,
                 n_logs=10, seeds=3,
                 sanity=Sanity(points=256, width=256, depth=4, steps=150, batch=4096, lr=1e-4,
                               n_logs=10)),
    "paper": Sizes(image_points=512, width=256, depths=(4, 8, 16, 32), steps=5000, batch=None,
                   lr=1e-4, n_logs=50, seeds=10,
                   sanity=Sanity(points=256, width=256, depth=4, steps=5000, batch=None,
                                 lr=1e-4, n_logs=50)),
}
#: Per-run metrics summarised with intervals.
METRICS = ("train_psnr", "gen_psnr", "heldout_psnr", "gap", "high_share", "high_db")
#: Metrics compared against siren, with their unit.
COMPARED = {"gen_psnr": "dB", "train_psnr": "dB", "gap": "dB", "high_share": "fraction",
            "high_db": "dB"}


@dataclass(frozen=True)
class ImageFitCell:
    """One training run.

    Attributes:
        group: "grid" (subsampled training grid) or "sanity" (the SIREN paper's fit).
        init: a point of :data:`analysis.experiments.sine_fit.INITS`.
        depth: sine layers L.
        width: hidden width N.
        image_points: side G of the evaluation grid (the camera block-averaged to G x G).
        factor: training grid = every ``factor``-th pixel (1: train on every pixel).
        omega0: first-layer frequency.
        steps: Adam steps.
        lr: learning rate.
        batch_size: pixels per step (None: full batch).
        n_logs: logged points of the training curves (besides step 0).
        seed: replicate.
        keep_output: return the fitted image (for the figures).
    """

    group: str
    init: str
    depth: int
    width: int
    image_points: int
    factor: int
    omega0: float
    steps: int
    lr: float
    batch_size: int | None
    n_logs: int
    seed: int
    keep_output: bool = False


# --------------------------------------------------------------------------------------------
# Data


def target_image(points: int = CAMERA_POINTS) -> np.ndarray:
    """The camera image in [0, 1] at ``points x points`` (block means of the 512 x 512 original).

    Raises:
        ValueError: ``points`` does not divide 512 or is below 8.
        analysis.datasets.DataUnavailable: scikit-image is missing.
    """
    from initaudit.analysis.datasets import load_camera

    if (isinstance(points, bool) or not isinstance(points, (int, np.integer)) or points < 8
            or CAMERA_POINTS % points):
        raise ValueError(f"image_points must divide {CAMERA_POINTS} and be at least 8, got {points!r}")
    img = load_camera()
    if img.shape != (CAMERA_POINTS, CAMERA_POINTS):
        raise ValueError(f"expected the {CAMERA_POINTS}x{CAMERA_POINTS} camera image, got {img.shape}")
    return sf.block_mean(img, CAMERA_POINTS // points)


def training_mask(points: int, factor: int) -> np.ndarray:
    """Boolean (G, G) mask of the pixels on the training grid (every ``factor``-th on both axes)."""
    mask = np.zeros((points, points), dtype=bool)
    mask[::factor, ::factor] = True
    return mask


def interpolation_baseline(image: np.ndarray, factor: int) -> dict:
    """Cubic-spline interpolation of the training pixels back to the full grid.

    The spline of order 3 through the samples ``image[::f, ::f]`` (scipy.ndimage
    ``map_coordinates`` with the spline prefilter; beyond the last sample it continues with
    the nearest value) is evaluated at every pixel ``(i / f, j / f)`` of the sample grid's
    index space. A reference that uses the same pixels as the networks and no learning.

    Returns:
        dict with ``gen_psnr``, ``heldout_psnr``, ``high_share``.
    """
    from scipy import ndimage

    points = image.shape[0]
    coarse = sf.subsample(image, factor)
    idx = np.arange(points) / factor
    ii, jj = np.meshgrid(idx, idx, indexing="ij")
    fit = ndimage.map_coordinates(coarse, [ii, jj], order=3, mode="nearest")
    held = ~training_mask(points, factor)
    return {"gen_psnr": metrics.psnr(fit, image),
            "heldout_psnr": metrics.psnr(fit[held], image[held]),
            "high_share": sf.high_frequency_share(fit - image, spectrum.nyquist(points // factor))}


# --------------------------------------------------------------------------------------------
# Cells


def _depth_list(depths, default) -> tuple[int, ...]:
    if depths is None:
        return tuple(default)
    if isinstance(depths, str):
        try:
            depths = [int(d) for d in depths.split(",") if d.strip()]
        except ValueError:
            raise ValueError(f"depths must be comma-separated positive integers, got {depths!r}") from None
    depths = tuple(depths)
    if not depths or any(isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 1
                         for d in depths):
        raise ValueError(f"depths must be positive integers, got {depths!r}")
    return tuple(int(d) for d in depths)


def cells(preset: str, seeds: int | None = None, *, inits=None, depths=None, steps=None,
          lr=None, width=None, sanity: str | None = None, budget=None,
          **_options) -> list[ImageFitCell]:
    """Every run: initialiser x depth x seed on the subsampled grid, then the sanity fits.

    Args:
        preset: smoke, cpu or paper.
        seeds: replicates (default: 2, 3, 10 by preset).
        inits: initialisers (sequence or comma-separated; siren is always included and first).
        depths, steps, lr, width: override the preset's depth sweep (the sanity fit keeps the
            SIREN paper's settings).
        sanity: "with" (default), "only" or "skip".
        budget: a factor on the training steps of every fit, the sanity fit's included
            (:func:`analysis.presets.scaled`; None: the preset's).

    Raises:
        ValueError: an invalid option; the message names the valid values.
    """
    sizes = PRESETS[check_preset(preset)]
    seed_list = seeds_for(preset, seeds, PRESETS)
    init_list = sf.check_inits(DEFAULT_INITS if inits is None else inits)
    depth_list = _depth_list(depths, sizes.depths)
    n_steps = scaled(_positive_int(steps, "steps", sizes.steps), budget)
    rate = _positive_float(lr, "lr", sizes.lr)
    n_width = _positive_int(width, "width", sizes.width)
    sanity = sanity or "with"
    checks.choice(sanity, SANITY_CHOICES, "sanity option")
    out = []
    if sanity != "only":
        for depth in depth_list:
            for init in init_list:
                for seed in seed_list:
                    out.append(ImageFitCell(
                        "grid", init, depth, n_width, sizes.image_points, FACTOR, OMEGA0,
                        n_steps, rate, sizes.batch, sizes.n_logs, seed,
                        keep_output=seed == seed_list[0]))
    if sanity != "skip":
        s = sizes.sanity
        for seed in seed_list:
            out.append(ImageFitCell("sanity", "siren", s.depth, s.width, s.points, 1,
                                    OMEGA0, scaled(s.steps, budget), s.lr, s.batch, s.n_logs,
                                    seed))
    return out


def _log_subsets(points: int, factor: int) -> tuple[np.ndarray, np.ndarray]:
    """Fixed flat indices (into the full grid) of the logged training and held-out pixels."""
    rng = np.random.default_rng(LOG_SUBSET_SEED)
    mask = training_mask(points, factor).ravel()
    train_idx, held_idx = np.flatnonzero(mask), np.flatnonzero(~mask)
    pick = lambda idx: np.sort(rng.choice(idx, size=min(LOG_PIXELS, idx.size), replace=False)) \
        if idx.size else idx  # noqa: E731
    return pick(train_idx), pick(held_idx)


def _psnr01(pred_pm1: np.ndarray, target01: np.ndarray) -> float:
    """PSNR (peak 1) of a [-1, 1]-scaled prediction against a [0, 1] target."""
    return metrics.psnr((pred_pm1 + 1.0) / 2.0, target01)


def _run(cfg: ImageFitCell) -> dict:
    """Train one network and measure it on the training and the full grid.

    Returns:
        dict with the scalar metrics of the module docstring, ``loss`` (per step), ``log``
        (step, train_psnr, heldout_psnr on fixed pixel subsets), ``spectrum_omega`` and
        ``spectrum_power`` (radially averaged error power; None for the sanity group),
        ``diverged`` and ``output`` (the fitted image in [0, 1], float32, or None).
    """
    img = target_image(cfg.image_points)
    g, f = cfg.image_points, cfg.factor
    x_full = sf.grid_inputs(g, 2)
    train_img = sf.subsample(img, f)
    x_train = sf.grid_inputs(g // f, 2)
    y_train = 2.0 * train_img.ravel() - 1.0  # SIREN's scaling of the intensities to [-1, 1]
    model = sf.build_network(cfg.init, 2, cfg.width, cfg.depth, cfg.omega0, cfg.seed)
    model = model.to(sf.default_device())
    log_train, log_held = _log_subsets(g, f)
    flat = img.ravel()

    def metric(m) -> dict:
        out = {"train_psnr": _psnr01(sf.predict(m, x_full[log_train]), flat[log_train])}
        if log_held.size:
            out["heldout_psnr"] = _psnr01(sf.predict(m, x_full[log_held]), flat[log_held])
        return out

    log_steps = np.unique(np.round(np.linspace(0, cfg.steps, cfg.n_logs + 1)).astype(int))
    fit = sf.train(model, x_train, y_train, steps=cfg.steps, lr=cfg.lr,
                   batch_size=cfg.batch_size, seed=cfg.seed, log_steps=log_steps, metric=metric)
    pred = (sf.predict(model, x_full).reshape(g, g) + 1.0) / 2.0
    # The training grid is the full grid's every f-th point (bitwise the same coordinates).
    pred_train = sf.subsample(pred, f)
    held = ~training_mask(g, f)
    error = pred - img
    finite = bool(np.all(np.isfinite(error)))
    out = {
        "train_mse": metrics.mse(pred_train, train_img),
        "train_psnr": metrics.psnr(pred_train, train_img) if finite else math.nan,
        "gen_mse": metrics.mse(pred, img),
        "gen_psnr": metrics.psnr(pred, img) if finite else math.nan,
        "heldout_psnr": (metrics.psnr(pred[held], img[held]) if finite and held.any()
                         else math.nan),
        "high_share": math.nan, "spectrum_omega": None, "spectrum_power": None,
        "loss": fit["loss"].astype(np.float32), "log": fit["log"],
        "diverged": fit["diverged"] or not finite,
        "output": pred.astype(np.float32) if cfg.keep_output and finite else None,
    }
    out["gap"] = out["train_psnr"] - out["gen_psnr"]
    if f > 1 and finite:
        out["high_share"] = sf.high_frequency_share(error, spectrum.nyquist(g // f))
        omega, power = sf.radial_error_profile(error)
        out["spectrum_omega"], out["spectrum_power"] = omega, power
    return out


def run_cell(cfg: ImageFitCell) -> dict:
    """One run (see :func:`_run` for what it returns), in one torch thread."""
    with torch_threads(1):
        return _run(cfg)


# --------------------------------------------------------------------------------------------
# Summary


def _interval_columns(values, prefix: str) -> dict:
    r = t_interval(values)
    return {prefix: r["mean"], f"{prefix}_lo": r["lo"], f"{prefix}_hi": r["hi"]}


def _curves(cfgs, results) -> pd.DataFrame:
    """Mean and t-interval over seeds of the logged curves, per (init, depth, step)."""
    rows = []
    groups: dict[tuple, list] = {}
    for c, r in zip(cfgs, results):
        groups.setdefault((c.group, c.init, c.depth), []).append(r["log"])
    for (group, init, depth), logs in groups.items():
        steps = logs[0]["step"]
        for quantity in ("train_psnr", "heldout_psnr"):
            if quantity not in logs[0]:
                continue
            # a diverged run stops logging: pad with nan so the steps line up
            vals = np.full((len(logs), steps.size), np.nan)
            for i, lg in enumerate(logs):
                v = lg.get(quantity, np.array([]))
                vals[i, :v.size] = v
            for j, step in enumerate(steps):
                r = t_interval(vals[:, j])
                rows.append({"group": group, "init": init, "depth": depth, "step": int(step),
                             "quantity": quantity, "mean": r["mean"], "lo": r["lo"],
                             "hi": r["hi"], "n": r["n"]})
    return pd.DataFrame(rows)


def _spectra(cfgs, results) -> pd.DataFrame:
    """Mean radial error power per (init, depth, omega) with a bootstrap interval over seeds."""
    rows = []
    groups: dict[tuple, list] = {}
    for c, r in zip(cfgs, results):
        if c.group == "grid" and r["spectrum_power"] is not None:
            groups.setdefault((c.init, c.depth), []).append(r)
    for (init, depth), rs in groups.items():
        power = np.stack([r["spectrum_power"] for r in rs])
        lo, hi = bootstrap_interval(power)
        for k, omega in enumerate(rs[0]["spectrum_omega"]):
            rows.append({"init": init, "depth": depth, "omega": float(omega),
                         "power": float(power[:, k].mean()), "lo": float(lo[k]),
                         "hi": float(hi[k]), "n": len(rs)})
    return pd.DataFrame(rows)


def summarize(configs: Sequence[ImageFitCell], results: Sequence[dict], **options) -> dict:
    """Tables, paired comparisons against siren, curves, spectra, the sanity fit and evidence.

    Returns:
        dict with ``runs`` (one row per run), ``table`` (per init and depth: mean and 95%
        t-interval of :data:`METRICS`), ``paired`` (per init, depth or "pooled", metric:
        difference init - siren with interval, p and Holm-adjusted p), ``curves``, ``spectra``,
        ``baseline`` (cubic-spline interpolation), ``sanity``, ``settings`` and ``evidence``.
    """
    rows = []
    for c, r in zip(configs, results):
        high = r["gen_mse"] * r["high_share"]
        rows.append({"group": c.group, "init": c.init, "depth": c.depth, "width": c.width,
                     "seed": c.seed, **{m: r[m] for m in METRICS if m in r},
                     "gen_mse": r["gen_mse"],
                     "high_db": 10.0 * math.log10(high) if high > 0 else math.nan,
                     "diverged": r["diverged"]})
    runs = pd.DataFrame(rows)
    out: dict = {"runs": runs, "evidence": {}}
    grid_cfgs = [c for c in configs if c.group == "grid"]
    evidence = out["evidence"]
    if grid_cfgs:
        grid = runs[runs.group == "grid"]
        c0 = grid_cfgs[0]
        inits = list(dict.fromkeys(grid.init))
        depths = sorted(set(grid.depth))
        table = []
        for (init, depth), df in grid.groupby(["init", "depth"], sort=False):
            row = {"init": init, "depth": int(depth), "n": len(df),
                   "diverged": int(df.diverged.sum())}
            for m in METRICS:
                row.update(_interval_columns(df[m].to_numpy(float), m))
            table.append(row)
        out["table"] = pd.DataFrame(table)
        paired = []
        for init in inits:
            if init == "siren":
                continue
            per_depth = {}
            for depth in depths:
                a = grid[(grid.init == "siren") & (grid.depth == depth)].set_index("seed")
                b = grid[(grid.init == init) & (grid.depth == depth)].set_index("seed")
                seeds = sorted(set(a.index) & set(b.index))
                per_depth[depth] = (a.loc[seeds], b.loc[seeds])
                for m in COMPARED:
                    r = paired_difference(a.loc[seeds, m].to_numpy(float),
                                          b.loc[seeds, m].to_numpy(float))
                    paired.append({"init": init, "depth": str(depth), "metric": m, **r})
            seeds = sorted(set.intersection(*(set(a.index) for a, _ in per_depth.values())))
            for m in COMPARED:
                # per seed, the mean over depths of (init - siren); the seed is the replicate
                a = np.mean([per_depth[d][0].loc[seeds, m].to_numpy(float) for d in depths], axis=0)
                b = np.mean([per_depth[d][1].loc[seeds, m].to_numpy(float) for d in depths], axis=0)
                paired.append({"init": init, "depth": "pooled", "metric": m,
                               **paired_difference(a, b)})
        paired = pd.DataFrame(paired)
        if not paired.empty:
            paired["p_holm"] = np.nan
            for m in COMPARED:
                sel = (paired.metric == m) & (paired.depth != "pooled")
                paired.loc[sel, "p_holm"] = holm(paired.loc[sel, "p"].to_numpy(float))
                sel = (paired.metric == m) & (paired.depth == "pooled")
                paired.loc[sel, "p_holm"] = holm(paired.loc[sel, "p"].to_numpy(float))
        out["paired"] = paired
        out["curves"] = _curves(grid_cfgs, [r for c, r in zip(configs, results) if c.group == "grid"])
        out["spectra"] = _spectra(configs, results)
        img = target_image(c0.image_points)
        out["baseline"] = interpolation_baseline(img, c0.factor)
        out["settings"] = {"image_points": c0.image_points, "factor": c0.factor,
                           "train_points": c0.image_points // c0.factor, "width": c0.width,
                           "depths": depths, "inits": inits, "steps": c0.steps, "lr": c0.lr,
                           "batch_size": c0.batch_size, "omega0": c0.omega0,
                           "seeds": int(grid.seed.nunique()),
                           "nyquist": spectrum.nyquist(c0.image_points // c0.factor)}
        for _, r in paired.iterrows():
            tag = f"depth{r.depth}" if r.depth != "pooled" else "pooled"
            where = (f"depth {r.depth}" if r.depth != "pooled"
                     else f"per-seed mean over depths {', '.join(map(str, depths))}")
            setting = (f"camera {c0.image_points}x{c0.image_points}, trained on every "
                       f"{c0.factor}th pixel, width {c0.width}, {c0.steps} Adam steps, {where}")
            if r.metric == "gen_psnr":
                evidence[f"image_gen_psnr_{r.init}_vs_siren_{tag}"] = Evidence.of(
                    r, "dB", f"full-grid generalisation PSNR, {r.init} minus siren, paired over "
                    f"seeds; {setting}")
            elif r.depth == "pooled":
                what = {"train_psnr": "training-pixel PSNR",
                        "gap": "generalisation gap (training PSNR minus full-grid PSNR)",
                        "high_share": "share of the error energy above the training Nyquist "
                                      "frequency",
                        "high_db": "error energy above the training Nyquist frequency "
                                   "(10 log10 of its mean square)"}[r.metric]
                evidence[f"image_{r.metric}_{r.init}_vs_siren_pooled"] = Evidence.of(
                    r, COMPARED[r.metric], f"{what}, {r.init} minus siren, paired over seeds; "
                    f"{setting}")
        # the package's orthogonal variants against their i.i.d. points (an extension)
        orth = pd.DataFrame(sf.orthogonal_comparisons(grid, "gen_psnr"))
        out["orthogonal"] = orth
        for r in orth.itertuples():
            evidence[f"image_gen_psnr_{r.init}_vs_{r.baseline}_pooled"] = Evidence.of(
                r._asdict(), "dB", f"full-grid generalisation PSNR, {r.init} minus {r.baseline} "
                f"(orthogonal against i.i.d. hidden weights at the same point), paired over "
                f"seeds, each seed's mean over depths {', '.join(map(str, depths))}; camera "
                f"{c0.image_points}x{c0.image_points}, trained on every {c0.factor}th pixel, "
                f"width {c0.width}, {c0.steps} Adam steps")
    sanity_cfgs = [(c, r) for c, r in zip(configs, results) if c.group == "sanity"]
    if sanity_cfgs:
        c0 = sanity_cfgs[0][0]
        psnrs = np.array([r["train_psnr"] for _, r in sanity_cfgs])
        ti = t_interval(psnrs)
        out["sanity"] = {
            "psnr": psnrs, "interval": ti, "published": SANITY_PUBLISHED_PSNR,
            "curves": _curves([c for c, _ in sanity_cfgs], [r for _, r in sanity_cfgs]),
            "settings": {"image_points": c0.image_points, "width": c0.width, "depth": c0.depth,
                         "steps": c0.steps, "lr": c0.lr, "batch_size": c0.batch_size,
                         "seeds": len(sanity_cfgs)}}
        batch = "full batch" if c0.batch_size is None else f"minibatches of {c0.batch_size} pixels"
        evidence["image_siren_sanity_psnr"] = Evidence.of(
            {**ti, "p": math.nan}, "dB",
            f"PSNR of the SIREN reference fit to the camera at {c0.image_points}x"
            f"{c0.image_points}, depth {c0.depth} (3 hidden layers) of width {c0.width}, Adam lr "
            f"{c0.lr:g}, {c0.steps} steps on {batch}; published: above "
            f"{SANITY_PUBLISHED_PSNR:g} dB after long full-batch training")
    return out


def representative_depth(depths) -> int:
    """The middle depth of the sweep (8 of 4, 8, 16; 16 of 4, 8, 16, 32)."""
    depths = sorted(depths)
    return int(depths[(len(depths) - 1) // 2 + (len(depths) % 2 == 0)])


def seed_fits(configs, results, summary: dict) -> dict:
    """The seed-0 fitted images of the grid group at :func:`representative_depth`, by
    initialiser, with that depth and the float32 target: ``{"outputs", "representative_depth",
    "target"}`` (empty when the summary has no settings)."""
    if "settings" not in summary:
        return {}
    depth = representative_depth(summary["settings"]["depths"])
    outputs = {c.init: r["output"] for c, r in zip(configs, results)
               if c.group == "grid" and c.depth == depth and r["output"] is not None}
    return {"outputs": outputs, "representative_depth": depth,
            "target": target_image(summary["settings"]["image_points"]).astype(np.float32)}


def format_summary(summary: dict) -> str:
    """Text: per-init/depth PSNRs, the pooled comparisons and the sanity fit."""
    lines = []
    if "table" in summary:
        s = summary["settings"]
        lines.append(f"camera {s['image_points']}^2, training grid {s['train_points']}^2, width "
                     f"{s['width']}, {s['steps']} steps, lr {s['lr']:g}, {s['seeds']} seeds")
        lines.append(f"{'init':<24}{'depth':>6}{'train dB':>10}{'gen dB':>9}{'[95% CI]':>18}"
                     f"{'high share':>12}")
        for _, r in summary["table"].iterrows():
            lines.append(f"{r.init:<24}{r.depth:>6}{r.train_psnr:>10.2f}{r.gen_psnr:>9.2f}"
                         f"   [{r.gen_psnr_lo:6.2f}, {r.gen_psnr_hi:6.2f}]{r.high_share:>12.3f}")
        b = summary["baseline"]
        lines.append(f"cubic-spline interpolation: gen {b['gen_psnr']:.2f} dB, high share "
                     f"{b['high_share']:.3f}")
        lines.append("paired differences init - siren (gen_psnr, dB):")
        p = summary["paired"]
        for _, r in (p[p.metric == "gen_psnr"] if not p.empty else p).iterrows():
            lines.append(f"  {r.init:<24} depth {r.depth:>6}: {r['mean']:+.2f} "
                         f"[{r.lo:+.2f}, {r.hi:+.2f}]  p={r.p:.3g}  p_holm={r.p_holm:.3g}")
    if "sanity" in summary:
        s = summary["sanity"]
        ti, st = s["interval"], s["settings"]
        lines.append(f"SIREN sanity fit ({st['image_points']}^2, width {st['width']}, depth "
                     f"{st['depth']}, {st['steps']} steps, lr {st['lr']:g}): PSNR "
                     f"{ti['mean']:.2f} dB [{ti['lo']:.2f}, {ti['hi']:.2f}]")
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``initaudit experiment image-fit``."""
    parser.add_argument("--inits", default=None,
                        help=f"comma-separated initialisers among {', '.join(sf.INITS)} "
                        f"(default: {','.join(DEFAULT_INITS)}; siren is always included)")
    parser.add_argument("--depths", default=None,
                        help="comma-separated depths of the sweep (default: the preset's)")
    parser.add_argument("--steps", type=int, default=None,
                        help="Adam steps of the sweep (default: the preset's)")
    parser.add_argument("--lr", type=float, default=None,
                        help="learning rate of the sweep (default: the preset's)")
    parser.add_argument("--width", type=int, default=None,
                        help="hidden width of the sweep (default: the preset's)")
    parser.add_argument("--sanity", choices=SANITY_CHOICES, default=None,
                        help="the SIREN paper's 256x256 fit: with the sweep (default), only it, "
                        "or skip it")
