"""``python -m modelmonitor`` is the ``modelmonitor`` command."""

import sys

from modelmonitor.cli import main

sys.exit(main())
