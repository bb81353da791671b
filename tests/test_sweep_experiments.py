"""The Monte-Carlo, NTK and weight-spectrum sweeps as experiments of the one runner.

Each sweep is an ``initaudit experiment`` name with presets, one cache entry per cell and a
summary; these tests check, at the smoke preset, that the cells are the sweep's, that the
summary is the same table the sweep's own function gives for the same settings (the figures
read the summary, so a difference would change a figure), that a second run is served from the
cache and ``force`` recomputes, and that bad seeds are refused with a message saying what is valid.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
import torch

from initaudit.analysis import experiment
from initaudit.analysis import ntk
from initaudit.analysis import propagate as mc
from initaudit.analysis import spectrum as sp
from initaudit.analysis.experiments import (mc_jacobian, mc_variance, mc_width, ntk_laplacian,
                                            ntk_spectra,
                                            ntk_width, weight_spectra)
from initaudit.models import catalogue, seeds
from initaudit.models.mlp import Ensemble

MODULES = (mc_variance, mc_width, mc_jacobian, ntk_width, ntk_spectra, weight_spectra,
           ntk_laplacian)


def _frames_equal(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True))


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.NAME)
def test_every_sweep_is_a_listed_experiment_with_three_presets(module):
    assert experiment.available()[module.NAME] is module
    assert set(module.PRESETS) == {"smoke", "cpu", "paper"}
    for preset in module.PRESETS:
        assert module.cells(preset), preset


def test_cell_counts_follow_the_cases_and_widths():
    assert len(mc_variance.cells("smoke")) == len(mc.AUDIT_CASES)
    assert len(mc_width.cells("cpu")) == len(mc.AUDIT_CASES) * len(mc_width.PRESETS["cpu"].widths)
    jc = mc_jacobian.cells("smoke")
    assert [(c.init, c.activation) for c in jc[: len(mc_jacobian.CASES)]] == list(mc_jacobian.CASES)
    assert [(c.init, c.depth) for c in jc[len(mc_jacobian.CASES):]] == [
        (i, d) for i in mc_jacobian.DEPTH_INITS for d in mc_jacobian.PRESETS["smoke"].depths]
    assert len(ntk_width.cells("smoke")) == (len(ntk_width.runs())
                                             * len(ntk_width.PRESETS["smoke"].widths))
    assert len(weight_spectra.cells("paper")) == 1


def test_mc_width_spends_the_same_on_every_width():
    size = mc_width.PRESETS["cpu"]
    nets = mc_width.networks_per_width(size.widths, size.n_top, size.max_networks)
    top = max(size.widths)
    assert nets[top] == size.n_top
    for n, s in nets.items():
        # S N^2 is the cost of a cell; equal up to the rounding of S (and the cap)
        assert s == min(size.max_networks, round(size.n_top * (top / n) ** 2))


@pytest.mark.parametrize("module, bad, valid", [
    (mc_variance, 1, "integer >= 2"), (mc_width, 2, "integer >= 3"),
    (ntk_width, 1, "integer >= 2"), (mc_jacobian, 0, "positive integer"),
    (ntk_spectra, 0, "positive integer"), (weight_spectra, 0, "positive integer"),
    (ntk_laplacian, 1, "integer >= 2"),
    (weight_spectra, 2.5, "positive integer")])
def test_bad_seeds_are_refused_with_what_is_valid(module, bad, valid):
    with pytest.raises(ValueError, match=valid):
        module.cells("smoke", bad)


def test_unknown_preset_is_refused():
    with pytest.raises(ValueError, match="valid presets are smoke, cpu, paper"):
        mc_variance.cells("huge")


def test_mc_variance_is_the_pooled_table_of_run_config(cache_tmp):
    run = experiment.run_experiment("mc-variance", "smoke", progress=False)
    size = mc_variance.PRESETS["smoke"]
    frames = []
    for init, act in mc.AUDIT_CASES:
        t = mc.run_config(mc.PropagationConfig(init=init, activation=act, depth=size.depth,
                                               width=size.width, n_networks=size.n_networks,
                                               n_inputs=size.n_inputs))
        frames.append(t[(t.network == "pooled") & (t.quantity == "q")])
    _frames_equal(run.summary["table"], pd.concat(frames))
    last = run.summary["last_layer"]
    assert list(last.init) == [i for i, _ in mc.AUDIT_CASES]
    assert (last.layer == size.depth).all()
    again = experiment.run_experiment("mc-variance", "smoke", progress=False)
    assert set(again.statuses) == {"cached"}
    forced = experiment.run_experiment("mc-variance", "smoke", progress=False, force=True)
    assert "cached" not in forced.statuses
    _frames_equal(forced.summary["table"], run.summary["table"])


def test_mc_width_is_width_sweep(cache_tmp):
    run = experiment.run_experiment("mc-width", "smoke", progress=False)
    size = mc_width.PRESETS["smoke"]
    nets = mc_width.networks_per_width(size.widths, size.n_top, size.max_networks)
    for key in ("deviation", "fit"):
        direct = pd.concat([mc.width_sweep(init, size.depth, size.widths, nets, act,
                                           n_inputs=size.n_inputs, reference="exact",
                                           use_cache=False)[key]
                            for init, act in mc.AUDIT_CASES])
        got = run.summary[key]
        if key == "deviation":
            # the leading-order theory beside each deviation: finite, and zero for He + relu,
            # where every finite-width term of the means cancels (float64 rounding, 1e-12)
            assert np.isfinite(got.predicted_deviation).all()
            relu = got[got.activation == "relu"]
            assert not relu.empty and (relu.predicted_deviation.abs() < 1e-12).all()
            got = got.drop(columns="predicted_deviation")
        _frames_equal(got, direct)


def test_mc_jacobian_is_jacobian_spectrum_of_the_entry_rule(cache_tmp):
    run = experiment.run_experiment("mc-jacobian", "smoke", progress=False)
    size = mc_jacobian.PRESETS["smoke"]
    x = mc.sample_inputs(size.n_inputs, mc.D_IN, seed=0)
    svs, sums = [], []
    for init, act in mc_jacobian.CASES:
        ens = Ensemble.from_init(init, mc.D_IN, size.width, size.depth, size.n_networks, act,
                                 None, seeds.torch_generator(0, seeds.STREAM_INIT),
                                 torch.float64)
        spec = catalogue.spec(init, mc.D_IN, size.width, size.depth, act)
        res = mc.jacobian_spectrum(ens, x, n_inputs=size.n_inputs, spec=spec,
                                   weights=catalogue.get(init).matrix)
        svs.append(res["singular_values"])
        sums.append(res["summary"])
    _frames_equal(run.summary["singular_values"], pd.concat(svs))
    _frames_equal(run.summary["summary"], pd.concat(sums))
    # the depth sweep: one cell redone directly, averaged over inputs, then over networks
    init, depth = mc_jacobian.DEPTH_INITS[1], size.depths[-1]
    ens = Ensemble.from_init(init, mc.D_IN, size.width, depth, size.sweep_networks, "sin", None,
                             seeds.torch_generator(0, seeds.STREAM_INIT), torch.float64)
    res = mc.jacobian_spectrum(ens, x, n_inputs=size.n_inputs,
                               spec=catalogue.spec(init, mc.D_IN, size.width, depth, "sin"),
                               weights="orthogonal")["summary"]
    per = res.groupby("network").normalized_variance.mean()
    row = run.summary["depth_sweep"].set_index(["init", "depth"]).loc[(init, depth)]
    assert row.measured == pytest.approx(per.mean(), rel=1e-12)
    assert row.se == pytest.approx(per.std(ddof=1) / np.sqrt(len(per)), rel=1e-12)
    assert row.predicted == pytest.approx(res.predicted_normalized_variance.mean(), rel=1e-12)


def test_ntk_width_is_width_sweep(cache_tmp):
    run = experiment.run_experiment("ntk-width", "smoke", progress=False)
    size = ntk_width.PRESETS["smoke"]
    res = [ntk.width_sweep(init, act, size.depth, size.widths, n_seeds=size.n_seeds,
                           n_points=size.n_points, convention=law)
           for init, act, law in ntk_width.runs()]
    for key in ("summary", "fit"):
        _frames_equal(run.summary[key], pd.concat([r[key] for r in res]))
    assert set(run.summary["fit"].convention) == {"normal", "own"}


def test_ntk_spectra_is_spectra_sweep(cache_tmp):
    run = experiment.run_experiment("ntk-spectra", "smoke", progress=False)
    size = ntk_spectra.PRESETS["smoke"]
    direct = ntk.spectra_sweep(None, size.depth, size.width, n_seeds=size.n_seeds,
                               n_points=size.n_points)
    for key in ("eigenvalues", "summary"):
        _frames_equal(run.summary[key], direct[key])


def test_weight_spectra_is_run_weight_spectra(cache_tmp):
    run = experiment.run_experiment("weight-spectra", "smoke", progress=False)
    size = weight_spectra.PRESETS["smoke"]
    cfg = sp.WeightSpectraConfig(linear_shapes=size.linear_shapes,
                                 embedding_shape=size.embedding_shape, n_seeds=size.n_seeds)
    assert run.summary["config"] == dataclasses.asdict(cfg)
    direct = sp.run_weight_spectra(cfg)
    for key in ("per_draw", "summary"):
        _frames_equal(run.summary[key], direct[key])
    assert run.summary["curves"].keys() == direct["curves"].keys()
    text = weight_spectra.format_summary(run.summary)
    assert "emb_harmonic" in text and "mp_ks" in text


def test_cli_runs_a_sweep_experiment(cache_tmp, capsys):
    from initaudit.figures.cli import main

    assert main(["experiment", "mc-jacobian", "--preset", "smoke"]) == 0
    out = capsys.readouterr().out
    for init, _ in mc_jacobian.CASES:
        assert init in out


def test_ntk_laplacian_cells_and_summary(cache_tmp):
    run = experiment.run_experiment("ntk-laplacian", "smoke", progress=False)
    size = ntk_laplacian.PRESETS["smoke"]
    assert [(c.init, c.width) for c in run.configs] == [
        (a, w) for a in ntk_laplacian.ARMS for w in size.widths]
    summ = run.summary["summary"]
    assert len(summ) == len(run.configs) and (summ.points == size.grid ** 2).all()
    # the summary's distance is the mean over networks of each network's distance, redone here
    # from the cell's own kernels
    cfg = run.configs[0]
    res = ntk_laplacian.run_cell(cfg)
    d = [np.linalg.norm(k - res["theory"]) / np.linalg.norm(res["theory"]) for k in res["empirical"]]
    assert summ.distance.iloc[0] == pytest.approx(np.mean(d), rel=1e-12)
    eig = run.summary["eigenvalues"]
    for (_, _, _), g in eig.groupby(["init", "width", "kernel"]):
        assert g.share.sum() == pytest.approx(1.0, rel=1e-10)


def test_laplacian_ntk_of_finite_networks_approaches_the_limit():
    # Monte Carlo: 8 edge-of-chaos networks of the Poisson experiment at width 256, depth 2,
    # 16 points. The mean diagonal of Theta_Lap / N against the limit within 5 standard errors
    # over networks plus the next order, L / N (the first layer and the biases, and the finite-
    # width law of the pre-activations); and single networks' distance falls with the width
    # (N^{-1/2} fluctuations: at least a factor 1.3 from N = 64 to N = 256, expected 2).
    cells = {w: ntk_laplacian.LaplacianNTKCell("edge_of_chaos", depth=2, width=w, grid=4,
                                               n_networks=8) for w in (64, 256)}
    res = {w: ntk_laplacian.run_cell(c) for w, c in cells.items()}
    emp, th = res[256]["empirical"], res[256]["theory"]
    ratio = np.array([np.mean(np.diag(k)) for k in emp]) / np.mean(np.diag(th))
    se = ratio.std(ddof=1) / np.sqrt(len(ratio))
    assert abs(ratio.mean() - 1.0) <= 5 * se + 2 / 256, (ratio.mean(), se)
    dist = {w: np.mean([np.linalg.norm(k - r["theory"]) / np.linalg.norm(r["theory"])
                        for k in r["empirical"]]) for w, r in res.items()}
    assert dist[64] / dist[256] > 1.3, dist
