"""Closed forms of the sine-network mean field (``f = sin``), derived with sympy.

With ``E[sin^2 z] = (1 - e^{-2q})/2`` and ``E[cos^2 z] = (1 + e^{-2q})/2`` (derived in
:mod:`theory.gaussian`), the q-map is ``q -> sigma_w^2 (1 - e^{-2q})/2 + sigma_b^2``. Its stable
fixed point has a closed form with the principal branch W_0 of the Lambert W function::

    A   = sigma_w^2 / 2 + sigma_b^2
    x   = -sigma_w^2 exp(-2 A)                    (x in [-1/e, 0))
    q*  = A + W_0(x) / 2
    chi_q = slope of the q-map at q* = -W_0(x)     (in (0, 1]: q* is always stable)
    sigma_g^2 = chi(q*) = (sigma_w^2 - W_0(x)) / 2

**Unit-gain curve** (``sigma_g = 1``, Combette, Venaille and Pustelnik, arXiv 2512.06427): in the
uniform convention ``W ~ U(+-c_w/sqrt(N))``, ``b ~ U(+-c_b)`` (``sigma_w^2 = c_w^2/3``,
``sigma_b^2 = c_b^2/3``) the condition ``W_0(x) = sigma_w^2 - 2`` gives::

    c_b(c_w) = sqrt(3 - c_w^2 - (3/2) ln(6/c_w^2 - 1)),    sqrt(3) <= c_w < sqrt(6)
    q*(c_w)  = -(1/2) ln(6/c_w^2 - 1)

``c_b`` is real on the whole domain because ``3 - s - (3/2) ln(6/s - 1)`` (``s = c_w^2``) is zero at
``s = 3`` and has derivative ``-1 + 9/(s(6 - s)) >= 0``. The curve is parametrised by
``sigma_a^2 := q*``: ``c_w^2 = 6 / (1 + e^{-2 q*})``, ``c_b^2 = 3 q* + 3 - c_w^2``.

* ``sigma_a = 0``: ``(c_w, c_b) = (sqrt(3), 0)``. There the q-map slope at ``q* = 0`` is exactly 1,
  so ``q_l`` approaches 0 only as a power law: ``1/q_{l+1} = 1/q_l + 1 + q_l/3 + O(q_l^2)``, hence
  ``1/q_l ~ l + (1/3) ln l``, and the squared-gradient ratio over l layers decays like
  ``1/(1 + q_1 l)`` rather than staying at 1 (:func:`sigma_a0_asymptote`).
* ``sigma_a = 1``: ``c_w^2 = 6/(1 + e^{-2})``, ``c_b^2 = 6 e^{-2}/(1 + e^{-2})``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import scipy.special
import sympy as sp

from initaudit.theory.symbolic import c_w, q, sigma_b2, sigma_w2, to_numpy
from initaudit.theory.checks import positive_float, positive_int

#: Domain of the unit-gain curve in c_w: [sqrt(3), sqrt(6)).
CW_MIN = float(np.sqrt(3.0))
CW_MAX = float(np.sqrt(6.0))
DOMAIN_TEXT = "c_w must lie in [sqrt(3), sqrt(6)) = [1.7320508..., 2.4494897...)"

#: SIREN's frequency, omega_0 = 30 (Sitzmann et al. 2020, Sec. 3.2 and supplement Sec. 1.5).
SIREN_OMEGA0 = 30.0

#: The sigma_a = 0 point of the unit-gain curve (uniform convention).
SIGMA_A0 = (CW_MIN, 0.0)


# --------------------------------------------------------------------------------------------
# Symbolic expressions (printed to LaTeX by theory.latex; evaluated through theory.symbolic)
# --------------------------------------------------------------------------------------------


@lru_cache(maxsize=None)
def expressions() -> dict[str, sp.Expr]:
    """The sympy expressions of this module, checked for consistency on first use.

    Keys: ``qmap``, ``chi`` (in q, sigma_w^2, sigma_b^2), ``lambert_arg``, ``q_star``, ``q_slope``,
    ``sigma_g2`` (in sigma_w^2, sigma_b^2), ``unit_gain_sigma_b2`` (in sigma_w^2),
    ``unit_gain_cb``, ``unit_gain_q_star`` (in c_w).
    """
    from initaudit.theory.gaussian import closed_form_moments

    moments = closed_form_moments("sin")
    qmap = sigma_w2 * moments["f2"] + sigma_b2
    chi = sigma_w2 * moments["df2"]
    big_a = sigma_w2 / 2 + sigma_b2
    x = -sigma_w2 * sp.exp(-2 * big_a)
    w0 = sp.LambertW(x)
    q_star = big_a + w0 / 2
    # exp(-W(x)) = W(x)/x is the defining identity of Lambert W; with it the q-map maps q* to q*.
    wsym = sp.Symbol("W")
    residual = sp.expand(qmap.subs(q, big_a + wsym / 2) - (big_a + wsym / 2), power_exp=True)
    residual = sp.simplify(residual.subs(sp.exp(-wsym), wsym / x))
    if residual != 0:
        raise AssertionError(f"Lambert-W fixed point does not satisfy the q-map: residual {residual}")
    q_slope = -w0
    sigma_g2 = (sigma_w2 - w0) / 2
    # Unit gain: W_0(x) = sigma_w^2 - 2, i.e. x = (sigma_w^2 - 2) exp(sigma_w^2 - 2); solve for sigma_b^2.
    # Both sides are negative on the domain 1 <= sigma_w^2 < 2; equate the logs of -x and of
    # (2 - sigma_w^2) exp(sigma_w^2 - 2), which is linear in sigma_b^2.
    sb2_sol = sp.solve(sp.Eq(sp.expand_log(sp.log(-x), force=True),
                             sp.log(2 - sigma_w2) + sigma_w2 - 2), sigma_b2)
    if len(sb2_sol) != 1:
        raise AssertionError(f"expected one solution for the unit-gain sigma_b^2, got {sb2_sol}")
    sb2_curve = sp.simplify(sb2_sol[0])
    uniform = {sigma_w2: c_w**2 / 3}
    cb_curve = sp.sqrt(3 - c_w**2 - sp.Rational(3, 2) * sp.log(6 / c_w**2 - 1))
    # The typed form above is the readable one; it must equal the solved one exactly.
    diff = sp.expand_log(3 * sb2_curve.subs(uniform) - cb_curve**2, force=True)
    if sp.simplify(sp.logcombine(diff, force=True)) != 0:
        raise AssertionError("unit-gain c_b does not match the solved sigma_b^2")
    q_curve = -sp.log(6 / c_w**2 - 1) / 2
    return {
        "qmap": qmap, "chi": chi, "lambert_arg": x, "q_star": q_star, "q_slope": q_slope,
        "sigma_g2": sigma_g2, "unit_gain_sigma_b2": sb2_curve, "unit_gain_cb": cb_curve,
        "unit_gain_q_star": q_curve,
    }


# --------------------------------------------------------------------------------------------
# Numbers
# --------------------------------------------------------------------------------------------

#: ``kappa = E cos(2B)``, the bias's characteristic function at 2: ``exp(-2 sigma_b^2)`` for a
#: normal bias (the Gaussian law), ``sinc(2 c_b)`` for ``U(+-c_b)`` (the exact law).
kappa = sp.Symbol("kappa", real=True)
#: The variance of the Gaussian part ``G`` of ``z = G + B``.
s_gauss = sp.Symbol("s", nonnegative=True)


@lru_cache(maxsize=None)
def bias_law_expressions() -> dict[str, sp.Expr]:
    """The sine mean field for any symmetric bias law, in closed form.

    A hidden pre-activation is ``z = G + B`` with ``G`` Gaussian of variance ``s`` and the bias
    ``B`` one draw per unit; with ``E cos 2z = e^{-2s} kappa`` the map of the Gaussian part is
    ``s -> sigma_w^2 (1 - e^{-2s} kappa)/2``. Its stable fixed point is, as in the Gaussian case
    (which is ``kappa = e^{-2 sigma_b^2}``), a Lambert-W expression::

        x = -sigma_w^2 kappa e^{-sigma_w^2},   s* = sigma_w^2/2 + W_0(x)/2,
        slope = sigma_w^2 e^{-2 s*} kappa = -W_0(x),   sigma_g^2 = (sigma_w^2 - W_0(x))/2.

    For ``kappa < 0`` (a uniform bias with ``2 c_b > pi``) ``x > 0`` and the slope is negative:
    the iterates alternate about ``s*``. Sympy checks that ``s*`` is fixed, and that
    ``kappa = e^{-2 sigma_b^2}`` gives back :func:`expressions`' ``q* - sigma_b^2``.

    Keys: ``smap``, ``chi`` (in s, sigma_w^2, kappa), ``lambert_arg``, ``s_star``, ``q_slope``,
    ``sigma_g2`` (in sigma_w^2, kappa).
    """
    smap = sigma_w2 * (1 - sp.exp(-2 * s_gauss) * kappa) / 2
    chi_s = sigma_w2 * (1 + sp.exp(-2 * s_gauss) * kappa) / 2
    x = -sigma_w2 * kappa * sp.exp(-sigma_w2)
    w0 = sp.LambertW(x)
    s_star = sigma_w2 / 2 + w0 / 2
    wsym = sp.Symbol("W")
    residual = sp.expand(smap.subs(s_gauss, sigma_w2 / 2 + wsym / 2) - (sigma_w2 / 2 + wsym / 2),
                         power_exp=True)
    residual = sp.simplify(residual.subs(sp.exp(-wsym), wsym / x))
    if residual != 0:
        raise AssertionError(f"Lambert-W fixed point does not satisfy the s-map: residual {residual}")
    gaussian = s_star.subs(kappa, sp.exp(-2 * sigma_b2)) - (expressions()["q_star"] - sigma_b2)
    if sp.simplify(gaussian) != 0:
        raise AssertionError(f"kappa = exp(-2 sigma_b^2) does not give the Gaussian q*: {gaussian}")
    return {"smap": smap, "chi": chi_s, "lambert_arg": x, "s_star": s_star, "q_slope": -w0,
            "sigma_g2": (sigma_w2 - w0) / 2}


def bias_kappa(sb2, law: str = "exact", convention: str = "uniform") -> np.ndarray:
    """``kappa = E cos(2B)`` for a bias of variance ``sigma_b^2``: ``sinc(2 c_b)``, ``c_b =
    sqrt(3 sigma_b^2)``, for a uniform bias under the exact law; ``exp(-2 sigma_b^2)`` otherwise."""
    from initaudit.theory.checks import choice
    from initaudit.theory.laws import DRAWS, check_law

    check_law(law)
    choice(convention, DRAWS, "convention")
    sb2 = np.asarray(sb2, dtype=np.float64)
    if law == "exact" and convention == "uniform":
        return sinc(2.0 * np.sqrt(3.0 * sb2))
    return np.exp(-2.0 * sb2)


def mean_field_law(sw2, sb2, law: str = "exact", convention: str = "uniform") -> dict[str, np.ndarray]:
    """The sine mean field at ``(sigma_w^2, sigma_b^2)`` under ``law`` (vectorised).

    Returns:
        ``{"s_star", "q_star" (= s* + sigma_b^2), "q_slope", "sigma_g2", "kappa"}`` from
        :func:`bias_law_expressions`.
    """
    sw2, sb2 = _check_variances(sw2, sb2)
    k = bias_kappa(sb2, law, convention)
    forms = bias_law_expressions()
    args = (sigma_w2, kappa)
    s_star = np.maximum(to_numpy(forms["s_star"], args)(sw2, k), 0.0)  # -1e-17 at s* = 0
    return {"s_star": s_star, "q_star": s_star + sb2, "kappa": k,
            "q_slope": to_numpy(forms["q_slope"], args)(sw2, k),
            "sigma_g2": to_numpy(forms["sigma_g2"], args)(sw2, k)}




def _check_variances(sw2, sb2) -> tuple[np.ndarray, np.ndarray]:
    sw2 = np.asarray(sw2, dtype=np.float64)
    sb2 = np.asarray(sb2, dtype=np.float64)
    if not (np.all(np.isfinite(sw2)) and np.all(np.isfinite(sb2))):
        raise ValueError(f"variances must be finite, got sigma_w^2={sw2}, sigma_b^2={sb2}")
    if np.any(sw2 <= 0) or np.any(sb2 < 0):
        raise ValueError(
            f"need sigma_w^2 > 0 and sigma_b^2 >= 0 (they are variances), got {sw2}, {sb2}"
        )
    return sw2, sb2


def fixed_point_closed(sw2, sb2) -> np.ndarray:
    """Stable fixed point ``q* = A + W_0(-sigma_w^2 e^{-2A}) / 2`` (vectorised)."""
    sw2, sb2 = _check_variances(sw2, sb2)
    out = to_numpy(expressions()["q_star"], (sigma_w2, sigma_b2))(sw2, sb2)
    # Rounding can leave -1e-17 where q* = 0 exactly (bias-free, sigma_w^2 <= 1).
    return np.maximum(out, 0.0)


def sigma_g2_closed(sw2, sb2) -> np.ndarray:
    """Gradient gain at the fixed point, ``(sigma_w^2 - W_0(x)) / 2`` (vectorised)."""
    sw2, sb2 = _check_variances(sw2, sb2)
    return to_numpy(expressions()["sigma_g2"], (sigma_w2, sigma_b2))(sw2, sb2)


def q_slope_closed(sw2, sb2) -> np.ndarray:
    """Slope of the q-map at q*, ``-W_0(x)`` (vectorised)."""
    sw2, sb2 = _check_variances(sw2, sb2)
    return to_numpy(expressions()["q_slope"], (sigma_w2, sigma_b2))(sw2, sb2)


def uniform_to_sigma2(cval):
    """Variance of U(-c, c) in units of the bound scale: ``c^2 / 3``."""
    return np.asarray(cval, dtype=np.float64) ** 2 / 3.0


def _check_cw(cw) -> np.ndarray:
    arr = np.asarray(cw, dtype=np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"c_w must be finite; {DOMAIN_TEXT}; got {cw}")
    # sqrt(3) is included up to rounding of the caller's own sqrt(3).
    if np.any(arr < CW_MIN * (1 - 4 * np.finfo(float).eps)) or np.any(arr >= CW_MAX):
        raise ValueError(f"c_w outside the unit-gain domain: {DOMAIN_TEXT}; got {cw}")
    return np.clip(arr, CW_MIN, None)


def unit_gain_cb(cw):
    """``c_b`` on the unit-gain curve (sigma_g = 1), uniform convention.

    Args:
        cw: c_w in [sqrt(3), sqrt(6)) (scalar or array).

    Returns:
        ``sqrt(3 - c_w^2 - (3/2) ln(6/c_w^2 - 1))`` (float for scalar input).

    Raises:
        ValueError: if c_w is outside [sqrt(3), sqrt(6)); the message names the domain.
    """
    arr = _check_cw(cw)
    sq = to_numpy(expressions()["unit_gain_cb"] ** 2, (c_w,))(arr)
    out = np.sqrt(np.maximum(sq, 0.0))  # rounding can give -1e-16 at c_w = sqrt(3)
    return float(out) if out.ndim == 0 else out


def unit_gain_q_star(cw):
    """Fixed-point variance ``q* = -(1/2) ln(6/c_w^2 - 1)`` on the unit-gain curve."""
    arr = _check_cw(cw)
    out = np.maximum(to_numpy(expressions()["unit_gain_q_star"], (c_w,))(arr), 0.0)
    return float(out) if out.ndim == 0 else out


def unit_gain_point_for_q(q_star: float) -> tuple[float, float]:
    """The point ``(c_w, c_b)`` of the unit-gain curve whose fixed point is ``q* = sigma_a^2``."""
    if not np.isfinite(q_star) or q_star < 0:
        raise ValueError(f"sigma_a^2 = q* must be a finite non-negative variance, got {q_star}")
    cw2 = 6.0 / (1.0 + np.exp(-2.0 * q_star))
    return float(np.sqrt(cw2)), float(np.sqrt(max(3.0 * q_star + 3.0 - cw2, 0.0)))


def sigma_a1_point() -> tuple[float, float]:
    """The ``sigma_a = 1`` variant: the unit-gain point with ``q* = 1``."""
    return unit_gain_point_for_q(1.0)


def siren_reference_point(width: int, omega0: float = SIREN_OMEGA0) -> tuple[float, float]:
    """Where the SIREN reference init sits in (c_w, c_b) for hidden width N.

    Its hidden layers are ``sin(omega0 (W h + b))`` with ``W ~ U(+-sqrt(6/N)/omega0)`` and torch's
    default bias ``U(+-1/sqrt(N))`` (Sitzmann et al. 2020, reference code), so in folded form
    ``c_w = sqrt(6)`` and ``c_b = omega0 / sqrt(N)``.

    Raises:
        ValueError: ``width`` not an integer >= 1 (bool and 2.5 are refused), or ``omega0`` not a
            positive finite number.
    """
    width = positive_int(width, "width")
    omega0 = positive_float(omega0, "omega0")
    return CW_MAX, float(omega0 / np.sqrt(width))


def sigma_a0_asymptote(layers, q1: float) -> tuple[np.ndarray, np.ndarray]:
    """Asymptotic q_l and squared-gradient ratio at the sigma_a = 0 point (sigma_w^2 = 1, no bias).

    From ``1/q_{l+1} = 1/q_l + 1 + q_l/3 + O(q_l^2)`` with ``y_1 = 1/q_1``::

        1/q_l ~ y_1 + (l - 1) + (1/3) (psi(y_1 + l - 1) - psi(y_1))

    (psi the digamma function). The squared-gradient ratio over the first l layers is the
    product of ``chi(q_m) = (1 + e^{-2 q_m})/2`` over these q_m; since ``log chi = -q + O(q^2)``
    and ``q_m ~ 1/(y_1 + m)``, it decays like ``y_1 / (y_1 + l)``: a power law in depth, not the
    constant that ``sigma_g = 1`` at the fixed point suggests.

    Args:
        layers: layer indices l >= 1 (array).
        q1: the first-layer variance; the expansion is accurate for small q1 (relative error of
            q_l of order ``q_1^2``).

    Returns:
        ``(q_l, grad_ratio_l)`` arrays, ``grad_ratio_l = prod_{m <= l} chi(q_m)``.
    """
    l = np.asarray(layers, dtype=np.float64)
    if np.any(l < 1) or np.any(l != np.round(l)):
        raise ValueError("layer indices are integers starting at 1")
    if not np.isfinite(q1) or q1 <= 0:
        raise ValueError(f"q_1 must be a positive finite variance, got {q1}")
    y1 = 1.0 / q1
    psi = scipy.special.digamma
    m = np.arange(1, int(l.max()) + 1, dtype=np.float64)
    q_all = 1.0 / (y1 + (m - 1) + (psi(y1 + m - 1) - psi(y1)) / 3.0)
    log_ratio = np.cumsum(np.log((1.0 + np.exp(-2.0 * q_all)) / 2.0))
    idx = l.astype(int) - 1
    return q_all[idx], np.exp(log_ratio[idx])


@dataclass(frozen=True)
class SinePoint:
    """A sine-network initialisation in both conventions, with its mean field."""

    c_w: float
    c_b: float
    sigma_w2: float
    sigma_b2: float


def uniform_point(cw: float, cb: float) -> SinePoint:
    """Convert uniform bounds (c_w, c_b) to variances, validating them."""
    for name, val in (("c_w", cw), ("c_b", cb)):
        if not np.isfinite(val):
            raise ValueError(f"{name} must be finite, got {val}")
    if cw <= 0:
        raise ValueError(f"c_w must be positive (W ~ U(+-c_w/sqrt(N))), got {cw}")
    if cb < 0:
        raise ValueError(f"c_b must be non-negative (b ~ U(+-c_b)), got {cb}")
    return SinePoint(float(cw), float(cb), float(uniform_to_sigma2(cw)), float(uniform_to_sigma2(cb)))


# --------------------------------------------------------------------------------------------
# Uniform biases: the law the published initialisers actually draw from
# --------------------------------------------------------------------------------------------
#
# The Gaussian mean field treats z = W h + b as Gaussian. At infinite width W h is Gaussian
# (variance s), but the bias is one draw per unit, so with b ~ U(+-c_b) the pre-activation is
# z = G + B. Then E cos(2z) = e^{-2s} sinc(2 c_b), sinc(x) = sin(x)/x, and
#
#     s_{l+1} = sigma_w^2 (1 - e^{-2 s_l} sinc(2 c_b)) / 2,   chi = sigma_w^2 (1 + e^{-2 s} sinc(2 c_b)) / 2
#
# (q = s + c_b^2/3 is unchanged as a second moment). Unit gain, chi(s*) = 1, gives
# s* = c_w^2/3 - 1 exactly as in the Gaussian case, and c_b solves
#
#     sinc(2 c_b) = (6/c_w^2 - 1) exp(2 c_w^2/3 - 2)      (right side decreasing from 1 to 0 on the domain)
#
# with 2 c_b on the main lobe [0, pi]: one solution for every c_w in [sqrt(3), sqrt(6)).


def sinc(x):
    """Unnormalised sinc, ``sin(x)/x`` with ``sinc(0) = 1`` (numpy's sinc is ``sin(pi x)/(pi x)``)."""
    return np.sinc(np.asarray(x, dtype=np.float64) / np.pi)


def uniform_bias_curve_expr() -> sp.Expr:
    """Right side of the uniform-bias unit-gain condition, ``(6/c_w^2 - 1) exp(2 c_w^2/3 - 2)``."""
    return (6 / c_w**2 - 1) * sp.exp(2 * c_w**2 / 3 - 2)


def uniform_bias_unit_gain_cb(cw: float) -> float:
    """``c_b`` of the unit-gain curve when the biases are ``U(+-c_b)`` rather than Gaussian.

    Solves ``sinc(2 c_b) = (6/c_w^2 - 1) exp(2 c_w^2/3 - 2)`` on ``2 c_b in [0, pi]`` (module
    comment above). Same domain as :func:`unit_gain_cb`.
    """
    from scipy.optimize import brentq

    arr = _check_cw(cw)
    if arr.ndim != 0:
        return np.array([uniform_bias_unit_gain_cb(float(v)) for v in arr])
    target = float(to_numpy(uniform_bias_curve_expr(), (c_w,))(float(arr)))
    if target >= 1.0:
        return 0.0
    return float(brentq(lambda cb: float(sinc(2.0 * cb)) - target, 0.0, np.pi / 2, xtol=1e-15))


def uniform_bias_mean_field(cw: float, cb: float) -> dict[str, float]:
    """Fixed point and gradient gain of a sine layer with ``U(+-c_b)`` biases.

    Returns:
        ``{"s_star", "q_star", "sigma_g2"}``: the Gaussian part ``s*`` of the pre-activation
        variance (the stable root of ``s = sigma_w^2 (1 - e^{-2s} sinc(2 c_b))/2``), the total
        ``q* = s* + c_b^2/3`` and ``chi(s*)``.
    """
    from scipy.optimize import brentq

    point = uniform_point(cw, cb)
    sw2, k = point.sigma_w2, float(sinc(2.0 * point.c_b))

    def g(s):
        return sw2 * (1.0 - np.exp(-2.0 * s) * k) / 2.0 - s

    hi = sw2 / 2.0 * (1.0 + abs(k)) + 1.0  # g(hi) < 0: the map is bounded by sw2 (1 + |k|)/2
    lo = 0.0
    if g(0.0) <= 0.0:
        # Only k = 1 (no bias): s = 0 is fixed, and a positive root exists iff the slope
        # there, sw2 k, exceeds 1; bracket it from below by halving.
        lo = None
        if sw2 * k > 1.0:
            cand = hi
            while cand > 1e-300 and lo is None:
                cand /= 2.0
                if g(cand) > 0.0:
                    lo = cand
    if lo is None:
        s_star = 0.0
    else:
        s_star = float(brentq(g, lo, hi, xtol=1e-15, rtol=4 * np.finfo(float).eps))
    return {"s_star": s_star, "q_star": s_star + point.sigma_b2,
            "sigma_g2": float(sw2 * (1.0 + np.exp(-2.0 * s_star) * k) / 2.0)}
