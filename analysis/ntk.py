r"""Empirical neural tangent kernels of finite networks, their spectra and the infinite-width limit.

The NTK of a network ``f(x; theta)`` with outputs ``y in R^k`` is ``Theta(x, x') = J(x) J(x')^T``,
``J(x) = d y / d theta`` (Jacot, Gabriel and Hongler 2018, arXiv 1806.07572). Under a diagonal
preconditioner ``P`` (one scale per parameter entry, non-negative for a learning-rate scaling)
it is
``Theta_P(x, x') = J(x) P J(x')^T``: plain gradient descent with per-parameter learning rates
``eta P`` moves the outputs by ``-eta Theta_P`` times the output gradient.

Two ways to compute it:

**Structured path** (:func:`empirical_ntk` with ``method="structured"``), for chains
(``nn.Sequential``, e.g. :class:`models.mlp.MLP`) of

* ``nn.Linear``;
* parameter-free elementwise activations: :class:`models.mlp.Activation` (sin, relu, tanh, erf,
  gelu), ``nn.ReLU``, ``nn.Tanh``, ``nn.Sigmoid``, ``nn.GELU``, ``nn.SiLU``, ``nn.LeakyReLU``,
  ``nn.Identity``, ``nn.Dropout`` in eval mode, and anything added with
  :func:`register_elementwise`;
* eval-mode ``nn.BatchNorm1d`` on (P, C) inputs with running statistics: an elementwise affine
  map ``gamma (z - mu) / sqrt(v + eps) + beta`` whose gamma and beta are parameters too.

Nested ``nn.Sequential`` are flattened. Anything else raises a ValueError that lists these types.
With ``delta_l = d y / d z_l`` (the gradient of the output with respect to the output ``z_l`` of
a layer, for the readout ``z_{L+1} = y``) and ``h_{l-1}`` the layer's input (``h_0 = x``),
the weight gradient of a Linear layer is the outer product ``delta_l h_{l-1}^T``, so::

    Theta(x, x') = sum_l (delta_l(x) . delta_l(x')) (h_{l-1}(x) . h_{l-1}(x') + 1)

(the ``+ 1`` is the bias). All ``delta_l`` come from one backward recursion done by hand,
``delta_{l-1} = f'(z_{l-1}) * (W_l^T delta_l)``, batched over points and output units with one
matmul per layer; the Gram matrices are accumulated layer by layer over square tiles of the
upper triangle (half the work of a full product; each tile's products and Hadamard update run
while it is in cache), so memory is one P x P kernel plus each layer's input and ``f'(z)``
(about ``2 L P N`` entries). Cost: ``4 P sum_l n_in n_out`` flops for the forward and backward
passes and about ``P^2 sum_l (n_in + k n_out)`` for the Gram matrices
(:func:`structured_flops` counts them exactly), in the network's dtype (float32 or float64).

**Generic path** (``method="jacobian"`` or ``"jvp"``) for any ``nn.Module`` through
:mod:`torch.func`: ``"jacobian"`` materialises per-point Jacobians (``vmap(jacrev)``) chunk by
chunk and contracts them (``J_i P J_j^T`` summed over parameter tensors: the "Jacobian
contraction" of Novak, Sohl-Dickstein and Schoenholz 2022, arXiv 2206.08720); ``"jvp"`` computes
the kernel's columns as NTK-vector products ``J (P J_j^T e)``, the right-hand Jacobian rows
pushed forward with ``jvp`` through all the points (their "NTK-vector products" strategy), so the
left Jacobian is never stored. Both work on chunks of points whose size follows ``max_memory``
(or ``chunk_size``); :func:`ntk_operator` is the matrix-free version (one ``vjp`` and one ``jvp``
per product) for Lanczos on point sets whose kernel does not fit in memory. Any module works
whose forward runs under :func:`torch.vmap` on one point at a time (a transformer over token
ids does; batch-norm in training mode does not); ``output_fn`` picks the output
(e.g. the last token's logits). ``"jvp"`` and :func:`ntk_operator` also need forward-mode autodiff
of every operation: ``nn.MultiheadAttention`` in eval mode runs a fused kernel without it (use
``"jacobian"``, or the module in training mode with dropout 0).

Both paths can restrict the kernel to a parameter group (``params``: names, module prefixes
such as ``"embedding"``, or a predicate ``(name, parameter) -> bool``; by default every parameter
with ``requires_grad``), and take a preconditioner ``{name: scale}`` with each scale broadcastable
to its parameter (a scalar, a per-row ``(n_out, 1)`` tensor, a full tensor). The structured path
needs each weight's scale to be of rank one, ``P_W = r c^T`` (scalar, per row, per column, or an
outer product; that is what per-layer and per-unit learning rates give); others raise.

Vector outputs (``k > 1``) give, by ``output``: ``"full"`` the (P, P, k, k) kernel
``Theta[p, q, a, b]``; ``"trace"`` the (P, P) kernel ``sum_a Theta[p, q, a, a]``; ``"diagonal"``
the (P, P, k) per-output kernels ``Theta[p, q, a, a]``; ``"auto"`` (default) is (P, P) for
``k = 1`` and ``"full"`` otherwise.

Spectra (:func:`spectrum_summary`): full ``eigh`` in float64 up to :data:`EIGH_MAX` points, the
top eigenvalues by Lanczos (:func:`scipy.sparse.linalg.eigsh`) beyond; mean eigenvalue
``tr / P``, extremes, condition number with a floor, entropy effective rank and participation
ratio, and a power-law decay exponent of the sorted spectrum with its fitting range.

Infinite width (:func:`theory_distance`, :func:`width_sweep`, :func:`depth_sweep`): the torch
networks use the standard parametrisation, whose NTK divided by the width N tends to
:attr:`theory.kernels.KernelResult.ntk_sp_over_width` (see :mod:`theory.kernels`): the hidden
weights' terms are O(N), the first layer's and the biases' O(1), so ``Theta / N`` differs from
the limit by O(1/N) terms plus O(1/sqrt(N)) fluctuations.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import pandas as pd
import torch
from torch import nn

from initaudit.theory.checks import choice as _check_choice, positive_int as _check_positive_int
from initaudit.models.device import resolve_device
from initaudit.analysis.experiment import cell_runner

__all__ = [
    "run_cell",
    "DEFAULT_MAX_MEMORY", "DEPTH_POINTS", "EIGH_MAX", "METHODS", "OUTPUTS", "NTKDepthCell",
    "NTKSpectrumCell", "NTKWidthCell", "SpectrumSummary", "WIDTH_CASES", "depth_point_spec",
    "depth_summary", "depth_sweep", "eigenvalues", "empirical_ntk", "ntk_diagonal",
    "ntk_operator", "register_elementwise", "relative_distance", "run_depth_cell",
    "run_spectrum_cell", "run_width_cell", "select_parameters", "spectra_sweep",
    "spectrum_summary", "structured_flops", "supports_structured", "theory_distance",
    "theory_ntk", "spectra_cells", "spectra_summary", "width_cells", "width_summary",
    "width_sweep",
]

#: Ways to compute the kernel (``"auto"``: structured where the model allows it, else jacobian).
METHODS = ("auto", "structured", "jacobian", "jvp")
#: Output forms for vector-valued networks (see the module docstring).
OUTPUTS = ("auto", "full", "trace", "diagonal")
#: Memory the generic path plans its chunks for, in bytes (2 GiB).
DEFAULT_MAX_MEMORY = 2 << 30
#: Largest kernel (rows) whose full spectrum :func:`spectrum_summary` computes with eigh.
EIGH_MAX = 8192
#: Largest side (points) of the square Gram tiles of the structured path. The default side is
#: ``clamp(P // 8, 256, BLOCK_SIZE)``: larger tiles multiply faster, smaller ones waste less work
#: on the diagonal tiles (computed whole); measured best on 2 CPU cores for P = 1,024 to 8,192.
BLOCK_SIZE = 1024


def _default_block(n_points: int) -> int:
    return int(min(BLOCK_SIZE, max(256, n_points // 8)))


# ---------------------------------------------------------------------------------------------
# Argument checks


def _check_points(x, model: nn.Module | None = None) -> torch.Tensor:
    if isinstance(x, np.ndarray):
        x = torch.from_numpy(x)
    if not isinstance(x, torch.Tensor):
        raise ValueError(f"inputs must be a torch.Tensor or numpy array, got {type(x).__name__}")
    if x.dim() == 0 or x.shape[0] < 1:
        raise ValueError(f"inputs must have a leading point dimension P >= 1, got shape "
                         f"{tuple(x.shape)}")
    if x.is_floating_point() and not bool(torch.isfinite(x).all()):
        raise ValueError("inputs must be finite")
    if model is not None:
        ref = next(iter(model.parameters()), None)
        if ref is not None:
            x = x.to(ref.device)
            if x.is_floating_point():
                x = x.to(ref.dtype)
    return x


# ---------------------------------------------------------------------------------------------
# Parameter groups and preconditioners


def select_parameters(model: nn.Module, params=None) -> list[str]:
    """Names of the parameters the kernel differentiates with respect to.

    Args:
        model: the network.
        params: None (every parameter with ``requires_grad``); a name or a list of names, each a
            parameter name (``"0.weight"``) or a module prefix (``"embedding"`` selects
            ``"embedding.weight"``); or a predicate ``(name, parameter) -> bool``.

    Returns:
        Selected names in the order of ``model.named_parameters()``.

    Raises:
        ValueError: for an unknown name (the message lists the valid ones) or an empty selection.
    """
    named = list(model.named_parameters())
    names = [n for n, _ in named]
    if params is None:
        chosen = [n for n, p in named if p.requires_grad]
    elif callable(params):
        chosen = [n for n, p in named if params(n, p)]
    else:
        wanted = [params] if isinstance(params, str) else list(params)
        bad = [w for w in wanted if not isinstance(w, str)]
        if bad:
            raise ValueError(f"parameter names must be strings, got {bad!r}")
        unknown = [w for w in wanted
                   if w not in names and not any(n.startswith(w + ".") for n in names)]
        if unknown:
            raise ValueError(f"unknown parameter name(s) {', '.join(map(repr, unknown))}; valid "
                             f"names are {', '.join(names)} (or a module prefix of them)")
        chosen = [n for n in names if any(n == w or n.startswith(w + ".") for w in wanted)]
    if not chosen:
        raise ValueError("the parameter selection is empty; valid names are " + ", ".join(names))
    return chosen


def _check_preconditioner(model: nn.Module, selected: list[str], preconditioner) -> dict:
    """``{name: tensor}`` broadcastable to each parameter, on its device and dtype."""
    if preconditioner is None:
        return {}
    if not isinstance(preconditioner, dict):
        raise ValueError("the preconditioner must be a dict {parameter name: scale}")
    named = dict(model.named_parameters())
    out = {}
    for name, scale in preconditioner.items():
        if name not in selected:
            raise ValueError(f"preconditioner entry {name!r} is not a selected parameter; valid "
                             f"names are {', '.join(selected)}")
        p = named[name]
        t = torch.as_tensor(scale, dtype=p.dtype, device=p.device)
        if not bool(torch.isfinite(t).all()):
            raise ValueError(f"preconditioner entry {name!r} must be finite")
        try:
            ok = t.dim() <= p.dim() and torch.broadcast_shapes(t.shape, p.shape) == p.shape
        except RuntimeError:
            ok = False
        if not ok:
            raise ValueError(f"preconditioner entry {name!r} of shape {tuple(t.shape)} does not "
                             f"broadcast to the parameter's shape {tuple(p.shape)}") from None
        out[name] = t
    return out


def _rank_one(scale: torch.Tensor, shape: torch.Size,
              name: str) -> tuple[torch.Tensor, torch.Tensor]:
    """``(r, c)`` with ``scale`` (broadcast to ``shape`` = (n_out, n_in)) equal to ``r c^T``."""
    n_out, n_in = shape

    def ones(n):
        return torch.ones(n, dtype=scale.dtype, device=scale.device)

    if scale.dim() == 0:
        return ones(n_out) * scale, ones(n_in)
    if scale.dim() == 1:  # broadcasts along the last axis: one scale per column
        return ones(n_out), scale.expand(n_in).clone()
    if scale.shape[1] == 1:  # (n_out, 1) or (1, 1): one scale per row
        return scale[:, 0].expand(n_out).clone(), ones(n_in)
    if scale.shape[0] == 1:  # (1, n_in)
        return ones(n_out), scale[0].clone()
    i0, j0 = divmod(int(torch.argmax(scale.abs())), n_in)
    pivot = scale[i0, j0]
    if pivot == 0:
        return torch.zeros_like(ones(n_out)), ones(n_in)
    r, c = scale[:, j0].clone(), scale[i0, :] / pivot
    tol = 8 * torch.finfo(scale.dtype).eps * float(scale.abs().max())
    if float((torch.outer(r, c) - scale).abs().max()) > tol:
        raise ValueError(f"the structured path needs the preconditioner of {name!r} to be of rank "
                         "one (a scalar, per-row, per-column or outer-product scale); use "
                         "method='jacobian' or 'jvp' for a general diagonal preconditioner")
    return r, c


# ---------------------------------------------------------------------------------------------
# The structured path: chain parsing


def _builtin_derivative(module: nn.Module) -> Callable | None:
    from initaudit.models.activations import module_derivative

    return module_derivative(module)


#: Elementwise module types added with :func:`register_elementwise`, with their derivative
#: (None: forward-mode autodiff of the module).
_REGISTERED: dict[type, Callable | None] = {}


def register_elementwise(cls: type, derivative: Callable | None = None) -> type:
    """Declare a parameter-free module type elementwise, so the structured path accepts it.

    Args:
        cls: an ``nn.Module`` subclass whose forward applies one scalar function to every entry
            (e.g. a harmonic activation ``sum_k a_k sin(k z)`` with fixed coefficients).
        derivative: ``derivative(module, z) -> f'(z)``; None computes it by forward-mode autodiff
            (``torch.func.jvp`` with a tangent of ones, exact for elementwise maps).

    Returns:
        ``cls`` (usable as a class decorator).
    """
    if not (isinstance(cls, type) and issubclass(cls, nn.Module)):
        raise ValueError(f"register_elementwise needs an nn.Module subclass, got {cls!r}")
    _REGISTERED[cls] = derivative
    return cls


def _registered_derivative(module: nn.Module) -> Callable | None:
    for cls, fn in _REGISTERED.items():
        if isinstance(module, cls):
            if fn is not None:
                return lambda z, _m=module, _f=fn: _f(_m, z)

            def via_jvp(z, _m=module):
                return torch.func.jvp(_m, (z,), (torch.ones_like(z),))[1]

            return via_jvp
    return None


_SUPPORTED_TEXT = ("nn.Linear; elementwise activations models.mlp.Activation, nn.ReLU, "
                   "nn.LeakyReLU, nn.Tanh, nn.Sigmoid, nn.GELU, nn.SiLU, nn.Identity, nn.Dropout "
                   "(eval) and types added with analysis.ntk.register_elementwise; eval-mode "
                   "nn.BatchNorm1d with running statistics; nested nn.Sequential")


@dataclass
class _Step:
    kind: str  # "linear", "elementwise", "affine"
    module: nn.Module
    name: str
    deriv: Callable | None = None


def _chain(model: nn.Module) -> list[_Step]:
    """The model as a list of steps, or ValueError naming what is not supported."""
    if not isinstance(model, nn.Sequential):
        raise ValueError(f"the structured NTK needs an nn.Sequential chain, got "
                         f"{type(model).__name__}; supported modules: {_SUPPORTED_TEXT}. Use "
                         "method='jacobian' or 'jvp' for other modules")
    steps: list[_Step] = []

    def walk(seq: nn.Sequential, prefix: str) -> None:
        for name, m in seq.named_children():
            full = prefix + name
            if isinstance(m, nn.Sequential):
                walk(m, full + ".")
            elif isinstance(m, nn.Linear):
                steps.append(_Step("linear", m, full))
            elif isinstance(m, nn.BatchNorm1d):
                if m.training or m.running_mean is None:
                    raise ValueError(f"module {full!r} (BatchNorm1d) couples the points unless it "
                                     "is in eval mode with running statistics: call model.eval()")
                steps.append(_Step("affine", m, full))
            else:
                fn = _registered_derivative(m) or _builtin_derivative(m)
                if fn is None or any(True for _ in m.parameters()):
                    raise ValueError(f"module {full!r} ({type(m).__name__}) is not supported by "
                                     f"the structured NTK; supported modules: {_SUPPORTED_TEXT}. "
                                     "Use method='jacobian' or 'jvp' instead")
                steps.append(_Step("elementwise", m, full, fn))

    walk(model, "")
    if not any(s.kind == "linear" for s in steps):
        raise ValueError("the structured NTK needs at least one nn.Linear layer")
    return steps


def supports_structured(model: nn.Module) -> bool:
    """Whether :func:`empirical_ntk` can use the structured path for ``model``."""
    try:
        _chain(model)
    except ValueError:
        return False
    return True


def _bn_scale(m: nn.BatchNorm1d) -> tuple[torch.Tensor, torch.Tensor]:
    """(1 / sqrt(var + eps), mean) of an eval-mode batch norm."""
    return torch.rsqrt(m.running_var + m.eps), m.running_mean


# ---------------------------------------------------------------------------------------------
# The structured path: Gram accumulation


class _Accumulator:
    """Sums terms ``Gram_r(D) * (Gram_c(H) + const)`` into the kernel, upper panels only.

    The kernel is kept as ``m`` matrices of side R: trace ``(1, P, P)``, diagonal ``(k, P, P)``,
    full ``(1, P k, P k)`` (row ``p k + a``). ``diag_only`` keeps only ``Theta(x_p, x_p)``.
    """

    def __init__(self, n_points: int, k: int, mode: str, dtype, device, block: int,
                 diag_only: bool = False):
        self.p, self.k, self.mode, self.block, self.diag_only = n_points, k, mode, block, diag_only
        if diag_only:
            shape = {"trace": (n_points,), "diagonal": (n_points, k),
                     "full": (n_points, k, k)}[mode]
        else:
            m = k if mode == "diagonal" else 1
            side = n_points * k if mode == "full" else n_points
            shape = (m, side, side)
        self.theta = torch.zeros(shape, dtype=dtype, device=device)
        self.flops = 0.0

    def panels(self):
        for i0 in range(0, self.p, self.block):
            yield i0, min(i0 + self.block, self.p)

    def add(self, d: torch.Tensor, r, h, c, const: float) -> None:
        """One term; ``d`` (P, k, n), ``r`` (n,) or None, ``h`` (P, m) or None, ``c`` (m,) or None.

        The upper triangle is visited in square tiles (``block`` points a side): each tile's two
        Gram products and the Hadamard update run while the tile is still in cache.
        """
        if self.diag_only:
            return self._add_diag(d, r, h, c, const)
        p, k, n = d.shape
        mode = self.mode
        # Points -> rows of the Gram factor: full (P k, n), trace (P, k n), diagonal (k, P, n).
        if mode == "full":
            dm, rr, s = d.reshape(p * k, n), r, k
        elif mode == "trace":
            dm, rr, s = d.reshape(p, k * n), (None if r is None else r.repeat(k)), 1
        else:
            dm, rr, s = d.transpose(0, 1), r, 1
        expand = mode == "full" and k > 1
        for i0, i1 in self.panels():
            a = dm[..., i0 * s:i1 * s, :]
            if rr is not None:
                a = a * rr
            hr = None if h is None else (h[i0:i1] if c is None else h[i0:i1] * c)
            for j0, j1 in self.panels():
                if j0 < i0:
                    continue
                rows, cols = i1 - i0, j1 - j0
                bt = dm[..., j0 * s:j1 * s, :].transpose(-1, -2)
                gd = torch.bmm(a, bt) if mode == "diagonal" else (a @ bt).unsqueeze(0)
                self.flops += 2.0 * rows * cols * n * (k * k if mode == "full" else k)
                target = self.theta[:, i0 * s:i1 * s, j0 * s:j1 * s]
                if h is None:
                    target.add_(gd, alpha=const)
                    continue
                gh = hr @ h[j0:j1].T
                self.flops += 2.0 * rows * cols * h.shape[1]
                if const:
                    gh.add_(const)  # the bias; the tile is still in cache
                if expand:
                    gh = gh[:, None, :, None].expand(rows, k, cols, k).reshape(rows * k, cols * k)
                target.addcmul_(gd, gh)

    def _add_diag(self, d, r, h, c, const) -> None:
        dr = d if r is None else d * r
        if self.mode == "trace":
            gd = (dr * d).sum(dim=(1, 2))
        elif self.mode == "diagonal":
            gd = (dr * d).sum(dim=2)
        else:
            gd = torch.einsum("pan,pbn->pab", dr, d)
        if h is None:
            self.theta.add_(gd, alpha=const)
            return
        gh = ((h * h) if c is None else (h * h * c)).sum(dim=1) + const
        self.theta.add_(gd * gh.reshape((-1,) + (1,) * (gd.dim() - 1)))

    def result(self) -> torch.Tensor:
        """The kernel in the requested layout, lower triangle filled in."""
        t = self.theta
        if self.diag_only:
            return t
        k = self.k
        scale = k if self.mode == "full" else 1
        for i0, i1 in self.panels():
            a, b = i0 * scale, i1 * scale
            t[:, b:, a:b] = t[:, a:b, b:].transpose(1, 2)
            # the diagonal block came out of one product, symmetric only up to rounding
            blk = t[:, a:b, a:b]
            blk.copy_(0.5 * (blk + blk.transpose(1, 2)))
        return _layout(t, self.mode, self.p, k)


def _structured(model: nn.Module, x: torch.Tensor, selected: list[str], precond: dict,
                mode: str, block: int, diag_only: bool) -> tuple[torch.Tensor, float]:
    steps = _chain(model)
    names = {id(p): n for n, p in model.named_parameters()}
    sel = set(selected)

    def pname(p) -> str | None:
        return None if p is None else names.get(id(p))

    def uses(p) -> bool:
        return p is not None and pname(p) in sel

    has_params = [
        (uses(s.module.weight) or uses(s.module.bias)) if s.kind in ("linear", "affine") else False
        for s in steps
    ]
    first = next((i for i, f in enumerate(has_params) if f), None)
    if first is None:  # pragma: no cover - select_parameters guarantees a non-empty selection
        raise ValueError("no selected parameter belongs to a supported layer")
    if not x.is_floating_point():
        raise ValueError(f"the structured NTK takes real-valued inputs, got {x.dtype}; use "
                         "method='jacobian' or 'jvp' for token ids")
    if x.dim() == 1:
        x = x[:, None]
    first_mod = steps[0].module
    n_in = first_mod.in_features if steps[0].kind == "linear" else first_mod.num_features
    if x.dim() != 2 or x.shape[1] != n_in:
        raise ValueError(f"the structured NTK takes inputs of shape (P, {n_in}), got "
                         f"{tuple(x.shape)}")
    flops = 0.0
    with torch.no_grad():
        # Forward: keep what the backward needs from layer ``first`` on: the input of every
        # Linear and batch norm, and f'(z) of every elementwise step (computed here, so that the
        # backward evaluates no activation again). Memory: about 2 L P N entries.
        stored: list[torch.Tensor | None] = [None] * len(steps)
        h = x
        for i, s in enumerate(steps):
            if i >= first:
                stored[i] = s.deriv(h) if s.kind == "elementwise" else h
            if s.kind == "linear":
                w, b = s.module.weight, s.module.bias
                h = torch.addmm(b, h, w.T) if b is not None else h @ w.T
                flops += 2.0 * h.shape[0] * w.shape[0] * w.shape[1]
            else:
                h = s.module(h)
        if h.dim() != 2:
            raise ValueError(f"the structured NTK needs (P, k) outputs, got {tuple(h.shape)}")
        p, k = h.shape
        acc = _Accumulator(p, k, mode, h.dtype, h.device, block, diag_only)
        # Backward: delta (P, k, n) = d y_a / d (output of the current step), one matmul per layer.
        delta = torch.eye(k, dtype=h.dtype, device=h.device).expand(p, k, k).contiguous()
        for i in range(len(steps) - 1, first - 1, -1):
            s = steps[i]
            if s.kind == "elementwise":
                delta = delta * stored[i].unsqueeze(1)
                stored[i] = None
                continue
            m = s.module
            if s.kind == "affine":
                inv, mean = _bn_scale(m)
                z = stored[i]
                if m.weight is not None and uses(m.weight):
                    xhat = (z - mean) * inv
                    acc.add(delta * xhat.unsqueeze(1), precond.get(pname(m.weight)), None, None,
                            1.0)
                if m.bias is not None and uses(m.bias):
                    acc.add(delta, precond.get(pname(m.bias)), None, None, 1.0)
                scale = inv if m.weight is None else inv * m.weight
                delta = delta * scale
                stored[i] = None
                continue
            # Linear
            hin = stored[i]
            w, b = m.weight, m.bias
            use_w, use_b = uses(w), uses(b)
            pw = precond.get(pname(w)) if use_w else None
            pb = precond.get(pname(b)) if use_b else None
            r = c = None
            if pw is not None:
                r, c = _rank_one(pw, w.shape, pname(w))
            rb = None if pb is None else pb.expand(b.shape)
            if use_w and use_b and ((r is None and rb is None) or (
                    r is not None and rb is not None and torch.equal(r, rb))):
                acc.add(delta, r, hin, c, 1.0)
            else:
                if use_w:
                    acc.add(delta, r, hin, c, 0.0)
                if use_b:
                    acc.add(delta, rb, None, None, 1.0)
            stored[i] = None
            if i > first:
                n_out, n_in = w.shape
                delta = (delta.reshape(p * k, n_out) @ w).reshape(p, k, n_in)
                flops += 2.0 * p * k * n_out * n_in
        out = acc.result()
    return out, flops + acc.flops


def structured_flops(model: nn.Module, n_points: int, output: str = "auto",
                     block_size: int | None = None) -> dict[str, float]:
    """Matmul flops the structured path executes (2 m n k per product), without running it.

    Returns:
        ``{"forward", "backward", "gram", "total"}`` for the full (not diagonal-only) kernel
        of all parameters, scalar or ``k``-output network, ``output`` as in :func:`empirical_ntk`.
    """
    steps = _chain(model)
    lin = [s.module for s in steps if s.kind == "linear"]
    k = lin[-1].weight.shape[0]
    mode = _resolve_output(output, k)
    block_size = _default_block(n_points) if block_size is None else block_size
    fwd = sum(2.0 * n_points * m.weight.shape[0] * m.weight.shape[1] for m in lin)
    bwd = sum(2.0 * n_points * k * m.weight.shape[0] * m.weight.shape[1] for m in lin[1:])
    gram = 0.0
    for i0 in range(0, n_points, block_size):
        rows, cols = min(block_size, n_points - i0), n_points - i0
        for m in lin:
            n_out, n_in = m.weight.shape
            gram += 2.0 * rows * cols * n_in
            gram += 2.0 * rows * cols * n_out * (k * k if mode == "full" else k)
    return {"forward": fwd, "backward": bwd, "gram": gram, "total": fwd + bwd + gram}


# ---------------------------------------------------------------------------------------------
# The generic path (torch.func)


class _Functional:
    """``f(params, x) -> (batch, k)`` over the selected parameters, the others held fixed."""

    def __init__(self, model: nn.Module, selected: list[str], output_fn: Callable | None):
        named = dict(model.named_parameters())
        self.model = model
        self.selected = selected
        self.params = {n: named[n].detach() for n in selected}
        self.fixed = {n: p.detach() for n, p in named.items() if n not in self.params}
        self.fixed.update(dict(model.named_buffers()))
        self.output_fn = output_fn

    def __call__(self, params: dict, xb: torch.Tensor) -> torch.Tensor:
        out = torch.func.functional_call(self.model, (params, self.fixed), (xb,))
        if self.output_fn is not None:
            out = self.output_fn(out)
        return out.reshape(xb.shape[0], -1)

    def single(self, params: dict, x1: torch.Tensor) -> torch.Tensor:
        return self(params, x1.unsqueeze(0))[0]

    def jacobian(self, xb: torch.Tensor) -> dict[str, torch.Tensor]:
        """Per-point Jacobians, ``{name: (c, k, *shape)}``."""
        return torch.func.vmap(torch.func.jacrev(self.single), in_dims=(None, 0))(self.params, xb)

    def n_params(self) -> int:
        return sum(p.numel() for p in self.params.values())


def _activation_numel(model: nn.Module, fn: _Functional, x1: torch.Tensor) -> int:
    """Entries of all leaf-module outputs for one point (the forward's working set)."""
    total = [0]

    def hook(_m, _i, out):
        if isinstance(out, torch.Tensor):
            total[0] += out.numel()

    handles = [m.register_forward_hook(hook) for m in model.modules() if not list(m.children())]
    try:
        with torch.no_grad():
            out = fn(fn.params, x1.unsqueeze(0))
    finally:
        for hd in handles:
            hd.remove()
    return max(total[0], out.numel())


def _contract(ji: dict, jj: dict, precond: dict, mode: str) -> torch.Tensor:
    """``sum_params J_i P J_j^T`` as (m, rows, cols) blocks (layout of :class:`_Accumulator`)."""
    out = None
    for name, a in ji.items():
        b = jj[name]
        ci, k = a.shape[:2]
        cj = b.shape[0]
        if name in precond:
            b = b * precond[name]
        a2, b2 = a.reshape(ci, k, -1), b.reshape(cj, k, -1)
        if mode == "full":
            g = (a2.reshape(ci * k, -1) @ b2.reshape(cj * k, -1).T).unsqueeze(0)
        elif mode == "trace":
            g = (a2.reshape(ci, -1) @ b2.reshape(cj, -1).T).unsqueeze(0)
        else:
            g = torch.bmm(a2.transpose(0, 1), b2.permute(1, 2, 0))
        out = g if out is None else out.add_(g)
    return out


def _chunks(n: int, size: int):
    for i0 in range(0, n, size):
        yield i0, min(i0 + size, n)


def _layout(theta: torch.Tensor, mode: str, p: int, k: int) -> torch.Tensor:
    """(m, R, R) storage -> the public shape of ``mode``."""
    if mode == "trace":
        return theta[0]
    if mode == "diagonal":
        return theta.permute(1, 2, 0).contiguous()
    return theta[0].view(p, k, p, k).permute(0, 2, 1, 3).contiguous()


def _generic(model, x, selected, precond, mode, method, output_fn, chunk_size, max_memory,
             diag_only=False) -> torch.Tensor:
    fn = _Functional(model, selected, output_fn)
    with torch.no_grad():
        k = fn(fn.params, x[:1]).shape[1]
    p = x.shape[0]
    n = fn.n_params()
    ref = next(iter(fn.params.values()))
    item, dtype = ref.element_size(), ref.dtype
    act = _activation_numel(model, fn, x[0])
    if chunk_size is None:
        # Two Jacobian chunks alive, each with its vmap working set (a few activations per output).
        per_point = item * k * (2 * n + 4 * act)
        chunk_size = max(1, min(p, int(max_memory // (2 * per_point))))
    chunk_size = _check_positive_int(chunk_size, "chunk_size")
    blocks = list(_chunks(p, chunk_size))

    if diag_only:
        shape = {"trace": (p,), "diagonal": (p, k), "full": (p, k, k)}[mode]
        out = torch.zeros(shape, dtype=dtype, device=x.device)
        for i0, i1 in blocks:
            for name, a in fn.jacobian(x[i0:i1]).items():
                b = a * precond[name] if name in precond else a
                a2, b2 = a.reshape(i1 - i0, k, -1), b.reshape(i1 - i0, k, -1)
                if mode == "trace":
                    out[i0:i1] += (a2 * b2).sum(dim=(1, 2))
                elif mode == "diagonal":
                    out[i0:i1] += (a2 * b2).sum(dim=2)
                else:
                    out[i0:i1] += torch.einsum("pan,pbn->pab", a2, b2)
        return out

    scale = k if mode == "full" else 1
    side = p * scale
    theta = torch.zeros((k if mode == "diagonal" else 1, side, side), dtype=dtype, device=x.device)
    if method == "jacobian":
        # Upper block triangle: J_i held, J_j recomputed for every j > i.
        for bi, (i0, i1) in enumerate(blocks):
            ji = fn.jacobian(x[i0:i1])
            for j0, j1 in blocks[bi:]:
                jj = ji if j0 == i0 else fn.jacobian(x[j0:j1])
                blk = _contract(ji, jj, precond, mode)
                theta[:, i0 * scale:i1 * scale, j0 * scale:j1 * scale] = blk
                del jj
            del ji
    else:
        # jvp: the columns of block j are J (P J_j^T e_{j b}): the rows J_j^T are the right-hand
        # Jacobian, pushed forward with jvp through the rows i >= j0 in chunks whose vmapped
        # forward (c_j k tangents at once) fits in max_memory.
        for j0, j1 in blocks:
            cj = j1 - j0
            tangents = {}
            for name, b in fn.jacobian(x[j0:j1]).items():
                if name in precond:
                    b = b * precond[name]
                tangents[name] = b.reshape((cj * k,) + tuple(fn.params[name].shape))
            rows_chunk = max(1, min(chunk_size, int(max_memory // (2 * item * cj * k * 4 * act))))
            for i0 in range(j0, p, rows_chunk):
                i1 = min(i0 + rows_chunk, p)
                xi = x[i0:i1]

                def push(t, _xi=xi):
                    return torch.func.jvp(lambda prm: fn(prm, _xi), (fn.params,), (t,))[1]

                # col[j b, i, a] = Theta[i a, j b]
                col = torch.func.vmap(push)(tangents).reshape(cj, k, i1 - i0, k)
                if mode == "full":
                    blk = col.reshape(1, cj * k, (i1 - i0) * k)
                elif mode == "trace":
                    blk = torch.diagonal(col, dim1=1, dim2=3).sum(-1).unsqueeze(0)
                else:
                    blk = torch.diagonal(col, dim1=1, dim2=3).permute(2, 0, 1)
                theta[:, j0 * scale:j1 * scale, i0 * scale:i1 * scale] = blk
            del tangents
    for i0, i1 in blocks:
        a, b = i0 * scale, i1 * scale
        theta[:, b:, a:b] = theta[:, a:b, b:].transpose(1, 2)
    # The diagonal blocks are symmetric only up to rounding (J_i P J_i^T); average them.
    theta = 0.5 * (theta + theta.transpose(1, 2))
    return _layout(theta, mode, p, k)


# ---------------------------------------------------------------------------------------------
# Public kernels


def _resolve_output(output: str, k: int) -> str:
    _check_choice(output, OUTPUTS, "output")
    if output == "auto":
        return "trace" if k == 1 else "full"
    return output


def _output_dim(model, x, selected, output_fn) -> int:
    fn = _Functional(model, selected, output_fn)
    with torch.no_grad():
        return fn(fn.params, x[:1]).shape[1]


def _prepare(model, x, method, params, preconditioner, output, output_fn):
    if not isinstance(model, nn.Module):
        raise ValueError(f"model must be an nn.Module, got {type(model).__name__}")
    _check_choice(method, METHODS, "method")
    x = _check_points(x, model)
    selected = select_parameters(model, params)
    precond = _check_preconditioner(model, selected, preconditioner)
    if method == "auto":
        method = "structured" if output_fn is None and supports_structured(model) else "jacobian"
    if method == "structured":
        if output_fn is not None:
            raise ValueError("output_fn needs the generic path: use method='jacobian' or 'jvp'")
        steps = _chain(model)  # raises with the list of supported modules
        # elementwise and affine steps keep the width, so k is the last Linear's fan-out
        k = [s.module for s in steps if s.kind == "linear"][-1].out_features
    else:
        k = _output_dim(model, x, selected, output_fn)
    return x, selected, precond, method, _resolve_output(output, k)


def empirical_ntk(model: nn.Module, x, *, method: str = "auto", params=None,
                  preconditioner: dict | None = None, output: str = "auto",
                  output_fn: Callable | None = None, chunk_size: int | None = None,
                  max_memory: int = DEFAULT_MAX_MEMORY,
                  block_size: int | None = None) -> torch.Tensor:
    """The empirical NTK ``Theta_P = J P J^T`` of ``model`` on the points ``x``.

    Args:
        model: the network (eval mode if it has batch norm or dropout).
        x: points, shape (P, ...) (float inputs are cast to the model's dtype; token ids stay).
        method: one of :data:`METHODS`; ``"auto"`` takes the structured path when the model is a
            supported chain and no ``output_fn`` is given, the Jacobian contraction otherwise.
        params: parameter group (see :func:`select_parameters`).
        preconditioner: ``{name: scale}``, each scale broadcastable to its parameter (see the
            module docstring); parameters without an entry get 1.
        output: one of :data:`OUTPUTS` (see the module docstring).
        output_fn: generic path only: maps the model's batched output to (P, ...) before it is
            flattened to (P, k) (e.g. ``lambda y: y[:, -1]``).
        chunk_size: generic path: points per Jacobian chunk (default from ``max_memory``).
        max_memory: generic path: bytes the chunks are planned for.
        block_size: structured path: points per side of a Gram tile (default
            ``clamp(P // 8, 256, 1024)``).

    Returns:
        The kernel in the model's dtype: (P, P), (P, P, k, k) or (P, P, k) by ``output``.
    """
    x, selected, precond, method, mode = _prepare(model, x, method, params, preconditioner,
                                                  output, output_fn)
    if method == "structured":
        block = _default_block(x.shape[0]) if block_size is None else block_size
        theta, _ = _structured(model, x, selected, precond, mode,
                               _check_positive_int(block, "block_size"), False)
        return theta
    max_memory = _check_positive_int(max_memory, "max_memory")
    return _generic(model, x, selected, precond, mode, method, output_fn, chunk_size, max_memory)


def ntk_diagonal(model: nn.Module, x, *, method: str = "auto", params=None,
                 preconditioner: dict | None = None, output: str = "auto",
                 output_fn: Callable | None = None, chunk_size: int | None = None,
                 max_memory: int = DEFAULT_MAX_MEMORY) -> torch.Tensor:
    """``Theta(x_p, x_p)`` for every point, without forming the P x P kernel.

    The structured path costs one forward and one backward pass (``O(L P N^2)``); its sum over
    points is the trace, so ``ntk_diagonal(...).sum() / P`` is the exact mean eigenvalue.
    ``method="jvp"`` is treated as ``"jacobian"`` (per-point squared Jacobian norms).

    Returns:
        (P,) for ``output`` trace (and ``"auto"`` with k = 1), (P, k) for diagonal,
        (P, k, k) for full.
    """
    x, selected, precond, method, mode = _prepare(model, x, method, params, preconditioner,
                                                  output, output_fn)
    if method == "structured":
        theta, _ = _structured(model, x, selected, precond, mode, BLOCK_SIZE, True)  # no tiles
        return theta
    return _generic(model, x, selected, precond, mode, "jacobian", output_fn, chunk_size,
                    _check_positive_int(max_memory, "max_memory"), diag_only=True)


def ntk_operator(model: nn.Module, x, *, params=None, preconditioner: dict | None = None,
                 output_fn: Callable | None = None, chunk_size: int | None = None):
    """The kernel as a matrix-free :class:`scipy.sparse.linalg.LinearOperator` (float64 in/out).

    ``Theta_P v = J (P (J^T v))``: one ``vjp`` (a backward pass over all points, chunked) and one
    ``jvp`` (a forward-mode pass) per product, so Lanczos (:func:`spectrum_summary` with
    ``top_k``) runs on point sets whose kernel does not fit in memory. The operator acts on
    vectors of length ``P k`` (point-major, the ``"full"`` kernel flattened).
    """
    from scipy.sparse.linalg import LinearOperator

    x = _check_points(x, model)
    selected = select_parameters(model, params)
    precond = _check_preconditioner(model, selected, preconditioner)
    fn = _Functional(model, selected, output_fn)
    with torch.no_grad():
        k = fn(fn.params, x[:1]).shape[1]
    p = x.shape[0]
    size = p if chunk_size is None else _check_positive_int(chunk_size, "chunk_size")
    dtype = next(iter(fn.params.values())).dtype

    def matvec(v):
        v = torch.as_tensor(np.asarray(v, dtype=np.float64).reshape(p, k), dtype=dtype,
                            device=x.device)
        grad = None
        for i0, i1 in _chunks(p, size):
            _, pull = torch.func.vjp(lambda prm: fn(prm, x[i0:i1]), fn.params)
            g = pull(v[i0:i1])[0]
            grad = g if grad is None else {n: grad[n] + g[n] for n in g}
        grad = {n: (t * precond[n] if n in precond else t) for n, t in grad.items()}
        out = torch.empty(p, k, dtype=dtype, device=x.device)
        for i0, i1 in _chunks(p, size):
            out[i0:i1] = torch.func.jvp(lambda prm: fn(prm, x[i0:i1]), (fn.params,), (grad,))[1]
        return out.reshape(-1).double().cpu().numpy()

    return LinearOperator((p * k, p * k), matvec=matvec, rmatvec=matvec, dtype=np.float64)


# ---------------------------------------------------------------------------------------------
# Spectra


@dataclass(frozen=True)
class SpectrumSummary:
    """Eigenvalues of a kernel and their summary.

    Attributes:
        n: side of the kernel (P, or P k for a full vector-output kernel).
        method: "eigh" (every eigenvalue) or "lanczos" (the top ones).
        complete: whether ``eigenvalues`` holds the whole spectrum.
        eigenvalues: sorted in decreasing order, float64.
        trace: ``tr Theta`` (from the matrix's diagonal; NaN for an operator without ``trace``).
        mean: ``tr Theta / n``, the mean eigenvalue.
        max: largest eigenvalue.
        min: smallest eigenvalue (NaN unless complete).
        condition_number: ``max / max(min, floor)`` (NaN unless complete).
        condition_floor: the floor, ``max * n * eps`` with eps of the kernel's dtype (the
            eigenvalue resolution of a dtype-rounded matrix); eigenvalues below are numerically
            zero and the condition number is capped at ``1 / (n eps)``.
        effective_rank: ``exp(H(p))``, ``p_i = lambda_i / sum lambda`` over the positive
            eigenvalues (Roy and Vetterli 2007); NaN unless complete.
        participation_ratio: ``tr(Theta)^2 / ||Theta||_F^2 = (sum lambda)^2 / sum lambda^2``
            (exact from the matrix even with only the top eigenvalues; NaN for an operator).
        decay_exponent: ``alpha`` of ``lambda_i ~ i^-alpha``, least squares in log-log over the
            1-based indices ``fit_lo..fit_hi``; ``decay_exponent_se`` its standard error.
        fit_lo, fit_hi: the fitting range. By default ``fit_lo = 2`` (the top eigenvalue of a
            kernel with a non-zero mean is the constant mode and sits off the power law) and
            ``fit_hi`` the last index whose eigenvalue exceeds ``rel_floor * max``
            (default 1e-6, below which float32 rounding of the kernel dominates).
    """

    n: int
    method: str
    complete: bool
    eigenvalues: np.ndarray
    trace: float
    mean: float
    max: float
    min: float
    condition_number: float
    condition_floor: float
    effective_rank: float
    participation_ratio: float
    decay_exponent: float
    decay_exponent_se: float
    fit_lo: int
    fit_hi: int

    def as_dict(self, with_eigenvalues: bool = False) -> dict:
        """Plain numbers (and the eigenvalues as a list on request)."""
        out = {f: getattr(self, f) for f in self.__dataclass_fields__ if f != "eigenvalues"}
        if with_eigenvalues:
            out["eigenvalues"] = self.eigenvalues.tolist()
        return out


def _as_matrix(theta) -> tuple[np.ndarray, float]:
    """(symmetric float64 matrix, eps of the source dtype)."""
    if isinstance(theta, torch.Tensor):
        eps = torch.finfo(theta.dtype).eps if theta.is_floating_point() else np.finfo(float).eps
        arr = theta.detach().to("cpu", torch.float64).numpy()
    else:
        arr = np.asarray(theta)
        floating = np.issubdtype(arr.dtype, np.floating)
        eps = np.finfo(arr.dtype if floating else float).eps
        arr = arr.astype(np.float64, copy=False)
    if arr.ndim == 4 and arr.shape[0] == arr.shape[1] and arr.shape[2] == arr.shape[3]:
        p, k = arr.shape[0], arr.shape[2]
        arr = arr.transpose(0, 2, 1, 3).reshape(p * k, p * k)
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1] or arr.shape[0] < 1:
        raise ValueError(f"a kernel must be a square (P, P) or (P, P, k, k) array, got shape "
                         f"{arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError("the kernel has non-finite entries")
    scale = max(float(np.abs(arr).max()), np.finfo(float).tiny)
    asym = float(np.abs(arr - arr.T).max())
    if asym > 1e-6 * scale:
        raise ValueError(f"the kernel is not symmetric (max |A - A^T| = {asym:.3g} of "
                         f"max |A| = {scale:.3g})")
    return 0.5 * (arr + arr.T), float(eps)


def eigenvalues(theta, top_k: int | None = None, method: str = "auto", seed: int = 0) -> np.ndarray:
    """Eigenvalues of a symmetric kernel, largest first (float64).

    Args:
        theta: (P, P) or (P, P, k, k) tensor/array, or a scipy ``LinearOperator``.
        top_k: how many of the largest to return (None: all, which needs eigh).
        method: "auto" (eigh when ``top_k`` is None and the side is at most :data:`EIGH_MAX`,
            else Lanczos), "eigh" or "lanczos".
        seed: seed of the Lanczos start vector (reproducible results).
    """
    return _eigen(theta, top_k, method, seed)[0]


def _eigen(theta, top_k, method, seed):
    from scipy.sparse.linalg import LinearOperator, aslinearoperator, eigsh

    _check_choice(method, ("auto", "eigh", "lanczos"), "method")
    operator = isinstance(theta, LinearOperator)
    if operator:
        n, eps, mat = theta.shape[0], np.finfo(np.float64).eps, None
    else:
        mat, eps = _as_matrix(theta)
        n = mat.shape[0]
    if top_k is not None:
        top_k = _check_positive_int(top_k, "top_k")
        if top_k > n:
            raise ValueError(f"top_k = {top_k} exceeds the kernel's side {n}")
    if method == "auto":
        method = "eigh" if (not operator and top_k is None and n <= EIGH_MAX) else "lanczos"
    if method == "eigh":
        if operator:
            raise ValueError("a LinearOperator has no full eigh: use method='lanczos' with top_k")
        from scipy.linalg import eigh

        vals = eigh(mat, eigvals_only=True, check_finite=False)[::-1]
        if top_k is not None:
            vals = vals[:top_k]
        return np.ascontiguousarray(vals), "eigh", mat, eps
    if top_k is None:
        raise ValueError(f"a {n} x {n} kernel is beyond the full-eigh limit ({EIGH_MAX}) or an "
                         "operator: give top_k for Lanczos")
    if top_k >= n:  # eigsh needs k < n
        if operator:
            raise ValueError(f"Lanczos needs top_k < {n}")
        return _eigen(mat, top_k, "eigh", seed)[:1] + ("eigh", mat, eps)
    v0 = np.random.default_rng(seed).standard_normal(n)
    op = theta if operator else aslinearoperator(mat)
    vals = eigsh(op, k=top_k, which="LA", v0=v0, tol=0, return_eigenvectors=False)
    return np.sort(vals)[::-1].copy(), "lanczos", mat, eps


def spectrum_summary(theta, top_k: int | None = None, method: str = "auto",
                     fit_range: tuple[int, int | None] | None = None, rel_floor: float = 1e-6,
                     trace: float | None = None, seed: int = 0) -> SpectrumSummary:
    """Eigenvalues of a kernel and their summary (see :class:`SpectrumSummary`).

    Args:
        theta: (P, P) or (P, P, k, k) tensor/array, or a scipy ``LinearOperator``
            (:func:`ntk_operator`; then ``top_k`` is required and ``trace`` should be given,
            e.g. from :func:`ntk_diagonal`).
        top_k: number of leading eigenvalues by Lanczos (None: the full spectrum).
        method: see :func:`eigenvalues`.
        fit_range: 1-based ``(lo, hi)`` indices of the power-law fit (``hi`` None: default).
        rel_floor: default upper end of the fit (see :class:`SpectrumSummary`).
        trace: the kernel's trace, for an operator.
        seed: Lanczos start vector.
    """
    vals, used, mat, eps = _eigen(theta, top_k, method, seed)
    n = int(mat.shape[0]) if mat is not None else int(theta.shape[0])
    complete = used == "eigh" and len(vals) == n
    if mat is not None:
        tr = float(np.trace(mat))
        fro2 = float(np.sum(mat * mat))
        pr = tr * tr / fro2 if fro2 > 0 else float("nan")
    else:
        tr = float(trace) if trace is not None else float("nan")
        pr = float("nan")
    lmax = float(vals[0])
    floor = max(lmax, 0.0) * n * eps
    if complete:
        lmin = float(vals[-1])
        cond = lmax / max(lmin, floor) if lmax > 0 else float("nan")
        pos = vals[vals > 0]
        pr_ = pos / pos.sum()
        eff = float(np.exp(-np.sum(pr_ * np.log(pr_))))
    else:
        lmin = cond = eff = float("nan")
    lo, hi = (2, None) if fit_range is None else fit_range
    lo = _check_positive_int(lo, "fit_range lower index")
    if hi is None:
        above = np.nonzero(vals > rel_floor * lmax)[0]
        hi = int(above[-1]) + 1 if above.size else 1
    hi = min(_check_positive_int(hi, "fit_range upper index"), len(vals))
    expo = expo_se = float("nan")
    if hi - lo + 1 >= 2 and lmax > 0:
        from initaudit.analysis.propagate import fit_power_law

        idx = np.arange(lo, hi + 1)
        fit = fit_power_law(idx, vals[lo - 1:hi])
        expo, expo_se = -fit["exponent"], fit["exponent_se"]
    return SpectrumSummary(
        n=n, method=used, complete=complete, eigenvalues=vals, trace=tr, mean=tr / n, max=lmax,
        min=lmin, condition_number=cond, condition_floor=floor, effective_rank=eff,
        participation_ratio=pr, decay_exponent=expo, decay_exponent_se=expo_se, fit_lo=lo,
        fit_hi=hi,
    )


# ---------------------------------------------------------------------------------------------
# Infinite width


def theory_ntk(spec, x, law: str = "exact") -> np.ndarray:
    """``lim Theta_SP / N`` of :func:`theory.kernels.kernels` on ``x`` (P x P, float64), under
    ``law`` ("exact": the laws the network draws; "gaussian": the textbook mean field)."""
    from initaudit.theory.kernels import kernels

    return kernels(spec, np.asarray(x, dtype=np.float64), law=law).ntk_sp_over_width


def relative_distance(theta_emp, width: int, theta_inf: np.ndarray) -> float:
    """``||Theta_emp / N - Theta_inf||_F / ||Theta_inf||_F``.

    A (P, P, k, k) empirical kernel is compared with ``Theta_inf (x) I_k`` (at infinite width
    the readout units are independent and identically distributed).
    """
    width = _check_positive_int(width, "width")
    emp = theta_emp.detach().double().cpu().numpy() if isinstance(theta_emp, torch.Tensor) \
        else np.asarray(theta_emp, dtype=np.float64)
    inf = np.asarray(theta_inf, dtype=np.float64)
    if emp.ndim == 4:
        inf = inf[:, :, None, None] * np.eye(emp.shape[2])[None, None]
    if emp.shape != inf.shape:
        raise ValueError(f"kernel shapes differ: empirical {emp.shape}, theory {inf.shape}")
    return float(np.linalg.norm(emp / width - inf) / np.linalg.norm(inf))


def theory_distance(theta_emp, spec, x) -> float:
    """Relative Frobenius distance of ``Theta_emp / spec.width`` to the infinite-width NTK."""
    return relative_distance(theta_emp, spec.width, theory_ntk(spec, x))


#: Cases of the width sweep: (catalogue initializer, activation). Their specs do not depend on
#: N. Left out on purpose: Xavier, whose first-layer variance ``2/(d + N)`` makes the limit
#: itself O(1/N), so ``Theta / N`` keeps a first-layer term as large as the limit (relative
#: distance ~1 at every width); and the SIREN reference, whose hidden bias variance
#: ``omega_0^2 / (3N)`` moves the limit with N.
WIDTH_CASES = (("edge_of_chaos", "sin"), ("edge_of_chaos_sigma_a1", "sin"),
               ("kaiming_uniform", "relu"), ("kaiming_uniform", "tanh"))


@dataclass(frozen=True)
class NTKWidthCell:
    """One width of a width sweep: the empirical NTK of several networks against theory.

    Attributes:
        init: catalogue initializer (:func:`analysis.propagate.mc_inits`); its mean-field spec is
            :func:`models.catalogue.spec`.
        activation: f.
        depth: L.
        width: N.
        n_seeds: independent networks.
        n_points: inputs uniform on [-1, 1]^d.
        d_in: d.
        omega0: frequency of the sine inits (None: 30).
        convention: law the networks are drawn from: "normal" (the spec's variances with Gaussian
            weights and biases, whose limit the Gaussian theory describes exactly), "uniform",
            or None for the catalogue initializer itself.
        seed: the replicate; network ``s`` is drawn from ``(seed, STREAM_INIT, s)``
            (:mod:`initaudit.models.seeds`);
            input_seed: the inputs.
        dtype: "float32" or "float64".
    """

    init: str
    activation: str
    depth: int
    width: int
    n_seeds: int = 4
    n_points: int = 32
    d_in: int = 2
    omega0: float | None = None
    convention: str | None = "normal"
    seed: int = 0
    input_seed: int = 0
    dtype: str = "float64"


def _network(init: str, activation: str, d_in: int, width: int, depth: int, omega0,
             convention: str | None, seed: int, index: int, dtype: str):
    """(network, spec) for a catalogue init, drawn by its rule (``convention`` None) or from its
    spec's variances with that law (:meth:`models.mlp.Ensemble.draw`, one network: network
    ``index`` of replicate ``seed``, the child stream ``(seed, STREAM_INIT, index)``)."""
    from initaudit.models.mlp import Ensemble

    ens, sp = Ensemble.draw(init, d_in, width, depth, 1, activation=activation, omega0=omega0,
                            law=convention, seed=seed, keys=(index,), dtype=dtype)
    return ens.network(0).to(resolve_device()), sp


def run_width_cell(cfg: NTKWidthCell) -> pd.DataFrame:
    """One row per network: ``distance`` to the infinite-width NTK under the exact law and
    ``distance_gaussian`` under the Gaussian law, measured and predicted mean eigenvalue."""
    from initaudit.analysis.propagate import sample_inputs

    x = sample_inputs(cfg.n_points, cfg.d_in, cfg.input_seed)
    rows = []
    inf = inf_g = None
    for s in range(cfg.n_seeds):
        net, sp = _network(cfg.init, cfg.activation, cfg.d_in, cfg.width, cfg.depth, cfg.omega0,
                           cfg.convention, cfg.seed, s, cfg.dtype)
        if inf is None:
            inf, inf_g = theory_ntk(sp, x), theory_ntk(sp, x, law="gaussian")
        theta = empirical_ntk(net, x, method="structured")
        rows.append({"init": cfg.init, "activation": cfg.activation, "depth": cfg.depth,
                     "width": cfg.width, "seed": s, "convention": cfg.convention or "own",
                     "n_points": cfg.n_points,
                     "distance": relative_distance(theta, cfg.width, inf),
                     "distance_gaussian": relative_distance(theta, cfg.width, inf_g),
                     "measured_mean": float(torch.diagonal(theta).sum())
                     / (cfg.width * cfg.n_points),
                     "predicted_mean": float(np.trace(inf)) / cfg.n_points,
                     "predicted_mean_gaussian": float(np.trace(inf_g)) / cfg.n_points})
    return pd.DataFrame(rows)


def width_sweep(init: str, activation: str, depth: int, widths: Sequence[int], *,
                n_seeds: int = 4, n_points: int = 32, d_in: int = 2, omega0: float | None = None,
                convention: str | None = "normal", seed: int = 0, dtype: str = "float64",
                use_cache: bool = True) -> dict[str, pd.DataFrame]:
    """Distance of ``Theta / N`` to the infinite-width NTK as a function of the width.

    Each width is an :class:`NTKWidthCell` computed through :func:`analysis.cache.cached`.
    Expected: ``E dist^2 = A/N + B/N^2`` (fluctuations of variance O(1/N) in every entry plus an
    O(1/N) bias from the first layer and the biases, which ``Theta / N`` keeps and the limit
    drops), so the fitted exponent lies between -1 and -1/2 and tends to -1/2 at large N, against
    the infinite-width NTK of the laws the networks draw (``distance``, the exact law). Against
    the Gaussian law's NTK (``distance_gaussian``) networks with uniform laws and few input
    dimensions level off at an O(1) floor: their first-layer pre-activations are not Gaussian at
    any width, and neither is ``G + B`` with a uniform bias.

    Returns:
        ``{"table": one row per (width, seed), "summary": per width mean distance (both laws), its
        standard error over seeds (se, se_gaussian), measured and predicted mean eigenvalue,
        "fit": exponent, exponent_se, prefactor of the exact-law distance over all widths, and
        exponent_gaussian, exponent_gaussian_se of the Gaussian-law distance}``.
    """
    from initaudit.analysis.cache import cached

    frames = []
    for cfg in width_cells(init, activation, depth, widths, n_seeds=n_seeds, n_points=n_points,
                           d_in=d_in, omega0=omega0, convention=convention, seed=seed,
                           dtype=dtype):
        frames.append(cached(cfg, run_width_cell) if use_cache else run_width_cell(cfg))
    return width_summary(pd.concat(frames, ignore_index=True))


def width_cells(init: str, activation: str, depth: int, widths: Sequence[int], *,
                n_seeds: int = 4, n_points: int = 32, d_in: int = 2, omega0: float | None = None,
                convention: str | None = "normal", seed: int = 0,
                dtype: str = "float64") -> list[NTKWidthCell]:
    """The cells of :func:`width_sweep`: one :class:`NTKWidthCell` per width."""
    return [NTKWidthCell(init=init, activation=activation, depth=int(depth), width=int(width),
                         n_seeds=int(n_seeds), n_points=int(n_points), d_in=int(d_in),
                         omega0=omega0, convention=convention, seed=int(seed), dtype=dtype)
            for width in widths]


def width_summary(table: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Per-width summary and power-law fit from the rows of one case's :func:`width_cells`
    (see :func:`width_sweep` for the columns)."""
    from initaudit.analysis.propagate import fit_power_law

    init, activation = str(table.init.iloc[0]), str(table.activation.iloc[0])
    depth, convention = int(table.depth.iloc[0]), str(table.convention.iloc[0])
    summary = (table.groupby("width", sort=True)
               .agg(distance=("distance", "mean"), sd=("distance", "std"),
                    distance_gaussian=("distance_gaussian", "mean"),
                    sd_gaussian=("distance_gaussian", "std"),
                    n_seeds=("distance", "size"), measured_mean=("measured_mean", "mean"),
                    predicted_mean=("predicted_mean", "first"),
                    predicted_mean_gaussian=("predicted_mean_gaussian", "first"))
               .reset_index())
    summary["se"] = summary.sd / np.sqrt(summary.n_seeds)
    summary["se_gaussian"] = summary.sd_gaussian / np.sqrt(summary.n_seeds)
    summary = summary.drop(columns=["sd", "sd_gaussian"])
    for i, (key, val) in enumerate((("init", init), ("activation", activation), ("depth", depth),
                                    ("convention", convention))):
        summary.insert(i, key, val)
    fit = fit_power_law(summary.width, summary.distance)
    fit_g = fit_power_law(summary.width, summary.distance_gaussian)
    fit_df = pd.DataFrame([{"init": init, "activation": activation, "depth": depth,
                            "convention": convention, **fit,
                            "exponent_gaussian": fit_g["exponent"],
                            "exponent_gaussian_se": fit_g["exponent_se"]}])
    return {"table": table, "summary": summary, "fit": fit_df}


# ---------------------------------------------------------------------------------------------
# Depth sweep of the mean eigenvalue (the edge-of-chaos paper's mechanism)

#: Sine-network points of the depth sweep (catalogue names). All use the edge-of-chaos first
#: layer ``U(+-omega_0/d)`` and readout ``U(+-sqrt(3/N))`` except ``siren`` (its reference readout
#: ``U(+-sqrt(6/N)/omega_0)`` and torch's bias), so the comparison isolates the hidden layers.
DEPTH_POINTS = ("ordered", "edge_of_chaos", "edge_of_chaos_sigma_a1", "chaotic", "siren")


def depth_point_spec(point: str, d_in: int, width: int, depth: int, omega0: float = 30.0):
    """The :class:`theory.spec.NetworkSpec` of a point of :data:`DEPTH_POINTS`
    (:func:`models.catalogue.spec`; SIREN's first and hidden omega_0 are both ``omega0``)."""
    from initaudit.models import catalogue

    _check_choice(point, DEPTH_POINTS, "depth point")
    return catalogue.spec(point, d_in, width, depth, omega0=omega0)


@dataclass(frozen=True)
class NTKDepthCell:
    """One (point, depth) of the depth sweep.

    Attributes:
        point: a key of :data:`DEPTH_POINTS`.
        depth, width: L and N.
        n_seeds: networks drawn from the point's spec (uniform laws, :func:`models.mlp.build_mlp`).
        n_points, d_in, input_seed: inputs uniform on [-1, 1]^d.
        omega0: first-layer frequency (SIREN: first and hidden).
        seed: the replicate; network ``s`` is drawn from ``(seed, STREAM_INIT, s)``
            (:mod:`initaudit.models.seeds`).
        dtype: "float32" or "float64".
        full: also form the P x P kernel (its largest eigenvalue and the distance to theory);
            otherwise only its diagonal (the mean eigenvalue), O(L P N^2).
    """

    point: str
    depth: int
    width: int
    n_seeds: int = 4
    n_points: int = 64
    d_in: int = 2
    omega0: float = 30.0
    seed: int = 0
    input_seed: int = 0
    dtype: str = "float64"
    full: bool = True


def run_depth_cell(cfg: NTKDepthCell) -> pd.DataFrame:
    """One row per network: measured and predicted mean eigenvalue of ``Theta / N`` (the
    prediction under the exact law, ``predicted``, and the Gaussian law, ``predicted_gaussian``;
    ``sigma_g2`` and ``phase`` of the hidden layer under both)."""
    from initaudit.analysis.propagate import sample_inputs
    from initaudit.models import catalogue, seeds
    from initaudit.models.mlp import build_mlp
    from initaudit.theory import meanfield

    sp = depth_point_spec(cfg.point, cfg.d_in, cfg.width, cfg.depth, cfg.omega0)
    x = sample_inputs(cfg.n_points, cfg.d_in, cfg.input_seed)
    inf = theory_ntk(sp, x)
    mf = meanfield.mean_field(sp.hidden.sigma_w2, sp.hidden.sigma_b2, sp.activation,
                              convention=sp.convention)
    mf_g = meanfield.mean_field(sp.hidden.sigma_w2, sp.hidden.sigma_b2, sp.activation,
                                law="gaussian")
    pred = float(np.trace(inf)) / cfg.n_points
    pred_g = float(np.trace(theory_ntk(sp, x, law="gaussian"))) / cfg.n_points
    rows = []
    for s in range(cfg.n_seeds):
        net = build_mlp(sp, seeds.torch_generator(cfg.seed, seeds.STREAM_INIT, s),
                        cfg.dtype).to(resolve_device())
        row = {"point": cfg.point, "label": catalogue.get(cfg.point).style.label,
               "c_w": math.sqrt(3 * sp.hidden.sigma_w2), "c_b": math.sqrt(3 * sp.hidden.sigma_b2),
               "sigma_g2": mf.sigma_g2, "phase": mf.phase,
               "sigma_g2_gaussian": mf_g.sigma_g2, "phase_gaussian": mf_g.phase,
               "depth": cfg.depth, "width": cfg.width, "seed": s, "n_points": cfg.n_points,
               "predicted": pred, "predicted_gaussian": pred_g}
        if cfg.full:
            theta = empirical_ntk(net, x, method="structured")
            row["measured"] = float(torch.diagonal(theta).sum()) / (cfg.width * cfg.n_points)
            row["max_eig"] = float(torch.linalg.eigvalsh(theta.double())[-1]) / cfg.width
            row["distance"] = relative_distance(theta, cfg.width, inf)
        else:
            row["measured"] = float(ntk_diagonal(net, x, method="structured").sum()) / (
                cfg.width * cfg.n_points)
            row["max_eig"] = row["distance"] = float("nan")
        row["predicted_max_eig"] = float(np.linalg.eigvalsh(inf)[-1])
        row["rel_error"] = (row["measured"] - pred) / pred
        rows.append(row)
    return pd.DataFrame(rows)


def depth_sweep(points: Sequence[str] = DEPTH_POINTS, depths: Sequence[int] = (4, 8, 16, 32),
                width: int = 256, *, n_seeds: int = 4, n_points: int = 64, d_in: int = 2,
                omega0: float = 30.0, seed: int = 0, dtype: str = "float64", full: bool = True,
                use_cache: bool = True) -> pd.DataFrame:
    """Mean NTK eigenvalue ``tr(Theta) / (N P)`` against depth, measured and predicted.

    Each (point, depth) is an :class:`NTKDepthCell` through :func:`analysis.cache.cached`.
    The prediction is ``tr(Theta_inf) / P`` of :func:`theory_ntk` under the exact law
    (``predicted``) and the Gaussian law (``predicted_gaussian``).

    Returns:
        Tidy rows (point, label, c_w, c_b, sigma_g2, phase, sigma_g2_gaussian, phase_gaussian,
        depth, width, seed, n_points, predicted, predicted_gaussian, measured, max_eig, distance,
        predicted_max_eig, rel_error), one per network.
    """
    from initaudit.analysis.cache import cached

    frames = []
    for point in points:
        _check_choice(point, DEPTH_POINTS, "depth point")
        for depth in depths:
            cfg = NTKDepthCell(point=point, depth=int(depth), width=int(width),
                               n_seeds=int(n_seeds), n_points=int(n_points), d_in=int(d_in),
                               omega0=float(omega0), seed=int(seed), dtype=dtype, full=bool(full))
            frames.append(cached(cfg, run_depth_cell) if use_cache else run_depth_cell(cfg))
    return pd.concat(frames, ignore_index=True)


def depth_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per (point, depth): mean measured value, its standard error over seeds, the predictions
    (exact and Gaussian law), and the z-score ``(measured - predicted) / se`` against the exact
    law (``z_gaussian`` against the Gaussian one)."""
    g = table.groupby(["point", "depth"], sort=False)
    out = g.agg(label=("label", "first"), sigma_g2=("sigma_g2", "first"), phase=("phase", "first"),
                sigma_g2_gaussian=("sigma_g2_gaussian", "first"),
                phase_gaussian=("phase_gaussian", "first"),
                width=("width", "first"), measured=("measured", "mean"), sd=("measured", "std"),
                n_seeds=("measured", "size"), predicted=("predicted", "first"),
                predicted_gaussian=("predicted_gaussian", "first"),
                distance=("distance", "mean")).reset_index()
    out["se"] = out.sd / np.sqrt(out.n_seeds)
    out["z"] = (out.measured - out.predicted) / out.se
    out["z_gaussian"] = (out.measured - out.predicted_gaussian) / out.se
    return out.drop(columns="sd")


# ---------------------------------------------------------------------------------------------
# Spectra per initializer


@dataclass(frozen=True)
class NTKSpectrumCell:
    """The NTK spectrum of one registered initializer's networks.

    Attributes:
        init: catalogue initializer (:func:`analysis.propagate.mc_inits`), drawn with its own law
            (:meth:`models.mlp.Ensemble.from_init`).
        activation: f (None: :func:`models.catalogue.default_activation`).
        depth, width: L and N.
        n_seeds: networks (1 for a deterministic initializer).
        n_points, d_in, input_seed: inputs uniform on [-1, 1]^d.
        omega0: frequency of the sine inits (None: 30).
        seed: the replicate; network ``s`` is drawn from ``(seed, STREAM_INIT, s)``
            (:mod:`initaudit.models.seeds`).
        dtype: "float32" or "float64".
    """

    init: str
    activation: str | None = None
    depth: int = 8
    width: int = 256
    n_seeds: int = 2
    n_points: int = 512
    d_in: int = 2
    omega0: float | None = None
    seed: int = 0
    input_seed: int = 0
    dtype: str = "float64"


def run_spectrum_cell(cfg: NTKSpectrumCell) -> dict[str, pd.DataFrame]:
    """``{"eigenvalues": (init, activation, seed, index, eigenvalue, normalised), "summary": one
    row per network with the fields of :class:`SpectrumSummary` (eigenvalues of Theta / N)}``;
    ``normalised`` is the eigenvalue over the mean eigenvalue."""
    from initaudit.analysis.propagate import sample_inputs
    from initaudit.models import catalogue

    act = cfg.activation or catalogue.default_activation(cfg.init)
    x = sample_inputs(cfg.n_points, cfg.d_in, cfg.input_seed)
    n_seeds = cfg.n_seeds if catalogue.get(cfg.init).random else 1
    eig_frames, rows = [], []
    for s in range(n_seeds):
        net, _ = _network(cfg.init, act, cfg.d_in, cfg.width, cfg.depth, cfg.omega0, None,
                          cfg.seed, s, cfg.dtype)
        theta = empirical_ntk(net, x, method="structured") / cfg.width
        summ = spectrum_summary(theta)
        meta = {"init": cfg.init, "activation": act, "depth": cfg.depth, "width": cfg.width,
                "seed": s}
        vals = summ.eigenvalues
        eig_frames.append(pd.DataFrame({**meta, "index": np.arange(1, len(vals) + 1),
                                        "eigenvalue": vals, "normalised": vals / summ.mean}))
        rows.append({**meta, **summ.as_dict()})
    return {"eigenvalues": pd.concat(eig_frames, ignore_index=True), "summary": pd.DataFrame(rows)}


def spectra_sweep(inits: Sequence[str] | None = None, depth: int = 8, width: int = 256, *,
                  n_seeds: int = 2, n_points: int = 512, d_in: int = 2, seed: int = 0,
                  dtype: str = "float64", use_cache: bool = True) -> dict[str, pd.DataFrame]:
    """NTK spectra of every initializer for fully connected layers (default), each with the
    activation it is meant for; one :class:`NTKSpectrumCell` per initializer, cached."""
    from initaudit.analysis.cache import cached

    cells = spectra_cells(inits, depth, width, n_seeds=n_seeds, n_points=n_points, d_in=d_in,
                          seed=seed, dtype=dtype)
    return spectra_summary([cached(c, run_spectrum_cell) if use_cache else run_spectrum_cell(c)
                            for c in cells])


def spectra_cells(inits: Sequence[str] | None = None, depth: int = 8, width: int = 256, *,
                  n_seeds: int = 2, n_points: int = 512, d_in: int = 2, seed: int = 0,
                  dtype: str = "float64") -> list[NTKSpectrumCell]:
    """The cells of :func:`spectra_sweep`: one :class:`NTKSpectrumCell` per initializer
    (default: every catalogue initializer for fully connected layers)."""
    from initaudit.analysis.propagate import mc_inits

    inits = list(inits) if inits is not None else mc_inits()
    return [NTKSpectrumCell(init=init, depth=int(depth), width=int(width), n_seeds=int(n_seeds),
                            n_points=int(n_points), d_in=int(d_in), seed=int(seed), dtype=dtype)
            for init in inits]


def spectra_summary(results: Sequence[dict]) -> dict[str, pd.DataFrame]:
    """``{"eigenvalues", "summary"}`` of the cells of :func:`spectra_cells`, concatenated."""
    return {"eigenvalues": pd.concat([r["eigenvalues"] for r in results], ignore_index=True),
            "summary": pd.concat([r["summary"] for r in results], ignore_index=True)}


run_cell = cell_runner("analysis.ntk", {NTKDepthCell: run_depth_cell,
                                        NTKWidthCell: run_width_cell,
                                        NTKSpectrumCell: run_spectrum_cell})
