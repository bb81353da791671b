"""Command ``experiment``: run one training experiment through the cache.

::

    initaudit experiment NAME [--preset smoke|cpu|paper] [--seeds S] [--executor E]
                              [--workers W] [--force] [--json] [experiment options]

Each experiment in :mod:`analysis.experiments` is a sub-command with its own options
(``initaudit experiment harmonic-lm --help``). A rerun computes only the cells that are missing
from the cache.
"""

from __future__ import annotations

import argparse
import json
import os
import re

from initaudit.analysis import experiment, provenance
from initaudit.analysis.presets import PRESETS, check_budget
from initaudit.figures.cli import emit, positive_int
from initaudit.models.device import DEVICES, ENV_DEVICE, device_name


def _format(run: experiment.ExperimentRun, module) -> str:
    head = (f"{run.name} at preset {run.preset!r}: {len(run.configs)} runs, {run.computed} "
            f"computed, {run.cached} cached, {run.seconds:.1f} s")
    for s in run.skipped:
        head += f"\nsetting {s.setting} not run: {s.describe()}"
    formatter = getattr(module, "format_summary", None)
    if formatter is not None:
        return head + "\n" + formatter(run.summary)
    body = json.dumps(run.to_dict()["summary"], indent=2, sort_keys=True, default=str)
    return head + "\n" + body


def register(subparsers) -> None:
    """Add ``experiment`` with one sub-command per experiment module."""
    p = subparsers.add_parser(
        "experiment", help="run a training experiment (cached, resumable)",
        description="Run every seed and setting of one experiment through the result cache "
        "and print its summary.")
    try:
        modules = experiment.available()
    except experiment.ExperimentModuleError as exc:
        # A broken extra module matters only to this command: the others still start.
        p.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
        p.set_defaults(func=_broken(exc))
        return
    sub = p.add_subparsers(dest="experiment", metavar="NAME", required=True,
                           parser_class=type(p))
    for name, module in modules.items():
        # argparse %-formats help strings, not descriptions: a literal percent sign ("95%")
        # is doubled in the one and kept in the other
        q = sub.add_parser(name, help=module.DESCRIPTION.replace("%", "%%"),
                           description=module.DESCRIPTION)
        q.add_argument("--preset", choices=PRESETS, default="cpu",
                       help="size: smoke (seconds), cpu (default), paper (published scale)")
        q.add_argument("--seeds", type=positive_int, default=None,
                       help="number of seeds (default: the preset's)")
        q.add_argument("--executor", choices=experiment.EXECUTORS, default=None,
                       help="where the runs execute (default local, or $INITAUDIT_EXECUTOR)")
        q.add_argument("--workers", type=positive_int, default=None,
                       help="parallel workers for process/submitit/ray (default: all CPUs)")
        q.add_argument("--threads", type=positive_int, default=None, metavar="N",
                       help="torch/BLAS threads of every run, overriding the experiment's own "
                       "(cached apart; $INITAUDIT_THREADS)")
        q.add_argument("--device", choices=DEVICES, default=None,
                       help="where the runs compute: auto (a GPU when torch sees one, else "
                       "the CPU), cpu or cuda; results off the CPU are cached apart "
                       f"(default ${ENV_DEVICE} or auto)")
        q.add_argument("--force", action="store_true", help="recompute every run")
        q.add_argument("--json", action="store_true", help="print the result as JSON")
        if getattr(module, "BUDGET", None):
            q.add_argument("--budget", type=_budget, default=None, metavar="K",
                           help=f"multiply the preset's training {module.BUDGET} by K (the "
                           "budget sensitivity of the ledger's claims; default: the preset's)")
        adder = getattr(module, "add_arguments", None)
        if adder is not None:
            adder(q)
        q.set_defaults(func=run_command, _module=module)


def _budget(text: str) -> float:
    try:
        return check_budget(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _broken(exc: Exception):
    def handler(args: argparse.Namespace) -> int:
        raise exc
    return handler


_COMMON = {"func", "_module", "command", "experiment", "preset", "seeds", "executor", "workers",
           "threads", "device", "force", "json"}


def run_command(args: argparse.Namespace) -> int:
    """Handler of ``initaudit experiment NAME``."""
    module = args._module
    if args.threads:
        os.environ[provenance.ENV_THREADS] = str(args.threads)
    if args.device:
        os.environ[ENV_DEVICE] = args.device
    device_name()  # an unusable device (cuda without a GPU) fails here, before any run
    options = {k: v for k, v in vars(args).items() if k not in _COMMON}
    run = experiment.run_experiment(module.NAME, args.preset, args.seeds,
                                    executor=args.executor, workers=args.workers,
                                    force=args.force, **options)
    emit(run.to_dict(), args.json, lambda _: undefined_as_na(_format(run, module)))
    return 0


#: A number formatted from NaN (``nan``, ``+nan``, ``-nan``), as a whole word.
_NAN_WORD = re.compile(r"(?<![\w.])[+-]?nan(?![\w.])", re.IGNORECASE)


def undefined_as_na(text: str) -> str:
    """An experiment's text with every NaN (a statistic its design leaves undefined, such as
    the interval of a single replicate) printed as ``n/a``; its JSON has ``null`` there."""
    return _NAN_WORD.sub(lambda m: "n/a".rjust(len(m.group(0))), text)
