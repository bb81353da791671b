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
