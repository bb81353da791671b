"""Command ``spectrum``: the frequency content of initialised networks, or of one weight matrix.

::

    initaudit spectrum --init NAME --depth L --width N [--omega0 W] [--d-in 1|2] [--seeds S]
                       [--points G] [--first-layer auto|own|omega0]
                       [--window hann|blackmanharris|none] [--ks K ...] [--seed K]
                       [--dtype float64|float32] [--no-refine] [--json]
    initaudit spectrum --weights --init NAME --shape OUT IN [--seed K] [--json]

Network mode draws S sine networks ``[-1, 1]^d_in -> R`` with the registered initializer NAME
(:func:`analysis.spectrum.build_ensemble`), evaluates them on a periodic grid of G points per
axis and prints, with 95% t-intervals over the S networks, the share of the energy above
``k omega_0`` for each k, the spectral centroid, the aliasing check (energy in the grid's top
octave) and, in JSON, the spectrum itself. Frequencies are angular, in radians per unit of x
(a first-layer unit ``sin(w x + b)`` sits at ``|w|``); see :mod:`analysis.spectrum`.

JSON keys (network mode): ``init, depth, width, d_in, omega0, points, nyquist, resolution,
n_networks, window, first_layer, activation, seed, dtype, resolved, frequency_unit, interval,
energy_above`` (list of ``{k, threshold, mean, lo, hi}``), ``energy_above_omega0``,
``centroid``, ``centroid_over_omega0``, ``energy_top_octave`` (each ``{mean, lo, hi}``), and
``spectrum`` (``{frequency, frequency_over_omega0, power, power_lo, power_hi}``: one entry per
frequency bin in 1-D, per annulus of width pi in 2-D; ``power`` is the share of each network's
energy in the bin, averaged over networks).

Weights mode initialises one float32 tensor of the given shape and prints
:func:`analysis.spectrum.matrix_spectrum` (numerical and effective rank, condition number,
Marchenko-Pastur distance, index-order Fourier shares) and, in JSON, the singular values.
Moments and histogram distances of the entries stay with ``initaudit weights``.
"""

from __future__ import annotations

import math

from initaudit.figures.cli import add_network_arguments, emit, positive_float, positive_int

_DTYPES = ("float64", "float32")


def register(subparsers) -> None:
    """Add the ``spectrum`` subcommand."""
    from initaudit.analysis.spectrum import FIRST_LAYERS, WINDOWS

    p = subparsers.add_parser(
        "spectrum", help="frequency content of initialised networks (or a weight matrix)",
        description="Draw S networks with a registered initializer, evaluate them on a dense "
        "grid of [-1, 1]^d and print the share of the energy above k*omega_0, the spectral "
        "centroid and the spectrum (angular frequency in rad per unit x; 95% t-intervals over "
        "the networks). With --weights: singular values, numerical and effective rank, "
        "Marchenko-Pastur distance and index-order Fourier power of one weight matrix.")
    add_network_arguments(p, required=False)
    p.add_argument("--omega0", type=positive_float, default=30.0, metavar="W",
                   help="first-layer frequency and unit of the thresholds (default 30)")
    p.add_argument("--d-in", type=int, choices=(1, 2), default=1, metavar="{1,2}",
                   help="input dimension: the grid is [-1, 1]^D (default 1)")
    p.add_argument("--seeds", type=positive_int, default=8, metavar="S",
                   help="independent networks, the replicates of the intervals (default 8)")
    p.add_argument("--points", type=positive_int, default=None, metavar="G",
                   help="grid points per axis, even (default: from omega0 and depth, so that "
                   "the Nyquist frequency is >= 16 omega0 sqrt(depth/4) in 1-D, 8 in 2-D)")
    p.add_argument("--first-layer", choices=FIRST_LAYERS, default="auto",
                   help="auto: the initializer's own first layer if it has a frequency, else "
                   "U(+-omega0/d) with zero bias; own; omega0 (default auto)")
    p.add_argument("--window", choices=WINDOWS, default="hann", help="default hann")
    p.add_argument("--ks", type=positive_float, nargs="+", default=None, metavar="K",
                   help="report the energy above K*omega0 for each K (default 0.5 1 2 4)")
    p.add_argument("--seed", type=int, default=0, metavar="K", help="weights seed (default 0)")
    p.add_argument("--dtype", choices=_DTYPES, default="float64", help="default float64")
    p.add_argument("--no-refine", action="store_true",
                   help="keep the grid even if the aliasing check fails")
    p.add_argument("--weights", action="store_true",
                   help="describe one weight matrix instead (needs --shape)")
    p.add_argument("--shape", nargs="+", type=positive_int, metavar="DIM",
                   help="with --weights: OUT IN [K ...]")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run_spectrum)


# --------------------------------------------------------------------------------------------
# network mode


def _interval(row) -> dict:
    return {"mean": float(row["mean"]), "lo": float(row["lo"]), "hi": float(row["hi"])}


def network_payload(result: dict, dtype: str) -> dict:
    """The JSON payload of one :func:`analysis.spectrum.run_spectrum` result."""
    summ = result["summary"]
    first = summ.iloc[0]
    payload = {key: first[key] for key in ("init", "depth", "width", "dims", "omega0", "points",
                                           "nyquist", "n_networks", "window", "first_layer",
                                           "activation", "seed", "resolved")}
    payload = {k: (v.item() if hasattr(v, "item") else v) for k, v in payload.items()}
    payload["d_in"] = payload.pop("dims")  # the command line's name for the input dimension
    payload["dtype"] = dtype
    payload["resolution"] = math.pi
    payload["frequency_unit"] = "rad per unit x (angular)"
    payload["interval"] = "95% Student-t interval of the mean over the networks"
    ea = summ[summ.quantity == "energy_above"]
    payload["energy_above"] = [{"k": float(r.k), "threshold": float(r.threshold),
                                **_interval(r)} for _, r in ea.iterrows()]
    at1 = ea[ea.k == 1.0]
    payload["energy_above_omega0"] = (_interval(at1.iloc[0]) if len(at1) else None)
    for q in ("centroid", "centroid_over_omega0", "energy_top_octave"):
        payload[q] = _interval(summ[summ.quantity == q].iloc[0])
    sp = result["spectrum"]
    payload["spectrum"] = {"frequency": sp.omega.to_numpy(),
                           "frequency_over_omega0": sp.omega_over_omega0.to_numpy(),
                           "power": sp.power.to_numpy(), "power_lo": sp.power_lo.to_numpy(),
                           "power_hi": sp.power_hi.to_numpy()}
    return payload


def _num(v) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    return f"{v:.4g}"


def _ci(d: dict) -> str:
    if math.isnan(d["lo"]):
        return _num(d["mean"])
    return f"{_num(d['mean'])}  [{_num(d['lo'])}, {_num(d['hi'])}]"


def _format_network(p: dict) -> str:
    lines = [f"{p['init']} (sine network), depth {p['depth']}, width {p['width']}, "
             f"{p['n_networks']} network(s), [-1, 1]^{p['d_in']}, omega0 = {p['omega0']:g}, "
             f"first layer: {p['first_layer']}",
             f"grid {p['points']} points per axis, resolution pi, Nyquist {p['nyquist']:.1f} rad "
             f"per unit x, window {p['window']}, {p['dtype']}"]
    if not p["resolved"]:
        lines.append("WARNING: the spectrum still reaches the grid's top octave (aliased); "
                     "raise --points")
    lines.append("values: mean  [95% t-interval over networks]")
    for rec in p["energy_above"]:
        lines.append(f"  energy above {rec['k']:g} omega0 ({rec['threshold']:g})".ljust(34)
                     + _ci(rec))
    lines.append("  centroid (rad per unit x)".ljust(34) + _ci(p["centroid"]))
    lines.append("  centroid / omega0".ljust(34) + _ci(p["centroid_over_omega0"]))
    lines.append("  energy in the top octave".ljust(34) + _ci(p["energy_top_octave"]))
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# weights mode


def _format_weights(p: dict) -> str:
    keys = ("rows", "cols", "rank", "full_rank", "erank", "erank_ratio", "stable_rank", "cond",
            "mp_ratio", "mp_ks", "mp_edge_hi", "mp_outside", "k_rows", "low_rows",
            "low_rows_iid", "low_rows_enrichment", "k_cols", "low_cols", "low_cols_iid",
            "low_cols_enrichment", "fourier_top1")
    head = f"{p['init']} {tuple(p['shape'])}, seed {p['seed']}, float32"
    return "\n".join([head] + [f"{k.rjust(20)}  {_num(p[k]) if isinstance(p[k], float) else p[k]}"
                               for k in keys])


def run_weights(args) -> int:
    """Print the spectrum statistics of one initialised weight matrix."""
    from initaudit.analysis import spectrum as sp

    if args.shape is None:
        raise ValueError("--weights needs --shape OUT IN [K ...]")
    if len(args.shape) < 2:
        raise ValueError(f"--shape needs at least two sizes, OUT IN; got {args.shape}")
    from initaudit.analysis.budget import check_weight_matrix

    check_weight_matrix(args.shape)
    w = sp.make_weight(args.init, args.shape, args.seed)
    stats = sp.matrix_spectrum(w)
    payload = {"init": args.init, "shape": list(args.shape), "seed": args.seed, **stats,
               "singular_values": sp.singular_values(w)}
    # cond is infinite for a singular matrix, by definition; the spread of one entry undefined.
    emit(payload, args.json, _format_weights, finite=True, allow=("cond",) + ONE_ENTRY_UNDEFINED)
    return 0


#: Statistics undefined for a tensor of one entry (NaN, printed as such by neither command).
ONE_ENTRY_UNDEFINED = ("var", "std", "ks_gaussian", "ks_uniform", "ks_arcsine", "mp_ks")


def _check_spectrum_memory(cfg) -> None:
    """The networks' weights (S x L x N^2); their evaluation on the grid, in chunks of at most
    ``_CHUNK_VALUES`` activations (three arrays at a time); the outputs and their transforms
    (about four S x G^d arrays); and, for an initializer with a law, the expected spectrum's
    kernel over the grid (a few P x P arrays: the NNGP keeps one layer at a time). The grid is
    the starting one: a refinement doubles it only while the spectrum reaches its top octave."""
    from initaudit.analysis import spectrum as sp
    from initaudit.analysis.budget import check_memory
    from initaudit.figures.cmd_theory import KERNEL_ARRAYS
    from initaudit.theory import spectral

    b = 8 if cfg.dtype == "float64" else 4
    points = cfg.grid_points()
    grid = float(points) ** cfg.dims
    need = (cfg.n_networks * cfg.depth * cfg.width ** 2 * b
            + 3 * min(cfg.n_networks * grid * cfg.width, sp._CHUNK_VALUES) * b
            + 4 * cfg.n_networks * grid * 8)
    if sp.has_law(cfg.init) and grid <= spectral.MAX_THEORY_POINTS:
        need += KERNEL_ARRAYS * grid ** 2 * 8
    check_memory(need, f"{cfg.n_networks} networks of depth {cfg.depth} and width {cfg.width} "
                 f"on a grid of {points}^{cfg.dims} points",
                 remedy="use fewer --seeds (networks are independent: run several seed ranges "
                        "with --seed), a smaller --width, or fewer --points")


def run_spectrum(args) -> int:
    """Run the network spectrum (or, with --weights, the matrix spectrum) and print it."""
    from initaudit.analysis import spectrum as sp

    if args.weights:
        return run_weights(args)
    if args.shape is not None:
        raise ValueError("--shape applies only with --weights")
    missing = [opt for opt, val in (("--depth", args.depth), ("--width", args.width))
               if val is None]
    if missing:
        raise ValueError(f"the network spectrum needs {' and '.join(missing)} (or use --weights "
                         "--shape OUT IN for a weight matrix)")
    names = sp.linear_inits()
    if args.init not in names:
        raise ValueError(f"unknown initializer {args.init!r} for fully connected layers; valid "
                         f"names are {', '.join(names)}")
    cfg = sp.SpectrumConfig(init=args.init, depth=args.depth, width=args.width,
                            n_networks=args.seeds, dims=args.d_in, omega0=args.omega0,
                            points=args.points, window=args.window,
                            ks=tuple(args.ks) if args.ks else sp.DEFAULT_KS,
                            first_layer=args.first_layer, seed=args.seed, dtype=args.dtype,
                            refine=not args.no_refine)
    cfg.validate()
    _check_spectrum_memory(cfg)
    payload = network_payload(sp.run_spectrum(cfg), args.dtype)
    # Intervals of one network are undefined (NaN, printed "-").
    emit(payload, args.json, _format_network, finite=True,
         allow=("lo", "hi", "power_lo", "power_hi"))
    return 0
