r"""ReLU activation states at initialisation: how evenly each neuron is switched on.

Source of the claim: Fernandez-Hernandez et al., "Sinusoidal Initialization, Time for a New
Start", NeurIPS 2025, arXiv 2505.12909, abstract: the sinusoidal weights foster "a more uniform,
well-conditioned distribution of neuron activation states from the very first forward pass".
The reference repository measures it as the percentage of positive outputs of each Linear/Conv
layer over training batches (``positive_values.py``), that is, pooled over the whole layer. A
layer can be 50% positive overall while every one of its neurons is either always on or always
off; the claim is about neurons, so this experiment measures neuron by neuron:

* for every ReLU, the input ``z`` over a batch of ``B`` images; a *unit* is one scalar entry of
  ``z`` per image (a hidden neuron of the MLP; a channel at one pixel of a conv feature map; a
  feature of one token in the Transformer's feed-forward layer);
* per unit, the fraction ``f`` of the batch with ``z > 0`` (0.5 is the balanced state), where
  "> 0" means above :data:`ZERO_TOL` times the layer's root-mean-square input (an input at the
  rounding level passes nothing);
* per layer: the standard deviation of ``f`` across units (the spread; 0 would be perfectly
  uniform states), the mean of ``f``, the fraction of units with ``f = 0`` (dead on this batch)
  and with ``f = 1`` (always on, i.e. linear); per network, each of these averaged over the
  ReLU layers (every layer weighted equally).

Conv units at pixels whose receptive field is blank background for every image (MNIST borders)
see the same input for the whole batch, so their ``f`` is 0 or 1 under any initialiser; this
raises the CNN's and the Transformer's spread for all initialisers alike.

Even a unit whose true probability is exactly 1/2 reads ``f`` with binomial noise of standard
deviation ``0.5/sqrt(B)``; the summary gives this floor as ``noise_floor``, and an estimated
spread net of the noise, ``sqrt(max(std^2 - mean f(1-f)/B, 0))``.

The networks are exactly those that :mod:`analysis.experiments.sinusoidal_classification`
trains at the same preset and seed (same architecture, global seed, generator and LSUV batch),
and the batch is the first ``B`` images of that seed's training subset (it holds the LSUV batch).

Presets: ``smoke`` -- digits, B = 128, 2 seeds; ``cpu`` -- MNIST, B = 1024, 5 seeds (seconds
in all); ``paper`` -- MNIST, B = 4096, 10 seeds. Models and initialisers: all of them, with the
classification experiment's architectures at that preset. Options: ``dataset`` and ``data`` as
in the classification experiment, ``models`` (comma-separated).
"""

from __future__ import annotations

import math
import pathlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from initaudit.analysis import stats
from initaudit.analysis.experiment import seeds_for, torch_threads
from initaudit.analysis.experiments import sinusoidal_classification as sc
from initaudit.analysis.presets import check_preset
from initaudit.analysis.evidence import Evidence

NAME = "activation-states"
DESCRIPTION = ("Per-neuron fraction of positive ReLU inputs at initialisation, and its spread, "
               "for every initialiser and model (the 'uniform activation states' claim)")

MODELS = sc.MODELS
INITS = sc.INITS


@dataclass(frozen=True)
class Sizes:
    batch: int   # images whose activations are counted (at most the training set)
    seeds: int   # seeds per (model, initialiser)


PRESETS = {
    "smoke": Sizes(batch=128, seeds=2),
    "cpu": Sizes(batch=1024, seeds=5),
    "paper": Sizes(batch=4096, seeds=10),
}
#: Seeds and images per preset (views of :data:`PRESETS`).
SEEDS = {name: size.seeds for name, size in PRESETS.items()}
BATCH = {name: size.batch for name, size in PRESETS.items()}
#: A ReLU input counts as positive when it exceeds ZERO_TOL times the root mean square of that
#: layer's inputs over the batch (numerically zero below that).
ZERO_TOL = 1e-6


@dataclass(frozen=True)
class ActivationCell:
    """One network at initialisation, one batch.

    Attributes:
        dataset, source, data_path: the images (see the classification experiment).
        model: ``mlp``, ``cnn`` or ``transformer``.
        arch: the classifier config.
        init: initialiser name.
        batch: images in the batch (B).
        lsuv_batch: images in LSUV's batch (the first ones of the batch's source).
        seed: the replicate (data subset and random weights, as in the classification runs).
    """

    dataset: str
    source: str
    data_path: pathlib.Path | None
    model: str
    arch: object
    init: str
    batch: int
    lsuv_batch: int
    seed: int


def cells(preset: str, seeds: int | None = None, *, dataset: str | None = None,
          data: str | None = None, models=None, **_) -> list[ActivationCell]:
    """Every (model, initialiser, seed) of a preset.

    Raises:
        ValueError: unknown preset, dataset or model.
        analysis.datasets.DataUnavailable: the data set's files are absent.
    """
    check_preset(preset)
    dataset = dataset or sc.default_dataset(preset)
    model_list = sc.parse_choices(models, MODELS, "model") or MODELS
    seed_list = seeds_for(preset, seeds, PRESETS)
    source, path = sc.resolve_data(dataset, data)
    loaded, _, _ = sc.load_data(dataset, None if path is None else str(path))
    image_size, classes = loaded.x_train.shape[-1], loaded.num_classes
    batch = min(PRESETS[preset].batch, len(loaded.y_train))
    lsuv = min(sc.lsuv_batch(preset), batch)
    return [ActivationCell(dataset, source, path, m,
                           sc.model_config(m, preset, image_size, classes), init, batch, lsuv,
                           seed)
            for m in model_list for init in INITS for seed in seed_list]


def positive_fractions(model, x) -> list[tuple[str, np.ndarray]]:
    """Per ReLU module (execution order): the fraction of the batch with a positive input, per
    unit (the input flattened after the batch dimension).

    Args:
        model: a network whose nonlinearities are ``nn.ReLU`` modules.
        x: the batch, shape (B, ...).

    Returns:
        ``[(name, fractions), ...]`` with float64 arrays of length = units of that layer.
    """
    import torch

    from initaudit.models.classifiers import relu_modules

    captured: dict[str, np.ndarray] = {}
    handles = []
    for name, module in relu_modules(model):
        def hook(m, args, name=name):
            z = args[0].detach().to(torch.float64)
            # "positive" beyond rounding: a ReLU input at the rounding level of the layer's
            # scale passes nothing (sinusoidal rows sum to ~0, so a constant input patch gives
            # z ~ 1e-9 whose sign is decided by rounding).
            floor = ZERO_TOL * float(z.pow(2).mean().sqrt())
            captured[name] = (z > floor).reshape(z.shape[0], -1).to(torch.float64).mean(0).numpy()
        handles.append(module.register_forward_pre_hook(hook))
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(x)
    finally:
        model.train(was_training)
        for h in handles:
            h.remove()
    return list(captured.items())


def spread(fractions: np.ndarray, batch: int) -> dict:
    """Summary of per-unit positive fractions: ``units``, ``mean``, ``std`` (population, across
    units), ``dead`` and ``always_on`` (fractions of units at exactly 0 and 1), ``noise_corrected``
    (``sqrt(max(std^2 - mean f(1-f)/B, 0))``, the spread net of binomial noise)."""
    f = np.asarray(fractions, dtype=np.float64)
    var = float(f.var())
    noise = float(np.mean(f * (1 - f))) / batch
    return {"units": int(f.size), "mean": float(f.mean()), "std": math.sqrt(var),
            "dead": float(np.mean(f == 0.0)), "always_on": float(np.mean(f == 1.0)),
            "noise_corrected": math.sqrt(max(var - noise, 0.0))}


def run_cell(config: ActivationCell) -> dict:
    """One network's activation states.

    Returns:
        dict with ``layers`` (list of per-layer :func:`spread` dicts with a ``layer`` name),
        ``network`` (each statistic averaged over the layers, every layer weighted
        equally; ``units`` the total), ``fractions`` (per layer, float32
        arrays, for histograms). (The wall time is in the cache header, never in the result.)
    """
    with torch_threads(1):
        x = sc.first_training_images(config.dataset, config.source, config.data_path,
                                     config.batch, config.seed)
        model = sc.build_model(config.arch, config.init, config.seed, x[:config.lsuv_batch])
        per_layer = positive_fractions(model, x)
    layers = [{"layer": name, **spread(f, config.batch)} for name, f in per_layer]
    # each layer counts once, however many units it has (a conv layer has thousands)
    network = {k: float(np.mean([layer[k] for layer in layers]))
               for k in ("mean", "std", "dead", "always_on", "noise_corrected")}
    network["units"] = int(sum(layer["units"] for layer in layers))
    return {"layers": layers, "network": network,
            "fractions": {name: f.astype(np.float32) for name, f in per_layer}}



_STATS = ("std", "noise_corrected", "mean", "dead", "always_on")


def summarize(configs, results, **options) -> dict:
    """Tables and evidence.

    Returns:
        dict with ``networks`` (one row per cell: model, init, seed and the pooled spread
        statistics), ``layers`` (one row per cell and layer), ``arms`` (per model and
        initialiser: t-intervals over seeds of each statistic), ``comparisons`` (per model and
        initialiser: paired difference init - default of the spread ``std``; pooled rows
        average the models per seed first), ``histograms`` (per model and initialiser: counts
        of the per-unit fraction of all seeds in 20 bins over [0, 1]), ``batch``,
        ``noise_floor`` (0.5/sqrt(B)), ``dataset`` and ``evidence``.
    """
    net_rows, layer_rows = [], []
    hist: dict = {}
    edges = np.linspace(0.0, 1.0, 21)
    for c, r in zip(configs, results):
        net_rows.append({"model": c.model, "init": c.init, "seed": c.seed, **r["network"]})
        for i, layer in enumerate(r["layers"]):
            layer_rows.append({"model": c.model, "init": c.init, "seed": c.seed, "index": i,
                               **layer})
        counts = sum(np.histogram(f, bins=edges)[0] for f in r["fractions"].values())
        key = (c.model, c.init)
        hist[key] = hist.get(key, 0) + counts
    networks = pd.DataFrame(net_rows).sort_values(["model", "init", "seed"])
    models = list(dict.fromkeys(c.model for c in configs))
    inits = [i for i in INITS if i in set(networks.init)]
    arms = []
    for m in models:
        for i in inits:
            g = networks[(networks.model == m) & (networks.init == i)]
            row = {"model": m, "init": i, "n": len(g)}
            for col in _STATS:
                t = stats.t_interval(g[col].to_numpy())
                row.update({col: t["mean"], f"{col}_lo": t["lo"], f"{col}_hi": t["hi"]})
            arms.append(row)
    comparisons, per_seed_diffs = [], {}
    for m in models:
        base = networks[(networks.model == m) & (networks.init == "torch_default")].set_index("seed")
        for i in inits:
            if i == "torch_default" or base.empty:
                continue
            other = networks[(networks.model == m) & (networks.init == i)].set_index("seed")
            other = other.reindex(base.index)
            d = stats.paired_difference(base["std"], other["std"])
            comparisons.append({"model": m, "init": i, **d})
            per_seed_diffs.setdefault(i, []).append(other["std"] - base["std"])
    for i, parts in per_seed_diffs.items():
        mean_by_seed = pd.concat(parts, axis=1).mean(axis=1)
        d = stats.paired_difference(np.zeros(len(mean_by_seed)), mean_by_seed.to_numpy())
        comparisons.append({"model": "pooled", "init": i, **d})
    comparisons = pd.DataFrame(comparisons)
    arms = pd.DataFrame(arms)

    dataset, batch = configs[0].dataset, configs[0].batch
    evidence = {}
    for _, a in arms.iterrows():
        key = f"activation_std_{a.init}_{a.model}"
        evidence[key] = Evidence.of(
            {"mean": a["std"], "lo": a.std_lo, "hi": a.std_hi, "n": a.n}, "fraction",
            f"Standard deviation across ReLU units of the per-unit fraction of positive inputs "
            f"over a batch of {batch} {dataset} images at initialisation, {a.model}, {a.init} "
            f"(t-interval over seeds)")
    for _, r in comparisons.iterrows():
        if r.init not in sc.CLAIM_INITS:
            continue
        key = f"activation_std_diff_{r.init}_vs_default_{r.model}"
        where = "averaged per seed over the models" if r.model == "pooled" else r.model
        evidence[key] = Evidence.of(
            r, "fraction",
            f"Paired difference {r.init} - default of the spread (std across ReLU units) of the "
            f"per-unit positive fraction at initialisation, batch {batch} of {dataset}, {where}")
    return {"networks": networks, "layers": pd.DataFrame(layer_rows), "arms": arms,
            "comparisons": comparisons,
            "histograms": {f"{m}|{i}": np.asarray(h) for (m, i), h in hist.items()},
            "edges": edges, "batch": batch, "noise_floor": 0.5 / math.sqrt(batch),
            "dataset": dataset, "evidence": evidence}


def format_summary(summary: dict) -> str:
    """Text table: spread, dead and always-on fractions per model and initialiser."""
    lines = [f"batch {summary['batch']} of {summary['dataset']}; binomial noise floor of the "
             f"std {summary['noise_floor']:.4f}",
             f"{'model':>11s} {'init':>16s}  std [95% interval]          dead     always-on"]
    for _, a in summary["arms"].iterrows():
        lines.append(f"{a.model:>11s} {a.init:>16s}  {a['std']:.4f} [{a.std_lo:.4f}, "
                     f"{a.std_hi:.4f}]  {a.dead:.4f}   {a.always_on:.4f}")
    lines.append("init - default, std across units (paired over seeds):")
    for _, r in summary["comparisons"].iterrows():
        lines.append(f"{r.model:>11s} {r.init:>16s}  {r['mean']:+.4f} [{r.lo:+.4f}, {r.hi:+.4f}]"
                     f"  p={r.p:.3g}")
    return "\n".join(lines)


def add_arguments(parser) -> None:
    """``--dataset``, ``--data``, ``--models``."""
    parser.add_argument("--dataset", choices=sc.DATASETS, default=None,
                        help="image data (default: digits at smoke, mnist otherwise)")
    parser.add_argument("--data", default=None, metavar="DIR",
                        help="Fashion-MNIST IDX directory (default: $INITAUDIT_DATA_DIR/"
                             "fashion-mnist, then /usr/share/datasets/fashion-mnist)")
    parser.add_argument("--models", default=None, metavar="LIST",
                        help=f"comma-separated subset of {','.join(MODELS)}")


__all__ = [
    "ActivationCell", "BATCH", "DESCRIPTION", "NAME", "PRESETS", "SEEDS", "Sizes",
    "add_arguments", "cells", "format_summary", "positive_fractions", "run_cell", "spread",
    "summarize",
]
