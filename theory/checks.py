"""Argument checks shared by every layer: one wording for every bad value.

Each check returns the value in its canonical type, or raises :class:`ValueError` saying what
was wrong and what is valid. The real-number checks (:func:`finite_float`,
:func:`nonnegative_float`, :func:`real_array`) follow torch.nn.init and raise :class:`TypeError`
for a value that is not a real number at all (a string, None, a bool) and :class:`ValueError` for
a number outside the domain. They live in the lowest layer (``theory`` imports nothing but
numpy, scipy and sympy) so that models, analysis and the command line use the same ones.
"""

from __future__ import annotations

import math
import numbers
from typing import Iterable, Sequence

import numpy as np


def int_at_least(value, minimum: int, what: str) -> int:
    """``value`` as an int >= ``minimum`` (bool and non-integral numbers are refused)."""
    if (isinstance(value, bool) or not isinstance(value, numbers.Integral)) or value < minimum:
        need = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise ValueError(f"{what} must be {need}, got {value!r}")
    return int(value)


def positive_int(value, what: str) -> int:
    """``value`` as an int >= 1 (bool and non-integral numbers are refused)."""
    return int_at_least(value, 1, what)


def positive_int_text(text: str, what: str) -> int:
    """A positive integer written as text (an environment variable, a config file)."""
    try:
        value = int(str(text).strip())
    except ValueError:
        raise ValueError(f"{what} must be a positive integer, got {text!r}") from None
    if value < 1:
        raise ValueError(f"{what} must be a positive integer, got {text!r}")
    return value


def positive_ints(values: Iterable, what: str) -> tuple[int, ...]:
    """A non-empty tuple of positive ints."""
    values = tuple(values)
    if not values:
        raise ValueError(f"{what} must hold at least one positive integer, got ()")
    return tuple(positive_int(v, what) for v in values)


def positive_float(value, what: str) -> float:
    """``value`` as a finite float > 0."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a positive finite number, got {value!r}") from None
    if isinstance(value, bool) or not (math.isfinite(v) and v > 0):
        raise ValueError(f"{what} must be a positive finite number, got {value!r}")
    return v


def _real_scalar(value, what: str, need: str) -> float:
    """``value`` as a float if it is a real number (bool refused), else TypeError."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{what} must be {need}, got {value!r} of type {type(value).__name__}")
    return float(value)


def finite_float(value, what: str) -> float:
    """``value`` as a finite float (any sign)."""
    need = "a finite number"
    v = _real_scalar(value, what, need)
    if not math.isfinite(v):
        raise ValueError(f"{what} must be {need}, got {value!r}")
    return v


def nonnegative_float(value, what: str) -> float:
    """``value`` as a finite float >= 0."""
    need = "a finite number >= 0"
    v = _real_scalar(value, what, need)
    if not (math.isfinite(v) and v >= 0):
        raise ValueError(f"{what} must be {need}, got {value!r}")
    return v


def real_array(value, what: str, *, low: float = -math.inf, high: float = math.inf,
               note: str = ""):
    """``value`` (a real number or an array of them) checked to be finite and within
    ``[low, high]``; returned unchanged, so vectorised callers keep their arrays.

    TypeError for anything that is not real numbers (strings, None, bools); ValueError naming
    the first offending entry otherwise. ``note`` is appended to the stated domain (e.g. "(a
    variance)").
    """
    if low > -math.inf and high < math.inf:
        need = f"a finite number in [{low:g}, {high:g}]"
    elif low > -math.inf:
        need = f"a finite number >= {low:g}"
    elif high < math.inf:
        need = f"a finite number <= {high:g}"
    else:
        need = "a finite number"
    if note:
        need = f"{need} {note}"
    if isinstance(value, (str, bytes, bool, np.bool_)) or value is None:
        raise TypeError(f"{what} must be {need}, got {value!r} of type {type(value).__name__}")
    try:
        arr = np.asarray(value)
        if arr.dtype.kind not in "iuf":
            if arr.dtype.kind != "O":
                raise TypeError
            arr = arr.astype(np.float64)  # e.g. Fractions or sympy Floats
    except (TypeError, ValueError):
        raise TypeError(f"{what} must be {need}, got {value!r} of type "
                        f"{type(value).__name__}") from None
    bad = ~np.isfinite(arr) | (arr < low) | (arr > high)
    if np.any(bad):
        if arr.ndim == 0:
            raise ValueError(f"{what} must be {need}, got {value!r}")
        first = float(arr[bad].flat[0])
        raise ValueError(f"{what} must be {need} in every entry, got {first!r} among its "
                         f"{arr.size} entries")
    return value


def floating_tensor(tensor, fn: str):
    """``tensor`` if it is a floating-point tensor, else TypeError naming ``fn``.

    Duck-typed (``is_floating_point`` and ``dtype``) so that this module stays free of torch:
    an in-place initialiser must not write rounded values into an integer tensor.
    """
    is_floating_point = getattr(tensor, "is_floating_point", None)
    if not callable(is_floating_point) or not hasattr(tensor, "dtype"):
        raise TypeError(f"{fn} needs a floating-point torch.Tensor, got {type(tensor).__name__}")
    if not is_floating_point():
        raise TypeError(f"{fn} needs a floating-point tensor, got {tensor.dtype}")
    return tensor


def plural(word: str) -> str:
    """English plural of a noun naming an argument (``mode`` -> ``modes``,
    ``nonlinearity`` -> ``nonlinearities``)."""
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        return word[:-1] + "ies"
    return word + ("es" if word.endswith(("s", "x", "ch", "sh")) else "s")


def choice(value, valid: Sequence[str], what: str) -> str:
    """``value`` if it is one of ``valid``; the message lists them."""
    if value not in valid:
        raise ValueError(f"unknown {what} {value!r}; valid {plural(what)} are "
                         f"{', '.join(map(str, valid))}")
    return value


def optional(check, value, what: str, default):
    """``default`` when ``value`` is None, else ``check(value, what)``."""
    return default if value is None else check(value, what)


__all__ = ["choice", "finite_float", "floating_tensor", "int_at_least", "nonnegative_float", "optional", "plural",
           "positive_float", "positive_int", "positive_int_text", "positive_ints", "real_array"]
