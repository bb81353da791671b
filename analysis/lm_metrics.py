r"""Metrics of the language-model experiment: the paper's "coherence" and plainer measures beside it.

The coherence score of Fatykhov (2026)
--------------------------------------
The paper scores a generated text by

.. math:: \mathrm{coherence} = \mathrm{clamp}\Big(0.5 + \frac{\text{medical\_term\_count}}
          {\text{total\_terms}} - 0.1\cdot\text{repeated\_phrases},\ 0.1,\ 1.0\Big)

and reports 0.912 for harmonic initialisation. The formula is the paper's; the paper gives neither
its list of medical terms nor its rule for a "repeated phrase", and its public repository
(``afatykhov-ai/harmonic-initialization``) holds no code. :func:`coherence` therefore uses *our
reading*, fixed here so that a number is a number about this rule:

* the text is split into words by :func:`analysis.corpus.words`, and sentence ends are dropped;
  ``total_terms`` is the number of remaining words (the prompt included: the whole generated
  text is scored, as a function given the generator's output would score it);
* ``medical_term_count`` is the number of those words that belong to :data:`MEDICAL_TERMS`
  (exact, lower-case match; every occurrence counts);
* ``repeated_phrases`` is the number of *distinct* word bigrams (two consecutive words) that occur
  more than once in the text.

:data:`MEDICAL_TERMS` lists the clinical words of the paper's corpus ``medical.txt`` (anatomy,
cells and tissues, diseases and symptoms, diagnostics, treatments), taken by hand from its 379
distinct words; function words, numbers and general words ("learning", "models", "time") are
out. The score rewards a text for reusing the corpus's clinical words without repeating itself,
which a model that recites its training text does perfectly; so the score is shown beside
measures that separate recitation from generation:

* :func:`distinct_n` -- distinct n-grams over all n-grams of the text (Li, Galley, Brockett, Gao
  and Dolan 2016, "A Diversity-Promoting Objective Function for Neural Conversation Models",
  NAACL);
* :func:`copy_rate` -- the fraction of the text's 8-grams that occur verbatim in the training
  text (1.0: every 8-token stretch is copied);
* :func:`perplexity` -- ``exp`` of the mean negative log-likelihood per predicted token on
  held-out text (:func:`evaluate`).

Generation (:func:`generate`) starts from the paper's prompt ``"the human brain"``, greedily or
by sampling with a seeded generator.
"""

from __future__ import annotations

import collections
import math
from typing import Iterable, Sequence

import torch
import torch.nn.functional as F

from initaudit.analysis.corpus import SENTENCE_END, Vocabulary, words
from initaudit.theory.checks import positive_int

__all__ = [
    "COPY_N", "MEDICAL_TERMS", "PROMPT", "coherence", "coherence_parts", "copy_rate",
    "distinct_n", "evaluate", "generate", "join", "ngrams", "perplexity",
]

#: The paper's generation prompt.
PROMPT = "the human brain"
#: n of the copy rate's n-grams.
COPY_N = 8

#: Clinical words of ``medical.txt`` (our reading of the paper's undisclosed list; see above).
MEDICAL_TERMS: frozenset[str] = frozenset("""
adrenal als alzheimer's amyloid-beta anesthesia antibiotics antivirals anxiety arrhythmias arteries
arthritis atherosclerosis autoimmune bacteria biopsies blood blood-brain body brain brca1 breast
bronchitis cancer cancers cardiovascular cell cells cerebrospinal cirrhosis clinical clinicians
copd ct depression diabetes diagnose diagnosing diagnosis diagnostic disease diseases disorder
disorders dopamine-producing drug drugs ecg eeg electroencephalography emphysema epilepsy fmri
fungi genetic genomic glucose headaches heart hepatitis hippocampus hormonal hypertension
hypoglycemic immune immunity immunotherapy infections inflammation injury insulin kidney liver
lumbar lung lupus medical medication medicine meningitis microbiome microorganisms migraines mri
mutations nausea nerve neural neurodegenerative neurofibrillary neuroimaging neurons
neuroplasticity nigra nodules obesity organ organs ovary pain pancreas paralyzed parkinson's
pathogens patients pet plaques pneumonia polycystic pulmonary puncture radiologists sclerosis
seizures strokes substantia surgery symptoms syndrome therapies therapy thyroid tissue tissues
toxins tumors ultrasound urine vaccines vessels viral viruses x-ray
""".split())


def _text_words(text: str | Sequence[str]) -> list[str]:
    """Words of a text or token list, sentence ends dropped, lower case."""
    toks = words(text) if isinstance(text, str) else [str(t).lower() for t in text]
    return [t for t in toks if t != SENTENCE_END]


def ngrams(tokens: Sequence, n: int) -> list[tuple]:
    """Every run of ``n`` consecutive tokens, in order."""
    positive_int(n, "n")
    tokens = list(tokens)
    return [tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]


def coherence_parts(text: str | Sequence[str]) -> dict:
    """The three counts of the coherence score and the score (see the module docstring).

    Args:
        text: the generated text, or its tokens.

    Returns:
        dict with ``total_terms``, ``medical_term_count``, ``repeated_phrases`` and
        ``coherence``; the score is nan for a text without words.
    """
    ws = _text_words(text)
    total = len(ws)
    medical = sum(w in MEDICAL_TERMS for w in ws)
    repeated = sum(c > 1 for c in collections.Counter(ngrams(ws, 2)).values())
    if total == 0:
        score = math.nan
    else:
        score = min(1.0, max(0.1, 0.5 + medical / total - 0.1 * repeated))
    return {"total_terms": total, "medical_term_count": medical, "repeated_phrases": repeated,
            "coherence": score}


def coherence(text: str | Sequence[str]) -> float:
    """The paper's coherence score ``clamp(0.5 + medical/total - 0.1 repeated, 0.1, 1.0)``."""
    return coherence_parts(text)["coherence"]


def distinct_n(tokens: Sequence, n: int) -> float:
    """Distinct n-grams over all n-grams (Li et al. 2016); nan when there is no n-gram."""
    grams = ngrams(tokens, n)
    return len(set(grams)) / len(grams) if grams else math.nan


def copy_rate(generated: Sequence, training: Sequence, n: int = COPY_N) -> float:
    """Fraction of the n-grams of ``generated`` that occur verbatim in ``training``.

    Args:
        generated: generated tokens (strings or ids).
        training: the training token stream, in the same alphabet.
        n: n-gram length (8 by default).

    Returns:
        The fraction in [0, 1], counting repeated generated n-grams each time; nan when the
        generated text has fewer than ``n`` tokens.
    """
    grams = ngrams(generated, n)
    if not grams:
        return math.nan
    seen = set(ngrams(training, n))
    return sum(g in seen for g in grams) / len(grams)


def perplexity(mean_nll: float) -> float:
    """``exp(mean negative log-likelihood per token)`` (natural log)."""
    return math.exp(mean_nll) if math.isfinite(mean_nll) else math.nan


@torch.no_grad()
def evaluate(model: torch.nn.Module, windows: torch.Tensor, tail: torch.Tensor | None = None,
             batch_size: int = 256) -> dict:
    """Next-token loss and accuracy of ``model`` on windows of ``seq_len + 1`` token ids.

    Every position of every window is a prediction (the model reads ``w[:-1]`` and predicts
    ``w[1:]``); ``tail`` is one shorter window scored the same way. Sums run over all predicted
    positions, so ``loss`` is the exact mean negative log-likelihood per token.

    Returns:
        dict with ``loss`` (mean NLL, nats), ``acc`` (arg-max accuracy; ties to the lowest id),
        ``last_acc`` (accuracy at the last position of the full windows, the only one that sees
        a whole ``seq_len`` context), ``n`` (predicted positions).
    """
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    nll = correct = n = last_correct = last_n = 0.0
    pieces = [windows[i:i + batch_size] for i in range(0, windows.shape[0], batch_size)]
    if tail is not None and tail.numel() >= 2:
        pieces.append(tail.reshape(1, -1))
    for w in pieces:
        w = w.to(device)
        logits = model(w[:, :-1]).double()
        target = w[:, 1:]
        nll += float(F.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1),
                                     reduction="sum"))
        hit = logits.argmax(-1) == target
        correct += float(hit.sum())
        n += target.numel()
        if w.shape[1] == windows.shape[1]:
            last_correct += float(hit[:, -1].sum())
            last_n += target.shape[0]
    model.train(was_training)
    return {"loss": nll / n if n else math.nan, "acc": correct / n if n else math.nan,
            "last_acc": last_correct / last_n if last_n else math.nan, "n": int(n)}


@torch.no_grad()
def generate(model, vocab: Vocabulary, prompt: str = PROMPT, new_tokens: int = 30, *,
             greedy: bool = True, seed: int = 0, temperature: float = 1.0) -> list[str]:
    """Generate from ``prompt`` and return the whole token list (prompt first).

    Prompt words outside the vocabulary become the unknown token. Sampling draws
    from ``softmax(logits / temperature)`` with a generator seeded by ``seed``; reserved model
    rows beyond the vocabulary are never produced.
    """
    ids = vocab.encode(words(prompt))
    if not ids:
        raise ValueError(f"the prompt {prompt!r} holds no words")
    device = next(model.parameters()).device
    gen = None if greedy else torch.Generator(device=device).manual_seed(int(seed))
    was_training = model.training
    model.eval()
    out = model.generate(torch.tensor(ids, device=device), new_tokens, greedy=greedy,
                         temperature=temperature, generator=gen, max_id=len(vocab))
    model.train(was_training)
    return vocab.decode(out.tolist())


def join(tokens: Iterable[str]) -> str:
    """A token list as text: words separated by spaces, sentence ends attached."""
    return " ".join(tokens).replace(" " + SENTENCE_END, SENTENCE_END)
