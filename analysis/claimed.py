"""The numbers the audited sources claim, stated once.

The claims table (:mod:`initaudit.analysis.claims`) builds its decision rules from these, and an
experiment that needs a claimed number to run (HarmonicMLP's epochs to 95%) reads it here. It
is a module of its own so that an experiment's cache key (the source of what it imports) does
not change when a claim's wording in the ledger does.
"""

#: HarmonicMLP's README: "about 95% test accuracy within the first few epochs" (fraction).
HMLP_ACCURACY = 0.95
#: Sinusoidal Initialization: +4.8 points of best validation accuracy over the default.
SIN_ACCURACY_POINTS = 4.8
#: Sinusoidal Initialization: +20.9% convergence speed (relative AUC).
SIN_REL_AUC = 0.209

__all__ = ["HMLP_ACCURACY", "SIN_ACCURACY_POINTS", "SIN_REL_AUC"]
