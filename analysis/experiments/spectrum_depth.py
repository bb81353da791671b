r"""Frequency content of initialised sine networks against depth (arXiv 2512.06427, Fig. 4).

Combette, Venaille and Pustelnik say that their edge-of-chaos initialisation keeps the spectrum
of the network function below the first-layer frequency omega_0, while the SIREN reference
spreads it to higher frequencies with depth. The cells are those of two
:class:`initaudit.analysis.spectrum.DepthSweepConfig` sweeps: every initialiser of fully
connected layers with 1-D inputs, and the SIREN / edge-of-chaos pair with 2-D inputs
(:func:`initaudit.analysis.spectrum.run_spectrum`). The evidence is the share of the 1-D output
spectrum's energy above omega_0 at the largest depth, per initialiser.

Theory (:mod:`initaudit.theory.spectral`): every cell carries the infinite-width expectation of
its measurement under the exact and the Gaussian law (columns ``predicted``,
``predicted_gaussian``); the summary adds ``theory``: the share of the energy above omega_0
that the window alone gives a band-limited network (the depth-1 edge-of-chaos network, whose units
are single tones below omega_0), and the band-limited share ``B_L`` of
:func:`initaudit.theory.spectral.band_limited_share` with its factor at the deepest layer, for
the edge-of-chaos points and SIREN.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from initaudit.analysis import spectrum as sp
from initaudit.analysis.evidence import Evidence
from initaudit.analysis.presets import check_preset

NAME = "spectrum-depth"
DESCRIPTION = ("output power spectrum of initialised sine networks against depth: energy above "
               "omega_0 and centroid, every fully connected initialiser")

#: The two initialisers of the claim (the 2-D sweep and the example spectra).
PAIR = ("siren", "edge_of_chaos")


@dataclass(frozen=True)
class Sizes:
    depths: tuple[int, ...]          # 1-D sweep: depths L, every initialiser
    width: int                       # 1-D sweep: hidden width N
    n_networks: int                  # 1-D sweep: networks per (initialiser, depth)
    max_points: int                  # 1-D sweep: largest grid the refinement may reach
    examples: tuple[int, ...]        # depths whose full 1-D spectra of PAIR are kept
    depths2d: tuple[int, ...]        # 2-D sweep (PAIR only): depths
    width2d: int                     # 2-D sweep: width
    n_networks2d: int                # 2-D sweep: networks per cell
    dtype2d: str                     # 2-D sweep: float32 keeps the 2-D grids in memory
    check_depth: int                 # theory check: PAIR at this depth (1-D) ...
    check_networks: int              # ... with this many networks (their own seed)


PRESETS = {
    "smoke": Sizes(depths=(2, 3), width=16, n_networks=2, max_points=2048, examples=(2, 3),
                   depths2d=(2, 3), width2d=8, n_networks2d=2, dtype2d="float64",
                   check_depth=3, check_networks=8),
    "cpu": Sizes(depths=(4, 8, 16, 32), width=256, n_networks=8, max_points=4096,
                 examples=(4, 16), depths2d=(4, 16), width2d=256, n_networks2d=4,
                 dtype2d="float32", check_depth=8, check_networks=256),
    "paper": Sizes(depths=(4, 8, 12, 16, 24, 32), width=1024, n_networks=32, max_points=16384,
                   examples=(4, 16), depths2d=(4, 8, 16, 32), width2d=512, n_networks2d=16,
                   dtype2d="float32", check_depth=8, check_networks=2048),
}


def sweep_config(preset: str, dims: int) -> sp.DepthSweepConfig:
    """The 1-D (every initialiser) or 2-D (:data:`PAIR`) sweep at ``preset``."""
    s = PRESETS[check_preset(preset)]
    if dims == 1:
        return sp.DepthSweepConfig(depths=s.depths, width=s.width, n_networks=s.n_networks,
                                   max_points=s.max_points)
    return sp.DepthSweepConfig(inits=PAIR, depths=s.depths2d, width=s.width2d,
                               n_networks=s.n_networks2d, dims=2, dtype=s.dtype2d)


#: Replicate seed of the theory-check cells: networks independent of the sweep's (seed 0).
CHECK_SEED = 1


def check_cells(preset: str) -> list[sp.SpectrumConfig]:
    """The theory check: :data:`PAIR` at the preset's ``check_depth`` with ``check_networks``
    networks (1-D, the sweep's width), seed :data:`CHECK_SEED`. The share of energy is skewed
    across networks, so the sweep's few networks per cell give Student-t scores that overstate
    deviations; these cells compare the mean with the prediction at a size where the mean is
    nearly normal."""
    s = PRESETS[check_preset(preset)]
    return [sp.SpectrumConfig(init=i, depth=s.check_depth, width=s.width,
                              n_networks=s.check_networks, max_points=s.max_points,
                              seed=CHECK_SEED).validate() for i in PAIR]


def cells(preset: str, seeds: int | None = None, **_ignored) -> list[sp.SpectrumConfig]:
    """Every cell of the 1-D sweep, then of the 2-D sweep, then the theory check
    (:func:`check_cells`). ``seeds`` is not used: the networks per cell are the preset's."""
    if seeds is not None:
        raise ValueError("spectrum-depth has no seeds option: its networks per cell are the "
                         "preset's (smoke, cpu or paper)")
    return (sp.sweep_cells(sweep_config(preset, 1)) + sp.sweep_cells(sweep_config(preset, 2))
            + check_cells(preset))


run_cell = sp.run_cell


def rows(table: pd.DataFrame, init: str, quantity: str, k: float | None = None) -> pd.DataFrame:
    """The sweep rows of one initialiser and quantity (at threshold ``k``), by depth."""
    sel = (table.init == init) & (table.quantity == quantity)
    if k is not None:
        sel &= table.k == k
    return table[sel].sort_values("depth")


def energy_evidence(sweep: pd.DataFrame) -> dict[str, Evidence]:
    """``energy_above_omega0_<init>``: share of the 1-D output spectrum's energy above omega_0
    at the largest depth (mean and Student-t 95% interval over networks)."""
    out = {}
    for init in dict.fromkeys(sweep.init):
        r = rows(sweep, init, "energy_above", 1.0)
        if r.empty:
            continue
        last = r.iloc[-1]
        out[f"energy_above_omega0_{init}"] = Evidence(
            last["mean"], last.lo, last.hi, int(last.n), unit="fraction of energy",
            what=(f"share of the output power spectrum above omega_0 at depth "
                  f"{int(last.depth)}, {init}, width {int(last.width)}, 1-D inputs"))
    return out


#: Initialisers whose band-limited share the summary reports.
BAND_INITS = ("edge_of_chaos", "edge_of_chaos_sigma_a1", "siren")


def band_theory(depths, width: int, omega0: float = sp.OMEGA0,
                inits: tuple[str, ...] = BAND_INITS) -> pd.DataFrame:
    """``B_L`` (:func:`initaudit.theory.spectral.band_limited_share`) at each depth, with the
    factor ``r`` and the input-dependent variance ``d`` of the deepest layer, for :data:`BAND_INITS`
    with 1-D inputs at ``x^2 = 1/3`` (the mean over [-1, 1]); ``inits``: default
    :data:`BAND_INITS`."""
    import numpy as np

    from initaudit.theory import spectral

    rows_ = []
    deepest = int(max(depths))
    for init in inits:
        spec = sp.network_spec(init, deepest, width, dims=1, omega0=omega0)
        res = spectral.band_limited_share(spec, np.array([np.sqrt(1.0 / 3.0)]))
        for depth in depths:
            rows_.append({"init": init, "depth": int(depth),
                          "band_share": float(res["share"][depth - 1]),
                          "r_deepest": float(res["factor"][-1]) if len(res["factor"]) else 1.0,
                          "d_deepest": (float(res["input_variance"][-1])
                                        if len(res["input_variance"]) else np.nan)})
    return pd.DataFrame(rows_)


def window_leakage(omega0: float = sp.OMEGA0, window: str = "hann") -> float:
    """The expected share above omega_0 of a band-limited network (edge of chaos at depth 1, 1-D:
    its units are tones below omega_0) through the estimator: what the window alone contributes."""
    spec = sp.network_spec("edge_of_chaos", 1, 256, dims=1, omega0=omega0)
    res = sp.theory_shares(spec, sp.default_points(omega0, 1, 1), 1, omega0, (1.0,), window)
    return float(res["energy_above"][1.0])


def summarize(configs, results, **_ignored) -> dict:
    """Sweep summaries (``sweep``: 1-D, every initialiser; ``sweep2d``: the pair), the full
    spectra of the pair at every depth (``examples``, ``examples2d``), the theory (``band``:
    :func:`band_theory`; ``window_leakage``: :func:`window_leakage`; ``check``: the summary rows
    of :func:`check_cells`) and the evidence."""
    out: dict = {}
    check = [(c, r) for c, r in zip(configs, results) if c.seed == CHECK_SEED]
    configs, results = zip(*[(c, r) for c, r in zip(configs, results) if c.seed != CHECK_SEED])
    if check:
        out["check"] = pd.concat([r["summary"] for _, r in check], ignore_index=True)
    for dims, key, ex_key in ((1, "sweep", "examples"), (2, "sweep2d", "examples2d")):
        mine = [(c, r) for c, r in zip(configs, results) if c.dims == dims]
        out[key] = pd.concat([r["summary"] for _, r in mine], ignore_index=True)
        out[ex_key] = pd.concat([r["spectrum"] for c, r in mine if c.init in PAIR],
                                ignore_index=True)
    out["evidence"] = energy_evidence(out["sweep"])
    one = [c for c in configs if c.dims == 1]
    if one:
        out["band"] = band_theory(sorted({c.depth for c in one}), one[0].width, one[0].omega0)
        out["window_leakage"] = window_leakage(one[0].omega0, one[0].window)
    return out


def format_summary(summary: dict) -> str:
    lines = [f"{'evidence':44s} {'estimate':>9s}  95% interval"]
    for key, ev in summary["evidence"].items():
        lines.append(f"{key:44s} {ev.mean:9.4f}  [{ev.lo:.4f}, {ev.hi:.4f}] {ev.unit}")
    return "\n".join(lines)
