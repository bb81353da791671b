"""The NTK's diagonal of sine networks from their expected squared gradients (theory/kernels.py).

* The telescoping identity is proved by sympy for symbolic S_m and sigma_m^2 (exact algebra).
* The code's identity against the kernel recursion's NTK: float64, 1e-12 relative (the two share
  only the layer expectations, and the identity is exact).
* Its limits: at sigma_w^2 = 1 it is 1 - P_1 < 1 for every depth; with unit gain the increment per
  layer tends to (1 - 1/sigma^2) chi_L (checked at depth 64 to 1e-3, the size of the gain's
  remaining deviation from one there).
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from initaudit.models import catalogue
from initaudit.theory.kernels import kernels, ntk_from_gradients
from initaudit.theory.predict import predict


def test_telescoping_identity_is_exact_algebra():
    depth = 6
    s = sp.symbols(f"S1:{depth + 1}", positive=True)
    sig = sp.symbols(f"sigma1:{depth + 1}", positive=True)
    chi = [sig[m] * (1 - s[m]) for m in range(depth)]  # f'^2 = 1 - f^2 for sine
    p = [sp.prod(chi[m:]) for m in range(depth)] + [sp.Integer(1)]  # P_1 .. P_{L+1}
    recursion = sum(s[m] * p[m + 1] for m in range(depth))  # sum_m S_m P_{m+1}
    identity = sum(p[m + 1] - p[m] / sig[m] for m in range(depth))
    assert sp.expand(recursion - identity) == 0


@pytest.mark.parametrize("init", ["edge_of_chaos", "edge_of_chaos_sigma_a1", "siren",
                                  "xavier_uniform"])
@pytest.mark.parametrize("law", ["exact", "gaussian"])
def test_identity_matches_the_kernel_recursion(init, law):
    spec = catalogue.spec(init, 2, 256, 7, "sin")
    x = np.random.default_rng(1).uniform(-1, 1, size=(6, 2))
    want = np.diag(kernels(spec, x, law=law).ntk_sp_over_width)
    np.testing.assert_allclose(ntk_from_gradients(spec, x, law), want, rtol=1e-12)


@pytest.mark.parametrize("depth", [2, 8, 64, 512])
def test_at_unit_weight_variance_the_mean_eigenvalue_is_one_minus_the_gradient(depth):
    spec = catalogue.spec("edge_of_chaos", 1, 256, depth, "sin")
    x = np.array([[0.3], [-0.8]])
    assert all(lv.sigma_w2 == pytest.approx(1.0) for lv in spec.layers()[1:])
    theta = ntk_from_gradients(spec, x)
    p1 = predict(spec, x)["grad_norm2"][:, 0]
    np.testing.assert_allclose(theta, 1.0 - p1, rtol=1e-12)
    assert np.all(theta < 1.0)


def test_with_unit_gain_the_growth_per_layer_is_one_minus_one_over_sigma2():
    """The sigma_a = 1 point under the Gaussian law has unit gain at its fixed point: one more
    layer adds (1 - 1/sigma^2) times the readout's gain chi_L."""
    x = np.array([[0.5]])
    a = ntk_from_gradients(catalogue.spec("edge_of_chaos_sigma_a1", 1, 256, 64, "sin"), x,
                           "gaussian")
    spec = catalogue.spec("edge_of_chaos_sigma_a1", 1, 256, 65, "sin")
    b = ntk_from_gradients(spec, x, "gaussian")
    chi_readout = predict(spec, x, "gaussian")["chi"][0, -1]
    slope = (1.0 - 1.0 / spec.hidden.sigma_w2) * chi_readout
    assert float(b[0] - a[0]) == pytest.approx(slope, abs=1e-3)


def test_identity_refuses_other_activations():
    with pytest.raises(ValueError, match="sine"):
        ntk_from_gradients(catalogue.spec("kaiming_uniform", 1, 64, 3, "relu"), np.array([[0.1]]))
