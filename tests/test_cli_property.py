"""Every command under generated options: the error contract holds for valid and invalid values.

The commands and their options are read from the parser itself (so a new command or option is
covered without editing this file). For each option hypothesis draws a value that is valid and
small (its type's domain, shrunk to sizes that run in well under a second), one from a bag of
bad and extreme values (``nan``, ``inf``, ``-1``, ``0``, ``1e300``, ``1e-300``, ``2.5`` for an
integer, words, ten-digit integers), or leaves an optional one out. The command must

* exit with 0, 2 (bad input) or 3 (a missing optional package or data file), never 1;
* print no traceback, and on failure exactly one line, ``initaudit: error: ...``;
* never print a NaN with exit status 0.

The commands that run the experiments and the paper (``experiment``, ``figures``, ``paper``,
``reproduce``, ``budget``) take minutes per valid call; their bad input is covered in
``tests/test_cli_infra.py`` and ``tests/test_sensitivity.py``, and they are left out here.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from initaudit.figures import cli

#: Commands run only with bad input elsewhere (see the module docstring).
SLOW_COMMANDS = {"experiment", "figures", "paper", "reproduce", "budget"}

BAD_NUMBERS = ["nan", "-nan", "inf", "-inf", "-1", "0", "1e300", "-1e300", "1e-300", "2.5",
               "abc", "", "9999999999", "-0.0", "1e-5"]
#: Sizes valid for their type but a stress for the command: the memory estimates must refuse
#: them, or the command must run them quickly.
HUGE = ["99999999999", "1000000000000"]

_NAN = re.compile(r"(?<![A-Za-z_])nan(?![A-Za-z_])", re.IGNORECASE)


def _commands() -> list[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """``(words, parser)`` of every leaf command."""
    out = []

    def walk(words, parser):
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if not subs:
            out.append((tuple(words), parser))
            return
        for name, sub in subs[0].choices.items():
            walk([*words, name], sub)

    walk([], cli.build_parser())
    return [(w, p) for w, p in out if w[0] not in SLOW_COMMANDS]


COMMANDS = _commands()


def _inits() -> list[str]:
    from initaudit.models import catalogue

    return sorted(info.name for info in catalogue.entries())


def _mlp_inits() -> list[str]:
    from initaudit.analysis.propagate import mc_inits

    return sorted(mc_inits())


#: Options whose valid domain is narrower than their type's (so that valid draws run).
DOMAINS = {
    "c_w": st.floats(1.74, 2.44).map(lambda v: f"{v:.6g}"),  # the unit-gain range
    "c_b": st.floats(0.0, 1.5).map(lambda v: f"{v:.6g}"),
}


def _valid(action: argparse.Action, tmp: str) -> st.SearchStrategy[str]:
    """Small valid values of one option, as text."""
    if action.choices is not None:
        return st.sampled_from([str(c) for c in action.choices])
    kind = action.type
    name = action.dest
    if name in DOMAINS:
        return DOMAINS[name]
    if kind is cli.positive_int:
        return st.integers(1, 4 if name in ("depth", "order", "seeds", "d_in") else 16).map(str)
    if kind is cli.positive_float:
        return st.floats(0.05, 40.0).map(lambda v: f"{v:.6g}")
    if kind is cli.nonneg_float:
        return st.floats(0.0, 3.0).map(lambda v: f"{v:.6g}")
    if kind is cli.finite_float:
        return st.floats(-2.5, 2.5).map(lambda v: f"{v:.6g}")
    if kind is int:
        return st.integers(0, 5).map(str)
    if name == "init":  # mostly the fully connected ones, which every network command takes
        return st.one_of(st.sampled_from(_mlp_inits()), st.sampled_from(_inits()))
    # paths and free words: a file that exists, one that does not, one in a missing folder
    return st.sampled_from([f"{tmp}/out.zip", f"{tmp}/missing/ledger.json", "/proc/self/status",
                            "word"])


def _bad(action: argparse.Action) -> st.SearchStrategy[str]:
    return st.sampled_from(BAD_NUMBERS + (HUGE if action.type is cli.positive_int else []))


@st.composite
def _argv(draw, words, parser, tmp):
    argv = list(words)
    clean = draw(st.booleans())  # half the draws hold valid values only
    for action in parser._actions:
        if isinstance(action, (argparse._HelpAction, argparse._VersionAction)):
            continue
        if isinstance(action, (argparse._StoreTrueAction, argparse._StoreFalseAction)):
            if draw(st.booleans()):
                argv.append(action.option_strings[0])
            continue
        positional = not action.option_strings
        optional = not action.required and not positional or action.nargs == "?"
        if optional and draw(st.booleans()):
            continue
        many = action.nargs in ("+", "*")
        count = draw(st.integers(1, 3)) if many else 1
        values = [draw(_bad(action) if not clean and draw(st.integers(0, 3)) == 0
                       else _valid(action, tmp))
                  for _ in range(count)]
        argv += values if positional else [action.option_strings[0], *values]
    return clean, argv


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli-property")
    (root / "out.zip").write_bytes(b"not an archive")
    return root


def _run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = cli.main(argv)
    return status, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("words, parser", COMMANDS, ids=[" ".join(w) for w, _ in COMMANDS])
def test_every_command_keeps_the_error_contract(words, parser, scratch, monkeypatch):
    monkeypatch.chdir(scratch)  # a relative path drawn (an archive named "nan") lands here
    monkeypatch.setenv("INITAUDIT_CACHE", str(scratch / "cache"))
    monkeypatch.delenv("INITAUDIT_DEBUG", raising=False)
    monkeypatch.delenv("INITAUDIT_MEMORY_LIMIT", raising=False)

    @settings(max_examples=40, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(drawn=_argv(words, parser, str(scratch)))
    def check(drawn):
        clean, argv = drawn
        status, out, err = _run(argv)
        shown = f"initaudit {' '.join(argv)} -> {status}\nstdout: {out[:400]}\nstderr: {err[:800]}"
        assert status in (0, 2, 3), shown
        assert "Traceback" not in err, shown
        if status == 0:
            # (a path the user named "nan" may be echoed; numeric options refuse "nan")
            words = set(argv)
            assert not any(m.group(0) not in words for m in _NAN.finditer(out)), shown
        else:
            if clean:  # small valid values: never refused as non-finite or too large
                assert "is not finite" not in err and "of memory, more than" not in err, shown
            lines = [line for line in err.splitlines() if line.strip()]
            assert lines and lines[-1].startswith("initaudit: error: "), shown
            assert sum(line.startswith("initaudit: error: ") for line in lines) == 1, shown

    check()


def test_the_generated_commands_cover_the_parser():
    """The walk finds every computing command and the theory subcommands (guards the walk)."""
    names = {" ".join(w) for w, _ in COMMANDS}
    expected = {"theory sine", "theory unit-gain", "theory depth", "theory kernel",
                "theory spectrum", "theory finite-width", "theory jacobian", "init list",
                "weights", "propagate", "spectrum", "ntk", "claims", "cache"}
    assert expected <= names, expected - names
