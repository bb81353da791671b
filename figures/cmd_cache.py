"""Command ``cache``: what the result cache holds, and what of it is stale.

::

    initaudit cache [--prune] [--json]

A result is keyed on its config, the code that computes it (its module and every package module
that module imports) and the versions of torch, numpy and scipy (:mod:`analysis.cache`), so a
result of older code is never read again. This command reads only the files' headers and reports,
per config class, how many results are ``current`` (made by the code installed now), ``stale``
(made by other code, libraries or package version), ``corrupt`` (no valid header) or ``partial``
(a temporary file an interrupted write left). ``--prune`` deletes all but the current ones.
"""

from __future__ import annotations

import argparse

from initaudit.analysis import cache
from initaudit.figures.cli import emit


def register(subparsers) -> None:
    """Add the ``cache`` subcommand."""
    p = subparsers.add_parser(
        "cache", help="report (and prune) stale results in the cache",
        description="Report, per config class, the cached results made by the code installed "
        "now and those made by other code or libraries (stale), corrupt or partial files; "
        "--prune deletes all but the current ones.")
    p.add_argument("--prune", action="store_true",
                   help="delete stale, corrupt and partial files")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=run_command)


def _counts(rows: list[dict]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for r in rows:
        out.setdefault(r["class"], dict.fromkeys(cache.SCAN_STATUSES, 0))[r["status"]] += 1
    return dict(sorted(out.items()))


def run_command(args: argparse.Namespace) -> int:
    """Handler of ``initaudit cache``."""
    directory = cache.cache_dir()
    rows = cache.scan(directory)
    removed = cache.prune(directory) if args.prune else []
    result = {"cache_dir": str(directory), "classes": _counts(rows),
              "totals": {s: sum(r["status"] == s for r in rows) for s in cache.SCAN_STATUSES},
              "bytes": sum(r["bytes"] for r in rows), "pruned": len(removed),
              "pruned_bytes": sum(r["bytes"] for r in removed),
              "stale_reasons": sorted({r["reason"] for r in rows if r["status"] == "stale"})}

    def text(_: object) -> str:
        lines = [f"cache directory: {directory}"]
        if not rows:
            lines.append("  (empty)")
        width = max((len(c) for c in result["classes"]), default=0)
        for name, counts in result["classes"].items():
            lines.append(f"  {name:<{width}}  " + "  ".join(f"{counts[s]:>4} {s}"
                                                            for s in cache.SCAN_STATUSES))
        t = result["totals"]
        lines.append(f"{t['current']} current, {t['stale']} stale, {t['corrupt']} corrupt, "
                     f"{t['partial']} partial; {result['bytes'] / 1e6:.1f} MB")
        for reason in result["stale_reasons"]:
            lines.append(f"  stale: {reason}")
        if args.prune:
            lines.append(f"pruned {len(removed)} files ({result['pruned_bytes'] / 1e6:.1f} MB)")
        elif len(rows) > t["current"]:
            lines.append("run `initaudit cache --prune` to delete all but the current results")
        return "\n".join(lines)

    emit(result, args.json, text)
    return 0
