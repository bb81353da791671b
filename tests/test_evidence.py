"""analysis.evidence: the one record type between experiments and the ledger."""

import json
import math

import numpy as np
import pytest

from initaudit.analysis import stats
from initaudit.analysis.evidence import FIELDS, Evidence


def test_of_a_paired_difference_keeps_its_numbers():
    a = np.array([1.0, 2.0, 3.0, 4.0])
    b = a + np.array([0.5, 0.7, 0.4, 0.6])
    r = stats.paired_difference(a, b)
    ev = Evidence.of(r, "points", "b minus a", setting="s1", best_other="a")
    assert (ev.mean, ev.lo, ev.hi, ev.n, ev.p) == (r["mean"], r["lo"], r["hi"], r["n"], r["p"])
    assert ev["mean"] == ev.mean and ev.get("best_other") == "a" and ev["setting"] == "s1"
    assert list(ev)[:len(FIELDS)] == list(FIELDS)
    assert math.isclose(ev.mean, 0.55, rel_tol=0, abs_tol=1e-12)  # float64 sum of 4 numbers


def test_a_result_without_an_interval_is_refused():
    with pytest.raises(KeyError, match="needs lo, hi"):
        Evidence.of({"mean": 1.0, "n": 3}, "u", "w")


@pytest.mark.parametrize("kwargs, error, match", [
    ({"n": -1}, ValueError, "n must be >= 0"),
    ({"n": 2.5}, TypeError, "whole number"),
    ({"n": True}, TypeError, "whole number"),
    ({"lo": 2.0, "hi": 1.0}, ValueError, "reversed"),
    ({"mean": "x"}, TypeError, "mean must be a number"),
    ({"extra": {"mean": 3}}, ValueError, "standard fields"),
])
def test_bad_fields_get_a_clear_error(kwargs, error, match):
    base = {"mean": 1.0, "lo": 0.0, "hi": 2.0, "n": 3}
    with pytest.raises(error, match=match):
        Evidence(**{**base, **kwargs})


def test_nan_interval_is_allowed_and_numpy_scalars_become_python_numbers():
    ev = Evidence(np.float64(1.0), math.nan, math.nan, np.int64(4))
    assert type(ev.mean) is float and type(ev.n) is int and math.isnan(ev.lo)


def test_json_round_trip_through_coerce():
    ev = Evidence(0.3, 0.1, 0.5, 5, 0.01, "dB", "what", None, {"claimed": 4.8})
    back = Evidence.coerce(json.loads(json.dumps(dict(ev))))
    assert back == ev and back.extra == {"claimed": 4.8}
    assert Evidence.coerce(None) is None and Evidence.coerce(ev) is ev


def test_a_record_equals_its_pickle_and_its_json_form_in_experiment_output():
    import pickle

    from initaudit.analysis.experiment import _jsonable

    ev = Evidence(0.3, 0.1, 0.5, 5, unit="dB", what="w", extra={"claimed": 4.8})  # p is NaN
    assert pickle.loads(pickle.dumps(ev)) == ev
    flat = _jsonable({"evidence": {"k": ev}})["evidence"]["k"]
    assert "extra" not in flat and flat["claimed"] == 4.8 and Evidence.coerce(flat) == ev
