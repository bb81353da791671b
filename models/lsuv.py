r"""Layer-sequential unit-variance (LSUV) initialisation.

Mishkin and Matas, "All you need is a good init", ICLR 2016, arXiv 1511.06422, Algorithm 1:

1. Fill every convolution and fully connected weight with an orthonormal matrix (the QR of a
   Gaussian matrix; conv weights as (C_out, C_in k^2) matrices) and set the biases to zero.
2. For each such layer L, in the order of the forward pass: feed a mini-batch, measure the
   variance ``Var(B_L)`` of the layer's output over all its entries (batch, units, positions),
   and divide the weight by ``sqrt(Var(B_L))``; repeat while ``|Var(B_L) - 1| >= tol`` and fewer
   than ``max_iter`` rescalings have been made. The paper uses ``tol = 0.1`` and ``max_iter =
   10``.

With zero biases a Linear or Conv output is linear in its weight, so one rescaling gives unit
variance up to rounding; the loop matters where the output depends on the weight in another way
(the attention output through the softmax).

Layers handled here, each a *target* with its own output:

* ``nn.Linear`` and ``nn.Conv1d/2d/3d`` modules that run as modules (forward hooks fire);
* ``nn.MultiheadAttention``: its packed input projection as three targets, the q, k and v blocks
  (output: ``x W_q^T + b_q`` etc. on the module's query/key/value inputs), and its output
  projection ``out_proj`` (output: the module's output). Torch calls ``out_proj`` inside a
  functional kernel, so a hook on it never fires and the reference implementations skip it;
  here it is rescaled through the module's output.

Targets are visited in the order their outputs are first produced, found by one forward pass.
Layers that the forward pass never reaches are orthonormalised but not rescaled (they are
reported with ``variance = nan``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F
from initaudit.theory.checks import positive_int

__all__ = ["LSUV_MAX_ITER", "LSUV_TOL", "LSUVLayer", "lsuv_"]

#: Mishkin and Matas (2016), Algorithm 1: Tol_var = 0.1 and T_max = 10.
LSUV_TOL = 0.1
LSUV_MAX_ITER = 10

_LAYERS = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)


@dataclass(frozen=True)
class LSUVLayer:
    """What LSUV did to one target.

    Attributes:
        name: ``<module name>`` for Linear/Conv, ``<name>.in_proj[q|k|v]`` and
            ``<name>.out_proj`` for attention.
        variance: output variance after the last rescaling (population variance over all
            entries of the output for the batch); nan if the forward pass never reached it.
        iterations: rescalings made.
        converged: whether ``|variance - 1| < tol``.
    """

    name: str
    variance: float
    iterations: int
    converged: bool


class _Target:
    """One weight whose output variance LSUV sets, with a way to read that output."""

    def __init__(self, name: str, module: nn.Module, weight: torch.Tensor, kind: str,
                 block: int | None = None):
        self.name, self.module, self.weight = name, module, weight
        self.kind, self.block = kind, block

    def hook(self, store: dict) -> torch.utils.hooks.RemovableHandle:
        """Register a hook that puts this target's output (detached) in ``store[self]``."""
        # Hooks must return None: a forward hook's return value would replace the output.
        if self.kind in ("layer", "out_proj"):
            def post(m, args, out):
                store.setdefault(self, (out if self.kind == "layer" else out[0]).detach())

            return self.module.register_forward_hook(post)
        # q / k / v block of the packed input projection: recompute it from the inputs.
        mha: nn.MultiheadAttention = self.module

        def pre(m, args, kwargs):
            names = ("query", "key", "value")
            inputs = list(args) + [kwargs[n] for n in names[len(args):] if n in kwargs]
            x = inputs[self.block]
            e, b = mha.embed_dim, self.block
            bias = None if mha.in_proj_bias is None else mha.in_proj_bias[b * e:(b + 1) * e]
            store.setdefault(self, F.linear(x.detach(), self.weight, bias))

        return mha.register_forward_pre_hook(pre, with_kwargs=True)


def _targets(model: nn.Module) -> list[_Target]:
    out: list[_Target] = []
    for name, m in model.named_modules():
        if isinstance(m, nn.MultiheadAttention):
            if m.in_proj_weight is None:
                raise ValueError(f"{name}: LSUV supports nn.MultiheadAttention with a packed "
                                 f"in_proj_weight only (kdim = vdim = embed_dim)")
            e = m.embed_dim
            blocks = m.in_proj_weight.view(3, e, m.in_proj_weight.shape[1])
            for i, part in enumerate("qkv"):
                out.append(_Target(f"{name}.in_proj[{part}]", m, blocks[i], "qkv", i))
            out.append(_Target(f"{name}.out_proj", m, m.out_proj.weight, "out_proj"))
        elif isinstance(m, _LAYERS) and not _inside_attention(model, name):
            out.append(_Target(name, m, m.weight, "layer"))
    return out


def _inside_attention(model: nn.Module, name: str) -> bool:
    # ``out_proj`` of an attention module is an nn.Linear that torch never calls as a module.
    if name == "":
        return False
    return isinstance(model.get_submodule(name.rpartition(".")[0]), nn.MultiheadAttention)


def _outputs(model: nn.Module, data: torch.Tensor, targets: list[_Target]) -> dict:
    store: dict = {}
    handles = [t.hook(store) for t in targets]
    try:
        model(data)
    finally:
        for h in handles:
            h.remove()
    return store


def _variance(x: torch.Tensor) -> float:
    return float(x.to(torch.float64).var(correction=0))


def lsuv_(model: nn.Module, data: torch.Tensor, *, tol: float = LSUV_TOL,
          max_iter: int = LSUV_MAX_ITER, orthonormal: bool = True,
          generator: torch.Generator | None = None) -> list[LSUVLayer]:
    r"""LSUV-initialise ``model`` in place (Mishkin and Matas 2016, Algorithm 1).

    Step 1 (if ``orthonormal``): every Linear/Conv weight and every attention q/k/v block gets
    :func:`models.init.orthogonal_` (gain 1) and every Linear/Conv bias is set to zero. Step 2:
    for each target in forward order, ``W <- W / sqrt(Var(B))`` until
    :math:`|\mathrm{Var}(B) - 1| < \mathrm{tol}` or ``max_iter`` rescalings; ``Var`` is the
    population variance of the target's output over every entry for ``data``. The model runs
    in eval mode under ``torch.no_grad()`` and its training flag is restored afterwards.

    Args:
        model: the network.
        data: one batch of inputs (the paper uses one mini-batch).
        tol: tolerance on the output variance (> 0).
        max_iter: maximum rescalings per target (>= 1).
        orthonormal: do step 1 (False: rescale the weights as they are).
        generator: torch.Generator of the orthonormal draw.

    Returns:
        One :class:`LSUVLayer` per target, in forward order (unreached targets last, with nan
        variance).

    Raises:
        ValueError: ``tol`` not positive, ``max_iter`` < 1, an empty batch, or a layer whose
            output has zero variance (it cannot be rescaled to 1).
    """
    if not (isinstance(tol, (int, float)) and math.isfinite(tol) and tol > 0):
        raise ValueError(f"tol must be a positive number, got {tol!r}")
    positive_int(max_iter, "max_iter")
    if not isinstance(data, torch.Tensor) or data.numel() == 0 or data.shape[0] == 0:
        raise ValueError("data must be a non-empty batch of inputs (a tensor with batch size >= 1)")
    targets = _targets(model)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            if orthonormal:
                from initaudit.models.init import orthogonal_

                for t in targets:
                    orthogonal_(t.weight, generator=generator)
                for m in model.modules():
                    if isinstance(m, _LAYERS) and m.bias is not None:
                        m.bias.zero_()
            first = _outputs(model, data, targets)
            # dicts keep insertion order: the order in which the outputs were produced
            order = list(first) + [t for t in targets if t not in first]
            records = []
            for t in order:
                if t not in first:
                    records.append(LSUVLayer(t.name, math.nan, 0, False))
                    continue
                var = _variance(_outputs(model, data, [t])[t])
                iterations = 0
                while abs(var - 1.0) >= tol and iterations < max_iter:
                    if not var > 0:
                        raise ValueError(f"LSUV: the output of {t.name} has variance {var} on this "
                                         f"batch and cannot be scaled to unit variance")
                    t.weight.mul_(1.0 / math.sqrt(var))
                    iterations += 1
                    var = _variance(_outputs(model, data, [t])[t])
                records.append(LSUVLayer(t.name, var, iterations, abs(var - 1.0) < tol))
    finally:
        model.train(was_training)
    return records


def _add_entry() -> None:
    from initaudit.models.catalogue import Style, add

    add(
        "lsuv", lsuv_, scope="model",
        paper="Mishkin and Matas (2016), ICLR", arxiv="1511.06422",
        formula="orthonormal weights (QR of a Gaussian), zero biases, then per layer in forward "
                "order W <- W / sqrt(Var(B)) until |Var(B) - 1| < tol (0.1) or 10 rescalings",
        applies_to=("linear", "conv", "attention"), random=True,
        notes="Data-dependent: lsuv_(model, data) needs one batch of inputs, so it has no "
              "whole-layer rule and no mean-field spec. The Sinusoidal paper's classification "
              "baselines include it.",
        defaults={"tol": LSUV_TOL, "max_iter": LSUV_MAX_ITER},
        url="https://github.com/jmiravet/Sinusoidal-Initialization (lsuv.py)",
        commit="effb3978172c24db496a4ccc60a42c7c581a52de",
        style=Style("LSUV", "#44AA99", "D", "-", "Lsuv"), matrix="orthogonal",
    )


_add_entry()
