"""Singular values of the end-to-end hidden Jacobian (the dynamical-isometry question).

The edge-of-chaos paper (Combette, Venaille, Pustelnik, arXiv 2512.06427) leaves open whether
its unit-gain points are dynamically isometric. For each audited initialiser
(:data:`initaudit.analysis.propagate.AUDIT_CASES`) and the isometric control (orthogonal with
tanh), one cell draws networks and takes the singular values of ``dz_L/dz_1``
(:func:`initaudit.analysis.propagate.jacobian_spectrum`), with the theory of the mean squared
singular value beside them.

A depth sweep asks the source's open question 2 directly: the edge-of-chaos points at
``sigma_a = 0`` and ``sigma_a = 1`` with i.i.d. uniform hidden weights (the source's rule) and with
orthogonal ones (the package's variant, :func:`initaudit.models.init.edge_of_chaos_orthogonal_`),
at depths 4 to 64. Its measure is the normalised variance ``m_2 / m_1^2 - 1`` of the squared
singular values, which free probability predicts (:func:`initaudit.theory.jacobian.jacobian_moments`):
it is additive over layers, so the prediction at every depth up to the deepest is one cumulative
sum per input.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from initaudit.analysis import propagate as mc
from initaudit.analysis.presets import check_preset
from initaudit.theory.checks import int_at_least

NAME = "mc-jacobian"
DESCRIPTION = ("singular values of the end-to-end hidden Jacobian dz_L/dz_1 for the audited "
               "initialisers and an orthogonal control")

#: The audited initializers, the orthogonal edge-of-chaos variants and the isometric control.
CASES = tuple(mc.AUDIT_CASES) + (("edge_of_chaos_orthogonal", "sin"),
                                 ("edge_of_chaos_orthogonal_sigma_a1", "sin"),
                                 ("orthogonal", "tanh"))
#: The depth sweep: each edge-of-chaos point with i.i.d. and with orthogonal hidden weights.
DEPTH_INITS = ("edge_of_chaos", "edge_of_chaos_orthogonal", "edge_of_chaos_sigma_a1",
               "edge_of_chaos_orthogonal_sigma_a1")


@dataclass(frozen=True)
class Sizes:
    depth: int       # depth L (the Jacobian spans layers 1 to L)
    width: int       # hidden width N (cost ~ 2 S P L N^3 flops)
    n_networks: int  # networks per initialiser
    n_inputs: int    # inputs per network
    depths: tuple    # depths of the sweep (DEPTH_INITS)
    sweep_networks: int  # networks per sweep cell (the standard errors are over networks)


#: A depth far past the sweep, where the theory shows the limit of a bounded spread.
LIMIT_DEPTH = 4096

PRESETS = {
    "smoke": Sizes(depth=3, width=16, n_networks=1, n_inputs=2, depths=(2, 3), sweep_networks=2),
    "cpu": Sizes(depth=16, width=256, n_networks=4, n_inputs=4, depths=(4, 8, 16, 32, 64),
                 sweep_networks=8),
    "paper": Sizes(depth=32, width=512, n_networks=16, n_inputs=8, depths=(4, 8, 16, 32, 64),
                   sweep_networks=16),
}


def cells(preset: str, seeds: int | None = None, **_ignored) -> list[mc.JacobianConfig]:
    """One cell per case (first, in :data:`CASES` order), then one per (depth-sweep init,
    depth); ``seeds`` sets the networks per cell of both."""
    size = PRESETS[check_preset(preset)]
    n = size.n_networks if seeds is None else seeds
    n = int_at_least(n, 1, "seeds (networks per cell)")
    n_sweep = size.sweep_networks if seeds is None else n
    main = [mc.JacobianConfig(init=init, activation=act, depth=size.depth, width=size.width,
                              n_networks=n, n_inputs=size.n_inputs)
            for init, act in CASES]
    return main + [mc.JacobianConfig(init=init, activation="sin", depth=depth, width=size.width,
                                     n_networks=n_sweep, n_inputs=size.n_inputs)
                   for init in DEPTH_INITS for depth in size.depths]


run_cell = mc.run_cell


def depth_theory(init: str, depth: int, width: int, x: np.ndarray) -> pd.DataFrame:
    """Free-probability normalised variance of ``J = dz_L/dz_1`` at every depth ``L = 2..depth``
    (mean over the inputs ``x``), from one cumulative sum of the per-layer terms per input
    (the normalised variance of a free product is the sum of its factors')."""
    from initaudit.models import catalogue
    from initaudit.theory.jacobian import jacobian_moments

    spec = catalogue.spec(init, x.shape[1], width, depth, "sin")
    weights = catalogue.get(init).matrix
    per_layer = np.array([jacobian_moments(spec, xp, order=2, weights=weights)["per_layer_variance"]
                          for xp in x])
    return pd.DataFrame({"init": init, "depth": np.arange(2, depth + 1),
                         "predicted": np.cumsum(per_layer, axis=1).mean(axis=0)})


#: Grid of the theory density of ``log10(s / s_rms)`` (the figure's axis): DENSITY_POINTS over
#: the range, and DENSITY_FINE points over +-DENSITY_FINE_HALF around 0, where a nearly isometric
#: law (the orthogonal + tanh control, about 0.004 wide) puts all its mass.
DENSITY_LOG10_RANGE = (-4.0, 1.5)
DENSITY_POINTS = 111
DENSITY_FINE = 201
DENSITY_FINE_HALF = 0.02


def density_theory(init: str, activation: str, depth: int, width: int,
                   x: np.ndarray) -> pd.DataFrame:
    """Free-probability density of ``y = log10(s / s_rms)``, ``s_rms^2 = m_1`` the predicted mean
    of ``s^2``, averaged over the inputs ``x``: ``p(y) = 2 ln(10) s^2 rho(s^2)`` with ``rho`` the
    density of :func:`initaudit.theory.jacobian.jacobian_density` (NaN where it is not
    computed, and for hidden matrices without a free-probability law)."""
    from initaudit.models import catalogue
    from initaudit.theory.jacobian import WEIGHT_FAMILIES, jacobian_density, jacobian_moments

    y = np.union1d(np.linspace(*DENSITY_LOG10_RANGE, DENSITY_POINTS),
                   np.linspace(-DENSITY_FINE_HALF, DENSITY_FINE_HALF, DENSITY_FINE))
    weights = catalogue.get(init).matrix
    dens = np.full((len(x), y.size), np.nan)
    if weights in WEIGHT_FAMILIES:
        spec = catalogue.spec(init, x.shape[1], width, depth, activation)
        for i, xp in enumerate(x):
            m1 = jacobian_moments(spec, xp, order=1, weights=weights)["moments"][0]
            s2 = m1 * 10.0 ** (2.0 * y)
            dens[i] = 2.0 * math.log(10.0) * s2 * jacobian_density(spec, xp, s2, weights=weights)
    return pd.DataFrame({"init": init, "log10_ratio": y, "density": dens.mean(axis=0)})


def _depth_rows(summary: pd.DataFrame) -> pd.DataFrame:
    """Per (init, depth) of the sweep: the normalised variance and mean squared singular value,
    averaged over inputs per network, then mean and standard error over networks."""
    rows = []
    for (init, depth), g in summary.groupby(["init", "depth"], sort=False):
        per = g.groupby("network")[["normalized_variance", "mean_s2"]].mean()
        n = len(per)
        se = per.std(ddof=1) / np.sqrt(n) if n > 1 else per.iloc[0] * np.nan
        rows.append({"init": init, "depth": int(depth), "width": int(g.width.iloc[0]),
                     "n_networks": n, "measured": per.normalized_variance.mean(),
                     "se": se.normalized_variance,
                     "predicted": g.predicted_normalized_variance.mean(),
                     "mean_s2": per.mean_s2.mean(), "mean_s2_se": se.mean_s2,
                     "predicted_mean_s2": g.predicted_mean_s2.mean()})
    out = pd.DataFrame(rows)
    out["z"] = (out.measured - out.predicted) / out.se
    return out


def summarize(configs, results, **_ignored) -> dict:
    """``{"singular_values", "summary"}`` of the cases (every singular value; per network and
    input), ``"density_theory"`` (the cases' free-probability density of ``log10(s / s_rms)``,
    :func:`density_theory`), ``"depth_sweep"`` (per init and depth: measured and predicted normalised variance,
    :func:`_depth_rows`) and ``"depth_theory"`` (the prediction at every depth,
    :func:`depth_theory`)."""
    main, sweep = results[: len(CASES)], results[len(CASES):]  # the order of :func:`cells`
    out = {"singular_values": pd.concat([r["singular_values"] for r in main], ignore_index=True),
           "summary": pd.concat([r["summary"] for r in main], ignore_index=True)}
    c = configs[0]
    x = mc.sample_inputs(c.n_inputs, c.d_in, c.input_seed)
    out["density_theory"] = pd.concat([density_theory(cfg.init, cfg.activation, cfg.depth,
                                                      cfg.width, x[: cfg.n_inputs])
                                       for cfg in configs[: len(CASES)]], ignore_index=True)
    if sweep:
        table = pd.concat([r["summary"] for r in sweep], ignore_index=True)
        out["depth_sweep"] = _depth_rows(table)
        c = configs[len(main)]
        x = mc.sample_inputs(c.n_inputs, c.d_in, c.input_seed)
        out["depth_theory"] = pd.concat(
            [depth_theory(i, int(table.depth.max()), c.width, x) for i in dict.fromkeys(table.init)],
            ignore_index=True)
        # the sigma_a = 0 orthogonal point's bounded spread: its value far past the sweep
        deep = depth_theory("edge_of_chaos_orthogonal", LIMIT_DEPTH, c.width, x)
        out["depth_limit"] = deep[deep.depth.isin([LIMIT_DEPTH // 4, LIMIT_DEPTH])].reset_index(
            drop=True)
    return out


def format_summary(summary: dict) -> str:
    s = summary["summary"]
    lines = [f"{'init':24s} {'mean s^2':>10s} {'exact law':>10s} {'zero':>6s} {'spread':>7s}"]
    for init, g in s.groupby("init", sort=False):
        lines.append(f"{init:24s} {g.mean_s2.mean():10.4g} {g.predicted_mean_s2.mean():10.4g} "
                     f"{g.frac_zero.mean():6.3f} {g.log10_spread.mean():7.3f}")
    if "depth_sweep" in summary:
        lines += ["", f"{'init':36s} {'depth':>5s} {'m2/m1^2-1':>10s} {'se':>7s} {'theory':>8s} "
                      f"{'z':>6s}"]
        for r in summary["depth_sweep"].itertuples():
            lines.append(f"{r.init:36s} {r.depth:5d} {r.measured:10.4g} {r.se:7.2g} "
                         f"{r.predicted:8.4g} {r.z:6.2f}")
    return "\n".join(lines)
