"""Metrics of the training experiments, each defined as the source it audits defines it.

Fitting (SIREN, Sitzmann et al. 2020; edge of chaos, Combette et al. 2025):

* :func:`psnr` -- ``10 log10(peak^2 / MSE)`` in dB with ``peak`` the data range (1 for images in
  [0, 1], as the SIREN paper uses; 2 for images scaled to [-1, 1]);
* :func:`snr_db` -- ``10 log10(sum clean^2 / sum (estimate - clean)^2)`` in dB, for audio.

Training curves (Sinusoidal Initialization, Fernandez-Hernandez et al., NeurIPS 2025; the
definitions follow their reference code):

* :func:`best_before_patience` -- the largest validation accuracy reached before ``patience``
  epochs pass without improvement (the run is cut at the first such epoch);
* :func:`curve_auc` and :func:`relative_auc` -- area under the validation-accuracy curve by the
  trapezoid rule over epochs, and ``(AUC_new - AUC_base) / AUC_base``, the paper's
  "convergence speed";
* :func:`epochs_to_threshold` -- the first epoch at which a curve reaches a threshold (a plain
  measure beside the AUC).

Epochs are numbered from 1: ``curve[0]`` is the value after the first epoch.
"""

from __future__ import annotations

import math

import numpy as np
from initaudit.theory.checks import positive_int


def _curve(values, name: str = "curve") -> np.ndarray:
    v = np.asarray(values, dtype=np.float64).ravel()
    if v.size == 0:
        raise ValueError(f"{name} is empty; it needs at least one epoch")
    return v


def mse(estimate, target) -> float:
    """Mean squared error over all entries.

    Raises:
        ValueError: shapes differ.
    """
    a = np.asarray(estimate, dtype=np.float64)
    b = np.asarray(target, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"estimate and target shapes differ: {a.shape} vs {b.shape}")
    return float(np.mean((a - b) ** 2))


def psnr(estimate, target, peak: float = 1.0) -> float:
    """Peak signal-to-noise ratio ``10 log10(peak^2 / MSE)`` in dB (inf for an exact fit).

    Args:
        estimate, target: arrays of the same shape.
        peak: the data range (1 for images in [0, 1]).

    Raises:
        ValueError: shapes differ or ``peak`` is not positive.
    """
    if not peak > 0:
        raise ValueError(f"peak must be positive, got {peak}")
    err = mse(estimate, target)
    return math.inf if err == 0 else float(10.0 * math.log10(peak ** 2 / err))


def snr_db(estimate, clean) -> float:
    """Signal-to-noise ratio ``10 log10(||clean||^2 / ||estimate - clean||^2)`` in dB.

    Raises:
        ValueError: shapes differ or the clean signal is all zero.
    """
    a = np.asarray(estimate, dtype=np.float64)
    c = np.asarray(clean, dtype=np.float64)
    if a.shape != c.shape:
        raise ValueError(f"estimate and clean shapes differ: {a.shape} vs {c.shape}")
    signal = float(np.sum(c ** 2))
    if signal == 0:
        raise ValueError("the clean signal is all zero; its SNR is undefined")
    noise = float(np.sum((a - c) ** 2))
    return math.inf if noise == 0 else float(10.0 * math.log10(signal / noise))


def best_before_patience(curve, patience: int = 10) -> tuple[float, int]:
    """Best value reached before ``patience`` epochs pass without improvement.

    Walks the curve keeping the best value so far; an epoch improves only if it is strictly
    larger. The walk stops after the epoch at which ``patience`` consecutive epochs have not
    improved (early stopping); later epochs are ignored.

    Args:
        curve: validation accuracy per epoch (epoch 1 first).
        patience: epochs without improvement that stop the run (>= 1).

    Returns:
        ``(best value, epoch of the best value, 1-based)``.

    Raises:
        ValueError: empty curve or ``patience < 1``.
    """
    v = _curve(curve)
    positive_int(patience, "patience")
    best, best_epoch, waited = -math.inf, 0, 0
    for epoch, value in enumerate(v, start=1):
        if value > best:
            best, best_epoch, waited = float(value), epoch, 0
        else:
            waited += 1
            if waited >= patience:
                break
    return best, best_epoch


def curve_auc(curve) -> float:
    """Trapezoid area under a per-epoch curve with unit spacing (0 for one epoch)."""
    v = _curve(curve)
    return float(np.sum((v[1:] + v[:-1]) / 2.0))


def relative_auc(curve, baseline) -> float:
    """``(AUC(curve) - AUC(baseline)) / AUC(baseline)``: the "convergence speed" of the
    Sinusoidal-initialization paper (a fraction; multiply by 100 for percent).

    Raises:
        ValueError: the curves differ in length or the baseline's area is zero.
    """
    a, b = _curve(curve), _curve(baseline, "baseline")
    if a.size != b.size:
        raise ValueError(f"curves must have equal length, got {a.size} and {b.size}")
    base = curve_auc(b)
    if base == 0:
        raise ValueError("the baseline curve has zero area; the relative AUC is undefined")
    return (curve_auc(a) - base) / base


def epochs_to_threshold(curve, threshold: float) -> float:
    """First epoch (1-based) at which ``curve >= threshold``; nan if never reached."""
    v = _curve(curve)
    hit = np.flatnonzero(v >= threshold)
    return float(hit[0] + 1) if hit.size else math.nan


__all__ = ["best_before_patience", "curve_auc", "epochs_to_threshold", "mse", "psnr",
           "relative_auc", "snr_db"]
