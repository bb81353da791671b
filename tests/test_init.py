"""Tests of the weight initializers (models/init.py) and the ``initaudit init list`` command.

Tiers and tolerances:
- torch baselines: bitwise equal (torch.equal) to torch.nn.init under the same seeded generator;
- random rules: (i) exact: the same seeded draw U(-b, b) with the bound b computed here from the
  source's formula, bitwise equal; (ii) bounds: every entry in [-b, b], and max|W| > 0.8 b, which
  n >= 64 i.i.d. uniform entries miss with probability 0.8^n < 1e-6; (iii) moments: sample mean
  and unbiased sample variance within 5 standard errors of 0 and b^2/3 (SE formulas below);
- deterministic rules (Sinusoidal): the expected matrix computed here with numpy from the formula,
  float64, |difference| <= 1e-12; the variance identity var(W) = gain^2/fan to a relative 1e-10;
- property tests with hypothesis (derandomised, shapes 1..64) for the declared variance.
Every random draw is seeded.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from torch import nn

import initaudit.models.init as I
from initaudit.models import catalogue

OWN_NAMES = (
    "xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal", "orthogonal",
    "siren", "siren_port", "edge_of_chaos", "edge_of_chaos_sigma_a1", "sinusoidal",
    "sinusoidal_paper", "torch_default",
)
E2 = math.exp(-2.0)


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def uniform_draw(shape, bound, seed, dtype=torch.float32, scale=1.0):
    """The draw a U(-bound, bound) rule makes from a fresh generator seeded with ``seed``."""
    t = torch.empty(shape, dtype=dtype).uniform_(-bound, bound, generator=gen(seed))
    return t.mul_(scale) if scale != 1.0 else t


def assert_uniform_moments(values: torch.Tensor, bound: float) -> None:
    """Sample mean and unbiased variance of i.i.d. U(-a, a) entries within 5 standard errors.

    For n i.i.d. U(-a, a): sigma^2 = a^2/3, so SE(mean) = a / sqrt(3 n). The unbiased sample
    variance s^2 has Var(s^2) = mu_4/n - sigma^4 (n - 3) / (n (n - 1)) with mu_4 = a^4/5, so
    SE(s^2) = a^2 sqrt(1/(5 n) - (n - 3) / (9 n (n - 1))).
    """
    x = values.detach().to(torch.float64).reshape(-1).numpy()
    n, a = x.size, float(bound)
    se_mean = a / math.sqrt(3.0 * n)
    se_var = a * a * math.sqrt(1.0 / (5.0 * n) - (n - 3.0) / (9.0 * n * (n - 1.0)))
    assert abs(x.mean()) < 5.0 * se_mean, (x.mean(), se_mean)
    assert abs(x.var(ddof=1) - a * a / 3.0) < 5.0 * se_var, (x.var(ddof=1), a * a / 3.0, se_var)


def assert_within_bound(values: torch.Tensor, bound: float) -> None:
    x = values.detach().abs()
    assert float(x.max()) <= bound * (1.0 + 1e-6)
    assert x.numel() < 64 or float(x.max()) > 0.8 * bound  # not a too-loose bound either


def fans(shape):
    rec = math.prod(shape[2:])
    return shape[1] * rec, shape[0] * rec


def sinusoidal_expected(shape, mode="fan_in", gain=math.sqrt(2.0)) -> np.ndarray:
    """Sinusoidal (current reference) from its formula, float64 numpy."""
    n_out, n_in = shape[0], math.prod(shape[1:])
    k = np.arange(1, n_out + 1, dtype=np.float64)[:, None]
    j = np.arange(n_in, dtype=np.float64)[None, :]
    raw = np.sin(2 * np.pi * k * j / n_in + 2 * np.pi * k / n_out)
    fan_in, fan_out = fans(shape)
    fan = fan_in if mode == "fan_in" else fan_out
    return (raw * gain / np.sqrt(raw.var(ddof=1) * fan)).reshape(shape)


def sinusoidal_paper_expected(shape) -> np.ndarray:
    """Sinusoidal (paper experiments' variant) from its formula, float64 numpy."""
    n_out, n_in = shape[0], math.prod(shape[1:])
    if len(shape) == 2:
        k = np.arange(1, n_out + 1, dtype=np.float64)[:, None]
        j = np.arange(n_in, dtype=np.float64)[None, :]
        raw = np.sin(2 * np.pi * k * j / n_in + 2 * np.pi * k / n_out)
    else:
        i = np.arange(n_out)[:, None]
        j = np.arange(n_in)[None, :]
        raw = np.sin(2 * np.pi * ((i + 1) * j + i) / n_out)
    return (raw * np.sqrt(2.0 / (raw.var(ddof=1) * (n_in + n_out)))).reshape(shape)


def run_sinusoidal(shape, **kw) -> torch.Tensor:
    t = torch.empty(shape, dtype=torch.float64)
    assert I.sinusoidal_(t, **kw) is t
    return t


# --------------------------------------------------------------------------- registry


def test_every_entry_is_registered_with_full_metadata():
    names = catalogue.available()
    for name in OWN_NAMES:
        assert name in names
        info = catalogue.get(name)
        assert info.paper and info.formula and info.notes
        assert set(info.applies_to) <= set(catalogue.LAYER_KINDS)
        assert "linear" in info.applies_to
        assert {"first", "hidden", "readout"} <= set(info.applies_to)
        assert info.arxiv is None or len(info.arxiv.split(".")) == 2
        assert isinstance(info.defaults, dict)
        json.dumps(info.as_dict())  # JSON-friendly
    assert catalogue.get("sinusoidal").random is False
    assert catalogue.get("sinusoidal_paper").random is False
    assert catalogue.get("siren").random is True
    assert catalogue.get("siren").arxiv == "2006.09661"
    assert catalogue.get("sinusoidal").arxiv == "2505.12909"
    assert catalogue.get("edge_of_chaos").arxiv == "2512.06427"
    assert set(catalogue.available("conv")) >= {"sinusoidal", "sinusoidal_paper", "orthogonal"}
    assert "siren" not in catalogue.available("conv")


def test_registered_defaults_match_signatures():
    import inspect

    for name in OWN_NAMES:
        info = catalogue.get(name)
        params = inspect.signature(info.fn).parameters
        assert "generator" in params
        for key, value in info.defaults.items():
            assert params[key].default == value, (name, key)


def test_models_package_imports_nothing_eagerly():
    code = "import sys, initaudit.models; print('initaudit.models.init' in sys.modules, 'torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=str(__import__("pathlib").Path(__file__).resolve().parents[1]))
    assert out.stdout.split() == ["False", "False"]


# --------------------------------------------------------------------------- torch baselines

BASELINE_CASES = [
    ("xavier_uniform", I.xavier_uniform_, nn.init.xavier_uniform_, {}),
    ("xavier_uniform", I.xavier_uniform_, nn.init.xavier_uniform_, {"gain": 2.5}),
    ("xavier_normal", I.xavier_normal_, nn.init.xavier_normal_, {"gain": 0.7}),
    ("kaiming_uniform", I.kaiming_uniform_, nn.init.kaiming_uniform_, {}),
    ("kaiming_uniform", I.kaiming_uniform_, nn.init.kaiming_uniform_,
     {"a": 0.1, "mode": "fan_out", "nonlinearity": "leaky_relu"}),
    ("kaiming_normal", I.kaiming_normal_, nn.init.kaiming_normal_, {"nonlinearity": "tanh"}),
    ("kaiming_normal", I.kaiming_normal_, nn.init.kaiming_normal_, {"mode": "fan_out"}),
    ("orthogonal", I.orthogonal_, nn.init.orthogonal_, {}),
    ("orthogonal", I.orthogonal_, nn.init.orthogonal_, {"gain": 1.3}),
]


@pytest.mark.parametrize("name, ours, theirs, kwargs", BASELINE_CASES)
@pytest.mark.parametrize("shape", [(17, 9), (9, 17), (8, 3, 3, 3), (4, 2, 5)])
def test_baselines_bitwise_equal_to_torch(name, ours, theirs, kwargs, shape):
    assert catalogue.get(name).fn is ours
    a = torch.empty(shape)
    b = torch.empty(shape)
    assert ours(a, generator=gen(7), **kwargs) is a
    theirs(b, generator=gen(7), **kwargs)
    assert torch.equal(a, b)
    c = ours(torch.empty(shape), generator=gen(8), **kwargs)
    assert not torch.equal(a, c)  # the generator is really used


def test_baseline_layers_have_zero_bias():
    for name in ("xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal",
                 "orthogonal"):
        for role in I.ROLES:
            layer = nn.Linear(12, 7)
            I.init_linear_(layer, name, role=role, generator=gen(3))
            expected = catalogue.get(name).fn(torch.empty(7, 12), generator=gen(3))
            assert torch.equal(layer.weight.detach(), expected)
            assert torch.count_nonzero(layer.bias) == 0


def test_kaiming_uniform_moments():
    w = I.kaiming_uniform_(torch.empty(256, 128), generator=gen(1))
    bound = math.sqrt(2.0) * math.sqrt(3.0 / 128)  # gain sqrt(2) for leaky_relu with a = 0
    assert_within_bound(w, bound)
    assert_uniform_moments(w, bound)


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize("fn", [I.xavier_uniform_, I.xavier_normal_, I.kaiming_uniform_,
                                I.kaiming_normal_, I.orthogonal_, I.sinusoidal_,
                                I.sinusoidal_paper_, I.siren_, I.siren_first_, I.siren_port_,
                                I.siren_port_first_, I.edge_of_chaos_, I.edge_of_chaos_first_])
def test_vectors_are_rejected_with_the_needed_shape(fn):
    with pytest.raises(ValueError, match=r"2 dimensions|2-D weight"):
        fn(torch.empty(5))
    with pytest.raises(ValueError, match=r"shape \(5,\)"):
        fn(torch.empty(5))


@pytest.mark.parametrize("fn", [I.siren_, I.siren_first_, I.siren_port_, I.siren_port_first_,
                                I.edge_of_chaos_, I.edge_of_chaos_first_])
def test_sine_network_rules_need_linear_weights(fn):
    with pytest.raises(ValueError, match=r"2-D weight of shape \(out_features, in_features\)"):
        fn(torch.empty(4, 3, 3))


def test_empty_tensors_are_rejected():
    with pytest.raises(ValueError, match="non-empty"):
        I.sinusoidal_(torch.empty(0, 4))
    with pytest.raises(ValueError, match="non-empty"):
        I.xavier_uniform_(torch.empty(3, 0))


@pytest.mark.parametrize("call", [
    lambda: I.sinusoidal_(torch.empty(4, 4), mode="fan_avg"),
    lambda: I.kaiming_uniform_(torch.empty(4, 4), mode="fan_avg"),
    lambda: I.kaiming_normal_(torch.empty(4, 4), mode="bad"),
])
def test_bad_mode_lists_the_valid_modes(call):
    with pytest.raises(ValueError, match="valid modes are fan_in, fan_out"):
        call()


def test_bad_nonlinearity_lists_the_valid_ones():
    with pytest.raises(ValueError, match="valid nonlinearities are .*leaky_relu"):
        I.kaiming_uniform_(torch.empty(4, 4), nonlinearity="swish")


def test_bad_role_variant_and_name_list_the_valid_choices():
    layer = nn.Linear(4, 4)
    with pytest.raises(ValueError, match="valid roles are first, hidden, readout"):
        I.init_linear_(layer, "siren", role="output")
    with pytest.raises(ValueError, match="valid names are .*siren"):
        I.init_linear_(layer, "not_an_initializer")
    with pytest.raises(ValueError, match="valid variants are current, paper"):
        I.sinusoidal_init(layer, variant="v2")
    with pytest.raises(ValueError, match="valid roles are"):
        I.siren_port_bias_(torch.empty(4), 4, role="middle")


def test_init_linear_rejects_names_without_a_layer_rule_and_non_linear_layers():
    others = [n for n in catalogue.available() if catalogue.get(n).layer is None]
    if others:  # e.g. the embedding strategies of models.embeddings
        with pytest.raises(ValueError, match="valid names are .*sinusoidal_paper"):
            I.init_linear_(nn.Linear(4, 4), others[0])
    assert set(I.linear_init_names()) == set(OWN_NAMES)
    with pytest.raises(TypeError, match="needs an nn.Linear"):
        I.init_linear_(nn.Conv2d(2, 2, 3), "siren")


@pytest.mark.parametrize("call", [
    lambda: I.siren_(torch.empty(4, 4), omega0=0.0),
    lambda: I.siren_port_(torch.empty(4, 4), w0=-1.0),
    lambda: I.edge_of_chaos_(torch.empty(4, 4), c_w=float("nan")),
    lambda: I.edge_of_chaos_bias_(torch.empty(4), c_b=-0.5),
    lambda: I.siren_bias_(torch.empty(4), 0),
    lambda: I.siren_bias_(torch.empty(4, 2), 3),
])
def test_bad_numeric_options_raise_value_error(call):
    with pytest.raises(ValueError):
        call()


# --------------------------------------------------------------------------- SIREN


def test_siren_hidden_matches_reference_formula():
    n_in, omega0 = 128, 30.0
    bound = math.sqrt(6.0 / n_in) / omega0
    w = I.siren_(torch.empty(256, n_in), generator=gen(11))
    assert torch.equal(w, uniform_draw((256, n_in), bound, 11))
    assert_within_bound(w, bound)
    assert_uniform_moments(w, bound)
    assert I.SIREN_OMEGA0 == 30.0


def test_siren_first_layer_and_bias():
    w = I.siren_first_(torch.empty(256, 3), generator=gen(2))
    assert torch.equal(w, uniform_draw((256, 3), 1.0 / 3, 2))
    assert_within_bound(w, 1.0 / 3)
    assert_uniform_moments(w, 1.0 / 3)
    b = I.siren_bias_(torch.empty(4096), 64, generator=gen(5))
    assert torch.equal(b, uniform_draw((4096,), 1.0 / 8.0, 5))  # torch default 1/sqrt(64)
    assert_within_bound(b, 1.0 / 8.0)
    assert_uniform_moments(b, 1.0 / 8.0)


def test_siren_bias_is_torch_nn_linear_default():
    # The reference never touches biases: they are what nn.Linear.reset_parameters draws.
    torch.manual_seed(0)
    layer = nn.Linear(50, 400)
    bound = 1.0 / math.sqrt(50)
    assert_within_bound(layer.bias, bound)
    b = I.siren_bias_(torch.empty(400), 50, generator=gen(0))
    assert_within_bound(b, bound)


def test_siren_folded_is_omega0_times_reference():
    for fn, args in ((I.siren_, ()), (I.siren_first_, ())):
        a = fn(torch.empty(64, 32, dtype=torch.float64), *args, generator=gen(4))
        f = fn(torch.empty(64, 32, dtype=torch.float64), *args, folded=True, generator=gen(4))
        torch.testing.assert_close(f, 30.0 * a, rtol=1e-15, atol=0)
    # Folded hidden weights: c_w = sqrt(6), whatever omega0.
    w = I.siren_(torch.empty(256, 128), 12.0, folded=True, generator=gen(9))
    assert_within_bound(w, math.sqrt(6.0 / 128))
    assert_uniform_moments(w, math.sqrt(6.0 / 128))


@pytest.mark.parametrize("folded", [True, False])
def test_siren_layer_roles(folded):
    n_in, n_out, seed, om = 40, 24, 13, 30.0
    s = om if folded else 1.0
    expectations = {
        # role: (weight bound, weight scale, bias bound, bias scale)
        "first": (1.0 / n_in, s, 1.0 / math.sqrt(n_in), s),
        "hidden": (math.sqrt(6.0 / n_in) / om, s, 1.0 / math.sqrt(n_in), s),
        # the reference's final nn.Linear: hidden weight rule, torch default bias, no sine
        "readout": (math.sqrt(6.0 / n_in) / om, 1.0, 1.0 / math.sqrt(n_in), 1.0),
    }
    for role, (wb, ws, bb, bs) in expectations.items():
        layer = I.init_linear_(nn.Linear(n_in, n_out), "siren", role=role, generator=gen(seed),
                               folded=folded)
        g = gen(seed)
        w = torch.empty(n_out, n_in).uniform_(-wb, wb, generator=g)
        b = torch.empty(n_out).uniform_(-bb, bb, generator=g)
        if ws != 1.0:
            w.mul_(ws)
        if bs != 1.0:
            b.mul_(bs)
        assert torch.equal(layer.weight.detach(), w), role
        assert torch.equal(layer.bias.detach(), b), role


def test_siren_layer_options_are_forwarded():
    layer = I.init_linear_(nn.Linear(16, 8), "siren", role="hidden", omega0=10.0, folded=False,
                           generator=gen(1))
    g = gen(1)
    w = torch.empty(8, 16).uniform_(-math.sqrt(6 / 16) / 10, math.sqrt(6 / 16) / 10, generator=g)
    assert torch.equal(layer.weight.detach(), w)
    layer = nn.Linear(16, 8, bias=False)
    I.init_linear_(layer, "siren", role="hidden", generator=gen(1))
    assert layer.bias is None


# --------------------------------------------------------------------------- siren-pytorch port


def test_siren_port_hidden_weight_and_bias_share_the_range():
    n_in = 256
    w_std = math.sqrt(6.0 / n_in) / 1.0  # w0 = 1 on hidden layers, c = 6
    layer = I.init_linear_(nn.Linear(n_in, 512), "siren_port", role="hidden", folded=False,
                           generator=gen(21))
    assert_within_bound(layer.weight, w_std)
    assert_uniform_moments(layer.weight, w_std)
    assert_within_bound(layer.bias, w_std)
    assert_uniform_moments(layer.bias, w_std)
    g = gen(21)
    w = torch.empty(512, n_in).uniform_(-w_std, w_std, generator=g)
    b = torch.empty(512).uniform_(-w_std, w_std, generator=g)
    assert torch.equal(layer.weight.detach(), w) and torch.equal(layer.bias.detach(), b)
    # The reference's hidden bias is U(+-1/sqrt(n)) and its weight U(+-sqrt(6/n)/30): a
    # different range in both, which the notes must say.
    assert float(layer.bias.detach().abs().max()) > 1.0 / math.sqrt(n_in)
    notes = catalogue.get("siren_port").notes
    assert "bias" in notes and "reference" in notes


@pytest.mark.parametrize("folded", [True, False])
def test_siren_port_layer_roles(folded):
    n_in, n_out, seed = 30, 20, 3
    expectations = {
        # role: (bound, scale of weight and bias)
        "first": (1.0 / n_in, 30.0 if folded else 1.0),
        "hidden": (math.sqrt(6.0 / n_in), 1.0),   # w0 = 1: folding changes nothing
        "readout": (math.sqrt(6.0 / n_in), 1.0),
    }
    for role, (bound, scale) in expectations.items():
        layer = I.init_linear_(nn.Linear(n_in, n_out), "siren_port", role=role,
                               generator=gen(seed), folded=folded)
        g = gen(seed)
        w = torch.empty(n_out, n_in).uniform_(-bound, bound, generator=g)
        b = torch.empty(n_out).uniform_(-bound, bound, generator=g)
        if scale != 1.0:
            w.mul_(scale)
            b.mul_(scale)
        assert torch.equal(layer.weight.detach(), w), role
        assert torch.equal(layer.bias.detach(), b), role


def test_siren_port_with_w0_30_matches_reference_hidden_weights_only():
    n_in = 64
    port = I.siren_port_(torch.empty(32, n_in), w0=30.0, generator=gen(0))
    ref = I.siren_(torch.empty(32, n_in), 30.0, generator=gen(0))
    assert torch.equal(port, ref)
    pb = I.siren_port_bias_(torch.empty(32), n_in, role="hidden", w0=30.0, generator=gen(0))
    rb = I.siren_bias_(torch.empty(32), n_in, generator=gen(0))
    assert not torch.allclose(pb, rb)


# --------------------------------------------------------------------------- edge of chaos


def unit_gain_cb_closed_form(c_w: float) -> float:
    return math.sqrt(3.0 - c_w ** 2 - 1.5 * math.log(6.0 / c_w ** 2 - 1.0))


def test_edge_of_chaos_default_layers():
    n_in, n_out = 128, 256
    first = I.init_linear_(nn.Linear(3, n_out), "edge_of_chaos", role="first", generator=gen(1))
    assert torch.equal(first.weight.detach(), uniform_draw((n_out, 3), 30.0 / 3, 1))
    assert torch.count_nonzero(first.bias) == 0
    hidden = I.init_linear_(nn.Linear(n_in, n_out), "edge_of_chaos", generator=gen(2))
    bound = math.sqrt(3.0) / math.sqrt(n_in)
    assert torch.equal(hidden.weight.detach(), uniform_draw((n_out, n_in), bound, 2))
    assert_within_bound(hidden.weight, bound)
    assert_uniform_moments(hidden.weight, bound)  # sigma_w^2 = 1
    assert torch.count_nonzero(hidden.bias) == 0  # sigma_a = 0 point: c_b = 0
    readout = I.init_linear_(nn.Linear(n_in, 10), "edge_of_chaos", role="readout",
                             generator=gen(3))
    assert torch.equal(readout.weight.detach(), uniform_draw((10, n_in), math.sqrt(3 / n_in), 3))
    assert torch.count_nonzero(readout.bias) == 0
    assert "not specified by the paper" in catalogue.get("edge_of_chaos").notes


def test_edge_of_chaos_first_layer_omega0_option():
    w = I.edge_of_chaos_first_(torch.empty(512, 2), 15.0, generator=gen(6))
    assert_within_bound(w, 7.5)
    assert_uniform_moments(w, 7.5)


def test_edge_of_chaos_bias_on_the_unit_gain_curve():
    from initaudit.theory import sine  # noqa: F401
    c_w = 2.0
    c_b = unit_gain_cb_closed_form(c_w)
    layer = I.init_linear_(nn.Linear(64, 2048), "edge_of_chaos", c_w=c_w, generator=gen(8))
    assert_within_bound(layer.weight, c_w / 8.0)
    assert_within_bound(layer.bias, c_b)
    assert_uniform_moments(layer.bias, c_b)
    g = gen(8)
    torch.empty(2048, 64).uniform_(-0.25, 0.25, generator=g)
    b = torch.empty(2048).uniform_(-c_b, c_b, generator=g)
    torch.testing.assert_close(layer.bias.detach(), b, rtol=1e-6, atol=1e-7)
    with pytest.raises(ValueError):  # outside [sqrt(3), sqrt(6)): no unit-gain bias
        I.edge_of_chaos_bias_(torch.empty(4), c_w=1.5)
    explicit = I.edge_of_chaos_bias_(torch.empty(4096), 0.3, generator=gen(0))
    assert_uniform_moments(explicit, 0.3)


def test_edge_of_chaos_sigma_a1_point():
    from initaudit.theory import sine  # noqa: F401
    c_w = math.sqrt(6.0 / (1.0 + E2))
    c_b = math.sqrt(6.0 * E2 / (1.0 + E2))
    # q* = sigma_w^2 E[sin^2 z] + sigma_b^2 = 1 and chi = sigma_w^2 E[cos^2 z] = 1 at q = 1:
    sw2, sb2 = c_w ** 2 / 3, c_b ** 2 / 3
    assert abs(sw2 * (1 - E2) / 2 + sb2 - 1.0) < 1e-12
    assert abs(sw2 * (1 + E2) / 2 - 1.0) < 1e-12
    n_in = 100
    w = I.edge_of_chaos_sigma_a1_(torch.empty(300, n_in, dtype=torch.float64), generator=gen(4))
    expected = uniform_draw((300, n_in), c_w / 10.0, 4, dtype=torch.float64)
    torch.testing.assert_close(w, expected, rtol=1e-13, atol=0)
    layer = I.init_linear_(nn.Linear(n_in, 4096), "edge_of_chaos_sigma_a1", generator=gen(5))
    assert_within_bound(layer.weight, c_w / 10.0)
    assert_uniform_moments(layer.weight, c_w / 10.0)
    assert_within_bound(layer.bias, c_b)
    assert_uniform_moments(layer.bias, c_b)
    first = I.init_linear_(nn.Linear(2, 64), "edge_of_chaos_sigma_a1", role="first",
                           generator=gen(1))
    assert torch.equal(first.weight.detach(), uniform_draw((64, 2), 15.0, 1))
    assert torch.count_nonzero(first.bias) == 0


@pytest.mark.parametrize("name, q_star", [("edge_of_chaos_orthogonal", 0.0),
                                           ("edge_of_chaos_orthogonal_sigma_a1", 1.0)])
def test_edge_of_chaos_orthogonal_variant(name, q_star):
    # Closed form of the unit-gain point with fixed point q* (independent of theory.sine):
    # c_w^2 = 6 / (1 + e^{-2 q*}), c_b^2 = 3 q* + 3 - c_w^2.
    c_w2 = 6.0 / (1.0 + math.exp(-2.0 * q_star))
    c_b = math.sqrt(max(3.0 * q_star + 3.0 - c_w2, 0.0))
    n = 256
    layer = I.init_linear_(nn.Linear(n, n).double(), name, generator=gen(9))
    w = layer.weight.detach()
    # W^T W = (c_w^2 / 3) I: float64 QR, so 1e-12 is ~ 100 ulp of the largest entry
    torch.testing.assert_close(w.T @ w, torch.eye(n, dtype=torch.float64) * c_w2 / 3.0,
                               rtol=0, atol=1e-12)
    if c_b == 0.0:
        assert torch.count_nonzero(layer.bias) == 0
    else:
        assert_within_bound(layer.bias, c_b)
    # Semi-orthogonal shapes keep sigma_w^2 = c_w^2 / 3 against the fan-in
    for shape in ((64, 256), (256, 64)):
        w = I.edge_of_chaos_orthogonal_(torch.empty(*shape, dtype=torch.float64),
                                        math.sqrt(c_w2), generator=gen(3))
        assert abs((w ** 2).mean().item() * shape[1] - c_w2 / 3.0) < 1e-12
    # First layer and readout are the i.i.d. edge-of-chaos ones, bitwise
    for role, shape in (("first", (n, 2)), ("readout", (1, n))):
        ours = I.init_linear_(nn.Linear(shape[1], shape[0]), name, role=role, generator=gen(1))
        ref = I.init_linear_(nn.Linear(shape[1], shape[0]), "edge_of_chaos", role=role,
                             generator=gen(1))
        assert torch.equal(ours.weight, ref.weight) and torch.equal(ours.bias, ref.bias)
    # The mean field is that of the i.i.d. point; only the matrix law differs
    iid = "edge_of_chaos" if q_star == 0 else "edge_of_chaos_sigma_a1"
    assert catalogue.spec(name, 2, n, 8, "sin").with_(name=iid) == catalogue.spec(iid, 2, n, 8, "sin")
    assert catalogue.get(name).matrix == "orthogonal" and catalogue.get(name).control


# --------------------------------------------------------------------------- Sinusoidal


@pytest.mark.parametrize("shape", [(16, 8), (8, 16), (5, 7), (1, 9), (64, 64), (3, 1)])
@pytest.mark.parametrize("mode", ["fan_in", "fan_out"])
def test_sinusoidal_linear_matches_formula(shape, mode):
    got = run_sinusoidal(shape, mode=mode).numpy()
    np.testing.assert_allclose(got, sinusoidal_expected(shape, mode), rtol=0, atol=1e-12)


@pytest.mark.parametrize("shape", [(8, 3, 3, 3), (6, 4, 5), (4, 2, 2, 3, 2), (16, 1, 1, 1)])
@pytest.mark.parametrize("mode", ["fan_in", "fan_out"])
def test_sinusoidal_conv_flattens_and_reshapes(shape, mode):
    got = run_sinusoidal(shape, mode=mode, gain=1.7).numpy()
    np.testing.assert_allclose(got, sinusoidal_expected(shape, mode, 1.7), rtol=0, atol=1e-12)
    fan = fans(shape)[0 if mode == "fan_in" else 1]
    assert fans(shape) == nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    assert abs(got.var(ddof=1) - 1.7 ** 2 / fan) < 1e-10 * 1.7 ** 2 / fan


def test_sinusoidal_float32_and_defaults():
    w = I.sinusoidal_(torch.empty(32, 16))
    assert w.dtype == torch.float32
    np.testing.assert_allclose(w.numpy(), sinusoidal_expected((32, 16)), rtol=0, atol=1e-7)
    assert I.SINUSOIDAL_GAIN == math.sqrt(2.0)


def test_sinusoidal_is_deterministic_and_ignores_the_generator():
    g = gen(0)
    state = g.get_state()
    a = I.sinusoidal_(torch.empty(10, 12), generator=g)
    b = I.sinusoidal_(torch.empty(10, 12), generator=gen(99))
    assert torch.equal(a, b)
    assert torch.equal(g.get_state(), state)  # nothing drawn
    c = I.sinusoidal_paper_(torch.empty(10, 12), generator=g)
    assert torch.equal(c, I.sinusoidal_paper_(torch.empty(10, 12)))


@pytest.mark.parametrize("shape", [(16, 8), (7, 5), (8, 3, 3, 3), (5, 4, 3), (3, 2, 2, 2, 2)])
def test_sinusoidal_paper_matches_formula(shape):
    t = torch.empty(shape, dtype=torch.float64)
    assert I.sinusoidal_paper_(t) is t
    np.testing.assert_allclose(t.numpy(), sinusoidal_paper_expected(shape), rtol=0, atol=1e-12)
    n_out, n_in = shape[0], math.prod(shape[1:])
    assert abs(t.numpy().var(ddof=1) - 2 / (n_in + n_out)) < 1e-10 * 2 / (n_in + n_out)


def test_sinusoidal_paper_conv_differs_from_current_conv():
    # Same scale rule would still give a different pattern: per-row frequency 2 pi (i+1)/C_out.
    shape = (8, 3, 3, 3)
    paper = I.sinusoidal_paper_(torch.empty(shape, dtype=torch.float64))
    linear_pattern = sinusoidal_expected(shape, "fan_in", 1.0)
    linear_pattern *= math.sqrt(2.0 / (linear_pattern.var(ddof=1) * (27 + 8)))
    assert not np.allclose(paper.numpy(), linear_pattern)


def test_degenerate_patterns_are_refused_exactly_where_they_vanish():
    for n_out in range(1, 7):
        for n_in in range(1, 7):
            k = np.arange(1, n_out + 1)[:, None]
            j = np.arange(n_in)[None, :]
            vanishes = np.abs(np.sin(2 * np.pi * k * j / n_in + 2 * np.pi * k / n_out)).max() < 1e-9
            if vanishes:
                for fn in (I.sinusoidal_, I.sinusoidal_paper_):
                    with pytest.raises(ValueError, match="identically zero"):
                        fn(torch.empty(n_out, n_in))
            else:
                I.sinusoidal_(torch.empty(n_out, n_in))
                I.sinusoidal_paper_(torch.empty(n_out, n_in))
    for c_out in range(1, 6):
        i = np.arange(c_out)[:, None]
        j = np.arange(12)[None, :]
        vanishes = np.abs(np.sin(2 * np.pi * ((i + 1) * j + i) / c_out)).max() < 1e-9
        if vanishes:
            with pytest.raises(ValueError, match="identically zero"):
                I.sinusoidal_paper_(torch.empty(c_out, 3, 2, 2))
        else:
            I.sinusoidal_paper_(torch.empty(c_out, 3, 2, 2))
    with pytest.raises(ValueError, match="identically zero"):
        I.sinusoidal_(torch.empty(2, 2))


# --------------------------------------------------------------------------- sinusoidal_init


class _Net(nn.Module):
    def __init__(self, e=6, kdim=None):
        super().__init__()
        self.lin = nn.Linear(e, 5)
        self.conv = nn.Conv2d(3, 4, 3)
        self.conv1 = nn.Conv1d(2, 5, 3)
        self.attn = nn.MultiheadAttention(e, 2, kdim=kdim, vdim=kdim)


def _sin_current(shape):
    return I.sinusoidal_(torch.empty(shape))


def test_sinusoidal_init_current_splits_attention_in_proj():
    e = 6
    net = _Net(e)
    with torch.no_grad():
        net.attn.in_proj_bias.fill_(0.5)
    assert I.sinusoidal_init(net) is net
    assert torch.equal(net.lin.weight.detach(), _sin_current((5, e)))
    assert torch.count_nonzero(net.lin.bias) == 0
    assert torch.equal(net.conv.weight.detach(), _sin_current((4, 3, 3, 3)))
    assert torch.count_nonzero(net.conv.bias) == 0
    assert torch.equal(net.conv1.weight.detach(), _sin_current((5, 2, 3)))
    square = _sin_current((e, e))
    for i in range(3):  # q, k and v: each its own (E, E) matrix
        assert torch.equal(net.attn.in_proj_weight.detach()[i * e:(i + 1) * e], square)
    packed = _sin_current((3 * e, e))
    assert not torch.allclose(net.attn.in_proj_weight.detach(), packed)
    # out_proj is an nn.Linear subclass: sinusoidal weight, zero bias
    assert torch.equal(net.attn.out_proj.weight.detach(), square)
    assert torch.count_nonzero(net.attn.out_proj.bias) == 0
    # in_proj_bias is left alone, as the reference does
    assert torch.all(net.attn.in_proj_bias == 0.5)


def test_sinusoidal_init_separate_projection_weights():
    net = _Net(6, kdim=4)
    I.sinusoidal_init(net)
    assert torch.equal(net.attn.q_proj_weight.detach(), _sin_current((6, 6)))
    assert torch.equal(net.attn.k_proj_weight.detach(), _sin_current((6, 4)))
    assert torch.equal(net.attn.v_proj_weight.detach(), _sin_current((6, 4)))


def test_sinusoidal_init_paper_variant():
    net = _Net(6)
    before = net.attn.in_proj_weight.detach().clone()
    I.sinusoidal_init(net, "paper")
    assert torch.equal(net.attn.in_proj_weight.detach(), before)  # reference leaves MHA alone
    expected_conv = torch.from_numpy(sinusoidal_paper_expected((4, 3, 3, 3))).float()
    torch.testing.assert_close(net.conv.weight.detach(), expected_conv, rtol=0, atol=1e-7)
    expected_lin = torch.from_numpy(sinusoidal_paper_expected((5, 6))).float()
    torch.testing.assert_close(net.lin.weight.detach(), expected_lin, rtol=0, atol=1e-7)
    I.sinusoidal_init(net, "paper", attention=True)
    square = I.sinusoidal_paper_(torch.empty(6, 6))
    for i in range(3):
        assert torch.equal(net.attn.in_proj_weight.detach()[i * 6:(i + 1) * 6], square)


def test_sinusoidal_layer_rule():
    for name, fn in (("sinusoidal", I.sinusoidal_), ("sinusoidal_paper", I.sinusoidal_paper_)):
        for role in I.ROLES:
            layer = I.init_linear_(nn.Linear(9, 7), name, role=role, generator=gen(0))
            assert torch.equal(layer.weight.detach(), fn(torch.empty(7, 9)))
            assert torch.count_nonzero(layer.bias) == 0
    layer = I.init_linear_(nn.Linear(9, 7), "sinusoidal", mode="fan_out", gain=1.0)
    assert torch.equal(layer.weight.detach(), I.sinusoidal_(torch.empty(7, 9), "fan_out", 1.0))


# --------------------------------------------------------------------------- property tests

dims = st.integers(min_value=1, max_value=64)


@settings(derandomize=True, max_examples=150, deadline=None)
@given(n_out=dims, n_in=dims, kernel=st.lists(st.integers(1, 3), max_size=2),
       mode=st.sampled_from(I.FAN_MODES), gain=st.floats(0.05, 20.0))
def test_sinusoidal_variance_identity(n_out, n_in, kernel, mode, gain):
    shape = (n_out, n_in, *kernel)
    assume(not (n_out <= 2 and math.prod(shape[1:]) <= 2))
    w = run_sinusoidal(shape, mode=mode, gain=gain)
    fan = fans(shape)[0 if mode == "fan_in" else 1]
    target = gain ** 2 / fan
    assert abs(float(w.var()) - target) <= 1e-10 * target


@settings(derandomize=True, max_examples=150, deadline=None)
@given(n_out=dims, n_in=dims, kernel=st.lists(st.integers(1, 3), max_size=2))
def test_sinusoidal_paper_variance_identity(n_out, n_in, kernel):
    shape = (n_out, n_in, *kernel)
    flat = math.prod(shape[1:])
    assume(n_out > 2 if kernel else not (n_out <= 2 and flat <= 2))
    t = I.sinusoidal_paper_(torch.empty(shape, dtype=torch.float64))
    target = 2.0 / (flat + n_out)
    assert abs(float(t.var()) - target) <= 1e-10 * target


UNIFORM_RULES = {
    # name: (call, declared bound(n_out, n_in))
    "siren": (lambda t, g: I.siren_(t, generator=g), lambda o, n: math.sqrt(6 / n) / 30),
    "siren_first": (lambda t, g: I.siren_first_(t, generator=g), lambda o, n: 1 / n),
    "siren_port": (lambda t, g: I.siren_port_(t, generator=g), lambda o, n: math.sqrt(6 / n)),
    "edge_of_chaos": (lambda t, g: I.edge_of_chaos_(t, generator=g),
                      lambda o, n: math.sqrt(3) / math.sqrt(n)),
    "edge_of_chaos_first": (lambda t, g: I.edge_of_chaos_first_(t, generator=g),
                            lambda o, n: 30 / n),
    "xavier_uniform": (lambda t, g: I.xavier_uniform_(t, generator=g),
                       lambda o, n: math.sqrt(6 / (o + n))),
    "kaiming_uniform": (lambda t, g: I.kaiming_uniform_(t, generator=g),
                        lambda o, n: math.sqrt(2) * math.sqrt(3 / n)),
}


@settings(derandomize=True, max_examples=120, deadline=None)
@given(rule=st.sampled_from(sorted(UNIFORM_RULES)), n_out=st.integers(8, 64),
       n_in=st.integers(8, 64), seed=st.integers(0, 2 ** 31 - 1))
def test_uniform_rules_declared_bound_and_variance(rule, n_out, n_in, seed):
    call, bound_of = UNIFORM_RULES[rule]
    bound = bound_of(n_out, n_in)
    w = call(torch.empty(n_out, n_in, dtype=torch.float64), gen(seed))
    assert_within_bound(w, bound)
    assert_uniform_moments(w, bound)


# --------------------------------------------------------------------------- init list command


def _cli(argv, capsys):
    from initaudit.figures.cli import main

    status = main(argv)
    out = capsys.readouterr()
    return status, out.out, out.err


def test_cli_init_list_json_contains_every_registered_name(capsys):
    status, out, _ = _cli(["init", "list", "--json"], capsys)
    assert status == 0
    records = json.loads(out)
    names = [r["name"] for r in records]
    assert names == catalogue.available()
    for r in records:
        assert {"name", "paper", "arxiv", "formula", "applies_to", "random", "scope"} <= set(r)
    by_name = {r["name"]: r for r in records}
    assert by_name["sinusoidal"]["random"] is False
    assert by_name["siren"]["arxiv"] == "2006.09661"


def test_cli_init_list_text_table(capsys):
    status, out, _ = _cli(["init", "list"], capsys)
    assert status == 0
    header = out.splitlines()[0].split()
    assert header[:3] == ["name", "scope", "random"]
    rows = {line.split()[0]: line.split()[1] for line in out.splitlines()[2:]
            if line and not line.startswith(" ")}
    assert set(rows) == set(catalogue.available())
    assert rows["lsuv"] == "model" and rows["harmonic"] == "layer" and rows["siren"] == "tensor"
    assert "formula: raw[k, j] = sin(2 pi k j / n_in" in out


def test_cli_init_needs_an_action(capsys):
    status, _, err = _cli(["init"], capsys)
    assert status == 2 and err.startswith("initaudit: error:")
