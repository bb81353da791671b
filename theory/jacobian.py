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


def _layer_laws(spec, xp, law: str):
    """``(xp, f', q_l per layer, the spec's layers, law == "exact")`` at one checked input."""
    from initaudit.theory.gaussian import activation_numpy
    from initaudit.theory.laws import check_law
    from initaudit.theory.predict import predict

    check_law(law)
    xp = np.asarray(xp, dtype=np.float64).reshape(-1)
    if xp.shape != (spec.d_in,) or not np.all(np.isfinite(xp)):
        raise ValueError(f"the input must be {spec.d_in} finite numbers, got {xp}")
    _, fprime = activation_numpy(spec.activation)
    q = predict(spec, xp[None, :], law)["q"][0]
    return xp, fprime, q, spec.layers(), law == "exact"


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
    from initaudit.theory.laws import first_layer_half_widths, uniform_sum_quadrature

    order = int_at_least(order, 1, "order")
    xp, fprime, q, layers, exact = _layer_laws(spec, xp, law)
    powers = 2 * np.arange(1, order + 1)
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


# ---------------------------------------------------------------------------------------------
# The density: the same free product, solved pointwise instead of as a power series

#: Equal-mass bins (uniform inside) each layer's law of ``f'(z_l)^2`` is reduced to.
DENSITY_BINS = 256
#: Relative imaginary part ``delta`` of the evaluation points ``x (1 + i delta)``: the density
#: returned is the law smoothed by a Cauchy kernel of relative half-width ``delta``.
DENSITY_DELTA = 1e-4
_QUANTILES = 1024   # equal-mass nodes of a Gaussian part
_MAX_STEPS = 40     # Newton solves (with halved steps) allowed to reach one point
_MIDPOINTS = 64     # equispaced midpoints of each uniform draw (hidden biases)
_FIRST_NODES = 1 << 18  # nodes of the first layer's uniform draws together (few, wide ranges)


def _midpoints(half_width: float, n: int) -> np.ndarray:
    return half_width * (2.0 * (np.arange(n) + 0.5) / n - 1.0)


def _equal_mass_bins(values: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``n + 1`` edges of equal-mass bins of the equally weighted sample ``values`` (its
    quantiles at k / n, the extremes included): the law as a piecewise-uniform density, which
    keeps the free product's density smooth at every scale (atoms would put poles at 1/t)."""
    v = np.sort(values)
    mid = (np.arange(v.size) + 0.5) / v.size
    edges = np.interp(np.linspace(0.0, 1.0, n + 1), mid, v)
    edges[0], edges[-1] = v[0], v[-1]
    return edges, np.full(n, 1.0 / n)


def derivative_laws(spec, xp, law: str = "exact", bins: int = DENSITY_BINS) -> list[tuple]:
    """The law of ``f'(z_l)^2`` for the layers l = 1..L-1 that enter J, at one input, each as
    ``(edges, masses)`` of ``bins`` equal-mass bins with a uniform density inside
    (:func:`_equal_mass_bins`) of a fine discretisation of ``z_l``: equal-mass Gaussian quantiles
    and equispaced midpoints of each uniform draw, under the laws of :func:`derivative_moments`."""
    from scipy.special import ndtri

    from initaudit.theory.laws import first_layer_half_widths

    bins = int_at_least(bins, 2, "bins")
    xp, fprime, q, layers, exact = _layer_laws(spec, xp, law)
    gauss = ndtri((np.arange(_QUANTILES) + 0.5) / _QUANTILES)
    out = []
    for l in range(spec.depth - 1):
        sb2 = layers[l].sigma_b2
        if l == 0 and exact and spec.first_law == "uniform":
            widths = first_layer_half_widths(xp, layers[0].sigma_w2, sb2)
            per_draw = int(round(_FIRST_NODES ** (1.0 / max(len(widths), 1))))
            draws = [_midpoints(h, per_draw) for h in widths]
            z = np.zeros(1)
            for d in draws:
                z = (z[:, None] + d[None, :]).ravel()
        else:
            uniform_bias = exact and spec.convention == "uniform" and sb2 > 0 and l > 0
            var = q[l] - sb2 if uniform_bias else q[l]
            z = math.sqrt(max(var, 0.0)) * gauss
            if uniform_bias:
                z = (z[:, None] + _midpoints(math.sqrt(3.0 * sb2), _MIDPOINTS)[None, :]).ravel()
        out.append(_equal_mass_bins(fprime(z) ** 2, bins))
    return out


def _bins_psi(u, lo, hi, p):
    """``psi_k(u_k) = E[u t / (1 - u t)]`` and its derivative for piecewise-uniform laws, one per
    row (bins ``[lo, hi]`` of mass ``p``, shape (K, M); ``u`` shape (K,)): per bin
    ``-1 - log(s_b / s_a) / (u h)``, ``s = 1 - u t``, ``h = hi - lo`` (the principal logarithm is
    continuous on the bin for ``Im u != 0``: ``s`` stays in one half-plane); a bin with
    ``|u h / (1 - u lo)| < 1e-3`` by its midpoint (error of that order squared)."""
    u = u[:, None]
    h = hi - lo
    mid = 0.5 * (lo + hi)
    s_a = 1.0 - u * lo
    r = -u * h / s_a  # s_b / s_a - 1
    narrow = np.abs(r) < 1e-3
    s_m = 1.0 - u * mid
    with np.errstate(divide="ignore", invalid="ignore"):
        log_ratio = np.log1p(np.where(narrow, 0.0, r))
        uh = np.where(narrow, 1.0, u * h)
        s_b = s_a * (1.0 + r)
        psi = np.where(narrow, u * mid / s_m, -1.0 - log_ratio / uh)
        dpsi = np.where(narrow, mid / s_m ** 2, (1.0 / s_b - 1.0 / s_a + log_ratio) / (u * uh))
    return np.sum(p * psi, axis=1), np.sum(p * dpsi, axis=1)


def _solve_point(closed, binned, x: complex, w, u):
    """Newton on the joint system in ``(w, u_1 .. u_K)`` from ``(w, u)``: ``psi_k(u_k) = w`` for
    each binned law and ``P = x w/(1+w) prod_k S_k = 1`` (the total S-transform's
    ``chi(w) = 1/x``). The Jacobian is an arrow (each ``u_k`` meets only its own equation and the
    last), so a step costs one pass over the bins. Solving for ``u_k`` given ``w`` instead (nested
    Newton) fails where an intermediate ``w`` leaves the image of ``psi_k`` (a single binned law
    everywhere in its support). None if Newton does not converge or lands on the conjugate root."""
    n_iid, scale = closed
    lo, hi, p = binned
    k = u.size
    for _ in range(80):
        # S_k = u_k (1 + w) / w for a binned law, 1 / (sigma2 (1 + w)) for i.i.d. weights,
        # 1 / sigma2 for orthogonal ones (``scale`` = prod 1 / sigma2); P as a sum of logarithms
        # (deep products of O(1) factors under- or overflow), exp removing their branch choice
        log_w, log_1w = np.log(w), np.log(1.0 + w)
        prod = np.exp(np.log(x) + log_w - log_1w + math.log(scale) + np.sum(np.log(u))
                      + k * (log_1w - log_w) - n_iid * log_1w)
        f = prod - 1.0
        dw = prod * (1.0 / w - 1.0 / (1.0 + w) - n_iid / (1.0 + w) + k * (1.0 / (1.0 + w) - 1.0 / w))
        if k:
            psi, dpsi = _bins_psi(u, lo, hi, p)
            r = psi - w
            du = prod / u  # dP / du_k
        else:
            r = dpsi = du = np.zeros(0)
        scale_r = max(1.0, abs(w))
        if abs(f) < 1e-10 and np.all(np.abs(r) <= 1e-12 * scale_r):
            g = (1.0 + w) / x
            # the physical root has Im G <= 0 above the real axis; the conjugate root is refused
            # (the caller halves the step). Near x -> 0, w -> -1 and 1 + w is known to ~1e-13.
            return (w, u) if g.imag <= 1e-9 * abs(g) else None
        # arrow elimination: dpsi_k du_k - dw_step = -r_k, dw dw_step + sum du_k du_k = -f
        step_w = (-f + np.sum(du * r / dpsi)) / (dw + np.sum(du / dpsi))
        step_u = (step_w - r) / dpsi if k else np.zeros(0)
        # damped: no unknown moves by more than half its size in one step
        ratio = max(abs(step_w) / (0.5 * abs(w)),
                    float(np.max(np.abs(step_u) / (0.5 * np.abs(u)))) if k else 0.0)
        if ratio > 1.0:
            step_w, step_u = step_w / ratio, step_u / ratio
        w, u = w + step_w, u + step_u
        if not (np.isfinite(w) and np.all(np.isfinite(u))):
            return None
    return None


def free_product_density(factors, s2, delta: float = DENSITY_DELTA) -> np.ndarray:
    """Density of the free multiplicative convolution of the factors' laws at the points ``s2``.

    Each factor is ``("iid", sigma2)`` (Marchenko-Pastur of ratio one and scale sigma2),
    ``("orthogonal", sigma2)`` (the point mass at sigma2) or ``("bins", (edges, masses))`` (a
    piecewise-uniform law on ``t >= 0``).
    With ``psi(z) = E[z t / (1 - z t)]`` and ``w = psi(1/x)`` the total S-transform gives
    ``x w / (1 + w) prod_k S_k(w) = 1``; for a binned law ``S_k(w) = u_k (1 + w) / w`` with
    ``psi_k(u_k) = w`` (one Newton iteration on the joint system, :func:`_solve_point`). Solved at ``x = s2 (1 + i delta)`` by continuation from
    above the support (where ``w`` is small and real) down the points in decreasing order,
    halving the step where Newton fails. Density ``-Im G / pi``, ``G = (1 + w) / x``: the law
    smoothed by a Cauchy kernel of relative half-width ``delta``.

    Returns:
        The density at each point of ``s2`` (NaN where the continuation failed).
    """
    s2 = np.asarray(s2, dtype=np.float64)
    if s2.ndim != 1 or not np.all(np.isfinite(s2)) or np.any(s2 <= 0):
        raise ValueError("the points s2 must be a 1-D array of positive finite numbers")
    if not (0 < delta < 0.1):
        raise ValueError(f"delta must lie in (0, 0.1), got {delta}")
    norms, means = [], []
    n_iid, scale, binned = 0, 1.0, []
    for kind, data in factors:
        choice(kind, ("iid", "orthogonal", "bins"), "factor kind")
        if kind == "bins":
            edges, p = (np.asarray(a, dtype=np.float64) for a in data)
            if (edges.ndim != 1 or edges.shape != (p.size + 1,) or not np.all(np.isfinite(edges))
                    or np.any(np.diff(edges) < 0) or edges[0] < 0):
                raise ValueError("a binned law needs finite increasing edges >= 0, one more than "
                                 "masses")
            if not np.all(np.isfinite(p)) or np.any(p < 0) or p.sum() <= 0:
                raise ValueError("a binned law needs finite masses >= 0 with a positive sum")
            p = p / p.sum()
            binned.append((edges[:-1], edges[1:], p))
            norms.append(float(edges[-1]))
            means.append(float(np.dot(0.5 * (edges[:-1] + edges[1:]), p)))
        else:
            if not (isinstance(data, (int, float, np.floating)) and math.isfinite(data) and data > 0):
                raise ValueError(f"the {kind} factor's variance must be a positive finite number, "
                                 f"got {data!r}")
            n_iid += kind == "iid"
            scale /= float(data)
            norms.append((4.0 if kind == "iid" else 1.0) * float(data))
            means.append(float(data))
    if len({b[0].size for b in binned}) > 1:
        raise ValueError("the binned laws must have the same number of bins")
    closed = (n_iid, scale)
    stacked = (tuple(np.array([b[i] for b in binned]) for i in range(3)) if binned
               else tuple(np.zeros((0, 1)) for _ in range(3)))
    bin_means = np.array([m for (kind, _), m in zip(factors, means) if kind == "bins"])
    # far above the support (||prod|| <= prod ||factor||), where w = m_1 / x to O(1/x^2)
    top = 1e4 * math.prod(norms)
    order = np.argsort(-s2)
    # above the support w is real and smooth in x: long steps (halved where Newton fails)
    path = np.geomspace(top, s2[order[0]],
                        max(2, int(np.ceil(np.log(top / s2[order[0]]) / np.log(8.0))) + 1))
    targets = list(path[:-1]) + list(s2[order])
    m1 = math.prod(means)
    x0 = complex(targets[0]) * (1 + 1j * delta)
    w = m1 / x0
    us = (w / bin_means).astype(complex)
    out = np.full(s2.shape, np.nan)
    cur, results = targets[0], {}
    for target in targets:
        stack, tries = [target], 0
        while stack and tries < _MAX_STEPS:
            tries += 1
            sol = _solve_point(closed, stacked, complex(stack[-1]) * (1 + 1j * delta), w, us)
            if sol is None:
                stack.append(math.sqrt(cur * stack[-1]))  # halve the step (in log x)
                continue
            w, us = sol
            cur = stack.pop()
        if stack:  # the continuation cannot go on: every smaller point stays NaN
            break
        results[target] = (w, complex(target) * (1 + 1j * delta))
    for i in order:
        if s2[i] in results:
            w, x = results[s2[i]]
            out[i] = -((1.0 + w) / x).imag / math.pi
    return out


def jacobian_density(spec, xp, s2, law: str = "exact", weights: str = "iid",
                     delta: float = DENSITY_DELTA, bins: int = DENSITY_BINS) -> np.ndarray:
    """Density of the squared singular values of ``J = dz_L/dz_1`` at the points ``s2``, one input:
    the free product of the layers' ``W^T W`` and ``diag(f'(z_l))^2`` laws
    (:func:`derivative_laws`, :func:`free_product_density`)."""
    choice(weights, WEIGHT_FAMILIES, "hidden weight family")
    if spec.depth < 2:
        raise ValueError("J = dz_L/dz_1 needs depth L >= 2")
    layers = spec.layers()
    factors = []
    for l, d in enumerate(derivative_laws(spec, xp, law, bins)):
        factors += [(weights, layers[l + 1].sigma_w2), ("bins", d)]
    return free_product_density(factors, s2, delta)


__all__ = ["DENSITY_BINS", "DENSITY_DELTA", "WEIGHT_FAMILIES", "derivative_laws",
           "derivative_moments", "free_product_density", "free_product_moments",
           "jacobian_density", "jacobian_moments", "moments_from_s", "s_transform",
           "weight_moments"]
