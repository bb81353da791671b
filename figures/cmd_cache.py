"""Command ``cache``: what the result cache holds, what of it is stale, and sharing results.

::

    initaudit cache [prune] [--json]
    initaudit cache export ARCHIVE [--all] [--json]
    initaudit cache import ARCHIVE [--json]

A result is keyed on its config, the code that computes it (its module and every package module
that module imports) and the versions of torch, numpy and scipy (:mod:`analysis.cache`), so a
result of older code is never read again. This command reads only the files' headers and reports,
per config class, how many results are ``current`` (made by the code installed now), ``stale``
(made by other code, libraries or package version), ``corrupt`` (no valid header) or ``partial``
(a temporary or lock file an interrupted run left). ``prune`` (or ``--prune``) deletes all but
the current ones.

``export ARCHIVE`` writes the current results (``--all``: the stale ones too) into one ZIP file;
``import ARCHIVE`` reads such a file into the cache, checking every result (its header, checksum
and whole payload, which is data and never code: :mod:`initaudit.analysis.resultcodec`) before
writing it. A result of other code or libraries is imported but stays stale, never read.
"""

from __future__ import annotations

import argparse

from initaudit.analysis import cache
from initaudit.figures.cli import emit


def register(subparsers) -> None:
    """Add the ``cache`` subcommand."""
    p = subparsers.add_parser(
        "cache", help="report, prune, export or import the cached results",
        description="Report, per config class, the cached results made by the code installed "
        "now and those made by other code or libraries (stale), corrupt or partial files; "
        "prune deletes all but the current ones; export and import share results as one ZIP "
        "file, every result checked on import.")
    p.add_argument("action", nargs="?", default="report",
                   choices=("report", "prune", "export", "import"),
                   help="report (default); prune: delete stale, corrupt and partial files; "
                   "export ARCHIVE: write the results into one ZIP file; import ARCHIVE: read "
                   "one, checking every result first")
    p.add_argument("archive", nargs="?", metavar="ARCHIVE",
                   help="the ZIP file of export and import")
    p.add_argument("--prune", action="store_true",
                   help="delete stale, corrupt and partial files (as the action prune)")
    p.add_argument("--all", action="store_true",
                   help="export: the stale results too, not only the current ones")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=run_command)


def _counts(rows: list[dict]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for r in rows:
        out.setdefault(r["class"], dict.fromkeys(cache.SCAN_STATUSES, 0))[r["status"]] += 1
    return dict(sorted(out.items()))


def _check_args(args: argparse.Namespace) -> None:
    if args.action in ("export", "import") and not args.archive:
        raise ValueError(f"cache {args.action} needs the ARCHIVE to "
                         f"{'write' if args.action == 'export' else 'read'}")
    if args.action in ("report", "prune") and args.archive:
        raise ValueError(f"cache {args.action} takes no ARCHIVE (got {args.archive!r}); "
                         "ARCHIVE is for export and import")
    if args.all and args.action != "export":
        raise ValueError("--all applies to cache export only")
    if args.prune and args.action not in ("report", "prune"):
        raise ValueError(f"--prune does not go with cache {args.action}")


def _export(args: argparse.Namespace) -> int:
    directory = cache.cache_dir()
    names = cache.export_results(args.archive, directory, only_current=not args.all)
    result = {"cache_dir": str(directory), "archive": args.archive, "exported": len(names)}
    emit(result, args.json,
         lambda _: f"exported {len(names)} results from {directory} to {args.archive}")
    return 0


def _import(args: argparse.Namespace) -> int:
    directory = cache.cache_dir()
    cache.check_cache_dir(directory)
    try:
        res = cache.import_results(args.archive, directory)
    except cache.CorruptCacheError as exc:
        raise ValueError(str(exc)) from None
    current = sum(cache.file_status(directory / n)[0] == "current" for n in res["imported"])
    result = {"cache_dir": str(directory), "archive": args.archive,
              "imported": len(res["imported"]), "current": current,
              "present": len(res["present"]),
              "refused": [{"member": n, "reason": r} for n, r in res["refused"]]}

    def text(_: object) -> str:
        lines = [f"imported {len(res['imported'])} results into {directory} ({current} made by "
                 f"the code installed here; the others stay stale, never read), "
                 f"{len(res['present'])} already present, {len(res['refused'])} refused"]
        lines += [f"  refused {n}: {r}" for n, r in res["refused"]]
        return "\n".join(lines)

    emit(result, args.json, text)
    return 2 if res["refused"] else 0


def run_command(args: argparse.Namespace) -> int:
    """Handler of ``initaudit cache``."""
    _check_args(args)
    if args.action == "export":
        return _export(args)
    if args.action == "import":
        return _import(args)
    args.prune = args.prune or args.action == "prune"
    directory = cache.cache_dir()
    if directory.exists() and not directory.is_dir():
        raise ValueError(f"the cache directory {directory} is not a directory; set "
                         f"${cache.ENV_CACHE_DIR} to a directory")
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
            lines.append("run `initaudit cache prune` to delete all but the current results")
        return "\n".join(lines)

    emit(result, args.json, text)
    return 0
