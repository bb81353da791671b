"""Finite-width theory (theory/finite_width.py): the log-gradient variance and the mean corrections.

Tolerances:
* the known limit (relu, Gaussian weights, no bias: Var log|dy/dz_1|^2 = 5 L / N, Hanin and Nica
  2019) in float64 at 1e-10: Gauss-Hermite nodes are symmetric, so the step function's moments
  are exact;
* Monte Carlo: 5 standard errors of the sample variance (from the sample's fourth central
  moment) plus the next order of the 1/N expansion, ``pred * L / N`` (relative O(L/N) beyond
  the leading term; not fitted).
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
    assert np.all(corr["grad_norm2_relative_bound"] >= 0)


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
    assert set(out["mean_correction"]) == {"q", "chi", "grad_norm2_relative_bound"}
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
