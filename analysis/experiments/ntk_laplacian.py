r"""The kernel of the Poisson experiment's residual loss, measured against its infinite-width limit.

The physics-informed loss of :mod:`analysis.experiments.poisson` is ``mean (Lap u(x) + f(x))^2``
plus a boundary term. Under gradient flow its residual moves by the NTK of the map
``theta -> Lap u_theta``,

    Theta_Lap(x, x') = sum_theta d(Lap u(x))/d theta  d(Lap u(x'))/d theta
                     = Lap_x Lap_x' Theta(x, x'),

not by the NTK of ``u`` itself: the source's open question 3 (non-quadratic or non-standard
losses) for the one such loss the package runs. Its infinite-width limit per unit of width is
:func:`initaudit.theory.kernels.laplacian_ntk` (central differences of the exact-law kernel,
Richardson-extrapolated). Each cell draws the Poisson experiment's own networks of one arm
(:func:`analysis.experiments.poisson.arm_spec`, the seeds' init stream) at one width and forms
``Theta_Lap / N`` exactly: ``Lap u`` by the forward Laplacian
(:func:`analysis.experiments.poisson.forward_laplacian`), its Jacobian in every parameter by
``torch.func.jacrev``, in float64, on a grid of points inside the square.

The summary gives, per arm and width, the relative Frobenius distance of each network's kernel
to the limit (mean and standard error over networks) and of the networks' mean kernel, the ratio
of the mean diagonals, and the eigenvalues of both; the distance's power law in N per arm; and
the theory's own numerical error. The weights of fan-in N carry the limit; the first layer and
the biases add ``O(1/N)`` relative to it, which the measured kernel includes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from initaudit.analysis.presets import check_preset
from initaudit.theory.checks import int_at_least

NAME = "ntk-laplacian"
DESCRIPTION = ("the kernel of the Poisson residual loss, Lap_x Lap_x' of the NTK: finite networks "
               "against the exact-law infinite-width limit, by width")

#: The arms measured: the source's two unit-gain points and the SIREN reference.
ARMS = ("edge_of_chaos", "edge_of_chaos_sigma_a1", "siren")


@dataclass(frozen=True)
class Sizes:
    depth: int               # depth L (the Poisson experiment's smallest)
    widths: tuple[int, ...]  # widths N (the Jacobian has P x ~L N^2 entries: keep N moderate)
    grid: int                # points per side of the grid on [-0.8, 0.8]^2 (P = grid^2)
    n_networks: int          # networks per (arm, width)


PRESETS = {
    "smoke": Sizes(depth=2, widths=(16, 32), grid=3, n_networks=2),
    "cpu": Sizes(depth=4, widths=(64, 128, 256, 512), grid=6, n_networks=6),
    "paper": Sizes(depth=4, widths=(64, 128, 256, 512, 1024), grid=8, n_networks=16),
}

#: Half-side of the square the kernel's points fill (inside the Poisson domain [-1, 1]^2).
HALF_SIDE = 0.8


@dataclass(frozen=True)
class LaplacianNTKCell:
    """One (arm, width): the kernel of ``n_networks`` networks and its limit.

    Attributes:
        init: Poisson arm (:data:`analysis.experiments.poisson.ARMS`).
        depth: L.
        width: N.
        grid: points per side (P = grid^2 points on ``[-HALF_SIDE, HALF_SIDE]^2``).
        n_networks: networks, drawn from seeds 0 .. n_networks - 1 (the Poisson experiment's
            init stream).
        omega0: the Poisson experiment's first-layer frequency (None: its default).
    """

    init: str
    depth: int
    width: int
    grid: int
    n_networks: int
    omega0: float | None = None


def points(grid: int) -> np.ndarray:
    """The ``grid x grid`` points of ``[-HALF_SIDE, HALF_SIDE]^2`` (float64, "ij" order)."""
    t = np.linspace(-HALF_SIDE, HALF_SIDE, int_at_least(grid, 2, "grid"))
    return np.stack(np.meshgrid(t, t, indexing="ij"), axis=-1).reshape(-1, 2)


class _LaplacianOutput(torch.nn.Module):
    """``Lap u`` of a sine MLP as a module, so that torch.func can swap its parameters."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        from initaudit.analysis.experiments.poisson import forward_laplacian

        return forward_laplacian(self.net, x)[1]


def empirical_kernel(net, x: np.ndarray) -> np.ndarray:
    """``sum_theta d(Lap u(x_p))/d theta d(Lap u(x_q))/d theta`` over every parameter of ``net``
    (float64; P x P)."""
    module = _LaplacianOutput(net)
    params = {k: v.detach() for k, v in module.named_parameters()}
    xt = torch.as_tensor(x, dtype=next(iter(params.values())).dtype)
    jac = torch.func.jacrev(lambda p: torch.func.functional_call(module, p, (xt,)))(params)
    rows = torch.cat([j.reshape(x.shape[0], -1) for j in jac.values()], dim=1)
    return (rows @ rows.T).numpy()


def run_cell(cfg: LaplacianNTKCell) -> dict:
    """``{"empirical": (S, P, P) kernels / N, "theory": (P, P) limit, "theory_error": float}``."""
    from initaudit.analysis.experiments import poisson
    from initaudit.analysis.experiments.sine_fit import hidden_matrix
    from initaudit.models import seeds
    from initaudit.models.mlp import build_mlp
    from initaudit.theory.kernels import laplacian_ntk

    omega0 = poisson.DEFAULT_OMEGA0 if cfg.omega0 is None else cfg.omega0
    spec = poisson.arm_spec(cfg.init, cfg.width, cfg.depth, omega0)
    x = points(cfg.grid)
    kernels = []
    for seed in range(cfg.n_networks):
        net = build_mlp(spec, seeds.torch_generator(seed, seeds.STREAM_INIT), torch.float64,
                        hidden_matrix=hidden_matrix(cfg.init))
        kernels.append(empirical_kernel(net, x) / cfg.width)
    theory, error = laplacian_ntk(spec, x)
    return {"empirical": np.array(kernels), "theory": theory, "theory_error": error}


def cells(preset: str, seeds: int | None = None, **_ignored) -> list[LaplacianNTKCell]:
    """One cell per (arm, width); ``seeds`` sets the networks per cell (at least 2)."""
    size = PRESETS[check_preset(preset)]
    n = size.n_networks if seeds is None else seeds
    n = int_at_least(n, 2, "seeds (networks per cell)")
    return [LaplacianNTKCell(init=arm, depth=size.depth, width=w, grid=size.grid, n_networks=n)
            for arm in ARMS for w in size.widths]


def _distance(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def summarize(configs, results, **_ignored) -> dict:
    """``summary`` (per arm and width: distances, diagonal ratio, theory error), ``fit`` (per
    arm: the exponent of the mean single-network distance in N, least squares in log-log with
    its standard error) and ``eigenvalues`` (per arm and width: the kernels' eigenvalues in
    decreasing order, theory and the networks' mean, each over its trace)."""
    rows, eig_rows = [], []
    for cfg, res in zip(configs, results):
        emp, th = res["empirical"], res["theory"]
        dists = np.array([_distance(k, th) for k in emp])
        mean = emp.mean(axis=0)
        diag = np.array([np.mean(np.diag(k)) for k in emp]) / np.mean(np.diag(th))
        rows.append({"init": cfg.init, "depth": cfg.depth, "width": cfg.width,
                     "n_networks": len(emp), "points": th.shape[0],
                     "distance": dists.mean(),
                     "distance_se": dists.std(ddof=1) / math.sqrt(len(emp)),
                     "distance_of_mean": _distance(mean, th), "diag_ratio": diag.mean(),
                     "diag_ratio_se": diag.std(ddof=1) / math.sqrt(len(emp)),
                     "theory_error": res["theory_error"],
                     "theory_diag": float(np.mean(np.diag(th)))})
        for which, k in (("theory", th), ("empirical", mean)):
            ev = np.sort(np.linalg.eigvalsh(k))[::-1]
            eig_rows += [{"init": cfg.init, "width": cfg.width, "kernel": which, "index": i,
                          "eigenvalue": v, "share": v / ev.sum()} for i, v in enumerate(ev)]
    summary = pd.DataFrame(rows)
    fits = []
    for init, g in summary.groupby("init", sort=False):
        if len(g) < 2:
            continue
        lx, ly = np.log(g.width.to_numpy(float)), np.log(g.distance.to_numpy(float))
        if len(g) > 2:  # with two widths the line fits exactly and has no standard error
            coef, cov = np.polyfit(lx, ly, 1, cov=True)
            se = float(math.sqrt(cov[0, 0]))
        else:
            coef, se = np.polyfit(lx, ly, 1), math.nan
        fits.append({"init": init, "exponent": float(coef[0]), "exponent_se": se,
                     "widths": len(g)})
    return {"summary": summary, "fit": pd.DataFrame(fits), "eigenvalues": pd.DataFrame(eig_rows)}


def format_summary(summary: dict) -> str:
    lines = [f"{'init':24s} {'N':>5s} {'distance':>9s} {'se':>6s} {'of mean':>8s} {'diag':>6s} "
             f"{'theory err':>10s}"]
    for r in summary["summary"].itertuples():
        lines.append(f"{r.init:24s} {r.width:5d} {r.distance:9.3f} {r.distance_se:6.3f} "
                     f"{r.distance_of_mean:8.3f} {r.diag_ratio:6.3f} {r.theory_error:10.1e}")
    for r in summary["fit"].itertuples():
        lines.append(f"{r.init}: distance ~ N^{r.exponent:+.2f} (se {r.exponent_se:.2f})")
    return "\n".join(lines)
