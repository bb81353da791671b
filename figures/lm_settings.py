"""Words for the settings of the language-model experiment, shared by its three figures.

The text of the paper names the (corpus, split) settings that ran in a build and says which did
not and why; these helpers turn setting keys (``medical_windows``) into macro stems and phrases.
"""

from __future__ import annotations

import math

from initaudit.analysis.experiments import harmonic_lm as H


def camel(setting: str) -> str:
    """``medical_windows`` -> ``MedicalWindows`` (letters only)."""
    return "".join(part.capitalize() for part in setting.split("_") if part.isalpha()) or "Text"


#: Settings in the order the text names them; the first that ran is the *primary* one.
SETTING_ORDER = ("medical_windows", "medical_sentences", "hpo_windows", "hpo_sentences")
#: The paper's own protocol.
PAPER_SETTING = "medical_windows"


def phrase(setting: str) -> str:
    """The setting in words for a sentence: ``on windows of \\texttt{medical.txt}``."""
    corpus, _, split = setting.rpartition("_")
    name = {"medical": r"\texttt{medical.txt}", "hpo": "the ontology corpus"}.get(
        corpus, r"\texttt{" + corpus + "}")
    return f"on windows of {name}" if split == "windows" else f"on held-out sentences of {name}"


def listing(items: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def ordered(settings) -> list[str]:
    """``settings`` in :data:`SETTING_ORDER`, others (user corpora) after them."""
    settings = list(dict.fromkeys(settings))
    return ([s for s in SETTING_ORDER if s in settings]
            + [s for s in settings if s not in SETTING_ORDER])


def primary(settings) -> str:
    """The setting the text describes in detail: the paper's protocol when it ran."""
    return ordered(settings)[0]


def with_primary(out: dict[str, str], stem: str, setting: str) -> dict[str, str]:
    """Copies of the macros ``<stem><Setting>...`` as ``<stem>Primary...``."""
    prefix = stem + camel(setting)
    out.update({stem + "Primary" + k[len(prefix):]: v for k, v in list(out.items())
                if k.startswith(prefix)})
    return out


def not_run_sentences(skipped: list[dict]) -> tuple[str, str]:
    """(settings not run in words, their reasons and the remedy) for the paper; ("", "") when
    every setting ran."""
    from initaudit.analysis.claims import tex_escape

    if not skipped:
        return "", ""
    reasons = listing(list(dict.fromkeys(tex_escape(s["reason"]) for s in skipped)))
    remedy = tex_escape(H.MEDICAL_REMEDY).replace("--", "-{}-")
    return listing([phrase(s["setting"]).removeprefix("on ") for s in skipped]), \
        f"{reasons}; to run {'it' if len(skipped) == 1 else 'them'}, {remedy}"


def short(strategy: str) -> str:
    """Display name of a strategy: ``emb_fourier_harmonic`` -> ``fourier harmonic``."""
    return strategy.removeprefix("emb_").replace("_", " ")


def number(x: float, digits: int = 3, sign: bool = False) -> str:
    """``x`` with ``digits`` decimals, or ``m\\times10^{e}`` (3 significant digits) when
    ``|x| >= 10^4`` (held-out perplexities of a tiny corpus reach 10^7); math-mode content."""
    if abs(x) >= 1e4:
        e = int(math.floor(math.log10(abs(x))))
        m = x / 10**e
        return f"{m:+.2f}\\times10^{{{e}}}" if sign else f"{m:.2f}\\times10^{{{e}}}"
    return f"{x:+.{digits}f}" if sign else f"{x:.{digits}f}"


def interval(mean: float, lo: float, hi: float, digits: int = 3, sign: bool = True) -> str:
    """``mean [lo, hi]`` in math mode."""
    if not math.isfinite(mean):
        return "n/a"
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return f"${number(mean, digits, sign)}$"
    return (f"${number(mean, digits, sign)}$ "
            f"$[{number(lo, digits, sign)}, {number(hi, digits, sign)}]$")


__all__ = ["PAPER_SETTING", "SETTING_ORDER", "camel", "interval", "listing", "not_run_sentences",
           "number", "ordered", "phrase", "primary", "short", "with_primary"]
