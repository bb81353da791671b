"""Calibration of the ledger's decision rules: simulated records with a known truth.

Each test draws many synthetic records the way the experiments make them (Student-t intervals of
n normal replicates; Clopper-Pearson intervals of binomial counts; the extreme of several paired
differences), with the true effect placed where a verdict is most often wrong (at the rule's
boundary), passes them through the ledger's own decision path (:meth:`analysis.claims.Rule.decide`
with the ledger's family size), and counts the wrong verdicts. A rate fails its bound when a count
at least as large would occur with probability below 1e-6 if the true rate were the bound (exact
binomial tail). The simulations check the logic (which interval, which side, which level enters
which rule); the levels themselves are also checked exactly against scipy's quantiles, which the
simulations alone could not resolve at 0.05/56 per side. Under the normal model only: real
records with few skewed replicates can err more often (module docstring of analysis.claims).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sst

from initaudit.analysis import claims, stats
from initaudit.analysis.claims import Rule

M = len(claims.CLAIMS)           # the ledger's family
ALPHA = 1.0 - claims.FAMILY_LEVEL
REPS = 5_000


def _bound_ok(wrong: int, reps: int, bound: float) -> None:
    """The count is compatible with a rate of at most ``bound`` (one-sided binomial tail)."""
    tail = float(sst.binom.sf(wrong - 1, reps, bound))  # P(X >= wrong) at rate = bound
    assert tail >= 1e-6, (wrong, reps, bound, tail)


def _t_records(rng, truth: float, n: int, reps: int, sd: float = 1.0) -> list[dict]:
    x = rng.normal(truth, sd, size=(reps, n))
    return [stats.t_interval(row) for row in x]


@pytest.mark.parametrize("n", [3, 5, 10])
def test_greater_and_less_at_the_threshold(n):
    """At truth = threshold both verdicts are wrong; each errs with probability at most
    alpha / (2 m)."""
    rng = np.random.default_rng(n)
    records = _t_records(rng, 0.3, n, REPS)
    for kind, wrong_words in (("greater", ("supported", "not supported")),
                              ("less", ("supported", "not supported"))):
        rule = Rule(kind, threshold=0.3)
        verdicts = [rule.decide(r, family=M)[0] for r in records]
        for word in wrong_words:
            _bound_ok(verdicts.count(word), REPS, ALPHA / (2 * M))


def test_within_at_an_equivalence_bound():
    """Truth on the upper bound: "supported" (inside) needs hi <= high, which errs with
    probability at most alpha / (2 m)."""
    rng = np.random.default_rng(1)
    rule = Rule("within", low=-1.0, high=1.0)
    verdicts = [rule.decide(r, family=M)[0] for r in _t_records(rng, 1.0, 5, REPS, sd=0.5)]
    _bound_ok(verdicts.count("supported"), REPS, ALPHA / (2 * M))


def test_at_least_under_no_effect_and_at_the_claimed_size():
    rng = np.random.default_rng(2)
    rule = Rule("at_least", threshold=2.0)
    none = [rule.decide(r, family=M)[0] for r in _t_records(rng, 0.0, 5, REPS)]
    _bound_ok(none.count("supported"), REPS, ALPHA / (2 * M))      # claimed gain absent
    full = [rule.decide(r, family=M)[0] for r in _t_records(rng, 2.0, 5, REPS)]
    _bound_ok(full.count("not supported"), REPS, ALPHA / (2 * M))  # claimed gain present


def test_rare_events_at_the_threshold_rate():
    """A Clopper-Pearson record at the true rate = threshold: "supported" (rate below it) errs
    with probability at most alpha / (2 m). Zero failures bound the rate below 0.1 only from
    67 runs on, so the runs here are enough for "supported" to occur at all."""
    rng = np.random.default_rng(3)
    rule = Rule("less", threshold=0.1)
    for n in (67, 100, 200):
        k = rng.binomial(n, 0.1, size=REPS)
        verdicts = [rule.decide({**stats.clopper_pearson(int(j), n), "interval": "clopper-pearson"},
                                family=M)[0] for j in k]
        _bound_ok(verdicts.count("supported"), REPS, ALPHA / (2 * M))


def _ledger_wrong_rate(family: int, reps: int, seed: int = 4) -> tuple[int, int]:
    """Simulated ledgers of all the claims at their worst-case truths, decided with ``family``:
    the number of ledgers with at least one wrong verdict. Records of the kinds the ledger has:
    Student-t of 3, 5 or 10 replicates; the extreme of 13 tied paired differences for the
    "best other" claims; a Clopper-Pearson rate over 100 runs for hmlp-stable."""
    rng = np.random.default_rng(seed)
    any_wrong = 0
    for _ in range(reps):
        wrong = False
        for j, c in enumerate(claims.CLAIMS):
            rule, n = c.rule, (3, 5, 10)[j % 3]
            if rule.kind in ("greater", "less"):
                truth = rule.threshold       # both decided verdicts are wrong here
            elif rule.kind == "within":
                truth = rule.high + 1e-9     # just outside: "supported" is wrong
            else:
                truth = 0.0                  # no gain: "supported" is wrong
            if "best_other" in c.key:        # harmonic is every other strategy's equal,
                h = rng.normal(0.0, 1.0, 5)     # up to the threshold (the non-inferiority margin)
                others = [rng.normal(-rule.threshold, 1.0, 5) for _ in range(13)]
                rec = {**stats.extreme_difference(others, h,
                                                  "min" if rule.kind == "greater" else "max"),
                       "interval": "extreme-of-t"}
            elif c.id == "hmlp-stable":
                rec = {**stats.clopper_pearson(int(rng.binomial(100, rule.threshold)), 100),
                       "interval": "clopper-pearson"}
            else:
                rec = stats.t_interval(rng.normal(truth, 1.0, size=n))
            verdict = rule.decide(rec, family=family)[0]
            if verdict == "supported" or (verdict == "not supported"
                                          and rule.kind in ("greater", "less")):
                wrong = True
        any_wrong += wrong
    return any_wrong, reps


def test_the_whole_ledger_errs_at_most_five_percent():
    """All the claims at once, every one where its verdicts err most (the truth on a one-sided
    rule's threshold, just outside an equivalence bound, no gain against a claimed one, a tie
    for "best of the others", a rate at its threshold): the chance that any verdict is wrong is
    at most 5%."""
    _bound_ok(*_ledger_wrong_rate(M, 1500), ALPHA)


def test_the_same_ledger_with_plain_intervals_errs_far_more():
    """The control: deciding on each record's plain 95% interval (a family of one) makes the same
    simulated ledgers wrong far more often than 5%, so the test above can fail."""
    wrong, reps = _ledger_wrong_rate(1, 400, seed=7)
    assert wrong / reps > 0.3


def test_rare_event_record_is_recomputed_at_the_family_level():
    rec = {**stats.clopper_pearson(0, 10), "interval": "clopper-pearson"}
    lo, hi = claims.simultaneous_interval(rec, M)[:2]
    ref = stats.clopper_pearson(0, 10, 1 - ALPHA / M)
    assert (lo, hi) == (ref["lo"], ref["hi"])
    assert hi == pytest.approx(1 - (ALPHA / (2 * M)) ** 0.1, rel=1e-10)  # k = 0: closed form


def test_clopper_pearson_matches_scipy_binomtest():
    for k, n in ((0, 5), (1, 10), (7, 7), (13, 40)):
        mine = stats.clopper_pearson(k, n, 0.99)
        ref = sst.binomtest(k, n).proportion_ci(confidence_level=0.99, method="exact")
        assert mine["lo"] == pytest.approx(ref.low, abs=1e-12)
        assert mine["hi"] == pytest.approx(ref.high, abs=1e-12)
    with pytest.raises(ValueError, match="0 <= k <= n"):
        stats.clopper_pearson(3, 2)


def test_simultaneous_quantile_covers_all_at_once():
    """m independent t-intervals at the Bonferroni quantile all cover with probability at least
    the level (independence is the case where Bonferroni is nearly exact)."""
    assert stats.simultaneous_quantile(1, math.inf, 0.95) == pytest.approx(1.959964, abs=1e-6)
    rng = np.random.default_rng(5)
    m, n, reps = 10, 4, 20_000
    q = stats.simultaneous_quantile(m, n - 1, 0.95)
    x = rng.normal(0.0, 1.0, size=(reps, m, n))
    t = x.mean(-1) / (x.std(-1, ddof=1) / math.sqrt(n))
    miss = int(np.any(np.abs(t) > q, axis=1).sum())
    _bound_ok(miss, reps, 0.05)
    assert miss / reps > 0.05 - 0.01  # and not far below it: independent intervals use it up
    with pytest.raises(ValueError, match="at least one"):
        stats.simultaneous_quantile(0, 3)


def test_ledger_table_reports_the_interval_it_reads():
    """The simultaneous interval is the t-interval rescaled to the Bonferroni quantile (checked
    against scipy's t quantiles directly), and the detectable effect adds the 80% power term."""
    rec = {"mean": 1.0, "lo": 0.5, "hi": 1.5, "n": 6}
    lo, hi, se, df = claims.simultaneous_interval(rec, 28)
    q95, qm = sst.t.ppf(0.975, 5), sst.t.ppf(1 - 0.05 / 56, 5)
    assert se == pytest.approx(0.5 / q95, rel=1e-12)
    assert (lo, hi) == (pytest.approx(1 - qm * se, rel=1e-12), pytest.approx(1 + qm * se, rel=1e-12))
    assert claims.detectable(rec, 28) == pytest.approx((qm + sst.t.ppf(0.8, 5)) * se, rel=1e-12)
    assert claims.simultaneous_interval(rec, 1)[:2] == (pytest.approx(0.5), pytest.approx(1.5))
    with pytest.raises(ValueError, match="event count"):
        claims.simultaneous_interval({"mean": 0, "lo": 0, "hi": 1, "n": 3,
                                      "interval": "clopper-pearson"}, 3)


def test_best_of_others_without_choosing_the_comparator():
    """"Harmonic beats the best of K others" at its boundary (harmonic ties the best other,
    which is clearly ahead of the rest): "supported" errs at most alpha / (2 m); the interval
    for the extreme covers min_k (H - other_k) at least 95% of the time (checked at level 0.95,
    plain numpy simulation)."""
    rng = np.random.default_rng(6)
    rule = Rule("greater", threshold=0.0)
    k, n, reps = 11, 5, 3000
    means = np.r_[0.0, np.full(k - 1, -1.0)]        # other 0 ties harmonic; the rest trail
    wrong, cover = 0, 0
    for _ in range(reps):
        h = rng.normal(0.0, 1.0, n)
        others = [rng.normal(m, 1.0, n) for m in means]
        rec = stats.extreme_difference(others, h, "min")
        rec = {**rec, "interval": "extreme-of-t"}
        wrong += rule.decide(rec, family=M)[0] == "supported"
        cover += rec["lo"] <= 0.0 <= rec["hi"]      # truth: min_k (0 - m_k) = 0
    _bound_ok(wrong, reps, ALPHA / (2 * M))
    assert cover / reps >= 0.95 - 5 * math.sqrt(0.05 * 0.95 / reps)
    # the record's interval at the family level, from the components with scipy's quantiles:
    # the lower end of a minimum at alpha / (2 m) per component, the upper end Bonferroni over K
    lo, hi = claims.simultaneous_interval(rec, M)[:2]
    comps = rec["components"]
    a = ALPHA / M
    assert lo == pytest.approx(min(m - sst.t.ppf(1 - a / 2, d) * s for m, s, d in comps),
                               rel=1e-12)
    assert hi == pytest.approx(min(m + sst.t.ppf(1 - a / (2 * k), d) * s for m, s, d in comps),
                               rel=1e-12)
    mx = claims.extreme_bounds(comps, "max", a)
    assert mx[0] == pytest.approx(max(m - sst.t.ppf(1 - a / (2 * k), d) * s for m, s, d in comps),
                                  rel=1e-12)
    assert mx[1] == pytest.approx(max(m + sst.t.ppf(1 - a / 2, d) * s for m, s, d in comps),
                                  rel=1e-12)
    # all 11 competitors tied with harmonic: the case that needs the Bonferroni over K, on the
    # upper end of the minimum ("not supported" when it falls below 0 is then wrong)
    cover, false_no = 0, 0
    for _ in range(reps):
        h = rng.normal(0.0, 1.0, n)
        rec = stats.extreme_difference([rng.normal(0.0, 1.0, n) for _ in range(k)], h, "min")
        cover += rec["lo"] <= 0.0 <= rec["hi"]
        false_no += rule.decide({**rec, "interval": "extreme-of-t"}, family=M)[0] == "not supported"
    _bound_ok(reps - cover, reps, 0.05)
    _bound_ok(false_no, reps, ALPHA / (2 * M))
    with pytest.raises(ValueError, match="components and extreme"):
        claims.simultaneous_interval({"mean": 0, "lo": 0, "hi": 1, "n": 3,
                                      "interval": "extreme-of-t"}, 3)
