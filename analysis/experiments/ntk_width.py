"""Distance of the empirical NTK to its infinite-width limit, against the width.

For each case of :data:`initaudit.analysis.ntk.WIDTH_CASES`, drawn from the spec's variances
with Gaussian laws (which the Gaussian theory describes exactly), and for the two edge-of-chaos
points drawn with their own uniform laws, one cell per width measures
``||Theta / N - Theta_inf||_F / ||Theta_inf||_F`` network by network
(:func:`initaudit.analysis.ntk.run_width_cell`); the summary fits its power law in N
(:func:`initaudit.analysis.ntk.width_summary`).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from initaudit.analysis import ntk
from initaudit.analysis.presets import check_preset
from initaudit.theory.checks import int_at_least

NAME = "ntk-width"
DESCRIPTION = ("relative distance of the empirical NTK to the infinite-width NTK against "
               "width N, Gaussian and own laws, and its power law in N")

#: The edge-of-chaos points that are also run with their own (uniform) laws.
OWN_LAW = ("edge_of_chaos", "edge_of_chaos_sigma_a1")


@dataclass(frozen=True)
class Sizes:
    depth: int               # depth L
    widths: tuple[int, ...]  # widths N of the sweep
    n_points: int            # inputs P (uniform on [-1, 1]^2)
    n_seeds: int             # networks per (case, law, width)


PRESETS = {
    "smoke": Sizes(depth=2, widths=(16, 32, 64), n_points=8, n_seeds=2),
    "cpu": Sizes(depth=4, widths=(64, 128, 256, 512, 1024, 2048), n_points=32, n_seeds=6),
    "paper": Sizes(depth=8, widths=(64, 128, 256, 512, 1024, 2048, 4096, 8192), n_points=64,
                   n_seeds=16),
}


def runs() -> list[tuple[str, str, str | None]]:
    """(init, activation, law) of every case: Gaussian laws, then the own-law points."""
    return ([(init, act, "normal") for init, act in ntk.WIDTH_CASES]
            + [(init, "sin", None) for init in OWN_LAW])


def cells(preset: str, seeds: int | None = None, **_ignored) -> list[ntk.NTKWidthCell]:
    """One cell per (case, law, width); ``seeds`` sets the networks per cell."""
    size = PRESETS[check_preset(preset)]
    n = size.n_seeds if seeds is None else seeds
    n = int_at_least(n, 2, "seeds (networks per cell)")
    return [cfg for init, act, law in runs()
            for cfg in ntk.width_cells(init, act, size.depth, size.widths, n_seeds=n,
                                       n_points=size.n_points, convention=law)]


run_cell = ntk.run_cell


def summarize(configs, results, **_ignored) -> dict:
    """``{"summary": per (case, law, width), "fit": per (case, law)}``."""
    groups: dict[tuple, list[pd.DataFrame]] = {}
    for cfg, table in zip(configs, results):
        groups.setdefault((cfg.init, cfg.activation, cfg.convention), []).append(table)
    summ, fits = [], []
    for frames in groups.values():
        res = ntk.width_summary(pd.concat(frames, ignore_index=True))
        summ.append(res["summary"])
        fits.append(res["fit"])
    return {"summary": pd.concat(summ, ignore_index=True),
            "fit": pd.concat(fits, ignore_index=True)}


def format_summary(summary: dict) -> str:
    lines = [f"{'init':24s} {'activation':10s} {'law':7s} {'exponent':>9s} {'se':>6s}"]
    for r in summary["fit"].itertuples():
        lines.append(f"{r.init:24s} {r.activation:10s} {r.convention:7s} {r.exponent:+9.3f} "
                     f"{r.exponent_se:6.3f}")
    return "\n".join(lines)
