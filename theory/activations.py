"""The activation names of the package, once (no sympy, no torch: every layer imports it).

:mod:`initaudit.theory.gaussian` has the expectations of each, :mod:`initaudit.models.activations`
the torch functions and derivatives.
"""

#: Activations the theory has expectations for and a finite network can use.
ACTIVATIONS = ("sin", "relu", "tanh", "erf", "gelu")

__all__ = ["ACTIVATIONS"]
