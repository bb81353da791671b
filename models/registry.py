"""The one registry of weight initializers.

Every initializer the package knows is registered here with the metadata that sweeps and the
command line need: where it comes from, the formula it implements, which layer kinds it applies
to, and whether it is random or deterministic. Sweeps say "every initializer that applies to
linear layers" through :func:`available`, never through a hand-written list.

Registering::

    @register(
        "xavier_uniform",
        paper="Glorot and Bengio (2010)",
        arxiv=None,
        formula="W ~ U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out))",
        applies_to=("linear", "conv", "embedding"),
        random=True,
    )
    def xavier_uniform_(tensor, gain=1.0, generator=None): ...
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Callable, Iterable

#: Layer kinds an initializer may declare it applies to.
LAYER_KINDS = ("linear", "conv", "embedding", "attention", "first", "hidden", "readout")


@dataclass(frozen=True)
class InitializerInfo:
    """Metadata of one registered initializer.

    Attributes:
        name: registry key, also the command-line name.
        fn: the initializer, ``fn(tensor, ..., generator=None) -> tensor`` (in place).
        paper: authors and year of the source (or "PyTorch" for torch baselines).
        arxiv: arXiv identifier, or None where the source has none.
        formula: the distribution or construction, as plain-text math.
        applies_to: layer kinds from :data:`LAYER_KINDS`.
        random: False for deterministic constructions (no generator is used).
        notes: how this entry maps onto the package's conventions, known disagreements, etc.
    """

    name: str
    fn: Callable
    paper: str
    arxiv: str | None
    formula: str
    applies_to: tuple[str, ...]
    random: bool
    notes: str = ""
    defaults: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        """JSON-friendly record (the function is replaced by its qualified name)."""
        d = asdict(self)
        d["fn"] = f"{self.fn.__module__}.{self.fn.__qualname__}"
        d["applies_to"] = list(self.applies_to)
        return d


_REGISTRY: dict[str, InitializerInfo] = {}


def register(
    name: str,
    *,
    paper: str,
    arxiv: str | None,
    formula: str,
    applies_to: Iterable[str],
    random: bool,
    notes: str = "",
    defaults: dict | None = None,
) -> Callable[[Callable], Callable]:
    """Decorator that adds an initializer to the registry under ``name``."""
    kinds = tuple(applies_to)
    bad = [k for k in kinds if k not in LAYER_KINDS]
    if bad:
        raise ValueError(f"unknown layer kind(s) {bad}; valid kinds are {list(LAYER_KINDS)}")

    def deco(fn: Callable) -> Callable:
        if name in _REGISTRY and _REGISTRY[name].fn is not fn:
            raise ValueError(f"initializer {name!r} is already registered")
        _REGISTRY[name] = InitializerInfo(
            name=name, fn=fn, paper=paper, arxiv=arxiv, formula=formula,
            applies_to=kinds, random=random, notes=notes, defaults=dict(defaults or {}),
        )
        return fn

    return deco


def _ensure_loaded() -> None:
    # The initializer modules register themselves on import; importing them here keeps
    # ``models.registry`` importable on its own without a circular import.
    import importlib

    for mod in ("initaudit.models.init", "initaudit.models.embeddings"):
        importlib.import_module(mod)


def get(name: str) -> InitializerInfo:
    """Look up one initializer; unknown names raise ValueError listing the valid ones."""
    _ensure_loaded()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ValueError(
            f"unknown initializer {name!r}; valid names are {', '.join(sorted(_REGISTRY))}"
        ) from None


def available(kind: str | None = None) -> list[str]:
    """Sorted names of all initializers, or of those that apply to layer ``kind``."""
    _ensure_loaded()
    if kind is not None and kind not in LAYER_KINDS:
        raise ValueError(f"unknown layer kind {kind!r}; valid kinds are {list(LAYER_KINDS)}")
    return sorted(n for n, info in _REGISTRY.items() if kind is None or kind in info.applies_to)


def all_info() -> list[InitializerInfo]:
    """Every registered initializer, sorted by name."""
    _ensure_loaded()
    return [_REGISTRY[n] for n in sorted(_REGISTRY)]
