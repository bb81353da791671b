"""The claims ledger: decision rules on synthetic results, tables and the command."""

from __future__ import annotations

import json

import pytest

from initaudit.analysis import claims, stats
from initaudit.analysis.claims import Claim, Rule


def _rec(mean, lo, hi, n=5, p=float("nan")):
    return {"mean": mean, "lo": lo, "hi": hi, "n": n, "p": p, "unit": "", "what": ""}


@pytest.mark.parametrize("rule, record, verdict", [
    # a clear effect
    (Rule("greater"), _rec(2.0, 1.0, 3.0), "supported"),
    # no effect: the interval straddles zero
    (Rule("greater"), _rec(0.1, -0.5, 0.7), "inconclusive"),
    # credibly the other way
    (Rule("greater"), _rec(-2.0, -3.0, -1.0), "not supported"),
    (Rule("less", threshold=0.05), _rec(0.01, 0.0, 0.02), "supported"),
    (Rule("less", threshold=0.05), _rec(0.3, 0.2, 0.4), "not supported"),
    (Rule("within", low=-1, high=1), _rec(0.0, -0.5, 0.5), "supported"),
    (Rule("within", low=-1, high=1), _rec(-4.0, -5.0, -3.0), "not supported"),
    (Rule("within", low=-1, high=1), _rec(-1.0, -1.5, -0.5), "inconclusive"),
    # "+4.8 points": a real but smaller gain is not the claimed one
    (Rule("at_least", threshold=4.8), _rec(1.0, 0.5, 1.5), "not supported"),
    (Rule("at_least", threshold=4.8), _rec(5.0, 3.0, 7.0), "supported"),
    (Rule("at_least", threshold=4.8), _rec(3.0, -1.0, 7.0), "inconclusive"),
    # too few seeds
    (Rule("greater"), _rec(2.0, 1.0, 3.0, n=2), "inconclusive"),
    (Rule("greater"), _rec(2.0, float("nan"), float("nan")), "inconclusive"),
    (Rule("greater"), None, "not run"),
])
def test_decision_rules(rule, record, verdict):
    assert rule.decide(record)[0] == verdict


def test_rules_on_samples_drawn_for_the_purpose():
    """End to end from per-seed numbers: a clear effect, no effect, too few seeds."""
    clear = stats.paired_difference([0.90, 0.91, 0.92, 0.90, 0.91], [0.95, 0.97, 0.96, 0.96, 0.95])
    none = stats.paired_difference([0.90, 0.92, 0.91, 0.93, 0.90], [0.91, 0.90, 0.92, 0.91, 0.92])
    few = stats.paired_difference([0.90, 0.91], [0.99, 0.98])
    rule = Rule("greater")
    assert rule.decide(clear)[0] == "supported"
    assert rule.decide(none)[0] == "inconclusive"
    assert rule.decide(few) == ("inconclusive", "too few replicates (2 < 3)")


def test_bad_rules_are_refused():
    with pytest.raises(ValueError, match="valid rule kinds"):
        Rule("bigger")
    with pytest.raises(ValueError, match="low < high"):
        Rule("within", low=1, high=0)


def test_ledger_ids_are_unique_and_sources_known():
    ids = [c.id for c in claims.CLAIMS]
    assert len(ids) == len(set(ids))
    assert {c.source for c in claims.CLAIMS} <= set(claims.SOURCES)
    # Every source has claims in the ledger.
    assert {c.source for c in claims.CLAIMS} == set(claims.SOURCES)


def test_evaluate_with_synthetic_evidence_and_holm():
    ledger = (Claim("a", "eoc", "A.", "fig", "x", "t", margin=1.0), Claim("b", "eoc", "B.", "fig", "y", "t", margin=1.0),
              Claim("c", "eoc", "C.", "other", "z", "t", margin=1.0))
    # the family is the whole ledger's (28 claims) even for this subset: the 95% interval of x is
    # widened 2.66 times (n = 5) and still lies above 0; y's straddles 0 at any width
    evidence = {"fig": {"x": _rec(1.0, 0.8, 1.2, p=0.01), "y": _rec(0.0, -1.0, 1.0, p=0.04)}}
    table = claims.evaluate("smoke", ledger, evidence)
    assert table.outcome.tolist() == ["supported", "inconclusive", "not run"]
    # claims without a published setting count as extensions; y's simultaneous half-width
    # (2.66 at n = 5) exceeds its margin 1: underpowered, not merely inconclusive
    assert table.tier.tolist() == ["extension"] * 3
    assert table.verdict.tolist() == ["holds", "underpowered", "not run"]
    assert (table.family == len(claims.CLAIMS)).all()
    narrow = claims.evaluate("smoke", ledger, {"fig": {"x": _rec(1.0, 0.5, 1.5),
                                                       "y": _rec(0.0, -1.0, 1.0)}})
    assert narrow.outcome.iloc[0] == "inconclusive"  # 0.5 above 0 at 95%, not at the family level
    assert narrow.verdict.iloc[0] == "underpowered"  # half-width 1.33 > margin 1
    assert table.p_holm.tolist()[:2] == pytest.approx([0.02, 0.04])
    tex = claims.latex_table(table)
    assert tex.count(r"\\") == 4  # one source row and three claims
    macros = claims.verdict_macros(table)
    assert macros["ClaimAVerdict"] == "holds" and macros["ClaimsNotRun"] == "1"
    assert macros["ClaimsTierExtension"] == "3" and macros["ClaimsSource"] == "0"
    assert all(k.isalpha() for k in macros)


def test_not_run_says_why():
    """No record: the figure not cached, its setting skipped for a missing input, or the preset
    does not measure it; each gives its own reason, and the table prints it."""
    ledger = (Claim("a", "harmonic-lm", "A.", "lm", "hlm_medical_windows_x", "t",
                    setting="medical_windows", margin=1.0),
              Claim("b", "harmonic-lm", "B.", "lm", "hlm_hpo_sentences_x", "t",
                    setting="hpo_sentences", margin=1.0),
              Claim("c", "eoc", "C.", "uncached", "z", "t", margin=1.0))
    evidence = {"lm": {}}
    skipped = {"lm": {"medical_windows": "medical.txt not given"}}
    table = claims.evaluate("cpu", ledger, evidence, skipped)
    assert table.verdict.tolist() == ["not run"] * 3
    assert table.reason.tolist() == ["medical.txt not given", claims.NOT_MEASURED,
                                     claims.NO_RESULT]
    assert "not run}: medical.txt not given" in claims.latex_table(table)


def test_the_lm_claims_name_their_setting():
    """Every claim on the paper's own corpus says so, so that it is 'not run' without it."""
    for c in claims.CLAIMS:
        if "_medical_windows_" in c.key:
            assert c.setting == "medical_windows", c.id
        if "_hpo_sentences_" in c.key:
            assert c.setting == "hpo_sentences", c.id


def test_claims_command_reads_only_the_cache(capsys):
    from initaudit.figures.cli import main

    assert main(["claims", "--preset", "smoke", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    rows = out["claims"]
    assert out["preset"] == "smoke" and isinstance(out["provenance"], list)
    assert len(rows) == len(claims.CLAIMS)
    assert {r["verdict"] for r in rows} <= set(claims.VERDICTS)


def test_compare_two_ledgers(tmp_path, capsys):
    """Shifts in units of the saved half-width; identical rows and changed verdicts counted."""
    a = claims.evaluate("cpu", CLAIMS3, {"fig": {"x": _rec(1.0, 0.5, 1.5), "y": _rec(0.2, -1, 1)}})
    b = claims.evaluate("cpu", CLAIMS3, {"fig": {"x": _rec(1.0, 0.5, 1.5), "y": _rec(1.7, 1.2, 2.2)}})
    path = tmp_path / "claims.json"
    path.write_text(json.dumps({"claims": json.loads(b.to_json(orient="records"))}))
    c = claims.compare(a, claims.read_ledger(path)).set_index("id")
    assert bool(c.loc["a", "identical"]) and c.loc["a", "shift_over_halfwidth"] == 0
    assert c.loc["b", "shift"] == pytest.approx(-1.5)
    assert c.loc["b", "shift_over_halfwidth"] == pytest.approx(1.5 / 0.5)
    assert c.loc["b", "verdict"] == "underpowered" and c.loc["b", "other_verdict"] == "holds"
    assert not bool(c.loc["b", "same_verdict"])
    text = claims.format_comparison(c.reset_index())
    # c is "not run" in both: identical, and without a shift
    assert text.splitlines()[-1] == ("2 of 3 identical, 2 of 3 with the same verdict, largest "
                                     "|shift|/half-width 3")
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    with pytest.raises(ValueError, match="not a ledger"):
        claims.read_ledger(bad)


CLAIMS3 = (Claim("a", "eoc", "A.", "fig", "x", "t", margin=1.0), Claim("b", "eoc", "B.", "fig", "y", "t", margin=1.0),
           Claim("c", "eoc", "C.", "other", "z", "t", margin=1.0))


def test_claims_command_compares_two_saved_ledgers(tmp_path, capsys):
    from initaudit.figures.cli import main

    a = claims.evaluate("cpu", CLAIMS3, {"fig": {"x": _rec(1.0, 0.5, 1.5), "y": _rec(0.2, -1, 1)}})
    for name in ("a.json", "b.json"):
        (tmp_path / name).write_text(json.dumps(
            {"claims": json.loads(a.to_json(orient="records")),
             "provenance": [{"processor": name}]}))
    assert main(["claims", "--ledger", str(tmp_path / "a.json"),
                 "--against", str(tmp_path / "b.json"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert all(r["identical"] for r in out["comparison"]) and len(out["comparison"]) == 3
    assert out["provenance"] == [{"processor": "a.json"}]
    assert out["against_provenance"] == [{"processor": "b.json"}]
    assert main(["claims", "--ledger", str(tmp_path / "a.json")]) == 2


def test_ledger_reads_experiments_from_the_cache_and_computes_nothing(cache_tmp):
    """Two sweeps run at smoke size; the ledger reads their evidence through cached_run, equal
    to the runs' own summaries; a deleted cell turns that experiment's claims into 'not run'."""
    from initaudit.analysis import cache, experiment

    mine = tuple(c for c in claims.CLAIMS if c.experiment in ("mc-gradients", "ntk-depth"))
    assert len(mine) == 4
    runs = {n: experiment.run_experiment(n, "smoke", progress=False)
            for n in ("mc-gradients", "ntk-depth")}
    before = len(cache.STATS.events)
    table = claims.evaluate("smoke", mine).set_index("id")
    assert all(e.status == "cached" for e in cache.STATS.events[before:])
    for c in mine:
        ev = runs[c.experiment].summary["evidence"].get(c.key)
        row = table.loc[c.id]
        if ev is None:  # two depths at smoke: no increment ratio, so not measured
            assert row.reason == claims.NOT_MEASURED, c.id
        else:
            assert (row["mean"], row.lo, row.hi, row.n) == (ev.mean, ev.lo, ev.hi, ev.n), c.id
            assert row.verdict != "not run"
    assert claims.ledger_provenance("smoke", mine)
    cache.cache_path(runs["mc-gradients"].configs[0]).unlink()
    again = claims.evaluate("smoke", mine).set_index("id")
    for c in mine:
        if c.experiment == "mc-gradients":
            assert again.loc[c.id, "reason"] == claims.NO_RESULT
    assert not cache.cache_path(runs["mc-gradients"].configs[0]).exists()  # not recomputed


def test_analysis_never_imports_figures():
    """No module of theory, models or analysis has a figures module in its import closure."""
    import pathlib

    from initaudit.analysis import codehash

    root = pathlib.Path(codehash.__file__).resolve().parents[1]
    for package in ("theory", "models", "analysis"):
        for path in (root / package).rglob("*.py"):
            rel = path.relative_to(root).with_suffix("")
            parts = list(rel.parts)
            if parts[-1] == "__init__":
                parts.pop()
            module = "initaudit." + ".".join(parts)
            up = [m for m in codehash.closure(module) if m.startswith("initaudit.figures")]
            assert not up, f"{module} imports {up}"


def test_an_experiment_that_cannot_run_here_gives_its_reason(monkeypatch):
    """No setting of an experiment can run (its input is absent): each of its claims is
    'not run' with the experiment's own reason, through evaluate and collect_skipped alike."""
    from initaudit.analysis import experiment
    from initaudit.analysis.datasets import DataUnavailable

    def cached_run(name, preset, seeds=None, **options):
        if name == "audio-fit":
            raise DataUnavailable("no recording and no chirp here")
        return None

    monkeypatch.setattr(experiment, "cached_run", cached_run)
    mine = tuple(c for c in claims.CLAIMS if c.experiment in ("audio-fit", "poisson"))
    table = claims.evaluate("cpu", mine).set_index("id")
    for c in mine:
        expected = "no recording and no chirp here" if c.experiment == "audio-fit" else claims.NO_RESULT
        assert table.loc[c.id, "verdict"] == "not run" and table.loc[c.id, "reason"] == expected
    assert set(claims.collect_skipped("cpu", mine)) == {"audio-fit"}
