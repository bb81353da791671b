"""Content-addressed result cache.

An experiment is a frozen dataclass ``config`` plus a function ``fn(config) -> result`` (a tidy
pandas DataFrame, or any value of the closed set of result types of
:mod:`initaudit.analysis.resultcodec`: plain values, lists, tuples, dicts, numpy arrays, tables
and evidence records). :func:`cached` runs ``fn`` only when no valid result
for ``config`` is on disk::

    @dataclass(frozen=True)
    class DepthSweep:
        widths: tuple[int, ...] = (64, 256)
        sigma_w: float = 1.0
        seed: int = 0

    table = cached(DepthSweep(), run_depth_sweep)

Naming. :func:`cache_key` hashes the package version, the config's class (module and qualified
name), a canonical JSON of the config's fields (the structure of ``dataclasses.asdict``), the
code that computes it and the versions of torch, numpy and scipy. The code is the source of the
config class's module and of every package module it imports, directly or not
(:func:`analysis.codehash.code_sha256`): a config is defined beside the function that computes
it, so editing that function, or anything it calls in the package, gives a new key, while the
results of code that did not change stay valid. Changing any of these gives a new file; the old
one is never read again, and :func:`scan` reports it as stale (``initaudit cache prune``
removes it). ``force=True``, or ``$INITAUDIT_FORCE=1`` (``--force`` of the pipeline commands:
every result once per process), recomputes.

Where. ``<cache dir>/<ConfigClass>/<key>.result``. The cache directory is ``$INITAUDIT_CACHE`` when
set; otherwise ``results/`` at the root of the source checkout this package is imported from
(git ignores it), or ``./results`` relative to the working directory when the package is
installed outside a checkout. ``INITAUDIT_NO_CACHE=1`` turns the cache off: every call
computes and nothing is read or written.

Timings. A result holds no wall time: the time its computation took is the header's
``compute_seconds``, so that the same computation gives the same payload bytes and results can be
compared by hash.

Safety. A file is written to a temporary name in the same directory, flushed, fsynced and then
renamed over the target (:func:`atomic_write_bytes`), so an interrupted run never leaves a
partial result under the final name. Each file starts with a one-line JSON header (key, config,
the provenance record of :mod:`analysis.provenance` with the library versions, creation time,
payload size and sha256); :func:`load` checks it, and :func:`cached`
warns about a corrupted or truncated file, naming it, and recomputes.

Results are stored as data, never as code: the payload is the archive of
:func:`initaudit.analysis.resultcodec.encode` (a JSON structure and ``.npy`` arrays), read back by
a decoder that rebuilds only the closed set of result types and never unpickles. A file of the
old pickle format (``initaudit-cache 1``, ``*.pkl``), or any other file, is never deserialised:
:func:`load` refuses it and :func:`cached` recomputes, so a file planted in a cache directory can
at worst be recomputed over. The same object gives the same bytes across runs; making the
*numbers* the same (seeds) is the caller's job.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import importlib.metadata
import json
import math
import os
import pathlib
import re
import tempfile
import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

import numpy as np

from initaudit.analysis import codehash, resultcodec
from initaudit.theory.checks import choice

#: Used when the ``initaudit`` distribution metadata is absent (e.g. ``PYTHONPATH=.`` runs);
#: keep in step with ``pyproject.toml``.
__version__ = "0.1.0"

#: Environment variable naming the cache directory.
ENV_CACHE_DIR = "INITAUDIT_CACHE"
#: Environment variable that, set to 1, turns the cache off.
ENV_NO_CACHE = "INITAUDIT_NO_CACHE"

# First line of every cache file; the trailing digit is the file-format version (1 held pickles
# and is never read).
MAGIC = b"initaudit-cache 2\n"
#: First line of the old pickle format: such files are refused, never unpickled.
OLD_MAGIC = b"initaudit-cache 1\n"
#: File name suffix of a cached result.
SUFFIX = ".result"
#: Suffix of the per-result lock files (``.<key>.lock``).
LOCK_SUFFIX = ".lock"
#: Suffix of the old pickle files (reported stale by :func:`scan`, removed by :func:`prune`).
OLD_SUFFIX = ".pkl"

# mkstemp creates files readable by the owner only; results and figures should get the usual
# permissions, so they are set from the process umask on commit.
_UMASK = os.umask(0)
os.umask(_UMASK)


# --------------------------------------------------------------------------------------------
# Keys


def package_version() -> str:
    """Version of the installed ``initaudit`` distribution, or :data:`__version__` without one."""
    try:
        return importlib.metadata.version("initaudit")
    except importlib.metadata.PackageNotFoundError:
        return __version__


def _canonical(value: Any, where: str) -> Any:
    """Turn a config value into plain JSON data, the same for equal configs.

    ``where`` is the field path (``config.widths[2]``) used in error messages.
    """
    # Enum before str/int: str- and int-enums are instances of those too.
    if isinstance(value, enum.Enum):
        cls = type(value)
        return {"__enum__": f"{cls.__module__}.{cls.__qualname__}.{value.name}"}
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if math.isfinite(value):
            # json writes floats with repr, the shortest string that round-trips: deterministic.
            return float(value)
        # JSON has no nan/inf; tag them so they still hash (and differ from each other).
        return {"__float__": repr(value)}
    if isinstance(value, np.generic):
        return _canonical(value.item(), where)
    if isinstance(value, np.ndarray):
        raise TypeError(
            f"cannot hash config field {where}: numpy arrays are not supported; "
            "store a tuple of numbers instead"
        )
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        # Same structure as dataclasses.asdict: a nested dataclass becomes a dict of its fields.
        return {f.name: _canonical(getattr(value, f.name), f"{where}.{f.name}")
                for f in dataclasses.fields(value)}
    if isinstance(value, (tuple, list)):
        return [_canonical(item, f"{where}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise TypeError(
                    f"cannot hash config field {where}: dict keys must be str, got {type(k).__name__}"
                )
            out[k] = _canonical(v, f"{where}[{k!r}]")
        return out
    if isinstance(value, pathlib.PurePath):
        # Hashes the path, not the file's content: a config naming an outside file should also
        # carry something that changes with it (a size, a checksum) if that matters.
        return {"__path__": value.as_posix()}
    raise TypeError(
        f"cannot hash config field {where} of type {type(value).__qualname__}; supported are "
        "None, bool, int, float, str, enum members, paths, tuples/lists, dicts with str keys "
        "and nested dataclasses"
    )


def _check_config(config: Any) -> None:
    if not dataclasses.is_dataclass(config) or isinstance(config, type):
        raise TypeError(
            f"a cache config must be a dataclass instance, got {type(config).__qualname__}"
        )
    if not type(config).__dataclass_params__.frozen:
        raise TypeError(
            f"{type(config).__qualname__} must be declared @dataclass(frozen=True) so that it "
            "cannot change between hashing and computing"
        )


def _class_name(config: Any) -> str:
    cls = type(config)
    return f"{cls.__module__}.{cls.__qualname__}"


def config_dict(config: Any) -> dict:
    """The canonical, JSON-ready form of a frozen dataclass config.

    Args:
        config: a frozen dataclass instance.

    Returns:
        Its fields as plain JSON data (the structure of ``dataclasses.asdict``).

    Raises:
        TypeError: if ``config`` is not a frozen dataclass or holds an unsupported type.
    """
    _check_config(config)
    return _canonical(config, type(config).__qualname__)


def cache_key(config: Any) -> str:
    """Content hash naming the result of ``config``.

    Args:
        config: a frozen dataclass instance.

    Returns:
        A 64-character hex sha256 over the package version, the config's class name, the
        canonical JSON of its fields, the hash of the code that computes it and the versions of
        torch, numpy and scipy (and the thread override, when one is set, and the device,
        when it is not the CPU: :func:`initaudit.models.device.device_name`).

    Raises:
        TypeError: if ``config`` is not a frozen dataclass or holds an unsupported type.
    """
    blob = {
        "version": package_version(),
        "class": _class_name(config),
        "config": config_dict(config),
        "code": codehash.code_sha256(type(config).__module__),
        "libraries": codehash.library_versions(),
    }
    from initaudit.analysis.provenance import thread_override

    threads = thread_override()
    if threads is not None:
        # Only when overridden, so that the keys of ordinary runs stay as they were.
        blob["threads"] = threads
    from initaudit.models.device import device_name

    device = device_name()
    if device != "cpu":
        # Results off the CPU differ in the last bits: they never stand in for CPU ones.
        blob["device"] = device
    text = json.dumps(blob, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


# --------------------------------------------------------------------------------------------
# Where files go


def _checkout_root() -> pathlib.Path | None:
    """The source checkout this package is imported from, if any."""
    root = pathlib.Path(__file__).resolve().parents[1]
    pyproject = root / "pyproject.toml"
    try:
        if pyproject.is_file() and 'name = "initaudit"' in pyproject.read_text(encoding="utf-8"):
            return root
    except OSError:
        pass
    return None


def cache_dir() -> pathlib.Path:
    """The cache directory (not created here).

    Returns:
        ``$INITAUDIT_CACHE`` if set; else ``<checkout>/results`` when running from a source
        checkout; else ``results/`` under the current working directory.
    """
    env = os.environ.get(ENV_CACHE_DIR)
    if env:
        return pathlib.Path(env).expanduser()
    root = _checkout_root()
    return (root if root is not None else pathlib.Path.cwd()) / "results"


# The keyword argument ``cache_dir`` of :func:`cached` shadows the function; keep a second name.
_default_cache_dir = cache_dir


def cache_disabled() -> bool:
    """True when ``$INITAUDIT_NO_CACHE`` is set to a true value (1, true, yes)."""
    return os.environ.get(ENV_NO_CACHE, "").strip().lower() in {"1", "true", "yes", "on"}


def cache_path(config: Any, directory: os.PathLike | str | None = None) -> pathlib.Path:
    """File that holds (or would hold) the result of ``config``.

    Args:
        config: a frozen dataclass instance.
        directory: cache directory; :func:`cache_dir` when None.

    Returns:
        ``<directory>/<module.ConfigClass>/<key>.result``.
    """
    root = pathlib.Path(directory) if directory is not None else cache_dir()
    return root / _class_name(config) / f"{cache_key(config)}{SUFFIX}"


# --------------------------------------------------------------------------------------------
# Atomic writes (also used by the figure pipeline)


def _fsync_path(path: pathlib.Path, directory: bool = False) -> None:
    flags = os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if directory else 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        if directory:  # some filesystems cannot open directories; the rename is still atomic
            return
        raise
    try:
        os.fsync(fd)
    except OSError:
        if not directory:
            raise
    finally:
        os.close(fd)


@contextmanager
def atomic_output(path: os.PathLike | str) -> Iterator[pathlib.Path]:
    """Write a file under a temporary name and rename it into place on success.

    The temporary file is in the same directory (so the rename is atomic) and is removed if the
    block raises, including KeyboardInterrupt. A hard kill can leave a ``.<name>.*.tmp`` file
    behind, never a partial file under the final name.

    Args:
        path: the final file name; its directory is created if needed.

    Yields:
        The temporary path to write to (it exists, empty).
    """
    path = pathlib.Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:  # named by the file asked for, not the temporary one
        raise type(exc)(exc.errno, f"cannot write there ({exc.strerror})", str(path)) from None
    os.close(fd)
    tmp = pathlib.Path(name)
    try:
        yield tmp
        _fsync_path(tmp)
        os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_path(path.parent, directory=True)


def atomic_write_bytes(path: os.PathLike | str, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (temp file, flush, fsync, rename).

    Args:
        path: destination file.
        data: the complete content.
    """
    with atomic_output(path) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())


def atomic_write_text(path: os.PathLike | str, text: str) -> None:
    """Write UTF-8 ``text`` to ``path`` atomically; see :func:`atomic_write_bytes`."""
    atomic_write_bytes(path, text.encode("utf-8"))


# --------------------------------------------------------------------------------------------
# File format


class CorruptCacheError(Exception):
    """A cache file is unreadable, truncated, or does not match its header."""


class CacheDirError(Exception):
    """The cache directory cannot be used (not a directory, not writable)."""


def check_cache_dir(directory: os.PathLike | str | None = None, *, write: bool = True) -> None:
    """Check, before any work, that the cache directory can hold results.

    Creates it when missing, then (``write=True``) creates and removes a file in it; so a command
    fails at once, saying why, instead of after its computation. Nothing is checked when the cache
    is off (``$INITAUDIT_NO_CACHE``).

    Raises:
        CacheDirError: the path is not a directory, cannot be created or is not writable.
    """
    if cache_disabled():
        return
    root = pathlib.Path(directory) if directory is not None else cache_dir()
    hint = (f"set ${ENV_CACHE_DIR} to a writable directory, or ${ENV_NO_CACHE}=1 to run "
            "without a cache")
    if root.exists() and not root.is_dir():
        raise CacheDirError(f"the cache directory {root} is not a directory; {hint}")
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CacheDirError(f"cannot create the cache directory {root} "
                            f"({exc.strerror or exc}); {hint}") from None
    if not root.is_dir():
        raise CacheDirError(f"the cache directory {root} is not a directory; {hint}")
    if not write:
        return
    try:
        fd, name = tempfile.mkstemp(dir=root, prefix=".write-check.", suffix=".tmp")
        os.close(fd)
        os.unlink(name)
    except OSError as exc:
        raise CacheDirError(f"the cache directory {root} is not writable "
                            f"({exc.strerror or exc}); {hint}") from None


def save(path: os.PathLike | str, config: Any, obj: Any, *,
         provenance: dict | None = None, extra: dict | None = None) -> None:
    """Write ``obj`` as the cached result of ``config`` (atomically, with a checked header).

    Args:
        path: destination file (normally :func:`cache_path`).
        config: the frozen dataclass config the result belongs to.
        obj: a result of the closed set of :mod:`initaudit.analysis.resultcodec` (others raise
            :class:`~initaudit.analysis.resultcodec.UnsupportedResultError`, naming the type and
            where it sits, before anything is written).
        provenance: what computed it (:func:`analysis.provenance.collect`); collected now
            when None.
        extra: further JSON-ready header fields (the figure pipeline stores the provenance of
            the cells a figure read).
    """
    from initaudit.analysis import provenance as prov

    payload = resultcodec.encode(obj)
    header = {
        "key": cache_key(config),
        "class": _class_name(config),
        "module": type(config).__module__,
        "code_sha256": codehash.code_sha256(type(config).__module__),
        "libraries": codehash.library_versions(),
        "config": config_dict(config),
        "provenance": provenance if provenance is not None else prov.collect(),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "payload_bytes": len(payload),
        "encoding": "initaudit-result 1 (zip: tree.json + npy)",
        "payload_sha256": hashlib.sha256(payload).hexdigest(),
        **(extra or {}),
    }
    # One line: json.dumps escapes newlines inside strings, so the header cannot contain one.
    line = json.dumps(header, sort_keys=True, ensure_ascii=True).encode("ascii") + b"\n"
    atomic_write_bytes(path, MAGIC + line + payload)


def read_header(path: os.PathLike | str) -> dict:
    """The JSON header of a cache file, without reading the payload.

    Raises:
        CorruptCacheError: if the file does not start with a valid header.
    """
    with open(path, "rb") as fh:
        magic = fh.read(len(MAGIC))
        line = fh.readline()
    return _parse_header(path, magic, line)


def _parse_header(path: Any, magic: bytes, line: bytes) -> dict:
    if magic == OLD_MAGIC:
        raise CorruptCacheError(f"{path}: old pickle format, never read (the result is "
                                "recomputed)")
    if magic != MAGIC:
        raise CorruptCacheError(f"{path}: not an initaudit cache file (bad magic line)")
    if not line.endswith(b"\n"):
        raise CorruptCacheError(f"{path}: truncated header")
    try:
        header = json.loads(line)
    except ValueError as exc:
        raise CorruptCacheError(f"{path}: unreadable header ({exc})") from None
    if not isinstance(header, dict) or not {"key", "payload_bytes", "payload_sha256"} <= header.keys():
        raise CorruptCacheError(f"{path}: header lacks key/payload fields")
    return header


def load(path: os.PathLike | str, *, key: str | None = None) -> Any:
    """Read a cached result, checking it against its header.

    Args:
        path: a file written by :func:`save`.
        key: if given, the header's key must equal it.

    Returns:
        The decoded result (:func:`initaudit.analysis.resultcodec.decode`; nothing in the file is
        executed).

    Raises:
        FileNotFoundError: if ``path`` does not exist.
        CorruptCacheError: if the file is of the old pickle format or another kind, truncated,
            altered, for another key, or not a valid result archive.
    """
    header, payload = _split_checked(path, pathlib.Path(path).read_bytes())
    if key is not None and header["key"] != key:
        raise CorruptCacheError(f"{path}: holds key {header['key']}, expected {key}")
    return _decode(path, payload)


def _split_checked(where: Any, raw: bytes) -> tuple[dict, bytes]:
    """``(header, payload)`` of a cache file's bytes, the payload checked against the header's
    length and sha256 (``where`` names the file in errors)."""
    magic, rest = raw[: len(MAGIC)], raw[len(MAGIC):]
    newline = rest.find(b"\n")
    header = _parse_header(where, magic, rest[: newline + 1] if newline >= 0 else rest)
    payload = rest[newline + 1:]
    if len(payload) != header["payload_bytes"]:
        raise CorruptCacheError(
            f"{where}: truncated payload ({len(payload)} of {header['payload_bytes']} bytes)")
    if hashlib.sha256(payload).hexdigest() != header["payload_sha256"]:
        raise CorruptCacheError(f"{where}: payload does not match its sha256")
    return header, payload


def _decode(where: Any, payload: bytes) -> Any:
    try:
        return resultcodec.decode(payload)
    except resultcodec.ResultDecodeError as exc:
        raise CorruptCacheError(f"{where}: not a valid result ({exc})") from None


# --------------------------------------------------------------------------------------------
# Bookkeeping

#: What happened to one request: ``cached`` (read from disk), ``computed`` (nothing on disk),
#: ``recomputed`` (the file was corrupt), ``forced`` (force=True), ``uncached`` (cache off).
STATUSES = ("cached", "computed", "recomputed", "forced", "uncached")


@dataclass
class CacheEvent:
    """One request to the cache.

    Attributes:
        label: a short human name (the config class, or what the caller passed).
        key: the cache key.
        status: one of :data:`STATUSES`.
        seconds: wall time spent computing or loading.
        path: the file read or written, None when the cache is off.
    """

    label: str
    key: str
    status: str
    seconds: float
    path: pathlib.Path | None

    @property
    def was_computed(self) -> bool:
        return self.status != "cached"


@dataclass
class CacheStats:
    """Counts of computed versus cached results, for the end-of-run summary."""

    events: list[CacheEvent] = field(default_factory=list)

    def record(self, event: CacheEvent) -> None:
        self.events.append(event)

    @property
    def computed(self) -> int:
        return sum(e.was_computed for e in self.events)

    @property
    def hits(self) -> int:
        return sum(not e.was_computed for e in self.events)

    def reset(self) -> None:
        self.events.clear()

    def summary(self) -> str:
        """One line, e.g. ``cache: 2 computed (41.3 s), 5 cached (0.2 s)``."""
        t_comp = sum(e.seconds for e in self.events if e.was_computed)
        t_hit = sum(e.seconds for e in self.events if not e.was_computed)
        return f"cache: {self.computed} computed ({t_comp:.1f} s), {self.hits} cached ({t_hit:.1f} s)"


#: Process-wide statistics; ``initaudit reproduce`` prints :meth:`CacheStats.summary`.
STATS = CacheStats()

#: Environment variable that, set to 1, recomputes every result once in each process
#: (``--force`` of ``reproduce`` and ``figures``, so that it reaches every experiment cell and
#: Monte-Carlo ensemble inside the figures, not only the figure jobs).
ENV_FORCE = "INITAUDIT_FORCE"
_FORCED: set[str] = set()


def force_pending(key: str) -> bool:
    """True the first time ``key`` is asked for in this process while ``$INITAUDIT_FORCE`` is set.

    A result used by several figures is then recomputed once per run, not once per figure.
    """
    if os.environ.get(ENV_FORCE, "").strip().lower() not in {"1", "true", "yes", "on"}:
        return False
    if key in _FORCED:
        return False
    _FORCED.add(key)
    return True


# --------------------------------------------------------------------------------------------
# What is in a cache directory


#: Statuses of :func:`scan`.
SCAN_STATUSES = ("current", "stale", "corrupt", "partial")


def file_status(path: os.PathLike | str) -> tuple[str, str]:
    """``(status, reason)`` of one cache file, reading only its header.

    ``current``: made by the code and libraries installed now (its key can be asked for again);
    ``stale``: made by other code, libraries, package version or file format, so never read
    again; ``corrupt``: no valid header; ``partial``: a temporary file a killed run left.
    """
    path = pathlib.Path(path)
    if path.name.endswith(".tmp"):
        return "partial", "temporary file of an interrupted write"
    if path.name.endswith(LOCK_SUFFIX):
        return "partial", "lock file of an interrupted run"
    if path.suffix == OLD_SUFFIX:
        return "stale", "old pickle format, never read"
    try:
        header = read_header(path)
    except (CorruptCacheError, OSError) as exc:
        return "corrupt", str(exc)
    module = header.get("module")
    if module is None or "code_sha256" not in header:
        return "stale", "made before results were keyed on their code"
    if header.get("provenance", {}).get("initaudit") != package_version():
        return "stale", "made by another package version"
    if header["code_sha256"] != codehash.code_sha256(module):
        return "stale", f"the code of {module} or of a module it imports changed"
    if header.get("libraries") != codehash.library_versions():
        return "stale", "made with other versions of torch, numpy or scipy"
    return "current", ""


def scan(directory: os.PathLike | str | None = None) -> list[dict]:
    """Every file of a cache directory with its :func:`file_status`.

    Returns:
        ``[{"path", "class", "status", "reason", "bytes"}, ...]`` sorted by path; empty when the
        directory does not exist.
    """
    root = pathlib.Path(directory) if directory is not None else cache_dir()
    if not root.is_dir():
        return []
    rows = []
    for path in sorted(root.glob("*/*")):
        if not path.is_file() or not (path.suffix in (SUFFIX, OLD_SUFFIX)
                                      or path.name.endswith(".tmp")
                                      or path.name.endswith(LOCK_SUFFIX)):
            continue
        if path.name.endswith(LOCK_SUFFIX) and _lock_held(path):
            continue  # a run is computing this result now
        status, reason = file_status(path)
        rows.append({"path": str(path), "class": path.parent.name, "status": status,
                     "reason": reason, "bytes": path.stat().st_size})
    return rows


def _lock_held(path: pathlib.Path) -> bool:
    """Whether another process holds this lock file now."""
    import filelock

    lock = filelock.FileLock(str(path), timeout=0)
    try:
        lock.acquire()
    except filelock.Timeout:
        return True
    except OSError:
        return False
    lock.release()
    return False


def prune(directory: os.PathLike | str | None = None) -> list[dict]:
    """Remove the stale, corrupt and partial files of :func:`scan`; returns the rows removed."""
    removed = []
    for row in scan(directory):
        if row["status"] != "current":
            pathlib.Path(row["path"]).unlink(missing_ok=True)
            removed.append(row)
    return removed


# --------------------------------------------------------------------------------------------
# Sharing results: export and import


#: A member of an exported archive: ``<module.ConfigClass>/<key>.result``.
_MEMBER = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*/[0-9a-f]{64}\.result$")
#: Largest member an import reads (a guard against archives that expand without bound).
MAX_IMPORT_BYTES = 4 << 30


def export_results(archive: os.PathLike | str, directory: os.PathLike | str | None = None, *,
                   only_current: bool = True) -> list[str]:
    """Write the cache's results into one ZIP archive (atomically) and return its members.

    Args:
        archive: the archive to write.
        directory: the cache directory; :func:`cache_dir` when None.
        only_current: only the results the installed code would read (see :func:`scan`).
    """
    import zipfile

    rows = [r for r in scan(directory) if pathlib.Path(r["path"]).suffix == SUFFIX
            and r["status"] in (("current",) if only_current else ("current", "stale"))]
    names = []
    with atomic_output(archive) as tmp:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED) as zf:
            for r in rows:
                path = pathlib.Path(r["path"])
                name = f"{path.parent.name}/{path.name}"
                zf.write(path, name)
                names.append(name)
    return names


def _check_member(name: str, data: bytes) -> None:
    """Validate one exported result completely (header, checksum, key, decoded payload)."""
    if not _MEMBER.match(name):
        raise CorruptCacheError(f"{name}: not a result file name (<module.Class>/<sha256>.result)")
    cls, file = name.split("/")
    header, payload = _split_checked(name, data)
    if header.get("class") != cls or header.get("key") != file[: -len(SUFFIX)]:
        raise CorruptCacheError(f"{name}: its header names another result")
    _decode(name, payload)


def import_results(archive: os.PathLike | str,
                   directory: os.PathLike | str | None = None) -> dict[str, list]:
    """Read an archive of :func:`export_results` into the cache, validating every file first.

    A member is written (atomically) only after its header, checksum and whole payload have been
    checked; nothing in it is executed. Files already present are kept.

    Returns:
        ``{"imported": [names], "present": [names], "refused": [(name, reason)]}``.

    Raises:
        CorruptCacheError: the archive itself cannot be read.
    """
    import zipfile

    root = pathlib.Path(directory) if directory is not None else cache_dir()
    out: dict[str, list] = {"imported": [], "present": [], "refused": []}
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        raise CorruptCacheError(f"{archive}: not a results archive ({exc})") from None
    with zf:
        for info in zf.infolist():
            name = info.filename
            if info.is_dir():
                continue
            try:
                if info.file_size > MAX_IMPORT_BYTES:
                    raise CorruptCacheError(f"{name}: {info.file_size} bytes, more than a result "
                                            f"may hold ({MAX_IMPORT_BYTES})")
                data = zf.read(info)
                _check_member(name, data)
            except (CorruptCacheError, zipfile.BadZipFile, OSError, EOFError) as exc:
                out["refused"].append((name, str(exc)))
                continue
            target = root / name
            if target.exists():
                out["present"].append(name)
                continue
            atomic_write_bytes(target, data)
            out["imported"].append(name)
    return out


def cached_with_event(
    config: Any,
    fn: Callable[[Any], Any],
    *,
    force: bool = False,
    cache_dir: os.PathLike | str | None = None,
    label: str | None = None,
    header_extra: Callable[[], dict] | None = None,
) -> tuple[Any, CacheEvent]:
    """Like :func:`cached`, also returning what happened (also recorded in :data:`STATS`).

    ``header_extra``, when given, is called after a computation for further header fields
    (see :func:`save`).
    """
    key = cache_key(config)  # validates the config before any work
    label = label or type(config).__qualname__
    start = time.perf_counter()
    force = force_pending(key) or force

    if cache_disabled():
        value = fn(config)
        event = CacheEvent(label, key, "uncached", time.perf_counter() - start, None)
        STATS.record(event)
        return value, event

    root = pathlib.Path(cache_dir) if cache_dir is not None else _default_cache_dir()
    path = root / _class_name(config) / f"{key}{SUFFIX}"
    status = "forced" if force else "computed"

    def read() -> tuple[Any, CacheEvent] | None:
        nonlocal status
        try:
            value = load(path, key=key)
        except FileNotFoundError:
            return None
        except CorruptCacheError as exc:
            warnings.warn(f"corrupt cache file {path} ({exc}); recomputing", stacklevel=4)
            status = "recomputed"
            return None
        event = CacheEvent(label, key, "cached", time.perf_counter() - start, path)
        STATS.record(event)
        return value, event

    if not force and path.exists():
        hit = read()
        if hit is not None:
            return hit

    # One computation per key across processes sharing the cache: the others wait, then read.
    with _key_lock(path) as locked:
        if not force and locked and path.exists():
            hit = read()
            if hit is not None:
                return hit
        value, record, t_fn = compute(config, fn)
        extra = header_extra() if header_extra is not None else {}
        _save_or_warn(path, config, value, record, t_fn, extra)
    event = CacheEvent(label, key, status, time.perf_counter() - start, path)
    STATS.record(event)
    return value, event


def compute(config: Any, fn: Callable[[Any], Any]) -> tuple[Any, dict, float]:
    """``fn(config)`` with what :func:`save` records beside it, without touching the cache.

    For a worker that cannot reach the cache directory (a node of a cluster without shared
    storage): it returns the result and the driver stores it with :func:`store`.

    Returns:
        ``(value, provenance, seconds)``: the result, the provenance record of the computation
        (:func:`analysis.provenance.collect`, with the thread count it set) and its wall time.
    """
    from initaudit.analysis import provenance as prov

    start = time.perf_counter()
    with prov.recording() as threads:
        value = fn(config)
    seconds = time.perf_counter() - start
    # The thread count the computation set (torch_threads reports it), else the current one.
    return value, prov.collect(max(threads) if threads else None), seconds


def store(config: Any, value: Any, provenance: dict, seconds: float, *,
          cache_dir: os.PathLike | str | None = None, status: str = "computed",
          label: str | None = None) -> CacheEvent:
    """Write a result computed elsewhere (:func:`compute`) as the cached result of ``config``.

    A write that fails warns and keeps nothing, as in :func:`cached_with_event`. The event is
    returned, not recorded in :data:`STATS` (the caller that gathers results records it).

    Args:
        config: the cell's config.
        value: its result.
        provenance: the record :func:`compute` returned with it.
        seconds: its wall time (header field ``compute_seconds``).
        cache_dir: cache directory; :func:`cache_dir` when None.
        status: the event's status (``computed`` or ``forced``).
        label: the event's label; the config's class name when None.
    """
    status = choice(status, ("computed", "forced"), "status")
    path = cache_path(config, cache_dir)
    with _key_lock(path):
        _save_or_warn(path, config, value, provenance, seconds, {})
    return CacheEvent(label or type(config).__qualname__, cache_key(config), status, seconds,
                      path)


def _save_or_warn(path: pathlib.Path, config: Any, value: Any, provenance: dict, seconds: float,
                  extra: dict) -> None:
    try:
        # The wall time goes in the header, never in the result: the same computation gives
        # the same payload bytes.
        save(path, config, value, provenance=provenance,
             extra={**extra, "compute_seconds": round(seconds, 3)})
    except OSError as exc:
        # The result is kept for this run; only its file is missing.
        warnings.warn(f"could not write the cache file {path} ({exc.strerror or exc}); "
                      "the result is used but not kept", stacklevel=4)


@contextmanager
def _key_lock(path: pathlib.Path) -> Iterator[bool]:
    """Hold an inter-process lock on one result file (``.<key>.lock`` beside it); yields whether
    it is held. Where no lock file can be made (a read-only directory), the block runs unlocked:
    the result is computed all the same, and :func:`save` then reports why it cannot be kept."""
    import filelock

    lock = filelock.FileLock(str(path.parent / f".{path.stem}{LOCK_SUFFIX}"))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        lock.acquire()
    except OSError:
        yield False
        return
    try:
        yield True
    finally:
        # The holder removes the file: a run that waited on it, or one that makes a new lock file
        # now, finds the result written first (it is looked for again under the lock).
        pathlib.Path(lock.lock_file).unlink(missing_ok=True)
        lock.release()


def cached(
    config: Any,
    fn: Callable[[Any], Any],
    *,
    force: bool = False,
    cache_dir: os.PathLike | str | None = None,
) -> Any:
    """Return ``fn(config)``, computing it only if no valid result is cached.

    Args:
        config: a frozen dataclass describing the experiment completely.
        fn: ``fn(config) -> result``; the result must be of the closed set of
            :mod:`initaudit.analysis.resultcodec`.
        force: recompute and overwrite even if a valid result exists.
        cache_dir: cache directory; :func:`cache_dir` (``$INITAUDIT_CACHE``) when None.

    Returns:
        The result, from disk or freshly computed.

    Raises:
        TypeError: if ``config`` is not a frozen dataclass of supported field types.
        Whatever ``fn`` raises; nothing is written then.
    """
    value, _ = cached_with_event(config, fn, force=force, cache_dir=cache_dir)
    return value
