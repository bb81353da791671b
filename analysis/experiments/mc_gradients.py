"""Gradient and Jacobian-gain Monte Carlo against depth, for the edge-of-chaos claim.

Combette, Venaille and Pustelnik (arXiv 2512.06427) say that at their unit-gain points the
gradient variance is the same at every depth. For each initialiser of
:data:`initaudit.analysis.propagate.AUDIT_CASES` (with its own activation) and each depth, one
cell draws an ensemble of networks and measures the layer-wise Jacobian gain chi and the
first-layer gradient ``|dy/dz_1|^2`` (:func:`initaudit.analysis.propagate.run_config`), with the
theory beside them. The evidence is the log2 ratio of the first-layer gradient between the
deepest and the shallowest network.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as scipy_stats

from initaudit.analysis import propagate as mc
from initaudit.analysis.evidence import Evidence
from initaudit.analysis.presets import check_preset
from initaudit.theory.checks import int_at_least

NAME = "mc-gradients"
DESCRIPTION = ("Monte-Carlo Jacobian gain and first-layer gradient against depth for the "
               "audited initialisers, with theory")


@dataclass(frozen=True)
class Sizes:
    depths: tuple[int, ...]  # depths L of the sweep (the evidence compares the first and last)
    width: int               # hidden width N
    n_networks: int          # networks drawn per (initialiser, depth)
    n_inputs: int            # inputs per network


PRESETS = {
    "smoke": Sizes(depths=(2, 4), width=32, n_networks=2, n_inputs=4),
    "cpu": Sizes(depths=(4, 8, 16, 32), width=512, n_networks=16, n_inputs=32),
    "paper": Sizes(depths=(4, 8, 16, 32), width=2048, n_networks=32, n_inputs=128),
}


def cells(preset: str, seeds: int | None = None, **_ignored) -> list[mc.PropagationConfig]:
    """One cell per (initialiser, depth); ``seeds`` sets the networks per cell."""
    size = PRESETS[check_preset(preset)]
    n = size.n_networks if seeds is None else seeds
    n = int_at_least(n, 2, "seeds (networks per cell)")
    return [mc.PropagationConfig(init=init, activation=act, depth=depth, width=size.width,
                                 n_networks=n, n_inputs=size.n_inputs)
            for init, act in mc.AUDIT_CASES for depth in size.depths]


run_cell = mc.run_cell


def first_layer_grad(table: pd.DataFrame) -> pd.DataFrame:
    """The pooled first-layer gradient rows, by depth."""
    return table[(table.quantity == "grad_norm2") & (table.layer == 1)].sort_values("depth")


def gradient_evidence(table: pd.DataFrame) -> dict[str, Evidence]:
    """``grad_log2_ratio_<init>``: log2 of the first-layer gradient ratio between the deepest
    and the shallowest network.

    ``r = log2(g_D / g_d)`` with ``g = |dy/dz_1|^2`` averaged over networks; its standard error
    by the delta method, ``sqrt((se_D / g_D)^2 + (se_d / g_d)^2) / ln 2``, and a Student-t 95%
    interval with n - 1 degrees of freedom, n the fewer networks of the two depths. A
    depth-independent gradient has r = 0; r = -1
    is a halving over the depth range.
    """
    out = {}
    for init, sub in table.groupby("init", sort=False):
        g = first_layer_grad(sub)
        lo_row, hi_row = g.iloc[0], g.iloc[-1]
        r = float(np.log2(hi_row.measured / lo_row.measured))
        se = float(np.hypot(hi_row.se / hi_row.measured, lo_row.se / lo_row.measured) / np.log(2))
        n = int(min(hi_row.n_networks, lo_row.n_networks))
        q = float(scipy_stats.t.ppf(0.975, n - 1))
        out[f"grad_log2_ratio_{init}"] = Evidence(
            r, r - q * se, r + q * se, n, unit="log2 ratio",
            what=(f"log2 of mean |dy/dz_1|^2 at depth {int(hi_row.depth)} over depth "
                  f"{int(lo_row.depth)}, {init}, width {int(hi_row.width)}"))
    return out


def summarize(configs, results, **_ignored) -> dict:
    """``{"table": pooled chi and grad_norm2 rows of every cell, "evidence": ...}``."""
    frames = [t[(t.network == "pooled") & t.quantity.isin(["chi", "grad_norm2"])]
              for t in results]
    table = pd.concat(frames, ignore_index=True)
    return {"table": table, "evidence": gradient_evidence(table)}


def format_summary(summary: dict) -> str:
    lines = [f"{'evidence':44s} {'estimate':>9s}  95% interval"]
    for key, ev in summary["evidence"].items():
        lines.append(f"{key:44s} {ev.mean:+9.3f}  [{ev.lo:+.3f}, {ev.hi:+.3f}] {ev.unit}")
    return "\n".join(lines)
