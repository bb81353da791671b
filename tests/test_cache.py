"""The result cache: keys, atomic writes, corruption handling, the off switch."""

from __future__ import annotations

import enum
import math
import os
import pathlib
import re
import subprocess
import sys
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from initaudit.analysis import cache


class Convention(enum.Enum):
    UNIFORM = "uniform"
    GAUSSIAN = "gaussian"


@dataclass(frozen=True)
class Inner:
    omega0: float = 30.0


@dataclass(frozen=True)
class Sweep:
    widths: tuple[int, ...] = (64, 256)
    sigma_w: float = 1.0
    convention: Convention = Convention.UNIFORM
    inner: Inner = field(default_factory=Inner)
    label: str = "a"


@dataclass(frozen=True)
class OtherSweep:  # same fields as Sweep, different class
    widths: tuple[int, ...] = (64, 256)
    sigma_w: float = 1.0
    convention: Convention = Convention.UNIFORM
    inner: Inner = field(default_factory=Inner)
    label: str = "a"


@dataclass(frozen=True)
class Anything:
    value: object = None


@dataclass
class Mutable:
    x: int = 1


def table(config: Sweep) -> pd.DataFrame:
    return pd.DataFrame({"width": list(config.widths), "q": [config.sigma_w] * len(config.widths)})


class Counter:
    """fn(config) that counts its calls."""

    def __init__(self, result=None):
        self.calls = 0
        self.result = result

    def __call__(self, config):
        self.calls += 1
        return table(config) if self.result is None else self.result


def _files(directory: pathlib.Path) -> list[pathlib.Path]:
    return sorted(p for p in directory.rglob("*") if p.is_file()) if directory.exists() else []


# --------------------------------------------------------------------------------------------
# Keys


def test_same_config_same_key():
    assert cache.cache_key(Sweep()) == cache.cache_key(Sweep())
    assert cache.cache_key(Sweep(widths=(1, 2))) == cache.cache_key(Sweep(widths=(1, 2)))


@pytest.mark.parametrize(
    "other",
    [
        Sweep(widths=(64, 512)),
        Sweep(sigma_w=1.0000000001),
        Sweep(convention=Convention.GAUSSIAN),
        Sweep(inner=Inner(omega0=1.0)),
        Sweep(label="b"),
    ],
)
def test_different_field_different_key(other):
    assert cache.cache_key(other) != cache.cache_key(Sweep())


def test_different_class_different_key():
    assert cache.cache_key(OtherSweep()) != cache.cache_key(Sweep())


def test_different_version_different_key(monkeypatch):
    before = cache.cache_key(Sweep())
    monkeypatch.setattr(cache, "package_version", lambda: "99.0")
    assert cache.cache_key(Sweep()) != before


def test_numpy_scalars_hash_like_python_numbers():
    assert cache.cache_key(Sweep(sigma_w=np.float64(0.5))) == cache.cache_key(Sweep(sigma_w=0.5))
    assert cache.cache_key(Sweep(widths=(np.int64(3),))) == cache.cache_key(Sweep(widths=(3,)))


def test_nonfinite_floats_hash_and_differ():
    keys = {cache.cache_key(Anything(v)) for v in (math.nan, math.inf, -math.inf, 0.0)}
    assert len(keys) == 4
    assert cache.cache_key(Anything(math.nan)) == cache.cache_key(Anything(float("nan")))


def test_paths_and_dicts_are_supported():
    a = cache.cache_key(Anything({"b": 1, "a": pathlib.Path("/x/y")}))
    b = cache.cache_key(Anything({"a": pathlib.Path("/x/y"), "b": 1}))  # order does not matter
    assert a == b


@pytest.mark.parametrize(
    "value, fragment",
    [
        ({1, 2}, "set"),
        (object(), "object"),
        (np.zeros(3), "numpy arrays"),
        ({1: "a"}, "dict keys must be str"),
        ((1, [2, {3}]), "Anything.value[1][1]"),  # the message names the field path
    ],
)
def test_unsupported_type_raises_typeerror(value, fragment):
    with pytest.raises(TypeError, match=re.escape(fragment)):
        cache.cache_key(Anything(value))


def test_config_must_be_a_frozen_dataclass_instance():
    with pytest.raises(TypeError, match="frozen"):
        cache.cache_key(Mutable())
    with pytest.raises(TypeError, match="dataclass instance"):
        cache.cache_key(Sweep)
    with pytest.raises(TypeError, match="dataclass instance"):
        cache.cache_key({"a": 1})


@settings(max_examples=50, deadline=None)
@given(
    a=st.floats(allow_nan=False, allow_infinity=False, width=64),
    b=st.floats(allow_nan=False, allow_infinity=False, width=64),
)
def test_float_keys_are_injective_and_stable(a, b):
    # repr round-trips, so distinct floats never share a key (0.0 and -0.0 are distinct too).
    same = a == b and math.copysign(1.0, a) == math.copysign(1.0, b)
    assert (cache.cache_key(Sweep(sigma_w=a)) == cache.cache_key(Sweep(sigma_w=b))) == same


def test_cache_dir_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("INITAUDIT_CACHE", str(tmp_path / "c"))
    assert cache.cache_dir() == tmp_path / "c"
    monkeypatch.delenv("INITAUDIT_CACHE")
    assert cache.cache_dir().name == "results"


# --------------------------------------------------------------------------------------------
# Computing and loading


def test_second_call_is_cached(cache_tmp):
    fn = Counter()
    first = cache.cached(Sweep(), fn)
    second = cache.cached(Sweep(), fn)
    assert fn.calls == 1
    pd.testing.assert_frame_equal(first, second)
    assert cache.STATS.computed == 1 and cache.STATS.hits == 1
    assert "1 computed" in cache.STATS.summary() and "1 cached" in cache.STATS.summary()
    assert cache.cache_path(Sweep()).is_file()


def test_force_recomputes(cache_tmp):
    fn = Counter()
    cache.cached(Sweep(), fn)
    _, event = cache.cached_with_event(Sweep(), fn, force=True)
    assert fn.calls == 2 and event.status == "forced"


def test_explicit_cache_dir_argument(cache_tmp, tmp_path):
    other = tmp_path / "elsewhere"
    cache.cached(Sweep(), Counter(), cache_dir=other)
    assert _files(other) and not _files(cache_tmp)


def test_header_records_key_config_and_versions(cache_tmp):
    cache.cached(Sweep(), Counter())
    header = cache.read_header(cache.cache_path(Sweep()))
    assert header["key"] == cache.cache_key(Sweep())
    assert header["config"]["widths"] == [64, 256]
    assert header["config"]["inner"] == {"omega0": 30.0}
    assert header["provenance"]["initaudit"] == cache.package_version()
    assert header["created"]


def test_saved_bytes_are_deterministic(cache_tmp, tmp_path):
    # Same object -> same payload bytes (the header differs only by its creation time).
    for name in ("a.result", "b.result"):
        cache.save(tmp_path / name, Sweep(), table(Sweep()))
    h = [cache.read_header(tmp_path / n) for n in ("a.result", "b.result")]
    assert h[0]["payload_sha256"] == h[1]["payload_sha256"]


def test_no_cache_switch(cache_tmp, monkeypatch):
    monkeypatch.setenv("INITAUDIT_NO_CACHE", "1")
    fn = Counter()
    cache.cached(Sweep(), fn)
    _, event = cache.cached_with_event(Sweep(), fn)
    assert fn.calls == 2 and event.status == "uncached" and event.path is None
    assert _files(cache_tmp) == []


# --------------------------------------------------------------------------------------------
# Atomicity


def test_failing_function_writes_nothing(cache_tmp):
    def boom(config):
        raise RuntimeError("experiment failed")

    with pytest.raises(RuntimeError, match="experiment failed"):
        cache.cached(Sweep(), boom)
    assert _files(cache_tmp) == []


def test_interrupted_write_leaves_no_partial_file(cache_tmp, monkeypatch):
    """Ctrl-C after the bytes are written but before the rename: no file under either name."""
    def interrupted(fd):
        raise KeyboardInterrupt

    monkeypatch.setattr(cache.os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        cache.cached(Sweep(), Counter())
    assert _files(cache_tmp) == []


def test_interrupted_overwrite_keeps_old_result(cache_tmp, monkeypatch):
    cache.cached(Sweep(), Counter(result="old"))
    path = cache.cache_path(Sweep())
    before = path.read_bytes()

    def crash(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(cache.os, "replace", crash)
    # The computed result is used for the run, with a warning; the file on disk is untouched.
    with pytest.warns(UserWarning, match="could not write the cache file .*disk full"):
        assert cache.cached(Sweep(), Counter(result="new"), force=True) == "new"
    assert path.read_bytes() == before
    assert _files(cache_tmp) == [path]  # the temporary file was removed
    monkeypatch.undo()
    assert cache.load(path) == "old"


def test_killed_process_leaves_no_file_under_final_name(cache_tmp, repo_root):
    """A hard kill mid-write (simulated with os._exit) never produces the final file."""
    script = f"""
import os, sys
sys.path.insert(0, {str(repo_root)!r})
sys.path.insert(0, {str(pathlib.Path(__file__).parent)!r})
from initaudit.analysis import cache
from test_cache import Sweep, table
def die(fd):
    os._exit(9)
cache.os.fsync = die
cache.cached(Sweep(), table)
"""
    env = {**os.environ, "INITAUDIT_CACHE": str(cache_tmp)}
    proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
    assert proc.returncode == 9, proc.stderr
    final = cache.cache_path(Sweep())
    assert not final.exists()
    leftovers = _files(cache_tmp)
    # a temporary file and the key's lock file (released by the kernel when the process died)
    assert all(p.name.startswith(".") and p.name.endswith((".tmp", ".lock")) for p in leftovers)
    assert {r["status"] for r in cache.scan(cache_tmp)} <= {"partial"}
    # The next run computes as if nothing were there.
    fn = Counter()
    cache.cached(Sweep(), fn)
    assert fn.calls == 1 and final.is_file()


# --------------------------------------------------------------------------------------------
# Corruption


def _corrupt_truncate(path: pathlib.Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 10])


def _corrupt_flip(path: pathlib.Path) -> None:
    data = bytearray(path.read_bytes())
    data[-5] ^= 0xFF
    path.write_bytes(bytes(data))


def _corrupt_header(path: pathlib.Path) -> None:
    path.write_bytes(path.read_bytes()[:30])


def _corrupt_garbage(path: pathlib.Path) -> None:
    path.write_bytes(b"\x00" * 100)


@pytest.mark.parametrize("corrupt", [_corrupt_truncate, _corrupt_flip, _corrupt_header,
                                     _corrupt_garbage])
def test_corrupt_file_is_detected_warned_and_recomputed(cache_tmp, corrupt):
    fn = Counter()
    cache.cached(Sweep(), fn)
    path = cache.cache_path(Sweep())
    corrupt(path)
    with pytest.raises(cache.CorruptCacheError):
        cache.load(path)
    with pytest.warns(UserWarning, match=re.escape(str(path))):
        result, event = cache.cached_with_event(Sweep(), fn)
    assert fn.calls == 2 and event.status == "recomputed"
    pd.testing.assert_frame_equal(result, table(Sweep()))
    pd.testing.assert_frame_equal(cache.load(path), table(Sweep()))  # repaired on disk


def test_load_rejects_wrong_key(cache_tmp):
    cache.cached(Sweep(), Counter())
    with pytest.raises(cache.CorruptCacheError, match="expected"):
        cache.load(cache.cache_path(Sweep()), key="0" * 64)


def test_atomic_write_text_replaces_content(tmp_path):
    target = tmp_path / "sub" / "f.txt"
    cache.atomic_write_text(target, "one")
    cache.atomic_write_text(target, "two")
    assert target.read_text() == "two"
    assert [p.name for p in target.parent.iterdir()] == ["f.txt"]
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask  # not mkstemp's owner-only 0600


# --------------------------------------------------------------------------------------------
# Provenance


def test_header_records_what_computed_the_result(cache_tmp):
    """Version, source hash, libraries, processor, BLAS and the threads the computation set."""
    import platform

    import torch

    from initaudit.analysis import provenance
    from initaudit.analysis.experiment import torch_threads

    def fn(config):
        with torch_threads(1):
            return {"x": 1.0}

    cache.cached(Sweep(), fn)
    header = cache.read_header(cache.cache_path(Sweep()))
    p = header["provenance"]
    assert p["threads"] == 1
    assert p["source_sha256"] == provenance.source_sha256() and len(p["source_sha256"]) == 64
    assert p["torch"] == torch.__version__ and p["python"] == platform.python_version()
    assert p["processor"] and p["torch_blas"] and p["numpy_blas"]
    assert p["torch_cpu_capability"] == torch.backends.cpu.get_cpu_capability()


def test_thread_override_enters_the_key_and_the_computation(cache_tmp, monkeypatch):
    """--threads N: every torch_threads block uses N, and the results are cached apart."""
    import torch

    from initaudit.analysis.experiment import torch_threads

    before = cache.cache_key(Sweep())
    monkeypatch.setenv("INITAUDIT_THREADS", "2")
    assert cache.cache_key(Sweep()) != before
    seen = []

    def fn(config):
        with torch_threads(1):
            seen.append(torch.get_num_threads())
        return 0

    cache.cached(Sweep(), fn)
    assert seen == [2]
    assert cache.read_header(cache.cache_path(Sweep()))["provenance"]["threads"] == 2
    monkeypatch.setenv("INITAUDIT_THREADS", "two")
    with pytest.raises(ValueError, match="INITAUDIT_THREADS must be a positive integer"):
        cache.cache_key(Sweep())
    monkeypatch.delenv("INITAUDIT_THREADS")
    assert cache.cache_key(Sweep()) == before


def test_source_hash_follows_the_package_sources(tmp_path, monkeypatch):
    """The hash covers every .py file of the four packages (path and bytes): an edit changes it."""
    import hashlib
    import shutil

    from initaudit.analysis import provenance

    root = pathlib.Path(provenance.__file__).resolve().parents[1]
    digest = hashlib.sha256()
    digest.update(b"initaudit/__init__.py\0" + (root / "initaudit" / "__init__.py").read_bytes()
                  + b"\0")
    for package in provenance.PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes()
                          + b"\0")
    assert provenance.source_sha256() == digest.hexdigest()
    # In a copy, one edited line gives another hash.
    copy = tmp_path / "copy"
    for package in (*provenance.PACKAGES, "initaudit"):
        shutil.copytree(root / package, copy / package,
                        ignore=shutil.ignore_patterns("__pycache__"))
    target = copy / "analysis" / "stats.py"
    target.write_text(target.read_text() + "\n# edited\n")
    out = subprocess.run([sys.executable, "-c", "from initaudit.analysis import provenance; "
                          "print(provenance.source_sha256())"], cwd=copy, check=True,
                         stdout=subprocess.PIPE, text=True,
                         env={**os.environ, "PYTHONPATH": str(copy)}).stdout.strip()
    assert len(out) == 64 and out != provenance.source_sha256()


# --------------------------------------------------------------------------------------------
# Runs that share a cache; a cache directory that cannot be used


def test_two_processes_on_one_cache_compute_a_result_once(cache_tmp, repo_root, tmp_path):
    """Two processes ask for the same result at once: one computes (slowly), the other waits on
    the key's lock and reads the file; both get the same table, and the function ran once."""
    calls = tmp_path / "calls.txt"
    script = f"""
import sys, time
sys.path.insert(0, {str(repo_root)!r})
sys.path.insert(0, {str(pathlib.Path(__file__).parent)!r})
from initaudit.analysis import cache
from test_cache import Sweep, table
def slow(config):
    with open({str(calls)!r}, "a") as fh:
        fh.write("x\\n")
    time.sleep(1.5)
    return table(config)
out = cache.cached(Sweep(), slow)
print(out.to_json())
"""
    env = {**os.environ, "INITAUDIT_CACHE": str(cache_tmp)}
    procs = [subprocess.Popen([sys.executable, "-c", script], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), [o[1] for o in outs]
    assert outs[0][0] == outs[1][0]
    assert calls.read_text().count("x") == 1
    assert [p.name for p in _files(cache_tmp)] == [cache.cache_path(Sweep()).name]


@pytest.mark.parametrize("where", ["regular-file", "under-proc", "under-a-file"])
def test_unusable_cache_directory_fails_before_any_work(tmp_path, monkeypatch, capsys, where):
    """One line, exit 2, before the computation (the experiment's function is never called)."""
    from initaudit.figures import cli

    afile = tmp_path / "a-file"
    afile.write_text("x")
    path = {"regular-file": afile, "under-proc": pathlib.Path("/proc/self/status"),
            "under-a-file": afile / "cache"}[where]
    monkeypatch.setenv("INITAUDIT_CACHE", str(path))
    monkeypatch.delenv("INITAUDIT_NO_CACHE", raising=False)
    monkeypatch.setattr(cache, "save", lambda *a, **k: pytest.fail("computed"))
    for argv in (["experiment", "mc-variance", "--preset", "smoke"],
                 ["claims", "--preset", "smoke"]):
        assert cli.main(argv) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and str(path) in err and "INITAUDIT_CACHE" in err, err


def test_a_write_that_fails_later_keeps_the_result_for_the_run(cache_tmp, monkeypatch):
    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(cache, "atomic_write_bytes", full)
    with pytest.warns(UserWarning, match="No space left on device"):
        out = cache.cached(Sweep(), table)
    pd.testing.assert_frame_equal(out, table(Sweep()))
    assert not cache.cache_path(Sweep()).exists()
