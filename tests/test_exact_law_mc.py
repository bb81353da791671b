"""The exact law's kernels against finite networks drawn by the package's initialisers.

The covariance of the second pre-activation between two inputs,
``K_2(x, y) = E[z_2(x) z_2(y)] = sigma_w^2 E[sin z_1(x) sin z_1(y)] + sigma_b^2``, has no
finite-width bias: its sample version ``z_2(x) . z_2(y) / N`` averages products over units whose
first-layer draws are independent, and the second layer's weights and biases enter only through
their variances. So the measurement over S networks must agree with the theory within Monte-Carlo
error alone; the tolerance is 5 standard errors over networks (float64 networks). The first two
inputs are 0.05 apart in 1-D (the exact law's sinc(30 D) = 0.66 against the Gaussian law's
exp(-150 D^2) = 0.69 for the first layer) or 0.2 apart along one axis in 2-D (weights U(+-15):
sinc(3) = 0.05 against exp(-1.5) = 0.22), so the test also shows that the Gaussian law is refused.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from initaudit.models.mlp import Ensemble
from initaudit.theory import kernels


def _layer2_covariance(init: str, x: np.ndarray, width: int, n_networks: int):
    ens, spec = Ensemble.draw(init, x.shape[1], width, 2, n_networks, seed=3, dtype="float64")
    xt = torch.from_numpy(x)
    with torch.no_grad():
        z1 = ens.layer(0, ens._check_input(xt))
        z2 = ens.layer(1, torch.sin(z1))  # (S, P, N)
    cov = torch.einsum("spn,sqn->spq", z2, z2).numpy() / width  # per network, P x P
    return cov, spec


@pytest.mark.parametrize("init,x", [
    ("edge_of_chaos", np.array([[0.30], [0.35], [-0.6]])),
    ("edge_of_chaos_sigma_a1", np.array([[0.30, -0.20], [0.50, -0.20], [0.9, 0.5]])),
    ("siren", np.array([[0.30, -0.20], [0.50, -0.20], [-0.4, 0.8]])),
])
def test_second_layer_kernel_follows_the_exact_law(init, x):
    cov, spec = _layer2_covariance(init, x, width=1024, n_networks=48)
    mean = cov.mean(axis=0)
    se = cov.std(axis=0, ddof=1) / np.sqrt(cov.shape[0])
    exact = kernels.kernels(spec, x).nngp_layers[1]
    gauss = kernels.kernels(spec, x, law="gaussian").nngp_layers[1]
    assert np.all(np.abs(mean - exact) <= 5 * se), (mean, exact, se)
    # the off-diagonal entry of the two close inputs: the Gaussian law is many errors away
    assert abs(mean[0, 1] - gauss[0, 1]) > 5 * se[0, 1]
