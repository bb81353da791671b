"""Throughput of the ensemble propagation (pytest-benchmark; run with `make bench`).

Shape: depth 32, width 1024, 16 networks, 256 inputs, float32 (a sine network at the edge of
chaos; the activation costs ~1/1000 of a layer's matmul). Three timings in one run:

* the ensemble forward pass, one ``torch.baddbmm`` per layer over all networks;
* the same networks in a Python loop, one ``torch.addmm`` per network and layer;
* the Monte-Carlo step of :func:`analysis.propagate.measure` (forward, backward, statistics);

and, as the yardstick, the throughput of a single ``torch.bmm`` of one hidden layer's shapes,
(16, 256, 1024) x (16, 1024, 1024), measured in the same process right before. Each benchmark
records in ``extra_info`` its matmul work (GFLOP, 2 m n k per product), the achieved GFLOP/s and
the ratio to the bmm yardstick. The target is a ratio >= 0.6; the test asserts only a generous
floor (0.3) on the forward pass, because wall-clock numbers on a shared machine are noisy and a
benchmark should not fail on noise.
"""

from __future__ import annotations

import statistics
import time

import pytest
import torch

from initaudit.models import catalogue
from initaudit.analysis import propagate as mc
from initaudit.models.mlp import Ensemble

DEPTH, WIDTH, NETWORKS, POINTS = 32, 1024, 16, 256
RATIO_FLOOR = 0.3


def _forward_gflop() -> float:
    fans = [(2, WIDTH)] + [(WIDTH, WIDTH)] * (DEPTH - 1) + [(WIDTH, 1)]
    return sum(2.0 * NETWORKS * POINTS * i * o for i, o in fans) / 1e9


@pytest.fixture(scope="module")
def setup():
    torch.manual_seed(0)
    sp = catalogue.spec("edge_of_chaos", 2, WIDTH, DEPTH)
    ens = Ensemble.from_spec(sp, NETWORKS, torch.Generator().manual_seed(0), torch.float32)
    x = torch.from_numpy(mc.sample_inputs(POINTS, 2, seed=0)).float()
    # The yardstick: one hidden layer's bmm, median of 7 timings after a warm-up.
    h = torch.randn(NETWORKS, POINTS, WIDTH)
    w = torch.randn(NETWORKS, WIDTH, WIDTH)
    torch.bmm(h, w)
    times = []
    for _ in range(7):
        t0 = time.perf_counter()
        torch.bmm(h, w)
        times.append(time.perf_counter() - t0)
    bmm_gflops = 2.0 * NETWORKS * POINTS * WIDTH * WIDTH / 1e9 / statistics.median(times)
    return {"ens": ens, "x": x, "bmm_gflops": bmm_gflops, "threads": torch.get_num_threads()}


def _record(benchmark, setup, gflop: float) -> float:
    seconds = benchmark.stats.stats.median
    rate = gflop / seconds
    ratio = rate / setup["bmm_gflops"]
    benchmark.extra_info.update({
        "gflop": round(gflop, 2), "gflops_per_s": round(rate, 2),
        "bmm_gflops_per_s": round(setup["bmm_gflops"], 2), "ratio_to_bmm": round(ratio, 3),
        "shape": f"depth {DEPTH}, width {WIDTH}, {NETWORKS} networks, {POINTS} inputs, float32",
        "torch_threads": setup["threads"],
    })
    return ratio


def test_bench_ensemble_forward(benchmark, setup):
    ens, x = setup["ens"], setup["x"]
    benchmark.pedantic(ens.forward, args=(x,), rounds=3, iterations=1, warmup_rounds=1)
    ratio = _record(benchmark, setup, _forward_gflop())
    assert ratio >= RATIO_FLOOR, benchmark.extra_info


def test_bench_per_network_loop(benchmark, setup):
    ens, x = setup["ens"], setup["x"]

    def loop():
        out = []
        with torch.no_grad():
            for s in range(ens.n_networks):
                h = x
                for l in range(ens.depth + 1):
                    z = torch.addmm(ens.biases[l][s], h, ens.weights[l][s].T)
                    out.append(z)
                    if l < ens.depth:
                        h = torch.sin(z)
        return out

    benchmark.pedantic(loop, rounds=3, iterations=1, warmup_rounds=1)
    _record(benchmark, setup, _forward_gflop())


def test_bench_measure(benchmark, setup):
    """Forward, backward (one bmm per layer) and the per-layer statistics."""
    ens, x = setup["ens"], setup["x"]
    benchmark.pedantic(mc.measure, args=(ens, x.double().numpy()), rounds=2, iterations=1,
                       warmup_rounds=0)
    _record(benchmark, setup, 2 * _forward_gflop())
