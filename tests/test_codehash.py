"""Results keyed on the code that made them: the import closure, stale files, --force."""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess
import sys
from dataclasses import dataclass

import pytest

from initaudit.analysis import cache, codehash, experiment

ROOT = pathlib.Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests"


def test_closure_follows_imports_inside_functions_and_packages():
    lm = codehash.closure("initaudit.analysis.experiments.harmonic_lm")
    # imported at module level, inside a function (analysis.ntk in _ntk), and the packages
    for name in ("initaudit.analysis.corpus", "initaudit.models.lm", "initaudit.analysis.ntk",
                 "initaudit.analysis", "initaudit.analysis.experiments", "initaudit.models",
                 "initaudit"):
        assert name in lm, name
    assert "initaudit.figures.pipeline" not in lm  # nothing runs up the flow
    assert codehash.closure("not_a_package_module") == ()
    # the figure runner's own code does not include the experiments
    assert "initaudit.analysis.corpus" not in codehash.closure("initaudit.figures.pipeline")


SCRIPT = r'''
import json, sys
from initaudit.analysis import cache
from initaudit.analysis.experiments.harmonic_lm import LMCell
from initaudit.figures.pipeline import FigureJob

calls = []
def fn(config):
    calls.append(type(config).__name__)
    return {"value": 1.0}

lm = LMCell(strategy="emb_random", seed=0, corpus="hpo", corpus_path="x", corpus_sha256="0",
            split="windows", stride=1, val_fraction=0.1, max_sentences=None)
job = FigureJob("initaudit.figures.fig_x", "smoke", "0")
for config in (lm, job):
    cache.cached(config, fn)
print(json.dumps({"calls": calls, "lm": cache.cache_key(lm), "job": cache.cache_key(job)}))
'''


def _run(copy: pathlib.Path, cache_dir: pathlib.Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(copy), cache.ENV_CACHE_DIR: str(cache_dir)}
    env.pop(cache.ENV_FORCE, None)
    out = subprocess.run([sys.executable, "-c", SCRIPT], cwd=copy, env=env, check=True,
                         stdout=subprocess.PIPE, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_editing_a_function_recomputes_its_dependents_only(tmp_path):
    """In a copy of the package: edit analysis/corpus.py; the LM cell (which imports it) is
    recomputed, the figure job (whose code does not) is read from the cache."""
    copy = tmp_path / "copy"
    for package in (*codehash.PACKAGES, codehash.PACKAGE):
        shutil.copytree(ROOT / package, copy / package,
                        ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(ROOT / "pyproject.toml", copy)
    store = tmp_path / "cache"
    first = _run(copy, store)
    assert first["calls"] == ["LMCell", "FigureJob"]
    again = _run(copy, store)
    assert again["calls"] == [] and again["lm"] == first["lm"]
    corpus = copy / "analysis" / "corpus.py"
    corpus.write_text(corpus.read_text().replace(
        "def load_text(", "def _unused_helper():\n    return None\n\n\ndef load_text(", 1))
    edited = _run(copy, store)
    assert edited["calls"] == ["LMCell"]
    assert edited["lm"] != first["lm"] and edited["job"] == first["job"]
    # the LM cell of the old code is now stale, the others current
    env = {**os.environ, "PYTHONPATH": str(copy), cache.ENV_CACHE_DIR: str(store)}
    out = subprocess.run([sys.executable, "-m", "initaudit.figures.cli", "cache", "--json"], cwd=copy,
                         env=env, check=True, stdout=subprocess.PIPE, text=True).stdout
    report = json.loads(out)
    assert report["totals"] == {"current": 2, "stale": 1, "corrupt": 0, "partial": 0}
    assert any("harmonic_lm" in r for r in report["stale_reasons"])


@dataclass(frozen=True)
class Cfg:
    n: int = 0


def test_scan_and_prune(cache_tmp):
    """current, stale (another code hash, or the old format), corrupt and partial files."""
    for n in range(3):
        cache.cached(Cfg(n), lambda c: {"n": c.n})
    paths = [cache.cache_path(Cfg(n)) for n in range(3)]
    # n=1: made by other code (its header says so); n=2: the format before code keys
    raw = paths[1].read_bytes()
    head, _, rest = raw[len(cache.MAGIC):].partition(b"\n")
    header = json.loads(head)
    header["code_sha256"] = "0" * 64
    paths[1].write_bytes(cache.MAGIC + json.dumps(header).encode() + b"\n" + rest)
    del header["code_sha256"], header["module"]
    paths[2].write_bytes(cache.MAGIC + json.dumps(header).encode() + b"\n" + rest)
    (paths[0].parent / "broken.result").write_bytes(b"not a cache file")
    (paths[0].parent / ".x.result.abc.tmp").write_bytes(b"")
    (paths[0].parent / "old.pkl").write_bytes(b"initaudit-cache 1\n{}\n")
    rows = {pathlib.Path(r["path"]).name: r for r in cache.scan(cache_tmp)}
    assert rows[paths[0].name]["status"] == "current"
    assert rows[paths[1].name]["status"] == "stale" and "code" in rows[paths[1].name]["reason"]
    assert rows[paths[2].name]["reason"] == "made before results were keyed on their code"
    assert rows["broken.result"]["status"] == "corrupt"
    assert rows[".x.result.abc.tmp"]["status"] == "partial"
    assert rows["old.pkl"]["reason"] == "old pickle format, never read"
    removed = cache.prune(cache_tmp)
    assert len(removed) == 5
    assert [r["status"] for r in cache.scan(cache_tmp)] == ["current"]
    # the stale results are recomputed when asked for, the current one is read
    assert cache.cached(Cfg(0), lambda c: pytest.fail("recomputed")) == {"n": 0}


@pytest.fixture
def toy(monkeypatch, tmp_path):
    monkeypatch.syspath_prepend(str(TESTS))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(TESTS), str(ROOT)]))
    monkeypatch.setenv(experiment.ENV_EXTRA_MODULES, "toy_experiment")
    monkeypatch.setenv(cache.ENV_CACHE_DIR, str(tmp_path / "cache"))
    monkeypatch.delenv(experiment.ENV_EXECUTOR, raising=False)
    monkeypatch.setattr(cache, "_FORCED", set())
    import toy_experiment

    return toy_experiment


@pytest.mark.parametrize("executor", ["local", "process"])
def test_force_reaches_every_cell_once_per_run(toy, monkeypatch, executor):
    """$INITAUDIT_FORCE (--force): the cells inside are recomputed, each once in a process."""
    first = experiment.run_experiment("toy", "smoke", progress=False)
    assert first.computed == 6
    monkeypatch.setenv(cache.ENV_FORCE, "1")
    forced = experiment.run_experiment("toy", "smoke", executor=executor, workers=2,
                                       progress=False)
    assert forced.computed == 6
    # a second figure reading the same cells in the same run reads them
    again = experiment.run_experiment("toy", "smoke", executor=executor, workers=2,
                                      progress=False)
    assert again.computed == 0
    assert [r["mean"] for r in forced.results] == [r["mean"] for r in first.results]
