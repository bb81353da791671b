"""Empirical NTK spectra at initialisation of every initialiser for fully connected layers.

One cell per catalogue initialiser for fully connected layers (controls excluded), each with the
activation it is meant for (:func:`initaudit.analysis.ntk.run_spectrum_cell`): the eigenvalues of
``Theta / N``, their effective rank and power-law exponent.
"""

from __future__ import annotations

from dataclasses import dataclass

from initaudit.analysis import ntk
from initaudit.analysis.presets import check_preset
from initaudit.theory.checks import int_at_least

NAME = "ntk-spectra"
DESCRIPTION = ("eigenvalues of the empirical NTK at initialisation for every initialiser of "
               "fully connected layers, with effective rank and power-law exponent")


@dataclass(frozen=True)
class Sizes:
    depth: int     # depth L
    width: int     # hidden width N
    n_points: int  # inputs P (uniform on [-1, 1]^2): the kernel is P x P
    n_seeds: int   # networks per random initialiser (deterministic ones: 1)


PRESETS = {
    "smoke": Sizes(depth=2, width=32, n_points=16, n_seeds=1),
    "cpu": Sizes(depth=8, width=256, n_points=1024, n_seeds=2),
    "paper": Sizes(depth=16, width=2048, n_points=4096, n_seeds=4),
}


def cells(preset: str, seeds: int | None = None, **_ignored) -> list[ntk.NTKSpectrumCell]:
    """One cell per initialiser; ``seeds`` sets the networks per random initialiser."""
    size = PRESETS[check_preset(preset)]
    n = size.n_seeds if seeds is None else seeds
    n = int_at_least(n, 1, "seeds (networks per cell)")
    return ntk.spectra_cells(None, size.depth, size.width, n_seeds=n, n_points=size.n_points)


run_cell = ntk.run_cell


def summarize(configs, results, **_ignored) -> dict:
    """``{"eigenvalues": every eigenvalue, "summary": one row per network}``."""
    return ntk.spectra_summary(results)


def format_summary(summary: dict) -> str:
    s = summary["summary"]
    cols = [c for c in ("effective_rank", "decay_exponent") if c in s.columns]
    lines = [f"{'init':24s} {'activation':10s} " + " ".join(f"{c:>15s}" for c in cols)]
    for (init, act), g in s.groupby(["init", "activation"], sort=False):
        lines.append(f"{init:24s} {act:10s} " + " ".join(f"{g[c].mean():15.4g}" for c in cols))
    return "\n".join(lines)
