"""Tests of LSUV (models/lsuv.py; Mishkin and Matas, ICLR 2016, arXiv 1511.06422).

Tolerances:
- the LSUV criterion itself: every layer's output variance within ``tol`` of 1, measured here
  independently with forward hooks after LSUV has finished; ``tol`` = 0.1 (the paper's
  Tol_var) and 1e-3 (a Linear/Conv output with zero bias is linear in its weight, so one
  rescaling lands on 1 up to float32 rounding, ~1e-6);
- hand-computed one-layer case: float64, 1e-12 relative;
- orthonormal start: rows (or columns) orthogonal, off-diagonal of the normalised Gram matrix
  below 1e-5 (float32).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from initaudit.models.classifiers import CNNConfig, MLPConfig, TransformerConfig, build_classifier
from initaudit.models.lsuv import LSUV_MAX_ITER, LSUV_TOL, lsuv_


def make(cfg, seed=0):
    torch.manual_seed(seed)
    return build_classifier(cfg)


def data(size, n=64, seed=0):
    # non-negative, non-centred inputs (like raw pixels), so that variances are not trivially 1
    return torch.rand(n, 1, size, size, generator=torch.Generator().manual_seed(seed)) * 2.0


def measured_variances(model, x):
    """Population variance of the output of every Linear/Conv module that runs as a module."""
    out = {}

    def hook(module, args, output, name):
        out.setdefault(name, float(output.double().var(correction=0)))

    handles = [m.register_forward_hook(lambda mod, a, o, name=name: hook(mod, a, o, name))
               for name, m in model.named_modules() if isinstance(m, (nn.Linear, nn.Conv2d))]
    with torch.no_grad():
        model(x)
    for h in handles:
        h.remove()
    return out


def test_paper_defaults():
    assert (LSUV_TOL, LSUV_MAX_ITER) == (0.1, 10)


@pytest.mark.parametrize("cfg", [MLPConfig(28, 1, 10, (128, 64)),
                                 CNNConfig(28, 1, 10, (8, 16), 3, 32),
                                 MLPConfig(8, 1, 10, (32, 32, 32)),
                                 CNNConfig(8, 1, 10, (4, 8), 3, 16)],
                         ids=["mlp28", "cnn28", "mlp8", "cnn8"])
@pytest.mark.parametrize("tol", [0.1, 1e-3])
def test_every_layer_reaches_unit_variance_within_tol(cfg, tol):
    model = make(cfg)
    x = data(cfg.image_size)
    records = lsuv_(model, x, tol=tol, generator=torch.Generator().manual_seed(0))
    measured = measured_variances(model, x)
    assert set(measured) == {r.name for r in records}
    for r in records:
        assert r.converged and abs(measured[r.name] - 1.0) < tol, (r, measured[r.name])
        # the record's variance is what an independent forward pass sees
        assert math.isclose(r.variance, measured[r.name], rel_tol=1e-6)
    for m in model.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d)):
            assert torch.count_nonzero(m.bias) == 0


def test_records_come_in_forward_order():
    cfg = CNNConfig(8, 1, 10, (4, 8), 3, 16)
    records = lsuv_(make(cfg), data(8))
    assert [r.name for r in records] == ["features.0", "features.3", "head.1", "head.3"]


def test_transformer_attention_blocks_and_out_proj_reach_unit_variance():
    cfg = TransformerConfig(8, 1, 10, 2, 16, 2, 2, 32)
    model = make(cfg)
    x = data(8)
    records = {r.name: r for r in lsuv_(model, x, tol=0.05)}
    assert {"blocks.0.attn.in_proj[q]", "blocks.0.attn.in_proj[k]", "blocks.0.attn.in_proj[v]",
            "blocks.0.attn.out_proj", "blocks.1.fc2", "head"} <= set(records)
    assert all(r.converged for r in records.values())
    # independent check of q and of the attention output for block 0
    seen = {}
    attn = model.blocks[0].attn
    def pre(m, a):
        seen.setdefault("in", a[0])

    def post(m, a, o):
        seen.setdefault("out", o[0])

    h1 = attn.register_forward_pre_hook(pre)
    h2 = attn.register_forward_hook(post)
    with torch.no_grad():
        model(x)
    h1.remove(), h2.remove()
    e = attn.embed_dim
    q = (seen["in"] @ attn.in_proj_weight[:e].T + attn.in_proj_bias[:e]).detach()
    assert abs(float(q.double().var(correction=0)) - 1.0) < 0.05
    assert abs(float(seen["out"].double().var(correction=0)) - 1.0) < 0.05


def test_one_layer_by_hand():
    # A single Linear without the orthonormal step: LSUV divides W by sqrt(Var(W x)) once.
    layer = nn.Linear(3, 2, bias=False).double()
    w = torch.tensor([[1.0, 2.0, -1.0], [0.5, 0.0, 3.0]], dtype=torch.float64)
    with torch.no_grad():
        layer.weight.copy_(w)
    x = torch.tensor([[1.0, 0.0, 2.0], [0.0, 1.0, 1.0], [3.0, -1.0, 0.0]], dtype=torch.float64)
    z = (x.numpy() @ w.numpy().T).ravel()  # by hand: [-1, 6.5, 1, 3, 1, 1.5]
    assert np.allclose(z, [-1.0, 6.5, 1.0, 3.0, 1.0, 1.5])
    var = np.mean((z - z.mean()) ** 2)
    records = lsuv_(layer, x, orthonormal=False, tol=1e-9)
    assert np.allclose(layer.weight.detach().numpy(), w.numpy() / math.sqrt(var), rtol=1e-12)
    assert records[0].iterations == 1 and abs(records[0].variance - 1.0) < 1e-12


def test_orthonormal_start_survives_the_rescaling():
    cfg = MLPConfig(8, 1, 10, (32, 16))
    model = make(cfg)
    lsuv_(model, data(8), generator=torch.Generator().manual_seed(0))
    for m in model.modules():
        if isinstance(m, nn.Linear):
            w = m.weight.detach().double()
            gram = w @ w.T if w.shape[0] <= w.shape[1] else w.T @ w
            gram = gram / gram.diagonal().mean()
            off = gram - torch.diag(gram.diagonal())
            assert float(off.abs().max()) < 1e-5
            assert float((gram.diagonal() - 1).abs().max()) < 1e-5


def test_training_flag_is_restored():
    model = make(MLPConfig(8, 1, 10, (16,)))
    model.train()
    lsuv_(model, data(8))
    assert model.training


@pytest.mark.parametrize("kwargs, match", [
    (dict(tol=0.0), "tol must be a positive number"),
    (dict(tol=float("nan")), "tol must be a positive number"),
    (dict(max_iter=0), "max_iter must be a positive integer"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        lsuv_(make(MLPConfig(8, 1, 10, (16,))), data(8), **kwargs)


def test_empty_batch_is_rejected():
    with pytest.raises(ValueError, match="non-empty batch"):
        lsuv_(make(MLPConfig(8, 1, 10, (16,))), torch.empty(0, 1, 8, 8))


def test_zero_output_cannot_be_scaled():
    with pytest.raises(ValueError, match="cannot be scaled to unit variance"):
        lsuv_(make(MLPConfig(8, 1, 10, (16,))), torch.zeros(4, 1, 8, 8))
