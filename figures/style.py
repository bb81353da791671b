"""Shared look of the figures: one colour and label per initialiser, one rc setting."""

from __future__ import annotations

import matplotlib as mpl

#: Colour of each initialiser across every figure (colour-blind-safe palette, Wong 2011).
COLORS = {
    "siren": "#0072B2",
    "siren_256": "#0072B2",
    "siren_1024": "#56B4E9",
    "siren_port": "#009E73",
    "edge_of_chaos": "#D55E00",
    "edge_of_chaos_sigma_a1": "#E69F00",
    "off_curve": "#CC79A7",
    "xavier": "#7F7F7F",
    "he": "#000000",
    "sinusoidal": "#F0E442",
}

LABELS = {
    "siren": "SIREN reference",
    "siren_256": "SIREN reference, $N=256$",
    "siren_1024": "SIREN reference, $N=1024$",
    "siren_port": "siren-pytorch port, $N=256$",
    "edge_of_chaos": r"edge of chaos, $\sigma_a=0$",
    "edge_of_chaos_sigma_a1": r"edge of chaos, $\sigma_a=1$",
    "off_curve": "off-curve point",
    "xavier": "Xavier",
    "he": "He",
    "sinusoidal": "sinusoidal",
}


#: Letters-only stem of each initialiser in LaTeX macro names (``\\McGradRatioEoC``); one map
#: for every figure, so the same initialiser has the same stem everywhere.
MACRO_KEYS = {
    "siren": "Siren",
    "edge_of_chaos": "EoC",
    "edge_of_chaos_sigma_a1": "EoCSigmaOne",
    "xavier_uniform": "Xavier",
    "kaiming_uniform": "He",
    "orthogonal": "Orthogonal",
    "ordered": "Ordered",
    "chaotic": "Chaotic",
}


#: The initialisers of the classification experiments (Sinusoidal initialisation), their
#: colours and labels, and the datasets' names.
CLASSIFIER_COLORS = {"default": "#000000", "orthogonal": "#7F7F7F", "lsuv": "#009E73",
                     "sinusoidal": "#0072B2", "sinusoidal_paper": "#D55E00"}
CLASSIFIER_LABELS = {"default": "torch default", "orthogonal": "orthogonal", "lsuv": "LSUV",
                     "sinusoidal": "sinusoidal",
                     "sinusoidal_paper": "sinusoidal (paper variant)"}
DATASET_LABELS = {"mnist": "MNIST", "fashion": "Fashion-MNIST", "digits": "digits"}

#: Style key of the phase-diagram points that are not initialisers (fitting experiments).
POINT_STYLE = {"chaotic": "off_curve", "ordered": "xavier"}


def point_color(init: str) -> str:
    """Colour of an initialiser or phase-diagram point of the fitting experiments."""
    if init == "ordered":
        return "#009E73"
    return color(POINT_STYLE.get(init, init))


def point_label(init: str) -> str:
    """Legend label of an initialiser or phase-diagram point of the fitting experiments."""
    if init == "chaotic":
        return "chaotic, $(c_w,c_b)=(2.4,0)$"
    if init == "ordered":
        return "ordered, $(c_w,c_b)=(1.5,0.5)$"
    return label(init)


def macro_key(name: str) -> str:
    """The macro stem of ``name``: :data:`MACRO_KEYS`, else its alphabetic words title-cased."""
    return MACRO_KEYS.get(name) or "".join(w.title() for w in name.split("_") if w.isalpha())


def color(name: str) -> str:
    """The colour of ``name`` (grey for names without one)."""
    return COLORS.get(name, "#999999")


def label(name: str) -> str:
    """The legend label of ``name`` (the name itself where none is set)."""
    return LABELS.get(name, name.replace("_", " "))


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
