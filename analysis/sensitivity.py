"""Budget sensitivity: does a training claim's effect grow, shrink or flip with a longer budget?

Every training experiment of the ledger has a ``budget`` option (its module's ``BUDGET`` names
what it scales: training steps or epochs; :func:`initaudit.analysis.presets.scaled`). At a
preset, the ledger's claims on those experiments are decided twice, from the preset's own runs
and from runs with ``budget = factor`` (default :data:`LONG_BUDGET`: three times the steps or
epochs, everything else the same, the same seeds), and compared claim by claim:

``d``
    the effect in the claimed direction at each budget: the estimate minus the rule's threshold
    for ``greater`` (for ``at_least``: minus 0, the improvement), the threshold minus the
    estimate for ``less``, and the distance inside the nearer bound for ``within``.
``change``
    ``flips`` when the two plain 95% intervals lie on opposite sides of the threshold (each
    excluding it); else ``grows`` or ``shrinks`` when ``d_long - d_base`` exceeds
    ``sqrt(h_base^2 + h_long^2)`` in size (h: the half-widths of the 95% intervals; the runs at
    the two budgets share their seeds and first steps, so treating them as independent makes
    this test conservative when they are positively correlated); else ``no clear change``.
    A descriptive 95% comparison per claim, not part of the ledger's family-wise control.
``depends``
    the rule's outcome differs between the two budgets (both measured): the ledger's decision
    holds at one budget only. (Outcomes, not verdict words: a longer budget can move a claim
    to another tier, or between inconclusive and underpowered, without changing the decision.)

Nothing is computed by :func:`sensitivity` (it reads the cache); :func:`run_long` runs the long
budget through the cache (resumable, with progress).
"""

from __future__ import annotations

import json
import math
import pathlib

import pandas as pd

#: The longer budget of the sensitivity check: three times the preset's steps or epochs.
LONG_BUDGET = 3.0
CHANGES = ("flips", "grows", "shrinks", "no clear change", "not measured")


def budget_experiments(claims=None) -> list[str]:
    """The experiments behind the ledger's claims that take a ``budget`` option, in ledger
    order."""
    from initaudit.analysis import claims as cl
    from initaudit.analysis import experiment

    claims = cl.CLAIMS if claims is None else claims
    names = dict.fromkeys(c.experiment for c in claims)
    out = []
    for name in names:
        try:
            module = experiment.get(name)
        except ValueError:
            continue
        if getattr(module, "BUDGET", None):
            out.append(name)
    return out


def run_long(preset: str = "cpu", factor: float = LONG_BUDGET, *, executor=None, workers=None,
             claims=None, **options) -> dict[str, float]:
    """Run every budget experiment at the preset's budget and at ``budget=factor``: what the
    comparison reads (cached, resumable; runs already cached are read, not recomputed).

    Returns:
        ``{"NAME" or "NAME x factor": seconds}``. An experiment that cannot run here (an input
        absent) is skipped with a message on stderr.
    """
    import sys

    from initaudit.analysis import experiment
    from initaudit.analysis.datasets import DataUnavailable
    from initaudit.analysis.presets import check_budget

    check_budget(factor)
    times = {}
    for name in budget_experiments(claims):
        for k in (None, factor):
            extra = {} if k is None else {"budget": k}
            label = name if k is None else f"{name} x {k:g}"
            try:
                run = experiment.run_experiment(name, preset, executor=executor,
                                                workers=workers, progress=True, **extra,
                                                **options)
            except DataUnavailable as exc:
                print(f"{label} [{preset}]: not run: {exc}", file=sys.stderr)
                break
            times[label] = run.seconds
    return times


def _effect(rule, mean: float) -> float:
    if rule.kind == "greater":
        return mean - rule.threshold
    if rule.kind == "less":
        return rule.threshold - mean
    if rule.kind == "at_least":
        return mean
    return min(mean - rule.low, rule.high - mean)


def _threshold(rule) -> float:
    if rule.kind == "within":
        return math.nan
    return 0.0 if rule.kind == "at_least" else rule.threshold


def classify(rule, base: dict, long: dict) -> str:
    """``flips``, ``grows``, ``shrinks``, ``no clear change`` or ``not measured`` (module
    docstring) for two rows ``{"mean", "lo", "hi"}`` of the same claim."""
    vals = [float(r.get(k, math.nan)) for r in (base, long) for k in ("mean", "lo", "hi")]
    if not all(math.isfinite(v) for v in vals):
        return "not measured"
    mb, lb, hb, ml, ll, hl = vals
    t = _threshold(rule)
    if math.isfinite(t):
        sides = [(-1 if h < t else 1 if lo > t else 0) for lo, h in ((lb, hb), (ll, hl))]
        if sides[0] * sides[1] == -1:
            return "flips"
    else:  # within: inside the band at one budget, wholly outside at the other
        inside = [rule.low <= lo and h <= rule.high for lo, h in ((lb, hb), (ll, hl))]
        outside = [h < rule.low or lo > rule.high for lo, h in ((lb, hb), (ll, hl))]
        if (inside[0] and outside[1]) or (inside[1] and outside[0]):
            return "flips"
    diff = _effect(rule, ml) - _effect(rule, mb)
    spread = math.hypot((hb - lb) / 2.0, (hl - ll) / 2.0)
    if diff > spread:
        return "grows"
    if diff < -spread:
        return "shrinks"
    return "no clear change"


def sensitivity(preset: str = "cpu", factor: float = LONG_BUDGET, claims=None) -> pd.DataFrame:
    """The training claims decided at the preset's budget and at ``factor`` times it, from the
    cache.

    Returns:
        One row per claim on a budget experiment: ``id, experiment, tier, unit``, then for each
        budget (``base_``, ``long_``) ``mean, lo, hi, n, verdict``, and ``change``, ``depends``
        (module docstring) and ``factor``.
    """
    from initaudit.analysis import claims as cl
    from initaudit.analysis import experiment
    from initaudit.analysis.datasets import DataUnavailable
    from initaudit.analysis.presets import check_budget

    check_budget(factor)
    claims = cl.CLAIMS if claims is None else claims
    names = budget_experiments(claims)
    chosen = tuple(c for c in claims if c.experiment in names)
    base = cl.evaluate(preset, chosen).set_index("id")
    evidence, skipped = {}, {}
    for name in names:
        try:
            run = experiment.cached_run(name, preset, budget=factor)
        except DataUnavailable as exc:
            evidence[name] = {}
            skipped[name] = {c.setting: str(exc) for c in chosen if c.experiment == name}
            continue
        if run is None:
            continue
        summary = run.summary if isinstance(run.summary, dict) else {}
        evidence[name] = dict(summary.get("evidence") or {})
        skipped[name] = {s["setting"]: s["reason"] for s in summary.get("skipped") or []}
    long = cl.evaluate(preset, chosen, evidence, skipped, {},
                       budget={n: factor for n in names}).set_index("id")
    rows = []
    for c in chosen:
        b, g = base.loc[c.id], long.loc[c.id]
        both = b.verdict != "not run" and g.verdict != "not run"
        rows.append({
            "id": c.id, "experiment": c.experiment, "tier": b.tier, "unit": b.unit,
            **{f"base_{k}": b[k] for k in ("mean", "lo", "hi", "n", "verdict")},
            **{f"long_{k}": g[k] for k in ("mean", "lo", "hi", "n", "verdict")},
            "base_outcome": b.outcome, "long_outcome": g.outcome,
            "long_scale": g.scale, "change": classify(c.rule, b, g),
            "depends": bool(both and b.outcome != g.outcome), "factor": float(factor)})
    return pd.DataFrame(rows)


def measured_name(preset: str) -> str:
    """``budget_sensitivity_<preset>.json``: the saved output of ``initaudit budget --run
    --out`` that the paper reads from ``paper/measured/``."""
    return f"budget_sensitivity_{preset}.json"


def load(preset: str = "cpu", factor: float = LONG_BUDGET,
         measured: pathlib.Path | None = None) -> tuple[pd.DataFrame, str]:
    """The budget comparison at ``preset`` and where it comes from: ``(table, origin)``.

    From the cache when any long-budget run is cached (``origin = "cache"``); else from the
    saved measurement ``measured`` (a file named :func:`measured_name`; ``origin = "measured
    with source <hash>"``); else an empty table and ``origin = ""``.
    """
    table = sensitivity(preset, factor)
    cached = int((table.change != "not measured").sum())
    saved, origin = None, ""
    if measured is not None:
        try:
            data = json.loads(pathlib.Path(measured).read_text(encoding="utf-8"))
            rows = pd.DataFrame(data["claims"])
            prov = (data.get("provenance") or [{}])[0]
            if (data.get("preset") == preset and float(data.get("factor")) == float(factor)
                    and not rows.empty):
                saved = rows
                origin = f"measured with source {str(prov.get('source_sha256', 'unknown'))[:16]}"
        except (OSError, ValueError, KeyError, TypeError):
            saved = None
    # the cache when it measures at least as many claims as the saved file (a partly cached
    # long run does not hide a complete saved one)
    if cached and (saved is None or cached >= int((saved.change != "not measured").sum())):
        return table, "cache"
    if saved is not None:
        return saved, origin
    return table.iloc[0:0], ""


def merge(table: pd.DataFrame, sens: pd.DataFrame) -> pd.DataFrame:
    """The ledger ``table`` with the budget columns of ``sens`` (:func:`sensitivity`) for the
    claims it covers: ``long_verdict``, ``long_mean``, ``budget_change``, ``budget_depends``
    and ``budget_factor`` (empty strings, NaN and False elsewhere)."""
    out = table.copy()
    by_id = sens.set_index("id") if len(sens) else None
    cols = {"long_verdict": [], "long_mean": [], "budget_change": [], "budget_depends": [],
            "budget_factor": []}
    for cid in out.id:
        row = by_id.loc[cid] if by_id is not None and cid in by_id.index else None
        cols["long_verdict"].append("" if row is None else row.long_verdict)
        value = None if row is None else pd.to_numeric(row.long_mean, errors="coerce")
        cols["long_mean"].append(math.nan if value is None or pd.isna(value) else float(value))
        cols["budget_change"].append("" if row is None else row.change)
        cols["budget_depends"].append(False if row is None else bool(row.depends))
        cols["budget_factor"].append(math.nan if row is None else float(row.factor))
    for k, v in cols.items():
        out[k] = v
    return out


def summary_sentence(table: pd.DataFrame, origin: str) -> str:
    """The comparison in one sentence (plain text), or why there is none."""
    if table.empty or not origin:
        return ("The training claims have not been run at a longer budget in this build (the "
                "command initaudit budget computes it with its run option).")
    k = float(table.factor.iloc[0])
    measured = table[table.change != "not measured"]
    counts = measured.change.value_counts()
    dep = [str(i) for i in measured[measured.depends.astype(bool)].id]
    where = ("read from the cache" if origin == "cache" else
             f"read from paper/measured/, {origin}")
    n = {c: int(counts.get(c, 0)) for c in CHANGES[:4]}
    return (f"At {k:g} times the training steps or epochs, {len(measured)} of the {len(table)} "
            f"training claims were measured at both budgets ({where}). The effect flips for "
            f"{n['flips']}, grows for {n['grows']}, shrinks for {n['shrinks']} and shows no clear "
            f"change for {n['no clear change']}; "
            + (f"the decision depends on the budget for {', '.join(dep)}." if dep else
               "no decision depends on the budget."))


def latex_rows(table: pd.DataFrame) -> str:
    """Rows ``claim & at the preset & at K times & change \\`` for the paper."""
    from initaudit.analysis.claims import _num, tex_escape

    lines = []
    for r in table.itertuples():
        cell = lambda p: (f"{_num(getattr(r, p + '_mean'))} [{_num(getattr(r, p + '_lo'))}, "  # noqa: E731
                          f"{_num(getattr(r, p + '_hi'))}], {getattr(r, p + '_verdict')}")
        change = r.change + ("; verdict depends on budget" if r.depends else "")
        lines.append(" & ".join(tex_escape(x) for x in (r.id, cell("base"), cell("long"), change))
                     + r"\\")
    return "\n".join(lines) + "\n"


def format_sensitivity(table: pd.DataFrame) -> str:
    """Plain-text form of :func:`sensitivity`, with a closing count."""
    from initaudit.analysis.claims import _num

    if table.empty:
        return "no training claim in the ledger"
    k = table.factor.iloc[0]
    lines = [f"{'claim':<24} {'at the preset':<40} {f'at {k:g}x the budget':<40} change"]
    for r in table.itertuples():
        cell = lambda p: (f"{_num(getattr(r, p + '_mean'))} [{_num(getattr(r, p + '_lo'))}, "  # noqa: E731
                          f"{_num(getattr(r, p + '_hi'))}] {getattr(r, p + '_verdict')}")
        mark = "; verdict depends on budget" if r.depends else ""
        lines.append(f"{r.id:<24} {cell('base'):<40} {cell('long'):<40} {r.change}{mark}")
    measured = table[table.change != "not measured"]
    counts = measured.change.value_counts()
    lines.append(f"{len(measured)} of {len(table)} claims measured at both budgets: "
                 + ", ".join(f"{int(counts.get(c, 0))} {c}" for c in CHANGES[:4])
                 + f"; {int(measured.depends.sum())} verdicts depend on the budget")
    return "\n".join(lines)


__all__ = ["CHANGES", "LONG_BUDGET", "budget_experiments", "classify", "format_sensitivity",
           "latex_rows", "load", "measured_name", "merge", "run_long", "sensitivity", "summary_sentence"]
