"""Mean field of sine networks: closed forms vs root finding, the unit-gain curve, depth profiles.

The tests down to "uniform biases" check the Gaussian mean field (``law="gaussian"``, the
source's own theory); the ones after it the exact law of uniform biases.

Tolerances: float64 identities at 1e-10 (closed forms, Lambert W, root finding with xtol 1e-15).
Near the Lambert-W branch point (sigma_w^2 e^{-sigma_w^2 - 2 sigma_b^2} -> 1/e) W has a square-root
singularity, so an argument rounded by 1 ulp moves W by ~1e-8; tests that reach it say so.
"""

import math

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from initaudit.theory import meanfield as mf
from initaudit.theory import sine
from initaudit.theory.symbolic import c_w as cw_sym

SETTINGS = settings(max_examples=60, deadline=None, derandomize=True)
cw_domain = st.floats(sine.CW_MIN, sine.CW_MAX, exclude_max=True)


def test_unit_gain_curve_is_real_on_its_domain_symbolically():
    # c_b^2 = 3 - s - (3/2) ln(6/s - 1), s = c_w^2: zero at s = 3 with non-negative derivative.
    s = sp.Symbol("s", positive=True)
    cb2 = (sine.expressions()["unit_gain_cb"] ** 2).subs(cw_sym, sp.sqrt(s))
    assert sp.simplify(cb2.subs(s, 3)) == 0
    deriv = sp.simplify(sp.diff(cb2, s))
    assert sp.simplify(deriv - (-1 + 9 / (s * (6 - s)))) == 0


@SETTINGS
@given(sw2=st.floats(0.05, 4.0), sb2=st.floats(0.0, 3.0))
def test_lambert_fixed_point_matches_root_finding_and_is_fixed(sw2, sb2):
    closed = mf.fixed_point(sw2, sb2, "sin", method="closed", law="gaussian")
    assert closed >= 0
    assert float(mf.q_map(closed, sw2, sb2, law="gaussian")) == pytest.approx(closed, abs=1e-10)
    near_branch = abs(sw2 * math.exp(-sw2 - 2 * sb2) - math.exp(-1)) < 1e-3
    if not near_branch:
        root = mf.fixed_point(sw2, sb2, "sin", method="root", law="gaussian")
        assert root == pytest.approx(closed, abs=1e-10)


@SETTINGS
@given(sw2=st.floats(0.05, 4.0), sb2=st.floats(0.0, 3.0))
def test_closed_gain_and_slope_match_definitions(sw2, sb2):
    qs = float(sine.fixed_point_closed(sw2, sb2))
    assert float(sine.sigma_g2_closed(sw2, sb2)) == pytest.approx(
        float(mf.chi(qs, sw2, law="gaussian")), abs=1e-10)
    assert float(sine.q_slope_closed(sw2, sb2)) == pytest.approx(sw2 * math.exp(-2 * qs), abs=1e-10)
    assert float(sine.q_slope_closed(sw2, sb2)) <= 1 + 1e-12  # q* is always (marginally) stable


@SETTINGS
@given(cw=cw_domain)
def test_unit_gain_curve_has_unit_gain_and_nonnegative_fixed_point(cw):
    cb = sine.unit_gain_cb(cw)
    qs = sine.unit_gain_q_star(cw)
    assert qs >= 0 and cb >= 0
    sw2, sb2 = cw**2 / 3, cb**2 / 3
    # W_0 near its branch point (c_w -> sqrt(3)) is resolved only to ~1e-8 (module docstring).
    tol = 1e-10 if cw > sine.CW_MIN + 1e-3 else 1e-7
    assert float(sine.sigma_g2_closed(sw2, sb2)) == pytest.approx(1.0, abs=tol)
    assert float(mf.q_map(qs, sw2, sb2, law="gaussian")) == pytest.approx(qs, abs=1e-10)
    assert float(mf.chi(qs, sw2, law="gaussian")) == pytest.approx(1.0, abs=1e-10)


def test_named_points():
    assert sine.SIGMA_A0 == (pytest.approx(math.sqrt(3)), 0.0)
    assert sine.unit_gain_cb(math.sqrt(3)) == pytest.approx(0.0, abs=1e-7)
    cw, cb = sine.sigma_a1_point()
    assert cw**2 == pytest.approx(6 / (1 + math.exp(-2)), abs=1e-12)
    assert cb**2 == pytest.approx(6 * math.exp(-2) / (1 + math.exp(-2)), abs=1e-12)
    assert sine.unit_gain_cb(cw) == pytest.approx(cb, abs=1e-10)
    assert float(sine.fixed_point_closed(cw**2 / 3, cb**2 / 3)) == pytest.approx(1.0, abs=1e-10)
    assert sine.siren_reference_point(256) == (pytest.approx(math.sqrt(6)), pytest.approx(30 / 16))


@pytest.mark.parametrize("bad", [1.0, 1.7, 2.45, 3.0, float("nan"), float("inf"), -2.0])
def test_unit_gain_outside_domain_names_the_domain(bad):
    with pytest.raises(ValueError, match=r"\[sqrt\(3\), sqrt\(6\)\)"):
        sine.unit_gain_cb(bad)


@SETTINGS
@given(sw2=st.floats(0.1, 4.0), sb2=st.floats(0.0, 2.0), qa=st.floats(0.0, 10.0), dq=st.floats(1e-3, 5.0))
def test_q_map_is_increasing(sw2, sb2, qa, dq):
    assert (float(mf.q_map(qa + dq, sw2, sb2, law="gaussian"))
            > float(mf.q_map(qa, sw2, sb2, law="gaussian")))


@SETTINGS
@given(sw2=st.floats(0.1, 4.0), sb2=st.floats(0.01, 2.0), qa=st.floats(0.01, 10.0))
def test_c_equal_one_is_a_fixed_point_of_the_c_map(sw2, sb2, qa):
    assert float(mf.c_map(1.0, qa, sw2, sb2, law="gaussian")) == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("activation", ["sin", "tanh", "erf"])
def test_c_map_slope_at_one_is_chi_at_the_fixed_point(activation):
    sw2, sb2 = 1.6, 0.1
    qs = mf.fixed_point(sw2, sb2, activation, law="gaussian")
    assert float(mf.c_map_slope(1.0, qs, sw2, sb2, activation, law="gaussian")) == pytest.approx(
        float(mf.chi(qs, sw2, activation, law="gaussian")), abs=1e-9)


def test_mean_field_phases_and_depth_scales():
    ordered = mf.mean_field(0.5, 0.1, law="gaussian")
    assert ordered.phase == "ordered" and ordered.c_star == 1.0
    assert ordered.xi_c == pytest.approx(-1 / math.log(ordered.sigma_g2), rel=1e-12)
    chaotic = mf.mean_field(2.0, 0.0, law="gaussian")
    assert chaotic.phase == "chaotic" and chaotic.c_star == pytest.approx(0.0, abs=1e-12)
    assert chaotic.c_slope < 1 and math.isfinite(chaotic.xi_c)
    # c* is a fixed point of the c-map and the map is contracting there.
    s = mf.mean_field(2.0, 1.17, law="gaussian")
    assert float(mf.c_map(s.c_star, s.q_star, 2.0, 1.17, law="gaussian")) == pytest.approx(
        s.c_star, abs=1e-12)
    critical = mf.mean_field(*[c**2 / 3 for c in sine.sigma_a1_point()], law="gaussian")
    assert critical.phase == "critical" and math.isinf(critical.xi_c)
    edge = mf.mean_field(1.0, 0.0, law="gaussian")  # the sigma_a = 0 point: marginal in both maps
    assert edge.q_star == 0.0 and edge.sigma_g2 == pytest.approx(1.0, abs=1e-15)
    assert math.isinf(edge.xi_q) and math.isinf(edge.xi_c)


@pytest.mark.parametrize("activation,sw2,sb2", [("relu", 1.5, 0.05), ("tanh", 1.5, 0.05), ("erf", 2.0, 0.1)])
def test_baseline_fixed_points_are_fixed(activation, sw2, sb2):
    qs = mf.fixed_point(sw2, sb2, activation, law="gaussian")
    assert float(mf.q_map(qs, sw2, sb2, activation, law="gaussian")) == pytest.approx(qs, abs=1e-10)
    if activation == "relu":
        assert qs == pytest.approx(sb2 / (1 - sw2 / 2), abs=1e-12)


def test_relu_without_fixed_point_raises():
    with pytest.raises(ValueError, match="grows without bound"):
        mf.fixed_point(2.5, 0.1, "relu", law="gaussian")


def test_propagate_log_space_is_exact_at_depth_32_and_beyond():
    # q -> infinity makes chi -> sigma_w^2 / 2 exactly (e^{-2q} underflows to 0).
    for gain in (1.2, 0.5):
        prof = mf.propagate(1e4, [(2 * gain, 1e4)] * 32, law="gaussian")
        assert prof.log_grad_ratio[-1] == pytest.approx(32 * math.log(gain), abs=1e-10)
    # chi = 0.5 over 5000 layers: 2^-5000
    deep = mf.propagate(1e4, [(1.0, 1e4)] * 5000, law="gaussian")
    assert np.isfinite(deep.log_grad_ratio).all()
    assert deep.log_grad_ratio[-1] == pytest.approx(5000 * math.log(0.5), rel=1e-12)


def test_sigma_a0_asymptote_matches_iteration():
    # The expansion drops O(q^2) terms per step; summed they shift 1/q_l by O(q_1), i.e. a
    # relative error O(q_1^2) in q_l. Bound: q_1^2 (with constant 1).
    layers = np.arange(1, 201)
    for q1 in (0.01, 0.05, 0.1):
        prof = mf.propagate(q1, [(1.0, 0.0)] * 200, law="gaussian")
        q_as, ratio_as = sine.sigma_a0_asymptote(layers, q1)
        assert np.max(np.abs(q_as / prof.q - 1)) <= q1**2
        assert np.max(np.abs(ratio_as / prof.grad_ratio - 1)) <= q1**2
    # Power law, not a plateau: the ratio halves when the depth doubles (to O(1/l)).
    prof = mf.propagate(0.5, [(1.0, 0.0)] * 4000, law="gaussian")
    assert prof.grad_ratio[3999] / prof.grad_ratio[1999] == pytest.approx(0.5, abs=5e-3)


@pytest.mark.parametrize("call,message", [
    (lambda: mf.fixed_point(-1.0, 0.0, law="gaussian"), "non-negative"),
    (lambda: mf.fixed_point(1.0, float("nan"), law="gaussian"), "finite"),
    (lambda: mf.fixed_point(0.0, 0.1, law="gaussian"), "positive"),
    (lambda: mf.propagate(1.0, [], law="gaussian"), "depth must be at least 1"),
    (lambda: mf.propagate(float("nan"), [(1.0, 0.0)], law="gaussian"), "q_1"),
    (lambda: mf.fixed_point(1.0, 0.0, method="magic", law="gaussian"), "valid methods"),
    (lambda: sine.uniform_point(-1.0, 0.0), "c_w must be positive"),
    (lambda: sine.sigma_a0_asymptote([0, 1], 0.1), "starting at 1"),
])
def test_bad_input_raises_clear_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# --- uniform biases --------------------------------------------------------------------------


def _uniform_bias_moments(s, cb, order=96):
    """E cos^2(G + B), G ~ N(0, s), B ~ U(+-cb), by Gauss-Hermite x Gauss-Legendre quadrature."""
    x, w = np.polynomial.hermite_e.hermegauss(order)
    w = w / np.sqrt(2 * np.pi)
    y, v = np.polynomial.legendre.leggauss(order)
    v = v / 2
    z = np.sqrt(s) * x[:, None] + cb * y[None, :]
    return float(w @ np.cos(z) ** 2 @ v)


@pytest.mark.parametrize("s,cb", [(0.3, 0.5), (1.0, 1.2), (2.0, 0.1)])
def test_uniform_bias_characteristic_function_matches_quadrature(s, cb):
    # E cos^2 z = (1 + e^{-2s} sinc(2 cb)) / 2; integrand entire, quadrature exact to ~1e-14.
    closed = (1 + math.exp(-2 * s) * math.sin(2 * cb) / (2 * cb)) / 2
    assert closed == pytest.approx(_uniform_bias_moments(s, cb), abs=1e-12)


@SETTINGS
@given(cw=st.floats(sine.CW_MIN + 1e-6, sine.CW_MAX, exclude_max=True))
def test_uniform_bias_unit_gain_curve_has_unit_gain(cw):
    cb = sine.uniform_bias_unit_gain_cb(cw)
    assert 0 <= cb <= math.pi / 2
    mf_u = sine.uniform_bias_mean_field(cw, cb)
    # Near sqrt(3), T = sinc(2 c_b) -> 1 fixes c_b only to ~eps / c_b (sinc is flat at 0).
    tol = 1e-10 if cw > sine.CW_MIN + 1e-3 else 1e-7
    assert mf_u["sigma_g2"] == pytest.approx(1.0, abs=tol)
    assert mf_u["s_star"] == pytest.approx(cw**2 / 3 - 1, abs=tol)  # marginal there too


def test_uniform_bias_curve_meets_the_gaussian_one_at_small_bias():
    # Both curves solve f(c_b) = T(c_w): the Gaussian one with f = exp(-2c^2/3), the uniform one
    # with f = sinc(2c). They differ by (2/15 - 2/9) c^4 = -(4/45) c^4 and f' = -4c/3, so
    # c_gauss - c_unif = c^3/15 + O(c^5): relative next-order error O(c^2) ~ 5e-4 at c ~ 0.02.
    a, b = sine.unit_gain_cb(1.8), sine.uniform_bias_unit_gain_cb(1.8)
    assert a - b == pytest.approx(a**3 / 15, rel=1e-2)
    # ... and separate at larger c_b, where the uniform law needs a smaller bias.
    assert sine.uniform_bias_unit_gain_cb(2.4) < sine.unit_gain_cb(2.4) - 0.1


def test_uniform_bias_gain_agrees_with_the_law_exact_network_prediction():
    """Two code paths: the fixed-point formula and the layer-by-layer law-exact prediction."""
    from initaudit.theory import predict, spec

    cw, cb = sine.sigma_a1_point()  # the Gaussian-derived point, drawn with uniform biases
    net = spec.edge_of_chaos(2, 256, 60, sigma_a=1.0)
    pred = predict.predict(net, np.full((1, 2), 0.5))
    expected = sine.uniform_bias_mean_field(cw, cb)["sigma_g2"]
    assert pred["chi"][0, -2] == pytest.approx(expected, abs=1e-10)  # converged: q-slope 0.24
    assert expected < 0.995


def test_finite_width_bound_known_limits():
    """The first layer of a fixed input has no finite-width term; relu's q and chi have no
    bias at any order (F and G are linear and constant in s); the bound is O(1/N)."""
    import numpy as np

    from initaudit.theory import spec as tspec
    from initaudit.theory.finite_width import finite_width_bound
    from initaudit.theory.predict import predict

    x = np.array([[0.3, -0.5]])
    relu = tspec.he(2, 64, 6)
    b = finite_width_bound(relu, x, predict(relu, x), uniform_weights=True)
    assert b["q"][0] == 0.0 and np.all(b["q"] == 0.0) and np.all(b["chi"] == 0.0)
    sine = tspec.edge_of_chaos(2, 64, 6, sigma_a=1.0)
    wide = tspec.edge_of_chaos(2, 128, 6, sigma_a=1.0)
    b64 = finite_width_bound(sine, x, predict(sine, x), uniform_weights=True)
    b128 = finite_width_bound(wide, x, predict(wide, x), uniform_weights=True)
    assert b64["q"][0] == 0.0 and b64["q"][-1] > 0
    # leading order: doubling N halves the bound (float64 quadrature, same prediction)
    np.testing.assert_allclose(b128["q"][1:], b64["q"][1:] / 2, rtol=1e-9)


# --- the exact law through the mean-field functions --------------------------------------------


@SETTINGS
@given(cw=st.floats(0.8, 3.0), cb=st.floats(0.0, 3.0))
def test_exact_law_fixed_point_matches_the_root_of_the_uniform_bias_map(cw, cb):
    """Two code paths: the Lambert-W form of :func:`theory.sine.mean_field_law` through
    :func:`meanfield.mean_field`, and the bracketing root of ``s = sigma_w^2 (1 - e^{-2s}
    sinc(2 c_b))/2`` in :func:`theory.sine.uniform_bias_mean_field` (1e-10; near the Lambert-W
    branch point ~1e-7, see the module docstring)."""
    sw2, sb2 = cw**2 / 3, cb**2 / 3
    got = mf.mean_field(sw2, sb2)
    ref = sine.uniform_bias_mean_field(cw, cb)
    k = math.sin(2 * cb) / (2 * cb) if cb > 0 else 1.0
    tol = 1e-7 if abs(sw2 * k * math.exp(-sw2) - math.exp(-1)) < 1e-3 else 1e-10
    assert got.q_star == pytest.approx(ref["q_star"], abs=tol)
    assert got.sigma_g2 == pytest.approx(ref["sigma_g2"], abs=tol)
    assert float(mf.q_map(got.q_star, sw2, sb2)) == pytest.approx(got.q_star, abs=1e-9)
    assert got.stable  # the stable root: |slope| <= 1


def test_siren_at_width_256_is_ordered_under_the_exact_law_and_chaotic_under_the_gaussian():
    cw, cb = sine.siren_reference_point(256)  # (sqrt 6, 30/16): 2 c_b = 3.75 > pi, sinc < 0
    exact = mf.mean_field(cw**2 / 3, cb**2 / 3)
    gauss = mf.mean_field(cw**2 / 3, cb**2 / 3, law="gaussian")
    assert exact.phase == "ordered" and exact.sigma_g2 < 0.99
    assert gauss.phase == "chaotic" and gauss.sigma_g2 > 1.01
    # the q-map's slope is negative (iterates alternate about q*) and the depth scale uses |slope|
    assert exact.q_slope < 0 and exact.xi_q == pytest.approx(-1 / math.log(-exact.q_slope))
    assert exact.law == "exact" and gauss.law == "gaussian"


@pytest.mark.parametrize("activation,sw2,sb2", [("sin", 2.0, 1.17), ("sin", 1.6, 0.3),
                                                ("tanh", 1.6, 0.3)])
def test_exact_c_map_fixes_one_with_slope_chi(activation, sw2, sb2):
    qs = mf.fixed_point(sw2, sb2, activation)
    assert float(mf.c_map(1.0, qs, sw2, sb2, activation)) == pytest.approx(1.0, abs=1e-12)
    assert float(mf.c_map_slope(1.0, qs, sw2, sb2, activation)) == pytest.approx(
        float(mf.chi(qs, sw2, activation, sigma_b2=sb2)), abs=1e-9)


def test_exact_q_map_is_refused_below_the_bias_variance():
    with pytest.raises(ValueError, match="at least sigma_b"):
        mf.q_map(0.1, 2.0, 1.0)


def test_normal_bias_makes_the_two_laws_agree():
    a = mf.mean_field(2.0, 0.7, convention="normal")
    b = mf.mean_field(2.0, 0.7, law="gaussian")
    assert a.q_star == b.q_star and a.sigma_g2 == b.sigma_g2
