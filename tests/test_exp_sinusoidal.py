"""The sinusoidal-classification and activation-states experiments, end to end at the smoke preset.

What is checked, and how exactly:
- the summary's paired comparisons are recomputed here from the raw per-epoch curves with numpy
  (best-before-patience walk written out again, trapezoid AUC by np.trapezoid), float64, 1e-9;
- the pairing: the same seed gives the same data tensors for every initialiser (exact);
- a rerun computes nothing (cache);
- the per-unit positive fraction on a hand-made layer (exact);
- LSUV rescales orthonormal weights by positive factors with zero biases, so for networks
  without residual paths it has exactly the activation states of the orthogonal start drawn
  from the same generator (exact equality: a mathematical identity, not a tolerance);
- clear errors: DataUnavailable for an absent Fashion-MNIST directory (and exit status 3 with a
  one-line message on the command line), ValueError for unknown option values.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from initaudit.analysis.datasets import DataUnavailable
from initaudit.analysis.experiment import run_experiment
from initaudit.analysis.experiments import activation_states as act
from initaudit.analysis.experiments import sinusoidal_classification as sc

FASHION = "/tmp/fashion/usr/share/datasets/fashion-mnist"
RECORD_FIELDS = {"mean", "lo", "hi", "n", "p", "unit", "what"}


@pytest.fixture(scope="module")
def smoke_run():
    return run_experiment(sc.NAME, "smoke", progress=False)


@pytest.fixture(scope="module")
def act_run():
    return run_experiment(act.NAME, "smoke", progress=False)


def _best_before_patience(curve, patience):
    # the walk written out again: stop after `patience` epochs without a strict improvement
    best, waited = -1.0, 0
    for v in curve:
        if v > best:
            best, waited = v, 0
        else:
            waited += 1
            if waited == patience:
                break
    return best


def test_smoke_summary_matches_a_recomputation_from_the_curves(smoke_run):
    summary = smoke_run.summary
    by = {(c.model, c.optimizer, c.init, c.seed): (c, r)
          for c, r in zip(smoke_run.configs, smoke_run.results)}
    comp = summary["comparisons"]
    seeds = sorted({c.seed for c in smoke_run.configs})
    for model, opt in summary["settings"]:
        for init in ("orthogonal", "sinusoidal"):
            diffs, rels = [], []
            for s in seeds:
                c0, r0 = by[(model, opt, "torch_default", s)]
                c1, r1 = by[(model, opt, init, s)]
                diffs.append(100 * (_best_before_patience(r1["val_acc"], c1.patience)
                                    - _best_before_patience(r0["val_acc"], c0.patience)))
                a0, a1 = np.trapezoid(r0["val_acc"]), np.trapezoid(r1["val_acc"])
                rels.append((a1 - a0) / a0)
            row = comp[(comp.model == model) & (comp.optimizer == opt) & (comp.init == init)]
            best = row[row.metric == "best_val"].iloc[0]
            rel = row[row.metric == "rel_auc"].iloc[0]
            assert math.isclose(best["mean"], np.mean(diffs), rel_tol=1e-9, abs_tol=1e-9)
            assert math.isclose(rel["mean"], np.mean(rels), rel_tol=1e-9, abs_tol=1e-9)
            assert best["n"] == len(seeds)
    fam = comp[(comp.model != "pooled") & comp.p.notna()]
    assert (fam.p_holm >= fam.p).all()  # Holm only ever raises a p-value


def test_smoke_evidence_keys_and_records(smoke_run):
    ev = smoke_run.summary["evidence"]
    expected = set()
    for init in sc.CLAIM_INITS:
        for tag in [f"{m}_{o}" for m, o in smoke_run.summary["settings"]] + ["pooled"]:
            expected |= {f"{init}_vs_default_best_acc_{tag}", f"{init}_vs_default_rel_auc_{tag}"}
    assert set(ev) == expected
    for key, record in ev.items():
        assert RECORD_FIELDS <= set(record), key
        assert record["n"] == 2 and record["lo"] <= record["mean"] <= record["hi"]
    assert ev["sinusoidal_vs_default_best_acc_pooled"]["unit"] == "accuracy points"
    assert ev["sinusoidal_vs_default_rel_auc_pooled"]["unit"] == "fraction"
    assert "best_val" in sc.format_summary(smoke_run.summary)


def test_rerun_computes_nothing_and_gives_the_same_numbers(smoke_run):
    again = run_experiment(sc.NAME, "smoke", progress=False)
    assert again.computed == 0
    for a, b in zip(smoke_run.results, again.results):
        assert a["val_acc"] == b["val_acc"]


def test_same_seed_same_data_for_every_initialiser():
    cells = sc.cells("smoke", 2)
    first = [c for c in cells if c.seed == 0]
    assert {c.init for c in first} == set(sc.INITS)
    args = (first[0].dataset, first[0].source, first[0].data_path, first[0].n_train,
            first[0].n_val, first[0].n_test)
    a, b, other = sc.split(*args, 0), sc.split(*args, 0), sc.split(*args, 1)
    assert all(torch.equal(x, y) for x, y in zip(a, b))
    assert not torch.equal(a[0], other[0])
    # the LSUV batch is the head of the training subset
    assert torch.equal(sc.first_training_images(*args[:3], 50, 0), a[0][:50])


def test_run_cell_is_deterministic():
    cell = [c for c in sc.cells("smoke", 1, models="mlp") if c.init == "orthogonal"][0]
    assert sc.run_cell(cell)["val_acc"] == sc.run_cell(cell)["val_acc"]


@pytest.mark.parametrize("options, match", [
    (dict(dataset="cifar"), "unknown dataset 'cifar'; valid datasets are mnist, fashion, digits"),
    (dict(models="mlp,resnet"), "unknown model resnet; valid models are mlp, cnn, transformer"),
    (dict(optimizers="rmsprop"), "unknown optimizer rmsprop"),
    (dict(threshold_fraction=1.5), r"threshold_fraction must lie in \(0, 1\]"),
    (dict(dataset="digits", data="/tmp"), "takes no path"),
])
def test_unknown_option_values_raise(options, match):
    with pytest.raises(ValueError, match=match):
        sc.cells("smoke", **options)


def test_unknown_preset_and_bad_seeds_raise():
    with pytest.raises(ValueError, match="unknown preset"):
        sc.cells("huge")
    with pytest.raises(ValueError, match="seeds must be a positive integer"):
        sc.cells("smoke", 0)
    with pytest.raises(ValueError, match="unknown model"):
        act.cells("smoke", models="vgg")


def test_settings_are_the_product_of_the_given_lists():
    assert sc.settings_for("smoke", models="mlp,cnn", optimizers="sgd") == (("mlp", "sgd"),
                                                                           ("cnn", "sgd"))
    assert sc.settings_for("paper") == tuple((m, o) for m in sc.MODELS for o in sc.OPTIMIZERS)


def test_absent_fashion_directory_is_data_unavailable(tmp_path):
    missing = tmp_path / "no-such-dir"
    with pytest.raises(DataUnavailable, match="Fashion-MNIST IDX files not found"):
        sc.cells("smoke", dataset="fashion", data=str(missing))
    with pytest.raises(DataUnavailable, match=str(missing)):
        act.cells("smoke", dataset="fashion", data=str(missing))


def test_absent_fashion_directory_on_the_command_line(tmp_path, capsys):
    from initaudit.figures.cli import main

    status = main(["experiment", sc.NAME, "--preset", "smoke", "--dataset", "fashion",
                   "--data", str(tmp_path / "none")])
    err = capsys.readouterr().err
    assert status == 3
    assert "Fashion-MNIST IDX files not found" in err and len(err.strip().splitlines()) == 1


@pytest.mark.slow  # loads the 70,000 images
@pytest.mark.skipif(not __import__("pathlib").Path(FASHION).is_dir(),
                    reason="Fashion-MNIST IDX files not installed")
def test_fashion_cells_name_their_directory():
    cells = sc.cells("smoke", 1, dataset="fashion", data=FASHION, models="mlp")
    assert cells[0].source.startswith("idx:") and cells[0].arch.image_size == 28


# --------------------------------------------------------------------------------------------
# activation states


def test_positive_fraction_by_hand():
    layer = nn.Linear(2, 2, bias=False)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, -1.0]]))
    model = nn.Sequential(layer, nn.ReLU())
    x = torch.tensor([[1.0, 1.0], [2.0, -1.0], [-1.0, 3.0], [0.5, 0.5]])
    # unit 0 sees x0 = (1, 2, -1, 0.5): 3 of 4 positive; unit 1 sees -x1 = (-1, 1, -3, -0.5): 1 of 4
    ((name, f),) = act.positive_fractions(model, x)
    assert name == "1" and f.tolist() == [0.75, 0.25]
    s = act.spread(np.array([0.75, 0.25, 0.0, 1.0]), batch=4)
    # mean 0.5; population variance (0.0625 + 0.0625 + 0.25 + 0.25) / 4 = 0.15625
    assert s["mean"] == 0.5 and math.isclose(s["std"], math.sqrt(0.15625), rel_tol=1e-12)
    assert s["dead"] == 0.25 and s["always_on"] == 0.25 and s["units"] == 4


def test_activation_states_smoke_end_to_end(act_run):
    summary = act_run.summary
    ev = summary["evidence"]
    for m in act.MODELS:
        for init in act.INITS:
            assert RECORD_FIELDS <= set(ev[f"activation_std_{init}_{m}"])
        for init in sc.CLAIM_INITS:
            assert ev[f"activation_std_diff_{init}_vs_default_{m}"]["n"] == 2
    assert "activation_std_diff_sinusoidal_vs_default_pooled" in ev
    assert summary["noise_floor"] == 0.5 / math.sqrt(summary["batch"])
    assert "always-on" in act.format_summary(summary)


def test_lsuv_has_the_activation_states_of_its_orthogonal_start(act_run):
    # exact identity for networks without residual paths (MLP, CNN): see the module docstring
    nets = act_run.summary["networks"].set_index(["model", "init", "seed"])
    for m in ("mlp", "cnn"):
        for s in (0, 1):
            assert nets.loc[(m, "lsuv", s), "std"] == nets.loc[(m, "orthogonal", s), "std"]
            assert nets.loc[(m, "lsuv", s), "mean"] == nets.loc[(m, "orthogonal", s), "mean"]
