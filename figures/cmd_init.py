"""Commands ``init list`` and ``weights``: the initializer catalogue and weight statistics.

::

    initaudit init list [--json]
    initaudit weights --init NAME --shape OUT IN [K ...] [--seed S] [--json]

``init list`` prints every catalogue initializer (name, source, arXiv id, formula, the layer
kinds it applies to, whether it is random). ``weights`` builds a float32 tensor of the given
shape, initialises it with the named initializer (seeded generator) and prints the statistics of
:func:`analysis.weights.weight_stats`.
"""

from __future__ import annotations

import math

from initaudit.figures.cli import emit, positive_int

_LIST_COLUMNS = ("name", "scope", "random", "arxiv", "applies_to", "paper")


def register(subparsers) -> None:
    """Add the ``init`` (with ``init list``) and ``weights`` subcommands."""
    p = subparsers.add_parser("init", help="the catalogue of initializers",
                              description="Inspect the catalogue of weight initializers.")
    sub = p.add_subparsers(dest="init_command", metavar="ACTION", required=True)
    q = sub.add_parser("list", help="list every initializer of the catalogue",
                       description="List every initializer of the catalogue with its source "
                       "(paper, arXiv id, code and commit), formula, the layer kinds it applies "
                       "to, whether it is random, its default activation and omega_0.")
    q.add_argument("--json", action="store_true", help="print the full records as JSON")
    q.set_defaults(func=run_init_list)

    p = subparsers.add_parser("weights", help="statistics of an initialised weight tensor",
                              description="Initialise a float32 tensor of the given shape with a "
                              "catalogue initializer and print its moments, rank, condition "
                              "number, singular values and Kolmogorov-Smirnov distances to the "
                              "Gaussian, uniform and arcsine laws of the same mean and variance.")
    p.add_argument("--init", required=True, metavar="NAME",
                   help="initializer name (see `initaudit init list`)")
    p.add_argument("--shape", required=True, nargs="+", type=positive_int, metavar="DIM",
                   help="OUT IN [K ...]: a Linear (OUT, IN) or conv (OUT, IN, K, ...) weight")
    p.add_argument("--seed", type=int, default=0, help="generator seed (default 0)")
    p.add_argument("--json", action="store_true", help="print the statistics as JSON")
    p.set_defaults(func=run_weights)


# --------------------------------------------------------------------------------------------
# init list


def _format_table(records: list[dict]) -> str:
    rows = [[_cell(r[c]) for c in _LIST_COLUMNS] for r in records]
    widths = [max(len(c), *(len(row[i]) for row in rows)) for i, c in enumerate(_LIST_COLUMNS)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(_LIST_COLUMNS, widths)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for record, row in zip(records, rows):
        lines.append("  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip())
        lines.append(f"    formula: {record['formula']}")
        if record.get("url"):
            commit = f" @ {record['commit']}" if record.get("commit") else ""
            lines.append(f"    code: {record['url']}{commit}")
    return "\n".join(lines)


def _cell(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ",".join(map(str, value))
    return str(value)


def run_init_list(args) -> int:
    """Print the catalogue (text table or JSON list of records)."""
    from initaudit.models import catalogue

    records = [info.as_dict() for info in catalogue.entries()]
    emit(records, args.json, _format_table)
    return 0


# --------------------------------------------------------------------------------------------
# weights

_WEIGHT_KEYS = (
    "name", "shape", "seed", "dtype", "mean", "var", "std", "min", "max", "matrix_shape", "rank",
    "rank_rtol", "rank_default", "full_rank", "cond", "sv_max", "sv_min", "sv_median", "sv_mean_sq",
    "ks_gaussian", "ks_uniform", "ks_arcsine", "nearest_law",
)


def _format_stats(stats: dict) -> str:
    width = max(len(k) for k in _WEIGHT_KEYS)
    lines = []
    for key in _WEIGHT_KEYS:
        value = stats.get(key)
        if isinstance(value, float):
            # undefined (one entry) prints "-", infinite (a singular matrix) "inf"
            text = "-" if math.isnan(value) else "inf" if math.isinf(value) else f"{value:.6g}"
        else:
            text = _cell(value) if not isinstance(value, list) else " x ".join(map(str, value))
        lines.append(f"{key.ljust(width)}  {text}")
    return "\n".join(lines)


def run_weights(args) -> int:
    """Print the statistics of a tensor initialised with ``--init``."""
    from initaudit.analysis.weights import weight_stats_for

    if len(args.shape) < 2:
        raise ValueError(f"--shape needs at least 2 dimensions, OUT IN [K ...]; got "
                         f"{' '.join(map(str, args.shape))}")
    from initaudit.analysis.budget import check_weight_matrix

    check_weight_matrix(args.shape)
    stats = weight_stats_for(args.init, args.shape, seed=args.seed)
    from initaudit.figures.cmd_spectrum import ONE_ENTRY_UNDEFINED

    # cond is infinite for a singular matrix, by definition; the spread of one entry undefined.
    emit(stats, args.json, _format_stats, finite=True, allow=("cond",) + ONE_ENTRY_UNDEFINED)
    return 0
