"""Tests of the embedding initialisation strategies (models/embeddings.py).

Tiers and tolerances:
- exact rescaling: with scale="xavier" in float64 the mean is 0 (|mean| < 1e-12) and the population
  variance is 2/(V + D) to a relative 1e-10;
- structure: each strategy is checked against a property computed here independently of the module
  (a scalar or numpy re-implementation of the stated formula from the documented draws, an FFT, an
  orthogonality identity), in float64 to 1e-12 unless stated;
- one Monte-Carlo check (token-axis correlation of emb_normal), tolerance from its standard error.
Every random draw is seeded; hypothesis runs derandomised.
"""

from __future__ import annotations

import inspect
import math

import numpy as np
import pytest
import torch
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy.spatial import cKDTree

from initaudit.models import catalogue
from initaudit.models.embeddings import EMBEDDING_STRATEGIES, init_embedding_

PAPER_ORDER = (
    "emb_random", "emb_perlin", "emb_simplex", "emb_cellular", "emb_harmonic",
    "emb_harmonic_advanced", "emb_fourier_harmonic", "emb_wavelet", "emb_normal",
    "emb_fractal", "emb_gabor", "emb_spectral",
)
DETERMINISTIC = {"emb_harmonic", "emb_harmonic_advanced", "emb_fourier_harmonic", "emb_wavelet"}
RANDOM = set(PAPER_ORDER) - DETERMINISTIC


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def make(name, v=97, d=33, *, seed=0, dtype=torch.float64, **kw) -> torch.Tensor:
    t = torch.empty(v, d, dtype=dtype)
    out = init_embedding_(t, name, generator=gen(seed), **kw)
    assert out is t
    return t


def raw(name, v=97, d=33, *, seed=0, **kw) -> np.ndarray:
    return make(name, v, d, seed=seed, scale=None, **kw).numpy()


# --------------------------------------------------------------------------- registry and API


def test_order_and_registry():
    assert EMBEDDING_STRATEGIES == PAPER_ORDER
    assert set(PAPER_ORDER) <= set(catalogue.available("embedding"))
    for name in PAPER_ORDER:
        info = catalogue.get(name)
        assert info.paper == "Fatykhov (2026)"
        assert info.applies_to == ("embedding",)
        assert info.random == (name in RANDOM)
        assert info.formula and info.notes
        params = inspect.signature(info.fn).parameters
        assert list(params)[:3] == ["tensor", "scale", "generator"]
        assert params["scale"].default == "xavier" and params["generator"].default is None
        own = [k for k in params if k not in ("tensor", "scale", "generator")]
        assert info.defaults == {k: params[k].default for k in own}


# --------------------------------------------------------------------------- generic contract


@pytest.mark.parametrize("name", PAPER_ORDER)
def test_in_place_shape_finite_and_exact_xavier_variance(name):
    t = torch.empty(97, 33, dtype=torch.float64)
    ptr = t.data_ptr()
    out = init_embedding_(t, name, generator=gen(0))
    assert out is t and t.data_ptr() == ptr and t.shape == (97, 33)
    assert torch.isfinite(t).all()
    assert abs(t.mean().item()) < 1e-12
    assert math.isclose(t.var(unbiased=False).item(), 2.0 / (97 + 33), rel_tol=1e-10)


@pytest.mark.parametrize("name", PAPER_ORDER)
def test_float32_and_parameter_tensors(name):
    # float32 storage: values are computed in float64 and cast once (tolerance ~ float32 eps).
    t = make(name, 200, 48, dtype=torch.float32)
    assert t.dtype == torch.float32
    assert abs(t.double().mean().item()) < 1e-6
    assert math.isclose(t.double().var(unbiased=False).item(), 2.0 / 248, rel_tol=1e-5)
    emb = torch.nn.Embedding(50, 16)  # a leaf that requires grad: the fill must run under no_grad
    init_embedding_(emb.weight, name, generator=gen(0))
    assert emb.weight.requires_grad and torch.isfinite(emb.weight).all()


@pytest.mark.parametrize("name", PAPER_ORDER)
def test_xavier_is_a_pure_rescaling_of_the_raw_construction(name):
    r = raw(name, 64, 20)
    x = make(name, 64, 20).numpy()
    expected = (r - r.mean()) * math.sqrt((2.0 / 84) / r.var())
    np.testing.assert_allclose(x, expected, rtol=0, atol=1e-13)


@pytest.mark.parametrize("name", PAPER_ORDER)
def test_determinism(name):
    a, b = make(name, seed=3), make(name, seed=3)
    assert torch.equal(a, b)  # same seed -> bitwise identical
    other = make(name, seed=4)
    if name in DETERMINISTIC:
        t = torch.empty(97, 33, dtype=torch.float64)
        init_embedding_(t, name)  # no generator at all
        assert torch.equal(a, other) and torch.equal(a, t)
    else:
        assert not torch.equal(a, other)


@pytest.mark.parametrize("name", PAPER_ORDER)
@settings(max_examples=8, deadline=None, derandomize=True)
@given(v=st.integers(2, 512), d=st.integers(2, 128))
@example(v=2, d=2)
@example(v=2, d=128)
@example(v=512, d=2)
@example(v=512, d=128)
def test_any_shape(name, v, d):
    t = make(name, v, d, seed=v * 1000 + d)
    assert t.shape == (v, d) and torch.isfinite(t).all()
    assert abs(t.mean().item()) < 1e-12
    assert math.isclose(t.var(unbiased=False).item(), 2.0 / (v + d), rel_tol=1e-10)


# --------------------------------------------------------------------------- bad inputs


@pytest.mark.parametrize("name", PAPER_ORDER)
def test_bad_scale_and_shapes(name):
    with pytest.raises(ValueError, match=r"xavier.*None"):
        init_embedding_(torch.empty(8, 4), name, scale="kaiming")
    for shape in [(8,), (2, 8, 4)]:
        with pytest.raises(ValueError, match=r"\(vocab_size, d_model\) matrix is required"):
            init_embedding_(torch.empty(*shape), name)


def test_unknown_strategy_lists_valid_names():
    with pytest.raises(ValueError, match="emb_harmonic_advanced") as exc:
        init_embedding_(torch.empty(8, 4), "emb_sinusoid")
    assert all(n in str(exc.value) for n in PAPER_ORDER)


@pytest.mark.parametrize(
    "name, kw",
    [
        ("emb_perlin", {"cell_tokens": 0.0}),
        ("emb_simplex", {"cell_dims": -1.0}),
        ("emb_cellular", {"points": 0}),
        ("emb_harmonic", {"period": 0.0}),
        ("emb_harmonic_advanced", {"overtones": 0}),
        ("emb_harmonic_advanced", {"base": 1.0}),
        ("emb_fourier_harmonic", {"modes_dims": 0}),
        ("emb_normal", {"length_scale": 0.0}),
        ("emb_fractal", {"octaves": 0}),
        ("emb_fractal", {"persistence": 0.0}),
        ("emb_gabor", {"sigma": 0.0}),
        ("emb_gabor", {"atoms": 2.5}),
        ("emb_spectral", {"cutoff": 1.5}),
    ],
)
def test_bad_parameters(name, kw):
    with pytest.raises(ValueError):
        init_embedding_(torch.empty(16, 8), name, **kw)


# --------------------------------------------------------------------------- structure


def test_random_matches_torch_xavier_uniform():
    r = make("emb_random", 300, 40, scale=None)
    ref = torch.nn.init.xavier_uniform_(torch.empty(300, 40, dtype=torch.float64), generator=gen(0))
    assert torch.equal(r, ref)
    assert r.abs().max() <= math.sqrt(6.0 / 340)


def _fade(t):
    return 6 * t**5 - 15 * t**4 + 10 * t**3


def _perlin_ref(x, y, theta):
    """Scalar Perlin gradient noise with gradient angles theta[a, b] (textbook form)."""
    x0, y0 = math.floor(x), math.floor(y)
    dots = {}
    for a in (0, 1):
        for b in (0, 1):
            th = theta[x0 + a, y0 + b]
            dots[a, b] = math.cos(th) * (x - x0 - a) + math.sin(th) * (y - y0 - b)
    u, w = _fade(x - x0), _fade(y - y0)
    lo = dots[0, 0] * (1 - u) + dots[1, 0] * u
    hi = dots[0, 1] * (1 - u) + dots[1, 1] * u
    return lo * (1 - w) + hi * w


def test_perlin_formula_and_zeros_at_lattice_points():
    v, d, c = 70, 30, 8.0
    e = raw("emb_perlin", v, d)
    # Documented draw: one (floor(x_max) + 2, floor(y_max) + 2) block of angles 2 pi U.
    nx, ny = math.floor((v - 1) / c) + 2, math.floor((d - 1) / c) + 2
    theta = (2 * math.pi * torch.rand(nx, ny, generator=gen(0), dtype=torch.float64)).numpy()
    rng = np.random.default_rng(0)
    for i, j in zip(rng.integers(0, v, 60), rng.integers(0, d, 60)):
        assert e[i, j] == pytest.approx(_perlin_ref(i / c, j / c, theta), abs=1e-12)
    assert np.all(e[::8, ::8] == 0.0)  # gradient noise vanishes exactly on the lattice
    off = np.ones_like(e, dtype=bool)
    off[::8, ::8] = False
    assert np.all(e[off] != 0.0)


_F2 = (math.sqrt(3) - 1) / 2
_G2 = (3 - math.sqrt(3)) / 6


def _simplex_ref(x, y, theta):
    """Scalar 2-D simplex noise (Gustavson 2005 layout) with gradient angles theta[a, b]."""
    s = (x + y) * _F2
    a0, b0 = math.floor(x + s), math.floor(y + s)
    t = (a0 + b0) * _G2
    x0, y0 = x - (a0 - t), y - (b0 - t)
    mid = (1, 0) if x0 > y0 else (0, 1)
    total = 0.0
    for (da, db), (ox, oy) in [
        ((0, 0), (x0, y0)),
        (mid, (x0 - mid[0] + _G2, y0 - mid[1] + _G2)),
        ((1, 1), (x0 - 1 + 2 * _G2, y0 - 1 + 2 * _G2)),
    ]:
        r = 0.5 - ox * ox - oy * oy
        if r > 0:
            th = theta[a0 + da, b0 + db]
            total += r**4 * (math.cos(th) * ox + math.sin(th) * oy)
    return 70.0 * total


def test_simplex_formula_and_zero_at_origin():
    v, d, c = 70, 30, 8.0
    e = raw("emb_simplex", v, d)
    xm, ym = (v - 1) / c, (d - 1) / c
    nx = math.floor(xm + (xm + ym) * _F2) + 2
    ny = math.floor(ym + (xm + ym) * _F2) + 2
    theta = (2 * math.pi * torch.rand(nx, ny, generator=gen(0), dtype=torch.float64)).numpy()
    rng = np.random.default_rng(1)
    for i, j in zip(rng.integers(0, v, 60), rng.integers(0, d, 60)):
        assert e[i, j] == pytest.approx(_simplex_ref(i / c, j / c, theta), abs=1e-12)
    assert e[0, 0] == 0.0  # (0, 0) is a lattice vertex, where every kernel term vanishes


def test_cellular_is_nearest_feature_point_distance():
    v, d, k = 120, 40, 16
    e = raw("emb_cellular", v, d, points=k)
    pts = torch.rand(k, 2, generator=gen(0), dtype=torch.float64).numpy()  # documented draw
    x, y = np.meshgrid((np.arange(v) + 0.5) / v, (np.arange(d) + 0.5) / d, indexing="ij")
    dist, _ = cKDTree(pts).query(np.stack([x.ravel(), y.ravel()], axis=1))
    np.testing.assert_allclose(e, dist.reshape(v, d), rtol=0, atol=1e-12)
    assert e.min() >= 0.0
    # F1 is 1-Lipschitz: one step is 1/V along tokens, 1/D along dimensions.
    assert np.abs(np.diff(e, axis=0)).max() <= 1.0 / v + 1e-12
    assert np.abs(np.diff(e, axis=1)).max() <= 1.0 / d + 1e-12


def test_harmonic_formula_and_orthogonal_columns():
    v, d = 100, 40
    e = raw("emb_harmonic", v, d)
    ref = np.empty((v, d))
    for j in range(d):
        w = 2 * np.pi * (j // 2 + 1) / v
        ref[:, j] = np.sin(w * np.arange(v)) if j % 2 == 0 else np.cos(w * np.arange(v))
    np.testing.assert_allclose(e, ref, rtol=0, atol=1e-12)
    np.testing.assert_allclose(e.T @ e, (v / 2) * np.eye(d), rtol=0, atol=1e-9)
    e2 = raw("emb_harmonic", 50, 4, period=7.0)
    assert e2[3, 2] == pytest.approx(math.sin(2 * math.pi * 2 * 3 / 7.0), abs=1e-14)


def test_harmonic_advanced_formula():
    v, d, base, overtones = 60, 10, 10000.0, 3
    e = raw("emb_harmonic_advanced", v, d)
    for i in (0, 1, 7, 59):
        for j in range(d):
            w = base ** (-2 * (j // 2) / d)
            f = math.sin if j % 2 == 0 else math.cos
            ref = sum(f(h * w * i) / h for h in range(1, overtones + 1))
            assert e[i, j] == pytest.approx(ref, abs=1e-12)
    one = raw("emb_harmonic_advanced", v, d, overtones=1)  # H = 1: Vaswani et al. position code
    assert one[5, 4] == pytest.approx(math.sin(5 / base ** (4 / d)), abs=1e-14)


def test_fourier_harmonic_spectrum_is_the_stated_modes():
    v, d, p_max, q_max = 64, 32, 8, 8
    spec = np.fft.fft2(raw("emb_fourier_harmonic", v, d))
    expected = np.zeros((v, d), dtype=complex)
    for p in range(1, p_max + 1):
        for q in range(1, q_max + 1):
            amp = v * d / (2 * math.hypot(p, q))
            expected[p, q] += amp  # cos(2 pi (p i/V + q j/D)) -> energy at (p, q) and (-p, -q)
            expected[-p, -q] += amp
    np.testing.assert_allclose(spec, expected, rtol=0, atol=1e-8)


def _haar_matrix(n: int) -> np.ndarray:
    """Orthonormal Haar matrix: H_2N = [H_N (x) (1, 1); I_N (x) (1, -1)] / sqrt 2 (rows = basis)."""
    h = np.array([[1.0]])
    while h.shape[0] < n:
        m = h.shape[0]
        h = np.vstack([np.kron(h, [1, 1]), np.kron(np.eye(m), [1, -1])]) / math.sqrt(2)
    return h


def test_wavelet_columns_are_the_haar_basis():
    v, d = 64, 63
    e = raw("emb_wavelet", v, d)
    np.testing.assert_allclose(e.T, _haar_matrix(v)[1 : d + 1], rtol=0, atol=1e-14)
    np.testing.assert_allclose(e.T @ e, np.eye(d), rtol=0, atol=1e-12)  # orthonormal
    np.testing.assert_allclose(e.sum(axis=0), 0.0, atol=1e-12)
    wide = raw("emb_wavelet", 8, 20)  # wider than V - 1: wavelets reused cyclically
    np.testing.assert_array_equal(wide[:, 7:14], wide[:, 0:7])


def test_normal_is_gaussian_smoothed_white_noise():
    v, d, ell = 80, 12, 4.0
    e = raw("emb_normal", v, d, length_scale=ell)
    r = math.ceil(4 * ell)
    k = np.exp(-np.arange(-r, r + 1) ** 2 / (2 * ell**2))
    k /= np.linalg.norm(k)
    z = torch.randn(v + 2 * r, d, generator=gen(0), dtype=torch.float64).numpy()  # documented draw
    ref = np.stack([np.convolve(z[:, j], k, mode="valid") for j in range(d)], axis=1)
    np.testing.assert_allclose(e, ref, rtol=0, atol=1e-12)


def test_normal_token_correlation_matches_kernel_autocorrelation():
    # Monte-Carlo: lag-1 correlation along tokens vs sum_t k_t k_{t+1}; across dims ~ 0.
    ell = 2.0
    e = raw("emb_normal", 4096, 64, length_scale=ell)
    r = math.ceil(4 * ell)
    k = np.exp(-np.arange(-r, r + 1) ** 2 / (2 * ell**2))
    k /= np.linalg.norm(k)
    rho1 = float(k[:-1] @ k[1:])
    emp = float((e[:-1] * e[1:]).mean() / (e * e).mean())
    # standard error ~ sqrt(lag-correlation length / N) ~ sqrt(4 ell / 262144) ~ 0.006
    assert emp == pytest.approx(rho1, abs=0.03)
    across = float((e[:, :-1] * e[:, 1:]).mean() / (e * e).mean())
    assert abs(across) < 0.03


def test_fractal_is_a_sum_of_perlin_octaves():
    one = make("emb_fractal", 90, 40, scale=None, octaves=1, cell_tokens=8.0, cell_dims=8.0)
    per = make("emb_perlin", 90, 40, scale=None, cell_tokens=8.0, cell_dims=8.0)
    assert torch.equal(one, per)
    assert torch.equal(
        make("emb_fractal", 90, 40, octaves=1, cell_tokens=8.0, cell_dims=8.0),
        make("emb_perlin", 90, 40, cell_tokens=8.0, cell_dims=8.0),
    )
    # Two octaves = Perlin at spacing c plus 0.5 x Perlin at spacing c / 2, drawn in that order.
    g = gen(5)
    coarse = torch.empty(90, 40, dtype=torch.float64)
    fine = torch.empty(90, 40, dtype=torch.float64)
    from initaudit.models.embeddings import perlin_

    perlin_(coarse, scale=None, generator=g, cell_tokens=32.0, cell_dims=32.0)
    perlin_(fine, scale=None, generator=g, cell_tokens=16.0, cell_dims=16.0)
    two = make("emb_fractal", 90, 40, seed=5, scale=None, octaves=2)
    torch.testing.assert_close(two, coarse + 0.5 * fine, rtol=0, atol=1e-15)


def test_gabor_is_a_sum_of_the_drawn_atoms():
    v, d, atoms, sigma, f = 50, 20, 5, 0.1, 6.0
    e = raw("emb_gabor", v, d, atoms=atoms, sigma=sigma, frequency=f)
    prm = torch.rand(atoms, 4, generator=gen(0), dtype=torch.float64).numpy()  # documented draw
    x, y = np.meshgrid((np.arange(v) + 0.5) / v, (np.arange(d) + 0.5) / d, indexing="ij")
    ref = np.zeros((v, d))
    for mu, nu, th, ph in prm:
        rx, ry = x - mu, y - nu
        ref += np.exp(-(rx**2 + ry**2) / (2 * sigma**2)) * np.cos(
            2 * np.pi * f * (rx * np.cos(np.pi * th) + ry * np.sin(np.pi * th)) + 2 * np.pi * ph
        )
    np.testing.assert_allclose(e, ref, rtol=0, atol=1e-12)


@pytest.mark.parametrize("scale", ["xavier", None])
def test_spectral_has_no_energy_above_cutoff(scale):
    v, d, c = 200, 64, 0.1
    e = make("emb_spectral", v, d, scale=scale, cutoff=c).numpy()
    power = np.abs(np.fft.fft2(e)) ** 2
    kv = np.abs(np.round(np.fft.fftfreq(v) * v))
    kd = np.abs(np.round(np.fft.fftfreq(d) * d))
    keep = (kv <= max(1, int(c * v / 2)))[:, None] & (kd <= max(1, int(c * d / 2)))[None, :]
    assert power[~keep].sum() <= 1e-20 * power.sum()
    assert power[keep].sum() > 0
