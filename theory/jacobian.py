r"""Moments of the end-to-end Jacobian's squared singular values by free probability.

The hidden input-output Jacobian of a network is ``J = dz_L/dz_1 = D_{L-1} ... D_1`` with
``D_l = W_l diag(f'(z_l))`` (``W_l`` the N x N weights that read ``h_l``). At large width the
factors are asymptotically free (Pennington, Schoenholz and Ganguli 2017, 2018), so the
spectrum of ``J J^T`` is the free multiplicative convolution of the spectra of ``W_l^T W_l`` and
of ``diag(f'(z_l))^2`` over the layers, and their S-transforms multiply:

    S_{J J^T}(w) = prod_l S_{W_l^T W_l}(w) S_{D_l^2}(w).

For a law with moments ``m_k``, ``psi(z) = sum_k m_k z^k``, ``chi = psi^{-1}`` and
``S(w) = chi(w) (1 + w) / w``. The factors:

* i.i.d. square weights of variance ``sigma^2 / N`` (uniform or normal: the limit is the same
  Marchenko-Pastur law of ratio one): moments ``sigma^{2k} C_k`` (Catalan numbers),
  ``S(w) = 1 / (sigma^2 (1 + w))``;
* orthogonal weights scaled by ``sigma``: ``W^T W = sigma^2 I``, ``S(w) = 1 / sigma^2``;
* ``diag(f'(z_l))^2``: the moments ``E f'(z_l)^{2k}`` under the law of ``z_l`` (the laws drawn, or
  the Gaussian law; :func:`derivative_moments`).

:func:`free_product_moments` composes truncated power series (reversion, products) to give the
first K moments of the product. The first two give the mean ``m_1 = prod_l chi_l`` and the
normalised variance ``m_2 / m_1^2 - 1 = sum_l (v_W + v_{D_l})``, with ``v_W = 1`` for i.i.d. and
0 for orthogonal weights and ``v_{D_l} = E f'^4 / (E f'^2)^2 - 1``: i.i.d. weights add one per layer
whatever the initialisation, which is why unit gain in the mean is not dynamical isometry.
"""

from __future__ import annotations

import math

import numpy as np

from initaudit.theory.checks import choice, int_at_least

#: Hidden weight families whose Gram spectrum is known in closed form.
WEIGHT_FAMILIES = ("iid", "orthogonal")

_GH = np.polynomial.hermite_e.hermegauss(160)
#: Gauss-Legendre nodes per uniform draw (first layer or bias) for activations other than sine.
UNIFORM_ORDER = 96


def _mul(a: np.ndarray, b: np.ndarray, order: int) -> np.ndarray:
    """Product of two power series (coefficients from w^0), truncated after w^order."""
    return np.convolve(a, b)[: order + 1]


def _compose(outer: np.ndarray, inner: np.ndarray, order: int) -> np.ndarray:
    """``outer(inner(w))`` truncated after w^order (``inner`` has no constant term)."""
    out = np.zeros(order + 1)
    power = np.zeros(order + 1)
    power[0] = 1.0
    for c in outer:
        out[: len(power)] += c * power
        power = _mul(power, inner, order)
    return out


def _revert(psi: np.ndarray, order: int) -> np.ndarray:
    """The compositional inverse of ``psi(z) = psi_1 z + psi_2 z^2 + ...`` (``psi[0] = 0``,
    ``psi_1 != 0``), coefficient by coefficient: the w^n coefficient of ``psi(chi(w)) - w``
    is linear in the unknown ``chi_n`` with slope ``psi_1``."""
    if psi[0] != 0 or psi[1] == 0:
        raise ValueError("the series must start at z with a non-zero coefficient")
    chi = np.zeros(order + 1)
    chi[1] = 1.0 / psi[1]
    for n in range(2, order + 1):
        residual = _compose(psi, chi, n)[n]
        chi[n] = -residual / psi[1]
    return chi


def s_transform(moments, order: int) -> np.ndarray:
    """The S-transform ``S(w)`` of a law with moments ``m_1 .. m_K`` as a power series in w
    (coefficients of w^0 .. w^(order - 1), ``order <= K``)."""
    m = np.asarray(moments, dtype=np.float64)
    if m.ndim != 1 or len(m) < order or not np.all(np.isfinite(m)) or m[0] <= 0:
        raise ValueError(f"need {order} finite moments with m_1 > 0, got {moments}")
    psi = np.concatenate([[0.0], m[:order]])
    chi = _revert(psi, order)
    # S = chi (1 + w) / w: shift chi down by one power, times (1 + w)
    return _mul(chi[1:], np.array([1.0, 1.0]), order - 1)


def moments_from_s(s_series: np.ndarray, order: int) -> np.ndarray:
    """The moments ``m_1 .. m_order`` of the law whose S-transform is ``s_series``."""
    s = np.asarray(s_series, dtype=np.float64)[:order]
    # chi(w) = w S(w) / (1 + w); 1 / (1 + w) = sum (-w)^n
    geometric = (-1.0) ** np.arange(order)
    chi = np.concatenate([[0.0], _mul(s, geometric, order - 1)])
    return _revert(chi, order)[1:]


def free_product_moments(factors, order: int = 4) -> np.ndarray:
    """Moments ``m_1 .. m_order`` of the free multiplicative convolution of the laws whose
    moments are given (each a sequence ``m_1 .. m_K`` with ``K >= order``)."""
    order = int_at_least(order, 1, "order")
    total = np.zeros(order)
    total[0] = 1.0
    for m in factors:
        total = _mul(total, s_transform(m, order), order - 1)
    return moments_from_s(total, order)


def weight_moments(family: str, sigma2: float, order: int) -> np.ndarray:
    """Moments of ``W^T W`` for square N x N weights of variance ``sigma2 / N`` at large N."""
    choice(family, WEIGHT_FAMILIES, "hidden weight family")
    k = np.arange(1, order + 1)
    if family == "orthogonal":
        return sigma2 ** k
    catalan = np.array([math.comb(2 * n, n) / (n + 1) for n in k], dtype=np.float64)
    return sigma2 ** k * catalan


def _cos_power_weights(order: int) -> list[np.ndarray]:
    """``cos^{2k} z = 2^{-2k} [C(2k, k) + 2 sum_{j=1}^{k} C(2k, k - j) cos(2 j z)]``: for each
    k = 1..order the coefficients of ``cos(2 j z)``, j = 0..k."""
    out = []
    for k in range(1, order + 1):
        c = np.array([math.comb(2 * k, k)] + [2 * math.comb(2 * k, k - j)
                                              for j in range(1, k + 1)], dtype=np.float64)
        out.append(c / 4.0 ** k)
    return out


def derivative_moments(spec, xp, order: int, law: str = "exact") -> np.ndarray:
    """``E f'(z_l)^{2k}``, k = 1..order, for the layers l = 1..L-1 that enter J, at one input:
    shape (L - 1, order).

    Sine: closed forms from ``cos^{2k}`` as a sum of ``cos(2 j z)`` and the characteristic
    function of ``z_l`` (a product of sinc terms for a uniform first layer; ``e^{-2 j^2 s}`` times
    ``E cos 2jB`` for a hidden ``G + B``; ``e^{-2 j^2 q}`` for a Gaussian ``z``), exact for any
    variance. Other activations: Gauss-Hermite (times Gauss-Legendre for a uniform bias or first
    layer), for the moderate variances they are used at. Layer 1 follows the first layer's law,
    hidden layers ``G + B`` with ``G`` Gaussian of the variance :func:`theory.predict.predict`
    gives and ``B`` the bias (its law drawn under the exact law; Gaussian under the Gaussian law).
    """
    from initaudit.theory.gaussian import activation_numpy
    from initaudit.theory.laws import check_law, first_layer_half_widths, uniform_sum_quadrature
    from initaudit.theory.predict import predict

    check_law(law)
    order = int_at_least(order, 1, "order")
    xp = np.asarray(xp, dtype=np.float64).reshape(-1)
    if xp.shape != (spec.d_in,) or not np.all(np.isfinite(xp)):
        raise ValueError(f"the input must be {spec.d_in} finite numbers, got {xp}")
    _, fprime = activation_numpy(spec.activation)
    q = predict(spec, xp[None, :], law)["q"][0]
    layers = spec.layers()
    powers = 2 * np.arange(1, order + 1)
    exact = law == "exact"
    first_uniform = exact and spec.first_law == "uniform"
    weights_cos = _cos_power_weights(order)
    rows = []
    for l in range(spec.depth - 1):
        sb2 = layers[l].sigma_b2
        uniform_bias = exact and spec.convention == "uniform" and sb2 > 0 and l > 0
        if l == 0 and first_uniform:  # U(+-h_k) draws: the first layer's own law
            bounds = first_layer_half_widths(xp, layers[0].sigma_w2, sb2)
        else:
            bounds = [math.sqrt(3.0 * sb2)] if uniform_bias else []
        gauss_var = 0.0 if (l == 0 and first_uniform) else (q[l] - sb2 if uniform_bias
                                                            else q[l])
        if spec.activation == "sin":
            def cf(t):  # E cos(t z): Gaussian part times the uniform draws' sinc terms
                val = math.exp(-0.5 * t * t * gauss_var)
                for b in bounds:
                    val *= float(np.sinc(t * b / np.pi))
                return val

            rows.append(np.array([np.dot(c, [cf(2.0 * j) for j in range(len(c))])
                                  for c in weights_cos]))
            continue
        x, w = _GH[0], _GH[1] / math.sqrt(2.0 * math.pi)
        zu, wu = uniform_sum_quadrature(bounds, UNIFORM_ORDER)
        z = math.sqrt(max(gauss_var, 0.0)) * x[:, None] + zu[None, :]
        d = fprime(z)[..., None] ** powers
        rows.append(np.einsum("i,j,ijk->k", w, wu, d))
    return np.array(rows).reshape(spec.depth - 1, order)


def jacobian_moments(spec, xp, order: int = 4, law: str = "exact",
                     weights: str = "iid") -> dict[str, np.ndarray | float]:
    """Moments of the squared singular values of ``J = dz_L/dz_1`` at one input.

    Args:
        spec: the network (square hidden layers of width N).
        xp: one input, shape (d_in,).
        order: how many moments (``m_1 .. m_order``).
        law: "exact" or "gaussian": the law of the pre-activations (:mod:`theory.laws`).
        weights: "iid" (uniform or normal entries) or "orthogonal" hidden weights.

    Returns:
        ``{"moments": m_1 .. m_order, "normalized_variance": m_2 / m_1^2 - 1 (NaN for order 1),
        "per_layer_variance": v_W + v_{D_l} per layer}``.
    """
    order = int_at_least(order, 1, "order")
    if spec.depth < 2:
        raise ValueError("J = dz_L/dz_1 needs depth L >= 2")
    d = derivative_moments(spec, xp, order, law)
    layers = spec.layers()
    factors = []
    per_layer = []
    for l in range(spec.depth - 1):
        wm = weight_moments(weights, layers[l + 1].sigma_w2, order)
        factors += [wm, d[l]]
        v_w = 1.0 if weights == "iid" else 0.0
        per_layer.append(v_w + (d[l][1] / d[l][0] ** 2 - 1.0 if order >= 2 else np.nan))
    m = free_product_moments(factors, order)
    nv = m[1] / m[0] ** 2 - 1.0 if order >= 2 else float("nan")
    return {"moments": m, "normalized_variance": float(nv),
            "per_layer_variance": np.asarray(per_layer)}


__all__ = ["WEIGHT_FAMILIES", "derivative_moments", "free_product_moments", "jacobian_moments",
           "moments_from_s", "s_transform", "weight_moments"]
