"""Evidence: the one record type an experiment hands to the claims ledger.

An :class:`Evidence` is an estimate with its 95% interval, the number of replicates behind it, a
p-value where the test gives one, the unit, a sentence saying what was measured, and the setting
it came from. Experiments build them in ``summarize`` (``summary["evidence"]``, keyed by a stable
name); :mod:`initaudit.analysis.claims` reads them and applies each claim's rule; figures print
them. Nothing else builds one, so every record has the same fields and the same checks.

A record reads like the mapping it is printed as (``ev["mean"]``, ``ev.get("p")``, ``dict(ev)``),
with the estimate under ``"mean"`` (the ledger's column name) and any extra fields an
experiment adds (``best_other``, ``claimed`` ...) after the standard ones.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Iterator

def _same(x, y) -> bool:
    if isinstance(x, float) and isinstance(y, float) and math.isnan(x) and math.isnan(y):
        return True
    return x == y


#: The standard fields, in the order they print.
FIELDS = ("mean", "lo", "hi", "n", "p", "unit", "what", "setting")


@dataclass(frozen=True, eq=False)
class Evidence(Mapping):
    """One measured quantity with its uncertainty.

    Attributes:
        mean: the estimate (a mean, a mean paired difference, a log-ratio ...).
        lo, hi: its 95% interval (NaN when it cannot be formed).
        n: replicates behind it (seeds, networks).
        p: the test's p-value, NaN when the record has none.
        unit: the unit of ``mean``.
        what: one sentence: what was measured, how, and against what.
        setting: the experiment setting it came from (None: the experiment has one).
        extra: experiment-specific fields (plain values).
    """

    mean: float
    lo: float
    hi: float
    n: int
    p: float = math.nan
    unit: str = ""
    what: str = ""
    setting: str | None = None
    extra: dict = field(default_factory=dict)

    def __post_init__(self):
        for name in ("mean", "lo", "hi", "p"):
            try:
                object.__setattr__(self, name, float(getattr(self, name)))
            except (TypeError, ValueError):
                raise TypeError(f"Evidence.{name} must be a number, got "
                                f"{getattr(self, name)!r}") from None
        n = self.n
        if isinstance(n, float) and n.is_integer():
            n = int(n)
        if isinstance(n, bool) or not isinstance(n, int) and not hasattr(n, "__index__"):
            raise TypeError(f"Evidence.n must be a whole number of replicates, got {self.n!r}")
        n = int(n)
        if n < 0:
            raise ValueError(f"Evidence.n must be >= 0, got {n}")
        object.__setattr__(self, "n", n)
        if math.isfinite(self.lo) and math.isfinite(self.hi) and self.lo > self.hi:
            raise ValueError(f"Evidence interval is reversed: lo {self.lo} > hi {self.hi}")
        if not isinstance(self.unit, str) or not isinstance(self.what, str):
            raise TypeError("Evidence.unit and Evidence.what must be strings")
        clash = set(self.extra) & set(FIELDS)
        if clash:
            raise ValueError(f"Evidence.extra may not redefine the standard fields {sorted(clash)}")
        object.__setattr__(self, "extra", dict(self.extra))

    # -- the mapping view ------------------------------------------------------------------
    def __getitem__(self, key: str) -> Any:
        if key in FIELDS:
            return getattr(self, key)
        return self.extra[key]

    def __iter__(self) -> Iterator[str]:
        yield from FIELDS
        yield from self.extra

    def __len__(self) -> int:
        return len(FIELDS) + len(self.extra)

    def __eq__(self, other) -> bool:
        """Field by field, a NaN equal to a NaN (a record without a p-value equals its own
        pickle or JSON round trip)."""
        if not isinstance(other, Mapping):
            return NotImplemented
        a, b = dict(self), dict(other)
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)

    __hash__ = None  # a mapping with an unhashable extra dict

    def __repr__(self) -> str:
        return (f"Evidence(mean={self.mean:.6g}, lo={self.lo:.6g}, hi={self.hi:.6g}, n={self.n}, "
                f"p={self.p:.3g}, unit={self.unit!r}, setting={self.setting!r})")

    # -- construction ----------------------------------------------------------------------
    @classmethod
    def of(cls, result: Mapping, unit: str, what: str, *, setting: str | None = None,
           **extra: Any) -> "Evidence":
        """From a statistics result (:func:`initaudit.analysis.stats.t_interval`,
        :func:`~initaudit.analysis.stats.paired_difference`, a row of a comparison table):
        its ``mean``, ``lo``, ``hi``, ``n`` and, when present, ``p``."""
        missing = [k for k in ("mean", "lo", "hi", "n") if k not in result]
        if missing:
            raise KeyError(f"a statistics result needs {', '.join(missing)} to become Evidence; "
                           f"it has {sorted(result)}")
        p = result.get("p", math.nan)
        return cls(result["mean"], result["lo"], result["hi"], result["n"],
                   math.nan if p is None else p, unit, what, setting, extra)

    @classmethod
    def coerce(cls, record: "Evidence | Mapping | None") -> "Evidence | None":
        """An :class:`Evidence` from itself or from a plain mapping of its fields (a ledger
        read back from JSON); None stays None."""
        if record is None or isinstance(record, Evidence):
            return record
        rest = {k: v for k, v in record.items() if k not in FIELDS}
        return cls(record.get("mean", math.nan), record.get("lo", math.nan),
                   record.get("hi", math.nan), record.get("n", 0) or 0,
                   record.get("p", math.nan), record.get("unit", "") or "",
                   record.get("what", "") or "", record.get("setting"), rest)


__all__ = ["FIELDS", "Evidence"]
