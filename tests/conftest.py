"""Shared test set-up.

* matplotlib draws with Agg (no display needed).
* Tests never write into the repository: ``INITAUDIT_CACHE`` points at a temporary result cache
  and ``INITAUDIT_PAPER_DIR`` at a temporary copy of ``paper/`` (one of each per test process,
  so pytest-xdist workers do not share them).
* Hypothesis is derandomised (the ``default`` profile): its examples depend only on the test, so
  a test that fails once fails every time. ``HYPOTHESIS_PROFILE=explore`` draws fresh examples on
  each run (to search further; keep a failure it finds as an ``@example``).
* A test that uses pytest-benchmark's ``benchmark`` fixture gets the ``benchmark`` marker, so
  ``-m "not benchmark"`` leaves it out even where the author forgot to mark it.
"""

from __future__ import annotations

import os
import pathlib
import shutil
import tempfile

import matplotlib

matplotlib.use("Agg")
os.environ.setdefault("MPLBACKEND", "Agg")  # for subprocesses started by tests

import pytest  # noqa: E402
from hypothesis import settings  # noqa: E402

settings.register_profile("default", derandomize=True, deadline=None)
settings.register_profile("explore", derandomize=False, deadline=None, max_examples=500)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

REPO_ROOT = pathlib.Path(__file__).resolve().parents[1]

_TEMP_DIRS: list[str] = []


def pytest_configure(config: pytest.Config) -> None:
    # Set here, before any test module is imported, so nothing can read the defaults first.
    cache = tempfile.mkdtemp(prefix="initaudit-test-cache-")
    paper = tempfile.mkdtemp(prefix="initaudit-test-paper-")
    for source in (REPO_ROOT / "paper").glob("*"):
        if source.is_file() and source.suffix in {".tex", ".bib", ".bst", ".sty", ".cls"}:
            shutil.copy2(source, paper)
    if (REPO_ROOT / "paper" / "sections").is_dir():  # hand-written sections \input by main.tex
        shutil.copytree(REPO_ROOT / "paper" / "sections", pathlib.Path(paper) / "sections")
    _TEMP_DIRS.extend([cache, paper])
    os.environ["INITAUDIT_CACHE"] = cache
    os.environ["INITAUDIT_PAPER_DIR"] = paper
    # A user's INITAUDIT_NO_CACHE would change what the cache tests see.
    os.environ.pop("INITAUDIT_NO_CACHE", None)


def pytest_unconfigure(config: pytest.Config) -> None:
    for path in _TEMP_DIRS:
        shutil.rmtree(path, ignore_errors=True)


@pytest.hookimpl(tryfirst=True)  # before -m deselection reads the markers
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "benchmark" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.benchmark)


@pytest.fixture(scope="session")
def repo_root() -> pathlib.Path:
    """The repository root (the directory with pyproject.toml)."""
    return REPO_ROOT


@pytest.fixture
def cache_tmp(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> pathlib.Path:
    """A fresh, empty result cache for one test (and cleared cache statistics)."""
    from initaudit.analysis import cache

    directory = tmp_path / "cache"
    monkeypatch.setenv("INITAUDIT_CACHE", str(directory))
    monkeypatch.delenv("INITAUDIT_NO_CACHE", raising=False)
    cache.STATS.reset()
    return directory
