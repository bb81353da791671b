"""Infinite-width NNGP and NTK of a whole network (Neal 1996; Lee et al. 2018; Jacot et al. 2018).

For a :class:`theory.spec.NetworkSpec` and inputs ``X`` (P x d), with ``S_0 = X X^T / d``:

* NNGP of the pre-activations: ``K_1 = sigma_w0^2 S_0 + sigma_b0^2``; for m = 1..L
  ``S_m = E[f(u) f(v)]`` and ``Edot_m = E[f'(u) f'(v)]`` under ``(u, v) ~ N(0, K_m)``, and
  ``K_{m+1} = sigma_{w,m}^2 S_m + sigma_{b,m}^2``. The output NNGP is ``K_{L+1}``.
* NTK in the NTK parametrisation (``z = sigma_w W h / sqrt(N) + sigma_b b``, W, b standard normal):
  ``Theta_1 = K_1``, ``Theta_{m+1} = K_{m+1} + sigma_{w,m}^2 Edot_m Theta_m``. The output NTK is
  ``Theta_{L+1} = sum_m P_m K_m`` with ``P_m = prod_{k=m}^{L} sigma_{w,k}^2 Edot_k`` (``P_{L+1} = 1``),
  the infinite-width value of ``delta_m . delta_m'``, the product of the back-propagated
  gradients at layer m.
* The standard-parametrisation NTK (the parametrisation the finite torch networks use,
  ``z = W h + b`` with ``Var W = sigma_w^2/N``) grows linearly with the width: the weights ``W_m``
  with fan-in N contribute ``(h_m . h_m')(delta_{m+1} . delta_{m+1}') ~ N S_m P_{m+1}``, the
  first layer and the biases only O(1). Its finite limit is therefore
  ``lim Theta_SP / N = sum_{m=1}^{L} S_m P_{m+1}``, which obeys the same recursion as the NTK
  with ``K_{m+1}`` replaced by ``S_m`` and ``Theta_1 = 0``. Finite networks approach it with
  O(1/N) corrections (the first layer and bias terms) and O(1/sqrt(N)) fluctuations.

On the diagonal ``Edot_m = chi_m / sigma_{w,m}^2`` and ``K_m(x, x) = q_m(x)``, so
``Theta(x, x) = sum_m q_m prod_{k >= m} chi_k``.

**The NTK's diagonal from the gradients (sine networks).** For ``f = sin`` under any law,
``f'^2 = 1 - f^2``, so ``chi_m = sigma_m^2 (1 - S_m)`` with ``sigma_m^2`` the variance of the weights
that read ``h_m``. With ``P_m = E|dy/dz_m|^2 = prod_{k=m}^{L} chi_k`` (``P_{L+1} = 1``) this gives
``S_m P_{m+1} = P_{m+1} - P_m / sigma_m^2``, and the standard-parametrisation limit telescopes
into the expected squared gradients (:func:`ntk_from_gradients`)::

    lim Theta_SP(x, x) / N = sum_{m=1}^{L} (P_{m+1} - P_m / sigma_m^2).

With one ``sigma^2`` for the hidden layers and unit gain below the readout (``chi_m = 1`` for
m < L, so every ``P_m = P_L``, the readout's gain) it is
``(L - 1)(1 - 1/sigma^2) P_L + 1 - P_L / sigma_L^2``: linear growth in depth with slope
``(1 - 1/sigma^2) P_L``, the source's third mechanism (exact unit gain holds under the Gaussian
law at the ``sigma_a = 1`` point; under the laws drawn its gain is 0.9916 and the increments
shrink with depth). At ``sigma^2 = 1`` for every layer after the first, readout included (the
``sigma_a = 0`` point) it is ``1 - P_1``: the mean eigenvalue cannot grow past 1 whatever the
depth, and approaches it as the first layer's gradient decays.

**Laws.** The expectations ``S_m`` and ``Edot_m`` are taken under the law the network draws
(``law="exact"``, the default; :mod:`theory.laws`): a uniform first layer over d inputs gives a
product of sinc terms, not a Gaussian kernel, and a uniform hidden bias, one draw per unit shared
by every input, keeps ``z = G + B`` non-Gaussian at any width. The recursions above hold under
either law (the infinite-width averages over units are expectations under the law drawn); only
``S_m`` and ``Edot_m`` change. ``law="gaussian"`` is the textbook mean field, every pre-activation
Gaussian with covariance ``K_m``. :func:`recursion` computes the layer terms for pairs of inputs;
:func:`kernels` forms the P x P matrices and :func:`theory.predict.predict` reads the diagonal.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from initaudit.theory import laws, progress
from initaudit.theory.spec import NetworkSpec


@dataclass(frozen=True)
class KernelResult:
    """Kernels of one network on one input set (P x P arrays, float64).

    Attributes:
        nngp: output NNGP ``K_{L+1}``.
        ntk: output NTK in the NTK parametrisation.
        ntk_sp_over_width: ``lim_{N -> inf} Theta_SP / N`` (standard parametrisation).
        nngp_layers: ``K_1 .. K_{L+1}`` stacked, shape (L+1, P, P).
        law: the law the expectations were taken under (:data:`theory.laws.LAWS`).
    """

    nngp: np.ndarray
    ntk: np.ndarray
    ntk_sp_over_width: np.ndarray
    nngp_layers: np.ndarray
    law: str = "exact"


@dataclass(frozen=True)
class Recursion:
    """Layer terms of a network for pairs of inputs (arrays of the pairs' broadcast shape).

    Attributes:
        k: ``K_1 .. K_{L+1}``, the covariances of ``z_1 .. z_L`` and of the output.
        s: ``S_1 .. S_L = E[f(z_m(x)) f(z_m(y))]``.
        edot: ``Edot_1 .. Edot_L = E[f'(z_m(x)) f'(z_m(y))]``.
        law: the law of the expectations.
    """

    k: list
    s: list
    edot: list
    law: str


def _check_inputs(spec: NetworkSpec, x) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 1 and spec.d_in == 1:
        x = x[:, None]
    if x.ndim != 2 or x.shape[1] != spec.d_in:
        raise ValueError(f"inputs must have shape (P, {spec.d_in}), got {x.shape}")
    if x.shape[0] < 1 or not np.all(np.isfinite(x)):
        raise ValueError("inputs must be a non-empty array of finite numbers")
    return x


def _layers(spec: NetworkSpec, xa, xb, law: str, method: str):
    """Yield ``(K_m, pair_m)`` for m = 1..L, then ``(K_{L+1}, None)``: the covariance of
    ``z_m`` and the :class:`theory.laws.PairTerms` ``(S_m, Edot_m)`` of its activation, one layer
    at a time (the memory of one layer whatever the depth). ``xb=None``: the diagonal."""
    laws.check_law(law)
    act, conv = spec.activation, spec.convention
    layers = spec.layers()
    first = layers[0]
    diagonal = xb is None
    xa = np.asarray(xa, dtype=np.float64)
    xb = xa if diagonal else np.asarray(xb, dtype=np.float64)

    def first_terms(a, b, diag):
        return laws.first_layer_terms(act, a, b, first.sigma_w2, first.sigma_b2, spec.first_law,
                                      law, diagonal=diag, method=method)

    def hidden(g, sb2, diag):
        return laws.hidden_terms(act, *g, sb2, conv, law, diagonal=diag, method=method)

    k = laws.first_layer_covariance(xa, xb, first.sigma_w2, first.sigma_b2)
    pair = first_terms(xa, xb, diagonal)
    if not diagonal:  # the pair's own variances (the Gaussian parts need them)
        self_a, self_b = first_terms(xa, xa, True), first_terms(xb, xb, True)
    for m, lv in progress.steps(enumerate(layers[1:], start=1), len(layers) - 1, "kernel layers"):
        yield k, pair
        g_ab = lv.sigma_w2 * pair.ff  # covariance of the Gaussian part G of z_{m+1}
        k = g_ab + lv.sigma_b2
        if m == spec.depth:
            break
        if diagonal:
            pair = hidden((g_ab, g_ab, g_ab), lv.sigma_b2, True)
        else:
            g_a, g_b = lv.sigma_w2 * self_a.ff, lv.sigma_w2 * self_b.ff
            pair = hidden((g_a, g_b, g_ab), lv.sigma_b2, False)
            self_a = hidden((g_a, g_a, g_a), lv.sigma_b2, True)
            self_b = hidden((g_b, g_b, g_b), lv.sigma_b2, True)
    yield k, None


def recursion(spec: NetworkSpec, xa, xb=None, law: str = "exact",
              method: str = "auto") -> Recursion:
    """``K_m``, ``S_m`` and ``Edot_m`` of every layer for the pairs ``(xa, xb)``.

    Args:
        spec: the network.
        xa, xb: inputs of shape (..., d), broadcastable against each other; ``xb=None`` means
            the diagonal (``xb = xa``, computed once, with the one-dimensional forms).
        law: "exact" (the laws drawn; default) or "gaussian" (:mod:`theory.laws`).
        method: expectation method of :func:`theory.gaussian.expectations`.

    Returns:
        A :class:`Recursion`.
    """
    k, s, edot = [], [], []
    for km, pair in _layers(spec, xa, xb, law, method):
        k.append(km)
        if pair is not None:
            s.append(pair.ff)
            edot.append(pair.dfdf)
    return Recursion(k=k, s=s, edot=edot, law=law)


def nngp(spec: NetworkSpec, x, method: str = "auto", law: str = "exact") -> np.ndarray:
    """The output NNGP ``K_{L+1}`` alone (``kernels(...).nngp``), in the memory of one layer:
    a few P x P arrays whatever the depth, where :func:`kernels` keeps every layer's."""
    x = _check_inputs(spec, x)
    with np.errstate(invalid="ignore"):  # see kernels
        for k, _ in _layers(spec, x[:, None, :], x[None, :, :], law, method):
            pass
    for q, _ in _layers(spec, x, None, law, method):
        pass
    out = np.array(k, dtype=np.float64, copy=True)
    out[np.diag_indices_from(out)] = q
    return (out + out.T) / 2


def kernels(spec: NetworkSpec, x, method: str = "auto", law: str = "exact") -> KernelResult:
    """NNGP and NTK of the network described by ``spec`` on inputs ``x``.

    Args:
        spec: the network.
        x: inputs, shape (P, d_in) (a 1-D array is read as P scalar inputs when d_in = 1).
        method: expectation method passed to :func:`theory.gaussian.expectations`.
        law: "exact" (the laws the network draws; default) or "gaussian" (:mod:`theory.laws`).

    Returns:
        A :class:`KernelResult`.
    """
    x = _check_inputs(spec, x)
    # The diagonal of the pair recursion is replaced below; there relu's arccos form can see a
    # correlation an ulp above 1 (sqrt of a tiny negative), which is not an error.
    with np.errstate(invalid="ignore"):
        rec = recursion(spec, x[:, None, :], x[None, :, :], law, method)
    diag = recursion(spec, x, None, law, method)
    idx = np.arange(x.shape[0])

    def fixed(pair, single):  # the diagonal from the one-dimensional forms
        out = np.array(pair, dtype=np.float64, copy=True)
        out[idx, idx] = single
        return out

    layers = spec.layers()
    ks = [fixed(a, b) for a, b in zip(rec.k, diag.k)]
    theta = ks[0].copy()
    theta_sp = np.zeros_like(theta)
    for m, lv in enumerate(layers[1:]):
        s = fixed(rec.s[m], diag.s[m])
        edot = fixed(rec.edot[m], diag.edot[m])
        theta = ks[m + 1] + lv.sigma_w2 * edot * theta
        theta_sp = s + lv.sigma_w2 * edot * theta_sp
    sym = lambda a: (a + a.T) / 2  # noqa: E731 - remove rounding asymmetry only
    return KernelResult(nngp=sym(ks[-1]), ntk=sym(theta), ntk_sp_over_width=sym(theta_sp),
                        nngp_layers=np.stack([sym(a) for a in ks]), law=law)


def ntk_from_gradients(spec: NetworkSpec, x, law: str = "exact",
                       method: str = "auto") -> np.ndarray:
    """``lim Theta_SP(x, x) / N`` of a sine network from its expected squared gradients, per input:
    ``sum_{m=1}^{L} (P_{m+1} - P_m / sigma_m^2)`` (module docstring), ``P_m`` from
    :func:`theory.predict.predict`.

    Raises:
        ValueError: for an activation other than sine (the identity needs ``f'^2 = 1 - f^2``).
    """
    from initaudit.theory.predict import predict

    if spec.activation != "sin":
        raise ValueError(f"the gradient identity holds for sine networks (f'^2 = 1 - f^2); got "
                         f"activation {spec.activation!r}")
    x = _check_inputs(spec, x)
    grads = predict(spec, x, law, method)["grad_norm2"]  # (P, L): P_1 .. P_L
    ones = np.ones((grads.shape[0], 1))
    nxt = np.concatenate([grads[:, 1:], ones], axis=1)  # P_2 .. P_{L+1}
    sigma2 = np.array([lv.sigma_w2 for lv in spec.layers()[1:]])  # reading h_1 .. h_L
    if np.any(sigma2 <= 0):
        raise ValueError("the gradient identity divides by each layer's weight variance; a layer "
                         "with sigma_w^2 = 0 has none (use kernels() instead)")
    return np.sum(nxt - grads / sigma2[None, :], axis=1)


def ntk_sp_pairs(spec: NetworkSpec, xa, xb, law: str = "exact", method: str = "auto") -> np.ndarray:
    """``lim Theta_SP(xa, xb) / N`` for broadcastable pairs of inputs (shape (..., d) each), by the
    recursion of the module docstring (``Theta_1 = 0``, ``Theta_{m+1} = S_m + sigma_m^2 Edot_m
    Theta_m``) with the pair forms throughout, so it is smooth in both arguments (what
    :func:`laplacian_ntk` differentiates)."""
    xa, xb = np.asarray(xa, dtype=np.float64), np.asarray(xb, dtype=np.float64)
    for name, arr in (("xa", xa), ("xb", xb)):
        if arr.ndim < 1 or arr.shape[-1] != spec.d_in or not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} must hold finite inputs of dimension {spec.d_in} on its last "
                             f"axis, got shape {arr.shape}")
    rec = recursion(spec, xa, xb, law, method)
    theta = np.zeros(np.broadcast_shapes(np.shape(rec.s[0])))
    for m, lv in enumerate(spec.layers()[1:]):
        theta = rec.s[m] + lv.sigma_w2 * rec.edot[m] * theta
    return theta


#: Step of :func:`laplacian_ntk` in units of the first layer's length scale ``1/sigma_w0``.
LAPLACIAN_STEP = 0.05


def laplacian_ntk(spec: NetworkSpec, x, law: str = "exact", step: float | None = None,
                  method: str = "auto") -> tuple[np.ndarray, float]:
    r"""The kernel of a residual loss in ``Lap u``: ``Lap_x Lap_x' lim Theta_SP(x, x') / N``.

    For a loss ``mean (Lap u(x) - f(x))^2`` gradient flow moves the residual by this kernel (the
    NTK of the map ``theta -> Lap u_theta``; the source's open question 3 for the Poisson
    experiment). Since ``Lap`` acts on the inputs and the limit kernel is a smooth function of
    both, it is taken by central differences of :func:`ntk_sp_pairs`: the 5-point Laplacian
    (``2 d + 1`` points) in each argument, ``(2 d + 1)^2`` pair evaluations, at steps ``h`` and
    ``h / 2``, then Richardson's extrapolation ``(4 A(h/2) - A(h)) / 3`` (truncation
    ``O(h^4)``). ``h`` defaults to :data:`LAPLACIAN_STEP` over ``sigma_w0 = sqrt(sigma_w0^2)``,
    the first layer's frequency scale (``h = 0.004`` for omega_0 = 30, d = 2). Rounding: the
    stencil weights reach ``(2 d / h^2)^2`` and multiply values of size ``|Theta|`` known to
    ``eps``, against a result of size ``|Theta| sigma_w0^4``: about ``eps (2d)^2 / 0.05^4`` ~ 1e-9
    relative.

    Returns:
        ``(kernel, error)``: the (P, P) kernel and the relative Frobenius size of the Richardson
        correction, an estimate of the truncation error of the unextrapolated difference.
    """
    x = _check_inputs(spec, x)
    if step is None:
        step = LAPLACIAN_STEP / math.sqrt(max(spec.layers()[0].sigma_w2, 1e-300))
    if not (np.isfinite(step) and step > 0):
        raise ValueError(f"the step must be a positive finite number, got {step!r}")
    d = x.shape[1]

    def at(h):
        offsets = [np.zeros(d)] + [s * h * np.eye(d)[i] for i in range(d) for s in (1.0, -1.0)]
        weights = [-2.0 * d / h ** 2] + [1.0 / h ** 2] * (2 * d)
        out = np.zeros((x.shape[0], x.shape[0]))
        for oa, wa in zip(offsets, weights):
            for ob, wb in zip(offsets, weights):
                out += wa * wb * ntk_sp_pairs(spec, (x + oa)[:, None, :], (x + ob)[None, :, :],
                                              law, method)
        return out

    coarse, fine = at(step), at(step / 2.0)
    kernel = (4.0 * fine - coarse) / 3.0
    kernel = (kernel + kernel.T) / 2.0
    return kernel, float(np.linalg.norm(kernel - fine) / np.linalg.norm(kernel))
