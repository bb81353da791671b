"""The one catalogue of initialisers.

Every initialiser the package uses has one entry here, and the entry is the only place that says
what the name means:

* ``fn``, the sampling rule, in the style of :mod:`torch.nn.init` (``scope`` says what it fills:
  one ``tensor``, one ``layer`` with its bias, or a whole ``model``);
* ``layer``, the whole-``nn.Linear`` rule for a role (``first``, ``hidden``, ``readout``) as the
  source applies it (:func:`models.init.init_linear_` dispatches to it), if it has one;
* ``spec``, the :class:`theory.spec.NetworkSpec` of a fully connected network drawn with it,
  with its weight and bias laws (:func:`spec`), if the mean-field theory describes it;
* ``applies_to``, the layer kinds and roles (:data:`LAYER_KINDS`);
* ``activation`` and ``omega0``, the activation it is meant for and its default frequency, and
  ``frequency``, the keyword each role takes for omega_0;
* ``source``, the paper (authors, year, arXiv id) and the code it follows (URL and commit);
* ``style``, its label, colour, marker and LaTeX macro stem in every figure;
* ``control``: True for the package's own control points (not a source's initialiser), which
  the sweeps over "every initialiser" leave out.

The entries are added by the modules that define the rules (:mod:`models.init`,
:mod:`models.embeddings`, :mod:`models.lsuv`, :mod:`models.harmonic`) at the end of each module;
they are imported on the first lookup. Sweeps ask the catalogue (:func:`available`,
:func:`spec`), never a list of their own.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Callable, Mapping

from initaudit.theory.checks import choice

__all__ = [
    "LAYER_KINDS", "MATRIX_LAWS", "SCOPES", "Entry", "Source", "Style", "add", "available", "default_activation",
    "entries", "frequency_inits", "get", "spec", "tensor_rule",
]

#: Layer kinds and roles an initialiser may declare it applies to.
LAYER_KINDS = ("linear", "conv", "embedding", "attention", "first", "hidden", "readout")
#: What an entry's ``fn`` fills: one tensor, one nn.Linear (weight and bias), a whole model.
SCOPES = ("tensor", "layer", "model")
#: The law of a whole weight matrix: i.i.d. entries, Haar-orthogonal (scaled), random with
#: dependent or unequally distributed entries ("structured"), or a deterministic pattern. The
#: end-to-end Jacobian's theory (:mod:`theory.jacobian`) reads it.
MATRIX_LAWS = ("iid", "orthogonal", "structured", "deterministic")
#: Modules whose import adds entries.
_MODULES = ("initaudit.models.init", "initaudit.models.embeddings", "initaudit.models.lsuv",
            "initaudit.models.harmonic")


@dataclass(frozen=True)
class Source:
    """Where an initialiser comes from.

    Attributes:
        paper: authors and year ("PyTorch" for torch's own defaults).
        arxiv: arXiv identifier, or None.
        url: the public code the rule follows, or None.
        commit: the commit of ``url`` that was read (or the library version), or None.
    """

    paper: str
    arxiv: str | None = None
    url: str | None = None
    commit: str | None = None

    def cite(self) -> str:
        """One line: ``paper, arXiv id; url @ commit``."""
        out = self.paper + (f", arXiv {self.arxiv}" if self.arxiv else "")
        if self.url:
            out += f"; {self.url}" + (f" @ {self.commit}" if self.commit else "")
        return out


@dataclass(frozen=True)
class Style:
    """How an initialiser looks in every figure.

    Attributes:
        label: legend label (LaTeX math allowed).
        color: matplotlib colour.
        marker: matplotlib marker.
        linestyle: matplotlib line style.
        macro: letters-only stem of its LaTeX macros (``\\McGradRatioEoC``).
    """

    label: str
    color: str = "#999999"
    marker: str = "o"
    linestyle: str = "-"
    macro: str = ""


@dataclass(frozen=True)
class Entry:
    """One initialiser (see the module docstring for the fields)."""

    name: str
    fn: Callable
    source: Source
    formula: str
    applies_to: tuple[str, ...]
    random: bool
    style: Style
    scope: str = "tensor"
    notes: str = ""
    defaults: dict = field(default_factory=dict)
    activation: str | None = None
    omega0: float | None = None
    frequency: Mapping[str, str | None] = field(default_factory=dict)
    layer: Callable | None = None
    spec: Callable | None = None
    control: bool = False
    matrix: str = "iid"

    @property
    def paper(self) -> str:
        """The source's authors and year."""
        return self.source.paper

    @property
    def arxiv(self) -> str | None:
        """The source's arXiv identifier."""
        return self.source.arxiv

    def as_dict(self) -> dict:
        """JSON-friendly record (functions replaced by their qualified names)."""

        def qual(f):
            return None if f is None else f"{f.__module__}.{f.__qualname__}"

        return {
            "name": self.name, "fn": qual(self.fn), "scope": self.scope,
            "paper": self.source.paper, "arxiv": self.source.arxiv, "url": self.source.url,
            "commit": self.source.commit, "formula": self.formula,
            "applies_to": list(self.applies_to), "random": self.random, "notes": self.notes,
            "defaults": dict(self.defaults), "activation": self.activation,
            "omega0": self.omega0, "frequency": dict(self.frequency),
            "layer_rule": qual(self.layer), "has_spec": self.spec is not None,
            "control": self.control, "matrix": self.matrix,
            "style": {"label": self.style.label, "color": self.style.color,
                      "marker": self.style.marker, "linestyle": self.style.linestyle,
                      "macro": self.style.macro},
        }


_ENTRIES: dict[str, Entry] = {}


def add(name: str, fn: Callable, *, paper: str, arxiv: str | None, formula: str,
        applies_to, random: bool, style: Style, scope: str = "tensor", notes: str = "",
        defaults: dict | None = None, url: str | None = None, commit: str | None = None,
        activation: str | None = None, omega0: float | None = None,
        frequency: Mapping[str, str | None] | None = None, layer: Callable | None = None,
        spec: Callable | None = None, control: bool = False, matrix: str | None = None) -> Entry:
    """Add the entry ``name`` (called once per initialiser by the module that defines it).

    Raises:
        ValueError: an unknown layer kind or scope, or ``name`` taken by another rule.
    """
    kinds = tuple(applies_to)
    bad = [k for k in kinds if k not in LAYER_KINDS]
    if bad:
        raise ValueError(f"unknown layer kind(s) {', '.join(bad)}; valid kinds are "
                         f"{', '.join(LAYER_KINDS)}")
    choice(scope, SCOPES, "scope")
    if matrix is None:
        matrix = "iid" if random else "deterministic"
    choice(matrix, MATRIX_LAWS, "matrix law")
    if name in _ENTRIES and _ENTRIES[name].fn is not fn:
        raise ValueError(f"initializer {name!r} is already in the catalogue")
    entry = Entry(
        name=name, fn=fn, source=Source(paper, arxiv, url, commit), formula=formula,
        applies_to=kinds, random=bool(random), style=style, scope=scope, notes=notes,
        defaults=dict(defaults or {}), activation=activation,
        omega0=None if omega0 is None else float(omega0), frequency=dict(frequency or {}),
        layer=layer, spec=spec, control=bool(control), matrix=matrix,
    )
    _ENTRIES[name] = entry
    return entry


def _load() -> None:
    for mod in _MODULES:
        importlib.import_module(mod)


def get(name: str) -> Entry:
    """The entry ``name``; unknown names raise ValueError listing the valid ones."""
    _load()
    try:
        return _ENTRIES[name]
    except KeyError:
        raise ValueError(
            f"unknown initializer {name!r}; valid names are {', '.join(sorted(_ENTRIES))}"
        ) from None


def available(kind: str | None = None, *, layer: bool = False, spec: bool = False,
              controls: bool = True) -> list[str]:
    """Sorted names of the entries that apply to ``kind`` (every entry when None).

    Args:
        kind: a layer kind or role of :data:`LAYER_KINDS`, or None.
        layer: only entries with a whole-``nn.Linear`` rule (fully connected networks).
        spec: only entries with a mean-field spec.
        controls: include the package's own control points (``control=True``: sine networks
            off the unit-gain curve), which no source proposes as an initialiser.
    """
    _load()
    if kind is not None:
        choice(kind, LAYER_KINDS, "layer kind")
    return sorted(n for n, e in _ENTRIES.items()
                  if (kind is None or kind in e.applies_to)
                  and (not layer or e.layer is not None) and (not spec or e.spec is not None)
                  and (controls or not e.control))


def entries() -> list[Entry]:
    """Every entry, sorted by name."""
    _load()
    return [_ENTRIES[n] for n in sorted(_ENTRIES)]


def tensor_rule(name: str) -> Callable:
    """The sampling rule of ``name`` as ``fn(tensor, generator=None, **options)``.

    Raises:
        ValueError: ``name`` is unknown, or its rule fills a layer or a model, not a tensor
            (the message lists the tensor rules).
    """
    entry = get(name)
    if entry.scope != "tensor":
        valid = [n for n in available() if _ENTRIES[n].scope == "tensor"]
        raise ValueError(f"{name!r} fills a whole {entry.scope}, not one tensor; valid names are "
                         f"{', '.join(valid)}")
    return entry.fn


def frequency_inits() -> list[str]:
    """Names of the fully connected initialisers that take a frequency omega_0."""
    return [n for n in available(layer=True) if _ENTRIES[n].omega0 is not None]


def default_activation(name: str) -> str:
    """The activation the fully connected initialiser ``name`` is meant for."""
    entry = get(name)
    if entry.layer is None or entry.activation is None:
        raise ValueError(f"{name!r} has no rule for fully connected layers; valid names are "
                         f"{', '.join(available(layer=True))}")
    return entry.activation


def spec(name: str, d_in: int, width: int, depth: int, activation: str | None = None,
         omega0: float | None = None, d_out: int = 1):
    """The :class:`theory.spec.NetworkSpec` of a fully connected network drawn with ``name``.

    Each entry's ``spec`` maps its rule onto layer variances and laws (the docstring of the
    function it names says how). For deterministic rules (``random=False``) the spec is only
    variance-matched: the mean-field theory describes random weights with these variances.

    Args:
        name: a name of :func:`available` with ``spec=True``.
        d_in, width, depth, d_out: the architecture (L = depth activated layers).
        activation: default :func:`default_activation`.
        omega0: the frequency (only for :func:`frequency_inits`; default the source's).

    Returns:
        The spec, with ``name`` set to the catalogue name.
    """
    from initaudit.theory.activations import ACTIVATIONS
    from initaudit.theory.checks import positive_float, positive_int

    for what, val in (("d_in", d_in), ("width", width), ("depth", depth), ("d_out", d_out)):
        positive_int(val, what)
    entry = get(name)
    if entry.spec is None:
        raise ValueError(f"{name!r} has no mean-field spec; valid names are "
                         f"{', '.join(available(spec=True))}")
    activation = choice(activation or entry.activation, ACTIVATIONS, "activation")
    if omega0 is not None:
        if entry.omega0 is None:
            raise ValueError(f"omega0 applies only to {', '.join(frequency_inits())}; {name!r} "
                             "has no frequency (leave omega0 unset)")
        omega0 = positive_float(omega0, "omega0")
    sp = entry.spec(int(d_in), int(width), int(depth), activation, omega0, int(d_out))
    return sp.with_(name=name, activation=activation, d_out=int(d_out))
