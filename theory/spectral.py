r"""The spectrum estimator of network functions, and its expectation for a Gaussian process.

One estimator, used by the measurement (:mod:`initaudit.analysis.spectrum`) and by the theory
(below), so theory and measurement are comparable number for number.

**Grid and frequencies.** A function ``f: [-1, 1]^d -> R`` (``d = 1`` or 2) is sampled on the
periodic grid of ``G`` points per axis, ``x_n = -1 + 2 n / G``; DFT bin ``k`` sits at the angular
frequency ``omega_k = pi k`` (rad per unit x), so the resolution is ``pi`` and the Nyquist frequency
``pi G / 2``. **Estimator** (:func:`spectrum_1d`, :func:`spectrum_2d`): the grid mean is removed,
the values are multiplied by a window (periodic Hann by default) and the DFT power is normalised
so that ``sum_k E_k = sum_n (w_n g_n)^2 / sum_n w_n^2`` with ``g = f - mean(f)``. The energy share
above a frequency (:func:`energy_above`) and the spectral centroid (:func:`spectral_centroid`)
are ratios of such sums. :mod:`initaudit.analysis.spectrum` says why these choices.

**Expectation for a Gaussian process** (:func:`expected_spectrum`, :func:`expected_shares`). At
infinite width the output of a network is a centred Gaussian process over the inputs, with the
NNGP kernel ``K`` of :mod:`theory.kernels` as its covariance (the readout sums N independent units;
the readout bias is a constant, which mean removal takes out). Every bin of the estimator is a
quadratic form ``E_k = f^T A_k f`` of the grid values, so its expectation is ``tr(A_k K)``: the
expected spectrum, computed with two FFTs of ``M K M^T`` (``M`` the window times the centring).
The measurement averages the *ratios* of such forms over networks (the share above a frequency, per
network), and ``E[Q_1 / Q_2] != E Q_1 / E Q_2``. For a Gaussian vector ``f = L z`` the expected
ratio of two quadratic forms is a one-dimensional integral (Magnus 1986)::

    E[Q_1 / Q_2] = int_0^inf E[Q_1 e^{-t Q_2}] dt
                 = int_0^inf prod_i (1 + 2 t mu_i)^{-1/2} sum_i B_ii / (1 + 2 t mu_i) dt,

with ``mu`` the eigenvalues of ``L^T A_2 L`` and ``B = U^T L^T A_1 L U`` in its eigenbasis ``U``.
Both the ratio of expectations and the expected ratio are returned; the tests check the second
against the average of the estimator over draws of the Gaussian process.

**The band-limited share** (:func:`band_limited_share`). Why the spectrum stays confined at
``sigma_a = 0`` and broadens with a bias: the first layer's units ``sin(w . x + b)`` are single
tones with ``|w| <= omega_0`` (1-D), so ``h_1`` is band-limited. A hidden layer maps a
pre-activation ``z = G + B`` through the sine; expanding its kernel
``E sin u sin v = (1/2) e^{-(s_u + s_v)/2} (e^{s_uv} - kappa e^{-s_uv})`` (``kappa = E cos 2B``) in
powers of the Gaussian part's covariance ``s_uv`` (Mehler), the power ``n`` carries the
``n``-fold self-convolution of the spectrum of ``s`` (frequencies up to ``n`` times as high), the
constant term none, and only the linear term keeps the band. Its share of the non-constant
variance at ``s_u = s_v = s`` is::

    r(s, kappa) = (1 + kappa) s e^{-s} / (1 - kappa e^{-2s} - (1 - kappa) e^{-s}),

``s / sinh s`` with no bias (``kappa = 1``). Across layers the part of ``G`` common to every
input (the constant term of the layer below) acts as a second bias and is folded into ``B``
(:func:`band_limited_share`); ``d_l``, the input-dependent variance, is what the expansion runs
in. The part of the output that stays linear in ``h_1`` through every layer has the share
``B_L = prod_{l=2}^{L} r(d_l, kappa_l)``. For small ``d``,
``1 - r = d (1 - kappa) / (2 (1 + kappa)) + O(d^2)`` and, with ``kappa = 1``, ``d^2/6 + O(d^4)``.
At ``sigma_a = 0`` (no bias) ``d_l ~ 1/l``, the losses ``d_l^2/6`` are summable and ``B_L`` tends
to a positive limit near one: the spectrum stays confined at any depth. With a bias every layer
loses a share of first order in ``d_l``, so ``B_L`` falls like a power of the depth while
``d_l ~ 1/l``, and levels off only where the input-dependent variance itself dies out (ordered
networks, far deeper). ``1 - B_L`` bounds the share of the variance outside the band only from
above: the higher powers of a band-limited kernel also put energy inside the band. The layer
variances are those of one input (``x^2 = 1/3`` in the sweep), the approximation of the
derivation.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from scipy import integrate
from scipy.signal import windows as _windows

from initaudit.theory.checks import choice as _choice
from initaudit.theory.checks import int_at_least
from initaudit.theory.checks import positive_float as _positive

#: Windows the spectrum estimators accept ("none": the raw periodogram of the centred samples).
WINDOWS = ("hann", "blackmanharris", "none")
#: Length of the domain [-1, 1] along each axis.
LENGTH = 2.0
#: Nyquist frequency asked of the default grid, in units of omega_0 at depth <= 4, per dims.
NYQUIST_FACTOR = {1: 16.0, 2: 8.0}
#: Input dimensions of the grids.
DIMS = (1, 2)
_DIMS = DIMS


def _count(value, what: str, minimum: int = 1) -> int:
    return int_at_least(value, minimum, what)


def check_points(points, what: str = "points") -> int:
    """``points`` if it is an even integer >= 8 (the grid is periodic with a Nyquist bin)."""
    points = _count(points, what, 8)
    if points % 2:
        raise ValueError(f"{what} must be even (the grid is periodic with a Nyquist bin), "
                         f"got {points}")
    return points


_check_points = check_points


# ----------------------------------------------------------------------------------------------
# Grids, windows and the estimator


def nyquist(points: int) -> float:
    """Nyquist angular frequency ``pi G / 2`` (rad per unit x) of a grid of G points on [-1, 1]."""
    return math.pi * _check_points(points) / 2.0


def default_points(omega0: float, depth: int, dims: int = 1) -> int:
    """Grid points per axis that put the Nyquist frequency well above omega_0.

    ``omega_N >= NYQUIST_FACTOR[dims] * omega0 * sqrt(max(1, depth / 4))`` (see the module
    docstring), i.e. ``G >= 2 omega_N / pi``, rounded up to a multiple of 64 (1-D) or 32 (2-D)
    so the FFT sizes stay smooth. omega_0 = 30: 1-D 320 points at depth 4, 896 at depth 32;
    2-D 160 per axis at depth 4, 448 at depth 32.

    Args:
        omega0: first-layer frequency (rad per unit x).
        depth: number of sine layers L.
        dims: input dimension, 1 or 2.

    Returns:
        An even number of points per axis.
    """
    omega0 = _positive(omega0, "omega0")
    depth = _count(depth, "depth")
    _choice(dims, _DIMS, "input dimension")
    target = NYQUIST_FACTOR[dims] * omega0 * math.sqrt(max(1.0, depth / 4.0))
    step = 64 if dims == 1 else 32
    return int(step * math.ceil(2.0 * target / math.pi / step))


def grid_coords(points: int) -> np.ndarray:
    """The periodic grid ``x_n = -1 + 2 n / G``, ``n = 0..G-1`` (float64)."""
    points = _check_points(points)
    return -1.0 + LENGTH * np.arange(points, dtype=np.float64) / points


def grid_inputs(points: int, dims: int = 1) -> np.ndarray:
    """All grid points of ``[-1, 1]^dims`` as rows, shape ``(G^dims, dims)``.

    2-D rows are in "ij" order: row ``a G + b`` is ``(x_a, x_b)``, so a network output of length
    ``G^2`` reshapes to ``(G, G)`` with axis 0 the first input coordinate.
    """
    _choice(dims, _DIMS, "input dimension")
    x = grid_coords(points)
    if dims == 1:
        return x[:, None]
    a, b = np.meshgrid(x, x, indexing="ij")
    return np.stack([a.ravel(), b.ravel()], axis=1)


def angular_frequencies(points: int) -> np.ndarray:
    """One-sided DFT frequencies ``omega_k = pi k``, ``k = 0..G/2`` (rad per unit x)."""
    points = _check_points(points)
    return 2.0 * math.pi * np.fft.rfftfreq(points, d=LENGTH / points)


def radial_frequency(points: int) -> np.ndarray:
    """``|omega|`` of every bin of a ``(G, G)`` 2-D DFT in numpy's FFT order (rad per unit x)."""
    points = _check_points(points)
    w = 2.0 * math.pi * np.fft.fftfreq(points, d=LENGTH / points)
    return np.hypot(w[:, None], w[None, :])


def window_values(points: int, window: str = "hann") -> np.ndarray:
    """The periodic (DFT-even) window of G points: ``hann`` is ``(1 + cos(pi x_n)) / 2``."""
    points = _check_points(points)
    _choice(window, WINDOWS, "window")
    if window == "none":
        return np.ones(points)
    if window == "hann":
        return _windows.hann(points, sym=False)
    return _windows.blackmanharris(points, sym=False)


# ----------------------------------------------------------------------------------------------
# Spectrum estimators


def _prepare(values, dims: int, window: str, remove_mean: bool) -> tuple[np.ndarray, np.ndarray]:
    v = np.asarray(values, dtype=np.float64)
    if v.ndim < dims:
        raise ValueError(f"a {dims}-D spectrum needs at least {dims} axes, got shape {v.shape}")
    shape = v.shape[-dims:]
    if len(set(shape)) != 1:
        raise ValueError(f"the grid must have the same number of points on every axis, "
                         f"got {shape}")
    points = _check_points(shape[0], "grid points")
    if not np.all(np.isfinite(v)):
        raise ValueError("the function values contain nan or inf")
    if remove_mean:
        axes = tuple(range(-dims, 0))
        v = v - v.mean(axis=axes, keepdims=True)
    w = window_values(points, window)
    if dims == 2:
        w = np.outer(w, w)
    return v * w, w


def spectrum_1d(values, window: str = "hann",
                remove_mean: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """One-sided energy spectrum of samples on the periodic grid of [-1, 1].

    Args:
        values: array ``(..., G)`` of function values at :func:`grid_coords` (G even).
        window: one of :data:`WINDOWS`.
        remove_mean: subtract the grid mean first (see the module docstring).

    Returns:
        ``(omega, energy)``: ``omega`` of shape ``(G/2 + 1,)`` (:func:`angular_frequencies`) and
        ``energy`` of shape ``(..., G/2 + 1)`` with ``E_k = c_k |F_k|^2 / (G sum_n w_n^2)``,
        ``F = rfft(w g)``, ``c_k = 2`` for ``0 < k < G/2`` (the negative frequency folded in) and
        1 for the DC and Nyquist bins; ``sum_k E_k = sum_n (w_n g_n)^2 / sum_n w_n^2``.
    """
    _choice(window, WINDOWS, "window")
    wg, w = _prepare(values, 1, window, remove_mean)
    points = wg.shape[-1]
    power = np.abs(np.fft.rfft(wg, axis=-1)) ** 2 / (points * np.sum(w ** 2))
    power[..., 1:-1] *= 2.0
    return angular_frequencies(points), power


def spectrum_2d(values, window: str = "hann",
                remove_mean: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Two-sided 2-D energy spectrum of samples on the periodic grid of [-1, 1]^2.

    Args:
        values: array ``(..., G, G)``; axis -2 is the first input coordinate.
        window: one of :data:`WINDOWS`, applied as the outer product ``w(x) w(y)``.
        remove_mean: subtract the grid mean first.

    Returns:
        ``(omega_r, energy)``: ``omega_r`` (G, G) the radial frequency of each bin
        (:func:`radial_frequency`, numpy FFT order) and ``energy`` (..., G, G), ``|F|^2 /
        (G^2 sum w^2)``, ``F = fft2(w g)``; it sums to ``sum (w g)^2 / sum w^2``.
    """
    _choice(window, WINDOWS, "window")
    wg, w = _prepare(values, 2, window, remove_mean)
    points = wg.shape[-1]
    power = np.abs(np.fft.fft2(wg, axes=(-2, -1))) ** 2 / (points ** 2 * np.sum(w ** 2))
    return radial_frequency(points), power


def energy_above(omega, energy, thresholds) -> np.ndarray:
    """Fraction of the energy at frequencies strictly above each threshold.

    Args:
        omega: frequency of each bin, shape ``(K,)`` (2-D: pass the flattened radial frequency).
        energy: ``(..., K)`` energies of the bins.
        thresholds: frequencies (rad per unit x).

    Returns:
        ``(..., len(thresholds))`` fractions in [0, 1] (nan where the total energy is 0).
    """
    omega = np.asarray(omega, dtype=np.float64)
    e = np.asarray(energy, dtype=np.float64)
    thr = np.atleast_1d(np.asarray(thresholds, dtype=np.float64))
    total = e.sum(axis=-1)
    above = np.stack([e[..., omega > t].sum(axis=-1) for t in thr], axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return above / total[..., None]


def spectral_centroid(omega, energy) -> np.ndarray:
    """``sum_k omega_k E_k / sum_k E_k`` over the last axis (rad per unit x)."""
    omega = np.asarray(omega, dtype=np.float64)
    e = np.asarray(energy, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (e * omega).sum(axis=-1) / e.sum(axis=-1)


# ----------------------------------------------------------------------------------------------
# Expectation of the estimator for a Gaussian process


def _centred_windowed(cov: np.ndarray, dims: int, window: str, remove_mean: bool):
    """``M K M^T`` with ``M = diag(w) (I - 11^T / P)`` (or no centring), and ``w``."""
    k = np.asarray(cov, dtype=np.float64)
    if k.ndim != 2 or k.shape[0] != k.shape[1]:
        raise ValueError(f"the covariance must be a square matrix, got shape {k.shape}")
    p = k.shape[0]
    points = int(round(p ** (1.0 / dims)))
    if points ** dims != p:
        raise ValueError(f"a {dims}-D grid has G^{dims} points; {p} is not a power {dims}")
    check_points(points, "grid points")
    if not np.all(np.isfinite(k)):
        raise ValueError("the covariance holds nan or inf")
    scale = float(np.max(np.abs(k))) if k.size else 0.0
    if not np.allclose(k, k.T, rtol=0.0, atol=1e-10 * max(scale, 1e-300)):
        raise ValueError("the covariance must be symmetric")
    if np.any(np.diag(k) < 0):
        raise ValueError("the covariance has a negative variance on its diagonal")
    w = window_values(points, window)
    if dims == 2:
        w = np.outer(w, w).ravel()
    raw = float(np.sum(w ** 2 * np.diag(k)))
    if not raw > 0:
        raise ValueError("the process has no variance on the grid (a zero covariance)")
    if remove_mean:
        row = k.mean(axis=1, keepdims=True)
        k = k - row - row.T + k.mean()
    out = w[:, None] * k * w[None, :]
    if not np.trace(out) > RESOLUTION * raw:
        raise KernelResolutionError(
            f"after mean removal the process keeps {np.trace(out) / raw:.3g} of its variance, "
            f"below the {RESOLUTION:g} that a float64 kernel resolves: a constant process, or "
            "one whose input-dependent part is lost in the rounding of its constant part (a "
            "strongly ordered network at depth)")
    return out, w, points


#: Smallest share of a kernel's variance that may remain after mean removal: kernel entries
#: carry relative rounding errors of order 1e-15, so below this the centred covariance is noise.
RESOLUTION = 1e-10


class KernelResolutionError(ValueError):
    """The centred covariance is below float64's resolution of the kernel (:data:`RESOLUTION`)."""


def expected_spectrum(cov, dims: int = 1, window: str = "hann",
                      remove_mean: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """``E[E_k]`` of :func:`spectrum_1d` / :func:`spectrum_2d` for a centred Gaussian process.

    Args:
        cov: its covariance on the grid, ``(P, P)`` with ``P = G^dims`` (2-D rows in the "ij"
            order of :func:`grid_inputs`).
        dims: 1 or 2.
        window, remove_mean: as in the estimator.

    Returns:
        ``(omega, energy)`` with the shapes of :func:`spectrum_1d` (1-D) or :func:`spectrum_2d`
        (2-D), ``energy`` the expected energy per bin.
    """
    _choice(dims, DIMS, "input dimension")
    _choice(window, WINDOWS, "window")
    a, w, points = _centred_windowed(cov, dims, window, remove_mean)
    norm = np.sum(w ** 2)
    if dims == 1:
        # (F A F^H)_kk: FFT down the columns, inverse FFT along the rows, the diagonal
        b = np.fft.fft(a, axis=0)
        diag = np.einsum("kk->k", np.fft.ifft(b, axis=1)) * points
        power = diag.real[: points // 2 + 1] / (points * norm)
        power[1:-1] *= 2.0
        return angular_frequencies(points), power
    a4 = a.reshape(points, points, points, points)
    b = np.fft.fftn(a4, axes=(0, 1))
    c = np.fft.ifftn(b, axes=(2, 3)) * points ** 2
    diag = np.einsum("abab->ab", c)
    return radial_frequency(points), diag.real / (points ** 2 * norm)


#: Largest grid (points in all) for :func:`expected_shares`, whose cost is one symmetric
#: eigendecomposition of a P x P matrix (about 7 s at 4,096 points on two cores).
MAX_THEORY_POINTS = 4096


def _fold_weights(points: int, dims: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-bin weights of the one-sided fold (1-D: 2 inside, 1 at 0 and Nyquist; 2-D: 1) and the
    bin frequencies, in the order of :func:`spectrum_1d` / the flattened :func:`spectrum_2d`."""
    if dims == 1:
        c = np.full(points // 2 + 1, 2.0)
        c[0] = c[-1] = 1.0
        return c, angular_frequencies(points)
    return np.ones(points ** 2), radial_frequency(points).ravel()


def expected_shares(cov, thresholds, dims: int = 1, window: str = "hann",
                    remove_mean: bool = True, *, rtol: float = 1e-9) -> dict:
    """Expected energy shares above ``thresholds`` and spectral centroid of a Gaussian process.

    The windowed, centred values ``y = M f`` have covariance ``C = M K M^T = V diag(lam) V^T``, so
    ``y = V diag(lam)^(1/2) z`` with ``z`` standard normal. The total energy is
    ``|y|^2 / sum w^2 = sum_j lam_j z_j^2 / sum w^2``, diagonal in ``z``; a band's energy is
    ``sum_k c_k |F_k y|^2`` (``F_k`` the DFT row, ``c_k`` the fold and normalisation), whose
    diagonal in ``z`` is ``sum_k c_k lam_j |F_k v_j|^2``: the FFT of the eigenvectors. Only that
    diagonal enters the Magnus integral (odd moments of ``z`` vanish), so one eigendecomposition
    and one FFT give every threshold.

    Args:
        cov: covariance on the grid, ``(P, P)``, as in :func:`expected_spectrum`
            (``P <= MAX_THEORY_POINTS``).
        thresholds: frequencies (rad per unit x).
        dims, window, remove_mean: as in the estimator.
        rtol: relative tolerance of the integral over ``t`` (scipy ``quad``).

    Returns:
        ``{"ratio_of_means": E[above] / E[total] per threshold, "mean_ratio": E[above / total]
        per threshold (what the measurement averages over networks), "centroid_ratio_of_means",
        "mean_centroid", "spectrum": (omega, E[E_k] / E[total])}`` (centroids in rad per unit
        x; the spectrum in the shapes of :func:`expected_spectrum`, normalised to sum to one).
    """
    _choice(dims, DIMS, "input dimension")
    _choice(window, WINDOWS, "window")
    k = np.asarray(cov, dtype=np.float64)
    if k.ndim != 2 or k.shape[0] != k.shape[1]:
        raise ValueError(f"the covariance must be a square matrix, got shape {k.shape}")
    if k.shape[0] > MAX_THEORY_POINTS:
        raise ValueError(f"the expected shares of {k.shape[0]} grid points cost O(P^3); at most "
                         f"{MAX_THEORY_POINTS} are supported (use a coarser --points)")
    c_mat, w, points = _centred_windowed(k, dims, window, remove_mean)
    lam, vec = np.linalg.eigh((c_mat + c_mat.T) / 2.0)
    if lam.min() < -1e-8 * max(lam.max(), 0.0):
        raise ValueError(f"the covariance is not positive semi-definite (eigenvalue "
                         f"{lam.min():.3g} against a largest {lam.max():.3g})")
    keep = lam > max(lam.max(), 0.0) * 1e-13
    lam, vec = lam[keep], vec[:, keep]
    if lam.size == 0:
        raise ValueError("the process has no variance left after mean removal")
    norm = float(np.sum(w ** 2))
    if dims == 1:
        spec = np.fft.rfft(vec, axis=0)
    else:
        spec = np.fft.fft2(vec.reshape(points, points, -1), axes=(0, 1)).reshape(points ** 2, -1)
    fold, omega = _fold_weights(points, dims)
    # per bin k and eigenvector j: c_k lam_j |F_k v_j|^2 / (P sum w^2)
    power = (fold[:, None] * np.abs(spec) ** 2) * (lam[None, :] / (points ** dims * norm))
    mu = lam / norm  # the total energy's form, diagonal: sum_k power[k, j] = mu_j
    mean_total = float(np.sum(mu))
    # E[Q_1 / Q_2] is invariant to scaling both forms: scale the total to 1, so that the
    # integrand's features sit at t of order one whatever the process's variance
    mu, power = mu / mean_total, power / mean_total

    def expected_ratio(bdiag: np.ndarray) -> float:
        def integrand(t):
            return float(np.exp(-0.5 * np.sum(np.log1p(2.0 * t * mu)))
                         * np.sum(bdiag / (1.0 + 2.0 * t * mu)))

        # t = tau / (1 - tau) maps [0, inf) to [0, 1); the tail decays like t^(-r/2 - 1)
        val, err = integrate.quad(lambda tau: integrand(tau / (1.0 - tau)) / (1.0 - tau) ** 2,
                                  0.0, 1.0, epsrel=rtol, epsabs=0.0, limit=500)
        if err > 1e3 * rtol * abs(val) + 1e-14:
            warnings.warn(f"the expected ratio's integral reached only {err:.2g} absolute "
                          f"accuracy (value {val:.6g})", RuntimeWarning, stacklevel=3)
        return float(val)

    thr = np.atleast_1d(np.asarray(thresholds, dtype=np.float64))
    ratio_of_means, mean_ratio = [], []
    for t in thr:
        bdiag = power[omega > t].sum(axis=0)
        ratio_of_means.append(float(bdiag.sum()))
        mean_ratio.append(expected_ratio(bdiag))
    bdiag = (omega[:, None] * power).sum(axis=0)
    share = power.sum(axis=1)  # E[E_k] / E[total]
    if dims == 1:
        spectrum = (angular_frequencies(points), share)
    else:
        spectrum = (radial_frequency(points), share.reshape(points, points))
    return {"ratio_of_means": np.asarray(ratio_of_means), "mean_ratio": np.asarray(mean_ratio),
            "centroid_ratio_of_means": float(bdiag.sum()),
            "mean_centroid": expected_ratio(bdiag), "spectrum": spectrum}


# ----------------------------------------------------------------------------------------------
# The band-limited share


def linear_share(s, kappa=1.0) -> np.ndarray:
    """``r(s, kappa)``: the share of the non-constant variance of ``sin(G + B)`` that is linear in
    the Gaussian part ``G`` (variance ``s``; ``kappa = E cos 2B``); ``s / sinh s`` for
    ``kappa = 1``. See the module docstring."""
    s = np.asarray(s, dtype=np.float64)
    kappa = np.asarray(kappa, dtype=np.float64)
    if np.any(s < 0) or not np.all(np.isfinite(s)):
        raise ValueError(f"s must be a finite non-negative variance, got {s}")
    if np.any(kappa <= -1) or np.any(kappa > 1):
        raise ValueError(f"kappa = E cos 2B must lie in (-1, 1], got {kappa}")
    # the denominator as kappa (1 - e^{-2s}) + (1 - kappa)(1 - e^{-s}): no cancellation at small s
    safe = np.where(s > 0, s, 1.0)
    num = (1.0 + kappa) * safe * np.exp(-safe)
    den = -kappa * np.expm1(-2.0 * safe) - (1.0 - kappa) * np.expm1(-safe)
    return np.where(s > 0, num / den, 1.0)  # r -> 1 as s -> 0


def band_limited_share(spec, xp) -> dict[str, np.ndarray]:
    """``B_l`` for l = 1..L (``B_1 = 1``): the share of the output variance that stays linear in the
    band-limited first layer, with the per-layer factors, for the network ``spec`` at the input
    ``xp`` (shape (d_in,); the layer variances are those of this input for every input, the
    approximation of the derivation).

    A hidden pre-activation is ``z_l = G_l + B`` with ``G_l`` Gaussian of variance
    ``s_l = q_l - sigma_b^2``. Part of ``G_l`` is common to every input: its covariance has an
    input-independent part ``a_l = sigma_w^2 c_{l-1}``, ``c_{l-1}`` the constant (zeroth Mehler)
    term of the layer below. That part acts as a second bias, so it is folded into ``B``:
    ``kappa_l = kappa e^{-2 a_l}``, and the expansion runs in the input-dependent variance
    ``d_l = s_l - a_l``: ``r_l = r(d_l, kappa_l)`` and ``c_l = e^{-d_l} (1 - kappa_l) / 2``.
    The first layer's constant part is ``c_1 = (1 - kappa_0)/2 (E cos w.x)^2`` under its own law
    (zero without a first-layer bias).

    Returns:
        ``{"share": B_1..B_L, "factor": r_2..r_L, "input_variance": d_2..d_L,
        "kappa": kappa_2..kappa_L}``.
    """
    from initaudit.theory.laws import first_layer_cos
    from initaudit.theory.predict import predict
    from initaudit.theory.sine import bias_kappa

    if spec.activation != "sin":
        raise ValueError(f"the band-limited share is derived for sine networks, got "
                         f"{spec.activation!r}")
    xp = np.asarray(xp, dtype=np.float64).reshape(-1)
    if xp.shape != (spec.d_in,) or not np.all(np.isfinite(xp)):
        raise ValueError(f"the input must be {spec.d_in} finite numbers, got {xp}")
    layers = spec.layers()
    q = predict(spec, xp[None, :])["q"][0]
    first = layers[0]
    kappa0 = float(bias_kappa(first.sigma_b2, "exact", spec.first_law))
    mean_cos = first_layer_cos(1.0, xp, first.sigma_w2, 0.0, spec.first_law)  # E cos(w.x)
    c = (1.0 - kappa0) / 2.0 * mean_cos ** 2
    factors, inputs, kappas = [], [], []
    for l in range(1, spec.depth):
        sb2 = layers[l].sigma_b2
        kappa = float(bias_kappa(sb2, "exact", spec.convention))
        common = layers[l].sigma_w2 * c
        kappa_l = kappa * math.exp(-2.0 * common)
        d = max(float(q[l] - sb2 - common), 0.0)
        factors.append(float(linear_share(d, kappa_l)))
        inputs.append(d)
        kappas.append(kappa_l)
        c = math.exp(-d) * (1.0 - kappa_l) / 2.0
    return {"share": np.concatenate([[1.0], np.cumprod(factors)]), "factor": np.array(factors),
            "input_variance": np.array(inputs), "kappa": np.array(kappas)}
