"""The ``initaudit`` command.

Subcommands live in their own modules, listed in :data:`COMMAND_MODULES`; each has
``register(subparsers)`` which adds its parser(s) and sets ``func=handler`` with
``handler(args) -> int``. A listed module that does not exist is skipped, so commands can be
added without editing this file.

Error policy. Bad input (unknown subcommand or option, NaN, a negative variance, depth 0, a
value outside its domain) prints exactly one line, ``initaudit: error: <message>``, on stderr
and exits with status 2: never a traceback, never argparse's usage dump. Parsers use
:class:`ArgumentParser`, whose ``error`` raises instead of printing usage; handlers signal bad
input by raising ValueError or TypeError. A missing LaTeX installation or a failed paper build
exits with status 1; a missing data file or executor package
(:class:`analysis.datasets.DataUnavailable`) with status 3. Set ``INITAUDIT_DEBUG=1`` to get the
traceback of a ValueError/TypeError from a handler instead.

Use the ``type=`` helpers (:func:`finite_float`, :func:`nonneg_float`, :func:`positive_float`,
:func:`positive_int`) for numeric options and :func:`emit` for ``--json`` output.
"""

from __future__ import annotations

import argparse
import dataclasses
import enum
import errno
import importlib
import json
import math
import os
import pathlib
import re
import sys
import warnings
from typing import Any, Callable, Iterator, Sequence

PROG = "initaudit"

#: Modules contributing subcommands, in the order they appear in ``--help``.
COMMAND_MODULES = [
    "initaudit.figures.cmd_theory",
    "initaudit.figures.cmd_init",
    "initaudit.figures.cmd_propagate",
    "initaudit.figures.cmd_spectrum",
    "initaudit.figures.cmd_ntk",
    "initaudit.figures.cmd_pipeline",
    "initaudit.figures.cmd_experiment",
    "initaudit.figures.cmd_claims",
    "initaudit.figures.cmd_budget",
    "initaudit.figures.cmd_cache",
]


class UsageError(Exception):
    """Bad command-line input; :func:`main` prints it as one line and exits 2."""


#: Every float form a value may take, negative ones included (``-1e300``, ``-.5``, ``-inf``):
#: argparse's own pattern knows only ``-1`` and ``-1.5``, and reads the others as options.
_NEGATIVE_NUMBER = re.compile(r"^-(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$|^-(inf|infinity|nan)$",
                              re.IGNORECASE)


class ArgumentParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line, not a usage dump and SystemExit, and which
    reads every negative float form as a value."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = _NEGATIVE_NUMBER

    def error(self, message: str):  # noqa: D102 - argparse's hook
        raise UsageError(message)


# --------------------------------------------------------------------------------------------
# type= helpers: each raises ArgumentTypeError, which argparse turns into
# "argument --x: <message>" and passes to ArgumentParser.error.


def finite_float(text: str) -> float:
    """A finite real number (rejects nan, inf and non-numbers)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def nonneg_float(text: str) -> float:
    """A finite number >= 0 (variances, standard deviations, scales)."""
    value = finite_float(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a finite number >= 0, got {text!r}")
    return value


def positive_float(text: str) -> float:
    """A finite number > 0."""
    value = finite_float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a finite number > 0, got {text!r}")
    return value


def positive_int(text: str) -> int:
    """An integer >= 1 (depths, widths, seeds counts)."""
    try:
        value = int(text, 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return value


def add_network_arguments(parser: argparse.ArgumentParser, required: bool = True) -> None:
    """Add ``--init NAME --depth L --width N``, the network every measuring command builds."""
    parser.add_argument("--init", required=True, metavar="NAME",
                        help="initializer for fully connected layers (see `initaudit init list`)")
    parser.add_argument("--depth", required=required, type=positive_int, metavar="L",
                        help="number of activated layers")
    parser.add_argument("--width", required=required, type=positive_int, metavar="N",
                        help="hidden width")


# --------------------------------------------------------------------------------------------
# Output


def to_jsonable(obj: Any) -> Any:
    """Convert ``obj`` into data :func:`json.dumps` accepts with ``allow_nan=False``.

    Conventions (JSON has no nan or infinity): nan becomes ``null``; +inf and -inf become the
    strings ``"inf"`` and ``"-inf"``, so that an infinite depth scale stays distinguishable from
    a missing value. numpy scalars and arrays become numbers and (nested) lists; dataclasses,
    mappings and DataFrames (``to_dict(orient="records")``) become objects or lists; paths and
    enums become strings; tuples and sets become lists.
    """
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, enum.Enum):
        return to_jsonable(obj.value)
    if isinstance(obj, int):
        return int(obj)
    if isinstance(obj, float):
        if math.isnan(obj):
            return None
        if math.isinf(obj):
            return "inf" if obj > 0 else "-inf"
        return obj
    if isinstance(obj, pathlib.PurePath):
        return str(obj)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, (set, frozenset)):
        return sorted((to_jsonable(v) for v in obj), key=repr)
    # Duck-typed, so this module needs neither numpy nor pandas.
    if hasattr(obj, "to_dict") and hasattr(obj, "columns"):  # DataFrame
        return to_jsonable(obj.to_dict(orient="records"))
    if hasattr(obj, "tolist"):  # numpy arrays and scalars, torch tensors
        return to_jsonable(obj.tolist())
    if hasattr(obj, "item"):
        return to_jsonable(obj.item())
    raise TypeError(f"cannot write a {type(obj).__qualname__} as JSON")


class NonFiniteResult(ValueError):
    """A computed result holds NaN or an infinity where the command promises a number: the
    inputs are outside the regime float64 can compute (bad input, exit 2)."""


#: What a computational command says when its result is not finite and it gives no reason of
#: its own.
FLOAT64_REGIME = ("an input's magnitude is beyond what float64 carries through this "
                  "computation (its squares and products pass about 1e308), or the request is "
                  "too small for a statistic it reports; use smaller values, or more "
                  "replicates")


def _non_finite(obj: Any, path: str, allow: frozenset) -> Iterator[tuple[str, Any, int]]:
    """Yield ``(path, value, count)`` for the non-finite numbers of ``obj``, outside the keys in
    ``allow`` (``count`` > 1 for an array, at its first such entry)."""
    if obj is None or isinstance(obj, (bool, str, int, enum.Enum, pathlib.PurePath)):
        return
    if isinstance(obj, float):
        if not math.isfinite(obj):
            yield path, obj, 1
        return
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        obj = {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        for key, value in obj.items():
            if str(key) not in allow:
                yield from _non_finite(value, f"{path}.{key}" if path else str(key), allow)
        return
    if hasattr(obj, "to_dict") and hasattr(obj, "columns"):  # DataFrame: by column
        for column in obj.columns:
            if str(column) not in allow:
                yield from _non_finite(obj[column].to_numpy(), f"{path}[{column}]", allow)
        return
    if hasattr(obj, "dtype") and hasattr(obj, "shape"):  # numpy array or scalar, tensor
        import numpy as np

        arr = np.asarray(obj)
        if arr.dtype.kind in "fc":
            bad = ~np.isfinite(arr)
            if bad.any():
                first = np.argwhere(bad)[0]
                index = "".join(f"[{i}]" for i in first)
                yield f"{path}{index}", arr[tuple(first)].item(), int(bad.sum())
        return
    if isinstance(obj, (list, tuple)):
        for i, value in enumerate(obj):
            yield from _non_finite(value, f"{path}[{i}]", allow)


def check_finite(obj: Any, *, allow: Sequence[str] = (), regime: str = FLOAT64_REGIME) -> None:
    """Raise :class:`NonFiniteResult` if ``obj`` holds NaN or an infinity.

    Args:
        obj: a command's result (mappings, lists, dataclasses, arrays, DataFrames).
        allow: keys (or DataFrame columns) whose values may be infinite or NaN by definition,
            e.g. a depth scale, infinite where a slope is 1.
        regime: why the inputs give no finite result, and what is valid instead.
    """
    found = list(_non_finite(obj, "", frozenset(allow)))
    if found:
        path, value, _ = found[0]
        total = sum(count for _, _, count in found)
        raise NonFiniteResult(f"the result is not finite at these inputs ({path} = {value}; "
                              f"{total} value{'s' if total > 1 else ''} in all): {regime}")


def emit(obj: Any, as_json: bool, text_formatter: Callable[[Any], str] = str, *,
         finite: bool = False, allow: Sequence[str] = (), regime: str = FLOAT64_REGIME) -> None:
    """Print a command's result on stdout.

    Args:
        obj: the result.
        as_json: print JSON (sorted keys, two-space indent; see :func:`to_jsonable` for nan and
            inf) instead of text.
        text_formatter: ``text_formatter(obj) -> str`` for the human-readable form.
        finite: the command computes numbers: a NaN or an infinity outside the keys in ``allow``
            raises :class:`NonFiniteResult` (with ``regime`` as the reason) and nothing is
            printed. Never a NaN with exit status 0.
        allow, regime: see :func:`check_finite`.
    """
    if finite:
        check_finite(obj, allow=allow, regime=regime)
    if as_json:
        print(json.dumps(to_jsonable(obj), sort_keys=True, indent=2, allow_nan=False))
    else:
        print(text_formatter(obj))


# --------------------------------------------------------------------------------------------
# Parser and entry point


def _version() -> str:
    from initaudit.analysis.cache import package_version

    return package_version()


def build_parser() -> ArgumentParser:
    """The top-level parser with every available command module registered."""
    parser = ArgumentParser(
        prog=PROG,
        description="Audit claims about sinusoidal and harmonic weight initialisation: "
        "mean-field theory, Monte-Carlo checks, figures and the paper.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    # parser_class is inherited, so every subcommand's errors are one line too.
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # the command module itself is not written (yet): skip it
                continue
            raise  # a missing dependency inside it is a real error
        module.register(subparsers)
    return parser


def _fail(message: Any, status: int) -> int:
    text = " ".join(str(message).split()) or type(message).__name__
    print(f"{PROG}: error: {text}", file=sys.stderr)
    return status


#: Commands that use the result cache, and whether they write to it: the cache directory is
#: checked before they start (:func:`initaudit.analysis.cache.check_cache_dir`).
CACHE_COMMANDS = {"experiment": True, "figures": True, "paper": True, "reproduce": True,
                  "claims": False, "budget": True}


#: Commands that compute numbers from their options (their output is checked to be finite).
COMPUTING_COMMANDS = frozenset({"theory", "init", "weights", "propagate", "spectrum", "ntk"})
#: numpy's floating-point warnings.
_NUMPY_FP = r"(overflow|invalid value|divide by zero|underflow) encountered"


#: Failures of a path the user named (exit 2); other OSErrors (a full disk, an I/O error) are
#: the machine's, and exit 1.
_PATH_ERRNOS = frozenset({errno.ENOENT, errno.EACCES, errno.EPERM, errno.EISDIR, errno.ENOTDIR,
                          errno.EROFS, errno.EEXIST, errno.ENAMETOOLONG})


def _internal(exc: BaseException) -> int:
    return _fail(f"internal error: {type(exc).__name__}: {exc} (set INITAUDIT_DEBUG=1 for "
                 "the traceback)", 1)


def _progress_bar(total: int, what: str):
    """A bar on stderr for a long loop of a computing command; it appears only once the loop
    has run two seconds, and is cleared at its end."""
    from tqdm import tqdm

    return tqdm(total=total, desc=what, file=sys.stderr, delay=2.0, leave=False,
                dynamic_ncols=True, mininterval=0.5)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``initaudit`` command.

    Args:
        argv: arguments without the program name; ``sys.argv[1:]`` when None.

    Returns:
        The exit status: 0 success, 1 paper/LaTeX failure, 2 bad input, 3 missing data or
        executor package, 130 interrupted.
    """
    from initaudit.analysis.datasets import DataUnavailable
    from initaudit.analysis.experiment import ExecutorUnavailable
    from initaudit.figures.paper import LatexBuildError, PaperError

    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except UsageError as exc:
        return _fail(exc, 2)
    except SystemExit as exc:  # --help and --version exit through argparse
        return exc.code if isinstance(exc.code, int) else 0

    from initaudit.analysis.cache import CacheDirError, check_cache_dir
    from initaudit.analysis.experiment import ExperimentModuleError
    from initaudit.theory import progress

    try:
        if args.command in CACHE_COMMANDS:
            # At once, not after the computation: a cache that cannot hold results is bad input.
            check_cache_dir(write=CACHE_COMMANDS[args.command])
        with warnings.catch_warnings():
            if args.command in COMPUTING_COMMANDS and not os.environ.get("INITAUDIT_DEBUG"):
                # Their results are checked (emit(finite=True)): an overflow on the way is
                # reported once, as the result's fault, not as numpy's warnings.
                warnings.filterwarnings("ignore", category=RuntimeWarning, message=_NUMPY_FP)
            with progress.listening(_progress_bar if args.command in COMPUTING_COMMANDS
                                    else None):
                status = args.func(args)
    except (CacheDirError, ExperimentModuleError) as exc:
        return _fail(exc, 2)
    except OSError as exc:
        if os.environ.get("INITAUDIT_DEBUG"):
            raise
        if isinstance(exc, ValueError):  # io.UnsupportedOperation: a misuse, as before
            return _fail(exc, 2)
        if not exc.filename or exc.errno not in _PATH_ERRNOS:
            return _internal(exc)
        # A path the user gave that cannot be read or written (a missing folder, /proc, a
        # directory in place of a file): bad input.
        where = f"{exc.filename}" + (f" -> {exc.filename2}" if exc.filename2 else "")
        return _fail(f"{exc.strerror or type(exc).__name__}: {where}", 2)
    except MemoryError as exc:
        if os.environ.get("INITAUDIT_DEBUG"):
            raise
        return _fail(f"not enough memory for this request ({exc or 'MemoryError'}); ask for "
                     "less (smaller sizes, fewer points or replicates)", 2)
    except (OverflowError, FloatingPointError) as exc:
        if os.environ.get("INITAUDIT_DEBUG"):
            raise
        return _fail(f"arithmetic overflow ({exc}): {FLOAT64_REGIME}", 2)
    except (ValueError, TypeError) as exc:
        if os.environ.get("INITAUDIT_DEBUG"):
            raise
        return _fail(exc, 2)
    except LatexBuildError as exc:
        # The log tail is the useful part here, so this one error keeps its lines.
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 1
    except PaperError as exc:
        return _fail(exc, 1)
    except (DataUnavailable, ExecutorUnavailable) as exc:
        return _fail(exc, 3)
    except KeyboardInterrupt:
        return _fail("interrupted", 130)
    except Exception as exc:  # an internal failure: one line, the traceback on request
        if os.environ.get("INITAUDIT_DEBUG"):
            raise
        return _internal(exc)
    return int(status or 0)


if __name__ == "__main__":
    # Re-import under the package name, so the classes the command modules see are the same.
    from initaudit.figures.cli import main as _main

    sys.exit(_main())
