"""Statistics of a weight tensor: moments, spectrum, and distance to three reference laws.

:func:`weight_stats` describes one tensor; :func:`weight_stats_for` builds a tensor of a given
shape, initialises it with a registered initializer and describes it. Both return plain dicts
of numbers (JSON-friendly apart from ``inf``/``nan``), never plots.

Conventions:

* ``var`` is the unbiased sample variance over all entries (as ``torch.var`` and the Sinusoidal
  reference normalise); ``std`` is its square root.
* Matrix statistics view the tensor as a matrix: 2-D as it is, conv weights flattened to
  (C_out, C_in * prod(kernel)); they are None for tensors with fewer than 2 dimensions.
  Singular values are computed in float64.
* ``rank`` is the package's one rank rule (:func:`numerical_rank`): float64 singular values
  above ``rank_rtol * s_max`` with ``rank_rtol = max(4 eps, 1e-10)`` and eps the machine
  epsilon of the tensor's own dtype (:func:`rank_rtol` says why); ``rank_default`` is the count
  under torch's and numpy's default ``max(m, n) eps``, printed beside it.
* ``cond`` = s_max / s_min over the min(m, n) singular values; inf when rank < min(m, n).
* ``ks_gaussian``, ``ks_uniform``, ``ks_arcsine``: Kolmogorov-Smirnov statistic
  (scipy.stats.kstest) between the entries and each law with the tensor's own mean and
  variance: N(mean, var); U(mean - a, mean + a) with a = sqrt(3 var); the symmetric arcsine law
  on [mean - a, mean + a] with a = sqrt(2 var) (its variance is a^2 / 2). nan when var is 0 or
  undefined. ``nearest_law`` names the smallest of the three (None when they are nan).
  The arcsine density diverges at its edges, so with the half-width fitted from the variance even
  exact arcsine samples score O(n^-1/4) (about 0.01-0.05 for n = 20000): compare ``ks_arcsine``
  between tensors of similar size.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import torch
from scipy import stats

__all__ = ["LAWS", "RANK_RTOL_EPS", "RANK_RTOL_FLOOR", "numerical_rank", "rank_rtol", "weight_stats",
           "weight_stats_for"]

#: Reference laws of the histogram distances, in the order of the ``ks_*`` keys.
LAWS = ("gaussian", "uniform", "arcsine")


def _matrix(tensor: torch.Tensor) -> torch.Tensor:
    return tensor.reshape(tensor.shape[0], -1)


def _law_distances(x: np.ndarray, mean: float, var: float) -> dict[str, float]:
    nan = {f"ks_{law}": math.nan for law in LAWS}
    if not (math.isfinite(var) and var > 0):
        return nan
    std = math.sqrt(var)
    a_uniform = math.sqrt(3.0) * std
    a_arcsine = math.sqrt(2.0) * std
    laws = {
        "gaussian": stats.norm(loc=mean, scale=std),
        "uniform": stats.uniform(loc=mean - a_uniform, scale=2.0 * a_uniform),
        "arcsine": stats.arcsine(loc=mean - a_arcsine, scale=2.0 * a_arcsine),
    }
    return {f"ks_{law}": float(stats.kstest(x, laws[law].cdf).statistic) for law in LAWS}


#: Relative tolerance of the numerical rank in units of the dtype's eps, and its floor
#: (see :func:`rank_rtol`).
RANK_RTOL_EPS = 4.0
RANK_RTOL_FLOOR = 1e-10


def rank_rtol(dtype: torch.dtype = torch.float64) -> float:
    """Relative tolerance of the package's numerical rank (:func:`numerical_rank`).

    ``max(RANK_RTOL_EPS * eps(dtype), RANK_RTOL_FLOOR)`` = ``max(4 eps, 1e-10)``: 4.8e-7 for
    float32, 1e-10 for float64. Why not the default ``max(m, n) eps`` of torch and numpy (reported beside it as
    ``rank_default``):

    * Storing a matrix in a dtype perturbs it by ``E`` with ``||E||_2 ~ 0.3 eps s_max`` or less
      (i.i.d. rounding of relative size eps/2; Weyl's inequality bounds the change of every
      singular value by ``||E||_2``), so a singular value above ``4 eps s_max`` is resolved by
      the data. The default's factor ``max(m, n)`` bounds the backward error of an SVD run in
      that same dtype; the SVD here runs in float64 on the stored values, so that factor only
      raises false deficiencies: the smallest singular value of a random square n x n matrix is
      below ``r s_max`` with probability ``~2 n r`` (Edelman 1988), 6% for float32 at n = 512
      under the default rule, 5e-4 under this one.
    * The float64 floor 1e-10: a matrix built from sines of arguments up to ``2 pi n`` carries
      rounding ``~eps * 2 pi n``, which puts the exact zeros of the square sinusoidal matrix at
      ``~2e-13 s_max`` for n = 512, above ``4 eps`` and just above the default ``512 eps =
      1.1e-13`` (so the default rule calls it full rank).
    """
    eps = torch.finfo(dtype if dtype in (torch.float32, torch.float64) else torch.float32).eps
    return max(RANK_RTOL_EPS * eps, RANK_RTOL_FLOOR)


def numerical_rank(sv, shape: Sequence[int], dtype: torch.dtype = torch.float64) -> dict:
    """The one rank rule of the package (``initaudit weights``, ``initaudit spectrum
    --weights`` and every figure use it).

    Args:
        sv: the matrix's singular values (any order; computed in float64).
        shape: the matrix's ``(m, n)``.
        dtype: the dtype the matrix was stored in (sets eps).

    Returns:
        ``{"rank"``: singular values above ``rank_rtol(dtype) * s_max``, ``"rank_rtol"``,
        ``"rank_default"``: the count under torch's and numpy's default tolerance
        ``max(m, n) eps(dtype)``, shown beside it because it can differ ``}``.
    """
    sv = np.sort(np.asarray(sv, dtype=np.float64))[::-1]
    eps = torch.finfo(dtype if dtype in (torch.float32, torch.float64) else torch.float32).eps
    rtol = rank_rtol(dtype)
    s_max = float(sv[0]) if sv.size else 0.0
    if s_max <= 0:
        return {"rank": 0, "rank_rtol": rtol, "rank_default": 0}
    return {"rank": int(np.sum(sv > rtol * s_max)), "rank_rtol": rtol,
            "rank_default": int(np.sum(sv > max(shape) * eps * s_max))}


def _spectrum(tensor: torch.Tensor) -> dict:
    m = _matrix(tensor)
    rows, cols = m.shape
    eps_dtype = m.dtype if m.dtype in (torch.float32, torch.float64) else torch.float32
    m64 = m.detach().to(torch.float64)
    sv = torch.linalg.svdvals(m64)
    ranks = numerical_rank(sv.numpy(), (rows, cols), eps_dtype)
    rank, rtol = ranks["rank"], ranks["rank_rtol"]
    k = min(rows, cols)
    s_max, s_min = float(sv[0]), float(sv[-1])
    if rank < k:
        cond = math.inf
    else:
        cond = s_max / s_min
    return {
        "matrix_shape": [rows, cols],
        "rank": rank,
        "rank_rtol": rtol,
        "rank_default": ranks["rank_default"],
        "full_rank": rank == k,
        "cond": cond,
        "sv_max": s_max,
        "sv_min": s_min,
        "sv_median": float(np.median(sv.numpy())),
        "sv_mean_sq": float((sv ** 2).mean()),
    }


def weight_stats(tensor: torch.Tensor) -> dict:
    """Moments, spectrum and law distances of a weight tensor.

    Args:
        tensor: any real tensor with at least one entry; conv weights are flattened to
            (C_out, rest) for the matrix statistics.

    Returns:
        A dict with ``shape``, ``numel``, ``dtype``, ``mean``, ``var`` (unbiased), ``std``,
        ``min``, ``max``; the matrix statistics ``matrix_shape``, ``rank``, ``rank_rtol``,
        ``full_rank``, ``cond``, ``sv_max``, ``sv_min``, ``sv_median`` (median of the min(m, n)
        singular values), ``sv_mean_sq`` (mean of their squares, ||W||_F^2 / min(m, n)); and
        ``ks_gaussian``, ``ks_uniform``, ``ks_arcsine``, ``nearest_law`` (see the module
        docstring for the conventions).

    Raises:
        ValueError: for an empty tensor or a dtype that is not floating point.
    """
    if not isinstance(tensor, torch.Tensor):
        raise TypeError(f"weight_stats needs a torch.Tensor; got {type(tensor).__name__}")
    if tensor.numel() == 0:
        raise ValueError(f"weight_stats needs a non-empty tensor; got shape {tuple(tensor.shape)}")
    if not tensor.dtype.is_floating_point:
        raise ValueError(f"weight_stats needs a floating-point tensor; got dtype {tensor.dtype}")
    t = tensor.detach()
    x = t.to(torch.float64).reshape(-1).cpu().numpy()
    mean = float(x.mean())
    var = float(x.var(ddof=1)) if x.size > 1 else math.nan
    out: dict = {
        "shape": list(t.shape),
        "numel": int(x.size),
        "dtype": str(t.dtype).replace("torch.", ""),
        "mean": mean,
        "var": var,
        "std": math.sqrt(var) if math.isfinite(var) else math.nan,
        "min": float(x.min()),
        "max": float(x.max()),
    }
    if t.dim() >= 2:
        out.update(_spectrum(t.cpu()))
    else:
        out.update({key: None for key in ("matrix_shape", "rank", "rank_rtol", "rank_default",
                                          "full_rank", "cond",
                                          "sv_max", "sv_min", "sv_median", "sv_mean_sq")})
    distances = _law_distances(x, mean, var)
    out.update(distances)
    finite = {law: distances[f"ks_{law}"] for law in LAWS if math.isfinite(distances[f"ks_{law}"])}
    out["nearest_law"] = min(finite, key=finite.get) if finite else None
    return out


def weight_stats_for(name: str, shape: Sequence[int], seed: int = 0, *,
                     dtype: torch.dtype = torch.float32, **kwargs) -> dict:
    """Initialise a tensor of ``shape`` with the registered ``name`` and describe it.

    Args:
        name: a name from :func:`models.catalogue.available`.
        shape: the tensor shape, e.g. (out_features, in_features) or (C_out, C_in, k, k).
        seed: the replicate: the initializer draws from its weight stream,
            ``(seed, STREAM_INIT)`` of :mod:`initaudit.models.seeds` (deterministic initializers
            ignore it).
        dtype: dtype of the tensor (float32, as in nn.Linear, by default).
        **kwargs: options of the initializer (e.g. ``gain``, ``mode``, ``omega0``).

    Returns:
        :func:`weight_stats` of the tensor, plus ``name``, ``seed`` and ``options``.

    Raises:
        ValueError: for an unknown name (the message lists the valid ones), a shape with a
            non-positive or non-integer entry, or a shape the initializer cannot fill.
    """
    from initaudit.models import catalogue, seeds

    rule = catalogue.tensor_rule(name)
    shape = tuple(shape)
    if not shape or any(isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 1
                        for d in shape):
        raise ValueError(f"shape must be a non-empty sequence of positive integers; got {shape!r}")
    generator = seeds.torch_generator(seed, seeds.STREAM_INIT)
    tensor = torch.empty(shape, dtype=dtype)
    rule(tensor, generator=generator, **kwargs)
    out = weight_stats(tensor)
    out.update({"name": name, "seed": int(seed), "options": dict(kwargs)})
    return out
