"""A tiny experiment for the framework tests (listed through $INITAUDIT_EXPERIMENT_MODULES).

Each cell draws ``size`` normal numbers from a generator seeded by the cell and returns their
mean, after sleeping ``sleep`` seconds so that a test can kill a run between cells.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from initaudit.analysis import stats
from initaudit.analysis.experiment import seeds_for

NAME = "toy"
DESCRIPTION = "framework test experiment: seeded normal means"


@dataclass(frozen=True)
class ToyCell:
    shift: float
    seed: int
    size: int = 100
    sleep: float = 0.0


def add_arguments(parser) -> None:
    parser.add_argument("--sleep", type=float, default=0.0, help="seconds per cell")


def cells(preset, seeds, sleep: float = 0.0):
    return [ToyCell(shift, seed, sleep=sleep)
            for shift in (0.0, 1.0) for seed in seeds_for(preset, seeds, {"smoke": 3, "cpu": 4, "paper": 8})]


def run_cell(cell: ToyCell) -> dict:
    if cell.sleep:
        time.sleep(cell.sleep)
    x = np.random.default_rng(cell.seed).standard_normal(cell.size) + cell.shift
    return {"mean": float(x.mean())}


def summarize(configs, results, sleep: float = 0.0) -> dict:
    base = [r["mean"] for c, r in zip(configs, results) if c.shift == 0.0]
    moved = [r["mean"] for c, r in zip(configs, results) if c.shift == 1.0]
    return {"means": [r["mean"] for r in results],
            "evidence": {"shift": {**stats.paired_difference(base, moved), "unit": "",
                                   "what": "mean shift"}}}
