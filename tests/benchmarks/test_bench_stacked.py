"""Stacked training against one-network-at-a-time training, at the ``cpu`` preset's sizes
(`make bench`).

For each training experiment, the networks of one group (the initialisers or strategies that
share a seed, hence their minibatches) train K steps one after another, each with its own
optimizer, and K steps as one :class:`analysis.stacked.StackedNetworks` with one optimizer. Both are
warmed up, then timed in alternating rounds on one thread (torch and BLAS), as the experiments'
cells run; the medians give

* ``ratio``: the stack's model-steps per second over the one-at-a-time run's (above 1: the
  stack is faster);
* ``fixed_share``: the share of one network's step time that does not grow with the batch
  (the step timed at the full batch and at a quarter of it, fitted by ``t(B) = a + c B``:
  ``a / t(B)``). This fixed cost (Python, kernel dispatch, optimizer bookkeeping) is all that
  stacking networks can share out, so ``batching_bound = 1 / (1 - fixed_share)`` bounds the ratio
  any batching of the same arithmetic can reach;
* ``efficiency``: the FLOPs of one network's step (counted by ``torch.utils.flop_counter``:
  matrix products, convolutions, attention) per second of the one-at-a-time run, over a float32
  512 x 512 x 512 matmul's throughput on the same thread, measured in the same test. Batching
  can at most remove the per-step overhead, so a run already at efficiency E of the machine's
  matmul rate leaves its matrix products no more than 1/E to gain.

Nothing is asserted about speed (a shared machine is noisy); the numbers are printed and stored in
``extra_info``. HarmonicMLP is timed with dropout 0: the reference network's dropout draws random
numbers, which a stack refuses (one vmapped stream cannot reproduce separately seeded runs),
so this case shows what batching would give the same arithmetic without it.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from typing import Callable

import pytest
import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

from initaudit.analysis.stacked import StackedNetworks
from initaudit.analysis.experiment import torch_threads

pytestmark = pytest.mark.filterwarnings("ignore:There is a performance drop:UserWarning")


@dataclass
class Case:
    make: Callable[[int], torch.nn.Module]   # network i of the group
    count: int                               # networks in the group
    inputs: Callable[[int], tuple]           # step -> the shared batch (row-major tensors)
    loss: Callable                           # (network, batch) -> scalar loss
    losses: Callable                         # (stack, batch) -> (M,) losses
    optimizer: Callable                      # params -> torch optimizer
    steps: int                               # steps per timed round
    shape: str                               # description


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _classification(kind: str) -> Case:
    from initaudit.analysis.experiments import sinusoidal_classification as sc

    p = sc.PRESETS["cpu"]
    arch = sc.model_config(kind, "cpu", 28, 10)
    inits = [i for i in sc.INITS if i != "lsuv"] + ["torch_default"]  # LSUV needs data
    x = torch.randn(8, p.batch_size, 1, 28, 28, generator=_gen(0))
    y = torch.randint(0, 10, (8, p.batch_size), generator=_gen(1))
    m = len(inits)
    return Case(
        make=lambda i: sc.build_model(arch, inits[i], i, None), count=m,
        inputs=lambda s: (x[s % 8], y[s % 8]),
        loss=lambda net, b: F.cross_entropy(net(b[0]), b[1]),
        losses=lambda e, b: F.cross_entropy(e(b[0], shared=True).transpose(1, 2),
                                            b[1].expand(m, -1), reduction="none").mean(1),
        optimizer=lambda ps: torch.optim.Adam(ps, lr=1e-3), steps=10,
        shape=f"{kind}, {m} initialisers, batch {p.batch_size}, Adam")


def _harmonic_mlp() -> Case:
    from initaudit.analysis.experiments import harmonic_mlp as hm
    from initaudit.models.harmonic import HarmonicMLP, HarmonicMLPConfig

    p = hm.PRESETS["cpu"]
    cfg = HarmonicMLPConfig(hidden_sizes=p.hidden, dropout=0.0)
    x = torch.randn(8, 128, 784, generator=_gen(0))
    y = torch.randint(0, 10, (8, 128), generator=_gen(1))
    m = 5
    return Case(
        make=lambda i: HarmonicMLP(cfg, generator=_gen(i)), count=m,
        inputs=lambda s: (x[s % 8], y[s % 8]),
        loss=lambda net, b: F.cross_entropy(net(b[0]), b[1]),
        losses=lambda e, b: F.cross_entropy(e(b[0], shared=True).transpose(1, 2),
                                            b[1].expand(m, -1), reduction="none").mean(1),
        optimizer=lambda ps: torch.optim.Adam(ps, lr=1e-3, weight_decay=1e-5), steps=10,
        shape=f"784-{'-'.join(map(str, p.hidden))}-10, dropout 0, {m} seeds, batch 128, Adam")


def _lm() -> Case:
    from initaudit.analysis.experiments import harmonic_lm as hl
    from initaudit.models.lm import EMBEDDING_INITS, LMConfig, TransformerLM

    p = hl.PRESETS["cpu"]
    strategies = EMBEDDING_INITS[:12]
    m = len(strategies)
    v = 407
    w = torch.randint(0, v, (8, p.batch_size, 33), generator=_gen(0))

    def make(i):
        cfg = LMConfig(vocab_size=v, seq_len=32, n_layer=p.n_layer, d_model=p.d_model,
                       n_head=p.n_head, embedding_init=strategies[i])
        return TransformerLM(cfg, _gen(0), _gen(100 + i))

    def losses(e, b):
        logits = e(b[0][:, :-1], shared=True)
        target = b[0][:, 1:].reshape(-1).repeat(m)
        return F.cross_entropy(logits.reshape(-1, v), target, reduction="none").view(m, -1).mean(1)

    return Case(
        make=make, count=m, inputs=lambda s: (w[s % 8],),
        loss=lambda net, b: F.cross_entropy(net(b[0][:, :-1]).reshape(-1, v),
                                            b[0][:, 1:].reshape(-1)),
        losses=losses,
        optimizer=lambda ps: torch.optim.AdamW(ps, lr=1e-3, weight_decay=1e-5), steps=10,
        shape=f"{p.n_layer} x {p.d_model}, {m} strategies, batch {p.batch_size} x 32, AdamW")


def _sine_fit(d_in: int, depth: int, points: int, inits, what: str) -> Case:
    from initaudit.analysis.experiments import sine_fit as sf

    m = len(inits)
    x = torch.rand(points, d_in, generator=_gen(0)) * 2 - 1
    y = torch.sin(8 * x.sum(1, keepdim=True))
    return Case(
        make=lambda i: sf.build_network(inits[i], d_in, 64, depth, 30.0, 0), count=m,
        inputs=lambda s: (x, y),
        loss=lambda net, b: torch.mean((net(b[0]) - b[1]) ** 2),
        losses=lambda e, b: ((e(b[0], shared=True) - b[1]) ** 2).mean(dim=(1, 2)),
        optimizer=lambda ps: torch.optim.Adam(ps, lr=1e-3), steps=6,
        shape=f"{what}: width 64, depth {depth}, {points} points, {m} initialisers, Adam")


def _poisson() -> Case:
    from initaudit.analysis.experiments import poisson
    from initaudit.models.mlp import build_mlp

    p = poisson.PRESETS["cpu"]
    arms = poisson.ARMS
    m = len(arms)
    depth = max(p.depths)
    xc = torch.rand(p.n_collocation, 2, generator=_gen(0)) * 2 - 1
    f = poisson.source_term(xc.double()).float()
    xb = poisson.boundary_points(p.n_boundary, _gen(1), torch.float32)
    ub = poisson.exact_solution(xb.double()).float()

    def loss(net, b):
        xc, f, xb, ub = b
        _, lap = poisson.forward_laplacian(net, xc)
        return torch.mean((lap + f) ** 2) + torch.mean((net(xb)[:, 0] - ub) ** 2)

    def losses(e, b):
        xc, f, xb, ub = b
        _, lap = e.apply(poisson.forward_laplacian, xc, shared=True)
        return ((lap + f) ** 2).mean(1) + ((e(xb, shared=True)[..., 0] - ub) ** 2).mean(1)

    return Case(
        make=lambda i: build_mlp(poisson.arm_spec(arms[i], p.width, depth), _gen(i)),
        count=m, inputs=lambda s: (xc, f, xb, ub), loss=loss, losses=losses,
        optimizer=lambda ps: torch.optim.Adam(ps, lr=1e-3), steps=10,
        shape=f"width {p.width}, depth {depth}, {p.n_collocation} + {p.n_boundary} points, "
              f"{m} arms, forward Laplacian, Adam")


CASES = {
    "classification-mlp": lambda: _classification("mlp"),
    "classification-cnn": lambda: _classification("cnn"),
    "classification-transformer": lambda: _classification("transformer"),
    "harmonic-mlp": _harmonic_mlp,
    "harmonic-lm": _lm,
    "image-fit": lambda: _sine_fit(2, 8, 2048, ("siren", "edge_of_chaos", "edge_of_chaos_sigma_a1",
                                                "chaotic", "edge_of_chaos_orthogonal"),
                                   "image fit"),
    "audio-fit": lambda: _sine_fit(1, 4, 4000, ("siren", "edge_of_chaos",
                                                "edge_of_chaos_sigma_a1", "chaotic"),
                                   "audio fit"),
    "poisson": _poisson,
}


def _matmul_gflops(n: int = 512, seconds: float = 0.5) -> float:
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    times = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        t0 = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - t0)
    return 2.0 * n ** 3 / 1e9 / statistics.median(times)


def _quarter(batch: tuple) -> tuple:
    return tuple(t[: max(1, t.shape[0] // 4)] for t in batch)


def _fixed_share(case: Case, net, opt, repeats: int = 15) -> float:
    """Share of one network's step time that does not grow with the batch: the step times at the
    full batch and at a quarter of it fit ``t(B) = a + c B``; returns ``a / t(B)``."""
    def step_time(part):
        times = []
        for s in range(repeats):
            batch = case.inputs(s)
            batch = _quarter(batch) if part else batch
            t0 = time.perf_counter()
            loss = case.loss(net, batch)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            times.append(time.perf_counter() - t0)
        return statistics.median(times[2:])

    full, quarter = step_time(False), step_time(True)
    per_batch = 4.0 / 3.0 * (full - quarter)  # c B
    return min(1.0, max(0.0, (full - per_batch) / full))


def _measure(benchmark, capsys, name: str, rounds: int = 5) -> None:
    case = CASES[name]()
    nets = [case.make(i) for i in range(case.count)]
    opts = [case.optimizer(n.parameters()) for n in nets]
    ens = StackedNetworks([case.make(i) for i in range(case.count)])
    ens_opt = case.optimizer(ens.parameters())

    def one_at_a_time():
        for net, opt in zip(nets, opts):
            for s in range(case.steps):
                loss = case.loss(net, case.inputs(s))
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()

    def stacked():
        for s in range(case.steps):
            losses = case.losses(ens, case.inputs(s))
            ens_opt.zero_grad(set_to_none=True)
            losses.sum().backward()
            ens.step(ens_opt)

    with FlopCounterMode(display=False) as counter:
        case.loss(nets[0], case.inputs(0)).backward()
    flops = counter.get_total_flops()
    one_at_a_time()  # warm-up
    fixed_share = _fixed_share(case, nets[0], opts[0])
    sequential = []

    def timed_pair():
        t0 = time.perf_counter()
        one_at_a_time()
        sequential.append(time.perf_counter() - t0)
        stacked()

    peak_before = _matmul_gflops()
    benchmark.pedantic(timed_pair, setup=None, rounds=rounds, iterations=1, warmup_rounds=1)
    peak = max(peak_before, _matmul_gflops())
    seq = statistics.median(sequential[-rounds:])
    # The pair's time minus its own one-at-a-time part is the stack's.
    pair = benchmark.stats.stats.median
    ens_s = max(pair - seq, 1e-9)
    model_steps = case.count * case.steps
    rate = flops * model_steps / seq / 1e9
    benchmark.extra_info.update({
        "case": name, "shape": case.shape, "networks": case.count, "steps": case.steps,
        "one_at_a_time_ms_per_model_step": round(1e3 * seq / model_steps, 3),
        "stacked_ms_per_model_step": round(1e3 * ens_s / model_steps, 3),
        "ratio": round(seq / ens_s, 3), "step_gflop": round(flops / 1e9, 4),
        "one_at_a_time_gflops_per_s": round(rate, 2), "matmul_512_gflops_per_s": round(peak, 2),
        "efficiency": round(rate / peak, 3), "fixed_share": round(fixed_share, 3),
        "batching_bound": round(1.0 / max(1.0 - fixed_share, 1e-9), 2),
        "torch_threads": torch.get_num_threads(),
    })
    with capsys.disabled():
        print(f"\n[stacked bench] {name} ({case.shape}): one at a time "
              f"{1e3 * seq / model_steps:.2f} ms, stacked {1e3 * ens_s / model_steps:.2f} ms per "
              f"model-step: ratio {seq / ens_s:.2f}; one at a time reaches {rate:.1f} GFLOP/s = "
              f"{rate / peak:.2f} x a 512^3 matmul ({peak:.1f} GFLOP/s); fixed share of its step "
              f"{fixed_share:.2f}, so removing it gains at most "
              f"{1.0 / max(1.0 - fixed_share, 1e-9):.2f}x")


@pytest.mark.benchmark
@pytest.mark.parametrize("name", list(CASES))
def test_bench_stacked(benchmark, capsys, name):
    with torch_threads(1):
        _measure(benchmark, capsys, name)
