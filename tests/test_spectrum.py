"""Tests of analysis/spectrum.py and the ``initaudit spectrum`` command.

Tolerances, tier by tier:

* exact algebra in float64 (~1e-12): Parseval; tones at DFT bins (omega = pi m) on the periodic
  grid, where the Hann window spreads each complex tone over bins m-1, m, m+1 with amplitudes
  (-1/4, 1/2, -1/4), so the band holds exactly the tone's mean square; invariance of energy
  fractions to f -> a f + c (mean removed); effective and numerical ranks of known matrices.
* tones off the bins: a complex tone keeps all its windowed energy, and leaks at most L(K) of
  it outside +-K bins of its frequency; L(K) is computed here from the window itself (max over
  41 sub-bin offsets). With the other components (including each tone's negative-frequency
  image) leaking into a band, the band's relative error is at most
  ``L + 2 sqrt(L) S + L S^2``, ``S = sum_i sqrt(P_i / P_j)``; that is the tolerance.
* Gaussian radial test without window: for a Gaussian of width s = 0.05 on [-1, 1] with 128
  points per axis, the periodic images (exp(-1/(2 s^2)) = e^-200) and the spectrum above Nyquist
  (exp(-(s pi G/2)^2 / 2) ~ e^-50) are negligible, so the radial mean matches the analytic mean
  over the same bins to 1e-9 relative.
* Marchenko-Pastur: the CDF against scipy quad to 1e-10; for an i.i.d. Gaussian matrix with
  p = 400 eigenvalues the KS statistic is below the 95% critical value 1.36/sqrt(p) of i.i.d.
  samples (eigenvalues are more rigid than i.i.d. samples, so this is conservative); a
  structured matrix sits above 0.2.
* index-order Fourier shares: the i.i.d. expectation (2k+1)/m (ratio of expectations) is
  checked against an average over 200 seeded Gaussian matrices to 3 standard errors.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, special

from initaudit.analysis import spectrum as sp
from initaudit.analysis.weights import weight_stats
from initaudit.figures import cli


# ----------------------------------------------------------------------------------------------
# helpers


def _leakage(points: int, window: str, k_bins: int) -> float:
    """Largest share of a complex tone's windowed energy outside +-k_bins of its frequency."""
    w = sp.window_values(points, window)
    n = np.arange(points)
    worst = 0.0
    for delta in np.linspace(0.0, 1.0, 41):
        f0 = points / 4 + delta
        e = np.abs(np.fft.fft(w * np.exp(2j * np.pi * f0 * n / points))) ** 2
        worst = max(worst, e[np.abs(n - f0) > k_bins].sum() / e.sum())
    return worst


def _tones(x, bins, amps, phases):
    return sum(a * np.sin(math.pi * m * x + ph) for m, a, ph in zip(bins, amps, phases))


# ----------------------------------------------------------------------------------------------
# estimators


def test_grid_and_frequency_convention():
    x = sp.grid_coords(8)
    assert x[0] == -1.0 and x[-1] == pytest.approx(0.75) and np.allclose(np.diff(x), 0.25)
    om = sp.angular_frequencies(8)
    assert np.allclose(om, math.pi * np.arange(5))  # resolution pi, Nyquist pi G / 2
    assert sp.nyquist(8) == pytest.approx(4 * math.pi)
    assert sp.grid_inputs(8, 2).shape == (64, 2)
    assert np.array_equal(sp.grid_inputs(8, 2)[1], [-1.0, -0.75])  # "ij": second coord fastest
    # a tone sin(omega x) with omega = 30.0 rad per unit x peaks at the bin nearest 30
    omega, e = sp.spectrum_1d(np.sin(30.0 * sp.grid_coords(256)))
    assert abs(omega[np.argmax(e)] - 30.0) <= math.pi / 2


@pytest.mark.parametrize("window", ["hann", "none"])
def test_sum_of_sinusoids_on_the_bins_is_recovered_exactly(window):
    g = 256
    x = sp.grid_coords(g)
    bins, amps = (10, 25, 40, 90), (1.0, 0.5, 0.25, 0.1)
    phases = np.random.default_rng(0).uniform(0, 2 * np.pi, 4)
    omega, e = sp.spectrum_1d(_tones(x, bins, amps, phases), window)
    half = 1 if window == "hann" else 0  # Hann main lobe: bins m-1..m+1 exactly
    for m, a in zip(bins, amps):
        band = e[m - half:m + half + 1]
        assert np.argmax(band) == half  # the frequency: omega = pi m exactly
        assert band.sum() == pytest.approx(a * a / 2, rel=1e-12)  # the tone's mean square
    # nothing else in the spectrum
    mask = np.ones_like(e, bool)
    for m in bins:
        mask[m - half:m + half + 1] = False
    assert e[mask].max() < 1e-25
    # relative powers
    p = [e[m - half:m + half + 1].sum() for m in bins]
    assert np.allclose(np.array(p) / p[0], np.array(amps) ** 2, rtol=1e-12)
    # energy fractions on these exact tones: above 30 = bins 40 and 90
    above = sp.energy_above(omega, e, [math.pi * 32])[0]
    assert above == pytest.approx((0.25 ** 2 + 0.1 ** 2) / sum(a * a for a in amps), rel=1e-12)


def test_sum_of_sinusoids_off_the_bins_within_the_window_leakage():
    g, k_bins = 512, 4
    x = sp.grid_coords(g)
    bins = (20.37, 47.81, 101.5)  # omega / pi, off the grid of bins
    amps = (1.0, 0.6, 0.3)
    omega, e = sp.spectrum_1d(_tones(x, bins, amps, (0.3, 1.1, 2.0)), "hann")
    leak = _leakage(g, "hann", k_bins)
    assert leak < 1e-4  # Hann: ~3e-5 outside +-4 bins
    powers = [a * a / 2 for a in amps]
    for j, (m, a) in enumerate(zip(bins, amps)):
        # other components leaking into this band: every other tone twice (+ and - frequency)
        # and this tone's own negative-frequency image (same power)
        s = 1.0 + sum(2 * math.sqrt(powers[i] / powers[j]) for i in range(3) if i != j)
        tol = leak + 2 * math.sqrt(leak) * s + leak * s * s
        idx = np.abs(omega / math.pi - m) <= k_bins
        assert e[idx].sum() == pytest.approx(powers[j], rel=tol)
        peak = omega[idx][np.argmax(e[idx])]
        assert abs(peak / math.pi - m) <= 0.5  # the nearest bin: within half the resolution


def test_parseval_1d_and_2d():
    rng = np.random.default_rng(1)
    for window in sp.WINDOWS:
        w = sp.window_values(64, window)
        f = rng.standard_normal((3, 64)) + 2.0
        _, e = sp.spectrum_1d(f, window)
        g = f - f.mean(axis=-1, keepdims=True)
        assert np.allclose(e.sum(-1), ((w * g) ** 2).sum(-1) / (w ** 2).sum(), rtol=1e-12)
        f2 = rng.standard_normal((2, 32, 32))
        _, e2 = sp.spectrum_2d(f2, window)
        g2 = f2 - f2.mean(axis=(-2, -1), keepdims=True)
        w2 = np.outer(sp.window_values(32, window), sp.window_values(32, window))
        assert np.allclose(e2.sum((-2, -1)), ((w2 * g2) ** 2).sum((-2, -1)) / (w2 ** 2).sum(),
                           rtol=1e-12)
    _, e = sp.spectrum_1d(f[0], "none")
    assert e.sum() == pytest.approx(f[0].var(), rel=1e-12)  # no window: the grid variance


def test_window_choice_suppresses_leakage_of_a_non_periodic_function():
    # exp(x) has no frequency above omega_0 = 30, but it is not periodic on [-1, 1]: the jump at
    # the ends leaks ~1/omega^2 of power without a window; Hann's leakage decays ~1/omega^6.
    x = sp.grid_coords(512)
    fr = {w: sp.energy_above(*sp.spectrum_1d(np.exp(x), w), [30.0])[0] for w in sp.WINDOWS}
    assert fr["none"] > 1e-2
    assert fr["hann"] < 1e-5
    assert fr["blackmanharris"] < 1e-7


@settings(max_examples=25, deadline=None, derandomize=True)
@given(a=st.floats(1e-3, 1e3), c=st.floats(-1e3, 1e3), window=st.sampled_from(sp.WINDOWS))
def test_energy_fractions_invariant_to_scale_and_offset(a, c, window):
    x = sp.grid_coords(128)
    f = np.sin(7.3 * x) + 0.2 * np.cos(61.0 * x + 0.4) + 0.05 * x ** 2
    om, e = sp.spectrum_1d(f, window)
    om2, e2 = sp.spectrum_1d(a * f + c, window)
    th = [10.0, 30.0, 100.0]
    assert np.allclose(sp.energy_above(om, e, th), sp.energy_above(om2, e2, th),
                       rtol=1e-9, atol=1e-13)
    assert sp.spectral_centroid(om, e) == pytest.approx(sp.spectral_centroid(om2, e2), rel=1e-9)


def test_without_mean_removal_an_offset_changes_the_fractions():
    x = sp.grid_coords(128)
    f = np.sin(40.0 * x)
    om, e = sp.spectrum_1d(f + 3.0, "hann", remove_mean=False)
    om, e0 = sp.spectrum_1d(f + 3.0, "hann", remove_mean=True)
    assert sp.energy_above(om, e, [20.0])[0] < 0.2 < 0.99 < sp.energy_above(om, e0, [20.0])[0]


def test_radial_average_of_a_radial_gaussian_is_exact():
    g, s = 128, 0.05
    x = sp.grid_inputs(g, 2)
    f = np.exp(-(x ** 2).sum(1) / (2 * s * s)).reshape(g, g)
    omega_r, e = sp.spectrum_2d(f, "none", remove_mean=False)
    rad = sp.radial_average(e, omega_r)
    # analytic: |F(omega)|^2 ~ exp(-s^2 |omega|^2), averaged over the same bins
    ana = sp.radial_average(np.exp(-(s * omega_r) ** 2), omega_r)
    scale = rad.power.iloc[0] / ana.power.iloc[0]
    ok = ana.power > 1e-8 * ana.power.iloc[0]
    assert ok.sum() > 20
    assert np.allclose(rad.power[ok], scale * ana.power[ok], rtol=1e-9)
    assert rad.omega.iloc[-1] <= sp.nyquist(g) and np.allclose(np.diff(rad.omega), math.pi)
    assert rad["count"].iloc[0] == 1 and rad["count"].iloc[1] == 4 + 4  # |omega| in [pi/2, 3pi/2)


def test_radial_average_finds_the_ring_of_a_bessel_function():
    # J0(w1 |x|) is radially symmetric and its 2-D spectrum is a ring at |omega| = w1.
    g, w1 = 256, 60.0
    x = sp.grid_inputs(g, 2)
    f = special.j0(w1 * np.sqrt((x ** 2).sum(1))).reshape(g, g)
    omega_r, e = sp.spectrum_2d(f, "hann")
    rad = sp.radial_average(e, omega_r)
    peak = rad.omega[np.argmax(rad.power.to_numpy())]
    assert abs(peak - w1) <= 2 * math.pi  # the Hann main lobe
    # isotropy: on the ring, the bins of one annulus agree with each other
    idx = np.floor(omega_r / math.pi + 0.5).astype(int) == round(w1 / math.pi)
    ring = e[idx]
    assert ring.std() / ring.mean() < 0.5
    assert sp.energy_above(omega_r.ravel(), e.ravel(), [w1 + 3 * math.pi])[0] < 0.1


def test_t_interval():
    v = np.array([1.0, 2.0, 3.0, 4.0])
    iv = sp.t_interval(v)
    half = 3.182446305284263 * v.std(ddof=1) / 2  # t_{0.975, 3}
    assert iv["mean"] == 2.5 and iv["hi"] - iv["mean"] == pytest.approx(half, rel=1e-12)
    one = sp.t_interval([5.0])
    assert one["mean"] == 5.0 and math.isnan(one["lo"]) and one["n"] == 1


def test_bootstrap_interval_stays_inside_the_replicates():
    rng = np.random.default_rng(2)
    v = rng.exponential(size=(8, 50)) ** 3  # heavy-tailed, non-negative
    lo, hi = sp.bootstrap_interval(v, seed=0)
    mean = v.mean(0)
    assert np.all(lo <= mean) and np.all(mean <= hi)
    assert np.all(lo >= v.min(0)) and np.all(hi <= v.max(0)) and np.all(lo > 0)
    const = np.ones((5, 3))
    lo, hi = sp.bootstrap_interval(const)
    assert np.allclose(lo, 1) and np.allclose(hi, 1)
    assert np.all(np.isnan(sp.bootstrap_interval(v[:1])[0]))
    again = sp.bootstrap_interval(v, seed=0)
    assert np.array_equal(again[0], sp.bootstrap_interval(v, seed=0)[0])  # seeded


def test_default_points_resolve_well_above_omega0():
    for dims in (1, 2):
        for depth in (1, 4, 16, 32):
            g = sp.default_points(30.0, depth, dims)
            assert g % 2 == 0
            assert sp.nyquist(g) >= sp.NYQUIST_FACTOR[dims] * 30.0 * math.sqrt(max(1, depth / 4))
    assert sp.default_points(30.0, 32, 1) > sp.default_points(30.0, 4, 1)


# ----------------------------------------------------------------------------------------------
# networks


def test_first_layer_choices():
    ens = sp.build_ensemble("xavier_uniform", 2, 16, 3, omega0=20.0, device="cpu")
    assert ens.weights[0].abs().max() <= 20.0 and ens.weights[0].abs().max() > 10.0
    assert torch.all(ens.biases[0] == 0)
    own = sp.build_ensemble("xavier_uniform", 2, 16, 3, first_layer="own", device="cpu")
    assert own.weights[0].abs().max() <= math.sqrt(6 / 17)
    siren = sp.build_ensemble("siren", 2, 16, 3, device="cpu")
    assert siren.biases[0].abs().max() > 1.0  # SIREN keeps its own folded first-layer bias
    det = sp.build_ensemble("sinusoidal", 2, 16, 3, device="cpu")
    assert det.n_networks == 3 and torch.equal(det.weights[1][0], det.weights[1][2])
    assert not torch.equal(det.weights[0][0], det.weights[0][2])
    assert sp.build_ensemble("sinusoidal", 2, 16, 3, first_layer="own",
                             device="cpu").n_networks == 1


def test_network_energy_fraction_invariant_to_output_scale_and_offset():
    ens = sp.build_ensemble("siren", 3, 32, 2, device="cpu")
    y = sp.evaluate(ens, sp.grid_inputs(256, 1))
    om, e = sp.spectrum_1d(y)
    om, e2 = sp.spectrum_1d(-4.0 * y + 17.0)
    assert np.allclose(sp.energy_above(om, e, [15, 30, 60]),
                       sp.energy_above(om, e2, [15, 30, 60]), rtol=1e-9, atol=1e-15)


def test_evaluate_matches_the_ensemble_forward_in_chunks(monkeypatch):
    ens = sp.build_ensemble("edge_of_chaos", 3, 8, 2, dims=2, device="cpu")
    x = sp.grid_inputs(16, 2)
    ref = ens(torch.as_tensor(x))[-1][..., 0].numpy()
    monkeypatch.setattr(sp, "_CHUNK_VALUES", 50)  # force many chunks
    assert np.allclose(sp.evaluate(ens, x), ref, rtol=0, atol=1e-12)


def test_run_spectrum_tables_1d_and_2d():
    for dims in (1, 2):
        res = sp.run_spectrum(sp.SpectrumConfig(init="edge_of_chaos", depth=2, width=8,
                                                n_networks=3, dims=dims))
        summ = res["summary"]
        assert set(summ.quantity) == {"energy_above", "centroid", "centroid_over_omega0",
                                      "energy_top_octave"}
        ea = summ[summ.quantity == "energy_above"].sort_values("k")
        assert list(ea.k) == list(sp.DEFAULT_KS)
        assert np.all(np.diff(ea["mean"]) <= 0)  # more energy above lower thresholds
        assert np.all((ea.lo <= ea["mean"]) & (ea["mean"] <= ea.hi))
        assert bool(summ.resolved.iloc[0])
        spec = res["spectrum"]
        assert spec.power.sum() == pytest.approx(1.0, rel=1e-9) or dims == 2
        assert len(res["per_network"]) == 3 * len(summ)


def test_refinement_doubles_the_grid_until_the_top_octave_is_empty():
    cfg = sp.SpectrumConfig(init="kaiming_uniform", depth=12, width=64, n_networks=2,
                            points=128, ks=(1.0,), dtype="float32")
    res = sp.run_spectrum(cfg)
    meta = res["summary"].iloc[0]
    assert meta.points > 128 and meta.points % 128 == 0
    top = res["summary"][res["summary"].quantity == "energy_top_octave"]
    assert bool(meta.resolved) == bool(top["mean"].iloc[0] <= sp.TOP_OCTAVE_TOL)
    fixed = sp.run_spectrum(cfg.__class__(**{**cfg.__dict__, "refine": False}))
    assert fixed["summary"].points.iloc[0] == 128


def test_depth_sweep_runs_at_a_tiny_size_and_caches(cache_tmp):
    from initaudit.analysis import cache

    cfg = sp.DepthSweepConfig(inits=("siren", "edge_of_chaos", "sinusoidal"), depths=(2, 3),
                              width=8, n_networks=2, ks=(1.0, 2.0))
    table = sp.depth_sweep(cfg)
    assert isinstance(table, pd.DataFrame)
    assert set(table.init) == {"siren", "edge_of_chaos", "sinusoidal"}
    assert set(table.depth) == {2, 3}
    for col in ("quantity", "k", "mean", "lo", "hi", "n", "points", "resolved"):
        assert col in table.columns
    assert len(table) == 3 * 2 * (2 + 3)
    n_computed = cache.STATS.computed
    again = sp.depth_sweep(cfg)
    assert cache.STATS.computed == n_computed  # all from the cache
    pd.testing.assert_frame_equal(table, again)


def test_siren_spreads_above_omega0_more_than_edge_of_chaos():
    # The claim of arXiv 2512.06427 (Fig. 4), at width 256 and depth 16, 8 networks each
    # (about a second).
    out = {}
    for init in ("siren", "edge_of_chaos"):
        res = sp.run_spectrum(sp.SpectrumConfig(init=init, depth=16, width=256, n_networks=8))
        s = res["summary"]
        out[init] = s[(s.quantity == "energy_above") & (s.k == 1.0)].iloc[0]
    assert out["siren"].lo > out["edge_of_chaos"].hi


# ----------------------------------------------------------------------------------------------
# weight matrices


def test_effective_and_numerical_rank_of_known_matrices():
    eye = torch.eye(12, dtype=torch.float64)
    st_eye = sp.matrix_spectrum(eye)
    assert st_eye["rank"] == 12 and st_eye["erank"] == pytest.approx(12, rel=1e-12)
    assert st_eye["cond"] == pytest.approx(1.0)
    r1 = torch.outer(torch.arange(1.0, 9.0, dtype=torch.float64),
                     torch.tensor([1.0, -2.0, 0.5, 3.0], dtype=torch.float64))
    st_r1 = sp.matrix_spectrum(r1)
    assert st_r1["rank"] == 1 and st_r1["erank"] == pytest.approx(1.0, abs=1e-12)
    assert st_r1["cond"] == math.inf
    s = np.array([3.0, 1.0, 1.0, 0.0])
    p = s[:3] / 5.0
    assert sp.effective_rank(s) == pytest.approx(math.exp(-(p * np.log(p)).sum()), rel=1e-14)
    assert sp.stable_rank(s) == pytest.approx(11 / 9)
    assert math.isnan(sp.effective_rank(np.zeros(3)))


@pytest.mark.parametrize("n", [16, 17, 64, 512])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_square_sinusoidal_matrix_is_rank_deficient(n, dtype):
    w = sp.make_weight("sinusoidal", (n, n), dtype=dtype)
    # row n-k (k = 1..n-1, 1-based) is minus row k, and row n is zero
    rows = w.to(torch.float64)
    k = np.arange(1, n)
    assert torch.allclose(rows[n - k - 1], -rows[k - 1], atol=1e-6 * float(rows.abs().max()))
    assert float(rows[n - 1].abs().max()) < 1e-6 * float(rows.abs().max())
    st = sp.matrix_spectrum(w)
    assert st["rank"] == (n - 1) // 2 <= n / 2
    assert st["full_rank"] is False and st["cond"] == math.inf
    assert st["erank"] <= (n - 1) // 2 + 1e-9
    # one rank rule: initaudit weights and spectrum --weights give the same rank, and the
    # same count under torch's default tolerance
    assert st["rank"] == weight_stats(w)["rank"]
    if n <= 64:
        assert st["rank_default"] == weight_stats(w)["rank_default"]
    if dtype == torch.float64 and n <= 64:
        # in float64 the zeros sit at the rounding of the sine arguments (~eps * 2 pi n), just
        # above the default tolerance max(m, n) eps: the default rule misses the deficiency
        assert st["rank_default"] > st["rank"]


def test_numerical_rank_tolerance():
    assert sp.rank_rtol(torch.float32) == pytest.approx(4 * 1.1920929e-07)
    assert sp.rank_rtol(torch.float64) == 1e-10
    # a float32 rank-2 product: rounding noise ~ eps s_max stays below 4 eps s_max
    g = torch.Generator().manual_seed(0)
    u, v = torch.randn(300, 2, generator=g), torch.randn(2, 200, generator=g)
    assert sp.matrix_spectrum(u @ v)["rank"] == 2
    # random square float32 matrices: the default rule max(m, n) eps flags some as deficient
    # (probability ~2 n^2 eps = 6% at n = 512); this rule (~2 n 4 eps = 5e-4) does not
    ranks = [sp.matrix_spectrum(sp.make_weight("xavier_uniform", (512, 512), seed=s))
             for s in range(4)]
    assert all(r["rank"] == 512 for r in ranks)
    # a float32 matrix whose smallest singular value, 1e-5 s_max, lies between the two rules'
    # thresholds (4 eps = 4.8e-7 and 512 eps = 6.1e-5 relative; float32 rounding ~ eps = 1.2e-7):
    # full rank under this rule, deficient under the default one
    q1, _ = torch.linalg.qr(torch.randn(512, 512, generator=g, dtype=torch.float64))
    q2, _ = torch.linalg.qr(torch.randn(512, 512, generator=g, dtype=torch.float64))
    s = torch.linspace(1.0, 0.5, 512, dtype=torch.float64)
    s[-1] = 1e-5
    st = sp.matrix_spectrum(((q1 * s) @ q2.T).to(torch.float32))
    assert st["rank"] == 512 and st["rank_default"] == 511


def test_non_square_sinusoidal_matrices_are_full_rank():
    for shape in ((64, 256), (256, 64), (100, 130)):
        st = sp.matrix_spectrum(sp.make_weight("sinusoidal", shape))
        assert st["rank"] == min(shape)


@pytest.mark.parametrize("ratio", [0.25, 0.5, 1.0])
def test_marchenko_pastur_cdf_matches_quadrature(ratio):
    a, b = sp.mp_support(ratio)
    xs = np.linspace(a, b, 9)
    ref = [integrate.quad(lambda t: sp.mp_pdf(t, ratio), a, x, limit=200)[0] for x in xs]
    assert np.allclose(sp.mp_cdf(xs, ratio), ref, atol=1e-10)
    assert sp.mp_cdf([b], ratio)[0] == pytest.approx(1.0, abs=1e-12)
    # the mean of MP(ratio, 1) is 1
    mean = integrate.quad(lambda t: t * sp.mp_pdf(t, ratio), a, b, limit=200)[0]
    assert mean == pytest.approx(1.0, abs=1e-7)


@pytest.mark.parametrize("shape", [(400, 800), (800, 400), (400, 400)])
def test_marchenko_pastur_distance_small_for_iid_gaussian(shape):
    w = torch.randn(*shape, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    d = sp.mp_distance(w)
    p = min(shape)
    assert d["mp_ratio"] == pytest.approx(p / max(shape))
    assert d["mp_ks"] < 1.36 / math.sqrt(p)
    eig, _ = sp.gram_eigenvalues(w)
    assert eig.mean() == pytest.approx(1.0, rel=1e-12)


def test_marchenko_pastur_distance_large_for_structured_matrices():
    assert sp.mp_distance(sp.make_weight("sinusoidal", (256, 256)))["mp_ks"] > 0.2
    assert sp.mp_distance(sp.make_weight("orthogonal", (256, 256)))["mp_ks"] > 0.2
    assert sp.mp_distance(sp.make_weight("emb_harmonic", (407, 128)))["mp_ks"] > 0.2


def test_iid_low_fraction_matches_monte_carlo():
    rng = np.random.default_rng(5)
    m, n, k = 40, 24, 3
    fr = [sp.index_fourier(rng.standard_normal((m, n)), k, k) for _ in range(200)]
    low = np.array([f["low_rows"] for f in fr])
    expect = sp.iid_low_fraction(m, n, k)
    assert expect == pytest.approx((7 * n - 1) / (m * n - 1))
    assert abs(low.mean() - expect) < 3 * low.std(ddof=1) / math.sqrt(len(low))
    enrich = np.array([f["low_rows_enrichment"] for f in fr])
    assert abs(enrich.mean() - 1.0) < 0.05


def test_index_order_power_separates_smooth_embeddings_from_noise():
    shape = (64, 16)
    harm = sp.index_fourier(sp.make_weight("emb_harmonic", shape), k_rows=8)
    noise = sp.index_fourier(sp.make_weight("emb_random", shape, seed=1), k_rows=8)
    # emb_harmonic: column pair m is the (m+1)-th harmonic of the token index, m + 1 <= 8
    assert harm["low_rows"] == pytest.approx(1.0, abs=1e-6)
    assert harm["low_rows_enrichment"] == pytest.approx(1 / sp.iid_low_fraction(64, 16, 8))
    assert 0.5 < noise["low_rows_enrichment"] < 1.5
    # at the language model's shape, the smooth strategies stand out along the token axis
    big = {n: sp.index_fourier(sp.make_weight(n, (407, 512)))
           for n in ("emb_random", "emb_perlin", "emb_normal", "emb_spectral")}
    assert 0.8 < big["emb_random"]["low_rows_enrichment"] < 1.2
    for n in ("emb_perlin", "emb_normal", "emb_spectral"):
        assert big[n]["low_rows_enrichment"] > 5


def test_index_marginals_sum_to_one():
    w = sp.make_weight("emb_gabor", (50, 30))
    m = sp.index_marginals(w)
    assert m["rows_energy"].sum() == pytest.approx(1.0) and len(m["rows_freq"]) == 26
    assert m["cols_energy"].sum() == pytest.approx(1.0) and len(m["cols_freq"]) == 16


def test_weight_spectra_table_covers_every_initializer(cache_tmp):
    from initaudit.models import catalogue

    cfg = sp.WeightSpectraConfig(linear_shapes=((24, 24), (16, 40)), embedding_shape=(40, 16),
                                 n_seeds=2)
    res = sp.weight_spectra(cfg)
    per = res["per_draw"]
    lin = per[per.kind == "linear"]
    assert set(lin.init) == set(sp.linear_inits())
    assert set(per[per.kind == "embedding"].init) == set(catalogue.available("embedding"))
    sq = lin[(lin.init == "sinusoidal") & (lin["shape"] == "24x24")]
    assert len(sq) == 1 and int(sq["rank"].iloc[0]) == 11
    summ = res["summary"]
    xu = summ[(summ.init == "xavier_uniform") & (summ.quantity == "erank")]
    assert len(xu) == 2 and (xu.n == 2).all()
    assert (("emb_harmonic", 40, 16) in res["curves"]) and ((24, 24) in res["iid"])


# ----------------------------------------------------------------------------------------------
# bad input


@pytest.mark.parametrize("kwargs, fragment", [
    ({"init": "nope"}, "valid initializers are"),
    ({"window": "hamming"}, "valid windows are hann, blackmanharris, none"),
    ({"dims": 3}, "valid input dimensions are 1, 2"),
    ({"first_layer": "x"}, "valid first_layers are auto, own, omega0"),
    ({"points": 101}, "must be even"),
    ({"points": 16}, "use at least"),
    ({"depth": 0}, "depth must be a positive integer"),
    ({"omega0": -1.0}, "omega0 must be a positive finite number"),
    ({"ks": ()}, "at least one threshold"),
    ({"dtype": "float16"}, "valid dtypes are float32, float64"),
])
def test_bad_input_raises_clear_value_errors(kwargs, fragment):
    base = {"init": "siren", "depth": 2, "width": 8, "n_networks": 2}
    with pytest.raises(ValueError, match=fragment):
        sp.run_spectrum(sp.SpectrumConfig(**{**base, **kwargs}))


def test_bad_weight_input():
    with pytest.raises(ValueError, match="valid names are"):
        sp.make_weight("nope", (4, 4))
    with pytest.raises(ValueError, match="at least two positive integers"):
        sp.make_weight("xavier_uniform", (4,))
    with pytest.raises(ValueError, match="valid embedding strategies are"):
        sp.weight_spectra(sp.WeightSpectraConfig(embeddings=("emb_nope",)))
    with pytest.raises(ValueError, match="ratio must be in"):
        sp.mp_support(2.0)


# ----------------------------------------------------------------------------------------------
# command line

NETWORK_KEYS = {"init", "depth", "width", "d_in", "omega0", "points", "nyquist", "resolution",
                "n_networks", "window", "first_layer", "activation", "seed", "dtype", "resolved",
                "frequency_unit", "interval", "energy_above", "energy_above_omega0", "centroid",
                "centroid_over_omega0", "energy_top_octave", "spectrum"}


@pytest.mark.parametrize("dims", ["1", "2"])
def test_cli_prints_json_with_the_documented_keys(dims, capsys):
    assert cli.main(["spectrum", "--init", "edge_of_chaos", "--depth", "2", "--width", "8",
                     "--seeds", "2", "--d-in", dims, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == NETWORK_KEYS
    assert [r["k"] for r in out["energy_above"]] == list(sp.DEFAULT_KS)
    assert set(out["energy_above_omega0"]) == {"mean", "lo", "hi"}
    spec = out["spectrum"]
    assert set(spec) == {"frequency", "frequency_over_omega0", "power", "power_lo", "power_hi"}
    assert len(spec["frequency"]) == len(spec["power"]) > 10
    assert spec["frequency"][1] == pytest.approx(math.pi)
    assert out["n_networks"] == 2 and out["d_in"] == int(dims)


def test_cli_text_and_weights_mode(capsys):
    assert cli.main(["spectrum", "--init", "siren", "--depth", "2", "--width", "8",
                     "--seeds", "2", "--ks", "1", "3"]) == 0
    text = capsys.readouterr().out
    assert "energy above 1 omega0" in text and "energy above 3 omega0" in text
    assert cli.main(["spectrum", "--weights", "--init", "sinusoidal", "--shape", "32", "32",
                     "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["rank"] == 15 and out["cond"] == "inf" and len(out["singular_values"]) == 32
    for key in ("erank", "mp_ks", "low_rows_enrichment", "low_cols_enrichment"):
        assert key in out


@pytest.mark.parametrize("argv, fragment", [
    (["spectrum", "--init", "nope", "--depth", "2", "--width", "8"], "valid names are"),
    (["spectrum", "--init", "siren", "--width", "8"], "needs --depth"),
    (["spectrum", "--init", "siren", "--depth", "2", "--width", "8", "--points", "7"],
     "must be"),
    (["spectrum", "--init", "siren", "--depth", "0", "--width", "8"], "whole number >= 1"),
    (["spectrum", "--init", "siren", "--depth", "2", "--width", "8", "--d-in", "3"],
     "invalid choice"),
    (["spectrum", "--weights", "--init", "siren"], "needs --shape"),
    (["spectrum", "--weights", "--init", "nope", "--shape", "4", "4"], "valid names are"),
])
def test_cli_bad_input_is_one_line_exit_2(argv, fragment, capsys):
    assert cli.main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("initaudit: error:") and fragment in err[0]
