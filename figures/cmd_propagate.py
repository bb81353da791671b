"""Command ``propagate``: Monte-Carlo signal propagation of one initializer against theory.

::

    initaudit propagate --init NAME --depth L --width N --seeds S [--activation sin|relu|tanh]
                        [--omega0 W] [--dtype float32|float64] [--points P] [--d-in D]
                        [--seed K] [--json]

Draws S independent networks with the registered initializer NAME (seeded), propagates P inputs
uniform on [-1, 1]^d through all of them at once and prints, per layer, the measured value, its
standard error over the networks and the mean-field prediction of

* ``q``: the pre-activation variance ``|z_l|^2 / N``;
* ``chi``: the mean squared singular value of the layer Jacobian ``W_l diag f'(z_l)``;
* ``grad``: the squared gradient norm ``|dy/dz_l|^2`` of the scalar output.

``theory`` is the infinite-width prediction under the laws the initializer draws
(:func:`theory.predict.predict`, ``law="exact"``); ``--json`` also gives the Gaussian mean field
(``*_gaussian``). See :mod:`analysis.propagate` for definitions.
"""

from __future__ import annotations

import math

from initaudit.models import catalogue
from initaudit.figures.cli import add_network_arguments, emit, positive_float, positive_int

_ACTIVATIONS = ("sin", "relu", "tanh")
_DTYPES = ("float32", "float64")


def register(subparsers) -> None:
    """Add the ``propagate`` subcommand."""
    p = subparsers.add_parser(
        "propagate", help="Monte-Carlo q, chi and gradient norms vs the mean-field theory",
        description="Propagate inputs through an ensemble of S networks initialised with a "
        "registered initializer and compare, layer by layer, the pre-activation variance q, the "
        "layer gain chi and the squared gradient norm with the mean-field theory. Standard "
        "errors are over the networks (over the inputs for a deterministic initializer).")
    add_network_arguments(p, required=True)
    p.add_argument("--seeds", required=True, type=positive_int, metavar="S",
                   help="number of independent networks (the replicates)")
    p.add_argument("--activation", choices=_ACTIVATIONS, default=None,
                   help="activation (default: the one the initializer is meant for)")
    p.add_argument("--omega0", type=positive_float, default=None, metavar="W",
                   help="frequency omega_0 of siren, siren_port, edge_of_chaos* (default 30)")
    p.add_argument("--dtype", choices=_DTYPES, default="float32", help="default float32")
    p.add_argument("--points", type=positive_int, default=32, metavar="P",
                   help="inputs uniform on [-1, 1]^d (default 32)")
    p.add_argument("--d-in", type=positive_int, default=2, metavar="D",
                   help="input dimension d (default 2)")
    p.add_argument("--seed", type=int, default=0, metavar="K",
                   help="seed of the networks (default 0); the inputs always use seed 0")
    p.add_argument("--json", action="store_true", help='print JSON: {"meta": the run\'s settings, "layers": one record per layer}')
    p.set_defaults(func=run_propagate)


_SHORT = {"q": "q", "chi": "chi", "grad_norm2": "grad"}


def _records(table) -> list[dict]:
    pooled = table[table.network == "pooled"]
    out = []
    for layer, grp in pooled.groupby("layer", sort=True):
        rec = {"layer": int(layer)}
        for _, row in grp.iterrows():
            key = _SHORT[row.quantity]
            rec[key] = float(row.measured)
            rec[f"{key}_se"] = float(row.se)
            rec[f"{key}_theory"] = float(row.predicted)
            rec[f"{key}_z"] = float(row.z)
            rec[f"{key}_gaussian"] = float(row.predicted_gaussian)
        out.append(rec)
    return out


def _num(v: float) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    return f"{v:.4g}"


def _format(payload: dict) -> str:
    meta = payload["meta"]
    head = (f"{meta['init']} ({meta['activation']}), depth {meta['depth']}, width {meta['width']}, "
            f"{meta['networks']} network(s), {meta['points']} inputs in [-1, 1]^{meta['d_in']}, "
            f"{meta['dtype']}")
    if meta["networks"] == 1:
        head += "\n(deterministic initializer: one network, standard errors over the inputs)"
    cols = [("layer", 5)]
    for key in ("q", "chi", "grad"):
        cols += [(key, 11), ("+-se", 9), ("theory", 10), ("z", 6)]
    lines = [head, "  ".join(name.rjust(w) for name, w in cols)]
    for rec in payload["layers"]:
        cells = [str(rec["layer"]).rjust(5)]
        for key in ("q", "chi", "grad"):
            z = rec[f"{key}_z"]
            cells += [_num(rec[key]).rjust(11), _num(rec[f"{key}_se"]).rjust(9),
                      _num(rec[f"{key}_theory"]).rjust(10),
                      ("-" if math.isnan(z) or math.isinf(z) else f"{z:+.1f}").rjust(6)]
        lines.append("  ".join(cells))
    rows = payload["layers"]
    hidden = rows[-2] if len(rows) > 1 else rows[-1]
    lines.append(f"theory: {meta['law']} law (the laws the initializer draws); the Gaussian mean "
                 f"field gives grad at layer 1 {_num(rows[0]['grad_gaussian'])}, chi at layer "
                 f"{hidden['layer']} {_num(hidden['chi_gaussian'])} (--json gives every layer)")
    return "\n".join(lines)


def _check_memory(args) -> None:
    """All networks' weights (S x L x N^2) are held; the forward and backward passes run in
    chunks of networks of at most 2 GiB (:mod:`initaudit.analysis.propagate`)."""
    from initaudit.analysis import propagate as mc
    from initaudit.analysis.budget import check_memory

    b = 8 if args.dtype == "float64" else 4
    # one network's passes: about eight (P, N) arrays per layer (pre-activations, activations,
    # derivatives, deltas and their products; measured in tests/test_budget.py)
    one = 8.0 * args.points * args.width * args.depth * b
    passes = max(min(args.seeds * one, 2 * mc._CHUNK_BYTES), one)
    # A layer is drawn in float64 and then cast; a deterministic initializer draws one network.
    from initaudit.models import catalogue

    networks = args.seeds if catalogue.get(args.init).random else 1
    need = (float(networks) * args.depth * args.width ** 2 * b + args.width ** 2 * 8.0 + passes
            + 2.0 * args.points * args.d_in * 8)
    check_memory(need, f"{args.seeds} networks of depth {args.depth} and width {args.width}",
                 remedy="use fewer --seeds (they are independent: run several seed ranges with "
                        "--seed and pool them) or a smaller --width")


def run_propagate(args) -> int:
    """Run the ensemble and print the per-layer comparison."""
    from initaudit.analysis import propagate as mc

    names = mc.mc_inits()
    if args.init not in names:
        raise ValueError(f"unknown initializer {args.init!r} for fully connected layers; valid "
                         f"names are {', '.join(names)}")
    activation = args.activation or catalogue.default_activation(args.init)
    _check_memory(args)
    table = mc.propagation_table(args.init, args.depth, args.width, args.seeds, activation,
                                 n_inputs=args.points, d_in=args.d_in, omega0=args.omega0,
                                 seed=args.seed, dtype=args.dtype, per_network=False)
    meta = {"init": args.init, "activation": activation, "depth": args.depth,
            "width": args.width, "networks": int(table.n_networks.iloc[0]),
            "points": args.points, "d_in": args.d_in, "dtype": args.dtype, "seed": args.seed,
            "omega0": args.omega0, "law": "exact"}
    payload = {"meta": meta, "layers": _records(table)}
    # A standard error is undefined (NaN, printed "-") for one network of a random initializer,
    # and z is then undefined, or infinite where a standard error is 0.
    emit(payload, args.json, _format, finite=True,
         allow=("q_z", "chi_z", "grad_z", "q_se", "chi_se", "grad_se"))
    return 0
