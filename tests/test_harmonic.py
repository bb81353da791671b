"""HarmonicLayer, HarmonicMLP and FrequencyAwareOptimizer against their formulas.

Tolerances: exact algebra in float64 (1e-12 for the closed forms, 1e-10 for kernels that sum
many products); exact equality where the code must not touch a value (a no-op).
"""

from __future__ import annotations

import importlib
import math

import numpy as np
import pytest
import torch

from initaudit.analysis.ntk import empirical_ntk, supports_structured
from initaudit.models.harmonic import (DenseLayer, FrequencyAwareOptimizer, HarmonicActivation,
                             HarmonicLayer, HarmonicMLP, HarmonicMLPConfig, frequency_row_scale,
                             harmonic_frequencies)

F64 = torch.float64
# The experiment module declares the harmonic activation elementwise for the structured NTK.
importlib.import_module("initaudit.analysis.experiments.harmonic_mlp_ntk")


def test_frequencies_are_the_capped_harmonic_series():
    # f_i = min(base (i + 1), max): written out by hand.
    f = harmonic_frequencies(8, 1.0, 5.0, dtype=F64)
    assert f.tolist() == [1, 2, 3, 4, 5, 5, 5, 5]
    g = harmonic_frequencies(5, 0.5, 1.2, dtype=F64)
    assert g.tolist() == [0.5, 1.0, 1.2, 1.2, 1.2]
    with pytest.raises(ValueError, match="max_freq must be a positive"):
        harmonic_frequencies(3, 1.0, 0.0)


def test_reference_model_frequencies_and_shapes():
    m = HarmonicMLP()
    l1, l2 = m.feature_layers[0], m.feature_layers[3]
    assert l1.frequencies[:6].tolist() == [1, 2, 3, 4, 5, 5] and float(l1.frequencies[-1]) == 5
    assert l2.frequencies[:4].tolist() == [1, 2, 3, 3] and float(l2.frequencies[-1]) == 3
    shapes = {k: tuple(v.shape) for k, v in m.state_dict().items() if k.endswith("weight")}
    assert shapes["feature_layers.0.linear.weight"] == (512, 784)
    assert shapes["feature_layers.3.linear.weight"] == (256, 512)
    assert shapes["classifier.weight"] == (10, 256)
    # The frequencies are fixed: a buffer outside the state dict and outside the parameters.
    assert not any("frequencies" in k for k in m.state_dict())
    assert all("frequencies" not in n for n, _ in m.named_parameters())
    # Classifier U(-1/16, 1/16) for weight and bias.
    assert float(m.classifier.weight.detach().abs().max()) <= 1 / 16
    assert float(m.classifier.bias.detach().abs().max()) <= 1 / 16


def test_row_scale_formula():
    f = [1.0, 2.0, 3.0, 3.0, 3.0]
    inv = [x ** -0.5 for x in f]
    expected = [v / (sum(inv) / len(inv)) for v in inv]
    got = frequency_row_scale(torch.tensor(f, dtype=F64))
    assert np.allclose(got.numpy(), expected, rtol=0, atol=1e-12)


def test_harmonic_init_is_uniform_draws_scaled_per_row():
    n_in, n_out = 20, 7
    layer = HarmonicLayer(n_in, n_out, 1.0, 5.0, dtype=F64,
                          generator=torch.Generator().manual_seed(11))
    # The same generator stream: weight first, then bias, both U(-1/sqrt(n_in), 1/sqrt(n_in)).
    g = torch.Generator().manual_seed(11)
    bound = 1 / math.sqrt(n_in)
    u_w = torch.empty(n_out, n_in, dtype=F64).uniform_(-bound, bound, generator=g)
    u_b = torch.empty(n_out, dtype=F64).uniform_(-bound, bound, generator=g)
    f = np.minimum(np.arange(1, n_out + 1), 5.0)
    s = f ** -0.5 / np.mean(f ** -0.5)  # the formula, computed here independently
    assert np.allclose(layer.linear.weight.detach().numpy(), s[:, None] * u_w.numpy(),
                       rtol=0, atol=1e-12)
    assert np.allclose(layer.linear.bias.detach().numpy(), s * u_b.numpy(), rtol=0, atol=1e-12)
    # Bounds: |W_ij| <= s_i / sqrt(n_in).
    assert np.all(np.abs(layer.linear.weight.detach().numpy()) <= s[:, None] * bound + 1e-15)


def test_relu_baseline_shares_the_draws_without_scaling():
    g1, g2 = torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    h = HarmonicMLP(HarmonicMLPConfig(input_size=12, hidden_sizes=(6, 4), max_freqs=(5, 3),
                                      base_freqs=(1, 1), num_classes=3), generator=g1, dtype=F64)
    r = HarmonicMLP(HarmonicMLPConfig(input_size=12, hidden_sizes=(6, 4), max_freqs=(5, 3),
                                      base_freqs=(1, 1), num_classes=3, activation="relu"),
                    generator=g2, dtype=F64)
    assert isinstance(r.feature_layers[0], DenseLayer)
    s = frequency_row_scale(h.feature_layers[0].frequencies)
    assert torch.allclose(h.feature_layers[0].linear.weight,
                          s[:, None] * r.feature_layers[0].linear.weight, rtol=0, atol=1e-12)
    assert torch.equal(h.classifier.weight, r.classifier.weight)


@pytest.mark.parametrize("mode", ["divide", "multiply"])
@pytest.mark.parametrize("residual", [0.1, 0.0])
def test_activation_and_derivative_match_the_formula(mode, residual):
    f = np.array([1.0, 2.0, 3.0, 5.0])
    act = HarmonicActivation(torch.tensor(f, dtype=F64), mode, residual)
    z = torch.randn(9, 4, dtype=F64, generator=torch.Generator().manual_seed(0)) * 3
    zn = z.numpy()
    k = 2 * np.pi / f if mode == "divide" else 2 * np.pi * f
    expected = np.sin(k * zn) + residual * zn
    assert np.allclose(act(z).numpy(), expected, rtol=0, atol=1e-12)
    assert np.allclose(act.derivative(z).numpy(), k * np.cos(k * zn) + residual, rtol=0,
                       atol=1e-12)
    zz = z.clone().requires_grad_(True)
    act(zz).sum().backward()  # elementwise, so the gradient of the sum is the derivative
    assert torch.allclose(zz.grad, act.derivative(z), rtol=0, atol=1e-12)


def test_model_dtype_moves_the_frequencies():
    m = HarmonicMLP(HarmonicMLPConfig(input_size=4, hidden_sizes=(3,), base_freqs=(1,),
                                      max_freqs=(2,), num_classes=2)).double()
    assert m.feature_layers[0].frequencies.dtype == F64
    assert m(torch.zeros(2, 4, dtype=F64)).dtype == F64
    # Images are flattened as the reference does (x.view(batch, -1)).
    m2 = HarmonicMLP(HarmonicMLPConfig(input_size=4, hidden_sizes=(3,), base_freqs=(1,),
                                       max_freqs=(2,), num_classes=2)).eval()
    x = torch.randn(5, 1, 2, 2)
    assert torch.equal(m2(x), m2(x.reshape(5, 4)))


def test_registered_initialisers_replace_the_harmonic_one():
    from initaudit.models.init import sinusoidal_

    cfg = HarmonicMLPConfig(input_size=10, hidden_sizes=(8, 6), base_freqs=(1, 1),
                            max_freqs=(5, 3), num_classes=4, init="sinusoidal")
    m = HarmonicMLP(cfg, dtype=F64)
    for lin in (m.feature_layers[0].linear, m.feature_layers[3].linear, m.classifier):
        ref = sinusoidal_(torch.empty_like(lin.weight))
        assert torch.equal(lin.weight, ref)
        assert torch.count_nonzero(lin.bias) == 0
    e = HarmonicMLP(HarmonicMLPConfig(input_size=10, hidden_sizes=(8, 6), base_freqs=(1, 1),
                                      max_freqs=(5, 3), num_classes=4, init="edge_of_chaos"),
                    dtype=F64, generator=torch.Generator().manual_seed(0))
    w1, w2 = e.feature_layers[0].linear.weight.detach(), e.feature_layers[3].linear.weight.detach()
    assert float(w1.abs().max()) <= 30.0 / 10  # first layer U(+-omega_0 / n_in), omega_0 = 30
    assert float(w2.abs().max()) <= math.sqrt(3.0 / 8)  # hidden U(+-sqrt(3 / N))
    assert float(w1.abs().max()) > 1 / math.sqrt(10)  # not the harmonic bound (P(fail) ~ 1e-30)


def test_config_rejects_bad_values():
    with pytest.raises(ValueError, match="valid frequency_modes are divide, multiply"):
        HarmonicMLPConfig(frequency_mode="square")
    with pytest.raises(ValueError, match="valid inits are harmonic, edge_of_chaos, sinusoidal"):
        HarmonicMLPConfig(init="xavier")
    with pytest.raises(ValueError, match="one entry per hidden layer"):
        HarmonicMLPConfig(max_freqs=(5.0,))
    with pytest.raises(ValueError, match="dropout must lie in"):
        HarmonicMLPConfig(dropout=1.0)


# --------------------------------------------------------------------------------------------
# The optimizer


def _tiny(dtype=F64, **kw):
    cfg = HarmonicMLPConfig(input_size=5, hidden_sizes=(4, 3), base_freqs=(1.0, 1.0),
                            max_freqs=(2.5, 2.0), num_classes=2, **kw)
    return HarmonicMLP(cfg, generator=torch.Generator().manual_seed(5), dtype=dtype)


def _set_grads(model, seed=0):
    g = torch.Generator().manual_seed(seed)
    for p in model.parameters():
        p.grad = torch.randn(p.shape, dtype=p.dtype, generator=g)
    return {n: p.grad.clone() for n, p in model.named_parameters()}


def test_gradient_scaling_against_a_hand_computation():
    model = _tiny()
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    grads = _set_grads(model)
    opt = FrequencyAwareOptimizer(torch.optim.SGD(model.parameters(), lr=1.0), model, 0.1)
    opt.step()
    # Frequencies by hand: layer 1 min(i + 1, 2.5) = 1, 2, 2.5, 2.5;
    # layer 2 min(i + 1, 2) = 1, 2, 2.
    factors = {"feature_layers.0.linear": [1 / 1.1, 1 / 1.2, 1 / 1.25, 1 / 1.25],
               "feature_layers.3.linear": [1 / 1.1, 1 / 1.2, 1 / 1.2]}
    for name, p in model.named_parameters():
        prefix = name.rsplit(".", 1)[0]
        if prefix in factors:
            c = torch.tensor(factors[prefix], dtype=F64)
            c = c[:, None] if name.endswith("weight") else c
        else:
            c = torch.ones((), dtype=F64)  # batch norm and classifier: unscaled
        assert torch.allclose(p.detach(), before[name] - c * grads[name], rtol=0, atol=1e-12), name


def test_factor_zero_is_a_no_op():
    model = _tiny()
    grads = _set_grads(model)
    opt = FrequencyAwareOptimizer(torch.optim.SGD(model.parameters(), lr=0.3), model, 0.0)
    opt.scale_gradients_()
    for n, p in model.named_parameters():
        assert torch.equal(p.grad, grads[n])  # bit for bit
    # and a step equals the plain optimizer's step bit for bit
    twin = _tiny()
    _set_grads(twin)
    opt.step()
    torch.optim.SGD(twin.parameters(), lr=0.3).step()
    for (n, p), (_, q) in zip(model.named_parameters(), twin.named_parameters()):
        assert torch.equal(p, q), n


def test_optimizer_rejects_bad_input_and_skips_missing_grads():
    model = _tiny()
    sgd = torch.optim.SGD(model.parameters(), lr=1.0)
    with pytest.raises(ValueError, match="finite number >= 0"):
        FrequencyAwareOptimizer(sgd, model, -0.1)
    with pytest.raises(ValueError, match="torch.optim.Optimizer"):
        FrequencyAwareOptimizer(object(), model)
    opt = FrequencyAwareOptimizer(sgd, model)
    with pytest.raises(ValueError, match="without a closure"):
        opt.step(lambda: 0.0)
    opt.zero_grad()
    opt.scale_gradients_()  # no gradients yet: nothing to scale, no error
    assert all(p.grad is None for p in model.parameters())


def test_preconditioner_form():
    model = _tiny()
    pre = FrequencyAwareOptimizer(torch.optim.SGD(model.parameters(), lr=1.0), model,
                                  0.1).preconditioner()
    assert set(pre) == {"feature_layers.0.linear.weight", "feature_layers.0.linear.bias",
                        "feature_layers.3.linear.weight", "feature_layers.3.linear.bias"}
    assert tuple(pre["feature_layers.0.linear.weight"].shape) == (4, 1)
    assert torch.allclose(pre["feature_layers.3.linear.bias"],
                          torch.tensor([1 / 1.1, 1 / 1.2, 1 / 1.2], dtype=F64), atol=1e-15)
    relu = _tiny(activation="relu")
    wrapper = FrequencyAwareOptimizer(torch.optim.SGD(relu.parameters(), lr=1.0), relu)
    assert wrapper.preconditioner() == {}


# --------------------------------------------------------------------------------------------
# The NTK, plain and preconditioned, against J P J^T from torch.func


def _jpj(model, x, precond):
    """Theta_P[p, q, a, b] = sum_theta J[p, a, theta] P[theta] J[q, b, theta], by torch.func."""
    names = [n for n, _ in model.named_parameters()]
    params = {n: p.detach() for n, p in model.named_parameters()}
    buffers = dict(model.named_buffers())

    def f(prm):
        return torch.func.functional_call(model, (prm, buffers), (x,))

    jac = torch.func.jacrev(f)(params)  # {name: (P, k, *shape)}
    theta = 0
    for n in names:
        j = jac[n].reshape(x.shape[0], -1, params[n].numel())
        scale = torch.ones_like(params[n])
        if n in precond:
            scale = scale * precond[n]
        theta = theta + torch.einsum("pat,t,qbt->pqab", j, scale.reshape(-1), j)
    return theta


@pytest.mark.parametrize("method", ["structured", "jacobian"])
def test_preconditioned_ntk_equals_jpj(method):
    model = _tiny().eval()
    assert supports_structured(model)
    g = torch.Generator().manual_seed(2)
    for bn in (model.feature_layers[1], model.feature_layers[4]):  # non-trivial eval statistics
        bn.running_mean.copy_(torch.randn(bn.num_features, dtype=F64, generator=g) * 0.3)
        bn.running_var.copy_(torch.rand(bn.num_features, dtype=F64, generator=g) + 0.5)
        bn.weight.data.copy_(torch.rand(bn.num_features, dtype=F64, generator=g) + 0.5)
    x = torch.randn(7, 5, dtype=F64, generator=g)
    pre = FrequencyAwareOptimizer(torch.optim.SGD(model.parameters(), lr=1.0), model,
                                  0.1).preconditioner()
    want = _jpj(model, x, pre)
    got = empirical_ntk(model, x, method=method, preconditioner=pre, output="full")
    assert torch.allclose(got, want, rtol=0, atol=1e-10 * float(want.abs().max()))
    plain = empirical_ntk(model, x, method=method, output="full")
    assert torch.allclose(plain, _jpj(model, x, {}), rtol=0, atol=1e-10 * float(want.abs().max()))
    # the scaling only shrinks: tr Theta_P < tr Theta
    tr = lambda t: float(t.diagonal(dim1=0, dim2=1).diagonal(dim1=0, dim2=1).sum())  # noqa: E731
    assert tr(got) < tr(plain)
