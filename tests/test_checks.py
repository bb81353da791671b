"""theory.checks: the one set of argument checks (every layer's messages come from here)."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from initaudit.theory import checks


@given(st.integers(min_value=1, max_value=10**9))
def test_positive_int_accepts_every_positive_integer(n):
    assert checks.positive_int(n, "n") == n
    assert checks.positive_int(np.int64(n), "n") == n and type(checks.positive_int(np.int64(n), "n")) is int


@pytest.mark.parametrize("bad", [0, -3, True, 2.0, "3", None, 1.5])
def test_positive_int_refuses(bad):
    with pytest.raises(ValueError, match=r"width must be a positive integer, got"):
        checks.positive_int(bad, "width")


@pytest.mark.parametrize("bad", [0.0, -1.0, math.inf, math.nan, "x", None, True])
def test_positive_float_refuses(bad):
    with pytest.raises(ValueError, match="lr must be a positive finite number"):
        checks.positive_float(bad, "lr")


def test_choice_lists_the_valid_values_with_a_plural():
    assert checks.choice("a", ("a", "b"), "mode") == "a"
    with pytest.raises(ValueError, match="unknown nonlinearity 'x'; valid nonlinearities are a, b"):
        checks.choice("x", ("a", "b"), "nonlinearity")
    assert [checks.plural(w) for w in ("mode", "key", "bias", "depth")] == [
        "modes", "keys", "biases", "depths"]


def test_optional_and_positive_ints():
    assert checks.optional(checks.positive_int, None, "n", 7) == 7
    assert checks.positive_ints([1, np.int32(2)], "depths") == (1, 2)
    with pytest.raises(ValueError, match="depths must hold at least one"):
        checks.positive_ints([], "depths")


@given(st.integers(min_value=-5, max_value=50), st.integers(min_value=1, max_value=20))
def test_int_at_least_accepts_exactly_the_integers_from_its_minimum(n, minimum):
    if n >= minimum:
        assert checks.int_at_least(n, minimum, "seeds") == n
    else:
        need = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        with pytest.raises(ValueError, match=f"seeds must be {need}, got {n}"):
            checks.int_at_least(n, minimum, "seeds")


def test_no_layer_writes_its_own_positive_integer_check():
    """Every 'must be a positive integer' message comes from theory.checks."""
    import pathlib

    root = pathlib.Path(checks.__file__).resolve().parents[1]
    own = []
    for folder in ("theory", "models", "analysis", "figures"):
        for path in (root / folder).rglob("*.py"):
            if path.name == "checks.py" and folder == "theory":
                continue
            for i, line in enumerate(path.read_text().splitlines(), 1):
                if "must be a positive integer" in line:
                    own.append(f"{path.relative_to(root)}:{i}")
    assert not own, "inline positive-integer checks: " + ", ".join(own)
