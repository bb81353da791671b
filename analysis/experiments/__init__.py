"""The experiment modules: each ``<name>.py`` with a ``NAME`` is one experiment.

See :mod:`analysis.experiment` for the contract, and ``initaudit experiment --help`` for the list.
Modules without ``NAME`` (shared helpers) are imported by the experiments, not listed.
"""
