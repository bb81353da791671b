"""The training budget option and the budget-sensitivity check (analysis/sensitivity.py).

The scaled sizes are checked against the presets' documented sizes (the experiment modules'
docstrings: poisson's smoke preset runs 30 steps, the cpu image fit 400, HarmonicMLP's cpu main
setting 3 epochs), the change classes against intervals placed by hand.
"""

from __future__ import annotations

import dataclasses
import json
import math

import pytest

from initaudit.analysis import claims, experiment, sensitivity
from initaudit.analysis.claims import Rule
from initaudit.analysis.presets import check_budget, scaled


def _row(mean, lo, hi):
    return {"mean": mean, "lo": lo, "hi": hi}


@pytest.mark.parametrize("bad", [0, -1, math.nan, math.inf, "x", True, None])
def test_bad_budgets_are_refused(bad):
    with pytest.raises(ValueError, match="budget must be a finite number above 0"):
        check_budget(bad)


def test_scaled_rounds_and_keeps_at_least_one():
    assert scaled(400, None) == 400
    assert scaled(400, 3) == 1200
    assert scaled(3, 0.5) == 2  # round half to even: 1.5 -> 2
    assert scaled(1, 0.01) == 1


@pytest.mark.parametrize("name, field, base, factor", [
    ("poisson", "steps", 30, 2),          # smoke: 30 steps
    ("image-fit", "steps", None, 3),      # every fit's steps, the sanity fit's included
    ("harmonic-mlp", "epochs", None, 3),
])
def test_budget_scales_only_the_training_length(name, field, base, factor):
    module = experiment.get(name)
    preset = "smoke" if name == "poisson" else "cpu"
    one = [c for c in module.cells(preset, None) if dataclasses.is_dataclass(c)]
    more = [c for c in module.cells(preset, None, budget=factor) if dataclasses.is_dataclass(c)]
    assert len(one) == len(more)
    if base is not None:
        assert {getattr(c, field) for c in one} == {base}
    scaled_any = False
    for a, b in zip(one, more):
        da, db = dataclasses.asdict(a), dataclasses.asdict(b)
        changed = {k for k in da if da[k] != db[k]}
        assert changed <= {field, "eval_every"}, changed
        if changed:
            scaled_any = True
            assert db[field] == round(da[field] * factor)
    assert scaled_any
    assert getattr(module, "BUDGET") == field


def test_harmonic_mlp_budget_leaves_the_sweep_alone():
    module = experiment.get("harmonic-mlp")
    g = module.groups("cpu", None, budget=3)
    assert {c.epochs for c in g["main"]} == {9}  # the cpu main setting runs 3 epochs
    assert {c.epochs for c in g["lr_sweep"]} == {module.PRESETS["cpu"].sweep_epochs}


def test_every_budget_experiment_is_a_training_experiment_of_the_ledger():
    names = sensitivity.budget_experiments()
    assert names == ["image-fit", "audio-fit", "poisson", "sinusoidal-classification",
                     "harmonic-lm", "harmonic-mlp"]
    for name in ("mc-gradients", "ntk-depth", "spectrum-depth", "activation-states"):
        assert not getattr(experiment.get(name), "BUDGET", None)


def test_change_classes():
    g = Rule("greater")
    assert sensitivity.classify(g, _row(1, 0.5, 1.5), _row(-1, -1.5, -0.5)) == "flips"
    assert sensitivity.classify(g, _row(1, 0.5, 1.5), _row(3, 2.5, 3.5)) == "grows"
    assert sensitivity.classify(g, _row(3, 2.5, 3.5), _row(1, 0.5, 1.5)) == "shrinks"
    # a difference of 0.6 against sqrt(0.5^2 + 0.5^2) = 0.71: no clear change
    assert sensitivity.classify(g, _row(1, 0.5, 1.5), _row(1.6, 1.1, 2.1)) == "no clear change"
    # a less rule: the effect is threshold minus estimate
    le = Rule("less", threshold=0.02)
    assert sensitivity.classify(le, _row(0.9, 0.8, 1.0), _row(0.01, 0.005, 0.015)) == "flips"
    assert sensitivity.classify(le, _row(0.9, 0.8, 1.0), _row(0.4, 0.3, 0.5)) == "grows"
    w = Rule("within", low=0.995, high=1.0)
    assert sensitivity.classify(w, _row(0.7, 0.6, 0.8), _row(0.998, 0.996, 0.999)) == "flips"
    assert sensitivity.classify(g, _row(1, math.nan, 2), _row(1, 0, 2)) == "not measured"


def test_merge_marks_the_claims_it_covers():
    import pandas as pd

    table = pd.DataFrame({"id": ["a", "b"], "verdict": ["holds", "holds"]})
    sens = pd.DataFrame([{"id": "a", "long_verdict": "does not hold", "long_mean": 1.0,
                          "change": "flips", "depends": True, "factor": 3.0}])
    out = sensitivity.merge(table, sens)
    assert out.budget_depends.tolist() == [True, False]
    assert out.budget_change.tolist() == ["flips", ""]
    assert out.long_verdict.tolist() == ["does not hold", ""]


def test_budget_command_runs_both_budgets_and_saves_the_comparison(cache_tmp, tmp_path, capsys):
    """At the smoke preset, Poisson alone: the cells of both budgets are computed, the claims
    are decided at each, and the saved JSON is what the paper reads when the cache is gone."""
    poisson = tuple(c for c in claims.CLAIMS if c.experiment == "poisson")
    times = sensitivity.run_long("smoke", 2.0, claims=poisson, executor="local")
    assert set(times) == {"poisson", "poisson x 2"}
    table = sensitivity.sensitivity("smoke", 2.0, claims=poisson)
    assert table.id.tolist() == [c.id for c in poisson]
    assert (table.long_n == table.base_n).all() and (table.base_n > 0).all()
    assert set(table.change) <= set(sensitivity.CHANGES[:4])
    assert (table.long_mean != table.base_mean).all()  # 60 steps are not 30
    text = sensitivity.format_sensitivity(table)
    assert text.splitlines()[-1].startswith(f"{len(poisson)} of {len(poisson)} claims measured")

    from initaudit.figures.cli import main

    out = tmp_path / "budget.json"
    assert main(["budget", "--preset", "smoke", "--factor", "2", "--out", str(out),
                 "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    saved = json.loads(out.read_text())
    assert saved == printed and saved["factor"] == 2.0 and saved["provenance"]
    assert not list(tmp_path.glob("*.tmp"))
    # the saved file stands in for an empty cache
    empty = tmp_path / "empty-cache"
    import os

    os.environ["INITAUDIT_CACHE"] = str(empty)
    try:
        rows, origin = sensitivity.load("smoke", 2.0, measured=out)
    finally:
        os.environ["INITAUDIT_CACHE"] = str(cache_tmp)
    assert origin.startswith("measured with source ")
    assert len(rows) == len(saved["claims"])
    sentence = sensitivity.summary_sentence(rows, origin)
    assert sentence.startswith("At 2 times the training steps")
    assert f"grows for {int((rows.change == 'grows').sum())}," in sentence


def test_budget_command_refuses_bad_input(tmp_path, capsys):
    from initaudit.figures.cli import main

    assert main(["budget", "--preset", "smoke", "--out", str(tmp_path / "no" / "x.json")]) == 2
    assert "its directory does not exist" in capsys.readouterr().err
    assert main(["budget", "--factor", "0"]) == 2
    assert "budget must be a finite number above 0" in capsys.readouterr().err
    assert main(["experiment", "mc-gradients", "--budget", "2"]) == 2
    assert "unrecognized arguments: --budget" in capsys.readouterr().err
