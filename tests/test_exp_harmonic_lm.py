"""Tests of the language-model metrics (analysis/lm_metrics.py) and the harmonic-lm experiment
(analysis/experiments/harmonic_lm.py).

The metric tests use hand-made strings whose expected values are computed by hand in the
comments (exact arithmetic, compared to 1e-12). The experiment runs end to end at the smoke
preset (plumbing, determinism, the evidence records), not for its science.
"""

from __future__ import annotations

import math
import pathlib

import numpy as np
import pytest
import torch
from torch import nn

from initaudit.analysis import lm_metrics as M
from initaudit.analysis.corpus import Vocabulary
from initaudit.analysis.datasets import DataUnavailable
from initaudit.analysis.experiment import SkippedSetting, run_experiment
from initaudit.analysis.experiments import harmonic_lm as H

# --------------------------------------------------------------------------- coherence


@pytest.mark.parametrize("text, total, medical, repeated, score", [
    # the brain and the heart: 5 words, 2 medical (brain, heart), no bigram twice:
    # 0.5 + 2/5 = 0.9
    ("the brain and the heart", 5, 2, 0, 0.9),
    # 4 words, all medical; the bigram (brain, brain) occurs 3 times, counted once:
    # 0.5 + 4/4 - 0.1 = 1.4 -> clamped to 1.0
    ("brain brain brain brain", 4, 4, 1, 1.0),
    # (the, the) occurs 4 times (positions 0-1, 1-2, 2-3, 6-7), the rest once: 0.5 - 0.1 = 0.4
    ("the the the the cat sat the the", 8, 0, 1, 0.4),
    # repeated bigrams (a,b) (b,a) (c,d) (d,c) (e,f) (f,e): 0.5 - 0.6 = -0.1 -> clamped to 0.1
    ("a b a b a b c d c d c d e f e f e f", 18, 0, 6, 0.1),
    # sentence ends are dropped: the, brain, a, cat; 1 medical: 0.5 + 1/4 = 0.75
    ("The brain. A cat.", 4, 1, 0, 0.75),
    # bigrams do not cross removed sentence ends: words x, lung, x, lung -> (x, lung) twice,
    # (lung, x) once: 0.5 + 2/4 - 0.1 = 0.9
    ("x lung. x lung.", 4, 2, 1, 0.9),
])
def test_coherence_hand_cases(text, total, medical, repeated, score):
    parts = M.coherence_parts(text)
    assert parts["total_terms"] == total
    assert parts["medical_term_count"] == medical
    assert parts["repeated_phrases"] == repeated
    assert parts["coherence"] == pytest.approx(score, abs=1e-12)


def test_coherence_of_no_words_is_nan():
    assert math.isnan(M.coherence(". ."))


def test_distinct_n_hand_cases():
    toks = ["a", "b", "a", "b"]
    assert M.distinct_n(toks, 1) == 0.5  # {a, b} of 4
    assert M.distinct_n(toks, 2) == pytest.approx(2 / 3)  # ab, ba, ab
    assert math.isnan(M.distinct_n(["a"], 2))
    with pytest.raises(ValueError, match="positive integer"):
        M.distinct_n(toks, 0)


def test_copy_rate_hand_cases():
    train = list("abcdefghij")
    # 8-grams of the generated text: abcdefgh (copied), bcdefghX, cdefghXY -> 1/3
    assert M.copy_rate(list("abcdefghXY"), train) == pytest.approx(1 / 3)
    assert M.copy_rate(list("cdefghij"), train) == 1.0
    # n = 3: abc (yes), bca (no), cab (no), abc (yes) -> 2/4
    assert M.copy_rate(list("abcabc"), list("abcd"), n=3) == 0.5
    assert math.isnan(M.copy_rate(list("abc"), train))


def test_perplexity():
    assert M.perplexity(math.log(5.0)) == pytest.approx(5.0, rel=1e-12)


class Uniform(nn.Module):
    """Equal logits for every token: NLL = log V per target, arg-max = id 0."""

    def __init__(self, v: int):
        super().__init__()
        self.v = v
        self.w = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return torch.zeros(*x.shape, self.v) + self.w


def test_evaluate_hand_case():
    windows = torch.tensor([[0, 0, 3, 0], [1, 2, 0, 4]])  # targets 0,3,0 and 2,0,4
    tail = torch.tensor([5, 0, 0])  # targets 0, 0
    out = M.evaluate(Uniform(7), windows, tail)
    assert out["n"] == 8
    assert out["loss"] == pytest.approx(math.log(7), rel=1e-12)
    assert out["acc"] == pytest.approx(5 / 8)  # targets equal to 0: 2 + 1 + 2
    assert out["last_acc"] == pytest.approx(1 / 2)  # last targets 0 and 4


def test_generate_maps_unknown_prompt_words():
    vocab = Vocabulary(("<unk>", "the", "brain", "."))
    from initaudit.models.lm import LMConfig, TransformerLM

    m = TransformerLM(LMConfig(vocab_size=10, seq_len=8, n_layer=1, d_model=8, n_head=2),
                      torch.Generator().manual_seed(0), torch.Generator().manual_seed(0))
    toks = M.generate(m, vocab, "the human brain", 12, greedy=False, seed=3)
    assert toks[:3] == ["the", "<unk>", "brain"] and len(toks) == 15
    assert set(toks) <= set(vocab.tokens)  # reserved rows 4..9 are never produced
    assert M.generate(m, vocab, "the human brain", 12, greedy=False, seed=3) == toks


# --------------------------------------------------------------------------- the experiment


def test_options_and_missing_data(monkeypatch, tmp_path):
    with pytest.raises(ValueError, match="valid splits"):
        H.cells("smoke", split="random")
    monkeypatch.delenv("INITAUDIT_DATA_DIR", raising=False)
    # Without medical.txt the cpu preset runs its ontology setting and skips the two medical
    # ones, saying why and how to supply the file.
    items = H.cells("cpu")
    skipped = [c for c in items if isinstance(c, SkippedSetting)]
    assert [s.setting for s in skipped] == ["medical_windows", "medical_sentences"]
    assert all(s.reason == "medical.txt not given" and "--data-dir" in s.remedy
               and "INITAUDIT_DATA_DIR" in s.remedy and "--corpus" in s.remedy for s in skipped)
    ran = [c for c in items if not isinstance(c, SkippedSetting)]
    assert {(c.corpus, c.split) for c in ran} == {("hpo", "sentences")}
    assert len(ran) == len(H.STRATEGIES) * H.SEEDS["cpu"]
    # A corpus asked for by name or path must be there.
    with pytest.raises(DataUnavailable, match="medical.txt"):
        H.cells("cpu", corpus="medical")
    with pytest.raises(DataUnavailable):
        H.cells("smoke", corpus=str(tmp_path / "medical.txt"))


def test_experiment_without_any_runnable_setting_stops_with_the_reasons(monkeypatch):
    from initaudit.analysis import experiment

    monkeypatch.delenv("INITAUDIT_DATA_DIR", raising=False)
    with pytest.raises(DataUnavailable, match="medical_windows: medical.txt not given"):
        experiment.run_experiment("harmonic-lm", "cpu", split="windows", progress=False)


def test_cells_cover_every_strategy_and_seed():
    configs = H.cells("smoke", split="windows")
    assert {c.strategy for c in configs} == set(H.STRATEGIES) and len(H.STRATEGIES) == 14
    assert len(configs) == 14 * 2 and {c.seed for c in configs} == {0, 1}
    assert all(c.corpus == "hpo" and c.split == "windows" for c in configs)


def test_run_cell_is_deterministic():
    cfg = H.cells("smoke", split="sentences")[4]
    a, b = H.run_cell(cfg), H.run_cell(cfg)
    for key in ("final_val_loss", "final_train_acc", "greedy_text", "sampled_text",
                "init_ntk_mean", "end_emb_erank_ratio"):
        assert a[key] == b[key], key
    assert a["curves"] == b["curves"]


def test_smoke_end_to_end(cache_tmp):
    run = run_experiment("harmonic-lm", "smoke", split="sentences", progress=False)
    s = run.summary
    assert set(s["table"].strategy) == set(H.STRATEGIES)
    assert (s["table"].n == 2).all()
    comp = s["comparisons"]
    assert H.BASELINE not in set(comp.strategy)
    assert (comp.p_holm.dropna() >= comp.p.dropna() - 1e-15).all()
    ev = s["evidence"]
    assert "hlm_hpo_sentences_harmonic_minus_best_other_val_acc" in ev
    assert "hlm_hpo_sentences_harmonic_vs_random_perplexity" in ev
    for key, rec in ev.items():
        assert {"mean", "lo", "hi", "n", "p", "unit", "what"} <= set(rec), key
        assert key == key.lower() and " " not in key
        if np.isfinite(rec["lo"]):
            assert rec["lo"] <= rec["mean"] <= rec["hi"], key
    # every run's curves have between 1 and max_epochs entries
    assert set(s["curves"].epoch) == {1, 2}
    assert len(s["generations"]) == 14
    assert "emb_harmonic" in H.format_summary(s)
    again = run_experiment("harmonic-lm", "smoke", split="sentences", progress=False)
    assert again.computed == 0
    assert again.summary["evidence"] == ev or _nan_equal(again.summary["evidence"], ev)


def _nan_equal(a: dict, b: dict) -> bool:
    for key in a:
        for field, v in a[key].items():
            w = b[key][field]
            if isinstance(v, float) and math.isnan(v):
                if not (isinstance(w, float) and math.isnan(w)):
                    return False
            elif v != w:
                return False
    return set(a) == set(b)


def test_figure_macros_the_text_always_uses_stay_defined_when_the_paper_setting_ran(cache_tmp):
    """With medical.txt the paper's own setting is the primary one and its note is empty: the
    macro must still be defined, or the paper has an undefined \\gen{HlmPrimaryNote}. The smoke
    data (ontology corpus) is relabelled as the paper's setting to reach that case here."""
    import re

    import pandas as pd

    from initaudit.figures import fig_exp_harmonic_lm as fig
    from initaudit.figures.lm_settings import PAPER_SETTING

    data = fig.compute("smoke")
    ran = list(data["settings"].setting)
    rename = {ran[0]: PAPER_SETTING}

    def relabel(value):
        if isinstance(value, pd.DataFrame) and "setting" in value.columns:
            return value.assign(setting=value.setting.replace(rename))
        if isinstance(value, dict):
            return {rename.get(k, k): relabel(v) for k, v in value.items()}
        return value

    as_paper = {k: relabel(v) for k, v in data.items()}
    macros = fig.macros(as_paper)
    assert macros["HlmPrimaryNote"] == ""
    section = (pathlib.Path(fig.__file__).resolve().parents[1] / "paper" / "sections"
               / "exp_harmonic_lm.tex").read_text()
    for name in ("HlmPrimaryNote", "HlmSettingsRan", "HlmSettingsNotRun"):
        assert f"\\gen{{{name}}}" in section and name in macros
    assert re.search(r"did not run", fig.macros(data)["HlmPrimaryNote"])
