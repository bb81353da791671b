"""theory.laws: the expectations of the theory under the laws the networks draw.

Checked against what does not share their code:
* sympy identities (exact): with normal laws the derived forms are the Gaussian closed forms of
  :mod:`theory.gaussian` (a normal first layer is Gaussian; a normal bias keeps G + B Gaussian);
* brute-force tensor-product quadrature over the draws themselves (Gauss-Legendre for uniform
  draws, Gauss-Hermite for the Gaussian part), float64, at 1e-10 relative (the integrands are
  entire functions and the orders stated resolve them);
* direct Monte Carlo of the draws, with a tolerance of 5 standard errors, where the integrand has
  a kink (relu).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp

from initaudit.theory import laws
from initaudit.theory.gaussian import closed_form_moments
from initaudit.theory.symbolic import q1, q2, q12


def _gl(order, half_width):
    x, w = np.polynomial.legendre.leggauss(order)
    return half_width * x, w / 2.0


def _gh(order):
    x, w = np.polynomial.hermite_e.hermegauss(order)
    return x, w / math.sqrt(2 * math.pi)


# ---------------------------------------------------------------------------------------------
# Exact algebra


def test_uniform_characteristic_function_is_sinc():
    expr = laws.uniform_characteristic_function()
    # sympy's sinc is sin(x)/x; at v_b = 1/3 the half-width is 1
    assert sp.simplify(expr.subs(laws.v_b, sp.Rational(1, 3)) - sp.sinc(sp.Symbol("t", real=True))) == 0


@pytest.mark.parametrize("key", ["ff", "dfdf"])
def test_normal_bias_gives_the_gaussian_closed_forms(key):
    forms = laws.sine_hidden_forms("normal")
    gauss = closed_form_moments("sin")[key].subs({q1: laws.s_u + laws.v_b, q2: laws.s_v + laws.v_b,
                                                  q12: laws.s_uv + laws.v_b})
    assert sp.simplify(sp.expand(forms[key] - gauss, power_exp=True)) == 0


@pytest.mark.parametrize("d", [1, 2, 3])
@pytest.mark.parametrize("key", ["ff", "dfdf"])
def test_normal_first_layer_gives_the_gaussian_closed_forms(d, key):
    forms = laws.sine_first_layer_forms(d, "normal", "normal")
    xs, ys = forms["args"][:d], forms["args"][d:2 * d]
    dot = lambda a, b: sum(i * j for i, j in zip(a, b))  # noqa: E731
    k = lambda a, b: laws.v_w * dot(a, b) + laws.v_b  # noqa: E731 - K_1 = sigma_w0^2 x.y/d + sigma_b0^2
    gauss = closed_form_moments("sin")[key].subs({q1: k(xs, xs), q2: k(ys, ys), q12: k(xs, ys)},
                                                 simultaneous=True)
    assert sp.simplify(sp.expand(forms[key] - gauss, power_exp=True)) == 0


# ---------------------------------------------------------------------------------------------
# Against quadrature over the draws


@pytest.mark.parametrize("d,omega0,cb,order", [(1, 30.0, 0.0, 220), (2, 30.0, 0.0, 160),
                                               (2, 30.0, 15.0, 160), (1, 5.0, 1.3, 80)])
def test_sine_first_layer_matches_quadrature_over_the_draws(d, omega0, cb, order):
    """Uniform first layer W_0 ~ U(+-omega0/d), b_0 ~ U(+-cb): E sin u sin v and E cos u cos v
    by Gauss-Legendre over the d + 1 draws (``order`` nodes each), 1e-10 relative to E f^2."""
    rng = np.random.default_rng(0)
    xa, xb = rng.uniform(-1, 1, (3, d)), rng.uniform(-1, 1, (3, d))
    a = omega0 / d
    sw02, sb02 = d * a * a / 3.0, cb * cb / 3.0
    got = laws.first_layer_terms("sin", xa, xb, sw02, sb02, "uniform")
    nodes, wts = _gl(order, 1.0)
    grids = np.meshgrid(*([nodes] * (d + 1)), indexing="ij")
    w = np.prod(np.meshgrid(*([wts] * (d + 1)), indexing="ij"), axis=0)
    for p in range(3):
        u = sum(a * grids[k] * xa[p, k] for k in range(d)) + cb * grids[d]
        v = sum(a * grids[k] * xb[p, k] for k in range(d)) + cb * grids[d]
        ff, dfdf = np.sum(w * np.sin(u) * np.sin(v)), np.sum(w * np.cos(u) * np.cos(v))
        assert got.ff[p] == pytest.approx(ff, abs=1e-10)
        assert got.dfdf[p] == pytest.approx(dfdf, abs=1e-10)


def test_the_one_dimensional_first_layer_kernel_is_a_sinc_not_a_gaussian():
    """d = 1, W_0 ~ U(+-30), no bias: E cos(u - v) = sinc(30 D) with D = x - y; the Gaussian law
    of the same variance gives exp(-150 D^2). At D = 0.1 they are sin(3)/3 = 0.047 and exp(-1.5)
    = 0.22."""
    x, y = np.array([[0.3]]), np.array([[0.4]])
    exact = laws.first_layer_terms("sin", x, y, 300.0, 0.0, "uniform")
    gauss = laws.first_layer_terms("sin", x, y, 300.0, 0.0, "uniform", law="gaussian")
    cos_minus = lambda t: float(t.ff[0] + t.dfdf[0])  # noqa: E731 - E cos(u - v)
    assert cos_minus(exact) == pytest.approx(math.sin(3.0) / 3.0, abs=1e-12)
    assert cos_minus(gauss) == pytest.approx(math.exp(-1.5), abs=1e-12)


@pytest.mark.parametrize("su,sv,suv,sb2", [(0.8, 1.3, 0.4, 1.17), (0.05, 0.07, -0.02, 0.3),
                                           (2.0, 2.0, 2.0, 0.0833)])
def test_sine_hidden_uniform_bias_matches_quadrature(su, sv, suv, sb2):
    """u = G_u + B, v = G_v + B, B ~ U(+-c): Gauss-Hermite (2-D, order 60) x Gauss-Legendre
    (order 60) at 1e-10."""
    got = laws.hidden_terms("sin", su, sv, suv, sb2, "uniform")
    x, w = _gh(60)
    b, wb = _gl(60, math.sqrt(3 * sb2))
    # (G_u, G_v) = (sqrt(su) x1, rho sqrt(sv) x1 + sqrt(sv (1 - rho^2)) x2)
    rho = suv / math.sqrt(su * sv)
    x1, x2, bb = np.meshgrid(x, x, b, indexing="ij")
    wt = np.einsum("i,j,k->ijk", w, w, wb)
    gu = math.sqrt(su) * x1
    gv = rho * math.sqrt(sv) * x1 + math.sqrt(max(sv * (1 - rho * rho), 0.0)) * x2
    ff = np.sum(wt * np.sin(gu + bb) * np.sin(gv + bb))
    dfdf = np.sum(wt * np.cos(gu + bb) * np.cos(gv + bb))
    assert float(got.ff) == pytest.approx(ff, abs=1e-10)
    assert float(got.dfdf) == pytest.approx(dfdf, abs=1e-10)


def test_tanh_hidden_uniform_bias_matches_brute_force_quadrature():
    """The Gaussian value plus the difference of two quadratures (the package) against one direct
    quadrature at high order (Gauss-Hermite 2-D order 120 x Gauss-Legendre 80), 1e-9 (at these
    variances, q <= 0.5, the Gauss-Hermite value of the Gaussian part is resolved to 1e-13; see
    :data:`theory.gaussian.DEFAULT_ORDER`)."""
    su, sv, suv, sb2 = 0.2, 0.3, 0.1, 0.15
    got = laws.hidden_terms("tanh", su, sv, suv, sb2, "uniform")
    x, w = _gh(120)
    b, wb = _gl(80, math.sqrt(3 * sb2))
    rho = suv / math.sqrt(su * sv)
    x1, x2 = np.meshgrid(x, x, indexing="ij")
    w2 = np.outer(w, w)
    gu = math.sqrt(su) * x1
    gv = rho * math.sqrt(sv) * x1 + math.sqrt(sv * (1 - rho * rho)) * x2
    ff = sum(wk * np.sum(w2 * np.tanh(gu + bk) * np.tanh(gv + bk)) for bk, wk in zip(b, wb))
    dd = sum(wk * np.sum(w2 / np.cosh(gu + bk) ** 2 / np.cosh(gv + bk) ** 2)
             for bk, wk in zip(b, wb))
    assert float(got.ff) == pytest.approx(ff, rel=1e-9)
    assert float(got.dfdf) == pytest.approx(dd, rel=1e-9)


# ---------------------------------------------------------------------------------------------
# Against Monte Carlo of the draws (kinks)


def test_relu_laws_against_monte_carlo():
    """relu: a uniform first layer over two inputs and a uniform hidden bias, against 4e6 direct
    draws each (5 standard errors). The exact law is resolved where the Gaussian one is not."""
    rng = np.random.default_rng(1)
    n = 4_000_000
    xa, xb = np.array([0.9, -0.2]), np.array([0.1, 0.8])
    a = math.sqrt(3.0)
    w = rng.uniform(-a, a, (n, 2))
    u, v = w @ xa, w @ xb
    first = laws.first_layer_terms("relu", xa, xb, 2.0, 0.0, "uniform")
    for got, sample in ((first.ff, np.maximum(u, 0) * np.maximum(v, 0)),
                        (first.dfdf, ((u > 0) & (v > 0)).astype(float))):
        assert abs(float(got) - sample.mean()) <= 5 * sample.std() / math.sqrt(n)
    su, sv, suv, sb2 = 0.2, 0.3, -0.1, 1.0
    c = math.sqrt(3 * sb2)
    g = rng.standard_normal((n, 2)) @ np.linalg.cholesky([[su, suv], [suv, sv]]).T
    bias = rng.uniform(-c, c, n)
    hid = laws.hidden_terms("relu", su, sv, suv, sb2, "uniform")
    gauss = laws.hidden_terms("relu", su, sv, suv, sb2, "uniform", law="gaussian")
    sample = np.maximum(g[:, 0] + bias, 0) * np.maximum(g[:, 1] + bias, 0)
    se = sample.std() / math.sqrt(n)
    assert abs(float(hid.ff) - sample.mean()) <= 5 * se
    assert abs(float(gauss.ff) - sample.mean()) > 5 * se  # the law matters at this bias


def test_bad_law_is_refused():
    with pytest.raises(ValueError, match="valid laws are exact, gaussian"):
        laws.hidden_terms("sin", 1.0, 1.0, 0.5, 0.1, "uniform", law="uniform")
    with pytest.raises(ValueError, match="valid conventions are uniform, normal"):
        laws.first_layer_terms("sin", np.zeros(2), np.zeros(2), 1.0, 0.0, "cauchy")


@pytest.mark.parametrize("xp, sw2, sb2", [([0.4], 300.0, 0.0), ([0.3, -0.7], 2.0, 0.5),
                                          ([0.9], 1.0, 1.2)])
def test_first_layer_cos_against_quadrature_of_the_draws(xp, sw2, sb2):
    """E cos(t z_1) as a product of sinc terms against Gauss-Legendre over the uniform draws
    (1e-12 where the integrand is resolved: t h up to about 20 with 96 nodes per draw)."""
    from initaudit.theory.laws import (first_layer_cos, first_layer_half_widths,
                                       uniform_sum_quadrature)

    for t in (0.5, 1.0, 2.0):
        z, w = uniform_sum_quadrature(first_layer_half_widths(np.array(xp), sw2, sb2), 96)
        want = float(np.sum(w * np.cos(t * z)))
        got = first_layer_cos(t, np.array(xp), sw2, sb2, "uniform")
        assert got == pytest.approx(want, rel=1e-12, abs=1e-14)
    # normal draws: the Gaussian characteristic function at q_1 = sw2 |x|^2 / d + sb2
    q1 = sw2 * float(np.sum(np.square(xp))) / len(xp) + sb2
    assert first_layer_cos(1.5, np.array(xp), sw2, sb2, "normal") == pytest.approx(
        np.exp(-0.5 * 1.5 ** 2 * q1), rel=1e-14)
