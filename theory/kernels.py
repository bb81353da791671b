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
``Theta(x, x) = sum_m q_m prod_{k >= m} chi_k`` in terms of :func:`theory.meanfield.propagate`;
the tests check the two computations against each other.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from initaudit.theory.gaussian import expectations
from initaudit.theory.spec import NetworkSpec


@dataclass(frozen=True)
class KernelResult:
    """Kernels of one network on one input set (P x P arrays, float64).

    Attributes:
        nngp: output NNGP ``K_{L+1}``.
        ntk: output NTK in the NTK parametrisation.
        ntk_sp_over_width: ``lim_{N -> inf} Theta_SP / N`` (standard parametrisation).
        nngp_layers: ``K_1 .. K_{L+1}`` stacked, shape (L+1, P, P).
    """

    nngp: np.ndarray
    ntk: np.ndarray
    ntk_sp_over_width: np.ndarray
    nngp_layers: np.ndarray


def _pairwise(fn2, fn1, k: np.ndarray) -> np.ndarray:
    """``fn2(K_ii, K_jj, K_ij)`` with the diagonal from the one-dimensional form ``fn1(K_ii)``.

    The two agree mathematically, but forms such as relu's ``arccos(q12 / sqrt(q1 q2))`` have a
    square-root singularity at correlation 1, where rounding costs half the digits.
    """
    d = np.diag(k)
    out = fn2(d[:, None], d[None, :], k)
    np.fill_diagonal(out, fn1(d))
    return out


def kernels(spec: NetworkSpec, x, method: str = "auto") -> KernelResult:
    """NNGP and NTK of the network described by ``spec`` on inputs ``x``.

    Args:
        spec: the network.
        x: inputs, shape (P, d_in) (a 1-D array is read as P scalar inputs when d_in = 1).
        method: expectation method passed to :func:`theory.gaussian.expectations`.

    Returns:
        A :class:`KernelResult`.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 1 and spec.d_in == 1:
        x = x[:, None]
    if x.ndim != 2 or x.shape[1] != spec.d_in:
        raise ValueError(f"inputs must have shape (P, {spec.d_in}), got {x.shape}")
    if x.shape[0] < 1 or not np.all(np.isfinite(x)):
        raise ValueError("inputs must be a non-empty array of finite numbers")
    e = expectations(spec.activation, method)
    layers = spec.layers()
    s0 = x @ x.T / spec.d_in
    k = layers[0].sigma_w2 * s0 + layers[0].sigma_b2
    theta = k.copy()
    theta_sp = np.zeros_like(k)
    ks = [k]
    for lv in layers[1:]:
        s = _pairwise(e.ff, e.f2, k)
        edot = _pairwise(e.dfdf, e.df2, k)
        k = lv.sigma_w2 * s + lv.sigma_b2
        theta = k + lv.sigma_w2 * edot * theta
        theta_sp = s + lv.sigma_w2 * edot * theta_sp
        ks.append(k)
    sym = lambda a: (a + a.T) / 2  # noqa: E731 - remove rounding asymmetry only
    return KernelResult(nngp=sym(k), ntk=sym(theta), ntk_sp_over_width=sym(theta_sp),
                        nngp_layers=np.stack([sym(a) for a in ks]))
