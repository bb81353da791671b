"""Finite fully connected networks built from a :class:`theory.spec.NetworkSpec`, one or many.

The network is the package's folded form (DESIGN.md, :mod:`theory.spec`)::

    z_1 = W_0 x + b_0,   h_l = f(z_l),   z_{l+1} = W_l h_l + b_l   (l = 1..L),   y = z_{L+1}

with ``f`` one of sin, relu, tanh, erf, gelu, a linear readout, ``Var W_l = sigma_w^2 / fan_in``
and ``Var b_l = sigma_b^2``. Any frequency omega_0 of a source is already *folded* into the
weights and biases, ``sin(omega_0 (W x + b)) == sin(W' x + b')`` with ``W' = omega_0 W`` and
``b' = omega_0 b``, so no layer multiplies by omega_0 at run time.

Two builders:

* :func:`build_mlp` -- one :class:`MLP` (an ``nn.Sequential`` of ``nn.Linear`` and activation
  modules) drawn from the spec's convention: uniform ``U(+-sqrt(3 sigma_w^2 / fan_in))`` and
  ``U(+-sqrt(3 sigma_b^2))``, or normal ``N(0, sigma_w^2 / fan_in)`` and ``N(0, sigma_b^2)``, so
  its variances are exactly the spec's.
* :class:`Ensemble` -- S independent networks of the same architecture held as batched tensors
  (``W_l`` of shape ``(S, fan_out, fan_in)``, ``b_l`` of shape ``(S, fan_out)``), propagated with
  one ``torch.baddbmm`` per layer and no Python loop over networks. Built from a spec
  (:meth:`Ensemble.from_spec`) or from a registered initializer (:meth:`Ensemble.from_init`).

How omega_0 is folded for the registered initializers (:meth:`Ensemble.from_init`), following
the catalogue notes of :mod:`models.init` and :func:`models.init.init_linear_`, which by default
returns folded tensors:

* ``siren`` (Sitzmann et al. 2020, reference code; the layer computes ``sin(omega_0 (W h + b))``
  with omega_0 = 30 in the first *and* hidden layers): folded first layer ``W' ~ U(+-omega_0/d)``,
  ``b' ~ U(+-omega_0/sqrt(d))``; hidden ``W' ~ U(+-sqrt(6/N))`` (``sigma_w^2 = 2``),
  ``b' ~ U(+-omega_0/sqrt(N))`` (``sigma_b^2 = omega_0^2/(3N)``); the readout has no sine and is
  not scaled (``W ~ U(+-sqrt(6/N)/omega_0)``, ``b ~ U(+-1/sqrt(N))``). ``omega0`` here sets the
  first and the hidden frequency together, as the reference does.
* ``siren_port`` (siren-pytorch): ``omega0`` is the first layer's ``w0_initial`` (folded:
  ``W', b' ~ U(+-omega_0/d)``); the hidden layers keep the port's ``w0 = 1``, so folding changes
  nothing there (``W, b ~ U(+-sqrt(6/N))``); the readout uses the hidden rule, unscaled.
* ``edge_of_chaos``, ``edge_of_chaos_sigma_a1`` (Combette, Venaille, Pustelnik, arXiv
  2512.06427): published in the folded form already; ``omega0`` is the half-width factor of the
  first layer ``W ~ U(+-omega_0/d)`` (zero bias); hidden ``U(+-c_w/sqrt(N))``, ``U(+-c_b)``;
  readout ``U(+-sqrt(3/N))``, zero bias.
* the torch baselines (xavier, kaiming, orthogonal) and the deterministic sinusoidal rules have
  no frequency; passing ``omega0`` for them is an error.

These are the same maps as the spec constructors :func:`theory.spec.siren_reference`,
:func:`theory.spec.siren_port` and :func:`theory.spec.edge_of_chaos`; the tests check the
ensemble's empirical layer variances against them.
"""

from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import nn

from initaudit.models.activations import ACTIVATIONS
from initaudit.models.activations import DERIVATIVES as _DERIVS
from initaudit.models.activations import FUNCTIONS as _FUNCS
from initaudit.models.activations import check as _check_activation
from initaudit.theory.checks import positive_int as _check_count
from initaudit.theory.spec import LayerVariance

__all__ = [
    "ACTIVATIONS", "Activation", "DTYPES", "Ensemble", "HIDDEN_MATRICES", "MLP", "activation_fn",
    "activation_derivative", "build_mlp", "dtype_from_name", "linear_init_names",
]

#: Floating dtypes by name (command line and configs).
DTYPES = {"float32": torch.float32, "float64": torch.float64}
def dtype_from_name(dtype) -> torch.dtype:
    """A torch floating dtype from a dtype or its name ("float32", "float64")."""
    if isinstance(dtype, torch.dtype):
        if dtype not in DTYPES.values():
            raise ValueError(f"unsupported dtype {dtype}; valid dtypes are {', '.join(DTYPES)}")
        return dtype
    try:
        return DTYPES[dtype]
    except (KeyError, TypeError):
        raise ValueError(f"unknown dtype {dtype!r}; valid dtypes are {', '.join(DTYPES)}") from None


def activation_fn(name: str):
    """The elementwise activation ``f`` by name."""
    return _FUNCS[_check_activation(name)]


def activation_derivative(name: str):
    """The elementwise derivative ``f'`` by name (relu: the indicator of z > 0)."""
    return _DERIVS[_check_activation(name)]


class Activation(nn.Module):
    """An elementwise activation by name (sin has no torch module of its own)."""

    def __init__(self, name: str):
        super().__init__()
        self.name = _check_activation(name)
        self._fn = _FUNCS[name]

    def forward(self, z: torch.Tensor) -> torch.Tensor:  # noqa: D102
        return self._fn(z)

    def extra_repr(self) -> str:
        return self.name


class MLP(nn.Sequential):
    """``Linear, f, Linear, f, ..., Linear``: depth L activated layers and a linear readout.

    An ``nn.Sequential``; :meth:`preactivations` also returns ``z_1 .. z_{L+1}``.
    """

    def preactivations(self, x: torch.Tensor) -> list[torch.Tensor]:
        """``[z_1, ..., z_L, y]``: the input of every activation, then the output."""
        out = []
        h = x
        for module in self:
            h = module(h)
            if isinstance(module, nn.Linear):
                out.append(h)
        return out


def _draw_(tensor: torch.Tensor, variance: float, convention: str,
           generator: torch.Generator | None) -> torch.Tensor:
    """Fill ``tensor`` with mean-0 draws of the given variance (uniform or normal)."""
    with torch.no_grad():
        if variance == 0.0:
            return tensor.zero_()
        if convention == "uniform":
            bound = math.sqrt(3.0 * variance)
            return tensor.uniform_(-bound, bound, generator=generator)
        return tensor.normal_(0.0, math.sqrt(variance), generator=generator)


#: Laws of the hidden weight matrices :func:`build_mlp` can draw (catalogue ``matrix`` values).
HIDDEN_MATRICES = ("iid", "orthogonal")


def build_mlp(spec, generator: torch.Generator | None = None,
              dtype: torch.dtype | str = torch.float32, hidden_matrix: str = "iid") -> MLP:
    """One finite network drawn from ``spec``.

    Layer ``l`` gets ``W_l ~ U(+-sqrt(3 sigma_w^2 / fan_in))`` and ``b_l ~ U(+-sqrt(3 sigma_b^2))``
    (``spec.convention == "uniform"``) or ``W_l ~ N(0, sigma_w^2 / fan_in)``,
    ``b_l ~ N(0, sigma_b^2)`` ("normal"), with the (sigma_w^2, sigma_b^2) of
    :meth:`theory.spec.NetworkSpec.layers`; a zero variance gives zeros; the first layer takes
    ``spec.first_law``. With ``hidden_matrix="orthogonal"`` the hidden (width x width) weights are
    ``sqrt(sigma_w^2) Q`` instead, Q Haar-orthogonal
    (:func:`models.init.edge_of_chaos_orthogonal_`: the same variance, ``W^T W = sigma_w^2 I``).
    Weights are drawn before biases, layer by layer.

    Args:
        spec: a :class:`theory.spec.NetworkSpec`.
        generator: torch.Generator to draw from (seed it for reproducible networks).
        dtype: floating dtype of the parameters.
        hidden_matrix: "iid" or "orthogonal" (:data:`HIDDEN_MATRICES`).

    Returns:
        An :class:`MLP` (``nn.Sequential``): depth ``spec.depth`` activated layers and a readout.
    """
    from initaudit.theory.checks import choice

    choice(hidden_matrix, HIDDEN_MATRICES, "hidden matrix law")
    dtype = dtype_from_name(dtype)
    modules: list[nn.Module] = []
    for l, (lv, n_in, n_out) in enumerate(zip(spec.layers(), spec.fan_ins(), spec.fan_outs())):
        layer = nn.Linear(n_in, n_out, dtype=dtype)
        law = spec.first_law if l == 0 else spec.convention
        if hidden_matrix == "orthogonal" and 0 < l < spec.depth and lv.sigma_w2 > 0:
            from initaudit.models.init import edge_of_chaos_orthogonal_

            edge_of_chaos_orthogonal_(layer.weight, math.sqrt(3.0 * lv.sigma_w2),
                                      generator=generator)
        else:
            _draw_(layer.weight, lv.sigma_w2 / n_in, law, generator)
        _draw_(layer.bias, lv.sigma_b2, law, generator)
        modules.append(layer)
        if l < spec.depth:
            modules.append(Activation(spec.activation))
    return MLP(*modules)


def linear_init_names(controls: bool = False) -> list[str]:
    """Catalogue entries that can fill a whole ``nn.Linear`` (every role); the package's own
    control points (:mod:`models.catalogue`, ``control``) only with ``controls=True``."""
    from initaudit.models import catalogue

    return catalogue.available("linear", layer=True, controls=controls)


def _roles(depth: int) -> list[str]:
    return ["first"] + ["hidden"] * (depth - 1) + ["readout"]


def _replaced_first(spec, omega0, d_in: int):
    """``(omega0, spec)`` with the edge-of-chaos first layer ``W_0 ~ U(+-omega0/d)``, ``b_0 = 0``
    (``omega0`` None: its default): U(+-omega0/d) has variance omega0^2/(3 d^2) per weight, i.e.
    ``sigma_w0^2 = omega0^2 / (3 d)`` in the spec's units, and no bias."""
    from initaudit.models.init import EDGE_OF_CHAOS_OMEGA0

    omega0 = EDGE_OF_CHAOS_OMEGA0 if omega0 is None else float(omega0)
    return omega0, spec.with_(first=LayerVariance(omega0 ** 2 / (3.0 * d_in), 0.0),
                              first_convention="uniform")


class Ensemble:
    """S independent networks of one architecture, held as batched tensors.

    Attributes:
        weights: ``[W_0, ..., W_L]``, ``W_l`` of shape ``(S, fan_out, fan_in)``.
        biases: ``[b_0, ..., b_L]``, ``b_l`` of shape ``(S, fan_out)``.
        activation: name of ``f``.
        name: the spec's or initializer's name.
        random: False for a deterministic initializer (then ``S == 1``: every draw would give
            the same network, so the only spread left is over inputs).
        spec: the :class:`theory.spec.NetworkSpec` it was drawn from (None for ``from_init``).
        omega0: the frequency folded into the first (and, for siren, hidden) layers, or None.

    The networks compute ``z_1 = W_0 x + b_0``, ``h_l = f(z_l)``, ``z_{l+1} = W_l h_l + b_l``,
    ``y = z_{L+1}`` (see the module docstring for the folding of omega_0).
    """

    def __init__(self, weights: Sequence[torch.Tensor], biases: Sequence[torch.Tensor],
                 activation: str, *, name: str = "custom", random: bool = True, spec=None,
                 omega0: float | None = None):
        _check_activation(activation)
        if len(weights) < 2 or len(weights) != len(biases):
            raise ValueError("an ensemble needs at least two layers (W_0 and the readout) and one "
                             f"bias per weight; got {len(weights)} weights, {len(biases)} biases")
        s = weights[0].shape[0]
        for l, (w, b) in enumerate(zip(weights, biases)):
            if w.dim() != 3 or b.dim() != 2 or w.shape[0] != s or b.shape[0] != s:
                raise ValueError(f"layer {l}: weights must be (S, fan_out, fan_in) and biases "
                                 f"(S, fan_out) with one S; got {tuple(w.shape)}, {tuple(b.shape)}")
            if b.shape[1] != w.shape[1]:
                raise ValueError(f"layer {l}: bias length {b.shape[1]} != fan_out {w.shape[1]}")
            if l > 0 and w.shape[2] != weights[l - 1].shape[1]:
                raise ValueError(f"layer {l}: fan_in {w.shape[2]} != fan_out of layer {l - 1} "
                                 f"({weights[l - 1].shape[1]})")
        self.weights = list(weights)
        self.biases = list(biases)
        self.activation = activation
        self.name = name
        self.random = random
        self.spec = spec
        self.omega0 = omega0

    # -- shape ---------------------------------------------------------------------------------
    @property
    def n_networks(self) -> int:
        """S, the number of networks."""
        return self.weights[0].shape[0]

    @property
    def depth(self) -> int:
        """L, the number of activated layers."""
        return len(self.weights) - 1

    @property
    def d_in(self) -> int:
        return self.weights[0].shape[2]

    @property
    def width(self) -> int:
        return self.weights[0].shape[1]

    @property
    def d_out(self) -> int:
        return self.weights[-1].shape[1]

    @property
    def dtype(self) -> torch.dtype:
        return self.weights[0].dtype

    @property
    def device(self) -> torch.device:
        return self.weights[0].device

    def to(self, device=None, dtype=None) -> "Ensemble":
        """A copy on another device and/or dtype."""
        conv = lambda t: t.to(device=device, dtype=dtype)  # noqa: E731
        return Ensemble([conv(w) for w in self.weights], [conv(b) for b in self.biases],
                        self.activation, name=self.name, random=self.random, spec=self.spec,
                        omega0=self.omega0)

    def select(self, index) -> "Ensemble":
        """The sub-ensemble ``index`` (a slice or a list of network indices); slices are views."""
        if isinstance(index, int):
            index = [index]
        return Ensemble([w[index] for w in self.weights], [b[index] for b in self.biases],
                        self.activation, name=self.name, random=self.random, spec=self.spec,
                        omega0=self.omega0)

    def network(self, s: int) -> MLP:
        """Network ``s`` as a stand-alone :class:`MLP` (a copy of its parameters)."""
        if not 0 <= s < self.n_networks:
            raise ValueError(f"network index must be in [0, {self.n_networks}), got {s}")
        modules: list[nn.Module] = []
        for l, (w, b) in enumerate(zip(self.weights, self.biases)):
            layer = nn.Linear(w.shape[2], w.shape[1], dtype=w.dtype, device=w.device)
            with torch.no_grad():
                layer.weight.copy_(w[s])
                layer.bias.copy_(b[s])
            modules.append(layer)
            if l < self.depth:
                modules.append(Activation(self.activation))
        return MLP(*modules)

    # -- builders ------------------------------------------------------------------------------
    @classmethod
    def draw(cls, init: str, d_in: int, width: int, depth: int, n_networks: int, *,
             activation: str | None = None, omega0: float | None = None, law: str | None = None,
             first_layer: str = "own", seed: int = 0, keys: tuple[int, ...] = (),
             dtype: torch.dtype | str = torch.float32, device=None,
             d_out: int = 1) -> tuple["Ensemble", object]:
        """The one builder of every measurement's networks: S networks of a catalogue entry.

        Args:
            init: a catalogue name with a whole-layer rule (:func:`linear_init_names`).
            d_in, width, depth, d_out: the architecture.
            n_networks: S (1 for a deterministic rule drawn by its own ``law``, see below).
            activation: default the entry's (:func:`models.catalogue.default_activation`).
            omega0: the entry's frequency (None: its default; an error for entries without one).
                With ``first_layer="omega0"`` it is the half-width factor of the replaced layer.
            law: None draws the entry's own rule (:meth:`from_init`); ``"spec"`` draws from its
                mean-field spec (:func:`models.catalogue.spec`, the same variances, the spec's
                law); ``"uniform"`` or ``"normal"`` from the spec with that law
                (:meth:`from_spec`).
            first_layer: ``"own"`` keeps the entry's first layer; ``"omega0"`` replaces it by
                the edge-of-chaos one, ``W_0 ~ U(+-omega0/d)``, ``b_0 = 0``, drawn from its own
                stream, ``(seed, STREAM_FIRST_LAYER)`` (so the hidden layers do not depend on
                it; deterministic hidden layers are then shared by the S networks).
            seed: the replicate; the networks are drawn from a CPU ``torch.Generator`` on its
                weight stream, ``(seed, STREAM_INIT)`` of :mod:`initaudit.models.seeds`.
            keys: child keys of those streams (network ``i`` of a sweep that draws one network
                at a time passes ``(i,)``).
            dtype: floating dtype; device: where the tensors live (drawn on the CPU first, so
                a seed gives the same networks on every device).

        Returns:
            ``(ensemble, spec)``; ``spec`` is the entry's :class:`theory.spec.NetworkSpec`
            (with the law drawn when ``law`` is given; with the replaced first layer, uniform,
            when ``first_layer="omega0"``).
        """
        from initaudit.models import seeds
        from initaudit.models.init import edge_of_chaos_first_

        activation, own_omega0, sp = cls._entry_spec(init, d_in, width, depth, activation,
                                                     omega0, law, first_layer, d_out)
        gen = seeds.torch_generator(seed, seeds.STREAM_INIT, *keys)
        if law is None:
            ens = cls.from_init(init, d_in, width, depth, n_networks, activation, own_omega0,
                                gen, dtype, d_out=d_out)
        else:
            ens = cls.from_spec(sp, n_networks, gen, dtype)
        if first_layer == "omega0":
            omega0, sp = _replaced_first(sp, omega0, d_in)
            n_networks = _check_count(n_networks, "n_networks")
            weights, biases = list(ens.weights), list(ens.biases)
            if ens.n_networks != n_networks:  # deterministic hidden layers: share them
                weights = [w.expand(n_networks, -1, -1) for w in weights]
                biases = [b.expand(n_networks, -1) for b in biases]
            g0 = seeds.torch_generator(seed, seeds.STREAM_FIRST_LAYER, *keys)
            w0 = torch.empty(n_networks, width, d_in, dtype=weights[0].dtype)
            for s in range(n_networks):
                edge_of_chaos_first_(w0[s], omega0, generator=g0)
            weights[0] = w0
            biases[0] = torch.zeros(n_networks, width, dtype=w0.dtype)
            ens = cls(weights, biases, activation, name=init, random=True, spec=sp,
                      omega0=omega0)
        return (ens if device is None else ens.to(device=device)), sp

    @staticmethod
    def _entry_spec(init, d_in, width, depth, activation, omega0, law, first_layer, d_out):
        """Validate :meth:`draw`'s arguments; ``(activation, own_omega0, spec)`` with the spec of
        the entry's own layers (with ``law`` applied), before any first-layer replacement."""
        from initaudit.models import catalogue
        from initaudit.theory.checks import choice

        choice(law, (None, "spec", "uniform", "normal"), "law")
        choice(first_layer, ("own", "omega0"), "first_layer")
        valid = linear_init_names(controls=True)
        if init not in valid:
            raise ValueError(f"unknown initializer {init!r} for fully connected layers; valid "
                             f"names are {', '.join(valid)}")
        entry = catalogue.get(init)
        activation = activation or entry.activation
        replace_first = first_layer == "omega0"
        own_omega0 = None if replace_first else omega0
        if replace_first and entry.omega0 is not None:
            own_omega0 = omega0  # a frequency init keeps its hidden omega_0 in step
        sp = catalogue.spec(init, d_in, width, depth, activation, own_omega0, d_out)
        if law not in (None, "spec"):
            sp = sp.with_(convention=law)
        return activation, own_omega0, sp

    @classmethod
    def drawn_spec(cls, init: str, d_in: int, width: int, depth: int, *,
                   activation: str | None = None, omega0: float | None = None,
                   law: str | None = None, first_layer: str = "own", d_out: int = 1):
        """The :class:`theory.spec.NetworkSpec` that :meth:`draw` returns for these arguments,
        without drawing any weight (the same validation, the same errors)."""
        _, _, sp = cls._entry_spec(init, d_in, width, depth, activation, omega0, law,
                                   first_layer, d_out)
        if first_layer == "omega0":
            sp = _replaced_first(sp, omega0, d_in)[1]
        return sp

    @classmethod
    def from_spec(cls, spec, n_networks: int, generator: torch.Generator | None = None,
                  dtype: torch.dtype | str = torch.float32, device=None) -> "Ensemble":
        """S networks drawn independently from ``spec`` (the laws of :func:`build_mlp`).

        Args:
            spec: a :class:`theory.spec.NetworkSpec`.
            n_networks: S >= 1.
            generator: torch.Generator (CPU) to draw from; weights before biases, layer by layer,
                each as one (S, fan_out, fan_in) block.
            dtype: floating dtype.
            device: where the tensors live (drawn on the CPU, then moved: the same seed gives
                the same networks on every device).

        Returns:
            An :class:`Ensemble` with ``spec`` attached.
        """
        n_networks = _check_count(n_networks, "n_networks")
        dtype = dtype_from_name(dtype)
        weights, biases = [], []
        for l, (lv, n_in, n_out) in enumerate(zip(spec.layers(), spec.fan_ins(),
                                                   spec.fan_outs())):
            w = torch.empty(n_networks, n_out, n_in, dtype=dtype)
            b = torch.empty(n_networks, n_out, dtype=dtype)
            law = spec.first_law if l == 0 else spec.convention
            _draw_(w, lv.sigma_w2 / n_in, law, generator)
            _draw_(b, lv.sigma_b2, law, generator)
            weights.append(w.to(device))
            biases.append(b.to(device))
        return cls(weights, biases, spec.activation, name=spec.name, random=True, spec=spec,
                   omega0=spec.omega0)

    @classmethod
    def from_init(cls, name: str, d_in: int, width: int, depth: int, n_networks: int,
                  activation: str = "sin", omega0: float | None = None,
                  generator: torch.Generator | None = None,
                  dtype: torch.dtype | str = torch.float32, device=None,
                  d_out: int = 1) -> "Ensemble":
        """S networks whose layers are filled by a registered initializer.

        Layer 0 gets the role "first", layers 1..L-1 "hidden", layer L "readout", each through
        :func:`models.init.init_linear_` (folded form, see the module docstring), network by
        network, layer by layer, weight before bias, from one ``generator``.

        A deterministic initializer (catalogue ``random=False``: sinusoidal, sinusoidal_paper)
        gives the same network for every draw, so the ensemble then holds S = 1 network whatever
        ``n_networks`` says, and ``random`` is False: the spread of any statistic is over inputs.

        Args:
            name: a name from :func:`linear_init_names`.
            d_in, width, depth, d_out: the architecture (depth L >= 1 activated layers).
            n_networks: S >= 1 (ignored, i.e. 1, for deterministic initializers).
            activation: one of :data:`ACTIVATIONS`.
            omega0: frequency for the initializers of :func:`models.catalogue.frequency_inits` (None: the
                source's default, 30); an error for the others.
            generator: torch.Generator (CPU) to draw from.
            dtype: floating dtype.
            device: where the tensors live (drawn on the CPU, then moved).

        Returns:
            An :class:`Ensemble` (``spec`` is None; see :func:`models.catalogue.spec`).
        """
        from initaudit.models import catalogue
        from initaudit.models.init import init_linear_

        valid = linear_init_names(controls=True)
        if name not in valid:
            raise ValueError(f"unknown initializer {name!r} for fully connected layers; valid "
                             f"names are {', '.join(valid)}")
        _check_activation(activation)
        for what, val in (("d_in", d_in), ("width", width), ("depth", depth), ("d_out", d_out)):
            _check_count(val, what)
        n_networks = _check_count(n_networks, "n_networks")
        dtype = dtype_from_name(dtype)
        info = catalogue.get(name)
        if omega0 is not None:
            if info.omega0 is None:
                raise ValueError(f"omega0 applies only to {', '.join(catalogue.frequency_inits())}; "
                                 f"{name!r} has no frequency (leave omega0 unset)")
            omega0 = float(omega0)
            if not (math.isfinite(omega0) and omega0 > 0):
                raise ValueError(f"omega0 must be a positive finite number, got {omega0!r}")
        if not info.random:
            n_networks = 1
        fan_ins = [d_in] + [width] * depth
        fan_outs = [width] * depth + [d_out]
        roles = _roles(depth)
        weights = [torch.empty(n_networks, o, i, dtype=dtype) for i, o in zip(fan_ins, fan_outs)]
        biases = [torch.empty(n_networks, o, dtype=dtype) for o in fan_outs]
        # One shell nn.Linear per distinct shape (on the meta device: no storage, no init of its
        # own) whose parameters are set to views of the batched tensors, so that init_linear_
        # fills the ensemble in place.
        shells: dict[tuple[int, int], nn.Linear] = {}
        with torch.no_grad():
            for s in range(n_networks):
                for l, (n_in, n_out, role) in enumerate(zip(fan_ins, fan_outs, roles)):
                    layer = shells.get((n_in, n_out))
                    if layer is None:
                        layer = shells[(n_in, n_out)] = nn.Linear(n_in, n_out, device="meta")
                    layer.weight = nn.Parameter(weights[l][s], requires_grad=False)
                    layer.bias = nn.Parameter(biases[l][s], requires_grad=False)
                    kwargs = {}
                    key = info.frequency.get(role)
                    if omega0 is not None and key is not None:
                        kwargs[key] = omega0
                    init_linear_(layer, name, role=role, generator=generator, **kwargs)
        if omega0 is None:
            omega0 = info.omega0
        return cls([w.to(device) for w in weights], [b.to(device) for b in biases], activation,
                   name=name, random=info.random, spec=None, omega0=omega0)

    # -- propagation ---------------------------------------------------------------------------
    def _check_input(self, x: torch.Tensor) -> torch.Tensor:
        if not isinstance(x, torch.Tensor):
            raise ValueError(f"inputs must be a torch.Tensor, got {type(x).__name__}")
        if x.dim() == 2 and x.shape[1] == self.d_in:
            # Shared inputs: a broadcast view, no copy.
            return x.to(self.dtype).unsqueeze(0).expand(self.n_networks, -1, -1)
        if x.dim() == 3 and x.shape[0] == self.n_networks and x.shape[2] == self.d_in:
            return x.to(self.dtype)
        raise ValueError(f"inputs must have shape (P, {self.d_in}) (shared by all networks) or "
                         f"({self.n_networks}, P, {self.d_in}); got {tuple(x.shape)}")

    def layer(self, l: int, h: torch.Tensor) -> torch.Tensor:
        """``W_l h + b_l`` for a batch ``h`` of shape (S, P, fan_in): one baddbmm."""
        # h @ W^T reads W transposed in place (BLAS "T" flag): no copy.
        return torch.baddbmm(self.biases[l].unsqueeze(1), h, self.weights[l].transpose(1, 2))

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Pre-activations of every layer.

        Args:
            x: inputs, (P, d_in) shared by all networks or (S, P, d_in).

        Returns:
            ``[z_1, ..., z_L, y]``, each of shape (S, P, fan_out) (y: (S, P, d_out)).
        """
        h = self._check_input(x)
        f = _FUNCS[self.activation]
        out = []
        with torch.no_grad():
            for l in range(self.depth + 1):
                z = self.layer(l, h)
                out.append(z)
                if l < self.depth:
                    h = f(z)
        return out

    __call__ = forward

    def __repr__(self) -> str:
        return (f"Ensemble(name={self.name!r}, S={self.n_networks}, d_in={self.d_in}, "
                f"width={self.width}, depth={self.depth}, d_out={self.d_out}, "
                f"activation={self.activation!r}, dtype={self.dtype})")


