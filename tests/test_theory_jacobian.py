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
                                       ("orthogonal", "tanh"), ("kaiming_uniform", "relu")])
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


def test_bad_input():
    spec = catalogue.spec("edge_of_chaos", 1, 64, 1, "sin")
    with pytest.raises(ValueError, match="depth L >= 2"):
        jac.jacobian_moments(spec, np.array([0.1]))
    with pytest.raises(ValueError, match="hidden weight family"):
        jac.weight_moments("banded", 1.0, 2)
    with pytest.raises(ValueError, match="finite moments"):
        jac.s_transform([0.0, 1.0], 2)


def test_cli_json_keys(capsys):
    assert cli.main(["theory", "jacobian", "--init", "siren", "--depth", "5", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {"moments", "normalized_variance", "per_layer_variance", "law", "weights"} <= set(out)
    assert [m["k"] for m in out["moments"]] == [1, 2, 3, 4]
    m1, m2 = out["moments"][0]["value"], out["moments"][1]["value"]
    assert out["normalized_variance"] == pytest.approx(m2 / m1 ** 2 - 1, rel=1e-12)
    assert out["weights"] == "iid"


def test_cli_refuses_a_structured_initialiser(capsys):
    assert cli.main(["theory", "jacobian", "--init", "sinusoidal", "--depth", "4"]) == 2
    assert "deterministic" in capsys.readouterr().err
