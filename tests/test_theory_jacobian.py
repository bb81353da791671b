"""Moments of the end-to-end Jacobian by free probability (theory/jacobian.py).

* Products of Marchenko-Pastur laws: the Fuss-Catalan numbers (a published closed form),
  exact in float64 to 1e-12.
* Series algebra: S-transform and back is the identity (1e-12); a scaled identity matrix only
  rescales.
* The mean is prod chi_l of the mean field (theory.predict; 1e-12) and the normalised variance
  the closed form sum_l (v_W + v_{D_l}) (1e-12).
* Layer moments of a uniform first layer against the characteristic function (1e-12).
* Finite networks (width 256, depth 6): the measured normalised variance of the squared
  singular values within 5 standard errors plus the next order in 1/N, pred * L / N.
* The density (a pointwise solve, not the series): the Marchenko-Pastur law and the product of
  two (Penson and Zyczkowski 2011, closed form) in the bulk, and the free model itself sampled
  as large random matrices (layer laws drawn, Haar or Ginibre weights).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from initaudit.analysis import propagate as mc
from initaudit.figures import cli
from initaudit.models import catalogue
from initaudit.theory import jacobian as jac
from initaudit.theory.predict import predict


@pytest.mark.parametrize("n_factors", [1, 2, 3, 5])
def test_products_of_marchenko_pastur_laws_give_fuss_catalan_numbers(n_factors):
    order = 6
    got = jac.free_product_moments([jac.weight_moments("iid", 1.0, order)] * n_factors, order)
    want = [math.comb((n_factors + 1) * k, k) / (n_factors * k + 1) for k in range(1, order + 1)]
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_s_transform_round_trip_and_scaling():
    m = np.array([1.3, 2.9, 8.1, 25.7, 90.2])
    np.testing.assert_allclose(jac.moments_from_s(jac.s_transform(m, 5), 5), m, rtol=1e-12)
    scaled = jac.free_product_moments([m, jac.weight_moments("orthogonal", 2.0, 5)], 5)
    np.testing.assert_allclose(scaled, m * 2.0 ** np.arange(1, 6), rtol=1e-12)


@pytest.mark.parametrize("init", ["edge_of_chaos", "siren", "edge_of_chaos_sigma_a1"])
@pytest.mark.parametrize("law", ["exact", "gaussian"])
def test_mean_and_normalised_variance_closed_forms(init, law):
    spec = catalogue.spec(init, 2, 256, 7, "sin")
    x = np.array([0.3, -0.6])
    res = jac.jacobian_moments(spec, x, order=3, law=law)
    chi = predict(spec, x[None, :], law)["chi"][0]
    assert res["moments"][0] == pytest.approx(np.prod(chi[:-1]), rel=1e-12)
    assert res["normalized_variance"] == pytest.approx(res["per_layer_variance"].sum(), rel=1e-12)
    assert np.all(res["per_layer_variance"] > 1.0)  # i.i.d. weights add one per layer


def test_uniform_first_layer_derivative_moments_from_the_characteristic_function():
    """z_1 = w x with w ~ U(+-a): E cos^2 z = (1 + sinc(2 a x))/2 and
    E cos^4 z = 3/8 + sinc(2 a x)/2 + sinc(4 a x)/8 (sinc(t) = sin t / t)."""
    spec = catalogue.spec("edge_of_chaos", 1, 64, 3, "sin")
    x = 0.37
    a = math.sqrt(3.0 * spec.first.sigma_w2) * x
    sinc = lambda t: math.sin(t) / t  # noqa: E731
    got = jac.derivative_moments(spec, np.array([x]), 2)[0]
    assert got[0] == pytest.approx(0.5 + 0.5 * sinc(2 * a), rel=1e-12)
    assert got[1] == pytest.approx(3 / 8 + sinc(2 * a) / 2 + sinc(4 * a) / 8, rel=1e-12)


@pytest.mark.parametrize("init, act", [("edge_of_chaos", "sin"), ("siren", "sin"),
                                       ("orthogonal", "tanh"), ("kaiming_uniform", "relu"),
                                       ("edge_of_chaos_orthogonal", "sin"),
                                       ("edge_of_chaos_orthogonal_sigma_a1", "sin")])
def test_normalised_variance_matches_finite_networks(init, act):
    depth, width = 6, 256
    cfg = mc.JacobianConfig(init=init, activation=act, depth=depth, width=width, n_networks=4,
                            n_inputs=2, seed=3)
    s = mc.run_jacobian_cell(cfg)["summary"]
    measured, pred = s.normalized_variance.to_numpy(), s.predicted_normalized_variance.to_numpy()
    se = measured.std(ddof=1) / math.sqrt(len(measured))
    gap = abs(measured.mean() - pred.mean())
    assert gap <= 5 * se + pred.mean() * depth / width, (measured.mean(), pred.mean(), se)


def test_orthogonal_weights_are_nearly_isometric_and_iid_are_not():
    spec = catalogue.spec("orthogonal", 2, 256, 16, "tanh")
    x = np.array([0.2, 0.5])
    orth = jac.jacobian_moments(spec, x, order=2, weights="orthogonal")["normalized_variance"]
    iid = jac.jacobian_moments(spec, x, order=2, weights="iid")["normalized_variance"]
    assert orth < 1e-3 and iid > 15.0


def test_orthogonal_sigma_a0_spread_is_bounded_with_a_two_over_depth_tail():
    # Derivation (independent of the recursion): at sigma_w^2 = 1, sigma_b = 0 the hidden
    # variance obeys q' = (1 - e^{-2q}) / 2 = q - q^2 + O(q^3), so 1/q_l = l + O(log l) and
    # q_l ~ 1/l; each layer adds v_D(q) = E cos^4 z / (E cos^2 z)^2 - 1 = 2 q^2 + O(q^3) and no
    # weight term (orthogonal). The normalised variance converges, V(L) = V_inf - 2/L +
    # O(log L / L^2), so V(2L) - V(L) = 1/L to that order: at L = 512 the O(log L / L^2) terms
    # are ~ 2e-5 against 1/L ~ 2e-3; tolerance 5% of 1/L.
    from initaudit.analysis.experiments import mc_jacobian

    x = mc.sample_inputs(2, 2, seed=0)
    v = mc_jacobian.depth_theory("edge_of_chaos_orthogonal", 1024, 256, x).set_index("depth")
    for depth in (256, 512):
        gap = v.predicted.loc[2 * depth] - v.predicted.loc[depth]
        assert gap == pytest.approx(1.0 / depth, rel=0.05), (depth, gap)
    # while the i.i.d. point adds at least v_W = 1 per layer
    iid = mc_jacobian.depth_theory("edge_of_chaos", 64, 256, x).set_index("depth").predicted
    assert iid.loc[64] - iid.loc[32] > 32.0


def test_depth_theory_is_jacobian_moments_at_each_depth():
    # The cumulative sum over layers (additivity of the normalised variance under free
    # multiplicative convolution) against the full series composition at each depth; float64.
    from initaudit.analysis.experiments import mc_jacobian

    x = mc.sample_inputs(3, 2, seed=1)
    for init in mc_jacobian.DEPTH_INITS:
        cum = mc_jacobian.depth_theory(init, 9, 128, x).set_index("depth").predicted
        for depth in (2, 5, 9):
            spec = catalogue.spec(init, 2, 128, depth, "sin")
            direct = np.mean([jac.jacobian_moments(spec, xp, order=2,
                                                   weights=catalogue.get(init).matrix)
                              ["normalized_variance"] for xp in x])
            assert cum.loc[depth] == pytest.approx(direct, rel=1e-10)


def _smoothing_tolerance(delta):
    # A Cauchy kernel of relative half-width delta moves a smooth density by O(delta) relative in
    # the bulk; 20 delta leaves room for the curvature near the points tested.
    return 20 * delta


def test_density_is_marchenko_pastur_for_one_iid_factor():
    x = np.linspace(0.05, 3.8, 40)
    mp = np.sqrt((4 - x) * x) / (2 * np.pi * x)
    got = jac.free_product_density([("iid", 1.0)], x)
    np.testing.assert_allclose(got, mp, rtol=_smoothing_tolerance(jac.DENSITY_DELTA))
    # scale: sigma^2 = 2.5 stretches the law by 2.5
    got = jac.free_product_density([("iid", 2.5)], 2.5 * x)
    np.testing.assert_allclose(got * 2.5, mp, rtol=_smoothing_tolerance(jac.DENSITY_DELTA))


def _fuss_catalan_two(x):
    """Penson and Zyczkowski (2011, Phys. Rev. E 83, 061118), the density of the product of two
    square Ginibre factors (W_1 W_2 (W_1 W_2)^T), support (0, 27/4]."""
    a = 27 + 3 * np.sqrt(81 - 12 * x)
    return (2 ** (1 / 3) * np.sqrt(3) / (12 * np.pi) * (2 ** (1 / 3) * a ** (2 / 3) - 6 * x ** (1 / 3))
            / (x ** (2 / 3) * a ** (1 / 3)))


def test_density_of_two_iid_factors_is_the_fuss_catalan_closed_form():
    from scipy.integrate import quad

    # the closed form as recalled: its moments are the Fuss-Catalan numbers 1, 1, 3, 12
    moments = [quad(lambda t, k=k: t ** k * _fuss_catalan_two(t), 0, 27 / 4, limit=200)[0]
               for k in range(4)]
    np.testing.assert_allclose(moments, [1, 1, 3, 12], rtol=1e-8)
    x = np.geomspace(1e-3, 6.0, 40)
    got = jac.free_product_density([("iid", 1.0), ("iid", 1.0)], x)
    np.testing.assert_allclose(got, _fuss_catalan_two(x), rtol=_smoothing_tolerance(jac.DENSITY_DELTA))


@pytest.mark.parametrize("init", ["edge_of_chaos", "edge_of_chaos_orthogonal_sigma_a1"])
def test_density_matches_large_random_matrices_of_the_free_model(init):
    # The free model sampled: f'(z_l)^2 drawn from each layer's law (finely binned), i.i.d.
    # Gaussian or Haar weights of the layer's variance, N = 1000, two draws. The survival function
    # of s^2 (from the top: the infinite-width law has mass far below any finite grid) against
    # the integral of the density. Eigenvalues of one draw sit O(1/N) from their quantiles
    # (rigidity) and the smoothing moves the CDF by O(delta): tolerance 0.02 > 10 (1/N + delta).
    rng = np.random.default_rng(7)
    spec = catalogue.spec(init, 2, 256, 4, "sin")
    xp = np.array([0.3, -0.5])
    weights = catalogue.get(init).matrix
    n = 1000
    laws = jac.derivative_laws(spec, xp, bins=4096)
    ev = []
    for _ in range(2):
        prod = np.eye(n)
        for l, (edges, _) in enumerate(laws):
            k = rng.integers(0, len(edges) - 1, n)
            d2 = edges[k] + (edges[k + 1] - edges[k]) * rng.random(n)
            sw2 = spec.layers()[l + 1].sigma_w2
            g = rng.standard_normal((n, n))
            if weights == "iid":
                w = g * math.sqrt(sw2 / n)
            else:
                q, r = np.linalg.qr(g)
                w = q * np.sign(np.diag(r)) * math.sqrt(sw2)
            prod = w @ (np.sqrt(d2)[:, None] * prod)
        ev.append(np.linalg.svd(prod, compute_uv=False) ** 2)
    ev = np.sort(np.concatenate(ev))
    grid = ev.mean() * np.geomspace(1e-7, 1e2, 400)
    dens = jac.jacobian_density(spec, xp, grid, weights=weights)
    f = np.where(np.isfinite(dens), dens * grid, 0.0)
    lx = np.log(grid)
    cdf = np.concatenate([[0.0], np.cumsum(0.5 * (f[1:] + f[:-1]) * np.diff(lx))])
    survival_theory = cdf[-1] - cdf
    survival_sampled = 1.0 - np.searchsorted(ev, grid) / ev.size
    assert np.max(np.abs(survival_theory - survival_sampled)) < 0.02


def test_density_of_one_binned_law_is_that_law():
    # One piecewise-uniform factor (alone, or after a scaled identity) is its own free product:
    # uniform on [0.5, 2] has density 2/3 inside; smoothing moves it by O(delta) away from the
    # edges (points at least 0.05 inside).
    edges, masses = np.linspace(0.5, 2.0, 257), np.ones(256)
    x = np.linspace(0.55, 1.95, 30)
    got = jac.free_product_density([("bins", (edges, masses))], x)
    np.testing.assert_allclose(got, 2 / 3, rtol=_smoothing_tolerance(jac.DENSITY_DELTA))
    got = jac.free_product_density([("orthogonal", 2.0), ("bins", (edges, masses))], 2 * x)
    np.testing.assert_allclose(2 * got, 2 / 3, rtol=_smoothing_tolerance(jac.DENSITY_DELTA))
    # depth 2 with orthogonal weights is that case: J J^T = sigma_w^2 W diag(cos^2 z_1) W^T
    spec = catalogue.spec("edge_of_chaos_orthogonal", 2, 256, 2, "sin")
    xp = np.array([0.3, -0.5])
    s2 = np.geomspace(1e-3, 0.99, 40)
    assert np.all(np.isfinite(jac.jacobian_density(spec, xp, s2, weights="orthogonal")))


def test_density_refuses_bad_input():
    with pytest.raises(ValueError, match="positive finite"):
        jac.free_product_density([("iid", 1.0)], np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="factor kind"):
        jac.free_product_density([("banded", 1.0)], np.array([1.0]))
    with pytest.raises(ValueError, match="increasing edges"):
        jac.free_product_density([("bins", (np.array([1.0, 0.5]), np.array([1.0])))],
                                 np.array([1.0]))


def test_bad_input():
    spec = catalogue.spec("edge_of_chaos", 1, 64, 1, "sin")
    with pytest.raises(ValueError, match="depth L >= 2"):
        jac.jacobian_moments(spec, np.array([0.1]))
    with pytest.raises(ValueError, match="hidden weight family"):
        jac.weight_moments("banded", 1.0, 2)
    with pytest.raises(ValueError, match="finite moments"):
        jac.s_transform([0.0, 1.0], 2)


def test_cli_json_keys(capsys):
    assert cli.main(["theory", "jacobian", "--init", "siren", "--depth", "5", "--json",
                     "--density-points", "31"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {"moments", "normalized_variance", "per_layer_variance", "law", "weights"} <= set(out)
    assert [m["k"] for m in out["moments"]] == [1, 2, 3, 4]
    m1, m2 = out["moments"][0]["value"], out["moments"][1]["value"]
    assert out["normalized_variance"] == pytest.approx(m2 / m1 ** 2 - 1, rel=1e-12)
    assert out["weights"] == "iid"
    # the density on m_1 x [1e-6, 1e3], every point reached: non-negative, and holding most of
    # the mass (the i.i.d. law has some below 1e-6 m_1)
    s2 = np.array([d["s2"] for d in out["density"]])
    val = np.array([d["value"] for d in out["density"]])
    assert len(s2) == 31 and np.all(val >= 0) and np.all(np.diff(s2) > 0)
    mass = np.sum(0.5 * (val[1:] * s2[1:] + val[:-1] * s2[:-1]) * np.diff(np.log(s2)))
    assert 0.5 < mass < 1.05


def test_cli_refuses_a_structured_initialiser(capsys):
    assert cli.main(["theory", "jacobian", "--init", "sinusoidal", "--depth", "4"]) == 2
    assert "deterministic" in capsys.readouterr().err
