"""Layer-by-layer infinite-width predictions for a whole network and a set of inputs.

:func:`predict` is the Gaussian mean field of :mod:`theory.meanfield` applied input by input.
:func:`predict_exact_law` keeps the laws the initialisers actually draw from: a uniform first layer
over few input dimensions and uniform biases of O(1) variance stay non-Gaussian at any width,
which changes ``E f(z)^2`` and ``E f'(z)^2`` (not the second moments). For the sine it is exact
through characteristic functions; see its docstring.
"""

from __future__ import annotations

import math

import numpy as np

from initaudit.theory import meanfield
from initaudit.theory import spec as tspec
from initaudit.theory.gaussian import activation_numpy
from initaudit.theory.sine import sinc

def predict(spec: tspec.NetworkSpec, x) -> dict[str, np.ndarray]:
    """Mean-field prediction per input and layer.

    Args:
        spec: the network.
        x: inputs (P, d_in).

    Returns:
        ``{"q", "chi", "grad_norm2", "log_grad_norm2"}``, arrays of shape (P, L): ``q_l`` and
        ``chi_l`` of :func:`theory.meanfield.propagate` from ``q_1 = spec.q1(x_p)``, and
        ``E|dy/dz_l|^2 = prod_{m=l}^{L} chi_m`` for a unit output direction (and its log).
    """
    q1 = spec.q1(np.asarray(x, dtype=np.float64))
    layers = [(lv.sigma_w2, lv.sigma_b2) for lv in spec.layers()[1:]]
    n_layers = spec.depth
    out = {k: np.empty((len(q1), n_layers)) for k in ("q", "chi", "log_grad_norm2")}
    for p, q in enumerate(q1):
        prof = meanfield.propagate(float(q), layers, spec.activation)
        out["q"][p] = prof.q
        out["chi"][p] = prof.chi
        # log prod_{m=l}^{L} chi_m = G_L - G_{l-1}, G the cumulative log_grad_ratio (G_0 = 0).
        cum = np.concatenate([[0.0], prof.log_grad_ratio])
        with np.errstate(invalid="ignore"):
            out["log_grad_norm2"][p] = cum[-1] - cum[:-1]
    out["grad_norm2"] = np.exp(out["log_grad_norm2"])
    return out


def _cf_scalar(variance: float, uniform: bool, t: float) -> float:
    """``E cos(t B)`` for a centred bias B of the given variance (uniform or normal law)."""
    if variance == 0.0:
        return 1.0
    if uniform:
        return float(sinc(t * math.sqrt(3.0 * variance)))
    return math.exp(-0.5 * t * t * variance)


def predict_exact_law(spec: tspec.NetworkSpec, x, order: int = 48) -> dict[str, np.ndarray]:
    r"""Infinite-width prediction with the spec's own laws instead of Gaussian pre-activations.

    The mean field of :mod:`theory.meanfield` takes every ``z_l`` Gaussian. At infinite width
    two parts of a finite network stay non-Gaussian whatever N is:

    * ``z_1 = W_0 x + b_0`` is a sum of only d + 1 terms (d = 2 for images); with uniform laws
      it is a sum of uniforms;
    * ``z_{l+1} = W_l h_l + b_l``: the sum ``W_l h_l`` is Gaussian (central limit, variance
      ``sigma_w^2 E f(z_l)^2``), but the bias is a single draw, so a uniform bias of O(1)
      variance (SIREN's ``U(+-omega_0/sqrt(N))``, the edge-of-chaos ``U(+-c_b)``) leaves
      ``z = G + B`` a Gaussian plus a uniform.

    Second moments do not care (``q_{l+1} = sigma_w^2 E f(z_l)^2 + sigma_b^2`` still holds), but
    ``E f(z)^2`` and ``E f'(z)^2`` do. For the sine they follow from characteristic functions,
    ``E sin^2 z = (1 - phi_z(2))/2``, ``E cos^2 z = (1 + phi_z(2))/2`` with
    ``phi_{G+B}(t) = e^{-t^2 s/2} phi_B(t)`` and ``phi_U(t) = sin(c t)/(c t)`` for ``U(+-c)``
    (the Gaussian theory is the case ``phi_B(t) = e^{-t^2 sigma_b^2/2}``). For relu both
    moments are the same for every symmetric law, so the Gaussian theory is already exact.
    Other activations are handled when the hidden biases are Gaussian or zero: then only z_1 is
    non-Gaussian, its moments are computed by tensor-product Gauss-Legendre quadrature over the
    d + 1 uniform variables (``order`` nodes each; at most 3 variables), and the layers from 2
    on follow :func:`theory.meanfield.propagate`.

    Args:
        spec: the network (its ``convention`` names the laws).
        x: inputs (P, d_in).
        order: Gauss-Legendre nodes per variable for the first layer (non-sine activations).

    Returns:
        The same keys and shapes as :func:`predict`.

    Raises:
        ValueError: for a non-sine activation with non-Gaussian non-zero hidden biases, or a
            uniform first layer with more than 3 random variables and a non-sine activation.
    """
    act = spec.activation
    x = np.atleast_2d(np.asarray(x, dtype=np.float64))
    layers = spec.layers()
    uniform = spec.convention == "uniform"
    n_pts, depth = x.shape[0], spec.depth
    if act == "relu" or not uniform:
        return predict(spec, x)
    q1 = spec.q1(x)
    if act == "sin":
        # phi_{z_1}(2) = prod_k phi_{W}(2 x_k) * phi_{b_0}(2), W ~ U(+-a0).
        a0 = math.sqrt(3.0 * layers[0].sigma_w2 / spec.d_in)
        phi = np.prod(sinc(2.0 * a0 * x), axis=1) * _cf_scalar(layers[0].sigma_b2, True, 2.0)
        q = np.empty((n_pts, depth))
        chi = np.empty((n_pts, depth))
        q[:, 0] = q1
        for l in range(depth):
            sw2, sb2 = layers[l + 1].sigma_w2, layers[l + 1].sigma_b2
            chi[:, l] = sw2 * (1.0 + phi) / 2.0
            if l + 1 < depth:
                gauss = sw2 * (1.0 - phi) / 2.0  # variance of W_l h_l
                q[:, l + 1] = gauss + sb2
                phi = np.exp(-2.0 * gauss) * _cf_scalar(sb2, True, 2.0)
        with np.errstate(divide="ignore"):
            logs = np.log(chi)
        log_g = np.cumsum(logs[:, ::-1], axis=1)[:, ::-1]
        return {"q": q, "chi": chi, "log_grad_norm2": log_g, "grad_norm2": np.exp(log_g)}
    hidden_biases = [lv.sigma_b2 for lv in layers[1:depth]]
    if any(b > 0 for b in hidden_biases):
        raise ValueError(f"the law-exact prediction for {act!r} needs zero or Gaussian hidden "
                         "biases (uniform ones are handled for the sine only)")
    n_var = spec.d_in + (1 if layers[0].sigma_b2 > 0 else 0)
    if n_var > 3:
        raise ValueError(f"the law-exact first layer for {act!r} integrates over d + 1 = {n_var} "
                         "uniform variables; at most 3 are supported")
    nodes, weights = np.polynomial.legendre.leggauss(order)
    weights = weights / 2.0  # density of U(-1, 1)
    grids = np.meshgrid(*([nodes] * n_var), indexing="ij")
    wgrid = np.ones_like(grids[0])
    for wk in np.meshgrid(*([weights] * n_var), indexing="ij"):
        wgrid = wgrid * wk
    a0 = math.sqrt(3.0 * layers[0].sigma_w2 / spec.d_in)
    c0 = math.sqrt(3.0 * layers[0].sigma_b2)
    f, fp = activation_numpy(act)
    out = {k: np.empty((n_pts, depth)) for k in ("q", "chi", "log_grad_norm2")}
    rest = [(lv.sigma_w2, lv.sigma_b2) for lv in layers[2:]]
    for p in range(n_pts):
        z = sum(a0 * x[p, k] * grids[k] for k in range(spec.d_in))
        if n_var > spec.d_in:
            z = z + c0 * grids[-1]
        ef2 = float(np.sum(wgrid * f(z) ** 2))
        edf2 = float(np.sum(wgrid * fp(z) ** 2))
        sw2, sb2 = layers[1].sigma_w2, layers[1].sigma_b2
        chis = [sw2 * edf2]
        qs = [q1[p]]
        if depth > 1:
            prof = meanfield.propagate(sw2 * ef2 + sb2, rest, act)
            qs += list(prof.q)
            chis += list(prof.chi)
        out["q"][p] = qs
        out["chi"][p] = chis
    with np.errstate(divide="ignore"):
        out["log_grad_norm2"] = np.cumsum(np.log(out["chi"])[:, ::-1], axis=1)[:, ::-1]
    out["grad_norm2"] = np.exp(out["log_grad_norm2"])
    return out
