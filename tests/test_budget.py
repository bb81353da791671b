"""Memory estimates before large requests (:mod:`initaudit.analysis.budget`).

Refusals are checked in-process (they happen before any work). Whether an estimate is an upper
bound of what the command really takes is checked against the peak resident memory of a
subprocess running it, less that of a trivial run (the interpreter, torch): the command must be
refused with the limit set to that measured peak and must run with the limit at 8 times it, so
an estimate that is too small or uselessly large fails.
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from initaudit.analysis import budget
from initaudit.figures.cli import main


def test_parse_and_format_sizes():
    assert budget.parse_size("123") == 123
    assert budget.parse_size("512M") == 512 << 20
    assert budget.parse_size("1.5g") == 3 << 29
    assert budget.parse_size("2TiB") == 2 << 40
    for bad in ("", "foo", "-1G", "1Q"):
        with pytest.raises(ValueError, match="INITAUDIT_MEMORY_LIMIT must be a size"):
            budget.parse_size(bad)
    with pytest.raises(ValueError, match="INITAUDIT_MEMORY_LIMIT must be at least 1 byte"):
        budget.parse_size("0")
    assert budget.format_bytes(3 << 30) == "3 GiB"
    assert budget.format_bytes(1536) == "1.5 KiB"
    assert budget.format_bytes(12) == "12 B"
    assert budget.format_bytes(float("inf")) == "an unbounded amount"


def test_limit_from_the_machine_or_the_environment(monkeypatch):
    monkeypatch.delenv(budget.ENV_MEMORY_LIMIT, raising=False)
    avail = budget.available_bytes()
    assert avail is not None and avail > 0  # Linux: /proc/meminfo
    limit, source = budget.memory_limit()
    assert 0 < limit <= avail and "available" in source
    monkeypatch.setenv(budget.ENV_MEMORY_LIMIT, "1M")
    assert budget.memory_limit() == (1 << 20, "$INITAUDIT_MEMORY_LIMIT")
    budget.check_memory(1 << 20, "exactly the limit", remedy="-")  # at the limit: allowed
    with pytest.raises(budget.TooLarge, match=r"needs about 2 MiB of memory, more than the 1 MiB"):
        budget.check_memory(2 << 20, "twice the limit", remedy="ask for less")


@pytest.mark.parametrize("argv, what", [
    (["weights", "--init", "sinusoidal", "--shape", "100000", "100000"], "weight tensor"),
    (["spectrum", "--weights", "--init", "siren", "--shape", "100000", "100000"], "weight tensor"),
    (["theory", "depth", "--c-w", "2.4", "--c-b", "0", "--q1", "1", "--depth", "99999999999"],
     "layers"),
    (["theory", "kernel", "--depth", "1000000000", "--c-w", "2.4", "--x", "0.1", "0.2"],
     "kernels"),
    (["theory", "finite-width", "--init", "siren", "--depth", "999999999", "--width", "8"],
     "finite-width"),
    (["theory", "jacobian", "--init", "siren", "--depth", "999999999"], "Jacobian"),
    (["propagate", "--init", "siren", "--depth", "30", "--width", "100000", "--seeds", "10"],
     "networks"),
    (["spectrum", "--init", "siren", "--depth", "3", "--width", "100000", "--seeds", "100"],
     "networks"),
    (["ntk", "--init", "siren", "--depth", "3", "--width", "64", "--points", "1000000"], "NTK"),
])
def test_requests_past_the_machine_are_refused_before_any_work(argv, what, capsys, monkeypatch):
    monkeypatch.delenv(budget.ENV_MEMORY_LIMIT, raising=False)
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith("initaudit: error: ")
    assert what in err and "of memory, more than the" in err and "INITAUDIT_MEMORY_LIMIT" in err


def _peak_bytes(argv, limit=None) -> tuple[int, int]:
    """(exit status, peak resident bytes) of ``initaudit argv`` in a fresh interpreter."""
    code = ("import resource, sys\nfrom initaudit.figures.cli import main\n"
            f"rc = main({argv!r})\n"
            "print(rc, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, "
            "file=sys.stderr)\n")
    env = {k: v for k, v in os.environ.items() if k != budget.ENV_MEMORY_LIMIT}
    # Unlimited for the measuring run (it must not depend on this machine's free memory).
    env[budget.ENV_MEMORY_LIMIT] = str(int(limit)) if limit is not None else "1024T"
    res = subprocess.run([sys.executable, "-c", code], stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True, env=env, timeout=600)
    rc, peak = res.stderr.strip().splitlines()[-1].split()
    return int(rc), int(peak)


def _check_estimate(argv):
    _, base = _peak_bytes(["weights", "--init", "siren", "--shape", "8", "8"])
    rc, peak = _peak_bytes(argv)
    assert rc == 0
    used = peak - base
    mib = f"measured {used / 2**20:.0f} MiB above a trivial run's {base / 2**20:.0f} MiB"
    assert used > 50 << 20, f"the request should be large enough to measure ({mib})"
    assert _peak_bytes(argv, limit=used)[0] == 2, f"the estimate is below the peak ({mib})"
    assert _peak_bytes(argv, limit=8 * used)[0] == 0, f"the estimate is over 8x the peak ({mib})"


def test_weight_estimate_bounds_the_measured_peak():
    _check_estimate(["weights", "--init", "siren", "--shape", "3000", "3000"])


@pytest.mark.slow
@pytest.mark.parametrize("argv", [
    ["theory", "kernel", "--depth", "20", "--c-w", "2.4", "--x",
     *map(str, np.linspace(-0.9, 0.9, 600))],
    ["propagate", "--init", "siren", "--depth", "8", "--width", "512", "--seeds", "64",
     "--points", "64"],
    ["ntk", "--init", "siren", "--depth", "3", "--width", "64", "--points", "3000"],
    ["spectrum", "--init", "siren", "--depth", "4", "--width", "256", "--seeds", "16",
     "--points", "4096", "--no-refine"],
], ids=["theory-kernel", "propagate", "ntk", "spectrum"])
def test_estimates_bound_the_measured_peak(argv):
    _check_estimate(argv)
