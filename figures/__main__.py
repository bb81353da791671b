"""``python -m initaudit.figures`` runs the ``initaudit`` command (as ``python -m initaudit`` does)."""

import sys

from initaudit.figures.cli import main

sys.exit(main())
