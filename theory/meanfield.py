"""Mean-field signal propagation at infinite width (Poole et al. 2016; Schoenholz et al. 2017).

Network convention (shared with :mod:`models`): ``z_1 = W_0 x + b_0``; ``h_l = f(z_l)``;
``z_{l+1} = W_l h_l + b_l``; the readout ``y = W_L h_L + b_L`` is linear. Weights have mean 0
and ``Var = sigma_w^2 / N`` (N the fan-in), biases ``Var = sigma_b^2``. At infinite width each
pre-activation is Gaussian, ``z_l ~ N(0, q_l)``, and

* q-map:   ``q_{l+1} = sigma_w^2 E[f(z)^2] + sigma_b^2``
* chi-map: ``chi(q) = sigma_w^2 E[f'(z)^2]`` -- the mean squared singular value of the layer
  Jacobian, i.e. the factor by which a back-propagated squared gradient norm grows per layer
* c-map:   ``c_{l+1} = (sigma_w^2 E[f(u) f(v)] + sigma_b^2) / q_{l+1}`` with ``u, v`` of variance q
  and correlation c. At ``q = q*`` this is Schoenholz et al.'s map; dividing by ``q_{l+1}``
  instead of ``q*`` keeps it well defined when ``q* = 0``.

Fixed points, their stability and the depth scales ``xi_q = -1/ln chi_q`` and ``xi_c = -1/ln chi_c``
(``chi_q`` the slope of the q-map at q*, ``chi_c`` the slope of the c-map at its stable fixed
point c*) follow; a depth scale is ``inf`` where its slope is 1.

Finite-depth predictions (:func:`propagate`) iterate the maps from a given ``q_1`` layer by layer
and accumulate ``log chi`` so that products over 32 layers at chi = 1.2 or 0.5 neither overflow
nor underflow.

**Laws.** Every function takes ``law`` (:data:`theory.laws.LAWS`) and ``convention`` (the law of
the bias, "uniform" or "normal"). Under ``law="exact"`` (the default) a hidden pre-activation is
``z = G + B``: a Gaussian ``G`` of variance ``s = q - sigma_b^2`` plus the bias ``B`` as drawn,
one draw per unit (:mod:`theory.laws`); ``law="gaussian"`` takes ``z ~ N(0, q)``, the textbook map.
The two agree when the bias is zero or normal. All maps keep ``q`` (the total second moment) as
their variable, so the same formulas hold: the q-map, chi, the c-map and Price's theorem for its
slope (applied to ``G`` given ``B``). Under the exact law the q-map's slope can be negative (for
the sine, ``sigma_w^2 e^{-2s} sinc(2 c_b)`` once ``2 c_b > pi``): the fixed point is stable when
its absolute value is at most 1, and the depth scale is ``-1/ln|slope|``.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from scipy.optimize import brentq

from initaudit.theory import laws, progress
from initaudit.theory.checks import choice, positive_float, real_array
from initaudit.theory.gaussian import Expectations, expectations


def _validate_variances(sigma_w2, sigma_b2) -> None:
    for name, val in (("sigma_w^2", sigma_w2), ("sigma_b^2", sigma_b2)):
        arr = np.asarray(val, dtype=np.float64)
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} must be finite, got {val}")
        if np.any(arr < 0):
            raise ValueError(f"{name} must be non-negative (it is a variance), got {val}")
    if np.any(np.asarray(sigma_w2) == 0):
        raise ValueError("sigma_w^2 must be positive: with zero weights no signal propagates")


def _check_q(qv, what: str = "q"):
    """A variance (or an array of them): finite and >= 0; arrays are checked elementwise."""
    return real_array(qv, what, low=0.0, note="(a variance)")


def _check_c(cv):
    """A correlation (or an array of them): finite and in [-1, 1]."""
    return real_array(cv, "c", low=-1.0, high=1.0, note="(a correlation)")


def _check_map_variances(sigma_w2, sigma_b2) -> None:
    """The layer variances of a map: finite and >= 0 (a zero sigma_w^2 is a constant map)."""
    real_array(sigma_w2, "sigma_w2", low=0.0, note="(a variance)")
    real_array(sigma_b2, "sigma_b2", low=0.0, note="(a variance)")


def layer_expectations(activation: str, sigma_b2: float, law: str = "exact",
                       convention: str = "uniform") -> Expectations:
    """``E f(z)^2``, ``E f'(z)^2``, ``E f(u) f(v)``, ``E f'(u) f'(v)`` of a hidden pre-activation
    as functions of its total second moments (``q``, or ``q1, q2, q12``), under ``law``.

    Gaussian law, zero or normal bias: :func:`theory.gaussian.expectations`. Exact law with a
    uniform bias of variance ``sigma_b^2``: ``z = G + B`` with ``Var G = q - sigma_b^2``
    (:func:`theory.laws.hidden_terms`); ``q < sigma_b^2`` is outside the map's domain.
    """
    laws.check_law(law)
    choice(convention, laws.DRAWS, "convention")
    real_array(sigma_b2, "sigma_b2", low=0.0, note="(a variance)")
    if law == "gaussian" or convention == "normal" or sigma_b2 == 0.0:
        return expectations(activation)

    def parts(*qs):
        arrs = [np.asarray(v, dtype=np.float64) - sigma_b2 for v in qs]
        if np.any(arrs[0] < -1e-12 * sigma_b2) or (len(arrs) > 1 and np.any(arrs[1] < -1e-12 * sigma_b2)):
            raise ValueError(f"q must be at least sigma_b^2 = {sigma_b2} under the exact law "
                             "(z = G + B has Var G = q - sigma_b^2 >= 0)")
        return [np.maximum(a, 0.0) if i < 2 else a for i, a in enumerate(arrs)]

    def one(qv, key):
        s = parts(qv)[0]
        terms = laws.hidden_terms(activation, s, s, s, sigma_b2, convention, diagonal=True)
        return getattr(terms, key)

    def two(a, b, ab, key):
        sa, sb, sab = parts(a, b, ab)
        return getattr(laws.hidden_terms(activation, sa, sb, sab, sigma_b2, convention), key)

    return Expectations(activation, "exact", None,
                        f2=lambda qv: one(qv, "ff"), df2=lambda qv: one(qv, "dfdf"),
                        ff=lambda a, b, ab: two(a, b, ab, "ff"),
                        dfdf=lambda a, b, ab: two(a, b, ab, "dfdf"))


def q_map(qv, sigma_w2: float, sigma_b2: float, activation: str = "sin", *,
          law: str = "exact", convention: str = "uniform"):
    """Next-layer pre-activation variance ``sigma_w^2 E[f(z)^2] + sigma_b^2`` (``z`` under
    ``law``; see the module docstring).

    Raises:
        TypeError, ValueError: ``qv``, ``sigma_w2`` or ``sigma_b2`` not a finite number >= 0
            (elementwise for arrays), or ``qv < sigma_b2`` under the exact law.
    """
    _check_q(qv)
    _check_map_variances(sigma_w2, sigma_b2)
    e = layer_expectations(activation, sigma_b2, law, convention)
    return sigma_w2 * e.f2(qv) + sigma_b2


def q_map_slope(qv, sigma_w2: float, activation: str = "sin", h: float = 1e-6, *,
                sigma_b2: float = 0.0, law: str = "exact", convention: str = "uniform"):
    """``d q_{l+1} / d q_l``. Sine: ``sigma_w^2 e^{-2s} phi_B(2)`` exactly (``s = q - sigma_b^2``;
    ``phi_B(2) = e^{-2 sigma_b^2}`` under the Gaussian law, ``sinc(2 c_b)`` for a uniform bias);
    others by central difference (step ``h`` > 0)."""
    _check_q(qv)
    _check_map_variances(sigma_w2, sigma_b2)
    positive_float(h, "h")
    qv = np.asarray(qv, dtype=np.float64)
    e = layer_expectations(activation, sigma_b2, law, convention)
    if activation == "sin":
        # E sin^2 z = (1 - E cos 2z)/2 and E cos 2z = e^{-2 s} phi_B(2): the slope in s (= in q)
        # is sigma_w^2 E cos 2z, and E cos 2z = 1 - 2 E sin^2 z under either law.
        return sigma_w2 * (1.0 - 2.0 * e.f2(qv))
    floor = sigma_b2 if e.method == "exact" else 0.0
    lo = np.maximum(qv - h, floor)
    return sigma_w2 * (e.f2(qv + h) - e.f2(lo)) / (qv + h - lo)


def chi(qv, sigma_w2: float, activation: str = "sin", *, sigma_b2: float = 0.0,
        law: str = "exact", convention: str = "uniform"):
    """``chi(q) = sigma_w^2 E[f'(z)^2]``: per-layer growth of the squared gradient norm.

    ``sigma_b2`` is the variance of the bias inside ``z`` (it matters under the exact law only).
    ``qv``, ``sigma_w2`` and ``sigma_b2`` must be finite and >= 0 (elementwise for arrays).
    """
    _check_q(qv)
    _check_map_variances(sigma_w2, sigma_b2)
    return sigma_w2 * layer_expectations(activation, sigma_b2, law, convention).df2(qv)


def c_map(cv, qv, sigma_w2: float, sigma_b2: float, activation: str = "sin", *,
          law: str = "exact", convention: str = "uniform"):
    """Correlation map at equal input variances ``q`` (see the module docstring).

    ``cv`` must lie in [-1, 1]; ``qv``, ``sigma_w2``, ``sigma_b2`` must be finite and >= 0."""
    _check_c(cv)
    _check_q(qv)
    _check_map_variances(sigma_w2, sigma_b2)
    cv = np.asarray(cv, dtype=np.float64)
    qv = np.asarray(qv, dtype=np.float64)
    e = layer_expectations(activation, sigma_b2, law, convention)
    num = sigma_w2 * e.ff(qv, qv, cv * qv) + sigma_b2
    den = sigma_w2 * e.f2(qv) + sigma_b2
    if np.any(den == 0):
        raise ValueError("c-map undefined: q_{l+1} = 0 (zero input variance and zero bias variance)")
    return num / den


def c_map_slope(cv, qv, sigma_w2: float, sigma_b2: float, activation: str = "sin", *,
                law: str = "exact", convention: str = "uniform"):
    """``d c_{l+1} / d c`` = ``sigma_w^2 q E[f'(u) f'(v)] / q_{l+1}`` (Price's theorem).

    ``cv`` must lie in [-1, 1]; ``qv``, ``sigma_w2``, ``sigma_b2`` must be finite and >= 0."""
    _check_c(cv)
    _check_q(qv)
    _check_map_variances(sigma_w2, sigma_b2)
    cv = np.asarray(cv, dtype=np.float64)
    qv = np.asarray(qv, dtype=np.float64)
    e = layer_expectations(activation, sigma_b2, law, convention)
    if sigma_w2 == 0:
        return np.zeros(np.broadcast(cv, qv).shape)[()]
    # sigma_w^2 divided out of both sides: the same ratio without the overflow of
    # sigma_w^2 * q when both are large (q* grows as sigma_w^2).
    return qv * e.dfdf(qv, qv, cv * qv) / (e.f2(qv) + sigma_b2 / sigma_w2)


def fixed_point(sigma_w2: float, sigma_b2: float, activation: str = "sin", method: str = "auto",
                *, law: str = "exact", convention: str = "uniform") -> float:
    """The stable fixed point q* of the q-map.

    Args:
        sigma_w2, sigma_b2: weight and bias variances (Var W = sigma_w2 / fan_in).
        activation: see :data:`theory.gaussian.ACTIVATIONS`.
        method: ``"closed"`` (sine only: Lambert W, :func:`theory.sine.mean_field_law`),
            ``"root"`` (bracketing root finder on ``q_map(q) - q``) or ``"auto"``.
        law, convention: the law of the pre-activations and of the bias (module docstring).

    Returns:
        q* >= 0. For bias-free networks it is 0 whenever the origin is stable.

    Raises:
        ValueError: for invalid variances or when the q-map has no finite stable fixed point
            (e.g. relu with sigma_w^2 >= 2 and sigma_b^2 > 0).
    """
    _validate_variances(sigma_w2, sigma_b2)
    choice(method, ("auto", "closed", "root"), "method")
    if method in ("auto", "closed") and activation == "sin":
        from initaudit.theory.sine import mean_field_law

        return float(mean_field_law(sigma_w2, sigma_b2, law, convention)["q_star"])
    if method == "closed":
        raise ValueError(f"no closed-form fixed point for {activation!r}; use method='root'")
    floor = 0.0 if layer_expectations(activation, sigma_b2, law, convention).method != "exact" \
        else float(sigma_b2)  # the exact law's map is defined for q >= sigma_b^2

    def g(x):
        return float(q_map(max(x, floor), sigma_w2, sigma_b2, activation, law=law,
                           convention=convention)) - x

    # The stable fixed point is the largest one: g > 0 below it, g < 0 above it.
    hi = max(1.0, 2 * sigma_b2)
    for _ in range(200):
        if g(hi) < 0:
            break
        hi *= 2
    else:
        raise ValueError(
            f"the q-map of {activation} at sigma_w^2={sigma_w2}, sigma_b^2={sigma_b2} has no finite "
            "fixed point: the pre-activation variance grows without bound"
        )
    lo = hi / 2 if g(hi / 2) > 0 else 0.0
    if lo == 0.0:
        # Scan down for a positive root; none means the origin is the stable fixed point.
        grid = hi * np.logspace(-12, 0, 400)
        vals = np.array([g(x) for x in grid])
        pos = np.nonzero(vals > 0)[0]
        if pos.size == 0:
            return 0.0
        lo = grid[pos[-1]]
    return float(brentq(g, lo, hi, xtol=1e-15, rtol=4 * np.finfo(float).eps, maxiter=500))


def correlation_fixed_point(q_star: float, sigma_w2: float, sigma_b2: float,
                            activation: str = "sin", *, law: str = "exact",
                            convention: str = "uniform") -> float:
    """The stable fixed point c* of the c-map at q = q*.

    In the ordered and critical phases (chi_1 <= 1) it is c* = 1. In the chaotic phase c = 1 is
    unstable and c* < 1 is the root of ``c_map(c) - c`` below 1, bracketed between the lower end
    of [-1, 1) where the map lies above the diagonal and the first ``1 - delta`` (delta from 1e-9
    up) where it lies clearly below it. Under the exact law with a bias the correlation cannot
    go below ``(2 sigma_b^2 - q*)/q*`` (the Gaussian parts are at most anti-correlated).
    """
    _check_q(q_star, "q_star")
    _check_map_variances(sigma_w2, sigma_b2)
    kw = {"law": law, "convention": convention}
    if q_star == 0.0:
        return 1.0  # the network is linear there: every correlation is preserved
    if float(chi(q_star, sigma_w2, activation, sigma_b2=sigma_b2, **kw)) <= 1.0:
        return 1.0

    def g(x):
        return float(c_map(x, q_star, sigma_w2, sigma_b2, activation, **kw)) - x

    exact = layer_expectations(activation, sigma_b2, law, convention).method == "exact"
    c_min = max(-1.0, (2.0 * sigma_b2 - q_star) / q_star) if exact else -1.0
    lo = 0.0 if (c_min <= 0.0 and g(0.0) >= 0) else c_min
    for delta in 10.0 ** np.arange(-9, 0.5, 0.5):
        hi = 1.0 - delta
        if hi <= lo:
            break
        if g(hi) < -1e-14:
            return float(brentq(g, lo, hi, xtol=1e-15, maxiter=500))
    return 1.0


def depth_scale(slope: float) -> float:
    """``-1 / ln|slope|`` for a contraction (``|slope| < 1``); ``inf`` at or above marginality,
    0 for a zero slope. A negative slope (an alternating approach) contracts at ``|slope|``.

    Any real slope is valid (so ``depth_scale(-1)`` is ``inf``, as ``depth_scale(1)``); a
    non-number raises TypeError and NaN raises ValueError.
    """
    if isinstance(slope, (bool, np.bool_)) or not isinstance(slope, numbers.Real):
        raise TypeError(f"slope must be a real number (any sign, not NaN), got {slope!r} of type "
                        f"{type(slope).__name__}")
    if math.isnan(slope):
        raise ValueError(f"slope must be a real number (any sign, not NaN), got {slope!r}")
    slope = abs(float(slope))
    if slope == 0.0:
        return 0.0
    if slope >= 1.0 - 1e-13:
        return float("inf")
    return float(-1.0 / np.log(slope))


@dataclass(frozen=True)
class MeanField:
    """Infinite-width summary of one (sigma_w^2, sigma_b^2, activation) layer map.

    Attributes:
        q_star: stable fixed point of the q-map.
        sigma_g2: ``chi(q*) = chi_1``, the gradient gain per layer at the fixed point.
        q_slope: slope of the q-map at q* (``chi_q``); the fixed point is stable when <= 1.
        stable: whether q* is (at least marginally) stable.
        c_star: stable fixed point of the c-map (1 in the ordered phase, < 1 in the chaotic one).
        c_slope: slope of the c-map at c* (``chi_c``).
        xi_q, xi_c: depth scales, ``inf`` where the slope is 1.
        phase: "ordered" (chi_1 < 1), "critical" (chi_1 = 1 to 1e-12) or "chaotic".
        law, convention: the law of the pre-activations and of the bias.
    """

    sigma_w2: float
    sigma_b2: float
    activation: str
    q_star: float
    sigma_g2: float
    q_slope: float
    stable: bool
    c_star: float
    c_slope: float
    xi_q: float
    xi_c: float
    phase: str
    law: str = "exact"
    convention: str = "uniform"


def mean_field(sigma_w2: float, sigma_b2: float, activation: str = "sin", *,
               law: str = "exact", convention: str = "uniform") -> MeanField:
    """Fixed points, stability, gradient gain and depth scales of a layer map.

    Args:
        sigma_w2, sigma_b2: the hidden layer's variances.
        activation: the activation.
        law: "exact" (the bias as drawn; default) or "gaussian" (module docstring).
        convention: the law of the bias, "uniform" (``U(+-c_b)``) or "normal".
    """
    kw = {"law": law, "convention": convention}
    qs = fixed_point(sigma_w2, sigma_b2, activation, **kw)
    g2 = float(chi(qs, sigma_w2, activation, sigma_b2=sigma_b2, **kw))
    qslope = float(q_map_slope(qs, sigma_w2, activation, sigma_b2=sigma_b2, **kw))
    phase = "critical" if abs(g2 - 1.0) <= 1e-12 else ("ordered" if g2 < 1.0 else "chaotic")
    if phase == "critical" or qs == 0.0:
        # Marginal c* = 1 (iterates approach it only algebraically), or a linear network.
        cs, cslope = 1.0, (1.0 if qs == 0.0 else g2)
    else:
        cs = correlation_fixed_point(qs, sigma_w2, sigma_b2, activation, **kw)
        cslope = float(c_map_slope(cs, qs, sigma_w2, sigma_b2, activation, **kw))
    return MeanField(
        sigma_w2=float(sigma_w2), sigma_b2=float(sigma_b2), activation=activation,
        q_star=qs, sigma_g2=g2, q_slope=qslope, stable=abs(qslope) <= 1.0 + 1e-12,
        c_star=cs, c_slope=cslope, xi_q=depth_scale(qslope), xi_c=depth_scale(cslope), phase=phase,
        law=law, convention=convention,
    )


@dataclass(frozen=True)
class DepthProfile:
    """Layer-by-layer infinite-width prediction for one input (arrays indexed by layer 1..L).

    Attributes:
        q: pre-activation variance ``q_l`` of each sine layer.
        chi: ``chi_l = sigma_{w,l}^2 E[f'(z_l)^2]``, the squared-gradient gain from layer l+1 back
            to layer l (uses the weights ``W_l`` that read ``h_l``).
        log_grad_ratio: ``sum_{m<=l} log chi_m``: log of the predicted ratio
            ``E|dy/dz_1|^2 / E|dy/dz_{l+1}|^2``, the cumulative squared-gradient amplification over
            the first l layers (in log space: no overflow or underflow at any depth).
    """

    q: np.ndarray
    chi: np.ndarray
    log_grad_ratio: np.ndarray

    @property
    def grad_ratio(self) -> np.ndarray:
        """``exp(log_grad_ratio)`` (may under/overflow to 0/inf only where float64 must)."""
        return np.exp(self.log_grad_ratio)


def propagate(q1: float, layers: Sequence[tuple[float, float]], activation: str = "sin", *,
              law: str = "exact", convention: str = "uniform") -> DepthProfile:
    """Iterate the q-map and chi-map from ``q_1`` through the given layers.

    A pre-activation is described here by its variance alone, so this is the scalar iteration of
    the law given. Under ``law="exact"`` (the default) layer ``l >= 2`` is ``G + B`` with the bias
    of the map that produced it (``layers[l - 2]``), and ``z_1`` is taken Gaussian of variance
    ``q1`` (its own law depends on the input and the first layer:
    :func:`theory.predict.predict` has it for a whole network).

    Args:
        q1: variance of the first pre-activation ``z_1`` (set by the input and the first layer).
        layers: ``(sigma_w2, sigma_b2)`` of ``W_1, ..., W_L`` -- the maps *out of* each of the L
            activated layers (the last one is the readout). ``len(layers)`` is the depth L.
        activation: the activation of the L layers.
        law, convention: see the module docstring.

    Returns:
        A :class:`DepthProfile` with arrays of length L.
    """
    if not np.isfinite(q1) or q1 < 0:
        raise ValueError(f"q_1 must be a finite non-negative variance, got {q1}")
    if len(layers) < 1:
        raise ValueError("depth must be at least 1 (one activated layer)")
    for sw2, sb2 in layers:
        _validate_variances(sw2, sb2)
    qs = np.empty(len(layers))
    chis = np.empty(len(layers))
    qv = float(q1)
    bias_in = 0.0  # the bias inside z_1 is not a hidden one: z_1 is Gaussian here
    for i, (sw2, sb2) in progress.steps(enumerate(layers), len(layers), "layers"):
        qs[i] = qv
        chis[i] = float(chi(qv, sw2, activation, sigma_b2=bias_in, law=law, convention=convention))
        # sigma_w^2 E f(z_l)^2 (z_l carrying the bias of the map below it) plus this map's bias
        qv = float(q_map(qv, sw2, bias_in, activation, law=law, convention=convention)
                   - bias_in + sb2)
        bias_in = sb2
    with np.errstate(divide="ignore"):
        logs = np.cumsum(np.log(chis))
    return DepthProfile(q=qs, chi=chis, log_grad_ratio=logs)
