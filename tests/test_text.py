"""figures.text.tex_number, the one number formatter of the paper's LaTeX: what it prints reads
back as the number, to the precision asked for, in text and in math mode alike."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from initaudit.figures import text

_SCI = re.compile(r"\\ensuremath\{([+-]?\d+(?:\.\d+)?)\\times 10\^\{(-?\d+)\}\}")


def _read_back(tex: str) -> float:
    """The number a reader sees: signs and the m x 10^e form turned back into a float."""
    m = _SCI.fullmatch(tex)
    if m:
        return float(f"{m.group(1)}e{m.group(2)}")  # 10.0 ** -324 would underflow
    assert "$" not in tex  # no math-mode switches: the text also sits inside $...$
    return float(tex.replace(r"\ensuremath{-}", "-").replace(r"\ensuremath{+}", "+"))


@given(st.floats(min_value=-1e7, max_value=1e7, allow_nan=False), st.integers(0, 4),
       st.booleans())
def test_fixed_point_reads_back_within_half_a_unit_of_its_last_place(x, digits, signed):
    tex = text.tex_number(x, digits, signed=signed)
    got = _read_back(tex)
    if _SCI.fullmatch(tex):  # a non-zero number too small for `digits` decimals
        assert x != 0 and abs(x) < 10.0 ** -digits
        # one decimal in the mantissa: relative error at most 0.05 / 1 (plus float rounding)
        assert abs(got - x) <= 0.051 * abs(x)
    else:
        assert abs(got - x) <= 0.5 * 10.0 ** -digits * (1 + 1e-9) + 1e-12 * abs(x)
    if signed and x > 0:
        assert tex.startswith(r"\ensuremath{+}") or tex.startswith(r"\ensuremath{+")


@given(st.floats(min_value=1e-12, max_value=1e12) | st.floats(min_value=-1e12, max_value=-1e-12),
       st.integers(1, 4))
def test_significant_digits_read_back_to_their_relative_precision(x, digits):
    got = _read_back(text.tex_number(x, digits, significant=True))
    # `digits` significant digits: relative error at most half a unit of the last digit
    assert abs(got - x) <= 0.5 * 10.0 ** (1 - digits) * abs(x) * (1 + 1e-9)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, None])
def test_a_missing_number_prints_its_placeholder(bad):
    assert text.tex_number(bad) == "n/a"
    assert text.tex_number(bad, missing="--") == "--"


def test_the_text_helpers_are_the_formatter():
    assert text.plain_tex(-0.125, 2) == text.tex_number(-0.125, 2) == r"\ensuremath{-}0.12"
    assert text.signed_tex(0.5, 1) == r"\ensuremath{+}0.5"
    assert text.interval_tex(-1.0, 2.0, 1) == r"[\ensuremath{-}1.0, 2.0]"
    assert text.tex_number(0.001234, 2) == r"\ensuremath{1.2\times 10^{-3}}"
