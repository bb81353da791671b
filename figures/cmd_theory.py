"""``initaudit theory ...``: the infinite-width theory of sine networks from the command line.

Subcommands (all take ``--json``):

* ``sine --c-w C --c-b B``: fixed point q*, sigma_g^2 = chi(q*), q-map slope and stability, c*,
  c-map slope, depth scales xi_q and xi_c, phase.
* ``unit-gain --c-w C``: c_b on the unit-gain curve and its q*.
* ``depth --c-w C --c-b B --q1 Q --depth L``: layer-by-layer q_l, chi_l and the cumulative
  squared-gradient ratio (log and value).
* ``kernel --depth L --c-w C [--c-b B] --omega0 W --x X1 X2 ...``: NNGP and NTK matrices for
  1-D inputs (edge-of-chaos first layer U(+-omega0), readout sigma_w^2 = 1, no readout bias).
* ``spectrum --init NAME --depth L [--width N] [--omega0 W] [--dims 1|2] [--points G]``: the
  expected output spectrum of the network as ``initaudit spectrum`` draws it, through the same
  estimator (:func:`initaudit.analysis.spectrum.theory_shares`).

* ``jacobian --init NAME --depth L [--width N] [--x X ...] [--order K] [--density-points G]``:
  moments and density of the squared singular values of ``J = dz_L/dz_1`` by free probability
  (:mod:`theory.jacobian`).
* ``finite-width --init NAME --depth L --width N [--x X ...]``: the leading 1/N corrections to
  the means of q_l and chi_l, the bound on that of ``|dy/dz_l|^2``, and the network-to-network
  variance of ``log |dy/dz_l|^2`` at one input (:mod:`theory.finite_width`; the laws drawn).

The others take ``--law exact|gaussian`` (:mod:`theory.laws`; default exact) and reports the law in
its output. ``exact`` is the network as drawn: weights ``U(+-c_w/sqrt(N))`` and one bias
``U(+-c_b)`` per unit, so a hidden pre-activation is a Gaussian plus a uniform at any width (and
the unit-gain curve is the uniform-bias one); ``gaussian`` is the textbook mean field, the one
the edge-of-chaos source derives its curve from. ``depth`` starts from a Gaussian ``z_1`` of
variance ``--q1`` under either law.
"""

from __future__ import annotations

import numpy as np

from initaudit.analysis.budget import check_memory
from initaudit.figures.cli import emit, finite_float, nonneg_float, positive_float, positive_int
from initaudit.theory import kernels, meanfield, sine, spec
from initaudit.theory.laws import LAWS


def _sine(args) -> int:
    point = sine.uniform_point(args.c_w, args.c_b)
    mf = meanfield.mean_field(point.sigma_w2, point.sigma_b2, "sin", law=args.law)
    out = {
        "law": args.law,
        "c_w": point.c_w, "c_b": point.c_b, "sigma_w2": point.sigma_w2, "sigma_b2": point.sigma_b2,
        "q_star": mf.q_star, "sigma_g2": mf.sigma_g2, "q_slope": mf.q_slope, "stable": mf.stable,
        "c_star": mf.c_star, "c_slope": mf.c_slope, "xi_q": mf.xi_q, "xi_c": mf.xi_c,
        "phase": mf.phase,
    }

    def text(d):
        return "\n".join(f"{k:>9}  {v:.10g}" if isinstance(v, float) else f"{k:>9}  {v}" for k, v in d.items())

    # A depth scale is infinite where its slope is 1 (the edge of chaos), by definition.
    emit(out, args.json, text, finite=True, allow=("xi_q", "xi_c"))
    return 0


def _unit_gain_cb(cw: float, law: str) -> float:
    """c_b of the unit-gain curve under ``law`` (the uniform-bias curve for the exact law)."""
    return sine.uniform_bias_unit_gain_cb(cw) if law == "exact" else sine.unit_gain_cb(cw)


def _unit_gain(args) -> int:
    cb = _unit_gain_cb(args.c_w, args.law)
    point = sine.uniform_point(args.c_w, cb)
    mf = sine.mean_field_law(point.sigma_w2, point.sigma_b2, args.law)
    out = {
        "law": args.law, "c_w": args.c_w, "c_b": cb, "q_star": float(mf["q_star"]),
        "sigma_w2": point.sigma_w2, "sigma_b2": point.sigma_b2,
        "sigma_g2": float(mf["sigma_g2"]),
    }
    emit(out, args.json, lambda d: "\n".join(
        f"{k:>8}  {v:.10g}" if isinstance(v, float) else f"{k:>8}  {v}" for k, v in d.items()),
        finite=True)
    return 0


def _depth(args) -> int:
    point = sine.uniform_point(args.c_w, args.c_b)
    check_memory(args.depth * _BYTES_PER_ROW, f"a table of {args.depth} layers",
                 remedy="use a smaller --depth: past a few depth scales the profile is at its "
                        "fixed point (theory sine gives q*, chi and xi_q)")
    prof = meanfield.propagate(args.q1, [(point.sigma_w2, point.sigma_b2)] * args.depth, "sin",
                               law=args.law)
    # grad_ratio is computed from log_grad_ratio on each access: take each array once.
    q, chi, logs, ratio = (a.tolist() for a in (prof.q, prof.chi, prof.log_grad_ratio,
                                                 prof.grad_ratio))
    rows = [
        {"layer": i + 1, "law": args.law, "q": q[i], "chi": chi[i], "log_grad_ratio": logs[i],
         "grad_ratio": ratio[i]}
        for i in range(args.depth)
    ]

    def text(rs):
        head = f"{'layer':>5} {'q':>14} {'chi':>14} {'log_grad_ratio':>15} {'grad_ratio':>14}"
        body = [f"{r['layer']:>5} {r['q']:>14.8g} {r['chi']:>14.8g} {r['log_grad_ratio']:>15.8g} "
                f"{r['grad_ratio']:>14.8g}" for r in rs]
        return "\n".join([f"law: {args.law}", head, *body])

    # grad_ratio = exp(log_grad_ratio) may overflow where float64 must; its log is printed.
    emit(rows, args.json, text, finite=True, allow=("grad_ratio",))
    return 0


def _kernel(args) -> int:
    cb = _unit_gain_cb(args.c_w, args.law) if args.c_b is None else args.c_b
    sine.uniform_point(args.c_w, cb)  # validates the pair
    net = spec.sine_uniform(d_in=1, width=1, depth=args.depth, c_w=args.c_w, c_b=cb, omega0=args.omega0)
    x = np.asarray(args.x, dtype=np.float64)
    p = float(len(x))
    check_memory(args.depth * (KERNEL_ARRAYS * p * p * 8 + _BYTES_PER_ROW),
                 f"the kernels of {len(x)} inputs through {args.depth} layers",
                 remedy="use fewer --x or a smaller --depth (deep kernels reach their fixed "
                        "point within a few depth scales)")
    res = kernels.kernels(net, x[:, None], law=args.law)
    out = {"law": args.law, "x": x, "c_w": args.c_w, "c_b": cb, "depth": args.depth,
           "omega0": args.omega0,
           "nngp": res.nngp, "ntk": res.ntk, "ntk_sp_over_width": res.ntk_sp_over_width}

    def text(d):
        def mat(name):
            rows = [" ".join(f"{v:12.6g}" for v in row) for row in d[name]]
            return f"{name}:\n" + "\n".join(rows)

        return "\n".join([f"law: {d['law']}", f"x: {' '.join(f'{v:g}' for v in d['x'])}",
                          mat("nngp"), mat("ntk"), mat("ntk_sp_over_width")])

    emit(out, args.json, text, finite=True,
         regime="the kernels grow with omega0^2 |x|^2 and the NTK with depth, and float64 "
                "holds no more than about 1e308; use smaller |x|, omega0 or depth")
    return 0


def _spectrum(args) -> int:
    from initaudit.analysis import spectrum as sp
    from initaudit.theory import spectral

    points = args.points
    if points is None:
        points = (sp.default_points(args.omega0, args.depth, 1) if args.d_in == 1
                  else THEORY_POINTS_2D)
    spectral.check_points(points)
    if points ** args.d_in > spectral.MAX_THEORY_POINTS:
        raise ValueError(f"--points {points:.3g} gives {float(points) ** args.d_in:.3g} grid points; the "
                         f"expected spectrum costs O(P^3) and takes at most "
                         f"{spectral.MAX_THEORY_POINTS} (in 2-D at most "
                         f"{int(spectral.MAX_THEORY_POINTS ** 0.5)} per axis)")
    check_memory(args.depth * _BYTES_PER_ROW + KERNEL_ARRAYS * float(points) ** (2 * args.d_in) * 8,
                 f"the expected spectrum through {args.depth} layers",
                 remedy="use a smaller --depth or fewer --points")
    spec = sp.network_spec(args.init, args.depth, args.width, dims=args.d_in,
                           omega0=args.omega0)
    if not sp.has_law(args.init):
        raise ValueError(f"{args.init} is deterministic: its hidden layers have no law, so the "
                         "network has no infinite-width Gaussian process to predict (the "
                         "measurement, `initaudit spectrum`, applies)")
    res = sp.theory_shares(spec, points, args.d_in, args.omega0, tuple(args.ks), law=args.law)
    if res is None:
        raise ValueError(f"{args.init} at depth {args.depth}: after mean removal the kernel "
                         "keeps less of its variance than float64 resolves (a strongly ordered "
                         "network whose input-dependent part has vanished); try a smaller depth")
    omega, power = res["spectrum"]
    if args.d_in == 2:
        radial = sp.radial_average(power, omega)
        omega, power = radial.omega.to_numpy(), radial.energy.to_numpy()
    out = {
        "law": args.law, "init": args.init, "depth": args.depth, "width": args.width,
        "d_in": args.d_in, "omega0": args.omega0, "points": points,
        "nyquist": spectral.nyquist(points), "window": "hann",
        "energy_above": [{"k": k, "value": v} for k, v in res["energy_above"].items()],
        "energy_above_omega0": res["energy_above"].get(1.0),
        "centroid_over_omega0": res["centroid"] / args.omega0,
        "ratio_of_means": [{"k": k, "value": v}
                           for k, v in res["energy_above_ratio_of_means"].items()],
        "spectrum": {"frequency": omega, "frequency_over_omega0": omega / args.omega0,
                     "power": power},
    }

    def text(d):
        lines = [f"{d['init']} (sine network), depth {d['depth']}, width {d['width']} (its "
                 f"biases), [-1, 1]^{d['d_in']}, omega0 = {d['omega0']:g}, law: {d['law']}",
                 f"grid {d['points']} points per axis, Nyquist {d['nyquist']:.1f} rad per unit x, "
                 "window hann; infinite width: the expectation over networks of the measured "
                 "average"]
        for rec in d["energy_above"]:
            lines.append(f"  {'energy above ' + format(rec['k'], 'g') + ' omega0':28s}"
                         f"{rec['value']:.4g}")
        lines.append(f"  {'centroid / omega0':28s}{d['centroid_over_omega0']:.4g}")
        return "\n".join(lines)

    emit(out, args.json, text, finite=True)
    return 0


def _network_at_input(args, matrices: tuple[str, ...], theory: str):
    """``(spec, matrix law, x)`` of ``theory finite-width`` and ``theory jacobian``: the networks
    ``--init`` draws (with ``--activation``), refused when its matrices are not among
    ``matrices``, and the input ``--x`` (default 0.5 per dimension)."""
    from initaudit.models import catalogue
    from initaudit.models.mlp import Ensemble

    net = Ensemble.drawn_spec(args.init, args.d_in, args.width, args.depth, omega0=args.omega0)
    matrix = catalogue.get(args.init).matrix
    if matrix not in matrices:
        raise ValueError(f"{args.init} draws {matrix} hidden matrices; {theory} covers "
                         f"{' and '.join(matrices)} ones")
    if args.activation is not None:
        net = net.with_(activation=args.activation)
    x = np.full(args.d_in, 0.5) if args.x is None else np.asarray(args.x, dtype=np.float64)
    if x.shape != (args.d_in,):
        raise ValueError(f"--x takes {args.d_in} numbers (one per input dimension, --d-in), "
                         f"got {len(x)}")
    return net, matrix, x


def _finite_width(args) -> int:
    from initaudit.theory import finite_width

    check_memory(args.depth * _FINITE_WIDTH_BYTES_PER_LAYER, f"the finite-width theory of "
                 f"{args.depth} layers", remedy="use a smaller --depth")
    net, _, x = _network_at_input(args, ("iid",), "the finite-width theory (i.i.d. weights)")
    corr = finite_width.mean_correction(net, x)
    lgv = finite_width.log_grad_variance(net, x)
    layers = list(range(1, args.depth + 1))
    out = {"law": "exact", "init": args.init, "activation": net.activation, "depth": args.depth,
           "width": args.width, "d_in": args.d_in, "x": x, "layer": layers,
           "mean_correction": {"q": corr["q"], "chi": corr["chi"],
                               "grad_norm2_relative": corr["grad_norm2_relative"]},
           "log_grad_variance": lgv["total"], "log_grad_variance_sampling": lgv["sampling"],
           "log_grad_sd": np.sqrt(lgv["total"])}

    def text(d):
        head = (f"{d['init']} ({d['activation']}), depth {d['depth']}, width {d['width']}, input "
                f"{np.array2string(np.asarray(d['x']), precision=4)}; laws drawn; leading order "
                "in 1/N")
        cols = (f"{'layer':>5} {'dq':>12} {'dchi':>12} {'dgrad/grad':>13} "
                f"{'Var log grad':>13} {'sd':>8}")
        body = [f"{l:>5} {d['mean_correction']['q'][i]:>12.4g} "
                f"{d['mean_correction']['chi'][i]:>12.4g} "
                f"{d['mean_correction']['grad_norm2_relative'][i]:>13.4g} "
                f"{d['log_grad_variance'][i]:>13.4g} {d['log_grad_sd'][i]:>8.4f}"
                for i, l in enumerate(d["layer"])]
        return "\n".join([head, cols, *body])

    emit(out, args.json, text, finite=True)
    return 0


def _jacobian(args) -> int:
    from initaudit.theory import jacobian

    if args.order < 2:
        raise ValueError(f"--order must be at least 2 (the normalised variance m_2/m_1^2 - 1 "
                         f"the command reports needs m_2), got {args.order}")
    check_memory(args.depth * (args.density_points + args.order) * _JACOBIAN_BYTES_PER_CELL,
                 f"the Jacobian's spectrum through {args.depth} layers at "
                 f"{args.density_points} density points", remedy="use a smaller --depth, "
                 "--order or --density-points")
    net, weights, x = _network_at_input(args, jacobian.WEIGHT_FAMILIES,
                                        "the free-probability theory")
    res = jacobian.jacobian_moments(net, x, order=args.order, law=args.law, weights=weights)
    m1 = float(res["moments"][0])
    s2 = m1 * np.geomspace(*DENSITY_RANGE, args.density_points)
    dens = jacobian.jacobian_density(net, x, s2, law=args.law, weights=weights)
    out = {"law": args.law, "init": args.init, "activation": net.activation,
           "weights": weights, "depth": args.depth, "width": args.width, "d_in": args.d_in,
           "x": x,
           "moments": [{"k": k + 1, "value": float(v)} for k, v in enumerate(res["moments"])],
           "normalized_variance": res["normalized_variance"],
           "per_layer_variance": res["per_layer_variance"],
           # points the continuation could not reach (a far lower tail) are left out
           "density": [{"s2": float(a), "value": float(b)} for a, b in zip(s2, dens)
                       if np.isfinite(b)],
           "density_smoothing": jacobian.DENSITY_DELTA}

    def text(d):
        lines = [f"{d['init']} ({d['activation']}, {d['weights']} hidden weights), depth "
                 f"{d['depth']}, input {np.array2string(np.asarray(d['x']), precision=4)}, law: "
                 f"{d['law']}; squared singular values of dz_L/dz_1 at large width"]
        lines += [f"  m_{m['k']:<3d} {m['value']:.6g}" for m in d["moments"]]
        lines.append(f"  normalised variance m_2/m_1^2 - 1 = {d['normalized_variance']:.6g}")
        dens = d["density"]
        if dens:
            peak = max(dens, key=lambda r: r["value"] * r["s2"])
            lines.append(f"  density of s^2 at {len(dens)} points in [{dens[0]['s2']:.3g}, "
                         f"{dens[-1]['s2']:.3g}] (--json for the values); the density of "
                         f"log s^2 peaks at s^2 = {peak['s2']:.3g}")
        return "\n".join(lines)

    emit(out, args.json, text, finite=True)
    return 0


#: Memory estimates (bytes): a printed row of ``theory depth`` (its dict and the profile's
#: arrays), the P x P arrays the kernel recursion keeps per layer, the moments
#: ``theory finite-width`` keeps per layer, and ``theory jacobian`` per layer and grid point.
_BYTES_PER_ROW = 1024
KERNEL_ARRAYS = 10
_FINITE_WIDTH_BYTES_PER_LAYER = 4096
_JACOBIAN_BYTES_PER_CELL = 256

#: The density grid of ``theory jacobian``, in units of the mean m_1 of s^2.
DENSITY_RANGE = (1e-6, 1e3)

#: Default grid per axis of ``theory spectrum --d-in 2`` (the expected spectrum is O(P^3)).
THEORY_POINTS_2D = 48


def _network_arguments(p, *, width_help: str, width_default: int | None) -> None:
    """``--init --depth --width --d-in --x --omega0 --activation`` of the commands that take one
    registered network at one input (``width_default`` None: ``--width`` is required)."""
    p.add_argument("--init", required=True, metavar="NAME",
                   help="a registered initializer for fully connected layers")
    p.add_argument("--depth", type=positive_int, required=True, help="activated layers L")
    p.add_argument("--width", type=positive_int, required=width_default is None,
                   default=width_default, help=width_help)
    p.add_argument("--d-in", dest="d_in", type=positive_int, default=1,
                   help="input dimension (default 1)")
    p.add_argument("--x", type=finite_float, nargs="+", default=None, metavar="X",
                   help="the input, one number per dimension (default 0.5 each)")
    p.add_argument("--omega0", type=positive_float, default=None,
                   help="frequency of a frequency initializer (default: its own)")
    p.add_argument("--activation", choices=("sin", "relu", "tanh"), default=None,
                   help="activation (default: the initializer's)")


def _law_argument(p) -> None:
    p.add_argument("--law", choices=LAWS, default="exact",
                   help="exact: the laws drawn (uniform weights and biases; default); "
                   "gaussian: every pre-activation Gaussian (the textbook mean field)")


def register(subparsers) -> None:
    """Add ``initaudit theory`` and its subcommands."""
    theory = subparsers.add_parser("theory", help="infinite-width theory of sine networks",
                                   description="The infinite-width theory of sine networks: "
                                   "fixed points, the unit-gain curve, depth profiles and kernels.")
    sub = theory.add_subparsers(dest="theory_command", metavar="WHAT", required=True)

    p = sub.add_parser("sine", help="fixed point, gain, stability and depth scales at (c_w, c_b)")
    p.add_argument("--c-w", type=positive_float, required=True, help="weight bound: W ~ U(+-c_w/sqrt(N))")
    p.add_argument("--c-b", type=nonneg_float, required=True, help="bias bound: b ~ U(+-c_b)")
    _law_argument(p)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_sine)

    p = sub.add_parser("unit-gain", help="c_b on the unit-gain curve sigma_g = 1 (under --law)")
    p.add_argument("--c-w", type=finite_float, required=True, help="c_w in [sqrt(3), sqrt(6))")
    _law_argument(p)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_unit_gain)

    p = sub.add_parser("depth", help="layer-by-layer q_l, chi_l and gradient ratio from q_1")
    p.add_argument("--c-w", type=positive_float, required=True)
    p.add_argument("--c-b", type=nonneg_float, required=True)
    p.add_argument("--q1", type=nonneg_float, required=True, help="variance of z_1")
    p.add_argument("--depth", type=positive_int, required=True, help="number of sine layers")
    _law_argument(p)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_depth)

    p = sub.add_parser("spectrum", help="expected output spectrum of an initialised network",
                       description="The infinite-width expectation of what `initaudit spectrum` "
                       "measures: the NNGP kernel of the network on the same grid, through the "
                       "same estimator (mean removal, Hann window), as the expected energy share "
                       "above k omega0 and the expected spectral centroid.")
    p.add_argument("--init", required=True, metavar="NAME",
                   help="a registered initializer for fully connected layers (sine network)")
    p.add_argument("--depth", type=positive_int, required=True, help="number of sine layers")
    p.add_argument("--width", type=positive_int, default=256,
                   help="hidden width N (sets SIREN's bias bound omega0/sqrt(N); default 256)")
    p.add_argument("--omega0", type=positive_float, default=30.0,
                   help="first-layer frequency (default 30)")
    p.add_argument("--d-in", "--dims", dest="d_in", type=int, choices=(1, 2), default=1,
                   help="input dimension (default 1)")
    p.add_argument("--points", type=positive_int, default=None, metavar="G",
                   help="grid points per axis (default: the measurement's rule in 1-D, "
                   f"{THEORY_POINTS_2D} in 2-D)")
    p.add_argument("--ks", type=positive_float, nargs="+", default=[0.5, 1.0, 2.0, 4.0],
                   metavar="K", help="thresholds k omega0 (default 0.5 1 2 4)")
    _law_argument(p)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_spectrum)

    p = sub.add_parser("finite-width", help="leading 1/N corrections and log-gradient variance",
                       description="At width N and one input: the leading 1/N corrections to the "
                       "means of q_l and chi_l (signed), a bound on that of |dy/dz_l|^2, and the "
                       "network-to-network variance of log |dy/dz_l|^2 (laws drawn).")
    _network_arguments(p, width_help="hidden width N", width_default=None)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_finite_width)

    p = sub.add_parser("jacobian", help="moments and density of the end-to-end Jacobian's spectrum",
                       description="Moments m_1..m_K of the squared singular values of "
                       "J = dz_L/dz_1 at large width, by free probability (i.i.d. or orthogonal "
                       "hidden weights, as the initializer draws them), the normalised "
                       "variance m_2/m_1^2 - 1 (0 for dynamical isometry) and the density of "
                       "s^2 (smoothed by a Cauchy kernel of relative half-width 1e-4).")
    _network_arguments(p, width_help="hidden width N (sets laws that depend on it; default "
                       "256)", width_default=256)
    p.add_argument("--order", type=positive_int, default=4, help="moments m_1..m_K (default 4)")
    p.add_argument("--density-points", type=positive_int, default=121, metavar="G",
                   help="points of the density of s^2, log-spaced over m_1 x [1e-6, 1e3] "
                   "(default 121)")
    _law_argument(p)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_jacobian)

    p = sub.add_parser("kernel", help="NNGP and NTK matrices for 1-D inputs")
    p.add_argument("--depth", type=positive_int, required=True, help="number of sine layers")
    p.add_argument("--c-w", type=positive_float, required=True)
    p.add_argument("--c-b", type=nonneg_float, default=None, help="default: the unit-gain c_b(c_w)")
    p.add_argument("--omega0", type=positive_float, default=30.0, help="first-layer frequency")
    p.add_argument("--x", type=finite_float, nargs="+", required=True, help="inputs")
    _law_argument(p)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_kernel)
