"""Argument checks shared by every layer: one wording for every bad value.

Each check returns the value in its canonical type, or raises :class:`ValueError` saying what
was wrong and what is valid. They live in the lowest layer (``theory`` imports nothing but
numpy, scipy and sympy) so that models, analysis and the command line use the same ones.
"""

from __future__ import annotations

import math
import numbers
from typing import Iterable, Sequence


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


__all__ = ["choice", "int_at_least", "optional", "plural", "positive_float", "positive_int", "positive_int_text",
           "positive_ints"]
