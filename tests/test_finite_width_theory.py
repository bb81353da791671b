"""Finite-width theory (theory/finite_width.py): the log-gradient variance and the mean corrections.

Tolerances:
* the known limit (relu, Gaussian weights, no bias: Var log|dy/dz_1|^2 = 5 L / N, Hanin and Nica
  2019) in float64 at 1e-10: Gauss-Hermite nodes are symmetric, so the step function's moments
  are exact;
* Monte Carlo: 5 standard errors of the sample variance (from the sample's fourth central
  moment) plus the next order of the 1/N expansion, ``pred * L / N`` (relative O(L/N) beyond
  the leading term; not fitted);
* the signed mean correction of ``|dy/dz_l|^2``: 5 standard errors of the mean over networks plus
  the next order, ``(L / N) max_l |c_l|`` relative (c the leading relative correction).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from initaudit.analysis.propagate import measure
from initaudit.figures import cli
from initaudit.models import catalogue
from initaudit.models.mlp import Ensemble
from initaudit.theory import finite_width


def _log_grad_variance_mc(init: str, width: int, depth: int, n_networks: int, x, seed: int):
    ens, spec = Ensemble.draw(init, 1, width, depth, n_networks, dtype=torch.float64, seed=seed)
    lg = np.log(measure(ens, np.asarray([x])).grad_norm2[:, 0, :])
    n = lg.shape[0]
    var = lg.var(axis=0, ddof=1)
    m4 = ((lg - lg.mean(axis=0)) ** 4).mean(axis=0)
    se = np.sqrt(np.maximum(m4 - var ** 2 * (n - 3) / (n - 1), 0.0) / n)
    return var, se, spec


@pytest.mark.parametrize("depth, width", [(3, 100), (8, 512)])
def test_relu_gaussian_weights_give_hanin_nica_5_l_over_n(depth, width):
    spec = catalogue.spec("kaiming_normal", 2, width, depth, "relu").with_(convention="normal")
    res = finite_width.log_grad_variance(spec, np.array([0.3, -0.5]))
    want = 5.0 * np.arange(depth, 0, -1) / width
    np.testing.assert_allclose(res["total"], want, rtol=1e-10)
    np.testing.assert_allclose(res["sampling"], want, rtol=1e-10)  # G' = 0: no forward term


def test_relu_has_no_mean_correction_of_q_and_chi():
    """For relu E f^2 and E f'^2 are linear and constant in the variance: the leading bias of q
    and chi vanishes at every order (module docstring)."""
    spec = catalogue.spec("kaiming_uniform", 1, 64, 5, "relu")
    corr = finite_width.mean_correction(spec, np.array([0.7]))
    np.testing.assert_allclose(corr["q"], 0.0, atol=1e-12)
    np.testing.assert_allclose(corr["chi"], 0.0, atol=1e-12)


@pytest.mark.parametrize("convention", ["normal", "uniform"])
def test_relu_mean_squared_gradient_has_no_width_correction(convention):
    """For a He relu network with Gaussian weights the mean squared gradient does not depend on
    the width at all (Hanin 2018): every term of the signed correction must cancel (float64,
    1e-12). With uniform weights the two fourth-cumulant terms carry G' = 0 and vanish too."""
    spec = catalogue.spec("kaiming_normal", 2, 32, 6, "relu").with_(convention=convention)
    corr = finite_width.mean_correction(spec, np.array([0.3, -0.5]))
    np.testing.assert_allclose(corr["grad_norm2_relative"], 0.0, atol=1e-12)


def _grad_bias_mc(init, act, width, depth, n_networks, seed, gaussian):
    """Mean over networks of |dy/dz_l|^2 / prediction - 1 at two inputs, its standard error
    and the leading-order correction (the same inputs)."""
    from initaudit.analysis import propagate as mc

    x = mc.sample_inputs(2, 2, seed=0)
    sp = catalogue.spec(init, 2, width, depth, act)
    gen = torch.Generator().manual_seed(seed)
    if gaussian:
        sp = sp.with_(convention="normal")
        ens = Ensemble.from_spec(sp, n_networks, gen, torch.float64)
    else:
        ens = Ensemble.from_init(init, 2, width, depth, n_networks, act, None, gen,
                                 torch.float64)
    pred = mc.predict(sp, x)["grad_norm2"]  # (P, L)
    rel = measure(ens, x).grad_norm2 / pred[None] - 1.0  # (S, P, L)
    meas, se = rel.mean(axis=0), rel.std(axis=0, ddof=1) / np.sqrt(rel.shape[0])
    corr = np.stack([finite_width.mean_correction(sp, xp)["grad_norm2_relative"] for xp in x])
    return meas, se, corr


def _check_signed_grad(meas, se, corr, depth, width):
    nxt = depth / width * np.abs(corr).max()
    assert np.all(np.abs(meas - corr) <= 5 * se + nxt), (meas, corr, se)
    # The check can fail: where the correction is largest against its noise, the measured bias
    # is resolved (> 5 SE, so the infinite-width value alone is refused) and has its sign.
    i = np.unravel_index(np.argmax(np.abs(corr) / se), corr.shape)
    assert abs(meas[i]) > 5 * se[i] and np.sign(meas[i]) == np.sign(corr[i]), (i, meas, se)


def test_signed_gradient_correction_matches_monte_carlo():
    """16,384 tanh networks (Xavier, uniform weights) of width 32 and depth 16: the mean of
    |dy/dz_l|^2 falls short of the infinite-width value by up to 7%, at 9 standard errors; the
    signed leading correction follows it at every layer and input."""
    meas, se, corr = _grad_bias_mc("xavier_uniform", "tanh", 32, 16, 16384, 5, gaussian=False)
    _check_signed_grad(meas, se, corr, 16, 32)


@pytest.mark.slow
@pytest.mark.parametrize("gaussian", [False, True], ids=["registry", "gaussian"])
@pytest.mark.parametrize("init,act,width", [("edge_of_chaos", "sin", 16),
                                            ("xavier_uniform", "tanh", 32),
                                            ("xavier_uniform", "tanh", 64)])
def test_signed_gradient_correction_grid(init, act, width, gaussian):
    """The same check for sine networks at sigma_a = 0 (width 16, where the correction changes
    sign with depth: negative at the first layers, +4% near layer 12) and tanh at widths 32 and
    64, with uniform and Gaussian weights."""
    meas, se, corr = _grad_bias_mc(init, act, width, 16, 16384, 7, gaussian)
    _check_signed_grad(meas, se, corr, 16, width)


@pytest.mark.parametrize("init", ["edge_of_chaos", "siren", "edge_of_chaos_sigma_a1"])
def test_log_grad_variance_matches_monte_carlo_of_sine_networks(init):
    """2,000 networks of width 128 and depth 6 at one input: the measured variance of
    log |dy/dz_l|^2 at every layer within 5 standard errors plus the next order."""
    depth, width = 6, 128
    var, se, spec = _log_grad_variance_mc(init, width, depth, 2000, [0.37], seed=11)
    pred = finite_width.log_grad_variance(spec, np.array([0.37]))["total"]
    tol = 5 * se + pred * depth / width
    assert np.all(np.abs(var - pred) <= tol), (var, pred, se)


def test_the_forward_variance_term_is_needed_at_the_edge_of_chaos():
    """At sigma_a = 0 the per-network variance of the pre-activations moves the later gains:
    leaving it out (the units' sampling alone) misses 4,000 networks of width 64 by more than
    5 standard errors plus the next order at the first layer, and the full prediction does not."""
    depth, width = 8, 64
    var, se, spec = _log_grad_variance_mc("edge_of_chaos", width, depth, 4000, [0.37], seed=12)
    res = finite_width.log_grad_variance(spec, np.array([0.37]))
    nxt = res["total"][0] * depth / width
    assert abs(var[0] - res["total"][0]) <= 5 * se[0] + nxt
    assert abs(var[0] - res["sampling"][0]) > 5 * se[0]


def test_bad_input():
    spec = catalogue.spec("edge_of_chaos", 2, 64, 3, "sin")
    with pytest.raises(ValueError, match="2 finite numbers"):
        finite_width.log_grad_variance(spec, np.array([0.1]))
    with pytest.raises(ValueError, match="scalar output"):
        finite_width.log_grad_variance(catalogue.spec("edge_of_chaos", 1, 64, 3, "sin", d_out=2),
                                       np.array([0.1]))


def test_cli_json_keys(capsys):
    assert cli.main(["theory", "finite-width", "--init", "kaiming_normal", "--depth", "3",
                     "--width", "100", "--activation", "relu", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out["mean_correction"]) == {"q", "chi", "grad_norm2_relative"}
    assert out["layer"] == [1, 2, 3]
    # kaiming_normal draws normal weights: the relu limit 5 (L - l + 1) / N
    np.testing.assert_allclose(out["log_grad_variance"], [0.15, 0.10, 0.05], rtol=1e-10)
    assert out["law"] == "exact"


@pytest.mark.parametrize("argv, fragment", [
    (["--init", "siren", "--depth", "3", "--width", "64", "--x", "0.1", "0.2"], "--x takes 1"),
    (["--init", "orthogonal", "--depth", "3", "--width", "64"], "i.i.d. weights"),
    (["--init", "sinusoidal", "--depth", "3", "--width", "64"], "i.i.d. weights"),
    (["--init", "nope", "--depth", "3", "--width", "64"], "nope"),
    (["--init", "siren", "--depth", "0", "--width", "64"], "depth"),
])
def test_cli_bad_input_is_one_line_exit_2(argv, fragment, capsys):
    assert cli.main(["theory", "finite-width", *argv]) == 2
    err = capsys.readouterr().err
    assert fragment in err and err.count("\n") == 1
