"""Tests of the weight statistics (analysis/weights.py) and the ``initaudit weights`` command.

Tolerances: matrix statistics of matrices with known singular values in float64 to 1e-12;
the Sinusoidal variance identity var(W) = gain^2/fan through ``weight_stats_for`` in float32
to a relative 1e-6; Kolmogorov-Smirnov distances from seeded samples of n = 20000:
- against the sample's own Gaussian or uniform law below 0.015 (the 0.999 quantile of the KS
  statistic with known parameters is 1.95/sqrt(n) = 0.0138; fitting mean and variance lowers it);
- against its own arcsine law below 0.06: the arcsine density diverges at the edges +-a, so the
  edge fitted from the sample variance (relative error ~ 1/sqrt(2n)) moves the CDF near the edge
  by ~ (2/pi) sqrt(delta/(2a)), an O(n^-1/4) effect of 0.01-0.05 at this n;
- against the other laws above the population distance between matched laws minus 0.02 (the
  smallest of these, uniform vs Gaussian, is 0.057).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from initaudit.analysis.weights import LAWS, weight_stats, weight_stats_for
from initaudit.models import catalogue

N_LAW = 20000


def test_moments_and_spectrum_of_a_known_matrix():
    u, _ = torch.linalg.qr(torch.randn(6, 6, generator=torch.Generator().manual_seed(0),
                                       dtype=torch.float64))
    v, _ = torch.linalg.qr(torch.randn(4, 4, generator=torch.Generator().manual_seed(1),
                                       dtype=torch.float64))
    s = torch.tensor([4.0, 2.0, 1.0, 0.5], dtype=torch.float64)
    m = u[:, :4] @ torch.diag(s) @ v.T
    st = weight_stats(m)
    x = m.numpy().ravel()
    assert st["shape"] == [6, 4] and st["numel"] == 24 and st["dtype"] == "float64"
    assert abs(st["mean"] - x.mean()) < 1e-15
    assert abs(st["var"] - x.var(ddof=1)) < 1e-15
    assert st["min"] == x.min() and st["max"] == x.max()
    assert st["rank"] == 4 and st["full_rank"] is True
    assert abs(st["sv_max"] - 4.0) < 1e-12 and abs(st["sv_min"] - 0.5) < 1e-12
    assert abs(st["cond"] - 8.0) < 1e-11
    assert abs(st["sv_median"] - 1.5) < 1e-12
    assert abs(st["sv_mean_sq"] - (16 + 4 + 1 + 0.25) / 4) < 1e-12
    # the package's rank rule: rtol = max(4 eps, 1e-10), the floor for float64
    assert st["rank_rtol"] == 1e-10 and st["rank_default"] == 4


def test_rank_deficient_matrix_has_infinite_condition_number():
    a = torch.arange(1.0, 6.0, dtype=torch.float64)
    m = torch.outer(a, torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64))  # rank 1
    st = weight_stats(m)
    assert st["rank"] == 1 and st["full_rank"] is False
    assert st["cond"] == math.inf
    assert st["rank_default"] == int(torch.linalg.matrix_rank(m))  # torch's default tolerance


def test_rank_uses_the_dtype_of_the_tensor():
    # The float32 Sinusoidal pattern of a (64, 32) matrix has exact rank 16: rows k and 32 - k
    # coincide and row k + 32 is minus row k. Rounding noise (~1e-7) must not count as rank.
    w32 = weight_stats_for("sinusoidal", (64, 32))
    assert w32["rank"] == 16 and w32["cond"] == math.inf
    assert w32["rank_rtol"] == 4 * torch.finfo(torch.float32).eps
    t = torch.empty(64, 32)
    catalogue.get("sinusoidal").fn(t)
    assert w32["rank_default"] == int(torch.linalg.matrix_rank(t))
    # In float64 the rounding of sin at arguments up to 2 pi * 64 leaves singular values near
    # 1e-13 s_max: above torch's default tolerance (64 * 2.2e-16), below the package's floor
    # 1e-10, so the package's rule gives the exact rank 16 in both dtypes.
    t64 = catalogue.get("sinusoidal").fn(torch.empty(64, 32, dtype=torch.float64))
    sv = torch.linalg.svdvals(t64)
    assert float(sv[15]) > 0.1 * float(sv[0]) and float(sv[16]) < 1e-11 * float(sv[0])
    assert weight_stats(t64)["rank"] == 16
    assert weight_stats(t64)["rank_default"] == int(torch.linalg.matrix_rank(t64))


def test_conv_weights_are_flattened():
    w = torch.randn(8, 3, 2, 2, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    st = weight_stats(w)
    flat = w.reshape(8, 12)
    sv = torch.linalg.svdvals(flat)
    assert st["matrix_shape"] == [8, 12] and st["shape"] == [8, 3, 2, 2]
    assert abs(st["sv_max"] - float(sv[0])) < 1e-12
    assert abs(st["sv_min"] - float(sv[-1])) < 1e-12
    assert st["rank"] == 8


def test_vectors_and_constant_tensors():
    st = weight_stats(torch.linspace(-1, 1, 11))
    assert st["rank"] is None and st["matrix_shape"] is None and st["cond"] is None
    assert abs(st["var"] - np.linspace(-1, 1, 11).var(ddof=1)) < 1e-6
    zeros = weight_stats(torch.zeros(4, 4))
    assert zeros["rank"] == 0 and zeros["cond"] == math.inf
    assert all(math.isnan(zeros[f"ks_{law}"]) for law in LAWS)
    assert zeros["nearest_law"] is None
    with pytest.raises(ValueError, match="non-empty"):
        weight_stats(torch.empty(0, 3))
    with pytest.raises(ValueError, match="floating-point"):
        weight_stats(torch.ones(3, 3, dtype=torch.int64))


def _samples(law: str) -> torch.Tensor:
    rng = np.random.default_rng(12345)
    if law == "gaussian":
        x = rng.normal(0.3, 2.0, N_LAW)
    elif law == "uniform":
        x = rng.uniform(-1.0, 3.0, N_LAW)
    else:  # arcsine: the sine of a uniform phase, shifted and scaled
        x = 0.5 + 1.5 * np.sin(rng.uniform(0, 2 * np.pi, N_LAW))
    return torch.from_numpy(x).reshape(100, 200)


@pytest.mark.parametrize("law", LAWS)
def test_law_distances_identify_the_law(law):
    st = weight_stats(_samples(law))
    assert st["nearest_law"] == law
    assert st[f"ks_{law}"] < (0.06 if law == "arcsine" else 0.015)
    population = {frozenset({"gaussian", "uniform"}): 0.0572,
                  frozenset({"gaussian", "arcsine"}): 0.0971,
                  frozenset({"uniform", "arcsine"}): 0.0917}
    for other in LAWS:
        if other != law:
            assert st[f"ks_{other}"] > population[frozenset({law, other})] - 0.02


def test_population_distances_between_matched_laws():
    # The reference numbers above, recomputed: sup |F - G| for unit-variance, zero-mean laws.
    from scipy import stats

    x = np.linspace(-2.0, 2.0, 400001)
    cdf = {"gaussian": stats.norm.cdf(x),
           "uniform": stats.uniform.cdf(x, loc=-math.sqrt(3), scale=2 * math.sqrt(3)),
           "arcsine": stats.arcsine.cdf(x, loc=-math.sqrt(2), scale=2 * math.sqrt(2))}
    assert abs(np.abs(cdf["gaussian"] - cdf["uniform"]).max() - 0.0572) < 1e-3
    assert abs(np.abs(cdf["gaussian"] - cdf["arcsine"]).max() - 0.0971) < 1e-3
    assert abs(np.abs(cdf["uniform"] - cdf["arcsine"]).max() - 0.0917) < 1e-3
    assert abs(stats.arcsine(loc=-math.sqrt(2), scale=2 * math.sqrt(2)).var() - 1.0) < 1e-12


def test_weight_stats_for_sinusoidal_variance_and_law():
    for shape, fan in (((48, 40), 40), ((16, 4, 3, 3), 36)):
        st = weight_stats_for("sinusoidal", shape)
        assert abs(st["var"] - 2.0 / fan) < 1e-6 * 2.0 / fan
        assert st["name"] == "sinusoidal" and st["shape"] == list(shape)
    st = weight_stats_for("sinusoidal", (40, 40), gain=1.0, mode="fan_out")
    assert abs(st["var"] - 1.0 / 40) < 1e-6 / 40
    assert st["options"] == {"gain": 1.0, "mode": "fan_out"}


def test_weight_stats_for_random_initializers_is_seeded():
    a = weight_stats_for("siren", (128, 64), seed=3)
    b = weight_stats_for("siren", (128, 64), seed=3)
    c = weight_stats_for("siren", (128, 64), seed=4)
    assert a == b
    assert a["mean"] != c["mean"]
    bound = math.sqrt(6 / 64) / 30
    assert a["max"] <= bound and a["min"] >= -bound
    n = 128 * 64
    se_var = bound ** 2 * math.sqrt(1 / (5 * n) - (n - 3) / (9 * n * (n - 1)))
    assert abs(a["var"] - bound ** 2 / 3) < 5 * se_var
    assert a["nearest_law"] == "uniform"


def test_weight_stats_for_rejects_bad_input():
    with pytest.raises(ValueError, match="valid names are .*sinusoidal"):
        weight_stats_for("nope", (4, 4))
    for shape in [(), (4, 0), (4, -1), (4, 2.5)]:
        with pytest.raises(ValueError, match="positive integers"):
            weight_stats_for("sinusoidal", shape)
    with pytest.raises(ValueError, match="2-D weight"):
        weight_stats_for("siren", (8, 4, 3))


# --------------------------------------------------------------------------- weights command


def _cli(argv, capsys):
    from initaudit.figures.cli import main

    status = main(argv)
    out = capsys.readouterr()
    return status, out.out, out.err


def test_cli_weights_json(capsys):
    status, out, _ = _cli(["weights", "--init", "sinusoidal", "--shape", "64", "32", "--json"],
                          capsys)
    assert status == 0
    st = json.loads(out)
    assert st["shape"] == [64, 32] and st["rank"] == 16
    assert st["cond"] == "inf"  # JSON has no infinity: the CLI writes the string
    assert abs(st["var"] - 2 / 32) < 1e-6


def test_cli_weights_text_and_conv_shape(capsys):
    status, out, _ = _cli(["weights", "--init", "orthogonal", "--shape", "8", "3", "3", "3",
                           "--seed", "5"], capsys)
    assert status == 0
    lines = dict(line.split(None, 1) for line in out.strip().splitlines())
    assert lines["shape"].strip() == "8 x 3 x 3 x 3"
    assert lines["matrix_shape"].strip() == "8 x 27"
    assert lines["rank"].strip() == "8"
    assert abs(float(lines["cond"]) - 1.0) < 1e-4  # orthonormal rows


@pytest.mark.parametrize("argv", [
    ["weights", "--init", "sinusoidal", "--shape", "64"],
    ["weights", "--init", "sinusoidal", "--shape", "64", "0"],
    ["weights", "--init", "sinusoidal", "--shape", "8", "x"],
    ["weights", "--init", "siren", "--shape", "8", "4", "3"],
    ["weights", "--init", "sinusoidal", "--shape", "2", "2"],
    ["weights", "--init", "nope", "--shape", "8", "4"],
    ["weights", "--shape", "8", "4"],
])
def test_cli_weights_bad_input_exits_2(argv, capsys):
    status, out, err = _cli(argv, capsys)
    assert status == 2
    assert err.startswith("initaudit: error:") and len(err.strip().splitlines()) == 1
    assert out == ""
