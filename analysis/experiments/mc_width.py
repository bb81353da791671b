"""Finite-width deviation from the infinite-width theory, against the width.

For each initialiser of :data:`initaudit.analysis.propagate.AUDIT_CASES`, one cell per width
measures ``q_l``, ``chi_l`` and ``|dy/dz_l|^2`` network by network (``per_network=True``); the
summary (:func:`initaudit.analysis.propagate.width_summary`, against the prediction with the
networks' own laws) is the mean relative deviation per width and its power-law exponent in N,
-1 for a finite-width bias. The number of networks per width keeps the cost of a cell about the
same at every width (:func:`networks_per_width`).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from initaudit.analysis import propagate as mc
from initaudit.analysis.presets import check_preset
from initaudit.theory.checks import int_at_least

NAME = "mc-width"
DESCRIPTION = ("Monte-Carlo deviation of q, chi and the gradient from the law-exact theory "
               "against width N, and its power law in N")


@dataclass(frozen=True)
class Sizes:
    depth: int                # depth L of every network
    widths: tuple[int, ...]   # widths N of the sweep
    n_top: int                # networks at the largest width
    max_networks: int         # cap on the networks at the smallest widths
    n_inputs: int             # inputs per network (uniform on [-1, 1]^2)


PRESETS = {
    "smoke": Sizes(depth=3, widths=(16, 32), n_top=2, max_networks=4, n_inputs=4),
    "cpu": Sizes(depth=16, widths=(32, 64, 128, 256, 512), n_top=32, max_networks=2048,
                 n_inputs=16),
    "paper": Sizes(depth=32, widths=(64, 128, 256, 512, 1024, 2048, 4096), n_top=8,
                   max_networks=4096, n_inputs=64),
}


def networks_per_width(widths, n_top: int, cap: int) -> dict[int, int]:
    """S(N) = n_top (N_max / N)^2, capped: the same cost (~ S N^2) at every width; the noise
    (~ 1/sqrt(S N) ~ sqrt(N)) then falls towards small N, where the bias (~ 1/N) grows."""
    top = max(widths)
    return {int(n): int(min(cap, max(n_top, round(n_top * (top / n) ** 2)))) for n in widths}


def cells(preset: str, seeds: int | None = None, **_ignored) -> list[mc.PropagationConfig]:
    """One cell per (initialiser, width); ``seeds`` sets the networks at the largest width."""
    size = PRESETS[check_preset(preset)]
    n_top = size.n_top if seeds is None else seeds
    n_top = int_at_least(n_top, 2, "seeds (networks at the largest width)")
    nets = networks_per_width(size.widths, n_top, max(size.max_networks, n_top))
    return [cfg for init, act in mc.AUDIT_CASES
            for cfg in mc.width_cells(init, act, size.depth, size.widths, nets,
                                      n_inputs=size.n_inputs)]


run_cell = mc.run_cell


def summarize(configs, results, **_ignored) -> dict:
    """``{"deviation": per (init, width, quantity), "fit": per (init, quantity)}``."""
    by_init: dict[str, list[pd.DataFrame]] = {}
    for cfg, table in zip(configs, results):
        by_init.setdefault(cfg.init, []).append(table)
    devs, fits = [], []
    for frames in by_init.values():
        res = mc.width_summary(pd.concat(frames, ignore_index=True), reference="exact")
        devs.append(res["deviation"])
        fits.append(res["fit"])
    return {"deviation": pd.concat(devs, ignore_index=True),
            "fit": pd.concat(fits, ignore_index=True)}


def format_summary(summary: dict) -> str:
    lines = [f"{'init':24s} {'quantity':11s} {'exponent':>9s} {'se':>6s} {'widths':>6s}"]
    for r in summary["fit"].itertuples():
        lines.append(f"{r.init:24s} {r.quantity:11s} {r.exponent:+9.3f} {r.exponent_se:6.3f} "
                     f"{int(r.n_points):6d}")
    return "\n".join(lines)
