"""``python -m initaudit`` runs the ``initaudit`` command."""

import sys

from initaudit.figures.cli import main

sys.exit(main())
