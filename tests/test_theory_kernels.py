"""NNGP/NTK recursions: positive semi-definiteness, agreement with the scalar depth profile,
closed form vs quadrature, and the standard-parametrisation limit against its defining sum.

Tolerances: float64 identities at 1e-10 relative to the matrix scale; eigenvalues of a PSD matrix
computed in float64 can come out negative by ~P * eps * ||K||, so PSD means
lambda_min >= -1e-10 * lambda_max.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from initaudit.theory import kernels, meanfield, sine, spec

SETTINGS = settings(max_examples=30, deadline=None, derandomize=True)


def _inputs(p, d, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, size=(p, d))


def _specs(depth, width=256, d=2):
    return [
        spec.siren_reference(d, width, depth),
        spec.siren_port(d, width, depth),
        spec.edge_of_chaos(d, width, depth),
        spec.edge_of_chaos(d, width, depth, sigma_a=1.0),
        spec.xavier(d, width, depth, activation="tanh"),
        spec.he(d, width, depth, activation="relu"),
    ]


@SETTINGS
@given(cw=st.floats(0.8, 3.0), cb=st.floats(0.0, 2.0), depth=st.integers(1, 12),
       omega0=st.floats(0.5, 40.0), seed=st.integers(0, 2**16))
def test_nngp_and_ntk_are_symmetric_psd(cw, cb, depth, omega0, seed):
    net = spec.sine_uniform(2, 64, depth, c_w=cw, c_b=cb, omega0=omega0)
    res = kernels.kernels(net, _inputs(12, 2, seed))
    for mat in (res.nngp, res.ntk, res.ntk_sp_over_width):
        assert np.array_equal(mat, mat.T)
        ev = np.linalg.eigvalsh(mat)
        assert ev.min() >= -1e-10 * max(ev.max(), 1e-300)


@pytest.mark.parametrize("net", _specs(8), ids=lambda n: n.name)
def test_ntk_diagonal_is_sum_of_layer_products(net):
    """Theta(x, x) = sum_m q_m prod_{k >= m} chi_k, from the scalar q/chi iteration of the
    Gaussian mean field (:func:`theory.meanfield.propagate`)."""
    x = _inputs(5, net.d_in, 1)
    res = kernels.kernels(net, x, law="gaussian")
    maps = [(lv.sigma_w2, lv.sigma_b2) for lv in net.layers()[1:]]
    for i, q1 in enumerate(net.q1(x)):
        prof = meanfield.propagate(float(q1), maps, net.activation, law="gaussian")
        q_out = float(meanfield.q_map(prof.q[-1], *maps[-1], net.activation, law="gaussian"))
        qs = np.append(prof.q, q_out)
        chis = np.append(prof.chi, 1.0)
        theta = sum(qs[m] * np.prod(chis[m:-1]) for m in range(len(qs)))
        assert res.ntk[i, i] == pytest.approx(theta, rel=1e-10)
        assert res.nngp[i, i] == pytest.approx(q_out, rel=1e-10)
        np.testing.assert_allclose(np.diagonal(res.nngp_layers[:-1], axis1=1, axis2=2)[:, i], prof.q, rtol=1e-10)


@pytest.mark.parametrize("net", _specs(8), ids=lambda n: n.name)
def test_exact_law_ntk_diagonal_is_sum_of_layer_products(net):
    """The same identity under the exact law, with q and chi from the per-input prediction."""
    from initaudit.theory.predict import predict

    x = _inputs(5, net.d_in, 1)
    res = kernels.kernels(net, x)
    pred = predict(net, x)
    for i in range(len(x)):
        qs = np.append(pred["q"][i], res.nngp[i, i])
        chis = np.append(pred["chi"][i], 1.0)
        theta = sum(qs[m] * np.prod(chis[m:-1]) for m in range(len(qs)))
        assert res.ntk[i, i] == pytest.approx(theta, rel=1e-10)


@pytest.mark.parametrize("net", _specs(6), ids=lambda n: n.name)
def test_sp_limit_equals_its_defining_sum(net):
    """lim Theta_SP / N = sum_{m=1}^{L} S_m P_{m+1}, P_m = prod_{k=m}^{L} sigma_{w,k}^2 Edot_k."""
    from initaudit.theory.gaussian import expectations

    x = _inputs(6, net.d_in, 2)
    res = kernels.kernels(net, x, law="gaussian")
    e = expectations(net.activation)
    layers = net.layers()
    ks = res.nngp_layers  # K_1 .. K_{L+1}
    d = lambda k: np.diag(k)  # noqa: E731
    s = [e.ff(d(k)[:, None], d(k)[None, :], k) for k in ks[:-1]]  # S_1 .. S_L
    edot = [e.dfdf(d(k)[:, None], d(k)[None, :], k) for k in ks[:-1]]
    depth = net.depth
    total = np.zeros_like(res.ntk)
    for m in range(1, depth + 1):  # weights W_m, m = 1..L, read h_m
        p_next = np.ones_like(res.ntk)
        for k in range(m + 1, depth + 1):
            p_next = p_next * layers[k].sigma_w2 * edot[k - 1]
        total += s[m - 1] * p_next
    np.testing.assert_allclose(res.ntk_sp_over_width, total, rtol=1e-10, atol=1e-12 * np.abs(total).max())


def test_closed_form_and_quadrature_kernels_agree():
    net = spec.edge_of_chaos(1, 256, 10, omega0=3.0, sigma_a=1.0)
    x = np.linspace(-1, 1, 9)[:, None]
    a, b = (kernels.kernels(net, x, "closed", law="gaussian"),
            kernels.kernels(net, x, "quadrature", law="gaussian"))
    for name in ("nngp", "ntk", "ntk_sp_over_width"):
        ma, mb = getattr(a, name), getattr(b, name)
        np.testing.assert_allclose(ma, mb, rtol=0, atol=1e-10 * np.abs(ma).max())


def test_ntk_grows_linearly_in_depth_at_the_sigma_a1_point_fixed_input():
    # At q_1 = q* = 1 and unit gain every layer adds q* to the diagonal: Theta(x, x) = (L + 1) q*
    # up to the readout, exactly. Build a spec whose first layer puts q_1 at q* for |x|^2/d = 1.
    cw, cb = sine.sigma_a1_point()
    base = spec.edge_of_chaos(1, 256, 1, sigma_a=1.0)
    first = spec.LayerVariance(1.0, 0.0)
    readout = base.hidden
    diag = []
    for depth in (1, 2, 4, 8):
        net = base.with_(depth=depth, first=first, readout=readout)
        diag.append(kernels.kernels(net, np.ones((1, 1)), law="gaussian").ntk[0, 0])
    np.testing.assert_allclose(diag, [2.0, 3.0, 5.0, 9.0], rtol=1e-10)


@pytest.mark.parametrize("call,message", [
    (lambda: kernels.kernels(spec.edge_of_chaos(2, 8, 2), np.zeros((3, 3))), r"shape \(P, 2\)"),
    (lambda: kernels.kernels(spec.edge_of_chaos(1, 8, 2), np.array([np.nan])), "finite"),
    (lambda: spec.edge_of_chaos(1, 8, 0), "depth must be a positive integer"),
    (lambda: spec.LayerVariance(-1.0, 0.0), "non-negative"),
    (lambda: spec.NetworkSpec(1, 8, 2, spec.LayerVariance(1, 0), spec.LayerVariance(1, 0),
                              spec.LayerVariance(1, 0), activation="swish"), "valid activations"),
    (lambda: spec.edge_of_chaos(1, 8, 2, c_w=3.0), r"\[sqrt\(3\), sqrt\(6\)\)"),
])
def test_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_published_specs_fold_omega_as_documented():
    net = spec.siren_reference(2, 256, 4, omega0=30.0)
    # hidden c_w = sqrt(6): sigma_w^2 = 2; bias omega0 * U(+-1/sqrt(N)): sigma_b^2 = 900 / (3 * 256)
    assert net.hidden.sigma_w2 == pytest.approx(2.0, rel=1e-14)
    assert net.hidden.sigma_b2 == pytest.approx(900 / 768, rel=1e-14)
    # first layer omega0 * U(+-1/d): Var = omega0^2 / (3 d^2) = sigma_w0^2 / d
    assert net.first.sigma_w2 / 2 == pytest.approx(900 / 12, rel=1e-14)
    eoc = spec.edge_of_chaos(2, 256, 4)
    assert eoc.hidden.sigma_w2 == pytest.approx(1.0, rel=1e-14) and eoc.hidden.sigma_b2 == 0.0


# --------------------------------------------------------------------------------------------
# The kernel of a residual loss in Lap u (theory.kernels.laplacian_ntk)


def _one_layer_laplacian_kernel(law):
    """Lap_x Lap_y E[sin z(x) sin z(y)] for one sine layer with d = 2 inputs and no bias, in
    closed form by sympy: under the exact law W_k ~ U(+-a), so E cos(z(x) -+ z(y)) is a product of
    sinc terms; under the Gaussian law z is Gaussian with covariance s2 x.y / 2."""
    import sympy as sy

    x1, x2, y1, y2 = sy.symbols("x1 x2 y1 y2", real=True)
    if law == "exact":
        a = sy.Symbol("a", positive=True)
        sinc = lambda t: sy.sin(a * t) / (a * t)  # noqa: E731
        s = (sinc(x1 - y1) * sinc(x2 - y2) - sinc(x1 + y1) * sinc(x2 + y2)) / 2
    else:
        a = sy.Symbol("a", positive=True)  # here sigma_w0^2
        k = a * (x1 * y1 + x2 * y2) / 2
        qx, qy = a * (x1 ** 2 + x2 ** 2) / 2, a * (y1 ** 2 + y2 ** 2) / 2
        s = sy.exp(-(qx + qy) / 2) * sy.sinh(k)
    lap_x = sy.diff(s, x1, 2) + sy.diff(s, x2, 2)
    lap = sy.diff(lap_x, y1, 2) + sy.diff(lap_x, y2, 2)
    return sy.lambdify((x1, x2, y1, y2, a), lap, "numpy")


@pytest.mark.parametrize("law", ["exact", "gaussian"])
def test_laplacian_ntk_matches_the_closed_form_of_one_layer(law):
    # float64 central differences with Richardson's extrapolation against sympy's closed form:
    # truncation O((h sigma_w0)^4) = O(0.05^4) ~ 1e-6 of the kernel's scale at most (2e-7
    # measured), rounding ~ eps (4/h^2)^2 / scale ~ 1e-9. The exact law's closed form is 0/0 where
    # a coordinate of x equals one of y (the diagonal): those entries are left out.
    net = spec.edge_of_chaos(2, 256, 1, omega0=10.0)
    x = np.random.default_rng(3).uniform(-0.8, 0.8, size=(7, 2))
    got, err = kernels.laplacian_ntk(net, x, law=law)
    assert err < 1e-2
    fn = _one_layer_laplacian_kernel(law)
    a = 10.0 / 2 if law == "exact" else net.first.sigma_w2  # U(+-omega0/d) or its variance
    with np.errstate(divide="ignore", invalid="ignore"):
        want = fn(x[:, None, 0], x[:, None, 1], x[None, :, 0], x[None, :, 1], a)
    ok = np.isfinite(want)
    assert ok.sum() >= 7 * 6
    scale = np.max(np.abs(want[ok]))
    np.testing.assert_allclose(got[ok], want[ok], rtol=0, atol=1e-6 * scale)


def test_laplacian_ntk_refuses_a_bad_step():
    net = spec.edge_of_chaos(2, 64, 2)
    with pytest.raises(ValueError, match="step"):
        kernels.laplacian_ntk(net, np.zeros((2, 2)), step=0.0)
