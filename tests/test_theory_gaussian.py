"""Gaussian expectations: sympy identities, closed forms vs quadrature vs adaptive integration.

Tiers and tolerances:
* exact algebra -- sympy proves the identity (difference simplifies to 0);
* closed form vs Gauss-Hermite quadrature -- float64, 1e-10, at the stated order (96 nodes per
  dimension; the sine integrands are entire functions, for which the error decays faster than
  any power of the order);
* closed forms with a kink (relu) -- against scipy's adaptive quadrature (its own error estimate
  is ~1e-10), tolerance 1e-8;
* Price's theorem, d E[f(u)f(v)] / d q12 = E[f'(u)f'(v)], by a central difference of step 1e-5:
  truncation error O(h^2 * third derivative) ~ 1e-10, rounding ~ eps/h ~ 1e-11; tolerance 1e-7.
"""

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate

from initaudit.theory import gaussian as g
from initaudit.theory.symbolic import q, q1, q2, q12, t, z

ORDER = 96
SETTINGS = settings(max_examples=40, deadline=None, derandomize=True)


def test_characteristic_function_is_gaussian():
    assert sp.simplify(g.characteristic_function() - sp.exp(-q * t**2 / 2)) == 0


@pytest.mark.parametrize("key,expr", [
    ("f2", g.activation_expr("sin") ** 2),
    ("df2", sp.diff(g.activation_expr("sin"), z) ** 2),
])
def test_sine_one_dimensional_moments_match_direct_sympy_integration(key, expr):
    qp = sp.Symbol("qp", positive=True)
    density = sp.exp(-z**2 / (2 * qp)) / sp.sqrt(2 * sp.pi * qp)
    direct = sp.integrate(sp.expand(sp.expand_trig(expr).rewrite(sp.exp)) * density,
                          (z, -sp.oo, sp.oo), conds="none")
    derived = g.sine_moments()[key].subs(q, qp)
    assert sp.simplify(sp.expand((direct - derived).rewrite(sp.exp))) == 0


def test_sine_moments_reduce_to_one_dimensional_forms_on_the_diagonal():
    m = g.sine_moments()
    diag = {q1: q, q2: q, q12: q}
    assert sp.simplify(m["ff"].subs(diag) - m["f2"]) == 0
    assert sp.simplify(m["dfdf"].subs(diag) - m["df2"]) == 0


def test_gaussian_expectation_rejects_non_trigonometric_input():
    with pytest.raises(ValueError, match="cannot take the expectation"):
        g.gaussian_expectation(z**2, (z,), sp.Matrix([[q]]))


@SETTINGS
@given(
    amp=st.floats(0.2, 2.0), freq=st.floats(0.2, 2.0), phase=st.floats(-np.pi, np.pi),
    qa=st.floats(0.0, 3.0), qb=st.floats(0.0, 3.0), rho=st.floats(-1.0, 1.0),
)
def test_general_sine_moments_match_quadrature(amp, freq, phase, qa, qb, rho):
    sub = {g.alpha: amp, g.beta: freq, g.phi: phase}
    m = {k: sp.lambdify((q, q1, q2, q12), e.subs(sub), "numpy") for k, e in g.sine_moments().items()}
    f = lambda x: amp * np.sin(freq * x + phase)  # noqa: E731
    df = lambda x: amp * freq * np.cos(freq * x + phase)  # noqa: E731
    qab = rho * np.sqrt(qa * qb)
    assert m["f2"](qa, 0, 0, 0) == pytest.approx(g.quad_1d(lambda x: f(x) ** 2, qa, ORDER), abs=1e-10)
    assert m["df2"](qa, 0, 0, 0) == pytest.approx(g.quad_1d(lambda x: df(x) ** 2, qa, ORDER), abs=1e-10)
    assert m["ff"](0, qa, qb, qab) == pytest.approx(g.quad_2d(f, f, qa, qb, qab, ORDER), abs=1e-10)
    assert m["dfdf"](0, qa, qb, qab) == pytest.approx(g.quad_2d(df, df, qa, qb, qab, ORDER), abs=1e-10)


@pytest.mark.parametrize("name,order,qmax", [("sin", ORDER, 5.0), ("erf", 200, 2.5)])
def test_smooth_closed_forms_match_quadrature(name, order, qmax):
    # erf(sqrt(q) z) steepens and erf'(sqrt(q) z) narrows as q grows, so Gauss-Hermite needs more
    # nodes: at q = 5, 200 nodes still leave 3e-9 on E[f'^2]; up to q = 2.5 they give < 1e-10.
    closed, quad = g.expectations(name, "closed"), g.expectations(name, "quadrature", order)
    qs = np.array([0.0, 0.05, 0.5, 1.0, 2.5, 5.0])
    qs = qs[qs <= qmax]
    np.testing.assert_allclose(closed.f2(qs), quad.f2(qs), atol=1e-10, rtol=0)
    np.testing.assert_allclose(closed.df2(qs), quad.df2(qs), atol=1e-10, rtol=0)
    a, b = np.meshgrid(qs[1:], qs[1:])
    for rho in (-0.9, -0.3, 0.0, 0.5, 0.99):
        ab = rho * np.sqrt(a * b)
        np.testing.assert_allclose(closed.ff(a, b, ab), quad.ff(a, b, ab), atol=1e-10, rtol=0)
        np.testing.assert_allclose(closed.dfdf(a, b, ab), quad.dfdf(a, b, ab), atol=1e-10, rtol=0)


def _relu_reference(qa, qb, qab):
    """E[relu(u) relu(v)] and E[H(u) H(v)] by one adaptive integral over u.

    Given u = sqrt(qa) x, v is Gaussian with mean m = x qab/sqrt(qa) and variance
    s^2 = qb - qab^2/qa, and E[relu(v) | x] = m Phi(m/s) + s phi(m/s) (rectified Gaussian),
    P(v > 0 | x) = Phi(m/s). Only x > 0 contributes.
    """
    from scipy.stats import norm

    s = np.sqrt(qb - qab**2 / qa)

    def cond(x):
        m = x * qab / np.sqrt(qa)
        return m, m / s

    ff = integrate.quad(lambda x: np.sqrt(qa) * x * (cond(x)[0] * norm.cdf(cond(x)[1])
                        + s * norm.pdf(cond(x)[1])) * norm.pdf(x), 0, np.inf, epsabs=1e-13, epsrel=1e-13)[0]
    dd = integrate.quad(lambda x: norm.cdf(cond(x)[1]) * norm.pdf(x), 0, np.inf, epsabs=1e-13, epsrel=1e-13)[0]
    return ff, dd


@pytest.mark.parametrize("qa,qb,rho", [(1.0, 1.0, 0.3), (0.5, 2.0, -0.6), (1.5, 0.7, 0.9)])
def test_relu_arc_cosine_kernel_matches_adaptive_quadrature(qa, qb, rho):
    e = g.expectations("relu")
    qab = rho * np.sqrt(qa * qb)
    ff, dd = _relu_reference(qa, qb, qab)
    assert float(e.ff(qa, qb, qab)) == pytest.approx(ff, abs=1e-10)
    assert float(e.dfdf(qa, qb, qab)) == pytest.approx(dd, abs=1e-10)
    assert float(e.f2(qa)) == pytest.approx(qa / 2, abs=1e-15)


@pytest.mark.parametrize("name", ["tanh", "gelu"])
def test_quadrature_only_activations_match_adaptive_quadrature(name):
    e = g.expectations(name)
    assert e.method == "quadrature"
    fn = {"tanh": np.tanh, "gelu": lambda x: x * (1 + __import__("scipy").special.erf(x / np.sqrt(2))) / 2}[name]
    for qv in (0.1, 1.0, 2.0):
        ref, _ = integrate.quad(lambda x: fn(np.sqrt(qv) * x) ** 2 * np.exp(-x**2 / 2) / np.sqrt(2 * np.pi),
                                -np.inf, np.inf, epsabs=1e-13, epsrel=1e-13)
        # tanh has poles at +-i pi/2, so Gauss-Hermite converges geometrically but not
        # super-geometrically: 96 nodes resolve it to ~1e-7 at q = 2 (measured against 400 nodes).
        assert float(e.f2(qv)) == pytest.approx(ref, abs=1e-6)


@pytest.mark.parametrize("name", ["sin", "relu", "erf", "tanh", "gelu"])
def test_price_theorem_links_ff_and_dfdf(name):
    e = g.expectations(name)
    h = 1e-5
    for qa, qb, rho in [(1.0, 1.0, 0.2), (0.6, 1.4, -0.5), (2.0, 0.8, 0.7)]:
        qab = rho * np.sqrt(qa * qb)
        deriv = (e.ff(qa, qb, qab + h) - e.ff(qa, qb, qab - h)) / (2 * h)
        assert float(deriv) == pytest.approx(float(e.dfdf(qa, qb, qab)), abs=1e-7)


def test_unknown_activation_and_method_list_valid_choices():
    with pytest.raises(ValueError, match="valid activations are sin, relu, tanh, erf, gelu"):
        g.expectations("swish")
    with pytest.raises(ValueError, match="valid methods are auto, closed, quadrature"):
        g.expectations("sin", "exact")
    with pytest.raises(ValueError, match="closed forms exist for sin, relu, erf"):
        g.closed_form_moments("tanh")
