"""Shared look of the figures: every initialiser's colour, label, marker and macro stem come
from its catalogue entry (:class:`models.catalogue.Style`); one rc setting for all figures."""

from __future__ import annotations

import matplotlib as mpl

#: Colour of names that are not catalogue entries (grey).
OTHER_COLOR = "#999999"

DATASET_LABELS = {"mnist": "MNIST", "fashion": "Fashion-MNIST", "digits": "digits"}


def _style(name: str):
    from initaudit.models import catalogue

    try:
        return catalogue.get(name).style
    except ValueError:
        return None


def color(name: str) -> str:
    """The colour of the initialiser ``name`` (grey for names outside the catalogue)."""
    s = _style(name)
    return s.color if s is not None else OTHER_COLOR


def label(name: str) -> str:
    """The legend label of ``name`` (the name itself, in words, outside the catalogue)."""
    s = _style(name)
    return s.label if s is not None else name.replace("_", " ")


def marker(name: str) -> str:
    """The marker of ``name`` ("o" outside the catalogue)."""
    s = _style(name)
    return s.marker if s is not None else "o"


def linestyle(name: str) -> str:
    """The line style of ``name`` ("-" outside the catalogue)."""
    s = _style(name)
    return s.linestyle if s is not None else "-"


def macro_key(name: str) -> str:
    """The letters-only macro stem of ``name``: its entry's, else its words title-cased."""
    s = _style(name)
    if s is not None and s.macro:
        return s.macro
    return "".join(w.title() for w in name.split("_") if w.isalpha())


def apply() -> None:
    """Set the rc parameters every figure shares."""
    mpl.rcParams.update({
        "figure.dpi": 100,
        "font.size": 9,
        "axes.titlesize": 9,
        "axes.labelsize": 9,
        "legend.fontsize": 7.5,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "savefig.bbox": "tight",
    })
