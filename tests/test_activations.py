"""models.activations: every derivative in the table against torch.autograd (float64)."""

import pytest
import torch
from torch import nn

from initaudit.models import activations as A
from initaudit.models.mlp import Activation

Z = torch.linspace(-4.0, 4.0, 401, dtype=torch.float64)
Z = Z[Z.abs() > 1e-6]  # relu and leaky relu have no derivative at 0


def _autograd(f, z):
    z = z.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(f(z).sum(), z)
    return g


@pytest.mark.parametrize("name", A.ACTIVATIONS)
def test_named_derivatives_match_autograd(name):
    # float64 on O(1) values: agreement to 1e-12 is rounding only
    torch.testing.assert_close(A.DERIVATIVES[name](Z), _autograd(A.FUNCTIONS[name], Z),
                               rtol=0, atol=1e-12)


@pytest.mark.parametrize("module", [nn.ReLU(), nn.LeakyReLU(0.1), nn.Tanh(), nn.Sigmoid(),
                                    nn.GELU(), nn.GELU(approximate="tanh"), nn.SiLU(),
                                    nn.Identity(), nn.Dropout(0.5).eval(), Activation("sin"),
                                    Activation("erf")], ids=repr)
def test_module_derivatives_match_autograd(module):
    torch.testing.assert_close(A.module_derivative(module)(Z), _autograd(module, Z),
                               rtol=0, atol=1e-12)


def test_unknown_and_random_modules():
    assert A.module_derivative(nn.Linear(2, 2)) is None
    with pytest.raises(ValueError, match="Dropout in training mode"):
        A.module_derivative(nn.Dropout(0.5).train())
    with pytest.raises(ValueError, match="valid activations are sin, relu"):
        A.check("softplus")
