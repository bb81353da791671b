"""initaudit: the claims of sinusoidal and harmonic weight initialisation, put to the test.

The package installs as one namespace: :mod:`initaudit.theory` (sympy closed forms, float64
predictions, no torch), :mod:`initaudit.models` (initialisers and networks, torch),
:mod:`initaudit.analysis` (measurements, experiments, the ledger) and :mod:`initaudit.figures`
(figures, the ``initaudit`` command, the paper build). This module is a flat facade over them, so
that a notebook needs one import::

    import initaudit as ia

    import numpy as np, torch

    spec = ia.network_spec("edge_of_chaos", d_in=1, width=256, depth=8)
    x = np.linspace(-1.0, 1.0, 8)[:, None]
    theory = ia.predict(spec, x)                            # layer statistics under the law drawn
    ens = ia.Ensemble.from_spec(spec, n_networks=16,
                                generator=torch.Generator().manual_seed(0))
    measured = ia.measure(ens, x)                           # the same statistics, Monte Carlo
    ntk = ia.empirical_ntk(ens.network(0), torch.as_tensor(x))   # one network's empirical NTK

Names are imported on first use (PEP 562), so ``import initaudit`` is cheap and
``import initaudit.theory`` never imports torch.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import pathlib

# In a source checkout the subpackages are the top-level folders theory/, models/, analysis/ and
# figures/ beside this directory (the wheel maps them to initaudit/theory and so on). Appending
# the checkout root to the search path makes ``initaudit.theory`` resolve there when the package
# runs from the checkout without being installed; an installed wheel has the folders inside and
# is left alone.
_HERE = pathlib.Path(__file__).resolve().parent
if not (_HERE / "theory").is_dir() and (_HERE.parent / "theory" / "__init__.py").is_file():
    __path__.append(str(_HERE.parent))  # noqa: F821 (the package's own __path__)

try:
    __version__ = importlib.metadata.version("initaudit")
except importlib.metadata.PackageNotFoundError:  # a checkout used without installing it
    __version__ = "0+unknown"

#: Public name -> (module, attribute) it is read from.
_EXPORTS: dict[str, tuple[str, str]] = {
    # theory: the network as drawn and what it predicts
    "NetworkSpec": ("initaudit.theory.spec", "NetworkSpec"),
    "LayerVariance": ("initaudit.theory.spec", "LayerVariance"),
    "network_spec": ("initaudit.models.catalogue", "spec"),
    "predict": ("initaudit.theory.predict", "predict"),
    "LAWS": ("initaudit.theory.laws", "LAWS"),
    "mean_field": ("initaudit.theory.meanfield", "mean_field"),
    "fixed_point": ("initaudit.theory.meanfield", "fixed_point"),
    "kernels": ("initaudit.theory.kernels", "kernels"),
    # models: the catalogue of initialisers, networks and ensembles
    "catalogue": ("initaudit.models.catalogue", "entries"),
    "initializer": ("initaudit.models.catalogue", "get"),
    "available_initializers": ("initaudit.models.catalogue", "available"),
    "build_mlp": ("initaudit.models.mlp", "build_mlp"),
    "Ensemble": ("initaudit.models.mlp", "Ensemble"),
    # analysis: measurements, experiments and the ledger
    "measure": ("initaudit.analysis.propagate", "measure"),
    "compare": ("initaudit.analysis.propagate", "compare"),
    "PropagationConfig": ("initaudit.analysis.propagate", "PropagationConfig"),
    "run_propagation": ("initaudit.analysis.propagate", "run_config"),
    "empirical_ntk": ("initaudit.analysis.ntk", "empirical_ntk"),
    "run_experiment": ("initaudit.analysis.experiment", "run_experiment"),
    "experiments": ("initaudit.analysis.experiment", "available"),
    "CLAIMS": ("initaudit.analysis.claims", "CLAIMS"),
    "ledger": ("initaudit.analysis.claims", "evaluate"),
}

__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name: str):
    try:
        module, attribute = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'initaudit' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
