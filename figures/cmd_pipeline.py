"""Commands ``figures``, ``paper`` and ``reproduce``.

::

    initaudit figures   [--preset smoke|cpu|paper] [--only NAME ...] [--force] [--json]
    initaudit paper     [--preset ...]
    initaudit reproduce [--preset ...] [--force] [--json] [--executor local|process|submitit|ray]
                        [--workers W] [--data-dir DIR] [--threads N] [--device D]

``figures`` computes (through the cache) and draws the figures. ``paper`` writes the generated
LaTeX, runs the figures whose PDF is missing or was made at another preset, and builds
``paper/build/main.pdf``. ``reproduce`` does both for every figure and prints what was computed,
what came from the cache, and how long each step took, then the claims ledger.

Interrupting ``reproduce`` (Ctrl-C, or ``kill -9``) loses at most the cells that were running:
every finished cell and figure is in the cache, written atomically, and the rerun starts from
there. ``--executor`` runs the experiments' cells on a process pool, Slurm (submitit) or Ray;
``--data-dir`` names the directory of user-supplied data files (``medical.txt``, WAV files,
Fashion-MNIST), exported to the figure modules as ``$INITAUDIT_DATA_DIR``; ``--threads N``
runs every computation with N torch/BLAS threads (``$INITAUDIT_THREADS``; see
:mod:`analysis.provenance`).
"""

from __future__ import annotations

import argparse
import os
import pathlib
import sys
import time

from initaudit.analysis import cache, claims, experiment, provenance, sensitivity
from initaudit.analysis.datasets import ENV_DATA_DIR
from initaudit.analysis.presets import PRESETS
from initaudit.figures import paper, pipeline
from initaudit.figures.cli import emit, positive_int
from initaudit.models.device import DEVICES, ENV_DEVICE, device_name


def _add_preset(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--preset", choices=PRESETS, default="cpu",
        help="experiment size: smoke (seconds), cpu (default, the main job), paper (GPU scale)",
    )


def register(subparsers) -> None:
    """Add the ``figures``, ``paper`` and ``reproduce`` subcommands."""
    p = subparsers.add_parser("figures", help="compute and draw the figures",
                              description="Compute (through the result cache) and draw figures "
                              "into paper/generated/figures/.")
    _add_preset(p)
    p.add_argument("--only", action="append", metavar="NAME",
                   help="run only this figure (repeatable); default all")
    p.add_argument("--force", action="store_true",
                   help="recompute every result the figures use, cells included, even if cached")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    _add_run_options(p)
    p.set_defaults(func=run_figures_command)

    p = subparsers.add_parser("paper", help="build the paper PDF",
                              description="Write the generated LaTeX, make any missing figure "
                              "and build paper/build/main.pdf with latexmk.")
    _add_preset(p)
    p.add_argument("--json", action="store_true",
                   help="print JSON: the PDF, the figures remade and the generated files")
    _add_run_options(p)
    p.set_defaults(func=run_paper_command)

    p = subparsers.add_parser("reproduce", help="every figure, then the paper",
                              description="Run every figure and build the paper, then print "
                              "what was computed and what was cached.")
    _add_preset(p)
    p.add_argument("--force", action="store_true",
                   help="recompute every figure and every result it uses, cells included")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    _add_run_options(p)
    p.set_defaults(func=run_reproduce_command)


def _add_run_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--executor", choices=experiment.EXECUTORS, default=None,
                        help="where experiment runs execute (default local)")
    parser.add_argument("--workers", type=positive_int, default=None,
                        help="parallel workers for process/submitit/ray (default: all CPUs)")
    parser.add_argument("--data-dir", default=None, metavar="DIR",
                        help="directory of user data files (medical.txt, WAV, Fashion-MNIST); "
                        f"default ${ENV_DATA_DIR}")
    parser.add_argument("--threads", type=positive_int, default=None, metavar="N",
                        help="torch/BLAS threads of every computation, overriding each "
                        "experiment's own (1 for the small training runs); results made with "
                        f"it are cached apart (default ${provenance.ENV_THREADS} or unset)")
    parser.add_argument("--device", choices=DEVICES, default=None,
                        help="where every computation runs: auto (a GPU when torch sees one, "
                        "else the CPU), cpu or cuda; results off the CPU are cached apart "
                        f"(default ${ENV_DEVICE} or auto)")


def _apply_run_options(args: argparse.Namespace) -> None:
    """Export executor, workers and data directory for the figure modules' experiments."""
    if getattr(args, "executor", None):
        os.environ[experiment.ENV_EXECUTOR] = args.executor
    if getattr(args, "workers", None):
        os.environ[experiment.ENV_WORKERS] = str(args.workers)
    data_dir = getattr(args, "data_dir", None)
    if data_dir:
        path = pathlib.Path(data_dir).expanduser()
        if not path.is_dir():
            raise ValueError(f"--data-dir {data_dir}: not a directory")
        os.environ[ENV_DATA_DIR] = str(path.resolve())
    device = getattr(args, "device", None)
    if device:
        os.environ[ENV_DEVICE] = device
    device_name()  # an unusable device (cuda without a GPU) fails here, before any run
    threads = getattr(args, "threads", None)
    if threads:
        os.environ[provenance.ENV_THREADS] = str(threads)
    threads = provenance.thread_override()  # also checks a value set outside
    if threads is not None:
        import torch

        torch.set_num_threads(threads)  # the figures that compute in this process


def _apply_force(args: argparse.Namespace) -> None:
    """``--force`` reaches every cached result the figures read (once each), not only the
    figure jobs: the experiment cells and Monte-Carlo ensembles inside them."""
    if getattr(args, "force", False):
        os.environ[cache.ENV_FORCE] = "1"


def run_figures_command(args: argparse.Namespace) -> int:
    """Handler of ``initaudit figures``."""
    _apply_run_options(args)
    _apply_force(args)
    summary = pipeline.run_figures(args.preset, only=args.only, force=args.force)
    emit(summary.to_dict(), args.json, lambda _: summary.format())
    return 0


def run_paper_command(args: argparse.Namespace) -> int:
    """Handler of ``initaudit paper``: missing figures, generated files, PDF."""
    # Fail before any work when LaTeX is missing: nothing here is useful without it.
    paper.require_latex()
    _apply_run_options(args)
    stale = paper.stale_figures(args.preset)
    remade = pipeline.run_figures(args.preset, only=stale) if stale else None
    if remade is not None and not args.json:
        print(remade.format(), flush=True)
    # After the figures, so that the ledger and the macros index see what they just made.
    written = paper.write_generated(args.preset)
    pdf = paper.build_pdf()
    result = {"preset": args.preset, "pdf": str(pdf), "figures_remade": list(stale),
              "figures": remade.to_dict() if remade is not None else None,
              "generated": [str(w) for w in written]}
    emit(result, args.json, lambda r: f"wrote {r['pdf']}")
    return 0


def run_reproduce_command(args: argparse.Namespace) -> int:
    """Handler of ``initaudit reproduce``."""
    _apply_run_options(args)
    _apply_force(args)
    start = time.perf_counter()
    try:
        paper.require_latex()
        latex_error = None
    except paper.LatexNotFoundError as exc:
        # Still make the figures (the long part), then fail at the end with the install hint.
        latex_error = exc
        print(f"initaudit: warning: {exc}; the figures will be made but not the PDF",
              file=sys.stderr)

    summary = pipeline.run_figures(args.preset, force=args.force)
    paper.write_generated(args.preset)
    t_figures = time.perf_counter() - start
    pdf = None
    if latex_error is None:
        try:
            pdf = paper.build_pdf()
        except paper.PaperIncompleteError as exc:
            # Still print the ledger; the command fails at the end with the list.
            latex_error, pdf = exc, exc.pdf
    seconds = time.perf_counter() - start
    ledger, budget, origin = paper.ledger_with_budget(args.preset)

    result = {
        "claims": ledger.to_dict(orient="records"),
        **summary.to_dict(),
        "pdf": str(pdf) if pdf else None,
        "figures_seconds": round(t_figures, 3),
        "total_seconds": round(seconds, 3),
        "cache_dir": str(cache.cache_dir()),
        "cache_enabled": not cache.cache_disabled(),
    }

    def text(_: object) -> str:
        lines = [summary.format(), cache.STATS.summary(), f"cache directory: {result['cache_dir']}"]
        lines.append(f"paper: {pdf}" if pdf else "paper: not built (LaTeX missing)")
        lines.append("claims ledger:")
        lines.append(claims.format_table(ledger))
        lines.append(sensitivity.summary_sentence(budget, origin))
        lines.append(f"reproduce: {seconds:.1f} s in all")
        return "\n".join(lines)

    emit(result, args.json, text)
    if latex_error is not None:
        raise latex_error
    return 0

