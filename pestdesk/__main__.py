"""``python -m pestdesk`` is the ``pestdesk`` command."""

import sys

from .cli import main

sys.exit(main())
