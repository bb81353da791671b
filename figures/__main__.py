"""``python -m figures`` runs the ``initaudit`` command."""

import sys

from figures.cli import main

sys.exit(main())
