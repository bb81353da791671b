r"""HarmonicMLP and its frequency-aware optimizer, as the public reference code defines them.

Source: the repository "Harmonic MLP: Neural Networks with Frequency-Based Activation"
(github.com/FirestName/Harmonic-MLP-Neural-Networks-with-Frequency-Based-Activation, 2024; files
``harmonic-mlp`` and ``Complete Harmonic MLP with Learning Rate Sweep.py``). Its README claims
"95% test accuracy within first few epochs" on MNIST, "fast initial convergence" and "stable
training behavior". This module rebuilds the model exactly and adds switches for ablations.

**HarmonicLayer** (``input_size -> output_size``, ``base_freq``, ``max_freq``). Unit i
(0-based) has the fixed frequency

.. math::  f_i = \min(\text{base\_freq}\,(i + 1),\ \text{max\_freq}).

Initialisation: weights and biases are drawn from :math:`U(-1/\sqrt{n_{in}}, 1/\sqrt{n_{in}})`,
then row i of the weights *and* bias i are multiplied by

.. math::  s_i = f_i^{-1/2} \Big/ \tfrac{1}{n_{out}}\textstyle\sum_j f_j^{-1/2}.

(The reference scales the biases too, with the same ``freq_scale``.) With z = W x + b the
activation is

.. math::  y_i = \sin(2\pi z_i / f_i) + 0.1\, z_i .

Two things to note. The frequency *divides*: a larger f_i is a longer period, so the units the
code calls "high frequency" are the slowest ones (``frequency_mode="multiply"`` gives
:math:`\sin(2\pi f_i z_i)` for the ablation). The README's "residual connection" is only the
``0.1 z`` term; it is a linear leak, not a skip connection (``residual=0`` removes it). With
``max_freq = 5`` and 512 units, units 4..511 all have f = 5: only the first four differ.

**HarmonicMLP**: 784 -> 512 HarmonicLayer (base 1, max 5), BatchNorm1d, Dropout(0.2), 512 -> 256
HarmonicLayer (base 1, max 3), BatchNorm1d, Dropout(0.2), Linear 256 -> 10 with weights and
biases :math:`U(-1/16, 1/16)` (= torch's default bound :math:`1/\sqrt{256}`). The parameter names
are the reference's (``feature_layers.0.linear.weight`` ..., ``classifier.weight``), so its
state dicts load; the frequencies are a non-persistent buffer (the reference keeps them as a
plain attribute, outside the state dict).

**FrequencyAwareOptimizer** (``optimizer``, ``model``, ``freq_scale_factor = 0.1``): before each
step of the wrapped optimizer, the gradient of row i of every harmonic layer's weights and of
bias i is multiplied by

.. math::  g_i = 1 / (1 + c\, f_i), \qquad c = \text{freq\_scale\_factor}.

For plain SGD this is a diagonal preconditioner P (update ``-eta P grad``), available as
:meth:`FrequencyAwareOptimizer.preconditioner` in the ``{name: scale}`` form of
:func:`analysis.ntk.empirical_ntk`. Adam divides each coordinate's step by the root of its own
running second moment, so a constant per-row factor cancels up to ``eps``; what remains is its
interplay with Adam's L2 weight decay, which torch adds to the gradient *after* the scaling
(effectively a weight decay of ``wd / g_i`` relative to the loss gradient).

Draw order. With ``generator=None`` every draw comes from torch's global generator in the
reference's order (each ``nn.Linear``'s default initialisation, then weight, then bias), so
``torch.manual_seed(s); HarmonicMLP()`` gives the reference's weights for the same seed.

Ablation switches (:class:`HarmonicMLPConfig`): ``frequency_mode`` (divide | multiply),
``residual`` (the 0.1 coefficient; 0 removes the term), ``init`` (harmonic | edge_of_chaos |
sinusoidal: the two others replace the whole frequency-aware initialisation, row scaling and
classifier included, by :func:`models.init.init_linear_` for the roles first/hidden/readout;
nothing of the factor 2 pi / f_i is folded into them), and ``activation`` (harmonic | relu:
the same widths with ``Linear, ReLU, BatchNorm1d, Dropout`` and torch's default
:math:`U(\pm 1/\sqrt{n_{in}})` weights and biases).
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass
from typing import Iterator

import torch
from torch import nn

from initaudit.theory.checks import choice as _check_choice, positive_float as _check_positive, positive_int as _check_size
from initaudit.theory.checks import floating_tensor as _check_floating

__all__ = [
    "ACTIVATIONS", "FREQUENCY_MODES", "HARMONIC_INITS", "RESIDUAL", "DenseLayer",
    "FrequencyAwareOptimizer", "HarmonicActivation", "HarmonicLayer", "HarmonicMLP",
    "HarmonicMLPConfig", "frequency_row_scale", "harmonic_frequencies", "harmonic_layers",
    "harmonic_linear_",
]

#: How the frequency enters the sine: the reference divides (sin(2 pi z / f)).
FREQUENCY_MODES = ("divide", "multiply")
#: Initialisations of the layers: the reference's, or one of the registered rules.
HARMONIC_INITS = ("harmonic", "edge_of_chaos", "sinusoidal")
#: Hidden activations: the harmonic one, or ReLU for the plain baseline.
ACTIVATIONS = ("harmonic", "relu")
#: Coefficient of the linear ("residual") term of the reference activation, ``+ 0.1 * z``.
RESIDUAL = 0.1
#: The reference's frequency-aware optimizer factor ``freq_scale_factor=0.1``.
FREQ_SCALE_FACTOR = 0.1


def harmonic_frequencies(output_size: int, base_freq: float = 1.0, max_freq: float = 10.0,
                         dtype: torch.dtype = torch.float32, device=None) -> torch.Tensor:
    r"""The fixed unit frequencies :math:`f_i = \min(\text{base}\,(i+1), \text{max})`, i = 0..n-1.

    Raises:
        ValueError: a non-positive size or frequency.
    """
    _check_size(output_size, "output_size")
    base = _check_positive(base_freq, "base_freq")
    top = _check_positive(max_freq, "max_freq")
    return torch.tensor([min(base * (i + 1), top) for i in range(output_size)], dtype=dtype,
                        device=device)


def frequency_row_scale(frequencies: torch.Tensor) -> torch.Tensor:
    r""":math:`s_i = f_i^{-1/2} / \mathrm{mean}_j f_j^{-1/2}` (computed in the frequencies' dtype,
    in the reference's order of operations)."""
    scale = 1.0 / torch.sqrt(frequencies)
    return scale / scale.mean()


def harmonic_linear_(linear: nn.Linear, frequencies: torch.Tensor,
                     generator: torch.Generator | None = None) -> nn.Linear:
    r"""HarmonicMLP's frequency-scaled initialisation of one ``nn.Linear`` (in place).

    Weight and bias :math:`\sim U(\pm 1/\sqrt{n_{in}})` (weight drawn first), then row i of the
    weight and bias i are multiplied by :math:`s_i` (:func:`frequency_row_scale`) of the unit
    frequencies ``frequencies`` (one per output unit).

    Args:
        linear: the layer.
        frequencies: f_i, shape (out_features,).
        generator: torch.Generator to draw from (None: the global one, the reference's order).

    Returns:
        ``linear``.
    """
    if not isinstance(linear, nn.Linear) or linear.bias is None:
        raise ValueError("harmonic_linear_ needs an nn.Linear with a bias")
    _check_floating(linear.weight, "harmonic_linear_")
    _check_floating(linear.bias, "harmonic_linear_")
    if tuple(frequencies.shape) != (linear.out_features,):
        raise ValueError(f"frequencies must have shape ({linear.out_features},) (one per output "
                         f"unit), got {tuple(frequencies.shape)}")
    with torch.no_grad():
        scale = frequency_row_scale(frequencies)
        bound = 1 / math.sqrt(linear.in_features)
        linear.weight.uniform_(-bound, bound, generator=generator)
        linear.weight.mul_(scale.unsqueeze(1))
        linear.bias.uniform_(-bound, bound, generator=generator)
        linear.bias.mul_(scale)
    return linear


class HarmonicActivation(nn.Module):
    r"""Per-unit activation :math:`y_i = \sin(2\pi z_i / f_i) + r z_i` (``divide``) or
    :math:`\sin(2\pi f_i z_i) + r z_i` (``multiply``) on inputs of shape (batch, n).

    Elementwise with a fixed frequency per column; :meth:`derivative` gives :math:`dy_i/dz_i`.
    The frequencies are a non-persistent buffer (moved by ``.to()``, absent from the state dict).
    """

    def __init__(self, frequencies: torch.Tensor, frequency_mode: str = "divide",
                 residual: float = RESIDUAL):
        super().__init__()
        self.frequency_mode = _check_choice(frequency_mode, FREQUENCY_MODES, "frequency_mode")
        self.residual = float(residual)
        if not math.isfinite(self.residual):
            raise ValueError(f"residual must be finite, got {residual!r}")
        self.register_buffer("frequencies", frequencies, persistent=False)

    def _argument(self, z: torch.Tensor) -> torch.Tensor:
        # The reference forms (z / f) first, then multiplies by 2 pi; kept for bitwise agreement.
        if self.frequency_mode == "divide":
            return 2 * math.pi * (z / self.frequencies)
        return 2 * math.pi * (z * self.frequencies)

    def forward(self, z: torch.Tensor) -> torch.Tensor:  # noqa: D102
        y = torch.sin(self._argument(z))
        return y + self.residual * z if self.residual != 0.0 else y

    def derivative(self, z: torch.Tensor) -> torch.Tensor:
        r""":math:`dy_i/dz_i`: :math:`(2\pi/f_i)\cos(2\pi z_i/f_i) + r` (divide) or
        :math:`2\pi f_i \cos(2\pi f_i z_i) + r` (multiply)."""
        k = 2 * math.pi / self.frequencies if self.frequency_mode == "divide" \
            else 2 * math.pi * self.frequencies
        return k * torch.cos(self._argument(z)) + self.residual

    def extra_repr(self) -> str:
        return (f"units={self.frequencies.numel()}, mode={self.frequency_mode}, "
                f"residual={self.residual}")


class HarmonicLayer(nn.Sequential):
    """``linear`` (nn.Linear) followed by ``activation`` (:class:`HarmonicActivation`).

    An ``nn.Sequential`` so that :func:`analysis.ntk.empirical_ntk`'s structured path can walk it
    (once the activation is registered as elementwise). See the module docstring for the
    formulas.

    Args:
        input_size, output_size: fan-in and number of units.
        base_freq, max_freq: the unit frequencies ``min(base_freq (i + 1), max_freq)``.
        frequency_mode: ``divide`` (the reference) or ``multiply``.
        residual: coefficient of the linear term (0.1 in the reference; 0 removes it).
        init: ``harmonic`` (the reference), ``edge_of_chaos`` or ``sinusoidal`` (via
            :func:`models.init.init_linear_` with ``role``).
        role: ``first``, ``hidden`` or ``readout`` for the registered initializers.
        generator: torch.Generator for the draws (None: the global generator).
        dtype, device: of the parameters (and frequencies).
    """

    def __init__(self, input_size: int, output_size: int, base_freq: float = 1.0,
                 max_freq: float = 10.0, *, frequency_mode: str = "divide",
                 residual: float = RESIDUAL, init: str = "harmonic", role: str = "hidden",
                 generator: torch.Generator | None = None, dtype: torch.dtype | None = None,
                 device=None):
        _check_size(input_size, "input_size")
        _check_size(output_size, "output_size")
        _check_choice(init, HARMONIC_INITS, "init")
        linear = nn.Linear(input_size, output_size, dtype=dtype, device=device)
        freqs = harmonic_frequencies(output_size, base_freq, max_freq, dtype=linear.weight.dtype,
                                     device=linear.weight.device)
        super().__init__(OrderedDict(
            linear=linear, activation=HarmonicActivation(freqs, frequency_mode, residual)))
        self.base_freq, self.max_freq = float(base_freq), float(max_freq)
        with torch.no_grad():
            if init == "harmonic":
                harmonic_linear_(linear, freqs, generator=generator)
            else:
                from initaudit.models.init import init_linear_

                init_linear_(linear, init, role=role, generator=generator)

    @property
    def frequencies(self) -> torch.Tensor:
        """The unit frequencies f_i (a buffer of the activation)."""
        return self.activation.frequencies


class DenseLayer(nn.Sequential):
    """``linear`` then ``activation`` (ReLU): the plain baseline's layer, named like
    :class:`HarmonicLayer` so that both networks share parameter names.

    ``init="harmonic"`` draws weights and biases from torch's default U(+-1/sqrt(n_in)) (the
    reference's bound without the row scaling); the other names go to
    :func:`models.init.init_linear_`.
    """

    def __init__(self, input_size: int, output_size: int, *, init: str = "harmonic",
                 role: str = "hidden", generator: torch.Generator | None = None,
                 dtype: torch.dtype | None = None, device=None):
        _check_size(input_size, "input_size")
        _check_size(output_size, "output_size")
        _check_choice(init, HARMONIC_INITS, "init")
        linear = nn.Linear(input_size, output_size, dtype=dtype, device=device)
        super().__init__(OrderedDict(linear=linear, activation=nn.ReLU()))
        with torch.no_grad():
            if init == "harmonic":
                bound = 1 / math.sqrt(input_size)
                linear.weight.uniform_(-bound, bound, generator=generator)
                linear.bias.uniform_(-bound, bound, generator=generator)
            else:
                from initaudit.models.init import init_linear_

                init_linear_(linear, init, role=role, generator=generator)


@dataclass(frozen=True)
class HarmonicMLPConfig:
    """Architecture of a :class:`HarmonicMLP`; the defaults are the reference's MNIST model."""

    input_size: int = 784  # flattened 28 x 28 image
    hidden_sizes: tuple[int, ...] = (512, 256)  # widths of the hidden (harmonic) layers
    base_freqs: tuple[float, ...] = (1.0, 1.0)  # base_freq of each hidden layer
    max_freqs: tuple[float, ...] = (5.0, 3.0)  # max_freq of each hidden layer (caps f_i)
    num_classes: int = 10  # outputs of the linear classifier
    dropout: float = 0.2  # after each BatchNorm1d
    batch_norm: bool = True  # BatchNorm1d after each hidden layer (the reference: yes)
    activation: str = "harmonic"  # harmonic | relu (plain baseline, same widths)
    frequency_mode: str = "divide"  # divide (reference: sin(2 pi z / f)) | multiply
    residual: float = RESIDUAL  # coefficient of the + r z term (0: no "residual")
    init: str = "harmonic"  # harmonic (reference) | edge_of_chaos | sinusoidal

    def __post_init__(self):
        _check_size(self.input_size, "input_size")
        _check_size(self.num_classes, "num_classes")
        if not self.hidden_sizes:
            raise ValueError("hidden_sizes must hold at least one width")
        for h in self.hidden_sizes:
            _check_size(h, "every hidden size")
        n = len(self.hidden_sizes)
        if len(self.base_freqs) != n or len(self.max_freqs) != n:
            raise ValueError(f"base_freqs and max_freqs need one entry per hidden layer ({n}), "
                             f"got {len(self.base_freqs)} and {len(self.max_freqs)}")
        for f in (*self.base_freqs, *self.max_freqs):
            _check_positive(f, "every frequency")
        if not 0.0 <= float(self.dropout) < 1.0:
            raise ValueError(f"dropout must lie in [0, 1), got {self.dropout!r}")
        _check_choice(self.activation, ACTIVATIONS, "activation")
        _check_choice(self.frequency_mode, FREQUENCY_MODES, "frequency_mode")
        _check_choice(self.init, HARMONIC_INITS, "init")
        if not math.isfinite(float(self.residual)):
            raise ValueError(f"residual must be finite, got {self.residual!r}")


class HarmonicMLP(nn.Sequential):
    """The reference network: ``feature_layers`` (hidden layers, each followed by BatchNorm1d and
    Dropout) and ``classifier`` (nn.Linear). Inputs of more than two dimensions are flattened
    (``x.view(batch, -1)``, as the reference does).

    Args:
        config: the architecture (default: the reference's, :class:`HarmonicMLPConfig`).
        generator: torch.Generator for every draw (None: the global generator, reference order).
        dtype, device: of the parameters.
    """

    def __init__(self, config: HarmonicMLPConfig | None = None, *,
                 generator: torch.Generator | None = None, dtype: torch.dtype | None = None,
                 device=None):
        config = HarmonicMLPConfig() if config is None else config
        if not isinstance(config, HarmonicMLPConfig):
            raise ValueError(f"config must be a HarmonicMLPConfig, got {type(config).__name__}")
        layers: list[nn.Module] = []
        n_in = config.input_size
        for i, width in enumerate(config.hidden_sizes):
            role = "first" if i == 0 else "hidden"
            if config.activation == "harmonic":
                layers.append(HarmonicLayer(
                    n_in, width, config.base_freqs[i], config.max_freqs[i],
                    frequency_mode=config.frequency_mode, residual=config.residual,
                    init=config.init, role=role, generator=generator, dtype=dtype, device=device))
            else:
                layers.append(DenseLayer(n_in, width, init=config.init, role=role,
                                         generator=generator, dtype=dtype, device=device))
            if config.batch_norm:
                layers.append(nn.BatchNorm1d(width, dtype=dtype, device=device))
            if config.dropout > 0:
                layers.append(nn.Dropout(config.dropout))
            n_in = width
        classifier = nn.Linear(n_in, config.num_classes, dtype=dtype, device=device)
        with torch.no_grad():
            if config.init == "harmonic":
                bound = 1 / math.sqrt(n_in)
                classifier.weight.uniform_(-bound, bound, generator=generator)
                classifier.bias.uniform_(-bound, bound, generator=generator)
            else:
                from initaudit.models.init import init_linear_

                init_linear_(classifier, config.init, role="readout", generator=generator)
        super().__init__(OrderedDict(feature_layers=nn.Sequential(*layers),
                                     classifier=classifier))
        self.config = config

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102
        if x.dim() > 2:
            x = x.reshape(x.size(0), -1)
        return super().forward(x)


def harmonic_layers(model: nn.Module) -> Iterator[tuple[str, HarmonicLayer]]:
    """``(module name, layer)`` for every :class:`HarmonicLayer` inside ``model``."""
    for name, module in model.named_modules():
        if isinstance(module, HarmonicLayer):
            yield name, module


class FrequencyAwareOptimizer:
    r"""Wraps any torch optimizer; scales the harmonic layers' gradients by
    :math:`1/(1 + c f_i)` per unit before each step (see the module docstring).

    Args:
        optimizer: a ``torch.optim.Optimizer`` over the model's parameters.
        model: the network whose :class:`HarmonicLayer` units are scaled (layers of other types
            are left alone, so wrapping a ReLU network is a no-op).
        freq_scale_factor: c >= 0 (0.1 in the reference; 0 makes the wrapper a no-op).

    The learning-rate scheduler of the reference is attached to the wrapped optimizer
    (``ReduceLROnPlateau(wrapper.optimizer, ...)``).
    """

    def __init__(self, optimizer: torch.optim.Optimizer, model: nn.Module,
                 freq_scale_factor: float = FREQ_SCALE_FACTOR):
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise ValueError(f"optimizer must be a torch.optim.Optimizer, got "
                             f"{type(optimizer).__name__}")
        c = float(freq_scale_factor)
        if not (math.isfinite(c) and c >= 0):
            raise ValueError(f"freq_scale_factor must be a finite number >= 0, got "
                             f"{freq_scale_factor!r}")
        self.optimizer = optimizer
        self.model = model
        self.freq_scale_factor = c

    def unit_scales(self) -> dict[str, torch.Tensor]:
        r"""``{harmonic layer name: (n_out,) tensor of 1 / (1 + c f_i)}``."""
        return {name: 1.0 / (1.0 + self.freq_scale_factor * layer.frequencies)
                for name, layer in harmonic_layers(self.model)}

    def preconditioner(self) -> dict[str, torch.Tensor]:
        """The scaling as a diagonal preconditioner ``{parameter name: scale}``.

        Weight entries are per-row ``(n_out, 1)`` tensors, bias entries ``(n_out,)``; parameters
        without an entry have scale 1. This is the form :func:`analysis.ntk.empirical_ntk` takes
        as ``preconditioner`` (``Theta_P = J P J^T``): the kernel that plain gradient descent
        through this wrapper follows.
        """
        out = {}
        for name, scale in self.unit_scales().items():
            prefix = f"{name}.linear." if name else "linear."
            out[prefix + "weight"] = scale.unsqueeze(1)
            if self._layer(name).linear.bias is not None:
                out[prefix + "bias"] = scale
        return out

    def _layer(self, name: str) -> HarmonicLayer:
        return self.model.get_submodule(name) if name else self.model

    @torch.no_grad()
    def scale_gradients_(self) -> None:
        """Multiply the harmonic layers' gradients in place (parameters without a gradient are
        skipped)."""
        for name, scale in self.unit_scales().items():
            lin = self._layer(name).linear
            if lin.weight.grad is not None:
                lin.weight.grad.mul_(scale.to(lin.weight.grad).unsqueeze(1))
            if lin.bias is not None and lin.bias.grad is not None:
                lin.bias.grad.mul_(scale.to(lin.bias.grad))

    def step(self, closure=None):
        """Scale the gradients, then step the wrapped optimizer.

        Raises:
            ValueError: a closure was given (it would recompute the gradients after the
                scaling); call ``loss.backward()`` and then ``step()``.
        """
        if closure is not None:
            raise ValueError("FrequencyAwareOptimizer scales gradients that already exist; call "
                             "loss.backward() and then step() without a closure")
        self.scale_gradients_()
        return self.optimizer.step()

    def zero_grad(self, set_to_none: bool = True) -> None:
        """The wrapped optimizer's ``zero_grad``."""
        self.optimizer.zero_grad(set_to_none=set_to_none)

    @property
    def param_groups(self):
        """The wrapped optimizer's parameter groups."""
        return self.optimizer.param_groups

    def state_dict(self) -> dict:
        """The wrapped optimizer's state dict (the wrapper itself has no state)."""
        return self.optimizer.state_dict()

    def load_state_dict(self, state: dict) -> None:
        """Load the wrapped optimizer's state."""
        self.optimizer.load_state_dict(state)


def _add_entry() -> None:
    from initaudit.models.catalogue import Style, add

    add(
        "harmonic", harmonic_linear_, scope="layer",
        paper="Harmonic MLP (FirestName, 2024), public code",
        arxiv=None,
        formula="W, b ~ U(-1/sqrt(n_in), 1/sqrt(n_in)), then row i and bias i times "
                "s_i = f_i^(-1/2) / mean_j f_j^(-1/2), f_i = min(base (i + 1), max)",
        applies_to=("linear", "hidden"), random=True, matrix="structured",
        notes="HarmonicMLP's frequency-scaled init of its harmonic layers; it needs the unit "
              "frequencies, so it has no role-only whole-layer rule and no mean-field spec "
              "(the harmonic activation is not in the theory's table).",
        url="https://github.com/FirestName/Harmonic-MLP-Neural-Networks-with-Frequency-Based-"
            "Activation (harmonic-mlp)",
        commit="de731dc8851bddb0e962adcc7bd426ddd4d4a2d9",
        style=Style("HarmonicMLP frequency-scaled", "#DDCC77", "o", "-", "Harmonic"),
    )


_add_entry()

