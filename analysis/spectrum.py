r"""Spectra of network functions and of weight matrices.

Two families of measurements, both returning numbers and tidy DataFrames (never plots).

Network functions
-----------------
A network ``f: [-1, 1]^d -> R`` (``d = dims`` = 1 or 2) is evaluated on a dense periodic grid
of ``G`` points per axis, ``x_n = -1 + 2 n / G`` (``n = 0 .. G-1``; spacing ``dx = 2 / G``; the
end point ``x = 1`` is the next period's ``x_0``). Frequency convention: the first layer of the
package's sine networks is ``sin(W_0 x + b_0)`` (omega_0 folded into ``W_0``; in the edge-of-chaos
init ``W_0 ~ U(+-omega_0/d)``), so a first-layer unit with weight row ``w`` oscillates as
``sin(w . x + b)`` with **angular frequency** ``|w|`` in radians per unit of x. Every frequency
here is in that unit: the DFT bin ``k`` of a grid of length 2 sits at

    omega_k = 2 pi k / (G dx) = pi k   (rad per unit x),

so the resolution is ``pi`` rad per unit x whatever ``G`` is, and the Nyquist frequency is
``omega_N = pi G / 2``. A first layer of the edge-of-chaos type puts every first-layer frequency at
``|w| <= omega_0`` in 1-D and ``|w| <= omega_0 / sqrt(2)`` in 2-D (each entry ``<= omega_0/2``).
Energy "above ``k omega_0``" is the energy at ``omega_k > k omega_0`` (1-D) or at radial
``|omega| > k omega_0`` (2-D).

Estimator (:func:`spectrum_1d`, :func:`spectrum_2d`): the grid mean is removed, the values are
multiplied by a window, and the power of the DFT is normalised so that Parseval reads

    sum_k E_k = sum_n (w_n g_n)^2 / sum_n w_n^2,      g = f - mean(f),

the window-weighted mean square of the centred function (for ``window="none"``: its variance on
the grid). Why these choices:

* **Hann window by default.** The network function is not periodic on ``[-1, 1]``: the DFT of
  the raw samples sees a jump at ``x = +-1``, whose leakage decays only as ``1/omega^2`` in
  power and spreads a spurious share of the energy over all frequencies: for ``exp(x)``, which
  has no frequency content to speak of above omega_0 = 30, the raw periodogram puts 6.8e-2 of
  its energy above 30. The periodic Hann window ``w(x) = (1 + cos(pi x)) / 2`` vanishes with its
  slope at ``x = +-1``, so leakage decays as ``1/omega^6``: 4.5e-6 above 30 for the same
  function (Blackman-Harris: 9e-9; all three are tested). Its cost is a main lobe of +-2 bins
  (+-2 pi rad per unit x): a tone at omega is spread over ``[omega - 2 pi, omega + 2 pi]``, so
  a threshold is resolved to that width (0.2 omega_0 at omega_0 = 30). ``"blackmanharris"``
  (+-4 bins) and ``"none"`` are available for checks.
* **Mean removal.** The readout bias and any offset of the function carry no frequency; removing
  the mean makes every energy fraction exactly invariant to ``f -> a f + c`` (tested).

Per network: the energy fraction above ``k omega_0`` for each ``k`` in ``ks``
(:func:`energy_above`), the spectral centroid ``sum_k omega_k E_k / sum_k E_k``
(:func:`spectral_centroid`), and ``energy_top_octave``, the fraction above ``omega_N / 2``: the
aliasing check (energy above Nyquist folds back below it; when the top octave is empty, so is the
band above Nyquist). Over networks (the replicates, each drawn with its own weights): the mean
and a 95% Student-t interval, ``mean +- t_{0.975, S-1} sd / sqrt(S)`` (:func:`t_interval`);
the spectra themselves (share of the energy per bin) get a 95% percentile-bootstrap interval of
the mean (:func:`bootstrap_interval`), which stays positive for these heavy-tailed shares.

Grid size (:func:`default_points`): the Nyquist frequency is made at least
``NYQUIST_FACTOR[d] * omega_0 * sqrt(max(1, depth / 4))``. The factor 16 in 1-D (8 per axis in
2-D, where the cost is ``G^2``) leaves more than a decade of band above the first-layer
frequencies; the ``sqrt(depth / 4)`` factor follows the growth of the mean-square frequency with
depth, which the mean field multiplies by the layer gain ``chi`` per layer
(``E|dz_{l+1}/dx|^2 = chi_l E|dz_l/dx|^2``; chi = sigma_g^2 ~ 1.013 for the SIREN reference init
at width 256, see :mod:`theory.sine`), so ``chi^{L/2}`` stays below ``sqrt(L/4)`` over depths
4-32. Initializers deep in the chaotic phase outgrow any such rule (sigma_w^2 = 2 with zero
bias, as He and the sinusoidal rules give in a sine network: chi ~ 1.2 per layer), so every run
checks ``energy_top_octave`` and doubles the grid while any network has more than
:data:`TOP_OCTAVE_TOL` = 1e-4 of its energy in the top octave, up to :data:`MAX_POINTS`; a cell
that still fails is reported with ``resolved = False``.

Depth sweep (:class:`DepthSweepConfig`, :func:`depth_sweep`): every registered initializer that
applies to linear layers, as a sine network, depths 4-32, one cached cell (:class:`SpectrumConfig`)
per (init, depth). First layer (``first_layer``): ``"auto"`` keeps the own first layer of the
initializers that carry a frequency (siren, siren_port, edge_of_chaos*) and gives the others the
edge-of-chaos first layer ``W_0 ~ U(+-omega_0/d)``, ``b_0 = 0`` (their own first layer has no
omega_0, so their spectrum would sit near 0 and say nothing about the hidden layers); ``"own"``
keeps every initializer's own first layer; ``"omega0"`` gives every initializer the edge-of-chaos
first layer. Hidden layers and readout are always the initializer's own
(:meth:`models.mlp.Ensemble.from_init`, folded form).

Weight matrices
---------------
:func:`matrix_spectrum` describes one matrix ``W`` (m x n, p = min(m, n)):

* singular values (float64, one SVD per matrix), numerical rank and condition number: the
  rank counts singular values above ``rtol * s_max`` with ``rtol = max(4 eps(dtype), 1e-10)``
  (:func:`initaudit.analysis.weights.rank_rtol`, which says why; the package's one rank rule,
  which ``initaudit weights`` applies too). The default rule of torch and numpy,
  ``max(m, n) eps(dtype)`` (reported beside it as ``rank_default``), calls about 6% of random square float32 512 x 512 matrices rank-deficient
  and misses the deficiency of the square sinusoidal matrix in float64. Moments and distances
  of the entries to reference laws stay with :func:`analysis.weights.weight_stats`
  (``initaudit weights``);
* the **effective rank** of Roy and Vetterli (2007), ``exp(H(p))`` with ``p_i = s_i / sum_j s_j``
  and ``H`` the Shannon entropy (:func:`effective_rank`): n for the identity, 1 for rank one;
  and the stable rank ``||W||_F^2 / s_max^2``;
* the **Marchenko-Pastur distance**: the eigenvalues of the smaller Gram matrix
  ``W W^T / (n s2)`` (m <= n; else ``W^T W / (m s2)``), with ``s2 = mean(W_ij^2)`` the matrix's
  own second moment, so that their mean is exactly 1, the MP mean; they are compared with the MP
  law of ratio ``lambda = p / max(m, n)`` and variance 1 (support ``[(1 - sqrt(lambda))^2,
  (1 + sqrt(lambda))^2]``) by the Kolmogorov-Smirnov statistic ``sup |ECDF - F_MP|``
  (Marchenko and Pastur 1967). For i.i.d. entries it is O(1/sqrt(p)) or smaller (eigenvalues are
  more rigid than i.i.d. samples); a structured matrix scores O(1);
* the **index-order Fourier power**: the 2-D DFT of ``W - mean(W)`` over its (row, column)
  index order, and the fraction of its energy at the ``k`` lowest frequencies along each axis,
  ``|freq index| <= k`` (``2k + 1`` of the ``m`` row frequencies). For i.i.d. entries every
  non-zero frequency has the same expected power, so the fraction is
  ``((2k + 1) n - 1) / (m n - 1) ~ (2k + 1) / m`` (ratio of expectations); ``low_*_enrichment``
  divides the measured fraction by it (1: no structure along that index; up to ``m / (2k+1)``).
  Default ``k = max(1, size // 32)`` per axis. Also ``fourier_top1``: the share of the energy in
  the largest 1% of the 2-D Fourier coefficients (i.i.d. Gaussian: ~0.056, exponential powers).

:func:`weight_spectra` applies it to every registered initializer: the linear ones at square and
non-square shapes (the deterministic sinusoidal matrices are rank-deficient when square: row
``n - k`` of the square pattern is minus row ``k``, so the rank is ``floor((n - 1) / 2)``), and
the 12 embedding strategies of :mod:`models.embeddings` at the language model's (vocabulary,
width).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from typing import Sequence

import numpy as np
import pandas as pd
import torch
from scipy import stats

from initaudit.analysis.cache import cached
from initaudit.analysis.stats import bootstrap_interval, t_interval
from initaudit.models.activations import ACTIVATIONS as _ACTIVATIONS
from initaudit.analysis.weights import RANK_RTOL_EPS, RANK_RTOL_FLOOR, numerical_rank, rank_rtol
from initaudit.theory.checks import choice as _choice
from initaudit.theory.checks import positive_float as _positive
from initaudit.models import seeds
from initaudit.models.device import resolve_device
from initaudit.theory.checks import int_at_least
from initaudit.analysis.experiment import cell_runner
# The estimator lives with its expectation in theory.spectral (one definition for both).
from initaudit.theory.spectral import (DIMS as _DIMS, LENGTH, NYQUIST_FACTOR, WINDOWS,  # noqa: F401
                                       angular_frequencies, check_points as _check_points,
                                       default_points, energy_above, grid_coords, grid_inputs,
                                       nyquist, radial_frequency, spectral_centroid, spectrum_1d,
                                       spectrum_2d, window_values)

__all__ = [
    "run_cell",
    "DEFAULT_KS", "DepthSweepConfig", "FIRST_LAYERS", "LENGTH", "MAX_POINTS", "NYQUIST_FACTOR",
    "OMEGA0", "SpectrumConfig", "TOP_OCTAVE_TOL", "WINDOWS", "WeightSpectraConfig",
    "angular_frequencies", "bootstrap_interval", "build_ensemble", "default_points",
    "depth_sweep", "effective_rank", "energy_above", "evaluate", "gram_eigenvalues",
    "network_spec", "theory_shares",
    "grid_coords", "grid_inputs", "index_fourier", "index_marginals", "iid_low_fraction",
    "linear_inits", "make_weight", "matrix_spectrum", "mp_cdf", "mp_distance", "mp_pdf",
    "mp_support", "network_spectra", "nyquist", "radial_average", "radial_frequency", "rank_rtol",
    "run_depth_sweep", "run_spectrum", "run_weight_spectra", "spectral_centroid", "spectrum_1d",
    "singular_values", "spectrum_2d", "stable_rank", "sweep_cells", "t_interval",
    "weight_spectra",
    "window_values",
]

#: Energy thresholds, as multiples k of omega_0, reported by default.
DEFAULT_KS = (0.5, 1.0, 2.0, 4.0)
#: First-layer choices of the network spectra (see the module docstring).
FIRST_LAYERS = ("auto", "own", "omega0")
#: Default first-layer frequency: SIREN's omega_0 = 30 (Sitzmann et al. 2020, Sec. 3.2).
OMEGA0 = 30.0
#: Aliasing check: largest share of the energy allowed in the grid's top octave.
TOP_OCTAVE_TOL = 1e-4
#: Largest grid per axis the refinement goes to, per dims.
MAX_POINTS = {1: 16384, 2: 1024}
_DTYPES = ("float32", "float64")
# Largest number of float64 values one chunk of the forward pass holds per layer.
_CHUNK_VALUES = 1 << 24


# ----------------------------------------------------------------------------------------------
# Validation helpers


def _count(value, what: str, minimum: int = 1) -> int:
    return int_at_least(value, minimum, what)


def radial_average(energy, omega_r, bin_width: float = math.pi,
                   max_frequency: float | None = None) -> pd.DataFrame:
    """Annulus sums and means of a 2-D spectrum.

    Annulus ``m`` holds the bins with ``|omega|`` in ``[(m - 1/2) w, (m + 1/2) w)``, ``w`` the bin
    width (default ``pi``, the grid's resolution); only complete annuli (centre at most the
    Nyquist frequency ``max |omega_x|``, or ``max_frequency``) are returned.

    Args:
        energy: ``(G, G)`` spectrum from :func:`spectrum_2d` (leading axes, e.g. networks, are
            averaged first).
        omega_r: the radial frequencies of its bins.
        bin_width: annulus width in rad per unit x.
        max_frequency: largest annulus centre kept (default: the Nyquist frequency).

    Returns:
        DataFrame with ``omega`` (annulus centre), ``energy`` (sum over the annulus), ``power``
        (mean per bin: the radially averaged power spectrum) and ``count`` (bins).
    """
    e = np.asarray(energy, dtype=np.float64)
    r = np.asarray(omega_r, dtype=np.float64)
    if e.shape[-2:] != r.shape:
        raise ValueError(f"energy {e.shape} and omega_r {r.shape} do not match")
    bin_width = _positive(bin_width, "bin_width")
    if e.ndim > 2:
        e = e.reshape(-1, *r.shape).mean(axis=0)
    nyq = max_frequency if max_frequency is not None else float(r[0].max())
    idx = np.floor(r / bin_width + 0.5).astype(int).ravel()
    n_bins = int(math.floor(nyq / bin_width + 1e-9)) + 1
    keep = idx < n_bins
    sums = np.bincount(idx[keep], weights=e.ravel()[keep], minlength=n_bins)
    counts = np.bincount(idx[keep], minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    return pd.DataFrame({"omega": bin_width * np.arange(n_bins), "energy": sums, "power": mean,
                         "count": counts})


# ----------------------------------------------------------------------------------------------
# Networks


def linear_inits() -> list[str]:
    """Every registered initializer that fills whole fully connected layers (sorted)."""
    from initaudit.models.mlp import linear_init_names

    return linear_init_names()


def build_ensemble(init: str, depth: int, width: int, n_networks: int, *, dims: int = 1,
                   omega0: float = OMEGA0, first_layer: str = "auto", activation: str = "sin",
                   seed: int = 0, dtype: str = "float64", device=None):
    """S networks ``[-1, 1]^dims -> R`` with the registered initializer ``init``.

    :meth:`models.mlp.Ensemble.draw` (the catalogue rule, folded form, replicate ``seed``'s weight
    stream), with the first layer by ``first_layer`` (:data:`FIRST_LAYERS`; see the module
    docstring): ``auto`` keeps the entry's own first layer when it has a frequency and replaces
    it by ``W_0 ~ U(+-omega0/dims)``, ``b_0 = 0`` otherwise. A deterministic initializer with a
    random first layer gives S networks that share their hidden weights; with its own first
    layer it gives one network.

    Returns:
        A :class:`models.mlp.Ensemble` whose ``spec`` is the :class:`theory.spec.NetworkSpec` of
        the networks drawn (the replaced first layer included).
    """
    from initaudit.models.mlp import Ensemble

    _choice(dtype, _DTYPES, "dtype")
    kw = _draw_arguments(init, dims, omega0, first_layer, activation)
    ens, sp = Ensemble.draw(init, dims, _count(width, "width"), _count(depth, "depth"),
                            _count(n_networks, "n_networks"), seed=seed, dtype=dtype, **kw)
    ens.spec = sp
    if ens.omega0 is None:
        ens.omega0 = omega0
    return ens.to(device=resolve_device(device))


def evaluate(ens, x) -> np.ndarray:
    """Outputs of every network of ``ens`` at the inputs ``x`` (P, d): array (S, P), float64.

    The forward pass keeps one layer at a time and runs over chunks of inputs, so that memory is
    bounded by ``S * chunk * width`` values whatever the grid.
    """
    from initaudit.models.mlp import activation_fn

    if ens.d_out != 1:
        raise ValueError(f"the spectrum needs a scalar output, got d_out = {ens.d_out}")
    f = activation_fn(ens.activation)
    x = torch.as_tensor(np.asarray(x), dtype=ens.dtype, device=ens.device)
    if x.dim() != 2 or x.shape[1] != ens.d_in:
        raise ValueError(f"inputs must have shape (P, {ens.d_in}), got {tuple(x.shape)}")
    chunk = max(1, _CHUNK_VALUES // (ens.n_networks * max(ens.width, 1)))
    out = []
    with torch.no_grad():
        for start in range(0, x.shape[0], chunk):
            h = x[start:start + chunk].unsqueeze(0).expand(ens.n_networks, -1, -1)
            for l in range(ens.depth + 1):
                z = ens.layer(l, h)
                h = f(z) if l < ens.depth else z
            out.append(h[..., 0].to("cpu", torch.float64))
    return torch.cat(out, dim=1).numpy()


def network_spectra(ens, points: int, dims: int = 1, window: str = "hann",
                    remove_mean: bool = True) -> dict:
    """Spectra of every network of ``ens`` on the grid of ``points`` per axis.

    Returns:
        dict with ``omega`` (bins: 1-D one-sided frequencies, 2-D the flattened radial
        frequencies), ``energy`` (S, K) per network, ``values`` (S, G^dims) the function values,
        and for 2-D ``radial`` (per network annulus energies, (S, M)) with ``radial_omega`` (M,).
    """
    points = _check_points(points)
    _choice(dims, _DIMS, "input dimension")
    if ens.d_in != dims:
        raise ValueError(f"the ensemble takes {ens.d_in}-D inputs but dims = {dims}")
    y = evaluate(ens, grid_inputs(points, dims))
    if dims == 1:
        omega, energy = spectrum_1d(y, window, remove_mean)
        return {"omega": omega, "energy": energy, "values": y}
    omega_r, e2 = spectrum_2d(y.reshape(-1, points, points), window, remove_mean)
    radial = [radial_average(e, omega_r) for e in e2]
    return {"omega": omega_r.ravel(), "energy": e2.reshape(e2.shape[0], -1), "values": y,
            "radial_omega": radial[0].omega.to_numpy(),
            "radial": np.stack([r.energy.to_numpy() for r in radial])}


@dataclass(frozen=True)
class SpectrumConfig:
    """One cell: the spectra of S networks of one initializer at one depth.

    Attributes:
        init: registered initializer for fully connected layers (:func:`linear_inits`).
        depth: number of sine (activated) layers L.
        width: hidden width N.
        n_networks: S, independent networks (the replicates of every interval).
        dims: input dimension, 1 or 2 (the function lives on [-1, 1]^dims).
        omega0: first-layer frequency (rad per unit x) and the unit of every threshold.
        points: grid points per axis; None: :func:`default_points` (omega0, depth, dims).
        window: one of :data:`WINDOWS`.
        remove_mean: subtract the grid mean before the transform.
        ks: thresholds k of the energy fractions above k omega_0.
        first_layer: one of :data:`FIRST_LAYERS`.
        activation: the nonlinearity (the sweep is about sine networks).
        seed: generator seed of the weights.
        dtype: "float64" (default: energy fractions down to 1e-12 are meaningful) or "float32".
        refine: double the grid while any network has more than ``top_octave_tol`` of its
            energy in the top octave ``(omega_N / 2, omega_N]`` (the aliasing check), up to
            ``max_points``; the result says ``resolved`` = False if the largest grid still fails.
        top_octave_tol: the aliasing check's threshold.
        max_points: largest grid per axis (None: :data:`MAX_POINTS` for ``dims``).
    """

    init: str
    depth: int
    width: int
    n_networks: int = 8
    dims: int = 1
    omega0: float = OMEGA0
    points: int | None = None
    window: str = "hann"
    remove_mean: bool = True
    ks: tuple[float, ...] = DEFAULT_KS
    first_layer: str = "auto"
    activation: str = "sin"
    seed: int = 0
    dtype: str = "float64"
    refine: bool = True
    top_octave_tol: float = TOP_OCTAVE_TOL
    max_points: int | None = None

    def grid_points(self) -> int:
        """The points per axis this cell uses."""
        if self.points is None:
            return default_points(self.omega0, self.depth, self.dims)
        return _check_points(self.points)

    def validate(self) -> "SpectrumConfig":
        """Raise ValueError for any bad field (the message lists valid options)."""
        _choice(self.init, linear_inits(), "initializer")
        _count(self.depth, "depth")
        _count(self.width, "width")
        _count(self.n_networks, "n_networks")
        _choice(self.dims, _DIMS, "input dimension")
        _positive(self.omega0, "omega0")
        _choice(self.window, WINDOWS, "window")
        _choice(self.first_layer, FIRST_LAYERS, "first_layer")
        _choice(self.activation, _ACTIVATIONS, "activation")
        _choice(self.dtype, _DTYPES, "dtype")
        if not self.ks:
            raise ValueError("ks must hold at least one threshold multiple k > 0")
        for k in self.ks:
            _positive(k, "every k in ks")
        _positive(self.top_octave_tol, "top_octave_tol")
        if self.max_points is not None:
            _check_points(self.max_points, "max_points")
        points = self.grid_points()
        nyq = nyquist(points)
        if nyq <= max(self.ks) * self.omega0:
            need = int(2 * math.ceil(max(self.ks) * self.omega0 / math.pi + 1))
            raise ValueError(
                f"a grid of {points} points resolves frequencies up to pi G / 2 = {nyq:.1f} rad "
                f"per unit x, not above the largest threshold {max(self.ks):g} * omega0 = "
                f"{max(self.ks) * self.omega0:g}; use at least {need} points (the default "
                f"rule gives {default_points(self.omega0, self.depth, self.dims)})")
        return self


def _meta(cfg: SpectrumConfig, points: int, n_networks: int) -> dict:
    return {"init": cfg.init, "depth": cfg.depth, "width": cfg.width, "dims": cfg.dims,
            "omega0": cfg.omega0, "points": points, "nyquist": nyquist(points),
            "n_networks": n_networks, "window": cfg.window, "first_layer": cfg.first_layer,
            "activation": cfg.activation, "seed": cfg.seed}


def _draw_arguments(init, dims, omega0, first_layer, activation) -> dict:
    """The keyword arguments of :meth:`models.mlp.Ensemble.draw` for a spectrum cell (validated;
    ``first_layer="auto"`` resolved)."""
    from initaudit.models import catalogue

    _choice(init, linear_inits(), "initializer")
    _choice(first_layer, FIRST_LAYERS, "first_layer")
    _choice(dims, _DIMS, "input dimension")
    _choice(activation, _ACTIVATIONS, "activation")
    omega0 = _positive(omega0, "omega0")
    has_freq = catalogue.get(init).omega0 is not None
    if first_layer == "auto":
        first_layer = "own" if has_freq else "omega0"
    return {"activation": activation, "first_layer": first_layer,
            "omega0": omega0 if (has_freq or first_layer == "omega0") else None}


def network_spec(init: str, depth: int, width: int, *, dims: int = 1, omega0: float = OMEGA0,
                 first_layer: str = "auto", activation: str = "sin"):
    """The :class:`theory.spec.NetworkSpec` of the networks :func:`build_ensemble` draws (the
    first layer replaced as ``first_layer`` says): the laws a spectrum cell measures. No weight
    is drawn."""
    from initaudit.models.mlp import Ensemble

    kw = _draw_arguments(init, dims, omega0, first_layer, activation)
    return Ensemble.drawn_spec(init, dims, _count(width, "width"), _count(depth, "depth"), **kw)


def has_law(init: str) -> bool:
    """Whether the hidden layers of ``init`` are drawn from a law (catalogue ``random``): only
    then is the infinite-width output a Gaussian process that :func:`theory_shares` predicts. A
    deterministic rule (sinusoidal) has a variance-matched spec, which describes other networks."""
    from initaudit.models import catalogue

    return bool(catalogue.get(init).random)


def theory_shares(spec, points: int, dims: int, omega0: float, ks=DEFAULT_KS,
                  window: str = "hann", remove_mean: bool = True,
                  law: str = "exact") -> dict | None:
    """The infinite-width prediction of a cell's measurement, through the same estimator.

    The output of the network described by ``spec`` is, at infinite width, a Gaussian process with
    the NNGP kernel of :func:`theory.kernels.kernels` (under ``law``); :func:`theory.spectral.
    expected_shares` gives the expected share above each ``k omega_0`` and the expected centroid
    that the measurement averages over networks, on the same grid and window.

    Returns:
        ``{"energy_above": {k: share}, "centroid": rad per unit x, "energy_above_ratio_of_means":
        {k: share}, "spectrum": (omega, expected normalised power)}``, or None when the grid has
        more than :data:`theory.spectral.MAX_THEORY_POINTS` points or the kernel's
        input-dependent part is below float64's resolution
        (:class:`theory.spectral.KernelResolutionError`).
    """
    from initaudit.theory import spectral
    from initaudit.theory.kernels import nngp

    points = _check_points(points)
    if points ** dims > spectral.MAX_THEORY_POINTS:
        return None
    cov = nngp(spec, grid_inputs(points, dims), law=law)
    ks = tuple(float(k) for k in ks)
    try:
        res = spectral.expected_shares(cov, [k * omega0 for k in ks], dims, window, remove_mean)
    except spectral.KernelResolutionError:
        return None
    return {"energy_above": dict(zip(ks, res["mean_ratio"].tolist())),
            "energy_above_ratio_of_means": dict(zip(ks, res["ratio_of_means"].tolist())),
            "centroid": res["mean_centroid"], "spectrum": res["spectrum"]}


def run_spectrum(cfg: SpectrumConfig, device=None) -> dict:
    """Measure one cell, with the infinite-width prediction beside it.

    Returns:
        dict of three tidy DataFrames, each with the cell's metadata columns (init, depth,
        width, dims, omega0, points, nyquist, n_networks, window, first_layer, activation, seed):

        ``per_network``: one row per (network, quantity[, k]) with ``value``;
        ``summary``: one row per (quantity[, k]) with ``mean``, ``lo``, ``hi`` (95% t-interval
        over the networks), ``sd``, ``n``; quantities ``energy_above`` (column ``k``, the
        threshold ``k omega_0`` in ``threshold``), ``centroid`` (rad per unit x),
        ``centroid_over_omega0`` and ``energy_top_octave`` (energy above ``omega_N / 2``);
        ``predicted`` and ``predicted_gaussian``: the infinite-width expectation of the same
        average under the exact and the Gaussian law (:func:`theory_shares`; NaN for a
        deterministic initializer, whose hidden layers have no law, for a cell whose largest
        grid still aliases (``resolved`` False: the measurement is then a floor-limited
        estimate) and for grids past :data:`theory.spectral.MAX_THEORY_POINTS`);
        ``spectrum``: one row per frequency bin (1-D) or annulus (2-D) with ``omega``,
        ``omega_over_omega0`` and the normalised power (each network's energies divided by its
        total, so that they sum to 1) as ``power`` (mean over networks), ``power_lo``,
        ``power_hi`` (95% percentile-bootstrap interval of that mean,
        :func:`bootstrap_interval`); 1-D: ``predicted_power``, the exact law's expected energy per
        bin over the expected total.
    """
    cfg.validate()
    points = cfg.grid_points()
    ens = build_ensemble(cfg.init, cfg.depth, cfg.width, cfg.n_networks, dims=cfg.dims,
                         omega0=cfg.omega0, first_layer=cfg.first_layer,
                         activation=cfg.activation, seed=cfg.seed, dtype=cfg.dtype,
                         device=device)
    max_points = cfg.max_points if cfg.max_points is not None else MAX_POINTS[cfg.dims]
    while True:
        spec = network_spectra(ens, points, cfg.dims, cfg.window, cfg.remove_mean)
        omega, energy = spec["omega"], spec["energy"]
        top = energy_above(omega, energy, [nyquist(points) / 2.0])[:, 0]
        resolved = bool(np.nanmax(top) <= cfg.top_octave_tol)
        if resolved or not cfg.refine or points >= max_points:
            break
        # aliasing check failed: the spectrum reaches the grid's top octave; double the grid
        # (at most to max_points)
        points = min(2 * points, max_points)
    s = energy.shape[0]
    ks = tuple(float(k) for k in cfg.ks)
    frac = energy_above(omega, energy, [k * cfg.omega0 for k in ks])
    centroid = spectral_centroid(omega, energy)
    meta = {**_meta(cfg, points, s), "resolved": resolved}

    per_rows, sum_rows = [], []

    def add(quantity, values, k=math.nan, threshold=math.nan):
        for net, v in enumerate(values):
            per_rows.append({**meta, "network": net, "quantity": quantity, "k": k,
                             "threshold": threshold, "value": float(v)})
        sum_rows.append({**meta, "quantity": quantity, "k": k, "threshold": threshold,
                         **t_interval(values)})

    for j, k in enumerate(ks):
        add("energy_above", frac[:, j], k, k * cfg.omega0)
    add("centroid", centroid)
    add("centroid_over_omega0", centroid / cfg.omega0)
    add("energy_top_octave", top, threshold=nyquist(points) / 2.0)
    theory = {}
    if resolved and has_law(cfg.init) and ens.spec is not None:
        for law in ("exact", "gaussian"):
            theory[law] = theory_shares(ens.spec, points, cfg.dims, cfg.omega0, ks, cfg.window,
                                        cfg.remove_mean, law)
    for row in sum_rows:
        for law, column in (("exact", "predicted"), ("gaussian", "predicted_gaussian")):
            t = theory.get(law)
            value = math.nan
            if t is not None and row["quantity"] == "energy_above":
                value = t["energy_above"][row["k"]]
            elif t is not None and row["quantity"] == "centroid":
                value = t["centroid"]
            elif t is not None and row["quantity"] == "centroid_over_omega0":
                value = t["centroid"] / cfg.omega0
            row[column] = value

    if cfg.dims == 1:
        bins, e = omega, energy
    else:
        bins, e = spec["radial_omega"], spec["radial"]
    with np.errstate(invalid="ignore", divide="ignore"):
        norm = e / energy.sum(axis=-1, keepdims=True)
    lo, hi = bootstrap_interval(norm, seed=seeds.derived_seed(cfg.seed, seeds.STREAM_RESAMPLE))
    spectrum = pd.DataFrame({
        "omega": bins, "omega_over_omega0": bins / cfg.omega0,
        "power": norm.mean(axis=0), "power_lo": lo, "power_hi": hi})
    exact = theory.get("exact")
    spectrum["predicted_power"] = (exact["spectrum"][1] if exact is not None and cfg.dims == 1
                                   else math.nan)
    for key, val in meta.items():
        spectrum[key] = val
    return {"per_network": pd.DataFrame(per_rows), "summary": pd.DataFrame(sum_rows),
            "spectrum": spectrum}


@dataclass(frozen=True)
class DepthSweepConfig:
    """The depth sweep of the network spectrum (the claim of arXiv 2512.06427, its Fig. 4).

    Attributes:
        inits: initializers; the empty tuple means every one of :func:`linear_inits`.
        depths: depths L.
        width, n_networks, dims, omega0, points, window, remove_mean, ks, first_layer,
        activation, seed, dtype, refine, top_octave_tol, max_points: per cell, see
        :class:`SpectrumConfig`.
    """

    inits: tuple[str, ...] = ()
    depths: tuple[int, ...] = (4, 8, 16, 32)
    width: int = 256
    n_networks: int = 8
    dims: int = 1
    omega0: float = OMEGA0
    points: int | None = None
    window: str = "hann"
    remove_mean: bool = True
    ks: tuple[float, ...] = DEFAULT_KS
    first_layer: str = "auto"
    activation: str = "sin"
    seed: int = 0
    dtype: str = "float64"
    refine: bool = True
    top_octave_tol: float = TOP_OCTAVE_TOL
    max_points: int | None = None


def sweep_cells(cfg: DepthSweepConfig) -> list[SpectrumConfig]:
    """The independent cells of a sweep, validated (init-major, then depth)."""
    inits = cfg.inits or tuple(linear_inits())
    if not cfg.depths:
        raise ValueError("depths must hold at least one depth")
    shared = {f.name: getattr(cfg, f.name) for f in fields(cfg) if f.name not in ("inits",
                                                                                  "depths")}
    return [SpectrumConfig(init=i, depth=int(d), **shared).validate()
            for i in inits for d in cfg.depths]


def run_depth_sweep(cfg: DepthSweepConfig, *, use_cache: bool = True, device=None) -> pd.DataFrame:
    """The summary rows of every cell of ``cfg`` (each cell cached on its own)."""
    frames = []
    for cell in sweep_cells(cfg):
        res = cached(cell, run_spectrum) if use_cache else run_spectrum(cell, device=device)
        frames.append(res["summary"])
    return pd.concat(frames, ignore_index=True)


def depth_sweep(cfg: DepthSweepConfig | None = None, **overrides) -> pd.DataFrame:
    """Energy above ``k omega_0`` and spectral centroid against depth, per initializer.

    Cached as a whole and per cell (:func:`analysis.cache.cached`), so an interrupted sweep
    resumes at the first missing cell.

    Args:
        cfg: the sweep (default :class:`DepthSweepConfig`); keyword ``overrides`` replace fields.

    Returns:
        The tidy summary table of :func:`run_spectrum` for all cells: one row per (init, depth,
        quantity[, k]) with ``mean``, ``lo``, ``hi`` (95% t-interval over networks).
    """
    cfg = replace(cfg or DepthSweepConfig(), **overrides)
    sweep_cells(cfg)  # validate before touching the cache
    return cached(cfg, run_depth_sweep)


# ----------------------------------------------------------------------------------------------
# Weight matrices


def make_weight(name: str, shape: Sequence[int], seed: int = 0,
                dtype: torch.dtype = torch.float32, *, keys: tuple[int, ...] = (),
                **kwargs) -> torch.Tensor:
    """A tensor of ``shape`` filled by the registered initializer ``name``.

    The catalogue entry's function is called as ``fn(tensor, generator=g, **kwargs)`` with ``g``
    on replicate ``seed``'s weight stream, ``(seed, STREAM_INIT, *keys)`` of
    :mod:`initaudit.models.seeds` (for a linear initializer: its hidden-layer weight rule in the
    source's own parameterisation; for an embedding strategy: the (V, D) matrix at Xavier scale).

    Raises:
        ValueError: unknown name (listing the valid ones) or a bad shape.
    """
    from initaudit.models import catalogue

    rule = catalogue.tensor_rule(name)
    shape = tuple(shape)
    if len(shape) < 2 or any(isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 1
                             for d in shape):
        raise ValueError(f"shape must hold at least two positive integers (OUT IN ...), "
                         f"got {shape!r}")
    tensor = torch.empty(tuple(int(d) for d in shape), dtype=dtype)
    rule(tensor, generator=seeds.torch_generator(seed, seeds.STREAM_INIT, *keys), **kwargs)
    return tensor


def _as_matrix(matrix) -> np.ndarray:
    if isinstance(matrix, torch.Tensor):
        matrix = matrix.detach().cpu().to(torch.float64).numpy()
    m = np.asarray(matrix, dtype=np.float64)
    if m.ndim < 2 or m.size == 0:
        raise ValueError(f"a non-empty matrix (at least 2 dimensions) is required, got shape "
                         f"{m.shape}")
    if not np.all(np.isfinite(m)):
        raise ValueError("the matrix contains nan or inf")
    return m.reshape(m.shape[0], -1)


def singular_values(matrix) -> np.ndarray:
    """Singular values (float64, descending) of the matrix view (conv weights flattened)."""
    return np.linalg.svd(_as_matrix(matrix), compute_uv=False)


def effective_rank(sv) -> float:
    """Effective rank of Roy and Vetterli (2007): ``exp(-sum_i p_i log p_i)``, ``p = s / sum s``.

    Zero singular values contribute nothing (``0 log 0 = 0``). Equals n for n equal singular
    values and 1 for a rank-one matrix; nan for the zero matrix.
    """
    s = np.abs(np.asarray(sv, dtype=np.float64).ravel())
    total = s.sum()
    if not total > 0:
        return math.nan
    p = s[s > 0] / total
    return float(np.exp(-np.sum(p * np.log(p))))


def stable_rank(sv) -> float:
    """``||W||_F^2 / ||W||_2^2 = sum s_i^2 / s_max^2`` (nan for the zero matrix)."""
    s = np.asarray(sv, dtype=np.float64)
    return float(np.sum(s ** 2) / s.max() ** 2) if s.size and s.max() > 0 else math.nan


def mp_support(ratio: float, variance: float = 1.0) -> tuple[float, float]:
    """Support ``variance * (1 -+ sqrt(ratio))^2`` of the Marchenko-Pastur law, ratio in (0, 1]."""
    ratio = _positive(ratio, "ratio")
    if ratio > 1:
        raise ValueError(f"ratio must be in (0, 1] (use min/max of the shape), got {ratio}")
    return (variance * (1 - math.sqrt(ratio)) ** 2, variance * (1 + math.sqrt(ratio)) ** 2)


def mp_pdf(x, ratio: float, variance: float = 1.0) -> np.ndarray:
    """Marchenko-Pastur density ``sqrt((b - x)(x - a)) / (2 pi variance ratio x)`` on [a, b]."""
    a, b = mp_support(ratio, variance)
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        d = np.sqrt(np.clip((b - x) * (x - a), 0, None)) / (2 * math.pi * variance * ratio * x)
    return np.where((x > a) & (x < b), d, 0.0)


# Gauss-Legendre nodes for the CDF: the substitution below makes the integrand smooth.
_GL_X, _GL_W = np.polynomial.legendre.leggauss(48)


def mp_cdf(x, ratio: float, variance: float = 1.0) -> np.ndarray:
    r"""Marchenko-Pastur CDF (ratio in (0, 1], no atom), by quadrature.

    With ``x = c - r cos(theta)`` (``c = (a + b)/2``, ``r = (b - a)/2``) the density becomes
    ``r^2 sin^2(theta) / (2 pi variance ratio (c - r cos theta)) d theta``, smooth on [0, pi]
    (also at ratio = 1, where the density diverges at 0), so 48-point Gauss-Legendre on
    [0, theta(x)] is exact to ~1e-13.
    """
    a, b = mp_support(ratio, variance)
    x = np.atleast_1d(np.asarray(x, dtype=np.float64))
    c, r = (a + b) / 2.0, (b - a) / 2.0
    theta = np.arccos(np.clip((c - x) / r, -1.0, 1.0))  # 0 at x = a, pi at x = b
    phi = theta[:, None] * (_GL_X[None, :] + 1.0) / 2.0
    with np.errstate(invalid="ignore", divide="ignore"):
        integrand = r ** 2 * np.sin(phi) ** 2 / (c - r * np.cos(phi))
    # ratio = 1 (c = r): the integrand tends to 2 r at phi -> 0; only theta = 0 reaches it.
    integrand = np.where(np.isfinite(integrand), integrand, 2.0 * r)
    out = (integrand * _GL_W[None, :]).sum(axis=1) * theta / 2.0
    out /= 2 * math.pi * variance * ratio
    return np.clip(out, 0.0, 1.0)


def gram_eigenvalues(matrix, sv=None) -> tuple[np.ndarray, float]:
    """Eigenvalues of the normalised smaller Gram matrix and the aspect ratio.

    ``W W^T / (n s2)`` for m <= n, else ``W^T W / (m s2)``, with ``s2 = mean(W_ij^2)``; their
    mean is exactly 1. Computed as squared singular values (pass ``sv`` if already known).

    Returns:
        ``(eigenvalues ascending, ratio = min(m, n) / max(m, n))``.
    """
    m = _as_matrix(matrix)
    rows, cols = m.shape
    s2 = float(np.mean(m ** 2))
    if not s2 > 0:
        raise ValueError("the zero matrix has no Marchenko-Pastur normalisation")
    sv = np.linalg.svd(m, compute_uv=False) if sv is None else np.asarray(sv, dtype=np.float64)
    eig = np.sort(sv ** 2 / (max(rows, cols) * s2))
    return eig, min(rows, cols) / max(rows, cols)


def mp_distance(matrix, sv=None) -> dict:
    """Kolmogorov-Smirnov distance of the Gram spectrum to the Marchenko-Pastur law.

    Args:
        matrix: (m, n) matrix.
        sv: its singular values, if already computed.

    Returns:
        dict with ``mp_ks`` (``sup |ECDF - F_MP|``), ``mp_ratio`` (lambda), ``mp_edge_hi``
        (largest eigenvalue over the MP upper edge) and ``mp_outside`` (fraction of eigenvalues
        outside the MP support by more than 1% of its width).
    """
    eig, ratio = gram_eigenvalues(matrix, sv)
    ks = float(stats.kstest(eig, lambda t: mp_cdf(t, ratio)).statistic)
    a, b = mp_support(ratio)
    tol = 0.01 * (b - a)
    return {"mp_ks": ks, "mp_ratio": ratio, "mp_edge_hi": float(eig[-1] / b),
            "mp_outside": float(np.mean((eig < a - tol) | (eig > b + tol)))}


def iid_low_fraction(n_axis: int, n_other: int, k: int) -> float:
    """Expected share of ``|freq| <= k`` along an axis of n_axis for i.i.d. entries (mean removed).

    ``(min(2k+1, n_axis) n_other - 1) / (n_axis n_other - 1)``: every non-zero 2-D frequency has
    the same expected power and the (0, 0) bin is emptied by the mean removal (ratio of
    expectations).
    """
    n_axis, n_other, k = _count(n_axis, "n_axis"), _count(n_other, "n_other"), _count(k, "k", 0)
    total = n_axis * n_other - 1
    if total == 0:
        return math.nan
    return (min(2 * k + 1, n_axis) * n_other - 1) / total


def _fold(n: int) -> np.ndarray:
    """|frequency index| of each DFT bin of length n: min(j, n - j)."""
    j = np.arange(n)
    return np.minimum(j, n - j)


def index_marginals(matrix) -> dict:
    """Energy of the 2-D index-order DFT of ``W - mean(W)`` per |frequency index| along each axis.

    Returns:
        dict with ``rows_freq`` (0..floor(m/2)), ``rows_energy`` (share of the energy at each
        |row frequency|, summed over column frequencies; sums to 1), and ``cols_freq``,
        ``cols_energy`` likewise.
    """
    m = _as_matrix(matrix)
    power = np.abs(np.fft.fft2(m - m.mean())) ** 2
    total = power.sum()
    out = {}
    for axis, key in ((0, "rows"), (1, "cols")):
        n = m.shape[axis]
        marg = power.sum(axis=1 - axis)
        e = np.bincount(_fold(n), weights=marg, minlength=n // 2 + 1)
        out[f"{key}_freq"] = np.arange(n // 2 + 1)
        out[f"{key}_energy"] = e / total if total > 0 else np.full(e.shape, math.nan)
    return out


def index_fourier(matrix, k_rows: int | None = None, k_cols: int | None = None) -> dict:
    """Low-frequency shares of the index-order Fourier power along each axis (see the module doc).

    Args:
        matrix: (m, n) matrix (rows: output units or tokens; columns: input units or dims).
        k_rows, k_cols: cutoffs; None: ``max(1, size // 32)``.

    Returns:
        dict with ``k_rows``, ``low_rows`` (share at ``|row freq| <= k_rows``), ``low_rows_iid``,
        ``low_rows_enrichment`` (``low_rows / low_rows_iid``), the same for ``cols``, and
        ``fourier_top1`` (share of the energy in the largest 1% of the 2-D coefficients).
    """
    m = _as_matrix(matrix)
    rows, cols = m.shape
    k_rows = max(1, rows // 32) if k_rows is None else _count(k_rows, "k_rows", 0)
    k_cols = max(1, cols // 32) if k_cols is None else _count(k_cols, "k_cols", 0)
    power = np.abs(np.fft.fft2(m - m.mean())) ** 2
    total = power.sum()
    out: dict = {"k_rows": k_rows, "k_cols": k_cols}
    if not total > 0:
        return {**out, **{key: math.nan for key in (
            "low_rows", "low_rows_iid", "low_rows_enrichment", "low_cols", "low_cols_iid",
            "low_cols_enrichment", "fourier_top1")}}
    for axis, key, k, n, other in ((0, "rows", k_rows, rows, cols),
                                   (1, "cols", k_cols, cols, rows)):
        marg = power.sum(axis=1 - axis)
        low = float(marg[_fold(n) <= k].sum() / total)
        iid = iid_low_fraction(n, other, k)
        out[f"low_{key}"] = low
        out[f"low_{key}_iid"] = iid
        out[f"low_{key}_enrichment"] = low / iid if iid > 0 else math.nan
    flat = np.sort(power.ravel())[::-1]
    n_top = max(1, int(math.ceil(0.01 * flat.size)))
    out["fourier_top1"] = float(flat[:n_top].sum() / total)
    return out


def _dtype_of(matrix) -> torch.dtype:
    return matrix.dtype if isinstance(matrix, torch.Tensor) else torch.float64


def matrix_spectrum(matrix, sv=None) -> dict:
    """Every weight-matrix statistic of this module for one matrix (scalars only).

    One SVD per matrix (float64), shared by every statistic. Moments and the distances of the
    entries to reference laws are :func:`analysis.weights.weight_stats` (``initaudit weights``);
    ``rank`` and ``rank_default`` are :func:`initaudit.analysis.weights.numerical_rank`'s, as in
    that function.

    Args:
        matrix: a torch tensor (its dtype sets the numerical-rank tolerance) or array (taken as
            float64); conv weights are flattened to (C_out, rest).
        sv: its singular values, if already computed.

    Returns:
        dict with ``rows``, ``cols``; ``rank`` (singular values above ``rank_rtol * s_max``,
        :func:`rank_rtol`; dtype: the tensor's, float64 for arrays), ``rank_rtol``,
        ``full_rank``, ``rank_ratio`` (``rank / min(m, n)``),
        ``cond`` (``s_max / s_min``, inf when ``rank < min(m, n)``), ``rank_default`` (the
        default tolerance ``max(m, n) eps(dtype)`` of torch and numpy); ``erank`` (Roy-Vetterli), ``erank_ratio``
        (``erank / min(m, n)``), ``stable_rank``; the keys of :func:`mp_distance` and of
        :func:`index_fourier`.
    """
    m = _as_matrix(matrix)
    dtype = _dtype_of(matrix)
    sv = np.linalg.svd(m, compute_uv=False) if sv is None else np.asarray(sv, dtype=np.float64)
    p = min(m.shape)
    ranks = numerical_rank(sv, m.shape, dtype)
    rank = ranks["rank"]
    cond = float(sv[0] / sv[-1]) if rank == p else math.inf
    out = {"rows": m.shape[0], "cols": m.shape[1], "rank": rank, "rank_rtol": ranks["rank_rtol"],
           "full_rank": rank == p, "rank_ratio": rank / p, "cond": cond,
           "rank_default": ranks["rank_default"],
           "erank": effective_rank(sv), "erank_ratio": effective_rank(sv) / p,
           "stable_rank": stable_rank(sv)}
    out.update(mp_distance(m, sv))
    out.update(index_fourier(m))
    return out


@dataclass(frozen=True)
class WeightSpectraConfig:
    """Weight-matrix spectra of every registered initializer.

    Attributes:
        linear_shapes: (out, in) shapes for the initializers of fully connected layers.
        embedding_shape: (vocabulary, width) for the 12 embedding strategies (the language
            model of Fatykhov 2026: 407 tokens, width 512).
        n_seeds: draws per (initializer, shape); deterministic ones are drawn once.
        seed: the replicate; draw i comes from ``(seed, STREAM_INIT, i)``
            (:mod:`initaudit.models.seeds`), the i.i.d. reference from ``STREAM_REFERENCE``.
        dtype: "float32" (as nn.Linear holds them; sets the numerical-rank tolerance).
        linear: linear initializers (empty: all of :func:`linear_inits`).
        embeddings: embedding strategies (empty: every catalogue entry for "embedding").
    """

    linear_shapes: tuple[tuple[int, int], ...] = ((512, 512), (256, 1024))
    embedding_shape: tuple[int, int] = (407, 512)
    n_seeds: int = 4
    seed: int = 0
    dtype: str = "float32"
    linear: tuple[str, ...] = ()
    embeddings: tuple[str, ...] = ()


def _cases(cfg: WeightSpectraConfig) -> list[tuple[str, str, tuple[int, int]]]:
    from initaudit.models import catalogue

    _choice(cfg.dtype, _DTYPES, "dtype")
    _count(cfg.n_seeds, "n_seeds")
    strategies = tuple(catalogue.available("embedding"))
    lin = cfg.linear or tuple(linear_inits())
    emb = cfg.embeddings or strategies
    for n in lin:
        _choice(n, linear_inits(), "linear initializer")
    for n in emb:
        _choice(n, strategies, "embedding strategy")
    cases = [("linear", n, tuple(int(d) for d in sh)) for sh in cfg.linear_shapes for n in lin]
    cases += [("embedding", n, tuple(int(d) for d in cfg.embedding_shape)) for n in emb]
    for _, _, sh in cases:
        if len(sh) != 2 or min(sh) < 1:
            raise ValueError(f"every shape must be (rows, cols) with positive sizes, got {sh}")
    return cases


def run_weight_spectra(cfg: WeightSpectraConfig) -> dict:
    """Compute :class:`WeightSpectraConfig`.

    Returns:
        dict with
        ``per_draw``: one row per (kind, init, shape, draw) with every :func:`matrix_spectrum`
        key; ``summary``: one row per (kind, init, shape, quantity) with ``mean``, ``lo``,
        ``hi`` (95% t-interval over draws; nan for deterministic initializers) for the
        quantities rank_ratio, erank, erank_ratio, stable_rank, cond, mp_ks, mp_edge_hi,
        low_rows_enrichment, low_cols_enrichment, fourier_top1; ``curves``: a dict keyed by
        ``(init, rows, cols)`` of the first draw's normalised Gram eigenvalues (``eig``,
        ascending), singular values (``sv``) and Fourier marginals (:func:`index_marginals`);
        ``iid``: the same curves for an i.i.d. Gaussian matrix of each shape (seeded).
    """
    from initaudit.models import catalogue

    dtype = torch.float32 if cfg.dtype == "float32" else torch.float64
    rows, curves = [], {}
    shapes = set()
    for kind, name, shape in _cases(cfg):
        shapes.add(shape)
        draws = cfg.n_seeds if catalogue.get(name).random else 1
        for i in range(draws):
            w = make_weight(name, shape, cfg.seed, dtype, keys=(i,))
            sv = singular_values(w)
            rec = {"kind": kind, "init": name, "shape": f"{shape[0]}x{shape[1]}",
                   "seed": cfg.seed, "draw": i, "random": draws > 1, **matrix_spectrum(w, sv)}
            rows.append(rec)
            if i == 0:
                eig, _ = gram_eigenvalues(w, sv)
                curves[(name, *shape)] = {"eig": eig, "sv": sv, **index_marginals(w)}
    iid = {}
    g = seeds.torch_generator(cfg.seed, seeds.STREAM_REFERENCE)
    for shape in sorted(shapes):
        w = torch.randn(*shape, generator=g, dtype=torch.float64)
        sv = singular_values(w)
        eig, _ = gram_eigenvalues(w, sv)
        iid[shape] = {"eig": eig, "sv": sv, **index_marginals(w), **matrix_spectrum(w, sv)}
    per_draw = pd.DataFrame(rows)
    quantities = ("rank_ratio", "erank", "erank_ratio", "stable_rank", "cond", "mp_ks",
                  "mp_edge_hi", "low_rows_enrichment", "low_cols_enrichment", "fourier_top1")
    summ = []
    for (kind, name, shape), grp in per_draw.groupby(["kind", "init", "shape"], sort=False):
        for q in quantities:
            summ.append({"kind": kind, "init": name, "shape": shape, "rows": grp.rows.iloc[0],
                         "cols": grp.cols.iloc[0], "quantity": q,
                         **t_interval(grp[q].replace(np.inf, np.nan)
                                      if q == "cond" else grp[q])})
    return {"per_draw": per_draw, "summary": pd.DataFrame(summ), "curves": curves, "iid": iid}


def weight_spectra(cfg: WeightSpectraConfig | None = None, **overrides) -> dict:
    """:func:`run_weight_spectra`, cached (:func:`analysis.cache.cached`)."""
    cfg = replace(cfg or WeightSpectraConfig(), **overrides)
    _cases(cfg)
    return cached(cfg, run_weight_spectra)


run_cell = cell_runner("analysis.spectrum", {SpectrumConfig: run_spectrum,
                                             WeightSpectraConfig: run_weight_spectra})
