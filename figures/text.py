"""Numbers and words for the paper's generated sentences, shared by the figure modules.

Figure modules never import one another; what several of them print the same way lives here:
numbers for the text and for LaTeX, the word for where a 95% interval lies, and macro-name
pieces. A word here *describes* an interval; a claim's verdict is the ledger's
(:func:`initaudit.analysis.claims.verdict`), never re-derived here.
"""

from __future__ import annotations

import math

_WORDS = {1: "One", 2: "Two", 3: "Three", 4: "Four", 5: "Five", 6: "Six", 8: "Eight",
          12: "Twelve", 16: "Sixteen", 24: "TwentyFour", 32: "ThirtyTwo", 64: "SixtyFour"}


def _finite(*values) -> bool:
    return all(v is not None and math.isfinite(float(v)) for v in values)


# -- numbers ---------------------------------------------------------------------------------


def fmt(value: float, digits: int = 2, signed: bool = False) -> str:
    """A number for the text (``n/a`` when not finite)."""
    if not _finite(value):
        return "n/a"
    return f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"


def tex_number(x: float, digits: int = 2, *, significant: bool = False, signed: bool = False,
               missing: str = "n/a") -> str:
    """The one number formatter of the paper's LaTeX.

    Args:
        x: the number.
        digits: decimals (fixed point), or significant digits when ``significant``.
        significant: ``digits`` significant digits instead of decimals.
        signed: a leading ``+`` for positive numbers.
        missing: what a non-finite number (or None) prints as.

    Returns:
        Fixed or significant-digit text with the signs as ``\\ensuremath{-}`` and
        ``\\ensuremath{+}`` (running text sets a hyphen for a bare ``-``; these read right in text
        and in math mode alike). A non-zero number that would print as zero, or one that
        significant digits write with an exponent, is set as ``m\times 10^{e}`` in math mode,
        with one decimal in ``m`` (``digits - 1`` with ``significant``).
    """
    if not _finite(x):
        return missing
    x = float(x)
    sign = "+" if signed else ""
    body = f"{x:{sign}.{digits}g}" if significant else f"{x:{sign}.{digits}f}"
    tiny = x != 0 and not significant and float(body) == 0
    if tiny or "e" in body:
        places = max(digits - 1, 0) if significant else 1
        # Python's own scientific form rounds the mantissa (9.96 -> 1.0e+01) and reaches the
        # subnormals (5e-324), where 10 ** exp underflows to zero
        mantissa, exp = f"{x:{sign}.{places}e}".split("e")
        return f"\\ensuremath{{{mantissa}\\times 10^{{{int(exp)}}}}}"
    return body.replace("-", r"\ensuremath{-}").replace("+", r"\ensuremath{+}")


def signed_tex(x: float, digits: int = 2) -> str:
    """A signed number for running LaTeX text (:func:`tex_number` with ``signed``)."""
    return tex_number(x, digits, signed=True)


def plain_tex(x: float, digits: int = 2) -> str:
    """A number for running LaTeX text (:func:`tex_number`)."""
    return tex_number(x, digits)


def interval_tex(lo: float, hi: float, digits: int = 2) -> str:
    """``[lo, hi]`` for running LaTeX text."""
    return f"[{plain_tex(lo, digits)}, {plain_tex(hi, digits)}]"


def number_word(n: int) -> str:
    """A letters-only word for a small integer (macro names cannot hold digits)."""
    if n in _WORDS:
        return _WORDS[n]
    digits = ("Zero", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine")
    return "".join(digits[int(d)] for d in str(int(n)))


def camel(text: str) -> str:
    """``sgd_no-freq`` -> ``SgdNoFreq`` (a macro-name piece)."""
    return "".join(part.capitalize() for part in text.replace("-", "_").split("_"))


def list_words(items) -> str:
    """``a, b and c``."""
    items = [str(i) for i in items]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


# -- where an interval lies --------------------------------------------------------------------


def effect_word(lo: float, hi: float, higher: str = "higher than", lower: str = "lower than",
                same: str = "indistinguishable from") -> str:
    """``higher than`` when the interval lies above 0, ``lower than`` below it, else
    ``indistinguishable from`` (``not comparable with`` when it is not finite)."""
    if not _finite(lo, hi):
        return "not comparable with"
    return higher if lo > 0 else lower if hi < 0 else same


def sign_word(lo: float, hi: float) -> str:
    """For a difference claimed positive: ``supported`` (interval above 0), ``not supported``
    (below 0) or ``undecided``; the words of the fitting sections' per-depth sentences."""
    if not _finite(lo, hi):
        return "undecided"
    return "supported" if lo > 0 else "not supported" if hi < 0 else "undecided"


def against_value(lo: float, hi: float, value: float) -> str:
    """Where a 95% interval lies relative to a claimed value: ``falls short of``, ``is
    consistent with`` or ``exceeds`` (``is undetermined for`` without an interval)."""
    if not _finite(lo, hi):
        return "is undetermined for"
    if hi < value:
        return "falls short of"
    if lo > value:
        return "exceeds"
    return "is consistent with"


def against_zero(lo: float, hi: float) -> str:
    """Where a 95% interval lies relative to zero: ``lies below``, ``lies above`` or
    ``includes`` (``cannot be placed against`` without an interval)."""
    if not _finite(lo, hi):
        return "cannot be placed against"
    if hi < 0:
        return "lies below"
    if lo > 0:
        return "lies above"
    return "includes"


def interval_macros(prefix: str, record, digits: int = 2, signed: bool = True) -> dict[str, str]:
    """``{prefix: mean, prefix Lo: lo, prefix Hi: hi, prefix Word: effect word}``."""
    return {prefix: fmt(record["mean"], digits, signed),
            f"{prefix}Lo": fmt(record["lo"], digits, signed),
            f"{prefix}Hi": fmt(record["hi"], digits, signed),
            f"{prefix}Word": effect_word(float(record["lo"]), float(record["hi"]))}


__all__ = ["against_value", "against_zero", "camel", "effect_word", "fmt", "interval_macros",
           "interval_tex", "list_words", "number_word", "plain_tex", "sign_word", "signed_tex"]
