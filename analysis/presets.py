"""Experiment sizes.

Every experiment and figure takes a preset name and picks its widths, depths, seeds and training
budgets from it. There are three:

``smoke``
    Seconds per figure. The test suite runs every experiment and figure at this size, so it
    checks the plumbing (shapes, files, captions), not the science.
``cpu``
    The default main job: every figure and the paper on a 2-core machine in well under an hour.
    Large enough that the paper's conclusions can be read off it.
``paper``
    The published scale (depths 4 to 32, widths up to 4096, many seeds, full training budgets).
    Meant for a GPU.
"""

from __future__ import annotations

import math

from initaudit.theory.checks import choice

#: Valid preset names, smallest first.
PRESETS: tuple[str, ...] = ("smoke", "cpu", "paper")


def check_preset(name: str) -> str:
    """Validate a preset name.

    Args:
        name: a preset name, one of :data:`PRESETS`.

    Returns:
        The same name, so callers can write ``preset = check_preset(preset)``.

    Raises:
        ValueError: if ``name`` is not a known preset; the message lists the valid ones.
    """
    return choice(name, PRESETS, "preset")


def check_budget(budget) -> float:
    """Validate a training-budget factor (a multiple of a preset's training steps or epochs).

    Raises:
        ValueError: ``budget`` is not a finite number above 0.
    """
    try:
        value = float(budget)
    except (TypeError, ValueError):
        value = math.nan
    if isinstance(budget, bool) or not (math.isfinite(value) and value > 0):
        raise ValueError(f"budget must be a finite number above 0 (a multiple of the preset's "
                         f"training steps or epochs, 1 for the preset's own), got {budget!r}")
    return value


def scaled(n: int, budget=None) -> int:
    """``n`` training steps or epochs times the budget factor, rounded, at least 1 (``n`` itself
    when ``budget`` is None or 1).

    Raises:
        ValueError: a bad ``budget`` (:func:`check_budget`).
    """
    if budget is None:
        return int(n)
    return max(1, int(round(int(n) * check_budget(budget))))
