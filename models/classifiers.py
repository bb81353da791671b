r"""Small image classifiers (MLP, CNN, Transformer encoder) and one entry point to initialise them.

The three models are the test bed of the Sinusoidal-initialization claims (Fernandez-Hernandez,
Mestre, Dolz, Duato, Quintana-Orti, "Sinusoidal Initialization, Time for a New Start", NeurIPS
2025, arXiv 2505.12909): a plain ReLU MLP, a small ReLU CNN, and a small pre-norm Transformer
encoder that reads an image as a sequence of patches. Each is built from a frozen config
dataclass and works on square single- or multi-channel images (28 x 28 MNIST / Fashion-MNIST,
8 x 8 scikit-learn digits).

Every nonlinearity is an ``nn.ReLU`` *module* (never ``F.relu``), so a forward hook on
``nn.ReLU`` sees every ReLU input; :func:`relu_modules` lists them in execution order.

:func:`initialize_` applies one of :data:`INIT_NAMES` to a built model:

``torch_default``
    Nothing: the weights torch drew when the model was built (``nn.Linear``/``nn.Conv2d``:
    Kaiming-uniform with ``a = sqrt(5)``, i.e. ``U(+-1/sqrt(fan_in))``, biases
    ``U(+-1/sqrt(fan_in))``; ``nn.MultiheadAttention``: Xavier-uniform on the packed
    ``in_proj_weight``, zero biases). Seed torch before building for reproducible draws.
``orthogonal``
    :func:`models.init.orthogonal_` (Saxe, McClelland, Ganguli 2013, arXiv 1312.6120; gain 1)
    on every Linear and Conv weight and on each q, k, v block of every attention input
    projection; biases zero (as the Sinusoidal reference code does for its baselines).
``lsuv``
    Layer-sequential unit variance (Mishkin and Matas, ICLR 2016, arXiv 1511.06422):
    :func:`models.lsuv.lsuv_`, which needs a batch of inputs.
``sinusoidal``
    :func:`models.init.sinusoidal_init` with the current reference rule (gain sqrt(2),
    fan_in) on every Linear, Conv and attention q/k/v block; biases zero.
``sinusoidal_paper``
    The same with the paper-era rule (:func:`models.init.sinusoidal_paper_`, Xavier-like
    scale). Its reference module function skipped the attention input projection; here it is
    applied to the q/k/v blocks too, so that every initialiser covers the same layers.

What is left alone by every initialiser: LayerNorm parameters, the Transformer's positional
embedding (drawn from N(0, 0.02^2) at construction, as in ViT) and the attention ``in_proj_bias``
(zero from torch).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Union

import torch
from torch import nn

from initaudit.theory.checks import choice as _choice
from initaudit.theory.checks import positive_int as _positive_int, positive_ints as _positive_ints

__all__ = [
    "CNNConfig", "CNNClassifier", "INIT_NAMES", "MLPClassifier", "MLPConfig", "ModelConfig",
    "TransformerClassifier", "TransformerConfig", "build_classifier", "initialize_",
    "init_targets", "relu_modules",
]

#: Initialiser names that :func:`initialize_` accepts, the torch default first.
INIT_NAMES: tuple[str, ...] = ("torch_default", "orthogonal", "lsuv", "sinusoidal", "sinusoidal_paper")

#: Standard deviation of the Transformer's positional embedding at construction (ViT,
#: Dosovitskiy et al. 2021, arXiv 2010.11929, reference code: trunc_normal std 0.02).
POS_EMBED_STD = 0.02


# ----------------------------------------------------------------------------------------------
# Configs


@dataclass(frozen=True)
class MLPConfig:
    """A ReLU multilayer perceptron on flattened images.

    Attributes:
        image_size: height = width of the input images (28 for MNIST, 8 for digits).
        in_channels: input channels (1 for grey images).
        num_classes: outputs (logits).
        hidden: widths of the hidden layers; each is Linear -> ReLU.
    """

    image_size: int = 28
    in_channels: int = 1
    num_classes: int = 10
    hidden: tuple[int, ...] = (256, 256)

    def __post_init__(self):
        _positive_int(self.image_size, "image_size")
        _positive_int(self.in_channels, "in_channels")
        _positive_int(self.num_classes, "num_classes")
        _positive_ints(self.hidden, "hidden")


@dataclass(frozen=True)
class CNNConfig:
    """A small ReLU CNN: stages of Conv(k x k, same padding) -> ReLU -> MaxPool(2), then a
    ReLU hidden layer and a linear readout.

    Attributes:
        image_size: input height = width; must stay >= 1 after halving once per stage.
        in_channels: input channels.
        num_classes: outputs (logits).
        channels: output channels of each conv stage.
        kernel: odd kernel size of every conv.
        hidden: width of the fully connected hidden layer.
    """

    image_size: int = 28
    in_channels: int = 1
    num_classes: int = 10
    channels: tuple[int, ...] = (16, 32)
    kernel: int = 3
    hidden: int = 128

    def __post_init__(self):
        _positive_int(self.image_size, "image_size")
        _positive_int(self.in_channels, "in_channels")
        _positive_int(self.num_classes, "num_classes")
        _positive_ints(self.channels, "channels")
        _positive_int(self.hidden, "hidden")
        if _positive_int(self.kernel, "kernel") % 2 == 0:
            raise ValueError(f"kernel must be odd (same padding), got {self.kernel}")
        if self.image_size >> len(self.channels) < 1:
            raise ValueError(f"{len(self.channels)} pooling stages halve a {self.image_size}-pixel "
                             f"image below one pixel; use at most "
                             f"{int(math.log2(self.image_size))} stages")

    @property
    def final_size(self) -> int:
        """Side of the feature map after the last pooling (floor halving per stage)."""
        return self.image_size >> len(self.channels)


@dataclass(frozen=True)
class TransformerConfig:
    """A small pre-norm Transformer encoder over non-overlapping image patches.

    Patches of ``patch x patch`` pixels are embedded by a Conv2d with stride ``patch`` (a
    linear map per patch), a learned positional embedding is added, then ``depth`` blocks
    ``x += MHA(LN(x)); x += W2 ReLU(W1 LN(x))`` run, the tokens are averaged and a LayerNorm
    and a Linear give the logits (ViT without the class token; Dosovitskiy et al. 2021).

    Attributes:
        image_size: input height = width; a multiple of ``patch``.
        in_channels: input channels.
        num_classes: outputs (logits).
        patch: patch side in pixels.
        dim: token width E (the attention q/k/v blocks are E x E).
        depth: encoder blocks.
        heads: attention heads; must divide ``dim``.
        mlp_dim: hidden width of each block's feed-forward layer.
    """

    image_size: int = 28
    in_channels: int = 1
    num_classes: int = 10
    patch: int = 7
    dim: int = 64
    depth: int = 2
    heads: int = 4
    mlp_dim: int = 128

    def __post_init__(self):
        for name in ("image_size", "in_channels", "num_classes", "patch", "dim", "depth",
                     "heads", "mlp_dim"):
            _positive_int(getattr(self, name), name)
        if self.image_size % self.patch:
            raise ValueError(f"patch {self.patch} does not divide image_size {self.image_size}; "
                             f"use a divisor of {self.image_size}")
        if self.dim % self.heads:
            raise ValueError(f"heads {self.heads} does not divide dim {self.dim}")

    @property
    def tokens(self) -> int:
        """Number of patches (sequence length)."""
        return (self.image_size // self.patch) ** 2


ModelConfig = Union[MLPConfig, CNNConfig, TransformerConfig]


# ----------------------------------------------------------------------------------------------
# Models


class MLPClassifier(nn.Module):
    """Flatten -> [Linear -> ReLU] * len(hidden) -> Linear."""

    def __init__(self, config: MLPConfig):
        super().__init__()
        self.config = config
        width = config.in_channels * config.image_size ** 2
        layers: list[nn.Module] = [nn.Flatten()]
        for h in config.hidden:
            layers += [nn.Linear(width, h), nn.ReLU()]
            width = h
        layers.append(nn.Linear(width, config.num_classes))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class CNNClassifier(nn.Module):
    """[Conv -> ReLU -> MaxPool(2)] * stages -> Flatten -> Linear -> ReLU -> Linear."""

    def __init__(self, config: CNNConfig):
        super().__init__()
        self.config = config
        layers: list[nn.Module] = []
        c = config.in_channels
        for out in config.channels:
            layers += [nn.Conv2d(c, out, config.kernel, padding=config.kernel // 2), nn.ReLU(),
                       nn.MaxPool2d(2)]
            c = out
        self.features = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.Flatten(),
                                  nn.Linear(c * config.final_size ** 2, config.hidden),
                                  nn.ReLU(), nn.Linear(config.hidden, config.num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


class EncoderBlock(nn.Module):
    """Pre-norm encoder block: ``x + MHA(LN x)``, then ``x + fc2(ReLU(fc1(LN x)))``."""

    def __init__(self, dim: int, heads: int, mlp_dim: int):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.norm2 = nn.LayerNorm(dim)
        self.fc1 = nn.Linear(dim, mlp_dim)
        self.act = nn.ReLU()
        self.fc2 = nn.Linear(mlp_dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.norm1(x)
        x = x + self.attn(h, h, h, need_weights=False)[0]
        return x + self.fc2(self.act(self.fc1(self.norm2(x))))


class TransformerClassifier(nn.Module):
    """Patch embedding + positional embedding -> encoder blocks -> mean over tokens -> LN ->
    Linear."""

    def __init__(self, config: TransformerConfig):
        super().__init__()
        self.config = config
        self.patch_embed = nn.Conv2d(config.in_channels, config.dim, config.patch,
                                     stride=config.patch)
        self.pos_embed = nn.Parameter(torch.randn(1, config.tokens, config.dim) * POS_EMBED_STD)
        self.blocks = nn.ModuleList(EncoderBlock(config.dim, config.heads, config.mlp_dim)
                                    for _ in range(config.depth))
        self.norm = nn.LayerNorm(config.dim)
        self.head = nn.Linear(config.dim, config.num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        tokens = self.patch_embed(x).flatten(2).transpose(1, 2) + self.pos_embed  # (B, T, E)
        for block in self.blocks:
            tokens = block(tokens)
        return self.head(self.norm(tokens.mean(dim=1)))


def build_classifier(config: ModelConfig) -> nn.Module:
    """The model a config describes (torch's default initialisation; seed torch first).

    Raises:
        TypeError: ``config`` is not one of the three config classes.
    """
    if isinstance(config, MLPConfig):
        return MLPClassifier(config)
    if isinstance(config, CNNConfig):
        return CNNClassifier(config)
    if isinstance(config, TransformerConfig):
        return TransformerClassifier(config)
    raise TypeError(f"unknown model config {type(config).__name__}; valid are MLPConfig, "
                    f"CNNConfig, TransformerConfig")


def relu_modules(model: nn.Module) -> list[tuple[str, nn.ReLU]]:
    """``(name, module)`` of every ``nn.ReLU`` in registration order (= execution order for
    the models of this module)."""
    return [(n, m) for n, m in model.named_modules() if isinstance(m, nn.ReLU)]


# ----------------------------------------------------------------------------------------------
# Initialisation

_LAYERS = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)


def init_targets(model: nn.Module) -> list[tuple[str, torch.Tensor]]:
    """Every weight matrix an initialiser of :data:`INIT_NAMES` sets, as ``(name, view)``.

    Linear and Conv weights whole; each ``nn.MultiheadAttention`` packed ``in_proj_weight``
    (3E, E) as three (E, E) views ``<name>.in_proj_weight[q|k|v]`` (its ``out_proj`` is an
    ``nn.Linear`` and is listed as such). The views share storage with the parameters, so
    writing into them initialises the model.
    """
    out: list[tuple[str, torch.Tensor]] = []
    for name, m in model.named_modules():
        if isinstance(m, _LAYERS):
            out.append((f"{name}.weight", m.weight))
        elif isinstance(m, nn.MultiheadAttention):
            if m.in_proj_weight is None:
                for part in ("q", "k", "v"):
                    out.append((f"{name}.{part}_proj_weight", getattr(m, f"{part}_proj_weight")))
            else:
                rows, cols = m.in_proj_weight.shape
                blocks = m.in_proj_weight.view(3, rows // 3, cols)
                for i, part in enumerate("qkv"):
                    out.append((f"{name}.in_proj_weight[{part}]", blocks[i]))
    return out


def _zero_layer_biases(model: nn.Module) -> None:
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, _LAYERS) and m.bias is not None:
                m.bias.zero_()


def _orthogonal(model: nn.Module, generator: torch.Generator | None) -> None:
    from initaudit.models.init import orthogonal_

    with torch.no_grad():
        for _, w in init_targets(model):
            orthogonal_(w, generator=generator)
    _zero_layer_biases(model)


def initialize_(model: nn.Module, name: str, *, data: torch.Tensor | None = None,
                generator: torch.Generator | None = None, lsuv_tol: float = 0.1,
                lsuv_max_iter: int = 10) -> nn.Module:
    """Initialise every Linear, Conv and attention q/k/v weight of ``model`` by ``name``.

    See the module docstring for what each name does. Random rules draw from ``generator``
    (torch's global generator when None); the sinusoidal rules are deterministic.

    Args:
        model: a model (any ``nn.Module``; the classifiers of this module in practice).
        name: one of :data:`INIT_NAMES`.
        data: a batch of inputs; required by ``lsuv``, ignored otherwise.
        generator: torch.Generator for the random rules (orthogonal, lsuv's orthonormal start).
        lsuv_tol: LSUV's tolerance on the output variance, ``|Var - 1| < tol`` (Mishkin and
            Matas use 0.1).
        lsuv_max_iter: LSUV's maximum rescalings per layer (Mishkin and Matas: 10).

    Returns:
        ``model``, initialised in place.

    Raises:
        ValueError: unknown ``name`` (the message lists the valid ones), or ``lsuv`` without
            ``data``.
    """
    _choice(name, INIT_NAMES, "initialiser")
    if name == "torch_default":
        return model
    if name == "orthogonal":
        _orthogonal(model, generator)
    elif name == "lsuv":
        if data is None:
            raise ValueError("the lsuv initialiser needs a batch of inputs: pass data=<tensor>")
        from initaudit.models.lsuv import lsuv_

        lsuv_(model, data, tol=lsuv_tol, max_iter=lsuv_max_iter, generator=generator)
    else:
        from initaudit.models.init import sinusoidal_init

        sinusoidal_init(model, "current" if name == "sinusoidal" else "paper", attention=True)
    return model
