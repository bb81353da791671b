"""Command ``ntk``: the empirical NTK of one network, its spectrum, and the infinite-width theory.

::

    initaudit ntk --init NAME --depth L --width N --points P [--method structured|jacobian|jvp]
                  [--seed S] [--d-in D] [--omega0 W] [--activation A] [--dtype float32|float64]
                  [--top-k K] [--json]

Builds one network with the registered initializer NAME (seed S, its own laws,
:meth:`models.mlp.Ensemble.from_init`), draws P inputs uniform on [-1, 1]^D (seed S), computes
the empirical NTK ``Theta`` (:func:`analysis.ntk.empirical_ntk`) and prints the summary of the
spectrum of ``Theta / N`` (:func:`analysis.ntk.spectrum_summary`: mean eigenvalue ``tr / P``,
extremes, condition number with its floor, effective rank, participation ratio, power-law decay
with its fitting range). With ``--top-k`` only the K largest eigenvalues are computed (Lanczos).

Theory: every initializer has a mean-field spec (:func:`models.catalogue.spec`), so
the command also prints the infinite-width prediction of the mean eigenvalue,
``tr(Theta_inf) / P`` (:func:`theory.kernels.kernels`, ``ntk_sp_over_width``), and the relative
Frobenius distance ``||Theta / N - Theta_inf||_F / ||Theta_inf||_F``. For the deterministic
initializers (sinusoidal, sinusoidal_paper) that spec only matches their variances.
"""

from __future__ import annotations

import math
import time

from initaudit.figures.cli import add_network_arguments, emit, positive_float, positive_int

_METHODS = ("structured", "jacobian", "jvp")
_DTYPES = ("float32", "float64")


def register(subparsers) -> None:
    """Add the ``ntk`` subcommand."""
    from initaudit.models.mlp import ACTIVATIONS

    p = subparsers.add_parser(
        "ntk", help="empirical NTK spectrum of one network vs the infinite-width theory",
        description="Compute the empirical neural tangent kernel of one network initialised with "
        "a registered initializer on P random inputs, summarise its spectrum, and compare it "
        "with the infinite-width NTK of the mean-field theory.")
    add_network_arguments(p, required=True)
    p.add_argument("--points", required=True, type=positive_int, metavar="P",
                   help="inputs uniform on [-1, 1]^D")
    p.add_argument("--method", choices=_METHODS, default="structured",
                   help="structured (fast, MLPs), jacobian (torch.func Jacobian contraction) or "
                   "jvp (torch.func NTK-vector products); default structured")
    p.add_argument("--seed", type=int, default=0, metavar="S",
                   help="seed of the network and of the inputs (default 0)")
    p.add_argument("--d-in", type=positive_int, default=2, metavar="D",
                   help="input dimension: inputs uniform on [-1, 1]^D (default 2)")
    p.add_argument("--omega0", type=positive_float, default=None, metavar="W",
                   help="frequency omega_0 of siren, siren_port, edge_of_chaos* (default 30)")
    p.add_argument("--activation", choices=ACTIVATIONS, default=None,
                   help="activation (default: the one the initializer is meant for)")
    p.add_argument("--dtype", choices=_DTYPES, default="float64", help="default float64")
    p.add_argument("--top-k", type=positive_int, default=None, metavar="K",
                   help="only the K largest eigenvalues, by Lanczos")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run_ntk)


#: Spectrum summary fields undefined without the whole spectrum or enough eigenvalues to fit.
_UNDEFINED_WHEN_PARTIAL = frozenset({"min", "condition_number", "effective_rank",
                                     "participation_ratio", "decay_exponent",
                                     "decay_exponent_se"})


def _num(v) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    return f"{v:.6g}"


def _format(payload: dict) -> str:
    m, s, t = payload["meta"], payload["spectrum"], payload["theory"]
    lines = [
        f"{m['init']} ({m['activation']}), depth {m['depth']}, width {m['width']}, "
        f"{m['points']} inputs in [-1, 1]^{m['d_in']}, seed {m['seed']}, {m['dtype']}, "
        f"method {m['method']} ({m['seconds']:.2f} s)",
        f"spectrum of Theta / N ({s['method']}, {s['n']} x {s['n']}"
        + ("" if s["complete"] else f", top {m['top_k']}") + "):",
        f"  mean eigenvalue (tr/P)  {_num(s['mean'])}",
        f"  max eigenvalue          {_num(s['max'])}",
        f"  min eigenvalue          {_num(s['min'])}",
        f"  condition number        {_num(s['condition_number'])}  (min floored at "
        f"{_num(s['condition_floor'])} = max * P * eps)",
        f"  effective rank          {_num(s['effective_rank'])}  (entropy)",
        f"  participation ratio     {_num(s['participation_ratio'])}",
        f"  decay exponent          {_num(s['decay_exponent'])} +- {_num(s['decay_exponent_se'])}"
        f"  (lambda_i ~ i^-alpha, i = {s['fit_lo']}..{s['fit_hi']})",
        "infinite-width theory (standard parametrisation, Theta / N):",
        f"  predicted mean eigenvalue  {_num(t['predicted_mean'])}",
        f"  measured mean eigenvalue   {_num(t['measured_mean'])}",
        f"  relative Frobenius distance {_num(t['distance'])}",
    ]
    if t.get("note"):
        lines.append(f"  ({t['note']})")
    return "\n".join(lines)


def _check_memory(args) -> None:
    """The P x P kernel in float64 with its eigendecomposition (about five P^2 arrays), the
    theory's kernel recursion (:data:`cmd_theory.KERNEL_ARRAYS` per layer), and the per-point
    factors of the method: layer activations and deltas (structured, jvp) or the full
    P x parameters Jacobian (jacobian)."""
    from initaudit.analysis.budget import check_memory

    b = 8 if args.dtype == "float64" else 4
    p, n, depth = float(args.points), args.width, args.depth
    params = args.d_in * n + (depth - 1) * n * n + n + depth * n + 1
    per_point = params * b if args.method == "jacobian" else 4 * depth * n * b
    from initaudit.figures.cmd_theory import KERNEL_ARRAYS

    # The theory's kernel runs the P x P recursion through every layer.
    check_memory((5 + KERNEL_ARRAYS * depth) * p * p * 8 + p * per_point,
                 f"the NTK of {args.points} points (depth {depth}, width {n}, method "
                 f"{args.method})",
                 remedy="use fewer --points (the spectrum's shape is read from a sample of "
                        "inputs)" + ("" if args.method != "jacobian" else
                                     ", or --method structured, which keeps no Jacobian"))


def run_ntk(args) -> int:
    """Build the network, compute its NTK and print the summary."""
    import numpy as np

    from initaudit.analysis import ntk
    from initaudit.analysis import propagate as mc
    from initaudit.models import catalogue, seeds
    from initaudit.models.mlp import Ensemble

    names = mc.mc_inits()
    if args.init not in names:
        raise ValueError(f"unknown initializer {args.init!r} for fully connected layers; valid "
                         f"names are {', '.join(names)}")
    activation = args.activation or catalogue.default_activation(args.init)
    if args.top_k is not None and args.top_k >= args.points:
        raise ValueError(f"--top-k must be smaller than --points ({args.points}), got {args.top_k}")
    _check_memory(args)
    gen = seeds.torch_generator(args.seed, seeds.STREAM_INIT)
    net = Ensemble.from_init(args.init, args.d_in, args.width, args.depth, 1, activation,
                             args.omega0, gen, args.dtype).network(0)
    x = mc.sample_inputs(args.points, args.d_in, seed=args.seed)
    t0 = time.perf_counter()
    theta = ntk.empirical_ntk(net, x, method=args.method)
    seconds = time.perf_counter() - t0
    scaled = theta / args.width
    summ = ntk.spectrum_summary(scaled, top_k=args.top_k)
    sp = catalogue.spec(args.init, args.d_in, args.width, args.depth, activation, args.omega0)
    inf = ntk.theory_ntk(sp, x)
    theory = {
        "predicted_mean": float(np.trace(inf)) / args.points,
        "measured_mean": summ.mean,
        "distance": ntk.relative_distance(theta, args.width, inf),
        "note": None if catalogue.get(args.init).random else
        "deterministic initializer: the theory describes random weights with its variances",
    }
    meta = {"init": args.init, "activation": activation, "depth": args.depth, "width": args.width,
            "points": args.points, "d_in": args.d_in, "seed": args.seed, "dtype": args.dtype,
            "method": args.method, "omega0": args.omega0, "top_k": args.top_k,
            "seconds": seconds}
    # Quantities a partial spectrum (--top-k) or too few eigenvalues leave undefined are NaN in
    # the summary; here they are "not computed" (null, "-"), never a printed NaN.
    spectrum = {k: None if k in _UNDEFINED_WHEN_PARTIAL and isinstance(v, float) and math.isnan(v)
                else v for k, v in summ.as_dict().items()}
    payload = {"meta": meta, "spectrum": spectrum, "theory": theory}
    emit(payload, args.json, _format, finite=True)
    return 0
