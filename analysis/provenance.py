"""What a result was computed with: package source, library versions, threads, processor, BLAS.

Float32 training is bitwise reproducible only on the same processor kind, library build and
thread count: a different SIMD width (AVX2 against AVX-512), BLAS (MKL against OpenBLAS) or
number of threads changes the order of floating-point sums and so the last bits of every
trained weight. Every cached result therefore carries a :func:`collect` record in its header
(:mod:`analysis.cache`), the ledger gathers the distinct records behind its evidence, and the
paper prints them.

The thread count recorded is the one the computation ran with: :func:`analysis.experiment.
torch_threads` reports each limit it sets to :func:`note_threads`, and :func:`recording`
collects those reports while a result is computed.

``INITAUDIT_THREADS`` (set by ``--threads`` of the pipeline commands) overrides the thread
count of every experiment cell and of the main process; it enters the cache key
(:func:`thread_override`), so results computed with another count are never mixed in.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import hashlib
import importlib.metadata
import json
import os
import pathlib
import platform
from typing import Any, Iterator

from initaudit.analysis import codehash
from initaudit.theory.checks import positive_int_text

#: Environment variable overriding the torch/BLAS thread count of every computation.
ENV_THREADS = "INITAUDIT_THREADS"

#: The package folders whose sources :func:`source_sha256` hashes (with the facade).
PACKAGES = codehash.PACKAGES

_recorded: contextvars.ContextVar[list | None] = contextvars.ContextVar("initaudit_threads",
                                                                         default=None)


def thread_override() -> int | None:
    """``$INITAUDIT_THREADS`` as a positive int, or None when unset.

    Raises:
        ValueError: set to anything but a positive integer.
    """
    raw = os.environ.get(ENV_THREADS, "").strip()
    if not raw:
        return None
    return positive_int_text(raw, ENV_THREADS)


def note_threads(n: int) -> None:
    """Report that a computation limits torch and BLAS to ``n`` threads (see :func:`recording`)."""
    seen = _recorded.get()
    if seen is not None:
        seen.append(int(n))


@contextlib.contextmanager
def recording() -> Iterator[list[int]]:
    """Collect the thread counts reported by :func:`note_threads` inside the block."""
    seen: list[int] = []
    token = _recorded.set(seen)
    try:
        yield seen
    finally:
        _recorded.reset(token)


@functools.lru_cache(maxsize=None)
def source_sha256() -> str:
    """sha256 over the package's Python sources (relative path and bytes, in sorted order).

    Hashes the folders of :data:`PACKAGES` beside this file and the facade
    ``initaudit/__init__.py`` (under that name, installed or not), so an edited module gives
    another value; 16 hex digits are printed in the paper.
    """
    root = pathlib.Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    facade = codehash.facade_file()
    if facade is not None:
        digest.update(b"initaudit/__init__.py\0" + facade.read_bytes() + b"\0")
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            digest.update(path.relative_to(root).as_posix().encode("utf-8") + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


@functools.lru_cache(maxsize=None)
def processor() -> str:
    """The processor's model name (``/proc/cpuinfo``), else :func:`platform.processor`."""
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


@functools.lru_cache(maxsize=None)
def _static() -> dict[str, Any]:
    from initaudit.analysis import cache

    out: dict[str, Any] = {
        "initaudit": cache.package_version(),
        "source_sha256": source_sha256(),
        "python": platform.python_version(),
        "numpy": _version("numpy"),
        "scipy": _version("scipy"),
        "torch": _version("torch"),
        "pandas": _version("pandas"),
        "sympy": _version("sympy"),
        "machine": platform.machine(),
        "processor": processor(),
        "cpu_count": os.cpu_count(),
    }
    try:
        import torch

        config = torch.__config__.show()
        blas = next((part.split("=", 1)[1] for part in config.replace(",", "\n").split()
                     if part.startswith("BLAS_INFO=")), "unknown")
        out["torch_blas"] = blas
        out["torch_cpu_capability"] = torch.backends.cpu.get_cpu_capability()
    except Exception:  # torch absent or too old to say: the record says so
        out["torch_blas"] = out["torch_cpu_capability"] = "unknown"
    try:
        from threadpoolctl import threadpool_info

        blas = [f"{i.get('internal_api')} {i.get('version')} ({i.get('architecture')})"
                for i in threadpool_info() if i.get("user_api") == "blas"]
        out["numpy_blas"] = "; ".join(sorted(set(blas))) or "unknown"
    except Exception:
        out["numpy_blas"] = "unknown"
    return out


def collect(threads: int | None = None) -> dict[str, Any]:
    """The provenance record of a computation running now.

    Args:
        threads: the thread count it ran with; torch's current count when None.

    Returns:
        ``initaudit`` (version), ``source_sha256``, ``python``, ``numpy``, ``scipy``,
        ``torch``, ``pandas``, ``sympy``, ``machine``, ``processor``, ``cpu_count``, ``torch_blas``,
        ``torch_cpu_capability`` (the SIMD kernels torch dispatches to), ``numpy_blas``,
        ``threads`` and ``device`` (:func:`initaudit.models.device.device_name`).
    """
    out = dict(_static())
    try:
        from initaudit.models.device import device_name

        out["device"] = device_name()
    except ImportError:  # torch absent
        out["device"] = "unknown"
    if threads is None:
        try:
            import torch

            threads = torch.get_num_threads()
        except ImportError:
            threads = None
    out["threads"] = threads
    return out


def distinct(records: list[dict]) -> list[dict]:
    """The distinct records of ``records`` with a ``count`` each, most frequent first."""
    counts: dict[str, int] = {}
    for r in records:
        if r:
            text = json.dumps({k: v for k, v in r.items() if k != "count"}, sort_keys=True)
            counts[text] = counts.get(text, 0) + int(r.get("count", 1))
    return [{**json.loads(t), "count": n}
            for t, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def summary_line(records: list[dict]) -> str:
    """One line for the paper: versions, processor, BLAS and thread counts of ``records``."""
    if not records:
        return "no cached results"
    first = records[0]

    def values(key: str, width: int | None = None) -> str:
        seen = list(dict.fromkeys(str(r.get(key))[:width] for r in records))
        return " / ".join(seen)

    threads = sorted({r.get("threads") for r in records if r.get("threads") is not None})
    # Records made before the device was recorded ran on the CPU.
    on = sorted({str(r.get("device", "cpu")) for r in records})
    devices = "" if on == ["cpu"] else f", on {' and '.join(on)}"
    return (f"initaudit {values('initaudit')} (source {values('source_sha256', 16)}), "
            f"torch {values('torch')}, numpy {values('numpy')}, scipy {values('scipy')}; "
            f"{values('processor')} ({first.get('machine')}, torch kernels "
            f"{values('torch_cpu_capability')}, torch BLAS {values('torch_blas')}, numpy BLAS "
            f"{values('numpy_blas')}); "
            f"{', '.join(str(t) for t in threads) or 'unknown'} thread(s) per computation"
            f"{devices}")


__all__ = ["ENV_THREADS", "PACKAGES", "collect", "distinct", "note_threads", "processor",
           "recording", "source_sha256", "summary_line", "thread_override"]
