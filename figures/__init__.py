"""Figures, the generated paper files and the ``initaudit`` command line.

One module per figure (``fig_<name>.py`` with ``compute(preset)`` and ``plot(data)``); nothing
imports this package.
"""
