"""Networks, initializers, optimizers and data of initaudit.

Submodules are imported on demand (``import initaudit.models.init``, ``from initaudit.models import catalogue``);
this package file deliberately imports nothing, so that importing one part of ``models`` never
pulls in the others.
"""
