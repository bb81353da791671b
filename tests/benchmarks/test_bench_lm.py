"""Training throughput of the harmonic-lm Transformer against the 6N FLOPs-per-token rule and the
machine's matmul throughput (`make bench`).

A training step (forward, backward, AdamW update) of a decoder-only Transformer with N parameters
costs about 6 N floating-point operations per token (Kaplan et al. 2020, arXiv 2001.08361,
Sec. 2.1: 2 N forward, 4 N backward; the attention-score term 6 L T D per token is added here
as ``attention``; embedding lookups cost nothing but are counted in N, as the rule is usually
quoted). Each benchmark times training steps on random windows of ``seq_len + 1`` tokens in
float32 and reports

* tokens per second and the achieved GFLOP/s = tokens/s x (6 N + 6 L T D) / 1e9;
* the ratio to the throughput of a float32 matmul of the model's largest per-step shape,
  ``(B T, D) @ (D, 4 D)`` (the feed-forward input layer), measured in the same process right
  before and after the benchmark (the larger of the two: a shared machine's load drifts, and the
  ratio is then a lower bound), and to a square 512 x 512 x 512 matmul.

Shapes: the ``cpu`` preset model (2 layers, width 64, batch 16 as in the sweep) and a model of
4 layers, width 256 (batch 16), both at sequence length 32 and vocabulary 407; the ``paper``
model (8 x 512) only on a GPU. Nothing is asserted about speed (a shared machine is noisy);
numbers are printed and stored in ``extra_info``. The CPU benchmarks run on one thread (torch
and BLAS), as the sweep's cells do (:class:`analysis.experiments.harmonic_lm.LMCell` ``threads``),
and the matmul yardsticks are measured on the same one thread.
"""

from __future__ import annotations

import statistics
import time

import pytest
import torch
import torch.nn.functional as F

from initaudit.analysis.experiment import torch_threads
from initaudit.models.lm import LMConfig, TransformerLM

SHAPES = {
    "cpu_preset": dict(n_layer=2, d_model=64, n_head=4, batch=16),
    "medium": dict(n_layer=4, d_model=256, n_head=4, batch=16),
    "paper": dict(n_layer=8, d_model=512, n_head=4, batch=32),
}


def _matmul_gflops(m: int, k: int, n: int, device, repeats: int = 25) -> float:
    a = torch.randn(m, k, device=device)
    b = torch.randn(k, n, device=device)
    a @ b
    times = []
    for _ in range(repeats):
        if device.type == "cuda":
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        a @ b
        if device.type == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - t0)
    return 2.0 * m * k * n / 1e9 / statistics.median(times)


def _run(benchmark, capsys, key: str, rounds: int) -> None:
    device = torch.device("cuda" if key == "paper" else "cpu")
    if device.type == "cuda" and not torch.cuda.is_available():
        pytest.skip("the paper-size model is benchmarked on a GPU only")
    with torch_threads(1 if device.type == "cpu" else None):
        _measure(benchmark, capsys, key, device, rounds)


def _measure(benchmark, capsys, key, device, rounds) -> None:
    shape = SHAPES[key]
    cfg = LMConfig(n_layer=shape["n_layer"], d_model=shape["d_model"], n_head=shape["n_head"],
                   embedding_init="emb_harmonic")
    model = TransformerLM(cfg, torch.Generator().manual_seed(0),
                          torch.Generator().manual_seed(1)).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-5)
    b, t, d = shape["batch"], cfg.seq_len, cfg.d_model
    x = torch.randint(0, cfg.vocab_size, (b, t + 1), generator=torch.Generator().manual_seed(2))
    x = x.to(device)

    def step():
        logits = model(x[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, cfg.vocab_size), x[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if device.type == "cuda":
            torch.cuda.synchronize()

    ff_before = _matmul_gflops(b * t, d, 4 * d, device)
    sq_before = _matmul_gflops(512, 512, 512, device)
    benchmark.pedantic(step, rounds=rounds, iterations=1, warmup_rounds=3)
    seconds = benchmark.stats.stats.median
    ff = max(ff_before, _matmul_gflops(b * t, d, 4 * d, device))
    sq = max(sq_before, _matmul_gflops(512, 512, 512, device))
    tokens = b * t / seconds
    flops_token = 6 * cfg.n_params + 6 * cfg.n_layer * t * d
    rate = tokens * flops_token / 1e9
    benchmark.extra_info.update({
        "shape": f"{cfg.n_layer} x {d}, {cfg.n_head} heads, batch {b} x {t}, {device.type}",
        "n_params": cfg.n_params, "flops_per_token": flops_token,
        "step_seconds": round(seconds, 5), "tokens_per_s": round(tokens, 1),
        "gflops_per_s": round(rate, 2), "matmul_ff_gflops_per_s": round(ff, 2),
        "matmul_512_gflops_per_s": round(sq, 2), "ratio_to_ff_matmul": round(rate / ff, 3),
        "ratio_to_512_matmul": round(rate / sq, 3), "torch_threads": torch.get_num_threads(),
    })
    with capsys.disabled():
        print(f"\n[lm bench] {benchmark.extra_info['shape']}: {tokens:,.0f} tokens/s, "
              f"{rate:.2f} GFLOP/s at 6N+attn = {flops_token:,} FLOP/token; "
              f"{rate / ff:.2f} x the ({b * t}x{d})@({d}x{4 * d}) matmul ({ff:.1f} GFLOP/s), "
              f"{rate / sq:.2f} x a 512^3 matmul ({sq:.1f} GFLOP/s)")


@pytest.mark.benchmark
def test_bench_train_cpu_preset(benchmark, capsys):
    _run(benchmark, capsys, "cpu_preset", rounds=30)


@pytest.mark.benchmark
def test_bench_train_medium(benchmark, capsys):
    _run(benchmark, capsys, "medium", rounds=10)


@pytest.mark.benchmark
def test_bench_train_paper_gpu(benchmark, capsys):
    _run(benchmark, capsys, "paper", rounds=20)
