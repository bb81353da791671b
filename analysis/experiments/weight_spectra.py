"""Spectra of initialised weight matrices: every fully connected initialiser and the 12
embedding strategies.

One cell (:class:`initaudit.analysis.spectrum.WeightSpectraConfig`) draws every initialiser of
fully connected layers at a square and a non-square shape and every embedding strategy of the
medical language model (Fatykhov 2026) at its vocabulary and width, and measures each matrix:
numerical and effective rank, stable rank, condition number, Kolmogorov-Smirnov distance to the
Marchenko-Pastur law of the same aspect ratio, and the low-frequency enrichment of its
index-order Fourier energy (:func:`initaudit.analysis.spectrum.run_weight_spectra`).
"""

from __future__ import annotations

import dataclasses

from dataclasses import dataclass

from initaudit.analysis import spectrum as sp
from initaudit.analysis.presets import check_preset
from initaudit.theory.checks import int_at_least

NAME = "weight-spectra"
DESCRIPTION = ("singular values, ranks, Marchenko-Pastur distance and index-order Fourier "
               "structure of initialised weight matrices and embeddings")


@dataclass(frozen=True)
class Sizes:
    linear_shapes: tuple[tuple[int, int], ...]  # (out, in) of the fully connected matrices
    embedding_shape: tuple[int, int]             # (vocabulary V, width D) of the embeddings
    n_seeds: int                                 # draws per random initialiser and shape


PRESETS = {
    "smoke": Sizes(linear_shapes=((32, 32), (16, 64)), embedding_shape=(40, 32), n_seeds=2),
    "cpu": Sizes(linear_shapes=((512, 512), (256, 1024)), embedding_shape=(407, 512),
                 n_seeds=4),
    "paper": Sizes(linear_shapes=((2048, 2048), (1024, 4096)), embedding_shape=(407, 512),
                   n_seeds=16),
}


def config(preset: str, seeds: int | None = None) -> sp.WeightSpectraConfig:
    """The one cell at ``preset``; ``seeds`` sets the draws per random initialiser."""
    size = PRESETS[check_preset(preset)]
    n = size.n_seeds if seeds is None else seeds
    n = int_at_least(n, 1, "seeds (draws per random initialiser)")
    return sp.WeightSpectraConfig(linear_shapes=size.linear_shapes,
                                  embedding_shape=size.embedding_shape, n_seeds=n)


def cells(preset: str, seeds: int | None = None, **_ignored) -> list[sp.WeightSpectraConfig]:
    """One cell: every initialiser at every shape of the preset."""
    return [config(preset, seeds)]


run_cell = sp.run_cell


def summarize(configs, results, **_ignored) -> dict:
    """:func:`initaudit.analysis.spectrum.run_weight_spectra`'s dict (``per_draw``,
    ``summary``, ``curves``, ``iid``) with the cell's ``config`` as a plain mapping of its
    fields (results are data, :mod:`initaudit.analysis.resultcodec`)."""
    (cfg,), (res,) = configs, results
    return {"config": dataclasses.asdict(cfg), **res}


def format_summary(summary: dict) -> str:
    s = summary["summary"]
    wide = s.pivot_table(index=["kind", "init", "shape"], columns="quantity", values="mean",
                         sort=False)
    cols = [c for c in ("rank_ratio", "erank_ratio", "stable_rank", "mp_ks") if c in wide.columns]
    lines = [f"{'kind':9s} {'init':24s} {'shape':>9s} " + " ".join(f"{c:>11s}" for c in cols)]
    for (kind, init, shape), r in wide.iterrows():
        lines.append(f"{kind:9s} {init:24s} {shape:>9s} "
                     + " ".join(f"{r[c]:11.4g}" for c in cols))
    return "\n".join(lines)
