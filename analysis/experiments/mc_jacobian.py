"""Singular values of the end-to-end hidden Jacobian (the dynamical-isometry question).

The edge-of-chaos paper (Combette, Venaille, Pustelnik, arXiv 2512.06427) leaves open whether
its unit-gain points are dynamically isometric. For each audited initialiser
(:data:`initaudit.analysis.propagate.AUDIT_CASES`) and the isometric control (orthogonal with
tanh), one cell draws networks and takes the singular values of ``dz_L/dz_1``
(:func:`initaudit.analysis.propagate.jacobian_spectrum`), with the theory of the mean squared
singular value beside them.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from initaudit.analysis import propagate as mc
from initaudit.analysis.presets import check_preset
from initaudit.theory.checks import int_at_least

NAME = "mc-jacobian"
DESCRIPTION = ("singular values of the end-to-end hidden Jacobian dz_L/dz_1 for the audited "
               "initialisers and an orthogonal control")

#: The audited initializers and the isometric control.
CASES = tuple(mc.AUDIT_CASES) + (("orthogonal", "tanh"),)


@dataclass(frozen=True)
class Sizes:
    depth: int       # depth L (the Jacobian spans layers 1 to L)
    width: int       # hidden width N (cost ~ 2 S P L N^3 flops)
    n_networks: int  # networks per initialiser
    n_inputs: int    # inputs per network


PRESETS = {
    "smoke": Sizes(depth=3, width=16, n_networks=1, n_inputs=2),
    "cpu": Sizes(depth=16, width=256, n_networks=4, n_inputs=4),
    "paper": Sizes(depth=32, width=512, n_networks=16, n_inputs=8),
}


def cells(preset: str, seeds: int | None = None, **_ignored) -> list[mc.JacobianConfig]:
    """One cell per case; ``seeds`` sets the networks per cell."""
    size = PRESETS[check_preset(preset)]
    n = size.n_networks if seeds is None else seeds
    n = int_at_least(n, 1, "seeds (networks per cell)")
    return [mc.JacobianConfig(init=init, activation=act, depth=size.depth, width=size.width,
                              n_networks=n, n_inputs=size.n_inputs)
            for init, act in CASES]


run_cell = mc.run_cell


def summarize(configs, results, **_ignored) -> dict:
    """``{"singular_values": every singular value, "summary": per (network, input)}``."""
    return {"singular_values": pd.concat([r["singular_values"] for r in results],
                                         ignore_index=True),
            "summary": pd.concat([r["summary"] for r in results], ignore_index=True)}


def format_summary(summary: dict) -> str:
    s = summary["summary"]
    lines = [f"{'init':24s} {'mean s^2':>10s} {'exact law':>10s} {'zero':>6s} {'spread':>7s}"]
    for init, g in s.groupby("init", sort=False):
        lines.append(f"{init:24s} {g.mean_s2.mean():10.4g} {g.predicted_mean_s2.mean():10.4g} "
                     f"{g.frac_zero.mean():6.3f} {g.log10_spread.mean():7.3f}")
    return "\n".join(lines)
