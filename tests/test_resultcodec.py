"""Results as data (analysis/resultcodec.py) and a cache that never runs code from a file.

Round trips are exact (bit for bit, types and dtypes included); the decoder's refusals are tested
on hand-built archives; the forged-file tests plant, in place of real cache files, the old pickle
format, raw pickles and archives hiding a pickled object array, each of which would create a
marker file if it were ever deserialised, and run the commands that read the cache.
"""

from __future__ import annotations

import ast
import dataclasses
import hashlib
import io
import json
import math
import pathlib
import pickle
import zipfile

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from initaudit.analysis import cache, resultcodec as rc
from initaudit.analysis.evidence import Evidence
from initaudit.figures import cli

PACKAGE = pathlib.Path(__file__).resolve().parents[1]


def _same(a, b):
    assert type(a) is type(b), (type(a), type(b))
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b, check_exact=True, check_column_type=True,
                                      check_index_type=True)
        assert [str(d) for d in a.dtypes] == [str(d) for d in b.dtypes]
    elif isinstance(a, pd.Series):
        pd.testing.assert_series_equal(a, b, check_exact=True)
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape
        assert a.tobytes() == b.tobytes()
    elif isinstance(a, np.generic):
        assert a.dtype == b.dtype and a.tobytes() == b.tobytes()
    elif isinstance(a, Evidence):
        assert a == b
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            _same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _same(x, y)
    elif isinstance(a, float) and math.isnan(a):
        assert math.isnan(b)
    else:
        assert a == b


@dataclasses.dataclass(frozen=True)
class _Config:
    """A config object inside a result: not data, refused (store dataclasses.asdict of it)."""

    width: int = 3


def _roundtrip(obj):
    data = rc.encode(obj)
    back = rc.decode(data)
    _same(obj, back)
    assert rc.encode(back) == data  # the same value gives the same bytes
    return back


# ---------------------------------------------------------------------------------------------
# Round trips

_scalars = (st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.text(max_size=8)
            | st.floats(allow_nan=True, allow_infinity=True))
_keys = st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=4)
_trees = st.recursive(
    _scalars,
    lambda kids: (st.lists(kids, max_size=4) | st.tuples(kids, kids)
                  | st.dictionaries(_keys | st.tuples(_keys, _keys), kids, max_size=4)),
    max_leaves=20)


@settings(max_examples=200, deadline=None)
@given(_trees)
def test_plain_trees_round_trip_exactly(tree):
    _roundtrip(tree)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int8", "uint16", "bool",
                                   "complex128"])
def test_arrays_and_numpy_scalars_keep_dtype_shape_and_bits(dtype):
    rng = np.random.default_rng(0)
    arr = (rng.normal(size=(3, 4, 2)) * 100).astype(dtype)
    if arr.dtype.kind == "f":
        arr.flat[0], arr.flat[1], arr.flat[2] = np.nan, np.inf, -0.0
    _roundtrip(arr)
    _roundtrip(arr[:, 1])  # not contiguous
    _roundtrip(arr.flat[3])  # a numpy scalar comes back as the same numpy scalar type
    _roundtrip(np.zeros((0, 3), dtype=dtype))


def test_tables_of_every_column_kind():
    frame = pd.DataFrame({
        "x": np.linspace(0, 1, 5), "n": np.arange(5), "ok": [True, False, True, True, False],
        "name": ["a", "b", "a", None, "c"],                   # str dtype with a missing value
        "network": pd.Series(["pooled", 0, 1, "pooled", 2], dtype=object),  # mixed objects
        "f32": np.ones(5, dtype=np.float32),
        "odd": pd.Series([1, True, 2.5, None, "t"], dtype=object),  # no codes: bool beside int
    })
    _roundtrip(frame)
    _roundtrip(frame.iloc[[4, 0, 2]])  # a non-range index
    _roundtrip(frame.set_index("name"))
    _roundtrip(frame.iloc[:0])
    _roundtrip(pd.DataFrame())
    _roundtrip(frame["network"])
    _roundtrip({"table": frame, "rows": [frame.iloc[:2], frame.iloc[2:]]})


def test_evidence_records_round_trip():
    ev = Evidence(1.5, 0.5, 2.5, 4, math.nan, "dB", "a difference", "setting A",
                  {"best_other": "siren", "claimed": ("x", 3)})
    back = _roundtrip({"evidence": {"a": ev, "b": None}})
    assert isinstance(back["evidence"]["a"], Evidence)


@pytest.mark.parametrize("obj, where", [
    ({"a": [1, {2: object()}]}, "result['a'][1][2]"),
    ({"t": np.array(["x"], dtype=object)}, "result['t']"),
    (pd.DataFrame({"c": pd.Categorical(["a", "b"])}), "result['c']"),
    ({"cfg": _Config()}, "result['cfg']"),
    ({"f": lambda: 0}, "result['f']"),
])
def test_unsupported_types_are_refused_when_writing_with_where_they_sit(obj, where):
    with pytest.raises(rc.UnsupportedResultError) as err:
        rc.encode(obj)
    assert where in str(err.value)


def test_every_result_of_the_cache_format_survives_the_cache(cache_tmp):
    """save/load through the file format: header checked, payload decoded."""
    frame = pd.DataFrame({"q": [1.0, 2.0], "init": ["siren", "eoc"]})
    path = cache_tmp / "x.result"
    from tests.test_cache import Sweep

    cache.save(path, Sweep(), {"t": frame, "e": Evidence(1, 0, 2, 3)})
    back = cache.load(path)
    _same({"t": frame, "e": Evidence(1, 0, 2, 3)}, back)


# ---------------------------------------------------------------------------------------------
# The decoder refuses


def _archive(tree, members=None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(zipfile.ZipInfo(rc.TREE, (1980, 1, 1, 0, 0, 0)), json.dumps(tree))
        for name, data in (members or {}).items():
            zf.writestr(zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0)), data)
    return buf.getvalue()


def _npy(arr, allow_pickle=False) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array(buf, arr, allow_pickle=allow_pickle)
    return buf.getvalue()


class _Marker:
    """Unpickling this creates the file ``path``: the proof that a loader ran code."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


@pytest.mark.parametrize("data, fragment", [
    (b"not a zip", "not a result archive"),
    (_archive({"$pickle": "x"}), "unknown tag"),
    (_archive({"$array": 0}), "missing array member"),
    (_archive([1], {"evil.pkl": b"x"}), "unexpected members"),
    (_archive({"$frame": {"names": ["a"], "columns": [{"codes": 0, "uniques": ["x"],
                                                       "dtype": "object"}],
                          "index": {"range": [0, 1, 1], "name": None}}},
              {"a0.npy": _npy(np.array([3]))}), "codes must index"),
    (_archive({"$evidence": {"$dict": [["mean", 1]]}}), "Evidence fields"),
    (_archive({"$dict": [[[1], 2]]}), "unhashable"),
], ids=["not-zip", "unknown-tag", "missing-array", "foreign-member", "bad-codes", "bad-evidence",
        "unhashable-key"])
def test_decoder_refuses_what_is_not_a_result(data, fragment):
    with pytest.raises(rc.ResultDecodeError, match=fragment):
        rc.decode(data)


def test_a_pickled_object_array_inside_an_archive_is_never_unpickled(tmp_path):
    marker = tmp_path / "ran"
    evil = np.empty(1, dtype=object)
    evil[0] = _Marker(marker)
    data = _archive({"$array": 0}, {"a0.npy": _npy(evil, allow_pickle=True)})
    with pytest.raises(rc.ResultDecodeError, match="not a plain array"):
        rc.decode(data)
    assert not marker.exists()


# ---------------------------------------------------------------------------------------------
# Forged cache files


def _forge(path: pathlib.Path, variant: str, marker: pathlib.Path) -> None:
    """Replace a cache file with one that would create ``marker`` if deserialised."""
    evil = pickle.dumps({"result": _Marker(marker)}, protocol=5)
    header = cache.read_header(path)
    if variant == "old-format":  # the old file format, with a valid-looking header
        header.update(payload_bytes=len(evil), payload_sha256=hashlib.sha256(evil).hexdigest())
        path.write_bytes(cache.OLD_MAGIC + json.dumps(header).encode() + b"\n" + evil)
    elif variant == "raw-pickle":
        path.write_bytes(evil)
    elif variant == "object-array":  # the new format, checksums right, a pickle inside
        arr = np.empty(1, dtype=object)
        arr[0] = _Marker(marker)
        payload = _archive({"$array": 0}, {"a0.npy": _npy(arr, allow_pickle=True)})
        header.update(payload_bytes=len(payload),
                      payload_sha256=hashlib.sha256(payload).hexdigest())
        path.write_bytes(cache.MAGIC + json.dumps(header).encode() + b"\n" + payload)
    else:
        raise ValueError(variant)


VARIANTS = ("old-format", "raw-pickle", "object-array")


def test_forged_cache_files_run_no_code_and_are_recomputed(cache_tmp, tmp_path, capsys):
    """Every file behind two ledger claims (experiment mc-gradients, smoke preset) is replaced by a
    forged one, the three kinds in turn. `claims` reads them and runs no code (the claims go back
    to "not run"); `experiment` recomputes and the ledger is again what it was."""
    marker = tmp_path / "code-ran"
    assert cli.main(["experiment", "mc-gradients", "--preset", "smoke"]) == 0
    assert cli.main(["claims", "--preset", "smoke", "--json"]) == 0
    capsys.readouterr()
    assert cli.main(["claims", "--preset", "smoke", "--json"]) == 0
    before = json.loads(capsys.readouterr().out)["claims"]
    files = sorted(cache_tmp.rglob("*" + cache.SUFFIX))
    assert len(files) >= len(VARIANTS)
    for i, path in enumerate(files):
        _forge(path, VARIANTS[i % len(VARIANTS)], marker)
    assert cli.main(["claims", "--preset", "smoke", "--json"]) == 0
    forged = json.loads(capsys.readouterr().out)["claims"]
    assert not marker.exists()
    ours = [c for c in forged if c.get("experiment") == "mc-gradients"]
    assert ours and all(c["verdict"] == "not run" for c in ours)
    with pytest.warns(UserWarning, match="corrupt cache file"):
        assert cli.main(["experiment", "mc-gradients", "--preset", "smoke"]) == 0
    assert not marker.exists()
    for path in files:
        cache.load(path)  # valid again
    capsys.readouterr()
    assert cli.main(["claims", "--preset", "smoke", "--json"]) == 0
    after = json.loads(capsys.readouterr().out)["claims"]
    assert after == before


# ---------------------------------------------------------------------------------------------
# Nothing in the package deserialises code


def _calls(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            name = (f.id if isinstance(f, ast.Name) else
                    f"{getattr(f.value, 'id', getattr(f.value, 'attr', '?'))}.{f.attr}"
                    if isinstance(f, ast.Attribute) else "")
            kw = {k.arg: k.value for k in node.keywords}
            yield node, name, kw


def _const(node):
    return node.value if isinstance(node, ast.Constant) else None


def _forbidden(path: pathlib.Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    bad = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            mods = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module]
            for m in mods:
                if (m or "").split(".")[0] in {"pickle", "cloudpickle", "dill", "marshal",
                                               "shelve", "joblib"}:
                    bad.append(f"{path}:{node.lineno} imports {m}")
    for node, name, kw in _calls(tree):
        where = f"{path}:{node.lineno} {name}"
        if name in {"eval", "exec"}:
            bad.append(where)
        elif name == "torch.load":
            if _const(kw.get("weights_only")) is not True:
                bad.append(where + " without weights_only=True")
        elif name in {"np.load", "numpy.load"}:
            if "allow_pickle" in kw and _const(kw["allow_pickle"]) is not False:
                bad.append(where + " with allow_pickle")
        elif name in {"yaml.load", "yaml.unsafe_load", "yaml.full_load"}:
            bad.append(where)
    return bad


def test_no_module_of_the_package_deserialises_code():
    files = [p for p in PACKAGE.rglob("*.py")
             if not {"tests", ".venv", "build", "paper"} & set(p.relative_to(PACKAGE).parts)]
    assert len(files) > 50
    bad = [b for p in files for b in _forbidden(p)]
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("source, expected", [
    ("import pickle\npickle.loads(b'')", 1),
    ("from cloudpickle import loads", 1),
    ("import torch\ntorch.load('x')", 1),
    ("import torch\ntorch.load('x', weights_only=True)", 0),
    ("import numpy as np\nnp.load('x', allow_pickle=True)", 1),
    ("import numpy as np\nnp.load('x')", 0),
    ("eval('1')", 1),
    ("model.eval()", 0),
    ("import yaml\nyaml.load(s)", 1),
])
def test_the_syntax_walk_finds_what_it_looks_for(tmp_path, source, expected):
    path = tmp_path / "m.py"
    path.write_text(source)
    assert len(_forbidden(path)) == expected


# ---------------------------------------------------------------------------------------------
# Sharing results: export and import


def test_export_then_import_gives_the_same_files_and_cached_runs(cache_tmp, tmp_path,
                                                                 monkeypatch, capsys):
    assert cli.main(["experiment", "mc-variance", "--preset", "smoke"]) == 0
    files = {p.relative_to(cache_tmp): p.read_bytes() for p in cache_tmp.rglob("*.result")}
    archive = tmp_path / "results.zip"
    assert cli.main(["cache", "export", str(archive)]) == 0
    other = tmp_path / "other-cache"
    monkeypatch.setenv("INITAUDIT_CACHE", str(other))
    capsys.readouterr()
    assert cli.main(["cache", "import", str(archive), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["imported"] == out["current"] == len(files) and out["refused"] == []
    assert {p.relative_to(other): p.read_bytes() for p in other.rglob("*.result")} == files
    cache.STATS.reset()
    assert cli.main(["experiment", "mc-variance", "--preset", "smoke"]) == 0
    assert cache.STATS.computed == 0 and cache.STATS.hits == len(files)


def test_import_refuses_forged_members_and_writes_only_valid_ones(cache_tmp, tmp_path,
                                                                  monkeypatch, capsys):
    marker = tmp_path / "code-ran"
    assert cli.main(["experiment", "mc-variance", "--preset", "smoke"]) == 0
    good = sorted(cache_tmp.rglob("*.result"))
    forged = {}
    for variant, path in zip(VARIANTS, good):
        copy = tmp_path / path.name
        copy.write_bytes(path.read_bytes())
        _forge(copy, variant, marker)
        forged[f"{path.parent.name}/{path.name}"] = copy.read_bytes()
    keep = good[len(VARIANTS)]
    archive = tmp_path / "mixed.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for name, data in forged.items():
            zf.writestr(name, data)
        zf.writestr(f"{keep.parent.name}/{keep.name}", keep.read_bytes())
        zf.writestr("../escape/" + keep.name, keep.read_bytes())  # a path outside the cache
        zf.writestr(f"{keep.parent.name}/{'0' * 64}.result", keep.read_bytes())  # wrong key
    other = tmp_path / "other-cache"
    monkeypatch.setenv("INITAUDIT_CACHE", str(other))
    capsys.readouterr()
    assert cli.main(["cache", "import", str(archive), "--json"]) == 2
    out = json.loads(capsys.readouterr().out)
    assert out["imported"] == 1 and len(out["refused"]) == len(VARIANTS) + 2
    assert not marker.exists()
    assert [p.name for p in other.rglob("*") if p.is_file()] == [keep.name]
    assert not (tmp_path / "escape").exists()
