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

The squared gradient norm ``|dy/dz_l|^2`` (``y = e . output`` for a unit direction e) has a
signed correction of the same order. Given the layer below, ``z_l`` has i.i.d. units (Gaussian of variance ``s_l`` plus the bias)
and nothing above layer l depends on the layers below, so ``Psi_l(s) = E[|dy/dz_l|^2 | s_l = s]``
is a function of one variable, with the infinite-width value
``Psi0_l(s) = sigma_l^2 G(s) Psi0_{l+1}(sigma_l^2 F(s))`` (``Psi0_{L+1} = 1``; ``sigma_l^2`` is
the variance scale of ``W_l: h_l -> z_{l+1}``, the readout at l = L). Write
``W_l^T delta_{l+1} = (I - P) W_l^T delta_{l+1} + h^ c`` with ``P = h^ h^T`` the projection on
``h^ = h_l / |h_l|`` and ``c = u . delta_{l+1} / |h_l|``, ``u = W_l h_l``: for Gaussian weights the
first part is independent of ``u`` and of everything above, with covariance
``sigma_l^2 |delta_{l+1}|^2 (I - P) / N``. Then, with ``K = E f^2 f'^2`` and
``S = sigma_l^2 |h_l|^2 / N`` (mean ``sigma_l^2 F``, variance ``sigma_l^4 (H - F^2) / N``,
covariance ``sigma_l^4 (K - F G) / N`` with ``sigma_l^2 (1/N) sum f'^2``), one layer adds

    N T_l = sigma_l^4 (K - F G) Psi0_{l+1}' + sigma_l^2 G sigma_l^4 (H - F^2) Psi0_{l+1}'' / 2
            + (K / F) (Omega_l / F - sigma_l^2 Psi0_{l+1})

(the sampling of the layer's units through the next layer's variance; the re-use of ``W_l`` in the
forward and the backward pass). ``Omega_l = E (u . delta_{l+1})^2`` has its own backward recursion
at leading order, the coherent part of ``u . delta`` reaching one layer further through the same
projection: ``Omega_L = sigma_L^2 F_L`` and

    Omega_l = sigma_{l+1}^2 U_{l+1} Psi0_{l+2}
              + (M_{l+1}^2 / F_{l+1}) (Omega_{l+1} / F_{l+1} - sigma_{l+1}^2 Psi0_{l+2}),

``U = E[u^2 f'(u + b)^2]``, ``M = E[u f'(u + b) f(u + b)]`` under ``u ~ N(0, s)``. (At the readout
the two projection terms cancel exactly, and they vanish wherever ``u`` and ``f'(u + b)^2`` are
uncorrelated, as for SIREN's wide preactivations.) Uniform weights add the fourth cumulant in two
places: the law of ``z_l`` (``kappa_l / 6`` times ``sigma_l^2 (G'' Psi0_{l+1} + sigma_l^2 G F''
Psi0_{l+1}')``, the heat equation as for q and chi) and the conditional second moment of a
weight given ``u`` (``-(6/5) sigma_l^4 K sigma_{l+1}^2 G'_{l+1} Psi0_{l+2}``). The corrections
chain as ``Psi1_l = chi_l Psi1_{l+1} + T_l``, and the variance left in ``s_l`` by the layers below
adds ``Psi0_l' beta_l + Psi0_l'' v_l / 2``; the relative correction of ``E |dy/dz_l|^2`` is their
sum over ``Psi0_l``. Layer 1 uses the first layer's own moments (its law is exact, ``beta_1 = v_1 =
0``). For relu with Gaussian weights every term cancels: the mean squared gradient of a He
network does not depend on the width.

For every quantity, ``C_l`` is twice the absolute leading-order bias (the factor 2 covers the
next order, which is smaller by O(L/N) <= 1/16 at N >= 512, L <= 32).

The test ``tests/test_propagate.py::test_finite_width_bias_matches_derivation`` (slow) checks
these expressions against a Monte Carlo of 1,024 networks at N = 32, and
``tests/test_finite_width_theory.py`` the signed gradient correction against 16,384 networks of
widths 16 to 64, where it is many standard errors large.
"""

from __future__ import annotations

import math

import numpy as np

from initaudit.theory import progress

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
    """F, F', F'', G, G', G'', H = E f^4, J = E f'^4, K = E f'^2 f^2, U = E[u^2 f'(u + b)^2] and
    M = E[u f'(u + b) f(u + b)] at Gaussian variance s of u."""
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
    out["J"] = _expect(lambda z: fp(z) ** 4, s, sb2, uniform)
    out["K"] = _expect(lambda z: fp(z) ** 2 * f(z) ** 2, s, sb2, uniform)
    x, w = _GH[0], _GH[1] / math.sqrt(2.0 * math.pi)
    b, v = _bias_nodes(sb2, uniform)
    u = math.sqrt(max(s, 0.0)) * x[:, None]
    z = u + b[None, :]
    out["U"] = float(np.sum(w[:, None] * v[None, :] * u**2 * fp(z) ** 2))
    out["M"] = float(np.sum(w[:, None] * v[None, :] * u * fp(z) * f(z)))
    return out


def _first_moments(spec, xp) -> dict[str, float]:
    """``F = E f^2, G = E f'^2, H = E f^4, J = E f'^4, K = E f^2 f'^2`` of ``z_1 = W_0 x + b_0``
    under the first layer's own law (sine: characteristic functions; relu with uniform draws:
    cumulants of uniforms; otherwise Gauss-Legendre over the uniform draws, or Gauss-Hermite for
    a normal layer)."""
    from initaudit.theory.laws import (first_layer_cos, first_layer_half_widths,
                                       uniform_sum_quadrature)

    act, first = spec.activation, spec.first
    q1 = float(spec.q1(xp[None, :])[0])
    if act == "sin":  # E sin^2 = (1 - E cos 2z)/2, E sin^4 = 3/8 - E cos 2z / 2 + E cos 4z / 8
        cf = lambda t: first_layer_cos(t, xp, first.sigma_w2, first.sigma_b2,  # noqa: E731
                                       spec.first_law)
        ef2, ef4 = 0.5 - 0.5 * cf(2.0), 3.0 / 8.0 - 0.5 * cf(2.0) + cf(4.0) / 8.0
        # cos^2 = 1 - sin^2: E cos^2, E cos^4 and E sin^2 cos^2 follow
        return {"F": ef2, "G": 1.0 - ef2, "H": ef4, "J": 1.0 - 2.0 * ef2 + ef4,
                "K": ef2 - ef4}
    f, fp = _fns(act)
    fns = {"F": lambda z: f(z) ** 2, "G": lambda z: fp(z) ** 2, "H": lambda z: f(z) ** 4,
           "J": lambda z: fp(z) ** 4, "K": lambda z: f(z) ** 2 * fp(z) ** 2}
    if spec.first_law == "normal":
        return {k: _expect(g, q1, 0.0, False) for k, g in fns.items()}
    bounds = first_layer_half_widths(xp, first.sigma_w2, first.sigma_b2)
    if act == "relu":  # symmetric law: halves of E z^2 and E z^4 (cumulants of uniforms)
        ez4 = 3.0 * q1**2 - sum(2.0 * b**4 / 15.0 for b in bounds)
        return {"F": q1 / 2.0, "G": 0.5, "H": ez4 / 2.0, "J": 0.5, "K": q1 / 2.0}
    z, wts = uniform_sum_quadrature(bounds, 48)
    return {k: float(np.sum(wts * g(z))) for k, g in fns.items()}


def _first_layer_moments(spec, xp) -> tuple[float, float]:
    """``E f(z_1)^2`` and ``E f(z_1)^4`` for ``z_1 = W_0 x + b_0`` under the first layer's law."""
    m = _first_moments(spec, xp)
    return m["F"], m["H"]


def _grad_relative(spec, xp, mom, beta, var, kappa, uniform_weights: bool) -> np.ndarray:
    """The signed relative 1/N correction of ``E |dy/dz_l|^2``, l = 1..L (module docstring).

    ``mom[l]``: the Gaussian-part moments of ``z_{l+1}`` (0-based); ``beta``, ``var``: the bias and
    the variance of ``s_l``; ``kappa``: the fourth cumulant of ``z_l`` from uniform weights.
    """
    layers = spec.layers()
    depth, n = spec.depth, spec.width
    first = _first_moments(spec, xp)
    # 1-based below: m[l] the moments of z_l (layer 1 under its own law), sw[l] of W_l.
    m = [None, first] + [mom[l] for l in range(1, depth)]
    sw = [layers[l].sigma_w2 for l in range(depth + 1)]
    psi, psi1, psi2 = np.zeros(depth + 2), np.zeros(depth + 2), np.zeros(depth + 2)
    psi[depth + 1] = 1.0
    for l in range(depth, 0, -1):  # Psi0_l and its first two derivatives in s_l
        a = sw[l] * m[l]["G"]
        psi[l] = a * psi[l + 1]
        if l == 1:
            break  # z_1 has no variance to differentiate in
        a1, a2 = sw[l] * m[l]["G1"], sw[l] * m[l]["G2"]
        b1, b2 = sw[l] * m[l]["F1"], sw[l] * m[l]["F2"]
        psi1[l] = a1 * psi[l + 1] + a * psi1[l + 1] * b1
        psi2[l] = (a2 * psi[l + 1] + 2.0 * a1 * psi1[l + 1] * b1 + a * psi2[l + 1] * b1**2
                   + a * psi1[l + 1] * b2)
    omega = np.zeros(depth + 1)
    omega[depth] = sw[depth] * m[depth]["F"]
    for l in range(depth - 1, 0, -1):
        up = m[l + 1]
        omega[l] = (sw[l + 1] * up["U"] * psi[l + 2] + up["M"] ** 2 / up["F"]
                    * (omega[l + 1] / up["F"] - sw[l + 1] * psi[l + 2]))
    chain = np.zeros(depth + 2)
    for l in range(depth, 0, -1):
        ml = m[l]
        F, G, H, K = ml["F"], ml["G"], ml["H"], ml["K"]
        t = (sw[l] ** 2 * (K - F * G) * psi1[l + 1]
             + sw[l] * G * sw[l] ** 2 * (H - F * F) * psi2[l + 1] / 2.0
             + K / F * (omega[l] / F - sw[l] * psi[l + 1]))
        if uniform_weights and l < depth:
            t -= 1.2 * sw[l] ** 2 * K * sw[l + 1] * m[l + 1]["G1"] * psi[l + 2]
        t /= n
        if uniform_weights and l >= 2:  # kappa[l - 1] is already O(1/N)
            t += kappa[l - 1] / 6.0 * sw[l] * (ml["G2"] * psi[l + 1]
                                               + sw[l] * G * ml["F2"] * psi1[l + 1])
        chain[l] = sw[l] * G * chain[l + 1] + t
    out = np.zeros(depth)
    for l in range(1, depth + 1):
        total = chain[l]
        if l >= 2:
            total += psi1[l] * beta[l - 1] + psi2[l] * var[l - 1] / 2.0
        out[l - 1] = total / psi[l]
    return out


def _leading_terms(spec, xp, q, chi, uniform_weights: bool) -> dict[str, np.ndarray]:
    """The signed leading-order terms at one input (``q``, ``chi``: its predictions per layer):
    ``beta`` (bias of q_l), ``bchi`` (bias of chi_l), ``grad`` (relative bias of
    ``|dy/dz_l|^2``) and ``var`` (the variance of s_l), arrays over l = 1..L."""
    layers = spec.layers()
    depth, n = spec.depth, spec.width
    uniform_bias = spec.convention == "uniform"
    mom = []
    for l in progress.steps(range(depth), depth, "layer moments"):
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
                ef2, ef4 = _first_layer_moments(spec, xp)
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
    dead = [l + 1 for l, m in enumerate(mom) if not m["F"] > 0]
    if dead:
        raise ValueError(f"at this input every unit of layer {dead[0]} is 0 (E f(z)^2 = 0: a "
                         "zero input and no biases), so the gradient's split along the layer's "
                         "activations is undefined; the finite-width theory needs E f(z_l)^2 > 0 "
                         "at every layer: use a nonzero input or an initializer with biases")
    grad = _grad_relative(spec, xp, mom, beta, var, kappa, uniform_weights)
    return {"beta": beta, "bchi": bchi, "grad": grad, "var": var}


def finite_width_bound(spec, x, pred, uniform_weights: bool) -> dict[str, np.ndarray]:
    """``C_l / N`` for q, chi and grad_norm2, averaged over the inputs like the measurement.

    ``pred`` is the prediction the measurement is compared with (it gives q_l, chi_l and
    ``|dy/dz_l|^2``).
    """
    depth = spec.depth
    out = {k: np.zeros(depth) for k in QUANTITIES}
    for p in range(len(x)):
        t = _leading_terms(spec, x[p], pred["q"][p], pred["chi"][p], uniform_weights)
        out["q"] += 2 * np.abs(t["beta"]) / len(x)
        out["chi"] += 2 * np.abs(t["bchi"]) / len(x)
        out["grad_norm2"] += 2 * np.abs(t["grad"]) * pred["grad_norm2"][p] / len(x)
    return out


def mean_correction(spec, xp, uniform_weights: bool | None = None) -> dict[str, np.ndarray]:
    """The signed leading 1/N corrections to the means of ``q_l``, ``chi_l`` and
    ``|dy/dz_l|^2`` at one input (finite-width mean minus infinite-width prediction, per layer
    l = 1..L; the gradient's relative to its prediction).

    Args:
        spec: the network; xp: one input, shape (d_in,).
        uniform_weights: whether the weights are uniform (their fourth cumulant enters); None:
            from ``spec.convention``.

    Returns:
        ``{"q": ..., "chi": ..., "grad_norm2_relative": ...}``, arrays of length L.
    """
    from initaudit.theory.predict import predict

    xp = np.asarray(xp, dtype=np.float64).reshape(-1)
    if xp.shape != (spec.d_in,) or not np.all(np.isfinite(xp)):
        raise ValueError(f"the input must be {spec.d_in} finite numbers, got {xp}")
    if uniform_weights is None:
        uniform_weights = spec.convention == "uniform"
    pred = predict(spec, xp[None, :])
    t = _leading_terms(spec, xp, pred["q"][0], pred["chi"][0], uniform_weights)
    return {"q": t["beta"], "chi": t["bchi"], "grad_norm2_relative": t["grad"]}


#: Fourth moment over squared second moment of one weight: the readout's entries enter the
#: gradient bare (``dy/dh_L = W_L`` for a scalar output), so their kurtosis matters; a hidden
#: layer's ``W^T delta`` sums N of them and is Gaussian to O(1/N).
KURTOSIS = {"uniform": 9.0 / 5.0, "normal": 3.0}


def log_grad_variance(spec, xp) -> dict[str, np.ndarray]:
    r"""Network-to-network variance of ``log |dy/dz_l|^2`` at one input, to leading order in 1/N.

    Write ``|dy/dz_l|^2 = prod_{m=l}^{L} g_m`` with the per-layer gain
    ``g_m = |delta_m|^2 / |delta_{m+1}|^2 = sigma_w^2 (1/N) sum_i f'(z_{m,i})^2 xi_{m,i}^2``
    (``xi`` the normalised ``W^T delta``: Gaussian for hidden layers, the readout's own law for
    m = L; independent of the forward pass to this order). Two kinds of noise, independent between
    layers given the layer below, drive the fluctuations at width N:

    * the sampling of the N units of layer m: ``eps^F_m`` of ``(1/N) sum f^2`` (variance
      ``(H - F^2)/N``) and ``eps^G_m`` of ``(1/N) sum f'^2 xi^2`` (variance
      ``(kappa J - G^2)/N``), with covariance ``(K - F G)/N``;
    * the forward variance they leave behind: ``delta s_{m+1} = sigma_w^2 (F'(s_m) delta s_m +
      eps^F_m)``, with ``delta s_1 = 0`` (the first layer's law is exact for a fixed input).

    Then ``delta log g_m = (G'(s_m) delta s_m + eps^G_m) / G(s_m)``, and
    ``log |dy/dz_l|^2 - E = sum_{m >= l} delta log g_m`` is a linear form in the noises whose
    variance is summed exactly. For relu with Gaussian weights and no bias ``G' = 0``,
    ``kappa = 3``, ``J = G = 1/2``: every layer adds ``(3/2 - 1/4)/(1/4) / N = 5/N``, the
    ``5 L / N`` of Hanin and Nica (2019).

    The derivation assumes i.i.d. weights (uniform or normal entries); orthogonal or
    deterministic matrices are outside it (the command refuses them).

    Args:
        spec: the network (:class:`theory.spec.NetworkSpec`, scalar output).
        xp: one input, shape (d_in,).

    Returns:
        ``{"total": Var log|dy/dz_l|^2 for l = 1..L, "sampling": the part from the units'
        sampling alone (no forward variance), "per_layer": the sampling variance each layer's gain
        adds}``, arrays of length L.
    """
    from initaudit.theory.predict import predict

    xp = np.asarray(xp, dtype=np.float64).reshape(-1)
    if xp.shape != (spec.d_in,) or not np.all(np.isfinite(xp)):
        raise ValueError(f"the input must be {spec.d_in} finite numbers, got {xp}")
    if spec.d_out != 1:
        raise ValueError(f"the log-gradient variance is for a scalar output, got d_out = "
                         f"{spec.d_out}")
    layers = spec.layers()
    depth, n = spec.depth, spec.width
    q = predict(spec, xp[None, :])["q"][0]
    uniform_bias = spec.convention == "uniform"
    mom = [_first_moments(spec, xp)]
    for m in progress.steps(range(1, depth), depth - 1, "layer moments"):
        sb2 = layers[m].sigma_b2
        mom.append(_moments(spec.activation, q[m] - sb2, sb2, uniform_bias))
    kappa = np.full(depth, 3.0)
    kappa[-1] = KURTOSIS[spec.convention]
    var_f = np.array([(mm["H"] - mm["F"] ** 2) / n for mm in mom])
    var_g = np.array([(kappa[m] * mm["J"] - mm["G"] ** 2) / n for m, mm in enumerate(mom)])
    cov_fg = np.array([(mm["K"] - mm["F"] * mm["G"]) / n for mm in mom])
    g = np.array([mm["G"] for mm in mom])
    dlog_g = np.array([0.0] + [mm["G1"] / mm["G"] for mm in mom[1:]])  # G'/G (no delta s_1)
    slope = np.array([0.0] + [layers[m + 1].sigma_w2 * mom[m]["F1"] for m in range(1, depth)])
    # coefficient of eps^F_m in delta s_k (k > m): sigma_w,m^2 prod_{j=m+1}^{k-1} slope_j
    # eps^F_m moves s_k (k > m), which moves g_k, seen by the gradient at layers l <= k: the
    # coefficient of eps^F_m at layer l is the sum of dlog_g[k] reach_mk over k >= max(m+1, l), a
    # suffix sum over k. O(L^2) time and O(L) memory.
    total, sampling = np.zeros(depth), np.zeros(depth)
    ells = np.arange(depth)
    for m in progress.steps(range(depth), depth, "log-gradient variance"):
        reach = np.cumprod(np.concatenate([[layers[m + 1].sigma_w2], slope[m + 1:depth - 1]]))
        terms = dlog_g[m + 1:] * reach[: depth - m - 1]
        suffix = np.concatenate([np.cumsum(terms[::-1])[::-1], [0.0]])  # k0 = m+1 .. depth
        c_f = suffix[np.maximum(m + 1, ells) - (m + 1)]
        c_g = np.where(ells <= m, 1.0 / g[m], 0.0)
        total += c_g ** 2 * var_g[m] + c_f ** 2 * var_f[m] + 2.0 * c_g * c_f * cov_fg[m]
    per_layer = var_g / g ** 2
    sampling = np.cumsum(per_layer[::-1])[::-1]
    return {"total": total, "sampling": sampling, "per_layer": per_layer}


__all__ = ["KURTOSIS", "QUANTITIES", "finite_width_bound", "log_grad_variance",
           "mean_correction"]
