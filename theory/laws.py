"""The laws the networks draw, and the expectations the theory needs under them.

The networks of this package draw uniform (or normal) weights and biases. At infinite width

* the first pre-activation ``z_1 = W_0 x + b_0`` is, per unit, a sum of only ``d + 1`` draws
  (``d`` = 1 to 3 input coordinates and the bias): with uniform laws it is not Gaussian at any
  width, and its kernel is a product of sinc terms;
* a hidden pre-activation ``z_{l+1} = W_l h_l + b_l`` is ``G + B``: the sum ``G = W_l h_l`` over N
  units is Gaussian (central limit), jointly over inputs, with covariance ``sigma_w^2 S_l``, but the
  bias ``B`` is one draw per unit, shared by every input, and keeps its own law.

Two laws (:data:`LAWS`) say which of these the theory keeps:

* ``"exact"`` (the default everywhere): the laws as drawn, the two facts above;
* ``"gaussian"``: the textbook mean field (Poole et al. 2016; Schoenholz et al. 2017), every
  pre-activation Gaussian with the same second moments.

Second moments agree under both laws (``q``, the NNGP ``K`` and the output kernel's readout term);
what differs is ``S = E[f(u) f(v)]`` and ``Edot = E[f'(u) f'(v)]``, and through them every later
layer, the gradient gain chi and the NTK.

**Sine, in closed form.** ``sin u sin v = (cos(u - v) - cos(u + v))/2`` and
``cos u cos v = (cos(u - v) + cos(u + v))/2``; every law here is symmetric, so ``E cos`` of a linear
form of independent draws is the product of their characteristic functions. Sympy derives the
forms (:func:`sine_first_layer_forms`, :func:`sine_hidden_forms`) from the characteristic
functions ``phi_U(t) = sinc(a t)`` of ``U(+-a)`` (integrated by sympy) and
``phi_N(t) = exp(-v t^2 / 2)``; with ``a = sqrt(3 v)`` for a draw of variance ``v``::

    first layer   E cos(u - v) = prod_k phi_w(x_k - y_k)        E cos(u + v) = prod_k phi_w(x_k + y_k) phi_b(2)
    hidden layer  E cos(u - v) = exp(-(s_u + s_v - 2 s_uv)/2)   E cos(u + v) = exp(-(s_u + s_v + 2 s_uv)/2) phi_B(2)

(``s`` the covariance of the Gaussian part). The Gaussian law is the case ``phi_B(2) = exp(-2
sigma_b^2)``, ``phi_w`` normal: the tests check that these reduce to
:func:`theory.gaussian.closed_form_moments` as a sympy identity.

**Other activations** (relu, tanh, erf, gelu): a uniform first layer by tensor-product
Gauss-Legendre quadrature over its ``d + 1`` draws (smooth activations converge geometrically;
relu's kink only algebraically, see :data:`FIRST_LAYER_ORDER`); a uniform hidden bias as the
Gaussian value plus the difference of two quadratures (Gauss-Hermite for ``G``, Gauss-Legendre
against Gauss-Hermite for ``B``), so the quadrature error of relu's kink cancels to first order in
the difference. Normal laws need no quadrature: a normal first layer is exactly Gaussian, and a
normal bias keeps ``G + B`` Gaussian.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

import numpy as np
import sympy as sp

from initaudit.theory.checks import choice
from initaudit.theory.gaussian import (activation_numpy, expectations, exponential_terms,
                                       quad_2d)
from initaudit.theory.symbolic import exp_stable, t, to_numpy

#: The laws a prediction can assume (see the module docstring); "exact" is the default.
LAWS = ("exact", "gaussian")
#: The laws a weight or bias is drawn from (:data:`theory.spec.CONVENTIONS`).
DRAWS = ("uniform", "normal")

#: Gauss-Legendre nodes per draw for a uniform first layer with a non-sine activation, by the
#: number of draws (``d`` weights, plus the bias when it is non-zero).
FIRST_LAYER_ORDER = {1: 256, 2: 96, 3: 40, 4: 16}
#: Gauss-Hermite nodes per dimension for ``G`` and Gauss-Legendre/Hermite nodes for ``B`` in the
#: hidden-bias correction of non-sine activations.
BIAS_ORDER_G, BIAS_ORDER_B = 64, 24
#: Bound on the elements of one quadrature block (memory: 8 bytes each, a few blocks live).
_BLOCK = 1 << 22

# Symbols of the derivations
s_u, s_v = sp.symbols("s_u s_v", nonnegative=True)
s_uv = sp.Symbol("s_uv", real=True)
v_w = sp.Symbol("v_w", nonnegative=True)   # variance of one first-layer weight, sigma_w0^2 / d
v_b = sp.Symbol("v_b", nonnegative=True)   # variance of a bias


def check_law(law: str) -> str:
    """``law`` if it is one of :data:`LAWS`, else a ValueError naming the valid ones."""
    return choice(law, LAWS, "law")


# --------------------------------------------------------------------------------------------
# Characteristic functions, derived
# --------------------------------------------------------------------------------------------


@lru_cache(maxsize=None)
def uniform_characteristic_function() -> sp.Expr:
    """``E exp(i t w)`` for ``w ~ U(-a, a)``, integrated by sympy and checked to be ``sinc(a t)``.

    Returned in terms of the variance ``v_b = a^2 / 3``: ``sinc(sqrt(3 v_b) t)`` (sympy's
    ``sinc`` is the unnormalised ``sin(x)/x``).
    """
    w = sp.Symbol("w", real=True)
    a = sp.Symbol("a", positive=True)
    integral = sp.integrate(sp.exp(sp.I * t * w) / (2 * a), (w, -a, a), conds="none")
    check = sp.simplify((integral - sp.sin(a * t) / (a * t)).rewrite(sp.exp))
    if check != 0:
        raise ArithmeticError(f"the uniform characteristic function did not reduce to sinc: {check}")
    return sp.sinc(sp.sqrt(3 * v_b) * t)


@lru_cache(maxsize=None)
def normal_characteristic_function() -> sp.Expr:
    """``E exp(i t w)`` for ``w ~ N(0, v_b)`` (:func:`theory.gaussian.characteristic_function`)."""
    from initaudit.theory.gaussian import characteristic_function
    from initaudit.theory.symbolic import q

    return characteristic_function().subs(q, v_b)


def _cf(draw: str, variance: sp.Expr, k: sp.Expr) -> sp.Expr:
    base = (uniform_characteristic_function() if draw == "uniform"
            else normal_characteristic_function())
    return base.subs(v_b, variance).subs(t, k)


def independent_expectation(expr: sp.Expr, groups) -> sp.Expr:
    """``E expr`` over independent groups of draws, for trigonometric ``expr``.

    ``expr`` is rewritten as a sum of terms ``coef * exp(i sum_j k_j x_j)``; each group of
    variables contributes its characteristic function at its ``k``'s, and the groups multiply.

    Args:
        expr: a polynomial in sines and cosines of linear forms of the variables.
        groups: ``[(variables, cf), ...]``; ``cf(ks)`` is the group's joint characteristic
            function ``E exp(i sum k_j x_j)`` at the slopes ``ks`` (sympy expressions).

    Raises:
        ValueError: a term that is not an exponential of a linear form.
    """
    variables = [x for vs, _ in groups for x in vs]
    total = sp.Integer(0)
    for coeff, exponent in exponential_terms(expr, variables):
        slopes = {x: sp.expand(sp.diff(exponent, x) / sp.I) for x in variables}
        value = coeff * sp.exp(exponent.subs({x: 0 for x in variables}))
        for vs, cf in groups:
            value *= cf([slopes[x] for x in vs])
        total += value
    return sp.simplify(sp.expand(total))


@lru_cache(maxsize=None)
def sine_first_layer_forms(d_in: int, weight_draw: str, bias_draw: str) -> dict[str, sp.Expr]:
    """Exact ``E sin u sin v`` and ``E cos u cos v`` of the first layer, derived by sympy.

    ``u = sum_k w_k x_k + b``, ``v = sum_k w_k y_k + b`` with i.i.d. ``w_k`` of variance ``v_w``
    and ``b`` of variance ``v_b``, each uniform or normal.

    Returns:
        ``{"ff", "dfdf", "args"}``: the two expressions and their arguments
        ``(x_1..x_d, y_1..y_d, v_w, v_b)``.
    """
    choice(weight_draw, DRAWS, "weight law")
    choice(bias_draw, DRAWS, "bias law")
    xs = sp.symbols(f"x_1:{d_in + 1}", real=True)
    ys = sp.symbols(f"y_1:{d_in + 1}", real=True)
    ws = sp.symbols(f"w_1:{d_in + 1}", real=True)
    b = sp.Symbol("b", real=True)
    u_ = sum(w * x for w, x in zip(ws, xs)) + b
    v_ = sum(w * y for w, y in zip(ws, ys)) + b
    groups = [((w,), (lambda ks: _cf(weight_draw, v_w, ks[0]))) for w in ws]
    groups.append(((b,), lambda ks: _cf(bias_draw, v_b, ks[0])))
    return {"ff": independent_expectation(sp.sin(u_) * sp.sin(v_), groups),
            "dfdf": independent_expectation(sp.cos(u_) * sp.cos(v_), groups),
            "args": (*xs, *ys, v_w, v_b)}


@lru_cache(maxsize=None)
def sine_hidden_forms(bias_draw: str) -> dict[str, sp.Expr]:
    """Exact ``E sin u sin v`` and ``E cos u cos v`` for ``u = G_u + B``, ``v = G_v + B``.

    ``(G_u, G_v)`` Gaussian with covariance ``[[s_u, s_uv], [s_uv, s_v]]``, ``B`` of variance
    ``v_b`` (uniform or normal), independent of ``G``.

    Returns:
        ``{"ff", "dfdf", "args"}`` with arguments ``(s_u, s_v, s_uv, v_b)``.
    """
    choice(bias_draw, DRAWS, "bias law")
    gu, gv, b = sp.symbols("G_u G_v B", real=True)
    cov = sp.Matrix([[s_u, s_uv], [s_uv, s_v]])

    def gauss_cf(ks):
        k = sp.Matrix(ks)
        return sp.exp(-(k.T * cov * k)[0, 0] / 2)

    groups = [((gu, gv), gauss_cf), ((b,), lambda ks: _cf(bias_draw, v_b, ks[0]))]
    u_, v_ = gu + b, gv + b
    return {"ff": independent_expectation(sp.sin(u_) * sp.sin(v_), groups),
            "dfdf": independent_expectation(sp.cos(u_) * sp.cos(v_), groups),
            "args": (s_u, s_v, s_uv, v_b)}


# --------------------------------------------------------------------------------------------
# Numbers
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PairTerms:
    """The expectations of one layer for pairs of inputs (arrays of one broadcast shape).

    Attributes:
        ff: ``S = E[f(u) f(v)]``.
        dfdf: ``Edot = E[f'(u) f'(v)]``.
    """

    ff: np.ndarray
    dfdf: np.ndarray


def _as_pairs(xa, xb) -> tuple[np.ndarray, np.ndarray]:
    xa = np.asarray(xa, dtype=np.float64)
    xb = np.asarray(xb, dtype=np.float64)
    if xa.shape[-1] != xb.shape[-1]:
        raise ValueError(f"inputs of a pair must have the same dimension, got {xa.shape} and "
                         f"{xb.shape}")
    return xa, xb


def first_layer_covariance(xa, xb, sigma_w02: float, sigma_b02: float) -> np.ndarray:
    """``K_1(x, y) = sigma_w0^2 x.y / d + sigma_b0^2`` (the same under every law)."""
    xa, xb = _as_pairs(xa, xb)
    return sigma_w02 * np.sum(xa * xb, axis=-1) / xa.shape[-1] + sigma_b02


def first_layer_terms(activation: str, xa, xb, sigma_w02: float, sigma_b02: float,
                      convention: str, law: str = "exact", *, diagonal: bool = False,
                      method: str = "auto") -> PairTerms:
    """``S_1`` and ``Edot_1`` of ``z_1 = W_0 x + b_0`` for the pairs ``(xa, xb)``.

    Args:
        activation: the activation of the first layer.
        xa, xb: inputs, broadcastable arrays of shape (..., d).
        sigma_w02, sigma_b02: ``Var W_0 = sigma_w02 / d``, ``Var b_0 = sigma_b02``.
        convention: the law drawn, "uniform" or "normal".
        law: "exact" (as drawn) or "gaussian" (``z_1`` Gaussian with covariance ``K_1``).
        diagonal: ``xa`` and ``xb`` are the same inputs (``E f(u)^2``, ``E f'(u)^2``; the
            one-dimensional Gaussian forms avoid the square-root singularity of relu's
            ``arccos`` at correlation 1).
        method: expectation method of :func:`theory.gaussian.expectations`.
    """
    check_law(law)
    choice(convention, DRAWS, "convention")
    xa, xb = _as_pairs(xa, xb)
    d = xa.shape[-1]
    if law == "gaussian" or convention == "normal":  # a normal first layer is Gaussian
        e = expectations(activation, method)
        qa = first_layer_covariance(xa, xa, sigma_w02, sigma_b02)
        if diagonal:
            return PairTerms(e.f2(qa), e.df2(qa))
        qb = first_layer_covariance(xb, xb, sigma_w02, sigma_b02)
        qab = first_layer_covariance(xa, xb, sigma_w02, sigma_b02)
        return PairTerms(e.ff(qa, qb, qab), e.dfdf(qa, qb, qab))
    if activation == "sin":
        forms = sine_first_layer_forms(d, convention, convention)
        values = [*np.moveaxis(xa, -1, 0), *np.moveaxis(xb, -1, 0), sigma_w02 / d, sigma_b02]
        return PairTerms(to_numpy(exp_stable(forms["ff"]), forms["args"])(*values),
                         to_numpy(exp_stable(forms["dfdf"]), forms["args"])(*values))
    return _first_layer_quadrature(activation, xa, xb, sigma_w02 / d, sigma_b02)


def first_layer_half_widths(xp, sigma_w02: float, sigma_b02: float) -> list[float]:
    """The half-widths ``h`` of the uniform draws ``U(+-h)`` whose sum is ``z_1 = W_0 x + b_0``
    at one input ``xp`` (shape (d,)): ``|x_k| sqrt(3 sigma_w02 / d)`` per input, then
    ``sqrt(3 sigma_b02)`` for a bias (left out when it is zero)."""
    xp = np.asarray(xp, dtype=np.float64).reshape(-1)
    widths = [float(v) for v in math.sqrt(3.0 * sigma_w02 / len(xp)) * np.abs(xp)]
    return widths + ([math.sqrt(3.0 * sigma_b02)] if sigma_b02 > 0 else [])


def first_layer_cos(t: float, xp, sigma_w02: float, sigma_b02: float, convention: str) -> float:
    """``E cos(t z_1)`` at one input under the first layer's law: ``prod_k sinc(t h_k)`` for
    uniform draws (:func:`first_layer_half_widths`), ``exp(-t^2 q_1 / 2)`` for normal ones. Exact
    at any variance, where quadrature of an oscillating integrand is not."""
    choice(convention, DRAWS, "convention")
    if convention == "normal":
        xp = np.asarray(xp, dtype=np.float64).reshape(-1)
        q1 = sigma_w02 * float(np.sum(xp ** 2)) / len(xp) + sigma_b02
        return math.exp(-0.5 * t * t * q1)
    return float(np.prod([np.sinc(t * h / np.pi) for h in
                          first_layer_half_widths(xp, sigma_w02, sigma_b02)]))


def uniform_sum_quadrature(half_widths, order: int) -> tuple[np.ndarray, np.ndarray]:
    """Tensor-product Gauss-Legendre for ``sum_k U(+-h_k)``: flattened nodes (the sums) and
    weights (summing to one); one node at 0 with weight 1 for no draws."""
    if not half_widths:
        return np.zeros(1), np.ones(1)
    nodes, weights = np.polynomial.legendre.leggauss(order)
    grids = np.meshgrid(*([nodes] * len(half_widths)), indexing="ij")
    wts = np.prod(np.meshgrid(*([weights / 2.0] * len(half_widths)), indexing="ij"), axis=0)
    return sum(h * g for h, g in zip(half_widths, grids)).ravel(), wts.ravel()


def _first_layer_quadrature(activation: str, xa, xb, vw: float, vb: float) -> PairTerms:
    """Tensor-product Gauss-Legendre over the uniform draws of the first layer."""
    f, fp = activation_numpy(activation)
    d = xa.shape[-1]
    n_draws = d + (1 if vb > 0 else 0)
    if n_draws > max(FIRST_LAYER_ORDER):
        raise ValueError(f"the exact first layer of {activation!r} integrates over {n_draws} "
                         f"uniform draws; at most {max(FIRST_LAYER_ORDER)} are supported "
                         "(use law='gaussian', or a normal first layer)")
    order = FIRST_LAYER_ORDER[n_draws]
    nodes, weights = np.polynomial.legendre.leggauss(order)
    grids = np.meshgrid(*([nodes] * n_draws), indexing="ij")
    wgrid = np.prod(np.meshgrid(*([weights / 2.0] * n_draws), indexing="ij"), axis=0).ravel()
    xi = np.stack([g.ravel() for g in grids], axis=-1)  # (M, n_draws) on [-1, 1]
    a, c = math.sqrt(3.0 * vw), math.sqrt(3.0 * vb)
    shape = np.broadcast_shapes(xa.shape[:-1], xb.shape[:-1])
    xa = np.broadcast_to(xa, (*shape, d)).reshape(-1, d)
    xb = np.broadcast_to(xb, (*shape, d)).reshape(-1, d)
    ff = np.empty(len(xa))
    dfdf = np.empty(len(xa))
    step = max(1, _BLOCK // len(wgrid))
    for lo in range(0, len(xa), step):
        sl = slice(lo, lo + step)
        u = a * (xa[sl] @ xi[:, :d].T)
        v = a * (xb[sl] @ xi[:, :d].T)
        if n_draws > d:
            u = u + c * xi[:, d]
            v = v + c * xi[:, d]
        ff[sl] = (f(u) * f(v)) @ wgrid
        dfdf[sl] = (fp(u) * fp(v)) @ wgrid
    return PairTerms(ff.reshape(shape), dfdf.reshape(shape))


def hidden_terms(activation: str, su, sv, suv, sigma_b2: float, convention: str,
                 law: str = "exact", *, diagonal: bool = False, method: str = "auto") -> PairTerms:
    """``S`` and ``Edot`` of a hidden layer, ``u = G_u + B``, ``v = G_v + B``.

    Args:
        activation: the activation.
        su, sv, suv: covariance of the Gaussian part ``G`` (``sigma_w^2 S`` of the layer below).
        sigma_b2: variance of the bias ``B``.
        convention: the bias law drawn, "uniform" or "normal".
        law: "exact" (``B`` as drawn) or "gaussian" (``u, v`` Gaussian with covariance
            ``s + sigma_b^2``).
        diagonal: ``u`` and ``v`` are the same pre-activation (``su = sv = suv``; see
            :func:`first_layer_terms`).
        method: expectation method of :func:`theory.gaussian.expectations`.
    """
    check_law(law)
    choice(convention, DRAWS, "convention")
    su, sv, suv = np.broadcast_arrays(*(np.asarray(a, dtype=np.float64) for a in (su, sv, suv)))
    if law == "gaussian" or convention == "normal" or sigma_b2 == 0.0:
        e = expectations(activation, method)
        qa, qb, qab = su + sigma_b2, sv + sigma_b2, suv + sigma_b2
        if diagonal:
            return PairTerms(e.f2(qa), e.df2(qa))
        return PairTerms(e.ff(qa, qb, qab), e.dfdf(qa, qb, qab))
    if activation == "sin":
        forms = sine_hidden_forms("uniform")
        return PairTerms(to_numpy(exp_stable(forms["ff"]), forms["args"])(su, sv, suv, sigma_b2),
                         to_numpy(exp_stable(forms["dfdf"]), forms["args"])(su, sv, suv,
                                                                              sigma_b2))
    return _hidden_bias_correction(activation, su, sv, suv, sigma_b2, method)


def _bias_nodes(sigma_b2: float, draw: str, order: int) -> tuple[np.ndarray, np.ndarray]:
    if draw == "uniform":
        x, w = np.polynomial.legendre.leggauss(order)
        return math.sqrt(3.0 * sigma_b2) * x, w / 2.0
    x, w = np.polynomial.hermite_e.hermegauss(order)
    return math.sqrt(sigma_b2) * x, w / math.sqrt(2.0 * math.pi)


def _hidden_bias_correction(activation, su, sv, suv, sigma_b2, method="auto") -> PairTerms:
    """Gaussian value plus (uniform-bias quadrature - normal-bias quadrature)."""
    f, fp = activation_numpy(activation)
    e = expectations(activation, method)
    base = PairTerms(e.ff(su + sigma_b2, sv + sigma_b2, suv + sigma_b2),
                     e.dfdf(su + sigma_b2, sv + sigma_b2, suv + sigma_b2))

    def quad(draw: str, g: Callable) -> np.ndarray:
        b, w = _bias_nodes(sigma_b2, draw, BIAS_ORDER_B)
        return sum(wj * quad_2d(lambda z, bj=bj: g(z + bj), lambda z, bj=bj: g(z + bj), su, sv,
                                suv, BIAS_ORDER_G) for bj, wj in zip(b, w))

    return PairTerms(base.ff + quad("uniform", f) - quad("normal", f),
                     base.dfdf + quad("uniform", fp) - quad("normal", fp))


__all__ = ["BIAS_ORDER_B", "BIAS_ORDER_G", "DRAWS", "FIRST_LAYER_ORDER", "LAWS", "PairTerms",
           "check_law", "first_layer_cos", "first_layer_covariance", "first_layer_half_widths",
           "first_layer_terms", "hidden_terms", "uniform_sum_quadrature",
           "independent_expectation", "normal_characteristic_function", "sine_first_layer_forms",
           "sine_hidden_forms", "uniform_characteristic_function"]
