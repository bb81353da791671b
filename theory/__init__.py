"""Infinite-width theory of sine networks (and relu/tanh/erf/gelu baselines).

Imports only sympy, numpy and scipy. Closed forms are sympy expressions turned into float64
callables by :func:`theory.symbolic.to_numpy`; the same expressions are printed to LaTeX by
:mod:`theory.latex`.
"""
