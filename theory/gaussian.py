"""Gaussian expectations of activation functions, derived with sympy where a closed form exists.

For an activation f and centred Gaussians, the mean-field theory needs four expectations:

* ``f2(q)    = E[f(z)^2]``,            z ~ N(0, q)
* ``df2(q)   = E[f'(z)^2]``,           z ~ N(0, q)
* ``ff(q1, q2, q12)   = E[f(u) f(v)]``,  (u, v) ~ N(0, [[q1, q12], [q12, q2]])
* ``dfdf(q1, q2, q12) = E[f'(u) f'(v)]``

**Sine** ``f(z) = alpha sin(beta z + phi)``: derived here, not typed in. Sympy integrates the
Gaussian characteristic function ``E[exp(i t z)] = exp(-q t^2 / 2)``; every power or product of
sines and cosines is a sum of exponentials of linear forms ``s u + r v``, and a linear form of a
Gaussian vector is Gaussian with variance ``s^2 q1 + 2 s r q12 + r^2 q2``, so each term's
expectation follows from the characteristic function. The results are (with ``a = alpha``,
``b = beta``)::

    E[f^2]     = a^2/2 (1 - cos(2 phi) e^{-2 b^2 q})
    E[f'^2]    = a^2 b^2/2 (1 + cos(2 phi) e^{-2 b^2 q})
    E[f(u)f(v)]  = a^2/2 (e^{-b^2 (q1+q2-2q12)/2} - cos(2 phi) e^{-b^2 (q1+q2+2q12)/2})
    E[f'(u)f'(v)] = a^2 b^2/2 (e^{-b^2 (q1+q2-2q12)/2} + cos(2 phi) e^{-b^2 (q1+q2+2q12)/2})

**Baselines**: relu (arc-cosine kernel of degree 1 and 0, Cho and Saul 2009), erf (Williams 1997)
have closed forms, entered here as sympy expressions with their references and checked against
quadrature in the tests; tanh and gelu have none that sympy finds and use Gauss-Hermite quadrature.

Numbers come out through :func:`expectations`, which returns float64 callables, closed form or
quadrature, with one interface for every activation.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

import numpy as np
import sympy as sp

from initaudit.theory.activations import ACTIVATIONS as _ACTIVATIONS
from initaudit.theory.checks import choice
from initaudit.theory.symbolic import exp_stable, q, q1, q12, q2, t, to_numpy, u, v, z

#: Parameters of the sine family f(z) = alpha sin(beta z + phi).
alpha, beta, phi = sp.symbols("alpha beta phi", real=True)

ACTIVATIONS = _ACTIVATIONS
#: Activations with a closed form for all four expectations.
CLOSED_FORM = ("sin", "relu", "erf")

#: Default Gauss-Hermite order (nodes per dimension). Measured against order 300 for tanh, the
#: quadrature activation with the nearest complex singularities (poles at +-i pi/2, which come
#: closer in the scaled variable as q grows): relative error below 1e-13 for q <= 0.5, 1.4e-9 at
#: q = 1, 2.4e-6 at q = 2, 4e-4 at q = 4 (E tanh'^2, the worst of the four). The tanh networks
#: of this package (Xavier and orthogonal) have q << 1 in every layer; the sine, relu and erf
#: expectations are closed forms.
DEFAULT_ORDER = 96
#: numpy's Gauss-Hermite weights overflow beyond about 360 nodes.
MAX_ORDER = 300


def _check_activation(name: str) -> str:
    return choice(name, ACTIVATIONS, "activation")


def activation_expr(name: str) -> sp.Expr:
    """The activation as a sympy expression in ``z`` (sine keeps alpha, beta, phi symbolic)."""
    _check_activation(name)
    return {
        "sin": alpha * sp.sin(beta * z + phi),
        "relu": sp.Max(z, 0),
        "tanh": sp.tanh(z),
        "erf": sp.erf(z),
        "gelu": z * (1 + sp.erf(z / sp.sqrt(2))) / 2,
    }[name]


# --------------------------------------------------------------------------------------------
# Symbolic derivation for sums of exponentials of linear forms (the sine family)
# --------------------------------------------------------------------------------------------


@lru_cache(maxsize=None)
def characteristic_function() -> sp.Expr:
    """``E[exp(i t z)]`` for ``z ~ N(0, q)``, integrated by sympy (result ``exp(-q t^2/2)``)."""
    density = sp.exp(-z**2 / (2 * q)) / sp.sqrt(2 * sp.pi * q)
    qpos = sp.Symbol("q_pos", positive=True)  # integrate with q > 0, then return in terms of q
    result = sp.integrate(sp.exp(sp.I * t * z) * density.subs(q, qpos), (z, -sp.oo, sp.oo),
                          conds="none")
    return sp.simplify(result).subs(qpos, q)


def exponential_terms(expr: sp.Expr, variables) -> list[tuple[sp.Expr, sp.Expr]]:
    """``expr`` as a sum of ``coeff * exp(exponent)`` with ``exponent`` linear in ``variables``
    and ``coeff`` free of them: the list of ``(coeff, exponent)``.

    Raises:
        ValueError: a factor that is not an exponential, or an exponent that is not linear.
    """
    variables = list(variables)
    expanded = sp.expand(sp.powsimp(sp.expand(expr.rewrite(sp.exp)), combine="exp"))
    out = []
    for term in sp.Add.make_args(expanded):
        coeff, exponent = sp.Integer(1), sp.Integer(0)
        for factor in sp.Mul.make_args(term):
            if factor.free_symbols & set(variables):
                base, power = factor.as_base_exp()
                if base != sp.E:
                    raise ValueError(f"cannot take the expectation of factor {factor}")
                exponent += power
            else:
                coeff *= factor
        if any(sp.diff(exponent, x, y) != 0 for x in variables for y in variables):
            raise ValueError(f"exponent {exponent} is not linear in {variables}")
        out.append((coeff, exponent))
    return out


def gaussian_expectation(expr: sp.Expr, variables: tuple[sp.Symbol, ...],
                         cov: sp.Matrix) -> sp.Expr:
    """Expectation of ``expr`` under ``variables ~ N(0, cov)``, for trigonometric ``expr``.

    ``expr`` must be a polynomial in sines, cosines and exponentials of linear forms of the
    variables (any product of ``sin(b u + phi)`` and friends). It is rewritten as a sum of terms
    ``k * exp(L)`` with ``L`` linear in the variables; a linear form ``w = sum_j s_j x_j`` is
    Gaussian with variance ``s^T cov s`` and its moment-generating function is the
    characteristic function continued to ``t = -i``.

    Raises:
        ValueError: if a term is not an exponential of a linear form.
    """
    cf = characteristic_function()
    total = sp.Integer(0)
    for coeff, exponent in exponential_terms(expr, variables):
        slopes = sp.Matrix([sp.diff(exponent, x) for x in variables])
        const = exponent.subs({x: 0 for x in variables})
        variance = sp.expand((slopes.T * cov * slopes)[0, 0])
        # E[exp(w)] with w ~ N(0, variance): the characteristic function at t = -i.
        mgf = cf.subs(q, variance).subs(t, -sp.I)
        total += coeff * sp.exp(const) * mgf
    return total


def _tidy(expr: sp.Expr) -> sp.Expr:
    """Real form of a derived expectation: one term per Gaussian decay factor.

    Terms are grouped by the part of their exponent that depends on the variances; the rest of
    each coefficient (complex exponentials of the phase) is rewritten with cosines.
    """
    variances = {q, q1, q2, q12}
    groups: dict[sp.Expr, sp.Expr] = {}
    for term in sp.Add.make_args(sp.powsimp(sp.expand(expr.rewrite(sp.exp)), combine="exp")):
        coeff, decay = sp.Integer(1), sp.Integer(0)
        for factor in sp.Mul.make_args(term):
            base, power = factor.as_base_exp()
            if base == sp.E:
                power = sp.expand(power)
                dep = sp.Add(*[a for a in sp.Add.make_args(power) if a.free_symbols & variances])
                decay += dep
                coeff *= sp.exp(power - dep)
            else:
                coeff *= factor
        key = sp.factor(decay)
        groups[key] = groups.get(key, sp.Integer(0)) + coeff
    return sp.Add(*[sp.factor(sp.simplify(sp.simplify(k.rewrite(sp.cos)))) * sp.exp(d)
                    for d, k in groups.items()])


@lru_cache(maxsize=None)
def sine_moments() -> dict[str, sp.Expr]:
    """The four expectations of ``alpha sin(beta z + phi)``, derived symbolically.

    Returns:
        ``{"f2": E[f^2](q), "df2": E[f'^2](q), "ff": E[f(u)f(v)](q1,q2,q12),
        "dfdf": E[f'(u)f'(v)](q1,q2,q12)}`` as sympy expressions.
    """
    f = activation_expr("sin")
    df = sp.diff(f, z)
    one = sp.Matrix([[q]])
    two = sp.Matrix([[q1, q12], [q12, q2]])
    return {
        "f2": _tidy(gaussian_expectation(f**2, (z,), one)),
        "df2": _tidy(gaussian_expectation(df**2, (z,), one)),
        "ff": _tidy(gaussian_expectation(f.subs(z, u) * f.subs(z, v), (u, v), two)),
        "dfdf": _tidy(gaussian_expectation(df.subs(z, u) * df.subs(z, v), (u, v), two)),
    }


@lru_cache(maxsize=None)
def closed_form_moments(name: str) -> dict[str, sp.Expr]:
    """Closed-form expectations for ``name`` in :data:`CLOSED_FORM` (sine at alpha=beta=1, phi=0).

    relu: ``E[relu(u) relu(v)] = sqrt(q1 q2)/(2 pi) (sin th + (pi - th) cos th)``,
    ``E[H(u) H(v)] = (pi - th)/(2 pi)``, ``th = arccos(q12/sqrt(q1 q2))`` (Cho and Saul 2009).
    erf: ``E[erf(u) erf(v)] = (2/pi) arcsin(2 q12 / sqrt((1 + 2 q1)(1 + 2 q2)))``,
    ``E[erf'(u) erf'(v)] = (4/pi) / sqrt((1 + 2 q1)(1 + 2 q2) - 4 q12^2)`` (Williams 1997).
    The one-dimensional forms are the two-dimensional ones at ``q1 = q2 = q12 = q``.
    """
    if name not in CLOSED_FORM:
        raise ValueError(f"no closed form for {name!r}; closed forms exist for {', '.join(CLOSED_FORM)}")
    if name == "sin":
        unit = {alpha: 1, beta: 1, phi: 0}
        return {k: sp.simplify(e.subs(unit)) for k, e in sine_moments().items()}
    if name == "relu":
        theta = sp.acos(q12 / sp.sqrt(q1 * q2))
        ff = sp.sqrt(q1 * q2) / (2 * sp.pi) * (sp.sin(theta) + (sp.pi - theta) * sp.cos(theta))
        dfdf = (sp.pi - theta) / (2 * sp.pi)
        return {"f2": q / 2, "df2": sp.Rational(1, 2), "ff": ff, "dfdf": dfdf}
    ff = 2 / sp.pi * sp.asin(2 * q12 / sp.sqrt((1 + 2 * q1) * (1 + 2 * q2)))
    dfdf = 4 / sp.pi / sp.sqrt((1 + 2 * q1) * (1 + 2 * q2) - 4 * q12**2)
    diag = {q1: q, q2: q, q12: q}
    return {"f2": sp.simplify(ff.subs(diag)), "df2": sp.simplify(dfdf.subs(diag)), "ff": ff, "dfdf": dfdf}


# --------------------------------------------------------------------------------------------
# Numbers: closed form or Gauss-Hermite quadrature behind one interface
# --------------------------------------------------------------------------------------------


def activation_numpy(name: str) -> tuple[Callable, Callable]:
    """Float64 numpy callables ``(f, f')`` of activation ``name`` (sine at unit parameters)."""
    expr = activation_expr(name)
    if name == "sin":
        expr = expr.subs({alpha: 1, beta: 1, phi: 0})
    if name == "relu":  # derivative of max(z, 0) as the step function, H(0) = 1/2
        return to_numpy(expr, (z,)), (lambda x: np.heaviside(np.asarray(x, np.float64), 0.5))
    return to_numpy(expr, (z,)), to_numpy(sp.diff(expr, z), (z,))


@lru_cache(maxsize=None)
def _hermite(order: int) -> tuple[np.ndarray, np.ndarray]:
    """Probabilists' Gauss-Hermite nodes and weights normalised to a standard normal."""
    x, w = np.polynomial.hermite_e.hermegauss(order)
    return x, w / np.sqrt(2 * np.pi)


def quad_1d(fn: Callable, qv, order: int = DEFAULT_ORDER) -> np.ndarray:
    """``E[fn(z)]`` for ``z ~ N(0, qv)`` by Gauss-Hermite quadrature with ``order`` nodes."""
    x, w = _hermite(order)
    qv = np.asarray(qv, dtype=np.float64)
    vals = fn(np.sqrt(qv)[..., None] * x)
    return vals @ w


def quad_2d(fn_u: Callable, fn_v: Callable, q1v, q2v, q12v, order: int = DEFAULT_ORDER) -> np.ndarray:
    """``E[fn_u(u) fn_v(v)]`` for jointly Gaussian (u, v) by tensor-product Gauss-Hermite.

    Uses ``u = sqrt(q1) x1`` and ``v = rho sqrt(q2) x1 + sqrt(q2 (1 - rho^2)) x2`` with x1, x2
    standard normal and ``rho = q12 / sqrt(q1 q2)``; the sum over x2 is done first so memory is
    ``O(batch * order)``.
    """
    x, w = _hermite(order)
    q1v, q2v, q12v = np.broadcast_arrays(*(np.asarray(a, dtype=np.float64) for a in (q1v, q2v, q12v)))
    denom = np.sqrt(q1v * q2v)
    rho = np.clip(np.divide(q12v, denom, out=np.zeros_like(denom), where=denom > 0), -1.0, 1.0)
    s1, s2 = np.sqrt(q1v)[..., None], np.sqrt(q2v)[..., None]
    a = fn_u(s1 * x)  # (..., order) over x1
    mean_v = (rho[..., None] * s2 * x)[..., :, None]  # (..., order_x1, 1)
    sd_v = (np.sqrt(1 - rho**2)[..., None] * s2)[..., :, None]
    b = fn_v(mean_v + sd_v * x) @ w  # (..., order_x1): inner expectation over x2
    return (a * b) @ w


@dataclass(frozen=True)
class Expectations:
    """Float64 callables for the four Gaussian expectations of one activation.

    Attributes:
        name: the activation.
        method: ``"closed"`` or ``"quadrature"``.
        order: Gauss-Hermite order used by the quadrature method (None for closed forms).
    """

    name: str
    method: str
    order: int | None
    f2: Callable
    df2: Callable
    ff: Callable
    dfdf: Callable


@lru_cache(maxsize=None)
def expectations(name: str, method: str = "auto", order: int = DEFAULT_ORDER) -> Expectations:
    """The four expectations of activation ``name`` as vectorised float64 callables.

    Args:
        name: one of :data:`ACTIVATIONS` (sine means ``sin(z)``).
        method: ``"closed"``, ``"quadrature"`` or ``"auto"`` (closed form where one exists).
        order: Gauss-Hermite nodes per dimension for the quadrature method.

    Returns:
        An :class:`Expectations` with ``f2(q)``, ``df2(q)``, ``ff(q1, q2, q12)``, ``dfdf(q1, q2, q12)``.
    """
    _check_activation(name)
    choice(method, ("auto", "closed", "quadrature"), "method")
    if method == "auto":
        method = "closed" if name in CLOSED_FORM else "quadrature"
    if method == "closed":
        forms = closed_form_moments(name)
        if name == "sin":  # one exponential per term: no overflow at large variances
            forms = {k: exp_stable(v) for k, v in forms.items()}
        return Expectations(
            name, "closed", None,
            f2=to_numpy(forms["f2"], (q,)), df2=to_numpy(forms["df2"], (q,)),
            ff=to_numpy(forms["ff"], (q1, q2, q12)), dfdf=to_numpy(forms["dfdf"], (q1, q2, q12)),
        )
    if not 2 <= order <= MAX_ORDER:
        raise ValueError(f"quadrature order must be between 2 and {MAX_ORDER}, got {order}")
    f, df = activation_numpy(name)
    return Expectations(
        name, "quadrature", order,
        f2=lambda qv: quad_1d(lambda x: f(x) ** 2, qv, order),
        df2=lambda qv: quad_1d(lambda x: df(x) ** 2, qv, order),
        ff=lambda a, b, ab: quad_2d(f, f, a, b, ab, order),
        dfdf=lambda a, b, ab: quad_2d(df, df, a, b, ab, order),
    )
