"""One description of a fully connected network, shared by theory, models and analysis.

A :class:`NetworkSpec` fixes the architecture and the per-layer weight and bias variances in the
package's folded convention (any frequency omega_0 is multiplied into the weights and biases,
``sin(omega_0 (W x + b)) == sin(W' x + b')``)::

    z_1 = W_0 x + b_0,   x in R^d            Var W_0 = sigma_w0^2 / d,   Var b_0 = sigma_b0^2
    h_l = f(z_l),                 l = 1..L   ("depth L" counts the activated layers)
    z_{l+1} = W_l h_l + b_l,      l = 1..L-1 Var W_l = sigma_w^2 / N,    Var b_l = sigma_b^2
    y = W_L h_L + b_L                        (linear readout, its own variances)

``models`` builds the finite network from it (uniform or normal draws with exactly these
variances), ``theory`` maps it to q_l, chi_l and the NNGP/NTK kernels, and ``analysis`` compares
the two. The published initialisers are written in this form by the constructors below; each
docstring says how the source's layer maps onto it. Which constructor a named initialiser uses
is said once, by its entry in :mod:`models.catalogue` (:func:`models.catalogue.spec`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from initaudit.theory.gaussian import ACTIVATIONS
from initaudit.theory.checks import positive_int

CONVENTIONS = ("uniform", "normal")


@dataclass(frozen=True)
class LayerVariance:
    """Weight and bias variances of one layer: ``Var W = sigma_w2 / fan_in``, ``Var b = sigma_b2``."""

    sigma_w2: float
    sigma_b2: float

    def __post_init__(self):
        for name, val in (("sigma_w2", self.sigma_w2), ("sigma_b2", self.sigma_b2)):
            if not np.isfinite(val):
                raise ValueError(f"{name} must be finite, got {val}")
            if val < 0:
                raise ValueError(f"{name} must be non-negative (it is a variance), got {val}")
        if self.sigma_w2 == 0:
            raise ValueError("sigma_w2 must be positive: with zero weights no signal propagates")

    def weight_bound(self, fan_in: int) -> float:
        """Half-width of the uniform law with this weight variance: ``sqrt(3 sigma_w2 / fan_in)``."""
        return float(np.sqrt(3.0 * self.sigma_w2 / fan_in))

    def bias_bound(self) -> float:
        """Half-width of the uniform law with this bias variance: ``sqrt(3 sigma_b2)``."""
        return float(np.sqrt(3.0 * self.sigma_b2))


@dataclass(frozen=True)
class NetworkSpec:
    """A fully connected network with one activation, described by its layer variances.

    Attributes:
        d_in: input dimension d.
        width: hidden width N (all hidden layers).
        depth: number of activated layers L >= 1.
        first: variances of (W_0, b_0); ``Var W_0 = first.sigma_w2 / d_in``.
        hidden: variances of W_l, b_l for l = 1..L-1.
        readout: variances of the readout (W_L, b_L).
        d_out: output dimension.
        activation: one of :data:`theory.gaussian.ACTIVATIONS`.
        convention: "uniform" or "normal": the law the finite network draws from.
        first_convention: the first layer's law when it differs from ``convention`` (a
            measurement that replaces an initialiser's first layer by the edge-of-chaos one,
            ``U(+-omega0/d)``); None: ``convention``.
        name: label of the initialiser this spec comes from.
        omega0: first-layer frequency already folded into ``first`` (kept for reference only).
    """

    d_in: int
    width: int
    depth: int
    first: LayerVariance
    hidden: LayerVariance
    readout: LayerVariance
    d_out: int = 1
    activation: str = "sin"
    convention: str = "uniform"
    name: str = "custom"
    omega0: float = 1.0
    first_convention: str | None = None

    def __post_init__(self):
        for fname in ("d_in", "width", "depth", "d_out"):
            positive_int(getattr(self, fname), fname)
        if self.activation not in ACTIVATIONS:
            raise ValueError(
                f"unknown activation {self.activation!r}; valid activations are {', '.join(ACTIVATIONS)}"
            )
        for field in ("convention", "first_convention"):
            value = getattr(self, field)
            if value is None and field == "first_convention":
                continue
            if value not in CONVENTIONS:
                raise ValueError(
                    f"unknown {field.replace('_', ' ')} {value!r}; valid conventions are "
                    f"{', '.join(CONVENTIONS)}")

    @property
    def first_law(self) -> str:
        """The law the first layer draws from (``first_convention`` or ``convention``)."""
        return self.first_convention or self.convention

    def layers(self) -> list[LayerVariance]:
        """Variances of W_0 .. W_L in order (length depth + 1)."""
        return [self.first] + [self.hidden] * (self.depth - 1) + [self.readout]

    def fan_ins(self) -> list[int]:
        """Fan-in of W_0 .. W_L."""
        return [self.d_in] + [self.width] * self.depth

    def fan_outs(self) -> list[int]:
        """Fan-out of W_0 .. W_L."""
        return [self.width] * self.depth + [self.d_out]

    def with_(self, **changes) -> "NetworkSpec":
        """A copy with some fields changed (validated again)."""
        return replace(self, **changes)

    def q1(self, x) -> np.ndarray:
        """Variance of z_1 for each input row: ``sigma_w0^2 |x|^2 / d + sigma_b0^2``."""
        x = np.atleast_2d(np.asarray(x, dtype=np.float64))
        if x.shape[-1] != self.d_in:
            raise ValueError(f"inputs must have {self.d_in} columns (d_in), got shape {x.shape}")
        return self.first.sigma_w2 * np.sum(x**2, axis=-1) / self.d_in + self.first.sigma_b2


def _u(cval: float) -> float:
    """Variance of U(-c, c) divided by the fan-in scale: ``c^2 / 3``."""
    return float(cval) ** 2 / 3.0


def siren_reference(d_in: int, width: int, depth: int, omega0: float = 30.0,
                    hidden_omega0: float = 30.0) -> NetworkSpec:
    """SIREN as in its reference code (Sitzmann et al. 2020, arXiv 2006.09661, Sec. 3.2, supplement).

    Each sine layer computes ``sin(omega (W h + b))``: first layer ``W ~ U(+-1/d)``, hidden
    ``W ~ U(+-sqrt(6/N)/omega)``, biases keep torch's ``U(+-1/sqrt(fan_in))``, and omega multiplies
    the bias too. The final linear layer uses ``W ~ U(+-sqrt(6/N)/omega)`` and torch's bias.
    Folded: ``sigma_w0^2 = omega0^2/(3 d)``, ``sigma_b0^2 = omega0^2/(3 d)``; hidden ``sigma_w^2 = 2``
    (``c_w = sqrt(6)``), ``sigma_b^2 = omega^2/(3N)``; readout ``sigma_w^2 = 2/omega^2``,
    ``sigma_b^2 = 1/(3N)``.
    """
    return NetworkSpec(
        d_in=d_in, width=width, depth=depth, name="siren", omega0=omega0,
        first=LayerVariance(d_in * _u(omega0 / d_in), _u(omega0 / np.sqrt(d_in))),
        hidden=LayerVariance(_u(np.sqrt(6.0)), _u(hidden_omega0 / np.sqrt(width))),
        readout=LayerVariance(_u(np.sqrt(6.0) / hidden_omega0), _u(1.0 / np.sqrt(width))),
    )


def siren_port(d_in: int, width: int, depth: int, omega0: float = 30.0,
               hidden_omega0: float = 1.0, c: float = 6.0) -> NetworkSpec:
    """The siren-pytorch port: ``w_std = sqrt(c/fan_in)/w0`` (first layer ``1/fan_in``), weight
    and bias both ``U(+-w_std)``, layer ``sin(w0 (W h + b))``, hidden ``w0 = 1``, first ``w0 = 30``.

    Folded: first ``sigma_w0^2 = omega0^2/(3d)``, ``sigma_b0^2 = omega0^2/(3 d^2)``; hidden
    ``sigma_w^2 = c/3``, ``sigma_b^2 = c/(3N)``; its last layer is built the same way with the
    identity activation: ``sigma_w^2 = c/3``, ``sigma_b^2 = c/(3N)``.
    """
    w_std = np.sqrt(c / width) / hidden_omega0
    return NetworkSpec(
        d_in=d_in, width=width, depth=depth, name="siren_port", omega0=omega0,
        first=LayerVariance(d_in * _u(omega0 / d_in), _u(omega0 / d_in)),
        hidden=LayerVariance(width * _u(hidden_omega0 * w_std), _u(hidden_omega0 * w_std)),
        readout=LayerVariance(width * _u(w_std), _u(w_std)),
    )


def edge_of_chaos(d_in: int, width: int, depth: int, omega0: float = 30.0,
                  c_w: float | None = None, c_b: float | None = None,
                  sigma_a: float | None = None) -> NetworkSpec:
    """Edge-of-chaos SIREN init (Combette, Venaille and Pustelnik, arXiv 2512.06427).

    First layer ``W ~ U(+-omega0/d)``, zero bias; hidden ``W ~ U(+-c_w/sqrt(N))``,
    ``b ~ U(+-c_b)`` with ``c_b`` on the unit-gain curve. Give one of: ``sigma_a`` (the point with
    ``q* = sigma_a^2``; default 0, i.e. ``(sqrt(3), 0)``), ``c_w`` (``c_b`` from the curve), or both
    ``c_w`` and ``c_b`` (an arbitrary, possibly off-curve point). The readout is not specified by
    the paper; here ``U(+-sqrt(3/N))`` (``sigma_w^2 = 1``) with zero bias.
    """
    from initaudit.theory import sine

    if sigma_a is not None and (c_w is not None or c_b is not None):
        raise ValueError("give either sigma_a or (c_w[, c_b]), not both")
    if c_w is None:
        if c_b is not None:
            raise ValueError("c_b needs c_w")
        c_w, c_b = sine.unit_gain_point_for_q(0.0 if sigma_a is None else float(sigma_a) ** 2)
    elif c_b is None:
        c_b = sine.unit_gain_cb(c_w)
    name = "edge_of_chaos" if sigma_a in (None, 0, 0.0) else f"edge_of_chaos_sigma_a{sigma_a:g}"
    return NetworkSpec(
        d_in=d_in, width=width, depth=depth, name=name, omega0=omega0,
        first=LayerVariance(d_in * _u(omega0 / d_in), 0.0),
        hidden=LayerVariance(_u(c_w), _u(c_b)),
        readout=LayerVariance(1.0, 0.0),
    )


def xavier(d_in: int, width: int, depth: int, activation: str = "tanh", d_out: int = 1) -> NetworkSpec:
    """Glorot and Bengio (2010): ``Var W = 2/(fan_in + fan_out)``, zero biases.

    Per layer ``sigma_w^2 = 2 fan_in / (fan_in + fan_out)``: 1 for square hidden layers.
    """
    return NetworkSpec(
        d_in=d_in, width=width, depth=depth, d_out=d_out, activation=activation, name="xavier",
        first=LayerVariance(2.0 * d_in / (d_in + width), 0.0),
        hidden=LayerVariance(1.0, 0.0),
        readout=LayerVariance(2.0 * width / (width + d_out), 0.0),
    )


def he(d_in: int, width: int, depth: int, activation: str = "relu", d_out: int = 1) -> NetworkSpec:
    """He et al. (2015), arXiv 1502.01852: ``Var W = 2/fan_in`` (``sigma_w^2 = 2``), zero biases."""
    return NetworkSpec(
        d_in=d_in, width=width, depth=depth, d_out=d_out, activation=activation, name="he",
        first=LayerVariance(2.0, 0.0), hidden=LayerVariance(2.0, 0.0), readout=LayerVariance(2.0, 0.0),
    )


def sine_uniform(d_in: int, width: int, depth: int, c_w: float, c_b: float, omega0: float = 30.0,
                 readout: LayerVariance | None = None) -> NetworkSpec:
    """A sine network at an arbitrary (c_w, c_b) with the edge-of-chaos first layer."""
    return edge_of_chaos(d_in, width, depth, omega0=omega0, c_w=c_w, c_b=c_b).with_(
        name="sine_uniform", readout=readout or LayerVariance(1.0, 0.0)
    )
