"""Finite networks from a NetworkSpec (models.mlp): laws, folding, ensembles, validation.

Moment checks use the standard error of the sample mean of W^2 (or W) over all entries: a draw
of n entries passes when ``|mean(W^2) - sigma_w^2/fan_in| <= 5 SE``, SE = std(W^2)/sqrt(n).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from initaudit.models import catalogue
from initaudit.models.mlp import ACTIVATIONS, MLP, Ensemble, build_mlp, linear_init_names
from initaudit.theory import spec as tspec


def _within_5se(values: torch.Tensor, target: float) -> bool:
    v = values.reshape(-1).double().numpy()
    se = v.std(ddof=1) / math.sqrt(v.size)
    return abs(v.mean() - target) <= 5 * se + 1e-12


def _spec(convention="uniform", width=512, depth=3):
    sp = catalogue.spec("edge_of_chaos_sigma_a1", 2, width, depth)
    # A 64-dimensional output, so that the readout's bias variance can be checked too.
    return sp.with_(convention=convention, readout=tspec.LayerVariance(1.0, 0.3), d_out=64)


@pytest.mark.parametrize("convention", ["uniform", "normal"])
def test_build_mlp_layer_variances_match_spec(convention):
    sp = _spec(convention)
    net = build_mlp(sp, torch.Generator().manual_seed(0), torch.float64)
    linears = [m for m in net if isinstance(m, torch.nn.Linear)]
    assert len(linears) == sp.depth + 1
    for layer, lv, n_in in zip(linears, sp.layers(), sp.fan_ins()):
        w, b = layer.weight.detach(), layer.bias.detach()
        assert _within_5se(w**2, lv.sigma_w2 / n_in)
        assert _within_5se(w, 0.0)
        if lv.sigma_b2 == 0:
            assert torch.all(b == 0)
        else:
            assert _within_5se(b**2, lv.sigma_b2)
        if convention == "uniform":
            assert w.abs().max() <= lv.weight_bound(n_in)


@pytest.mark.parametrize("convention,kurtosis", [("uniform", 9 / 5), ("normal", 3.0)])
def test_ensemble_from_spec_draws_the_named_law(convention, kurtosis):
    """Moments pooled over networks: second moment = the spec's variance, and the kurtosis
    E W^4 / (E W^2)^2 is 9/5 for a uniform and 3 for a Gaussian law (within 5 SE of E W^4)."""
    sp = _spec(convention, width=256)
    ens = Ensemble.from_spec(sp, 6, torch.Generator().manual_seed(1), torch.float64)
    assert ens.n_networks == 6 and ens.depth == sp.depth and ens.random
    for w, b, lv, n_in in zip(ens.weights, ens.biases, sp.layers(), sp.fan_ins()):
        var = lv.sigma_w2 / n_in
        assert _within_5se(w**2, var)
        assert _within_5se(w**4, kurtosis * var**2)
        if lv.sigma_b2 > 0:
            assert _within_5se(b**2, lv.sigma_b2)


def test_ensemble_forward_matches_single_networks():
    sp = _spec(width=64)
    ens = Ensemble.from_spec(sp, 3, torch.Generator().manual_seed(2), torch.float64)
    x = torch.rand(5, 2, dtype=torch.float64) * 2 - 1
    zs = ens.forward(x)
    assert [tuple(z.shape) for z in zs] == [(3, 5, 64)] * (sp.depth + 1)
    for s in range(3):
        net = ens.network(s)
        assert isinstance(net, MLP)
        for z_ens, z_net in zip(zs, net.preactivations(x)):
            torch.testing.assert_close(z_ens[s], z_net.detach(), rtol=1e-12, atol=1e-12)
    # Per-network inputs (S, P, d) give the same as shared inputs.
    xs = x.unsqueeze(0).expand(3, -1, -1).clone()
    for a, b in zip(zs, ens.forward(xs)):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


@pytest.mark.parametrize("act", ACTIVATIONS)
def test_every_activation_runs(act):
    sp = _spec(width=16).with_(activation=act)
    ens = Ensemble.from_spec(sp, 2, torch.Generator().manual_seed(0))
    out = ens(torch.zeros(3, 2))
    assert torch.isfinite(out[-1]).all()


def test_same_seed_same_networks():
    a = Ensemble.from_init("siren", 2, 32, 3, 4, generator=torch.Generator().manual_seed(7))
    b = Ensemble.from_init("siren", 2, 32, 3, 4, generator=torch.Generator().manual_seed(7))
    c = Ensemble.from_init("siren", 2, 32, 3, 4, generator=torch.Generator().manual_seed(8))
    for wa, wb, wc in zip(a.weights, b.weights, c.weights):
        assert torch.equal(wa, wb) and not torch.equal(wa, wc)
    # Networks within an ensemble are different draws.
    assert not torch.equal(a.weights[1][0], a.weights[1][1])


def test_from_init_equals_init_linear_network_by_network():
    """The ensemble is exactly what init_linear_ gives layer by layer from the same generator."""
    from initaudit.models.init import init_linear_

    ens = Ensemble.from_init("edge_of_chaos_sigma_a1", 2, 16, 2, 2, "sin", None,
                             torch.Generator().manual_seed(3))
    g = torch.Generator().manual_seed(3)
    for s in range(2):
        for l, role in enumerate(["first", "hidden", "readout"]):
            n_in, n_out = ens.weights[l].shape[2], ens.weights[l].shape[1]
            layer = torch.nn.Linear(n_in, n_out)
            init_linear_(layer, "edge_of_chaos_sigma_a1", role=role, generator=g)
            assert torch.equal(layer.weight.detach(), ens.weights[l][s])
            assert torch.equal(layer.bias.detach(), ens.biases[l][s])


def test_omega0_is_folded_into_first_and_hidden_layers():
    """siren: sin(omega_0 (W x + b)) folded, first W' ~ U(+-omega_0/d), hidden U(+-sqrt(6/N)),
    hidden bias U(+-omega_0/sqrt(N)); the readout is not scaled."""
    d, n = 2, 256
    for omega0 in (30.0, 10.0):
        ens = Ensemble.from_init("siren", d, n, 3, 2, "sin", omega0,
                                 torch.Generator().manual_seed(0), torch.float64)
        assert ens.omega0 == omega0
        w0, w1, wl = ens.weights[0], ens.weights[1], ens.weights[-1]
        assert w0.abs().max() <= omega0 / d and w0.abs().max() > 0.95 * omega0 / d
        assert w1.abs().max() <= math.sqrt(6 / n) and w1.abs().max() > 0.95 * math.sqrt(6 / n)
        b1 = ens.biases[1]
        cb = omega0 / math.sqrt(n)
        assert b1.abs().max() <= cb and b1.abs().max() > 0.9 * cb
        assert wl.abs().max() <= math.sqrt(6 / n) / omega0
    # edge of chaos: published folded; omega0 only sets the first layer.
    e = Ensemble.from_init("edge_of_chaos", d, n, 2, 1, "sin", 12.0,
                           torch.Generator().manual_seed(0))
    assert e.weights[0].abs().max() <= 12.0 / d and torch.all(e.biases[0] == 0)
    # siren_port: omega0 is the first layer's w0_initial; hidden layers keep w0 = 1.
    p = Ensemble.from_init("siren_port", d, n, 2, 1, "sin", 12.0, torch.Generator().manual_seed(0))
    assert p.weights[0].abs().max() <= 12.0 / d
    assert p.weights[1].abs().max() <= math.sqrt(6 / n)
    assert set(catalogue.frequency_inits()) == {"siren", "siren_port", "edge_of_chaos",
                                                "edge_of_chaos_sigma_a1", "ordered", "chaotic",
                                                "edge_of_chaos_orthogonal",
                                                "edge_of_chaos_orthogonal_sigma_a1"}


def test_deterministic_init_gives_one_network():
    ens = Ensemble.from_init("sinusoidal", 2, 32, 3, 8, "relu")
    assert ens.n_networks == 1 and not ens.random
    again = Ensemble.from_init("sinusoidal", 2, 32, 3, 8, "relu",
                               generator=torch.Generator().manual_seed(5))
    for a, b in zip(ens.weights, again.weights):
        assert torch.equal(a, b)


def test_linear_init_names_are_the_registry_entries_for_linear_layers():
    from initaudit.models import catalogue

    names = linear_init_names()
    assert {"siren", "edge_of_chaos", "edge_of_chaos_sigma_a1", "xavier_uniform",
            "kaiming_uniform", "orthogonal", "sinusoidal"} <= set(names)
    assert all("linear" in catalogue.get(n).applies_to for n in names)


def test_bad_options_raise_value_errors_listing_valid_values():
    g = torch.Generator().manual_seed(0)
    with pytest.raises(ValueError, match="valid names are .*edge_of_chaos.*siren"):
        Ensemble.from_init("emb_random", 2, 8, 2, 2, generator=g)
    with pytest.raises(ValueError, match="valid activations are sin, relu, tanh, erf, gelu"):
        Ensemble.from_init("siren", 2, 8, 2, 2, "swish", generator=g)
    with pytest.raises(ValueError, match="omega0 applies only to .*siren"):
        Ensemble.from_init("xavier_uniform", 2, 8, 2, 2, "tanh", 30.0, generator=g)
    with pytest.raises(ValueError, match="omega0 must be a positive finite number"):
        Ensemble.from_init("siren", 2, 8, 2, 2, "sin", -1.0, generator=g)
    with pytest.raises(ValueError, match="n_networks must be a positive integer"):
        Ensemble.from_init("siren", 2, 8, 2, 0, generator=g)
    with pytest.raises(ValueError, match="valid dtypes are float32, float64"):
        Ensemble.from_spec(_spec(width=8), 2, g, "float16")
    with pytest.raises(ValueError, match="valid dtypes are"):
        build_mlp(_spec(width=8), g, torch.int32)
    ens = Ensemble.from_spec(_spec(width=8), 2, g)
    with pytest.raises(ValueError, match=r"inputs must have shape \(P, 2\) .* or \(2, P, 2\)"):
        ens(torch.zeros(4, 3))
    with pytest.raises(ValueError, match="network index must be in"):
        ens.network(5)
    with pytest.raises(ValueError, match="fan_in 3 != fan_out of layer 0"):
        Ensemble([torch.zeros(1, 4, 2), torch.zeros(1, 1, 3)],
                 [torch.zeros(1, 4), torch.zeros(1, 1)], "sin")


def test_select_and_to():
    ens = Ensemble.from_spec(_spec(width=8), 4, torch.Generator().manual_seed(0))
    sub = ens.select(slice(1, 3))
    assert sub.n_networks == 2 and torch.equal(sub.weights[1][0], ens.weights[1][1])
    dbl = ens.to(dtype=torch.float64)
    assert dbl.dtype == torch.float64 and ens.dtype == torch.float32
    np.testing.assert_allclose(dbl.weights[0].numpy(), ens.weights[0].numpy())


def test_build_mlp_draws_orthogonal_hidden_matrices_of_the_same_variance():
    from initaudit.models import catalogue

    spec = catalogue.spec("edge_of_chaos_sigma_a1", 2, 64, 4, "sin")
    net = build_mlp(spec, torch.Generator().manual_seed(0), torch.float64, hidden_matrix="orthogonal")
    lin = [m for m in net if isinstance(m, torch.nn.Linear)]
    for layer in lin[1:-1]:  # W^T W = sigma_w^2 I (float64 QR: 1e-12)
        w = layer.weight.detach()
        torch.testing.assert_close(w.T @ w, torch.eye(64, dtype=torch.float64) * spec.hidden.sigma_w2,
                                   rtol=0, atol=1e-12)
    iid = build_mlp(spec, torch.Generator().manual_seed(0), torch.float64)
    ilin = [m for m in iid if isinstance(m, torch.nn.Linear)]
    assert torch.equal(lin[0].weight, ilin[0].weight)  # the first layer is drawn first, the same
    with pytest.raises(ValueError, match="hidden matrix law"):
        build_mlp(spec, hidden_matrix="banded")
