"""Tests of the causal Transformer language model (models/lm.py) and the two added embedding
strategies (models/embeddings.py).

Tolerances: causal masking is checked bitwise in float64 (a masked position has weight exactly
0, so a later token cannot move an earlier logit by even one rounding error); initialisation
identities in float64 to 1e-12 relative; Xavier bounds exactly (they are the bounds of the draw).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from initaudit.models import embeddings as emb
from initaudit.models import init as minit
from initaudit.models.lm import EMBEDDING_INITS, LMConfig, TransformerLM, init_lm_embedding_

SMALL = dict(vocab_size=50, seq_len=12, n_layer=2, d_model=16, n_head=4)


def model(strategy="emb_random", seed=0, dtype=torch.float64, **kw):
    cfg = LMConfig(**{**SMALL, **kw, "embedding_init": strategy})
    m = TransformerLM(cfg, torch.Generator().manual_seed(seed),
                      torch.Generator().manual_seed(seed + 1))
    return m.to(dtype)


@pytest.mark.parametrize("strategy", ["emb_random", "emb_harmonic"])
def test_future_tokens_never_change_earlier_logits(strategy):
    m = model(strategy)
    g = torch.Generator().manual_seed(0)
    x = torch.randint(0, 50, (3, 12), generator=g)
    base = m(x)
    for t in (0, 5, 11):
        y = x.clone()
        y[:, t] = (y[:, t] + 7) % 50
        out = m(y)
        assert torch.equal(out[:, :t], base[:, :t]), f"position < {t} saw token {t}"
        assert not torch.equal(out[:, t], base[:, t])  # the change is visible where allowed


def test_shapes_and_parameter_count():
    m = model(dtype=torch.float32)
    x = torch.zeros(2, 7, dtype=torch.long)
    assert m(x).shape == (2, 7, 50)
    assert m.cfg.n_params == sum(p.numel() for p in m.parameters())
    with pytest.raises(ValueError, match="context length"):
        m(torch.zeros(1, 13, dtype=torch.long))


def test_paper_config_size():
    # 8 x 512 with 4 heads and vocabulary 407: embedding 407*512, positions 32*512, 8 blocks of
    # 4*512^2 + 2*512*2048 + 2048 + 512 weights and biases, head 512*407 + 407.
    cfg = LMConfig()
    block = 4 * 512**2 + 2 * 512 * 2048 + 2048 + 512
    assert cfg.n_params == 407 * 512 + 32 * 512 + 8 * block + 512 * 407 + 407


def test_only_the_embedding_depends_on_the_strategy():
    a, b = model("emb_random"), model("emb_wavelet")
    pa, pb = dict(a.named_parameters()), dict(b.named_parameters())
    for name in pa:
        same = torch.equal(pa[name], pb[name])
        assert same == (name != "tok_emb.weight"), name
    ref = torch.empty(50, 16)  # the model is built in float32, then cast
    emb.init_embedding_(ref, "emb_wavelet")
    assert torch.equal(b.tok_emb.weight, ref.double())


def test_other_layers_are_xavier_uniform_with_zero_bias():
    m = model()
    for name, p in m.named_parameters():
        if name == "tok_emb.weight":
            continue
        if p.dim() == 1:
            assert torch.count_nonzero(p) == 0, name
        else:
            fan_out, fan_in = p.shape
            bound = math.sqrt(6.0 / (fan_in + fan_out))
            assert p.abs().max() <= bound, name
            # not all tiny: the draw fills the interval (max > bound / 2 has prob. ~1)
            assert p.abs().max() > bound / 2, name


@pytest.mark.parametrize("strategy", EMBEDDING_INITS)
def test_every_strategy_has_xavier_variance(strategy):
    t = torch.empty(61, 24, dtype=torch.float64)
    init_lm_embedding_(t, strategy, torch.Generator().manual_seed(0))
    assert abs(float(t.mean())) < 1e-12
    assert float(t.square().mean()) == pytest.approx(2.0 / (61 + 24), rel=1e-10)


def test_sinusoidal_embedding_is_the_sinusoidal_pattern():
    v, d = 37, 20
    raw = torch.empty(v, d, dtype=torch.float64)
    emb.sinusoidal_embedding_(raw, scale=None)
    i = np.arange(1, v + 1)[:, None]
    j = np.arange(d)[None, :]
    pattern = np.sin(i * (2 * np.pi * j / d + 2 * np.pi / v))  # independent of models.init
    ratio = raw.numpy() / np.where(np.abs(pattern) > 1e-6, pattern, np.nan)
    ratio = ratio[np.isfinite(ratio)]
    assert np.allclose(ratio, ratio[0], rtol=1e-10)
    assert float(raw.var()) == pytest.approx(2.0 / d, rel=1e-10)  # gain^2 / fan_in


def test_edge_of_chaos_embedding_is_the_uniform_rule():
    v, d = 40, 25
    raw = torch.empty(v, d, dtype=torch.float64)
    emb.edge_of_chaos_embedding_(raw, scale=None, generator=torch.Generator().manual_seed(3))
    ref = torch.empty(v, d, dtype=torch.float64)
    minit.edge_of_chaos_(ref, generator=torch.Generator().manual_seed(3))
    assert torch.equal(raw, ref)
    assert float(raw.abs().max()) <= math.sqrt(3.0 / d)


def test_config_validation():
    with pytest.raises(ValueError, match="divisible"):
        LMConfig(d_model=30, n_head=4)
    with pytest.raises(ValueError, match="valid embedding_inits"):
        LMConfig(embedding_init="emb_sinusoid")
    with pytest.raises(ValueError, match="positive integer"):
        LMConfig(n_layer=0)
    with pytest.raises(ValueError, match="valid embedding strategies"):
        init_lm_embedding_(torch.empty(4, 4), "xavier")


def test_generation_greedy_and_seeded():
    m = model(dtype=torch.float32)
    prompt = torch.tensor([1, 2, 3])
    a = m.generate(prompt, 20, greedy=True)
    b = m.generate(prompt, 20, greedy=True)
    assert torch.equal(a, b) and torch.equal(a[:3], prompt) and a.numel() == 23
    s1 = m.generate(prompt, 20, greedy=False, generator=torch.Generator().manual_seed(4))
    s2 = m.generate(prompt, 20, greedy=False, generator=torch.Generator().manual_seed(4))
    assert torch.equal(s1, s2)
    capped = m.generate(prompt, 30, greedy=False, generator=torch.Generator().manual_seed(0),
                        max_id=5)
    assert int(capped[3:].max()) < 5
