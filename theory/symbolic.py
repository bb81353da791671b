"""The one gateway from sympy expressions to float64 numpy callables.

Every closed form in :mod:`theory` is a sympy expression; numbers are obtained only through
:func:`to_numpy`, which lambdifies once per (expression, argument list) and caches the result.
The same expressions are printed to LaTeX for the paper (:mod:`theory.latex`), so the formula
on the page and the one that produces the numbers cannot drift apart.

Numerical conventions of the gateway:

* ``LambertW(x)`` and ``LambertW(x, -1)`` map to the real part of :func:`scipy.special.lambertw`
  (the theory only evaluates it on the real branch, ``x >= -1/e``).
* ``acos`` and ``asin`` clip their argument to [-1, 1]. They only ever receive correlation
  coefficients, which rounding can push a few ulps outside that interval.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
import scipy.special
import sympy as sp

# Symbols shared by every module of ``theory`` (one definition, one meaning).
z = sp.Symbol("z", real=True)
u, v = sp.symbols("u v", real=True)
t = sp.Symbol("t", real=True)
q = sp.Symbol("q", nonnegative=True)
q1, q2 = sp.symbols("q_1 q_2", nonnegative=True)
q12 = sp.Symbol("q_12", real=True)
c = sp.Symbol("c", real=True)
sigma_w2 = sp.Symbol("sigma_w^2", positive=True)
sigma_b2 = sp.Symbol("sigma_b^2", nonnegative=True)
c_w = sp.Symbol("c_w", positive=True)
c_b = sp.Symbol("c_b", nonnegative=True)


def _lambertw(x, k=0):
    # Arguments of the form -s e^{-s} are >= -1/e mathematically; rounding can put them an ulp
    # below the branch point, where scipy returns a complex value.
    # scipy returns nan at the rounded branch point itself, where W = -1 on both branches.
    x = np.asarray(x, dtype=np.float64)
    at_branch = x <= -np.exp(-1.0)
    w = np.real(scipy.special.lambertw(np.where(at_branch, 0.0, x), k))
    return np.where(at_branch, -1.0, w)


def _clipped(fn):
    def wrapped(x):
        return fn(np.clip(x, -1.0, 1.0))

    return wrapped


_MODULES = [
    {
        "LambertW": _lambertw,
        "acos": _clipped(np.arccos),
        "asin": _clipped(np.arcsin),
        "erf": scipy.special.erf,
    },
    "numpy",
]


_CACHE: dict[tuple[sp.Expr, tuple[sp.Symbol, ...]], Callable] = {}


def exp_stable(expr: sp.Expr) -> sp.Expr:
    """``expr`` with every product of exponentials combined into one exponential per term.

    The derived forms factor as ``(e^{2 q_12} - 1) e^{-(q_1 + q_2)/2 - q_12} / 2``, which
    overflows in float64 once ``q_12`` passes about 350 (the first layer of a SIREN with
    omega_0 = 30 reaches ``q = 600``) although the value is O(1); as a sum of
    ``e^{-(q_1 + q_2)/2 +- q_12}`` every exponent is at most 0 for a valid covariance.
    """
    return sp.powsimp(sp.expand(expr), combine="exp")


def to_numpy(expr: sp.Expr, args: Sequence[sp.Symbol]) -> Callable[..., np.ndarray]:
    """Float64 numpy callable for ``expr`` with positional arguments ``args``.

    Args:
        expr: a sympy expression whose free symbols are all in ``args``.
        args: the symbols, in the order the callable takes them.

    Returns:
        A vectorised function returning ``np.float64`` arrays (broadcasting its arguments).

    Raises:
        ValueError: if ``expr`` has free symbols that are not among ``args``.
    """
    args = tuple(args)
    key = (expr, args)
    fn = _CACHE.get(key)
    if fn is None:
        missing = expr.free_symbols - set(args)
        if missing:
            raise ValueError(
                f"expression has free symbols {sorted(map(str, missing))} that are not arguments "
                f"{[str(a) for a in args]}; substitute numbers for them first"
            )
        raw = sp.lambdify(args, expr, modules=_MODULES)

        def fn(*values, _raw=raw):
            arrays = [np.asarray(x, dtype=np.float64) for x in values]
            out = _raw(*arrays)
            return np.broadcast_to(np.asarray(out, dtype=np.float64), np.broadcast(*arrays).shape
                                   if arrays else ()).copy()

        _CACHE[key] = fn
    return fn
