"""initaudit.analysis.stats and analysis.metrics against hand-computed cases."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from initaudit.analysis import metrics, stats


# --- stats ----------------------------------------------------------------------------------

def test_paired_difference_by_hand():
    a = [1.0, 2.0, 3.0, 4.0]
    b = [2.0, 2.5, 4.5, 5.0]  # differences 1, 0.5, 1.5, 1: mean 1, sd sqrt(1/6)
    out = stats.paired_difference(a, b)
    sd = math.sqrt((0 + 0.25 + 0.25 + 0) / 3)
    half = 3.182446305284263 * sd / 2  # t_{0.975, 3} (tables: 3.1824)
    assert out["mean"] == pytest.approx(1.0, abs=1e-12)
    assert out["sd"] == pytest.approx(sd, abs=1e-12)
    assert out["lo"] == pytest.approx(1.0 - half, abs=1e-9)
    assert out["hi"] == pytest.approx(1.0 + half, abs=1e-9)
    assert out["d_z"] == pytest.approx(1.0 / sd, abs=1e-12)
    # Two-sided p from the closed-form Student-t CDF with 3 degrees of freedom,
    # F(t) = 1/2 + [u / (1 + u^2) + atan(u)] / pi with u = t / sqrt(3) (no scipy), float64.
    u = (1.0 / (sd / 2)) / math.sqrt(3)
    p = 2 * (0.5 - (u / (1 + u * u) + math.atan(u)) / math.pi)
    assert out["p"] == pytest.approx(p, abs=1e-10)


def test_paired_difference_drops_nan_pairs_and_checks_lengths():
    out = stats.paired_difference([1.0, np.nan, 3.0], [2.0, 5.0, 4.0])
    assert out["n"] == 2 and out["mean"] == 1.0
    with pytest.raises(ValueError, match="equal length"):
        stats.paired_difference([1.0], [1.0, 2.0])


def test_constant_difference_has_zero_p_and_infinite_effect():
    out = stats.paired_difference([0.0, 1.0, 2.0], [1.0, 2.0, 3.0])
    assert out["p"] == 0.0 and out["d_z"] == math.inf


def test_relative_difference():
    out = stats.relative_difference([2.0, 4.0], [3.0, 6.0])
    assert out["mean"] == pytest.approx(0.5, abs=1e-12) and out["n"] == 2


def test_holm_by_hand():
    # m = 4: sorted 0.01, 0.02, 0.03, 0.04 -> 0.04, 0.06, 0.06 (running max), 0.04 -> 0.06
    adj = stats.holm([0.03, 0.01, np.nan, 0.04, 0.02])
    expected = [0.06, 0.04, np.nan, 0.06, 0.06]
    np.testing.assert_allclose(adj, expected, atol=1e-15)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        stats.holm([1.5])


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=1, max_size=20))
def test_holm_is_monotone_and_never_below_raw(p):
    adj = stats.holm(p)
    assert np.all(adj >= np.asarray(p) - 1e-15) and np.all(adj <= 1.0)
    order = np.argsort(p, kind="stable")
    assert np.all(np.diff(adj[order]) >= -1e-15)


def test_level_is_checked():
    with pytest.raises(ValueError, match="level"):
        stats.t_interval([1.0, 2.0], level=1.5)


# --- metrics --------------------------------------------------------------------------------

def test_psnr_and_snr_by_hand():
    target = np.zeros(4)
    est = np.array([0.1, -0.1, 0.1, -0.1])  # MSE 0.01
    assert metrics.psnr(est, target) == pytest.approx(20.0, abs=1e-12)
    assert metrics.psnr(est, target, peak=2.0) == pytest.approx(20 + 20 * math.log10(2), abs=1e-12)
    assert metrics.psnr(target, target) == math.inf
    clean = np.array([1.0, -1.0, 1.0, -1.0])  # energy 4
    assert metrics.snr_db(clean + est, clean) == pytest.approx(10 * math.log10(4 / 0.04), abs=1e-12)
    with pytest.raises(ValueError, match="all zero"):
        metrics.snr_db(est, target)
    with pytest.raises(ValueError, match="shapes differ"):
        metrics.psnr(np.zeros(3), np.zeros(4))


def test_best_before_patience_by_hand():
    curve = [0.5, 0.6, 0.55, 0.58, 0.59, 0.7]
    # patience 3: epochs 3, 4, 5 do not improve on 0.6 -> stop after epoch 5; 0.7 never seen.
    assert metrics.best_before_patience(curve, 3) == (0.6, 2)
    assert metrics.best_before_patience(curve, 4) == (0.7, 6)
    # A tie is not an improvement.
    assert metrics.best_before_patience([0.5, 0.5, 0.5], 2) == (0.5, 1)
    with pytest.raises(ValueError, match="patience"):
        metrics.best_before_patience(curve, 0)
    with pytest.raises(ValueError, match="empty"):
        metrics.best_before_patience([], 3)


def test_auc_and_relative_auc_by_hand():
    assert metrics.curve_auc([0.0, 1.0, 1.0]) == pytest.approx(1.5)
    assert metrics.curve_auc([0.7]) == 0.0
    # (0.5+0.9)/2 + (0.9+1)/2 = 1.65 against (0.5+0.7)/2 + (0.7+0.8)/2 = 1.35
    assert metrics.relative_auc([0.5, 0.9, 1.0], [0.5, 0.7, 0.8]) == pytest.approx(0.3 / 1.35)
    with pytest.raises(ValueError, match="equal length"):
        metrics.relative_auc([1, 2], [1, 2, 3])


def test_epochs_to_threshold():
    assert metrics.epochs_to_threshold([0.8, 0.94, 0.95, 0.97], 0.95) == 3.0
    assert math.isnan(metrics.epochs_to_threshold([0.8, 0.9], 0.95))


def test_bootstrap_interval_is_the_percentile_bootstrap_written_out():
    """Against the recipe written out here (resample rows, mean, quantiles), float64 at 1e-12."""
    rng = np.random.default_rng(3)
    v = rng.lognormal(size=(7, 40))
    lo, hi = stats.bootstrap_interval(v, n_boot=500, seed=11)
    idx = np.random.default_rng(11).integers(0, 7, size=(500, 7))
    means = v[idx].mean(axis=1)
    want_lo, want_hi = np.quantile(means, (0.025, 0.975), axis=0)
    np.testing.assert_allclose(lo, want_lo, rtol=1e-12)
    np.testing.assert_allclose(hi, want_hi, rtol=1e-12)


def test_paired_p_is_scipys_paired_t_test():
    from scipy.stats import ttest_rel

    rng = np.random.default_rng(5)
    a = rng.normal(size=9)
    b = a + rng.normal(0.3, 1.0, size=9)
    assert stats.paired_difference(a, b)["p"] == pytest.approx(ttest_rel(b, a).pvalue, rel=1e-12)
