"""The claims ledger: every checkable claim of the four audited sources, its decision rule, and
a verdict computed from cached results.

A :class:`Claim` names the source, states the claim in one sentence with the number it quotes,
points to the *evidence*: an :class:`~initaudit.analysis.evidence.Evidence` record (estimate,
95% interval, n, p, unit, what) that an experiment's ``summarize`` puts in
``summary["evidence"]`` under a stable key, and carries a :class:`Rule`, the decision rule
(which parts of it were chosen before any run and which after: "When the rules were chosen",
below):

Every rule reads the record's *simultaneous* interval: its 95% interval widened so that the
intervals of all the ledger's claims cover their targets at once with probability at least 95%
(:data:`FAMILY_LEVEL`; Bonferroni over the :data:`CLAIMS`, ``m = len(CLAIMS)`` fixed before any
run, so it holds whatever the dependence between the claims and whichever of them run). A
Student-t record (``mean +- t_{0.975, df} se``, ``df = n - 1`` unless the record says otherwise)
becomes ``mean +- t_{1 - 0.05/(2m), df} se``; a ratio's Fieller record (``interval = "fieller"``
with ``fieller = [a, b, vaa, vab, vbb]``, :func:`analysis.ratio.fieller`) is recomputed at level
``1 - 0.05/m``, and is unbounded when the denominator is not credibly nonzero; a Clopper-Pearson record (a rate of rare events,
``interval = "clopper-pearson"`` with its count ``k``) is recomputed at level ``1 - 0.05/m``; an
extreme of K differences (``interval = "extreme-of-t"``, "the method minus the best of the
others", :func:`analysis.stats.extreme_difference`) from its K components at level ``1 - 0.05/m``
(:func:`extreme_bounds`: the end on the extreme's side without, the other with Bonferroni over K).
A verdict other than inconclusive is wrong only when its interval misses the truth, so the chance
that *any* verdict of the ledger is wrong is at most 5%, nominally: it holds when each record's
own interval has its stated coverage far into the tail (0.05/56 per side), as a Student-t
interval does for normal replicates, and a Fieller interval for jointly normal slopes; with 3
to 5 seeds of skewed data the real rate can be higher (``tests/test_claims_calibration.py``
simulates the rules at their boundaries under the normal model). One exception: an ``at_least``
"supported" says only that the gain is positive and compatible with the claimed size (the
interval reaches c), not that the gain is c. The plain 95% interval is still reported.

When the rules were chosen
-------------------------
The claimed numbers and thresholds (4.8 points, 20.9%, 95% accuracy, the equivalence bands, 0.02
nats, the 5% spectrum share, the 30 dB sanity level) were fixed with the claims before the first
run. Chosen after results at the ``cpu`` preset had been seen: the reading at the simultaneous
level; ``hmlp-stable`` as a rate of runs with a non-finite loss below 0.1 (not a mean count of
non-finite steps); the margins of every ``greater`` and ``less`` claim; and the non-inferiority
form of ``hlm-best-accuracy``, ``hlm-lowest-loss`` and ``hlm-heldout-accuracy`` (thresholds
-0.005, +0.005 and -0.005 where strict superiority, threshold 0, was the first form), because the
source's own table ties the claimed strategy with others (accuracy 1.0000 for five strategies,
loss 0.0037 for three).

``greater`` (threshold t)
    supported when the interval lies above t, not supported when it lies below t (the
    effect is credibly on the other side), inconclusive when it straddles t.
``less`` (threshold t)
    the mirror image.
``within`` (low, high)
    an equivalence test (two one-sided tests on the interval): supported when the whole interval lies inside [low, high], not supported when it lies
    wholly outside, inconclusive otherwise.
``at_least`` (claimed c)
    a quantitative claim "an improvement of c": supported when the interval lies above 0 and
    reaches c (hi >= c: consistent with the claimed size), not supported when it lies wholly
    below c, with the reason saying which: positive but smaller than claimed (lo > 0), no
    improvement detected (the interval holds 0), or worse than the baseline (hi < 0);
    inconclusive otherwise.

Any rule gives *inconclusive* when the record has fewer than ``min_n`` replicates (default 3)
or a non-finite interval, and *not run* when there is no record, with the reason: a cell of the
experiment is not in the cache (run ``initaudit reproduce`` or ``initaudit experiment NAME`` at
that preset first), the claim's setting was skipped for a missing input (``medical.txt not
given``, read from the summary's ``"skipped"`` list), or the preset does not measure it. The
ledger reads experiments through :func:`initaudit.analysis.experiment.cached_run`: nothing is
computed, and no figure is involved. Raw p-values, where the record has one, are also
Holm-adjusted over the whole ledger (:func:`analysis.stats.holm`) and printed beside it.

Each row also reports ``detectable``: the distance from the rule's threshold at which a true
effect would get a decision with probability 80% under this design (``(t_{1 - 0.05/(2m), df} +
t_{0.8, df}) se``), the smallest effect the design can detect.

Verdicts
--------
The rule's word above is the row's ``outcome``. The ``verdict`` adds the scale at which it was
reached: each claim has a setting in :mod:`initaudit.analysis.scale` (the source's published
width, depth, steps or epochs, data size and seeds, with the citation of each, and what of the
source's setting the test does not share), which gives the row its ``tier`` and ``scale_ratio``
(ran / published per dimension). A decided outcome reads (:data:`WORDS`):

==================  ===============================  =====================================
tier                supported                        not supported
==================  ===============================  =====================================
published           confirmed                        contradicted
reduced             consistent at reduced scale      not reproduced at reduced scale
setting differs     consistent in a different        not reproduced in a different
                    setting                          setting
extension           holds                            does not hold
==================  ===============================  =====================================

An inconclusive outcome is *underpowered* when the simultaneous interval is unbounded, or
reaches farther from the estimate on the side that decides for the claim
(:func:`deciding_reach`) than the claim's ``margin``, the smallest effect that matters
(:meth:`Claim.decision_margin`: half the band of ``within``, the claimed c of ``at_least``, and
a margin stated with each ``greater`` or ``less`` claim): an effect of the margin's size,
measured as precisely, would not be decided. (The deciding side, not the half-width: the
intervals of a rate near 0 and of "the best of the others" are lopsided.) Extensions (checks of the package's own) are counted apart from the sources' claims
(:func:`tier_sentence`). Where the theory predicts the record's quantity for the networks as
drawn, the row's ``prediction`` holds it (:func:`predictions`).

"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import pandas as pd

from initaudit.analysis import claimed, stats
from initaudit.analysis.evidence import Evidence
from initaudit.analysis.presets import check_preset
from initaudit.theory.checks import choice

#: Reasons of a "not run": a cell of the experiment is not cached at this preset, or its summary
#: lacks the record (the preset does not measure it).
NO_RESULT = "no cached result at this preset"
NOT_MEASURED = "not measured at this preset"
#: The outcomes of a rule (:meth:`Rule.decide`), before the tier is read.
OUTCOMES = ("supported", "not supported", "inconclusive", "not run")
#: The verdict word of each tier (:mod:`initaudit.analysis.scale`) for a decided outcome.
WORDS = {
    "published": {"supported": "confirmed", "not supported": "contradicted"},
    "reduced": {"supported": "consistent at reduced scale",
                "not supported": "not reproduced at reduced scale"},
    "setting differs": {"supported": "consistent in a different setting",
                        "not supported": "not reproduced in a different setting"},
    "extension": {"supported": "holds", "not supported": "does not hold"},
}
#: The outcome behind each verdict word.
_OUTCOME_OF = {**{w: o for tier in WORDS.values() for o, w in tier.items()},
               "underpowered": "inconclusive"}
#: The possible verdicts, decided ones first, tier by tier.
VERDICTS = tuple(w for tier in WORDS.values() for w in tier.values()) + (
    "underpowered", "inconclusive", "not run")
RULE_KINDS = ("greater", "less", "within", "at_least")
#: Probability that the simultaneous intervals of all the ledger's claims cover at once.
FAMILY_LEVEL = 0.95
#: Power at which ``detectable`` is computed.
DETECT_POWER = 0.8
#: Interval kinds a record may declare (``record["interval"]``; ``t`` when absent).
INTERVAL_KINDS = ("t", "clopper-pearson", "extreme-of-t", "fieller")

SOURCES = {
    "eoc": "Combette, Venaille and Pustelnik (2025), arXiv 2512.06427",
    "sinusoidal": "Fernandez-Hernandez et al. (2025), NeurIPS",
    "harmonic-lm": "Fatykhov (2026), Harmonic Initialization for medical LMs",
    "harmonic-mlp": "HarmonicMLP (public reference code)",
}


@dataclass(frozen=True)
class Rule:
    """A decision rule (see the module docstring).

    Attributes:
        kind: one of :data:`RULE_KINDS`.
        threshold: t of ``greater``/``less``; c of ``at_least``.
        low, high: the equivalence bounds of ``within``.
        min_n: fewest replicates for a decision.
    """

    kind: str
    threshold: float = 0.0
    low: float = -math.inf
    high: float = math.inf
    min_n: int = 3

    def __post_init__(self):
        choice(self.kind, RULE_KINDS, "rule kind")
        if self.kind == "within" and not self.low < self.high:
            raise ValueError(f"a 'within' rule needs low < high, got [{self.low}, {self.high}]")
        if self.min_n < 2:
            raise ValueError(f"min_n must be at least 2 (an interval needs two replicates), got {self.min_n}")

    def describe(self) -> str:
        """The rule in words, for the ledger table."""
        if self.kind == "greater":
            return f"simultaneous CI above {self.threshold:g}"
        if self.kind == "less":
            return f"simultaneous CI below {self.threshold:g}"
        if self.kind == "within":
            return f"simultaneous CI inside [{self.low:g}, {self.high:g}]"
        return f"simultaneous CI above 0 and reaching {self.threshold:g}"

    def decide(self, record: dict | None, missing: str = NO_RESULT, *,
               family: int = 1) -> tuple[str, str]:
        """Verdict and a short reason for one evidence record (None: not run, for ``missing``),
        read off its interval made simultaneous over ``family`` claims
        (:func:`simultaneous_interval`; ``family=1``: the record's own 95% interval)."""
        if record is None:
            return "not run", missing
        n = int(record.get("n", 0) or 0)
        lo, hi = simultaneous_interval(record, family)[:2]
        if n < self.min_n:
            return "inconclusive", f"too few replicates ({n} < {self.min_n})"
        if not (math.isfinite(lo) and math.isfinite(hi)):
            return "inconclusive", "interval not finite"
        if self.kind == "greater":
            if lo > self.threshold:
                return "supported", "interval above the threshold"
            if hi < self.threshold:
                return "not supported", "interval below the threshold"
            return "inconclusive", "interval straddles the threshold"
        if self.kind == "less":
            if hi < self.threshold:
                return "supported", "interval below the threshold"
            if lo > self.threshold:
                return "not supported", "interval above the threshold"
            return "inconclusive", "interval straddles the threshold"
        if self.kind == "within":
            if self.low <= lo and hi <= self.high:
                return "supported", "interval inside the equivalence bounds"
            if hi < self.low or lo > self.high:
                return "not supported", "interval outside the equivalence bounds"
            return "inconclusive", "interval crosses an equivalence bound"
        # at_least
        if lo > 0 and hi >= self.threshold:
            return "supported", "positive and compatible with the claimed size"
        if hi < self.threshold:
            if lo > 0:
                return "not supported", "positive but credibly smaller than claimed"
            if hi < 0:
                return "not supported", "credibly worse than the baseline"
            return "not supported", "credibly smaller than claimed; no improvement detected"
        return "inconclusive", "interval includes zero"


def _df(record) -> float:
    df = record.get("df")
    if df is None or (isinstance(df, float) and math.isnan(df)):
        return float(int(record.get("n", 0) or 0) - 1)
    return float(df)


def simultaneous_interval(record, family: int) -> tuple[float, float, float, float]:
    """``(lo, hi, se, df)``: the record's interval made simultaneous over ``family`` intervals
    at :data:`FAMILY_LEVEL` (see the module docstring). ``se`` and ``df`` are NaN for a
    Clopper-Pearson record; the interval is NaN when the record's is.

    Raises:
        ValueError: an unknown interval kind, or a Clopper-Pearson record without its count.
    """
    kind = record.get("interval", "t") or "t"
    choice(kind, INTERVAL_KINDS, "interval kind")
    n = int(record.get("n", 0) or 0)
    mean = float(record.get("mean", math.nan))
    lo, hi = float(record.get("lo", math.nan)), float(record.get("hi", math.nan))
    if kind == "clopper-pearson":
        if record.get("k") is None:
            raise ValueError("a Clopper-Pearson record needs its event count k")
        level = 1.0 - (1.0 - FAMILY_LEVEL) / family
        r = stats.clopper_pearson(int(record["k"]), n, level)
        return r["lo"], r["hi"], math.nan, math.nan
    if kind == "fieller":
        parts = record.get("fieller")
        if not parts or len(parts) != 5:
            raise ValueError("a Fieller record needs fieller = [a, b, vaa, vab, vbb]")
        from initaudit.analysis.ratio import fieller

        lo, hi = fieller(*map(float, parts), _df(record), 1.0 - (1.0 - FAMILY_LEVEL) / family)
        return lo, hi, math.nan, math.nan
    if kind == "extreme-of-t":
        if not record.get("components") or record.get("extreme") not in ("min", "max"):
            raise ValueError("an extreme-of-t record needs its components and extreme")
        lo, hi = extreme_bounds(record["components"], record["extreme"],
                                (1.0 - FAMILY_LEVEL) / family)
        return lo, hi, math.nan, math.nan
    df = _df(record)
    if not (math.isfinite(lo) and math.isfinite(hi) and math.isfinite(mean)) or not df > 0:
        return math.nan, math.nan, math.nan, df
    q95, qm, _ = _quantiles(int(family), df)
    scale = qm / q95
    se = (hi - lo) / (2.0 * q95)
    # each side scaled on its own (a symmetric record stays symmetric)
    return mean - (mean - lo) * scale, mean + (hi - mean) * scale, se, df


def extreme_bounds(components, extreme: str, alpha: float) -> tuple[float, float]:
    """``(lo, hi)`` covering ``extreme`` (``min`` or ``max``) of the K component means with
    probability at least ``1 - alpha``, each end missing with probability at most ``alpha / 2``.

    The end on the extreme's own side needs no correction over K (an intersection-union
    argument): for the minimum, ``min_k lo_k <= lo_j`` for the component j whose mean is the
    smallest, so it exceeds that mean only when ``lo_j`` does, with probability ``alpha / 2``.
    The other end needs Bonferroni over K: ``min_k hi_k`` falls below the smallest mean when any
    ``hi_k`` falls below its own mean. Each component is a Student-t interval ``mean +- q se``
    with its ``df``. NaN when any component has a non-finite entry.
    """
    comps = [(float(m), float(sd), float(d)) for m, sd, d in components]
    if not comps or not all(math.isfinite(m) and math.isfinite(sd) and d > 0
                            for m, sd, d in comps):
        return math.nan, math.nan
    k = len(comps)
    one = [_t_quantile(1.0 - alpha / 2.0, d) for _, _, d in comps]
    many = [_t_quantile(1.0 - alpha / (2.0 * k), d) for _, _, d in comps]
    if extreme == "min":
        return (min(m - q * sd for (m, sd, _), q in zip(comps, one)),
                min(m + q * sd for (m, sd, _), q in zip(comps, many)))
    return (max(m - q * sd for (m, sd, _), q in zip(comps, many)),
            max(m + q * sd for (m, sd, _), q in zip(comps, one)))


@functools.lru_cache(maxsize=1024)
def _t_quantile(p: float, df: float) -> float:
    from scipy import stats as sst

    return float(sst.norm.ppf(p) if math.isinf(df) else sst.t.ppf(p, df))


def detectable(record, family: int) -> float:
    """Distance from the threshold at which a true effect gets a decision with probability
    :data:`DETECT_POWER` (module docstring); NaN when the record gives no standard error."""
    _, _, se, df = simultaneous_interval(record, family)
    if not math.isfinite(se):
        return math.nan
    _, qm, power = _quantiles(int(family), df)
    return (qm + power) * se


@functools.lru_cache(maxsize=256)
def _quantiles(family: int, df: float) -> tuple[float, float, float]:
    """(95% quantile, simultaneous quantile, power quantile) of Student t with ``df``."""
    from scipy import stats as sst

    def q(p):
        return float(sst.norm.ppf(p) if math.isinf(df) else sst.t.ppf(p, df))

    return q(0.975), stats.simultaneous_quantile(family, df, FAMILY_LEVEL), q(DETECT_POWER)


@dataclass(frozen=True)
class Claim:
    """One ledger row.

    Attributes:
        id: short stable identifier.
        source: key of :data:`SOURCES`.
        claim: the claim in one sentence, with the number the source quotes.
        experiment: NAME of the experiment whose ``summary["evidence"]`` holds the record
            (:mod:`initaudit.analysis.experiments`).
        key: the record's key.
        test: the statistical test behind the record's interval.
        rule: the decision rule (module docstring: when it was chosen).
        setting: the experiment setting the record comes from, when the experiment has
            several and one can be skipped for a missing input (``medical_windows``); the
            verdict is then "not run" with the skip's reason.
        margin: the smallest effect that matters, in the record's unit, for ``greater`` and
            ``less`` rules (the others derive it: :meth:`decision_margin`); an inconclusive
            interval wider than twice it is *underpowered*.
    """

    id: str
    source: str
    claim: str
    experiment: str
    key: str
    test: str
    rule: Rule = field(default_factory=lambda: Rule("greater"))
    setting: str | None = None
    margin: float | None = None

    def __post_init__(self):
        if self.rule.kind in ("greater", "less") and not (self.margin is not None
                                                           and self.margin > 0):
            raise ValueError(f"claim {self.id!r}: a {self.rule.kind!r} rule needs a positive "
                             f"margin (the smallest effect that matters), got {self.margin!r}")

    def decision_margin(self) -> float:
        """The distance from the threshold that a decision must resolve (module docstring):
        the stated margin; half the equivalence band of ``within``; c of ``at_least``."""
        if self.rule.kind == "within":
            return (self.rule.high - self.rule.low) / 2.0
        if self.rule.kind == "at_least":
            return abs(self.rule.threshold)
        return float(self.margin)


_PAIRED = "paired t-interval over seeds"
_ONE = "t-interval over seeds"
_EXTREME = ("extreme of the paired t-intervals to every other strategy: the end on the "
            "extreme's side as is, the other Bonferroni over them (claims.extreme_bounds)")

#: The ledger. The claimed thresholds and equivalence bounds were fixed with the claims before any
#: run; the margins and the non-inferiority thresholds after (module docstring).
CLAIMS: tuple[Claim, ...] = (
    # --- edge of chaos: mechanisms -------------------------------------------------------
    Claim("eoc-grad-sigma0", "eoc",
          "At the unit-gain point sigma_a = 0 the gradient variance is the same at every depth.",
          "mc-gradients", "grad_log2_ratio_edge_of_chaos",
          "delta-method Student-t interval over networks (n - 1 df)", Rule("within", low=-1.0, high=1.0)),
    Claim("eoc-grad-sigma1", "eoc",
          "At the unit-gain point sigma_a = 1 the gradient variance is the same at every depth.",
          "mc-gradients", "grad_log2_ratio_edge_of_chaos_sigma_a1",
          "delta-method Student-t interval over networks (n - 1 df)", Rule("within", low=-1.0, high=1.0)),
    Claim("eoc-spectrum", "eoc",
          "Edge-of-chaos initialisation confines the network's spectrum below omega_0 "
          "(here: under 5% of the energy above omega_0 at the largest depth).",
          "spectrum-depth", "energy_above_omega0_edge_of_chaos", _ONE,
          Rule("less", threshold=0.05), margin=0.05),
    Claim("eoc-ntk-linear", "eoc",
          "At unit gain (sigma_a = 1) the mean NTK eigenvalue grows linearly with depth "
          "(slope ratio between the deep and the shallow half within [0.8, 1.25]).",
          "ntk-depth", "ntk_increment_ratio_edge_of_chaos_sigma_a1",
          "Fieller interval over networks (n - 1 df)", Rule("within", low=0.8, high=1.25)),
    Claim("eoc-ntk-linear-sigma0", "eoc",
          "At unit gain (sigma_a = 0) the mean NTK eigenvalue grows linearly with depth.",
          "ntk-depth", "ntk_increment_ratio_edge_of_chaos",
          "Fieller interval over networks (n - 1 df)", Rule("within", low=0.8, high=1.25)),
    Claim("eoc-image-sigma0", "eoc",
          "Edge-of-chaos initialisation (sigma_a = 0) generalises better than the SIREN reference "
          "when an image is fitted on a subsampled grid (here: PSNR on all 512x512 pixels, pooled "
          "over depths; positive is better).",
          "image-fit", "image_gen_psnr_edge_of_chaos_vs_siren_pooled", _PAIRED,
          Rule("greater", threshold=0.0), margin=1.0),
    Claim("eoc-image-sigma1", "eoc",
          "Edge-of-chaos initialisation (sigma_a = 1) generalises better than the SIREN reference "
          "on the same image task.",
          "image-fit", "image_gen_psnr_edge_of_chaos_sigma_a1_vs_siren_pooled", _PAIRED,
          Rule("greater", threshold=0.0), margin=1.0),
    Claim("eoc-audio-fit", "eoc",
          "Edge-of-chaos initialisation fits audio better than the SIREN reference (here: SNR of "
          "the fitted recording, sigma_a = 0, both at omega_0 = 3000).",
          "audio-fit", "audio_recording_fit_snr_edge_of_chaos_same_omega_vs_siren", _PAIRED,
          Rule("greater", threshold=0.0), margin=1.0, setting="recording"),
    Claim("eoc-audio-denoise", "eoc",
          "Edge-of-chaos initialisation denoises audio better than the SIREN reference (here: SNR "
          "against the clean recording, sigma_a = 0 at its rule omega_0 vs SIREN at 3000).",
          "audio-fit", "audio_recording_denoise_snr_edge_of_chaos_rule_omega_vs_siren",
          _PAIRED, Rule("greater", threshold=0.0), margin=1.0, setting="recording"),
    Claim("siren-sanity", "eoc",
          "The SIREN reference in its own image setting (256x256, 3 hidden layers of 256, lr 1e-4) "
          "reaches the PSNR usually reported for it (here: above 30 dB within the preset's budget).",
          "image-fit", "image_siren_sanity_psnr", _ONE, Rule("greater", threshold=30.0), margin=1.0),
    Claim("eoc-pinn-sigma0", "eoc",
          "Edge-of-chaos initialisation (sigma_a = 0) solves a physics-informed problem better than "
          "the SIREN reference (here: 2-D Poisson, log10 relative L2 error, pooled over depths; "
          "negative is better).",
          "poisson", "poisson_edge_of_chaos_vs_siren_log10_rel_l2_pooled", _PAIRED,
          Rule("less", threshold=0.0), margin=0.3),
    Claim("eoc-pinn-sigma1", "eoc",
          "Edge-of-chaos initialisation (sigma_a = 1) solves a physics-informed problem better "
          "than the SIREN reference (as above).",
          "poisson", "poisson_edge_of_chaos_sigma_a1_vs_siren_log10_rel_l2_pooled", _PAIRED,
          Rule("less", threshold=0.0), margin=0.3),
    # --- Sinusoidal initialisation ---------------------------------------------------------
    Claim("sin-best-accuracy", "sinusoidal",
          "Sinusoidal initialisation raises the best validation accuracy (before 10 epochs "
          "without improvement) by 4.8 points over the default, averaged over settings.",
          "sinusoidal-classification", "sinusoidal_vs_default_best_acc_pooled", _PAIRED,
          Rule("at_least", threshold=claimed.SIN_ACCURACY_POINTS)),
    Claim("sin-convergence", "sinusoidal",
          "Sinusoidal initialisation speeds up convergence by 20.9% (relative area under the "
          "validation-accuracy curve), averaged over settings.",
          "sinusoidal-classification", "sinusoidal_vs_default_rel_auc_pooled", _PAIRED,
          Rule("at_least", threshold=claimed.SIN_REL_AUC)),
    Claim("sin-paper-best-accuracy", "sinusoidal",
          "The paper-era sinusoidal variant raises the best validation accuracy by 4.8 points.",
          "sinusoidal-classification", "sinusoidal_paper_vs_default_best_acc_pooled", _PAIRED,
          Rule("at_least", threshold=claimed.SIN_ACCURACY_POINTS)),
    Claim("sin-uniform-states", "sinusoidal",
          "At the first forward pass sinusoidal initialisation gives more uniform activation "
          "states than the default (smaller spread across ReLU units of the positive fraction).",
          "activation-states", "activation_std_diff_sinusoidal_vs_default_pooled", _PAIRED,
          Rule("less", threshold=0.0), margin=0.02),
    # --- Harmonic initialisation of a medical LM (the paper's protocol: windows of its text) ---
    Claim("hlm-best-accuracy", "harmonic-lm",
          "Harmonic embedding initialisation gives the highest accuracy of the 12 strategies "
          "(1.000, tied in the source's table with four others); here: harmonic minus the best "
          "other strategy, validation accuracy, not below -0.005 (non-inferiority).",
          "harmonic-lm", "hlm_medical_windows_harmonic_minus_best_other_val_acc", _EXTREME,
          Rule("greater", threshold=-0.005), margin=0.005, setting="medical_windows"),
    Claim("hlm-lowest-loss", "harmonic-lm",
          "Harmonic initialisation gives the lowest loss (0.0037, tied in the source's table with "
          "two others); here: harmonic minus the best other strategy, training loss, not above "
          "0.005 nats (non-inferiority).",
          "harmonic-lm", "hlm_medical_windows_harmonic_minus_best_other_train_loss", _EXTREME,
          Rule("less", threshold=0.005), margin=0.005, setting="medical_windows"),
    Claim("hlm-best-coherence", "harmonic-lm",
          "Harmonic initialisation gives the best coherence score (0.912); here: harmonic minus "
          "the best other strategy.",
          "harmonic-lm", "hlm_medical_windows_harmonic_minus_best_other_coherence", _EXTREME,
          Rule("greater", threshold=0.0), margin=0.01, setting="medical_windows"),
    Claim("hlm-accuracy-value", "harmonic-lm",
          "Harmonic initialisation reaches training accuracy 1.000 (table row; within 0.005).",
          "harmonic-lm", "hlm_medical_windows_harmonic_train_acc", _ONE,
          Rule("within", low=0.995, high=1.0 + 1e-9), setting="medical_windows"),
    Claim("hlm-loss-value", "harmonic-lm",
          "Harmonic initialisation reaches training loss 0.0037 (table row; below the paper's "
          "stopping threshold 0.02).",
          "harmonic-lm", "hlm_medical_windows_harmonic_train_loss", _ONE,
          Rule("less", threshold=0.02), margin=0.02, setting="medical_windows"),
    Claim("hlm-global-minima", "harmonic-lm",
          "Harmonic initialisation \"converges directly toward global minima\"; here: area under "
          "its training-loss curve minus random's (negative is faster).",
          "harmonic-lm", "hlm_medical_windows_harmonic_vs_random_train_loss_auc", _PAIRED,
          Rule("less", threshold=0.0), margin=0.05, setting="medical_windows"),
    Claim("hlm-heldout-accuracy", "harmonic-lm",
          "The harmonic accuracy holds on held-out HPO sentences (harmonic minus the best other "
          "strategy not below -0.005, as for the source's corpus).",
          "harmonic-lm", "hlm_hpo_sentences_harmonic_minus_best_other_val_acc", _EXTREME,
          Rule("greater", threshold=-0.005), margin=0.005, setting="hpo_sentences"),
    # --- HarmonicMLP ---------------------------------------------------------------------
    Claim("hmlp-95-few-epochs", "harmonic-mlp",
          "HarmonicMLP reaches about 95% MNIST test accuracy within the first few epochs "
          "(here: test accuracy after epoch 3 above 0.95).",
          "harmonic-mlp", "accuracy_epoch3_full", _ONE,
          Rule("greater", threshold=claimed.HMLP_ACCURACY), margin=0.01),
    Claim("hmlp-fast-start", "harmonic-mlp",
          "HarmonicMLP converges fast initially (here: a ReLU MLP of the same widths and recipe "
          "is not better after epoch 1; ReLU minus HarmonicMLP below 0 points).",
          "harmonic-mlp", "main_delta_epoch1_accuracy_relu_mlp", _PAIRED,
          Rule("less", threshold=0.0), margin=0.5),
    Claim("hmlp-vs-relu-final", "harmonic-mlp",
          "The harmonic design helps (here: the ReLU MLP of the same widths is not better at the "
          "end of training; ReLU minus HarmonicMLP below 0 points).",
          "harmonic-mlp", "main_delta_final_accuracy_relu_mlp", _PAIRED,
          Rule("less", threshold=0.0), margin=0.5),
    Claim("hmlp-freq-optimizer", "harmonic-mlp",
          "The frequency-aware optimiser improves training (here: final accuracy with the "
          "gradient scaling minus without, under Adam).",
          "harmonic-mlp", "freq_optimizer_effect_final_accuracy_adam", _PAIRED,
          Rule("greater", threshold=0.0), margin=0.5),
    Claim("hmlp-stable", "harmonic-mlp",
          "HarmonicMLP trains stably (here: fewer than one run in ten has a non-finite loss at "
          "any step).",
          "harmonic-mlp", "diverged_run_rate_full", "Clopper-Pearson interval over runs",
          Rule("less", threshold=0.1), margin=0.1),
)


def claim(claim_id: str, claims=CLAIMS) -> Claim:
    """The claim with this id (its rule holds the claimed number: ``claim(id).rule.threshold``).

    Raises:
        KeyError: no such claim (the message lists the ids).
    """
    for c in claims:
        if c.id == claim_id:
            return c
    raise KeyError(f"no claim {claim_id!r}; the claims are {', '.join(c.id for c in claims)}")


def outcome(claim_id: str, record, claims=CLAIMS) -> str:
    """The outcome (one of :data:`OUTCOMES`) that claim ``claim_id``'s rule gives ``record``
    with the ledger's family of ``len(CLAIMS)`` intervals: the ledger's own decision, for a
    figure or sentence that quotes it on a record of its own (one setting of a pooled claim, one
    epoch). The ledger's verdict adds the tier and the power (:func:`verdict_word`)."""
    return claim(claim_id, claims).rule.decide(Evidence.coerce(record),
                                               family=len(CLAIMS))[0]


def verdict_word(outcome_: str, tier: str, underpowered: bool = False) -> str:
    """The ledger's verdict (one of :data:`VERDICTS`) for a rule's outcome at a tier: a decided
    outcome takes the tier's word (:data:`WORDS`); an inconclusive one is *underpowered* when its
    interval is wider than twice the claim's margin."""
    choice(outcome_, OUTCOMES, "outcome")
    choice(tier, tuple(WORDS), "tier")
    if outcome_ in WORDS[tier]:
        return WORDS[tier][outcome_]
    if outcome_ == "inconclusive" and underpowered:
        return "underpowered"
    return outcome_


# --------------------------------------------------------------------------------------------
# Evidence from the cache


@dataclass
class _Read:
    """What the cache holds for one experiment at one preset."""

    evidence: dict | None = None   # None: not every cell is cached
    skipped: dict = field(default_factory=dict)   # setting -> reason
    unavailable: str | None = None   # no setting can run here (the reason)
    provenance: list = field(default_factory=list)
    predictions: dict = field(default_factory=dict)   # evidence key -> the theory's value


def _read(name: str, preset: str) -> _Read:
    from initaudit.analysis import experiment
    from initaudit.analysis.datasets import DataUnavailable

    try:
        run = experiment.cached_run(name, preset)
    except DataUnavailable as exc:
        return _Read(unavailable=str(exc))
    if run is None:
        return _Read()
    summary = run.summary if isinstance(run.summary, dict) else {}
    return _Read(dict(summary.get("evidence") or {}),
                 {s["setting"]: s["reason"] for s in summary.get("skipped") or []},
                 None, run.provenance, predictions(name, summary))


def _log2_ratio_predicted(summary) -> dict[str, float]:
    import numpy as np

    t = summary["table"]
    t = t[(t.quantity == "grad_norm2") & (t.layer == 1) & (t.network == "pooled")]
    out = {}
    for init, sub in t.groupby("init", sort=False):
        sub = sub.sort_values("depth")
        out[f"grad_log2_ratio_{init}"] = float(np.log2(sub.predicted.iloc[-1]
                                                       / sub.predicted.iloc[0]))
    return out


def _slope_ratio_predicted(summary) -> dict[str, float]:
    out = {}
    for point, sub in summary["summary"].groupby("point", sort=False):
        sub = sub.sort_values("depth")
        if len(sub) < 3:
            continue
        (d0, m0), (d1, m1), (d2, m2) = ((float(r.depth), float(r.predicted))
                                        for r in sub.iloc[[0, len(sub) // 2, -1]].itertuples())
        out[f"ntk_increment_ratio_{point}"] = ((m2 - m1) / (d2 - d1)) / ((m1 - m0) / (d1 - d0))
    return out


def _energy_predicted(summary) -> dict[str, float]:
    t = summary["sweep"]
    t = t[(t.quantity == "energy_above") & (t.k == 1.0)]
    return {f"energy_above_omega0_{init}": float(sub.sort_values("depth").predicted.iloc[-1])
            for init, sub in t.groupby("init", sort=False)}


#: The theory's value of an experiment's records, from its summary: the infinite-width
#: prediction the summary carries beside each measurement (:mod:`initaudit.theory`).
_PREDICTIONS = {"mc-gradients": _log2_ratio_predicted, "ntk-depth": _slope_ratio_predicted,
                "spectrum-depth": _energy_predicted}


def predictions(name: str, summary: dict) -> dict[str, float]:
    """``{evidence key: the theory's prediction}`` of experiment ``name`` ({} when the theory
    predicts none of its records, or the summary lacks the columns)."""
    fn = _PREDICTIONS.get(name)
    if fn is None:
        return {}
    try:
        return fn(summary)
    except (KeyError, AttributeError, IndexError, ZeroDivisionError):
        return {}


def _read_all(preset: str, claims) -> dict[str, _Read]:
    return {name: _read(name, preset) for name in dict.fromkeys(c.experiment for c in claims)}


def ledger_provenance(preset: str, claims=CLAIMS) -> list[dict]:
    """Distinct provenance records (:mod:`initaudit.analysis.provenance`) of every cached cell
    behind the ledger's evidence, with a ``count`` each. Empty when nothing is cached."""
    from initaudit.analysis import provenance

    records = []
    for read in _read_all(preset, claims).values():
        records.extend(read.provenance)
    return provenance.distinct(records)


def collect_evidence(preset: str, claims=CLAIMS) -> dict[str, dict[str, dict]]:
    """``{experiment NAME: evidence}`` for every experiment the claims use whose cells are all
    cached at ``preset``. Only the cache is read: nothing is computed."""
    return _collect(preset, claims)[0]


def collect_predictions(preset: str, claims=CLAIMS) -> dict[str, dict[str, float]]:
    """``{experiment NAME: {evidence key: the theory's prediction}}`` (:func:`predictions`)
    from the cached summaries at ``preset``."""
    return _collect(preset, claims)[2]


def collect_skipped(preset: str, claims=CLAIMS) -> dict[str, dict[str, str]]:
    """``{experiment NAME: {setting: reason}}``: the settings each experiment cannot run here
    (the summary's list of :class:`initaudit.analysis.experiment.SkippedSetting` records)."""
    return _collect(preset, claims)[1]


def _collect(preset: str, claims) -> tuple[dict, dict, dict]:
    reads = _read_all(preset, claims)
    evidence = {n: r.evidence for n, r in reads.items() if r.evidence is not None}
    skipped = {n: r.skipped for n, r in reads.items() if r.skipped}
    for n, r in reads.items():
        if r.unavailable is not None:
            # no setting can run: every claim of the experiment is "not run" with the reason
            evidence[n] = {}
            skipped[n] = {c.setting: r.unavailable for c in claims if c.experiment == n}
    return evidence, skipped, {n: r.predictions for n, r in reads.items() if r.predictions}


def evaluate(preset: str = "cpu", claims=CLAIMS,
             evidence: dict[str, dict[str, dict]] | None = None,
             skipped: dict[str, dict[str, str]] | None = None,
             predicted: dict[str, dict[str, float]] | None = None,
             budget: dict[str, float] | None = None) -> pd.DataFrame:
    """The ledger at ``preset``: one row per claim with its verdict.

    Args:
        preset: the preset whose cached results are read, and whose experiment sizes the
            scale ratios compare with the sources' (:mod:`initaudit.analysis.scale`).
        claims: the claims (default :data:`CLAIMS`).
        evidence: ``{experiment: {key: record}}`` (records: :class:`Evidence` or plain
            mappings of its fields); read from the cache when None (tests pass synthetic
            records here).
        skipped: ``{experiment: {setting: reason}}`` of settings that did not run; read from
            the cache with the evidence when None.
        predicted: ``{experiment: {key: the theory's value}}``; read with the evidence when
            None.
        budget: ``{experiment: factor}``: the records come from runs at that multiple of the
            preset's training budget (:mod:`initaudit.analysis.sensitivity`), and the scale
            ratios read those runs' cells.

    Returns:
        DataFrame with ``id, source, claim, experiment, key, test, rule, outcome`` (the rule's
        word), ``verdict`` (:func:`verdict_word`), ``reason, mean, lo, hi, n, p, p_holm, unit,
        what``, ``adj_lo, adj_hi`` (the simultaneous interval the verdict reads), ``family`` (m),
        ``detectable``, ``margin``, ``underpowered``, ``prediction`` (NaN where the theory
        gives none), and the scale: ``tier, scale_ratio, ran, published, basis, differs`` and
        ``scale`` (the ratios below 1 in words).
    """
    from initaudit.analysis import scale

    check_preset(preset)
    if evidence is None:
        evidence, found, found_pred = _collect(preset, claims)
        skipped = found if skipped is None else skipped
        predicted = found_pred if predicted is None else predicted
    skipped = skipped or {}
    predicted = predicted or {}
    cells: dict[str, list] = {}
    rows = []
    for c in claims:
        record = Evidence.coerce(evidence.get(c.experiment, {}).get(c.key))
        if c.experiment not in evidence:
            missing = NO_RESULT
        elif c.setting in skipped.get(c.experiment, {}):
            missing = skipped[c.experiment][c.setting]
        else:
            missing = NOT_MEASURED
        family = len(CLAIMS)  # fixed in advance: a subset of claims keeps the full correction
        out, reason = c.rule.decide(record, missing, family=family)
        rec = record or {}
        adj_lo, adj_hi = (simultaneous_interval(record, family)[:2] if record is not None
                          else (math.nan, math.nan))
        margin = c.decision_margin()
        reach = deciding_reach(c.rule, float(rec.get("mean", math.nan)), adj_lo, adj_hi)
        unbounded = math.isinf(adj_lo) or math.isinf(adj_hi)
        under = bool(out == "inconclusive" and (unbounded or reach > margin)
                     and int(rec.get("n", 0) or 0) >= c.rule.min_n)
        if under and unbounded:
            reason = ("interval unbounded (the denominator of the ratio is not credibly "
                      "nonzero): no effect size would be decided")
        elif under:
            reason = (f"the interval reaches {_num(reach)} from the estimate on the deciding "
                      f"side, more than the margin {_num(margin)}: an effect of that size would "
                      f"not be decided")
        setting = scale.SETTINGS.get(c.id)
        if setting is None:
            where = {"tier": "extension", "scale_ratio": {}, "ran": {}, "published": {},
                     "basis": "no published setting recorded", "differs": ""}
        else:
            if c.experiment not in cells:
                factor = (budget or {}).get(c.experiment)
                cells[c.experiment] = scale._cells(
                    c.experiment, preset, **({} if factor is None else {"budget": factor}))
            where = scale.assess(setting, c.experiment, preset,
                                 int(rec.get("n", 0) or 0) or None, cells[c.experiment])
        rows.append({
            "id": c.id, "source": c.source, "claim": c.claim, "experiment": c.experiment,
            "key": c.key,
            "test": c.test, "rule": c.rule.describe(), "outcome": out,
            "verdict": verdict_word(out, where["tier"], under), "reason": reason,
            "mean": float(rec.get("mean", math.nan)), "lo": float(rec.get("lo", math.nan)),
            "hi": float(rec.get("hi", math.nan)), "n": int(rec.get("n", 0) or 0),
            "p": float(rec.get("p", math.nan)), "unit": rec.get("unit", ""),
            "what": rec.get("what", ""), "adj_lo": adj_lo, "adj_hi": adj_hi, "family": family,
            "detectable": detectable(record, family) if record is not None else math.nan,
            "margin": margin, "underpowered": under,
            "prediction": float(predicted.get(c.experiment, {}).get(c.key, math.nan)),
            **where, "scale": scale.describe_scale(where["scale_ratio"], where["ran"]),
        })
    table = pd.DataFrame(rows)
    table["p_holm"] = stats.holm(table["p"].to_numpy()) if len(table) else []
    return table


def deciding_reach(rule: Rule, mean: float, lo: float, hi: float) -> float:
    """How far the interval reaches from the estimate on the side that decides *for* the claim:
    ``mean - lo`` for ``greater`` and ``at_least`` (an effect is supported once ``lo`` clears
    the threshold), ``hi - mean`` for ``less``, half the width for ``within`` (both ends must fit
    in the band). An effect ``margin`` beyond the threshold is decided when this reach is below
    the margin; an inconclusive row whose reach exceeds it is underpowered. NaN when the interval
    or the estimate is not finite."""
    if not all(math.isfinite(x) for x in (mean, lo, hi)):
        return math.nan
    if rule.kind in ("greater", "at_least"):
        return mean - lo
    if rule.kind == "less":
        return hi - mean
    return (hi - lo) / 2.0


def counts_by_tier(table: pd.DataFrame) -> dict[str, dict[str, int]]:
    """``{tier: {verdict: count}}`` over the claims that ran and those that did not, in
    :data:`initaudit.analysis.scale.TIERS` order from the published tier down, with each tier's
    ``total``."""
    from initaudit.analysis import scale

    out = {}
    for tier in reversed(scale.TIERS):
        sub = table[table.tier == tier]
        if len(sub):
            counts = sub.verdict.value_counts()
            out[tier] = {v: int(counts[v]) for v in VERDICTS if v in counts}
            out[tier]["total"] = len(sub)
    return out


def tier_sentence(table: pd.DataFrame) -> str:
    """The verdict counts by tier in one sentence, for the abstract, README and terminal."""
    parts, ext = [], ""
    for tier, counts in counts_by_tier(table).items():
        inner = ", ".join(f"{n} {v}" for v, n in counts.items() if v != "total")
        total = counts["total"]
        if tier == "extension":
            ext = f" The package's own checks ({total}: {inner}) are counted apart."
            continue
        where = {"published": "at the published scale", "reduced": "at reduced scale",
                 "setting differs": "in a setting that differs from the source's"}[tier]
        parts.append(f"{total} {where} ({inner})")
    n_source = int((table.tier != "extension").sum())
    return (f"Of the {n_source} source claims, " + "; ".join(parts) + "." + ext)


# --------------------------------------------------------------------------------------------
# Comparing two ledgers (another machine, another thread count, a published claims.json)


def read_ledger(path) -> pd.DataFrame:
    """A ledger saved as JSON: ``generated/claims.json`` or ``initaudit claims --json`` output.

    Raises:
        ValueError: the file is not such a ledger (the message says what was expected).
    """
    import json
    import pathlib

    try:
        data = json.loads(pathlib.Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot read the ledger {path}: {exc}") from None
    rows = data.get("claims") if isinstance(data, dict) else data
    if not isinstance(rows, list) or not all(isinstance(r, dict) and "id" in r for r in rows):
        raise ValueError(f"{path} is not a ledger: expected the JSON of `initaudit claims --json` "
                         "or generated/claims.json (records with id, verdict, mean, lo, hi)")
    return pd.DataFrame(rows)


def read_ledger_provenance(path) -> list[dict]:
    """The ``provenance`` list of a saved ledger ([] when it has none)."""
    import json
    import pathlib

    data = json.loads(pathlib.Path(path).read_text(encoding="utf-8"))
    return list(data.get("provenance") or []) if isinstance(data, dict) else []


def compare(table: pd.DataFrame, other: pd.DataFrame) -> pd.DataFrame:
    """Claim by claim, how far ``table`` moved from ``other``.

    Returns:
        One row per claim in both: ``id``, ``verdict``, ``other_verdict``, ``outcome``,
        ``other_outcome`` (the rules' words; a ledger saved before verdicts had tiers holds its
        outcome under ``verdict``), ``same_verdict`` (the same outcome: a move between tiers or
        between inconclusive and underpowered is not a change of decision), ``mean``,
        ``other_mean``, ``shift`` (mean minus the other's), ``shift_over_halfwidth`` (the shift in
        units of the other's interval half-width: below 1 means the new estimate lies inside the
        old interval) and ``identical`` (mean and interval bit for bit).
    """
    b = other.set_index("id")

    def outcome_of(row) -> str:
        got = row.get("outcome") if hasattr(row, "get") else None
        if isinstance(got, str) and got in OUTCOMES:
            return got
        word = row.get("verdict") if hasattr(row, "get") else None
        return word if word in OUTCOMES else _OUTCOME_OF.get(word, str(word))

    rows = []
    for r in table.itertuples():
        if r.id not in b.index:
            continue
        o = b.loc[r.id]
        half = (float(o["hi"]) - float(o["lo"])) / 2
        shift = float(r.mean) - float(o["mean"])
        same = all((math.isnan(x) and math.isnan(y)) or x == y
                   for x, y in ((float(r.mean), float(o["mean"])), (float(r.lo), float(o["lo"])),
                                (float(r.hi), float(o["hi"]))))
        mine, theirs = outcome_of(table.loc[r.Index]), outcome_of(o)
        rows.append({"id": r.id, "verdict": r.verdict, "other_verdict": o["verdict"],
                     "outcome": mine, "other_outcome": theirs,
                     "same_verdict": mine == theirs, "mean": float(r.mean),
                     "other_mean": float(o["mean"]), "shift": shift,
                     "shift_over_halfwidth": (math.nan if math.isnan(shift) else
                                              abs(shift) / half if half > 0 else
                                              0.0 if shift == 0 else math.inf),
                     "identical": same})
    return pd.DataFrame(rows)


def format_comparison(comparison: pd.DataFrame) -> str:
    """Plain-text form of :func:`compare`, with a closing count."""
    lines = [f"{'claim':<28} {'verdict':<14} {'other verdict':<14} {'mean':>10} {'other':>10} "
             f"{'|shift|/half-width':>18}"]
    for r in comparison.itertuples():
        mark = "identical" if r.identical else f"{r.shift_over_halfwidth:.3g}"
        lines.append(f"{r.id:<28} {r.verdict:<14} {r.other_verdict:<14} {_num(r.mean):>10} "
                     f"{_num(r.other_mean):>10} {mark:>18}")
    n = len(comparison)
    lines.append(f"{int(comparison.identical.sum()) if n else 0} of {n} identical, "
                 f"{int(comparison.same_verdict.sum()) if n else 0} of {n} with the same verdict, "
                 f"largest |shift|/half-width "
                 f"{_num(float(comparison.shift_over_halfwidth.max())) if n else '--'}")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# Output


def _num(x: float) -> str:
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if not math.isfinite(x):
        return "--"
    a = abs(x)
    if a != 0 and (a < 1e-3 or a >= 1e4):
        return f"{x:.2e}"
    return f"{x:.3g}"


def format_table(table: pd.DataFrame) -> str:
    """Plain-text ledger for the terminal."""
    lines = []
    for source, sub in table.groupby("source", sort=False):
        lines.append(f"{SOURCES.get(source, source)}:")
        for r in sub.itertuples():
            ci = f"[{_num(r.adj_lo)}, {_num(r.adj_hi)}]"
            raw = (f"; 95% CI [{_num(r.lo)}, {_num(r.hi)}]" if math.isfinite(r.lo) else "")
            det = (f"; detectable {_num(r.detectable)}" if math.isfinite(r.detectable) else "")
            pred = (f"; theory {_num(r.prediction)}" if math.isfinite(r.prediction) else "")
            tier = r.tier + (f": {r.scale}" if r.scale else "")
            if getattr(r, "budget_change", ""):
                tier += (f"; at {r.budget_factor:g}x budget: {r.long_verdict}, {r.budget_change}"
                         + (", verdict depends on budget" if r.budget_depends else ""))
            lines.append(f"  {r.id:<28} {r.verdict:<38} {_num(r.mean):>9} {ci:<22} n={r.n:<3} "
                         f"[{tier}] ({r.rule}; {r.reason}{raw}{det}{pred})")
    if len(table):
        lines.append(tier_sentence(table))
    if len(table):
        lines.append(f"(intervals in brackets: simultaneous over the {int(table.family.iloc[0])} "
                     f"claims, {FAMILY_LEVEL:.0%} that all cover at once; the verdicts read them)")
    if (table.reason == NO_RESULT).any():
        lines.append("(no cached result: run `initaudit reproduce` or `initaudit experiment NAME` "
                     "at this preset first)")
    return "\n".join(lines)


def tex_escape(text: str) -> str:
    """``text`` with LaTeX's special characters escaped."""
    for a, b in (("\\", r"\textbackslash{}"), ("&", r"\&"), ("%", r"\%"), ("_", r"\_"),
                 ("#", r"\#"), ("$", r"\$"), ("~", r"\~{}"), ("^", r"\^{}")):
        text = text.replace(a, b)
    return text


def latex_table(table: pd.DataFrame) -> str:
    """The ledger as a LaTeX ``longtable`` body (rows only; the paper supplies the header)."""
    lines = []
    for source, sub in table.groupby("source", sort=False):
        # No \multicolumn: the rows are \input inside the table, and \multicolumn must be the
        # first token of its cell.
        lines.append(r"\textit{" + tex_escape(SOURCES.get(source, source)) + r"} & & & & \\")
        for r in sub.itertuples():
            ci = f"[{_num(r.adj_lo)}, {_num(r.adj_hi)}]" if math.isfinite(r.adj_lo) else "--"
            if math.isfinite(r.lo):
                ci += f" (95%: [{_num(r.lo)}, {_num(r.hi)}])"
            verdict = r"\textbf{" + tex_escape(r.verdict) + "}"
            if r.verdict == "not run":
                verdict += ": " + tex_escape(r.reason)
            depends = bool(getattr(r, "budget_depends", False))
            verdict += r" \newline {\footnotesize " + tex_escape(
                r.tier + (f" ({r.scale})" if r.tier == "reduced" and r.scale else "")
                + ("; depends on the budget" if depends else "")) + "}"
            lines.append(" & ".join([
                tex_escape(r.claim),
                tex_escape(r.rule), f"{_num(r.mean)} {tex_escape(ci)}", str(r.n), verdict,
            ]) + r"\\")
    return "\n".join(lines) + "\n"


def verdict_macros(table: pd.DataFrame) -> dict[str, str]:
    """``\\Claim<Id>Verdict`` macros (letters only) and the counts per verdict."""
    out = {}
    for r in table.itertuples():
        word = "".join(part.title() for part in r.id.replace("_", "-").split("-") if part)
        word = "".join(ch for ch in word if ch.isalpha())
        out[f"Claim{word}Verdict"] = r.verdict
        out[f"Claim{word}Effect"] = _num(r.mean)
        out[f"Claim{word}Ci"] = f"[{_num(r.lo)}, {_num(r.hi)}]"
        if "margin" in table.columns:
            out[f"Claim{word}Margin"] = _num(r.margin)
            out[f"Claim{word}Tier"] = r.tier
    counts = table.verdict.value_counts()
    for v in VERDICTS:
        word = "".join(part.title() for part in v.split())
        out[f"Claims{word}"] = str(int(counts.get(v, 0)))
    out["ClaimsTotal"] = str(len(table))
    out["ClaimsSource"] = str(int((table.tier != "extension").sum()))
    for tier in ("published", "reduced", "setting differs", "extension"):
        word = "".join(part.title() for part in tier.split())
        out[f"ClaimsTier{word}"] = str(int((table.tier == tier).sum()))
    out["ClaimsByTier"] = tier_sentence(table) if len(table) else ""
    return out


__all__ = ["CLAIMS", "Claim", "DETECT_POWER", "FAMILY_LEVEL", "INTERVAL_KINDS", "NOT_MEASURED",
           "NO_RESULT", "OUTCOMES", "RULE_KINDS", "Rule", "SOURCES", "VERDICTS", "WORDS", "claim",
           "collect_evidence", "collect_predictions", "collect_skipped", "compare",
           "counts_by_tier", "deciding_reach", "detectable", "evaluate", "format_comparison", "format_table",
           "latex_table", "ledger_provenance", "outcome", "predictions", "read_ledger",
           "read_ledger_provenance", "simultaneous_interval", "tex_escape", "tier_sentence",
           "verdict_macros", "verdict_word"]
