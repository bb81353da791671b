"""The stacked trainer against networks trained one at a time.

Every equivalence test trains the same networks twice in float64: one at a time with a
``torch.optim`` optimizer (the reference, independent of :mod:`analysis.stacked`), and stacked as
one :class:`StackedNetworks`. Per-step losses and final parameters must agree to 1e-10 relative: the
batched matrix products sum in another order (about 1e-16 relative per product in float64), which
a few dozen steps of Adam cannot grow to 1e-10; anything structural (a wrong gradient, a shared
optimizer state, a stopped network that moves) shows up at order one.
"""

from __future__ import annotations

import copy

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from initaudit.analysis import stacked as stk
from initaudit.analysis.experiments import poisson
from initaudit.analysis.experiments import sine_fit as sf
from initaudit.analysis.experiments import sinusoidal_classification as sc
from initaudit.models.lm import LMConfig, TransformerLM

RTOL = 1e-10  # float64, summation order only (module docstring)

pytestmark = pytest.mark.filterwarnings("ignore:There is a performance drop:UserWarning")


def _close(a: torch.Tensor, b: torch.Tensor, rtol: float = RTOL) -> None:
    scale = max(float(b.abs().max()), 1e-300)
    assert float((a - b).abs().max()) <= rtol * scale, float((a - b).abs().max()) / scale


def _sequential(models, opt_of, loss_of, steps, *, stop_at=None, clip=None, sched_of=None):
    """Reference: each network trained alone; returns the per-step losses (M, steps) with nan
    after a stop."""
    out = torch.full((len(models), steps), float("nan"), dtype=torch.float64)
    for m, model in enumerate(models):
        opt = opt_of(model.parameters())
        sched = None if sched_of is None else sched_of(opt)
        for s in range(steps):
            loss = loss_of(model, m, s)
            out[m, s] = loss.detach()
            if stop_at is not None and stop_at.get(m) == s:
                break
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if clip is not None:
                torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
            opt.step()
            if sched is not None:
                sched.step()
    return out


def _stacked(models, opt_of, losses_of, steps, *, stop_at=None, clip=None, sched_of=None):
    e = stk.StackedNetworks(models)
    opt = opt_of(e.parameters())
    sched = None if sched_of is None else sched_of(opt)
    out = torch.full((len(models), steps), float("nan"), dtype=torch.float64)
    for s in range(steps):
        losses = losses_of(e, s)
        active = e.active
        out[active, s] = losses.detach()[active]
        for m, at in (stop_at or {}).items():
            if at == s:
                e.stop(m)
        opt.zero_grad(set_to_none=True)
        losses.sum().backward()
        if clip is not None:
            e.clip_grad_norm_(clip)
        e.step(opt)
        if sched is not None:
            sched.step()
    return e, out


def _check_same(e, trained, ref_losses, losses, noise=None):
    """Losses and parameters to :data:`RTOL`; ``noise`` maps a parameter name to (entries,
    absolute tolerance) for entries whose exact gradient is zero (see the transformer test)."""
    assert torch.equal(torch.isnan(ref_losses), torch.isnan(losses))
    ok = ~torch.isnan(ref_losses)
    _close(losses[ok], ref_losses[ok])
    for name, stacked in e.params.items():
        for m, model in enumerate(trained):
            a, b = stacked[m].detach(), model.get_parameter(name).detach()
            if noise and name in noise:
                rows, atol = noise[name]
                assert float((a[rows] - b[rows]).abs().max()) <= atol
                keep = torch.ones(a.shape[0], dtype=torch.bool)
                keep[rows] = False
                a, b = a[keep], b[keep]
            _close(a, b)


# --------------------------------------------------------------------------------------------
# Equivalence


@pytest.mark.parametrize("kind,optimizer", [("mlp", "adam"), ("transformer", "adamw"),
                                            ("cnn", "sgd")])
def test_classifiers_match_one_at_a_time(kind, optimizer):
    """The Sinusoidal-classification models, the three optimizers, a shared minibatch stream."""
    arch = sc.model_config(kind, "smoke", 8, 10)
    lr, momentum, wd = sc.OPTIMIZER_SETTINGS[optimizer]
    nets = [sc.build_model(arch, init, seed, None).double()
            for init, seed in (("torch_default", 0), ("sinusoidal", 0), ("orthogonal", 1))]
    gen = torch.Generator().manual_seed(3)
    x = torch.randn(12, 16, 1, 8, 8, generator=gen, dtype=torch.float64)
    y = torch.randint(0, 10, (12, 16), generator=gen)

    def opt_of(params):
        return sc._optimizer(optimizer, params, lr, momentum, wd)

    steps = 12
    ref_models = copy.deepcopy(nets)
    ref = _sequential(ref_models, opt_of, lambda net, m, s: F.cross_entropy(net(x[s]), y[s]),
                      steps)
    e, got = _stacked(nets, opt_of, lambda e, s: F.cross_entropy(
        e(x[s], shared=True).transpose(1, 2), y[s].expand(3, -1), reduction="none").mean(1),
        steps)
    noise = None
    if kind == "transformer":
        # The attention's key bias adds q.b_k to a whole row of scores, which the softmax ignores:
        # its exact gradient is zero and both runs hold rounding noise |g| ~ 1e-17 there, which
        # Adam turns into steps lr g / (|g| + eps) ~ lr 1e-9. Bound: steps * lr * 1e-6
        # (|g| < 1e-14, eps = 1e-8); the query and value biases are held to RTOL.
        d = arch.dim
        noise = {"blocks.0.attn.in_proj_bias": (slice(d, 2 * d), steps * lr * 1e-6)}
    _check_same(e, ref_models, ref, got, noise)


def test_language_model_matches_with_early_stop():
    """The harmonic-lm Transformer with AdamW; network 1 stops after its fourth step for good."""
    cfg = LMConfig(vocab_size=20, seq_len=6, n_layer=1, d_model=8, n_head=2)
    nets = []
    for i, strategy in enumerate(("emb_random", "emb_sinusoidal", "emb_edge_of_chaos")):
        g = torch.Generator().manual_seed(i)
        nets.append(TransformerLM(LMConfig(**{**cfg.__dict__, "embedding_init": strategy}),
                                  generator=g, embedding_generator=g).double())
    w = torch.randint(0, 20, (10, 4, 7), generator=torch.Generator().manual_seed(5))

    def loss_of(net, m, s):
        return F.cross_entropy(net(w[s, :, :-1]).reshape(-1, 20), w[s, :, 1:].reshape(-1))

    def losses_of(e, s):
        logits = e(w[s, :, :-1], shared=True)
        target = w[s, :, 1:].reshape(-1).repeat(3)
        return F.cross_entropy(logits.reshape(-1, 20), target, reduction="none").view(3, -1) \
            .mean(1)

    def opt_of(p):
        return torch.optim.AdamW(p, lr=1e-2, weight_decay=1e-2)

    ref_models = copy.deepcopy(nets)
    ref = _sequential(ref_models, opt_of, loss_of, 10, stop_at={1: 4})
    e, got = _stacked(nets, opt_of, losses_of, 10, stop_at={1: 4})
    _check_same(e, ref_models, ref, got)
    assert bool(e.stopped[1]) and int(e.active.sum()) == 2


def test_sine_networks_with_own_data_schedule_and_clipping():
    """Image-fit networks, each with its own data, Adam with ExponentialLR and per-network
    gradient clipping at a norm that binds."""
    nets = [sf.build_network(init, 2, 16, 3, 30.0, seed).double()
            for init, seed in (("siren", 0), ("siren", 1), ("edge_of_chaos", 0))]
    gen = torch.Generator().manual_seed(7)
    x = torch.rand(3, 64, 2, generator=gen, dtype=torch.float64) * 2 - 1
    y = torch.sin(4 * x.sum(-1, keepdim=True))

    def opt_of(p):
        return torch.optim.Adam(p, lr=1e-3)

    def sched_of(opt):
        return torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.9)

    ref_models = copy.deepcopy(nets)
    ref = _sequential(ref_models, opt_of, lambda net, m, s: torch.mean((net(x[m]) - y[m]) ** 2),
                      15, clip=0.05, sched_of=sched_of)
    e, got = _stacked(nets, opt_of, lambda e, s: ((e(x) - y) ** 2).mean(dim=(1, 2)), 15,
                       clip=0.05, sched_of=sched_of)
    _check_same(e, ref_models, ref, got)


def test_apply_runs_a_function_of_the_network():
    """The Poisson loss goes through forward_laplacian(net, x), not the forward pass."""
    spec = poisson.arm_spec("siren", 16, 3)
    from initaudit.models.mlp import build_mlp

    nets = [build_mlp(spec, torch.Generator().manual_seed(s), torch.float64) for s in range(3)]
    x = torch.rand(32, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    f = poisson.source_term(x)

    def loss_of(net, m, s):
        _, lap = poisson.forward_laplacian(net, x)
        return torch.mean((lap + f) ** 2)

    def losses_of(e, s):
        _, lap = e.apply(poisson.forward_laplacian, x, shared=True)
        return ((lap + f) ** 2).mean(1)

    def opt_of(p):
        return torch.optim.Adam(p, lr=1e-3)

    ref_models = copy.deepcopy(nets)
    ref = _sequential(ref_models, opt_of, loss_of, 8)
    e, got = _stacked(nets, opt_of, losses_of, 8)
    _check_same(e, ref_models, ref, got)


def test_batch_norm_statistics_per_network():
    """HarmonicMLP (dropout 0: a stack refuses random draws): each network's batch-norm
    running statistics follow its own batches, as when it trains alone, and a stopped network's
    stay as they were when it stopped."""
    from initaudit.models.harmonic import HarmonicMLP, HarmonicMLPConfig

    cfg = HarmonicMLPConfig(input_size=12, hidden_sizes=(10, 6), base_freqs=(1.0, 1.0),
                            max_freqs=(5.0, 3.0), dropout=0.0)
    nets = [HarmonicMLP(cfg, generator=torch.Generator().manual_seed(s), dtype=torch.float64)
            for s in range(3)]
    gen = torch.Generator().manual_seed(2)
    x = torch.randn(3, 8, 16, 12, generator=gen, dtype=torch.float64)  # network, step, batch
    y = torch.randint(0, 10, (3, 8, 16), generator=gen)

    def opt_of(p):
        return torch.optim.Adam(p, lr=1e-3, weight_decay=1e-5)

    ref_models = copy.deepcopy(nets)
    for net in ref_models:
        net.train()
    # network 2 stops after the forward pass of its fourth step: its parameters and its
    # running statistics stay as they were then, while the others go on
    ref = _sequential(ref_models, opt_of, lambda net, m, s: F.cross_entropy(net(x[m, s]), y[m, s]),
                      8, stop_at={2: 3})
    e, got = _stacked(nets, opt_of, lambda e, s: F.cross_entropy(
        e(x[:, s]).transpose(1, 2), y[:, s], reduction="none").mean(1), 8, stop_at={2: 3})
    _check_same(e, ref_models, ref, got)
    e.write_back(nets)
    for name, stacked in e.buffers.items():
        for m, model in enumerate(ref_models):
            _close(stacked[m].double(), model.get_buffer(name).double())
            _close(nets[m].get_buffer(name).double(), model.get_buffer(name).double())
    tracked = e.buffers["feature_layers.1.num_batches_tracked"]
    assert [int(t) for t in tracked] == [8, 8, 4]


def test_write_back_and_clip_norms():
    nets = [nn.Linear(3, 2).double() for _ in range(2)]
    e = stk.StackedNetworks(nets)
    with torch.no_grad():
        for p in e.parameters():
            p.add_(1.0)
    fresh = e.write_back([nn.Linear(3, 2).double() for _ in range(2)])
    for m in range(2):
        assert torch.equal(fresh[m].weight, nets[m].weight + 1.0)
    # the norms returned are each network's gradient norm over all its parameters
    for p in e.parameters():
        p.grad = torch.ones_like(p)
    norms = e.clip_grad_norm_(1e9)
    _close(norms, torch.full((2,), (3 * 2 + 2) ** 0.5, dtype=torch.float64), 1e-15)


# --------------------------------------------------------------------------------------------
# Refusals


def test_refuses_what_it_cannot_reproduce():
    with pytest.raises(stk.StackError, match="at least one"):
        stk.StackedNetworks([])
    with pytest.raises(stk.StackError, match="network 1 differs"):
        stk.StackedNetworks([nn.Linear(3, 2), nn.Linear(3, 4)])
    e = stk.StackedNetworks([nn.Sequential(nn.Linear(3, 2), nn.Dropout(0.5)) for _ in range(2)])
    with pytest.raises(stk.StackError, match="random numbers"):
        e(torch.randn(2, 4, 3))
    e.train(False)
    assert e(torch.randn(2, 4, 3)).shape == (2, 4, 2)  # no draw in evaluation mode
    with pytest.raises(stk.StackError, match="leading model axis of 2"):
        e(torch.randn(3, 4, 3))
    with pytest.raises(stk.StackError, match="lie in 0..1"):
        e.stop(2)
    with pytest.raises(stk.StackError, match="needs 2 networks"):
        e.write_back([nn.Linear(3, 2)])


def test_stop_all_leaves_everything():
    nets = [nn.Linear(2, 1).double() for _ in range(2)]
    e = stk.StackedNetworks(nets)
    opt = torch.optim.SGD(e.parameters(), lr=0.1)
    before = [p.detach().clone() for p in e.parameters()]
    e.stop(torch.tensor([True, True]))
    e(torch.randn(2, 3, 2, dtype=torch.float64)).sum().backward()
    e.step(opt)
    assert all(torch.equal(a, b.detach()) for a, b in zip(before, e.parameters()))


# --------------------------------------------------------------------------------------------
# Memory


def test_step_bytes_counts_state_and_activations():
    net = nn.Sequential(nn.Linear(10, 20), nn.Tanh(), nn.Linear(20, 1)).double()
    params = sum(p.numel() for p in net.parameters()) * 8
    sizes = [stk.step_bytes(net, lambda n, b=b: n(torch.randn(b, 10, dtype=torch.float64)).sum())
             for b in (8, 16, 24)]
    # Parameters with gradient, two moments and the stacked copy, at the least.
    assert sizes[0] > (stk.STATE_COPIES + 1) * params
    # Saved activations grow linearly with the batch (exact integer arithmetic).
    assert sizes[2] - sizes[1] == sizes[1] - sizes[0] > 0


def test_group_size_follows_the_memory_limit(monkeypatch):
    monkeypatch.setenv("INITAUDIT_MEMORY_LIMIT", "1000000")  # bytes
    assert stk.group_size(100_000, 50) == 10
    assert stk.group_size(100_000, 50, workers=2) == 5
    assert stk.group_size(100_000, 4) == 4
    assert stk.group_size(10**9, 4) == 1  # never below one network
    assert stk.group_size(1, 50, limit=7) == 7
    with pytest.raises(ValueError, match="count"):
        stk.group_size(1, 0)
