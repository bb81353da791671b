"""Where computations run: one rule for every measurement and training run.

Importing this module does not import torch (the command line reads :data:`DEVICES`).

``$INITAUDIT_DEVICE`` (``--device`` of ``initaudit experiment`` and ``initaudit reproduce``)
is ``auto`` (the default: CUDA when torch sees a GPU, else the CPU), ``cpu`` or ``cuda``.
Networks and data are drawn on the CPU first and then moved, so a seed gives the same initial
networks on every device; trained results differ across devices in the last bits, which is why
the result cache keys a result computed off the CPU by its device
(:func:`initaudit.analysis.cache.cache_key`).
"""

from __future__ import annotations

import functools
import os

from initaudit.theory.checks import choice

#: Environment variable naming the device of every computation.
ENV_DEVICE = "INITAUDIT_DEVICE"
#: Accepted device names.
DEVICES = ("auto", "cpu", "cuda")


@functools.lru_cache(maxsize=None)
def _cuda() -> bool:
    import torch

    return bool(torch.cuda.is_available())


def device_name(name: str | None = None) -> str:
    """The device a computation runs on, ``"cpu"`` or ``"cuda"``.

    Args:
        name: ``auto``, ``cpu`` or ``cuda``; None reads ``$INITAUDIT_DEVICE`` (``auto`` when
            unset or empty).

    Raises:
        ValueError: an unknown name, or ``cuda`` asked for where torch sees no GPU.
    """
    if name is None:
        name = os.environ.get(ENV_DEVICE, "").strip() or "auto"
    choice(name, DEVICES, "device")
    if name == "auto":
        return "cuda" if _cuda() else "cpu"
    if name == "cuda" and not _cuda():
        raise ValueError("device 'cuda' was asked for but torch sees no CUDA device here; "
                         "valid devices on this machine are auto, cpu")
    return name


def resolve_device(name=None):
    """:func:`device_name` as a :class:`torch.device` (a ``torch.device`` is returned as is)."""
    import torch

    if isinstance(name, torch.device):
        return name
    return torch.device(device_name(name))


__all__ = ["DEVICES", "ENV_DEVICE", "device_name", "resolve_device"]
