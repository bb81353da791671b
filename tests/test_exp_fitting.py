"""Tests of the image- and audio-fitting experiments (:mod:`analysis.experiments.image_fit`,
:mod:`analysis.experiments.audio_fit`, :mod:`analysis.experiments.sine_fit`).

Tolerances: the spectral shares of pure grid sinusoids are exact up to float64 rounding of an
FFT of a few thousand terms (numerics, 1e-10 absolute on a share in [0, 1]); the input SNR of
the noisy target is a random quantity whose standard error in dB is about
``(10 / ln 10) sqrt(2 / P)`` for P samples, and is checked within 5 of them (statistics).
The end-to-end tests run the smoke preset (plumbing, not science).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch
from scipy.io import wavfile

from initaudit.analysis import datasets, spectrum
from initaudit.analysis.experiment import SkippedSetting, run_experiment
from initaudit.analysis.experiments import audio_fit as A
from initaudit.analysis.experiments import image_fit as I
from initaudit.analysis.experiments import sine_fit as F
from initaudit.analysis.metrics import snr_db

#: Absolute tolerance of shares computed from exact float64 sinusoids (numerics).
ATOL_SHARE = 1e-10
#: Fields every evidence record carries.
EVIDENCE_FIELDS = {"mean", "lo", "hi", "n", "p", "unit", "what"}


# --------------------------------------------------------------------------------------------
# Error spectrum and its share above the training Nyquist frequency


def _axis_grid(points: int):
    x = F.grid_axis(points)
    return np.meshgrid(x, x, indexing="ij")


@pytest.mark.parametrize("k, share", [(20, 1.0), (3, 0.0), (8, 0.0), (9, 1.0)])
def test_share_of_a_pure_sinusoid_is_one_above_and_zero_at_or_below_the_cutoff(k, share):
    # On the grid of [-1, 1) a cosine cos(pi k x) sits in the DFT bins +-k, at omega = pi k.
    # Training grid of 16 points: Nyquist pi * 16 / 2 = 8 pi, so k = 8 lies *at* the cutoff
    # (not above it) and k = 9 above.
    x, _ = _axis_grid(64)
    error = np.cos(np.pi * k * x)
    cutoff = spectrum.nyquist(16)
    assert cutoff == pytest.approx(8 * np.pi, abs=1e-12)
    assert F.high_frequency_share(error, cutoff) == pytest.approx(share, abs=ATOL_SHARE)


def test_share_of_a_mixture_is_its_energy_fraction():
    # a cos(20 pi x) + b sin(3 pi y): the two terms are orthogonal on the grid, with mean squares
    # a^2/2 and b^2/2, so the share above 8 pi is a^2 / (a^2 + b^2).
    x, y = _axis_grid(64)
    a, b = 0.3, 1.1
    error = a * np.cos(20 * np.pi * x) + b * np.sin(3 * np.pi * y)
    assert F.high_frequency_share(error, 8 * np.pi) == pytest.approx(
        a * a / (a * a + b * b), abs=ATOL_SHARE)


def test_share_uses_the_radial_frequency():
    # cos(6 pi x) cos(6 pi y) has |omega| = 6 sqrt(2) pi ~ 8.49 pi: above a radial cutoff of 8 pi
    # although each axis frequency (6 pi) lies below it.
    x, y = _axis_grid(64)
    error = np.cos(6 * np.pi * x) * np.cos(6 * np.pi * y)
    assert F.high_frequency_share(error, 8 * np.pi) == pytest.approx(1.0, abs=ATOL_SHARE)
    assert F.high_frequency_share(error, 9 * np.pi) == pytest.approx(0.0, abs=ATOL_SHARE)


def test_error_spectrum_sums_to_the_mean_square_and_keeps_the_mean():
    rng = np.random.default_rng(0)
    error = rng.normal(0.3, 1.0, size=(32, 32))
    omega_r, energy = F.error_spectrum(error)
    # Parseval, no window and no mean removal: the bins add up to mean(error^2) (numerics)
    assert energy.sum() == pytest.approx(np.mean(error ** 2), rel=1e-12)
    # the DC bin holds mean(error)^2
    assert energy[0, 0] == pytest.approx(error.mean() ** 2, rel=1e-12)
    omega, power = F.radial_error_profile(error)
    assert omega[0] == 0.0 and np.all(np.diff(omega) == pytest.approx(np.pi))
    assert power[0] == pytest.approx(error.mean() ** 2, rel=1e-12)


# --------------------------------------------------------------------------------------------
# Grids and subsampling


def test_subsampled_grid_is_the_coarse_grid_bitwise():
    assert np.array_equal(F.grid_axis(512)[::4], F.grid_axis(128))
    fine, coarse = F.grid_inputs(512, 2), F.grid_inputs(128, 2)
    idx = (np.arange(0, 512, 4)[:, None] * 512 + np.arange(0, 512, 4)[None, :]).ravel()
    assert np.array_equal(fine[idx], coarse)


def test_grid_rows_line_up_with_the_image_raveled():
    g = 8
    x = F.grid_inputs(g, 2)
    axis = F.grid_axis(g)
    img_rows = np.repeat(axis, g).reshape(g, g)  # value = first coordinate of each pixel
    img_cols = np.tile(axis, g).reshape(g, g)
    assert np.array_equal(x[:, 0], img_rows.ravel().astype(np.float32))
    assert np.array_equal(x[:, 1], img_cols.ravel().astype(np.float32))
    assert x.min() == -1.0 and x.max() == pytest.approx(1 - 2 / g)


def test_subsample_and_block_mean_hand_cases():
    a = np.arange(16).reshape(4, 4)
    assert np.array_equal(F.subsample(a, 2), [[0, 2], [8, 10]])
    assert np.array_equal(F.block_mean(a, 2), [[2.5, 4.5], [10.5, 12.5]])
    mask = I.training_mask(8, 4)
    assert mask.sum() == 4 and mask[0, 0] and mask[4, 4] and not mask[1, 0]


@pytest.mark.parametrize("fn, args, match", [
    (F.subsample, (np.zeros((6, 6)), 4), "divide"),
    (F.subsample, (np.zeros((4, 4)), 0), "positive integer"),
    (F.block_mean, (np.zeros((6, 6)), 4), "divide"),
    (F.block_mean, (np.zeros(6), 2), "2-D"),
    (I.target_image, (100,), "divide 512"),
])
def test_grid_helpers_reject_bad_input(fn, args, match):
    with pytest.raises(ValueError, match=match):
        fn(*args)


def test_target_image_is_the_camera_in_unit_range():
    img = I.target_image(512)
    assert img.shape == (512, 512) and 0.0 <= img.min() and img.max() <= 1.0
    assert np.allclose(I.target_image(256), img.reshape(256, 2, 256, 2).mean(axis=(1, 3)))


def test_interpolation_baseline_of_a_constant_image_is_exact():
    # numerics: the spline reproduces a constant up to float64 rounding, i.e. an rms error
    # below 1e-10, which is a PSNR above 200 dB at peak 1
    r = I.interpolation_baseline(np.full((32, 32), 0.4), 4)
    assert r["gen_psnr"] > 200 and r["heldout_psnr"] > 200


# --------------------------------------------------------------------------------------------
# Networks and training


def test_sine_spec_variances_match_the_published_rules():
    n, omega = 64, 3000.0
    s = F.sine_spec("siren", 1, n, 4, omega0=omega)
    # SIREN audio: first W ~ U(+-omega/d) folded, d = 1: Var = omega^2 / 3 = sigma_w0^2 / d
    assert s.first.sigma_w2 == pytest.approx(omega ** 2 / 3, rel=1e-12)
    # hidden bias U(+-30/sqrt(N)): variance 30^2 / (3 N); hidden c_w = sqrt(6): sigma_w^2 = 2
    assert s.hidden.sigma_b2 == pytest.approx(900 / (3 * n), rel=1e-12)
    assert s.hidden.sigma_w2 == pytest.approx(2.0, rel=1e-12)
    e = F.sine_spec("edge_of_chaos", 2, n, 4, omega0=30.0)
    assert e.hidden.sigma_w2 == pytest.approx(1.0) and e.hidden.sigma_b2 == 0.0
    assert e.first.sigma_b2 == 0.0 and e.first.sigma_w2 == pytest.approx(2 * (15.0 ** 2) / 3)
    c = F.sine_spec("chaotic", 2, n, 4)
    assert c.hidden.sigma_w2 == pytest.approx(2.4 ** 2 / 3) and c.hidden.sigma_b2 == 0.0


def test_build_network_respects_the_first_layer_bound_and_the_seed():
    net = F.build_network("edge_of_chaos", 1, 32, 3, 500.0, seed=4)
    w0 = net[0].weight.detach()
    assert float(w0.abs().max()) <= 500.0 and float(w0.abs().max()) > 250.0
    same = F.build_network("edge_of_chaos", 1, 32, 3, 500.0, seed=4)
    other = F.build_network("edge_of_chaos", 1, 32, 3, 500.0, seed=5)
    assert torch.equal(w0, same[0].weight) and not torch.equal(w0, other[0].weight)


@pytest.mark.parametrize("inits, match", [
    ("edge_of_chaos", "must include siren"),
    ("siren,bogus", "unknown initialiser"),
    ("siren,siren", "repeat"),
])
def test_check_inits_rejects_bad_lists(inits, match):
    with pytest.raises(ValueError, match=match):
        F.check_inits(inits)


def test_train_is_deterministic_and_validates():
    x = F.grid_inputs(16, 1)
    y = np.sin(3 * x[:, 0])
    runs = []
    for _ in range(2):
        net = F.build_network("siren", 1, 8, 2, 30.0, seed=1)
        runs.append(F.train(net, x, y, steps=6, lr=1e-3, batch_size=5, seed=2, log_steps=(0, 6),
                            metric=lambda m: {"out": float(m(torch.zeros(1, 1)))}))
    assert np.array_equal(runs[0]["loss"], runs[1]["loss"])
    assert list(runs[0]["log"]["step"]) == [0, 6] and runs[0]["log"]["out"].size == 2
    net = F.build_network("siren", 1, 8, 2, 30.0, seed=1)
    with pytest.raises(ValueError, match="steps"):
        F.train(net, x, y, steps=0, lr=1e-3, batch_size=None, seed=0)
    with pytest.raises(ValueError, match="lr"):
        F.train(net, x, y, steps=1, lr=-1.0, batch_size=None, seed=0)
    with pytest.raises(ValueError, match="log_steps"):
        F.train(net, x, y, steps=2, lr=1e-3, batch_size=None, seed=0, log_steps=(3,))


# --------------------------------------------------------------------------------------------
# Audio


def test_rule_omega0_hand_values():
    # 30 P / 256: the image experiment's first-layer phase step per training sample
    assert A.rule_omega0(4000) == pytest.approx(468.75, abs=1e-12)
    assert A.rule_omega0(256) == pytest.approx(30.0, abs=1e-12)
    with pytest.raises(ValueError, match="positive integer"):
        A.rule_omega0(0)


def test_noise_has_the_stated_snr_and_repeats_with_the_seed():
    clean = datasets.chirp(8000, 0.5, 100.0, 3000.0)
    noisy = A.noisy(clean, 10.0, seed=3)
    p = clean.size
    se_db = 10 / math.log(10) * math.sqrt(2 / p)  # standard error of the realised SNR in dB
    assert abs(snr_db(noisy, clean) - 10.0) < 5 * se_db
    assert np.array_equal(noisy, A.noisy(clean, 10.0, seed=3))
    assert not np.array_equal(noisy, A.noisy(clean, 10.0, seed=4))


def _write_wav(path, rate=16000, seconds=0.1, silent=False):
    t = np.arange(int(rate * seconds)) / rate
    x = np.zeros_like(t) if silent else 0.5 * np.sin(2 * np.pi * 440 * t) * np.exp(-5 * t)
    wavfile.write(path, rate, (x * 32767).astype(np.int16))
    return path


def test_excerpt_resamples_and_checks_its_length(tmp_path):
    path = _write_wav(tmp_path / "tone.wav", rate=16000, seconds=0.1)
    x = A.excerpt(path, 8000, 0.05, 0.01)
    assert x.size == 400
    with pytest.raises(ValueError, match="needs"):
        A.excerpt(path, 8000, 0.2)
    silent = _write_wav(tmp_path / "silent.wav", silent=True)
    with pytest.raises(ValueError, match="silent"):
        A.excerpt(silent, 8000, 0.05)


def test_a_given_audio_path_that_is_absent_raises_data_unavailable(tmp_path):
    with pytest.raises(datasets.DataUnavailable, match="not found"):
        A.cells("smoke", audio=tmp_path / "missing.wav")


def test_without_a_recording_the_chirp_runs_alone(monkeypatch):
    def absent(audio=None):
        raise datasets.DataUnavailable("no recording here")

    monkeypatch.setattr(A, "find_recording", absent)
    with pytest.warns(UserWarning, match="chirp alone"):
        items = A.cells("smoke")
    skipped = [c for c in items if isinstance(c, SkippedSetting)]
    cells = [c for c in items if not isinstance(c, SkippedSetting)]
    # the recording setting is listed as skipped, with the reason and the remedy
    assert [s.setting for s in skipped] == ["recording"]
    assert "pyo" in skipped[0].reason and "--audio PATH" in skipped[0].remedy
    assert {c.signal for c in cells} == {"chirp"} and all(c.audio_path is None for c in cells)
    with pytest.raises(datasets.DataUnavailable, match="no recording"):
        A.cells("smoke", signals="recording")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert {c.signal for c in A.cells("smoke", signals="chirp")} == {"chirp"}


@pytest.mark.parametrize("kwargs, match", [
    ({"signals": "voice"}, "signals"), ({"steps": 0}, "steps"), ({"lr": 0.0}, "lr"),
    ({"seconds": 0.0005}, "even number"), ({"inits": "edge_of_chaos"}, "siren"),
])
def test_audio_cells_reject_bad_options(kwargs, match):
    with pytest.raises(ValueError, match=match):
        A.cells("smoke", **{"signals": "chirp", **kwargs})


@pytest.mark.parametrize("kwargs, match", [
    ({"sanity": "maybe"}, "sanity"), ({"depths": "4,x"}, "depths"), ({"width": 0}, "width"),
])
def test_image_cells_reject_bad_options(kwargs, match):
    with pytest.raises(ValueError, match=match):
        I.cells("smoke", **kwargs)


# --------------------------------------------------------------------------------------------
# End to end at the smoke preset


def _check_evidence(evidence: dict, keys) -> None:
    for key in keys:
        assert key in evidence, f"missing evidence {key}"
        rec = evidence[key]
        assert EVIDENCE_FIELDS <= set(rec)
        assert rec["n"] >= 2 and math.isfinite(rec["mean"])
        assert rec["lo"] <= rec["mean"] <= rec["hi"]


def test_image_fit_smoke_end_to_end_through_the_cache(cache_tmp):
    run = run_experiment("image-fit", "smoke", progress=False)
    s = run.summary
    assert run.computed == len(run.configs) and not s["runs"].diverged.any()
    depths = s["settings"]["depths"]
    keys = ["image_siren_sanity_psnr"]
    for init in ("edge_of_chaos", "edge_of_chaos_sigma_a1", "chaotic"):
        keys += [f"image_gen_psnr_{init}_vs_siren_depth{d}" for d in depths]
        keys += [f"image_gen_psnr_{init}_vs_siren_pooled", f"image_gap_{init}_vs_siren_pooled",
                 f"image_high_share_{init}_vs_siren_pooled",
                 f"image_train_psnr_{init}_vs_siren_pooled"]
    keys.append("image_gen_psnr_edge_of_chaos_orthogonal_vs_edge_of_chaos_pooled")
    _check_evidence(s["evidence"], keys)
    grid = s["runs"][s["runs"].group == "grid"]
    # orthogonal minus i.i.d.: each seed's mean over depths, then the mean over seeds
    g = grid.set_index(["init", "depth", "seed"]).gen_psnr
    per_seed = [np.mean([g["edge_of_chaos_orthogonal", d, k] - g["edge_of_chaos", d, k]
                         for d in depths]) for k in sorted(set(grid.seed))]
    rec = s["evidence"]["image_gen_psnr_edge_of_chaos_orthogonal_vs_edge_of_chaos_pooled"]
    assert rec["mean"] == pytest.approx(np.mean(per_seed), abs=1e-12)
    assert grid.high_share.between(0, 1).all()
    # the gap is the difference of the two PSNRs, row by row
    assert np.allclose(grid.gap, grid.train_psnr - grid.gen_psnr)
    again = run_experiment("image-fit", "smoke", progress=False)
    assert again.computed == 0
    assert again.summary["runs"].gen_psnr.equals(s["runs"].gen_psnr)
    assert "SIREN sanity fit" in I.format_summary(s)


def test_audio_fit_smoke_end_to_end_with_a_given_file(cache_tmp, tmp_path):
    path = _write_wav(tmp_path / "tone.wav", rate=16000, seconds=0.1)
    run = run_experiment("audio-fit", "smoke", progress=False, audio=str(path))
    s = run.summary
    assert s["settings"]["signals"] == ["recording", "chirp"]
    assert s["settings"]["recording"] == str(path)
    keys = []
    for signal in ("recording", "chirp"):
        for task in ("fit", "denoise"):
            for init in ("edge_of_chaos", "edge_of_chaos_sigma_a1", "chaotic"):
                keys.append(f"audio_{signal}_{task}_snr_{init}_same_omega_vs_siren")
            for init in ("edge_of_chaos", "edge_of_chaos_sigma_a1"):
                keys.append(f"audio_{signal}_{task}_snr_{init}_rule_omega_vs_siren")
            keys.append(f"audio_{signal}_{task}_snr_edge_of_chaos_orthogonal_same_omega_vs_"
                        "edge_of_chaos")
    _check_evidence(s["evidence"], keys)
    runs = s["runs"]
    den = runs[runs.task == "denoise"]
    p = s["settings"]["samples"]
    se_db = 10 / math.log(10) * math.sqrt(2 / p)  # statistics: realised input SNR
    assert (abs(den.input_snr - A.NOISE_SNR_DB) < 5 * se_db).all()
    # the noise depends on the seed only: every arm of one seed sees the same input SNR
    assert den.groupby(["signal", "seed"]).input_snr.nunique().eq(1).all()
    assert runs[runs.task == "fit"].input_snr.isna().all()
    assert set(runs.omega0) == {A.SIREN_AUDIO_OMEGA0, A.rule_omega0(p)}
    assert "recording" in A.format_summary(s)


def test_run_cell_uses_one_thread_and_restores_the_count(monkeypatch):
    seen = []
    real = F.train

    def spy(*args, **kwargs):
        seen.append(torch.get_num_threads())
        return real(*args, **kwargs)

    monkeypatch.setattr(F, "train", spy)
    before = torch.get_num_threads()
    cell = next(c for c in A.cells("smoke", signals="chirp") if c.task == "fit")
    A.run_cell(cell)
    I.run_cell(I.cells("smoke", sanity="only")[0])
    assert seen == [1, 1] and torch.get_num_threads() == before
