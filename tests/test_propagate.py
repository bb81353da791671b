r"""Monte-Carlo propagation (analysis.propagate) against the mean-field theory.

Tiers (STYLE.md, item 8):

* exact algebra: the trace formula for chi, the back-propagated gradients and the end-to-end
  Jacobian against torch autograd / torch.func in float64 (1e-9 relative);
* Monte-Carlo vs theory, with the tolerance derived below;
* unbiased estimators against each other (Hutchinson chi vs the trace formula) with the
  estimator's exact variance.

Tolerance of the Monte-Carlo vs theory tests
============================================

Every comparison is ``|measured - predicted| <= 5 SE + B_l`` where SE is the standard error over
the S independent networks and ``B_l = C_l / N`` bounds the finite-width bias, computed from the
leading order of the 1/N expansion by :func:`initaudit.theory.finite_width.finite_width_bound`
(its docstring has the derivation; ``test_finite_width_bias_matches_derivation`` checks it at
N = 32, the gradient's signed correction included).

The O(1) law effects (a 2-D input makes ``z_1`` a sum of two uniforms; a uniform bias of O(1)
variance keeps ``z_l`` a Gaussian plus a uniform) are not finite-width corrections. The registry
initializers are therefore compared with the theory under the laws they draw
(:func:`theory.predict.predict`, ``law="exact"``), and networks drawn from a spec with Gaussian
laws with the same function (for normal laws the two laws coincide); the test ``test_gaussian_theory_misses_uniform_bias``
records how far the Gaussian theory is from the uniform-bias networks.

Statistics: with S = 16 networks the standard error has 15 degrees of freedom and
``P(|t_15| > 5) = 1.6e-4`` per comparison; the default tests make a few hundred (correlated)
comparisons, so a false failure is unlikely, and being seeded, a test that fails fails always.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch

from initaudit.models import catalogue
from initaudit.analysis import propagate as mc
from initaudit.theory.finite_width import finite_width_bound, mean_correction
from initaudit.models.mlp import Ensemble

# ---------------------------------------------------------------------------------------------
# Helpers

#: The audited inits, each with the activation it is meant for.
CASES = [("siren", "sin"), ("edge_of_chaos", "sin"), ("edge_of_chaos_sigma_a1", "sin"),
         ("kaiming_uniform", "relu"), ("xavier_uniform", "tanh")]


def _check_against_theory(init, act, depth, width, n_networks, n_inputs, *, gaussian_laws,
                          seed=0):
    """Measure and compare; returns the table of failures (empty when everything agrees)."""
    x = mc.sample_inputs(n_inputs, 2, seed=0)
    sp = catalogue.spec(init, 2, width, depth, act)
    gen = torch.Generator().manual_seed(seed)
    if gaussian_laws:
        sp = sp.with_(convention="normal")
        ens = Ensemble.from_spec(sp, n_networks, gen, torch.float32)
        pred = mc.predict(sp, x)
    else:
        ens = Ensemble.from_init(init, 2, width, depth, n_networks, act, None, gen, torch.float32)
        pred = mc.predict(sp, x)
    meas = mc.measure(ens, x)
    table = mc.compare(meas, pred, per_network=False)
    bound = finite_width_bound(sp, x, pred, uniform_weights=not gaussian_laws)
    table["bound"] = np.concatenate([bound[qty] for qty in mc.QUANTITIES])
    table["tol"] = 5 * table.se + table.bound
    table["dev"] = (table.measured - table.predicted).abs()
    table.insert(0, "init", init)
    table.insert(1, "depth", depth)
    return table[table.dev > table.tol]


def _fmt(bad: pd.DataFrame) -> str:
    cols = ["init", "depth", "layer", "quantity", "measured", "predicted", "se", "bound", "z"]
    return bad[cols].to_string()


# ---------------------------------------------------------------------------------------------
# Monte-Carlo vs theory


@pytest.mark.parametrize("init,act", CASES, ids=[c[0] for c in CASES])
def test_registry_inits_match_law_exact_theory(init, act):
    """Registry initializers (their own uniform laws) at width 512, depths 4 and 16 (depths 8
    and 32 are in the Gaussian-law test below; all four, at two widths, in the slow grid)."""
    bad = pd.concat([_check_against_theory(init, act, depth, 512, 16, 16, gaussian_laws=False)
                     for depth in (4, 16)])
    assert bad.empty, "Monte-Carlo outside 5 SE + C/N:\n" + _fmt(bad)


@pytest.mark.parametrize("init,act", CASES, ids=[c[0] for c in CASES])
def test_gaussian_law_networks_match_mean_field(init, act):
    """Networks drawn from the same specs with Gaussian laws, where the Gaussian theory is exact
    at infinite width: width 512, depth 32 (its layers 1..8 are also the q and chi of a depth-8
    network; the gradient of each depth is in the slow grid)."""
    bad = _check_against_theory(init, act, 32, 512, 16, 16, gaussian_laws=True)
    assert bad.empty, "Monte-Carlo outside 5 SE + C/N:\n" + _fmt(bad)


@pytest.mark.slow
@pytest.mark.parametrize("gaussian_laws", [False, True], ids=["registry", "gaussian"])
@pytest.mark.parametrize("init,act", CASES, ids=[c[0] for c in CASES])
def test_full_grid_matches_theory(init, act, gaussian_laws):
    """The full grid: depths 4, 8, 16, 32 at widths 512 and 1024, S = 16, P = 32."""
    bad = pd.concat([_check_against_theory(init, act, depth, width, 16, 32,
                                           gaussian_laws=gaussian_laws, seed=width + depth)
                     for depth in (4, 8, 16, 32) for width in (512, 1024)])
    assert bad.empty, "Monte-Carlo outside 5 SE + C/N:\n" + _fmt(bad)


@pytest.mark.slow
@pytest.mark.parametrize("gaussian_laws", [True, False], ids=["gaussian", "registry"])
@pytest.mark.parametrize("init,act", [("edge_of_chaos", "sin"), ("xavier_uniform", "tanh"),
                                      ("edge_of_chaos_sigma_a1", "sin"), ("siren", "sin")])
def test_finite_width_bias_matches_derivation(init, act, gaussian_laws):
    """At N = 32 with S = 1024 networks the finite-width bias is resolved (q at layer 16 of the
    sigma_a = 0 net is off by ~10 SE); the derived C/N must cover it, and for q and chi the
    leading-order bias itself (without the factor 2) must explain it to within 5 SE."""
    depth, width, n_net = 16, 32, 1024
    x = mc.sample_inputs(16, 2, seed=0)
    sp = catalogue.spec(init, 2, width, depth, act)
    gen = torch.Generator().manual_seed(1)
    if gaussian_laws:
        sp = sp.with_(convention="normal")
        ens = Ensemble.from_spec(sp, n_net, gen, torch.float64)
        pred = mc.predict(sp, x)
    else:
        ens = Ensemble.from_init(init, 2, width, depth, n_net, act, None, gen, torch.float64)
        pred = mc.predict(sp, x)
    table = mc.compare(mc.measure(ens, x), pred, per_network=False)
    bound = finite_width_bound(sp, x, pred, uniform_weights=not gaussian_laws)
    table["bound"] = np.concatenate([bound[qty] for qty in mc.QUANTITIES])
    dev = (table.measured - table.predicted).abs()
    assert (dev <= 5 * table.se + table.bound).all(), table.to_string()
    qc = table[table.quantity.isin(["q", "chi"])]
    # bound = 2 |leading bias|, so the leading bias is bound / 2 (its sign is that of dev here).
    resid = ((qc.measured - qc.predicted).abs() - qc.bound / 2).abs()
    assert (resid <= 5 * qc.se + qc.bound / 16).all(), qc.to_string()
    # The gradient's correction is signed: measured - predicted against it, averaged over the
    # inputs like the measurement, within 5 SE plus the next order (L / N) max |correction|.
    rel = np.mean([mean_correction(sp, xp, uniform_weights=not gaussian_laws)
                   ["grad_norm2_relative"] * pred["grad_norm2"][p] for p, xp in enumerate(x)],
                  axis=0)
    gr = table[table.quantity == "grad_norm2"]
    assert (gr.layer.to_numpy() == np.arange(1, depth + 1)).all()
    nxt = depth / width * np.abs(rel).max()
    assert ((gr.measured - gr.predicted - rel).abs() <= 5 * gr.se + nxt).all(), gr.to_string()


def test_gaussian_theory_misses_uniform_bias():
    """The O(1) effect of a uniform bias: for the SIREN reference init at N = 512 the Gaussian
    mean field over-predicts chi per hidden layer by ~2% (1.046 vs 1.025), so the squared
    gradient after 32 layers by ~1.9x; the law-exact prediction is what the networks follow."""
    x = mc.sample_inputs(16, 2, seed=0)
    sp = catalogue.spec("siren", 2, 512, 32)
    gauss, exact = mc.predict(sp, x, law="gaussian"), mc.predict(sp, x)
    chi_ratio = gauss["chi"][:, 5:-1].mean() / exact["chi"][:, 5:-1].mean()
    assert 1.015 < chi_ratio < 1.03
    assert gauss["grad_norm2"][:, 0].mean() / exact["grad_norm2"][:, 0].mean() > 1.5
    # Edge of chaos at sigma_a = 1: unit gain for Gaussian biases, not for uniform ones.
    sp = catalogue.spec("edge_of_chaos_sigma_a1", 2, 512, 32)
    assert abs(mc.predict(sp, x, law="gaussian")["chi"][:, -2].mean() - 1.0) < 1e-6
    assert mc.predict(sp, x)["chi"][:, -2].mean() < 0.995


# ---------------------------------------------------------------------------------------------
# Exact algebra


def _small_ensemble(init="edge_of_chaos_sigma_a1", act="sin", depth=4, width=48, s=3, d_out=1):
    return Ensemble.from_init(init, 2, width, depth, s, act, None,
                              torch.Generator().manual_seed(3), torch.float64, d_out=d_out)


@pytest.mark.parametrize("act", ["sin", "relu", "tanh"])
def test_measure_matches_autograd(act):
    """q, chi (from the explicit Jacobian) and |dy/dz_l|^2 (from autograd) in float64."""
    ens = _small_ensemble(act=act)
    x = mc.sample_inputs(5, 2, seed=1)
    meas = mc.measure(ens, x)
    xt = torch.from_numpy(x)
    for s in range(ens.n_networks):
        net = ens.network(s)
        zs = []
        h = xt
        for module in net:
            h = module(h)
            if isinstance(module, torch.nn.Linear):
                h.retain_grad()
                zs.append(h)
        zs[-1].sum().backward()
        for l in range(ens.depth):
            z = zs[l].detach()
            np.testing.assert_allclose(meas.q[s, :, l], (z**2).mean(-1).numpy(), rtol=1e-10)
            grad = (zs[l].grad**2).sum(-1).numpy()
            np.testing.assert_allclose(meas.grad_norm2[s, :, l], grad, rtol=1e-9)
            w = ens.weights[l + 1][s]
            fprime = torch.func.vmap(torch.func.grad(lambda t: getattr(torch, {"sin": "sin",
                                     "tanh": "tanh", "relu": "relu"}[act])(t)))
            for p in range(len(x)):
                d = w * fprime(z[p])[None, :]  # W_l diag(f'(z_l))
                jac = torch.func.jacrev(lambda t: net[2 * l + 2](net[2 * l + 1](t)))(z[p])
                np.testing.assert_allclose(jac.detach().numpy(), d.detach().numpy(), rtol=1e-12,
                                           atol=1e-14)
                chi = float((jac.detach() ** 2).sum()) / jac.shape[0]
                assert meas.chi[s, p, l] == pytest.approx(chi, rel=1e-10)


def test_random_direction_gradient_for_vector_output():
    """With d_out > 1 the back-propagated direction is a seeded unit vector u: |d(u.y)/dz_l|^2."""
    ens = _small_ensemble(d_out=3)
    x = mc.sample_inputs(4, 2, seed=2)
    a = mc.measure(ens, x, direction_seed=5)
    b = mc.measure(ens, x, direction_seed=5)
    c = mc.measure(ens, x, direction_seed=6)
    np.testing.assert_array_equal(a.grad_norm2, b.grad_norm2)
    assert not np.allclose(a.grad_norm2, c.grad_norm2)
    u = mc._directions(ens, 4, 5)
    np.testing.assert_allclose(u.norm(dim=-1).numpy(), 1.0, rtol=1e-12)


def test_chi_trace_formula_matches_random_projection():
    """Hutchinson estimate with K Gaussian probes v ~ N(0, I/n): mean tr(A)/n, variance
    2 tr(A^2)/(n^2 K) with A = D D^T, computed exactly here; agreement within 5 sd."""
    ens = _small_ensemble(width=64, s=2)
    x = mc.sample_inputs(3, 2, seed=4)
    k = 256
    exact = mc.measure(ens, x).chi
    est = mc.chi_random_projection(ens, x, n_probes=k, generator=torch.Generator().manual_seed(0))
    zs = ens.forward(torch.from_numpy(x))
    for s in range(ens.n_networks):
        for p in range(len(x)):
            for l in range(ens.depth):
                d = ens.weights[l + 1][s] * torch.cos(zs[l][s, p])[None, :]
                a = d @ d.T
                n = a.shape[0]
                sd = math.sqrt(2 * float(torch.trace(a @ a)) / n**2 / k)
                assert abs(est[s, p, l] - exact[s, p, l]) <= 5 * sd
                assert exact[s, p, l] == pytest.approx(float(torch.trace(a)) / n, rel=1e-10)


def test_jacobian_spectrum_matches_jacrev():
    ens = _small_ensemble(depth=5, width=32, s=2)
    x = mc.sample_inputs(3, 2, seed=5)
    sp = catalogue.spec("edge_of_chaos_sigma_a1", 2, 32, 5)
    res = mc.jacobian_spectrum(ens, x, n_inputs=2, spec=sp)
    sv = res["singular_values"]
    assert len(sv) == 2 * 2 * 32
    for s in range(2):
        net = ens.network(s)
        hidden = torch.nn.Sequential(*list(net)[1:2 * (ens.depth - 1) + 1])  # z_1 -> z_L
        z1 = net[0](torch.from_numpy(x[:2]))
        for p in range(2):
            jac = torch.func.jacrev(hidden)(z1[p])
            ref = torch.linalg.svdvals(jac.detach()).numpy()
            got = sv[(sv.network == s) & (sv.input == p)].singular_value.to_numpy()
            np.testing.assert_allclose(got, ref, rtol=1e-9, atol=1e-12)
    summ = res["summary"]
    assert np.all(np.isfinite(summ.predicted_mean_s2)) and np.all(summ.mean_s2 > 0)


# ---------------------------------------------------------------------------------------------
# Specs of the catalogue initializers


@pytest.mark.parametrize("name", catalogue.available("linear", layer=True))
def test_catalogue_spec_matches_empirical_variance(name):
    """Each layer's empirical weight variance (mean square over all entries and networks) and
    bias variance against catalogue.spec, within 5 standard errors of the mean of W^2; the
    deterministic rules and orthogonal matrices have exact variances (float32 rounding)."""
    width, depth, s = 128, 3, 6
    ens = Ensemble.from_init(name, 2, width, depth, s, catalogue.default_activation(name), None,
                             torch.Generator().manual_seed(0), torch.float64)
    sp = catalogue.spec(name, 2, width, depth)
    for lv, n_in, w, b in zip(sp.layers(), sp.fan_ins(), ens.weights, ens.biases):
        for tensor, target in ((w, lv.sigma_w2 / n_in), (b, lv.sigma_b2)):
            if not ens.random:
                # The rules fix var(W) (unbiased, over the entries); their biases are zero.
                got = float(tensor.var()) if tensor.dim() == 3 else float((tensor**2).mean())
                assert got == pytest.approx(target, rel=1e-5, abs=1e-12)
                continue
            sq = (tensor**2).reshape(-1).numpy()
            se = sq.std(ddof=1) / math.sqrt(sq.size)
            tol = 5 * se + 1e-6 * target
            assert abs(sq.mean() - target) <= tol, (name, tensor.shape, sq.mean(), target)


def test_catalogue_spec_validates():
    with pytest.raises(ValueError, match="valid names are .*edge_of_chaos"):
        catalogue.spec("lecun", 2, 64, 4)
    with pytest.raises(ValueError, match="omega0 applies only to"):
        catalogue.spec("xavier_uniform", 2, 64, 4, omega0=30.0)
    with pytest.raises(ValueError, match="valid activations are"):
        catalogue.spec("siren", 2, 64, 4, activation="swish")
    sp = catalogue.spec("siren", 2, 64, 4, omega0=10.0)
    assert sp.first.sigma_w2 == pytest.approx(100.0 / 6.0)
    assert sp.hidden.sigma_b2 == pytest.approx(100.0 / (3 * 64))


# ---------------------------------------------------------------------------------------------
# Predictions


def test_predict_matches_meanfield_profile():
    from initaudit.theory import meanfield

    sp = catalogue.spec("edge_of_chaos_sigma_a1", 2, 256, 6)
    x = mc.sample_inputs(3, 2, seed=0)
    pred = mc.predict(sp, x, law="gaussian")
    for p in range(3):
        prof = meanfield.propagate(float(sp.q1(x[p:p + 1])[0]),
                                   [(lv.sigma_w2, lv.sigma_b2) for lv in sp.layers()[1:]], "sin",
                                   law="gaussian")
        np.testing.assert_allclose(pred["q"][p], prof.q, rtol=1e-14)
        assert pred["grad_norm2"][p, 0] == pytest.approx(prof.grad_ratio[-1], rel=1e-12)
        assert pred["grad_norm2"][p, -1] == pytest.approx(prof.chi[-1], rel=1e-12)


def test_exact_law_reduces_to_gaussian_theory():
    """Gaussian laws, and relu with any symmetric law: the two predictions coincide."""
    x = mc.sample_inputs(4, 2, seed=0)
    for sp in (catalogue.spec("siren", 2, 128, 6).with_(convention="normal"),
               catalogue.spec("kaiming_uniform", 2, 128, 6)):
        a, b = mc.predict(sp, x, law="gaussian"), mc.predict(sp, x)
        for k in mc.QUANTITIES:
            np.testing.assert_allclose(a[k], b[k], rtol=1e-12)


def test_exact_law_first_layer_sine_matches_sampling():
    """E sin^2(z_1) for z_1 = W_0 x + b_0 with uniform laws (SIREN first layer, d = 2): the
    characteristic-function formula against 4e6 direct draws (5 standard errors)."""
    sp = catalogue.spec("siren", 2, 64, 2)
    x = np.array([[0.05, -0.3], [0.7, 0.01]])
    pred = mc.predict(sp, x)
    rng = np.random.default_rng(0)
    a0, c0 = math.sqrt(3 * sp.first.sigma_w2 / 2), math.sqrt(3 * sp.first.sigma_b2)
    n = 4_000_000
    for p in range(2):
        z = (rng.uniform(-a0, a0, (n, 2)) @ x[p]) + rng.uniform(-c0, c0, n)
        cos2 = np.cos(z) ** 2
        got = sp.hidden.sigma_w2 * cos2.mean()
        se = sp.hidden.sigma_w2 * cos2.std() / math.sqrt(n)
        assert abs(pred["chi"][p, 0] - got) <= 5 * se


def test_exact_law_tanh_first_layer_quadrature_converges(monkeypatch):
    """Gauss-Legendre over the two uniform first-layer weights: doubling the order moves the
    tanh prediction by less than 1e-10 relative (float64)."""
    from initaudit.theory import laws

    sp = catalogue.spec("xavier_uniform", 2, 64, 3, "tanh")
    x = mc.sample_inputs(3, 2, seed=0)
    a = mc.predict(sp, x)
    monkeypatch.setitem(laws.FIRST_LAYER_ORDER, 2, 2 * laws.FIRST_LAYER_ORDER[2])
    b = mc.predict(sp, x)
    for k in mc.QUANTITIES:
        np.testing.assert_allclose(a[k], b[k], rtol=1e-10)


# ---------------------------------------------------------------------------------------------
# Tables, sweeps, validation, determinism


def test_propagation_table_layout_and_determinism():
    kw = dict(n_inputs=6, per_network=True)
    a = mc.propagation_table("edge_of_chaos", 3, 32, 4, **kw)
    b = mc.propagation_table("edge_of_chaos", 3, 32, 4, **kw)
    c = mc.propagation_table("edge_of_chaos", 3, 32, 4, seed=1, **kw)
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a.measured, c.measured)
    assert {"init", "activation", "depth", "width", "layer", "network", "quantity", "measured",
            "se", "predicted", "z", "predicted_gaussian", "z_gaussian"} <= set(a.columns)
    # one pooled row and 4 network rows per (layer, quantity)
    assert len(a) == 3 * 3 * (1 + 4)
    pooled = a[a.network == "pooled"]
    assert list(pooled.quantity.unique()) == list(mc.QUANTITIES)
    assert np.allclose(pooled.z, (pooled.measured - pooled.predicted) / pooled.se)


def test_deterministic_init_uses_inputs_as_replicates():
    t = mc.propagation_table("sinusoidal", 3, 32, 8, n_inputs=10)
    assert (t.n_networks == 1).all()
    pooled = t[t.network == "pooled"]
    # The spread is over the 10 inputs; it can vanish (the pattern's relu layers keep exactly
    # half of the units active for every input, so chi is the same for all of them).
    assert np.all(np.isfinite(pooled.se)) and np.all(pooled.se >= 0)
    assert np.all(pooled[pooled.quantity == "q"].se > 0)
    assert t[t.network != "pooled"].se.isna().all()
    # relu's diagonal moments are the same under every symmetric law: the two theories agree
    np.testing.assert_allclose(pooled.predicted, pooled.predicted_gaussian, rtol=1e-12)


def test_bad_options_raise_clear_errors():
    with pytest.raises(ValueError, match="valid names are .*siren"):
        mc.propagation_table("glorot", 3, 32, 2)
    with pytest.raises(ValueError, match="valid activations are"):
        mc.propagation_table("siren", 3, 32, 2, activation="softplus")
    with pytest.raises(ValueError, match="valid dtypes are"):
        mc.propagation_table("siren", 3, 32, 2, dtype="float16")
    with pytest.raises(ValueError, match="omega0 applies only to"):
        mc.propagation_table("kaiming_uniform", 3, 32, 2, omega0=30.0)
    with pytest.raises(ValueError, match="width must be a positive integer"):
        mc.propagation_table("siren", 3, 0, 2)
    with pytest.raises(ValueError, match="n_points must be a positive integer"):
        mc.sample_inputs(0)
    ens = _small_ensemble()
    with pytest.raises(ValueError, match=r"inputs must have shape \(P, 2\)"):
        mc.measure(ens, np.zeros((4, 3)))
    with pytest.raises(ValueError, match="depth >= 2"):
        mc.jacobian_spectrum(_small_ensemble(depth=1), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="valid quantities are"):
        mc.measure(ens, np.zeros((2, 2)))["norm"]


def test_fit_power_law_recovers_exponent():
    n = np.array([64, 128, 256, 512, 1024])
    fit = mc.fit_power_law(n, 3.0 / n)
    assert fit["exponent"] == pytest.approx(-1.0, abs=1e-12)
    assert fit["exponent_se"] == pytest.approx(0.0, abs=1e-10)
    assert fit["prefactor"] == pytest.approx(3.0, rel=1e-10)
    noisy = mc.fit_power_law(n, 3.0 / n * np.exp(np.random.default_rng(0).normal(0, 0.1, 5)))
    assert abs(noisy["exponent"] + 1) < 4 * noisy["exponent_se"]


def test_width_sweep_smoke(cache_tmp):
    res = mc.width_sweep("edge_of_chaos", 4, (16, 32, 64), n_networks=4, n_inputs=4)
    assert set(res) == {"table", "deviation", "fit"}
    assert set(res["fit"].quantity) == set(mc.QUANTITIES)
    dev = res["deviation"]
    assert len(dev) == 3 * 3 and set(dev.n_networks) == {4}
    assert np.all(np.isfinite(dev.deviation)) and np.all(dev.noise > 0)
    assert np.all(dev.resolved == (dev.deviation > 3 * dev.noise))
    again = mc.width_sweep("edge_of_chaos", 4, (16, 32, 64), n_networks=4, n_inputs=4)
    pd.testing.assert_frame_equal(res["fit"], again["fit"])  # from the cache, same numbers


def test_measure_chunks_give_the_same_numbers():
    ens = _small_ensemble(s=5)
    x = mc.sample_inputs(4, 2, seed=0)
    a, b = mc.measure(ens, x), mc.measure(ens, x, chunk_networks=2)
    for k in mc.QUANTITIES:
        np.testing.assert_array_equal(a[k], b[k])


# ---------------------------------------------------------------------------------------------
# The command line


def test_cli_propagate_text_and_json(capsys):
    import json

    from initaudit.figures import cli

    assert cli.main(["propagate", "--init", "edge_of_chaos", "--depth", "3", "--width", "32",
                     "--seeds", "3", "--points", "4"]) == 0
    text = capsys.readouterr().out
    assert "edge_of_chaos (sin), depth 3, width 32, 3 network(s)" in text
    assert len([ln for ln in text.splitlines() if ln.strip()[:1].isdigit()]) == 3
    assert cli.main(["propagate", "--init", "kaiming_uniform", "--depth", "2", "--width", "16",
                     "--seeds", "2", "--points", "3", "--dtype", "float64", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    records = out["layers"]
    assert out["meta"]["init"] == "kaiming_uniform" and out["meta"]["networks"] == 2
    assert [r["layer"] for r in records] == [1, 2]
    for key in ("q", "q_se", "q_theory", "chi", "chi_theory", "grad", "grad_se", "grad_theory"):
        assert key in records[0]
    # Same seed, same numbers.
    assert cli.main(["propagate", "--init", "kaiming_uniform", "--depth", "2", "--width", "16",
                     "--seeds", "2", "--points", "3", "--dtype", "float64", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["layers"] == records


@pytest.mark.parametrize("argv,message", [
    (["--init", "nope"], "valid names are edge_of_chaos"),
    (["--init", "xavier_uniform", "--omega0", "30"], "omega0 applies only to"),
    (["--init", "siren", "--activation", "swish"], "invalid choice"),
    (["--init", "siren", "--dtype", "float16"], "invalid choice"),
    (["--init", "siren", "--omega0", "nan"], "expected a finite number"),
])
def test_cli_propagate_bad_input(capsys, argv, message):
    from initaudit.figures import cli

    base = ["propagate", "--depth", "2", "--width", "8", "--seeds", "2", "--points", "2"]
    assert cli.main(base + argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("initaudit: error:") and message in err and err.count("\n") == 1


def test_grid_covers_every_linear_init_and_activation(cache_tmp):
    """Every registry initializer for fully connected layers, with sin, relu and tanh."""
    grid = mc.monte_carlo_grid(activations=mc.MC_ACTIVATIONS, depths=(3,), widths=(16,),
                               n_networks=2, n_inputs=3)
    assert set(grid.init) == set(mc.mc_inits())
    assert set(grid.activation) == set(mc.MC_ACTIVATIONS)
    assert len(grid) == len(mc.mc_inits()) * 3 * 3 * 3  # inits x activations x layers x qty
    assert np.all(np.isfinite(grid.measured)) and np.all(np.isfinite(grid.predicted))
