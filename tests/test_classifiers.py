"""Tests of the small classifiers and ``initialize_`` (models/classifiers.py).

Tolerances:
- shapes and "unchanged" checks: exact (torch.equal);
- the sinusoidal rules against their formulas, computed here with numpy in float64 and compared
  with the float32 weights: 1e-6 relative to the largest entry (float32 rounding, eps ~ 6e-8,
  of values of order one);
- orthogonality of float32 matrices, W W^T = I: max deviation 1e-5 (float32 rounding of sums of
  up to 784 products).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from initaudit.models.classifiers import (INIT_NAMES, CNNConfig, MLPConfig, TransformerConfig,
                                build_classifier, init_targets, initialize_, relu_modules)

CONFIGS = {
    "mlp28": MLPConfig(28, 1, 10, (64, 32)),
    "cnn28": CNNConfig(28, 1, 10, (8, 16), 3, 32),
    "tf28": TransformerConfig(28, 1, 10, 7, 32, 2, 4, 64),
    "mlp8": MLPConfig(8, 1, 10, (32,)),
    "cnn8": CNNConfig(8, 1, 10, (8, 16), 3, 16),
    "tf8": TransformerConfig(8, 1, 10, 2, 16, 1, 2, 32),
}


def build(name: str, seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return build_classifier(CONFIGS[name])


def batch(size: int, n: int = 16, seed: int = 0) -> torch.Tensor:
    return torch.randn(n, 1, size, size, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_output_shape_and_relu_modules(name):
    model = build(name)
    cfg = CONFIGS[name]
    out = model(batch(cfg.image_size, 5))
    assert out.shape == (5, 10)
    # every nonlinearity is an nn.ReLU module: MLP one per hidden layer, CNN one per stage + 1,
    # Transformer one per block
    expected = {"mlp": lambda c: len(c.hidden), "cnn": lambda c: len(c.channels) + 1,
                "tf": lambda c: c.depth}[name.rstrip("0123456789")](cfg)
    assert len(relu_modules(model)) == expected


def test_transformer_tokens_and_targets():
    cfg = CONFIGS["tf28"]
    assert cfg.tokens == 16
    names = [n for n, _ in init_targets(build("tf28"))]
    # per block: q, k, v blocks, out_proj, fc1, fc2; plus patch embedding and head
    assert len(names) == 2 + 6 * cfg.depth
    assert "blocks.0.attn.in_proj_weight[q]" in names
    assert "blocks.1.attn.out_proj.weight" in names


@pytest.mark.parametrize("kwargs, match", [
    (dict(image_size=28, patch=5), "does not divide image_size"),
    (dict(dim=30, heads=4), "does not divide dim"),
    (dict(depth=0), "depth must be a positive integer"),
])
def test_transformer_config_rejects_bad_values(kwargs, match):
    with pytest.raises(ValueError, match=match):
        TransformerConfig(**kwargs)


def test_cnn_and_mlp_configs_reject_bad_values():
    with pytest.raises(ValueError, match="kernel must be odd"):
        CNNConfig(kernel=4)
    with pytest.raises(ValueError, match="below one pixel"):
        CNNConfig(image_size=8, channels=(4, 4, 4, 4))
    with pytest.raises(ValueError, match="hidden must hold"):
        MLPConfig(hidden=())
    with pytest.raises(ValueError, match="positive integer"):
        MLPConfig(hidden=(32, 0))
    with pytest.raises(TypeError, match="unknown model config"):
        build_classifier(object())


def test_initialize_rejects_unknown_name_and_lsuv_without_data():
    model = build("mlp8")
    with pytest.raises(ValueError, match="valid initialisers are torch_default, orthogonal, lsuv"):
        initialize_(model, "xavier")
    with pytest.raises(ValueError, match="needs a batch of inputs"):
        initialize_(model, "lsuv")


def test_default_changes_nothing():
    model = build("tf8")
    before = {k: v.clone() for k, v in model.state_dict().items()}
    initialize_(model, "torch_default")
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def _sinusoidal_formula(n_out: int, n_in: int, fan_in: int, gain: float = math.sqrt(2.0)):
    # raw[k-1, j] = sin(2 pi k j / n_in + 2 pi k / n_out), scaled to variance gain^2 / fan_in
    k = np.arange(1, n_out + 1)[:, None]
    j = np.arange(n_in)[None, :]
    raw = np.sin(2 * np.pi * k * j / n_in + 2 * np.pi * k / n_out)
    return raw * gain / math.sqrt(raw.var(ddof=1) * fan_in)


def _paper_conv_formula(c_out: int, n_in: int):
    # raw[i, j] = sin(j (i+1) 2 pi / C_out + i 2 pi / C_out), scale sqrt(2 / (var (n_in + C_out)))
    i = np.arange(c_out)[:, None]
    j = np.arange(n_in)[None, :]
    raw = np.sin(j * (i + 1) * 2 * np.pi / c_out + i * 2 * np.pi / c_out)
    return raw * math.sqrt(2.0 / (raw.var(ddof=1) * (n_in + c_out)))


def _close(weight: torch.Tensor, expected: np.ndarray) -> None:
    w = weight.detach().double().reshape(expected.shape).numpy()
    assert np.max(np.abs(w - expected)) <= 1e-6 * np.max(np.abs(expected))


@pytest.mark.parametrize("name", ["mlp28", "cnn28", "tf28"])
def test_sinusoidal_matches_the_formula_on_every_target(name):
    model = initialize_(build(name), "sinusoidal")
    for target, w in init_targets(model):
        n_out = w.shape[0]
        n_in = math.prod(w.shape[1:])
        _close(w, _sinusoidal_formula(n_out, n_in, fan_in=n_in))
    for m in model.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d)):
            assert torch.count_nonzero(m.bias) == 0


def test_sinusoidal_attention_blocks_are_each_the_square_pattern():
    model = initialize_(build("tf28"), "sinusoidal")
    attn = model.blocks[0].attn
    e = attn.embed_dim
    expected = _sinusoidal_formula(e, e, e)
    for i in range(3):  # q, k, v: each an (E, E) matrix of its own, not one (3E, E) pattern
        _close(attn.in_proj_weight[i * e:(i + 1) * e], expected)


def test_sinusoidal_paper_uses_the_conv_pattern_and_xavier_scale():
    model = initialize_(build("cnn28"), "sinusoidal_paper")
    conv = model.features[0]
    c_out, n_in = conv.weight.shape[0], math.prod(conv.weight.shape[1:])
    _close(conv.weight, _paper_conv_formula(c_out, n_in))
    fc = model.head[1]
    n_out, n_in = fc.weight.shape
    # Linear: the sinusoidal pattern with variance 2 / (n_in + n_out)
    expected = (_sinusoidal_formula(n_out, n_in, fan_in=1, gain=1.0)
                * math.sqrt(2.0 / (n_in + n_out)))
    _close(fc.weight, expected)


def test_sinusoidal_leaves_layernorm_and_positional_embedding_alone():
    model = build("tf8")
    pos = model.pos_embed.detach().clone()
    initialize_(model, "sinusoidal")
    assert torch.equal(model.pos_embed, pos)
    assert torch.equal(model.norm.weight, torch.ones_like(model.norm.weight))


@pytest.mark.parametrize("name", ["mlp28", "cnn28", "tf28"])
def test_orthogonal_gives_orthonormal_rows_or_columns_and_zero_bias(name):
    model = initialize_(build(name), "orthogonal", generator=torch.Generator().manual_seed(3))
    for target, w in init_targets(model):
        m = w.detach().double().reshape(w.shape[0], -1)
        gram = m @ m.T if m.shape[0] <= m.shape[1] else m.T @ m
        eye = torch.eye(gram.shape[0], dtype=gram.dtype)
        assert torch.max(torch.abs(gram - eye)) < 1e-5, target
    for m in model.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d)):
            assert torch.count_nonzero(m.bias) == 0


def test_orthogonal_is_seeded():
    a = initialize_(build("mlp8"), "orthogonal", generator=torch.Generator().manual_seed(1))
    b = initialize_(build("mlp8"), "orthogonal", generator=torch.Generator().manual_seed(1))
    c = initialize_(build("mlp8"), "orthogonal", generator=torch.Generator().manual_seed(2))
    assert torch.equal(a.net[1].weight, b.net[1].weight)
    assert not torch.equal(a.net[1].weight, c.net[1].weight)


@pytest.mark.parametrize("init", INIT_NAMES)
def test_every_initialiser_keeps_the_model_usable(init):
    model = initialize_(build("tf8"), init, data=batch(8, 32),
                        generator=torch.Generator().manual_seed(0))
    out = model(batch(8, 4, seed=1))
    assert out.shape == (4, 10) and torch.isfinite(out).all()
