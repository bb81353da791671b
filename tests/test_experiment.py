"""The experiment framework: discovery, caching per cell, executors, resume after kill -9."""

from __future__ import annotations

import json
import os
import pathlib
import signal
import subprocess
import sys
import time

import pytest

from initaudit.analysis import cache, experiment

TESTS = pathlib.Path(__file__).resolve().parent
ROOT = TESTS.parent


@pytest.fixture
def toy(monkeypatch, tmp_path):
    """The toy experiment listed, with a fresh cache directory of its own."""
    monkeypatch.syspath_prepend(str(TESTS))
    # Workers started as fresh interpreters (submitit, ray) find the toy module through this.
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        [str(TESTS), str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]))
    monkeypatch.setenv(experiment.ENV_EXTRA_MODULES, "toy_experiment")
    monkeypatch.setenv(cache.ENV_CACHE_DIR, str(tmp_path / "cache"))
    monkeypatch.delenv(experiment.ENV_EXECUTOR, raising=False)
    monkeypatch.delenv(experiment.ENV_WORKERS, raising=False)
    import toy_experiment

    return toy_experiment


def _means(run):
    return [r["mean"] for r in run.results]


def test_toy_is_listed_and_bad_names_are_refused(toy):
    assert "toy" in experiment.available()
    with pytest.raises(ValueError, match="valid experiments are .*toy"):
        experiment.get("no-such-experiment")
    with pytest.raises(ValueError, match="valid executors"):
        experiment.run_experiment("toy", "smoke", executor="cluster-of-dreams")
    with pytest.raises(ValueError, match="unknown preset"):
        experiment.run_experiment("toy", "huge")
    with pytest.raises(ValueError, match="seeds must be a positive integer"):
        experiment.run_experiment("toy", "smoke", seeds=0)


def test_cells_are_cached_one_by_one(toy):
    first = experiment.run_experiment("toy", "smoke", progress=False)
    assert (first.computed, first.cached) == (6, 0)
    again = experiment.run_experiment("toy", "smoke", progress=False)
    assert (again.computed, again.cached) == (6, 0)[::-1]
    assert _means(again) == _means(first)  # loaded, bit for bit
    # One more seed computes only the two new cells.
    more = experiment.run_experiment("toy", "smoke", seeds=4, progress=False)
    assert (more.computed, more.cached) == (2, 6)
    forced = experiment.run_experiment("toy", "smoke", force=True, progress=False)
    assert forced.computed == 6


def test_summary_and_evidence(toy):
    run = experiment.run_experiment("toy", "smoke", progress=False)
    ev = run.summary["evidence"]["shift"]
    # Same seed in both arms: the paired difference is exactly the shift (float64 sums of the
    # same numbers plus 1, to rounding).
    assert ev["mean"] == pytest.approx(1.0, abs=1e-12)
    assert ev["n"] == 3
    json.dumps(run.to_dict(), allow_nan=True)  # JSON-ready


def test_a_corrupt_cell_is_recomputed(toy):
    run = experiment.run_experiment("toy", "smoke", progress=False)
    path = cache.cache_path(run.configs[0])
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # truncated payload
    with pytest.warns(UserWarning, match="corrupt cache file"):
        again = experiment.run_experiment("toy", "smoke", progress=False)
    assert _means(again) == _means(run)
    assert cache.load(path)["mean"] == run.results[0]["mean"]


def test_process_executor_matches_local(toy):
    local = experiment.run_experiment("toy", "smoke", progress=False)
    proc = experiment.run_experiment("toy", "smoke", executor="process", workers=2,
                                     force=True, progress=False)
    assert _means(proc) == _means(local)
    assert proc.computed == 6


def test_cells_computed_in_workers_are_recorded_in_the_parent(toy):
    """The run's cache summary and the figures' provenance see cells computed elsewhere."""
    cache.STATS.reset()
    run = experiment.run_experiment("toy", "smoke", executor="process", workers=2,
                                    progress=False)
    paths = {e.path for e in cache.STATS.events if e.label == "ToyCell"}
    assert paths == {cache.cache_path(c) for c in run.configs}
    assert cache.STATS.computed == 6
    headers = [cache.read_header(p) for p in paths]
    assert all(h["provenance"]["source_sha256"] for h in headers)


def test_submitit_executor_in_its_local_mode(toy, monkeypatch):
    pytest.importorskip("submitit")
    monkeypatch.setenv(experiment.ENV_SUBMITIT_CLUSTER, "local")
    # One seed (two cells): every local job is a fresh interpreter, seconds each.
    local = experiment.run_experiment("toy", "smoke", seeds=1, progress=False)
    sub = experiment.run_experiment("toy", "smoke", seeds=1, executor="submitit", workers=2,
                                    force=True, progress=False)
    assert _means(sub) == _means(local)
    # submitit pickles its jobs: their folder is private to the user
    folder = cache.cache_dir() / "submitit"
    assert folder.stat().st_mode & 0o777 == 0o700


def _job_processes(marker: str) -> list[str]:
    out = subprocess.run(["ps", "-eww", "-o", "pid,args"], capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if marker in line and "submitit" in line]


def test_submitit_local_jobs_respect_workers_and_die_with_the_parent(toy, tmp_path):
    """Locally, at most --workers jobs run at once; SIGTERM to the parent cancels them, and no
    job process outlives it."""
    pytest.importorskip("submitit")
    env = {**os.environ, experiment.ENV_SUBMITIT_CLUSTER: "local"}
    cmd = [sys.executable, "-m", "initaudit.figures.cli", "experiment", "toy", "--preset",
           "smoke", "--executor", "submitit", "--workers", "1", "--sleep", "120"]
    marker = str(cache.cache_dir())
    # As from a shell: the test runner's workers may ignore SIGINT, and children inherit that.
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        deadline = time.monotonic() + 60
        while (time.monotonic() < deadline and not _job_processes(marker)
               and proc.poll() is None):
            time.sleep(0.5)
        time.sleep(2.0)
        running = _job_processes(marker)
        assert proc.poll() is None, proc.communicate()[1].decode()[-2000:]
        # 6 cells, one worker: one job (submitit's local wrapper and the job it runs)
        assert len(running) == 2 and len({line.split()[-1] for line in running}) == 1, running
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=60)
        deadline = time.monotonic() + 10  # a job sleeps 120 s: only a cancellation ends it now
        while time.monotonic() < deadline and _job_processes(marker):
            time.sleep(0.5)
        assert not _job_processes(marker)
    finally:  # leave the machine clean whatever happened
        proc.kill()
        for line in _job_processes(marker):
            try:
                os.kill(int(line.split()[0]), signal.SIGKILL)
            except ProcessLookupError:
                pass


def test_executor_job_folder_is_made_private(tmp_path):
    loose = tmp_path / "jobs"
    loose.mkdir(mode=0o777)
    os.chmod(loose, 0o777)
    assert experiment.private_dir(loose) == loose
    assert loose.stat().st_mode & 0o777 == 0o700
    fresh = experiment.private_dir(tmp_path / "a" / "b")
    assert fresh.stat().st_mode & 0o777 == 0o700


@pytest.mark.slow
@pytest.mark.parametrize("writer", ["auto", "driver"])
def test_ray_executor_on_a_local_instance(toy, monkeypatch, writer):
    """Ray (a real local instance of 2 CPUs): the same results as the local executor, whether the
    workers write the shared cache (``auto`` on one machine) or return their results through the
    object store for the driver to write (``driver``, as on nodes without shared storage)."""
    pytest.importorskip("ray")
    monkeypatch.setenv(experiment.ENV_RAY_WRITE, writer)
    local = experiment.run_experiment("toy", "smoke", progress=False, force=True)
    ray_run = experiment.run_experiment("toy", "smoke", executor="ray", workers=2, force=True,
                                        progress=False)
    assert _means(ray_run) == _means(local)
    assert set(ray_run.statuses) == {"forced"}
    # Every result is on disk, whole, and read back as the same numbers.
    again = experiment.run_experiment("toy", "smoke", executor="ray", workers=2, progress=False)
    assert again.statuses == ["cached"] * len(again.configs)
    assert _means(again) == _means(local)
    root = pathlib.Path(os.environ[cache.ENV_CACHE_DIR])
    for config in ray_run.configs:
        header = cache.read_header(cache.cache_path(config, root))
        assert header["key"] == cache.cache_key(config) and "compute_seconds" in header
    assert not list(root.glob(".ray-probe-*"))  # the probe is removed after the sweep


def test_ray_task_writes_only_where_it_sees_the_drivers_cache(toy, tmp_path, monkeypatch):
    """The choice a Ray task makes, without Ray: with the driver's probe in sight it writes the
    cache itself; without it (another node) it writes nothing and returns the result, its
    provenance and its time for the driver to store."""
    import torch

    from initaudit.analysis import provenance

    monkeypatch.delenv(provenance.ENV_THREADS, raising=False)
    threads = torch.get_num_threads()
    monkeypatch.setattr(torch, "set_num_threads", lambda n: None)  # the worker's own setting
    config = toy.ToyCell(0.5, 3)
    root = tmp_path / "shared"
    root.mkdir()
    probe = experiment._write_probe(str(root))
    writer, (value, status, _) = experiment._ray_task(config, False, str(root), 1, probe.name,
                                                      "auto")
    assert (writer, status) == ("workers", "computed")
    assert cache.load(cache.cache_path(config, root)) == value

    elsewhere = tmp_path / "other-node"
    elsewhere.mkdir()
    writer, (value2, record, seconds) = experiment._ray_task(config, False, str(elsewhere), 1,
                                                            probe.name, "auto")
    assert writer == "driver" and value2 == value
    assert not any(elsewhere.rglob("*"))  # nothing written where the probe is not seen
    assert record["threads"] == threads and seconds >= 0
    event = cache.store(config, value2, record, seconds, cache_dir=elsewhere)
    assert event.status == "computed" and cache.load(event.path) == value
    # A forged probe (right name, wrong content) is not taken for the driver's.
    probe.write_text("0" * 32)
    assert experiment._ray_task(config, False, str(root), 1, probe.name, "auto")[0] == "driver"
    with pytest.raises(ValueError, match="INITAUDIT_RAY_WRITE"):
        os.environ[experiment.ENV_RAY_WRITE] = "nodes"
        try:
            experiment.ray_write_mode()
        finally:
            del os.environ[experiment.ENV_RAY_WRITE]


@pytest.mark.slow
def test_ray_sweep_interrupted_then_resumed(tmp_path):
    """SIGINT to a Ray sweep between cells, then a rerun: the finished cells are read, the
    others computed, and the summary equals an uninterrupted local run."""
    pytest.importorskip("ray")
    env = {**os.environ, experiment.ENV_EXTRA_MODULES: "toy_experiment",
           "PYTHONPATH": os.pathsep.join([str(ROOT), str(TESTS)])}
    env.pop(experiment.ENV_EXECUTOR, None)
    ray_env = {**env, cache.ENV_CACHE_DIR: str(tmp_path / "ray")}
    args = ["experiment", "toy", "--preset", "smoke", "--json"]
    proc = _cli([*args, "--sleep", "2", "--executor", "ray", "--workers", "1"], ray_env)
    cells = tmp_path / "ray" / "toy_experiment.ToyCell"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and len(list(cells.glob("*.result"))) < 2:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode != 0, "the interrupt should stop the sweep"
    assert "Traceback" not in err
    done_before = len(list(cells.glob("*.result")))
    assert 2 <= done_before < 6, "the interrupt should land between cells"

    rerun = _cli([*args, "--sleep", "2", "--executor", "ray", "--workers", "2"], ray_env)
    out, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err
    resumed = json.loads(out)
    assert (resumed["cached"], resumed["computed"]) == (done_before, 6 - done_before)
    ref = _cli([*args, "--sleep", "2"], {**env, cache.ENV_CACHE_DIR: str(tmp_path / "local")})
    out_ref, err_ref = ref.communicate(timeout=300)
    assert ref.returncode == 0, err_ref
    assert resumed["summary"] == json.loads(out_ref)["summary"]


def test_missing_executor_package_is_a_clear_error(toy, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_submitit(name, *args, **kwargs):
        if name == "submitit":
            raise ImportError("No module named 'submitit'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_submitit)
    with pytest.raises(experiment.ExecutorUnavailable, match="pip install"):
        experiment.run_experiment("toy", "smoke", executor="submitit", progress=False)


def _cli(args, env, **kwargs):
    return subprocess.Popen([sys.executable, "-m", "initaudit.figures.cli", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


def test_kill_9_then_rerun_equals_an_uninterrupted_run(tmp_path):
    env = {**os.environ, experiment.ENV_EXTRA_MODULES: "toy_experiment",
           "PYTHONPATH": os.pathsep.join([str(ROOT), str(TESTS)])}
    env.pop(experiment.ENV_EXECUTOR, None)
    killed = {**env, cache.ENV_CACHE_DIR: str(tmp_path / "killed")}
    clean = {**env, cache.ENV_CACHE_DIR: str(tmp_path / "clean")}
    args = ["experiment", "toy", "--preset", "smoke", "--sleep", "0.4", "--json"]

    proc = _cli(args, killed, start_new_session=True)
    cells = tmp_path / "killed" / "toy_experiment.ToyCell"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(cells.glob("*.result"))) < 2:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done_before = len(list(cells.glob("*.result")))
    assert 2 <= done_before < 6, "the kill should land between cells"

    rerun = _cli(args, killed)
    out, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err
    resumed = json.loads(out)
    assert resumed["cached"] == done_before  # finished cells are not recomputed
    assert resumed["computed"] == 6 - done_before

    ref = _cli(args, clean)
    out_ref, err_ref = ref.communicate(timeout=300)
    assert ref.returncode == 0, err_ref
    assert resumed["summary"] == json.loads(out_ref)["summary"]
    # No partial file is ever left under a final name: every file loads and checks.
    for path in cells.glob("*.result"):
        cache.load(path)


def test_cli_unknown_experiment_is_one_line_exit_2(toy):
    from initaudit.figures.cli import main

    assert main(["experiment", "no-such-experiment"]) == 2


def test_torch_threads_limits_and_restores():
    import torch

    before = torch.get_num_threads()
    with experiment.torch_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    with experiment.torch_threads(None):
        assert torch.get_num_threads() == before
    with pytest.raises(ValueError, match="positive integer"):
        with experiment.torch_threads(0):
            pass


def test_every_experiment_keeps_its_presets_in_one_keyword_dataclass():
    """Presets in one place per experiment: ``PRESETS`` maps smoke, cpu and paper to instances
    of one frozen dataclass, each field with a comment on its line of the class source."""
    import dataclasses
    import inspect

    from initaudit.analysis.presets import PRESETS as NAMES

    for name, module in experiment.available().items():
        table = getattr(module, "PRESETS", None)
        assert isinstance(table, dict) and tuple(table) == NAMES, name
        kinds = {type(v) for v in table.values()}
        assert len(kinds) == 1, name
        (kind,) = kinds
        assert dataclasses.is_dataclass(kind) and kind.__dataclass_params__.frozen, name
        source = inspect.getsource(kind).splitlines()
        for f in dataclasses.fields(kind):
            line = next((ln for ln in source if ln.strip().startswith(f"{f.name}:")), None)
            assert line is not None and "#" in line, f"{name}: field {f.name} has no comment"
        for preset in NAMES:  # the preset's seeds, where it has some, are what seeds_for gives
            if hasattr(table[preset], "seeds"):
                assert (experiment.seeds_for(preset, None, table)
                        == tuple(range(table[preset].seeds)))


def test_seeds_for_refuses_bad_counts():
    for bad in (0, -1, 2.0, True):
        with pytest.raises(ValueError, match="seeds must be a positive integer"):
            experiment.seeds_for("cpu", bad, {"cpu": 3})


def test_a_module_with_several_cell_types_refuses_another_with_the_valid_ones():
    from initaudit.analysis import ntk, propagate, spectrum

    for module, name in ((propagate, "analysis.propagate"), (ntk, "analysis.ntk"),
                         (spectrum, "analysis.spectrum")):
        with pytest.raises(TypeError, match=f"{name} has no cell type dict; its cells are "):
            module.run_cell({})
