"""Command ``claims``: the claims ledger with verdicts from cached results.

::

    initaudit claims [--preset smoke|cpu|paper] [--json]

Nothing is computed: each verdict is read from the cached data of the figure that tests the
claim. A claim whose figure has not been run at the preset shows as ``not run``; run
``initaudit reproduce --preset P`` (or ``initaudit figures --preset P``) first.
"""

from __future__ import annotations

import argparse

from analysis import claims
from analysis.presets import PRESETS
from figures.cli import emit


def register(subparsers) -> None:
    """Add the ``claims`` subcommand."""
    p = subparsers.add_parser(
        "claims", help="print the claims ledger with verdicts",
        description="Print every audited claim, its pre-registered decision rule, the measured "
        "effect with its 95%% interval and the verdict, from cached results.")
    p.add_argument("--preset", choices=PRESETS, default="cpu",
                   help="preset whose cached results are read (default cpu)")
    p.add_argument("--json", action="store_true", help="print the ledger as JSON records")
    p.set_defaults(func=run_command)


def run_command(args: argparse.Namespace) -> int:
    """Handler of ``initaudit claims``."""
    table = claims.evaluate(args.preset)
    emit(table.to_dict(orient="records"), args.json, lambda _: claims.format_table(table))
    return 0
