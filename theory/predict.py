"""Layer-by-layer infinite-width predictions for a whole network and a set of inputs.

:func:`predict` reads the diagonal of the layer recursion of :mod:`theory.kernels`: for each
input ``x`` and layer ``l``, ``q_l = K_l(x, x)``, ``chi_l = sigma_{w,l}^2 Edot_l(x, x)`` and the
squared gradient ``E|dy/dz_l|^2 = prod_{m >= l} chi_m``. Under ``law="exact"`` (the default) the
expectations keep the laws the initialisers draw (:mod:`theory.laws`): a uniform first layer over
few input dimensions and uniform biases of O(1) variance stay non-Gaussian at any width, which
changes ``E f(z)^2`` and ``E f'(z)^2`` (not the second moments). ``law="gaussian"`` is the
textbook mean field of :mod:`theory.meanfield`, applied input by input.
"""

from __future__ import annotations

import numpy as np

from initaudit.theory import spec as tspec
from initaudit.theory.kernels import recursion


def predict(spec: tspec.NetworkSpec, x, law: str = "exact",
            method: str = "auto") -> dict[str, np.ndarray]:
    """Infinite-width prediction per input and layer.

    Args:
        spec: the network (its ``convention`` names the laws drawn).
        x: inputs (P, d_in).
        law: "exact" (the laws drawn; default) or "gaussian" (:mod:`theory.laws`).
        method: expectation method of :func:`theory.gaussian.expectations`.

    Returns:
        ``{"q", "chi", "grad_norm2", "log_grad_norm2"}``, arrays of shape (P, L): ``q_l``,
        ``chi_l`` and ``E|dy/dz_l|^2 = prod_{m=l}^{L} chi_m`` for a unit output direction (and
        its log).
    """
    x = np.atleast_2d(np.asarray(x, dtype=np.float64))
    if x.shape[-1] != spec.d_in:
        raise ValueError(f"inputs must have {spec.d_in} columns (d_in), got shape {x.shape}")
    rec = recursion(spec, x, None, law, method)
    layers = spec.layers()
    q = np.stack(rec.k[:spec.depth], axis=1)
    chi = np.stack([layers[m + 1].sigma_w2 * rec.edot[m] for m in range(spec.depth)], axis=1)
    with np.errstate(divide="ignore"):
        log_g = np.cumsum(np.log(chi)[:, ::-1], axis=1)[:, ::-1]
    return {"q": q, "chi": chi, "log_grad_norm2": log_g, "grad_norm2": np.exp(log_g)}
