"""Tiers, scale ratios and the verdict vocabulary of the ledger (analysis/scale.py,
analysis/claims.py).

The published values are the sources' (their citations are in each setting's basis); the ran
values are read from the experiments' own cells. The checks here compare against numbers stated
independently of the code under test: the sources' published sizes and the presets' documented
sizes (the experiment modules' docstrings), exact arithmetic of known limits for the theory's
predictions.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from initaudit.analysis import claims, scale
from initaudit.analysis.claims import Claim, Rule


def _rec(mean, lo, hi, n=5):
    return {"mean": mean, "lo": lo, "hi": hi, "n": n}


def test_every_claim_has_a_setting_with_its_basis():
    ids = {c.id for c in claims.CLAIMS}
    assert set(scale.SETTINGS) == ids
    for cid, s in scale.SETTINGS.items():
        assert s.basis, cid
        assert not (s.extension and s.differs), cid
        names = [d.name for d in s.dims]
        assert len(names) == len(set(names)), cid


def test_every_greater_or_less_claim_states_its_margin():
    for c in claims.CLAIMS:
        m = c.decision_margin()
        assert math.isfinite(m) and m > 0, c.id
    with pytest.raises(ValueError, match="margin"):
        Claim("x", "eoc", "X.", "fig", "k", "t", Rule("greater"))
    assert Claim("w", "eoc", "W.", "fig", "k", "t",
                 Rule("within", low=0.8, high=1.25)).decision_margin() == pytest.approx(0.225)
    assert Claim("c", "eoc", "C.", "fig", "k", "t",
                 Rule("at_least", threshold=4.8)).decision_margin() == 4.8


def test_tier_rules():
    s = scale.Setting(basis="b")
    assert scale.tier_of(s, {"width": 0.5, "depth": 2.0}) == "reduced"
    assert scale.tier_of(s, {"width": 1.0, "depth": None}) == "published"
    assert scale.tier_of(s, {}) == "published"
    assert scale.tier_of(scale.Setting(basis="b", differs="another dataset"),
                         {"width": 0.1}) == "setting differs"
    assert scale.tier_of(scale.Setting(basis="b", extension=True), {"width": 1.0}) == "extension"
    with pytest.raises(ValueError, match="basis"):
        scale.Setting()
    with pytest.raises(ValueError, match="extension"):
        scale.Setting(basis="b", differs="x", extension=True)
    with pytest.raises(ValueError, match="unknown dimension"):
        scale.Dim("height", 1.0, "n")


def test_assess_reads_what_ran_from_the_cells():
    """Ratios against the sources' published sizes, at the documented cpu sizes: the LM is
    2 x 64 for at most 8 epochs (harmonic_lm's docstring) against the paper's 8 x 512 for 30;
    HarmonicMLP's main arm is the reference's 784-512-256 on all 60,000 images."""
    lm = scale.assess(scale.SETTINGS["hlm-accuracy-value"], "harmonic-lm", "cpu", 5)
    assert lm["tier"] == "reduced"
    assert lm["scale_ratio"]["width"] == pytest.approx(64 / 512)
    assert lm["scale_ratio"]["depth"] == pytest.approx(2 / 8)
    assert lm["scale_ratio"]["epochs"] == pytest.approx(8 / 30)
    assert lm["scale_ratio"]["seeds"] is None  # the source states no seeds
    mlp = scale.assess(scale.SETTINGS["hmlp-95-few-epochs"], "harmonic-mlp", "cpu", 5)
    assert mlp["tier"] == "published"
    assert mlp["scale_ratio"] == {"width": 1.0, "data": 1.0, "seeds": 5.0}
    # the reference's runs of the main setting (60,000 images) and of the ablation (8,000)
    stable = scale.assess(scale.SETTINGS["hmlp-stable"], "harmonic-mlp", "cpu", 10)
    assert stable["tier"] == "reduced" and stable["scale_ratio"]["epochs"] == pytest.approx(3 / 15)
    assert stable["ran"]["data"] == [8000.0, 60000.0]
    assert stable["scale_ratio"]["data"] == pytest.approx(8000 / 60000)


def test_assess_with_given_cells_and_selection():
    class Cell:
        def __init__(self, arm, width, steps):
            self.arm, self.width, self.steps = arm, width, steps

    setting = scale.Setting((("arm", ("a",)),),
                            (scale.Dim("width", 256, scale.field_range("width")),
                             scale.Dim("steps", 1000, scale.field_range("steps")),
                             scale.Dim("seeds", 3, "n")), basis="b")
    cells = [Cell("a", 64, 500), Cell("a", 128, 400), Cell("b", 1024, 5000)]
    out = scale.assess(setting, "none", "cpu", 6, cells)
    # the span of what ran; the ratio of the smallest (a pooled record is reduced if any part is)
    assert out["ran"] == {"width": [64.0, 128.0], "steps": [400.0, 500.0], "seeds": 6.0}
    assert out["scale_ratio"] == {"width": 0.25, "steps": 0.4, "seeds": 2.0}
    assert out["tier"] == "reduced"
    assert scale.describe_scale(out["scale_ratio"], out["ran"]) == "width 0.25, steps 0.4"
    assert scale.describe_scale({"depth": None}, {"depth": [4.0, 32.0]}) == "depth 4-32"
    none = scale.assess(setting, "none", "cpu", None, [Cell("b", 1024, 5000)])
    assert none["scale_ratio"] == {"width": None, "steps": None, "seeds": None}


@pytest.mark.parametrize("tier, yes, no", [
    ("published", "confirmed", "contradicted"),
    ("reduced", "consistent at reduced scale", "not reproduced at reduced scale"),
    ("setting differs", "consistent in a different setting",
     "not reproduced in a different setting"),
    ("extension", "holds", "does not hold"),
])
def test_verdict_words(tier, yes, no):
    assert claims.verdict_word("supported", tier) == yes
    assert claims.verdict_word("not supported", tier) == no
    assert claims.verdict_word("inconclusive", tier) == "inconclusive"
    assert claims.verdict_word("inconclusive", tier, underpowered=True) == "underpowered"
    assert claims.verdict_word("not run", tier) == "not run"
    assert {yes, no} <= set(claims.VERDICTS)


def test_bad_tier_or_outcome_is_refused():
    with pytest.raises(ValueError, match="tier"):
        claims.verdict_word("supported", "huge")
    with pytest.raises(ValueError, match="outcome"):
        claims.verdict_word("maybe", "published")


def test_underpowered_is_the_interval_wider_than_the_margin():
    """A straddling interval is underpowered exactly when its simultaneous half-width exceeds the
    margin: at n = 5 the simultaneous quantile over 28 claims is t(1 - 0.05/56, 4) = 7.17..., the
    95% one t(0.975, 4) = 2.776..., so a 95% half-width h becomes h * 2.583."""
    from scipy import stats as sst

    scale_factor = sst.t.ppf(1 - 0.05 / 56, 4) / sst.t.ppf(0.975, 4)
    ledger = (Claim("a", "eoc", "A.", "fig", "x", "t", Rule("greater"), margin=1.0),)
    for h95, expect in ((0.9 / scale_factor, "inconclusive"), (1.1 / scale_factor,
                                                                "underpowered")):
        t = claims.evaluate("smoke", ledger, {"fig": {"x": _rec(0.1, 0.1 - h95, 0.1 + h95)}})
        assert t.verdict.iloc[0] == expect, h95
        assert t.outcome.iloc[0] == "inconclusive"


def test_predictions_reproduce_known_limits():
    """The theory's value of a record from the summary's own prediction columns: a gradient
    halving at each depth doubling over 4 -> 32 (three doublings) is log2 ratio -3; a mean
    eigenvalue linear in depth has slope ratio 1; the spectrum share is the deepest row's."""
    table = pd.DataFrame({"init": ["e"] * 3, "quantity": ["grad_norm2"] * 3, "layer": [1] * 3,
                          "network": ["pooled"] * 3, "depth": [32, 4, 8],
                          "predicted": [0.125, 1.0, 0.5]})
    assert claims.predictions("mc-gradients", {"table": table}) == {
        "grad_log2_ratio_e": pytest.approx(-3.0, abs=1e-12)}
    depths = np.array([4, 8, 16, 32])
    summ = pd.DataFrame({"point": ["p"] * 4, "depth": depths, "predicted": 0.3 + 0.7 * depths})
    assert claims.predictions("ntk-depth", {"summary": summ})["ntk_increment_ratio_p"] == \
        pytest.approx(1.0, abs=1e-12)
    sweep = pd.DataFrame({"init": ["e", "e", "e"], "quantity": ["energy_above"] * 3,
                          "k": [1.0, 1.0, 2.0], "depth": [32, 4, 32],
                          "predicted": [0.2, 0.01, 0.05]})
    assert claims.predictions("spectrum-depth", {"sweep": sweep}) == {
        "energy_above_omega0_e": 0.2}
    assert claims.predictions("image-fit", {"table": table}) == {}
    assert claims.predictions("mc-gradients", {}) == {}


def test_counts_by_tier_add_up_and_the_sentence_names_each_tier():
    rows = [{"id": str(i), "tier": t, "verdict": v} for i, (t, v) in enumerate([
        ("published", "confirmed"), ("published", "underpowered"),
        ("reduced", "not reproduced at reduced scale"), ("setting differs", "not run"),
        ("extension", "holds")])]
    table = pd.DataFrame(rows)
    counts = claims.counts_by_tier(table)
    assert list(counts) == ["published", "reduced", "setting differs", "extension"]
    assert sum(c["total"] for c in counts.values()) == len(table)
    text = claims.tier_sentence(table)
    assert text.startswith("Of the 4 source claims, 2 at the published scale (1 confirmed, "
                           "1 underpowered)")
    assert text.endswith("The package's own checks (1: 1 holds) are counted apart.")


def test_ledger_json_carries_tier_scale_and_prediction(capsys):
    import json

    from initaudit.figures.cli import main

    assert main(["claims", "--preset", "smoke", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["claims"]
    for r in rows:
        assert r["tier"] in scale.TIERS
        assert r["verdict"] in claims.VERDICTS and r["outcome"] in claims.OUTCOMES
        assert isinstance(r["scale_ratio"], dict) and r["basis"]
        assert {"adj_lo", "adj_hi", "rule", "margin", "prediction"} <= set(r)
