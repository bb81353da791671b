"""Tests of the physics-informed Poisson experiment (:mod:`analysis.experiments.poisson`).

Tolerances: the closed-form source and the forward Laplacian are compared with torch autograd in
float64, where both are exact up to rounding, at a relative 1e-10 (numerics). Metric tests use
hand-computed cases. The end-to-end test runs the smoke preset (plumbing, not science).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from initaudit.analysis.experiments import poisson as P

@pytest.fixture(autouse=True)
def _one_torch_thread():
    """Tiny float64 networks: one thread is faster (and far faster on a loaded machine)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


#: Relative tolerance of float64 comparisons between two exact computations (rounding only).
RTOL64 = 1e-10


def _random_points(n: int, seed: int) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    return torch.rand(n, 2, generator=gen, dtype=torch.float64) * 2 - 1


@pytest.mark.parametrize("modes", [
    P.DEFAULT_MODES,
    ((0.7, 3.0, 1.0, 0.4, -1.1), (2.0, 0.5, 6.0, 0.0, 2.0), (0.1, 7.0, 7.0, 1.0, 0.3)),
])
def test_source_is_minus_autograd_laplacian_of_exact_solution(modes):
    x = _random_points(400, 0)
    _, lap = P.autograd_laplacian(lambda p: P.exact_solution(p, modes), x)
    f = P.source_term(x, modes)
    scale = float(f.abs().max())
    # numerics: two exact float64 computations of the same function
    assert torch.allclose(-lap, f, rtol=0.0, atol=RTOL64 * scale)


def test_default_solution_hand_values():
    # u* = sin(pi x) sin(2 pi y) + (1/4) cos(4 pi x) sin(5 pi y), by hand at three points
    pts = torch.tensor([[0.5, 0.25], [1.0, 0.1], [0.0, -1.0]], dtype=torch.float64)
    expected = [
        1.0 * 1.0 + 0.25 * 1.0 * math.sin(5 * math.pi / 4),  # sin(pi/2) sin(pi/2) + cos(2pi)/4 sin(5pi/4)
        0.0 + 0.25 * 1.0 * math.sin(0.5 * math.pi),            # x = 1: cos(4 pi) = 1, sin(pi/2)
        0.0,                                                    # y = -1: both sines vanish
    ]
    # numerics: float64 evaluation of the same closed form
    np.testing.assert_allclose(P.exact_solution(pts).numpy(), expected, rtol=0, atol=1e-12)
    f = P.source_term(pts).numpy()
    assert f[0] == pytest.approx(5 * math.pi ** 2 + 0.25 * 41 * math.pi ** 2 * math.sin(5 * math.pi / 4),
                                 rel=1e-12)


@pytest.mark.parametrize("arm", list(P.ARMS))
def test_forward_laplacian_matches_autograd(arm):
    from initaudit.models.mlp import build_mlp

    spec = P.arm_spec(arm, width=24, depth=3, omega0=10.0)
    net = build_mlp(spec, torch.Generator().manual_seed(3), "float64")
    x = _random_points(64, 1)
    u_f, lap_f = P.forward_laplacian(net, x)
    u_a, lap_a = P.autograd_laplacian(net, x)
    scale = float(lap_a.detach().abs().max())
    # numerics: two exact float64 computations of the same Laplacian
    assert torch.allclose(u_f, u_a, rtol=0, atol=RTOL64 * float(u_a.detach().abs().max()))
    assert torch.allclose(lap_f, lap_a, rtol=0, atol=RTOL64 * scale)
    # and its parameter gradient (the training signal) agrees as well; the readout bias does
    # not enter the Laplacian, so its gradient is None in both
    params = list(net.parameters())
    g_f = torch.autograd.grad(lap_f.square().mean(), params, allow_unused=True)
    g_a = torch.autograd.grad(lap_a.square().mean(), params, allow_unused=True)
    assert g_f[-1] is None and g_a[-1] is None
    for a, b in zip(g_f[:-1], g_a[:-1]):
        assert torch.allclose(a, b, rtol=0, atol=RTOL64 * float(b.abs().max()))


def test_forward_laplacian_rejects_other_modules():
    net = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1))
    with pytest.raises(ValueError, match="sine"):
        P.forward_laplacian(net, torch.zeros(3, 2))


def test_relative_l2_hand_cases():
    target = np.array([3.0, 4.0])  # norm 5
    assert P.relative_l2(target, target) == 0.0
    assert P.relative_l2([0.0, 0.0], target) == pytest.approx(1.0, abs=1e-15)
    assert P.relative_l2([3.0, 5.0], target) == pytest.approx(0.2, abs=1e-15)   # |(0, 1)| / 5
    assert P.relative_l2([6.0, 8.0], target) == pytest.approx(1.0, abs=1e-15)   # |(3, 4)| / 5
    # 2-D arrays count every entry: |(0, 0, 0, 2)| / |(1, 2, 2, 2)| = 2 / sqrt(13)
    assert P.relative_l2([[1.0, 2.0], [2.0, 4.0]], [[1.0, 2.0], [2.0, 2.0]]) == pytest.approx(
        2.0 / math.sqrt(13.0), abs=1e-15)
    with pytest.raises(ValueError, match="shapes differ"):
        P.relative_l2([1.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="all zero"):
        P.relative_l2([1.0], [0.0])


def test_points_lie_where_they_should_and_repeat_with_the_seed():
    gen = torch.Generator().manual_seed(5)
    xb = P.boundary_points(2000, gen, torch.float64)
    # exact: every boundary point has one coordinate equal to +-1 and the other in [-1, 1]
    assert torch.all(xb.abs().max(dim=1).values == 1.0)
    assert torch.all(xb.abs() <= 1.0)
    # every side is used (2000 draws with probability 1/4 each)
    sides = torch.stack([xb[:, 0] == -1, xb[:, 0] == 1, xb[:, 1] == -1, xb[:, 1] == 1], 1)
    assert torch.all(sides.sum(0) > 0)
    xc = P.collocation_points(500, gen, torch.float64)
    assert xc.shape == (500, 2) and torch.all(xc.abs() <= 1.0)
    again = P.boundary_points(2000, torch.Generator().manual_seed(5), torch.float64)
    assert torch.equal(xb, again)


def test_evaluation_grid_layout():
    g = P.evaluation_grid(3)
    # row i * n + j is (t_i, t_j), t = (-1, 0, 1)
    assert g.shape == (9, 2)
    assert g[1].tolist() == [-1.0, 0.0] and g[3].tolist() == [0.0, -1.0] and g[8].tolist() == [1.0, 1.0]


def test_arm_specs_have_the_published_variances():
    # hand values (uniform laws: Var U(-c, c) = c^2 / 3), width 64, omega_0 = 10, d = 2
    n, w0 = 64, 10.0
    eoc = P.arm_spec("edge_of_chaos", n, 4, w0)
    assert eoc.hidden.sigma_w2 == pytest.approx(1.0, rel=1e-12)      # c_w = sqrt(3)
    assert eoc.hidden.sigma_b2 == 0.0
    assert eoc.first.sigma_w2 == pytest.approx(2 * (w0 / 2) ** 2 / 3, rel=1e-12)  # U(+-w0/d)
    siren = P.arm_spec("siren", n, 4, w0)
    assert siren.hidden.sigma_w2 == pytest.approx(2.0, rel=1e-12)    # c_w = sqrt(6)
    assert siren.hidden.sigma_b2 == pytest.approx(w0 ** 2 / (3 * n), rel=1e-12)
    ordered = P.arm_spec("ordered", n, 4, w0)
    assert (ordered.hidden.sigma_w2, ordered.hidden.sigma_b2) == pytest.approx((0.75, 0.25 / 3))
    a1 = P.arm_spec("edge_of_chaos_sigma_a1", n, 4, w0)
    # the sigma_a = 1 point: c_w^2 = 6 / (1 + e^-2), q* = 1
    assert a1.hidden.sigma_w2 == pytest.approx(2.0 / (1.0 + math.exp(-2.0)), rel=1e-12)


@pytest.mark.parametrize("kwargs, match", [
    (dict(inits="siren,he"), "unknown initialiser 'he'"),
    (dict(inits=""), "at least one"),
    (dict(laplacian="hessian"), "unknown laplacian"),
    (dict(lr=-1.0), "lr must be a positive"),
    (dict(omega0=0.0), "omega0 must be a positive"),
    (dict(steps=0), "steps must be a positive integer"),
    (dict(depths="4,x"), "depths must be"),
    (dict(boundary_weight=-1.0), "boundary_weight"),
])
def test_bad_options_raise_clear_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        P.cells("smoke", None, **kwargs)


def test_unknown_preset_and_unknown_arm_in_spec():
    with pytest.raises(ValueError, match="valid presets"):
        P.cells("huge")
    with pytest.raises(ValueError, match="valid names are siren"):
        P.arm_spec("xavier", 8, 2)


def test_run_cell_is_deterministic_and_training_reduces_the_error():
    cfg = P.cells("smoke", 1, inits="edge_of_chaos", depths="2")[0]
    a, b = P.run_cell(cfg), P.run_cell(cfg)
    np.testing.assert_array_equal(a["rel_l2"], b["rel_l2"])
    np.testing.assert_array_equal(a["prediction"], b["prediction"])
    assert a["steps"][0] == 0 and a["steps"][-1] == cfg.steps
    assert not a["diverged"] and np.all(np.isfinite(a["rel_l2"]))
    # the physics loss after training is below its starting value (30 Adam steps)
    assert a["loss_residual"][-1] + a["loss_boundary"][-1] < a["loss_residual"][0] + a["loss_boundary"][0]


def test_smoke_end_to_end_through_the_cache(cache_tmp):
    from initaudit.analysis.experiment import run_experiment

    run = run_experiment("poisson", "smoke", progress=False)
    s = run.summary
    n_arms, depths, seeds = len(P.DEFAULT_ARMS), s["settings"]["depths"], s["settings"]["seeds"]
    assert len(run.configs) == n_arms * len(depths) * seeds and run.computed == len(run.configs)
    assert set(s["final"].init) == set(P.DEFAULT_ARMS)
    keys = {f"poisson_{arm}_vs_siren_log10_rel_l2_{where}"
            for arm in P.DEFAULT_ARMS if arm != "siren"
            for where in [f"depth{d}" for d in depths] + ["pooled"]}
    keys.add("poisson_edge_of_chaos_orthogonal_vs_edge_of_chaos_log10_rel_l2_pooled")
    assert set(s["evidence"]) == keys
    for rec in s["evidence"].values():
        assert {"mean", "lo", "hi", "n", "p", "unit", "what"} <= set(rec)
        assert rec["n"] == seeds and rec["lo"] <= rec["mean"] <= rec["hi"]
    # the pooled difference is the mean over seeds of each seed's mean over depths
    runs = s["runs"].set_index(["init", "depth", "seed"]).log10_final
    per_seed = [np.mean([runs["edge_of_chaos", d, k] - runs["siren", d, k] for d in depths])
                for k in range(seeds)]
    rec = s["evidence"]["poisson_edge_of_chaos_vs_siren_log10_rel_l2_pooled"]
    assert rec["mean"] == pytest.approx(np.mean(per_seed), abs=1e-12)
    # and the orthogonal variant against its i.i.d. point, the same way
    per_seed = [np.mean([runs["edge_of_chaos_orthogonal", d, k] - runs["edge_of_chaos", d, k]
                         for d in depths]) for k in range(seeds)]
    rec = s["evidence"]["poisson_edge_of_chaos_orthogonal_vs_edge_of_chaos_log10_rel_l2_pooled"]
    assert rec["mean"] == pytest.approx(np.mean(per_seed), abs=1e-12)
    maps = P.error_maps(run.configs, run.results)
    assert set(maps["runs"]) == {"siren", "edge_of_chaos", "edge_of_chaos_sigma_a1"}
    deep = [(r["final_rel_l2"], c.seed) for c, r in zip(run.configs, run.results)
            if c.init == "siren" and c.depth == max(depths)]
    assert maps["runs"]["siren"]["final_rel_l2"] == sorted(deep)[(len(deep) - 1) // 2][0]
    text = P.format_summary(s)
    assert "edge_of_chaos" in text
    again = run_experiment("poisson", "smoke", progress=False)
    assert again.computed == 0


def test_training_with_either_laplacian_gives_the_same_run():
    import dataclasses

    cfg = P.cells("smoke", 1, inits="siren", depths="3")[0]
    cfg = dataclasses.replace(cfg, dtype="float64", steps=20, eval_every=5)
    a = P.run_cell(cfg)
    b = P.run_cell(dataclasses.replace(cfg, laplacian="autograd"))
    # numerics: float64 rounding differences, carried through 20 Adam steps
    np.testing.assert_allclose(a["rel_l2"], b["rel_l2"], rtol=1e-9, atol=0)
    np.testing.assert_allclose(a["loss_residual"], b["loss_residual"], rtol=1e-9, atol=0)
