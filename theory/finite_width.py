r"""Leading 1/N finite-width bias of the layer statistics of a random network.

The Monte-Carlo checks compare a finite network with the infinite-width theory within
``5 SE + C_l / N``, where ``C_l / N`` is the finite-width bias computed here for each spec, input
and layer from the leading order of the 1/N expansion (the "theory of the variance of the
sample variance"), never fitted to data:

Let ``s_l`` be the conditional variance of the Gaussian part of ``z_l`` given the layer below,
``s_{l+1} = sigma_w^2 |h_l|^2 / N``, a random variable with mean ``s_l + beta_l`` and variance
``v_l``. Given ``s_l`` the N units of layer l are independent, so with ``F(s) = E f(z)^2``,
``G(s) = E f'(z)^2``, ``H(s) = E f(z)^4`` (``z = Gaussian(s) + bias``):

    beta_{l+1} = sigma_w^2 [F'(s_l) beta_l + F''(s_l) v_l / 2]            (Jensen, 2nd order)
    v_{l+1}    = sigma_w^4 [H(s_l) - F(s_l)^2] / N + (sigma_w^2 F'(s_l))^2 v_l
    bias(q_l)  = beta_l,     bias(chi_l) = sigma_w^2 [G'(s_l) beta_l + G''(s_l) v_l / 2]

(``beta_1 = v_1 = 0``: for a fixed input, ``q_1`` has no finite-width correction). Uniform weights
add the fourth cumulant of ``W h``, ``kappa_4 = -(6/5) sigma_w^4 E f^4 / N``, which shifts
``E g(z)`` by ``kappa_4 E g''''/24 = kappa_4 (d^2/ds^2) E g / 6`` (heat equation). For the first
layer, whose law is not Gaussian, ``Var f(z_1)^2 = E f^4 - (E f^2)^2`` is computed exactly under
the law drawn (characteristic functions for sine, cumulants of uniforms for relu, Gauss-Legendre
quadrature otherwise). For relu, ``F`` and ``G`` are linear/constant, so the bias of q and chi is
zero at every order.

The squared gradient norm ``|dy/dz_l|^2`` is a product of L - l + 1 per-layer factors. Its
relative bias gets (i) the chi biases above, (ii) the covariance of the per-layer gains through
the shared ``s_m`` (``Cov(s_m, s_k) = v_m prod_{j=m}^{k-1} sigma_w^2 F'(s_j)``) and (iii) the
re-use of ``W_m`` in the forward and the backward pass: projecting ``W_m`` on ``h_m`` gives the two
terms ``-sigma_w^2 E[f'^2 f^2]/(N F)`` and ``+E[f'^2 f^2] E[u^2 f'(u + b)^2] / (N F^2 G_{m+1})``
(``u = W_m h_m``), which cancel exactly for relu. A further term of the same order (the
coherent part of ``u . delta_{m+1}``) is not computed; the bound therefore takes the *absolute*
values of all computed terms and doubles them.

For q and chi, ``C_l`` is twice the absolute leading-order bias (the factor 2 covers the next
order, which is smaller by O(L/N) <= 1/16 at N >= 512, L <= 32).

The test ``tests/test_propagate.py::test_finite_width_bias_matches_derivation`` (slow) checks
these expressions against a Monte Carlo of 1,024 networks at N = 32, where the bias is many
standard errors large.
"""

from __future__ import annotations

import math

import numpy as np

#: The quantities whose bias is bounded (those of :mod:`initaudit.analysis.propagate`).
QUANTITIES = ("q", "chi", "grad_norm2")


def _fns(act):
    if act == "sin":
        return np.sin, np.cos
    if act == "relu":
        return (lambda z: np.maximum(z, 0.0)), (lambda z: (z > 0).astype(float))
    if act == "tanh":
        return np.tanh, (lambda z: 1.0 - np.tanh(z) ** 2)
    raise ValueError(act)


_GH = np.polynomial.hermite_e.hermegauss(120)
_GL = np.polynomial.legendre.leggauss(64)


def _bias_nodes(sb2: float, uniform: bool):
    if sb2 == 0.0:
        return np.zeros(1), np.ones(1)
    if uniform:
        return math.sqrt(3.0 * sb2) * _GL[0], _GL[1] / 2.0
    return math.sqrt(sb2) * _GH[0], _GH[1] / math.sqrt(2.0 * math.pi)


def _expect(g, s: float, sb2: float, uniform: bool) -> float:
    """E g(G + B), G ~ N(0, s), B the bias law (Gauss-Hermite x Gauss-Legendre)."""
    x, w = _GH[0], _GH[1] / math.sqrt(2.0 * math.pi)
    b, v = _bias_nodes(sb2, uniform)
    z = math.sqrt(max(s, 0.0)) * x[:, None] + b[None, :]
    return float(np.sum(w[:, None] * v[None, :] * g(z)))


def _moments(act: str, s: float, sb2: float, uniform: bool) -> dict[str, float]:
    """F, F', F'', G, G', G'', H, K = E f'^2 f^2, and E[u^2 f'(u + b)^2] at Gaussian variance s."""
    f, fp = _fns(act)
    h = 1e-3 * max(s, 1e-3)
    fns = {"F": lambda z: f(z) ** 2, "G": lambda z: fp(z) ** 2}
    out = {}
    for k, g in fns.items():
        lo, mid, hi = (_expect(g, t, sb2, uniform) for t in (s - h, s, s + h))
        out[k], out[k + "1"], out[k + "2"] = mid, (hi - lo) / (2 * h), (hi - 2 * mid + lo) / h**2
    if act == "relu":
        # For any symmetric law E relu(z)^2 = E z^2 / 2 = (s + sigma_b^2) / 2 and
        # E relu'(z)^2 = P(z > 0) = 1/2: exact derivatives (finite differences of the kink are not).
        out.update(F1=0.5, F2=0.0, G1=0.0, G2=0.0)
    out["H"] = _expect(lambda z: f(z) ** 4, s, sb2, uniform)
    out["K"] = _expect(lambda z: fp(z) ** 2 * f(z) ** 2, s, sb2, uniform)
    x, w = _GH[0], _GH[1] / math.sqrt(2.0 * math.pi)
    b, v = _bias_nodes(sb2, uniform)
    u = math.sqrt(max(s, 0.0)) * x[:, None]
    out["U"] = float(np.sum(w[:, None] * v[None, :] * u**2 * fp(u + b[None, :]) ** 2))
    return out


def _first_layer_moments(spec, xp) -> tuple[float, float]:
    """``E f(z_1)^2`` and ``E f(z_1)^4`` for ``z_1 = W_0 x + b_0`` under the spec's own law."""
    act, first = spec.activation, spec.first
    q1 = float(spec.q1(xp[None, :])[0])
    if spec.convention == "normal":
        return _expect(lambda z: _fns(act)[0](z) ** 2, q1, 0.0, False), \
            _expect(lambda z: _fns(act)[0](z) ** 4, q1, 0.0, False)
    a = math.sqrt(3.0 * first.sigma_w2 / spec.d_in) * np.abs(xp)  # U(+-a_k) terms
    c = math.sqrt(3.0 * first.sigma_b2)
    bounds = [float(v) for v in a] + ([c] if c > 0 else [])
    if act == "sin":  # characteristic functions: E cos(t z) = prod_k sinc(t a_k)
        cf = lambda t: float(np.prod([np.sinc(t * b / np.pi) for b in bounds]))  # noqa: E731
        return 0.5 - 0.5 * cf(2.0), 3.0 / 8.0 - 0.5 * cf(2.0) + cf(4.0) / 8.0
    if act == "relu":  # symmetric law: halves of E z^2 and E z^4 (cumulants of uniforms)
        ez4 = 3.0 * q1**2 - sum(2.0 * b**4 / 15.0 for b in bounds)
        return q1 / 2.0, ez4 / 2.0
    nodes, weights = np.polynomial.legendre.leggauss(48)
    grids = np.meshgrid(*([nodes] * len(bounds)), indexing="ij")
    wts = np.prod(np.meshgrid(*([weights / 2.0] * len(bounds)), indexing="ij"), axis=0)
    z = sum(b * g for b, g in zip(bounds, grids))
    f = _fns(act)[0]
    return float(np.sum(wts * f(z) ** 2)), float(np.sum(wts * f(z) ** 4))


def finite_width_bound(spec, x, pred, uniform_weights: bool) -> dict[str, np.ndarray]:
    """``C_l / N`` for q, chi and grad_norm2, averaged over the inputs like the measurement.

    ``pred`` is the prediction the measurement is compared with (it gives q_l and chi_l).
    """
    layers = spec.layers()
    depth, n = spec.depth, spec.width
    uniform_bias = spec.convention == "uniform"
    out = {k: np.zeros(depth) for k in QUANTITIES}
    for p in range(len(x)):
        q, chi = pred["q"][p], pred["chi"][p]
        mom = []
        for l in range(depth):
            sb2_in = layers[l].sigma_b2  # the bias of the layer producing z_{l+1}
            s = q[l] - sb2_in
            # Layer 1 is not Gaussian; its moments enter only the gradient's projection term,
            # where the Gaussian value of the same variance is used.
            mom.append(_moments(spec.activation, s, sb2_in, uniform_bias and l > 0))
        beta = np.zeros(depth)
        var = np.zeros(depth)
        kappa = np.zeros(depth)
        bchi = np.zeros(depth)
        slope = np.zeros(depth)
        for l in range(depth):
            sw2 = layers[l + 1].sigma_w2
            if l == 0:
                # First layer: exact law (no finite-width term), exact E f^2 and E f^4.
                if depth > 1:
                    ef2, ef4 = _first_layer_moments(spec, x[p])
                    var[1] = sw2**2 * (ef4 - ef2**2) / n
                    if uniform_weights:
                        kappa[1] = -1.2 * sw2**2 * ef4 / n
                continue
            m = mom[l]
            slope[l] = sw2 * m["F1"]
            bchi[l] = sw2 * (m["G1"] * beta[l] + m["G2"] * var[l] / 2 + m["G2"] * kappa[l] / 6)
            if l + 1 < depth:
                beta[l + 1] = sw2 * (m["F1"] * beta[l] + m["F2"] * var[l] / 2
                                     + m["F2"] * kappa[l] / 6)
                var[l + 1] = sw2**2 * (m["H"] - m["F"] ** 2) / n + slope[l] ** 2 * var[l]
                if uniform_weights:
                    kappa[l + 1] = -1.2 * sw2**2 * m["H"] / n
        # Gradient: |computed terms| summed, doubled (see the module docstring).
        gia = np.zeros(depth)
        for l in range(depth - 1):
            m, m_next = mom[l], mom[l + 1]
            sw2 = layers[l + 1].sigma_w2
            gia[l] = (abs(sw2 * m["K"] / m["F"])
                      + abs(m["K"] * m_next["U"] / (m["F"] ** 2 * m_next["G"]))) / n
        # |Cov| of the gains chi_a, chi_b (a < b) through the shared s: a strictly upper matrix.
        gain = np.array([layers[a + 1].sigma_w2 * mom[a]["G1"] for a in range(depth)])
        logslope = np.concatenate([[0.0], np.cumsum(np.log(np.maximum(np.abs(slope), 1e-300)))])
        cov = np.zeros((depth, depth))
        for a in range(1, depth):
            b = np.arange(a + 1, depth)
            prod = np.exp(logslope[b] - logslope[a])  # prod_{j=a}^{b-1} |slope_j|
            cov[a, b] = np.abs(gain[a] * gain[b] * var[a] * prod) / (chi[a] * chi[b])
        # Suffix sums: terms with l <= a.
        cov_suffix = np.cumsum(cov.sum(axis=1)[::-1])[::-1]
        per_layer = np.abs(bchi) / chi + gia / chi
        rel = np.cumsum(per_layer[::-1])[::-1] + cov_suffix
        out["q"] += 2 * np.abs(beta) / len(x)
        out["chi"] += 2 * np.abs(bchi) / len(x)
        out["grad_norm2"] += 2 * rel * pred["grad_norm2"][p] / len(x)
    return out


__all__ = ["QUANTITIES", "finite_width_bound"]
