"""The elementwise activations of the package and their derivatives, in one table.

:data:`FUNCTIONS` and :data:`DERIVATIVES` hold the activations a network built from a
``NetworkSpec`` can use (the names of :data:`initaudit.theory.gaussian.ACTIVATIONS`);
:func:`module_derivative` gives ``f'`` for an activation *module* (``nn.ReLU``, ``nn.GELU`` with
either approximation, ``nn.SiLU`` ...), which the structured NTK path of
:mod:`initaudit.analysis.ntk` needs to differentiate a chain without autodiff.
"""

from __future__ import annotations

import math
from typing import Callable

import torch
from torch import nn

from initaudit.theory.activations import ACTIVATIONS as _ACTIVATIONS
from initaudit.theory.checks import choice

#: Activations a finite network can use: those the theory has expectations for.
ACTIVATIONS = _ACTIVATIONS


def gelu_prime(z: torch.Tensor) -> torch.Tensor:
    """d/dz [z Phi(z)] = Phi(z) + z phi(z) (exact GELU)."""
    phi = torch.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)
    return 0.5 * (1.0 + torch.erf(z / math.sqrt(2.0))) + z * phi


def gelu_tanh_prime(z: torch.Tensor) -> torch.Tensor:
    """Derivative of GELU's tanh approximation 0.5 z (1 + tanh(c (z + a z^3)))."""
    c, a = math.sqrt(2.0 / math.pi), 0.044715
    t = torch.tanh(c * (z + a * z**3))
    return 0.5 * (1.0 + t) + 0.5 * z * (1.0 - t * t) * c * (1.0 + 3.0 * a * z * z)


def relu_prime(z: torch.Tensor) -> torch.Tensor:
    """The indicator of z > 0 (the derivative at exactly 0 is taken as 0: a null set)."""
    return (z > 0).to(z.dtype)


def tanh_prime(z: torch.Tensor) -> torch.Tensor:
    return 1.0 - torch.tanh(z) ** 2


def erf_prime(z: torch.Tensor) -> torch.Tensor:
    return (2.0 / math.sqrt(math.pi)) * torch.exp(-z * z)


def sigmoid_prime(z: torch.Tensor) -> torch.Tensor:
    s = torch.sigmoid(z)
    return s * (1.0 - s)


def silu_prime(z: torch.Tensor) -> torch.Tensor:
    s = torch.sigmoid(z)
    return s * (1.0 + z * (1.0 - s))


def ones_like(z: torch.Tensor) -> torch.Tensor:
    return torch.ones_like(z)


FUNCTIONS: dict[str, Callable] = {
    "sin": torch.sin, "relu": torch.relu, "tanh": torch.tanh, "erf": torch.erf,
    "gelu": nn.functional.gelu,
}
DERIVATIVES: dict[str, Callable] = {
    "sin": torch.cos, "relu": relu_prime, "tanh": tanh_prime, "erf": erf_prime,
    "gelu": gelu_prime,
}


def check(name: str) -> str:
    """``name`` if it is one of :data:`ACTIVATIONS`."""
    return choice(name, ACTIVATIONS, "activation")


def module_derivative(module: nn.Module) -> Callable | None:
    """``f'`` of an elementwise activation module, or None when it is not one of these.

    Knows the package's own :class:`initaudit.models.mlp.Activation` (by its ``name``) and
    torch's ReLU, LeakyReLU, Tanh, Sigmoid, GELU (exact and tanh), SiLU, Identity and Dropout in
    eval mode (the identity).

    Raises:
        ValueError: a Dropout in training mode (random, so not elementwise-deterministic).
    """
    from initaudit.models.mlp import Activation  # mlp imports this module: imported here

    if isinstance(module, Activation):
        return DERIVATIVES[check(module.name)]
    if isinstance(module, nn.ReLU):
        return relu_prime
    if isinstance(module, nn.LeakyReLU):
        slope = module.negative_slope
        return lambda z: torch.where(z > 0, torch.ones_like(z), torch.full_like(z, slope))
    if isinstance(module, nn.Tanh):
        return tanh_prime
    if isinstance(module, nn.Sigmoid):
        return sigmoid_prime
    if isinstance(module, nn.GELU):
        return gelu_prime if module.approximate == "none" else gelu_tanh_prime
    if isinstance(module, nn.SiLU):
        return silu_prime
    if isinstance(module, nn.Identity):
        return ones_like
    if isinstance(module, nn.Dropout):
        if module.training and module.p > 0:
            raise ValueError("nn.Dropout in training mode is random: call model.eval() first")
        return ones_like
    return None


__all__ = ["ACTIVATIONS", "DERIVATIVES", "FUNCTIONS", "check", "gelu_prime", "gelu_tanh_prime",
           "module_derivative", "relu_prime"]
