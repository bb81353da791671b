r"""Stacked training: networks of one architecture trained as one model with a leading model axis.

An experiment's cells often train M networks that share their shapes (initialisers x seeds).
:class:`StackedNetworks` stacks their parameters and buffers (``torch.func.stack_module_state``) and
evaluates all M at once with ``torch.func.vmap`` over ``torch.func.functional_call``, so that
one optimizer step updates every network. What makes this the same computation as M separate
runs:

* **Loss.** Each network's loss is computed on its own outputs; the stack's objective is the
  *sum* of the M losses, so the gradient with respect to network m's parameters is exactly the
  gradient of network m's loss (the other terms do not depend on them).
* **Optimizer.** ``torch.optim.SGD``, ``Adam`` and ``AdamW`` act elementwise on each parameter
  tensor (their step count is one per optimizer, the same for every network that is still
  training), so the stacked update of network m is its own update.
* **Stopping.** :meth:`StackedNetworks.stop` freezes a network for good (early stopping,
  divergence): :meth:`StackedNetworks.step` restores its parameter rows, its optimizer-state rows
  and its buffers (batch-norm running statistics, which the forward pass updates) after the step,
  so a stopped network's parameters and buffers are bitwise those it had when it stopped (its
  optimizer moments too, once they exist).
* **Clipping.** :meth:`StackedNetworks.clip_grad_norm_` clips each network's gradient by its own norm
  over all its parameters, as ``torch.nn.utils.clip_grad_norm_`` does for one network.
* **Schedules.** A learning-rate schedule that depends only on the step (``ExponentialLR``,
  ``StepLR``) is shared; one that reads a network's own metric (``ReduceLROnPlateau``) is not
  supported, since one optimizer has one rate.
* **Randomness.** vmap draws one random stream for the whole stack, which cannot reproduce M
  separately seeded runs; a network that draws random numbers in its forward pass (dropout in
  training mode) is refused.

What differs: the batched matrix products sum in another order than M separate ones, so float32
results agree with the separate runs to rounding (about 1e-6 relative per step), and float64 ones
to about 1e-13 per step (the equivalence tests hold whole training runs to 1e-10).

:func:`group_size` chooses how many networks train together from the memory one of them needs
(parameters, gradients, optimizer state, and the activations autograd keeps, measured on an
example batch) and the memory available.
"""

from __future__ import annotations

import copy
import math
from typing import Any, Callable, Iterable, Sequence

import torch
from torch import nn

from initaudit.theory.checks import positive_int

__all__ = ["StackedNetworks", "StackError", "group_size", "step_bytes"]

#: Bytes per parameter entry beside the parameter itself: its gradient and two Adam moments,
#: and the stacked copy the stack holds while its source networks are alive.
STATE_COPIES = 4


class StackError(ValueError):
    """Networks that cannot be trained as one stack, or a stack used outside its rules."""


def _signature(module: nn.Module) -> tuple:
    params = tuple((n, tuple(p.shape), p.dtype, p.device.type)
                   for n, p in module.named_parameters())
    buffers = tuple((n, tuple(b.shape), b.dtype) for n, b in module.named_buffers())
    return type(module), params, buffers


class _Apply(nn.Module):
    """``fn(net, *inputs)`` as a module, so that functional_call can swap ``net``'s tensors."""

    def __init__(self, net: nn.Module, fn: Callable[..., Any]):
        super().__init__()
        self.net = net
        self.fn = fn

    def forward(self, *inputs):  # noqa: D102
        return self.fn(self.net, *inputs)


class StackedNetworks:
    """M networks of one architecture as one model with a leading model axis.

    The networks' current parameters and buffers are copied into stacked tensors
    (``(M, *shape)``); the stacked parameters are leaf tensors that require gradients, to be
    given to one optimizer (:meth:`parameters`). :meth:`write_back` copies the trained values
    into the networks again.

    Args:
        models: the networks (same class, same parameter and buffer names, shapes and dtypes).

    Raises:
        StackError: no network, or networks of different structure.
    """

    def __init__(self, models: Sequence[nn.Module]):
        models = list(models)
        if not models:
            raise StackError("a stack needs at least one network, got none")
        first = _signature(models[0])
        for i, m in enumerate(models[1:], start=1):
            if _signature(m) != first:
                raise StackError(
                    f"network {i} differs from network 0 in class, parameter or buffer names, "
                    "shapes or dtypes; a stack holds networks of one architecture")
        self.size = len(models)
        params, buffers = torch.func.stack_module_state(models)
        self.params: dict[str, torch.Tensor] = dict(params)
        self.buffers: dict[str, torch.Tensor] = dict(buffers)
        self._base = copy.deepcopy(models[0]).to("meta")
        self.stopped = torch.zeros(self.size, dtype=torch.bool)
        # buffer rows of the stopped networks as they were when they stopped
        self._frozen = {name: b.detach().clone() for name, b in self.buffers.items()}

    # ----------------------------------------------------------------------------------------
    # Evaluation

    def parameters(self) -> list[torch.Tensor]:
        """The stacked parameters, in the networks' parameter order (give them to the
        optimizer)."""
        return list(self.params.values())

    def train(self, mode: bool = True) -> "StackedNetworks":
        """Training (True) or evaluation (False) mode of the networks (batch norm, dropout)."""
        self._base.train(mode)
        return self

    def __call__(self, *inputs: torch.Tensor, shared: bool | Sequence[bool] = False):
        """Every network's forward pass: ``out[m] = network_m(inputs[m])``.

        Args:
            inputs: tensors with a leading model axis of length M, or without it where
                ``shared`` says so (the same input for every network).
            shared: one flag for all inputs or one per input.
        """
        return self.apply(None, *inputs, shared=shared)

    def apply(self, fn: Callable[..., Any] | None, *inputs: torch.Tensor,
              shared: bool | Sequence[bool] = False):
        """``fn(network_m, *inputs_m)`` for every network at once (``fn`` None: the forward
        pass). ``fn`` must use the network only through its modules' forward passes and
        parameters (e.g. a forward-mode Laplacian of an ``nn.Sequential``).

        Raises:
            StackError: ``shared`` has the wrong length, or the networks draw random numbers
                (dropout in training mode).
        """
        flags = [bool(shared)] * len(inputs) if isinstance(shared, bool) else list(shared)
        if len(flags) != len(inputs):
            raise StackError(f"shared has {len(flags)} flags for {len(inputs)} inputs")
        for x, s in zip(inputs, flags):
            if not s and (x.dim() == 0 or x.shape[0] != self.size):
                raise StackError(
                    f"an input without shared=True needs a leading model axis of {self.size}, "
                    f"got shape {tuple(x.shape)}")
        module = self._base if fn is None else _Apply(self._base, fn)
        prefix = "" if fn is None else "net."
        params = {prefix + k: v for k, v in self.params.items()}
        buffers = {prefix + k: v for k, v in self.buffers.items()}

        def call(p, b, *xs):
            return torch.func.functional_call(module, (p, b), xs)

        in_dims = (0, 0, *[None if s else 0 for s in flags])
        try:
            return torch.func.vmap(call, in_dims=in_dims, randomness="error")(
                params, buffers, *inputs)
        except RuntimeError as exc:
            if "randomness" in str(exc):
                raise StackError(
                    "these networks draw random numbers in their forward pass (dropout in "
                    "training mode); one vmapped stream cannot reproduce separately seeded runs, "
                    "so train them one at a time") from None
            raise

    # ----------------------------------------------------------------------------------------
    # Training

    def stop(self, which: int | Iterable[int] | torch.Tensor) -> None:
        """Freeze networks for good (indices or a boolean mask): from now on :meth:`step`
        leaves their parameters and optimizer state as they are.

        Raises:
            StackError: an index outside 0..M-1.
        """
        if isinstance(which, torch.Tensor) and which.dtype == torch.bool:
            if which.shape != (self.size,):
                raise StackError(f"a stop mask needs shape ({self.size},), got "
                                    f"{tuple(which.shape)}")
            new = which.cpu() & ~self.stopped
        else:
            idx = [int(which)] if isinstance(which, int) else [int(i) for i in which]
            bad = [i for i in idx if not 0 <= i < self.size]
            if bad:
                raise StackError(f"network indices must lie in 0..{self.size - 1}, got {bad}")
            new = torch.zeros(self.size, dtype=torch.bool)
            new[idx] = True
            new &= ~self.stopped
        rows = new.nonzero().flatten()
        with torch.no_grad():
            for name, b in self.buffers.items():
                self._frozen[name][rows] = b.detach()[rows]
        self.stopped |= new

    @property
    def active(self) -> torch.Tensor:
        """Boolean mask of the networks still training."""
        return ~self.stopped

    def step(self, optimizer: torch.optim.Optimizer) -> None:
        """``optimizer.step()`` with the stopped networks' rows restored afterwards.

        The optimizer's per-parameter state tensors with a leading axis of M (momenta) are
        restored; its scalar step count is shared (a stopped network never steps again, so its
        count no longer matters).
        """
        idx = self.stopped.nonzero().flatten()
        if idx.numel() == 0:
            optimizer.step()
            return
        if idx.numel() == self.size:
            self._restore_buffers(idx)
            return
        saved = []
        for p in self.parameters():
            rows = [(p, p.detach()[idx].clone())]
            for value in optimizer.state.get(p, {}).values():
                if isinstance(value, torch.Tensor) and value.dim() > 0 \
                        and value.shape[0] == self.size:
                    rows.append((value, value[idx].clone()))
            saved.append(rows)
        optimizer.step()
        with torch.no_grad():
            for rows in saved:
                for tensor, old in rows:
                    tensor.detach()[idx] = old
            self._restore_buffers(idx)

    @torch.no_grad()
    def _restore_buffers(self, idx: torch.Tensor) -> None:
        for name, b in self.buffers.items():
            b[idx] = self._frozen[name][idx]

    @torch.no_grad()
    def clip_grad_norm_(self, max_norm: float) -> torch.Tensor:
        """Clip each network's gradient to Euclidean norm ``max_norm`` over all its parameters
        (``torch.nn.utils.clip_grad_norm_`` per network: factor ``max_norm / (norm + 1e-6)``,
        applied when below 1).

        Returns:
            The M norms before clipping.
        """
        grads = [p.grad for p in self.parameters() if p.grad is not None]
        if not grads:
            return torch.zeros(self.size)
        norms = torch.stack([torch.linalg.vector_norm(g.reshape(self.size, -1), dim=1)
                             for g in grads], dim=1)
        total = torch.linalg.vector_norm(norms, dim=1)
        coef = torch.clamp(float(max_norm) / (total + 1e-6), max=1.0)
        for g in grads:
            g.mul_(coef.to(g).view(self.size, *([1] * (g.dim() - 1))))
        return total

    @torch.no_grad()
    def write_back(self, models: Sequence[nn.Module]) -> list[nn.Module]:
        """Copy the stacked parameters and buffers into ``models`` (the networks the stack was
        made from, or others of the same structure); returns them."""
        models = list(models)
        if len(models) != self.size:
            raise StackError(f"write_back needs {self.size} networks, got {len(models)}")
        self._restore_buffers(self.stopped.nonzero().flatten())
        for m, model in enumerate(models):
            for name, p in model.named_parameters():
                p.copy_(self.params[name][m])
            for name, b in model.named_buffers():
                if name in self.buffers:
                    b.copy_(self.buffers[name][m])
        return models


# --------------------------------------------------------------------------------------------
# Memory


def step_bytes(model: nn.Module, loss_of: Callable[[nn.Module], torch.Tensor]) -> int:
    """Bytes one network needs for one training step: its parameters with their gradient,
    optimizer moments and stacked copy (:data:`STATE_COPIES` + 1 copies) plus the tensors
    autograd saves for the backward pass of ``loss_of(model)`` (measured with saved-tensor
    hooks, views counted at their full size)."""
    saved = 0

    def pack(t: torch.Tensor):
        nonlocal saved
        saved += t.numel() * t.element_size()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        loss = loss_of(model)
    del loss
    param_bytes = sum(p.numel() * p.element_size() for p in model.parameters())
    return int((STATE_COPIES + 1) * param_bytes + saved)


def group_size(per_model_bytes: int, count: int, *, workers: int = 1,
               limit: int | None = None) -> int:
    """Networks to train together: as many of ``count`` as fit in the memory one worker may
    use (:func:`analysis.budget.memory_limit` divided by ``workers``), at least one.

    Args:
        per_model_bytes: :func:`step_bytes` of one network.
        count: networks waiting (the group is never larger).
        workers: workers sharing the machine's memory.
        limit: a further upper bound (None: none).
    """
    from initaudit.analysis.budget import memory_limit

    count = positive_int(count, "count")
    workers = positive_int(workers, "workers")
    budget, _ = memory_limit()
    if budget is None or per_model_bytes <= 0:
        n = count
    else:
        n = max(1, math.floor(budget / workers / per_model_bytes))
    if limit is not None:
        n = min(n, positive_int(limit, "limit"))
    return min(n, count)
