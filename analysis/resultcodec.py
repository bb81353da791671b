"""Results as data: the closed set of types the cache stores, and a decoder that runs no code.

A cached result is a tree of plain values, arrays and tables. :func:`encode` writes it as a ZIP
archive (members stored, fixed timestamps, so equal results give equal bytes) holding

* ``tree.json``: the structure, in JSON, with tagged objects for what JSON lacks;
* ``a<i>.npy``: one member per array, in NumPy's ``.npy`` format.

:func:`decode` reads the archive back with ``json.loads`` and ``numpy.load(allow_pickle=False)``
and rebuilds only these types:

===================  ==========================================================================
value                stored as
===================  ==========================================================================
None, bool, str      themselves
int                  itself (any size)
float                itself; NaN and the infinities as ``{"$float": "nan" | "inf" | "-inf"}``
list                 a JSON list
tuple                ``{"$tuple": [...]}``
dict                 ``{"$dict": [[key, value], ...]}`` (keys of any type here that is hashable)
numpy array          ``{"$array": i}`` (member ``a<i>.npy``; no object dtype)
numpy scalar         ``{"$scalar": i}`` (a 0-d array member, read back as the same scalar type)
pandas DataFrame     ``{"$frame": ...}``: column names, index and one column per entry; numeric
                     and boolean columns as arrays, text and mixed columns as JSON lists
pandas Series        ``{"$series": ...}``, the same way
Evidence             ``{"$evidence": {...}}``: :class:`initaudit.analysis.evidence.Evidence`
===================  ==========================================================================

Anything else is refused when writing (:class:`UnsupportedResultError`, saying the type and where
it sits in the result) and when reading (:class:`ResultDecodeError`): an unknown tag, an object
array, a member that is not a plain ``.npy`` file. Nothing is ever unpickled, so a file planted in a
cache directory, or an archive from someone else, can give wrong numbers at worst, never run code.
"""

from __future__ import annotations

import io
import json
import math
import zipfile
from typing import Any

import numpy as np
import pandas as pd

#: ZIP timestamp of every member: equal results give equal bytes.
_EPOCH = (1980, 1, 1, 0, 0, 0)
#: Name of the structure member.
TREE = "tree.json"
#: Value types of a text column stored as codes into a table of its distinct values.
_CODED = frozenset({str, int, float, type(None)})
#: Dtype kinds an array may have (bool, integers, floats, complex; no objects, no raw bytes).
ARRAY_KINDS = frozenset("biufc")


class UnsupportedResultError(TypeError):
    """A result holds a type the cache does not store."""


class ResultDecodeError(ValueError):
    """Stored bytes are not a valid encoded result."""


# ---------------------------------------------------------------------------------------------
# Encoding


class _Writer:
    def __init__(self):
        self.arrays: list[np.ndarray] = []

    def array(self, arr: np.ndarray, where: str) -> int:
        if arr.dtype.kind not in ARRAY_KINDS or arr.dtype.hasobject:
            raise UnsupportedResultError(
                f"{where}: arrays of dtype {arr.dtype} are not stored (numbers and booleans "
                "only; put text in a list or a table column)")
        self.arrays.append(arr if arr.flags.c_contiguous else arr.copy(order="C"))
        return len(self.arrays) - 1

    def column(self, col: pd.Series, where: str) -> dict:
        dtype = col.dtype
        if isinstance(dtype, np.dtype) and dtype.kind in ARRAY_KINDS:
            return {"array": self.array(col.to_numpy(), where)}
        if dtype == object or pd.api.types.is_string_dtype(dtype):
            values = col.tolist()
            kinds = set(map(type, values))
            if kinds <= _CODED and not {int, float} <= kinds:
                # Text columns repeat a few values: codes into a table of the distinct ones.
                # (bool, and int beside float, are left out: True == 1 == 1.0 as dict keys.)
                table: dict = {}
                codes = np.fromiter((table.setdefault(v, len(table)) for v in values),
                                    dtype=np.int64, count=len(values))
                return {"codes": self.array(codes, where),
                        "uniques": [self.value(v, where) for v in table], "dtype": str(dtype)}
            values = [self.value(v, f"{where}[{i}]") for i, v in enumerate(values)]
            return {"values": values, "dtype": str(dtype)}
        raise UnsupportedResultError(
            f"{where}: table columns of dtype {dtype} are not stored (numbers, booleans, text "
            "and plain objects)")

    def index(self, index: pd.Index, where: str) -> dict:
        if isinstance(index, pd.RangeIndex):
            return {"range": [index.start, index.stop, index.step], "name": index.name}
        if isinstance(index, pd.MultiIndex):
            raise UnsupportedResultError(f"{where}: a MultiIndex is not stored; reset_index() "
                                         "first")
        col = self.column(pd.Series(index, copy=False), where)
        return {"column": col, "name": self.value(index.name, where + ".name")}

    def value(self, obj: Any, where: str = "result") -> Any:
        from initaudit.analysis.evidence import Evidence

        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if isinstance(obj, np.generic):
            return {"$scalar": self.array(np.asarray(obj), where)}
        if isinstance(obj, int):
            return int(obj)
        if isinstance(obj, float):
            if math.isfinite(obj):
                return float(obj)
            return {"$float": "nan" if math.isnan(obj) else ("inf" if obj > 0 else "-inf")}
        if isinstance(obj, Evidence):
            fields = {k: getattr(obj, k) for k in ("mean", "lo", "hi", "n", "p", "unit",
                                                   "what", "setting")}
            fields["extra"] = obj.extra
            return {"$evidence": self.value(fields, where)}
        if isinstance(obj, np.ndarray):
            return {"$array": self.array(obj, where)}
        if isinstance(obj, pd.DataFrame):
            if isinstance(obj.columns, pd.MultiIndex):
                raise UnsupportedResultError(f"{where}: MultiIndex columns are not stored")
            cols = [self.column(obj.iloc[:, i], f"{where}[{name!r}]")
                    for i, name in enumerate(obj.columns)]
            return {"$frame": {"names": [self.value(c, where + ".columns") for c in obj.columns],
                               "columns": cols, "index": self.index(obj.index, where + ".index")}}
        if isinstance(obj, pd.Series):
            return {"$series": {"name": self.value(obj.name, where + ".name"),
                                "column": self.column(obj, where),
                                "index": self.index(obj.index, where + ".index")}}
        if isinstance(obj, list):
            return [self.value(v, f"{where}[{i}]") for i, v in enumerate(obj)]
        if isinstance(obj, tuple) and type(obj) is tuple:
            return {"$tuple": [self.value(v, f"{where}[{i}]") for i, v in enumerate(obj)]}
        if isinstance(obj, dict) and type(obj) is dict:
            return {"$dict": [[self.value(k, f"{where} key"), self.value(v, f"{where}[{k!r}]")]
                              for k, v in obj.items()]}
        raise UnsupportedResultError(
            f"{where}: {type(obj).__module__}.{type(obj).__qualname__} is not a result type the "
            "cache stores (None, bool, int, float, str, list, tuple, dict, numpy arrays and "
            "scalars, pandas DataFrame and Series, Evidence)")


def encode(obj: Any) -> bytes:
    """The bytes of ``obj`` (see the module docstring); the same object gives the same bytes.

    Raises:
        UnsupportedResultError: ``obj`` holds a type outside the closed set.
    """
    writer = _Writer()
    tree = writer.value(obj)
    text = json.dumps(tree, ensure_ascii=True, allow_nan=False, separators=(",", ":"))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr(zipfile.ZipInfo(TREE, _EPOCH), text.encode("ascii"))
        for i, arr in enumerate(writer.arrays):
            member = io.BytesIO()
            np.lib.format.write_array(member, arr, allow_pickle=False)
            zf.writestr(zipfile.ZipInfo(f"a{i}.npy", _EPOCH), member.getvalue())
    return buf.getvalue()


# ---------------------------------------------------------------------------------------------
# Decoding


def _fail(msg: str):
    raise ResultDecodeError(msg)


class _Reader:
    def __init__(self, zf: zipfile.ZipFile):
        self.zf = zf
        self.names = set(zf.namelist())

    def array(self, i: Any) -> np.ndarray:
        if not isinstance(i, int) or isinstance(i, bool) or f"a{i}.npy" not in self.names:
            _fail(f"reference to a missing array member {i!r}")
        with self.zf.open(f"a{i}.npy") as fh:
            try:
                arr = np.load(io.BytesIO(fh.read()), allow_pickle=False)
            except ValueError as exc:  # an object array asks for pickle and is refused
                _fail(f"array member a{i}.npy is not a plain array ({exc})")
        if not isinstance(arr, np.ndarray) or arr.dtype.kind not in ARRAY_KINDS:
            _fail(f"array member a{i}.npy has dtype {getattr(arr, 'dtype', '?')}")
        return arr

    def column(self, spec: Any) -> Any:
        if not isinstance(spec, dict):
            _fail("a table column must be an object")
        if set(spec) == {"array"}:
            return self.array(spec["array"])
        if set(spec) == {"codes", "uniques", "dtype"} and isinstance(spec["uniques"], list):
            codes = self.array(spec["codes"])
            uniques = spec["uniques"]
            if codes.dtype.kind != "i" or codes.ndim != 1 or (
                    codes.size and (codes.min() < 0 or codes.max() >= len(uniques))):
                _fail("text column codes must index its table of values")
            table = np.empty(len(uniques), dtype=object)
            for i, v in enumerate(uniques):
                table[i] = self.value(v)
            return self._text(table[codes], spec["dtype"])
        if set(spec) == {"values", "dtype"} and isinstance(spec["values"], list):
            values = [self.value(v) for v in spec["values"]]
            return self._text(values, spec["dtype"])
        _fail(f"unknown table column {sorted(spec)!r}")

    def _text(self, values, dtype: Any):
        """A text or mixed column's values with the dtype they were written with."""
        if dtype == "object":
            if isinstance(values, np.ndarray):
                return values
            out = np.empty(len(values), dtype=object)
            for i, v in enumerate(values):  # element by element: nested lists stay whole
                out[i] = v
            return out
        if isinstance(dtype, str) and (dtype in ("str", "string") or
                                       dtype.startswith("string")):
            return pd.array(values, dtype=dtype)
        _fail(f"unknown text column dtype {dtype!r}")

    def index(self, spec: Any) -> pd.Index:
        if not isinstance(spec, dict):
            _fail("a table index must be an object")
        if set(spec) == {"range", "name"}:
            start, stop, step = spec["range"]
            if not all(isinstance(v, int) and not isinstance(v, bool) for v in (start, stop, step)):
                _fail("a range index takes three integers")
            return pd.RangeIndex(start, stop, step, name=spec["name"])
        if set(spec) == {"column", "name"}:
            values = self.column(spec["column"])
            return pd.Index(values, name=self.value(spec["name"]),
                            dtype=object if values.dtype == object else None)
        _fail(f"unknown table index {sorted(spec)!r}")

    def value(self, node: Any) -> Any:
        from initaudit.analysis.evidence import Evidence

        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if isinstance(node, list):
            return [self.value(v) for v in node]
        if not isinstance(node, dict) or len(node) != 1:
            _fail(f"unexpected node of type {type(node).__name__}")
        (tag, body), = node.items()
        if tag == "$float":
            if body not in ("nan", "inf", "-inf"):
                _fail(f"bad $float {body!r}")
            return float(body)
        if tag == "$tuple" and isinstance(body, list):
            return tuple(self.value(v) for v in body)
        if tag == "$dict" and isinstance(body, list):
            out = {}
            for pair in body:
                if not isinstance(pair, list) or len(pair) != 2:
                    _fail("a $dict entry must be a [key, value] pair")
                key = self.value(pair[0])
                try:
                    out[key] = self.value(pair[1])
                except TypeError:
                    _fail(f"unhashable dict key {key!r}")
            return out
        if tag == "$array":
            return self.array(body)
        if tag == "$scalar":
            arr = self.array(body)
            if arr.ndim != 0:
                _fail("a $scalar member must be 0-dimensional")
            return arr[()]
        if tag == "$frame" and isinstance(body, dict) and set(body) == {"names", "columns",
                                                                        "index"}:
            names = [self.value(n) for n in body["names"]]
            cols = body["columns"]
            if not isinstance(cols, list) or len(cols) != len(names):
                _fail("a table's names and columns differ in number")
            index = self.index(body["index"])
            data = {}
            frame = pd.DataFrame(index=index)
            for i, (name, col) in enumerate(zip(names, cols)):
                values = self.column(col)
                if len(values) != len(index):
                    _fail(f"table column {name!r} has {len(values)} rows, the index {len(index)}")
                data[i] = pd.Series(values, index=index, copy=False,
                                    dtype=object if values.dtype == object else None)
            if data:
                frame = pd.concat(data, axis=1)
            frame.columns = pd.Index(names, dtype=object) if names else frame.columns
            if names and all(isinstance(n, str) for n in names):
                frame.columns = pd.Index(names)
            return frame
        if tag == "$series" and isinstance(body, dict) and set(body) == {"name", "column",
                                                                         "index"}:
            index = self.index(body["index"])
            values = self.column(body["column"])
            if len(values) != len(index):
                _fail("a series and its index differ in length")
            return pd.Series(values, index=index, name=self.value(body["name"]), copy=False,
                             dtype=object if values.dtype == object else None)
        if tag == "$evidence":
            fields = self.value(body)
            if not isinstance(fields, dict) or set(fields) != {"mean", "lo", "hi", "n", "p",
                                                               "unit", "what", "setting",
                                                               "extra"}:
                _fail("an $evidence record must have exactly the Evidence fields")
            try:
                return Evidence(**fields)
            except (TypeError, ValueError) as exc:
                _fail(f"invalid Evidence record ({exc})")
        _fail(f"unknown tag {tag!r}")


def decode(data: bytes) -> Any:
    """The result that :func:`encode` wrote.

    Raises:
        ResultDecodeError: the bytes are not an archive of the closed set of types (nothing in
            them is executed).
    """
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError) as exc:
        raise ResultDecodeError(f"not a result archive ({exc})") from None
    with zf:
        names = zf.namelist()
        if TREE not in names or any(n != TREE and not _is_array_member(n) for n in names):
            raise ResultDecodeError(f"unexpected members {sorted(names)[:5]}")
        try:
            tree = json.loads(zf.read(TREE).decode("ascii"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise ResultDecodeError(f"unreadable structure ({exc})") from None
        try:
            return _Reader(zf).value(tree)
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise ResultDecodeError(f"damaged archive ({exc})") from None
        except RecursionError:
            raise ResultDecodeError("structure nested too deeply") from None


def _is_array_member(name: str) -> bool:
    return name.startswith("a") and name.endswith(".npy") and name[1:-4].isdigit()


__all__ = ["ARRAY_KINDS", "ResultDecodeError", "UnsupportedResultError", "decode", "encode"]
