"""``python -m gem.sweep``."""

import sys

from gem.sweep.cli import main

sys.exit(main())
