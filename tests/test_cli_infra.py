"""The command-line plumbing: one-line errors, exit codes, command modules, JSON output."""

from __future__ import annotations

import argparse
import json
import math
import os
import pathlib
import subprocess
import sys
import types

import numpy as np
import pytest

from initaudit.figures import cli


def _one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line on stderr, got:\n{err}"
    assert lines[0].startswith("initaudit: error: ")
    assert "usage:" not in err and "Traceback" not in err
    return lines[0]


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["no-such-command"], "invalid choice"),
        (["figures", "--no-such-option"], "unrecognized arguments"),
        (["--no-such-option"], ""),
        ([], "required"),
        (["figures", "--preset", "huge"], "invalid choice"),
        (["figures", "--preset"], "expected one argument"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(argv, fragment, capsys):
    assert cli.main(argv) == 2
    out, err = capsys.readouterr()
    assert fragment in _one_error_line(err)
    assert out == ""


@pytest.mark.parametrize("argv", [["--help"], ["figures", "--help"], ["reproduce", "-h"]])
def test_help_works(argv, capsys):
    assert cli.main(argv) == 0
    out, _ = capsys.readouterr()
    assert "usage: initaudit" in out


def test_version(capsys):
    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("initaudit ")


def test_unknown_figure_lists_valid_names(capsys):
    assert cli.main(["figures", "--preset", "smoke", "--only", "no_such_figure"]) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert "unknown figure 'no_such_figure'" in line and "valid figures are" in line


# --------------------------------------------------------------------------------------------
# type= helpers


@pytest.mark.parametrize(
    "helper, good, bad",
    [
        (cli.finite_float, [("1.5", 1.5), ("-2", -2.0), ("0", 0.0)], ["nan", "inf", "-inf", "x", ""]),
        (cli.nonneg_float, [("0", 0.0), ("3e-3", 3e-3)], ["-1", "-1e-300", "nan", "inf"]),
        (cli.positive_float, [("1e-9", 1e-9)], ["0", "-1", "nan", "inf"]),
        (cli.positive_int, [("1", 1), ("512", 512)], ["0", "-3", "1.5", "nan", "two", ""]),
    ],
)
def test_type_helpers(helper, good, bad):
    for text, value in good:
        assert helper(text) == value
    for text in bad:
        with pytest.raises(argparse.ArgumentTypeError, match="expected"):
            helper(text)


def _fake_command_module(name: str, handler) -> types.ModuleType:
    module = types.ModuleType(name)

    def register(subparsers):
        p = subparsers.add_parser("fake", help="a test command")
        p.add_argument("--depth", type=cli.positive_int, default=1)
        p.add_argument("--var", type=cli.nonneg_float, default=1.0)
        p.set_defaults(func=handler)

    module.register = register
    return module


@pytest.fixture
def fake_command(monkeypatch):
    """Register a command module 'tests_fake_cmd' whose handler can be swapped."""
    state = {"handler": lambda args: 0}
    module = _fake_command_module("tests_fake_cmd", lambda args: state["handler"](args))
    monkeypatch.setitem(sys.modules, "tests_fake_cmd", module)
    monkeypatch.setattr(cli, "COMMAND_MODULES", [*cli.COMMAND_MODULES, "tests_fake_cmd"])
    return state


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["fake", "--depth", "0"], "argument --depth: expected a whole number >= 1, got '0'"),
        (["fake", "--var", "-1"], "argument --var: expected a finite number >= 0, got '-1'"),
        (["fake", "--var", "nan"], "argument --var: expected a finite number, got 'nan'"),
    ],
)
def test_domain_errors_from_type_helpers(fake_command, argv, fragment, capsys):
    assert cli.main(argv) == 2
    assert fragment in _one_error_line(capsys.readouterr().err)


@pytest.mark.parametrize("exc", [ValueError("q must be > 0"), TypeError("bad kind")])
def test_handler_value_and_type_errors_are_one_line(fake_command, exc, capsys):
    def handler(args):
        raise exc

    fake_command["handler"] = handler
    assert cli.main(["fake"]) == 2
    assert str(exc) in _one_error_line(capsys.readouterr().err)


def test_debug_switch_reraises(fake_command, monkeypatch):
    def handler(args):
        raise ValueError("shown with traceback")

    fake_command["handler"] = handler
    monkeypatch.setenv("INITAUDIT_DEBUG", "1")
    with pytest.raises(ValueError):
        cli.main(["fake"])


def test_an_internal_failure_is_one_line_exit_1(fake_command, monkeypatch, capsys):
    def handler(args):
        raise RuntimeError("something inside broke")

    fake_command["handler"] = handler
    monkeypatch.delenv("INITAUDIT_DEBUG", raising=False)
    assert cli.main(["fake"]) == 1
    line = _one_error_line(capsys.readouterr().err)
    assert "internal error: RuntimeError: something inside broke" in line
    assert "INITAUDIT_DEBUG=1" in line
    monkeypatch.setenv("INITAUDIT_DEBUG", "1")
    with pytest.raises(RuntimeError):
        cli.main(["fake"])


@pytest.mark.parametrize("value, expected", [("-1e300", -1e300), ("-.5", -0.5), ("-2", -2.0),
                                             ("-1.5E-3", -1.5e-3), ("-7.", -7.0)])
def test_every_negative_float_form_is_a_value(fake_command, value, expected):
    seen = {}

    def handler(args):
        seen["x"] = args.x
        return 0

    fake_command["handler"] = handler
    module = sys.modules["tests_fake_cmd"]
    register = module.register

    def register_with_x(subparsers):
        register(subparsers)
        subparsers.choices["fake"].add_argument("--x", type=float, nargs="+")

    module.register = register_with_x
    assert cli.main(["fake", "--x", "0.1", value]) == 0
    assert seen["x"] == [0.1, expected]


def test_a_bad_extra_experiment_module_breaks_only_the_commands_that_use_it(monkeypatch, capsys):
    monkeypatch.setenv("INITAUDIT_EXPERIMENT_MODULES", "no_such_module_xyz")
    assert cli.main(["theory", "sine", "--c-w", "2", "--c-b", "0"]) == 0
    capsys.readouterr()
    assert cli.main(["experiment", "mc-variance", "--preset", "smoke"]) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert "INITAUDIT_EXPERIMENT_MODULES" in line and "no_such_module_xyz" in line


def test_handler_status_is_returned(fake_command):
    fake_command["handler"] = lambda args: 3
    assert cli.main(["fake"]) == 3


def test_missing_command_module_is_skipped(monkeypatch):
    monkeypatch.setattr(cli, "COMMAND_MODULES", ["initaudit.figures.cmd_does_not_exist", "initaudit.figures.cmd_pipeline"])
    parser = cli.build_parser()
    assert "figures" in parser.format_help()


def test_broken_command_module_import_propagates(monkeypatch, tmp_path):
    (tmp_path / "tests_broken_cmd.py").write_text("import a_dependency_that_does_not_exist\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(cli, "COMMAND_MODULES", ["tests_broken_cmd"])
    with pytest.raises(ModuleNotFoundError, match="a_dependency_that_does_not_exist"):
        cli.build_parser()


# --------------------------------------------------------------------------------------------
# emit


def test_emit_json_is_sorted_and_valid(capsys):
    obj = {
        "b": np.float64(1.5),
        "a": np.arange(3),
        "nan": math.nan,
        "inf": np.inf,
        "ninf": -math.inf,
        "nested": {"z": (np.int32(2), np.bool_(True))},
    }
    cli.emit(obj, True, str)
    out = capsys.readouterr().out
    data = json.loads(out)  # strict JSON: no NaN/Infinity tokens
    assert "NaN" not in out and "Infinity" not in out
    assert data == {"a": [0, 1, 2], "b": 1.5, "inf": "inf", "nan": None, "ninf": "-inf",
                    "nested": {"z": [2, True]}}
    assert list(data) == sorted(data)


def test_emit_text_uses_formatter(capsys):
    cli.emit({"q": 1.0}, False, lambda o: f"q = {o['q']:.2f}")
    assert capsys.readouterr().out == "q = 1.00\n"


def test_emit_dataframe(capsys):
    import pandas as pd

    cli.emit(pd.DataFrame({"x": [1.0, float("nan")]}), True, str)
    assert json.loads(capsys.readouterr().out) == [{"x": 1.0}, {"x": None}]


# --------------------------------------------------------------------------------------------
# A real process


def test_subprocess_error_has_no_traceback(repo_root):
    env = {**os.environ, "PYTHONPATH": str(repo_root) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.run(
        [sys.executable, "-m", "initaudit.figures.cli", "no-such-command"],
        cwd=repo_root, env=env, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "invalid choice" in _one_error_line(proc.stderr)


def test_subprocess_python_dash_m_figures_help(repo_root):
    env = {**os.environ, "PYTHONPATH": str(repo_root) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.run([sys.executable, "-m", "figures", "--help"], cwd=repo_root, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "usage: initaudit" in proc.stdout


def test_installed_console_script(tmp_path):
    script = pathlib.Path(sys.executable).parent / "initaudit"
    if not script.exists():
        pytest.skip("the initaudit console script is not installed in this environment")
    proc = subprocess.run([str(script), "figures", "--preset", "nope"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "invalid choice: 'nope'" in _one_error_line(proc.stderr)


def _every_command() -> list[list[str]]:
    from initaudit.analysis import experiment

    commands = ["theory", "init", "weights", "propagate", "spectrum", "ntk", "figures", "paper",
                "reproduce", "experiment", "claims", "cache"]
    theory = [["theory", w, "--help"] for w in ("sine", "unit-gain", "depth", "kernel")]
    return ([[c, "--help"] for c in commands] + theory
            + [["experiment", name, "--help"] for name in sorted(experiment.available())])


@pytest.mark.parametrize("argv", _every_command(), ids=lambda a: " ".join(a[:-1]))
def test_every_command_and_experiment_prints_help(argv, capsys):
    """Every help text formats (a literal % in a description once broke argparse)."""
    assert cli.main(argv) == 0
    out, _ = capsys.readouterr()
    assert out.startswith("usage: initaudit " + " ".join(argv[:-1]))
    # plain text, not the docstrings' reStructuredText
    for markup in ("``", ":func:", ":mod:", ":class:", ":data:"):
        assert markup not in out, markup
    assert "%%" not in out  # a doubled percent belongs in help= strings only, not descriptions
