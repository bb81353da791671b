"""No lost work and the same bytes: runs killed at random points, repeated runs, worker counts.

Each test runs the command line in fresh processes against caches of its own and compares the
results' payloads (the sha256 in each file's header: the header itself holds the creation time and
the provenance, the payload only the result). Payloads equal means results equal bit for bit.
"""

from __future__ import annotations

import os
import pathlib
import random
import signal
import subprocess
import sys
import time

import pytest

from initaudit.analysis import cache

ARGS = ["experiment", "mc-variance", "--preset", "smoke"]


def _run(cache_dir: pathlib.Path, *extra: str, kill_after: float | None = None) -> int:
    env = {**os.environ, "INITAUDIT_CACHE": str(cache_dir)}
    env.pop("INITAUDIT_NO_CACHE", None)
    cmd = [sys.executable, "-m", "initaudit.figures.cli", *ARGS, *extra]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    if kill_after is None:
        _, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err.decode()[-2000:]
        return proc.returncode
    time.sleep(kill_after)
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)  # the whole group: workers too
    proc.communicate(timeout=60)
    return proc.returncode


def _payloads(cache_dir: pathlib.Path) -> dict[str, str]:
    return {f"{p.parent.name}/{p.name}": cache.read_header(p)["payload_sha256"]
            for p in cache_dir.rglob("*" + cache.SUFFIX)}


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict[str, str]:
    """The payloads of one uninterrupted run from an empty cache."""
    root = tmp_path_factory.mktemp("reference")
    _run(root)
    out = _payloads(root)
    assert out
    return out


def test_a_second_fresh_run_gives_the_same_bytes(reference, tmp_path):
    _run(tmp_path)
    assert _payloads(tmp_path) == reference


def test_a_training_experiment_gives_the_same_bytes_twice(tmp_path):
    """Training cells hold no wall time (it is in the header, ``compute_seconds``): two fresh
    runs of the Poisson experiment give the same payloads."""
    env = {**os.environ}
    env.pop("INITAUDIT_NO_CACHE", None)
    payloads = []
    for run in ("a", "b"):
        env["INITAUDIT_CACHE"] = str(tmp_path / run)
        subprocess.run([sys.executable, "-m", "initaudit.figures.cli", "experiment", "poisson",
                        "--preset", "smoke"], env=env, check=True, capture_output=True)
        payloads.append(_payloads(tmp_path / run))
        headers = [cache.read_header(p) for p in (tmp_path / run).rglob("*" + cache.SUFFIX)]
        assert all(h["compute_seconds"] >= 0 for h in headers)
    assert payloads[0] and payloads[0] == payloads[1]


def test_one_or_two_workers_give_the_same_bytes(reference, tmp_path):
    _run(tmp_path, "--executor", "process", "--workers", "2")
    assert _payloads(tmp_path) == reference


@pytest.mark.parametrize("seed", [0, pytest.param(1, marks=pytest.mark.slow),
                                  pytest.param(2, marks=pytest.mark.slow)])
def test_killed_runs_resume_to_the_same_bytes(reference, tmp_path, seed):
    """kill -9 at seeded random moments (three times, each during the computation), then one
    run to the end: nothing corrupt is ever read, and the results are those of the
    uninterrupted run."""
    rng = random.Random(seed)
    for _ in range(3):
        _run(tmp_path, kill_after=rng.uniform(0.5, 5.0))
        statuses = {r["status"] for r in cache.scan(tmp_path)}
        assert statuses <= {"current", "partial"}, statuses
    _run(tmp_path)
    assert _payloads(tmp_path) == reference
