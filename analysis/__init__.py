"""Measurements: Monte-Carlo propagation, weight statistics, the result cache and presets.

Modules here return numbers and tidy pandas DataFrames; they never plot.
"""
