"""Pre-activation variance against depth in finite networks, with both theories beside it.

For each initialiser of :data:`initaudit.analysis.propagate.AUDIT_CASES` (with its own
activation), one cell draws an ensemble of networks of the preset's depth and measures the
layer-wise pre-activation second moment ``q_l`` (:func:`initaudit.analysis.propagate.run_config`),
next to the prediction under the laws the networks are drawn from (``predicted``, the exact law)
and the Gaussian mean field (``predicted_gaussian``). At the cpu and paper presets the cells are those of the deepest
network of ``mc-gradients``, so the two experiments share their cache entries.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from initaudit.analysis import propagate as mc
from initaudit.analysis.presets import check_preset
from initaudit.theory.checks import int_at_least

NAME = "mc-variance"
DESCRIPTION = ("Monte-Carlo pre-activation variance q_l against depth for the audited "
               "initialisers, with the exact-law and the Gaussian theory")


@dataclass(frozen=True)
class Sizes:
    depth: int       # depth L of every network
    width: int       # hidden width N
    n_networks: int  # networks drawn per initialiser
    n_inputs: int    # inputs per network (uniform on [-1, 1]^2)


PRESETS = {
    "smoke": Sizes(depth=4, width=32, n_networks=2, n_inputs=4),
    "cpu": Sizes(depth=32, width=512, n_networks=16, n_inputs=32),
    "paper": Sizes(depth=32, width=2048, n_networks=32, n_inputs=128),
}


def cells(preset: str, seeds: int | None = None, **_ignored) -> list[mc.PropagationConfig]:
    """One cell per initialiser; ``seeds`` sets the networks per cell."""
    size = PRESETS[check_preset(preset)]
    n = size.n_networks if seeds is None else seeds
    n = int_at_least(n, 2, "seeds (networks per cell)")
    return [mc.PropagationConfig(init=init, activation=act, depth=size.depth, width=size.width,
                                 n_networks=n, n_inputs=size.n_inputs)
            for init, act in mc.AUDIT_CASES]


run_cell = mc.run_cell


def last_layer(table: pd.DataFrame) -> pd.DataFrame:
    """Per initialiser, the deepest layer's q with ``z = (measured - predicted) / se`` against
    the exact-law prediction (the Gaussian one beside it)."""
    rows = []
    for init, sub in table.groupby("init", sort=False):
        row = sub.sort_values("layer").iloc[-1]
        rows.append({"init": init, "activation": row.activation, "layer": int(row.layer),
                     "measured": float(row.measured), "se": float(row.se),
                     "predicted": float(row.predicted),
                     "predicted_gaussian": float(row.predicted_gaussian),
                     "z": float((row.measured - row.predicted) / row.se) if row.se > 0
                     else float("nan")})
    return pd.DataFrame(rows)


def summarize(configs, results, **_ignored) -> dict:
    """``{"table": pooled q rows of every cell (one per init and layer), "last_layer": ...}``."""
    table = pd.concat([t[(t.network == "pooled") & (t.quantity == "q")] for t in results],
                      ignore_index=True)
    return {"table": table, "last_layer": last_layer(table)}


def format_summary(summary: dict) -> str:
    lines = [f"{'init':24s} {'layer':>5s} {'measured q':>11s} {'se':>9s} {'exact':>9s} "
             f"{'Gaussian':>9s} {'z':>6s}"]
    for r in summary["last_layer"].itertuples():
        lines.append(f"{r.init:24s} {r.layer:5d} {r.measured:11.4g} {r.se:9.2g} "
                     f"{r.predicted:9.4g} {r.predicted_gaussian:9.4g} {r.z:+6.2f}")
    return "\n".join(lines)
