"""Command ``budget``: the training claims at the preset's budget and at a longer one.

::

    initaudit budget [--preset P] [--factor K] [--run] [--out FILE] [--json]
                     [--executor E] [--workers W] [--data-dir DIR] [--threads N] [--device D]

Without ``--run`` nothing is computed: each training claim of the ledger is decided from the
cached runs at the preset and from the cached runs at ``K`` times its training steps or epochs
(default 3), and the command says whether the effect grows, shrinks or flips and whether the
verdict depends on the budget (:mod:`analysis.sensitivity`); a claim whose long runs are not
cached reads ``not run`` there. ``--run`` first runs every training experiment at both budgets
through the cache (resumable; runs already cached, such as the main job's at the preset, are
read; timings in docs/ledger.md). ``--out FILE`` also writes the JSON, with the provenance of the long runs,
atomically (the paper reads ``paper/measured/budget_sensitivity_cpu.json``).
"""

from __future__ import annotations

import argparse
import json
import pathlib

from initaudit.analysis import sensitivity
from initaudit.analysis.presets import PRESETS
from initaudit.figures.cli import emit
from initaudit.figures.cmd_experiment import _budget
from initaudit.figures.cmd_pipeline import _add_run_options, _apply_run_options


def register(subparsers) -> None:
    """Add the ``budget`` subcommand."""
    p = subparsers.add_parser(
        "budget", help="the training claims at the preset's budget and at a longer one",
        description="Decide every training claim of the ledger at the preset's training budget "
        "and at K times it, from cached runs (--run computes the longer runs first), and say "
        "whether each effect grows, shrinks or flips.")
    p.add_argument("--preset", choices=PRESETS, default="cpu",
                   help="preset whose runs are compared (default cpu)")
    p.add_argument("--factor", type=_budget, default=sensitivity.LONG_BUDGET, metavar="K",
                   help=f"the longer budget, a multiple of the preset's training steps or "
                   f"epochs (default {sensitivity.LONG_BUDGET:g})")
    p.add_argument("--run", action="store_true",
                   help="run the training experiments at both budgets first (cached)")
    p.add_argument("--out", metavar="FILE", default=None,
                   help="also write the JSON result to FILE (atomically)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    _add_run_options(p)
    p.set_defaults(func=run_command)


def long_provenance(preset: str, factor: float) -> list[dict]:
    """Distinct provenance records of the cached long-budget runs."""
    from initaudit.analysis import experiment, provenance
    from initaudit.analysis.datasets import DataUnavailable

    records = []
    for name in sensitivity.budget_experiments():
        try:
            run = experiment.cached_run(name, preset, budget=factor)
        except DataUnavailable:
            continue
        if run is not None:
            records.extend(run.provenance)
    return provenance.distinct(records)


def run_command(args: argparse.Namespace) -> int:
    """Handler of ``initaudit budget``."""
    from initaudit.analysis.cache import atomic_write_text

    _apply_run_options(args)
    if args.out and not pathlib.Path(args.out).expanduser().resolve().parent.is_dir():
        raise ValueError(f"--out {args.out}: its directory does not exist")
    if args.run:
        sensitivity.run_long(args.preset, args.factor, executor=args.executor,
                             workers=args.workers)
    table = sensitivity.sensitivity(args.preset, args.factor)
    result = {"preset": args.preset, "factor": args.factor,
              "claims": json.loads(table.to_json(orient="records")),
              "provenance": long_provenance(args.preset, args.factor)}
    if args.out:
        atomic_write_text(pathlib.Path(args.out).expanduser(),
                          json.dumps(result, indent=2) + "\n")
    emit(result, args.json, lambda _: sensitivity.format_sensitivity(table))
    return 0
