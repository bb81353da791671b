r"""Weight initializers in the style of :mod:`torch.nn.init`, each registered with its source.

Conventions (see DESIGN.md). A sine network computes

    z_1 = W_0 x + b_0,   h_l = sin(z_l),   z_{l+1} = W_l h_l + b_l,   y = W_L h_L + b_L.

Hidden weights have mean 0 and Var = sigma_w^2 / N (N = fan-in). In the uniform convention
W ~ U(-c_w/sqrt(N), c_w/sqrt(N)), so sigma_w^2 = c_w^2 / 3, and b ~ U(-c_b, c_b), so
sigma_b^2 = c_b^2 / 3. A frequency omega_0 that a source applies inside the sine is *folded*
into the parameters: sin(omega_0 (W x + b)) == sin(W' x + b') with W' = omega_0 W and
b' = omega_0 b. Every docstring below says how its rule maps onto (sigma_w^2, sigma_b^2).

Three ways in:

* tensor initializers ``name_(tensor, ..., generator=None) -> tensor``: fill one tensor in place,
  under ``torch.no_grad()``, exactly as the source's code fills that tensor (the source's own
  parameterisation; the SIREN-type ones take ``folded=True`` for the folded form);
* :func:`init_linear_`: weight *and* bias of an ``nn.Linear`` for a role ("first", "hidden",
  "readout"), as the named source does for that role; by default in the folded form that the
  package's sine networks use;
* :func:`sinusoidal_init`: the Sinusoidal rule applied to every layer of a module, as that
  paper's reference code does.

Every rule has one entry in :mod:`models.catalogue` under a short name (``siren``,
``edge_of_chaos``, ``sinusoidal``, ...), added at the end of this module with its whole-layer
rule, mean-field spec, source and plot style; the entry's function is the hidden-layer weight
rule, and its notes say how biases and the first and readout layers are treated.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np
import torch
from torch import nn

from initaudit.models.catalogue import Style
from initaudit.models.catalogue import add as _add
from initaudit.models.catalogue import get as _catalogue_get
from initaudit.theory.checks import choice as _check_choice, positive_float as _check_positive
from initaudit.theory.checks import finite_float as _check_finite, floating_tensor as _check_floating
from initaudit.theory.checks import nonnegative_float as _check_nonnegative

__all__ = [
    "EDGE_OF_CHAOS_CB", "EDGE_OF_CHAOS_CW", "EDGE_OF_CHAOS_OMEGA0", "EDGE_OF_CHAOS_READOUT_CW",
    "FAN_MODES", "KAIMING_NONLINEARITIES", "ROLES", "SINUSOIDAL_GAIN", "SINUSOIDAL_VARIANTS",
    "SINE_POINTS", "SIREN_OMEGA0", "SIREN_PORT_C", "SIREN_PORT_W0", "SIREN_PORT_W0_INITIAL",
    "TORCH_DEFAULT_A",
    "edge_of_chaos_", "edge_of_chaos_bias_", "edge_of_chaos_first_", "edge_of_chaos_orthogonal_",
    "edge_of_chaos_sigma_a1_",
    "init_linear_", "kaiming_normal_", "kaiming_uniform_", "linear_init_names", "orthogonal_",
    "sinusoidal_", "sinusoidal_init", "sinusoidal_paper_", "siren_", "siren_bias_",
    "siren_first_", "siren_port_", "siren_port_bias_", "siren_port_first_",
    "torch_default_", "torch_default_bias_", "xavier_normal_", "xavier_uniform_",
]

# ----------------------------------------------------------------------------------------------
# Named constants, each with its source.

#: SIREN's frequency factor omega_0 = 30: Sitzmann et al. (2020), Sec. 3.2 (final paragraph) and
#: supplement Sec. 1.5. The reference code applies it inside the sine of the first and the
#: hidden layers: ``torch.sin(30 * input)`` (modules.py) / ``omega_0=30`` (explore_siren.ipynb).
SIREN_OMEGA0 = 30.0

#: siren-pytorch (lucidrains) defaults: ``Siren(..., c=6.)`` and ``SirenNet(..., w0=1.,
#: w0_initial=30.)``; c = 6 makes sqrt(c / dim_in) SIREN's sqrt(6 / n).
SIREN_PORT_C = 6.0
SIREN_PORT_W0 = 1.0
SIREN_PORT_W0_INITIAL = 30.0

#: Edge of chaos (Combette, Venaille, Pustelnik, arXiv 2512.06427): the sigma_a = 0 point of the
#: unit-gain curve (sigma_a^2 = q*, the fixed-point pre-activation variance), (c_w, c_b) =
#: (sqrt(3), 0), i.e. sigma_w^2 = 1 and sigma_b^2 = 0.
EDGE_OF_CHAOS_CW = math.sqrt(3.0)
EDGE_OF_CHAOS_CB = 0.0
#: First-layer frequency of the edge-of-chaos first layer U(-omega_0/n_in, omega_0/n_in); the
#: default is SIREN's 30 (pass another value to match a given experiment).
EDGE_OF_CHAOS_OMEGA0 = 30.0
#: Readout layer of the edge-of-chaos entries (not specified by the paper; our choice):
#: U(-sqrt(3/N), sqrt(3/N)), i.e. sigma_w^2 = 1, with zero bias.
EDGE_OF_CHAOS_READOUT_CW = math.sqrt(3.0)
#: Two sine points off the unit-gain curve, (c_w, c_b), one on each side (the package's own
#: controls, not a source's): the ordered side (chi < 1) and the chaotic side (chi > 1). Hidden
#: ``W ~ U(+-c_w/sqrt(N))``, ``b ~ U(+-c_b)``; first layer and readout of the edge of chaos.
SINE_POINTS = {"ordered": (1.5, 0.5), "chaotic": (2.4, 0.0)}
#: torch's nn.Linear and nn.ConvNd default (``reset_parameters``): kaiming_uniform_ with
#: a = sqrt(5), so the weight bound is 1/sqrt(fan_in); bias U(+-1/sqrt(fan_in)).
TORCH_DEFAULT_A = math.sqrt(5.0)
#: The public code the torch delegations reproduce bitwise: torch.nn.init of the installed torch.
_TORCH_INIT_URL = "https://github.com/pytorch/pytorch/blob/main/torch/nn/init.py"
_TORCH_TAG = "v" + torch.__version__.split("+")[0]

#: Default gain of the Sinusoidal initialization: ``gain: float = math.sqrt(2.0)`` in the
#: reference ``sinusoidal_`` (Fernandez-Hernandez et al. 2025, reference repository).
SINUSOIDAL_GAIN = math.sqrt(2.0)

FAN_MODES = ("fan_in", "fan_out")
ROLES = ("first", "hidden", "readout")
SINUSOIDAL_VARIANTS = ("current", "paper")
#: The ``nonlinearity`` values that torch.nn.init.calculate_gain accepts.
KAIMING_NONLINEARITIES = (
    "linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
    "conv_transpose3d", "sigmoid", "tanh", "relu", "leaky_relu", "selu",
)

# ----------------------------------------------------------------------------------------------
# Small helpers.


def _check_matrix(tensor: torch.Tensor, fn: str, *, exactly_2d: bool = False) -> None:
    """Raise ValueError unless ``tensor`` is a non-empty weight of the shape ``fn`` needs
    (TypeError unless it is a floating-point tensor)."""
    _check_floating(tensor, fn)
    if exactly_2d and tensor.dim() != 2:
        raise ValueError(
            f"{fn} needs a 2-D weight of shape (out_features, in_features); got shape "
            f"{tuple(tensor.shape)}"
        )
    if tensor.dim() < 2:
        raise ValueError(
            f"{fn} needs a weight with at least 2 dimensions, (out_features, in_features) or "
            f"(out_channels, in_channels, *kernel); got shape {tuple(tensor.shape)}"
        )
    if tensor.numel() == 0:
        raise ValueError(f"{fn} needs a non-empty tensor; got shape {tuple(tensor.shape)}")


def _check_bias(bias: torch.Tensor, fan_in: int, fn: str) -> int:
    _check_floating(bias, fn)
    if bias.dim() != 1:
        raise ValueError(f"{fn} needs a 1-D bias of shape (out_features,); got shape "
                         f"{tuple(bias.shape)}")
    if isinstance(fan_in, bool) or int(fan_in) != fan_in or fan_in < 1:
        raise ValueError(f"{fn} needs fan_in to be a positive integer; got {fan_in!r}")
    return int(fan_in)


def _fans(tensor: torch.Tensor) -> tuple[int, int]:
    """(fan_in, fan_out) as torch computes them for Linear and ConvNd weights."""
    receptive = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _uniform_(tensor: torch.Tensor, bound: float, scale: float,
              generator: torch.Generator | None) -> torch.Tensor:
    # Draw from U(-bound, bound) as the source does, then multiply by ``scale`` (omega_0 when the
    # folded form is asked for), so that a folded tensor is exactly scale times the source's.
    with torch.no_grad():
        tensor.uniform_(-bound, bound, generator=generator)
        if scale != 1.0:
            tensor.mul_(scale)
    return tensor


def _theory_sine():
    # Imported on first use: the catalogue loads without sympy's start-up cost.
    from initaudit.theory import sine

    return sine


# ----------------------------------------------------------------------------------------------
# PyTorch baselines: thin delegations, bitwise equal to torch.nn.init under the same generator.
# Biases of these entries are set to zero by init_linear_ (as the Sinusoidal reference code does
# for every baseline it compares against).

_BASELINE_NOTES = (
    "Delegates to torch.nn.init with the same arguments (bitwise equal under the same generator). "
    "init_linear_ sets the bias to zero for every role, as the Sinusoidal reference code does for "
    "its baselines (sigma_b^2 = 0)."
)


def xavier_uniform_(tensor: torch.Tensor, gain: float = 1.0,
                    generator: torch.Generator | None = None) -> torch.Tensor:
    r"""Glorot/Xavier uniform: :math:`W \sim U(-a, a)`, :math:`a = g\sqrt{6/(n_{in}+n_{out})}`.

    Source: Glorot and Bengio (2010), "Understanding the difficulty of training deep feedforward
    neural networks" (AISTATS; no arXiv id); implementation torch.nn.init.xavier_uniform_, to
    which this delegates. Package convention: Var(W) = 2 g^2 / (n_in + n_out), so
    sigma_w^2 = 2 g^2 n_in / (n_in + n_out) (= g^2 for a square matrix); sigma_b^2 = 0.

    Args:
        tensor: weight with at least 2 dimensions.
        gain: the factor g.
        generator: torch.Generator to draw from.

    Returns:
        ``tensor``, filled in place.
    """
    _check_matrix(tensor, "xavier_uniform_")
    _check_nonnegative(gain, "gain")  # torch draws U(-a, a): a negative gain has no meaning
    return nn.init.xavier_uniform_(tensor, gain=gain, generator=generator)


def xavier_normal_(tensor: torch.Tensor, gain: float = 1.0,
                   generator: torch.Generator | None = None) -> torch.Tensor:
    r"""Glorot/Xavier normal: :math:`W \sim N(0, s^2)`, :math:`s = g\sqrt{2/(n_{in}+n_{out})}`.

    Source: Glorot and Bengio (2010) (no arXiv id); delegates to torch.nn.init.xavier_normal_.
    Package convention (Gaussian): sigma_w^2 = 2 g^2 n_in / (n_in + n_out); sigma_b^2 = 0.

    Args:
        tensor: weight with at least 2 dimensions.
        gain: the factor g.
        generator: torch.Generator to draw from.

    Returns:
        ``tensor``, filled in place.
    """
    _check_matrix(tensor, "xavier_normal_")
    _check_nonnegative(gain, "gain")  # a standard deviation g * sqrt(2/(n_in + n_out))
    return nn.init.xavier_normal_(tensor, gain=gain, generator=generator)


def _check_kaiming(mode: str, nonlinearity: str, a) -> None:
    _check_choice(mode, FAN_MODES, "mode")
    _check_finite(a, "a")  # leaky_relu's slope: any finite value gives sqrt(2/(1 + a^2))
    _check_choice(nonlinearity, KAIMING_NONLINEARITIES, "nonlinearity")


def kaiming_uniform_(tensor: torch.Tensor, a: float = 0.0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu",
                     generator: torch.Generator | None = None) -> torch.Tensor:
    r"""He/Kaiming uniform: :math:`W \sim U(-b, b)`, :math:`b = g\sqrt{3/n_{mode}}`.

    ``g = torch.nn.init.calculate_gain(nonlinearity, a)`` and n_mode is fan_in or fan_out.
    Source: He, Zhang, Ren, Sun (2015), "Delving Deep into Rectifiers", arXiv 1502.01852;
    delegates to torch.nn.init.kaiming_uniform_ (same defaults). Package convention:
    Var(W) = g^2 / n_mode, so sigma_w^2 = g^2 for mode="fan_in" and g^2 n_in / n_out for
    "fan_out"; sigma_b^2 = 0.

    Args:
        tensor: weight with at least 2 dimensions.
        a: negative slope of leaky_relu (used by calculate_gain).
        mode: one of :data:`FAN_MODES`.
        nonlinearity: one of :data:`KAIMING_NONLINEARITIES`.
        generator: torch.Generator to draw from.

    Returns:
        ``tensor``, filled in place.
    """
    _check_matrix(tensor, "kaiming_uniform_")
    _check_kaiming(mode, nonlinearity, a)
    return nn.init.kaiming_uniform_(tensor, a=a, mode=mode, nonlinearity=nonlinearity,
                                    generator=generator)


def kaiming_normal_(tensor: torch.Tensor, a: float = 0.0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu",
                    generator: torch.Generator | None = None) -> torch.Tensor:
    r"""He/Kaiming normal: :math:`W \sim N(0, s^2)`, :math:`s = g/\sqrt{n_{mode}}`.

    Source: He et al. (2015), arXiv 1502.01852; delegates to torch.nn.init.kaiming_normal_.
    Package convention (Gaussian): sigma_w^2 = g^2 for mode="fan_in"; sigma_b^2 = 0.

    Args:
        tensor: weight with at least 2 dimensions.
        a: negative slope of leaky_relu (used by calculate_gain).
        mode: one of :data:`FAN_MODES`.
        nonlinearity: one of :data:`KAIMING_NONLINEARITIES`.
        generator: torch.Generator to draw from.

    Returns:
        ``tensor``, filled in place.
    """
    _check_matrix(tensor, "kaiming_normal_")
    _check_kaiming(mode, nonlinearity, a)
    return nn.init.kaiming_normal_(tensor, a=a, mode=mode, nonlinearity=nonlinearity,
                                   generator=generator)


def orthogonal_(tensor: torch.Tensor, gain: float = 1.0,
                generator: torch.Generator | None = None) -> torch.Tensor:
    r"""(Semi-)orthogonal: :math:`W = g\,Q` with :math:`Q` from the QR of a Gaussian matrix.

    Rows (or columns, whichever are fewer) of Q are orthonormal; there is no bound. Source:
    Saxe, McClelland, Ganguli (2013), "Exact solutions to the nonlinear dynamics of learning in
    deep linear neural networks", arXiv 1312.6120; delegates to torch.nn.init.orthogonal_.
    Package convention: for an r x c matrix the mean square entry is g^2 min(r, c) / (r c), so
    sigma_w^2 = g^2 min(r, c) / r (g^2 when square); sigma_b^2 = 0.

    Args:
        tensor: weight with at least 2 dimensions (flattened to (C_out, rest) by torch).
        gain: the factor g.
        generator: torch.Generator to draw from.

    Returns:
        ``tensor``, filled in place.
    """
    _check_matrix(tensor, "orthogonal_")
    _check_finite(gain, "gain")  # any sign: -Q is as Haar-distributed as Q
    return nn.init.orthogonal_(tensor, gain=gain, generator=generator)


def torch_default_(tensor: torch.Tensor,
                   generator: torch.Generator | None = None) -> torch.Tensor:
    r"""torch's default weight of ``nn.Linear`` and ``nn.ConvNd``: :math:`W \sim U(\pm 1/\sqrt{n_{in}})`.

    ``reset_parameters`` of both calls ``kaiming_uniform_(weight, a=sqrt(5))``: gain
    :math:`\sqrt{2/(1 + a^2)} = 1/\sqrt 3`, bound :math:`g\sqrt{3/n_{in}} = 1/\sqrt{n_{in}}`, so
    :math:`\sigma_w^2 = 1/3`. The bias (:func:`torch_default_bias_`) is
    :math:`U(\pm 1/\sqrt{n_{in}})`. n_in = fan-in (in_channels x kernel size for conv).

    Args:
        tensor: weight with at least 2 dimensions.
        generator: torch.Generator to draw from.

    Returns:
        ``tensor``, filled in place.
    """
    _check_matrix(tensor, "torch_default_")
    return nn.init.kaiming_uniform_(tensor, a=TORCH_DEFAULT_A, generator=generator)


def torch_default_bias_(bias: torch.Tensor, fan_in: int,
                        generator: torch.Generator | None = None) -> torch.Tensor:
    """torch's default bias of ``nn.Linear`` and ``nn.ConvNd``: ``U(+-1/sqrt(fan_in))``."""
    n = _check_bias(bias, fan_in, "torch_default_bias_")
    bound = 1.0 / math.sqrt(n)
    with torch.no_grad():
        return bias.uniform_(-bound, bound, generator=generator)


# ----------------------------------------------------------------------------------------------
# SIREN (Sitzmann et al. 2020) as the reference code does it.

_SIREN_NOTES = (
    "Reference layer: sin(omega_0 (W x + b)) with omega_0 = 30 (paper Sec. 3.2 and supplement "
    "Sec. 1.5). The registered function is the hidden weight rule. First layer (is_first): "
    "W ~ U(-1/n_in, 1/n_in). Biases are never re-initialised by the reference, so they keep "
    "torch's nn.Linear default b ~ U(-1/sqrt(n_in), 1/sqrt(n_in)) (siren_bias_) and are "
    "multiplied by omega_0 inside the sine. The final layer of the reference (outermost_linear) "
    "is a plain nn.Linear with the hidden weight rule U(+-sqrt(6/n)/omega_0) and the torch "
    "default bias, without a sine and so without omega_0. Folded form (W' = omega_0 W, "
    "b' = omega_0 b): hidden c_w = sqrt(6) (sigma_w^2 = 2) and c_b = omega_0/sqrt(N) "
    "(sigma_b^2 = omega_0^2/(3N)); first layer W' ~ U(+-omega_0/n_in), b' ~ "
    "U(+-omega_0/sqrt(n_in)); readout unchanged (sigma_w^2 = 2/omega_0^2, sigma_b^2 = 1/(3N)). "
    "init_linear_(layer, 'siren', role=...) applies all of this (folded=True by default)."
)


def siren_first_(tensor: torch.Tensor, omega0: float = SIREN_OMEGA0, *, folded: bool = False,
                 generator: torch.Generator | None = None) -> torch.Tensor:
    r"""SIREN first layer: :math:`W \sim U(-1/n_{in}, 1/n_{in})`.

    The bound does not involve omega_0: the reference's ``first_layer_sine_init`` draws
    U(-1/n_in, 1/n_in) and the layer computes sin(omega_0 (W x + b)). Source: Sitzmann et al.
    (2020), "Implicit Neural Representations with Periodic Activation Functions", arXiv
    2006.09661, reference code (modules.py ``first_layer_sine_init``; explore_siren.ipynb
    ``SineLayer.init_weights`` with ``is_first=True``). Folded: W' = omega_0 W ~
    U(-omega_0/n_in, omega_0/n_in), so Var(W') = omega_0^2 / (3 n_in^2) and, measured against
    the input dimension, sigma_w^2 = omega_0^2 / (3 n_in).

    Args:
        tensor: 2-D weight (out_features, in_features).
        omega0: the frequency factor (used only when ``folded``).
        folded: return omega_0 W instead of W.
        generator: torch.Generator to draw from.

    Returns:
        ``tensor``, filled in place.
    """
    _check_matrix(tensor, "siren_first_", exactly_2d=True)
    omega0 = _check_positive(omega0, "omega0")
    return _uniform_(tensor, 1.0 / tensor.shape[1], omega0 if folded else 1.0, generator)


def siren_(tensor: torch.Tensor, omega0: float = SIREN_OMEGA0, *, folded: bool = False,
           generator: torch.Generator | None = None) -> torch.Tensor:
    r"""SIREN hidden layer: :math:`W \sim U(-\sqrt{6/n}/\omega_0, \sqrt{6/n}/\omega_0)`.

    n = in_features. The layer computes sin(omega_0 (W x + b)) with omega_0 = 30 (paper Sec. 3.2,
    final paragraph; supplement Sec. 1.5). The reference's final linear layer uses this same
    weight rule (without a sine). Source: Sitzmann et al. (2020), arXiv 2006.09661, reference
    code (modules.py ``sine_init``; explore_siren.ipynb ``SineLayer`` and ``final_linear``).
    Folded: W' = omega_0 W ~ U(-sqrt(6/n), sqrt(6/n)), i.e. c_w = sqrt(6), sigma_w^2 = 2.

    Args:
        tensor: 2-D weight (out_features, in_features).
        omega0: the frequency factor omega_0.
        folded: return omega_0 W instead of W (for a layer computing sin(W' x + b')).
        generator: torch.Generator to draw from.

    Returns:
        ``tensor``, filled in place.
    """
    _check_matrix(tensor, "siren_", exactly_2d=True)
    omega0 = _check_positive(omega0, "omega0")
    bound = math.sqrt(6.0 / tensor.shape[1]) / omega0
    return _uniform_(tensor, bound, omega0 if folded else 1.0, generator)


def siren_bias_(bias: torch.Tensor, fan_in: int, omega0: float = SIREN_OMEGA0, *,
                folded: bool = False, generator: torch.Generator | None = None) -> torch.Tensor:
    r"""SIREN bias: torch's nn.Linear default :math:`b \sim U(-1/\sqrt{n}, 1/\sqrt{n})`.

    The reference never re-initialises biases, so they keep the nn.Linear default (n = fan_in)
    and, in sine layers, are multiplied by omega_0 inside the sine. Folded (sine layers only):
    b' = omega_0 b ~ U(-omega_0/sqrt(n), omega_0/sqrt(n)), c_b = omega_0/sqrt(n),
    sigma_b^2 = omega_0^2 / (3 n). For the readout layer (no sine) pass ``folded=False``:
    sigma_b^2 = 1/(3 n). Source: Sitzmann et al. (2020), arXiv 2006.09661, reference code;
    torch.nn.Linear.reset_parameters.

    Args:
        bias: 1-D bias (out_features,).
        fan_in: in_features of the layer.
        omega0: the frequency factor (used only when ``folded``).
        folded: return omega_0 b instead of b.
        generator: torch.Generator to draw from.

    Returns:
        ``bias``, filled in place.
    """
    fan_in = _check_bias(bias, fan_in, "siren_bias_")
    omega0 = _check_positive(omega0, "omega0")
    return _uniform_(bias, 1.0 / math.sqrt(fan_in), omega0 if folded else 1.0, generator)


# ----------------------------------------------------------------------------------------------
# siren-pytorch (lucidrains): the popular port, which differs from the reference.

_SIREN_PORT_NOTES = (
    "siren-pytorch (github.com/lucidrains/siren-pytorch), Siren.init_: w_std = 1/dim_in for the "
    "first layer and sqrt(c/dim_in)/w0 otherwise (c = 6); weight AND bias ~ U(-w_std, w_std); the "
    "layer computes sin(w0 (W x + b)); SirenNet uses w0_initial = 30 for the first layer and "
    "w0 = 1 for the others (version 0.1.7; version 0.0.4 defaulted w0 = 30); the last layer uses "
    "the hidden rule with w0 and an identity activation. Disagreements with the reference SIREN code: (1) biases "
    "are drawn from the weight's range instead of torch's U(+-1/sqrt(n_in)); (2) hidden layers "
    "run at w0 = 1 instead of omega_0 = 30, so the folded hidden bias is U(+-sqrt(6/N)) (sigma_b^2 "
    "= 2/N, vanishing with width) instead of U(+-30/sqrt(N)); the folded hidden weights agree "
    "(c_w = sqrt(6)); (3) the first-layer bias is U(+-1/n_in) (folded U(+-30/n_in)) instead of "
    "U(+-1/sqrt(n_in)) (folded U(+-30/sqrt(n_in))); (4) the readout weight is U(+-sqrt(6/N)) "
    "instead of U(+-sqrt(6/N)/30), with a bias from the same range."
)


def siren_port_first_(tensor: torch.Tensor, w0_initial: float = SIREN_PORT_W0_INITIAL, *,
                      folded: bool = False,
                      generator: torch.Generator | None = None) -> torch.Tensor:
    r"""siren-pytorch first layer: :math:`W \sim U(-1/n_{in}, 1/n_{in})`.

    Inside sin(w0_initial (W x + b)), w0_initial = 30. Source: siren-pytorch (Phil Wang,
    github.com/lucidrains/siren-pytorch), ``Siren.init_`` with ``is_first=True``; a port of
    Sitzmann et al. (2020), arXiv 2006.09661. Folded: W' ~ U(-w0_initial/n_in, w0_initial/n_in),
    sigma_w^2 = w0_initial^2 / (3 n_in) against the input dimension. The bias of this layer is
    :func:`siren_port_bias_` with ``role="first"``.

    Args:
        tensor: 2-D weight (out_features, in_features).
        w0_initial: the first layer's frequency factor (used only when ``folded``).
        folded: return w0_initial W instead of W.
        generator: torch.Generator to draw from.

    Returns:
        ``tensor``, filled in place.
    """
    _check_matrix(tensor, "siren_port_first_", exactly_2d=True)
    w0_initial = _check_positive(w0_initial, "w0_initial")
    return _uniform_(tensor, 1.0 / tensor.shape[1], w0_initial if folded else 1.0, generator)


def siren_port_(tensor: torch.Tensor, w0: float = SIREN_PORT_W0, c: float = SIREN_PORT_C, *,
                folded: bool = False, generator: torch.Generator | None = None) -> torch.Tensor:
    r"""siren-pytorch hidden layer: :math:`W \sim U(-w, w)`, :math:`w = \sqrt{c/n}/w_0`.

    n = in_features, c = 6, w0 = 1 by default (``SirenNet(w0=1.)``). Inside sin(w0 (W x + b)).
    The readout layer of ``SirenNet`` uses this rule too, with an identity activation. Source:
    siren-pytorch (github.com/lucidrains/siren-pytorch), ``Siren.init_``; a port of Sitzmann
    et al. (2020), arXiv 2006.09661, which disagrees with the reference on biases and on w0
    (see the catalogue notes). Folded: W' = w0 W ~ U(-sqrt(c/n), sqrt(c/n)), c_w = sqrt(c),
    sigma_w^2 = c/3 (= 2), whatever w0.

    Args:
        tensor: 2-D weight (out_features, in_features).
        w0: the layer's frequency factor.
        c: the constant c.
        folded: return w0 W instead of W.
        generator: torch.Generator to draw from.

    Returns:
        ``tensor``, filled in place.
    """
    _check_matrix(tensor, "siren_port_", exactly_2d=True)
    w0 = _check_positive(w0, "w0")
    c = _check_positive(c, "c")
    bound = math.sqrt(c / tensor.shape[1]) / w0
    return _uniform_(tensor, bound, w0 if folded else 1.0, generator)


def siren_port_bias_(bias: torch.Tensor, fan_in: int, *, role: str = "hidden",
                     w0: float | None = None, c: float = SIREN_PORT_C, folded: bool = False,
                     generator: torch.Generator | None = None) -> torch.Tensor:
    r"""siren-pytorch bias: the weight's range, :math:`b \sim U(-w, w)`.

    w = 1/n for role "first", sqrt(c/n)/w0 for "hidden" and "readout" (n = fan_in). ``w0``
    defaults to the port's value for the role: w0_initial = 30 for "first", w0 = 1 otherwise.
    Folded (sine layers, i.e. not "readout"): b' = w0 b, so c_b = w0/n (first) or sqrt(c/n)
    (hidden), sigma_b^2 = c/(3n) for hidden layers. Source: siren-pytorch ``Siren.init_``
    (``bias.uniform_(-w_std, w_std)``).

    Args:
        bias: 1-D bias (out_features,).
        fan_in: in_features of the layer.
        role: one of :data:`ROLES`.
        w0: the layer's frequency factor (default from ``role``).
        c: the constant c.
        folded: return w0 b instead of b (ignored for "readout", which has no sine).
        generator: torch.Generator to draw from.

    Returns:
        ``bias``, filled in place.
    """
    fan_in = _check_bias(bias, fan_in, "siren_port_bias_")
    _check_choice(role, ROLES, "role")
    if w0 is None:
        w0 = SIREN_PORT_W0_INITIAL if role == "first" else SIREN_PORT_W0
    w0 = _check_positive(w0, "w0")
    c = _check_positive(c, "c")
    bound = 1.0 / fan_in if role == "first" else math.sqrt(c / fan_in) / w0
    scale = w0 if (folded and role != "readout") else 1.0
    return _uniform_(bias, bound, scale, generator)


# ----------------------------------------------------------------------------------------------
# Edge of chaos (Combette, Venaille, Pustelnik; arXiv 2512.06427). Published in the folded form.

_EOC_NOTES = (
    "Published in the folded form (the network computes sin(W x + b)). First layer: "
    "W ~ U(-omega_0/n_in, omega_0/n_in), zero bias (edge_of_chaos_first_; omega_0 defaults to 30). "
    "Hidden: W ~ U(-c_w/sqrt(N), c_w/sqrt(N)), b ~ U(-c_b, c_b) with (c_w, c_b) on the unit-gain "
    "curve c_b(c_w) = sqrt(3 - c_w^2 - (3/2) ln(6/c_w^2 - 1)), c_w in [sqrt(3), sqrt(6)) "
    "(theory.sine.unit_gain_cb; edge_of_chaos_bias_). Readout: not specified by the paper; "
    "init_linear_ uses U(-sqrt(3/N), sqrt(3/N)) (sigma_w^2 = 1) and a zero bias."
)


def edge_of_chaos_first_(tensor: torch.Tensor, omega0: float = EDGE_OF_CHAOS_OMEGA0, *,
                         generator: torch.Generator | None = None) -> torch.Tensor:
    r"""Edge-of-chaos first layer: :math:`W \sim U(-\omega_0/n_{in}, \omega_0/n_{in})`.

    Zero bias. Source: Combette, Venaille, Pustelnik, arXiv 2512.06427 (first layer as in SIREN,
    folded). Package convention: Var(W) = omega_0^2 / (3 n_in^2), i.e. sigma_w^2 =
    omega_0^2 / (3 n_in) against the input dimension; sigma_b^2 = 0.

    Args:
        tensor: 2-D weight (out_features, in_features).
        omega0: the first-layer frequency omega_0.
        generator: torch.Generator to draw from.

    Returns:
        ``tensor``, filled in place.
    """
    _check_matrix(tensor, "edge_of_chaos_first_", exactly_2d=True)
    omega0 = _check_positive(omega0, "omega0")
    return _uniform_(tensor, omega0 / tensor.shape[1], 1.0, generator)


def edge_of_chaos_(tensor: torch.Tensor, c_w: float = EDGE_OF_CHAOS_CW, *,
                   generator: torch.Generator | None = None) -> torch.Tensor:
    r"""Edge-of-chaos hidden weight: :math:`W \sim U(-c_w/\sqrt{N}, c_w/\sqrt{N})`.

    N = in_features; default c_w = sqrt(3) (the sigma_a = 0 point, whose bias is zero). The
    matching bias is :func:`edge_of_chaos_bias_`. Source: Combette, Venaille, Pustelnik,
    arXiv 2512.06427. Package convention: sigma_w^2 = c_w^2 / 3 (= 1 by default).

    Args:
        tensor: 2-D weight (out_features, in_features).
        c_w: the uniform half-width factor.
        generator: torch.Generator to draw from.

    Returns:
        ``tensor``, filled in place.
    """
    _check_matrix(tensor, "edge_of_chaos_", exactly_2d=True)
    c_w = _check_positive(c_w, "c_w")
    return _uniform_(tensor, c_w / math.sqrt(tensor.shape[1]), 1.0, generator)


def edge_of_chaos_bias_(bias: torch.Tensor, c_b: float | None = None, *,
                        c_w: float = EDGE_OF_CHAOS_CW,
                        generator: torch.Generator | None = None) -> torch.Tensor:
    r"""Edge-of-chaos hidden bias: :math:`b \sim U(-c_b, c_b)`, :math:`c_b = c_b(c_w)`.

    With ``c_b=None`` the bias lies on the unit-gain curve,
    c_b(c_w) = sqrt(3 - c_w^2 - (3/2) ln(6/c_w^2 - 1)) for c_w in [sqrt(3), sqrt(6)), evaluated
    by :func:`theory.sine.unit_gain_cb` (which raises ValueError outside that domain); at the
    default c_w = sqrt(3) it is the stated point c_b = 0 and needs no evaluation. A zero c_b
    fills zeros without drawing from ``generator``. Source: Combette, Venaille, Pustelnik,
    arXiv 2512.06427. Package convention: sigma_b^2 = c_b^2 / 3.

    Args:
        bias: 1-D bias (out_features,).
        c_b: the half-width, or None for the unit-gain curve at ``c_w``.
        c_w: the weight factor of the same layer (used when ``c_b`` is None).
        generator: torch.Generator to draw from.

    Returns:
        ``bias``, filled in place.
    """
    _check_floating(bias, "edge_of_chaos_bias_")
    if bias.dim() != 1:
        raise ValueError(f"edge_of_chaos_bias_ needs a 1-D bias of shape (out_features,); got "
                         f"shape {tuple(bias.shape)}")
    if c_b is None:
        c_b = EDGE_OF_CHAOS_CB if c_w == EDGE_OF_CHAOS_CW else _theory_sine().unit_gain_cb(c_w)
    c_b = _check_nonnegative(c_b, "c_b")
    if c_b == 0.0:
        with torch.no_grad():
            return bias.zero_()
    return _uniform_(bias, c_b, 1.0, generator)


def edge_of_chaos_sigma_a1_(tensor: torch.Tensor, *,
                            generator: torch.Generator | None = None) -> torch.Tensor:
    r"""Edge of chaos at q* = 1: :math:`W \sim U(-c_w/\sqrt{N}, c_w/\sqrt{N})`.

    c_w^2 = 6/(1 + e^{-2}) (c_w ~ 2.2988), taken from :func:`theory.sine.sigma_a1_point`; the
    bias of this point is U(-c_b, c_b) with c_b^2 = 6 e^{-2}/(1 + e^{-2}) (c_b ~ 0.8457), which
    :func:`init_linear_` applies. Source: Combette, Venaille, Pustelnik, arXiv 2512.06427.
    Package convention: sigma_w^2 = 2/(1 + e^{-2}), sigma_b^2 = 2 e^{-2}/(1 + e^{-2}), so that
    q* = sigma_w^2 E[sin^2 z] + sigma_b^2 = 1 and chi = sigma_w^2 E[cos^2 z] = 1 at q* = 1.

    Args:
        tensor: 2-D weight (out_features, in_features).
        generator: torch.Generator to draw from.

    Returns:
        ``tensor``, filled in place.
    """
    _check_matrix(tensor, "edge_of_chaos_sigma_a1_", exactly_2d=True)
    c_w, _ = _theory_sine().sigma_a1_point()
    return edge_of_chaos_(tensor, c_w, generator=generator)


def edge_of_chaos_orthogonal_(tensor: torch.Tensor, c_w: float = EDGE_OF_CHAOS_CW, *,
                              generator: torch.Generator | None = None) -> torch.Tensor:
    r"""Edge-of-chaos hidden weight with orthogonal rows: :math:`W = g\,Q`, :math:`Q` Haar.

    The package's orthogonal variant of :func:`edge_of_chaos_`: the same weight variance
    sigma_w^2 = c_w^2 / 3 against the fan-in N (so the same mean field and the same point of the
    unit-gain curve), but ``W^T W = sigma_w^2 I`` for a square matrix instead of a
    Marchenko-Pastur spectrum. The gain is g = sqrt(sigma_w^2 r / min(r, c)) for an r x c matrix
    (g = c_w / sqrt(3) when square); Q comes from the QR of a Gaussian matrix with the signs of
    R's diagonal fixed (torch.nn.init.orthogonal_), i.e. Haar-distributed. It answers the
    source's open question 2 (Combette, Venaille, Pustelnik, arXiv 2512.06427: can orthogonal
    weights make the unit-gain points dynamically isometric?).

    Args:
        tensor: 2-D weight (out_features, in_features).
        c_w: the half-width factor of the i.i.d. rule with the same variance.
        generator: torch.Generator to draw from.

    Returns:
        ``tensor``, filled in place.
    """
    _check_matrix(tensor, "edge_of_chaos_orthogonal_", exactly_2d=True)
    c_w = _check_positive(c_w, "c_w")
    r, c = tensor.shape
    return nn.init.orthogonal_(tensor, gain=math.sqrt(c_w * c_w / 3.0 * r / min(r, c)),
                               generator=generator)


# ----------------------------------------------------------------------------------------------
# Sinusoidal initialization (Fernandez-Hernandez et al. 2025): deterministic.

def _flat_shape(tensor: torch.Tensor) -> tuple[int, int]:
    # Conv weights are handled as the (C_out, C_in * prod(kernel)) matrix, as the reference does.
    return tensor.shape[0], math.prod(tensor.shape[1:])


def _sinusoidal_pattern(n_out: int, n_in: int) -> np.ndarray:
    """raw[k-1, j] = sin(k (2 pi j / n_in + 2 pi / n_out)), k = 1..n_out, j = 0..n_in-1 (float64).

    The argument is formed in the reference's order: (j * freq + phase) * k.
    """
    # The pattern vanishes identically iff 2 k (j / n_in + 1 / n_out) is an integer for every
    # k, j: k = 1, j = 0 forces n_out <= 2 and k = 1, j = 1 then forces n_in <= 2. The
    # reference would then normalise floating-point rounding noise; we refuse instead.
    if n_out <= 2 and n_in <= 2:
        raise ValueError(
            f"the sinusoidal pattern is identically zero for a ({n_out}, {n_in}) matrix (both "
            f"dimensions <= 2), so it cannot be normalised; use another initializer for it"
        )
    position = np.arange(n_in, dtype=np.float64) * (2.0 * np.pi / n_in) + 2.0 * np.pi / n_out
    neuron = np.arange(1, n_out + 1, dtype=np.float64)
    return np.sin(neuron[:, None] * position[None, :])


def _sinusoidal_conv_pattern_paper(c_out: int, n_in: int) -> np.ndarray:
    """raw[i, j] = sin(j (i + 1) 2 pi / C_out + i 2 pi / C_out), i < C_out, j < n_in (float64)."""
    # Zero for every (i, j) iff 2((i + 1) j + i) / C_out is always an integer: i = 1 (or i = 0,
    # j = 1) forces C_out <= 2, and C_out = 1, 2 indeed give only multiples of pi.
    if c_out <= 2:
        raise ValueError(
            f"the paper's convolutional sinusoidal pattern is identically zero for "
            f"C_out = {c_out} <= 2, so it cannot be normalised; use another initializer for it"
        )
    i = np.arange(c_out, dtype=np.float64)[:, None]
    j = np.arange(n_in, dtype=np.float64)[None, :]
    return np.sin(j * ((i + 1.0) * 2.0 * np.pi / c_out) + i * (2.0 * np.pi / c_out))


def _copy_pattern_(tensor: torch.Tensor, values: np.ndarray) -> torch.Tensor:
    with torch.no_grad():
        src = torch.from_numpy(np.ascontiguousarray(values)).reshape(tensor.shape)
        tensor.copy_(src)
    return tensor


def sinusoidal_(tensor: torch.Tensor, mode: str = "fan_in", gain: float = SINUSOIDAL_GAIN,
                generator: torch.Generator | None = None) -> torch.Tensor:
    r"""Sinusoidal initialization (current reference code).

    With n_out rows (k = 1..n_out) and n_in columns (j = 0..n_in-1) of the weight seen as a
    matrix (conv weights flattened to (C_out, C_in * prod(kernel)), then reshaped back):

    .. math::
        R_{kj} = \sin\left(\frac{2\pi k j}{n_{in}} + \frac{2\pi k}{n_{out}}\right), \qquad
        W = R \,\frac{g}{\sqrt{\operatorname{var}(R)\, n_{mode}}},

    var the unbiased variance over all entries and n_mode torch's fan_in or fan_out. There is no
    bound: |W| <= g / sqrt(var(R) n_mode). Source: Fernandez-Hernandez, Mestre, Dolz, Duato,
    Quintana-Orti, "Sinusoidal Initialization, Time for a New Start", NeurIPS 2025, arXiv
    2505.12909; reference code github.com/jmiravet/Sinusoidal-Initialization, ``initialize.py``
    ``sinusoidal_(tensor, mode="fan_in", gain=math.sqrt(2.0), generator=None)``. The pattern is
    computed here in float64 (the reference: float32) and cast to the tensor's dtype.
    Package convention: var(W) = g^2 / n_mode exactly, so sigma_w^2 = g^2 with mode="fan_in";
    bias zero, sigma_b^2 = 0. Deterministic: ``generator`` is accepted and ignored.

    Args:
        tensor: weight with at least 2 dimensions.
        mode: one of :data:`FAN_MODES`.
        gain: the factor g.
        generator: ignored (accepted for the torch.nn.init signature).

    Returns:
        ``tensor``, filled in place.

    Raises:
        TypeError: a tensor that is not floating point, or a gain that is not a real number.
        ValueError: for a tensor with fewer than 2 dimensions or no entries, an unknown mode,
            a non-finite gain, or a shape whose pattern vanishes (n_out <= 2 and n_in <= 2).
    """
    del generator  # deterministic
    _check_matrix(tensor, "sinusoidal_")
    _check_choice(mode, FAN_MODES, "mode")
    gain = _check_finite(gain, "gain")  # a negative gain flips the pattern's sign
    n_out, n_in = _flat_shape(tensor)
    raw = _sinusoidal_pattern(n_out, n_in)
    fan_in, fan_out = _fans(tensor)
    fan = fan_in if mode == "fan_in" else fan_out
    amplitude = gain / math.sqrt(raw.var(ddof=1) * fan)
    return _copy_pattern_(tensor, raw * amplitude)


def sinusoidal_paper_(tensor: torch.Tensor,
                      generator: torch.Generator | None = None) -> torch.Tensor:
    r"""Sinusoidal initialization as used for the paper's experiments (Xavier-like scale).

    2-D weights (Linear): the pattern of :func:`sinusoidal_`. Weights with 3 or more dimensions
    (conv, flattened to (C_out, n_in), n_in = C_in * prod(kernel)):

    .. math::
        R_{ij} = \sin\left(j (i+1) \frac{2\pi}{C_{out}} + i \frac{2\pi}{C_{out}}\right),
        \quad i = 0..C_{out}-1,\ j = 0..n_{in}-1.

    Both: :math:`W = R\sqrt{2 / (\operatorname{var}(R)(n_{in} + n_{out}))}` with n_out = C_out
    for conv and var the unbiased variance over all entries. Source: Fernandez-Hernandez et al.,
    NeurIPS 2025, arXiv 2505.12909; reference repository, ``initialize.py``
    ``fernandez_sinusoidal3``. Package convention: var(W) = 2/(n_in + n_out), sigma_w^2 =
    2 n_in/(n_in + n_out); bias zero. Deterministic: ``generator`` is accepted and ignored.

    Args:
        tensor: weight with at least 2 dimensions.
        generator: ignored (accepted for the torch.nn.init signature).

    Returns:
        ``tensor``, filled in place.
    """
    del generator  # deterministic
    _check_matrix(tensor, "sinusoidal_paper_")
    n_out, n_in = _flat_shape(tensor)
    if tensor.dim() == 2:
        raw = _sinusoidal_pattern(n_out, n_in)
    else:
        raw = _sinusoidal_conv_pattern_paper(n_out, n_in)
    amplitude = math.sqrt(2.0 / (raw.var(ddof=1) * (n_in + n_out)))
    return _copy_pattern_(tensor, raw * amplitude)


_SINUSOIDAL_LAYERS = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)


def sinusoidal_init(module: nn.Module, variant: str = "current", *,
                    attention: bool | None = None) -> nn.Module:
    """Apply the Sinusoidal rule to every layer of ``module``, as the reference code does.

    Every ``nn.Linear`` (including the ``out_proj`` of ``nn.MultiheadAttention``, a Linear
    subclass) and ``nn.Conv1d/2d/3d`` gets the sinusoidal weight and a zero bias. With
    ``attention``, each ``nn.MultiheadAttention`` gets the rule on its input projection: a
    packed ``in_proj_weight`` of shape (3E, E) is split into its q, k, v blocks, each
    initialised as its own (E, E) matrix; separate ``q/k/v_proj_weight`` are initialised one by
    one. ``in_proj_bias``, ``bias_k`` and ``bias_v`` are left as they are (torch sets
    ``in_proj_bias`` to zero). Source: reference repository of Fernandez-Hernandez et al.
    (2025), arXiv 2505.12909, ``initialize.py``: ``sinusoidal_init`` (current, applied with
    ``model.apply``) and ``fernandez_sinusoidal3`` (paper).

    Args:
        module: any module; visited recursively.
        variant: "current" (:func:`sinusoidal_` with its defaults) or "paper"
            (:func:`sinusoidal_paper_`); see :data:`SINUSOIDAL_VARIANTS`.
        attention: whether to initialise MultiheadAttention input projections. Default: as
            the variant's reference code does, True for "current" and False for "paper"
            (whose module function visits only nn.Linear and nn.Conv2d).

    Returns:
        ``module``, initialised in place.
    """
    _check_choice(variant, SINUSOIDAL_VARIANTS, "variant")
    if attention is None:
        attention = variant == "current"
    rule = sinusoidal_ if variant == "current" else sinusoidal_paper_
    with torch.no_grad():
        for m in module.modules():
            if isinstance(m, _SINUSOIDAL_LAYERS):
                if getattr(m, "weight", None) is not None:
                    rule(m.weight)
                if getattr(m, "bias", None) is not None:
                    m.bias.zero_()
            elif attention and isinstance(m, nn.MultiheadAttention):
                for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                    w = getattr(m, name, None)
                    if w is not None:
                        rule(w)
                if getattr(m, "in_proj_weight", None) is not None:
                    rows, cols = m.in_proj_weight.shape
                    blocks = m.in_proj_weight.view(3, rows // 3, cols)
                    for i in range(3):
                        rule(blocks[i])
    return module


# ----------------------------------------------------------------------------------------------
# Whole nn.Linear layers: weight and bias for a role, as each source does.

def _zero_bias(layer: nn.Linear) -> None:
    if layer.bias is not None:
        with torch.no_grad():
            layer.bias.zero_()


def _baseline_rule(fn: Callable) -> Callable:
    def rule(layer, role, generator, *, folded=True, **kwargs):
        del role, folded  # the same for every role; no frequency to fold
        fn(layer.weight, generator=generator, **kwargs)
        _zero_bias(layer)
    return rule


def _siren_rule(layer, role, generator, *, omega0=SIREN_OMEGA0, folded=True):
    n_in = layer.in_features
    if role == "first":
        siren_first_(layer.weight, omega0, folded=folded, generator=generator)
    else:
        # The readout of the reference is a plain nn.Linear (no sine, hence nothing to fold).
        siren_(layer.weight, omega0, folded=folded and role == "hidden", generator=generator)
    if layer.bias is not None:
        siren_bias_(layer.bias, n_in, omega0, folded=folded and role != "readout",
                    generator=generator)


def _siren_port_rule(layer, role, generator, *, w0=None, c=SIREN_PORT_C, folded=True):
    if w0 is None:
        w0 = SIREN_PORT_W0_INITIAL if role == "first" else SIREN_PORT_W0
    if role == "first":
        siren_port_first_(layer.weight, w0, folded=folded, generator=generator)
    else:
        siren_port_(layer.weight, w0, c, folded=folded and role == "hidden", generator=generator)
    if layer.bias is not None:
        siren_port_bias_(layer.bias, layer.in_features, role=role, w0=w0, c=c, folded=folded,
                         generator=generator)


def _eoc_rule(layer, role, generator, *, omega0=EDGE_OF_CHAOS_OMEGA0, c_w=EDGE_OF_CHAOS_CW,
              c_b=None, folded=True):
    del folded  # published in the folded form already
    if role == "first":
        edge_of_chaos_first_(layer.weight, omega0, generator=generator)
        _zero_bias(layer)
    elif role == "hidden":
        edge_of_chaos_(layer.weight, c_w, generator=generator)
        if layer.bias is not None:
            edge_of_chaos_bias_(layer.bias, c_b, c_w=c_w, generator=generator)
    else:
        edge_of_chaos_(layer.weight, EDGE_OF_CHAOS_READOUT_CW, generator=generator)
        _zero_bias(layer)


def _eoc_a1_rule(layer, role, generator, *, omega0=EDGE_OF_CHAOS_OMEGA0, folded=True):
    if role == "hidden":
        c_w, c_b = _theory_sine().sigma_a1_point()
        _eoc_rule(layer, role, generator, c_w=c_w, c_b=c_b)
    else:
        _eoc_rule(layer, role, generator, omega0=omega0, folded=folded)


def _eoc_orthogonal_rule(sigma_a: float) -> Callable:
    """Whole-layer rule of the orthogonal edge-of-chaos variant at the unit-gain point with
    q* = sigma_a^2: the edge-of-chaos first layer and readout, hidden weights
    :func:`edge_of_chaos_orthogonal_`, hidden bias U(+-c_b) of the same point."""

    def rule(layer, role, generator, *, omega0=EDGE_OF_CHAOS_OMEGA0, folded=True):
        if role != "hidden":
            return _eoc_rule(layer, role, generator, omega0=omega0, folded=folded)
        c_w, c_b = _theory_sine().unit_gain_point_for_q(sigma_a * sigma_a)
        edge_of_chaos_orthogonal_(layer.weight, c_w, generator=generator)
        if layer.bias is not None:
            edge_of_chaos_bias_(layer.bias, c_b, c_w=c_w, generator=generator)
    return rule


def _sinusoidal_rule(layer, role, generator, *, mode="fan_in", gain=SINUSOIDAL_GAIN,
                     folded=True):
    del role, generator, folded
    sinusoidal_(layer.weight, mode=mode, gain=gain)
    _zero_bias(layer)


def _sinusoidal_paper_rule(layer, role, generator, *, folded=True):
    del role, generator, folded
    sinusoidal_paper_(layer.weight)
    _zero_bias(layer)


def _point_rule(c_w: float, c_b: float) -> Callable:
    """Whole-layer rule of a sine point off the unit-gain curve: the edge-of-chaos first layer
    and readout, hidden ``W ~ U(+-c_w/sqrt(N))``, ``b ~ U(+-c_b)``."""

    def rule(layer, role, generator, *, omega0=EDGE_OF_CHAOS_OMEGA0, folded=True):
        if role == "hidden":
            _eoc_rule(layer, role, generator, c_w=c_w, c_b=c_b)
        else:
            _eoc_rule(layer, role, generator, omega0=omega0, folded=folded)
    return rule


def _torch_default_rule(layer, role, generator, *, folded=True):
    del role, folded  # the same for every role; no frequency to fold
    torch_default_(layer.weight, generator=generator)
    if layer.bias is not None:
        torch_default_bias_(layer.bias, layer.in_features, generator=generator)


def linear_init_names(controls: bool = False) -> list[str]:
    """Sorted names that :func:`init_linear_` can apply to a whole nn.Linear (the catalogue's
    entries with a layer rule; the control points only with ``controls=True``)."""
    from initaudit.models.catalogue import available

    return available(layer=True, controls=controls)


def init_linear_(layer: nn.Linear, name: str, *, role: str = "hidden",
                 generator: torch.Generator | None = None, **kwargs) -> nn.Linear:
    """Initialise weight and bias of ``layer`` as the source ``name`` does for ``role``.

    Roles: "first" (takes the network input), "hidden" (between sines), "readout" (the final
    linear layer, no sine after it). Per source:

    * torch baselines: the weight rule for every role, bias zero;
    * siren: first W ~ U(+-1/n_in), hidden W ~ U(+-sqrt(6/n_in)/omega_0), readout the hidden
      rule; biases torch's U(+-1/sqrt(n_in));
    * siren_port: weight and bias ~ U(+-w_std), w_std = 1/n_in (first, w0 = 30) or
      sqrt(c/n_in)/w0 (hidden and readout, w0 = 1);
    * edge_of_chaos[_sigma_a1]: first W ~ U(+-omega_0/n_in), b = 0; hidden (c_w, c_b) on the
      unit-gain curve; readout U(+-sqrt(3/N)), b = 0;
    * sinusoidal, sinusoidal_paper: the deterministic rule for every role, bias zero.

    ``folded`` (keyword, default True) only matters for siren and siren_port: by default the
    layer is initialised for the package's sine networks, which compute sin(W x + b), so the
    source's omega_0 (w0) is folded into weight and bias of the first and hidden layers
    (W' = omega_0 W, b' = omega_0 b; the readout has no sine and is never scaled). Pass
    ``folded=False`` for the tensors exactly as the source's own layer, which multiplies by
    omega_0 inside the sine, holds them. The weight is drawn before the bias.

    Args:
        layer: the nn.Linear to initialise in place.
        name: a name from :func:`linear_init_names` (:mod:`models.catalogue`).
        role: one of :data:`ROLES`.
        generator: torch.Generator to draw from (ignored by deterministic rules).
        **kwargs: options of the source (e.g. omega0, c_w, c_b, gain, mode, w0, c, folded).

    Returns:
        ``layer``.
    """
    if not isinstance(layer, nn.Linear):
        raise TypeError(f"init_linear_ needs an nn.Linear; got {type(layer).__name__} (use the "
                        f"tensor initializers for other layers)")
    _check_choice(role, ROLES, "role")
    rule = _catalogue_get(name).layer  # unknown names: ValueError listing every initializer
    if rule is None:
        raise ValueError(f"initializer {name!r} has no whole-layer rule for nn.Linear; valid names "
                         f"are {', '.join(linear_init_names())}")
    rule(layer, role, generator, **kwargs)
    return layer


# ----------------------------------------------------------------------------------------------
# Mean-field specs: each rule of this module as layer variances and laws (theory.spec). Each
# function takes (d_in, width, depth, activation, omega0 or None, d_out); the catalogue's
# ``spec`` validates the arguments and sets name, activation and d_out.

def _tspec():
    from initaudit.theory import spec

    return spec


def _siren_spec(d_in, width, depth, activation, omega0, d_out):
    """:func:`theory.spec.siren_reference`, first and hidden omega_0 = ``omega0`` (default 30)."""
    w = {} if omega0 is None else {"omega0": omega0, "hidden_omega0": omega0}
    return _tspec().siren_reference(d_in, width, depth, **w)


def _siren_port_spec(d_in, width, depth, activation, omega0, d_out):
    """:func:`theory.spec.siren_port` (``omega0`` = its first-layer w0_initial, default 30)."""
    return _tspec().siren_port(d_in, width, depth, **({} if omega0 is None else {"omega0": omega0}))


def _eoc_spec(d_in, width, depth, activation, omega0, d_out):
    """:func:`theory.spec.edge_of_chaos` at sigma_a = 0, (c_w, c_b) = (sqrt 3, 0)."""
    return _tspec().edge_of_chaos(d_in, width, depth, omega0=omega0 or EDGE_OF_CHAOS_OMEGA0)


def _eoc_a1_spec(d_in, width, depth, activation, omega0, d_out):
    """:func:`theory.spec.edge_of_chaos` at sigma_a = 1."""
    return _tspec().edge_of_chaos(d_in, width, depth, omega0=omega0 or EDGE_OF_CHAOS_OMEGA0,
                                  sigma_a=1.0)


def _eoc_orthogonal_spec(sigma_a: float) -> Callable:
    def spec(d_in, width, depth, activation, omega0, d_out):
        """:func:`theory.spec.edge_of_chaos` at the point with q* = sigma_a^2: the orthogonal
        variant has the i.i.d. rule's variances and laws of the first layer and biases; the
        catalogue's ``matrix`` says its hidden matrices are orthogonal."""
        return _tspec().edge_of_chaos(d_in, width, depth, omega0=omega0 or EDGE_OF_CHAOS_OMEGA0,
                                      sigma_a=sigma_a)
    return spec


def _point_spec(name: str) -> Callable:
    c_w, c_b = SINE_POINTS[name]

    def spec(d_in, width, depth, activation, omega0, d_out):
        """:func:`theory.spec.sine_uniform` at the point's (c_w, c_b)."""
        return _tspec().sine_uniform(d_in, width, depth, c_w=c_w, c_b=c_b,
                                     omega0=omega0 or EDGE_OF_CHAOS_OMEGA0)
    return spec


def _xavier_spec(d_in, width, depth, activation, omega0, d_out):
    """:func:`theory.spec.xavier`: sigma_w^2 = 2 fan_in/(fan_in + fan_out), zero bias.

    Also the variance of ``sinusoidal_paper`` (Var W = 2/(n_in + n_out), deterministic)."""
    return _tspec().xavier(d_in, width, depth, activation=activation, d_out=d_out)


def _xavier_normal_spec(d_in, width, depth, activation, omega0, d_out):
    """:func:`_xavier_spec` with Gaussian weights."""
    return _xavier_spec(d_in, width, depth, activation, omega0, d_out).with_(convention="normal")


def _he_spec(d_in, width, depth, activation, omega0, d_out):
    """:func:`theory.spec.he`: sigma_w^2 = 2 (torch's default gain, leaky_relu with a = 0).

    Also the variance of ``sinusoidal`` (gain sqrt 2, fan_in: Var W = 2/fan_in, deterministic)."""
    return _tspec().he(d_in, width, depth, activation=activation, d_out=d_out)


def _he_normal_spec(d_in, width, depth, activation, omega0, d_out):
    """:func:`_he_spec` with Gaussian weights."""
    return _he_spec(d_in, width, depth, activation, omega0, d_out).with_(convention="normal")


def _orthogonal_spec(d_in, width, depth, activation, omega0, d_out):
    """Gain 1: mean square entry ``min(r, c)/(r c)`` of an r x c matrix, so sigma_w^2 =
    min(r, c)/r (first layer d/N for d < N, hidden 1, readout 1); zero bias. The entries are
    neither uniform nor Gaussian; the spec says "normal" (the large-N marginal of a Haar
    matrix), which only matters when sampling from the spec."""
    t = _tspec()
    lv = t.LayerVariance
    return t.NetworkSpec(d_in=d_in, width=width, depth=depth, d_out=d_out, activation=activation,
                         convention="normal", first=lv(min(width, d_in) / width, 0.0),
                         hidden=lv(1.0, 0.0), readout=lv(min(d_out, width) / d_out, 0.0))


def _torch_default_spec(d_in, width, depth, activation, omega0, d_out):
    """sigma_w^2 = 1/3 for every layer, bias variance 1/(3 fan_in), uniform laws."""
    t = _tspec()
    lv = t.LayerVariance
    return t.NetworkSpec(d_in=d_in, width=width, depth=depth, d_out=d_out, activation=activation,
                         convention="uniform", first=lv(1 / 3, 1 / (3 * d_in)),
                         hidden=lv(1 / 3, 1 / (3 * width)), readout=lv(1 / 3, 1 / (3 * width)))


# ----------------------------------------------------------------------------------------------
# The catalogue: one entry per initialiser of this module.

_add(
    "xavier_uniform", xavier_uniform_,
    paper="Glorot and Bengio (2010); PyTorch torch.nn.init.xavier_uniform_",
    arxiv=None,
    formula="W ~ U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)); bias 0",
    applies_to=("linear", "conv", "first", "hidden", "readout"),
    random=True,
    notes=_BASELINE_NOTES + " sigma_w^2 = 2 gain^2 fan_in / (fan_in + fan_out).",
    defaults={"gain": 1.0},
    url=_TORCH_INIT_URL, commit=_TORCH_TAG,
    activation="tanh", layer=_baseline_rule(xavier_uniform_), spec=_xavier_spec,
    style=Style("Xavier (uniform)", "#7F7F7F", "^", "-", "Xavier"),
)

_add(
    "xavier_normal", xavier_normal_,
    paper="Glorot and Bengio (2010); PyTorch torch.nn.init.xavier_normal_",
    arxiv=None,
    formula="W ~ N(0, s^2), s = gain * sqrt(2 / (fan_in + fan_out)); bias 0",
    applies_to=("linear", "conv", "first", "hidden", "readout"),
    random=True,
    notes=_BASELINE_NOTES + " sigma_w^2 = 2 gain^2 fan_in / (fan_in + fan_out) (Gaussian).",
    defaults={"gain": 1.0},
    url=_TORCH_INIT_URL, commit=_TORCH_TAG,
    activation="tanh", layer=_baseline_rule(xavier_normal_), spec=_xavier_normal_spec,
    style=Style("Xavier (normal)", "#BBBBBB", "v", "--", "XavierNormal"),
)

_add(
    "kaiming_uniform", kaiming_uniform_,
    paper="He et al. (2015); PyTorch torch.nn.init.kaiming_uniform_",
    arxiv="1502.01852",
    formula="W ~ U(-b, b), b = gain * sqrt(3 / fan_mode), gain = calculate_gain(nonlinearity, a); "
            "bias 0",
    applies_to=("linear", "conv", "first", "hidden", "readout"),
    random=True,
    notes=_BASELINE_NOTES + " With mode='fan_in', sigma_w^2 = gain^2 (2 for the default "
          "leaky_relu with a = 0).",
    defaults={"a": 0.0, "mode": "fan_in", "nonlinearity": "leaky_relu"},
    url=_TORCH_INIT_URL, commit=_TORCH_TAG,
    activation="relu", layer=_baseline_rule(kaiming_uniform_), spec=_he_spec,
    style=Style("He (uniform)", "#000000", "^", "-", "He"),
)

_add(
    "kaiming_normal", kaiming_normal_,
    paper="He et al. (2015); PyTorch torch.nn.init.kaiming_normal_",
    arxiv="1502.01852",
    formula="W ~ N(0, s^2), s = gain / sqrt(fan_mode), gain = calculate_gain(nonlinearity, a); "
            "bias 0",
    applies_to=("linear", "conv", "first", "hidden", "readout"),
    random=True,
    notes=_BASELINE_NOTES + " With mode='fan_in', sigma_w^2 = gain^2 (Gaussian).",
    defaults={"a": 0.0, "mode": "fan_in", "nonlinearity": "leaky_relu"},
    url=_TORCH_INIT_URL, commit=_TORCH_TAG,
    activation="relu", layer=_baseline_rule(kaiming_normal_), spec=_he_normal_spec,
    style=Style("He (normal)", "#555555", "v", "--", "KaimingNormal"),
)

_add(
    "orthogonal", orthogonal_,
    paper="Saxe, McClelland, Ganguli (2013); PyTorch torch.nn.init.orthogonal_",
    arxiv="1312.6120",
    formula="W = gain * Q, Q (semi-)orthogonal from the QR decomposition of a Gaussian matrix "
            "(conv weights flattened to (C_out, rest)); bias 0",
    applies_to=("linear", "conv", "first", "hidden", "readout"),
    random=True,
    notes=_BASELINE_NOTES + " Mean square entry gain^2 min(r, c) / (r c) for an r x c matrix, "
          "so sigma_w^2 = gain^2 min(r, c) / r (= gain^2 when square).",
    defaults={"gain": 1.0},
    url=_TORCH_INIT_URL, commit=_TORCH_TAG,
    activation="tanh", layer=_baseline_rule(orthogonal_), spec=_orthogonal_spec,
    style=Style("orthogonal", "#117733", "P", ":", "Orthogonal"), matrix="orthogonal",
)

_add(
    "siren", siren_,
    paper="Sitzmann, Martel, Bergman, Lindell, Wetzstein (2020)",
    arxiv="2006.09661",
    formula="hidden W ~ U(-sqrt(6/n_in)/omega_0, sqrt(6/n_in)/omega_0) inside sin(omega_0 (W x + b)),"
            " omega_0 = 30; first W ~ U(-1/n_in, 1/n_in); b ~ U(-1/sqrt(n_in), 1/sqrt(n_in)) "
            "(torch default)",
    applies_to=("linear", "first", "hidden", "readout"),
    random=True,
    notes=_SIREN_NOTES,
    defaults={"omega0": SIREN_OMEGA0, "folded": False},
    url="https://github.com/vsitzmann/siren", commit="361422eb804f59bc46ca3a7b43d6aced067b97e9",
    activation="sin", omega0=SIREN_OMEGA0, frequency={"first": "omega0", "hidden": "omega0", "readout": "omega0"},
    layer=_siren_rule, spec=_siren_spec,
    style=Style("SIREN reference", "#0072B2", "o", "-", "Siren"),
)

_add(
    "siren_port", siren_port_,
    paper="Wang, siren-pytorch (port of Sitzmann et al. 2020)",
    arxiv="2006.09661",
    formula="w_std = sqrt(c/n_in)/w0 (first layer: 1/n_in), c = 6; W ~ U(-w_std, w_std) and "
            "b ~ U(-w_std, w_std) inside sin(w0 (W x + b)); w0 = 1 (hidden), w0_initial = 30 "
            "(first)",
    applies_to=("linear", "first", "hidden", "readout"),
    random=True,
    notes=_SIREN_PORT_NOTES,
    defaults={"w0": SIREN_PORT_W0, "c": SIREN_PORT_C, "folded": False},
    url="https://github.com/lucidrains/siren-pytorch", commit="5160b9db4c0b38e1f25889a347b5acd07d3db022",
    activation="sin", omega0=SIREN_PORT_W0_INITIAL,
    frequency={"first": "w0", "hidden": None, "readout": None},
    layer=_siren_port_rule, spec=_siren_port_spec,
    style=Style("siren-pytorch port", "#56B4E9", "s", "--", "SirenPort"),
)

_add(
    "edge_of_chaos", edge_of_chaos_,
    paper="Combette, Venaille, Pustelnik (2025)",
    arxiv="2512.06427",
    formula="hidden W ~ U(-c_w/sqrt(N), c_w/sqrt(N)), b ~ U(-c_b, c_b), c_b = c_b(c_w) on the "
            "unit-gain curve; default sigma_a = 0: (c_w, c_b) = (sqrt(3), 0); first W ~ "
            "U(-omega_0/n_in, omega_0/n_in), b = 0",
    applies_to=("linear", "first", "hidden", "readout"),
    random=True,
    notes=_EOC_NOTES + " Default point sigma_w^2 = 1, sigma_b^2 = 0.",
    defaults={"c_w": EDGE_OF_CHAOS_CW},
    activation="sin", omega0=EDGE_OF_CHAOS_OMEGA0, frequency={"first": "omega0", "hidden": "omega0", "readout": "omega0"},
    layer=_eoc_rule, spec=_eoc_spec,
    style=Style(r"edge of chaos, $\sigma_a=0$", "#D55E00", "o", "-", "EoC"),
)

_add(
    "edge_of_chaos_sigma_a1", edge_of_chaos_sigma_a1_,
    paper="Combette, Venaille, Pustelnik (2025)",
    arxiv="2512.06427",
    formula="hidden W ~ U(-c_w/sqrt(N), c_w/sqrt(N)), b ~ U(-c_b, c_b) at the unit-gain point with "
            "q* = 1: c_w^2 = 6/(1+e^-2), c_b^2 = 6 e^-2/(1+e^-2); first W ~ U(-omega_0/n_in, "
            "omega_0/n_in), b = 0",
    applies_to=("linear", "first", "hidden", "readout"),
    random=True,
    notes=_EOC_NOTES + " This entry is the point of the curve whose fixed-point pre-activation "
          "variance is q* = 1 (theory.sine.sigma_a1_point): sigma_w^2 = 2/(1+e^-2) ~ 1.762, "
          "sigma_b^2 = 2 e^-2/(1+e^-2) ~ 0.238.",
    defaults={},
    activation="sin", omega0=EDGE_OF_CHAOS_OMEGA0, frequency={"first": "omega0", "hidden": "omega0", "readout": "omega0"},
    layer=_eoc_a1_rule, spec=_eoc_a1_spec,
    style=Style(r"edge of chaos, $\sigma_a=1$", "#E69F00", "D", "-", "EoCSigmaOne"),
)

_add(
    "sinusoidal", sinusoidal_,
    paper="Fernandez-Hernandez, Mestre, Dolz, Duato, Quintana-Orti (2025), NeurIPS",
    arxiv="2505.12909",
    formula="raw[k, j] = sin(2 pi k j / n_in + 2 pi k / n_out), k = 1..n_out, j = 0..n_in-1; "
            "W = raw * gain / sqrt(var(raw) * fan), fan by mode, gain = sqrt(2); bias 0",
    applies_to=("linear", "conv", "attention", "first", "hidden", "readout"),
    random=False,
    notes="Deterministic: the generator is accepted and ignored. Conv weights are flattened to "
          "(C_out, C_in * prod(kernel)); var is the unbiased variance over all entries; fan is "
          "torch's fan_in or fan_out (C_in * prod(kernel) or C_out * prod(kernel)). So var(W) = "
          "gain^2 / fan exactly: sigma_w^2 = gain^2 (2 by default) with mode='fan_in'; bias zero "
          "(sigma_b^2 = 0). sinusoidal_init applies it to a whole module (nn.MultiheadAttention "
          "in_proj split into its q, k, v blocks). The pattern is built in float64 (the reference "
          "uses float32). Shapes with n_out <= 2 and n_in <= 2 are refused (the pattern vanishes).",
    defaults={"mode": "fan_in", "gain": SINUSOIDAL_GAIN},
    url="https://github.com/jmiravet/Sinusoidal-Initialization", commit="9b601fb24143a2722c478f47df30df4ae262e519",
    activation="relu", layer=_sinusoidal_rule, spec=_he_spec,
    style=Style("sinusoidal", "#AA4499", "X", "-", "Sinusoidal"),
)

_add(
    "sinusoidal_paper", sinusoidal_paper_,
    paper="Fernandez-Hernandez, Mestre, Dolz, Duato, Quintana-Orti (2025), NeurIPS "
          "(experiments' variant)",
    arxiv="2505.12909",
    formula="Linear: raw[k, j] = sin(2 pi k j / n_in + 2 pi k / n_out); Conv: raw[i, j] = "
            "sin(j (i+1) 2 pi / C_out + i 2 pi / C_out), n_in = C_in * prod(kernel); "
            "W = raw * sqrt(2 / (var(raw) * (n_in + n_out))); bias 0",
    applies_to=("linear", "conv", "attention", "first", "hidden", "readout"),
    random=False,
    notes="The variant the reference repository used for the paper's experiments "
          "(fernandez_sinusoidal3 in initialize.py, the Sinusoidal entry of its train.py list): "
          "Xavier-like scale, var(W) = 2/(n_in + n_out), so sigma_w^2 = 2 n_in/(n_in + n_out); "
          "bias zero. For conv weights n_in = C_in * prod(kernel) and n_out = C_out (not torch's "
          "fan_out), and each row has its own frequency 2 pi (i+1)/C_out and phase 2 pi i/C_out. "
          "The reference defines the conv rule for Conv2d only; here it is applied to any weight "
          "with 3 or more dimensions. Its module-level function only visits nn.Linear and "
          "nn.Conv2d (MultiheadAttention in_proj keeps torch's default). Deterministic: the "
          "generator is accepted and ignored. Refused shapes: Linear n_out <= 2 and n_in <= 2, "
          "conv C_out <= 2 (the pattern vanishes).",
    defaults={},
    url="https://github.com/jmiravet/Sinusoidal-Initialization", commit="9b601fb24143a2722c478f47df30df4ae262e519",
    activation="relu", layer=_sinusoidal_paper_rule, spec=_xavier_spec,
    style=Style("sinusoidal (paper variant)", "#882255", "x", "--", "SinusoidalPaper"),
)

_add(
    "torch_default", torch_default_,
    paper="PyTorch nn.Linear / nn.ConvNd reset_parameters (He et al. 2015 rule with a = sqrt 5)",
    arxiv="1502.01852",
    formula="W ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (kaiming_uniform_, a = sqrt(5)); "
            "b ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in))",
    applies_to=("linear", "conv", "attention", "first", "hidden", "readout"),
    random=True,
    notes="What nn.Linear and nn.Conv1d/2d/3d draw when nothing re-initialises them: "
          "sigma_w^2 = 1/3 and sigma_b^2 = 1/(3 fan_in) for every layer. The 'torch_default' arm "
          "of the classification experiments leaves the layers as torch built them (global "
          "generator); init_linear_ applies the same law from a given generator.",
    url=_TORCH_INIT_URL, commit=_TORCH_TAG,
    activation="relu", layer=_torch_default_rule, spec=_torch_default_spec,
    style=Style("torch default", "#332288", "o", "-", "TorchDefault"),
)

for _name, _label, _color, _marker, _macro in (
        ("ordered", "ordered, $(c_w,c_b)=(1.5,0.5)$", "#009E73", "s", "Ordered"),
        ("chaotic", "chaotic, $(c_w,c_b)=(2.4,0)$", "#CC79A7", "v", "Chaotic")):
    _cw, _cb = SINE_POINTS[_name]
    _add(
        _name, edge_of_chaos_,
        paper="initaudit control point (the sine-network theory of Combette, Venaille, "
              "Pustelnik 2025)",
        arxiv="2512.06427",
        formula=f"hidden W ~ U(-c_w/sqrt(N), c_w/sqrt(N)), b ~ U(-c_b, c_b), (c_w, c_b) = "
                f"({_cw:g}, {_cb:g}); first layer and readout of edge_of_chaos",
        applies_to=("linear", "first", "hidden", "readout"),
        random=True,
        notes=f"A point {'below' if _name == 'ordered' else 'above'} the unit-gain curve "
              f"(chi {'<' if _name == 'ordered' else '>'} 1): the {_name} control of the depth "
              "and fitting experiments. The registered function is the hidden weight rule with "
              "this c_w.",
        defaults={"c_w": _cw, "c_b": _cb},
        activation="sin", omega0=EDGE_OF_CHAOS_OMEGA0,
        frequency={"first": "omega0", "hidden": None, "readout": "omega0"},
        layer=_point_rule(_cw, _cb), spec=_point_spec(_name), control=True,
        style=Style(_label, _color, _marker, "-", _macro),
    )

for _sigma_a, _name, _label, _color, _marker, _macro in (
        (0.0, "edge_of_chaos_orthogonal", r"edge of chaos, orthogonal, $\sigma_a=0$", "#8C3B00", "h",
         "EoCOrth"),
        (1.0, "edge_of_chaos_orthogonal_sigma_a1", r"edge of chaos, orthogonal, $\sigma_a=1$",
         "#B8860B", "d", "EoCOrthSigmaOne")):
    _add(
        _name, edge_of_chaos_orthogonal_,
        paper="initaudit extension (orthogonal hidden weights at a unit-gain point of Combette, "
              "Venaille, Pustelnik 2025, their open question 2)",
        arxiv="2512.06427",
        formula="hidden W = g Q, Q Haar-orthogonal, g^2 = c_w^2/3 (square), b ~ U(-c_b, c_b) at the "
                f"unit-gain point with q* = {_sigma_a:g}; first layer and readout of edge_of_chaos",
        applies_to=("linear", "first", "hidden", "readout"),
        random=True,
        notes="The package's own variant, not a source's initialiser: the same variances as the "
              f"edge-of-chaos point with sigma_a = {_sigma_a:g} (the same mean field), but "
              "W^T W = sigma_w^2 I, so the weights add no spread to the end-to-end Jacobian's "
              "singular values (theory.jacobian). The registered function is the hidden weight "
              "rule.",
        # c_w^2 = 6 / (1 + e^{-2 q*}) on the unit-gain curve (theory.sine.unit_gain_point_for_q)
        defaults={"c_w": math.sqrt(6.0 / (1.0 + math.exp(-2.0 * _sigma_a ** 2)))},
        activation="sin", omega0=EDGE_OF_CHAOS_OMEGA0,
        frequency={"first": "omega0", "hidden": None, "readout": "omega0"},
        layer=_eoc_orthogonal_rule(_sigma_a), spec=_eoc_orthogonal_spec(_sigma_a), control=True,
        matrix="orthogonal", style=Style(_label, _color, _marker, "-.", _macro),
    )
