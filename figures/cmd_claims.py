"""Command ``claims``: the claims ledger with verdicts from cached results.

::

    initaudit claims [--preset smoke|cpu|paper] [--json] [--against LEDGER.json [--ledger L.json]]

Nothing is computed: each verdict is read from the cached data of the figure that tests the
claim. A claim whose figure has not been run at the preset shows as ``not run``; run
``initaudit reproduce --preset P`` (or ``initaudit figures --preset P``) first. A claim whose
setting could not run (``medical.txt`` not given) is ``not run`` with that reason.

``--json`` prints ``{"preset", "claims": [one record per claim], "provenance": [...]}``, the
provenance being the distinct records (:mod:`analysis.provenance`) of every cached result behind
the evidence. Each claim's record holds its ``verdict`` (the rule's ``outcome`` read at the
claim's ``tier``: :mod:`analysis.claims`), ``tier``, ``scale_ratio`` (ran / published per
dimension), ``ran``, ``published``, ``basis`` and ``differs`` (:mod:`analysis.scale`), the
``rule``, the simultaneous interval ``adj_lo``/``adj_hi``, ``margin``, ``underpowered``,
``detectable`` and the theory's ``prediction`` (NaN where there is none). The text form ends
with the verdict counts by tier. ``--against LEDGER.json`` compares the ledger with a saved one instead (another
machine's, another thread count's): verdict by verdict, and how far each estimate moved in units
of the saved interval's half-width; ``--ledger L.json`` puts a saved ledger in place of the
cached one (two runs compared from their ``generated/claims.json``).
"""

from __future__ import annotations

import argparse

from initaudit.analysis import claims, provenance, sensitivity
from initaudit.analysis.presets import PRESETS
from initaudit.figures.cli import emit


def register(subparsers) -> None:
    """Add the ``claims`` subcommand."""
    p = subparsers.add_parser(
        "claims", help="print the claims ledger with verdicts",
        description="Print every audited claim, its decision rule, the measured effect with its "
        "simultaneous and 95% intervals, the tier and scale it was tested at and the verdict, "
        "from cached results.")
    p.add_argument("--preset", choices=PRESETS, default="cpu",
                   help="preset whose cached results are read (default cpu)")
    p.add_argument("--json", action="store_true", help="print the ledger as JSON records")
    p.add_argument("--against", metavar="LEDGER.json", default=None,
                   help="compare with a saved ledger (generated/claims.json of another run, or "
                   "this command's --json output): verdicts, and each shift of the estimate in "
                   "units of the saved interval's half-width")
    p.add_argument("--ledger", metavar="LEDGER.json", default=None,
                   help="with --against: compare this saved ledger instead of the cached one")
    p.set_defaults(func=run_command)


def run_command(args: argparse.Namespace) -> int:
    """Handler of ``initaudit claims``."""
    if args.ledger and not args.against:
        raise ValueError("--ledger is only used with --against (the ledger to compare with)")
    if args.against:
        if args.ledger:
            table, records = claims.read_ledger(args.ledger), claims.read_ledger_provenance(
                args.ledger)
        else:
            table, records = claims.evaluate(args.preset), claims.ledger_provenance(args.preset)
        comparison = claims.compare(table, claims.read_ledger(args.against))
        emit({"preset": args.preset, "ledger": args.ledger or "cache", "against": args.against,
              "comparison": comparison.to_dict(orient="records"), "provenance": records,
              "against_provenance": claims.read_ledger_provenance(args.against)}, args.json,
             lambda _: claims.format_comparison(comparison))
        return 0
    from initaudit.figures.paper import ledger_with_budget

    table, budget, origin = ledger_with_budget(args.preset)
    records = claims.ledger_provenance(args.preset)
    result = {"preset": args.preset, "claims": table.to_dict(orient="records"),
              "provenance": records, "budget_origin": origin}

    def text(_: object) -> str:
        return (claims.format_table(table) + "\n" + sensitivity.summary_sentence(budget, origin)
                + "\ncomputed with: " + provenance.summary_line(records))

    emit(result, args.json, text)
    return 0
