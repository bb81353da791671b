"""Embedding-matrix initialisation strategies compared by Fatykhov (2026).

Fatykhov (2026), "Harmonic Initialization ... Medical Language Models", compares twelve ways of
initialising the token-embedding matrix of a small Transformer language model. Each function here
fills a matrix ``E`` of shape ``(V, D)`` (``V`` = vocabulary size, rows = token index ``i``;
``D`` = model width, columns = embedding dimension ``j``) in the style of ``torch.nn.init``:
in place, under ``torch.no_grad()``, returning the tensor.

Source fidelity
---------------
The paper's public repository (``afatykhov-ai/harmonic-initialization``) holds the paper, a small
text corpus and a one-line README; it holds **no code**. The paper describes each strategy by name
and one line. Every construction below is therefore *this package's reading* of that line, built
from the standard definition of the named object (Perlin noise, simplex noise, Worley noise, Haar
wavelets, Gabor functions, ...). Each docstring gives the exact formula, so that a result about
"Perlin initialisation" is a result about that formula.

Scale
-----
``scale="xavier"`` (the default) subtracts the matrix mean and rescales so that the population
variance over all ``V*D`` entries is exactly ``2 / (V + D)``, the variance of Xavier-uniform
(Glorot and Bengio, 2010) for this shape. Comparisons between strategies are then about structure,
not scale. ``scale=None`` returns the raw construction. All values are computed in float64 and
cast once into the tensor's dtype and device.

Randomness
----------
Random strategies draw only from the ``generator`` argument (``None`` falls back to torch's default
generator, as ``torch.nn.init`` does); the same seed gives the same tensor bitwise. Each docstring
states the order of the draws. Deterministic strategies ignore ``generator``.
"""

from __future__ import annotations

import inspect
import math
from typing import Callable

import torch

from initaudit.models.catalogue import Style
from initaudit.models.catalogue import add as _add
from initaudit.theory.checks import floating_tensor

__all__ = [
    "EMBEDDING_STRATEGIES",
    "init_embedding_",
    "random_",
    "perlin_",
    "simplex_",
    "cellular_",
    "harmonic_",
    "harmonic_advanced_",
    "fourier_harmonic_",
    "wavelet_",
    "normal_",
    "fractal_",
    "gabor_",
    "spectral_",
]

_PAPER = "Fatykhov (2026)"
_READING = (
    "Our reading of the paper's one-line description; the public repository "
    "(afatykhov-ai/harmonic-initialization) has no code to follow."
)
_SCALES = ("xavier", None)
#: The paper's public repository (it holds no code for these strategies, so no commit is cited).
_URL = "https://github.com/afatykhov-ai/harmonic-initialization"


def _label(name: str) -> str:
    """Legend label of a strategy: ``emb_fourier_harmonic`` -> ``fourier harmonic``."""
    return name.removeprefix("emb_").replace("_", " ")


def _macro(name: str) -> str:
    """Macro stem: ``emb_fourier_harmonic`` -> ``EmbFourierHarmonic``."""
    return "".join(w.title() for w in name.split("_") if w.isalpha())
_F64 = torch.float64

#: The twelve strategies, in the order the paper lists them.
EMBEDDING_STRATEGIES: tuple[str, ...] = (
    "emb_random",
    "emb_perlin",
    "emb_simplex",
    "emb_cellular",
    "emb_harmonic",
    "emb_harmonic_advanced",
    "emb_fourier_harmonic",
    "emb_wavelet",
    "emb_normal",
    "emb_fractal",
    "emb_gabor",
    "emb_spectral",
)

_STRATEGIES: dict[str, Callable] = {}


# --------------------------------------------------------------------------- shared helpers


def _strategy(name: str, *, formula: str, random: bool, structure: str, fidelity: str = _READING):
    """Add ``fn`` to the catalogue as ``name``; its keyword defaults become the entry's ``defaults``."""

    def deco(fn: Callable) -> Callable:
        params = inspect.signature(fn).parameters.values()
        defaults = {
            p.name: p.default
            for p in params
            if p.kind is p.KEYWORD_ONLY and p.name not in ("scale", "generator")
        }
        _add(
            name, fn,
            paper=_PAPER,
            arxiv=None,
            formula=formula,
            applies_to=("embedding",),
            random=random,
            matrix=(("iid" if structure.startswith("neither axis") else "structured")
                    if random else "deterministic"),
            notes=f"Structure along {structure}. {fidelity}",
            defaults=defaults,
            url=_URL, commit=None,
            style=Style(_label(name), macro=_macro(name)),
        )
        _STRATEGIES[name] = fn
        return fn

    return deco


def _check(tensor: torch.Tensor, scale, fn: str = "this embedding initialiser") -> tuple[int, int]:
    """Validate the dtype (floating point: TypeError otherwise), ``scale`` and the shape; return
    ``(V, D)``."""
    floating_tensor(tensor, fn)
    if scale not in _SCALES:
        raise ValueError(f"scale must be one of {list(_SCALES)}; got {scale!r}")
    if tensor.ndim != 2:
        raise ValueError(
            "a (vocab_size, d_model) matrix is required (rows = tokens, columns = embedding "
            f"dimensions); got a {tensor.ndim}-D tensor of shape {tuple(tensor.shape)}"
        )
    v, d = tensor.shape
    if v == 0 or d == 0:
        raise ValueError(f"the (vocab_size, d_model) matrix must be non-empty; got {(v, d)}")
    return v, d


def _require(ok: bool, message: str) -> None:
    if not ok:
        raise ValueError(message)


def _require_count(name: str, value) -> None:
    _require(
        isinstance(value, (int, float)) and int(value) == value and value >= 1,
        f"{name} must be an integer >= 1; got {value!r}",
    )


def _finish(tensor: torch.Tensor, values: torch.Tensor, scale) -> torch.Tensor:
    """Optionally rescale ``values`` to Xavier variance, then copy them into ``tensor``."""
    if scale == "xavier":
        v, d = values.shape
        values = values - values.mean()
        var = values.square().mean()  # population variance (ddof = 0) over all V*D entries
        if not var > 0:
            raise ValueError(
                f"this construction is constant for shape {(v, d)}, so it cannot be rescaled to "
                "the Xavier variance; use scale=None or other parameters"
            )
        values = values * torch.sqrt((2.0 / (v + d)) / var)
    with torch.no_grad():
        tensor.copy_(values)
    return tensor


def _grid(v: int, d: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Token index as a (V, 1) column and dimension index as a (1, D) row, float64."""
    return torch.arange(v, dtype=_F64).unsqueeze(1), torch.arange(d, dtype=_F64).unsqueeze(0)


def _unit_grid(v: int, d: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Cell centres of the matrix mapped onto the unit square: x = (i + 1/2)/V, y = (j + 1/2)/D."""
    i, j = _grid(v, d)
    return (i + 0.5) / v, (j + 0.5) / d


def _device(generator: torch.Generator | None) -> torch.device:
    # Draw on the generator's own device (a CUDA generator cannot fill a CPU tensor), then move.
    return generator.device if generator is not None else torch.device("cpu")


def _rand(*shape: int, generator: torch.Generator | None) -> torch.Tensor:
    return torch.rand(*shape, generator=generator, dtype=_F64, device=_device(generator)).cpu()


def _randn(*shape: int, generator: torch.Generator | None) -> torch.Tensor:
    return torch.randn(*shape, generator=generator, dtype=_F64, device=_device(generator)).cpu()


def _gradients(nx: int, ny: int, generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Random unit gradients on an (nx, ny) lattice: angle 2*pi*U, one (nx, ny) draw."""
    theta = 2.0 * math.pi * _rand(nx, ny, generator=generator)
    return torch.cos(theta), torch.sin(theta)


def _fade(t: torch.Tensor) -> torch.Tensor:
    """Perlin's (2002) quintic fade 6t^5 - 15t^4 + 10t^3 (f' = f'' = 0 at t = 0 and t = 1)."""
    return t * t * t * (t * (t * 6.0 - 15.0) + 10.0)


def _column_blend(idx: torch.Tensor, w0: torch.Tensor, w1: torch.Tensor, n: int) -> torch.Tensor:
    """(n, len(idx)) matrix with w0[k] at row idx[k] and w1[k] at row idx[k] + 1 of column k."""
    m = torch.zeros(n, idx.numel(), dtype=_F64)
    cols = torch.arange(idx.numel())
    m[idx, cols] = w0
    m[idx + 1, cols] = w1
    return m


def _perlin(x: torch.Tensor, y: torch.Tensor, generator) -> torch.Tensor:
    """Perlin gradient noise on the grid x (rows, 1-D) by y (columns, 1-D), coordinates >= 0.

    A fresh lattice of random unit gradients (gx, gy) is drawn. On a grid the blend of the four
    corner dot products separates into a row part and a column part: with u, w the offsets in the
    cell and f the fade,

        n_ij = sum_{a,b} A_a(i) B_b(j) [gx(x0+a, y0+b) (u_i - a) + gy(x0+a, y0+b) (w_j - b)],

    A_0 = 1 - f(u), A_1 = f(u) (B likewise), so the a-sum is a gather of lattice rows and the
    b-sum one matrix product; this is the bilinear-lerp form, rearranged to keep large matrices
    out of elementwise passes.
    """
    x0, y0 = x.floor(), y.floor()
    u, w = x - x0, y - y0
    ix, iy = x0.long(), y0.long()
    gx, gy = _gradients(int(ix.max()) + 2, int(iy.max()) + 2, generator)
    fu, fw = _fade(u)[:, None], _fade(w)
    u = u[:, None]
    rows_x = (1 - fu) * u * gx[ix] + fu * (u - 1) * gx[ix + 1]  # (V, n_y)
    rows_y = (1 - fu) * gy[ix] + fu * gy[ix + 1]
    cols_x = _column_blend(iy, 1 - fw, fw, gx.shape[1])  # (n_y, D)
    cols_y = _column_blend(iy, (1 - fw) * w, fw * (w - 1), gx.shape[1])
    return rows_x @ cols_x + rows_y @ cols_y


# Simplex skew/unskew constants in 2-D (Perlin 2001; Gustavson 2005, "Simplex noise demystified").
_F2 = (math.sqrt(3.0) - 1.0) / 2.0
_G2 = (3.0 - math.sqrt(3.0)) / 6.0
_SIMPLEX_GAIN = 70.0  # Gustavson's normalisation; immaterial once scale="xavier" rescales


def _simplex(x: torch.Tensor, y: torch.Tensor, generator) -> torch.Tensor:
    """2-D simplex noise at points x, y >= 0 (broadcast), with a fresh random gradient lattice."""
    x, y = torch.broadcast_tensors(x, y)
    s = (x + y) * _F2
    i0, j0 = (x + s).floor(), (y + s).floor()  # skewed cell of each point
    t = (i0 + j0) * _G2
    x0, y0 = x - (i0 - t), y - (j0 - t)  # offset from the cell origin, unskewed
    i1 = (x0 > y0).long()  # lower triangle -> middle corner (1, 0), else (0, 1)
    j1 = 1 - i1
    gx, gy = _gradients(int(i0.max()) + 2, int(j0.max()) + 2, generator)
    ii, jj = i0.long(), j0.long()

    def corner(dx, dy, a, b) -> torch.Tensor:  # radial kernel (0.5 - r^2)_+^4 times g . offset
        r = (0.5 - dx * dx - dy * dy).clamp(min=0.0)
        return r.pow(4) * (gx[ii + a, jj + b] * dx + gy[ii + a, jj + b] * dy)

    n = (
        corner(x0, y0, 0, 0)
        + corner(x0 - i1 + _G2, y0 - j1 + _G2, i1, j1)
        + corner(x0 - 1.0 + 2.0 * _G2, y0 - 1.0 + 2.0 * _G2, 1, 1)
    )
    return _SIMPLEX_GAIN * n


# --------------------------------------------------------------------------- the strategies


@_strategy(
    "emb_random",
    formula="E_ij ~ U(-a, a) i.i.d., a = sqrt(3) * sqrt(2 / (V + D))  (Xavier uniform)",
    random=True,
    structure="neither axis (i.i.d. entries)",
    fidelity="The paper's baseline, Xavier uniform (Glorot and Bengio 2010), as in torch.nn.init.",
)
def random_(tensor, *, scale="xavier", generator=None):
    r"""Xavier-uniform baseline (Glorot and Bengio, 2010).

    .. math:: E_{ij} \sim \mathcal U(-a, a)\ \text{i.i.d.},\qquad
              a = \sqrt 3\,\sqrt{2/(V + D)}.

    No structure (i.i.d. entries). Random: one ``uniform_`` draw of shape (V, D) in float64, so
    with ``scale=None`` a float64 tensor equals ``torch.nn.init.xavier_uniform_`` with the same
    generator bitwise. ``scale="xavier"`` then makes the sample mean and variance exact.

    Args:
        tensor: (V, D) embedding matrix, filled in place.
        scale: "xavier" (exact zero mean and variance 2/(V + D)) or None (raw draw).
        generator: torch.Generator to draw from.

    Returns:
        ``tensor``.
    """
    v, d = _check(tensor, scale, "random_")
    a = math.sqrt(3.0) * math.sqrt(2.0 / float(v + d))  # same expression as torch.nn.init
    values = torch.empty(v, d, dtype=_F64, device=_device(generator))
    values = values.uniform_(-a, a, generator=generator).cpu()
    return _finish(tensor, values, scale)


@_strategy(
    "emb_perlin",
    formula=(
        "E_ij = P(i / c_V, j / c_D); P = Perlin gradient noise: random unit gradients g on the "
        "integer lattice, P(x, y) = bilerp over the 4 cell corners k of g_k . ((x, y) - k) with "
        "weights f(t) = 6t^5 - 15t^4 + 10t^3"
    ),
    random=True,
    structure="both axes (token and dimension), lattice spacing c_V tokens by c_D dimensions",
)
def perlin_(tensor, *, scale="xavier", generator=None, cell_tokens=8.0, cell_dims=8.0):
    r"""Perlin gradient noise over the (token, dimension) plane (Perlin 1985; fade of Perlin 2002).

    With :math:`x = i/c_V`, :math:`y = j/c_D`,
    :math:`(x_0, y_0) = (\lfloor x\rfloor, \lfloor y\rfloor)`,
    :math:`(u, w) = (x - x_0, y - y_0)` and random unit gradients :math:`g_{ab}` on the integer
    lattice,

    .. math:: n_{ab} = g_{x_0+a,\,y_0+b}\cdot(u - a,\, w - b),\qquad
              f(t) = 6t^5 - 15t^4 + 10t^3,

    .. math:: E_{ij} = \mathrm{lerp}\big(\mathrm{lerp}(n_{00}, n_{10}, f(u)),\,
                                        \mathrm{lerp}(n_{01}, n_{11}, f(u)),\, f(w)\big).

    Structure along both axes: smooth over about ``cell_tokens`` tokens and ``cell_dims``
    dimensions, and exactly zero at lattice points (``i`` a multiple of ``c_V`` and ``j`` of
    ``c_D`` when these are integers). Our choice: gradients are uniform random angles (the
    classic construction) rather than the fixed, hashed gradient set of Perlin's 2002 reference
    implementation, so that the noise is drawn from ``generator``. Random: one draw of
    :math:`\lfloor x_{max}\rfloor + 2` by :math:`\lfloor y_{max}\rfloor + 2` angles
    :math:`\theta = 2\pi U`.

    Args:
        tensor: (V, D) embedding matrix, filled in place.
        scale: "xavier" or None (see module docstring).
        generator: torch.Generator to draw from.
        cell_tokens: lattice spacing ``c_V`` along the token axis, in tokens (> 0).
        cell_dims: lattice spacing ``c_D`` along the dimension axis, in dimensions (> 0).

    Returns:
        ``tensor``.
    """
    v, d = _check(tensor, scale, "perlin_")
    _require(cell_tokens > 0 and cell_dims > 0, "cell_tokens and cell_dims must be > 0")
    i, j = torch.arange(v, dtype=_F64), torch.arange(d, dtype=_F64)
    values = _perlin(i * (1.0 / cell_tokens), j * (1.0 / cell_dims), generator)
    return _finish(tensor, values, scale)


@_strategy(
    "emb_simplex",
    formula=(
        "E_ij = 70 * sum over the 3 corners k of the skewed-triangle cell of (x, y) = "
        "(i / c_V, j / c_D): max(0, 0.5 - |d_k|^2)^4 * g_k . d_k, skew F = (sqrt 3 - 1)/2, "
        "unskew G = (3 - sqrt 3)/6, g_k random unit gradients"
    ),
    random=True,
    structure="both axes (token and dimension), simplex cells of about c_V tokens by c_D dims",
)
def simplex_(tensor, *, scale="xavier", generator=None, cell_tokens=8.0, cell_dims=8.0):
    r"""2-D simplex noise over the (token, dimension) plane (Perlin 2001; Gustavson 2005).

    With :math:`(x, y) = (i/c_V, j/c_D)`, skew :math:`F = (\sqrt3 - 1)/2`, unskew
    :math:`G = (3 - \sqrt3)/6`: the cell is :math:`(a_0, b_0) = \lfloor (x, y) + F(x + y)\rfloor`,
    its origin in the plane is :math:`(a_0, b_0) - G(a_0 + b_0)`, and the three corners are
    :math:`(a_0, b_0)`, :math:`(a_0, b_0) + (1, 0)` or :math:`+(0, 1)` (lower/upper triangle) and
    :math:`(a_0 + 1, b_0 + 1)`. With :math:`d_k` the offset of the point from corner :math:`k`
    (unskewed) and random unit gradients :math:`g_k`,

    .. math:: E_{ij} = 70 \sum_{k=1}^{3} \max(0,\ 0.5 - \lVert d_k\rVert^2)^4\; g_k \cdot d_k .

    Structure along both axes, on a triangular grid; zero at the lattice vertices (entry (0, 0) is
    one). Our choice: random unit gradients drawn from ``generator`` instead of Gustavson's hashed
    gradient table. Random: one draw of lattice angles :math:`\theta = 2\pi U`.

    Args:
        tensor: (V, D) embedding matrix, filled in place.
        scale: "xavier" or None (see module docstring).
        generator: torch.Generator to draw from.
        cell_tokens: coordinate scale ``c_V`` along the token axis, in tokens (> 0).
        cell_dims: coordinate scale ``c_D`` along the dimension axis, in dimensions (> 0).

    Returns:
        ``tensor``.
    """
    v, d = _check(tensor, scale, "simplex_")
    _require(cell_tokens > 0 and cell_dims > 0, "cell_tokens and cell_dims must be > 0")
    i, j = _grid(v, d)
    values = _simplex(i * (1.0 / cell_tokens), j * (1.0 / cell_dims), generator)
    return _finish(tensor, values, scale)


@_strategy(
    "emb_cellular",
    formula=(
        "E_ij = min_k || (x_i, y_j) - p_k ||_2, x_i = (i + 1/2)/V, y_j = (j + 1/2)/D, "
        "p_k ~ U([0, 1]^2), k = 1..K  (Worley F1 distance)"
    ),
    random=True,
    structure="both axes (token and dimension), K Voronoi cells over the whole matrix",
)
def cellular_(tensor, *, scale="xavier", generator=None, points=16):
    r"""Cellular (Voronoi / Worley F1) noise over the (token, dimension) plane (Worley, 1996).

    The matrix is mapped onto the unit square, :math:`x_i = (i + \tfrac12)/V`,
    :math:`y_j = (j + \tfrac12)/D`, and :math:`K` feature points
    :math:`p_k \sim \mathcal U([0,1]^2)` are scattered over it:

    .. math:: E_{ij} = \min_{k = 1..K}\ \big\lVert (x_i, y_j) - p_k \big\rVert_2 .

    Structure along both axes: a Voronoi partition into ``K`` cells, each a cone around its point.
    Before scaling, values are non-negative distances and 1-Lipschitz in the unit-square
    coordinates. Our choice: ``K`` points scattered over the *whole* matrix (rather than one per
    square of a tiled lattice, as in Worley's tiled form), so the number of cells does not grow
    with ``V``. Random: one (K, 2) uniform draw, columns (token coordinate, dimension coordinate).

    Args:
        tensor: (V, D) embedding matrix, filled in place.
        scale: "xavier" or None (see module docstring).
        generator: torch.Generator to draw from.
        points: number of feature points ``K`` (>= 1).

    Returns:
        ``tensor``.
    """
    v, d = _check(tensor, scale, "cellular_")
    _require_count("points", points)
    feats = _rand(int(points), 2, generator=generator)
    x, y = _unit_grid(v, d)
    dist2 = torch.full((v, d), math.inf, dtype=_F64)
    # Loop over the K feature points (not over entries): memory stays at one (V, D) buffer.
    for px, py in feats.tolist():
        dist2 = torch.minimum(dist2, (x - px).square() + (y - py).square())
    return _finish(tensor, dist2.sqrt(), scale)


@_strategy(
    "emb_harmonic",
    formula=(
        "E[i, 2m] = sin(w_m i), E[i, 2m+1] = cos(w_m i), w_m = 2 pi (m + 1) / P, "
        "P = V by default  (harmonic series of a fundamental of period P tokens)"
    ),
    random=False,
    structure="the token axis (each column is one sinusoid of the token index)",
)
def harmonic_(tensor, *, scale="xavier", generator=None, period=None):
    r"""Sine/cosine pairs of the token index at the harmonic series of one fundamental.

    .. math:: E_{i,2m} = \sin(\omega_m i),\quad E_{i,2m+1} = \cos(\omega_m i),\qquad
              \omega_m = \frac{2\pi (m + 1)}{P},\quad P = V \text{ by default}.

    Column pair ``m`` is the ``(m+1)``-th harmonic of a fundamental whose period is the whole
    vocabulary, so for ``D/2 < V/2`` the columns are mutually orthogonal (a truncated real
    discrete Fourier basis over tokens), each with squared norm ``V/2``. Structure along the token
    axis only. Our reading: "harmonic" taken literally, as integer multiples of one frequency (the
    geometric ladder of Transformer position codes is :func:`harmonic_advanced_`). Deterministic:
    ``generator`` is ignored.

    Args:
        tensor: (V, D) embedding matrix, filled in place.
        scale: "xavier" or None (see module docstring).
        generator: ignored (deterministic); accepted for a uniform signature.
        period: fundamental period ``P`` in tokens (> 0); None means ``V``.

    Returns:
        ``tensor``.
    """
    v, d = _check(tensor, scale, "harmonic_")
    p = float(v if period is None else period)
    _require(p > 0, f"period must be > 0; got {period!r}")
    i, j = _grid(v, d)
    omega = 2.0 * math.pi * (torch.div(j, 2, rounding_mode="floor") + 1.0) / p
    is_sin = (j % 2) == 0
    values = torch.where(is_sin, torch.sin(omega * i), torch.cos(omega * i))
    return _finish(tensor, values, scale)


@_strategy(
    "emb_harmonic_advanced",
    formula=(
        "E[i, 2m] = sum_{h=1..H} sin(h w_m i) / h, E[i, 2m+1] = sum_{h=1..H} cos(h w_m i) / h, "
        "w_m = b^(-2m/D), b = 10000, H = 3"
    ),
    random=False,
    structure="the token axis (multi-scale sinusoids with overtones)",
)
def harmonic_advanced_(tensor, *, scale="xavier", generator=None, base=10000.0, overtones=3):
    r"""Geometric frequency ladder over dimensions, each with decaying overtones.

    .. math:: E_{i,2m} = \sum_{h=1}^{H} \frac{\sin(h\,\omega_m i)}{h},\quad
              E_{i,2m+1} = \sum_{h=1}^{H} \frac{\cos(h\,\omega_m i)}{h},\qquad
              \omega_m = b^{-2m/D}.

    With ``H = 1`` this is the sinusoidal position code of Vaswani et al. (2017) applied to the
    token index. Structure along the token axis, at wavelengths from ``2*pi`` to ``2*pi*b``
    tokens. Our reading of "advanced": the multi-scale (geometric) ladder of frequencies, each
    enriched with ``H`` harmonics of amplitude ``1/h`` (the first terms of a sawtooth's Fourier
    series). Deterministic: ``generator`` is ignored.

    Args:
        tensor: (V, D) embedding matrix, filled in place.
        scale: "xavier" or None (see module docstring).
        generator: ignored (deterministic); accepted for a uniform signature.
        base: base ``b`` of the geometric ladder (> 1).
        overtones: number of harmonics ``H`` per column (>= 1).

    Returns:
        ``tensor``.
    """
    v, d = _check(tensor, scale, "harmonic_advanced_")
    _require(base > 1, f"base must be > 1; got {base!r}")
    _require_count("overtones", overtones)
    i, j = _grid(v, d)
    omega = float(base) ** (-2.0 * torch.div(j, 2, rounding_mode="floor") / d)
    is_sin = (j % 2) == 0
    values = torch.zeros(v, d, dtype=_F64)
    for h in range(1, int(overtones) + 1):
        phase = h * omega * i
        values += torch.where(is_sin, torch.sin(phase), torch.cos(phase)) / h
    return _finish(tensor, values, scale)


@_strategy(
    "emb_fourier_harmonic",
    formula=(
        "E_ij = sum_{p=1..P} sum_{q=1..Q} cos(2 pi (p i / V + q j / D)) / sqrt(p^2 + q^2), "
        "P = Q = 8"
    ),
    random=False,
    structure="both axes (a sum of low-order 2-D Fourier modes over the token x dimension grid)",
)
def fourier_harmonic_(tensor, *, scale="xavier", generator=None, modes_tokens=8, modes_dims=8):
    r"""Sum of the lowest 2-D Fourier basis functions over the (token, dimension) grid.

    .. math:: E_{ij} = \sum_{p=1}^{P}\sum_{q=1}^{Q}
              \frac{\cos\!\big(2\pi(p\,i/V + q\,j/D)\big)}{\sqrt{p^2 + q^2}} .

    Structure along both axes. For ``P < V/2`` and ``Q < D/2`` the 2-D DFT of the raw matrix is
    nonzero only at :math:`\pm(p, q)`, with magnitude :math:`VD/(2\sqrt{p^2+q^2})`. Our reading of
    "2-D Fourier basis": all modes with ``1 <= p <= P`` token cycles and ``1 <= q <= Q`` dimension
    cycles, with a ``1/|k|`` amplitude fall-off so low frequencies dominate. Note the matrix has
    rank at most ``2*min(P, Q)``. Deterministic: ``generator`` is ignored.

    Args:
        tensor: (V, D) embedding matrix, filled in place.
        scale: "xavier" or None (see module docstring).
        generator: ignored (deterministic); accepted for a uniform signature.
        modes_tokens: number of token-axis frequencies ``P`` (>= 1).
        modes_dims: number of dimension-axis frequencies ``Q`` (>= 1).

    Returns:
        ``tensor``.
    """
    v, d = _check(tensor, scale, "fourier_harmonic_")
    _require_count("modes_tokens", modes_tokens)
    _require_count("modes_dims", modes_dims)
    i, j = _grid(v, d)
    p = torch.arange(1, int(modes_tokens) + 1, dtype=_F64)
    q = torch.arange(1, int(modes_dims) + 1, dtype=_F64)
    amp = 1.0 / torch.sqrt(p[:, None] ** 2 + q[None, :] ** 2)  # (P, Q)
    a = 2.0 * math.pi * i * p[None, :] / v  # (V, P) token phases
    b = 2.0 * math.pi * j.T * q[None, :] / d  # (D, Q) dimension phases
    # cos(a + b) = cos a cos b - sin a sin b turns the P*Q-term sum into two matrix products.
    values = torch.cos(a) @ amp @ torch.cos(b).T - torch.sin(a) @ amp @ torch.sin(b).T
    return _finish(tensor, values, scale)


@_strategy(
    "emb_wavelet",
    formula=(
        "E[i, j] = 2^(n/2) psi(2^n t_i - k) / sqrt(V), t_i = (i + 1/2)/V, psi = Haar mother "
        "wavelet (+1 on [0, 1/2), -1 on [1/2, 1)), b = 1 + (j mod (V - 1)) = 2^n + k, 0 <= k < 2^n"
    ),
    random=False,
    structure="the token axis (each column is one Haar wavelet over tokens)",
)
def wavelet_(tensor, *, scale="xavier", generator=None):
    r"""Haar wavelet basis over the token axis (Haar, 1910).

    Column ``j`` holds Haar wavelet number :math:`b = 1 + (j \bmod (V-1))`, written
    :math:`b = 2^n + k` with :math:`0 \le k < 2^n`, sampled at token centres
    :math:`t_i = (i + \tfrac12)/V`:

    .. math:: E_{ij} = \frac{2^{n/2}\,\psi(2^n t_i - k)}{\sqrt V},\qquad
              \psi(u) = \begin{cases} 1 & 0 \le u < \tfrac12\\ -1 & \tfrac12 \le u < 1\\
              0 & \text{otherwise.}\end{cases}

    When ``V`` is a power of two and ``D <= V - 1`` the columns are orthonormal and each sums to
    zero (they are the rows of the discrete Haar transform, less the constant scaling function).
    Structure along the token axis: column ``j`` localises to a block of about ``V / 2^n`` tokens.
    Our choices: the constant scaling function is left out (it would be one constant column), and
    a width larger than ``V - 1`` reuses the wavelets cyclically. Deterministic: ``generator`` is
    ignored.

    Args:
        tensor: (V, D) embedding matrix, filled in place.
        scale: "xavier" or None (see module docstring).
        generator: ignored (deterministic); accepted for a uniform signature.

    Returns:
        ``tensor``.
    """
    v, d = _check(tensor, scale, "wavelet_")
    b = [1 + (j % max(v - 1, 1)) for j in range(d)]
    n = torch.tensor([bb.bit_length() - 1 for bb in b], dtype=_F64)[None, :]  # level, exact
    k = torch.tensor(b, dtype=_F64)[None, :] - 2.0**n  # shift within the level
    t = (torch.arange(v, dtype=_F64)[:, None] + 0.5) / v
    u = 2.0**n * t - k
    psi = torch.where((u >= 0) & (u < 0.5), 1.0, 0.0) - torch.where((u >= 0.5) & (u < 1), 1.0, 0.0)
    values = 2.0 ** (n / 2) * psi / math.sqrt(v)
    return _finish(tensor, values, scale)


@_strategy(
    "emb_normal",
    formula=(
        "E_ij = sum_{t=-r..r} k_t Z_{i+r+t, j}, Z ~ N(0, 1) i.i.d. of shape (V + 2r, D), "
        "k_t = exp(-t^2 / (2 l^2)) / ||k||_2, r = ceil(4 l), l = 4 tokens"
    ),
    random=True,
    structure="the token axis (Gaussian covariance between nearby tokens; dimensions independent)",
)
def normal_(tensor, *, scale="xavier", generator=None, length_scale=4.0):
    r"""Correlated Gaussian: white noise smoothed by a Gaussian kernel along the token axis.

    .. math:: E_{ij} = \sum_{t=-r}^{r} k_t\, Z_{i + r + t,\ j},\qquad
              k_t = \frac{e^{-t^2/(2\ell^2)}}{\lVert k\rVert_2},\quad r = \lceil 4\ell\rceil,

    with :math:`Z \sim \mathcal N(0, 1)` i.i.d. of shape :math:`(V + 2r, D)` (padded with real noise
    so that every row sees a full kernel). Then :math:`E` is a stationary Gaussian field with
    :math:`\mathrm{Var}\,E_{ij} = 1` and
    :math:`\mathrm{Cov}(E_{ij}, E_{i'j'}) = \delta_{jj'}\sum_t k_t k_{t + i - i'}`, about
    :math:`e^{-(i-i')^2/(4\ell^2)}`. Structure along the token axis; columns are independent.
    Our reading of "correlated Gaussian": the correlation is between neighbouring token ids.
    Random: one ``randn`` draw of shape (V + 2r, D).

    Args:
        tensor: (V, D) embedding matrix, filled in place.
        scale: "xavier" or None (see module docstring).
        generator: torch.Generator to draw from.
        length_scale: kernel width ``l`` in tokens (> 0).

    Returns:
        ``tensor``.
    """
    v, d = _check(tensor, scale, "normal_")
    _require(length_scale > 0, f"length_scale must be > 0; got {length_scale!r}")
    r = math.ceil(4.0 * length_scale)  # the kernel is below e^-8 of its peak beyond 4 l
    t = torch.arange(-r, r + 1, dtype=_F64)
    kernel = torch.exp(-(t**2) / (2.0 * length_scale**2))
    kernel = kernel / kernel.norm()
    z = _randn(v + 2 * r, d, generator=generator)
    values = torch.zeros(v, d, dtype=_F64)
    for tap, k in enumerate(kernel.tolist()):  # 2r + 1 shifted copies: a direct 'valid' sum
        values += k * z[tap : tap + v]
    return _finish(tensor, values, scale)


@_strategy(
    "emb_fractal",
    formula=(
        "E_ij = sum_{o=0..O-1} g^o P_o(i L^o / c_V, j L^o / c_D), P_o independent Perlin noises "
        "(see emb_perlin), persistence g = 0.5, lacunarity L = 2, O = 4, c_V = c_D = 32"
    ),
    random=True,
    structure="both axes, at O scales from c entries down to c / L^(O-1) entries",
)
def fractal_(
    tensor,
    *,
    scale="xavier",
    generator=None,
    cell_tokens=32.0,
    cell_dims=32.0,
    octaves=4,
    persistence=0.5,
    lacunarity=2.0,
):
    r"""Fractal (multi-octave) Perlin noise over the (token, dimension) plane.

    .. math:: E_{ij} = \sum_{o=0}^{O-1} g^{\,o}\; P_o\!\left(\frac{i L^o}{c_V},
              \frac{j L^o}{c_D}\right),

    where :math:`P_o` are independent Perlin noises as in :func:`perlin_` (persistence
    :math:`g`, lacunarity :math:`L`). With ``octaves=1`` and the same cells and generator this
    equals :func:`perlin_` bitwise. Structure along both axes at ``O`` scales. Our choice: the
    coarsest spacing defaults to 32 entries, so the finest of 4 octaves has spacing 4; Perlin noise
    sampled on an integer grid whose spacing is 1 or smaller is identically zero, so a finer base
    would waste octaves. Random: the octaves' gradient lattices are drawn in order ``o = 0..O-1``.

    Args:
        tensor: (V, D) embedding matrix, filled in place.
        scale: "xavier" or None (see module docstring).
        generator: torch.Generator to draw from.
        cell_tokens: coarsest lattice spacing ``c_V`` along tokens (> 0).
        cell_dims: coarsest lattice spacing ``c_D`` along dimensions (> 0).
        octaves: number of octaves ``O`` (>= 1).
        persistence: amplitude ratio ``g`` between successive octaves (> 0).
        lacunarity: frequency ratio ``L`` between successive octaves (> 0).

    Returns:
        ``tensor``.
    """
    v, d = _check(tensor, scale, "fractal_")
    _require(cell_tokens > 0 and cell_dims > 0, "cell_tokens and cell_dims must be > 0")
    _require_count("octaves", octaves)
    _require(persistence > 0 and lacunarity > 0, "persistence and lacunarity must be > 0")
    i, j = torch.arange(v, dtype=_F64), torch.arange(d, dtype=_F64)
    values = torch.zeros(v, d, dtype=_F64)
    for o in range(int(octaves)):
        freq = float(lacunarity) ** o
        values += float(persistence) ** o * _perlin(
            i * (freq / cell_tokens), j * (freq / cell_dims), generator
        )
    return _finish(tensor, values, scale)


@_strategy(
    "emb_gabor",
    formula=(
        "E_ij = sum_{a=1..A} exp(-|r_a|^2 / (2 s^2)) "
        "cos(2 pi f (r_a . (cos th_a, sin th_a)) + ph_a), "
        "r_a = ((i + 1/2)/V - mu_a, (j + 1/2)/D - nu_a), mu, nu ~ U(0, 1), th ~ U(0, pi), "
        "ph ~ U(0, 2 pi), A = 64, s = 0.08, f = 10"
    ),
    random=True,
    structure="both axes (localised oriented wave packets on the unit-square image of the matrix)",
)
def gabor_(tensor, *, scale="xavier", generator=None, atoms=64, sigma=0.08, frequency=10.0):
    r"""Sum of random 2-D Gabor atoms (Gabor 1946; 2-D form of Daugman 1985).

    On the unit-square image of the matrix, :math:`x_i = (i + \tfrac12)/V`,
    :math:`y_j = (j + \tfrac12)/D`, with :math:`r_a = (x_i - \mu_a,\ y_j - \nu_a)`,

    .. math:: E_{ij} = \sum_{a=1}^{A} \exp\!\Big(-\frac{\lVert r_a\rVert^2}{2\sigma^2}\Big)
              \cos\!\big(2\pi f\, r_a\cdot(\cos\theta_a, \sin\theta_a) + \phi_a\big),

    centres :math:`\mu_a, \nu_a \sim \mathcal U(0, 1)`, orientations
    :math:`\theta_a \sim \mathcal U(0, \pi)`, phases :math:`\phi_a \sim \mathcal U(0, 2\pi)`.
    Structure along both axes: ``A`` localised, oriented wave packets. Our choices: isotropic
    envelope, one shared width and frequency, ``A*2*pi*sigma^2 ~ 2.6`` so the atoms cover the
    square. Random: one (A, 4) uniform draw, columns :math:`(\mu, \nu, \theta/\pi, \phi/2\pi)`.

    Args:
        tensor: (V, D) embedding matrix, filled in place.
        scale: "xavier" or None (see module docstring).
        generator: torch.Generator to draw from.
        atoms: number of atoms ``A`` (>= 1).
        sigma: envelope width in unit-square coordinates (> 0).
        frequency: carrier frequency ``f`` in cycles per unit length (>= 0).

    Returns:
        ``tensor``.
    """
    v, d = _check(tensor, scale, "gabor_")
    _require_count("atoms", atoms)
    _require(sigma > 0 and frequency >= 0, "sigma must be > 0 and frequency >= 0")
    prm = _rand(int(atoms), 4, generator=generator)
    mu, nu, theta, phi = prm[:, 0], prm[:, 1], math.pi * prm[:, 2], 2.0 * math.pi * prm[:, 3]
    dx = (torch.arange(v, dtype=_F64)[:, None] + 0.5) / v - mu  # (V, A)
    dy = (torch.arange(d, dtype=_F64)[:, None] + 0.5) / d - nu  # (D, A)
    kx = 2.0 * math.pi * frequency * torch.cos(theta)  # wave vector of each atom
    ky = 2.0 * math.pi * frequency * torch.sin(theta)
    ex, ey = torch.exp(-dx.square() / (2.0 * sigma**2)), torch.exp(-dy.square() / (2.0 * sigma**2))
    # Each atom separates: envelope = ex(i) ey(j) and cos(p + q) = cos p cos q - sin p sin q, so
    # the sum over atoms is two (V, A) @ (A, D) products.
    row_phase, col_phase = kx * dx + phi, ky * dy
    rows_cos, rows_sin = ex * torch.cos(row_phase), ex * torch.sin(row_phase)  # (V, A)
    cols_cos, cols_sin = ey * torch.cos(col_phase), ey * torch.sin(col_phase)  # (D, A)
    values = rows_cos @ cols_cos.T - rows_sin @ cols_sin.T
    return _finish(tensor, values, scale)


def _int_freqs(n: int) -> torch.Tensor:
    """Integer DFT frequencies in numpy/torch fft order: 0, 1, ..., -2, -1 (Nyquist negative)."""
    return (torch.arange(n) + n // 2) % n - n // 2


@_strategy(
    "emb_spectral",
    formula=(
        "E = Re IFFT2( M * FFT2(Z) ), Z ~ N(0, 1) i.i.d. (V, D), M_kl = 1 iff |k| <= K_V and "
        "|l| <= K_D, K_V = max(1, floor(c V / 2)), K_D = max(1, floor(c D / 2)), c = 0.1"
    ),
    random=True,
    structure="both axes (band-limited to the lowest 2-D frequencies)",
)
def spectral_(tensor, *, scale="xavier", generator=None, cutoff=0.1):
    r"""Low-pass white noise: a 2-D FFT truncated to the lowest frequencies.

    .. math:: E = \mathrm{Re}\,\mathcal F^{-1}\big[M \odot \mathcal F Z\big],\qquad
              M_{kl} = \mathbb 1\big[\,|k| \le K_V,\ |l| \le K_D\,\big],

    with :math:`Z \sim \mathcal N(0,1)` i.i.d. of shape (V, D), integer DFT frequencies
    :math:`k, l` and :math:`K_V = \max(1, \lfloor cV/2\rfloor)`,
    :math:`K_D = \max(1, \lfloor cD/2\rfloor)`: ``cutoff`` ``c`` is the kept fraction of the
    Nyquist band on each axis (at least the first harmonic is kept). The mask is symmetric under
    :math:`(k, l) \to (-k, -l)`, so the result is real and has no energy outside the mask (also
    after ``scale="xavier"``, whose centring only touches the zero frequency). Structure along
    both axes. Our reading of "spectral (low-pass)": an ideal rectangular low-pass filter on
    white noise. Random: one ``randn`` draw of shape (V, D).

    Args:
        tensor: (V, D) embedding matrix, filled in place.
        scale: "xavier" or None (see module docstring).
        generator: torch.Generator to draw from.
        cutoff: kept fraction ``c`` of each axis' Nyquist band, in (0, 1].

    Returns:
        ``tensor``.
    """
    v, d = _check(tensor, scale, "spectral_")
    _require(0 < cutoff <= 1, f"cutoff must be in (0, 1]; got {cutoff!r}")
    z = _randn(v, d, generator=generator)
    kv, kd = max(1, math.floor(cutoff * v / 2)), max(1, math.floor(cutoff * d / 2))
    mask = (_int_freqs(v).abs() <= kv)[:, None] & (_int_freqs(d).abs() <= kd)[None, :]
    values = torch.fft.ifft2(torch.fft.fft2(z) * mask).real
    return _finish(tensor, values, scale)


# --------------------------------------------------------------------------- dispatch


def init_embedding_(tensor: torch.Tensor, name: str, **kw) -> torch.Tensor:
    """Fill ``tensor`` with the strategy ``name`` (one of :data:`EMBEDDING_STRATEGIES`).

    Args:
        tensor: (V, D) embedding matrix, filled in place.
        name: catalogue name, e.g. "emb_harmonic".
        **kw: passed to the strategy (``scale``, ``generator`` and its own parameters).

    Returns:
        ``tensor``.
    """
    try:
        fn = _STRATEGIES[name]
    except KeyError:
        raise ValueError(
            f"unknown embedding strategy {name!r}; "
            f"valid names are {', '.join(EMBEDDING_STRATEGIES)}"
        ) from None
    return fn(tensor, **kw)


# --------------------------------------------------------------------------- two more
#
# Not among the paper's twelve: the initializers of two other audited papers applied to the
# (V, D) embedding matrix as torch.nn.init would apply them to any 2-D weight (rows = tokens,
# fan-in = D). They are in the catalogue (``emb_sinusoidal``, ``emb_edge_of_chaos``) but not in
# EMBEDDING_STRATEGIES, which lists the paper's strategies; models.lm.init_lm_embedding_
# dispatches to them.


def sinusoidal_embedding_(tensor, *, scale="xavier", generator=None):
    r"""The Sinusoidal initialization (Fernandez-Hernandez et al., NeurIPS 2025, arXiv
    2505.12909) applied to the (V, D) embedding matrix.

    .. math:: E_{ij} \propto \sin\!\Big(k\big(\tfrac{2\pi j}{D} + \tfrac{2\pi}{V}\big)\Big),
              \quad k = i + 1,

    i.e. :func:`models.init.sinusoidal_` on the matrix (rows = tokens with frequency ``k``,
    columns = dimensions ``j``), computed in float64. ``scale=None`` keeps that function's own
    scale, variance ``2 / D`` (gain sqrt(2), mode fan_in); ``"xavier"`` rescales as every
    strategy of this module. Structure along both axes. Deterministic: ``generator`` is ignored.

    Args:
        tensor: (V, D) embedding matrix, filled in place.
        scale: "xavier" or None (see module docstring).
        generator: ignored (deterministic); accepted for a uniform signature.

    Returns:
        ``tensor``.
    """
    from initaudit.models.init import sinusoidal_

    v, d = _check(tensor, scale, "sinusoidal_embedding_")
    values = sinusoidal_(torch.empty(v, d, dtype=_F64))
    return _finish(tensor, values, scale)


def edge_of_chaos_embedding_(tensor, *, scale="xavier", generator=None):
    r"""The edge-of-chaos hidden-layer rule (Combette, Venaille, Pustelnik, arXiv 2512.06427)
    applied to the (V, D) embedding matrix.

    .. math:: E_{ij} \sim \mathcal U\big(-\sqrt{3/D}, \sqrt{3/D}\big)\ \text{i.i.d.}

    i.e. :func:`models.init.edge_of_chaos_` (c_w = sqrt(3), fan-in D) on the matrix. No
    structure: the same law as :func:`random_` up to the scale, so after ``scale="xavier"`` it
    is a second i.i.d. uniform draw (a null control beside the baseline). ``scale=None`` keeps
    the variance ``1 / D``. Random: one ``uniform_`` draw of shape (V, D) in float64.

    Args:
        tensor: (V, D) embedding matrix, filled in place.
        scale: "xavier" or None (see module docstring).
        generator: torch.Generator to draw from.

    Returns:
        ``tensor``.
    """
    from initaudit.models.init import edge_of_chaos_

    v, d = _check(tensor, scale, "edge_of_chaos_embedding_")
    values = torch.empty(v, d, dtype=_F64, device=_device(generator))
    values = edge_of_chaos_(values, generator=generator).cpu()
    return _finish(tensor, values, scale)


_add(
    "emb_sinusoidal", sinusoidal_embedding_,
    paper="Fernandez-Hernandez, Mestre, Dolz, Duato, Quintana-Orti (2025), NeurIPS, on the "
          "embedding matrix",
    arxiv="2505.12909",
    formula="E = sinusoidal_(E) on the (V, D) matrix, rescaled to the Xavier variance",
    applies_to=("embedding",), random=False,
    notes="Not one of the harmonic-LM paper's twelve: the Sinusoidal rule applied to the "
          "embedding as to any 2-D weight (rows = tokens), then scale='xavier'.",
    defaults={"scale": "xavier"},
    url="https://github.com/jmiravet/Sinusoidal-Initialization",
    commit="9b601fb24143a2722c478f47df30df4ae262e519",
    style=Style("sinusoidal", macro="EmbSinusoidal"),
)
_add(
    "emb_edge_of_chaos", edge_of_chaos_embedding_,
    paper="Combette, Venaille, Pustelnik (2025), on the embedding matrix",
    arxiv="2512.06427",
    formula="E ~ U(-sqrt(3/D), sqrt(3/D)) i.i.d., rescaled to the Xavier variance",
    applies_to=("embedding",), random=True,
    notes="Not one of the harmonic-LM paper's twelve: the edge-of-chaos hidden rule (c_w = "
          "sqrt 3) on the embedding; after scale='xavier' a second i.i.d. uniform draw, a null "
          "control beside emb_random.",
    defaults={"scale": "xavier"},
    style=Style("edge of chaos", macro="EmbEdgeOfChaos"),
)
