r"""Physics-informed sine networks on a 2-D Poisson problem, per initialiser and depth.

The claim
    Combette, Venaille and Pustelnik (arXiv 2512.06427) report that sine networks initialised on
    their unit-gain ("edge of chaos") curve solve physics-informed problems more accurately than
    the SIREN reference initialisation (Sitzmann et al. 2020, arXiv 2006.09661). Here the same
    network, optimiser and data stream are trained from each initialisation on one manufactured
    Poisson problem, and the error against the exact solution is compared seed by seed.

The problem
    ``-Lap u = f`` on ``Omega = [-1, 1]^2`` with the Dirichlet condition ``u = g`` on the boundary,
    and the manufactured solution (a sum of separable modes, :data:`DEFAULT_MODES`)::

        u*(x, y) = sum_j A_j sin(pi k_j x + phi_j) sin(pi l_j y + psi_j)
        f(x, y)  = -Lap u* = sum_j A_j pi^2 (k_j^2 + l_j^2) sin(pi k_j x + phi_j) sin(pi l_j y + psi_j)
        g        = u* on the boundary.

    The default is ``u* = sin(pi x) sin(2 pi y) + (1/4) cos(4 pi x) sin(5 pi y)``: a low mode and
    a mode with 2.5 to 4 times its wavenumbers. The high mode is small in ``u*`` but dominates
    ``f`` (amplitude ``41 pi^2/4 ~ 101`` against ``5 pi^2 ~ 49``), and its boundary value
    ``(1/4) sin(5 pi y)`` on ``x = +-1`` is not zero. The source is written in closed form; the
    tests check it against the autograd Laplacian of ``u*`` in float64.

The network
    A sine MLP in the package's folded form (:mod:`models.mlp`): ``z_1 = W_0 x + b_0``,
    ``h_l = sin(z_l)``, ``z_{l+1} = W_l h_l + b_l``, ``u = W_L h_L + b_L``, drawn by
    :func:`models.mlp.build_mlp` from the :class:`theory.spec.NetworkSpec` of each arm
    (:data:`ARMS`, :func:`arm_spec`):

    ``siren``
        the reference (Sitzmann et al. 2020): first layer ``U(+-omega_0/d)`` with bias
        ``U(+-omega_0/sqrt(d))``; hidden ``c_w = sqrt(6)``, bias ``U(+-omega_0/sqrt(N))``;
        readout ``U(+-sqrt(6/N)/omega_0)``; the same omega_0 in the first and hidden layers.
    ``edge_of_chaos``, ``edge_of_chaos_sigma_a1``
        the unit-gain points ``sigma_a = 0`` (``(c_w, c_b) = (sqrt(3), 0)``) and ``sigma_a = 1``;
        first layer ``U(+-omega_0/d)``, zero bias; readout ``U(+-sqrt(3/N))``, zero bias.
    ``ordered``, ``chaotic``
        off the unit-gain curve at the ``(c_w, c_b)`` of :data:`models.init.SINE_POINTS`
        (``(1.5, 0.5)``, ``sigma_g^2 ~ 0.62``; ``(2.4, 0)``, ``sigma_g^2 ~ 1.18``) with the
        edge-of-chaos first layer and readout, so that only the hidden layers differ from the
        unit-gain arms.
    ``edge_of_chaos_orthogonal``, ``edge_of_chaos_orthogonal_sigma_a1``
        the package's variants of the two unit-gain points with Haar-orthogonal hidden weights of
        the same variance (``build_mlp(..., hidden_matrix="orthogonal")``); the first runs by
        default, beside the source's rule, the second on request.

    *omega_0.* Every arm uses the same omega_0 (:data:`DEFAULT_OMEGA0`), the frequency the first
    layer multiplies its input by: first-layer weights ``U(+-omega_0/d)`` with ``d = 2``. The
    Laplacian of a sine network scales like omega_0^2 at initialisation, so the residual
    ``Lap u + f`` starts large for a large omega_0 and the same learning rate then moves the
    network slowly. In trial runs (depth 4, 600 steps, one seed) at omega_0 = 30, SIREN's
    default, no arm reduced its error by more than 35 %, while at omega_0 = 10 every arm reduced
    it at least ten-fold (the deeper layers create the harmonics that the first layer's band,
    ``|w| <= omega_0 / 2 = 5``, does not carry). Any value can be run (``--omega0``); the
    published-scale preset keeps the same default, so the presets agree. The learning rate and
    its schedule, the step count, the collocation stream and the loss are the same for every
    arm too.

The loss
    ::

        L(theta) = mean_{x in C_t} (Lap u_theta(x) + f(x))^2 / F^2
                   + lambda * mean_{x in B_t} (u_theta(x) - g(x))^2

    with ``F^2`` the mean of ``f^2`` over the evaluation grid (a constant of the problem, so the
    residual term is a relative squared error of order 1 at the start, like the boundary term
    for ``|u*| ~ 1``) and ``lambda`` = ``boundary_weight`` (default 1). ``C_t``:
    ``n_collocation`` points uniform in the square; ``B_t``: ``n_boundary`` points uniform on its
    perimeter; both are drawn afresh at every step from a ``torch.Generator`` on the seed's
    points stream (:mod:`initaudit.models.seeds`), so every arm and depth of one seed sees the
    same points (the comparisons are paired). Adam (Kingma and Ba 2015) with an exponentially decaying learning rate,
    ``lr_k = lr * lr_decay^(k / steps)`` (default 1e-3 to 1e-4), so that the last iterates do not
    jitter at the full step size and the final error is a stable read-out.

    ``Lap u_theta`` is computed one of two ways (``laplacian``):

    ``forward`` (default)
        the exact Laplacian carried forward through the layers with the activations (the
        "forward Laplacian" of Li et al. 2023, arXiv 2307.08214): for ``z = W h + b``,
        ``d_i z = W d_i h`` and ``Lap z = W Lap h``; for ``h = sin z``, ``d_i h = cos z d_i z`` and
        ``Lap h = cos z Lap z - sin z sum_i (d_i z)^2``. One pass of ``d + 2`` matrix products per
        layer, then one backward pass for the parameter gradient.
    ``autograd``
        ``torch.autograd.grad`` of the output, then of each of its ``d`` input derivatives, with
        ``create_graph=True``: two nested backward passes before the parameter gradient.

    Both give the same numbers up to rounding (tested in float64 at 1e-10); the forward one takes
    about two thirds of the time per training step (measured on one CPU thread, width 64,
    512 points, depths 4 and 8).

The measurements
    The relative L2 error ``||u_theta - u*||_2 / ||u*||_2`` (:func:`relative_l2`) on a uniform
    ``n x n`` grid of the closed square (boundary included), every ``eval_every`` steps, and the
    two loss terms at every step. Errors span decades, so intervals and comparisons use
    ``log10`` of the error (a difference of ``-1`` is a ten times smaller error); the tables
    also give the geometric mean. A run whose loss becomes non-finite stops there and is counted
    as diverged (its error is nan and drops out of the paired comparisons, with the pair count
    ``n`` saying so).

    :func:`summarize` returns curves and final errors per (arm, depth) with t-intervals over
    seeds, paired differences of ``log10`` final error of every arm against ``siren`` per depth
    and pooled over depths (each seed's mean over depths, then paired over seeds), with Holm's
    adjustment over the family, and the ``evidence`` records of the claims ledger.

Presets (arms: siren, edge_of_chaos, edge_of_chaos_sigma_a1, chaotic, edge_of_chaos_orthogonal;
width N; depths L)

    =======  =====  ============  ======  ======================  ===========  =====
    preset   N      L             steps   points (coll./bound.)   eval grid    seeds
    =======  =====  ============  ======  ======================  ===========  =====
    smoke    16     2, 3          30      64 / 32                 17 x 17      2
    cpu      64     4, 8          500     512 / 128               101 x 101    3
    paper    256    4, 8, 16, 32  10000   4096 / 1024             201 x 201    10
    =======  =====  ============  ======  ======================  ===========  =====

    Adam from learning rate 1e-3 decaying exponentially to 1e-4 at the last step, and
    omega_0 = 10, at every preset; float32 networks, trained on the GPU when there is one
    (networks and points are drawn on the CPU first). Each run uses one torch CPU thread: at these
    widths intra-op threads cost more than they gain (measured on a shared two-core machine, a
    cpu-preset step took more than ten times longer with two threads than with one), so
    parallelism comes from running cells side by side (``--executor process``).
"""

from __future__ import annotations

import argparse
import math
from dataclasses import asdict, dataclass
from typing import Callable, Sequence

import numpy as np
import torch
from torch import nn

from initaudit.analysis.experiment import seeds_for, torch_threads
from initaudit.analysis.presets import check_preset, scaled
from initaudit.analysis.evidence import Evidence
from initaudit.theory.checks import choice, positive_int
from initaudit.models.device import resolve_device
from initaudit.models import seeds

NAME = "poisson"
#: What the ``budget`` option scales (``initaudit experiment NAME --budget K``).
BUDGET = "steps"
DESCRIPTION = ("physics-informed sine networks on a 2-D Poisson problem: error against the exact "
               "solution vs steps, per initialiser and depth")

__all__ = [
    "ARMS", "BASELINE", "DEFAULT_MODES", "DEFAULT_OMEGA0", "LAPLACIANS", "PRESETS", "PoissonCell",
    "Sizes", "add_arguments", "arm_spec", "autograd_laplacian", "boundary_points", "cells",
    "collocation_points", "error_maps", "evaluation_grid", "exact_solution", "format_summary",
    "forward_laplacian", "relative_l2", "run_cell", "source_term", "summarize",
]

# ----------------------------------------------------------------------------------------------
# Named settings

#: Modes of the manufactured solution, ``(A, k, l, phi, psi)`` for the term
#: ``A sin(pi k x + phi) sin(pi l y + psi)``: ``sin(pi x) sin(2 pi y) + (1/4) cos(4 pi x) sin(5 pi y)``.
DEFAULT_MODES: tuple[tuple[float, float, float, float, float], ...] = (
    (1.0, 1.0, 2.0, 0.0, 0.0),
    (0.25, 4.0, 5.0, math.pi / 2, 0.0),
)
#: Input dimension of the problem (x, y).
D_IN = 2
#: First-layer frequency shared by every arm (module docstring, "omega_0").
DEFAULT_OMEGA0 = 10.0
#: Adam learning rate shared by every arm.
DEFAULT_LR = 1e-3
#: Factor the learning rate decays by over a run (exponential schedule), shared by every arm.
DEFAULT_LR_DECAY = 0.1
#: Weight lambda of the boundary term.
DEFAULT_BOUNDARY_WEIGHT = 1.0
#: Ways to compute the Laplacian of the network.
LAPLACIANS = ("forward", "autograd")
#: The reference arm every other arm is compared with.
BASELINE = "siren"


#: Arms (catalogue names; labels and specs from :mod:`models.catalogue`).
ARMS = ("siren", "edge_of_chaos", "edge_of_chaos_sigma_a1", "ordered", "chaotic",
        "edge_of_chaos_orthogonal", "edge_of_chaos_orthogonal_sigma_a1")
#: Arms run when the caller names none.
DEFAULT_ARMS = ("siren", "edge_of_chaos", "edge_of_chaos_sigma_a1", "chaotic",
                "edge_of_chaos_orthogonal")

@dataclass(frozen=True)
class Sizes:
    width: int               # hidden width N
    depths: tuple[int, ...]  # hidden layers of the depth sweep
    steps: int               # Adam steps
    n_collocation: int       # interior collocation points (resampled each step)
    n_boundary: int          # boundary points per step
    eval_points: int         # side of the evaluation grid
    eval_every: int          # steps between evaluations
    seeds: int               # seeds per (arm, depth)


PRESETS = {
    "smoke": Sizes(width=16, depths=(2, 3), steps=30, n_collocation=64, n_boundary=32,
                   eval_points=17, eval_every=10, seeds=2),
    "cpu": Sizes(width=64, depths=(4, 8), steps=500, n_collocation=512, n_boundary=128,
                 eval_points=101, eval_every=25, seeds=3),
    "paper": Sizes(width=256, depths=(4, 8, 16, 32), steps=10_000, n_collocation=4096,
                   n_boundary=1024, eval_points=201, eval_every=250, seeds=10),
}


# ----------------------------------------------------------------------------------------------
# The manufactured problem


def _check_modes(modes) -> tuple[tuple[float, ...], ...]:
    try:
        out = tuple(tuple(float(v) for v in m) for m in modes)
    except (TypeError, ValueError):
        raise ValueError("modes must be a sequence of (A, k, l, phi, psi) number tuples, got "
                         f"{modes!r}") from None
    if not out or any(len(m) != 5 for m in out):
        raise ValueError("modes must be a non-empty sequence of 5-tuples (A, k, l, phi, psi), "
                         f"got {modes!r}")
    if not all(math.isfinite(v) for m in out for v in m):
        raise ValueError(f"modes must be finite, got {modes!r}")
    return out


def _points(x) -> torch.Tensor:
    if not isinstance(x, torch.Tensor):
        x = torch.as_tensor(np.asarray(x, dtype=np.float64))
    if x.dim() != 2 or x.shape[1] != D_IN:
        raise ValueError(f"points must have shape (P, {D_IN}), got {tuple(x.shape)}")
    return x


def exact_solution(x, modes=DEFAULT_MODES) -> torch.Tensor:
    """The manufactured solution ``u*(x, y) = sum_j A_j sin(pi k_j x + phi_j) sin(pi l_j y + psi_j)``.

    Args:
        x: points, shape (P, 2) (tensor or array; differentiable when a tensor).
        modes: ``(A, k, l, phi, psi)`` per term (:data:`DEFAULT_MODES`).

    Returns:
        ``u*`` at the points, shape (P,), in the dtype of ``x``.
    """
    x = _points(x)
    out = torch.zeros_like(x[:, 0])
    for a, k, l, phi, psi in _check_modes(modes):
        out = out + a * torch.sin(math.pi * k * x[:, 0] + phi) * torch.sin(math.pi * l * x[:, 1] + psi)
    return out


def source_term(x, modes=DEFAULT_MODES) -> torch.Tensor:
    """The source ``f = -Lap u* = sum_j A_j pi^2 (k_j^2 + l_j^2) sin(...) sin(...)`` in closed form.

    Each separable mode is an eigenfunction of the Laplacian:
    ``Lap [sin(a x + phi) sin(b y + psi)] = -(a^2 + b^2) sin(a x + phi) sin(b y + psi)``.

    Args:
        x: points, shape (P, 2).
        modes: as for :func:`exact_solution`.

    Returns:
        ``f`` at the points, shape (P,).
    """
    x = _points(x)
    out = torch.zeros_like(x[:, 0])
    for a, k, l, phi, psi in _check_modes(modes):
        scale = a * math.pi ** 2 * (k * k + l * l)
        out = out + scale * torch.sin(math.pi * k * x[:, 0] + phi) * torch.sin(math.pi * l * x[:, 1] + psi)
    return out


def evaluation_grid(n: int, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """The ``n x n`` uniform grid of ``[-1, 1]^2`` (boundary included), shape (n*n, 2).

    Row ``i * n + j`` is ``(t_i, t_j)`` with ``t = linspace(-1, 1, n)``, so reshaping a value
    vector to ``(n, n)`` puts x along the first axis.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
        raise ValueError(f"the evaluation grid needs n >= 2 points per side, got {n!r}")
    t = torch.linspace(-1.0, 1.0, int(n), dtype=dtype)
    gx, gy = torch.meshgrid(t, t, indexing="ij")
    return torch.stack([gx.reshape(-1), gy.reshape(-1)], dim=1)


def collocation_points(n: int, generator: torch.Generator,
                       dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """``n`` points uniform in ``[-1, 1)^2`` from ``generator``, shape (n, 2)."""
    return torch.rand(n, D_IN, generator=generator, dtype=dtype) * 2.0 - 1.0


def boundary_points(n: int, generator: torch.Generator,
                    dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """``n`` points uniform on the perimeter of ``[-1, 1]^2``, shape (n, 2).

    Each point picks one of the four sides with probability 1/4 (they have equal length) and a
    position uniform along it: sides 0, 1 are ``x = -1, +1``; sides 2, 3 are ``y = -1, +1``.
    """
    side = torch.randint(0, 4, (n,), generator=generator)
    along = torch.rand(n, generator=generator, dtype=dtype) * 2.0 - 1.0
    fixed = torch.where(side % 2 == 0, -1.0, 1.0).to(dtype)
    on_x = side < 2
    x = torch.where(on_x, fixed, along)
    y = torch.where(on_x, along, fixed)
    return torch.stack([x, y], dim=1)


def relative_l2(estimate, target) -> float:
    """Relative L2 error ``||estimate - target||_2 / ||target||_2`` over all entries.

    On a uniform grid this is the discrete form of ``||u - u*||_{L2(Omega)} / ||u*||_{L2(Omega)}``.

    Raises:
        ValueError: shapes differ, or the target is all zero (the ratio is undefined).
    """
    a = np.asarray(estimate, dtype=np.float64)
    b = np.asarray(target, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"estimate and target shapes differ: {a.shape} vs {b.shape}")
    norm = float(np.sqrt(np.sum(b * b)))
    if norm == 0.0:
        raise ValueError("the target is all zero; its relative error is undefined")
    return float(np.sqrt(np.sum((a - b) ** 2)) / norm)


# ----------------------------------------------------------------------------------------------
# Laplacians of a network


def autograd_laplacian(fn: Callable[[torch.Tensor], torch.Tensor],
                       x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``(u, Lap u)`` at ``x`` by nested reverse-mode autograd, differentiable in the parameters.

    ``g = grad(sum u, x)``, then ``Lap u = sum_i grad(sum g_i, x)_i``, all with ``create_graph``.
    Correct for any ``fn`` that maps each row independently (no batch coupling).

    Args:
        fn: maps points (P, d) to values (P,) or (P, 1).
        x: points (P, d); not modified (a detached copy is differentiated).

    Returns:
        ``u`` (P,) and ``Lap u`` (P,).
    """
    x = x.detach().clone().requires_grad_(True)
    u = fn(x)
    if u.dim() == 2 and u.shape[1] == 1:
        u = u[:, 0]
    if u.shape != x.shape[:1]:
        raise ValueError(f"fn must return one value per point, got shape {tuple(u.shape)}")
    (grad,) = torch.autograd.grad(u.sum(), x, create_graph=True)
    lap = torch.zeros_like(u)
    for i in range(x.shape[1]):
        (second,) = torch.autograd.grad(grad[:, i].sum(), x, create_graph=True)
        lap = lap + second[:, i]
    return u, lap


def forward_laplacian(net: nn.Sequential, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``(u, Lap u)`` of a sine MLP by propagating the Laplacian forward (Li et al. 2023).

    Carries, for the current layer's vector ``h`` (P, N), its input Jacobian ``J`` (P, d, N) and
    Laplacian ``Lap h`` (P, N): a linear layer maps ``J -> J W^T``, ``Lap h -> (Lap h) W^T``; the
    sine maps ``J -> cos(z) J`` and ``Lap -> cos(z) Lap z - sin(z) sum_i J_i^2``. The input has
    ``J = I`` and ``Lap x = 0``. Differentiable in the parameters.

    Args:
        net: an ``nn.Sequential`` of ``nn.Linear`` and sine activations
            (:class:`models.mlp.MLP` with activation "sin"), one output.
        x: points (P, d).

    Returns:
        ``u`` (P,) and ``Lap u`` (P,).

    Raises:
        ValueError: a module other than ``nn.Linear`` or a sine activation, or several outputs.
    """
    h = x
    jac: torch.Tensor | None = None  # None stands for the identity (d h/d x at the input)
    lap: torch.Tensor | None = None  # None stands for zero
    for module in net:
        if isinstance(module, nn.Linear):
            w = module.weight
            h = module(h)
            jac = w.T.expand(x.shape[0], -1, -1) if jac is None else jac @ w.T
            lap = None if lap is None else lap @ w.T
        elif getattr(module, "name", None) == "sin":
            if jac is None:
                raise ValueError("forward_laplacian needs a linear layer before the first sine")
            c, s = torch.cos(h), torch.sin(h)
            sq = (jac * jac).sum(dim=1)
            lap = -s * sq if lap is None else c * lap - s * sq
            jac = c.unsqueeze(1) * jac
            h = s
        else:
            raise ValueError("forward_laplacian supports nn.Linear and sine activations only, got "
                             f"{type(module).__name__}; use autograd_laplacian for other modules")
    if h.shape[1] != 1:
        raise ValueError(f"forward_laplacian needs a single output, got {h.shape[1]}")
    if lap is None:
        lap = torch.zeros_like(h)
    return h[:, 0], lap[:, 0]


# ----------------------------------------------------------------------------------------------
# Arms


def _check_arm(name: str) -> str:
    if name not in ARMS:
        raise ValueError(f"unknown initialiser {name!r} for the poisson experiment; valid names "
                         f"are {', '.join(ARMS)}")
    return name


def arm_spec(name: str, width: int, depth: int, omega0: float = DEFAULT_OMEGA0):
    """The :class:`theory.spec.NetworkSpec` of an arm (module docstring, "The network").

    Every arm is a catalogue entry; its spec is :func:`models.catalogue.spec` (first and hidden
    omega_0 of SIREN both ``omega0``).
    """
    from initaudit.models import catalogue

    _check_arm(name)
    if not (isinstance(omega0, (int, float)) and math.isfinite(omega0) and omega0 > 0):
        raise ValueError(f"omega0 must be a positive finite number, got {omega0!r}")
    return catalogue.spec(name, D_IN, width, depth, omega0=float(omega0))


# ----------------------------------------------------------------------------------------------
# Cells


@dataclass(frozen=True)
class PoissonCell:
    """One training run: an arm at a depth and a seed.

    Attributes:
        init: arm name (:data:`ARMS`).
        depth: activated layers L.
        width: hidden width N.
        seed: the replicate: the network and the collocation and boundary points draw from
            its streams (:mod:`initaudit.models.seeds`).
        steps: Adam steps.
        lr: Adam learning rate at the first step.
        lr_decay: factor the learning rate has shrunk by after the last step (exponential
            schedule ``lr_k = lr * lr_decay^(k / steps)``; 1 keeps it constant).
        omega0: first-layer frequency (SIREN: first and hidden).
        n_collocation: interior points per step.
        n_boundary: boundary points per step.
        boundary_weight: lambda of the boundary term.
        eval_points: points per side of the evaluation grid.
        eval_every: steps between two evaluations of the error (the last step is always one).
        modes: the manufactured solution (:data:`DEFAULT_MODES`).
        laplacian: "forward" or "autograd".
        dtype: "float32" or "float64".
    """

    init: str
    depth: int
    width: int
    seed: int
    steps: int
    lr: float = DEFAULT_LR
    lr_decay: float = DEFAULT_LR_DECAY
    omega0: float = DEFAULT_OMEGA0
    n_collocation: int = 512
    n_boundary: int = 128
    boundary_weight: float = DEFAULT_BOUNDARY_WEIGHT
    eval_points: int = 101
    eval_every: int = 25
    modes: tuple = DEFAULT_MODES
    laplacian: str = "forward"
    dtype: str = "float32"

    def __post_init__(self):
        _check_arm(self.init)
        for what in ("depth", "width", "steps", "n_collocation", "n_boundary", "eval_every"):
            positive_int(getattr(self, what), what)
        if isinstance(self.seed, bool) or not isinstance(self.seed, (int, np.integer)) or self.seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {self.seed!r}")
        if isinstance(self.eval_points, bool) or not isinstance(self.eval_points, (int, np.integer)) \
                or self.eval_points < 2:
            raise ValueError(f"eval_points must be an integer >= 2, got {self.eval_points!r}")
        for what in ("lr", "omega0"):
            val = getattr(self, what)
            if not (isinstance(val, (int, float)) and math.isfinite(val) and val > 0):
                raise ValueError(f"{what} must be a positive finite number, got {val!r}")
        if not (isinstance(self.lr_decay, (int, float)) and 0 < self.lr_decay <= 1):
            raise ValueError(f"lr_decay must lie in (0, 1] (1: constant rate), got {self.lr_decay!r}")
        bw = self.boundary_weight
        if not (isinstance(bw, (int, float)) and math.isfinite(bw) and bw >= 0):
            raise ValueError(f"boundary_weight must be a non-negative finite number, got {bw!r}")
        choice(self.laplacian, LAPLACIANS, "laplacian")
        choice(self.dtype, ("float32", "float64"), "dtype")
        _check_modes(self.modes)

    def checkpoints(self) -> np.ndarray:
        """Steps after which the error is measured: 0, eval_every, 2 eval_every, ..., steps."""
        return np.unique(np.r_[np.arange(0, self.steps, self.eval_every), self.steps]).astype(int)


def _arm_list(inits) -> tuple[str, ...]:
    if inits is None:
        return DEFAULT_ARMS
    if isinstance(inits, str):
        inits = [s.strip() for s in inits.split(",") if s.strip()]
    names = tuple(dict.fromkeys(inits))
    if not names:
        raise ValueError(f"inits must name at least one of {', '.join(ARMS)}")
    for name in names:
        _check_arm(name)
    return names


def _depth_list(depths, preset_depths) -> tuple[int, ...]:
    if depths is None:
        return tuple(preset_depths)
    if isinstance(depths, str):
        try:
            depths = [int(s) for s in depths.split(",") if s.strip()]
        except ValueError:
            raise ValueError(f"depths must be comma-separated positive integers, got {depths!r}") \
                from None
    out = tuple(dict.fromkeys(int(d) for d in depths))
    if not out or any(d < 1 for d in out):
        raise ValueError(f"depths must be positive integers, got {depths!r}")
    return out


def cells(preset: str, seeds: int | None = None, *, inits=None, depths=None, omega0=None,
          lr=None, lr_decay=None, steps=None, laplacian=None, boundary_weight=None,
          budget=None, **_ignored) -> list[PoissonCell]:
    """Every (arm, depth, seed) run of a preset.

    Args:
        preset: ``smoke``, ``cpu`` or ``paper`` (sizes in the module docstring).
        seeds: number of seeds (the preset's when None).
        inits: arm names (a list or a comma-separated string); :data:`DEFAULT_ARMS` when None.
        depths: depths (list or comma-separated string); the preset's when None.
        omega0, lr, lr_decay, steps, laplacian, boundary_weight: override the preset's value
            for every arm alike (None: the default).
        budget: a factor on the training steps (:func:`analysis.presets.scaled`; the learning
            rate decays by ``lr_decay`` over whatever number of steps runs).

    Returns:
        One :class:`PoissonCell` per (arm, depth, seed).

    Raises:
        ValueError: unknown preset, arm or Laplacian; non-positive sizes.
    """
    size = PRESETS[check_preset(preset)]
    seed_ids = seeds_for(preset, seeds, PRESETS)
    arms = _arm_list(inits)
    depth_list = _depth_list(depths, size.depths)
    sizes = {k: v for k, v in asdict(size).items() if k not in ("depths", "seeds")}
    if steps is not None:
        sizes["steps"] = steps
        sizes["eval_every"] = max(1, min(sizes["eval_every"], int(steps)))
    if budget is not None:
        sizes["steps"] = scaled(sizes["steps"], budget)
        sizes["eval_every"] = max(1, min(sizes["eval_every"], sizes["steps"]))
    common = dict(sizes, lr=DEFAULT_LR if lr is None else lr,
                  lr_decay=DEFAULT_LR_DECAY if lr_decay is None else lr_decay,
                  omega0=DEFAULT_OMEGA0 if omega0 is None else omega0,
                  laplacian="forward" if laplacian is None else laplacian,
                  boundary_weight=DEFAULT_BOUNDARY_WEIGHT if boundary_weight is None
                  else boundary_weight)
    return [PoissonCell(init=arm, depth=depth, seed=seed, **common)
            for arm in arms for depth in depth_list for seed in seed_ids]


# ----------------------------------------------------------------------------------------------
# One run


def run_cell(cfg: PoissonCell) -> dict:
    """Train one network (module docstring, "The loss") in one torch thread; see :func:`_train`."""
    with torch_threads(1):
        return _train(cfg)


def _train(cfg: PoissonCell) -> dict:
    """Train one network (module docstring, "The loss") and measure its error.

    Returns:
        dict with ``steps`` (the checkpoints), ``rel_l2`` (relative L2 error after that many
        steps; nan after a divergence), ``loss_residual`` and ``loss_boundary`` (the two loss
        terms at every step, before its update), ``final_rel_l2``, ``diverged`` (bool),
        ``diverged_at`` (step or -1), ``prediction`` (float32 ``(n, n)`` field on the evaluation
        grid after the last step, x along the first axis).
    """
    from initaudit.analysis.experiments.sine_fit import hidden_matrix
    from initaudit.models.mlp import build_mlp, dtype_from_name

    dtype = dtype_from_name(cfg.dtype)
    device = resolve_device()
    spec = arm_spec(cfg.init, cfg.width, cfg.depth, cfg.omega0)
    # drawn on the CPU, then moved: a seed gives the same network and points on every device
    net = build_mlp(spec, seeds.torch_generator(cfg.seed, seeds.STREAM_INIT), dtype,
                    hidden_matrix=hidden_matrix(cfg.init)).to(device)
    points_gen = seeds.torch_generator(cfg.seed, seeds.STREAM_POINTS)
    optimiser = torch.optim.Adam(net.parameters(), lr=float(cfg.lr))
    schedule = torch.optim.lr_scheduler.ExponentialLR(
        optimiser, gamma=float(cfg.lr_decay) ** (1.0 / cfg.steps))

    grid64 = evaluation_grid(cfg.eval_points)
    exact_grid = exact_solution(grid64, cfg.modes).numpy()
    f_scale2 = float(torch.mean(source_term(grid64, cfg.modes) ** 2))
    grid = grid64.to(device=device, dtype=dtype)
    laplacian = forward_laplacian if cfg.laplacian == "forward" else (
        lambda model, x: autograd_laplacian(model, x))

    def error() -> tuple[float, np.ndarray]:
        with torch.no_grad():
            pred = net(grid)[:, 0].double().cpu().numpy()
        return relative_l2(pred, exact_grid), pred

    checkpoints = cfg.checkpoints()
    rel = np.full(checkpoints.size, np.nan)
    res_curve = np.full(cfg.steps, np.nan)
    bnd_curve = np.full(cfg.steps, np.nan)
    diverged_at = -1
    rel[0], pred = error()
    next_check = 1
    for step in range(cfg.steps):
        xc = collocation_points(cfg.n_collocation, points_gen, dtype).to(device)
        xb = boundary_points(cfg.n_boundary, points_gen, dtype).to(device)
        _, lap = laplacian(net, xc)
        residual = torch.mean((lap + source_term(xc, cfg.modes)) ** 2) / f_scale2
        boundary = torch.mean((net(xb)[:, 0] - exact_solution(xb, cfg.modes)) ** 2)
        loss = residual + cfg.boundary_weight * boundary
        res_curve[step], bnd_curve[step] = residual.item(), boundary.item()
        if not math.isfinite(loss.item()):
            diverged_at = step
            break
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        schedule.step()
        if next_check < checkpoints.size and step + 1 == checkpoints[next_check]:
            rel[next_check], pred = error()
            if not math.isfinite(rel[next_check]):
                diverged_at = step + 1
                rel[next_check] = np.nan
                break
            next_check += 1
    diverged = diverged_at >= 0
    return {
        "steps": checkpoints,
        "rel_l2": rel,
        "loss_residual": res_curve,
        "loss_boundary": bnd_curve,
        "final_rel_l2": float("nan") if diverged else float(rel[-1]),
        "diverged": diverged,
        "diverged_at": int(diverged_at),
        "prediction": pred.reshape(cfg.eval_points, cfg.eval_points).astype(np.float32),
    }


# ----------------------------------------------------------------------------------------------
# Summary


def _log10(values) -> np.ndarray:
    v = np.asarray(values, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(v > 0, np.log10(v), np.nan)


def _depth_word(depth: int) -> str:
    return f"depth{int(depth)}"


def summarize(configs: Sequence[PoissonCell], results: Sequence[dict], **options) -> dict:
    """Curves, final errors, paired comparisons against :data:`BASELINE` and ledger evidence.

    Returns:
        dict with

        ``runs``
            one row per run: init, depth, seed, final_rel_l2, log10_final, diverged.
        ``curves``
            per (init, depth, step): mean and t-interval over seeds of ``log10`` relative L2
            error, the geometric-mean error ``10^mean`` and ``n``.
        ``final``
            per (init, depth): the same at the last step, plus ``diverged`` (count of runs).
        ``comparisons``
            per (init, depth or "pooled", metric): paired difference ``arm - siren`` of
            ``log10`` final error (``metric = "final"``) and of the mean ``log10`` error over the
            checkpoints (``"curve"``, an area-under-the-curve summary of speed), with ``mean``,
            ``lo``, ``hi``, ``sd``, ``n``, ``p``, ``d_z``, ``ratio = 10^mean`` (geometric-mean
            error ratio) and ``p_holm`` (Holm over the whole table). "pooled" pairs each seed's
            mean over the depths.
        ``evidence``
            ``{key: record}`` (module docstring); keys
            ``poisson_<arm>_vs_siren_log10_rel_l2_depth<L>`` and, with two depths or more,
            ``..._pooled``, for every non-baseline arm.
        ``settings``
            the sizes that every run shared.
    """
    import pandas as pd

    from initaudit.analysis.stats import holm, paired_difference, t_interval

    if len(configs) != len(results):
        raise ValueError(f"{len(configs)} configs but {len(results)} results")
    rows = []
    for cfg, res in zip(configs, results):
        rows.append({"init": cfg.init, "depth": cfg.depth, "seed": cfg.seed,
                     "final_rel_l2": res["final_rel_l2"],
                     "log10_final": float(_log10(res["final_rel_l2"])),
                     "log10_curve_mean": float(np.mean(_log10(res["rel_l2"]))),
                     "diverged": bool(res["diverged"])})
    runs = pd.DataFrame(rows)
    arms = list(dict.fromkeys(runs.init))
    depths = sorted(set(runs.depth))

    curve_rows = []
    for (arm, depth), idx in runs.groupby(["init", "depth"], sort=False).groups.items():
        stack = np.vstack([_log10(results[i]["rel_l2"]) for i in idx])
        steps = results[idx[0]]["steps"]
        for j, step in enumerate(steps):
            ti = t_interval(stack[:, j])
            curve_rows.append({"init": arm, "depth": depth, "step": int(step),
                               "log10_mean": ti["mean"], "log10_lo": ti["lo"],
                               "log10_hi": ti["hi"], "geo_mean": 10 ** ti["mean"],
                               "n": ti["n"]})
    curves = pd.DataFrame(curve_rows)

    final_rows = []
    for (arm, depth), grp in runs.groupby(["init", "depth"], sort=False):
        ti = t_interval(grp.log10_final)
        final_rows.append({"init": arm, "depth": depth, "log10_mean": ti["mean"],
                           "log10_lo": ti["lo"], "log10_hi": ti["hi"], "log10_sd": ti["sd"],
                           "geo_mean": 10 ** ti["mean"], "n": ti["n"],
                           "diverged": int(grp.diverged.sum()), "runs": len(grp)})
    final = pd.DataFrame(final_rows)

    comp_rows = []
    if BASELINE in arms:
        for arm in arms:
            if arm == BASELINE:
                continue
            for metric, column in (("final", "log10_final"), ("curve", "log10_curve_mean")):
                wide = runs.pivot_table(index="seed", columns=["init", "depth"], values=column,
                                        dropna=False)
                # pooling needs two depths or more (with one it would repeat that depth)
                for depth in depths + (["pooled"] if len(depths) > 1 else []):
                    if depth == "pooled":
                        # each seed's mean over the depths (nan if any depth diverged)
                        base = wide[BASELINE][depths].mean(axis=1, skipna=False)
                        other = wide[arm][depths].mean(axis=1, skipna=False)
                    else:
                        base, other = wide[(BASELINE, depth)], wide[(arm, depth)]
                    pdiff = paired_difference(base.to_numpy(), other.to_numpy())
                    comp_rows.append({"init": arm, "depth": str(depth), "metric": metric,
                                      **{k: pdiff[k] for k in ("mean", "lo", "hi", "sd", "n",
                                                               "p", "d_z")},
                                      "ratio": 10 ** pdiff["mean"]})
    comparisons = pd.DataFrame(comp_rows)
    if not comparisons.empty:
        comparisons["p_holm"] = holm(comparisons.p.to_numpy())

    evidence = {}
    for row in comparisons.itertuples() if not comparisons.empty else ():
        if row.metric != "final":
            continue
        at = "pooled over depths (each seed's mean over depths " + \
            ", ".join(map(str, depths)) + ")" if row.depth == "pooled" else f"at depth {row.depth}"
        suffix = "pooled" if row.depth == "pooled" else _depth_word(int(row.depth))
        evidence[f"poisson_{row.init}_vs_siren_log10_rel_l2_{suffix}"] = Evidence(
            row.mean, row.lo, row.hi, int(row.n), row.p, "log10 relative L2 error (decades)",
            f"paired difference over seeds of log10 final relative L2 error against the "
            f"exact Poisson solution, {row.init} minus SIREN reference, {at}; negative "
            f"means {row.init} is more accurate", extra={"p_holm": row.p_holm})

    # the package's orthogonal variants against their i.i.d. points (an extension)
    from initaudit.analysis.experiments.sine_fit import orthogonal_comparisons

    orthogonal = pd.DataFrame(orthogonal_comparisons(runs, "log10_final"))
    for row in orthogonal.itertuples():
        evidence[f"poisson_{row.init}_vs_{row.baseline}_log10_rel_l2_pooled"] = Evidence(
            row.mean, row.lo, row.hi, int(row.n), row.p, "log10 relative L2 error (decades)",
            f"paired difference over seeds of log10 final relative L2 error, {row.init} minus "
            f"{row.baseline} (orthogonal against i.i.d. hidden weights at the same point), each "
            f"seed's mean over depths {', '.join(map(str, depths))}; negative means the "
            f"orthogonal variant is more accurate")

    first = configs[0]
    settings = {"width": first.width, "depths": depths, "steps": first.steps, "lr": first.lr,
                "lr_decay": first.lr_decay,
                "omega0": first.omega0, "n_collocation": first.n_collocation,
                "n_boundary": first.n_boundary, "boundary_weight": first.boundary_weight,
                "eval_points": first.eval_points, "eval_every": first.eval_every,
                "modes": first.modes, "laplacian": first.laplacian, "dtype": first.dtype,
                "seeds": int(runs.seed.nunique()), "arms": arms}
    return {"runs": runs, "curves": curves, "final": final, "comparisons": comparisons,
            "orthogonal": orthogonal, "evidence": evidence, "settings": settings}


def error_maps(configs: Sequence[PoissonCell], results: Sequence[dict],
               arms: Sequence[str] = (BASELINE, "edge_of_chaos", "edge_of_chaos_sigma_a1")) -> dict:
    """The exact solution and representative predictions on the evaluation grid, for figures.

    For each arm in ``arms`` at the largest depth, the run with the median final error (the
    lower median for an even count; diverged runs left out).

    Returns:
        ``{"t": grid coordinates (n,), "exact": u* (n, n), "runs": {arm: {"depth", "seed",
        "final_rel_l2", "prediction" (n, n)}}}``, x along the first axis.
    """
    if len(configs) != len(results) or not configs:
        raise ValueError(f"need one result per config, got {len(configs)} and {len(results)}")
    first = configs[0]
    n = first.eval_points
    maps = {"t": np.linspace(-1.0, 1.0, n),
            "exact": exact_solution(evaluation_grid(n), first.modes).numpy().reshape(n, n),
            "runs": {}}
    deepest = max(c.depth for c in configs)
    for arm in arms:
        picks = [(r["final_rel_l2"], c.seed, r) for c, r in zip(configs, results)
                 if c.init == arm and c.depth == deepest and math.isfinite(r["final_rel_l2"])]
        if not picks:
            continue
        picks.sort(key=lambda item: (item[0], item[1]))
        err, seed, res = picks[(len(picks) - 1) // 2]
        maps["runs"][arm] = {"depth": int(deepest), "seed": int(seed), "final_rel_l2": float(err),
                             "prediction": res["prediction"]}
    return maps


def format_summary(summary: dict) -> str:
    """Final errors per arm and depth, and the paired comparisons with SIREN, as text."""
    lines = ["final relative L2 error (geometric mean over seeds, 95% interval):"]
    for row in summary["final"].itertuples():
        lo, hi = 10 ** row.log10_lo, 10 ** row.log10_hi
        lines.append(f"  {row.init:24s} L={row.depth:<3d} {row.geo_mean:.3e} "
                     f"[{lo:.3e}, {hi:.3e}]  n={row.n}  diverged={row.diverged}")
    comp = summary["comparisons"]
    if not comp.empty:
        lines.append("log10 error difference vs siren (negative: more accurate than siren):")
        for row in comp[comp.metric == "final"].itertuples():
            lines.append(f"  {row.init:24s} depth {row.depth:>6s} {row.mean:+.3f} "
                         f"[{row.lo:+.3f}, {row.hi:+.3f}]  ratio {row.ratio:.3g}  "
                         f"p={row.p:.3g}  p_holm={row.p_holm:.3g}  n={row.n}")
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``initaudit experiment poisson``."""
    parser.add_argument("--inits", default=None,
                        help=f"comma-separated initialisers among {', '.join(ARMS)} "
                        f"(default: {','.join(DEFAULT_ARMS)})")
    parser.add_argument("--depths", default=None,
                        help="comma-separated depths (default: the preset's)")
    parser.add_argument("--omega0", type=float, default=None,
                        help=f"first-layer frequency shared by every arm (default {DEFAULT_OMEGA0:g})")
    parser.add_argument("--lr", type=float, default=None,
                        help=f"Adam learning rate shared by every arm (default {DEFAULT_LR:g})")
    parser.add_argument("--lr-decay", type=float, default=None,
                        help="factor the learning rate decays by over the run, in (0, 1] "
                        f"(default {DEFAULT_LR_DECAY:g}; 1: constant)")
    parser.add_argument("--steps", type=int, default=None,
                        help="training steps (default: the preset's)")
    parser.add_argument("--laplacian", choices=LAPLACIANS, default=None,
                        help="how the network's Laplacian is computed (default forward)")
    parser.add_argument("--boundary-weight", type=float, default=None,
                        help=f"weight of the boundary loss (default {DEFAULT_BOUNDARY_WEIGHT:g})")
