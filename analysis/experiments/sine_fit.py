r"""Shared pieces of the fitting experiments (image and audio): networks, grids, training, spectra.

Not an experiment itself (no ``NAME``): :mod:`analysis.experiments.image_fit` and
:mod:`analysis.experiments.audio_fit` build on it.

Networks
--------
A sine network in the package's folded form (DESIGN.md, :mod:`theory.spec`)::

    z_1 = W_0 x + b_0,   h_l = sin(z_l),   z_{l+1} = W_l h_l + b_l,   y = W_L h_L + b_L,

drawn by :func:`models.mlp.build_mlp` from the :class:`theory.spec.NetworkSpec` of a named
point (:func:`sine_spec`), so that the laws are the ones the theory describes:

``siren``
    Sitzmann et al. (2020, NeurIPS, arXiv 2006.09661), reference code: first layer
    ``sin(omega_0 (W x + b))`` with ``W ~ U(+-1/d)``, hidden ``W ~ U(+-sqrt(6/N)/omega_h)``
    inside ``sin(omega_h (.))``, torch's default biases ``U(+-1/sqrt(fan_in))`` (multiplied by the
    layer's omega inside the sine), readout ``U(+-sqrt(6/N)/omega_h)``. ``omega_0`` is the first
    layer's frequency (30 for images, 3000 for audio in the SIREN paper), ``omega_h = 30``
    (:func:`theory.spec.siren_reference`).
``edge_of_chaos``, ``edge_of_chaos_sigma_a1``
    Combette, Venaille, Pustelnik (arXiv 2512.06427): first layer ``U(+-omega_0/d)`` with zero
    bias, hidden ``U(+-c_w/sqrt(N))``, ``U(+-c_b)`` on the unit-gain curve at sigma_a = 0
    ``(sqrt 3, 0)`` or sigma_a = 1 (:func:`models.catalogue.spec`).
``edge_of_chaos_orthogonal``, ``edge_of_chaos_orthogonal_sigma_a1``
    The package's variants of those two points with Haar-orthogonal hidden weights of the same
    variance (:func:`models.init.edge_of_chaos_orthogonal_`; the source's open question 2).
``ordered``, ``chaotic``
    Off the unit-gain curve, the ordered and chaotic points of :mod:`models.catalogue`
    ((c_w, c_b) = (1.5, 0.5) and (2.4, 0)) with the edge-of-chaos first layer and readout
    (:func:`theory.spec.sine_uniform`).

Grids
-----
Coordinates are the periodic grid of :mod:`analysis.spectrum`, ``x_n = -1 + 2 n / G``
(``n = 0..G-1``) on every axis, so inputs lie in ``[-1, 1)^d``. Taking every ``f``-th sample of
the grid of ``G`` points gives exactly the grid of ``G / f`` points (:func:`subsample`), whose
Nyquist frequency ``pi G / (2 f)`` (rad per unit x) is the *training Nyquist frequency* of a fit
on the subsampled grid.

Training
--------
:func:`train`: Adam (Kingma and Ba 2015, arXiv 1412.6980) on the mean squared error, full batch or
minibatches drawn without replacement from a seeded permutation per epoch, with the loss of
every step and a user metric at a few logged steps.

Error spectra
-------------
:func:`error_spectrum`: the 2-D DFT power of an error map without window or mean removal
(``window="none"``, ``remove_mean=False`` in :func:`analysis.spectrum.spectrum_2d`), so that by
Parseval the bin energies sum exactly to the mean squared error and the share of the error's
energy above a frequency is a share of the MSE; its radial average
(:func:`analysis.spectrum.radial_average`) is the profile the figures draw.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np
import torch

from initaudit.analysis import spectrum
from initaudit.theory import spec as tspec
from initaudit.models.device import resolve_device
from initaudit.theory.checks import choice, optional, positive_int
from initaudit.models.seeds import STREAM_BATCHES, STREAM_INIT, STREAM_NOISE, derived_seed

__all__ = [
    "ERROR_BIN", "EOC_POINTS", "INITS", "OFF_CURVE", "ORTHOGONAL", "SIREN_HIDDEN_OMEGA0",
    "STREAM_BATCHES", "STREAM_INIT", "STREAM_NOISE", "block_mean", "build_network", "check_inits",
    "default_device", "derived_seed", "device_of", "error_spectrum", "grid_axis", "grid_inputs",
    "hidden_matrix", "high_frequency_share", "orthogonal_comparisons", "predict", "radial_error_profile", "sine_spec",
    "subsample", "train",
]

#: SIREN's hidden-layer frequency (Sitzmann et al. 2020, Sec. 3.2; also for audio).
SIREN_HIDDEN_OMEGA0 = 30.0
#: Points on the unit-gain curve.
EOC_POINTS = ("edge_of_chaos", "edge_of_chaos_sigma_a1")
#: Points off the curve, with the edge-of-chaos first layer and readout.
OFF_CURVE = ("ordered", "chaotic")
#: The package's orthogonal variants of the edge-of-chaos points, each with its i.i.d. point.
ORTHOGONAL = {"edge_of_chaos_orthogonal": "edge_of_chaos",
              "edge_of_chaos_orthogonal_sigma_a1": "edge_of_chaos_sigma_a1"}
#: Every point :func:`sine_spec` knows.
INITS = ("siren",) + EOC_POINTS + OFF_CURVE + tuple(ORTHOGONAL)
#: Width of the annuli of the radial error spectra (rad per unit x): the DFT resolution on [-1, 1].
ERROR_BIN = math.pi


def check_inits(inits) -> tuple[str, ...]:
    """Validate a sequence of point names (or a comma-separated string); the first must be siren.

    Raises:
        ValueError: an unknown name, a repeat, or no ``siren`` baseline.
    """
    if isinstance(inits, str):
        inits = [s.strip() for s in inits.split(",") if s.strip()]
    inits = tuple(inits)
    bad = [i for i in inits if i not in INITS]
    if bad:
        raise ValueError(f"unknown initialiser(s) {', '.join(bad)}; valid are {', '.join(INITS)}")
    if len(set(inits)) != len(inits):
        raise ValueError(f"initialisers repeat in {', '.join(inits)}")
    if "siren" not in inits:
        raise ValueError("the initialisers must include siren, the baseline of every comparison")
    return ("siren",) + tuple(i for i in inits if i != "siren")


def sine_spec(init: str, d_in: int, width: int, depth: int, omega0: float = 30.0,
              hidden_omega0: float = SIREN_HIDDEN_OMEGA0) -> tspec.NetworkSpec:
    """The :class:`theory.spec.NetworkSpec` of a point of :data:`INITS` (see the module docstring).

    Args:
        init: one of :data:`INITS`.
        d_in, width, depth: input dimension, hidden width N, number of sine layers L.
        omega0: first-layer frequency (SIREN's omega_0; the edge-of-chaos half-width factor).
        hidden_omega0: SIREN's hidden-layer frequency (ignored by the other points).

    Returns:
        The spec, named ``init``.

    Raises:
        ValueError: unknown ``init`` or a non-positive frequency.
    """
    choice(init, INITS, "initialiser")
    for what, val in (("omega0", omega0), ("hidden_omega0", hidden_omega0)):
        if not (math.isfinite(val) and val > 0):
            raise ValueError(f"{what} must be a positive finite number, got {val!r}")
    if init == "siren":
        sp = tspec.siren_reference(d_in, width, depth, omega0=float(omega0),
                                   hidden_omega0=float(hidden_omega0))
    else:
        from initaudit.models import catalogue

        sp = catalogue.spec(init, d_in, width, depth, omega0=float(omega0))
    return sp.with_(name=init)


def build_network(init: str, d_in: int, width: int, depth: int, omega0: float, seed: int,
                  hidden_omega0: float = SIREN_HIDDEN_OMEGA0) -> torch.nn.Module:
    """A float32 sine network of the point ``init`` drawn with a generator seeded from ``seed``.

    Returns:
        A :class:`models.mlp.MLP` (``nn.Sequential``) with trainable parameters.
    """
    from initaudit.models.mlp import build_mlp

    sp = sine_spec(init, d_in, width, depth, omega0, hidden_omega0)
    gen = torch.Generator().manual_seed(derived_seed(seed, STREAM_INIT))
    return build_mlp(sp, generator=gen, dtype=torch.float32, hidden_matrix=hidden_matrix(init))


def orthogonal_comparisons(runs, column: str, groups=()) -> list[dict]:
    """Paired differences ``orthogonal variant - its i.i.d. point`` (:data:`ORTHOGONAL`) of
    ``column``, per group of ``groups`` columns: each seed's mean over the depths of ``runs``
    (NaN if any depth is missing or diverged), then the paired t-interval over seeds
    (:func:`analysis.stats.paired_difference`), and ``p_holm``, Holm's adjustment over the rows
    returned. Rows carry ``init``, ``baseline``, the group's values and the interval; variants
    without their i.i.d. point in ``runs`` are skipped."""
    from initaudit.analysis.stats import paired_difference

    out = []
    present = set(runs.init)
    keyed = runs.groupby(list(groups), sort=False) if groups else [((), runs)]
    for key, df in keyed:
        key = key if isinstance(key, tuple) else (key,)
        depths = sorted(set(df.depth))
        for orth, iid in ORTHOGONAL.items():
            if orth not in present or iid not in present:
                continue
            wide = df[df.init.isin([orth, iid])].pivot_table(
                index="seed", columns=["init", "depth"], values=column, dropna=False)
            if orth not in wide or iid not in wide:
                continue
            a = wide[iid].reindex(columns=depths).mean(axis=1, skipna=False)
            b = wide[orth].reindex(columns=depths).mean(axis=1, skipna=False)
            out.append({"init": orth, "baseline": iid, **dict(zip(groups, key)),
                        **paired_difference(a.to_numpy(float), b.to_numpy(float))})
    if out:  # Holm over the contrasts of this call (one family)
        from initaudit.analysis.stats import holm

        for row, ph in zip(out, holm([r["p"] for r in out])):
            row["p_holm"] = float(ph)
    return out


def hidden_matrix(init: str) -> str:
    """The law of the hidden matrices :func:`models.mlp.build_mlp` draws for ``init``: the
    catalogue's ``matrix`` ("orthogonal" for the orthogonal variants), "iid" otherwise."""
    from initaudit.models import catalogue

    return "orthogonal" if catalogue.get(init).matrix == "orthogonal" else "iid"


# --------------------------------------------------------------------------------------------
# Grids


def grid_axis(points: int) -> np.ndarray:
    """``x_n = -1 + 2 n / G``, ``n = 0..G-1`` (:func:`analysis.spectrum.grid_coords`; G even, >= 8)."""
    return spectrum.grid_coords(points)


def grid_inputs(points: int, dims: int) -> np.ndarray:
    """All points of the grid of ``[-1, 1)^dims`` as rows (float32), 2-D rows in "ij" order:
    row ``a G + b`` is ``(x_a, x_b)``, so ``image.ravel()`` lines up with the rows."""
    return spectrum.grid_inputs(points, dims).astype(np.float32)


def subsample(values: np.ndarray, factor: int) -> np.ndarray:
    """Every ``factor``-th sample along every axis, starting at index 0.

    On the grid of :func:`grid_axis`, ``grid_axis(G)[::f] == grid_axis(G // f)``, so the result
    is the signal on the coarser grid of the same interval.

    Raises:
        ValueError: ``factor`` is not a positive integer or does not divide every axis.
    """
    v = np.asarray(values)
    factor = positive_int(factor, "factor")
    if any(n % factor for n in v.shape):
        raise ValueError(f"factor {factor} must divide every axis of the shape {v.shape}")
    return v[tuple(slice(None, None, factor) for _ in v.shape)]


def block_mean(image: np.ndarray, factor: int) -> np.ndarray:
    """Downsample a 2-D array by averaging ``factor x factor`` blocks (an exact box filter).

    Raises:
        ValueError: ``factor`` is not a positive integer or does not divide both axes.
    """
    v = np.asarray(image, dtype=np.float64)
    if v.ndim != 2:
        raise ValueError(f"block_mean needs a 2-D array, got shape {v.shape}")
    factor = positive_int(factor, "factor")
    h, w = v.shape
    if h % factor or w % factor:
        raise ValueError(f"factor {factor} must divide both axes of the shape {v.shape}")
    return v.reshape(h // factor, factor, w // factor, factor).mean(axis=(1, 3))


# --------------------------------------------------------------------------------------------
# Training


def device_of(model: torch.nn.Module) -> torch.device:
    """The device holding ``model``'s parameters."""
    return next(model.parameters()).device


def default_device() -> torch.device:
    """Where a fit trains (:func:`initaudit.models.device.resolve_device`)."""
    return resolve_device()


def predict(model: torch.nn.Module, x, chunk: int = 65536) -> np.ndarray:
    """Outputs of ``model`` at the rows of ``x`` (float32 forward in chunks), shape (P,), float64."""
    device = device_of(model)
    xt = torch.as_tensor(np.asarray(x, dtype=np.float32))
    out = []
    with torch.no_grad():
        for part in xt.split(chunk):
            out.append(model(part.to(device))[:, 0].double().cpu())
    return torch.cat(out).numpy()


def train(model: torch.nn.Module, x, y, *, steps: int, lr: float, batch_size: int | None,
          seed: int, log_steps=(), metric: Callable[[torch.nn.Module], dict] | None = None) -> dict:
    r"""Fit ``model`` to ``(x, y)`` with Adam on the mean squared error.

    Loss ``(1/B) sum_i (f(x_i) - y_i)^2`` over a batch of B rows. With ``batch_size`` None (or
    at least the number of rows) every step uses all rows (full batch, as the SIREN reference
    fits images and audio); otherwise the rows are visited in a random order, a new permutation
    each epoch, from a generator seeded with ``derived_seed(seed, STREAM_BATCHES)``: two runs
    with the same seed see the same batches, whatever their initialiser.

    Args:
        model: the network (trained in place, on the device of its parameters).
        x: inputs (P, d); y: targets (P,).
        steps: Adam steps.
        lr: learning rate (other Adam settings: torch's defaults, betas (0.9, 0.999), eps 1e-8).
        batch_size: rows per step, or None for full batch.
        seed: replicate seed (minibatch order).
        log_steps: steps (0 = before training, ``steps`` = after the last) at which ``metric``
            is called.
        metric: ``model -> {name: float}``, evaluated under ``torch.no_grad``.

    Returns:
        dict with ``loss`` (per step, float64 array of length ``steps``; nan after a divergence),
        ``log`` ({"step": [...], name: [...]}), and ``diverged`` (the loss became non-finite).

    Raises:
        ValueError: non-positive steps, learning rate or batch size, mismatched shapes.
    """
    steps = positive_int(steps, "steps")
    if not (math.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a positive finite number, got {lr!r}")
    device = device_of(model)
    xt = torch.as_tensor(np.asarray(x, dtype=np.float32)).to(device)
    yt = torch.as_tensor(np.asarray(y, dtype=np.float32)).reshape(-1, 1).to(device)
    if xt.dim() != 2 or xt.shape[0] != yt.shape[0]:
        raise ValueError(f"x must be (P, d) and y (P,); got {tuple(xt.shape)} and "
                         f"{tuple(yt.shape)}")
    n = xt.shape[0]
    batch_size = optional(positive_int, batch_size, "batch_size", None)
    full = batch_size is None or batch_size >= n
    log_at = sorted({int(s) for s in log_steps})
    if any(s < 0 or s > steps for s in log_at):
        raise ValueError(f"log_steps must lie in 0..{steps}, got {log_at}")
    gen = torch.Generator().manual_seed(derived_seed(seed, STREAM_BATCHES))
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    losses = np.full(steps, np.nan)
    log: dict[str, list] = {"step": []}

    def record(step: int) -> None:
        if metric is None:
            return
        with torch.no_grad():
            values = metric(model)
        log["step"].append(step)
        for key, val in values.items():
            log.setdefault(key, []).append(float(val))

    order, pos = None, n
    diverged = False
    if 0 in log_at:
        record(0)
    for step in range(1, steps + 1):
        if full:
            xb, yb = xt, yt
        else:
            if pos + batch_size > n:
                order, pos = torch.randperm(n, generator=gen), 0
            idx = order[pos:pos + batch_size].to(device)
            pos += batch_size
            xb, yb = xt[idx], yt[idx]
        opt.zero_grad(set_to_none=True)
        loss = torch.mean((model(xb) - yb) ** 2)
        value = float(loss.detach())
        if not math.isfinite(value):
            diverged = True
            break
        loss.backward()
        opt.step()
        losses[step - 1] = value
        if step in log_at:
            record(step)
    return {"loss": losses, "log": {k: np.asarray(v, dtype=np.float64) for k, v in log.items()},
            "diverged": diverged}


# --------------------------------------------------------------------------------------------
# Error spectra


def error_spectrum(error) -> tuple[np.ndarray, np.ndarray]:
    """2-D DFT power of an error map on the grid of [-1, 1)^2, summing to its mean square.

    Args:
        error: (G, G) array (G even, >= 8); axis 0 is the first coordinate.

    Returns:
        ``(omega_r, energy)`` as :func:`analysis.spectrum.spectrum_2d` with ``window="none"`` and
        ``remove_mean=False``: ``sum(energy) == mean(error**2)`` (Parseval) and ``omega_r`` is
        the radial angular frequency of each bin (rad per unit x, resolution pi).
    """
    return spectrum.spectrum_2d(error, window="none", remove_mean=False)


def high_frequency_share(error, cutoff: float) -> float:
    r"""Share of an error map's energy at radial frequencies strictly above ``cutoff``.

    ``sum_{|omega| > cutoff} E(omega) / sum E(omega)`` with ``E`` from :func:`error_spectrum`
    (:func:`analysis.spectrum.energy_above`). For a fit on the grid subsampled by ``f``, the
    cutoff is the training Nyquist frequency ``pi G / (2 f)``: error there is made of
    frequencies the training samples cannot see (they alias onto lower ones).

    Returns:
        A fraction in [0, 1] (nan for an exactly zero error).
    """
    omega_r, energy = error_spectrum(error)
    return float(spectrum.energy_above(omega_r.ravel(), energy.ravel(), [cutoff])[0])


def radial_error_profile(error) -> tuple[np.ndarray, np.ndarray]:
    """Radially averaged power of an error map: ``(omega, power)`` per annulus of width pi up to
    the grid's Nyquist frequency (:func:`analysis.spectrum.radial_average`, column ``power``)."""
    omega_r, energy = error_spectrum(error)
    table = spectrum.radial_average(energy, omega_r, bin_width=ERROR_BIN)
    return table.omega.to_numpy(), table.power.to_numpy()
