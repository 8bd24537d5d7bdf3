"""``python -m gem.benchmark``."""

import sys

from gem.benchmark.cli import main

sys.exit(main())
