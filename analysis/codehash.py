"""The code a result depends on: a hash of a module's source and of every package module it imports.

A cached result must be keyed on the code that produced it, or a bug fix would leave the old
numbers in the cache and the ledger would go on printing them. :func:`code_sha256` hashes the
source of a module of the package together with the transitive closure of the package modules it
imports (:func:`closure`), read statically from the syntax trees: every ``import`` and
``from ... import`` anywhere in a module, inside functions too, of a module of :data:`PACKAGES`
(and the ``__init__`` of each package on the way). Editing a module changes the hash of every
module that imports it, directly or not, and of no other: the cells of an experiment whose code
did not change stay cached.

Only the package's own sources are hashed; the versions of torch, numpy and scipy enter the
cache key separately (:func:`library_versions`).
"""

from __future__ import annotations

import ast
import functools
import hashlib
import importlib.metadata
import pathlib

#: The package whose sources are followed, and its subpackages.
PACKAGE = "initaudit"
PACKAGES = ("theory", "models", "analysis", "figures")
#: Libraries whose versions enter every cache key (their numerics are what the results are).
LIBRARIES = ("torch", "numpy", "scipy")

# The folder holding the subpackages: the checkout root (theory/, models/, ... beside
# initaudit/) or, installed, site-packages/initaudit.
_ROOT = pathlib.Path(__file__).resolve().parents[1]
_FACADE = next((p for p in (_ROOT / PACKAGE / "__init__.py", _ROOT / "__init__.py") if p.is_file()),
               None)


def facade_file() -> pathlib.Path | None:
    """The facade ``initaudit/__init__.py`` (None if this copy has none)."""
    return _FACADE


def _file(module: str) -> pathlib.Path | None:
    """Source file of a package module (``initaudit.a.b`` -> ``a/b.py`` or ``a/b/__init__.py``)."""
    if module == PACKAGE:
        return _FACADE
    parts = module.split(".")
    if len(parts) < 2 or parts[0] != PACKAGE or parts[1] not in PACKAGES:
        return None
    base = _ROOT.joinpath(*parts[1:])
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _parents(module: str) -> list[str]:
    parts = module.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


@functools.lru_cache(maxsize=None)
def direct_imports(module: str) -> frozenset[str]:
    """The package modules that ``module`` imports anywhere in its source (not transitively).

    Relative imports are resolved against the module's package; ``from a import b`` counts ``a.b``
    when that is a module, else ``a``.
    """
    path = _file(module)
    if path is None:
        return frozenset()
    tree = ast.parse(path.read_bytes(), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - (node.level - 1)] if node.level > 1 else base
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module or ""
            names = [origin] + [f"{origin}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            if _file(name) is not None:
                found.add(name)
    return frozenset(found)


@functools.lru_cache(maxsize=None)
def closure(module: str) -> tuple[str, ...]:
    """``module`` and every package module it imports, directly or not, with their packages'
    ``__init__`` modules; sorted."""
    seen: set[str] = set()
    todo = [module]
    while todo:
        name = todo.pop()
        if name in seen or _file(name) is None:
            continue
        seen.add(name)
        todo.extend(_parents(name))
        todo.extend(direct_imports(name))
    return tuple(sorted(seen))


@functools.lru_cache(maxsize=None)
def code_sha256(module: str) -> str:
    """sha256 over the sources of :func:`closure` (module name and bytes, in sorted order).

    Args:
        module: a dotted module name of the package, e.g. ``initaudit.analysis.experiments.poisson``.
            A module outside :data:`PACKAGES` (a test's config class) hashes to the empty
            closure's value, so only the package's own code is followed.
    """
    digest = hashlib.sha256()
    for name in closure(module):
        digest.update(name.encode("utf-8") + b"\0" + _file(name).read_bytes() + b"\0")
    return digest.hexdigest()


@functools.lru_cache(maxsize=None)
def library_versions() -> dict[str, str | None]:
    """Installed versions of :data:`LIBRARIES` (None for an absent one)."""
    out: dict[str, str | None] = {}
    for dist in LIBRARIES:
        try:
            out[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            out[dist] = None
    return out


__all__ = ["LIBRARIES", "PACKAGE", "PACKAGES", "closure", "code_sha256", "direct_imports", "facade_file",
           "library_versions"]
