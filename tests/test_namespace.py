"""The package installs as one namespace, ``initaudit``, with a facade that imports.

The wheel is built from a copy of the checkout (so the checkout gets no build/ or egg-info), with
the test environment's setuptools and no network (``--no-build-isolation``), and installed with
``--target`` into an empty folder: whatever lands there is what a user's site-packages gets.
"""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import sys
import zipfile

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
FOLDERS = ("initaudit", "theory", "models", "analysis", "figures")


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> pathlib.Path:
    pytest.importorskip("setuptools")
    work = tmp_path_factory.mktemp("wheel")
    src = work / "src"
    for folder in FOLDERS:
        shutil.copytree(ROOT / folder, src / folder, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    dist = work / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "--quiet", "-w", str(dist), str(src)], check=True)
    (wheel,) = dist.glob("initaudit-*.whl")
    target = work / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--quiet",
                    "--target", str(target), str(wheel)], check=True)
    with zipfile.ZipFile(wheel) as archive:
        tops = {name.split("/")[0] for name in archive.namelist()}
    assert all(t == "initaudit" or t.startswith("initaudit-") for t in tops), tops
    return target


def test_only_initaudit_lands_in_site_packages(installed):
    entries = {p.name for p in installed.iterdir()}
    # pip --target puts console scripts in bin/
    extra = {e for e in entries - {"bin"} if e != "initaudit" and not e.startswith("initaudit-")}
    assert not extra, f"the wheel installs more than the initaudit namespace: {sorted(extra)}"
    package = installed / "initaudit"
    for sub in ("theory", "models", "analysis", "figures", "analysis/experiments"):
        assert (package / sub / "__init__.py").is_file(), sub
    assert not (package / "tests").exists() and not (installed / "tests").exists()


def test_installed_facade_imports_and_computes(installed, tmp_path):
    """From an empty folder, with the installed copy first on the path: the facade's names
    resolve to the installed files, theory imports no torch, and a tiny Monte Carlo runs."""
    code = r"""
import sys, pathlib
import initaudit.theory.spec
assert "torch" not in sys.modules, "initaudit.theory imported torch"
import initaudit as ia
import numpy as np, torch
here = pathlib.Path(ia.__file__).resolve().parent
assert here == pathlib.Path(sys.argv[1]).resolve() / "initaudit", here
missing = [n for n in ia.__all__ if not hasattr(ia, n)]
assert not missing, missing
assert pathlib.Path(ia.Ensemble.__module__ and sys.modules[ia.Ensemble.__module__].__file__
                    ).resolve().is_relative_to(here)
spec = ia.network_spec("edge_of_chaos", d_in=1, width=32, depth=3)
ens = ia.Ensemble.from_spec(spec, n_networks=4, generator=torch.Generator().manual_seed(0))
x = np.linspace(-1, 1, 5)[:, None]
m = ia.measure(ens, x)
print("ok", type(m).__name__, len(ia.available_initializers()))
"""
    env = {**os.environ, "PYTHONPATH": str(installed)}
    out = subprocess.run([sys.executable, "-c", code, str(installed)], cwd=tmp_path, env=env,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("ok Measurement")


def test_a_users_models_module_does_not_shadow_the_package(tmp_path):
    """A notebook folder with its own models.py and analysis.py still gets the package."""
    (tmp_path / "models.py").write_text("raise RuntimeError('the user module was imported')\n")
    (tmp_path / "analysis.py").write_text("raise RuntimeError('the user module was imported')\n")
    code = "import initaudit.models.init, initaudit.analysis.stats; print('ok')"
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_readme_python_example_runs(tmp_path):
    """The README's Python block, run as written (from a folder outside the checkout)."""
    text = (ROOT / "README.md").read_text()
    start = text.index("```python\n") + len("```python\n")
    block = text[start:text.index("```", start)]
    out = subprocess.run([sys.executable, "-c", block], cwd=tmp_path, capture_output=True,
                         text=True)
    assert out.returncode == 0, out.stderr
    assert "layer" in out.stdout and "quantity" in out.stdout, out.stdout


def test_theory_imports_no_torch_and_nothing_above_it():
    """Every theory module imports only theory (static closure) and, imported, no torch."""
    from initaudit.analysis import codehash

    names = ["initaudit.theory." + p.stem for p in (ROOT / "theory").glob("*.py")
             if p.stem != "__init__"]
    for name in names:
        above = [m for m in codehash.closure(name)
                 if m != "initaudit" and not m.startswith("initaudit.theory")]
        assert not above, f"{name} imports {above}"
    code = "import sys\n" + "".join(f"import {n}\n" for n in names) + \
        "print(sorted(m for m in ('torch', 'initaudit.models', 'initaudit.analysis') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
