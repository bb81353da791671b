"""The memory a request needs, estimated before it starts, against what this machine has.

The computing commands estimate the largest arrays a request will hold (the estimates are
written beside each command, as byte counts of the arrays it allocates) and call
:func:`check_memory` before any work: a request that cannot fit is refused at once with the
estimate, what is available and how to go bigger, instead of swapping or being killed an hour
in. Time is not refused: long loops show a progress bar with the time left
(:mod:`initaudit.theory.progress`).

``$INITAUDIT_MEMORY_LIMIT`` (bytes, or with a suffix K, M, G, T: ``512M``, ``8G``) replaces the
machine's available memory as the limit, to allow more (a machine whose swap is meant to be used)
or less (a shared node).
"""

from __future__ import annotations

import math
import os
import re

#: Replaces the available memory as the limit of :func:`check_memory`.
ENV_MEMORY_LIMIT = "INITAUDIT_MEMORY_LIMIT"
#: Share of the available memory a request may take (the rest is the interpreter, torch and
#: whatever else runs).
USABLE_SHARE = 0.8

_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d*)?)\s*([KMGT]?)i?B?\s*$", re.IGNORECASE)


class TooLarge(ValueError):
    """A request needs more memory than this machine (or ``$INITAUDIT_MEMORY_LIMIT``) allows."""


def parse_size(text: str, what: str = ENV_MEMORY_LIMIT) -> int:
    """Bytes from ``"123"``, ``"512M"``, ``"8G"``, ``"1.5T"`` (binary units)."""
    match = _SIZE.match(str(text))
    if match is None:
        raise ValueError(f"{what} must be a size in bytes, optionally with a suffix K, M, G or "
                         f"T (e.g. 512M, 8G); got {text!r}")
    value = float(match.group(1)) * _UNITS[match.group(2).upper()]
    if value < 1:
        raise ValueError(f"{what} must be at least 1 byte, got {text!r}")
    return int(value)


def format_bytes(n: float) -> str:
    """``n`` bytes in the largest binary unit under it, three significant digits."""
    if not math.isfinite(n):
        return "an unbounded amount"
    for unit in ("TiB", "GiB", "MiB", "KiB"):
        size = _UNITS[unit[0]]
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{n:.0f} B"


def available_bytes() -> int | None:
    """Memory available to new allocations now: ``MemAvailable`` of ``/proc/meminfo`` (Linux),
    else the free physical pages (POSIX); None where neither is known."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, OSError, ValueError):
        return None


def memory_limit() -> tuple[int | None, str]:
    """``(bytes a request may take, where the figure comes from)``; None when unknown."""
    text = os.environ.get(ENV_MEMORY_LIMIT)
    if text:
        return parse_size(text), f"${ENV_MEMORY_LIMIT}"
    avail = available_bytes()
    if avail is None:
        return None, "unknown"
    return int(avail * USABLE_SHARE), f"{USABLE_SHARE:.0%} of the memory available now"


def check_memory(nbytes: float, what: str, *, remedy: str) -> None:
    """Refuse a request whose estimate exceeds :func:`memory_limit`.

    Args:
        nbytes: the estimate, in bytes (may be a float beyond any integer: it is not allocated).
        what: the request, e.g. ``"a 100000 x 100000 weight matrix and its SVD"``.
        remedy: how to go bigger or what to ask for instead.

    Raises:
        TooLarge: with the estimate, the limit and ``remedy``.
    """
    limit, source = memory_limit()
    if limit is None or nbytes <= limit:
        return
    raise TooLarge(f"{what} needs about {format_bytes(nbytes)} of memory, more than the "
                   f"{format_bytes(limit)} it may use here ({source}); {remedy} (or set "
                   f"{ENV_MEMORY_LIMIT} to allow more)")


#: Bytes per entry of a weight tensor whose statistics are computed: the float32 tensor, float64
#: copies for the moments, the sorted sample of the law tests and the SVD's input and workspace
#: (measured: 70 to 100 at 3000 x 3000, with the thread count; tests/test_budget.py holds it
#: above the measured peak).
WEIGHT_STATS_BYTES_PER_ENTRY = 128


def check_weight_matrix(shape) -> None:
    """Refuse a weight tensor whose statistics (moments, law tests, SVD) would not fit."""
    numel = math.prod(int(d) for d in shape)
    check_memory(numel * WEIGHT_STATS_BYTES_PER_ENTRY,
                 f"a {' x '.join(map(str, shape))} weight tensor and its statistics",
                 remedy="the statistics of a smaller matrix of the same aspect ratio describe "
                        "it (the laws are per entry, the spectra scale with the shape); use a "
                        "machine with more memory for this one")


__all__ = ["check_weight_matrix", "ENV_MEMORY_LIMIT", "TooLarge", "available_bytes", "check_memory", "format_bytes",
           "memory_limit", "parse_size"]
