"""``initaudit theory ...``: documented JSON keys, values from the theory modules, one-line errors."""

import json
import math

import numpy as np
import pytest

from initaudit.figures.cli import main
from initaudit.theory import kernels, meanfield, sine, spec


def run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_sine_json_keys_and_values(capsys):
    status, out, _ = run(capsys, "theory", "sine", "--c-w", "2.4494897", "--c-b", "1.875", "--json")
    assert status == 0
    data = json.loads(out)
    assert set(data) == {"law", "c_w", "c_b", "sigma_w2", "sigma_b2", "q_star", "sigma_g2",
                         "q_slope", "stable", "c_star", "c_slope", "xi_q", "xi_c", "phase"}
    mf = meanfield.mean_field(2.4494897**2 / 3, 1.875**2 / 3)
    assert data["q_star"] == pytest.approx(mf.q_star, abs=1e-12)
    assert data["sigma_g2"] == pytest.approx(mf.sigma_g2, abs=1e-12)
    # SIREN at N = 256 (c_b = 30/16): ordered as drawn (uniform biases), chaotic for the
    # Gaussian law
    assert data["law"] == "exact" and data["phase"] == "ordered"
    status, out, _ = run(capsys, "theory", "sine", "--c-w", "2.4494897", "--c-b", "1.875",
                         "--law", "gaussian", "--json")
    data = json.loads(out)
    assert data["law"] == "gaussian" and data["phase"] == "chaotic"


def test_sine_infinite_depth_scale_is_the_string_inf(capsys):
    # on each law's own unit-gain curve the correlation depth scale is infinite
    cw, cb = sine.sigma_a1_point()
    status, out, _ = run(capsys, "theory", "sine", "--c-w", repr(cw), "--c-b", repr(cb),
                         "--law", "gaussian", "--json")
    assert status == 0 and json.loads(out)["xi_c"] == "inf"
    cb = sine.uniform_bias_unit_gain_cb(cw)
    status, out, _ = run(capsys, "theory", "sine", "--c-w", repr(cw), "--c-b", repr(cb), "--json")
    assert status == 0 and json.loads(out)["xi_c"] == "inf"


def test_unit_gain_json(capsys):
    status, out, _ = run(capsys, "theory", "unit-gain", "--c-w", "2.0", "--law", "gaussian",
                         "--json")
    data = json.loads(out)
    assert status == 0 and data["law"] == "gaussian"
    assert data["c_b"] == pytest.approx(sine.unit_gain_cb(2.0), abs=1e-14)
    assert data["q_star"] == pytest.approx(-0.5 * math.log(6 / 4 - 1), abs=1e-14)
    assert data["sigma_g2"] == pytest.approx(1.0, abs=1e-10)


def test_unit_gain_json_exact_law_is_the_uniform_bias_curve(capsys):
    """Exact law: sinc(2 c_b) = (6/c_w^2 - 1) exp(2 c_w^2/3 - 2), and unit gain puts the Gaussian
    part of the fixed point at s* = c_w^2/3 - 1, so q* = c_w^2/3 - 1 + c_b^2/3."""
    status, out, _ = run(capsys, "theory", "unit-gain", "--c-w", "2.0", "--json")
    data = json.loads(out)
    assert status == 0 and data["law"] == "exact"
    cb = data["c_b"]
    assert math.sin(2 * cb) / (2 * cb) == pytest.approx((6 / 4 - 1) * math.exp(8 / 3 - 2),
                                                        abs=1e-12)
    assert data["q_star"] == pytest.approx(4 / 3 - 1 + cb**2 / 3, abs=1e-10)
    assert data["sigma_g2"] == pytest.approx(1.0, abs=1e-10)


def test_depth_json_rows(capsys):
    status, out, _ = run(capsys, "theory", "depth", "--c-w", "1.7320508075688772", "--c-b", "0",
                         "--q1", "0.5", "--depth", "32", "--json")
    rows = json.loads(out)
    assert status == 0 and len(rows) == 32 and rows[0]["q"] == 0.5
    assert set(rows[0]) == {"layer", "law", "q", "chi", "log_grad_ratio", "grad_ratio"}
    assert all(b["q"] < a["q"] for a, b in zip(rows, rows[1:]))


def test_kernel_json_matches_theory(capsys):
    status, out, _ = run(capsys, "theory", "kernel", "--depth", "3", "--c-w", "2.0", "--c-b", "0.5",
                         "--omega0", "30", "--x", "-0.5", "0", "0.5", "--json")
    data = json.loads(out)
    assert status == 0
    net = spec.sine_uniform(1, 1, 3, c_w=2.0, c_b=0.5, omega0=30.0)
    ref = kernels.kernels(net, np.array([[-0.5], [0.0], [0.5]]))
    np.testing.assert_allclose(np.array(data["nngp"]), ref.nngp, rtol=1e-14)
    np.testing.assert_allclose(np.array(data["ntk"]), ref.ntk, rtol=1e-14)
    assert {"nngp", "ntk", "ntk_sp_over_width", "x"} <= set(data)


@pytest.mark.parametrize("argv", [
    ["theory", "sine", "--c-w", "nan", "--c-b", "0"],
    ["theory", "sine", "--c-w", "2", "--c-b", "-0.1"],
    ["theory", "sine", "--c-w", "inf", "--c-b", "0"],
    ["theory", "unit-gain", "--c-w", "3"],
    ["theory", "unit-gain", "--c-w", "1.0"],
    ["theory", "depth", "--c-w", "2", "--c-b", "0", "--q1", "1", "--depth", "0"],
    ["theory", "depth", "--c-w", "2", "--c-b", "0", "--q1", "-1", "--depth", "3"],
    ["theory", "kernel", "--depth", "0", "--c-w", "2", "--x", "0"],
    ["theory", "kernel", "--depth", "2", "--c-w", "2", "--x", "nan"],
    ["theory", "sine", "--c-w", "2", "--c-b", "0", "--unknown"],
    ["theory", "nonsense"],
    ["theory"],
])
def test_bad_input_is_one_line_and_exit_2(capsys, argv):
    status, out, err = run(capsys, *argv)
    assert status == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("initaudit: error: ")
    assert "Traceback" not in err
