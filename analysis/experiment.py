"""Experiments: grids of seeded training runs, each cached on its own, run by an executor.

An *experiment* is a module in :mod:`analysis.experiments` that defines

``NAME: str``
    The command-line name, lower case with dashes (``"image-fit"``).
``DESCRIPTION: str``
    One line for ``initaudit experiment --help``.
``cells(preset: str, seeds: int | None, **options) -> list[config]``
    Every run the experiment needs at this preset: one frozen dataclass per (setting, seed),
    holding everything the run depends on. ``seeds=None`` means the preset's own number. A
    setting whose input is absent (a user data file) is listed as a :class:`SkippedSetting`
    instead of its cells; the others still run.
``run_cell(config) -> result``
    One run (a dict or DataFrame of the result types the cache stores,
    :mod:`initaudit.analysis.resultcodec`). Must be deterministic given ``config``: seed every
    generator from the config's seed.
``summarize(configs, results, **options) -> dict``
    Tables and numbers from all the runs (intervals over seeds, paired comparisons); plain
    data (DataFrames, dicts, floats, evidence records) of the same closed set of types.
``add_arguments(parser)`` (optional)
    Experiment-specific command-line options; their values arrive as ``**options`` in
    ``cells`` and ``summarize``.
``format_summary(summary) -> str`` (optional)
    Text form for the command line; a generic one is used otherwise.

:func:`run_experiment` asks the module for its cells, runs each through
:func:`analysis.cache.cached` (so an interrupted run, even by ``kill -9``, resumes at the first
missing cell and never reads a partial file) and summarises. Cells run on an *executor*:

``local``
    In this process, one after the other (the default).
``process``
    A :class:`concurrent.futures.ProcessPoolExecutor` with the ``spawn`` start method; each
    worker limits torch to ``cpu_count // workers`` threads.
``submitit``
    `submitit <https://github.com/facebookincubator/submitit>`_'s ``AutoExecutor``: Slurm when
    it is there, else local subprocesses; ``INITAUDIT_SUBMITIT_CLUSTER`` (``local``, ``debug``,
    ``slurm``) forces one. Job logs go to ``<cache dir>/submitit/``. Optional extra.
``ray``
    `Ray <https://docs.ray.io>`_ tasks on the running cluster, or a local instance started with
    ``workers`` CPUs. A task whose node sees the cache directory (a probe file the driver
    writes there) writes its result itself; on a node without the shared storage it returns the
    result through Ray's object store and the driver writes it (``$INITAUDIT_RAY_WRITE``:
    ``auto``, ``workers``, ``driver``). Optional extra.

Every executor writes through the same atomic cache, so two workers never see each other's
partial files, and results are identical whichever executor ran them, up to the floating-point
summation order of a different torch thread count.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import os
import pathlib
import pkgutil
import signal
import sys
import time
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Callable, Mapping, Sequence

from initaudit.analysis import cache
from initaudit.analysis.presets import check_preset
from initaudit.theory.checks import choice, positive_int, positive_int_text

#: Executors known to :func:`run_experiment`; the last two need optional packages.
EXECUTORS: tuple[str, ...] = ("local", "process", "submitit", "ray")
#: Environment variables giving the executor and its worker count when a caller passes none
#: (``initaudit reproduce --executor`` sets them for the figure modules).
ENV_EXECUTOR = "INITAUDIT_EXECUTOR"
ENV_WORKERS = "INITAUDIT_WORKERS"
ENV_SUBMITIT_CLUSTER = "INITAUDIT_SUBMITIT_CLUSTER"
#: Who writes the results of Ray tasks: see :func:`ray_write_mode`.
ENV_RAY_WRITE = "INITAUDIT_RAY_WRITE"
RAY_WRITE_MODES: tuple[str, ...] = ("auto", "workers", "driver")
#: Comma-separated dotted names of further experiment modules (outside :mod:`analysis.experiments`)
#: to list beside the built-in ones, e.g. a user's own experiment.
ENV_EXTRA_MODULES = "INITAUDIT_EXPERIMENT_MODULES"

_REQUIRED = ("NAME", "DESCRIPTION", "cells", "run_cell", "summarize")


@dataclass(frozen=True)
class SkippedSetting:
    """A setting of an experiment that cannot run here, returned by ``cells`` among the configs.

    An experiment with several settings runs each setting whose input is present and lists the
    others this way; :func:`run_experiment` keeps them out of the cells and puts them in the
    summary under ``"skipped"``, so figures, the paper and the ledger can say what did not run
    and why.

    Attributes:
        setting: the setting's key (as the experiment's summary names it, e.g.
            ``medical_windows``).
        reason: why it did not run, e.g. ``medical.txt not given``.
        remedy: how to supply what is missing.
    """

    setting: str
    reason: str
    remedy: str = ""

    def describe(self) -> str:
        """``"<reason> (<remedy>)"``, or the reason alone."""
        return f"{self.reason} ({self.remedy})" if self.remedy else self.reason


class ExperimentModuleError(RuntimeError):
    """An experiment module breaks the contract in the module docstring."""


class ExecutorUnavailable(RuntimeError):
    """The requested executor's package is not installed."""


# --------------------------------------------------------------------------------------------
# Discovery


def available() -> dict[str, ModuleType]:
    """Every experiment module, by NAME, sorted by name.

    The modules of :mod:`analysis.experiments`, plus those named in
    ``$INITAUDIT_EXPERIMENT_MODULES``.

    Raises:
        ExperimentModuleError: a module lacks part of the contract, or two share a NAME.
    """
    import initaudit.analysis.experiments as package

    names = [f"{package.__name__}.{info.name}"
             for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name)
             if not info.name.startswith("_")]
    extra = [n.strip() for n in os.environ.get(ENV_EXTRA_MODULES, "").split(",") if n.strip()]
    out: dict[str, ModuleType] = {}
    for dotted in names + extra:
        try:
            module = importlib.import_module(dotted)
        except ImportError as exc:
            if dotted not in extra:
                raise
            raise ExperimentModuleError(
                f"${ENV_EXTRA_MODULES} names {dotted!r}, which cannot be imported ({exc}); it "
                "takes importable module names separated by commas") from None
        if not hasattr(module, "NAME"):
            continue  # a helper module of the experiments, not an experiment
        missing = [a for a in _REQUIRED if not hasattr(module, a)]
        if missing:
            raise ExperimentModuleError(f"{module.__name__} lacks {', '.join(missing)}")
        if module.NAME in out:
            raise ExperimentModuleError(
                f"{module.__name__} and {out[module.NAME].__name__} both have NAME {module.NAME!r}")
        out[module.NAME] = module
    return dict(sorted(out.items()))


def get(name: str) -> ModuleType:
    """The experiment module called ``name``.

    Raises:
        ValueError: unknown name; the message lists the valid ones.
    """
    experiments = available()
    if name not in experiments:
        raise ValueError(f"unknown experiment {name!r}; valid experiments are "
                         f"{', '.join(experiments) or '(none)'}")
    return experiments[name]


# --------------------------------------------------------------------------------------------
# Threads


@contextlib.contextmanager
def torch_threads(n: int | None = 1):
    """Limit torch's intra-op threads (and the BLAS pools numpy uses) to ``n`` inside the block.

    The experiments' networks are small: a second thread gains little and, on a machine shared
    with other jobs, makes a training step several times slower. One thread per cell and one cell
    per core (``--executor process``) is the fast way to use a small machine. ``n=None`` changes
    nothing. ``$INITAUDIT_THREADS`` (``--threads``), when set, replaces ``n`` (None included).
    The previous torch thread count is restored on exit, and the count used is reported to
    :func:`analysis.provenance.note_threads` for the result's provenance.

    Args:
        n: thread count, or None to leave the counts alone.

    Raises:
        ValueError: ``n`` is not a positive integer or None.
    """
    from initaudit.analysis import provenance

    override = provenance.thread_override()
    if override is not None:
        n = override  # --threads / $INITAUDIT_THREADS: the same count for every computation
    if n is None:
        yield
        return
    n = positive_int(n, "thread count")
    provenance.note_threads(n)
    import torch
    from threadpoolctl import threadpool_limits

    before = torch.get_num_threads()
    torch.set_num_threads(int(n))
    try:
        with threadpool_limits(limits=int(n)):
            yield
    finally:
        torch.set_num_threads(before)


# --------------------------------------------------------------------------------------------
# Running one cell (also inside workers: everything here must be importable and picklable)


def cell_runner(module: str, runners: Mapping[type, Callable[[Any], Any]]) -> Callable[[Any], Any]:
    """A module's ``run_cell`` for several cell types: ``runners`` maps each config class to the
    function that computes it; another type is refused with the module's valid cell types."""
    runners = dict(runners)

    def run_cell(cfg):
        fn = runners.get(type(cfg))
        if fn is None:
            raise TypeError(f"{module} has no cell type {type(cfg).__qualname__}; its cells are "
                            + ", ".join(t.__name__ for t in runners))
        return fn(cfg)

    run_cell.__doc__ = (f"The experiment runner's entry for the cells of {module} "
                        "(:func:`initaudit.analysis.experiment.execute_cell`): "
                        + ", ".join(f"{t.__name__} -> {f.__name__}" for t, f in runners.items()))
    return run_cell


def _run_cell_of(config: Any) -> Callable[[Any], Any]:
    module = importlib.import_module(type(config).__module__)
    fn = getattr(module, "run_cell", None)
    if fn is None:
        raise ExperimentModuleError(f"{module.__name__} defines the config "
                                    f"{type(config).__qualname__} but no run_cell")
    return fn


def execute_cell(config: Any, force: bool = False, cache_dir: str | None = None,
                 threads: int | None = None) -> tuple[Any, str, float]:
    """Run (or load) one cell through the cache.

    Args:
        config: a cell's frozen dataclass; its module's ``run_cell`` computes it.
        force: recompute even if cached.
        cache_dir: cache directory (resolved by the parent, so workers agree with it).
        threads: if given, ``torch.set_num_threads(threads)`` first (process workers).

    Returns:
        ``(result, status, seconds)`` with the cache status (``cached``, ``computed`` ...).
    """
    _set_threads(threads)
    value, event = cache.cached_with_event(config, _run_cell_of(config), force=force,
                                           cache_dir=cache_dir,
                                           label=type(config).__qualname__)
    return value, event.status, event.seconds


def _set_threads(threads: int | None) -> None:
    from initaudit.analysis.provenance import thread_override

    threads = thread_override() or threads
    if threads is not None:
        import torch

        torch.set_num_threads(max(1, int(threads)))


def _is_cached(config: Any, cache_dir: str | None) -> bool:
    if cache.cache_disabled():
        return False
    path = cache.cache_path(config, cache_dir)
    if not path.exists():
        return False
    try:
        header = cache.read_header(path)
    except (cache.CorruptCacheError, OSError):
        return False
    return header.get("key") == cache.cache_key(config)


# --------------------------------------------------------------------------------------------
# Executors: map execute_cell over configs, yielding (index, (result, status, seconds)) as they
# finish


def _default_workers() -> int:
    return max(1, os.cpu_count() or 1)


def _local(configs, force, cache_dir, workers):
    for i, config in enumerate(configs):
        yield i, execute_cell(config, force, cache_dir)


def _process(configs, force, cache_dir, workers):
    import concurrent.futures as cf
    import multiprocessing as mp

    threads = max(1, _default_workers() // workers)
    with cf.ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn")) as pool:
        futures = {pool.submit(execute_cell, c, force, cache_dir, threads): i
                   for i, c in enumerate(configs)}
        try:
            for future in cf.as_completed(futures):
                yield futures[future], future.result()
        except BaseException:
            for future in futures:
                future.cancel()
            raise


def private_dir(path: pathlib.Path) -> pathlib.Path:
    """``path`` as a directory only its owner can use (created with mode 0700, or set to it).

    Raises:
        ValueError: it belongs to another user (files of executors that pickle their jobs must
            not come from anyone else).
    """
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    st = path.stat()
    if hasattr(os, "getuid") and st.st_uid != os.getuid():
        raise ValueError(f"the executor's job folder {path} belongs to another user; use a cache "
                         "directory of your own ($INITAUDIT_CACHE)")
    if st.st_mode & 0o077:
        os.chmod(path, 0o700)
    return path


def _submitit(configs, force, cache_dir, workers):
    try:
        import submitit
    except ImportError:
        raise ExecutorUnavailable(
            "the submitit executor needs the submitit package: pip install 'initaudit[cluster]'"
        ) from None
    # submitit keeps its jobs as pickles: their folder is the user's own (mode 0700), never one
    # that others can write to.
    folder = private_dir(pathlib.Path(cache_dir or cache.cache_dir()) / "submitit") / "%j"
    cluster = os.environ.get(ENV_SUBMITIT_CLUSTER) or None
    executor = submitit.AutoExecutor(folder=folder, cluster=cluster)
    executor.update_parameters(timeout_min=24 * 60, cpus_per_task=1)
    threads = 1 if executor.cluster != "debug" else None
    if executor.cluster == "slurm":
        # The scheduler holds the queue; the array's parallelism is the worker count.
        executor.update_parameters(slurm_array_parallelism=workers)
        n = len(configs)
        queue = []
        pending = dict(enumerate(executor.map_array(execute_cell, list(configs), [force] * n,
                                                    [cache_dir] * n, [threads] * n)))
    else:
        # On this machine (submitit's local or debug executor) at most `workers` jobs run at once.
        queue = list(enumerate(configs))
        pending = {}
    previous = _sigterm_raises()
    try:
        while pending or queue:
            while queue and len(pending) < workers:
                i, config = queue.pop(0)
                pending[i] = executor.submit(execute_cell, config, force, cache_dir, threads)
            done = [i for i, job in pending.items() if job.done()]
            if not done:
                time.sleep(0.2)
                continue
            for i in done:
                yield i, pending.pop(i).result()
    except BaseException:
        # Interrupted (Ctrl-C, SIGTERM turned into an exception, a failed job): cancel the rest,
        # so that no job outlives the run.
        for job in pending.values():
            _stop_job(job)
        raise
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _stop_job(job) -> None:
    """Cancel a submitit job; a job on this machine is then terminated, and killed if it is still
    there after a grace period (its cancellation is a SIGINT, which a process can ignore)."""
    try:
        job.cancel(check=False)
    except Exception:  # noqa: BLE001 - best effort, the original error matters
        pass
    process = getattr(job, "_process", None)  # submitit's local jobs keep their Popen here
    if process is None:
        return
    children = _descendants(process.pid)
    for stop in (process.terminate, process.kill):
        try:
            process.wait(timeout=2.0)
            break
        except Exception:  # noqa: BLE001 - still running (or not waitable): escalate
            try:
                stop()
            except OSError:
                break
    # The task the wrapper started may outlive it (it can treat SIGTERM as a preemption).
    for pid in children:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def _descendants(pid: int) -> list[int]:
    """The processes below ``pid`` (Linux /proc; empty elsewhere)."""
    children: dict[int, list[int]] = {}
    try:
        entries = [e for e in os.listdir("/proc") if e.isdigit()]
    except OSError:
        return []
    for entry in entries:
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry))
        except (OSError, IndexError, ValueError):
            continue
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def _sigterm_raises():
    """Turn SIGTERM into KeyboardInterrupt while jobs run (main thread only), so that the
    cleanup above cancels them; returns the handler to restore, or None."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        return None

    def handler(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    return signal.signal(signal.SIGTERM, handler)


def _ray(configs, force, cache_dir, workers):
    try:
        import ray
    except ImportError:
        raise ExecutorUnavailable(
            "the ray executor needs the ray package: pip install 'initaudit[ray]'") from None
    mode = ray_write_mode()
    started = False
    if not ray.is_initialized():
        ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False,
                 configure_logging=False)
        started = True
    probe = None
    previous = _sigterm_raises()
    refs: dict = {}
    try:
        if cache_dir is not None and mode != "driver":
            probe = _write_probe(cache_dir)
        # Workers that see the probe write the cache themselves; the others return their
        # result through Ray's object store and this process writes it.
        remote = ray.remote(num_cpus=1)(_ray_task)
        refs = {remote.remote(c, force, cache_dir, 1, None if probe is None else probe.name,
                              mode): i
                for i, c in enumerate(configs)}
        pending = list(refs)
        while pending:
            ready, pending = ray.wait(pending, num_returns=1)
            for ref in ready:
                i = refs.pop(ref)
                writer, item = ray.get(ref)
                if writer == "driver":
                    value, record, seconds = item
                    if cache_dir is None:
                        item = (value, "uncached", seconds)
                    else:
                        event = cache.store(configs[i], value, record, seconds,
                                            cache_dir=cache_dir,
                                            status="forced" if force else "computed")
                        item = (value, event.status, seconds)
                yield i, item
    except BaseException:
        for ref in refs:  # no task outlives an interrupted sweep
            with contextlib.suppress(Exception):
                ray.cancel(ref, force=True)
        raise
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        try:
            if probe is not None:
                with contextlib.suppress(OSError):
                    probe.unlink(missing_ok=True)
        finally:
            if started:
                ray.shutdown()


def ray_write_mode() -> str:
    """Who writes the results of Ray tasks, from ``$INITAUDIT_RAY_WRITE``: ``auto`` (the
    default: a worker writes when it sees the driver's cache directory, else the driver),
    ``workers`` or ``driver`` (results always come back through the object store)."""
    return choice(os.environ.get(ENV_RAY_WRITE) or "auto", RAY_WRITE_MODES, ENV_RAY_WRITE)


def _write_probe(cache_dir: str) -> pathlib.Path:
    """A file in the cache directory whose name and content a worker checks to know that it
    shares the directory with this process (same path, same storage)."""
    import secrets

    token = secrets.token_hex(16)
    path = pathlib.Path(cache_dir) / f".ray-probe-{token}"
    cache.atomic_write_text(path, token)
    return path


def _sees_probe(cache_dir: str, name: str) -> bool:
    """Whether this node reads the driver's probe in ``cache_dir`` and may write there (a
    read-only mount of the shared cache returns its results to the driver)."""
    if not os.access(cache_dir, os.W_OK):
        return False
    try:
        text = (pathlib.Path(cache_dir) / name).read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError):
        return False
    return text == name.removeprefix(".ray-probe-")


def _ray_task(config, force, cache_dir, threads, probe, mode):
    """One Ray task: ``("workers", execute_cell(...))`` when this node writes the shared cache,
    else ``("driver", (value, provenance, seconds))`` for the driver to store."""
    shared = cache_dir is not None and (mode == "workers"
                                        or (probe is not None and _sees_probe(cache_dir, probe)))
    if shared:
        return "workers", execute_cell(config, force, cache_dir, threads)
    _set_threads(threads)
    return "driver", cache.compute(config, _run_cell_of(config))


_EXECUTOR_FUNCS = {"local": _local, "process": _process, "submitit": _submitit, "ray": _ray}


def check_executor(name: str) -> str:
    """Validate an executor name (the message lists the valid ones)."""
    return choice(name, EXECUTORS, "executor")


def default_executor() -> tuple[str, int | None]:
    """Executor and worker count from ``$INITAUDIT_EXECUTOR`` / ``$INITAUDIT_WORKERS``."""
    name = check_executor(os.environ.get(ENV_EXECUTOR) or "local")
    workers = os.environ.get(ENV_WORKERS)
    if workers is None or workers == "":
        return name, None
    return name, positive_int_text(workers, ENV_WORKERS)


def map_cells(configs: Sequence[Any], *, executor: str | None = None, workers: int | None = None,
              force: bool = False, progress: bool = True, desc: str = "cells") -> list[tuple[Any, str, float]]:
    """Run every config through the cache on ``executor``; results in the input order.

    Cells already cached are loaded here without going to the executor (so resuming a large
    sweep costs no worker start-up). Progress is a tqdm bar on stderr.

    Args:
        configs: cell configs (frozen dataclasses whose module defines ``run_cell``).
        executor: one of :data:`EXECUTORS`; :func:`default_executor` when None.
        workers: parallel workers (process, submitit, ray); all CPUs when None.
        force: recompute every cell.
        progress: show the bar.
        desc: the bar's label.

    Returns:
        ``[(result, status, seconds), ...]`` in the order of ``configs``.
    """
    from tqdm import tqdm

    env_name, env_workers = default_executor()
    name = check_executor(executor or env_name)
    workers = positive_int(workers or env_workers or _default_workers(), "workers")
    cache_dir = None if cache.cache_disabled() else str(cache.cache_dir())
    out: list[Any] = [None] * len(configs)
    todo = []
    bar = tqdm(total=len(configs), desc=desc, unit="run", file=sys.stderr, disable=not progress,
               dynamic_ncols=True)
    forced = force
    with bar:
        for i, config in enumerate(configs):
            if cache.force_pending(cache.cache_key(config)):
                # $INITAUDIT_FORCE: recomputed once in this run (the executor then runs its todo
                # list with force, which changes nothing for the cells not yet cached)
                forced = True
            elif not force and _is_cached(config, cache_dir):
                # Loaded here (a file corrupt after all is recomputed in place by the cache).
                out[i] = execute_cell(config, False, cache_dir)
                bar.update(1)
                continue
            todo.append(i)
        if todo:
            run = _EXECUTOR_FUNCS[name]
            sub = [configs[i] for i in todo]
            for j, item in run(sub, forced, cache_dir, min(workers, len(sub))):
                out[todo[j]] = item
                if name != "local":
                    # Computed in another process: record it here too, so that the run's cache
                    # summary and the provenance of the figure that asked for it see it.
                    config = configs[todo[j]]
                    cache.STATS.record(cache.CacheEvent(
                        type(config).__qualname__, cache.cache_key(config), item[1], item[2],
                        None if cache_dir is None else cache.cache_path(config, cache_dir)))
                bar.update(1)
                bar.set_postfix_str(f"last {item[2]:.1f} s")
    return out


# --------------------------------------------------------------------------------------------
# Running an experiment


@dataclass
class ExperimentRun:
    """What :func:`run_experiment` did.

    Attributes:
        name: experiment NAME.
        preset: preset name.
        options: experiment-specific options passed through.
        configs: every cell.
        results: their results, in the same order.
        statuses: cache status of each cell.
        seconds: wall time of the whole call.
        summary: the module's ``summarize`` output, with ``"skipped"`` added (a list of
            ``{"setting", "reason", "remedy"}``, empty when every setting ran).
        skipped: the settings that could not run here.
        provenance: distinct provenance records of the cells (filled by :func:`cached_run`).
    """

    name: str
    preset: str
    options: dict
    configs: list
    results: list
    statuses: list[str]
    seconds: float
    summary: dict = field(default_factory=dict)
    skipped: list[SkippedSetting] = field(default_factory=list)
    provenance: list[dict] = field(default_factory=list)

    @property
    def computed(self) -> int:
        return sum(s != "cached" for s in self.statuses)

    @property
    def cached(self) -> int:
        return sum(s == "cached" for s in self.statuses)

    def to_dict(self) -> dict:
        """JSON-ready form: counts, timing and the summary (DataFrames as records)."""
        return {"experiment": self.name, "preset": self.preset, "options": self.options,
                "cells": len(self.configs), "computed": self.computed, "cached": self.cached,
                "seconds": round(self.seconds, 3), "summary": _jsonable(self.summary)}


def _jsonable(obj: Any) -> Any:
    import numpy as np
    import pandas as pd

    if isinstance(obj, pd.DataFrame):
        return obj.to_dict(orient="records")
    if isinstance(obj, pd.Series):
        return obj.to_dict()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Mapping):  # dicts, and Evidence records (flat, as they print)
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return _jsonable(dataclasses.asdict(obj))
    return obj


def run_experiment(name: str, preset: str = "cpu", seeds: int | None = None, *,
                   executor: str | None = None, workers: int | None = None,
                   force: bool = False, progress: bool = True, **options: Any) -> ExperimentRun:
    """Run every cell of an experiment (through the cache) and summarise.

    Args:
        name: experiment NAME (see :func:`available`).
        preset: ``smoke``, ``cpu`` or ``paper``.
        seeds: number of seeds; the preset's when None.
        executor: see the module docstring; ``$INITAUDIT_EXECUTOR`` or ``local`` when None.
        workers: parallel workers for the non-local executors.
        force: recompute every cell.
        progress: tqdm progress bar on stderr.
        **options: experiment-specific options (data paths, split protocol, ablation).

    Returns:
        An :class:`ExperimentRun`.

    Raises:
        ValueError: unknown experiment, preset or executor; bad seeds; bad options (from the
            module).
        analysis.datasets.DataUnavailable: a data file the experiment needs is absent.
    """
    module = get(name)
    check_preset(preset)
    if seeds is not None:
        positive_int(seeds, "seeds")
    start = time.perf_counter()
    configs, skipped = _plan(module, name, preset, seeds, options)
    for s in skipped:
        print(f"{name} [{preset}]: setting {s.setting} not run: {s.describe()}", file=sys.stderr)
    items = map_cells(configs, executor=executor, workers=workers, force=force,
                      progress=progress, desc=f"{name} [{preset}]")
    results = [r for r, _, _ in items]
    statuses = [s for _, s, _ in items]
    summary = module.summarize(configs, results, **options)
    if isinstance(summary, dict):
        summary["skipped"] = [dataclasses.asdict(s) for s in skipped]
    return ExperimentRun(name, preset, dict(options), configs, results, statuses,
                         time.perf_counter() - start, summary, skipped)


def _plan(module: ModuleType, name: str, preset: str, seeds, options) -> tuple[list, list]:
    configs, skipped = [], []
    for item in module.cells(preset, seeds, **options):
        (skipped if isinstance(item, SkippedSetting) else configs).append(item)
    if not configs:
        if skipped:
            from initaudit.analysis.datasets import DataUnavailable

            raise DataUnavailable(
                f"experiment {name!r} at preset {preset!r} has no setting that can run here: "
                + "; ".join(f"{s.setting}: {s.describe()}" for s in skipped))
        raise ExperimentModuleError(f"{module.__name__}.cells returned no cells")
    return configs, skipped


def cached_run(name: str, preset: str = "cpu", seeds: int | None = None,
               **options: Any) -> ExperimentRun | None:
    """The experiment summarised from the cache alone, or None when a cell is not cached.

    Nothing is computed: this is how the claims ledger reads an experiment's evidence. The run's
    ``provenance`` lists the distinct provenance records of the cells' cache headers.

    Raises:
        ValueError: unknown experiment or preset.
        analysis.datasets.DataUnavailable: no setting of the experiment can run here (the
            ledger reads the reasons from the exception).
    """
    from initaudit.analysis import provenance as prov

    module = get(name)
    check_preset(preset)
    start = time.perf_counter()
    configs, skipped = _plan(module, name, preset, seeds, options)
    cache_dir = None if cache.cache_disabled() else str(cache.cache_dir())
    if cache_dir is None or not all(_is_cached(c, cache_dir) for c in configs):
        return None
    results, records = [], []
    for config in configs:
        path = cache.cache_path(config, cache_dir)
        try:
            results.append(cache.load(path, key=cache.cache_key(config)))
            records.append(cache.read_header(path).get("provenance") or {})
        except (cache.CorruptCacheError, OSError):
            return None
    summary = module.summarize(configs, results, **options)
    if isinstance(summary, dict):
        summary["skipped"] = [dataclasses.asdict(s) for s in skipped]
    run = ExperimentRun(name, preset, dict(options), configs, results, ["cached"] * len(configs),
                        time.perf_counter() - start, summary, skipped)
    run.provenance = prov.distinct(records)
    return run


def seeds_for(preset: str, seeds: int | None, per_preset: dict) -> tuple[int, ...]:
    """Seed indices ``0..S-1`` with ``S = seeds`` or the preset's default.

    Args:
        preset: a preset name.
        seeds: the number asked for, or None for the preset's.
        per_preset: preset name -> an int, or an experiment's ``Sizes`` with a ``seeds`` field.

    Raises:
        ValueError: unknown preset or non-positive seeds.
    """
    check_preset(preset)
    default = per_preset[preset]
    n = getattr(default, "seeds", default) if seeds is None else seeds
    return tuple(range(positive_int(n, "seeds")))


__all__ = ["EXECUTORS", "ExecutorUnavailable", "ExperimentModuleError", "ExperimentRun",
           "SkippedSetting",
           "available", "cached_run", "cell_runner", "check_executor", "default_executor", "execute_cell", "get",
           "map_cells", "run_experiment", "seeds_for", "torch_threads"]
