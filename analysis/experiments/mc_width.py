"""Finite-width deviation from the infinite-width theory, against the width.

For each initialiser of :data:`initaudit.analysis.propagate.AUDIT_CASES`, one cell per width
measures ``q_l``, ``chi_l`` and ``|dy/dz_l|^2`` network by network (``per_network=True``); the
summary (:func:`initaudit.analysis.propagate.width_summary`, against the prediction with the
networks' own laws) is the mean relative deviation per width and its power-law exponent in N,
-1 for a finite-width bias. The number of networks per width keeps the cost of a cell about the
same at every width (:func:`networks_per_width`).

Beside each measured deviation the summary puts its leading-order prediction
(``predicted_deviation``, :func:`predicted_deviation`): the signed 1/N corrections of
:func:`initaudit.theory.finite_width.mean_correction`, relative to the infinite-width value and
averaged over the same layers and inputs.

Each cell also measures the network-to-network variance of ``log |dy/dz_l|^2`` at each input
against its leading-order prediction (:func:`initaudit.theory.finite_width.log_grad_variance`,
rows ``log_grad_var``); the summary fits its power law in N at the first layer (-1 at leading
order).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
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
    "smoke": Sizes(depth=3, widths=(16, 32), n_top=3, max_networks=4, n_inputs=4),
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
    n_top = int_at_least(n_top, 3, "seeds (networks at the largest width; the jackknife needs 3)")
    nets = networks_per_width(size.widths, n_top, max(size.max_networks, n_top))
    return [cfg for init, act in mc.AUDIT_CASES
            for cfg in mc.width_cells(init, act, size.depth, size.widths, nets,
                                      n_inputs=size.n_inputs, log_grad=True)]


run_cell = mc.run_cell


#: The log-gradient variance fit uses the widths with L / N at most this: the leading order in
#: 1/N holds for L/N small.
LOG_GRAD_MAX_DEPTH_OVER_WIDTH = 0.25


def log_grad_summary(tables) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ``log_grad_var`` rows of every cell (``layer == 1``: the whole depth), and per
    initialiser the power-law fits of the measured and the predicted variance against N over the
    widths with ``L / N <= LOG_GRAD_MAX_DEPTH_OVER_WIDTH``."""
    rows = pd.concat([t[(t.quantity == "log_grad_var") & (t.layer == 1)] for t in tables],
                     ignore_index=True)
    fits = []
    for init, grp in rows.groupby("init", sort=False):
        grp = grp.sort_values("width")
        use = grp[grp.depth / grp.width <= LOG_GRAD_MAX_DEPTH_OVER_WIDTH]
        meas = mc.fit_power_law(use.width, use.measured)
        pred = mc.fit_power_law(use.width, use.predicted)
        fits.append({"init": init, "depth": int(grp.depth.iloc[0]), **meas,
                     "predicted_exponent": pred["exponent"],
                     "max_abs_z": float(np.max(np.abs(use.z))) if len(use) else np.nan,
                     "min_width": int(use.width.min()) if len(use) else np.nan})
    return rows, pd.DataFrame(fits)


#: The first layer has no finite-width correction of q and chi (``z_1`` has its exact law at
#: every width): the deviation averages layers from this one on (:func:`mc.width_summary`).
MIN_LAYER = 2


def predicted_deviation(cfg: mc.PropagationConfig) -> dict[str, float]:
    """The leading-order relative deviation of one cell's q, chi and ``|dy/dz_l|^2`` from the
    infinite-width prediction: the signed 1/N corrections of
    :func:`initaudit.theory.finite_width.mean_correction` over the prediction, averaged over the
    layers ``MIN_LAYER..L`` and the cell's inputs, as the measured deviation is."""
    from initaudit.models.mlp import Ensemble
    from initaudit.theory.finite_width import mean_correction
    from initaudit.theory.predict import predict

    sp = Ensemble.drawn_spec(cfg.init, cfg.d_in, cfg.width, cfg.depth,
                             activation=cfg.activation, omega0=cfg.omega0)
    x = mc.sample_inputs(cfg.n_inputs, cfg.d_in, cfg.input_seed)
    pred = predict(sp, x)
    out = {qty: [] for qty in mc.QUANTITIES}
    for p, xp in enumerate(x):
        corr = mean_correction(sp, xp)
        out["q"].append(corr["q"] / pred["q"][p])
        out["chi"].append(corr["chi"] / pred["chi"][p])
        out["grad_norm2"].append(corr["grad_norm2_relative"])
    return {qty: float(np.mean(np.asarray(v)[:, MIN_LAYER - 1:])) for qty, v in out.items()}


def summarize(configs, results, **_ignored) -> dict:
    """``{"deviation": per (init, width, quantity), with the leading-order
    ``predicted_deviation``, "fit": per (init, quantity), "log_grad": the log-gradient variance
    rows at the first layer, "log_grad_fit": their power laws}``."""
    by_init: dict[str, list[pd.DataFrame]] = {}
    predicted = []
    for cfg, table in zip(configs, results):
        by_init.setdefault(cfg.init, []).append(table)
        predicted += [{"init": cfg.init, "width": cfg.width, "quantity": qty,
                       "predicted_deviation": val}
                      for qty, val in predicted_deviation(cfg).items()]
    devs, fits = [], []
    for frames in by_init.values():
        res = mc.width_summary(pd.concat(frames, ignore_index=True), reference="exact",
                               min_layer=MIN_LAYER)
        devs.append(res["deviation"].merge(pd.DataFrame(predicted),
                                           on=["init", "width", "quantity"], how="left"))
        fits.append(res["fit"])
    log_grad, log_grad_fit = log_grad_summary(results)
    return {"deviation": pd.concat(devs, ignore_index=True),
            "fit": pd.concat(fits, ignore_index=True), "log_grad": log_grad,
            "log_grad_fit": log_grad_fit}


def format_summary(summary: dict) -> str:
    lines = [f"{'init':24s} {'quantity':11s} {'exponent':>9s} {'se':>6s} {'widths':>6s}"]
    for r in summary["fit"].itertuples():
        lines.append(f"{r.init:24s} {r.quantity:11s} {r.exponent:+9.3f} {r.exponent_se:6.3f} "
                     f"{int(r.n_points):6d}")
    lines.append("")
    lines.append(f"{'init':24s} {'Var log|dy/dz_1|^2 vs N':24s} {'exponent':>9s} {'theory':>7s}")
    for r in summary["log_grad_fit"].itertuples():
        lines.append(f"{r.init:24s} {'':24s} {r.exponent:+9.3f} {r.predicted_exponent:+7.3f}")
    return "\n".join(lines)
